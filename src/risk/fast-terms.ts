/**
 * Double-precision margin terms of a delta-one position, for boundary SEARCHES only (liquidation.ts): where a
 * liquidation or bankruptcy boundary lies is located on this model, and the reported price is then snapped to its
 * grid and verified with the PRECISE (Decimal) model, as the option search already does with its FAST Black-Scholes-Merton
 * (valuation.ts). A double's error (its own ~1e-16, a few ulps more from `toDouble`) moves an estimate by far less than
 * a tick, and never reaches a result: the snapped price is the one the exact check accepts, with the next tick rejected.
 *
 * The formulas are those of valueDeltaOne (valuation.ts) and maintenanceMarginAt (requirements.ts), in settlement
 * units, without the final round-up to the settlement asset's decimals (< 1e-8 of a unit):
 *   LINEAR:  N = |q|·c·P,  uPnL = q·c·(P − E)
 *   INVERSE: N = |q|·c/P,  uPnL = q·c·(1/E − 1/P)
 *   equity contribution = uPnL + fundingPnL
 *   MM = max(0, N_m·mmr·k − cum·k) + N_m·k_mm·|q| + N_m·λ·√(N_m/D) + f·N, tier of N_m; N_m = N (basis MARK) or the
 *   entry notional (basis ENTRY, where every term but the closing fee f·N does not move with the price: the exact
 *   value, computed once); k_mm·|q| the size add-on's rate (rules/size-addon.ts), f the closing fee rate
 *   (rules/closing-fee.ts).
 */
import { toDouble } from './decimal';
import { fastMaintenanceTerm, fastTierAt, fastTiers, type FastTier } from './rules/tier-rates';
import type { NPosition } from './model';
import { entryNotional, maintenanceMarginAt } from './requirements';
import { fastSizeAddonMaintenanceRate } from './rules/size-addon';
import { fastClosingFeeRate } from './rules/closing-fee';
import { fastLiquidityAddon, fastLiquidityAddonAt, type FastLiquidityAddon } from './rules/liquidity-addon';

export interface FastDeltaOne {
  readonly linear: boolean;
  readonly qc: number;
  readonly absQc: number;
  readonly entry: number;
  /** 1/E for a non-flat INVERSE position, else 0. */
  readonly inverseEntry: number;
  readonly fundingPnl: number;
  readonly tiers: readonly FastTier[];
  readonly liquidity: FastLiquidityAddon | null;
  /** Basis ENTRY: the (exact, constant) MM without the closing fee; null with basis MARK. */
  readonly fixedMaintenance: number | null;
  /** Size add-on MM rate k_mm·|q| (0 when off). */
  readonly sizeRate: number;
  /** Closing fee rate f (0 when off). */
  readonly feeRate: number;
}

/** Basis ENTRY: the exact MM at the entry notional, less the closing fee it holds there (re-added at each price). */
function fixedEntryMaintenance(pos: NPosition, feeRate: number): number {
  const n = entryNotional(pos);
  return toDouble(maintenanceMarginAt(pos, n)) - feeRate * toDouble(n);
}

export function fastDeltaOne(pos: NPosition): FastDeltaOne {
  const m = pos.market;
  if (m.option !== null) throw new Error(`fastDeltaOne: ${m.symbol} is an option`);
  const feeRate = fastClosingFeeRate(m.closingFeeRate);
  return {
    linear: m.contractType === 'LINEAR',
    qc: toDouble(pos.qc),
    absQc: toDouble(pos.absQc),
    entry: toDouble(pos.entry),
    inverseEntry: pos.inverseEntry === null ? 0 : toDouble(pos.inverseEntry),
    fundingPnl: toDouble(pos.fundingPnl),
    tiers: fastTiers(m),
    liquidity: fastLiquidityAddon(m.liquidity),
    fixedMaintenance: m.maintenanceBasis === 'ENTRY' ? fixedEntryMaintenance(pos, feeRate) : null,
    sizeRate: fastSizeAddonMaintenanceRate(m.sizeAddon, pos.absQ),
    feeRate,
  };
}

/** Notional at price P (settlement units). */
export function fastNotionalAt(f: FastDeltaOne, price: number): number {
  return f.linear ? f.absQc * price : f.absQc / price;
}

/** uPnL + fundingPnL at price P (settlement units). */
export function fastEquityAt(f: FastDeltaOne, price: number): number {
  if (f.absQc === 0) return f.fundingPnl;
  const upnl = f.linear ? f.qc * (price - f.entry) : f.qc * (f.inverseEntry - 1 / price);
  return upnl + f.fundingPnl;
}

/** MM at price P (settlement units, not rounded up). */
export function fastMaintenanceAt(f: FastDeltaOne, price: number): number {
  const n = fastNotionalAt(f, price);
  if (f.fixedMaintenance !== null) return f.fixedMaintenance + f.feeRate * n;
  const tier = fastTierAt(f.tiers, n);
  const addon = fastLiquidityAddonAt(f.liquidity, n);
  return fastMaintenanceTerm(tier, n) + n * f.sizeRate + addon + f.feeRate * n;
}
