/**
 * One position at given prices: valuation + requirements, in settlement units and converted to the valuation
 * asset (× the settlement asset's index price). Also the isolated check.
 */
import type Decimal from 'decimal.js';
import type { AccountStatus } from './types';
import type { NPosition } from './model';
import { maintenanceMarginAt, requirementsAt, type Requirements } from './requirements';
import { valuePosition, type PositionValuation } from './valuation';

export interface PositionFigures extends PositionValuation, Requirements {
  readonly mark: Decimal;
  readonly settlePrice: Decimal;
  readonly notionalUsd: Decimal;
  readonly initialMarginUsd: Decimal;
  readonly maintenanceMarginUsd: Decimal;
  readonly unrealizedPnlUsd: Decimal;
  readonly fundingPnlUsd: Decimal;
  /** ISOLATED: isolatedMargin + uPnL + fundingPnL (settlement units); null for cross. */
  readonly isolatedEquity: Decimal | null;
  readonly isolatedStatus: AccountStatus | null;
}

/**
 * Status ladder shared by accounts and isolated positions, first that applies:
 * BANKRUPT (equity < 0), LIQUIDATABLE (marginEquity < MM; equality is not), RESTRICTED (initialMarginEquity < IM),
 * HEALTHY.
 */
export function statusOf(
  equity: Decimal,
  marginEquity: Decimal,
  maintenanceMargin: Decimal,
  initialMarginEquity: Decimal,
  initialMargin: Decimal,
): AccountStatus {
  if (equity.isNeg()) return 'BANKRUPT';
  if (marginEquity.lt(maintenanceMargin)) return 'LIQUIDATABLE';
  if (initialMarginEquity.lt(initialMargin)) return 'RESTRICTED';
  return 'HEALTHY';
}

/** Full figures of a position at mark P with settlement asset index X. */
export function evaluatePositionAt(pos: NPosition, mark: Decimal, settlePrice: Decimal): PositionFigures {
  const v = valuePosition(pos, mark);
  const r = requirementsAt(pos, v.notional, mark);
  let isolatedEquity: Decimal | null = null;
  let isolatedStatus: AccountStatus | null = null;
  if (pos.marginType === 'ISOLATED') {
    // Isolated equity in settlement units: isolatedMargin + uPnL + fundingPnL; checked against the position's IM/MM.
    isolatedEquity = pos.isolatedMargin.add(v.unrealizedPnl).add(v.fundingPnl);
    isolatedStatus = statusOf(isolatedEquity, isolatedEquity, r.maintenanceMargin, isolatedEquity, r.initialMargin);
  }
  return {
    ...v,
    ...r,
    mark,
    settlePrice,
    notionalUsd: v.notional.mul(settlePrice),
    initialMarginUsd: r.initialMargin.mul(settlePrice),
    maintenanceMarginUsd: r.maintenanceMargin.mul(settlePrice),
    unrealizedPnlUsd: v.unrealizedPnl.mul(settlePrice),
    fundingPnlUsd: v.fundingPnl.mul(settlePrice),
    isolatedEquity,
    isolatedStatus,
  };
}

/** Margin quantities needed by the liquidation search (settlement units). */
export interface PositionMarginTerms {
  /** uPnL + fundingPnL. */
  readonly pnl: Decimal;
  readonly maintenanceMargin: Decimal;
}

/** uPnL + fundingPnL and MM of a position at mark P (settlement units); same formulas as evaluatePositionAt. */
export function marginTermsAt(pos: NPosition, mark: Decimal): PositionMarginTerms {
  const v = valuePosition(pos, mark);
  return { pnl: v.unrealizedPnl.add(v.fundingPnl), maintenanceMargin: maintenanceMarginAt(pos, v.notional) };
}

/** ISOLATED: liquidatable at mark P iff isolatedMargin + uPnL + fundingPnL < MM. */
export function isolatedLiquidatableAt(pos: NPosition, mark: Decimal): boolean {
  const t = marginTermsAt(pos, mark);
  return pos.isolatedMargin.add(t.pnl).lt(t.maintenanceMargin);
}

/** ISOLATED: bankrupt at mark P iff isolatedMargin + uPnL + fundingPnL < 0. */
export function isolatedBankruptAt(pos: NPosition, mark: Decimal): boolean {
  const v = valuePosition(pos, mark);
  return pos.isolatedMargin.add(v.unrealizedPnl).add(v.fundingPnl).isNeg();
}
