/**
 * (Lives in the API layer because it applies an engine formula, realized volatility, to stored history; the store
 * itself depends on the engine for types only.)
 * Builds the engine's immutable `AccountSnapshot`s from the store, in one read snapshot, in a constant number of SQL
 * statements however many accounts are asked for (sweeps load thousands at once). Market data (markets, tiers,
 * prices, open interest, realized volatility) is loaded once and shared by every account of the batch.
 */
import type Decimal from 'decimal.js';
import type {
  AccountSnapshot,
  AssetParams,
  MarketParams,
  PortfolioParams,
  PriceQuote,
} from '../risk/types';
import { realizedDailyVolatility } from '../risk/var/value-at-risk';
import { accountsByIds, balancesByAccounts, positionsByAccounts } from '../store/account.repository';
import { listAssets, allIndexPrices, priceHistory, portfolioParamsByAssets } from '../store/asset.repository';
import { marketsBySymbols, tiersByMarkets } from '../store/market.repository';
import { markPricesByMarkets } from '../store/asset.repository';
import type { Queryable } from '../store/queryable';
import type { AccountRecord, MarginTierRecord, MarketRecord, PriceRecord } from '../store/records';
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

/** Open interest per market in contracts: Σ long sizes (= Σ |short sizes| in a balanced book). */
async function openInterest(q: Queryable, symbols: readonly string[]): Promise<Map<string, Decimal>> {
  if (symbols.length === 0) return new Map();
  const { rows } = await q.query<{ market_symbol: string; oi: string }>(
    `SELECT market_symbol, COALESCE(sum(size) FILTER (WHERE size > 0), 0) AS oi
       FROM position WHERE market_symbol = ANY($1::text[]) GROUP BY market_symbol`,
    [symbols],
  );
  return new Map(rows.map((r) => [r.market_symbol, toDecimal(r.oi)]));
}

export function toMarketParams(
  market: MarketRecord,
  tiers: readonly MarginTierRecord[],
  extras: { openInterest: Decimal | null; dailyVolatility: Decimal | null },
): MarketParams {
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
        ? { lowerCap: market.oiLowerCap, upperCap: market.oiUpperCap, openInterest: extras.openInterest, rateStep: toDecimal(OI_RATE_STEP) }
        : null,
    volatilityAdjustment:
      market.volAdjZScore && market.volAdjHorizonDays && extras.dailyVolatility
        ? { zScore: market.volAdjZScore, horizonDays: market.volAdjHorizonDays, dailyVolatility: extras.dailyVolatility }
        : null,
    liquidityAddon: market.liquidityLambda ? { lambda: market.liquidityLambda, bookDepth: market.bookDepth } : null,
    impliedVolatility: market.impliedVolatility,
    optionMargin:
      market.optionAlpha && market.optionBeta && market.optionGamma
        ? { alpha: market.optionAlpha, beta: market.optionBeta, gamma: market.optionGamma }
        : null,
    slippage: { baseRate: market.slippageBaseRate, bookDepth: market.bookDepth, impactFactor: market.slippageImpactFactor },
    maintenanceBasis: market.maintenanceBasis ?? 'MARK',
  };
}

/** Loads markets (with tiers, prices, OI and realized volatility where configured) and every asset. */
export async function loadMarketContext(q: Queryable, marketSymbols: readonly string[]): Promise<MarketContext> {
  const symbols = [...new Set(marketSymbols)];
  const [records, tiers, marks, assets, indexes] = await Promise.all([
    marketsBySymbols(q, symbols),
    tiersByMarkets(q, symbols),
    markPricesByMarkets(q, symbols),
    listAssets(q),
    allIndexPrices(q),
  ]);
  const oiMarkets = [...records.values()].filter((m) => m.oiLowerCap && m.oiUpperCap).map((m) => m.symbol);
  const volMarkets = [...records.values()].filter((m) => m.volAdjZScore && m.volAdjHorizonDays);
  const lookback = Math.max(DEFAULT_VOL_LOOKBACK_DAYS, ...volMarkets.map((m) => m.volAdjLookbackDays ?? DEFAULT_VOL_LOOKBACK_DAYS));
  const bases = [...new Set([...records.values()].map((m) => m.baseAsset))];
  const [oi, history, portfolio] = await Promise.all([
    openInterest(q, oiMarkets),
    volMarkets.length ? priceHistory(q, [...new Set(volMarkets.map((m) => m.baseAsset))], lookback + 1) : Promise.resolve(new Map()),
    portfolioParamsByAssets(q, bases),
  ]);
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

export interface LoadedAccount {
  readonly account: AccountRecord;
  readonly snapshot: AccountSnapshot;
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
  return {
    accountId: account.id,
    marginMode: account.marginMode,
    balances: balances.map((b) => ({ asset: b.assetSymbol, amount: b.amount })),
    positions: positions.map((p) => ({
      id: p.id,
      market: p.marketSymbol,
      size: p.size,
      entryPrice: p.entryPrice,
      realizedPnl: p.realizedPnl,
      fundingIndex: p.fundingIndex,
      marginType: p.marginType,
      isolatedMargin: p.isolatedMargin,
      leverage: p.leverage,
    })),
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

/**
 * Snapshots of many accounts: 3 statements for the accounts' rows, plus the market context for every market they
 * hold (and `extraMarkets`, e.g. a what-if trade's market). Unknown ids are left out of the result.
 */
export async function loadAccountSnapshots(
  q: Queryable,
  accountIds: readonly string[],
  asOfMs: number,
  extraMarkets: readonly string[] = [],
): Promise<Map<string, LoadedAccount>> {
  const [accounts, balances, positions] = await Promise.all([
    accountsByIds(q, accountIds),
    balancesByAccounts(q, accountIds),
    positionsByAccounts(q, accountIds),
  ]);
  const marketSymbols = new Set(extraMarkets);
  for (const list of positions.values()) for (const p of list) marketSymbols.add(p.marketSymbol);
  const context = await loadMarketContext(q, [...marketSymbols]);
  const out = new Map<string, LoadedAccount>();
  for (const [id, account] of accounts) {
    out.set(id, {
      account,
      snapshot: buildSnapshot(account, balances.get(id) ?? [], positions.get(id) ?? [], context, asOfMs),
    });
  }
  return out;
}
