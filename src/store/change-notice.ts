/**
 * Change notices: what a committed write changed, announced on the notification bus (src/store/notification-bus.ts)
 * so every replica's tick engine (src/monitoring/tick.ts) re-evaluates the accounts exposed to it at once.
 *
 * One place, called by the write transaction helper (src/api/write.ts `runWrite`) at the end of every write
 * transaction, before COMMIT (NOTIFY is delivered on commit, and only then):
 *   - market data: whether this transaction bumped `market_data_version` (the triggers on every market-data table
 *     do), and which markets and assets it wrote, read from the rows this transaction wrote (their `xmin` is the
 *     transaction's id) in the small market-data tables and the newest price-history rows. When the version moved
 *     but the rows cannot tell what (a delete, a bulk history import), the notice says `all: true`.
 *   - accounts: the ids the write named in its audit events.
 * Payloads are split under MAX_PAYLOAD_BYTES. Notices are hints: a listener that missed one catches up from the
 * versions (account.version, market_data_version), and the periodic sweep is the backstop.
 */
import { CHANNELS, MAX_PAYLOAD_BYTES, notify } from './notification-bus';
import type { Queryable } from './queryable';

/** Payload on CHANNELS.marketData. */
export interface MarketDataNotice {
  /** Market symbols whose parameters, tiers or mark price changed. */
  readonly markets: readonly string[];
  /** Asset symbols whose parameters, index price, interest rate, portfolio parameters or price history changed. */
  readonly assets: readonly string[];
  /** market_data_version after the write (text of a bigint). */
  readonly version: string;
  /** The change could not be narrowed to markets or assets: every account may be exposed. */
  readonly all?: true;
}

/** Payload on CHANNELS.accounts. */
export interface AccountsNotice {
  readonly accountIds: readonly string[];
}

/** Newest price-history rows inspected for this transaction's inserts (more of them = a bulk import: `all`). */
const HISTORY_WINDOW = 1_000;

/**
 * The market-data change of the current transaction, or null when it wrote none. Reads only rows this
 * transaction wrote (xmin = its id); the tables are small (one row per market, asset or tier) except price
 * history, of which only the newest rows are looked at.
 */
export async function marketDataChangeInTransaction(q: Queryable): Promise<MarketDataNotice | null> {
  const { rows } = await q.query<{ version: string | null; markets: string[] | null; assets: string[] | null; history_full: boolean }>(
    `WITH me AS (SELECT pg_current_xact_id()::xid AS x),
     v AS (SELECT version::text AS version FROM market_data_version, me WHERE market_data_version.xmin = me.x),
     h AS (SELECT asset_symbol, xmin FROM price_history ORDER BY id DESC LIMIT ${HISTORY_WINDOW}),
     hm AS (SELECT asset_symbol FROM h, me WHERE h.xmin = me.x)
     SELECT (SELECT version FROM v) AS version,
       ARRAY(SELECT symbol FROM market, me WHERE market.xmin = me.x
             UNION SELECT market_symbol FROM margin_tier, me WHERE margin_tier.xmin = me.x
             UNION SELECT market_symbol FROM mark_price, me WHERE mark_price.xmin = me.x) AS markets,
       ARRAY(SELECT symbol FROM asset, me WHERE asset.xmin = me.x
             UNION SELECT asset_symbol FROM index_price, me WHERE index_price.xmin = me.x
             UNION SELECT asset_symbol FROM portfolio_margin_params, me WHERE portfolio_margin_params.xmin = me.x
             UNION SELECT asset_symbol FROM interest_rate, me WHERE interest_rate.xmin = me.x
             UNION SELECT asset_symbol FROM hm) AS assets,
       (SELECT count(*) FROM hm) >= ${HISTORY_WINDOW} AS history_full`,
  );
  const row = rows[0];
  if (!row || row.version === null) return null;
  const markets = [...(row.markets ?? [])].sort();
  const assets = [...(row.assets ?? [])].sort();
  const narrowed = markets.length + assets.length > 0 && !row.history_full;
  return narrowed ? { markets, assets, version: row.version } : { markets, assets, version: row.version, all: true };
}

const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

/**
 * Splits a list into chunks whose payload `make(chunk)` stays under MAX_PAYLOAD_BYTES (at least one item each).
 * Exported for tests.
 */
export function chunkPayloads<T, P>(items: readonly T[], make: (chunk: readonly T[]) => P): P[] {
  // Payload size = the empty payload's + each item's JSON + one comma per item (an upper bound, linear time).
  const base = bytes(make([]));
  const out: P[] = [];
  let chunk: T[] = [];
  let size = base;
  for (const item of items) {
    const itemBytes = bytes(item) + 1;
    if (chunk.length > 0 && size + itemBytes > MAX_PAYLOAD_BYTES) {
      out.push(make(chunk));
      chunk = [];
      size = base;
    }
    chunk.push(item);
    size += itemBytes;
  }
  if (chunk.length > 0) out.push(make(chunk));
  return out;
}

/** Market-data notices for `change`, split by markets then assets so each payload fits. */
export function marketDataPayloads(change: MarketDataNotice): MarketDataNotice[] {
  if (bytes(change) <= MAX_PAYLOAD_BYTES) return [change];
  const flag = change.all ? { all: true as const } : {};
  return [
    ...chunkPayloads(change.markets, (markets) => ({ markets: [...markets], assets: [], version: change.version, ...flag })),
    ...chunkPayloads(change.assets, (assets) => ({ markets: [], assets: [...assets], version: change.version, ...flag })),
  ];
}

/**
 * Queues this transaction's change notices (delivered on commit): market data when the transaction wrote any,
 * and `accountIds` when given. Returns the market-data change found (null when none).
 */
export async function noticeChanges(q: Queryable, accountIds: readonly string[]): Promise<MarketDataNotice | null> {
  const change = await marketDataChangeInTransaction(q);
  if (change) for (const payload of marketDataPayloads(change)) await notify(q, CHANNELS.marketData, payload);
  const ids = [...new Set(accountIds)].sort();
  for (const payload of chunkPayloads(ids, (chunk) => ({ accountIds: [...chunk] }) satisfies AccountsNotice)) {
    await notify(q, CHANNELS.accounts, payload);
  }
  return change;
}
