/**
 * Liquidation and bankruptcy prices.
 *
 * Isolated (closed form, settlement units; A = |q|·c, side = +1 long / −1 short, M = isolatedMargin + fundingPnL,
 * mmr and cum of the tier, both × the volatility factor k):
 *   LINEAR:  M + side·A·(P − E) = A·P·mmr − cum        ⇒ P = (M + cum − side·A·E) / (A·mmr − side·A)
 *   INVERSE: M + side·A·(1/E − x) = A·x·mmr − cum, x=1/P ⇒ x = (M + cum + side·A/E) / (A·mmr + side·A)
 *   bankruptcy: the same with mmr = cum = 0.
 * The size add-on (mmr += k_mm·|q|, rules/size-addon.ts) and the closing fee (mmr += f, rules/closing-fee.ts) are
 * linear in N and enter the closed form as part of the rate; the fast model (fast-terms.ts) carries both too.
 * The tier is re-checked at the solution's notional and the solve repeated until stable. With a liquidity add-on
 * (MM no longer linear) the price is found by bracketing and bisection instead.
 *
 * Cross, per underlying U: every mark of a market on U and the index of U are multiplied by a ratio s, every other
 * price held. g(s) = marginEquity(s) − MM(s) (liquidation) or crossEquity(s) (bankruptcy), in USD. g is piecewise
 * linear in s (breakpoints where a position's tier changes) unless the book holds a liquidity add-on, a LINEAR market
 * settled in its own base or an INVERSE market settled in another asset; piecewise-linear books are solved in closed
 * form per segment, the others by bracketing and bisection.
 *
 * Options (non-linear equity): a book holding an option on U is NONLINEAR: the boundary is bracketed on a grid of
 * ratios and bisected (capped: MAX_BISECTIONS) on a FAST model of g (options valued by double-precision Black-Scholes-Merton;
 * everything else exact), then snapped and verified with the engine's own PRECISE check, so the reported price is
 * exact on its grid. Options never serve as the reference market (their stored marks are informational): the grid
 * is the largest delta-one market on U, else the index on 1e-8. For an option position the reported liquidation
 * (bankruptcy) price is the underlying's index level at the boundary. PORTFOLIO accounts: the MM of U's scan group
 * is recomputed at every ratio (options in the scan revalued FAST, then rounded up like the scan itself).
 *
 * Search and verification: a cross boundary is LOCATED on a FAST model of g — the whole g in doubles for a book of
 * delta-one positions (fast-terms.ts: the same formulas), options by double-precision Black-Scholes-Merton otherwise — and
 * REPORTED from the PRECISE one: every check of the snapping below is the sign of the engine's exact g, so every
 * reported price is one the exact check accepts with the next tick rejected. On a delta-one book a check is answered
 * by the double model where its rigorous error bound decides the sign (`DeltaOneGap.sign`), by the Decimal model
 * otherwise; the fast model only saves evaluations (EvaluateOptions.boundarySearch = 'PRECISE' searches and snaps
 * exactly; a property test checks both report the same prices).
 *
 * Rounding: a boundary price is snapped to the reference market's tick on its non-liquidatable side (toward the
 * current price when the account is currently safe), then verified with the engine's own check: not liquidatable at
 * the reported price, liquidatable one tick further. Every other delta-one market on the underlying is snapped the
 * same way on its own tick (all prices on U moved by the ratio of its price to its mark), so each position's reported
 * price holds one tick of its own market further; the boundary's `ratio` is the reference market's.
 */
import Decimal from 'decimal.js';
import type { BoundarySide, PositionSide, PriceBoundary, UnderlyingLiquidation } from './result';
import { D, ONE, TWO, ZERO, compareD, isNonPositive, roundToTick, scaleBy, tickSteps, toD, toDouble } from './decimal';
import type { NBalance, NMarket, NPosition, PreparedAccount } from './model';
import { isolatedBankruptAt, isolatedLiquidatableAt, marginTermsAt } from './position';
import { entryNotional, maintenanceMarginAt } from './requirements';
import { fastTierAt, fastTiers, tierForNotional } from './rules/tier-rates';
import { equityContributionOf, valuePosition, type ValuationMode } from './valuation';
import { groupMaintenanceAt, type PortfolioGroup } from './portfolio';
import { fastDeltaOne, fastEquityAt, fastMaintenanceAt, fastNotionalAt, type FastDeltaOne } from './fast-terms';
import { fastLiquidityAddonAt } from './rules/liquidity-addon';
import { REL, SAFETY, TINY } from './screen/bounds';

/** Max tick steps when verifying a snapped boundary (the closed form lands within a tick or two). */
const MAX_SNAP_STEPS = 64;
/** Max bisection iterations (each halves the bracket). */
const MAX_BISECTIONS = 200;
/** Grid of index levels for an underlying without a market (8 decimal places). */
const INDEX_TICK: Decimal = new D('1e-8');

export type SearchDirection = 'BELOW' | 'ABOVE';

/**
 * What a cross boundary search evaluates while it brackets the boundary: FAST (delta-one books in doubles, options by
 * double-precision Black-Scholes-Merton) or PRECISE (Decimal valuations; a portfolio scan group is still revalued FAST away from
 * the current price). Snapping and verification are always PRECISE. FAST is the default, PRECISE the reference the
 * property tests compare it with.
 */
export type BoundarySearchModel = 'FAST' | 'PRECISE';

/** A boolean "is on the liquidatable (or bankrupt) side" check at a price. */
type SidePredicate = (price: Decimal) => boolean;

/**
 * Snaps a boundary estimate x onto the tick grid on its non-liquidatable side and verifies it with the predicate:
 * returns B with !liquidatable(B) and liquidatable(B ± tick) (one tick into the liquidatable side). Searches the
 * grid around x with doubling steps and then halves the bracket, so a rough estimate still lands on the exact tick.
 * Null when no positive grid price is non-liquidatable next to a liquidatable one (a boundary below the first tick).
 */
export function snapBoundary(
  xRaw: Decimal,
  tickRaw: Decimal,
  liquidatableSide: BoundarySide,
  liquidatable: SidePredicate,
): Decimal | null {
  const x = toD(xRaw);
  const tick = toD(tickRaw);
  // Work in integer tick counts: price = k·tick, "into" = toward the liquidatable side. Comparisons read the digits
  // (compareD, isNonPositive) rather than allocate a Decimal for a literal.
  const intoBelow = liquidatableSide === 'BELOW';
  /** k + n ticks into the liquidatable side (k − n below, k + n above). */
  const into = (k: Decimal, n: Decimal): Decimal => (intoBelow ? k.sub(n) : k.add(n));
  /** k + n ticks back out of it. */
  const outOf = (k: Decimal, n: Decimal): Decimal => (intoBelow ? k.add(n) : k.sub(n));
  const priceOf = (k: Decimal): Decimal => k.mul(tick);
  const liqAt = (k: Decimal): boolean => (isNonPositive(k) ? intoBelow : liquidatable(priceOf(k)));
  let k0 = tickSteps(x, tick, intoBelow ? 'UP' : 'DOWN');
  if (isNonPositive(k0)) k0 = ONE;
  // Bracket: safe (not liquidatable) and hit (liquidatable), hit = safe + n ticks into the liquidatable side.
  let safe: Decimal;
  let hit: Decimal;
  let step = ONE;
  if (liqAt(k0)) {
    hit = k0;
    safe = outOf(k0, step);
    let found = false;
    for (let i = 0; i < MAX_SNAP_STEPS; i++) {
      if (!intoBelow && isNonPositive(safe)) return null;
      if (!liqAt(safe)) {
        found = true;
        break;
      }
      hit = safe;
      step = step.mul(TWO);
      safe = outOf(hit, step);
    }
    if (!found) return null;
  } else {
    safe = k0;
    hit = into(k0, step);
    let found = false;
    for (let i = 0; i < MAX_SNAP_STEPS; i++) {
      if (liqAt(hit)) {
        found = true;
        break;
      }
      safe = hit;
      step = step.mul(TWO);
      hit = into(safe, step);
    }
    if (!found) return null;
  }
  // Halve the bracket on the grid until safe and hit are adjacent ticks.
  while (compareD(hit.sub(safe).abs(), ONE) > 0) {
    const mid = safe.add(hit).div(TWO).toDecimalPlaces(0, Decimal.ROUND_FLOOR);
    if (liqAt(mid)) hit = mid;
    else safe = mid;
  }
  return isNonPositive(safe) ? null : priceOf(safe);
}

// ---------------------------------------------------------------------------------------------------------------
// Isolated
// ---------------------------------------------------------------------------------------------------------------

function sideSign(pos: NPosition): Decimal {
  return pos.q.isPos() ? ONE : ONE.neg();
}

/** Closed-form isolated root for given (mmr, cum); null when no positive price solves it. Units: quote per base. */
function isolatedRoot(pos: NPosition, m0: Decimal, mmr: Decimal, cum: Decimal): Decimal | null {
  const a = pos.absQc;
  const side = sideSign(pos);
  if (pos.market.contractType === 'LINEAR') {
    // P = (M + cum − side·A·E) / (A·mmr − side·A)
    const den = a.mul(mmr).sub(side.mul(a));
    if (den.isZero()) return null;
    const p = m0.add(cum).sub(side.mul(a).mul(pos.entry)).div(den);
    return p.gt(0) ? p : null;
  }
  // x = 1/P = (M + cum + side·A/E) / (A·mmr + side·A)
  const den = a.mul(mmr).add(side.mul(a));
  if (den.isZero()) return null;
  const x = m0.add(cum).add(side.mul(a).div(pos.entry)).div(den);
  return x.gt(0) ? ONE.div(x) : null;
}

function notionalAt(pos: NPosition, price: Decimal): Decimal {
  return pos.market.contractType === 'LINEAR' ? pos.absQc.mul(price) : pos.absQc.div(price);
}

/**
 * Isolated liquidation price before tick snapping: closed form per tier, re-checking the tier at the solution
 * (bounded iterations), falling back to trying every tier.
 */
function isolatedLiquidationEstimate(pos: NPosition, m0: Decimal, mark: Decimal): Decimal | null {
  const market = pos.market;
  const extraRate = (market.sizeAddon === null ? ZERO : market.sizeAddon.maintenance.mul(pos.absQ)).add(market.closingFeeRate);
  const solveIn = (tierIndex: number): Decimal | null => {
    const t = market.tiers[tierIndex]!;
    return isolatedRoot(pos, m0, t.mmrK.add(extraRate), t.cumK);
  };
  let tier = tierForNotional(market, notionalAt(pos, mark)).index;
  for (let i = 0; i <= market.tiers.length; i++) {
    const p = solveIn(tier);
    if (p === null) break;
    const next = tierForNotional(market, notionalAt(pos, p)).index;
    if (next === tier) return p;
    tier = next;
  }
  for (let i = 0; i < market.tiers.length; i++) {
    const p = solveIn(i);
    if (p !== null && tierForNotional(market, notionalAt(pos, p)).index === i) return p;
  }
  return null;
}

export interface IsolatedPrices {
  readonly liquidationPrice: Decimal | null;
  readonly bankruptcyPrice: Decimal | null;
}

/** Liquidation and bankruptcy prices of an ISOLATED position (marks, snapped to the market tick). */
export function isolatedPrices(pos: NPosition, fundingPnl: Decimal): IsolatedPrices {
  if (pos.q.isZero()) return { liquidationPrice: null, bankruptcyPrice: null };
  const market = pos.market;
  const m0 = pos.isolatedMargin.add(fundingPnl);
  const liqSide: BoundarySide = pos.q.isPos() ? 'BELOW' : 'ABOVE';

  let liqEstimate: Decimal | null;
  // The closing fee f·N (rules/closing-fee.ts) is linear in N at the mark: rate f in the closed forms.
  const fee = market.closingFeeRate;
  if (market.maintenanceBasis === 'ENTRY') {
    // MM on the entry notional is constant in the mark: M + side·A·(P − E) = MM_entry (Bybit), i.e. mmr = 0 and
    // cum = −MM_entry in the closed form (plus the closing fee at the mark: rate f, with its entry value taken out).
    const nEntry = entryNotional(pos);
    const mmEntry = maintenanceMarginAt(pos, nEntry).sub(fee.mul(nEntry));
    liqEstimate = isolatedRoot(pos, m0, fee, mmEntry.neg());
  } else if (market.liquidity === null && market.volatilityRate === null) {
    // MM continuous and piecewise linear in N: closed form with tier re-check (the size add-on k_mm·|q| and the
    // closing fee f add to each tier's rate: rules/size-addon.ts, rules/closing-fee.ts).
    liqEstimate = isolatedLiquidationEstimate(pos, m0, pos.mark);
  } else {
    // A volatility factor makes MM jump at tier floors, an add-on makes it nonlinear: search in the price ratio.
    const f = (s: Decimal): Decimal => {
      const t = marginTermsAt(pos, pos.mark.mul(s));
      return pos.isolatedMargin.add(t.pnl).sub(t.maintenanceMargin);
    };
    const shape: Shape = market.liquidity === null && market.contractType === 'LINEAR' ? 'PIECEWISE_LINEAR' : 'NONLINEAR';
    const breakpoints = tierBreakpoints({ pos, markMoves: true, settleMoves: false });
    // Currently liquidatable: the boundary is the price it must recover to (opposite direction), as in closed form.
    const f1 = f(ONE);
    const direction: SearchDirection = f1.isNeg() ? (liqSide === 'BELOW' ? 'ABOVE' : 'BELOW') : liqSide;
    const s = searchBoundary(f, f1, direction, breakpoints, shape, pos.mark, market.tick);
    liqEstimate = s === null ? null : pos.mark.mul(s);
  }
  const liquidationPrice =
    liqEstimate === null ? null : snapBoundary(liqEstimate, market.tick, liqSide, (p) => isolatedLiquidatableAt(pos, p));

  const bankEstimate = isolatedRoot(pos, m0, ZERO, ZERO);
  const bankruptcyPrice =
    bankEstimate === null ? null : snapBoundary(bankEstimate, market.tick, liqSide, (p) => isolatedBankruptAt(pos, p));
  return { liquidationPrice, bankruptcyPrice };
}

// ---------------------------------------------------------------------------------------------------------------
// One-dimensional boundary search in the price ratio s
// ---------------------------------------------------------------------------------------------------------------

export type Shape = 'PIECEWISE_LINEAR' | 'NONLINEAR';

/**
 * The arithmetic a boundary search runs in: Decimal (exact, the PRECISE model and books the fast model does not cover)
 * or double precision (the FAST delta-one model, whose values are doubles already: the walk over segments and the
 * bisection then allocate nothing). One algorithm, `searchIn`, serves both.
 */
interface SearchArithmetic<T> {
  readonly zero: T;
  readonly one: T;
  readonly two: T;
  readonly third: T;
  readonly oneAndHalf: T;
  /** The NONLINEAR bracketing grid's step (0.05). */
  readonly gridStep: T;
  add(a: T, b: T): T;
  sub(a: T, b: T): T;
  mul(a: T, b: T): T;
  div(a: T, b: T): T;
  abs(a: T): T;
  /** a < b. */
  lt(a: T, b: T): boolean;
  isNeg(a: T): boolean;
  isZero(a: T): boolean;
  fromInt(k: number): T;
}

const THIRD = new D(1).div(3);
const ONE_AND_HALF = new D('1.5');
const GRID_STEP = new D('0.05');

const DECIMAL_ARITHMETIC: SearchArithmetic<Decimal> = {
  zero: ZERO,
  one: ONE,
  two: TWO,
  third: THIRD,
  oneAndHalf: ONE_AND_HALF,
  gridStep: GRID_STEP,
  add: (a, b) => a.add(b),
  sub: (a, b) => a.sub(b),
  mul: (a, b) => a.mul(b),
  div: (a, b) => a.div(b),
  abs: (a) => a.abs(),
  lt: (a, b) => a.lt(b),
  isNeg: (a) => a.isNeg(),
  isZero: (a) => a.isZero(),
  fromInt: (k) => new D(k),
};

/** Doubles; −0 counts as negative, as decimal.js's isNeg does. */
const DOUBLE_ARITHMETIC: SearchArithmetic<number> = {
  zero: 0,
  one: 1,
  two: 2,
  third: 1 / 3,
  oneAndHalf: 1.5,
  gridStep: 0.05,
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
  abs: (a) => Math.abs(a),
  lt: (a, b) => a < b,
  isNeg: (a) => a < 0 || Object.is(a, -0),
  isZero: (a) => a === 0,
  fromInt: (k) => k,
};

/**
 * Nearest s in the given direction from s = 1 where g changes side (g < 0 is the liquidatable side), or null.
 * PIECEWISE_LINEAR: g is linear strictly inside each segment between breakpoints (sorted ascending); each segment's line
 * is fixed by two interior points (never the breakpoints themselves, where the tier is ambiguous and g may jump), and
 * the first segment whose line reaches the other side gives the root — or the breakpoint itself when g jumps across.
 * NONLINEAR: bracket on a grid of ratios, then bisect until the reference price moves less than a tick.
 */
function searchIn<T>(
  A: SearchArithmetic<T>,
  g: (s: T) => T,
  startNeg: boolean,
  direction: SearchDirection,
  breakpoints: ArrayLike<T>,
  shape: Shape,
  resolution: T,
): T | null {
  const crossed = (v: T): boolean => A.isNeg(v) !== startNeg;
  const below = direction === 'BELOW';
  const { zero, one, two } = A;

  if (shape === 'PIECEWISE_LINEAR') {
    // Root of the line through (a, fa), (b, fb).
    const interpolate = (a: T, fa: T, b: T, fb: T): T => A.add(a, A.div(A.mul(A.sub(b, a), fa), A.sub(fa, fb)));
    // Segment ends outward from s = 1 (breakpoints on the search's side, nearest first, each once: a repeated one would
    // make an empty segment, whose line is undefined); the last far end is 0 (below) or +∞ (above, null).
    const ends: (T | null)[] = [];
    let previous = one;
    if (below) {
      for (let i = breakpoints.length - 1; i >= 0; i--) {
        const b = breakpoints[i]!;
        if (A.lt(b, previous) && A.lt(zero, b)) ends.push((previous = b));
      }
      ends.push(zero);
    } else {
      for (let i = 0; i < breakpoints.length; i++) {
        const b = breakpoints[i]!;
        if (A.lt(previous, b)) ends.push((previous = b));
      }
      ends.push(null);
    }
    let near = one;
    for (let i = 0; i < ends.length; i++) {
      const far = ends[i] as T | null;
      let p1: T;
      let p2: T;
      if (far === null) {
        p1 = A.mul(near, A.oneAndHalf);
        p2 = A.mul(near, two);
      } else {
        p1 = A.add(near, A.mul(A.sub(far, near), A.third));
        p2 = A.add(near, A.mul(A.mul(A.sub(far, near), A.third), two));
      }
      const g1p = g(p1);
      const g2p = g(p2);
      const slope = A.div(A.sub(g2p, g1p), A.sub(p2, p1));
      const atNear = A.add(g1p, A.mul(slope, A.sub(near, p1)));
      // A jump across zero at a breakpoint: the boundary is the breakpoint.
      if (i > 0 && crossed(atNear)) return near;
      if (far !== null) {
        const atFar = A.add(g1p, A.mul(slope, A.sub(far, p1)));
        if (crossed(atFar)) {
          const root = A.isZero(slope) ? far : interpolate(p1, g1p, p2, g2p);
          return A.lt(zero, root) ? root : null;
        }
      } else if (!A.isZero(slope) && A.isNeg(slope) !== startNeg) {
        const root = interpolate(p1, g1p, p2, g2p);
        return A.lt(near, root) ? root : near;
      }
      if (far !== null) near = far;
    }
    return null;
  }

  // NONLINEAR: bracket on 1 ± 0.05·k (to 0.05 / 2), then halving / doubling.
  const grid: T[] = [];
  for (let k = 1; k <= 19; k++) {
    const offset = A.mul(A.gridStep, A.fromInt(k));
    grid.push(below ? A.sub(one, offset) : A.add(one, offset));
  }
  let last: T = grid[grid.length - 1] as T;
  for (let k = 0; k < 34; k++) {
    last = below ? A.div(last, two) : A.mul(last, two);
    grid.push(last);
  }
  let prev = one;
  for (const s of grid) {
    if (crossed(g(s))) {
      let safe = prev;
      let hit = s;
      for (let i = 0; i < MAX_BISECTIONS && A.lt(resolution, A.abs(A.sub(safe, hit))); i++) {
        const mid = A.div(A.add(safe, hit), two);
        if (crossed(g(mid))) hit = mid;
        else safe = mid;
      }
      return A.div(A.add(safe, hit), two);
    }
    prev = s;
  }
  return null;
}

/** Bisection resolution in s: a quarter of a tick at the reference price. */
function searchResolution(referencePrice: Decimal, tick: Decimal): Decimal {
  return tick.div(referencePrice).div(4);
}

/** `searchIn` in Decimal (see there): g1 = g(1) gives the starting side. */
export function searchBoundary(
  gRaw: (s: Decimal) => Decimal,
  g1: Decimal,
  direction: SearchDirection,
  breakpoints: readonly Decimal[],
  shape: Shape,
  referencePrice: Decimal,
  tick: Decimal,
): Decimal | null {
  // Keep every intermediate in the engine context even if a caller hands in plain decimal.js values.
  const g = (s: Decimal): Decimal => toD(gRaw(s));
  const resolution = shape === 'NONLINEAR' ? searchResolution(referencePrice, tick) : ZERO;
  return searchIn(DECIMAL_ARITHMETIC, g, g1.isNeg(), direction, breakpoints.map(toD).sort(compareD), shape, resolution);
}

/** A double-precision search was abandoned: g was not finite at some ratio (the caller searches in Decimal). */
export const NOT_FINITE = Symbol('NOT_FINITE');

/**
 * `searchIn` in doubles, for a g given in doubles (the FAST delta-one model) and breakpoints sorted ascending: the
 * estimate as a Decimal, null for no boundary, or NOT_FINITE when g overflowed somewhere on the way.
 */
export function searchBoundaryInDoubles(
  g: (s: number) => number,
  g1: Decimal,
  direction: SearchDirection,
  breakpoints: readonly number[],
  shape: Shape,
  referencePrice: Decimal,
  tick: Decimal,
): Decimal | null | typeof NOT_FINITE {
  let finite = true;
  const guarded = (s: number): number => {
    const v = g(s);
    if (!Number.isFinite(v)) finite = false;
    return finite ? v : 0;
  };
  const resolution = shape === 'NONLINEAR' ? toDouble(searchResolution(referencePrice, tick)) : 0;
  const s = searchIn(DOUBLE_ARITHMETIC, guarded, g1.isNeg(), direction, breakpoints, shape, resolution);
  if (!finite || (s !== null && !Number.isFinite(s))) return NOT_FINITE;
  return s === null ? null : new D(s);
}

// ---------------------------------------------------------------------------------------------------------------
// Cross
// ---------------------------------------------------------------------------------------------------------------

/** A cross position moved by the underlying's ratio: its mark (base = U) and/or its settlement price (settle = U). */
interface MovedPosition {
  readonly pos: NPosition;
  readonly markMoves: boolean;
  readonly settleMoves: boolean;
}

export interface CrossTotals {
  /** marginEquity − MM at current prices (USD). */
  readonly maintenanceGap: Decimal;
  /** Cross equity at current prices (USD). */
  readonly crossEquity: Decimal;
}

type ShapeScope = 'WITH_REQUIREMENTS' | 'VALUE_ONLY';

/** PORTFOLIO accounts: the scan groups and the ids of the positions whose requirement is their group's. */
export interface CrossPortfolio {
  readonly groups: readonly PortfolioGroup[];
  readonly scannedIds: ReadonlySet<string>;
}

const EMPTY_SET: ReadonlySet<string> = new Set();

/** Whether a moved position keeps g piecewise linear in s (VALUE_ONLY: its PnL only, for the bankruptcy search). */
function movedShapeIsLinear(mp: MovedPosition, scope: ShapeScope): boolean {
  const m = mp.pos.market;
  if (!mp.markMoves) return true;
  if (m.option !== null) return false;
  if (scope === 'WITH_REQUIREMENTS' && m.liquidity !== null && m.maintenanceBasis === 'MARK') return false;
  // LINEAR settled in U: (s·P − E)·s·X is quadratic; INVERSE settled elsewhere: 1/s.
  return m.contractType === 'LINEAR' ? !mp.settleMoves : mp.settleMoves;
}

/** Whether a moved position's tier can change with s: options have no tiers in play; with basis ENTRY MM does not move. */
function tiersInPlay(mp: MovedPosition): boolean {
  const p = mp.pos;
  return mp.markMoves && !p.q.isZero() && p.market.option === null && p.market.maintenanceBasis !== 'ENTRY';
}

/** Ratios s at which a moved position's notional crosses a tier floor (appended to `out`). */
function tierBreakpoints(mp: MovedPosition, out: Decimal[] = []): Decimal[] {
  const p = mp.pos;
  if (!tiersInPlay(mp)) return out;
  for (const t of p.market.tiers) {
    if (t.floor.lte(0)) continue;
    // LINEAR: N(s) = A·P·s = floor ⇒ s = floor/(A·P); INVERSE: N(s) = A/(P·s) = floor ⇒ s = A/(P·floor).
    out.push(p.market.contractType === 'LINEAR' ? t.floor.div(p.absQc.mul(p.mark)) : p.absQc.div(p.mark.mul(t.floor)));
  }
  return out;
}

function safeRounding(side: BoundarySide): 'UP' | 'DOWN' {
  return side === 'BELOW' ? 'UP' : 'DOWN';
}

/** g(s) in doubles, and its sign where a rigorous bound on the double's error decides it. */
interface DeltaOneGap {
  /** The double model of g at ratio s (searches). */
  readonly value: (s: number) => number;
  /**
   * The sign of the engine's exact g at ratio s: −1 or 1 when |value(s)| exceeds the model's error bound, 0 when the
   * bound cannot decide (the caller evaluates g exactly).
   */
  readonly sign: (s: number) => -1 | 0 | 1;
}

/**
 * Relative error of the double model per unit of magnitude: each term is a chain of at most about a dozen
 * floating-point operations and conversions (2^−52 each) and the sums add one more per term; the allowance below is
 * 64 operations plus 4 per term, against a magnitude that bounds every intermediate value of the chains.
 */
const gapRelativeError = (terms: number): number => (64 + 4 * terms) * REL;

/**
 * g(s) of a book whose moved positions are all delta-one and none is margined by a portfolio scan, in doubles
 * (fast-terms.ts): const + Σ balances amount·index·s·(w_maint | 1) + Σ positions (equity − MM | equity)(P_s)·X_s, with
 * P_s = P·s when the mark moves and X_s = X·s when the settlement price does, and const such that g(1) is the account's
 * own `maint1` (marginEquity − MM) or `bank1` (cross equity). Null when the book does not qualify. The value is not
 * finite for a ratio where doubles overflow (the caller then searches in Decimal).
 *
 * The bound of `sign`: |g_exact(s) − value(s)| ≤ rel·(|g(1)| + Σ magnitudes at 1 + Σ magnitudes at s) + rounding, with
 * a term's magnitude |q·c|·(|P| + |E|) (INVERSE: |q·c|·(1/E + 1/P)) + |fundingPnL| (+ N·(mmr·k + size rate + fee
 * rate) + cum·k + add-on + |fixed MM| for MM), × |X|; rounding = 2·10^−d·|X| per position and ratio for MM's
 * round-up to the settlement decimals d (the double model does not round up; ⌈x⌉ − x < 10^−d). A notional within
 * the relative error of a tier boundary leaves the tier, hence the sign, undecided. The engine's own Decimal
 * rounding (50 significant digits, relative 1e−49 per operation) lies far inside the allowance.
 */
function deltaOneFastGap(
  moved: readonly MovedPosition[],
  balances: readonly NBalance[],
  balanceValues: readonly Decimal[],
  scanned: ReadonlySet<string>,
  group: PortfolioGroup | null,
  maint1: Decimal,
  bank1: Decimal,
): { readonly [M in 'MAINTENANCE' | 'BANKRUPTCY']: DeltaOneGap } | null {
  if (group !== null || moved.some((mp) => mp.pos.market.option !== null || scanned.has(mp.pos.id))) return null;
  const positions = moved.map((mp) => ({
    terms: fastDeltaOne(mp.pos),
    price: toDouble(mp.pos.valuationPrice),
    settle: toDouble(mp.pos.settlePrice),
    markMoves: mp.markMoves,
    settleMoves: mp.settleMoves,
    roundUp: 10 ** -mp.pos.market.settleDecimals,
  }));
  const values = balanceValues.map(toDouble);
  const weights = balances.map((b) => toDouble(b.maintenanceWeight));
  const rel = gapRelativeError(positions.length + values.length);
  const movedTerms = (s: number, maintenance: boolean): number => {
    let sum = 0;
    for (let i = 0; i < values.length; i++) sum += maintenance ? values[i]! * s * weights[i]! : values[i]! * s;
    for (const p of positions) {
      const price = p.markMoves ? p.price * s : p.price;
      const x = p.settleMoves ? p.settle * s : p.settle;
      const equity = fastEquityAt(p.terms, price);
      sum += (maintenance ? equity - fastMaintenanceAt(p.terms, price) : equity) * x;
    }
    return sum;
  };
  /** The error bound of movedTerms(s): rel × the terms' magnitudes + the round-up slack (NaN: a tier undecided). */
  const movedTermsError = (s: number, maintenance: boolean): number => {
    let magnitude = 0;
    let slack = 0;
    for (let i = 0; i < values.length; i++) magnitude += Math.abs(maintenance ? values[i]! * s * weights[i]! : values[i]! * s);
    for (const p of positions) {
      const price = p.markMoves ? p.price * s : p.price;
      const x = Math.abs(p.settleMoves ? p.settle * s : p.settle);
      const f = p.terms;
      const pnl = f.linear ? Math.abs(f.qc) * (Math.abs(price) + Math.abs(f.entry)) : Math.abs(f.qc) * (Math.abs(f.inverseEntry) + Math.abs(1 / price));
      let term = pnl + Math.abs(f.fundingPnl);
      if (maintenance) {
        term += fastMaintenanceMagnitude(f, fastNotionalAt(f, price), rel);
        slack += 2 * p.roundUp * x;
      }
      magnitude += term * x;
    }
    return rel * magnitude + slack;
  };
  // g(s) = g(1) − movedTerms(1) + movedTerms(s): the model meets the account's own g(1) at s = 1.
  const maintenanceConst = toDouble(maint1) - movedTerms(1, true);
  const bankruptcyConst = toDouble(bank1) - movedTerms(1, false);
  const gap = (g1: Decimal, constant: number, maintenance: boolean): DeltaOneGap => {
    const value = (s: number): number => constant + movedTerms(s, maintenance);
    // The constant's error: g(1)'s conversion and movedTerms(1)'s bound (computed when first asked for).
    let error1: number | null = null;
    return {
      value,
      sign: (s) => {
        const v = value(s);
        error1 ??= rel * Math.abs(toDouble(g1)) + movedTermsError(1, maintenance);
        const bound = (error1 + movedTermsError(s, maintenance) + TINY) * SAFETY;
        // NaN (a tier undecided, an overflow) fails both comparisons.
        if (v > bound) return 1;
        if (v < -bound) return -1;
        return 0;
      },
    };
  };
  return {
    MAINTENANCE: gap(maint1, maintenanceConst, true),
    BANKRUPTCY: gap(bank1, bankruptcyConst, false),
  };
}

/**
 * Magnitude of the MM expression's intermediate values at notional n: N·(mmr·k + size rate + fee rate) + cum·k +
 * add-on + |fixed MM| (basis ENTRY), which bounds |MM| too; NaN when n lies within the relative error `rel` of a tier
 * boundary (the engine's exact notional might be in the other tier).
 */
function fastMaintenanceMagnitude(f: FastDeltaOne, n: number, rel: number): number {
  const base = n * (f.sizeRate + f.feeRate) + Math.abs(fastLiquidityAddonAt(f.liquidity, n));
  if (f.fixedMaintenance !== null) return base + Math.abs(f.fixedMaintenance);
  const near = 4 * rel * Math.abs(n) + TINY;
  for (const t of f.tiers) {
    if (Math.abs(n - t.floor) <= near || Math.abs(n - t.cap) <= near) return NaN;
  }
  const tier = fastTierAt(f.tiers, n);
  return base + n * Math.abs(tier.mmrK) + Math.abs(tier.cumK);
}

/**
 * Inserts x into the ascending array (a few tier floors per position: an insertion costs less than a comparator sort
 * of the whole array).
 */
function insertAscending(sorted: number[], x: number): void {
  let i = sorted.length;
  sorted.push(x);
  for (; i > 0 && sorted[i - 1]! > x; i--) sorted[i] = sorted[i - 1]!;
  sorted[i] = x;
}

/**
 * `tierBreakpoints` in doubles, for the double-precision search (same ratios to a double's precision), inserted into
 * the ascending `out`; a ratio that is not a number (a degenerate notional) is left out.
 */
function fastTierBreakpoints(mp: MovedPosition, out: number[]): void {
  const p = mp.pos;
  if (!tiersInPlay(mp)) return;
  const absQc = toDouble(p.absQc);
  const mark = toDouble(p.mark);
  const linear = p.market.contractType === 'LINEAR';
  for (const t of fastTiers(p.market)) {
    if (t.floor <= 0) continue;
    const s = linear ? t.floor / (absQc * mark) : absQc / (mark * t.floor);
    if (!Number.isNaN(s)) insertAscending(out, s);
  }
}

/**
 * A position's figures at the current prices, as the evaluation computed them (evaluatePositionAt, before any
 * portfolio scan replaced its requirements): the searches' g(1) reads them instead of valuing the position again. The
 * values are those `marginTermsAt` / `valuePosition` give at the current price (same expressions: requirements.ts).
 */
export interface CurrentPositionFigures {
  readonly notionalUsd: Decimal;
  /** Equity contribution (settlement units). */
  readonly pnl: Decimal;
  /** Own (tiered or option-rule) MM (settlement units). */
  readonly maintenanceMargin: Decimal;
}

/**
 * Liquidation and bankruptcy boundaries of the cross account for one underlying. `current` holds the figures of every
 * position of the account (the engine builds it from its evaluation).
 */
export function crossUnderlying(
  prepared: PreparedAccount,
  underlying: string,
  totals: CrossTotals,
  current: ReadonlyMap<string, CurrentPositionFigures>,
  portfolio: CrossPortfolio | null = null,
  search: BoundarySearchModel = 'FAST',
): UnderlyingLiquidation {
  const scanned = portfolio?.scannedIds ?? EMPTY_SET;
  const group = portfolio?.groups.find((g) => g.underlying === underlying) ?? null;
  const moved: MovedPosition[] = [];
  for (const p of prepared.positions) {
    if (p.marginType !== 'CROSS') continue;
    const markMoves = p.market.base === underlying;
    const settleMoves = p.market.settle === underlying;
    if (markMoves || settleMoves) moved.push({ pos: p, markMoves, settleMoves });
  }
  const balances: NBalance[] = prepared.balances.filter((b) => b.asset === underlying);

  // amount·index of each balance on U: constant, computed once (not at every ratio the search tries).
  const balanceValues = balances.map((b) => b.amount.mul(b.indexPrice));
  const gapAt = (s: Decimal, mode: 'MAINTENANCE' | 'BANKRUPTCY', valuation: ValuationMode = 'PRECISE'): Decimal => {
    let sum = ZERO;
    for (let i = 0; i < balances.length; i++) {
      const b = balances[i]!;
      const v = s === ONE ? balanceValues[i]! : balanceValues[i]!.mul(s);
      sum = sum.add(mode === 'MAINTENANCE' ? v.mul(b.maintenanceWeight) : v);
    }
    // At s = 1 (the current prices) the positions' terms are the evaluation's own figures.
    const atCurrent = s === ONE && valuation === 'PRECISE';
    for (const mp of moved) {
      const p = mp.pos;
      const known = atCurrent ? current.get(p.id) : undefined;
      const price = mp.markMoves && !atCurrent ? p.valuationPrice.mul(s) : p.valuationPrice;
      const x = mp.settleMoves && !atCurrent ? p.settlePrice.mul(s) : p.settlePrice;
      // × x skipped when x is exactly 1 (the valuation asset's index: scaleBy).
      if (mode === 'MAINTENANCE' && !scanned.has(p.id)) {
        const t = known ?? marginTermsAt(p, price, valuation);
        sum = sum.add(scaleBy(t.pnl.sub(t.maintenanceMargin), x));
      } else {
        sum = sum.add(scaleBy(known?.pnl ?? equityContributionOf(valuePosition(p, price, valuation)), x));
      }
    }
    // PORTFOLIO: U's scan group MM at the moved price (its options revalued FAST: 16 scenarios per option and ratio).
    if (mode === 'MAINTENANCE' && group !== null) sum = sum.sub(groupMaintenanceAt(group, s, s.eq(ONE) ? 'PRECISE' : 'FAST'));
    return sum;
  };
  // g(1) is the account's own figure (marginEquity − MM, cross equity), whose sign its status reports. At another
  // ratio, g(s) = g(1) − (moved terms at s = 1) + (moved terms at s): that constant is computed when first asked for
  // (snapping, a Decimal search); the FAST delta-one model derives its own in doubles (deltaOneFastGap).
  const gMaint1 = totals.maintenanceGap;
  const gBank1 = totals.crossEquity;
  let maintConst: Decimal | null = null;
  let bankConst: Decimal | null = null;
  const maintenanceConst = (): Decimal => (maintConst ??= gMaint1.sub(gapAt(ONE, 'MAINTENANCE')));
  const bankruptcyConst = (): Decimal => (bankConst ??= gBank1.sub(gapAt(ONE, 'BANKRUPTCY')));
  const gMaint = (s: Decimal): Decimal => (s === ONE ? gMaint1 : maintenanceConst().add(gapAt(s, 'MAINTENANCE')));
  const gBank = (s: Decimal): Decimal => (s === ONE ? gBank1 : bankruptcyConst().add(gapAt(s, 'BANKRUPTCY')));
  const hasOptions = moved.some((mp) => mp.markMoves && mp.pos.market.option !== null);
  // The search runs on a FAST model; snapping always uses the PRECISE one. Books of delta-one positions without a
  // portfolio scan: the whole g and the search itself in doubles (fast-terms.ts, searchBoundaryInDoubles), the Decimal
  // search only where doubles overflow. Otherwise: a Decimal search with options valued in double precision.
  const deltaOneGap = search === 'FAST' ? deltaOneFastGap(moved, balances, balanceValues, scanned, group, gMaint1, gBank1) : null;
  const gMaintFast =
    search === 'FAST' && deltaOneGap === null && (hasOptions || group !== null)
      ? (s: Decimal): Decimal => maintenanceConst().add(gapAt(s, 'MAINTENANCE', 'FAST'))
      : gMaint;
  const gBankFast =
    search === 'FAST' && deltaOneGap === null && hasOptions ? (s: Decimal): Decimal => bankruptcyConst().add(gapAt(s, 'BANKRUPTCY', 'FAST')) : gBank;

  // Reference grid: the market on U with the largest cross notional (ties: symbol), else the index on 1e-8.
  let referencePosition: NPosition | null = null;
  let referenceNotional = ZERO;
  for (const mp of moved) {
    if (!mp.markMoves || mp.pos.market.option !== null) continue;
    const n = current.get(mp.pos.id)?.notionalUsd ?? ZERO;
    const order = referencePosition === null ? 1 : compareD(n, referenceNotional);
    if (order > 0 || (order === 0 && mp.pos.market.symbol < referencePosition!.market.symbol)) {
      referencePosition = mp.pos;
      referenceNotional = n;
    }
  }
  const reference: NMarket | null = referencePosition === null ? null : referencePosition.market;
  const index = prepared.prices.optionalIndex(underlying);
  const price0 = referencePosition === null ? index! : referencePosition.mark;
  const tick = reference === null ? INDEX_TICK : reference.tick;
  // The delta-one markets on U (by symbol) with their current marks: built for the first boundary found.
  let marketsOnU: (readonly [NMarket, Decimal])[] | null = null;
  const marketMarks = (): readonly (readonly [NMarket, Decimal])[] => {
    if (marketsOnU === null) {
      const bySymbol = new Map<string, readonly [NMarket, Decimal]>();
      for (const mp of moved) if (mp.markMoves && mp.pos.market.option === null) bySymbol.set(mp.pos.market.symbol, [mp.pos.market, mp.pos.mark]);
      marketsOnU = [...bySymbol.values()].sort(([a], [b]) => (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0));
    }
    return marketsOnU;
  };

  const shapeOf = (scope: ShapeScope): Shape =>
    moved.every((mp) => movedShapeIsLinear(mp, scope)) ? 'PIECEWISE_LINEAR' : 'NONLINEAR';
  // Tier breakpoints: in doubles for the double-precision search, in Decimal (built only if needed) otherwise.
  const fastBreakpoints: number[] = [];
  if (deltaOneGap !== null) for (const mp of moved) fastTierBreakpoints(mp, fastBreakpoints);
  let decimalBreakpoints: Decimal[] | null = null;
  const breakpoints = (): Decimal[] => {
    if (decimalBreakpoints === null) {
      decimalBreakpoints = [];
      for (const mp of moved) tierBreakpoints(mp, decimalBreakpoints);
    }
    return decimalBreakpoints;
  };

  const boundary = (
    g: (s: Decimal) => Decimal,
    gSearch: (s: Decimal) => Decimal,
    mode: 'MAINTENANCE' | 'BANKRUPTCY',
    direction: SearchDirection,
    boundaryShape: Shape,
  ): PriceBoundary | null => {
    const g1 = g(ONE);
    // Bankruptcy ignores requirements: no tier breakpoints.
    const withTiers = mode === 'MAINTENANCE';
    let s: Decimal | null | typeof NOT_FINITE = NOT_FINITE;
    if (deltaOneGap !== null) {
      s = searchBoundaryInDoubles(deltaOneGap[mode].value, g1, direction, withTiers ? fastBreakpoints : [], boundaryShape, price0, tick);
    }
    if (s === NOT_FINITE) s = searchBoundary(gSearch, g1, direction, withTiers ? breakpoints() : [], boundaryShape, price0, tick);
    if (s === null) return null;
    // The liquidatable side: the far side when currently safe, the near side when currently liquidatable.
    const liquidatableSide: BoundarySide = g1.isNeg() ? (direction === 'BELOW' ? 'ABOVE' : 'BELOW') : direction;
    // The snapping's checks: g < 0 at ratio r, decided by the bounded double model where it can (delta-one books),
    // else by the exact g. Either way the engine's exact sign: the double model only answers when its bound proves it.
    const bounded = deltaOneGap === null ? null : deltaOneGap[mode];
    const negativeAt = (r: Decimal): boolean => {
      const decided = bounded === null ? 0 : bounded.sign(toDouble(r));
      return decided === 0 ? g(r).isNeg() : decided < 0;
    };
    const snapped = snapBoundary(price0.mul(s), tick, liquidatableSide, (p) => negativeAt(p.div(price0)));
    if (snapped === null) return null;
    const ratio = snapped.div(price0);
    const rounding = safeRounding(liquidatableSide);
    const markPrices: Record<string, Decimal> = {};
    for (const [m, mark] of marketMarks()) {
      if (m === reference) {
        markPrices[m.symbol] = snapped;
        continue;
      }
      // Every other market on U is snapped on its OWN tick with the same exact check (all prices on U moved by the
      // ratio p / mark): not liquidatable at its reported price, liquidatable one of its ticks further.
      markPrices[m.symbol] =
        snapBoundary(mark.mul(ratio), m.tick, liquidatableSide, (p) => negativeAt(p.div(mark))) ?? roundToTick(mark.mul(ratio), m.tick, rounding);
    }
    // The index level at the boundary: on the index grid. Where an option on U reports it as its liquidation
    // (bankruptcy) price, it is snapped with the same exact check on that grid (every price on U moved by p / index),
    // so it too holds at the price and fails one index tick further; otherwise it is the reference boundary's level
    // rounded to the safe side (informational).
    let indexPrice: Decimal | null = null;
    if (index !== null && reference === null) indexPrice = snapped;
    else if (index !== null && hasOptions) {
      const idx = index;
      indexPrice =
        snapBoundary(idx.mul(ratio), INDEX_TICK, liquidatableSide, (p) => negativeAt(p.div(idx))) ??
        roundToTick(idx.mul(ratio), INDEX_TICK, rounding);
    } else if (index !== null) indexPrice = roundToTick(index.mul(ratio), INDEX_TICK, rounding);
    return Object.freeze({
      ratio,
      indexPrice,
      markPrices: Object.freeze(markPrices),
      liquidatableSide,
    });
  };

  // Bankruptcy ignores requirements: no tier breakpoints; linear unless a position's value itself is nonlinear in s.
  const shape = group !== null ? 'NONLINEAR' : shapeOf('WITH_REQUIREMENTS');
  const bankShape = shapeOf('VALUE_ONLY');

  // Exposure: the sign of ∂(cross equity)/∂s at s = 1 (USD), exactly, from the current figures:
  //   a balance on U:  amount·index;
  //   a position whose mark moves: ∂(uPnL)/∂s = q·c·P (LINEAR) or q·c/P (INVERSE), i.e. ±N (− for a short), times X;
  //     an option q·c·Δ·U·X (its current, memoized valuation);
  //   a position whose settlement price moves: + its equity contribution × X.
  let slope = ZERO;
  for (const v of balanceValues) slope = slope.add(v);
  for (const mp of moved) {
    const p = mp.pos;
    if (p.market.option === null) {
      const known = current.get(p.id)!;
      if (mp.markMoves) slope = p.q.isNeg() ? slope.sub(known.notionalUsd) : slope.add(known.notionalUsd);
      if (mp.settleMoves) slope = slope.add(scaleBy(known.pnl, p.settlePrice));
      continue;
    }
    const v = valuePosition(p, p.valuationPrice);
    let d = mp.markMoves ? p.qc.mul(v.option!.delta).mul(p.valuationPrice) : ZERO;
    if (mp.settleMoves) d = d.add(equityContributionOf(v));
    slope = slope.add(d.mul(p.settlePrice));
  }
  const exposure: PositionSide = slope.isZero() ? 'FLAT' : slope.isPos() ? 'LONG' : 'SHORT';

  return Object.freeze({
    underlying,
    indexPrice: index,
    referenceMarket: reference === null ? null : reference.symbol,
    exposure,
    below: boundary(gMaint, gMaintFast, 'MAINTENANCE', 'BELOW', shape),
    above: boundary(gMaint, gMaintFast, 'MAINTENANCE', 'ABOVE', shape),
    bankruptcyBelow: boundary(gBank, gBankFast, 'BANKRUPTCY', 'BELOW', bankShape),
    bankruptcyAbove: boundary(gBank, gBankFast, 'BANKRUPTCY', 'ABOVE', bankShape),
  });
}

/**
 * The boundary that liquidates a position held with the given net exposure: the one whose liquidatable side is
 * below (LONG) / above (SHORT), nearest first. For a currently safe account that is the boundary below (long) /
 * above (short) the current price; for a currently liquidatable one, the price it must recover to.
 */
export function adverseBoundary(
  exposure: PositionSide,
  below: PriceBoundary | null,
  above: PriceBoundary | null,
): PriceBoundary | null {
  if (exposure === 'FLAT') return null;
  const want: BoundarySide = exposure === 'LONG' ? 'BELOW' : 'ABOVE';
  const candidates = exposure === 'LONG' ? [below, above] : [above, below];
  for (const b of candidates) if (b !== null && b.liquidatableSide === want) return b;
  return null;
}
