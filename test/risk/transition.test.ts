/** The account-transition model on hand-computed accounts: isolated margin, funding, options, rounding, verdicts. */
import Decimal from 'decimal.js';
import fc from 'fast-check';
import {
  depositTransition,
  evaluateAccount,
  fillTransition,
  isolatedTransferTransition,
  leverageTransition,
  marginModeTransition,
  maxTradeSize,
  whatIf,
  withdrawalTransition,
} from '../../src/risk';
import * as F from './fixtures';

const d = (x: Decimal.Value) => new Decimal(x);
const mkt = (symbol: string, base: string, fundingIndex: Decimal.Value = 0) =>
  F.market(symbol, { base, quote: 'USDC', settle: 'USDC', tiers: [{ floor: 0, imr: '0.1', mmr: '0.05' }], fundingIndex });
const lines = (t: { ledger: readonly { kind: string; amount: Decimal }[] }) => t.ledger.map((l) => [l.kind, l.amount.toFixed()]);

function snap(positions: ReturnType<typeof F.position>[], usdc: Decimal.Value = 10000, fundingIndex: Decimal.Value = 0) {
  return F.snapshot({
    balances: { USDC: usdc },
    positions,
    markets: [
      mkt('ETH-PERP', 'ETH', fundingIndex),
      F.optionMarket('ETH-C-3000', { base: 'ETH', quote: 'USDC', type: 'CALL', strike: 3000, vol: '0.6', expiryMs: F.NOW + 30 * 86_400_000 }),
    ],
    assets: [F.asset('USDC', 6), F.asset('ETH', 8)],
    marks: { 'ETH-PERP': 3000, 'ETH-C-3000': 200 },
    indexes: { ETH: 3000 },
    valuationAsset: 'USDC',
  });
}

describe('fills on an ISOLATED position', () => {
  const iso = (margin: Decimal.Value, fundingIndex: Decimal.Value = 0) =>
    F.position('p', 'ETH-PERP', 3, 2900, { marginType: 'ISOLATED', isolatedMargin: margin, fundingIndex });

  it('a partial reduction realizes PnL to the cross balance and releases floor(M·r/|q|) of the margin', () => {
    // Sell 1 of 3 at 3000: realized 1·(3000 − 2900) = 100; margin 1000.000001 → released floor(333.333333667) = 333.333333.
    const t = fillTransition(snap([iso('1000.000001')]), { market: 'ETH-PERP', size: d(-1), price: d(3000), fee: d('0.5') });
    expect(t.refusals).toEqual([]);
    expect(lines(t)).toEqual([
      ['REALIZED_PNL', '100'],
      ['TRADE_FEE', '-0.5'],
      ['ISOLATED_TRANSFER', '333.333333'],
    ]);
    expect(t.position.isolatedMargin.toFixed()).toBe('666.666668');
    expect(t.snapshot.balances.find((b) => b.asset === 'USDC')!.amount.toFixed()).toBe('10432.833333');
  });

  it('closing releases all of its margin; the flat position leaves the snapshot but is returned for the store', () => {
    const t = fillTransition(snap([iso(1000)]), { market: 'ETH-PERP', size: d(-3), price: d(2800), fee: d(0) });
    expect(lines(t)).toEqual([
      ['REALIZED_PNL', '-300'],
      ['ISOLATED_TRANSFER', '1000'],
    ]);
    expect(t.snapshot.positions).toEqual([]);
    expect(t.positions.map((p) => [p.size.toFixed(), p.isolatedMargin.toFixed()])).toEqual([['0', '0']]);
  });

  it('an increase past the isolated margin moves the shortfall to IM from the cross balance (rounded up)', () => {
    // After buying 2 more at 3000: size 5, IM = 0.1·5·3000 = 1500, isolated equity = 1000 + 5·(3000 − 2940) = 1300.
    const t = fillTransition(snap([iso(1000)]), { market: 'ETH-PERP', size: d(2), price: d(3000), fee: d(0) });
    expect(t.position.entryPrice.toFixed()).toBe('2940');
    expect(lines(t)).toEqual([['ISOLATED_TRANSFER', '-200']]);
    const pr = evaluateAccount(t.snapshot).positionsById['p']!;
    expect(pr.isolatedEquity!.toFixed()).toBe(pr.initialMargin.toFixed());
  });

  it('funding of an isolated position settles into its isolated margin, of a cross position into the cross balance', () => {
    // q·c·(F_position − F_now) = 3·(0 − 2.5) = −7.5.
    const isolated = fillTransition(snap([iso(1000)], 10000, '2.5'), { market: 'ETH-PERP', size: d(-1), price: d(3000), fee: d(0) });
    expect(lines(isolated).map(([k]) => k)).not.toContain('FUNDING');
    // Margin after funding 992.5, released floor(992.5 / 3) = 330.833333.
    expect(isolated.position.isolatedMargin.toFixed()).toBe('661.666667');
    const cross = fillTransition(snap([F.position('p', 'ETH-PERP', 3, 2900)], 10000, '2.5'), { market: 'ETH-PERP', size: d(-1), price: d(3000), fee: d(0) });
    expect(lines(cross)).toEqual([
      ['FUNDING', '-7.5'],
      ['REALIZED_PNL', '100'],
    ]);
  });
});

describe('rounding: one rule', () => {
  it('a credit rounds toward −∞ at the asset decimals; an averaged entry keeps 30 places', () => {
    // Realized 0.0000001·(3000.1234567 − 2900) = 0.00001001234567 → floor at 6 places: 0.00001.
    const s = snap([F.position('p', 'ETH-PERP', 3, 2900)]);
    const reduce = fillTransition(s, { market: 'ETH-PERP', size: d('-0.0000001'), price: d('3000.1234567'), fee: d(0) });
    expect(reduce.realizedPnl.toFixed()).toBe('0.00001');
    const loss = fillTransition(s, { market: 'ETH-PERP', size: d('-0.0000001'), price: d('2899.9999999'), fee: d(0) });
    expect(loss.realizedPnl.toFixed()).toBe('-0.000001');
    const add = fillTransition(s, { market: 'ETH-PERP', size: d(1), price: d(3001), fee: d(0) });
    // (3·2900 + 3001)/4 = 2925.25 exactly; a thirds average is cut at 30 places.
    expect(add.position.entryPrice.toFixed()).toBe('2925.25');
    const third = fillTransition(snap([F.position('p', 'ETH-PERP', 2, 2900)]), { market: 'ETH-PERP', size: d(1), price: d(3001), fee: d(0) });
    expect(third.position.entryPrice.decimalPlaces()).toBe(30);
  });

  it('amounts given with more decimals than the asset has are input errors', () => {
    expect(() => depositTransition(snap([]), { asset: 'USDC', amount: d('1.0000001') })).toThrow(/decimal places/);
    expect(() => fillTransition(snap([]), { market: 'ETH-PERP', size: d(1), price: d(3000), fee: d('0.0000001') })).toThrow(/decimal places/);
  });
});

describe('options: the premium moves cash', () => {
  it('buying pays size·c·price (OPTION_PREMIUM), no realized PnL; a short option is margin-checked', () => {
    const t = fillTransition(snap([]), { market: 'ETH-C-3000', size: d(2), price: d(200), fee: d(1) });
    expect(lines(t)).toEqual([
      ['OPTION_PREMIUM', '-400'],
      ['TRADE_FEE', '-1'],
    ]);
    expect(t.realizedPnl.toFixed()).toBe('0');
    expect(() => fillTransition(snap([]), { market: 'ETH-C-3000', size: d(1), price: d(200), fee: d(0), marginType: 'ISOLATED' })).toThrow(/CROSS only/);
    const short = fillTransition(snap([], 100), { market: 'ETH-C-3000', size: d(-20), price: d(200), fee: d(0) });
    expect(short.refusals.map((r) => [r.code, r.input])).toEqual([['FREE_COLLATERAL_NEGATIVE', 'size']]);
  });
});

describe('verdicts', () => {
  it('a reduce-only fill is accepted without evaluation, even below IM', () => {
    const t = fillTransition(snap([F.position('p', 'ETH-PERP', 10, 3000)], 100), { market: 'ETH-PERP', size: d(-1), price: d(3000), fee: d(0) });
    expect(t.refusals).toEqual([]);
    expect(t.risk).toBeNull();
  });

  it('withdrawal, transfers, leverage and margin mode refuse with the limit and the input they name', () => {
    const s = snap([F.position('p', 'ETH-PERP', 10, 3000, { marginType: 'ISOLATED', isolatedMargin: 3100 })], 1000);
    expect(withdrawalTransition(s, { asset: 'USDC', amount: d(1001) }).refusals.map((r) => [r.code, r.input])).toEqual([['FREE_COLLATERAL_NEGATIVE', 'amount']]);
    expect(withdrawalTransition(s, { asset: 'USDC', amount: d(1000) }).refusals).toEqual([]);
    expect(isolatedTransferTransition(s, { market: 'ETH-PERP', amount: d(-3101) }).refusals.map((r) => r.code)).toEqual(['ISOLATED_MARGIN_NEGATIVE']);
    expect(isolatedTransferTransition(s, { market: 'ETH-PERP', amount: d(-101) }).refusals.map((r) => r.code)).toEqual(['ISOLATED_BELOW_INITIAL_MARGIN']);
    expect(isolatedTransferTransition(s, { market: 'ETH-PERP', amount: d(-100) }).refusals).toEqual([]);
    expect(isolatedTransferTransition(s, { market: 'ETH-PERP', amount: d(1001) }).refusals.map((r) => r.code)).toEqual(['FREE_COLLATERAL_NEGATIVE']);
    // Leverage 2 on the isolated position: IM 15,000; the shortfall 11,900 exceeds the cross balance.
    const lev = leverageTransition(s, { market: 'ETH-PERP', leverage: d(2) });
    expect(lev.refusals.map((r) => [r.code, r.input])).toEqual([['FREE_COLLATERAL_NEGATIVE', 'leverage']]);
    expect(lines(lev)).toEqual([['ISOLATED_TRANSFER', '-11900']]);
    expect(leverageTransition(s, { market: 'ETH-PERP', leverage: d(20) }).refusals).toEqual([]);
    expect(marginModeTransition(s, 'CROSS').risk).toBeNull();
  });
});

describe('solvers on the transition model (property)', () => {
  const RUNS = { numRuns: 30, seed: Number(process.env.FC_SEED ?? 20261202) };
  it('maxTradeSize on options, cross and isolated perpetuals, both sides: the answer is accepted, one size step more refused', () => {
    const book = fc.record({
      usdc: fc.integer({ min: 500, max: 50_000 }),
      option: fc.integer({ min: -20, max: 20 }),
      perp: fc.integer({ min: -30, max: 30 }),
      isolated: fc.boolean(),
      market: fc.constantFrom('ETH-C-3000', 'ETH-PERP'),
      side: fc.constantFrom('LONG' as const, 'SHORT' as const),
    });
    let bounded = 0;
    fc.assert(
      fc.property(book, (b) => {
        const positions = [
          ...(b.option === 0 ? [] : [F.position('o', 'ETH-C-3000', d(b.option).div(10), 190)]),
          ...(b.perp === 0 ? [] : [F.position('p', 'ETH-PERP', d(b.perp).div(10), 2950, b.isolated ? { marginType: 'ISOLATED', isolatedMargin: 400 } : {})]),
        ];
        const s = snap(positions, b.usdc);
        const r = maxTradeSize(s, b.market, b.side);
        if (r.unbounded) return true;
        bounded += 1;
        const sign = b.side === 'LONG' ? 1 : -1;
        const refused = (size: Decimal) => whatIf(s, { trades: [{ market: b.market, size: size.mul(sign) }] }).brokenLimits.some((l) => l.refusesWrite);
        if (r.answer!.gt(0)) expect(refused(r.answer!)).toBe(false);
        expect(refused(r.answer!.add(r.unit))).toBe(true);
        return true;
      }),
      RUNS,
    );
    expect(bounded).toBeGreaterThan(20);
  });
});
