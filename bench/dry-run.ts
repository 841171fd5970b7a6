/**
 * Dry-run benchmark (issue 19, item 6): on the bench set (bench/seed-bench.ts: N accounts, 5 positions each), a dry
 * run of a tier change on BTC-PERP over HTTP (setMarginTiers with dryRun: true, every rate × 1.5) against one full
 * sweep of the accounts it touches (stream, evaluate, upsert: src/monitoring/sweep.ts), measured in the same run.
 * Every bench account holds BTC-PERP, so the accounts the change touches are the whole venue, and the sweep of them
 * is the full sweep. Target: the dry run at most 1.5x the sweep.
 *
 *   flock /tmp/bench.lock npx tsx bench/dry-run.ts [accounts=100000]
 * Uses BENCH_DATABASE_URL when set (its server; a database `bench_dry_run` is created), else an embedded Postgres.
 */
import './production-mode'; // first: before anything loads graphql-js
import { sweepAccountRisk } from '../src/monitoring/sweep';
import { seedBenchAccounts } from './seed-bench';
import { median, startBenchDatabase, startBenchServer, timed } from './support';
import { runCompiledInstead } from './compiled';

runCompiledInstead(__filename);

const ACCOUNTS = Number(process.argv[2] ?? 100_000);
const MARKET = 'BTC-PERP';
const RUNS = 3;
const TIGHTEN = 1.5;

async function main(): Promise<void> {
  const bench = await startBenchDatabase('bench_dry_run');
  try {
    const seeded = await timed(() => seedBenchAccounts(bench.db, ACCOUNTS));
    process.stderr.write(`seeded ${ACCOUNTS} accounts and ${seeded.value} positions in ${(seeded.ms / 1000).toFixed(1)}s\n`);

    const { server, gql } = await startBenchServer(bench.db, 'ADMIN');
    // The proposed schedule: the current one with every rate × 1.5 (capped at 1).
    const { rows } = await bench.db.pool.query<{ floor: string; cap: string | null; imr: string; mmr: string }>(
      `SELECT notional_floor::text AS floor, notional_cap::text AS cap, initial_margin_rate::text AS imr, maintenance_margin_rate::text AS mmr
         FROM margin_tier WHERE market_symbol = $1 ORDER BY tier_index`,
      [MARKET],
    );
    const tighten = (r: string) => String(Math.min(1, Number(r) * TIGHTEN));
    const tiers = rows.map((t) => ({ notionalFloor: t.floor, notionalCap: t.cap, initialMarginRate: tighten(t.imr), maintenanceMarginRate: tighten(t.mmr) }));
    const DRY_RUN = `mutation($input: SetMarginTiersInput!) { setMarginTiers(input: $input, dryRun: true) { userErrors { field message }
      impact { accountsEvaluated transitions { from to count } worst { accountId } markets { market initialMarginBefore initialMarginAfter } } } }`;
    let n = 0;
    const dryRun = async () => {
      const data = await gql(DRY_RUN, { input: { idempotencyKey: `bench-${(n += 1)}`, market: MARKET, tiers } });
      if (data.setMarginTiers.userErrors.length) throw new Error(JSON.stringify(data.setMarginTiers.userErrors));
      return data.setMarginTiers.impact;
    };

    // Warm both paths once, then alternate (so neither gets the warmer cache), median of RUNS each.
    await sweepAccountRisk(bench.db);
    const impact = await dryRun();
    const sweeps: number[] = [];
    const dries: number[] = [];
    let swept = 0;
    for (let i = 0; i < RUNS; i++) {
      const s = await timed(() => sweepAccountRisk(bench.db));
      sweeps.push(s.ms);
      swept = s.value.accounts;
      dries.push((await timed(dryRun)).ms);
    }
    await server.stop();
    const sweep = median(sweeps);
    const dry = median(dries);
    const touched = impact.accountsEvaluated as number;
    if (swept !== touched) process.stderr.write(`note: the sweep evaluated ${swept} accounts, the dry run ${touched}\n`);
    const r = dry / sweep;
    process.stderr.write(
      `sweep runs ${sweeps.map((x) => x.toFixed(0)).join('/')} ms, dry runs ${dries.map((x) => x.toFixed(0)).join('/')} ms; ` +
        `transitions ${impact.transitions.map((t: any) => `${t.from}->${t.to} ${t.count}`).join(', ') || 'none'}; ` +
        `${MARKET} IM ${impact.markets.find((m: any) => m.market === MARKET)?.initialMarginBefore} -> ${impact.markets.find((m: any) => m.market === MARKET)?.initialMarginAfter}\n`,
    );
    console.log(`dry-run: tier change over ${touched} touched accounts ${dry.toFixed(0)} ms = ${r.toFixed(2)} x one sweep of them (target ≤ 1.5: ${r <= 1.5 ? 'met' : 'NOT met'})`);
  } finally {
    await bench.stop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
