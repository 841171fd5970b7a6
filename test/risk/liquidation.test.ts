import Decimal from 'decimal.js';
import { evaluateAccount, evaluateAccountWithPrices } from '../../src/risk';
import { NOT_FINITE, searchBoundary, searchBoundaryInDoubles, snapBoundary } from '../../src/risk/liquidation';
import * as F from './fixtures';

const d = (x: Decimal.Value) => new Decimal(x);

describe('snapBoundary', () => {
  const tick = d('0.01');
  test('long side: smallest non-liquidatable tick at or above the root', () => {
    const liq = (p: Decimal) => p.lt('100.005');
    expect(snapBoundary(d('100.005'), tick, 'BELOW', liq)!.toString()).toBe('100.01');
    // A rough estimate far from the root still lands on the same tick.
    expect(snapBoundary(d('93.2'), tick, 'BELOW', liq)!.toString()).toBe('100.01');
    expect(snapBoundary(d('140'), tick, 'BELOW', liq)!.toString()).toBe('100.01');
  });
  test('short side: largest non-liquidatable tick at or below the root; equality is not liquidatable', () => {
    const liq = (p: Decimal) => p.gt(250);
    expect(snapBoundary(d(250), tick, 'ABOVE', liq)!.toString()).toBe('250');
    expect(snapBoundary(d('251.7'), tick, 'ABOVE', liq)!.toString()).toBe('250');
  });
  test('no positive non-liquidatable price on a liquidatable-above side', () => {
    expect(snapBoundary(d('0.001'), tick, 'ABOVE', () => true)).toBeNull();
  });
});

describe('searchBoundary', () => {
  const linear = (s: Decimal) => s.mul(100).sub(60); // root 0.6
  test('linear: exact root below, none above', () => {
    expect(searchBoundary(linear, linear(d(1)), 'BELOW', [], 'PIECEWISE_LINEAR', d(100), d('0.01'))!.eq('0.6')).toBe(true);
    expect(searchBoundary(linear, linear(d(1)), 'ABOVE', [], 'PIECEWISE_LINEAR', d(100), d('0.01'))).toBeNull();
  });
  test('piecewise: kink at a breakpoint, and a jump across zero reports the breakpoint', () => {
    const kinked = (s: Decimal) => (s.gte('0.8') ? s.mul(100).sub(60) : s.mul(50).sub(20)); // 20 at 0.8, root 0.4
    // Segment lines come from interior points (thirds), so the root is exact to ~1e-48.
    expect(F.near(searchBoundary(kinked, kinked(d(1)), 'BELOW', [d('0.8')], 'PIECEWISE_LINEAR', d(100), d('0.01'))!, '0.4', '1e-40')).toBe(true);
    const jump = (s: Decimal) => (s.gte('0.8') ? s.mul(100).sub(60) : d(-5));
    expect(searchBoundary(jump, jump(d(1)), 'BELOW', [d('0.8')], 'PIECEWISE_LINEAR', d(100), d('0.01'))!.eq('0.8')).toBe(true);
  });
  test('nonlinear: bisection to a fraction of a tick', () => {
    const g = (s: Decimal) => s.mul(s).sub('0.49'); // root 0.7
    const s = searchBoundary(g, g(d(1)), 'BELOW', [], 'NONLINEAR', d(100), d('0.01'))!;
    expect(s.sub('0.7').abs().lt(d('0.0001'))).toBe(true);
  });
});

describe('searchBoundaryInDoubles (the FAST delta-one search)', () => {
  const g1 = (f: (s: number) => number) => d(f(1));
  test('the same roots as the Decimal search: linear, kinked, a jump at a breakpoint, nonlinear', () => {
    const linear = (s: number) => s * 100 - 60;
    expect(Number(searchBoundaryInDoubles(linear, g1(linear), 'BELOW', [], 'PIECEWISE_LINEAR', d(100), d('0.01')))).toBeCloseTo(0.6, 12);
    expect(searchBoundaryInDoubles(linear, g1(linear), 'ABOVE', [], 'PIECEWISE_LINEAR', d(100), d('0.01'))).toBeNull();
    const kinked = (s: number) => (s >= 0.8 ? s * 100 - 60 : s * 50 - 20);
    expect(Number(searchBoundaryInDoubles(kinked, g1(kinked), 'BELOW', [0.8], 'PIECEWISE_LINEAR', d(100), d('0.01')))).toBeCloseTo(0.4, 12);
    const jump = (s: number) => (s >= 0.8 ? s * 100 - 60 : -5);
    expect(Number(searchBoundaryInDoubles(jump, g1(jump), 'BELOW', [0.8], 'PIECEWISE_LINEAR', d(100), d('0.01')))).toBe(0.8);
    const quadratic = (s: number) => s * s - 0.49;
    const s = Number(searchBoundaryInDoubles(quadratic, g1(quadratic), 'BELOW', [], 'NONLINEAR', d(100), d('0.01')));
    expect(Math.abs(s - 0.7)).toBeLessThan(0.0001);
  });
  test('a breakpoint given twice (two positions reaching a tier floor at the same ratio) is one segment end', () => {
    // Currently on the liquidatable side (g(1) < 0), recovering at s = 3; kinks at 2 (given twice) and 0.5 (twice).
    const g = (s: number) => (s >= 2 ? s * 2 - 6 : s - 4);
    expect(Number(searchBoundaryInDoubles(g, g1(g), 'ABOVE', [0.5, 0.5, 2, 2], 'PIECEWISE_LINEAR', d(100), d('0.01')))).toBeCloseTo(3, 12);
    expect(searchBoundaryInDoubles(g, g1(g), 'BELOW', [0.5, 0.5, 2, 2], 'PIECEWISE_LINEAR', d(100), d('0.01'))).toBeNull();
    const gd = (s: Decimal) => (s.gte(2) ? s.mul(2).sub(6) : s.sub(4));
    expect(searchBoundary(gd, gd(d(1)), 'ABOVE', [d(2), d('0.5'), d(2), d('0.5')], 'PIECEWISE_LINEAR', d(100), d('0.01'))!.eq(3)).toBe(true);
  });
  test('gives up (NOT_FINITE) when g overflows on the way, so the caller searches in Decimal', () => {
    const overflowing = (s: number) => (s > 1.4 ? Infinity : 10);
    expect(searchBoundaryInDoubles(overflowing, d(10), 'ABOVE', [], 'PIECEWISE_LINEAR', d(100), d('0.01'))).toBe(NOT_FINITE);
  });
});

describe('isolated linear closed form with tier re-check', () => {
  test('the liquidation price moves to the tier of its own notional', () => {
    // Short 10 at 100 (N = 1000, tier 0); liquidation near 150 puts N = 1500 in tier 1 (mmr 10%, cum 45).
    const snap = F.snapshot({
      positions: [F.position('p', 'X', -10, 100, { marginType: 'ISOLATED', isolatedMargin: 600 })],
      markets: [
        F.market('X', {
          base: 'X',
          tiers: [
            { floor: 0, imr: '0.02', mmr: '0.01' },
            { floor: 500, imr: '0.1', mmr: '0.05' },
            { floor: 1200, imr: '0.2', mmr: '0.1' },
          ],
        }),
      ],
      assets: [F.asset('USDT', 8)],
      marks: { X: 100 },
    });
    const r = evaluateAccount(snap).positionsById['p']!;
    expect(r.tier.index).toBe(1);
    // Tier 2 (cum = 500·0.04 + 1200·0.05 = 80): 600 − 10·(P − 100) = 10·P·0.1 − 80 ⇒ P = 1680/11 = 152.7272…
    expect(r.liquidationPrice!.toString()).toBe('152.72');
    const at = evaluateAccountWithPrices(snap, { markPrices: { X: r.liquidationPrice! } }).positionsById['p']!;
    expect(at.tier.index).toBe(2);
    expect(at.isolatedStatus).not.toBe('LIQUIDATABLE');
    // Bankruptcy: 600 − 10·(P − 100) = 0 ⇒ 160.
    expect(r.bankruptcyPrice!.toString()).toBe('160');
  });
});

describe('cross boundary snapping with the bounded double model (FAST search)', () => {
  // Long 1 BTC-PERP (tick 0.5) and 0.1 BTC-FUT (tick 1), both from 40,000 at 40,000, mmr 5%, USDT collateral c (6
  // decimals, weight 1): g(P) = c + 1.1·(P − 40,000) − 0.05·1.1·P, zero at P = 30,000 when c = 12,650.
  const book = (collateral: Decimal.Value) =>
    F.snapshot({
      positions: [F.position('perp', 'BTC-PERP', 1, 40_000), F.position('fut', 'BTC-FUT', '0.1', 40_000)],
      markets: [F.market('BTC-PERP', { base: 'BTC', tick: '0.5' }), F.market('BTC-FUT', { base: 'BTC', tick: 1 })],
      assets: [F.asset('USDT', 6)],
      marks: { 'BTC-PERP': 40_000, 'BTC-FUT': 40_000 },
      balances: { USDT: collateral },
    });
  const prices = (collateral: Decimal.Value, search: 'FAST' | 'PRECISE') => {
    const r = evaluateAccount(book(collateral), { boundarySearch: search });
    return [r.positionsById['perp']!.liquidationPrice?.toString(), r.positionsById['fut']!.liquidationPrice?.toString()];
  };

  test.each([
    // g = 0 exactly at 30,000 (not liquidatable there): inside any double bound, so the exact check decides.
    ['12650', ['30000', '30000']],
    // One unit of the last decimal either side: still inside the bound (MM's round-up slack), decided exactly.
    ['12650.000001', ['30000', '30000']],
    ['12649.999999', ['30000.5', '30001']],
    // A cent either side: outside the bound, decided by the double model; the same prices.
    ['12650.01', ['30000', '30000']],
    ['12649.99', ['30000.5', '30001']],
  ])('collateral %s: liquidation prices %j, the same with the exact search', (collateral, want) => {
    expect(prices(collateral, 'FAST')).toEqual(want);
    expect(prices(collateral, 'PRECISE')).toEqual(want);
  });

  // MM's round-up: long 1.000000001 BTC-PERP from 40,000, mmr 5%, USDT (6 decimals). At 30,000 the engine's MM is
  // ⌈1500.0000015⌉ = 1500.000002, so g = c − 11,500.000012 there, while the unrounded double model has
  // c − 11,500.0000115: with c = 11,500.0000118 the engine is liquidatable at 30,000 (g = −2e−7) where the doubles say
  // it is not (+3e−7). Only the bound's round-up allowance sends that check to the exact g.
  const roundUpBook = (collateral: Decimal.Value) =>
    F.snapshot({
      positions: [F.position('perp', 'BTC-PERP', '1.000000001', 40_000)],
      markets: [F.market('BTC-PERP', { base: 'BTC', tick: '0.5' })],
      assets: [F.asset('USDT', 6)],
      marks: { 'BTC-PERP': 40_000 },
      balances: { USDT: collateral },
    });
  test.each([
    ['11500.0000118', '30000.5'],
    ['11500.000012', '30000'],
  ])('collateral %s against MM rounded up to the settlement decimals: liquidation price %s', (collateral, want) => {
    for (const search of ['FAST', 'PRECISE'] as const) {
      expect(evaluateAccount(roundUpBook(collateral), { boundarySearch: search }).positionsById['perp']!.liquidationPrice?.toString()).toBe(want);
    }
  });
});
