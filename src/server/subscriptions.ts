/**
 * GraphQL subscriptions over WebSocket (the graphql-ws protocol, which Apollo Client, urql and Relay speak) on the
 * HTTP server's own port and path (/graphql).
 *
 * - Authentication: the connection_init payload (`connectionParams`) carries `x-api-key` or `authorization: Bearer
 *   <key>`, verified like an HTTP request's header (same cache, src/server/auth.ts). A missing key closes the socket
 *   with 4401 "an API key is required …", an unknown or revoked one with 4401 "invalid or revoked API key". Every
 *   subscribe re-verifies the key (a key revoked meanwhile is refused with 4401 within the cache's TTL).
 * - Limits: each subscribe counts as one request of the key's rate limit (429 → an error message RATE_LIMITED), and
 *   its document is held to the HTTP path's depth, alias and cost limits (QUERY_TOO_COMPLEX).
 * - Errors are formatted by the HTTP path's formatter (domain codes, masking).
 * - Shutdown: `close()` completes every subscription (listeners removed) and closes every socket with 1001.
 */
import { GraphQLError, type ExecutionArgs, type GraphQLSchema, parse, validate, getOperationAST } from 'graphql';
import type http from 'node:http';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { Logger } from 'pino';
// The package's `use/ws` entry is an exports-map path, which this project's module resolution (node10) cannot see:
// the types come from its file, the code through the exports map at run time.
import type { useServer as UseServer } from 'graphql-ws/dist/use/ws';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { useServer } = require('graphql-ws/use/ws') as { useServer: typeof UseServer };
import { WebSocketServer } from 'ws';
import { createContext, type GraphQLContext } from '../api/context';
import { ERROR_TABLE } from '../api/errors';
import type { Principal } from '../api/principal';
import type { PushHub } from '../api/push';
import type { Database } from '../store/database';
import { keyOfHeaders, principalOfKey } from './auth';
import type { Config } from './config';
import { createErrorFormatter } from './graphql';
import { operationLimitError } from './limits';
import type { RateLimiters } from './rate-limits';
import { forgetApiKey } from './api-key-cache';

/** Close code of a refused authentication (graphql-ws uses 4400–4499 for the client's mistakes). */
export const CLOSE_UNAUTHORIZED = 4401;
/** Close code of a server going away (RFC 6455). */
export const CLOSE_GOING_AWAY = 1001;
/** How long shutdown waits for clients to answer the close handshake (ms). */
const CLOSE_GRACE_MS = 1_000;

export interface SubscriptionServer {
  /** Open WebSocket connections. */
  connections(): number;
  close(): Promise<void>;
}

interface Extra {
  principal?: Principal;
  key?: string;
  /** The context of each open subscription of the connection, by subscription id (its snapshot ends on complete). */
  operations: Map<string, GraphQLContext>;
}

export function startSubscriptionServer(args: {
  httpServer: http.Server;
  schema: GraphQLSchema;
  db: Database;
  logger: Logger;
  config: Config;
  hub: PushHub;
  limiters: RateLimiters;
}): SubscriptionServer {
  const { db, logger, config, hub, limiters, schema } = args;
  const wss = new WebSocketServer({ server: args.httpServer, path: '/graphql', maxPayload: config.maxBodyBytes });
  const format = createErrorFormatter(logger, config.env);
  const contexts = new WeakMap<object, Extra>();
  const refuse = (socket: { close(code: number, reason: string): void }, reason: string): false => {
    socket.close(CLOSE_UNAUTHORIZED, reason);
    return false;
  };
  const server = useServer<Record<string, unknown> | undefined, { socket: import('ws').WebSocket; request: http.IncomingMessage }>(
    {
      schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const key = keyOfHeaders(params['x-api-key'], params['authorization'] ?? params['Authorization']);
        if (!key) return refuse(ctx.extra.socket, 'an API key is required (connectionParams x-api-key or authorization: Bearer)');
        const principal = await principalOfKey(db, key);
        if (!principal) return refuse(ctx.extra.socket, 'invalid or revoked API key');
        contexts.set(ctx.extra, { principal, key, operations: new Map() });
        return true;
      },
      onSubscribe: async (ctx, _id, payload): Promise<ExecutionArgs | readonly GraphQLError[]> => {
        const extra = contexts.get(ctx.extra);
        const principal = extra?.key ? await principalOfKey(db, extra.key) : null;
        if (!principal) {
          refuse(ctx.extra.socket, 'invalid or revoked API key');
          return [new GraphQLError('invalid or revoked API key', { extensions: { code: 'UNAUTHENTICATED' } })];
        }
        try {
          await limiters.requests.consume(principal.apiKeyId, 1);
        } catch (rejection) {
          if (!(rejection instanceof RateLimiterRes)) throw rejection;
          return [new GraphQLError(`rate limit of ${limiters.options.requestPoints} requests per ${limiters.options.durationS}s exceeded for this API key`, { extensions: { code: ERROR_TABLE.RATE_LIMITED.extensionsCode } })];
        }
        let document;
        try {
          document = parse(payload.query, { maxTokens: 20_000 });
        } catch (error) {
          return [new GraphQLError((error as Error).message, { extensions: { code: 'GRAPHQL_PARSE_FAILED' } })];
        }
        const invalid = validate(schema, document);
        if (invalid.length > 0) return invalid.map((e) => new GraphQLError(e.message, { nodes: e.nodes, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }));
        const variables = payload.variables ?? {};
        const operationName = payload.operationName ?? undefined;
        const limit = operationLimitError(schema, document, operationName, variables, {
          maxDepth: config.queryMaxDepth,
          maxAliases: config.queryMaxAliases,
          maxCost: config.queryMaxCost,
        });
        if (limit) return [limit];
        const operation = getOperationAST(document, operationName);
        if (operation?.operation !== 'subscription') {
          return [new GraphQLError('only subscriptions are served over WebSocket; send queries and mutations over HTTP', { extensions: { code: 'BAD_REQUEST' } })];
        }
        const contextValue: GraphQLContext = createContext({
          db,
          requestId: `ws-${_id}`,
          logger,
          principal,
          push: hub,
          ratioThresholds: config.riskEventRatioThresholds,
          onApiKeyRevoked: (apiKeyId) => forgetApiKey(db, apiKeyId),
        });
        extra?.operations.set(_id, contextValue);
        return { schema, document, variableValues: variables, operationName, contextValue };
      },
      onNext: (_ctx, _id, _payload, execArgs, result) => {
        const errors = result.errors?.map((e) => format(e.toJSON ? e.toJSON() : e, e));
        // Each message's snapshot ends once it is formatted (the next message opens its own: renewRequestState).
        void (execArgs.contextValue as GraphQLContext).snapshot?.release();
        return errors ? { ...result, errors } : undefined;
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((e) => format(e.toJSON(), e)) as never,
      // Completed by the client, by the server, or by the socket closing (graphql-ws completes every open
      // subscription then): the subscription's snapshot ends, so no pooled connection outlives its subscriber.
      onComplete: (ctx, id) => {
        const operations = contexts.get(ctx.extra)?.operations;
        const context = operations?.get(id);
        operations?.delete(id);
        void context?.snapshot?.release();
      },
    },
    wss,
  );
  return {
    connections: () => wss.clients.size,
    async close() {
      hub.close();
      for (const socket of wss.clients) socket.close(CLOSE_GOING_AWAY, 'server shutting down');
      // A client that does not answer the close handshake is cut after CLOSE_GRACE_MS.
      await Promise.race([server.dispose(), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS).unref())]);
      for (const socket of wss.clients) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}
