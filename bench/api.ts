/**
 * API benchmark: throughput and p99 latency of a full account risk query against a baseline measured on the same
 * server in the same run: `market(symbol) { symbol }`, which reads one row with one SQL statement (inside the
 * request's read snapshot, like every query). Prints ratios against the baseline.
 *
 * The data set (an account with 10 positions and 3 collateral assets) and the queries are in bench/api-data.ts. Two
 * risk queries are measured: with liquidation prices (per position and per underlying, the engine's expensive part)
 * and without them.
 *
 *   npx tsx bench/api.ts [durationSeconds=3] [connections=10] [rounds=12]
 * Uses BENCH_DATABASE_URL when set, else an embedded Postgres in a temporary folder.
 */
import './production-mode'; // first: before anything loads graphql-js
import { loadConfig } from '../src/server/config';
import { startServer } from '../src/server/http';
import { createLogger } from '../src/server/logger';
import { seedApiBench } from './api-data';
import { startBenchDatabase } from './support';
import { runCompiledInstead } from './compiled';
import { PerformanceObserver } from 'node:perf_hooks';

runCompiledInstead(__filename);

interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p99: number; average: number };
  non2xx: number;
  errors: number;
}
// autocannon ships no type declarations.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Promise<AutocannonResult>;

// Many short rounds rather than a few long ones: the shared cores drift from minute to minute, and the median of
// twelve interleaved rounds moves less from run to run than that of three.
const DURATION = Number(process.argv[2] ?? 3);
const CONNECTIONS = Number(process.argv[3] ?? 10);
const ROUNDS = Number(process.argv[4] ?? 12);
const WARMUP_SECONDS = 4;

/** Garbage-collection pauses of this process so far, ms (every kind: scavenges and full collections). */
let gcMs = 0;
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcMs += entry.duration;
}).observe({ entryTypes: ['gc'] });

async function main(): Promise<void> {
  const bench = await startBenchDatabase('bench_api');
  try {
    const { key, queries } = await seedApiBench(bench.db);
    const config = { ...loadConfig({ NODE_ENV: 'production' }), host: '127.0.0.1', port: 0, rateLimitPoints: 1e9, rateLimitCostPoints: 1e12 };
    const server = await startServer({ config, db: bench.db, logger: createLogger('silent') });
    const headers = { 'content-type': 'application/json', 'x-api-key': key };
    // Sanity: each query answers without errors.
    for (const [name, b] of Object.entries(queries)) {
      const res = await fetch(server.url, { method: 'POST', headers, body: b });
      const json = (await res.json()) as { errors?: unknown[]; data?: { account?: { risk?: { breakdown?: { positions: unknown[] } } } } };
      if (json.errors) throw new Error(`${name}: ${JSON.stringify(json.errors)}`);
      if (name !== 'baseline') process.stderr.write(`${name}: ${json.data?.account?.risk?.breakdown?.positions.length} positions\n`);
    }
    const run = async (name: string, b: string) => {
      await autocannon({ url: server.url, method: 'POST', headers, body: b, connections: CONNECTIONS, duration: 2 }); // warm-up
      const cpu0 = process.cpuUsage();
      const gc0 = gcMs;
      const r = await autocannon({ url: server.url, method: 'POST', headers, body: b, connections: CONNECTIONS, duration: DURATION });
      const cpu = process.cpuUsage(cpu0);
      await new Promise((resolve) => setImmediate(resolve)); // the observer's last entries of the run
      if (r.non2xx || r.errors) throw new Error(`${name}: ${r.non2xx} non-2xx, ${r.errors} errors`);
      // CPU of this process (server and load generator) per request: steadier than throughput on shared cores.
      const cpuUs = cpu.user + cpu.system;
      return { rps: r.requests.average, p99: r.latency.p99, cpuPerRequest: cpuUs / r.requests.total, gcShare: ((gcMs - gc0) * 1000) / cpuUs };
    };
    // Rounds interleave the baseline with the risk queries, so a slow spell of the shared machine hits both; each
    // round's ratios are against that round's baseline, and the median round is reported with the range.
    const rounds: {
      full: number; figures: number; fullP99: number; figuresP99: number; fullCpu: number; figuresCpu: number;
      baselineGc: number; fullGc: number; figuresGc: number;
    }[] = [];
    // Warm the whole process (JIT, caches, pool) on every query before the first round, so that round is not
    // measured against a baseline that ran while the rest was still cold.
    for (const b of [queries.baseline, queries.riskWithLiquidation, queries.riskFigures]) {
      await autocannon({ url: server.url, method: 'POST', headers, body: b, connections: CONNECTIONS, duration: WARMUP_SECONDS });
    }
    for (let round = 0; round < ROUNDS; round++) {
      const baseline = await run('baseline', queries.baseline);
      const full = await run('riskWithLiquidation', queries.riskWithLiquidation);
      const figures = await run('riskFigures', queries.riskFigures);
      rounds.push({
        full: full.rps / baseline.rps,
        figures: figures.rps / baseline.rps,
        fullP99: full.p99 / baseline.p99,
        figuresP99: figures.p99 / baseline.p99,
        // Inverted (baseline CPU / query CPU) so that, like throughput, 1.0 is the baseline and lower is costlier.
        fullCpu: baseline.cpuPerRequest / full.cpuPerRequest,
        figuresCpu: baseline.cpuPerRequest / figures.cpuPerRequest,
        // Share of the process's CPU time spent in garbage-collection pauses (the main thread's; parallel helpers not
        // counted separately).
        baselineGc: baseline.gcShare,
        fullGc: full.gcShare,
        figuresGc: figures.gcShare,
      });
    }
    await server.stop();

    const quantile = (xs: number[], q: number): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * q + 0.5)]!;
    const median = (xs: number[]): number => quantile(xs, 0.5);
    type Key = keyof (typeof rounds)[number];
    const gcPercent = (key: Key): string => `${(median(rounds.map((r) => r[key])) * 100).toFixed(1)}%`;
    const summary = (name: Key, p99: Key, cpu: Key, gc: Key): string => {
      const xs = rounds.map((r) => r[name]);
      const m = median(xs);
      return (
        `throughput ${m.toFixed(3)}x (middle half of rounds ${quantile(xs, 0.25).toFixed(2)}–${quantile(xs, 0.75).toFixed(2)}; rounds ${xs.map((x) => x.toFixed(2)).join(', ')})` +
        `  p99 ${median(rounds.map((r) => r[p99])).toFixed(2)}x` +
        `  requests per CPU-second ${median(rounds.map((r) => r[cpu])).toFixed(3)}x` +
        `  GC pauses ${gcPercent(gc)} of CPU (baseline ${gcPercent('baselineGc')})` +
        `  (target throughput ≥ 0.6x: ${m >= 0.6 ? 'met' : 'NOT met'})`
      );
    };
    console.log(`API benchmark: ${CONNECTIONS} connections, ${ROUNDS} rounds of ${DURATION}s per query, one process (server + load generator)`);
    console.log(`baseline  market(symbol){symbol} (1 SQL row)        throughput 1.000x  p99 1.00x`);
    console.log(`account risk, 10 positions, with liquidation prices  ${summary('full', 'fullP99', 'fullCpu', 'fullGc')}`);
    console.log(`account risk, 10 positions, figures + breakdown     ${summary('figures', 'figuresP99', 'figuresCpu', 'figuresGc')}`);
  } finally {
    await bench.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
