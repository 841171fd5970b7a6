/**
 * Idempotency records under concurrency on a real Postgres: the claim is an INSERT inside the write's transaction,
 * so a concurrent retry of the same key waits for the first and then replays it (or takes over if it rolled back).
 */
import { claimIdempotencyKey, storeIdempotentResponse } from '../../src/store/idempotency.repository';
import { inWriteTransaction, rollback } from '../../src/store/write-transaction';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('MIGRATED');
});
afterAll(async () => {
  await database?.drop();
});

const claim = (key: string, requestHash = 'h1') => ({ scope: 'key:test', key, operation: 'deposit', requestHash });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('replays a committed response, and answers CONFLICT for another input', async () => {
  await inWriteTransaction(database.db.pool, async (tx) => {
    const c = await claimIdempotencyKey(tx, claim('a'));
    expect(c.status).toBe('NEW');
    if (c.status === 'NEW') await storeIdempotentResponse(tx, c.id, { ok: 1 });
  });
  const replay = await inWriteTransaction(database.db.pool, (tx) => claimIdempotencyKey(tx, claim('a')));
  expect(replay).toEqual({ status: 'REPLAY', response: { ok: 1 } });
  const conflict = await inWriteTransaction(database.db.pool, (tx) => claimIdempotencyKey(tx, claim('a', 'h2')));
  expect(conflict).toEqual({ status: 'CONFLICT', operation: 'deposit' });
});

it('makes a concurrent claim wait for the first transaction, then replay it', async () => {
  const order: string[] = [];
  const first = inWriteTransaction(database.db.pool, async (tx) => {
    const c = await claimIdempotencyKey(tx, claim('b'));
    order.push(`first:${c.status}`);
    await sleep(300);
    if (c.status === 'NEW') await storeIdempotentResponse(tx, c.id, { n: 1 });
    order.push('first:commit');
  });
  await sleep(50);
  const second = inWriteTransaction(database.db.pool, async (tx) => {
    const c = await claimIdempotencyKey(tx, claim('b'));
    order.push(`second:${c.status}`);
    return c;
  });
  const [, result] = await Promise.all([first, second]);
  expect(order).toEqual(['first:NEW', 'first:commit', 'second:REPLAY']);
  expect(result).toEqual({ status: 'REPLAY', response: { n: 1 } });
});

it('lets a concurrent claim take over when the first transaction rolls back', async () => {
  const first = inWriteTransaction(database.db.pool, async (tx) => {
    await claimIdempotencyKey(tx, claim('c'));
    await sleep(200);
    return rollback('refused');
  });
  await sleep(50);
  const second = inWriteTransaction(database.db.pool, (tx) => claimIdempotencyKey(tx, claim('c')));
  const [refused, taken] = await Promise.all([first, second]);
  expect(refused).toBe('refused');
  expect(taken.status).toBe('NEW');
});
