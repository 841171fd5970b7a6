/** Writes to markets, margin tiers and prices (inside a write transaction). */
import type Decimal from 'decimal.js';
import type { MarketRecord, MarketStatus } from './records';
import { takePriceLock } from './price-lock';
import type { Queryable } from './queryable';

/** Locks the market row; false when it does not exist. */
export async function lockMarket(q: Queryable, symbol: string): Promise<boolean> {
  const { rows } = await q.query(`SELECT 1 FROM market WHERE symbol = $1 FOR UPDATE`, [symbol]);
  return rows.length > 0;
}

/** The columns a new market is created with (the rest take their defaults). */
export type MarketInsert = Pick<
  MarketRecord,
  | 'symbol' | 'kind' | 'contractType' | 'baseAsset' | 'quoteAsset' | 'settlementAsset' | 'contractSize' | 'tickSize'
  | 'expiry' | 'strike' | 'optionType' | 'status' | 'liquidationFeeRate' | 'insuranceFundFeeRate' | 'maxPriceAgeSeconds'
  | 'bookDepth' | 'impliedVolatility'
>;

const dec = (x: Decimal | null): string | null => (x === null ? null : x.toFixed());

/** Inserts a market; false when the symbol exists already (a concurrent create). */
export async function insertMarket(q: Queryable, m: MarketInsert): Promise<boolean> {
  const { rows } = await q.query(
    `INSERT INTO market (symbol, kind, contract_type, base_asset, quote_asset, settlement_asset, contract_size, tick_size,
       expiry, strike, option_type, status, liquidation_fee_rate, insurance_fund_fee_rate, max_price_age_seconds,
       book_depth, implied_volatility)
     VALUES ($1, $2::"MarketKind", $3::"ContractType", $4, $5, $6, $7::numeric, $8::numeric, $9, $10::numeric,
       $11::"OptionType", $12::"MarketStatus", $13::numeric, $14::numeric, $15, $16::numeric, $17::numeric)
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
    ],
  );
  return rows.length > 0;
}

export interface MarketUpdate {
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
  await q.query(
    `UPDATE market SET tick_size = $2::numeric, status = $3::"MarketStatus", liquidation_fee_rate = $4::numeric,
       insurance_fund_fee_rate = $5::numeric, max_price_age_seconds = $6, book_depth = $7::numeric,
       implied_volatility = $8::numeric, version = version + 1, updated_at = now()
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
    ],
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
 * Stores an index price (same rule as marks) and keeps the price history at one row per asset and UTC day: the
 * latest observation of the day (the history feeds daily volatility and VaR, which read it as daily closes).
 */
export async function putIndexPrice(
  q: Queryable,
  args: { asset: string; price: Decimal; source: string; observedAt: Date },
): Promise<{ before: StoredPrice | null; applied: boolean }> {
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
  if (applied) {
    await q.query(
      `DELETE FROM price_history WHERE asset_symbol = $1
          AND observed_at >= date_trunc('day', $2::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'
          AND observed_at < $2::timestamptz`,
      [args.asset, args.observedAt],
    );
    await q.query(
      `INSERT INTO price_history (asset_symbol, price, source, observed_at) VALUES ($1, $2::numeric, $3, $4)
       ON CONFLICT (asset_symbol, observed_at) DO UPDATE SET price = EXCLUDED.price, source = EXCLUDED.source`,
      [args.asset, args.price.toFixed(), args.source, args.observedAt],
    );
  }
  const b = before.rows[0];
  return { before: b ? { price: b.price, source: b.source, observedAt: b.observed_at } : null, applied };
}
