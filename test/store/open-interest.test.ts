/**
 * market_open_interest (migration 20261122150000) is kept by a trigger on position: after any sequence of inserts,
 * size changes (through zero, to zero), moves and deletes, in one transaction or many, each market's slots sum to
 * exactly what an aggregate over the positions gives — the figures the risk snapshot (OI-scaled margin) and
 * riskSummary read. The migration's backfill gives the same on an existing venue.
 */
import fc from 'fast-check';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('SEEDED');
});
afterAll(async () => {
  await t.drop();
});

interface Totals {
  long: string;
  short: string;
  positions: number;
}

async function fromTable(): Promise<Record<string, Totals>> {
  const { rows } = await t.db.pool.query<{ m: string; long: string; short: string; n: string }>(
    `SELECT market_symbol AS m, trim_scale(sum(long_size))::text AS long, trim_scale(sum(short_size))::text AS short, sum(positions) AS n
       FROM market_open_interest GROUP BY market_symbol HAVING sum(positions) > 0 OR sum(long_size) <> 0 OR sum(short_size) <> 0`,
  );
  return Object.fromEntries(rows.map((r) => [r.m, { long: r.long, short: r.short, positions: Number(r.n) }]));
}

async function fromPositions(): Promise<Record<string, Totals>> {
  const { rows } = await t.db.pool.query<{ m: string; long: string; short: string; n: string }>(
    `SELECT market_symbol AS m, trim_scale(sum(greatest(size, 0)))::text AS long, trim_scale(sum(greatest(-size, 0)))::text AS short,
            count(*) FILTER (WHERE size <> 0) AS n
       FROM position GROUP BY market_symbol HAVING count(*) FILTER (WHERE size <> 0) > 0`,
  );
  return Object.fromEntries(rows.map((r) => [r.m, { long: r.long, short: r.short, positions: Number(r.n) }]));
}

describe('market_open_interest', () => {
  it('holds the seeded venue exactly (every insert went through the trigger)', async () => {
    const expected = await fromPositions();
    expect(Object.keys(expected).length).toBeGreaterThan(3);
    expect(await fromTable()).toEqual(expected);
  });

  it('follows any sequence of position writes exactly', async () => {
    const { rows: accounts } = await t.db.pool.query<{ id: string }>(`SELECT id FROM account ORDER BY id LIMIT 12`);
    const { rows: markets } = await t.db.pool.query<{ symbol: string }>(`SELECT symbol FROM market WHERE kind <> 'OPTION' ORDER BY symbol`);
    const write = fc.record({
      kind: fc.constantFrom('UPSERT', 'UPSERT', 'DELETE', 'MOVE'),
      account: fc.integer({ min: 0, max: accounts.length - 1 }),
      market: fc.integer({ min: 0, max: markets.length - 1 }),
      to: fc.integer({ min: 0, max: markets.length - 1 }),
      size: fc.oneof(fc.constant('0'), fc.integer({ min: -5000, max: 5000 }).map((n) => (n / 1000).toString())),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(write, { minLength: 1, maxLength: 12 }), fc.boolean(), async (writes, oneTransaction) => {
        const client = await t.db.pool.connect();
        try {
          if (oneTransaction) await client.query('BEGIN');
          for (const w of writes) {
            const account = accounts[w.account]!.id;
            const market = markets[w.market]!.symbol;
            if (w.kind === 'UPSERT') {
              await client.query(
                `INSERT INTO position (account_id, market_symbol, size, entry_price) VALUES ($1, $2, $3, 100)
                 ON CONFLICT (account_id, market_symbol) DO UPDATE SET size = EXCLUDED.size`,
                [account, market, w.size],
              );
            } else if (w.kind === 'DELETE') {
              await client.query(`DELETE FROM position WHERE account_id = $1 AND market_symbol = $2`, [account, market]);
            } else {
              // A position moved to another market (not something the service does; the trigger must still follow).
              await client.query(
                `UPDATE position SET market_symbol = $3 WHERE account_id = $1 AND market_symbol = $2
                   AND NOT EXISTS (SELECT 1 FROM position WHERE account_id = $1 AND market_symbol = $3)`,
                [account, market, markets[w.to]!.symbol],
              );
            }
          }
          if (oneTransaction) await client.query('COMMIT');
        } finally {
          client.release();
        }
        expect(await fromTable()).toEqual(await fromPositions());
      }),
      { numRuns: 25, seed: 20261122 },
    );
  });
});
