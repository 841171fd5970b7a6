/**
 * System stress with a liquidation cascade (DESIGN.md section 4, "System stress"). Pure: snapshots and insurance
 * fund balances in, a report out; the caller streams the venue's accounts in batches (nothing here holds the venue
 * in memory except the accounts already liquidated).
 *
 * Round 1 applies the shock: relative moves of underlyings (index and every market on it, × (1 + relative)), of
 * assets (index only) or of single markets (mark only), with the what-if rules of scenario.ts. In every round r,
 * each account not yet closed out is evaluated at the round's prices P_r; every account with something liquidatable
 * (cross marginEquity < MM, or an isolated position below its MM: LIQUIDATABLE / BANKRUPT) is liquidated by
 * `liquidationOutcome` (largest MM first, partial, at the slippage model's execution price, capped liquidation fee;
 * a deficit is drawn from the insurance fund of the settlement asset, the rest is bad debt). Accounts are processed
 * in id order within a round and the insurance funds carry over from one account to the next; each liquidation fee
 * credits the settlement asset's fund with min(fee, insuranceFundFeeRate × closed notional).
 *
 * Price impact: per market, the round's liquidations sell (closing longs) and buy (closing shorts) contracts; the
 * net block moves the mark through the market's slippage model (slippage.ts, the one formula of the code base):
 *   P_{r+1} = P_r · (1 − side · (baseRate + impactFactor · |net notional at P_r| / bookDepth)), on the tick,
 * side = +1 for net selling (price down), −1 for net buying (up). Index prices stay at their shocked level (the
 * index is an external reference; the venue's own marks carry the cascade). Round r+1 re-evaluates the accounts
 * holding a position in a market whose mark moved (the others cannot have changed status). The cascade stops when a
 * round liquidates nobody (converged) or after maxRounds rounds.
 */
import type Decimal from 'decimal.js';
import type { AccountSnapshot, AssetParams, BalanceSnapshot, MarketParams, PortfolioParams, PositionSnapshot, PriceQuote } from './types';
import { RiskEngineError } from './errors';
import { ZERO, minD, toD } from './decimal';
import { evaluateAccount } from './engine';
import type { AccountRisk } from './result';
import { liquidationOutcome, type LiquidationOutcome } from './liquidation-outcome';
import { applyScenario, ScenarioInputError, type PriceMove } from './scenario';
import { liquidationExecution, notionalOf } from './slippage';
import { own } from './lookup';

export const DEFAULT_MAX_ROUNDS = 10;
export const MAX_ROUNDS_CAP = 50;
/** Liquidated account ids listed per round (the count is always exact). */
export const LISTED_ACCOUNTS_PER_ROUND = 100;

export interface StressShock {
  readonly underlying?: string | null;
  readonly asset?: string | null;
  readonly market?: string | null;
  /** Relative move, > −1 (−0.3 = down 30%). */
  readonly relative: Decimal;
}

export interface StressScenario {
  readonly shocks: readonly StressShock[];
  /** Default 10, at most 50. */
  readonly maxRounds?: number | null;
  /** Closing granularity of partial liquidations in contracts (default 1e-4: a venue-wide estimate, 13 fewer bisection steps per close than the what-if's 1e-8). */
  readonly sizeStep?: Decimal | null;
  /** Skip re-running accounts that provably cannot have changed status (default true; false re-runs every one). */
  readonly screening?: boolean;
}

export const DEFAULT_STRESS_SIZE_STEP = '0.0001';

/** The venue's market data (the same shared context every account snapshot refers to) and insurance funds. */
export interface StressVenue {
  readonly markets: Readonly<Record<string, MarketParams>>;
  readonly assets: Readonly<Record<string, AssetParams>>;
  readonly markPrices: Readonly<Record<string, PriceQuote>>;
  readonly indexPrices: Readonly<Record<string, PriceQuote>>;
  readonly portfolioParams: Readonly<Record<string, PortfolioParams>>;
  readonly valuationAsset: string;
  readonly maxIndexPriceAgeSeconds: number;
  readonly asOfMs: number;
  readonly insuranceFunds: Readonly<Record<string, Decimal>>;
}

export interface StressMarketRound {
  readonly market: string;
  /** Mark at which the round's liquidations were evaluated and executed. */
  readonly markPrice: Decimal;
  /** Mark after the round's net liquidation flow moved it. */
  readonly priceAfter: Decimal;
  /** Contracts sold (long positions closed) and bought (shorts closed). */
  readonly soldContracts: Decimal;
  readonly boughtContracts: Decimal;
  /** The same at the round's mark, in the market's notional units (LINEAR quote, INVERSE base). */
  readonly soldNotional: Decimal;
  readonly boughtNotional: Decimal;
  /** Closed notional (both sides) at execution prices, valuation asset. */
  readonly closedNotionalUsd: Decimal;
}

export interface StressRound {
  readonly round: number;
  readonly accountsEvaluated: number;
  /** Of those, accounts proven safe without re-running the engine (their marks moved too little since their last evaluation). */
  readonly accountsScreened: number;
  readonly accountsLiquidated: number;
  /** The first LISTED_ACCOUNTS_PER_ROUND liquidated accounts, in id order. */
  readonly liquidatedAccountIds: readonly string[];
  readonly positionsClosed: number;
  readonly markets: readonly StressMarketRound[];
  /** Every market's mark after the round (its liquidations' impact applied). */
  readonly pricesAfter: Readonly<Record<string, Decimal>>;
  readonly closedNotionalUsd: Decimal;
  readonly feesUsd: Decimal;
  readonly insuranceFundDrawUsd: Decimal;
  /** Insurance fund balances at the end of the round. */
  readonly insuranceFunds: Readonly<Record<string, Decimal>>;
  readonly badDebtUsd: Decimal;
  readonly cumulativeBadDebtUsd: Decimal;
}

export interface StressResult {
  readonly asOfMs: number;
  readonly maxRounds: number;
  readonly rounds: readonly StressRound[];
  /** True when the last round evaluated liquidated nobody (the cascade ended on its own). */
  readonly converged: boolean;
  /** Marks after the shock (round 1 prices), and at the end. */
  readonly shockedPrices: Readonly<Record<string, Decimal>>;
  readonly finalPrices: Readonly<Record<string, Decimal>>;
  readonly shockedIndexPrices: Readonly<Record<string, Decimal>>;
  readonly insuranceFundsBefore: Readonly<Record<string, Decimal>>;
  readonly insuranceFundsAfter: Readonly<Record<string, Decimal>>;
  /** Accounts evaluated in round 1 (every account of the venue that could be evaluated). */
  readonly accountsEvaluated: number;
  /** Accounts the engine could not evaluate (missing price, unsupported market), by error code; left out. */
  readonly accountsFailed: Readonly<Record<string, number>>;
  readonly accountsLiquidated: number;
  readonly totalBadDebtUsd: Decimal;
  readonly totalInsuranceFundDrawUsd: Decimal;
  readonly totalFeesUsd: Decimal;
}

/** Round prices and whether the shock is valid; throws ScenarioInputError for a bad shock. */
export function shockPrices(venue: StressVenue, shocks: readonly StressShock[]): { markPrices: Record<string, PriceQuote>; indexPrices: Record<string, PriceQuote> } {
  if (shocks.length === 0) throw new ScenarioInputError('a stress scenario needs at least one shock', 'shocks');
  const moves: PriceMove[] = shocks.map((s) => ({ underlying: s.underlying ?? null, asset: s.asset ?? null, market: s.market ?? null, relative: s.relative }));
  const venueSnapshot: AccountSnapshot = {
    accountId: 'venue',
    marginMode: 'CROSS',
    balances: [],
    positions: [],
    markets: venue.markets,
    assets: venue.assets,
    markPrices: venue.markPrices,
    indexPrices: venue.indexPrices,
    portfolioParams: venue.portfolioParams,
    asOfMs: venue.asOfMs,
    valuationAsset: venue.valuationAsset,
    maxIndexPriceAgeSeconds: venue.maxIndexPriceAgeSeconds,
  };
  let shocked: AccountSnapshot;
  try {
    shocked = applyScenario(venueSnapshot, { priceMoves: moves });
  } catch (error) {
    if (error instanceof ScenarioInputError) throw new ScenarioInputError(error.message, error.field.replace(/^priceMoves/, 'shocks'));
    throw error;
  }
  return { markPrices: { ...shocked.markPrices }, indexPrices: { ...shocked.indexPrices } };
}

interface AccountOverride {
  readonly balances: readonly BalanceSnapshot[];
  readonly positions: readonly PositionSnapshot[];
}

/**
 * What is needed to prove an account cannot have become liquidatable since its last evaluation: its headroom
 * (marginEquity − MM, USD) and its delta-one exposures (notional USD and the mark they were valued at). JS numbers:
 * this is a screening bound with a wide safety factor, never a figure that is reported.
 */
interface Screen {
  readonly headroom: number;
  readonly exposures: readonly { readonly market: string; readonly notionalUsd: number; readonly mark: number }[];
}

/**
 * Bound on |Δ(marginEquity − MM)| per unit of notional and of relative mark move, between two rounds (only marks of
 * delta-one markets move after round 1; index prices, hence option values and settlement conversion, are fixed):
 * uPnL moves by ≤ N·|δ|/(1 − |δ|) (LINEAR: N·|δ|; INVERSE: N·|δ|/(1 + δ)), MM (tiers, continuous, slope mmr ≤ 1) and a
 * portfolio scan's perpetual legs (linear in the mark, scan moves ≤ 100%) by at most 2·N·|δ|/(1 − |δ|) more.
 */
const SCREEN_FACTOR = 4;

interface MarketFlow {
  sold: Decimal;
  bought: Decimal;
  closedUsd: Decimal;
}

function sortedRecord<T>(m: Map<string, T> | Record<string, T>): Record<string, T> {
  const entries = m instanceof Map ? [...m.entries()] : Object.entries(m);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.freeze(Object.fromEntries(entries));
}

/** Something in the account is liquidatable: the cross account (LIQUIDATABLE, BANKRUPT) or an isolated position. */
function liquidatable(risk: AccountRisk): boolean {
  if (risk.marginEquity.lt(risk.maintenanceMargin) || risk.status === 'LIQUIDATABLE' || risk.status === 'BANKRUPT') return true;
  for (const p of risk.positions) {
    if (p.marginType === 'ISOLATED' && !p.size.isZero() && p.isolatedEquity !== null && p.isolatedEquity.lt(p.maintenanceMargin)) return true;
  }
  return false;
}

function errorCodeOf(error: unknown): string {
  if (error instanceof RiskEngineError) return error.code;
  return 'INTERNAL';
}

/**
 * The cascade as a state machine the caller feeds: `beginRound()`, then `visit(snapshot)` for every account (in id
 * order) the round asks for (`marketsToVisit()`: null = every account), then `endRound()` → whether to go on.
 */
export class StressCascade {
  readonly maxRounds: number;
  private readonly sizeStep: Decimal;
  private readonly screening: boolean;
  private readonly venue: StressVenue;
  private marks: Record<string, PriceQuote>;
  private readonly indexes: Record<string, PriceQuote>;
  private readonly shockedMarks: Record<string, Decimal>;
  private readonly shockedIndexes: Record<string, Decimal>;
  private readonly funds = new Map<string, Decimal>();
  private readonly fundsBefore: Record<string, Decimal>;
  private readonly overrides = new Map<string, AccountOverride>();
  private readonly failed = new Map<string, number>();
  private readonly failedIds = new Set<string>();
  private readonly screens = new Map<string, Screen>();
  private screened = 0;
  private readonly rounds: StressRound[] = [];
  private round = 0;
  private moved: string[] | null = null;
  private converged = false;
  private firstRoundEvaluated = 0;
  private liquidatedEver = new Set<string>();
  private cumulativeBadDebt = ZERO;
  private totalDraw = ZERO;
  private totalFees = ZERO;
  // Per-round accumulators.
  private evaluated = 0;
  private liquidated: string[] = [];
  private positionsClosed = 0;
  private flows = new Map<string, MarketFlow>();
  private roundFees = ZERO;
  private roundDraw = ZERO;
  private roundBadDebt = ZERO;

  constructor(venue: StressVenue, scenario: StressScenario) {
    const maxRounds = scenario.maxRounds ?? DEFAULT_MAX_ROUNDS;
    if (!Number.isInteger(maxRounds) || maxRounds < 1 || maxRounds > MAX_ROUNDS_CAP) {
      throw new ScenarioInputError(`maxRounds must be an integer from 1 to ${MAX_ROUNDS_CAP}`, 'maxRounds');
    }
    this.maxRounds = maxRounds;
    this.sizeStep = toD(scenario.sizeStep ?? DEFAULT_STRESS_SIZE_STEP);
    this.screening = scenario.screening ?? true;
    if (!this.sizeStep.isFinite() || this.sizeStep.lte(0)) throw new ScenarioInputError('sizeStep must be positive', 'sizeStep');
    this.venue = venue;
    const shocked = shockPrices(venue, scenario.shocks);
    this.marks = shocked.markPrices;
    this.indexes = shocked.indexPrices;
    this.shockedMarks = Object.fromEntries(Object.entries(this.marks).map(([k, v]) => [k, toD(v.price)]));
    this.shockedIndexes = Object.fromEntries(Object.entries(this.indexes).map(([k, v]) => [k, toD(v.price)]));
    for (const [asset, balance] of Object.entries(venue.insuranceFunds)) this.funds.set(asset, toD(balance));
    this.fundsBefore = sortedRecord(this.funds);
  }

  /** Markets whose accounts the current round must visit; null = every account. */
  marketsToVisit(): readonly string[] | null {
    return this.moved;
  }

  get currentRound(): number {
    return this.round;
  }

  beginRound(): void {
    this.round += 1;
    this.evaluated = 0;
    this.screened = 0;
    this.liquidated = [];
    this.positionsClosed = 0;
    this.flows = new Map();
    this.roundFees = ZERO;
    this.roundDraw = ZERO;
    this.roundBadDebt = ZERO;
  }

  /** One account at the round's prices: liquidated when something in it is liquidatable. */
  visit(snapshot: AccountSnapshot): void {
    const id = snapshot.accountId;
    if (this.failedIds.has(id)) return;
    const override = this.overrides.get(id);
    const snap: AccountSnapshot = {
      ...snapshot,
      balances: override ? override.balances : snapshot.balances,
      positions: override ? override.positions : snapshot.positions,
      markPrices: this.marks,
      indexPrices: this.indexes,
      asOfMs: this.venue.asOfMs,
    };
    if (this.round > 1 && this.screening && this.cannotHaveChanged(id)) {
      this.evaluated += 1;
      this.screened += 1;
      return;
    }
    let outcome: LiquidationOutcome | null = null;
    try {
      const risk = evaluateAccount(snap, { liquidationPrices: 'SKIP', greeks: 'SKIP' });
      if (liquidatable(risk)) outcome = liquidationOutcome(snap, { insuranceFunds: Object.fromEntries(this.funds), sizeStep: this.sizeStep });
      else this.remember(snap, risk);
    } catch (error) {
      if (this.round === 1) {
        const code = errorCodeOf(error);
        this.failed.set(code, (this.failed.get(code) ?? 0) + 1);
        this.failedIds.add(id);
      }
      return;
    }
    this.evaluated += 1;
    if (this.round === 1) this.firstRoundEvaluated += 1;
    // Nothing the liquidation engine can act on (no position left to close, no deficit: collateral is not sold).
    if (outcome === null || (outcome.steps.length === 0 && outcome.deficitUsd.isZero())) return;
    this.apply(snap, outcome);
  }

  /** True when the marks moved so little since the account's last evaluation that its status cannot have changed. */
  private cannotHaveChanged(id: string): boolean {
    const screen = this.screens.get(id);
    if (screen === undefined) return false;
    let bound = 0;
    for (const e of screen.exposures) {
      const now = Number(this.marks[e.market]?.price ?? NaN);
      const delta = Math.abs(now / e.mark - 1);
      if (!Number.isFinite(delta) || delta >= 0.5) return false;
      bound += (SCREEN_FACTOR * e.notionalUsd * delta) / (1 - delta);
    }
    return screen.headroom > bound * 1.000001 + 1e-9;
  }

  private remember(snap: AccountSnapshot, risk: AccountRisk): void {
    const id = snap.accountId;
    const headroom = Number(risk.marginEquity.sub(risk.maintenanceMargin));
    const exposures: { market: string; notionalUsd: number; mark: number }[] = [];
    for (const p of risk.positions) {
      const m = own(snap.markets, p.market)!;
      // Isolated positions, MM that is not continuous piecewise linear in the notional, and MM whose slope may exceed 1
      // (a size add-on or a closing fee on top of the tier rate): always re-evaluate.
      const steeper = (m.sizeAddon !== null && m.sizeAddon !== undefined) || (m.closingFeeRate !== undefined && !m.closingFeeRate.isZero());
      if (p.marginType === 'ISOLATED' || m.liquidityAddon !== null || m.volatilityAdjustment !== null || steeper) {
        this.screens.delete(id);
        return;
      }
      if (m.kind === 'OPTION') continue;
      exposures.push({ market: p.market, notionalUsd: Number(p.notionalUsd), mark: Number(p.markPrice) });
    }
    if (!Number.isFinite(headroom) || headroom <= 0) this.screens.delete(id);
    else this.screens.set(id, { headroom, exposures });
  }

  private apply(snap: AccountSnapshot, outcome: LiquidationOutcome): void {
    const id = snap.accountId;
    this.screens.delete(id);
    this.liquidated.push(id);
    this.liquidatedEver.add(id);
    for (const draw of outcome.insuranceFundDraws) this.funds.set(draw.asset, draw.balanceAfter);
    for (const step of outcome.steps) {
      this.positionsClosed += 1;
      const market = own(snap.markets, step.market)!;
      let flow = this.flows.get(step.market);
      if (!flow) {
        flow = { sold: ZERO, bought: ZERO, closedUsd: ZERO };
        this.flows.set(step.market, flow);
      }
      if (step.side === 'LONG') flow.sold = flow.sold.add(step.closedSize);
      else flow.bought = flow.bought.add(step.closedSize);
      flow.closedUsd = flow.closedUsd.add(step.closedNotionalUsd);
      const x = step.closedNotional.isZero() ? ZERO : step.closedNotionalUsd.div(step.closedNotional);
      this.roundFees = this.roundFees.add(step.fee.mul(x));
      // The insurance fund's share of the fee.
      const credit = minD(step.fee, toD(market.insuranceFundFeeRate).mul(step.closedNotional));
      if (credit.gt(0)) this.funds.set(step.settlementAsset, (this.funds.get(step.settlementAsset) ?? ZERO).add(credit));
    }
    this.roundDraw = this.roundDraw.add(outcome.insuranceFundDrawUsd);
    this.roundBadDebt = this.roundBadDebt.add(outcome.residualLossUsd);
    const after = outcome.snapshotAfter;
    // A cross deficit was settled (insurance fund, then bad debt): the account's borrowed balances are written off
    // up to it, leaving its cross equity at zero rather than liquidating the same loss again next round.
    let writeOff = outcome.after.crossEquity.isNeg() ? outcome.after.crossEquity.neg() : ZERO;
    const balances = after.balances.map((b) => {
      const amount = toD(b.amount);
      if (writeOff.lte(0) || !amount.isNeg()) return b;
      const x = b.asset === after.valuationAsset ? toD(1) : toD(own(after.indexPrices, b.asset)?.price ?? 0);
      if (x.lte(0)) return b;
      const creditUsd = minD(amount.neg().mul(x), writeOff);
      writeOff = writeOff.sub(creditUsd);
      return { asset: b.asset, amount: amount.add(creditUsd.div(x)) };
    });
    this.overrides.set(id, {
      balances,
      // Flat positions are gone (a deficit they left was settled above).
      positions: after.positions.filter((p) => !toD(p.size).isZero()),
    });
  }

  /** Closes the round: records it, moves the marks by the net flow; returns whether another round follows. */
  endRound(): boolean {
    if (this.liquidated.length === 0) {
      this.converged = true;
      return false;
    }
    const markets: StressMarketRound[] = [];
    const next: Record<string, PriceQuote> = { ...this.marks };
    const moved: string[] = [];
    let closedUsd = ZERO;
    for (const symbol of [...this.flows.keys()].sort()) {
      const flow = this.flows.get(symbol)!;
      const market = own(this.venue.markets, symbol)!;
      const mark = toD(this.marks[symbol]!.price);
      const net = flow.sold.sub(flow.bought);
      let after = mark;
      if (!net.isZero()) {
        after = liquidationExecution(market, net.isPos() ? 1 : -1, net.abs(), mark).executionPrice;
        next[symbol] = Object.freeze({ price: after, observedAtMs: this.venue.asOfMs });
      }
      if (!after.eq(mark)) moved.push(symbol);
      closedUsd = closedUsd.add(flow.closedUsd);
      markets.push(
        Object.freeze({
          market: symbol,
          markPrice: mark,
          priceAfter: after,
          soldContracts: flow.sold,
          boughtContracts: flow.bought,
          soldNotional: notionalOf(market, flow.sold, mark),
          boughtNotional: notionalOf(market, flow.bought, mark),
          closedNotionalUsd: flow.closedUsd,
        }),
      );
    }
    this.marks = next;
    this.cumulativeBadDebt = this.cumulativeBadDebt.add(this.roundBadDebt);
    this.totalDraw = this.totalDraw.add(this.roundDraw);
    this.totalFees = this.totalFees.add(this.roundFees);
    const ids = [...this.liquidated].sort();
    this.rounds.push(
      Object.freeze({
        round: this.round,
        accountsEvaluated: this.evaluated,
        accountsScreened: this.screened,
        accountsLiquidated: ids.length,
        liquidatedAccountIds: Object.freeze(ids.slice(0, LISTED_ACCOUNTS_PER_ROUND)),
        positionsClosed: this.positionsClosed,
        markets: Object.freeze(markets),
        pricesAfter: sortedRecord(Object.fromEntries(Object.entries(this.marks).map(([k, v]) => [k, toD(v.price)]))),
        closedNotionalUsd: closedUsd,
        feesUsd: this.roundFees,
        insuranceFundDrawUsd: this.roundDraw,
        insuranceFunds: sortedRecord(this.funds),
        badDebtUsd: this.roundBadDebt,
        cumulativeBadDebtUsd: this.cumulativeBadDebt,
      }),
    );
    this.moved = moved;
    return moved.length > 0 && this.round < this.maxRounds;
  }

  result(): StressResult {
    // No market moved after the last liquidating round: nothing else can change, the cascade is over.
    const converged = this.converged || (this.moved !== null && this.moved.length === 0);
    return Object.freeze({
      asOfMs: this.venue.asOfMs,
      maxRounds: this.maxRounds,
      rounds: Object.freeze([...this.rounds]),
      converged,
      shockedPrices: sortedRecord(this.shockedMarks),
      finalPrices: sortedRecord(Object.fromEntries(Object.entries(this.marks).map(([k, v]) => [k, toD(v.price)]))),
      shockedIndexPrices: sortedRecord(this.shockedIndexes),
      insuranceFundsBefore: this.fundsBefore,
      insuranceFundsAfter: sortedRecord(this.funds),
      accountsEvaluated: this.firstRoundEvaluated,
      accountsFailed: sortedRecord(this.failed),
      accountsLiquidated: this.liquidatedEver.size,
      totalBadDebtUsd: this.cumulativeBadDebt,
      totalInsuranceFundDrawUsd: this.totalDraw,
      totalFeesUsd: this.totalFees,
    });
  }
}

/** Visits the venue's accounts in id order, in batches: all of them when `markets` is null, else (at least) those with a position in one of them. */
export type StressAccountSource = (
  markets: readonly string[] | null,
  visit: (snapshots: readonly AccountSnapshot[]) => void | Promise<void>,
) => Promise<void>;

/** Runs the cascade over a streamed venue. */
export async function runStressTest(venue: StressVenue, scenario: StressScenario, source: StressAccountSource): Promise<StressResult> {
  const cascade = new StressCascade(venue, scenario);
  for (;;) {
    cascade.beginRound();
    await source(cascade.marketsToVisit(), (batch) => {
      for (const s of batch) cascade.visit(s);
    });
    if (!cascade.endRound()) break;
  }
  return cascade.result();
}

/** The cascade over snapshots in memory (small venues, tests): sorted by account id. */
export function runStressTestOnSnapshots(venue: StressVenue, scenario: StressScenario, snapshots: readonly AccountSnapshot[]): StressResult {
  const sorted = [...snapshots].sort((a, b) => (a.accountId < b.accountId ? -1 : a.accountId > b.accountId ? 1 : 0));
  const cascade = new StressCascade(venue, scenario);
  for (;;) {
    cascade.beginRound();
    const markets = cascade.marketsToVisit();
    for (const s of sorted) {
      if (markets !== null && !s.positions.some((p) => markets.includes(p.market))) continue;
      cascade.visit(s);
    }
    if (!cascade.endRound()) break;
  }
  return cascade.result();
}

