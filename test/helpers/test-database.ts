/**
 * Test databases on a real Postgres. Global setup (test/global-setup.ts) starts an embedded Postgres, or uses
 * TEST_DATABASE_URL / DATABASE_URL when set, and prepares two template databases (migrated, and migrated + demo
 * seed). Each test file clones the one it needs, so files never share state.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createDatabase, type Database } from '../../src/store/database';

export const TEMPLATE_MIGRATED = 'risk_template_migrated';
export const TEMPLATE_SEEDED = 'risk_template_seeded';
export const ENV_ADMIN_URL = 'RISK_TEST_ADMIN_URL';

/** URL of the same server with another database name. */
export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export function adminUrl(): string {
  const url = process.env[ENV_ADMIN_URL];
  if (!url) throw new Error(`${ENV_ADMIN_URL} is not set: run tests through jest (global setup prepares the database)`);
  return url;
}

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  readonly db: Database;
  drop(): Promise<void>;
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database cloned from a template (`seeded` = with the demo venue). */
export async function createTestDatabase(
  kind: 'MIGRATED' | 'SEEDED' | 'EMPTY' = 'MIGRATED',
  options: { onQuery?: (sql: string) => void; poolMax?: number } = {},
): Promise<TestDatabase> {
  const name = `risk_test_${randomBytes(6).toString('hex')}`;
  const template = kind === 'SEEDED' ? TEMPLATE_SEEDED : kind === 'MIGRATED' ? TEMPLATE_MIGRATED : 'template0';
  await admin((client) => client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`));
  const url = withDatabase(adminUrl(), name);
  const db = createDatabase({ url, onQuery: options.onQuery, maxConnections: options.poolMax ?? 10 });
  return {
    url,
    name,
    db,
    async drop() {
      await db.close();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
