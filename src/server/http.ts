/**
 * HTTP: express 5 with /livez, /readyz, /metrics, /graphql and (outside production) /graphiql; graceful shutdown that
 * stops accepting, finishes in-flight requests and then closes the pool.
 */
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createContext, releaseRequest, type GraphQLContext } from '../api/context';
import { forgetApiKey } from './api-key-cache';
import type { Database } from '../store/database';
import type { Config } from './config';
import { authenticate, rateLimit } from './auth';
import { httpDrain } from './drain';
import { createRateLimiters } from './rate-limits';
import { createApolloServer, createSchema, introspectionEnabled } from './graphql';
import { startSubscriptionServer, type SubscriptionServer } from './subscriptions';
import { createPushHub } from '../api/push';
import type { NotificationBus } from '../store/notification-bus';
import { costLimitPlugin, queryShapeGuard } from './limits';
import { graphiqlRouter } from './graphiql';
import { trackAccountsByStatus, trackOldestEvaluation, trackPool } from '../monitoring/metrics';
import { bindResponse, metricsHandler, metricsPlugin, requestLog } from './observability';

const READINESS_TIMEOUT_MS = 2_000;

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly httpServer: http.Server;
  /** True once shutdown began: /readyz answers 503 so load balancers stop sending traffic. */
  isDraining(): boolean;
  stop(): Promise<void>;
}

async function databaseReachable(db: Database): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timeout')), READINESS_TIMEOUT_MS);
    });
    await Promise.race([db.pool.query('SELECT 1'), timeout]);
    return true;
  } catch {
    return false;
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * The HTTP server of an express app, whose requests and responses are constructed with express's prototypes.
 *
 * Express 5 re-parents every request and response (`Object.setPrototypeOf(req, app.request)` in `app.handle`). An
 * object whose prototype changes after construction makes V8's young-generation collector keep the garbage of every
 * request that follows: each scavenge promotes to the old generation what it should have freed, and the pauses grow
 * with the load (the other such source is Apollo's per-request context: `detachRequestContext` in
 * src/server/graphql.ts).
 * Here node constructs them from classes whose prototypes ARE `app.request` / `app.response` (they inherit express's
 * request and response methods, and `req.app`), so express's `setPrototypeOf` finds the prototype already in place
 * and changes nothing.
 */
export function createHttpServer(app: express.Express): http.Server {
  class AppRequest extends http.IncomingMessage {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  app.request = AppRequest.prototype as typeof app.request;
  class AppResponse extends http.ServerResponse {}
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  app.response = AppResponse.prototype as typeof app.response;
  return http.createServer({ IncomingMessage: AppRequest, ServerResponse: AppResponse }, app);
}

export async function startServer(args: {
  config: Config;
  db: Database;
  logger: Logger;
  now?: () => number;
  /** This process's notification listener: with it, subscriptions are served over WebSocket on /graphql. */
  bus?: NotificationBus;
}): Promise<RunningServer> {
  const { config, db, logger } = args;
  const app = express();
  app.disable('x-powered-by');
  // No ETag: express would hash every response body (SHA-1) to build one, and no GraphQL response can use it: POST
  // responses are never answered 304, and every GraphQL response is `cache-control: no-store` (src/server/graphql.ts).
  app.set('etag', false);
  const httpServer = createHttpServer(app);
  const drain = httpDrain(httpServer);
  let draining = false;

  // The request id (x-request-id), one structured log line (pino-http) and the HTTP metrics per request.
  app.use(requestLog(logger));
  const untrackPool = trackPool(db.pool);
  const untrackStatuses = trackAccountsByStatus(db.pool);
  const untrackOldest = trackOldestEvaluation(db.pool);
  // Prometheus text format; bounded labels only (no account ids, no keys).
  app.get('/metrics', metricsHandler);

  app.get('/livez', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    if (draining) {
      res.status(503).json({ status: 'draining' });
      return;
    }
    const ok = await databaseReachable(db);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'database unreachable' });
  });

  const limiters = await createRateLimiters(db, {
    store: config.rateLimitStore,
    requestPoints: config.rateLimitPoints,
    costPoints: config.rateLimitCostPoints,
    durationS: config.rateLimitDurationS,
    authFailures: config.authFailureLimit,
    authFailureDurationS: config.authFailureDurationS,
  });
  const schema = createSchema();
  const apollo = createApolloServer({
    schema,
    logger,
    env: config.env,
    plugins: [costLimitPlugin<GraphQLContext>(config.queryMaxCost, limiters), metricsPlugin<GraphQLContext>()],
  });
  await apollo.start();
  // GraphiQL for browsers, outside production (src/server/graphiql.ts); before authentication, which a page needs none
  // of: every request the page itself makes carries the key typed into it.
  const graphiql = introspectionEnabled(config.env) ? graphiqlRouter() : null;
  if (graphiql) app.use(graphiql);
  app.use(
    '/graphql',
    // Who is calling (401) and how often (429), before the body is read.
    authenticate(db, logger, limiters),
    rateLimit(limiters),
    express.json({ limit: config.maxBodyBytes }),
    queryShapeGuard({ maxDepth: config.queryMaxDepth, maxAliases: config.queryMaxAliases, introspection: introspectionEnabled(config.env) }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GraphQLContext> => {
        const requestId = String(res.locals.requestId);
        const ctx = createContext({
          db,
          requestId,
          logger: logger.child({ requestId }),
          nowMs: args.now?.(),
          principal: res.locals.principal,
          whatIfMaxScenarios: config.whatIfMaxScenarios,
          ratioThresholds: config.riskEventRatioThresholds,
          onApiKeyRevoked: (apiKeyId) => forgetApiKey(db, apiKeyId),
          webhookPolicy: { allowHttpLoopback: config.webhookAllowHttpLoopback },
        });
        res.once('close', () => releaseRequest(ctx, res.writableFinished ? 'SENT' : 'ABORTED'));
        bindResponse(ctx, res);
        void req;
        return ctx;
      },
    }),
  );
  // Body too large or malformed JSON: a clear client error, never a stack trace.
  app.use((error: Error & { status?: number; type?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
    const status = error.status && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error }, 'unhandled http error');
    const code = status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 500 ? 'INTERNAL_SERVER_ERROR' : 'BAD_REQUEST';
    res.status(status).json({ errors: [{ message: status === 500 ? 'Internal server error' : error.message, extensions: { code } }] });
  });

  // Subscriptions over WebSocket on the same server and path (src/server/subscriptions.ts).
  let subscriptions: SubscriptionServer | null = null;
  if (args.bus) {
    const hub = await createPushHub(args.bus, db.pool, logger);
    subscriptions = startSubscriptionServer({ httpServer, schema, db, logger, config, hub, limiters });
  }

  await new Promise<void>((resolve) => httpServer.listen(config.port, config.host, resolve));
  const port = (httpServer.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;
  let stopping: Promise<void> | null = null;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    httpServer,
    isDraining: () => draining,
    stop() {
      if (!stopping) {
        draining = true;
        // /readyz answers 503 from now on; during the drain delay requests are still served (each answer with
        // Connection: close, so clients reconnect elsewhere), giving a load balancer time to stop routing here.
        drain.beginDrain();
        const delay = config.shutdownDrainDelayMs ?? 0;
        const wait = delay > 0 ? new Promise<void>((resolve) => setTimeout(resolve, delay)) : Promise.resolve();
        // Then the listener closes: idle connections are refused, in-flight requests answered (src/server/drain.ts),
        // and Apollo stops.
        // Subscriptions end (every listener removed, sockets closed with 1001) before the listener closes.
        stopping = wait
          .then(() => subscriptions?.close())
          .then(() => drain.close(config.shutdownTimeoutMs))
          .then(() => apollo.stop())
          .finally(() => {
            untrackPool();
            untrackStatuses();
            untrackOldest();
          });
      }
      return stopping;
    },
  };
}
