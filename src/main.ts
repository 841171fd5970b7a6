/** Composition root: configuration → store (embedded Postgres by default) → API → HTTP server. */
import { loadConfig } from './server/config';
import { startServer } from './server/http';
import { createLogger } from './server/logger';
import { openStore } from './store/open-store';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const store = await openStore(
    {
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      embeddedPort: config.embeddedPgPort,
      seedDemo: config.seedDemo,
      poolMax: config.dbPoolMax,
    },
    logger,
  );
  const server = await startServer({ config, db: store.db, logger });
  logger.info({ url: server.url, database: store.embedded ? 'embedded' : 'external' }, 'margin risk API ready');
  // The one line a person starting the service looks for, outside the JSON log stream.
  process.stderr.write(`\nMargin risk API ready: ${server.url}\n${store.embedded ? `Embedded Postgres: ${store.url}\n` : ''}\n`);

  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down: draining in-flight requests');
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs + 5_000);
    timer.unref();
    try {
      await server.stop();
      await store.close();
      logger.info('shut down cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((error) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
