/**
 * Open-interest scaling of the initial margin rate (dYdX): as the market's open interest grows from the lower to the
 * upper cap, the initial rate rises linearly toward 1.
 *
 *   OI_N   = OI·c·P (LINEAR, quote) or OI·c (INVERSE, quote face value)     (OI in contracts, absolute)
 *   scale  = clamp((OI_N − lower)/(upper − lower), 0, 1)                     (caps in quote notional)
 *   imr_oi = imr_v + (1 − imr_v)·scale,  floored to a multiple of `rateStep` (dYdX's integer ppm) but never below imr_v
 *
 * with imr_v the tier rate after the volatility adjustment. IM only (MM unchanged), so the liquidation search needs
 * no double form. Breakdown: initialRate.afterOpenInterest and initialRate.openInterestScale. The open interest comes
 * from the store (snapshot loader); the caps are the market's parameters. Off (null) by default; upper > lower.
 */
import type Decimal from 'decimal.js';
import { ONE, ZERO, clampD, floorToStep, maxD, toD } from '../decimal';
import { invalidSnapshot } from '../errors';
import type { ParameterSpec } from './schema';

/** Engine input (MarketParams.openInterestScaling). Caps in quote notional. */
export interface OpenInterestScaling {
  readonly lowerCap: Decimal;
  readonly upperCap: Decimal;
  /** Open interest of the market in contracts (absolute). */
  readonly openInterest: Decimal;
  /**
   * Optional: floor the effective initial margin rate to a multiple of this step (dYdX computes the effective IMF in
   * integer ppm, i.e. step 0.000001). Absent or null = no flooring.
   */
  readonly rateStep?: Decimal | null;
}

/** Normalized (engine context). */
export interface NOpenInterestScaling {
  readonly lowerCap: Decimal;
  readonly upperCap: Decimal;
  readonly openInterest: Decimal;
  /** Floor the effective rate to a multiple of this (e.g. 0.000001 = dYdX's integer ppm); null = no flooring. */
  readonly rateStep: Decimal | null;
}

export function normalizeOpenInterestScaling(symbol: string, oi: OpenInterestScaling | null): NOpenInterestScaling | null {
  if (oi === null) return null;
  if (!toD(oi.upperCap).gt(toD(oi.lowerCap))) {
    throw invalidSnapshot(`market ${symbol}: OI scaling upper cap must exceed lower cap`, { market: symbol });
  }
  return {
    lowerCap: toD(oi.lowerCap),
    upperCap: toD(oi.upperCap),
    openInterest: toD(oi.openInterest).abs(),
    rateStep: oi.rateStep === undefined || oi.rateStep === null ? null : toD(oi.rateStep),
  };
}

/** The scaled rate and the scale (the breakdown's afterOpenInterest and openInterestScale). */
export interface OpenInterestRate {
  readonly rate: Decimal;
  readonly scale: Decimal;
}

/**
 * imr_oi from imr_v at mark P (see the module comment). LINEAR OI_N = OI·c·P; INVERSE OI_N = OI·c.
 */
export function openInterestScaledRate(rule: NOpenInterestScaling, linear: boolean, contractSize: Decimal, mark: Decimal, afterVolatility: Decimal): OpenInterestRate {
  const face = rule.openInterest.mul(contractSize);
  const oiNotional = linear ? face.mul(mark) : face;
  const scale = clampD(oiNotional.sub(rule.lowerCap).div(rule.upperCap.sub(rule.lowerCap)), ZERO, ONE);
  let rate = afterVolatility.add(ONE.sub(afterVolatility).mul(scale));
  if (rule.rateStep !== null) rate = maxD(afterVolatility, floorToStep(rate, rule.rateStep));
  return { rate, scale };
}

/** Largest cap the API takes (quote notional). */
export const OPEN_INTEREST_CAP_MAX = '1e24';

/** API input (upsertMarket): 0 ≤ oiLowerCap < oiUpperCap ≤ 1e24, given together. */
export const OPEN_INTEREST_SCALING_PARAMETERS: ParameterSpec = {
  fields: [
    { field: 'oiLowerCap', max: OPEN_INTEREST_CAP_MAX },
    { field: 'oiUpperCap', max: OPEN_INTEREST_CAP_MAX, positive: true },
  ],
  together: ['oiLowerCap', 'oiUpperCap'],
  ordered: [{ lower: 'oiLowerCap', upper: 'oiUpperCap', strict: true, report: 'upper' }],
};
