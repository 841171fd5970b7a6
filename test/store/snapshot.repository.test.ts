/**
 * src/store/snapshot.repository.ts: the one-statement snapshot read gives the same account, balance and position
 * records as the per-table readers of account.repository.ts (its parts are JSON arrays of column values decoded by
 * position, and the account's timestamps epoch milliseconds): every field, every account of the seeded venue.
 */
import { accountsByIds, balancesByAccounts, positionsByAccounts } from '../../src/store/account.repository';
import { snapshotRows } from '../../src/store/snapshot.repository';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('SEEDED');
});
afterAll(async () => {
  await t.drop();
});

/** A record with its decimals as text and its dates as ISO strings (values, whatever their classes). */
const plain = (x: unknown): unknown =>
  x instanceof Date
    ? x.toISOString()
    : x !== null && typeof x === 'object' && 'toFixed' in x
      ? (x as { toFixed(): string }).toFixed()
      : Array.isArray(x)
        ? x.map(plain)
        : x !== null && typeof x === 'object'
          ? Object.fromEntries(Object.entries(x).map(([k, v]) => [k, plain(v)]))
          : x;

test('equals the per-table reads, field by field (one account and a batch)', async () => {
  const { rows } = await t.db.pool.query<{ id: string }>(`SELECT id FROM account ORDER BY id`);
  const ids = rows.map((r) => r.id);
  expect(ids.length).toBeGreaterThan(10);
  // Timestamps with milliseconds (the columns keep three decimals), before and after 1970.
  await t.db.pool.query(`UPDATE account SET created_at = '2026-11-22 01:02:03.123+00', updated_at = '1969-12-31 23:59:59.5+00' WHERE id = $1`, [ids[0]]);
  await t.db.pool.query(`UPDATE account SET created_at = '2026-11-22 01:02:03.000001+00', updated_at = '2001-02-03 04:05:06.5+00' WHERE id = $1`, [ids[1]]);
  for (const batch of [[ids[0]!], [ids[1]!], ids]) {
    const got = await snapshotRows(t.db.pool, batch, []);
    expect(plain([...got.accounts.values()].sort((a, b) => a.id.localeCompare(b.id)))).toEqual(
      plain([...(await accountsByIds(t.db.pool, batch)).values()].sort((a, b) => a.id.localeCompare(b.id))),
    );
    expect(plain([...got.balances])).toEqual(plain([...(await balancesByAccounts(t.db.pool, batch))]));
    expect(plain([...got.positions])).toEqual(plain([...(await positionsByAccounts(t.db.pool, batch))]));
  }
  const first = (await snapshotRows(t.db.pool, [ids[0]!], [])).accounts.get(ids[0]!)!;
  expect(first.createdAt.toISOString()).toBe('2026-11-22T01:02:03.123Z');
  expect(first.updatedAt.toISOString()).toBe('1969-12-31T23:59:59.500Z');
});
