/**
 * The service as a user starts it: `src/main.ts` in its own process with no DATABASE_URL starts an embedded Postgres
 * in its data folder, migrates, seeds once, serves; SIGTERM shuts it down cleanly; a restart on the same folder keeps
 * the data and does not seed again.
 */
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const MONITOR_KEY_LINE = /^\s*MONITOR\s+(\S+)/m;

/** The embedded default, on a data folder of its own; ready once the demo keys (printed after "ready") arrived. */
function startEmbedded(dataDir: string): Promise<ServiceProcess> {
  return startServiceProcess(
    { DATA_DIR: dataDir, EMBEDDED_PG_PORT: '0', LOG_LEVEL: 'info', DATABASE_URL: undefined, TEST_DATABASE_URL: undefined },
    (output) => MONITOR_KEY_LINE.test(output),
  );
}

/** The MONITOR demo key the service printed at start. */
function monitorKey(service: ServiceProcess): string {
  const match = MONITOR_KEY_LINE.exec(service.output());
  if (!match) throw new Error(`no MONITOR demo key printed:\n${service.output()}`);
  return match[1]!;
}

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'risk-service-'));
  chmodSync(dir, 0o755);
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('starts on the embedded default, seeds once, shuts down on SIGTERM and keeps its data across restarts', async () => {
  const dataDir = path.join(dir, 'pg');
  const first = await startEmbedded(dataDir);
  let countBefore: number;
  try {
    expect(first.output()).toMatch(/seeded demo venue/);
    const ready = await fetch(first.url.replace('/graphql', '/readyz'));
    expect(ready.status).toBe(200);
    const res = await first.gql(monitorKey(first), '{ markets { symbol } accounts(first: 200) { edges { node { id } } } }');
    expect(res.data.markets.length).toBeGreaterThanOrEqual(5);
    countBefore = res.data.accounts.edges.length;
    expect(countBefore).toBe(200);
  } finally {
    expect(await first.stop()).toBe(0);
  }
  expect(first.output()).toMatch(/shut down cleanly/);

  const second = await startEmbedded(dataDir);
  try {
    expect(second.output()).not.toMatch(/seeded demo venue/);
    const res = await second.gql(monitorKey(second), '{ accounts(first: 200) { edges { node { id } } } }');
    expect(res.data.accounts.edges.length).toBe(countBefore);
  } finally {
    expect(await second.stop()).toBe(0);
  }
}, 240_000);
