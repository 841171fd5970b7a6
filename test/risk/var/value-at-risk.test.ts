import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import type Decimal from 'decimal.js';
import { D } from '../../../src/risk/options/decimal-math';
import {
  applyReturns,
  empiricalVarEs,
  historicalVar,
  logReturnCovariance,
  overlappingReturns,
  parametricVar,
  parametricVarFromSigma,
  portfolioSigma,
  realizedDailyVolatility,
} from '../../../src/risk/var/value-at-risk';

const refs: Array<{ id: string; inputs: any; expected: any; tolerance: { abs: number } }> = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../../fixtures/reference-examples.json'), 'utf8'),
);

describe('golden: var-10day-sqrt-time', () => {
  const r = refs.find((x) => x.id === 'var-10day-sqrt-time')!;
  it('via sigma directly (quoted z and exact z)', () => {
    const res = parametricVarFromSigma({ sigmaDaily: r.inputs.sigma_daily, horizonDays: r.inputs.days, confidence: '0.95', zScore: r.inputs.z });
    expect(Math.abs(res.sigmaHorizon.toNumber() - r.expected.sigma_10d)).toBeLessThanOrEqual(5e-6);
    expect(Math.abs(res.var.toNumber() - r.expected.var_pct)).toBeLessThanOrEqual(r.tolerance.abs);
    const exact = parametricVarFromSigma({ sigmaDaily: r.inputs.sigma_daily, horizonDays: r.inputs.days, confidence: '0.95' });
    expect(Math.abs(exact.var.toNumber() - r.expected.var_pct)).toBeLessThanOrEqual(r.tolerance.abs);
  });
  it('via a single asset exposure of 1 and a constructed covariance σ² = 0.0004', () => {
    const sigma = portfolioSigma({ X: new D(1) }, { assets: ['X'], matrix: [[new D(r.inputs.sigma_daily).pow(2)]] });
    expect(sigma.toNumber()).toBeCloseTo(0.02, 30);
    const res = parametricVarFromSigma({ sigmaDaily: sigma, horizonDays: r.inputs.days, confidence: '0.95' });
    expect(Math.abs(res.var.toNumber() - r.expected.var_pct)).toBeLessThanOrEqual(r.tolerance.abs);
  });
});

/** Deterministic pseudo-random price path (LCG) so tests do not depend on a clock or Math.random. */
function path_(n: number, seed: number, start: number, vol: number): Decimal[] {
  let s = seed >>> 0;
  const out: Decimal[] = [new D(start)];
  for (let i = 1; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    const u = s / 2 ** 32 - 0.5;
    out.push(out[i - 1].times(new D(1 + vol * 2 * u).toDecimalPlaces(12)));
  }
  return out;
}

describe('historical simulation', () => {
  const history = { BTC: path_(260, 7, 30000, 0.05), ETH: path_(260, 11, 2000, 0.06) };
  const current = { BTC: new D(31000), ETH: new D(2100) };
  // portfolio: long 2 BTC, short 10 ETH (linear)
  const revalue = (r: Record<string, Decimal>) => {
    const p = applyReturns(current, r);
    return p.BTC.times(2).minus(p.ETH.times(10));
  };

  it('overlapping windows: n − h scenarios with r = P[i+h]/P[i] − 1', () => {
    const rs = overlappingReturns(history, 10);
    expect(rs).toHaveLength(250);
    expect(rs[3].BTC.eq(history.BTC[13].div(history.BTC[3]).minus(1))).toBe(true);
  });

  it('VaR/ES by the documented quantile convention', () => {
    const res = historicalVar({ revalue, history, horizonDays: 1, confidence: '0.99' });
    expect(res.scenarios).toHaveLength(259);
    const losses = res.scenarios.map((s) => s.pnl.neg()).sort((a, b) => a.cmp(b));
    const k = Math.ceil(0.99 * 259); // 257
    expect(res.quantileRank).toBe(k);
    expect(res.var.eq(losses[k - 1])).toBe(true);
    expect(res.tailCount).toBe(259 - k + 1);
    const es = losses.slice(k - 1).reduce((a, x) => a.plus(x), new D(0)).div(259 - k + 1);
    expect(res.expectedShortfall.eq(es)).toBe(true);
    expect(res.varScenario.pnl.neg().eq(res.var)).toBe(true);
    expect(res.currentValue.eq(new D(62000 - 21000))).toBe(true);
  });

  it('small explicit example', () => {
    const r = empiricalVarEs([1, 5, 3, 2, 4, -1, 0, 7, 6, 10].map((x) => new D(x)), '0.8');
    // ascending: -1 0 1 2 3 4 5 6 7 10; k = 8 → VaR = 6; ES = (6+7+10)/3
    expect(r.var.toNumber()).toBe(6);
    expect(r.expectedShortfall.toNumber()).toBeCloseTo(23 / 3, 30);
  });

  it('property: VaR and ES non-decreasing in confidence, ES ≥ VaR', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: -1_000_000, max: 1_000_000 }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        fc.double({ min: 0.5, max: 0.999, noNaN: true }),
        (xs, a1, a2) => {
          const losses = xs.map((x) => new D(x).div(100));
          const [lo, hi] = a1 <= a2 ? [a1, a2] : [a2, a1];
          const r1 = empiricalVarEs(losses, lo.toFixed(6));
          const r2 = empiricalVarEs(losses, hi.toFixed(6));
          return r1.var.lte(r2.var) && r1.expectedShortfall.lte(r2.expectedShortfall) && r1.expectedShortfall.gte(r1.var) && r2.expectedShortfall.gte(r2.var);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('property: historical VaR/ES on a real revaluation are monotone in confidence', () => {
    const res = [0.9, 0.95, 0.975, 0.99].map((a) => historicalVar({ revalue, history, horizonDays: 5, confidence: a }));
    for (let i = 1; i < res.length; i++) {
      expect(res[i].var.gte(res[i - 1].var)).toBe(true);
      expect(res[i].expectedShortfall.gte(res[i - 1].expectedShortfall)).toBe(true);
    }
    for (const r of res) expect(r.expectedShortfall.gte(r.var)).toBe(true);
  });

  it('rejects bad input', () => {
    expect(() => historicalVar({ revalue, history, horizonDays: 0, confidence: '0.99' })).toThrow(RangeError);
    expect(() => historicalVar({ revalue, history, horizonDays: 1, confidence: 1 })).toThrow(RangeError);
    expect(() => historicalVar({ revalue, history: { A: [new D(1), new D(2)], B: [new D(1)] }, horizonDays: 1, confidence: '0.9' })).toThrow(RangeError);
    expect(() => historicalVar({ revalue, history: { A: [new D(1)] }, horizonDays: 1, confidence: '0.9' })).toThrow(RangeError);
  });
});

describe('parametric normal', () => {
  const history = { A: path_(200, 3, 100, 0.03), B: path_(200, 5, 50, 0.02) };

  it('covariance diagonal equals realized variance; single-asset VaR = z·σ·|w|·√h', () => {
    const cov = logReturnCovariance(history);
    expect(cov.assets).toEqual(['A', 'B']);
    const sA = realizedDailyVolatility(history.A);
    expect(cov.matrix[0][0].minus(sA.pow(2)).abs().toNumber()).toBeLessThan(1e-35);
    expect(cov.matrix[0][1].eq(cov.matrix[1][0])).toBe(true);
    const res = parametricVar({ exposures: { A: new D(-1000) }, history, horizonDays: 10, confidence: '0.99' });
    expect(res.var.minus(sA.times(1000).times(new D(10).sqrt()).times(res.z)).abs().toNumber()).toBeLessThan(1e-25);
    expect(res.z.minus('2.326347874040841100885606163346911723352').abs().toNumber()).toBeLessThan(1e-30);
  });

  it('ES = σ√h φ(z)/(1−α): 97.5% ES ≈ 2.338 σ; VaR and ES monotone in α, ES ≥ VaR', () => {
    const es = parametricVarFromSigma({ sigmaDaily: 1, horizonDays: 1, confidence: '0.975' }).expectedShortfall;
    expect(es.minus('2.33780279220141443995960438149').abs().toNumber()).toBeLessThan(1e-25); // mpmath
    let prev = parametricVarFromSigma({ sigmaDaily: 1, horizonDays: 1, confidence: '0.5' });
    for (const a of ['0.8', '0.9', '0.95', '0.99', '0.999']) {
      const cur = parametricVarFromSigma({ sigmaDaily: 1, horizonDays: 1, confidence: a });
      expect(cur.var.gt(prev.var)).toBe(true);
      expect(cur.expectedShortfall.gt(prev.expectedShortfall)).toBe(true);
      expect(cur.expectedShortfall.gt(cur.var)).toBe(true);
      prev = cur;
    }
  });

  it('diversification: two-asset σ ≤ sum of single-asset σ', () => {
    const cov = logReturnCovariance(history);
    const both = portfolioSigma({ A: new D(1000), B: new D(500) }, cov);
    const sum = portfolioSigma({ A: new D(1000) }, cov).plus(portfolioSigma({ B: new D(500) }, cov));
    expect(both.lte(sum)).toBe(true);
    expect(() => portfolioSigma({ C: new D(1) }, cov)).toThrow(RangeError);
  });

  it('realizedDailyVolatility: sample stdev of log returns', () => {
    const prices = [100, 102, 99, 101].map((x) => new D(x));
    const r = [Math.log(1.02), Math.log(99 / 102), Math.log(101 / 99)];
    const m = (r[0] + r[1] + r[2]) / 3;
    const sd = Math.sqrt(r.reduce((a, x) => a + (x - m) ** 2, 0) / 2);
    expect(realizedDailyVolatility(prices).toNumber()).toBeCloseTo(sd, 14);
    expect(realizedDailyVolatility([1, 1, 1].map((x) => new D(x))).isZero()).toBe(true);
    expect(() => realizedDailyVolatility([new D(1), new D(2)])).toThrow(RangeError);
  });
});
