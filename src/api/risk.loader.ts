/**
 * Per-request risk: the accounts a response touches are loaded into engine snapshots in one batch (constant SQL
 * statements) and each is evaluated once; every field of the response reads from that one result.
 */
import DataLoader from 'dataloader';
import { evaluateAccount, RiskEngineError, type AccountRisk } from '../risk';
import type { Queryable } from '../store/queryable';
import { DomainError, type ErrorCode } from './errors';
import { loadAccountSnapshots } from './snapshot.loader';
import { timeEngine } from '../monitoring/metrics';

/** Engine error code → domain error code. Exhaustive over the engine's codes. */
const ENGINE_ERROR_CODES: { readonly [C in RiskEngineError['code']]: ErrorCode } = {
  MISSING_PRICE: 'MISSING_PRICE',
  STALE_PRICE: 'STALE_PRICE',
  UNSUPPORTED_MARKET_KIND: 'UNSUPPORTED',
  INVALID_SNAPSHOT: 'INTERNAL_SERVER_ERROR',
};

export function toDomainError(error: unknown): unknown {
  if (error instanceof RiskEngineError) {
    return new DomainError(ENGINE_ERROR_CODES[error.code], error.message, { ...error.details });
  }
  return error;
}

export type RiskLoader = DataLoader<string, AccountRisk>;

export function createRiskLoader(q: Queryable, nowMs: number): RiskLoader {
  return new DataLoader<string, AccountRisk>(async (accountIds) => {
    const loaded = await loadAccountSnapshots(q, accountIds, nowMs);
    return accountIds.map((id) => {
      const account = loaded.get(id);
      if (!account) return new DomainError('NOT_FOUND', `account ${id} not found`);
      try {
        return timeEngine('request', 'COMPUTE', () => evaluateAccount(account.snapshot));
      } catch (error) {
        const mapped = toDomainError(error);
        return mapped instanceof Error ? mapped : new Error(String(mapped));
      }
    });
  });
}
