/**
 * Tick engine: incremental re-evaluation of account risk on every market-data change (issue 22, item 2).
 *
 * Every committed market-data write notifies `CHANNELS.marketData` with the markets and assets it changed
 * (src/store/change-notice.ts). This replica's tick engine coalesces the notices for `coalesceMs`, finds the
 * accounts of ITS partition (SWEEP_PARTITION) exposed to what changed, re-evaluates them at once with the shared
 * engine (the figures screen, src/risk/screen/figures.ts, with the exact engine for what it cannot decide: the sweep's
 * `evaluateForTableScreened`) on one market context read in one snapshot, and upserts their
 * rows with `upsertAccountRisk` (which records risk events and notifies subscribers).
 *
 * Projection (in memory, this partition's accounts): each account's row (with its version), balances and positions
 * as last read, indexed by the markets it holds and the assets it holds balances in; a tick builds its snapshots
 * from it on the freshly read market context, without re-reading positions. Kept current from
 * `CHANNELS.accounts` (the changed accounts are reloaded by id before the next tick is evaluated, so a tick never
 * uses an index older than the notices received before it, and re-evaluated with that tick). An account is exposed to a change of market M when it
 * holds M or a market on M's base asset (options on an underlying), and to a change of asset A when it holds a
 * balance in A or a market whose base, quote or settlement asset is A.
 *
 * Postgres stays the source of truth. After the listening connection was lost (`onReconnect`), the engine catches
 * up from the versions: it rebuilds the index (accounts whose version changed are reloaded with it) and
 * re-evaluates every partition account whose row is missing, was read at another account version, or at a
 * market-data version older than the current one. The periodic sweep stays the backstop.
 */
import type { Logger } from 'pino';
import type { Database } from '../store/database';
import { CHANNELS, type NotificationBus } from '../store/notification-bus';
import type { AccountsNotice, MarketDataNotice } from '../store/change-notice';
import type { Queryable } from '../store/queryable';
import { ReadSnapshot } from '../store/read-snapshot';
import {
  balanceSnapshotOf,
  loadVersionedMarketContext,
  positionSnapshotOf,
  screenContextOf,
  snapshotOfRows,
  type MarketContext,
} from '../snapshot/snapshot.loader';
import { buildFiguresTable, prepareFiguresAccount, type FiguresAccount } from '../risk/screen/figures';
import type { BalanceSnapshot, PositionSnapshot } from '../risk/types';
import { accountsByIds, balancesByAccounts, positionsByAccounts } from '../store/account.repository';
import type { AccountRecord, BalanceRecord, PositionRecord } from '../store/records';
import { D } from '../risk/decimal';
import { upsertAccountRisk } from './account-risk.repository';
import { tickAccounts, tickLatency } from './metrics';
import { DEFAULT_SWEEP_BATCH_SIZE, evaluateForTableScreened, partitionPredicate, WHOLE_VENUE, type Partition, type ScreenableAccount } from './sweep';

/** Default wait after the first notice of a tick, so a burst of oracle writes becomes one evaluation (ms). */
export const DEFAULT_TICK_COALESCE_MS = 5;

/**
 * Upserts of one tick in flight at once. A tick's batches are disjoint accounts, so they write in parallel; the
 * evaluation and a writer each use about one core (bench/README.md, tick).
 */
export const TICK_WRITERS = 2;

/** Cumulative phase times of this process's ticks in ms (snapshot build, engine, waiting for the upsert): bench/tick.ts prints them. */
export const PROFILE = { load: 0, evaluate: 0, waitWrite: 0 };

export interface TickEngineOptions {
  readonly db: Database;
  readonly bus: NotificationBus;
  readonly logger: Logger;
  readonly partition?: Partition;
  readonly coalesceMs?: number;
  readonly batchSize?: number;
  readonly clock?: () => number;
}

/** What one tick did. */
export interface TickResult {
  readonly accounts: number;
  /** market_data_version of the snapshot the tick evaluated with. */
  readonly marketDataVersion: string;
  readonly catchUp: boolean;
}

export interface TickEngine {
  /** Resolves once every notice received so far has been evaluated (tests, benchmarks). */
  idle(): Promise<void>;
  /** Highest market_data_version evaluated by this engine (text of a bigint, '0' before the first tick). */
  lastSeenVersion(): string;
  /** Accounts of the partition in the exposure index. */
  indexedAccounts(): number;
  /** Called after every tick (tests, benchmarks). */
  onTick(handler: (result: TickResult) => void): () => void;
  /** Unsubscribes, waits for the running tick. */
  stop(): Promise<void>;
}

/**
 * One account of the projection: its rows as last read (account.version included), in the engine's shape and as the
 * figures screen reads them, and what it is exposed to.
 */
interface Projected {
  readonly account: AccountRecord;
  readonly balances: readonly BalanceSnapshot[];
  readonly positions: readonly PositionSnapshot[];
  /** The same rows as the figures screen reads them (src/risk/screen/figures.ts), prepared once per load. */
  readonly screen: FiguresAccount;
  readonly markets: readonly string[];
  readonly assets: readonly string[];
}

function projected(account: AccountRecord, balances: readonly BalanceRecord[], positions: readonly PositionRecord[]): Projected {
  const rows = { accountId: account.id, marginMode: account.marginMode, balances: balances.map(balanceSnapshotOf), positions: positions.map(positionSnapshotOf) };
  return {
    account,
    balances: rows.balances,
    positions: rows.positions,
    screen: prepareFiguresAccount(rows),
    markets: [...new Set(positions.map((p) => p.marketSymbol))],
    assets: balances.map((b) => b.assetSymbol),
  };
}

/** The partition's accounts (the projection), indexed by market and by asset. */
class ExposureIndex {
  private readonly accounts = new Map<string, Projected>();
  private readonly byMarket = new Map<string, Set<string>>();
  private readonly byAsset = new Map<string, Set<string>>();

  get size(): number {
    return this.accounts.size;
  }

  ids(): IterableIterator<string> {
    return this.accounts.keys();
  }

  get(id: string): Projected | undefined {
    return this.accounts.get(id);
  }

  set(id: string, exposure: Projected | null): void {
    const old = this.accounts.get(id);
    if (old) {
      for (const m of old.markets) this.byMarket.get(m)?.delete(id);
      for (const a of old.assets) this.byAsset.get(a)?.delete(id);
      this.accounts.delete(id);
    }
    if (!exposure) return;
    this.accounts.set(id, exposure);
    for (const m of exposure.markets) add(this.byMarket, m, id);
    for (const a of exposure.assets) add(this.byAsset, a, id);
  }

  clear(): void {
    this.accounts.clear();
    this.byMarket.clear();
    this.byAsset.clear();
  }

  /** Accounts holding one of `markets` or a balance in one of `assets`. */
  exposed(markets: Iterable<string>, assets: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const m of markets) for (const id of this.byMarket.get(m) ?? []) out.add(id);
    for (const a of assets) for (const id of this.byAsset.get(a) ?? []) out.add(id);
    return out;
  }
}

function add(map: Map<string, Set<string>>, key: string, id: string): void {
  let set = map.get(key);
  if (!set) {
    set = new Set();
    map.set(key, set);
  }
  set.add(id);
}

/** Accounts read per statement when (re)loading the projection. */
const LOAD_BATCH = 5_000;

/**
 * The projection rows of the partition's accounts (`ids` null: all of them): account, balances and positions of
 * each account read in one REPEATABLE READ snapshot per batch (they agree with the account's version).
 */
async function loadProjection(db: Database, partition: Partition, ids: readonly string[] | null): Promise<Map<string, Projected>> {
  const values: unknown[] = [];
  const where = [partitionPredicate(partition, 'id', values)];
  if (ids) {
    values.push(ids);
    where.push(`id = ANY($${values.length}::uuid[])`);
  }
  const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM account WHERE ${where.join(' AND ')} ORDER BY id`, values);
  const all = rows.map((r) => r.id);
  const out = new Map<string, Projected>();
  for (let i = 0; i < all.length; i += LOAD_BATCH) {
    const chunk = all.slice(i, i + LOAD_BATCH);
    const snapshot = new ReadSnapshot(db.pool);
    try {
      const accounts = await accountsByIds(snapshot, chunk);
      const balances = await balancesByAccounts(snapshot, chunk, D);
      const positions = await positionsByAccounts(snapshot, chunk, D);
      for (const id of chunk) {
        const account = accounts.get(id);
        if (account) out.set(id, projected(account, balances.get(id) ?? [], positions.get(id) ?? []));
      }
    } finally {
      await snapshot.release();
    }
  }
  return out;
}

/** Market symbols whose holders are exposed to a change of `markets` and `assets` (see the module comment). */
export function exposedMarkets(context: MarketContext, markets: ReadonlySet<string>, assets: ReadonlySet<string>): Set<string> {
  const bases = new Set<string>();
  for (const m of markets) {
    const params = context.markets[m];
    if (params) bases.add(params.baseAsset);
  }
  const out = new Set<string>(markets);
  for (const params of Object.values(context.markets)) {
    if (bases.has(params.baseAsset) || assets.has(params.baseAsset) || assets.has(params.quoteAsset) || assets.has(params.settlementAsset)) {
      out.add(params.symbol);
    }
  }
  return out;
}

/** Partition accounts whose account_risk row is missing or older than the account or the market data. */
async function staleAccounts(q: Queryable, partition: Partition, marketDataVersion: string): Promise<string[]> {
  const values: unknown[] = [marketDataVersion];
  const where = partitionPredicate(partition, 'a.id', values);
  const { rows } = await q.query<{ id: string }>(
    `SELECT a.id FROM account a LEFT JOIN account_risk r ON r.account_id = a.id
      WHERE ${where} AND (r.account_id IS NULL OR r.account_version <> a.version OR r.market_data_version < $1::bigint)
      ORDER BY a.id`,
    values,
  );
  return rows.map((r) => r.id);
}

const maxVersion = (a: string, b: string): string => (BigInt(a) >= BigInt(b) ? a : b);

export async function startTickEngine(options: TickEngineOptions): Promise<TickEngine> {
  const { db, bus, logger } = options;
  const partition = options.partition ?? WHOLE_VENUE;
  const coalesceMs = options.coalesceMs ?? DEFAULT_TICK_COALESCE_MS;
  const batchSize = options.batchSize ?? DEFAULT_SWEEP_BATCH_SIZE;
  const clock = options.clock ?? Date.now;

  const index = new ExposureIndex();
  let lastSeen = '0';
  let stopped = false;
  /** No tick before the index is loaded (notices received meanwhile wait). */
  let started = false;
  const tickHandlers = new Set<(result: TickResult) => void>();

  // Work received and not yet evaluated.
  let pendingMarkets = new Set<string>();
  let pendingAssets = new Set<string>();
  let pendingAll = false;
  let pendingAccounts = new Set<string>();
  let pendingCatchUp = false;
  /** Receipt time (ms) of the first notice of the pending tick: the latency histogram's start. */
  let firstNoticeMs: number | null = null;

  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  let idleWaiters: (() => void)[] = [];

  const hasMarketWork = () => pendingAll || pendingMarkets.size > 0 || pendingAssets.size > 0;
  const hasWork = () => hasMarketWork() || pendingAccounts.size > 0 || pendingCatchUp;

  /**
   * Re-evaluates `ids` from the projection on the market context `current` (read in one snapshot) and upserts their
   * rows; returns the number of rows written. Accounts not in the projection are skipped (not this partition's).
   */
  const evaluate = async (ids: readonly string[], current: { current: MarketContext; version: string }): Promise<number> => {
    const asOfMs = clock();
    let written = 0;
    // Upserts in flight (at most TICK_WRITERS, each on its own pooled connection), overlapping the evaluation.
    let writing: Promise<unknown>[] = [];
    // The figures screen's table of this tick's market context (once per tick, shared by every account).
    let t = performance.now();
    const table = buildFiguresTable(screenContextOf(current.current, asOfMs));
    PROFILE.load += performance.now() - t;
    try {
      for (let i = 0; i < ids.length; i += batchSize) {
        t = performance.now();
        const batch: ScreenableAccount[] = [];
        for (const id of ids.slice(i, i + batchSize)) {
          const p = index.get(id);
          if (p) {
            batch.push({
              account: p.account,
              screen: p.screen,
              snapshot: () => snapshotOfRows(p.account, p.balances, p.positions, current.current, asOfMs),
            });
          }
        }
        PROFILE.load += performance.now() - t;
        t = performance.now();
        const rows = await evaluateForTableScreened(batch, table, asOfMs, current.version);
        PROFILE.evaluate += performance.now() - t;
        t = performance.now();
        if (writing.length >= TICK_WRITERS) await writing.shift();
        PROFILE.waitWrite += performance.now() - t;
        writing.push(upsertAccountRisk(db.pool, rows));
        written += rows.length;
      }
      t = performance.now();
      await Promise.all(writing);
      PROFILE.waitWrite += performance.now() - t;
    } finally {
      await Promise.allSettled(writing);
      writing = [];
    }
    return written;
  };

  const runOnce = async (): Promise<void> => {
    // Take the pending work (notices arriving from now on wait for the next tick).
    const markets = pendingMarkets;
    const assets = pendingAssets;
    const all = pendingAll;
    const accountIds = [...pendingAccounts];
    const catchUp = pendingCatchUp;
    const startedAt = firstNoticeMs;
    pendingMarkets = new Set();
    pendingAssets = new Set();
    pendingAll = false;
    pendingAccounts = new Set();
    pendingCatchUp = false;
    firstNoticeMs = null;

    // The index first: a tick must see every account change committed before the notices it evaluates.
    if (catchUp) {
      const loaded = await loadProjection(db, partition, null);
      index.clear();
      for (const [id, exposure] of loaded) index.set(id, exposure);
    } else if (accountIds.length > 0) {
      const loaded = await loadProjection(db, partition, accountIds);
      for (const id of accountIds) index.set(id, loaded.get(id) ?? null);
    }

    const snapshot = new ReadSnapshot(db.pool);
    try {
      const read = await loadVersionedMarketContext(snapshot, null);
      await snapshot.release();
      const current = { current: read.context, version: read.version };
      let ids: string[];
      if (catchUp) {
        ids = await staleAccounts(db.pool, partition, read.version);
      } else if (all) {
        ids = [...index.ids()];
      } else {
        const exposed = index.exposed(exposedMarkets(read.context, markets, assets), assets);
        // Reloaded accounts too: the writer's own refresh may have read an older market-data version than this
        // tick's (a price committed in between), and would then win by its newer account version.
        for (const id of accountIds) if (index.get(id)) exposed.add(id);
        ids = [...exposed];
      }
      ids.sort();
      const accounts = await evaluate(ids, current);
      lastSeen = maxVersion(lastSeen, read.version);
      tickAccounts.observe(accounts);
      if (startedAt !== null) tickLatency.observe((clock() - startedAt) / 1000);
      const result: TickResult = { accounts, marketDataVersion: read.version, catchUp };
      for (const handler of tickHandlers) handler(result);
    } finally {
      await snapshot.release();
    }
  };

  const drain = async (): Promise<void> => {
    while (hasWork() && !stopped) {
      try {
        await runOnce();
      } catch (error) {
        logger.warn({ err: error }, 'tick evaluation failed; catching up from the versions');
        // Whatever was taken is lost from memory: catch up from Postgres on the next round.
        pendingCatchUp = true;
        if (stopped) break;
        await new Promise((resolve) => setTimeout(resolve, 1_000).unref());
      }
    }
  };

  const schedule = (delayMs: number) => {
    if (stopped || !started || running || timer) return;
    timer = setTimeout(() => {
      timer = null;
      running = drain().finally(() => {
        running = null;
        if (hasWork() && !stopped) schedule(0);
        else {
          const waiters = idleWaiters;
          idleWaiters = [];
          for (const w of waiters) w();
        }
      });
    }, delayMs);
  };

  const onMarketData = (payload: unknown) => {
    const notice = payload as Partial<MarketDataNotice> | null;
    if (!notice || typeof notice !== 'object') return;
    if (firstNoticeMs === null) firstNoticeMs = clock();
    if (notice.all) pendingAll = true;
    for (const m of notice.markets ?? []) pendingMarkets.add(m);
    for (const a of notice.assets ?? []) pendingAssets.add(a);
    // A notice without anything named still moved the version: treat as everything.
    if (!notice.all && !(notice.markets?.length || notice.assets?.length)) pendingAll = true;
    schedule(coalesceMs);
  };

  const onAccounts = (payload: unknown) => {
    const notice = payload as Partial<AccountsNotice> | null;
    for (const id of notice?.accountIds ?? []) pendingAccounts.add(id);
    // The index is reloaded lazily, before the next market tick; a quiet market still gets it within coalesceMs.
    schedule(coalesceMs);
  };

  const unsubscribes = [
    await bus.subscribe(CHANNELS.accounts, onAccounts),
    await bus.subscribe(CHANNELS.marketData, onMarketData),
    bus.onReconnect(() => {
      logger.info('tick engine catching up after a lost notification connection');
      pendingCatchUp = true;
      schedule(0);
    }),
  ];
  // Listening before the first index load: a change committed while it loads is in the next tick.
  for (const [id, exposure] of await loadProjection(db, partition, null)) index.set(id, exposure);
  {
    const { rows } = await db.pool.query<{ version: string }>(`SELECT version::text AS version FROM market_data_version`);
    lastSeen = rows[0]?.version ?? '0';
  }
  started = true;
  if (hasWork()) schedule(0);
  logger.info({ partition: `${partition.index}/${partition.count}`, accounts: index.size, coalesceMs }, 'tick engine started');

  return {
    idle() {
      if (stopped || (!running && !timer && !hasWork())) return Promise.resolve();
      return new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
    lastSeenVersion: () => lastSeen,
    indexedAccounts: () => index.size,
    onTick(handler) {
      tickHandlers.add(handler);
      return () => tickHandlers.delete(handler);
    },
    async stop() {
      stopped = true;
      for (const u of unsubscribes) u();
      if (timer) clearTimeout(timer);
      timer = null;
      await running;
      const waiters = idleWaiters;
      idleWaiters = [];
      for (const w of waiters) w();
    },
  };
}
