/** Reads of the stored daily index prices of one asset, oldest first, by keyset pages on the observation time. */
import type Decimal from 'decimal.js';
import { toDecimal } from './records';
import type { Queryable } from './queryable';
import { keysetSql, type KeysetPage } from './keyset';

export interface PriceObservationRecord {
  readonly asset: string;
  readonly price: Decimal;
  readonly source: string;
  readonly observedAt: Date;
}

/**
 * A page of the asset's observations in [from, to), in observed_at order (unique per asset), beyond `page.cursor`
 * (an observation time) in its direction, or with `side: 'OTHER_SIDE'` at or behind it (src/store/keyset.ts).
 */
export async function pagePriceHistory(
  q: Queryable,
  args: { asset: string; from: Date | null; to: Date | null; page: KeysetPage<Date>; side?: 'BEYOND' | 'OTHER_SIDE' },
): Promise<PriceObservationRecord[]> {
  const values: unknown[] = [args.asset];
  const where = ['asset_symbol = $1'];
  if (args.from !== null) {
    values.push(args.from);
    where.push(`observed_at >= $${values.length}`);
  }
  if (args.to !== null) {
    values.push(args.to);
    where.push(`observed_at < $${values.length}`);
  }
  if (args.page.cursor !== null) values.push(args.page.cursor);
  const keyset = keysetSql(args.page.direction, 'observed_at', args.page.cursor !== null ? `$${values.length}::timestamptz` : null, args.side ?? 'BEYOND');
  if (keyset.where) where.push(keyset.where);
  values.push(args.page.limit);
  const { rows } = await q.query<{ asset_symbol: string; price: string; source: string; observed_at: Date }>(
    `SELECT asset_symbol, price, source, observed_at FROM price_history
      WHERE ${where.join(' AND ')} ORDER BY ${keyset.orderBy} LIMIT $${values.length}`,
    values,
  );
  return rows.map((row) => ({ asset: row.asset_symbol, price: toDecimal(row.price), source: row.source, observedAt: row.observed_at }));
}
