/**
 * Account risk sweep: streams every account of this replica's partition in id order, in batches, evaluates each
 * with the shared engine (liquidation prices skipped: the fast mode) and upserts the results into `account_risk` in
 * one statement per batch. Market data (markets, tiers, prices, OI, volatility) is loaded once per sweep and shared by
 * every snapshot.
 *
 * Scale-out (DESIGN.md section 7): replicas split the accounts by a hash of the account id computed in Postgres
 * (SWEEP_PARTITION=i/n: replica i of n sweeps the accounts with hash mod n = i), so n replicas each do 1/n of the
 * work, with no coordination and no in-process state that must agree. Freshness of a row = the sweep interval plus
 * one sweep's duration; each row carries its own `evaluated_at`, and a write through the API re-evaluates its account
 * at once (`refreshAccountRisk`).
 */
import type Decimal from 'decimal.js';
import type { Logger } from 'pino';
import { evaluateAccountFigures, RiskEngineError, type AccountStatus } from '../risk';
import type { ScreenFallbackReason } from '../risk/screen';
import { screenRowTexts, type FiguresAccount, type FiguresTable } from '../risk/screen/figures';
import type { RowFigureTexts } from '../risk/precision';
import type { AccountSnapshot } from '../risk/types';
import { D } from '../risk/decimal';
import { accountsByIds, balancesByAccounts, positionsByAccounts } from '../store/account.repository';
import type { Queryable } from '../store/queryable';
import { ReadSnapshot } from '../store/read-snapshot';
import type { AccountRecord } from '../store/records';
import type { Database } from '../store/database';
import {
  buildSnapshot,
  loadAccountSnapshotsWithRows,
  loadVersionedMarketContext,
  type LoadedAccount,
  type MarketContext,
} from '../snapshot/snapshot.loader';
import { RiskRowBatch, rowFromError, rowFromRisk, upsertAccountRisk, type AccountRiskRow } from './account-risk.repository';
import { recordScreenBatch, sweepAccounts, sweepAccountsLast, sweepDuration, sweepLastSuccess, timeEngine } from './metrics';

export const DEFAULT_SWEEP_BATCH_SIZE = 2_000;
/** Accounts evaluated between two yields to the event loop (keeps request latency flat while a sweep runs). */
const YIELD_EVERY = 64;

/** Replica `index` of `count` (0-based). */
export interface Partition {
  readonly index: number;
  readonly count: number;
}

export const WHOLE_VENUE: Partition = { index: 0, count: 1 };

/** "i/n" with 0 ≤ i < n. */
export function parsePartition(value: string): Partition {
  const match = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(value);
  if (!match) throw new Error(`partition must look like "i/n" (for example 0/4), got "${value}"`);
  const index = Number(match[1]);
  const count = Number(match[2]);
  if (count < 1 || index >= count) throw new Error(`partition ${value}: need 0 ≤ i < n`);
  return { index, count };
}

/**
 * SQL predicate selecting the partition's accounts: a hash of the id mod n. The hash is Postgres's own
 * (hashtextextended), so every replica (and the tests) agree on the split without sharing anything.
 */
export function partitionPredicate(partition: Partition, column: string, values: unknown[]): string {
  if (partition.count === 1) return 'TRUE';
  values.push(partition.count, partition.index);
  const n = `$${values.length - 1}::bigint`;
  const i = `$${values.length}::bigint`;
  return `((hashtextextended(${column}::text, 0) % ${n}) + ${n}) % ${n} = ${i}`;
}

/** Account rows of the next batch: id > afterId in the partition, in id order. */
async function nextAccounts(q: Queryable, afterId: string | null, limit: number, partition: Partition): Promise<string[]> {
  const values: unknown[] = [];
  const where = [partitionPredicate(partition, 'id', values)];
  if (afterId) {
    values.push(afterId);
    where.push(`id > $${values.length}::uuid`);
  }
  values.push(limit);
  const { rows } = await q.query<{ id: string }>(
    `SELECT id FROM account WHERE ${where.join(' AND ')} ORDER BY id LIMIT $${values.length}`,
    values,
  );
  return rows.map((r) => r.id);
}

export interface SnapshotBatch {
  readonly accounts: readonly LoadedAccount[];
  /** Epoch ms at which the batch was read (its rows' `evaluated_at`). */
  readonly readAtMs: number;
  /** Market-data version of the context the batch's snapshots were built with (see market_data_version). */
  readonly marketDataVersion: string;
}

export interface StreamOptions {
  readonly batchSize?: number;
  readonly partition?: Partition;
  /** Evaluation time of every snapshot (price staleness, option expiry). */
  readonly asOfMs: number;
  /** Shared market data; loaded once for every market when omitted. */
  readonly context?: MarketContext;
  /** Market-data version of `context` (reported on the batches; '0' when not given). */
  readonly contextVersion?: string;
  /** Only accounts holding a position in one of these markets (stress rounds after the first). */
  readonly marketsFilter?: readonly string[];
  /**
   * Only accounts a parameter change touches (dry runs): a position on one of `markets` or on a market whose base
   * asset is one of `underlyings`, or a non-zero balance in one of `assets`. Combined with `marketsFilter` by OR.
   */
  readonly touching?: { readonly markets?: readonly string[]; readonly assets?: readonly string[]; readonly underlyings?: readonly string[] };
  /** Read through this queryable (for example a request's snapshot) instead of one snapshot per batch. */
  readonly queryable?: Queryable;
  readonly clock?: () => number;
}

/** Loads the market context for every market of the venue (one statement). */
export async function loadVenueContext(q: Queryable): Promise<MarketContext> {
  return (await loadVersionedMarketContext(q, null)).context;
}

/** A sweep's market context and the market-data version it was read at. */
export interface CurrentContext {
  current: MarketContext;
  version: string;
}

/**
 * Engine snapshots of the accounts `ids` read through `q` (balances and positions as the engine's decimals) on the
 * shared market context (reloaded once when an account holds a market the context lacks). Unknown ids are left out.
 */
export async function assembleSnapshots(
  q: Queryable,
  ids: readonly string[],
  context: CurrentContext,
  asOfMs: number,
): Promise<LoadedAccount[]> {
  const accounts: Map<string, AccountRecord> = await accountsByIds(q, ids);
  // Read as the engine's own decimals (as the request path reads them): the engine takes them without copying.
  const balances = await balancesByAccounts(q, ids, D);
  const positions = await positionsByAccounts(q, ids, D);
  // A market created after the context was loaded: reload it once (cheap) rather than fail those accounts.
  const missing = new Set<string>();
  for (const list of positions.values()) for (const p of list) if (!context.current.markets[p.marketSymbol]) missing.add(p.marketSymbol);
  if (missing.size) {
    const reloaded = await loadVersionedMarketContext(q, null);
    context.current = reloaded.context;
    context.version = reloaded.version;
  }
  const out: LoadedAccount[] = [];
  for (const id of ids) {
    const account = accounts.get(id);
    if (!account) continue;
    out.push({ account, snapshot: buildSnapshot(account, balances.get(id) ?? [], positions.get(id) ?? [], context.current, asOfMs) });
  }
  return out;
}

/**
 * Streams the partition's accounts as engine snapshots, `batchSize` at a time, in id order. Each batch is read in
 * its own REPEATABLE READ snapshot (balances and positions of an account always agree) unless a queryable is given;
 * the next batch is read while the caller works on the current one.
 */
export async function* streamAccountSnapshots(db: Database | null, options: StreamOptions): AsyncGenerator<SnapshotBatch> {
  const batchSize = options.batchSize ?? DEFAULT_SWEEP_BATCH_SIZE;
  const partition = options.partition ?? WHOLE_VENUE;
  const clock = options.clock ?? Date.now;
  if (!options.queryable && !db) throw new Error('streamAccountSnapshots needs a database or a queryable');
  const contextQ: Queryable = options.queryable ?? db!.pool;
  const context: CurrentContext = options.context
    ? { current: options.context, version: options.contextVersion ?? '0' }
    : await loadVersionedMarketContext(contextQ, null).then((r) => ({ current: r.context, version: r.version }));
  const touchedMarkets = [...(options.marketsFilter ?? []), ...(options.touching?.markets ?? [])];
  const touchedAssets = [...(options.touching?.assets ?? [])];
  const touchedUnderlyings = [...(options.touching?.underlyings ?? [])];
  const filtered = options.marketsFilter !== undefined || options.touching !== undefined;

  const readBatch = async (afterId: string | null): Promise<{ ids: string[]; batch: SnapshotBatch }> => {
    const snapshot = options.queryable ? null : new ReadSnapshot(db!.pool);
    const q: Queryable = options.queryable ?? snapshot!;
    try {
      const readAtMs = clock();
      let ids: string[];
      if (filtered) {
        const values: unknown[] = [];
        const where = [partitionPredicate(partition, 'a.id', values)];
        const any: string[] = [];
        values.push(touchedMarkets);
        any.push(`EXISTS (SELECT 1 FROM position p WHERE p.account_id = a.id AND p.size <> 0 AND p.market_symbol = ANY($${values.length}::text[]))`);
        if (touchedAssets.length) {
          values.push(touchedAssets);
          any.push(`EXISTS (SELECT 1 FROM balance b WHERE b.account_id = a.id AND b.amount <> 0 AND b.asset_symbol = ANY($${values.length}::text[]))`);
        }
        if (touchedUnderlyings.length) {
          values.push(touchedUnderlyings);
          any.push(
            `EXISTS (SELECT 1 FROM position p JOIN market m ON m.symbol = p.market_symbol WHERE p.account_id = a.id AND p.size <> 0 AND m.base_asset = ANY($${values.length}::text[]))`,
          );
        }
        where.push(`(${any.join(' OR ')})`);
        if (afterId) {
          values.push(afterId);
          where.push(`a.id > $${values.length}::uuid`);
        }
        values.push(batchSize);
        const { rows } = await q.query<{ id: string }>(
          `SELECT a.id FROM account a WHERE ${where.join(' AND ')} ORDER BY a.id LIMIT $${values.length}`,
          values,
        );
        ids = rows.map((r) => r.id);
      } else {
        ids = await nextAccounts(q, afterId, batchSize, partition);
      }
      const accounts = ids.length ? await assembleSnapshots(q, ids, context, options.asOfMs) : [];
      return { ids, batch: { accounts, readAtMs, marketDataVersion: context.version } };
    } finally {
      await snapshot?.release();
    }
  };

  let pending = readBatch(null);
  for (;;) {
    const { ids, batch } = await pending;
    if (ids.length === 0) return;
    const last = ids[ids.length - 1]!;
    // Prefetch: the next batch travels while the caller evaluates this one.
    pending = ids.length < batchSize ? Promise.resolve({ ids: [], batch: { accounts: [], readAtMs: 0, marketDataVersion: '0' } }) : readBatch(last);
    pending.catch(() => undefined);
    yield batch;
  }
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Engine error code of a failed evaluation (RiskEngineError code, else INTERNAL). */
function errorCodeOf(error: unknown): string {
  return error instanceof RiskEngineError ? error.code : 'INTERNAL';
}

/**
 * Evaluates loaded accounts' figures (the engine's evaluateAccountFigures: no per-position results, liquidation
 * prices or greeks) and returns their table rows (errors become error rows, never throw), each stamped with the
 * account version it read, `marketDataVersion` and `evaluatedAtMs`.
 */
export async function evaluateForTable(
  accounts: readonly LoadedAccount[],
  evaluatedAtMs: number,
  marketDataVersion: string,
): Promise<AccountRiskRow[]> {
  const rows: AccountRiskRow[] = [];
  for (let i = 0; i < accounts.length; i++) {
    const { account, snapshot } = accounts[i]!;
    const stamp = { accountVersion: account.version, marketDataVersion, evaluatedAtMs };
    try {
      const risk = timeEngine('sweep', 'SKIP', () => evaluateAccountFigures(snapshot));
      rows.push(rowFromRisk(risk, stamp));
    } catch (error) {
      rows.push(rowFromError(snapshot.accountId, errorCodeOf(error), stamp));
    }
    if ((i + 1) % YIELD_EVERY === 0) await yieldToLoop();
  }
  let errors = 0;
  for (const r of rows) if (r.errorCode !== null) errors += 1;
  if (rows.length - errors) sweepAccounts.inc({ outcome: 'ok' }, rows.length - errors);
  if (errors) sweepAccounts.inc({ outcome: 'error' }, errors);
  return rows;
}

/** An account for `evaluateForTableScreened`: its rows as the figures screen reads them, and its exact snapshot. */
export interface ScreenableAccount {
  readonly account: AccountRecord;
  readonly screen: FiguresAccount;
  /** Built only for the accounts the screen sends to the exact engine. */
  readonly snapshot: () => AccountSnapshot;
}

/**
 * `evaluateForTable` through the figures screen (src/risk/screen/figures.ts): each account's row comes from the
 * screen when the screen proves it equal to the exact path's row, else from the exact engine. The batch holds the
 * texts evaluateForTable's rows are written as, text for text (screened rows build no Decimals); records the screen
 * metrics (accounts, fallbacks by reason).
 */
export async function evaluateForTableScreened(
  accounts: readonly ScreenableAccount[],
  table: FiguresTable,
  evaluatedAtMs: number,
  marketDataVersion: string,
): Promise<RiskRowBatch> {
  const screened: (RowFigureTexts | null)[] = new Array<RowFigureTexts | null>(accounts.length).fill(null);
  const exact: LoadedAccount[] = [];
  const fallbacks: Partial<Record<ScreenFallbackReason, number>> = {};
  for (let i = 0; i < accounts.length; i++) {
    const a = accounts[i]!;
    const result = screenRowTexts(table, a.screen);
    if (result.kind === 'SCREENED') screened[i] = result.texts;
    else {
      fallbacks[result.reason] = (fallbacks[result.reason] ?? 0) + 1;
      exact.push({ account: a.account, snapshot: a.snapshot() });
    }
    if ((i + 1) % (YIELD_EVERY * 16) === 0) await yieldToLoop();
  }
  recordScreenBatch({ outcomes: accounts, fallbacks });
  const exactRows = await evaluateForTable(exact, evaluatedAtMs, marketDataVersion);
  // In the accounts' order (concurrent upserts of overlapping batches lock rows in the same order).
  const batch = new RiskRowBatch();
  let j = 0;
  for (let i = 0; i < accounts.length; i++) {
    const texts = screened[i];
    if (texts === null) batch.addRow(exactRows[j++]!);
    else batch.addTexts(accounts[i]!.account.id, texts!, { accountVersion: accounts[i]!.account.version, marketDataVersion, evaluatedAtMs });
  }
  if (accounts.length > exact.length) sweepAccounts.inc({ outcome: 'ok' }, accounts.length - exact.length);
  return batch;
}

export interface SweepResult {
  readonly accounts: number;
  readonly errors: number;
  readonly batches: number;
  readonly durationMs: number;
  /** True when stopped before the end (shutdown). */
  readonly aborted: boolean;
}

export interface SweepOptions {
  readonly partition?: Partition;
  readonly batchSize?: number;
  readonly nowMs?: number;
  /** Margin-ratio thresholds whose crossing records a risk event (default DEFAULT_RATIO_THRESHOLDS). */
  readonly ratioThresholds?: readonly Decimal[];
  /** Checked between batches: stop early (shutdown). */
  readonly shouldStop?: () => boolean;
}

/** One sweep of the partition: stream, evaluate, upsert. */
export async function sweepAccountRisk(db: Database, options: SweepOptions = {}): Promise<SweepResult> {
  const started = Date.now();
  const endTimer = sweepDuration.startTimer();
  const asOfMs = options.nowMs ?? started;
  let accounts = 0;
  let errors = 0;
  let batches = 0;
  let aborted = false;
  let writing: Promise<unknown> = Promise.resolve();
  const stream = streamAccountSnapshots(db, {
    asOfMs,
    batchSize: options.batchSize,
    partition: options.partition,
    clock: options.nowMs === undefined ? Date.now : () => asOfMs,
  });
  try {
    for await (const batch of stream) {
      if (options.shouldStop?.()) {
        aborted = true;
        break;
      }
      const rows = await evaluateForTable(batch.accounts, batch.readAtMs, batch.marketDataVersion);
      // One write in flight at a time, overlapping the next batch's evaluation.
      await writing;
      writing = upsertAccountRisk(db.pool, rows, options.ratioThresholds);
      accounts += rows.length;
      for (const r of rows) if (r.errorCode !== null) errors += 1;
      batches += 1;
    }
    await writing;
  } finally {
    await stream.return(undefined);
    await writing.catch(() => undefined);
  }
  const durationMs = Date.now() - started;
  if (!aborted) {
    endTimer();
    sweepLastSuccess.set(Date.now() / 1000);
    sweepAccountsLast.set(accounts);
  }
  return { accounts, errors, batches, durationMs, aborted };
}

/**
 * Re-evaluates some accounts now and writes their rows (call after a write to an account commits, so
 * accountsAtRisk reflects it without waiting for the next sweep). Unknown ids are ignored. The rows carry the
 * account and market-data versions of the read (one statement), so they replace every evaluation read before the
 * write committed, and no evaluation older than them replaces them.
 */
export async function refreshAccountRisk(
  q: Queryable,
  accountIds: readonly string[],
  nowMs: number,
  ratioThresholds?: readonly Decimal[],
): Promise<AccountRiskRow[]> {
  const ids = [...new Set(accountIds)];
  if (ids.length === 0) return [];
  const { loaded, rows: read } = await loadAccountSnapshotsWithRows(q, ids, nowMs);
  const rows = await evaluateForTable([...loaded.values()], nowMs, read.marketVersion);
  await upsertAccountRisk(q, rows, ratioThresholds);
  return rows;
}

export interface Sweeper {
  /** Runs a sweep now (or joins the one running). */
  runNow(): Promise<SweepResult | null>;
  /** Stops scheduling, asks a running sweep to stop after its current batch, and waits for it. */
  stop(): Promise<void>;
}

/** Sweeps at start and then every `intervalMs` (start to start; never two at once in one process). */
export function startSweeper(args: {
  db: Database;
  logger: Logger;
  intervalMs: number;
  partition: Partition;
  batchSize?: number;
  /** Margin-ratio thresholds whose crossing records a risk event (default DEFAULT_RATIO_THRESHOLDS). */
  ratioThresholds?: readonly Decimal[];
}): Sweeper {
  const { db, logger, intervalMs, partition } = args;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<SweepResult | null> | null = null;

  const run = (): Promise<SweepResult | null> => {
    if (running) return running;
    const started = Date.now();
    running = sweepAccountRisk(db, { partition, batchSize: args.batchSize, ratioThresholds: args.ratioThresholds, shouldStop: () => stopped })
      .then((result) => {
        logger.info({ sweep: { ...result, partition: `${partition.index}/${partition.count}` } }, 'account risk sweep');
        return result;
      })
      .catch((error: unknown) => {
        logger.warn({ err: error }, 'account risk sweep failed; will retry at the next interval');
        return null;
      })
      .finally(() => {
        running = null;
        if (!stopped) {
          const wait = Math.max(0, intervalMs - (Date.now() - started));
          timer = setTimeout(() => void run(), wait);
          timer.unref();
        }
      });
    return running;
  };
  timer = setTimeout(() => void run(), 0);
  timer.unref();
  return {
    runNow: run,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
