/**
 * The one account-transition model. Every change an account can undergo — a fill, an isolated margin transfer, a
 * deposit, a withdrawal, a leverage change, a margin-mode change — is a pure function here: it takes an
 * `AccountSnapshot` (with the market context it names) and returns
 *   - the new snapshot (flat positions dropped, as the store's snapshot drops them),
 *   - the ledger lines the change writes (one per balance movement, signed: positive credits the account),
 *   - the positions it changed (flat ones included, for the store to keep their row),
 *   - the verdict: the limits that refuse the change, with the codes `whatIf` reports (empty = accepted).
 * `whatIf` applies these functions to a copy (scenario.ts); every mutation persists exactly what they return and
 * decides nothing itself.
 *
 * Isolated margin (one model for what-if and writes):
 *   - Funding of an isolated position is settled into its isolated margin (the equity it belongs to), never the cross
 *     balance; a cross position's funding goes to the cross balance of the settlement asset (ledger FUNDING).
 *   - Realized PnL and fees always go to the cross balance of the settlement asset (ledger REALIZED_PNL, TRADE_FEE).
 *   - A reduction of r of |q| contracts releases the isolated margin pro rata, floor(M·r/|q|), to the cross balance
 *     (ledger ISOLATED_TRANSFER); closing (or flipping) releases all of it.
 *   - After a change that adds risk (a fill that is not reduce-only, a lower leverage) an isolated position holds at
 *     least its initial margin: the shortfall ceil(IM − isolatedEquity) moves from the cross balance (ISOLATED_TRANSFER).
 *
 * Options (cross, LINEAR only): the premium moves cash. A fill of Δ contracts at P credits −Δ·c·P (ledger
 * OPTION_PREMIUM) instead of realizing PnL; the position is valued at q·c·V by the engine. A short option is margin
 * checked like any fill that adds risk.
 *
 * Refusal rules (the verdict):
 *   fill               not reduce-only, adds risk (account IM up, |q| up, or the position's IM up) and leaves
 *                      freeCollateral < 0 → FREE_COLLATERAL_NEGATIVE. A reduce-only fill is always accepted and needs
 *                      no evaluation (it passes on stale prices).
 *   isolated transfer  in: freeCollateral < 0 → FREE_COLLATERAL_NEGATIVE; out: margin < 0 → ISOLATED_MARGIN_NEGATIVE,
 *                      isolatedEquity < IM → ISOLATED_BELOW_INITIAL_MARGIN.
 *   withdrawal         freeCollateral < 0 → FREE_COLLATERAL_NEGATIVE (borrowing allowed as far as margin allows).
 *   deposit            never refused.
 *   leverage change    IM up (account or position) and freeCollateral < 0 → FREE_COLLATERAL_NEGATIVE.
 *   margin-mode change freeCollateral < 0 under the new mode → FREE_COLLATERAL_NEGATIVE.
 *
 * Rounding (the one rule for what the store cannot hold exactly; balances and isolated margins are held in the
 * settlement asset's decimals, prices and PnL at NUMERIC(65,30)):
 *   - every cash amount credited to the account (funding, realized PnL, option premium) is rounded toward −∞ at the
 *     asset's decimals: the venue never pays a fraction it does not hold, and a debit is never rounded down;
 *   - a fee computed from a rate is rounded up (it is a debit);
 *   - margin released from an isolated position to the cross balance is rounded down, a shortfall moved into it up;
 *   - an averaged entry price is rounded half-even to STORE_SCALE (30) places.
 * Deposits, withdrawals, transfers and fees given as amounts must already fit the asset's decimals (input error).
 */
import type Decimal from 'decimal.js';
import type { AccountRisk } from './result';
import type { AccountSnapshot, MarginMode, MarginType, MarketParams, PositionSnapshot } from './types';
import { D, ZERO, normZero, toD } from './decimal';
import { evaluateAccount, type EvaluateOptions } from './engine';
import { addToBalance, fillArithmetic, positionInMarket } from './fills';
import { ScenarioInputError } from './input-error';
import { own } from './lookup';

/** Decimal places the store keeps of a price or a PnL (NUMERIC(65,30)). */
export const STORE_SCALE = 30;

export type BrokenLimitCode =
  | 'FREE_COLLATERAL_NEGATIVE'
  | 'BELOW_MAINTENANCE'
  | 'BANKRUPT'
  | 'ISOLATED_POSITION_LIQUIDATABLE'
  | 'ISOLATED_MARGIN_NEGATIVE'
  | 'ISOLATED_BELOW_INITIAL_MARGIN'
  | 'BALANCE_NEGATIVE_WITHOUT_BORROWING';

export type TransitionLedgerKind =
  | 'DEPOSIT'
  | 'WITHDRAWAL'
  | 'TRADE_FEE'
  | 'REALIZED_PNL'
  | 'FUNDING'
  | 'ISOLATED_TRANSFER'
  | 'OPTION_PREMIUM';

/** One balance movement: `amount` (signed, positive credits) of `asset`, already rounded to its decimals. */
export interface LedgerLine {
  readonly asset: string;
  readonly kind: TransitionLedgerKind;
  readonly amount: Decimal;
}

/** Why the change is refused. */
export interface TransitionRefusal {
  readonly code: BrokenLimitCode;
  /** The figure that breaks the limit (`freeCollateral`, `positions.<id>.isolatedEquity`, …). */
  readonly field: string;
  /** The input field the refusal names (`size`, `amount`, `leverage`, `marginMode`). */
  readonly input: string;
  readonly message: string;
}

export interface Transition {
  readonly snapshot: AccountSnapshot;
  readonly ledger: readonly LedgerLine[];
  /** Positions changed (flat ones included), in the order they changed. */
  readonly positions: readonly PositionSnapshot[];
  /** Empty when the change is accepted. */
  readonly refusals: readonly TransitionRefusal[];
  /** The after-state's risk when the verdict needed it (null otherwise). */
  readonly risk: AccountRisk | null;
}

export interface FillTransition extends Transition {
  /** The position after the fill (size 0 when closed). */
  readonly position: PositionSnapshot;
  /** Realized PnL credited (settlement units, rounded as above; 0 for option fills, whose premium moves cash). */
  readonly realizedPnl: Decimal;
  /** The fill only reduces |q| on the same side (never opens, increases or flips). */
  readonly reducesOnly: boolean;
}

export interface TransitionOptions {
  /** Evaluation options of the verdict (default: no liquidation prices, no greeks). */
  readonly evaluate?: EvaluateOptions;
  /** The input snapshot's risk under the same options, when the caller has it (a solver's many trials). */
  readonly before?: AccountRisk;
}

const VERDICT_EVALUATION: EvaluateOptions = { liquidationPrices: 'SKIP', greeks: 'SKIP' };

function fail(message: string, field: string): never {
  throw new ScenarioInputError(message, field);
}

function evaluate(snapshot: AccountSnapshot, options: TransitionOptions): AccountRisk {
  return evaluateAccount(snapshot, options.evaluate ?? VERDICT_EVALUATION);
}

function marketIn(snapshot: AccountSnapshot, symbol: string, field = 'market'): MarketParams {
  const m = own(snapshot.markets, symbol);
  if (m === undefined) fail(`unknown market ${symbol}`, field);
  return m;
}

function decimalsOf(snapshot: AccountSnapshot, asset: string, field: string): number {
  const a = own(snapshot.assets, asset);
  if (a === undefined) fail(`unknown asset ${asset}`, field);
  return a.decimals;
}

/** Credit rounding: toward −∞ at `decimals`. */
export function roundCredit(x: Decimal, decimals: number): Decimal {
  return normZero(toD(x).toDecimalPlaces(decimals, D.ROUND_FLOOR));
}

/** Debit rounding (an amount the account pays, given positive): up at `decimals`. */
export function roundDebit(x: Decimal, decimals: number): Decimal {
  return normZero(toD(x).toDecimalPlaces(decimals, D.ROUND_CEIL));
}

/** An entry price as the store keeps it: half-even at STORE_SCALE places. */
export function roundEntryPrice(x: Decimal): Decimal {
  return toD(x).toDecimalPlaces(STORE_SCALE, D.ROUND_HALF_EVEN);
}

function requireWithinDecimals(value: Decimal, decimals: number, asset: string, field: string): void {
  if (toD(value).decimalPlaces() > decimals) fail(`${field} has more decimal places than ${asset} allows (${decimals})`, field);
}

/** The snapshot without flat positions (the store's snapshot never holds one). */
function dropFlat(snapshot: AccountSnapshot): AccountSnapshot {
  if (!snapshot.positions.some((p) => toD(p.size).isZero())) return snapshot;
  return Object.freeze({ ...snapshot, positions: Object.freeze(snapshot.positions.filter((p) => !toD(p.size).isZero())) });
}

/** Working state of one transition: the snapshot with its ledger, built up step by step. */
class Draft {
  snapshot: AccountSnapshot;
  readonly ledger: LedgerLine[] = [];
  readonly changed = new Map<string, PositionSnapshot>();

  constructor(snapshot: AccountSnapshot) {
    this.snapshot = snapshot;
  }

  credit(asset: string, kind: TransitionLedgerKind, amount: Decimal): void {
    const a = normZero(toD(amount));
    if (a.isZero()) return;
    this.ledger.push(Object.freeze({ asset, kind, amount: a }));
    this.snapshot = Object.freeze({ ...this.snapshot, balances: Object.freeze(addToBalance(this.snapshot.balances, asset, a)) });
  }

  put(position: PositionSnapshot): void {
    const exists = this.snapshot.positions.some((p) => p.id === position.id);
    const positions = exists
      ? this.snapshot.positions.map((p) => (p.id === position.id ? position : p))
      : [...this.snapshot.positions, position];
    this.snapshot = Object.freeze({ ...this.snapshot, positions: Object.freeze(positions) });
    this.changed.set(position.id, position);
  }

  position(id: string): PositionSnapshot {
    return this.snapshot.positions.find((p) => p.id === id)!;
  }

  /**
   * An isolated position short of its initial margin receives ceil(IM − isolatedEquity) from the cross balance of
   * its settlement asset; returns the risk after (re-evaluated when margin moved).
   */
  topUpIsolated(positionId: string, risk: AccountRisk, decimals: number, options: TransitionOptions): AccountRisk {
    const pos = this.position(positionId);
    if (pos.marginType !== 'ISOLATED' || toD(pos.size).isZero()) return risk;
    const pr = risk.positionsById[positionId];
    if (pr === undefined) return risk;
    const shortfall = roundDebit(pr.initialMargin.sub(pr.isolatedEquity ?? ZERO), decimals);
    if (!shortfall.gt(0)) return risk;
    const m = this.snapshot.markets[pos.market]!;
    this.credit(m.settlementAsset, 'ISOLATED_TRANSFER', shortfall.neg());
    this.put(Object.freeze({ ...pos, isolatedMargin: toD(pos.isolatedMargin).add(shortfall) }));
    return evaluate(this.snapshot, options);
  }

  finish(refusals: TransitionRefusal[], risk: AccountRisk | null): Transition {
    return Object.freeze({
      snapshot: dropFlat(this.snapshot),
      ledger: Object.freeze([...this.ledger]),
      positions: Object.freeze([...this.changed.values()]),
      refusals: Object.freeze(refusals),
      risk,
    });
  }
}

function freeCollateralRefusal(risk: AccountRisk, input: string, what: string): TransitionRefusal {
  return Object.freeze({
    code: 'FREE_COLLATERAL_NEGATIVE' as const,
    field: 'freeCollateral',
    input,
    message: `${what} would leave free collateral at ${risk.freeCollateral.toFixed()} ${risk.valuationAsset} (below zero)`,
  });
}

export interface FillInput {
  readonly market: string;
  /** Signed contracts, not zero: positive buys, negative sells. */
  readonly size: Decimal;
  /** Fill price, > 0. */
  readonly price: Decimal;
  /** Fee charged in the settlement asset, ≥ 0, at most the asset's decimals. */
  readonly fee: Decimal;
  /** Margin type of a newly opened position (default CROSS); an open position keeps its own. */
  readonly marginType?: MarginType | null;
  /** Id of a position this fill opens (default `what-if:<market>`). */
  readonly newPositionId?: string;
}

/**
 * A fill (see the module comment for cash, isolated margin, rounding and the verdict). Size, entry and realized PnL
 * follow fills.ts `fillArithmetic`; funding accrued on the old size, q·c·(F_position − F_now), is settled first.
 * The input snapshot may hold the market's position flat (a closed position's row): it is reopened in place.
 */
export function fillTransition(input: AccountSnapshot, spec: FillInput, options: TransitionOptions = {}): FillTransition {
  const m = marketIn(input, spec.market);
  const delta = toD(spec.size);
  const price = toD(spec.price);
  const fee = toD(spec.fee);
  if (!delta.isFinite() || delta.isZero()) fail('size must not be zero', 'size');
  if (!price.isFinite() || !price.gt(0)) fail('price must be positive', 'price');
  if (!fee.isFinite() || fee.isNeg()) fail('fee must not be negative', 'fee');
  const decimals = decimalsOf(input, m.settlementAsset, 'market');
  requireWithinDecimals(fee, decimals, m.settlementAsset, 'fee');
  const option = m.kind === 'OPTION';
  if (option && m.contractType !== 'LINEAR') fail(`option fills are supported on LINEAR markets only (${m.symbol} is INVERSE)`, 'market');

  const existing = positionInMarket(input, spec.market);
  const open = existing !== undefined && !toD(existing.size).isZero();
  if (open && spec.marginType && spec.marginType !== existing.marginType) {
    fail(`the open position is ${existing.marginType}; close it to change its margin type`, 'marginType');
  }
  const marginType: MarginType = open ? existing.marginType : (spec.marginType ?? 'CROSS');
  if (option && marginType === 'ISOLATED') fail('option positions are CROSS only', 'marginType');

  const q = open ? toD(existing.size) : ZERO;
  const c = toD(m.contractSize);
  const fNow = toD(m.fundingIndex);
  const arithmetic = fillArithmetic({
    size: q,
    entryPrice: open ? toD(existing.entryPrice) : price,
    fillSize: delta,
    fillPrice: price,
    contractSize: c,
    contractType: m.contractType,
  });
  const beforeSnapshot = dropFlat(input);
  const draft = new Draft(input);
  const settlement = m.settlementAsset;

  // Funding accrued on the old size: q·c·(F_position − F_now), credit-rounded.
  const funding = open ? roundCredit(q.mul(c).mul(toD(existing.fundingIndex).sub(fNow)), decimals) : ZERO;
  // Delta-one: realized PnL of the reduced part; options: the premium −Δ·c·P moves cash instead.
  const realizedPnl = option ? ZERO : roundCredit(arithmetic.realizedPnl, decimals);
  let isolatedMargin = open ? toD(existing.isolatedMargin) : ZERO;
  if (marginType === 'ISOLATED') isolatedMargin = isolatedMargin.add(funding);
  else draft.credit(settlement, 'FUNDING', funding);
  if (option) draft.credit(settlement, 'OPTION_PREMIUM', roundCredit(delta.mul(c).mul(price).neg(), decimals));
  draft.credit(settlement, 'REALIZED_PNL', realizedPnl);
  draft.credit(settlement, 'TRADE_FEE', fee.neg());
  if (marginType === 'ISOLATED' && !arithmetic.closed.isZero()) {
    // Pro rata release floor(M·r/|q|); all of it when the fill closes or flips the position.
    const all = arithmetic.closed.eq(q.abs());
    let released = all ? isolatedMargin : roundCredit(isolatedMargin.mul(arithmetic.closed).div(q.abs()), decimals);
    if (!all && released.isNeg()) released = ZERO;
    isolatedMargin = isolatedMargin.sub(released);
    draft.credit(settlement, 'ISOLATED_TRANSFER', released);
  }
  const positionId = existing?.id ?? spec.newPositionId ?? `what-if:${spec.market}`;
  const entryPrice = arithmetic.size.isZero() ? (open ? toD(existing.entryPrice) : price) : roundEntryPrice(arithmetic.entryPrice);
  draft.put(
    Object.freeze({
      id: positionId,
      market: spec.market,
      size: arithmetic.size,
      entryPrice,
      realizedPnl: toD(existing?.realizedPnl ?? ZERO).add(realizedPnl),
      fundingIndex: fNow,
      marginType,
      isolatedMargin: normZero(isolatedMargin),
      leverage: open ? existing.leverage : null,
    }),
  );

  const done = (refusals: TransitionRefusal[], risk: AccountRisk | null): FillTransition =>
    Object.freeze({ ...draft.finish(refusals, risk), position: draft.position(positionId), realizedPnl, reducesOnly: arithmetic.reducesOnly });
  // A fill that only reduces risk is always accepted and needs no evaluation (it passes even on stale prices).
  if (arithmetic.reducesOnly) return done([], null);

  const before = options.before ?? evaluate(beforeSnapshot, options);
  let after = evaluate(dropFlat(draft.snapshot), options);
  after = draft.topUpIsolated(positionId, after, decimals, options);
  const imBefore = before.positionsById[existing?.id ?? '']?.initialMargin ?? ZERO;
  const imAfter = after.positionsById[positionId]?.initialMargin ?? ZERO;
  const increasesRisk = after.initialMargin.gt(before.initialMargin) || arithmetic.size.abs().gt(q.abs()) || imAfter.gt(imBefore);
  const refusals =
    increasesRisk && after.freeCollateral.isNeg() ? [freeCollateralRefusal(after, 'size', 'the fill increases risk and')] : [];
  return done(refusals, after);
}

/**
 * An isolated margin transfer: `amount` > 0 moves settlement asset from the cross balance into the isolated margin
 * of the market's open ISOLATED position, < 0 back (ledger ISOLATED_TRANSFER of −amount on the cross balance).
 */
export function isolatedTransferTransition(
  input: AccountSnapshot,
  spec: { readonly market: string; readonly amount: Decimal },
  options: TransitionOptions = {},
): Transition {
  const m = marketIn(input, spec.market);
  const pos = positionInMarket(input, spec.market);
  if (pos === undefined || toD(pos.size).isZero() || pos.marginType !== 'ISOLATED') {
    fail(`the account has no open ISOLATED position in ${spec.market}`, 'market');
  }
  const amount = toD(spec.amount);
  if (!amount.isFinite() || amount.isZero()) fail('amount must not be zero', 'amount');
  const decimals = decimalsOf(input, m.settlementAsset, 'market');
  requireWithinDecimals(amount.abs(), decimals, m.settlementAsset, 'amount');
  const draft = new Draft(input);
  const margin = toD(pos.isolatedMargin).add(amount);
  draft.credit(m.settlementAsset, 'ISOLATED_TRANSFER', amount.neg());
  draft.put(Object.freeze({ ...pos, isolatedMargin: normZero(margin) }));
  const after = evaluate(dropFlat(draft.snapshot), options);
  const refusals: TransitionRefusal[] = [];
  if (amount.isPos()) {
    if (after.freeCollateral.isNeg()) refusals.push(freeCollateralRefusal(after, 'amount', 'the transfer'));
  } else if (margin.isNeg()) {
    refusals.push({
      code: 'ISOLATED_MARGIN_NEGATIVE',
      field: `positions.${pos.id}.isolatedMargin`,
      input: 'amount',
      message: `the position holds only ${toD(pos.isolatedMargin).toFixed()} ${m.settlementAsset} of isolated margin`,
    });
  } else {
    const pr = after.positionsById[pos.id]!;
    const equity = toD(pr.isolatedEquity ?? ZERO);
    if (equity.lt(pr.initialMargin)) {
      refusals.push({
        code: 'ISOLATED_BELOW_INITIAL_MARGIN',
        field: `positions.${pos.id}.isolatedEquity`,
        input: 'amount',
        message: `the isolated position would keep ${equity.toFixed()} ${m.settlementAsset} of equity, below its initial margin ${pr.initialMargin.toFixed()}`,
      });
    }
  }
  return draft.finish(refusals, after);
}

function cashAmount(input: AccountSnapshot, spec: { readonly asset: string; readonly amount: Decimal }): Decimal {
  const decimals = decimalsOf(input, spec.asset, 'asset');
  const amount = toD(spec.amount);
  if (!amount.isFinite() || !amount.gt(0)) fail('amount must be positive', 'amount');
  requireWithinDecimals(amount, decimals, spec.asset, 'amount');
  return amount;
}

/** A deposit: balance += amount (ledger DEPOSIT). Never refused. */
export function depositTransition(input: AccountSnapshot, spec: { readonly asset: string; readonly amount: Decimal }): Transition {
  const amount = cashAmount(input, spec);
  const draft = new Draft(input);
  draft.credit(spec.asset, 'DEPOSIT', amount);
  return draft.finish([], null);
}

/**
 * A withdrawal: balance −= amount (ledger WITHDRAWAL). The engine values a negative balance at its liability weight,
 * so a withdrawal may borrow exactly as far as margin allows: refused when free collateral would be negative.
 */
export function withdrawalTransition(
  input: AccountSnapshot,
  spec: { readonly asset: string; readonly amount: Decimal },
  options: TransitionOptions = {},
): Transition {
  const amount = cashAmount(input, spec);
  const draft = new Draft(input);
  draft.credit(spec.asset, 'WITHDRAWAL', amount.neg());
  const after = evaluate(dropFlat(draft.snapshot), options);
  const refusals = after.freeCollateral.isNeg()
    ? [freeCollateralRefusal(after, 'amount', `withdrawing ${amount.toFixed()} ${spec.asset}`)]
    : [];
  return draft.finish(refusals, after);
}

/**
 * A leverage change of the market's open position: L > 0 raises its IM rate to max(imr, 1/L); null = back to the
 * market maximum. A lower leverage of an isolated position tops its margin up to IM from the cross balance.
 */
export function leverageTransition(
  input: AccountSnapshot,
  spec: { readonly market: string; readonly leverage: Decimal | null },
  options: TransitionOptions = {},
): Transition {
  const m = marketIn(input, spec.market);
  const pos = positionInMarket(input, spec.market);
  if (pos === undefined || toD(pos.size).isZero()) fail(`the account has no open position in ${spec.market}`, 'market');
  let leverage: Decimal | null = null;
  if (spec.leverage !== null && spec.leverage !== undefined) {
    leverage = toD(spec.leverage);
    if (!leverage.isFinite() || !leverage.gt(0)) fail('leverage must be positive', 'leverage');
  }
  const decimals = decimalsOf(input, m.settlementAsset, 'market');
  const before = evaluate(dropFlat(input), options);
  const draft = new Draft(input);
  draft.put(Object.freeze({ ...pos, leverage }));
  let after = evaluate(dropFlat(draft.snapshot), options);
  after = draft.topUpIsolated(pos.id, after, decimals, options);
  const imBefore = before.positionsById[pos.id]?.initialMargin ?? ZERO;
  const imAfter = after.positionsById[pos.id]?.initialMargin ?? ZERO;
  const increasesRisk = after.initialMargin.gt(before.initialMargin) || imAfter.gt(imBefore);
  const refusals = increasesRisk && after.freeCollateral.isNeg() ? [freeCollateralRefusal(after, 'leverage', 'the leverage change')] : [];
  return draft.finish(refusals, after);
}

/** A margin-mode change (CROSS ⇄ PORTFOLIO): refused when free collateral under the new mode would be negative. */
export function marginModeTransition(input: AccountSnapshot, mode: MarginMode, options: TransitionOptions = {}): Transition {
  if (mode !== 'CROSS' && mode !== 'PORTFOLIO') fail('marginMode must be CROSS or PORTFOLIO', 'marginMode');
  const draft = new Draft(input);
  if (input.marginMode === mode) return draft.finish([], null);
  draft.snapshot = Object.freeze({ ...draft.snapshot, marginMode: mode });
  const after = evaluate(dropFlat(draft.snapshot), options);
  const refusals = after.freeCollateral.isNeg() ? [freeCollateralRefusal(after, 'marginMode', `switching to ${mode} margin`)] : [];
  return draft.finish(refusals, after);
}
