/**
 * MIGRATE_ON_START=false (a deploy job migrates): the service process refuses to start on a database with pending
 * migrations, saying what to run, and starts on a migrated one without migrating.
 */
import { startServiceProcess } from '../helpers/service-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const databases: TestDatabase[] = [];
afterAll(async () => {
  for (const database of databases) await database.drop();
});

function start(database: TestDatabase) {
  return startServiceProcess({
    DATABASE_URL: database.url,
    TEST_DATABASE_URL: undefined,
    MIGRATE_ON_START: 'false',
    SWEEP_ENABLED: 'false',
    LOG_LEVEL: 'info',
  });
}

it('refuses to start while migrations are pending, naming the command that applies them', async () => {
  const empty = await createTestDatabase('EMPTY');
  databases.push(empty);
  await expect(start(empty)).rejects.toThrow(/exited with 1[\s\S]*schema is behind: \d+ migration\(s\) not applied[\s\S]*dist\/src\/cli\/migrate\.js/);
  // Nothing was applied.
  const { rows } = await empty.db.pool.query<{ present: boolean }>(`SELECT to_regclass('"_prisma_migrations"') IS NOT NULL AS present`);
  expect(rows[0]!.present).toBe(false);
}, 120_000);

it('starts on a migrated database without migrating', async () => {
  const migrated = await createTestDatabase('MIGRATED');
  databases.push(migrated);
  const service = await start(migrated);
  try {
    expect(service.output()).toMatch(/none pending \(MIGRATE_ON_START=false\)/);
    expect((await fetch(service.url.replace('/graphql', '/readyz'))).status).toBe(200);
  } finally {
    expect(await service.stop()).toBe(0);
  }
}, 120_000);
