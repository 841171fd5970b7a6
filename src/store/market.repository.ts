/** Markets and their margin tiers (raw SQL over the request's snapshot). */
import type { MarginTierRecord, MarketRecord } from './records';
import type { DecimalClass } from './decimal-text';
import { toDecimal, toDecimalOrNull } from './records';
import type { Queryable } from './queryable';

export const MARKET_COLUMNS = `symbol, kind, contract_type, base_asset, quote_asset, settlement_asset, contract_size, tick_size,
  expiry, strike, option_type, status, liquidation_fee_rate, insurance_fund_fee_rate, funding_index,
  max_price_age_seconds, oi_lower_cap, oi_upper_cap, vol_adj_z_score, vol_adj_horizon_days, vol_adj_lookback_days,
  liquidity_lambda, book_depth, slippage_base_rate, slippage_impact_factor, implied_volatility, option_alpha,
  option_beta, option_gamma, maintenance_basis, size_addon_initial, size_addon_maintenance, closing_fee_rate, settlement_price, settled_at, version`;

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
  size_addon_initial: string | null;
  size_addon_maintenance: string | null;
  closing_fee_rate: string;
  /** Absent in risk snapshots (which do not select them). */
  settlement_price?: string | null;
  settled_at?: Date | null;
  version: number;
}

export function toMarket(row: MarketRow, decimal?: DecimalClass): MarketRecord {
  return {
    symbol: row.symbol,
    kind: row.kind,
    contractType: row.contract_type,
    baseAsset: row.base_asset,
    quoteAsset: row.quote_asset,
    settlementAsset: row.settlement_asset,
    contractSize: toDecimal(row.contract_size, decimal),
    tickSize: toDecimal(row.tick_size, decimal),
    expiry: row.expiry,
    strike: toDecimalOrNull(row.strike, decimal),
    optionType: row.option_type,
    status: row.status,
    liquidationFeeRate: toDecimal(row.liquidation_fee_rate, decimal),
    insuranceFundFeeRate: toDecimal(row.insurance_fund_fee_rate, decimal),
    fundingIndex: toDecimal(row.funding_index, decimal),
    maxPriceAgeSeconds: row.max_price_age_seconds,
    oiLowerCap: toDecimalOrNull(row.oi_lower_cap, decimal),
    oiUpperCap: toDecimalOrNull(row.oi_upper_cap, decimal),
    volAdjZScore: toDecimalOrNull(row.vol_adj_z_score, decimal),
    volAdjHorizonDays: toDecimalOrNull(row.vol_adj_horizon_days, decimal),
    volAdjLookbackDays: row.vol_adj_lookback_days,
    liquidityLambda: toDecimalOrNull(row.liquidity_lambda, decimal),
    bookDepth: toDecimal(row.book_depth, decimal),
    slippageBaseRate: toDecimal(row.slippage_base_rate, decimal),
    slippageImpactFactor: toDecimal(row.slippage_impact_factor, decimal),
    impliedVolatility: toDecimalOrNull(row.implied_volatility, decimal),
    optionAlpha: toDecimalOrNull(row.option_alpha, decimal),
    optionBeta: toDecimalOrNull(row.option_beta, decimal),
    optionGamma: toDecimalOrNull(row.option_gamma, decimal),
    maintenanceBasis: row.maintenance_basis === 'ENTRY' ? 'ENTRY' : 'MARK',
    sizeAddonInitial: toDecimalOrNull(row.size_addon_initial, decimal),
    sizeAddonMaintenance: toDecimalOrNull(row.size_addon_maintenance, decimal),
    closingFeeRate: toDecimal(row.closing_fee_rate, decimal),
    ...(row.settlement_price === undefined ? {} : { settlementPrice: toDecimalOrNull(row.settlement_price, decimal), settledAt: row.settled_at ?? null }),
    version: row.version,
  };
}

export async function listMarkets(q: Queryable): Promise<MarketRecord[]> {
  const { rows } = await q.query<MarketRow>(`SELECT ${MARKET_COLUMNS} FROM market ORDER BY symbol`);
  return rows.map((row) => toMarket(row));
}

export async function marketsBySymbols(q: Queryable, symbols: readonly string[]): Promise<Map<string, MarketRecord>> {
  const { rows } = await q.query<MarketRow>(`SELECT ${MARKET_COLUMNS} FROM market WHERE symbol = ANY($1::text[])`, [symbols]);
  return new Map(rows.map((row) => [row.symbol, toMarket(row)]));
}

/** Markets whose base asset is one of `assets` (every market on an underlying). */
export async function marketsByBaseAssets(q: Queryable, assets: readonly string[]): Promise<MarketRecord[]> {
  const { rows } = await q.query<MarketRow>(`SELECT ${MARKET_COLUMNS} FROM market WHERE base_asset = ANY($1::text[]) ORDER BY symbol`, [assets]);
  return rows.map((row) => toMarket(row));
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

export function toTier(row: TierRow, decimal?: DecimalClass): MarginTierRecord {
  return {
    marketSymbol: row.market_symbol,
    tierIndex: row.tier_index,
    notionalFloor: toDecimal(row.notional_floor, decimal),
    notionalCap: toDecimalOrNull(row.notional_cap, decimal),
    initialMarginRate: toDecimal(row.initial_margin_rate, decimal),
    maintenanceMarginRate: toDecimal(row.maintenance_margin_rate, decimal),
    maintenanceAmount: toDecimal(row.maintenance_amount, decimal),
  };
}
