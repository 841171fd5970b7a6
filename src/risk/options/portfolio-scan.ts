/**
 * SPAN-like scanning risk for the positions on one underlying (DESIGN §4, portfolio mode).
 *
 * Scenario array (CME SPAN's standard 16, with R = priceScanRange × spot, v = volScanRange):
 *   1–2    price unchanged,        vol +v / −v, coverage 1
 *   3–14   price ±1/3, ±2/3, ±3/3 of R (up before down), each with vol +v / −v, coverage 1
 *   15–16  price ±extremeMoveMultiple × R, vol UNCHANGED (as CME SPAN), coverage = extremeMoveCoverage
 * Scenario price = max(spot + move, 0) (a move below zero is clamped).
 *
 *   P&L_s   = coverage_s × Σ_i quantity_i × (value_i(price_s, volShift_s) − value_i(spot, 0))     (quote)
 *   scanRisk = max(0, −min_s P&L_s)
 *   shortOptionMinimum = shortOptionMinimum × spot × Σ_{short options} |quantity| × underlyingPerContract
 *   IM = max(scanRisk, shortOptionMinimum),   MM = IM × maintenanceFraction
 *
 * Ties between scenarios resolve to the earliest in the array. Pure: time to expiry etc. are captured by each
 * instrument's revaluation function.
 */
import type Decimal from 'decimal.js';
import type { OptionType, PortfolioParams } from '../types';
import { bsm } from './black';
import { D, DecimalValue, toD } from './decimal-math';

/** One position on the underlying, revalued per scenario. */
export interface ScanInstrument {
  /** Optional label carried into the result (e.g. the market symbol). */
  readonly label?: string;
  /** Signed quantity in contracts (long > 0). */
  readonly quantity: Decimal;
  /**
   * Value of ONE contract (quote currency) when the underlying is at `spot` and implied vol is shifted by
   * `volShift` (a signed fraction: +volScanRange for vol up, −volScanRange for vol down, 0 otherwise; how it is
   * applied — relative or absolute — is the instrument's choice). `value(currentSpot, 0)` is the current value.
   */
  value(spot: Decimal, volShift: Decimal): Decimal;
  /** Set for options; counted in the short option minimum when quantity < 0. */
  readonly optionType?: OptionType | null;
  /** Units of underlying per contract for the short option minimum; default 1. */
  readonly underlyingPerContract?: Decimal;
}

export type ScanParams = Pick<
  PortfolioParams,
  'priceScanRange' | 'volScanRange' | 'extremeMoveMultiple' | 'extremeMoveCoverage' | 'shortOptionMinimum' | 'maintenanceFraction'
>;

/**
 * How short options are counted for the minimum: 'SUM' (all short option contracts, the default, conservative) or
 * 'MAX_CALLS_PUTS' (max of short calls and short puts, as CME SPAN counts them).
 */
export type ShortOptionCounting = 'SUM' | 'MAX_CALLS_PUTS';

export interface ScanScenario {
  /** 1-based index in the standard array. */
  readonly index: number;
  /** Human-readable label, e.g. "price +2/3 range, vol up". */
  readonly label: string;
  /** Price move as a fraction of the scan range (−3 … 3 in thirds, or ±extremeMoveMultiple). */
  readonly rangeFraction: Decimal;
  /** Absolute price move in quote (before clamping at 0). */
  readonly priceMove: Decimal;
  /** Underlying price used in the scenario (spot + move, floored at 0). */
  readonly price: Decimal;
  /** Vol shift passed to the instruments: +volScanRange, −volScanRange or 0. */
  readonly volShift: Decimal;
  /** Fraction of the P&L that counts (1, or extremeMoveCoverage). */
  readonly coverage: Decimal;
  /** Covered P&L of the whole book (quote); negative = loss. */
  readonly pnl: Decimal;
}

export interface ScanResult {
  readonly scenarios: readonly ScanScenario[];
  /** The scenario with the lowest covered P&L (earliest on ties). */
  readonly worstScenario: ScanScenario;
  /** max(0, −worst P&L). */
  readonly scanRisk: Decimal;
  /** Short option minimum charge (quote). */
  readonly shortOptionMinimum: Decimal;
  /** Short option contracts counted for the minimum (in underlying units). */
  readonly shortOptionUnits: Decimal;
  /** Which figure set IM: the scan or the short option minimum (the scan wins ties). */
  readonly binding: 'SCAN_RISK' | 'SHORT_OPTION_MINIMUM';
  /** IM = max(scanRisk, shortOptionMinimum). */
  readonly initialMargin: Decimal;
  /** MM = IM × maintenanceFraction. */
  readonly maintenanceMargin: Decimal;
  /** Current value of the book Σ quantity × value(spot, 0) (quote). */
  readonly currentValue: Decimal;
}

interface ScenarioSpec {
  readonly label: string;
  readonly rangeFraction: Decimal;
  readonly volSign: -1 | 0 | 1;
  readonly extreme: boolean;
}

/** The 16 standard scenario definitions (price move in units of the scan range, vol direction, extreme flag). */
export function standardScenarioSpecs(extremeMoveMultiple: DecimalValue): readonly ScenarioSpec[] {
  const specs: ScenarioSpec[] = [];
  const moves: Array<[string, Decimal]> = [['unchanged', new D(0)]];
  for (const k of [1, 2, 3]) {
    moves.push([`+${k}/3 range`, new D(k).div(3)]);
    moves.push([`-${k}/3 range`, new D(-k).div(3)]);
  }
  for (const [name, frac] of moves) {
    const p = name === 'unchanged' ? 'price unchanged' : `price ${name}`;
    specs.push({ label: `${p}, vol up`, rangeFraction: frac, volSign: 1, extreme: false });
    specs.push({ label: `${p}, vol down`, rangeFraction: frac, volSign: -1, extreme: false });
  }
  const m = toD(extremeMoveMultiple);
  specs.push({ label: `price +${m.toString()}x range (extreme), vol unchanged`, rangeFraction: m, volSign: 0, extreme: true });
  specs.push({ label: `price -${m.toString()}x range (extreme), vol unchanged`, rangeFraction: m.neg(), volSign: 0, extreme: true });
  return specs;
}

/** Runs the 16-scenario scan over the book; see the module doc for the formulas. */
export function portfolioScan(
  instruments: readonly ScanInstrument[],
  spot: DecimalValue,
  params: ScanParams,
  options: { readonly shortOptionCounting?: ShortOptionCounting } = {},
): ScanResult {
  const S = toD(spot);
  if (S.lte(0)) throw new RangeError('portfolioScan: spot must be > 0');
  const range = toD(params.priceScanRange);
  const volRange = toD(params.volScanRange);
  const coverageExtreme = toD(params.extremeMoveCoverage);
  if (range.isNegative() || volRange.isNegative()) throw new RangeError('portfolioScan: scan ranges must be ≥ 0');
  if (coverageExtreme.isNegative()) throw new RangeError('portfolioScan: extreme coverage must be ≥ 0');

  const zero = new D(0);
  const base = instruments.map((ins) => toD(ins.value(S, zero)));
  const currentValue = instruments.reduce((acc, ins, i) => acc.plus(toD(ins.quantity).times(base[i])), zero);

  const scanRangeAbs = S.times(range);
  const scenarios: ScanScenario[] = standardScenarioSpecs(params.extremeMoveMultiple).map((spec, idx) => {
    const priceMove = scanRangeAbs.times(spec.rangeFraction);
    const price = D.max(S.plus(priceMove), 0);
    const volShift = volRange.times(spec.volSign);
    const coverage = spec.extreme ? coverageExtreme : new D(1);
    let raw = zero;
    instruments.forEach((ins, i) => {
      raw = raw.plus(toD(ins.quantity).times(toD(ins.value(price, volShift)).minus(base[i])));
    });
    return { index: idx + 1, label: spec.label, rangeFraction: spec.rangeFraction, priceMove, price, volShift, coverage, pnl: raw.times(coverage) };
  });

  let worstScenario = scenarios[0];
  for (const s of scenarios) if (s.pnl.lt(worstScenario.pnl)) worstScenario = s;
  const scanRisk = D.max(worstScenario.pnl.neg(), 0);

  let shortCalls = zero;
  let shortPuts = zero;
  for (const ins of instruments) {
    const q = toD(ins.quantity);
    if (!ins.optionType || !q.isNegative()) continue;
    const units = q.abs().times(toD(ins.underlyingPerContract ?? 1));
    if (ins.optionType === 'CALL') shortCalls = shortCalls.plus(units);
    else shortPuts = shortPuts.plus(units);
  }
  const shortOptionUnits = options.shortOptionCounting === 'MAX_CALLS_PUTS' ? D.max(shortCalls, shortPuts) : shortCalls.plus(shortPuts);
  const shortOptionMinimum = shortOptionUnits.times(toD(params.shortOptionMinimum)).times(S);

  const binding = shortOptionMinimum.gt(scanRisk) ? 'SHORT_OPTION_MINIMUM' : 'SCAN_RISK';
  const initialMargin = D.max(scanRisk, shortOptionMinimum);
  return {
    scenarios,
    worstScenario,
    scanRisk,
    shortOptionMinimum,
    shortOptionUnits,
    binding,
    initialMargin,
    maintenanceMargin: initialMargin.times(toD(params.maintenanceFraction)),
    currentValue,
  };
}

/** How an option instrument applies the scenario vol shift: σ·(1 + shift) or σ + shift (floored at 0). */
export type VolShiftMode = 'RELATIVE' | 'ABSOLUTE';

export interface OptionScanInstrumentInput {
  readonly label?: string;
  readonly type: OptionType;
  readonly strike: DecimalValue;
  /** Current implied vol σ (annualized fraction). */
  readonly vol: DecimalValue;
  /** Time to expiry in years at the evaluation time (ACT/365). */
  readonly timeYears: DecimalValue;
  /** Signed contracts. */
  readonly quantity: DecimalValue;
  /** Units of underlying per contract; default 1. */
  readonly contractSize?: DecimalValue;
  readonly rate?: DecimalValue;
  readonly dividendYield?: DecimalValue;
  /** Default 'RELATIVE' (volScanRange 0.25 = vol × 1.25 / × 0.75). */
  readonly volShiftMode?: VolShiftMode;
}

/**
 * An option as a scan instrument: value per contract = contractSize × BSM value (Black-76 on F = S e^{(r−q)T}) at
 * the scenario spot with σ' = σ(1 + shift) (RELATIVE) or σ + shift (ABSOLUTE), σ' floored at 0.
 */
export function optionScanInstrument(input: OptionScanInstrumentInput): ScanInstrument {
  const sigma = toD(input.vol);
  const size = toD(input.contractSize ?? 1);
  const mode = input.volShiftMode ?? 'RELATIVE';
  return {
    label: input.label,
    quantity: toD(input.quantity),
    optionType: input.type,
    underlyingPerContract: size,
    value(spot: Decimal, volShift: Decimal): Decimal {
      const shifted = mode === 'RELATIVE' ? sigma.times(toD(volShift).plus(1)) : sigma.plus(toD(volShift));
      const g = bsm({
        type: input.type,
        spot,
        strike: input.strike,
        vol: D.max(shifted, 0),
        timeYears: input.timeYears,
        rate: input.rate ?? 0,
        dividendYield: input.dividendYield ?? 0,
      });
      return g.price.times(size);
    },
  };
}

/**
 * A linear (delta-one) instrument: spot, future or linear perpetual. Value per contract = contractSize × spot, so
 * its scenario P&L is quantity × contractSize × (price − spot); insensitive to vol.
 */
export function linearScanInstrument(input: { readonly label?: string; readonly quantity: DecimalValue; readonly contractSize?: DecimalValue }): ScanInstrument {
  const size = toD(input.contractSize ?? 1);
  return {
    label: input.label,
    quantity: toD(input.quantity),
    optionType: null,
    value(spot: Decimal): Decimal {
      return toD(spot).times(size);
    },
  };
}
