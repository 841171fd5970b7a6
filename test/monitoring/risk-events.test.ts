/**
 * Risk events recorded by the account_risk writer (upsertAccountRisk) on a real Postgres: a status transition
 * records one event with the versions of the evaluation, a repeated status none, and concurrent evaluators of one
 * account (two connections racing on the row) record exactly one event per real transition, notified on commit.
 */
import Decimal from 'decimal.js';
import { rowFromError, upsertAccountRisk, type AccountRiskRow, type EvaluationStamp } from '../../src/monitoring/account-risk.repository';
import type { AccountStatus } from '../../src/risk';
import { createLogger } from '../../src/server/logger';
import { CHANNELS, startNotificationBus, type NotificationBus } from '../../src/store/notification-bus';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let t: TestDatabase;
let bus: NotificationBus;
let accountId: string;
let brokerId: string;

beforeAll(async () => {
  t = await createTestDatabase('SEEDED');
  bus = await startNotificationBus(t.url, createLogger('silent'));
  const { rows } = await t.db.pool.query<{ id: string; broker_id: string }>(`SELECT id, broker_id FROM account ORDER BY id LIMIT 1`);
  accountId = rows[0]!.id;
  brokerId = rows[0]!.broker_id;
});
afterAll(async () => {
  await bus.close();
  await t.drop();
});

let marketVersion = 1_000_000n;
/** A fresh stamp, newer than every earlier one. */
function stamp(): EvaluationStamp {
  marketVersion += 1n;
  return { accountVersion: 1_000, marketDataVersion: String(marketVersion), evaluatedAtMs: Date.now() };
}

function statusRow(status: AccountStatus, ratio: string, s: EvaluationStamp = stamp()): AccountRiskRow {
  return { ...rowFromError(accountId, 'UNUSED', s), status, errorCode: null, marginRatio: new Decimal(ratio), ratioKey: new Decimal(ratio) };
}

async function events(): Promise<{ from_status: string | null; to_status: string; broker_id: string; market_data_version: string; margin_ratio: string }[]> {
  const { rows } = await t.db.pool.query(
    `SELECT from_status, to_status, broker_id, market_data_version::text, trim_scale(margin_ratio)::text AS margin_ratio FROM risk_event WHERE account_id = $1 ORDER BY seq`,
    [accountId],
  );
  return rows;
}

describe('risk events', () => {
  it('records a status change once, with the evaluation versions, and nothing for a repeated status', async () => {
    await t.db.pool.query(`DELETE FROM risk_event`);
    await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.2')]);
    const before = (await events()).length;
    await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.3')]);
    expect((await events()).length).toBe(before);
    const liquidatable = stamp();
    const ids = await upsertAccountRisk(t.db.pool, [statusRow('LIQUIDATABLE', '1.25', liquidatable)]);
    expect(ids).toHaveLength(1);
    const recorded = (await events()).slice(before);
    expect(recorded).toEqual([
      { from_status: 'HEALTHY', to_status: 'LIQUIDATABLE', broker_id: brokerId, market_data_version: liquidatable.marketDataVersion, margin_ratio: '1.25' },
    ]);
    // A failed evaluation in between is skipped: LIQUIDATABLE → (error) → LIQUIDATABLE is no transition.
    await upsertAccountRisk(t.db.pool, [rowFromError(accountId, 'STALE_PRICE', stamp())]);
    expect(await upsertAccountRisk(t.db.pool, [statusRow('LIQUIDATABLE', '1.3')])).toEqual([]);
    // An older evaluation does not replace the row and records nothing.
    const old = { accountVersion: 1_000, marketDataVersion: '1', evaluatedAtMs: Date.now() };
    expect(await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.1', old)])).toEqual([]);
    expect((await events()).length).toBe(before + 1);
  });

  it('records exactly one event when two evaluators race on one transition, and notifies it on commit', async () => {
    await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.2')]);
    const before = (await events()).length;
    const heard: string[] = [];
    const unsubscribe = await bus.subscribe(CHANNELS.riskEvents, (payload) => heard.push(...(payload as { ids: string[] }).ids));
    const first = await t.db.pool.connect();
    const second = await t.db.pool.connect();
    try {
      await first.query('BEGIN');
      await second.query('BEGIN');
      // Both evaluations read HEALTHY; the first holds the row lock, the second waits on it.
      const firstIds = await upsertAccountRisk(first, [statusRow('LIQUIDATABLE', '1.1')]);
      const waiting = upsertAccountRisk(second, [statusRow('LIQUIDATABLE', '1.2')]);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await first.query('COMMIT');
      const secondIds = await waiting;
      await second.query('COMMIT');
      expect(firstIds).toHaveLength(1);
      expect(secondIds).toEqual([]);
      // And many at once through the pool: one more transition back, recorded once.
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', `0.${i + 1}`)])));
      expect(results.flat()).toHaveLength(1);
      const recorded = (await events()).slice(before);
      expect(recorded.map((e) => `${e.from_status}→${e.to_status}`)).toEqual(['HEALTHY→LIQUIDATABLE', 'LIQUIDATABLE→HEALTHY']);
      const deadline = Date.now() + 5_000;
      while (heard.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(heard.sort()).toEqual([...firstIds, ...results.flat()].sort());
    } finally {
      first.release();
      second.release();
      unsubscribe();
    }
  });
});
