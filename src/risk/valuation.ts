/**
 * Position valuation, dispatched by market kind. PERPETUAL and FUTURE markets are delta-one (LINEAR or INVERSE);
 * OPTION markets (European, LINEAR: premium in quote, settled in the settlement asset) are valued with
 * Black-Scholes-Merton (Black-76 on the forward).
 *
 * Options (DESIGN §4): V = BSM on spot U with the risk-free rate r of the quote asset and the carry / dividend yield q
 * of the underlying (base) asset, both continuous and annualized (options/black.ts `bsm`), i.e. Black-76 on the
 * forward F = U·e^{(r−q)T} discounted by e^{−rT}; U the underlying price (index of the base asset in the quote asset),
 * implied volatility σ of the market, T = (expiry − asOf) / 365 days (ACT/365); an expired option (T ≤ 0) is worth
 * its intrinsic value. r = q = 0 (no rates set, the default) is Black-76 on F = U, undiscounted. The option's stored
 * mark price is informational only (shown beside the model value); the engine never values with it.
 *
 * How an option position counts:
 *   - equity contribution = q·c·V (settlement units): the premium paid or received already moved the cash balance, so
 *     a long adds its market value and a short subtracts the value it owes (Deribit's convention);
 *   - uPnL = q·c·(V − E), with E the premium per unit paid (entry price): reported for information, NOT added to
 *     equity (that would count the premium twice);
 *   - notional = |q|·c·U (underlying notional, settlement units) for leverage and reporting.
 *
 * Precision and cost: one BSM evaluation is ~1 ms in Decimal (three normal-function calls at 72 digits), so every
 * option market memoizes its valuations per (U, vol shift) for the life of one evaluation (the NMarket is built per
 * evaluation), backed by a bounded process-wide memo of the pure function (type, K, σ, T, U) shared by the accounts
 * of one request / sweep / stress round. Searches (liquidation bracketing, VaR scenario revaluation) may ask for the FAST valuation: the same
 * formula in double precision (relative error ~1e-13), converted to Decimal; every reported figure and every status
 * check uses the PRECISE one.
 */
import type Decimal from 'decimal.js';
import type { OptionType } from './types';
import { D, ONE, ZERO, compareD, normZero, toD } from './decimal';
import type { NMarket, NPosition } from './model';
import { bsm, type OptionGreeks } from './options/black';

export type ValuationMode = 'PRECISE' | 'FAST';

/** Option figures of a position at an underlying price (per unit of underlying unless stated). */
export interface OptionValuation {
  /** Underlying price U used (quote per unit). */
  readonly underlyingPrice: Decimal;
  /** Implied volatility used (after any scenario shift). */
  readonly volatility: Decimal;
  /** ACT/365 year fraction to expiry; ≤ 0 = expired (intrinsic value). */
  readonly timeYears: Decimal;
  readonly expired: boolean;
  /** BSM value V per unit of underlying (quote). */
  readonly value: Decimal;
  /** ∂V/∂U per unit. */
  readonly delta: Decimal;
  /** ∂²V/∂U² per unit. */
  readonly gamma: Decimal;
  /** ∂V/∂σ per unit, per 1.00 of volatility. */
  readonly vega: Decimal;
  /** ∂V/∂t per unit, per calendar day. */
  readonly theta: Decimal;
  /** ∂V/∂r per unit, per 1.00 of the quote asset's rate r (U and q fixed). */
  readonly rho: Decimal;
}

export interface PositionValuation {
  /** Settlement units: LINEAR quote, INVERSE base; options |q|·c·U. */
  readonly notional: Decimal;
  /** Delta-one: LINEAR q·c·(P − E), INVERSE q·c·(1/E − 1/P). Options: q·c·(V − E), informational. */
  readonly unrealizedPnl: Decimal;
  readonly fundingPnl: Decimal;
  /**
   * What the position adds to (cross) equity, settlement units: delta-one uPnL + fundingPnL; options q·c·V.
   * Optional for callers that build valuations by hand; the engine always sets it.
   */
  readonly equityContribution?: Decimal;
  /** Options only: the model valuation at the price used. */
  readonly option?: OptionValuation | null;
}

/** Equity contribution of a valuation (uPnL + funding when not set explicitly). */
export function equityContributionOf(v: PositionValuation): Decimal {
  return v.equityContribution ?? v.unrealizedPnl.add(v.fundingPnl);
}

/**
 * LINEAR at mark P (quote units): N = |q|·c·P, uPnL = q·c·(P − E).
 * INVERSE at mark P (base units):  N = |q|·c/P, uPnL = q·c·(1/E − 1/P).
 * Both: fundingPnL = −q·c·(F_now − F_position) (settlement units; F in settlement units per contract unit).
 */
export function valueDeltaOne(pos: NPosition, mark: Decimal): PositionValuation {
  const m = pos.market;
  // −q·c·(F_now − F_pos) written as q·c·(F_pos − F_now): price-independent, precomputed in model.ts.
  const fundingPnl = pos.fundingPnl;
  if (m.contractType === 'LINEAR') {
    const unrealizedPnl = normZero(pos.qc.mul(mark.sub(pos.entry)));
    return { notional: pos.absQc.mul(mark), unrealizedPnl, fundingPnl, equityContribution: plusFunding(unrealizedPnl, fundingPnl), option: null };
  }
  // A flat position (entry possibly 0) has zero notional and PnL; avoid 1/E.
  if (pos.q.isZero()) return { notional: pos.absQc, unrealizedPnl: pos.absQc, fundingPnl, equityContribution: fundingPnl, option: null };
  const invMark = mark === pos.mark ? inverseOfMark(m, mark) : ONE.div(mark);
  const unrealizedPnl = normZero(pos.qc.mul(pos.inverseEntry!.sub(invMark)));
  return { notional: pos.absQc.mul(invMark), unrealizedPnl, fundingPnl, equityContribution: plusFunding(unrealizedPnl, fundingPnl), option: null };
}

/**
 * uPnL + fundingPnL, where the funding PnL is often exactly ZERO (model.ts): the uPnL (a product at the engine
 * precision, never −0 after normZero) is then the sum itself and the addition is skipped.
 */
function plusFunding(unrealizedPnl: Decimal, fundingPnl: Decimal): Decimal {
  return fundingPnl.isZero() ? unrealizedPnl : unrealizedPnl.add(fundingPnl);
}

/**
 * 1/P of an INVERSE market's current mark, memoized per normalized market (shared by the evaluations of a request,
 * sweep batch or stress round, see model.ts) for the last mark value seen: every position on the market divides by
 * the same mark. A cache of a pure function (same value in, same digits out).
 */
const INVERSE_MARK = new WeakMap<NMarket, { readonly mark: Decimal; readonly inverse: Decimal }>();

function inverseOfMark(m: NMarket, mark: Decimal): Decimal {
  const hit = INVERSE_MARK.get(m);
  if (hit !== undefined && (hit.mark === mark || compareD(hit.mark, mark) === 0)) return hit.inverse;
  const inverse = ONE.div(mark);
  INVERSE_MARK.set(m, { mark, inverse });
  return inverse;
}

// ---------------------------------------------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------------------------------------------

/** Normalized option terms of a market plus its per-evaluation valuation memo (see NMarket.option). */
export interface OptionTerms {
  readonly type: OptionType;
  readonly strike: Decimal;
  readonly expiryMs: number;
  readonly volatility: Decimal;
  /** ACT/365 from the snapshot's asOf. */
  readonly timeYears: Decimal;
  /** Risk-free rate r of the quote asset (continuous, per year; 0 when none is set). */
  readonly rate: Decimal;
  /** Carry / dividend yield q of the underlying (continuous, per year; 0 when none is set). */
  readonly dividendYield: Decimal;
  /** Memo of precise valuations, key `${U}|${volShift}`; lives as long as the evaluation's NMarket. */
  readonly memo: Map<string, OptionValuation>;
}

const DAYS_PER_YEAR = new D(365);

function fromGreeks(u: Decimal, vol: Decimal, t: Decimal, g: OptionGreeks): OptionValuation {
  return {
    underlyingPrice: u,
    volatility: vol,
    timeYears: t,
    expired: t.lte(0),
    value: toD(g.price),
    delta: normZero(toD(g.delta)),
    gamma: normZero(toD(g.gamma)),
    vega: normZero(toD(g.vega)),
    theta: normZero(toD(g.thetaPerYear).div(DAYS_PER_YEAR)),
    rho: normZero(toD(g.rho)),
  };
}

/**
 * Precise BSM valuation per unit of underlying at U (rate r and yield q of the terms), with the implied vol scaled by (1 + volShift) (the portfolio
 * scan's relative vol shift; 0 = the market's vol). Memoized per (U, volShift) for the evaluation.
 */
export function optionValueAt(o: OptionTerms, u: Decimal, volShift: Decimal = ZERO): OptionValuation {
  const key = volShift.isZero() ? u.toString() : `${u.toString()}|${volShift.toString()}`;
  const hit = o.memo.get(key);
  if (hit !== undefined) return hit;
  const vol = volShift.isZero() ? o.volatility : Decimal_max0(o.volatility.mul(ONE.add(volShift)));
  // Second level: a bounded memo of the pure function (type, K, σ, T, r, q, U) → valuation shared by the evaluations
  // of one process. Every account of a sweep / stress round / page is evaluated at the same instant and prices, so
  // they value the same option at the same U: one BSM per (market, U) instead of one per account.
  const sharedKey = `${o.type}|${o.strike.toString()}|${vol.toString()}|${o.timeYears.toString()}|${o.rate.toString()}|${o.dividendYield.toString()}|${u.toString()}`;
  let out = SHARED_MEMO.get(sharedKey);
  if (out === undefined) {
    const g = bsm({ type: o.type, spot: u, strike: o.strike, vol, timeYears: o.timeYears, rate: o.rate, dividendYield: o.dividendYield });
    out = fromGreeks(u, vol, o.timeYears, g);
    if (SHARED_MEMO.size >= SHARED_MEMO_LIMIT) {
      // Evict the oldest tenth (Map iteration is insertion order).
      let n = SHARED_MEMO_LIMIT / 10;
      for (const k of SHARED_MEMO.keys()) {
        SHARED_MEMO.delete(k);
        if (--n <= 0) break;
      }
    }
    SHARED_MEMO.set(sharedKey, out);
  }
  o.memo.set(key, out);
  return out;
}

/** Bounded process-wide memo of precise option valuations (a cache of a pure function: replicas need not agree). */
const SHARED_MEMO = new Map<string, OptionValuation>();
const SHARED_MEMO_LIMIT = 20_000;

/** Empties the process-wide valuation memo (benchmarks measuring cold evaluations). */
export function clearOptionValuationMemo(): void {
  SHARED_MEMO.clear();
}

function Decimal_max0(x: Decimal): Decimal {
  return x.isNeg() ? ZERO : x;
}

/** Standard normal CDF in double precision (Hart 1968 / West 2005, |error| ≲ 1e-15). Search and VaR use only. */
export function normCdfFast(x: number): number {
  const a = Math.abs(x);
  let c: number;
  if (a > 37) c = 0;
  else {
    const e = Math.exp((-a * a) / 2);
    if (a < 7.07106781186547) {
      let b = 3.52624965998911e-2 * a + 0.700383064443688;
      b = b * a + 6.37396220353165;
      b = b * a + 33.912866078383;
      b = b * a + 112.079291497871;
      b = b * a + 221.213596169931;
      b = b * a + 220.206867912376;
      c = e * b;
      b = 8.83883476483184e-2 * a + 1.75566716318264;
      b = b * a + 16.064177579207;
      b = b * a + 86.7807322029461;
      b = b * a + 296.564248779674;
      b = b * a + 637.333633378831;
      b = b * a + 793.826512519948;
      b = b * a + 440.413735824752;
      c = c / b;
    } else {
      let b = a + 0.65;
      b = a + 4 / b;
      b = a + 3 / b;
      b = a + 2 / b;
      b = a + 1 / b;
      c = e / b / 2.506628274631;
    }
  }
  return x > 0 ? 1 - c : c;
}

/**
 * BSM value per unit in double precision, the formula of `bsm`: S' = u·e^{−qT}, K' = k·e^{−rT},
 * d1 = (ln(S'/K') + σ²T/2)/(σ√T) (= (ln(u/k) + (r − q + σ²/2)T)/(σ√T)), d2 = d1 − σ√T,
 * call = S'N(d1) − K'N(d2), put = K'N(−d2) − S'N(−d1). Same degenerate-case rules as `bsm`: expired → intrinsic
 * max(±(u − k), 0); σ = 0 or u = 0 → max(±(S' − K'), 0). With r = q = 0 (the defaults) it is Black-76 on F = u,
 * the same operations as before rates existed (the discount factors are then skipped, not multiplied by 1).
 */
export function bsmFast(type: OptionType, u: number, k: number, vol: number, t: number, r = 0, q = 0): number {
  if (t <= 0) {
    const iv = type === 'CALL' ? u - k : k - u;
    return iv > 0 ? iv : 0;
  }
  const s = q === 0 ? u : u * Math.exp(-q * t);
  const kd = r === 0 ? k : k * Math.exp(-r * t);
  if (vol <= 0 || u <= 0) {
    const iv = type === 'CALL' ? s - kd : kd - s;
    return iv > 0 ? iv : 0;
  }
  const sd = vol * Math.sqrt(t);
  const d1 = (Math.log(s / kd) + (sd * sd) / 2) / sd;
  const d2 = d1 - sd;
  const v = type === 'CALL' ? s * normCdfFast(d1) - kd * normCdfFast(d2) : kd * normCdfFast(-d2) - s * normCdfFast(-d1);
  return v > 0 ? v : 0;
}

/** FAST valuation per unit (Decimal of a double-precision BSM): for searches and VaR scenarios only. */
export function optionValueFast(o: OptionTerms, u: Decimal, volShift: Decimal = ZERO): Decimal {
  const vol = o.volatility.toNumber() * (1 + volShift.toNumber());
  return new D(bsmFast(o.type, u.toNumber(), o.strike.toNumber(), Math.max(vol, 0), o.timeYears.toNumber(), o.rate.toNumber(), o.dividendYield.toNumber()));
}

/**
 * An option position at underlying price U: notional |q|·c·U, equity contribution q·c·V, uPnL q·c·(V − E)
 * (informational), funding 0. FAST mode skips the greeks (they are zero in the result) and never touches the memo.
 */
export function valueOption(pos: NPosition, u: Decimal, mode: ValuationMode = 'PRECISE'): PositionValuation {
  const o = pos.market.option!;
  let ov: OptionValuation;
  if (mode === 'FAST') {
    const value = optionValueFast(o, u);
    ov = { underlyingPrice: u, volatility: o.volatility, timeYears: o.timeYears, expired: o.timeYears.lte(0), value, delta: ZERO, gamma: ZERO, vega: ZERO, theta: ZERO, rho: ZERO };
  } else {
    ov = optionValueAt(o, u);
  }
  const positionValue = normZero(pos.qc.mul(ov.value));
  return {
    notional: pos.absQc.mul(u),
    unrealizedPnl: normZero(pos.qc.mul(ov.value.sub(pos.entry))),
    fundingPnl: ZERO,
    equityContribution: positionValue,
    option: ov,
  };
}

/**
 * Valuation dispatch by market kind. `price` is the position's valuation price: the mark for delta-one markets, the
 * underlying price U for options (NPosition.valuationPrice holds the current one).
 */
export function valuePosition(pos: NPosition, price: Decimal, mode: ValuationMode = 'PRECISE'): PositionValuation {
  switch (pos.market.kind) {
    case 'PERPETUAL':
    case 'FUTURE':
      return valueDeltaOne(pos, price);
    case 'OPTION':
      return valueOption(pos, price, mode);
  }
}
