/**
 * Price resolution and checks. A mark price is needed for every position's market, an index price for every asset
 * that is used (settlement assets of positions, assets of non-zero balances); the valuation asset is always 1.
 * Missing → MISSING_PRICE; older than the allowed age at `asOfMs` → STALE_PRICE.
 */
import type Decimal from 'decimal.js';
import type { AccountSnapshot, PriceQuote } from './types';
import { ONE, isNonPositive, toD } from './decimal';
import { invalidSnapshot, missingPrice, stalePrice } from './errors';
import { own } from './lookup';

/** Tracks the oldest observation among the prices actually used. */
export class PriceBook {
  private oldest: number | null = null;
  private readonly indexCache = new Map<string, Decimal>();

  constructor(private readonly snapshot: AccountSnapshot) {}

  get oldestObservationMs(): number | null {
    return this.oldest;
  }

  /** Checked mark price of a market (age limit: the market's maxPriceAgeSeconds). */
  mark(symbol: string, maxAgeSeconds: number): Decimal {
    return this.check(own(this.snapshot.markPrices, symbol), symbol, 'MARK', maxAgeSeconds);
  }

  /** Checked index price of an asset in the valuation asset (age limit: snapshot.maxIndexPriceAgeSeconds). */
  index(asset: string): Decimal {
    if (asset === this.snapshot.valuationAsset) return ONE;
    const cached = this.indexCache.get(asset);
    if (cached !== undefined) return cached;
    const price = this.check(own(this.snapshot.indexPrices, asset), asset, 'INDEX', this.snapshot.maxIndexPriceAgeSeconds);
    this.indexCache.set(asset, price);
    return price;
  }

  /**
   * Index price for reporting only (the index level of an underlying at a liquidation boundary): null when missing,
   * stale or non-positive; never throws and does not count toward the oldest observation.
   */
  optionalIndex(asset: string): Decimal | null {
    if (asset === this.snapshot.valuationAsset) return ONE;
    const cached = this.indexCache.get(asset);
    if (cached !== undefined) return cached;
    const quote = own(this.snapshot.indexPrices, asset);
    if (quote === undefined || quote === null) return null;
    if (this.snapshot.asOfMs - quote.observedAtMs > this.snapshot.maxIndexPriceAgeSeconds * 1000) return null;
    const price = toD(quote.price);
    return price.isFinite() && price.gt(0) ? price : null;
  }

  private check(
    quote: PriceQuote | undefined,
    symbol: string,
    kind: 'MARK' | 'INDEX',
    maxAgeSeconds: number,
  ): Decimal {
    if (quote === undefined || quote === null) throw missingPrice(symbol, kind);
    const ageMs = this.snapshot.asOfMs - quote.observedAtMs;
    if (ageMs > maxAgeSeconds * 1000) {
      throw stalePrice(symbol, kind, ageMs / 1000, maxAgeSeconds, quote.observedAtMs);
    }
    const price = toD(quote.price);
    if (!price.isFinite() || isNonPositive(price)) {
      throw invalidSnapshot(`${kind.toLowerCase()} price of ${symbol} must be positive`, { symbol, price: price.toString() });
    }
    if (this.oldest === null || quote.observedAtMs < this.oldest) this.oldest = quote.observedAtMs;
    return price;
  }
}

/** A price override: a bare price (observed "now", at snapshot.asOfMs) or a full quote. */
export type PriceOverride = Decimal | PriceQuote;

export interface PriceOverrides {
  readonly markPrices?: Readonly<Record<string, PriceOverride>>;
  readonly indexPrices?: Readonly<Record<string, PriceOverride>>;
}

function isQuote(x: PriceOverride): x is PriceQuote {
  return typeof (x as PriceQuote).observedAtMs === 'number' && (x as PriceQuote).price !== undefined;
}

function merge(
  base: Readonly<Record<string, PriceQuote>>,
  overrides: Readonly<Record<string, PriceOverride>> | undefined,
  asOfMs: number,
): Readonly<Record<string, PriceQuote>> {
  if (overrides === undefined) return base;
  const out: Record<string, PriceQuote> = { ...base };
  for (const [symbol, o] of Object.entries(overrides)) {
    out[symbol] = Object.freeze(isQuote(o) ? { price: toD(o.price), observedAtMs: o.observedAtMs } : { price: toD(o), observedAtMs: asOfMs });
  }
  return Object.freeze(out);
}

/**
 * A copy of the snapshot with some mark and index prices replaced (what-if, liquidation checks). A bare Decimal
 * override counts as observed at `snapshot.asOfMs`. The input snapshot is not modified.
 */
export function withPrices(snapshot: AccountSnapshot, overrides: PriceOverrides): AccountSnapshot {
  return Object.freeze({
    ...snapshot,
    markPrices: merge(snapshot.markPrices, overrides.markPrices, snapshot.asOfMs),
    indexPrices: merge(snapshot.indexPrices, overrides.indexPrices, snapshot.asOfMs),
  });
}
