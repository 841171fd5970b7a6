/**
 * The engine's decimal arithmetic. Every amount, price and rate inside the engine is a `D` instance: a decimal.js
 * clone with 50 significant digits and banker's rounding, so that callers' global `Decimal` settings never change
 * engine results. Callers may pass any decimal.js `Decimal`; `toD` re-creates it in this context.
 */
import Decimal from 'decimal.js';
import { withExactArithmetic } from './exact';

/** The engine's decimal context (with exact fast paths for +, − and ×, see exact.ts). */
export const ENGINE_DECIMAL_CONFIG: Decimal.Config = {
  precision: 50,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -40,
  toExpPos: 60,
};

export const D = withExactArithmetic(Decimal.clone(ENGINE_DECIMAL_CONFIG));

/** The decimal type used in engine signatures (any decimal.js instance; engine-produced ones are `D`). */
export type Dec = Decimal;

export const ZERO: Decimal = new D(0);
export const ONE: Decimal = new D(1);
export const TWO: Decimal = new D(2);

/**
 * Converts any decimal.js value into the engine's context (no-op for values already created by `D`, which every
 * decimal.js instance names in its own `constructor` property: no prototype-chain walk).
 */
export function toD(x: Decimal.Value): Decimal {
  return typeof x === 'object' && x.constructor === D ? x : new D(x);
}

/**
 * x = 1 exactly, read from the digits (decimal.js documents an instance's `d` digits, `e` exponent and `s` sign):
 * no allocation, unlike `eq(1)`, which copies its argument.
 */
export function isOne(x: Decimal): boolean {
  return x.s === 1 && x.e === 0 && x.d.length === 1 && x.d[0] === 1;
}

/**
 * x·k where k is usually exactly 1 (the index price of the valuation asset, in which most markets settle): x·1 is x,
 * so the multiplication is skipped. Only for an x produced by engine arithmetic (at most 50 significant digits), which
 * the multiplication's rounding to 50 digits would leave unchanged: the result is the same value, sign of zero included.
 */
export function scaleBy(x: Decimal, k: Decimal): Decimal {
  return isOne(k) ? x : x.mul(k);
}

/** Words of x.d read by `toDouble`: 4 base-1e7 words hold at least 22 significant digits, more than a double does. */
const DOUBLE_WORDS = 4;

/** 10^0 … 10^22: exactly representable doubles. */
const POWERS_OF_TEN: readonly number[] = Array.from({ length: 23 }, (_, k) => 10 ** k);

/** 10^k for k ≥ 0: from the table where exact, else `10 ** k` (Math.pow). */
function powerOfTen(k: number): number {
  return k < POWERS_OF_TEN.length ? POWERS_OF_TEN[k]! : 10 ** k;
}

/**
 * x as a double, read from the digits (decimal.js documents `d`: base-1e7 words, the first without leading zeros; `e`:
 * the decimal exponent of the leading digit; `s`: the sign) without the string round trip of `toNumber`. Within a few
 * ulps of the nearest double (relative error < 1e-15), not always the nearest: for the FAST search models only, whose
 * results are snapped and verified exactly. ±Infinity beyond a double's range; NaN and infinities as `toNumber`.
 */
export function toDouble(x: Decimal): number {
  const words = x.d;
  if (!words) return x.toNumber();
  const first = words[0]!;
  if (first === 0) return x.s < 0 ? -0 : 0;
  const n = Math.min(words.length, DOUBLE_WORDS);
  let v = 0;
  for (let i = 0; i < n; i++) v = v * 1e7 + words[i]!;
  let leadingDigits = 1;
  while (leadingDigits < 7 && first >= POWERS_OF_TEN[leadingDigits]!) leadingDigits += 1;
  // v is an integer whose last digit has the place value 10^exp.
  const exp = x.e - (leadingDigits - 1) - 7 * (n - 1);
  const magnitude = exp >= 0 ? v * powerOfTen(exp) : v / powerOfTen(-exp);
  return x.s < 0 ? -magnitude : magnitude;
}

/** Replaces a negative zero (decimal.js keeps the sign of zero) by +0, so results print "0". */
export function normZero(x: Decimal): Decimal {
  return x.isZero() ? ZERO : x;
}

/**
 * Sign of a − b (−1, 0 or 1) read from the digits, as decimal.js's `cmp` computes it but without the copy `cmp` makes
 * of its argument (an allocation per comparison). Non-finite operands go to `cmp` itself. Zeros of either sign are equal.
 */
export function compareD(a: Decimal, b: Decimal): number {
  const ad = a.d;
  const bd = b.d;
  if (!ad || !bd) return a.cmp(b);
  const as = a.s;
  const bs = b.s;
  if (ad[0] === 0 || bd[0] === 0) return ad[0] !== 0 ? as : bd[0] !== 0 ? -bs : 0;
  if (as !== bs) return as;
  if (a.e !== b.e) return (a.e > b.e) !== (as < 0) ? 1 : -1;
  const n = Math.min(ad.length, bd.length);
  for (let i = 0; i < n; i++) {
    if (ad[i] !== bd[i]) return (ad[i]! > bd[i]!) !== (as < 0) ? 1 : -1;
  }
  return ad.length === bd.length ? 0 : (ad.length > bd.length) !== (as < 0) ? 1 : -1;
}

/** x ≤ 0, as `x.lte(0)` answers it (zeros of either sign and −∞ yes; NaN no), without allocating a 0 to compare with. */
export function isNonPositive(x: Decimal): boolean {
  return x.d ? x.d[0] === 0 || x.s < 0 : x.s < 0;
}

export function maxD(a: Decimal, b: Decimal): Decimal {
  return compareD(a, b) >= 0 ? a : b;
}

export function minD(a: Decimal, b: Decimal): Decimal {
  return compareD(a, b) <= 0 ? a : b;
}

/** clamp(x, lo, hi) = min(max(x, lo), hi). */
export function clampD(x: Decimal, lo: Decimal, hi: Decimal): Decimal {
  return minD(maxD(x, lo), hi);
}

/** Rounds up (toward +∞) to `decimals` places: requirements never under-state. */
export function roundUp(x: Decimal, decimals: number): Decimal {
  return x.toDecimalPlaces(decimals, Decimal.ROUND_CEIL);
}

export type TickRounding = 'UP' | 'DOWN';

/** price/tick rounded to an integer, up (toward +∞) or down (toward −∞): the tick count of `roundToTick`. */
export function tickSteps(price: Decimal, tick: Decimal, direction: TickRounding): Decimal {
  return price.div(tick).toDecimalPlaces(0, direction === 'UP' ? Decimal.ROUND_CEIL : Decimal.ROUND_FLOOR);
}

/** Rounds a price onto the tick grid (multiples of `tick`), up (toward +∞) or down (toward −∞). */
export function roundToTick(price: Decimal, tick: Decimal, direction: TickRounding): Decimal {
  return tickSteps(price, tick, direction).mul(tick);
}

/** Floors `x` to a multiple of `step` (step > 0). */
export function floorToStep(x: Decimal, step: Decimal): Decimal {
  return x.div(step).toDecimalPlaces(0, Decimal.ROUND_FLOOR).mul(step);
}
