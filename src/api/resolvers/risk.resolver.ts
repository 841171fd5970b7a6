/** Account and position risk fields: thin reads of the one engine result per account and request. */
import type {
  AccountRiskResolvers,
  PositionRiskResolvers,
  PriceBoundaryResolvers,
  RiskBreakdownResolvers,
} from '../../generated/graphql';

export const AccountRisk: AccountRiskResolvers = {
  totalNotional: (risk) => risk.totalNotionalUsd,
  asOf: (risk) => new Date(risk.asOfMs),
  pricesAsOf: (risk) => (risk.pricesAsOfMs === null ? null : new Date(risk.pricesAsOfMs)),
};

export const RiskBreakdown: RiskBreakdownResolvers = {
  crossPnl: (breakdown) => breakdown.crossPnlUsd,
  isolatedEquity: (breakdown) => breakdown.isolatedEquityUsd,
};

export const PositionRisk: PositionRiskResolvers = {};

export const PriceBoundary: PriceBoundaryResolvers = {
  markPrices: (boundary) =>
    Object.entries(boundary.markPrices)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([market, price]) => ({ market, price })),
};
