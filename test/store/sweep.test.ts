/**
 * The account risk sweep on a real Postgres (the seeded demo venue, 1,000 accounts): the table equals the engine's
 * results, partitions cover every account exactly once, and a write-through refresh replaces a row (never with an
 * older evaluation).
 */
import Decimal from 'decimal.js';
import { evaluateAccount, RiskEngineError } from '../../src/risk';
import { loadAccountSnapshots } from '../../src/snapshot/snapshot.loader';
import { accountRiskByIds, pageAccountRisk, upsertAccountRisk, rowFromError, RATIO_KEY_UNBOUNDED, RiskRowBatch } from '../../src/monitoring/account-risk.repository';
import { reportedAccountFigures } from '../../src/risk/precision';
import { parsePartition, refreshAccountRisk, streamAccountSnapshots, sweepAccountRisk } from '../../src/monitoring/sweep';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const NOW = Date.now();
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase('SEEDED');
});
afterAll(async () => {
  await t.drop();
});

/** What the row stores for an engine figure: the reported figure (src/risk/precision.ts). */
const stored = (x: Decimal | null) => (x === null ? null : x.toFixed());
const asText = (x: Decimal | null) => (x === null ? null : x.toFixed());

async function allIds(): Promise<string[]> {
  const { rows } = await t.db.pool.query<{ id: string }>(`SELECT id FROM account ORDER BY id`);
  return rows.map((r) => r.id);
}

describe('account risk sweep', () => {
  it('writes one row per account equal to the engine result (figures, status, ordering key, errors)', async () => {
    const result = await sweepAccountRisk(t.db, { nowMs: NOW, batchSize: 300 });
    const ids = await allIds();
    expect(ids.length).toBe(1000);
    expect(result.accounts).toBe(1000);
    expect(result.batches).toBe(4);
    expect(result.aborted).toBe(false);

    const rows = await accountRiskByIds(t.db.pool, ids);
    expect(rows.size).toBe(1000);
    const snapshots = await loadAccountSnapshots(t.db.pool, ids, NOW);
    let errors = 0;
    for (const id of ids) {
      const row = rows.get(id)!;
      expect(row.evaluatedAt.getTime()).toBe(NOW);
      let risk;
      try {
        risk = evaluateAccount(snapshots.get(id)!.snapshot, { liquidationPrices: 'SKIP' });
      } catch (error) {
        errors += 1;
        expect(row.errorCode).toBe((error as RiskEngineError).code);
        expect(row.status).toBeNull();
        expect(row.ratioKey.toFixed()).toBe('-1');
        continue;
      }
      expect(row.errorCode).toBeNull();
      expect(row.status).toBe(risk.status);
      const reported = reportedAccountFigures(risk, risk.valuationDecimals);
      expect(asText(row.equity)).toBe(stored(reported.equity));
      expect(asText(row.marginEquity)).toBe(stored(reported.marginEquity));
      expect(asText(row.initialMargin)).toBe(stored(reported.initialMargin));
      expect(asText(row.maintenanceMargin)).toBe(stored(reported.maintenanceMargin));
      expect(asText(row.freeCollateral)).toBe(stored(reported.freeCollateral));
      expect(asText(row.totalNotional)).toBe(stored(reported.totalNotional));
      expect(asText(row.marginRatio)).toBe(stored(reported.marginRatio));
      const expectedKey = reported.marginRatio ?? (risk.status === 'LIQUIDATABLE' || risk.status === 'BANKRUPT' ? RATIO_KEY_UNBOUNDED : new Decimal(0));
      expect(row.ratioKey.toFixed()).toBe(stored(expectedKey));
      expect(row.pricesAsOf?.getTime() ?? null).toBe(risk.pricesAsOfMs);
    }
    expect(result.errors).toBe(errors);
  });

  it('splits the accounts across partitions: every account in exactly one', async () => {
    const ids = await allIds();
    const seen = new Map<string, number>();
    const sizes: number[] = [];
    for (let i = 0; i < 3; i++) {
      let n = 0;
      for await (const batch of streamAccountSnapshots(t.db, { asOfMs: NOW, batchSize: 128, partition: parsePartition(`${i}/3`) })) {
        for (const a of batch.accounts) {
          seen.set(a.account.id, (seen.get(a.account.id) ?? 0) + 1);
          n += 1;
        }
        // Batches come in id order.
        const batchIds = batch.accounts.map((a) => a.account.id);
        expect([...batchIds].sort()).toEqual(batchIds);
      }
      sizes.push(n);
    }
    expect([...seen.keys()].sort()).toEqual(ids);
    expect([...seen.values()].every((c) => c === 1)).toBe(true);
    // A hash split: each third is roughly a third.
    for (const n of sizes) expect(n).toBeGreaterThan(250);

    // A partitioned sweep writes its share only.
    await t.db.pool.query(`DELETE FROM account_risk`);
    const one = await sweepAccountRisk(t.db, { nowMs: NOW, partition: parsePartition('1/3') });
    expect(one.accounts).toBe(sizes[1]);
    const { rows } = await t.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM account_risk`);
    expect(Number(rows[0]!.n)).toBe(sizes[1]);
    for (const i of [0, 2]) await sweepAccountRisk(t.db, { nowMs: NOW, partition: parsePartition(`${i}/3`) });
    const all = await t.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM account_risk`);
    expect(Number(all.rows[0]!.n)).toBe(1000);
  });

  it('refreshes an account after a write, and never replaces a row with an older evaluation', async () => {
    await sweepAccountRisk(t.db, { nowMs: NOW });
    const { rows } = await t.db.pool.query<{ account_id: string }>(
      `SELECT account_id FROM account_risk WHERE status = 'HEALTHY' AND maintenance_margin > 0 ORDER BY account_id LIMIT 1`,
    );
    const id = rows[0]!.account_id;
    const before = (await accountRiskByIds(t.db.pool, [id])).get(id)!;
    // A withdrawal of most of the account's USDC (written straight to the store, as a mutation would: the balance and
    // the account's version in one transaction).
    await t.db.pool.query(
      `WITH b AS (UPDATE balance SET amount = amount * 0.01 WHERE account_id = $1 AND asset_symbol = 'USDC')
       UPDATE account SET version = version + 1 WHERE id = $1`,
      [id],
    );
    const later = NOW + 1000;
    const [refreshed] = await refreshAccountRisk(t.db.pool, [id], later);
    const after = (await accountRiskByIds(t.db.pool, [id])).get(id)!;
    expect(after.evaluatedAt.getTime()).toBe(later);
    expect(after.equity!.lt(before.equity!)).toBe(true);
    const engine = evaluateAccount((await loadAccountSnapshots(t.db.pool, [id], later)).get(id)!.snapshot, { liquidationPrices: 'SKIP' });
    expect(asText(after.equity)).toBe(stored(reportedAccountFigures(engine, engine.valuationDecimals).equity));
    expect(after.status).toBe(engine.status);
    expect(refreshed!.accountId).toBe(id);
    expect(after.accountVersion).toBe(before.accountVersion + 1);
    expect(after.marketDataVersion).toBe(before.marketDataVersion);

    // An evaluation read before the write (the account's previous version) does not overwrite the refresh, even
    // when its process stamped it with a later clock.
    const stale = { accountVersion: before.accountVersion, marketDataVersion: before.marketDataVersion, evaluatedAtMs: later + 60_000 };
    await upsertAccountRisk(t.db.pool, [rowFromError(id, 'STALE_PRICE', stale)]);
    const kept = (await accountRiskByIds(t.db.pool, [id])).get(id)!;
    expect(kept.errorCode).toBeNull();
    expect(kept.evaluatedAt.getTime()).toBe(later);

    // Nor does one of the current account version on older market data; a newer market-data version replaces it.
    const older = { accountVersion: after.accountVersion, marketDataVersion: String(BigInt(after.marketDataVersion) - 1n), evaluatedAtMs: later + 60_000 };
    await upsertAccountRisk(t.db.pool, [rowFromError(id, 'STALE_PRICE', older)]);
    expect((await accountRiskByIds(t.db.pool, [id])).get(id)!.errorCode).toBeNull();
    const newer = { accountVersion: after.accountVersion, marketDataVersion: String(BigInt(after.marketDataVersion) + 1n), evaluatedAtMs: NOW };
    await upsertAccountRisk(t.db.pool, [rowFromError(id, 'STALE_PRICE', newer)]);
    expect((await accountRiskByIds(t.db.pool, [id])).get(id)!.errorCode).toBe('STALE_PRICE');
  });

  it('stops between batches when asked (shutdown)', async () => {
    let calls = 0;
    const result = await sweepAccountRisk(t.db, { nowMs: NOW, batchSize: 100, shouldStop: () => ++calls > 2 });
    expect(result.aborted).toBe(true);
    expect(result.accounts).toBe(200);
  });

  it('writes a batch of texts as given: figures digit for digit, ratio keys, instants, and error codes with quotes', async () => {
    const ids = (await allIds()).slice(0, 4);
    const stamp = { accountVersion: 1_000_000, marketDataVersion: '9000000000000000000', evaluatedAtMs: NOW + 5_123 };
    const texts = {
      status: 'LIQUIDATABLE' as const,
      marginRatio: null,
      equity: '-0.000001',
      initialMarginEquity: '123456789012345.123456',
      marginEquity: '0',
      initialMargin: '1000',
      maintenanceMargin: '0.1',
      freeCollateral: '-98765.4321',
      totalNotional: '12.5',
      pricesAsOfMs: NOW - 250,
    };
    const batch = new RiskRowBatch();
    batch.addTexts(ids[0]!, texts, stamp);
    batch.addTexts(ids[1]!, { ...texts, status: 'HEALTHY', marginRatio: '0.012345678901' }, stamp);
    // Error codes are the engine's; any text survives the array literal (quotes, backslashes, commas, braces, NULL).
    batch.addRow(rowFromError(ids[2]!, 'A"B\\C,D{E}', stamp));
    batch.addRow(rowFromError(ids[3]!, 'NULL', stamp));
    await upsertAccountRisk(t.db.pool, batch, []);
    const rows = await accountRiskByIds(t.db.pool, ids);
    const a = rows.get(ids[0]!)!;
    expect([a.status, a.marginRatio, a.ratioKey.toFixed(), a.equity!.toFixed(), a.initialMarginEquity!.toFixed(), a.freeCollateral!.toFixed()]).toEqual([
      'LIQUIDATABLE',
      null,
      RATIO_KEY_UNBOUNDED.toFixed(),
      '-0.000001',
      '123456789012345.123456',
      '-98765.4321',
    ]);
    expect([a.pricesAsOf!.getTime(), a.evaluatedAt.getTime(), a.accountVersion, a.marketDataVersion]).toEqual([NOW - 250, NOW + 5_123, 1_000_000, '9000000000000000000']);
    const b = rows.get(ids[1]!)!;
    expect([b.status, b.marginRatio!.toFixed(), b.ratioKey.toFixed()]).toEqual(['HEALTHY', '0.012345678901', '0.012345678901']);
    expect(rows.get(ids[2]!)!.errorCode).toBe('A"B\\C,D{E}');
    expect(rows.get(ids[3]!)!.errorCode).toBe('NULL');
    expect(rows.get(ids[3]!)!.ratioKey.toFixed()).toBe('-1');
  });

  it('the ratio bucket never decreases as the ratio key grows, so bucketed pages list (ratio key, id) order', async () => {
    // Keys across the range, with neighbours of the bucket boundaries e^(b/100) at 12 significant digits.
    const keys = ['-1', '0', '1e-30', '0.000000000001', '0.05', '0.999999999999', '1', '1.000000000001', '2.5', '1e18'];
    for (let b = -400; b <= 100; b += 7) {
      const edge = new Decimal(Math.exp(b / 100)).toSignificantDigits(12);
      keys.push(edge.toFixed(), edge.mul('1.000000000001').toSignificantDigits(12).toFixed(), edge.mul('0.999999999999').toSignificantDigits(12).toFixed());
    }
    const { rows } = await t.db.pool.query<{ key: string; b: number }>(
      `SELECT k::text AS key, account_risk_bucket(k) AS b FROM unnest($1::numeric[]) AS k ORDER BY k`,
      [keys],
    );
    for (let i = 1; i < rows.length; i++) expect(rows[i]!.b).toBeGreaterThanOrEqual(rows[i - 1]!.b);

    // Every row, page by page through the bucket index, in exactly the order of (ratio_key DESC, account_id DESC).
    await sweepAccountRisk(t.db, { nowMs: NOW + 10_000 });
    const { rows: want } = await t.db.pool.query<{ id: string }>(`SELECT account_id AS id FROM account_risk ORDER BY ratio_key DESC, account_id DESC`);
    const got: string[] = [];
    let cursor: { ratioKey: string; accountId: string } | null = null;
    for (;;) {
      const page = await pageAccountRisk(t.db.pool, { page: { direction: 'FORWARD', cursor, limit: 97 }, minRatio: null });
      if (page.length === 0) break;
      got.push(...page.map((r) => r.accountId));
      const last = page[page.length - 1]!;
      cursor = { ratioKey: last.ratioKey.toFixed(), accountId: last.accountId };
    }
    expect(got).toEqual(want.map((r) => r.id));
    const { rows: above } = await t.db.pool.query<{ id: string }>(
      `SELECT account_id AS id FROM account_risk WHERE ratio_key >= 0.05 ORDER BY ratio_key DESC, account_id DESC`,
    );
    const page = await pageAccountRisk(t.db.pool, { page: { direction: 'FORWARD', cursor: null, limit: 1000 }, minRatio: new Decimal('0.05') });
    expect(page.map((r) => r.accountId)).toEqual(above.map((r) => r.id));
  });

  it('a rewrite of a row whose bucket does not move is a heap-only update (no index entry)', async () => {
    const { rows } = await t.db.pool.query<{ id: string }>(`SELECT account_id AS id FROM account_risk WHERE error_code IS NULL ORDER BY account_id LIMIT 200`);
    const before = await accountRiskByIds(t.db.pool, rows.map((r) => r.id));
    const hot = async () => {
      await t.db.pool.query('SELECT pg_stat_force_next_flush()');
      const { rows: s } = await t.db.pool.query<{ hot: string }>(`SELECT n_tup_hot_upd::text AS hot FROM pg_stat_user_tables WHERE relname = 'account_risk'`);
      return Number(s[0]!.hot);
    };
    const hotBefore = await hot();
    // A later evaluation: the same figures, a later time and market-data version (as a tick that moved nothing much).
    const batch = new RiskRowBatch();
    for (const r of before.values()) batch.addRow({ ...r, evaluatedAt: new Date(r.evaluatedAt.getTime() + 1000), marketDataVersion: String(BigInt(r.marketDataVersion) + 1n) });
    await upsertAccountRisk(t.db.pool, batch, []);
    expect((await hot()) - hotBefore).toBeGreaterThan(150);
  });
});
