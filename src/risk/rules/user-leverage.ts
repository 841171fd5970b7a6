/**
 * User leverage (a position setting, `setLeverage`; what-if `leverageChanges`): a user who chooses leverage L on a
 * position raises its initial margin rate to at least 1/L:
 *   leverageRate = 1 / L                          (dimensionless; null when the user chose none = the market maximum)
 *   imr_used     = max(imr_after_OI, leverageRate)
 * It never lowers a requirement and never touches MM (IM only). L is dimensionless, 0 < L ≤ USER_LEVERAGE_MAX.
 */
import type Decimal from 'decimal.js';
import { ONE } from '../decimal';
import type { ParameterSpec } from './schema';

/** Highest user leverage accepted (dimensionless). */
export const USER_LEVERAGE_MAX = '1000';

/** API bounds of `leverage` (setLeverage input; null clears it): 0 < L ≤ USER_LEVERAGE_MAX. */
export const USER_LEVERAGE_PARAMETERS: ParameterSpec = { fields: [{ field: 'leverage', max: USER_LEVERAGE_MAX, positive: true }] };

/** 1/L, the rate a chosen leverage L imposes; null without a choice. */
export function leverageRateOf(leverage: Decimal | null): Decimal | null {
  return leverage === null ? null : ONE.div(leverage);
}

/** The initial margin rate used: max(rate after OI scaling, 1/L), and whether the leverage set it. */
export function withUserLeverage(afterOpenInterest: Decimal, leverageRate: Decimal | null): { readonly used: Decimal; readonly leverageBinds: boolean } {
  const leverageBinds = leverageRate !== null && leverageRate.gt(afterOpenInterest);
  return { used: leverageBinds ? leverageRate : afterOpenInterest, leverageBinds };
}
