/**
 * Entry point of the risk engine: `evaluateAccount(snapshot)` → immutable `AccountRisk`, computed in one pass from
 * a plain snapshot (no I/O, no clock: time is `snapshot.asOfMs`).
 */
import type Decimal from 'decimal.js';
import type { AccountSnapshot } from './types';
import type { AccountRisk, PositionRisk, TierUsed, UnderlyingLiquidation } from './result';
import { aggregateAccount } from './account';
import { adverseBoundary, crossUnderlying, isolatedPrices } from './liquidation';
import { prepareAccount, type NPosition } from './model';
import { evaluatePositionAt, type PositionFigures } from './position';
import { withPrices, type PriceOverrides } from './prices';

/** Whether to compute liquidation / bankruptcy prices (SKIP: all null and `liquidationPrices` empty; faster sweeps). */
export type LiquidationPriceMode = 'COMPUTE' | 'SKIP';

export interface EvaluateOptions {
  readonly liquidationPrices?: LiquidationPriceMode;
}

function tierUsed(f: PositionFigures): TierUsed {
  const t = f.tier;
  return Object.freeze({
    index: t.index,
    notionalFloor: t.floor,
    notionalCap: t.cap,
    initialMarginRate: t.imr,
    maintenanceMarginRate: t.mmr,
    maintenanceAmount: t.cum,
  });
}

function positionRisk(
  pos: NPosition,
  f: PositionFigures,
  liquidationPrice: Decimal | null,
  bankruptcyPrice: Decimal | null,
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
    markPrice: f.mark,
    settlementPrice: f.settlePrice,
    notional: f.notional,
    notionalUsd: f.notionalUsd,
    tier: tierUsed(f),
    initialRate: f.initialRate,
    volatilityFactor: f.volatilityFactor,
    maintenanceRate: f.maintenanceRate,
    maintenanceAmount: f.maintenanceAmount,
    liquidityAddon: f.liquidityAddon,
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
  });
}

/**
 * Evaluates an account: per-position valuation and requirements, account figures and status, breakdown,
 * liquidation / bankruptcy prices. PORTFOLIO accounts are evaluated with the cross rules for now
 * (`evaluationMethod: 'PORTFOLIO_AS_CROSS'`). Throws RiskEngineError (MISSING_PRICE, STALE_PRICE,
 * UNSUPPORTED_MARKET_KIND, INVALID_SNAPSHOT).
 */
export function evaluateAccount(snapshot: AccountSnapshot, options: EvaluateOptions = {}): AccountRisk {
  const prepared = prepareAccount(snapshot);
  const { positions } = prepared;
  const figures = positions.map((p) => evaluatePositionAt(p, p.mark, p.settlePrice));
  const account = aggregateAccount(prepared.balances, positions, figures);
  const pricesAsOfMs = prepared.prices.oldestObservationMs;

  const liquidationPrices: UnderlyingLiquidation[] = [];
  const liqPrice = new Map<string, Decimal | null>();
  const bankPrice = new Map<string, Decimal | null>();
  if ((options.liquidationPrices ?? 'COMPUTE') === 'COMPUTE') {
    // Underlyings: base assets of (non-flat) cross positions and assets of non-zero, non-valuation balances.
    const underlyings = new Set<string>();
    const notionalUsd = new Map<string, Decimal>();
    positions.forEach((p, i) => {
      notionalUsd.set(p.id, figures[i]!.notionalUsd);
      if (p.marginType === 'CROSS' && !p.q.isZero()) underlyings.add(p.market.base);
    });
    for (const b of prepared.balances) if (b.asset !== snapshot.valuationAsset) underlyings.add(b.asset);
    const totals = {
      maintenanceGap: account.marginEquity.sub(account.maintenanceMargin),
      crossEquity: account.crossEquity,
    };
    const byUnderlying = new Map<string, UnderlyingLiquidation>();
    for (const u of [...underlyings].sort()) {
      const ul = crossUnderlying(prepared, u, totals, notionalUsd);
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
      liqPrice.set(p.id, liq === null ? null : liq.markPrices[p.market.symbol] ?? null);
      bankPrice.set(p.id, bank === null ? null : bank.markPrices[p.market.symbol] ?? null);
    });
  }

  const positionResults = Object.freeze(
    positions.map((p, i) => positionRisk(p, figures[i]!, liqPrice.get(p.id) ?? null, bankPrice.get(p.id) ?? null)),
  );
  const positionsById: Record<string, PositionRisk> = {};
  for (const r of positionResults) positionsById[r.positionId] = r;

  return Object.freeze({
    accountId: snapshot.accountId,
    marginMode: snapshot.marginMode,
    evaluationMethod: snapshot.marginMode === 'PORTFOLIO' ? 'PORTFOLIO_AS_CROSS' : 'CROSS',
    valuationAsset: snapshot.valuationAsset,
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
    }),
    liquidationPrices: Object.freeze(liquidationPrices),
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
