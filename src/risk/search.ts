/**
 * Integer bracketing and bisection on Decimal, shared by the liquidation schedule and the inverse solvers.
 *
 * Every solver works on an integer count k of a unit u (a size step in contracts, or one smallest unit of an asset),
 * so an answer is exact on its grid and "one unit more" is k + 1. The predicates are monotone in the ranges they are
 * used on; the returned bracket is verified by construction (the predicate was evaluated at both ends).
 */
import Decimal from 'decimal.js';
import { ONE, TWO } from './decimal';

/** Max doublings when bracketing (2^120 units: far beyond any real size or amount). */
export const MAX_DOUBLINGS = 120;

/**
 * Given ok(lo) = true, walks upward with doubling strides until ok(hi) = false. Returns the last true point and the
 * first false one (hi = null when every probe up to lo + 2^MAX_DOUBLINGS held: unbounded).
 */
export function bracketUp(lo: Decimal, ok: (k: Decimal) => boolean): { lo: Decimal; hi: Decimal | null } {
  let stride = ONE;
  let good = lo;
  for (let i = 0; i < MAX_DOUBLINGS; i++) {
    const probe = good.add(stride);
    if (!ok(probe)) return { lo: good, hi: probe };
    good = probe;
    stride = stride.mul(TWO);
  }
  return { lo: good, hi: null };
}

/**
 * Largest integer k in [lo, hi) with ok(k), given ok(lo) = true and ok(hi) = false: halves the bracket until the two
 * ends are adjacent. Returns the adjacent pair (lo true, hi = lo + 1 false).
 */
export function bisectLastTrue(lo: Decimal, hi: Decimal, ok: (k: Decimal) => boolean): { lo: Decimal; hi: Decimal } {
  let a = lo;
  let b = hi;
  while (b.sub(a).gt(ONE)) {
    const mid = a.add(b).div(TWO).toDecimalPlaces(0, Decimal.ROUND_FLOOR);
    if (ok(mid)) a = mid;
    else b = mid;
  }
  return { lo: a, hi: b };
}

/**
 * Smallest integer k in (lo, hi] with ok(k), given ok(lo) = false and ok(hi) = true. Returns the adjacent pair
 * (lo = k − 1 false, hi = k true).
 */
export function bisectFirstTrue(lo: Decimal, hi: Decimal, ok: (k: Decimal) => boolean): { lo: Decimal; hi: Decimal } {
  const r = bisectLastTrue(lo, hi, (k) => !ok(k));
  return { lo: r.lo, hi: r.hi };
}
