/**
 * The precision policy of every figure the service reports (the API and the `account_risk` table alike). The engine
 * computes at its full internal precision (50 significant digits); these functions round a figure once, where it
 * leaves the service, so one figure is one string on every path that reports it (Account.risk, whatIf, the solvers,
 * value at risk, accountsAtRisk, riskSummary):
 *
 * - Money, in its asset's decimals (`asset.decimals`; account figures in the valuation asset's), rounded against the
 *   account: what the account has or may take (equity, margin equities, free collateral, PnL, withdrawable amounts,
 *   the current value of value at risk) toward −∞ (`moneyDown`); what it owes, must hold or is exposed to
 *   (initial and maintenance margin, notional, value at risk, expected shortfall, deposits needed) toward +∞
 *   (`moneyUp`). The engine already rounds requirements up to the settlement asset's decimals, so for requirements
 *   settled in the valuation asset this changes nothing.
 * - Ratios (margin ratio, leverage, distance to liquidation): `RATIO_SIGNIFICANT_DIGITS` significant digits, half to
 *   even, computed from the unrounded figures. The status, not the rounded ratio, decides liquidatability.
 * - Prices reported by the engine (liquidation, bankruptcy, execution prices) are already on their market's tick
 *   (src/risk/liquidation.ts), and stored prices are reported as stored.
 *
 * Every function is pure and returns a value equal to its rounded input (a decimal.js Decimal in the input's class).
 */
import Decimal from 'decimal.js';
import type { AccountStatus } from './types';

/** Significant digits of every reported ratio. */
export const RATIO_SIGNIFICANT_DIGITS = 12;

/** Money the account has or may take: `x` rounded to `decimals` toward −∞. */
export function moneyDown(x: Decimal, decimals: number): Decimal {
  return x.toDecimalPlaces(decimals, Decimal.ROUND_FLOOR);
}

/** Money the account owes, must hold or is exposed to: `x` rounded to `decimals` toward +∞. */
export function moneyUp(x: Decimal, decimals: number): Decimal {
  return x.toDecimalPlaces(decimals, Decimal.ROUND_CEIL);
}

/** A ratio: `RATIO_SIGNIFICANT_DIGITS` significant digits, ROUND_HALF_EVEN. */
export function ratio(x: Decimal): Decimal {
  return x.toSignificantDigits(RATIO_SIGNIFICANT_DIGITS, Decimal.ROUND_HALF_EVEN);
}

export function ratioOrNull(x: Decimal | null): Decimal | null {
  return x === null ? null : ratio(x);
}

/** An evaluation's free collateral as reported (the valuation asset's decimals, toward −∞): what a write's payload says. */
export function reportedFreeCollateral(risk: { readonly freeCollateral: Decimal; readonly valuationDecimals: number }): Decimal {
  return moneyDown(risk.freeCollateral, risk.valuationDecimals);
}

/** The account-level figures of an evaluation as reported (valuation asset money and ratios). */
export interface ReportedAccountFigures {
  readonly equity: Decimal;
  readonly crossEquity: Decimal;
  readonly initialMarginEquity: Decimal;
  readonly marginEquity: Decimal;
  readonly initialMargin: Decimal;
  readonly maintenanceMargin: Decimal;
  readonly freeCollateral: Decimal;
  readonly totalNotional: Decimal;
  readonly marginRatio: Decimal | null;
  readonly leverage: Decimal | null;
}

/** Fallback decimals of the valuation asset when the snapshot does not list it (the engine's own fallback). */
export const DEFAULT_VALUATION_DECIMALS = 8;

/** Decimals of a snapshot's (or market context's) valuation asset: account figures are reported in them. */
export function valuationDecimalsOf(snapshot: { readonly assets: Readonly<Record<string, { readonly decimals: number }>>; readonly valuationAsset: string }): number {
  return snapshot.assets[snapshot.valuationAsset]?.decimals ?? DEFAULT_VALUATION_DECIMALS;
}

/**
 * The reported account figures of an evaluation: money in the valuation asset's `decimals` (see the module
 * comment for directions), margin ratio and leverage to `RATIO_SIGNIFICANT_DIGITS` of the unrounded figures.
 */
export function reportedAccountFigures(
  risk: {
    readonly equity: Decimal;
    readonly crossEquity: Decimal;
    readonly initialMarginEquity: Decimal;
    readonly marginEquity: Decimal;
    readonly initialMargin: Decimal;
    readonly maintenanceMargin: Decimal;
    readonly freeCollateral: Decimal;
    readonly totalNotionalUsd: Decimal;
    readonly marginRatio: Decimal | null;
    readonly leverage: Decimal | null;
  },
  decimals: number,
): ReportedAccountFigures {
  return {
    equity: moneyDown(risk.equity, decimals),
    crossEquity: moneyDown(risk.crossEquity, decimals),
    initialMarginEquity: moneyDown(risk.initialMarginEquity, decimals),
    marginEquity: moneyDown(risk.marginEquity, decimals),
    initialMargin: moneyUp(risk.initialMargin, decimals),
    maintenanceMargin: moneyUp(risk.maintenanceMargin, decimals),
    freeCollateral: moneyDown(risk.freeCollateral, decimals),
    totalNotional: moneyUp(risk.totalNotionalUsd, decimals),
    marginRatio: ratioOrNull(risk.marginRatio),
    leverage: ratioOrNull(risk.leverage),
  };
}

/** The figures the account risk table stores for an evaluation (and the screened path proves equal, screen/figures.ts). */
export interface RowFigures extends Omit<ReportedAccountFigures, 'crossEquity' | 'leverage'> {
  readonly status: AccountStatus;
  /** Oldest observation among the prices used. */
  readonly pricesAsOfMs: number | null;
}

/**
 * The row figures as the account risk table stores them: each Decimal as its `toFixed()` text (plain notation, the
 * value exactly). The screened path writes them without building Decimals (screen/figures.ts screenRowTexts).
 */
export interface RowFigureTexts {
  readonly status: AccountStatus;
  readonly marginRatio: string | null;
  readonly equity: string;
  readonly initialMarginEquity: string;
  readonly marginEquity: string;
  readonly initialMargin: string;
  readonly maintenanceMargin: string;
  readonly freeCollateral: string;
  readonly totalNotional: string;
  readonly pricesAsOfMs: number | null;
}

/** The row figures of an exact evaluation (engine.ts evaluateAccountFigures): reportedAccountFigures, plus status and prices-as-of. */
export function reportedRowFigures(evaluation: {
  readonly figures: Parameters<typeof reportedAccountFigures>[0] & { readonly status: AccountStatus };
  readonly valuationDecimals: number;
  readonly pricesAsOfMs: number | null;
}): RowFigures {
  const { crossEquity: _crossEquity, leverage: _leverage, ...reported } = reportedAccountFigures(evaluation.figures, evaluation.valuationDecimals);
  return { ...reported, status: evaluation.figures.status, pricesAsOfMs: evaluation.pricesAsOfMs };
}

/**
 * The change of the reported account figures from `before` to `after` (what-if `diff`): differences of the reported
 * values, so `before + diff = after` string for string; the margin ratio's is null when either ratio is null.
 */
export function reportedFigureChange(
  before: ReportedAccountFigures,
  after: ReportedAccountFigures,
): Omit<ReportedAccountFigures, 'leverage'> {
  return {
    equity: after.equity.sub(before.equity),
    crossEquity: after.crossEquity.sub(before.crossEquity),
    initialMarginEquity: after.initialMarginEquity.sub(before.initialMarginEquity),
    marginEquity: after.marginEquity.sub(before.marginEquity),
    initialMargin: after.initialMargin.sub(before.initialMargin),
    maintenanceMargin: after.maintenanceMargin.sub(before.maintenanceMargin),
    freeCollateral: after.freeCollateral.sub(before.freeCollateral),
    totalNotional: after.totalNotional.sub(before.totalNotional),
    marginRatio: after.marginRatio === null || before.marginRatio === null ? null : after.marginRatio.sub(before.marginRatio),
  };
}

/** Solver quantities that are account money the account has (reported with `moneyDown`); others are prices. */
const MONEY_QUANTITIES: ReadonlySet<string> = new Set(['freeCollateral', 'marginEquity - maintenanceMargin']);

/** A solver verification's checked value as reported: account money in the valuation decimals, prices as they are. */
export function reportedVerificationValue(quantity: string, value: Decimal | null, decimals: number): Decimal | null {
  return value === null || !MONEY_QUANTITIES.has(quantity) ? value : moneyDown(value, decimals);
}
