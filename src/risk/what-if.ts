/**
 * whatIf(snapshot, scenario): the full risk before and after a scenario (scenario.ts), the difference, the limits
 * the change would break, and — when the after-state is liquidatable — the liquidation outcome
 * (liquidation-outcome.ts). Pure: the input snapshot is never modified and nothing is written anywhere.
 *
 * Differences are after − before, in the valuation asset (position figures in settlement units where noted).
 * `marginRatio` difference is null when either side is null (marginEquity ≤ 0).
 *
 * Broken limits (checked on the after-state; `alreadyBroken` tells whether the before-state broke it too):
 *   FREE_COLLATERAL_NEGATIVE             freeCollateral < 0 (initialMarginEquity < IM): a withdrawal or a risk-adding
 *                                        trade would be refused
 *   BELOW_MAINTENANCE                    marginEquity < MM: the account is liquidatable
 *   BANKRUPT                             equity < 0
 *   ISOLATED_POSITION_LIQUIDATABLE       an isolated position with isolatedEquity < its MM
 *   ISOLATED_MARGIN_NEGATIVE             an isolated position's margin below zero (transfer out too large)
 *   BALANCE_NEGATIVE_WITHOUT_BORROWING   a negative balance of an asset that may not be borrowed
 *   ISOLATED_BELOW_INITIAL_MARGIN        (refusals only) an isolated transfer out would leave the position below IM
 *
 * Every operation of the scenario (trades, leverage changes, transfers, deposits, withdrawals, margin mode) is also
 * judged as the real write would judge it (transition.ts): a limit that refuses the write has `refusesWrite` and the
 * operation's path; a refusal met in an intermediate state that the after-state does not break is listed too.
 */
import type Decimal from 'decimal.js';
import type { AccountSnapshot, AccountStatus } from './types';
import type { AccountRisk, PositionRisk } from './result';
import { ZERO, toD } from './decimal';
import { evaluateAccount, type EvaluateOptions } from './engine';
import { liquidationOutcome, type LiquidationOutcome } from './liquidation-outcome';
import { applyScenarioWithVerdict, type Scenario, type StepRefusal } from './scenario';
import type { BrokenLimitCode } from './transition';

export type { BrokenLimitCode };

export interface BrokenLimit {
  readonly code: BrokenLimitCode;
  readonly message: string;
  /** The figure that breaks the limit: `freeCollateral`, `marginEquity`, `equity`, `positions.<id>…`, `balances.<asset>`. */
  readonly field: string;
  /** True when the before-state already broke this limit. */
  readonly alreadyBroken: boolean;
  /**
   * True when the real write of the scenario's operations would be refused on this limit (the account-transition
   * model's verdict, transition.ts); the write's refusal is INSUFFICIENT_MARGIN.
   */
  readonly refusesWrite: boolean;
  /** The operation whose write is refused (`trades[0]`, `withdrawals[1]`, `marginModeChange`); null otherwise. */
  readonly operation: string | null;
}

export interface PositionDiff {
  readonly positionId: string;
  readonly market: string;
  readonly sizeBefore: Decimal;
  readonly sizeAfter: Decimal;
  readonly sizeChange: Decimal;
  readonly entryPriceBefore: Decimal | null;
  readonly entryPriceAfter: Decimal | null;
  /** Valuation asset. */
  readonly initialMarginChange: Decimal;
  readonly maintenanceMarginChange: Decimal;
  readonly unrealizedPnlChange: Decimal;
  readonly notionalChange: Decimal;
  readonly liquidationPriceBefore: Decimal | null;
  readonly liquidationPriceAfter: Decimal | null;
  /** The position did not exist (or was flat) before. */
  readonly opened: boolean;
  /** The position is flat after (and was not before). */
  readonly closed: boolean;
}

export interface BalanceDiff {
  readonly asset: string;
  readonly before: Decimal;
  readonly after: Decimal;
  readonly change: Decimal;
}

export interface RiskDiff {
  readonly equity: Decimal;
  readonly crossEquity: Decimal;
  readonly initialMarginEquity: Decimal;
  readonly marginEquity: Decimal;
  readonly initialMargin: Decimal;
  readonly maintenanceMargin: Decimal;
  readonly freeCollateral: Decimal;
  readonly marginRatio: Decimal | null;
  readonly totalNotional: Decimal;
  readonly statusBefore: AccountStatus;
  readonly statusAfter: AccountStatus;
  readonly statusChanged: boolean;
  readonly positions: readonly PositionDiff[];
  readonly balances: readonly BalanceDiff[];
}

export interface WhatIfOptions {
  readonly insuranceFunds?: Readonly<Record<string, Decimal>>;
  /** Whether an asset may be borrowed (negative balance); default: every asset (as the withdraw mutation allows). */
  readonly borrowable?: (asset: string) => boolean;
  readonly evaluate?: EvaluateOptions;
  readonly sizeStep?: Decimal;
}

export interface WhatIfResult {
  readonly label: string | null;
  readonly before: AccountRisk;
  readonly after: AccountRisk;
  readonly snapshotAfter: AccountSnapshot;
  readonly diff: RiskDiff;
  readonly brokenLimits: readonly BrokenLimit[];
  /** When the after-state is liquidatable (cross or an isolated position); else null. */
  readonly liquidationOutcome: LiquidationOutcome | null;
}

function positionDiff(id: string, b: PositionRisk | undefined, a: PositionRisk | undefined): PositionDiff {
  const sizeBefore = b?.size ?? ZERO;
  const sizeAfter = a?.size ?? ZERO;
  const im = (p: PositionRisk | undefined): Decimal => p?.initialMarginUsd ?? ZERO;
  const mm = (p: PositionRisk | undefined): Decimal => p?.maintenanceMarginUsd ?? ZERO;
  const upnl = (p: PositionRisk | undefined): Decimal => p?.unrealizedPnlUsd ?? ZERO;
  const n = (p: PositionRisk | undefined): Decimal => p?.notionalUsd ?? ZERO;
  return Object.freeze({
    positionId: id,
    market: (a ?? b)!.market,
    sizeBefore,
    sizeAfter,
    sizeChange: sizeAfter.sub(sizeBefore),
    entryPriceBefore: b === undefined || b.size.isZero() ? null : b.entryPrice,
    entryPriceAfter: a === undefined || a.size.isZero() ? null : a.entryPrice,
    initialMarginChange: im(a).sub(im(b)),
    maintenanceMarginChange: mm(a).sub(mm(b)),
    unrealizedPnlChange: upnl(a).sub(upnl(b)),
    notionalChange: n(a).sub(n(b)),
    liquidationPriceBefore: b?.liquidationPrice ?? null,
    liquidationPriceAfter: a?.liquidationPrice ?? null,
    opened: sizeBefore.isZero() && !sizeAfter.isZero(),
    closed: !sizeBefore.isZero() && sizeAfter.isZero(),
  });
}

/** after − before of every account figure, position and balance. */
export function riskDiff(before: AccountRisk, after: AccountRisk, snapBefore: AccountSnapshot, snapAfter: AccountSnapshot): RiskDiff {
  const ids = [...new Set([...before.positions.map((p) => p.positionId), ...after.positions.map((p) => p.positionId)])].sort();
  const positions = ids
    .map((id) => positionDiff(id, before.positionsById[id], after.positionsById[id]));
  const assets = [...new Set([...snapBefore.balances.map((b) => b.asset), ...snapAfter.balances.map((b) => b.asset)])].sort();
  const amount = (s: AccountSnapshot, a: string): Decimal => toD(s.balances.find((b) => b.asset === a)?.amount ?? ZERO);
  const balances = assets
    .map((asset) => {
      const b = amount(snapBefore, asset);
      const a = amount(snapAfter, asset);
      return Object.freeze({ asset, before: b, after: a, change: a.sub(b) });
    })
    .filter((x) => !x.change.isZero());
  return Object.freeze({
    equity: after.equity.sub(before.equity),
    crossEquity: after.crossEquity.sub(before.crossEquity),
    initialMarginEquity: after.initialMarginEquity.sub(before.initialMarginEquity),
    marginEquity: after.marginEquity.sub(before.marginEquity),
    initialMargin: after.initialMargin.sub(before.initialMargin),
    maintenanceMargin: after.maintenanceMargin.sub(before.maintenanceMargin),
    freeCollateral: after.freeCollateral.sub(before.freeCollateral),
    marginRatio: after.marginRatio === null || before.marginRatio === null ? null : after.marginRatio.sub(before.marginRatio),
    totalNotional: after.totalNotionalUsd.sub(before.totalNotionalUsd),
    statusBefore: before.status,
    statusAfter: after.status,
    statusChanged: before.status !== after.status,
    positions: Object.freeze(positions),
    balances: Object.freeze(balances),
  });
}

interface LimitCheck {
  readonly code: BrokenLimitCode;
  readonly field: string;
  readonly message: string;
  readonly broken: (r: AccountRisk, s: AccountSnapshot) => boolean;
}

/** Limits the after-state breaks (see the module comment). `cause` words the free-collateral message. */
export function brokenLimits(
  before: AccountRisk,
  after: AccountRisk,
  snapBefore: AccountSnapshot,
  snapAfter: AccountSnapshot,
  scenario: Scenario,
  borrowable: (asset: string) => boolean,
  refusals: readonly StepRefusal[] = [],
): BrokenLimit[] {
  const causes: string[] = [];
  if ((scenario.withdrawals ?? []).length > 0) causes.push('withdrawal');
  if ((scenario.trades ?? []).length > 0) causes.push('trade');
  if ((scenario.isolatedMarginTransfers ?? []).length > 0) causes.push('isolated margin transfer');
  if ((scenario.leverageChanges ?? []).length > 0) causes.push('leverage change');
  if (scenario.marginModeChange) causes.push('margin mode change');
  if ((scenario.priceMoves ?? []).length > 0 || (scenario.volatilityShifts ?? []).length > 0 || scenario.timeAdvanceSeconds) causes.push('market move');
  const cause = causes.length === 0 ? 'the scenario' : causes.join(' and ');

  const checks: LimitCheck[] = [
    {
      code: 'FREE_COLLATERAL_NEGATIVE',
      field: 'freeCollateral',
      message: `${cause} leaves free collateral negative (initial margin equity below initial margin)`,
      broken: (r) => r.freeCollateral.isNeg(),
    },
    {
      code: 'BELOW_MAINTENANCE',
      field: 'marginEquity',
      message: `${cause} leaves margin equity below maintenance margin: the account is liquidatable`,
      broken: (r) => r.marginEquity.lt(r.maintenanceMargin),
    },
    { code: 'BANKRUPT', field: 'equity', message: `${cause} leaves equity negative: the account is bankrupt`, broken: (r) => r.equity.isNeg() },
  ];
  for (const p of after.positions) {
    if (p.marginType !== 'ISOLATED') continue;
    checks.push({
      code: 'ISOLATED_POSITION_LIQUIDATABLE',
      field: `positions.${p.positionId}.isolatedEquity`,
      message: `isolated position in ${p.market} is below its maintenance margin`,
      broken: (r) => {
        const x = r.positionsById[p.positionId];
        return x !== undefined && !x.size.isZero() && x.isolatedEquity!.lt(x.maintenanceMargin);
      },
    });
    checks.push({
      code: 'ISOLATED_MARGIN_NEGATIVE',
      field: `positions.${p.positionId}.isolatedMargin`,
      message: `isolated margin of the position in ${p.market} would be negative`,
      broken: (r) => {
        const x = r.positionsById[p.positionId];
        return x !== undefined && x.isolatedMargin.isNeg();
      },
    });
  }
  for (const b of snapAfter.balances) {
    if (borrowable(b.asset)) continue;
    checks.push({
      code: 'BALANCE_NEGATIVE_WITHOUT_BORROWING',
      field: `balances.${b.asset}`,
      message: `balance of ${b.asset} would be negative and ${b.asset} may not be borrowed`,
      broken: (_r, s) => toD(s.balances.find((x) => x.asset === b.asset)?.amount ?? ZERO).isNeg(),
    });
  }
  const out: BrokenLimit[] = [];
  for (const c of checks) {
    if (!c.broken(after, snapAfter)) continue;
    const refusal = refusals.find((r) => r.code === c.code && r.field === c.field);
    out.push(
      Object.freeze({
        code: c.code,
        field: c.field,
        message: c.message,
        alreadyBroken: c.broken(before, snapBefore),
        refusesWrite: refusal !== undefined,
        operation: refusal?.step ?? null,
      }),
    );
  }
  for (const r of refusals) {
    if (out.some((b) => b.code === r.code && b.field === r.field)) continue;
    const c = checks.find((x) => x.code === r.code && x.field === r.field);
    out.push(
      Object.freeze({
        code: r.code,
        field: r.field,
        message: r.message,
        alreadyBroken: c !== undefined && c.broken(before, snapBefore),
        refusesWrite: true,
        operation: r.step,
      }),
    );
  }
  return out;
}

/** Evaluates a scenario against a snapshot (see the module comment). Throws ScenarioInputError for bad input. */
export function whatIf(snapshot: AccountSnapshot, scenario: Scenario, options: WhatIfOptions = {}): WhatIfResult {
  const before = evaluateAccount(snapshot, options.evaluate);
  const { snapshot: snapAfter, refusals } = applyScenarioWithVerdict(snapshot, scenario);
  const after = evaluateAccount(snapAfter, options.evaluate);
  const borrowable = options.borrowable ?? (() => true);
  const liquidatable =
    after.marginEquity.lt(after.maintenanceMargin) ||
    after.positions.some((p) => p.marginType === 'ISOLATED' && !p.size.isZero() && p.isolatedEquity!.lt(p.maintenanceMargin));
  return Object.freeze({
    label: scenario.label ?? null,
    before,
    after,
    snapshotAfter: snapAfter,
    diff: riskDiff(before, after, snapshot, snapAfter),
    brokenLimits: Object.freeze(brokenLimits(before, after, snapshot, snapAfter, scenario, borrowable, refusals)),
    liquidationOutcome: liquidatable
      ? liquidationOutcome(snapAfter, { insuranceFunds: options.insuranceFunds, sizeStep: options.sizeStep })
      : null,
  });
}
