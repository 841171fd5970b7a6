/**
 * Audit events: one per write, inserted in the write's own transaction (who, what, request id, before, after), and
 * read back in keyset pages (ADMIN's auditEvents).
 */
import type { ApiRole } from './records';
import type { Queryable } from './queryable';
import { keysetSql, type KeysetPage } from './keyset';

export interface AuditEventInput {
  readonly apiKeyId: string | null;
  readonly brokerId: string | null;
  readonly role: ApiRole | null;
  readonly action: string;
  readonly accountId: string | null;
  readonly requestId: string;
  readonly before: unknown;
  readonly after: unknown;
}

export async function insertAuditEvent(q: Queryable, event: AuditEventInput): Promise<void> {
  await q.query(
    `INSERT INTO audit_event (api_key_id, broker_id, role, action, account_id, request_id, before, after)
     VALUES ($1::uuid, $2::uuid, $3::"ApiRole", $4, $5::uuid, $6, $7::jsonb, $8::jsonb)`,
    [
      event.apiKeyId,
      event.brokerId,
      event.role,
      event.action,
      event.accountId,
      event.requestId,
      event.before === undefined ? null : JSON.stringify(event.before),
      event.after === undefined ? null : JSON.stringify(event.after),
    ],
  );
}

export interface AuditEventRecord {
  /** BIGSERIAL, as a string. */
  readonly id: string;
  readonly apiKeyId: string | null;
  readonly brokerId: string | null;
  readonly role: ApiRole | null;
  readonly action: string;
  readonly accountId: string | null;
  readonly requestId: string;
  /** JSON text, as stored (jsonb normalizes key order and spacing). */
  readonly before: string | null;
  readonly after: string | null;
  readonly createdAt: Date;
}

export interface AuditEventListFilter {
  readonly apiKeyId: string | null;
  readonly brokerId: string | null;
  readonly action: string | null;
  readonly accountId: string | null;
  /** created_at ≥ from. */
  readonly from: Date | null;
  /** created_at < to. */
  readonly to: Date | null;
}

/**
 * A page of the log in id order (the order events were recorded), beyond `page.cursor` (an event id) in its
 * direction, or with `side: 'OTHER_SIDE'` at or behind it (src/store/keyset.ts).
 */
export async function pageAuditEvents(
  q: Queryable,
  args: { filter: AuditEventListFilter; page: KeysetPage<string>; side?: 'BEYOND' | 'OTHER_SIDE' },
): Promise<AuditEventRecord[]> {
  const values: unknown[] = [];
  const where: string[] = [];
  const add = (clause: string, value: unknown) => {
    values.push(value);
    where.push(clause.replace('?', `$${values.length}`));
  };
  const f = args.filter;
  if (f.apiKeyId !== null) add('api_key_id = ?::uuid', f.apiKeyId);
  if (f.brokerId !== null) add('broker_id = ?::uuid', f.brokerId);
  if (f.action !== null) add('action = ?', f.action);
  if (f.accountId !== null) add('account_id = ?::uuid', f.accountId);
  if (f.from !== null) add('created_at >= ?', f.from);
  if (f.to !== null) add('created_at < ?', f.to);
  if (args.page.cursor !== null) values.push(args.page.cursor);
  const keyset = keysetSql(args.page.direction, 'id', args.page.cursor !== null ? `$${values.length}::bigint` : null, args.side ?? 'BEYOND');
  if (keyset.where) where.push(keyset.where);
  values.push(args.page.limit);
  const { rows } = await q.query<{
    id: string;
    api_key_id: string | null;
    broker_id: string | null;
    role: ApiRole | null;
    action: string;
    account_id: string | null;
    request_id: string;
    before: string | null;
    after: string | null;
    created_at: Date;
  }>(
    `SELECT id, api_key_id, broker_id, role, action, account_id, request_id, before::text AS before, after::text AS after, created_at
       FROM audit_event ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${keyset.orderBy} LIMIT $${values.length}`,
    values,
  );
  return rows.map((r) => ({
    id: String(r.id),
    apiKeyId: r.api_key_id,
    brokerId: r.broker_id,
    role: r.role,
    action: r.action,
    accountId: r.account_id,
    requestId: r.request_id,
    before: r.before,
    after: r.after,
    createdAt: r.created_at,
  }));
}
