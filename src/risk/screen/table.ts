/**
 * The screen's per-market and per-asset table: every price-dependent, account-independent quantity the screen needs,
 * computed ONCE by the exact engine's own code (prepareAccount, requirementsAt, optionValueAt, optionRequirementsAt,
 * PriceBook) on the market context, and converted to bounded doubles (bounds.ts). Reused by every account screened
 * against that context; rebuilt after a price, funding, volatility or parameter change (a new context).
 *
 * Per market: contract size c; mark P (LINEAR) or 1/P (INVERSE, the engine's ONE.div(P)); the funding index F; the
 * settlement asset's index price X; the settlement decimals' rounding step; per tier: floor, cap, the initial rate
 * after volatility and open-interest scaling (imr_oi, position-independent: it depends on the tier and the mark only),
 * mmr·k and cum·k; the liquidity add-on's λ and depth; options: the Black-Scholes-Merton value V at the current underlying price
 * U and the short-option per-unit requirements V + max(α·U − OTM, β·U) and V + γ·U.
 * Per asset: index price and the four collateral weights.
 *
 * A market or asset the exact engine would refuse (missing, stale or non-positive price, invalid parameters, an
 * unsupported kind) or whose schedule the screen does not model (gaps, a capped last tier, negative cum) is kept with
 * the reason: every account touching it falls back to the exact engine, which reports the error itself.
 */
import type Decimal from 'decimal.js';
import type { AccountSnapshot, PositionSnapshot } from '../types';
import { D, ONE, ZERO, compareD } from '../decimal';
import { RiskEngineError } from '../errors';
import { own } from '../lookup';
import { prepareAccount, type NPosition } from '../model';
import { PriceBook } from '../prices';
import { optionRequirementsAt, requirementsAt } from '../requirements';
import { valueOption } from '../valuation';
import { ceilStep, conversionError } from './bounds';

/** Why an account goes to the exact engine (a bounded set: metric label values). */
export type ScreenFallbackReason =
  /** The snapshot's market context is not the table's. */
  | 'CONTEXT_MISMATCH'
  /** The exact engine refuses the snapshot (INVALID_SNAPSHOT): it reports the error. */
  | 'INVALID_INPUT'
  /** A price the account needs is missing, stale or not positive (MISSING_PRICE, STALE_PRICE). */
  | 'PRICE_UNAVAILABLE'
  /** UNSUPPORTED_MARKET_KIND (isolated or inverse options) or a kind the screen does not know. */
  | 'UNSUPPORTED'
  /** A PORTFOLIO account with an underlying that has portfolio parameters: the scan is not screened. */
  | 'PORTFOLIO_SCAN'
  /** A tier schedule the screen does not model (gaps, capped last tier, negative maintenance amount). */
  | 'TIER_SCHEDULE'
  /** A margin rule the screen does not model (the position-size add-on, the closing fee reserved in MM). */
  | 'UNMODELLED_RULE'
  /** A notional whose bound straddles a tier boundary. */
  | 'TIER_BOUNDARY'
  /** The bound is too wide to decide (the account is within rounding of a boundary), or not finite. */
  | 'TOO_CLOSE';

export const SCREEN_FALLBACK_REASONS: readonly ScreenFallbackReason[] = Object.freeze([
  'CONTEXT_MISMATCH',
  'INVALID_INPUT',
  'PRICE_UNAVAILABLE',
  'UNSUPPORTED',
  'PORTFOLIO_SCAN',
  'TIER_SCHEDULE',
  'UNMODELLED_RULE',
  'TIER_BOUNDARY',
  'TOO_CLOSE',
]);

/** How a market's positions are valued by the screen. */
export type ScreenMarketModel = 'LINEAR' | 'INVERSE' | 'OPTION';

/** Tiers of a market as bounded doubles, one array per field, ascending (index = tier index). */
export interface ScreenTiers {
  readonly count: number;
  readonly floor: Float64Array;
  readonly floorErr: Float64Array;
  /** Infinity for the open last tier. */
  readonly cap: Float64Array;
  readonly capErr: Float64Array;
  /** imr after the volatility factor and OI scaling (before user leverage). */
  readonly rate: Float64Array;
  readonly rateErr: Float64Array;
  readonly mmrK: Float64Array;
  readonly mmrKErr: Float64Array;
  readonly cumK: Float64Array;
  readonly cumKErr: Float64Array;
}

/** One market of the table (settlement units unless stated). */
export interface ScreenMarket {
  readonly symbol: string;
  /** Null when usable; otherwise why its positions fall back. */
  readonly unusable: ScreenFallbackReason | null;
  readonly model: ScreenMarketModel;
  readonly base: string;
  /** The context has portfolio parameters for the base: a PORTFOLIO account's cross position here is scanned. */
  readonly portfolioScan: boolean;
  readonly c: number;
  readonly cErr: number;
  /** LINEAR: the mark P; INVERSE: 1/P (the engine's value); OPTION: the underlying price U. */
  readonly price: number;
  readonly priceErr: number;
  readonly fundingIndex: number;
  readonly fundingIndexErr: number;
  /** Index price of the settlement asset in the valuation asset. */
  readonly settlePrice: number;
  readonly settlePriceErr: number;
  /** An upper bound of 10^−settleDecimals (requirements round up to it). */
  readonly settleStep: number;
  readonly entryBasis: boolean;
  readonly tiers: ScreenTiers;
  /** Liquidity add-on λ and book depth; `hasLiquidity` false = no add-on. */
  readonly hasLiquidity: boolean;
  readonly lambda: number;
  readonly lambdaErr: number;
  readonly depth: number;
  readonly depthErr: number;
  /** Options: V, and the short-option per-unit IM and MM (quote per unit of underlying). */
  readonly optionValue: number;
  readonly optionValueErr: number;
  readonly optionInitialPerUnit: number;
  readonly optionInitialPerUnitErr: number;
  readonly optionMaintenancePerUnit: number;
  readonly optionMaintenancePerUnitErr: number;
}

/** One asset of the table: index price in the valuation asset and its weights. */
export interface ScreenAsset {
  readonly symbol: string;
  readonly unusable: ScreenFallbackReason | null;
  readonly index: number;
  readonly indexErr: number;
  /** Asset weights (positive balance) and liability weights (negative balance). */
  readonly initialWeight: number;
  readonly initialWeightErr: number;
  readonly maintenanceWeight: number;
  readonly maintenanceWeightErr: number;
  readonly initialLiabilityWeight: number;
  readonly initialLiabilityWeightErr: number;
  readonly maintenanceLiabilityWeight: number;
  readonly maintenanceLiabilityWeightErr: number;
}

/** The market context a table is built from: an account snapshot without the account (see MarketContext). */
export type ScreenContext = Pick<
  AccountSnapshot,
  'markets' | 'assets' | 'markPrices' | 'indexPrices' | 'portfolioParams' | 'asOfMs' | 'valuationAsset' | 'maxIndexPriceAgeSeconds'
>;

export interface ScreenTable {
  readonly context: ScreenContext;
  readonly markets: ReadonlyMap<string, ScreenMarket>;
  readonly assets: ReadonlyMap<string, ScreenAsset>;
  /** Markets and assets by their symbol's id (`marketId`, `assetId`); undefined = not in the context. */
  readonly marketById: readonly (ScreenMarket | undefined)[];
  readonly assetById: readonly (ScreenAsset | undefined)[];
}

/**
 * Small integer ids of market and asset symbols, shared by every table and prepared account of the process, so that a
 * prepared account finds its markets in any table by index, without a lookup by name per position and tick. An
 * interning table (same symbol, same id; never changes a result), growing with the distinct symbols seen.
 */
const MARKET_IDS = new Map<string, number>();
const ASSET_IDS = new Map<string, number>();

function idOf(ids: Map<string, number>, symbol: string): number {
  let id = ids.get(symbol);
  if (id === undefined) {
    id = ids.size;
    ids.set(symbol, id);
  }
  return id;
}

/** The id of a market symbol (see MARKET_IDS). */
export function marketId(symbol: string): number {
  return idOf(MARKET_IDS, symbol);
}

/** The id of an asset symbol. */
export function assetId(symbol: string): number {
  return idOf(ASSET_IDS, symbol);
}

/** A Decimal's double, and its conversion error (bounds.ts). */
function dbl(x: Decimal): number {
  return x.toNumber();
}

function reasonOf(error: unknown): ScreenFallbackReason {
  if (!(error instanceof RiskEngineError)) return 'INVALID_INPUT';
  switch (error.code) {
    case 'MISSING_PRICE':
    case 'STALE_PRICE':
      return 'PRICE_UNAVAILABLE';
    case 'UNSUPPORTED_MARKET_KIND':
      return 'UNSUPPORTED';
    case 'INVALID_SNAPSHOT':
      return 'INVALID_INPUT';
  }
}

const EMPTY_TIERS: ScreenTiers = {
  count: 0,
  floor: new Float64Array(0),
  floorErr: new Float64Array(0),
  cap: new Float64Array(0),
  capErr: new Float64Array(0),
  rate: new Float64Array(0),
  rateErr: new Float64Array(0),
  mmrK: new Float64Array(0),
  mmrKErr: new Float64Array(0),
  cumK: new Float64Array(0),
  cumKErr: new Float64Array(0),
};

function unusableMarket(symbol: string, reason: ScreenFallbackReason): ScreenMarket {
  return {
    symbol,
    unusable: reason,
    model: 'LINEAR',
    base: '',
    portfolioScan: false,
    c: NaN,
    cErr: NaN,
    price: NaN,
    priceErr: NaN,
    fundingIndex: NaN,
    fundingIndexErr: NaN,
    settlePrice: NaN,
    settlePriceErr: NaN,
    settleStep: NaN,
    entryBasis: false,
    tiers: EMPTY_TIERS,
    hasLiquidity: false,
    lambda: NaN,
    lambdaErr: NaN,
    depth: NaN,
    depthErr: NaN,
    optionValue: NaN,
    optionValueErr: NaN,
    optionInitialPerUnit: NaN,
    optionInitialPerUnitErr: NaN,
    optionMaintenancePerUnit: NaN,
    optionMaintenancePerUnitErr: NaN,
  };
}

/** The engine's normalized view of one market: a flat position on it, prepared by the engine itself. */
export function flatPositionOn(context: ScreenContext, symbol: string): NPosition {
  const flat: PositionSnapshot = {
    id: 'screen-table',
    market: symbol,
    size: ZERO,
    entryPrice: ZERO,
    realizedPnl: ZERO,
    fundingIndex: ZERO,
    marginType: 'CROSS',
    isolatedMargin: ZERO,
    leverage: null,
  };
  const snapshot: AccountSnapshot = { ...context, accountId: 'screen-table', marginMode: 'CROSS', balances: [], positions: [flat] };
  return prepareAccount(snapshot).positions[0]!;
}

/** A market's tiers (a schedule modelledSchedule accepts) and their initial rates as bounded doubles. */
function screenTiers(pos: NPosition, rates: readonly Decimal[]): ScreenTiers {
  const tiers = pos.market.tiers;
  const n = tiers.length;
  const out = {
    count: n,
    floor: new Float64Array(n),
    floorErr: new Float64Array(n),
    cap: new Float64Array(n),
    capErr: new Float64Array(n),
    rate: new Float64Array(n),
    rateErr: new Float64Array(n),
    mmrK: new Float64Array(n),
    mmrKErr: new Float64Array(n),
    cumK: new Float64Array(n),
    cumKErr: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const t = tiers[i]!;
    const rate = rates[i]!;
    out.floor[i] = dbl(t.floor);
    out.floorErr[i] = conversionError(out.floor[i]!);
    out.cap[i] = t.cap === null ? Infinity : dbl(t.cap);
    out.capErr[i] = t.cap === null ? 0 : conversionError(out.cap[i]!);
    out.rate[i] = dbl(rate);
    out.rateErr[i] = conversionError(out.rate[i]!);
    out.mmrK[i] = dbl(t.mmrK);
    out.mmrKErr[i] = conversionError(out.mmrK[i]!);
    out.cumK[i] = dbl(t.cumK);
    out.cumKErr[i] = conversionError(out.cumK[i]!);
  }
  return out;
}

/** Tiers the screen models: contiguous (cap_i = floor_{i+1}), last cap open, maintenance amounts cum·k ≥ 0 (a flat position's MM is 0). */
function modelledSchedule(pos: NPosition): boolean {
  const tiers = pos.market.tiers;
  for (let i = 0; i < tiers.length; i++) {
    const t = tiers[i]!;
    const last = i === tiers.length - 1;
    if (last !== (t.cap === null)) return false;
    if (t.cap !== null && (compareD(t.cap, t.floor) <= 0 || compareD(t.cap, tiers[i + 1]!.floor) !== 0)) return false;
    if (t.cumK.isNeg()) return false;
  }
  return true;
}

/**
 * The exact engine's per-market inputs of every screen (this table and the figures screen's, figures.ts), computed
 * once per market and context, or why the market's positions fall back.
 */
export interface MarketInputs {
  /** A flat position on the market, normalized by the engine (its market, mark, settlement price). */
  readonly pos: NPosition;
  readonly model: ScreenMarketModel;
  /** LINEAR: the mark P; INVERSE: the engine's 1/P; OPTION: the underlying price U. */
  readonly price: Decimal;
  /** Per tier: the initial rate after volatility and OI scaling (position-independent; 0 for options). */
  readonly tierRates: readonly Decimal[];
  /** Options: V, and the short-option per-unit IM and MM; null otherwise. */
  readonly option: { readonly value: Decimal; readonly initialPerUnit: Decimal; readonly maintenancePerUnit: Decimal } | null;
}

export function marketInputs(context: ScreenContext, symbol: string): MarketInputs | ScreenFallbackReason {
  let pos: NPosition;
  try {
    pos = flatPositionOn(context, symbol);
  } catch (error) {
    return reasonOf(error);
  }
  const m = pos.market;
  if (m.kind !== 'PERPETUAL' && m.kind !== 'FUTURE' && m.kind !== 'OPTION') return 'UNSUPPORTED';
  if (m.sizeAddon !== null || !m.closingFeeRate.isZero()) return 'UNMODELLED_RULE';
  if (!modelledSchedule(pos)) return 'TIER_SCHEDULE';
  const model: ScreenMarketModel = m.option !== null ? 'OPTION' : m.contractType === 'LINEAR' ? 'LINEAR' : 'INVERSE';
  // The initial rate of each tier after volatility and OI scaling, as the engine computes it (a flat position has
  // no user leverage): it depends on the tier and the mark only.
  const tierRates = m.tiers.map((t) => (m.option === null ? requirementsAt(pos, t.floor, pos.mark).initialRate.afterOpenInterest : ZERO));
  if (m.option === null) return { pos, model, price: model === 'LINEAR' ? pos.mark : ONE.div(pos.mark), tierRates, option: null };
  const price = pos.underlyingPrice!;
  // A short unit position's standard requirements give the per-unit figures, computed by the engine.
  const short: NPosition = { ...pos, q: new D(-1), qc: m.c.neg(), absQ: ONE, absQc: m.c, side: 'SHORT' };
  const v = valueOption(short, price);
  const r = optionRequirementsAt(short, v);
  return {
    pos,
    model,
    price,
    tierRates,
    option: { value: v.option!.value, initialPerUnit: r.optionMargin!.initialPerUnit, maintenancePerUnit: r.optionMargin!.maintenancePerUnit },
  };
}

function screenMarket(context: ScreenContext, inputs: MarketInputs | ScreenFallbackReason, symbol: string): ScreenMarket {
  if (typeof inputs === 'string') return unusableMarket(symbol, inputs);
  const { pos, model, price } = inputs;
  const m = pos.market;
  const tiers = screenTiers(pos, inputs.tierRates);
  const optionValue = inputs.option === null ? NaN : dbl(inputs.option.value);
  const optionInitialPerUnit = inputs.option === null ? NaN : dbl(inputs.option.initialPerUnit);
  const optionMaintenancePerUnit = inputs.option === null ? NaN : dbl(inputs.option.maintenancePerUnit);
  const c = dbl(m.c);
  const p = dbl(price);
  const f = dbl(m.fundingIndex);
  const x = dbl(pos.settlePrice);
  const lambda = m.liquidity === null ? NaN : dbl(m.liquidity.lambda);
  const depth = m.liquidity === null ? NaN : dbl(m.liquidity.depth);
  return {
    symbol,
    unusable: null,
    model,
    base: m.base,
    portfolioScan: own(context.portfolioParams, m.base) !== undefined,
    c,
    cErr: conversionError(c),
    price: p,
    priceErr: conversionError(p),
    fundingIndex: f,
    fundingIndexErr: conversionError(f),
    settlePrice: x,
    settlePriceErr: conversionError(x),
    settleStep: ceilStep(m.settleDecimals),
    entryBasis: m.maintenanceBasis === 'ENTRY',
    tiers,
    hasLiquidity: m.liquidity !== null,
    lambda,
    lambdaErr: conversionError(lambda),
    depth,
    depthErr: conversionError(depth),
    optionValue,
    optionValueErr: conversionError(optionValue),
    optionInitialPerUnit,
    optionInitialPerUnitErr: conversionError(optionInitialPerUnit),
    optionMaintenancePerUnit,
    optionMaintenancePerUnitErr: conversionError(optionMaintenancePerUnit),
  };
}

function screenAsset(context: ScreenContext, symbol: string, prices: PriceBook): ScreenAsset {
  const params = own(context.assets, symbol)!;
  let index = NaN;
  let unusable: ScreenFallbackReason | null = null;
  try {
    index = dbl(prices.index(symbol));
  } catch (error) {
    unusable = reasonOf(error);
  }
  const w = (x: Decimal.Value): number => (typeof x === 'object' ? x.toNumber() : Number(x));
  const iw = w(params.initialWeight);
  const mw = w(params.maintenanceWeight);
  const ilw = w(params.initialLiabilityWeight);
  const mlw = w(params.maintenanceLiabilityWeight);
  return {
    symbol,
    unusable,
    index,
    indexErr: conversionError(index),
    initialWeight: iw,
    initialWeightErr: conversionError(iw),
    maintenanceWeight: mw,
    maintenanceWeightErr: conversionError(mw),
    initialLiabilityWeight: ilw,
    initialLiabilityWeightErr: conversionError(ilw),
    maintenanceLiabilityWeight: mlw,
    maintenanceLiabilityWeightErr: conversionError(mlw),
  };
}

/** Every market's inputs (marketInputs), by symbol. */
export function marketInputsOf(context: ScreenContext): Map<string, MarketInputs | ScreenFallbackReason> {
  return new Map(Object.keys(context.markets).map((symbol) => [symbol, marketInputs(context, symbol)]));
}

/**
 * Builds the screen table of a market context (every market and asset it lists) at `context.asOfMs`. Pure: the
 * exact engine's functions on the context, converted to bounded doubles.
 */
export function buildScreenTable(
  context: ScreenContext,
  inputs: ReadonlyMap<string, MarketInputs | ScreenFallbackReason> = marketInputsOf(context),
): ScreenTable {
  const markets = new Map<string, ScreenMarket>();
  for (const symbol of Object.keys(context.markets)) markets.set(symbol, screenMarket(context, inputs.get(symbol)!, symbol));
  const prices = new PriceBook({ ...context, accountId: 'screen-table', marginMode: 'CROSS', balances: [], positions: [] });
  const assets = new Map<string, ScreenAsset>();
  for (const symbol of Object.keys(context.assets)) assets.set(symbol, screenAsset(context, symbol, prices));
  const marketById: (ScreenMarket | undefined)[] = [];
  for (const [symbol, m] of markets) marketById[marketId(symbol)] = m;
  const assetById: (ScreenAsset | undefined)[] = [];
  for (const [symbol, a] of assets) assetById[assetId(symbol)] = a;
  // Dense arrays (holes would make every read a dictionary lookup): undefined where the context has no such symbol.
  for (let i = 0; i < marketById.length; i++) if (!(i in marketById)) marketById[i] = undefined;
  for (let i = 0; i < assetById.length; i++) if (!(i in assetById)) assetById[i] = undefined;
  return { context, markets, assets, marketById, assetById };
}
