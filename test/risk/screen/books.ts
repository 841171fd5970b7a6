/**
 * Random books for the screen's differential property tests (screened.test.ts, figures.test.ts): LINEAR and INVERSE
 * perpetuals (tiers, volatility adjustment, OI scaling, liquidity add-on, basis ENTRY, user leverage, funding),
 * options (calls and puts, long and short), several collaterals (borrowed ones too), isolated positions, PORTFOLIO
 * accounts, and now and then a stale price or an invalid row.
 */
import Decimal from 'decimal.js';
import fc from 'fast-check';
import { evaluateAccount, type AccountRisk, type AccountSnapshot, type MarketParams, type PositionSnapshot } from '../../../src/risk';
import * as F from '../fixtures';

export const SEED = Number(process.env.FC_SEED ?? 20261203);
export const d = (x: Decimal.Value) => new Decimal(x);
export const DAY = 86_400_000;

/** A decimal with `dp` places in [lo, hi]. */
export const decimalIn = (lo: number, hi: number, dp: number) =>
  fc.integer({ min: Math.round(lo * 10 ** dp), max: Math.round(hi * 10 ** dp) }).map((i) => d(i).div(10 ** dp));

export const MARKETS = ['BTCUSDT', 'ETHUSDT', 'BTCUSD', 'BTC-C', 'BTC-P'] as const;
export type MarketSymbol = (typeof MARKETS)[number];

export interface MarketCase {
  btc: Decimal;
  eth: Decimal;
  usdt: Decimal;
  /** Tier floor scale of the LINEAR markets (quote) and the INVERSE one (base). */
  linearFloor: Decimal;
  inverseFloor: Decimal;
  vol: Decimal | null;
  oi: Decimal | null;
  lambda: Decimal | null;
  entryBasis: boolean;
  funding: Decimal;
  btcWeight: Decimal;
  ethWeight: Decimal;
  /** A market whose mark is stale (the exact engine throws STALE_PRICE for its positions), or none. */
  stale: MarketSymbol | null;
}

export const marketCase: fc.Arbitrary<MarketCase> = fc.record({
  btc: decimalIn(20_000, 80_000, 1),
  eth: decimalIn(1_000, 4_000, 2),
  usdt: decimalIn(0.998, 1.002, 4),
  linearFloor: decimalIn(1_000, 200_000, 0),
  inverseFloor: decimalIn(0.5, 20, 2),
  vol: fc.option(decimalIn(0.002, 0.05, 4), { nil: null, freq: 2 }),
  oi: fc.option(decimalIn(100, 100_000, 0), { nil: null, freq: 2 }),
  lambda: fc.option(decimalIn(0.00001, 0.001, 6), { nil: null, freq: 2 }),
  entryBasis: fc.boolean(),
  funding: decimalIn(-50, 50, 4),
  btcWeight: decimalIn(0.5, 1, 2),
  ethWeight: decimalIn(0.5, 1, 2),
  stale: fc.integer({ min: 0, max: 24 }).map((i) => (i < MARKETS.length ? MARKETS[i]! : null)),
});

export const tierRows = (floor: Decimal) => [
  { floor: 0, imr: '0.01', mmr: '0.005' },
  { floor: floor.toString(), imr: '0.02', mmr: '0.01' },
  { floor: floor.mul(5).toString(), imr: '0.05', mmr: '0.025' },
];

/** The market context of a case: every account of the case shares it (as a sweep batch does). */
export function context(c: MarketCase) {
  const perp = (symbol: string, base: string, contractType: 'LINEAR' | 'INVERSE'): MarketParams => {
    const m = F.market(symbol, {
      base,
      quote: contractType === 'LINEAR' ? 'USDT' : 'USD',
      contractType,
      contractSize: contractType === 'LINEAR' ? '0.01' : 100,
      tiers: tierRows(contractType === 'LINEAR' ? c.linearFloor : c.inverseFloor),
      fundingIndex: contractType === 'LINEAR' ? c.funding : c.funding.div(1e6),
      volatilityAdjustment: c.vol === null ? null : { zScore: d('2.326'), horizonDays: d(1), dailyVolatility: c.vol },
      openInterestScaling:
        c.oi === null ? null : { lowerCap: d(1_000_000), upperCap: d(50_000_000), openInterest: c.oi, rateStep: d('0.000001') },
      liquidityAddon: c.lambda === null ? null : { lambda: c.lambda, bookDepth: d(contractType === 'LINEAR' ? 5_000_000 : 100) },
    });
    return { ...m, maintenanceBasis: c.entryBasis && symbol !== 'ETHUSDT' ? 'ENTRY' : 'MARK' };
  };
  const option = (symbol: string, type: 'CALL' | 'PUT', strikeFactor: string) =>
    F.optionMarket(symbol, { base: 'BTC', type, strike: c.btc.mul(strikeFactor).toDecimalPlaces(0), vol: '0.55', expiryMs: F.NOW + 20 * DAY, contractSize: '0.1' });
  const markets = [
    perp('BTCUSDT', 'BTC', 'LINEAR'),
    perp('ETHUSDT', 'ETH', 'LINEAR'),
    perp('BTCUSD', 'BTC', 'INVERSE'),
    option('BTC-C', 'CALL', '1.1'),
    option('BTC-P', 'PUT', '0.9'),
  ];
  const marks: Record<string, Decimal | ReturnType<typeof F.quote>> = {
    BTCUSDT: c.btc,
    ETHUSDT: c.eth,
    BTCUSD: c.btc.add(5),
    'BTC-C': d(1000),
    'BTC-P': d(900),
  };
  if (c.stale !== null) marks[c.stale] = F.quote(marks[c.stale] as Decimal, F.NOW - 3_600_000);
  const base = F.snapshot({
    markets,
    assets: [
      F.asset('USD', 2),
      F.asset('USDT', 6, { init: '0.98', maint: '0.99', initLiab: '1.02', maintLiab: '1.01' }),
      F.asset('BTC', 8, { init: c.btcWeight, maint: c.btcWeight.add(1).div(2), initLiab: d(2).sub(c.btcWeight), maintLiab: d(3).sub(c.btcWeight).div(2) }),
      F.asset('ETH', 8, { init: c.ethWeight, maint: c.ethWeight.add(1).div(2), initLiab: d(2).sub(c.ethWeight), maintLiab: d(3).sub(c.ethWeight).div(2) }),
    ],
    marks,
    indexes: { BTC: c.btc, ETH: c.eth, USDT: c.usdt },
    valuationAsset: 'USD',
    portfolioParams: {
      BTC: { priceScanRange: d('0.15'), volScanRange: d('0.25'), extremeMoveMultiple: d(3), extremeMoveCoverage: d('0.33'), shortOptionMinimum: d('0.01'), maintenanceFraction: d('0.8') },
    },
  });
  return base;
}

export interface PositionCase {
  market: MarketSymbol;
  size: Decimal;
  entryMove: Decimal;
  isolated: boolean;
  isolatedFraction: Decimal;
  leverage: Decimal | null;
  funding: Decimal;
}

export const positionCase: fc.Arbitrary<PositionCase> = fc.record({
  market: fc.constantFrom(...MARKETS),
  size: decimalIn(-5_000, 5_000, 2),
  entryMove: decimalIn(0.7, 1.3, 3),
  isolated: fc.boolean(),
  isolatedFraction: decimalIn(0, 0.3, 3),
  leverage: fc.option(fc.constantFrom(d(2), d(5), d(10), d(20), d(100)), { nil: null, freq: 3 }),
  funding: decimalIn(-50, 50, 4),
});

export interface AccountCase {
  portfolio: boolean;
  positions: PositionCase[];
  balances: { USD: Decimal; USDT: Decimal; BTC: Decimal; ETH: Decimal };
  /** An invalid row (the exact engine throws INVALID_SNAPSHOT): an open position with entry price 0. */
  invalid: boolean;
  flatIndex: number | null;
}

export const accountCase: fc.Arbitrary<AccountCase> = fc.record({
  portfolio: fc.integer({ min: 0, max: 3 }).map((i) => i === 0),
  positions: fc.array(positionCase, { minLength: 0, maxLength: 6 }),
  balances: fc.record({
    USD: decimalIn(-50_000, 2_000_000, 2),
    USDT: decimalIn(-100_000, 500_000, 6),
    BTC: decimalIn(-5, 20, 8),
    ETH: decimalIn(-20, 100, 8),
  }),
  invalid: fc.integer({ min: 0, max: 29 }).map((i) => i === 0),
  flatIndex: fc.option(fc.integer({ min: 0, max: 5 }), { nil: null, freq: 4 }),
});

export function priceOf(ctx: AccountSnapshot, market: MarketSymbol): Decimal {
  return d(ctx.markPrices[market]!.price);
}

export function accountSnapshot(ctx: AccountSnapshot, a: AccountCase, id: string): AccountSnapshot {
  const positions: PositionSnapshot[] = a.positions.map((p, i) => {
    const option = p.market.startsWith('BTC-');
    const linear = p.market.endsWith('USDT');
    // Options: size in contracts of 0.1 BTC, entry a premium; delta-one: entry near the mark.
    const size = option ? p.size.div(100).toDecimalPlaces(1) : p.size;
    const entry = option ? priceOf(ctx, p.market).mul(p.entryMove).toDecimalPlaces(2) : priceOf(ctx, p.market).mul(p.entryMove).toDecimalPlaces(1);
    const notional = linear ? size.abs().mul('0.01').mul(entry) : size.abs().mul(100).div(entry);
    const isolated = p.isolated && !option;
    return F.position(`p${i}`, p.market, a.flatIndex === i ? 0 : size, a.invalid && i === 0 && !size.isZero() ? 0 : entry, {
      marginType: isolated ? 'ISOLATED' : 'CROSS',
      isolatedMargin: isolated ? notional.mul(p.isolatedFraction).toDecimalPlaces(8) : 0,
      leverage: option ? null : p.leverage,
      fundingIndex: linear ? p.funding : p.funding.div(1e6),
    });
  });
  return {
    ...ctx,
    accountId: id,
    marginMode: a.portfolio ? 'PORTFOLIO' : 'CROSS',
    balances: Object.entries(a.balances).map(([asset, amount]) => ({ asset, amount })),
    positions,
  };
}

/** The exact evaluation (the sweep's mode), or the engine's error. */
export function exact(s: AccountSnapshot): AccountRisk | Error {
  try {
    return evaluateAccount(s, { liquidationPrices: 'SKIP', greeks: 'SKIP' });
  } catch (error) {
    return error as Error;
  }
}

/** |exact − v| ≤ e, checked in Decimal. */
export function within(exactValue: Decimal, v: number, e: number): boolean {
  return exactValue.sub(d(v)).abs().lte(d(e));
}

export const caseArb = fc.record({ market: marketCase, accounts: fc.array(accountCase, { minLength: 1, maxLength: 6 }) });

