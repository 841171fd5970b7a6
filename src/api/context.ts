/** What every resolver receives: the request's snapshot, loaders, evaluation time and identity. */
import type Decimal from 'decimal.js';
import type { Logger } from 'pino';
import type { Database } from '../store/database';
import { ReadSnapshot } from '../store/read-snapshot';
import type { Loaders } from './loaders';
import { createLoaders } from './loaders';
import { createRiskLoader, type RiskLoader } from './risk.loader';
import type { Principal } from './principal';
import type { RiskOptions } from './risk-mode';
import type { PushHub } from './push';
import type { TargetPolicy } from '../monitoring/webhook-target';

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
  /** Margin-ratio thresholds whose crossing records a risk event (config RISK_EVENT_RATIO_THRESHOLDS); default when absent. */
  readonly ratioThresholds?: readonly Decimal[];
  /**
   * Run by `releaseRequest` once the response has been sent: the GraphQL layer lets go of the request there (see
   * `detachRequestContext` in src/server/graphql.ts).
   */
  readonly afterResponse: (() => void)[];
  /**
   * Told the id of an API key whose revocation has committed (or was replayed): the server injects its
   * authentication cache's `forget` (src/server/api-key-cache.ts), so the key stops working in this process at once.
   */
  readonly onApiKeyRevoked: (apiKeyId: string) => void;
  /** Subscription fan-out of this process (src/api/push.ts); absent where subscriptions are not served. */
  readonly push?: PushHub;
  /** Where webhooks may point (the SSRF guard's policy; config WEBHOOK_ALLOW_HTTP_LOOPBACK). */
  readonly webhookPolicy: TargetPolicy;
}

export function createContext(args: {
  db: Database;
  requestId: string;
  logger: Logger;
  nowMs?: number;
  principal: Principal;
  whatIfMaxScenarios?: number;
  ratioThresholds?: readonly Decimal[];
  onApiKeyRevoked?: (apiKeyId: string) => void;
  push?: PushHub;
  webhookPolicy?: TargetPolicy;
}): GraphQLContext {
  const snapshot = new ReadSnapshot(args.db.pool);
  const nowMs = args.nowMs ?? Date.now();
  const riskOptions: RiskOptions = { liquidationPrices: 'COMPUTE', greeks: 'COMPUTE', prefetchSnapshots: false };
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
    ratioThresholds: args.ratioThresholds,
    afterResponse: [],
    onApiKeyRevoked: args.onApiKeyRevoked ?? (() => undefined),
    push: args.push,
    webhookPolicy: args.webhookPolicy ?? { allowHttpLoopback: false },
  };
}

/**
 * A subscription's context before each message: the previous message's snapshot ends and a fresh snapshot, loaders
 * and engine results take its place, so every message reads the database as it is now.
 */
export function renewRequestState(ctx: GraphQLContext): void {
  const state = ctx as unknown as { -readonly [K in 'snapshot' | 'loaders' | 'risk' | 'nowMs']: GraphQLContext[K] };
  void ctx.snapshot?.release();
  const snapshot = new ReadSnapshot(ctx.db.pool);
  state.nowMs = Date.now();
  const loaders = createLoaders(snapshot, { nowMs: state.nowMs, riskOptions: ctx.riskOptions });
  state.snapshot = snapshot;
  state.loaders = loaders;
  state.risk = createRiskLoader(loaders.snapshot, ctx.riskOptions);
}

/** What a request holds that it no longer needs once its response has been sent. */
const REQUEST_STATE = ['snapshot', 'loaders', 'risk', 'logger'] as const;
type ReleasedContext = { -readonly [K in (typeof REQUEST_STATE)[number]]: GraphQLContext[K] | null };

/**
 * Ends a request (src/server/http.ts, when its connection reports the response closed): ends its read snapshot and
 * drops its cached reads and engine results (every loader's cache). Once the response has been sent (`SENT`) it also
 * runs the request's `afterResponse` work and lets go of its snapshot, loaders, engine results and logger, so that an object that outlives the
 * request and still references this context holds nothing the request read or computed (a later access fails loudly
 * instead of reading stale state).
 *
 * Why it matters: Apollo keeps references to the context from objects that V8 holds in its old generation until its
 * next full collection (`detachRequestContext` in src/server/graphql.ts). Every young-generation collection in between
 * treats those references as live, so it copied, then promoted, everything the context reached, and its pauses grew
 * with it; once released, the context reaches nothing of the request.
 * `ABORTED` (the connection closed before the response was written): the request may still be running, so only its
 * snapshot and caches go.
 */
export function releaseRequest(ctx: GraphQLContext, outcome: 'SENT' | 'ABORTED'): void {
  if (ctx.snapshot === null) return; // released already
  for (const loader of Object.values(ctx.loaders)) loader.clearAll();
  ctx.risk.clearAll();
  void ctx.snapshot.release();
  if (outcome === 'ABORTED') return;
  for (const release of ctx.afterResponse.splice(0)) release();
  dropRequestState(ctx);
}

/**
 * Lets go of the request's snapshot, loaders, engine results and logger in `ctx`: a context, or a copy of one (Apollo
 * hands its plugins and resolvers a shallow copy). Only once the response has been sent (`releaseRequest`).
 */
export function dropRequestState(ctx: GraphQLContext): void {
  const released = ctx as unknown as ReleasedContext;
  for (const field of REQUEST_STATE) released[field] = null;
}
