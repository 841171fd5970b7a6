/**
 * Reads of what the service writes: an account's ledger (whoever may read the account), the audit log (ADMIN) and
 * the stored price history (any role). Each is a Relay connection in the order of writing, oldest first.
 */
import type { AccountResolvers, QueryResolvers } from '../../generated/graphql';
import { isAccountId } from '../../store/account.repository';
import { pageAuditEvents, type AuditEventListFilter } from '../../store/audit.repository';
import { pageLedger, type LedgerListFilter } from '../../store/ledger.repository';
import { pagePriceHistory } from '../../store/price-history.repository';
import { connectionOf, keyDecoder, pageRequest } from '../connection';
import { badInput } from '../errors';
import { requireRole } from '../principal';

const SEQUENCE_ID = /^[1-9]\d{0,18}$/;
const isSequenceId = (key: string) => SEQUENCE_ID.test(key);

/** `from` < `to` when both are given (BAD_USER_INPUT naming `field`, the `to` argument). */
function timeRange(from: Date | null | undefined, to: Date | null | undefined, field: string): { from: Date | null; to: Date | null } {
  if (from && to && from.getTime() >= to.getTime()) throw badInput('the range is empty: `to` must be after `from`', field);
  return { from: from ?? null, to: to ?? null };
}

function uuidOrNull(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (!isAccountId(value)) throw badInput(`${field} is not a valid id`, field);
  return value;
}

/** Cursor keys of price history: the observation's epoch milliseconds. */
function decodeObservedAt(key: string, field: 'after' | 'before'): Date {
  if (!/^t:-?\d{1,15}$/.test(key)) throw badInput('not a valid cursor for this connection', field);
  return new Date(Number(key.slice(2)));
}

export const historyAccountFields: Pick<AccountResolvers, 'ledger'> = {
  // The parent account was already checked against the caller (account, accounts, node).
  ledger: async (account, { filter, first, after, last, before }, ctx) => {
    const page = pageRequest({ first, after, last, before }, keyDecoder(isSequenceId));
    const listFilter: LedgerListFilter = {
      kinds: filter?.kinds ?? null,
      asset: filter?.asset ?? null,
      ...timeRange(filter?.from, filter?.to, 'filter.to'),
    };
    const rows = await pageLedger(ctx.snapshot, { accountId: account.id, filter: listFilter, page: { ...page, limit: page.limit + 1 } });
    return connectionOf(page, rows, (entry) => entry.id, async (cursor) => {
      const behind = await pageLedger(ctx.snapshot, { accountId: account.id, filter: listFilter, page: { ...page, cursor, limit: 1 }, side: 'OTHER_SIDE' });
      return behind.length > 0;
    });
  },
};

export const historyQueries: Pick<QueryResolvers, 'auditEvents' | 'priceHistory'> = {
  auditEvents: async (_parent, { filter, first, after, last, before }, ctx) => {
    requireRole(ctx.principal, ['ADMIN'], 'read the audit log');
    const page = pageRequest({ first, after, last, before }, keyDecoder(isSequenceId));
    const listFilter: AuditEventListFilter = {
      apiKeyId: uuidOrNull(filter?.apiKeyId, 'filter.apiKeyId'),
      brokerId: uuidOrNull(filter?.brokerId, 'filter.brokerId'),
      accountId: uuidOrNull(filter?.accountId, 'filter.accountId'),
      action: filter?.action ?? null,
      ...timeRange(filter?.from, filter?.to, 'filter.to'),
    };
    const rows = await pageAuditEvents(ctx.snapshot, { filter: listFilter, page: { ...page, limit: page.limit + 1 } });
    return connectionOf(page, rows, (event) => event.id, async (cursor) => {
      const behind = await pageAuditEvents(ctx.snapshot, { filter: listFilter, page: { ...page, cursor, limit: 1 }, side: 'OTHER_SIDE' });
      return behind.length > 0;
    });
  },

  priceHistory: async (_parent, { symbol, from, to, first, after, last, before }, ctx) => {
    const page = pageRequest({ first, after, last, before }, decodeObservedAt);
    const range = timeRange(from, to, 'to');
    const args = { asset: symbol, ...range };
    const rows = await pagePriceHistory(ctx.snapshot, { ...args, page: { ...page, limit: page.limit + 1 } });
    return connectionOf(page, rows, (o) => `t:${o.observedAt.getTime()}`, async (cursor) => {
      const behind = await pagePriceHistory(ctx.snapshot, { ...args, page: { ...page, cursor, limit: 1 }, side: 'OTHER_SIDE' });
      return behind.length > 0;
    });
  },
};

