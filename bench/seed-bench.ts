/**
 * Benchmark data set: the demo venue's markets, prices and insurance funds, plus N accounts (default 100,000) with
 * 5 positions each (BTC-PERP, ETH-PERP, SOL-PERP, BTC-USD-INVERSE and the BTC future) and a USDC balance, written
 * with set-based SQL (generate_series): seconds, not minutes. Deterministic (setseed).
 *
 *   npx tsx bench/seed-bench.ts            seeds BENCH_DATABASE_URL (required when run alone)
 * bench/sweep.ts calls seedBenchAccounts itself on its own database.
 */
import type { Pool } from 'pg';
import { createDatabase, type Database } from '../src/store/database';
import { migrate } from '../src/store/migrate';
import { seedDemoVenue } from '../src/store/seed';

export const BENCH_ACCOUNTS = 100_000;
export const POSITIONS_PER_ACCOUNT = 5;

/** Seeds the venue (10 demo accounts) and `accounts` benchmark accounts; returns the number of positions. */
export async function seedBenchAccounts(db: Database, accounts = BENCH_ACCOUNTS): Promise<number> {
  await seedDemoVenue(db.prisma, { nowMs: Date.now(), accounts: 10 });
  const q: Pool = db.pool;
  const { rows: markets } = await q.query<{ symbol: string }>(
    `SELECT symbol FROM market WHERE kind <> 'OPTION' ORDER BY kind DESC, symbol LIMIT ${POSITIONS_PER_ACCOUNT}`,
  );
  if (markets.length < POSITIONS_PER_ACCOUNT) throw new Error(`need ${POSITIONS_PER_ACCOUNT} delta-one markets, found ${markets.length}`);
  const client = await q.connect();
  try {
    await client.query('BEGIN');
    await client.query(`SELECT setseed(0.42)`);
    await client.query(
      `INSERT INTO account (broker_id, external_ref)
       SELECT (SELECT id FROM broker ORDER BY name LIMIT 1), 'bench-' || g FROM generate_series(1, $1) g`,
      [accounts],
    );
    await client.query(
      `INSERT INTO balance (account_id, asset_symbol, amount)
       SELECT id, 'USDC', round((2000 + random() * 18000)::numeric, 2) FROM account WHERE external_ref LIKE 'bench-%'`,
    );
    // ~1k–10k USD notional per position, random side, entry within ±5% of the mark: most accounts healthy,
    // a tail close to or past liquidation.
    await client.query(
      `INSERT INTO position (account_id, market_symbol, size, entry_price)
       SELECT a.id, m.symbol,
              round(((CASE WHEN random() < 0.5 THEN -1 ELSE 1 END) *
                     (CASE WHEN m.contract_type = 'LINEAR' THEN (1000 + random() * 9000) / mp.price / m.contract_size
                           ELSE (1000 + random() * 9000) / m.contract_size END))::numeric, 3),
              round((mp.price * (0.95 + random() * 0.1))::numeric, 2)
         FROM account a
         CROSS JOIN market m
         JOIN mark_price mp ON mp.market_symbol = m.symbol
        WHERE a.external_ref LIKE 'bench-%' AND m.symbol = ANY($1::text[])`,
      [markets.map((m) => m.symbol)],
    );
    await client.query(`DELETE FROM position WHERE size = 0`);
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
  await q.query('ANALYZE');
  const { rows } = await q.query<{ n: string }>(`SELECT count(*) AS n FROM position`);
  return Number(rows[0]!.n);
}

if (require.main === module) {
  const url = process.env.BENCH_DATABASE_URL;
  if (!url) {
    console.error('set BENCH_DATABASE_URL (an empty database), or run bench/sweep.ts which seeds its own');
    process.exit(2);
  }
  const db = createDatabase({ url });
  migrate(db.pool)
    .then(() => seedBenchAccounts(db))
    .then((n) => console.log(`seeded ${BENCH_ACCOUNTS} accounts, ${n} positions`))
    .finally(() => db.close())
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
