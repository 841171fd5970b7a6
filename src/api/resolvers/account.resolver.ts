/** Accounts, their balances and positions (read side). */
import { isAccountId, listAccounts } from '../../store/account.repository';
import type { AccountResolvers, BalanceResolvers, PositionResolvers, QueryResolvers } from '../../generated/graphql';
import { connectionOf, emptyConnection, keyDecoder, pageRequest } from '../connection';
import { requirePlainText } from '../input';
import { badInput, DomainError } from '../errors';
import type { GraphQLContext } from '../context';
import type { PositionRecord } from '../../store/records';
import type { PositionRisk as PositionRiskResult } from '../../risk';
import { accountNotFound, canAccessAccount, requireAccountReader } from '../principal';
import { accountValueAtRiskFor } from '../value-at-risk';
import { reportedPosition } from './risk.resolver';

export const accountQueries: Pick<QueryResolvers, 'account' | 'accounts'> = {
  // A missing account and another broker's account answer the same NOT_FOUND (no existence leak).
  account: async (_parent, { id }, ctx) => {
    requireAccountReader(ctx.principal);
    const account = await ctx.loaders.account.load(id);
    if (!account || !canAccessAccount(ctx.principal, account)) throw accountNotFound(id);
    return account;
  },
  accounts: async (_parent, { first, after, last, before, filter }, ctx) => {
    requireAccountReader(ctx.principal);
    const page = pageRequest({ first, after, last, before }, keyDecoder(isAccountId));
    if (filter?.brokerId && !isAccountId(filter.brokerId)) throw badInput('filter.brokerId is not a valid id', 'filter.brokerId');
    if (filter?.externalRef !== null && filter?.externalRef !== undefined) requirePlainText(filter.externalRef, 'filter.externalRef', 128);
    // A BROKER lists its own accounts only: a filter on another broker matches nothing.
    const own = ctx.principal.role === 'BROKER' ? ctx.principal.brokerId : null;
    if (own !== null && filter?.brokerId && filter.brokerId !== own) return emptyConnection();
    const listFilter = {
      brokerId: own ?? filter?.brokerId ?? null,
      marginMode: filter?.marginMode ?? null,
      status: filter?.status ?? null,
      externalRef: filter?.externalRef ?? null,
    };
    // One row more than asked tells whether another page follows.
    const rows = await listAccounts(ctx.snapshot, { page: { ...page, limit: page.limit + 1 }, filter: listFilter });
    for (const account of rows.slice(0, page.limit)) ctx.loaders.account.prime(account.id, account);
    return connectionOf(page, rows, (node) => node.id, async (cursor) => {
      const behind = await listAccounts(ctx.snapshot, { page: { ...page, cursor, limit: 1 }, filter: listFilter, side: 'OTHER_SIDE' });
      return behind.length > 0;
    });
  },
};

export const Account: AccountResolvers = {
  balances: (account, _args, ctx) => ctx.loaders.balances.load(account.id),
  positions: (account, _args, ctx) => ctx.loaders.positions.load(account.id),
  risk: (account, _args, ctx) => ctx.risk.load(account.id),
  liquidationPrices: async (account, _args, ctx) => (await ctx.risk.load(account.id)).liquidationPrices,
  valueAtRisk: (account, args, ctx) => accountValueAtRiskFor(ctx, account.id, args),
};

async function required<T>(value: Promise<T | null>, what: string): Promise<T> {
  const found = await value;
  // A foreign key guarantees the row; its absence is a broken store, not a client error.
  if (found === null) throw new DomainError('INTERNAL_SERVER_ERROR', `${what} missing from the store`);
  return found;
}

export const Balance: BalanceResolvers = {
  asset: (balance, _args, ctx) => required(ctx.loaders.asset.load(balance.assetSymbol), `asset ${balance.assetSymbol}`),
};

export const Position: PositionResolvers = {
  market: (position, _args, ctx) => required(ctx.loaders.market.load(position.marketSymbol), `market ${position.marketSymbol}`),
  side: (position) => (position.size.isNegative() ? 'SHORT' : 'LONG'),
  risk: (position, _args, ctx) => positionRisk(ctx, position),
  liquidationPrice: async (position, _args, ctx) => (await positionRisk(ctx, position))?.liquidationPrice ?? null,
  bankruptcyPrice: async (position, _args, ctx) => (await positionRisk(ctx, position))?.bankruptcyPrice ?? null,
};

/** The position's figures from its account's evaluation; null for a closed (flat) position, which carries no risk. */
async function positionRisk(ctx: GraphQLContext, position: PositionRecord): Promise<PositionRiskResult | null> {
  if (position.size.isZero()) return null;
  const risk = await ctx.risk.load(position.accountId);
  const found = risk.positionsById[position.id];
  if (!found) throw new DomainError('INTERNAL_SERVER_ERROR', `position ${position.id} missing from its account's risk`);
  return reportedPosition(found, risk);
}

export { required };
