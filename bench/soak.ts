/**
 * Memory soak (not in npm test): the service in-process on the API bench's data set (bench/api-data.ts), driven by
 * mixed reads (account risk with and without liquidation prices, markets, what-if) and writes (deposits and
 * withdrawals of a BROKER key) from SOAK_CONNECTIONS concurrent loops for SOAK_SECONDS (default 1800, 30 minutes).
 * Prints retained heap (after a forced full collection) and RSS at the start (after a warm-up), every minute, and
 * at the end; the target is a flat retained heap. Run with the GC exposed:
 *   node --expose-gc --import tsx bench/soak.ts            # SOAK_SECONDS=120 for a short check
 */
import './production-mode';
import { loadConfig } from '../src/server/config';
import { startServer } from '../src/server/http';
import { createLogger } from '../src/server/logger';
import { generateApiKey, insertApiKey } from '../src/store/api-key.repository';
import { seedApiBench } from './api-data';
import { startBenchDatabase } from './support';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 1800);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 8);
const WARMUP_S = Math.min(30, Math.max(5, SECONDS / 10));

const gc = (globalThis as { gc?: () => void }).gc;

function memory(): { heapMb: number; rssMb: number } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { heapMb: m.heapUsed / 2 ** 20, rssMb: m.rss / 2 ** 20 };
}

function line(label: string, requests: number, errors: number, m = memory()): string {
  return `${label.padEnd(8)} heap ${m.heapMb.toFixed(1)} MB  rss ${m.rssMb.toFixed(1)} MB  requests ${requests}  errors ${errors}`;
}

async function main(): Promise<void> {
  if (!gc) process.stderr.write('warning: run node with --expose-gc for retained-heap figures\n');
  const bench = await startBenchDatabase('bench_soak');
  try {
    const { key, accountId, queries } = await seedApiBench(bench.db);
    const { rows: broker } = await bench.db.pool.query<{ broker_id: string }>('SELECT broker_id FROM account WHERE id = $1', [accountId]);
    const brokerKey = generateApiKey().key;
    await insertApiKey(bench.db.pool, { key: brokerKey, role: 'BROKER', brokerId: broker[0]!.broker_id, label: 'soak broker' });
    const config = { ...loadConfig({ NODE_ENV: 'production' }), host: '127.0.0.1', port: 0, rateLimitPoints: 1e9, rateLimitCostPoints: 1e12 };
    const server = await startServer({ config, db: bench.db, logger: createLogger('silent') });
    const body = (query: string, variables: Record<string, unknown>) => JSON.stringify({ query, variables });
    const mix: { key: string; body: () => string }[] = [
      { key, body: () => queries.riskFigures },
      { key, body: () => queries.riskWithLiquidation },
      { key, body: () => queries.baseline },
      { key, body: () => body('{ markets { symbol markPrice { price } } assets { symbol } }', {}) },
      {
        key,
        body: () => body('query($id: ID!, $s: [ScenarioInput!]!) { whatIf(accountId: $id, scenarios: $s) { after { equity freeCollateral } } }', {
          id: accountId,
          s: [{ priceMoves: [{ underlying: 'BTC', relative: '-0.1' }] }, { trades: [{ market: 'BTC-PERP', size: '0.5' }] }],
        }),
      },
      {
        key: brokerKey,
        body: () => body('mutation($input: DepositInput!) { deposit(input: $input) { userErrors { code } balance { amount } } }', {
          input: { idempotencyKey: `soak-d-${process.hrtime.bigint()}-${Math.random()}`, accountId, asset: 'USDC', amount: '1' },
        }),
      },
      {
        key: brokerKey,
        body: () => body('mutation($input: WithdrawInput!) { withdraw(input: $input) { userErrors { code } freeCollateral } }', {
          input: { idempotencyKey: `soak-w-${process.hrtime.bigint()}-${Math.random()}`, accountId, asset: 'USDC', amount: '1' },
        }),
      },
    ];
    let requests = 0;
    let errors = 0;
    let running = true;
    const loop = async (c: number) => {
      let i = c;
      while (running) {
        const item = mix[i++ % mix.length]!;
        try {
          const res = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': item.key }, body: item.body() });
          const json = (await res.json()) as { errors?: unknown[] };
          if (res.status !== 200 || json.errors) errors += 1;
        } catch {
          errors += 1;
        }
        requests += 1;
      }
    };
    const loops = Array.from({ length: CONNECTIONS }, (_, c) => loop(c));
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const start = memory();
    process.stdout.write(`${line('start', requests, errors, start)}\n`);
    const began = Date.now();
    const timer = setInterval(() => process.stdout.write(`${line(`${Math.round((Date.now() - began) / 60_000)} min`, requests, errors)}\n`), 60_000);
    await new Promise((r) => setTimeout(r, SECONDS * 1000));
    clearInterval(timer);
    running = false;
    await Promise.all(loops);
    const end = memory();
    process.stdout.write(`${line('end', requests, errors, end)}\n`);
    process.stdout.write(`retained heap ${start.heapMb.toFixed(1)} → ${end.heapMb.toFixed(1)} MB (${(end.heapMb - start.heapMb >= 0 ? '+' : '') + (end.heapMb - start.heapMb).toFixed(1)}), rss ${start.rssMb.toFixed(1)} → ${end.rssMb.toFixed(1)} MB over ${SECONDS} s\n`);
    await server.stop();
  } finally {
    await bench.stop();
  }
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
