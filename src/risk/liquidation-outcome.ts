/**
 * Liquidation outcome (DESIGN.md section 4): what a liquidation of the account would do now (or in a scenario).
 *
 * Cross account (liquidatable when marginEquity < MM):
 *   - positions are closed largest MM (valuation asset) first, ties by position id;
 *   - each only as far as needed to restore initialMarginEquity ≥ IM (freeCollateral ≥ 0): the closing size r is the
 *     smallest multiple of the size step (default 10⁻⁸ contracts, `DEFAULT_SIZE_STEP`) that does it, found by
 *     bisection on r; a position whose full close is not enough is closed fully and the next one follows;
 *   - at the execution price of the market's slippage model (slippage.ts), adverse to the account;
 *   - realized PnL (fills.ts rules) is credited to the settlement balance;
 *   - liquidation fee = liquidationFeeRate × closed notional at the execution price (settlement units), capped by the
 *     equity above bankruptcy after the close, max(0, crossEquity / X) with X the settlement asset's index price: a fee
 *     never makes equity negative by itself.
 * Isolated positions that are liquidatable (isolatedEquity < MM) are liquidated on their own margin: the same
 * schedule with isolatedEquity ≥ IM of the position as target, PnL and fee kept in the isolated margin, the fee capped
 * by max(0, isolatedEquity); a fully closed isolated position returns any positive margin left to the cross balance.
 * Isolated positions are processed first (position id order), then the cross account.
 *
 * Deficit: −crossEquity (USD) when the cross account ends below zero, plus −isolatedEquity·X of every fully closed
 * isolated position left negative. The insurance fund of the settlement asset covers it up to its balance (cross:
 * funds of the closed positions' settlement assets in step order, converted at the index price); the rest is the
 * residual loss socialized by auto-deleveraging. deficit = insurance draw + residual loss, exactly.
 *
 * Each step also reports the dYdX bankruptcy price of its close: the price at which closing r leaves the account
 * exactly its remaining share of equity, TNC·(1 − ΔMM/MM) (dYdX v4 `GetBankruptcyPriceInQuoteQuantums`):
 *   LINEAR   P_bk = mark − side·T·(ΔMM/MM)/(r·c)
 *   INVERSE  1/P_bk = 1/mark + side·T·(ΔMM/MM)/(r·c)
 * with T the equity in settlement units (crossEquity/X, or isolatedEquity), ΔMM the MM released by closing r at the
 * mark, side = +1 long / −1 short. For a full close of a single position it is the price at which equity reaches 0.
 *
 * Collateral itself is not sold: an account that still has initialMarginEquity < IM with every cross position closed
 * (borrowed balances weighted above 1) is reported with `restoredToInitialMargin: false`.
 */
import Decimal from 'decimal.js';
import type { AccountSnapshot, MarginType, PositionSnapshot } from './types';
import type { AccountRisk } from './result';
import { D, ONE, ZERO, maxD, minD, roundToTick, toD } from './decimal';
import { evaluateAccount } from './engine';
import { applyFill, marketOf, withBalanceChange, withPosition } from './fills';
import { bisectFirstTrue } from './search';
import { liquidationExecution, notionalOf } from './slippage';
import { own } from './lookup';

/** Size granularity of liquidation closes and size solvers: 10⁻⁸ contracts. */
export const DEFAULT_SIZE_STEP: Decimal = new D('1e-8');

export interface LiquidationOptions {
  /** Insurance fund balance per settlement asset (absent = 0). */
  readonly insuranceFunds?: Readonly<Record<string, Decimal>>;
  /** Closing size granularity in contracts (default 1e-8). */
  readonly sizeStep?: Decimal;
}

export interface LiquidationStep {
  readonly index: number;
  readonly positionId: string;
  readonly market: string;
  readonly marginType: MarginType;
  readonly settlementAsset: string;
  /** Side of the position before the close. */
  readonly side: 'LONG' | 'SHORT';
  /** Contracts closed (positive). */
  readonly closedSize: Decimal;
  /** Signed size left. */
  readonly remainingSize: Decimal;
  readonly markPrice: Decimal;
  readonly executionPrice: Decimal;
  /** baseRate + impactFactor·closedNotional/bookDepth. */
  readonly slippageRate: Decimal;
  /** Value lost to slippage versus closing at the mark, settlement units (≥ 0). */
  readonly slippageCost: Decimal;
  /** Closed notional at the execution price, settlement units. */
  readonly closedNotional: Decimal;
  readonly closedNotionalUsd: Decimal;
  /** dYdX bankruptcy price of this close (see module comment); null when undefined (no MM, or not positive). */
  readonly bankruptcyPrice: Decimal | null;
  /** PnL realized at the execution price, settlement units. */
  readonly realizedPnl: Decimal;
  /** Liquidation fee charged, settlement units. */
  readonly fee: Decimal;
  /** liquidationFeeRate × closed notional before the cap. */
  readonly feeUncapped: Decimal;
  readonly feeCapped: boolean;
  /** After the step (valuation asset): the account's figures. */
  readonly equity: Decimal;
  readonly crossEquity: Decimal;
  readonly marginEquity: Decimal;
  readonly maintenanceMargin: Decimal;
  readonly initialMarginEquity: Decimal;
  readonly initialMargin: Decimal;
  /** ISOLATED steps: the position's isolated equity after the step (settlement units). */
  readonly isolatedEquity: Decimal | null;
}

export interface InsuranceFundDraw {
  readonly asset: string;
  /** Drawn, in the asset. */
  readonly amount: Decimal;
  readonly amountUsd: Decimal;
  readonly balanceBefore: Decimal;
  readonly balanceAfter: Decimal;
}

export interface LiquidationOutcome {
  readonly accountId: string;
  readonly before: AccountRisk;
  /** Risk after every step, before the insurance fund and ADL settle the deficit. */
  readonly after: AccountRisk;
  readonly snapshotAfter: AccountSnapshot;
  readonly crossLiquidated: boolean;
  readonly isolatedLiquidated: readonly string[];
  readonly steps: readonly LiquidationStep[];
  readonly sizeStep: Decimal;
  /** Whether every liquidated part ends at or above its IM (cross: freeCollateral ≥ 0). */
  readonly restoredToInitialMargin: boolean;
  readonly totalClosedNotionalUsd: Decimal;
  readonly totalFeesUsd: Decimal;
  readonly totalSlippageCostUsd: Decimal;
  readonly totalRealizedPnlUsd: Decimal;
  /** Loss beyond the account's equity, valuation asset (≥ 0). */
  readonly deficitUsd: Decimal;
  readonly insuranceFundDrawUsd: Decimal;
  readonly insuranceFundDraws: readonly InsuranceFundDraw[];
  /** deficit − insurance draw: socialized by auto-deleveraging. */
  readonly residualLossUsd: Decimal;
}

const SKIP = { liquidationPrices: 'SKIP' } as const;

function evaluate(snapshot: AccountSnapshot): AccountRisk {
  return evaluateAccount(snapshot, SKIP);
}

interface CloseResult {
  readonly snapshot: AccountSnapshot;
  readonly risk: AccountRisk;
  readonly executionPrice: Decimal;
  readonly slippageRate: Decimal;
  readonly closedNotional: Decimal;
  readonly realizedPnl: Decimal;
  readonly fee: Decimal;
  readonly feeUncapped: Decimal;
}

/**
 * Closes |r| contracts of a position at the slippage-adjusted price and charges the capped liquidation fee. `mark` is
 * the position's mark as the engine valued it (PositionRisk.markPrice).
 */
function closeAt(snapshot: AccountSnapshot, pos: PositionSnapshot, r: Decimal, mark: Decimal): CloseResult {
  const m = marketOf(snapshot, pos.market);
  const side: 1 | -1 = toD(pos.size).isPos() ? 1 : -1;
  const ex = liquidationExecution(m, side, r, mark);
  const isolated = pos.marginType === 'ISOLATED';
  const fill = applyFill(snapshot, {
    market: pos.market,
    size: side === 1 ? r.neg() : r,
    price: ex.executionPrice,
    fee: ZERO,
    isolatedCash: isolated ? 'KEEP_IN_POSITION' : 'RELEASE_TO_BALANCE',
  });
  const pre = evaluate(fill.snapshot);
  const pr = pre.positionsById[pos.id]!;
  // Equity above bankruptcy, settlement units: the cap of the fee.
  const above = isolated ? pr.isolatedEquity! : pre.crossEquity.div(pr.settlementPrice);
  const closedNotional = notionalOf(m, r, ex.executionPrice);
  const feeUncapped = toD(m.liquidationFeeRate).mul(closedNotional);
  const fee = minD(feeUncapped, maxD(ZERO, above));
  let out = fill.snapshot;
  if (fee.gt(0)) {
    if (isolated) {
      const p = out.positions.find((x) => x.id === pos.id)!;
      out = withPosition(out, Object.freeze({ ...p, isolatedMargin: toD(p.isolatedMargin).sub(fee) }));
    } else out = withBalanceChange(out, m.settlementAsset, fee.neg());
  }
  const risk = fee.gt(0) ? evaluate(out) : pre;
  return {
    snapshot: out,
    risk,
    executionPrice: ex.executionPrice,
    slippageRate: ex.impact,
    closedNotional,
    realizedPnl: fill.realizedPnl,
    fee,
    feeUncapped,
  };
}

/**
 * A step's bankruptcy price as reported: on the market's tick, rounded toward the mark (quote per unit of base), so the
 * reported price is never beyond the exact one (a close at the reported price leaves the account no worse off).
 */
function onTickTowardMark(price: Decimal, tick: Decimal, mark: Decimal): Decimal {
  return roundToTick(price, tick, price.lt(mark) ? 'UP' : 'DOWN');
}

/**
 * dYdX bankruptcy price of closing |r| contracts of position `positionId` (see the module comment). Null when the
 * position is flat, MM is zero or the price is not positive.
 */
export function closeBankruptcyPrice(snapshot: AccountSnapshot, positionId: string, rRaw: Decimal): Decimal | null {
  const r = toD(rRaw).abs();
  const pos = snapshot.positions.find((p) => p.id === positionId);
  if (pos === undefined || toD(pos.size).isZero() || r.isZero()) return null;
  const m = marketOf(snapshot, pos.market);
  const before = evaluate(snapshot);
  const pr = before.positionsById[positionId]!;
  const side = toD(pos.size).isPos() ? ONE : ONE.neg();
  const atMark = applyFill(snapshot, { market: pos.market, size: r.mul(side).neg(), price: pr.markPrice, fee: ZERO, isolatedCash: 'KEEP_IN_POSITION' });
  const after = evaluate(atMark.snapshot);
  let total: Decimal;
  let released: Decimal;
  let equity: Decimal;
  if (pos.marginType === 'ISOLATED') {
    total = pr.maintenanceMargin;
    released = total.sub(after.positionsById[positionId]!.maintenanceMargin);
    equity = pr.isolatedEquity!;
  } else {
    total = before.maintenanceMargin;
    released = total.sub(after.maintenanceMargin);
    equity = before.crossEquity.div(pr.settlementPrice);
    // MM in USD; the share is a ratio, units cancel.
  }
  if (total.isZero()) return null;
  const rc = r.mul(toD(m.contractSize));
  const term = side.mul(equity).mul(released.div(total)).div(rc);
  if (m.contractType === 'LINEAR') {
    const p = pr.markPrice.sub(term);
    return p.gt(0) ? p : null;
  }
  const inv = ONE.div(pr.markPrice).add(term);
  return inv.gt(0) ? ONE.div(inv) : null;
}

function isolatedLiquidatable(r: AccountRisk, id: string): boolean {
  const p = r.positionsById[id];
  return p !== undefined && p.marginType === 'ISOLATED' && !p.size.isZero() && p.isolatedEquity!.lt(p.maintenanceMargin);
}

/**
 * The liquidation outcome of an account, or null when nothing in it is liquidatable (cross marginEquity ≥ MM and
 * every isolated position at or above its MM). See the module comment for the rules.
 */
export function liquidationOutcome(snapshot: AccountSnapshot, options: LiquidationOptions = {}): LiquidationOutcome | null {
  const step = toD(options.sizeStep ?? DEFAULT_SIZE_STEP);
  const before = evaluate(snapshot);
  const crossLiquidated = before.marginEquity.lt(before.maintenanceMargin);
  const isolatedIds = before.positions.filter((p) => isolatedLiquidatable(before, p.positionId)).map((p) => p.positionId);
  if (!crossLiquidated && isolatedIds.length === 0) return null;

  const funds = new Map<string, Decimal>();
  for (const [k, v] of Object.entries(options.insuranceFunds ?? {})) funds.set(k, toD(v));
  const draws = new Map<string, { amount: Decimal; amountUsd: Decimal; balanceBefore: Decimal }>();
  /** Draws up to `usd` from the fund of `asset` at index price x; returns the USD drawn. */
  const drawFrom = (asset: string, usd: Decimal, x: Decimal): Decimal => {
    const balance = funds.get(asset) ?? ZERO;
    if (usd.lte(0) || balance.lte(0)) return ZERO;
    const availableUsd = balance.mul(x);
    const drawUsd = minD(usd, availableUsd);
    const amount = drawUsd.eq(availableUsd) ? balance : drawUsd.div(x);
    const prev = draws.get(asset);
    draws.set(asset, {
      amount: (prev?.amount ?? ZERO).add(amount),
      amountUsd: (prev?.amountUsd ?? ZERO).add(drawUsd),
      balanceBefore: prev?.balanceBefore ?? balance,
    });
    funds.set(asset, balance.sub(amount));
    return drawUsd;
  };

  let snap = snapshot;
  let risk = before;
  const steps: LiquidationStep[] = [];
  let restored = true;
  let deficitUsd = ZERO;
  let drawnUsd = ZERO;

  const record = (pos: PositionSnapshot, r: Decimal, res: CloseResult, bankruptcyPrice: Decimal | null, mark: Decimal): void => {
    const m = marketOf(snap, pos.market);
    const side = toD(pos.size).isPos() ? 'LONG' : 'SHORT';
    const c = toD(m.contractSize);
    const slippageCost =
      m.contractType === 'LINEAR'
        ? r.mul(c).mul(mark.sub(res.executionPrice).abs())
        : r.mul(c).mul(ONE.div(res.executionPrice).sub(ONE.div(mark)).abs());
    const after = res.risk;
    const pr = after.positionsById[pos.id]!;
    steps.push(
      Object.freeze({
        index: steps.length,
        positionId: pos.id,
        market: pos.market,
        marginType: pos.marginType,
        settlementAsset: m.settlementAsset,
        side,
        closedSize: r,
        remainingSize: pr.size,
        markPrice: mark,
        executionPrice: res.executionPrice,
        slippageRate: res.slippageRate,
        slippageCost,
        closedNotional: res.closedNotional,
        closedNotionalUsd: res.closedNotional.mul(pr.settlementPrice),
        bankruptcyPrice: bankruptcyPrice === null ? null : onTickTowardMark(bankruptcyPrice, toD(m.tickSize), mark),
        realizedPnl: res.realizedPnl,
        fee: res.fee,
        feeUncapped: res.feeUncapped,
        feeCapped: res.fee.lt(res.feeUncapped),
        equity: after.equity,
        crossEquity: after.crossEquity,
        marginEquity: after.marginEquity,
        maintenanceMargin: after.maintenanceMargin,
        initialMarginEquity: after.initialMarginEquity,
        initialMargin: after.initialMargin,
        isolatedEquity: pr.isolatedEquity,
      } satisfies LiquidationStep),
    );
  };

  /** Closes one position as far as `ok` needs; returns whether `ok` holds at the end. */
  const liquidatePosition = (id: string, ok: (r: AccountRisk) => boolean): boolean => {
    const pos = snap.positions.find((p) => p.id === id)!;
    const absQ = toD(pos.size).abs();
    const kMax = absQ.div(step).toDecimalPlaces(0, Decimal.ROUND_CEIL);
    const sizeOf = (k: Decimal): Decimal => minD(k.mul(step), absQ);
    const mark = risk.positionsById[id]!.markPrice;
    const full = closeAt(snap, pos, absQ, mark);
    let r = absQ;
    let res = full;
    if (ok(full.risk)) {
      const { hi } = bisectFirstTrue(ZERO, kMax, (k) => ok(closeAt(snap, pos, sizeOf(k), mark).risk));
      r = sizeOf(hi);
      res = r.eq(absQ) ? full : closeAt(snap, pos, r, mark);
    }
    record(pos, r, res, closeBankruptcyPrice(snap, id, r), mark);
    snap = res.snapshot;
    risk = res.risk;
    return ok(risk);
  };

  // Isolated positions, each on its own margin.
  for (const id of isolatedIds) {
    const okIso = (r: AccountRisk): boolean => {
      const p = r.positionsById[id]!;
      return p.isolatedEquity!.gte(p.initialMargin);
    };
    const done = liquidatePosition(id, okIso);
    const p = risk.positionsById[id]!;
    if (p.size.isZero()) {
      const pos = snap.positions.find((x) => x.id === id)!;
      const left = toD(pos.isolatedMargin);
      if (left.isNeg()) {
        const deficit = left.neg().mul(p.settlementPrice);
        deficitUsd = deficitUsd.add(deficit);
        drawnUsd = drawnUsd.add(drawFrom(p.settlementAsset, deficit, p.settlementPrice));
      } else if (left.gt(0)) {
        // A closed isolated position returns what is left of its margin to the cross balance.
        snap = withPosition(snap, Object.freeze({ ...pos, isolatedMargin: ZERO }));
        snap = withBalanceChange(snap, p.settlementAsset, left);
        risk = evaluate(snap);
      }
    }
    if (!done) restored = false;
  }

  // Cross account: largest MM first, until freeCollateral ≥ 0.
  if (crossLiquidated) {
    const okCross = (r: AccountRisk): boolean => r.freeCollateral.gte(0);
    const order = before.positions
      .filter((p) => p.marginType === 'CROSS' && !p.size.isZero())
      .sort((a, b) => b.maintenanceMarginUsd.cmp(a.maintenanceMarginUsd) || (a.positionId < b.positionId ? -1 : a.positionId > b.positionId ? 1 : 0));
    const settleOrder: string[] = [];
    let crossRestored = okCross(risk);
    for (const p of order) {
      if (crossRestored) break;
      if (!settleOrder.includes(p.settlementAsset)) settleOrder.push(p.settlementAsset);
      crossRestored = liquidatePosition(p.positionId, okCross);
    }
    if (!crossRestored) restored = false;
    if (risk.crossEquity.isNeg()) {
      const deficit = risk.crossEquity.neg();
      deficitUsd = deficitUsd.add(deficit);
      let left = deficit;
      for (const asset of settleOrder) {
        const x = asset === snap.valuationAsset ? ONE : toD(own(snap.indexPrices, asset)?.price ?? ZERO);
        if (x.lte(0)) continue;
        const got = drawFrom(asset, left, x);
        drawnUsd = drawnUsd.add(got);
        left = left.sub(got);
      }
    }
  }

  let totalClosedNotionalUsd = ZERO;
  let totalFeesUsd = ZERO;
  let totalSlippageCostUsd = ZERO;
  let totalRealizedPnlUsd = ZERO;
  for (const s of steps) {
    const x = s.closedNotional.isZero() ? ZERO : s.closedNotionalUsd.div(s.closedNotional);
    totalClosedNotionalUsd = totalClosedNotionalUsd.add(s.closedNotionalUsd);
    totalFeesUsd = totalFeesUsd.add(s.fee.mul(x));
    totalSlippageCostUsd = totalSlippageCostUsd.add(s.slippageCost.mul(x));
    totalRealizedPnlUsd = totalRealizedPnlUsd.add(s.realizedPnl.mul(x));
  }
  const insuranceFundDraws: InsuranceFundDraw[] = [...draws.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([asset, d]) =>
      Object.freeze({ asset, amount: d.amount, amountUsd: d.amountUsd, balanceBefore: d.balanceBefore, balanceAfter: d.balanceBefore.sub(d.amount) }),
    );
  return Object.freeze({
    accountId: snapshot.accountId,
    before,
    after: evaluateAccount(snap),
    snapshotAfter: snap,
    crossLiquidated,
    isolatedLiquidated: Object.freeze(isolatedIds),
    steps: Object.freeze(steps),
    sizeStep: step,
    restoredToInitialMargin: restored,
    totalClosedNotionalUsd,
    totalFeesUsd,
    totalSlippageCostUsd,
    totalRealizedPnlUsd,
    deficitUsd,
    insuranceFundDrawUsd: drawnUsd,
    insuranceFundDraws: Object.freeze(insuranceFundDraws),
    residualLossUsd: deficitUsd.sub(drawnUsd),
  });
}
