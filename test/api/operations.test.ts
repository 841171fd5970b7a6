/**
 * Operations: one structured log line per request (request id, operation, status, duration; no secrets), graceful
 * shutdown that finishes in-flight requests and refuses new connections, /readyz during the drain, and /readyz when
 * Postgres goes away and comes back (an embedded Postgres of its own, in a child process).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import { Writable } from 'node:stream';
import { Client } from 'pg';
import { loadConfig, type Config } from '../../src/server/config';
import { startServer, type RunningServer } from '../../src/server/http';
import { createLogger } from '../../src/server/logger';
import { createTestKeys, type TestKeys } from '../helpers/api-server';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

/** GET over a brand-new TCP connection (no keep-alive reuse): status and body, or the connection error code. */
function freshGet(url: string): Promise<{ status: number; body: string } | { error: string }> {
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? e.message }));
  });
}

function post(url: string, key: string, query: string, headers: Record<string, string> = {}) {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, ...headers }, body: JSON.stringify({ query }) });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('in-process server', () => {
  let t: TestDatabase;
  let keys: TestKeys;
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      logs.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });

  beforeAll(async () => {
    t = await createTestDatabase('MIGRATED');
    keys = (await createTestKeys(t.db.pool)).keys;
  });
  afterAll(async () => {
    await t.drop();
  });

  async function start(extra: Partial<Config> = {}): Promise<RunningServer> {
    const config: Config = { ...loadConfig({ NODE_ENV: 'test' }), host: '127.0.0.1', port: 0, ...extra };
    return startServer({ config, db: t.db, logger: createLogger('info', sink) });
  }

  it('logs one JSON line per request with its id, operation, status and duration, and no secrets', async () => {
    const server = await start();
    try {
      const res = await post(server.url, keys.monitor.key, 'query OpsQuery { assets { symbol } }', { 'x-request-id': 'ops-req-1', authorization: `Bearer ${keys.admin.key}` });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-request-id')).toBe('ops-req-1');
      // Uncacheable, so no body hash is computed for an ETag.
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('etag')).toBeNull();
      await post(server.url, 'rk_wrong_key', '{ assets { symbol } }', { 'x-request-id': 'ops-req-2' });
      await sleep(50);
      const lines = logs.map((l) => JSON.parse(l));
      const line = lines.find((l) => l.requestId === 'ops-req-1' && l.msg === 'request');
      expect(line).toMatchObject({ method: 'POST', route: '/graphql', status: 200, operationName: 'OpsQuery', operationType: 'query', role: 'MONITOR' });
      expect(typeof line.durationMs).toBe('number');
      expect(line.level).toBe(30);
      // pino-http's shape, as log pipelines expect it; no header is logged.
      expect(line.req).toEqual({ id: 'ops-req-1', method: 'POST', url: '/graphql' });
      expect(line.res).toEqual({ statusCode: 200 });
      expect(typeof line.responseTime).toBe('number');
      expect(JSON.stringify(line)).not.toMatch(/headers|authorization|x-api-key/i);
      const denied = lines.find((l) => l.requestId === 'ops-req-2' && l.msg === 'request');
      expect(denied).toMatchObject({ status: 401, errorCodes: ['UNAUTHENTICATED'] });
      const all = logs.join('\n');
      expect(all).not.toContain(keys.monitor.key);
      expect(all).not.toContain(keys.admin.key);
    } finally {
      await server.stop();
    }
  });

  it('redacts keys and authorization headers from anything logged', () => {
    const out: string[] = [];
    const logger = createLogger('info', new Writable({ write: (c, _e, d) => (out.push(String(c)), d()) }));
    logger.info({ headers: { authorization: 'Bearer rk_secret_1', 'x-api-key': 'rk_secret_2' }, apiKey: 'rk_secret_3', req: { headers: { authorization: 'x' } } }, 'x');
    expect(out.join('')).not.toMatch(/rk_secret|"authorization":"x"/);
    expect(out.join('')).toContain('[redacted]');
  });

  it('finishes an in-flight request after stop() begins, and refuses new connections', async () => {
    const server = await start();
    const locker = new Client({ connectionString: t.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE asset IN ACCESS EXCLUSIVE MODE');
      // Blocks on the lock: in flight.
      const slow = post(server.url, keys.monitor.key, '{ assets { symbol } }');
      await sleep(300);
      const stopped = server.stop();
      let refused: { error?: string } = {};
      for (let i = 0; i < 40; i++) {
        refused = (await freshGet(`${server.url.replace('/graphql', '')}/livez`)) as { error?: string };
        if (refused.error === 'ECONNREFUSED') break;
        await sleep(50);
      }
      expect(refused.error).toBe('ECONNREFUSED');
      await locker.query('COMMIT');
      const res = await slow;
      expect(res.status).toBe(200);
      const body = (await res.json()) as { data: { assets: unknown[] } };
      expect(Array.isArray(body.data.assets)).toBe(true);
      await stopped;
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      await locker.end();
    }
  });

  it('answers /readyz 503 while draining, still serving, then closes', async () => {
    const server = await start({ shutdownDrainDelayMs: 1500 });
    const base = server.url.replace('/graphql', '');
    expect(await freshGet(`${base}/readyz`)).toMatchObject({ status: 200 });
    const stopped = server.stop();
    const ready = await freshGet(`${base}/readyz`);
    expect(ready).toMatchObject({ status: 503 });
    expect((ready as { body: string }).body).toContain('draining');
    expect(server.isDraining()).toBe(true);
    // Still serving during the delay.
    const res = await post(server.url, keys.monitor.key, '{ assets { symbol } }');
    expect(res.status).toBe(200);
    await stopped;
    expect(await freshGet(`${base}/readyz`)).toEqual({ error: 'ECONNREFUSED' });
  });
});

describe('readiness when Postgres goes away and comes back', () => {
  let child: ChildProcessWithoutNullStreams;
  let lines: AsyncIterableIterator<string>;

  async function nextLine(): Promise<string> {
    const { value, done } = await lines.next();
    if (done) throw new Error('child exited');
    return value;
  }
  async function command(c: string): Promise<void> {
    child.stdin.write(`${c}\n`);
    expect(await nextLine()).toBe(`ok ${c}`);
  }

  afterAll(async () => {
    if (child && child.exitCode === null) {
      child.stdin.write('exit\n');
      await new Promise((r) => child.once('exit', r));
    }
  });

  it('says 503 while the database is down (GraphQL answers a clean error), 200 again once it is back', async () => {
    const root = path.resolve(__dirname, '../..');
    child = spawn(process.execPath, [path.join(root, 'node_modules/tsx/dist/cli.mjs'), 'test/helpers/readyz-child.ts'], { cwd: root, env: { ...process.env } });
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    const first = await nextLine().catch((e) => {
      throw new Error(`${(e as Error).message}: ${stderr}`);
    });
    const { url, key } = JSON.parse(first) as { url: string; key: string };
    const base = url.replace('/graphql', '');
    const query = async () => {
      const res = await post(url, key, '{ assets { symbol } }');
      return { status: res.status, body: (await res.json()) as { data?: { assets: unknown[] }; errors?: { extensions?: { code?: string } }[] } };
    };

    expect(await freshGet(`${base}/readyz`)).toMatchObject({ status: 200 });
    expect((await query()).status).toBe(200);

    await command('stop-pg');
    const down = await freshGet(`${base}/readyz`);
    expect(down).toMatchObject({ status: 503 });
    expect((down as { body: string }).body).toContain('database unreachable');
    const failed = await query();
    expect(failed.status).toBe(503);
    expect(failed.body.errors?.[0]?.extensions?.code).toBe('UNAVAILABLE');
    expect(await freshGet(`${base}/livez`)).toMatchObject({ status: 200 });

    await command('restart-pg');
    let back: { status?: number } = {};
    for (let i = 0; i < 50; i++) {
      back = (await freshGet(`${base}/readyz`)) as { status?: number };
      if (back.status === 200) break;
      await sleep(100);
    }
    expect(back.status).toBe(200);
    const again = await query();
    expect(again.status).toBe(200);
    expect(Array.isArray(again.body.data?.assets)).toBe(true);

    child.stdin.write('exit\n');
    expect(await nextLine()).toBe('ok exit');
  }, 120_000);
});
