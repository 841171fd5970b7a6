/** Apollo Server over the contract in schema.graphql, with error masking and per-request snapshots. */
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { unwrapResolverError } from '@apollo/server/errors';
import { readFileSync } from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { dropRequestState, type GraphQLContext } from '../api/context';
import { DomainError, ERROR_TABLE, toGraphQLError } from '../api/errors';
import { resolvers } from '../api/resolvers';
import { riskOptionsOf } from '../api/risk-mode';
import { isDatabaseUnavailable } from '../store/database';
import { compiledExecutionGateway } from './compiled.executor';

export const SCHEMA_PATH = path.resolve(__dirname, '../../schema.graphql');

export function loadTypeDefs(): string {
  return readFileSync(SCHEMA_PATH, 'utf8');
}

/** Codes that graphql-js and Apollo produce for a client's own mistakes; these pass through unmasked. */
const CLIENT_ERROR_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);
const KNOWN_CODES = new Set(Object.values(ERROR_TABLE).map((row) => row.extensionsCode));

/**
 * The input path graphql-js names in a variable coercion error (`Variable "$scenarios" got invalid value "x" at
 * "scenarios[0].trades[1].size"; …`), so a malformed value reports `extensions.field` like every other bad input.
 */
export function variableField(message: string): string | null {
  const match = /^Variable "\$[^"]+" got invalid value .*? at "([^"]+)"/.exec(message);
  return match ? match[1]! : null;
}

/** A Postgres data exception (SQLSTATE class 22), raised by a value rather than by the statement or the server. */
export function isDataException(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return error instanceof Error && typeof code === 'string' && /^22[0-9A-Z]{3}$/.test(code);
}

/**
 * Domain errors become their table row; client mistakes pass; anything else is logged with its stack and masked.
 * Production additionally drops validation "did you mean" hints (schema hints) from messages.
 */
export function createErrorFormatter(logger: Logger, env: string) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (original instanceof DomainError) {
      const mapped = toGraphQLError(original).toJSON();
      // The HTTP status row is for the transport, not for the client's JSON.
      const { http: _http, ...extensions } = mapped.extensions ?? {};
      return { ...mapped, extensions, path: formatted.path, locations: formatted.locations };
    }
    const code = formatted.extensions?.code;
    // A scalar's own BAD_USER_INPUT thrown while validating a literal is reported under its own code.
    const nested = error instanceof GraphQLError ? (error.originalError as GraphQLError | undefined)?.extensions?.code : undefined;
    if (nested === 'BAD_USER_INPUT') {
      const field = variableField(formatted.message);
      return { ...formatted, extensions: { ...formatted.extensions, code: 'BAD_USER_INPUT', stacktrace: undefined, ...(field ? { field } : {}) } };
    }
    if (typeof code === 'string' && (CLIENT_ERROR_CODES.has(code) || (KNOWN_CODES.has(code) && code !== 'INTERNAL_SERVER_ERROR'))) {
      const message = env === 'production' ? formatted.message.replace(/ Did you mean .*$/, '') : formatted.message;
      const field = code === 'BAD_USER_INPUT' ? variableField(formatted.message) : null;
      return { message, locations: formatted.locations, path: formatted.path, extensions: { code, ...(field ? { field } : {}) } };
    }
    // Apollo's own request errors (a persisted-query hash mismatch, …) carry an HTTP 4xx status and sometimes no
    // code: the client's mistake, passed through with its status and the code BAD_REQUEST.
    const raw = error instanceof GraphQLError ? error.extensions : undefined;
    const httpStatus = (raw?.http as { status?: unknown } | undefined)?.status;
    if (raw !== undefined && raw.code === undefined && typeof httpStatus === 'number' && httpStatus >= 400 && httpStatus < 500) {
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: 'BAD_REQUEST' } };
    }
    // A value Postgres refuses as data (SQLSTATE class 22: a NUL character in text, a number out of range, …) came
    // from the client: BAD_USER_INPUT, nothing was written (the statement failed).
    if (isDataException(original)) {
      logger.info({ sqlstate: (original as { code: string }).code, path: formatted.path }, 'client value refused by the database');
      return { message: `invalid value: ${(original as Error).message}`, path: formatted.path, extensions: { code: 'BAD_USER_INPUT' } };
    }
    // The database went away mid-request (authentication may have been answered from its cache): a clean 503
    // UNAVAILABLE, as when authentication itself cannot reach the database (src/server/auth.ts).
    if (isDatabaseUnavailable(original)) {
      logger.warn({ err: original, path: formatted.path }, 'database unavailable');
      return { message: 'the database is unavailable, retry later', path: formatted.path, extensions: { code: 'UNAVAILABLE' } };
    }
    logger.error({ err: original instanceof Error ? original : new Error(String(original)), path: formatted.path }, 'unexpected error');
    return { message: 'Internal server error', path: formatted.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  };
}

/** Ends the request's read snapshot as soon as the response is ready. */
const releaseSnapshotPlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ contextValue }) {
        await contextValue.snapshot.release();
      },
    };
  },
};

/**
 * Once its response has been sent (`releaseRequest` in src/api/context.ts), Apollo's request context no longer
 * references the request, the GraphQL context or the operation's result.
 *
 * Why: with a gateway (ours runs graphql-jit, src/server/compiled.executor.ts), Apollo hands the executor a context
 * whose `response.http.status` is an accessor pair closing over a copy of the request context. An object literal with
 * accessors gets a map (hidden class) of its own, and V8 allocates maps in its old generation, where a dead one stays
 * until the next full collection: every young-generation collection until then treated its closures as live, and
 * copied, then promoted, everything the request context reached. That copy cannot be reached from here, but the objects
 * it shares can: the response (its body is the result), the request (text, variables, headers) and Apollo's copy of
 * the GraphQL context.
 */
export function detachRequestContext(requestContext: { request: object; response: { body?: unknown } }): void {
  requestContext.response.body = undefined;
  const request = requestContext.request as Record<string, unknown>;
  for (const field of DETACHED_REQUEST_FIELDS) if (field in request) request[field] = undefined;
  const fields = requestContext as unknown as Record<string, unknown>;
  for (const field of DETACHED_FIELDS) if (field in fields) fields[field] = undefined;
}
const DETACHED_REQUEST_FIELDS = ['query', 'variables', 'extensions', 'http'] as const;
const DETACHED_FIELDS = ['request', 'response', 'contextValue', 'errors', 'document', 'operation', 'source', 'metrics'] as const;

const detachRequestContextPlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart(requestContext) {
    const context = requestContext.contextValue; // Apollo's copy of the request's context
    context.afterResponse.push(() => {
      dropRequestState(context);
      detachRequestContext(requestContext);
    });
  },
};

/**
 * Once the operation is known (parsed and validated, before execution): the request's risk loader skips liquidation
 * prices and greeks unless the document selects one of their fields, and accounts are read with their snapshots when it selects
 * risk (src/api/risk-mode.ts).
 */
const riskModePlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async didResolveOperation({ contextValue, document }) {
        const options = riskOptionsOf(document);
        contextValue.riskOptions.liquidationPrices = options.liquidationPrices;
        contextValue.riskOptions.greeks = options.greeks;
        contextValue.riskOptions.prefetchSnapshots = options.prefetchSnapshots;
      },
    };
  },
};

/** A request that failed because the database is unreachable answers HTTP 503 (its errors say UNAVAILABLE). */
const databaseUnavailablePlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async didEncounterErrors({ errors, response }) {
        if (errors.some((e) => isDatabaseUnavailable(unwrapResolverError(e)))) response.http.status = ERROR_TABLE.UNAVAILABLE.httpStatus;
      },
    };
  },
};

/**
 * What Apollo's default cache-control plugin does for this schema, without its per-field hook: the schema declares
 * no cache hints and no resolver sets one, so every response is uncacheable and gets `cache-control: no-store`. The
 * default plugin reached that answer through a `willResolveField` hook on every field of every response (and that
 * hook makes Apollo wrap every resolver); it is disabled below.
 */
const noStorePlugin: ApolloServerPlugin<GraphQLContext> = {
  async requestDidStart() {
    return {
      async willSendResponse({ response }) {
        if (!response.http.headers.has('cache-control')) response.http.headers.set('cache-control', 'no-store');
      },
    };
  },
};

/** Introspection is answered outside production only. */
export function introspectionEnabled(env: string): boolean {
  return env !== 'production';
}

/**
 * Headers that prove a request is not a "simple" cross-site request (a browser must preflight it), so Apollo's CSRF
 * prevention lets GET queries (and non-JSON POSTs) through when one is present: Apollo's own two, and the two that
 * carry the API key (src/server/auth.ts) — every authenticated request has one of those.
 */
export const CSRF_PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight', 'x-api-key', 'authorization'];

/** The executable schema: the contract with its resolvers (one per server; Apollo and the WebSocket server share it). */
export function createSchema(): GraphQLSchema {
  return makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never });
}

export function createApolloServer(args: {
  /** When given, Apollo drains this server on stop (src/server/http.ts drains its own: src/server/drain.ts). */
  httpServer?: http.Server;
  logger: Logger;
  env: string;
  plugins?: ApolloServerPlugin<GraphQLContext>[];
  /** The executable schema (default: a new one from createSchema). */
  schema?: GraphQLSchema;
}): ApolloServer<GraphQLContext> {
  const schema = args.schema ?? createSchema();
  return new ApolloServer<GraphQLContext>({
    // Execution by graphql-jit (src/server/compiled.executor.ts); parsing, validation and plugins stay Apollo's.
    gateway: compiledExecutionGateway(schema),
    introspection: introspectionEnabled(args.env),
    csrfPrevention: { requestHeaders: CSRF_PREFLIGHT_HEADERS },
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT (drain, stop the sweep, close the pool); Apollo's own handlers would race it and
    // leave shutdown hanging outside NODE_ENV=test.
    stopOnTerminationSignals: false,
    formatError: createErrorFormatter(args.logger, args.env),
    plugins: [...(args.httpServer ? [ApolloServerPluginDrainHttpServer({ httpServer: args.httpServer })] : []), detachRequestContextPlugin, releaseSnapshotPlugin, riskModePlugin, databaseUnavailablePlugin, ApolloServerPluginCacheControlDisabled(), ApolloServerPluginLandingPageDisabled(), noStorePlugin, ...(args.plugins ?? [])],
  });
}
