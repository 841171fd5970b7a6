/**
 * API benchmark in instructions: the same queries as bench/api.ts, each request's cost counted by valgrind's callgrind
 * (instructions executed by the service process: server and its in-process HTTP client) instead of timed. Timings on
 * these shared 2-core machines drift by ±25% between minutes, which hides a 10% change; instruction counts repeat
 * within a few per cent (what remains is JIT and GC timing), so an A/B of a change is readable from one run each.
 * Instructions are not time (cache misses and GC pauses cost more than their instruction count), so this complements
 * bench/api.ts, it does not replace it. Ratios are against the baseline query measured in the same run, twice (first
 * and last), and Postgres's own work is not counted (it runs outside the traced process).
 *
 *   npx tsx bench/instructions.ts [measured=200] [warmupRounds=600]      (npm run bench:instructions; ~15 minutes)
 * Needs valgrind (Debian package valgrind). Uses BENCH_DATABASE_URL when set, else an embedded Postgres.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { seedApiBench, type ApiBenchData } from './api-data';
import { startBenchDatabase } from './support';
import { runCompiledInstead } from './compiled';

runCompiledInstead(__filename);

type QueryName = keyof ApiBenchData['queries'];
/** Measurement order: the baseline first and last, so drift within the run shows. */
/** `scale`: share of the measured request count (the liquidation query is ~3x as long to count). */
const PLAN: readonly { readonly query: QueryName; readonly label: string; readonly scale: number }[] = [
  { query: 'baseline', label: 'baseline (first)', scale: 1 },
  { query: 'riskFigures', label: 'account risk, figures + breakdown', scale: 1 },
  { query: 'riskWithLiquidation', label: 'account risk, with liquidation prices', scale: 0.5 },
  { query: 'baseline', label: 'baseline (last)', scale: 1 },
];

interface WorkerInput {
  readonly databaseUrl: string;
  readonly data: ApiBenchData;
  readonly measured: number;
  readonly warmup: number;
  readonly outDir: string;
}

/** Instructions of the newest callgrind dump of this process (the `summary:` line). */
function lastDumpInstructions(outDir: string): number {
  const prefix = `cg.${process.pid}.`;
  const parts = readdirSync(outDir)
    .filter((f) => f.startsWith(prefix))
    .map((f) => Number(f.slice(prefix.length)))
    .filter(Number.isInteger);
  const newest = path.join(outDir, `${prefix}${Math.max(...parts)}`);
  const match = /^summary: (\d+)$/m.exec(readFileSync(newest, 'utf8'));
  if (!match) throw new Error(`no summary in ${newest}`);
  return Number(match[1]);
}

/** Runs inside valgrind: serves the queries in-process and counts each measured phase. */
async function worker(input: WorkerInput): Promise<void> {
  await import('./production-mode');
  const { loadConfig } = await import('../src/server/config');
  const { startServer } = await import('../src/server/http');
  const { createLogger } = await import('../src/server/logger');
  const { createDatabase } = await import('../src/store/database');
  const db = createDatabase({ url: input.databaseUrl, maxConnections: 4 });
  const config = { ...loadConfig({ NODE_ENV: 'production' }), host: '127.0.0.1', port: 0, rateLimitPoints: 1e9 };
  const server = await startServer({ config, db, logger: createLogger('silent') });
  const url = new URL(server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const send = (body: string) =>
    new Promise<void>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          path: url.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'x-api-key': input.data.key, 'content-length': Buffer.byteLength(body) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode !== 200 || text.includes('"errors"')) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
            else resolve();
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  // Warm-up rounds send every query (the liquidation query every other round): the JIT and the caches reach the
  // state of a server answering all of them before anything is counted, so no query is measured on code that a later
  // query's warm-up would still optimize.
  for (let i = 0; i < input.warmup; i++) {
    await send(input.data.queries.baseline);
    await send(input.data.queries.riskFigures);
    if (i % 2 === 0) await send(input.data.queries.riskWithLiquidation);
  }
  const results: { label: string; instructions: number }[] = [];
  for (const step of PLAN) {
    const body = input.data.queries[step.query];
    const measured = Math.max(1, Math.round(input.measured * step.scale));
    // A full collection first, so no phase is charged for collecting the previous phase's garbage (callgrind counts
    // the collector's helper threads too).
    (globalThis as { gc?: () => void }).gc?.();
    for (let i = 0; i < 20; i++) await send(body);
    execFileSync('callgrind_control', ['--zero', String(process.pid)], { stdio: 'ignore' });
    for (let i = 0; i < measured; i++) await send(body);
    execFileSync('callgrind_control', ['--dump=measured', String(process.pid)], { stdio: 'ignore' });
    results.push({ label: step.label, instructions: lastDumpInstructions(input.outDir) / measured });
  }
  agent.destroy();
  await server.stop();
  await db.close();
  process.stdout.write(`RESULTS ${JSON.stringify(results)}\n`);
}

async function main(): Promise<void> {
  const measured = Number(process.argv[2] ?? 200);
  const warmup = Number(process.argv[3] ?? 600);
  if (spawnSync('valgrind', ['--version']).status !== 0) {
    console.error('valgrind is not installed (Debian: apt-get install valgrind)');
    process.exit(1);
  }
  const bench = await startBenchDatabase('bench_instructions');
  const outDir = mkdtempSync(path.join(os.tmpdir(), 'risk-bench-callgrind-'));
  try {
    const data = await seedApiBench(bench.db);
    const inputFile = path.join(outDir, 'input.json');
    writeFileSync(inputFile, JSON.stringify({ databaseUrl: bench.url, data, measured, warmup, outDir } satisfies WorkerInput));
    process.stderr.write(`counting under callgrind (${warmup} warm-up rounds of every query, then ${measured} measured requests per query; ~15 minutes)…\n`);
    const child = spawn(
      'valgrind',
      ['--tool=callgrind', `--callgrind-out-file=${path.join(outDir, 'cg.%p')}`, process.execPath, '--expose-gc', '--import', 'tsx', __filename, '--worker', inputFile],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    const line = out.split('\n').find((l) => l.startsWith('RESULTS '));
    if (code !== 0 || !line) throw new Error(`callgrind run failed (exit ${code}):\n${err.split('\n').filter((l) => !l.startsWith('==')).join('\n').slice(-3000)}`);
    const results = JSON.parse(line.slice('RESULTS '.length)) as { label: string; instructions: number }[];
    const baseline = (results[0]!.instructions + results[results.length - 1]!.instructions) / 2;
    console.log(`API benchmark in instructions (callgrind): ${measured} measured requests per query after ${warmup} warm-up rounds of every query, one connection`);
    for (const r of results) {
      const ratio = baseline / r.instructions;
      console.log(`${r.label.padEnd(40)} ${(r.instructions / 1e6).toFixed(2).padStart(7)}M instructions/request  baseline/query ${ratio.toFixed(3)}x`);
    }
  } finally {
    rmSync(outDir, { recursive: true, force: true });
    await bench.stop();
  }
}

if (process.argv[2] === '--worker') {
  worker(JSON.parse(readFileSync(process.argv[3]!, 'utf8')) as WorkerInput).catch((error) => {
    console.error(error);
    process.exit(1);
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
