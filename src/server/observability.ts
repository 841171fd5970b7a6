/**
 * Request logs and metrics. One JSON log line per HTTP request (request id, route, status, duration, GraphQL
 * operation name and type, error codes, caller role: never a key or a header value), Prometheus counters and
 * histograms by bounded labels (src/monitoring/metrics.ts), and the /metrics handler.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type express from 'express';
import type { Logger } from 'pino';
import {
  errorCodeLabel,
  graphqlDuration,
  graphqlErrors,
  graphqlRequests,
  httpDuration,
  httpRequests,
  operationLabel,
  registry,
} from '../monitoring/metrics';

const ROUTES = new Set(['/graphql', '/livez', '/readyz', '/metrics']);

export function routeLabel(path: string): string {
  return ROUTES.has(path) ? path : 'other';
}

/** What the GraphQL layer learned about a request, for its log line. */
interface GraphQLRequestInfo {
  operation: string;
  type: string;
  errorCodes: string[];
}

/**
 * GraphQL context → its HTTP response (so the Apollo plugin can annotate the request's log line). Apollo hands
 * plugins a shallow clone of the context, so the key is an object the clone shares: the request's read snapshot.
 */
const responses = new WeakMap<object, express.Response>();

function contextKey(context: object): object {
  const snapshot = (context as { snapshot?: unknown }).snapshot;
  return typeof snapshot === 'object' && snapshot !== null ? snapshot : context;
}

export function bindResponse(context: object, res: express.Response): void {
  responses.set(contextKey(context), res);
}

function errorCodesOf(body: unknown): string[] {
  const errors = (body as { errors?: { extensions?: { code?: unknown } }[] } | null | undefined)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.map((e) => errorCodeLabel(e?.extensions?.code));
}

/**
 * Logs one line per request when its response finishes and counts it. Responses that never reach GraphQL (401,
 * 429, 413, query too complex) still count their error codes, read from the JSON body they send.
 */
export function requestLog(logger: Logger): express.RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const route = routeLabel(req.path);
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode >= 400) res.locals.httpErrorCodes = errorCodesOf(body);
      return json(body);
    };
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
      httpDuration.observe({ route }, seconds);
      const gql = res.locals.graphql as GraphQLRequestInfo | undefined;
      const httpCodes = (res.locals.httpErrorCodes as string[] | undefined) ?? [];
      if (!gql) for (const code of httpCodes) graphqlErrors.inc({ code });
      const principal = res.locals.principal as { role?: string } | undefined;
      const line = {
        requestId: res.locals.requestId as string | undefined,
        method: req.method,
        route,
        status: res.statusCode,
        durationMs: Math.round(seconds * 1e6) / 1e3,
        ...(gql ? { operationName: gql.operation, operationType: gql.type } : {}),
        ...(gql?.errorCodes.length || httpCodes.length ? { errorCodes: gql?.errorCodes.length ? gql.errorCodes : httpCodes } : {}),
        ...(principal?.role ? { role: principal.role } : {}),
      };
      if (route === '/metrics' || route === '/livez' || route === '/readyz') {
        logger.debug(line, 'request');
      } else if (res.statusCode >= 500) {
        logger.warn(line, 'request');
      } else {
        logger.info(line, 'request');
      }
    });
    next();
  };
}

/** Apollo plugin: GraphQL request count and duration by operation, errors by code (as the client sees them). */
export function metricsPlugin<C extends object>(): ApolloServerPlugin<C> {
  return {
    async requestDidStart({ contextValue }) {
      const started = process.hrtime.bigint();
      let operation = 'unknown';
      let type = 'unknown';
      return {
        async didResolveOperation({ operationName, operation: op }) {
          operation = operationLabel(operationName ?? op?.name?.value ?? null);
          type = op?.operation ?? 'unknown';
        },
        async willSendResponse({ response }) {
          const body = response.body.kind === 'single' ? response.body.singleResult : response.body.initialResult;
          const codes = errorCodesOf(body);
          const seconds = Number(process.hrtime.bigint() - started) / 1e9;
          graphqlRequests.inc({ operation, type, outcome: codes.length ? 'error' : 'ok' });
          graphqlDuration.observe({ operation, type }, seconds);
          for (const code of codes) graphqlErrors.inc({ code });
          const key = contextKey(contextValue);
          const res = responses.get(key);
          if (res) res.locals.graphql = { operation, type, errorCodes: codes } satisfies GraphQLRequestInfo;
          // The entry's job is done; deleting it now means the response is not held for as long as the key lives.
          responses.delete(key);
        },
      };
    },
  };
}

/** GET /metrics: Prometheus text format. */
export const metricsHandler: express.RequestHandler = async (_req, res) => {
  res.setHeader('content-type', registry.contentType);
  res.send(await registry.metrics());
};
