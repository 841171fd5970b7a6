import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, decodeCursor, encodeCursor, pageSize } from '../../src/api/cursor';
import { DomainError } from '../../src/api/errors';
import { isAccountId } from '../../src/store/account.repository';

describe('cursors', () => {
  it('round-trip and are opaque', () => {
    const id = '0b7c8a8e-4c0f-4a55-9c5e-0d1f2e3a4b5c';
    const cursor = encodeCursor(id);
    expect(cursor).not.toContain(id);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, 'after', isAccountId)).toBe(id);
  });

  it.each(['', 'not a cursor', '!!!', Buffer.from('x:abc').toString('base64url'), encodeCursor('').slice(0, 4), encodeCursor('not-a-uuid'), encodeCursor('\u0000'), 'A'.repeat(600)])('refuses %j as BAD_USER_INPUT', (c) => {
    expect(() => decodeCursor(c, 'after', isAccountId)).toThrow(DomainError);
    try {
      decodeCursor(c, 'after', isAccountId);
    } catch (error) {
      expect((error as DomainError).code).toBe('BAD_USER_INPUT');
    }
  });

  it('caps and validates page sizes', () => {
    expect(pageSize(undefined)).toBe(DEFAULT_PAGE_SIZE);
    expect(pageSize(10)).toBe(10);
    expect(pageSize(10_000)).toBe(MAX_PAGE_SIZE);
    expect(() => pageSize(0)).toThrow(DomainError);
    expect(() => pageSize(-5)).toThrow(DomainError);
  });
});
