/**
 * Relay connections over keyset pages: the page arguments (`first`/`after` forward, `last`/`before` backward), and
 * the connection built from the rows a repository returns in the direction of travel.
 *
 * A repository is asked for `limit + 1` rows strictly beyond the cursor, in the direction of travel: the extra row
 * tells whether more follow in that direction. Whether rows lie on the other side of the cursor (`hasPreviousPage`
 * going forward, `hasNextPage` going backward) costs a query of its own, run only when a client selects that flag:
 * it is a thunk, resolved by the PageInfo resolver, and false when no cursor was given.
 */
import type { KeysetPage } from '../store/keyset';
import { decodeCursor, encodeCursor, pageSize } from './cursor';
import { badInput } from './errors';

export interface PageArgs {
  readonly first?: number | null;
  readonly after?: string | null;
  readonly last?: number | null;
  readonly before?: string | null;
}

/** What a repository is asked for: `limit` rows beyond `cursor` (exclusive) in `direction` of the connection's order. */
export type PageRequest<K> = KeysetPage<K>;

/** A page flag that is known, or costs a query to learn. */
export type PageFlag = boolean | (() => Promise<boolean>);

/** What the PageInfo resolvers read (mapper of the GraphQL `PageInfo`). */
export interface PageInfoSource {
  readonly hasNextPage: PageFlag;
  readonly hasPreviousPage: PageFlag;
  readonly startCursor: string | null;
  readonly endCursor: string | null;
}

export async function resolvePageFlag(flag: PageFlag): Promise<boolean> {
  return typeof flag === 'boolean' ? flag : flag();
}

/**
 * The page arguments as a request. Mixing directions (`first` or `after` with `last` or `before`) is bad input;
 * page sizes are 1..MAX_PAGE_SIZE (above is capped), default DEFAULT_PAGE_SIZE. `decode` turns a cursor's key into
 * the repository's key (BAD_USER_INPUT naming the argument when it cannot).
 */
export function pageRequest<K>(args: PageArgs, decode: (key: string, field: 'after' | 'before') => K): PageRequest<K> {
  const forward = (args.first ?? null) !== null || (args.after ?? null) !== null;
  const backward = (args.last ?? null) !== null || (args.before ?? null) !== null;
  if (forward && backward) {
    throw badInput('paginate forward (first, after) or backward (last, before), not both', (args.last ?? null) !== null ? 'last' : 'before');
  }
  if (backward) {
    const limit = args.last === null || args.last === undefined ? pageSize(undefined) : pageSizeOf(args.last, 'last');
    return { direction: 'BACKWARD', limit, cursor: args.before ? decode(decodeCursor(args.before, 'before'), 'before') : null };
  }
  return { direction: 'FORWARD', limit: pageSize(args.first), cursor: args.after ? decode(decodeCursor(args.after, 'after'), 'after') : null };
}

function pageSizeOf(n: number, field: string): number {
  if (!Number.isInteger(n) || n < 1) throw badInput(`${field} must be a positive integer`, field);
  return pageSize(n);
}

/** Cursor keys that are plain strings (for example ids), checked by `valid`. */
export function keyDecoder(valid: (key: string) => boolean): (key: string, field: 'after' | 'before') => string {
  return (key, field) => {
    if (!valid(key)) throw badInput('not a valid cursor for this connection', field);
    return key;
  };
}

export interface Connection<N> {
  readonly edges: { readonly cursor: string; readonly node: N }[];
  readonly pageInfo: PageInfoSource;
}

/**
 * The connection of `rows` (up to `limit + 1`, in the direction of travel, beyond the cursor). `otherSide` answers
 * whether any row lies at or on the other side of the request's cursor (under the same filter); it runs only when
 * the flag is selected.
 */
export function connectionOf<N, K>(
  request: PageRequest<K>,
  rows: readonly N[],
  cursorKey: (node: N) => string,
  otherSide: (cursor: K) => Promise<boolean>,
): Connection<N> {
  // The repository was asked for one row more than the page, to learn whether more follow.
  const more = rows.length > request.limit;
  const page = rows.slice(0, request.limit);
  if (request.direction === 'BACKWARD') page.reverse();
  const edges = page.map((node) => ({ cursor: encodeCursor(cursorKey(node)), node }));
  const cursor = request.cursor;
  let memo: Promise<boolean> | null = null;
  const beyondCursor: PageFlag = cursor === null ? false : () => (memo ??= otherSide(cursor));
  return {
    edges,
    pageInfo: {
      hasNextPage: request.direction === 'FORWARD' ? more : beyondCursor,
      hasPreviousPage: request.direction === 'BACKWARD' ? more : beyondCursor,
      startCursor: edges.length ? edges[0]!.cursor : null,
      endCursor: edges.length ? edges[edges.length - 1]!.cursor : null,
    },
  };
}

/** An empty connection (a filter that can match nothing). */
export function emptyConnection<N>(): Connection<N> {
  return { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } };
}
