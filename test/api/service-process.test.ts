/**
 * The service as a user starts it: `src/main.ts` in its own process with no DATABASE_URL starts an embedded Postgres
 * in its data folder, migrates, seeds once, serves; SIGTERM shuts it down cleanly; a restart on the same folder keeps
 * the data and does not seed again.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const READY = /Margin risk API ready: (http:\/\/\S+)/;

interface Service {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

function startService(dataDir: string): Promise<Service> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', EMBEDDED_PG_PORT: '0', LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  delete env.TEST_DATABASE_URL;
  // One process (node with tsx's loader), so SIGTERM reaches the service itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output}`)), 90_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = READY.exec(output);
      // Ready, and the demo keys (printed right after the ready line) have arrived too.
      if (match && /^\s*MONITOR\s+\S+/m.test(output)) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${output}`));
    });
  });
}

/** SIGTERM, then the exit code; fails with the service's output if it has not exited within 40 s. */
function stopService(service: Service): Promise<number | null> {
  return new Promise((resolve, reject) => {
    service.child.removeAllListeners('exit');
    if (service.child.exitCode !== null) {
      resolve(service.child.exitCode);
      return;
    }
    const timer = setTimeout(() => {
      service.child.kill('SIGKILL');
      reject(new Error(`service did not exit after SIGTERM:\n${service.output()}`));
    }, 40_000);
    service.child.on('exit', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
    service.child.kill('SIGTERM');
  });
}

/** The MONITOR demo key the service printed at start. */
function monitorKey(output: string): string {
  const match = /^\s*MONITOR\s+(\S+)/m.exec(output);
  if (!match) throw new Error(`no MONITOR demo key printed:\n${output}`);
  return match[1]!;
}

async function query(service: Service, q: string): Promise<any> {
  const response = await fetch(service.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': monitorKey(service.output()) },
    body: JSON.stringify({ query: q }),
  });
  return response.json();
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
  const first = await startService(dataDir);
  let countBefore: number;
  try {
    expect(first.output()).toMatch(/seeded demo venue/);
    const ready = await fetch(first.url.replace('/graphql', '/readyz'));
    expect(ready.status).toBe(200);
    const res = await query(first, '{ markets { symbol } accounts(first: 200) { edges { node { id } } } }');
    expect(res.data.markets.length).toBeGreaterThanOrEqual(5);
    countBefore = res.data.accounts.edges.length;
    expect(countBefore).toBe(200);
  } finally {
    expect(await stopService(first)).toBe(0);
  }
  expect(first.output()).toMatch(/shut down cleanly/);

  const second = await startService(dataDir);
  try {
    expect(second.output()).not.toMatch(/seeded demo venue/);
    const res = await query(second, '{ accounts(first: 200) { edges { node { id } } } }');
    expect(res.data.accounts.edges.length).toBe(countBefore);
  } finally {
    expect(await stopService(second)).toBe(0);
  }
}, 240_000);
