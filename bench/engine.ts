/**
 * Risk engine benchmark: evaluates a realistic account (10 positions over 5 markets, 3 collateral assets) many
 * times and compares with a baseline measured in the same run: the same number of positions' core arithmetic
 * (notional, uPnL, IM, MM, USD conversion, sums) done inline with decimal.js at the engine's precision.
 * Prints ratios against the baseline, never an absolute number alone.
 *
 *   npx tsx bench/engine.ts [iterations]
 */
import Decimal from 'decimal.js';
import { evaluateAccount, type AccountSnapshot, type LiquidationPriceMode } from '../src/risk';
import { ENGINE_DECIMAL_CONFIG } from '../src/risk/decimal';
import { buildTierSchedule } from '../src/risk/rules/tier-rates';
import { clearOptionValuationMemo } from '../src/risk/valuation';
import type { AssetParams, MarketParams, PositionSnapshot } from '../src/risk/types';
import { runCompiledInstead } from './compiled';

runCompiledInstead(__filename);

const NOW = 1_700_000_000_000;
const d = (x: Decimal.Value) => new Decimal(x);

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

function market(symbol: string, base: string, contractType: 'LINEAR' | 'INVERSE', contractSize: string, tick: string): MarketParams {
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

const markets = [
  market('BTCUSDT', 'BTC', 'LINEAR', '0.001', '0.1'),
  market('ETHUSDT', 'ETH', 'LINEAR', '0.01', '0.01'),
  market('SOLUSDT', 'SOL', 'LINEAR', '1', '0.001'),
  market('BTCUSD', 'BTC', 'INVERSE', '100', '0.5'),
  market('ETHUSD', 'ETH', 'INVERSE', '10', '0.05'),
];
const MARK: Record<string, string> = { BTCUSDT: '43210.5', ETHUSDT: '2291.37', SOLUSDT: '61.234', BTCUSD: '43205.5', ETHUSD: '2290.85' };
const pos = (id: string, m: string, size: string, entry: string, iso?: string, lev?: string): PositionSnapshot => ({
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
const positions = [
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
const q = (price: string) => ({ price: d(price), observedAtMs: NOW - 1000 });
const snapshot: AccountSnapshot = {
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

/**
 * The baseline's arithmetic: decimal.js as it comes, in the engine's settings (precision, rounding), without the
 * engine context's exact fast paths (src/risk/exact.ts), so the ratio compares the engine with plain decimal.js.
 */
const D = Decimal.clone(ENGINE_DECIMAL_CONFIG);

/** Baseline: the core multiply-adds per position done inline with decimal.js in the engine's settings. */
function baseline(): Decimal {
  let sum = new D(0);
  for (const p of positions) {
    const m = snapshot.markets[p.market]!;
    const mark = new D(snapshot.markPrices[p.market]!.price);
    const qc = new D(p.size).mul(m.contractSize);
    const linear = m.contractType === 'LINEAR';
    const notional = linear ? qc.abs().mul(mark) : qc.abs().div(mark);
    const upnl = linear ? qc.mul(mark.sub(p.entryPrice)) : qc.mul(new D(1).div(p.entryPrice).sub(new D(1).div(mark)));
    const tier = m.tiers[0]!;
    const im = notional.mul(tier.initialMarginRate).toDecimalPlaces(8, Decimal.ROUND_CEIL);
    const mm = notional.mul(tier.maintenanceMarginRate).sub(tier.maintenanceAmount).toDecimalPlaces(8, Decimal.ROUND_CEIL);
    const x = new D(snapshot.indexPrices[m.settlementAsset]!.price);
    sum = sum.add(upnl.mul(x)).sub(im.mul(x)).sub(mm.mul(x));
  }
  return sum;
}

function time(iterations: number, fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const iterations = Number(process.argv[2] ?? 2000);
const modes: LiquidationPriceMode[] = ['SKIP', 'COMPUTE'];
// Warm up the JIT on both paths.
for (let i = 0; i < 200; i++) {
  baseline();
  for (const mode of modes) evaluateAccount(snapshot, { liquidationPrices: mode });
}
const r = evaluateAccount(snapshot);
const baselineSeconds = time(iterations * 10, baseline);
const baselineRate = (iterations * 10 * positions.length) / baselineSeconds;
console.log(`snapshot: ${positions.length} positions, ${markets.length} markets, ${snapshot.balances.length} balances; status ${r.status}`);
console.log(`baseline (inline decimal.js multiply-adds): ${baselineRate.toFixed(0)} position evaluations/s = 1.00x`);
for (const mode of modes) {
  const seconds = time(iterations, () => evaluateAccount(snapshot, { liquidationPrices: mode }));
  const rate = (iterations * positions.length) / seconds;
  const label = mode === 'SKIP' ? 'engine, figures only (liquidationPrices SKIP)' : 'engine, full (with liquidation prices)';
  console.log(
    `${label}: ${rate.toFixed(0)} position evaluations/s = ${(rate / baselineRate).toFixed(3)}x baseline ` +
      `(engine/baseline time per position ${(baselineRate / rate).toFixed(1)}x)`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Option books (issue 5): a BTC perpetual plus three BTC options (Black-76 in Decimal, ~1 ms per valuation), in
// CROSS (standard short-option rule) and PORTFOLIO (16-scenario scan) mode. Milliseconds per account evaluation.
const DAY = 86_400_000;
function optionMarket(symbol: string, type: 'CALL' | 'PUT', strike: string, vol: string): MarketParams {
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
const optionMarkets = [
  markets[0]!,
  optionMarket('BTC-45000-C', 'CALL', '45000', '0.52'),
  optionMarket('BTC-40000-P', 'PUT', '40000', '0.6'),
  optionMarket('BTC-50000-C', 'CALL', '50000', '0.55'),
];
const optionBook: AccountSnapshot = {
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
const optionIterations = Math.max(5, Math.round(iterations / 100));
// cold: the process-wide valuation memo emptied before every evaluation (one account alone); warm: another account
// at the same instant and prices was just evaluated (a page, a sweep, a stress round).
for (const marginMode of ['CROSS', 'PORTFOLIO'] as const) {
  const snap = { ...optionBook, marginMode };
  for (const mode of modes) {
    for (const memo of ['cold', 'warm'] as const) {
      evaluateAccount(snap, { liquidationPrices: mode });
      const seconds = time(optionIterations, () => {
        if (memo === 'cold') clearOptionValuationMemo();
        evaluateAccount(snap, { liquidationPrices: mode });
      });
      console.log(
        `option book (perp + 3 options, ${marginMode}), liquidationPrices ${mode}, ${memo}: ${((seconds / optionIterations) * 1000).toFixed(1)} ms per account ` +
          `(${((seconds / optionIterations) / (1 / baselineRate)).toFixed(0)}x one baseline position)`,
      );
    }
  }
}
