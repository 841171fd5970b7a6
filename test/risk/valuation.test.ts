/**
 * The engine's option valuation (src/risk/valuation.ts): the FAST double-precision BSM used by searches and VaR
 * agrees with the precise one, with and without rates, and with r = q = 0 it is the former Black-76 on F = U.
 */
import fc from 'fast-check';
import { D } from '../../src/risk/decimal';
import { bsm } from '../../src/risk/options/black';
import { bsmFast, normCdfFast, optionValueAt, optionValueFast, type OptionTerms } from '../../src/risk/valuation';

const terms = (o: { type: 'CALL' | 'PUT'; strike: number; vol: number; t: number; r: number; q: number }): OptionTerms => ({
  type: o.type,
  strike: new D(o.strike),
  expiryMs: 0,
  volatility: new D(o.vol),
  timeYears: new D(o.t),
  rate: new D(o.r),
  dividendYield: new D(o.q),
  memo: new Map(),
});

describe('option valuation: FAST (double) vs PRECISE (Decimal) BSM', () => {
  const arb = fc.record({
    type: fc.constantFrom('CALL' as const, 'PUT' as const),
    strike: fc.integer({ min: 100, max: 200000 }),
    moneyness: fc.double({ min: 0.5, max: 2, noNaN: true }),
    vol: fc.double({ min: 0.05, max: 2, noNaN: true }),
    t: fc.double({ min: 0.003, max: 3, noNaN: true }),
    r: fc.double({ min: -0.02, max: 0.15, noNaN: true }),
    q: fc.double({ min: 0, max: 0.1, noNaN: true }),
  });

  it('agree to 1e-9 relative (of the strike) with rates', () => {
    fc.assert(
      fc.property(arb, (a) => {
        const o = terms(a);
        const u = new D(a.strike).mul(a.moneyness);
        const precise = optionValueAt(o, u).value;
        const fast = optionValueFast(o, u);
        expect(precise.eq(bsm({ type: a.type, spot: u, strike: a.strike, vol: a.vol, timeYears: a.t, rate: a.r, dividendYield: a.q }).price)).toBe(true);
        return fast.sub(precise).abs().lte(new D(a.strike).mul('1e-9'));
      }),
      { numRuns: 60 },
    );
  });

  it('r = q = 0: the rated formula is the undiscounted Black-76 on F = U, bit for bit', () => {
    const u = 61234.5, k = 60000, vol = 0.55, t = 0.08;
    const sd = vol * Math.sqrt(t);
    const d1 = (Math.log(u / k) + (sd * sd) / 2) / sd;
    // Same operations as the pre-rates formula, in the same order.
    const expected = u * normCdfFast(d1) - k * normCdfFast(d1 - sd);
    expect(bsmFast('CALL', u, k, vol, t)).toBe(expected);
    expect(bsmFast('CALL', u, k, vol, t, 0, 0)).toBe(expected);
    expect(bsmFast('CALL', u, k, vol, t, 0.05, 0.01)).not.toBe(expected);
  });

  it('degenerate cases: expired → intrinsic; σ = 0 → discounted forward intrinsic', () => {
    expect(bsmFast('PUT', 90, 100, 0.5, 0, 0.05, 0.02)).toBe(10);
    expect(bsmFast('CALL', 100, 95, 0, 0.5, 0.05, 0.01)).toBeCloseTo(100 * Math.exp(-0.005) - 95 * Math.exp(-0.025), 12);
  });

  it('rho is carried into the valuation (per unit, per 1.00 of r)', () => {
    const o = terms({ type: 'CALL', strike: 60000, vol: 0.5, t: 0.25, r: 0.05, q: 0.02 });
    const v = optionValueAt(o, new D(60000));
    const g = bsm({ type: 'CALL', spot: 60000, strike: 60000, vol: 0.5, timeYears: 0.25, rate: 0.05, dividendYield: 0.02 });
    expect(v.rho.eq(g.rho)).toBe(true);
  });
});
