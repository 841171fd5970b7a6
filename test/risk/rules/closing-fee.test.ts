/**
 * Closing fee reserved in MM (src/risk/rules/closing-fee.ts), golden values worked by hand on Bybit's published
 * isolated example: long 1 BTC at 20000 with 50× leverage, MMR 0.5%, tick 0.5 ⇒ IM 400, MM 100,
 * LP = 20000 − (400 − 100) = 19700 (maintenance basis ENTRY, Bybit's convention). With a closing fee f = 0.0006 on the
 * notional at the price, liquidatable when 400 + (P − 20000) < 100 + 0.0006·P:
 *   0.9994·P = 19700  ⇒  P = 19711.827…  ⇒ reported 19712 (smallest tick not liquidatable):
 *   at 19712   equity 112   ≥ MM 100 + 11.8272 = 111.8272;
 *   at 19711.5 equity 111.5 < MM 100 + 11.8269 = 111.8269.
 * (Bybit's own UI charges the fee at the bankruptcy price, 19600·0.0006 = 11.76, giving 19711.76: the same equation
 * with the fee's notional fixed; here the fee is on the notional at the tested price, one rule for status and price.)
 * Basis MARK (DESIGN): 400 + P − 20000 < 0.005·P + 0.0006·P ⇒ 0.9944·P = 19600 ⇒ P = 19710.378… ⇒ 19710.5.
 * Bankruptcy stays the zero-equity price: 400 + P − 20000 = 0 ⇒ 19600.
 * At the mark 20000 the line is closingFee = 0.0006·20000 = 12 and MM = 100 + 12 = 112 (ENTRY) / 100 + 12 (MARK).
 */
import Decimal from 'decimal.js';
import { evaluateAccount, evaluateAccountWithPrices } from '../../../src/risk';
import * as F from '../fixtures';

const d = (x: Decimal.Value) => new Decimal(x);

function book(fee: string | undefined, basis: 'MARK' | 'ENTRY', marginType: 'ISOLATED' | 'CROSS' = 'ISOLATED') {
  const m = F.market('BTCUSDT', { base: 'BTC', tick: '0.5', tiers: [{ floor: 0, imr: '0.02', mmr: '0.005' }], ...(fee === undefined ? {} : { closingFeeRate: fee }) });
  return F.snapshot({
    balances: { USDT: marginType === 'CROSS' ? 400 : 0 },
    positions: [F.position('p', 'BTCUSDT', 1, 20000, { marginType, isolatedMargin: marginType === 'ISOLATED' ? 400 : 0 })],
    markets: [{ ...m, maintenanceBasis: basis }],
    assets: [F.asset('USDT', 8), F.asset('BTC', 8)],
    marks: { BTCUSDT: 20000 },
    indexes: { BTC: 20000 },
    valuationAsset: 'USDT',
  });
}

describe('closing fee in the liquidation equation', () => {
  test("Bybit's example without a fee: 19700; with f = 0.0006: 19712 (hand-worked above)", () => {
    expect(evaluateAccount(book(undefined, 'ENTRY')).positionsById['p']!.liquidationPrice!.toFixed()).toBe('19700');
    const p = evaluateAccount(book('0.0006', 'ENTRY')).positionsById['p']!;
    expect(p.liquidationPrice!.toFixed()).toBe('19712');
    expect(p.bankruptcyPrice!.toFixed()).toBe('19600');
    expect(p.closingFee.toFixed()).toBe('12');
    expect(p.maintenanceMargin.toFixed()).toBe('112');
  });

  test('basis MARK: 19710.5; the status flips exactly there (one rule for status and price)', () => {
    const snap = book('0.0006', 'MARK');
    expect(evaluateAccount(snap).positionsById['p']!.liquidationPrice!.toFixed()).toBe('19710.5');
    const statusAt = (price: string) => evaluateAccountWithPrices(snap, { markPrices: { BTCUSDT: d(price) } }).positionsById['p']!.isolatedStatus;
    expect(statusAt('19710.5')).not.toBe('LIQUIDATABLE');
    expect(statusAt('19710')).toBe('LIQUIDATABLE');
  });

  test('cross: the same prices, and the account is LIQUIDATABLE one tick further', () => {
    const snap = book('0.0006', 'ENTRY', 'CROSS');
    const p = evaluateAccount(snap).positionsById['p']!;
    expect(p.liquidationPrice!.toFixed()).toBe('19712');
    expect(p.bankruptcyPrice!.toFixed()).toBe('19600');
    const at = (price: string) => evaluateAccountWithPrices(snap, { markPrices: { BTCUSDT: d(price) }, indexPrices: { BTC: d(price) } }).status;
    expect(at('19712')).not.toBe('LIQUIDATABLE');
    expect(at('19711.5')).toBe('LIQUIDATABLE');
  });

  test('default 0: no fee line, MM unchanged', () => {
    const p = evaluateAccount(book(undefined, 'MARK')).positionsById['p']!;
    expect(p.closingFee.toFixed()).toBe('0');
    expect(p.maintenanceMargin.toFixed()).toBe('100');
  });
});
