/**
 * The webhook queue on a real Postgres: the risk_event trigger enqueues one delivery per ACTIVE endpoint of the
 * event's broker (kind filter applied) in the event's own transaction (a rolled-back event leaves none); concurrent
 * claims (FOR UPDATE SKIP LOCKED) get disjoint rows; a lease keeps a claimed row from being claimed again until it
 * runs out; outcomes are fenced by the attempt number.
 */
import type { PoolClient } from 'pg';
import { claimDueDeliveries, insertWebhookEndpoint, recordAttempt, updateWebhookEndpoint } from '../../src/store/webhook.repository';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let t: TestDatabase;
let brokerA: string;
let brokerB: string;
let accountA: string;
let accountB: string;

beforeAll(async () => {
  t = await createTestDatabase('MIGRATED');
  const broker = async (name: string) => (await t.db.pool.query<{ id: string }>(`INSERT INTO broker (name) VALUES ($1) RETURNING id`, [name])).rows[0]!.id;
  const account = async (brokerId: string, ref: string) =>
    (await t.db.pool.query<{ id: string }>(`INSERT INTO account (broker_id, external_ref) VALUES ($1, $2) RETURNING id`, [brokerId, ref])).rows[0]!.id;
  brokerA = await broker('wh-a');
  brokerB = await broker('wh-b');
  accountA = await account(brokerA, 'a-1');
  accountB = await account(brokerB, 'b-1');
});
afterAll(async () => {
  await t?.drop();
});

async function recordEvent(q: { query: PoolClient['query'] } | typeof t.db.pool, accountId: string, brokerId: string): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO risk_event (account_id, broker_id, kind, from_status, to_status, ratio_key, account_version, market_data_version)
     VALUES ($1, $2, 'STATUS_CHANGE', 'HEALTHY', 'LIQUIDATABLE', 1.2, 1, 1) RETURNING id`,
    [accountId, brokerId],
  );
  return rows[0]!.id;
}

async function deliveriesOf(eventId: string): Promise<{ endpoint_id: string; status: string }[]> {
  return (await t.db.pool.query(`SELECT endpoint_id, status FROM webhook_delivery WHERE event_id = $1 ORDER BY endpoint_id`, [eventId])).rows;
}

const endpoint = (brokerId: string, eventKinds: 'STATUS_CHANGE'[] | null = null) =>
  insertWebhookEndpoint(t.db.pool, { brokerId, url: 'https://93.184.216.34/h', secret: 's'.repeat(64), description: 'd', eventKinds });

describe('webhook queue', () => {
  it("enqueues one delivery per ACTIVE endpoint of the event's broker, in the event's transaction", async () => {
    const a1 = await endpoint(brokerA);
    const a2 = await endpoint(brokerA, ['STATUS_CHANGE']);
    const off = await endpoint(brokerA);
    await updateWebhookEndpoint(t.db.pool, off.id, { status: 'DISABLED' });
    const b1 = await endpoint(brokerB);
    const event = await recordEvent(t.db.pool, accountA, brokerA);
    expect((await deliveriesOf(event)).map((d) => d.endpoint_id).sort()).toEqual([a1.id, a2.id].sort());
    expect((await deliveriesOf(event)).every((d) => d.status === 'PENDING')).toBe(true);
    const other = await recordEvent(t.db.pool, accountB, brokerB);
    expect((await deliveriesOf(other)).map((d) => d.endpoint_id)).toEqual([b1.id]);

    // Rolled back with its event: nothing is left behind.
    const client = await t.db.pool.connect();
    try {
      await client.query('BEGIN');
      const doomed = await recordEvent(client, accountA, brokerA);
      expect((await client.query(`SELECT 1 FROM webhook_delivery WHERE event_id = $1`, [doomed])).rows).toHaveLength(2);
      await client.query('ROLLBACK');
      expect(await deliveriesOf(doomed)).toEqual([]);
    } finally {
      client.release();
    }
  });

  it('concurrent claims get disjoint rows; a leased row is not claimed again; outcomes are fenced by attempt', async () => {
    await t.db.pool.query(`DELETE FROM webhook_delivery`);
    for (let i = 0; i < 6; i++) await recordEvent(t.db.pool, accountB, brokerB); // one ACTIVE endpoint of B: 6 rows
    const c1 = await t.db.pool.connect();
    const c2 = await t.db.pool.connect();
    try {
      await c1.query('BEGIN');
      await c2.query('BEGIN');
      const first = await claimDueDeliveries(c1, 4, 60_000);
      const second = await claimDueDeliveries(c2, 4, 60_000); // skips the 4 rows c1 holds
      expect(first).toHaveLength(4);
      expect(second).toHaveLength(2);
      const ids = [...first, ...second].map((c) => c.delivery.id);
      expect(new Set(ids).size).toBe(6);
      await c1.query('COMMIT');
      await c2.query('COMMIT');
    } finally {
      c1.release();
      c2.release();
    }
    // Leased for a minute: nothing is due.
    expect(await claimDueDeliveries(t.db.pool, 10, 60_000)).toEqual([]);
    const { rows } = await t.db.pool.query<{ id: string; attempts: number }>(`SELECT id, attempts FROM webhook_delivery ORDER BY seq LIMIT 1`);
    const row = rows[0]!;
    expect(row.attempts).toBe(1);
    // A stale outcome (attempt 0) is dropped; the current one is recorded once.
    expect(await recordAttempt(t.db.pool, row.id, 0, { kind: 'DELIVERED', statusCode: 200 })).toBe(false);
    expect(await recordAttempt(t.db.pool, row.id, 1, { kind: 'RETRY', statusCode: 500, error: 'HTTP 500', retryInMs: 0 })).toBe(true);
    const again = await claimDueDeliveries(t.db.pool, 10, 60_000);
    expect(again.map((c) => [c.delivery.id, c.delivery.attempts])).toEqual([[row.id, 2]]);
    expect(again[0]!.secret).toBe('s'.repeat(64));
    expect(again[0]!.event).toMatchObject({ accountId: accountB, brokerId: brokerB, kind: 'STATUS_CHANGE', from: 'HEALTHY', to: 'LIQUIDATABLE' });
    expect(await recordAttempt(t.db.pool, row.id, 2, { kind: 'FAILED', statusCode: null, error: 'refused' })).toBe(true);
    expect(await recordAttempt(t.db.pool, row.id, 2, { kind: 'DELIVERED', statusCode: 200 })).toBe(false); // final
    const final = (await t.db.pool.query(`SELECT status, attempts, last_error, delivered_at FROM webhook_delivery WHERE id = $1`, [row.id])).rows[0];
    expect(final).toEqual({ status: 'FAILED', attempts: 2, last_error: 'refused', delivered_at: null });
  });
});
