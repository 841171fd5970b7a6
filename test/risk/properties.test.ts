/** Property tests (fast-check, fixed seed) of the engine's invariants. */
import Decimal from 'decimal.js';
import fc from 'fast-check';
import { evaluateAccount, evaluateAccountWithPrices } from '../../src/risk';
import { adverseBoundary as adverse } from '../../src/risk/liquidation';
import type { AccountRisk, AccountSnapshot, ContractType, PositionRisk } from '../../src/risk';
import * as F from './fixtures';

const RUNS = { numRuns: 200, seed: Number(process.env.FC_SEED ?? 20240601) };
const d = (x: Decimal.Value) => new Decimal(x);

/** A decimal with `dp` places in [lo, hi]. */
const decimalIn = (lo: number, hi: number, dp: number) =>
  fc.integer({ min: Math.round(lo * 10 ** dp), max: Math.round(hi * 10 ** dp) }).map((i) => d(i).div(10 ** dp));

const tierRows = fc
  .tuple(
    fc.integer({ min: 1, max: 3 }),
    decimalIn(0.002, 0.02, 4),
    fc.array(decimalIn(0.001, 0.03, 4), { minLength: 2, maxLength: 2 }),
    fc.array(fc.integer({ min: 1, max: 50 }), { minLength: 2, maxLength: 2 }),
  )
  .map(([count, mmr0, steps, floorSteps]) => {
    const rows: F.TierRow[] = [];
    let mmr = mmr0;
    let floor = d(0);
    for (let i = 0; i < count; i++) {
      rows.push({ floor: floor.toString(), imr: mmr.mul(2).toString(), mmr: mmr.toString() });
      mmr = mmr.add(steps[i % 2]!);
      floor = floor.add(floorSteps[i % 2]!);
    }
    return rows;
  });

interface Case {
  contractType: ContractType;
  long: boolean;
  size: Decimal;
  entry: Decimal;
  mark: Decimal;
  marginFraction: Decimal;
  tiers: F.TierRow[];
  tick: Decimal;
  funding: Decimal;
  /** Daily volatility of an optional volatility adjustment (z = 2, h = 1 day); makes MM jump at tier floors. */
  vol: Decimal | null;
  /** Size add-on k_mm (rate per contract; k_im = 1.5·k_mm) or null (off). */
  sizeK: Decimal | null;
  /** Closing fee rate (0 = off). */
  fee: Decimal;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    contractType: fc.constantFrom<ContractType>('LINEAR', 'INVERSE'),
    long: fc.boolean(),
    size: decimalIn(0.1, 50, 3),
    entry: decimalIn(500, 2000, 2),
    markMove: decimalIn(0.9, 1.1, 3),
    marginFraction: decimalIn(0.03, 0.6, 3),
    tiers: tierRows,
    tick: fc.constantFrom(d('0.01'), d('0.5'), d(1)),
    funding: decimalIn(-2, 2, 3),
    vol: fc.option(decimalIn(0.002, 0.03, 3), { nil: null, freq: 3 }),
    sizeK: fc.option(decimalIn(0, 0.002, 6), { nil: null, freq: 2 }),
    fee: fc.oneof(fc.constant(d(0)), decimalIn(0, 0.01, 4)),
  })
  .map((r) => ({ ...r, mark: r.entry.mul(r.markMove).toDecimalPlaces(2) }));

/** Scale tier floors into the market's notional units (quote for LINEAR, base for INVERSE). */
function marketFor(c: Case) {
  const linear = c.contractType === 'LINEAR';
  const scale = linear ? c.size.mul(c.entry).div(20) : c.size.mul(100).div(c.entry).div(20);
  return F.market('M', {
    base: 'BTC',
    quote: linear ? 'USDT' : 'USD',
    contractType: c.contractType,
    contractSize: linear ? 1 : 100,
    tick: c.tick,
    fundingIndex: linear ? c.funding : c.funding.div(1e6),
    tiers: c.tiers.map((t) => ({ ...t, floor: d(t.floor).mul(scale).toString() })),
    volatilityAdjustment: c.vol === null ? null : { zScore: d(2), horizonDays: d(1), dailyVolatility: c.vol },
    sizeAddon: c.sizeK === null ? null : { initial: c.sizeK.mul('1.5'), maintenance: c.sizeK },
    closingFeeRate: c.fee,
  });
}

/** Margin M = fraction of the entry notional, in the settlement asset. */
function marginFor(c: Case): Decimal {
  const n = c.contractType === 'LINEAR' ? c.size.mul(c.entry) : c.size.mul(100).div(c.entry);
  return n.mul(c.marginFraction).toDecimalPlaces(8);
}

function build(c: Case, mode: 'ISOLATED' | 'CROSS'): AccountSnapshot {
  const linear = c.contractType === 'LINEAR';
  const settle = linear ? 'USDT' : 'BTC';
  const m = marginFor(c);
  return F.snapshot({
    balances: mode === 'CROSS' ? { [settle]: m } : {},
    positions: [
      F.position('p', 'M', c.long ? c.size : c.size.neg(), c.entry, {
        marginType: mode,
        isolatedMargin: mode === 'ISOLATED' ? m : 0,
      }),
    ],
    markets: [marketFor(c)],
    assets: [F.asset('USDT', 8), F.asset('BTC', 8), F.asset('USD', 2)],
    marks: { M: c.mark },
    indexes: linear ? {} : { BTC: c.mark },
    valuationAsset: linear ? 'USDT' : 'USD',
  });
}

/** Moves the underlying to mark P (and the BTC index by the same ratio when it is the settlement asset). */
function at(snap: AccountSnapshot, c: Case, price: Decimal): AccountRisk {
  const indexPrices = c.contractType === 'INVERSE' ? { BTC: price } : undefined;
  return evaluateAccountWithPrices(snap, { markPrices: { M: price }, ...(indexPrices ? { indexPrices } : {}) }, { liquidationPrices: 'SKIP' });
}

function liquidatable(r: AccountRisk, mode: 'ISOLATED' | 'CROSS'): boolean {
  if (mode === 'CROSS') return r.marginEquity.lt(r.maintenanceMargin);
  const p = r.positionsById['p']!;
  return p.isolatedEquity!.lt(p.maintenanceMargin);
}

/** margin equity − MM in the settlement asset. */
function gap(r: AccountRisk, mode: 'ISOLATED' | 'CROSS'): Decimal {
  const p = r.positionsById['p']!;
  if (mode === 'ISOLATED') return p.isolatedEquity!.sub(p.maintenanceMargin);
  return r.marginEquity.sub(r.maintenanceMargin).div(p.settlementPrice);
}

/** Value of one tick of the position in the settlement asset near price P, with a margin for MM's slope. */
function tickValue(c: Case, p: Decimal): Decimal {
  const slack = d('1e-7');
  if (c.contractType === 'LINEAR') return c.size.mul(c.tick).mul(2).add(slack);
  const lo = p.sub(c.tick);
  return c.size.mul(100).mul(c.tick).div(lo.mul(lo)).mul(2).add(slack);
}

describe('properties', () => {
  for (const mode of ['ISOLATED', 'CROSS'] as const) {
    test(`${mode}: at the liquidation price equity ≈ MM; liquidatable one tick beyond, not one tick before`, () => {
      fc.assert(
        fc.property(caseArb, (c) => {
          const snap = build(c, mode);
          const lp = evaluateAccount(snap).positionsById['p']!.liquidationPrice;
          if (lp === null) return true;
          fc.pre(lp.gt(c.tick.mul(3)));
          const beyond = c.long ? lp.sub(c.tick) : lp.add(c.tick);
          const before = c.long ? lp.add(c.tick) : lp.sub(c.tick);
          const rAt = at(snap, c, lp);
          expect(liquidatable(rAt, mode)).toBe(false);
          expect(liquidatable(at(snap, c, beyond), mode)).toBe(true);
          expect(liquidatable(at(snap, c, before), mode)).toBe(false);
          const g = gap(rAt, mode);
          expect(g.gte(0)).toBe(true);
          expect(g.lte(tickValue(c, lp))).toBe(true);
          return true;
        }),
        RUNS,
      );
    });
  }

  test('isolated and cross agree for a single position with the same margin', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const iso = evaluateAccount(build(c, 'ISOLATED'));
        const cross = evaluateAccount(build(c, 'CROSS'));
        const pi = iso.positionsById['p']!;
        const pc = cross.positionsById['p']!;
        const same = (a: Decimal | null, b: Decimal | null) => (a === null ? b === null : b !== null && a.eq(b));
        expect(same(pi.liquidationPrice, pc.liquidationPrice)).toBe(true);
        expect(same(pi.bankruptcyPrice, pc.bankruptcyPrice)).toBe(true);
        expect(pi.isolatedStatus).toBe(cross.status);
        return true;
      }),
      RUNS,
    );
  });

  test('bankruptcy price lies beyond (or at) the liquidation price', () => {
    fc.assert(
      fc.property(caseArb, fc.constantFrom('ISOLATED' as const, 'CROSS' as const), (c, mode) => {
        const p = evaluateAccount(build(c, mode)).positionsById['p']!;
        if (p.liquidationPrice === null || p.bankruptcyPrice === null) return true;
        expect(c.long ? p.bankruptcyPrice.lte(p.liquidationPrice) : p.bankruptcyPrice.gte(p.liquidationPrice)).toBe(true);
        return true;
      }),
      RUNS,
    );
  });

  const positionArb = fc.record({
    market: fc.constantFrom('BTCUSDT', 'ETHUSDT', 'BTCUSD'),
    size: decimalIn(-20, 20, 3),
    entryMove: decimalIn(0.8, 1.2, 3),
    isolated: fc.boolean(),
    margin: decimalIn(0, 5000, 2),
    leverage: fc.option(fc.integer({ min: 1, max: 100 }), { nil: null }),
  });
  const MARKS: Record<string, number> = { BTCUSDT: 30000, ETHUSDT: 2000, BTCUSD: 30000 };
  const markets = [
    F.market('BTCUSDT', {
      base: 'BTC',
      tiers: F.BINANCE_BTC_TIERS,
      volatilityAdjustment: { zScore: d('2.326'), horizonDays: d(1), dailyVolatility: d('0.03') },
      openInterestScaling: { lowerCap: d(1e6), upperCap: d(5e6), openInterest: d(100), rateStep: null },
    }),
    F.market('ETHUSDT', {
      base: 'ETH',
      tiers: F.BINANCE_ETH_TIERS,
      liquidityAddon: { lambda: d('0.05'), bookDepth: d(2e6) },
    }),
    F.market('BTCUSD', {
      base: 'BTC',
      quote: 'USD',
      contractType: 'INVERSE',
      contractSize: 100,
      tiers: [
        { floor: 0, imr: '0.01', mmr: '0.005' },
        { floor: 5, imr: '0.02', mmr: '0.01' },
      ],
    }),
  ];
  // Random size add-on (on BTCUSDT and BTCUSD) and closing fee (on every market), per account.
  const ruleMarkets = (sizeK: Decimal | null, fee: Decimal) =>
    markets.map((m) => {
      const sized = m.symbol !== 'ETHUSDT' && sizeK !== null;
      return {
        ...m,
        closingFeeRate: fee,
        ...(sized ? { sizeAddon: { initialRatePerContract: sizeK.mul(2), maintenanceRatePerContract: sizeK } } : {}),
      };
    });
  const accountArb = fc.record({
    sizeK: fc.option(decimalIn(0, 0.001, 6), { nil: null, freq: 2 }),
    fee: fc.oneof(fc.constant(d(0)), decimalIn(0, 0.005, 4)),
    positions: fc.uniqueArray(positionArb, { minLength: 1, maxLength: 6, selector: (p) => `${p.market}${p.isolated}` }),
    usdt: decimalIn(-5000, 50000, 2),
    btc: decimalIn(-1, 3, 4),
    eth: decimalIn(-10, 30, 3),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const buildAccount = (a: any): AccountSnapshot =>
    F.snapshot({
      balances: { USDT: a.usdt, BTC: a.btc, ETH: a.eth },
      positions: a.positions.map((p: any, i: number) =>
        F.position(`pos-${i}`, p.market, p.size, d(MARKS[p.market]!).mul(p.entryMove).toDecimalPlaces(2), {
          marginType: p.isolated ? 'ISOLATED' : 'CROSS',
          isolatedMargin: p.isolated ? (p.market === 'BTCUSD' ? p.margin.div(30000) : p.margin) : 0,
          leverage: p.leverage,
        }),
      ),
      markets: ruleMarkets(a.sizeK, a.fee),
      assets: [
        F.asset('USDT', 6, { initLiab: '1.1', maintLiab: '1.05' }),
        F.asset('BTC', 8, { init: '0.9', maint: '0.95', initLiab: '1.2', maintLiab: '1.1' }),
        F.asset('ETH', 8, { init: '0.85', maint: '0.9', initLiab: '1.25', maintLiab: '1.15' }),
        F.asset('USD', 2),
      ],
      marks: MARKS,
      indexes: { BTC: 30010, ETH: 1999, USDT: '0.9998' },
      valuationAsset: 'USD',
    });

  /** The account re-evaluated with every mark on underlying u and u's index multiplied by s. */
  const movedBy = (snap: AccountSnapshot, u: string, s: Decimal): AccountRisk => {
    const markPrices: Record<string, Decimal> = {};
    for (const m of markets) if (m.baseAsset === u) markPrices[m.symbol] = d(MARKS[m.symbol]!).mul(s);
    const idx = snap.indexPrices[u];
    const indexPrices = idx === undefined ? {} : { [u]: idx.price.mul(s) };
    return evaluateAccountWithPrices(snap, { markPrices, indexPrices }, { liquidationPrices: 'SKIP' });
  };

  test('cross boundaries of a mixed book: not liquidatable at the boundary, liquidatable one tick into the liquidatable side', () => {
    let checked = 0;
    fc.assert(
      fc.property(accountArb, (a) => {
        const snap = buildAccount(a);
        const r = evaluateAccount(snap);
        for (const ul of r.liquidationPrices) {
          for (const b of [ul.below, ul.above]) {
            if (b === null) continue;
            const ref = ul.referenceMarket;
            const price0 = ref === null ? snap.indexPrices[ul.underlying]!.price : d(MARKS[ref]!);
            const tick = ref === null ? d('1e-8') : markets.find((m) => m.symbol === ref)!.tickSize;
            const refPrice = price0.mul(b.ratio);
            const into = b.liquidatableSide === 'BELOW' ? tick.neg() : tick;
            if (refPrice.add(into).lte(0)) continue;
            const onBoundary = movedBy(snap, ul.underlying, b.ratio);
            expect(onBoundary.marginEquity.gte(onBoundary.maintenanceMargin)).toBe(true);
            const beyond = movedBy(snap, ul.underlying, refPrice.add(into).div(price0));
            expect(beyond.marginEquity.lt(beyond.maintenanceMargin)).toBe(true);
            checked++;
          }
        }
        return true;
      }),
      { ...RUNS, numRuns: 150 },
    );
    expect(checked).toBeGreaterThan(50);
  });

  test('every liquidation and bankruptcy price holds at the price and fails one tick further on its own market’s tick', () => {
    // Three markets on BTC with different ticks and marks (the reference grid is the largest notional's).
    const TICK_MARKS: Record<string, number> = { BTCUSDT: 30000, BTCUSD: 30012.5, BTCFUT: 30153, ETHUSDT: 2000 };
    const tickMarkets = [
      { ...markets[0]!, tickSize: d('0.1') },
      { ...markets[1]!, tickSize: d('0.01') },
      { ...markets[2]!, tickSize: d('0.5') },
      F.market('BTCFUT', { base: 'BTC', tiers: F.BINANCE_BTC_TIERS, tick: '1' }),
    ];
    const tickBook = fc.record({
      positions: fc.uniqueArray(
        fc.record({
          market: fc.constantFrom('BTCUSDT', 'BTCUSD', 'BTCFUT', 'ETHUSDT'),
          size: decimalIn(-20, 20, 3),
          entryMove: decimalIn(0.8, 1.2, 3),
          isolated: fc.integer({ min: 0, max: 3 }).map((i) => i === 0),
          margin: decimalIn(0, 5000, 2),
        }),
        { minLength: 2, maxLength: 6, selector: (p) => `${p.market}${p.isolated}` },
      ),
      usdt: decimalIn(-5000, 50000, 2),
      btc: decimalIn(-1, 3, 4),
    });
    const build = (a: any): AccountSnapshot =>
      F.snapshot({
        balances: { USDT: a.usdt, BTC: a.btc },
        positions: a.positions.map((p: any, i: number) =>
          F.position(`pos-${i}`, p.market, p.size, d(TICK_MARKS[p.market]!).mul(p.entryMove).toDecimalPlaces(2), {
            marginType: p.isolated ? 'ISOLATED' : 'CROSS',
            isolatedMargin: p.isolated ? (p.market === 'BTCUSD' ? p.margin.div(30000) : p.margin) : 0,
          }),
        ),
        markets: tickMarkets,
        assets: [
          F.asset('USDT', 6, { initLiab: '1.1', maintLiab: '1.05' }),
          F.asset('BTC', 8, { init: '0.9', maint: '0.95', initLiab: '1.2', maintLiab: '1.1' }),
          F.asset('ETH', 8),
          F.asset('USD', 2),
        ],
        marks: TICK_MARKS,
        indexes: { BTC: 30010, ETH: 1999, USDT: '0.9998' },
        valuationAsset: 'USD',
      });
    /** Every mark on u and u's index × (price / the market's mark): the cross boundary's own move. */
    const crossAt = (snap: AccountSnapshot, u: string, market: string, price: Decimal): AccountRisk => {
      const s = price.div(TICK_MARKS[market]!);
      const markPrices: Record<string, Decimal> = {};
      for (const m of tickMarkets) if (m.baseAsset === u) markPrices[m.symbol] = d(TICK_MARKS[m.symbol]!).mul(s);
      return evaluateAccountWithPrices(snap, { markPrices, indexPrices: { [u]: d(30010).mul(s) } }, { liquidationPrices: 'SKIP' });
    };
    const isolatedAt = (snap: AccountSnapshot, market: string, price: Decimal): AccountRisk =>
      evaluateAccountWithPrices(snap, { markPrices: { [market]: price } }, { liquidationPrices: 'SKIP' });
    let cross = 0;
    let isolated = 0;
    fc.assert(
      fc.property(tickBook, (a) => {
        const snap = build(a);
        const r = evaluateAccount(snap);
        for (const p of r.positions) {
          const tick = tickMarkets.find((m) => m.symbol === p.market)!.tickSize;
          if (p.marginType === 'ISOLATED') {
            const liqOf = (x: AccountRisk) => x.positionsById[p.positionId]!;
            for (const [price, holds] of [
              [p.liquidationPrice, (x: AccountRisk) => liqOf(x).isolatedEquity!.gte(liqOf(x).maintenanceMargin)],
              [p.bankruptcyPrice, (x: AccountRisk) => liqOf(x).isolatedEquity!.gte(0)],
            ] as const) {
              if (price === null) continue;
              const into = p.size.isPos() ? tick.neg() : tick;
              if (price.add(into).lte(0)) continue;
              expect([p.market, 'at', holds(isolatedAt(snap, p.market, price))]).toEqual([p.market, 'at', true]);
              expect([p.market, 'beyond', holds(isolatedAt(snap, p.market, price.add(into)))]).toEqual([p.market, 'beyond', false]);
              isolated++;
            }
            continue;
          }
          const ul = r.liquidationPrices.find((u) => u.underlying === p.underlying)!;
          const liq = adverse(ul.exposure, ul.below, ul.above);
          const bank = adverse(ul.exposure, ul.bankruptcyBelow, ul.bankruptcyAbove);
          for (const [b, price, holds] of [
            [liq, p.liquidationPrice, (x: AccountRisk) => x.marginEquity.gte(x.maintenanceMargin)],
            [bank, p.bankruptcyPrice, (x: AccountRisk) => x.crossEquity.gte(0)],
          ] as const) {
            if (b === null || price === null) continue;
            const into = b.liquidatableSide === 'BELOW' ? tick.neg() : tick;
            if (price.add(into).lte(0)) continue;
            expect(price.div(tick).isInteger()).toBe(true);
            expect([p.market, 'at', holds(crossAt(snap, p.underlying, p.market, price))]).toEqual([p.market, 'at', true]);
            expect([p.market, 'beyond', holds(crossAt(snap, p.underlying, p.market, price.add(into)))]).toEqual([p.market, 'beyond', false]);
            cross++;
          }
        }
        return true;
      }),
      { ...RUNS, numRuns: 120 },
    );
    expect(cross).toBeGreaterThan(100);
    expect(isolated).toBeGreaterThan(10);
  });

  test("an underlying's exposure is the direction cross equity moves with it (central difference of re-evaluations)", () => {
    let checked = 0;
    fc.assert(
      fc.property(accountArb, (a) => {
        const snap = buildAccount(a);
        const r = evaluateAccount(snap);
        // Every position and balance of this book is linear in the ratio s (LINEAR marks; the INVERSE market settles
        // in its own base), so the central difference is the slope itself.
        const equityAt = (u: string, s: Decimal): Decimal => movedBy(snap, u, s).crossEquity;
        for (const ul of r.liquidationPrices) {
          const diff = equityAt(ul.underlying, d('1.000001')).sub(equityAt(ul.underlying, d('0.999999')));
          // Figures are rounded to the settlement asset's decimals: a difference this small says nothing.
          if (diff.abs().lt('0.001')) continue;
          expect([ul.underlying, ul.exposure]).toEqual([ul.underlying, diff.isPos() ? 'LONG' : 'SHORT']);
          checked++;
        }
        return true;
      }),
      { ...RUNS, numRuns: 150 },
    );
    expect(checked).toBeGreaterThan(100);
  });

  test('the FAST boundary search (doubles) reports exactly the prices of the PRECISE (Decimal) search', () => {
    let boundaries = 0;
    fc.assert(
      fc.property(accountArb, (a) => {
        const snap = buildAccount(a);
        const fast = evaluateAccount(snap, { boundarySearch: 'FAST' });
        const precise = evaluateAccount(snap, { boundarySearch: 'PRECISE' });
        expect(fast.liquidationPrices).toEqual(precise.liquidationPrices);
        for (const p of fast.positions as readonly PositionRisk[]) {
          const q = precise.positionsById[p.positionId]!;
          expect([p.positionId, p.liquidationPrice?.toString(), p.bankruptcyPrice?.toString()]).toEqual([
            q.positionId,
            q.liquidationPrice?.toString(),
            q.bankruptcyPrice?.toString(),
          ]);
        }
        for (const u of fast.liquidationPrices) for (const b of [u.below, u.above, u.bankruptcyBelow, u.bankruptcyAbove]) if (b) boundaries += 1;
        return true;
      }),
      { ...RUNS, numRuns: 150 },
    );
    expect(boundaries).toBeGreaterThan(150);
  });

  test('IM ≥ MM ≥ 0 for every position', () => {
    fc.assert(
      fc.property(accountArb, (a) => {
        const r = evaluateAccount(buildAccount(a), { liquidationPrices: 'SKIP' });
        for (const p of r.positions as readonly PositionRisk[]) {
          expect(p.maintenanceMargin.gte(0)).toBe(true);
          expect(p.initialMargin.gte(p.maintenanceMargin)).toBe(true);
        }
        expect(r.initialMargin.gte(r.maintenanceMargin)).toBe(true);
        return true;
      }),
      RUNS,
    );
  });

  test('results do not depend on the order of positions or balances', () => {
    fc.assert(
      fc.property(accountArb, fc.integer({ min: 0, max: 1000 }), (a, seed) => {
        const snap = buildAccount(a);
        const rotate = <T>(xs: readonly T[]): T[] => {
          const k = xs.length === 0 ? 0 : seed % xs.length;
          return [...xs.slice(k), ...xs.slice(0, k)].reverse();
        };
        const shuffled: AccountSnapshot = { ...snap, positions: rotate(snap.positions), balances: rotate(snap.balances) };
        expect(JSON.stringify(evaluateAccount(shuffled))).toBe(JSON.stringify(evaluateAccount(snap)));
        return true;
      }),
      { ...RUNS, numRuns: 100 },
    );
  });
});
