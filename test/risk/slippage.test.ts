import Decimal from 'decimal.js';
import { liquidationExecution } from '../../src/risk';
import * as F from './fixtures';

describe('liquidation slippage', () => {
  const m = { ...F.market('X', { base: 'BTC', quote: 'USDC', tick: '0.5' }), slippage: { baseRate: new Decimal('0.001'), bookDepth: new Decimal(1_000_000), impactFactor: new Decimal('0.5') } };
  it('execution = mark × (1 ∓ (base + impact × N / depth)), adverse and on the tick', () => {
    // N = 2 × 50,000 = 100,000; impact = 0.001 + 0.5 × 0.1 = 0.051.
    const long = liquidationExecution(m, 1, new Decimal(2), new Decimal(50000));
    expect(long.impact.toFixed()).toBe('0.051');
    expect(long.executionPrice.toFixed()).toBe('47450');
    const short = liquidationExecution(m, -1, new Decimal('2.00001'), new Decimal(50000));
    // 50,000 × 1.0510005 = 52,550.025 → up to the tick: 52,550.5.
    expect(short.executionPrice.toFixed()).toBe('52550.5');
  });
  it('never quotes a non-positive price', () => {
    const huge = liquidationExecution(m, 1, new Decimal(1000), new Decimal(50000));
    expect(huge.executionPrice.toFixed()).toBe('0.5');
  });
});
