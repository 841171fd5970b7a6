/** The migration runner on a real Postgres: applies, records Prisma's checksums, idempotent, safe concurrently. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createDatabase } from '../../src/store/database';
import { MIGRATIONS_DIR, migrate, readMigrations } from '../../src/store/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let t: TestDatabase;
beforeEach(async () => {
  t = await createTestDatabase('EMPTY');
});
afterEach(async () => {
  await t.drop();
});

it('applies every migration once, recording Prisma-compatible rows', async () => {
  const first = await migrate(t.db.pool);
  const names = readMigrations().map((m) => m.name);
  expect(first.applied).toEqual(names);
  const { rows } = await t.db.pool.query(
    'SELECT migration_name, checksum, finished_at, rolled_back_at, applied_steps_count FROM "_prisma_migrations" ORDER BY migration_name',
  );
  expect(rows.map((r) => r.migration_name)).toEqual(names);
  for (const row of rows) {
    const sql = readFileSync(path.join(MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
    expect(row.checksum).toBe(createHash('sha256').update(sql).digest('hex'));
    expect(row.finished_at).toBeInstanceOf(Date);
    expect(row.rolled_back_at).toBeNull();
    expect(row.applied_steps_count).toBe(1);
  }
  const second = await migrate(t.db.pool);
  expect(second).toEqual({ applied: [], skipped: names });
});

it('is safe from several processes at once: each migration is applied exactly once', async () => {
  const others = [0, 1, 2].map(() => createDatabase({ url: t.url, maxConnections: 2 }));
  try {
    const reports = await Promise.all([t.db, ...others].map((db) => migrate(db.pool)));
    const appliedCounts = reports.map((r) => r.applied.length);
    expect(appliedCounts.filter((n) => n > 0)).toHaveLength(1);
    const { rows } = await t.db.pool.query('SELECT count(*)::int AS n FROM "_prisma_migrations"');
    expect(rows[0].n).toBe(readMigrations().length);
  } finally {
    await Promise.all(others.map((db) => db.close()));
  }
});

it('refuses to run when an applied migration was edited afterwards', async () => {
  await migrate(t.db.pool);
  await t.db.pool.query(`UPDATE "_prisma_migrations" SET checksum = 'tampered'`);
  await expect(migrate(t.db.pool)).rejects.toThrow(/changed after it was applied/);
});
