/**
 * Entry point of the risk engine: `evaluateAccount(snapshot)` → immutable `AccountRisk`, computed in one pass from
 * a plain snapshot (no I/O, no clock: time is `snapshot.asOfMs`).
 */
import { valuationDecimalsOf } from './precision';
import type Decimal from 'decimal.js';
import type { AccountSnapshot } from './types';
import type {
  AccountRisk,
  Greeks,
  PortfolioFallback,
  OptionRisk,
  PortfolioScanRisk,
  PositionGreeks,
  PositionRisk,
  TierUsed,
  UnderlyingGreeks,
  UnderlyingLiquidation,
} from './result';
import { aggregateAccount, type AccountFigures, type ReplacedRequirements } from './account';
import { D, ZERO, compareD, scaleBy } from './decimal';
import {
  adverseBoundary,
  crossUnderlying,
  isolatedPrices,
  type BoundarySearchModel,
  type CrossPortfolio,
  type CurrentPositionFigures,
} from './liquidation';
import { prepareAccount, type NMarket, type NPosition, type NTier, type PreparedAccount } from './model';
import { portfolioGroups, scanGroup, type PortfolioGroup } from './portfolio';
import { evaluatePositionAt, type PositionFigures } from './position';
import { withPrices, type PriceOverrides } from './prices';

/** Whether to compute liquidation / bankruptcy prices (SKIP: all null and `liquidationPrices` empty; faster sweeps). */
export type LiquidationPriceMode = 'COMPUTE' | 'SKIP';

/**
 * Whether to compute greeks (SKIP: every position's `greeks` null and the account's `greeks` empty). No other figure
 * depends on them; callers that never read greeks (a request that selects none, sweeps, stress rounds) skip them.
 */
export type GreeksMode = 'COMPUTE' | 'SKIP';

export interface EvaluateOptions {
  readonly liquidationPrices?: LiquidationPriceMode;
  /**
   * Model the cross boundary searches locate a boundary on before the exact snapping and verification (default FAST:
   * doubles for delta-one books, see liquidation.ts). The reported prices are the same either way (snapping and its
   * verification are exact); PRECISE exists to prove it.
   */
  readonly boundarySearch?: BoundarySearchModel;
  /** Default COMPUTE. */
  readonly greeks?: GreeksMode;
}

function tierUsed(f: PositionFigures): TierUsed {
  return tierOf(f.tier);
}

/** The tier as reported: built once per normalized tier (model.ts) and shared, it is frozen. */
function tierOf(t: NTier): TierUsed {
  return t.used;
}

const ZERO_GREEKS: Greeks = Object.freeze({ delta: ZERO, gamma: ZERO, vega: ZERO, theta: ZERO, rho: ZERO });
const NEG_ZERO: Decimal = new D(-0);

/** 0·k exactly as decimal.js computes it: a zero carrying the sign of k (−0 for a negative k). */
function zeroTimes(k: Decimal): Decimal {
  return k.s < 0 ? NEG_ZERO : ZERO;
}

function scaleGreeks(g: Greeks, k: Decimal): Greeks {
  return Object.freeze({ delta: g.delta.mul(k), gamma: g.gamma.mul(k), vega: g.vega.mul(k), theta: g.theta.mul(k), rho: g.rho.mul(k) });
}

/** Delta-one per-contract greeks: delta only, the four others exact zeros (no multiplications). */
function scaleDeltaOne(g: Greeks, k: Decimal): Greeks {
  const z = zeroTimes(k);
  return Object.freeze({ delta: g.delta.mul(k), gamma: z, vega: z, theta: z, rho: z });
}

/**
 * Per-contract greeks of delta-one markets, memoized per normalized market (markets are shared across evaluations,
 * model.ts): LINEAR c (constant); INVERSE c/P² for the last mark P seen (recomputed when the mark's value changes).
 */
const DELTA_ONE_GREEKS = new WeakMap<NMarket, { mark: Decimal | null; greeks: Greeks }>();

function deltaOnePerContract(m: NMarket, mark: Decimal): Greeks {
  const hit = DELTA_ONE_GREEKS.get(m);
  if (m.contractType === 'LINEAR') {
    if (hit !== undefined) return hit.greeks;
    const greeks: Greeks = Object.freeze({ ...ZERO_GREEKS, delta: m.c });
    DELTA_ONE_GREEKS.set(m, { mark: null, greeks });
    return greeks;
  }
  if (hit !== undefined && hit.mark !== null && compareD(hit.mark, mark) === 0) return hit.greeks;
  const greeks: Greeks = Object.freeze({ ...ZERO_GREEKS, delta: m.c.div(mark.mul(mark)) });
  DELTA_ONE_GREEKS.set(m, { mark, greeks });
  return greeks;
}

/** Position greeks (settlement units): options from BSM × c (per contract) × q; delta-one delta only. */
function positionGreeks(pos: NPosition, f: PositionFigures): PositionGreeks {
  const m = pos.market;
  if (f.option) {
    const perContract = scaleGreeks(f.option, m.c);
    return Object.freeze({ perContract, position: scaleGreeks(perContract, pos.q) });
  }
  const perContract = deltaOnePerContract(m, f.mark);
  return Object.freeze({ perContract, position: scaleDeltaOne(perContract, pos.q) });
}

function optionRisk(pos: NPosition, f: PositionFigures): OptionRisk | null {
  const o = pos.market.option;
  const ov = f.option;
  if (o === null || !ov) return null;
  return Object.freeze({
    optionType: o.type,
    strike: o.strike,
    expiryMs: o.expiryMs,
    underlyingPrice: ov.underlyingPrice,
    impliedVolatility: ov.volatility,
    timeToExpiryYears: ov.timeYears,
    riskFreeRate: o.rate,
    dividendYield: o.dividendYield,
    expired: ov.expired,
    modelPrice: ov.value,
    storedMarkPrice: pos.mark,
    positionValue: f.equityContribution,
  });
}

function positionRisk(
  pos: NPosition,
  f: PositionFigures,
  liquidationPrice: Decimal | null,
  bankruptcyPrice: Decimal | null,
  greeks: GreeksMode,
): PositionRisk {
  const m = pos.market;
  return Object.freeze({
    positionId: pos.id,
    market: m.symbol,
    marketKind: m.kind,
    contractType: m.contractType,
    marginType: pos.marginType,
    underlying: m.base,
    settlementAsset: m.settle,
    side: pos.side,
    size: pos.q,
    contractSize: m.c,
    entryPrice: pos.entry,
    markPrice: pos.mark,
    settlementPrice: f.settlePrice,
    notional: f.notional,
    notionalUsd: f.notionalUsd,
    tier: tierUsed(f),
    initialRate: f.initialRate,
    volatilityFactor: f.volatilityFactor,
    maintenanceRate: f.maintenanceRate,
    maintenanceAmount: f.maintenanceAmount,
    liquidityAddon: f.liquidityAddon,
    sizeAddon: f.sizeAddon ?? null,
    closingFee: f.closingFee ?? ZERO,
    initialMargin: f.initialMargin,
    maintenanceMargin: f.maintenanceMargin,
    unrealizedPnl: f.unrealizedPnl,
    fundingPnl: f.fundingPnl,
    settlementDecimals: m.settleDecimals,
    initialMarginUsd: f.initialMarginUsd,
    maintenanceMarginUsd: f.maintenanceMarginUsd,
    unrealizedPnlUsd: f.unrealizedPnlUsd,
    fundingPnlUsd: f.fundingPnlUsd,
    isolatedMargin: pos.isolatedMargin,
    isolatedEquity: f.isolatedEquity,
    isolatedStatus: f.isolatedStatus,
    liquidationPrice,
    bankruptcyPrice,
    marginMethod: f.marginMethod ?? 'TIERED',
    equityContribution: f.equityContribution,
    equityContributionUsd: f.equityContributionUsd,
    maintenanceBasis: m.maintenanceBasis,
    maintenanceNotional: f.maintenanceNotional ?? f.notional,
    maintenanceTier: tierOf(f.maintenanceTier ?? f.tier),
    option: optionRisk(pos, f),
    optionMargin: f.optionMargin ?? null,
    greeks: greeks === 'COMPUTE' ? positionGreeks(pos, f) : null,
  });
}

/**
 * acc + g·x. A zero term (gamma, vega and theta of every delta-one position) leaves the sum as it is (decimal.js adds a
 * zero by returning the other operand, whatever the zero's sign), and x = 1 (the valuation asset's index) leaves g:
 * both skipped, same value.
 */
function addTerm(acc: Decimal, g: Decimal, x: Decimal): Decimal {
  return g.isZero() ? acc : acc.add(scaleBy(g, x));
}

/** Σ position greeks × settlement price per underlying (non-flat positions), by symbol; empty when greeks were skipped. */
function accountGreeks(positions: readonly PositionRisk[]): UnderlyingGreeks[] {
  const sums = new Map<string, { delta: Decimal; gamma: Decimal; vega: Decimal; theta: Decimal; rho: Decimal }>();
  for (const p of positions) {
    if (p.side === 'FLAT' || p.greeks === null) continue;
    const x = p.settlementPrice;
    const g = p.greeks.position;
    const acc = sums.get(p.underlying) ?? { delta: ZERO, gamma: ZERO, vega: ZERO, theta: ZERO, rho: ZERO };
    sums.set(p.underlying, {
      delta: addTerm(acc.delta, g.delta, x),
      gamma: addTerm(acc.gamma, g.gamma, x),
      vega: addTerm(acc.vega, g.vega, x),
      theta: addTerm(acc.theta, g.theta, x),
      rho: addTerm(acc.rho, g.rho, x),
    });
  }
  return [...sums.keys()].sort().map((underlying) => Object.freeze({ underlying, ...sums.get(underlying)! }));
}

/** The part of an evaluation every entry point shares: normalized account, position figures, scans, account figures. */
interface EvaluationCore {
  readonly prepared: PreparedAccount;
  /** Each position's own figures at the current prices (before a portfolio scan replaces requirements). */
  readonly ownFigures: readonly PositionFigures[];
  /** The figures the account aggregates (scanned positions' requirements zeroed). */
  readonly figures: readonly PositionFigures[];
  readonly groups: readonly PortfolioGroup[];
  readonly fallbacks: readonly PortfolioFallback[];
  readonly portfolioScans: readonly PortfolioScanRisk[];
  readonly crossPortfolio: CrossPortfolio | null;
  readonly account: AccountFigures;
}

/**
 * Normalizes the snapshot, evaluates every position at its prices, runs the portfolio scans of a PORTFOLIO account
 * and aggregates the account: what evaluateAccount and evaluateAccountFigures share (one computation).
 */
function evaluateCore(snapshot: AccountSnapshot): EvaluationCore {
  const prepared = prepareAccount(snapshot);
  const { positions } = prepared;
  const ownFigures: PositionFigures[] = positions.map((p) => evaluatePositionAt(p, p.valuationPrice, p.settlePrice));
  let figures: readonly PositionFigures[] = ownFigures;

  // PORTFOLIO: scan groups replace their positions' own requirements.
  const { groups, fallbacks } = portfolioGroups(prepared);
  const portfolioScans: PortfolioScanRisk[] = groups.map((g) => scanGroup(g));
  let replaced: ReplacedRequirements | null = null;
  let crossPortfolio: CrossPortfolio | null = null;
  if (groups.length > 0) {
    const ids = new Set(groups.flatMap((g) => g.positions.map((p) => p.id)));
    figures = figures.map((f, i) =>
      ids.has(positions[i]!.id)
        ? { ...f, initialMargin: ZERO, maintenanceMargin: ZERO, initialMarginUsd: ZERO, maintenanceMarginUsd: ZERO, marginMethod: 'PORTFOLIO' as const }
        : f,
    );
    replaced = {
      initialMargin: portfolioScans.reduce((a, r) => a.add(r.initialMargin), ZERO),
      maintenanceMargin: portfolioScans.reduce((a, r) => a.add(r.maintenanceMargin), ZERO),
      positionIds: ids,
    };
    crossPortfolio = { groups, scannedIds: ids };
  }
  const account = aggregateAccount(prepared.balances, positions, figures, replaced);
  return { prepared, ownFigures, figures, groups, fallbacks, portfolioScans, crossPortfolio, account };
}

/** The account-level result of `evaluateAccountFigures`. */
export interface AccountFiguresEvaluation {
  readonly accountId: string;
  readonly valuationDecimals: number;
  /** Oldest observation among the prices used (as AccountRisk.pricesAsOfMs). */
  readonly pricesAsOfMs: number | null;
  /** equity, margin equities, IM, MM, free collateral, ratio, notional, leverage and status, as AccountRisk's. */
  readonly figures: AccountFigures;
}

/**
 * The account figures and status of `evaluateAccount` without the per-position results, liquidation prices and
 * greeks (the account risk table's evaluation: sweeps, ticks, a write's refresh): the same computation
 * (evaluateCore), less work. Throws as evaluateAccount.
 */
export function evaluateAccountFigures(snapshot: AccountSnapshot): AccountFiguresEvaluation {
  const { prepared, account } = evaluateCore(snapshot);
  return {
    accountId: snapshot.accountId,
    valuationDecimals: valuationDecimalsOf(snapshot),
    pricesAsOfMs: prepared.prices.oldestObservationMs,
    figures: account,
  };
}

/**
 * Evaluates an account: per-position valuation (options by Black-Scholes-Merton) and requirements, account figures and status,
 * breakdown, greeks, liquidation / bankruptcy prices. PORTFOLIO accounts are margined per underlying by the portfolio
 * scan where the snapshot has portfolio parameters (src/risk/portfolio.ts), by the standard rules elsewhere.
 * Throws RiskEngineError (MISSING_PRICE, STALE_PRICE, UNSUPPORTED_MARKET_KIND, INVALID_SNAPSHOT).
 */
export function evaluateAccount(snapshot: AccountSnapshot, options: EvaluateOptions = {}): AccountRisk {
  const { prepared, ownFigures, figures, groups, fallbacks, portfolioScans, crossPortfolio, account } = evaluateCore(snapshot);
  const { positions } = prepared;
  const greeksMode = options.greeks ?? 'COMPUTE';
  const pricesAsOfMs = prepared.prices.oldestObservationMs;


  const liquidationPrices: UnderlyingLiquidation[] = [];
  const liqPrice = new Map<string, Decimal | null>();
  const bankPrice = new Map<string, Decimal | null>();
  if ((options.liquidationPrices ?? 'COMPUTE') === 'COMPUTE') {
    // Underlyings: base assets of (non-flat) cross positions and assets of non-zero, non-valuation balances.
    const underlyings = new Set<string>();
    const current = new Map<string, CurrentPositionFigures>();
    positions.forEach((p, i) => {
      const f = ownFigures[i]!;
      current.set(p.id, { notionalUsd: f.notionalUsd, pnl: f.equityContribution, maintenanceMargin: f.maintenanceMargin });
      if (p.marginType === 'CROSS' && !p.q.isZero()) underlyings.add(p.market.base);
    });
    for (const b of prepared.balances) if (b.asset !== snapshot.valuationAsset) underlyings.add(b.asset);
    const totals = {
      maintenanceGap: account.marginEquity.sub(account.maintenanceMargin),
      crossEquity: account.crossEquity,
    };
    const byUnderlying = new Map<string, UnderlyingLiquidation>();
    for (const u of [...underlyings].sort()) {
      const ul = crossUnderlying(prepared, u, totals, current, crossPortfolio, options.boundarySearch ?? 'FAST');
      liquidationPrices.push(ul);
      byUnderlying.set(u, ul);
    }
    positions.forEach((p, i) => {
      if (p.marginType === 'ISOLATED') {
        const iso = isolatedPrices(p, figures[i]!.fundingPnl);
        liqPrice.set(p.id, iso.liquidationPrice);
        bankPrice.set(p.id, iso.bankruptcyPrice);
        return;
      }
      const ul = byUnderlying.get(p.market.base);
      if (ul === undefined || p.q.isZero()) return;
      const liq = adverseBoundary(ul.exposure, ul.below, ul.above);
      const bank = adverseBoundary(ul.exposure, ul.bankruptcyBelow, ul.bankruptcyAbove);
      // Options: the underlying's index level at the boundary (their stored marks are informational).
      const at = (b: typeof liq): Decimal | null =>
        b === null ? null : p.market.option !== null ? b.indexPrice : b.markPrices[p.market.symbol] ?? null;
      liqPrice.set(p.id, at(liq));
      bankPrice.set(p.id, at(bank));
    });
  }

  const positionResults = Object.freeze(
    positions.map((p, i) => positionRisk(p, figures[i]!, liqPrice.get(p.id) ?? null, bankPrice.get(p.id) ?? null, greeksMode)),
  );
  const positionsById: Record<string, PositionRisk> = {};
  for (const r of positionResults) positionsById[r.positionId] = r;

  const scans = Object.freeze(portfolioScans);
  const hasCrossPositions = positions.some((p) => p.marginType === 'CROSS');
  return Object.freeze({
    accountId: snapshot.accountId,
    marginMode: snapshot.marginMode,
    evaluationMethod:
      snapshot.marginMode !== 'PORTFOLIO'
        ? 'CROSS'
        : groups.length > 0 || !hasCrossPositions
          ? 'PORTFOLIO'
          : 'PORTFOLIO_AS_CROSS',
    valuationAsset: snapshot.valuationAsset,
    valuationDecimals: valuationDecimalsOf(snapshot),
    asOfMs: snapshot.asOfMs,
    pricesAsOfMs,
    equity: account.equity,
    crossEquity: account.crossEquity,
    initialMarginEquity: account.initialMarginEquity,
    marginEquity: account.marginEquity,
    initialMargin: account.initialMargin,
    maintenanceMargin: account.maintenanceMargin,
    freeCollateral: account.freeCollateral,
    marginRatio: account.marginRatio,
    totalNotionalUsd: account.totalNotionalUsd,
    leverage: account.leverage,
    status: account.status,
    positions: positionResults,
    positionsById: Object.freeze(positionsById),
    breakdown: Object.freeze({
      positions: positionResults,
      balances: Object.freeze([...account.balances]),
      crossPnlUsd: account.crossPnlUsd,
      isolatedEquityUsd: account.isolatedEquityUsd,
      optionValueUsd: account.optionValueUsd,
      portfolioScans: scans,
      portfolioFallbacks: Object.freeze(fallbacks),
    }),
    liquidationPrices: Object.freeze(liquidationPrices),
    greeks: Object.freeze(greeksMode === 'COMPUTE' ? accountGreeks(positionResults) : []),
    portfolioScans: scans,
  });
}

/** `evaluateAccount` on a copy of the snapshot with some mark / index prices replaced (see `withPrices`). */
export function evaluateAccountWithPrices(
  snapshot: AccountSnapshot,
  overrides: PriceOverrides,
  options: EvaluateOptions = {},
): AccountRisk {
  return evaluateAccount(withPrices(snapshot, overrides), options);
}
