/** What-if scenarios: application rules (prices, trades, cash, leverage, isolated transfers), diff and broken limits. */
import Decimal from 'decimal.js';
import { applyScenario, evaluateAccount, ScenarioInputError, whatIf } from '../../src/risk';
import type { AccountSnapshot, Scenario } from '../../src/risk';
import * as F from './fixtures';

const d = (x: Decimal.Value) => new Decimal(x);

function account(): AccountSnapshot {
  return F.snapshot({
    balances: { USDC: 10000, BTC: '0.5' },
    positions: [
      F.position('a', 'BTC-PERP', 1, 50000),
      F.position('b', 'ETH-PERP', -10, 3000, { marginType: 'ISOLATED', isolatedMargin: 3000 }),
    ],
    markets: [
      F.market('BTC-PERP', { base: 'BTC', quote: 'USDC', fundingIndex: 10 }),
      F.market('BTC-FUT', { base: 'BTC', quote: 'USDC' }),
      F.market('ETH-PERP', { base: 'ETH', quote: 'USDC' }),
    ],
    assets: [F.asset('USDC', 6), F.asset('BTC', 8, { init: '0.9', maint: '0.95', initLiab: '1.1', maintLiab: '1.05' }), F.asset('ETH', 8)],
    marks: { 'BTC-PERP': 50000, 'BTC-FUT': 50500, 'ETH-PERP': 3000 },
    indexes: { BTC: 50000, ETH: 3000 },
    valuationAsset: 'USDC',
  });
}

const fieldOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScenarioInputError) return e.field;
    throw e;
  }
  throw new Error('no error');
};

describe('applyScenario', () => {
  it('an empty scenario changes nothing', () => {
    const snap = account();
    const r = whatIf(snap, {});
    expect(r.after).toEqual(r.before);
    expect(r.brokenLimits).toEqual([]);
    expect(r.diff.positions.every((p) => p.sizeChange.isZero())).toBe(true);
  });

  it('moves an underlying: every market on it and its index, by one ratio', () => {
    const s = applyScenario(account(), { priceMoves: [{ underlying: 'BTC', relative: d('-0.2') }] });
    expect(s.markPrices['BTC-PERP']!.price.toFixed()).toBe('40000');
    expect(s.markPrices['BTC-FUT']!.price.toFixed()).toBe('40400');
    expect(s.indexPrices['BTC']!.price.toFixed()).toBe('40000');
    expect(s.markPrices['ETH-PERP']!.price.toFixed()).toBe('3000');
    const abs = applyScenario(account(), { priceMoves: [{ underlying: 'BTC', price: d(55000) }] });
    expect(abs.markPrices['BTC-FUT']!.price.toFixed()).toBe('55550');
  });

  it('moves a single market mark or a single index', () => {
    const s = applyScenario(account(), { priceMoves: [{ market: 'BTC-FUT', price: d(49000) }, { asset: 'BTC', relative: d('0.1') }] });
    expect(s.markPrices['BTC-FUT']!.price.toFixed()).toBe('49000');
    expect(s.markPrices['BTC-PERP']!.price.toFixed()).toBe('50000');
    expect(s.indexPrices['BTC']!.price.toFixed()).toBe('55000');
  });

  it('trades: increase (weighted entry), reduce (entry unchanged, PnL realized), flip (fill price), open', () => {
    const inc = applyScenario(account(), { trades: [{ market: 'BTC-PERP', size: d(1), price: d(52000) }] });
    expect(inc.positions.find((p) => p.id === 'a')!.entryPrice.toFixed()).toBe('51000');
    // Funding settled first: 1 × (0 − 10) = −10 to the balance.
    expect(inc.balances.find((b) => b.asset === 'USDC')!.amount.toFixed()).toBe('9990');

    const red = applyScenario(account(), { trades: [{ market: 'BTC-PERP', size: d('-0.4'), price: d(51000), feeRate: d('0.001') }] });
    const a = red.positions.find((p) => p.id === 'a')!;
    expect(a.size.toFixed()).toBe('0.6');
    expect(a.entryPrice.toFixed()).toBe('50000');
    // 10,000 − 10 funding + 0.4 × 1,000 realized − 0.001 × 0.4 × 51,000 fee = 10,369.6
    expect(red.balances.find((b) => b.asset === 'USDC')!.amount.toFixed()).toBe('10369.6');

    const flip = applyScenario(account(), { trades: [{ market: 'BTC-PERP', size: d(-3) }] });
    const f = flip.positions.find((p) => p.id === 'a')!;
    expect(f.size.toFixed()).toBe('-2');
    expect(f.entryPrice.toFixed()).toBe('50000');

    const open = applyScenario(account(), { trades: [{ market: 'BTC-FUT', size: d('0.5') }] });
    const o = open.positions.find((p) => p.market === 'BTC-FUT')!;
    expect(o).toMatchObject({ marginType: 'CROSS', leverage: null });
    expect(o.entryPrice.toFixed()).toBe('50500');
    const r = whatIf(account(), { trades: [{ market: 'BTC-FUT', size: d('0.5') }] });
    const diff = r.diff.positions.find((p) => p.market === 'BTC-FUT')!;
    expect(diff.opened).toBe(true);
    expect(diff.initialMarginChange.toFixed()).toBe('2525');
  });

  it('deposits, withdrawals, leverage and isolated transfers', () => {
    const s = applyScenario(account(), {
      deposits: [{ asset: 'BTC', amount: d('0.1') }],
      withdrawals: [{ asset: 'USDC', amount: d(500) }],
      leverageChanges: [{ market: 'BTC-PERP', leverage: d(2) }],
      isolatedMarginTransfers: [{ market: 'ETH-PERP', amount: d(-1000) }],
    });
    expect(s.balances.find((b) => b.asset === 'BTC')!.amount.toFixed()).toBe('0.6');
    expect(s.balances.find((b) => b.asset === 'USDC')!.amount.toFixed()).toBe('10500');
    expect(s.positions.find((p) => p.id === 'b')!.isolatedMargin.toFixed()).toBe('2000');
    const r = evaluateAccount(s);
    expect(r.positionsById['a']!.initialMargin.toFixed()).toBe('25000');
    expect(r.positionsById['a']!.initialRate.source).toBe('LEVERAGE');
  });

  it('time advance moves the clock and the observations together', () => {
    const s = applyScenario(account(), { timeAdvanceSeconds: 86_400 });
    expect(s.asOfMs).toBe(F.NOW + 86_400_000);
    expect(s.markPrices['BTC-PERP']!.observedAtMs).toBe(F.NOW + 86_400_000);
    expect(() => evaluateAccount(s)).not.toThrow();
  });

  it('shifts implied volatility of option markets', () => {
    const snap = account();
    const opt = { ...F.market('BTC-C', { base: 'BTC', quote: 'USDC', kind: 'OPTION' }), impliedVolatility: d('0.6') };
    const withOpt = { ...snap, markets: { ...snap.markets, 'BTC-C': opt } };
    const s = applyScenario(withOpt, { volatilityShifts: [{ underlying: 'BTC', shift: d('0.1') }] });
    expect(s.markets['BTC-C']!.impliedVolatility!.toFixed()).toBe('0.7');
    expect(fieldOf(() => applyScenario(withOpt, { volatilityShifts: [{ market: 'BTC-C', shift: d('-0.6') }] }))).toBe('volatilityShifts[0].shift');
  });

  it.each<[string, Scenario]>([
    ['trades[0].market', { trades: [{ market: 'NOPE', size: d(1) }] }],
    ['trades[1].size', { trades: [{ market: 'BTC-PERP', size: d(1) }, { market: 'BTC-PERP', size: d(0) }] }],
    ['trades[0].price', { trades: [{ market: 'BTC-PERP', size: d(1), price: d(-1) }] }],
    ['priceMoves[0].price', { priceMoves: [{ market: 'BTC-PERP', price: d(0) }] }],
    ['priceMoves[0].relative', { priceMoves: [{ underlying: 'BTC', relative: d(-1) }] }],
    ['priceMoves[0].asset', { priceMoves: [{ asset: 'DOGE', relative: d('0.1') }] }],
    ['priceMoves[0]', { priceMoves: [{ asset: 'BTC', market: 'BTC-PERP', relative: d('0.1') }] }],
    ['withdrawals[0].amount', { withdrawals: [{ asset: 'USDC', amount: d(0) }] }],
    ['deposits[0].asset', { deposits: [{ asset: 'XYZ', amount: d(1) }] }],
    ['isolatedMarginTransfers[0].market', { isolatedMarginTransfers: [{ market: 'BTC-PERP', amount: d(1) }] }],
    ['leverageChanges[0].leverage', { leverageChanges: [{ market: 'BTC-PERP', leverage: d(0) }] }],
  ])('refuses bad input naming %s', (field, scenario) => {
    expect(fieldOf(() => applyScenario(account(), scenario))).toBe(field);
  });
});

describe('whatIf: limits and liquidation outcome', () => {
  it('a withdrawal that leaves free collateral negative is flagged', () => {
    const before = evaluateAccount(account());
    const r = whatIf(account(), { withdrawals: [{ asset: 'USDC', amount: before.freeCollateral.add(1) }] });
    expect(r.diff.freeCollateral.toFixed()).toBe(before.freeCollateral.add(1).neg().toFixed());
    const limit = r.brokenLimits.find((l) => l.code === 'FREE_COLLATERAL_NEGATIVE')!;
    expect(limit.message).toMatch(/^withdrawal leaves free collateral negative/);
    expect(limit).toMatchObject({ field: 'freeCollateral', alreadyBroken: false });
    expect(r.diff.balances).toEqual([expect.objectContaining({ asset: 'USDC' })]);
  });

  it('a non-borrowable asset going negative is flagged', () => {
    const r = whatIf(account(), { withdrawals: [{ asset: 'BTC', amount: d(1) }] }, { borrowable: (a) => a === 'USDC' });
    expect(r.brokenLimits.map((l) => l.code)).toContain('BALANCE_NEGATIVE_WITHOUT_BORROWING');
  });

  it('a crash makes the account liquidatable and carries the liquidation outcome', () => {
    const r = whatIf(account(), { label: 'crash', priceMoves: [{ underlying: 'BTC', relative: d('-0.6') }, { underlying: 'ETH', relative: d('0.5') }] }, { insuranceFunds: { USDC: d(1e6) } });
    expect(r.label).toBe('crash');
    expect(r.diff.statusChanged).toBe(true);
    const codes = r.brokenLimits.map((l) => l.code);
    expect(codes).toContain('BELOW_MAINTENANCE');
    expect(codes).toContain('ISOLATED_POSITION_LIQUIDATABLE');
    expect(r.liquidationOutcome).not.toBeNull();
    expect(r.liquidationOutcome!.steps.length).toBeGreaterThan(0);
    expect(r.liquidationOutcome!.insuranceFundDrawUsd.add(r.liquidationOutcome!.residualLossUsd).eq(r.liquidationOutcome!.deficitUsd)).toBe(true);
  });

  it('never modifies its input', () => {
    const snap = account();
    const copy = JSON.stringify(snap);
    whatIf(snap, { trades: [{ market: 'BTC-PERP', size: d(-5) }], withdrawals: [{ asset: 'USDC', amount: d(1) }], priceMoves: [{ underlying: 'BTC', relative: d('0.1') }] });
    expect(JSON.stringify(snap)).toBe(copy);
  });
});
