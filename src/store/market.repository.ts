/** Markets and their margin tiers (raw SQL over the request's snapshot). */
import type { MarginTierRecord, MarketRecord } from './records';
import { toDecimal, toDecimalOrNull } from './records';
import type { Queryable } from './queryable';

export const MARKET_COLUMNS = `symbol, kind, contract_type, base_asset, quote_asset, settlement_asset, contract_size, tick_size,
  expiry, strike, option_type, status, liquidation_fee_rate, insurance_fund_fee_rate, funding_index,
  max_price_age_seconds, oi_lower_cap, oi_upper_cap, vol_adj_z_score, vol_adj_horizon_days, vol_adj_lookback_days,
  liquidity_lambda, book_depth, slippage_base_rate, slippage_impact_factor, implied_volatility, option_alpha,
  option_beta, option_gamma, maintenance_basis, version`;

export interface MarketRow {
  symbol: string;
  kind: MarketRecord['kind'];
  contract_type: MarketRecord['contractType'];
  base_asset: string;
  quote_asset: string;
  settlement_asset: string;
  contract_size: string;
  tick_size: string;
  expiry: Date | null;
  strike: string | null;
  option_type: MarketRecord['optionType'];
  status: MarketRecord['status'];
  liquidation_fee_rate: string;
  insurance_fund_fee_rate: string;
  funding_index: string;
  max_price_age_seconds: number;
  oi_lower_cap: string | null;
  oi_upper_cap: string | null;
  vol_adj_z_score: string | null;
  vol_adj_horizon_days: string | null;
  vol_adj_lookback_days: number | null;
  liquidity_lambda: string | null;
  book_depth: string;
  slippage_base_rate: string;
  slippage_impact_factor: string;
  implied_volatility: string | null;
  option_alpha: string | null;
  option_beta: string | null;
  option_gamma: string | null;
  maintenance_basis: 'MARK' | 'ENTRY';
  version: number;
}

export function toMarket(row: MarketRow): MarketRecord {
  return {
    symbol: row.symbol,
    kind: row.kind,
    contractType: row.contract_type,
    baseAsset: row.base_asset,
    quoteAsset: row.quote_asset,
    settlementAsset: row.settlement_asset,
    contractSize: toDecimal(row.contract_size),
    tickSize: toDecimal(row.tick_size),
    expiry: row.expiry,
    strike: toDecimalOrNull(row.strike),
    optionType: row.option_type,
    status: row.status,
    liquidationFeeRate: toDecimal(row.liquidation_fee_rate),
    insuranceFundFeeRate: toDecimal(row.insurance_fund_fee_rate),
    fundingIndex: toDecimal(row.funding_index),
    maxPriceAgeSeconds: row.max_price_age_seconds,
    oiLowerCap: toDecimalOrNull(row.oi_lower_cap),
    oiUpperCap: toDecimalOrNull(row.oi_upper_cap),
    volAdjZScore: toDecimalOrNull(row.vol_adj_z_score),
    volAdjHorizonDays: toDecimalOrNull(row.vol_adj_horizon_days),
    volAdjLookbackDays: row.vol_adj_lookback_days,
    liquidityLambda: toDecimalOrNull(row.liquidity_lambda),
    bookDepth: toDecimal(row.book_depth),
    slippageBaseRate: toDecimal(row.slippage_base_rate),
    slippageImpactFactor: toDecimal(row.slippage_impact_factor),
    impliedVolatility: toDecimalOrNull(row.implied_volatility),
    optionAlpha: toDecimalOrNull(row.option_alpha),
    optionBeta: toDecimalOrNull(row.option_beta),
    optionGamma: toDecimalOrNull(row.option_gamma),
    maintenanceBasis: row.maintenance_basis === 'ENTRY' ? 'ENTRY' : 'MARK',
    version: row.version,
  };
}

export async function listMarkets(q: Queryable): Promise<MarketRecord[]> {
  const { rows } = await q.query<MarketRow>(`SELECT ${MARKET_COLUMNS} FROM market ORDER BY symbol`);
  return rows.map(toMarket);
}

export async function marketsBySymbols(q: Queryable, symbols: readonly string[]): Promise<Map<string, MarketRecord>> {
  const { rows } = await q.query<MarketRow>(`SELECT ${MARKET_COLUMNS} FROM market WHERE symbol = ANY($1::text[])`, [symbols]);
  return new Map(rows.map((row) => [row.symbol, toMarket(row)]));
}

/** Markets whose base asset is one of `assets` (every market on an underlying). */
export async function marketsByBaseAssets(q: Queryable, assets: readonly string[]): Promise<MarketRecord[]> {
  const { rows } = await q.query<MarketRow>(`SELECT ${MARKET_COLUMNS} FROM market WHERE base_asset = ANY($1::text[]) ORDER BY symbol`, [assets]);
  return rows.map(toMarket);
}

export interface TierRow {
  market_symbol: string;
  tier_index: number;
  notional_floor: string;
  notional_cap: string | null;
  initial_margin_rate: string;
  maintenance_margin_rate: string;
  maintenance_amount: string;
}

export async function tiersByMarkets(q: Queryable, symbols: readonly string[]): Promise<Map<string, MarginTierRecord[]>> {
  const { rows } = await q.query<TierRow>(
    `SELECT market_symbol, tier_index, notional_floor, notional_cap, initial_margin_rate, maintenance_margin_rate,
            maintenance_amount
       FROM margin_tier WHERE market_symbol = ANY($1::text[]) ORDER BY market_symbol, tier_index`,
    [symbols],
  );
  const out = new Map<string, MarginTierRecord[]>(symbols.map((s) => [s, []]));
  for (const row of rows) out.get(row.market_symbol)?.push(toTier(row));
  return out;
}

export function toTier(row: TierRow): MarginTierRecord {
  return {
    marketSymbol: row.market_symbol,
    tierIndex: row.tier_index,
    notionalFloor: toDecimal(row.notional_floor),
    notionalCap: toDecimalOrNull(row.notional_cap),
    initialMarginRate: toDecimal(row.initial_margin_rate),
    maintenanceMarginRate: toDecimal(row.maintenance_margin_rate),
    maintenanceAmount: toDecimal(row.maintenance_amount),
  };
}
