/**
 * The shared pool (src/store/database.ts) on a real Postgres: close() returns only once every connection has ended
 * (so a database stopped right after it terminates none), and the error of a connection lost while idle reaches the
 * handler without the pg client pg-pool attaches to it (no connection object in a log line).
 */
import { Client } from 'pg';
import { createDatabase } from '../../src/store/database';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let t: TestDatabase;
let admin: Client;

beforeAll(async () => {
  t = await createTestDatabase('MIGRATED');
  admin = new Client({ connectionString: t.url });
  await admin.connect();
});
afterAll(async () => {
  await admin.end();
  await t.drop();
});

const APP = 'database-test';

async function backends(app: string): Promise<number> {
  const { rows } = await admin.query<{ n: string }>(`SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = $1`, [app]);
  return Number(rows[0]!.n);
}

function urlWithApp(app: string): string {
  const url = new URL(t.url);
  url.searchParams.set('application_name', app);
  return url.toString();
}

it('close() returns after every connection has ended', async () => {
  const app = `${APP}-close`;
  const db = createDatabase({ url: urlWithApp(app), maxConnections: 5 });
  await Promise.all(Array.from({ length: 5 }, () => db.pool.query('SELECT pg_sleep(0.05)')));
  expect(await backends(app)).toBe(5);
  await db.close();
  expect(await backends(app)).toBe(0);
});

it('reports an idle connection terminated by the server without the client object', async () => {
  const app = `${APP}-idle`;
  const errors: Error[] = [];
  const db = createDatabase({ url: urlWithApp(app), maxConnections: 2, onConnectionError: (e) => errors.push(e) });
  try {
    await db.pool.query('SELECT 1');
    await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1`, [app]);
    for (let i = 0; i < 50 && errors.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) {
      expect((e as { code?: string }).code).toBe('57P01');
      expect('client' in e).toBe(false);
    }
    // The pool replaces the connection.
    expect((await db.pool.query<{ one: number }>('SELECT 1 AS one')).rows[0]!.one).toBe(1);
  } finally {
    await db.close();
  }
});
