/**
 * Rate limits (rate-limiter-flexible), per API key and per client address:
 * - requests: RATE_LIMIT_POINTS requests per RATE_LIMIT_DURATION_S per key, checked before the body is read;
 * - cost: RATE_LIMIT_COST_POINTS units of query cost (src/server/limits.ts: fields, pages and engine work) per
 *   RATE_LIMIT_DURATION_S per key, charged once the operation is known, before it runs;
 * - failed authentication: AUTH_FAILURE_LIMIT missing or invalid keys per AUTH_FAILURE_DURATION_S per client address;
 *   past it, the address is answered 429 without any key lookup.
 * RATE_LIMIT_STORE=memory keeps the counters in each process (N replicas allow N times the limits);
 * RATE_LIMIT_STORE=postgres keeps them in the shared database (table rate_limit, over the service's pool), so every
 * replica counts against the same limits; each Postgres limiter falls back to an in-process one while the database
 * cannot be reached.
 */
import { RateLimiterMemory, RateLimiterPostgres, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Database } from '../store/database';

export type RateLimitStore = 'memory' | 'postgres';

export interface RateLimitOptions {
  readonly store: RateLimitStore;
  readonly requestPoints: number;
  readonly costPoints: number;
  readonly durationS: number;
  readonly authFailures: number;
  readonly authFailureDurationS: number;
}

export interface RateLimiters {
  readonly options: RateLimitOptions;
  readonly requests: RateLimiterAbstract;
  readonly cost: RateLimiterAbstract;
  readonly authFailures: RateLimiterAbstract;
}

/** The table of the Postgres store (rate-limiter-flexible's layout). */
export const RATE_LIMIT_TABLE = 'rate_limit';
const TABLE_LOCK_KEY = 72707372;

async function createTable(db: Database): Promise<void> {
  // Replicas start together: one creates the table, under a transaction advisory lock.
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [TABLE_LOCK_KEY]);
    await client.query(`CREATE TABLE IF NOT EXISTS ${RATE_LIMIT_TABLE} (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export async function createRateLimiters(db: Database, options: RateLimitOptions): Promise<RateLimiters> {
  const make = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    if (options.store === 'memory') return memory;
    return new RateLimiterPostgres({
      storeClient: db.pool,
      storeType: 'pool',
      tableName: RATE_LIMIT_TABLE,
      tableCreated: true,
      clearExpiredByTimeout: true,
      keyPrefix,
      points,
      duration,
      insuranceLimiter: memory,
    });
  };
  if (options.store === 'postgres') await createTable(db);
  return {
    options,
    requests: make('requests', options.requestPoints, options.durationS),
    cost: make('cost', options.costPoints, options.durationS),
    authFailures: make('auth-failures', options.authFailures, options.authFailureDurationS),
  };
}
