/**
 * Oracle inputs beyond prices (ORACLE): funding per perpetual market, implied volatility per option market, interest
 * rates per asset (options' r and q), and bulk ingestion of daily closes into the price history. Every write takes the one mutation path (src/api/write.ts).
 */
import type Decimal from 'decimal.js';
import type { MutationResolvers } from '../../generated/graphql';
import { assetsBySymbols, markPricesByMarkets } from '../../store/asset.repository';
import { marketsBySymbols } from '../../store/market.repository';
import { lockMarket } from '../../store/market-write.repository';
import { putHistoryClose, setFundingIndex, setImpliedVolatility } from '../../store/venue.repository';
import { interestRatesByAssets, putInterestRate } from '../../store/interest-rate.repository';
import { InputChecks, LIMITS } from '../input';
import { Refusal, runWrite, userError, type UserError } from '../write';
import { MAX_CLOCK_SKEW_MS } from './market.mutation';
import { takePriceLock } from '../../store/price-lock';

export const MAX_ORACLE_UPDATES = 500;
export const MAX_HISTORY_POINTS = 5000;
/** |funding rate| per period above this is a feed error, not a market. */
const MAX_FUNDING_RATE = '0.1';
/** |interest rate| per year above this (100%, continuously compounded) is a feed error; the table checks it too. */
export const MAX_INTEREST_RATE = '1';
/** Decimal places of an interest rate (1e-12 per year is far below any quoted rate). */
const INTEREST_RATE_DECIMALS = 12;

/** Distinct entries in a batch: the same market (or asset and day) twice is refused. */
function duplicates<T>(items: readonly T[], key: (t: T) => string, field: (i: number) => string, checks: InputChecks): void {
  const seen = new Set<string>();
  items.forEach((t, i) => {
    const k = key(t);
    if (seen.has(k)) checks.fail(field(i), `${k} appears twice in the batch`);
    seen.add(k);
  });
}

/**
 * The funding index step of a rate r over one period, at the market's mark P: ΔF = r·P for LINEAR (quote per
 * contract unit), ΔF = r/P for INVERSE (base per contract unit), so that a position's funding PnL −q·c·ΔF is the
 * rate times its notional, longs paying when r > 0.
 */
export function fundingStep(contractType: 'LINEAR' | 'INVERSE', rate: Decimal, mark: Decimal): Decimal {
  return contractType === 'LINEAR' ? rate.mul(mark) : rate.div(mark);
}

export const oracleMutations: Pick<MutationResolvers, 'updateFunding' | 'setImpliedVolatilities' | 'updateInterestRates' | 'ingestPriceHistory'> = {
  updateFunding: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'updateFunding',
      input,
      roles: ['ORACLE'],
      validate: () => {
        const checks = new InputChecks();
        const updates = input.updates;
        if (updates.length === 0 || updates.length > MAX_ORACLE_UPDATES) checks.fail('updates', `give 1 to ${MAX_ORACLE_UPDATES} updates`);
        updates.forEach((u, i) => {
          checks.symbol(`updates.${i}.market`, u.market);
          const hasRate = u.rate !== null && u.rate !== undefined;
          const hasIndex = u.cumulativeIndex !== null && u.cumulativeIndex !== undefined;
          if (hasRate === hasIndex) checks.fail(`updates.${i}.rate`, 'give exactly one of rate and cumulativeIndex');
          else if (hasRate) {
            if (u.rate!.abs().gt(MAX_FUNDING_RATE)) checks.fail(`updates.${i}.rate`, `|rate| must be at most ${MAX_FUNDING_RATE}`);
            else checks.bounded(`updates.${i}.rate`, u.rate!, LIMITS.maxPrice);
          } else checks.bounded(`updates.${i}.cumulativeIndex`, u.cumulativeIndex!, LIMITS.maxPrice);
        });
        duplicates(updates, (u) => u.market, (i) => `updates.${i}.market`, checks);
        return checks.errors;
      },
      execute: async (scope) => {
        const updates = input.updates;
        // Rows are locked in symbol order, so concurrent batches never deadlock.
        await takePriceLock(scope.tx);
        for (const symbol of [...new Set(updates.map((u) => u.market))].sort()) await lockMarket(scope.tx, symbol);
        const markets = await marketsBySymbols(scope.tx, updates.map((u) => u.market));
        const marks = await markPricesByMarkets(scope.tx, updates.map((u) => u.market));
        const problems: UserError[] = [];
        const out = updates.map((u, i) => {
          const m = markets.get(u.market);
          if (!m) return void problems.push(userError('BAD_USER_INPUT', `updates.${i}.market`, `unknown market ${u.market}`));
          if (m.kind !== 'PERPETUAL') return void problems.push(userError('BAD_USER_INPUT', `updates.${i}.market`, `funding applies to PERPETUAL markets; ${u.market} is ${m.kind}`));
          if (m.status === 'SETTLED') return void problems.push(userError('MARKET_INACTIVE', `updates.${i}.market`, `market ${u.market} is settled`));
          if (u.cumulativeIndex) return { market: u.market, previousIndex: m.fundingIndex, fundingIndex: u.cumulativeIndex, markPrice: null };
          const mark = marks.get(u.market);
          if (!mark) return void problems.push(userError('BAD_USER_INPUT', `updates.${i}.rate`, `market ${u.market} has no mark price to apply a rate at`));
          const step = fundingStep(m.contractType, u.rate!, mark.price);
          return { market: u.market, previousIndex: m.fundingIndex, fundingIndex: m.fundingIndex.add(step), markPrice: mark.price };
        });
        if (problems.length) return new Refusal(problems);
        const results = out.filter((x) => x !== undefined);
        for (const r of results) await setFundingIndex(scope.tx, r.market, r.fundingIndex);
        await scope.audit({
          before: Object.fromEntries(results.map((r) => [r.market, r.previousIndex])),
          after: Object.fromEntries(results.map((r) => [r.market, { fundingIndex: r.fundingIndex, markPrice: r.markPrice }])),
        });
        return { updates: results };
      },
    }),

  setImpliedVolatilities: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'setImpliedVolatilities',
      input,
      roles: ['ORACLE'],
      validate: () => {
        const checks = new InputChecks();
        const updates = input.updates;
        if (updates.length === 0 || updates.length > MAX_ORACLE_UPDATES) checks.fail('updates', `give 1 to ${MAX_ORACLE_UPDATES} updates`);
        updates.forEach((u, i) => {
          checks.symbol(`updates.${i}.market`, u.market);
          checks.rate(`updates.${i}.impliedVolatility`, u.impliedVolatility, { positive: true, max: 20 });
        });
        duplicates(updates, (u) => u.market, (i) => `updates.${i}.market`, checks);
        return checks.errors;
      },
      execute: async (scope) => {
        const updates = input.updates;
        await takePriceLock(scope.tx);
        for (const symbol of [...new Set(updates.map((u) => u.market))].sort()) await lockMarket(scope.tx, symbol);
        const markets = await marketsBySymbols(scope.tx, updates.map((u) => u.market));
        const problems: UserError[] = [];
        updates.forEach((u, i) => {
          const m = markets.get(u.market);
          if (!m) problems.push(userError('BAD_USER_INPUT', `updates.${i}.market`, `unknown market ${u.market}`));
          else if (m.kind !== 'OPTION') problems.push(userError('BAD_USER_INPUT', `updates.${i}.market`, `${u.market} is not an OPTION market`));
          else if (m.status === 'SETTLED') problems.push(userError('MARKET_INACTIVE', `updates.${i}.market`, `market ${u.market} is settled`));
        });
        if (problems.length) return new Refusal(problems);
        for (const u of updates) await setImpliedVolatility(scope.tx, u.market, u.impliedVolatility);
        const after = await marketsBySymbols(scope.tx, updates.map((u) => u.market));
        await scope.audit({
          before: Object.fromEntries(updates.map((u) => [u.market, markets.get(u.market)!.impliedVolatility])),
          after: Object.fromEntries(updates.map((u) => [u.market, u.impliedVolatility])),
        });
        return { markets: updates.map((u) => after.get(u.market)!) };
      },
    }),

  updateInterestRates: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'updateInterestRates',
      input,
      roles: ['ORACLE'],
      validate: () => {
        const checks = new InputChecks();
        const rates = input.rates;
        if (rates.length === 0 || rates.length > MAX_ORACLE_UPDATES) checks.fail('rates', `give 1 to ${MAX_ORACLE_UPDATES} rates`);
        rates.forEach((r, i) => {
          checks.symbol(`rates.${i}.asset`, r.asset);
          if (!r.rate.isFinite() || r.rate.abs().gt(MAX_INTEREST_RATE)) checks.fail(`rates.${i}.rate`, `|rate| must be at most ${MAX_INTEREST_RATE} (continuous, per year)`);
          else if (r.rate.decimalPlaces() > INTEREST_RATE_DECIMALS) checks.fail(`rates.${i}.rate`, `at most ${INTEREST_RATE_DECIMALS} decimal places`);
          if (r.observedAt.getTime() > ctx.nowMs + MAX_CLOCK_SKEW_MS) checks.fail(`rates.${i}.observedAt`, 'observedAt is in the future');
        });
        duplicates(rates, (r) => r.asset, (i) => `rates.${i}.asset`, checks);
        return checks.errors;
      },
      execute: async (scope) => {
        const rates = input.rates;
        const assets = await assetsBySymbols(scope.tx, rates.map((r) => r.asset));
        const unknown = rates.flatMap((r, i) => (assets.has(r.asset) ? [] : [userError('BAD_USER_INPUT', `rates.${i}.asset`, `unknown asset ${r.asset}`)]));
        if (unknown.length) return new Refusal(unknown);
        const before = await interestRatesByAssets(scope.tx, rates.map((r) => r.asset));
        // Assets in symbol order, so that concurrent batches lock the rows in one order and never deadlock.
        const applied = new Map<string, boolean>();
        for (const r of [...rates].sort((a, b) => a.asset.localeCompare(b.asset))) {
          applied.set(r.asset, await putInterestRate(scope.tx, { asset: r.asset, rate: r.rate, observedAt: r.observedAt }));
        }
        const updates = rates.map((r) => ({ asset: r.asset, rate: r.rate, observedAt: r.observedAt, applied: applied.get(r.asset)! }));
        const rateOf = (x: { rate: Decimal; observedAt: Date } | undefined) => (x === undefined ? null : { rate: x.rate.toFixed(), observedAt: x.observedAt.toISOString() });
        await scope.audit({
          before: Object.fromEntries(rates.map((r) => [r.asset, rateOf(before.get(r.asset))])),
          after: Object.fromEntries(updates.map((u) => [u.asset, { ...rateOf(u)!, applied: u.applied }])),
        });
        return { updates };
      },
    }),

  ingestPriceHistory: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'ingestPriceHistory',
      input,
      roles: ['ORACLE'],
      validate: () => {
        const checks = new InputChecks();
        const points = input.points;
        if (points.length === 0 || points.length > MAX_HISTORY_POINTS) checks.fail('points', `give 1 to ${MAX_HISTORY_POINTS} points`);
        points.forEach((p, i) => {
          checks.symbol(`points.${i}.asset`, p.asset);
          checks.positive(`points.${i}.price`, p.price, LIMITS.maxPrice);
          if (p.observedAt.getTime() > ctx.nowMs + MAX_CLOCK_SKEW_MS) checks.fail(`points.${i}.observedAt`, 'observedAt is in the future');
        });
        duplicates(points, (p) => `${p.asset} at ${p.observedAt.toISOString()}`, (i) => `points.${i}.observedAt`, checks);
        checks.text('source', input.source, { max: 64, optional: true });
        return checks.errors;
      },
      execute: async (scope) => {
        const points = input.points;
        const assets = await assetsBySymbols(scope.tx, points.map((p) => p.asset));
        const unknown = points.flatMap((p, i) => (assets.has(p.asset) ? [] : [userError('BAD_USER_INPUT', `points.${i}.asset`, `unknown asset ${p.asset}`)]));
        if (unknown.length) return new Refusal(unknown);
        const source = input.source ?? `oracle:${scope.principal.label}`.slice(0, 64);
        // Oldest first per asset, so the latest observation of each day is the one kept.
        const ordered = [...points].sort((a, b) => a.asset.localeCompare(b.asset) || a.observedAt.getTime() - b.observedAt.getTime());
        // Per asset and UTC day, whether its last point of the batch is the day's stored close (earlier points of the
        // day give way to it; a day whose stored close is later than every point of the batch keeps it).
        const lastOfDay = new Map<string, boolean>();
        for (const p of ordered) {
          const recorded = await putHistoryClose(scope.tx, { asset: p.asset, price: p.price, source, observedAt: p.observedAt });
          lastOfDay.set(`${p.asset}:${p.observedAt.toISOString().slice(0, 10)}`, recorded);
        }
        const stored = [...lastOfDay.values()].filter(Boolean).length;
        const range = (asset: string) => {
          const ts = ordered.filter((p) => p.asset === asset).map((p) => p.observedAt.getTime());
          return { points: ts.length, from: new Date(Math.min(...ts)), to: new Date(Math.max(...ts)) };
        };
        await scope.audit({
          before: null,
          after: { source, assets: Object.fromEntries([...assets.keys()].sort().map((a) => [a, range(a)])), recorded: stored },
        });
        return { recorded: stored, superseded: points.length - stored };
      },
    }),
};
