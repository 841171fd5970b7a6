/**
 * Inverse solvers. Each answers "how much can I / must I …" on an integer grid of a unit u (a size step in contracts
 * or one smallest unit of an asset), by bracketing (doubling strides) and bisection over the engine itself, and
 * returns the engine's own verification: the checked quantity at the answer and at the answer moved one unit across
 * the boundary (one unit more for a maximum, one unit less for a minimum).
 *
 * Every operation a solver tries is the account-transition model's (transition.ts), so each answer is what the real
 * write does: the fill, withdrawal or deposit the mutation would apply, with its rounding and its verdict.
 *
 *   maxTradeSize(market, side)      largest |Δ| (multiple of the size step, default 10⁻⁸ contracts) such that the fill
 *                                   Δ = ±|Δ| at the mark (fee rate 0 unless given) is accepted by the applyFill rule:
 *                                   reduce-only, or freeCollateral ≥ 0 after it (an ISOLATED position first topped
 *                                   up to its IM from the cross balance; an option's premium paid). Answer 0 and
 *                                   feasible false when not even one step is accepted.
 *   maxWithdrawable(asset)          largest w (multiple of 10^−decimals of the asset) keeping freeCollateral ≥ 0 and,
 *                                   for an asset that may not be borrowed, balance − w ≥ 0.
 *   depositToReach(target, market)  smallest deposit d of the market's settlement asset (into the cross balance, and
 *                                   for an isolated position transferred into its isolated margin) after which the
 *                                   position's liquidation price is at or beyond the target on the side where the
 *                                   boundary is: s = sign(liquidationPrice − mark; the underlying price for an
 *                                   option position) (a long in a net-short cross book
 *                                   liquidates above the mark, s = +1), reached when s·(liquidationPrice − target)
 *                                   ≥ 0 or there is no liquidation price. A target on the safe side of the mark is
 *                                   reached with 0. Null when no deposit up to 2^120 units reaches it.
 *   minReductionToExitLiquidation   for an account with marginEquity < MM: close cross positions at the mark
 *                                   (no fee), largest MM first, fully while that is not enough, then the smallest
 *                                   multiple of the size step of the next one that gives marginEquity ≥ MM.
 */
import Decimal from 'decimal.js';
import type { AccountSnapshot, Side } from './types';
import type { AccountRisk } from './result';
import { D, ONE, ZERO, minD, toD } from './decimal';
import { evaluateAccount } from './engine';
import { balanceOf, marketOf, positionInMarket } from './fills';
import { DEFAULT_SIZE_STEP } from './liquidation-outcome';
import { ScenarioInputError } from './input-error';
import { depositTransition, fillTransition, isolatedTransferTransition, roundDebit, withdrawalTransition, type FillTransition } from './transition';
import { bisectFirstTrue, bisectLastTrue, bracketUp, MAX_DOUBLINGS } from './search';
import { notionalOf } from './slippage';
import { own } from './lookup';

export interface SolverVerification {
  /** What is checked, e.g. "freeCollateral", "liquidationPrice", "marginEquity - maintenanceMargin". */
  readonly quantity: string;
  /** The condition that must hold at the answer, e.g. "freeCollateral >= 0". */
  readonly condition: string;
  readonly answer: Decimal;
  readonly valueAtAnswer: Decimal | null;
  readonly holdsAtAnswer: boolean;
  /** The answer moved one unit across the boundary (answer + unit for a maximum, − unit for a minimum); null at 0. */
  readonly crossing: Decimal | null;
  readonly valueAtCrossing: Decimal | null;
  readonly holdsAtCrossing: boolean | null;
}

export interface PositionReduction {
  readonly positionId: string;
  readonly market: string;
  /** Contracts closed (positive). */
  readonly size: Decimal;
  /** Signed size before. */
  readonly sizeBefore: Decimal;
  readonly full: boolean;
}

export interface SolverResult {
  readonly kind: 'MAX_TRADE_SIZE' | 'MAX_WITHDRAWABLE' | 'DEPOSIT_TO_REACH' | 'MIN_REDUCTION_TO_EXIT_LIQUIDATION';
  /** The answer (contracts or asset units); null when no answer exists. */
  readonly answer: Decimal | null;
  /** Grid unit of the answer. */
  readonly unit: Decimal;
  /** Asset of an amount answer (withdrawal, deposit); null for sizes. */
  readonly asset: string | null;
  readonly market: string | null;
  /** False when the condition cannot hold on the grid (then `answer` is 0 or null). */
  readonly feasible: boolean;
  /** True when the bracket never closed (the condition holds for every probed value). */
  readonly unbounded: boolean;
  readonly verification: SolverVerification;
  /** MIN_REDUCTION_TO_EXIT_LIQUIDATION: the closes, largest MM first. */
  readonly reductions: readonly PositionReduction[] | null;
  /** Risk after applying the answer. */
  readonly riskAtAnswer: AccountRisk | null;
}

const SKIP = { liquidationPrices: 'SKIP', greeks: 'SKIP' } as const;
const quick = (s: AccountSnapshot): AccountRisk => evaluateAccount(s, SKIP);
/**
 * The risk at an answer as every read reports it: a full evaluation (liquidation prices and greeks) of the snapshot at
 * the answer. The search itself evaluates without them (`quick`); its figures are the same.
 */
const full = (s: AccountSnapshot): AccountRisk => evaluateAccount(s);

export interface TradeSolverOptions {
  /** Fee rate on the trade's notional (default 0). */
  readonly feeRate?: Decimal;
  readonly sizeStep?: Decimal;
}

/** The fill of `size` at the mark with fee feeRate·notional (rounded up to the settlement decimals), as applyFill applies it. */
function fillAtMark(snapshot: AccountSnapshot, market: string, size: Decimal, feeRate: Decimal, before?: AccountRisk): FillTransition {
  const m = marketOf(snapshot, market);
  const mark = own(snapshot.markPrices, market);
  if (mark === undefined) throw new ScenarioInputError(`no mark price for ${market}`, 'market');
  const price = toD(mark.price);
  const decimals = snapshot.assets[m.settlementAsset]?.decimals ?? 0;
  const fee = roundDebit(feeRate.mul(notionalOf(m, size, price)), decimals);
  return fillTransition(snapshot, { market, size, price, fee }, { evaluate: SKIP, before });
}

function tradeAtMark(snapshot: AccountSnapshot, market: string, size: Decimal, feeRate: Decimal): AccountSnapshot {
  return size.isZero() ? snapshot : fillAtMark(snapshot, market, size, feeRate).snapshot;
}

function verification(
  quantity: string,
  condition: string,
  answer: Decimal,
  valueAtAnswer: Decimal | null,
  holdsAtAnswer: boolean,
  crossing: Decimal | null,
  valueAtCrossing: Decimal | null,
  holdsAtCrossing: boolean | null,
): SolverVerification {
  return Object.freeze({ quantity, condition, answer, valueAtAnswer, holdsAtAnswer, crossing, valueAtCrossing, holdsAtCrossing });
}

/**
 * The largest k ≥ `start` (in grid units) at which `holds` is true — bracketing by doubling, then bisection — with the
 * engine's own verification at the answer and one unit beyond. `start` null: the condition fails already at k = 0.
 */
function largestFeasible(args: {
  readonly base: Pick<SolverResult, 'kind' | 'unit' | 'asset' | 'market' | 'reductions'>;
  readonly unit: Decimal;
  readonly condition: string;
  readonly riskAt: (k: Decimal) => AccountRisk;
  /** The snapshot at k grid units (riskAt(k) is its quick evaluation). */
  readonly snapshotAt: (k: Decimal) => AccountSnapshot;
  readonly holds: (k: Decimal, risk: AccountRisk) => boolean;
  readonly start: Decimal | null;
}): SolverResult {
  const { base, unit, condition, riskAt, holds, snapshotAt } = args;
  if (args.start === null) {
    const r0 = riskAt(ZERO);
    const r1 = riskAt(ONE);
    return Object.freeze({
      ...base,
      answer: ZERO,
      feasible: false,
      unbounded: false,
      riskAtAnswer: full(snapshotAt(ZERO)),
      verification: verification('freeCollateral', condition, ZERO, r0.freeCollateral, false, unit, r1.freeCollateral, holds(ONE, r1)),
    });
  }
  const ok = (k: Decimal): boolean => holds(k, riskAt(k));
  const { lo, hi } = bracketUp(args.start, ok);
  if (hi === null) {
    const r = riskAt(lo);
    return Object.freeze({
      ...base,
      answer: null,
      feasible: true,
      unbounded: true,
      riskAtAnswer: full(snapshotAt(lo)),
      verification: verification('freeCollateral', condition, lo.mul(unit), r.freeCollateral, true, null, null, null),
    });
  }
  const b = bisectLastTrue(lo, hi, ok);
  const rA = riskAt(b.lo);
  const rX = riskAt(b.hi);
  return Object.freeze({
    ...base,
    answer: b.lo.mul(unit),
    feasible: true,
    unbounded: false,
    riskAtAnswer: full(snapshotAt(b.lo)),
    verification: verification('freeCollateral', condition, b.lo.mul(unit), rA.freeCollateral, true, b.hi.mul(unit), rX.freeCollateral, holds(b.hi, rX)),
  });
}

/** Largest trade on `side` the applyFill rule accepts (see the module comment). */
export function maxTradeSize(snapshot: AccountSnapshot, market: string, side: Side, options: TradeSolverOptions = {}): SolverResult {
  if (own(snapshot.markets, market) === undefined) throw new ScenarioInputError(`unknown market ${market}`, 'market');
  const unit = toD(options.sizeStep ?? DEFAULT_SIZE_STEP);
  const feeRate = toD(options.feeRate ?? ZERO);
  const sign = side === 'LONG' ? ONE : ONE.neg();
  const r0 = quick(snapshot);
  const cache = new Map<string, { risk: AccountRisk; accepted: boolean; snapshot: AccountSnapshot }>();
  const at = (k: Decimal): { risk: AccountRisk; accepted: boolean; snapshot: AccountSnapshot } => {
    const key = k.toFixed();
    let r = cache.get(key);
    if (r === undefined) {
      if (k.isZero()) r = { risk: r0, accepted: true, snapshot };
      else {
        const t = fillAtMark(snapshot, market, k.mul(unit).mul(sign), feeRate, r0);
        r = { risk: t.risk ?? quick(t.snapshot), accepted: t.refusals.length === 0, snapshot: t.snapshot };
      }
      cache.set(key, r);
    }
    return r;
  };
  const condition = 'applyFill accepts the trade (reduce-only, or freeCollateral >= 0 after it)';
  const base = { kind: 'MAX_TRADE_SIZE' as const, unit, asset: null, market, reductions: null };
  const ok = (k: Decimal): boolean => at(k).accepted;
  const { lo, hi } = bracketUp(ZERO, ok);
  if (hi === null) {
    const r = at(lo).risk;
    return Object.freeze({
      ...base,
      answer: null,
      feasible: true,
      unbounded: true,
      riskAtAnswer: full(at(lo).snapshot),
      verification: verification('freeCollateral', condition, lo.mul(unit), r.freeCollateral, true, null, null, null),
    });
  }
  const b = bisectLastTrue(lo, hi, ok);
  const rA = at(b.lo).risk;
  const rX = at(b.hi).risk;
  return Object.freeze({
    ...base,
    answer: b.lo.mul(unit),
    feasible: !b.lo.isZero(),
    unbounded: false,
    riskAtAnswer: full(at(b.lo).snapshot),
    verification: verification('freeCollateral', condition, b.lo.mul(unit), rA.freeCollateral, true, b.hi.mul(unit), rX.freeCollateral, false),
  });
}

export interface WithdrawSolverOptions {
  /** Whether the asset may be borrowed (its balance may go negative); default true. */
  readonly borrowable?: boolean;
}

/** Largest withdrawal of `asset` keeping freeCollateral ≥ 0 (and balance ≥ 0 unless borrowable). */
export function maxWithdrawable(snapshot: AccountSnapshot, asset: string, options: WithdrawSolverOptions = {}): SolverResult {
  const params = own(snapshot.assets, asset);
  if (params === undefined) throw new ScenarioInputError(`unknown asset ${asset}`, 'asset');
  const unit = new D(10).pow(-params.decimals);
  const borrowable = options.borrowable ?? own(snapshot.assets, asset)?.borrowable !== false;
  const balance = balanceOf(snapshot, asset);
  const cache = new Map<string, { risk: AccountRisk; accepted: boolean; snapshot: AccountSnapshot }>();
  const at = (k: Decimal): { risk: AccountRisk; accepted: boolean; snapshot: AccountSnapshot } => {
    const key = k.toFixed();
    let r = cache.get(key);
    if (r === undefined) {
      if (k.isZero()) {
        const risk = quick(snapshot);
        r = { risk, accepted: risk.freeCollateral.gte(0), snapshot };
      } else {
        const t = withdrawalTransition(snapshot, { asset, amount: k.mul(unit) }, { evaluate: SKIP });
        r = { risk: t.risk!, accepted: t.refusals.length === 0, snapshot: t.snapshot };
      }
      cache.set(key, r);
    }
    return r;
  };
  const riskAt = (k: Decimal): AccountRisk => at(k).risk;
  // The withdraw mutation's rule (transition.ts), and a balance kept ≥ 0 for an asset that may not be borrowed.
  const holds = (k: Decimal, _risk?: AccountRisk): boolean => at(k).accepted && (borrowable || balance.sub(k.mul(unit)).gte(0));
  const condition = borrowable ? 'freeCollateral >= 0' : 'freeCollateral >= 0 and balance >= 0';
  const base = { kind: 'MAX_WITHDRAWABLE' as const, unit, asset, market: null, reductions: null };
  const snapshotAt = (k: Decimal): AccountSnapshot => at(k).snapshot;
  return largestFeasible({ base, unit, condition, riskAt, snapshotAt, holds, start: holds(ZERO, riskAt(ZERO)) ? ZERO : null });
}

/** Smallest deposit moving the position's liquidation price to or beyond `target` (see the module comment). */
export function depositToReach(snapshot: AccountSnapshot, targetRaw: Decimal, market: string): SolverResult {
  const target = toD(targetRaw);
  if (!target.isFinite() || target.lte(0)) throw new ScenarioInputError('target liquidation price must be positive', 'targetLiquidationPrice');
  const m = own(snapshot.markets, market);
  if (m === undefined) throw new ScenarioInputError(`unknown market ${market}`, 'market');
  const pos = positionInMarket(snapshot, market);
  if (pos === undefined || toD(pos.size).isZero()) throw new ScenarioInputError(`no open position in ${market}`, 'market');
  const asset = m.settlementAsset;
  const unit = new D(10).pow(-own(snapshot.assets, asset)!.decimals);
  const snapAt = (k: Decimal): AccountSnapshot => {
    const amount = k.mul(unit);
    if (amount.isZero()) return snapshot;
    // The writes: deposit, then (isolated) the transfer into the position's margin.
    const deposited = depositTransition(snapshot, { asset, amount }).snapshot;
    return pos.marginType === 'ISOLATED'
      ? isolatedTransferTransition(deposited, { market, amount }, { evaluate: SKIP }).snapshot
      : deposited;
  };
  const liqAt = (k: Decimal): Decimal | null => evaluateAccount(snapAt(k), { greeks: 'SKIP' }).positionsById[pos.id]!.liquidationPrice;
  // The side of the boundary: where the liquidation price is relative to the position's mark now.
  const r0 = evaluateAccount(snapshot, { greeks: 'SKIP' });
  const p0 = r0.positionsById[pos.id]!;
  // An option position's liquidation price is an underlying level: compared with the underlying price, not its mark.
  const current = p0.option?.underlyingPrice ?? p0.markPrice;
  const above = p0.liquidationPrice !== null && p0.liquidationPrice.gt(current);
  const reached = (p: Decimal | null): boolean => p === null || (above ? p.gte(target) : p.lte(target));
  const cache = new Map<string, Decimal | null>();
  const liq = (k: Decimal): Decimal | null => {
    const key = k.toFixed();
    if (!cache.has(key)) cache.set(key, liqAt(k));
    return cache.get(key)!;
  };
  const ok = (k: Decimal): boolean => reached(liq(k));
  const condition = above ? 'liquidationPrice >= target (or none; boundary above the mark)' : 'liquidationPrice <= target (or none; boundary below the mark)';
  const base = { kind: 'DEPOSIT_TO_REACH' as const, unit, asset, market, reductions: null, unbounded: false };
  if (ok(ZERO)) {
    return Object.freeze({
      ...base,
      answer: ZERO,
      feasible: true,
      riskAtAnswer: full(snapshot),
      verification: verification('liquidationPrice', condition, ZERO, liq(ZERO), true, null, null, null),
    });
  }
  // Bracket: the smallest k with ok(k) by doubling (ok is false at 0).
  let hi: Decimal | null = null;
  let lo = ZERO;
  let stride = ONE;
  for (let i = 0; i < MAX_DOUBLINGS; i++) {
    const probe = lo.add(stride);
    if (ok(probe)) {
      hi = probe;
      break;
    }
    lo = probe;
    stride = stride.mul(2);
  }
  if (hi === null) {
    return Object.freeze({
      ...base,
      answer: null,
      feasible: false,
      riskAtAnswer: null,
      verification: verification('liquidationPrice', condition, lo.mul(unit), liq(lo), false, null, null, null),
    });
  }
  const b = bisectFirstTrue(lo, hi, ok);
  return Object.freeze({
    ...base,
    answer: b.hi.mul(unit),
    feasible: true,
    riskAtAnswer: full(snapAt(b.hi)),
    verification: verification('liquidationPrice', condition, b.hi.mul(unit), liq(b.hi), true, b.lo.mul(unit), liq(b.lo), ok(b.lo)),
  });
}

/**
 * Smallest reduction of the largest-MM cross position(s), at the mark and without fee, that brings the account to
 * marginEquity ≥ MM. Null when the account is not liquidatable.
 */
export function minReductionToExitLiquidation(snapshot: AccountSnapshot, options: { sizeStep?: Decimal } = {}): SolverResult | null {
  const unit = toD(options.sizeStep ?? DEFAULT_SIZE_STEP);
  const r0 = quick(snapshot);
  const gap = (r: AccountRisk): Decimal => r.marginEquity.sub(r.maintenanceMargin);
  if (gap(r0).gte(0)) return null;
  const order = r0.positions
    .filter((p) => p.marginType === 'CROSS' && !p.size.isZero())
    .sort((a, b) => b.maintenanceMarginUsd.cmp(a.maintenanceMarginUsd) || (a.positionId < b.positionId ? -1 : a.positionId > b.positionId ? 1 : 0));
  const reductions: PositionReduction[] = [];
  let snap = snapshot;
  const base = { kind: 'MIN_REDUCTION_TO_EXIT_LIQUIDATION' as const, unit, asset: null, market: null as string | null, unbounded: false };
  for (const p of order) {
    const q = p.size;
    const absQ = q.abs();
    const sign = q.isPos() ? ONE.neg() : ONE;
    const kMax = absQ.div(unit).toDecimalPlaces(0, Decimal.ROUND_CEIL);
    const sizeOf = (k: Decimal): Decimal => minD(k.mul(unit), absQ);
    const current = snap;
    const riskAt = (k: Decimal): AccountRisk => quick(tradeAtMark(current, p.market, sizeOf(k).mul(sign), ZERO));
    const rFull = riskAt(kMax);
    if (gap(rFull).lt(0)) {
      reductions.push(Object.freeze({ positionId: p.positionId, market: p.market, size: absQ, sizeBefore: q, full: true }));
      snap = tradeAtMark(current, p.market, absQ.mul(sign), ZERO);
      continue;
    }
    const b = bisectFirstTrue(ZERO, kMax, (k) => gap(riskAt(k)).gte(0));
    const size = sizeOf(b.hi);
    const rA = riskAt(b.hi);
    const rX = riskAt(b.lo);
    reductions.push(Object.freeze({ positionId: p.positionId, market: p.market, size, sizeBefore: q, full: size.eq(absQ) }));
    // The answer is the reduction of the boundary position (earlier ones, if any, are closed fully).
    return Object.freeze({
      ...base,
      market: p.market,
      answer: size,
      feasible: true,
      reductions: Object.freeze(reductions),
      riskAtAnswer: full(tradeAtMark(current, p.market, size.mul(sign), ZERO)),
      verification: verification('marginEquity - maintenanceMargin', 'marginEquity >= maintenanceMargin', size, gap(rA), true, sizeOf(b.lo), gap(rX), gap(rX).gte(0)),
    });
  }
  const rEnd = quick(snap);
  return Object.freeze({
    ...base,
    answer: null,
    feasible: false,
    reductions: Object.freeze(reductions),
    riskAtAnswer: full(snap),
    verification: verification('marginEquity - maintenanceMargin', 'marginEquity >= maintenanceMargin', ZERO, gap(rEnd), false, null, null, null),
  });
}
