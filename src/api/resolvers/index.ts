/** All resolvers, typed by the code generated from schema.graphql. */
import type { Resolvers } from '../../generated/graphql';
import { DateTimeScalar } from '../scalars/datetime.scalar';
import { DecimalScalar } from '../scalars/decimal.scalar';
import { Account, accountQueries, Balance, Position } from './account.resolver';
import { accountMutations, LedgerEntry } from './account.mutation';
import { apiKeyMutations } from './api-key.mutation';
import { marketMutations } from './market.mutation';
import { Asset, Market, marketQueries } from './market.resolver';
import { AccountRisk, Greeks, OptionValuation, PositionRisk, PriceBoundary, RiskBreakdown, UnderlyingGreeks, ValueAtRisk } from './risk.resolver';
import { AccountAtRisk, monitoringQueries, StressRound, StressTestResult } from './monitoring.resolver';
import { accountWhatIfFields, LiquidationOutcome, whatIfQueries, WhatIfResult } from './what-if.resolver';
import { historyAccountFields, historyQueries } from './history.resolver';
import { Node, PageInfo, relayQueries } from './relay.resolver';

export const resolvers: Resolvers = {
  Decimal: DecimalScalar,
  DateTime: DateTimeScalar,
  Query: { ...accountQueries, ...marketQueries, ...monitoringQueries, ...whatIfQueries, ...relayQueries, ...historyQueries },
  Mutation: { ...accountMutations, ...marketMutations, ...apiKeyMutations },
  LedgerEntry,
  Account: { ...Account, ...accountWhatIfFields, ...historyAccountFields },
  Node,
  PageInfo,
  Balance,
  Position,
  Market,
  Asset,
  AccountRisk,
  RiskBreakdown,
  PositionRisk,
  PriceBoundary,
  OptionValuation,
  ValueAtRisk,
  Greeks,
  UnderlyingGreeks,
  AccountAtRisk,
  StressTestResult,
  StressRound,
  LiquidationOutcome,
  WhatIfResult,
};
