/**
 * Portfolio margin (DESIGN §4, PORTFOLIO accounts): per underlying with portfolio parameters, the cross positions on
 * it — options and quote-settled LINEAR perpetuals/futures — are revalued together on the standard 16-scenario array
 * of src/risk/options/portfolio-scan.ts (price ±1/3, 2/3, 3/3 of priceScanRange × U, each with vol ×(1 ± volScanRange);
 * price ± extremeMoveMultiple × range at extremeMoveCoverage, vol unchanged; price unchanged with vol up/down):
 *
 *   P&L_s  = coverage_s · Σ_i q_i·(value_i(U_s, shift_s) − value_i(U, 0))     (USD)
 *            option value per contract = c·V(U_s, σ(1 + shift))·X; linear value per contract = c·P·(U_s/U)·X
 *   IM     = ⌈max(max(0, −min_s P&L_s), shortOptionMinimum·U·Σ short option units)⌉
 *   MM     = ⌈IM · maintenanceFraction⌉                                       (valuation-asset decimals)
 *
 * The scanned positions' own IM/MM are then 0 (marginMethod PORTFOLIO). Underlyings without parameters, INVERSE
 * markets and LINEAR markets settled in their own base stay on the standard rules, listed as fallbacks.
 */
import type Decimal from 'decimal.js';
import type { PortfolioParams } from './types';
import type { PortfolioFallback, PortfolioScanRisk, PortfolioScenarioRisk } from './result';
import { ONE, roundUp, toD } from './decimal';
import type { NPosition, PreparedAccount } from './model';
import { portfolioScan, type ScanInstrument } from './options/portfolio-scan';
import { optionValueAt, optionValueFast, type ValuationMode } from './valuation';
import { own } from './lookup';

export interface PortfolioGroup {
  readonly underlying: string;
  readonly params: PortfolioParams;
  readonly positions: readonly NPosition[];
  /** Current underlying price (index of the underlying in the valuation asset). */
  readonly spot: Decimal;
  /** Decimals requirements round up to (the valuation asset's). */
  readonly decimals: number;
}

function scannable(p: NPosition): boolean {
  const m = p.market;
  if (m.option !== null) return true;
  return m.contractType === 'LINEAR' && m.settle !== m.base;
}

/** Scan groups and fallbacks of a PORTFOLIO account (empty for CROSS accounts). */
export function portfolioGroups(prepared: PreparedAccount): { groups: PortfolioGroup[]; fallbacks: PortfolioFallback[] } {
  const snapshot = prepared.snapshot;
  if (snapshot.marginMode !== 'PORTFOLIO') return { groups: [], fallbacks: [] };
  const byUnderlying = new Map<string, NPosition[]>();
  for (const p of prepared.positions) {
    if (p.marginType !== 'CROSS') continue;
    const list = byUnderlying.get(p.market.base) ?? [];
    list.push(p);
    byUnderlying.set(p.market.base, list);
  }
  const decimals = own(snapshot.assets, snapshot.valuationAsset)?.decimals ?? 8;
  const groups: PortfolioGroup[] = [];
  const fallbacks: PortfolioFallback[] = [];
  for (const u of [...byUnderlying.keys()].sort()) {
    const list = byUnderlying.get(u)!;
    const params = own(snapshot.portfolioParams, u);
    if (params === undefined) {
      fallbacks.push(Object.freeze({ underlying: u, reason: 'NO_PORTFOLIO_PARAMS', positionIds: Object.freeze(list.map((p) => p.id)) }));
      continue;
    }
    const spot = prepared.prices.optionalIndex(u);
    const scanned = spot === null ? [] : list.filter(scannable);
    const rest = spot === null ? list : list.filter((p) => !scannable(p));
    if (rest.length > 0) {
      fallbacks.push(Object.freeze({ underlying: u, reason: 'NOT_SCANNABLE', positionIds: Object.freeze(rest.map((p) => p.id)) }));
    }
    if (scanned.length > 0) {
      const norm: PortfolioParams = {
        priceScanRange: toD(params.priceScanRange),
        volScanRange: toD(params.volScanRange),
        extremeMoveMultiple: toD(params.extremeMoveMultiple),
        extremeMoveCoverage: toD(params.extremeMoveCoverage),
        shortOptionMinimum: toD(params.shortOptionMinimum),
        maintenanceFraction: toD(params.maintenanceFraction),
      };
      groups.push({ underlying: u, params: norm, positions: scanned, spot: spot!, decimals });
    }
  }
  return { groups, fallbacks };
}

/** Scan instruments of a group with the underlying at spot·s (values per contract in USD). */
function instruments(group: PortfolioGroup, s: Decimal, mode: ValuationMode): ScanInstrument[] {
  void s;
  return group.positions.map((p) => {
    const m = p.market;
    const x = p.settlePrice;
    if (m.option !== null) {
      const o = m.option;
      // U in the option's quote = (index of the underlying in USD) × U_q/U_usd, fixed ratio at the current prices.
      const toQuote = p.underlyingPrice!.div(group.spot);
      return {
        label: p.id,
        quantity: p.q,
        optionType: o.type,
        underlyingPerContract: m.c,
        value: (spot: Decimal, volShift: Decimal): Decimal => {
          const u = toD(spot).mul(toQuote);
          const v = mode === 'FAST' ? optionValueFast(o, u, toD(volShift)) : optionValueAt(o, u, toD(volShift)).value;
          return m.c.mul(v).mul(x);
        },
      };
    }
    const markPerSpot = p.mark.div(group.spot);
    return {
      label: p.id,
      quantity: p.q,
      optionType: null,
      value: (spot: Decimal): Decimal => m.c.mul(toD(spot).mul(markPerSpot)).mul(x),
    };
  });
}

/** The group's scan with its underlying at spot·s (s = 1: now). */
export function scanGroup(group: PortfolioGroup, s: Decimal = ONE, mode: ValuationMode = 'PRECISE'): PortfolioScanRisk {
  const spot = group.spot.mul(s);
  const r = portfolioScan(instruments(group, s, mode), spot, group.params);
  const scenario = (x: (typeof r.scenarios)[number]): PortfolioScenarioRisk =>
    Object.freeze({
      index: x.index,
      label: x.label,
      rangeFraction: x.rangeFraction,
      priceMove: x.priceMove,
      underlyingPrice: x.price,
      volShift: x.volShift,
      coverage: x.coverage,
      pnl: x.pnl,
    });
  const scenarios = r.scenarios.map(scenario);
  const initialMargin = roundUp(toD(r.initialMargin), group.decimals);
  return Object.freeze({
    underlying: group.underlying,
    underlyingPrice: spot,
    priceScanRange: group.params.priceScanRange,
    volScanRange: group.params.volScanRange,
    extremeMoveMultiple: group.params.extremeMoveMultiple,
    extremeMoveCoverage: group.params.extremeMoveCoverage,
    maintenanceFraction: group.params.maintenanceFraction,
    positionIds: Object.freeze(group.positions.map((p) => p.id)),
    scenarios: Object.freeze(scenarios),
    worstScenario: scenarios[r.worstScenario.index - 1]!,
    scanRisk: toD(r.scanRisk),
    shortOptionMinimum: toD(r.shortOptionMinimum),
    binding: r.binding,
    initialMargin,
    maintenanceMargin: roundUp(initialMargin.mul(group.params.maintenanceFraction), group.decimals),
  });
}

/** MM of the group (USD) with its underlying at spot·s. */
export function groupMaintenanceAt(group: PortfolioGroup, s: Decimal, mode: ValuationMode): Decimal {
  return scanGroup(group, s, mode).maintenanceMargin;
}
