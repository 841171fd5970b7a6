/** Assets, their index prices and price history (raw SQL over the request's snapshot). */
import type { AssetRecord, PortfolioParamsRecord, PriceRecord } from './records';
import type { DecimalClass } from './decimal-text';
import { toDecimal } from './records';
import type { Queryable } from './queryable';

export const ASSET_COLUMNS = `symbol, decimals, initial_weight, maintenance_weight, initial_liability_weight, maintenance_liability_weight, borrowable`;

export interface AssetRow {
  symbol: string;
  decimals: number;
  initial_weight: string;
  maintenance_weight: string;
  initial_liability_weight: string;
  maintenance_liability_weight: string;
  /** Absent in risk snapshots (which do not select it). */
  borrowable?: boolean;
}

export function toAsset(row: AssetRow, decimal?: DecimalClass): AssetRecord {
  return {
    symbol: row.symbol,
    decimals: row.decimals,
    initialWeight: toDecimal(row.initial_weight, decimal),
    maintenanceWeight: toDecimal(row.maintenance_weight, decimal),
    initialLiabilityWeight: toDecimal(row.initial_liability_weight, decimal),
    maintenanceLiabilityWeight: toDecimal(row.maintenance_liability_weight, decimal),
    ...(row.borrowable === undefined ? {} : { borrowable: row.borrowable }),
  };
}

export async function listAssets(q: Queryable): Promise<AssetRecord[]> {
  const { rows } = await q.query<AssetRow>(`SELECT ${ASSET_COLUMNS} FROM asset ORDER BY symbol`);
  return rows.map((row) => toAsset(row));
}

export async function assetsBySymbols(q: Queryable, symbols: readonly string[]): Promise<Map<string, AssetRecord>> {
  const { rows } = await q.query<AssetRow>(`SELECT ${ASSET_COLUMNS} FROM asset WHERE symbol = ANY($1::text[])`, [symbols]);
  return new Map(rows.map((row) => [row.symbol, toAsset(row)]));
}

export interface PriceRow {
  key: string;
  price: string;
  source: string;
  observed_at: Date;
}

export function toPrice(row: PriceRow, decimal?: DecimalClass): PriceRecord {
  return { price: toDecimal(row.price, decimal), source: row.source, observedAt: row.observed_at };
}

export async function indexPricesByAssets(q: Queryable, symbols: readonly string[]): Promise<Map<string, PriceRecord>> {
  const { rows } = await q.query<PriceRow>(
    `SELECT asset_symbol AS key, price, source, observed_at FROM index_price WHERE asset_symbol = ANY($1::text[])`,
    [symbols],
  );
  return new Map(rows.map((row) => [row.key, toPrice(row)]));
}

export async function markPricesByMarkets(q: Queryable, symbols: readonly string[]): Promise<Map<string, PriceRecord>> {
  const { rows } = await q.query<PriceRow>(
    `SELECT market_symbol AS key, price, source, observed_at FROM mark_price WHERE market_symbol = ANY($1::text[])`,
    [symbols],
  );
  return new Map(rows.map((row) => [row.key, toPrice(row)]));
}

export async function allIndexPrices(q: Queryable): Promise<Map<string, PriceRecord>> {
  const { rows } = await q.query<PriceRow>(`SELECT asset_symbol AS key, price, source, observed_at FROM index_price`);
  return new Map(rows.map((row) => [row.key, toPrice(row)]));
}

export async function allMarkPrices(q: Queryable): Promise<Map<string, PriceRecord>> {
  const { rows } = await q.query<PriceRow>(`SELECT market_symbol AS key, price, source, observed_at FROM mark_price`);
  return new Map(rows.map((row) => [row.key, toPrice(row)]));
}

export interface PriceHistoryPoint {
  readonly price: PriceRecord['price'];
  readonly observedAt: Date;
}

/** Daily history per asset, oldest first, the last `days` observations. */
export async function priceHistory(q: Queryable, symbols: readonly string[], days: number): Promise<Map<string, PriceHistoryPoint[]>> {
  const { rows } = await q.query<{ asset_symbol: string; price: string; observed_at: Date }>(
    `SELECT asset_symbol, price, observed_at FROM (
       SELECT asset_symbol, price, observed_at,
              row_number() OVER (PARTITION BY asset_symbol ORDER BY observed_at DESC) AS rn
         FROM price_history WHERE asset_symbol = ANY($1::text[])
     ) h WHERE rn <= $2 ORDER BY asset_symbol, observed_at`,
    [symbols, days],
  );
  const out = new Map<string, PriceHistoryPoint[]>();
  for (const row of rows) {
    const list = out.get(row.asset_symbol) ?? [];
    list.push({ price: toDecimal(row.price), observedAt: row.observed_at });
    out.set(row.asset_symbol, list);
  }
  return out;
}

export interface PortfolioParamsRow {
  asset_symbol: string;
  price_scan_range: string;
  vol_scan_range: string;
  extreme_move_multiple: string;
  extreme_move_coverage: string;
  short_option_minimum: string;
  maintenance_fraction: string;
}

export async function portfolioParamsByAssets(q: Queryable, symbols: readonly string[]): Promise<Map<string, PortfolioParamsRecord>> {
  const { rows } = await q.query<PortfolioParamsRow>(
    `SELECT asset_symbol, price_scan_range, vol_scan_range, extreme_move_multiple, extreme_move_coverage,
            short_option_minimum, maintenance_fraction
       FROM portfolio_margin_params WHERE asset_symbol = ANY($1::text[])`,
    [symbols],
  );
  return new Map(rows.map((row) => [row.asset_symbol, toPortfolioParams(row)]));
}

export function toPortfolioParams(row: PortfolioParamsRow, decimal?: DecimalClass): PortfolioParamsRecord {
  return {
    assetSymbol: row.asset_symbol,
    priceScanRange: toDecimal(row.price_scan_range, decimal),
    volScanRange: toDecimal(row.vol_scan_range, decimal),
    extremeMoveMultiple: toDecimal(row.extreme_move_multiple, decimal),
    extremeMoveCoverage: toDecimal(row.extreme_move_coverage, decimal),
    shortOptionMinimum: toDecimal(row.short_option_minimum, decimal),
    maintenanceFraction: toDecimal(row.maintenance_fraction, decimal),
  };
}
