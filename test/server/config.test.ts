/** Configuration parsing of the risk-event thresholds (RISK_EVENT_RATIO_THRESHOLDS). */
import { loadConfig } from '../../src/server/config';

const thresholds = (value?: string) =>
  loadConfig({ NODE_ENV: 'test', ...(value === undefined ? {} : { RISK_EVENT_RATIO_THRESHOLDS: value }) }).riskEventRatioThresholds.map((d) => d.toFixed());

describe('RISK_EVENT_RATIO_THRESHOLDS', () => {
  it('defaults to 0.5, 0.8, 0.9', () => {
    expect(thresholds()).toEqual(['0.5', '0.8', '0.9']);
  });
  it('sorts ascending and drops duplicates (equal values written differently too)', () => {
    expect(thresholds('0.9, 0.5,0.50,1.2')).toEqual(['0.5', '0.9', '1.2']);
  });
  it('refuses anything but comma-separated non-negative decimals', () => {
    for (const bad of ['0.5,,0.8', '-0.5', 'abc', '0.5;0.8', '1e3']) expect(() => thresholds(bad)).toThrow(/RISK_EVENT_RATIO_THRESHOLDS/);
  });
});
