/**
 * Value at risk of an account (DESIGN §4): the current portfolio (balances, cross and isolated positions, options
 * included) revalued under price moves taken from stored daily history. Pure: the snapshot and the aligned history
 * are passed in (the API layer loads them).
 *
 * Portfolio value V(r) (valuation asset) under relative returns r_a per risky asset a: every index price of a, every
 * mark of a market on a (base a) and every option's underlying price on a are multiplied by (1 + r_a); V = equity
 * (Σ balances + Σ cross equity contributions + Σ isolated equities). Options are revalued by BSM (r, q) in double
 * precision (the FAST valuation, relative error ~1e-13: far below the sampling error of any VaR).
 *
 *   HISTORICAL: P&L_i = V(r_i) − V(0) over the overlapping h-day windows of the history; VaR / ES by the
 *               empirical convention of value-at-risk.ts (k = ⌈α·N⌉ ...).
 *   PARAMETRIC: delta-normal; exposures w_a = ∂V/∂ln P_a by a central difference (±1e-6), Σ = sample covariance
 *               of daily log returns; σ = √(wᵀΣw), VaR = z_α·σ·√h, ES = σ·√h·φ(z_α)/(1 − α).
 */
import type Decimal from 'decimal.js';
import type { AccountSnapshot } from '../types';
import { D, ONE, ZERO, toD } from '../decimal';
import { prepareAccount, type PreparedAccount } from '../model';
import { equityContributionOf, valuePosition } from '../valuation';
import { historicalVar, parametricVar, type PriceHistory, type ReturnScenario } from './value-at-risk';
import { own } from '../lookup';

export type VarMethod = 'HISTORICAL' | 'PARAMETRIC';

/** Daily closes per asset on common dates, oldest first (every series as long as `datesMs`). */
export interface AlignedHistory {
  readonly datesMs: readonly number[];
  readonly prices: Readonly<Record<string, readonly Decimal[]>>;
}

export interface AccountVarRequest {
  /** α in (0, 1). */
  readonly confidence: Decimal.Value;
  /** h ≥ 1 days (integer). */
  readonly horizonDays: number;
  readonly method: VarMethod;
}

export interface AccountVarResult {
  readonly method: VarMethod;
  readonly confidence: Decimal;
  readonly horizonDays: number;
  /** Loss not exceeded with probability α over h days (valuation asset; negative = a gain at that quantile). */
  readonly var: Decimal;
  /** Mean loss beyond VaR. */
  readonly expectedShortfall: Decimal;
  /** HISTORICAL: number of h-day scenarios; PARAMETRIC: number of daily returns behind the covariance. */
  readonly observations: number;
  /** HISTORICAL: end date of the window with the largest loss; null for PARAMETRIC. */
  readonly worstScenarioDateMs: number | null;
  /** Current portfolio value V(0) (= equity). */
  readonly currentValue: Decimal;
  /** Assets whose prices were moved (sorted). */
  readonly assets: readonly string[];
  /** PARAMETRIC: exposures ∂V/∂ln P per asset; HISTORICAL: empty. */
  readonly exposures: Readonly<Record<string, Decimal>>;
}

/** Risky assets an account is exposed to: non-valuation balance assets, bases and settlement assets of positions. */
export function accountRiskAssets(snapshot: AccountSnapshot): string[] {
  const out = new Set<string>();
  for (const b of snapshot.balances) if (b.asset !== snapshot.valuationAsset && !toD(b.amount).isZero()) out.add(b.asset);
  for (const p of snapshot.positions) {
    if (toD(p.size).isZero()) continue;
    const m = own(snapshot.markets, p.market);
    if (m === undefined) continue;
    if (m.baseAsset !== snapshot.valuationAsset) out.add(m.baseAsset);
    if (m.settlementAsset !== snapshot.valuationAsset) out.add(m.settlementAsset);
  }
  return [...out].sort();
}

/** V(r): the account's equity with every price on asset a moved by (1 + r_a). */
export function portfolioValue(prepared: PreparedAccount, returns: ReturnScenario): Decimal {
  const factor = (asset: string): Decimal => {
    const r = returns[asset];
    return r === undefined ? ONE : ONE.add(r);
  };
  let sum = ZERO;
  for (const b of prepared.balances) sum = sum.add(b.amount.mul(b.indexPrice).mul(factor(b.asset)));
  for (const p of prepared.positions) {
    const price = p.valuationPrice.mul(factor(p.market.base));
    const x = p.settlePrice.mul(factor(p.market.settle));
    const v = valuePosition(p, price, 'FAST');
    const e = p.marginType === 'ISOLATED' ? p.isolatedMargin.add(v.unrealizedPnl).add(v.fundingPnl) : equityContributionOf(v);
    sum = sum.add(e.mul(x));
  }
  return sum;
}

const BUMP = new D('1e-6');

/** VaR and ES of the account over the aligned history (see the module doc). Throws RangeError on bad input. */
export function accountValueAtRisk(snapshot: AccountSnapshot, history: AlignedHistory, request: AccountVarRequest): AccountVarResult {
  const confidence = toD(request.confidence);
  const h = request.horizonDays;
  if (!Number.isInteger(h) || h < 1) throw new RangeError('horizonDays must be a positive integer');
  const prepared = prepareAccount(snapshot);
  const assets = accountRiskAssets(snapshot);
  for (const a of assets) {
    if (history.prices[a] === undefined) throw new RangeError(`no price history for ${a}`);
  }
  const series: Record<string, readonly Decimal[]> = {};
  for (const a of assets) series[a] = history.prices[a]!.map((x) => toD(x));
  const currentValue = portfolioValue(prepared, {});
  if (assets.length === 0) {
    // Nothing moves: no risk.
    return Object.freeze({
      method: request.method,
      confidence,
      horizonDays: h,
      var: ZERO,
      expectedShortfall: ZERO,
      observations: Math.max(0, history.datesMs.length - (request.method === 'HISTORICAL' ? h : 1)),
      worstScenarioDateMs: null,
      currentValue,
      assets: Object.freeze([]),
      exposures: Object.freeze({}),
    });
  }
  const priceHistory: PriceHistory = series;

  if (request.method === 'HISTORICAL') {
    const r = historicalVar({ revalue: (ret) => portfolioValue(prepared, ret), history: priceHistory, horizonDays: h, confidence });
    let worst = r.scenarios[0]!;
    for (const s of r.scenarios) if (s.pnl.lt(worst.pnl)) worst = s;
    return Object.freeze({
      method: 'HISTORICAL',
      confidence,
      horizonDays: h,
      var: r.var,
      expectedShortfall: r.expectedShortfall,
      observations: r.scenarios.length,
      worstScenarioDateMs: history.datesMs[worst.startIndex + h] ?? null,
      currentValue,
      assets: Object.freeze(assets),
      exposures: Object.freeze({}),
    });
  }

  const exposures: Record<string, Decimal> = {};
  for (const a of assets) {
    const up = portfolioValue(prepared, { [a]: BUMP.exp().sub(ONE) });
    const down = portfolioValue(prepared, { [a]: BUMP.neg().exp().sub(ONE) });
    exposures[a] = up.sub(down).div(BUMP.mul(2));
  }
  const r = parametricVar({ exposures, history: priceHistory, horizonDays: h, confidence });
  return Object.freeze({
    method: 'PARAMETRIC',
    confidence,
    horizonDays: h,
    var: r.var,
    expectedShortfall: r.expectedShortfall,
    observations: history.datesMs.length - 1,
    worstScenarioDateMs: null,
    currentValue,
    assets: Object.freeze(assets),
    exposures: Object.freeze(exposures),
  });
}

/**
 * Aligns per-asset daily points on the dates every asset has (UTC day), oldest first, keeping the last `maxPoints`.
 */
export function alignHistory(
  points: ReadonlyMap<string, readonly { readonly price: Decimal; readonly observedAt: Date }[]>,
  assets: readonly string[],
): AlignedHistory {
  const DAY = 86_400_000;
  const byAsset = new Map<string, Map<number, Decimal>>();
  for (const a of assets) {
    const m = new Map<number, Decimal>();
    for (const p of points.get(a) ?? []) m.set(Math.floor(p.observedAt.getTime() / DAY), p.price);
    byAsset.set(a, m);
  }
  let days: number[] | null = null;
  for (const a of assets) {
    const keys = [...byAsset.get(a)!.keys()];
    days = days === null ? keys : days.filter((d) => byAsset.get(a)!.has(d));
  }
  const sorted = (days ?? []).sort((x, y) => x - y);
  const prices: Record<string, Decimal[]> = {};
  for (const a of assets) prices[a] = sorted.map((d) => byAsset.get(a)!.get(d)!);
  return { datesMs: sorted.map((d) => d * DAY), prices };
}
