/**
 * Write transactions: READ COMMITTED on one pooled connection, committed when the callback returns a value and
 * rolled back when it returns `rollback(value)` or throws. Deadlocks and serialization failures (which row locks
 * make rare, but a concurrent updatePrices batch can still hit) are retried a few times from the start.
 */
import type { Pool, PoolClient, QueryResultRow } from 'pg';
import { checkOut } from './pooled-client';
import type { Queryable, QueryText } from './queryable';

export class Rollback<T> {
  constructor(readonly value: T) {}
}

/** Ends the transaction without writing anything, and makes `inWriteTransaction` return `value`. */
export function rollback<T>(value: T): Rollback<T> {
  return new Rollback(value);
}

const RETRYABLE = new Set(['40001', '40P01']);
const MAX_ATTEMPTS = 4;
/** A write waits at most this long for a row lock (another write on the same account) before failing. */
export const LOCK_TIMEOUT_MS = 15_000;

/**
 * The transaction's connection as a Queryable whose queries run one after another (repositories fire several
 * reads at once with Promise.all; one pg connection takes one query at a time).
 */
export class TransactionClient implements Queryable {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly client: PoolClient) {}

  query<R extends QueryResultRow = QueryResultRow>(text: QueryText, values?: unknown[]): Promise<{ rows: R[] }> {
    const run = this.queue.then(() => this.client.query<R>(text, values));
    this.queue = run.catch(() => undefined);
    return run;
  }
}

export async function inWriteTransaction<T>(pool: Pool, fn: (tx: TransactionClient) => Promise<T | Rollback<T>>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const held = await checkOut(pool);
    const client = held.client;
    let broken: Error | undefined;
    try {
      await client.query('BEGIN ISOLATION LEVEL READ COMMITTED');
      await client.query(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT_MS}ms'`);
      const result = await fn(new TransactionClient(client));
      if (result instanceof Rollback) {
        await client.query('ROLLBACK');
        return result.value;
      }
      await client.query('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        broken = rollbackError as Error;
      }
      const code = (error as { code?: string }).code;
      if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) {
        await new Promise((resolve) => setTimeout(resolve, 5 * attempt + Math.random() * 20));
        continue;
      }
      throw error;
    } finally {
      held.release(broken);
    }
  }
}
