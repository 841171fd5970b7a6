/**
 * Margin requirements of one delta-one position, in the settlement asset, rounded up to its decimals.
 *
 *   tier      = the tier whose [floor, cap) holds N (notional at the current mark)
 *   k         = max(imr, z·σ·√h) / imr             (volatility factor; 1 without adjustment)
 *   imr_oi    = imr_v + (1 − imr_v)·clamp((OI_notional − lower)/(upper − lower), 0, 1)   (IM only; optional step floor;
 *               rules/open-interest-scaling.ts)
 *   imr_used  = max(imr_oi, 1/L)                     (user leverage L; optional)
 *   addon     = N·λ·√(N/D)                            (liquidity add-on; optional)
 *   size      = N·k_im·|q| (IM), N_m·k_mm·|q| (MM)     (position-size add-on, rules/size-addon.ts; optional)
 *   fee       = f·N                                   (closing fee reserved in MM, rules/closing-fee.ts; f = 0 off)
 *   IM        = ⌈N·imr_used + size_im + addon⌉
 *   MM        = ⌈max(0, N_m·mmr·k − cum·k) + size_mm + addon(N_m) + fee⌉
 * with N_m the maintenance notional: N at the mark (basis MARK, DESIGN §4) or at the entry price (basis ENTRY, Bybit);
 * with basis ENTRY the MM tier and k are those of N_m.
 *
 * Short options (standard mode), per unit of underlying U with V the Black-Scholes-Merton value, OTM the out-of-the-money amount:
 *   IM = ⌈|q|·c·(V + max(α·U − OTM, β·U))⌉,   MM = ⌈|q|·c·(V + γ·U)⌉;   long options: 0.
 */
import type Decimal from 'decimal.js';
import type { InitialRateSource, InitialRateSteps, MarginMethod, OptionMarginBreakdown } from './result';
import { ONE, ZERO, maxD, roundUp } from './decimal';
import type { NMarket, NPosition, NTier } from './model';
import { maintenanceTerm, tierForNotional } from './rules/tier-rates';
import type { PositionValuation } from './valuation';
import { sizeAddonInitial, sizeAddonLine, sizeAddonMaintenance, type SizeAddonLine } from './rules/size-addon';
import { closingFeeAt } from './rules/closing-fee';
import { shortOptionLine } from './rules/short-option';
import { withUserLeverage } from './rules/user-leverage';
import { liquidityAddonAt } from './rules/liquidity-addon';
import { openInterestScaledRate } from './rules/open-interest-scaling';

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
  /** How the requirement was computed (optional for hand-built values; the engine always sets it). */
  readonly marginMethod?: MarginMethod;
  /** Notional MM was computed on (= N with basis MARK, the entry notional with basis ENTRY). */
  readonly maintenanceNotional?: Decimal;
  /** Tier of the maintenance notional (differs from `tier` only with basis ENTRY). */
  readonly maintenanceTier?: NTier;
  /** Short options: every input of the standard formula; null otherwise. */
  readonly optionMargin?: OptionMarginBreakdown | null;
  /** Position-size add-on line (rules/size-addon.ts); null when the market has none. */
  readonly sizeAddon?: SizeAddonLine | null;
  /** Closing fee f·N reserved in MM (rules/closing-fee.ts), settlement units; 0 when off. */
  readonly closingFee?: Decimal;
}

/**
 * Volatility factor k = max(imr, z·σ·√h)/imr (dimensionless; 1 when not configured or imr = 0). Computed once per
 * normalized market (model.ts normalizeTiers, same expression) and read from the tier.
 */
export function volatilityFactor(_market: NMarket, tier: NTier): Decimal {
  return tier.k;
}

/** Liquidity add-on N·λ·√(N/D) of the market in settlement units (0 when not configured): rules/liquidity-addon.ts. */
export function liquidityAddon(market: NMarket, notional: Decimal): Decimal {
  return liquidityAddonAt(market.liquidity, notional);
}

/** Entry notional: LINEAR |q|·c·E, INVERSE |q|·c/E (0 for a flat position). */
export function entryNotional(pos: NPosition): Decimal {
  if (pos.q.isZero()) return ZERO;
  return pos.market.contractType === 'LINEAR' ? pos.absQc.mul(pos.entry) : pos.absQc.div(pos.entry);
}

/** The notional MM is computed on: N (basis MARK) or the entry notional (basis ENTRY). */
export function maintenanceNotionalFor(pos: NPosition, notional: Decimal): Decimal {
  return pos.market.maintenanceBasis === 'ENTRY' ? entryNotional(pos) : notional;
}

/**
 * MM = ⌈max(0, N_m·mmr·k − cum·k) + addon⌉ at notional N (settlement units); N_m = N (basis MARK) or the entry
 * notional (basis ENTRY), and the tier is looked up from N_m.
 */
export function maintenanceMarginAt(pos: NPosition, notionalAtMark: Decimal): Decimal {
  const m = pos.market;
  const notional = maintenanceNotionalFor(pos, notionalAtMark);
  const tier = tierForNotional(m, notional);
  // Same expression as requirementsAt (mmr·k and cum·k precomputed per tier), so both always agree to the last digit.
  return roundUp(maintenanceSum(pos, notional, notionalAtMark, tier, liquidityAddon(m, notional)), m.settleDecimals);
}

/**
 * MM before the round-up (settlement units): max(0, N_m·mmr·k − cum·k) + size_mm(N_m) + addon(N_m) + f·N, with N_m the
 * maintenance notional (its tier `tier`) and N the notional at the mark (the closing fee's). The one expression of MM,
 * used by requirementsAt and maintenanceMarginAt alike.
 */
function maintenanceSum(pos: NPosition, mNotional: Decimal, notionalAtMark: Decimal, tier: NTier, addon: Decimal): Decimal {
  const m = pos.market;
  let sum = addIfNonZero(maintenanceTerm(mNotional, tier.mmrK, tier.cumK), addon);
  if (m.sizeAddon !== null) sum = sum.add(sizeAddonMaintenance(m.sizeAddon, pos.absQ, mNotional));
  if (!m.closingFeeRate.isZero()) sum = sum.add(closingFeeAt(m.closingFeeRate, notionalAtMark));
  return sum;
}

/**
 * a + b where b is usually an exact zero (no liquidity add-on): a + 0 is a (decimal.js returns a rounded copy of a,
 * and every `a` here is already a product at the engine precision, never a −0), so the addition is skipped.
 */
function addIfNonZero(a: Decimal, b: Decimal): Decimal {
  return b.isZero() && !a.isZero() ? a : a.add(b);
}

/** Which step set the initial rate used: user leverage, then OI scaling, then the volatility factor, else the tier. */
function initialRateSource(leverageBinds: boolean, afterOpenInterest: Decimal, afterVolatility: Decimal, tierRate: Decimal): InitialRateSource {
  if (leverageBinds) return 'LEVERAGE';
  if (afterOpenInterest.gt(afterVolatility)) return 'OPEN_INTEREST';
  return afterVolatility.gt(tierRate) ? 'VOLATILITY' : 'TIER';
}

/** Full requirements of a position at notional N and mark P. */
export function requirementsAt(pos: NPosition, notional: Decimal, mark: Decimal): Requirements {
  const m = pos.market;
  const tier = tierForNotional(m, notional);
  const k = tier.k;
  const afterVolatility = tier.imrK;

  let afterOpenInterest = afterVolatility;
  let openInterestScale: Decimal | null = null;
  const oi = m.openInterestScaling;
  if (oi !== null) {
    // rules/open-interest-scaling.ts
    const scaled = openInterestScaledRate(oi, m.contractType === 'LINEAR', m.c, mark, afterVolatility);
    openInterestScale = scaled.scale;
    afterOpenInterest = scaled.rate;
  }

  // rules/user-leverage.ts
  const leverageRate = pos.leverageRate;
  const { used, leverageBinds } = withUserLeverage(afterOpenInterest, leverageRate);

  const addon = liquidityAddon(m, notional);
  const sizeIm = m.sizeAddon === null ? ZERO : sizeAddonInitial(m.sizeAddon, pos.absQ, notional);
  const initialMargin = roundUp(addIfNonZero(addIfNonZero(notional.mul(used), addon), sizeIm), m.settleDecimals);
  // Maintenance on N (basis MARK) or on the entry notional (basis ENTRY, with its own tier and factor).
  const mNotional = maintenanceNotionalFor(pos, notional);
  const mTier = mNotional === notional ? tier : tierForNotional(m, mNotional);
  const maintenanceRate = mTier.mmrK;
  const maintenanceAmount = mTier.cumK;
  const mAddon = mNotional === notional ? addon : liquidityAddon(m, mNotional);
  const maintenanceMargin = roundUp(maintenanceSum(pos, mNotional, notional, mTier, mAddon), m.settleDecimals);

  return {
    tier,
    // Without OI scaling and user leverage the steps depend on the tier alone: the tier's shared frozen object.
    initialRate:
      oi === null && leverageRate === null
        ? tier.plainRate
        : Object.freeze({
            tier: tier.imr,
            afterVolatility,
            afterOpenInterest,
            leverageRate,
            used,
            source: initialRateSource(leverageBinds, afterOpenInterest, afterVolatility, tier.imr),
            openInterestScale,
          }),
    volatilityFactor: k,
    maintenanceRate,
    maintenanceAmount,
    liquidityAddon: addon,
    initialMargin,
    maintenanceMargin,
    marginMethod: 'TIERED',
    maintenanceNotional: mNotional,
    maintenanceTier: mTier,
    optionMargin: null,
    sizeAddon: m.sizeAddon === null ? null : sizeAddonLine(m.sizeAddon, pos.absQ, notional, mNotional),
    closingFee: closingFeeAt(m.closingFeeRate, notional),
  };
}

const ZERO_RATE_STEPS: InitialRateSteps = Object.freeze({
  tier: ZERO,
  afterVolatility: ZERO,
  afterOpenInterest: ZERO,
  leverageRate: null,
  used: ZERO,
  source: 'TIER',
  openInterestScale: null,
});

/**
 * Requirements of an option position (standard mode) from its valuation: short → the α/β/γ rule on U and the model
 * value V; long or flat → 0. Tier fields are informational (the tier holding the underlying notional) and every rate
 * is 0: the numbers come from `optionMargin`.
 */
export function optionRequirementsAt(pos: NPosition, v: PositionValuation): Requirements {
  const m = pos.market;
  const o = m.option!;
  const ov = v.option!;
  const tier = tierForNotional(m, v.notional);
  let initialMargin = ZERO;
  let maintenanceMargin = ZERO;
  let optionMargin: OptionMarginBreakdown | null = null;
  const short = pos.q.isNeg();
  if (short) {
    optionMargin = shortOptionLine({
      params: o.margin,
      paramsSource: o.marginParamsSource,
      type: o.type,
      strike: o.strike,
      underlyingPrice: ov.underlyingPrice,
      optionValue: ov.value,
      units: pos.absQc,
    });
    initialMargin = roundUp(pos.absQc.mul(optionMargin.initialPerUnit), m.settleDecimals);
    maintenanceMargin = roundUp(pos.absQc.mul(optionMargin.maintenancePerUnit), m.settleDecimals);
  }
  return {
    tier,
    initialRate: ZERO_RATE_STEPS,
    volatilityFactor: ONE,
    maintenanceRate: ZERO,
    maintenanceAmount: ZERO,
    liquidityAddon: ZERO,
    initialMargin,
    maintenanceMargin,
    marginMethod: short ? 'SHORT_OPTION' : 'LONG_OPTION',
    maintenanceNotional: v.notional,
    maintenanceTier: tier,
    optionMargin,
    sizeAddon: null,
    closingFee: ZERO,
  };
}
