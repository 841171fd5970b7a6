import fc from 'fast-check';
import type Decimal from 'decimal.js';
import { D } from '../../../src/risk/options/decimal-math';
import { bsm } from '../../../src/risk/options/black';
import { linearScanInstrument, optionScanInstrument, portfolioScan, ScanParams } from '../../../src/risk/options/portfolio-scan';

const params: ScanParams = {
  priceScanRange: new D('0.15'),
  volScanRange: new D('0.25'),
  extremeMoveMultiple: new D(2),
  extremeMoveCoverage: new D('0.35'),
  shortOptionMinimum: new D('0.01'),
  maintenanceFraction: new D('0.8'),
};

describe('portfolio scan', () => {
  it('builds the 16 standard scenarios', () => {
    const r = portfolioScan([linearScanInstrument({ quantity: new D(1) })], 100, params);
    expect(r.scenarios).toHaveLength(16);
    expect(r.scenarios.map((s) => s.price.toNumber())).toEqual([100, 100, 105, 105, 95, 95, 110, 110, 90, 90, 115, 115, 85, 85, 130, 70]);
    expect(r.scenarios.map((s) => s.volShift.toNumber())).toEqual([0.25, -0.25, 0.25, -0.25, 0.25, -0.25, 0.25, -0.25, 0.25, -0.25, 0.25, -0.25, 0.25, -0.25, 0, 0]);
    expect(r.scenarios.slice(14).map((s) => s.coverage.toNumber())).toEqual([0.35, 0.35]);
    expect(r.scenarios[14].pnl.toNumber()).toBeCloseTo(30 * 0.35, 20);
    // long 1 unit: worst is −3/3 range (−15), extreme down counts 0.35 × 30 = 10.5
    expect(r.worstScenario.index).toBe(13);
    expect(r.scanRisk.toNumber()).toBe(15);
    expect(r.initialMargin.toNumber()).toBe(15);
    expect(r.maintenanceMargin.toNumber()).toBe(12);
    expect(r.binding).toBe('SCAN_RISK');
  });

  it('short option: P&L matches direct revaluation; extreme move can dominate', () => {
    const opt = optionScanInstrument({ type: 'CALL', strike: 110, vol: '0.5', timeYears: '0.05', quantity: -10, contractSize: 1 });
    const r = portfolioScan([opt], 100, { ...params, extremeMoveMultiple: new D(3), extremeMoveCoverage: new D('0.35') });
    const v0 = bsm({ type: 'CALL', spot: 100, strike: 110, vol: '0.5', timeYears: '0.05' }).price;
    const up = bsm({ type: 'CALL', spot: 115, strike: 110, vol: '0.625', timeYears: '0.05' }).price;
    expect(r.scenarios[10].pnl.minus(up.minus(v0).times(-10)).abs().toNumber()).toBeLessThan(1e-30);
    const ext = bsm({ type: 'CALL', spot: 145, strike: 110, vol: '0.5', timeYears: '0.05' }).price;
    expect(r.scenarios[14].pnl.minus(ext.minus(v0).times(-10).times('0.35')).abs().toNumber()).toBeLessThan(1e-30);
    expect(r.worstScenario.pnl.lte(D.min(...r.scenarios.map((s) => s.pnl)))).toBe(true);
    expect(r.scanRisk.eq(r.worstScenario.pnl.neg())).toBe(true);
  });

  it('short option minimum floors a far-OTM short option', () => {
    const opt = optionScanInstrument({ type: 'PUT', strike: 20, vol: '0.2', timeYears: '0.01', quantity: -4, contractSize: 100 });
    const r = portfolioScan([opt], 100, params);
    expect(r.scanRisk.toNumber()).toBeLessThan(1e-6);
    expect(r.shortOptionMinimum.toNumber()).toBe(4 * 100 * 0.01 * 100);
    expect(r.binding).toBe('SHORT_OPTION_MINIMUM');
    expect(r.initialMargin.toNumber()).toBe(400);
    expect(r.maintenanceMargin.toNumber()).toBe(320);
  });

  it('short option counting: SUM vs MAX_CALLS_PUTS', () => {
    const c = optionScanInstrument({ type: 'CALL', strike: 300, vol: '0.2', timeYears: '0.01', quantity: -3 });
    const p = optionScanInstrument({ type: 'PUT', strike: 30, vol: '0.2', timeYears: '0.01', quantity: -2 });
    const long = optionScanInstrument({ type: 'PUT', strike: 30, vol: '0.2', timeYears: '0.01', quantity: 5 });
    expect(portfolioScan([c, p, long], 100, params).shortOptionUnits.toNumber()).toBe(5);
    expect(portfolioScan([c, p, long], 100, params, { shortOptionCounting: 'MAX_CALLS_PUTS' }).shortOptionUnits.toNumber()).toBe(3);
  });

  it('extreme move below zero is clamped at price 0', () => {
    const r = portfolioScan([linearScanInstrument({ quantity: new D(1) })], 100, { ...params, priceScanRange: new D('0.5'), extremeMoveMultiple: new D(3) });
    expect(r.scenarios[15].price.isZero()).toBe(true);
    expect(r.scenarios[15].pnl.toNumber()).toBeCloseTo(-35, 20);
  });

  it('property: hedged book (long underlying vs short call) requirement ≤ sum of standalone requirements', () => {
    const dec = (min: number, max: number) => fc.double({ min, max, noNaN: true }).map((x) => new D(x.toPrecision(10)));
    fc.assert(
      fc.property(
        dec(10, 1000), dec(0.7, 1.5), dec(0.05, 1.5), dec(0.01, 1), dec(0, 20), dec(0, 20), dec(0.05, 0.3), dec(1, 3),
        (spot: Decimal, moneyness: Decimal, vol: Decimal, T: Decimal, qUnd: Decimal, qShort: Decimal, range: Decimal, mult: Decimal) => {
          const p = { ...params, priceScanRange: range, extremeMoveMultiple: mult };
          const und = linearScanInstrument({ quantity: qUnd });
          const call = optionScanInstrument({ type: 'CALL', strike: spot.times(moneyness), vol, timeYears: T, quantity: qShort.neg() });
          const both = portfolioScan([und, call], spot, p).initialMargin;
          const sum = portfolioScan([und], spot, p).initialMargin.plus(portfolioScan([call], spot, p).initialMargin);
          return both.lte(sum.times('1.000000000001').plus('1e-25'));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('covered call needs less than the naked call', () => {
    const call = optionScanInstrument({ type: 'CALL', strike: 100, vol: '0.6', timeYears: '0.1', quantity: -1 });
    const naked = portfolioScan([call], 100, params).initialMargin;
    const covered = portfolioScan([call, linearScanInstrument({ quantity: new D(1) })], 100, params).initialMargin;
    expect(covered.lt(naked)).toBe(true);
  });
});
