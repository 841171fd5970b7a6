/**
 * Golden tests: published worked examples (test/fixtures/reference-examples.json) reproduced through the engine —
 * real snapshots evaluated by evaluateAccount, never the formula re-typed here.
 */
import * as fs from 'fs';
import * as path from 'path';
import Decimal from 'decimal.js';
import { computeMaintenanceAmounts, evaluateAccount, evaluateAccountWithPrices } from '../../src/risk';
import * as F from './fixtures';
import { accountValueAtRisk } from '../../src/risk/var/account-var';

interface Example {
  id: string;
  inputs: Record<string, any>;
  expected: Record<string, number>;
  tolerance: { abs: number };
}

const examples: Example[] = JSON.parse(
  fs.readFileSync(path.resolve(__dirname, '../fixtures/reference-examples.json'), 'utf8'),
);
const example = (id: string): Example => {
  const e = examples.find((x) => x.id === id);
  if (e === undefined) throw new Error(`missing reference example ${id}`);
  return e;
};
/** JSON numbers → Decimal through their shortest decimal string (exact for the published values). */
const n = (x: number): Decimal => new Decimal(String(x));

function expectNear(actual: Decimal | null, expected: number, tol: number): void {
  expect(actual).not.toBeNull();
  const diff = actual!.sub(n(expected)).abs();
  if (diff.gt(n(tol))) throw new Error(`expected ${expected} ± ${tol}, got ${actual!.toString()}`);
}

describe('reference examples', () => {
  test('binance-usdm-cross-lp-btc: cross liquidation price of BTCUSDT with an ETHUSDT position held', () => {
    const ex = example('binance-usdm-cross-lp-btc');
    const i = ex.inputs;
    const eth = i.other_positions[0];
    const snap = F.snapshot({
      balances: { USDT: n(i.wallet_balance) },
      positions: [
        F.position('btc', 'BTCUSDT', n(i.position_qty).mul(i.side), n(i.entry_price)),
        F.position('eth', 'ETHUSDT', n(eth.qty), n(eth.entry)),
      ],
      markets: [
        F.market('BTCUSDT', { base: 'BTC', tiers: F.BINANCE_BTC_TIERS }),
        F.market('ETHUSDT', { base: 'ETH', tiers: F.BINANCE_ETH_TIERS }),
      ],
      assets: [F.asset('USDT', 8), F.asset('BTC'), F.asset('ETH')],
      marks: { BTCUSDT: 30000, ETHUSDT: n(eth.mark) },
    });
    const risk = evaluateAccount(snap);
    const ethRisk = risk.positionsById['eth']!;
    // The example's other-position terms: TMM1 (MM at mark) and UPNL1.
    expect(ethRisk.tier.maintenanceMarginRate.eq(n(eth.mmr))).toBe(true);
    expect(ethRisk.tier.maintenanceAmount.eq(n(eth.cum))).toBe(true);
    expectNear(ethRisk.maintenanceMargin, i.TMM1, 0.001);
    expectNear(ethRisk.unrealizedPnl, i.UPNL1, 0.01);

    const lp = risk.positionsById['btc']!.liquidationPrice;
    expectNear(lp, ex.expected.liquidation_price, ex.tolerance.abs);
    const btc = risk.liquidationPrices.find((u) => u.underlying === 'BTC')!;
    expect(btc.below!.markPrices['BTCUSDT']!.eq(lp!)).toBe(true);
    expect(btc.below!.liquidatableSide).toBe('BELOW');

    // At the liquidation price, BTCUSDT sits in the stated tier (mmr 2.5%, cum 16,300) and the account is not yet
    // liquidatable; one tick lower it is.
    const at = evaluateAccountWithPrices(snap, { markPrices: { BTCUSDT: lp! } });
    expect(at.positionsById['btc']!.tier.maintenanceMarginRate.eq(n(i.mmr))).toBe(true);
    expect(at.positionsById['btc']!.tier.maintenanceAmount.eq(n(i.cum))).toBe(true);
    expect(at.status).not.toBe('LIQUIDATABLE');
    const below = evaluateAccountWithPrices(snap, { markPrices: { BTCUSDT: lp!.sub('0.01') } });
    expect(below.status).toBe('LIQUIDATABLE');
  });

  test('binance-usdm-iso-lp-eth: isolated liquidation price', () => {
    const ex = example('binance-usdm-iso-lp-eth');
    const i = ex.inputs;
    const snap = F.snapshot({
      positions: [
        F.position('eth', 'ETHUSDT', n(i.position_qty).mul(i.side), n(i.entry_price), {
          marginType: 'ISOLATED',
          isolatedMargin: n(i.wallet_balance),
        }),
      ],
      markets: [F.market('ETHUSDT', { base: 'ETH', tiers: F.BINANCE_ETH_TIERS })],
      assets: [F.asset('USDT', 8)],
      marks: { ETHUSDT: '1335.18' },
    });
    const risk = evaluateAccount(snap);
    const p = risk.positionsById['eth']!;
    expectNear(p.liquidationPrice, ex.expected.liquidation_price, ex.tolerance.abs);
    const at = evaluateAccountWithPrices(snap, { markPrices: { ETHUSDT: p.liquidationPrice! } }).positionsById['eth']!;
    expect(at.tier.maintenanceMarginRate.eq(n(i.mmr))).toBe(true);
    expect(at.tier.maintenanceAmount.eq(n(i.cum))).toBe(true);
    expect(at.isolatedStatus).not.toBe('LIQUIDATABLE');
  });

  test('binance-usdm-maint-amount: cum of the 250,000 bracket', () => {
    const ex = example('binance-usdm-maint-amount');
    const i = ex.inputs;
    const cums = computeMaintenanceAmounts(
      F.BINANCE_BTC_TIERS.map((t) => ({
        notionalFloor: new Decimal(t.floor),
        initialMarginRate: new Decimal(t.imr),
        maintenanceMarginRate: new Decimal(t.mmr),
      })),
    );
    const idx = F.BINANCE_BTC_TIERS.findIndex((t) => new Decimal(t.floor).eq(n(i.bracket_floor)));
    expect(new Decimal(F.BINANCE_BTC_TIERS[idx]!.mmr).eq(n(i.mmr_n))).toBe(true);
    expect(new Decimal(F.BINANCE_BTC_TIERS[idx - 1]!.mmr).eq(n(i.mmr_prev))).toBe(true);
    expect(cums[idx - 1]!.eq(n(i.cum_prev))).toBe(true);
    expectNear(cums[idx]!, ex.expected.maintenance_amount, ex.tolerance.abs);

    // Through the engine: 500,000 USDT of BTCUSDT → cum 1,300 and MM = 500,000·1% − 1,300; 264,000 → mmr 1%.
    const evalAt = (qty: string) =>
      evaluateAccount(
        F.snapshot({
          balances: { USDT: 100000 },
          positions: [F.position('p', 'BTCUSDT', qty, 50000)],
          markets: [F.market('BTCUSDT', { base: 'BTC', tiers: F.BINANCE_BTC_TIERS })],
          assets: [F.asset('USDT', 8)],
          marks: { BTCUSDT: 50000 },
        }),
      ).positionsById['p']!;
    const p500 = evalAt('10');
    expect(p500.notional.eq(500000)).toBe(true);
    expectNear(p500.maintenanceAmount, ex.expected.maintenance_amount, ex.tolerance.abs);
    expect(p500.maintenanceMargin.eq(3700)).toBe(true);
    expect(evalAt('5.28').maintenanceRate.eq('0.01')).toBe(true);
  });

  test('bybit-usdt-iso-lp-long: IM with leverage 50, MM; liquidation price methodology difference documented', () => {
    const ex = example('bybit-usdt-iso-lp-long');
    const i = ex.inputs;
    const snap = F.snapshot({
      positions: [
        F.position('p', 'BTCUSDT', n(i.qty), n(i.entry), {
          marginType: 'ISOLATED',
          isolatedMargin: n(ex.expected.initial_margin).add(n(i.extra_margin)),
          leverage: n(i.leverage),
        }),
      ],
      markets: [F.market('BTCUSDT', { base: 'BTC', tick: '0.5', tiers: [{ floor: 0, imr: '0.01', mmr: n(i.mmr).toString() }] })],
      assets: [F.asset('USDT', 8)],
      marks: { BTCUSDT: n(i.entry) },
    });
    const p = evaluateAccount(snap).positionsById['p']!;
    expectNear(p.initialMargin, ex.expected.initial_margin, ex.tolerance.abs);
    expect(p.initialRate.source).toBe('LEVERAGE');
    expectNear(p.maintenanceMargin, ex.expected.maintenance_margin, ex.tolerance.abs);
    // Bybit's worked example holds MM at its entry value (100): at 19,700 the isolated equity is exactly that.
    const atRef = evaluateAccountWithPrices(snap, { markPrices: { BTCUSDT: n(ex.expected.liquidation_price) } })
      .positionsById['p']!;
    expectNear(atRef.isolatedEquity, ex.expected.maintenance_margin, ex.tolerance.abs);
    // DESIGN §4 values MM at the mark (N·mmr at the liquidation price: 98.5 at 19,700), so the engine's price is
    // the root of 400 + (P − 20000) = 0.005·P: 19698.49…, snapped up to the 0.5 tick.
    expect(p.liquidationPrice!.toString()).toBe('19698.5');
    expect(p.maintenanceBasis).toBe('MARK');

    // With the market's MM on the entry notional (maintenanceBasis ENTRY, Bybit's convention) MM stays 100 as the
    // mark moves and the isolated closed form gives Bybit's 19,700 exactly.
    const entrySnap = { ...snap, markets: { BTCUSDT: { ...snap.markets['BTCUSDT']!, maintenanceBasis: 'ENTRY' as const } } };
    const pe = evaluateAccount(entrySnap).positionsById['p']!;
    expect(pe.maintenanceBasis).toBe('ENTRY');
    expectNear(pe.maintenanceNotional, 20000, 0);
    expectNear(pe.initialMargin, ex.expected.initial_margin, ex.tolerance.abs);
    expectNear(pe.maintenanceMargin, ex.expected.maintenance_margin, ex.tolerance.abs);
    expectNear(pe.liquidationPrice, ex.expected.liquidation_price, ex.tolerance.abs);
    expect(pe.liquidationPrice!.toString()).toBe('19700');
    const atLp = evaluateAccountWithPrices(entrySnap, { markPrices: { BTCUSDT: pe.liquidationPrice! } }).positionsById['p']!;
    expectNear(atLp.maintenanceMargin, ex.expected.maintenance_margin, ex.tolerance.abs);
    expect(atLp.isolatedStatus).not.toBe('LIQUIDATABLE');
    const tickBelow = evaluateAccountWithPrices(entrySnap, { markPrices: { BTCUSDT: pe.liquidationPrice!.sub('0.5') } }).positionsById['p']!;
    expect(tickBelow.isolatedStatus).toBe('LIQUIDATABLE');
  });

  test('bybit-bankruptcy-iso: bankruptcy price of a 50x long', () => {
    const ex = example('bybit-bankruptcy-iso');
    const i = ex.inputs;
    const build = (isolatedMargin: Decimal.Value) =>
      F.snapshot({
        positions: [
          F.position('p', 'BTCUSDT', 1, n(i.entry), { marginType: 'ISOLATED', isolatedMargin, leverage: n(i.leverage) }),
        ],
        markets: [F.market('BTCUSDT', { base: 'BTC', tiers: [{ floor: 0, imr: '0.01', mmr: '0.005' }] })],
        assets: [F.asset('USDT', 8)],
        marks: { BTCUSDT: n(i.entry) },
      });
    // Post exactly the initial margin the engine requires at 50x, then read the bankruptcy price.
    const im = evaluateAccount(build(0)).positionsById['p']!.initialMargin;
    const p = evaluateAccount(build(im)).positionsById['p']!;
    expectNear(p.bankruptcyPrice, ex.expected.bankruptcy_price, ex.tolerance.abs);
    expect(p.bankruptcyPrice!.lte(p.liquidationPrice!)).toBe(true);
  });

  test('bybit-inverse-initial-margin: 12,000 USD-face contracts at 8,000 with 50x', () => {
    const ex = example('bybit-inverse-initial-margin');
    const i = ex.inputs;
    const risk = evaluateAccount(
      F.snapshot({
        balances: { BTC: 1 },
        positions: [F.position('p', 'BTCUSD', n(i.qty_usd), n(i.price), { leverage: n(i.leverage) })],
        markets: [
          F.market('BTCUSD', {
            base: 'BTC',
            quote: 'USD',
            contractType: 'INVERSE',
            contractSize: 1,
            tiers: [{ floor: 0, imr: '0.01', mmr: '0.005' }],
          }),
        ],
        assets: [F.asset('BTC', 8), F.asset('USD', 2)],
        marks: { BTCUSD: n(i.price) },
        indexes: { BTC: n(i.price) },
        valuationAsset: 'USD',
      }),
    );
    const p = risk.positionsById['p']!;
    expect(p.settlementAsset).toBe('BTC');
    expectNear(p.initialMargin, ex.expected.initial_margin_btc, ex.tolerance.abs);
    expect(p.initialMarginUsd.eq(p.initialMargin.mul(n(i.price)))).toBe(true);
  });

  /** dYdX: one tier imr = IMF, mmr = IMF·MF, USDC with 6 decimals (1 quote quantum = 1e-6). */
  function dydx(id: string, withOpenInterest: 'OI' | 'NO_OI' = 'NO_OI', rateStep: Decimal | null = new Decimal('0.000001')) {
    const ex = example(id);
    const i = ex.inputs;
    const price = n(i.price).mul(new Decimal(10).pow(i.exponent));
    const size = n(i.base_quantums).mul(new Decimal(10).pow(i.atomic_resolution));
    const imf = n(i.initial_margin_ppm).div(1e6);
    const mf = n(i.maintenance_fraction_ppm).div(1e6);
    const quantum = new Decimal(10).pow(-6);
    const oi =
      withOpenInterest === 'OI'
        ? {
            lowerCap: n(i.oi_lower_cap).mul(quantum),
            upperCap: n(i.oi_upper_cap).mul(quantum),
            openInterest: n(i.open_interest_base_quantums).mul(new Decimal(10).pow(i.atomic_resolution)),
            rateStep,
          }
        : null;
    const risk = evaluateAccount(
      F.snapshot({
        balances: { USDC: 1_000_000 },
        positions: [F.position('p', 'BTC-USD', size, price)],
        markets: [
          F.market('BTC-USD', {
            base: 'BTC',
            quote: 'USDC',
            tick: '0.1',
            tiers: [{ floor: 0, imr: imf.toString(), mmr: imf.mul(mf).toString() }],
            openInterestScaling: oi,
          }),
        ],
        assets: [F.asset('USDC', 6)],
        marks: { 'BTC-USD': price },
        valuationAsset: 'USDC',
      }),
    );
    const p = risk.positionsById['p']!;
    return { ex, p, im: p.initialMargin.div(quantum), mm: p.maintenanceMargin.div(quantum) };
  }

  test.each(['dydx-v4-margin-req-im20-mf50', 'dydx-v4-margin-req-im25-mf60-roundup'])('%s: IM and MM in quote quantums', (id) => {
    const { ex, im, mm } = dydx(id);
    expect(im.toString()).toBe(String(ex.expected.initial_margin_quote_quantums));
    expect(mm.toString()).toBe(String(ex.expected.maintenance_margin_quote_quantums));
  });

  test('dydx-v4-oimf-60pct: open-interest scaled IMF, floored to integer ppm (rateStep 1e-6)', () => {
    const { ex, p, im, mm } = dydx('dydx-v4-oimf-60pct', 'OI');
    expect(im.toString()).toBe(String(ex.expected.initial_margin_quote_quantums));
    expect(mm.toString()).toBe(String(ex.expected.maintenance_margin_quote_quantums));
    expect(p.initialRate.source).toBe('OPEN_INTEREST');
    expect(p.initialRate.afterOpenInterest.toString()).toBe('0.599999');
    // Without the ppm floor the continuous rate 0.5999999999… rounds IM up to 264.6 USDC instead.
    const unfloored = dydx('dydx-v4-oimf-60pct', 'OI', null);
    expect(unfloored.im.toString()).toBe('264600000');
  });

  test('dydx-v4-bankruptcy-single-long: the 0.1 BTC long must be sold for at least 4,501 USDC', () => {
    const ex = example('dydx-v4-bankruptcy-single-long');
    const i = ex.inputs;
    const mark = new Decimal(50000);
    const size = n(i.position_notional).div(mark);
    // dYdX holds the position at full value and USDC −4,501; here: entry = mark, so the balance is the net 499.
    const risk = evaluateAccount(
      F.snapshot({
        balances: { USDC: n(i.usdc).add(n(i.position_notional)) },
        positions: [F.position('p', 'BTC-USD', size, mark)],
        markets: [F.market('BTC-USD', { base: 'BTC', quote: 'USDC', tiers: [{ floor: 0, imr: '0.2', mmr: n(i.mmr_rate).toString() }] })],
        assets: [F.asset('USDC', 6)],
        marks: { 'BTC-USD': mark },
        valuationAsset: 'USDC',
      }),
    );
    const bp = risk.positionsById['p']!.bankruptcyPrice!;
    expectNear(bp.mul(size).mul(n(i.close_fraction)), ex.expected.bankruptcy_quote_usd, ex.tolerance.abs);
  });

  /** One BTCUSDT long of 1 at 50,000 (N = 50,000), tier imr 5%, mmr 2.5%, USDT with 8 decimals. */
  function adjusted(extra: Partial<F.MarketOpts>) {
    return evaluateAccount(
      F.snapshot({
        balances: { USDT: 100000 },
        positions: [F.position('p', 'BTCUSDT', 1, 50000)],
        markets: [F.market('BTCUSDT', { base: 'BTC', tiers: [{ floor: 0, imr: '0.05', mmr: '0.025' }], ...extra })],
        assets: [F.asset('USDT', 8)],
        marks: { BTCUSDT: 50000 },
      }),
    ).positionsById['p']!;
  }

  test('hand-computed: volatility adjustment z·σ·√h = 2.326 × 3% × √2 raises IM and scales MM by the same factor', () => {
    const p = adjusted({ volatilityAdjustment: { zScore: n(2.326), dailyVolatility: n(0.03), horizonDays: n(2) } });
    // imr_eff = max(5%, 0.0986838223823945725…) ; k = imr_eff / 5%
    expect(p.initialRate.afterVolatility.toFixed(20)).toBe('0.09868382238239457251');
    expect(p.initialRate.source).toBe('VOLATILITY');
    expect(p.initialMargin.toFixed()).toBe('4934.19111912');
    expect(p.maintenanceMargin.toFixed()).toBe('2467.09555956');
    // A calm market (z·σ·√h < imr) leaves the tier rates alone and says so.
    const calm = adjusted({ volatilityAdjustment: { zScore: n(2.326), dailyVolatility: n(0.01), horizonDays: n(1) } });
    expect(calm.initialRate.source).toBe('TIER');
    expect(calm.volatilityFactor.eq(1)).toBe(true);
    expect(calm.initialMargin.toFixed()).toBe('2500');
  });

  test('hand-computed: liquidity add-on N·λ·√(N/D) = 50,000 × 0.1 × √0.05 added to IM and MM', () => {
    const p = adjusted({ liquidityAddon: { lambda: n(0.1), bookDepth: n(1000000) } });
    expect(p.liquidityAddon.toFixed(10)).toBe('1118.0339887499');
    expect(p.initialMargin.toFixed()).toBe('3618.03398875');
    expect(p.maintenanceMargin.toFixed()).toBe('2368.03398875');
    expect(adjusted({}).liquidityAddon.isZero()).toBe(true);
  });

  test('var-10day-sqrt-time through the account: 1 BTC held, daily σ of log returns 2%, 95%, 10 days → VaR 10.4%', () => {
    const ex = example('var-10day-sqrt-time');
    const i = ex.inputs;
    // Alternating ±x log returns: mean 0, sample sd x·√(m/(m−1)) = σ exactly.
    const m = 200;
    const x = n(i.sigma_daily).mul(new Decimal(m - 1).div(m).sqrt());
    const prices: Decimal[] = [];
    for (let k = 0; k <= m; k++) prices.push(new Decimal(100).mul(k % 2 === 0 ? 1 : x.exp()));
    const snap = F.snapshot({
      balances: { BTC: 1 },
      markets: [],
      assets: [F.asset('USDT', 8), F.asset('BTC', 8)],
      marks: {},
      indexes: { BTC: 100 },
    });
    const r = accountValueAtRisk(snap, { datesMs: prices.map((_, k) => k * 86_400_000), prices: { BTC: prices } }, {
      confidence: '0.95',
      horizonDays: i.days,
      method: 'PARAMETRIC',
    });
    // VaR as a fraction of the 100 held.
    expectNear(r.var.div(100), ex.expected.var_pct, ex.tolerance.abs);
    expect(r.observations).toBe(m);
  });
});
