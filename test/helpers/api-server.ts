/** Starts the real HTTP server in-process (port 0) on a test database, and a small GraphQL client over fetch. */
import type { Config } from '../../src/server/config';
import { loadConfig, webhookSettings } from '../../src/server/config';
import { startWebhookWorker, type WebhookWorker } from '../../src/monitoring/webhook-delivery';
import { startServer, type RunningServer } from '../../src/server/http';
import { createLogger } from '../../src/server/logger';
import { generateApiKey, insertApiKey } from '../../src/store/api-key.repository';
import { createDatabase, type Database } from '../../src/store/database';
import type { Queryable } from '../../src/store/queryable';
import { startNotificationBus, type NotificationBus } from '../../src/store/notification-bus';
import { createTestDatabase, type TestDatabase } from './test-database';
import { startTickEngine, type TickEngine } from '../../src/monitoring/tick';
import type { Partition } from '../../src/monitoring/sweep';

/** The API keys every harness creates in its test database: one per role, and a second broker. */
export type KeyName = 'admin' | 'oracle' | 'monitor' | 'broker' | 'otherBroker';

export interface TestKey {
  readonly key: string;
  readonly id: string;
  readonly role: 'ADMIN' | 'ORACLE' | 'MONITOR' | 'BROKER';
  readonly brokerId: string | null;
}

export type TestKeys = { readonly [K in KeyName]: TestKey };

/** Brokers of the keys: `broker` belongs to brokers.a, `otherBroker` to brokers.b. */
export interface TestBrokers {
  readonly a: string;
  readonly b: string;
}

/** Creates (or reuses, by name) two brokers and one key per role. SEEDED databases use the demo brokers. */
export async function createTestKeys(q: Queryable): Promise<{ keys: TestKeys; brokers: TestBrokers }> {
  const broker = async (name: string): Promise<string> => {
    const { rows } = await q.query<{ id: string }>(
      `INSERT INTO broker (name) VALUES ($1) ON CONFLICT (name) DO UPDATE SET name = EXCLUDED.name RETURNING id`,
      [name],
    );
    return rows[0]!.id;
  };
  const brokers = { a: await broker('alpha-brokerage'), b: await broker('beta-markets') };
  const make = async (role: TestKey['role'], brokerId: string | null): Promise<TestKey> => {
    const { key } = generateApiKey();
    const record = await insertApiKey(q, { key, role, brokerId, label: `test ${role.toLowerCase()}` });
    return { key, id: record!.id, role, brokerId };
  };
  return {
    brokers,
    keys: {
      admin: await make('ADMIN', null),
      oracle: await make('ORACLE', null),
      monitor: await make('MONITOR', null),
      broker: await make('BROKER', brokers.a),
      otherBroker: await make('BROKER', brokers.b),
    },
  };
}

export interface GraphQLResponse<T = Record<string, any>> {
  readonly status: number;
  readonly headers: Headers;
  readonly data?: T;
  readonly errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface ApiHarness {
  readonly server: RunningServer;
  readonly database: TestDatabase;
  readonly baseUrl: string;
  /** One key per role in this test database (`gql` sends `keys[defaultKey]`, MONITOR unless told otherwise). */
  readonly keys: TestKeys;
  readonly brokers: TestBrokers;
  /** Sends `keys[defaultKey]` unless `headers` carry their own x-api-key / authorization. */
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  /** As one of the keys, a raw key string, or with no key at all (null). */
  gqlAs<T = Record<string, any>>(who: KeyName | { key: string } | null, query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** The tick engine, when started with `tick`. */
  readonly tick?: TickEngine;
  /** This instance's notification listener, when started (`subscriptions` or `tick`). */
  readonly bus?: NotificationBus;
  stop(): Promise<void>;
}

export async function startApi(options: {
  kind?: 'MIGRATED' | 'SEEDED';
  config?: Partial<Config>;
  onQuery?: (sql: string) => void;
  now?: () => number;
  /** Key `gql` sends by default (MONITOR: reads everything, writes nothing). */
  defaultKey?: KeyName;
  /**
   * A second service instance on another harness's database, with its own pool (as a second process would have):
   * same keys, and stopping it leaves the database to its owner.
   */
  shareWith?: ApiHarness;
  poolMax?: number;
  /** Serve subscriptions over WebSocket (starts this instance's notification listener). */
  subscriptions?: boolean;
  /** Run the tick engine (src/monitoring/tick.ts) on this instance's notification listener (started for it). */
  tick?: boolean | { coalesceMs?: number; partition?: Partition };
  /** Run this instance's webhook delivery worker (as src/main.ts does; starts the notification listener). */
  webhooks?: boolean;
} = {}): Promise<ApiHarness> {
  const owner = options.shareWith;
  const database = owner
    ? owner.database
    : await createTestDatabase(options.kind ?? 'SEEDED', { onQuery: options.onQuery, poolMax: options.poolMax });
  const db: Database = owner ? createDatabase({ url: owner.database.url, maxConnections: options.poolMax ?? 10 }) : database.db;
  const { keys, brokers } = owner ? { keys: owner.keys, brokers: owner.brokers } : await createTestKeys(database.db.pool);
  const config: Config = { ...loadConfig({ NODE_ENV: 'test' }), host: '127.0.0.1', port: 0, ...options.config };
  const bus: NotificationBus | undefined =
    options.subscriptions || options.tick || options.webhooks
      ? await startNotificationBus(database.url, createLogger(process.env.TICK_DEBUG ? 'debug' : 'silent'))
      : undefined;
  const server = await startServer({ config, db, logger: createLogger('silent'), now: options.now, bus: options.subscriptions ? bus : undefined });
  const webhooks: WebhookWorker | null =
    options.webhooks && bus ? await startWebhookWorker({ pool: db.pool, bus, logger: createLogger('silent'), ...webhookSettings(config) }) : null;
  const tickOptions = typeof options.tick === 'object' ? options.tick : {};
  const tick: TickEngine | undefined = options.tick
    ? await startTickEngine({ db, bus: bus!, logger: createLogger(process.env.TICK_DEBUG ? 'debug' : 'silent'), coalesceMs: tickOptions.coalesceMs, partition: tickOptions.partition, clock: options.now })
    : undefined;
  const baseUrl = server.url.replace(/\/graphql$/, '');
  const defaultKey = options.defaultKey ?? 'monitor';
  const post = async (query: string, variables: Record<string, unknown> | undefined, headers: Record<string, string>) => {
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: any; errors?: any[] };
    return { status: response.status, headers: response.headers, data: body.data ?? undefined, errors: body.errors };
  };
  return {
    server,
    database,
    baseUrl,
    keys,
    brokers,
    gql(query, variables, headers = {}) {
      const hasKey = Object.keys(headers).some((h) => ['x-api-key', 'authorization'].includes(h.toLowerCase()));
      return post(query, variables, hasKey ? headers : { 'x-api-key': keys[defaultKey].key, ...headers });
    },
    gqlAs(who, query, variables) {
      if (who === null) return post(query, variables, {});
      return post(query, variables, { 'x-api-key': typeof who === 'string' ? keys[who].key : who.key });
    },
    tick,
    bus,
    async stop() {
      await webhooks?.stop();
      await server.stop();
      await tick?.stop();
      await bus?.close();
      if (owner) await db.close();
      else await database.drop();
    },
  };
}
