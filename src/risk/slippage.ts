/**
 * The liquidation slippage model of a market (DESIGN.md section 4, "Liquidation outcome"):
 *
 *   impact      = baseRate + impactFactor · closedNotional / bookDepth          (dimensionless fraction)
 *   execution   = mark · (1 − side · impact)                                      (quote per base)
 *
 * with side = +1 when a long is closed (a sell: the price moves down) and −1 when a short is closed (a buy: up), so
 * the fill is always adverse to the liquidated account. closedNotional is measured at the mark in the market's
 * notional units (LINEAR |r|·c·P in quote, INVERSE |r|·c/P in base), the same units as bookDepth. The price is then
 * rounded to the market's tick on the adverse side, and floored at one tick (a fill price is always positive).
 */
import type Decimal from 'decimal.js';
import type { MarketParams } from './types';
import { ONE, ZERO, roundToTick, toD } from './decimal';

export interface SlippageQuote {
  /** Notional closed, at the mark, in the market's notional units. */
  readonly closedNotional: Decimal;
  /** baseRate + impactFactor·closedNotional/bookDepth (fraction of the mark). */
  readonly impact: Decimal;
  /** Execution price after slippage, on the tick, adverse side, ≥ one tick. */
  readonly executionPrice: Decimal;
}

/** Notional of |size| contracts at price P: LINEAR |q|·c·P (quote), INVERSE |q|·c/P (base). */
export function notionalOf(market: MarketParams, size: Decimal, price: Decimal): Decimal {
  const qc = toD(size).abs().mul(toD(market.contractSize));
  return market.contractType === 'LINEAR' ? qc.mul(price) : qc.div(price);
}

/**
 * Execution price of closing |closeSize| contracts of a position on `positionSide` (+1 long, −1 short) at `mark`.
 */
export function liquidationExecution(
  market: MarketParams,
  positionSide: 1 | -1,
  closeSize: Decimal,
  markRaw: Decimal,
): SlippageQuote {
  const mark = toD(markRaw);
  const s = market.slippage;
  const closedNotional = notionalOf(market, closeSize, mark);
  const depth = toD(s.bookDepth);
  const depthTerm = depth.gt(0) ? toD(s.impactFactor).mul(closedNotional).div(depth) : ZERO;
  const impact = toD(s.baseRate).add(depthTerm);
  const raw = mark.mul(positionSide === 1 ? ONE.sub(impact) : ONE.add(impact));
  const tick = toD(market.tickSize);
  let executionPrice = roundToTick(raw, tick, positionSide === 1 ? 'DOWN' : 'UP');
  if (executionPrice.lte(0)) executionPrice = tick;
  return { closedNotional, impact, executionPrice };
}
