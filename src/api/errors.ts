/**
 * Domain errors carry a code; one exhaustive table maps each code to the GraphQL `extensions.code` and HTTP status
 * a client sees. Anything that is not a DomainError is logged and masked (see formatError in server/graphql.ts).
 */
import { GraphQLError } from 'graphql';
import { RiskEngineError } from '../risk/errors';

export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'INSUFFICIENT_MARGIN'
  | 'STALE_PRICE'
  | 'MISSING_PRICE'
  | 'CONFLICT'
  | 'RATE_LIMITED'
  | 'QUERY_TOO_COMPLEX'
  | 'UNSUPPORTED'
  | 'UNAVAILABLE'
  | 'INTERNAL_SERVER_ERROR';

/** code → what the client sees. Exhaustive: adding a code without a row is a type error. */
export const ERROR_TABLE: { readonly [C in ErrorCode]: { readonly extensionsCode: string; readonly httpStatus: number } } = {
  UNAUTHENTICATED: { extensionsCode: 'UNAUTHENTICATED', httpStatus: 401 },
  FORBIDDEN: { extensionsCode: 'FORBIDDEN', httpStatus: 403 },
  NOT_FOUND: { extensionsCode: 'NOT_FOUND', httpStatus: 200 },
  BAD_USER_INPUT: { extensionsCode: 'BAD_USER_INPUT', httpStatus: 200 },
  INSUFFICIENT_MARGIN: { extensionsCode: 'INSUFFICIENT_MARGIN', httpStatus: 200 },
  STALE_PRICE: { extensionsCode: 'STALE_PRICE', httpStatus: 200 },
  MISSING_PRICE: { extensionsCode: 'MISSING_PRICE', httpStatus: 200 },
  CONFLICT: { extensionsCode: 'CONFLICT', httpStatus: 200 },
  RATE_LIMITED: { extensionsCode: 'RATE_LIMITED', httpStatus: 429 },
  QUERY_TOO_COMPLEX: { extensionsCode: 'QUERY_TOO_COMPLEX', httpStatus: 400 },
  UNSUPPORTED: { extensionsCode: 'UNSUPPORTED', httpStatus: 200 },
  UNAVAILABLE: { extensionsCode: 'UNAVAILABLE', httpStatus: 503 },
  INTERNAL_SERVER_ERROR: { extensionsCode: 'INTERNAL_SERVER_ERROR', httpStatus: 500 },
};

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

/** A DomainError as a GraphQLError with its mapped extensions. */
export function toGraphQLError(error: DomainError): GraphQLError {
  const row = ERROR_TABLE[error.code];
  return new GraphQLError(error.message, {
    extensions: { code: row.extensionsCode, ...error.details, http: { status: row.httpStatus } },
  });
}

export function badInput(message: string, field?: string): DomainError {
  return new DomainError('BAD_USER_INPUT', message, field ? { field } : {});
}

/** Engine error code → domain error code: the one map (stale and missing prices keep their codes). Exhaustive. */
export const ENGINE_ERROR_CODES: { readonly [C in RiskEngineError['code']]: ErrorCode } = {
  MISSING_PRICE: 'MISSING_PRICE',
  STALE_PRICE: 'STALE_PRICE',
  UNSUPPORTED_MARKET_KIND: 'UNSUPPORTED',
  INVALID_SNAPSHOT: 'INTERNAL_SERVER_ERROR',
};

/** An engine error as the domain error a client sees (its details kept); any other error unchanged. */
export function toDomainError(error: unknown): unknown {
  if (error instanceof RiskEngineError) {
    return new DomainError(ENGINE_ERROR_CODES[error.code], error.message, { ...error.details });
  }
  return error;
}
