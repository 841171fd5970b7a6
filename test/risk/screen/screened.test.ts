/**
 * Differential property tests of the screened engine path (src/risk/screen) against the exact engine, over random
 * books: LINEAR and INVERSE perpetuals (tiers, volatility adjustment, OI scaling, liquidity add-on, basis ENTRY, user
 * leverage, funding), options (calls and puts, long and short), several collaterals (borrowed ones too), isolated
 * positions, PORTFOLIO accounts, and now and then a stale price or an invalid row. Fixed seed.
 */
import Decimal from 'decimal.js';
import fc from 'fast-check';
import { D, evaluateAccount, type AccountRisk, type AccountSnapshot, type MarketParams, type PositionSnapshot } from '../../../src/risk';
import {
  buildScreenTable,
  prepareScreenAccount,
  screenAccounts,
  screenSnapshots,
  screenedStatus,
  accountsNeedingExact,
  type ScreenTable,
} from '../../../src/risk/screen';
import { BoundedOps } from '../../../src/risk/screen/bounds';
import { ScreenFigures, screenFigures } from '../../../src/risk/screen/evaluate';
import * as F from '../fixtures';

const SEED = Number(process.env.FC_SEED ?? 20261203);
const d = (x: Decimal.Value) => new Decimal(x);
const DAY = 86_400_000;

/** A decimal with `dp` places in [lo, hi]. */
const decimalIn = (lo: number, hi: number, dp: number) =>
  fc.integer({ min: Math.round(lo * 10 ** dp), max: Math.round(hi * 10 ** dp) }).map((i) => d(i).div(10 ** dp));

const MARKETS = ['BTCUSDT', 'ETHUSDT', 'BTCUSD', 'BTC-C', 'BTC-P'] as const;
type MarketSymbol = (typeof MARKETS)[number];

interface MarketCase {
  btc: Decimal;
  eth: Decimal;
  usdt: Decimal;
  /** Tier floor scale of the LINEAR markets (quote) and the INVERSE one (base). */
  linearFloor: Decimal;
  inverseFloor: Decimal;
  vol: Decimal | null;
  oi: Decimal | null;
  lambda: Decimal | null;
  entryBasis: boolean;
  funding: Decimal;
  btcWeight: Decimal;
  ethWeight: Decimal;
  /** A market whose mark is stale (the exact engine throws STALE_PRICE for its positions), or none. */
  stale: MarketSymbol | null;
}

const marketCase: fc.Arbitrary<MarketCase> = fc.record({
  btc: decimalIn(20_000, 80_000, 1),
  eth: decimalIn(1_000, 4_000, 2),
  usdt: decimalIn(0.998, 1.002, 4),
  linearFloor: decimalIn(1_000, 200_000, 0),
  inverseFloor: decimalIn(0.5, 20, 2),
  vol: fc.option(decimalIn(0.002, 0.05, 4), { nil: null, freq: 2 }),
  oi: fc.option(decimalIn(100, 100_000, 0), { nil: null, freq: 2 }),
  lambda: fc.option(decimalIn(0.00001, 0.001, 6), { nil: null, freq: 2 }),
  entryBasis: fc.boolean(),
  funding: decimalIn(-50, 50, 4),
  btcWeight: decimalIn(0.5, 1, 2),
  ethWeight: decimalIn(0.5, 1, 2),
  stale: fc.integer({ min: 0, max: 24 }).map((i) => (i < MARKETS.length ? MARKETS[i]! : null)),
});

const tierRows = (floor: Decimal) => [
  { floor: 0, imr: '0.01', mmr: '0.005' },
  { floor: floor.toString(), imr: '0.02', mmr: '0.01' },
  { floor: floor.mul(5).toString(), imr: '0.05', mmr: '0.025' },
];

/** The market context of a case: every account of the case shares it (as a sweep batch does). */
function context(c: MarketCase) {
  const perp = (symbol: string, base: string, contractType: 'LINEAR' | 'INVERSE'): MarketParams => {
    const m = F.market(symbol, {
      base,
      quote: contractType === 'LINEAR' ? 'USDT' : 'USD',
      contractType,
      contractSize: contractType === 'LINEAR' ? '0.01' : 100,
      tiers: tierRows(contractType === 'LINEAR' ? c.linearFloor : c.inverseFloor),
      fundingIndex: contractType === 'LINEAR' ? c.funding : c.funding.div(1e6),
      volatilityAdjustment: c.vol === null ? null : { zScore: d('2.326'), horizonDays: d(1), dailyVolatility: c.vol },
      openInterestScaling:
        c.oi === null ? null : { lowerCap: d(1_000_000), upperCap: d(50_000_000), openInterest: c.oi, rateStep: d('0.000001') },
      liquidityAddon: c.lambda === null ? null : { lambda: c.lambda, bookDepth: d(contractType === 'LINEAR' ? 5_000_000 : 100) },
    });
    return { ...m, maintenanceBasis: c.entryBasis && symbol !== 'ETHUSDT' ? 'ENTRY' : 'MARK' };
  };
  const option = (symbol: string, type: 'CALL' | 'PUT', strikeFactor: string) =>
    F.optionMarket(symbol, { base: 'BTC', type, strike: c.btc.mul(strikeFactor).toDecimalPlaces(0), vol: '0.55', expiryMs: F.NOW + 20 * DAY, contractSize: '0.1' });
  const markets = [
    perp('BTCUSDT', 'BTC', 'LINEAR'),
    perp('ETHUSDT', 'ETH', 'LINEAR'),
    perp('BTCUSD', 'BTC', 'INVERSE'),
    option('BTC-C', 'CALL', '1.1'),
    option('BTC-P', 'PUT', '0.9'),
  ];
  const marks: Record<string, Decimal | ReturnType<typeof F.quote>> = {
    BTCUSDT: c.btc,
    ETHUSDT: c.eth,
    BTCUSD: c.btc.add(5),
    'BTC-C': d(1000),
    'BTC-P': d(900),
  };
  if (c.stale !== null) marks[c.stale] = F.quote(marks[c.stale] as Decimal, F.NOW - 3_600_000);
  const base = F.snapshot({
    markets,
    assets: [
      F.asset('USD', 2),
      F.asset('USDT', 6, { init: '0.98', maint: '0.99', initLiab: '1.02', maintLiab: '1.01' }),
      F.asset('BTC', 8, { init: c.btcWeight, maint: c.btcWeight.add(1).div(2), initLiab: d(2).sub(c.btcWeight), maintLiab: d(3).sub(c.btcWeight).div(2) }),
      F.asset('ETH', 8, { init: c.ethWeight, maint: c.ethWeight.add(1).div(2), initLiab: d(2).sub(c.ethWeight), maintLiab: d(3).sub(c.ethWeight).div(2) }),
    ],
    marks,
    indexes: { BTC: c.btc, ETH: c.eth, USDT: c.usdt },
    valuationAsset: 'USD',
    portfolioParams: {
      BTC: { priceScanRange: d('0.15'), volScanRange: d('0.25'), extremeMoveMultiple: d(3), extremeMoveCoverage: d('0.33'), shortOptionMinimum: d('0.01'), maintenanceFraction: d('0.8') },
    },
  });
  return base;
}

interface PositionCase {
  market: MarketSymbol;
  size: Decimal;
  entryMove: Decimal;
  isolated: boolean;
  isolatedFraction: Decimal;
  leverage: Decimal | null;
  funding: Decimal;
}

const positionCase: fc.Arbitrary<PositionCase> = fc.record({
  market: fc.constantFrom(...MARKETS),
  size: decimalIn(-5_000, 5_000, 2),
  entryMove: decimalIn(0.7, 1.3, 3),
  isolated: fc.boolean(),
  isolatedFraction: decimalIn(0, 0.3, 3),
  leverage: fc.option(fc.constantFrom(d(2), d(5), d(10), d(20), d(100)), { nil: null, freq: 3 }),
  funding: decimalIn(-50, 50, 4),
});

interface AccountCase {
  portfolio: boolean;
  positions: PositionCase[];
  balances: { USD: Decimal; USDT: Decimal; BTC: Decimal; ETH: Decimal };
  /** An invalid row (the exact engine throws INVALID_SNAPSHOT): an open position with entry price 0. */
  invalid: boolean;
  flatIndex: number | null;
}

const accountCase: fc.Arbitrary<AccountCase> = fc.record({
  portfolio: fc.integer({ min: 0, max: 3 }).map((i) => i === 0),
  positions: fc.array(positionCase, { minLength: 0, maxLength: 6 }),
  balances: fc.record({
    USD: decimalIn(-50_000, 2_000_000, 2),
    USDT: decimalIn(-100_000, 500_000, 6),
    BTC: decimalIn(-5, 20, 8),
    ETH: decimalIn(-20, 100, 8),
  }),
  invalid: fc.integer({ min: 0, max: 29 }).map((i) => i === 0),
  flatIndex: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 4 }),
});

function priceOf(ctx: AccountSnapshot, market: MarketSymbol): Decimal {
  return d(ctx.markPrices[market]!.price);
}

function accountSnapshot(ctx: AccountSnapshot, a: AccountCase, id: string): AccountSnapshot {
  const positions: PositionSnapshot[] = a.positions.map((p, i) => {
    const option = p.market.startsWith('BTC-');
    const linear = p.market.endsWith('USDT');
    // Options: size in contracts of 0.1 BTC, entry a premium; delta-one: entry near the mark.
    const size = option ? p.size.div(100).toDecimalPlaces(1) : p.size;
    const entry = option ? priceOf(ctx, p.market).mul(p.entryMove).toDecimalPlaces(2) : priceOf(ctx, p.market).mul(p.entryMove).toDecimalPlaces(1);
    const notional = linear ? size.abs().mul('0.01').mul(entry) : size.abs().mul(100).div(entry);
    const isolated = p.isolated && !option;
    return F.position(`p${i}`, p.market, a.flatIndex === i ? 0 : size, a.invalid && i === 0 && !size.isZero() ? 0 : entry, {
      marginType: isolated ? 'ISOLATED' : 'CROSS',
      isolatedMargin: isolated ? notional.mul(p.isolatedFraction).toDecimalPlaces(8) : 0,
      leverage: option ? null : p.leverage,
      fundingIndex: linear ? p.funding : p.funding.div(1e6),
    });
  });
  return {
    ...ctx,
    accountId: id,
    marginMode: a.portfolio ? 'PORTFOLIO' : 'CROSS',
    balances: Object.entries(a.balances).map(([asset, amount]) => ({ asset, amount })),
    positions,
  };
}

/** The exact evaluation (the sweep's mode), or the engine's error. */
function exact(s: AccountSnapshot): AccountRisk | Error {
  try {
    return evaluateAccount(s, { liquidationPrices: 'SKIP', greeks: 'SKIP' });
  } catch (error) {
    return error as Error;
  }
}

/** |exact − v| ≤ e, checked in Decimal. */
function within(exactValue: Decimal, v: number, e: number): boolean {
  return exactValue.sub(d(v)).abs().lte(d(e));
}

const caseArb = fc.record({ market: marketCase, accounts: fc.array(accountCase, { minLength: 1, maxLength: 6 }) });

function build(c: { market: MarketCase; accounts: AccountCase[] }): { table: ScreenTable; snapshots: AccountSnapshot[] } {
  const ctx = context(c.market);
  const table = buildScreenTable(ctx);
  return { table, snapshots: c.accounts.map((a, i) => accountSnapshot(ctx, a, `acc-${i}`)) };
}

describe('screened engine path', () => {
  test('every decided status equals the exact engine’s, and every bound holds the exact figure', () => {
    let decided = 0;
    let total = 0;
    const reasons: Record<string, number> = {};
    const statuses = new Set<string>();
    fc.assert(
      fc.property(caseArb, (c) => {
        const { table, snapshots } = build(c);
        const result = screenSnapshots(table, snapshots, { question: { kind: 'STATUS' } });
        const ops = new BoundedOps();
        snapshots.forEach((s, i) => {
          const outcome = result.outcomes[i]!;
          const risk = exact(s);
          total += 1;
          if (outcome.outcome === 'FALLBACK') reasons[outcome.reason] = (reasons[outcome.reason] ?? 0) + 1;
          if (outcome.outcome === 'DECIDED') {
            decided += 1;
            // Never decides an account the exact engine refuses.
            expect(risk).not.toBeInstanceOf(Error);
            expect(outcome.answer).toEqual({ kind: 'STATUS', status: (risk as AccountRisk).status });
            statuses.add((risk as AccountRisk).status);
          }
          const f = new ScreenFigures();
          if (screenFigures(table, prepareScreenAccount(s), ops, f) === null) {
            expect(risk).not.toBeInstanceOf(Error);
            const r = risk as AccountRisk;
            expect(within(r.equity, f.equity, f.equityErr)).toBe(true);
            expect(within(r.marginEquity, f.marginEquity, f.marginEquityErr)).toBe(true);
            expect(within(r.initialMarginEquity, f.initialMarginEquity, f.initialMarginEquityErr)).toBe(true);
            expect(within(r.initialMargin, f.initialMargin, f.initialMarginErr)).toBe(true);
            expect(within(r.maintenanceMargin, f.maintenanceMargin, f.maintenanceMarginErr)).toBe(true);
          }
          // screenedStatus is the exact status either way (or throws the engine's error).
          if (risk instanceof Error) expect(() => screenedStatus(table, s)).toThrow(risk.message);
          else expect(screenedStatus(table, s).status).toBe(risk.status);
        });
      }),
      { numRuns: 150, seed: SEED },
    );
    // Every status is among the decided ones, and the reasons are the structural ones the cases plant.
    expect([...statuses].sort()).toEqual(['BANKRUPT', 'HEALTHY', 'LIQUIDATABLE', 'RESTRICTED']);
    expect(Object.keys(reasons).sort()).toEqual(['INVALID_INPUT', 'PORTFOLIO_SCAN', 'PRICE_UNAVAILABLE']);
    // Not trivially falling back: most random accounts (some PORTFOLIO, stale or invalid on purpose) are decided.
    expect(decided / total).toBeGreaterThan(0.5);
  });

  test('every decided margin-ratio side equals the exact engine’s', () => {
    fc.assert(
      fc.property(caseArb, decimalIn(0, 1.5, 3), (c, threshold) => {
        const { table, snapshots } = build(c);
        const result = screenSnapshots(table, snapshots, { question: { kind: 'MARGIN_RATIO', threshold } });
        snapshots.forEach((s, i) => {
          const outcome = result.outcomes[i]!;
          if (outcome.outcome !== 'DECIDED') return;
          const risk = exact(s);
          expect(risk).not.toBeInstanceOf(Error);
          const ratio = (risk as AccountRisk).marginRatio;
          const side = ratio === null ? 'UNDEFINED' : ratio.gte(threshold) ? 'AT_OR_ABOVE' : 'BELOW';
          expect(outcome.answer).toEqual({ kind: 'MARGIN_RATIO', side });
        });
      }),
      { numRuns: 100, seed: SEED + 1 },
    );
  });

  test('falls back when marginEquity is within rounding of MM (ties included), and decides clear cases', () => {
    let checked = 0;
    fc.assert(
      fc.property(marketCase, accountCase, fc.integer({ min: -1000, max: 1000 }), (mc, a, k) => {
        const ctx = context({ ...mc, stale: null });
        const table = buildScreenTable(ctx);
        const s0 = accountSnapshot(ctx, { ...a, portfolio: false, invalid: false }, 'near');
        const r0 = exact(s0);
        fc.pre(!(r0 instanceof Error) && r0.maintenanceMargin.gt(0));
        const r = r0 as AccountRisk;
        // A USD balance change of Δ moves equity and both margin equities by exactly Δ (weights 1, index 1): place
        // marginEquity at MM + δ with |δ| ≤ min(1e-12·MM, 1e-9), below half a settlement unit of any requirement.
        const delta = D.min(r.maintenanceMargin.mul('1e-12'), new D('1e-9')).mul(k).div(1000);
        const usd = new D(s0.balances.find((b) => b.asset === 'USD')!.amount).add(r.maintenanceMargin.sub(r.marginEquity)).add(delta);
        const s = { ...s0, balances: s0.balances.map((b) => (b.asset === 'USD' ? { asset: 'USD', amount: usd } : b)) };
        const risk = exact(s) as AccountRisk;
        expect(risk.marginEquity.sub(risk.maintenanceMargin).sub(delta).abs().lte('1e-30')).toBe(true);
        const out = screenSnapshots(table, [s], { question: { kind: 'STATUS' } }).outcomes[0]!;
        // Bankrupt accounts are decided by equity alone (equity < 0 comes first in the ladder).
        if (risk.equity.lt(-1)) return;
        expect(out).toEqual({ accountId: 'near', outcome: 'FALLBACK', reason: out.outcome === 'FALLBACK' && out.reason !== 'TOO_CLOSE' ? out.reason : 'TOO_CLOSE' });
        expect(screenedStatus(table, s).status).toBe(risk.status);
        checked += 1;
        // The same account a clear distance away (1% of MM more margin equity) is decided, as the engine decides it.
        const far = { ...s, balances: s.balances.map((b) => (b.asset === 'USD' ? { asset: 'USD', amount: usd.add(r.maintenanceMargin.div(100)) } : b)) };
        const farOut = screenSnapshots(table, [far], { question: { kind: 'STATUS' } }).outcomes[0]!;
        if (farOut.outcome === 'DECIDED') expect(farOut.answer).toEqual({ kind: 'STATUS', status: (exact(far) as AccountRisk).status });
        else expect(farOut.reason).not.toBe('TOO_CLOSE');
      }),
      { numRuns: 100, seed: SEED + 2 },
    );
    expect(checked).toBeGreaterThan(30);
  });

  test('on ordinary books (no stale price, no invalid row, CROSS) fewer than 2% fall back for rounding', () => {
    let total = 0;
    let rounding = 0;
    fc.assert(
      fc.property(caseArb, (c) => {
        const { table, snapshots } = build({ market: { ...c.market, stale: null }, accounts: c.accounts.map((a) => ({ ...a, portfolio: false, invalid: false })) });
        const result = screenSnapshots(table, snapshots, { question: { kind: 'STATUS' } });
        total += snapshots.length;
        rounding += (result.fallbacks.TOO_CLOSE ?? 0) + (result.fallbacks.TIER_BOUNDARY ?? 0);
        // Nothing else makes such an account fall back.
        expect(result.decided + (result.fallbacks.TOO_CLOSE ?? 0) + (result.fallbacks.TIER_BOUNDARY ?? 0)).toBe(snapshots.length);
      }),
      { numRuns: 100, seed: SEED + 3 },
    );
    expect(total).toBeGreaterThan(200);
    expect(rounding / total).toBeLessThan(0.02);
  });

  test('structural fallbacks: PORTFOLIO scan, stale price, invalid row, another context', () => {
    const ctx = context({
      btc: d(40_000), eth: d(2_000), usdt: d(1), linearFloor: d(50_000), inverseFloor: d(5), vol: null, oi: null, lambda: null,
      entryBasis: false, funding: d(0), btcWeight: d('0.9'), ethWeight: d('0.9'), stale: null,
    });
    const table = buildScreenTable(ctx);
    const book = (marginMode: 'CROSS' | 'PORTFOLIO', positions: PositionSnapshot[], id = 'a'): AccountSnapshot => ({
      ...ctx,
      accountId: id,
      marginMode,
      balances: [{ asset: 'USD', amount: d(100_000) }],
      positions,
    });
    const btc = F.position('p1', 'BTCUSDT', 10, 39_000);
    const eth = F.position('p2', 'ETHUSDT', 10, 1_900);
    const reasonOf = (s: AccountSnapshot, t = table) => screenSnapshots(t, [s], { question: { kind: 'STATUS' } }).outcomes[0]!;
    expect(reasonOf(book('CROSS', [btc, eth]))).toEqual({ accountId: 'a', outcome: 'DECIDED', answer: { kind: 'STATUS', status: 'HEALTHY' } });
    // PORTFOLIO with a BTC position (BTC has portfolio parameters): the scan runs on the exact path.
    expect(reasonOf(book('PORTFOLIO', [btc]))).toMatchObject({ outcome: 'FALLBACK', reason: 'PORTFOLIO_SCAN' });
    // PORTFOLIO on ETH only (no parameters): the standard rules, screened.
    expect(reasonOf(book('PORTFOLIO', [eth]))).toMatchObject({ outcome: 'DECIDED' });
    // Invalid rows and unknown markets.
    expect(reasonOf(book('CROSS', [{ ...btc, entryPrice: d(0) }]))).toMatchObject({ outcome: 'FALLBACK', reason: 'INVALID_INPUT' });
    expect(reasonOf(book('CROSS', [btc, { ...eth, id: 'p1' }]))).toMatchObject({ outcome: 'FALLBACK', reason: 'INVALID_INPUT' });
    expect(reasonOf(book('CROSS', [{ ...btc, market: 'NOPE' }]))).toMatchObject({ outcome: 'FALLBACK', reason: 'INVALID_INPUT' });
    // Isolated option: UNSUPPORTED_MARKET_KIND in the engine.
    expect(reasonOf(book('CROSS', [F.position('o', 'BTC-C', 1, 100, { marginType: 'ISOLATED', isolatedMargin: 10 })]))).toMatchObject({
      outcome: 'FALLBACK',
      reason: 'UNSUPPORTED',
    });
    // A stale mark: the exact engine throws STALE_PRICE.
    const stale = { ...ctx, markPrices: { ...ctx.markPrices, BTCUSDT: F.quote(40_000, F.NOW - 3_600_000) } };
    const staleTable = buildScreenTable(stale);
    expect(reasonOf({ ...book('CROSS', [btc]), markPrices: stale.markPrices }, staleTable)).toMatchObject({ outcome: 'FALLBACK', reason: 'PRICE_UNAVAILABLE' });
    expect(() => evaluateAccount({ ...book('CROSS', [btc]), markPrices: stale.markPrices })).toThrow(/stale|old/);
    // A snapshot on another context than the table's.
    expect(reasonOf({ ...book('CROSS', [btc]), markPrices: { ...ctx.markPrices } })).toMatchObject({ outcome: 'FALLBACK', reason: 'CONTEXT_MISMATCH' });
    // Margin rules the screen does not model: a closing fee or a size add-on on the market sends its accounts to the exact path.
    for (const rule of [{ closingFeeRate: d('0.0006') }, { sizeAddon: { initialRatePerContract: d('0.0001'), maintenanceRatePerContract: d('0.00005') } }]) {
      const ruled = { ...ctx, markets: { ...ctx.markets, BTCUSDT: { ...ctx.markets.BTCUSDT!, ...rule } } };
      const ruledTable = buildScreenTable(ruled);
      expect(reasonOf({ ...book('CROSS', [btc]), markets: ruled.markets }, ruledTable)).toMatchObject({ outcome: 'FALLBACK', reason: 'UNMODELLED_RULE' });
      expect(reasonOf({ ...book('CROSS', [eth]), markets: ruled.markets }, ruledTable)).toMatchObject({ outcome: 'DECIDED' });
    }
  });

  test('a tick: re-screening prepared accounts against a new table names only the changed and undecided ones', () => {
    const mc: MarketCase = {
      btc: d(40_000), eth: d(2_000), usdt: d(1), linearFloor: d(50_000), inverseFloor: d(5), vol: null, oi: null, lambda: null,
      entryBasis: false, funding: d(0), btcWeight: d('0.9'), ethWeight: d('0.9'), stale: null,
    };
    const ctx = context(mc);
    // Account i: long 10 BTCUSDT (0.1 BTC) with USD collateral 200·i: liquidatable once the price falls far enough.
    const snaps = Array.from({ length: 20 }, (_, i) => ({
      ...ctx,
      accountId: `t${i}`,
      marginMode: 'CROSS' as const,
      balances: [{ asset: 'USD', amount: d(200 * (i + 1)) }],
      positions: [F.position('p', 'BTCUSDT', 10, 40_000)],
    }));
    const accounts = snaps.map(prepareScreenAccount);
    const before = screenAccounts(buildScreenTable(ctx), accounts, { question: { kind: 'STATUS' } });
    const previous = new Map(before.outcomes.map((o) => [o.accountId, o.outcome === 'DECIDED' && o.answer.kind === 'STATUS' ? o.answer.status : 'HEALTHY'] as const));
    const moved = context({ ...mc, btc: d(30_000) });
    const after = screenAccounts(buildScreenTable(moved), accounts, { question: { kind: 'STATUS' } });
    const { unchanged, exact: needExact } = accountsNeedingExact(after.outcomes, previous);
    expect(unchanged.length + needExact.length).toBe(20);
    for (let i = 0; i < 20; i++) {
      const status = evaluateAccount({ ...snaps[i]!, ...moved, accountId: `t${i}`, marginMode: 'CROSS', balances: snaps[i]!.balances, positions: snaps[i]!.positions }).status;
      if (unchanged.includes(`t${i}`)) expect(status).toBe(previous.get(`t${i}`));
    }
    // The move changes some statuses and leaves others.
    expect(needExact.length).toBeGreaterThan(0);
    expect(unchanged.length).toBeGreaterThan(0);
  });
});
