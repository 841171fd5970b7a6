/**
 * What-if scenarios (DESIGN.md section 4, "What-if"): a scenario is applied to a COPY of an `AccountSnapshot`, never
 * to the store. Steps, in this fixed order (each list in its own order):
 *
 *   1. timeAdvanceSeconds  asOfMs += 1000·s; every price observation moves forward by the same amount (the scenario's
 *                          prices are current at the new time: an advance never makes a price stale by itself).
 *   2. priceMoves          one target and one value each:
 *                            asset A       index price of A                     (price P, or × (1 + relative))
 *                            underlying U  index of U and the mark of every market on U, all × s, with
 *                                          s = 1 + relative, or s = P / index(U) for an absolute price P
 *                            market M      mark price of M
 *   3. volatilityShifts    impliedVolatility += shift (annualized, absolute) for a market, or every market on an
 *                          underlying that has an implied volatility; the result must stay positive.
 *   4. trades              Δ signed contracts at price P (default: the mark after step 2) with a fee (absolute,
 *                          or feeRate · notional(Δ, P) rounded up to the settlement asset's decimals; LINEAR
 *                          |Δ|·c·P, INVERSE |Δ|·c/P), applied as the applyFill mutation applies it.
 *   5. leverageChanges     the position's user leverage L (IM rate ≥ 1/L); null = back to the market maximum.
 *   6. isolatedMarginTransfers  amount > 0 moves settlement asset from the cross balance into the isolated margin of
 *                          the position, amount < 0 back.
 *   7. deposits, then withdrawals   the balance of the asset ± amount.
 *   8. marginModeChange    the account's margin mode (CROSS or PORTFOLIO).
 * Steps 4–8 are the account-transition model's functions (transition.ts), exactly what the mutations persist: each
 * operation also yields the refusal its write would answer (`applyScenarioWithVerdict`).
 *
 * Invalid input raises `ScenarioInputError` whose `field` is the path inside the scenario (`trades[1].size`).
 */
import type Decimal from 'decimal.js';
import type { AccountSnapshot, MarginMode, MarginType, MarketParams, PriceQuote } from './types';
import { ONE, ZERO, toD } from './decimal';
import { notionalOf } from './slippage';
import { own } from './lookup';
import { ScenarioInputError } from './input-error';
import {
  depositTransition,
  fillTransition,
  isolatedTransferTransition,
  leverageTransition,
  marginModeTransition,
  roundDebit,
  withdrawalTransition,
  type FillInput,
  type Transition,
  type TransitionOptions,
  type TransitionRefusal,
} from './transition';

export { ScenarioInputError };

export interface PriceMove {
  readonly asset?: string | null;
  readonly underlying?: string | null;
  readonly market?: string | null;
  /** Absolute price (index for an asset / underlying, mark for a market), > 0. */
  readonly price?: Decimal | null;
  /** Relative move, > −1 (for example −0.2 = down 20%). */
  readonly relative?: Decimal | null;
}

export interface VolatilityShift {
  readonly market?: string | null;
  readonly underlying?: string | null;
  /** Added to the annualized implied volatility (for example 0.05 = +5 vol points). */
  readonly shift: Decimal;
}

export interface ScenarioTrade {
  readonly market: string;
  /** Signed contracts (≠ 0): positive buys, negative sells. */
  readonly size: Decimal;
  /** Fill price; default the (moved) mark. */
  readonly price?: Decimal | null;
  /** Fee rate on the fill's notional (≥ 0); default 0. Exclusive with `fee`. */
  readonly feeRate?: Decimal | null;
  /** Fee in the settlement asset (≥ 0, at most its decimals), as applyFill takes it. Exclusive with `feeRate`. */
  readonly fee?: Decimal | null;
  /** Margin type of a position the trade opens (default CROSS); an open position keeps its own. */
  readonly marginType?: MarginType | null;
}

export interface AssetAmount {
  readonly asset: string;
  /** > 0. */
  readonly amount: Decimal;
}

export interface LeverageChange {
  readonly market: string;
  /** > 0; null = the market maximum. */
  readonly leverage: Decimal | null;
}

export interface IsolatedMarginTransfer {
  readonly market: string;
  /** ≠ 0: positive into the isolated position, negative back to the cross balance. */
  readonly amount: Decimal;
}

export interface Scenario {
  readonly label?: string | null;
  readonly priceMoves?: readonly PriceMove[] | null;
  readonly volatilityShifts?: readonly VolatilityShift[] | null;
  readonly timeAdvanceSeconds?: number | null;
  readonly trades?: readonly ScenarioTrade[] | null;
  readonly deposits?: readonly AssetAmount[] | null;
  readonly withdrawals?: readonly AssetAmount[] | null;
  readonly leverageChanges?: readonly LeverageChange[] | null;
  readonly isolatedMarginTransfers?: readonly IsolatedMarginTransfer[] | null;
  /** The account's margin mode after the scenario (CROSS or PORTFOLIO); null = unchanged. */
  readonly marginModeChange?: MarginMode | null;
}

function fail(message: string, field: string): never {
  throw new ScenarioInputError(message, field);
}

function given<T>(x: T | null | undefined): x is T {
  return x !== null && x !== undefined;
}

function requireFinite(x: Decimal, field: string): Decimal {
  const v = toD(x);
  if (!v.isFinite()) fail(`${field} must be a finite number`, field);
  return v;
}

function requireMarket(snapshot: AccountSnapshot, symbol: string, field: string): MarketParams {
  const m = own(snapshot.markets, symbol);
  if (m === undefined) fail(`unknown market ${symbol}`, field);
  return m;
}

function requireAsset(snapshot: AccountSnapshot, symbol: string, field: string): void {
  if (own(snapshot.assets, symbol) === undefined) fail(`unknown asset ${symbol}`, field);
}

function shiftQuotes(quotes: Readonly<Record<string, PriceQuote>>, ms: number): Record<string, PriceQuote> {
  const out: Record<string, PriceQuote> = {};
  for (const [k, v] of Object.entries(quotes)) out[k] = Object.freeze({ price: v.price, observedAtMs: v.observedAtMs + ms });
  return out;
}

/** Step 2: the new marks / indexes of one price move (mutates the working maps). */
function applyPriceMove(
  snapshot: AccountSnapshot,
  move: PriceMove,
  marks: Record<string, PriceQuote>,
  indexes: Record<string, PriceQuote>,
  field: string,
): void {
  const targets = [move.asset, move.underlying, move.market].filter(given);
  if (targets.length !== 1) fail('a price move needs exactly one of asset, underlying or market', field);
  const hasPrice = given(move.price);
  const hasRelative = given(move.relative);
  if (hasPrice === hasRelative) fail('a price move needs exactly one of price or relative', field);
  let price: Decimal | null = null;
  let ratio: Decimal | null = null;
  if (hasPrice) {
    price = requireFinite(move.price!, `${field}.price`);
    if (price.lte(0)) fail('price must be positive', `${field}.price`);
  } else {
    const rel = requireFinite(move.relative!, `${field}.relative`);
    if (rel.lte(-1)) fail('a relative move must be greater than -1 (-100%)', `${field}.relative`);
    ratio = ONE.add(rel);
  }
  const at = snapshot.asOfMs;
  const set = (book: Record<string, PriceQuote>, key: string, p: Decimal): void => {
    book[key] = Object.freeze({ price: p, observedAtMs: at });
  };
  if (given(move.market)) {
    requireMarket(snapshot, move.market, `${field}.market`);
    if (price !== null) set(marks, move.market, price);
    else {
      const old = marks[move.market];
      if (old === undefined) fail(`no mark price for ${move.market} to move`, `${field}.market`);
      set(marks, move.market, toD(old.price).mul(ratio!));
    }
    return;
  }
  const asset = (move.asset ?? move.underlying)!;
  const assetField = given(move.asset) ? `${field}.asset` : `${field}.underlying`;
  requireAsset(snapshot, asset, assetField);
  if (asset === snapshot.valuationAsset) fail(`${asset} is the valuation asset: its price is 1`, assetField);
  const oldIndex = indexes[asset];
  if (given(move.asset)) {
    if (price !== null) set(indexes, asset, price);
    else {
      if (oldIndex === undefined) fail(`no index price for ${asset} to move`, assetField);
      set(indexes, asset, toD(oldIndex.price).mul(ratio!));
    }
    return;
  }
  // Underlying: every market on it and its index move by one ratio s.
  let s: Decimal;
  if (ratio !== null) s = ratio;
  else {
    if (oldIndex === undefined) fail(`no index price for ${asset}: move it with a relative value`, assetField);
    s = price!.div(toD(oldIndex.price));
  }
  if (oldIndex !== undefined) set(indexes, asset, toD(oldIndex.price).mul(s));
  for (const m of Object.values(snapshot.markets)) {
    if (m.baseAsset !== asset) continue;
    const old = marks[m.symbol];
    if (old !== undefined) set(marks, m.symbol, toD(old.price).mul(s));
  }
}

/** Applies a scenario to a copy of the snapshot (see the module comment for the order and the formulas). */
export function applyScenario(input: AccountSnapshot, scenario: Scenario): AccountSnapshot {
  return applyScenarioWithVerdict(input, scenario).snapshot;
}

/** Steps 1–3: time, prices and volatility (the market context; nothing the account writes). */
function applyMarketSteps(input: AccountSnapshot, scenario: Scenario): AccountSnapshot {
  let snap = input;

  // 1. Time.
  const advance = scenario.timeAdvanceSeconds;
  if (given(advance)) {
    if (!Number.isInteger(advance) || advance < 0) fail('timeAdvanceSeconds must be a non-negative integer', 'timeAdvanceSeconds');
    const ms = advance * 1000;
    snap = Object.freeze({
      ...snap,
      asOfMs: snap.asOfMs + ms,
      markPrices: Object.freeze(shiftQuotes(snap.markPrices, ms)),
      indexPrices: Object.freeze(shiftQuotes(snap.indexPrices, ms)),
    });
  }

  // 2. Prices.
  const moves = scenario.priceMoves ?? [];
  if (moves.length > 0) {
    const marks: Record<string, PriceQuote> = { ...snap.markPrices };
    const indexes: Record<string, PriceQuote> = { ...snap.indexPrices };
    moves.forEach((m, i) => applyPriceMove(snap, m, marks, indexes, `priceMoves[${i}]`));
    snap = Object.freeze({ ...snap, markPrices: Object.freeze(marks), indexPrices: Object.freeze(indexes) });
  }

  // 3. Volatility.
  const shifts = scenario.volatilityShifts ?? [];
  if (shifts.length > 0) {
    const markets: Record<string, MarketParams> = { ...snap.markets };
    shifts.forEach((v, i) => {
      const field = `volatilityShifts[${i}]`;
      const shift = requireFinite(v.shift, `${field}.shift`);
      if (given(v.market) === given(v.underlying)) fail('a volatility shift needs exactly one of market or underlying', field);
      let targets: MarketParams[];
      if (given(v.market)) {
        const m = requireMarket(snap, v.market, `${field}.market`);
        if (m.impliedVolatility === null) fail(`market ${v.market} has no implied volatility`, `${field}.market`);
        targets = [own(markets, v.market)!];
      } else {
        requireAsset(snap, v.underlying!, `${field}.underlying`);
        targets = Object.values(markets).filter((m) => m.baseAsset === v.underlying && m.impliedVolatility !== null);
      }
      for (const m of targets) {
        const vol = toD(m.impliedVolatility!).add(shift);
        if (vol.lte(0)) fail(`implied volatility of ${m.symbol} would be ${vol.toFixed()}, not positive`, `${field}.shift`);
        markets[m.symbol] = Object.freeze({ ...m, impliedVolatility: vol });
      }
    });
    snap = Object.freeze({ ...snap, markets: Object.freeze(markets) });
  }

  return snap;
}

/** A refusal of one scenario operation, with the path of the operation (`trades[0]`, `withdrawals[1]`, …). */
export interface StepRefusal extends TransitionRefusal {
  readonly step: string;
}

export interface ScenarioOutcome {
  readonly snapshot: AccountSnapshot;
  /** The refusals the real writes would answer, operation by operation (empty = every write accepted). */
  readonly refusals: readonly StepRefusal[];
}

/** Runs a transition, prefixing its input errors with the operation's path. */
function step<T extends Transition>(field: string, run: () => T, refusals: StepRefusal[]): T {
  let out: T;
  try {
    out = run();
  } catch (error) {
    if (error instanceof ScenarioInputError) throw new ScenarioInputError(error.message, `${field}.${error.field}`);
    throw error;
  }
  for (const r of out.refusals) refusals.push(Object.freeze({ ...r, step: field }));
  return out;
}

/**
 * Steps 4–8 of a scenario, each operation through the account-transition model (transition.ts): the after-state
 * of the writes and the refusals they would answer.
 */
function applyOperations(input: AccountSnapshot, scenario: Scenario, options: TransitionOptions): ScenarioOutcome {
  let snap = input;
  const refusals: StepRefusal[] = [];

  // 4. Trades.
  (scenario.trades ?? []).forEach((t, i) => {
    const field = `trades[${i}]`;
    const m = requireMarket(snap, t.market, `${field}.market`);
    const size = requireFinite(t.size, `${field}.size`);
    if (size.isZero()) fail('trade size must not be zero', `${field}.size`);
    let price: Decimal;
    if (given(t.price)) {
      price = requireFinite(t.price, `${field}.price`);
      if (price.lte(0)) fail('trade price must be positive', `${field}.price`);
    } else {
      const mark = own(snap.markPrices, t.market);
      if (mark === undefined) fail(`no mark price for ${t.market}: give the trade a price`, `${field}.price`);
      price = toD(mark.price);
    }
    if (given(t.feeRate) && given(t.fee)) fail('a trade takes a fee or a feeRate, not both', `${field}.fee`);
    let fee = ZERO;
    if (given(t.fee)) fee = requireFinite(t.fee, `${field}.fee`);
    else if (given(t.feeRate)) {
      const feeRate = requireFinite(t.feeRate, `${field}.feeRate`);
      if (feeRate.isNeg()) fail('fee rate must not be negative', `${field}.feeRate`);
      // fee = feeRate · notional(|Δ|, P), settlement units, rounded up to the asset's decimals (a debit).
      const decimals = snap.assets[m.settlementAsset]?.decimals;
      if (decimals === undefined) fail(`unknown asset ${m.settlementAsset}`, `${field}.market`);
      fee = roundDebit(feeRate.mul(notionalOf(m, size, price)), decimals);
    }
    const spec: FillInput = { market: t.market, size, price, fee, marginType: t.marginType ?? null };
    snap = step(field, () => fillTransition(snap, spec, options), refusals).snapshot;
  });

  // 5. Leverage.
  (scenario.leverageChanges ?? []).forEach((l, i) => {
    const field = `leverageChanges[${i}]`;
    requireMarket(snap, l.market, `${field}.market`);
    snap = step(field, () => leverageTransition(snap, { market: l.market, leverage: l.leverage ?? null }, options), refusals).snapshot;
  });

  // 6. Isolated margin transfers.
  (scenario.isolatedMarginTransfers ?? []).forEach((x, i) => {
    const field = `isolatedMarginTransfers[${i}]`;
    requireMarket(snap, x.market, `${field}.market`);
    const amount = requireFinite(x.amount, `${field}.amount`);
    snap = step(field, () => isolatedTransferTransition(snap, { market: x.market, amount }, options), refusals).snapshot;
  });

  // 7. Deposits and withdrawals.
  (scenario.deposits ?? []).forEach((x, i) => {
    const field = `deposits[${i}]`;
    requireAsset(snap, x.asset, `${field}.asset`);
    const amount = requireFinite(x.amount, `${field}.amount`);
    snap = step(field, () => depositTransition(snap, { asset: x.asset, amount }), refusals).snapshot;
  });
  (scenario.withdrawals ?? []).forEach((x, i) => {
    const field = `withdrawals[${i}]`;
    requireAsset(snap, x.asset, `${field}.asset`);
    const amount = requireFinite(x.amount, `${field}.amount`);
    snap = step(field, () => withdrawalTransition(snap, { asset: x.asset, amount }, options), refusals).snapshot;
  });

  // 8. Margin mode.
  if (given(scenario.marginModeChange)) {
    const mode = scenario.marginModeChange;
    snap = step('marginModeChange', () => marginModeTransition(snap, mode, options), refusals).snapshot;
  }
  return { snapshot: snap, refusals: Object.freeze(refusals) };
}

/**
 * A scenario applied to a copy of the snapshot, with the refusals its operations would meet as real writes
 * (see the module comment for the order and the formulas).
 */
export function applyScenarioWithVerdict(input: AccountSnapshot, scenario: Scenario, options: TransitionOptions = {}): ScenarioOutcome {
  const moved = applyMarketSteps(input, scenario);
  return applyOperations(moved, scenario, options);
}

/** Markets a scenario refers to (the API loads their parameters even when the account holds no position there). */
export function scenarioMarkets(scenario: Scenario): string[] {
  const out = new Set<string>();
  for (const m of scenario.priceMoves ?? []) if (given(m.market)) out.add(m.market);
  for (const v of scenario.volatilityShifts ?? []) if (given(v.market)) out.add(v.market);
  for (const t of scenario.trades ?? []) out.add(t.market);
  for (const l of scenario.leverageChanges ?? []) out.add(l.market);
  for (const x of scenario.isolatedMarginTransfers ?? []) out.add(x.market);
  return [...out];
}
