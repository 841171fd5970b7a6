/**
 * Closing fee in the liquidation equation (Binance, Bybit): the fee a liquidation pays to close the position is
 * reserved inside the maintenance margin.
 *
 *   closingFee(P) = f·N(P)       (settlement units; f the market's closingFeeRate, N(P) the notional at mark P:
 *                                 LINEAR |q|·c·P, INVERSE |q|·c/P)
 *   MM            = ⌈tier term + size add-on + liquidity add-on + f·N⌉
 *
 * so a position (or cross account) is liquidatable when  marginEquity − closingFee < MM_without_fee, exactly the
 * venues' equation. Decision: the fee enters the STATUS through MM (not only the price equations), so status,
 * liquidation prices, the solvers and what-if all read one rule and "the reported price is liquidatable one tick
 * further" holds by construction. The bankruptcy price stays the zero-equity price (equity < 0, Bybit's "0% margin
 * price"): the reserve is what the liquidation pays the fee from; an account already below it is short of the fee,
 * not bankrupt. The fee is on the notional at the price (always the mark, also with maintenance basis ENTRY) and is
 * linear in N, so MM stays piecewise linear (the isolated closed form adds f to the rate). Delta-one markets only
 * (option markets ignore it). Default 0 (off).
 */
import type Decimal from 'decimal.js';
import { toDouble } from '../decimal';
import type { ParameterSpec } from './schema';

/** f·N (settlement units); exactly 0 (no multiplication) when the rate is 0. */
export function closingFeeAt(rate: Decimal, notional: Decimal): Decimal {
  return rate.isZero() ? rate : notional.mul(rate);
}

/** Double-precision rate for the searches (fast-terms.ts adds n·rate). */
export function fastClosingFeeRate(rate: Decimal): number {
  return toDouble(rate);
}

/** Upper bound of closingFeeRate. */
export const CLOSING_FEE_RATE_MAX = '0.05';

/** API input (upsertMarket): closingFeeRate in [0, 0.05]. */
export const CLOSING_FEE_PARAMETERS: ParameterSpec = { fields: [{ field: 'closingFeeRate', max: CLOSING_FEE_RATE_MAX }] };
