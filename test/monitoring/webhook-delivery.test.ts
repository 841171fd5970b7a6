/**
 * Webhook deliveries end to end, over HTTP on a real Postgres, to a loopback receiver (WEBHOOK_ALLOW_HTTP_LOOPBACK on,
 * small backoff): a price update that makes broker A's account LIQUIDATABLE sends exactly one signed delivery to A's
 * endpoint and none to B's; a receiver failing twice is retried with backoff and delivered on the third attempt; one
 * always failing ends FAILED after the maximum attempts; two service instances on one database send each delivery
 * once. Events are produced as in test/server/subscriptions.test.ts (price update, then the account's risk refresh).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { refreshAccountRisk } from '../../src/monitoring/sweep';
import { retryDelayMs, startWebhookWorker } from '../../src/monitoring/webhook-delivery';
import { createLogger } from '../../src/server/logger';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { newKey, ok, setPrices } from '../helpers/writes';

interface Received {
  readonly path: string;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  readonly at: number;
}

const BACKOFF_BASE_MS = 100;
const MAX_ATTEMPTS = 3;
const CONFIG = {
  rateLimitPoints: 100_000,
  webhookAllowHttpLoopback: true,
  webhookBackoffBaseMs: BACKOFF_BASE_MS,
  webhookBackoffCapMs: 1_000,
  webhookMaxAttempts: MAX_ATTEMPTS,
  webhookPollIntervalMs: 200,
  webhookTimeoutMs: 2_000,
};

let api: ApiHarness;
let receiver: http.Server;
let receiverUrl: string;
let accountId: string;
const received: Received[] = [];
/** Answers per path: a list of status codes consumed per request (the last one repeats). */
const behaviour = new Map<string, number[]>();
const secrets = new Map<string, string>();

const REGISTER = `mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) { userErrors { field code message } secret webhook { id } } }`;
const LOG = `query($brokerId: ID) { webhooks(brokerId: $brokerId) { id url deliveries(first: 50) { edges { node { id status attempts lastStatusCode lastError deliveredAt lastAttemptAt event { id accountId to } } } } } }`;

async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** An endpoint for status changes (the tests count one event per move); `kinds` to hear others. */
async function registerAt(path: string, brokerId: string, answers: number[], kinds: string[] = ['STATUS_CHANGE']): Promise<string> {
  behaviour.set(path, answers);
  const res = await api.gqlAs('admin', REGISTER, {
    input: { idempotencyKey: newKey('wh'), brokerId, url: `${receiverUrl}${path}`, description: `receiver ${path}`, eventKinds: kinds },
  });
  const payload = res.data!.registerWebhook;
  if (payload.userErrors.length) throw new Error(JSON.stringify(payload.userErrors));
  secrets.set(path, payload.secret);
  return payload.webhook.id as string;
}

async function disable(id: string): Promise<void> {
  await api.gqlAs('admin', `mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) { userErrors { code } } }`, {
    input: { idempotencyKey: newKey('off'), id, status: 'DISABLED' },
  });
}

/** The status of broker A's account after a price move (one risk event when it changes). */
async function moveTo(price: string): Promise<string> {
  await setPrices(api, { 'BTC-PERP': price }, { BTC: price });
  await refreshAccountRisk(api.database.db.pool, [accountId], Date.now());
  const { rows } = await api.database.db.pool.query<{ id: string }>(
    `SELECT id FROM risk_event WHERE account_id = $1 AND kind = 'STATUS_CHANGE' ORDER BY seq DESC LIMIT 1`,
    [accountId],
  );
  return rows[0]!.id;
}

function verifySignature(r: Received, secret: string): boolean {
  const header = String(r.headers['x-margin-signature']);
  const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  if (!match) return false;
  const expected = createHmac('sha256', secret).update(`${match[1]}.${r.body}`).digest();
  return timingSafeEqual(expected, Buffer.from(match[2]!, 'hex')) && Math.abs(Date.now() / 1000 - Number(match[1])) < 300;
}

async function log(): Promise<Map<string, any[]>> {
  const res = await api.gqlAs('admin', LOG, {});
  return new Map(res.data!.webhooks.map((w: any) => [new URL(w.url).pathname, w.deliveries.edges.map((e: any) => e.node)]));
}

const at = (path: string, eventId?: string) => received.filter((r) => r.path === path && (!eventId || JSON.parse(r.body).id === eventId));

beforeAll(async () => {
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const path = req.url ?? '/';
      received.push({ path, headers: req.headers, body, at: Date.now() });
      const answers = behaviour.get(path) ?? [404];
      const status = answers.length > 1 ? answers.shift()! : answers[0]!;
      res.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  api = await startApi({ kind: 'SEEDED', webhooks: true, config: CONFIG });
  await setPrices(api, { 'BTC-PERP': '60000' }, { BTC: '60000' });
  accountId = (await ok(api, 'broker', 'createAccount', { externalRef: newKey('hook') })).account.id as string;
  await ok(api, 'broker', 'deposit', { accountId, asset: 'USDC', amount: '2000' });
  await ok(api, 'broker', 'applyFill', { accountId, market: 'BTC-PERP', size: '0.2', price: '60000' });
  await refreshAccountRisk(api.database.db.pool, [accountId], Date.now());
});
afterAll(async () => {
  await api?.stop();
  await new Promise((resolve) => receiver?.close(resolve));
});

describe('webhook deliveries', () => {
  it("a price update that makes an account LIQUIDATABLE: exactly one signed delivery to the broker's endpoint, none to another broker's", async () => {
    await registerAt('/a', api.brokers.a, [204]);
    await registerAt('/b', api.brokers.b, [204]);
    await registerAt('/crossings', api.brokers.a, [204], ['THRESHOLD_CROSSING']);
    const eventId = await moveTo('50300');
    await until(() => at('/a', eventId).length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 600)); // anything more would have arrived by now

    expect(at('/a', eventId)).toHaveLength(1);
    expect(at('/b')).toHaveLength(0);
    const request = at('/a', eventId)[0]!;
    expect(verifySignature(request, secrets.get('/a')!)).toBe(true);
    expect(verifySignature(request, secrets.get('/b')!)).toBe(false);
    expect(request.headers['content-type']).toBe('application/json');
    const body = JSON.parse(request.body);
    expect(body).toMatchObject({
      id: eventId,
      type: 'risk_event.status_change',
      data: { id: eventId, accountId, brokerId: api.brokers.a, kind: 'STATUS_CHANGE', to: 'LIQUIDATABLE' },
    });
    expect(new Date(body.createdAt).toISOString()).toBe(body.createdAt);
    // The same move crossed margin-ratio thresholds: an endpoint filtered to crossings hears those, with their fields.
    await until(() => at('/crossings').length >= 1);
    const crossing = JSON.parse(at('/crossings')[0]!.body);
    expect(crossing).toMatchObject({ type: 'risk_event.threshold_crossing', data: { kind: 'THRESHOLD_CROSSING', accountId, direction: 'UP' } });
    expect(crossing.data.threshold).toMatch(/^0\.\d+$/);
    const deliveries = (await log()).get('/a')!.filter((d) => d.event.id === eventId);
    expect(deliveries).toEqual([
      expect.objectContaining({ id: request.headers['x-margin-delivery-id'], status: 'DELIVERED', attempts: 1, lastStatusCode: 204, lastError: null }),
    ]);
    // The other broker's endpoint got no delivery row at all, and broker A reads its own log only.
    expect((await log()).get('/b')).toEqual([]);
    const own = await api.gqlAs('broker', LOG, {});
    expect(own.data!.webhooks.map((w: any) => new URL(w.url).pathname).sort()).toEqual(['/a', '/crossings']);
  });

  it('retries a failing receiver with backoff (delivered on the 3rd attempt); one always failing ends FAILED after the maximum', async () => {
    await registerAt('/flaky', api.brokers.a, [500, 500, 200]);
    await registerAt('/down', api.brokers.a, [500]);
    const eventId = await moveTo('60000');
    await until(async () => {
      const l = await log();
      return l.get('/flaky')!.some((d) => d.event.id === eventId && d.status === 'DELIVERED') && l.get('/down')!.some((d) => d.event.id === eventId && d.status === 'FAILED');
    });
    const l = await log();
    const flaky = l.get('/flaky')!.find((d) => d.event.id === eventId);
    expect(flaky).toMatchObject({ status: 'DELIVERED', attempts: 3, lastStatusCode: 200, lastError: null });
    const down = l.get('/down')!.find((d) => d.event.id === eventId);
    expect(down).toMatchObject({ status: 'FAILED', attempts: MAX_ATTEMPTS, lastStatusCode: 500, lastError: 'HTTP 500', deliveredAt: null });
    // Every attempt carried the same delivery id and body, freshly signed; retries waited at least half the backoff.
    const attempts = at('/flaky', eventId);
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((r) => r.headers['x-margin-delivery-id']))).toEqual(new Set([flaky.id]));
    expect(new Set(attempts.map((r) => r.body)).size).toBe(1);
    for (const r of attempts) expect(verifySignature(r, secrets.get('/flaky')!)).toBe(true);
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(retryDelayMs(1, BACKOFF_BASE_MS, 1_000, 0) - 20);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(retryDelayMs(2, BACKOFF_BASE_MS, 1_000, 0) - 20);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(at('/down', eventId)).toHaveLength(MAX_ATTEMPTS); // nothing after FAILED
    // Metrics: attempts by outcome (2 + 2 retried failures, 1 given up, deliveries), the pending gauge, the histograms.
    const metrics = await (await fetch(`${api.baseUrl}/metrics`)).text();
    const value = (series: string) => Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\S+)$`, 'm').exec(metrics)?.[1] ?? NaN);
    expect(value('webhook_deliveries_total{outcome="FAILED"}')).toBeGreaterThanOrEqual(4);
    expect(value('webhook_deliveries_total{outcome="GAVE_UP"}')).toBeGreaterThanOrEqual(1);
    expect(value('webhook_deliveries_total{outcome="DELIVERED"}')).toBeGreaterThanOrEqual(2);
    expect(value('webhook_delivery_latency_seconds_count')).toBeGreaterThanOrEqual(2);
    expect(value('webhook_delivery_attempt_duration_seconds_count{outcome="GAVE_UP"}')).toBeGreaterThanOrEqual(1);
    expect(value('webhook_deliveries_pending')).toBe(0);
  });

  it('two service instances on one database send each delivery exactly once', async () => {
    const second = await startApi({ shareWith: api, webhooks: true, config: CONFIG });
    try {
      const ids = await Promise.all(['/dual-1', '/dual-2', '/dual-3', '/dual-4'].map((p) => registerAt(p, api.brokers.a, [200])));
      expect(ids).toHaveLength(4);
      const eventId = await moveTo('50300');
      const paths = ['/a', '/dual-1', '/dual-2', '/dual-3', '/dual-4'];
      await until(() => paths.every((p) => at(p, eventId).length >= 1));
      await new Promise((resolve) => setTimeout(resolve, 800));
      for (const p of paths) expect({ p, n: at(p, eventId).length }).toEqual({ p, n: 1 });
      const l = await log();
      for (const p of paths) expect(l.get(p)!.filter((d) => d.event.id === eventId)).toEqual([expect.objectContaining({ status: 'DELIVERED', attempts: 1 })]);
    } finally {
      await second.stop();
    }
  });

  it('a DISABLED endpoint gets no delivery; retry delays grow exponentially up to the cap', async () => {
    for (const [path, id] of (await api.gqlAs('admin', `{ webhooks { id url } }`)).data!.webhooks.map((w: any) => [new URL(w.url).pathname, w.id])) {
      if (path === '/a') await disable(id);
    }
    const eventId = await moveTo('60000');
    await until(() => at('/dual-1', eventId).length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(at('/a', eventId)).toHaveLength(0);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 100, 1_000, 1))).toEqual([100, 200, 400, 800, 1_000]);
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(n, 100, 1_000, 0))).toEqual([50, 100, 200, 400, 500]);
  });
});

describe('webhook worker shutdown', () => {
  it('stop() lets an attempt in flight finish and records it; nothing is claimed after', async () => {
    const own = await startApi({ kind: 'MIGRATED', config: CONFIG });
    const bus = { subscribe: async () => () => undefined, onReconnect: () => () => undefined, close: async () => undefined };
    let answered = 0;
    const slow = http.createServer((req, res) => {
      req.resume();
      setTimeout(() => {
        answered += 1;
        res.writeHead(200).end();
      }, 700);
    });
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const pool = own.database.db.pool;
    try {
      const port = (slow.address() as AddressInfo).port;
      const res = await own.gqlAs('admin', REGISTER, {
        input: { idempotencyKey: newKey('slow'), brokerId: own.brokers.a, url: `http://127.0.0.1:${port}/slow`, description: 'slow receiver' },
      });
      expect(res.data!.registerWebhook.userErrors).toEqual([]);
      const account = (await pool.query<{ id: string }>(`INSERT INTO account (broker_id, external_ref) VALUES ($1, 'slow-1') RETURNING id`, [own.brokers.a])).rows[0]!.id;
      const insertEvent = () =>
        pool.query(
          `INSERT INTO risk_event (account_id, broker_id, kind, from_status, to_status, ratio_key, account_version, market_data_version)
           VALUES ($1, $2, 'STATUS_CHANGE', 'HEALTHY', 'LIQUIDATABLE', 1.2, 1, 1)`,
          [account, own.brokers.a],
        );
      await insertEvent();
      const worker = await startWebhookWorker({ pool, bus, logger: createLogger('silent'), policy: { allowHttpLoopback: true }, pollIntervalMs: 50 });
      await until(async () => (await pool.query(`SELECT 1 FROM webhook_delivery WHERE attempts = 1`)).rows.length === 1);
      expect(answered).toBe(0); // in flight
      await worker.stop();
      expect(answered).toBe(1);
      const row = (await pool.query(`SELECT status, attempts FROM webhook_delivery`)).rows;
      expect(row).toEqual([{ status: 'DELIVERED', attempts: 1 }]);
      // Stopped: a new event's delivery stays PENDING, unclaimed, for another worker (or the next start).
      await insertEvent();
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect((await pool.query(`SELECT status, attempts FROM webhook_delivery ORDER BY seq`)).rows).toEqual([
        { status: 'DELIVERED', attempts: 1 },
        { status: 'PENDING', attempts: 0 },
      ]);
    } finally {
      await new Promise((resolve) => slow.close(resolve));
      await own.stop();
    }
  });
});
