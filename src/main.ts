/** Composition root: configuration → store (embedded Postgres by default) → API → HTTP server. */
// First: tracing (when configured) must be started before the modules it instruments are loaded.
import './server/tracing.register';
import { loadConfig, webhookSettings } from './server/config';
import { startWebhookWorker, type WebhookWorker } from './monitoring/webhook-delivery';
import { startServer } from './server/http';
import { parsePartition, startSweeper, type Sweeper } from './monitoring/sweep';
import { createLogger } from './server/logger';
import { releaseSignalsToService } from './store/embedded-postgres';
import { openStore } from './store/open-store';
import { startNotificationBus } from './store/notification-bus';
import { startTickEngine, type TickEngine } from './monitoring/tick';
import { activeTracing } from './server/tracing';

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
      migrate: config.migrateOnStart,
      production: config.env === 'production',
    },
    logger,
  );
  // This process's LISTEN connection: subscriptions hear what every process writes.
  const bus = await startNotificationBus(store.url, logger);
  const server = await startServer({ config, db: store.db, logger, bus });
  // Account risk sweep: this replica's share of the accounts, at start and every SWEEP_INTERVAL_MS.
  let sweeper: Sweeper | null = null;
  if (config.sweepEnabled) {
    const partition = parsePartition(config.sweepPartition);
    sweeper = startSweeper({ db: store.db, logger, intervalMs: config.sweepIntervalMs, partition, batchSize: config.sweepBatchSize, ratioThresholds: config.riskEventRatioThresholds });
    logger.info({ intervalMs: config.sweepIntervalMs, partition: config.sweepPartition }, 'account risk sweep scheduled');
  }
  // Tick engine: this replica's accounts exposed to each committed market-data change, re-evaluated at once.
  let tick: TickEngine | null = null;
  if (config.tickEnabled) {
    tick = await startTickEngine({
      db: store.db,
      bus,
      logger,
      partition: parsePartition(config.sweepPartition),
      coalesceMs: config.tickCoalesceMs,
      batchSize: config.sweepBatchSize,
    });
  }
  // Webhook deliveries: woken by this process's risk-event notifications (the same bus), sharing the queue with the
  // other replicas (FOR UPDATE SKIP LOCKED).
  let webhooks: WebhookWorker | null = null;
  if (config.webhooksEnabled) {
    webhooks = await startWebhookWorker({ pool: store.db.pool, bus, logger: logger.child({ component: 'webhooks' }), ...webhookSettings(config) });
    logger.info('webhook delivery worker started');
  }
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
      // In-flight webhook attempts finish and are recorded; claimed-but-unsent ones stay PENDING (leased) for a retry.
      await Promise.all([server.stop(), sweeper?.stop(), tick?.stop(), webhooks?.stop()]);
      await bus.close();
      await store.close();
      await activeTracing()?.shutdown();
      logger.info('shut down cleanly');
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'error during shutdown');
      process.exit(1);
    }
  };
  // Signals are ours before the service says it is ready: a SIGTERM right after "ready" must drain, not be lost.
  if (store.embedded) releaseSignalsToService();
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  logger.info({ url: server.url, database: store.embedded ? 'embedded' : 'external' }, 'margin risk API ready');
  // The one line a person starting the service looks for, outside the JSON log stream.
  process.stderr.write(`\nMargin risk API ready: ${server.url}\n${store.embedded ? `Embedded Postgres: ${store.url}\n` : ''}\n`);
  if (store.demoKeys.length > 0) {
    // Demo only: these keys are fixed and public (README), created with the demo venue and nowhere else.
    const lines = store.demoKeys.map((k) => `  ${k.role.padEnd(8)} ${k.key}${k.brokerName ? `  (broker ${k.brokerName})` : ''}`);
    process.stderr.write(`Demo API keys (send as x-api-key; demo only, never use in production):\n${lines.join('\n')}\n\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
  process.exit(1);
});
