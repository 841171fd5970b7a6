/**
 * The demo-venue seed against a real Postgres: counts, reference-data invariants (contiguous tiers, maintenance
 * amounts), the deliberately risky accounts, ledger reconciliation, determinism across databases, idempotency and
 * concurrent seeders. Each run creates fresh databases and drops them afterwards.
 */
import { randomBytes } from 'node:crypto';
import Decimal from 'decimal.js';
import { Pool } from 'pg';
import { createDatabase, Database } from '../../src/store/database';
import { migrate } from '../../src/store/migrate';
import { adminUrl } from '../helpers/test-database';
import {
  DEMO_BROKERS,
  DEMO_MARKETS,
  DEMO_MAX_PRICE_AGE_SECONDS,
  PRICE_HISTORY_DAYS,
  VALUATION_ASSET,
  generateDemoVenue,
  seedDemoVenue,
  SeedReport,
} from '../../src/store/seed';

/** Where to create the per-run databases: the server the test harness prepared (embedded by default). */
function testDatabaseUrl(): string {
  return adminUrl();
}

jest.setTimeout(180_000);

const NOW_MS = Date.UTC(2025, 5, 1, 12, 34, 56, 789);
const MIDNIGHT_MS = Date.UTC(2025, 5, 1);
const SEED = 424242;
const ACCOUNTS = 1000;

interface FreshDatabase {
  readonly url: string;
  readonly db: Database;
  drop(): Promise<void>;
}

const created: FreshDatabase[] = [];

async function freshDatabase(): Promise<FreshDatabase> {
  const name = `seed_test_${randomBytes(6).toString('hex')}`;
  const admin = new Pool({ connectionString: testDatabaseUrl(), max: 1 });
  await admin.query(`CREATE DATABASE "${name}"`);
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${name}`;
  const db = createDatabase({ url: url.toString(), maxConnections: 5 });
  let dropped = false;
  const fresh: FreshDatabase = {
    url: url.toString(),
    db,
    async drop() {
      if (dropped) return;
      dropped = true;
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await admin.end();
    },
  };
  created.push(fresh);
  await migrate(db.pool);
  return fresh;
}

afterAll(async () => {
  for (const fresh of created) await fresh.drop().catch(() => undefined);
});

const TABLES = [
  'asset',
  'market',
  'margin_tier',
  'mark_price',
  'index_price',
  'price_history',
  'portfolio_margin_params',
  'insurance_fund',
  'broker',
  'account',
  'balance',
  'position',
  'ledger_entry',
] as const;

async function tableCounts(db: Database): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const table of TABLES) {
    const { rows } = await db.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${table}`);
    counts[table] = Number(rows[0]!.n);
  }
  return counts;
}

/** Everything an account is made of, in a canonical text form (ids included: they are deterministic too). */
async function accountDump(db: Database): Promise<string[]> {
  const { rows } = await db.pool.query<{ line: string }>(`
    SELECT concat_ws(' | ', a.id, b.name, a.external_ref, a.margin_mode,
      (SELECT string_agg(bl.asset_symbol || '=' || bl.amount::text, ',' ORDER BY bl.asset_symbol) FROM balance bl WHERE bl.account_id = a.id),
      (SELECT string_agg(concat_ws(':', p.id, p.market_symbol, p.size, p.entry_price, p.funding_index, p.margin_type, p.isolated_margin, p.leverage), ','
                          ORDER BY p.market_symbol) FROM position p WHERE p.account_id = a.id),
      (SELECT string_agg(concat_ws(':', l.asset_symbol, l.kind, l.amount, l.reference), ',' ORDER BY l.asset_symbol, l.kind, l.reference)
         FROM ledger_entry l WHERE l.account_id = a.id)) AS line
    FROM account a JOIN broker b ON b.id = a.broker_id
    ORDER BY b.name, a.external_ref`);
  return rows.map((r) => r.line);
}

describe('generateDemoVenue (pure)', () => {
  it('is a pure function of (seed, accounts, nowMs)', () => {
    const a = generateDemoVenue({ seed: 7, accounts: 60, nowMs: NOW_MS });
    const b = generateDemoVenue({ seed: 7, accounts: 60, nowMs: NOW_MS });
    const c = generateDemoVenue({ seed: 8, accounts: 60, nowMs: NOW_MS });
    expect(JSON.stringify(a)).toEqual(JSON.stringify(b));
    expect(JSON.stringify(a.accounts)).not.toEqual(JSON.stringify(c.accounts));
    expect(a.indexPrices.get('BTC')!.eq(c.indexPrices.get('BTC')!)).toBe(false);
  });

  it('gives an account the same data whatever the account count (per-account streams)', () => {
    const small = generateDemoVenue({ seed: 7, accounts: 60, nowMs: NOW_MS });
    const large = generateDemoVenue({ seed: 7, accounts: 300, nowMs: NOW_MS });
    let compared = 0;
    small.accounts.forEach((account, i) => {
      const other = large.accounts[i]!;
      if (account.profile !== 'regular' || other.profile !== 'regular') return;
      expect(JSON.stringify(other)).toEqual(JSON.stringify(account));
      compared++;
    });
    expect(compared).toBeGreaterThan(50);
    expect(JSON.stringify(large.priceHistory)).toEqual(JSON.stringify(small.priceHistory));
  });

  it('rejects nonsense options', () => {
    expect(() => generateDemoVenue({ accounts: -1 })).toThrow(RangeError);
    expect(() => generateDemoVenue({ accounts: 1.5 })).toThrow(RangeError);
    expect(() => generateDemoVenue({ seed: Number.NaN })).toThrow(RangeError);
    expect(() => generateDemoVenue({ nowMs: Number.POSITIVE_INFINITY })).toThrow(RangeError);
  });
});

describe('seedDemoVenue', () => {
  let venue: FreshDatabase;
  let report: SeedReport;
  let seedMs: number;

  beforeAll(async () => {
    venue = await freshDatabase();
    const started = performance.now();
    report = await seedDemoVenue(venue.db.prisma, { accounts: ACCOUNTS, seed: SEED, nowMs: NOW_MS });
    seedMs = performance.now() - started;
    // eslint-disable-next-line no-console
    console.log(`seeded ${report.accounts} accounts, ${report.positions} positions, ${report.balances} balances in ${seedMs.toFixed(0)} ms`);
  });

  it('reports what it inserted, and the database agrees', async () => {
    expect(report.seeded).toBe(true);
    const counts = await tableCounts(venue.db);
    expect(report).toMatchObject({
      assets: 5,
      markets: 11,
      brokers: 3,
      accounts: ACCOUNTS,
      priceHistory: 5 * PRICE_HISTORY_DAYS,
    });
    expect(counts).toMatchObject({
      asset: report.assets,
      market: report.markets,
      margin_tier: report.marginTiers,
      mark_price: report.markets,
      index_price: report.assets,
      price_history: report.priceHistory,
      portfolio_margin_params: 3,
      insurance_fund: 2,
      broker: 3,
      account: report.accounts,
      balance: report.balances,
      position: report.positions,
      ledger_entry: report.ledgerEntries,
    });
    expect(report.positions).toBeGreaterThan(ACCOUNTS);
    expect(report.balances).toBeGreaterThanOrEqual(ACCOUNTS);
    expect(report.nearLiquidation.length).toBeGreaterThanOrEqual(10);
    expect(report.nearLiquidation.length).toBeLessThanOrEqual(20);
    expect(report.liquidatable.length).toBeGreaterThanOrEqual(2);
    expect(report.liquidatable.length).toBeLessThanOrEqual(3);
    expect(report.marketSymbols).toEqual(expect.arrayContaining(Object.values(DEMO_MARKETS)));
  });

  it('creates the assets with their weights, USDC as the valuation asset at 1', async () => {
    const { rows } = await venue.db.pool.query(
      `SELECT a.symbol, a.decimals, a.initial_weight, a.maintenance_weight, a.initial_liability_weight, a.maintenance_liability_weight,
              i.price, i.source, i.observed_at
         FROM asset a JOIN index_price i ON i.asset_symbol = a.symbol ORDER BY a.symbol`,
    );
    const bySymbol = new Map(rows.map((r) => [r.symbol as string, r]));
    expect([...bySymbol.keys()].sort()).toEqual(['BTC', 'ETH', 'SOL', 'USDC', 'USDT']);
    const usdc = bySymbol.get(VALUATION_ASSET)!;
    expect(new Decimal(usdc.price).eq(1)).toBe(true);
    for (const w of ['initial_weight', 'maintenance_weight', 'initial_liability_weight', 'maintenance_liability_weight']) {
      expect(new Decimal(usdc[w]).eq(1)).toBe(true);
    }
    const btc = bySymbol.get('BTC')!;
    expect(btc.decimals).toBe(8);
    expect([btc.initial_weight, btc.maintenance_weight, btc.initial_liability_weight, btc.maintenance_liability_weight].map((x) => new Decimal(x).toNumber())).toEqual([
      0.9, 0.95, 1.1, 1.05,
    ]);
    expect(new Decimal(bySymbol.get('USDT')!.initial_weight).toNumber()).toBe(0.98);
    expect(new Decimal(bySymbol.get('SOL')!.initial_liability_weight).toNumber()).toBe(1.25);
    for (const r of rows) {
      // Positive weights ≤ 1, liability weights ≥ 1, maintenance looser than initial.
      expect(new Decimal(r.maintenance_weight).lte(1)).toBe(true);
      expect(new Decimal(r.initial_weight).lte(r.maintenance_weight)).toBe(true);
      expect(new Decimal(r.initial_liability_weight).gte(r.maintenance_liability_weight)).toBe(true);
      expect(new Decimal(r.maintenance_liability_weight).gte(1)).toBe(true);
      expect(r.source).toBe('seed');
      expect((r.observed_at as Date).getTime()).toBe(NOW_MS);
    }
    const spot = (s: string) => new Decimal(bySymbol.get(s)!.price).toNumber();
    expect(spot('BTC')).toBeGreaterThan(50_000);
    expect(spot('BTC')).toBeLessThan(70_000);
    expect(spot('ETH')).toBeGreaterThan(2_500);
    expect(spot('ETH')).toBeLessThan(3_500);
    expect(spot('SOL')).toBeGreaterThan(120);
    expect(spot('SOL')).toBeLessThan(180);
    expect(Math.abs(spot('USDT') - 1)).toBeLessThan(0.01);
  });

  it('stores a year of daily history per asset, ending at the index price', async () => {
    const { rows } = await venue.db.pool.query(
      `SELECT asset_symbol, count(*)::int AS n, min(observed_at) AS first, max(observed_at) AS last,
              count(DISTINCT price)::int AS distinct_prices,
              bool_and(extract(epoch FROM observed_at)::bigint % 86400 = 0) AS midnights,
              bool_and(price > 0) AS positive,
              bool_and(price = round(price, 4)) AS rounded
         FROM price_history GROUP BY asset_symbol ORDER BY asset_symbol`,
    );
    expect(rows.map((r) => r.asset_symbol)).toEqual(['BTC', 'ETH', 'SOL', 'USDC', 'USDT']);
    for (const r of rows) {
      expect(r.n).toBe(PRICE_HISTORY_DAYS);
      expect((r.last as Date).getTime()).toBe(MIDNIGHT_MS);
      expect((r.first as Date).getTime()).toBe(MIDNIGHT_MS - (PRICE_HISTORY_DAYS - 1) * 86_400_000);
      expect(r.midnights).toBe(true);
      expect(r.positive).toBe(true);
      expect(r.rounded).toBe(true);
      if (r.asset_symbol === VALUATION_ASSET) expect(r.distinct_prices).toBe(1);
      // USDT hugs 1 at 4 decimals, so it repeats prices; the risky assets hardly ever do.
      else expect(r.distinct_prices).toBeGreaterThan(r.asset_symbol === 'USDT' ? 20 : 300);
    }
    const mismatch = await venue.db.pool.query(
      `SELECT i.asset_symbol FROM index_price i
         JOIN price_history h ON h.asset_symbol = i.asset_symbol AND h.observed_at = $1
        WHERE h.price <> i.price`,
      [new Date(MIDNIGHT_MS)],
    );
    expect(mismatch.rows).toEqual([]);

    // Realized daily volatility roughly as modelled (BTC ~3%, ETH ~4%, SOL ~5.5%).
    const vol = await venue.db.pool.query(
      `SELECT asset_symbol, stddev_samp(r)::float8 AS vol FROM (
         SELECT asset_symbol, ln(price / lag(price) OVER (PARTITION BY asset_symbol ORDER BY observed_at)) AS r FROM price_history
       ) x WHERE r IS NOT NULL GROUP BY asset_symbol`,
    );
    const vols = new Map(vol.rows.map((r) => [r.asset_symbol as string, r.vol as number]));
    expect(vols.get('BTC')).toBeGreaterThan(0.022);
    expect(vols.get('BTC')).toBeLessThan(0.038);
    expect(vols.get('ETH')).toBeGreaterThan(0.03);
    expect(vols.get('ETH')).toBeLessThan(0.05);
    expect(vols.get('SOL')).toBeGreaterThan(0.045);
    expect(vols.get('SOL')).toBeLessThan(0.065);
    expect(vols.get('USDT')).toBeLessThan(0.002);
  });

  it('creates contiguous margin tiers with the cumulative maintenance amounts', async () => {
    const { rows } = await venue.db.pool.query(
      `SELECT market_symbol, tier_index, notional_floor, notional_cap, initial_margin_rate, maintenance_margin_rate, maintenance_amount
         FROM margin_tier ORDER BY market_symbol, tier_index`,
    );
    const byMarket = new Map<string, typeof rows>();
    for (const r of rows) byMarket.set(r.market_symbol, [...(byMarket.get(r.market_symbol) ?? []), r]);
    expect(byMarket.size).toBe(11);
    for (const [symbol, tiers] of byMarket) {
      const isOption = report.marketSymbols.indexOf(symbol) >= 5;
      if (!isOption) {
        expect(tiers.length).toBeGreaterThanOrEqual(3);
        expect(tiers.length).toBeLessThanOrEqual(5);
      }
      let cum = new Decimal(0);
      tiers.forEach((t, i) => {
        expect(t.tier_index).toBe(i);
        if (i === 0) expect(new Decimal(t.notional_floor).isZero()).toBe(true);
        else {
          const prev = tiers[i - 1]!;
          expect(new Decimal(prev.notional_cap).eq(t.notional_floor)).toBe(true);
          expect(new Decimal(t.maintenance_margin_rate).gt(prev.maintenance_margin_rate)).toBe(true);
          expect(new Decimal(t.initial_margin_rate).gt(prev.initial_margin_rate)).toBe(true);
          cum = cum.plus(new Decimal(t.notional_floor).mul(new Decimal(t.maintenance_margin_rate).minus(prev.maintenance_margin_rate)));
        }
        expect(new Decimal(t.maintenance_amount).eq(cum)).toBe(true);
        expect(new Decimal(t.initial_margin_rate).gt(t.maintenance_margin_rate)).toBe(true);
        if (i === tiers.length - 1) expect(t.notional_cap).toBeNull();
      });
    }
    const btc = byMarket.get('BTC-PERP')!.map((t) => [t.notional_floor, t.maintenance_margin_rate, t.maintenance_amount].map((x) => new Decimal(x).toNumber()));
    expect(btc).toEqual([
      [0, 0.01, 0],
      [50_000, 0.0125, 125],
      [250_000, 0.025, 3_250],
      [1_000_000, 0.05, 28_250],
      [5_000_000, 0.1, 278_250],
    ]);
  });

  it('creates the markets: linear and inverse perpetuals, a dated future and an option chain', async () => {
    const { rows } = await venue.db.pool.query(
      `SELECT m.*, mp.price AS mark, mp.observed_at AS mark_at, i.price AS index
         FROM market m JOIN mark_price mp ON mp.market_symbol = m.symbol JOIN index_price i ON i.asset_symbol = m.base_asset
        ORDER BY m.symbol`,
    );
    expect(rows).toHaveLength(11);
    const bySymbol = new Map(rows.map((r) => [r.symbol as string, r]));
    for (const r of rows) {
      expect(r.max_price_age_seconds).toBe(DEMO_MAX_PRICE_AGE_SECONDS);
      expect(new Decimal(r.mark).gt(0)).toBe(true);
      expect(new Decimal(r.mark).mod(r.tick_size).isZero()).toBe(true);
      expect((r.mark_at as Date).getTime()).toBe(NOW_MS);
      expect(new Decimal(r.liquidation_fee_rate).gte(0.005) && new Decimal(r.liquidation_fee_rate).lte(0.01)).toBe(true);
      expect(new Decimal(r.insurance_fund_fee_rate).toNumber()).toBe(0.0025);
      expect(r.status).toBe('ACTIVE');
    }
    const btcPerp = bySymbol.get('BTC-PERP')!;
    expect([btcPerp.kind, btcPerp.contract_type, btcPerp.quote_asset, btcPerp.settlement_asset]).toEqual(['PERPETUAL', 'LINEAR', 'USDC', 'USDC']);
    expect(new Decimal(btcPerp.book_depth).toNumber()).toBe(50_000_000);
    expect(new Decimal(btcPerp.funding_index).isZero()).toBe(false);
    expect(new Decimal(btcPerp.mark).minus(btcPerp.index).abs().lte(0.05)).toBe(true);

    const inverse = bySymbol.get(DEMO_MARKETS.BTC_INVERSE)!;
    expect([inverse.kind, inverse.contract_type, inverse.settlement_asset]).toEqual(['PERPETUAL', 'INVERSE', 'BTC']);
    expect(new Decimal(inverse.contract_size).toNumber()).toBe(100);

    const futures = rows.filter((r) => r.kind === 'FUTURE');
    expect(futures).toHaveLength(1);
    const future = futures[0]!;
    const days = ((future.expiry as Date).getTime() - NOW_MS) / 86_400_000;
    expect(days).toBeGreaterThan(85);
    expect(days).toBeLessThan(95);
    expect(future.symbol).toBe(`BTC-${(future.expiry as Date).toISOString().slice(0, 10).replace(/-/g, '')}`);
    expect(new Decimal(future.mark).gt(future.index)).toBe(true); // contango

    const options = rows.filter((r) => r.kind === 'OPTION');
    expect(options).toHaveLength(6);
    const strikes = [...new Set(options.map((o) => new Decimal(o.strike).toNumber()))].sort((a, b) => a - b);
    expect(strikes).toHaveLength(3);
    const spot = new Decimal(btcPerp.index).toNumber();
    expect(strikes[0]!).toBeLessThan(spot);
    expect(strikes[2]!).toBeGreaterThan(spot);
    for (const o of options) {
      const d = ((o.expiry as Date).getTime() - NOW_MS) / 86_400_000;
      expect(d).toBeGreaterThan(28);
      expect(d).toBeLessThan(32);
      expect(['CALL', 'PUT']).toContain(o.option_type);
      expect(o.contract_type).toBe('LINEAR');
      expect(o.settlement_asset).toBe('USDC');
      const iv = new Decimal(o.implied_volatility).toNumber();
      expect(iv).toBeGreaterThanOrEqual(0.5);
      expect(iv).toBeLessThanOrEqual(0.65);
      expect([o.option_alpha, o.option_beta, o.option_gamma].map((x) => new Decimal(x).toNumber())).toEqual([0.15, 0.1, 0.075]);
      // Worth at least intrinsic value, less than the underlying.
      const k = new Decimal(o.strike).toNumber();
      const intrinsic = Math.max(o.option_type === 'CALL' ? spot - k : k - spot, 0);
      expect(new Decimal(o.mark).toNumber()).toBeGreaterThanOrEqual(intrinsic - 0.1);
      expect(new Decimal(o.mark).toNumber()).toBeLessThan(spot);
    }
  });

  it('creates portfolio-margin parameters and insurance funds', async () => {
    const pm = await venue.db.pool.query(`SELECT asset_symbol, price_scan_range, maintenance_fraction FROM portfolio_margin_params ORDER BY asset_symbol`);
    expect(pm.rows.map((r) => [r.asset_symbol, new Decimal(r.price_scan_range).toNumber(), new Decimal(r.maintenance_fraction).toNumber()])).toEqual([
      ['BTC', 0.15, 0.8],
      ['ETH', 0.2, 0.8],
      ['SOL', 0.25, 0.8],
    ]);
    const fund = await venue.db.pool.query(`SELECT asset_symbol, balance FROM insurance_fund ORDER BY asset_symbol`);
    expect(fund.rows.map((r) => [r.asset_symbol, new Decimal(r.balance).toNumber()])).toEqual([
      ['BTC', 20],
      ['USDC', 5_000_000],
    ]);
  });

  it('spreads accounts across the brokers with the expected shape', async () => {
    const brokers = await venue.db.pool.query(
      `SELECT b.name, count(a.id)::int AS n, min(a.external_ref) AS first FROM broker b LEFT JOIN account a ON a.broker_id = b.id GROUP BY b.name ORDER BY b.name`,
    );
    expect(brokers.rows.map((r) => r.name)).toEqual([...DEMO_BROKERS].sort());
    for (const r of brokers.rows) {
      expect(r.n).toBeGreaterThanOrEqual(Math.floor(ACCOUNTS / 3));
      expect(r.first).toMatch(/^(alpha|beta|gamma)-0001$/);
    }
    const shape = await venue.db.pool.query(`
      SELECT
        (SELECT count(*)::int FROM account WHERE margin_mode = 'PORTFOLIO') AS portfolio,
        (SELECT count(*)::int FROM account WHERE status <> 'ACTIVE') AS inactive,
        (SELECT max(n)::int FROM (SELECT count(*) AS n FROM balance GROUP BY account_id) x) AS max_balances,
        (SELECT count(*)::int FROM account a WHERE NOT EXISTS (SELECT 1 FROM balance b WHERE b.account_id = a.id)) AS without_balance,
        (SELECT max(n)::int FROM (SELECT count(*) AS n FROM position GROUP BY account_id) x) AS max_positions,
        (SELECT count(*)::int FROM balance WHERE amount < 0) AS borrowed,
        (SELECT count(*)::int FROM balance WHERE amount < 0 AND asset_symbol <> 'USDC') AS borrowed_not_usdc,
        (SELECT count(*)::int FROM balance WHERE amount = 0) AS zero_balances,
        (SELECT count(*)::int FROM position WHERE size = 0) AS zero_positions,
        (SELECT count(*)::int FROM position WHERE margin_type = 'ISOLATED') AS isolated,
        (SELECT count(*)::int FROM position WHERE margin_type = 'ISOLATED' AND isolated_margin <= 0) AS isolated_without_margin,
        (SELECT count(*)::int FROM position WHERE margin_type = 'CROSS' AND isolated_margin <> 0) AS cross_with_isolated_margin,
        (SELECT count(*)::int FROM position WHERE leverage IS NOT NULL AND margin_type = 'CROSS') AS with_leverage,
        (SELECT count(*)::int FROM position) AS positions,
        (SELECT count(*)::int FROM position p JOIN market m ON m.symbol = p.market_symbol WHERE m.kind = 'OPTION') AS options,
        (SELECT count(*)::int FROM position p JOIN market m ON m.symbol = p.market_symbol WHERE m.kind = 'OPTION' AND p.size < 0) AS short_options,
        (SELECT count(*)::int FROM position p JOIN market m ON m.symbol = p.market_symbol WHERE m.kind = 'PERPETUAL' AND m.contract_type = 'LINEAR') AS linear_perps,
        (SELECT count(*)::int FROM position p JOIN market m ON m.symbol = p.market_symbol WHERE m.contract_type = 'INVERSE') AS inverse,
        (SELECT count(*)::int FROM position p JOIN market m ON m.symbol = p.market_symbol WHERE m.kind = 'FUTURE') AS futures,
        (SELECT count(*)::int FROM position p JOIN mark_price mp ON mp.market_symbol = p.market_symbol
          WHERE p.entry_price < mp.price * 0.849 OR p.entry_price > mp.price * 1.151) AS entry_far_from_mark
    `);
    const s = shape.rows[0]!;
    expect(s.portfolio).toBeGreaterThanOrEqual(ACCOUNTS * 0.01);
    expect(s.portfolio).toBeLessThanOrEqual(ACCOUNTS * 0.06);
    expect(s.inactive).toBe(0);
    expect(s.max_balances).toBeLessThanOrEqual(3);
    expect(s.without_balance).toBe(0);
    expect(s.max_positions).toBeLessThanOrEqual(5);
    expect(s.borrowed).toBeGreaterThan(0);
    expect(s.borrowed).toBeLessThan(ACCOUNTS * 0.05);
    expect(s.borrowed_not_usdc).toBe(0);
    expect(s.zero_balances).toBe(0);
    expect(s.zero_positions).toBe(0);
    expect(s.isolated).toBeGreaterThan(s.positions * 0.02);
    expect(s.isolated).toBeLessThan(s.positions * 0.08);
    expect(s.isolated_without_margin).toBe(0);
    expect(s.cross_with_isolated_margin).toBe(0);
    expect(s.with_leverage).toBeGreaterThan(0);
    expect(s.with_leverage).toBeLessThan(s.positions * 0.3);
    expect(s.options).toBeGreaterThan(0);
    expect(s.short_options).toBeGreaterThan(0);
    expect(s.options).toBeLessThan(s.positions * 0.1);
    expect(s.linear_perps).toBeGreaterThan(s.positions / 2);
    expect(s.inverse).toBeGreaterThan(0);
    expect(s.futures).toBeGreaterThan(0);
    expect(s.entry_far_from_mark).toBe(0);

    // Options only in portfolio accounts or cross accounts with plenty of collateral (≥ 100k USDC at index).
    const optionHolders = await venue.db.pool.query(`
      SELECT a.external_ref, a.margin_mode,
             (SELECT sum(b.amount * i.price) FROM balance b JOIN index_price i ON i.asset_symbol = b.asset_symbol WHERE b.account_id = a.id) AS collateral
        FROM account a
       WHERE EXISTS (SELECT 1 FROM position p JOIN market m ON m.symbol = p.market_symbol WHERE p.account_id = a.id AND m.kind = 'OPTION')`);
    for (const r of optionHolders.rows) {
      if (r.margin_mode !== 'PORTFOLIO') expect(new Decimal(r.collateral).gte(100_000)).toBe(true);
    }
  });

  it('stores amounts without binary noise', async () => {
    const { rows } = await venue.db.pool.query(`
      SELECT
        (SELECT count(*)::int FROM balance WHERE amount <> round(amount, 8)) AS balances,
        (SELECT count(*)::int FROM ledger_entry WHERE amount <> round(amount, 8)) AS ledger,
        (SELECT count(*)::int FROM position WHERE size <> round(size, 8) OR entry_price <> round(entry_price, 8)
                                   OR isolated_margin <> round(isolated_margin, 8) OR funding_index <> round(funding_index, 12)) AS positions,
        (SELECT count(*)::int FROM position p JOIN market m ON m.symbol = p.market_symbol WHERE p.entry_price % m.tick_size <> 0) AS off_tick,
        (SELECT count(*)::int FROM mark_price WHERE price <> round(price, 8)) AS marks`);
    expect(rows[0]).toEqual({ balances: 0, ledger: 0, positions: 0, off_tick: 0, marks: 0 });
  });

  it('reconciles every balance with the ledger, with a DEPOSIT per positive balance', async () => {
    const { rows } = await venue.db.pool.query(`
      SELECT coalesce(b.account_id, l.account_id) AS account_id, coalesce(b.asset_symbol, l.asset_symbol) AS asset, b.amount, l.total
        FROM balance b
        FULL JOIN (SELECT account_id, asset_symbol, sum(amount) AS total FROM ledger_entry GROUP BY account_id, asset_symbol) l
          ON l.account_id = b.account_id AND l.asset_symbol = b.asset_symbol
       WHERE b.amount IS DISTINCT FROM l.total`);
    expect(rows).toEqual([]);
    const deposits = await venue.db.pool.query(`
      SELECT count(*)::int AS missing FROM balance b
       WHERE b.amount > 0
         AND (SELECT count(*) FROM ledger_entry l WHERE l.account_id = b.account_id AND l.asset_symbol = b.asset_symbol AND l.kind = 'DEPOSIT' AND l.amount > 0) <> 1`);
    expect(deposits.rows[0].missing).toBe(0);
    // Isolated margin came out of the USDC balance.
    const isolated = await venue.db.pool.query(`
      SELECT (SELECT coalesce(sum(isolated_margin), 0) FROM position WHERE margin_type = 'ISOLATED') AS margin,
             (SELECT coalesce(-sum(amount), 0) FROM ledger_entry WHERE kind = 'ISOLATED_TRANSFER') AS transferred`);
    expect(new Decimal(isolated.rows[0].margin).eq(isolated.rows[0].transferred)).toBe(true);
    expect(new Decimal(isolated.rows[0].margin).gt(0)).toBe(true);
  });

  it('builds the near-liquidation accounts just above maintenance margin, and the liquidatable ones below', async () => {
    const ratioOf = async (accountId: string): Promise<number> => {
      const { rows } = await venue.db.pool.query(
        `SELECT p.size, p.entry_price, p.funding_index AS position_funding, p.margin_type, m.funding_index AS market_funding, mp.price AS mark,
                (SELECT json_agg(json_build_object('asset', b.asset_symbol, 'amount', b.amount)) FROM balance b WHERE b.account_id = p.account_id) AS balances,
                (SELECT count(*) FROM position x WHERE x.account_id = p.account_id)::int AS n_positions,
                a.margin_mode
           FROM position p JOIN market m ON m.symbol = p.market_symbol JOIN mark_price mp ON mp.market_symbol = p.market_symbol
           JOIN account a ON a.id = p.account_id
          WHERE p.account_id = $1`,
        [accountId],
      );
      expect(rows).toHaveLength(1);
      const r = rows[0]!;
      expect(r.n_positions).toBe(1);
      expect(r.margin_mode).toBe('CROSS');
      expect(r.margin_type).toBe('CROSS');
      expect(r.balances).toHaveLength(1);
      expect(r.balances[0].asset).toBe('USDC');
      const q = new Decimal(r.size);
      const mark = new Decimal(r.mark);
      const notional = q.abs().mul(mark);
      const tier = (
        await venue.db.pool.query(
          `SELECT maintenance_margin_rate, maintenance_amount FROM margin_tier
            WHERE market_symbol = 'BTC-PERP' AND notional_floor <= $1 AND (notional_cap IS NULL OR notional_cap > $1)`,
          [notional.toFixed()],
        )
      ).rows[0]!;
      const mm = notional.mul(tier.maintenance_margin_rate).minus(tier.maintenance_amount);
      const funding = q.neg().mul(new Decimal(r.market_funding).minus(r.position_funding));
      const marginEquity = new Decimal(r.balances[0].amount).plus(q.mul(mark.minus(r.entry_price))).plus(funding);
      return marginEquity.div(mm).toNumber();
    };
    for (const id of report.nearLiquidation) {
      const ratio = await ratioOf(id);
      expect(ratio).toBeGreaterThanOrEqual(1.02);
      expect(ratio).toBeLessThanOrEqual(1.151);
    }
    for (const id of report.liquidatable) {
      const ratio = await ratioOf(id);
      expect(ratio).toBeGreaterThanOrEqual(0.849);
      expect(ratio).toBeLessThan(0.98);
    }
    expect(new Set([...report.nearLiquidation, ...report.liquidatable]).size).toBe(report.nearLiquidation.length + report.liquidatable.length);
  });

  it('is idempotent: a second call changes nothing and says so', async () => {
    const before = await tableCounts(venue.db);
    const dumpBefore = await accountDump(venue.db);
    const again = await seedDemoVenue(venue.db.prisma, { accounts: 50, seed: SEED + 1, nowMs: NOW_MS });
    expect(again.seeded).toBe(false);
    expect(again.accounts).toBe(0);
    expect(again.nearLiquidation).toEqual([]);
    expect(await tableCounts(venue.db)).toEqual(before);
    expect(await accountDump(venue.db)).toEqual(dumpBefore);
  });

  it('is deterministic: another database with the same options gets the same venue', async () => {
    const other = await freshDatabase();
    const otherReport = await seedDemoVenue(other.db.prisma, { accounts: ACCOUNTS, seed: SEED, nowMs: NOW_MS });
    expect(otherReport).toEqual(report);
    const [a, b] = await Promise.all([accountDump(venue.db), accountDump(other.db)]);
    expect(a).toHaveLength(ACCOUNTS);
    expect(b).toEqual(a);
    const reference = `
      SELECT string_agg(line, E'\\n' ORDER BY line) AS text FROM (
        SELECT concat_ws('|', symbol, kind, contract_type, base_asset, settlement_asset, contract_size, tick_size, expiry, strike, option_type, funding_index, implied_volatility) AS line FROM market
        UNION ALL SELECT concat_ws('|', market_symbol, price, observed_at) FROM mark_price
        UNION ALL SELECT concat_ws('|', asset_symbol, price, observed_at) FROM price_history
        UNION ALL SELECT concat_ws('|', market_symbol, tier_index, notional_floor, notional_cap, maintenance_amount) FROM margin_tier
      ) x`;
    const [ra, rb] = await Promise.all([venue.db.pool.query(reference), other.db.pool.query(reference)]);
    expect(rb.rows[0].text).toEqual(ra.rows[0].text);
    await other.drop();
  });

  it('gives a different venue for a different seed', async () => {
    const other = await freshDatabase();
    await seedDemoVenue(other.db.prisma, { accounts: 30, seed: SEED + 1, nowMs: NOW_MS });
    const a = (await accountDump(venue.db)).filter((line) => / alpha-0001 /.test(line));
    const b = (await accountDump(other.db)).filter((line) => / alpha-0001 /.test(line));
    expect(b).toHaveLength(1);
    expect(b).not.toEqual(a);
    await other.drop();
  });
});

describe('seedDemoVenue under concurrency', () => {
  it('lets exactly one of two concurrent seeders write', async () => {
    const fresh = await freshDatabase();
    const second = createDatabase({ url: fresh.url, maxConnections: 2 });
    try {
      const reports = await Promise.all([
        seedDemoVenue(fresh.db.prisma, { accounts: 40, seed: 1, nowMs: NOW_MS }),
        seedDemoVenue(second.prisma, { accounts: 40, seed: 1, nowMs: NOW_MS }),
      ]);
      expect(reports.map((r) => r.seeded).sort()).toEqual([false, true]);
      const counts = await tableCounts(fresh.db);
      expect(counts.account).toBe(40);
      expect(counts.asset).toBe(5);
    } finally {
      await second.close();
      await fresh.drop();
    }
  });

  it('reuses brokers that already exist by name', async () => {
    const fresh = await freshDatabase();
    const existing = await fresh.db.prisma.broker.create({ data: { name: DEMO_BROKERS[0] } });
    const report = await seedDemoVenue(fresh.db.prisma, { accounts: 30, seed: 5, nowMs: NOW_MS });
    expect(report).toMatchObject({ seeded: true, brokers: 2, accounts: 30 });
    const { rows } = await fresh.db.pool.query(`SELECT count(*)::int AS n FROM account WHERE broker_id = $1 AND external_ref LIKE 'alpha-%'`, [existing.id]);
    expect(rows[0].n).toBe(10);
    await fresh.drop();
  });

  it('seeds nothing but reference data for zero accounts', async () => {
    const fresh = await freshDatabase();
    const report = await seedDemoVenue(fresh.db.prisma, { accounts: 0, seed: 3, nowMs: NOW_MS });
    expect(report).toMatchObject({ seeded: true, accounts: 0, positions: 0, balances: 0, nearLiquidation: [], liquidatable: [] });
    expect((await tableCounts(fresh.db)).market).toBe(11);
    await fresh.drop();
  });
});
