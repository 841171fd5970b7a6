/**
 * The authenticated caller (from its API key) and the rules of what each role may do. Resolvers ask here; nothing
 * else decides access. A BROKER sees only its own accounts: another broker's account answers exactly like a missing
 * one (NOT_FOUND), so account ids leak nothing.
 */
import type { AccountRecord, ApiRole } from '../store/records';
import { DomainError } from './errors';

export interface Principal {
  readonly apiKeyId: string;
  readonly role: ApiRole;
  /** Set for BROKER keys (and only for them). */
  readonly brokerId: string | null;
  readonly label: string;
}

/** Roles allowed to read accounts (their own only, for BROKER). */
const ACCOUNT_READERS: readonly ApiRole[] = ['BROKER', 'MONITOR', 'ADMIN'];
/** Roles allowed to write accounts (their own only, for BROKER). */
export const ACCOUNT_WRITERS: readonly ApiRole[] = ['BROKER', 'ADMIN'];

export function requireRole(principal: Principal, roles: readonly ApiRole[], action: string): void {
  if (!roles.includes(principal.role)) {
    throw new DomainError('FORBIDDEN', `the ${principal.role} role may not ${action}`);
  }
}

export function requireAccountReader(principal: Principal): void {
  requireRole(principal, ACCOUNT_READERS, 'read accounts');
}

/** True when the principal may see this account (BROKER: its own broker's accounts only). */
export function canAccessAccount(principal: Principal, account: Pick<AccountRecord, 'brokerId'>): boolean {
  if (principal.role === 'BROKER') return principal.brokerId !== null && account.brokerId === principal.brokerId;
  return principal.role === 'MONITOR' || principal.role === 'ADMIN';
}

export function accountNotFound(id: string): DomainError {
  return new DomainError('NOT_FOUND', `account ${id.slice(0, 64)} not found`, { field: 'id' });
}

/** Key space of idempotency keys: a broker's keys are shared by all its API keys; other roles own theirs. */
export function idempotencyScope(principal: Principal): string {
  return principal.role === 'BROKER' && principal.brokerId ? `broker:${principal.brokerId}` : `key:${principal.apiKeyId}`;
}
