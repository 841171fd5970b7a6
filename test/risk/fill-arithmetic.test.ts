/** Position arithmetic of a fill: weighted entry on increase, unchanged on reduce, reset on flip; realized PnL. */
import Decimal from 'decimal.js';
import { fillArithmetic } from '../../src/risk';

const d = (x: string) => new Decimal(x);
const fill = (size: string, entry: string, fillSize: string, price: string, contractType: 'LINEAR' | 'INVERSE' = 'LINEAR', c = '1') =>
  fillArithmetic({ size: d(size), entryPrice: d(entry), fillSize: d(fillSize), fillPrice: d(price), contractSize: d(c), contractType });
const s = (o: ReturnType<typeof fillArithmetic>) => ({
  size: o.size.toFixed(),
  entry: o.entryPrice.toFixed(),
  pnl: o.realizedPnl.toFixed(),
  closed: o.closed.toFixed(),
  reducesOnly: o.reducesOnly,
});

describe('fillArithmetic', () => {
  it('opens at the fill price', () => {
    expect(s(fill('0', '0', '-2', '100'))).toEqual({ size: '-2', entry: '100', pnl: '0', closed: '0', reducesOnly: false });
  });
  it('averages the entry when increasing (linear: by size)', () => {
    expect(s(fill('1', '100', '3', '200'))).toEqual({ size: '4', entry: '175', pnl: '0', closed: '0', reducesOnly: false });
    expect(s(fill('-1', '100', '-1', '101'))).toMatchObject({ size: '-2', entry: '100.5' });
  });
  it('averages the entry harmonically for inverse contracts', () => {
    // 2 contracts at 50,000 and 2 at 40,000: 4 / (2/50,000 + 2/40,000) = 44,444.44…
    const o = fill('2', '50000', '2', '40000', 'INVERSE', '100');
    expect(o.entryPrice.toDecimalPlaces(20).toFixed()).toBe('44444.44444444444444444444');
  });
  it('keeps the entry and realizes PnL when reducing', () => {
    expect(s(fill('4', '175', '-1', '275', 'LINEAR', '2'))).toEqual({ size: '3', entry: '175', pnl: '200', closed: '1', reducesOnly: true });
    expect(s(fill('-2', '100', '2', '90'))).toEqual({ size: '0', entry: '100', pnl: '20', closed: '2', reducesOnly: true });
  });
  it('realizes inverse PnL in the base asset', () => {
    // Long 100 contracts × 1 USD from 50,000, closed at 62,500: 100 × (1/50,000 − 1/62,500) = 0.0004 BTC.
    expect(fill('100', '50000', '-100', '62500', 'INVERSE').realizedPnl.toFixed()).toBe('0.0004');
  });
  it('flips: closes the old side, opens the rest at the fill price', () => {
    expect(s(fill('1', '100', '-3', '80'))).toEqual({ size: '-2', entry: '80', pnl: '-20', closed: '1', reducesOnly: false });
  });
});
