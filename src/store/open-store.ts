/**
 * Opens the store the configuration asks for: the database at DATABASE_URL, or (by default) an embedded Postgres
 * in a local data folder. Applies migrations (or, with `migrate: false`, refuses to start while any is pending), and
 * seeds the demo venue once when asked.
 */
import type { Logger } from 'pino';
import { activeDemoApiKeys, ensureDemoApiKeys, type DemoApiKey } from './api-key.repository';
import { createDatabase, type Database } from './database';
import { startEmbeddedPostgres, type EmbeddedDatabase } from './embedded-postgres';
import { migrate, pendingMigrations } from './migrate';
import { seedDemoVenue } from './seed';

export interface OpenStoreOptions {
  readonly databaseUrl: string | null;
  readonly dataDir: string;
  readonly embeddedPort: number;
  readonly seedDemo: boolean;
  readonly poolMax: number;
  /** Apply pending migrations at start (MIGRATE_ON_START); false: only check that none is pending. */
  readonly migrate?: boolean;
  /**
   * NODE_ENV=production: the demo keys are never created (not even on the embedded database), and the store refuses
   * to open while one of them is present and unrevoked (they are public: anyone could use them).
   */
  readonly production?: boolean;
}

/** The store refuses to open in production while a public demo key works. */
export class DemoKeyInProductionError extends Error {
  constructor(readonly keys: readonly DemoApiKey[]) {
    super(
      `refusing to start under NODE_ENV=production: the public demo API key(s) ${keys.map((k) => `${k.role} ${k.key.slice(0, 16)}…`).join(', ')} ` +
        'are present and unrevoked; revoke them (mutation revokeApiKey, or UPDATE api_key SET revoked_at = now()) first',
    );
    this.name = 'DemoKeyInProductionError';
  }
}

export interface OpenedStore {
  readonly db: Database;
  readonly url: string;
  readonly embedded: EmbeddedDatabase | null;
  /** Demo API keys (one per role), present only when the demo venue is seeded (SEED_DEMO). */
  readonly demoKeys: readonly DemoApiKey[];
  close(): Promise<void>;
}

export async function openStore(options: OpenStoreOptions, logger: Logger): Promise<OpenedStore> {
  let embedded: EmbeddedDatabase | null = null;
  let url = options.databaseUrl;
  if (!url) {
    logger.info({ dataDir: options.dataDir }, 'no DATABASE_URL: starting embedded Postgres');
    embedded = await startEmbeddedPostgres({
      dataDir: options.dataDir,
      port: options.embeddedPort === 0 ? undefined : options.embeddedPort,
      onLog: (message) => logger.debug({ postgres: message.trim() }, 'embedded postgres'),
    });
    url = embedded.url;
  }
  const db = createDatabase({
    url,
    maxConnections: options.poolMax,
    onConnectionError: (error) => logger.warn({ err: error }, 'database connection lost; the pool replaces it'),
  });
  let demoKeys: DemoApiKey[] = [];
  try {
    if (options.migrate === false) {
      const pending = await pendingMigrations(db.pool);
      if (pending.length > 0) {
        throw new Error(
          `the database schema is behind: ${pending.length} migration(s) not applied (${pending[0]}${pending.length > 1 ? ', …' : ''}); ` +
            'run the migrations first (node dist/src/cli/migrate.js, npm run migrate) or start with MIGRATE_ON_START=true',
        );
      }
      logger.info('migrations: none pending (MIGRATE_ON_START=false)');
    } else {
      const report = await migrate(db.pool);
      logger.info({ applied: report.applied, alreadyApplied: report.skipped.length }, 'migrations');
    }
    if (options.seedDemo) {
      const seeded = await seedDemoVenue(db.prisma);
      if (seeded.seeded) logger.info({ accounts: seeded.accounts, markets: seeded.markets }, 'seeded demo venue');
      // Fixed, publicly known keys: only ever with the demo venue (never against a DATABASE_URL without SEED_DEMO),
      // and never in production.
      if (!options.production) demoKeys = await ensureDemoApiKeys(db.pool);
    }
    if (options.production) {
      const present = await activeDemoApiKeys(db.pool);
      if (present.length > 0) throw new DemoKeyInProductionError(present);
    }
  } catch (error) {
    await db.close();
    await embedded?.stop();
    throw error;
  }
  return {
    db,
    url,
    embedded,
    demoKeys,
    async close() {
      await db.close();
      await embedded?.stop();
    },
  };
}
