/**
 * Account (cross) figures, all in the valuation asset (USD):
 *
 *   value_b              = amount_b · index_b
 *   equity               = Σ value_b + Σ_cross (uPnL + fundingPnL)·X + Σ_isolated (isolatedMargin + uPnL + fundingPnL)·X
 *                          (for a cross option position the term is its value q·c·V instead of uPnL + fundingPnL)
 *   initialMarginEquity  = Σ value_b · w_init(b) + Σ_cross (uPnL + fundingPnL)·X
 *   marginEquity         = Σ value_b · w_maint(b) + Σ_cross (uPnL + fundingPnL)·X
 *       (w = asset weight for a positive balance, liability weight for a negative one; X = settlement index price)
 *   IM, MM               = Σ_cross IM·X, Σ_cross MM·X (+ the portfolio scans' IM, MM of a PORTFOLIO account, whose
 *                          scanned positions count 0 on their own)
 *   freeCollateral       = initialMarginEquity − IM
 *   marginRatio          = MM / marginEquity, null when marginEquity ≤ 0 (status still tells: LIQUIDATABLE iff MM > it)
 *   leverage             = Σ_all notional·X / equity, null when equity ≤ 0
 */
import type Decimal from 'decimal.js';
import type { AccountStatus } from './types';
import type { BalanceRisk } from './result';
import { ZERO } from './decimal';
import type { NBalance, NPosition } from './model';
import { statusOf, type PositionFigures } from './position';
import { balanceLine } from './rules/collateral-weights';

export interface AccountFigures {
  readonly equity: Decimal;
  readonly crossEquity: Decimal;
  readonly initialMarginEquity: Decimal;
  readonly marginEquity: Decimal;
  readonly initialMargin: Decimal;
  readonly maintenanceMargin: Decimal;
  readonly freeCollateral: Decimal;
  readonly marginRatio: Decimal | null;
  readonly totalNotionalUsd: Decimal;
  readonly leverage: Decimal | null;
  readonly status: AccountStatus;
  readonly crossPnlUsd: Decimal;
  readonly isolatedEquityUsd: Decimal;
  /** Σ cross option values q·c·V·X (included in crossPnlUsd). */
  readonly optionValueUsd: Decimal;
  readonly balances: readonly BalanceRisk[];
}

/** Requirements that replace some positions' own (PORTFOLIO accounts): USD totals and the replaced position ids. */
export interface ReplacedRequirements {
  readonly initialMargin: Decimal;
  readonly maintenanceMargin: Decimal;
  readonly positionIds: ReadonlySet<string>;
}

/** Breakdown line of a balance (rules/collateral-weights.ts). */
export const balanceRisk = balanceLine;

export function aggregateAccount(
  balances: readonly NBalance[],
  positions: readonly NPosition[],
  figures: readonly PositionFigures[],
  replaced: ReplacedRequirements | null = null,
): AccountFigures {
  let balanceValue = ZERO;
  let initialWeighted = ZERO;
  let maintenanceWeighted = ZERO;
  const balanceLines: BalanceRisk[] = [];
  for (const b of balances) {
    const line = balanceRisk(b);
    balanceLines.push(line);
    balanceValue = balanceValue.add(line.value);
    initialWeighted = initialWeighted.add(line.initialWeightedValue);
    maintenanceWeighted = maintenanceWeighted.add(line.maintenanceWeightedValue);
  }

  let crossPnlUsd = ZERO;
  let isolatedEquityUsd = ZERO;
  let initialMargin = replaced === null ? ZERO : replaced.initialMargin;
  let maintenanceMargin = replaced === null ? ZERO : replaced.maintenanceMargin;
  let totalNotionalUsd = ZERO;
  let optionValueUsd = ZERO;
  for (let i = 0; i < positions.length; i++) {
    const p = positions[i]!;
    const f = figures[i]!;
    totalNotionalUsd = totalNotionalUsd.add(f.notionalUsd);
    if (p.marginType === 'ISOLATED') {
      isolatedEquityUsd = isolatedEquityUsd.add(f.isolatedEquity!.mul(f.settlePrice));
    } else {
      crossPnlUsd = crossPnlUsd.add(f.equityContributionUsd);
      if (f.option) optionValueUsd = optionValueUsd.add(f.equityContributionUsd);
      if (replaced !== null && replaced.positionIds.has(p.id)) continue;
      initialMargin = initialMargin.add(f.initialMarginUsd);
      maintenanceMargin = maintenanceMargin.add(f.maintenanceMarginUsd);
    }
  }

  const crossEquity = balanceValue.add(crossPnlUsd);
  const equity = crossEquity.add(isolatedEquityUsd);
  const initialMarginEquity = initialWeighted.add(crossPnlUsd);
  const marginEquity = maintenanceWeighted.add(crossPnlUsd);
  return {
    equity,
    crossEquity,
    initialMarginEquity,
    marginEquity,
    initialMargin,
    maintenanceMargin,
    freeCollateral: initialMarginEquity.sub(initialMargin),
    marginRatio: marginEquity.gt(0) ? maintenanceMargin.div(marginEquity) : null,
    totalNotionalUsd,
    leverage: equity.gt(0) ? totalNotionalUsd.div(equity) : null,
    status: statusOf(equity, marginEquity, maintenanceMargin, initialMarginEquity, initialMargin),
    crossPnlUsd,
    isolatedEquityUsd,
    optionValueUsd,
    balances: balanceLines,
  };
}
