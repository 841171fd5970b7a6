/** Public API of the risk engine. */
export { evaluateAccount, evaluateAccountFigures, evaluateAccountWithPrices } from './engine';
export type { AccountFiguresEvaluation, EvaluateOptions, GreeksMode, LiquidationPriceMode } from './engine';
export { withPrices } from './prices';
export type { PriceOverride, PriceOverrides } from './prices';
export { RiskEngineError } from './errors';
export type {
  RiskEngineErrorCode,
  RiskEngineErrorDetails,
  PriceKind,
  MissingPriceDetails,
  StalePriceDetails,
  UnsupportedMarketKindDetails,
  InvalidSnapshotDetails,
} from './errors';
export { D, toD, roundUp, roundToTick } from './decimal';
export type { Dec, TickRounding } from './decimal';
export {
  buildTierSchedule,
  computeMaintenanceAmounts,
  findTierIndex,
  validateTierSchedule,
} from './rules/tier-rates';
export type { TierRateRow, TierProblem, TierProblemCode, MaintenanceAmountCheck } from './rules/tier-rates';
export type * from './result';
export type * from './types';
// What-if scenarios, liquidation outcome and inverse solvers (issue 4).
export { applyScenario, applyScenarioWithVerdict, scenarioMarkets, ScenarioInputError } from './scenario';
export type { ScenarioOutcome, StepRefusal } from './scenario';
export {
  STORE_SCALE,
  depositTransition,
  fillTransition,
  isolatedTransferTransition,
  leverageTransition,
  marginModeTransition,
  roundCredit,
  roundDebit,
  roundEntryPrice,
  withdrawalTransition,
} from './transition';
export type {
  FillInput,
  FillTransition,
  LedgerLine,
  Transition,
  TransitionLedgerKind,
  TransitionOptions,
  TransitionRefusal,
} from './transition';
export type {
  Scenario,
  PriceMove,
  VolatilityShift,
  ScenarioTrade,
  AssetAmount,
  LeverageChange,
  IsolatedMarginTransfer,
} from './scenario';
export { whatIf, riskDiff, brokenLimits } from './what-if';
export type { WhatIfResult, WhatIfOptions, RiskDiff, PositionDiff, BalanceDiff, BrokenLimit, BrokenLimitCode } from './what-if';
export { liquidationOutcome, closeBankruptcyPrice, DEFAULT_SIZE_STEP } from './liquidation-outcome';
export type { LiquidationOutcome, LiquidationStep, LiquidationOptions, InsuranceFundDraw } from './liquidation-outcome';
export { liquidationExecution, notionalOf } from './slippage';
export type { SlippageQuote } from './slippage';
export { applyFill, fillArithmetic } from './fills';
export type { FillSpec, FillOutcome, FillArithmetic, IsolatedCash } from './fills';
export { maxTradeSize, maxWithdrawable, depositToReach, minReductionToExitLiquidation } from './solvers';
export type { SolverResult, SolverVerification, PositionReduction, TradeSolverOptions, WithdrawSolverOptions } from './solvers';
