/**
 * Margin-checked writes decide on the newest committed prices (src/store/price-lock.ts): a price update committed
 * while a withdrawal waits for its account is what the withdrawal's check sees, and no price update can commit
 * between a margin check and its write's commit. Tenancy is part of the account's locking statement: another
 * broker's refused write never waits on the account's row lock.
 */
import { Client } from 'pg';
import { snapshotInTransaction } from '../../src/api/write';
import { evaluateAccount } from '../../src/risk';
import { lockAccount } from '../../src/store/account-write.repository';
import { inWriteTransaction } from '../../src/store/write-transaction';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { MUTATIONS, newKey, ok, setPrices } from '../helpers/writes';

let api: ApiHarness;
let account: string;
const P1 = '50000';

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED' });
  await setPrices(api, { 'BTC-PERP': P1 });
  account = (await ok(api, 'broker', 'createAccount', { externalRef: 'price-race' })).account.id;
  await ok(api, 'broker', 'deposit', { accountId: account, asset: 'USDC', amount: '1000' });
  await ok(api, 'broker', 'applyFill', { accountId: account, market: 'BTC-PERP', size: '0.1', price: P1 });
});
afterAll(async () => {
  await api.stop();
});

/** A client holding the account's row lock (as a concurrent write on the account would) until `release()`. */
async function holdAccountLock(id: string): Promise<{ release(): Promise<void> }> {
  const client = new Client({ connectionString: api.database.url });
  await client.connect();
  await client.query('BEGIN');
  await client.query('SELECT id FROM account WHERE id = $1 FOR UPDATE', [id]);
  return {
    async release() {
      await client.query('COMMIT');
      await client.end();
    },
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const settled = <T>(p: Promise<T>) => Promise.race([p.then(() => true), sleep(0).then(() => false)]);

async function maxWithdrawable(): Promise<string> {
  const res = await api.gqlAs('broker', 'query($id: ID!) { account(id: $id) { maxWithdrawable(asset: "USDC") { answer } } }', { id: account });
  return res.data!.account.maxWithdrawable.answer as string;
}

function updatePrice(price: string) {
  return api.gqlAs('oracle', MUTATIONS.updatePrices, {
    input: { idempotencyKey: newKey('price'), marks: [{ market: 'BTC-PERP', price, observedAt: new Date().toISOString() }], indexes: [] },
  });
}

it('a price update committed while a withdrawal waits for its account is respected by its margin check', async () => {
  await setPrices(api, { 'BTC-PERP': P1 });
  const max = Number(await maxWithdrawable());
  expect(max).toBeGreaterThan(100);
  const amount = (max - 10).toFixed(2);
  const lock = await holdAccountLock(account);
  const withdrawal = api.gqlAs('broker', MUTATIONS.withdraw, { input: { idempotencyKey: newKey('w'), accountId: account, asset: 'USDC', amount } });
  await sleep(300);
  expect(await settled(withdrawal)).toBe(false); // waiting for the account
  // 0.1 BTC long: a 2,000 drop costs 200 of equity, more than the 10 of headroom left.
  const update = await updatePrice('48000');
  expect(update.data?.updatePrices.userErrors).toEqual([]);
  await lock.release();
  const res = await withdrawal;
  expect(res.errors).toBeUndefined();
  expect(res.data!.withdraw.userErrors).toEqual([expect.objectContaining({ code: 'INSUFFICIENT_MARGIN' })]);
  expect(res.data!.withdraw.ledgerEntry).toBeNull();
});

it('a price update cannot commit between a margin check and the commit of its write', async () => {
  await setPrices(api, { 'BTC-PERP': P1 });
  let update: ReturnType<typeof updatePrice> | undefined;
  let updateDoneBeforeCommit = true;
  await inWriteTransaction(api.database.db.pool, async (tx) => {
    await lockAccount(tx, account);
    const risk = evaluateAccount(await snapshotInTransaction(tx, account, Date.now()));
    expect(risk.freeCollateral.isPositive()).toBe(true);
    update = updatePrice('47000');
    await sleep(700);
    updateDoneBeforeCommit = await settled(update);
    return null;
  });
  expect(updateDoneBeforeCommit).toBe(false);
  const res = await update!;
  expect(res.data?.updatePrices.userErrors).toEqual([]);
  expect(res.data?.updatePrices.marks[0]).toMatchObject({ price: '47000', applied: true });
});

it("another broker's refused write does not wait on the account's row lock", async () => {
  const lock = await holdAccountLock(account);
  try {
    const started = Date.now();
    const res = await api.gqlAs('otherBroker', MUTATIONS.withdraw, { input: { idempotencyKey: newKey('ob'), accountId: account, asset: 'USDC', amount: '1' } });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(res.data!.withdraw.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'accountId' })]);
    const dep = await api.gqlAs('otherBroker', MUTATIONS.deposit, { input: { idempotencyKey: newKey('od'), accountId: account, asset: 'USDC', amount: '1' } });
    expect(dep.data!.deposit.userErrors).toEqual([expect.objectContaining({ code: 'NOT_FOUND' })]);
  } finally {
    await lock.release();
  }
});
