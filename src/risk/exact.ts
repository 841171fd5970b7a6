/**
 * Fast paths for the engine context's x + y, x − y, x·y, x/y, |x| and −x (and x.toDecimalPlaces when nothing is to be
 * rounded): `withExactArithmetic` gives a decimal.js clone its own prototype whose add/plus, sub/minus, mul/times,
 * div/dividedBy, abs, neg and toDecimalPlaces/toDP compute the result directly on decimal.js's digit representation
 * whenever that gives what decimal.js would return, and call decimal.js's own method in every other case.
 *
 * decimal.js documents an instance's fields: `d`, the digits in base-1e7 words (the first without leading zeros, no
 * trailing zero words, word boundaries aligned to the decimal point); `e`, the decimal exponent of the leading digit;
 * `s`, the sign. That representation is canonical: a value has exactly one (s, e, d).
 *
 * The fast path computes the EXACT sum, difference or product, then does what decimal.js does with it:
 * - at most `precision` significant digits: decimal.js returns it as it is, and so does the fast path;
 * - more: decimal.js rounds it to `precision` significant digits in its rounding mode. The fast path rounds
 *   ROUND_HALF_EVEN (the engine's mode; any other mode goes to decimal.js) and only while decimal.js's module-level
 *   `external` flag is set: decimal.js clears it inside its own algorithms (square root, powers, logarithms, modulo,
 *   hexadecimal parsing…), whose intermediate sums and products are then left unrounded, so there the fast path
 *   hands every rounding case to decimal.js. The flag is read through decimal.js's constructor (see `roundingOn`).
 * Precision, rounding mode and exponent range are read on every call (decimal.js raises the precision for its own
 * internal steps). decimal.js's own method also handles: zeros whose sign decimal.js decides (0 + 0, x − x), infinities
 * and NaN, operands that are not decimals of this context (numbers, strings, a global `Decimal`), results outside the
 * exponent range, and work longer than the scratch words.
 *
 * Results are always new instances, never an operand: decimal.js's algorithms call these methods and then modify what
 * they get back in place.
 *
 * Why: a decimal.js operation copies its argument, grows its result array one push at a time and runs its general
 * rounding; the fast path does none of that (3–5x faster on the engine's operands), and a risk request does thousands
 * of these operations. test/risk/exact.test.ts checks the results against decimal.js.
 */
import Decimal from 'decimal.js';

/** decimal.js's word base and digits per word. */
const BASE = 1e7;
const LOG_BASE = 7;
/** decimal.js's limit on a decimal-places argument. */
const MAX_DIGITS = 1e9;
/** Powers of ten up to a word's base. */
const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7];

/**
 * Scratch words of the operations (module-level and reused: the engine is synchronous and nothing here can re-enter).
 * Results are copied out into exact-size arrays. Work spanning more words (operands with exponents ~400 digits apart,
 * products of very long operands) goes to decimal.js. Every result starts at index ≥ 1, leaving a word for the carry
 * of a rounding up.
 */
const SCRATCH_WORDS = 64;
const scratch = new Int32Array(SCRATCH_WORDS);

/** Number of decimal digits of a word (0 ≤ w < 1e7; 1 for 0). */
function digitsOf(w: number): number {
  return w >= 1e6 ? 7 : w >= 1e5 ? 6 : w >= 1e4 ? 5 : w >= 1e3 ? 4 : w >= 100 ? 3 : w >= 10 ? 2 : 1;
}

/** Trailing zero digits of a non-zero word. */
function trailingZeros(w: number): number {
  let n = 0;
  while (w % 10 === 0) {
    w /= 10;
    n += 1;
  }
  return n;
}

/** The base-1e7 exponent of the first word of a value whose leading digit has decimal exponent e. */
function wordExponent(e: number): number {
  return Math.floor(e / LOG_BASE);
}

/** Significant digits of a finite non-zero value's canonical words. */
function significantDigits(d: readonly number[]): number {
  return digitsOf(d[0]!) + LOG_BASE * (d.length - 1) - trailingZeros(d[d.length - 1]!);
}

/** Significant digits of canonical words (first and last non-zero) scratch[start..end). */
function scratchDigits(start: number, end: number): number {
  return digitsOf(scratch[start]!) + LOG_BASE * (end - start - 1) - trailingZeros(scratch[end - 1]!);
}

/** scratch[start..end) as a packed array of exact size, as decimal.js's own results are. */
function scratchWords(start: number, end: number): number[] {
  const b = scratch;
  switch (end - start) {
    case 1:
      return [b[start]!];
    case 2:
      return [b[start]!, b[start + 1]!];
    case 3:
      return [b[start]!, b[start + 1]!, b[start + 2]!];
    case 4:
      return [b[start]!, b[start + 1]!, b[start + 2]!, b[start + 3]!];
    default: {
      const words: number[] = [];
      for (let i = start; i < end; i++) words.push(b[i]!);
      return words;
    }
  }
}

/** Compares |x| and |y| (finite, non-zero, canonical): −1, 0 or 1. */
function compareMagnitudes(xe: number, xd: readonly number[], ye: number, yd: readonly number[]): number {
  if (xe !== ye) return xe > ye ? 1 : -1;
  const n = xd.length < yd.length ? xd.length : yd.length;
  for (let i = 0; i < n; i++) if (xd[i] !== yd[i]) return xd[i]! > yd[i]! ? 1 : -1;
  return xd.length === yd.length ? 0 : xd.length > yd.length ? 1 : -1;
}

/**
 * Where the last operation left its result: scratch[resultStart..resultEnd), canonical (first and last words non-zero),
 * the first word with base-1e7 exponent resultTop. Module-level to return three numbers without allocating.
 */
let resultStart = 0;
let resultEnd = 0;
let resultTop = 0;

/** Narrows scratch[start..end) (first word of base-1e7 exponent `top`) to its non-zero words: sets result*. */
function settle(start: number, end: number, top: number): void {
  const b = scratch;
  let s = start;
  while (b[s] === 0) s += 1;
  let e = end;
  while (b[e - 1] === 0) e -= 1;
  resultStart = s;
  resultEnd = e;
  resultTop = top - (s - start);
}

/**
 * |x| + |y| (subtract false) or |x| − |y| (subtract true, |x| > |y|) of finite non-zero canonical operands into the
 * scratch; sets result*. False when it spans more words than the scratch holds.
 */
function combineMagnitudes(xe: number, xd: readonly number[], ye: number, yd: readonly number[], subtract: boolean): boolean {
  const kx = wordExponent(xe);
  const ky = wordExponent(ye);
  // Word i of x has base-1e7 exponent kx − i. The result spans exponents top … bottom, in scratch[2..n+1], with
  // scratch[1] for an addition's carry.
  const top = kx > ky ? kx : ky;
  const bottomX = kx - xd.length + 1;
  const bottomY = ky - yd.length + 1;
  const n = top - (bottomX < bottomY ? bottomX : bottomY) + 1;
  if (n + 2 > SCRATCH_WORDS) return false;
  const b = scratch;
  const xl = xd.length;
  const yl = yd.length;
  let carry = 0;
  for (let j = n + 1; j >= 2; j--) {
    const ix = kx - top + j - 2;
    const iy = ky - top + j - 2;
    const wx = ix >= 0 && ix < xl ? xd[ix]! : 0;
    const wy = iy >= 0 && iy < yl ? yd[iy]! : 0;
    let t = subtract ? wx - wy - carry : wx + wy + carry;
    if (t < 0) {
      t += BASE;
      carry = 1;
    } else if (t >= BASE) {
      t -= BASE;
      carry = 1;
    } else {
      carry = 0;
    }
    b[j] = t;
  }
  // |x| > |y|: a subtraction ends without a borrow.
  b[1] = subtract ? 0 : carry;
  settle(1, n + 2, top + 1);
  return true;
}

/** |x|·|y| of finite non-zero canonical operands into the scratch; sets result*. False when too long for the scratch. */
function multiplyMagnitudes(xe: number, xd: readonly number[], ye: number, yd: readonly number[]): boolean {
  if (xd.length < yd.length) {
    const t = xd;
    xd = yd;
    yd = t;
  }
  const xl = xd.length;
  const yl = yd.length;
  const n = xl + yl;
  if (n + 1 > SCRATCH_WORDS) return false;
  const b = scratch;
  for (let k = 1; k <= n; k++) b[k] = 0;
  // Schoolbook product in base 1e7 into scratch[1..n]: every partial sum stays below 2^53 (word products < 1e14).
  for (let i = yl - 1; i >= 0; i--) {
    const w = yd[i]!;
    let carry = 0;
    for (let j = xl - 1; j >= 0; j--) {
      const t = b[i + j + 2]! + w * xd[j]! + carry;
      carry = Math.floor(t / BASE);
      b[i + j + 2] = t - carry * BASE;
    }
    b[i + 1] = carry;
  }
  // scratch[1] has base-1e7 exponent kx + ky + 1 and may be 0.
  settle(1, n + 1, wordExponent(xe) + wordExponent(ye) + 1);
  return true;
}

/** Working words of a long division: the (normalized) dividend with its remainder, and the normalized divisor. */
const dividend = new Float64Array(SCRATCH_WORDS);
const divisor = new Float64Array(SCRATCH_WORDS);

/**
 * Whether the last division left a non-zero remainder (its quotient in the scratch is a truncation). Module-level like
 * result*.
 */
let remainderNonZero = false;

/**
 * |x|/|y| of finite non-zero canonical operands, truncated to `quotientWords` base-1e7 words or more, into the scratch
 * (sets result* and remainderNonZero). Schoolbook long division in base 1e7 (Knuth's algorithm D: both operands scaled
 * so the divisor's first word is at least half the base, each quotient word estimated from the leading words and
 * corrected at most twice); every intermediate stays below 2^53. False when the words do not fit the scratch.
 *
 * x = X·B^(kx−xl+1) and y = Y·B^(ky−yl+1) for the integers X, Y of their words (B = 1e7, k the first word's base-B
 * exponent, l the word count). With X extended by zero words to L ≥ xl words, Q = floor(X·B^(L−xl) / Y) has L − yl + 1
 * words, the first of base-B exponent kx − ky.
 */
function divideMagnitudes(
  xe: number,
  xd: readonly number[],
  ye: number,
  yd: readonly number[],
  quotientWords: number,
): boolean {
  const xl = xd.length;
  const yl = yd.length;
  const L = Math.max(xl, yl + quotientWords - 1);
  const n = L - yl + 1;
  if (L + 2 > SCRATCH_WORDS || n + 2 > SCRATCH_WORDS) return false;
  const u = dividend;
  const v = divisor;
  const q = scratch;
  if (yl === 1) {
    const v0 = yd[0]!;
    let r = 0;
    for (let i = 0; i < L; i++) {
      const t = r * BASE + (i < xl ? xd[i]! : 0);
      const w = Math.floor(t / v0);
      q[i + 2] = w;
      r = t - w * v0;
    }
    remainderNonZero = r !== 0;
  } else {
    // Normalize: v[0] ≥ B/2 after scaling both by f; u gets one more leading word.
    const f = Math.floor(BASE / (yd[0]! + 1));
    let carry = 0;
    for (let i = yl - 1; i >= 0; i--) {
      const t = yd[i]! * f + carry;
      carry = Math.floor(t / BASE);
      v[i] = t - carry * BASE;
    }
    carry = 0;
    for (let i = L - 1; i >= 0; i--) {
      const t = (i < xl ? xd[i]! : 0) * f + carry;
      carry = Math.floor(t / BASE);
      u[i + 1] = t - carry * BASE;
    }
    u[0] = carry;
    const v0 = v[0]!;
    const v1 = v[1]!;
    for (let j = 0; j < n; j++) {
      // Estimate the quotient word from the two leading remainder words, then correct it with the divisor's second.
      const num = u[j]! * BASE + u[j + 1]!;
      let qhat = Math.floor(num / v0);
      let rhat = num - qhat * v0;
      if (qhat >= BASE) {
        qhat = BASE - 1;
        rhat = num - qhat * v0;
      }
      while (rhat < BASE && qhat * v1 > rhat * BASE + u[j + 2]!) {
        qhat -= 1;
        rhat += v0;
      }
      // u[j..j+yl] −= qhat·v.
      let mulCarry = 0;
      let borrow = 0;
      for (let i = yl - 1; i >= 0; i--) {
        const p = qhat * v[i]! + mulCarry;
        mulCarry = Math.floor(p / BASE);
        let t = u[j + 1 + i]! - (p - mulCarry * BASE) - borrow;
        if (t < 0) {
          t += BASE;
          borrow = 1;
        } else {
          borrow = 0;
        }
        u[j + 1 + i] = t;
      }
      let top = u[j]! - mulCarry - borrow;
      if (top < 0) {
        // qhat was one too large (rare): add the divisor back.
        qhat -= 1;
        let c = 0;
        for (let i = yl - 1; i >= 0; i--) {
          let t = u[j + 1 + i]! + v[i]! + c;
          if (t >= BASE) {
            t -= BASE;
            c = 1;
          } else {
            c = 0;
          }
          u[j + 1 + i] = t;
        }
        // The carry out of the low words cancels the top word's deficit (qhat was at most one too large).
        top += c;
      }
      u[j] = top;
      q[j + 2] = qhat;
    }
    let nonZero = false;
    for (let i = n; i <= L && !nonZero; i++) nonZero = u[i] !== 0;
    remainderNonZero = nonZero;
  }
  q[1] = 0;
  settle(2, n + 2, wordExponent(xe) - wordExponent(ye));
  return true;
}

/**
 * Rounds the result (more than `sd` significant digits) to `sd` significant digits, ties to even, in place; sets
 * result*. The digit after the last kept one decides, the rest breaks a tie, and a tie keeps the last digit even.
 * `inexact`: the result is a truncation of a longer value (a quotient with a non-zero remainder), whose dropped part
 * counts in the rest.
 */
function roundHalfEven(sd: number, inexact = false): void {
  const b = scratch;
  const start = resultStart;
  const end = resultEnd;
  const leading = digitsOf(b[start]!);
  // The last kept digit lies in word `kw`, `kept` digits into it (counting a non-first word's leading zeros); `unit` is
  // its place value within the word.
  let kw: number;
  let kept: number;
  if (sd <= leading) {
    kw = start;
    kept = sd;
  } else {
    kw = start + Math.ceil((sd - leading) / LOG_BASE);
    kept = sd - leading - LOG_BASE * (kw - start - 1);
  }
  const width = kw === start ? leading : LOG_BASE;
  const unit = POW10[width - kept]!;
  const w = b[kw]!;
  const dropped = w % unit;
  // The rounding digit (the first dropped one) and whether anything after it is non-zero.
  let roundingDigit: number;
  let rest: boolean;
  if (unit > 1) {
    roundingDigit = Math.floor(dropped / (unit / 10));
    rest = inexact || dropped % (unit / 10) !== 0;
    for (let i = kw + 1; !rest && i < end; i++) rest = b[i] !== 0;
  } else {
    const next = kw + 1 < end ? b[kw + 1]! : 0;
    roundingDigit = Math.floor(next / 1e6);
    rest = inexact || next % 1e6 !== 0;
    for (let i = kw + 2; !rest && i < end; i++) rest = b[i] !== 0;
  }
  const lastKept = Math.floor(w / unit) % 10;
  const up = roundingDigit > 5 || (roundingDigit === 5 && (rest || lastKept % 2 === 1));
  b[kw] = w - dropped;
  b[start - 1] = 0;
  if (up) {
    let i = kw;
    b[i] = b[i]! + unit;
    while (b[i]! >= BASE) {
      b[i] = b[i]! - BASE;
      i -= 1;
      b[i] = b[i]! + 1;
    }
  }
  // A carry out of the first word makes scratch[start − 1] the first word.
  settle(start - 1, kw + 1, resultTop + 1);
}

/** Installs the fast paths on `Ctor` (a decimal.js clone), see the module comment; returns `Ctor`. */
export function withExactArithmetic<C extends typeof Decimal>(Ctor: C): C {
  const base = Ctor.prototype;
  const baseAdd = base.add;
  const baseSub = base.sub;
  const baseMul = base.mul;
  const baseToDecimalPlaces = base.toDecimalPlaces;
  const baseDiv = base.div;
  const baseAbs = base.abs;
  const baseNeg = base.neg;
  const proto = Object.create(base) as Decimal;
  // The context settings read on every call, mirrored into locals: decimal.js keeps them as properties of the
  // constructor (a slow, dictionary-mode object) and changes `precision` for its own internal steps; the accessors
  // keep each local equal to the property at all times.
  let precision = Ctor.precision;
  let rounding = Ctor.rounding;
  let minE = Ctor.minE;
  let maxE = Ctor.maxE;
  Object.defineProperties(Ctor, {
    precision: { get: () => precision, set: (v: number) => (precision = v), enumerable: true, configurable: true },
    rounding: { get: () => rounding, set: (v: Decimal.Rounding) => (rounding = v), enumerable: true, configurable: true },
    minE: { get: () => minE, set: (v: number) => (minE = v), enumerable: true, configurable: true },
    maxE: { get: () => maxE, set: (v: number) => (maxE = v), enumerable: true, configurable: true },
  });

  /** Creates an instance with decimal.js's fields, in the order its constructor assigns them. */
  function Make(this: { constructor: unknown; s: number; e: number; d: number[] }, s: number, e: number, d: number[]): void {
    this.constructor = Ctor;
    this.s = s;
    this.e = e;
    this.d = d;
  }
  Make.prototype = proto;
  const make = (s: number, e: number, d: number[]): Decimal => new (Make as unknown as new (s: number, e: number, d: number[]) => Decimal)(s, e, d);

  /**
   * decimal.js's `external` flag, read through its constructor: copying an instance whose exponent is below minE gives
   * zero while the flag is set (results are rounded and range-checked) and copies the exponent while it is clear
   * (inside decimal.js's own algorithms).
   */
  const belowRange = make(1, -Number.MAX_SAFE_INTEGER, [1]);
  const roundingOn = (): boolean => new Ctor(belowRange).d[0] === 0;

  /** y is a finite value of this context. */
  const ours = (y: unknown): y is Decimal =>
    typeof y === 'object' && y !== null && (y as Decimal).constructor === Ctor && (y as Decimal).d !== null;

  /** The result the last operation left in the scratch, rounded as decimal.js would; null = decimal.js decides. */
  function result(s: number): Decimal | null {
    if (scratchDigits(resultStart, resultEnd) > precision) {
      if (rounding !== Decimal.ROUND_HALF_EVEN || !roundingOn()) return null;
      roundHalfEven(precision);
    }
    const e = resultTop * LOG_BASE + digitsOf(scratch[resultStart]!) - 1;
    if (e > maxE || e < minE) return null;
    return make(s, e, scratchWords(resultStart, resultEnd));
  }

  /** A fresh copy of the non-zero finite x (sign s) when within the precision; else null (decimal.js rounds it). */
  function copy(s: number, x: Decimal): Decimal | null {
    const d = x.d;
    return significantDigits(d) > precision ? null : make(s, x.e, d.slice());
  }

  /** x + sy·|y| for finite x and y of this context (sy = y.s for x + y, −y.s for x − y); null = decimal.js decides. */
  function signedSum(x: Decimal, y: Decimal, sy: number): Decimal | null {
    const xd = x.d;
    const yd = y.d;
    const xZero = xd[0] === 0;
    const yZero = yd[0] === 0;
    if (xZero || yZero) return xZero && yZero ? null : xZero ? copy(sy, y) : copy(x.s, x);
    if (x.s === sy) return combineMagnitudes(x.e, xd, y.e, yd, false) ? result(sy) : null;
    const c = compareMagnitudes(x.e, xd, y.e, yd);
    if (c === 0) return null; // an exact zero: decimal.js decides its sign
    const done = c > 0 ? combineMagnitudes(x.e, xd, y.e, yd, true) : combineMagnitudes(y.e, yd, x.e, xd, true);
    return done ? result(c > 0 ? x.s : sy) : null;
  }

  function product(x: Decimal, y: Decimal): Decimal | null {
    const xd = x.d;
    const yd = y.d;
    // A zero product: decimal.js gives new Ctor(±0), the sign the product of the signs.
    if (xd[0] === 0 || yd[0] === 0) return make(x.s * y.s, 0, [0]);
    return multiplyMagnitudes(x.e, xd, y.e, yd) ? result(x.s * y.s) : null;
  }

  proto.add = proto.plus = function add(this: Decimal, y: Decimal.Value): Decimal {
    return (this.d !== null && ours(y) ? signedSum(this, y, y.s) : null) ?? baseAdd.call(this, y);
  };
  proto.sub = proto.minus = function sub(this: Decimal, y: Decimal.Value): Decimal {
    return (this.d !== null && ours(y) ? signedSum(this, y, -y.s) : null) ?? baseSub.call(this, y);
  };
  proto.mul = proto.times = function mul(this: Decimal, y: Decimal.Value): Decimal {
    return (this.d !== null && ours(y) ? product(this, y) : null) ?? baseMul.call(this, y);
  };
  /**
   * x/y: decimal.js computes the quotient's words by long division to at least precision + 1 significant digits, notes
   * whether the remainder is zero, and rounds the truncated quotient to the precision in its rounding mode, the
   * remainder breaking ties: the correctly rounded quotient (with or without its `external` flag). So does this, ties
   * to even; other rounding modes, zeros, infinities, foreign operands and results outside the range are decimal.js's.
   */
  proto.div = proto.dividedBy = function div(this: Decimal, y: Decimal.Value): Decimal {
    const xd = this.d;
    if (xd !== null && xd[0] !== 0 && ours(y) && y.d[0] !== 0 && rounding === Decimal.ROUND_HALF_EVEN) {
      // Words enough for precision + 1 digits after a first word of one digit, and one more: the first may be zero.
      if (divideMagnitudes(this.e, xd, y.e, y.d, Math.ceil((precision + 1) / LOG_BASE) + 2)) {
        if (scratchDigits(resultStart, resultEnd) > precision) roundHalfEven(precision, remainderNonZero);
        const e = resultTop * LOG_BASE + digitsOf(scratch[resultStart]!) - 1;
        if (e <= maxE && e >= minE) return make(this.s * y.s, e, scratchWords(resultStart, resultEnd));
      }
    }
    return baseDiv.call(this, y);
  };
  /**
   * |x| and −x: decimal.js copies x (a copy outside the exponent range is ±Infinity or zero), sets the sign and range
   * checks the copy without rounding it (`finalise` without a precision). For a finite x within the range that is a
   * fresh instance with x's exponent and words and the new sign, which this returns; anything else is decimal.js's.
   */
  proto.abs = proto.absoluteValue = function abs(this: Decimal): Decimal {
    const d = this.d;
    return d !== null && this.e <= maxE && this.e >= minE ? make(1, this.e, d.slice()) : baseAbs.call(this);
  };
  proto.neg = proto.negated = function neg(this: Decimal): Decimal {
    const d = this.d;
    return d !== null && this.e <= maxE && this.e >= minE ? make(-this.s, this.e, d.slice()) : baseNeg.call(this);
  };
  /**
   * x rounded to dp decimal places: when x has no more than dp of them (and is finite, non-zero and in range), decimal.js
   * returns a copy of x, and so does this; anything else (rounding, zeros, invalid arguments) is decimal.js's.
   */
  proto.toDecimalPlaces = proto.toDP = function toDecimalPlaces(this: Decimal, dp?: number, rm?: Decimal.Rounding): Decimal {
    const d = this.d;
    if (
      d !== null &&
      d[0] !== 0 &&
      typeof dp === 'number' &&
      Number.isInteger(dp) &&
      dp >= 0 &&
      dp <= MAX_DIGITS &&
      (rm === undefined || (Number.isInteger(rm) && rm >= 0 && rm <= 8)) &&
      this.e <= maxE &&
      this.e >= minE
    ) {
      if (significantDigits(d) - 1 - this.e <= dp) return make(this.s, this.e, d.slice());
    }
    return baseToDecimalPlaces.call(this, dp as number, rm as Decimal.Rounding);
  };
  Ctor.prototype = proto;
  return Ctor;
}
