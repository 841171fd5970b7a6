/**
 * Relay: object identification (`Node`, `Query.node`) and page information. Global ids are the objects' UUIDs
 * (accounts and positions draw theirs from one random space), so `node(id:)` looks the id up as an account, then as a
 * position; what the caller may not see answers null, exactly like what does not exist.
 */
import type { NodeResolvers, PageInfoResolvers, QueryResolvers } from '../../generated/graphql';
import { isAccountId, positionById } from '../../store/account.repository';
import type { AccountRecord, PositionRecord } from '../../store/records';
import { resolvePageFlag } from '../connection';
import { canAccessAccount, requireAccountReader } from '../principal';

export const relayQueries: Pick<QueryResolvers, 'node'> = {
  node: async (_parent, { id }, ctx) => {
    requireAccountReader(ctx.principal);
    if (!isAccountId(id)) return null;
    const account = await ctx.loaders.account.load(id);
    if (account) return canAccessAccount(ctx.principal, account) ? account : null;
    const position = await positionById(ctx.snapshot, id);
    if (!position) return null;
    const owner = await ctx.loaders.account.load(position.accountId);
    return owner && canAccessAccount(ctx.principal, owner) ? position : null;
  },
};

/** A position record has a market; an account record does not. */
function isPosition(node: AccountRecord | PositionRecord): node is PositionRecord {
  return 'marketSymbol' in node;
}

export const Node: NodeResolvers = {
  __resolveType: (node) => (isPosition(node) ? 'Position' : 'Account'),
};

export const PageInfo: PageInfoResolvers = {
  hasNextPage: (info) => resolvePageFlag(info.hasNextPage),
  hasPreviousPage: (info) => resolvePageFlag(info.hasPreviousPage),
};
