/**
 * Liquidity add-on: a requirement that grows faster than the notional, for positions large against the book.
 *
 *   addon(N) = N·λ·√(N/D)        (settlement units; λ dimensionless, D the book depth in notional units)
 *
 * added to IM at N (the notional at the mark) and to MM at N_m (the maintenance notional). Nonlinear in N: a book
 * holding it is searched by bracketing and bisection (liquidation.ts), on the double form below. Off (null) by
 * default; D > 0.
 */
import type Decimal from 'decimal.js';
import { ZERO, toD, toDouble } from '../decimal';
import { invalidSnapshot } from '../errors';
import type { ParameterSpec } from './schema';

/** Engine input (MarketParams.liquidityAddon). */
export interface LiquidityAddon {
  readonly lambda: Decimal;
  /** Book depth in notional units of the market. */
  readonly bookDepth: Decimal;
}

/** Normalized (engine context). */
export interface NLiquidityAddon {
  readonly lambda: Decimal;
  readonly depth: Decimal;
}

/** Double form for the searches. */
export interface FastLiquidityAddon {
  readonly lambda: number;
  readonly depth: number;
}

export function normalizeLiquidityAddon(symbol: string, p: LiquidityAddon | null): NLiquidityAddon | null {
  if (p === null) return null;
  if (!toD(p.bookDepth).gt(0)) throw invalidSnapshot(`market ${symbol}: liquidity add-on book depth must be positive`, { market: symbol });
  return { lambda: toD(p.lambda), depth: toD(p.bookDepth) };
}

/**
 * addon = N·λ·√(N/D) in settlement units; the breakdown line PositionRisk.liquidityAddon (0 when off or N = 0).
 */
export function liquidityAddonAt(rule: NLiquidityAddon | null, notional: Decimal): Decimal {
  if (rule === null || notional.isZero()) return ZERO;
  return notional.mul(rule.lambda).mul(notional.div(rule.depth).sqrt());
}

export function fastLiquidityAddon(rule: NLiquidityAddon | null): FastLiquidityAddon | null {
  return rule === null ? null : { lambda: toDouble(rule.lambda), depth: toDouble(rule.depth) };
}

/** addon(n) in doubles (searches only; 0 when off or n = 0). */
export function fastLiquidityAddonAt(rule: FastLiquidityAddon | null, n: number): number {
  return rule === null || n === 0 ? 0 : n * rule.lambda * Math.sqrt(n / rule.depth);
}

/** Upper bound of λ. */
export const LIQUIDITY_LAMBDA_MAX = '10';

/** API input (upsertMarket): 0 < λ ≤ 10 (D is the market's bookDepth). */
export const LIQUIDITY_ADDON_PARAMETERS: ParameterSpec = { fields: [{ field: 'liquidityLambda', max: LIQUIDITY_LAMBDA_MAX, positive: true }] };
