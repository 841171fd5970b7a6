/** Snapshot builders for the risk engine tests (plain decimal.js `Decimal`, as callers pass them). */
import Decimal from 'decimal.js';
import { buildTierSchedule } from '../../src/risk/rules/tier-rates';
import type {
  AccountSnapshot,
  AssetParams,
  BalanceSnapshot,
  ContractType,
  LiquidityAddon,
  MarginType,
  MarketKind,
  MarketParams,
  OpenInterestScaling,
  PositionSnapshot,
  PriceQuote,
  VolatilityAdjustment,
} from '../../src/risk/types';

export const dec = (x: Decimal.Value): Decimal => new Decimal(x);

export const NOW = 1_700_000_000_000;

export function asset(
  symbol: string,
  decimals = 8,
  w: { init?: Decimal.Value; maint?: Decimal.Value; initLiab?: Decimal.Value; maintLiab?: Decimal.Value } = {},
): AssetParams {
  return {
    symbol,
    decimals,
    initialWeight: dec(w.init ?? 1),
    maintenanceWeight: dec(w.maint ?? 1),
    initialLiabilityWeight: dec(w.initLiab ?? 1),
    maintenanceLiabilityWeight: dec(w.maintLiab ?? 1),
  };
}

export interface TierRow {
  floor: Decimal.Value;
  imr: Decimal.Value;
  mmr: Decimal.Value;
}

export function tiers(rows: readonly TierRow[]) {
  return buildTierSchedule(
    rows.map((r) => ({ notionalFloor: dec(r.floor), initialMarginRate: dec(r.imr), maintenanceMarginRate: dec(r.mmr) })),
  );
}

export interface MarketOpts {
  base: string;
  quote?: string;
  settle?: string;
  kind?: MarketKind;
  contractType?: ContractType;
  contractSize?: Decimal.Value;
  tick?: Decimal.Value;
  tiers?: readonly TierRow[];
  fundingIndex?: Decimal.Value;
  maxPriceAgeSeconds?: number;
  openInterestScaling?: OpenInterestScaling | null;
  volatilityAdjustment?: VolatilityAdjustment | null;
  liquidityAddon?: LiquidityAddon | null;
  /** Position-size add-on coefficients (rate per contract), IM and MM; absent = off. */
  sizeAddon?: { initial: Decimal.Value; maintenance: Decimal.Value } | null;
  /** Closing fee rate reserved in MM; absent = 0. */
  closingFeeRate?: Decimal.Value;
}

export function market(symbol: string, o: MarketOpts): MarketParams {
  const contractType = o.contractType ?? 'LINEAR';
  const quote = o.quote ?? 'USDT';
  return {
    symbol,
    kind: o.kind ?? 'PERPETUAL',
    contractType,
    baseAsset: o.base,
    quoteAsset: quote,
    settlementAsset: o.settle ?? (contractType === 'LINEAR' ? quote : o.base),
    contractSize: dec(o.contractSize ?? 1),
    tickSize: dec(o.tick ?? '0.01'),
    expiryMs: null,
    strike: null,
    optionType: null,
    tiers: tiers(o.tiers ?? [{ floor: 0, imr: '0.1', mmr: '0.05' }]),
    liquidationFeeRate: dec('0.005'),
    insuranceFundFeeRate: dec('0.001'),
    fundingIndex: dec(o.fundingIndex ?? 0),
    maxPriceAgeSeconds: o.maxPriceAgeSeconds ?? 60,
    openInterestScaling: o.openInterestScaling ?? null,
    volatilityAdjustment: o.volatilityAdjustment ?? null,
    liquidityAddon: o.liquidityAddon ?? null,
    impliedVolatility: null,
    optionMargin: null,
    slippage: { baseRate: dec('0.001'), bookDepth: dec(1_000_000), impactFactor: dec('0.1') },
    ...(o.sizeAddon ? { sizeAddon: { initialRatePerContract: dec(o.sizeAddon.initial), maintenanceRatePerContract: dec(o.sizeAddon.maintenance) } } : {}),
    ...(o.closingFeeRate !== undefined ? { closingFeeRate: dec(o.closingFeeRate) } : {}),
  };
}

export interface OptionMarketOpts {
  base: string;
  quote?: string;
  type: 'CALL' | 'PUT';
  strike: Decimal.Value;
  vol: Decimal.Value;
  expiryMs: number;
  contractSize?: Decimal.Value;
  tick?: Decimal.Value;
  /** α/β/γ; null = none configured (the engine falls back to Deribit's). Default Deribit's. */
  optionMargin?: { alpha: Decimal.Value; beta: Decimal.Value; gamma: Decimal.Value } | null;
}

/** A LINEAR European option market settled in its quote (USDT by default). */
export function optionMarket(symbol: string, o: OptionMarketOpts): MarketParams {
  const m = market(symbol, { base: o.base, quote: o.quote, kind: 'OPTION', contractSize: o.contractSize ?? 1, tick: o.tick ?? '0.1' });
  const om = o.optionMargin === undefined ? { alpha: '0.15', beta: '0.1', gamma: '0.075' } : o.optionMargin;
  return {
    ...m,
    strike: dec(o.strike),
    optionType: o.type,
    expiryMs: o.expiryMs,
    impliedVolatility: dec(o.vol),
    optionMargin: om === null ? null : { alpha: dec(om.alpha), beta: dec(om.beta), gamma: dec(om.gamma) },
  };
}

export interface PositionOpts {
  marginType?: MarginType;
  isolatedMargin?: Decimal.Value;
  leverage?: Decimal.Value | null;
  fundingIndex?: Decimal.Value;
}

export function position(
  id: string,
  marketSymbol: string,
  size: Decimal.Value,
  entry: Decimal.Value,
  o: PositionOpts = {},
): PositionSnapshot {
  return {
    id,
    market: marketSymbol,
    size: dec(size),
    entryPrice: dec(entry),
    realizedPnl: dec(0),
    fundingIndex: dec(o.fundingIndex ?? 0),
    marginType: o.marginType ?? 'CROSS',
    isolatedMargin: dec(o.isolatedMargin ?? 0),
    leverage: o.leverage === undefined || o.leverage === null ? null : dec(o.leverage),
  };
}

export function quote(price: Decimal.Value, observedAtMs = NOW): PriceQuote {
  return { price: dec(price), observedAtMs };
}

export interface SnapshotOpts {
  accountId?: string;
  marginMode?: 'CROSS' | 'PORTFOLIO';
  balances?: Record<string, Decimal.Value>;
  positions?: PositionSnapshot[];
  markets: MarketParams[];
  assets: AssetParams[];
  marks: Record<string, Decimal.Value | PriceQuote>;
  indexes?: Record<string, Decimal.Value | PriceQuote>;
  asOfMs?: number;
  valuationAsset?: string;
  maxIndexPriceAgeSeconds?: number;
  portfolioParams?: AccountSnapshot['portfolioParams'];
}

function quotes(x: Record<string, Decimal.Value | PriceQuote>): Record<string, PriceQuote> {
  const out: Record<string, PriceQuote> = {};
  for (const [k, v] of Object.entries(x)) {
    out[k] = typeof v === 'object' && v !== null && 'observedAtMs' in v ? (v as PriceQuote) : quote(v as Decimal.Value);
  }
  return out;
}

export function snapshot(o: SnapshotOpts): AccountSnapshot {
  const balances: BalanceSnapshot[] = Object.entries(o.balances ?? {}).map(([a, amount]) => ({ asset: a, amount: dec(amount) }));
  return {
    accountId: o.accountId ?? 'acc-1',
    marginMode: o.marginMode ?? 'CROSS',
    balances,
    positions: o.positions ?? [],
    markets: Object.fromEntries(o.markets.map((m) => [m.symbol, m])),
    assets: Object.fromEntries(o.assets.map((a) => [a.symbol, a])),
    markPrices: quotes(o.marks),
    indexPrices: quotes(o.indexes ?? {}),
    portfolioParams: o.portfolioParams ?? {},
    asOfMs: o.asOfMs ?? NOW,
    valuationAsset: o.valuationAsset ?? 'USDT',
    maxIndexPriceAgeSeconds: o.maxIndexPriceAgeSeconds ?? 120,
  };
}

/** |a − b| ≤ tol, in decimal arithmetic. */
export function near(a: Decimal.Value, b: Decimal.Value, tol: Decimal.Value): boolean {
  return new Decimal(a).sub(new Decimal(b)).abs().lte(new Decimal(tol));
}

/** Binance BTCUSDT brackets (old USD-M schedule). Tier 3 = [1M, 10M): mmr 2.5%, cum 16,300. */
export const BINANCE_BTC_TIERS: TierRow[] = [
  { floor: 0, imr: '0.008', mmr: '0.004' },
  { floor: 50_000, imr: '0.01', mmr: '0.005' },
  { floor: 250_000, imr: '0.02', mmr: '0.01' },
  { floor: 1_000_000, imr: '0.05', mmr: '0.025' },
  { floor: 10_000_000, imr: '0.1', mmr: '0.05' },
  { floor: 20_000_000, imr: '0.2', mmr: '0.1' },
];

/** Binance ETHUSDT brackets (old USD-M schedule). Tier 5 = [2M, 5M): mmr 10%, cum 135,365. */
export const BINANCE_ETH_TIERS: TierRow[] = [
  { floor: 0, imr: '0.01', mmr: '0.005' },
  { floor: 10_000, imr: '0.0133', mmr: '0.0065' },
  { floor: 100_000, imr: '0.02', mmr: '0.01' },
  { floor: 500_000, imr: '0.04', mmr: '0.02' },
  { floor: 1_000_000, imr: '0.1', mmr: '0.05' },
  { floor: 2_000_000, imr: '0.2', mmr: '0.1' },
  { floor: 5_000_000, imr: '0.25', mmr: '0.125' },
  { floor: 10_000_000, imr: '0.5', mmr: '0.15' },
];
