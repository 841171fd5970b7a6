/** Liquidation outcome: golden dYdX bankruptcy price and hand-computed schedules, fee cap, insurance and ADL. */
import Decimal from 'decimal.js';
import { closeBankruptcyPrice, evaluateAccount, liquidationOutcome } from '../../src/risk';
import type { MarketParams } from '../../src/risk';
import * as F from './fixtures';
import fs from 'node:fs';
import path from 'node:path';

const examples: any[] = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/reference-examples.json'), 'utf8'));

const d = (x: Decimal.Value) => new Decimal(x);

function btc(o: { baseRate?: Decimal.Value; impact?: Decimal.Value; fee?: Decimal.Value; imr?: string; mmr?: string } = {}): MarketParams {
  return {
    ...F.market('BTC-USD', { base: 'BTC', quote: 'USDC', tiers: [{ floor: 0, imr: o.imr ?? '0.2', mmr: o.mmr ?? '0.1' }] }),
    liquidationFeeRate: d(o.fee ?? 0),
    slippage: { baseRate: d(o.baseRate ?? 0), bookDepth: d(1_000_000), impactFactor: d(o.impact ?? 0) },
  };
}

/** dYdX holds the position at full value with USDC −4,501; with entry = mark the balance here is the net 499. */
function dydxAccount(market: MarketParams) {
  const ex = examples.find((e) => e.id === 'dydx-v4-bankruptcy-single-long');
  const mark = d(50000);
  const size = d(ex.inputs.position_notional).div(mark);
  return F.snapshot({
    balances: { USDC: d(ex.inputs.usdc).add(ex.inputs.position_notional) },
    positions: [F.position('p', 'BTC-USD', size, mark)],
    markets: [market],
    assets: [F.asset('USDC', 6)],
    marks: { 'BTC-USD': mark },
    valuationAsset: 'USDC',
  });
}

describe('golden: dydx-v4-bankruptcy-single-long', () => {
  const ex = examples.find((e) => e.id === 'dydx-v4-bankruptcy-single-long');

  it('closing the whole 0.1 BTC has bankruptcy price 45,010 (= 4,501 USDC of quote)', () => {
    const snap = dydxAccount(btc());
    const bp = closeBankruptcyPrice(snap, 'p', d('0.1'))!;
    expect(bp.toFixed()).toBe('45010');
    expect(bp.mul('0.1').sub(ex.expected.bankruptcy_quote_usd).abs().lte(ex.tolerance.abs)).toBe(true);
  });

  it('the outcome closes 0.0501 BTC (to IM) at the mark, with the same bankruptcy price per BTC', () => {
    const snap = dydxAccount(btc());
    expect(evaluateAccount(snap).status).toBe('LIQUIDATABLE');
    const out = liquidationOutcome(snap)!;
    expect(out.steps).toHaveLength(1);
    const s = out.steps[0]!;
    // Remaining 0.0499 BTC: IM = 0.0499 × 50,000 × 0.2 = 499 = equity.
    expect(s.closedSize.toFixed()).toBe('0.0501');
    expect(s.executionPrice.toFixed()).toBe('50000');
    expect(s.bankruptcyPrice!.toFixed()).toBe('45010');
    expect(out.after.freeCollateral.toFixed()).toBe('0');
    expect(out.restoredToInitialMargin).toBe(true);
    expect(out.deficitUsd.isZero()).toBe(true);
  });

  it('a fill exactly at the bankruptcy price leaves equity 0 and caps the fee at 0', () => {
    // baseRate 9.98%: execution = 50,000 × 0.9002 = 45,010. fc(r) = −501 + 5,010·r: only the full close reaches IM.
    const out = liquidationOutcome(dydxAccount(btc({ baseRate: '0.0998', fee: '0.005' })))!;
    const s = out.steps[0]!;
    expect(s.executionPrice.toFixed()).toBe('45010');
    expect(s.closedSize.toFixed()).toBe('0.1');
    expect(s.realizedPnl.toFixed()).toBe('-499');
    expect(s.feeUncapped.toFixed()).toBe('22.505');
    expect(s.fee.toFixed()).toBe('0');
    expect(s.feeCapped).toBe(true);
    expect(out.after.equity.toFixed()).toBe('0');
    expect(out.deficitUsd.toFixed()).toBe('0');
  });
});

describe('hand-computed schedules', () => {
  it('fee cap: the fee takes only the 1.5 USDC left above bankruptcy', () => {
    // execution 45,025: full close realizes −497.5 → equity 1.5; fee 0.5% × 4,502.5 = 22.5125 → capped to 1.5.
    const out = liquidationOutcome(dydxAccount(btc({ baseRate: '0.0995', fee: '0.005' })))!;
    const s = out.steps[0]!;
    expect(s.closedSize.toFixed()).toBe('0.1');
    expect(s.feeUncapped.toFixed()).toBe('22.5125');
    expect(s.fee.toFixed()).toBe('1.5');
    expect(s.equity.toFixed()).toBe('0');
  });

  it('uncapped fee with a partial close: r = ⌈501 / 5,272.5⌉ on the 1e-8 grid', () => {
    // execution 45,500: fc(r) = 499 − 4,500r − 0.005·45,500·r − 0.2·50,000·(0.1 − r) = −501 + 5,272.5·r.
    const out = liquidationOutcome(dydxAccount(btc({ baseRate: '0.09', fee: '0.005' })))!;
    const s = out.steps[0]!;
    expect(s.closedSize.toFixed()).toBe('0.09502134');
    expect(s.feeCapped).toBe(false);
    expect(s.fee.toFixed()).toBe(d('0.09502134').mul(45500).mul('0.005').toFixed());
    expect(out.after.freeCollateral.gte(0)).toBe(true);
  });

  it('deficit: the insurance fund covers up to its balance, the rest is socialized', () => {
    // execution 40,000: full close realizes −1,000 → equity −501.
    const snap = dydxAccount(btc({ baseRate: '0.2', fee: '0.005' }));
    const small = liquidationOutcome(snap, { insuranceFunds: { USDC: d(300) } })!;
    expect(small.steps[0]!.fee.toFixed()).toBe('0');
    expect(small.deficitUsd.toFixed()).toBe('501');
    expect(small.insuranceFundDrawUsd.toFixed()).toBe('300');
    expect(small.insuranceFundDraws[0]).toMatchObject({ asset: 'USDC' });
    expect(small.insuranceFundDraws[0]!.balanceAfter.toFixed()).toBe('0');
    expect(small.residualLossUsd.toFixed()).toBe('201');
    const big = liquidationOutcome(snap, { insuranceFunds: { USDC: d(1000) } })!;
    expect(big.insuranceFundDrawUsd.toFixed()).toBe('501');
    expect(big.insuranceFundDraws[0]!.balanceAfter.toFixed()).toBe('499');
    expect(big.residualLossUsd.toFixed()).toBe('0');
    const none = liquidationOutcome(snap)!;
    expect(none.residualLossUsd.toFixed()).toBe('501');
  });

  function twoMarkets(balance: Decimal.Value) {
    const m = (symbol: string, base: string) => ({
      ...F.market(symbol, { base, quote: 'USDC', tiers: [{ floor: 0, imr: '0.1', mmr: '0.05' }] }),
      liquidationFeeRate: d(0),
      slippage: { baseRate: d(0), bookDepth: d(1e9), impactFactor: d(0) },
    });
    return F.snapshot({
      balances: { USDC: balance },
      positions: [F.position('a', 'BTC-PERP', 1, 50000), F.position('b', 'ETH-PERP', 10, 3000)],
      markets: [m('BTC-PERP', 'BTC'), m('ETH-PERP', 'ETH')],
      assets: [F.asset('USDC', 6)],
      marks: { 'BTC-PERP': 50000, 'ETH-PERP': 3000 },
      valuationAsset: 'USDC',
    });
  }

  it('partial schedule: largest MM first, only as far as IM needs (one step)', () => {
    // MM = 2,500 + 1,500 = 4,000 > 3,500. Close BTC until 5,000·(1 − r) + 3,000 ≤ 3,500: r = 0.9.
    const out = liquidationOutcome(twoMarkets(3500))!;
    expect(out.steps.map((s) => [s.market, s.closedSize.toFixed()])).toEqual([['BTC-PERP', '0.9']]);
    expect(out.after.freeCollateral.toFixed()).toBe('0');
  });

  it('partial schedule: the first position closed fully, the second partially (two steps)', () => {
    // Equity 2,000: BTC closed fully leaves IM 3,000; ETH keeps 300·s ≤ 2,000 → s ≤ 6.66666666 → closes 3.33333334.
    const out = liquidationOutcome(twoMarkets(2000))!;
    expect(out.steps.map((s) => [s.market, s.closedSize.toFixed(), s.remainingSize.toFixed()])).toEqual([
      ['BTC-PERP', '1', '0'],
      ['ETH-PERP', '3.33333334', '6.66666666'],
    ]);
    expect(out.steps[0]!.marginEquity.toFixed()).toBe('2000');
    expect(out.steps[0]!.maintenanceMargin.toFixed()).toBe('1500');
    expect(out.after.freeCollateral.gte(0)).toBe(true);
  });

  it('isolated positions are liquidated on their own margin', () => {
    const snap = F.snapshot({
      balances: { USDC: 10000 },
      positions: [F.position('i', 'BTC-USD', '0.1', 50000, { marginType: 'ISOLATED', isolatedMargin: 400 })],
      markets: [btc()],
      assets: [F.asset('USDC', 6)],
      marks: { 'BTC-USD': 50000 },
      valuationAsset: 'USDC',
    });
    const out = liquidationOutcome(snap)!;
    expect(out.crossLiquidated).toBe(false);
    expect(out.isolatedLiquidated).toEqual(['i']);
    // isolatedEquity 400 ≥ 0.2 × 50,000 × s → s ≤ 0.04: closes 0.06.
    expect(out.steps[0]!.closedSize.toFixed()).toBe('0.06');
    expect(out.steps[0]!.isolatedEquity!.toFixed()).toBe('400');
    expect(out.after.positionsById['i']!.size.toFixed()).toBe('0.04');
  });

  it('is null for an account that is not liquidatable', () => {
    expect(liquidationOutcome(dydxAccount(btc({ mmr: '0.05' })))).toBeNull();
  });
});
