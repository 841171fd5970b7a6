/**
 * Webhook endpoints (table webhook_endpoint) and their delivery log (webhook_delivery). Deliveries are enqueued by the
 * trigger on risk_event (migration 20261203100000_webhooks), in the transaction that records the event; the worker
 * (src/monitoring/webhook-delivery.ts) claims due rows here with FOR UPDATE SKIP LOCKED and records each attempt.
 *
 * The signing secret is read only by `claimDueDeliveries` (to sign): no record returned to the API carries it.
 */
import { keysetSql, type KeysetPage } from './keyset';
import type { Queryable } from './queryable';

export type WebhookStatus = 'ACTIVE' | 'DISABLED';
export type WebhookDeliveryStatus = 'PENDING' | 'DELIVERED' | 'FAILED';
export type WebhookEventKind = 'STATUS_CHANGE' | 'THRESHOLD_CROSSING';

export interface WebhookEndpointRecord {
  readonly id: string;
  readonly brokerId: string;
  readonly url: string;
  readonly description: string;
  /** Kinds of risk event delivered; null: every kind. */
  readonly eventKinds: readonly WebhookEventKind[] | null;
  readonly status: WebhookStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface WebhookDeliveryRecord {
  readonly id: string;
  readonly seq: string;
  readonly endpointId: string;
  readonly eventId: string;
  readonly status: WebhookDeliveryStatus;
  readonly attempts: number;
  readonly nextAttemptAt: Date;
  readonly lastStatusCode: number | null;
  readonly lastError: string | null;
  readonly lastAttemptAt: Date | null;
  readonly deliveredAt: Date | null;
  readonly createdAt: Date;
}

interface EndpointRow {
  id: string;
  broker_id: string;
  url: string;
  description: string;
  event_kinds: WebhookEventKind[] | null;
  status: WebhookStatus;
  created_at: Date;
  updated_at: Date;
}

const ENDPOINT_COLUMNS = `id, broker_id, url, description, event_kinds, status, created_at, updated_at`;

function toEndpoint(r: EndpointRow): WebhookEndpointRecord {
  return {
    id: r.id,
    brokerId: r.broker_id,
    url: r.url,
    description: r.description,
    eventKinds: r.event_kinds,
    status: r.status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

export async function insertWebhookEndpoint(
  q: Queryable,
  args: { brokerId: string; url: string; secret: string; description: string; eventKinds: readonly WebhookEventKind[] | null },
): Promise<WebhookEndpointRecord> {
  const { rows } = await q.query<EndpointRow>(
    `INSERT INTO webhook_endpoint (broker_id, url, secret, description, event_kinds)
     VALUES ($1, $2, $3, $4, $5::jsonb) RETURNING ${ENDPOINT_COLUMNS}`,
    [args.brokerId, args.url, args.secret, args.description, args.eventKinds === null ? null : JSON.stringify(args.eventKinds)],
  );
  return toEndpoint(rows[0]!);
}

export async function webhookEndpointById(q: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<WebhookEndpointRecord | null> {
  const { rows } = await q.query<EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE id = $1::uuid ${options.forUpdate ? 'FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] ? toEndpoint(rows[0]) : null;
}

/** A broker's endpoints (every broker's when null), oldest first. */
export async function webhookEndpoints(q: Queryable, brokerId: string | null): Promise<WebhookEndpointRecord[]> {
  const { rows } = await q.query<EndpointRow>(
    `SELECT ${ENDPOINT_COLUMNS} FROM webhook_endpoint WHERE ($1::uuid IS NULL OR broker_id = $1::uuid) ORDER BY created_at, id`,
    [brokerId],
  );
  return rows.map(toEndpoint);
}

/** Sets the given fields (the others unchanged). */
export async function updateWebhookEndpoint(
  q: Queryable,
  id: string,
  changes: { url?: string; description?: string; status?: WebhookStatus },
): Promise<WebhookEndpointRecord | null> {
  const { rows } = await q.query<EndpointRow>(
    `UPDATE webhook_endpoint SET url = COALESCE($2, url), description = COALESCE($3, description),
            status = COALESCE($4::"WebhookStatus", status), updated_at = CURRENT_TIMESTAMP
      WHERE id = $1::uuid RETURNING ${ENDPOINT_COLUMNS}`,
    [id, changes.url ?? null, changes.description ?? null, changes.status ?? null],
  );
  return rows[0] ? toEndpoint(rows[0]) : null;
}

/** Deletes the endpoint and its delivery log (pending deliveries are dropped). */
export async function deleteWebhookEndpoint(q: Queryable, id: string): Promise<boolean> {
  const { rows } = await q.query(`DELETE FROM webhook_endpoint WHERE id = $1::uuid RETURNING id`, [id]);
  return rows.length > 0;
}

interface DeliveryRow {
  id: string;
  seq: string;
  endpoint_id: string;
  event_id: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  next_attempt_at: Date;
  last_status_code: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  delivered_at: Date | null;
  created_at: Date;
}

const DELIVERY_COLUMNS = `d.id, d.seq::text AS seq, d.endpoint_id, d.event_id, d.status, d.attempts, d.next_attempt_at, d.last_status_code,
  d.last_error, d.last_attempt_at, d.delivered_at, d.created_at`;

function toDelivery(r: DeliveryRow): WebhookDeliveryRecord {
  return {
    id: r.id,
    seq: r.seq,
    endpointId: r.endpoint_id,
    eventId: r.event_id,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    lastStatusCode: r.last_status_code,
    lastError: r.last_error,
    lastAttemptAt: r.last_attempt_at,
    deliveredAt: r.delivered_at,
    createdAt: r.created_at,
  };
}

/** A page of an endpoint's delivery log in enqueueing order (cursor: seq), optionally of one status. */
export async function pageWebhookDeliveries(
  q: Queryable,
  args: { endpointId: string; status: WebhookDeliveryStatus | null; page: KeysetPage<string>; side?: 'BEYOND' | 'OTHER_SIDE' },
): Promise<WebhookDeliveryRecord[]> {
  const values: unknown[] = [args.endpointId];
  const where = ['d.endpoint_id = $1::uuid'];
  if (args.status !== null) {
    values.push(args.status);
    where.push(`d.status = $${values.length}::"WebhookDeliveryStatus"`);
  }
  if (args.page.cursor !== null) values.push(args.page.cursor);
  const keyset = keysetSql(args.page.direction, 'd.seq', args.page.cursor !== null ? `$${values.length}::bigint` : null, args.side ?? 'BEYOND');
  if (keyset.where) where.push(keyset.where);
  values.push(args.page.limit);
  const { rows } = await q.query<DeliveryRow>(
    `SELECT ${DELIVERY_COLUMNS} FROM webhook_delivery d WHERE ${where.join(' AND ')} ORDER BY ${keyset.orderBy} LIMIT $${values.length}`,
    values,
  );
  return rows.map(toDelivery);
}

/** What the worker needs to send one claimed delivery: the row, where to, the secret to sign with, the event. */
export interface ClaimedDelivery {
  readonly delivery: WebhookDeliveryRecord;
  readonly url: string;
  readonly secret: string;
  readonly event: {
    readonly id: string;
    readonly accountId: string;
    readonly brokerId: string;
    readonly kind: string;
    readonly from: string | null;
    readonly to: string;
    /** Exact decimal text; null when margin equity ≤ 0. */
    readonly marginRatio: string | null;
    readonly accountVersion: number;
    readonly marketDataVersion: string;
    readonly parameterVersion: string | null;
    readonly createdAt: Date;
    /** THRESHOLD_CROSSING: the threshold crossed, UP or DOWN, and the ratio key before; null for status changes. */
    readonly threshold: string | null;
    readonly direction: string | null;
    readonly ratioBefore: string | null;
  };
}

/**
 * Claims up to `limit` due PENDING deliveries of ACTIVE endpoints (oldest due first), skipping rows another worker
 * holds (FOR UPDATE SKIP LOCKED), and leases them: the attempt is counted and the row is not due again for
 * `leaseMs`, so no other worker sends it meanwhile. A worker that dies mid-attempt leaves the row to be retried when
 * the lease runs out (at least once, never lost).
 */
export async function claimDueDeliveries(q: Queryable, limit: number, leaseMs: number): Promise<ClaimedDelivery[]> {
  const { rows } = await q.query<
    DeliveryRow & {
      url: string;
      secret: string;
      account_id: string;
      broker_id: string;
      kind: string;
      from_status: string | null;
      to_status: string;
      margin_ratio: string | null;
      account_version: number;
      market_data_version: string;
      parameter_version: string | null;
      event_created_at: Date;
      threshold: string | null;
      direction: string | null;
      ratio_before: string | null;
    }
  >(
    `WITH due AS (
       SELECT d.id FROM webhook_delivery d
        WHERE d.status = 'PENDING' AND d.next_attempt_at <= CURRENT_TIMESTAMP
          AND EXISTS (SELECT 1 FROM webhook_endpoint e WHERE e.id = d.endpoint_id AND e.status = 'ACTIVE')
        ORDER BY d.next_attempt_at, d.seq
        LIMIT $1
        FOR UPDATE SKIP LOCKED
     ), claimed AS (
       UPDATE webhook_delivery d
          SET attempts = d.attempts + 1, last_attempt_at = CURRENT_TIMESTAMP,
              next_attempt_at = CURRENT_TIMESTAMP + make_interval(secs => $2::double precision / 1000)
         FROM due WHERE d.id = due.id
       RETURNING d.*
     )
     SELECT ${DELIVERY_COLUMNS}, e.url, e.secret, r.account_id, r.broker_id, r.kind::text AS kind, r.from_status::text AS from_status,
            r.to_status::text AS to_status, trim_scale(r.margin_ratio)::text AS margin_ratio, r.account_version,
            r.market_data_version::text AS market_data_version, r.parameter_version::text AS parameter_version, r.created_at AS event_created_at,
            trim_scale(r.threshold)::text AS threshold, r.direction::text AS direction, trim_scale(r.prior_ratio_key)::text AS ratio_before
       FROM claimed d JOIN webhook_endpoint e ON e.id = d.endpoint_id JOIN risk_event r ON r.id = d.event_id
      ORDER BY d.next_attempt_at, d.seq`,
    [limit, leaseMs],
  );
  return rows.map((r) => ({
    delivery: toDelivery(r),
    url: r.url,
    secret: r.secret,
    event: {
      id: r.event_id,
      accountId: r.account_id,
      brokerId: r.broker_id,
      kind: r.kind,
      from: r.from_status,
      to: r.to_status,
      marginRatio: r.margin_ratio,
      accountVersion: r.account_version,
      marketDataVersion: r.market_data_version,
      parameterVersion: r.parameter_version,
      createdAt: r.event_created_at,
      threshold: r.threshold,
      direction: r.direction,
      ratioBefore: r.ratio_before,
    },
  }));
}

/** How one attempt ended: DELIVERED (2xx), RETRY at a time, or FAILED for good (the last attempt). */
export type AttemptOutcome =
  | { readonly kind: 'DELIVERED'; readonly statusCode: number }
  | { readonly kind: 'RETRY'; readonly statusCode: number | null; readonly error: string; readonly retryInMs: number }
  | { readonly kind: 'FAILED'; readonly statusCode: number | null; readonly error: string };

/** Longest last_error kept (characters). */
const MAX_ERROR_LENGTH = 500;

/**
 * Records the outcome of attempt number `attempt` of a claimed delivery. Fenced by the attempt count: when the lease
 * ran out and another worker claimed the row again, this stale outcome is dropped (returns false).
 */
export async function recordAttempt(q: Queryable, deliveryId: string, attempt: number, outcome: AttemptOutcome): Promise<boolean> {
  const error = outcome.kind === 'DELIVERED' ? null : outcome.error.slice(0, MAX_ERROR_LENGTH);
  const { rows } = await q.query(
    `UPDATE webhook_delivery
        SET status = $3::"WebhookDeliveryStatus", last_status_code = $4, last_error = $5,
            delivered_at = CASE WHEN $3 = 'DELIVERED' THEN CURRENT_TIMESTAMP ELSE NULL END,
            next_attempt_at = CASE WHEN $3 = 'PENDING' THEN CURRENT_TIMESTAMP + make_interval(secs => $6::double precision / 1000) ELSE next_attempt_at END
      WHERE id = $1::uuid AND attempts = $2 AND status = 'PENDING' RETURNING id`,
    [
      deliveryId,
      attempt,
      outcome.kind === 'RETRY' ? 'PENDING' : outcome.kind,
      outcome.statusCode,
      error,
      outcome.kind === 'RETRY' ? outcome.retryInMs : 0,
    ],
  );
  return rows.length > 0;
}

/** PENDING deliveries (for the pending gauge). */
export async function countPendingDeliveries(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: string }>(`SELECT count(*)::text AS n FROM webhook_delivery WHERE status = 'PENDING'`);
  return Number(rows[0]!.n);
}
