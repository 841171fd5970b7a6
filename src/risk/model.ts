/**
 * Normalized, engine-internal view of a snapshot: every Decimal converted to the engine context once, positions
 * sorted by id and balances by asset, prices checked. Built once per evaluation; the liquidation search reuses it.
 *
 * Normalized markets are cached per `MarketParams` object (a module-level WeakMap keyed by object identity): the
 * snapshots of one request, sweep batch or stress round share the same market objects, so each market is validated
 * and converted once, not once per account. `normalizeMarket` is a pure function of the (immutable, see types.ts)
 * market parameters, the settlement asset's parameters and — for options only — `asOfMs`; an entry is reused only
 * when the settlement `AssetParams` object is the same object (and, for options, `asOfMs` is equal), and it dies
 * with the market object. Option markets get a fresh per-evaluation valuation memo on every use.
 */
import type Decimal from 'decimal.js';
import type {
  AccountSnapshot,
  AssetParams,
  ContractType,
  MaintenanceBasis,
  MarginTierParams,
  MarginType,
  MarketKind,
  MarketParams,
  OptionMarginParams,
  PositionSnapshot,
} from './types';
import type { InitialRateSteps, PositionSide, TierUsed, WeightKind } from './result';
import { ONE, ZERO, compareD, isNonPositive, normZero, toD } from './decimal';
import { invalidSnapshot, unsupportedMarketKind } from './errors';
import { PriceBook } from './prices';
import { yearFractionAct365 } from './options/black';
import { DERIBIT_OPTION_MARGIN } from './rules/short-option';
import { leverageRateOf } from './rules/user-leverage';
import type { OptionTerms } from './valuation';
import { own } from './lookup';
import { normalizeSizeAddon, type NSizeAddon } from './rules/size-addon';
import { normalizeLiquidityAddon, type NLiquidityAddon } from './rules/liquidity-addon';
import { volatilityFactorOf, volatilityRateOf } from './rules/volatility-adjustment';
import { normalizeOpenInterestScaling, type NOpenInterestScaling } from './rules/open-interest-scaling';
import { balanceWeights } from './rules/collateral-weights';

export interface NTier {
  readonly index: number;
  readonly floor: Decimal;
  readonly cap: Decimal | null;
  readonly imr: Decimal;
  readonly mmr: Decimal;
  readonly cum: Decimal;
  /**
   * Derived once per market (never per position): the volatility factor k = volatilityFactor(market, tier) and the
   * products imr·k, mmr·k, cum·k, computed with exactly the expressions requirements.ts used inline.
   */
  readonly k: Decimal;
  readonly imrK: Decimal;
  readonly mmrK: Decimal;
  readonly cumK: Decimal;
  /** The result's view of the tier (frozen, shared by every position in the tier). */
  readonly used: TierUsed;
  /** initialRate of a position in this tier without OI scaling and without user leverage (frozen, shared). */
  readonly plainRate: InitialRateSteps;
}

export type { NOpenInterestScaling } from './rules/open-interest-scaling';

export interface NMarket {
  readonly params: MarketParams;
  readonly symbol: string;
  readonly kind: MarketKind;
  readonly contractType: ContractType;
  readonly base: string;
  readonly settle: string;
  readonly settleDecimals: number;
  readonly c: Decimal;
  readonly tick: Decimal;
  readonly tiers: readonly NTier[];
  readonly fundingIndex: Decimal;
  readonly openInterestScaling: NOpenInterestScaling | null;
  /** z·σ·√h when a volatility adjustment is configured. */
  readonly volatilityRate: Decimal | null;
  /** Liquidity add-on (rules/liquidity-addon.ts); null = off. */
  readonly liquidity: NLiquidityAddon | null;
  /** Notional basis of MM ('MARK' unless the market says 'ENTRY'; always 'MARK' for options). */
  readonly maintenanceBasis: MaintenanceBasis;
  /** Position-size add-on coefficients (rules/size-addon.ts); null = off (always null for options). */
  readonly sizeAddon: NSizeAddon | null;
  /** Closing fee rate f reserved in MM (rules/closing-fee.ts); ZERO = off (always ZERO for options). */
  readonly closingFeeRate: Decimal;
  /** OPTION markets: normalized terms and the per-evaluation valuation memo; null otherwise. */
  readonly option: NOptionTerms | null;
}

export interface NOptionTerms extends OptionTerms {
  /** Short-option α/β/γ: the market's, or Deribit's defaults when the market has none (paramsSource says which). */
  readonly margin: OptionMarginParams;
  readonly marginParamsSource: 'MARKET' | 'DEFAULT';
}

export interface NPosition {
  readonly params: PositionSnapshot;
  readonly id: string;
  readonly market: NMarket;
  readonly q: Decimal;
  readonly absQ: Decimal;
  /** q·c (signed contracts × contract size). */
  readonly qc: Decimal;
  /** |q|·c. */
  readonly absQc: Decimal;
  readonly side: PositionSide;
  readonly entry: Decimal;
  readonly positionFundingIndex: Decimal;
  /**
   * Delta-one funding PnL q·c·(F_pos − F_now) (valuation.ts valueDeltaOne; it does not depend on the price, so it is
   * computed once here rather than at every price a search tries); ZERO for options.
   */
  readonly fundingPnl: Decimal;
  /** INVERSE, non-flat: 1/E (price-independent, computed once); null otherwise. */
  readonly inverseEntry: Decimal | null;
  readonly marginType: MarginType;
  readonly isolatedMargin: Decimal;
  /** 1/L for a user-chosen leverage L, else null. */
  readonly leverageRate: Decimal | null;
  /** Checked current mark of the market. */
  readonly mark: Decimal;
  /** Checked index price of the settlement asset in the valuation asset. */
  readonly settlePrice: Decimal;
  /** Options: underlying price U = index(base) / index(quote); null for delta-one markets. */
  readonly underlyingPrice: Decimal | null;
  /** The price valuation moves with: the mark for delta-one markets, U for options (see valuePosition). */
  readonly valuationPrice: Decimal;
}

export interface NBalance {
  readonly asset: string;
  readonly amount: Decimal;
  readonly indexPrice: Decimal;
  readonly weightKind: WeightKind;
  readonly initialWeight: Decimal;
  readonly maintenanceWeight: Decimal;
}

export interface PreparedAccount {
  readonly snapshot: AccountSnapshot;
  readonly positions: readonly NPosition[];
  readonly balances: readonly NBalance[];
  readonly markets: ReadonlyMap<string, NMarket>;
  readonly prices: PriceBook;
}

/**
 * `items` ordered by `key` (string order): the array itself when already in order (a linear check, no copy), else a
 * sorted copy. Snapshots usually list positions and balances in a store order, often already the engine's.
 */
function sortedBy<T>(items: readonly T[], key: (t: T) => string): readonly T[] {
  let inOrder = true;
  for (let i = 1; i < items.length && inOrder; i++) inOrder = key(items[i - 1]!) <= key(items[i]!);
  if (inOrder) return items;
  return [...items].sort((a, b) => {
    const ka = key(a);
    const kb = key(b);
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

function asset(snapshot: AccountSnapshot, symbol: string): AssetParams {
  const a = own(snapshot.assets, symbol);
  if (a === undefined) throw invalidSnapshot(`unknown asset ${symbol}`, { asset: symbol });
  return a;
}

function normalizeTiers(symbol: string, tiers: readonly MarginTierParams[], volatilityRate: Decimal | null): NTier[] {
  if (tiers.length === 0) throw invalidSnapshot(`market ${symbol} has no margin tiers`, { market: symbol });
  if (!toD(tiers[0]!.notionalFloor).isZero()) {
    throw invalidSnapshot(`market ${symbol}: first tier floor must be 0`, { market: symbol });
  }
  return tiers.map((t, index) => {
    const floor = toD(t.notionalFloor);
    const cap = t.notionalCap === null ? null : toD(t.notionalCap);
    const imr = toD(t.initialMarginRate);
    const mmr = toD(t.maintenanceMarginRate);
    const cum = toD(t.maintenanceAmount);
    // k = max(imr, z·σ·√h)/imr (1 when not configured or imr = 0): rules/volatility-adjustment.ts.
    const k = volatilityFactorOf(imr, volatilityRate);
    const imrK = imr.mul(k);
    const used: TierUsed = Object.freeze({
      index,
      notionalFloor: floor,
      notionalCap: cap,
      initialMarginRate: imr,
      maintenanceMarginRate: mmr,
      maintenanceAmount: cum,
    });
    const plainRate: InitialRateSteps = Object.freeze({
      tier: imr,
      afterVolatility: imrK,
      afterOpenInterest: imrK,
      leverageRate: null,
      used: imrK,
      source: imrK.gt(imr) ? 'VOLATILITY' : 'TIER',
      openInterestScale: null,
    });
    return { index, floor, cap, imr, mmr, cum, k, imrK, mmrK: mmr.mul(k), cumK: cum.mul(k), used, plainRate };
  });
}

function normalizeMarket(snapshot: AccountSnapshot, m: MarketParams): NMarket {
  const c = toD(m.contractSize);
  const tick = toD(m.tickSize);
  if (c.lte(0)) throw invalidSnapshot(`market ${m.symbol}: contract size must be positive`, { market: m.symbol });
  if (tick.lte(0)) throw invalidSnapshot(`market ${m.symbol}: tick size must be positive`, { market: m.symbol });
  const openInterestScaling = normalizeOpenInterestScaling(m.symbol, m.openInterestScaling);
  const liquidity = normalizeLiquidityAddon(m.symbol, m.liquidityAddon);
  const vol = m.volatilityAdjustment;
  const size = m.sizeAddon;
  if (size !== null && size !== undefined && (toD(size.initialRatePerContract).isNeg() || toD(size.maintenanceRatePerContract).isNeg())) {
    throw invalidSnapshot(`market ${m.symbol}: size add-on coefficients must be ≥ 0`, { market: m.symbol });
  }
  if (m.closingFeeRate !== undefined && toD(m.closingFeeRate).isNeg()) {
    throw invalidSnapshot(`market ${m.symbol}: closing fee rate must be ≥ 0`, { market: m.symbol });
  }
  let option: NOptionTerms | null = null;
  if (m.kind === 'OPTION') {
    if (m.strike === null || m.optionType === null || m.expiryMs === null || m.impliedVolatility === null) {
      throw invalidSnapshot(`option market ${m.symbol} needs strike, option type, expiry and implied volatility`, { market: m.symbol });
    }
    const strike = toD(m.strike);
    const sigma = toD(m.impliedVolatility);
    if (strike.lte(0)) throw invalidSnapshot(`option market ${m.symbol}: strike must be positive`, { market: m.symbol });
    if (sigma.isNeg()) throw invalidSnapshot(`option market ${m.symbol}: implied volatility must be ≥ 0`, { market: m.symbol });
    const om = m.optionMargin;
    option = {
      type: m.optionType,
      strike,
      expiryMs: m.expiryMs,
      volatility: sigma,
      timeYears: yearFractionAct365(snapshot.asOfMs, m.expiryMs),
      rate: m.riskFreeRate === undefined || m.riskFreeRate === null ? ZERO : toD(m.riskFreeRate),
      dividendYield: m.dividendYield === undefined || m.dividendYield === null ? ZERO : toD(m.dividendYield),
      memo: new Map(),
      margin:
        om === null
          ? DERIBIT_OPTION_MARGIN
          : { alpha: toD(om.alpha), beta: toD(om.beta), gamma: toD(om.gamma) },
      marginParamsSource: om === null ? 'DEFAULT' : 'MARKET',
    };
  }
  const volatilityRate = volatilityRateOf(vol);
  return {
    params: m,
    symbol: m.symbol,
    kind: m.kind,
    contractType: m.contractType,
    base: m.baseAsset,
    settle: m.settlementAsset,
    settleDecimals: asset(snapshot, m.settlementAsset).decimals,
    c,
    tick,
    tiers: normalizeTiers(m.symbol, m.tiers, volatilityRate),
    fundingIndex: toD(m.fundingIndex),
    openInterestScaling,
    volatilityRate,
    liquidity,
    maintenanceBasis: m.kind !== 'OPTION' && m.maintenanceBasis === 'ENTRY' ? 'ENTRY' : 'MARK',
    sizeAddon: m.kind === 'OPTION' ? null : normalizeSizeAddon(m.sizeAddon),
    closingFeeRate: m.kind === 'OPTION' || m.closingFeeRate === undefined ? ZERO : toD(m.closingFeeRate),
    option,
  };
}

interface MarketCacheEntry {
  readonly settleAsset: AssetParams;
  readonly asOfMs: number;
  readonly market: NMarket;
}

/** Normalized markets by MarketParams identity (see the module comment: a cache of a pure function). */
const MARKET_CACHE = new WeakMap<MarketParams, MarketCacheEntry>();

/** `normalizeMarket`, reusing the normalized market of an earlier evaluation with the same inputs. */
function marketFor(snapshot: AccountSnapshot, m: MarketParams): NMarket {
  const entry = MARKET_CACHE.get(m);
  const settleAsset = own(snapshot.assets, m.settlementAsset);
  let market: NMarket;
  if (
    entry !== undefined &&
    settleAsset !== undefined &&
    entry.settleAsset === settleAsset &&
    (m.kind !== 'OPTION' || entry.asOfMs === snapshot.asOfMs)
  ) {
    market = entry.market;
  } else {
    market = normalizeMarket(snapshot, m);
    MARKET_CACHE.set(m, { settleAsset: settleAsset!, asOfMs: snapshot.asOfMs, market });
  }
  // The option valuation memo lives for one evaluation (valuation.ts): a fresh one per use.
  return market.option === null ? market : { ...market, option: { ...market.option, memo: new Map() } };
}

/**
 * Delta-one funding PnL q·c·(F_pos − F_now) (settlement units). Equal indexes (no funding since the position's last
 * settlement) give exactly ZERO, as the product would after normZero, without the two operations.
 */
function fundingPnlOf(qc: Decimal, positionIndex: Decimal, marketIndex: Decimal): Decimal {
  return compareD(positionIndex, marketIndex) === 0 ? ZERO : normZero(qc.mul(positionIndex.sub(marketIndex)));
}

/**
 * Validates and normalizes a snapshot, checking every price it uses. Throws RiskEngineError
 * (INVALID_SNAPSHOT, MISSING_PRICE, STALE_PRICE, UNSUPPORTED_MARKET_KIND: isolated or INVERSE option positions).
 */
export function prepareAccount(snapshot: AccountSnapshot): PreparedAccount {
  const prices = new PriceBook(snapshot);
  const markets = new Map<string, NMarket>();
  const sortedPositions = sortedBy(snapshot.positions, (p) => p.id);
  const positions: NPosition[] = [];
  for (let i = 0; i < sortedPositions.length; i++) {
    const p = sortedPositions[i]!;
    if (i > 0 && sortedPositions[i - 1]!.id === p.id) throw invalidSnapshot(`duplicate position id ${p.id}`, { positionId: p.id });
    const params = own(snapshot.markets, p.market);
    if (params === undefined) throw invalidSnapshot(`position ${p.id} refers to unknown market ${p.market}`, { positionId: p.id });
    // Options: LINEAR (premium in quote) and cross only; an INVERSE or isolated option is refused, never mis-valued.
    if (params.kind === 'OPTION' && (params.contractType !== 'LINEAR' || p.marginType === 'ISOLATED')) {
      throw unsupportedMarketKind(params.symbol, params.kind, p.id);
    }
    let market = markets.get(p.market);
    if (market === undefined) {
      market = marketFor(snapshot, params);
      markets.set(p.market, market);
    }
    const q = toD(p.size);
    const c = market.c;
    const entry = toD(p.entryPrice);
    if (!q.isZero() && isNonPositive(entry)) throw invalidSnapshot(`position ${p.id}: entry price must be positive`, { positionId: p.id });
    const leverage = p.leverage === null ? null : toD(p.leverage);
    if (leverage !== null && isNonPositive(leverage)) throw invalidSnapshot(`position ${p.id}: leverage must be positive`, { positionId: p.id });
    const mark = prices.mark(market.symbol, market.params.maxPriceAgeSeconds);
    const settlePrice = prices.index(market.settle);
    const underlyingPrice =
      market.option === null ? null : prices.index(market.base).div(prices.index(market.params.quoteAsset));
    const qc = q.mul(c);
    const absQ = q.abs();
    const positionFundingIndex = toD(p.fundingIndex);
    positions.push({
      params: p,
      id: p.id,
      market,
      q,
      absQ,
      qc,
      absQc: absQ.mul(c),
      side: q.isZero() ? 'FLAT' : q.isPos() ? 'LONG' : 'SHORT',
      entry,
      positionFundingIndex,
      fundingPnl: market.option === null ? fundingPnlOf(qc, positionFundingIndex, market.fundingIndex) : ZERO,
      inverseEntry: market.option === null && market.contractType === 'INVERSE' && !q.isZero() ? ONE.div(entry) : null,
      marginType: p.marginType,
      isolatedMargin: p.marginType === 'ISOLATED' ? toD(p.isolatedMargin) : ZERO,
      leverageRate: leverageRateOf(leverage),
      mark,
      settlePrice,
      underlyingPrice,
      valuationPrice: underlyingPrice ?? mark,
    });
  }

  const sortedBalances = sortedBy(snapshot.balances, (b) => b.asset);
  const balances: NBalance[] = [];
  for (let i = 0; i < sortedBalances.length; i++) {
    const b = sortedBalances[i]!;
    if (i > 0 && sortedBalances[i - 1]!.asset === b.asset) throw invalidSnapshot(`duplicate balance for ${b.asset}`, { asset: b.asset });
    const amount = toD(b.amount);
    // A zero balance uses no price and contributes nothing; it is left out of the breakdown.
    if (amount.isZero()) continue;
    // Asset or liability weights (rules/collateral-weights.ts).
    const w = balanceWeights(asset(snapshot, b.asset), amount);
    balances.push({
      asset: b.asset,
      amount,
      indexPrice: prices.index(b.asset),
      weightKind: w.weightKind,
      initialWeight: w.initialWeight,
      maintenanceWeight: w.maintenanceWeight,
    });
  }
  return { snapshot, positions, balances, markets, prices };
}
