/**
 * Subscriptions (served over WebSocket by src/server/subscriptions.ts): risk events and account risk figures, scoped
 * per broker exactly like the reads (a BROKER sees its own accounts only; another broker's account answers NOT_FOUND).
 */
import type { SubscriptionResolvers } from '../../generated/graphql';
import type { RiskEventRecord } from '../../monitoring/risk-event.repository';
import { RATIO_KEY_UNBOUNDED } from '../../monitoring/account-risk.repository';
import { isAccountId } from '../../store/account.repository';
import { renewRequestState, type GraphQLContext } from '../context';
import { badInput, DomainError } from '../errors';
import { accountNotFound, canAccessAccount, requireAccountReader } from '../principal';
import type { PushHub } from '../push';

function hubOf(ctx: GraphQLContext): PushHub {
  if (!ctx.push) throw new DomainError('UNAVAILABLE', 'subscriptions are served over WebSocket only');
  return ctx.push;
}

export const subscriptionResolvers: SubscriptionResolvers = {
  riskEvents: {
    subscribe: (_parent, { filter }, ctx) => {
      requireAccountReader(ctx.principal);
      const hub = hubOf(ctx);
      const brokerId = filter?.brokerId ?? null;
      if (brokerId !== null && !isAccountId(brokerId)) throw badInput('filter.brokerId is not a valid id', 'filter.brokerId');
      const min = filter?.minMarginRatio ?? null;
      if (min !== null && !min.isFinite()) throw badInput('filter.minMarginRatio must be a finite number', 'filter.minMarginRatio');
      const statuses = filter?.statuses ? new Set(filter.statuses) : null;
      const kinds = filter?.kinds && filter.kinds.length > 0 ? new Set(filter.kinds) : null;
      const own = ctx.principal.role === 'BROKER' ? ctx.principal.brokerId : null;
      // A BROKER naming another broker hears nothing of it (as its reads find nothing of it).
      const accept = (event: RiskEventRecord): boolean =>
        (own === null || event.brokerId === own) &&
        (brokerId === null || event.brokerId === brokerId) &&
        (statuses === null || statuses.has(event.to)) &&
        (kinds === null || kinds.has(event.kind)) &&
        (min === null || (event.marginRatio ?? RATIO_KEY_UNBOUNDED).gte(min));
      return hub.riskEvents(accept) as AsyncIterable<any>;
    },
    resolve: (event: RiskEventRecord) => event,
  },
  accountRisk: {
    subscribe: async (_parent, { accountId }, ctx) => {
      requireAccountReader(ctx.principal);
      const hub = hubOf(ctx);
      if (!isAccountId(accountId)) throw accountNotFound(accountId);
      const account = await ctx.loaders.account.load(accountId);
      if (!account || !canAccessAccount(ctx.principal, account)) throw accountNotFound(accountId);
      // The access check's snapshot ends now: an idle subscription must not hold a pooled connection (each message
      // opens its own, renewRequestState).
      await ctx.snapshot.refresh();
      return hub.accountRisk(accountId) as AsyncIterable<any>;
    },
    // Each message evaluates the account on a fresh snapshot (every field of the message reads that one result).
    resolve: async (accountId: string, _args: unknown, ctx: GraphQLContext) => {
      renewRequestState(ctx);
      return ctx.risk.load(accountId);
    },
  },
};
