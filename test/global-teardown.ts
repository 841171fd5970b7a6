/**
 * Stops the embedded Postgres of the test run, or, on an external server (TEST_DATABASE_URL), drops the template
 * databases the run created.
 */
import { Client } from 'pg';
import { ENV_ADMIN_URL, TEMPLATE_MIGRATED, TEMPLATE_SEEDED } from './helpers/test-database';

export default async function globalTeardown(): Promise<void> {
  const embedded = globalThis.__RISK_EMBEDDED__;
  if (embedded) {
    await embedded.stop();
    return;
  }
  const url = process.env[ENV_ADMIN_URL];
  if (!url) return;
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    for (const name of [TEMPLATE_MIGRATED, TEMPLATE_SEEDED]) await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
