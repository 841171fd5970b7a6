/** Webhook configuration: defaults, overrides, and the loopback test flag refused in production. */
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
