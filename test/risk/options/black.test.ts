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

interface HullExample { id: string; inputs: any; expected: Record<string, number>; tolerance: Record<string, number> }
const hull: HullExample[] = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../fixtures/bsm-examples.json'), 'utf8'));
const hullExample = (id: string): HullExample => {
  const e = hull.find((x) => x.id === id);
  if (!e) throw new Error(`missing example ${id}`);
  return e;
};
const hullYears = (i: any): InstanceType<typeof D> =>
  i.T !== undefined ? new D(String(i.T)) : i.T_months !== undefined ? new D(i.T_months).div(12) : new D(i.T_weeks).div(52);
const hullInput = (type: 'CALL' | 'PUT', i: any) => ({ type, spot: String(i.S), strike: String(i.K), vol: String(i.vol), timeYears: hullYears(i), rate: String(i.r), dividendYield: String(i.q) });
const tolOf = (e: HullExample, key: string): number => e.tolerance[key] ?? e.tolerance.abs!;

describe('golden: Hull BSM examples (test/fixtures/bsm-examples.json)', () => {
  it('Example 15.6: S=42, K=40, r=0.10, σ=0.20, T=0.5 → call 4.76, put 0.81', () => {
    const e = hullExample('hull-bsm-non-dividend');
    expect(Math.abs(bsm(hullInput('CALL', e.inputs)).price.toNumber() - e.expected.call!)).toBeLessThanOrEqual(tolOf(e, 'call'));
    expect(Math.abs(bsm(hullInput('PUT', e.inputs)).price.toNumber() - e.expected.put!)).toBeLessThanOrEqual(tolOf(e, 'put'));
  });

  it('Example 17.1: index call with dividend yield q = 3% → 51.83', () => {
    const e = hullExample('hull-bsm-index-dividend-yield');
    expect(Math.abs(bsm(hullInput('CALL', e.inputs)).price.toNumber() - e.expected.call!)).toBeLessThanOrEqual(tolOf(e, 'call'));
  });

  it('ch. 19 greeks of the 20-week call: delta, gamma, vega, theta (year and day), rho', () => {
    const e = hullExample('hull-greeks-20-week-call');
    const g = bsm(hullInput('CALL', e.inputs));
    const got: Record<string, number> = {
      call: g.price.toNumber(),
      delta: g.delta.toNumber(),
      gamma: g.gamma.toNumber(),
      vega: g.vega.toNumber(),
      thetaPerYear: g.thetaPerYear.toNumber(),
      thetaPerDay: g.thetaPerDay.toNumber(),
      rho: g.rho.toNumber(),
    };
    for (const [k, want] of Object.entries(e.expected)) {
      if (Math.abs(got[k]! - want) > tolOf(e, k)) throw new Error(`${k}: expected ${want} ± ${tolOf(e, k)}, got ${got[k]}`);
    }
  });

  it('r = q = 0 is undiscounted Black-76 on F = S, rho of a call ≥ 0 and of a put ≤ 0', () => {
    const args = { spot: 100, strike: 110, vol: '0.6', timeYears: '0.25' };
    for (const type of ['CALL', 'PUT'] as const) {
      const a = bsm({ type, ...args });
      const b = black76({ type, forward: 100, strike: 110, vol: '0.6', timeYears: '0.25' });
      expect(a.price.eq(b.price) && a.delta.eq(b.delta) && a.gamma.eq(b.gamma) && a.vega.eq(b.vega) && a.thetaPerYear.eq(b.thetaPerYear)).toBe(true);
      expect(type === 'CALL' ? a.rho.gt(0) : a.rho.lt(0)).toBe(true);
    }
  });
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

describe('black76 rho: ∂V/∂r with F fixed = −T·V', () => {
  it('matches a central finite difference in r', () => {
    const base = { type: 'CALL' as const, forward: new D(105), strike: new D(100), vol: new D('0.36'), timeYears: new D('0.5'), rate: new D('0.07') };
    const h = new D('1e-10');
    const g = black76(base);
    const fd = black76({ ...base, rate: base.rate.plus(h) }).price.minus(black76({ ...base, rate: base.rate.minus(h) }).price).div(h.times(2));
    expect(g.rho.minus(fd).abs().toNumber()).toBeLessThan(1e-12);
    expect(g.rho.plus(g.price.times(base.timeYears)).abs().toNumber()).toBeLessThan(1e-40);
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

  it('every greek (delta, gamma, vega, theta, rho) matches a central finite difference of the price', () => {
    fc.assert(
      fc.property(params, fc.constantFrom('CALL' as const, 'PUT' as const), ({ spot, moneyness, vol, timeYears, rate, dividendYield }, type) => {
        const strike = spot.times(moneyness);
        const base = { type, spot, strike, vol, timeYears, rate, dividendYield };
        const g = bsm(base);
        const p = (o: Partial<typeof base>) => bsm({ ...base, ...o }).price;
        const h = new D('1e-12');
        const central = (key: 'spot' | 'vol' | 'timeYears' | 'rate', x: InstanceType<typeof D>, step: InstanceType<typeof D>) =>
          p({ [key]: x.plus(step) }).minus(p({ [key]: x.minus(step) })).div(step.times(2));
        const hS = spot.times('1e-6');
        const gammaFd = p({ spot: spot.plus(hS) }).minus(g.price.times(2)).plus(p({ spot: spot.minus(hS) })).div(hS.times(hS));
        const close = (a: InstanceType<typeof D>, b: InstanceType<typeof D>, rel: string, floor: string) =>
          a.minus(b).abs().lte(D.max(a.abs(), b.abs()).times(rel).plus(floor));
        return (
          close(g.delta, central('spot', spot, h.times(spot)), '1e-9', '1e-12') &&
          close(g.gamma, gammaFd, '1e-6', '1e-9') &&
          close(g.vega, central('vol', vol, h), '1e-9', '1e-9') &&
          close(g.thetaPerYear, central('timeYears', timeYears, h).neg(), '1e-9', '1e-9') &&
          close(g.rho, central('rate', rate, h), '1e-9', '1e-9')
        );
      }),
      { numRuns: 60 },
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
