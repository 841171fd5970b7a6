/**
 * Bounded doubles: a double `v` with an absolute error bound `e` such that |x − v| ≤ e, where x is the value the exact
 * engine (src/risk, decimal.js at 50 significant digits) computes for the same formula. Every operation propagates
 * the operands' bounds and adds its own local error:
 *
 *   a ± b:  v = fl(a ± b),  e = ea + eb + (|a| + |b|)·REL + TINY
 *   a · b:  v = fl(a·b),    e = |a|·eb + |b|·ea + ea·eb + |v|·REL + TINY
 *   a / b:  v = fl(a/b),    e = (ea + |v|·(1 + REL)·eb) / (|b| − eb) + |v|·REL + TINY   (undecided: |b| ≤ eb)
 *   √a:     v = fl(√a),     e = ea / (√(a − ea) + v) + |v|·REL + TINY  (a − ea ≤ 0: e = √(a + ea) + TINY)
 *   max(a, b), max(0, a):   1-Lipschitz, e = max(ea, eb)
 *   ⌈a⌉ to 10^−d:           the result lies in [x, x + 10^−d): v = a + s/2, e = ea + s/2 + |v|·REL, s ≥ 10^−d
 *
 * REL = 2^−52 is twice the unit roundoff of round-to-nearest doubles: it covers the double's own rounding (≤ 2^−53
 * of the result) and the engine's (≤ 5·10^−50 of each operand or result, whatever order the engine adds in: hence
 * the (|a| + |b|) of the sum). TINY = 2^−1022 covers subnormal results. Bounds are themselves computed in floating
 * point: after n operations their own relative rounding is below 3n·2^−53, which the SAFETY factor applied at every
 * decision (2^−20 of the bound) covers for any n below 10^9. Overflow gives ∞ or NaN, which no decision accepts.
 *
 * Conversions from Decimal use `Decimal#toNumber` (the string's nearest double: JavaScript's string to number
 * conversion is correctly rounded), so |x − v| ≤ 2^−53·|v| (+ subnormal slack).
 */
import type Decimal from 'decimal.js';

/** Local relative error of one operation (2^−52, see the module comment). */
export const REL = 2 ** -52;
/** Absolute slack for subnormal results (2^−1022). */
export const TINY = 2 ** -1022;
/** Decisions need |v| > e·SAFETY (the bound's own floating-point rounding, see the module comment). */
export const SAFETY = 1 + 2 ** -20;

/** A double and its absolute error bound (|exact − value| ≤ error). */
export interface BoundedDouble {
  readonly value: number;
  readonly error: number;
}

/** A Decimal as a double with its conversion error (nearest double, ≤ 2^−53 relative; NaN/∞ stay non-finite). */
export function toBoundedDouble(x: Decimal): BoundedDouble {
  const value = x.toNumber();
  return { value, error: Math.abs(value) * REL + TINY };
}

/** Error bound of a converted double (same rule as toBoundedDouble, for a value already converted). */
export function conversionError(value: number): number {
  return Math.abs(value) * REL + TINY;
}

/**
 * Sign of a bounded value: 1 when certainly > 0, −1 when certainly < 0, 0 when the bound cannot tell (including an
 * exact zero, whose sign the exact engine may carry: decimal.js has −0, and NaN).
 */
export function signOf(v: number, e: number): -1 | 0 | 1 {
  const m = e * SAFETY;
  if (v > m) return 1;
  if (v < -m) return -1;
  return 0;
}

/**
 * The arithmetic of bounded doubles on plain numbers, without allocating: each operation returns the value and
 * leaves the result's error bound in `err` (read it before the next operation). One instance per screening call.
 */
export class BoundedOps {
  /** Error bound of the last result. */
  err = 0;

  add(a: number, ea: number, b: number, eb: number): number {
    const v = a + b;
    this.err = ea + eb + (Math.abs(a) + Math.abs(b)) * REL + TINY;
    return v;
  }

  sub(a: number, ea: number, b: number, eb: number): number {
    const v = a - b;
    this.err = ea + eb + (Math.abs(a) + Math.abs(b)) * REL + TINY;
    return v;
  }

  mul(a: number, ea: number, b: number, eb: number): number {
    const v = a * b;
    this.err = Math.abs(a) * eb + Math.abs(b) * ea + ea * eb + Math.abs(v) * REL + TINY;
    return v;
  }

  /** a/b; NaN (undecidable) when the bound of b reaches 0. */
  div(a: number, ea: number, b: number, eb: number): number {
    const ab = Math.abs(b);
    if (!(ab > eb)) {
      this.err = NaN;
      return NaN;
    }
    const v = a / b;
    const av = Math.abs(v);
    this.err = (ea + av * (1 + REL) * eb) / (ab - eb) + av * REL + TINY;
    return v;
  }

  /** √a (a ≥ 0 in the exact engine); NaN when a is certainly negative. */
  sqrt(a: number, ea: number): number {
    if (a < -ea) {
      this.err = NaN;
      return NaN;
    }
    const v = Math.sqrt(Math.max(a, 0));
    const lo = a - ea;
    this.err = (lo > 0 ? ea / (Math.sqrt(lo) + v) : Math.sqrt(a + ea)) + v * REL + TINY;
    return v;
  }

  /** max(a, b) (1-Lipschitz). */
  max(a: number, ea: number, b: number, eb: number): number {
    this.err = ea > eb ? ea : eb;
    return a >= b ? a : b;
  }

  /** max(0, a). */
  max0(a: number, ea: number): number {
    this.err = ea;
    return a > 0 ? a : 0;
  }

  /**
   * ⌈a⌉ to a multiple of 10^−decimals (the engine's roundUp), given `step` ≥ 10^−decimals (see `ceilStep`): the exact
   * result lies in [x, x + 10^−decimals), so the midpoint a + step/2 is within ea + step/2 of it.
   */
  ceilTo(a: number, ea: number, step: number): number {
    const h = step / 2;
    const v = a + h;
    this.err = ea + h + Math.abs(v) * REL + TINY;
    return v;
  }
}

/** An upper bound of 10^−decimals as a double (Math.pow is within a few ulps; 2^−48 relative more covers it). */
export function ceilStep(decimals: number): number {
  return 10 ** -decimals * (1 + 2 ** -48);
}
