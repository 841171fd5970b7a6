/** Account and position risk fields: thin reads of the one engine result per account and request. */
import type {
  AccountRiskResolvers,
  OptionValuationResolvers,
  PositionRiskResolvers,
  PriceBoundaryResolvers,
  RiskBreakdownResolvers,
  ValueAtRiskResolvers,
} from '../../generated/graphql';

export const AccountRisk: AccountRiskResolvers = {
  totalNotional: (risk) => risk.totalNotionalUsd,
  asOf: (risk) => new Date(risk.asOfMs),
  pricesAsOf: (risk) => (risk.pricesAsOfMs === null ? null : new Date(risk.pricesAsOfMs)),
};

export const RiskBreakdown: RiskBreakdownResolvers = {
  crossPnl: (breakdown) => breakdown.crossPnlUsd,
  isolatedEquity: (breakdown) => breakdown.isolatedEquityUsd,
  optionValue: (breakdown) => breakdown.optionValueUsd,
};

export const OptionValuation: OptionValuationResolvers = {
  expiry: (option) => new Date(option.expiryMs),
  impliedVolatility: (option) => option.impliedVolatility,
};

export const ValueAtRisk: ValueAtRiskResolvers = {
  confidence: (v) => v.confidence,
  worstScenarioDate: (v) => (v.worstScenarioDateMs === null ? null : new Date(v.worstScenarioDateMs)),
  assets: (v) => [...v.assets],
};

export const PositionRisk: PositionRiskResolvers = {};

export const PriceBoundary: PriceBoundaryResolvers = {
  markPrices: (boundary) =>
    Object.entries(boundary.markPrices)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([market, price]) => ({ market, price })),
};
