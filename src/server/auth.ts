/**
 * HTTP-level access control for /graphql: API key authentication (401) and per-key rate limiting (429), before
 * the body is even parsed. The authenticated principal is left in `res.locals.principal` for the GraphQL context.
 */
import type express from 'express';
import type { Logger } from 'pino';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { ERROR_TABLE, type ErrorCode } from '../api/errors';
import type { Principal } from '../api/principal';
import { hashApiKey, touchApiKey, verifyApiKey } from '../store/api-key.repository';
import { apiKeyCacheFor } from './api-key-cache';
import type { Database } from '../store/database';
import type { RateLimiters } from './rate-limits';

/** The client address failed authentications are counted by (the socket's peer; express's `trust proxy` applies). */
function clientAddress(req: express.Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

function retryAfter(res: express.Response, ms: number): void {
  res.setHeader('retry-after', String(Math.max(1, Math.ceil(ms / 1000))));
}

/** `x-api-key: <key>` or `Authorization: Bearer <key>`; null when neither is present. */
export function presentedKey(req: express.Request): string | null {
  return keyOfHeaders(req.header('x-api-key'), req.header('authorization'));
}

function principalOf(record: { id: string; role: Principal['role']; brokerId: string | null; label: string }): Principal {
  return { apiKeyId: record.id, role: record.role, brokerId: record.brokerId, label: record.label };
}

/**
 * The principal of a presented key, through the same verification cache as HTTP requests (src/server/api-key-cache.ts);
 * null when the key is unknown or revoked. For transports outside express (WebSocket subscriptions).
 */
export async function principalOfKey(db: Database, key: string): Promise<Principal | null> {
  const cache = apiKeyCacheFor(db);
  const hash = hashApiKey(key);
  const cached = cache.get(hash);
  if (cached !== null) return cached;
  const record = await verifyApiKey(db.pool, key);
  if (!record) return null;
  const principal = principalOf(record);
  cache.set(hash, principal);
  return principal;
}

/** The key of a header pair (`x-api-key: <key>` or `authorization: Bearer <key>`); null when neither holds one. */
export function keyOfHeaders(apiKey: unknown, authorization: unknown): string | null {
  if (typeof apiKey === 'string' && apiKey.trim()) return apiKey.trim();
  const bearer = typeof authorization === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
  return bearer ? bearer[1]! : null;
}

/** A GraphQL-shaped error answered by the HTTP layer, with the status of the error table. */
function sendError(res: express.Response, code: ErrorCode, message: string): void {
  const row = ERROR_TABLE[code];
  res.status(row.httpStatus).json({ errors: [{ message, extensions: { code: row.extensionsCode } }] });
}

/** Per-process throttle of last_used_at writes: at most one UPDATE per key per minute (an optimization only). */
const TOUCH_INTERVAL_MS = 60_000;

/**
 * API key authentication. A missing or invalid key counts as a failed authentication of the client address; an
 * address past its limit (AUTH_FAILURE_LIMIT per AUTH_FAILURE_DURATION_S) is answered 429 RATE_LIMITED without any
 * key lookup until its window ends, so guessing keys costs the database nothing.
 */
export function authenticate(db: Database, logger: Logger, limiters?: RateLimiters): express.RequestHandler {
  const touched = new Map<string, number>();
  const cache = apiKeyCacheFor(db);
  const failures = limiters?.authFailures;
  const failureLimit = limiters?.options.authFailures ?? Infinity;
  const failed = (req: express.Request): void => {
    if (failures) void failures.consume(clientAddress(req), 1).catch(() => undefined);
  };
  return async (req, res, next) => {
    try {
      const key = presentedKey(req);
      // A key verified in the last few seconds is not looked up again (src/server/api-key-cache.ts: revocation
      // through this process is immediate, through another replica within API_KEY_CACHE_TTL_MS).
      const hash = key ? hashApiKey(key) : null;
      let principal = hash ? cache.get(hash) : null;
      if (principal === null) {
        // Only a request that needs a lookup is checked against its address's failures.
        if (failures) {
          const state = await failures.get(clientAddress(req));
          if (state !== null && state.consumedPoints >= failureLimit) {
            retryAfter(res, state.msBeforeNext);
            sendError(res, 'RATE_LIMITED', 'too many failed authentications from this address; retry later');
            return;
          }
        }
        if (!key) {
          failed(req);
          res.setHeader('www-authenticate', 'Bearer realm="margin-risk-api"');
          sendError(res, 'UNAUTHENTICATED', 'an API key is required (header x-api-key or Authorization: Bearer)');
          return;
        }
        const record = await verifyApiKey(db.pool, key);
        if (!record) {
          failed(req);
          res.setHeader('www-authenticate', 'Bearer realm="margin-risk-api", error="invalid_token"');
          sendError(res, 'UNAUTHENTICATED', 'invalid or revoked API key');
          return;
        }
        principal = principalOf(record);
        cache.set(hash!, principal);
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
 * Rate limit per API key: `requests` points per window (src/server/rate-limits.ts: per process, or shared by every
 * replica with RATE_LIMIT_STORE=postgres).
 */
export function rateLimit(limiters: RateLimiters): express.RequestHandler {
  const limiter = limiters.requests;
  const options = { points: limiters.options.requestPoints, durationS: limiters.options.durationS };
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
        retryAfter(res, rejection.msBeforeNext);
        res.setHeader('x-ratelimit-limit', String(options.points));
        res.setHeader('x-ratelimit-remaining', '0');
        sendError(res, 'RATE_LIMITED', `rate limit of ${options.points} requests per ${options.durationS}s exceeded for this API key`);
        return;
      }
      next(rejection);
    }
  };
}
