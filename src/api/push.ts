/**
 * Subscription fan-out in one process: one listener per NOTIFY channel (src/store/notification-bus.ts), whatever the
 * number of subscribers, so what any process writes reaches every subscriber of every process. A risk-event
 * notification names event ids: they are read once (one statement) and offered to each subscriber's filter. An
 * account-risk notification names account ids: each subscriber of one of them is told the id (its resolver evaluates
 * the account afresh).
 *
 * Each subscription is an async iterator whose `return()` (graphql-ws calls it on complete, on close and on
 * shutdown) removes its listener; `close()` ends them all.
 */
import type { Logger } from 'pino';
import type { RiskEventRecord } from '../monitoring/risk-event.repository';
import { riskEventsByIds } from '../monitoring/risk-event.repository';
import { subscriptionsActive } from '../monitoring/metrics';
import type { Queryable } from '../store/queryable';
import { CHANNELS, type NotificationBus } from '../store/notification-bus';

/** Messages a slow subscriber may have pending; beyond it the oldest are dropped (the next row write supersedes them). */
export const MAX_PENDING_MESSAGES = 1_000;

export type SubscriptionKind = 'riskEvents' | 'accountRisk';

interface Listener<T> {
  push(value: T): void;
  end(): void;
}

/** An async iterator over values pushed to it; `onReturn` runs once when it ends (by its consumer or by `end`). */
function pushIterator<T>(onReturn: () => void): { iterator: AsyncIterableIterator<T>; listener: Listener<T> } {
  const pending: T[] = [];
  let waiting: ((result: IteratorResult<T>) => void) | null = null;
  let done = false;
  const finish = (): void => {
    if (done) return;
    done = true;
    onReturn();
    pending.length = 0;
    if (waiting) {
      waiting({ value: undefined, done: true });
      waiting = null;
    }
  };
  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (pending.length > 0) return Promise.resolve({ value: pending.shift()!, done: false });
      if (done) return Promise.resolve({ value: undefined, done: true });
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return() {
      finish();
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error: unknown) {
      finish();
      return Promise.reject(error);
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  const listener: Listener<T> = {
    push(value) {
      if (done) return;
      if (waiting) {
        const resolve = waiting;
        waiting = null;
        resolve({ value, done: false });
        return;
      }
      if (pending.length >= MAX_PENDING_MESSAGES) pending.shift();
      pending.push(value);
    },
    end: finish,
  };
  return { iterator, listener };
}

export interface PushHub {
  /** Risk events recorded from now on that `accept` keeps. */
  riskEvents(accept: (event: RiskEventRecord) => boolean): AsyncIterableIterator<RiskEventRecord>;
  /** The account's id each time its account_risk row is written from now on. */
  accountRisk(accountId: string): AsyncIterableIterator<string>;
  /** Subscriptions open in this process. */
  size(): number;
  /** Ends every subscription and stops listening. */
  close(): void;
}

export async function createPushHub(bus: NotificationBus, q: Queryable, logger: Logger): Promise<PushHub> {
  const eventListeners = new Set<{ accept: (event: RiskEventRecord) => boolean; listener: Listener<RiskEventRecord> }>();
  const riskListeners = new Map<string, Set<Listener<string>>>();
  const count = (): number => {
    let n = eventListeners.size;
    for (const set of riskListeners.values()) n += set.size;
    return n;
  };
  const changed = (kind: SubscriptionKind, delta: number): void => {
    subscriptionsActive.inc({ kind }, delta);
  };
  const unsubscribeEvents = await bus.subscribe(CHANNELS.riskEvents, (payload) => {
    const ids = (payload as { ids?: unknown }).ids;
    if (!Array.isArray(ids) || eventListeners.size === 0) return;
    void riskEventsByIds(q, ids.filter((id): id is string => typeof id === 'string'))
      .then((events) => {
        for (const event of events) for (const { accept, listener } of eventListeners) if (accept(event)) listener.push(event);
      })
      .catch((error: unknown) => logger.warn({ err: error }, 'risk events of a notification could not be read'));
  });
  const unsubscribeRisk = await bus.subscribe(CHANNELS.accountRisk, (payload) => {
    const ids = (payload as { accountIds?: unknown }).accountIds;
    if (!Array.isArray(ids)) return;
    for (const id of ids) {
      const set = typeof id === 'string' ? riskListeners.get(id) : undefined;
      if (set) for (const listener of set) listener.push(id as string);
    }
  });
  return {
    riskEvents(accept) {
      const entry = { accept, listener: null as unknown as Listener<RiskEventRecord> };
      const { iterator, listener } = pushIterator<RiskEventRecord>(() => {
        if (eventListeners.delete(entry)) changed('riskEvents', -1);
      });
      entry.listener = listener;
      eventListeners.add(entry);
      changed('riskEvents', 1);
      return iterator;
    },
    accountRisk(accountId) {
      let set = riskListeners.get(accountId);
      if (!set) {
        set = new Set();
        riskListeners.set(accountId, set);
      }
      const own = set;
      const { iterator, listener } = pushIterator<string>(() => {
        if (!own.delete(listener)) return;
        if (own.size === 0) riskListeners.delete(accountId);
        changed('accountRisk', -1);
      });
      own.add(listener);
      changed('accountRisk', 1);
      return iterator;
    },
    size: count,
    close() {
      unsubscribeEvents();
      unsubscribeRisk();
      for (const { listener } of [...eventListeners]) listener.end();
      for (const set of [...riskListeners.values()]) for (const listener of [...set]) listener.end();
    },
  };
}
