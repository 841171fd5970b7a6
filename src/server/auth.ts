/**
 * HTTP-level access control for /graphql: API key authentication (401) and per-key rate limiting (429), before
 * the body is even parsed. The authenticated principal is left in `res.locals.principal` for the GraphQL context.
 */
import type express from 'express';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { ERROR_TABLE, type ErrorCode } from '../api/errors';
import type { Principal } from '../api/principal';
import { hashApiKey, touchApiKey, verifyApiKey } from '../store/api-key.repository';
import { apiKeyCacheFor } from './api-key-cache';
import type { Database } from '../store/database';

/** `x-api-key: <key>` or `Authorization: Bearer <key>`; null when neither is present. */
export function presentedKey(req: express.Request): string | null {
  const header = req.header('x-api-key');
  if (header && header.trim()) return header.trim();
  const authorization = req.header('authorization');
  const bearer = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return bearer ? bearer[1]! : null;
}

/** A GraphQL-shaped error answered by the HTTP layer, with the status of the error table. */
function sendError(res: express.Response, code: ErrorCode, message: string): void {
  const row = ERROR_TABLE[code];
  res.status(row.httpStatus).json({ errors: [{ message, extensions: { code: row.extensionsCode } }] });
}

/** Per-process throttle of last_used_at writes: at most one UPDATE per key per minute (an optimization only). */
const TOUCH_INTERVAL_MS = 60_000;

export function authenticate(db: Database, logger: Logger): express.RequestHandler {
  const touched = new Map<string, number>();
  const cache = apiKeyCacheFor(db);
  return async (req, res, next) => {
    const key = presentedKey(req);
    if (!key) {
      res.setHeader('www-authenticate', 'Bearer realm="margin-risk-api"');
      sendError(res, 'UNAUTHENTICATED', 'an API key is required (header x-api-key or Authorization: Bearer)');
      return;
    }
    try {
      // A key verified in the last few seconds is not looked up again (src/server/api-key-cache.ts: revocation
      // through this process is immediate, through another replica within API_KEY_CACHE_TTL_MS).
      const hash = hashApiKey(key);
      let principal = cache.get(hash);
      if (principal === null) {
        const record = await verifyApiKey(db.pool, key);
        if (!record) {
          res.setHeader('www-authenticate', 'Bearer realm="margin-risk-api", error="invalid_token"');
          sendError(res, 'UNAUTHENTICATED', 'invalid or revoked API key');
          return;
        }
        principal = { apiKeyId: record.id, role: record.role, brokerId: record.brokerId, label: record.label };
        cache.set(hash, principal);
      }
      res.locals.principal = principal;
      const now = Date.now();
      if ((touched.get(principal.apiKeyId) ?? 0) + TOUCH_INTERVAL_MS < now) {
        touched.set(principal.apiKeyId, now);
        void touchApiKey(db.pool, principal.apiKeyId).catch(() => undefined);
      }
      next();
    } catch (error) {
      logger.error({ err: error }, 'API key verification failed');
      sendError(res, 'UNAVAILABLE', 'authentication is unavailable, retry later');
    }
  };
}

/**
 * Rate limit per API key: `points` requests per `durationS` seconds.
 * In-memory, per process: with N replicas a key gets up to N × points. A multi-replica deployment swaps
 * RateLimiterMemory for rate-limiter-flexible's RateLimiterPostgres (over the same pool) or RateLimiterRedis, which
 * share one counter per key across replicas; the middleware stays the same.
 */
export function rateLimit(options: { points: number; durationS: number }): express.RequestHandler {
  const limiter = new RateLimiterMemory({ points: options.points, duration: options.durationS, keyPrefix: 'graphql' });
  return async (_req, res, next) => {
    const principal = res.locals.principal as Principal | undefined;
    if (!principal) {
      next();
      return;
    }
    try {
      const result = await limiter.consume(principal.apiKeyId, 1);
      res.setHeader('x-ratelimit-limit', String(options.points));
      res.setHeader('x-ratelimit-remaining', String(result.remainingPoints));
      next();
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        res.setHeader('retry-after', String(Math.max(1, Math.ceil(rejection.msBeforeNext / 1000))));
        res.setHeader('x-ratelimit-limit', String(options.points));
        res.setHeader('x-ratelimit-remaining', '0');
        sendError(res, 'RATE_LIMITED', `rate limit of ${options.points} requests per ${options.durationS}s exceeded for this API key`);
        return;
      }
      next(rejection);
    }
  };
}
