/**
 * Lookups by symbol in the snapshot's records (markets, assets, mark and index prices, portfolio parameters). Only
 * the record's own entries count: a symbol such as "constructor", "toString" or "valueOf" must not find
 * Object.prototype's members (which a plain `record[symbol]` does) and be valued as if it were a market or a price.
 */
export function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}
