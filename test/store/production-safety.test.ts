/**
 * NODE_ENV=production: the public demo keys are never created (the demo venue may still be seeded when asked), and
 * the store refuses to open while one of them is present and unrevoked.
 */
import { loadConfig } from '../../src/server/config';
import { createLogger } from '../../src/server/logger';
import { DEMO_API_KEYS, activeDemoApiKeys, ensureDemoApiKeys } from '../../src/store/api-key.repository';
import { DemoKeyInProductionError, openStore } from '../../src/store/open-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('SEEDED');
});
afterAll(async () => {
  await t.drop();
});

const options = (production: boolean) => ({ databaseUrl: t.url, dataDir: '/nonexistent', embeddedPort: 0, seedDemo: true, poolMax: 2, production });

it('does not seed the demo venue by default in production, even on the embedded database', () => {
  expect(loadConfig({ NODE_ENV: 'production' }).seedDemo).toBe(false);
  expect(loadConfig({ NODE_ENV: 'development' }).seedDemo).toBe(true);
});

it('never creates the demo keys in production, and opens while none is active', async () => {
  const store = await openStore(options(true), createLogger('silent'));
  try {
    expect(store.demoKeys).toEqual([]);
    expect(await activeDemoApiKeys(store.db.pool)).toEqual([]);
  } finally {
    await store.close();
  }
});

it('refuses to open in production while a demo key is present and unrevoked; opens once it is revoked', async () => {
  await ensureDemoApiKeys(t.db.pool);
  expect((await activeDemoApiKeys(t.db.pool)).length).toBe(DEMO_API_KEYS.length);
  await expect(openStore(options(true), createLogger('silent'))).rejects.toBeInstanceOf(DemoKeyInProductionError);
  await expect(openStore(options(true), createLogger('silent'))).rejects.toThrow(/NODE_ENV=production.*demo API key/);
  // Outside production the demo keys are the demo's.
  const dev = await openStore(options(false), createLogger('silent'));
  expect(dev.demoKeys.length).toBe(DEMO_API_KEYS.length);
  await dev.close();
  await t.db.pool.query(`UPDATE api_key SET revoked_at = now() WHERE label LIKE 'demo %'`);
  const store = await openStore(options(true), createLogger('silent'));
  await store.close();
});
