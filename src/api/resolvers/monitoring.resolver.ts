/**
 * Monitoring reads (MONITOR and ADMIN): accountsAtRisk and riskSummary read the precomputed `account_risk` table
 * (constant cost per page, one aggregate for the totals); stressTest streams the venue through the cascade.
 */
import Decimal from 'decimal.js';
import type {
  AccountAtRiskResolvers,
  EvaluationErrorCode,
  QueryResolvers,
  StressRoundResolvers,
  StressTestResultResolvers,
} from '../../generated/graphql';
import { toD } from '../../risk';
import { ratio } from '../../risk/precision';
import { ScenarioInputError } from '../../risk/scenario';
import { notionalOf } from '../../risk/slippage';
import type { StressScenario } from '../../risk/stress';
import type { MarketParams } from '../../risk/types';
import type { MarketRecord } from '../../store/records';
import {
  accountRiskTotals,
  insuranceFundBalances,
  largestExposures,
  oldestEvaluation,
  openInterestByMarket,
  pageAccountRisk,
  type RiskPageKey,
} from '../../monitoring/account-risk.repository';
import { runVenueStressTest } from '../../monitoring/stress.service';
import { allIndexPrices, allMarkPrices } from '../../store/asset.repository';
import { isAccountId } from '../../store/account.repository';
import { listMarkets } from '../../store/market.repository';
import { badInput } from '../errors';
import { connectionOf, pageRequest } from '../connection';
import { requireSymbol } from '../input';
import type { GraphQLContext } from '../context';
import { requireRole } from '../principal';
import { VALUATION_ASSET } from '../../snapshot/snapshot.loader';

const MONITORS = ['MONITOR', 'ADMIN'] as const;

/** The two fields of MarketParams that notionalOf reads. */
function marketParamsLite(m: MarketRecord): MarketParams {
  return { contractType: m.contractType, contractSize: m.contractSize } as MarketParams;
}
const MAX_LARGEST = 100;

function requireMonitor(ctx: GraphQLContext): void {
  requireRole(ctx.principal, MONITORS, 'read venue risk');
}

function riskCursorKey(key: RiskPageKey): string {
  return `r:${key.ratioKey}|${key.accountId}`;
}

/**
 * A risk page key: the margin-ratio key as `toFixed()` writes it (plain digits, no exponent: `1e999999` would
 * overflow NUMERIC in the page query) and an account id.
 */
const RISK_CURSOR_KEY = /^r:(-?\d{1,80}(?:\.\d{1,80})?)\|(.+)$/;

function decodeRiskCursor(key: string, field: 'after' | 'before'): RiskPageKey {
  const match = RISK_CURSOR_KEY.exec(key);
  if (!match || !isAccountId(match[2]!)) throw badInput('not a valid cursor for this connection', field);
  return { ratioKey: match[1]!, accountId: match[2]! };
}

const record = <T>(r: Readonly<Record<string, T>>) => Object.entries(r).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export const monitoringQueries: Pick<QueryResolvers, 'accountsAtRisk' | 'riskSummary' | 'stressTest'> = {
  accountsAtRisk: async (_parent, { minMarginRatio, first, after, last, before }, ctx) => {
    requireMonitor(ctx);
    const page = pageRequest({ first, after, last, before }, decodeRiskCursor);
    if (minMarginRatio !== null && minMarginRatio !== undefined && !minMarginRatio.isFinite()) {
      throw badInput('minMarginRatio must be a finite number', 'minMarginRatio');
    }
    const minRatio = minMarginRatio ?? null;
    const rows = await pageAccountRisk(ctx.snapshot, { page: { ...page, limit: page.limit + 1 }, minRatio });
    const asOf = await oldestEvaluation(ctx.snapshot);
    const connection = connectionOf(page, rows, (node) => riskCursorKey({ ratioKey: node.ratioKey.toFixed(), accountId: node.accountId }), async (cursor) => {
      const behind = await pageAccountRisk(ctx.snapshot, { page: { ...page, cursor, limit: 1 }, minRatio, side: 'OTHER_SIDE' });
      return behind.length > 0;
    });
    return { ...connection, asOf };
  },

  riskSummary: async (_parent, { largest }, ctx) => {
    requireMonitor(ctx);
    const n = largest ?? 10;
    if (!Number.isInteger(n) || n < 0) throw badInput('largest must be a non-negative integer', 'largest');
    const q = ctx.snapshot;
    const totals = await accountRiskTotals(q);
    const markets = await listMarkets(q);
    const oi = await openInterestByMarket(q);
    const marks = await allMarkPrices(q);
    const indexes = await allIndexPrices(q);
    const funds = await insuranceFundBalances(q);
    const top = await largestExposures(q, Math.min(n, MAX_LARGEST));
    const indexOf = (asset: string): Decimal | null => (asset === VALUATION_ASSET ? new Decimal(1) : indexes.get(asset)?.price ?? null);
    return {
      asOf: totals.oldestEvaluation,
      newestEvaluation: totals.newestEvaluation,
      accounts: totals.accounts,
      accountsEvaluated: totals.evaluated,
      accountsWithErrors: totals.errors,
      statusCounts: (['HEALTHY', 'RESTRICTED', 'LIQUIDATABLE', 'BANKRUPT'] as const).map((status) => ({
        status,
        count: totals.byStatus.get(status) ?? 0,
      })),
      totalEquity: totals.totalEquity,
      totalInitialMargin: totals.totalInitialMargin,
      totalMaintenanceMargin: totals.totalMaintenanceMargin,
      totalNotional: totals.totalNotional,
      markets: markets.map((m) => {
        const o = oi.get(m.symbol) ?? { long: new Decimal(0), short: new Decimal(0), positions: 0 };
        const mark = marks.get(m.symbol)?.price ?? null;
        let notional: Decimal | null = null;
        if (m.kind === 'OPTION') {
          const underlying = indexOf(m.baseAsset);
          notional = underlying === null ? null : o.long.mul(m.contractSize).mul(underlying);
        } else if (mark !== null && mark.gt(0)) {
          // The engine's notional (slippage.ts notionalOf): LINEAR |q|·c·P, INVERSE |q|·c/P.
          notional = notionalOf(marketParamsLite(m), o.long, mark);
        }
        const settle = indexOf(m.settlementAsset);
        return {
          market: m.symbol,
          kind: m.kind,
          contractType: m.contractType,
          openInterest: o.long,
          longContracts: o.long,
          shortContracts: o.short,
          positions: o.positions,
          markPrice: mark,
          notional,
          notionalUsd: notional !== null && settle !== null ? notional.mul(settle) : null,
        };
      }),
      insuranceFunds: [...funds].map(([asset, balance]) => ({ asset, balance })),
      largestExposures: top,
    };
  },

  stressTest: async (_parent, { scenario }, ctx) => {
    requireMonitor(ctx);
    scenario.shocks.forEach((s, i) => {
      for (const key of ['underlying', 'asset', 'market'] as const) {
        const v = s[key];
        if (v !== null && v !== undefined) requireSymbol(v, `scenario.shocks[${i}].${key}`);
      }
    });
    const input: StressScenario = {
      shocks: scenario.shocks.map((s) => ({ underlying: s.underlying ?? null, asset: s.asset ?? null, market: s.market ?? null, relative: s.relative })),
      maxRounds: scenario.maxRounds ?? undefined,
    };
    try {
      return await runVenueStressTest(ctx.snapshot, input, { nowMs: ctx.nowMs });
    } catch (error) {
      if (error instanceof ScenarioInputError) throw badInput(error.message, `scenario.${error.field}`);
      throw error;
    }
  },
};

/** Codes the table may hold (the engine's, and INTERNAL for any other failure, src/monitoring/sweep.ts). */
const EVALUATION_ERROR_CODES: ReadonlySet<string> = new Set<EvaluationErrorCode>(['MISSING_PRICE', 'STALE_PRICE', 'UNSUPPORTED_MARKET_KIND', 'INVALID_SNAPSHOT', 'INTERNAL']);

export const AccountAtRisk: AccountAtRiskResolvers = {
  account: (row, _args, ctx) => ctx.loaders.account.load(row.accountId),
  errorCode: (row) => (row.errorCode === null ? null : EVALUATION_ERROR_CODES.has(row.errorCode) ? (row.errorCode as EvaluationErrorCode) : 'INTERNAL'),
  // 1 − the row's reported margin ratio, to the reported ratio digits (src/risk/precision.ts).
  distanceToLiquidation: (row) => (row.marginRatio === null ? null : ratio(toD(1).minus(row.marginRatio))),
};

export const StressTestResult: StressTestResultResolvers = {
  asOf: (r) => new Date(r.asOfMs),
  shockedPrices: (r) => record(r.shockedPrices).map(([market, price]) => ({ market, price })),
  finalPrices: (r) => record(r.finalPrices).map(([market, price]) => ({ market, price })),
  insuranceFundsBefore: (r) => record(r.insuranceFundsBefore).map(([asset, balance]) => ({ asset, balance })),
  insuranceFundsAfter: (r) => record(r.insuranceFundsAfter).map(([asset, balance]) => ({ asset, balance })),
  accountsFailed: (r) => record(r.accountsFailed).map(([code, count]) => ({ code, count })),
};

export const StressRound: StressRoundResolvers = {
  prices: (r) => record(r.pricesAfter).map(([market, price]) => ({ market, price })),
  insuranceFunds: (r) => record(r.insuranceFunds).map(([asset, balance]) => ({ asset, balance })),
};
