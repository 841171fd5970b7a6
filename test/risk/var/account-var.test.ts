/** Account VaR (issue 5): full revaluation of the current portfolio, options included, and the delta-normal method. */
import Decimal from 'decimal.js';
import fc from 'fast-check';
import { accountValueAtRisk, alignHistory, type AlignedHistory } from '../../../src/risk/var/account-var';
import * as F from '../fixtures';
import { D } from '../../../src/risk';
import { bsm } from '../../../src/risk/options/black';

const DAY = 86_400_000;
/** A deterministic BTC random walk (oldest first). */
function walk(n: number, seed: number): Decimal[] {
  let x = seed;
  const out: Decimal[] = [];
  let p = new Decimal(60000);
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) % 2147483648;
    const r = (x / 2147483648 - 0.5) * 0.08;
    p = p.mul(1 + r).toDecimalPlaces(2);
    out.push(p);
  }
  return out;
}
const HISTORY: AlignedHistory = { datesMs: walk(250, 1).map((_, i) => i * DAY), prices: { BTC: walk(250, 1) } };
const CALL = F.optionMarket('BTC-C', { base: 'BTC', type: 'CALL', strike: 60000, vol: '0.5', expiryMs: F.NOW + 30 * DAY });
const snap = F.snapshot({
  balances: { USDT: 50000 },
  positions: [F.position('f', 'BTCUSDT', '0.5', 60000), F.position('c', 'BTC-C', -1, 3000)],
  markets: [F.market('BTCUSDT', { base: 'BTC', tick: '0.1' }), CALL],
  assets: [F.asset('USDT', 6), F.asset('BTC', 8)],
  marks: { BTCUSDT: 60000, 'BTC-C': 3000 },
  indexes: { BTC: 60000 },
});

describe('account value at risk', () => {
  test('historical: full revaluation over overlapping windows; ES ≥ VaR; worst window dated', () => {
    const r = accountValueAtRisk(snap, HISTORY, { confidence: '0.99', horizonDays: 1, method: 'HISTORICAL' });
    expect(r.observations).toBe(249);
    expect(r.assets).toEqual(['BTC']);
    expect(r.expectedShortfall.gte(r.var)).toBe(true);
    expect(r.var.gt(0)).toBe(true);
    expect(r.worstScenarioDateMs).not.toBeNull();
  });

  test('parametric: exposure = ∂V/∂ln P ≈ perp 0.5·60,000 − call delta·60,000', () => {
    const r = accountValueAtRisk(snap, HISTORY, { confidence: '0.99', horizonDays: 10, method: 'PARAMETRIC' });
    const delta = bsm({ type: 'CALL', spot: 60000, strike: 60000, vol: '0.5', timeYears: new D(30).div(365) }).delta;
    const expected = new D('0.5').sub(delta).mul(60000);
    expect(r.exposures['BTC']!.sub(expected).abs().lt('0.01')).toBe(true);
    expect(r.expectedShortfall.gt(r.var)).toBe(true);
    expect(r.worstScenarioDateMs).toBeNull();
  });

  test('property: VaR and ES are monotone in the confidence (both methods)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 510, max: 998 }),
        fc.integer({ min: 510, max: 998 }),
        fc.constantFrom<'HISTORICAL' | 'PARAMETRIC'>('HISTORICAL', 'PARAMETRIC'),
        fc.integer({ min: 1, max: 5 }),
        (a, b, method, h) => {
          const [lo, hi] = a <= b ? [a, b] : [b, a];
          const x = accountValueAtRisk(snap, HISTORY, { confidence: new Decimal(lo).div(1000), horizonDays: h, method });
          const y = accountValueAtRisk(snap, HISTORY, { confidence: new Decimal(hi).div(1000), horizonDays: h, method });
          return x.var.lte(y.var) && x.expectedShortfall.lte(y.expectedShortfall);
        },
      ),
      { numRuns: 10, seed: 3 },
    );
  });

  test('alignHistory keeps the common UTC days, oldest first', () => {
    const at = (day: number) => new Date(day * DAY + 3_600_000);
    const h = alignHistory(
      new Map([
        ['A', [{ price: new Decimal(1), observedAt: at(1) }, { price: new Decimal(2), observedAt: at(2) }, { price: new Decimal(3), observedAt: at(3) }]],
        ['B', [{ price: new Decimal(20), observedAt: at(2) }, { price: new Decimal(30), observedAt: at(3) }]],
      ]),
      ['A', 'B'],
    );
    expect(h.datesMs).toEqual([2 * DAY, 3 * DAY]);
    expect(h.prices['A']!.map(String)).toEqual(['2', '3']);
  });
});
