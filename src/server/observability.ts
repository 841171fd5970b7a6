/**
 * Request logs and metrics. One JSON log line per HTTP request (pino-http: request id, route, status, duration,
 * GraphQL operation name and type, error codes, caller role: never a key or a header value), Prometheus counters and
 * histograms by bounded labels (src/monitoring/metrics.ts), and the /metrics handler.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type express from 'express';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import pinoHttp from 'pino-http';
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

/** An incoming `x-request-id` is used (and echoed) when it is 1–128 characters of `[A-Za-z0-9._:-]`. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

const PROBE_ROUTES = new Set(['/metrics', '/livez', '/readyz']);

/**
 * The request log (pino-http) and the HTTP metrics. Each request gets its id (the caller's valid `x-request-id`, else
 * a UUID; echoed in the response header, kept in `res.locals.requestId` and bound as `requestId` to `req.log`), and
 * when its response finishes (or the connection closes first) one `request` line: pino-http's `req` (id, method,
 * url), `res` (statusCode) and `responseTime` (ms), plus `requestId`, `route`, `status`, `durationMs`,
 * `operationName`, `operationType`, `errorCodes` and the caller's `role`. Header values are never logged. Probes
 * and scrapes log at debug, 5xx at warn, the rest at info. Responses that never reach GraphQL (401, 429, 413, query
 * too complex) still count their error codes, read from the JSON body they send.
 */
export function requestLog(logger: Logger): express.RequestHandler {
  const fields = (req: express.Request, res: express.Response) => {
    const started = res.locals.startedNs as bigint | undefined;
    const seconds = started === undefined ? 0 : Number(process.hrtime.bigint() - started) / 1e9;
    const gql = res.locals.graphql as GraphQLRequestInfo | undefined;
    const httpCodes = (res.locals.httpErrorCodes as string[] | undefined) ?? [];
    const principal = res.locals.principal as { role?: string } | undefined;
    return {
      method: req.method,
      route: res.locals.route as string,
      status: res.statusCode,
      durationMs: Math.round(seconds * 1e6) / 1e3,
      ...(gql ? { operationName: gql.operation, operationType: gql.type } : {}),
      ...(gql?.errorCodes.length || httpCodes.length ? { errorCodes: gql?.errorCodes.length ? gql.errorCodes : httpCodes } : {}),
      ...(principal?.role ? { role: principal.role } : {}),
    };
  };
  const httpLogger = pinoHttp<express.Request, express.Response>({
    logger,
    genReqId(req, res) {
      const incoming = req.headers['x-request-id'];
      const requestId = typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
      res.setHeader('x-request-id', requestId);
      return requestId;
    },
    // `req.log` carries only the request id; the final line carries the request as well.
    quietReqLogger: true,
    customAttributeKeys: { reqId: 'requestId' },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel(_req, res, error) {
      if (PROBE_ROUTES.has(res.locals.route as string)) return 'debug';
      return error || res.statusCode >= 500 ? 'warn' : 'info';
    },
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request',
    customSuccessObject: (req, res, value: object) => ({ ...value, ...fields(req, res) }),
    customErrorObject: (req, res, _error, value: object) => ({ ...value, ...fields(req, res) }),
  });
  return (req, res, next) => {
    res.locals.startedNs = process.hrtime.bigint();
    // Here, before a mounted router rewrites req.path.
    const route = routeLabel(req.path);
    res.locals.route = route;
    httpLogger(req, res);
    res.locals.requestId = String(req.id);
    const json = res.json.bind(res);
    res.json = (body: unknown) => {
      if (res.statusCode >= 400) res.locals.httpErrorCodes = errorCodesOf(body);
      return json(body);
    };
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - (res.locals.startedNs as bigint)) / 1e9;
      httpRequests.inc({ route, method: req.method, status: String(res.statusCode) });
      httpDuration.observe({ route }, seconds);
      const gql = res.locals.graphql as GraphQLRequestInfo | undefined;
      const httpCodes = (res.locals.httpErrorCodes as string[] | undefined) ?? [];
      if (!gql) for (const code of httpCodes) graphqlErrors.inc({ code });
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
