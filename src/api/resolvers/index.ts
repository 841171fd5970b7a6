/** All resolvers, typed by the code generated from schema.graphql. */
import type { Resolvers } from '../../generated/graphql';
import { DateTimeScalar } from '../scalars/datetime.scalar';
import { DecimalScalar } from '../scalars/decimal.scalar';
import { Account, accountQueries, Balance, Position } from './account.resolver';
import { accountMutations, LedgerEntry } from './account.mutation';
import { apiKeyMutations } from './api-key.mutation';
import { marketMutations } from './market.mutation';
import { oracleMutations } from './oracle.mutation';
import { settlementMutations } from './settlement.mutation';
import { AssetAdministration, venueMutations, venueQueries } from './venue.mutation';
import { Asset, Market, marketQueries } from './market.resolver';
import {
  AccountRisk,
  BalanceRisk,
  Greeks,
  InitialRateSteps,
  OptionMarginBreakdown,
  OptionValuation,
  PortfolioScan,
  PortfolioScenario,
  PositionRisk,
  PriceBoundary,
  RiskBreakdown,
  UnderlyingGreeks,
  UnderlyingLiquidation,
  SizeAddonLine,
  ValueAtRisk,
} from './risk.resolver';
import { AccountAtRisk, monitoringQueries, StressRound, StressTestResult } from './monitoring.resolver';
import { accountWhatIfFields, InsuranceFundDraw, LiquidationOutcome, LiquidationStep, whatIfQueries, WhatIfResult } from './what-if.resolver';
import { historyAccountFields, historyQueries } from './history.resolver';
import { Node, PageInfo, relayQueries } from './relay.resolver';
import { subscriptionResolvers } from './subscription.resolver';
import { Webhook, WebhookDelivery, webhookMutations, webhookQueries } from './webhook.mutation';
import { RiskEvent, riskEventAccountFields, riskEventQueries } from './risk-event.resolver';

export const resolvers: Resolvers = {
  Decimal: DecimalScalar,
  DateTime: DateTimeScalar,
  Query: { ...accountQueries, ...marketQueries, ...monitoringQueries, ...whatIfQueries, ...relayQueries, ...historyQueries, ...venueQueries, ...webhookQueries, ...riskEventQueries },
  Mutation: { ...accountMutations, ...marketMutations, ...apiKeyMutations, ...venueMutations, ...oracleMutations, ...settlementMutations, ...webhookMutations },
  Subscription: subscriptionResolvers,
  LedgerEntry,
  Account: { ...Account, ...accountWhatIfFields, ...historyAccountFields, ...riskEventAccountFields },
  RiskEvent,
  Node,
  PageInfo,
  Balance,
  Position,
  Market,
  Asset: { ...Asset, ...AssetAdministration },
  AccountRisk: { ...AccountRisk, parametersVersion: (_risk, _args, ctx) => ctx.loaders.parametersVersion.load('current') },
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
  LiquidationStep,
  InsuranceFundDraw,
  WhatIfResult,
  BalanceRisk,
  InitialRateSteps,
  OptionMarginBreakdown,
  PortfolioScan,
  PortfolioScenario,
  UnderlyingLiquidation,
  SizeAddonLine,
  Webhook,
  WebhookDelivery,
};
