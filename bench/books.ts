/**
 * The engine bench's books, shared by bench/engine.ts and bench/screening.ts: a realistic delta-one account (10
 * positions over 5 markets — LINEAR and INVERSE, cross and isolated, one with user leverage — and 3 collateral assets,
 * one borrowed) and an option book (a BTC perpetual plus three BTC options, evaluated in CROSS and PORTFOLIO mode).
 */
import Decimal from 'decimal.js';
import type { AccountSnapshot } from '../src/risk';
import { buildTierSchedule } from '../src/risk/rules/tier-rates';
import type { AssetParams, MarketParams, PositionSnapshot } from '../src/risk/types';

export const NOW = 1_700_000_000_000;
export const d = (x: Decimal.Value) => new Decimal(x);

function tiers(rows: [number, string, string][]) {
  return buildTierSchedule(rows.map(([floor, imr, mmr]) => ({ notionalFloor: d(floor), initialMarginRate: d(imr), maintenanceMarginRate: d(mmr) })));
}
const STD_TIERS = tiers([
  [0, '0.008', '0.004'],
  [50_000, '0.01', '0.005'],
  [250_000, '0.02', '0.01'],
  [1_000_000, '0.05', '0.025'],
  [10_000_000, '0.1', '0.05'],
]);
const INV_TIERS = tiers([
  [0, '0.01', '0.005'],
  [5, '0.02', '0.01'],
  [50, '0.05', '0.025'],
]);

export function market(symbol: string, base: string, contractType: 'LINEAR' | 'INVERSE', contractSize: string, tick: string): MarketParams {
  return {
    symbol,
    kind: 'PERPETUAL',
    contractType,
    baseAsset: base,
    quoteAsset: contractType === 'LINEAR' ? 'USDT' : 'USD',
    settlementAsset: contractType === 'LINEAR' ? 'USDT' : base,
    contractSize: d(contractSize),
    tickSize: d(tick),
    expiryMs: null,
    strike: null,
    optionType: null,
    tiers: contractType === 'LINEAR' ? STD_TIERS : INV_TIERS,
    liquidationFeeRate: d('0.005'),
    insuranceFundFeeRate: d('0.001'),
    fundingIndex: d('12.5'),
    maxPriceAgeSeconds: 60,
    openInterestScaling: null,
    volatilityAdjustment: null,
    liquidityAddon: null,
    impliedVolatility: null,
    optionMargin: null,
    slippage: { baseRate: d('0.001'), bookDepth: d(1e6), impactFactor: d('0.1') },
  };
}
const asset = (symbol: string, decimals: number, w: string, lw: string): AssetParams => ({
  symbol,
  decimals,
  initialWeight: d(w),
  maintenanceWeight: d(w).add(1).div(2),
  initialLiabilityWeight: d(lw),
  maintenanceLiabilityWeight: d(lw).add(1).div(2),
});

export const markets = [
  market('BTCUSDT', 'BTC', 'LINEAR', '0.001', '0.1'),
  market('ETHUSDT', 'ETH', 'LINEAR', '0.01', '0.01'),
  market('SOLUSDT', 'SOL', 'LINEAR', '1', '0.001'),
  market('BTCUSD', 'BTC', 'INVERSE', '100', '0.5'),
  market('ETHUSD', 'ETH', 'INVERSE', '10', '0.05'),
];
const MARK: Record<string, string> = { BTCUSDT: '43210.5', ETHUSDT: '2291.37', SOLUSDT: '61.234', BTCUSD: '43205.5', ETHUSD: '2290.85' };
export const pos = (id: string, m: string, size: string, entry: string, iso?: string, lev?: string): PositionSnapshot => ({
  id,
  market: m,
  size: d(size),
  entryPrice: d(entry),
  realizedPnl: d(0),
  fundingIndex: d('12.1'),
  marginType: iso === undefined ? 'CROSS' : 'ISOLATED',
  isolatedMargin: d(iso ?? 0),
  leverage: lev === undefined ? null : d(lev),
});
export const positions = [
  pos('p01', 'BTCUSDT', '2500', '41000.2'),
  pos('p02', 'ETHUSDT', '-1800', '2350.1'),
  pos('p03', 'SOLUSDT', '4000', '58.77', undefined, '10'),
  pos('p04', 'BTCUSD', '-3000', '44100'),
  pos('p05', 'ETHUSD', '5000', '2200.5'),
  pos('p06', 'BTCUSDT', '800', '43900', '4000'),
  pos('p07', 'ETHUSDT', '1200', '2100', '3000', '20'),
  pos('p08', 'SOLUSDT', '-2500', '66.1', '20000'),
  pos('p09', 'BTCUSD', '1500', '42000', '0.05'),
  pos('p10', 'ETHUSD', '-2000', '2400', '1.2'),
];
export const q = (price: string) => ({ price: d(price), observedAtMs: NOW - 1000 });
export const snapshot: AccountSnapshot = {
  accountId: 'bench',
  marginMode: 'CROSS',
  balances: [
    { asset: 'USDT', amount: d('150000') },
    { asset: 'BTC', amount: d('1.75') },
    { asset: 'ETH', amount: d('-3.5') },
  ],
  positions,
  markets: Object.fromEntries(markets.map((m) => [m.symbol, m])),
  assets: Object.fromEntries(
    [asset('USDT', 6, '1', '1'), asset('BTC', 8, '0.9', '1.1'), asset('ETH', 8, '0.85', '1.15'), asset('SOL', 8, '0.7', '1.3'), asset('USD', 2, '1', '1')].map(
      (a) => [a.symbol, a],
    ),
  ),
  markPrices: Object.fromEntries(Object.entries(MARK).map(([k, v]) => [k, q(v)])),
  indexPrices: { USDT: q('0.9999'), BTC: q('43208'), ETH: q('2291'), SOL: q('61.2') },
  portfolioParams: {},
  asOfMs: NOW,
  valuationAsset: 'USD',
  maxIndexPriceAgeSeconds: 120,
};

// Option books (issue 5): a BTC perpetual plus three BTC options (Black-76 in Decimal, ~1 ms per valuation), in
// CROSS (standard short-option rule) and PORTFOLIO (16-scenario scan) mode.
const DAY = 86_400_000;
export function optionMarket(symbol: string, type: 'CALL' | 'PUT', strike: string, vol: string): MarketParams {
  return {
    ...market(symbol, 'BTC', 'LINEAR', '1', '0.1'),
    kind: 'OPTION',
    expiryMs: NOW + 30 * DAY,
    strike: d(strike),
    optionType: type,
    impliedVolatility: d(vol),
    optionMargin: { alpha: d('0.15'), beta: d('0.1'), gamma: d('0.075') },
  };
}
export const optionMarkets = [
  markets[0]!,
  optionMarket('BTC-45000-C', 'CALL', '45000', '0.52'),
  optionMarket('BTC-40000-P', 'PUT', '40000', '0.6'),
  optionMarket('BTC-50000-C', 'CALL', '50000', '0.55'),
];
export const optionBook: AccountSnapshot = {
  ...snapshot,
  accountId: 'bench-options',
  balances: [{ asset: 'USDT', amount: d('60000') }],
  positions: [
    pos('o1', 'BTCUSDT', '1500', '42000'),
    pos('o2', 'BTC-45000-C', '-2', '1500'),
    pos('o3', 'BTC-40000-P', '3', '900'),
    pos('o4', 'BTC-50000-C', '-1.5', '600'),
  ].map((p) => ({ ...p, fundingIndex: d('12.5') })),
  markets: Object.fromEntries(optionMarkets.map((m) => [m.symbol, m])),
  markPrices: { ...snapshot.markPrices, 'BTC-45000-C': q('1400'), 'BTC-40000-P': q('800'), 'BTC-50000-C': q('550') },
  portfolioParams: {
    BTC: { priceScanRange: d('0.15'), volScanRange: d('0.25'), extremeMoveMultiple: d('3'), extremeMoveCoverage: d('0.33'), shortOptionMinimum: d('0.01'), maintenanceFraction: d('0.8') },
  },
};
