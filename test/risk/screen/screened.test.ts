/**
 * Differential property tests of the screened engine path (src/risk/screen) against the exact engine, over random
 * books: LINEAR and INVERSE perpetuals (tiers, volatility adjustment, OI scaling, liquidity add-on, basis ENTRY, user
 * leverage, funding), options (calls and puts, long and short), several collaterals (borrowed ones too), isolated
 * positions, PORTFOLIO accounts, and now and then a stale price or an invalid row. Fixed seed.
 */
import fc from 'fast-check';
import { D, evaluateAccount, type AccountRisk, type AccountSnapshot, type PositionSnapshot } from '../../../src/risk';
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
import { SEED, accountCase, accountSnapshot, caseArb, context, d, decimalIn, exact, marketCase, within, type AccountCase, type MarketCase } from './books';

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
