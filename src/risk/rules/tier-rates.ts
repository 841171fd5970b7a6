/**
 * Tier rates: tiered margin schedules (Binance / Bybit / Hyperliquid style), the base rule every other rate builds on.
 *
 * A tier `i` covers notionals in `[floor_i, cap_i)` (notional units of the market: quote for LINEAR, base for INVERSE).
 * Maintenance amount ("cum", notional units):
 *   cum_0 = 0,  cum_i = cum_{i−1} + floor_i · (mmr_i − mmr_{i−1})
 * which makes `MM(N) = N·mmr_i − cum_i` continuous in N across tier boundaries.
 *
 * Per position (requirements.ts): tier = the tier whose [floor, cap) holds N; IM rate imr (then the volatility
 * adjustment, OI scaling, leverage, size add-on); MM term max(0, N_m·mmr·k − cum·k) (`maintenanceTerm`). Normalized per
 * market in model.ts (normalizeTiers: with the volatility factor k folded in). The double form is `fastTiers` /
 * `fastTierAt` (the liquidation search). Breakdown: PositionRisk.tier, maintenanceTier, maintenanceRate,
 * maintenanceAmount. Parameters: a schedule, checked by `validateTierSchedule` (the API's setMarginTiers and
 * upsertMarket call it; a list, so it has no flat ParameterSpec).
 */
import type Decimal from 'decimal.js';
import type { MarginTierParams } from '../types';
import { ZERO, compareD, maxD, toD, toDouble } from '../decimal';
import { invalidSnapshot } from '../errors';
import type { NMarket, NTier } from '../model';

/** The minimum a schedule row needs to derive maintenance amounts. */
export interface TierRateRow {
  readonly notionalFloor: Decimal;
  readonly initialMarginRate: Decimal;
  readonly maintenanceMarginRate: Decimal;
}

/**
 * Maintenance amounts of a schedule sorted by floor: cum_0 = 0, cum_i = cum_{i−1} + floor_i·(mmr_i − mmr_{i−1}).
 * Units: notional units of the market.
 */
export function computeMaintenanceAmounts(rows: readonly TierRateRow[]): Decimal[] {
  const out: Decimal[] = [];
  let cum = ZERO;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    if (i > 0) {
      const prev = rows[i - 1]!;
      cum = cum.add(toD(row.notionalFloor).mul(toD(row.maintenanceMarginRate).sub(toD(prev.maintenanceMarginRate))));
    }
    out.push(cum);
  }
  return out;
}

/**
 * Builds a complete schedule from rows sorted by floor: caps are the next row's floor (last cap null) and
 * maintenance amounts are derived with `computeMaintenanceAmounts`.
 */
export function buildTierSchedule(rows: readonly TierRateRow[]): readonly MarginTierParams[] {
  const cums = computeMaintenanceAmounts(rows);
  return Object.freeze(
    rows.map((row, i) =>
      Object.freeze({
        notionalFloor: toD(row.notionalFloor),
        notionalCap: i + 1 < rows.length ? toD(rows[i + 1]!.notionalFloor) : null,
        initialMarginRate: toD(row.initialMarginRate),
        maintenanceMarginRate: toD(row.maintenanceMarginRate),
        maintenanceAmount: cums[i]!,
      }),
    ),
  );
}

/**
 * Index of the tier whose `[floor, cap)` holds `notional` (a notional equal to a cap belongs to the next tier).
 * Assumes a valid schedule (see `validateTierSchedule`); returns −1 when no tier holds the notional.
 */
export function findTierIndex(tiers: readonly Pick<MarginTierParams, 'notionalFloor' | 'notionalCap'>[], notional: Decimal): number {
  // Schedules are short (≤ ~20 tiers): a linear scan from the top is simplest and fast.
  for (let i = tiers.length - 1; i >= 0; i--) {
    const t = tiers[i]!;
    if (notional.gte(t.notionalFloor)) {
      return t.notionalCap === null || notional.lt(t.notionalCap) ? i : -1;
    }
  }
  return -1;
}

export type TierProblemCode =
  | 'EMPTY_SCHEDULE'
  | 'FIRST_FLOOR_NOT_ZERO'
  | 'NOT_CONTIGUOUS'
  | 'CAP_NOT_ABOVE_FLOOR'
  | 'LAST_CAP_NOT_OPEN'
  | 'OPEN_CAP_NOT_LAST'
  | 'NEGATIVE_RATE'
  | 'RATE_ABOVE_ONE'
  | 'INITIAL_RATE_DECREASING'
  | 'MAINTENANCE_RATE_DECREASING'
  | 'INITIAL_BELOW_MAINTENANCE'
  | 'MAINTENANCE_AMOUNT_MISMATCH';

export interface TierProblem {
  readonly code: TierProblemCode;
  /** Index of the offending tier (0 for schedule-level problems). */
  readonly tierIndex: number;
  readonly field: 'notionalFloor' | 'notionalCap' | 'initialMarginRate' | 'maintenanceMarginRate' | 'maintenanceAmount' | 'tiers';
  readonly message: string;
}

export type MaintenanceAmountCheck = 'CHECK_MAINTENANCE_AMOUNTS' | 'IGNORE_MAINTENANCE_AMOUNTS';

/**
 * Validates a schedule: non-empty, first floor 0, contiguous (cap_i = floor_{i+1}, cap > floor), last cap open,
 * rates in [0, 1] and non-decreasing, imr ≥ mmr per tier, and (optionally) maintenance amounts equal to the
 * derived ones. Returns every problem found (empty list = valid).
 */
export function validateTierSchedule(
  tiers: readonly MarginTierParams[],
  maintenanceAmounts: MaintenanceAmountCheck = 'CHECK_MAINTENANCE_AMOUNTS',
): readonly TierProblem[] {
  const problems: TierProblem[] = [];
  const add = (code: TierProblemCode, tierIndex: number, field: TierProblem['field'], message: string): void => {
    problems.push(Object.freeze({ code, tierIndex, field, message }));
  };
  if (tiers.length === 0) {
    add('EMPTY_SCHEDULE', 0, 'tiers', 'a schedule needs at least one tier');
    return Object.freeze(problems);
  }
  if (!toD(tiers[0]!.notionalFloor).isZero()) {
    add('FIRST_FLOOR_NOT_ZERO', 0, 'notionalFloor', 'the first tier must start at notional 0');
  }
  const derived = computeMaintenanceAmounts(tiers);
  for (let i = 0; i < tiers.length; i++) {
    const t = tiers[i]!;
    const floor = toD(t.notionalFloor);
    const imr = toD(t.initialMarginRate);
    const mmr = toD(t.maintenanceMarginRate);
    const last = i === tiers.length - 1;
    if (t.notionalCap === null) {
      if (!last) add('OPEN_CAP_NOT_LAST', i, 'notionalCap', `tier ${i} has no cap but is not the last tier`);
    } else {
      const cap = toD(t.notionalCap);
      if (cap.lte(floor)) add('CAP_NOT_ABOVE_FLOOR', i, 'notionalCap', `tier ${i} cap ${cap} must exceed its floor ${floor}`);
      if (last) add('LAST_CAP_NOT_OPEN', i, 'notionalCap', 'the last tier must have no cap (open-ended)');
      else if (!cap.eq(toD(tiers[i + 1]!.notionalFloor))) {
        add('NOT_CONTIGUOUS', i + 1, 'notionalFloor', `tier ${i + 1} floor must equal tier ${i} cap ${cap}`);
      }
    }
    if (imr.isNeg()) add('NEGATIVE_RATE', i, 'initialMarginRate', `tier ${i} initial margin rate is negative`);
    if (mmr.isNeg()) add('NEGATIVE_RATE', i, 'maintenanceMarginRate', `tier ${i} maintenance margin rate is negative`);
    if (imr.gt(1)) add('RATE_ABOVE_ONE', i, 'initialMarginRate', `tier ${i} initial margin rate exceeds 1`);
    if (imr.lt(mmr)) {
      add('INITIAL_BELOW_MAINTENANCE', i, 'initialMarginRate', `tier ${i} initial margin rate ${imr} is below maintenance ${mmr}`);
    }
    if (i > 0) {
      const prev = tiers[i - 1]!;
      if (imr.lt(toD(prev.initialMarginRate))) {
        add('INITIAL_RATE_DECREASING', i, 'initialMarginRate', `tier ${i} initial margin rate decreases`);
      }
      if (mmr.lt(toD(prev.maintenanceMarginRate))) {
        add('MAINTENANCE_RATE_DECREASING', i, 'maintenanceMarginRate', `tier ${i} maintenance margin rate decreases`);
      }
    }
    if (maintenanceAmounts === 'CHECK_MAINTENANCE_AMOUNTS' && !toD(t.maintenanceAmount).eq(derived[i]!)) {
      add(
        'MAINTENANCE_AMOUNT_MISMATCH',
        i,
        'maintenanceAmount',
        `tier ${i} maintenance amount ${toD(t.maintenanceAmount)} differs from the derived ${derived[i]!}`,
      );
    }
  }
  return Object.freeze(problems);
}

/** Tier holding notional N (settlement units) of a normalized market. */
export function tierFor(market: NMarket, notional: Decimal): NTier {
  const i = findTierIndex(
    market.tiers.map((t) => ({ notionalFloor: t.floor, notionalCap: t.cap })),
    notional,
  );
  if (i < 0) throw invalidSnapshot(`market ${market.symbol}: no tier holds notional ${notional}`, { market: market.symbol });
  return market.tiers[i]!;
}

/** Faster tier lookup on normalized tiers (same semantics as findTierIndex). */
export function tierForNotional(market: NMarket, notional: Decimal): NTier {
  const tiers = market.tiers;
  for (let i = tiers.length - 1; i >= 0; i--) {
    const t = tiers[i]!;
    if (compareD(notional, t.floor) >= 0) {
      if (t.cap === null || compareD(notional, t.cap) < 0) return t;
      break;
    }
  }
  return tierFor(market, notional);
}

/**
 * max(0, N_m·mmr·k − cum·k) (settlement units). With cum·k = 0 (the first tier, usually) and a product that is not
 * negative (nor −0), the product is the result: the subtraction and the max are skipped (same value).
 */
export function maintenanceTerm(notional: Decimal, rate: Decimal, amount: Decimal): Decimal {
  const product = notional.mul(rate);
  return amount.isZero() && !product.isNeg() ? product : maxD(ZERO, product.sub(amount));
}

/** A normalized tier in doubles (the liquidation search). */
export interface FastTier {
  readonly floor: number;
  /** Infinity for the open last tier. */
  readonly cap: number;
  readonly mmrK: number;
  readonly cumK: number;
}

/** A market's tiers as doubles, memoized per normalized market (shared across evaluations, model.ts). */
const FAST_TIERS = new WeakMap<NMarket, readonly FastTier[]>();

export function fastTiers(m: NMarket): readonly FastTier[] {
  let tiers = FAST_TIERS.get(m);
  if (tiers === undefined) {
    tiers = m.tiers.map((t) => ({ floor: toDouble(t.floor), cap: t.cap === null ? Infinity : toDouble(t.cap), mmrK: toDouble(t.mmrK), cumK: toDouble(t.cumK) }));
    FAST_TIERS.set(m, tiers);
  }
  return tiers;
}

/** The tier holding n: the last whose floor n reaches (tierForNotional's rule), else the first. */
export function fastTierAt(tiers: readonly FastTier[], n: number): FastTier {
  let tier = tiers[0]!;
  for (let i = tiers.length - 1; i >= 0; i--) {
    const t = tiers[i]!;
    if (n >= t.floor) {
      if (n < t.cap) tier = t;
      break;
    }
  }
  return tier;
}

/** max(0, n·mmr·k − cum·k) in doubles. */
export function fastMaintenanceTerm(tier: FastTier, n: number): number {
  return Math.max(0, n * tier.mmrK - tier.cumK);
}
