/**
 * Plain decimal text → decimal.js `Decimal`, the conversion a risk request does for every NUMERIC it reads (dozens per
 * account). It gives exactly what `new Decimal(text)` gives, built directly into decimal.js's documented
 * representation (`d`: base-1e7 words aligned to the decimal point, first without leading zeros, no trailing zero
 * words; `e`: decimal exponent of the leading digit; `s`: sign) in one pass over the text, without decimal.js's general
 * parser (~5x faster). Anything but plain text (exponents, hexadecimal, Infinity, very long text) goes to decimal.js.
 * test/store/decimal-text.test.ts checks it against decimal.js.
 */
import Decimal from 'decimal.js';

const LOG_BASE = 7;
const ZERO_CHAR = 48;
const NINE_CHAR = 57;
const MINUS = 45;
const POINT = 46;
/** Longer text is left to decimal.js (NUMERIC(65,30) text is at most 67 characters). */
const MAX_FAST_TEXT = 100;

/** A decimal.js class: the global `Decimal` or a clone (the engine's `D`); every class has its own settings. */
export type DecimalClass = typeof Decimal;
type Make = (s: number, e: number, d: number[]) => Decimal;

/**
 * Creates instances of `ctor` with decimal.js's fields, in the order its constructor assigns them (the same instance
 * `new ctor(text)` returns: `constructor` is an own property of every decimal.js instance, naming its class).
 */
function instanceMaker(ctor: DecimalClass): Make {
  function Make(this: { constructor: unknown; s: number; e: number; d: number[] }, s: number, e: number, d: number[]): void {
    this.constructor = ctor;
    this.s = s;
    this.e = e;
    this.d = d;
  }
  Make.prototype = ctor.prototype;
  return (s, e, d) => new (Make as unknown as new (s: number, e: number, d: number[]) => Decimal)(s, e, d);
}

/** One maker per class (a process has two or three: the global Decimal, the engine's D). */
const MAKERS = new Map<DecimalClass, Make>();

function makerFor(ctor: DecimalClass): Make {
  let make = MAKERS.get(ctor);
  if (make === undefined) {
    make = instanceMaker(ctor);
    MAKERS.set(ctor, make);
  }
  return make;
}

const isDigit = (c: number): boolean => c >= ZERO_CHAR && c <= NINE_CHAR;

/**
 * `new ctor(text)` for plain decimal text (an optional minus, digits, optionally a point and more digits: what
 * Postgres writes for a NUMERIC), read in one pass; other text goes to decimal.js. `ctor` is the class the value is
 * created in (decimal.js never rounds on creation, so the value is the text's whatever the class's precision).
 */
export function parseDecimalText(text: string, ctor: DecimalClass = Decimal): Decimal {
  const n = text.length;
  let i = 0;
  let s = 1;
  if (n > 0 && text.charCodeAt(0) === MINUS) {
    s = -1;
    i = 1;
  }
  const intStart = i;
  while (i < n && isDigit(text.charCodeAt(i))) i += 1;
  const intEnd = i;
  let fracStart = i;
  if (i < n && text.charCodeAt(i) === POINT) {
    i += 1;
    fracStart = i;
    while (i < n && isDigit(text.charCodeAt(i))) i += 1;
  }
  const fracEnd = i;
  if (i !== n || n > MAX_FAST_TEXT || intEnd === intStart || (fracStart > intEnd && fracEnd === fracStart)) return new ctor(text);
  // The significant digits run from the first non-zero digit to the last one, across the point.
  let first = intStart;
  while (first < fracEnd && (text.charCodeAt(first) === ZERO_CHAR || first === intEnd)) first += 1;
  const make = makerFor(ctor);
  if (first >= fracEnd) return make(s, 0, [0]);
  let last = fracEnd - 1;
  while (text.charCodeAt(last) === ZERO_CHAR || last === intEnd) last -= 1;
  // Exponent of the leading digit: its place relative to the point (text[intEnd] is the point, if any).
  const e = first < intEnd ? intEnd - 1 - first : intEnd - first;
  // The first word holds the digits down to the next multiple-of-7 place: ((e mod 7) + 1) of them.
  const firstWordDigits = (((e % LOG_BASE) + LOG_BASE) % LOG_BASE) + 1;
  const words: number[] = [];
  let word = 0;
  let inWord = 0;
  let width = firstWordDigits;
  for (let p = first; p <= last; p++) {
    if (p === intEnd) continue;
    word = word * 10 + (text.charCodeAt(p) - ZERO_CHAR);
    inWord += 1;
    if (inWord === width) {
      words.push(word);
      word = 0;
      inWord = 0;
      width = LOG_BASE;
    }
  }
  if (inWord > 0) {
    for (; inWord < width; inWord++) word *= 10;
    words.push(word);
  }
  return make(s, e, words);
}
