/** Opaque Relay cursors: base64url of a versioned key, so clients cannot build or depend on them. */
import { badInput } from './errors';

const CURSOR_PREFIX = 'c1:';

export function encodeCursor(key: string): string {
  return Buffer.from(`${CURSOR_PREFIX}${key}`, 'utf8').toString('base64url');
}

/** Longest cursor accepted (the API's own are well under 200 characters). */
const MAX_CURSOR_LENGTH = 512;

/**
 * The key of a cursor, checked: BAD_USER_INPUT naming `field` unless the cursor is one this API could have issued
 * (base64url of the prefix and a key that `validKey` accepts: an account id, a risk page key; connections check the
 * key with their own decoder, src/api/connection.ts). Every cursor argument goes through here, so a malformed key
 * never reaches the database.
 */
export function decodeCursor(cursor: string, field: string, validKey: (key: string) => boolean = () => true): string {
  const decoded = cursor.length <= MAX_CURSOR_LENGTH && /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
  const key = decoded.startsWith(CURSOR_PREFIX) ? decoded.slice(CURSOR_PREFIX.length) : '';
  if (key.length === 0 || !validKey(key)) {
    throw badInput(`"${cursor.slice(0, 64).replace(/[^\x20-\x7e]/g, '?')}" is not a valid cursor`, field);
  }
  return key;
}

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** `first` → a page size in [1, MAX_PAGE_SIZE]; negative or zero is bad input, above the cap is capped. */
export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 1) throw badInput('first must be a positive integer', 'first');
  return Math.min(first, MAX_PAGE_SIZE);
}
