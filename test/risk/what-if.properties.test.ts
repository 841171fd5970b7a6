/**
 * Property tests (fast-check, fixed seed) of the what-if engine: each solver's boundary claim re-checked through
 * scenarios on random accounts, the liquidation outcome's guarantees, and the empty scenario.
 */
import Decimal from 'decimal.js';
import fc from 'fast-check';
import {
  applyScenario,
  depositToReach,
  evaluateAccount,
  liquidationOutcome,
  maxTradeSize,
  maxWithdrawable,
  minReductionToExitLiquidation,
  whatIf,
} from '../../src/risk';
import type { AccountRisk, AccountSnapshot, MarketParams } from '../../src/risk';
import * as F from './fixtures';

const RUNS = { numRuns: 100, seed: Number(process.env.FC_SEED ?? 20261121) };
const d = (x: Decimal.Value) => new Decimal(x);
const decimalIn = (lo: number, hi: number, dp: number) =>
  fc.integer({ min: Math.round(lo * 10 ** dp), max: Math.round(hi * 10 ** dp) }).map((i) => d(i).div(10 ** dp));
const STEP = d('1e-8');
const quick = (s: AccountSnapshot): AccountRisk => evaluateAccount(s, { liquidationPrices: 'SKIP' });

const accountArb = fc.record({
  usdc: decimalIn(-3000, 30000, 2),
  btcBalance: decimalIn(0, 1, 4),
  btcSize: decimalIn(-3, 3, 3),
  ethSize: decimalIn(-40, 40, 2),
  btcEntry: decimalIn(0.85, 1.15, 3),
  ethEntry: decimalIn(0.85, 1.15, 3),
  ethIsolated: fc.boolean(),
  ethMargin: decimalIn(0, 8000, 2),
  baseRate: decimalIn(0, 0.02, 4),
  impact: decimalIn(0, 1, 2),
  feeRate: decimalIn(0, 0.01, 4),
  leverage: fc.option(fc.integer({ min: 2, max: 50 }), { nil: null }),
});
type Acc = typeof accountArb extends fc.Arbitrary<infer T> ? T : never;

function market(symbol: string, base: string, tiers: F.TierRow[], a: Acc): MarketParams {
  return {
    ...F.market(symbol, { base, quote: 'USDC', tiers, tick: '0.01' }),
    liquidationFeeRate: a.feeRate,
    slippage: { baseRate: a.baseRate, bookDepth: d(2_000_000), impactFactor: a.impact },
  };
}

function build(a: Acc): AccountSnapshot {
  const positions = [];
  if (!a.btcSize.isZero()) positions.push(F.position('btc', 'BTC-PERP', a.btcSize, a.btcEntry.mul(50000).toDecimalPlaces(2), { leverage: a.leverage }));
  if (!a.ethSize.isZero()) {
    positions.push(
      F.position('eth', 'ETH-PERP', a.ethSize, a.ethEntry.mul(3000).toDecimalPlaces(2), {
        marginType: a.ethIsolated ? 'ISOLATED' : 'CROSS',
        isolatedMargin: a.ethIsolated ? a.ethMargin : 0,
      }),
    );
  }
  return F.snapshot({
    balances: { USDC: a.usdc, BTC: a.btcBalance },
    positions,
    markets: [market('BTC-PERP', 'BTC', F.BINANCE_BTC_TIERS, a), market('ETH-PERP', 'ETH', F.BINANCE_ETH_TIERS, a)],
    assets: [F.asset('USDC', 6), F.asset('BTC', 8, { init: '0.8', maint: '0.9', initLiab: '1.2', maintLiab: '1.1' }), F.asset('ETH', 8)],
    marks: { 'BTC-PERP': 50000, 'ETH-PERP': 3000 },
    indexes: { BTC: 50000, ETH: 3000 },
    valuationAsset: 'USDC',
  });
}

/** The account with its USDC balance set so that marginEquity = MM·(1 − frac): liquidatable, not (yet) bankrupt. */
function nearLiquidation(a: Acc, frac: Decimal): AccountSnapshot {
  const r0 = quick(build({ ...a, usdc: d(0) }));
  const usdc = r0.maintenanceMargin.sub(r0.marginEquity).sub(r0.maintenanceMargin.mul(frac)).toDecimalPlaces(6, Decimal.ROUND_FLOOR);
  return build({ ...a, usdc });
}

describe('solver boundary claims on random accounts', () => {
  test('maxTradeSize: the applyFill rule accepts the answer and refuses one size step more', () => {
    let checked = 0;
    fc.assert(
      fc.property(accountArb, fc.constantFrom('BTC-PERP', 'ETH-PERP'), fc.constantFrom('LONG' as const, 'SHORT' as const), (a, m, side) => {
        const snap = build(a);
        const r = maxTradeSize(snap, m, side);
        if (r.unbounded) return true;
        checked += 1;
        const sign = side === 'LONG' ? 1 : -1;
        const refused = (size: Decimal) => whatIf(snap, { trades: [{ market: m, size: size.mul(sign) }] }).brokenLimits.some((l) => l.refusesWrite);
        if (r.answer!.gt(0)) expect(refused(r.answer!)).toBe(false);
        expect(refused(r.answer!.add(STEP))).toBe(true);
        expect(r.verification.holdsAtCrossing).toBe(false);
        return true;
      }),
      RUNS,
    );
    expect(checked).toBeGreaterThan(50);
  });

  test('maxWithdrawable: freeCollateral ≥ 0 (and balance ≥ 0 unless borrowable) at the answer, broken one unit more', () => {
    fc.assert(
      fc.property(accountArb, fc.constantFrom('USDC', 'BTC'), fc.boolean(), (a, asset, borrowable) => {
        const snap = build(a);
        const r = maxWithdrawable(snap, asset, { borrowable });
        if (!r.feasible || r.unbounded) return true;
        const balance = snap.balances.find((b) => b.asset === asset)!.amount;
        const withdraw = (w: Decimal) => (w.isZero() ? quick(snap) : quick(applyScenario(snap, { withdrawals: [{ asset, amount: w }] })));
        const holds = (w: Decimal) => withdraw(w).freeCollateral.gte(0) && (borrowable || d(balance).sub(w).gte(0));
        expect(holds(r.answer!)).toBe(true);
        expect(holds(r.answer!.add(r.unit))).toBe(false);
        return true;
      }),
      RUNS,
    );
  });

  test('depositToReach: the liquidation price reaches the target on the boundary side at the answer, not one unit less', () => {
    fc.assert(
      fc.property(accountArb, decimalIn(0.02, 0.3, 3), fc.boolean(), (a, move, towardMark) => {
        const snap = build(a);
        const risk = evaluateAccount(snap);
        const p = risk.positions.find((x) => !x.size.isZero() && x.liquidationPrice !== null);
        if (p === undefined) return true;
        // The boundary side: above or below the mark, whatever the position's sign.
        const above = p.liquidationPrice!.gt(p.markPrice);
        const away = above ? d(1).add(move) : d(1).sub(move);
        const toward = above ? d(1).sub(move) : d(1).add(move);
        const target = p.liquidationPrice!.mul(towardMark ? toward : away).toDecimalPlaces(2);
        fc.pre(target.gt(0));
        const r = depositToReach(snap, target, p.market);
        if (r.answer === null) return true;
        const liq = (amount: Decimal): Decimal | null => {
          if (amount.isZero()) return evaluateAccount(snap).positionsById[p.positionId]!.liquidationPrice;
          const s =
            p.marginType === 'ISOLATED'
              ? applyScenario(snap, { deposits: [{ asset: 'USDC', amount }], isolatedMarginTransfers: [{ market: p.market, amount }] })
              : applyScenario(snap, { deposits: [{ asset: 'USDC', amount }] });
          return evaluateAccount(s).positionsById[p.positionId]!.liquidationPrice;
        };
        const reached = (x: Decimal | null) => x === null || (above ? x.gte(target) : x.lte(target));
        expect(reached(liq(r.answer))).toBe(true);
        if (r.answer.gt(0)) expect(reached(liq(r.answer.sub(r.unit)))).toBe(false);
        // A target between the mark and the boundary (the price has not passed it) is reached without a deposit
        // only when the boundary is already beyond it.
        if (towardMark) expect(r.answer.isZero()).toBe(true);
        return true;
      }),
      { ...RUNS, numRuns: 60 },
    );
  });


  test('minReductionToExitLiquidation: out of liquidation at the answer, still in one size step less', () => {
    let checked = 0;
    fc.assert(
      fc.property(accountArb, decimalIn(0.01, 0.99, 2), (a, frac) => {
        const snap = nearLiquidation(a, frac);
        const r = minReductionToExitLiquidation(snap);
        if (r === null || !r.feasible) return true;
        checked += 1;
        const apply = (lastLess: Decimal) => {
          const trades = r.reductions!.map((x, i) => {
            const size = i === r.reductions!.length - 1 ? x.size.sub(lastLess) : x.size;
            return { market: x.market, size: x.sizeBefore.isPos() ? size.neg() : size };
          });
          return quick(applyScenario(snap, { trades: trades.filter((t) => !t.size.isZero()) }));
        };
        const ok = (x: AccountRisk) => x.marginEquity.gte(x.maintenanceMargin);
        expect(ok(apply(d(0)))).toBe(true);
        expect(ok(apply(STEP))).toBe(false);
        return true;
      }),
      RUNS,
    );
    expect(checked).toBeGreaterThan(5);
  });
});

describe('liquidation outcome guarantees', () => {
  test('restores IM when it can, fees never push equity below zero, draw + residual = deficit', () => {
    let liquidated = 0;
    fc.assert(
      fc.property(accountArb, decimalIn(0, 20000, 0), decimalIn(-0.3, 0.3, 3), decimalIn(0.01, 0.99, 2), (a, fund, btcMove, frac) => {
        const snap = applyScenario(nearLiquidation(a, frac), { priceMoves: [{ underlying: 'BTC', relative: btcMove }] });
        const out = liquidationOutcome(snap, { insuranceFunds: { USDC: fund } });
        if (out === null) return true;
        liquidated += 1;
        const last = out.after;
        if (out.restoredToInitialMargin) {
          if (out.crossLiquidated) expect(last.freeCollateral.gte(0)).toBe(true);
          for (const id of out.isolatedLiquidated) {
            const p = last.positionsById[id]!;
            if (!p.size.isZero()) expect(p.isolatedEquity!.gte(p.initialMargin)).toBe(true);
          }
        } else if (out.crossLiquidated && last.freeCollateral.lt(0)) {
          // Not restored: every cross position was closed.
          expect(last.positions.filter((p) => p.marginType === 'CROSS').every((p) => p.size.isZero())).toBe(true);
        }
        for (const s of out.steps) {
          expect(s.fee.lte(s.feeUncapped)).toBe(true);
          expect(s.fee.gte(0)).toBe(true);
          if (s.fee.gt(0)) {
            if (s.marginType === 'CROSS') expect(s.crossEquity.gte(0)).toBe(true);
            else expect(s.isolatedEquity!.gte(0)).toBe(true);
          }
        }
        expect(out.insuranceFundDrawUsd.add(out.residualLossUsd).eq(out.deficitUsd)).toBe(true);
        expect(out.residualLossUsd.gte(0)).toBe(true);
        expect(out.insuranceFundDrawUsd.lte(fund)).toBe(true);
        return true;
      }),
      RUNS,
    );
    expect(liquidated).toBeGreaterThan(20);
  });

  test('a scenario with no changes gives after == before', () => {
    fc.assert(
      fc.property(accountArb, (a) => {
        const snap = build(a);
        const r = whatIf(snap, { priceMoves: [], trades: [], deposits: [], withdrawals: [] });
        expect(r.after).toEqual(r.before);
        expect(r.diff.equity.isZero()).toBe(true);
        expect(r.diff.statusChanged).toBe(false);
        return true;
      }),
      RUNS,
    );
  });
});
