/**
 * Subscriptions over WebSocket (graphql-ws) against the real server and Postgres, end to end: a price update
 * (updatePrices) that makes broker A's account LIQUIDATABLE records exactly one risk event; broker A's subscriber
 * and a MONITOR hear it exactly once, broker B's subscriber nothing; accountRisk delivers the new figure set.
 * Authentication is refused clearly (missing, invalid and revoked keys), a BROKER cannot subscribe to another
 * broker's account, the shape limits apply, and unsubscribing removes every listener.
 *
 * Until price updates re-evaluate exposed accounts at once, the test refreshes the account through the existing
 * code (refreshAccountRisk) after the price update; with immediate re-evaluation the refresh records nothing more
 * (the row is current), so the counts hold either way.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { refreshAccountRisk } from '../../src/monitoring/sweep';
import { startApi, type ApiHarness, type KeyName } from '../helpers/api-server';
import { newKey, ok, setPrices } from '../helpers/writes';

let api: ApiHarness;
let accountId: string;
const clients: Client[] = [];

function wsUrl(): string {
  return api.server.url.replace(/^http/, 'ws');
}

function connect(params: Record<string, unknown> | null): { client: Client; closed: Promise<{ code: number; reason: string }> } {
  let onClosed: (e: { code: number; reason: string }) => void = () => undefined;
  const closed = new Promise<{ code: number; reason: string }>((resolve) => {
    onClosed = resolve;
  });
  const client = createClient({
    url: wsUrl(),
    webSocketImpl: WebSocket,
    connectionParams: params ?? undefined,
    retryAttempts: 0,
    lazy: false,
    on: { closed: (event) => onClosed(event as { code: number; reason: string }) },
  });
  clients.push(client);
  return { client, closed };
}

function as(who: KeyName): Client {
  return connect({ 'x-api-key': api.keys[who].key }).client;
}

interface Stream {
  readonly messages: any[];
  readonly errors: unknown[];
  unsubscribe(): void;
}

function subscribe(client: Client, query: string, variables: Record<string, unknown> = {}): Stream {
  const messages: any[] = [];
  const errors: unknown[] = [];
  const unsubscribe = client.subscribe({ query, variables }, {
    next: (value) => messages.push(value),
    error: (error) => errors.push(error),
    complete: () => undefined,
  });
  return { messages, errors, unsubscribe };
}

async function until(check: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const EVENTS = `subscription($filter: RiskEventFilter) { riskEvents(filter: $filter) { id accountId brokerId kind from to marginRatio accountVersion marketDataVersion createdAt } }`;
const CROSSINGS = `subscription($filter: RiskEventFilter) { riskEvents(filter: $filter) { id accountId kind threshold direction ratioBefore ratioAfter } }`;
const ACCOUNT_RISK = `subscription($id: ID!) { accountRisk(accountId: $id) { status equity marginRatio } }`;

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', subscriptions: true, config: { rateLimitPoints: 100_000 } });
  await setPrices(api, { 'BTC-PERP': '60000' }, { BTC: '60000' });
  accountId = (await ok(api, 'broker', 'createAccount', { externalRef: newKey('push') })).account.id as string;
  await ok(api, 'broker', 'deposit', { accountId, asset: 'USDC', amount: '2000' });
  await ok(api, 'broker', 'applyFill', { accountId, market: 'BTC-PERP', size: '0.2', price: '60000' });
  await refreshAccountRisk(api.database.db.pool, [accountId], Date.now());
});
afterAll(async () => {
  for (const client of clients) void client.dispose();
  await api?.stop();
});

async function eventCount(kind = 'STATUS_CHANGE'): Promise<number> {
  const { rows } = await api.database.db.pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM risk_event WHERE account_id = $1 AND kind = $2::"RiskEventKind"`,
    [accountId, kind],
  );
  return Number(rows[0]!.n);
}

describe('subscriptions over graphql-ws', () => {
  it('a price update that makes an account LIQUIDATABLE: one event, one message to each entitled subscriber, none to another broker', async () => {
    const before = await eventCount();
    const crossingsBefore = await eventCount('THRESHOLD_CROSSING');
    const own = subscribe(as('broker'), EVENTS, { filter: { kinds: ['STATUS_CHANGE'] } });
    const crossings = subscribe(as('monitor'), CROSSINGS, { filter: { kinds: ['THRESHOLD_CROSSING'], minMarginRatio: '0.5' } });
    const monitor = subscribe(as('monitor'), EVENTS, { filter: { statuses: ['LIQUIDATABLE', 'BANKRUPT'], kinds: ['STATUS_CHANGE'] } });
    const other = subscribe(as('otherBroker'), EVENTS);
    const otherNamingA = subscribe(as('otherBroker'), EVENTS, { filter: { brokerId: api.brokers.a } });
    const figures = subscribe(as('broker'), ACCOUNT_RISK, { id: accountId });
    await until(() => (api as any).server && true);
    await new Promise((resolve) => setTimeout(resolve, 300)); // subscriptions registered

    await setPrices(api, { 'BTC-PERP': '50300' }, { BTC: '50300' });
    await refreshAccountRisk(api.database.db.pool, [accountId], Date.now());
    await until(() => own.messages.length >= 1 && monitor.messages.length >= 1 && figures.messages.length >= 1);
    // A second refresh of the same state records nothing more.
    await refreshAccountRisk(api.database.db.pool, [accountId], Date.now());
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(await eventCount()).toBe(before + 1);
    const event = own.messages[0].data.riskEvents;
    expect(own.messages).toHaveLength(1);
    expect(event).toMatchObject({ accountId, brokerId: api.brokers.a, kind: 'STATUS_CHANGE', to: 'LIQUIDATABLE' });
    expect(event.from).not.toBe('LIQUIDATABLE');
    expect(monitor.messages.map((m) => m.data.riskEvents.id)).toEqual([event.id]);
    expect(other.messages).toEqual([]);
    expect(otherNamingA.messages).toEqual([]);
    // The move crossed the venue's default thresholds (0.5, 0.8, 0.9) upward: each crossing at or above 0.5 once.
    const crossed = await eventCount('THRESHOLD_CROSSING');
    expect(crossed).toBeGreaterThan(crossingsBefore);
    const { rows: crossingRows } = await api.database.db.pool.query<{ id: string }>(
      `SELECT id FROM risk_event WHERE account_id = $1 AND kind = 'THRESHOLD_CROSSING' AND ratio_key >= 0.5 ORDER BY seq DESC LIMIT $2`,
      [accountId, crossed - crossingsBefore],
    );
    expect(crossings.messages.map((m) => m.data.riskEvents.id).sort()).toEqual(crossingRows.map((r) => r.id).sort());
    for (const m of crossings.messages) expect(m.data.riskEvents).toMatchObject({ accountId, kind: 'THRESHOLD_CROSSING', direction: 'UP' });
    crossings.unsubscribe();
    expect(figures.messages.length).toBeGreaterThanOrEqual(1);
    expect(figures.messages.at(-1).data.accountRisk.status).toBe('LIQUIDATABLE');
    for (const s of [own, monitor, other, otherNamingA, figures]) expect(s.errors).toEqual([]);
    for (const s of [own, monitor, other, otherNamingA, figures]) s.unsubscribe();
  });

  it('refuses connections without a key, with an invalid key and with a revoked key (4401 and a reason)', async () => {
    const none = connect(null);
    expect(await none.closed).toMatchObject({ code: 4401, reason: expect.stringContaining('API key is required') });
    const bad = connect({ 'x-api-key': 'mr_not_a_key' });
    expect(await bad.closed).toMatchObject({ code: 4401, reason: 'invalid or revoked API key' });
    const created = await ok(api, 'admin', 'createApiKey', { role: 'MONITOR', label: 'soon revoked' });
    await ok(api, 'admin', 'revokeApiKey', { id: created.apiKey.id });
    const revoked = connect({ authorization: `Bearer ${created.key}` });
    expect(await revoked.closed).toMatchObject({ code: 4401, reason: 'invalid or revoked API key' });
  });

  it("answers another broker's account NOT_FOUND, refuses ORACLE, and applies the depth limit", async () => {
    const other = subscribe(as('otherBroker'), ACCOUNT_RISK, { id: accountId });
    const oracle = subscribe(as('oracle'), EVENTS);
    const deep = subscribe(as('monitor'), `subscription { accountRisk(accountId: "${accountId}") { positions { market { tiers { tierIndex } } } } }`);
    await until(() => other.errors.length + other.messages.length > 0 && oracle.errors.length + oracle.messages.length > 0 && deep.errors.length > 0);
    const codes = (s: Stream) => JSON.stringify(s.errors.length ? s.errors : s.messages);
    expect(codes(other)).toContain('NOT_FOUND');
    expect(codes(oracle)).toContain('FORBIDDEN');
    expect(JSON.stringify(deep.errors)).toMatch(/GRAPHQL_VALIDATION_FAILED|QUERY_TOO_COMPLEX/);
  });

  it('removes every listener when subscribers leave (no leak)', async () => {
    const count = async () => {
      const res = await fetch(`${api.baseUrl}/metrics`);
      const text = await res.text();
      return [...text.matchAll(/^graphql_subscriptions_active\{kind="(\w+)"\} (\d+)/gm)].reduce((n, m) => n + Number(m[2]), 0);
    };
    const pool = api.database.db.pool;
    const inUse = () => pool.totalCount - pool.idleCount;
    const base = await count();
    const baseInUse = inUse();
    const client = as('monitor');
    const streams = Array.from({ length: 20 }, (_, i) => (i % 2 ? subscribe(client, EVENTS) : subscribe(client, ACCOUNT_RISK, { id: accountId })));
    const reaches = async (n: number) => {
      const deadline = Date.now() + 5_000;
      while ((await count()) !== n && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
      expect(await count()).toBe(n);
    };
    await reaches(base + 20);
    // An idle subscription holds no pooled connection (each accountRisk subscribe reads the account to check access).
    expect(inUse()).toBe(baseInUse);
    for (const s of streams) s.unsubscribe();
    await reaches(base);
    // A closed connection ends its subscriptions too.
    const leaving = as('monitor');
    subscribe(leaving, EVENTS);
    await reaches(base + 1);
    await leaving.dispose();
    await reaches(base);
  });
});
