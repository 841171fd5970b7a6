/** Configuration from the environment, validated once at start (zod). */
import path from 'node:path';
import { z } from 'zod';

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
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(10_000),
  MAX_BODY_BYTES: z.coerce.number().int().min(1024).default(256 * 1024),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly host: string;
  readonly port: number;
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly embeddedPgPort: number;
  /** Seed the demo venue when the database is empty (default: on for the embedded database only). */
  readonly seedDemo: boolean;
  readonly logLevel: string;
  readonly dbPoolMax: number;
  readonly shutdownTimeoutMs: number;
  readonly maxBodyBytes: number;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new Error(`invalid configuration: ${problems}`);
  }
  const c = parsed.data;
  return {
    env: c.NODE_ENV,
    host: c.HOST,
    port: c.PORT,
    databaseUrl: c.DATABASE_URL ?? null,
    dataDir: c.DATA_DIR,
    embeddedPgPort: c.EMBEDDED_PG_PORT,
    seedDemo: c.SEED_DEMO ?? c.DATABASE_URL === undefined,
    logLevel: c.LOG_LEVEL,
    dbPoolMax: c.DB_POOL_MAX,
    shutdownTimeoutMs: c.SHUTDOWN_TIMEOUT_MS,
    maxBodyBytes: c.MAX_BODY_BYTES,
  };
}
