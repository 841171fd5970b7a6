/**
 * Margin requirements of one delta-one position, in the settlement asset, rounded up to its decimals.
 *
 *   tier      = the tier whose [floor, cap) holds N (notional at the current mark)
 *   k         = max(imr, z·σ·√h) / imr             (volatility factor; 1 without adjustment)
 *   imr_oi    = imr_v + (1 − imr_v)·clamp((OI_notional − lower)/(upper − lower), 0, 1)   (IM only; optional step floor)
 *   imr_used  = max(imr_oi, 1/L)                     (user leverage L; optional)
 *   addon     = N·λ·√(N/D)                            (liquidity add-on; optional)
 *   IM        = ⌈N·imr_used + addon⌉
 *   MM        = ⌈max(0, N·mmr·k − cum·k) + addon⌉
 */
import type Decimal from 'decimal.js';
import type { InitialRateSource, InitialRateSteps } from './result';
import { ONE, ZERO, clampD, floorToStep, maxD, roundUp } from './decimal';
import { invalidSnapshot } from './errors';
import type { NMarket, NPosition, NTier } from './model';
import { findTierIndex } from './tiers';

export interface Requirements {
  readonly tier: NTier;
  readonly initialRate: InitialRateSteps;
  readonly volatilityFactor: Decimal;
  /** mmr·k. */
  readonly maintenanceRate: Decimal;
  /** cum·k (settlement units). */
  readonly maintenanceAmount: Decimal;
  readonly liquidityAddon: Decimal;
  readonly initialMargin: Decimal;
  readonly maintenanceMargin: Decimal;
}

/** Tier holding notional N (settlement units). */
export function tierFor(market: NMarket, notional: Decimal): NTier {
  const i = findTierIndex(
    market.tiers.map((t) => ({ notionalFloor: t.floor, notionalCap: t.cap })),
    notional,
  );
  if (i < 0) throw invalidSnapshot(`market ${market.symbol}: no tier holds notional ${notional}`, { market: market.symbol });
  return market.tiers[i]!;
}

/** Faster tier lookup on normalized tiers (same semantics as findTierIndex). */
export function tierForNotional(market: NMarket, notional: Decimal): NTier {
  const tiers = market.tiers;
  for (let i = tiers.length - 1; i >= 0; i--) {
    const t = tiers[i]!;
    if (notional.gte(t.floor)) {
      if (t.cap === null || notional.lt(t.cap)) return t;
      break;
    }
  }
  return tierFor(market, notional);
}

/** Volatility factor k = max(imr, z·σ·√h)/imr (dimensionless; 1 when not configured or imr = 0). */
export function volatilityFactor(market: NMarket, tier: NTier): Decimal {
  if (market.volatilityRate === null || tier.imr.isZero()) return ONE;
  return maxD(tier.imr, market.volatilityRate).div(tier.imr);
}

/** Liquidity add-on N·λ·√(N/D) in settlement units (0 when not configured). */
export function liquidityAddon(market: NMarket, notional: Decimal): Decimal {
  if (market.liquidity === null || notional.isZero()) return ZERO;
  return notional.mul(market.liquidity.lambda).mul(notional.div(market.liquidity.depth).sqrt());
}

/**
 * MM = ⌈max(0, N·mmr·k − cum·k) + addon⌉ at notional N (settlement units); the tier is looked up from N.
 */
export function maintenanceMarginAt(pos: NPosition, notional: Decimal): Decimal {
  const m = pos.market;
  const tier = tierForNotional(m, notional);
  const k = volatilityFactor(m, tier);
  // Same expression as requirementsAt, so both always agree to the last digit.
  const mm = maxD(ZERO, notional.mul(tier.mmr.mul(k)).sub(tier.cum.mul(k)));
  return roundUp(mm.add(liquidityAddon(m, notional)), m.settleDecimals);
}

/** Open-interest notional in quote: LINEAR OI·c·P, INVERSE OI·c (quote face value). */
function openInterestNotional(market: NMarket, openInterest: Decimal, mark: Decimal): Decimal {
  const face = openInterest.mul(market.c);
  return market.contractType === 'LINEAR' ? face.mul(mark) : face;
}

/** Full requirements of a position at notional N and mark P. */
export function requirementsAt(pos: NPosition, notional: Decimal, mark: Decimal): Requirements {
  const m = pos.market;
  const tier = tierForNotional(m, notional);
  const k = volatilityFactor(m, tier);
  const afterVolatility = tier.imr.mul(k);

  let afterOpenInterest = afterVolatility;
  let openInterestScale: Decimal | null = null;
  const oi = m.openInterestScaling;
  if (oi !== null) {
    const oiNotional = openInterestNotional(m, oi.openInterest, mark);
    openInterestScale = clampD(oiNotional.sub(oi.lowerCap).div(oi.upperCap.sub(oi.lowerCap)), ZERO, ONE);
    afterOpenInterest = afterVolatility.add(ONE.sub(afterVolatility).mul(openInterestScale));
    if (oi.rateStep !== null) afterOpenInterest = maxD(afterVolatility, floorToStep(afterOpenInterest, oi.rateStep));
  }

  const leverageRate = pos.leverageRate;
  const used = leverageRate !== null && leverageRate.gt(afterOpenInterest) ? leverageRate : afterOpenInterest;
  const source: InitialRateSource =
    leverageRate !== null && leverageRate.gt(afterOpenInterest)
      ? 'LEVERAGE'
      : afterOpenInterest.gt(afterVolatility)
        ? 'OPEN_INTEREST'
        : afterVolatility.gt(tier.imr)
          ? 'VOLATILITY'
          : 'TIER';

  const maintenanceRate = tier.mmr.mul(k);
  const maintenanceAmount = tier.cum.mul(k);
  const addon = liquidityAddon(m, notional);
  const initialMargin = roundUp(notional.mul(used).add(addon), m.settleDecimals);
  const mmRaw = maxD(ZERO, notional.mul(maintenanceRate).sub(maintenanceAmount));
  const maintenanceMargin = roundUp(mmRaw.add(addon), m.settleDecimals);

  return {
    tier,
    initialRate: Object.freeze({
      tier: tier.imr,
      afterVolatility,
      afterOpenInterest,
      leverageRate,
      used,
      source,
      openInterestScale,
    }),
    volatilityFactor: k,
    maintenanceRate,
    maintenanceAmount,
    liquidityAddon: addon,
    initialMargin,
    maintenanceMargin,
  };
}
