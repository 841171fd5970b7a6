/**
 * Standard (strategy-based) short option margin, DESIGN §4:
 *   IM = V + max(α·U − OTM, β·U),   MM = V + γ·U      per unit of underlying,
 * with U the underlying price, V the option's mark value, OTM the out-of-the-money amount
 *   OTM_call = max(K − U, 0),   OTM_put = max(U − K, 0).
 * All amounts are in quote currency per unit of underlying unless stated; a position multiplies by its size in
 * units of underlying (|contracts| × contract size). Long options carry no requirement (their value is equity).
 * Pure functions.
 */
import type Decimal from 'decimal.js';
import type { OptionMarginParams, OptionType } from '../types';
import type { OptionMarginBreakdown } from '../result';
import { ZERO, maxD } from '../decimal';
import { D, DecimalValue, toD } from '../options/decimal-math';
import type { ParameterSpec } from './schema';

/**
 * API bounds of α, β, γ (upsertMarket `optionAlpha`, `optionBeta`, `optionGamma`): each in (0, 1], given together,
 * β ≤ α (the β floor never exceeds the α term at the money). OPTION markets only (checked by the mutation).
 */
export const SHORT_OPTION_PARAMETERS: ParameterSpec = {
  fields: [
    { field: 'optionAlpha', max: '1', positive: true },
    { field: 'optionBeta', max: '1', positive: true },
    { field: 'optionGamma', max: '1', positive: true },
  ],
  together: ['optionAlpha', 'optionBeta', 'optionGamma'],
  ordered: [{ lower: 'optionBeta', upper: 'optionAlpha', report: 'lower' }],
};

/**
 * The engine's short-option line (PositionRisk.optionMargin), at the engine's precision, per unit of underlying in
 * quote currency: OTM = call max(K − U, 0), put max(U − K, 0); IM per unit = V + max(α·U − OTM, β·U);
 * MM per unit = V + γ·U; the position's IM and MM are units × these (units = |q|·c), rounded up by the caller.
 */
export function shortOptionLine(args: {
  readonly params: OptionMarginParams;
  readonly paramsSource: 'MARKET' | 'DEFAULT';
  readonly type: OptionType;
  readonly strike: Decimal;
  /** U. */
  readonly underlyingPrice: Decimal;
  /** V per unit. */
  readonly optionValue: Decimal;
  /** |q|·c. */
  readonly units: Decimal;
}): OptionMarginBreakdown {
  const { alpha, beta, gamma } = args.params;
  const u = args.underlyingPrice;
  const otm = maxD(args.type === 'CALL' ? args.strike.sub(u) : u.sub(args.strike), ZERO);
  const alphaTerm = alpha.mul(u).sub(otm);
  const betaTerm = beta.mul(u);
  const initialExPremium = maxD(alphaTerm, betaTerm);
  const maintenanceExPremium = gamma.mul(u);
  return Object.freeze({
    formula: 'IM = units·(V + max(α·U − OTM, β·U)); MM = units·(V + γ·U)',
    alpha,
    beta,
    gamma,
    paramsSource: args.paramsSource,
    underlyingPrice: u,
    strike: args.strike,
    outOfTheMoney: otm,
    optionValue: args.optionValue,
    units: args.units,
    initialExPremium,
    maintenanceExPremium,
    initialPerUnit: args.optionValue.add(initialExPremium),
    maintenancePerUnit: args.optionValue.add(maintenanceExPremium),
    initialTerm: alphaTerm.gte(betaTerm) ? 'ALPHA' : 'BETA',
  });
}

/** α, β, γ of the standard formula (dimensionless fractions of the underlying price). */
export type ShortOptionMarginParams = OptionMarginParams;

/** Deribit: α = 0.15, β = 0.10, γ = 0.075. */
export const DERIBIT_OPTION_MARGIN: ShortOptionMarginParams = Object.freeze({
  alpha: new D('0.15'),
  beta: new D('0.10'),
  gamma: new D('0.075'),
});

/**
 * US equity strategy-based rules (Cboe / FINRA 4210 naked short option): α = 0.20, β = 0.10.
 * The rules define only the (initial = maintenance) requirement; for the separate MM term we choose γ = 0.10,
 * i.e. MM = V + 10%·U, which equals the rules' floor (β·U) and so never exceeds IM.
 */
export const US_STRATEGY_OPTION_MARGIN: ShortOptionMarginParams = Object.freeze({
  alpha: new D('0.20'),
  beta: new D('0.10'),
  gamma: new D('0.10'),
});

/** Out-of-the-money amount per unit of underlying: call max(K − U, 0), put max(U − K, 0). */
export function outOfTheMoneyAmount(type: OptionType, underlying: DecimalValue, strike: DecimalValue): Decimal {
  const u = toD(underlying);
  const k = toD(strike);
  return D.max(type === 'CALL' ? k.minus(u) : u.minus(k), 0);
}

export interface ShortOptionMarginInput {
  readonly type: OptionType;
  /** Underlying price U (quote per unit of underlying), > 0. */
  readonly underlying: DecimalValue;
  readonly strike: DecimalValue;
  /** Mark value V of the option, quote per unit of underlying, ≥ 0. */
  readonly optionValue: DecimalValue;
  readonly params: ShortOptionMarginParams;
}

export interface ShortOptionMarginPerUnit {
  /** IM = V + max(α·U − OTM, β·U), quote per unit of underlying. */
  readonly initial: Decimal;
  /** MM = V + γ·U, quote per unit of underlying. */
  readonly maintenance: Decimal;
  /** OTM amount used. */
  readonly otm: Decimal;
  /** max(α·U − OTM, β·U): the part of IM beyond the premium. */
  readonly initialExPremium: Decimal;
  /** γ·U: the part of MM beyond the premium. */
  readonly maintenanceExPremium: Decimal;
}

/** Per unit of underlying: IM = V + max(α·U − OTM, β·U), MM = V + γ·U (quote). */
export function shortOptionMarginPerUnit(input: ShortOptionMarginInput): ShortOptionMarginPerUnit {
  const u = toD(input.underlying);
  const v = toD(input.optionValue);
  if (u.isNegative()) throw new RangeError('shortOptionMargin: underlying must be ≥ 0');
  if (v.isNegative()) throw new RangeError('shortOptionMargin: option value must be ≥ 0');
  const { alpha, beta, gamma } = input.params;
  const otm = outOfTheMoneyAmount(input.type, u, input.strike);
  const initialExPremium = D.max(toD(alpha).times(u).minus(otm), toD(beta).times(u));
  const maintenanceExPremium = toD(gamma).times(u);
  return {
    initial: v.plus(initialExPremium),
    maintenance: v.plus(maintenanceExPremium),
    otm,
    initialExPremium,
    maintenanceExPremium,
  };
}

export interface OptionPositionMarginInput extends ShortOptionMarginInput {
  /** Signed position size in units of underlying (contracts × contract size); long > 0. */
  readonly units: DecimalValue;
}

export interface OptionPositionMargin {
  /** Quote currency for the whole position; 0 for a long or flat position. */
  readonly initial: Decimal;
  readonly maintenance: Decimal;
  /** The per-unit figures (null for long or flat positions). */
  readonly perUnit: ShortOptionMarginPerUnit | null;
}

/**
 * Requirement of an option position: short (units < 0) → |units| × per-unit IM / MM; long or flat → 0.
 */
export function optionPositionMargin(input: OptionPositionMarginInput): OptionPositionMargin {
  const units = toD(input.units);
  if (!units.isNegative() || units.isZero()) return { initial: new D(0), maintenance: new D(0), perUnit: null };
  const perUnit = shortOptionMarginPerUnit(input);
  const n = units.abs();
  return { initial: perUnit.initial.times(n), maintenance: perUnit.maintenance.times(n), perUnit };
}

export interface StrategyRequirementExPremiumInput {
  readonly type: OptionType;
  readonly underlying: DecimalValue;
  readonly strike: DecimalValue;
  /** Number of short contracts (positive). */
  readonly contracts: DecimalValue;
  /** Shares (units of underlying) per contract, e.g. 100. */
  readonly multiplier: DecimalValue;
  /** Defaults to US_STRATEGY_OPTION_MARGIN (α = 0.20, β = 0.10). */
  readonly params?: Pick<ShortOptionMarginParams, 'alpha' | 'beta'>;
}

/**
 * Strategy-based naked short option requirement excluding the premium (the Cboe tables' convention, where the
 * sale proceeds are applied): req = max(α·U − OTM, β·U) × contracts × multiplier, in quote currency.
 * Cboe example: 100 IBM 100-calls, U = 97.73 → max(19.546 − 2.27, 9.773) × 10 000 = 172 760.
 */
export function strategyRequirementExPremium(input: StrategyRequirementExPremiumInput): Decimal {
  const params = input.params ?? US_STRATEGY_OPTION_MARGIN;
  const u = toD(input.underlying);
  const contracts = toD(input.contracts);
  if (contracts.isNegative()) throw new RangeError('strategyRequirementExPremium: contracts must be ≥ 0');
  const otm = outOfTheMoneyAmount(input.type, u, input.strike);
  const perUnit = D.max(toD(params.alpha).times(u).minus(otm), toD(params.beta).times(u));
  return perUnit.times(contracts).times(toD(input.multiplier));
}
