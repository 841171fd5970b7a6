/** The slice of node-postgres the repositories need: a pool, a pooled client or a request's read snapshot. */
import type { QueryResultRow } from 'pg';

/**
 * A statement: SQL text, or text with a `name` (a prepared statement: each connection parses and plans it once and
 * then only binds values; for large, hot statements such as the snapshot read, src/store/snapshot.repository.ts).
 */
export type QueryText = string | { readonly name: string; readonly text: string };

export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: QueryText, values?: unknown[]): Promise<{ rows: R[] }>;
}
