/** Account and position risk fields: thin reads of the one engine result per account and request. */
import type {
  AccountRiskResolvers,
  BalanceRiskResolvers,
  InitialRateStepsResolvers,
  OptionMarginBreakdownResolvers,
  PortfolioScanResolvers,
  PortfolioScenarioResolvers,
  UnderlyingLiquidationResolvers,
  SizeAddonLineResolvers,
  GreeksResolvers,
  UnderlyingGreeksResolvers,
  OptionValuationResolvers,
  PositionRiskResolvers,
  PriceBoundaryResolvers,
  RiskBreakdownResolvers,
  ValueAtRiskResolvers,
} from '../../generated/graphql';
import type { PortfolioScanRisk } from '../../risk/result';
import type { AccountBreakdown, AccountRisk as AccountRiskResult, PositionRisk as PositionRiskResult } from '../../risk/result';
import { DEFAULT_VALUATION_DECIMALS } from '../../risk/precision';
import { FIGURE_PRECISION, figureResolvers, type ReportingDecimals } from '../figure-precision';

/** An engine object with the decimals its money is reported in (src/api/figure-precision.ts). */
const withDecimals = <T extends object>(value: T, decimals: ReportingDecimals): T & ReportingDecimals => ({ ...value, ...decimals });
type ReportedBreakdown = AccountBreakdown & ReportingDecimals;
const valuationOf = (x: ReportingDecimals): ReportingDecimals => ({ valuationDecimals: x.valuationDecimals ?? DEFAULT_VALUATION_DECIMALS });

/** A position's figures with the decimals of its account's valuation asset (every path that reports a position). */
export function reportedPosition(position: PositionRiskResult, account: Pick<AccountRiskResult, 'valuationDecimals'>): PositionRiskResult & ReportingDecimals {
  return withDecimals(position, { valuationDecimals: account.valuationDecimals });
}

/** Account figures as reported: every Decimal by its kind in FIGURE_PRECISION (src/api/figure-precision.ts). */
export const AccountRisk: AccountRiskResolvers = {
  ...figureResolvers<AccountRiskResult>(FIGURE_PRECISION.AccountRisk, { sources: { totalNotional: 'totalNotionalUsd' } }),
  breakdown: (risk) => {
    const breakdown: ReportedBreakdown = { ...risk.breakdown, valuationDecimals: risk.valuationDecimals };
    return breakdown;
  },
  portfolioScans: (risk) => risk.portfolioScans.map((scan) => withDecimals(scan, { valuationDecimals: risk.valuationDecimals })),
  asOf: (risk) => new Date(risk.asOfMs),
  pricesAsOf: (risk) => (risk.pricesAsOfMs === null ? null : new Date(risk.pricesAsOfMs)),
};

export const RiskBreakdown: RiskBreakdownResolvers = {
  ...figureResolvers<ReportedBreakdown>(FIGURE_PRECISION.RiskBreakdown, {
    sources: { crossPnl: 'crossPnlUsd', isolatedEquity: 'isolatedEquityUsd', optionValue: 'optionValueUsd' },
    decimalsOf: valuationOf,
  }),
  positions: (breakdown: ReportedBreakdown) => breakdown.positions.map((p) => withDecimals(p, valuationOf(breakdown))),
  balances: (breakdown: ReportedBreakdown) => breakdown.balances.map((b) => withDecimals(b, valuationOf(breakdown))),
  portfolioScans: (breakdown: ReportedBreakdown) => breakdown.portfolioScans.map((scan) => withDecimals(scan, valuationOf(breakdown))),
};

export const OptionValuation: OptionValuationResolvers = {
  ...figureResolvers(FIGURE_PRECISION.OptionValuation),
  expiry: (option) => new Date(option.expiryMs),
};

export const OptionMarginBreakdown: OptionMarginBreakdownResolvers = figureResolvers(FIGURE_PRECISION.OptionMarginBreakdown);
export const InitialRateSteps: InitialRateStepsResolvers = figureResolvers(FIGURE_PRECISION.InitialRateSteps);
export const BalanceRisk: BalanceRiskResolvers = figureResolvers(FIGURE_PRECISION.BalanceRisk);
export const PortfolioScan: PortfolioScanResolvers = {
  ...figureResolvers(FIGURE_PRECISION.PortfolioScan),
  scenarios: (scan: PortfolioScanRisk & ReportingDecimals) => scan.scenarios.map((s) => withDecimals(s, valuationOf(scan))),
  worstScenario: (scan: PortfolioScanRisk & ReportingDecimals) => withDecimals(scan.worstScenario, valuationOf(scan)),
};
export const PortfolioScenario: PortfolioScenarioResolvers = figureResolvers(FIGURE_PRECISION.PortfolioScenario);

export const ValueAtRisk: ValueAtRiskResolvers = {
  confidence: (v) => v.confidence,
  worstScenarioDate: (v) => (v.worstScenarioDateMs === null ? null : new Date(v.worstScenarioDateMs)),
  assets: (v) => [...v.assets],
};

/** A position's figures by their kinds: settlement money in its settlement asset's decimals, `…Usd` in the valuation asset's. */
export const PositionRisk: PositionRiskResolvers = {
  ...figureResolvers<PositionRiskResult & ReportingDecimals>(FIGURE_PRECISION.PositionRisk, { decimalsOf: (p) => ({ settlementDecimals: p.settlementDecimals, ...valuationOf(p) }) }),
  option: (p) => (p.option ? withDecimals(p.option, { settlementDecimals: p.settlementDecimals }) : null),
  sizeAddon: (p) => (p.sizeAddon ? withDecimals(p.sizeAddon, { settlementDecimals: p.settlementDecimals }) : null),
};

/** Sensitivities to the reported ratio digits (src/risk/precision.ts). */
export const Greeks: GreeksResolvers = figureResolvers(FIGURE_PRECISION.Greeks);
export const UnderlyingGreeks: UnderlyingGreeksResolvers = figureResolvers(FIGURE_PRECISION.UnderlyingGreeks);

export const PriceBoundary: PriceBoundaryResolvers = {
  ...figureResolvers(FIGURE_PRECISION.PriceBoundary),
  markPrices: (boundary) =>
    Object.entries(boundary.markPrices)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([market, price]) => ({ market, price })),
};
export const SizeAddonLine: SizeAddonLineResolvers = figureResolvers(FIGURE_PRECISION.SizeAddonLine);
export const UnderlyingLiquidation: UnderlyingLiquidationResolvers = figureResolvers(FIGURE_PRECISION.UnderlyingLiquidation);
