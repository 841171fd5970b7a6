/**
 * Double-precision margin terms of a delta-one position, for boundary SEARCHES only (liquidation.ts): where a
 * liquidation or bankruptcy boundary lies is located on this model, and the reported price is then snapped to its
 * grid and verified with the PRECISE (Decimal) model, as the option search already does with its FAST Black-76
 * (valuation.ts). A double's error (its own ~1e-16, a few ulps more from `toDouble`) moves an estimate by far less than
 * a tick, and never reaches a result: the snapped price is the one the exact check accepts, with the next tick rejected.
 *
 * The formulas are those of valueDeltaOne (valuation.ts) and maintenanceMarginAt (requirements.ts), in settlement
 * units, without the final round-up to the settlement asset's decimals (< 1e-8 of a unit):
 *   LINEAR:  N = |q|·c·P,  uPnL = q·c·(P − E)
 *   INVERSE: N = |q|·c/P,  uPnL = q·c·(1/E − 1/P)
 *   equity contribution = uPnL + fundingPnL
 *   MM = max(0, N_m·mmr·k − cum·k) + N_m·λ·√(N_m/D), tier of N_m; N_m = N (basis MARK) or the entry notional (basis
 *   ENTRY, where MM does not move with the price: the exact value, computed once).
 */
import { toDouble } from './decimal';
import type { NMarket, NPosition } from './model';
import { entryNotional, maintenanceMarginAt } from './requirements';

export interface FastTier {
  readonly floor: number;
  /** Infinity for the open last tier. */
  readonly cap: number;
  readonly mmrK: number;
  readonly cumK: number;
}

/** A delta-one position's price-independent terms as doubles (built once per search). */
export interface FastDeltaOne {
  readonly linear: boolean;
  readonly qc: number;
  readonly absQc: number;
  readonly entry: number;
  /** 1/E for a non-flat INVERSE position, else 0. */
  readonly inverseEntry: number;
  readonly fundingPnl: number;
  readonly tiers: readonly FastTier[];
  readonly liquidity: { readonly lambda: number; readonly depth: number } | null;
  /** Basis ENTRY: the (exact, constant) MM; null with basis MARK. */
  readonly fixedMaintenance: number | null;
}

/** A market's tiers as doubles, memoized per normalized market (shared across evaluations, model.ts). */
const FAST_TIERS = new WeakMap<NMarket, readonly FastTier[]>();

export function fastTiers(m: NMarket): readonly FastTier[] {
  let tiers = FAST_TIERS.get(m);
  if (tiers === undefined) {
    tiers = m.tiers.map((t) => ({ floor: toDouble(t.floor), cap: t.cap === null ? Infinity : toDouble(t.cap), mmrK: toDouble(t.mmrK), cumK: toDouble(t.cumK) }));
    FAST_TIERS.set(m, tiers);
  }
  return tiers;
}

export function fastDeltaOne(pos: NPosition): FastDeltaOne {
  const m = pos.market;
  if (m.option !== null) throw new Error(`fastDeltaOne: ${m.symbol} is an option`);
  return {
    linear: m.contractType === 'LINEAR',
    qc: toDouble(pos.qc),
    absQc: toDouble(pos.absQc),
    entry: toDouble(pos.entry),
    inverseEntry: pos.inverseEntry === null ? 0 : toDouble(pos.inverseEntry),
    fundingPnl: toDouble(pos.fundingPnl),
    tiers: fastTiers(m),
    liquidity: m.liquidity === null ? null : { lambda: toDouble(m.liquidity.lambda), depth: toDouble(m.liquidity.depth) },
    fixedMaintenance: m.maintenanceBasis === 'ENTRY' ? toDouble(maintenanceMarginAt(pos, entryNotional(pos))) : null,
  };
}

/** Notional at price P (settlement units). */
function notionalAt(f: FastDeltaOne, price: number): number {
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
  if (f.fixedMaintenance !== null) return f.fixedMaintenance;
  const n = notionalAt(f, price);
  // The tier holding N: the last whose floor N reaches (tierForNotional's rule), else the first.
  let tier = f.tiers[0]!;
  for (let i = f.tiers.length - 1; i >= 0; i--) {
    const t = f.tiers[i]!;
    if (n >= t.floor) {
      if (n < t.cap) tier = t;
      break;
    }
  }
  const addon = f.liquidity === null || n === 0 ? 0 : n * f.liquidity.lambda * Math.sqrt(n / f.liquidity.depth);
  return Math.max(0, n * tier.mmrK - tier.cumK) + addon;
}
