/**
 * Per-request risk: the accounts a response touches are loaded into engine snapshots in one batch (constant SQL
 * statements) and each is evaluated once; every field of the response reads from that one result.
 */
import DataLoader from 'dataloader';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import { evaluateAccount, type AccountRisk } from '../risk';
import { DomainError, toDomainError } from './errors';
import { engineTurn } from './engine-turn';
import type { LoadedAccount } from '../snapshot/snapshot.loader';
import type { RiskOptions } from './risk-mode';
import { timeEngine } from '../monitoring/metrics';

export type RiskLoader = DataLoader<string, AccountRisk>;

/** The service's tracer (src/server/tracing.ts registers the provider; without one every span is a no-op). */
const tracer = trace.getTracer('margin-risk-api');

/**
 * Evaluates the accounts' snapshots (from the request's snapshot loader, src/api/loaders.ts) once each.
 * `options.liquidationPrices` and `options.greeks` are read when a batch is evaluated (after the operation is known,
 * see risk-mode.ts): SKIP when the request selects no such field. COMPUTE (the default) answers every field.
 */
export function createRiskLoader(
  snapshots: DataLoader<string, LoadedAccount | null>,
  options: RiskOptions = { liquidationPrices: 'COMPUTE', greeks: 'COMPUTE', prefetchSnapshots: false },
): RiskLoader {
  return new DataLoader<string, AccountRisk>(async (accountIds) => {
    const loaded = await snapshots.loadMany(accountIds);
    // Evaluations of concurrent requests run together (engine-turn.ts).
    await engineTurn();
    const mode = options.liquidationPrices;
    const greeks = options.greeks;
    return accountIds.map((id, i) => {
      const account = loaded[i];
      if (account instanceof Error) return account;
      if (!account) return new DomainError('NOT_FOUND', `account ${id} not found`);
      // The engine stays free of tracing: its span is opened here (a no-op while tracing is off).
      const span = tracer.startSpan('risk.evaluate_account', {
        attributes: { 'risk.liquidation_prices': mode, 'risk.greeks': greeks, 'risk.positions': account.snapshot.positions.length },
      });
      try {
        return timeEngine('request', mode, () => evaluateAccount(account.snapshot, { liquidationPrices: mode, greeks }));
      } catch (error) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
        const mapped = toDomainError(error);
        return mapped instanceof Error ? mapped : new Error(String(mapped));
      } finally {
        span.end();
      }
    });
  });
}
