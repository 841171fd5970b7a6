/**
 * The double-precision terms the boundary searches run on (src/risk/fast-terms.ts) are the engine's own margin terms
 * (marginTermsAt: valuation + MM in Decimal) to within double rounding, for linear and inverse markets, every tier,
 * the volatility factor, the liquidity add-on, the size add-on, the closing fee, basis ENTRY and funding.
 */
import Decimal from 'decimal.js';
import fc from 'fast-check';
import { fastDeltaOne, fastEquityAt, fastMaintenanceAt } from '../../src/risk/fast-terms';
import { prepareAccount } from '../../src/risk/model';
import { marginTermsAt } from '../../src/risk/position';
import type { MarketParams } from '../../src/risk/types';
import * as F from './fixtures';

const d = (x: Decimal.Value) => new Decimal(x);
const RUNS = { numRuns: 300, seed: Number(process.env.FC_SEED ?? 20261121) };

const markets: MarketParams[] = [
  F.market('BTCUSDT', { base: 'BTC', tiers: F.BINANCE_BTC_TIERS, fundingIndex: '12.5', volatilityAdjustment: { zScore: d('2.326'), horizonDays: d(1), dailyVolatility: d('0.03') } }),
  F.market('ETHUSDT', { base: 'ETH', tiers: F.BINANCE_ETH_TIERS, liquidityAddon: { lambda: d('0.05'), bookDepth: d(2e6) } }),
  { ...F.market('SOLUSDT', { base: 'SOL', tiers: F.BINANCE_ETH_TIERS, closingFeeRate: '0.0006' }), maintenanceBasis: 'ENTRY' },
  F.market('XRPUSDT', { base: 'XRP', tiers: F.BINANCE_ETH_TIERS, sizeAddon: { initial: '0.0001', maintenance: '0.00005' }, closingFeeRate: '0.00055' }),
  F.market('ETHUSD', {
    base: 'ETH',
    quote: 'USD',
    contractType: 'INVERSE',
    contractSize: 10,
    sizeAddon: { initial: '0.00002', maintenance: '0.00001' },
    closingFeeRate: '0.00075',
    tiers: [
      { floor: 0, imr: '0.02', mmr: '0.01' },
      { floor: 50, imr: '0.04', mmr: '0.02' },
    ],
  }),
  F.market('BTCUSD', {
    base: 'BTC',
    quote: 'USD',
    contractType: 'INVERSE',
    contractSize: 100,
    fundingIndex: '-3',
    tiers: [
      { floor: 0, imr: '0.01', mmr: '0.005' },
      { floor: 5, imr: '0.02', mmr: '0.01' },
      { floor: 50, imr: '0.05', mmr: '0.025' },
    ],
  }),
];
const MARKS: Record<string, number> = { BTCUSDT: 30000, ETHUSDT: 2000, SOLUSDT: 60, BTCUSD: 30000, XRPUSDT: 0.5, ETHUSD: 2000 };

/** |a − b| ≤ 1e-9 relative to the larger of the two magnitudes and 1 unit. */
function close(a: number, b: Decimal): boolean {
  const scale = Math.max(1, Math.abs(a), Math.abs(b.toNumber()));
  return Math.abs(a - b.toNumber()) <= 1e-9 * scale;
}

describe('fast delta-one terms', () => {
  test('agree with marginTermsAt to within double rounding at any price', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...markets.map((m) => m.symbol)),
        fc.double({ min: -500, max: 500, noNaN: true }),
        fc.double({ min: 0.5, max: 1.5, noNaN: true }),
        fc.double({ min: 0.02, max: 20, noNaN: true }),
        (symbol, size, entryMove, ratio) => {
          const mark = MARKS[symbol]!;
          const snapshot = F.snapshot({
            balances: { USDT: 0 },
            positions: [F.position('p', symbol, d(size).toDecimalPlaces(3), d(mark).mul(d(entryMove)).toDecimalPlaces(2), { fundingIndex: '11' })],
            markets,
            assets: [F.asset('USDT', 6), F.asset('BTC', 8), F.asset('ETH', 8), F.asset('SOL', 8), F.asset('XRP', 8), F.asset('USD', 2)],
            marks: MARKS,
            indexes: { BTC: 30010, ETH: 1999, SOL: 60.1, XRP: 0.5, USDT: '0.9998' },
            valuationAsset: 'USD',
          });
          const pos = prepareAccount(snapshot).positions[0]!;
          const price = d(mark).mul(d(ratio)).toDecimalPlaces(6);
          const exact = marginTermsAt(pos, price);
          const fast = fastDeltaOne(pos);
          expect([symbol, close(fastEquityAt(fast, price.toNumber()), exact.pnl)]).toEqual([symbol, true]);
          // MM is rounded up to the settlement decimals by the engine (not by the fast model): at most one unit above.
          const mm = fastMaintenanceAt(fast, price.toNumber());
          const unit = 10 ** -pos.market.settleDecimals;
          const above = exact.maintenanceMargin.toNumber() - mm;
          expect([symbol, close(mm, exact.maintenanceMargin) || (above >= -1e-9 * Math.max(1, mm) && above <= unit)]).toEqual([symbol, true]);
          return true;
        },
      ),
      RUNS,
    );
  });

  test('refuses options (they have their own FAST valuation)', () => {
    const option = F.optionMarket('BTC-C', { base: 'BTC', type: 'CALL', strike: 30000, expiryMs: F.NOW + 86_400_000 * 30, vol: '0.5' });
    const snapshot = F.snapshot({
      balances: { USDT: 1000 },
      positions: [F.position('o', 'BTC-C', 1, 1000)],
      markets: [markets[0]!, option],
      assets: [F.asset('USDT', 6), F.asset('BTC', 8), F.asset('USD', 2)],
      marks: { BTCUSDT: 30000, 'BTC-C': 1200 },
      indexes: { BTC: 30010, USDT: '0.9998' },
      valuationAsset: 'USD',
    });
    expect(() => fastDeltaOne(prepareAccount(snapshot).positions[0]!)).toThrow(/option/);
  });
});
