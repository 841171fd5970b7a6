/**
 * One consistent snapshot per request: the first read of a request opens a REPEATABLE READ, READ ONLY
 * transaction on one pooled connection; every later read of that request (every DataLoader, the risk engine's
 * snapshot) sees the same database state. `release()` ends it when the response has been sent.
 */
import type { Pool, QueryResultRow } from 'pg';
import { checkOut, type CheckedOut } from './pooled-client';
import type { Queryable, QueryText } from './queryable';

/** The empty queue of a snapshot (nothing in flight). */
const SETTLED: Promise<unknown> = Promise.resolve();

export class ReadSnapshot implements Queryable {
  private client: Promise<CheckedOut> | null = null;
  private released = false;
  /** Queries of one connection run one after another (loaders fire in parallel; pg wants one at a time). */
  private queue: Promise<unknown> = SETTLED;

  constructor(private readonly pool: Pool) {}

  private connection(): Promise<CheckedOut> {
    if (this.released) return Promise.reject(new Error('read snapshot already released'));
    if (!this.client) {
      this.client = (async () => {
        const held = await checkOut(this.pool);
        try {
          await held.client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
        } catch (error) {
          held.release(error as Error);
          throw error;
        }
        return held;
      })();
      // A failed begin must not be cached as a rejected promise forever.
      this.client.catch(() => {
        this.client = null;
      });
    }
    return this.client;
  }

  async query<R extends QueryResultRow = QueryResultRow>(text: QueryText, values?: unknown[]): Promise<{ rows: R[] }> {
    const run = this.queue.then(async () => {
      const held = await this.connection();
      return held.client.query<R>(text, values);
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Ends the current snapshot, if one was opened, without releasing the object: the next read opens a fresh one
   * that sees everything committed since (a mutation's own write, for the reads that follow it).
   */
  async refresh(): Promise<void> {
    if (this.released) return;
    await this.endCurrent();
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.endCurrent();
  }

  /** Commits and returns the current snapshot's connection, if one was opened (after queued reads finish). */
  private async endCurrent(): Promise<void> {
    await this.queue;
    // The queue's promise holds the last query's result (rows, field descriptions): let it go with the request.
    this.queue = SETTLED;
    const pending = this.client;
    this.client = null;
    if (!pending) return;
    let held: CheckedOut;
    try {
      held = await pending;
    } catch {
      return;
    }
    try {
      await held.client.query('COMMIT');
      held.release();
    } catch (error) {
      held.release(error as Error);
    }
  }
}
