/**
 * Venue stress cascade on hand-computed venues. One market XYZ-PERP (LINEAR, c = 1, tick 0.01, one tier imr 10%,
 * mmr 5%, no fees), mark and index 100, slippage baseRate 0, impactFactor 1, book depth 100,000 USDT, so closing r
 * contracts at mark P executes at roundDown(P·(1 − r·P/100,000), 0.01) and a round's net sale of r moves the mark
 * there too.
 *
 *   A: long 100 @ 100, 700 USDT.  At 95 (−5%): marginEquity 700 − 500 = 200 < MM 475 → liquidated in round 1.
 *      No partial close restores IM (r·(e − 85.5) ≥ 750 has no root), so all 100 close at
 *      95·(1 − 0.095) = 85.975 → 85.97: realized −1,403, balance −703 → deficit 703.
 *      The round's net sale of 100 moves the mark to 85.97.
 *   B: long 10 @ 100, 120 USDT.  At 95: 120 − 50 = 70 ≥ MM 47.5 (safe).  At 85.97: 120 − 140.3 = −20.3 < MM →
 *      liquidated in round 2 only because of round 1's impact: 10 close at 85.97·(1 − 0.008597) = 85.2309… → 85.23,
 *      realized −147.7, deficit 27.7; the mark moves to 85.23.
 *   C: short 50 @ 100, 500 USDT: gains as the price falls, never liquidated.
 *   Round 3 liquidates nobody: the cascade converged after 2 liquidating rounds.
 */
import Decimal from 'decimal.js';
import { runStressTestOnSnapshots, StressCascade, type StressVenue } from '../../src/risk/stress';
import { ScenarioInputError } from '../../src/risk/scenario';
import type { MarketParams } from '../../src/risk/types';
import { asset, dec, market, NOW, position, quote, snapshot } from './fixtures';

function xyzMarket(impactFactor: Decimal.Value, baseRate: Decimal.Value = 0, fees = { liq: '0', fund: '0' }): MarketParams {
  return {
    ...market('XYZ-PERP', { base: 'XYZ', quote: 'USDT', tiers: [{ floor: 0, imr: '0.1', mmr: '0.05' }], maxPriceAgeSeconds: 3600 }),
    liquidationFeeRate: dec(fees.liq),
    insuranceFundFeeRate: dec(fees.fund),
    slippage: { baseRate: dec(baseRate), impactFactor: dec(impactFactor), bookDepth: dec(100_000) },
  };
}

function venue(m: MarketParams, funds: Record<string, Decimal.Value>) {
  const assets = [asset('USDT', 6), asset('XYZ', 8)];
  const base = snapshot({ markets: [m], assets, marks: { 'XYZ-PERP': 100 }, indexes: { XYZ: 100 }, maxIndexPriceAgeSeconds: 3600 });
  const v: StressVenue = {
    markets: base.markets,
    assets: base.assets,
    markPrices: base.markPrices,
    indexPrices: base.indexPrices,
    portfolioParams: {},
    valuationAsset: 'USDT',
    maxIndexPriceAgeSeconds: 3600,
    asOfMs: NOW,
    insuranceFunds: Object.fromEntries(Object.entries(funds).map(([k, x]) => [k, dec(x)])),
  };
  const account = (id: string, size: Decimal.Value, balance: Decimal.Value) =>
    snapshot({
      accountId: id,
      markets: [m],
      assets,
      balances: { USDT: balance },
      positions: [position(`${id}-p`, 'XYZ-PERP', size, 100)],
      marks: { 'XYZ-PERP': 100 },
      indexes: { XYZ: 100 },
      maxIndexPriceAgeSeconds: 3600,
    });
  return { venue: v, accounts: [account('A', 100, 700), account('B', 10, 120), account('C', -50, 500)] };
}

const DOWN_5 = { shocks: [{ underlying: 'XYZ', relative: dec('-0.05') }] };
const s = (x: Decimal) => x.toFixed();

describe('stress cascade', () => {
  it('liquidates B in round 2 only because round 1 moved the price (hand-computed)', () => {
    const { venue: v, accounts } = venue(xyzMarket(1), { USDT: 1000 });
    const r = runStressTestOnSnapshots(v, DOWN_5, accounts);
    expect(s(r.shockedPrices['XYZ-PERP']!)).toBe('95');
    expect(s(r.shockedIndexPrices.XYZ!)).toBe('95');
    expect(r.rounds).toHaveLength(2);
    expect(r.converged).toBe(true);

    const [r1, r2] = r.rounds;
    expect(r1!.liquidatedAccountIds).toEqual(['A']);
    expect(r1!.accountsEvaluated).toBe(3);
    expect(r1!.markets).toHaveLength(1);
    const m1 = r1!.markets[0]!;
    expect([s(m1.markPrice), s(m1.priceAfter), s(m1.soldContracts), s(m1.boughtContracts), s(m1.soldNotional)]).toEqual(['95', '85.97', '100', '0', '9500']);
    expect(s(m1.closedNotionalUsd)).toBe('8597');
    expect(s(r1!.insuranceFundDrawUsd)).toBe('703');
    expect(s(r1!.insuranceFunds.USDT!)).toBe('297');
    expect(s(r1!.badDebtUsd)).toBe('0');
    expect(s(r1!.pricesAfter['XYZ-PERP']!)).toBe('85.97');

    expect(r2!.liquidatedAccountIds).toEqual(['B']);
    const m2 = r2!.markets[0]!;
    expect([s(m2.markPrice), s(m2.priceAfter), s(m2.soldContracts)]).toEqual(['85.97', '85.23', '10']);
    expect(s(r2!.insuranceFundDrawUsd)).toBe('27.7');
    expect(s(r2!.insuranceFunds.USDT!)).toBe('269.3');
    expect(s(r2!.cumulativeBadDebtUsd)).toBe('0');

    expect(s(r.finalPrices['XYZ-PERP']!)).toBe('85.23');
    expect(r.accountsLiquidated).toBe(2);
    expect(s(r.insuranceFundsBefore.USDT!)).toBe('1000');
    expect(s(r.insuranceFundsAfter.USDT!)).toBe('269.3');
    expect(s(r.totalInsuranceFundDrawUsd)).toBe('730.7');
  });

  it('turns what the insurance fund cannot cover into bad debt', () => {
    const { venue: v, accounts } = venue(xyzMarket(1), { USDT: 710 });
    const r = runStressTestOnSnapshots(v, DOWN_5, accounts);
    expect(r.rounds.map((x) => s(x.insuranceFunds.USDT!))).toEqual(['7', '0']);
    expect(r.rounds.map((x) => s(x.badDebtUsd))).toEqual(['0', '20.7']);
    expect(s(r.totalBadDebtUsd)).toBe('20.7');
    // deficit = insurance draw + bad debt, per round and in total.
    expect(s(r.totalInsuranceFundDrawUsd.add(r.totalBadDebtUsd))).toBe('730.7');
  });

  it('without price impact the cascade stops after round 1 and B survives', () => {
    const { venue: v, accounts } = venue(xyzMarket(0), { USDT: 1000 });
    const r = runStressTestOnSnapshots(v, DOWN_5, accounts);
    expect(r.rounds).toHaveLength(1);
    expect(r.rounds[0]!.liquidatedAccountIds).toEqual(['A']);
    expect(r.converged).toBe(true);
    expect(s(r.finalPrices['XYZ-PERP']!)).toBe('95');
    // A is closed only partly (IM restored) at the mark: no deficit.
    expect(s(r.totalInsuranceFundDrawUsd)).toBe('0');
  });

  it('stops at the round limit while liquidations still go on', () => {
    const { venue: v, accounts } = venue(xyzMarket(1), { USDT: 1000 });
    const r = runStressTestOnSnapshots(v, { ...DOWN_5, maxRounds: 1 }, accounts);
    expect(r.rounds).toHaveLength(1);
    expect(r.converged).toBe(false);
    expect(r.accountsLiquidated).toBe(1);
  });

  it('credits the insurance fund with its share of the liquidation fee', () => {
    // liquidation fee 1% of closed notional at execution; the fund's share min(fee, 0.5% of it). A small shock so
    // A has equity left to pay it: B (long 10, 120) at 95 is safe, A at 95 is liquidated and partly closed.
    const { venue: v, accounts } = venue(xyzMarket(0, 0, { liq: '0.01', fund: '0.005' }), { USDT: 1000 });
    const r = runStressTestOnSnapshots(v, DOWN_5, accounts);
    const r1 = r.rounds[0]!;
    const closed = r1.markets[0]!.closedNotionalUsd;
    expect(r1.feesUsd.gt(0)).toBe(true);
    expect(s(r1.insuranceFunds.USDT!)).toBe(s(new Decimal(1000).add(closed.mul('0.005'))));
  });

  it('reports accounts the engine cannot evaluate and leaves them out', () => {
    const { venue: v, accounts } = venue(xyzMarket(1), { USDT: 1000 });
    const broken = { ...accounts[2]!, accountId: 'D', positions: [position('D-p', 'NOPE-PERP', 1, 1)] };
    const r = runStressTestOnSnapshots(v, DOWN_5, [...accounts, broken]);
    expect(r.accountsFailed).toEqual({ INVALID_SNAPSHOT: 1 });
    expect(r.accountsEvaluated).toBe(3);
    expect(r.accountsLiquidated).toBe(2);
  });

  it('refuses a bad scenario with the field at fault', () => {
    const { venue: v } = venue(xyzMarket(1), {});
    expect(() => new StressCascade(v, { shocks: [] })).toThrow(ScenarioInputError);
    expect(() => new StressCascade(v, { shocks: [{ underlying: 'XYZ', relative: dec(-1) }] })).toThrow(/greater than -1/);
    expect(() => new StressCascade(v, { ...DOWN_5, maxRounds: 51 })).toThrow(/maxRounds/);
    try {
      new StressCascade(v, { shocks: [{ underlying: 'NOPE', relative: dec('0.1') }] });
      throw new Error('expected a refusal');
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioInputError);
      expect((error as ScenarioInputError).field).toBe('shocks[0].underlying');
    }
  });

  it('moves the price up when liquidated shorts buy back', () => {
    const { venue: v, accounts } = venue(xyzMarket(1), { USDT: 1000 });
    // C (short 50 @ 100, 500) at +8%: marginEquity 500 − 400 = 100 < MM 0.05·50·108 = 270 → liquidated; buying
    // back moves the mark up.
    const r = runStressTestOnSnapshots(v, { shocks: [{ underlying: 'XYZ', relative: dec('0.08') }] }, accounts);
    const m1 = r.rounds[0]!.markets[0]!;
    expect(r.rounds[0]!.liquidatedAccountIds).toContain('C');
    expect(m1.boughtContracts.gt(0)).toBe(true);
    expect(m1.priceAfter.gt(m1.markPrice)).toBe(true);
    void quote;
  });
});

describe('stress cascade screening', () => {
  it('gives the same cascade with and without screening on a random venue', () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const m = xyzMarket('0.2', '0.0005', { liq: '0.005', fund: '0.002' });
    const other = { ...xyzMarket('0.2', '0.0005'), symbol: 'ABC-PERP', baseAsset: 'ABC' };
    const assets = [asset('USDT', 6), asset('XYZ', 8), asset('ABC', 8)];
    const accounts = Array.from({ length: 60 }, (_, i) => {
      const size = Math.round((rnd() * 200 - 100) * 100) / 100 || 1;
      const size2 = Math.round((rnd() * 200 - 100) * 100) / 100 || 1;
      return snapshot({
        accountId: `acc-${String(i).padStart(3, '0')}`,
        markets: [m, other],
        assets,
        balances: { USDT: Math.round(300 + rnd() * 3000) },
        positions: [position(`p-${i}`, 'XYZ-PERP', size, Math.round(90 + rnd() * 20)), position(`q-${i}`, 'ABC-PERP', size2, Math.round(90 + rnd() * 20))],
        marks: { 'XYZ-PERP': 100, 'ABC-PERP': 100 },
        indexes: { XYZ: 100, ABC: 100 },
        maxIndexPriceAgeSeconds: 3600,
      });
    });
    const base = accounts[0]!;
    const v: StressVenue = {
      markets: base.markets, assets: base.assets, markPrices: base.markPrices, indexPrices: base.indexPrices, portfolioParams: {},
      valuationAsset: 'USDT', maxIndexPriceAgeSeconds: 3600, asOfMs: NOW, insuranceFunds: { USDT: dec(5000) },
    };
    const scenario = { shocks: [{ underlying: 'XYZ', relative: dec('-0.08') }, { underlying: 'ABC', relative: dec('0.05') }], maxRounds: 20 };
    const screened = runStressTestOnSnapshots(v, scenario, accounts);
    const full = runStressTestOnSnapshots(v, { ...scenario, screening: false }, accounts);
    expect(screened.rounds.length).toBeGreaterThan(1);
    expect(screened.rounds.some((r) => r.accountsScreened > 0)).toBe(true);
    const strip = (r: typeof full) => ({ ...r, rounds: r.rounds.map((x) => ({ ...x, accountsScreened: 0 })) });
    expect(JSON.stringify(strip(screened))).toBe(JSON.stringify(strip(full)));
  });
});
