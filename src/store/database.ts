/**
 * One shared `pg` Pool for the process: Prisma Client runs over it through @prisma/adapter-pg, and raw SQL (the
 * migration runner, snapshot loading, sweeps) uses the same pool.
 */
import { PrismaPg } from '@prisma/adapter-pg';
import { Pool, types, type PoolClient } from 'pg';
import { PrismaClient } from '../generated/prisma/client';

// NUMERIC (oid 1700) stays a string in raw SQL results: money never passes through a JS number.
types.setTypeParser(1700, (value) => value);

/** Socket-level and server-shutdown errors: the database cannot be reached (as opposed to a failing statement). */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03']);

/**
 * True when `error` says the database is unreachable (connection refused or lost, server shutting down, pool
 * connect timeout; SQLSTATE class 08 connection exceptions): the API answers 503 UNAVAILABLE for it.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (UNAVAILABLE_CODES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connection error/i.test(error.message);
}

export interface Database {
  readonly pool: Pool;
  readonly prisma: PrismaClient;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  url: string;
  maxConnections?: number;
  /** Called for every SQL statement sent (tests count statements to prove there is no N+1). */
  onQuery?: (sql: string) => void;
  /** Called when a connection (idle or checked out) fails; the process carries on and the pool recovers. */
  onConnectionError?: (error: Error) => void;
}

/** Longest wait in close() for open connections to end after the pool was asked to end them. */
const CLOSE_WAIT_MS = 5_000;

/**
 * pg-pool attaches the idle client to the error it emits (`err.client`); that object (its connection parameters, its
 * socket) must not reach a log line: the error is passed on without it.
 */
function withoutClient(error: Error): Error {
  if ('client' in error) delete (error as { client?: unknown }).client;
  return error;
}

export function createDatabase(options: DatabaseOptions): Database {
  const pool = new Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 20,
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 30_000,
  });
  // A pooled connection that errors while idle (the database went away) must not crash the process: the pool
  // drops it and opens a fresh one on the next checkout.
  pool.on('error', (error) => options.onConnectionError?.(withoutClient(error)));
  // A connection that errors while checked out (backend terminated, server stopped, socket reset) emits 'error' on
  // its client, which the pool only listens to while the client is idle: without a listener of its own, that event
  // is unhandled and ends the process. Every client gets one for its whole life; the query in flight rejects with the
  // same error (answered 503 UNAVAILABLE), and the holder releases the client as broken so the pool discards it.
  // Open connections, so that close() returns once every one of them has ended (pool.end() resolves when it has
  // asked them to: a database stopped right after it would terminate connections still closing).
  const open = new Set<PoolClient>();
  pool.on('connect', (client) => {
    open.add(client);
    client.once('end', () => open.delete(client));
    client.on('error', (error) => options.onConnectionError?.(withoutClient(error)));
  });
  if (options.onQuery) {
    const onQuery = options.onQuery;
    pool.on('connect', (client) => {
      const original = client.query.bind(client) as (...args: unknown[]) => unknown;
      (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
        const first = args[0];
        const text = typeof first === 'string' ? first : (first as { text?: string } | undefined)?.text;
        if (text) onQuery(text);
        return original(...args);
      };
    });
  }
  const adapter = new PrismaPg(pool);
  const prisma = new PrismaClient({ adapter });
  let closed = false;
  return {
    pool,
    prisma,
    async close() {
      if (closed) return;
      closed = true;
      await prisma.$disconnect().catch(() => undefined);
      const ended = [...open].map((client) => new Promise<void>((resolve) => client.once('end', () => resolve())));
      await pool.end().catch(() => undefined);
      await Promise.race([Promise.all(ended), new Promise((resolve) => setTimeout(resolve, CLOSE_WAIT_MS).unref())]);
    },
  };
}
