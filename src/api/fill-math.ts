/**
 * What a fill does to a position (pure): new size, average entry price and realized PnL.
 * - Opening or increasing: the entry is the size-weighted average (LINEAR: arithmetic mean of prices; INVERSE:
 *   harmonic mean, so that uPnL = q·c·(1/E − 1/P) stays exact).
 * - Reducing: the entry is unchanged; PnL is realized on the closed part at the fill price.
 * - Flipping through zero: the old side is closed (PnL realized), the new side opens at the fill price.
 * PnL is in settlement units (LINEAR quote, INVERSE base), exact (callers round it to the asset's decimals).
 */
import type Decimal from 'decimal.js';
import { D, toD } from '../risk';
import type { ContractType } from '../store/records';

/** Decimal places an averaged entry price is stored with. */
export const ENTRY_PRICE_DECIMALS = 20;

export interface FillOutcome {
  readonly size: Decimal;
  readonly entryPrice: Decimal;
  readonly realizedPnl: Decimal;
  /** Contracts closed by the fill (≥ 0). */
  readonly closed: Decimal;
  /** True when the fill only reduces |size| on the same side (never opens or flips). */
  readonly reducesOnly: boolean;
}

export function applyFillToPosition(args: {
  size: Decimal;
  entryPrice: Decimal;
  fillSize: Decimal;
  fillPrice: Decimal;
  contractSize: Decimal;
  contractType: ContractType;
}): FillOutcome {
  const q0 = toD(args.size);
  const s = toD(args.fillSize);
  const p = toD(args.fillPrice);
  const e0 = toD(args.entryPrice);
  const c = toD(args.contractSize);
  const q1 = q0.add(s);
  const zero = new D(0);
  if (q0.isZero()) return { size: q1, entryPrice: p, realizedPnl: zero, closed: zero, reducesOnly: false };
  if (q0.isNegative() === s.isNegative()) {
    const a0 = q0.abs();
    const a1 = s.abs();
    const entry =
      args.contractType === 'LINEAR'
        ? a0.mul(e0).add(a1.mul(p)).div(a0.add(a1))
        : a0.add(a1).div(a0.div(e0).add(a1.div(p)));
    return {
      size: q1,
      entryPrice: entry.toDecimalPlaces(ENTRY_PRICE_DECIMALS, D.ROUND_HALF_EVEN),
      realizedPnl: zero,
      closed: zero,
      reducesOnly: false,
    };
  }
  const closed = D.min(s.abs(), q0.abs());
  const direction = q0.isNegative() ? -1 : 1;
  const perContract = args.contractType === 'LINEAR' ? p.sub(e0) : new D(1).div(e0).sub(new D(1).div(p));
  const realizedPnl = closed.mul(c).mul(perContract).mul(direction);
  const flips = s.abs().gt(q0.abs());
  return {
    size: q1,
    entryPrice: flips ? p : e0,
    realizedPnl: realizedPnl.isZero() ? zero : realizedPnl,
    closed,
    reducesOnly: !flips,
  };
}
