/**
 * Risk events recorded by the account_risk writer (upsertAccountRisk) on a real Postgres: a status transition
 * records one event with the versions of the evaluation, a repeated status none, and concurrent evaluators of one
 * account (two connections racing on the row) record exactly one event per real transition, notified on commit.
 */
import Decimal from 'decimal.js';
import { rowFromError, upsertAccountRisk, type AccountRiskRow, type EvaluationStamp } from '../../src/monitoring/account-risk.repository';
import { riskEventsRecorded } from '../../src/monitoring/metrics';
import type { AccountStatus } from '../../src/risk';
import { createLogger } from '../../src/server/logger';
import { CHANNELS, startNotificationBus, type NotificationBus } from '../../src/store/notification-bus';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

/** The status-change tests record no threshold crossings. */
const NO_THRESHOLDS: Decimal[] = [];
const THRESHOLDS = ['0.5', '0.8', '0.9'].map((x) => new Decimal(x));

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
    await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.2')], NO_THRESHOLDS);
    const before = (await events()).length;
    await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.3')], NO_THRESHOLDS);
    expect((await events()).length).toBe(before);
    const liquidatable = stamp();
    const ids = await upsertAccountRisk(t.db.pool, [statusRow('LIQUIDATABLE', '1.25', liquidatable)], NO_THRESHOLDS);
    expect(ids).toHaveLength(1);
    const recorded = (await events()).slice(before);
    expect(recorded).toEqual([
      { from_status: 'HEALTHY', to_status: 'LIQUIDATABLE', broker_id: brokerId, market_data_version: liquidatable.marketDataVersion, margin_ratio: '1.25' },
    ]);
    // A failed evaluation in between is skipped: LIQUIDATABLE → (error) → LIQUIDATABLE is no transition.
    await upsertAccountRisk(t.db.pool, [rowFromError(accountId, 'STALE_PRICE', stamp())], NO_THRESHOLDS);
    expect(await upsertAccountRisk(t.db.pool, [statusRow('LIQUIDATABLE', '1.3')], NO_THRESHOLDS)).toEqual([]);
    // An older evaluation does not replace the row and records nothing.
    const old = { accountVersion: 1_000, marketDataVersion: '1', evaluatedAtMs: Date.now() };
    expect(await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.1', old)], NO_THRESHOLDS)).toEqual([]);
    expect((await events()).length).toBe(before + 1);
  });

  it('records exactly one event when two evaluators race on one transition, and notifies it on commit', async () => {
    await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.2')], NO_THRESHOLDS);
    const before = (await events()).length;
    const heard: string[] = [];
    const unsubscribe = await bus.subscribe(CHANNELS.riskEvents, (payload) => heard.push(...(payload as { ids: string[] }).ids));
    const first = await t.db.pool.connect();
    const second = await t.db.pool.connect();
    try {
      await first.query('BEGIN');
      await second.query('BEGIN');
      // Both evaluations read HEALTHY; the first holds the row lock, the second waits on it.
      const firstIds = await upsertAccountRisk(first, [statusRow('LIQUIDATABLE', '1.1')], NO_THRESHOLDS);
      const waiting = upsertAccountRisk(second, [statusRow('LIQUIDATABLE', '1.2')], NO_THRESHOLDS);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await first.query('COMMIT');
      const secondIds = await waiting;
      await second.query('COMMIT');
      expect(firstIds).toHaveLength(1);
      expect(secondIds).toEqual([]);
      // And many at once through the pool: one more transition back, recorded once.
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', `0.${i + 1}`)], NO_THRESHOLDS)));
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

  it('records a THRESHOLD_CROSSING per threshold crossed, either way, with threshold, direction and both ratios', async () => {
    await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.3')], NO_THRESHOLDS);
    const crossings = async () => {
      const { rows } = await t.db.pool.query(
        `SELECT trim_scale(threshold)::text AS threshold, direction::text, trim_scale(prior_ratio_key)::text AS before,
                trim_scale(ratio_key)::text AS after, to_status FROM risk_event
          WHERE account_id = $1 AND kind = 'THRESHOLD_CROSSING' ORDER BY seq`,
        [accountId],
      );
      return rows;
    };
    const start = (await crossings()).length;
    const counted = async () => (await riskEventsRecorded.get()).values.find((v) => v.labels.kind === 'THRESHOLD_CROSSING')?.value ?? 0;
    const countedBefore = await counted();
    // 0.3 → 0.85: crosses 0.5 and 0.8 upward (0.9 not reached); no status change.
    const up = await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.85')], THRESHOLDS);
    expect(up).toHaveLength(2);
    // Staying between 0.8 and 0.9 crosses nothing; landing exactly on 0.9 counts as reaching it (UP).
    expect(await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.88')], THRESHOLDS)).toEqual([]);
    expect(await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.9')], THRESHOLDS)).toHaveLength(1);
    // 0.9 → 0.45: below all three (DOWN), and a failed evaluation in between does not hide the prior ratio.
    await upsertAccountRisk(t.db.pool, [rowFromError(accountId, 'STALE_PRICE', stamp())], THRESHOLDS);
    expect(await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.45')], THRESHOLDS)).toHaveLength(3);
    expect((await crossings()).slice(start)).toEqual([
      { threshold: '0.5', direction: 'UP', before: '0.3', after: '0.85', to_status: 'HEALTHY' },
      { threshold: '0.8', direction: 'UP', before: '0.3', after: '0.85', to_status: 'HEALTHY' },
      { threshold: '0.9', direction: 'UP', before: '0.88', after: '0.9', to_status: 'HEALTHY' },
      { threshold: '0.5', direction: 'DOWN', before: '0.9', after: '0.45', to_status: 'HEALTHY' },
      { threshold: '0.8', direction: 'DOWN', before: '0.9', after: '0.45', to_status: 'HEALTHY' },
      { threshold: '0.9', direction: 'DOWN', before: '0.9', after: '0.45', to_status: 'HEALTHY' },
    ]);
    // The metric counts what was recorded, by kind.
    expect((await counted()) - countedBefore).toBe(6);
  });

  it('records each crossing exactly once when evaluators race, in the statement that records the status change', async () => {
    await upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', '0.2')], NO_THRESHOLDS);
    const { rows: seq } = await t.db.pool.query<{ s: string }>(`SELECT coalesce(max(seq), 0)::text AS s FROM risk_event`);
    const first = await t.db.pool.connect();
    const second = await t.db.pool.connect();
    try {
      await first.query('BEGIN');
      await second.query('BEGIN');
      const firstIds = await upsertAccountRisk(first, [statusRow('LIQUIDATABLE', '1.1')], THRESHOLDS);
      const waiting = upsertAccountRisk(second, [statusRow('LIQUIDATABLE', '1.2')], THRESHOLDS);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await first.query('COMMIT');
      const secondIds = await waiting;
      await second.query('COMMIT');
      // One status change and three upward crossings by the first; the second saw them as prior: nothing.
      expect(firstIds).toHaveLength(4);
      expect(secondIds).toEqual([]);
      // Eight at once back to ratios 0.1..0.8 (the last writer's prior is another racer's row).
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => upsertAccountRisk(t.db.pool, [statusRow('HEALTHY', `0.${i + 1}`)], THRESHOLDS)));
      const { rows } = await t.db.pool.query<{ kind: string; threshold: string | null; direction: string | null }>(
        `SELECT kind::text, trim_scale(threshold)::text AS threshold, direction::text FROM risk_event
          WHERE account_id = $1 AND seq > $2 ORDER BY seq`,
        [accountId, seq[0]!.s],
      );
      expect(rows.length).toBe(firstIds.length + results.flat().length);
      const statusChanges = rows.filter((r) => r.kind === 'STATUS_CHANGE');
      expect(statusChanges).toHaveLength(2);
      // Every threshold's crossings alternate UP, DOWN, UP, ... (never two UPs in a row: each recorded once).
      for (const threshold of ['0.5', '0.8', '0.9']) {
        const dirs = rows.filter((r) => r.threshold === threshold).map((r) => r.direction);
        expect(dirs[0]).toBe('UP');
        dirs.forEach((d, i) => expect(d).toBe(i % 2 === 0 ? 'UP' : 'DOWN'));
      }
      // The last row's ratio is what the crossings end at: below a threshold exactly when its last crossing was DOWN.
      const { rows: last } = await t.db.pool.query<{ ratio_key: string }>(`SELECT ratio_key::text FROM account_risk WHERE account_id = $1`, [accountId]);
      for (const threshold of ['0.5', '0.8', '0.9']) {
        const dirs = rows.filter((r) => r.threshold === threshold).map((r) => r.direction);
        expect(dirs.at(-1) === 'UP').toBe(new Decimal(last[0]!.ratio_key).gte(threshold));
      }
    } finally {
      first.release();
      second.release();
    }
  });
});
