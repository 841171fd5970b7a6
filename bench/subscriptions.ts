/**
 * Subscription benchmark: delivery latency of `riskEvents` over graphql-ws to many concurrent subscribers, measured
 * from the moment the transaction that records the event has committed (COMMIT answered) to the moment each
 * subscriber's client has the message, against a baseline of one subscriber in the same run.
 *
 * The service runs in this process (startServer with its notification listener, as src/main.ts starts it) on a
 * fresh database (BENCH_DATABASE_URL, or an embedded Postgres of its own) with the demo venue. Subscribers are
 * graphql-ws clients over `ws`, one socket each, spread round-robin over 4 MONITOR keys. The bench raises the
 * per-key request rate limit (each subscribe counts as one request) so that 1,000 subscribes in a second are not
 * refused; nothing else is changed. Each round flips one account's account_risk row between HEALTHY and
 * LIQUIDATABLE through the writer every evaluator uses (upsertAccountRisk, one STATUS_CHANGE event, NOTIFY on
 * commit) and waits until every subscriber has its message. Client and server share this process's event loop, so
 * the figures include the clients' own parsing.
 *
 *   flock /tmp/bench.lock npx tsx bench/subscriptions.ts
 * BENCH_SUBSCRIBERS (default 1000), BENCH_ROUNDS (default 20).
 */
import './production-mode'; // first: before anything loads graphql-js
import Decimal from 'decimal.js';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { rowFromError, upsertAccountRisk, type AccountRiskRow } from '../src/monitoring/account-risk.repository';
import type { AccountStatus } from '../src/risk';
import { subscriptionsActive } from '../src/monitoring/metrics';
import { loadConfig } from '../src/server/config';
import { startServer } from '../src/server/http';
import { createLogger } from '../src/server/logger';
import { generateApiKey, insertApiKey } from '../src/store/api-key.repository';
import { startNotificationBus } from '../src/store/notification-bus';
import { seedDemoVenue } from '../src/store/seed';
import { startBenchDatabase } from './support';

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const KEYS = 4;
const QUERY = 'subscription { riskEvents(filter: { kinds: [STATUS_CHANGE] }) { id accountId to marginRatio } }';

interface Subscriber {
  readonly client: Client;
  /** performance.now() of each message received, by event id. */
  readonly received: Map<string, number>;
}

/** riskEvents subscriptions open in this process (the hub's gauge). */
async function activeSubscriptions(): Promise<number> {
  const { values } = await subscriptionsActive.get();
  return values.find((v) => v.labels.kind === 'riskEvents')?.value ?? 0;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

async function main(): Promise<void> {
  const bench = await startBenchDatabase('bench_subscriptions');
  const bus = await startNotificationBus(bench.url, createLogger('silent'));
  const config = {
    ...loadConfig({ NODE_ENV: 'production' }),
    host: '127.0.0.1',
    port: 0,
    // Bench only: each subscribe counts as one request of its key's limit.
    rateLimitPoints: 1e9,
    sweepEnabled: false,
  };
  const server = await startServer({ config, db: bench.db, logger: createLogger('silent'), bus });
  const subscribers: Subscriber[] = [];
  try {
    await seedDemoVenue(bench.db.prisma, { nowMs: Date.now() });
    const keys: string[] = [];
    for (let i = 0; i < KEYS; i++) {
      const { key } = generateApiKey();
      await insertApiKey(bench.db.pool, { key, role: 'MONITOR', brokerId: null, label: `bench-subscriptions-${i}` });
      keys.push(key);
    }
    const { rows } = await bench.db.pool.query<{ id: string }>(`SELECT id FROM account ORDER BY id LIMIT 1`);
    const accountId = rows[0]!.id;
    let marketVersion = 1_000_000_000n;
    const row = (status: AccountStatus, ratio: string): AccountRiskRow => {
      marketVersion += 1n;
      const stamp = { accountVersion: 1_000_000, marketDataVersion: String(marketVersion), evaluatedAtMs: Date.now() };
      return { ...rowFromError(accountId, 'UNUSED', stamp), status, errorCode: null, marginRatio: new Decimal(ratio), ratioKey: new Decimal(ratio) };
    };
    await upsertAccountRisk(bench.db.pool, [row('HEALTHY', '0.2')], []);

    const url = server.url.replace(/^http/, 'ws');
    const open = async (n: number): Promise<Subscriber[]> => {
      const opened = await Promise.all(
        Array.from({ length: n }, (_, i) =>
          new Promise<Subscriber>((resolve, reject) => {
            const received = new Map<string, number>();
            const client = createClient({
              url,
              webSocketImpl: WebSocket,
              connectionParams: { 'x-api-key': keys[i % KEYS] },
              retryAttempts: 0,
              lazy: false,
              on: { connected: () => resolve({ client, received }) },
            });
            client.subscribe<{ riskEvents: { id: string } }>({ query: QUERY }, {
              next: (value) => {
                if (value.errors) reject(new Error(JSON.stringify(value.errors)));
                else received.set(value.data!.riskEvents.id, performance.now());
              },
              error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
              complete: () => undefined,
            });
          }),
        ),
      );
      subscribers.push(...opened);
      // Subscribed once the hub counts them (graphql-ws acknowledges the connection, not the subscribe).
      const deadline = Date.now() + 30_000;
      while ((await activeSubscriptions()) < subscribers.length && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      if ((await activeSubscriptions()) < subscribers.length) throw new Error('subscribers were not all subscribed in 30 s');
      return opened;
    };

    // One round: flip the row in a transaction, note when COMMIT has answered, wait for every subscriber's message.
    let flip = false;
    const round = async (group: readonly Subscriber[]): Promise<number[]> => {
      flip = !flip;
      const client = await bench.db.pool.connect();
      let committedAt: number;
      let eventId: string;
      try {
        await client.query('BEGIN');
        const ids = await upsertAccountRisk(client, [flip ? row('LIQUIDATABLE', '1.2') : row('HEALTHY', '0.2')], []);
        if (ids.length !== 1) throw new Error(`expected one event, got ${ids.length}`);
        eventId = ids[0]!;
        await client.query('COMMIT');
        committedAt = performance.now();
      } finally {
        client.release();
      }
      const deadline = Date.now() + 30_000;
      while (group.some((s) => !s.received.has(eventId)) && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
      const missing = group.filter((s) => !s.received.has(eventId)).length;
      if (missing > 0) throw new Error(`${missing} subscribers did not get event ${eventId}`);
      return group.map((s) => s.received.get(eventId)! - committedAt);
    };
    const measure = async (group: readonly Subscriber[], rounds: number) => {
      for (let i = 0; i < 3; i++) await round(group); // warm-up
      const latencies: number[] = [];
      for (let i = 0; i < rounds; i++) latencies.push(...(await round(group)));
      const sorted = latencies.sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), messages: sorted.length };
    };

    // Baseline first (one subscriber alone), then the crowd, then the baseline again: both orders of a drifting machine.
    const single = await open(1);
    const base1 = await measure(single, ROUNDS);
    await single[0]!.client.dispose();
    subscribers.length = 0;
    while ((await activeSubscriptions()) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const crowd = await open(SUBSCRIBERS);
    const many = await measure(crowd, ROUNDS);
    await Promise.all(crowd.map((s) => s.client.dispose()));
    subscribers.length = 0;
    while ((await activeSubscriptions()) > 0) await new Promise((resolve) => setTimeout(resolve, 20));
    const single2 = await open(1);
    const base2 = await measure(single2, ROUNDS);
    const baseP50 = (base1.p50 + base2.p50) / 2;
    const baseP99 = (base1.p99 + base2.p99) / 2;
    const f = (x: number) => x.toFixed(1);
    console.log(
      `subscriptions: ${SUBSCRIBERS} subscribers, p50 ${f(many.p50)} ms, p99 ${f(many.p99)} ms delivery after the update commit (${many.messages} messages)`,
    );
    console.log(
      `subscriptions baseline: 1 subscriber, p50 ${f(baseP50)} ms, p99 ${f(baseP99)} ms (${base1.messages + base2.messages} messages); ` +
        `${SUBSCRIBERS} subscribers = ${(many.p50 / baseP50).toFixed(1)}x at p50, ${(many.p99 / baseP99).toFixed(1)}x at p99`,
    );
  } finally {
    await Promise.all(subscribers.map((s) => s.client.dispose()));
    await server.stop();
    await bus.close();
    await bench.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
