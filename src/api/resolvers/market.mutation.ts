/** Reference-data writes: updatePrices (ORACLE), upsertMarket and setMarginTiers (ADMIN). */
import type Decimal from 'decimal.js';
import type { MarginTierInput, MutationResolvers, UpsertMarketInput } from '../../generated/graphql';
import { computeMaintenanceAmounts, toD, validateTierSchedule, type MarginTierParams } from '../../risk';
import { assetsBySymbols } from '../../store/asset.repository';
import { marketsBySymbols, tiersByMarkets } from '../../store/market.repository';
import {
  insertMarket,
  lockMarket,
  putIndexPrice,
  putMarkPrice,
  replaceTiers,
  updateMarket,
  type MarketEngineParams,
  type StoredPrice,
} from '../../store/market-write.repository';
import type { MarginTierRecord, MarketRecord } from '../../store/records';
import { NOT_A_DRY_RUN, parameterImpact } from '../../monitoring/parameter-impact.service';
import { InputChecks, LIMITS } from '../input';
import { recordParameterVersion } from '../parameter-version';
import { dryRunOf, refuse, Refusal, runWrite, userError, type UserError } from '../write';
import { takePriceLock } from '../../store/price-lock';
import { RULE_PARAMETERS } from '../../risk/rules';
import { RULE_SCHEMAS, ruleInput } from '../rule-schemas';

/** An oracle's clock may run a little ahead of ours; anything further ahead is refused. */
export const MAX_CLOCK_SKEW_MS = 5_000;
export const MAX_PRICES_PER_BATCH = 500;
export const MAX_TIERS = 50;
const MAX_PRICE_AGE_SECONDS = 10 * 365 * 86_400;

/**
 * Checks a schedule and derives its maintenance amounts with the engine's own functions: contiguous from 0, last
 * cap open, imr ≥ mmr > 0, rates non-decreasing and at most 1.
 */
export function checkTierSchedule(tiers: readonly MarginTierInput[], field = 'tiers'): { errors: UserError[]; schedule: MarginTierParams[] } {
  const checks = new InputChecks();
  if (tiers.length === 0 || tiers.length > MAX_TIERS) {
    checks.fail(field, `a schedule has 1 to ${MAX_TIERS} tiers`);
    return { errors: checks.errors, schedule: [] };
  }
  tiers.forEach((t, i) => {
    checks.nonNegative(`${field}.${i}.notionalFloor`, t.notionalFloor, LIMITS.maxAmount);
    if (t.notionalCap !== null && t.notionalCap !== undefined) checks.positive(`${field}.${i}.notionalCap`, t.notionalCap, LIMITS.maxAmount);
    checks.rate(`${field}.${i}.initialMarginRate`, t.initialMarginRate, { positive: true });
    checks.rate(`${field}.${i}.maintenanceMarginRate`, t.maintenanceMarginRate, { positive: true });
  });
  if (checks.errors.length) return { errors: checks.errors, schedule: [] };
  const rows = tiers.map((t) => ({
    notionalFloor: toD(t.notionalFloor),
    initialMarginRate: toD(t.initialMarginRate),
    maintenanceMarginRate: toD(t.maintenanceMarginRate),
  }));
  const amounts = computeMaintenanceAmounts(rows);
  const schedule: MarginTierParams[] = tiers.map((t, i) => ({
    ...rows[i]!,
    notionalCap: t.notionalCap === null || t.notionalCap === undefined ? null : toD(t.notionalCap),
    maintenanceAmount: amounts[i]!,
  }));
  const errors = validateTierSchedule(schedule, 'IGNORE_MAINTENANCE_AMOUNTS').map((p) =>
    userError('BAD_USER_INPUT', p.field === 'tiers' ? field : `${field}.${p.tierIndex}.${p.field}`, p.message),
  );
  return { errors, schedule };
}

const tierView = (t: { notionalFloor: Decimal; notionalCap: Decimal | null; initialMarginRate: Decimal; maintenanceMarginRate: Decimal; maintenanceAmount: Decimal }) => ({
  notionalFloor: t.notionalFloor,
  notionalCap: t.notionalCap,
  initialMarginRate: t.initialMarginRate,
  maintenanceMarginRate: t.maintenanceMarginRate,
  maintenanceAmount: t.maintenanceAmount,
});

/** A validated schedule as the tier rows the write stores (what a dry run substitutes into the market data). */
function tierRecords(market: string, schedule: readonly MarginTierParams[]): MarginTierRecord[] {
  return schedule.map((t, tierIndex) => ({ marketSymbol: market, tierIndex, ...tierView(t) }));
}

/** Thrown when a concurrent create won the race for a symbol: the write transaction retries as an update. */
function retryable(): Error {
  return Object.assign(new Error('concurrent market create'), { code: '40001' });
}

/** Upper bounds of the engine parameters (beyond them a venue is misconfigured, not bold). */
const ENGINE_BOUNDS = { slippageBaseRate: 0.5, impactFactor: 100, minLookback: 2, maxLookback: 3650 } as const;

type FeatureGroup = 'OPEN_INTEREST_SCALING' | 'VOLATILITY_ADJUSTMENT' | 'LIQUIDITY_ADDON' | 'OPTION_PARAMS' | 'SIZE_ADDON';
const FEATURE_FIELDS: { readonly [G in FeatureGroup]: readonly (keyof UpsertMarketInput)[] } = {
  OPEN_INTEREST_SCALING: ['oiLowerCap', 'oiUpperCap'],
  VOLATILITY_ADJUSTMENT: ['volAdjZScore', 'volAdjHorizonDays', 'volAdjLookbackDays'],
  LIQUIDITY_ADDON: ['liquidityLambda'],
  OPTION_PARAMS: ['optionAlpha', 'optionBeta', 'optionGamma'],
  SIZE_ADDON: ['sizeAddonInitial', 'sizeAddonMaintenance'],
};
const given = (v: unknown): boolean => v !== null && v !== undefined;

/** Pure checks of the engine parameters of upsertMarket (each group given whole, within its bounds). */
function checkEngineParams(input: UpsertMarketInput, checks: InputChecks): void {
  const disabled = new Set(input.disable ?? []);
  for (const group of disabled) {
    const clash = FEATURE_FIELDS[group].find((f) => given(input[f]));
    if (clash) checks.fail(clash, `${clash} is given while ${group} is disabled`);
  }
  const lookback = input.volAdjLookbackDays;
  if (given(lookback) && (lookback! < ENGINE_BOUNDS.minLookback || lookback! > ENGINE_BOUNDS.maxLookback)) {
    checks.fail('volAdjLookbackDays', `volAdjLookbackDays must be between ${ENGINE_BOUNDS.minLookback} and ${ENGINE_BOUNDS.maxLookback}`);
  }
  if (input.slippageBaseRate) checks.rate('slippageBaseRate', input.slippageBaseRate, { max: ENGINE_BOUNDS.slippageBaseRate });
  if (input.slippageImpactFactor) checks.rate('slippageImpactFactor', input.slippageImpactFactor, { max: ENGINE_BOUNDS.impactFactor });
  const { optionAlpha: a, optionBeta: b, optionGamma: g } = input;
  const optionCount = [a, b, g].filter(given).length;
  if (optionCount > 0 && input.kind !== 'OPTION') checks.fail('optionAlpha', 'optionAlpha, optionBeta and optionGamma apply to OPTION markets');
  // Their bounds, together-ness and β ≤ α: the short-option rule's specification (src/risk/rules/short-option.ts).
  // Margin rules with their own parameter specifications (src/risk/rules/, schemas by src/api/rule-schemas.ts).
  for (const rule of Object.keys(RULE_PARAMETERS) as (keyof typeof RULE_PARAMETERS)[]) {
    checks.schema(RULE_SCHEMAS[rule], ruleInput(RULE_PARAMETERS[rule], input));
  }
  if (input.status === 'SETTLED') checks.fail('status', 'a market becomes SETTLED only through settleMarket, at a settlement price');
}

/** The engine parameters after an upsert: given values, disabled groups null, the rest as they were (or defaults). */
function engineParamsOf(input: UpsertMarketInput, current: MarketRecord | null): MarketEngineParams {
  const off = new Set(input.disable ?? []);
  const pick = <T>(group: FeatureGroup | null, value: T | null | undefined, was: T | null): T | null =>
    group && off.has(group) ? null : value ?? was;
  const zero = toD(0);
  return {
    oiLowerCap: pick('OPEN_INTEREST_SCALING', input.oiLowerCap, current?.oiLowerCap ?? null),
    oiUpperCap: pick('OPEN_INTEREST_SCALING', input.oiUpperCap, current?.oiUpperCap ?? null),
    volAdjZScore: pick('VOLATILITY_ADJUSTMENT', input.volAdjZScore, current?.volAdjZScore ?? null),
    volAdjHorizonDays: pick('VOLATILITY_ADJUSTMENT', input.volAdjHorizonDays, current?.volAdjHorizonDays ?? null),
    volAdjLookbackDays: pick('VOLATILITY_ADJUSTMENT', input.volAdjLookbackDays, current?.volAdjLookbackDays ?? null),
    liquidityLambda: pick('LIQUIDITY_ADDON', input.liquidityLambda, current?.liquidityLambda ?? null),
    slippageBaseRate: input.slippageBaseRate ?? current?.slippageBaseRate ?? zero,
    slippageImpactFactor: input.slippageImpactFactor ?? current?.slippageImpactFactor ?? zero,
    optionAlpha: pick('OPTION_PARAMS', input.optionAlpha, current?.optionAlpha ?? null),
    optionBeta: pick('OPTION_PARAMS', input.optionBeta, current?.optionBeta ?? null),
    optionGamma: pick('OPTION_PARAMS', input.optionGamma, current?.optionGamma ?? null),
    maintenanceBasis: input.maintenanceBasis ?? current?.maintenanceBasis ?? 'MARK',
    sizeAddonInitial: pick('SIZE_ADDON', input.sizeAddonInitial, current?.sizeAddonInitial ?? null),
    sizeAddonMaintenance: pick('SIZE_ADDON', input.sizeAddonMaintenance, current?.sizeAddonMaintenance ?? null),
    closingFeeRate: input.closingFeeRate ?? current?.closingFeeRate ?? zero,
  };
}

/** The write's checks of an upsert against the stored market (null when creating): what a dry run refuses too. */
function checkAgainstCurrent(input: UpsertMarketInput, current: MarketRecord | null, nowMs: number): Refusal | null {
  if (current) {
    const immutable: [keyof MarketRecord, unknown, unknown][] = [
      ['kind', current.kind, input.kind],
      ['contractType', current.contractType, input.contractType],
      ['baseAsset', current.baseAsset, input.baseAsset],
      ['quoteAsset', current.quoteAsset, input.quoteAsset],
      ['settlementAsset', current.settlementAsset, input.settlementAsset],
      ['contractSize', current.contractSize.toFixed(), input.contractSize.toFixed()],
      ['expiry', current.expiry?.getTime() ?? null, input.expiry?.getTime() ?? null],
      ['strike', current.strike?.toFixed() ?? null, input.strike?.toFixed() ?? null],
      ['optionType', current.optionType, input.optionType ?? null],
    ];
    if (current.status === 'SETTLED') return refuse('MARKET_INACTIVE', 'symbol', `market ${input.symbol} is settled (final)`);
    const changed = immutable.filter(([, was, now]) => was !== now);
    if (changed.length) {
      return new Refusal(changed.map(([field]) => userError('BAD_USER_INPUT', field, `${field} of an existing market cannot change`)));
    }
    return null;
  }
  const missing = (
    [
      ['liquidationFeeRate', input.liquidationFeeRate],
      ['insuranceFundFeeRate', input.insuranceFundFeeRate],
      ['bookDepth', input.bookDepth],
      ['tiers', input.tiers],
    ] as const
  ).filter(([, v]) => v === null || v === undefined);
  if (missing.length) {
    return new Refusal(missing.map(([field]) => userError('BAD_USER_INPUT', field, `${field} is required to create a market`)));
  }
  if (input.expiry && input.expiry.getTime() <= nowMs) return refuse('BAD_USER_INPUT', 'expiry', 'expiry must be in the future');
  return null;
}

/** The mutable fields an upsert of an existing market stores (given values, the rest as they were). */
function updateOf(input: UpsertMarketInput, current: MarketRecord) {
  return {
    tickSize: input.tickSize,
    status: input.status ?? current.status,
    liquidationFeeRate: input.liquidationFeeRate ?? current.liquidationFeeRate,
    insuranceFundFeeRate: input.insuranceFundFeeRate ?? current.insuranceFundFeeRate,
    maxPriceAgeSeconds: input.maxPriceAgeSeconds ?? current.maxPriceAgeSeconds,
    bookDepth: input.bookDepth ?? current.bookDepth,
    impliedVolatility: input.impliedVolatility ?? current.impliedVolatility,
    ...engineParamsOf(input, current),
  };
}

export const marketMutations: Pick<MutationResolvers, 'updatePrices' | 'upsertMarket' | 'setMarginTiers'> = {
  updatePrices: (_parent, { input }, ctx) => {
    const marks = input.marks ?? [];
    const indexes = input.indexes ?? [];
    return runWrite(ctx, {
      operation: 'updatePrices',
      input,
      roles: ['ORACLE'],
      validate: () => {
        const checks = new InputChecks();
        if (marks.length + indexes.length === 0) checks.fail(null, 'give at least one mark or index price');
        if (marks.length + indexes.length > MAX_PRICES_PER_BATCH) checks.fail(null, `at most ${MAX_PRICES_PER_BATCH} prices per batch`);
        checks.text('source', input.source, { max: 64, optional: true });
        const latest = ctx.nowMs + MAX_CLOCK_SKEW_MS;
        const each = (list: readonly { price: Decimal; observedAt: Date }[], kind: 'marks' | 'indexes', symbolOf: (i: number) => [string, string]) => {
          const seen = new Set<string>();
          list.forEach((p, i) => {
            const [field, symbol] = symbolOf(i);
            if (checks.symbol(`${kind}.${i}.${field}`, symbol) && seen.has(symbol)) checks.fail(`${kind}.${i}.${field}`, `${symbol} appears twice in ${kind}`);
            seen.add(symbol);
            checks.positive(`${kind}.${i}.price`, p.price, LIMITS.maxPrice);
            if (p.observedAt.getTime() > latest) {
              checks.fail(`${kind}.${i}.observedAt`, `observedAt ${p.observedAt.toISOString()} is in the future`);
            }
          });
        };
        each(marks, 'marks', (i) => ['market', marks[i]!.market]);
        each(indexes, 'indexes', (i) => ['asset', indexes[i]!.asset]);
        return checks.errors;
      },
      execute: async (scope) => {
        const [markets, assets] = await Promise.all([
          marketsBySymbols(scope.tx, marks.map((m) => m.market)),
          assetsBySymbols(scope.tx, indexes.map((x) => x.asset)),
        ]);
        const unknown: UserError[] = [];
        marks.forEach((m, i) => markets.has(m.market) || unknown.push(userError('BAD_USER_INPUT', `marks.${i}.market`, `unknown market ${m.market}`)));
        indexes.forEach((x, i) => assets.has(x.asset) || unknown.push(userError('BAD_USER_INPUT', `indexes.${i}.asset`, `unknown asset ${x.asset}`)));
        if (unknown.length) return new Refusal(unknown);
        const source = input.source ?? `oracle:${scope.principal.label}`.slice(0, 64);
        const before: Record<string, StoredPrice | null> = {};
        const after: Record<string, unknown> = {};
        // Rows are written in symbol order, so two concurrent batches lock them in the same order (no deadlock).
        const markOut = [];
        for (const m of [...marks].sort((a, b) => a.market.localeCompare(b.market))) {
          const r = await putMarkPrice(scope.tx, { market: m.market, price: m.price, source, observedAt: m.observedAt });
          before[`mark:${m.market}`] = r.before;
          after[`mark:${m.market}`] = { price: m.price, observedAt: m.observedAt, applied: r.applied };
          markOut.push({ symbol: m.market, price: m.price, observedAt: m.observedAt, source, applied: r.applied });
        }
        const indexOut = [];
        for (const x of [...indexes].sort((a, b) => a.asset.localeCompare(b.asset))) {
          const r = await putIndexPrice(scope.tx, { asset: x.asset, price: x.price, source, observedAt: x.observedAt });
          before[`index:${x.asset}`] = r.before;
          after[`index:${x.asset}`] = { price: x.price, observedAt: x.observedAt, applied: r.applied, recordedInHistory: r.recordedInHistory };
          indexOut.push({ symbol: x.asset, price: x.price, observedAt: x.observedAt, source, applied: r.applied, recordedInHistory: r.recordedInHistory });
        }
        await scope.audit({ before, after });
        return { marks: markOut, indexes: indexOut };
      },
    });
  },

  upsertMarket: (_parent, { input, ...args }, ctx) =>
    runWrite(ctx, {
      operation: 'upsertMarket',
      input,
      roles: ['ADMIN'],
      dryRun: dryRunOf(args, async (q, worstCount) => {
        const assets = await assetsBySymbols(q, [input.baseAsset, input.quoteAsset, input.settlementAsset]);
        for (const field of ['baseAsset', 'quoteAsset', 'settlementAsset'] as const) {
          if (!assets.has(input[field])) return refuse('BAD_USER_INPUT', field, `unknown asset ${input[field]}`);
        }
        const current = (await marketsBySymbols(q, [input.symbol])).get(input.symbol) ?? null;
        const refusal = checkAgainstCurrent(input, current, ctx.nowMs);
        if (refusal) return refusal;
        // A market being created has no positions: nothing is touched (its proposed record is not substituted).
        const market: MarketRecord | null = current ? { ...current, ...updateOf(input, current) } : null;
        const tiers = input.tiers ? tierRecords(input.symbol, checkTierSchedule(input.tiers).schedule) : null;
        const impact = await parameterImpact(q, {
          touching: { markets: [input.symbol] },
          propose: (rows) => ({
            ...rows,
            markets: market ? new Map(rows.markets).set(input.symbol, market) : rows.markets,
            tiers: tiers && market ? new Map(rows.tiers).set(input.symbol, tiers) : rows.tiers,
          }),
          worstCount,
          asOfMs: ctx.nowMs,
        });
        return { market, created: !current, impact };
      }),
      validate: () => {
        const checks = new InputChecks();
        checks.symbol('symbol', input.symbol);
        checks.symbol('baseAsset', input.baseAsset);
        checks.symbol('quoteAsset', input.quoteAsset);
        checks.symbol('settlementAsset', input.settlementAsset);
        checks.positive('contractSize', input.contractSize, LIMITS.maxPrice);
        checks.positive('tickSize', input.tickSize, LIMITS.maxPrice);
        if (input.strike) checks.positive('strike', input.strike, LIMITS.maxPrice);
        if (input.liquidationFeeRate) checks.rate('liquidationFeeRate', input.liquidationFeeRate, { max: 0.5 });
        if (input.insuranceFundFeeRate) checks.rate('insuranceFundFeeRate', input.insuranceFundFeeRate, { max: 0.5 });
        if (input.bookDepth) checks.positive('bookDepth', input.bookDepth, LIMITS.maxAmount);
        if (input.impliedVolatility) checks.rate('impliedVolatility', input.impliedVolatility, { positive: true, max: 20 });
        if (input.maxPriceAgeSeconds !== null && input.maxPriceAgeSeconds !== undefined) {
          if (input.maxPriceAgeSeconds < 1 || input.maxPriceAgeSeconds > MAX_PRICE_AGE_SECONDS) {
            checks.fail('maxPriceAgeSeconds', `maxPriceAgeSeconds must be between 1 and ${MAX_PRICE_AGE_SECONDS}`);
          }
        }
        if (input.baseAsset === input.quoteAsset) checks.fail('quoteAsset', 'base and quote assets must differ');
        if (input.contractType === 'LINEAR' && input.settlementAsset !== input.quoteAsset) {
          checks.fail('settlementAsset', 'a LINEAR market settles in its quote asset');
        }
        if (input.contractType === 'INVERSE' && input.settlementAsset !== input.baseAsset) {
          checks.fail('settlementAsset', 'an INVERSE market settles in its base asset');
        }
        if (input.kind === 'PERPETUAL' && (input.expiry || input.strike || input.optionType)) {
          checks.fail('kind', 'a PERPETUAL market has no expiry, strike or option type');
        }
        if (input.kind === 'FUTURE' && (!input.expiry || input.strike || input.optionType)) {
          checks.fail('expiry', 'a FUTURE market has an expiry and no strike or option type');
        }
        if (input.kind === 'OPTION' && (!input.expiry || !input.strike || !input.optionType)) {
          checks.fail('kind', 'an OPTION market needs expiry, strike and optionType');
        }
        checkEngineParams(input, checks);
        if (input.tiers) checks.errors.push(...checkTierSchedule(input.tiers).errors);
        return checks.errors;
      },
      execute: async (scope) => {
        const assets = await assetsBySymbols(scope.tx, [input.baseAsset, input.quoteAsset, input.settlementAsset]);
        for (const field of ['baseAsset', 'quoteAsset', 'settlementAsset'] as const) {
          if (!assets.has(input[field])) return refuse('BAD_USER_INPUT', field, `unknown asset ${input[field]}`);
        }
        await takePriceLock(scope.tx);
        const exists = await lockMarket(scope.tx, input.symbol);
        const current = exists ? (await marketsBySymbols(scope.tx, [input.symbol])).get(input.symbol)! : null;
        const tiersBefore = exists ? (await tiersByMarkets(scope.tx, [input.symbol])).get(input.symbol) ?? [] : [];
        const schedule = input.tiers ? checkTierSchedule(input.tiers).schedule : null;
        const refusal = checkAgainstCurrent(input, current, scope.nowMs);
        if (refusal) return refusal;
        if (current) {
          await updateMarket(scope.tx, input.symbol, updateOf(input, current));
        } else {
          const inserted = await insertMarket(scope.tx, {
            symbol: input.symbol,
            kind: input.kind,
            contractType: input.contractType,
            baseAsset: input.baseAsset,
            quoteAsset: input.quoteAsset,
            settlementAsset: input.settlementAsset,
            contractSize: input.contractSize,
            tickSize: input.tickSize,
            expiry: input.expiry ?? null,
            strike: input.strike ?? null,
            optionType: input.optionType ?? null,
            status: input.status ?? 'ACTIVE',
            liquidationFeeRate: input.liquidationFeeRate!,
            insuranceFundFeeRate: input.insuranceFundFeeRate!,
            maxPriceAgeSeconds: input.maxPriceAgeSeconds ?? 60,
            bookDepth: input.bookDepth!,
            impliedVolatility: input.impliedVolatility ?? null,
            ...engineParamsOf(input, null),
          });
          if (!inserted) throw retryable();
        }
        if (schedule) await replaceTiers(scope.tx, input.symbol, schedule);
        const market = (await marketsBySymbols(scope.tx, [input.symbol])).get(input.symbol)!;
        const tiersAfter = (await tiersByMarkets(scope.tx, [input.symbol])).get(input.symbol) ?? [];
        const parametersVersion = await recordParameterVersion(scope, 'upsertMarket');
        await scope.audit({
          before: current ? { market: current, tiers: tiersBefore.map(tierView) } : null,
          after: { market, tiers: tiersAfter.map(tierView), parametersVersion },
        });
        return { market, created: !current, impact: NOT_A_DRY_RUN };
      },
    }),

  setMarginTiers: (_parent, { input, ...args }, ctx) =>
    runWrite(ctx, {
      operation: 'setMarginTiers',
      input,
      roles: ['ADMIN'],
      validate: () => {
        const checks = new InputChecks();
        checks.symbol('market', input.market);
        return [...checks.errors, ...checkTierSchedule(input.tiers).errors];
      },
      dryRun: dryRunOf(args, async (q, worstCount) => {
        const market = (await marketsBySymbols(q, [input.market])).get(input.market);
        if (!market) return refuse('BAD_USER_INPUT', 'market', `unknown market ${input.market}`);
        if (market.status === 'SETTLED') return refuse('MARKET_INACTIVE', 'market', `market ${input.market} is settled (final)`);
        const tiers = tierRecords(input.market, checkTierSchedule(input.tiers).schedule);
        const impact = await parameterImpact(q, {
          touching: { markets: [input.market] },
          propose: (rows) => ({ ...rows, tiers: new Map(rows.tiers).set(input.market, tiers) }),
          worstCount,
          asOfMs: ctx.nowMs,
        });
        return { market, tiers, impact };
      }),
      execute: async (scope) => {
        await takePriceLock(scope.tx);
        if (!(await lockMarket(scope.tx, input.market))) return refuse('BAD_USER_INPUT', 'market', `unknown market ${input.market}`);
        const settled = (await marketsBySymbols(scope.tx, [input.market])).get(input.market)!.status === 'SETTLED';
        if (settled) return refuse('MARKET_INACTIVE', 'market', `market ${input.market} is settled (final)`);
        const before = (await tiersByMarkets(scope.tx, [input.market])).get(input.market) ?? [];
        await replaceTiers(scope.tx, input.market, checkTierSchedule(input.tiers).schedule);
        const tiers = (await tiersByMarkets(scope.tx, [input.market])).get(input.market) ?? [];
        const market = (await marketsBySymbols(scope.tx, [input.market])).get(input.market)!;
        const parametersVersion = await recordParameterVersion(scope, 'setMarginTiers');
        await scope.audit({ before: { tiers: before.map(tierView) }, after: { tiers: tiers.map(tierView), parametersVersion } });
        return { market, tiers, impact: NOT_A_DRY_RUN };
      },
    }),
};
