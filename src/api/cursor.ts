/** Opaque Relay cursors: base64url of a versioned key, so clients cannot build or depend on them. */
import { badInput } from './errors';

const CURSOR_PREFIX = 'c1:';

export function encodeCursor(key: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${key}`, 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string, field = 'after'): string {
  const decoded = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  if (!decoded.startsWith(CURSOR_PREFIX) || decoded.length === CURSOR_PREFIX.length) {
    throw badInput(`"${cursor.slice(0, 64)}" is not a valid cursor`, field);
  }
  return decoded.slice(CURSOR_PREFIX.length);
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** `first` → a page size in [1, MAX_PAGE_SIZE]; negative or zero is bad input, above the cap is capped. */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1) throw badInput('first must be a positive integer', 'first');
  return Math.min(first, MAX_PAGE_SIZE);
}
