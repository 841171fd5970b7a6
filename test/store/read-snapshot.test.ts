/** One consistent snapshot per request: reads inside a ReadSnapshot do not see writes committed after it began. */
import { balancesByAccounts } from '../../src/store/account.repository';
import { ReadSnapshot } from '../../src/store/read-snapshot';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('SEEDED');
});
afterAll(async () => {
  await t.drop();
});

it('sees one state for the whole request, and refuses writes', async () => {
  const { rows } = await t.db.pool.query<{ account_id: string; asset_symbol: string; amount: string }>(
    'SELECT account_id, asset_symbol, amount FROM balance ORDER BY account_id LIMIT 1',
  );
  const { account_id: accountId, asset_symbol: asset, amount } = rows[0]!;
  const snapshot = new ReadSnapshot(t.db.pool);
  try {
    const before = await balancesByAccounts(snapshot, [accountId]);
    await t.db.pool.query('UPDATE balance SET amount = amount + 1000 WHERE account_id = $1 AND asset_symbol = $2', [accountId, asset]);
    const during = await balancesByAccounts(snapshot, [accountId]);
    expect(during.get(accountId)!.find((b) => b.assetSymbol === asset)!.amount.toFixed()).toBe(
      before.get(accountId)!.find((b) => b.assetSymbol === asset)!.amount.toFixed(),
    );
    await expect(snapshot.query('UPDATE balance SET amount = 0')).rejects.toThrow(/read-only/);
  } finally {
    await snapshot.release();
  }
  const after = await balancesByAccounts(t.db.pool, [accountId]);
  expect(after.get(accountId)!.find((b) => b.assetSymbol === asset)!.amount.minus(amount).toFixed()).toBe('1000');
});
