import Decimal from 'decimal.js';
import { RiskEngineError, evaluateAccount, evaluateAccountWithPrices, withPrices } from '../../src/risk';
import type { AccountSnapshot } from '../../src/risk';
import * as F from './fixtures';

const d = (x: Decimal.Value) => new Decimal(x);
const BTC_MKT = F.market('BTCUSDT', { base: 'BTC', tiers: [{ floor: 0, imr: '0.1', mmr: '0.05' }] });

function oneLong(balance: Decimal.Value, extra: Partial<F.SnapshotOpts> = {}): AccountSnapshot {
  return F.snapshot({
    balances: { USDT: balance },
    positions: [F.position('p1', 'BTCUSDT', 1, 100)],
    markets: [BTC_MKT],
    assets: [F.asset('USDT', 8), F.asset('BTC', 8)],
    marks: { BTCUSDT: 100 },
    ...extra,
  });
}

function engineError(fn: () => unknown): RiskEngineError {
  try {
    fn();
  } catch (e) {
    if (e instanceof RiskEngineError) return e;
    throw e;
  }
  throw new Error('expected a RiskEngineError');
}

describe('status', () => {
  test('margin equity exactly equal to MM is not LIQUIDATABLE', () => {
    const r = evaluateAccount(oneLong(5));
    expect(r.maintenanceMargin.eq(5)).toBe(true);
    expect(r.marginEquity.eq(5)).toBe(true);
    expect(r.status).toBe('RESTRICTED');
    expect(r.marginRatio!.eq(1)).toBe(true);
  });
  test('one unit of the last decimal below MM is LIQUIDATABLE', () => {
    expect(evaluateAccount(oneLong('4.99999999')).status).toBe('LIQUIDATABLE');
  });
  test('HEALTHY at IM, RESTRICTED below', () => {
    expect(evaluateAccount(oneLong(10)).status).toBe('HEALTHY');
    expect(evaluateAccount(oneLong('9.99')).status).toBe('RESTRICTED');
  });
  test('BANKRUPT when equity < 0; ratio and leverage null', () => {
    const r = evaluateAccount(oneLong(-1));
    expect(r.status).toBe('BANKRUPT');
    expect(r.marginRatio).toBeNull();
    expect(r.leverage).toBeNull();
  });
  test('marginEquity ≤ 0 with MM > 0: ratio null, status still LIQUIDATABLE', () => {
    const snap = F.snapshot({
      balances: { USDT: 10, BTC: 1 },
      positions: [F.position('p1', 'BTCUSDT', 1, 100)],
      markets: [BTC_MKT],
      assets: [F.asset('USDT', 8), F.asset('BTC', 8, { init: 0, maint: 0 })],
      marks: { BTCUSDT: 80 },
      indexes: { BTC: 80 },
    });
    const r = evaluateAccount(snap);
    expect(r.marginEquity.eq(-10)).toBe(true);
    expect(r.equity.eq(70)).toBe(true);
    expect(r.marginRatio).toBeNull();
    expect(r.status).toBe('LIQUIDATABLE');
  });
  test('no positions: MM = 0, ratio 0, HEALTHY', () => {
    const r = evaluateAccount(F.snapshot({ balances: { USDT: 1 }, markets: [], assets: [F.asset('USDT')], marks: {} }));
    expect(r.marginRatio!.isZero()).toBe(true);
    expect(r.status).toBe('HEALTHY');
    expect(r.pricesAsOfMs).toBeNull();
    expect(r.leverage!.isZero()).toBe(true);
  });
});

describe('account figures and breakdown', () => {
  const snap = F.snapshot({
    balances: { USDT: 1000, BTC: '0.5', ETH: -2 },
    positions: [
      F.position('c1', 'BTCUSDT', '0.2', 30000, { fundingIndex: 10 }),
      F.position('i1', 'ETHUSDT', -3, 2000, { marginType: 'ISOLATED', isolatedMargin: 500 }),
    ],
    markets: [
      F.market('BTCUSDT', { base: 'BTC', tiers: [{ floor: 0, imr: '0.1', mmr: '0.05' }], fundingIndex: 15 }),
      F.market('ETHUSDT', { base: 'ETH', tiers: [{ floor: 0, imr: '0.1', mmr: '0.05' }] }),
    ],
    assets: [
      F.asset('USDT', 6),
      F.asset('BTC', 8, { init: '0.9', maint: '0.95' }),
      F.asset('ETH', 8, { initLiab: '1.1', maintLiab: '1.05' }),
    ],
    marks: { BTCUSDT: 31000, ETHUSDT: 2100 },
    indexes: { BTC: 31010, ETH: 2101 },
  });
  const r = evaluateAccount(snap);

  test('balances: value, weights by sign', () => {
    const [btc, eth, usdt] = r.breakdown.balances;
    expect(r.breakdown.balances.map((b) => b.asset)).toEqual(['BTC', 'ETH', 'USDT']);
    expect(btc!.value.eq(15505)).toBe(true);
    expect(btc!.weightKind).toBe('ASSET');
    expect(btc!.initialWeightedValue.eq('13954.5')).toBe(true);
    expect(btc!.maintenanceWeightedValue.eq('14729.75')).toBe(true);
    expect(eth!.weightKind).toBe('LIABILITY');
    expect(eth!.initialWeightedValue.eq(d(-4202).mul('1.1'))).toBe(true);
    expect(eth!.maintenanceWeightedValue.eq(d(-4202).mul('1.05'))).toBe(true);
    expect(usdt!.indexPrice.eq(1)).toBe(true);
  });

  test('positions: linear uPnL, funding, requirements; isolated kept out of cross', () => {
    const c1 = r.positionsById['c1']!;
    expect(c1.notional.eq(6200)).toBe(true);
    expect(c1.unrealizedPnl.eq(200)).toBe(true);
    expect(c1.fundingPnl.eq(-1)).toBe(true); // −0.2·(15 − 10)
    expect(c1.initialMargin.eq(620)).toBe(true);
    expect(c1.maintenanceMargin.eq(310)).toBe(true);
    const i1 = r.positionsById['i1']!;
    expect(i1.unrealizedPnl.eq(-300)).toBe(true);
    expect(i1.isolatedEquity!.eq(200)).toBe(true);
    expect(i1.maintenanceMargin.eq(315)).toBe(true);
    expect(i1.isolatedStatus).toBe('LIQUIDATABLE');

    expect(r.initialMargin.eq(620)).toBe(true);
    expect(r.maintenanceMargin.eq(310)).toBe(true);
    const balances = d(1000).add(15505).sub(4202);
    expect(r.crossEquity.eq(balances.add(199))).toBe(true);
    expect(r.equity.eq(balances.add(199).add(200))).toBe(true);
    expect(r.initialMarginEquity.eq(d(1000).add('13954.5').sub(d(4202).mul('1.1')).add(199))).toBe(true);
    expect(r.marginEquity.eq(d(1000).add('14729.75').sub(d(4202).mul('1.05')).add(199))).toBe(true);
    expect(r.freeCollateral.eq(r.initialMarginEquity.sub(620))).toBe(true);
    expect(r.marginRatio!.eq(r.maintenanceMargin.div(r.marginEquity))).toBe(true);
    expect(r.totalNotionalUsd.eq(6200 + 6300)).toBe(true);
    expect(r.leverage!.eq(r.totalNotionalUsd.div(r.equity))).toBe(true);
    expect(r.status).toBe('HEALTHY');
    expect(r.positions.map((p) => p.positionId)).toEqual(['c1', 'i1']);
  });

  test('results are frozen', () => {
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.positions)).toBe(true);
    expect(Object.isFrozen(r.positions[0])).toBe(true);
    expect(Object.isFrozen(r.breakdown.balances[0])).toBe(true);
    expect(Object.isFrozen(r.liquidationPrices)).toBe(true);
    expect(() => {
      (r as { status: string }).status = 'HEALTHY';
    }).toThrow(TypeError);
  });

  test('PORTFOLIO accounts are evaluated with cross rules and say so', () => {
    const p = evaluateAccount({ ...snap, marginMode: 'PORTFOLIO' });
    expect(p.evaluationMethod).toBe('PORTFOLIO_AS_CROSS');
    expect(p.marginEquity.eq(r.marginEquity)).toBe(true);
    expect(r.evaluationMethod).toBe('CROSS');
  });

  test('caller Decimal settings do not change results', () => {
    const before = JSON.stringify(r);
    Decimal.set({ precision: 5, rounding: Decimal.ROUND_DOWN });
    try {
      expect(JSON.stringify(evaluateAccount(snap))).toBe(before);
    } finally {
      Decimal.set({ precision: 20, rounding: Decimal.ROUND_HALF_UP });
    }
  });
});

describe('requirements', () => {
  test('user leverage raises IM to N/L and says why', () => {
    const snap = oneLong(100, { positions: [F.position('p1', 'BTCUSDT', 1, 100, { leverage: 5 })] });
    const p = evaluateAccount(snap).positionsById['p1']!;
    expect(p.initialMargin.eq(20)).toBe(true);
    expect(p.initialRate.source).toBe('LEVERAGE');
    expect(p.maintenanceMargin.eq(5)).toBe(true);
    const low = evaluateAccount(oneLong(100, { positions: [F.position('p1', 'BTCUSDT', 1, 100, { leverage: 20 })] }));
    expect(low.positionsById['p1']!.initialRate.source).toBe('TIER');
  });

  test('requirements round up to the settlement decimals', () => {
    const snap = F.snapshot({
      balances: { USDT: 100 },
      positions: [F.position('p1', 'X', '0.333', '3.33')],
      markets: [F.market('X', { base: 'X', tiers: [{ floor: 0, imr: '0.1', mmr: '0.05' }] })],
      assets: [F.asset('USDT', 2)],
      marks: { X: '3.33' },
    });
    const p = evaluateAccount(snap).positionsById['p1']!;
    expect(p.notional.toString()).toBe('1.10889');
    expect(p.initialMargin.toString()).toBe('0.12');
    expect(p.maintenanceMargin.toString()).toBe('0.06');
  });

  test('inverse: notional and PnL in base, converted with the base index', () => {
    const snap = F.snapshot({
      balances: { BTC: 1 },
      positions: [F.position('p1', 'BTCUSD', -1000, 20000, { fundingIndex: '0.000001' })],
      markets: [
        F.market('BTCUSD', {
          base: 'BTC',
          quote: 'USD',
          contractType: 'INVERSE',
          contractSize: 10,
          fundingIndex: '0.000003',
          tiers: [{ floor: 0, imr: '0.02', mmr: '0.01' }],
        }),
      ],
      assets: [F.asset('BTC', 8), F.asset('USD', 2)],
      marks: { BTCUSD: 25000 },
      indexes: { BTC: 25010 },
      valuationAsset: 'USD',
    });
    const p = evaluateAccount(snap).positionsById['p1']!;
    expect(p.notional.eq('0.4')).toBe(true); // 10000/25000
    expect(p.unrealizedPnl.eq(d(-10000).mul(d(1).div(20000).sub(d(1).div(25000))))).toBe(true); // −0.1
    expect(p.fundingPnl.eq('0.02')).toBe(true); // −(−10000)·(3e-6 − 1e-6)
    expect(p.maintenanceMargin.eq('0.004')).toBe(true);
    expect(p.notionalUsd.eq(d('0.4').mul(25010))).toBe(true);
  });

  test('volatility adjustment scales imr and mmr; liquidity add-on adds to both', () => {
    const snap = F.snapshot({
      balances: { USDT: 10000 },
      positions: [F.position('p1', 'BTCUSDT', 1, 10000)],
      markets: [
        F.market('BTCUSDT', {
          base: 'BTC',
          tiers: [{ floor: 0, imr: '0.05', mmr: '0.025' }],
          volatilityAdjustment: { zScore: d(2), horizonDays: d(4), dailyVolatility: d('0.05') },
          liquidityAddon: { lambda: d('0.01'), bookDepth: d(40000) },
        }),
      ],
      assets: [F.asset('USDT', 8)],
      marks: { BTCUSDT: 10000 },
    });
    const p = evaluateAccount(snap).positionsById['p1']!;
    // z·σ·√h = 2·0.05·2 = 0.2 ⇒ k = 4; addon = 10000·0.01·√(0.25) = 50.
    expect(p.volatilityFactor.eq(4)).toBe(true);
    expect(p.initialRate.source).toBe('VOLATILITY');
    expect(p.maintenanceRate.eq('0.1')).toBe(true);
    expect(p.liquidityAddon.eq(50)).toBe(true);
    expect(p.initialMargin.eq(2050)).toBe(true);
    expect(p.maintenanceMargin.eq(1050)).toBe(true);
  });
});

describe('prices', () => {
  test('missing mark names the market', () => {
    const e = engineError(() => evaluateAccount(oneLong(10, { marks: {} })));
    expect(e.code).toBe('MISSING_PRICE');
    expect(e.details).toEqual({ symbol: 'BTCUSDT', priceKind: 'MARK' });
  });
  test('missing index of a balance asset names the asset', () => {
    const snap = F.snapshot({
      balances: { USDT: 10, BTC: 1 },
      markets: [],
      assets: [F.asset('USDT'), F.asset('BTC')],
      marks: {},
    });
    const e = engineError(() => evaluateAccount(snap));
    expect(e.code).toBe('MISSING_PRICE');
    expect(e.details).toEqual({ symbol: 'BTC', priceKind: 'INDEX' });
  });
  test('missing index of a settlement asset', () => {
    const e = engineError(() => evaluateAccount(oneLong(10, { valuationAsset: 'USD', assets: [F.asset('USDT'), F.asset('USD')] })));
    expect(e.code).toBe('MISSING_PRICE');
    expect(e.details).toMatchObject({ symbol: 'USDT', priceKind: 'INDEX' });
  });
  test('a zero balance needs no price', () => {
    const snap = F.snapshot({ balances: { USDT: 10, BTC: 0 }, markets: [], assets: [F.asset('USDT'), F.asset('BTC')], marks: {} });
    expect(evaluateAccount(snap).breakdown.balances.map((b) => b.asset)).toEqual(['USDT']);
  });
  test('stale mark: older than the market max age', () => {
    const fresh = oneLong(10, { marks: { BTCUSDT: F.quote(100, F.NOW - 60_000) } });
    expect(evaluateAccount(fresh).pricesAsOfMs).toBe(F.NOW - 60_000);
    const e = engineError(() => evaluateAccount(oneLong(10, { marks: { BTCUSDT: F.quote(100, F.NOW - 61_500) } })));
    expect(e.code).toBe('STALE_PRICE');
    expect(e.details).toMatchObject({ symbol: 'BTCUSDT', priceKind: 'MARK', ageSeconds: 61.5, maxAgeSeconds: 60 });
  });
  test('stale index: older than snapshot.maxIndexPriceAgeSeconds', () => {
    const snap = F.snapshot({
      balances: { USDT: 10, BTC: 1 },
      markets: [],
      assets: [F.asset('USDT'), F.asset('BTC')],
      marks: {},
      indexes: { BTC: F.quote(30000, F.NOW - 121_000) },
    });
    const e = engineError(() => evaluateAccount(snap));
    expect(e.code).toBe('STALE_PRICE');
    expect(e.details).toMatchObject({ symbol: 'BTC', priceKind: 'INDEX', ageSeconds: 121, maxAgeSeconds: 120 });
  });
  test('pricesAsOfMs is the oldest observation used', () => {
    const snap = F.snapshot({
      balances: { USDT: 10, BTC: 1 },
      positions: [F.position('p1', 'BTCUSDT', 1, 100)],
      markets: [BTC_MKT],
      assets: [F.asset('USDT'), F.asset('BTC')],
      marks: { BTCUSDT: F.quote(100, F.NOW - 5000) },
      indexes: { BTC: F.quote(100, F.NOW - 9000), ETH: F.quote(1, F.NOW - 99_000) },
    });
    expect(evaluateAccount(snap).pricesAsOfMs).toBe(F.NOW - 9000);
  });
  test('withPrices returns a copy; bare overrides count as observed at asOfMs', () => {
    const snap = oneLong(10, { marks: { BTCUSDT: F.quote(100, F.NOW - 1000) } });
    const moved = withPrices(snap, { markPrices: { BTCUSDT: d(90) } });
    expect(snap.markPrices['BTCUSDT']!.price.eq(100)).toBe(true);
    expect(moved.markPrices['BTCUSDT']).toMatchObject({ observedAtMs: F.NOW });
    const r = evaluateAccountWithPrices(snap, { markPrices: { BTCUSDT: d(90) } });
    expect(r.positionsById['p1']!.unrealizedPnl.eq(-10)).toBe(true);
  });
});

describe('errors', () => {
  test('an OPTION market without strike / type / expiry / implied vol is INVALID_SNAPSHOT', () => {
    const opt = { ...F.market('BTC-C', { base: 'BTC', kind: 'OPTION' }) };
    const e = engineError(() =>
      evaluateAccount(oneLong(10, { markets: [BTC_MKT, opt], positions: [F.position('o1', 'BTC-C', 1, 5)], marks: { 'BTC-C': 5 } })),
    );
    expect(e.code).toBe('INVALID_SNAPSHOT');
  });
  test('ISOLATED (or INVERSE) option positions raise UNSUPPORTED_MARKET_KIND', () => {
    const opt = F.optionMarket('BTC-C', { base: 'BTC', type: 'CALL', strike: 100, vol: '0.5', expiryMs: F.NOW + 30 * 86_400_000 });
    const e = engineError(() =>
      evaluateAccount(
        oneLong(10, {
          markets: [BTC_MKT, opt],
          positions: [F.position('o1', 'BTC-C', 1, 5, { marginType: 'ISOLATED', isolatedMargin: 5 })],
          marks: { BTCUSDT: 100, 'BTC-C': 5 },
          indexes: { BTC: 100 },
        }),
      ),
    );
    expect(e.code).toBe('UNSUPPORTED_MARKET_KIND');
    expect(e.details).toMatchObject({ market: 'BTC-C', kind: 'OPTION', positionId: 'o1' });
  });
  test('unknown market, duplicate ids → INVALID_SNAPSHOT', () => {
    expect(engineError(() => evaluateAccount(oneLong(10, { positions: [F.position('x', 'NOPE', 1, 1)] }))).code).toBe('INVALID_SNAPSHOT');
    const dup = [F.position('p', 'BTCUSDT', 1, 100), F.position('p', 'BTCUSDT', 2, 100)];
    expect(engineError(() => evaluateAccount(oneLong(10, { positions: dup }))).code).toBe('INVALID_SNAPSHOT');
  });
});

describe('liquidation prices', () => {
  test('isolated inverse long and short: verified on the tick grid', () => {
    const mk = F.market('BTCUSD', {
      base: 'BTC',
      quote: 'USD',
      contractType: 'INVERSE',
      contractSize: 100,
      tick: '0.5',
      tiers: [
        { floor: 0, imr: '0.01', mmr: '0.005' },
        { floor: 10, imr: '0.02', mmr: '0.01' },
      ],
    });
    for (const size of [500, -500]) {
      const snap = F.snapshot({
        positions: [F.position('p', 'BTCUSD', size, 20000, { marginType: 'ISOLATED', isolatedMargin: '0.5' })],
        markets: [mk],
        assets: [F.asset('BTC', 8), F.asset('USD', 2)],
        marks: { BTCUSD: 20000 },
        indexes: { BTC: 20000 },
        valuationAsset: 'USD',
      });
      const lp = evaluateAccount(snap).positionsById['p']!.liquidationPrice!;
      const away = size > 0 ? d('-0.5') : d('0.5');
      const at = (px: Decimal) => evaluateAccountWithPrices(snap, { markPrices: { BTCUSD: px } }).positionsById['p']!.isolatedStatus;
      expect(['HEALTHY', 'RESTRICTED']).toContain(at(lp));
      expect(at(lp.add(away))).toBe('LIQUIDATABLE');
    }
  });

  test('over-collateralized linear long has no liquidation price', () => {
    const snap = F.snapshot({
      positions: [F.position('p', 'BTCUSDT', 1, 100, { marginType: 'ISOLATED', isolatedMargin: 150 })],
      markets: [BTC_MKT],
      assets: [F.asset('USDT')],
      marks: { BTCUSDT: 100 },
    });
    const p = evaluateAccount(snap).positionsById['p']!;
    expect(p.liquidationPrice).toBeNull();
    expect(p.bankruptcyPrice).toBeNull();
  });

  test('cross: collateral-only underlying (BTC collateral against borrowed USDT)', () => {
    const snap = F.snapshot({
      balances: { BTC: 1, USDT: -20000 },
      positions: [F.position('p', 'ETHUSDT', -1, 2000)],
      markets: [F.market('ETHUSDT', { base: 'ETH', tiers: [{ floor: 0, imr: '0.1', mmr: '0.05' }] })],
      assets: [F.asset('USDT', 8, { maintLiab: '1.1', initLiab: '1.2' }), F.asset('BTC', 8, { maint: '0.9', init: '0.8' })],
      marks: { ETHUSDT: 2000 },
      indexes: { BTC: 30000, USDT: 1 },
      valuationAsset: 'USD',
    });
    const r = evaluateAccount(snap);
    const btc = r.liquidationPrices.find((u) => u.underlying === 'BTC')!;
    expect(btc.referenceMarket).toBeNull();
    expect(btc.exposure).toBe('LONG');
    // 0.9·S − 22000 + 0 − 100 = 0 ⇒ S = 24555.555…, reported on the 1e-8 grid above the root.
    expect(btc.below!.indexPrice!.toString()).toBe('24555.55555556');
    expect(btc.above).toBeNull();
    const eth = r.liquidationPrices.find((u) => u.underlying === 'ETH')!;
    expect(eth.exposure).toBe('SHORT');
    expect(eth.below).toBeNull();
    expect(r.positionsById['p']!.liquidationPrice!.eq(eth.above!.markPrices['ETHUSDT']!)).toBe(true);
  });

  test('cross: nonlinear book (liquidity add-on) is bisected to the tick and verified', () => {
    const mk = F.market('BTCUSDT', {
      base: 'BTC',
      tiers: [{ floor: 0, imr: '0.1', mmr: '0.05' }],
      liquidityAddon: { lambda: d('0.1'), bookDepth: d(100000) },
    });
    const snap = F.snapshot({
      balances: { USDT: 3000 },
      positions: [F.position('p', 'BTCUSDT', 1, 30000)],
      markets: [mk],
      assets: [F.asset('USDT', 8)],
      marks: { BTCUSDT: 30000 },
    });
    const lp = evaluateAccount(snap).positionsById['p']!.liquidationPrice!;
    const status = (px: Decimal) => evaluateAccountWithPrices(snap, { markPrices: { BTCUSDT: px } }).status;
    expect(status(lp)).not.toBe('LIQUIDATABLE');
    expect(status(lp.sub('0.01'))).toBe('LIQUIDATABLE');
  });

  test('cross: a currently liquidatable long reports the price it must recover to', () => {
    const snap = oneLong(4, { marks: { BTCUSDT: 100 } });
    const r = evaluateAccount(snap);
    expect(r.status).toBe('LIQUIDATABLE');
    const lp = r.positionsById['p1']!.liquidationPrice!;
    expect(lp.gt(100)).toBe(true);
    const status = (px: Decimal) => evaluateAccountWithPrices(snap, { markPrices: { BTCUSDT: px } }).status;
    expect(status(lp)).not.toBe('LIQUIDATABLE');
    expect(status(lp.sub('0.01'))).toBe('LIQUIDATABLE');
  });

  test('SKIP mode leaves liquidation prices out', () => {
    const r = evaluateAccount(oneLong(50), { liquidationPrices: 'SKIP' });
    expect(r.liquidationPrices).toEqual([]);
    expect(r.positionsById['p1']!.liquidationPrice).toBeNull();
  });
});
