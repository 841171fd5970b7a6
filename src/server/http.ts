/**
 * HTTP: express 5 with /livez, /readyz and /graphql; graceful shutdown that stops accepting, finishes in-flight
 * requests and then closes the pool.
 */
import { expressMiddleware } from '@as-integrations/express5';
import express from 'express';
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createContext, type GraphQLContext } from '../api/context';
import type { Database } from '../store/database';
import type { Config } from './config';
import { createApolloServer } from './graphql';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;
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

export async function startServer(args: { config: Config; db: Database; logger: Logger; now?: () => number }): Promise<RunningServer> {
  const { config, db, logger } = args;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  let draining = false;

  app.use((req, res, next) => {
    const incoming = req.header('x-request-id');
    const requestId = incoming && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    res.locals.requestId = requestId;
    res.setHeader('x-request-id', requestId);
    next();
  });

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

  const apollo = createApolloServer({ httpServer, logger, env: config.env });
  await apollo.start();
  app.use(
    '/graphql',
    express.json({ limit: config.maxBodyBytes }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GraphQLContext> => {
        const requestId = String(res.locals.requestId);
        const ctx = createContext({ db, requestId, logger: logger.child({ requestId }), nowMs: args.now?.() });
        res.once('close', () => void ctx.snapshot.release());
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
        // apollo.stop() drains the HTTP server: stops accepting, waits for in-flight requests, then closes idle
        // keep-alive connections.
        stopping = apollo.stop();
      }
      return stopping;
    },
  };
}
