/**
 * The risk-event log (the margin-call log) as Relay connections, newest first, keyset on `seq`: venue-wide
 * (`Query.riskEvents`, scoped per broker: a BROKER sees its own broker's events only, and naming another broker
 * finds nothing) and per account (`Account.riskEvents`, for whoever may read the account).
 */
import type { AccountResolvers, QueryResolvers, RiskEventResolvers } from '../../generated/graphql';
import { pageRiskEvents, type RiskEventListFilter, type RiskEventRecord } from '../../monitoring/risk-event.repository';
import { isAccountId } from '../../store/account.repository';
import { connectionOf, emptyConnection, keyDecoder, pageRequest, type PageArgs } from '../connection';
import type { GraphQLContext } from '../context';
import { badInput } from '../errors';
import { requireAccountReader } from '../principal';

const SEQUENCE = /^[1-9]\d{0,18}$/;

function uuidOrNull(value: string | null | undefined, field: string): string | null {
  if (value === null || value === undefined) return null;
  if (!isAccountId(value)) throw badInput(`${field} is not a valid id`, field);
  return value;
}

const nonEmpty = <T>(list: readonly T[] | null | undefined): readonly T[] | null => (list && list.length > 0 ? list : null);

async function connection(ctx: GraphQLContext, filter: RiskEventListFilter, args: PageArgs) {
  const page = pageRequest(args, keyDecoder((key) => SEQUENCE.test(key)));
  const rows = await pageRiskEvents(ctx.snapshot, { filter, page: { ...page, limit: page.limit + 1 } });
  return connectionOf(page, rows, (event) => event.seq, async (cursor) => {
    const behind = await pageRiskEvents(ctx.snapshot, { filter, page: { ...page, cursor, limit: 1 }, side: 'OTHER_SIDE' });
    return behind.length > 0;
  });
}

export const riskEventQueries: Pick<QueryResolvers, 'riskEvents'> = {
  riskEvents: async (_parent, { filter, first, after, last, before }, ctx) => {
    requireAccountReader(ctx.principal);
    const since = filter?.since ?? null;
    const until = filter?.until ?? null;
    if (since && until && since.getTime() >= until.getTime()) throw badInput('the range is empty: `until` must be after `since`', 'filter.until');
    const named = uuidOrNull(filter?.brokerId, 'filter.brokerId');
    const own = ctx.principal.role === 'BROKER' ? ctx.principal.brokerId : null;
    const listFilter: RiskEventListFilter = {
      brokerId: own ?? named,
      accountId: uuidOrNull(filter?.accountId, 'filter.accountId'),
      kinds: nonEmpty(filter?.kinds),
      statuses: nonEmpty(filter?.statuses),
      since,
      until,
    };
    // A BROKER naming another broker finds nothing of it (as its other reads find nothing of another broker's).
    if (ctx.principal.role === 'BROKER' && (own === null || (named !== null && named !== own))) {
      pageRequest({ first, after, last, before }, keyDecoder((key) => SEQUENCE.test(key)));
      return emptyConnection();
    }
    return connection(ctx, listFilter, { first, after, last, before });
  },
};

export const riskEventAccountFields: Pick<AccountResolvers, 'riskEvents'> = {
  // The parent account was already checked against the caller (account, accounts, node).
  riskEvents: (account, { kinds, first, after, last, before }, ctx) =>
    connection(
      ctx,
      { brokerId: null, accountId: account.id, kinds: nonEmpty(kinds), statuses: null, since: null, until: null },
      { first, after, last, before },
    ),
};

export const RiskEvent: RiskEventResolvers = {
  ratioBefore: (event: RiskEventRecord) => event.priorRatioKey,
  ratioAfter: (event: RiskEventRecord) => event.ratioKey,
};
