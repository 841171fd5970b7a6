/**
 * Shared by the benchmarks: a database to run against (BENCH_DATABASE_URL, or an embedded Postgres of their own in a
 * temporary folder, removed at the end), migrated; and small statistics helpers.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, type Pool } from 'pg';
import { loadConfig } from '../src/server/config';
import { startServer, type RunningServer } from '../src/server/http';
import { createLogger } from '../src/server/logger';
import { generateApiKey, insertApiKey } from '../src/store/api-key.repository';
import { createDatabase, type Database } from '../src/store/database';
import { startEmbeddedPostgres } from '../src/store/embedded-postgres';
import { migrate } from '../src/store/migrate';

export interface BenchDatabase {
  readonly url: string;
  readonly db: Database;
  stop(): Promise<void>;
}

/** A fresh database `name` on BENCH_DATABASE_URL's server, or on an embedded Postgres in a temp folder. */
export async function startBenchDatabase(name: string, poolMax = 20): Promise<BenchDatabase> {
  let serverUrl = process.env.BENCH_DATABASE_URL;
  let stopEmbedded: (() => Promise<void>) | null = null;
  let dir: string | null = null;
  if (!serverUrl) {
    dir = mkdtempSync(path.join(os.tmpdir(), 'risk-bench-pg-'));
    chmodSync(dir, 0o755);
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data') });
    serverUrl = embedded.url;
    stopEmbedded = () => embedded.stop();
  }
  const adminUrl = new URL(serverUrl);
  adminUrl.pathname = '/postgres';
  const admin = new Client({ connectionString: adminUrl.toString() });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  const db = createDatabase({ url: url.toString(), maxConnections: poolMax });
  await migrate(db.pool);
  return {
    url: url.toString(),
    db,
    async stop() {
      await db.close();
      if (stopEmbedded) await stopEmbedded();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function ratio(x: number, baseline: number): string {
  return `${(x / baseline).toFixed(3)}x`;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await fn();
  return { ms: Number(process.hrtime.bigint() - started) / 1e6, value };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/**
 * The benches' baseline: stream the non-flat position rows (of the accounts holding `market`, when given) to this
 * client through a server-side cursor, 10,000 per fetch, in one REPEATABLE READ snapshot. Returns the row count.
 */
export async function streamPositionRows(pool: Pool, market: string | null = null): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const exposed = market === null ? '' : ' AND account_id IN (SELECT account_id FROM position WHERE market_symbol = $1 AND size <> 0)';
    await client.query(
      `DECLARE positions NO SCROLL CURSOR FOR SELECT id, account_id, market_symbol, size, entry_price, realized_pnl,
        funding_index, margin_type, isolated_margin, leverage, version FROM position
        WHERE size <> 0${exposed} ORDER BY account_id, market_symbol`,
      market === null ? [] : [market],
    );
    let rows = 0;
    for (;;) {
      const r = await client.query('FETCH 10000 FROM positions');
      rows += r.rows.length;
      if (r.rows.length === 0) break;
    }
    await client.query('COMMIT');
    return rows;
  } finally {
    client.release();
  }
}

/** The service on `db` (production settings, loopback, a free port) with a fresh API key of `role`, and a client. */
export async function startBenchServer(
  db: Database,
  role: 'ADMIN' | 'MONITOR',
): Promise<{ server: RunningServer; gql: (query: string, variables?: Record<string, unknown>) => Promise<any> }> {
  const { key } = generateApiKey();
  await insertApiKey(db.pool, { key, role, brokerId: null, label: 'bench' });
  const config = { ...loadConfig({ NODE_ENV: 'production' }), host: '127.0.0.1', port: 0 };
  const server = await startServer({ config, db, logger: createLogger('silent') });
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };
  return { server, gql };
}
