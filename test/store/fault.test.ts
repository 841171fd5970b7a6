/**
 * Faults under load (loopback only, bounded): two service processes (`src/main.ts`) on one Postgres of their own
 * (test/helpers/pg-cluster-child.ts), driven by concurrent reads and deposits, while the test
 *   1. terminates busy backends with pg_terminate_backend, round after round;
 *   2. shuts Postgres down immediately (SIGQUIT to the postmaster, as `pg_ctl stop -m immediate`) and starts it again.
 * Neither process may exit; every request gets an answer (a retryable 503 UNAVAILABLE when the database is away,
 * quickly); readiness goes 503 and back to 200; and every deposit that was acknowledged is in the database after.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import { Pool } from 'pg';
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const ROOT = path.resolve(__dirname, '../..');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Cluster {
  url: string;
  keys: Record<string, { key: string }>;
  accounts: string[];
}

let child: ChildProcessWithoutNullStreams;
let lines: AsyncIterableIterator<string>;
let cluster: Cluster;
let services: ServiceProcess[] = [];
let admin: Pool;

async function nextLine(): Promise<string> {
  const { value, done } = await lines.next();
  if (done) throw new Error('cluster child exited');
  return value;
}

async function command(c: string): Promise<void> {
  child.stdin.write(`${c}\n`);
  expect(await nextLine()).toBe(`ok ${c}`);
}

beforeAll(async () => {
  child = spawn(process.execPath, [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'test/helpers/pg-cluster-child.ts'], { cwd: ROOT, env: { ...process.env } });
  let stderr = '';
  child.stderr.on('data', (c) => (stderr += c));
  lines = readline.createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  cluster = JSON.parse(
    await nextLine().catch((e) => {
      throw new Error(`${(e as Error).message}: ${stderr}`);
    }),
  ) as Cluster;
  admin = new Pool({ connectionString: cluster.url, max: 2 });
  admin.on('error', () => undefined);
  const env = { DATABASE_URL: cluster.url, SEED_DEMO: 'false', LOG_LEVEL: 'warn', DB_POOL_MAX: '8', SWEEP_ENABLED: 'false' };
  services = await Promise.all([startServiceProcess(env), startServiceProcess(env)]);
  // Warm up (first requests compile the documents): the load below then measures steady answers.
  for (const s of services) {
    for (let i = 0; i < 3; i++) {
      await request(s.url, cluster.keys.broker!.key, READ, { id: cluster.accounts[0] });
      await request(s.url, cluster.keys.broker!.key, DEPOSIT, { input: { idempotencyKey: `warm-${i}-${Date.now()}`, accountId: cluster.accounts[0], asset: 'USDC', amount: '1' } });
    }
  }
}, 180_000);

afterAll(async () => {
  for (const s of services) await s.stop().catch(() => undefined);
  await admin?.end().catch(() => undefined);
  if (child && child.exitCode === null) {
    child.stdin.write('exit\n');
    await new Promise((r) => child.once('exit', r));
  }
}, 120_000);

const DEPOSIT = `mutation($input: DepositInput!) { deposit(input: $input) { userErrors { code } ledgerEntry { id } } }`;
const READ = `query($id: ID!) { account(id: $id) { id version balances { amount } risk { equity freeCollateral } } }`;

interface Outcome {
  status: number;
  ms: number;
  codes: string[];
  ledgerId?: string;
  write: boolean;
}

async function request(url: string, key: string, query: string, variables: Record<string, unknown>): Promise<Outcome> {
  const started = Date.now();
  const write = query === DEPOSIT;
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: JSON.stringify({ query, variables }),
      signal: AbortSignal.timeout(20_000),
    });
    const body = (await res.json()) as { data?: any; errors?: { extensions?: { code?: string } }[] };
    const codes = (body.errors ?? []).map((e) => e.extensions?.code ?? 'NO_CODE');
    const payload = body.data?.deposit;
    const ledgerId = res.status === 200 && codes.length === 0 && payload && payload.userErrors.length === 0 ? String(payload.ledgerEntry.id) : undefined;
    return { status: res.status, ms: Date.now() - started, codes, ledgerId, write };
  } catch (error) {
    return { status: 0, ms: Date.now() - started, codes: [`TRANSPORT:${(error as Error).name}`], write };
  }
}

/** Concurrent workers alternating deposits and risk reads over both services until `stop()`. */
function load(workers: number) {
  const outcomes: Outcome[] = [];
  let running = true;
  let n = 0;
  const worker = async (w: number) => {
    while (running) {
      n += 1;
      const service = services[n % services.length]!;
      const accountId = cluster.accounts[n % cluster.accounts.length]!;
      const key = cluster.keys.broker!.key;
      const outcome =
        n % 2 === 0
          ? await request(service.url, key, DEPOSIT, { input: { idempotencyKey: `fault-${w}-${n}-${Date.now()}`, accountId, asset: 'USDC', amount: '1' } })
          : await request(service.url, key, READ, { id: accountId });
      outcomes.push(outcome);
      if (outcome.status !== 200) await sleep(20);
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, w) => worker(w)));
  return {
    outcomes,
    async stop() {
      running = false;
      await done;
      return outcomes;
    },
  };
}

async function readyz(service: ServiceProcess): Promise<number> {
  try {
    const res = await fetch(service.url.replace('/graphql', '/readyz'), { signal: AbortSignal.timeout(5_000) });
    return res.status;
  } catch {
    return 0;
  }
}

/** Every acknowledged deposit's ledger entry is in the database. */
async function expectAcknowledgedWritesPresent(outcomes: Outcome[]): Promise<number> {
  const ids = outcomes.filter((o) => o.ledgerId).map((o) => o.ledgerId!);
  const { rows } = await admin.query<{ n: string }>(`SELECT count(*)::text AS n FROM ledger_entry WHERE id::text = ANY($1::text[])`, [ids]);
  expect(Number(rows[0]!.n)).toBe(ids.length);
  return ids.length;
}

function expectAlive(): void {
  for (const s of services) expect(s.child.exitCode).toBeNull();
}

/** Every answer is a success or a retryable UNAVAILABLE (503); none is a 5xx of another kind or lacks a code. */
function expectCleanOutcomes(outcomes: Outcome[]): void {
  for (const o of outcomes) {
    expect(o.status === 200 || o.status === 503).toBe(true);
    if (o.status === 503) expect(o.codes).toContain('UNAVAILABLE');
    for (const code of o.codes) expect(['UNAVAILABLE', 'STALE_PRICE', 'MISSING_PRICE']).toContain(code);
  }
}

it('survives busy backends terminated under load: no process exits, failed requests answer 503 UNAVAILABLE, acknowledged writes are kept', async () => {
  const running = load(6);
  await sleep(1_000);
  let terminated = 0;
  for (let round = 0; round < 12; round++) {
    const { rows } = await admin.query<{ ok: boolean }>(
      `SELECT pg_terminate_backend(pid) AS ok FROM pg_stat_activity
       WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend' AND state <> 'idle'`,
    );
    terminated += rows.filter((r) => r.ok).length;
    await sleep(150);
  }
  await sleep(1_000);
  const outcomes = await running.stop();
  expectAlive();
  expect(terminated).toBeGreaterThan(0);
  expectCleanOutcomes(outcomes);
  const acknowledged = await expectAcknowledgedWritesPresent(outcomes);
  expect(acknowledged).toBeGreaterThan(10);
  // The pools recovered: both services answer reads and writes again.
  for (const s of services) {
    expect(await readyz(s)).toBe(200);
    const after = await request(s.url, cluster.keys.broker!.key, READ, { id: cluster.accounts[0] });
    expect(after.status).toBe(200);
  }
}, 120_000);

it('survives Postgres stopped immediately and restarted under load: quick retryable errors in the outage, readiness 503 then 200', async () => {
  const running = load(6);
  await sleep(1_000);
  const before = running.outcomes.length;
  await command('stop-immediate');
  const stoppedAt = running.outcomes.length;
  await sleep(1_500);
  for (const s of services) expect(await readyz(s)).toBe(503);
  const duringOutage = running.outcomes.slice(stoppedAt);
  await command('start');
  const restartedAt = running.outcomes.length;
  let ready = false;
  for (let i = 0; i < 100 && !ready; i++) {
    ready = (await Promise.all(services.map(readyz))).every((s) => s === 200);
    if (!ready) await sleep(200);
  }
  expect(ready).toBe(true);
  await sleep(1_500);
  const outcomes = await running.stop();
  expectAlive();
  expectCleanOutcomes(outcomes);
  // Requests in the outage were answered quickly with UNAVAILABLE.
  expect(duringOutage.length).toBeGreaterThan(5);
  for (const o of duringOutage) {
    if (o.status === 503) expect(o.ms).toBeLessThan(6_000);
  }
  expect(duringOutage.filter((o) => o.status === 503).length).toBeGreaterThan(0);
  // After the restart, writes are acknowledged again.
  expect(outcomes.slice(restartedAt).some((o) => o.ledgerId)).toBe(true);
  expect(before).toBeGreaterThan(0);
  await expectAcknowledgedWritesPresent(outcomes);
}, 150_000);
