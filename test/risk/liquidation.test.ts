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
