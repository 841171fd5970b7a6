/**
 * Differential property tests of the screened row figures (src/risk/screen/figures.ts) against the exact engine
 * and the precision policy: every SCREENED row equals, figure for figure and string for string, what the exact
 * path reports (evaluateAccountFigures + reportedAccountFigures, the account risk table's row), over random books
 * (books.ts) and over books made to sit on the rounding grid (exact figures) and on status boundaries (ties).
 */
import fc from 'fast-check';
import type Decimal from 'decimal.js';
import { D, evaluateAccountFigures, type AccountSnapshot } from '../../../src/risk';
import { reportedRowFigures, type RowFigureTexts } from '../../../src/risk/precision';
import {
  buildFiguresTable,
  decimalFromScaled,
  figOf,
  prepareFiguresAccount,
  scaledText,
  screenRowFigures,
  screenRowTexts,
  type ScreenedRowFigures,
} from '../../../src/risk/screen/figures';
import { SEED, accountCase, accountSnapshot, caseArb, context, d, decimalIn, marketCase } from './books';

/** The exact path's row figures (as the table stores them), or the engine's error. */
function exactRow(s: AccountSnapshot): ScreenedRowFigures | Error {
  try {
    return reportedRowFigures(evaluateAccountFigures(s));
  } catch (error) {
    return error as Error;
  }
}

const text = (x: Decimal | null) => (x === null ? null : x.toFixed());

/** Every figure as the store receives it (numeric text), so a difference in any digit fails. */
function strings(f: ScreenedRowFigures): RowFigureTexts {
  return {
    status: f.status,
    marginRatio: text(f.marginRatio),
    equity: text(f.equity)!,
    initialMarginEquity: text(f.initialMarginEquity)!,
    marginEquity: text(f.marginEquity)!,
    initialMargin: text(f.initialMargin)!,
    maintenanceMargin: text(f.maintenanceMargin)!,
    freeCollateral: text(f.freeCollateral)!,
    totalNotional: text(f.totalNotional)!,
    pricesAsOfMs: f.pricesAsOfMs,
  };
}

interface Tally {
  screened: number;
  fallback: number;
  errors: number;
  /** Fallbacks for rounding (the bound could not decide a figure), as opposed to structural ones. */
  tooClose: number;
}

/** Screens every account of a case and compares with the exact path; returns the counts. */
function check(ctx: AccountSnapshot, snapshots: AccountSnapshot[], tally: Tally): void {
  const table = buildFiguresTable(ctx);
  for (const s of snapshots) {
    const account = prepareFiguresAccount(s);
    const screened = screenRowFigures(table, account);
    // The texts the tick writes come from the same screening, without Decimals.
    const texts = screenRowTexts(table, account);
    const want = exactRow(s);
    if (want instanceof Error) {
      tally.errors += 1;
      // The engine refuses the account: the screen must not produce a row for it.
      expect(screened.kind).toBe('FALLBACK');
      continue;
    }
    if (screened.kind === 'FALLBACK') {
      expect(texts).toEqual(screened);
      tally.fallback += 1;
      if (screened.reason === 'TOO_CLOSE' || screened.reason === 'TIER_BOUNDARY') tally.tooClose += 1;
      continue;
    }
    tally.screened += 1;
    expect(strings(screened.figures)).toEqual(strings(want));
    expect(texts).toEqual({ kind: 'SCREENED', texts: strings(want) });
  }
}

describe('screened row figures', () => {
  test('every screened row equals the exact path’s row, string for string, on random books', () => {
    const tally: Tally = { screened: 0, fallback: 0, errors: 0, tooClose: 0 };
    fc.assert(
      fc.property(caseArb, (c) => {
        const ctx = context(c.market);
        check(ctx, c.accounts.map((a, i) => accountSnapshot(ctx, a, `acc-${i}`)), tally);
      }),
      { seed: SEED, numRuns: 300 },
    );
    // The screen must do its job: fewer than 10% of the accounts it models fall back for rounding.
    expect(tally.screened).toBeGreaterThan(400);
    expect(tally.tooClose).toBeLessThan(0.1 * (tally.screened + tally.tooClose));
  });

  test('books on the rounding grid (whole-cent prices and sizes: exact figures) are screened and agree', () => {
    const tally: Tally = { screened: 0, fallback: 0, errors: 0, tooClose: 0 };
    fc.assert(
      fc.property(marketCase, fc.array(accountCase, { minLength: 1, maxLength: 4 }), (mc, accounts) => {
        const ctx = context({ ...mc, btc: mc.btc.toDecimalPlaces(0), eth: mc.eth.toDecimalPlaces(0), usdt: d(1), funding: d(0), vol: null, lambda: null, stale: null });
        const snapshots = accounts.map((a, i) => {
          const s = accountSnapshot(ctx, { ...a, invalid: false }, `grid-${i}`);
          return { ...s, positions: s.positions.map((p) => ({ ...p, size: d(p.size).toDecimalPlaces(0), fundingIndex: d(0) })) };
        });
        check(ctx, snapshots, tally);
      }),
      { seed: SEED + 1, numRuns: 200 },
    );
    // Exact figures on the grid are the exact lane's case: they are decided, not sent back for rounding.
    expect(tally.screened).toBeGreaterThan(200);
    expect(tally.tooClose).toBeLessThan(0.1 * (tally.screened + tally.tooClose));
  });

  test('an account exactly at its maintenance boundary is decided exactly (not less: not liquidatable) or falls back', () => {
    let decided = 0;
    let ties = 0;
    let decidedTies = 0;
    fc.assert(
      fc.property(marketCase, decimalIn(0.01, 3, 2), fc.integer({ min: -2, max: 2 }), (mc, size, nudge) => {
        const ctx = context({ ...mc, btc: mc.btc.toDecimalPlaces(0), usdt: d(1), funding: d(0), vol: null, oi: null, lambda: null, stale: null, entryBasis: false });
        const base: AccountSnapshot = {
          ...ctx,
          accountId: 'tie',
          marginMode: 'CROSS',
          balances: [],
          positions: [{ id: 'p', market: 'BTCUSDT', size: size.mul(100), entryPrice: d(ctx.markPrices.BTCUSDT!.price), realizedPnl: d(0), fundingIndex: d(0), marginType: 'CROSS', isolatedMargin: d(0), leverage: null }],
        };
        // Collateral = MM / 0.99 (USDT's maintenance weight) ± a cent: marginEquity = MM exactly when nudge = 0.
        const mm = exactRow(base) as ScreenedRowFigures;
        const usdt = mm.maintenanceMargin.div('0.99').toDecimalPlaces(6);
        const s = { ...base, balances: [{ asset: 'USDT', amount: usdt.add(d(nudge).div(100)) }] };
        const want = exactRow(s) as ScreenedRowFigures;
        const got = screenRowFigures(buildFiguresTable(ctx), prepareFiguresAccount(s));
        const tie = nudge === 0 && want.marginEquity.eq(want.maintenanceMargin);
        if (tie) ties += 1;
        if (got.kind === 'SCREENED') {
          decided += 1;
          if (tie) decidedTies += 1;
          expect(strings(got.figures)).toEqual(strings(want));
        }
      }),
      { seed: SEED + 2, numRuns: 200 },
    );
    expect(ties).toBeGreaterThan(0);
    // A tie on the grid is decided by the exact lane (its margin ratio is exactly 1: a power of ten).
    expect(decidedTies).toBeGreaterThan(0);
    expect(decided).toBeGreaterThan(100);
  });

  test('decimalFromScaled builds the Decimal decimal.js parses, field for field', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.integer({ min: 0, max: 22 }), (m, k) => {
        const got = decimalFromScaled(m, k) as unknown as { s: number; e: number; d: number[] };
        const want = new D(`${m}e-${k}`) as unknown as { s: number; e: number; d: number[] };
        expect({ s: got.s, e: got.e, d: got.d }).toEqual({ s: want.s, e: want.e, d: want.d });
        expect((got as unknown as Decimal).add(1).toFixed()).toBe((want as unknown as Decimal).add(1).toFixed());
      }),
      { seed: SEED + 3, numRuns: 2000 },
    );
    for (const [m, k] of [[1, 0], [10_000_000, 0], [1, 7], [12_345_678, 7], [-5, 22], [9_007_199_254_740_991, 3]] as const) {
      expect(decimalFromScaled(m, k).toFixed()).toBe(d(`${m}e-${k}`).toFixed());
    }
  });

  test('scaledText is the toFixed() text of m·10^−k (negative k: trailing zeros)', () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 53) + 1, max: 2 ** 53 - 1 }), fc.integer({ min: -22, max: 22 }), (m, k) => {
        expect(scaledText(m, k)).toBe(new D(`${m}e${-k}`).toFixed());
      }),
      { seed: SEED + 4, numRuns: 3000 },
    );
    for (const [m, k] of [[0, 5], [1, 0], [10, 1], [100, 1], [-1, 22], [1500, 3], [-120, 2], [7, -3], [9_007_199_254_740_991, 16]] as const) {
      expect(scaledText(m, k)).toBe(new D(`${m}e${-k}`).toFixed());
    }
  });

  test('figOf keeps a Decimal exact when it fits and bounds it otherwise', () => {
    expect(figOf(d('1234.5678'))).toMatchObject({ m: 12345678, k: 4 });
    expect(figOf(d('-0.000001'))).toMatchObject({ m: -1, k: 6 });
    expect(figOf(d('1200'))).toMatchObject({ m: 1200, k: 0 });
    expect(Number.isNaN(figOf(d(1).div(3)).m)).toBe(true);
    expect(Number.isNaN(figOf(d('12345678901234567.5')).m)).toBe(true);
  });
});
