/**
 * The webhook delivery worker: sends the deliveries the risk_event trigger enqueues (src/store/webhook.repository.ts)
 * as signed JSON POSTs, retries failures with exponential backoff and jitter, and records every attempt.
 *
 * Woken by the risk-events notification (any process's event: NOTIFY after commit), by a timer at the next retry due,
 * and by a poll timer as the backstop (a missed notification, a lease that ran out). Replicas share the queue:
 * each claims due rows with FOR UPDATE SKIP LOCKED and leases them for longer than an attempt can take, so no two
 * send the same delivery at once. Delivery is at least once: a process that dies mid-attempt leaves the row PENDING,
 * retried when its lease runs out (receivers deduplicate by `x-margin-delivery-id`).
 *
 * Request: `POST <url>` with body `{ id, type, createdAt, data }` (id: the risk event's id; data: the event's fields)
 * and headers `x-margin-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
 * `x-margin-delivery-id` and `x-margin-event-id`. A 2xx answer is DELIVERED; anything else (another status, a
 * redirect, which is never followed, a timeout, a connection error, a target refused by the SSRF guard) is retried
 * until `maxAttempts`, then FAILED.
 */
import { createHmac } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Logger } from 'pino';
import type { Pool } from 'pg';
import { CHANNELS, type NotificationBus } from '../store/notification-bus';
import {
  claimDueDeliveries,
  countPendingDeliveries,
  recordAttempt,
  type AttemptOutcome,
  type ClaimedDelivery,
} from '../store/webhook.repository';
import { trackPendingWebhookDeliveries, webhookAttemptDuration, webhookDeliveries, webhookDeliveryLatency } from './metrics';
import { checkWebhookTarget, type Lookup, type ResolvedAddress, type TargetPolicy } from './webhook-target';

/**
 * POSTs `body` to `url`, connecting only to `addresses` (the ones the SSRF guard admitted: the name is not resolved
 * again, so a rebinding DNS cannot move the connection); TLS verifies the URL's host name. Redirects are not followed.
 * Resolves with the response status; rejects on a connection error, or with a TimeoutError after `timeoutMs`.
 */
export function postPinned(
  url: URL,
  addresses: readonly ResolvedAddress[],
  request: { readonly headers: Readonly<Record<string, string>>; readonly body: string; readonly timeoutMs: number },
): Promise<number> {
  if (addresses.length === 0) return Promise.reject(new Error('no checked address to connect to'));
  const pinned: LookupFunction = (_host, options, callback) => {
    if (options.all) (callback as unknown as (e: null, a: ResolvedAddress[]) => void)(null, [...addresses]);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  };
  const client = url.protocol === 'https:' ? https : http;
  return new Promise<number>((resolve, reject) => {
    const req = client.request(
      url,
      {
        method: 'POST',
        lookup: pinned,
        headers: { ...request.headers, 'content-length': String(Buffer.byteLength(request.body)) },
        signal: AbortSignal.timeout(request.timeoutMs),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', (error) => reject(error.name === 'AbortError' ? Object.assign(new Error('timeout'), { name: 'TimeoutError' }) : error));
    req.end(request.body);
  });
}

/** Defaults of the worker's settings (config WEBHOOK_*). */
export const WEBHOOK_DEFAULTS = {
  /** Longest wait for a receiver's answer (ms). */
  timeoutMs: 5_000,
  /** First retry delay (ms); attempt n waits base × 2^(n−1), capped, with jitter. */
  backoffBaseMs: 1_000,
  /** Longest retry delay (ms). */
  backoffCapMs: 5 * 60_000,
  /** Attempts before a delivery is FAILED for good. */
  maxAttempts: 8,
  /** Backstop poll interval (ms). */
  pollIntervalMs: 5_000,
  /** Deliveries claimed (and sent concurrently) per round. */
  batchSize: 20,
} as const;

/** A claim's lease beyond the attempt's timeout (ms): time to record the outcome before another worker may retry. */
const LEASE_MARGIN_MS = 10_000;
/** Event type names in the payload, by risk event kind. */
const EVENT_TYPES: Readonly<Record<string, string>> = { STATUS_CHANGE: 'risk_event.status_change', THRESHOLD_CROSSING: 'risk_event.threshold_crossing' };
export const SIGNATURE_HEADER = 'x-margin-signature';
export const DELIVERY_ID_HEADER = 'x-margin-delivery-id';

export interface WebhookWorkerOptions {
  readonly pool: Pool;
  readonly bus: NotificationBus;
  readonly logger: Logger;
  readonly policy: TargetPolicy;
  readonly timeoutMs?: number;
  readonly backoffBaseMs?: number;
  readonly backoffCapMs?: number;
  readonly maxAttempts?: number;
  readonly pollIntervalMs?: number;
  readonly batchSize?: number;
  /** DNS resolution for the SSRF guard (tests may replace it). */
  readonly lookup?: Lookup;
  /** In [0, 1): the jitter's random source (tests may fix it). */
  readonly random?: () => number;
}

export interface WebhookWorker {
  /** Runs a delivery round now (also what a notification does). */
  wake(): void;
  /** Stops claiming; attempts in flight finish and are recorded (or stay PENDING, leased, to be retried). */
  stop(): Promise<void>;
}

/**
 * Delay before retry number `attempt` (the attempt that just failed, from 1), in ms: d = min(cap, base × 2^(attempt−1)),
 * then "equal jitter" d/2 + random × d/2, so retries of many deliveries spread out but never wait under half of d.
 */
export function retryDelayMs(attempt: number, baseMs: number, capMs: number, random: number): number {
  const d = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(d / 2 + random * (d / 2));
}

/** The `x-margin-signature` value of `body` at unix time `t` (seconds): `t=<t>,v1=<hex HMAC-SHA256(secret, t.body)>`. */
export function signatureHeader(secret: string, t: number, body: string): string {
  const mac = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  return `t=${t},v1=${mac}`;
}

/** The JSON body of a delivery (identical on every attempt). */
export function deliveryBody(claimed: ClaimedDelivery): string {
  const e = claimed.event;
  return JSON.stringify({
    id: e.id,
    type: EVENT_TYPES[e.kind] ?? `risk_event.${e.kind.toLowerCase()}`,
    createdAt: e.createdAt.toISOString(),
    data: {
      id: e.id,
      accountId: e.accountId,
      brokerId: e.brokerId,
      kind: e.kind,
      from: e.from,
      to: e.to,
      marginRatio: e.marginRatio,
      accountVersion: e.accountVersion,
      marketDataVersion: e.marketDataVersion,
      parameterVersion: e.parameterVersion,
      createdAt: e.createdAt.toISOString(),
      ...(e.kind === 'THRESHOLD_CROSSING' ? { threshold: e.threshold, direction: e.direction, ratioBefore: e.ratioBefore } : {}),
    },
  });
}

export async function startWebhookWorker(options: WebhookWorkerOptions): Promise<WebhookWorker> {
  const settings = { ...WEBHOOK_DEFAULTS, ...definedOnly(options) };
  const { pool, bus, logger, policy } = options;
  const random = options.random ?? Math.random;
  const leaseMs = settings.timeoutMs + LEASE_MARGIN_MS;
  let stopped = false;
  let running: Promise<void> | null = null;
  let again = false;
  let timer: NodeJS.Timeout | null = null;

  const schedule = (ms: number) => {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(() => wake(), Math.max(0, ms));
    timer.unref();
  };

  async function attempt(claimed: ClaimedDelivery): Promise<void> {
    const { delivery } = claimed;
    const started = process.hrtime.bigint();
    const outcome = await send(claimed);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const label = outcome.kind === 'DELIVERED' ? 'DELIVERED' : outcome.kind === 'RETRY' ? 'FAILED' : 'GAVE_UP';
    webhookDeliveries.inc({ outcome: label });
    webhookAttemptDuration.observe({ outcome: label }, seconds);
    const recorded = await recordAttempt(pool, delivery.id, delivery.attempts, outcome);
    if (!recorded) {
      logger.warn({ deliveryId: delivery.id, attempt: delivery.attempts }, 'webhook attempt outcome dropped: the delivery was claimed again');
      return;
    }
    if (outcome.kind === 'DELIVERED') webhookDeliveryLatency.observe((Date.now() - claimed.event.createdAt.getTime()) / 1000);
    else logger.warn({ deliveryId: delivery.id, attempt: delivery.attempts, outcome: outcome.kind, error: outcome.error }, 'webhook attempt failed');
  }

  async function send(claimed: ClaimedDelivery): Promise<AttemptOutcome> {
    const { delivery } = claimed;
    const failed = (statusCode: number | null, error: string): AttemptOutcome =>
      delivery.attempts >= settings.maxAttempts
        ? { kind: 'FAILED', statusCode, error }
        : { kind: 'RETRY', statusCode, error, retryInMs: retryDelayMs(delivery.attempts, settings.backoffBaseMs, settings.backoffCapMs, random()) };
    // The target is checked again at every attempt: what a name resolves to may have changed since registration.
    const target = await checkWebhookTarget(claimed.url, policy, options.lookup);
    if (!target.ok) return failed(null, `target refused: ${target.reason}`);
    const body = deliveryBody(claimed);
    const t = Math.floor(Date.now() / 1000);
    try {
      const status = await postPinned(target.url, target.addresses ?? [], {
        headers: {
          'content-type': 'application/json',
          'user-agent': 'margin-risk-api-webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(claimed.secret, t, body),
          [DELIVERY_ID_HEADER]: delivery.id,
          'x-margin-event-id': claimed.event.id,
        },
        body,
        timeoutMs: settings.timeoutMs,
      });
      if (status >= 200 && status < 300) return { kind: 'DELIVERED', statusCode: status };
      const redirect = status >= 300 && status < 400 ? ' (redirects are not followed)' : '';
      return failed(status, `HTTP ${status}${redirect}`);
    } catch (error) {
      const e = error as { name?: string; message?: string; code?: string };
      const reason = e?.name === 'TimeoutError' ? `no answer within ${settings.timeoutMs} ms` : (e?.code ?? e?.message ?? String(error));
      return failed(null, reason);
    }
  }

  async function round(): Promise<void> {
    for (;;) {
      if (stopped) return;
      const batch = await claimDueDeliveries(pool, settings.batchSize, leaseMs);
      // Every attempt of the batch settles before the next claim (and before stop() returns); one whose outcome
      // could not be recorded stays PENDING under its lease and is retried when the lease runs out.
      const settled = await Promise.allSettled(batch.map((claimed) => attempt(claimed)));
      for (const s of settled) if (s.status === 'rejected') logger.error({ err: s.reason }, 'webhook attempt could not be recorded; retried after its lease');
      if (batch.length < settings.batchSize) break;
    }
    // The next retry due wakes the worker on time; the poll interval bounds the wait otherwise.
    const { rows } = await pool.query<{ ms: string | null }>(
      `SELECT (EXTRACT(EPOCH FROM min(next_attempt_at) - CURRENT_TIMESTAMP) * 1000)::text AS ms FROM webhook_delivery WHERE status = 'PENDING'`,
    );
    const dueIn = rows[0]?.ms === null || rows[0]?.ms === undefined ? settings.pollIntervalMs : Number(rows[0].ms);
    schedule(Math.min(settings.pollIntervalMs, Math.max(10, dueIn)));
  }

  function wake(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = (async () => {
      do {
        again = false;
        try {
          await round();
        } catch (error) {
          logger.error({ err: error }, 'webhook delivery round failed; retrying at the next poll');
          schedule(settings.pollIntervalMs);
        }
      } while (again && !stopped);
    })().finally(() => {
      running = null;
    });
  }

  const unsubscribe = await bus.subscribe(CHANNELS.riskEvents, () => wake());
  const offReconnect = bus.onReconnect(() => wake());
  const untrack = trackPendingWebhookDeliveries(() => countPendingDeliveries(pool));
  wake();
  return {
    wake,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      unsubscribe();
      offReconnect();
      untrack();
      await running;
    },
  };
}

function definedOnly(options: WebhookWorkerOptions): Partial<typeof WEBHOOK_DEFAULTS> {
  const out: Record<string, number> = {};
  for (const key of Object.keys(WEBHOOK_DEFAULTS) as (keyof typeof WEBHOOK_DEFAULTS)[]) {
    const value = options[key];
    if (typeof value === 'number') out[key] = value;
  }
  return out;
}
