/**
 * Jest global setup: a real Postgres for the store and API tests. Default: an embedded Postgres in a temporary
 * folder (no setup needed). TEST_DATABASE_URL (or DATABASE_URL) points the tests at another server instead; the
 * user must be allowed to create databases there.
 */
import { chmodSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createDatabase } from '../src/store/database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/store/embedded-postgres';
import { migrate } from '../src/store/migrate';
import { seedDemoVenue } from '../src/store/seed';
import { ENV_ADMIN_URL, TEMPLATE_MIGRATED, TEMPLATE_SEEDED, withDatabase } from './helpers/test-database';

declare global {
  // eslint-disable-next-line no-var
  var __RISK_EMBEDDED__: EmbeddedDatabase | undefined;
}

/** Fixed evaluation-time anchor of the seeded template, exported to tests through the environment. */
export const SEED_NOW_ENV = 'RISK_TEST_SEED_NOW_MS';

async function prepareTemplate(serverUrl: string, name: string, fill: (url: string) => Promise<void>): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  await fill(withDatabase(serverUrl, name));
}

export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!serverUrl) {
    // The folder must be writable by the `postgres` OS user when tests run as root.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'risk-test-pg-'));
    chmodSync(dir, 0o755);
    const embedded = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data') });
    globalThis.__RISK_EMBEDDED__ = embedded;
    serverUrl = embedded.url;
  }
  serverUrl = withDatabase(serverUrl, 'postgres');
  process.env[ENV_ADMIN_URL] = serverUrl;
  const seedNowMs = Date.now();
  process.env[SEED_NOW_ENV] = String(seedNowMs);

  await prepareTemplate(serverUrl, TEMPLATE_MIGRATED, async (url) => {
    const db = createDatabase({ url, maxConnections: 2 });
    try {
      await migrate(db.pool);
    } finally {
      await db.close();
    }
  });
  await prepareTemplate(serverUrl, TEMPLATE_SEEDED, async (url) => {
    const db = createDatabase({ url, maxConnections: 2 });
    try {
      await migrate(db.pool);
      await seedDemoVenue(db.prisma, { nowMs: seedNowMs });
    } finally {
      await db.close();
    }
  });
}
