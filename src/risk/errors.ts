/** Typed errors of the risk engine. The API layer maps `code` to a GraphQL `extensions.code`. */

export type RiskEngineErrorCode = 'MISSING_PRICE' | 'STALE_PRICE' | 'UNSUPPORTED_MARKET_KIND' | 'INVALID_SNAPSHOT';

export type PriceKind = 'MARK' | 'INDEX';

export interface MissingPriceDetails {
  readonly symbol: string;
  readonly priceKind: PriceKind;
}

export interface StalePriceDetails {
  readonly symbol: string;
  readonly priceKind: PriceKind;
  /** asOfMs − observedAtMs, in seconds. */
  readonly ageSeconds: number;
  readonly maxAgeSeconds: number;
  readonly observedAtMs: number;
}

export interface UnsupportedMarketKindDetails {
  readonly market: string;
  readonly kind: string;
  readonly positionId?: string;
}

export interface InvalidSnapshotDetails {
  readonly reason: string;
  readonly [key: string]: unknown;
}

export type RiskEngineErrorDetails =
  | MissingPriceDetails
  | StalePriceDetails
  | UnsupportedMarketKindDetails
  | InvalidSnapshotDetails;

export class RiskEngineError extends Error {
  override readonly name = 'RiskEngineError';

  constructor(
    readonly code: RiskEngineErrorCode,
    message: string,
    readonly details: RiskEngineErrorDetails,
  ) {
    super(message);
    Object.setPrototypeOf(this, RiskEngineError.prototype);
  }
}

export function missingPrice(symbol: string, priceKind: PriceKind): RiskEngineError {
  return new RiskEngineError('MISSING_PRICE', `missing ${priceKind.toLowerCase()} price for ${symbol}`, {
    symbol,
    priceKind,
  });
}

export function stalePrice(
  symbol: string,
  priceKind: PriceKind,
  ageSeconds: number,
  maxAgeSeconds: number,
  observedAtMs: number,
): RiskEngineError {
  return new RiskEngineError(
    'STALE_PRICE',
    `${priceKind.toLowerCase()} price for ${symbol} is ${ageSeconds}s old (max ${maxAgeSeconds}s)`,
    { symbol, priceKind, ageSeconds, maxAgeSeconds, observedAtMs },
  );
}

export function invalidSnapshot(reason: string, extra: Record<string, unknown> = {}): RiskEngineError {
  return new RiskEngineError('INVALID_SNAPSHOT', `invalid snapshot: ${reason}`, { reason, ...extra });
}

export function unsupportedMarketKind(market: string, kind: string, positionId?: string): RiskEngineError {
  return new RiskEngineError(
    'UNSUPPORTED_MARKET_KIND',
    `market ${market} of kind ${kind} is not supported by this engine yet`,
    positionId === undefined ? { market, kind } : { market, kind, positionId },
  );
}
