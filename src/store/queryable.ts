/** The slice of node-postgres the repositories need: a pool, a pooled client or a request's read snapshot. */
import type { QueryResultRow } from 'pg';

export interface Queryable {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<{ rows: R[] }>;
}
