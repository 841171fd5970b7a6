/** Public API of the risk engine. */
export { evaluateAccount, evaluateAccountWithPrices } from './engine';
export type { EvaluateOptions, LiquidationPriceMode } from './engine';
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
} from './tiers';
export type { TierRateRow, TierProblem, TierProblemCode, MaintenanceAmountCheck } from './tiers';
export type * from './result';
export type * from './types';
