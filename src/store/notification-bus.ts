/**
 * Postgres LISTEN/NOTIFY between service processes (replicas on one database).
 *
 * A write that others must hear about calls `notify(q, channel, payload)` INSIDE its transaction: Postgres delivers
 * the notification to every listening session when (and only if) the transaction commits, in commit order. Every
 * process holds one dedicated listening connection (`startNotificationBus`, on pg-listen), outside the pool, that
 * reconnects with backoff for as long as the process lives and re-issues its LISTENs.
 *
 * Notifications are hints, not the record: one sent while a listener was disconnected is lost. Postgres stays the
 * source of truth (rows carry versions); a listener catches up from the versions when `onReconnect` fires, and the
 * periodic sweep is the backstop.
 */
import type { Logger } from 'pino';
import createPostgresSubscriber, { type Subscriber } from 'pg-listen';
import type { Queryable } from './queryable';

/** Channels (Postgres identifiers: lower case, no quoting needed). */
export const CHANNELS = {
  /** Market data committed (prices, funding, volatility, rates, market parameters): payload = JSON of what changed. */
  marketData: 'margin_market_data',
  /** Accounts written (fills, deposits, withdrawals, transfers, leverage, mode): payload = JSON { accountIds }. */
  accounts: 'margin_accounts',
  /** Risk events recorded (status transitions, threshold crossings): payload = JSON { ids }. */
  riskEvents: 'margin_risk_events',
  /** account_risk rows written (every upsert that replaced or inserted a row): payload = JSON { accountIds }. */
  accountRisk: 'margin_account_risk',
} as const;

export type Channel = (typeof CHANNELS)[keyof typeof CHANNELS];

/** Postgres refuses a NOTIFY payload of 8000 bytes or more; larger hints must be split by the caller. */
export const MAX_PAYLOAD_BYTES = 7_999;

/** application_name of every listening connection (pg_stat_activity shows which backends are listeners). */
export const LISTENER_APPLICATION_NAME = 'margin_risk_listener';

/** First reconnect delay, doubled per attempt up to the cap (ms). */
const RECONNECT_BASE_MS = 100;
const RECONNECT_CAP_MS = 5_000;

export type NotificationHandler = (payload: unknown) => void;

export interface NotificationBus {
  /** Calls `handler` with the parsed payload of every notification on `channel`; returns the unsubscribe function. */
  subscribe(channel: Channel, handler: NotificationHandler): Promise<() => void>;
  /** Called after the listening connection was lost and is back (notifications in between are lost: catch up). */
  onReconnect(handler: () => void): () => void;
  close(): Promise<void>;
}

/**
 * Queues `payload` (JSON-serialised) on `channel`; delivered when the surrounding transaction commits (at once when
 * `q` is not in a transaction).
 */
export async function notify(q: Queryable, channel: Channel, payload: unknown): Promise<void> {
  const text = JSON.stringify(payload);
  if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
    throw new Error(`notification on ${channel} is ${Buffer.byteLength(text)} bytes; the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  await q.query('SELECT pg_notify($1, $2)', [channel, text]);
}

/** Opens this process's listening connection to `url`. */
export async function startNotificationBus(url: string, logger: Logger): Promise<NotificationBus> {
  const subscriber: Subscriber = createPostgresSubscriber(
    { connectionString: url, application_name: LISTENER_APPLICATION_NAME },
    {
      retryInterval: (attempt) => Math.min(RECONNECT_CAP_MS, RECONNECT_BASE_MS * 2 ** Math.max(0, attempt - 1)),
      retryLimit: Infinity,
      // 0 = never give up: the listener lives as long as the process.
      retryTimeout: 0,
      paranoidChecking: 10_000,
    },
  );
  const reconnectHandlers = new Set<() => void>();
  let lostConnection = false;
  subscriber.events.on('error', (error) => logger.warn({ err: error }, 'notification listener error'));
  subscriber.events.on('reconnect', (attempt) => {
    lostConnection = true;
    if (attempt === 1) logger.warn('notification listener lost its connection; reconnecting');
  });
  subscriber.events.on('connected', () => {
    if (!lostConnection) return;
    lostConnection = false;
    logger.info('notification listener reconnected');
    for (const handler of reconnectHandlers) {
      try {
        handler();
      } catch (error) {
        logger.error({ err: error }, 'notification reconnect handler failed');
      }
    }
  });
  await subscriber.connect();
  const handlers = new Map<Channel, Set<NotificationHandler>>();
  return {
    async subscribe(channel, handler) {
      let set = handlers.get(channel);
      if (!set) {
        const created = new Set<NotificationHandler>();
        handlers.set(channel, created);
        set = created;
        subscriber.notifications.on(channel, (payload: unknown) => {
          for (const h of created) {
            try {
              h(payload);
            } catch (error) {
              logger.error({ err: error, channel }, 'notification handler failed');
            }
          }
        });
        await subscriber.listenTo(channel);
      }
      set.add(handler);
      return () => {
        set.delete(handler);
      };
    },
    onReconnect(handler) {
      reconnectHandlers.add(handler);
      return () => {
        reconnectHandlers.delete(handler);
      };
    },
    async close() {
      reconnectHandlers.clear();
      await subscriber.close().catch(() => undefined);
    },
  };
}
