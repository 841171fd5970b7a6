/**
 * Account.valueAtRisk: validates the arguments, loads the account's snapshot and the stored daily price history of
 * the assets it is exposed to (on the request's read snapshot), and runs the pure engine (src/risk/var/account-var.ts).
 */
import Decimal from 'decimal.js';
import { evaluateAccount, RiskEngineError } from '../risk';
import { DEFAULT_VALUATION_DECIMALS, moneyDown, moneyUp } from '../risk/precision';
import { accountRiskAssets, accountValueAtRisk, alignHistory, type AccountVarResult, type VarMethod } from '../risk/var/account-var';
import { priceHistory } from '../store/asset.repository';
import type { GraphQLContext } from './context';
import { badInput, DomainError, toDomainError } from './errors';
import { loadAccountSnapshots } from '../snapshot/snapshot.loader';

/** Longest horizon accepted (days). */
export const MAX_VAR_HORIZON_DAYS = 30;
/** History loaded (daily closes). */
export const VAR_HISTORY_DAYS = 366;
/** Fewest scenarios (HISTORICAL: h-day windows; PARAMETRIC: daily returns) a VaR is computed from. */
export const MIN_VAR_OBSERVATIONS = 30;

export interface VarArgs {
  readonly confidence: Decimal;
  readonly horizonDays: number;
  readonly method: VarMethod;
}

export function validateVarArgs(args: VarArgs): void {
  const a = new Decimal(args.confidence);
  if (!a.isFinite() || a.lte('0.5') || a.gte(1)) throw badInput('confidence must be in (0.5, 1), for example "0.99"', 'confidence');
  if (!Number.isInteger(args.horizonDays) || args.horizonDays < 1 || args.horizonDays > MAX_VAR_HORIZON_DAYS) {
    throw badInput(`horizonDays must be an integer from 1 to ${MAX_VAR_HORIZON_DAYS}`, 'horizonDays');
  }
}

export async function accountValueAtRiskFor(ctx: GraphQLContext, accountId: string, args: VarArgs): Promise<AccountVarResult> {
  validateVarArgs(args);
  const loaded = (await loadAccountSnapshots(ctx.snapshot, [accountId], ctx.nowMs)).get(accountId);
  if (!loaded) throw new DomainError('NOT_FOUND', `account ${accountId} not found`);
  const snapshot = loaded.snapshot;
  const assets = accountRiskAssets(snapshot);
  const points = assets.length === 0 ? new Map() : await priceHistory(ctx.snapshot, assets, VAR_HISTORY_DAYS);
  const history = alignHistory(points, assets);
  if (assets.length > 0) {
    const missing = assets.filter((a) => (points.get(a) ?? []).length === 0);
    if (missing.length > 0) throw badInput(`no stored price history for ${missing.join(', ')}`, 'method');
    const observations = history.datesMs.length - (args.method === 'HISTORICAL' ? args.horizonDays : 1);
    if (observations < MIN_VAR_OBSERVATIONS) {
      throw badInput(
        `not enough price history: ${history.datesMs.length} common daily closes give ${Math.max(observations, 0)} observations ` +
          `for a ${args.horizonDays}-day ${args.method} VaR (at least ${MIN_VAR_OBSERVATIONS} needed)`,
        'horizonDays',
      );
    }
  }
  try {
    const result = accountValueAtRisk(snapshot, history, { confidence: args.confidence, horizonDays: args.horizonDays, method: args.method });
    // Reported as every other figure (src/risk/precision.ts): the current value is the engine's exact equity (the
    // revaluation may value options in double precision), losses rounded up, in the valuation asset's decimals.
    const decimals = snapshot.assets[snapshot.valuationAsset]?.decimals ?? DEFAULT_VALUATION_DECIMALS;
    const equity = evaluateAccount(snapshot, { liquidationPrices: 'SKIP', greeks: 'SKIP' }).equity;
    return {
      ...result,
      currentValue: moneyDown(equity, decimals),
      var: moneyUp(result.var, decimals),
      expectedShortfall: moneyUp(result.expectedShortfall, decimals),
    };
  } catch (error) {
    if (error instanceof RiskEngineError) throw toDomainError(error);
    if (error instanceof RangeError) throw badInput(error.message);
    throw error;
  }
}
