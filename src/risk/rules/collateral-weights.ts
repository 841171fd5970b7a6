/**
 * Collateral weights (DESIGN section 3): a balance counts toward margin equity at a weighted value.
 *
 *   value_b    = amount_b · index_b                            (valuation asset)
 *   w          = asset weight (amount > 0) or liability weight (amount < 0), for IM and for MM separately
 *   weighted_b = value_b · w                                   (initialMarginEquity uses w_init, marginEquity w_maint)
 *
 * A positive balance counts at most its value, less for initial than for maintenance margin
 * (0 ≤ w_init ≤ w_maint ≤ 1); a negative balance counts at least its value, more for initial margin
 * (1 ≤ w_maint_liab ≤ w_init_liab ≤ 10). Weights are constant in the price, so the liquidation search's double form is
 * the weight itself as a double (liquidation.ts deltaOneFastGap: amount·index·s·w). Breakdown: one BalanceRisk line
 * per non-zero balance. Parameters are the asset's (createAsset, updateAsset); default 1 (no haircut).
 */
import type Decimal from 'decimal.js';
import { toD } from '../decimal';
import type { NBalance } from '../model';
import type { BalanceRisk, WeightKind } from '../result';
import type { AssetParams } from '../types';
import type { ParameterSpec } from './schema';

/** The weights a balance of `amount` takes from its asset's parameters. */
export interface BalanceWeights {
  readonly weightKind: WeightKind;
  readonly initialWeight: Decimal;
  readonly maintenanceWeight: Decimal;
}

/** Asset weights for a positive amount, liability weights for a negative one (engine context). */
export function balanceWeights(params: AssetParams, amount: Decimal): BalanceWeights {
  const positive = amount.isPos();
  return {
    weightKind: positive ? 'ASSET' : 'LIABILITY',
    initialWeight: toD(positive ? params.initialWeight : params.initialLiabilityWeight),
    maintenanceWeight: toD(positive ? params.maintenanceWeight : params.maintenanceLiabilityWeight),
  };
}

/** Breakdown line of a balance: value = amount·index, weighted values = value·weight (valuation asset). */
export function balanceLine(b: NBalance): BalanceRisk {
  const value = b.amount.mul(b.indexPrice);
  return Object.freeze({
    asset: b.asset,
    amount: b.amount,
    indexPrice: b.indexPrice,
    value,
    weightKind: b.weightKind,
    initialWeight: b.initialWeight,
    maintenanceWeight: b.maintenanceWeight,
    initialWeightedValue: value.mul(b.initialWeight),
    maintenanceWeightedValue: value.mul(b.maintenanceWeight),
  });
}

export const MAX_LIABILITY_WEIGHT = '10';

/** API input (createAsset, updateAsset): the ranges and orderings of the module comment. */
export const COLLATERAL_WEIGHT_PARAMETERS: ParameterSpec = {
  fields: [
    { field: 'initialWeight', max: '1' },
    { field: 'maintenanceWeight', max: '1' },
    { field: 'initialLiabilityWeight', min: '1', max: MAX_LIABILITY_WEIGHT },
    { field: 'maintenanceLiabilityWeight', min: '1', max: MAX_LIABILITY_WEIGHT },
  ],
  ordered: [
    { lower: 'initialWeight', upper: 'maintenanceWeight', report: 'lower' },
    { lower: 'maintenanceLiabilityWeight', upper: 'initialLiabilityWeight', report: 'upper' },
  ],
};
