/**
 * Everything an engine snapshot needs, read in ONE SQL statement (one round trip) instead of one statement per table:
 * accounts, balances, positions, and the market data of the markets they hold (markets, tiers, mark prices, every
 * asset and index price, portfolio parameters, open interest and price history where a market needs them).
 *
 * Each part is a `json_agg` of rows whose NUMERIC columns are cast to text (never a JSON number: money never passes
 * through a double) and whose timestamps are cast to text and parsed with node-postgres' own timestamptz parser, so
 * the decoded rows are exactly the rows the per-table statements returned (same strings, same Dates), and the same
 * row mappers of the repositories turn them into records. The parts read on every risk request (accounts, balances,
 * positions) are arrays of column values instead of objects (half the text, no keys for JSON.parse to look up), and
 * the account's timestamps come as epoch milliseconds (the Date node-postgres' parser builds, which truncates to the
 * millisecond), so no timestamp text is parsed per request.
 */
import { types } from 'pg';
import { isAccountId, toAccount, toPosition, type AccountRow, type PositionRow } from './account.repository';
import { toAsset, toPortfolioParams, toPrice, type AssetRow, type PortfolioParamsRow, type PriceRow } from './asset.repository';
import { toMarket, toTier, type MarketRow, type TierRow } from './market.repository';
import type { Queryable } from './queryable';
import type {
  AccountRecord,
  AssetRecord,
  BalanceRecord,
  MarginTierRecord,
  MarketRecord,
  PortfolioParamsRecord,
  PositionRecord,
  PriceRecord,
} from './records';
import { toDecimal } from './records';
import type { DecimalClass } from './decimal-text';
import type Decimal from 'decimal.js';

/** node-postgres' parser of timestamptz text (oid 1184): the same Date the driver builds for a timestamptz column. */
const parseTimestamptz = types.getTypeParser(1184, 'text') as (value: string) => Date;

function dateOrNull(value: string | null): Date | null {
  return value === null ? null : parseTimestamptz(value);
}

/** Default realized-volatility lookback (days) of snapshot.loader (DEFAULT_VOL_LOOKBACK_DAYS); the SQL mirrors it. */
const DEFAULT_VOL_LOOKBACK_DAYS = 30;

/**
 * A timestamptz as epoch milliseconds, truncated (what node-postgres' parser keeps of the microseconds), in integer
 * arithmetic whatever type the server's `extract` returns: whole seconds × 1000 + the millisecond within the second.
 */
const epochMs = (column: string): string =>
  `(extract(epoch FROM date_trunc('second', ${column}))::bigint * 1000 + (extract(microseconds FROM ${column})::bigint / 1000) % 1000)`;

/** An account as a JSON array: AccountTuple's order. */
const ACCOUNT_TUPLE = `json_build_array(id, broker_id, external_ref, margin_mode, status, version, ${epochMs('created_at')}, ${epochMs('updated_at')})`;
type AccountTuple = [string, string, string, AccountRow['margin_mode'], AccountRow['status'], number, number, number];

function accountRow(t: AccountTuple): AccountRow {
  return { id: t[0], broker_id: t[1], external_ref: t[2], margin_mode: t[3], status: t[4], version: t[5], created_at: new Date(t[6]), updated_at: new Date(t[7]) };
}

/** A balance as a JSON array: BalanceTuple's order. */
const BALANCE_TUPLE = `json_build_array(account_id, asset_symbol, trim_scale(amount)::text)`;
type BalanceTuple = [string, string, string];
/**
 * A position as a JSON array: PositionTuple's order. NUMERIC columns are DECIMAL(65,30): `x::text` writes 30 decimals
 * ("0.5" as "0.500000000000000000000000000000"), and parsing those trailing zeros would be the largest single cost of
 * decoding a risk request's rows. trim_scale (Postgres 13+) drops them: the same value, a third of the text (balances
 * use it too).
 */
const POSITION_TUPLE = `json_build_array(id, account_id, market_symbol, trim_scale(size)::text, trim_scale(entry_price)::text,
  trim_scale(realized_pnl)::text, trim_scale(funding_index)::text, margin_type, trim_scale(isolated_margin)::text,
  trim_scale(leverage)::text, version)`;
type PositionTuple = [string, string, string, string, string, string, string, PositionRow['margin_type'], string, string | null, number];

function positionRow(t: PositionTuple): PositionRow {
  return {
    id: t[0],
    account_id: t[1],
    market_symbol: t[2],
    size: t[3],
    entry_price: t[4],
    realized_pnl: t[5],
    funding_index: t[6],
    margin_type: t[7],
    isolated_margin: t[8],
    leverage: t[9],
    version: t[10],
  };
}
const MARKET_JSON = `symbol, kind, contract_type, base_asset, quote_asset, settlement_asset, contract_size::text AS contract_size,
  tick_size::text AS tick_size, expiry::text AS expiry, strike::text AS strike, option_type, status,
  liquidation_fee_rate::text AS liquidation_fee_rate, insurance_fund_fee_rate::text AS insurance_fund_fee_rate,
  funding_index::text AS funding_index, max_price_age_seconds, oi_lower_cap::text AS oi_lower_cap, oi_upper_cap::text AS oi_upper_cap,
  vol_adj_z_score::text AS vol_adj_z_score, vol_adj_horizon_days::text AS vol_adj_horizon_days, vol_adj_lookback_days,
  liquidity_lambda::text AS liquidity_lambda, book_depth::text AS book_depth, slippage_base_rate::text AS slippage_base_rate,
  slippage_impact_factor::text AS slippage_impact_factor, implied_volatility::text AS implied_volatility,
  option_alpha::text AS option_alpha, option_beta::text AS option_beta, option_gamma::text AS option_gamma, maintenance_basis,
  size_addon_initial::text AS size_addon_initial, size_addon_maintenance::text AS size_addon_maintenance,
  closing_fee_rate::text AS closing_fee_rate, version`;
const TIER_JSON = `market_symbol, tier_index, notional_floor::text AS notional_floor, notional_cap::text AS notional_cap,
  initial_margin_rate::text AS initial_margin_rate, maintenance_margin_rate::text AS maintenance_margin_rate,
  maintenance_amount::text AS maintenance_amount`;
const ASSET_JSON = `symbol, decimals, initial_weight::text AS initial_weight, maintenance_weight::text AS maintenance_weight,
  initial_liability_weight::text AS initial_liability_weight, maintenance_liability_weight::text AS maintenance_liability_weight, borrowable`;
const PORTFOLIO_JSON = `asset_symbol, price_scan_range::text AS price_scan_range, vol_scan_range::text AS vol_scan_range,
  extreme_move_multiple::text AS extreme_move_multiple, extreme_move_coverage::text AS extreme_move_coverage,
  short_option_minimum::text AS short_option_minimum, maintenance_fraction::text AS maintenance_fraction`;
const PRICE_JSON = `price::text AS price, source, observed_at::text AS observed_at`;

/**
 * The market-data part of the statement, over a CTE `syms(symbol)` of the wanted market symbols (which may name
 * markets that do not exist). Mirrors snapshot.loader's former per-table reads: tiers and mark prices of every wanted
 * symbol, every asset and index price, portfolio parameters of the markets' base assets, open interest of the
 * markets with OI caps, the last (lookback + 1) daily prices of the base assets of volatility-adjusted markets, and
 * the interest rates of the base and quote assets of option markets.
 */
const MARKET_DATA_CTES = `
  mk AS (SELECT * FROM market WHERE symbol IN (SELECT symbol FROM syms)),
  vm AS (SELECT base_asset, COALESCE(vol_adj_lookback_days, ${DEFAULT_VOL_LOOKBACK_DAYS}) AS lookback
           FROM mk WHERE vol_adj_z_score IS NOT NULL AND vol_adj_horizon_days IS NOT NULL)`;
/** The market data as ONE json text column (decoded by `decodeMarketData`; callers may memoize on the text). */
const MARKET_DATA_COLUMN = `json_build_object(
  'markets', (SELECT json_agg(x) FROM (SELECT ${MARKET_JSON} FROM mk) x),
  'tiers', (SELECT json_agg(x ORDER BY x.market_symbol, x.tier_index)
     FROM (SELECT ${TIER_JSON} FROM margin_tier WHERE market_symbol IN (SELECT symbol FROM syms)) x),
  'marks', (SELECT json_agg(x) FROM (SELECT market_symbol AS key, ${PRICE_JSON} FROM mark_price WHERE market_symbol IN (SELECT symbol FROM syms)) x),
  'assets', (SELECT json_agg(x ORDER BY x.symbol) FROM (SELECT ${ASSET_JSON} FROM asset) x),
  'indexes', (SELECT json_agg(x) FROM (SELECT asset_symbol AS key, ${PRICE_JSON} FROM index_price) x),
  'portfolio', (SELECT json_agg(x) FROM (SELECT ${PORTFOLIO_JSON} FROM portfolio_margin_params WHERE asset_symbol IN (SELECT base_asset FROM mk)) x),
  'rates', (SELECT json_agg(json_build_array(asset_symbol, trim_scale(rate)::text) ORDER BY asset_symbol) FROM interest_rate
     WHERE asset_symbol IN (SELECT base_asset FROM mk WHERE kind = 'OPTION' UNION SELECT quote_asset FROM mk WHERE kind = 'OPTION')),
  'oi', (SELECT json_agg(json_build_array(market_symbol, oi::text)) FROM (
     SELECT market_symbol, trim_scale(sum(long_size)) AS oi FROM market_open_interest
      WHERE market_symbol IN (SELECT symbol FROM mk WHERE oi_lower_cap IS NOT NULL AND oi_upper_cap IS NOT NULL)
      GROUP BY market_symbol) o),
  'history', (SELECT json_agg(json_build_array(asset_symbol, price::text) ORDER BY asset_symbol, observed_at) FROM (
     SELECT asset_symbol, price, observed_at,
            row_number() OVER (PARTITION BY asset_symbol ORDER BY observed_at DESC) AS rn
       FROM price_history WHERE asset_symbol IN (SELECT base_asset FROM vm)) h
    WHERE rn <= (SELECT greatest(${DEFAULT_VOL_LOOKBACK_DAYS}, max(lookback)) + 1 FROM vm))
)::text AS market_data`;

type Json<T> = { [K in keyof T]: T[K] extends Date ? string : T[K] extends Date | null ? string | null : T[K] };

interface MarketDataJson {
  markets: Json<MarketRow>[] | null;
  tiers: TierRow[] | null;
  marks: Json<PriceRow>[] | null;
  assets: AssetRow[] | null;
  indexes: Json<PriceRow>[] | null;
  portfolio: PortfolioParamsRow[] | null;
  oi: [string, string][] | null;
  history: [string, string][] | null;
  /** Absent in text written before interest rates existed (treated as none). */
  rates?: [string, string][] | null;
}

/** Market data as records, the shape snapshot.loader builds its MarketContext from. */
export interface MarketDataRows {
  /** Markets found among the wanted symbols (unknown symbols are absent). */
  readonly markets: Map<string, MarketRecord>;
  /** Tiers per wanted symbol, by tier index (an empty list for a symbol without tiers). */
  readonly tiers: Map<string, MarginTierRecord[]>;
  readonly marks: Map<string, PriceRecord>;
  readonly assets: AssetRecord[];
  readonly indexes: Map<string, PriceRecord>;
  readonly portfolio: Map<string, PortfolioParamsRecord>;
  /** Open interest (Σ long sizes) of the markets with OI caps. */
  readonly openInterest: Map<string, Decimal>;
  /** Daily prices of the base assets of volatility-adjusted markets, oldest first (the last lookback + 1). */
  readonly history: Map<string, { price: Decimal }[]>;
  /** Interest rates (continuous, annualized) of the base and quote assets of the OPTION markets that have one. */
  readonly interestRates: Map<string, Decimal>;
}

function priceRecord(row: Json<PriceRow>, decimal: DecimalClass | undefined): PriceRecord {
  return toPrice({ ...row, observed_at: parseTimestamptz(row.observed_at) }, decimal);
}

/**
 * Decodes the market-data text of `marketDataText` / `snapshotRows` (a pure function of the text: callers may cache
 * the result per text). Tiers are listed for every market found. Amounts are instances of `decimal` (default: the
 * global Decimal).
 */
export function decodeMarketData(text: string, openInterestText?: string | null, decimal?: DecimalClass): MarketDataRows {
  const json = JSON.parse(text) as MarketDataJson;
  if (openInterestText !== undefined) json.oi = openInterestText === null ? null : (JSON.parse(openInterestText) as [string, string][]);
  const markets = new Map<string, MarketRecord>();
  for (const row of json.markets ?? []) {
    markets.set(row.symbol, toMarket({ ...row, expiry: dateOrNull(row.expiry) }, decimal));
  }
  const tiers = new Map<string, MarginTierRecord[]>([...markets.keys()].map((s) => [s, []]));
  for (const row of json.tiers ?? []) {
    let list = tiers.get(row.market_symbol);
    if (list === undefined) {
      list = [];
      tiers.set(row.market_symbol, list);
    }
    list.push(toTier(row, decimal));
  }
  const history = new Map<string, { price: Decimal }[]>();
  for (const [asset, price] of json.history ?? []) {
    let list = history.get(asset);
    if (list === undefined) {
      list = [];
      history.set(asset, list);
    }
    list.push({ price: toDecimal(price, decimal) });
  }
  return {
    markets,
    tiers,
    marks: new Map((json.marks ?? []).map((row) => [row.key, priceRecord(row, decimal)])),
    assets: (json.assets ?? []).map((row) => toAsset(row, decimal)),
    indexes: new Map((json.indexes ?? []).map((row) => [row.key, priceRecord(row, decimal)])),
    portfolio: new Map((json.portfolio ?? []).map((row) => [row.asset_symbol, toPortfolioParams(row, decimal)])),
    openInterest: new Map((json.oi ?? []).map(([symbol, oi]) => [symbol, toDecimal(oi, decimal)])),
    history,
    interestRates: new Map((json.rates ?? []).map(([asset, rate]) => [asset, toDecimal(rate, decimal)])),
  };
}

/** The market-data version (table market_data_version), as text; '0' before the first market-data write. */
const MARKET_VERSION_COLUMN = `COALESCE((SELECT version FROM market_data_version WHERE id = 1), 0)::text`;
const MARKET_DATA_SQL = (syms: string): string =>
  `WITH ${syms}, ${MARKET_DATA_CTES} SELECT ${MARKET_DATA_COLUMN}, ${MARKET_VERSION_COLUMN} AS market_version`;
const SOME_MARKETS = { name: 'risk_market_data_some', text: MARKET_DATA_SQL(`syms AS (SELECT unnest($1::text[]) AS symbol)`) };
const ALL_MARKETS = { name: 'risk_market_data_all', text: MARKET_DATA_SQL(`syms AS (SELECT symbol FROM market)`) };

/**
 * Market data (as text, see `decodeMarketData`) of some markets (`symbols`, deduplicated by the caller) or of every
 * market (`null`): one (prepared) statement.
 */
export async function marketDataText(q: Queryable, symbols: readonly string[] | null): Promise<string> {
  return (await versionedMarketDataText(q, symbols)).text;
}

/**
 * `marketDataText` plus the market-data version read in the same statement (so the version is exactly the one of
 * the text): what an evaluation stored in account_risk records as the market data it used.
 */
export async function versionedMarketDataText(q: Queryable, symbols: readonly string[] | null): Promise<{ text: string; version: string }> {
  const { rows } = await q.query<{ market_data: string; market_version: string }>(
    symbols === null ? ALL_MARKETS : SOME_MARKETS,
    symbols === null ? [] : [symbols],
  );
  return { text: rows[0]!.market_data, version: rows[0]!.market_version };
}

/**
 * Accounts' rows plus the market data of every market they hold and `extraMarkets`: its key, its text without open
 * interest (see `decodeMarketData`; null when the caller already holds the text of that key) and the open interest.
 */
export interface SnapshotRows {
  readonly accounts: Map<string, AccountRecord>;
  /** Balances per account (every asked id present), by asset. */
  readonly balances: Map<string, BalanceRecord[]>;
  /** Open positions (size ≠ 0) per account (every asked id present), by market. */
  readonly positions: Map<string, PositionRecord[]>;
  /**
   * Identifies `marketData`: the database (oid, server start time), the market-data version (table
   * market_data_version, bumped by every write to the market-data tables) and the wanted market symbols. The same key
   * always stands for the same text.
   */
  readonly marketKey: string;
  /** The market-data version of this read (part of `marketKey`), as text: '0' before any market-data write. */
  readonly marketVersion: string;
  /** The wanted market symbols (the positions' markets and `extraMarkets`), for `marketDataText` on a key not held. */
  readonly marketSymbols: string[];
  /** Open interest of the wanted markets with OI caps (JSON text or null), read on every call: positions change it. */
  readonly openInterest: string | null;
}

interface SnapshotJson {
  accounts: AccountTuple[] | null;
  balances: BalanceTuple[] | null;
  positions: PositionTuple[] | null;
  symbols: string;
  market_key: string;
  market_version: string;
  open_interest: string | null;
}

/**
 * The snapshot statement for a condition on the account id: `= ANY($1::uuid[])` for a batch, `= $1::uuid` for one
 * account. The one-account form is what a single account's risk request runs: with a scalar parameter Postgres keeps
 * one generic plan for the prepared statement (planned once, and no slower to execute), where an array parameter
 * makes it re-plan on every execution to know the array's size.
 */
function snapshotStatement(name: string, accounts: string): { readonly name: string; readonly text: string } {
  return {
    name,
    text: `WITH pos AS (SELECT * FROM position WHERE account_id ${accounts} AND size <> 0),
          syms AS (SELECT market_symbol AS symbol FROM pos UNION SELECT unnest($2::text[])),
          mk AS (SELECT symbol FROM market WHERE symbol IN (SELECT symbol FROM syms) AND oi_lower_cap IS NOT NULL AND oi_upper_cap IS NOT NULL),
          wanted AS (SELECT COALESCE(json_agg(symbol ORDER BY symbol)::text, '[]') AS symbols FROM syms)
     SELECT
       (SELECT json_agg(${ACCOUNT_TUPLE}) FROM account WHERE id ${accounts}) AS accounts,
       (SELECT json_agg(${BALANCE_TUPLE} ORDER BY account_id, asset_symbol) FROM balance WHERE account_id ${accounts}) AS balances,
       (SELECT json_agg(${POSITION_TUPLE} ORDER BY account_id, market_symbol) FROM pos) AS positions,
       (SELECT symbols FROM wanted) AS symbols,
       (SELECT oid FROM pg_database WHERE datname = current_database())::text
         || '/' || pg_postmaster_start_time()::text
         || '/' || COALESCE((SELECT version FROM market_data_version WHERE id = 1)::text, '-')
         || '/' || (SELECT symbols FROM wanted) AS market_key,
       ${MARKET_VERSION_COLUMN} AS market_version,
       (SELECT json_agg(json_build_array(market_symbol, oi::text)) FROM (
          SELECT market_symbol, trim_scale(sum(long_size)) AS oi FROM market_open_interest
           WHERE market_symbol IN (SELECT symbol FROM mk) GROUP BY market_symbol) o)::text AS open_interest`,
  };
}
const SNAPSHOT_ROWS_MANY = snapshotStatement('risk_snapshot_rows', '= ANY($1::uuid[])');
const SNAPSHOT_ROWS_ONE = snapshotStatement('risk_snapshot_rows_one', '= $1::uuid');

/**
 * Accounts (ids that are not UUIDs cannot exist and are skipped), their balances and open positions, and the market
 * data of the markets of those positions plus `extraMarkets`: ONE (prepared) statement. The market symbols of the
 * market-data part are the positions' markets and `extraMarkets`, as the former two-step read had them. The market
 * data (all but open interest) is only built and sent when its key is not among `knownMarketKeys` (the keys whose
 * text the caller has kept). Amounts are instances of `decimal` (default: the global Decimal).
 */
export async function snapshotRows(
  q: Queryable,
  accountIds: readonly string[],
  extraMarkets: readonly string[],
  decimal?: DecimalClass,
): Promise<SnapshotRows> {
  const valid = accountIds.filter(isAccountId);
  const extra = [...new Set(extraMarkets)];
  const { rows } = await q.query<SnapshotJson>(
    valid.length === 1 ? SNAPSHOT_ROWS_ONE : SNAPSHOT_ROWS_MANY,
    [valid.length === 1 ? valid[0] : valid, extra],
  );
  const json = rows[0]!;
  const accounts = new Map<string, AccountRecord>();
  for (const tuple of json.accounts ?? []) accounts.set(tuple[0], toAccount(accountRow(tuple)));
  const balances = new Map<string, BalanceRecord[]>(accountIds.map((id) => [id, []]));
  for (const [accountId, assetSymbol, amount] of json.balances ?? []) {
    balances.get(accountId)?.push({ accountId, assetSymbol, amount: toDecimal(amount, decimal) });
  }
  const positions = new Map<string, PositionRecord[]>(accountIds.map((id) => [id, []]));
  for (const tuple of json.positions ?? []) positions.get(tuple[1])?.push(toPosition(positionRow(tuple), decimal));
  return { accounts, balances, positions, marketKey: json.market_key, marketVersion: json.market_version, marketSymbols: JSON.parse(json.symbols) as string[], openInterest: json.open_interest };
}
