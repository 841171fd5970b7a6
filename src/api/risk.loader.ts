/**
 * Per-request risk: the accounts a response touches are loaded into engine snapshots in one batch (constant SQL
 * statements) and each is evaluated once; every field of the response reads from that one result.
 */
import DataLoader from 'dataloader';
import { evaluateAccount, type AccountRisk } from '../risk';
import { DomainError, toDomainError } from './errors';
import { engineTurn } from './engine-turn';
import type { LoadedAccount } from '../snapshot/snapshot.loader';
import type { RiskOptions } from './risk-mode';
import { timeEngine } from '../monitoring/metrics';

export type RiskLoader = DataLoader<string, AccountRisk>;

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
      try {
        return timeEngine('request', mode, () => evaluateAccount(account.snapshot, { liquidationPrices: mode, greeks }));
      } catch (error) {
        const mapped = toDomainError(error);
        return mapped instanceof Error ? mapped : new Error(String(mapped));
      }
    });
  });
}
