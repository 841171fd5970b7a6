/**
 * Margin checks and price writes are serialized by one transaction-scoped advisory lock, so a write decides on the
 * newest committed prices and no price can change between its check and its commit:
 * - a margin-checked write takes the lock SHARED (after locking its account row, before reading any price); its
 *   READ COMMITTED statements then read every price committed before it got the lock, and it holds the lock until
 *   it commits: a price write that arrives meanwhile waits for that commit (the write is ordered before it);
 * - a market-data write (mark or index price, funding index, implied volatility, a market's parameters or tiers)
 *   takes the lock EXCLUSIVE before changing anything and holds it until it commits: a margin check that arrives
 *   meanwhile waits, then reads the new data.
 * Margin checks do not wait for one another (shared), only for a price batch in progress, which is a short
 * transaction; price writes wait for the margin checks in flight. Market-data writes touch no account rows, so an
 * account lock (taken first by writes) and this lock cannot deadlock; a settlement, which does lock accounts, does
 * not take it.
 */
import type { Queryable } from './queryable';

/** Advisory lock key of the venue's prices (the seed and migration locks are 72707370 and 72707369). */
export const PRICE_LOCK_KEY = 72707371;

/** Margin checks: the prices read after this, in this transaction, stay the newest committed until it ends. */
export async function sharePriceLock(q: Queryable): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock_shared($1)', [PRICE_LOCK_KEY]);
}

/** Price writers: waits for the margin checks in flight, and holds new ones off until this transaction ends. */
export async function takePriceLock(q: Queryable): Promise<void> {
  await q.query('SELECT pg_advisory_xact_lock($1)', [PRICE_LOCK_KEY]);
}
