/**
 * Shared by the benchmarks: a database to run against (BENCH_DATABASE_URL, or an embedded Postgres of their own in a
 * temporary folder, removed at the end), migrated; and small statistics helpers.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
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
