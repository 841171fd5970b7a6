/**
 * The screened engine path: decide what is asked of many accounts from bounded double-precision figures
 * (evaluate.ts), and name the accounts the bound cannot decide, for the exact engine (`evaluateAccount`) to evaluate.
 * A decided answer is the exact engine's answer (the bounds are rigorous, bounds.ts); an undecided one is never a
 * guess. Exact figures (what the API and the account risk table report) always come from the exact path.
 *
 * Questions:
 * - STATUS: the account's status by the engine's ladder (position.ts statusOf), first that applies:
 *   BANKRUPT (equity < 0), LIQUIDATABLE (marginEquity < MM), RESTRICTED (initialMarginEquity < IM), HEALTHY.
 *   Each comparison is decided when the bound of the difference excludes 0 (an exact tie falls back).
 * - MARGIN_RATIO: which side of `threshold` the margin ratio MM / marginEquity is on (AT_OR_ABOVE when ≥, BELOW when
 *   <; UNDEFINED when marginEquity ≤ 0, where the engine reports no ratio): decided from the sign of marginEquity and
 *   of MM − threshold·marginEquity.
 */
import type Decimal from 'decimal.js';
import type { AccountSnapshot, AccountStatus } from '../types';
import { evaluateAccount } from '../engine';
import { BoundedOps, conversionError, signOf } from './bounds';
import { prepareScreenAccount, type ScreenAccount } from './account';
import { ScreenFigures, screenFigures } from './evaluate';
import type { ScreenFallbackReason, ScreenTable } from './table';

export type ScreenQuestion =
  | { readonly kind: 'STATUS' }
  | { readonly kind: 'MARGIN_RATIO'; readonly threshold: Decimal };

/** Side of a margin-ratio threshold (UNDEFINED: marginEquity ≤ 0, no ratio). */
export type MarginRatioSide = 'AT_OR_ABOVE' | 'BELOW' | 'UNDEFINED';

export type ScreenAnswer =
  | { readonly kind: 'STATUS'; readonly status: AccountStatus }
  | { readonly kind: 'MARGIN_RATIO'; readonly side: MarginRatioSide };

/** Per account: the decided answer, or the reason the exact engine must evaluate it. */
export type ScreenOutcome =
  | { readonly accountId: string; readonly outcome: 'DECIDED'; readonly answer: ScreenAnswer }
  | { readonly accountId: string; readonly outcome: 'FALLBACK'; readonly reason: ScreenFallbackReason };

export interface ScreenBatchResult {
  /** One per account, in input order. */
  readonly outcomes: readonly ScreenOutcome[];
  readonly decided: number;
  /** Fallbacks by reason (reasons with none are absent). */
  readonly fallbacks: Readonly<Partial<Record<ScreenFallbackReason, number>>>;
}

export interface ScreenOptions {
  readonly question: ScreenQuestion;
}

/** The status ladder on bounded figures; null when a comparison it needs is undecided. */
function boundedStatus(ops: BoundedOps, f: ScreenFigures): AccountStatus | null {
  const equity = signOf(f.equity, f.equityErr);
  if (equity === 0) return null;
  if (equity < 0) return 'BANKRUPT';
  const maintenance = signOf(ops.sub(f.marginEquity, f.marginEquityErr, f.maintenanceMargin, f.maintenanceMarginErr), ops.err);
  if (maintenance === 0) return null;
  if (maintenance < 0) return 'LIQUIDATABLE';
  const initial = signOf(ops.sub(f.initialMarginEquity, f.initialMarginEquityErr, f.initialMargin, f.initialMarginErr), ops.err);
  if (initial === 0) return null;
  return initial < 0 ? 'RESTRICTED' : 'HEALTHY';
}

/** Side of MM / marginEquity against t (t as a bounded double); null when undecided. */
function boundedRatioSide(ops: BoundedOps, f: ScreenFigures, t: number, tE: number): MarginRatioSide | null {
  const me = signOf(f.marginEquity, f.marginEquityErr);
  if (me === 0) return null;
  if (me < 0) return 'UNDEFINED';
  const scaled = ops.mul(t, tE, f.marginEquity, f.marginEquityErr);
  const side = signOf(ops.sub(f.maintenanceMargin, f.maintenanceMarginErr, scaled, ops.err), ops.err);
  if (side === 0) return null;
  return side > 0 ? 'AT_OR_ABOVE' : 'BELOW';
}

const STATUS_ANSWERS: Readonly<Record<AccountStatus, ScreenAnswer>> = Object.freeze({
  HEALTHY: Object.freeze({ kind: 'STATUS', status: 'HEALTHY' }),
  RESTRICTED: Object.freeze({ kind: 'STATUS', status: 'RESTRICTED' }),
  LIQUIDATABLE: Object.freeze({ kind: 'STATUS', status: 'LIQUIDATABLE' }),
  BANKRUPT: Object.freeze({ kind: 'STATUS', status: 'BANKRUPT' }),
} as const);
const SIDE_ANSWERS: Readonly<Record<MarginRatioSide, ScreenAnswer>> = Object.freeze({
  AT_OR_ABOVE: Object.freeze({ kind: 'MARGIN_RATIO', side: 'AT_OR_ABOVE' }),
  BELOW: Object.freeze({ kind: 'MARGIN_RATIO', side: 'BELOW' }),
  UNDEFINED: Object.freeze({ kind: 'MARGIN_RATIO', side: 'UNDEFINED' }),
} as const);

/**
 * Screens prepared accounts against a table: each account's balances and positions under the table's market context
 * (the snapshot the exact engine would evaluate is the account's rows with that context). Pure.
 */
export function screenAccounts(table: ScreenTable, accounts: readonly ScreenAccount[], options: ScreenOptions): ScreenBatchResult {
  const ops = new BoundedOps();
  const figures = new ScreenFigures();
  const q = options.question;
  const t = q.kind === 'MARGIN_RATIO' ? q.threshold.toNumber() : 0;
  const tE = conversionError(t);
  const outcomes: ScreenOutcome[] = new Array<ScreenOutcome>(accounts.length);
  const fallbacks: Partial<Record<ScreenFallbackReason, number>> = {};
  let decided = 0;
  for (let i = 0; i < accounts.length; i++) {
    const account = accounts[i]!;
    let reason = screenFigures(table, account, ops, figures);
    let answer: ScreenAnswer | null = null;
    if (reason === null) {
      if (q.kind === 'STATUS') {
        const status = boundedStatus(ops, figures);
        if (status !== null) answer = STATUS_ANSWERS[status];
      } else {
        const side = boundedRatioSide(ops, figures, t, tE);
        if (side !== null) answer = SIDE_ANSWERS[side];
      }
      if (answer === null) reason = 'TOO_CLOSE';
    }
    if (answer !== null) {
      decided += 1;
      outcomes[i] = { accountId: account.accountId, outcome: 'DECIDED', answer };
    } else {
      fallbacks[reason!] = (fallbacks[reason!] ?? 0) + 1;
      outcomes[i] = { accountId: account.accountId, outcome: 'FALLBACK', reason: reason! };
    }
  }
  return { outcomes, decided, fallbacks };
}

/** Whether a snapshot's market context is the table's (the same objects and settings). */
export function sameContext(table: ScreenTable, snapshot: AccountSnapshot): boolean {
  const c = table.context;
  return (
    snapshot.markets === c.markets &&
    snapshot.assets === c.assets &&
    snapshot.markPrices === c.markPrices &&
    snapshot.indexPrices === c.indexPrices &&
    snapshot.portfolioParams === c.portfolioParams &&
    snapshot.asOfMs === c.asOfMs &&
    snapshot.valuationAsset === c.valuationAsset &&
    snapshot.maxIndexPriceAgeSeconds === c.maxIndexPriceAgeSeconds
  );
}

/**
 * Screens snapshots (prepared here): a snapshot built on another market context than the table's falls back with
 * CONTEXT_MISMATCH.
 */
export function screenSnapshots(table: ScreenTable, snapshots: readonly AccountSnapshot[], options: ScreenOptions): ScreenBatchResult {
  const prepared: ScreenAccount[] = [];
  const index: number[] = [];
  for (let i = 0; i < snapshots.length; i++) {
    if (sameContext(table, snapshots[i]!)) {
      index.push(i);
      prepared.push(prepareScreenAccount(snapshots[i]!));
    }
  }
  const screened = screenAccounts(table, prepared, options);
  if (prepared.length === snapshots.length) return screened;
  const outcomes: ScreenOutcome[] = snapshots.map((s) => ({ accountId: s.accountId, outcome: 'FALLBACK', reason: 'CONTEXT_MISMATCH' }));
  index.forEach((at, k) => (outcomes[at] = screened.outcomes[k]!));
  const fallbacks = { ...screened.fallbacks, CONTEXT_MISMATCH: snapshots.length - prepared.length };
  return { outcomes, decided: screened.decided, fallbacks };
}

/** A status and how it was obtained. */
export interface ScreenedStatus {
  readonly status: AccountStatus;
  /** SCREEN: decided by the bound; EXACT: by evaluateAccount (with the screen's reason). */
  readonly source: { readonly path: 'SCREEN' } | { readonly path: 'EXACT'; readonly reason: ScreenFallbackReason };
}

/**
 * The status of one account: the screen's when decided, else the exact engine's on the snapshot (which throws the
 * engine's errors, as evaluateAccount does). Equal to evaluateAccount(snapshot).status either way.
 */
export function screenedStatus(table: ScreenTable, snapshot: AccountSnapshot): ScreenedStatus {
  const outcome = screenSnapshots(table, [snapshot], { question: { kind: 'STATUS' } }).outcomes[0]!;
  if (outcome.outcome === 'DECIDED' && outcome.answer.kind === 'STATUS') return { status: outcome.answer.status, source: { path: 'SCREEN' } };
  const reason = outcome.outcome === 'FALLBACK' ? outcome.reason : 'TOO_CLOSE';
  const risk = evaluateAccount(snapshot, { liquidationPrices: 'SKIP', greeks: 'SKIP' });
  return { status: risk.status, source: { path: 'EXACT', reason } };
}

/**
 * For a tick engine: the accounts whose status must be evaluated exactly, given the statuses they had — the undecided
 * ones and those whose decided status differs from the previous one (or that had none). A decided, unchanged status
 * needs no exact evaluation. `outcomes` must come from a STATUS screen.
 */
export function accountsNeedingExact(
  outcomes: readonly ScreenOutcome[],
  previous: ReadonlyMap<string, AccountStatus>,
): { readonly unchanged: readonly string[]; readonly exact: readonly string[] } {
  const unchanged: string[] = [];
  const exact: string[] = [];
  for (const o of outcomes) {
    const before = previous.get(o.accountId);
    if (o.outcome === 'DECIDED' && o.answer.kind === 'STATUS' && before === o.answer.status) unchanged.push(o.accountId);
    else exact.push(o.accountId);
  }
  return { unchanged, exact };
}
