/** What every resolver receives: the request's snapshot, loaders, evaluation time and identity. */
import type { Logger } from 'pino';
import type { Database } from '../store/database';
import { ReadSnapshot } from '../store/read-snapshot';
import type { Loaders } from './loaders';
import { createLoaders } from './loaders';
import { createRiskLoader, type RiskLoader } from './risk.loader';
import type { Principal } from './principal';

export interface GraphQLContext {
  readonly requestId: string;
  /** The request's consistent read snapshot (one REPEATABLE READ READ ONLY transaction). */
  readonly snapshot: ReadSnapshot;
  readonly loaders: Loaders;
  /** Engine result per account id, evaluated once per request on the request's snapshot. */
  readonly risk: RiskLoader;
  readonly db: Database;
  /** Evaluation time of the request, epoch ms: every risk figure of one response uses the same instant. */
  readonly nowMs: number;
  readonly logger: Logger;
  /** Who is calling: the API key authenticated by the HTTP layer (src/server/auth.ts). */
  readonly principal: Principal;
  /** Most scenarios one `whatIf` request may evaluate (config WHATIF_MAX_SCENARIOS; default 20). */
  readonly whatIfMaxScenarios?: number;
}

export function createContext(args: {
  db: Database;
  requestId: string;
  logger: Logger;
  nowMs?: number;
  principal: Principal;
  whatIfMaxScenarios?: number;
}): GraphQLContext {
  const snapshot = new ReadSnapshot(args.db.pool);
  const nowMs = args.nowMs ?? Date.now();
  return {
    requestId: args.requestId,
    snapshot,
    loaders: createLoaders(snapshot),
    risk: createRiskLoader(snapshot, nowMs),
    db: args.db,
    nowMs,
    logger: args.logger,
    principal: args.principal,
    whatIfMaxScenarios: args.whatIfMaxScenarios,
  };
}
