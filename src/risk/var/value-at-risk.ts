/**
 * Value at risk and expected shortfall (DESIGN §4): historical simulation with full revaluation, and parametric
 * normal with square-root-of-time scaling. Also the realized daily volatility used by the volatility margin
 * adjustment. Pure functions: histories and the revaluation function are passed in.
 *
 * Conventions: losses are positive (loss = −P&L, in the portfolio's valuation currency); confidence α in (0, 1),
 * e.g. 0.99; horizon h in days (positive integer for historical simulation).
 */
import type Decimal from 'decimal.js';
import { D, DecimalValue, normInv, normPdf, toD } from '../options/decimal-math';

/** Daily price series per asset, oldest first, all of the same length and aligned on the same dates. */
export type PriceHistory = Readonly<Record<string, readonly Decimal[]>>;

/** Relative return per asset: r = P_{t+h} / P_t − 1 (dimensionless). */
export type ReturnScenario = Readonly<Record<string, Decimal>>;

function checkConfidence(confidence: DecimalValue): Decimal {
  const a = toD(confidence);
  if (a.lte(0) || a.gte(1)) throw new RangeError(`confidence must be in (0, 1), got ${a.toString()}`);
  return a;
}

function historyLength(history: PriceHistory): { assets: string[]; length: number } {
  const assets = Object.keys(history).sort();
  if (assets.length === 0) throw new RangeError('history: no assets');
  const length = history[assets[0]].length;
  for (const a of assets) {
    const series = history[a];
    if (series.length !== length) throw new RangeError(`history: series of ${a} has ${series.length} points, expected ${length}`);
    for (const p of series) if (!toD(p).gt(0)) throw new RangeError(`history: prices of ${a} must be > 0`);
  }
  return { assets, length };
}

/**
 * Overlapping h-day relative returns: scenario i (i = 0 … n−1−h) has r_a = P_a[i+h] / P_a[i] − 1 for every asset.
 * n points give n − h scenarios (overlapping windows are serially correlated; documented limitation).
 */
export function overlappingReturns(history: PriceHistory, horizonDays: number): ReturnScenario[] {
  if (!Number.isInteger(horizonDays) || horizonDays < 1) throw new RangeError('horizonDays must be a positive integer');
  const { assets, length } = historyLength(history);
  const out: ReturnScenario[] = [];
  for (let i = 0; i + horizonDays < length; i++) {
    const s: Record<string, Decimal> = {};
    for (const a of assets) s[a] = toD(history[a][i + horizonDays]).div(toD(history[a][i])).minus(1);
    out.push(s);
  }
  return out;
}

/** Applies relative returns to current prices: P'_a = P_a × (1 + r_a); assets without a return keep their price. */
export function applyReturns(prices: Readonly<Record<string, Decimal>>, returns: ReturnScenario): Record<string, Decimal> {
  const out: Record<string, Decimal> = {};
  for (const [a, p] of Object.entries(prices)) out[a] = toD(p).times(toD(returns[a] ?? 0).plus(1));
  return out;
}

/**
 * Empirical VaR and ES of a sample of losses, with the convention:
 *   sort the N losses ascending l_(1) ≤ … ≤ l_(N);  k = ⌈α·N⌉;
 *   VaR_α = l_(k)  (the lower empirical α-quantile of the loss distribution: the smallest loss ℓ such that at
 *                  least a fraction α of scenarios lose ≤ ℓ);
 *   ES_α  = mean(l_(k), …, l_(N))  (the N − k + 1 losses at or beyond VaR).
 * Hence ES_α ≥ VaR_α and both are non-decreasing in α. Losses may be negative (a gain) when every scenario gains.
 */
export function empiricalVarEs(losses: readonly Decimal[], confidence: DecimalValue): { var: Decimal; expectedShortfall: Decimal; quantileRank: number; tailCount: number } {
  const a = checkConfidence(confidence);
  const n = losses.length;
  if (n === 0) throw new RangeError('empiricalVarEs: no scenarios');
  const sorted = losses.map((l) => toD(l)).sort((x, y) => x.cmp(y));
  const k = Math.max(1, a.times(n).ceil().toNumber()); // 1-based rank
  const tail = sorted.slice(k - 1);
  const es = tail.reduce((acc, x) => acc.plus(x), new D(0)).div(tail.length);
  return { var: sorted[k - 1], expectedShortfall: es, quantileRank: k, tailCount: tail.length };
}

export interface HistoricalVarInput {
  /**
   * Full revaluation of the CURRENT portfolio after the given relative price returns are applied to current prices
   * (valuation currency). `revalue({})`/all-zero returns must give the current value. Use `applyReturns` to build
   * the shocked prices.
   */
  readonly revalue: (returns: ReturnScenario) => Decimal;
  readonly history: PriceHistory;
  /** Horizon h in days (positive integer). */
  readonly horizonDays: number;
  /** Confidence α in (0, 1). */
  readonly confidence: DecimalValue;
}

export interface HistoricalVarScenario {
  /** Index of the window's first observation in the history. */
  readonly startIndex: number;
  readonly returns: ReturnScenario;
  /** Portfolio P&L (valuation currency); loss = −pnl. */
  readonly pnl: Decimal;
}

export interface HistoricalVarResult {
  readonly var: Decimal;
  readonly expectedShortfall: Decimal;
  readonly currentValue: Decimal;
  /** Scenarios in history order. */
  readonly scenarios: readonly HistoricalVarScenario[];
  /** 1-based rank k = ⌈α·N⌉ of VaR among ascending losses. */
  readonly quantileRank: number;
  /** Number of losses averaged into ES. */
  readonly tailCount: number;
  /** The scenario whose loss is VaR (first in history order among equal losses). */
  readonly varScenario: HistoricalVarScenario;
}

/**
 * Historical simulation: P&L_i = revalue(returns_i) − revalue(0) over the overlapping h-day windows of the history
 * (full revaluation of today's portfolio), then VaR / ES by the `empiricalVarEs` convention.
 */
export function historicalVar(input: HistoricalVarInput): HistoricalVarResult {
  const returns = overlappingReturns(input.history, input.horizonDays);
  if (returns.length === 0) throw new RangeError('historicalVar: history too short for the horizon');
  const zeroReturns: Record<string, Decimal> = {};
  for (const a of Object.keys(input.history)) zeroReturns[a] = new D(0);
  const currentValue = toD(input.revalue(zeroReturns));
  const scenarios = returns.map((r, i) => ({ startIndex: i, returns: r, pnl: toD(input.revalue(r)).minus(currentValue) }));
  const res = empiricalVarEs(scenarios.map((s) => s.pnl.neg()), input.confidence);
  const varScenario = scenarios.find((s) => s.pnl.neg().eq(res.var)) as HistoricalVarScenario;
  return { var: res.var, expectedShortfall: res.expectedShortfall, currentValue, scenarios, quantileRank: res.quantileRank, tailCount: res.tailCount, varScenario };
}

/** Daily log returns ln(P_t / P_{t−1}) of one series (oldest first). */
export function dailyLogReturns(prices: readonly Decimal[]): Decimal[] {
  const out: Decimal[] = [];
  for (let i = 1; i < prices.length; i++) {
    const p0 = toD(prices[i - 1]);
    const p1 = toD(prices[i]);
    if (!p0.gt(0) || !p1.gt(0)) throw new RangeError('dailyLogReturns: prices must be > 0');
    out.push(p1.div(p0).ln());
  }
  return out;
}

function mean(xs: readonly Decimal[]): Decimal {
  return xs.reduce((a, x) => a.plus(x), new D(0)).div(xs.length);
}

/**
 * Realized daily volatility: sample standard deviation of daily log returns,
 *   σ = √( Σ (x_t − x̄)² / (m − 1) ),  x_t = ln(P_t/P_{t−1}), m = number of returns (needs ≥ 3 prices).
 * A dimensionless daily fraction (0.02 = 2% per day).
 */
export function realizedDailyVolatility(prices: readonly Decimal[]): Decimal {
  if (prices.length < 3) throw new RangeError('realizedDailyVolatility: need at least 3 prices');
  const x = dailyLogReturns(prices);
  const m = mean(x);
  const ss = x.reduce((a, v) => a.plus(v.minus(m).pow(2)), new D(0));
  return ss.div(x.length - 1).sqrt();
}

/**
 * Sample covariance matrix of daily log returns: Σ_ab = Σ_t (x_a,t − x̄_a)(x_b,t − x̄_b) / (m − 1), per day².
 * Assets in the returned order (sorted by symbol).
 */
export function logReturnCovariance(history: PriceHistory): { assets: string[]; matrix: Decimal[][] } {
  const { assets, length } = historyLength(history);
  if (length < 3) throw new RangeError('logReturnCovariance: need at least 3 prices per asset');
  const rets = assets.map((a) => dailyLogReturns(history[a]));
  const means = rets.map(mean);
  const m = length - 1;
  const matrix = assets.map((_, i) =>
    assets.map((__, j) => {
      let s = new D(0);
      for (let t = 0; t < m; t++) s = s.plus(rets[i][t].minus(means[i]).times(rets[j][t].minus(means[j])));
      return s.div(m - 1);
    }),
  );
  return { assets, matrix };
}

/**
 * Portfolio daily P&L standard deviation from delta exposures: σ_P = √(wᵀ Σ w), with w_a the USD delta exposure
 * to asset a (∂value/∂ln P_a ≈ position delta × price) and Σ the daily log-return covariance. Result in USD/day.
 * Assets missing from `exposures` have exposure 0; an exposure to an asset absent from the covariance throws.
 */
export function portfolioSigma(exposures: Readonly<Record<string, Decimal>>, covariance: { assets: readonly string[]; matrix: readonly (readonly Decimal[])[] }): Decimal {
  for (const a of Object.keys(exposures)) {
    if (!covariance.assets.includes(a) && !toD(exposures[a]).isZero()) throw new RangeError(`portfolioSigma: no covariance for ${a}`);
  }
  const w = covariance.assets.map((a) => toD(exposures[a] ?? 0));
  let v = new D(0);
  for (let i = 0; i < w.length; i++) for (let j = 0; j < w.length; j++) v = v.plus(w[i].times(toD(covariance.matrix[i][j])).times(w[j]));
  return D.max(v, 0).sqrt();
}

export interface ParametricVarResult {
  /** z_α = Φ⁻¹(α). */
  readonly z: Decimal;
  /** Daily σ of the portfolio (input units). */
  readonly sigmaDaily: Decimal;
  /** σ_h = σ·√h. */
  readonly sigmaHorizon: Decimal;
  /** VaR = z_α·σ·√h. */
  readonly var: Decimal;
  /** ES = σ·√h·φ(z_α)/(1 − α). */
  readonly expectedShortfall: Decimal;
}

/**
 * Parametric normal VaR/ES from a daily σ (zero mean, i.i.d. days):
 *   σ_h = σ·√h,  VaR_α = z_α·σ_h,  ES_α = σ_h·φ(z_α)/(1 − α),  z_α = Φ⁻¹(α).
 * Units of the result are those of σ (USD, or a fraction of value when σ is a return volatility).
 * `zScore` overrides z_α (e.g. a quoted 1.64485); then ES uses α as given.
 */
export function parametricVarFromSigma(input: { readonly sigmaDaily: DecimalValue; readonly horizonDays: DecimalValue; readonly confidence: DecimalValue; readonly zScore?: DecimalValue }): ParametricVarResult {
  const a = checkConfidence(input.confidence);
  const sigma = toD(input.sigmaDaily);
  const h = toD(input.horizonDays);
  if (sigma.isNegative()) throw new RangeError('sigmaDaily must be ≥ 0');
  if (h.lte(0)) throw new RangeError('horizonDays must be > 0');
  const z = input.zScore !== undefined ? toD(input.zScore) : normInv(a);
  const sigmaHorizon = sigma.times(h.sqrt());
  return {
    z,
    sigmaDaily: sigma,
    sigmaHorizon,
    var: z.times(sigmaHorizon),
    expectedShortfall: sigmaHorizon.times(normPdf(z)).div(new D(1).minus(a)),
  };
}

/**
 * Parametric normal VaR/ES of a delta portfolio: σ = √(wᵀ Σ w) with w the USD exposures and Σ the sample covariance
 * of daily log returns from `history`; then `parametricVarFromSigma`. Result in USD.
 */
export function parametricVar(input: { readonly exposures: Readonly<Record<string, Decimal>>; readonly history: PriceHistory; readonly horizonDays: DecimalValue; readonly confidence: DecimalValue }): ParametricVarResult {
  const cov = logReturnCovariance(input.history);
  return parametricVarFromSigma({ sigmaDaily: portfolioSigma(input.exposures, cov), horizonDays: input.horizonDays, confidence: input.confidence });
}
