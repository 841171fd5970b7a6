/** Configuration parsing: webhook settings (defaults, overrides, the loopback test flag refused in production) and the
 * risk-event thresholds (RISK_EVENT_RATIO_THRESHOLDS). */
import { loadConfig, webhookSettings } from '../../src/server/config';

describe('webhook configuration', () => {
  it('defaults: worker on, loopback targets refused, 5 s timeout, 8 attempts', () => {
    const config = loadConfig({ NODE_ENV: 'production' });
    expect(config.webhooksEnabled).toBe(true);
    expect(webhookSettings(config)).toEqual({
      policy: { allowHttpLoopback: false },
      timeoutMs: 5_000,
      backoffBaseMs: 1_000,
      backoffCapMs: 300_000,
      maxAttempts: 8,
      pollIntervalMs: 5_000,
    });
  });

  it('reads the WEBHOOK_* variables', () => {
    const config = loadConfig({ NODE_ENV: 'test', WEBHOOKS_ENABLED: 'false', WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_BACKOFF_BASE_MS: '50' });
    expect(config.webhooksEnabled).toBe(false);
    expect(webhookSettings(config)).toMatchObject({ policy: { allowHttpLoopback: true }, maxAttempts: 3, backoffBaseMs: 50 });
  });

  it('refuses WEBHOOK_ALLOW_HTTP_LOOPBACK in production, and bad values', () => {
    expect(() => loadConfig({ NODE_ENV: 'production', WEBHOOK_ALLOW_HTTP_LOOPBACK: 'true' })).toThrow(/WEBHOOK_ALLOW_HTTP_LOOPBACK/);
    expect(() => loadConfig({ WEBHOOK_MAX_ATTEMPTS: '0' })).toThrow(/WEBHOOK_MAX_ATTEMPTS/);
    expect(() => loadConfig({ WEBHOOK_TIMEOUT_MS: '10' })).toThrow(/WEBHOOK_TIMEOUT_MS/);
  });
});

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
