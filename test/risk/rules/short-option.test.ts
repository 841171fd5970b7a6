import * as fs from 'fs';
import * as path from 'path';
import { D } from '../../../src/risk/options/decimal-math';
import {
  DERIBIT_OPTION_MARGIN,
  US_STRATEGY_OPTION_MARGIN,
  optionPositionMargin,
  outOfTheMoneyAmount,
  shortOptionMarginPerUnit,
  strategyRequirementExPremium,
} from '../../../src/risk/rules/short-option';

const refs: Array<{ id: string; inputs: any; expected: any; tolerance: { abs: number } }> = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../../fixtures/reference-examples.json'), 'utf8'),
);

describe('golden: cboe-ibm-short-call', () => {
  it('reproduces the strategy-based requirement (premium excluded)', () => {
    const r = refs.find((x) => x.id === 'cboe-ibm-short-call')!;
    const req = strategyRequirementExPremium({
      type: 'CALL',
      underlying: r.inputs.underlying,
      strike: r.inputs.strike,
      contracts: r.inputs.contracts,
      multiplier: r.inputs.multiplier,
    });
    expect(Math.abs(req.toNumber() - r.expected.strategy_based_requirement)).toBeLessThanOrEqual(Math.max(r.tolerance.abs, 1));
    // same figure through the per-unit formula: IM − V
    const perUnit = shortOptionMarginPerUnit({ type: 'CALL', underlying: r.inputs.underlying, strike: r.inputs.strike, optionValue: r.inputs.premium, params: US_STRATEGY_OPTION_MARGIN });
    expect(perUnit.initial.minus(r.inputs.premium).times(10000).toNumber()).toBeCloseTo(172760, 6);
  });
});

describe('standard short option margin', () => {
  it('OTM amounts', () => {
    expect(outOfTheMoneyAmount('CALL', 90, 100).toNumber()).toBe(10);
    expect(outOfTheMoneyAmount('CALL', 110, 100).toNumber()).toBe(0);
    expect(outOfTheMoneyAmount('PUT', 110, 100).toNumber()).toBe(10);
    expect(outOfTheMoneyAmount('PUT', 90, 100).toNumber()).toBe(0);
  });

  it('Deribit parameters: IM = V + max(0.15U − OTM, 0.10U), MM = V + 0.075U', () => {
    // deep OTM call: 0.15·30000 − 5000 = −500 < 0.10·30000 = 3000 → IM = V + 3000
    const a = shortOptionMarginPerUnit({ type: 'CALL', underlying: 30000, strike: 35000, optionValue: 120, params: DERIBIT_OPTION_MARGIN });
    expect(a.initial.toNumber()).toBe(3120);
    expect(a.maintenance.toNumber()).toBe(2370);
    // ITM put: OTM 0 → IM = V + 0.15U
    const b = shortOptionMarginPerUnit({ type: 'PUT', underlying: 30000, strike: 32000, optionValue: 2500, params: DERIBIT_OPTION_MARGIN });
    expect(b.initial.toNumber()).toBe(7000);
    expect(b.otm.isZero()).toBe(true);
  });

  it('position: short scales by units; long or flat is zero', () => {
    const base = { type: 'CALL' as const, underlying: 100, strike: 100, optionValue: 5, params: US_STRATEGY_OPTION_MARGIN };
    const s = optionPositionMargin({ ...base, units: new D(-3) });
    expect(s.initial.toNumber()).toBe(3 * (5 + 20));
    expect(s.maintenance.toNumber()).toBe(3 * (5 + 10));
    expect(optionPositionMargin({ ...base, units: new D(3) }).initial.isZero()).toBe(true);
    expect(optionPositionMargin({ ...base, units: new D(0) }).perUnit).toBeNull();
  });

  it('IM ≥ MM for the named parameter sets (β ≥ γ)', () => {
    for (const params of [DERIBIT_OPTION_MARGIN, US_STRATEGY_OPTION_MARGIN]) {
      for (const k of [50, 90, 100, 110, 200]) {
        for (const type of ['CALL', 'PUT'] as const) {
          const m = shortOptionMarginPerUnit({ type, underlying: 100, strike: k, optionValue: 1, params });
          expect(m.initial.gte(m.maintenance)).toBe(true);
        }
      }
    }
  });
});
