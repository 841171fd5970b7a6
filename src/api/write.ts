/**
 * The one path every mutation takes (DESIGN section 6):
 *   role check → pure input validation (userErrors, nothing touched) → one READ COMMITTED transaction that
 *   claims the idempotency key first (replay / CONFLICT / new), runs the write (which locks the rows it checks),
 *   stores the response and an audit event, and commits — or rolls everything back on a refusal (userErrors).
 * Risk engine errors (stale or missing prices) surface as DomainErrors with the same code; nothing is written.
 */
import Decimal from 'decimal.js';
import { createHash } from 'node:crypto';
import { SpanStatusCode, trace } from '@opentelemetry/api';
import type { UserError, UserErrorCode } from '../generated/graphql';
import { ScenarioInputError, type AccountSnapshot, type PositionSnapshot } from '../risk';
import type { Transition } from '../risk/transition';
import { insertAuditEvent } from '../store/audit.repository';
import { noticeChanges } from '../store/change-notice';
import { claimIdempotencyKey, storeIdempotentResponse } from '../store/idempotency.repository';
import type { ApiRole } from '../store/records';
import { sharePriceLock } from '../store/price-lock';
import { inWriteTransaction, rollback, type TransactionClient } from '../store/write-transaction';
import { refreshAccountRisk } from '../monitoring/sweep';
import type { GraphQLContext } from './context';
import { DomainError, toDomainError } from './errors';
import { idempotencyScope, requireRole, type Principal } from './principal';
import { loadAccountSnapshots } from '../snapshot/snapshot.loader';
import { DEFAULT_WORST_COUNT, MAX_WORST_COUNT } from '../monitoring/parameter-impact.service';
import type { Queryable } from '../store/queryable';
import { ReadSnapshot } from '../store/read-snapshot';

export type { UserError, UserErrorCode };

/** A write refused for a reason the caller can act on; the transaction rolls back. */
export class Refusal {
  constructor(readonly errors: readonly UserError[]) {}
}

export function userError(code: UserErrorCode, field: string | null, message: string): UserError {
  return { code, field, message };
}

export function refuse(code: UserErrorCode, field: string | null, message: string): Refusal {
  return new Refusal([userError(code, field, message)]);
}

export interface AuditEntry {
  readonly action?: string;
  readonly accountId?: string | null;
  readonly brokerId?: string | null;
  readonly before: unknown;
  readonly after: unknown;
}

export interface WriteScope {
  readonly tx: TransactionClient;
  readonly principal: Principal;
  readonly nowMs: number;
  readonly requestId: string;
  /** Records an audit event of this write (inserted in the same transaction). */
  audit(entry: AuditEntry): Promise<void>;
}

export interface WriteSpec<R extends object> {
  /** Mutation name: part of the idempotency hash and the audit action. */
  readonly operation: string;
  /** The GraphQL input (with its idempotencyKey). */
  readonly input: { readonly idempotencyKey: string } & Record<string, unknown>;
  readonly roles: readonly ApiRole[];
  /** Pure checks of the input; any error refuses the write before the database is touched. */
  readonly validate?: () => readonly UserError[];
  readonly execute: (scope: WriteScope) => Promise<R | Refusal>;
  /**
   * Given when the caller asked for a dry run (`dryRun: true`): after the same role check and validation, `run`
   * makes the write's own checks and computes its impact on one REPEATABLE READ, READ ONLY snapshot; no
   * transaction, idempotency claim, audit event or version is written.
   */
  readonly dryRun?: DryRunSpec<object>;
}

export interface DryRunSpec<R> {
  /** The mutation's `worstCount` argument (default DEFAULT_WORST_COUNT, 1 to MAX_WORST_COUNT). */
  readonly worstCount: number | null | undefined;
  readonly run: (q: Queryable, worstCount: number) => Promise<R | Refusal>;
}

/** A dry run's spec when `dryRun` is true, else undefined (the mutation writes). */
export function dryRunOf<R>(args: { dryRun?: boolean | null; worstCount?: number | null }, run: DryRunSpec<R>['run']): DryRunSpec<R> | undefined {
  return args.dryRun ? { worstCount: args.worstCount, run } : undefined;
}

export type WriteResult<R> = (R & { userErrors: readonly UserError[] }) | { userErrors: readonly UserError[] };

const MAX_IDEMPOTENCY_KEY_LENGTH = 200;

export function validateIdempotencyKey(key: string): UserError | null {
  if (key.trim().length === 0) return userError('BAD_USER_INPUT', 'idempotencyKey', 'idempotencyKey must not be empty');
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return userError('BAD_USER_INPUT', 'idempotencyKey', `idempotencyKey must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters`);
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(key)) return userError('BAD_USER_INPUT', 'idempotencyKey', 'idempotencyKey must not contain control characters');
  return null;
}

/** Input as canonical JSON: sorted keys, decimals by value ("1.0" = "1"), null = absent, dates in ISO. */
export function canonicalJson(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (v === null || v === undefined) return null;
    if (Decimal.isDecimal(v)) return `dec:${(v as Decimal).toFixed()}`;
    if (v instanceof Date) return `date:${v.toISOString()}`;
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(v as object).sort()) {
        const inner = (v as Record<string, unknown>)[key];
        if (inner !== null && inner !== undefined) out[key] = walk(inner);
      }
      return out;
    }
    return v;
  };
  return JSON.stringify(walk(value));
}

export function requestHash(operation: string, input: Record<string, unknown>): string {
  const { idempotencyKey: _key, ...rest } = input;
  return createHash('sha256').update(canonicalJson({ operation, input: rest })).digest('hex');
}

/** Stored responses keep decimals and dates typed: { $dec } / { $date } tags, revived on replay. */
export function encodeResponse(value: unknown): unknown {
  if (value === undefined) return null;
  if (value === null) return null;
  if (Decimal.isDecimal(value)) return { $dec: (value as Decimal).toFixed() };
  if (value instanceof Date) return { $date: value.toISOString() };
  if (Array.isArray(value)) return value.map(encodeResponse);
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(value as object)) out[key] = encodeResponse(inner);
    return out;
  }
  return value;
}

export function decodeResponse(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(decodeResponse);
  const record = value as Record<string, unknown>;
  if (typeof record.$dec === 'string' && Object.keys(record).length === 1) return new Decimal(record.$dec);
  if (typeof record.$date === 'string' && Object.keys(record).length === 1) return new Date(record.$date);
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(record)) out[key] = decodeResponse(inner);
  return out;
}

/**
 * After a write commits, later reads of the same request (the payload's `account { balances risk }`, the next
 * mutation of the document) must see it: end the request's read snapshot and forget what the loaders cached.
 */
async function refreshReads(ctx: GraphQLContext): Promise<void> {
  await ctx.snapshot.refresh();
  for (const loader of Object.values(ctx.loaders)) loader.clearAll();
  ctx.risk.clearAll();
}

export async function runWrite<R extends object>(ctx: GraphQLContext, spec: WriteSpec<R>): Promise<WriteResult<R>> {
  const { principal } = ctx;
  requireRole(principal, spec.roles, spec.operation);
  const keyError = validateIdempotencyKey(spec.input.idempotencyKey);
  const inputErrors = [...(keyError ? [keyError] : []), ...(spec.validate?.() ?? [])];
  const worstCount = spec.dryRun?.worstCount ?? DEFAULT_WORST_COUNT;
  if (spec.dryRun && (!Number.isInteger(worstCount) || worstCount < 1 || worstCount > MAX_WORST_COUNT)) {
    inputErrors.push(userError('BAD_USER_INPUT', 'worstCount', `worstCount must be between 1 and ${MAX_WORST_COUNT}`));
  }
  if (inputErrors.length > 0) return { userErrors: inputErrors };
  if (spec.dryRun) {
    const snapshot = new ReadSnapshot(ctx.db.pool);
    try {
      const outcome = await spec.dryRun.run(snapshot, worstCount);
      // The dry run answers the payload's own shape (its fields as the write would, plus `impact`).
      return outcome instanceof Refusal ? { userErrors: outcome.errors } : ({ ...outcome, userErrors: [] } as WriteResult<R>);
    } finally {
      await snapshot.release();
    }
  }

  const hash = requestHash(spec.operation, spec.input);
  /** Accounts the write changed (every account write leaves an audit event naming it). */
  const touchedAccounts = new Set<string>();
  const result = await inWriteTransaction<WriteResult<R>>(ctx.db.pool, async (tx) => {
    const claim = await claimIdempotencyKey(tx, {
      scope: idempotencyScope(principal),
      key: spec.input.idempotencyKey,
      operation: spec.operation,
      requestHash: hash,
    });
    if (claim.status === 'CONFLICT') {
      throw new DomainError(
        'CONFLICT',
        `idempotencyKey "${spec.input.idempotencyKey.slice(0, 64)}" was already used for a different ${claim.operation === spec.operation ? 'input' : `operation (${claim.operation})`}`,
        { field: 'idempotencyKey' },
      );
    }
    if (claim.status === 'REPLAY') return decodeResponse(claim.response) as WriteResult<R>;

    const scope: WriteScope = {
      tx,
      principal,
      nowMs: ctx.nowMs,
      requestId: ctx.requestId,
      audit: (entry) => {
        if (entry.accountId) touchedAccounts.add(entry.accountId);
        return insertAuditEvent(tx, {
          apiKeyId: principal.apiKeyId,
          brokerId: entry.brokerId ?? principal.brokerId,
          role: principal.role,
          action: entry.action ?? spec.operation,
          accountId: entry.accountId ?? null,
          requestId: ctx.requestId,
          before: encodeResponse(entry.before),
          after: encodeResponse(entry.after),
        });
      },
    };
    const outcome = await spec.execute(scope);
    if (outcome instanceof Refusal) return rollback({ userErrors: outcome.errors });
    const payload = { ...outcome, userErrors: [] as readonly UserError[] };
    await storeIdempotentResponse(tx, claim.id, encodeResponse(payload));
    // What this write changed, announced to every replica's tick engine when it commits (src/store/change-notice.ts).
    await noticeChanges(tx, [...touchedAccounts]);
    return payload;
  }).catch((error: unknown) => {
    throw busy(error) ?? error;
  });
  await refreshReads(ctx);
  await refreshMonitoringRows(ctx, touchedAccounts);
  return result;
}

/**
 * After a committed write, the monitoring table (account_risk, read by accountsAtRisk and riskSummary) is brought up
 * to date for the accounts it changed, so monitors need not wait for the next sweep. Best effort: the write has
 * committed already, and a failure here only leaves the row to the next sweep.
 */
async function refreshMonitoringRows(ctx: GraphQLContext, accountIds: ReadonlySet<string>): Promise<void> {
  if (accountIds.size === 0) return;
  try {
    await refreshAccountRisk(ctx.db.pool, [...accountIds], ctx.nowMs, ctx.ratioThresholds);
  } catch (error) {
    ctx.logger.warn({ err: error }, 'account risk refresh after write failed; the next sweep will catch up');
  }
}

/**
 * A write that could not get its connection or its row lock in time (a very hot account): nothing was written, and
 * the client may retry with the same idempotency key.
 */
function busy(error: unknown): DomainError | null {
  const e = error as { code?: string; message?: string };
  if (e?.code === '55P03' || /timeout exceeded when trying to connect/.test(e?.message ?? '')) {
    return new DomainError('UNAVAILABLE', 'the account is busy; retry with the same idempotencyKey');
  }
  return null;
}

/** Transactions that hold the shared price lock already (taken once per transaction). */
const PRICE_LOCKED = new WeakSet<TransactionClient>();

/**
 * The engine snapshot of a locked account as the transaction sees it (with `extraMarkets`' parameters and prices):
 * the state an account transition (src/risk/transition.ts) is applied to. The prices it reads are the newest committed, and stay so until the write
 * commits (src/store/price-lock.ts): the caller has locked the account row first, then this takes the shared price
 * lock before reading any price.
 */
export async function snapshotInTransaction(
  tx: TransactionClient,
  accountId: string,
  nowMs: number,
  extraMarkets: readonly string[] = [],
): Promise<AccountSnapshot> {
  if (!PRICE_LOCKED.has(tx)) {
    await sharePriceLock(tx);
    PRICE_LOCKED.add(tx);
  }
  const loaded = (await loadAccountSnapshots(tx, [accountId], nowMs, extraMarkets)).get(accountId);
  if (!loaded) throw new DomainError('INTERNAL_SERVER_ERROR', `account ${accountId} vanished inside its own transaction`);
  return loaded.snapshot;
}

/**
 * Runs an account transition and turns its verdict into the write's answer: an input error is BAD_USER_INPUT naming
 * the field, a refusal is INSUFFICIENT_MARGIN naming the input it refuses, engine errors keep their codes. The
 * mutation then persists exactly the returned transition (nothing decided outside the engine).
 */
export function decideTransition<T extends Transition>(run: () => T): T | Refusal {
  let out: T;
  // The transition's engine span (a no-op while tracing is off, src/server/tracing.ts).
  const span = trace.getTracer('margin-risk-api').startSpan('risk.evaluate_account', { attributes: { 'risk.source': 'write' } });
  try {
    out = run();
  } catch (error) {
    span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
    if (error instanceof ScenarioInputError) return refuse('BAD_USER_INPUT', error.field, error.message);
    throw toDomainError(error);
  } finally {
    span.end();
  }
  if (out.refusals.length > 0) return new Refusal(out.refusals.map((r) => userError('INSUFFICIENT_MARGIN', r.input, r.message)));
  return out;
}

/** A transition's changed positions as the store writes them. */
export function positionWrites(positions: readonly PositionSnapshot[]) {
  return positions.map((p) => ({
    marketSymbol: p.market,
    size: p.size,
    entryPrice: p.entryPrice,
    realizedPnl: p.realizedPnl,
    fundingIndex: p.fundingIndex,
    marginType: p.marginType,
    isolatedMargin: p.isolatedMargin,
    leverage: p.leverage,
  }));
}
