/**
 * Tick benchmark (issue 22): over the 100,000-account bench set (bench/seed-bench.ts: every account holds BTC-PERP
 * among its 5 positions), a BTC-PERP mark price update commits with its change notice (src/store/change-notice.ts,
 * the path every oracle write takes); the tick engine (src/monitoring/tick.ts) hears it through LISTEN/NOTIFY,
 * re-evaluates every exposed account and upserts its row. Measured: from the price COMMIT returning to the moment
 * every exposed account's account_risk row carries the new market-data version (checked in SQL), against the time
 * Postgres needs to stream those accounts' position rows to this client (the bench/sweep.ts baseline, same run).
 * Median of 3 ticks after one warm-up tick. Target R ≤ 1.5.
 *
 *   npx tsx bench/tick.ts [--accounts N]        (or BENCH_ACCOUNTS=N; default 100000)
 * Uses BENCH_DATABASE_URL when set (a database `bench_tick` is created there), else an embedded Postgres.
 */
import './production-mode'; // first: before anything loads graphql-js
import pino from 'pino';
import { sweepAccountRisk } from '../src/monitoring/sweep';
import { PROFILE, startTickEngine, type TickResult } from '../src/monitoring/tick';
import { noticeChanges } from '../src/store/change-notice';
import { startNotificationBus } from '../src/store/notification-bus';
import { inWriteTransaction } from '../src/store/write-transaction';
import { BENCH_ACCOUNTS, seedBenchAccounts } from './seed-bench';
import { median, startBenchDatabase, streamPositionRows, timed } from './support';
import { runCompiledInstead } from './compiled';
import { runScreeningBenchmark } from './screening';

runCompiledInstead(__filename);

function accountsArg(): number {
  const i = process.argv.indexOf('--accounts');
  if (i >= 0 && process.argv[i + 1]) return Number(process.argv[i + 1]);
  return Number(process.env.BENCH_ACCOUNTS ?? BENCH_ACCOUNTS);
}

const ACCOUNTS = accountsArg();
const MARKET = 'BTC-PERP';
const TICKS = 3;

async function main(): Promise<void> {
  // The screened engine on the engine bench's books (bench/screening.ts), then the tick over the bench set.
  console.log(runScreeningBenchmark().line);
  const bench = await startBenchDatabase('bench_tick');
  const logger = pino({ level: 'warn' });
  try {
    const seeded = await timed(() => seedBenchAccounts(bench.db, ACCOUNTS));
    process.stderr.write(`seeded ${ACCOUNTS} accounts and ${seeded.value} positions in ${(seeded.ms / 1000).toFixed(1)}s\n`);
    const pool = bench.db.pool;
    const { rows: exposedRows } = await pool.query<{ n: string }>(
      `SELECT count(DISTINCT account_id)::text AS n FROM position WHERE market_symbol = $1 AND size <> 0`,
      [MARKET],
    );
    const exposed = Number(exposedRows[0]!.n);

    // Baseline: stream the exposed accounts' position rows to the client (server-side cursor, 10,000 per fetch).
    const stream = (): Promise<number> => streamPositionRows(pool, MARKET);
    await stream();
    const baselineRuns: number[] = [];
    let streamed = 0;
    for (let i = 0; i < 3; i++) {
      const t = await timed(stream);
      baselineRuns.push(t.ms);
      streamed = t.value;
    }
    const baseline = median(baselineRuns);

    // Every account has a row (as in service), then the tick engine on its own listening connection.
    await sweepAccountRisk(bench.db);
    const bus = await startNotificationBus(bench.url, logger);
    const tick = await startTickEngine({ db: bench.db, bus, logger, coalesceMs: 5 });
    const { rows: priceRows } = await pool.query<{ price: string }>(`SELECT price::text AS price FROM mark_price WHERE market_symbol = $1`, [MARKET]);
    const basePrice = Number(priceRows[0]!.price);

    const oneTick = async (step: number): Promise<{ ms: number; accounts: number }> => {
      const price = (basePrice * (1 + 0.001 * step)).toFixed(1);
      let resolveTick!: (r: TickResult) => void;
      let version = '';
      const done = new Promise<TickResult>((resolve) => (resolveTick = resolve));
      const off = tick.onTick((r) => {
        if (version && BigInt(r.marketDataVersion) >= BigInt(version)) resolveTick(r);
      });
      let committedAt = 0n;
      await inWriteTransaction(pool, async (tx) => {
        await tx.query(`UPDATE mark_price SET price = $2::numeric, observed_at = now() WHERE market_symbol = $1`, [MARKET, price]);
        const change = await noticeChanges(tx, []);
        version = change!.version;
        return null;
      });
      committedAt = process.hrtime.bigint();
      const result = await done;
      const ms = Number(process.hrtime.bigint() - committedAt) / 1e6;
      off();
      const { rows } = await pool.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM account_risk r WHERE r.market_data_version >= $1::bigint
           AND r.account_id IN (SELECT account_id FROM position WHERE market_symbol = $2 AND size <> 0)`,
        [version, MARKET],
      );
      const current = Number(rows[0]!.n);
      if (current !== exposed) throw new Error(`tick ${step}: ${current} of ${exposed} exposed rows current`);
      return { ms, accounts: result.accounts };
    };

    await oneTick(1); // warm-up
    PROFILE.load = PROFILE.evaluate = PROFILE.waitWrite = 0;
    const runs: number[] = [];
    let accounts = 0;
    for (let i = 0; i < TICKS; i++) {
      const r = await oneTick(i + 2);
      runs.push(r.ms);
      accounts = r.accounts;
    }
    process.stderr.write(`profile (${TICKS} ticks): ${JSON.stringify(PROFILE)}\n`);
    await tick.stop();
    await bus.close();
    const t = median(runs);
    process.stderr.write(
      `baseline: ${streamed} position rows of ${exposed} accounts streamed in ${baseline.toFixed(0)} ms; ticks ${runs.map((r) => r.toFixed(0)).join(', ')} ms (${accounts} accounts evaluated)\n`,
    );
    console.log(
      `tick: ${exposed} exposed accounts current ${t.toFixed(0)} ms after the price commit = ${(t / baseline).toFixed(2)} x the stream of their position rows`,
    );
  } finally {
    await bench.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
