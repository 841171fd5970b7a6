/** Configuration from the environment, validated once at start (zod). */
import path from 'node:path';
import Decimal from 'decimal.js';
import { z } from 'zod';
import { WEBHOOK_DEFAULTS } from '../monitoring/webhook-delivery';

const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const ConfigSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().default('0.0.0.0'),
  PORT: z.coerce.number().int().min(0).max(65535).default(4000),
  DATABASE_URL: z.string().url().optional(),
  DATA_DIR: z.string().default(path.resolve(process.cwd(), '.data', 'pg')),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(0).max(65535).default(54329),
  SEED_DEMO: booleanFlag.optional(),
  MIGRATE_ON_START: booleanFlag.default(true),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
  RATE_LIMIT_POINTS: z.coerce.number().int().min(1).default(1200),
  RATE_LIMIT_DURATION_S: z.coerce.number().int().min(1).default(60),
  RATE_LIMIT_COST_POINTS: z.coerce.number().int().min(10).default(200_000),
  RATE_LIMIT_STORE: z.enum(['memory', 'postgres']).default('memory'),
  AUTH_FAILURE_LIMIT: z.coerce.number().int().min(1).default(20),
  AUTH_FAILURE_DURATION_S: z.coerce.number().int().min(1).default(60),
  QUERY_MAX_DEPTH: z.coerce.number().int().min(2).max(100).default(12),
  QUERY_MAX_ALIASES: z.coerce.number().int().min(1).default(100),
  QUERY_MAX_COST: z.coerce.number().int().min(10).default(20_000),
  WHATIF_MAX_SCENARIOS: z.coerce.number().int().min(1).max(1000).default(20),
  SHUTDOWN_DRAIN_DELAY_MS: z.coerce.number().int().min(0).default(0),
  SWEEP_ENABLED: booleanFlag.default(true),
  SWEEP_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  SWEEP_PARTITION: z.string().regex(/^\d+\/\d+$/, 'must look like i/n, for example 0/4').default('0/1'),
  SWEEP_BATCH_SIZE: z.coerce.number().int().min(1).max(50_000).default(2_000),
  TICK_ENABLED: booleanFlag.default(true),
  TICK_COALESCE_MS: z.coerce.number().int().min(0).max(60_000).default(5),
  WEBHOOKS_ENABLED: booleanFlag.default(true),
  WEBHOOK_ALLOW_HTTP_LOOPBACK: booleanFlag.default(false),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(WEBHOOK_DEFAULTS.timeoutMs),
  WEBHOOK_BACKOFF_BASE_MS: z.coerce.number().int().min(1).default(WEBHOOK_DEFAULTS.backoffBaseMs),
  WEBHOOK_BACKOFF_CAP_MS: z.coerce.number().int().min(1).default(WEBHOOK_DEFAULTS.backoffCapMs),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(WEBHOOK_DEFAULTS.maxAttempts),
  WEBHOOK_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(WEBHOOK_DEFAULTS.pollIntervalMs),
  RISK_EVENT_RATIO_THRESHOLDS: z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*(,\s*\d+(\.\d+)?\s*)*$/, 'comma-separated non-negative decimals, for example 0.5,0.8,0.9')
    .default('0.5,0.8,0.9'),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly embeddedPgPort: number;
  /** Seed the demo venue when the database is empty (default: on for the embedded database only, off in production; demo keys never in production). */
  readonly seedDemo: boolean;
  /** Apply pending migrations at start (default); false: refuse to start while any is pending (a migrate job runs them). */
  readonly migrateOnStart: boolean;
  readonly logLevel: string;
  readonly dbPoolMax: number;
  readonly shutdownTimeoutMs: number;
  readonly maxBodyBytes: number;
  /** Requests per API key per window (RATE_LIMIT_POINTS per RATE_LIMIT_DURATION_S seconds). */
  readonly rateLimitPoints: number;
  readonly rateLimitDurationS: number;
  /** Query cost per API key per window (RATE_LIMIT_COST_POINTS per RATE_LIMIT_DURATION_S; src/server/limits.ts). */
  readonly rateLimitCostPoints: number;
  /** Where the counters live: per process (memory) or shared by every replica (postgres). */
  readonly rateLimitStore: 'memory' | 'postgres';
  /** Failed authentications per client address per window, before the address is answered 429 without a lookup. */
  readonly authFailureLimit: number;
  readonly authFailureDurationS: number;
  /** Query shape limits, checked before execution (src/server/limits.ts). */
  readonly queryMaxDepth: number;
  readonly queryMaxAliases: number;
  readonly queryMaxCost: number;
  /** Most scenarios one `whatIf` request may evaluate (WHATIF_MAX_SCENARIOS). */
  readonly whatIfMaxScenarios: number;
  /** After stop() begins: /readyz answers 503 for this long while requests are still served, then the listener closes. */
  readonly shutdownDrainDelayMs: number;
  /** Account risk sweep (src/monitoring/sweep.ts): on/off, interval, this replica's share "i/n", batch size. */
  readonly sweepEnabled: boolean;
  readonly sweepIntervalMs: number;
  readonly sweepPartition: string;
  readonly sweepBatchSize: number;
  /**
   * Tick engine (src/monitoring/tick.ts): re-evaluates this replica's accounts exposed to each committed market-data
   * change at once (on by default), after waiting TICK_COALESCE_MS (default 5) to batch a burst of notices.
   */
  readonly tickEnabled: boolean;
  readonly tickCoalesceMs: number;
  /** Webhook delivery worker (src/monitoring/webhook-delivery.ts): on/off and its settings (WEBHOOK_*). */
  readonly webhooksEnabled: boolean;
  /** Tests only (refused in production): webhooks may target loopback addresses, over plain http too. */
  readonly webhookAllowHttpLoopback: boolean;
  readonly webhookTimeoutMs: number;
  readonly webhookBackoffBaseMs: number;
  readonly webhookBackoffCapMs: number;
  readonly webhookMaxAttempts: number;
  readonly webhookPollIntervalMs: number;
  /**
   * Margin-ratio thresholds (MM / margin equity) whose crossing, either way, records a THRESHOLD_CROSSING risk event
   * (RISK_EVENT_RATIO_THRESHOLDS, comma-separated; default 0.5,0.8,0.9), ascending, without duplicates.
   */
  readonly riskEventRatioThresholds: readonly Decimal[];
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  if (c.NODE_ENV === 'production' && c.WEBHOOK_ALLOW_HTTP_LOOPBACK) {
    throw new Error('invalid configuration: WEBHOOK_ALLOW_HTTP_LOOPBACK is for tests and is refused in production');
  }
  return {
    env: c.NODE_ENV,
    host: c.HOST,
    port: c.PORT,
    databaseUrl: c.DATABASE_URL ?? null,
    dataDir: c.DATA_DIR,
    embeddedPgPort: c.EMBEDDED_PG_PORT,
    seedDemo: c.SEED_DEMO ?? (c.DATABASE_URL === undefined && c.NODE_ENV !== 'production'),
    migrateOnStart: c.MIGRATE_ON_START,
    logLevel: c.LOG_LEVEL,
    dbPoolMax: c.DB_POOL_MAX,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    maxBodyBytes: c.MAX_BODY_BYTES,
    rateLimitPoints: c.RATE_LIMIT_POINTS,
    rateLimitDurationS: c.RATE_LIMIT_DURATION_S,
    rateLimitCostPoints: c.RATE_LIMIT_COST_POINTS,
    rateLimitStore: c.RATE_LIMIT_STORE,
    authFailureLimit: c.AUTH_FAILURE_LIMIT,
    authFailureDurationS: c.AUTH_FAILURE_DURATION_S,
    queryMaxDepth: c.QUERY_MAX_DEPTH,
    queryMaxAliases: c.QUERY_MAX_ALIASES,
    queryMaxCost: c.QUERY_MAX_COST,
    whatIfMaxScenarios: c.WHATIF_MAX_SCENARIOS,
    shutdownDrainDelayMs: c.SHUTDOWN_DRAIN_DELAY_MS,
    sweepEnabled: c.SWEEP_ENABLED,
    sweepIntervalMs: c.SWEEP_INTERVAL_MS,
    sweepPartition: c.SWEEP_PARTITION,
    sweepBatchSize: c.SWEEP_BATCH_SIZE,
    tickEnabled: c.TICK_ENABLED,
    tickCoalesceMs: c.TICK_COALESCE_MS,
    webhooksEnabled: c.WEBHOOKS_ENABLED,
    webhookAllowHttpLoopback: c.WEBHOOK_ALLOW_HTTP_LOOPBACK,
    webhookTimeoutMs: c.WEBHOOK_TIMEOUT_MS,
    webhookBackoffBaseMs: c.WEBHOOK_BACKOFF_BASE_MS,
    webhookBackoffCapMs: c.WEBHOOK_BACKOFF_CAP_MS,
    webhookMaxAttempts: c.WEBHOOK_MAX_ATTEMPTS,
    webhookPollIntervalMs: c.WEBHOOK_POLL_INTERVAL_MS,
    riskEventRatioThresholds: parseThresholds(c.RISK_EVENT_RATIO_THRESHOLDS),
  };
}

/** The webhook worker's settings and the SSRF guard's policy, from the configuration. */
export function webhookSettings(config: Config) {
  return {
    policy: { allowHttpLoopback: config.webhookAllowHttpLoopback },
    timeoutMs: config.webhookTimeoutMs,
    backoffBaseMs: config.webhookBackoffBaseMs,
    backoffCapMs: config.webhookBackoffCapMs,
    maxAttempts: config.webhookMaxAttempts,
    pollIntervalMs: config.webhookPollIntervalMs,
  } as const;
}

/** "0.9, 0.5,0.8" → [0.5, 0.8, 0.9] (ascending, duplicates dropped). */
function parseThresholds(list: string): readonly Decimal[] {
  const unique = new Map(list.split(',').map((t) => new Decimal(t.trim())).map((d) => [d.toFixed(), d]));
  return [...unique.values()].sort((a, b) => a.comparedTo(b));
}
