/**
 * What-if scenarios, the liquidation outcome and the inverse solvers (read-only: nothing is ever written). Each request
 * loads the account's engine snapshot once per field (plus the markets the scenarios name) and the insurance fund
 * balances, and hands them to the pure engine (src/risk/what-if.ts, liquidation-outcome.ts, solvers.ts).
 */
import type Decimal from 'decimal.js';
import type {
  AccountResolvers,
  InsuranceFundDrawResolvers,
  LiquidationOutcomeResolvers,
  LiquidationStepResolvers,
  QueryResolvers,
  ScenarioInput,
  WhatIfResultResolvers,
} from '../../generated/graphql';
import {
  depositToReach,
  liquidationOutcome,
  maxTradeSize,
  maxWithdrawable,
  minReductionToExitLiquidation,
  RiskEngineError,
  ScenarioInputError,
  scenarioMarkets,
  whatIf,
  type AccountSnapshot,
  type Scenario,
} from '../../risk';
import { DEFAULT_VALUATION_DECIMALS, reportedAccountFigures, reportedFigureChange, reportedVerificationValue } from '../../risk/precision';
import type { SolverResult } from '../../risk/solvers';
import type { AccountRisk, PositionRisk } from '../../risk/result';
import type { LiquidationOutcome as LiquidationOutcomeResult, PositionDiff } from '../../risk';
import { ZERO } from '../../risk/decimal';
import { FIGURE_PRECISION, figureResolvers, reportFigure, type ReportingDecimals } from '../figure-precision';
import { insuranceFundBalances } from '../../store/insurance-fund.repository';
import type { GraphQLContext } from '../context';
import { badInput, toDomainError } from '../errors';
import { LIMITS, requireSymbol } from '../input';
import { accountNotFound, canAccessAccount, requireAccountReader } from '../principal';
import { loadAccountSnapshots } from '../../snapshot/snapshot.loader';

/** Default of config WHATIF_MAX_SCENARIOS. */
export const DEFAULT_WHATIF_MAX_SCENARIOS = 20;
/** Most entries of one list inside a scenario (trades, price moves, …): bounds the work of one request. */
export const WHATIF_MAX_LIST_ITEMS = 100;
/** Bounds of the numbers inside a scenario's entries, by input field name. */
const VALUE_BOUNDS: readonly (readonly [string, string])[] = [
  ['size', LIMITS.maxSize],
  ['price', LIMITS.maxPrice],
  ['amount', LIMITS.maxAmount],
  ['leverage', LIMITS.maxPrice],
];

/** Runs engine code, turning its input and engine errors into client-facing domain errors (field prefixed). */
function engine<T>(prefix: string, fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof ScenarioInputError) {
      const field = prefix === '' ? error.field : `${prefix}.${error.field}`;
      throw badInput(`${field}: ${error.message}`, field);
    }
    if (error instanceof RiskEngineError) throw toDomainError(error);
    throw error;
  }
}

async function snapshotOf(ctx: GraphQLContext, accountId: string, extraMarkets: readonly string[] = []): Promise<AccountSnapshot> {
  const loaded = (await loadAccountSnapshots(ctx.snapshot, [accountId], ctx.nowMs, extraMarkets)).get(accountId);
  if (!loaded) throw accountNotFound(accountId);
  return loaded.snapshot;
}

/** Checks list sizes and symbol lengths, then converts a GraphQL scenario into the engine's. */
function toScenario(input: ScenarioInput, field: string): Scenario {
  const lists = ['priceMoves', 'volatilityShifts', 'trades', 'deposits', 'withdrawals', 'leverageChanges', 'isolatedMarginTransfers'] as const;
  for (const name of lists) {
    const list = input[name] as readonly Record<string, unknown>[] | null | undefined;
    if (!list) continue;
    if (list.length > WHATIF_MAX_LIST_ITEMS) throw badInput(`at most ${WHATIF_MAX_LIST_ITEMS} ${name} per scenario`, `${field}.${name}`);
    list.forEach((item, i) => {
      for (const key of ['market', 'asset', 'underlying']) {
        const v = item[key];
        if (typeof v === 'string') requireSymbol(v, `${field}.${name}[${i}].${key}`);
      }
      // The same bounds as the writes (src/api/input.ts LIMITS): sizes and prices below 1e18, amounts below 1e24.
      for (const [key, max] of VALUE_BOUNDS) {
        const v = item[key] as Decimal | null | undefined;
        if (v !== null && v !== undefined && v.abs().gte(max)) throw badInput(`${key} is too large (at most ${max} in absolute value)`, `${field}.${name}[${i}].${key}`);
      }
    });
  }
  if (input.label !== null && input.label !== undefined && input.label.length > 200) throw badInput('label is at most 200 characters', `${field}.label`);
  return {
    label: input.label ?? null,
    priceMoves: input.priceMoves ?? null,
    volatilityShifts: input.volatilityShifts ?? null,
    timeAdvanceSeconds: input.timeAdvanceSeconds ?? null,
    trades: input.trades ?? null,
    deposits: input.deposits ?? null,
    withdrawals: input.withdrawals ?? null,
    leverageChanges: (input.leverageChanges ?? []).map((l) => ({ market: l.market, leverage: (l.leverage ?? null) as Decimal | null })),
    isolatedMarginTransfers: input.isolatedMarginTransfers ?? null,
    marginModeChange: input.marginModeChange ?? null,
  };
}

export const whatIfQueries: Pick<QueryResolvers, 'whatIf'> = {
  whatIf: async (_parent, { accountId, scenarios }, ctx) => {
    requireAccountReader(ctx.principal);
    const max = ctx.whatIfMaxScenarios ?? DEFAULT_WHATIF_MAX_SCENARIOS;
    if (scenarios.length > max) throw badInput(`at most ${max} scenarios per request (got ${scenarios.length})`, 'scenarios');
    const account = await ctx.loaders.account.load(accountId);
    if (!account || !canAccessAccount(ctx.principal, account)) throw accountNotFound(accountId);
    const converted = scenarios.map((s, i) => toScenario(s, `scenarios[${i}]`));
    const extra = [...new Set(converted.flatMap(scenarioMarkets))];
    const [snapshot, insuranceFunds] = await Promise.all([snapshotOf(ctx, accountId, extra), insuranceFundBalances(ctx.snapshot)]);
    // Each scenario starts from the same snapshot: they are independent.
    return converted.map((scenario, i) => engine(`scenarios[${i}]`, () => whatIf(snapshot, scenario, { insuranceFunds })));
  },
};

/** Decimals account-level money is reported in (the valuation asset's). */
const valuationDecimals = (snapshot: AccountSnapshot): number =>
  snapshot.assets[snapshot.valuationAsset]?.decimals ?? DEFAULT_VALUATION_DECIMALS;

/** A solver's result with its verification's values as reported (src/risk/precision.ts). */
function reported<R extends SolverResult | null>(result: R, snapshot: AccountSnapshot): R {
  if (result === null) return result;
  const v = result.verification;
  const decimals = valuationDecimals(snapshot);
  return {
    ...result,
    verification: {
      ...v,
      valueAtAnswer: reportedVerificationValue(v.quantity, v.valueAtAnswer, decimals),
      valueAtCrossing: reportedVerificationValue(v.quantity, v.valueAtCrossing, decimals),
    },
  };
}

export const accountWhatIfFields: Pick<
  AccountResolvers,
  'maxTradeSize' | 'maxWithdrawable' | 'depositToReach' | 'minReductionToExitLiquidation' | 'liquidationOutcome'
> = {
  maxTradeSize: async (account, { market, side }, ctx) => {
    requireSymbol(market, 'market');
    const snapshot = await snapshotOf(ctx, account.id, [market]);
    return reported(engine('', () => maxTradeSize(snapshot, market, side)), snapshot);
  },
  maxWithdrawable: async (account, { asset }, ctx) => {
    requireSymbol(asset, 'asset');
    const snapshot = await snapshotOf(ctx, account.id);
    return reported(engine('', () => maxWithdrawable(snapshot, asset)), snapshot);
  },
  depositToReach: async (account, { targetLiquidationPrice, market }, ctx) => {
    if (!targetLiquidationPrice.gt(0)) throw badInput('targetLiquidationPrice must be positive', 'targetLiquidationPrice');
    if (targetLiquidationPrice.gte(LIMITS.maxPrice)) throw badInput(`targetLiquidationPrice is too large (below ${LIMITS.maxPrice})`, 'targetLiquidationPrice');
    requireSymbol(market, 'market');
    const snapshot = await snapshotOf(ctx, account.id, [market]);
    return reported(engine('', () => depositToReach(snapshot, targetLiquidationPrice, market)), snapshot);
  },
  minReductionToExitLiquidation: async (account, _args, ctx) => {
    const snapshot = await snapshotOf(ctx, account.id);
    return reported(engine('', () => minReductionToExitLiquidation(snapshot)), snapshot);
  },
  liquidationOutcome: async (account, _args, ctx) => {
    const [snapshot, insuranceFunds] = await Promise.all([snapshotOf(ctx, account.id), insuranceFundBalances(ctx.snapshot)]);
    const outcome = engine('', () => liquidationOutcome(snapshot, { insuranceFunds }));
    return reportedOutcome(outcome, (asset) => snapshot.assets[asset]?.decimals ?? DEFAULT_VALUATION_DECIMALS, valuationDecimals(snapshot));
  },
};

/** The change of one reported position figure from `before` to `after` (0 for a side where the position is absent). */
function reportedChange(
  field: 'initialMarginUsd' | 'maintenanceMarginUsd' | 'unrealizedPnlUsd' | 'notionalUsd',
  before: PositionRisk | undefined,
  after: PositionRisk | undefined,
  decimals: ReportingDecimals,
): Decimal {
  const kind = FIGURE_PRECISION.PositionRisk[field];
  const at = (p: PositionRisk | undefined): Decimal => (p === undefined ? ZERO : reportFigure(kind, p[field], decimals));
  return at(after).sub(at(before));
}

/** A position's diff from the reported figures of its before and after positions. */
function reportedPositionDiff(d: PositionDiff, before: AccountRisk, after: AccountRisk): PositionDiff {
  const b = before.positionsById[d.positionId];
  const a = after.positionsById[d.positionId];
  const decimals = { valuationDecimals: after.valuationDecimals };
  return {
    ...d,
    initialMarginChange: reportedChange('initialMarginUsd', b, a, decimals),
    maintenanceMarginChange: reportedChange('maintenanceMarginUsd', b, a, decimals),
    unrealizedPnlChange: reportedChange('unrealizedPnlUsd', b, a, decimals),
    notionalChange: reportedChange('notionalUsd', b, a, decimals),
  };
}

/** A liquidation outcome with the decimals its money is reported in: the valuation asset's, each step's settlement asset's. */
function reportedOutcome(
  outcome: LiquidationOutcomeResult | null,
  decimalsOfAsset: (asset: string) => number,
  valuationDecimals: number,
): LiquidationOutcomeResult | null {
  if (outcome === null) return null;
  return {
    ...outcome,
    valuationDecimals,
    steps: outcome.steps.map((step) => ({ ...step, settlementDecimals: decimalsOfAsset(step.settlementAsset), valuationDecimals })),
    insuranceFundDraws: outcome.insuranceFundDraws.map((draw) => ({ ...draw, valuationDecimals })),
  } as LiquidationOutcomeResult;
}

/** `diff` as the difference of the reported before and after figures (before + diff = after, string for string). */
export const WhatIfResult: WhatIfResultResolvers = {
  diff: (r) => ({
    ...r.diff,
    ...reportedFigureChange(reportedAccountFigures(r.before, r.before.valuationDecimals), reportedAccountFigures(r.after, r.after.valuationDecimals)),
    positions: r.diff.positions.map((d) => reportedPositionDiff(d, r.before, r.after)),
  }),
  liquidationOutcome: (r) => {
    const decimals = new Map([...r.before.positions, ...r.after.positions].map((p) => [p.settlementAsset, p.settlementDecimals]));
    return reportedOutcome(r.liquidationOutcome, (asset) => decimals.get(asset) ?? DEFAULT_VALUATION_DECIMALS, r.after.valuationDecimals);
  },
};

export const LiquidationOutcome: LiquidationOutcomeResolvers = figureResolvers(FIGURE_PRECISION.LiquidationOutcome, {
  sources: {
    totalClosedNotional: 'totalClosedNotionalUsd',
    totalFees: 'totalFeesUsd',
    totalSlippageCost: 'totalSlippageCostUsd',
    totalRealizedPnl: 'totalRealizedPnlUsd',
    deficit: 'deficitUsd',
    insuranceFundDraw: 'insuranceFundDrawUsd',
    residualLoss: 'residualLossUsd',
  },
});
export const LiquidationStep: LiquidationStepResolvers = figureResolvers(FIGURE_PRECISION.LiquidationStep);
export const InsuranceFundDraw: InsuranceFundDrawResolvers = figureResolvers(FIGURE_PRECISION.InsuranceFundDraw);
