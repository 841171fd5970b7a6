import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { D } from '../../../src/risk/options/decimal-math';
import { bsm, black76, forwardPrice, valueOptionAt, yearFractionAct365, MS_PER_YEAR_ACT365 } from '../../../src/risk/options/black';

interface Ref { id: string; inputs: any; expected: any; tolerance: { abs: number } }
const refs: Ref[] = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../fixtures/reference-examples.json'), 'utf8'));
const ref = (id: string): Ref => {
  const r = refs.find((x) => x.id === id);
  if (!r) throw new Error(`missing reference ${id}`);
  return r;
};
const typeOf = (t: string) => (t === 'c' ? 'CALL' : 'PUT') as 'CALL' | 'PUT';
const toInput = (c: any) => ({ type: typeOf(c.type), spot: c.S, strike: c.K, vol: c.vol, timeYears: c.T, rate: c.r, dividendYield: c.q });

describe('golden: Haug generalized BSM (bsm-haug-*)', () => {
  const prices = ref('bsm-haug-prices');
  prices.inputs.cases.forEach((c: any, i: number) => {
    it(`price case ${i + 1}: ${c.type} K=${c.K} S=${c.S} q=${c.q} r=${c.r} T=${c.T} vol=${c.vol}`, () => {
      const g = bsm(toInput(c));
      expect(Math.abs(g.price.toNumber() - prices.expected.prices[i])).toBeLessThanOrEqual(Math.max(prices.tolerance.abs, 1e-4));
    });
  });
  for (const [id, greek] of [['bsm-haug-delta-call', 'delta'], ['bsm-haug-gamma-call', 'gamma'], ['bsm-haug-vega-call', 'vega']] as const) {
    it(`${id}`, () => {
      const r = ref(id);
      const g = bsm(toInput(r.inputs));
      expect(Math.abs(g[greek].toNumber() - r.expected[greek])).toBeLessThanOrEqual(1e-4);
    });
  }
});

describe('black76 and spot model consistency', () => {
  it('Black-76 on F = S e^{(r-q)T} equals BSM on spot (price, and delta scaled by dF/dS)', () => {
    const S = new D(100), K = new D(95), r = new D('0.05'), q = new D('0.02'), T = new D('0.7'), vol = new D('0.3');
    const F = forwardPrice(S, T, r, q);
    for (const type of ['CALL', 'PUT'] as const) {
      const a = bsm({ type, spot: S, strike: K, vol, timeYears: T, rate: r, dividendYield: q });
      const b = black76({ type, forward: F, strike: K, vol, timeYears: T, rate: r });
      expect(a.price.minus(b.price).abs().toNumber()).toBeLessThan(1e-30);
      const dFdS = r.minus(q).times(T).exp();
      expect(a.delta.minus(b.delta.times(dFdS)).abs().toNumber()).toBeLessThan(1e-30);
    }
  });

  it('greeks match central finite differences', () => {
    const base = { type: 'PUT' as const, spot: new D(105), strike: new D(100), vol: new D('0.36'), timeYears: new D('0.5'), rate: new D('0.1'), dividendYield: new D('0.03') };
    const h = new D('1e-8');
    const g = bsm(base);
    const p = (o: Partial<typeof base>) => bsm({ ...base, ...o }).price;
    const dS = p({ spot: base.spot.plus(h) }).minus(p({ spot: base.spot.minus(h) })).div(h.times(2));
    const gS = p({ spot: base.spot.plus(h) }).minus(g.price.times(2)).plus(p({ spot: base.spot.minus(h) })).div(h.times(h));
    const dV = p({ vol: base.vol.plus(h) }).minus(p({ vol: base.vol.minus(h) })).div(h.times(2));
    const dT = p({ timeYears: base.timeYears.plus(h) }).minus(p({ timeYears: base.timeYears.minus(h) })).div(h.times(2));
    expect(g.delta.minus(dS).abs().toNumber()).toBeLessThan(1e-12);
    expect(g.gamma.minus(gS).abs().toNumber()).toBeLessThan(1e-6);
    expect(g.vega.minus(dV).abs().toNumber()).toBeLessThan(1e-12);
    expect(g.thetaPerYear.plus(dT).abs().toNumber()).toBeLessThan(1e-12);
    expect(g.thetaPerDay.times(365).minus(g.thetaPerYear).abs().toNumber()).toBeLessThan(1e-30);
  });
});

describe('time and degenerate cases', () => {
  it('ACT/365 year fraction', () => {
    expect(yearFractionAct365(0, MS_PER_YEAR_ACT365).toNumber()).toBe(1);
    expect(yearFractionAct365(0, 86_400_000 * 73).toString()).toBe('0.2');
    expect(yearFractionAct365(1000, 0).isNegative()).toBe(true);
  });

  it('expired options: intrinsic value, delta by moneyness, other greeks 0', () => {
    const now = 1_700_000_000_000;
    const c = valueOptionAt({ type: 'CALL', spot: 110, strike: 100, vol: '0.5', asOfMs: now, expiryMs: now - 1 });
    expect(c.price.toNumber()).toBe(10);
    expect(c.delta.toNumber()).toBe(1);
    expect([c.gamma, c.vega, c.thetaPerYear].every((x) => x.isZero())).toBe(true);
    const p = valueOptionAt({ type: 'PUT', spot: 110, strike: 100, vol: '0.5', asOfMs: now, expiryMs: now });
    expect(p.price.toNumber()).toBe(0);
    expect(p.delta.toNumber()).toBe(0);
    const p2 = bsm({ type: 'PUT', spot: 90, strike: 100, vol: '0.5', timeYears: 0 });
    expect(p2.price.toNumber()).toBe(10);
    expect(p2.delta.toNumber()).toBe(-1);
    const atm = bsm({ type: 'CALL', spot: 100, strike: 100, vol: '0.5', timeYears: -1 });
    expect(atm.delta.toNumber()).toBe(0);
  });

  it('zero vol: discounted intrinsic of the forward; small vol converges', () => {
    const args = { spot: 100, strike: 95, timeYears: '0.5', rate: '0.05', dividendYield: '0.01' };
    const c0 = bsm({ type: 'CALL', vol: 0, ...args });
    const expected = new D(100).times(new D('-0.005').exp()).minus(new D(95).times(new D('-0.025').exp()));
    expect(c0.price.minus(expected).abs().toNumber()).toBeLessThan(1e-30);
    expect(c0.gamma.isZero()).toBe(true);
    const cSmall = bsm({ type: 'CALL', vol: '1e-6', ...args });
    expect(cSmall.price.minus(c0.price).abs().toNumber()).toBeLessThan(1e-9);
    expect(cSmall.delta.minus(c0.delta).abs().toNumber()).toBeLessThan(1e-9);
    expect(cSmall.thetaPerYear.minus(c0.thetaPerYear).abs().toNumber()).toBeLessThan(1e-6);
    const p0 = bsm({ type: 'PUT', vol: 0, ...args });
    expect(p0.price.isZero()).toBe(true);
    expect(p0.delta.isZero()).toBe(true);
    // at the forward: N(d1) = 1/2 limit
    const atf = bsm({ type: 'CALL', spot: 100, strike: 100, vol: 0, timeYears: 1 });
    expect(atf.delta.toNumber()).toBe(0.5);
    expect(atf.price.isZero()).toBe(true);
  });

  it('spot 0: call worthless, put = K e^{-rT}', () => {
    const c = bsm({ type: 'CALL', spot: 0, strike: 50, vol: '0.4', timeYears: 1, rate: '0.05' });
    const p = bsm({ type: 'PUT', spot: 0, strike: 50, vol: '0.4', timeYears: 1, rate: '0.05' });
    expect(c.price.isZero()).toBe(true);
    expect(p.price.minus(new D(50).times(new D('-0.05').exp())).abs().toNumber()).toBeLessThan(1e-30);
  });

  it('rejects bad inputs', () => {
    expect(() => bsm({ type: 'CALL', spot: 100, strike: 0, vol: '0.2', timeYears: 1 })).toThrow(RangeError);
    expect(() => bsm({ type: 'CALL', spot: -1, strike: 10, vol: '0.2', timeYears: 1 })).toThrow(RangeError);
    expect(() => bsm({ type: 'CALL', spot: 100, strike: 10, vol: '-0.2', timeYears: 1 })).toThrow(RangeError);
  });
});

describe('properties', () => {
  const dec = (min: number, max: number) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true }).map((x) => new D(x.toPrecision(12)));
  const params = fc.record({
    spot: dec(1, 1000),
    moneyness: dec(0.5, 2),
    vol: dec(0.01, 2),
    timeYears: dec(0.003, 5),
    rate: dec(-0.02, 0.15),
    dividendYield: dec(0, 0.1),
  });

  it('put-call parity: C − P = e^{−rT}(F − K) within 1e-12 relative', () => {
    fc.assert(
      fc.property(params, ({ spot, moneyness, vol, timeYears, rate, dividendYield }) => {
        const strike = spot.times(moneyness);
        const c = bsm({ type: 'CALL', spot, strike, vol, timeYears, rate, dividendYield });
        const p = bsm({ type: 'PUT', spot, strike, vol, timeYears, rate, dividendYield });
        const F = forwardPrice(spot, timeYears, rate, dividendYield);
        const rhs = rate.neg().times(timeYears).exp().times(F.minus(strike));
        const scale = D.max(c.price.abs(), p.price.abs(), rhs.abs(), strike.times('1e-6'));
        return c.price.minus(p.price).minus(rhs).abs().div(scale).lte('1e-12');
      }),
      { numRuns: 150 },
    );
  });

  it('price is non-decreasing in vol (both types)', () => {
    fc.assert(
      fc.property(params, dec(0.0001, 0.5), fc.constantFrom('CALL' as const, 'PUT' as const), ({ spot, moneyness, vol, timeYears, rate, dividendYield }, bump, type) => {
        const strike = spot.times(moneyness);
        const lo = bsm({ type, spot, strike, vol, timeYears, rate, dividendYield });
        const hi = bsm({ type, spot, strike, vol: vol.plus(bump), timeYears, rate, dividendYield });
        // Deep in the money the two prices agree to the last of the 50 digits: allow that rounding.
        return hi.price.gte(lo.price.minus('1e-45')) && lo.vega.gte(0);
      }),
      { numRuns: 100 },
    );
  });

  it('call delta in [0, 1], put delta in [−1, 0], gamma ≥ 0', () => {
    fc.assert(
      fc.property(params, ({ spot, moneyness, vol, timeYears, rate, dividendYield }) => {
        const strike = spot.times(moneyness);
        const c = bsm({ type: 'CALL', spot, strike, vol, timeYears, rate, dividendYield });
        const p = bsm({ type: 'PUT', spot, strike, vol, timeYears, rate, dividendYield });
        return c.delta.gte(0) && c.delta.lte(1) && p.delta.gte(-1) && p.delta.lte(0) && c.gamma.gte(0) && c.gamma.eq(p.gamma);
      }),
      { numRuns: 100 },
    );
  });
});
