/** All resolvers, typed by the code generated from schema.graphql. */
import type { Resolvers } from '../../generated/graphql';
import { DateTimeScalar } from '../scalars/datetime.scalar';
import { DecimalScalar } from '../scalars/decimal.scalar';
import { Account, accountQueries, Balance, Position } from './account.resolver';
import { Asset, Market, marketQueries } from './market.resolver';
import { AccountRisk, PositionRisk, PriceBoundary, RiskBreakdown } from './risk.resolver';

export const resolvers: Resolvers = {
  Decimal: DecimalScalar,
  DateTime: DateTimeScalar,
  Query: { ...accountQueries, ...marketQueries },
  Account,
  Balance,
  Position,
  Market,
  Asset,
  AccountRisk,
  RiskBreakdown,
  PositionRisk,
  PriceBoundary,
};
