/**
 * Pure snapshot edits shared by the account-transition model (transition.ts), the liquidation schedule and the
 * solvers: every function returns a new (frozen) `AccountSnapshot` and leaves its input untouched.
 *
 * Broker fills and what-if trades go through transition.ts (`fillTransition`: its isolated-margin, option-premium and
 * rounding rules); `fillArithmetic` below is the size / entry / realized-PnL core they share. `applyFill` here is the
 * liquidation schedule's exact (unrounded) fill:
 *   1. Funding is settled first: fundingPnL = q·c·(F_position − F_now) (settlement units) is credited where the
 *      position's equity lives (the cross balance of the settlement asset, or the isolated margin) and the position's
 *      funding index is set to F_now, so equity is unchanged by the settlement itself.
 *   2. Realized PnL on the reduced part r = min(|Δ|, |q|) (when Δ and q have opposite signs), settlement units:
 *        LINEAR  sign(q)·r·c·(P − E)          INVERSE  sign(q)·r·c·(1/E − 1/P)
 *   3. New size q' = q + Δ. Entry price: the fill price when opening (q = 0) or flipping (|Δ| > |q|, opposite sign);
 *      unchanged when reducing; the weighted average when increasing — LINEAR (|q|·E + |Δ|·P)/(|q| + |Δ|), INVERSE the
 *      harmonic average (|q| + |Δ|)/(|q|/E + |Δ|/P), which keeps PnL additive in 1/P.
 *   4. Cash: realized PnL − fee goes to the cross balance of the settlement asset. An ISOLATED position either releases
 *      its margin pro rata to the cross balance (isolatedMargin·r/|q|; all of it when closed: a broker fill), or keeps
 *      the realized PnL and the fee inside its isolated margin (a liquidation on the position's own margin).
 * Amounts are kept exact (the engine's 50 digits); the store rounds when it writes.
 */
import type Decimal from 'decimal.js';
import type { AccountSnapshot, BalanceSnapshot, MarketParams, PositionSnapshot } from './types';
import { ONE, ZERO, normZero, toD } from './decimal';
import { invalidSnapshot } from './errors';

export type IsolatedCash = 'RELEASE_TO_BALANCE' | 'KEEP_IN_POSITION';

export interface FillSpec {
  readonly market: string;
  /** Signed contracts: positive buys, negative sells. */
  readonly size: Decimal;
  /** Fill price (quote per base), positive. */
  readonly price: Decimal;
  /** Fee in the settlement asset (≥ 0), debited. */
  readonly fee: Decimal;
  readonly isolatedCash?: IsolatedCash;
  /** Id of a position opened by this fill (default `what-if:<market>`). */
  readonly newPositionId?: string;
}

export interface FillOutcome {
  readonly snapshot: AccountSnapshot;
  readonly positionId: string;
  /** Realized PnL of the reduced part, settlement units. */
  readonly realizedPnl: Decimal;
  /** Funding settled into equity before the fill, settlement units. */
  readonly fundingSettled: Decimal;
  /** Isolated margin moved to the cross balance, settlement units. */
  readonly releasedMargin: Decimal;
}

export function marketOf(snapshot: AccountSnapshot, symbol: string): MarketParams {
  const m = snapshot.markets[symbol];
  if (m === undefined) throw invalidSnapshot(`unknown market ${symbol}`, { market: symbol });
  return m;
}

/** The balance of an asset (0 when absent). */
export function balanceOf(snapshot: AccountSnapshot, asset: string): Decimal {
  const b = snapshot.balances.find((x) => x.asset === asset);
  return b === undefined ? ZERO : toD(b.amount);
}

/** Balances with `delta` added to `asset` (a new balance line when absent). */
export function addToBalance(balances: readonly BalanceSnapshot[], asset: string, delta: Decimal): BalanceSnapshot[] {
  let found = false;
  const out = balances.map((b) => {
    if (b.asset !== asset) return b;
    found = true;
    return Object.freeze({ asset, amount: normZero(toD(b.amount).add(delta)) });
  });
  if (!found) out.push(Object.freeze({ asset, amount: normZero(toD(delta)) }));
  return out;
}

/** Copy of the snapshot with balances replaced by `delta` additions. */
export function withBalanceChange(snapshot: AccountSnapshot, asset: string, delta: Decimal): AccountSnapshot {
  return Object.freeze({ ...snapshot, balances: Object.freeze(addToBalance(snapshot.balances, asset, delta)) });
}

/** Copy of the snapshot with one position replaced (by id). */
export function withPosition(snapshot: AccountSnapshot, position: PositionSnapshot): AccountSnapshot {
  const exists = snapshot.positions.some((p) => p.id === position.id);
  const positions = exists
    ? snapshot.positions.map((p) => (p.id === position.id ? position : p))
    : [...snapshot.positions, position];
  return Object.freeze({ ...snapshot, positions: Object.freeze(positions) });
}

export function positionInMarket(snapshot: AccountSnapshot, market: string): PositionSnapshot | undefined {
  return snapshot.positions.find((p) => p.market === market);
}

/** What a fill does to a position's size, entry and realized PnL (rules 2–3 of the module comment). */
export interface FillArithmetic {
  /** q' = q + Δ. */
  readonly size: Decimal;
  readonly entryPrice: Decimal;
  /** Realized PnL of the reduced part, settlement units, exact. */
  readonly realizedPnl: Decimal;
  /** Contracts closed by the fill, r = min(|Δ|, |q|) when reducing, else 0. */
  readonly closed: Decimal;
  /** The fill only reduces |q| on the same side (never opens, increases or flips). */
  readonly reducesOnly: boolean;
}

/**
 * Rules 2–3: realized PnL on r = min(|Δ|, |q|) (LINEAR sign(q)·r·c·(P − E), INVERSE sign(q)·r·c·(1/E − 1/P)), new
 * size q + Δ, entry = fill price when opening or flipping, unchanged when reducing, the weighted average when increasing
 * (LINEAR arithmetic, INVERSE harmonic). The one implementation used by what-if trades, liquidations and broker fills.
 */
export function fillArithmetic(args: {
  readonly size: Decimal;
  readonly entryPrice: Decimal;
  readonly fillSize: Decimal;
  readonly fillPrice: Decimal;
  readonly contractSize: Decimal;
  readonly contractType: MarketParams['contractType'];
}): FillArithmetic {
  const q = toD(args.size);
  const delta = toD(args.fillSize);
  const price = toD(args.fillPrice);
  const entry = toD(args.entryPrice);
  const c = toD(args.contractSize);
  const reducing = !q.isZero() && !delta.isZero() && q.isPos() !== delta.isPos();
  const reduced = reducing ? (delta.abs().lt(q.abs()) ? delta.abs() : q.abs()) : ZERO;
  const sign = q.isNeg() ? ONE.neg() : ONE;
  let realizedPnl = ZERO;
  if (!reduced.isZero()) {
    realizedPnl =
      args.contractType === 'LINEAR'
        ? sign.mul(reduced).mul(c).mul(price.sub(entry))
        : sign.mul(reduced).mul(c).mul(ONE.div(entry).sub(ONE.div(price)));
    realizedPnl = normZero(realizedPnl);
  }
  const flips = reducing && delta.abs().gt(q.abs());
  let entryPrice: Decimal;
  if (q.isZero() || flips) entryPrice = price;
  else if (!reducing) {
    const a = q.abs();
    const b = delta.abs();
    entryPrice =
      args.contractType === 'LINEAR' ? a.mul(entry).add(b.mul(price)).div(a.add(b)) : a.add(b).div(a.div(entry).add(b.div(price)));
  } else entryPrice = entry;
  return { size: normZero(q.add(delta)), entryPrice, realizedPnl, closed: reduced, reducesOnly: reducing && !flips };
}

/** Applies a fill (see the module comment). Throws INVALID_SNAPSHOT for an unknown market. */
export function applyFill(snapshot: AccountSnapshot, spec: FillSpec): FillOutcome {
  const m = marketOf(snapshot, spec.market);
  const c = toD(m.contractSize);
  const fNow = toD(m.fundingIndex);
  const delta = toD(spec.size);
  const price = toD(spec.price);
  const fee = toD(spec.fee);
  const existing = positionInMarket(snapshot, spec.market);
  const q = existing === undefined ? ZERO : toD(existing.size);
  const entry = existing === undefined ? price : toD(existing.entryPrice);
  const isolated = existing !== undefined && existing.marginType === 'ISOLATED';
  const cashMode: IsolatedCash = spec.isolatedCash ?? 'RELEASE_TO_BALANCE';

  // 1. Funding settlement: q·c·(F_position − F_now).
  const fundingSettled = existing === undefined ? ZERO : normZero(q.mul(c).mul(toD(existing.fundingIndex).sub(fNow)));

  // 2–3. Realized PnL on the reduced part, new size and entry.
  const arithmetic = fillArithmetic({ size: q, entryPrice: entry, fillSize: delta, fillPrice: price, contractSize: c, contractType: m.contractType });
  const reduced = arithmetic.closed;
  const realizedPnl = arithmetic.realizedPnl;
  const q2 = arithmetic.size;
  const entry2 = arithmetic.entryPrice;

  // 4. Cash.
  let isolatedMargin = existing === undefined ? ZERO : toD(existing.isolatedMargin);
  let balanceDelta = ZERO;
  let releasedMargin = ZERO;
  if (isolated) {
    isolatedMargin = isolatedMargin.add(fundingSettled);
    if (cashMode === 'KEEP_IN_POSITION') {
      isolatedMargin = isolatedMargin.add(realizedPnl).sub(fee);
    } else {
      balanceDelta = balanceDelta.add(realizedPnl).sub(fee);
      if (!reduced.isZero()) {
        releasedMargin = q2.isZero() || reduced.eq(q.abs()) ? isolatedMargin : isolatedMargin.mul(reduced).div(q.abs());
        isolatedMargin = isolatedMargin.sub(releasedMargin);
        balanceDelta = balanceDelta.add(releasedMargin);
      }
    }
  } else {
    balanceDelta = balanceDelta.add(fundingSettled).add(realizedPnl).sub(fee);
  }

  const positionId = existing?.id ?? spec.newPositionId ?? `what-if:${spec.market}`;
  const next: PositionSnapshot = Object.freeze({
    id: positionId,
    market: spec.market,
    size: q2,
    entryPrice: entry2,
    realizedPnl: toD(existing?.realizedPnl ?? ZERO).add(realizedPnl),
    fundingIndex: fNow,
    marginType: existing?.marginType ?? 'CROSS',
    isolatedMargin: normZero(isolatedMargin),
    leverage: existing?.leverage ?? null,
  });
  let out = withPosition(snapshot, next);
  if (!balanceDelta.isZero()) out = withBalanceChange(out, m.settlementAsset, balanceDelta);
  return { snapshot: out, positionId, realizedPnl, fundingSettled, releasedMargin };
}
