/**
 * Venue administration (ADMIN): brokers, collateral assets, insurance funds and portfolio-margin parameters, and the
 * ADMIN reads of brokers and API keys. Every write takes the one mutation path (src/api/write.ts).
 */
import type Decimal from 'decimal.js';
import type { AssetResolvers, MutationResolvers, QueryResolvers, SetPortfolioMarginParamsInput, UpdateAssetInput } from '../../generated/graphql';
import { toD } from '../../risk';
import { assetsBySymbols, portfolioParamsByAssets } from '../../store/asset.repository';
import { NOT_A_DRY_RUN, parameterImpact } from '../../monitoring/parameter-impact.service';
import type { Queryable } from '../../store/queryable';
import { parameterVersionById } from '../../store/parameter-version.repository';
import type { AssetRecord, PortfolioParamsRecord } from '../../store/records';
import {
  insertAsset,
  insertBroker,
  insuranceFundEntries,
  insuranceFundsByAssets,
  listApiKeys,
  listBrokers,
  lockAsset,
  lockInsuranceFund,
  maxStoredScale,
  putInsuranceFund,
  putPortfolioParams,
  updateAsset,
  type AssetWrite,
} from '../../store/venue.repository';
import { badInput } from '../errors';
import { InputChecks, LIMITS } from '../input';
import { recordParameterVersion } from '../parameter-version';
import { requireRole } from '../principal';
import { dryRunOf, refuse, Refusal, runWrite } from '../write';
import { ASSET_RULE_PARAMETERS } from '../../risk/rules';
import { ASSET_RULE_SCHEMAS, ruleInput } from '../rule-schemas';

const MAX_DECIMALS = 18;

/**
 * Asset checks: decimals, and the collateral weight rules (DESIGN section 3): a positive balance counts at most its value and less for initial
 * than for maintenance margin, 0 ≤ initialWeight ≤ maintenanceWeight ≤ 1; a negative balance counts at least its
 * value and more for initial margin, 1 ≤ maintenanceLiabilityWeight ≤ initialLiabilityWeight ≤ 10.
 */
function checkAsset(a: AssetWrite, checks: InputChecks): void {
  if (!Number.isInteger(a.decimals) || a.decimals < 0 || a.decimals > MAX_DECIMALS) {
    checks.fail('decimals', `decimals must be an integer from 0 to ${MAX_DECIMALS}`);
  }
  // The weights' ranges and orderings are the rule's own (src/risk/rules/collateral-weights.ts).
  checks.schema(ASSET_RULE_SCHEMAS.collateralWeights, ruleInput(ASSET_RULE_PARAMETERS.collateralWeights, a));
}

/** The asset after an update (given fields, the rest as stored), checked as the write checks it; a Refusal when invalid. */
async function nextAssetOf(q: Queryable, input: UpdateAssetInput, current: AssetRecord): Promise<AssetWrite | Refusal> {
  const next: AssetWrite = {
    symbol: current.symbol,
    decimals: input.decimals ?? current.decimals,
    initialWeight: input.initialWeight ?? current.initialWeight,
    maintenanceWeight: input.maintenanceWeight ?? current.maintenanceWeight,
    initialLiabilityWeight: input.initialLiabilityWeight ?? current.initialLiabilityWeight,
    maintenanceLiabilityWeight: input.maintenanceLiabilityWeight ?? current.maintenanceLiabilityWeight,
    borrowable: input.borrowable ?? current.borrowable ?? true,
  };
  const checks = new InputChecks();
  checkAsset(next, checks);
  if (next.decimals < current.decimals) {
    // Fewer decimals would leave stored amounts finer than the asset allows.
    const scale = await maxStoredScale(q, current.symbol);
    if (scale > next.decimals) checks.fail('decimals', `stored amounts of ${current.symbol} use ${scale} decimal places`);
  }
  return checks.errors.length ? new Refusal(checks.errors) : next;
}

/** The portfolio-margin parameter row the write stores. */
function portfolioParamsOf(input: SetPortfolioMarginParamsInput, assetSymbol: string): PortfolioParamsRecord {
  return {
    assetSymbol,
    priceScanRange: input.priceScanRange,
    volScanRange: input.volScanRange,
    extremeMoveMultiple: input.extremeMoveMultiple,
    extremeMoveCoverage: input.extremeMoveCoverage,
    shortOptionMinimum: input.shortOptionMinimum,
    maintenanceFraction: input.maintenanceFraction,
  };
}

const assetView = (a: AssetRecord) => ({ ...a, borrowable: a.borrowable ?? true });

export const venueMutations: Pick<
  MutationResolvers,
  'createBroker' | 'createAsset' | 'updateAsset' | 'setInsuranceFund' | 'setPortfolioMarginParams'
> = {
  createBroker: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'createBroker',
      input,
      roles: ['ADMIN'],
      validate: () => {
        const checks = new InputChecks();
        checks.text('name', input.name, { max: 128 });
        return checks.errors;
      },
      execute: async (scope) => {
        const broker = await insertBroker(scope.tx, input.name);
        if (!broker) return refuse('ALREADY_EXISTS', 'name', `a broker named "${input.name.slice(0, 64)}" exists`);
        await scope.audit({ brokerId: broker.id, before: null, after: { broker } });
        return { broker };
      },
    }),

  createAsset: (_parent, { input }, ctx) => {
    const one = toD(1);
    const asset: AssetWrite = {
      symbol: input.symbol,
      decimals: input.decimals,
      initialWeight: input.initialWeight ?? one,
      maintenanceWeight: input.maintenanceWeight ?? one,
      initialLiabilityWeight: input.initialLiabilityWeight ?? one,
      maintenanceLiabilityWeight: input.maintenanceLiabilityWeight ?? one,
      borrowable: input.borrowable ?? true,
    };
    return runWrite(ctx, {
      operation: 'createAsset',
      input,
      roles: ['ADMIN'],
      validate: () => {
        const checks = new InputChecks();
        checks.symbol('symbol', input.symbol);
        checkAsset(asset, checks);
        return checks.errors;
      },
      execute: async (scope) => {
        const created = await insertAsset(scope.tx, asset);
        if (!created) return refuse('ALREADY_EXISTS', 'symbol', `asset ${input.symbol} exists`);
        const parametersVersion = await recordParameterVersion(scope, 'createAsset');
        await scope.audit({ before: null, after: { asset: assetView(created), parametersVersion } });
        return { asset: created };
      },
    });
  },

  updateAsset: (_parent, { input, ...args }, ctx) =>
    runWrite(ctx, {
      operation: 'updateAsset',
      input,
      roles: ['ADMIN'],
      dryRun: dryRunOf(args, async (q, worstCount) => {
        const current = (await assetsBySymbols(q, [input.symbol])).get(input.symbol);
        if (!current) return refuse('NOT_FOUND', 'symbol', `unknown asset ${input.symbol}`);
        const next = await nextAssetOf(q, input, current);
        if (next instanceof Refusal) return next;
        const asset: AssetRecord = { ...current, ...next };
        const impact = await parameterImpact(q, {
          touching: { assets: [input.symbol] },
          propose: (rows) => ({ ...rows, assets: rows.assets.map((a) => (a.symbol === asset.symbol ? asset : a)) }),
          worstCount,
          asOfMs: ctx.nowMs,
        });
        return { asset, impact };
      }),
      validate: () => {
        const checks = new InputChecks();
        checks.symbol('symbol', input.symbol);
        const fields = ['decimals', 'initialWeight', 'maintenanceWeight', 'initialLiabilityWeight', 'maintenanceLiabilityWeight', 'borrowable'] as const;
        if (fields.every((f) => input[f] === null || input[f] === undefined)) checks.fail(null, 'give at least one field to change');
        return checks.errors;
      },
      execute: async (scope) => {
        const current = await lockAsset(scope.tx, input.symbol);
        if (!current) return refuse('NOT_FOUND', 'symbol', `unknown asset ${input.symbol}`);
        const next = await nextAssetOf(scope.tx, input, current);
        if (next instanceof Refusal) return next;
        const asset = await updateAsset(scope.tx, next);
        const parametersVersion = await recordParameterVersion(scope, 'updateAsset');
        await scope.audit({ before: { asset: assetView(current) }, after: { asset: assetView(asset), parametersVersion } });
        return { asset, impact: NOT_A_DRY_RUN };
      },
    }),

  setInsuranceFund: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'setInsuranceFund',
      input,
      roles: ['ADMIN'],
      validate: () => {
        const checks = new InputChecks();
        checks.symbol('asset', input.asset);
        checks.text('reason', input.reason, { max: 256 });
        const hasBalance = input.balance !== null && input.balance !== undefined;
        const hasAdjustment = input.adjustment !== null && input.adjustment !== undefined;
        if (hasBalance === hasAdjustment) checks.fail(hasBalance ? 'adjustment' : 'balance', 'give exactly one of balance and adjustment');
        else if (hasBalance) checks.nonNegative('balance', input.balance!);
        else checks.nonZero('adjustment', input.adjustment!, LIMITS.maxAmount);
        return checks.errors;
      },
      execute: async (scope) => {
        const asset = await lockAsset(scope.tx, input.asset);
        if (!asset) return refuse('NOT_FOUND', 'asset', `unknown asset ${input.asset}`);
        const field = input.balance ? 'balance' : 'adjustment';
        const value = (input.balance ?? input.adjustment)!;
        if (value.decimalPlaces() > asset.decimals) return refuse('BAD_USER_INPUT', field, `${field} has more than ${asset.decimals} decimal places (${asset.symbol})`);
        const before = (await lockInsuranceFund(scope.tx, asset.symbol)) ?? toD(0);
        const after = input.balance ?? before.add(input.adjustment!);
        if (after.isNegative()) return refuse('BAD_USER_INPUT', 'adjustment', `the fund would fall to ${after.toFixed()} ${asset.symbol} (below zero)`);
        if (after.abs().gte(LIMITS.maxAmount)) return refuse('BAD_USER_INPUT', field, `the fund would exceed ${LIMITS.maxAmount}`);
        const entry = await putInsuranceFund(scope.tx, { asset: asset.symbol, balance: after, change: after.sub(before), reason: input.reason });
        await scope.audit({ before: { asset: asset.symbol, balance: before }, after: { asset: asset.symbol, balance: after, entryId: entry.id, reason: input.reason } });
        return { balance: after, entry };
      },
    }),

  setPortfolioMarginParams: (_parent, { input, ...args }, ctx) =>
    runWrite(ctx, {
      operation: 'setPortfolioMarginParams',
      input,
      roles: ['ADMIN'],
      dryRun: dryRunOf(args, async (q, worstCount) => {
        const asset = (await assetsBySymbols(q, [input.asset])).get(input.asset);
        if (!asset) return refuse('NOT_FOUND', 'asset', `unknown asset ${input.asset}`);
        const params = portfolioParamsOf(input, asset.symbol);
        const impact = await parameterImpact(q, {
          touching: { underlyings: [asset.symbol] },
          propose: (rows) => ({ ...rows, portfolio: new Map(rows.portfolio).set(asset.symbol, params) }),
          worstCount,
          asOfMs: ctx.nowMs,
        });
        return { params: { ...params, asset: asset.symbol }, impact };
      }),
      validate: () => {
        const checks = new InputChecks();
        checks.symbol('asset', input.asset);
        checks.rate('priceScanRange', input.priceScanRange, { positive: true });
        checks.rate('volScanRange', input.volScanRange);
        if (input.extremeMoveMultiple.lt(1) || input.extremeMoveMultiple.gt(10)) checks.fail('extremeMoveMultiple', 'extremeMoveMultiple must be between 1 and 10');
        else checks.bounded('extremeMoveMultiple', input.extremeMoveMultiple, LIMITS.maxPrice);
        checks.rate('extremeMoveCoverage', input.extremeMoveCoverage);
        checks.rate('shortOptionMinimum', input.shortOptionMinimum);
        checks.rate('maintenanceFraction', input.maintenanceFraction, { positive: true });
        return checks.errors;
      },
      execute: async (scope) => {
        const asset = await lockAsset(scope.tx, input.asset);
        if (!asset) return refuse('NOT_FOUND', 'asset', `unknown asset ${input.asset}`);
        const params = portfolioParamsOf(input, asset.symbol);
        const before = await putPortfolioParams(scope.tx, params);
        const parametersVersion = await recordParameterVersion(scope, 'setPortfolioMarginParams');
        await scope.audit({ before: { params: before }, after: { params, parametersVersion } });
        return { params: { ...params, asset: asset.symbol }, impact: NOT_A_DRY_RUN };
      },
    }),
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_FUND_ENTRIES = 200;

export const venueQueries: Pick<QueryResolvers, 'brokers' | 'apiKeys' | 'insuranceFundEntries' | 'riskParameterVersion'> = {
  brokers: async (_parent, _args, ctx) => {
    requireRole(ctx.principal, ['ADMIN'], 'list brokers');
    return listBrokers(ctx.snapshot);
  },
  apiKeys: async (_parent, args, ctx) => {
    requireRole(ctx.principal, ['ADMIN'], 'list API keys');
    if (args.brokerId && !UUID.test(args.brokerId)) throw badInput('brokerId is not a valid id', 'brokerId');
    return listApiKeys(ctx.snapshot, { role: args.role ?? null, brokerId: args.brokerId ?? null, includeRevoked: args.includeRevoked ?? true });
  },
  insuranceFundEntries: async (_parent, args, ctx) => {
    requireRole(ctx.principal, ['ADMIN', 'MONITOR'], 'read insurance fund entries');
    const first = args.first ?? 50;
    if (first < 1 || first > MAX_FUND_ENTRIES) throw badInput(`first must be between 1 and ${MAX_FUND_ENTRIES}`, 'first');
    return insuranceFundEntries(ctx.snapshot, args.asset, first);
  },
  riskParameterVersion: async (_parent, args, ctx) => {
    requireRole(ctx.principal, ['ADMIN', 'MONITOR'], 'read risk-parameter versions');
    const id = args.id ?? (await ctx.loaders.parametersVersion.load('current'));
    if (id === null) return null;
    if (!/^[0-9]{1,18}$/.test(id)) throw badInput('id is not a valid version id', 'id');
    const version = await parameterVersionById(ctx.snapshot, id);
    return version && { ...version, parameters: version.parameters as string };
  },
};

/** Asset fields of venue administration. */
export const AssetAdministration: Pick<AssetResolvers, 'borrowable' | 'insuranceFund' | 'portfolioMarginParams'> = {
  borrowable: (asset) => asset.borrowable ?? true,
  insuranceFund: async (asset, _args, ctx) => (await insuranceFundsByAssets(ctx.snapshot, [asset.symbol])).get(asset.symbol) ?? null,
  portfolioMarginParams: async (asset, _args, ctx) => {
    const p = (await portfolioParamsByAssets(ctx.snapshot, [asset.symbol])).get(asset.symbol);
    return p ? { ...p, asset: p.assetSymbol } : null;
  },
};
