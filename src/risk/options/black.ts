/**
 * European option valuation: generalized Black-Scholes-Merton (spot S, continuous yield q, rate r) and Black-76
 * (forward F, rate r). Black-76 is the generalized model with cost of carry b = r − q = 0 applied to F, and the
 * spot model equals Black-76 on F = S·e^{(r−q)T}; with the DESIGN defaults r = q = 0 both are "Black on spot".
 *
 * Units: prices, strikes and option values in quote currency per unit of underlying; vol and rates annualized
 * fractions (0.25 = 25%); T in years (ACT/365). Greeks are per unit of underlying:
 *   delta  ∂V/∂S (or ∂V/∂F for Black-76), dimensionless;
 *   gamma  ∂²V/∂S², per quote unit;
 *   vega   ∂V/∂σ per 1.00 (100 vol points) of volatility;
 *   theta  ∂V/∂t = −∂V/∂T per year, and per calendar day = per-year / 365;
 *   rho    ∂V/∂r per 1.00 (100 percentage points) of the rate r, q held fixed, like vega per 1.00 of vol (Hull's
 *          convention); the per-1% figure some venues display (a 1-point move of r) is rho / 100.
 * Pure functions: the evaluation time is passed in.
 */
import type Decimal from 'decimal.js';
import type { OptionType } from '../types';
import { D, DecimalValue, normCdf, normPdf, toD } from './decimal-math';

/** Milliseconds in an ACT/365 year: 365·86 400 000. */
export const MS_PER_YEAR_ACT365 = 365 * 86_400_000;

/** Time to expiry in years, ACT/365: T = (expiryMs − asOfMs) / (365·86 400 000). May be ≤ 0 (expired). */
export function yearFractionAct365(asOfMs: number, expiryMs: number): Decimal {
  if (!Number.isFinite(asOfMs) || !Number.isFinite(expiryMs)) throw new RangeError('yearFractionAct365: non-finite time');
  return new D(expiryMs - asOfMs).div(MS_PER_YEAR_ACT365);
}

/** Forward price F = S·e^{(r−q)T} (quote per unit of underlying). */
export function forwardPrice(spot: DecimalValue, timeYears: DecimalValue, rate: DecimalValue = 0, dividendYield: DecimalValue = 0): Decimal {
  return toD(spot).times(toD(rate).minus(toD(dividendYield)).times(toD(timeYears)).exp());
}

/** Result of a valuation: value and greeks per unit of underlying (see module doc for units). */
export interface OptionGreeks {
  /** Option value V, quote per unit of underlying. */
  readonly price: Decimal;
  /** ∂V/∂S (spot model) or ∂V/∂F (Black-76). Calls in [0, e^{−qT}], puts in [−e^{−qT}, 0]. */
  readonly delta: Decimal;
  /** ∂²V/∂S² (or ∂²V/∂F²), per quote unit. */
  readonly gamma: Decimal;
  /** ∂V/∂σ per 1.00 of volatility (divide by 100 for per vol point). */
  readonly vega: Decimal;
  /** ∂V/∂t per year (negative = value decays as time passes). */
  readonly thetaPerYear: Decimal;
  /** thetaPerYear / 365: value change per calendar day. */
  readonly thetaPerDay: Decimal;
  /**
   * ∂V/∂r per 1.00 of the continuously compounded rate (divide by 100 for per 1%): spot model with S and q held
   * fixed; Black-76 with F held fixed (−T·V, discounting only).
   */
  readonly rho: Decimal;
  /** Time to expiry used, years (≤ 0 means expired: intrinsic value). */
  readonly timeYears: Decimal;
  /** d1, d2 of the formula; null when expired, vol 0 or spot 0 (limits used instead). */
  readonly d1: Decimal | null;
  readonly d2: Decimal | null;
}

/** Inputs of the generalized Black-Scholes-Merton model. */
export interface BsmInput {
  readonly type: OptionType;
  /** Spot S ≥ 0 (quote per unit of underlying). */
  readonly spot: DecimalValue;
  /** Strike K > 0. */
  readonly strike: DecimalValue;
  /** Annualized volatility σ ≥ 0. */
  readonly vol: DecimalValue;
  /** Time to expiry T in years (ACT/365); ≤ 0 = expired. */
  readonly timeYears: DecimalValue;
  /** Continuously compounded risk-free rate r per year; default 0. */
  readonly rate?: DecimalValue;
  /** Continuous dividend / foreign-rate yield q per year; default 0. */
  readonly dividendYield?: DecimalValue;
}

/** Inputs of Black-76 on a forward. */
export interface Black76Input {
  readonly type: OptionType;
  /** Forward F ≥ 0 for the option's expiry. */
  readonly forward: DecimalValue;
  readonly strike: DecimalValue;
  readonly vol: DecimalValue;
  readonly timeYears: DecimalValue;
  /** Discount rate r; default 0 (undiscounted, the DESIGN default). */
  readonly rate?: DecimalValue;
}

const ZERO = new D(0);
const DAYS_PER_YEAR = new D(365);

/** Intrinsic value: call max(S − K, 0), put max(K − S, 0). */
export function intrinsicValue(type: OptionType, spot: DecimalValue, strike: DecimalValue): Decimal {
  const s = toD(spot);
  const k = toD(strike);
  return D.max(type === 'CALL' ? s.minus(k) : k.minus(s), 0);
}

/**
 * Generalized Black-Scholes-Merton with carry b = r − q:
 *   d1 = (ln(S/K) + (r − q + σ²/2)T) / (σ√T),  d2 = d1 − σ√T
 *   call = S e^{−qT} N(d1) − K e^{−rT} N(d2),   put = K e^{−rT} N(−d2) − S e^{−qT} N(−d1)
 *   delta_call = e^{−qT} N(d1),  delta_put = e^{−qT}(N(d1) − 1)
 *   gamma = e^{−qT} φ(d1) / (S σ √T),  vega = S e^{−qT} φ(d1) √T
 *   theta_call = −S e^{−qT} φ(d1) σ / (2√T) − r K e^{−rT} N(d2) + q S e^{−qT} N(d1)
 *   theta_put  = −S e^{−qT} φ(d1) σ / (2√T) + r K e^{−rT} N(−d2) − q S e^{−qT} N(−d1)
 *   rho_call = K T e^{−rT} N(d2),  rho_put = −K T e^{−rT} N(−d2)   (per 1.00 of r, q fixed)
 * Degenerate cases:
 *   T ≤ 0 (expired): V = intrinsic max(±(S − K), 0); delta = +1 (call, S > K), −1 (put, S < K), else 0;
 *     gamma = vega = theta = rho = 0.
 *   σ = 0 or S = 0 (T > 0): the σ → 0 limit: N(d1) = N(d2) = 1 if F > K, 0 if F < K, ½ if F = K, with
 *     F = S e^{(r−q)T}; so V = max(±(S e^{−qT} − K e^{−rT}), 0); gamma = 0 (it is a Dirac mass at F = K);
 *     vega = S e^{−qT} φ(0) √T at F = K (its limit), else 0; theta and rho from the formulas above with the φ
 *     term's limit 0 and N(d2) at its limit.
 */
export function bsm(input: BsmInput): OptionGreeks {
  const { type } = input;
  if (type !== 'CALL' && type !== 'PUT') throw new RangeError(`bsm: unknown option type ${String(type)}`);
  const S = toD(input.spot);
  const K = toD(input.strike);
  const sigma = toD(input.vol);
  const T = toD(input.timeYears);
  const r = toD(input.rate ?? 0);
  const q = toD(input.dividendYield ?? 0);
  if (S.isNegative()) throw new RangeError('bsm: spot must be ≥ 0');
  if (K.lte(0)) throw new RangeError('bsm: strike must be > 0');
  if (sigma.isNegative()) throw new RangeError('bsm: vol must be ≥ 0');

  if (T.lte(0)) {
    const price = intrinsicValue(type, S, K);
    let delta = ZERO;
    if (type === 'CALL' && S.gt(K)) delta = new D(1);
    if (type === 'PUT' && S.lt(K)) delta = new D(-1);
    return { price, delta, gamma: ZERO, vega: ZERO, thetaPerYear: ZERO, thetaPerDay: ZERO, rho: ZERO, timeYears: T, d1: null, d2: null };
  }

  const dq = q.neg().times(T).exp(); // e^{−qT}
  const dr = r.neg().times(T).exp(); // e^{−rT}
  const sqrtT = T.sqrt();
  const Sdq = S.times(dq);
  const Kdr = K.times(dr);

  let nd1: Decimal; // N(d1)
  let nd2: Decimal; // N(d2)
  let pd1: Decimal; // φ(d1)
  let gamma: Decimal;
  let vega: Decimal;
  let thetaDecay: Decimal; // −S e^{−qT} φ(d1) σ / (2√T)
  let d1: Decimal | null = null;
  let d2: Decimal | null = null;

  if (sigma.isZero() || S.isZero()) {
    const cmp = Sdq.cmp(Kdr); // sign(F − K) since F/K = Sdq/Kdr
    nd1 = cmp > 0 ? new D(1) : cmp < 0 ? ZERO : new D('0.5');
    nd2 = nd1;
    pd1 = cmp === 0 ? normPdf(0) : ZERO;
    gamma = ZERO;
    vega = Sdq.times(pd1).times(sqrtT);
    thetaDecay = ZERO;
  } else {
    const volSqrtT = sigma.times(sqrtT);
    d1 = S.div(K).ln().plus(r.minus(q).plus(sigma.times(sigma).div(2)).times(T)).div(volSqrtT);
    d2 = d1.minus(volSqrtT);
    nd1 = normCdf(d1);
    nd2 = normCdf(d2);
    pd1 = normPdf(d1);
    gamma = dq.times(pd1).div(S.times(volSqrtT));
    vega = Sdq.times(pd1).times(sqrtT);
    thetaDecay = Sdq.times(pd1).times(sigma).div(sqrtT.times(2)).neg();
  }

  let price: Decimal;
  let delta: Decimal;
  let thetaPerYear: Decimal;
  let rho: Decimal;
  if (type === 'CALL') {
    price = Sdq.times(nd1).minus(Kdr.times(nd2));
    delta = dq.times(nd1);
    thetaPerYear = thetaDecay.minus(r.times(Kdr).times(nd2)).plus(q.times(Sdq).times(nd1));
    rho = Kdr.times(T).times(nd2);
  } else {
    const nmd1 = new D(1).minus(nd1); // N(−d1)
    const nmd2 = new D(1).minus(nd2); // N(−d2)
    price = Kdr.times(nmd2).minus(Sdq.times(nmd1));
    delta = dq.times(nd1.minus(1));
    thetaPerYear = thetaDecay.plus(r.times(Kdr).times(nmd2)).minus(q.times(Sdq).times(nmd1));
    rho = Kdr.times(T).times(nmd2).neg();
  }
  // Guard against −0 / tiny negative values from rounding deep out of the money.
  if (price.isNegative()) price = ZERO;
  return { price, delta, gamma, vega, thetaPerYear, thetaPerDay: thetaPerYear.div(DAYS_PER_YEAR), rho, timeYears: T, d1, d2 };
}

/**
 * Black-76 on a forward F:
 *   d1 = (ln(F/K) + σ²T/2) / (σ√T),  d2 = d1 − σ√T
 *   call = e^{−rT}(F N(d1) − K N(d2)),  put = e^{−rT}(K N(−d2) − F N(−d1))
 * Greeks with respect to F (delta_call = e^{−rT} N(d1)), vega per 1.00 vol, theta per year with F held fixed,
 * rho = ∂V/∂r with F held fixed = −T·V (per 1.00 of r; 0 when expired).
 * Identical to `bsm` with S = F and q = r (zero cost of carry) in value, delta, gamma, vega and theta; same
 * degenerate-case rules. (bsm's rho holds q fixed, so it is replaced by the F-fixed one.)
 */
export function black76(input: Black76Input): OptionGreeks {
  const r = input.rate ?? 0;
  const g = bsm({ type: input.type, spot: input.forward, strike: input.strike, vol: input.vol, timeYears: input.timeYears, rate: r, dividendYield: r });
  return { ...g, rho: g.timeYears.lte(0) ? ZERO : g.timeYears.times(g.price).neg() };
}

/** Inputs for valuing an option market at an evaluation time (the engine's view). */
export interface OptionAtTimeInput {
  readonly type: OptionType;
  /** Underlying spot (index) price S. */
  readonly spot: DecimalValue;
  readonly strike: DecimalValue;
  /** Implied volatility σ (annualized fraction). */
  readonly vol: DecimalValue;
  /** Evaluation time, epoch ms. */
  readonly asOfMs: number;
  /** Expiry time, epoch ms. */
  readonly expiryMs: number;
  /** Rate r, default 0. */
  readonly rate?: DecimalValue;
  /** Yield q, default 0. */
  readonly dividendYield?: DecimalValue;
}

/**
 * DESIGN valuation of an option market: Black-Scholes-Merton on spot S with rate r and yield q (equivalently Black-76
 * on the forward F = S·e^{(r−q)T}, discounted at r), with T = ACT/365 year fraction from asOfMs to expiryMs. Returned
 * greeks are with respect to the spot S (so delta is in units of underlying per unit of underlying, gamma per quote
 * unit of S) and rho holds S and q fixed; with r = q = 0 value, delta, gamma, vega and theta equal the Black-76
 * greeks on F = S.
 */
export function valueOptionAt(input: OptionAtTimeInput): OptionGreeks {
  return bsm({
    type: input.type,
    spot: input.spot,
    strike: input.strike,
    vol: input.vol,
    timeYears: yearFractionAct365(input.asOfMs, input.expiryMs),
    rate: input.rate ?? 0,
    dividendYield: input.dividendYield ?? 0,
  });
}
