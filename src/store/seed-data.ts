/**
 * The demo venue's data, generated as plain values without any I/O (seed.ts writes it to the database).
 *
 * Everything is a pure function of (seed, accounts, nowMs): random draws come from mulberry32 streams derived from
 * the seed and a label (one stream per concern and one per account, so account #7 is the same whether 50 or 1,000
 * accounts are generated, and the price history does not depend on the account count), and row ids are derived
 * from a hash of (seed, label), so the same options always give the same rows, ids included.
 *
 * JavaScript numbers are used only for the random draws and the shape of the data (a log-normal walk, Black-76 for
 * option marks); every amount is rounded with decimal.js to a sensible number of decimals before it leaves this
 * module, so nothing stored carries binary noise.
 */
import { createHash } from 'node:crypto';
import Decimal from 'decimal.js';

/** decimal.js context of the seed: independent of callers' global Decimal settings. */
export const SeedDecimal = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_UP,
  toExpNeg: -40,
  toExpPos: 60,
});
const D = SeedDecimal;

export const DEFAULT_SEED = 20240601;
export const DEFAULT_ACCOUNTS = 1000;
export const MS_PER_DAY = 86_400_000;
export const PRICE_HISTORY_DAYS = 365;
/** Source recorded on every seeded price row. */
export const SEED_PRICE_SOURCE = 'seed';

/**
 * The demo's prices never go stale (ten years). A real venue configures a short limit (e.g. 60 s, the schema
 * default) and has an oracle push prices; the demo has no oracle, and its prices must stay usable for as long as
 * someone explores it.
 */
export const DEMO_MAX_PRICE_AGE_SECONDS = 86_400 * 365 * 10;

// ---------------------------------------------------------------------------------------------------------------
// Deterministic randomness

/** mulberry32: a tiny 32-bit PRNG; uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** A 32-bit seed for the stream `label` of the venue seed `seed`. */
export function deriveSeed(seed: number, label: string): number {
  return sha256(`demo-venue/${seed}/${label}`).readUInt32BE(0);
}

/** A stable UUID (version-4 layout) for the row `label` of the venue seed `seed`. */
export function deterministicUuid(seed: number, label: string): string {
  const bytes = sha256(`demo-venue-id/${seed}/${label}`).subarray(0, 16);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

export class Rng {
  private readonly next: () => number;
  private spare: number | null = null;

  constructor(seed: number) {
    this.next = mulberry32(seed);
  }

  static stream(seed: number, label: string): Rng {
    return new Rng(deriveSeed(seed, label));
  }

  /** Uniform in [0, 1). */
  uniform(): number {
    return this.next();
  }

  between(lo: number, hi: number): number {
    return lo + (hi - lo) * this.next();
  }

  /** Log-uniform in [lo, hi): as many draws between 1k and 10k as between 10k and 100k. */
  logBetween(lo: number, hi: number): number {
    return Math.exp(this.between(Math.log(lo), Math.log(hi)));
  }

  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight (weights > 0). */
  weighted<T>(items: readonly (readonly [T, number])[]): T {
    const total = items.reduce((sum, [, w]) => sum + w, 0);
    let x = this.next() * total;
    for (const [item, w] of items) {
      x -= w;
      if (x < 0) return item;
    }
    return items[items.length - 1]![0];
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    if (this.spare !== null) {
      const value = this.spare;
      this.spare = null;
      return value;
    }
    const u1 = 1 - this.next(); // (0, 1]: log(u1) is finite
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Rounding helpers (numbers → Decimal happen only here)

/** Rounds a JS number (or Decimal) half-up to `dp` decimals. */
export function dec(x: number | Decimal | string, dp: number, rounding: Decimal.Rounding = Decimal.ROUND_HALF_UP): Decimal {
  return new D(x).toDecimalPlaces(dp, rounding);
}

/** Rounds half-up onto multiples of `step` (e.g. a tick or a lot size). */
export function toStep(x: Decimal | number, step: Decimal, rounding: Decimal.Rounding = Decimal.ROUND_HALF_UP): Decimal {
  return new D(x).div(step).toDecimalPlaces(0, rounding).mul(step);
}

// ---------------------------------------------------------------------------------------------------------------
// Reference data: assets, brokers, markets

/** The asset every amount is valued in (index price 1 by definition). */
export const VALUATION_ASSET = 'USDC';

export const DEMO_ASSETS = {
  USDC: 'USDC',
  USDT: 'USDT',
  BTC: 'BTC',
  ETH: 'ETH',
  SOL: 'SOL',
} as const;
export type DemoAssetSymbol = (typeof DEMO_ASSETS)[keyof typeof DEMO_ASSETS];

export interface DemoAsset {
  readonly symbol: DemoAssetSymbol;
  readonly decimals: number;
  readonly initialWeight: Decimal;
  readonly maintenanceWeight: Decimal;
  readonly initialLiabilityWeight: Decimal;
  readonly maintenanceLiabilityWeight: Decimal;
}

function asset(symbol: DemoAssetSymbol, decimals: number, iw: string, mw: string, ilw: string, mlw: string): DemoAsset {
  return {
    symbol,
    decimals,
    initialWeight: new D(iw),
    maintenanceWeight: new D(mw),
    initialLiabilityWeight: new D(ilw),
    maintenanceLiabilityWeight: new D(mlw),
  };
}

export const DEMO_ASSET_ROWS: readonly DemoAsset[] = [
  asset('USDC', 6, '1', '1', '1', '1'),
  asset('USDT', 6, '0.98', '0.99', '1.02', '1.01'),
  asset('BTC', 8, '0.9', '0.95', '1.1', '1.05'),
  asset('ETH', 8, '0.85', '0.9', '1.15', '1.1'),
  asset('SOL', 9, '0.75', '0.8', '1.25', '1.2'),
];

/** Broker names, and the prefix of their accounts' external references ('alpha-0001'). */
export const DEMO_BROKERS = ['alpha-brokerage', 'beta-markets', 'gamma-prime'] as const;
export const DEMO_BROKER_REF_PREFIXES = ['alpha', 'beta', 'gamma'] as const;

/** Markets whose symbol does not depend on the seed's clock; the dated ones come from demoDatedMarkets(nowMs). */
export const DEMO_MARKETS = {
  BTC_PERP: 'BTC-PERP',
  ETH_PERP: 'ETH-PERP',
  SOL_PERP: 'SOL-PERP',
  BTC_INVERSE: 'BTC-USD-INVERSE',
} as const;
export const DEMO_LINEAR_PERPETUALS = [DEMO_MARKETS.BTC_PERP, DEMO_MARKETS.ETH_PERP, DEMO_MARKETS.SOL_PERP] as const;

/** Daily price walk per asset: where it ends (roughly) and its daily volatility. */
interface PriceModel {
  readonly symbol: DemoAssetSymbol;
  readonly spotTarget: number;
  readonly dailyVol: number;
  readonly decimals: number;
  /** Mean reversion to spotTarget (stablecoins) instead of a geometric walk. */
  readonly meanReverting?: boolean;
}

const PRICE_MODELS: readonly PriceModel[] = [
  { symbol: 'BTC', spotTarget: 60_000, dailyVol: 0.03, decimals: 2 },
  { symbol: 'ETH', spotTarget: 3_000, dailyVol: 0.04, decimals: 2 },
  { symbol: 'SOL', spotTarget: 150, dailyVol: 0.055, decimals: 2 },
  // A stablecoin: 2 decimals would be a flat line at 1.00, so 4.
  { symbol: 'USDT', spotTarget: 1, dailyVol: 0.0005, decimals: 4, meanReverting: true },
];

export interface DemoTier {
  readonly tierIndex: number;
  readonly notionalFloor: Decimal;
  readonly notionalCap: Decimal | null;
  readonly initialMarginRate: Decimal;
  readonly maintenanceMarginRate: Decimal;
  readonly maintenanceAmount: Decimal;
}

/**
 * Contiguous tiers from [floor, imr, mmr] rows (floors ascending, the first 0): the cap of one tier is the floor of
 * the next, the last cap is null, and maintenanceAmount_0 = 0, maintenanceAmount_i = maintenanceAmount_{i−1} +
 * floor_i·(mmr_i − mmr_{i−1}), which makes MM = N·mmr − maintenanceAmount continuous across tier boundaries.
 */
export function buildTiers(rows: readonly (readonly [string, string, string])[]): DemoTier[] {
  const tiers: DemoTier[] = [];
  let cum = new D(0);
  rows.forEach(([floor, imr, mmr], i) => {
    const floorD = new D(floor);
    const mmrD = new D(mmr);
    if (i > 0) cum = cum.plus(floorD.mul(mmrD.minus(tiers[i - 1]!.maintenanceMarginRate)));
    tiers.push({
      tierIndex: i,
      notionalFloor: floorD,
      notionalCap: i + 1 < rows.length ? new D(rows[i + 1]![0]) : null,
      initialMarginRate: new D(imr),
      maintenanceMarginRate: mmrD,
      maintenanceAmount: cum,
    });
  });
  return tiers;
}

/** The tier whose [floor, cap) holds the notional. */
export function tierFor(tiers: readonly DemoTier[], notional: Decimal): DemoTier {
  for (const tier of tiers) {
    if (notional.gte(tier.notionalFloor) && (tier.notionalCap === null || notional.lt(tier.notionalCap))) return tier;
  }
  return tiers[tiers.length - 1]!;
}

/** MM = N·mmr − maintenanceAmount of the tier holding N. */
export function maintenanceMarginFor(tiers: readonly DemoTier[], notional: Decimal): Decimal {
  const tier = tierFor(tiers, notional);
  return notional.mul(tier.maintenanceMarginRate).minus(tier.maintenanceAmount);
}

// Binance-style brackets, quote notional (USDC).
const BTC_TIERS = buildTiers([
  ['0', '0.02', '0.01'],
  ['50000', '0.025', '0.0125'],
  ['250000', '0.05', '0.025'],
  ['1000000', '0.1', '0.05'],
  ['5000000', '0.2', '0.1'],
]);
const ETH_TIERS = buildTiers([
  ['0', '0.025', '0.0125'],
  ['25000', '0.05', '0.025'],
  ['100000', '0.1', '0.05'],
  ['500000', '0.2', '0.1'],
]);
const SOL_TIERS = buildTiers([
  ['0', '0.05', '0.025'],
  ['10000', '0.1', '0.05'],
  ['50000', '0.2', '0.1'],
  ['250000', '0.5', '0.25'],
]);
// Inverse notional is in base (BTC): N = |q|·c / P. 1 BTC ≈ 60k USDC, so these mirror the BTC-PERP brackets.
const BTC_INVERSE_TIERS = buildTiers([
  ['0', '0.02', '0.01'],
  ['1', '0.025', '0.0125'],
  ['5', '0.05', '0.025'],
  ['20', '0.1', '0.05'],
  ['100', '0.2', '0.1'],
]);
// Options are margined by the short-option rule (or portfolio scanning); the single tier only keeps the schema's
// "every market has tiers" invariant.
const OPTION_TIERS = buildTiers([['0', '0.15', '0.075']]);

export type DemoMarketKind = 'PERPETUAL' | 'FUTURE' | 'OPTION';

export interface DemoMarket {
  readonly symbol: string;
  readonly kind: DemoMarketKind;
  readonly contractType: 'LINEAR' | 'INVERSE';
  readonly baseAsset: DemoAssetSymbol;
  readonly quoteAsset: DemoAssetSymbol;
  readonly settlementAsset: DemoAssetSymbol;
  readonly contractSize: Decimal;
  readonly tickSize: Decimal;
  /** Size step used when generating positions (not stored: the schema has no lot size). */
  readonly lotSize: Decimal;
  readonly expiry: Date | null;
  readonly strike: Decimal | null;
  readonly optionType: 'CALL' | 'PUT' | null;
  readonly liquidationFeeRate: Decimal;
  readonly insuranceFundFeeRate: Decimal;
  readonly fundingIndex: Decimal;
  /** Decimals of the funding index (positions' indexes are rounded to the same). */
  readonly fundingDecimals: number;
  /** One 8-hour funding payment per contract, roughly (positions lag the market index by 0–3 of these). */
  readonly fundingStep: Decimal;
  readonly maxPriceAgeSeconds: number;
  readonly bookDepth: Decimal;
  readonly slippageBaseRate: Decimal;
  readonly slippageImpactFactor: Decimal;
  readonly impliedVolatility: Decimal | null;
  readonly optionAlpha: Decimal | null;
  readonly optionBeta: Decimal | null;
  readonly optionGamma: Decimal | null;
  readonly tiers: readonly DemoTier[];
}

export interface DemoPortfolioParams {
  readonly assetSymbol: DemoAssetSymbol;
  readonly priceScanRange: Decimal;
  readonly volScanRange: Decimal;
  readonly extremeMoveMultiple: Decimal;
  readonly extremeMoveCoverage: Decimal;
  readonly shortOptionMinimum: Decimal;
  readonly maintenanceFraction: Decimal;
}

function pmParams(symbol: DemoAssetSymbol, priceScanRange: string): DemoPortfolioParams {
  return {
    assetSymbol: symbol,
    priceScanRange: new D(priceScanRange),
    volScanRange: new D('0.25'),
    extremeMoveMultiple: new D('3'),
    extremeMoveCoverage: new D('0.33'),
    shortOptionMinimum: new D('0.01'),
    maintenanceFraction: new D('0.8'),
  };
}

export const DEMO_PORTFOLIO_PARAMS: readonly DemoPortfolioParams[] = [
  pmParams('BTC', '0.15'),
  pmParams('ETH', '0.2'),
  pmParams('SOL', '0.25'),
];

export const DEMO_INSURANCE_FUND: readonly { assetSymbol: DemoAssetSymbol; balance: Decimal }[] = [
  { assetSymbol: 'USDC', balance: new D('5000000') },
  { assetSymbol: 'BTC', balance: new D('20') },
];

/** 'YYYYMMDD' of a UTC date. */
function ymd(date: Date): string {
  return date.toISOString().slice(0, 10).replace(/-/g, '');
}

function midnightUtc(nowMs: number): number {
  return Math.floor(nowMs / MS_PER_DAY) * MS_PER_DAY;
}

/** Expiries are at 08:00 UTC (the Deribit convention), `days` after the seed day's midnight. */
function expiryAfter(nowMs: number, days: number): Date {
  return new Date(midnightUtc(nowMs) + days * MS_PER_DAY + 8 * 3_600_000);
}

export const FUTURE_DAYS_TO_EXPIRY = 90;
export const OPTION_DAYS_TO_EXPIRY = 30;
/** Annualized basis of the dated future over the index. */
const FUTURE_ANNUAL_BASIS = 0.08;
const OPTION_STRIKE_STEP = 5_000;

/** Symbols of the dated markets for a seed clock and a BTC spot (option strikes are centred on the spot). */
export function demoDatedMarketSymbols(nowMs: number, btcSpot: Decimal.Value): { future: string; options: string[] } {
  const futureExpiry = expiryAfter(nowMs, FUTURE_DAYS_TO_EXPIRY);
  const optionExpiry = expiryAfter(nowMs, OPTION_DAYS_TO_EXPIRY);
  const options: string[] = [];
  for (const strike of optionStrikes(new D(btcSpot))) {
    for (const type of ['C', 'P']) options.push(`BTC-${ymd(optionExpiry)}-${strike.toFixed()}-${type}`);
  }
  return { future: `BTC-${ymd(futureExpiry)}`, options };
}

function optionStrikes(btcSpot: Decimal): Decimal[] {
  const atm = btcSpot.div(OPTION_STRIKE_STEP).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).mul(OPTION_STRIKE_STEP);
  return [atm.minus(OPTION_STRIKE_STEP), atm, atm.plus(OPTION_STRIKE_STEP)];
}

const COMMON = {
  contractSize: new D(1),
  insuranceFundFeeRate: new D('0.0025'),
  maxPriceAgeSeconds: DEMO_MAX_PRICE_AGE_SECONDS,
  slippageBaseRate: new D('0.0005'),
  slippageImpactFactor: new D('0.5'),
  expiry: null,
  strike: null,
  optionType: null,
  impliedVolatility: null,
  optionAlpha: null,
  optionBeta: null,
  optionGamma: null,
} as const;

function buildMarkets(nowMs: number, spot: ReadonlyMap<string, Decimal>): DemoMarket[] {
  const btc = spot.get('BTC')!;
  const markets: DemoMarket[] = [
    {
      ...COMMON,
      symbol: DEMO_MARKETS.BTC_PERP,
      kind: 'PERPETUAL',
      contractType: 'LINEAR',
      baseAsset: 'BTC',
      quoteAsset: 'USDC',
      settlementAsset: 'USDC',
      tickSize: new D('0.1'),
      lotSize: new D('0.001'),
      liquidationFeeRate: new D('0.005'),
      fundingIndex: new D('184.236512'),
      fundingDecimals: 6,
      fundingStep: new D('6'),
      bookDepth: new D('50000000'),
      tiers: BTC_TIERS,
    },
    {
      ...COMMON,
      symbol: DEMO_MARKETS.ETH_PERP,
      kind: 'PERPETUAL',
      contractType: 'LINEAR',
      baseAsset: 'ETH',
      quoteAsset: 'USDC',
      settlementAsset: 'USDC',
      tickSize: new D('0.01'),
      lotSize: new D('0.01'),
      liquidationFeeRate: new D('0.0075'),
      fundingIndex: new D('9.482137'),
      fundingDecimals: 6,
      fundingStep: new D('0.3'),
      bookDepth: new D('20000000'),
      tiers: ETH_TIERS,
    },
    {
      ...COMMON,
      symbol: DEMO_MARKETS.SOL_PERP,
      kind: 'PERPETUAL',
      contractType: 'LINEAR',
      baseAsset: 'SOL',
      quoteAsset: 'USDC',
      settlementAsset: 'USDC',
      tickSize: new D('0.001'),
      lotSize: new D('0.1'),
      liquidationFeeRate: new D('0.01'),
      fundingIndex: new D('0.571234'),
      fundingDecimals: 6,
      fundingStep: new D('0.015'),
      bookDepth: new D('5000000'),
      tiers: SOL_TIERS,
    },
    {
      ...COMMON,
      symbol: DEMO_MARKETS.BTC_INVERSE,
      kind: 'PERPETUAL',
      contractType: 'INVERSE',
      baseAsset: 'BTC',
      // The price is quoted in USDC (USD per BTC); contracts are 100 USD of face value, settled in BTC.
      quoteAsset: 'USDC',
      settlementAsset: 'BTC',
      contractSize: new D('100'),
      tickSize: new D('0.5'),
      lotSize: new D('1'),
      liquidationFeeRate: new D('0.005'),
      // Funding per USD of face value, in BTC (≈ 0.01% / 60,000 per 8 hours).
      fundingIndex: new D('0.000001834127'),
      fundingDecimals: 12,
      fundingStep: new D('0.0000000017'),
      // Inverse notional is in base: 500 BTC ≈ 30M USDC of depth.
      bookDepth: new D('500'),
      tiers: BTC_INVERSE_TIERS,
    },
  ];

  const { future, options } = demoDatedMarketSymbols(nowMs, btc);
  markets.push({
    ...COMMON,
    symbol: future,
    kind: 'FUTURE',
    contractType: 'LINEAR',
    baseAsset: 'BTC',
    quoteAsset: 'USDC',
    settlementAsset: 'USDC',
    tickSize: new D('0.1'),
    lotSize: new D('0.001'),
    expiry: expiryAfter(nowMs, FUTURE_DAYS_TO_EXPIRY),
    liquidationFeeRate: new D('0.005'),
    fundingIndex: new D(0),
    fundingDecimals: 0,
    fundingStep: new D(0),
    bookDepth: new D('20000000'),
    tiers: BTC_TIERS,
  });

  const optionExpiry = expiryAfter(nowMs, OPTION_DAYS_TO_EXPIRY);
  const strikes = optionStrikes(btc);
  // A mild smile: the low strike carries the highest vol.
  const vols = [new D('0.62'), new D('0.52'), new D('0.56')];
  let k = 0;
  strikes.forEach((strike, i) => {
    for (const optionType of ['CALL', 'PUT'] as const) {
      markets.push({
        ...COMMON,
        symbol: options[k++]!,
        kind: 'OPTION',
        contractType: 'LINEAR',
        baseAsset: 'BTC',
        quoteAsset: 'USDC',
        settlementAsset: 'USDC',
        tickSize: new D('0.1'),
        lotSize: new D('0.1'),
        expiry: optionExpiry,
        strike,
        optionType,
        liquidationFeeRate: new D('0.0075'),
        fundingIndex: new D(0),
        fundingDecimals: 0,
        fundingStep: new D(0),
        bookDepth: new D('2000000'),
        impliedVolatility: vols[i]!,
        optionAlpha: new D('0.15'),
        optionBeta: new D('0.1'),
        optionGamma: new D('0.075'),
        tiers: OPTION_TIERS,
      });
    }
  });
  return markets;
}

// ---------------------------------------------------------------------------------------------------------------
// Prices

export interface DemoPricePoint {
  readonly assetSymbol: DemoAssetSymbol;
  readonly price: Decimal;
  readonly observedAt: Date;
}

/**
 * PRICE_HISTORY_DAYS daily closes per asset at midnight UTC, the last one at the seed day's midnight. Risky assets
 * walk log-normally backwards from a spot near the model's target (so the walk ends there); USDT reverts to 1;
 * USDC is the valuation asset and stays exactly 1.
 */
function buildPriceHistory(seed: number, nowMs: number): DemoPricePoint[] {
  const lastMidnight = midnightUtc(nowMs);
  const at = (k: number) => new Date(lastMidnight - (PRICE_HISTORY_DAYS - 1 - k) * MS_PER_DAY);
  const points: DemoPricePoint[] = [];
  for (let k = 0; k < PRICE_HISTORY_DAYS; k++) points.push({ assetSymbol: 'USDC', price: new D(1), observedAt: at(k) });
  for (const model of PRICE_MODELS) {
    const rng = Rng.stream(seed, `prices/${model.symbol}`);
    const raw = new Array<number>(PRICE_HISTORY_DAYS);
    if (model.meanReverting) {
      const phi = 0.9;
      let x = model.spotTarget;
      for (let k = 0; k < PRICE_HISTORY_DAYS; k++) {
        x = model.spotTarget + phi * (x - model.spotTarget) + model.dailyVol * rng.normal();
        raw[k] = x;
      }
    } else {
      // Spot within a few percent of the target, then backwards: P_{k−1} = P_k / exp(σz − σ²/2).
      let p = model.spotTarget * Math.exp(0.03 * rng.normal());
      for (let k = PRICE_HISTORY_DAYS - 1; k >= 0; k--) {
        raw[k] = p;
        p = p / Math.exp(model.dailyVol * rng.normal() - (model.dailyVol * model.dailyVol) / 2);
      }
    }
    raw.forEach((price, k) => points.push({ assetSymbol: model.symbol, price: dec(price, model.decimals), observedAt: at(k) }));
  }
  return points;
}

// Black-76 in floating point, only to give the option markets a plausible mark (the engine values options itself).
function normCdf(x: number): number {
  // Abramowitz & Stegun 7.1.26 on erf, |error| < 1.5e-7.
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const erf = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-z * z);
  return x >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

export function black76(type: 'CALL' | 'PUT', forward: number, strike: number, vol: number, years: number): number {
  if (years <= 0 || vol <= 0) return Math.max(type === 'CALL' ? forward - strike : strike - forward, 0);
  const sd = vol * Math.sqrt(years);
  const d1 = (Math.log(forward / strike) + (sd * sd) / 2) / sd;
  const d2 = d1 - sd;
  return type === 'CALL'
    ? forward * normCdf(d1) - strike * normCdf(d2)
    : strike * normCdf(-d2) - forward * normCdf(-d1);
}

function markPriceFor(market: DemoMarket, index: Decimal, nowMs: number): Decimal {
  if (market.kind === 'PERPETUAL') return toStep(index, market.tickSize);
  const years = (market.expiry!.getTime() - nowMs) / (365 * MS_PER_DAY);
  if (market.kind === 'FUTURE') return toStep(index.mul(1 + FUTURE_ANNUAL_BASIS * years), market.tickSize);
  const value = black76(market.optionType!, index.toNumber(), market.strike!.toNumber(), market.impliedVolatility!.toNumber(), years);
  return D.max(toStep(value, market.tickSize), market.tickSize);
}

// ---------------------------------------------------------------------------------------------------------------
// Accounts

export type DemoAccountProfile = 'regular' | 'nearLiquidation' | 'liquidatable';

export interface DemoBalance {
  readonly assetSymbol: DemoAssetSymbol;
  /** Signed; negative = borrowed. */
  readonly amount: Decimal;
}

export interface DemoPosition {
  readonly id: string;
  readonly marketSymbol: string;
  readonly size: Decimal;
  readonly entryPrice: Decimal;
  readonly fundingIndex: Decimal;
  readonly marginType: 'CROSS' | 'ISOLATED';
  readonly isolatedMargin: Decimal;
  readonly leverage: Decimal | null;
}

export interface DemoLedgerEntry {
  readonly assetSymbol: DemoAssetSymbol;
  readonly kind: 'DEPOSIT' | 'WITHDRAWAL' | 'ISOLATED_TRANSFER';
  readonly amount: Decimal;
  readonly reference: string;
}

export interface DemoAccount {
  readonly id: string;
  readonly brokerIndex: number;
  readonly externalRef: string;
  readonly marginMode: 'CROSS' | 'PORTFOLIO';
  readonly profile: DemoAccountProfile;
  readonly balances: readonly DemoBalance[];
  readonly positions: readonly DemoPosition[];
  /** Σ per asset = the balance: a DEPOSIT per positive balance (plus what moved into isolated margin), a
   *  WITHDRAWAL per negative (borrowed) balance, an ISOLATED_TRANSFER per isolated position. */
  readonly ledger: readonly DemoLedgerEntry[];
}

export interface DemoBroker {
  readonly id: string;
  readonly name: string;
}

export interface DemoVenue {
  readonly seed: number;
  readonly nowMs: number;
  readonly assets: readonly DemoAsset[];
  readonly markets: readonly DemoMarket[];
  readonly priceHistory: readonly DemoPricePoint[];
  /** Index price per asset: the last history close, observed at nowMs. */
  readonly indexPrices: ReadonlyMap<DemoAssetSymbol, Decimal>;
  readonly markPrices: ReadonlyMap<string, Decimal>;
  readonly portfolioParams: readonly DemoPortfolioParams[];
  readonly insuranceFund: readonly { assetSymbol: DemoAssetSymbol; balance: Decimal }[];
  readonly brokers: readonly DemoBroker[];
  readonly accounts: readonly DemoAccount[];
}

export interface DemoVenueOptions {
  readonly accounts?: number;
  readonly seed?: number;
  readonly nowMs?: number;
}

interface PricingContext {
  readonly index: ReadonlyMap<string, Decimal>;
  readonly mark: ReadonlyMap<string, Decimal>;
  readonly markets: ReadonlyMap<string, DemoMarket>;
}

/** Notional of a position in USDC (inverse: |q|·c USD of face value). */
function notionalUsd(market: DemoMarket, size: Decimal, mark: Decimal): Decimal {
  return market.contractType === 'INVERSE' ? size.abs().mul(market.contractSize) : size.abs().mul(market.contractSize).mul(mark);
}

/** Notional in the market's tier units (inverse: base). */
function tierNotional(market: DemoMarket, size: Decimal, mark: Decimal): Decimal {
  return market.contractType === 'INVERSE' ? size.abs().mul(market.contractSize).div(mark) : size.abs().mul(market.contractSize).mul(mark);
}

/** uPnL + funding PnL (+ option value) in USDC, the way DESIGN section 4 values a position. */
function positionValueUsd(ctx: PricingContext, position: DemoPosition): Decimal {
  const market = ctx.markets.get(position.marketSymbol)!;
  const mark = ctx.mark.get(market.symbol)!;
  const q = position.size.mul(market.contractSize);
  const funding = q.neg().mul(market.fundingIndex.minus(position.fundingIndex));
  if (market.kind === 'OPTION') return q.mul(mark);
  if (market.contractType === 'INVERSE') {
    const base = q.mul(new D(1).div(position.entryPrice).minus(new D(1).div(mark))).plus(funding);
    return base.mul(ctx.index.get(market.settlementAsset)!);
  }
  return q.mul(mark.minus(position.entryPrice)).plus(funding);
}

/** Standard-mode requirements in USDC (tiers with user leverage; the short-option rule); long options need none. */
function requirementsUsd(ctx: PricingContext, position: DemoPosition): { im: Decimal; mm: Decimal } {
  const market = ctx.markets.get(position.marketSymbol)!;
  const mark = ctx.mark.get(market.symbol)!;
  if (market.kind === 'OPTION') {
    if (position.size.gte(0)) return { im: new D(0), mm: new D(0) };
    const units = position.size.abs().mul(market.contractSize);
    const underlying = ctx.index.get(market.baseAsset)!;
    const strike = market.strike!;
    const otm = D.max(market.optionType === 'CALL' ? strike.minus(underlying) : underlying.minus(strike), 0);
    const perUnitIm = mark.plus(D.max(market.optionAlpha!.mul(underlying).minus(otm), market.optionBeta!.mul(underlying)));
    const perUnitMm = mark.plus(market.optionGamma!.mul(underlying));
    return { im: units.mul(perUnitIm), mm: units.mul(perUnitMm) };
  }
  const n = tierNotional(market, position.size, mark);
  const tier = tierFor(market.tiers, n);
  const imr = position.leverage ? D.max(tier.initialMarginRate, new D(1).div(position.leverage)) : tier.initialMarginRate;
  let im = n.mul(imr);
  let mm = n.mul(tier.maintenanceMarginRate).minus(tier.maintenanceAmount);
  if (market.contractType === 'INVERSE') {
    const px = ctx.index.get(market.settlementAsset)!;
    im = im.mul(px);
    mm = mm.mul(px);
  }
  return { im, mm };
}

const LEVERAGE_CHOICES = [5, 10, 20] as const;
const ISOLATED_LEVERAGE_CHOICES = [3, 5, 10, 20] as const;

function refFor(brokerIndex: number, number: number): string {
  return `${DEMO_BROKER_REF_PREFIXES[brokerIndex]}-${String(number).padStart(4, '0')}`;
}

/** Position-entry price: within ±15% of the mark, on the tick grid, at least one tick. */
function entryNear(market: DemoMarket, mark: Decimal, deviation: number): Decimal {
  return D.max(toStep(mark.mul(1 + deviation), market.tickSize), market.tickSize);
}

function positionFundingIndex(rng: Rng, market: DemoMarket): Decimal {
  if (market.kind !== 'PERPETUAL') return new D(0);
  return dec(market.fundingIndex.minus(market.fundingStep.mul(rng.between(0, 3))), market.fundingDecimals);
}

function buildRegularAccount(seed: number, i: number, ctx: PricingContext, marketList: readonly DemoMarket[], base: { id: string; brokerIndex: number; externalRef: string }): DemoAccount {
  const rng = Rng.stream(seed, `account/${i}`);
  const marginMode = rng.chance(0.03) ? 'PORTFOLIO' : 'CROSS';
  const price = (symbol: string) => ctx.index.get(symbol)!;

  // Collateral.
  const amounts = new Map<DemoAssetSymbol, Decimal>();
  amounts.set('USDC', dec(rng.logBetween(1_000, 500_000), 2));
  if (rng.chance(0.22)) amounts.set('BTC', dec(rng.logBetween(0.01, 5), 4));
  if (rng.chance(0.15)) amounts.set('ETH', dec(rng.logBetween(0.1, 60), 4));
  if (amounts.size < 3 && rng.chance(0.06)) amounts.set('USDT', dec(rng.logBetween(500, 100_000), 2));
  // A few borrow USDC against plenty of BTC.
  const btcValue = (amounts.get('BTC') ?? new D(0)).mul(price('BTC'));
  if (btcValue.gte(20_000) && rng.chance(0.15)) {
    amounts.set('USDC', dec(btcValue.mul(rng.between(0.05, 0.3)), 2).neg());
  }
  const collateralValue = [...amounts].reduce((sum, [symbol, amount]) => sum.plus(amount.mul(price(symbol))), new D(0));

  // Positions.
  const count = rng.weighted([[0, 0.15], [1, 0.3], [2, 0.25], [3, 0.15], [4, 0.1], [5, 0.05]] as const);
  const optionsAllowed = marginMode === 'PORTFOLIO' || collateralValue.gte(100_000);
  const optionMarkets = marketList.filter((m) => m.kind === 'OPTION');
  const optionWeight = marginMode === 'PORTFOLIO' ? 0.4 : 0.04;
  let candidates: [DemoMarket, number][] = marketList
    .filter((m) => m.kind !== 'OPTION' || optionsAllowed)
    .map((m) => {
      if (m.kind === 'OPTION') return [m, optionWeight / optionMarkets.length];
      if (m.contractType === 'INVERSE') return [m, 0.05];
      if (m.kind === 'FUTURE') return [m, 0.04];
      return [m, { BTC: 0.35, ETH: 0.25, SOL: 0.15 }[m.baseAsset as 'BTC' | 'ETH' | 'SOL']];
    });
  const targetLeverage = 1 + 7 * Math.pow(rng.uniform(), 1.5);
  const shares = Array.from({ length: count }, () => rng.between(0.2, 1));
  const shareTotal = shares.reduce((a, b) => a + b, 0);

  const positions: DemoPosition[] = [];
  const isolatedFromUsdc: DemoPosition[] = [];
  for (let p = 0; p < count; p++) {
    const market = rng.weighted(candidates);
    candidates = candidates.filter(([m]) => m !== market);
    const mark = ctx.mark.get(market.symbol)!;
    const sign = rng.chance(0.55) ? 1 : -1;
    const id = deterministicUuid(seed, `position/${i}/${market.symbol}`);

    if (market.kind === 'OPTION') {
      const units = D.max(toStep(rng.logBetween(0.1, 5), market.lotSize), market.lotSize);
      positions.push({
        id,
        marketSymbol: market.symbol,
        size: units.mul(rng.chance(0.5) ? 1 : -1),
        entryPrice: entryNear(market, mark, rng.between(-0.15, 0.15)),
        fundingIndex: new D(0),
        marginType: 'CROSS',
        isolatedMargin: new D(0),
        leverage: null,
      });
      continue;
    }

    const notional = collateralValue.mul(targetLeverage * (shares[p]! / shareTotal));
    const units =
      market.contractType === 'INVERSE'
        ? notional.div(market.contractSize)
        : notional.div(market.contractSize.mul(mark));
    const size = D.max(toStep(units, market.lotSize, Decimal.ROUND_DOWN), market.lotSize).mul(sign);
    const isolated = market.contractType === 'LINEAR' && (amounts.get('USDC') ?? new D(0)).gt(0) && rng.chance(0.05);
    const draft: DemoPosition = {
      id,
      marketSymbol: market.symbol,
      size,
      entryPrice: entryNear(market, mark, rng.between(-0.15, 0.15)),
      fundingIndex: positionFundingIndex(rng, market),
      marginType: 'CROSS',
      isolatedMargin: new D(0),
      leverage: null,
    };
    if (isolated) {
      // isolatedMargin ≈ N / L, topped up by any unrealized loss so the position starts at or above IM.
      const n = tierNotional(market, size, mark);
      const maxLeverage = new D(1).div(tierFor(market.tiers, n).initialMarginRate).floor().toNumber();
      const leverage = Math.min(rng.pick(ISOLATED_LEVERAGE_CHOICES), maxLeverage);
      const loss = D.max(positionValueUsd(ctx, draft).neg(), 0);
      const position: DemoPosition = {
        ...draft,
        marginType: 'ISOLATED',
        isolatedMargin: dec(n.div(leverage).plus(loss), 2, Decimal.ROUND_CEIL),
        leverage: new D(leverage),
      };
      positions.push(position);
      isolatedFromUsdc.push(position);
    } else {
      positions.push({ ...draft, leverage: rng.chance(0.15) ? new D(rng.pick(LEVERAGE_CHOICES)) : null });
    }
  }

  // Keep ordinary accounts healthy: if the standard-mode initial margin equity would not cover IM with a cushion,
  // deposit more USDC. (The deliberately risky accounts are built separately.)
  const assetBySymbol = new Map(DEMO_ASSET_ROWS.map((a) => [a.symbol, a]));
  let initialMarginEquity = [...amounts].reduce((sum, [symbol, amount]) => {
    const a = assetBySymbol.get(symbol)!;
    return sum.plus(amount.mul(price(symbol)).mul(amount.gte(0) ? a.initialWeight : a.initialLiabilityWeight));
  }, new D(0));
  let im = new D(0);
  for (const position of positions) {
    if (position.marginType === 'ISOLATED') continue;
    initialMarginEquity = initialMarginEquity.plus(positionValueUsd(ctx, position));
    im = im.plus(requirementsUsd(ctx, position).im);
  }
  const target = im.mul(rng.between(1.25, 3));
  if (initialMarginEquity.lt(target)) {
    amounts.set('USDC', dec((amounts.get('USDC') ?? new D(0)).plus(target.minus(initialMarginEquity)), 2, Decimal.ROUND_CEIL));
  }

  const balances: DemoBalance[] = [...amounts]
    .filter(([, amount]) => !amount.isZero())
    .map(([assetSymbol, amount]) => ({ assetSymbol, amount }));
  const ledger: DemoLedgerEntry[] = [];
  for (const balance of balances) {
    const moved = balance.assetSymbol === 'USDC' ? isolatedFromUsdc.reduce((s, p) => s.plus(p.isolatedMargin), new D(0)) : new D(0);
    if (balance.amount.gt(0)) {
      ledger.push({ assetSymbol: balance.assetSymbol, kind: 'DEPOSIT', amount: balance.amount.plus(moved), reference: `seed:deposit:${base.externalRef}:${balance.assetSymbol}` });
    } else {
      // Borrowed: withdrawn against other collateral.
      ledger.push({ assetSymbol: balance.assetSymbol, kind: 'DEPOSIT', amount: moved, reference: `seed:deposit:${base.externalRef}:${balance.assetSymbol}` });
      ledger.push({ assetSymbol: balance.assetSymbol, kind: 'WITHDRAWAL', amount: balance.amount.minus(moved), reference: `seed:borrow:${base.externalRef}:${balance.assetSymbol}` });
    }
  }
  for (const position of isolatedFromUsdc) {
    ledger.push({ assetSymbol: 'USDC', kind: 'ISOLATED_TRANSFER', amount: position.isolatedMargin.neg(), reference: `seed:isolated:${position.id}` });
  }
  return {
    ...base,
    marginMode,
    profile: 'regular',
    balances,
    positions,
    ledger: ledger.filter((e) => !e.amount.isZero()),
  };
}

/**
 * A cross account with a single BTC-PERP position and only USDC, whose margin equity is MM × factor: factor in
 * [1.02, 1.15] for 'nearLiquidation' (just above maintenance), [0.85, 0.97] for 'liquidatable' (already below).
 * The entry is adverse (an unrealized loss) so the USDC balance stays positive; funding is settled (the position's
 * funding index equals the market's) so margin equity is exactly USDC + q·(P − E).
 */
function buildRiskyAccount(seed: number, i: number, profile: 'nearLiquidation' | 'liquidatable', ctx: PricingContext, base: { id: string; brokerIndex: number; externalRef: string }): DemoAccount {
  const rng = Rng.stream(seed, `account/${i}/${profile}`);
  const market = ctx.markets.get(DEMO_MARKETS.BTC_PERP)!;
  const mark = ctx.mark.get(market.symbol)!;
  const sign = rng.chance(0.5) ? 1 : -1;
  const size = D.max(toStep(new D(rng.logBetween(20_000, 3_000_000)).div(mark), market.lotSize), market.lotSize).mul(sign);
  const entryPrice = entryNear(market, mark, sign * rng.between(0, 0.05));
  const n = size.abs().mul(mark);
  const mm = maintenanceMarginFor(market.tiers, n);
  const upnl = size.mul(mark.minus(entryPrice));
  const factor = profile === 'nearLiquidation' ? rng.between(1.02, 1.15) : rng.between(0.85, 0.97);
  const usdc = dec(
    mm.mul(factor).minus(upnl),
    2,
    profile === 'nearLiquidation' ? Decimal.ROUND_CEIL : Decimal.ROUND_FLOOR,
  );
  return {
    ...base,
    marginMode: 'CROSS',
    profile,
    balances: [{ assetSymbol: 'USDC', amount: usdc }],
    positions: [
      {
        id: deterministicUuid(seed, `position/${i}/${market.symbol}`),
        marketSymbol: market.symbol,
        size,
        entryPrice,
        fundingIndex: market.fundingIndex,
        marginType: 'CROSS',
        isolatedMargin: new D(0),
        leverage: null,
      },
    ],
    ledger: [{ assetSymbol: 'USDC', kind: 'DEPOSIT', amount: usdc, reference: `seed:deposit:${base.externalRef}:USDC` }],
  };
}

/** How many deliberately risky accounts: ~1.2% just above maintenance (12 of 1,000) and ~0.3% below (3). */
export function riskyAccountCounts(accounts: number): { nearLiquidation: number; liquidatable: number } {
  if (accounts < 10) return { nearLiquidation: 0, liquidatable: 0 };
  return {
    nearLiquidation: Math.min(12, Math.max(2, Math.round(accounts * 0.012))),
    liquidatable: Math.min(3, Math.max(1, Math.round(accounts * 0.003))),
  };
}

function resolveOptions(options: DemoVenueOptions): { accounts: number; seed: number; nowMs: number } {
  const accounts = options.accounts ?? DEFAULT_ACCOUNTS;
  const seed = options.seed ?? DEFAULT_SEED;
  const nowMs = options.nowMs ?? Date.now();
  if (!Number.isInteger(accounts) || accounts < 0 || accounts > 1_000_000) throw new RangeError(`accounts must be an integer in [0, 1000000], got ${accounts}`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed must be an integer, got ${seed}`);
  if (!Number.isFinite(nowMs) || nowMs < PRICE_HISTORY_DAYS * MS_PER_DAY) throw new RangeError(`nowMs must be a finite epoch time, got ${nowMs}`);
  return { accounts, seed: seed >>> 0, nowMs: Math.floor(nowMs) };
}

/** The whole demo venue as plain data: a pure function of (seed, accounts, nowMs). */
export function generateDemoVenue(options: DemoVenueOptions = {}): DemoVenue {
  const { accounts: accountCount, seed, nowMs } = resolveOptions(options);

  const priceHistory = buildPriceHistory(seed, nowMs);
  const indexPrices = new Map<DemoAssetSymbol, Decimal>();
  for (const point of priceHistory) indexPrices.set(point.assetSymbol, point.price); // ascending: the last wins

  const markets = buildMarkets(nowMs, indexPrices);
  const markPrices = new Map<string, Decimal>();
  for (const market of markets) markPrices.set(market.symbol, markPriceFor(market, indexPrices.get(market.baseAsset)!, nowMs));
  const ctx: PricingContext = { index: indexPrices, mark: markPrices, markets: new Map(markets.map((m) => [m.symbol, m])) };

  const brokers = DEMO_BROKERS.map((name) => ({ id: deterministicUuid(seed, `broker/${name}`), name }));

  // Which accounts are the deliberately risky ones: a seeded partial shuffle.
  const counts = riskyAccountCounts(accountCount);
  const pickRng = Rng.stream(seed, `risky/${accountCount}`);
  const order = Array.from({ length: accountCount }, (_, i) => i);
  const special = new Map<number, 'nearLiquidation' | 'liquidatable'>();
  const specialTotal = counts.nearLiquidation + counts.liquidatable;
  for (let k = 0; k < specialTotal; k++) {
    const j = k + Math.floor(pickRng.uniform() * (accountCount - k));
    [order[k], order[j]] = [order[j]!, order[k]!];
    special.set(order[k]!, k < counts.nearLiquidation ? 'nearLiquidation' : 'liquidatable');
  }

  const accounts: DemoAccount[] = [];
  for (let i = 0; i < accountCount; i++) {
    const brokerIndex = i % DEMO_BROKERS.length;
    const base = {
      id: deterministicUuid(seed, `account/${i}`),
      brokerIndex,
      externalRef: refFor(brokerIndex, Math.floor(i / DEMO_BROKERS.length) + 1),
    };
    const profile = special.get(i);
    accounts.push(profile ? buildRiskyAccount(seed, i, profile, ctx, base) : buildRegularAccount(seed, i, ctx, markets, base));
  }

  return {
    seed,
    nowMs,
    assets: DEMO_ASSET_ROWS,
    markets,
    priceHistory,
    indexPrices,
    markPrices,
    portfolioParams: DEMO_PORTFOLIO_PARAMS,
    insuranceFund: DEMO_INSURANCE_FUND,
    brokers,
    accounts,
  };
}
