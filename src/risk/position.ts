/**
 * One position at given prices: valuation + requirements, in settlement units and converted to the valuation
 * asset (× the settlement asset's index price). Also the isolated check.
 */
import type Decimal from 'decimal.js';
import type { AccountStatus } from './types';
import type { NPosition } from './model';
import { maintenanceMarginAt, optionRequirementsAt, requirementsAt, type Requirements } from './requirements';
import { equityContributionOf, valuePosition, type PositionValuation, type ValuationMode } from './valuation';
import { ZERO, scaleBy } from './decimal';

export interface PositionFigures extends PositionValuation, Requirements {
  readonly mark: Decimal;
  readonly settlePrice: Decimal;
  readonly notionalUsd: Decimal;
  readonly initialMarginUsd: Decimal;
  readonly maintenanceMarginUsd: Decimal;
  readonly unrealizedPnlUsd: Decimal;
  readonly fundingPnlUsd: Decimal;
  /** Equity contribution (uPnL + funding; options q·c·V), settlement units and USD. */
  readonly equityContribution: Decimal;
  readonly equityContributionUsd: Decimal;
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

/** Requirements of a valued position: the option rule for options, tiers otherwise. */
export function requirementsFor(pos: NPosition, v: PositionValuation, price: Decimal): Requirements {
  return pos.market.option !== null ? optionRequirementsAt(pos, v) : requirementsAt(pos, v.notional, price);
}

/**
 * Full figures of a position at valuation price P (the mark; the underlying price U for options, see
 * NPosition.valuationPrice) with settlement asset index X.
 */
export function evaluatePositionAt(pos: NPosition, mark: Decimal, settlePrice: Decimal): PositionFigures {
  const v = valuePosition(pos, mark);
  const r = requirementsFor(pos, v, mark);
  const equityContribution = equityContributionOf(v);
  let isolatedEquity: Decimal | null = null;
  let isolatedStatus: AccountStatus | null = null;
  if (pos.marginType === 'ISOLATED') {
    // Isolated equity in settlement units: isolatedMargin + uPnL + fundingPnL; checked against the position's IM/MM.
    isolatedEquity = pos.isolatedMargin.add(v.unrealizedPnl).add(v.fundingPnl);
    isolatedStatus = statusOf(isolatedEquity, isolatedEquity, r.maintenanceMargin, isolatedEquity, r.initialMargin);
  }
  // Built field by field (not by spreading v and r: a spread would be the engine's single largest cost). The keys are
  // exactly those of PositionValuation and Requirements as the engine produces them.
  return {
    notional: v.notional,
    unrealizedPnl: v.unrealizedPnl,
    fundingPnl: v.fundingPnl,
    option: v.option,
    tier: r.tier,
    initialRate: r.initialRate,
    volatilityFactor: r.volatilityFactor,
    maintenanceRate: r.maintenanceRate,
    maintenanceAmount: r.maintenanceAmount,
    liquidityAddon: r.liquidityAddon,
    initialMargin: r.initialMargin,
    maintenanceMargin: r.maintenanceMargin,
    marginMethod: r.marginMethod,
    maintenanceNotional: r.maintenanceNotional,
    maintenanceTier: r.maintenanceTier,
    optionMargin: r.optionMargin,
    sizeAddon: r.sizeAddon ?? null,
    closingFee: r.closingFee ?? ZERO,
    mark,
    settlePrice,
    notionalUsd: scaleBy(v.notional, settlePrice),
    initialMarginUsd: scaleBy(r.initialMargin, settlePrice),
    maintenanceMarginUsd: scaleBy(r.maintenanceMargin, settlePrice),
    unrealizedPnlUsd: scaleBy(v.unrealizedPnl, settlePrice),
    fundingPnlUsd: scaleBy(v.fundingPnl, settlePrice),
    equityContribution,
    equityContributionUsd: scaleBy(equityContribution, settlePrice),
    isolatedEquity,
    isolatedStatus,
  };
}

/** Margin quantities needed by the liquidation search (settlement units). */
export interface PositionMarginTerms {
  /** Equity contribution: uPnL + fundingPnL (options: q·c·V). */
  readonly pnl: Decimal;
  readonly maintenanceMargin: Decimal;
}

/**
 * Equity contribution and MM of a position at valuation price P (settlement units); same formulas as
 * evaluatePositionAt. FAST values options in double precision (searches only).
 */
export function marginTermsAt(pos: NPosition, mark: Decimal, mode: ValuationMode = 'PRECISE'): PositionMarginTerms {
  const v = valuePosition(pos, mark, mode);
  const maintenanceMargin = pos.market.option !== null ? optionRequirementsAt(pos, v).maintenanceMargin : maintenanceMarginAt(pos, v.notional);
  return { pnl: equityContributionOf(v), maintenanceMargin };
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
