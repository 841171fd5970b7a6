/**
 * Position-size add-on (src/risk/rules/size-addon.ts), golden values worked by hand.
 *
 * BTCUSDT, LINEAR, c = 1, one tier imr 1%, mmr 0.5%, tick 0.1, USDT 6 decimals; k_im = 0.00005 and k_mm = 0.000025 per
 * contract (Deribit's "1% + size in BTC × 0.005%" on a 1-BTC contract). Long 10 at entry 30000, mark 30000:
 *   N = 10·30000 = 300000
 *   IM rate = 0.01 + 0.00005·10 = 0.0105     IM = 300000·0.0105 = 3150     (size part 300000·0.0005 = 150)
 *   MM rate = 0.005 + 0.000025·10 = 0.00525  MM = 300000·0.00525 = 1575    (size part 300000·0.00025 = 75)
 * Isolated with margin 3150, liquidatable when 3150 + 10·(P − 30000) < 10·P·0.00525:
 *   −296850 = −9.9475·P  ⇒  P = 29841.66876…  ⇒ reported 29841.7 (smallest tick not liquidatable):
 *   at 29841.7 equity 1567 ≥ MM 1566.68925; at 29841.6 equity 1566 < MM 1566.684.
 *   Without the add-on: P = 296850/9.95 = 29834.17… (reported 29834.2).
 * Bankruptcy (no requirement): 3150 + 10·(P − 30000) = 0 ⇒ P = 29685.
 */
import Decimal from 'decimal.js';
import { evaluateAccount, evaluateAccountWithPrices } from '../../../src/risk';
import * as F from '../fixtures';

const d = (x: Decimal.Value) => new Decimal(x);

function book(sizeAddon: { initial: string; maintenance: string } | null, marginType: 'ISOLATED' | 'CROSS' = 'ISOLATED') {
  return F.snapshot({
    balances: { USDT: marginType === 'CROSS' ? 3150 : 0 },
    positions: [F.position('p', 'BTCUSDT', 10, 30000, { marginType, isolatedMargin: marginType === 'ISOLATED' ? 3150 : 0 })],
    markets: [F.market('BTCUSDT', { base: 'BTC', tick: '0.1', tiers: [{ floor: 0, imr: '0.01', mmr: '0.005' }], sizeAddon })],
    assets: [F.asset('USDT', 6), F.asset('BTC', 8)],
    marks: { BTCUSDT: 30000 },
    indexes: { BTC: 30000 },
    valuationAsset: 'USDT',
  });
}
const DERIBIT = { initial: '0.00005', maintenance: '0.000025' };

describe('position-size add-on', () => {
  test('IM and MM rates grow by k·|q|; the breakdown line states rates and amounts', () => {
    const p = evaluateAccount(book(DERIBIT)).positionsById['p']!;
    expect(p.initialMargin.toFixed()).toBe('3150');
    expect(p.maintenanceMargin.toFixed()).toBe('1575');
    expect(p.sizeAddon).not.toBeNull();
    expect(p.sizeAddon!.initialRate.toFixed()).toBe('0.0005');
    expect(p.sizeAddon!.maintenanceRate.toFixed()).toBe('0.00025');
    expect(p.sizeAddon!.initialAmount.toFixed()).toBe('150');
    expect(p.sizeAddon!.maintenanceAmount.toFixed()).toBe('75');
  });

  test('off by default: no line, the plain tier figures', () => {
    const p = evaluateAccount(book(null)).positionsById['p']!;
    expect(p.sizeAddon).toBeNull();
    expect(p.initialMargin.toFixed()).toBe('3000');
    expect(p.maintenanceMargin.toFixed()).toBe('1500');
  });

  test('isolated liquidation and bankruptcy prices include it (hand-worked above), exact on the tick', () => {
    const snap = book(DERIBIT);
    const p = evaluateAccount(snap).positionsById['p']!;
    expect(p.liquidationPrice!.toFixed()).toBe('29841.7');
    expect(p.bankruptcyPrice!.toFixed()).toBe('29685');
    const statusAt = (price: string) => evaluateAccountWithPrices(snap, { markPrices: { BTCUSDT: d(price) } }).positionsById['p']!.isolatedStatus;
    expect(statusAt('29841.7')).not.toBe('LIQUIDATABLE');
    expect(statusAt('29841.6')).toBe('LIQUIDATABLE');
    expect(evaluateAccount(book(null)).positionsById['p']!.liquidationPrice!.toFixed()).toBe('29834.2');
  });

  test('cross: the same boundary as isolated with the same margin, and the account status flips there', () => {
    const snap = book(DERIBIT, 'CROSS');
    const r = evaluateAccount(snap);
    expect(r.positionsById['p']!.liquidationPrice!.toFixed()).toBe('29841.7');
    expect(evaluateAccountWithPrices(snap, { markPrices: { BTCUSDT: d('29841.6') }, indexPrices: { BTC: d('29841.6') } }).status).toBe('LIQUIDATABLE');
  });
});
