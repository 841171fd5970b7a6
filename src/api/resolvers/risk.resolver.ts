/** Account and position risk fields: thin reads of the one engine result per account and request. */
import type {
  AccountRiskResolvers,
  GreeksResolvers,
  UnderlyingGreeksResolvers,
  OptionValuationResolvers,
  PositionRiskResolvers,
  PriceBoundaryResolvers,
  RiskBreakdownResolvers,
  ValueAtRiskResolvers,
} from '../../generated/graphql';
import type { AccountBreakdown } from '../../risk/result';
import { DEFAULT_VALUATION_DECIMALS, moneyDown, moneyUp, ratio, ratioOrNull } from '../../risk/precision';

/** The breakdown with the decimals its account-level money is reported in. */
type ReportedBreakdown = AccountBreakdown & { readonly valuationDecimals?: number };
const decimalsOf = (b: ReportedBreakdown): number => b.valuationDecimals ?? DEFAULT_VALUATION_DECIMALS;

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
  breakdown: (risk) => {
    const breakdown: ReportedBreakdown = { ...risk.breakdown, valuationDecimals: risk.valuationDecimals };
    return breakdown;
  },
  asOf: (risk) => new Date(risk.asOfMs),
  pricesAsOf: (risk) => (risk.pricesAsOfMs === null ? null : new Date(risk.pricesAsOfMs)),
};

export const RiskBreakdown: RiskBreakdownResolvers = {
  crossPnl: (breakdown) => moneyDown(breakdown.crossPnlUsd, decimalsOf(breakdown)),
  isolatedEquity: (breakdown) => moneyDown(breakdown.isolatedEquityUsd, decimalsOf(breakdown)),
  optionValue: (breakdown) => moneyDown(breakdown.optionValueUsd, decimalsOf(breakdown)),
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

/** PnL in the settlement asset's decimals, rounded down (src/risk/precision.ts). */
export const PositionRisk: PositionRiskResolvers = {
  unrealizedPnl: (p) => moneyDown(p.unrealizedPnl, p.settlementDecimals),
  fundingPnl: (p) => moneyDown(p.fundingPnl, p.settlementDecimals),
};

/** Sensitivities to the reported ratio digits (src/risk/precision.ts). */
export const Greeks: GreeksResolvers = {
  delta: (g) => ratio(g.delta),
  gamma: (g) => ratio(g.gamma),
  vega: (g) => ratio(g.vega),
  theta: (g) => ratio(g.theta),
  rho: (g) => ratio(g.rho),
};

export const UnderlyingGreeks: UnderlyingGreeksResolvers = {
  delta: (g) => ratio(g.delta),
  gamma: (g) => ratio(g.gamma),
  vega: (g) => ratio(g.vega),
  theta: (g) => ratio(g.theta),
  rho: (g) => ratio(g.rho),
};

export const PriceBoundary: PriceBoundaryResolvers = {
  markPrices: (boundary) =>
    Object.entries(boundary.markPrices)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([market, price]) => ({ market, price })),
};
