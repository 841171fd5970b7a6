/** Account and position risk fields: thin reads of the one engine result per account and request. */
import type {
  AccountRiskResolvers,
  OptionValuationResolvers,
  PositionRiskResolvers,
  PriceBoundaryResolvers,
  RiskBreakdownResolvers,
  ValueAtRiskResolvers,
} from '../../generated/graphql';
import { moneyDown, moneyUp, ratioOrNull } from '../../risk/precision';

/** Account figures as reported (src/risk/precision.ts): money in the valuation asset's decimals, ratios to 12 digits. */
export const AccountRisk: AccountRiskResolvers = {
  equity: (risk) => moneyDown(risk.equity, risk.valuationDecimals),
  crossEquity: (risk) => moneyDown(risk.crossEquity, risk.valuationDecimals),
  initialMarginEquity: (risk) => moneyDown(risk.initialMarginEquity, risk.valuationDecimals),
  marginEquity: (risk) => moneyDown(risk.marginEquity, risk.valuationDecimals),
  initialMargin: (risk) => moneyUp(risk.initialMargin, risk.valuationDecimals),
  maintenanceMargin: (risk) => moneyUp(risk.maintenanceMargin, risk.valuationDecimals),
  freeCollateral: (risk) => moneyDown(risk.freeCollateral, risk.valuationDecimals),
  marginRatio: (risk) => ratioOrNull(risk.marginRatio),
  leverage: (risk) => ratioOrNull(risk.leverage),
  totalNotional: (risk) => moneyUp(risk.totalNotionalUsd, risk.valuationDecimals),
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
