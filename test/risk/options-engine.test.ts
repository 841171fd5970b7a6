/**
 * Options and portfolio margin through the engine (issue 5): Black-76 valuation in equity, greeks, the standard
 * short-option rule, expiry, portfolio scans, and the liquidation search over non-linear (option) books.
 */
import Decimal from 'decimal.js';
import fc from 'fast-check';
import { D, evaluateAccount, withPrices } from '../../src/risk';
import type { AccountRisk, AccountSnapshot, PortfolioParams } from '../../src/risk';
import { adverseBoundary } from '../../src/risk/liquidation';
import { bsm, valueOptionAt } from '../../src/risk/options/black';
import * as F from './fixtures';

const d = (x: Decimal.Value) => new Decimal(x);
const DAY = 86_400_000;
const EXPIRY = F.NOW + 30 * DAY;
/** In the engine's 50-digit context (the test's global Decimal has 20 digits). */
const T = new D(30).div(365);
const PERP = F.market('BTCUSDT', { base: 'BTC', tick: '0.1', tiers: [{ floor: 0, imr: '0.02', mmr: '0.01' }] });
const CALL = F.optionMarket('BTC-60000-C', { base: 'BTC', type: 'CALL', strike: 60000, vol: '0.5', expiryMs: EXPIRY });
const PUT = F.optionMarket('BTC-60000-P', { base: 'BTC', type: 'PUT', strike: 60000, vol: '0.5', expiryMs: EXPIRY });
const OTM_CALL = F.optionMarket('BTC-70000-C', { base: 'BTC', type: 'CALL', strike: 70000, vol: '0.55', expiryMs: EXPIRY });
const PM: PortfolioParams = {
  priceScanRange: d('0.15'),
  volScanRange: d('0.25'),
  extremeMoveMultiple: d(3),
  extremeMoveCoverage: d('0.33'),
  shortOptionMinimum: d('0.01'),
  maintenanceFraction: d('0.8'),
};

function book(o: {
  usdt: Decimal.Value;
  positions: ReturnType<typeof F.position>[];
  spot?: Decimal.Value;
  marginMode?: 'CROSS' | 'PORTFOLIO';
  portfolio?: boolean;
  asOfMs?: number;
}): AccountSnapshot {
  const spot = d(o.spot ?? 60000);
  return F.snapshot({
    marginMode: o.marginMode ?? 'CROSS',
    balances: { USDT: o.usdt },
    positions: o.positions,
    markets: [PERP, CALL, PUT, OTM_CALL],
    assets: [F.asset('USDT', 6), F.asset('BTC', 8)],
    // Option marks are informational: deliberately off the model value.
    marks: { BTCUSDT: spot, 'BTC-60000-C': 1000, 'BTC-60000-P': 1000, 'BTC-70000-C': 100 },
    indexes: { BTC: spot },
    portfolioParams: o.portfolio === false ? {} : { BTC: PM },
    asOfMs: o.asOfMs,
    maxIndexPriceAgeSeconds: 10 * 365 * 86_400,
  });
}

describe('option valuation in the engine', () => {
  const r = evaluateAccount(
    book({ usdt: 100000, positions: [F.position('c', 'BTC-60000-C', 2, 3000), F.position('p', 'BTC-60000-P', -1, 2500)] }),
  );
  const V_C = valueOptionAt({ type: 'CALL', spot: 60000, strike: 60000, vol: '0.5', asOfMs: F.NOW, expiryMs: EXPIRY });
  const V_P = valueOptionAt({ type: 'PUT', spot: 60000, strike: 60000, vol: '0.5', asOfMs: F.NOW, expiryMs: EXPIRY });

  test('values with Black-76 (not the stored mark): long adds q·c·V, short subtracts it; uPnL is informational', () => {
    const c = r.positionsById['c']!;
    const p = r.positionsById['p']!;
    expect(c.option!.modelPrice.eq(V_C.price)).toBe(true);
    expect(c.option!.storedMarkPrice.eq(1000)).toBe(true);
    expect(c.markPrice.eq(1000)).toBe(true);
    expect(c.option!.timeToExpiryYears.eq(T)).toBe(true);
    expect(c.equityContribution.eq(V_C.price.mul(2))).toBe(true);
    expect(p.equityContribution.eq(V_P.price.neg())).toBe(true);
    expect(c.unrealizedPnl.eq(V_C.price.sub(3000).mul(2))).toBe(true);
    expect(r.equity.eq(new D(100000).add(V_C.price.mul(2)).sub(V_P.price))).toBe(true);
    expect(r.breakdown.optionValueUsd.eq(V_C.price.mul(2).sub(V_P.price))).toBe(true);
    expect(r.breakdown.crossPnlUsd.eq(r.breakdown.optionValueUsd)).toBe(true);
    expect(c.notional.eq(120000)).toBe(true);
  });

  test('long options need no margin; a short option uses IM = V + max(α·U − OTM, β·U), MM = V + γ·U', () => {
    const c = r.positionsById['c']!;
    expect(c.marginMethod).toBe('LONG_OPTION');
    expect(c.initialMargin.isZero() && c.maintenanceMargin.isZero()).toBe(true);
    const p = r.positionsById['p']!;
    expect(p.marginMethod).toBe('SHORT_OPTION');
    const om = p.optionMargin!;
    expect(om.outOfTheMoney.isZero()).toBe(true); // ATM
    expect(om.initialTerm).toBe('ALPHA');
    expect(om.initialExPremium.eq(9000)).toBe(true); // max(0.15·60000 − 0, 0.10·60000)
    expect(om.maintenanceExPremium.eq(4500)).toBe(true);
    expect(p.initialMargin.eq(V_P.price.add(9000).toDecimalPlaces(6, Decimal.ROUND_CEIL))).toBe(true);
    expect(p.maintenanceMargin.eq(V_P.price.add(4500).toDecimalPlaces(6, Decimal.ROUND_CEIL))).toBe(true);
    expect(r.initialMargin.eq(p.initialMargin)).toBe(true);
  });

  test('an OTM short call: the β floor binds when α·U − OTM < β·U', () => {
    const s = evaluateAccount(book({ usdt: 100000, positions: [F.position('x', 'BTC-70000-C', -1, 300)] })).positionsById['x']!;
    expect(s.optionMargin!.outOfTheMoney.eq(10000)).toBe(true);
    expect(s.optionMargin!.initialTerm).toBe('BETA'); // 9000 − 10000 < 6000
    expect(s.optionMargin!.initialExPremium.eq(6000)).toBe(true);
  });

  test('greeks per contract, per position and summed per underlying (with the perpetual delta)', () => {
    const g = bsm({ type: 'CALL', spot: 60000, strike: 60000, vol: '0.5', timeYears: T });
    const c = r.positionsById['c']!;
    expect(c.greeks!.perContract.delta.eq(g.delta)).toBe(true);
    expect(c.greeks!.position.gamma.eq(g.gamma.mul(2))).toBe(true);
    expect(c.greeks!.position.vega.eq(g.vega.mul(2))).toBe(true);
    expect(c.greeks!.perContract.theta.eq(g.thetaPerYear.div(365))).toBe(true);
    const withPerp = evaluateAccount(
      book({ usdt: 100000, positions: [F.position('c', 'BTC-60000-C', 2, 3000), F.position('f', 'BTCUSDT', '-0.5', 60000)] }),
    );
    const btc = withPerp.greeks.find((x) => x.underlying === 'BTC')!;
    expect(btc.delta.eq(g.delta.mul(2).sub('0.5'))).toBe(true);
    expect(btc.gamma.eq(g.gamma.mul(2))).toBe(true);
  });

  test('greeks SKIP: position greeks null, account greeks empty, every other field as with COMPUTE', () => {
    const snapshot = book({ usdt: 100000, positions: [F.position('c', 'BTC-60000-C', 2, 3000), F.position('f', 'BTCUSDT', '-0.5', 60000)] });
    const computed = evaluateAccount(snapshot);
    const skipped = evaluateAccount(snapshot, { greeks: 'SKIP' });
    expect(skipped.greeks).toEqual([]);
    expect(computed.greeks.length).toBe(1);
    for (const p of skipped.positions) expect(p.greeks).toBeNull();
    for (const p of computed.positions) expect(p.greeks).not.toBeNull();
    const withoutGreeks = (risk: typeof computed) =>
      JSON.stringify({ ...risk, greeks: null, positions: risk.positions.map((p) => ({ ...p, greeks: null })), positionsById: null, breakdown: null });
    expect(withoutGreeks(skipped)).toBe(withoutGreeks(computed));
  });

  test('an expired option is worth its intrinsic value', () => {
    const after = book({ usdt: 1000, positions: [F.position('c', 'BTC-60000-C', 1, 100)], spot: 61000, asOfMs: EXPIRY + DAY });
    const marks = { ...after.markPrices };
    for (const k of Object.keys(marks)) marks[k] = F.quote(marks[k]!.price, EXPIRY + DAY);
    const r2 = evaluateAccount({ ...after, markPrices: marks, indexPrices: { BTC: F.quote(61000, EXPIRY + DAY) } });
    const c = r2.positionsById['c']!;
    expect(c.option!.expired).toBe(true);
    expect(c.option!.modelPrice.eq(1000)).toBe(true);
    expect(c.greeks!.perContract.gamma.isZero()).toBe(true);
  });

  test('put-call parity of engine valuations: value(long call, short put) = U − K at any U (r = 0)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 30000, max: 120000 }), (spot) => {
        const x = evaluateAccount(
          book({ usdt: 1e6, spot, positions: [F.position('c', 'BTC-60000-C', 1, 1), F.position('p', 'BTC-60000-P', -1, 1)] }),
          { liquidationPrices: 'SKIP' },
        );
        return x.breakdown.optionValueUsd.sub(spot - 60000).abs().lt('1e-30');
      }),
      { numRuns: 8, seed: 5 },
    );
  });
});

describe('option valuation with rates (Black-Scholes-Merton: r of the quote asset, q of the underlying)', () => {
  const R = d('0.05');
  const Q = d('0.02');
  const RATED_CALL = { ...CALL, riskFreeRate: R, dividendYield: Q };
  const RATED_PUT = { ...PUT, riskFreeRate: R, dividendYield: Q };
  const rated = (positions: ReturnType<typeof F.position>[], spot: Decimal.Value = 60000, marginMode: 'CROSS' | 'PORTFOLIO' = 'CROSS') =>
    F.snapshot({
      marginMode,
      balances: { USDT: 100000 },
      positions,
      markets: [PERP, RATED_CALL, RATED_PUT, OTM_CALL],
      assets: [F.asset('USDT', 6), F.asset('BTC', 8)],
      marks: { BTCUSDT: spot, 'BTC-60000-C': 1000, 'BTC-60000-P': 1000, 'BTC-70000-C': 100 },
      indexes: { BTC: spot },
      portfolioParams: { BTC: PM },
      maxIndexPriceAgeSeconds: 10 * 365 * 86_400,
    });

  test('values, greeks and rho from bsm(r, q); reports r and q; sums rho per underlying', () => {
    const r = evaluateAccount(rated([F.position('c', 'BTC-60000-C', 2, 3000), F.position('p', 'BTC-60000-P', -1, 2500)]));
    const gc = bsm({ type: 'CALL', spot: 60000, strike: 60000, vol: '0.5', timeYears: T, rate: R, dividendYield: Q });
    const gp = bsm({ type: 'PUT', spot: 60000, strike: 60000, vol: '0.5', timeYears: T, rate: R, dividendYield: Q });
    const c = r.positionsById['c']!;
    const p = r.positionsById['p']!;
    expect(c.option!.modelPrice.eq(gc.price)).toBe(true);
    expect(c.option!.riskFreeRate.eq(R) && c.option!.dividendYield.eq(Q)).toBe(true);
    expect(c.greeks!.perContract.delta.eq(gc.delta)).toBe(true);
    expect(c.greeks!.perContract.rho.eq(gc.rho)).toBe(true);
    expect(c.greeks!.position.rho.eq(gc.rho.mul(2))).toBe(true);
    expect(p.greeks!.position.rho.eq(gp.rho.neg())).toBe(true);
    expect(gc.rho.gt(0) && gp.rho.lt(0)).toBe(true);
    const btc = r.greeks.find((g) => g.underlying === 'BTC')!;
    expect(btc.rho.eq(gc.rho.mul(2).sub(gp.rho))).toBe(true);
    expect(c.equityContribution.eq(gc.price.mul(2))).toBe(true);
    // The rates change the value: r − q > 0 raises the call above the undiscounted Black-76.
    const plain = evaluateAccount(book({ usdt: 100000, positions: [F.position('c', 'BTC-60000-C', 2, 3000)] })).positionsById['c']!;
    expect(c.option!.modelPrice.gt(plain.option!.modelPrice)).toBe(true);
    expect(plain.option!.riskFreeRate.isZero() && plain.greeks!.perContract.rho.gt(0)).toBe(true);
  });

  test('put-call parity of engine valuations: value(long call, short put) = U·e^{−qT} − K·e^{−rT} at any U', () => {
    fc.assert(
      fc.property(fc.integer({ min: 20000, max: 120000 }), (u) => {
        const r = evaluateAccount(rated([F.position('c', 'BTC-60000-C', 1, 1), F.position('p', 'BTC-60000-P', -1, 1)], u));
        const v = r.positionsById['c']!.equityContribution.add(r.positionsById['p']!.equityContribution);
        const want = new D(u).mul(new D(Q).neg().mul(T).exp()).sub(new D(60000).mul(new D(R).neg().mul(T).exp()));
        return v.sub(want).abs().lt('1e-30');
      }),
      { numRuns: 20 },
    );
  });

  test('the portfolio scan revalues with r and q (differs from the r = q = 0 scan)', () => {
    const pos = [F.position('p', 'BTC-60000-P', -1, 2500)];
    const withRates = evaluateAccount(rated(pos, 60000, 'PORTFOLIO'));
    const without = evaluateAccount(book({ usdt: 100000, positions: pos, marginMode: 'PORTFOLIO' }));
    expect(withRates.initialMargin.eq(without.initialMargin)).toBe(false);
  });
});

describe('portfolio margin (PORTFOLIO accounts)', () => {
  test('scans options and linear perpetuals per underlying; IM = worst loss floored by the short-option minimum', () => {
    const r = evaluateAccount(
      book({
        usdt: 50000,
        marginMode: 'PORTFOLIO',
        positions: [F.position('c', 'BTC-60000-C', -2, 3000), F.position('f', 'BTCUSDT', '1', 60000)],
      }),
    );
    expect(r.evaluationMethod).toBe('PORTFOLIO');
    expect(r.portfolioScans).toHaveLength(1);
    const scan = r.portfolioScans[0]!;
    expect(scan.underlying).toBe('BTC');
    expect(scan.scenarios).toHaveLength(16);
    expect([...scan.positionIds].sort()).toEqual(['c', 'f']);
    const worst = scan.scenarios.reduce((a, s) => (s.pnl.lt(a.pnl) ? s : a));
    expect(scan.worstScenario.index).toBe(worst.index);
    expect(scan.scanRisk.eq(Decimal.max(0, worst.pnl.neg()))).toBe(true);
    expect(scan.shortOptionMinimum.eq(d('0.01').mul(60000).mul(2))).toBe(true);
    expect(scan.initialMargin.eq(Decimal.max(scan.scanRisk, scan.shortOptionMinimum).toDecimalPlaces(6, Decimal.ROUND_CEIL))).toBe(true);
    expect(scan.maintenanceMargin.eq(scan.initialMargin.mul('0.8').toDecimalPlaces(6, Decimal.ROUND_CEIL))).toBe(true);
    expect(r.initialMargin.eq(scan.initialMargin)).toBe(true);
    expect(r.maintenanceMargin.eq(scan.maintenanceMargin)).toBe(true);
    for (const p of r.positions) {
      expect(p.marginMethod).toBe('PORTFOLIO');
      expect(p.initialMargin.isZero()).toBe(true);
    }
    // The scenario P&L of the +3/3 vol-up scenario is the direct revaluation of both legs.
    const s11 = scan.scenarios[10]!;
    expect(s11.underlyingPrice.eq(69000)).toBe(true);
    const v0 = bsm({ type: 'CALL', spot: 60000, strike: 60000, vol: '0.5', timeYears: T }).price;
    const v1 = bsm({ type: 'CALL', spot: 69000, strike: 60000, vol: '0.625', timeYears: T }).price;
    expect(s11.pnl.sub(v1.sub(v0).mul(-2).add(9000)).abs().lt('1e-30')).toBe(true);
  });

  test('an underlying without portfolio parameters falls back to the standard rules, and says so', () => {
    const r = evaluateAccount(
      book({ usdt: 50000, marginMode: 'PORTFOLIO', portfolio: false, positions: [F.position('c', 'BTC-60000-C', -1, 3000)] }),
    );
    expect(r.evaluationMethod).toBe('PORTFOLIO_AS_CROSS');
    expect(r.breakdown.portfolioFallbacks).toEqual([{ underlying: 'BTC', reason: 'NO_PORTFOLIO_PARAMS', positionIds: ['c'] }]);
    expect(r.positionsById['c']!.marginMethod).toBe('SHORT_OPTION');
  });

  const leg = fc.record({
    market: fc.constantFrom('BTCUSDT', 'BTC-60000-C', 'BTC-60000-P', 'BTC-70000-C'),
    size: fc.integer({ min: -30, max: 30 }).filter((x) => x !== 0).map((x) => d(x).div(10)),
  });
  test('property: portfolio margin of a (hedged) book ≤ the sum of its legs’ standalone requirements', () => {
    fc.assert(
      fc.property(fc.uniqueArray(leg, { minLength: 2, maxLength: 3, selector: (l) => l.market }), (legs) => {
        const positions = legs.map((l, i) => F.position(`l${i}`, l.market, l.size, l.market === 'BTCUSDT' ? 60000 : 1000));
        const im = (ps: typeof positions) =>
          evaluateAccount(book({ usdt: 1e6, marginMode: 'PORTFOLIO', positions: ps }), { liquidationPrices: 'SKIP' }).initialMargin;
        const whole = im(positions);
        const sum = positions.reduce((a, p) => a.add(im([p])), d(0));
        return whole.lte(sum);
      }),
      { numRuns: 6, seed: 11 },
    );
  });
});

describe('liquidation prices of option books (non-linear equity)', () => {
  /** Evaluates with every price on BTC scaled by `ratio` (index, perp mark; the options follow the index). */
  const scaled = (snap: AccountSnapshot, ratio: Decimal) =>
    evaluateAccount(
      withPrices(snap, {
        markPrices: { BTCUSDT: snap.markPrices['BTCUSDT']!.price.mul(ratio) },
        indexPrices: { BTC: snap.indexPrices['BTC']!.price.mul(ratio) },
      }),
      { liquidationPrices: 'SKIP' },
    );

  test('property: at the reported boundary the account is not liquidatable, one tick beyond it is', () => {
    let optionChecks = 0;
    fc.assert(
      fc.property(
        fc.record({
          perp: fc.integer({ min: -20, max: 20 }),
          call: fc.integer({ min: -20, max: 20 }),
          put: fc.integer({ min: -20, max: 20 }),
          usdt: fc.integer({ min: 3000, max: 40000 }),
        }),
        ({ perp, call, put, usdt }) => {
          const positions = [
            F.position('f', 'BTCUSDT', d(perp).div(10), 60000),
            F.position('c', 'BTC-60000-C', d(call).div(10), 3000),
            F.position('p', 'BTC-60000-P', d(put).div(10), 3000),
          ].filter((p) => !p.size.isZero());
          if (positions.length === 0) return true;
          const snap = book({ usdt, positions });
          const r = evaluateAccount(snap);
          const btc = r.liquidationPrices.find((u) => u.underlying === 'BTC');
          if (!btc) return true;
          for (const b of [btc.below, btc.above]) {
            if (b === null) continue;
            // The grid: the perpetual's tick when it is the reference market, else the index on 1e-8.
            const ref = btc.referenceMarket;
            const tick = d(ref === null ? '1e-8' : '0.1');
            const at = ref === null ? b.indexPrice! : b.markPrices[ref]!;
            const beyond = b.liquidatableSide === 'BELOW' ? at.sub(tick) : at.add(tick);
            const p0 = ref === null ? snap.indexPrices['BTC']!.price : snap.markPrices[ref]!.price;
            const safe = scaled(snap, at.div(p0));
            const hit = scaled(snap, beyond.div(p0));
            if (safe.marginEquity.lt(safe.maintenanceMargin)) return false;
            if (!hit.marginEquity.lt(hit.maintenanceMargin)) return false;
            // margin equity ≈ MM within one tick's move of the book's value
            const gap = safe.marginEquity.sub(safe.maintenanceMargin).sub(hit.marginEquity.sub(hit.maintenanceMargin)).abs();
            if (safe.marginEquity.sub(safe.maintenanceMargin).gt(gap.add('1e-6'))) return false;
          }
          // Option positions report the underlying's index level at the adverse boundary, exact on the index grid
          // (1e-8): it holds at the price and fails one index tick further (every price on BTC moved by price / index).
          const index0 = snap.indexPrices['BTC']!.price;
          const liq = adverseBoundary(btc.exposure, btc.below, btc.above);
          const bank = adverseBoundary(btc.exposure, btc.bankruptcyBelow, btc.bankruptcyAbove);
          for (const id of ['c', 'p']) {
            const o = r.positionsById[id];
            if (!o) continue;
            const checks = [
              [liq, o.liquidationPrice, (x: AccountRisk) => x.marginEquity.gte(x.maintenanceMargin)],
              [bank, o.bankruptcyPrice, (x: AccountRisk) => x.crossEquity.gte(0)],
            ] as const;
            for (const [boundary, price, holds] of checks) {
              if (boundary === null) {
                expect(price).toBeNull();
                continue;
              }
              expect(price!.eq(boundary.indexPrice!)).toBe(true);
              expect(price!.mod('1e-8').isZero()).toBe(true);
              const beyond = boundary.liquidatableSide === 'BELOW' ? price!.sub('1e-8') : price!.add('1e-8');
              if (!holds(scaled(snap, price!.div(index0)))) return false;
              if (holds(scaled(snap, beyond.div(index0)))) return false;
              optionChecks++;
            }
          }
          return true;
        },
      ),
      { numRuns: 12, seed: 7 },
    );
    expect(optionChecks).toBeGreaterThan(10);
  });

  test('a short straddle is liquidated on both sides', () => {
    const r = evaluateAccount(
      book({ usdt: 30000, positions: [F.position('c', 'BTC-60000-C', -1, 3000), F.position('p', 'BTC-60000-P', -1, 3000)] }),
    );
    const btc = r.liquidationPrices.find((u) => u.underlying === 'BTC')!;
    expect(btc.referenceMarket).toBeNull();
    expect(btc.below!.liquidatableSide).toBe('BELOW');
    expect(btc.above!.liquidatableSide).toBe('ABOVE');
    expect(btc.below!.indexPrice!.lt(60000)).toBe(true);
    expect(btc.above!.indexPrice!.gt(60000)).toBe(true);
  });
});
