/** Writes to markets, margin tiers and prices (inside a write transaction). */
import type Decimal from 'decimal.js';
import type { MarketRecord, MarketStatus } from './records';
import { takePriceLock } from './price-lock';
import type { Queryable } from './queryable';
import { putHistoryClose } from './venue.repository';

/** Locks the market row; false when it does not exist. */
export async function lockMarket(q: Queryable, symbol: string): Promise<boolean> {
  const { rows } = await q.query(`SELECT 1 FROM market WHERE symbol = $1 FOR UPDATE`, [symbol]);
  return rows.length > 0;
}

/** The engine parameters of a market beyond its identity, status and fees (all optional features included). */
export type MarketEngineParams = Pick<
  MarketRecord,
  | 'oiLowerCap' | 'oiUpperCap' | 'volAdjZScore' | 'volAdjHorizonDays' | 'volAdjLookbackDays' | 'liquidityLambda'
  | 'slippageBaseRate' | 'slippageImpactFactor' | 'optionAlpha' | 'optionBeta' | 'optionGamma'
> & {
  readonly maintenanceBasis: 'MARK' | 'ENTRY';
  readonly sizeAddonInitial: Decimal | null;
  readonly sizeAddonMaintenance: Decimal | null;
  readonly closingFeeRate: Decimal;
};

/** The columns a new market is created with (the rest take their defaults). */
export type MarketInsert = Pick<
  MarketRecord,
  | 'symbol' | 'kind' | 'contractType' | 'baseAsset' | 'quoteAsset' | 'settlementAsset' | 'contractSize' | 'tickSize'
  | 'expiry' | 'strike' | 'optionType' | 'status' | 'liquidationFeeRate' | 'insuranceFundFeeRate' | 'maxPriceAgeSeconds'
  | 'bookDepth' | 'impliedVolatility'
> & MarketEngineParams;

const dec = (x: Decimal | null): string | null => (x === null ? null : x.toFixed());

/** Column list and values of the engine parameters, from SQL parameter $`from` on. */
function engineColumns(m: MarketEngineParams): { columns: string[]; casts: string[]; values: unknown[] } {
  const spec: [string, string, unknown][] = [
    ['oi_lower_cap', 'numeric', dec(m.oiLowerCap)],
    ['oi_upper_cap', 'numeric', dec(m.oiUpperCap)],
    ['vol_adj_z_score', 'numeric', dec(m.volAdjZScore)],
    ['vol_adj_horizon_days', 'numeric', dec(m.volAdjHorizonDays)],
    ['vol_adj_lookback_days', 'int', m.volAdjLookbackDays],
    ['liquidity_lambda', 'numeric', dec(m.liquidityLambda)],
    ['slippage_base_rate', 'numeric', m.slippageBaseRate.toFixed()],
    ['slippage_impact_factor', 'numeric', m.slippageImpactFactor.toFixed()],
    ['option_alpha', 'numeric', dec(m.optionAlpha)],
    ['option_beta', 'numeric', dec(m.optionBeta)],
    ['option_gamma', 'numeric', dec(m.optionGamma)],
    ['maintenance_basis', 'text', m.maintenanceBasis],
    ['size_addon_initial', 'numeric', dec(m.sizeAddonInitial)],
    ['size_addon_maintenance', 'numeric', dec(m.sizeAddonMaintenance)],
    ['closing_fee_rate', 'numeric', m.closingFeeRate.toFixed()],
  ];
  return { columns: spec.map((s) => s[0]), casts: spec.map((s) => s[1]), values: spec.map((s) => s[2]) };
}

/** Inserts a market; false when the symbol exists already (a concurrent create). */
export async function insertMarket(q: Queryable, m: MarketInsert): Promise<boolean> {
  const engine = engineColumns(m);
  const base = 17;
  const { rows } = await q.query(
    `INSERT INTO market (symbol, kind, contract_type, base_asset, quote_asset, settlement_asset, contract_size, tick_size,
       expiry, strike, option_type, status, liquidation_fee_rate, insurance_fund_fee_rate, max_price_age_seconds,
       book_depth, implied_volatility, ${engine.columns.join(', ')})
     VALUES ($1, $2::"MarketKind", $3::"ContractType", $4, $5, $6, $7::numeric, $8::numeric, $9, $10::numeric,
       $11::"OptionType", $12::"MarketStatus", $13::numeric, $14::numeric, $15, $16::numeric, $17::numeric,
       ${engine.casts.map((c, i) => `$${base + 1 + i}::${c}`).join(', ')})
     ON CONFLICT (symbol) DO NOTHING RETURNING symbol`,
    [
      m.symbol,
      m.kind,
      m.contractType,
      m.baseAsset,
      m.quoteAsset,
      m.settlementAsset,
      m.contractSize.toFixed(),
      m.tickSize.toFixed(),
      m.expiry,
      dec(m.strike),
      m.optionType,
      m.status,
      m.liquidationFeeRate.toFixed(),
      m.insuranceFundFeeRate.toFixed(),
      m.maxPriceAgeSeconds,
      m.bookDepth.toFixed(),
      dec(m.impliedVolatility),
      ...engine.values,
    ],
  );
  return rows.length > 0;
}

export interface MarketUpdate extends MarketEngineParams {
  readonly tickSize: Decimal;
  readonly status: MarketStatus;
  readonly liquidationFeeRate: Decimal;
  readonly insuranceFundFeeRate: Decimal;
  readonly maxPriceAgeSeconds: number;
  readonly bookDepth: Decimal;
  readonly impliedVolatility: Decimal | null;
}

/** Updates the mutable parameters of a market (its identity never changes once created). */
export async function updateMarket(q: Queryable, symbol: string, m: MarketUpdate): Promise<void> {
  const engine = engineColumns(m);
  const base = 8;
  await q.query(
    `UPDATE market SET tick_size = $2::numeric, status = $3::"MarketStatus", liquidation_fee_rate = $4::numeric,
       insurance_fund_fee_rate = $5::numeric, max_price_age_seconds = $6, book_depth = $7::numeric,
       implied_volatility = $8::numeric,
       ${engine.columns.map((c, i) => `${c} = $${base + 1 + i}::${engine.casts[i]}`).join(', ')},
       version = version + 1, updated_at = now()
     WHERE symbol = $1`,
    [
      symbol,
      m.tickSize.toFixed(),
      m.status,
      m.liquidationFeeRate.toFixed(),
      m.insuranceFundFeeRate.toFixed(),
      m.maxPriceAgeSeconds,
      m.bookDepth.toFixed(),
      dec(m.impliedVolatility),
      ...engine.values,
    ],
  );
}

/** Marks a market SETTLED at a price (the caller closed its positions in the same transaction). */
export async function markSettled(q: Queryable, symbol: string, price: Decimal, atMs: number): Promise<void> {
  await q.query(
    `UPDATE market SET status = 'SETTLED', settlement_price = $2::numeric, settled_at = $3, version = version + 1,
       updated_at = now() WHERE symbol = $1`,
    [symbol, price.toFixed(), new Date(atMs)],
  );
}

export interface TierWrite {
  readonly notionalFloor: Decimal;
  readonly notionalCap: Decimal | null;
  readonly initialMarginRate: Decimal;
  readonly maintenanceMarginRate: Decimal;
  readonly maintenanceAmount: Decimal;
}

/** Replaces the market's whole schedule (tier indexes 0..n−1) and bumps the market's version. */
export async function replaceTiers(q: Queryable, symbol: string, tiers: readonly TierWrite[]): Promise<void> {
  await q.query(`DELETE FROM margin_tier WHERE market_symbol = $1`, [symbol]);
  await q.query(
    `INSERT INTO margin_tier (market_symbol, tier_index, notional_floor, notional_cap, initial_margin_rate,
       maintenance_margin_rate, maintenance_amount)
     SELECT $1, t.i - 1, t.floor, t.cap, t.imr, t.mmr, t.cum
       FROM unnest($2::numeric[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[])
            WITH ORDINALITY AS t(floor, cap, imr, mmr, cum, i)`,
    [
      symbol,
      tiers.map((t) => t.notionalFloor.toFixed()),
      tiers.map((t) => dec(t.notionalCap)),
      tiers.map((t) => t.initialMarginRate.toFixed()),
      tiers.map((t) => t.maintenanceMarginRate.toFixed()),
      tiers.map((t) => t.maintenanceAmount.toFixed()),
    ],
  );
  await q.query(`UPDATE market SET version = version + 1, updated_at = now() WHERE symbol = $1`, [symbol]);
}

export interface StoredPrice {
  readonly price: string;
  readonly source: string;
  readonly observedAt: Date;
}

/**
 * Stores a mark price unless a newer observation is already stored (prices never move back in time).
 * Returns the price before (null when none) and whether this one was applied.
 */
export async function putMarkPrice(
  q: Queryable,
  args: { market: string; price: Decimal; source: string; observedAt: Date },
): Promise<{ before: StoredPrice | null; applied: boolean }> {
  await takePriceLock(q);
  const before = await q.query<{ price: string; source: string; observed_at: Date }>(
    `SELECT price, source, observed_at FROM mark_price WHERE market_symbol = $1 FOR UPDATE`,
    [args.market],
  );
  const { rows } = await q.query(
    `INSERT INTO mark_price (market_symbol, price, source, observed_at) VALUES ($1, $2::numeric, $3, $4)
     ON CONFLICT (market_symbol) DO UPDATE SET price = EXCLUDED.price, source = EXCLUDED.source, observed_at = EXCLUDED.observed_at
       WHERE mark_price.observed_at <= EXCLUDED.observed_at
     RETURNING market_symbol`,
    [args.market, args.price.toFixed(), args.source, args.observedAt],
  );
  const b = before.rows[0];
  return { before: b ? { price: b.price, source: b.source, observedAt: b.observed_at } : null, applied: rows.length > 0 };
}

/**
 * Stores an index price (same rule as marks) and records it in the price history as its UTC day's close unless a
 * later observation of that day is stored (the history feeds daily volatility and VaR, which read it as daily
 * closes). A back-dated observation is not applied as the latest price but still lands in the history.
 */
export async function putIndexPrice(
  q: Queryable,
  args: { asset: string; price: Decimal; source: string; observedAt: Date },
): Promise<{ before: StoredPrice | null; applied: boolean; recordedInHistory: boolean }> {
  await takePriceLock(q);
  const before = await q.query<{ price: string; source: string; observed_at: Date }>(
    `SELECT price, source, observed_at FROM index_price WHERE asset_symbol = $1 FOR UPDATE`,
    [args.asset],
  );
  const { rows } = await q.query(
    `INSERT INTO index_price (asset_symbol, price, source, observed_at) VALUES ($1, $2::numeric, $3, $4)
     ON CONFLICT (asset_symbol) DO UPDATE SET price = EXCLUDED.price, source = EXCLUDED.source, observed_at = EXCLUDED.observed_at
       WHERE index_price.observed_at <= EXCLUDED.observed_at
     RETURNING asset_symbol`,
    [args.asset, args.price.toFixed(), args.source, args.observedAt],
  );
  const applied = rows.length > 0;
  const recordedInHistory = await putHistoryClose(q, args);
  const b = before.rows[0];
  return { before: b ? { price: b.price, source: b.source, observedAt: b.observed_at } : null, applied, recordedInHistory };
}
