/** Audit events: one per write, inserted in the write's own transaction (who, what, request id, before, after). */
import type { ApiRole } from './records';
import type { Queryable } from './queryable';

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
