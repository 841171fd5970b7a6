/** What every resolver receives: the request's snapshot, loaders, evaluation time and identity. */
import type { Logger } from 'pino';
import type { Database } from '../store/database';
import { ReadSnapshot } from '../store/read-snapshot';
import type { Loaders } from './loaders';
import { createLoaders } from './loaders';
import { createRiskLoader, type RiskLoader } from './risk.loader';
import type { Principal } from './principal';
import type { RiskOptions } from './risk-mode';

export interface GraphQLContext {
  readonly requestId: string;
  /** The request's consistent read snapshot (one REPEATABLE READ READ ONLY transaction). */
  readonly snapshot: ReadSnapshot;
  readonly loaders: Loaders;
  /** Engine result per account id, evaluated once per request on the request's snapshot. */
  readonly risk: RiskLoader;
  /**
   * Mode of `risk`'s evaluations: COMPUTE until the operation is known; the risk mode plugin (src/server/graphql.ts)
   * sets SKIP when the document selects no liquidation-price field (src/api/risk-mode.ts).
   */
  readonly riskOptions: RiskOptions;
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
  const riskOptions: RiskOptions = { liquidationPrices: 'COMPUTE', prefetchSnapshots: false };
  const loaders = createLoaders(snapshot, { nowMs, riskOptions });
  return {
    requestId: args.requestId,
    snapshot,
    loaders,
    risk: createRiskLoader(loaders.snapshot, riskOptions),
    riskOptions,
    db: args.db,
    nowMs,
    logger: args.logger,
    principal: args.principal,
    whatIfMaxScenarios: args.whatIfMaxScenarios,
  };
}

/**
 * Drops the request's cached reads and engine results (every loader's cache) once its response has been sent. The
 * context itself may outlive the request: Apollo's gateway request context keeps a reference to it through closures
 * that V8 holds from old space until the next full collection, so every young-generation collection in between copied
 * and then promoted everything the context reached (about a fifth of all the bytes a request allocated). Dropping the
 * caches brought that to about a sixth (README, Benchmarks); DataLoader's last batch still holds its results.
 */
export function releaseRequestCaches(ctx: GraphQLContext): void {
  for (const loader of Object.values(ctx.loaders)) loader.clearAll();
  ctx.risk.clearAll();
}
