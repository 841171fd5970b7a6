/**
 * Prometheus metrics (prom-client), one registry per process: default process metrics, GraphQL requests by
 * operation, errors by code, engine compute time, the `pg` pool, the account risk sweep and the screened engine path.
 *
 * Cardinality is bounded by construction: no label ever carries an account id or any other unbounded value.
 * Operation names are client-chosen, so they are sanitized and capped (MAX_OPERATION_NAMES distinct names per
 * process, later ones count as `other`); error codes outside the known table count as `OTHER`.
 */
import type { Pool } from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { SCREEN_FALLBACK_REASONS, type ScreenFallbackReason } from '../risk/screen';

export const registry = new Registry();
collectDefaultMetrics({ register: registry });
// prom-client's defaults include three gauges named like counters; Prometheus's naming rules (promtool check metrics)
// reserve `_total` for counters. Each is the sum over its per-type gauge, which stays: sum(nodejs_active_handles).
for (const name of ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total']) {
  registry.removeSingleMetric(name);
}

/** Distinct GraphQL operation names kept as label values; beyond that, `other`. */
export const MAX_OPERATION_NAMES = 100;
const OPERATION_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const seenOperationNames = new Set<string>();

/** A bounded label for a client's operation name: `anonymous`, `invalid`, `other` or the name itself. */
export function operationLabel(name: string | null | undefined): string {
  if (name === null || name === undefined || name === '') return 'anonymous';
  if (!OPERATION_NAME_PATTERN.test(name)) return 'invalid';
  if (seenOperationNames.has(name)) return name;
  if (seenOperationNames.size >= MAX_OPERATION_NAMES) return 'other';
  seenOperationNames.add(name);
  return name;
}

const KNOWN_ERROR_CODES = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'INSUFFICIENT_MARGIN',
  'STALE_PRICE',
  'MISSING_PRICE',
  'CONFLICT',
  'RATE_LIMITED',
  'QUERY_TOO_COMPLEX',
  'UNSUPPORTED',
  'UNAVAILABLE',
  'INTERNAL_SERVER_ERROR',
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PAYLOAD_TOO_LARGE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

export function errorCodeLabel(code: unknown): string {
  return typeof code === 'string' && KNOWN_ERROR_CODES.has(code) ? code : 'OTHER';
}

export const graphqlRequests = new Counter({
  name: 'graphql_requests_total',
  help: 'GraphQL requests by operation name and type, and whether the response carried errors.',
  labelNames: ['operation', 'type', 'outcome'] as const,
  registers: [registry],
});

export const graphqlDuration = new Histogram({
  name: 'graphql_request_duration_seconds',
  help: 'GraphQL request duration (parse to response) by operation name and type.',
  labelNames: ['operation', 'type'] as const,
  buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const graphqlErrors = new Counter({
  name: 'graphql_errors_total',
  help: 'Errors returned to clients by code (GraphQL extensions.code, or the HTTP-level code before GraphQL).',
  labelNames: ['code'] as const,
  registers: [registry],
});

export const httpRequests = new Counter({
  name: 'http_requests_total',
  help: 'HTTP requests by route and status code.',
  labelNames: ['route', 'method', 'status'] as const,
  registers: [registry],
});

export const httpDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'HTTP request duration by route.',
  labelNames: ['route'] as const,
  buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

export const engineDuration = new Histogram({
  name: 'risk_engine_evaluation_seconds',
  help: 'Risk engine compute time per account evaluation, by caller (request, sweep, stress) and mode.',
  labelNames: ['source', 'mode'] as const,
  buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5],
  registers: [registry],
});

export const sweepDuration = new Histogram({
  name: 'account_risk_sweep_duration_seconds',
  help: 'Duration of one account risk sweep (this replica\'s partition).',
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
  registers: [registry],
});

export const sweepAccounts = new Counter({
  name: 'account_risk_swept_accounts_total',
  help: 'Accounts evaluated by the sweep and by write-through refreshes, by outcome (ok, error).',
  labelNames: ['outcome'] as const,
  registers: [registry],
});

export const sweepLastSuccess = new Gauge({
  name: 'account_risk_sweep_last_success_timestamp_seconds',
  help: 'Unix time of the end of the last successful sweep of this replica.',
  registers: [registry],
});

export const sweepAccountsLast = new Gauge({
  name: 'account_risk_sweep_last_accounts',
  help: 'Accounts evaluated by the last completed sweep of this replica.',
  registers: [registry],
});

export const tickLatency = new Histogram({
  name: 'risk_tick_latency_seconds',
  help: 'Tick-to-evaluation latency: from the receipt of a market-data change notice (its commit) to the upsert of every exposed account of this replica.',
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  registers: [registry],
});

export const tickAccounts = new Histogram({
  name: 'risk_tick_accounts',
  help: 'Accounts re-evaluated per tick (exposed accounts of this replica\'s partition).',
  buckets: [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000],
  registers: [registry],
});

export const stressDuration = new Histogram({
  name: 'stress_test_duration_seconds',
  help: 'Duration of a venue stress test (all rounds).',
  buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
  registers: [registry],
});

/** Pools whose state the pg gauges report (one per process in practice; tests may run several). */
const pools = new Set<Pool>();

export function trackPool(pool: Pool): () => void {
  pools.add(pool);
  return () => pools.delete(pool);
}

function sumPools(f: (pool: Pool) => number): number {
  let total = 0;
  for (const pool of pools) total += f(pool);
  return total;
}

new Gauge({
  name: 'pg_pool_connections',
  help: 'Connections open in the pg pool (idle + in use).',
  registers: [registry],
  collect() {
    this.set(sumPools((p) => p.totalCount));
  },
});
new Gauge({
  name: 'pg_pool_connections_idle',
  help: 'Idle connections in the pg pool.',
  registers: [registry],
  collect() {
    this.set(sumPools((p) => p.idleCount));
  },
});
new Gauge({
  name: 'pg_pool_clients_waiting',
  help: 'Requests waiting for a pg pool connection.',
  registers: [registry],
  collect() {
    this.set(sumPools((p) => p.waitingCount));
  },
});

/** Runs `fn` and records its duration in the engine histogram. */
export function timeEngine<T>(source: 'request' | 'sweep' | 'stress', mode: 'COMPUTE' | 'SKIP', fn: () => T): T {
  const end = engineDuration.startTimer({ source, mode });
  try {
    return fn();
  } finally {
    end();
  }
}

export const subscriptionsActive = new Gauge({
  name: 'graphql_subscriptions_active',
  help: 'GraphQL subscriptions open on this process, by field.',
  labelNames: ['kind'],
  registers: [registry],
});

export const riskEventsRecorded = new Counter({
  name: 'risk_events_recorded_total',
  help: 'Risk events recorded by this process (status changes and threshold crossings written by its account_risk upserts), by kind.',
  labelNames: ['kind'],
  registers: [registry],
});

export const webhookDeliveries = new Counter({
  name: 'webhook_deliveries_total',
  help: 'Webhook delivery attempts of this process, by outcome (DELIVERED, FAILED: will retry, GAVE_UP: last attempt failed).',
  labelNames: ['outcome'],
  registers: [registry],
});

/** Duration of one webhook delivery attempt (the POST until its answer or failure), by outcome as above. */
export const webhookAttemptDuration = new Histogram({
  name: 'webhook_delivery_attempt_duration_seconds',
  help: 'Webhook delivery attempts of this process: time from sending the POST to its answer or failure, by outcome.',
  labelNames: ['outcome'],
  buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  registers: [registry],
});

/** Latency of a delivered webhook: from the risk event's recording to the receiver's 2xx (retries included). */
export const webhookDeliveryLatency = new Histogram({
  name: 'webhook_delivery_latency_seconds',
  help: 'Delivered webhooks: seconds from the risk event being recorded to the receiver answering 2xx (retries included).',
  buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
  registers: [registry],
});

/** PENDING webhook deliveries (every endpoint, every replica), read from `q` at each scrape. */
export function trackPendingWebhookDeliveries(count: () => Promise<number>): () => void {
  const name = 'webhook_deliveries_pending';
  if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  new Gauge({
    name,
    help: 'Webhook deliveries waiting to be sent or retried (PENDING, all endpoints).',
    registers: [registry],
    async collect() {
      this.set(await count());
    },
  });
  return () => registry.removeSingleMetric(name);
}

/** Accounts by cross status in account_risk (ERROR: last evaluation failed), read from `q` at each scrape. */
export function trackAccountsByStatus(q: { query(text: string): Promise<{ rows: { status: string | null; n: string }[] }> }): () => void {
  const name = 'account_risk_accounts';
  if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  new Gauge({
    name,
    help: 'Accounts in the precomputed risk table by status (ERROR: the last evaluation failed).',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const { rows } = await q.query(`SELECT status::text AS status, count(*)::text AS n FROM account_risk GROUP BY status`);
      this.reset();
      for (const r of rows) this.set({ status: r.status ?? 'ERROR' }, Number(r.n));
    },
  });
  return () => registry.removeSingleMetric(name);
}

/** Age of the oldest evaluation in account_risk (seconds; 0 when the table is empty), read from `q` at each scrape. */
export function trackOldestEvaluation(q: { query(text: string): Promise<{ rows: { age: string | null }[] }> }): () => void {
  const name = 'account_risk_oldest_evaluation_age_seconds';
  if (registry.getSingleMetric(name)) registry.removeSingleMetric(name);
  new Gauge({
    name,
    help: 'Age of the oldest evaluation in the precomputed risk table (now minus the smallest evaluated_at).',
    registers: [registry],
    async collect() {
      const { rows } = await q.query(`SELECT extract(epoch FROM now() - min(evaluated_at))::text AS age FROM account_risk`);
      this.set(Math.max(0, Number(rows[0]?.age ?? 0)));
    },
  });
  return () => registry.removeSingleMetric(name);
}

export const screenAccountsTotal = new Counter({
  name: 'risk_screen_accounts_total',
  help: 'Accounts screened by the bounded double-precision engine path (src/risk/screen), decided or not.',
  registers: [registry],
});

export const screenFallbacksTotal = new Counter({
  name: 'risk_screen_fallbacks_total',
  help: 'Screened accounts sent to the exact engine, by reason (TOO_CLOSE: within rounding of a boundary; PORTFOLIO_SCAN, TIER_BOUNDARY, PRICE_UNAVAILABLE, ...). Fallback rate = this / risk_screen_accounts_total.',
  labelNames: ['reason'] as const,
  registers: [registry],
});

/** Records one screened batch: its accounts and its fallbacks by reason (a bounded label set, see SCREEN_FALLBACK_REASONS). */
export function recordScreenBatch(result: { readonly outcomes: readonly unknown[]; readonly fallbacks: Readonly<Partial<Record<ScreenFallbackReason, number>>> }): void {
  screenAccountsTotal.inc(result.outcomes.length);
  for (const reason of SCREEN_FALLBACK_REASONS) {
    const n = result.fallbacks[reason];
    if (n) screenFallbacksTotal.inc({ reason }, n);
  }
}
