/**
 * RATE_LIMIT_STORE=postgres: two service processes on one database count one key's requests and query cost against
 * the same limits (rate-limiter-flexible's Postgres store, table rate_limit).
 */
import { createTestKeys, type TestKeys } from '../helpers/api-server';
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let t: TestDatabase;
let keys: TestKeys;
let services: ServiceProcess[] = [];

beforeAll(async () => {
  t = await createTestDatabase('SEEDED');
  keys = (await createTestKeys(t.db.pool)).keys;
  const env = {
    DATABASE_URL: t.url,
    SEED_DEMO: 'false',
    SWEEP_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    DB_POOL_MAX: '4',
    RATE_LIMIT_STORE: 'postgres',
    RATE_LIMIT_POINTS: '10',
    RATE_LIMIT_DURATION_S: '300',
  };
  services = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
}, 180_000);

afterAll(async () => {
  for (const s of services) await s.stop().catch(() => undefined);
  await t.drop();
}, 60_000);

it('one key gets RATE_LIMIT_POINTS requests across both replicas, not that many per replica', async () => {
  const statuses: number[] = [];
  for (let i = 0; i < 16; i++) {
    const service = services[i % 2]!;
    statuses.push((await service.gql(keys.monitor.key, '{ assets { symbol } }')).status);
  }
  expect(statuses.filter((s) => s === 200).length).toBe(10);
  expect(statuses.filter((s) => s === 429).length).toBe(6);
  // Both replicas refuse the key now; another key is unaffected.
  expect((await services[0]!.gql(keys.monitor.key, '{ assets { symbol } }')).status).toBe(429);
  expect((await services[1]!.gql(keys.monitor.key, '{ assets { symbol } }')).status).toBe(429);
  expect((await services[1]!.gql(keys.oracle.key, '{ assets { symbol } }')).status).toBe(200);
  const { rows } = await t.db.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM rate_limit WHERE key LIKE 'requests:%'`);
  expect(Number(rows[0]!.n)).toBeGreaterThanOrEqual(2);
  for (const s of services) expect(s.child.exitCode).toBeNull();
}, 60_000);
