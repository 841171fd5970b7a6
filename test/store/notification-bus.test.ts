/**
 * The notification bus on a real Postgres: a NOTIFY inside a transaction reaches another connection's listener only
 * when the transaction commits (never on rollback), in commit order; a listener whose backend is terminated
 * reconnects, fires onReconnect, and hears later notifications again.
 */
import pino from 'pino';
import { CHANNELS, notify, startNotificationBus, type NotificationBus } from '../../src/store/notification-bus';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const logger = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting');
    await sleep(20);
  }
}

let database: TestDatabase;
let bus: NotificationBus;

beforeAll(async () => {
  database = await createTestDatabase('MIGRATED');
  bus = await startNotificationBus(database.url, logger);
});

afterAll(async () => {
  await bus?.close();
  await database?.drop();
});

test('delivered on commit, in commit order, never on rollback', async () => {
  const seen: unknown[] = [];
  const unsubscribe = await bus.subscribe(CHANNELS.accounts, (payload) => seen.push(payload));
  const client = await database.db.pool.connect();
  try {
    await client.query('BEGIN');
    await notify(client, CHANNELS.accounts, { accountIds: ['rolled-back'] });
    await client.query('ROLLBACK');
    await client.query('BEGIN');
    await notify(client, CHANNELS.accounts, { accountIds: ['first'] });
    await sleep(200);
    expect(seen).toEqual([]);
    await client.query('COMMIT');
    await notify(client, CHANNELS.accounts, { accountIds: ['second'] });
  } finally {
    client.release();
  }
  await until(() => seen.length === 2);
  expect(seen).toEqual([{ accountIds: ['first'] }, { accountIds: ['second'] }]);
  unsubscribe();
});

test('a payload over the limit is refused before it is sent', async () => {
  await expect(notify(database.db.pool, CHANNELS.accounts, { big: 'x'.repeat(9_000) })).rejects.toThrow(/limit/);
});

test('a terminated listener reconnects, says so, and hears later notifications', async () => {
  const seen: unknown[] = [];
  let reconnects = 0;
  bus.onReconnect(() => reconnects++);
  await bus.subscribe(CHANNELS.marketData, (payload) => seen.push(payload));
  const { rows } = await database.db.pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND query ILIKE 'LISTEN%') t`,
  );
  expect(rows[0].n).toBeGreaterThan(0);
  await until(() => reconnects > 0);
  await notify(database.db.pool, CHANNELS.marketData, { markets: ['BTC-PERP'] });
  await until(() => seen.length === 1);
  expect(seen).toEqual([{ markets: ['BTC-PERP'] }]);
});
