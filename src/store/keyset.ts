/** Keyset pagination in SQL: the condition and order of a page of a connection, in either direction. */

/** FORWARD reads the connection's order from the cursor on; BACKWARD reads it in reverse. */
export type Direction = 'FORWARD' | 'BACKWARD';

/** A page of a connection: `limit` rows strictly beyond `cursor` (when given) in `direction`. */
export interface KeysetPage<K> {
  readonly direction: Direction;
  readonly limit: number;
  readonly cursor: K | null;
}

/**
 * SQL of a keyset page. `columns` is the key's column tuple (for example `ratio_key, account_id`), `order` the
 * connection's order of that tuple, `placeholder` the cursor's value tuple (for example `$1::numeric, $2::uuid`).
 * `BEYOND`: the rows strictly past the cursor in the direction of travel, ordered that way. `OTHER_SIDE`: the cursor
 * row and those behind it (to learn whether a page lies before a forward page, or after a backward one).
 */
export function keysetSql(
  direction: Direction,
  columns: string,
  placeholder: string | null,
  side: 'BEYOND' | 'OTHER_SIDE',
  order: 'ASC' | 'DESC' = 'ASC',
): { where: string | null; orderBy: string } {
  const ascending = (direction === 'FORWARD') === (order === 'ASC');
  const travel = side === 'BEYOND' ? ascending : !ascending;
  const op = side === 'BEYOND' ? (ascending ? '>' : '<') : ascending ? '<=' : '>=';
  const cols = columns.split(',').map((c) => c.trim());
  const orderBy = cols.map((c) => `${c} ${travel ? 'ASC' : 'DESC'}`).join(', ');
  return { where: placeholder === null ? null : `(${columns}) ${op} (${placeholder})`, orderBy };
}
