/**
 * The snapshot layer: the gateway from the store to the engine, used by the API and by monitoring (it sits above
 * the store because it applies an engine formula, realized volatility, to stored history; it knows nothing of GraphQL).
 * Builds the engine's immutable `AccountSnapshot`s from the store, in one read snapshot, in ONE SQL statement however
 * many accounts are asked for (sweeps load thousands at once). Market data (markets, tiers,
 * prices, open interest, realized volatility) is loaded once and shared by every account of the batch.
 * Amounts are read as the engine's own decimal class `D`, so the engine takes them as they are instead of copying
 * each into its context (`toD`: a copy of every amount, on every evaluation).
 */
import type Decimal from 'decimal.js';
import type {
  AccountSnapshot,
  BalanceSnapshot,
  AssetParams,
  MarketParams,
  PortfolioParams,
  PositionSnapshot,
  PriceQuote,
} from '../risk/types';
import { D } from '../risk/decimal';
import { realizedDailyVolatility } from '../risk/var/value-at-risk';
import type { ScreenContext } from '../risk/screen';
import type { Queryable } from '../store/queryable';
import { decodeMarketData, snapshotRows, versionedMarketDataText, type MarketDataRows, type SnapshotRows } from '../store/snapshot.repository';
import type { AccountRecord, MarginTierRecord, MarketRecord, PositionRecord, PriceRecord } from '../store/records';
import { toDecimal } from '../store/records';

/** The asset every account-level figure is expressed in. */
export const VALUATION_ASSET = 'USDC';
/** Collateral index prices older than this are stale. */
export const MAX_INDEX_PRICE_AGE_SECONDS = 10 * 365 * 86_400;
/** dYdX computes the effective IMF in integer ppm: the OI-scaled rate is floored to this step. */
export const OI_RATE_STEP = '0.000001';
const DEFAULT_VOL_LOOKBACK_DAYS = 30;

/** Market data shared by every account of a batch. */
export interface MarketContext {
  readonly markets: Readonly<Record<string, MarketParams>>;
  readonly marketRecords: ReadonlyMap<string, MarketRecord>;
  readonly assets: Readonly<Record<string, AssetParams>>;
  readonly markPrices: Readonly<Record<string, PriceQuote>>;
  readonly indexPrices: Readonly<Record<string, PriceQuote>>;
  readonly portfolioParams: Readonly<Record<string, PortfolioParams>>;
}

function quote(price: PriceRecord): PriceQuote {
  return { price: price.price, observedAtMs: price.observedAt.getTime() };
}

export function toMarketParams(
  market: MarketRecord,
  tiers: readonly MarginTierRecord[],
  extras: { openInterest: Decimal | null; dailyVolatility: Decimal | null; interestRates?: ReadonlyMap<string, Decimal> },
): MarketParams {
  // Options: r = the quote asset's interest rate, q = the underlying's (null = none stored = 0 in the engine).
  const option = market.kind === 'OPTION';
  return {
    symbol: market.symbol,
    kind: market.kind,
    contractType: market.contractType,
    baseAsset: market.baseAsset,
    quoteAsset: market.quoteAsset,
    settlementAsset: market.settlementAsset,
    contractSize: market.contractSize,
    tickSize: market.tickSize,
    expiryMs: market.expiry ? market.expiry.getTime() : null,
    strike: market.strike,
    optionType: market.optionType,
    tiers: tiers.map((t) => ({
      notionalFloor: t.notionalFloor,
      notionalCap: t.notionalCap,
      initialMarginRate: t.initialMarginRate,
      maintenanceMarginRate: t.maintenanceMarginRate,
      maintenanceAmount: t.maintenanceAmount,
    })),
    liquidationFeeRate: market.liquidationFeeRate,
    insuranceFundFeeRate: market.insuranceFundFeeRate,
    fundingIndex: market.fundingIndex,
    maxPriceAgeSeconds: market.maxPriceAgeSeconds,
    openInterestScaling:
      market.oiLowerCap && market.oiUpperCap && extras.openInterest
        ? { lowerCap: market.oiLowerCap, upperCap: market.oiUpperCap, openInterest: extras.openInterest, rateStep: toDecimal(OI_RATE_STEP, D) }
        : null,
    volatilityAdjustment:
      market.volAdjZScore && market.volAdjHorizonDays && extras.dailyVolatility
        ? { zScore: market.volAdjZScore, horizonDays: market.volAdjHorizonDays, dailyVolatility: extras.dailyVolatility }
        : null,
    liquidityAddon: market.liquidityLambda ? { lambda: market.liquidityLambda, bookDepth: market.bookDepth } : null,
    impliedVolatility: market.impliedVolatility,
    riskFreeRate: option ? extras.interestRates?.get(market.quoteAsset) ?? null : null,
    dividendYield: option ? extras.interestRates?.get(market.baseAsset) ?? null : null,
    optionMargin:
      market.optionAlpha && market.optionBeta && market.optionGamma
        ? { alpha: market.optionAlpha, beta: market.optionBeta, gamma: market.optionGamma }
        : null,
    slippage: { baseRate: market.slippageBaseRate, bookDepth: market.bookDepth, impactFactor: market.slippageImpactFactor },
    maintenanceBasis: market.maintenanceBasis ?? 'MARK',
    sizeAddon:
      market.sizeAddonInitial && market.sizeAddonMaintenance
        ? { initialRatePerContract: market.sizeAddonInitial, maintenanceRatePerContract: market.sizeAddonMaintenance }
        : null,
    ...(market.closingFeeRate ? { closingFeeRate: market.closingFeeRate } : {}),
  };
}

/**
 * Builds the market context from the market-data rows (src/store/snapshot.repository.ts): markets with their tiers,
 * open interest and realized volatility where configured, option markets with the interest rates r (quote asset) and
 * q (underlying), every asset and index price, mark prices and portfolio
 * parameters.
 */
export function marketContextFrom(data: MarketDataRows): MarketContext {
  const { markets: records, tiers, marks, assets, indexes, portfolio, openInterest: oi, history, interestRates } = data;
  const markets: Record<string, MarketParams> = {};
  for (const record of records.values()) {
    let dailyVolatility: Decimal | null = null;
    if (record.volAdjZScore && record.volAdjHorizonDays) {
      const points = (history.get(record.baseAsset) ?? []).slice(-((record.volAdjLookbackDays ?? DEFAULT_VOL_LOOKBACK_DAYS) + 1));
      if (points.length >= 3) dailyVolatility = realizedDailyVolatility(points.map((p: { price: Decimal }) => p.price));
    }
    markets[record.symbol] = toMarketParams(record, tiers.get(record.symbol) ?? [], {
      openInterest: oi.get(record.symbol) ?? null,
      dailyVolatility,
      interestRates,
    });
  }
  return {
    markets,
    marketRecords: records,
    assets: Object.fromEntries(assets.map((a) => [a.symbol, a])),
    markPrices: Object.fromEntries([...marks].map(([k, v]) => [k, quote(v)])),
    indexPrices: Object.fromEntries([...indexes].map(([k, v]) => [k, quote(v)])),
    portfolioParams: Object.fromEntries(
      [...portfolio].map(([k, v]) => [
        k,
        {
          priceScanRange: v.priceScanRange,
          volScanRange: v.volScanRange,
          extremeMoveMultiple: v.extremeMoveMultiple,
          extremeMoveCoverage: v.extremeMoveCoverage,
          shortOptionMinimum: v.shortOptionMinimum,
          maintenanceFraction: v.maintenanceFraction,
        },
      ]),
    ),
  };
}

/**
 * Market contexts by the market-data text they were decoded from (src/store/snapshot.repository.ts): a small
 * process-wide LRU memo of a pure function (same text → same context). Requests and sweep batches over unchanged
 * market data (markets, tiers, prices, OI, history) reuse one context — its MarketParams objects too, so the engine's
 * per-market normalization cache (src/risk/model.ts) carries over from one request to the next. Contexts are never
 * mutated (snapshots and scenarios copy before changing anything).
 */
const CONTEXTS = new Map<string, MarketContext>();
const CONTEXT_MEMO_LIMIT = 8;

export function marketContextForText(text: string): MarketContext {
  const hit = CONTEXTS.get(text);
  if (hit !== undefined) {
    // Most recently used last.
    CONTEXTS.delete(text);
    CONTEXTS.set(text, hit);
    return hit;
  }
  const context = marketContextFrom(decodeMarketData(text, undefined, D));
  if (CONTEXTS.size >= CONTEXT_MEMO_LIMIT) CONTEXTS.delete(CONTEXTS.keys().next().value!);
  CONTEXTS.set(text, context);
  return context;
}

/**
 * Market-data texts (without open interest) by their key (see `SnapshotRows.marketKey`: database, market-data version,
 * wanted symbols): a small process-wide LRU. Risk reads send the keys they hold, and Postgres builds and sends the
 * market data only when the snapshot's key is not among them (a write to any market-data table changes the version).
 */
const MARKET_TEXTS = new Map<string, string>();
/** Market contexts by market key and open-interest text (the context is a pure function of text and open interest). */
const KEYED_CONTEXTS = new Map<string, MarketContext>();

function remember<V>(memo: Map<string, V>, key: string, value: V): void {
  if (memo.size >= CONTEXT_MEMO_LIMIT) memo.delete(memo.keys().next().value!);
  memo.set(key, value);
}

function touch<V>(memo: Map<string, V>, key: string): V | undefined {
  const hit = memo.get(key);
  if (hit !== undefined) {
    memo.delete(key);
    memo.set(key, hit);
  }
  return hit;
}

/**
 * Snapshot rows plus the market-data text of their key: from the memo when held, else read by a second statement in
 * the same read snapshot (only after a write to the market data, or for a new set of markets).
 */
async function snapshotRowsWithMarketText(
  q: Queryable,
  accountIds: readonly string[],
  extraMarkets: readonly string[],
): Promise<{ rows: SnapshotRows; marketText: string }> {
  const rows = await snapshotRows(q, accountIds, extraMarkets, D);
  let marketText = touch(MARKET_TEXTS, rows.marketKey);
  if (marketText === undefined) {
    const read = await versionedMarketDataText(q, rows.marketSymbols);
    marketText = read.text;
    // Outside a read snapshot the second statement may see a later market-data write: keep the text under the key
    // only when it is that key's version.
    if (read.version === rows.marketVersion) remember(MARKET_TEXTS, rows.marketKey, marketText);
  }
  return { rows, marketText };
}

function marketContextForKey(marketKey: string, marketText: string, openInterest: string | null): MarketContext {
  const key = openInterest === null ? marketKey : `${marketKey}\u0000${openInterest}`;
  const hit = touch(KEYED_CONTEXTS, key);
  if (hit !== undefined) return hit;
  const context = marketContextFrom(decodeMarketData(marketText, openInterest, D));
  remember(KEYED_CONTEXTS, key, context);
  return context;
}

/**
 * Loads markets (with tiers, prices, OI and realized volatility where configured) and every asset: one statement.
 * `null` = every market of the venue.
 */
export async function loadMarketContext(q: Queryable, marketSymbols: readonly string[] | null): Promise<MarketContext> {
  return (await loadVersionedMarketContext(q, marketSymbols)).context;
}

/** `loadMarketContext` plus the market-data version it was read at (text of a bigint; see market_data_version). */
export async function loadVersionedMarketContext(
  q: Queryable,
  marketSymbols: readonly string[] | null,
): Promise<{ context: MarketContext; version: string }> {
  const { text, version } = await versionedMarketDataText(q, marketSymbols === null ? null : [...new Set(marketSymbols)]);
  return { context: marketContextForText(text), version };
}

export interface LoadedAccount {
  readonly account: AccountRecord;
  readonly snapshot: AccountSnapshot;
}

/** A store position row as the engine's position. */
export function positionSnapshotOf(
  p: Pick<PositionRecord, 'id' | 'marketSymbol' | 'size' | 'entryPrice' | 'realizedPnl' | 'fundingIndex' | 'marginType' | 'isolatedMargin' | 'leverage'>,
): PositionSnapshot {
  return {
    id: p.id,
    market: p.marketSymbol,
    size: p.size,
    entryPrice: p.entryPrice,
    realizedPnl: p.realizedPnl,
    fundingIndex: p.fundingIndex,
    marginType: p.marginType,
    isolatedMargin: p.isolatedMargin,
    leverage: p.leverage,
  };
}

/** Assembles one account's snapshot from its rows and the shared market context. */
export function buildSnapshot(
  account: AccountRecord,
  balances: readonly { assetSymbol: string; amount: Decimal }[],
  positions: readonly {
    id: string;
    marketSymbol: string;
    size: Decimal;
    entryPrice: Decimal;
    realizedPnl: Decimal;
    fundingIndex: Decimal;
    marginType: 'CROSS' | 'ISOLATED';
    isolatedMargin: Decimal;
    leverage: Decimal | null;
  }[],
  context: MarketContext,
  asOfMs: number,
): AccountSnapshot {
  return snapshotOfRows(account, balances.map(balanceSnapshotOf), positions.map(positionSnapshotOf), context, asOfMs);
}

/** A store balance row as the engine's balance. */
export function balanceSnapshotOf(b: { assetSymbol: string; amount: Decimal }): BalanceSnapshot {
  return { asset: b.assetSymbol, amount: b.amount };
}

/** The market part of every snapshot built on `context` at `asOfMs` (what the screen tables are built from). */
export function screenContextOf(context: MarketContext, asOfMs: number): ScreenContext {
  return {
    markets: context.markets,
    assets: context.assets,
    markPrices: context.markPrices,
    indexPrices: context.indexPrices,
    portfolioParams: context.portfolioParams,
    asOfMs,
    valuationAsset: VALUATION_ASSET,
    maxIndexPriceAgeSeconds: MAX_INDEX_PRICE_AGE_SECONDS,
  };
}

/** One account's snapshot from rows already in the engine's shape (a tick engine keeps them in its projection) and the market context. */
export function snapshotOfRows(
  account: Pick<AccountRecord, 'id' | 'marginMode'>,
  balances: readonly BalanceSnapshot[],
  positions: readonly PositionSnapshot[],
  context: MarketContext,
  asOfMs: number,
): AccountSnapshot {
  return { accountId: account.id, marginMode: account.marginMode, balances, positions, ...screenContextOf(context, asOfMs) };
}

/**
 * Snapshots of many accounts in ONE SQL statement (src/store/snapshot.repository.ts): the accounts' rows plus the
 * market context for every market they hold (and `extraMarkets`, e.g. a what-if trade's market). Unknown ids are
 * left out of the result.
 */
export async function loadAccountSnapshots(
  q: Queryable,
  accountIds: readonly string[],
  asOfMs: number,
  extraMarkets: readonly string[] = [],
): Promise<Map<string, LoadedAccount>> {
  return (await loadAccountSnapshotsWithRows(q, accountIds, asOfMs, extraMarkets)).loaded;
}

/** `loadAccountSnapshots` plus the store rows it was built from (the request loaders prime balances and positions). */
export async function loadAccountSnapshotsWithRows(
  q: Queryable,
  accountIds: readonly string[],
  asOfMs: number,
  extraMarkets: readonly string[] = [],
): Promise<{ loaded: Map<string, LoadedAccount>; rows: SnapshotRows }> {
  const { rows, marketText } = await snapshotRowsWithMarketText(q, accountIds, extraMarkets);
  const context = marketContextForKey(rows.marketKey, marketText, rows.openInterest);
  const loaded = new Map<string, LoadedAccount>();
  for (const [id, account] of rows.accounts) {
    loaded.set(id, {
      account,
      snapshot: buildSnapshot(account, rows.balances.get(id) ?? [], rows.positions.get(id) ?? [], context, asOfMs),
    });
  }
  return { loaded, rows };
}
