/**
 * Volatility adjustment: the initial rate is raised to cover a z-score move over the liquidation horizon, and the
 * maintenance rate and amount scale by the same factor.
 *
 *   r_vol = z·σ·√h                 (σ realized daily volatility, fraction; h horizon in days; z dimensionless)
 *   k     = max(imr, r_vol) / imr  (dimensionless; 1 when off or imr = 0)
 *   imr·k, mmr·k, cum·k            (cum in notional units)
 *
 * k is computed once per tier of a normalized market (model.ts), and the double form is the tiers' own mmr·k and
 * cum·k (fast-terms.ts fastTiers): no separate double expression. Breakdown: PositionRisk.volatilityFactor (k) and
 * initialRate.afterVolatility (imr·k). MM jumps at tier floors with it (k differs per tier), so isolated prices are
 * searched rather than solved in closed form. σ is computed by the store from the price history (snapshot loader);
 * z and h are the market's parameters. Off (null) by default.
 */
import type Decimal from 'decimal.js';
import { ONE, maxD, toD } from '../decimal';
import type { ParameterSpec } from './schema';

/** Engine input (MarketParams.volatilityAdjustment). */
export interface VolatilityAdjustment {
  /** z-score of the confidence level (for example 2.326 for 99%). */
  readonly zScore: Decimal;
  /** Liquidation horizon in days. */
  readonly horizonDays: Decimal;
  /** Realized daily volatility (fraction) computed by the store from price history over the lookback. */
  readonly dailyVolatility: Decimal;
}

/** r_vol = z·σ·√h (a rate), or null when off. */
export function volatilityRateOf(p: VolatilityAdjustment | null): Decimal | null {
  return p === null ? null : toD(p.zScore).mul(toD(p.dailyVolatility)).mul(toD(p.horizonDays).sqrt());
}

/** k = max(imr, r_vol)/imr (1 when off or imr = 0). */
export function volatilityFactorOf(imr: Decimal, volatilityRate: Decimal | null): Decimal {
  return volatilityRate === null || imr.isZero() ? ONE : maxD(imr, volatilityRate).div(imr);
}

export const VOLATILITY_Z_MAX = '10';
export const VOLATILITY_HORIZON_MAX_DAYS = '365';

/**
 * API input (upsertMarket): 0 < z ≤ 10 and 0 < h ≤ 365 days, given together (volAdjLookbackDays, the store's history
 * window for σ, is checked by the mutation: it is not a parameter of the formula).
 */
export const VOLATILITY_ADJUSTMENT_PARAMETERS: ParameterSpec = {
  fields: [
    { field: 'volAdjZScore', max: VOLATILITY_Z_MAX, positive: true },
    { field: 'volAdjHorizonDays', max: VOLATILITY_HORIZON_MAX_DAYS, positive: true },
  ],
  together: ['volAdjZScore', 'volAdjHorizonDays'],
};
