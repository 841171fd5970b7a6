/**
 * High-precision Decimal helpers for the option and VaR math: the engine's Decimal constructor `D` (re-exported from
 * src/risk/decimal.ts: 50 significant digits, half-even) and the standard normal density, distribution and quantile
 * functions evaluated in Decimal arithmetic.
 *
 * Pure: no I/O, no clock. Every function converts its inputs to `D` first, so values built with another Decimal
 * clone are accepted; results are `D` instances rounded to `D.precision` significant digits.
 */
import Decimal from 'decimal.js';
import { D } from '../decimal';

export { D };
export type DecimalValue = Decimal.Value;

/** Internal working precision for the normal functions (headroom for cancellation in the series). */
const W = Decimal.clone({ precision: 72, rounding: Decimal.ROUND_HALF_EVEN });
const W_EPS = new W('1e-70');

/** Converts any Decimal-like value to a `D` instance, rejecting NaN and ±Infinity (stricter than decimal.ts's toD). */
export function toD(x: DecimalValue): Decimal {
  const d = new D(x);
  if (!d.isFinite()) throw new RangeError(`expected a finite number, got ${d.toString()}`);
  return d;
}

function out(x: Decimal): Decimal {
  return new D(x).toSignificantDigits(D.precision);
}

const W_SQRT_2PI = new W(2).times(W.acos(-1)).sqrt();
const W_HALF = new W('0.5');

/** Standard normal density φ(x) = e^{−x²/2}/√(2π) at working precision. */
function pdfW(x: Decimal): Decimal {
  return x.times(x).div(-2).exp().div(W_SQRT_2PI);
}

/**
 * Standard normal density φ(x) = e^{−x²/2} / √(2π). Dimensionless.
 */
export function normPdf(x: DecimalValue): Decimal {
  return out(pdfW(new W(toD(x))));
}

/** Threshold between the power series and the continued fraction in `normCdf`. */
const SERIES_LIMIT = 8;

/**
 * Lower tail Φ(x) for |x| ≤ SERIES_LIMIT via the all-positive series
 *   Φ(x) = 1/2 + φ(x)·Σ_{n≥0} x^{2n+1} / (1·3·5···(2n+1)),
 * summed at 72 digits (at x = −8 cancellation costs ~16 digits, leaving > 55).
 */
function cdfSeries(x: Decimal): Decimal {
  const x2 = x.times(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 10000; n++) {
    term = term.times(x2).div(2 * n + 1);
    sum = sum.plus(term);
    if (term.abs().lte(sum.abs().times(W_EPS))) break;
  }
  return W_HALF.plus(pdfW(x).times(sum));
}

/**
 * Upper tail Q(x) = 1 − Φ(x) for x > 0 via the Laplace continued fraction
 *   Q(x) = φ(x) / (x + 1/(x + 2/(x + 3/(x + ···)))),
 * evaluated with the modified Lentz algorithm to a relative accuracy of 1e-70.
 */
function upperTailCf(x: Decimal): Decimal {
  const tiny = new W('1e-300');
  let f = x; // b0
  let c = f;
  let d = new W(0);
  for (let n = 1; n < 100000; n++) {
    // a_n = n, b_n = x
    d = x.plus(d.times(n));
    if (d.isZero()) d = tiny;
    c = x.plus(new W(n).div(c));
    if (c.isZero()) c = tiny;
    d = new W(1).div(d);
    const delta = c.times(d);
    f = f.times(delta);
    if (delta.minus(1).abs().lt(W_EPS)) break;
  }
  return pdfW(x).div(f);
}

/**
 * Standard normal cumulative distribution Φ(x) = P(Z ≤ x). Dimensionless, in [0, 1].
 * |x| ≤ 8: power series; |x| > 8: Laplace continued fraction for the tail (Φ(x) = Q(−x) for x < 0).
 * Relative accuracy better than 1e-45 in both tails (far beyond the 1e-20 requirement).
 */
export function normCdf(x: DecimalValue): Decimal {
  const w = new W(toD(x));
  if (w.abs().lte(SERIES_LIMIT)) return out(cdfSeries(w));
  if (w.isNegative()) return out(upperTailCf(w.neg()));
  return out(new W(1).minus(upperTailCf(w)));
}

/** Acklam's rational approximation of Φ⁻¹ (relative error ≈ 1.15e-9) in double precision; starting point only. */
function acklam(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pLow = 0.02425;
  if (p < pLow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p <= 1 - pLow) {
    const q = p - 0.5;
    const r = q * q;
    return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  }
  const q = Math.sqrt(-2 * Math.log(1 - p));
  return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
}

/**
 * Inverse standard normal CDF Φ⁻¹(p) for p in (0, 1): Acklam's approximation as the start, then Newton steps
 * x ← x − (Φ(x) − p)/φ(x) in Decimal until the step is below 1e-48 (in the lower half the tail probability
 * is matched directly, p ≤ 1/2 ⇒ x = −Φ⁻¹(1 − p), which avoids cancellation near p = 1). Dimensionless.
 */
export function normInv(p: DecimalValue): Decimal {
  const pd = toD(p);
  if (pd.lte(0) || pd.gte(1)) throw new RangeError(`normInv: p must be in (0, 1), got ${pd.toString()}`);
  // Work with the lower tail probability t = min(p, 1 − p) and x ≤ 0, then reflect.
  const upper = pd.gt('0.5');
  const t = new W(upper ? new D(1).minus(pd) : pd);
  let x: Decimal;
  const tn = t.toNumber();
  if (tn > 1e-300) x = new W(acklam(tn));
  else x = t.ln().times(-2).sqrt().neg(); // asymptotic start for extremely small tails
  for (let i = 0; i < 100; i++) {
    const fx = x.abs().lte(SERIES_LIMIT) ? cdfSeries(x) : upperTailCf(x.neg());
    const step = fx.minus(t).div(pdfW(x));
    x = x.minus(step);
    if (step.abs().lt('1e-52')) break;
  }
  return out(upper ? x.neg() : x);
}
