/**
 * Margin rules, one file each: the rule's formula with its doc comment (units), its normalized form, its
 * double-precision form where the liquidation search needs one, its breakdown line and its parameter specification
 * (bounds of the API input, turned into a zod schema by src/api/rule-schemas.ts). See README.md here for how to add
 * the next rule.
 */
import type { ParameterSpec } from './schema';
import { SIZE_ADDON_PARAMETERS } from './size-addon';
import { CLOSING_FEE_PARAMETERS } from './closing-fee';
import { LIQUIDITY_ADDON_PARAMETERS } from './liquidity-addon';
import { VOLATILITY_ADJUSTMENT_PARAMETERS } from './volatility-adjustment';
import { OPEN_INTEREST_SCALING_PARAMETERS } from './open-interest-scaling';
import { COLLATERAL_WEIGHT_PARAMETERS } from './collateral-weights';
import { SHORT_OPTION_PARAMETERS } from './short-option';
import { USER_LEVERAGE_PARAMETERS } from './user-leverage';

export type { ParameterSpec, RateParameter } from './schema';
export * from './size-addon';
export * from './closing-fee';
export * from './liquidity-addon';
export * from './volatility-adjustment';
export * from './open-interest-scaling';
export * from './collateral-weights';
export * from './tier-rates';
export * from './short-option';
export * from './user-leverage';

/** Every market rule's parameter specification, by rule (upsertMarket validates its input with each). */
export const RULE_PARAMETERS = {
  sizeAddon: SIZE_ADDON_PARAMETERS,
  closingFee: CLOSING_FEE_PARAMETERS,
  liquidityAddon: LIQUIDITY_ADDON_PARAMETERS,
  volatilityAdjustment: VOLATILITY_ADJUSTMENT_PARAMETERS,
  openInterestScaling: OPEN_INTEREST_SCALING_PARAMETERS,
  shortOption: SHORT_OPTION_PARAMETERS,
} as const satisfies Record<string, ParameterSpec>;

/** Position settings' specifications (setLeverage validates `leverage` with it). */
export const POSITION_RULE_PARAMETERS = {
  userLeverage: USER_LEVERAGE_PARAMETERS,
} as const satisfies Record<string, ParameterSpec>;

/** Every asset rule's parameter specification (createAsset and updateAsset validate their input with each). */
export const ASSET_RULE_PARAMETERS = {
  collateralWeights: COLLATERAL_WEIGHT_PARAMETERS,
} as const satisfies Record<string, ParameterSpec>;
