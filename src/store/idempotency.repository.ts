/**
 * Idempotency records, claimed insert-first inside the write's own transaction: the INSERT of (scope, key) either
 * succeeds (this request does the write and later stores its response), or waits for a concurrent holder of the same
 * key to finish and then finds its committed record (replay or conflict). A rolled-back write leaves no record.
 */
import type { Queryable } from './queryable';

export type IdempotencyClaim =
  | { readonly status: 'NEW'; readonly id: string }
  | { readonly status: 'REPLAY'; readonly response: unknown }
  | { readonly status: 'CONFLICT'; readonly operation: string };

export async function claimIdempotencyKey(
  q: Queryable,
  args: { scope: string; key: string; operation: string; requestHash: string },
): Promise<IdempotencyClaim> {
  const inserted = await q.query<{ id: string }>(
    `INSERT INTO idempotency_record (scope, key, operation, request_hash, response)
     VALUES ($1, $2, $3, $4, 'null'::jsonb)
     ON CONFLICT (scope, key) DO NOTHING RETURNING id`,
    [args.scope, args.key, args.operation, args.requestHash],
  );
  if (inserted.rows[0]) return { status: 'NEW', id: inserted.rows[0].id };
  const { rows } = await q.query<{ operation: string; request_hash: string; response: unknown }>(
    `SELECT operation, request_hash, response FROM idempotency_record WHERE scope = $1 AND key = $2`,
    [args.scope, args.key],
  );
  const existing = rows[0];
  if (!existing) throw new Error('idempotency record vanished between insert and read');
  if (existing.operation !== args.operation || existing.request_hash !== args.requestHash) {
    return { status: 'CONFLICT', operation: existing.operation };
  }
  return { status: 'REPLAY', response: existing.response };
}

export async function storeIdempotentResponse(q: Queryable, id: string, response: unknown): Promise<void> {
  await q.query(`UPDATE idempotency_record SET response = $2::jsonb WHERE id = $1`, [id, JSON.stringify(response)]);
}
