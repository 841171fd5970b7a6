/**
 * Position-size add-on (Deribit style: "initial margin = 1% + (position size in BTC) × 0.005%"): the margin RATE
 * grows linearly with the position's size.
 *
 *   IM rate  = tier rate (after volatility, OI scaling and user leverage) + k_im·|q|
 *   MM rate  = mmr·k_vol                                                 + k_mm·|q|
 *   IM adds  N·k_im·|q|        MM adds  N_m·k_mm·|q|                      (settlement units, before the round-up)
 *
 * with |q| the position's size in CONTRACTS, k_im and k_mm in rate per contract (dimensionless per contract), N the
 * notional at the mark and N_m the maintenance notional (N with basis MARK, the entry notional with basis ENTRY).
 * Deribit quotes the coefficient per unit of base (0.005% per BTC): on a LINEAR market of c base units per contract
 * that is k = 0.00005·c per contract. The add-on is not scaled by the volatility factor, and user leverage never
 * lowers it (IM = N·max(imr_oi, 1/L) + N·k_im·|q|). |q| does not move with the price, so the add-on keeps MM linear
 * in N: the isolated closed form takes mmr + k_mm·|q| as its rate, and cross books stay piecewise linear.
 * Off (null) by default; k_mm ≤ k_im so IM stays at or above MM.
 */
import type Decimal from 'decimal.js';
import { toD, toDouble } from '../decimal';
import type { ParameterSpec } from './schema';

/** Engine input (MarketParams.sizeAddon): the two coefficients, rate per contract. */
export interface SizeAddonParams {
  readonly initialRatePerContract: Decimal;
  readonly maintenanceRatePerContract: Decimal;
}

/** Normalized (engine context) coefficients of a market. */
export interface NSizeAddon {
  readonly initial: Decimal;
  readonly maintenance: Decimal;
}

/** Breakdown line of a position (PositionRisk.sizeAddon): rates k·|q| and the amounts they add (settlement units). */
export interface SizeAddonLine {
  /** k_im·|q| (added to the initial rate). */
  readonly initialRate: Decimal;
  /** k_mm·|q| (added to the maintenance rate). */
  readonly maintenanceRate: Decimal;
  /** N·k_im·|q|, settlement units, included in IM. */
  readonly initialAmount: Decimal;
  /** N_m·k_mm·|q|, settlement units, included in MM. */
  readonly maintenanceAmount: Decimal;
}

export function normalizeSizeAddon(p: SizeAddonParams | null | undefined): NSizeAddon | null {
  if (p === null || p === undefined) return null;
  return { initial: toD(p.initialRatePerContract), maintenance: toD(p.maintenanceRatePerContract) };
}

/** IM part N·k_im·|q| (settlement units). */
export function sizeAddonInitial(rule: NSizeAddon, absQ: Decimal, notional: Decimal): Decimal {
  return notional.mul(rule.initial.mul(absQ));
}

/** MM part N_m·k_mm·|q| (settlement units). */
export function sizeAddonMaintenance(rule: NSizeAddon, absQ: Decimal, maintenanceNotional: Decimal): Decimal {
  return maintenanceNotional.mul(rule.maintenance.mul(absQ));
}

/** The breakdown line at notional N (IM) and N_m (MM). */
export function sizeAddonLine(rule: NSizeAddon, absQ: Decimal, notional: Decimal, maintenanceNotional: Decimal): SizeAddonLine {
  return Object.freeze({
    initialRate: rule.initial.mul(absQ),
    maintenanceRate: rule.maintenance.mul(absQ),
    initialAmount: sizeAddonInitial(rule, absQ, notional),
    maintenanceAmount: sizeAddonMaintenance(rule, absQ, maintenanceNotional),
  });
}

/** Double-precision MM rate k_mm·|q| (searches only: fast-terms.ts adds n·rate). 0 when off. */
export function fastSizeAddonMaintenanceRate(rule: NSizeAddon | null, absQ: Decimal): number {
  return rule === null ? 0 : toDouble(rule.maintenance.mul(absQ));
}

/** Upper bound of a coefficient (rate per contract): beyond it a venue is misconfigured. */
export const SIZE_ADDON_MAX = '0.01';

/** API input (upsertMarket): both coefficients together, each in [0, 0.01], maintenance ≤ initial. */
export const SIZE_ADDON_PARAMETERS: ParameterSpec = {
  fields: [
    { field: 'sizeAddonInitial', max: SIZE_ADDON_MAX },
    { field: 'sizeAddonMaintenance', max: SIZE_ADDON_MAX },
  ],
  together: ['sizeAddonInitial', 'sizeAddonMaintenance'],
  ordered: [{ lower: 'sizeAddonMaintenance', upper: 'sizeAddonInitial', report: 'lower' }],
};
