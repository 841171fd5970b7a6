/**
 * Screened account figures: the account risk table's row figures (status, margin ratio, equity, margin equities,
 * IM, MM, free collateral, total notional, prices-as-of) computed without Decimal arithmetic, and returned only when
 * they are PROVEN equal to what the exact engine reports (evaluateAccountFigures, then the precision policy of
 * src/risk/precision.ts); otherwise a fallback reason, and the caller evaluates the account exactly.
 *
 * Every quantity is a `Fig`, two lanes computed together:
 *
 * - the bounded lane (bounds.ts): a double v and a bound e with |x − v| ≤ e, x the engine's value;
 * - the exact lane, when x is known exactly: x = m·10^−k with m an integer below 2^53 in magnitude (a double holds
 *   it exactly) and 0 ≤ k ≤ 22 (10^k is an exact double). Sums, differences and products of exact figures are exact
 *   while the result fits (checked; otherwise the figure continues in the bounded lane only); a quotient or a square
 *   root is bounded. The engine computes the same sums and products at 50 significant digits, which is exact for
 *   operands of at most 16 digits: the exact lane and the engine agree digit for digit.
 *
 * A rounding (the engine's ⌈·⌉ of requirements to the settlement decimals; the reported ⌊·⌋ / ⌈·⌉ of money to the
 * valuation decimals) of an exact figure is done exactly on its integer; of a bounded figure, it is DECIDED when the
 * whole interval [v − e, v + e] lies in one rounding cell, which makes the result exact again. A reported ratio
 * (12 significant digits, half to even) is decided when the interval contains no rounding midpoint. A comparison
 * (tier, status) of exact figures is exact; of bounded ones, decided when the interval excludes the boundary. Any
 * undecided step that the row needs returns TOO_CLOSE (or TIER_BOUNDARY), never a guess; so does an exact zero whose
 * sign the engine would read (equity −0 is BANKRUPT in decimal.js).
 *
 * The formulas are the engine's, as in evaluate.ts (which decides statuses from the bounded lane alone).
 */
import type Decimal from 'decimal.js';
import type { AccountStatus, AccountSnapshot, MarginMode } from '../types';
import { D, ONE, compareD, isNonPositive } from '../decimal';
import { RATIO_SIGNIFICANT_DIGITS, valuationDecimalsOf, type RowFigures, type RowFigureTexts } from '../precision';
import { leverageRateOf } from '../rules/user-leverage';
import { own } from '../lookup';
import { REL, TINY, SAFETY, ceilStep, signOf } from './bounds';
import { buildScreenTable, marketInputsOf, type MarketInputs, type ScreenContext, type ScreenFallbackReason, type ScreenTable } from './table';
import { hasDuplicate } from './account';

/** A figure: the bounded lane (v, e) and, when exact, the exact lane x = m·10^−k (m NaN: not known exactly). */
export interface Fig {
  readonly v: number;
  readonly e: number;
  readonly m: number;
  readonly k: number;
}

/**
 * A figure the operations below write into. Operations never allocate (V8 boxes every double it stores in a new
 * object, so a figure per operation would make the screen allocation-bound): they write their result into a register
 * given by the caller, reading both operands before writing (a register may be an operand of its own operation).
 */
class Reg implements Fig {
  v = 0.5;
  e = 0.5;
  m = 0.5;
  k = 0;
}

/** Exclusive bound of exact-lane integers (every integer below it is an exact double). */
const LIMIT = 2 ** 53;
/** Largest exact-lane scale: 10^22 is the largest power of ten that is an exact double. */
const MAX_SCALE = 22;
const POW10: readonly number[] = Array.from({ length: MAX_SCALE + 1 }, (_, i) => 10 ** i);
/** Relative slack of a rounding-cell decision (the two or three floating-point operations that locate the cell). */
const CELL_SLACK = 2 ** -50;

/** out := m·10^−k exactly (trailing zeros of m removed while k > 0, so k stays small). */
function setExact(out: Reg, m: number, k: number): Reg {
  if (m === 0) {
    k = 0;
  } else {
    while (k > 0) {
      const q = m / 10;
      if (q !== Math.trunc(q)) break;
      m = q;
      k -= 1;
    }
  }
  const v = k === 0 ? m : m / POW10[k]!;
  out.v = v;
  out.e = Math.abs(v) * REL + TINY;
  out.m = m;
  out.k = k;
  return out;
}

function setBounded(out: Reg, v: number, e: number): Reg {
  out.v = v;
  out.e = e;
  out.m = NaN;
  out.k = 0;
  return out;
}

function copy(out: Reg, a: Fig): Reg {
  out.v = a.v;
  out.e = a.e;
  out.m = a.m;
  out.k = a.k;
  return out;
}

const ZERO_FIG: Fig = setExact(new Reg(), 0, 0);

function isExact(a: Fig): boolean {
  return a.m === a.m;
}

/** The engine's Decimal as a figure: exact when it has at most 22 decimals and a mantissa below 2^53. */
export function figOf(x: Decimal): Fig {
  const out = new Reg();
  if (x.isFinite()) {
    const dp = x.decimalPlaces();
    if (dp <= MAX_SCALE && x.precision(true) <= 16) {
      const m = Number(x.toFixed(dp).replace('.', ''));
      if (Number.isSafeInteger(m)) return setExact(out, m, dp);
    }
  }
  const v = x.toNumber();
  return setBounded(out, v, Math.abs(v) * REL + TINY);
}

/** m·10^(k − from) (rescaling an exact mantissa to scale k ≥ from), NaN when it leaves the exact range. */
function rescale(m: number, from: number, k: number): number {
  if (k === from) return m;
  const r = m * POW10[k - from]!;
  return Math.abs(r) < LIMIT ? r : NaN;
}

/** out := a + b·sb (sb = 1: a sum; −1: a difference). */
function addSigned(out: Reg, a: Fig, b: Fig, sb: 1 | -1): Reg {
  const av = a.v;
  const bv = b.v * sb;
  const ae = a.e;
  const be = b.e;
  if (a.m === a.m && b.m === b.m) {
    const am = a.m;
    const bm = b.m * sb;
    if (am === 0) return setExact(out, bm, b.k);
    if (bm === 0) return setExact(out, am, a.k);
    const k = a.k > b.k ? a.k : b.k;
    const ma = rescale(am, a.k, k);
    const mb = rescale(bm, b.k, k);
    if (ma === ma && mb === mb && Math.abs(ma) + Math.abs(mb) < LIMIT) return setExact(out, ma + mb, k);
  }
  return setBounded(out, av + bv, ae + be + (Math.abs(av) + Math.abs(bv)) * REL + TINY);
}

function add(out: Reg, a: Fig, b: Fig): Reg {
  return addSigned(out, a, b, 1);
}

function sub(out: Reg, a: Fig, b: Fig): Reg {
  return addSigned(out, a, b, -1);
}

function mul(out: Reg, a: Fig, b: Fig): Reg {
  const av = a.v;
  const bv = b.v;
  const ae = a.e;
  const be = b.e;
  if (a.m === a.m && b.m === b.m) {
    if (a.m === 0 || b.m === 0) return setExact(out, 0, 0);
    const k = a.k + b.k;
    const p = a.m * b.m;
    if (k <= MAX_SCALE && Math.abs(p) < LIMIT) return setExact(out, p, k);
  }
  const v = av * bv;
  return setBounded(out, v, Math.abs(av) * be + Math.abs(bv) * ae + ae * be + Math.abs(v) * REL + TINY);
}

/** out := a/b in the bounded lane (NaN when the bound of b reaches 0). */
function div(out: Reg, a: Fig, b: Fig): Reg {
  const ab = Math.abs(b.v);
  if (!(ab > b.e)) return setBounded(out, NaN, NaN);
  const v = a.v / b.v;
  const av = Math.abs(v);
  return setBounded(out, v, (a.e + av * (1 + REL) * b.e) / (ab - b.e) + av * REL + TINY);
}

function sqrt(out: Reg, a: Fig): Reg {
  const av = a.v;
  const ae = a.e;
  if (av < -ae) return setBounded(out, NaN, NaN);
  const v = Math.sqrt(Math.max(av, 0));
  const lo = av - ae;
  return setBounded(out, v, (lo > 0 ? ae / (Math.sqrt(lo) + v) : Math.sqrt(av + ae)) + v * REL + TINY);
}

function abs(out: Reg, a: Fig): Reg {
  copy(out, a);
  if (out.v < 0 || out.m < 0) {
    out.v = -out.v;
    out.m = -out.m;
  }
  return out;
}

/** Sign of a figure: −1, 0 (exactly zero: only an exact figure) or 1; null when the bound cannot tell. */
function sign(a: Fig): -1 | 0 | 1 | null {
  if (a.m === a.m) return a.m > 0 ? 1 : a.m < 0 ? -1 : 0;
  const s = signOf(a.v, a.e);
  return s === 0 ? null : s;
}

/** Order of a and b: −1, 0 (equal, exact figures only) or 1; null when undecided. */
function cmp(a: Fig, b: Fig): -1 | 0 | 1 | null {
  if (a.m === a.m && b.m === b.m) {
    const k = a.k > b.k ? a.k : b.k;
    const ma = rescale(a.m, a.k, k);
    const mb = rescale(b.m, b.k, k);
    if (ma === ma && mb === mb) return ma > mb ? 1 : ma < mb ? -1 : 0;
  }
  const s = signOf(a.v - b.v, a.e + b.e + (Math.abs(a.v) + Math.abs(b.v)) * REL + TINY);
  return s === 0 ? null : s;
}

/** out := max(a, b) (the engine's rate with user leverage: `b` when b > a). */
function max(out: Reg, a: Fig, b: Fig): Reg {
  const c = cmp(b, a);
  if (c === null) return setBounded(out, a.v >= b.v ? a.v : b.v, a.e > b.e ? a.e : b.e);
  return copy(out, c > 0 ? b : a);
}

function max0(out: Reg, a: Fig): Reg {
  const s = sign(a);
  if (s === null) return setBounded(out, a.v > 0 ? a.v : 0, a.e);
  return s > 0 ? copy(out, a) : setExact(out, 0, 0);
}

type Direction = 'CEIL' | 'FLOOR';

/**
 * out := a rounded to `decimals` toward +∞ (CEIL) or −∞ (FLOOR), exact; null when the bound cannot decide the cell
 * (or the result leaves the exact lane).
 */
function roundTo(out: Reg, a: Fig, decimals: number, direction: Direction): Reg | null {
  if (a.m === a.m) {
    if (a.k <= decimals) return copy(out, a);
    const p = POW10[a.k - decimals]!;
    const r = a.m % p;
    let q = (a.m - r) / p;
    if (direction === 'CEIL' && r > 0) q += 1;
    if (direction === 'FLOOR' && r < 0) q -= 1;
    return setExact(out, q, decimals);
  }
  if (decimals > MAX_SCALE || !(a.e < Infinity) || a.v !== a.v) return null;
  const s = POW10[decimals]!;
  const lo = (a.v - a.e * SAFETY) * s;
  const hi = (a.v + a.e * SAFETY) * s;
  const slack = (Math.abs(lo) + Math.abs(hi)) * CELL_SLACK + TINY;
  if (direction === 'CEIL') {
    // ⌈x⌉ = n for every x in (n − 1, n].
    const n = Math.ceil(hi + slack);
    return lo - slack > n - 1 && Number.isSafeInteger(n) ? setExact(out, n, decimals) : null;
  }
  // ⌊x⌋ = n for every x in [n, n + 1).
  const n = Math.floor(lo - slack);
  return hi + slack < n + 1 && Number.isSafeInteger(n) ? setExact(out, n, decimals) : null;
}

/** out := the engine's ⌈a⌉ to the settlement decimals, continuing in the bounded lane when the cell is undecided. */
function ceilRequirement(out: Reg, a: Fig, decimals: number): Reg {
  const av = a.v;
  const ae = a.e;
  if (roundTo(out, a, decimals, 'CEIL') !== null) return out;
  const h = ceilStep(decimals) / 2;
  const v = av + h;
  return setBounded(out, v, ae + h + Math.abs(v) * REL + TINY);
}

/**
 * A positive ratio to RATIO_SIGNIFICANT_DIGITS significant digits, half to even (precision.ts `ratio`), written to
 * `out` as n·10^−shift (shift may be negative: a ratio of 10^12 or more); false when the interval holds a rounding
 * midpoint (or is not finite and positive).
 */
function reportedRatio(out: Scaled, a: Fig): boolean {
  if (!(a.v > 0) || !(a.e < a.v)) return false;
  const digits = RATIO_SIGNIFICANT_DIGITS;
  let exponent = Math.floor(Math.log10(a.v));
  for (let attempt = 0; attempt < 2; attempt++) {
    // scaled = x·10^(digits − 1 − exponent), in [10^(digits−1), 10^digits) when the exponent is right.
    const shift = digits - 1 - exponent;
    if (Math.abs(shift) > MAX_SCALE) return false;
    const scale = POW10[Math.abs(shift)]!;
    const lo0 = a.v - a.e * SAFETY;
    const hi0 = a.v + a.e * SAFETY;
    const lo = shift >= 0 ? lo0 * scale : lo0 / scale;
    const hi = shift >= 0 ? hi0 * scale : hi0 / scale;
    const slack = (Math.abs(lo) + Math.abs(hi)) * CELL_SLACK;
    const low = lo - slack;
    const high = hi + slack;
    if (low < POW10[digits - 1]!) {
      exponent -= 1;
      continue;
    }
    if (high >= POW10[digits]!) {
      exponent += 1;
      continue;
    }
    const n = Math.round(shift >= 0 ? a.v * scale : a.v / scale);
    if (!(low > n - 0.5 && high < n + 0.5)) return false;
    return setScaled(out, n, shift);
  }
  return powerOfTenRatio(out, a);
}

/**
 * The reported ratio when the interval straddles a power of ten p = 10^E (a ratio of exactly 1, 0.1, …: its
 * significant digits start one place further left above p than below it): every x with
 * p·(1 − ½·10^−12) < x < p·(1 + ½·10^−11) rounds to p itself at 12 significant digits, from below or from above.
 */
function powerOfTenRatio(out: Scaled, a: Fig): boolean {
  const exponent = Math.round(Math.log10(a.v));
  if (Math.abs(exponent) > MAX_SCALE) return false;
  const p = POW10[Math.abs(exponent)]!;
  const lo = (a.v - a.e * SAFETY) * (1 - CELL_SLACK);
  const hi = (a.v + a.e * SAFETY) * (1 + CELL_SLACK);
  const below = 1 - 0.5 * 10 ** -RATIO_SIGNIFICANT_DIGITS;
  const above = 1 + 0.5 * 10 ** -(RATIO_SIGNIFICANT_DIGITS - 1);
  // x/p compared through x·10^−E: one rounding each way, covered by CELL_SLACK's 2^−50.
  const scaledLo = (exponent >= 0 ? lo / p : lo * p) * (1 - CELL_SLACK);
  const scaledHi = (exponent >= 0 ? hi / p : hi * p) * (1 + CELL_SLACK);
  if (!(scaledLo > below && scaledHi < above)) return false;
  return setScaled(out, 1, -exponent);
}

/** An exact decimal m·10^−k as written by the reporting steps (m a safe integer; k may be negative: m·10^|k|). */
class Scaled {
  m = 0.5;
  k = 0;
}

function setScaled(out: Scaled, m: number, k: number): true {
  out.m = m;
  out.k = k;
  return true;
}

/** m·10^−k as a Decimal (k < 0: m followed by −k zeros). */
function decimalOfScaled(x: Scaled): Decimal {
  return x.k >= 0 ? decimalFromScaled(x.m, x.k) : new D(`${x.m}e${-x.k}`);
}

/**
 * m·10^−k (m a safe integer; k < 0 appends −k zeros) as plain decimal text, the text decimal.js's `toFixed()` gives
 * for that value: no exponent, no trailing fraction zeros, no sign on zero (test/risk/screen/figures.test.ts).
 */
export function scaledText(m: number, k: number): string {
  if (m === 0) return '0';
  let digits = String(m < 0 ? -m : m);
  const sign = m < 0 ? '-' : '';
  if (k <= 0) return k === 0 ? sign + digits : sign + digits + '0'.repeat(-k);
  let end = digits.length;
  while (k > 0 && digits.charCodeAt(end - 1) === 48) {
    end -= 1;
    k -= 1;
  }
  if (end < digits.length) digits = digits.slice(0, end);
  if (k === 0) return sign + digits;
  if (digits.length > k) return `${sign}${digits.slice(0, digits.length - k)}.${digits.slice(digits.length - k)}`;
  return `${sign}0.${'0'.repeat(k - digits.length)}${digits}`;
}

/** Decimal digits per base-1e7 word of decimal.js's representation. */
const WORD_DIGITS = 7;

/** Powers of ten below 1e7 (a base-1e7 word). */
const WORD_POW10: readonly number[] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000];

/** Decimal digits of a word 1 ≤ w < 1e7. */
function wordDigits(w: number): number {
  let n = 1;
  while (n < WORD_DIGITS && w >= WORD_POW10[n]!) n += 1;
  return n;
}

/**
 * m·10^−k (m a safe integer, 0 ≤ k ≤ 22) as a Decimal, built directly in decimal.js's documented canonical
 * representation (src/risk/exact.ts: `d` base-1e7 words aligned to the decimal point, first and last non-zero; `e` the
 * exponent of the leading digit; `s` the sign) instead of parsing a string. Equal to `new D(`${m}e-${k}`)`
 * (test/risk/screen/figures.test.ts). Integer arithmetic on doubles below 2^53 only: a remainder, a subtraction and
 * an exact division per word.
 */
export function decimalFromScaled(m: number, k: number): Decimal {
  const x = new D(0);
  if (m === 0) return x;
  // The k fraction digits padded on the right to whole words: the lowest word holds (7 − pad) digits of m.
  const pad = (WORD_DIGITS - (k % WORD_DIGITS)) % WORD_DIGITS;
  const fractionWords = (k + pad) / WORD_DIGITS;
  let t = Math.abs(m);
  const reversed: number[] = [];
  const lowDivisor = WORD_POW10[WORD_DIGITS - pad] ?? 10_000_000;
  let r = t % lowDivisor;
  reversed.push(r * WORD_POW10[pad]!);
  t = (t - r) / lowDivisor;
  while (t > 0) {
    r = t % 10_000_000;
    reversed.push(r);
    t = (t - r) / 10_000_000;
  }
  // Fraction words above the digits of m (a small m with many decimals) are zeros in front.
  while (reversed.length < fractionWords) reversed.push(0);
  let top = reversed.length - 1;
  while (reversed[top] === 0) top -= 1;
  let low = 0;
  while (reversed[low] === 0) low += 1;
  const d: number[] = [];
  for (let i = top; i >= low; i--) d.push(reversed[i]!);
  const mutable = x as unknown as { s: number; e: number; d: number[] };
  mutable.s = m < 0 ? -1 : 1;
  mutable.e = WORD_DIGITS * (top - fractionWords) + wordDigits(reversed[top]!) - 1;
  mutable.d = d;
  return x;
}

// ---------------------------------------------------------------------------------------------------------------
// Table: the screen table (unusable reasons, models) plus the exact-lane figures of every market and asset.

interface FigTiers {
  readonly floor: readonly Fig[];
  /** null for the open last tier. */
  readonly cap: readonly (Fig | null)[];
  readonly rate: readonly Fig[];
  readonly mmrK: readonly Fig[];
  readonly cumK: readonly Fig[];
}

interface FigMarket {
  readonly unusable: ScreenFallbackReason | null;
  readonly model: 'LINEAR' | 'INVERSE' | 'OPTION';
  readonly portfolioScan: boolean;
  readonly c: Fig;
  /** LINEAR: P; INVERSE: the engine's 1/P; OPTION: U. */
  readonly price: Fig;
  readonly fundingIndex: Decimal;
  readonly fundingIndexFig: Fig;
  readonly settlePrice: Fig;
  readonly settleDecimals: number;
  readonly entryBasis: boolean;
  readonly tiers: FigTiers;
  readonly lambda: Fig | null;
  readonly depth: Fig | null;
  readonly optionValue: Fig;
  readonly optionInitialPerUnit: Fig;
  readonly optionMaintenancePerUnit: Fig;
  /** Oldest observation among the prices a position on this market uses (mark, settlement index, option indexes). */
  readonly oldestMs: number | null;
}

interface FigAsset {
  readonly unusable: ScreenFallbackReason | null;
  readonly index: Fig;
  readonly initialWeight: Fig;
  readonly maintenanceWeight: Fig;
  readonly initialLiabilityWeight: Fig;
  readonly maintenanceLiabilityWeight: Fig;
  /** Observation time of its index price (null for the valuation asset, whose price is 1 and not observed). */
  readonly observedMs: number | null;
}

/** The table screened rows are computed on: one per market context (a tick's). */
export interface FiguresTable {
  readonly context: ScreenContext;
  readonly screen: ScreenTable;
  readonly markets: ReadonlyMap<string, FigMarket>;
  readonly assets: ReadonlyMap<string, FigAsset>;
  readonly valuationDecimals: number;
}

const UNUSABLE_FIG: Fig = setBounded(new Reg(), NaN, NaN);

function unusableMarket(reason: ScreenFallbackReason): FigMarket {
  return {
    unusable: reason,
    model: 'LINEAR',
    portfolioScan: false,
    c: UNUSABLE_FIG,
    price: UNUSABLE_FIG,
    fundingIndex: new D(0),
    fundingIndexFig: UNUSABLE_FIG,
    settlePrice: UNUSABLE_FIG,
    settleDecimals: 0,
    entryBasis: false,
    tiers: { floor: [], cap: [], rate: [], mmrK: [], cumK: [] },
    lambda: null,
    depth: null,
    optionValue: UNUSABLE_FIG,
    optionInitialPerUnit: UNUSABLE_FIG,
    optionMaintenancePerUnit: UNUSABLE_FIG,
    oldestMs: null,
  };
}

function observed(context: ScreenContext, quotes: 'markPrices' | 'indexPrices', symbol: string): number | null {
  if (quotes === 'indexPrices' && symbol === context.valuationAsset) return null;
  const q = own(context[quotes], symbol);
  return q === undefined || q === null ? null : q.observedAtMs;
}

function oldest(...times: (number | null)[]): number | null {
  let out: number | null = null;
  for (const t of times) if (t !== null && (out === null || t < out)) out = t;
  return out;
}

function figMarket(context: ScreenContext, screen: ScreenTable, inputs: MarketInputs | ScreenFallbackReason, symbol: string): FigMarket {
  if (typeof inputs === 'string') return unusableMarket(inputs);
  const s = screen.markets.get(symbol)!;
  const { pos, price } = inputs;
  const m = pos.market;
  const o = inputs.option;
  const optionValue = o === null ? UNUSABLE_FIG : figOf(o.value);
  const optionInitialPerUnit = o === null ? UNUSABLE_FIG : figOf(o.initialPerUnit);
  const optionMaintenancePerUnit = o === null ? UNUSABLE_FIG : figOf(o.maintenancePerUnit);
  const tiers: FigTiers = {
    floor: m.tiers.map((t) => figOf(t.floor)),
    cap: m.tiers.map((t) => (t.cap === null ? null : figOf(t.cap))),
    rate: inputs.tierRates.map(figOf),
    mmrK: m.tiers.map((t) => figOf(t.mmrK)),
    cumK: m.tiers.map((t) => figOf(t.cumK)),
  };
  return {
    unusable: null,
    model: s.model,
    portfolioScan: s.portfolioScan,
    c: figOf(m.c),
    price: figOf(price),
    fundingIndex: m.fundingIndex,
    fundingIndexFig: figOf(m.fundingIndex),
    settlePrice: figOf(pos.settlePrice),
    settleDecimals: m.settleDecimals,
    entryBasis: m.maintenanceBasis === 'ENTRY',
    tiers,
    lambda: m.liquidity === null ? null : figOf(m.liquidity.lambda),
    depth: m.liquidity === null ? null : figOf(m.liquidity.depth),
    optionValue,
    optionInitialPerUnit,
    optionMaintenancePerUnit,
    oldestMs: oldest(
      observed(context, 'markPrices', symbol),
      observed(context, 'indexPrices', m.settle),
      m.option === null ? null : observed(context, 'indexPrices', m.base),
      m.option === null ? null : observed(context, 'indexPrices', m.params.quoteAsset),
    ),
  };
}

function figAsset(context: ScreenContext, screen: ScreenTable, symbol: string): FigAsset {
  const s = screen.assets.get(symbol)!;
  const params = own(context.assets, symbol)!;
  const w = (x: Decimal.Value): Fig => figOf(typeof x === 'object' ? x : new D(x));
  const index = s.unusable !== null ? UNUSABLE_FIG : symbol === context.valuationAsset ? figOf(ONE) : figOf(new D(own(context.indexPrices, symbol)!.price));
  return {
    unusable: s.unusable,
    index,
    initialWeight: w(params.initialWeight),
    maintenanceWeight: w(params.maintenanceWeight),
    initialLiabilityWeight: w(params.initialLiabilityWeight),
    maintenanceLiabilityWeight: w(params.maintenanceLiabilityWeight),
    observedMs: observed(context, 'indexPrices', symbol),
  };
}

/** Builds the figures table of a market context (pure: the engine's functions on the context). */
export function buildFiguresTable(context: ScreenContext): FiguresTable {
  // The engine's per-market inputs once, shared by both tables.
  const inputs = marketInputsOf(context);
  const screen = buildScreenTable(context, inputs);
  const markets = new Map<string, FigMarket>();
  for (const symbol of Object.keys(context.markets)) markets.set(symbol, figMarket(context, screen, inputs.get(symbol)!, symbol));
  const assets = new Map<string, FigAsset>();
  for (const symbol of Object.keys(context.assets)) assets.set(symbol, figAsset(context, screen, symbol));
  return {
    context,
    screen,
    markets,
    assets,
    valuationDecimals: valuationDecimalsOf(context),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Accounts.

interface FigPosition {
  readonly market: string;
  readonly q: Fig;
  readonly flat: boolean;
  readonly short: boolean;
  readonly isolated: boolean;
  readonly entry: Fig;
  /** The engine's 1/E (open positions; used on INVERSE markets). */
  readonly inverseEntry: Fig;
  readonly fundingIndex: Decimal;
  readonly fundingIndexFig: Fig;
  readonly isolatedMargin: Fig;
  /** The engine's 1/L; null without user leverage. */
  readonly leverageRate: Fig | null;
}

interface FigBalance {
  readonly asset: string;
  readonly amount: Fig;
  readonly positive: boolean;
}

/** An account's rows as the figures screen reads them (price-independent: prepared once, screened every tick). */
export interface FiguresAccount {
  readonly accountId: string;
  readonly marginMode: MarginMode;
  /** The exact engine refuses the rows (it reports the error): always falls back. */
  readonly invalid: boolean;
  readonly positions: readonly FigPosition[];
  readonly balances: readonly FigBalance[];
}

/** Prepares an account's rows (see FiguresAccount). */
export function prepareFiguresAccount(snapshot: Pick<AccountSnapshot, 'accountId' | 'marginMode' | 'positions' | 'balances'>): FiguresAccount {
  let invalid = hasDuplicate(snapshot.positions.map((p) => p.id)) || hasDuplicate(snapshot.balances.map((b) => b.asset));
  const positions: FigPosition[] = [];
  for (const p of snapshot.positions) {
    const q = new D(p.size);
    const flat = q.isZero();
    const entry = new D(p.entryPrice);
    const leverage = p.leverage === null ? null : new D(p.leverage);
    if (!flat && isNonPositive(entry)) invalid = true;
    if (leverage !== null && isNonPositive(leverage)) invalid = true;
    const isolated = p.marginType === 'ISOLATED';
    const rate = invalid ? null : leverageRateOf(leverage);
    positions.push({
      market: p.market,
      q: figOf(q),
      flat,
      short: q.isNeg() && !flat,
      isolated,
      entry: figOf(entry),
      inverseEntry: !flat && !invalid ? figOf(ONE.div(entry)) : ZERO_FIG,
      fundingIndex: new D(p.fundingIndex),
      fundingIndexFig: figOf(new D(p.fundingIndex)),
      isolatedMargin: isolated ? figOf(new D(p.isolatedMargin)) : ZERO_FIG,
      leverageRate: rate === null ? null : figOf(rate),
    });
  }
  const balances: FigBalance[] = [];
  for (const b of snapshot.balances) {
    const amount = new D(b.amount);
    if (amount.isZero()) continue;
    balances.push({ asset: b.asset, amount: figOf(amount), positive: amount.isPos() });
  }
  return { accountId: snapshot.accountId, marginMode: snapshot.marginMode, invalid, positions, balances };
}

/** The row figures of an account as the exact path reports them (precision.ts RowFigures), proven equal. */
export type ScreenedRowFigures = RowFigures;

export type ScreenedRow = { readonly kind: 'SCREENED'; readonly figures: ScreenedRowFigures } | { readonly kind: 'FALLBACK'; readonly reason: ScreenFallbackReason };

/** The same, as the texts the account risk table stores (precision.ts RowFigureTexts). */
export type ScreenedRowTexts = { readonly kind: 'SCREENED'; readonly texts: RowFigureTexts } | { readonly kind: 'FALLBACK'; readonly reason: ScreenFallbackReason };

/** Index of the tier holding notional n (floor ≤ n < cap), or −1 when undecided. */
function tierOf(t: FigTiers, n: Fig): number {
  for (let i = t.floor.length - 1; i >= 0; i--) {
    const above = cmp(n, t.floor[i]!);
    if (above === null) return -1;
    if (above >= 0) {
      const cap = t.cap[i]!;
      if (cap === null) return i;
      const below = cmp(n, cap);
      return below === -1 ? i : -1;
    }
  }
  return -1;
}

/** out := N·λ·√(N/D) (the liquidity add-on; bounded), using `scratch`. */
function liquidityAddon(out: Reg, scratch: Reg, m: FigMarket, n: Fig): Reg {
  div(scratch, n, m.depth!);
  sqrt(scratch, scratch);
  mul(out, n, m.lambda!);
  return mul(out, out, scratch);
}

/** The registers of one screening (module-level: the screen is synchronous and does not re-enter). */
const R = {
  pnl: new Reg(),
  iso: new Reg(),
  im: new Reg(),
  mm: new Reg(),
  notional: new Reg(),
  bal: new Reg(),
  iw: new Reg(),
  mw: new Reg(),
  qc: new Reg(),
  aqc: new Reg(),
  ec: new Reg(),
  n: new Reg(),
  d: new Reg(),
  fund: new Reg(),
  rate: new Reg(),
  addon: new Reg(),
  imS: new Reg(),
  mmS: new Reg(),
  nm: new Reg(),
  addonM: new Reg(),
  t1: new Reg(),
  t2: new Reg(),
  equity: new Reg(),
  ime: new Reg(),
  me: new Reg(),
  fc: new Reg(),
  out: new Reg(),
};

/**
 * The reported figures of the last successful `screenScaled` (module-level like the registers; read at once by
 * the caller): status, prices-as-of, the ratio (when `hasRatio`) and each money figure as m·10^−k.
 */
const OUT = {
  status: 'HEALTHY' as AccountStatus,
  pricesAsOfMs: null as number | null,
  hasRatio: false,
  marginRatio: new Scaled(),
  equity: new Scaled(),
  initialMarginEquity: new Scaled(),
  marginEquity: new Scaled(),
  initialMargin: new Scaled(),
  maintenanceMargin: new Scaled(),
  freeCollateral: new Scaled(),
  totalNotional: new Scaled(),
};

/** A reported money figure: `a` rounded to the valuation decimals into `out`; false when undecided. */
function reportedMoney(out: Scaled, a: Fig, decimals: number, direction: Direction): boolean {
  const r = roundTo(R.out, a, decimals, direction);
  return r !== null && setScaled(out, r.m, r.k);
}

/**
 * The account's row figures on `table` into OUT, proven equal to the exact engine's reported figures; or why not
 * (the caller evaluates the account exactly then).
 */
function screenScaled(table: FiguresTable, account: FiguresAccount): ScreenFallbackReason | null {
  if (account.invalid) return 'INVALID_INPUT';
  const portfolio = account.marginMode === 'PORTFOLIO';
  const { pnl, iso, im, mm, notional, qc, aqc, ec, n, d, fund, rate, addon, imS, mmS, nm, addonM, t1, t2 } = R;
  copy(pnl, ZERO_FIG);
  copy(iso, ZERO_FIG);
  copy(im, ZERO_FIG);
  copy(mm, ZERO_FIG);
  copy(notional, ZERO_FIG);
  let pricesAsOf: number | null = null;
  for (const p of account.positions) {
    const m = table.markets.get(p.market);
    if (m === undefined) return 'INVALID_INPUT';
    if (m.unusable !== null) return m.unusable;
    if (portfolio && !p.isolated && m.portfolioScan) return 'PORTFOLIO_SCAN';
    const option = m.model === 'OPTION';
    if (option && p.isolated) return 'UNSUPPORTED';
    if (m.oldestMs !== null && (pricesAsOf === null || m.oldestMs < pricesAsOf)) pricesAsOf = m.oldestMs;
    const x = m.settlePrice;
    if (p.flat) {
      if (p.isolated) add(iso, iso, mul(t1, p.isolatedMargin, x));
      continue;
    }
    mul(qc, p.q, m.c);
    abs(aqc, qc);
    copy(imS, ZERO_FIG);
    copy(mmS, ZERO_FIG);
    mul(n, aqc, m.price);
    if (option) {
      mul(ec, qc, m.optionValue);
      if (p.short) {
        ceilRequirement(imS, mul(t1, aqc, m.optionInitialPerUnit), m.settleDecimals);
        ceilRequirement(mmS, mul(t1, aqc, m.optionMaintenancePerUnit), m.settleDecimals);
      }
    } else {
      const linear = m.model === 'LINEAR';
      // Funding PnL q·c·(F_pos − F_now): exactly zero when the indexes are equal (the engine's shortcut).
      if (compareD(p.fundingIndex, m.fundingIndex) === 0) copy(fund, ZERO_FIG);
      else mul(fund, qc, sub(t1, p.fundingIndexFig, m.fundingIndexFig));
      if (linear) sub(d, m.price, p.entry);
      else sub(d, p.inverseEntry, m.price);
      add(ec, mul(t1, qc, d), fund);
      if (p.isolated) {
        add(iso, iso, mul(t1, add(t2, p.isolatedMargin, ec), x));
        add(notional, notional, mul(t1, n, x));
        continue;
      }
      const t = tierOf(m.tiers, n);
      if (t < 0) return 'TIER_BOUNDARY';
      copy(rate, m.tiers.rate[t]!);
      if (p.leverageRate !== null) max(rate, rate, p.leverageRate);
      if (m.lambda === null) copy(addon, ZERO_FIG);
      else liquidityAddon(addon, t1, m, n);
      ceilRequirement(imS, add(t1, mul(t1, n, rate), addon), m.settleDecimals);
      let tm = t;
      copy(nm, n);
      copy(addonM, addon);
      if (m.entryBasis) {
        mul(nm, aqc, linear ? p.entry : p.inverseEntry);
        tm = tierOf(m.tiers, nm);
        if (tm < 0) return 'TIER_BOUNDARY';
        if (m.lambda === null) copy(addonM, ZERO_FIG);
        else liquidityAddon(addonM, t1, m, nm);
      }
      max0(t1, sub(t1, mul(t1, nm, m.tiers.mmrK[tm]!), m.tiers.cumK[tm]!));
      ceilRequirement(mmS, add(t1, t1, addonM), m.settleDecimals);
    }
    add(pnl, pnl, mul(t1, ec, x));
    add(notional, notional, mul(t1, n, x));
    add(im, im, mul(t1, imS, x));
    add(mm, mm, mul(t1, mmS, x));
  }

  const { bal, iw, mw, equity, ime, me, fc } = R;
  copy(bal, ZERO_FIG);
  copy(iw, ZERO_FIG);
  copy(mw, ZERO_FIG);
  for (const b of account.balances) {
    const a = table.assets.get(b.asset);
    if (a === undefined) return 'INVALID_INPUT';
    if (a.unusable !== null) return a.unusable;
    if (a.observedMs !== null && (pricesAsOf === null || a.observedMs < pricesAsOf)) pricesAsOf = a.observedMs;
    const value = mul(t2, b.amount, a.index);
    add(bal, bal, value);
    add(iw, iw, mul(t1, value, b.positive ? a.initialWeight : a.initialLiabilityWeight));
    add(mw, mw, mul(t1, value, b.positive ? a.maintenanceWeight : a.maintenanceLiabilityWeight));
  }

  add(equity, add(t1, bal, pnl), iso);
  add(ime, iw, pnl);
  add(me, mw, pnl);
  sub(fc, ime, im);

  // Status (position.ts statusOf): BANKRUPT if equity < 0 (an exact zero may be −0 in the engine: undecided).
  const se = sign(equity);
  if (se === null || se === 0) return 'TOO_CLOSE';
  let status: AccountStatus;
  if (se < 0) status = 'BANKRUPT';
  else {
    const liq = cmp(me, mm);
    if (liq === null) return 'TOO_CLOSE';
    if (liq < 0) status = 'LIQUIDATABLE';
    else {
      const res = cmp(ime, im);
      if (res === null) return 'TOO_CLOSE';
      status = res < 0 ? 'RESTRICTED' : 'HEALTHY';
    }
  }

  // marginRatio = MM / marginEquity when marginEquity > 0 (else null), 12 significant digits.
  const sme = sign(me);
  if (sme === null) return 'TOO_CLOSE';
  OUT.hasRatio = sme > 0;
  if (sme > 0) {
    if (isExact(mm) && mm.m === 0) setScaled(OUT.marginRatio, 0, 0);
    else if (!reportedRatio(OUT.marginRatio, div(t1, mm, me))) return 'TOO_CLOSE';
  }

  const dp = table.valuationDecimals;
  if (
    !reportedMoney(OUT.equity, equity, dp, 'FLOOR') ||
    !reportedMoney(OUT.initialMarginEquity, ime, dp, 'FLOOR') ||
    !reportedMoney(OUT.marginEquity, me, dp, 'FLOOR') ||
    !reportedMoney(OUT.initialMargin, im, dp, 'CEIL') ||
    !reportedMoney(OUT.maintenanceMargin, mm, dp, 'CEIL') ||
    !reportedMoney(OUT.freeCollateral, fc, dp, 'FLOOR') ||
    !reportedMoney(OUT.totalNotional, notional, dp, 'CEIL')
  ) {
    return 'TOO_CLOSE';
  }
  OUT.status = status;
  OUT.pricesAsOfMs = pricesAsOf;
  return null;
}

/** The figures in OUT, each exact decimal converted by `convert` (to a Decimal or to its text). */
function outFigures<T>(convert: (x: Scaled) => T) {
  return {
    status: OUT.status,
    marginRatio: OUT.hasRatio ? convert(OUT.marginRatio) : null,
    equity: convert(OUT.equity),
    initialMarginEquity: convert(OUT.initialMarginEquity),
    marginEquity: convert(OUT.marginEquity),
    initialMargin: convert(OUT.initialMargin),
    maintenanceMargin: convert(OUT.maintenanceMargin),
    freeCollateral: convert(OUT.freeCollateral),
    totalNotional: convert(OUT.totalNotional),
    pricesAsOfMs: OUT.pricesAsOfMs,
  };
}

/**
 * The account's row figures on `table` as Decimals, proven equal to the exact engine's reported figures, or why not
 * (the caller evaluates the account exactly then). Pure (its registers are scratch).
 */
export function screenRowFigures(table: FiguresTable, account: FiguresAccount): ScreenedRow {
  const reason = screenScaled(table, account);
  return reason === null ? { kind: 'SCREENED', figures: outFigures(decimalOfScaled) } : { kind: 'FALLBACK', reason };
}

const textOf = (x: Scaled): string => scaledText(x.m, x.k);

/**
 * The same figures as the texts the account risk table stores (each the `toFixed()` of the Decimal
 * `screenRowFigures` gives), without building Decimals: what the tick writes. Pure.
 */
export function screenRowTexts(table: FiguresTable, account: FiguresAccount): ScreenedRowTexts {
  const reason = screenScaled(table, account);
  return reason === null ? { kind: 'SCREENED', texts: outFigures(textOf) } : { kind: 'FALLBACK', reason };
}
