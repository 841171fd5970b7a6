/**
 * Interest rates per asset (table interest_rate, migration 20261203130000_interest_rates): the quote asset's rate is
 * an option's risk-free rate r, the underlying's its carry / dividend yield q (src/snapshot/snapshot.loader.ts).
 * Rates are continuously compounded, annualized fractions; an asset without a row has rate 0.
 */
import type Decimal from 'decimal.js';
import type { InterestRateRecord } from './records';
import { toDecimal } from './records';
import type { Queryable } from './queryable';

interface InterestRateRow {
  asset_symbol: string;
  rate: string;
  observed_at: Date;
}

function toInterestRate(row: InterestRateRow): InterestRateRecord {
  return { asset: row.asset_symbol, rate: toDecimal(row.rate), observedAt: row.observed_at };
}

/** The stored rates of the given assets (assets without one are absent). */
export async function interestRatesByAssets(q: Queryable, symbols: readonly string[]): Promise<Map<string, InterestRateRecord>> {
  const { rows } = await q.query<InterestRateRow>(
    `SELECT asset_symbol, trim_scale(rate)::text AS rate, observed_at FROM interest_rate WHERE asset_symbol = ANY($1::text[])`,
    [symbols],
  );
  return new Map(rows.map((row) => [row.asset_symbol, toInterestRate(row)]));
}

/**
 * Stores an asset's rate observed at `observedAt` unless a rate observed later is stored already (a back-dated
 * observation never replaces a newer one; an equal time replaces it). Returns whether it was stored.
 */
export async function putInterestRate(q: Queryable, args: { asset: string; rate: Decimal; observedAt: Date }): Promise<boolean> {
  const { rows } = await q.query(
    `INSERT INTO interest_rate (asset_symbol, rate, observed_at, updated_at) VALUES ($1, $2::numeric, $3, now())
     ON CONFLICT (asset_symbol) DO UPDATE SET rate = EXCLUDED.rate, observed_at = EXCLUDED.observed_at, updated_at = now()
      WHERE interest_rate.observed_at <= EXCLUDED.observed_at
     RETURNING 1`,
    [args.asset, args.rate.toFixed(), args.observedAt],
  );
  return rows.length > 0;
}
