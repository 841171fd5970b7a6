/**
 * The precision of every Decimal figure the risk reads report, by schema coordinate (README, Precision). One table:
 * the resolvers of these types are generated from it (`figureResolvers`), and `test/api/figure-walk.test.ts` walks
 * the schema and fails on a Decimal field the table does not classify. The rounding functions are the engine's
 * policy (src/risk/precision.ts), applied once, where a figure leaves the service; internal precision is unchanged.
 *
 * Kinds:
 * - SETTLEMENT_DOWN / SETTLEMENT_UP: money in the position's settlement asset, to its decimals; DOWN (toward −∞) for
 *   what the account has or may take (PnL, equity contributions), UP (toward +∞) for what it owes, must hold or is
 *   exposed to (notional, requirements, fees, slippage costs).
 * - VALUATION_DOWN / VALUATION_UP: the same, in the valuation asset's decimals (the `…Usd` figures, balances' values,
 *   portfolio scans, liquidation outcome totals).
 * - SIGNIFICANT: rates, factors, conversion prices, model values and greeks: `RATIO_SIGNIFICANT_DIGITS` significant
 *   digits, half to even.
 * - ON_TICK: prices the engine reports on the market's tick (liquidation, bankruptcy, execution prices): as computed.
 *   An option position's liquidation and bankruptcy prices are index levels of its underlying, on the 1e-8 index grid.
 * - DIFFERENCE: the difference of two reported figures of another kind (whatIf `diff`), so before + diff = after
 *   digit for digit; it carries the digits of both.
 * - GRID: solver answers, on the solver's own `unit`: as computed.
 * - AS_STORED: sizes, balances, stored prices and configured parameters: as stored or configured.
 */
import type Decimal from 'decimal.js';
import { DEFAULT_VALUATION_DECIMALS, moneyDown, moneyUp, ratio } from '../risk/precision';

export type FigureKind =
  | 'SETTLEMENT_DOWN'
  | 'SETTLEMENT_UP'
  | 'VALUATION_DOWN'
  | 'VALUATION_UP'
  | 'SIGNIFICANT'
  | 'ON_TICK'
  | 'DIFFERENCE'
  | 'GRID'
  | 'AS_STORED';

/** Decimals a reported object's money is rounded to; resolvers of nested figures receive them from their parent. */
export interface ReportingDecimals {
  readonly settlementDecimals?: number;
  readonly valuationDecimals?: number;
}

/** The account-level money figures (AccountRisk, and whatIf's diff of them), in the valuation asset. */
const ACCOUNT_FIGURES = {
  equity: 'VALUATION_DOWN',
  crossEquity: 'VALUATION_DOWN',
  initialMarginEquity: 'VALUATION_DOWN',
  marginEquity: 'VALUATION_DOWN',
  freeCollateral: 'VALUATION_DOWN',
  initialMargin: 'VALUATION_UP',
  maintenanceMargin: 'VALUATION_UP',
  totalNotional: 'VALUATION_UP',
} as const satisfies Readonly<Record<string, FigureKind>>;

export const FIGURE_PRECISION = {
  AccountRisk: { ...ACCOUNT_FIGURES, marginRatio: 'SIGNIFICANT', leverage: 'SIGNIFICANT' },
  RiskBreakdown: { crossPnl: 'VALUATION_DOWN', isolatedEquity: 'VALUATION_DOWN', optionValue: 'VALUATION_DOWN' },
  PositionRisk: {
    size: 'AS_STORED',
    contractSize: 'AS_STORED',
    entryPrice: 'AS_STORED',
    markPrice: 'AS_STORED',
    isolatedMargin: 'AS_STORED',
    settlementPrice: 'SIGNIFICANT',
    notional: 'SETTLEMENT_UP',
    maintenanceNotional: 'SETTLEMENT_UP',
    liquidityAddon: 'SETTLEMENT_UP',
    initialMargin: 'SETTLEMENT_UP',
    maintenanceMargin: 'SETTLEMENT_UP',
    // Subtracted from MM: rounded down so that the reported inputs never understate the requirement.
    maintenanceAmount: 'SETTLEMENT_DOWN',
    unrealizedPnl: 'SETTLEMENT_DOWN',
    fundingPnl: 'SETTLEMENT_DOWN',
    equityContribution: 'SETTLEMENT_DOWN',
    isolatedEquity: 'SETTLEMENT_DOWN',
    notionalUsd: 'VALUATION_UP',
    initialMarginUsd: 'VALUATION_UP',
    maintenanceMarginUsd: 'VALUATION_UP',
    unrealizedPnlUsd: 'VALUATION_DOWN',
    fundingPnlUsd: 'VALUATION_DOWN',
    equityContributionUsd: 'VALUATION_DOWN',
    volatilityFactor: 'SIGNIFICANT',
    maintenanceRate: 'SIGNIFICANT',
    liquidationPrice: 'ON_TICK',
    bankruptcyPrice: 'ON_TICK',
    closingFee: 'SETTLEMENT_UP',
  },
  SizeAddonLine: {
    initialRate: 'SIGNIFICANT',
    maintenanceRate: 'SIGNIFICANT',
    initialAmount: 'SETTLEMENT_UP',
    maintenanceAmount: 'SETTLEMENT_UP',
  },
  TierUsed: {
    notionalFloor: 'AS_STORED',
    notionalCap: 'AS_STORED',
    initialMarginRate: 'AS_STORED',
    maintenanceMarginRate: 'AS_STORED',
    maintenanceAmount: 'AS_STORED',
  },
  InitialRateSteps: {
    tier: 'AS_STORED',
    afterVolatility: 'SIGNIFICANT',
    afterOpenInterest: 'SIGNIFICANT',
    leverageRate: 'SIGNIFICANT',
    used: 'SIGNIFICANT',
    openInterestScale: 'SIGNIFICANT',
  },
  OptionValuation: {
    strike: 'AS_STORED',
    impliedVolatility: 'AS_STORED',
    // r (quote asset) and q (underlying): the stored interest rates.
    riskFreeRate: 'AS_STORED',
    dividendYield: 'AS_STORED',
    storedMarkPrice: 'AS_STORED',
    underlyingPrice: 'SIGNIFICANT',
    timeToExpiryYears: 'SIGNIFICANT',
    modelPrice: 'SIGNIFICANT',
    positionValue: 'SETTLEMENT_DOWN',
  },
  OptionMarginBreakdown: {
    alpha: 'AS_STORED',
    beta: 'AS_STORED',
    gamma: 'AS_STORED',
    strike: 'AS_STORED',
    units: 'AS_STORED',
    underlyingPrice: 'SIGNIFICANT',
    outOfTheMoney: 'SIGNIFICANT',
    optionValue: 'SIGNIFICANT',
    initialExPremium: 'SIGNIFICANT',
    maintenanceExPremium: 'SIGNIFICANT',
    initialPerUnit: 'SIGNIFICANT',
    maintenancePerUnit: 'SIGNIFICANT',
  },
  Greeks: { delta: 'SIGNIFICANT', gamma: 'SIGNIFICANT', vega: 'SIGNIFICANT', theta: 'SIGNIFICANT', rho: 'SIGNIFICANT' },
  UnderlyingGreeks: { delta: 'SIGNIFICANT', gamma: 'SIGNIFICANT', vega: 'SIGNIFICANT', theta: 'SIGNIFICANT', rho: 'SIGNIFICANT' },
  BalanceRisk: {
    amount: 'AS_STORED',
    initialWeight: 'AS_STORED',
    maintenanceWeight: 'AS_STORED',
    indexPrice: 'SIGNIFICANT',
    value: 'VALUATION_DOWN',
    initialWeightedValue: 'VALUATION_DOWN',
    maintenanceWeightedValue: 'VALUATION_DOWN',
  },
  PortfolioScan: {
    priceScanRange: 'AS_STORED',
    volScanRange: 'AS_STORED',
    extremeMoveMultiple: 'AS_STORED',
    extremeMoveCoverage: 'AS_STORED',
    maintenanceFraction: 'AS_STORED',
    underlyingPrice: 'SIGNIFICANT',
    scanRisk: 'VALUATION_UP',
    shortOptionMinimum: 'VALUATION_UP',
    initialMargin: 'VALUATION_UP',
    maintenanceMargin: 'VALUATION_UP',
  },
  PortfolioScenario: {
    rangeFraction: 'SIGNIFICANT',
    priceMove: 'SIGNIFICANT',
    underlyingPrice: 'SIGNIFICANT',
    volShift: 'SIGNIFICANT',
    coverage: 'SIGNIFICANT',
    pnl: 'VALUATION_DOWN',
  },
  PriceBoundary: { ratio: 'SIGNIFICANT', indexPrice: 'ON_TICK' },
  MarketPrice: { price: 'ON_TICK' },
  RiskDiff: { ...ACCOUNT_FIGURES, marginRatio: 'DIFFERENCE' },
  PositionDiff: {
    sizeBefore: 'AS_STORED',
    sizeAfter: 'AS_STORED',
    sizeChange: 'AS_STORED',
    entryPriceBefore: 'AS_STORED',
    entryPriceAfter: 'AS_STORED',
    // Differences of the positions' reported …Usd figures (whatIf `diff`: before + change = after, digit for digit).
    initialMarginChange: 'VALUATION_UP',
    maintenanceMarginChange: 'VALUATION_UP',
    unrealizedPnlChange: 'VALUATION_DOWN',
    notionalChange: 'VALUATION_UP',
    liquidationPriceBefore: 'ON_TICK',
    liquidationPriceAfter: 'ON_TICK',
  },
  BalanceDiff: { before: 'AS_STORED', after: 'AS_STORED', change: 'AS_STORED' },
  LiquidationOutcome: {
    sizeStep: 'AS_STORED',
    totalClosedNotional: 'VALUATION_UP',
    totalFees: 'VALUATION_UP',
    totalSlippageCost: 'VALUATION_UP',
    totalRealizedPnl: 'VALUATION_DOWN',
    deficit: 'VALUATION_UP',
    insuranceFundDraw: 'VALUATION_DOWN',
    residualLoss: 'VALUATION_UP',
  },
  LiquidationStep: {
    closedSize: 'AS_STORED',
    remainingSize: 'AS_STORED',
    markPrice: 'AS_STORED',
    executionPrice: 'ON_TICK',
    bankruptcyPrice: 'ON_TICK',
    slippageRate: 'SIGNIFICANT',
    slippageCost: 'SETTLEMENT_UP',
    closedNotional: 'SETTLEMENT_UP',
    fee: 'SETTLEMENT_UP',
    feeUncapped: 'SETTLEMENT_UP',
    realizedPnl: 'SETTLEMENT_DOWN',
    isolatedEquity: 'SETTLEMENT_DOWN',
    closedNotionalUsd: 'VALUATION_UP',
    equity: 'VALUATION_DOWN',
    crossEquity: 'VALUATION_DOWN',
    marginEquity: 'VALUATION_DOWN',
    initialMarginEquity: 'VALUATION_DOWN',
    maintenanceMargin: 'VALUATION_UP',
    initialMargin: 'VALUATION_UP',
  },
  InsuranceFundDraw: { amount: 'AS_STORED', balanceBefore: 'AS_STORED', balanceAfter: 'AS_STORED', amountUsd: 'VALUATION_UP' },
  SolverResult: { answer: 'GRID', unit: 'AS_STORED' },
  SolverVerification: { answer: 'GRID', crossing: 'GRID', valueAtAnswer: 'VALUATION_DOWN', valueAtCrossing: 'VALUATION_DOWN' },
  PositionReduction: { size: 'AS_STORED', sizeBefore: 'AS_STORED' },
  UnderlyingLiquidation: { indexPrice: 'SIGNIFICANT' },
} as const satisfies Readonly<Record<string, Readonly<Record<string, FigureKind>>>>;

/** `value` reported by its kind; `decimals` are the reporting object's (money kinds need theirs). */
export function reportFigure(kind: FigureKind, value: Decimal, decimals: ReportingDecimals): Decimal {
  switch (kind) {
    case 'SETTLEMENT_DOWN':
      return moneyDown(value, settlementDecimals(decimals));
    case 'SETTLEMENT_UP':
      return moneyUp(value, settlementDecimals(decimals));
    case 'VALUATION_DOWN':
      return moneyDown(value, decimals.valuationDecimals ?? DEFAULT_VALUATION_DECIMALS);
    case 'VALUATION_UP':
      return moneyUp(value, decimals.valuationDecimals ?? DEFAULT_VALUATION_DECIMALS);
    case 'SIGNIFICANT':
      return ratio(value);
    case 'ON_TICK':
    case 'DIFFERENCE':
    case 'GRID':
    case 'AS_STORED':
      return value;
  }
}

function settlementDecimals(decimals: ReportingDecimals): number {
  if (decimals.settlementDecimals === undefined) throw new Error('a settlement figure was reported without its settlement decimals');
  return decimals.settlementDecimals;
}

type FigureTable = (typeof FIGURE_PRECISION)[keyof typeof FIGURE_PRECISION];

/**
 * Resolvers for the figures of one type: each field reads `source[field]` (or `sources[field]`) of the parent and
 * reports it by its kind, with the parent's decimals (or those `decimalsOf(parent)` gives).
 */
export function figureResolvers<P extends object>(
  table: FigureTable,
  options: {
    readonly decimalsOf?: (parent: P) => ReportingDecimals;
    readonly sources?: Readonly<Record<string, string>>;
    readonly except?: readonly string[];
  } = {},
): Record<string, (parent: P) => Decimal | null> {
  const resolvers: Record<string, (parent: P) => Decimal | null> = {};
  for (const [field, kind] of Object.entries(table) as [string, FigureKind][]) {
    if (options.except?.includes(field)) continue;
    const source = options.sources?.[field] ?? field;
    resolvers[field] = (parent: P) => {
      const value = (parent as Record<string, unknown>)[source] as Decimal | null | undefined;
      if (value === null || value === undefined) return null;
      return reportFigure(kind, value, options.decimalsOf ? options.decimalsOf(parent) : (parent as ReportingDecimals));
    };
  }
  return resolvers;
}
