/**
 * Screened engine benchmark (issue 22): the engine bench's books (bench/books.ts: the 10-position delta-one account and
 * the perpetual + 3 options book in CROSS mode), as a population of accounts sharing one market context (each account
 * a variant of a book: sizes and collateral scaled, so that statuses vary), evaluated for their status
 *   - by the exact path: evaluateAccount with liquidation prices (and greeks) skipped, the sweep's mode;
 *   - by the screened path: build the screen table of the context (once per round: a tick's price change), screen
 *     every prepared account (src/risk/screen), and run the exact path on the accounts the screen cannot decide.
 * Both in the same run on the same accounts; the screened statuses are checked against the exact ones. Accounts are
 * prepared once (prepareScreenAccount: a tick engine keeps them prepared across ticks), outside the timing.
 * Prints exactly one line:
 *   screening: N position evaluations/s per core = R x the exact path (fallback F%)
 *
 *   npx tsx bench/screening.ts [accounts=2000]     (SCREEN_BENCH_DETAIL=1 adds a line with the preparation cost)
 */
import Decimal from 'decimal.js';
import { evaluateAccount, type AccountSnapshot, type AccountStatus } from '../src/risk';
import { buildScreenTable, prepareScreenAccount, screenAccounts, type ScreenContext } from '../src/risk/screen';
import { optionBook, optionMarkets, snapshot as deltaOneBook } from './books';
import { runCompiledInstead } from './compiled';

export interface ScreeningBenchmark {
  readonly accounts: number;
  readonly positions: number;
  /** Screened position evaluations per second (one core), fallbacks' exact evaluations included. */
  readonly screenedRate: number;
  /** Exact position evaluations per second (evaluateAccount, SKIP). */
  readonly exactRate: number;
  readonly ratio: number;
  /** Share of accounts sent to the exact path. */
  readonly fallbackShare: number;
  /** Position preparations per second (prepareScreenAccount), not in the screened rate. */
  readonly prepareRate: number;
  readonly line: string;
}

/** One market context for both books (the option book's markets include the delta-one book's BTCUSDT). */
function sharedContext(): ScreenContext {
  return {
    markets: { ...deltaOneBook.markets, ...Object.fromEntries(optionMarkets.map((m) => [m.symbol, m])) },
    assets: { ...deltaOneBook.assets, ...optionBook.assets },
    markPrices: { ...deltaOneBook.markPrices, ...optionBook.markPrices },
    indexPrices: { ...deltaOneBook.indexPrices, ...optionBook.indexPrices },
    portfolioParams: optionBook.portfolioParams,
    asOfMs: deltaOneBook.asOfMs,
    valuationAsset: deltaOneBook.valuationAsset,
    maxIndexPriceAgeSeconds: deltaOneBook.maxIndexPriceAgeSeconds,
  };
}

/** Account i: book i mod 2 with sizes scaled by a factor in [0.5, 2] and collateral by one in [0.05, 1.5]. */
function population(context: ScreenContext, accounts: number): AccountSnapshot[] {
  const out: AccountSnapshot[] = [];
  for (let i = 0; i < accounts; i++) {
    const book = i % 2 === 0 ? deltaOneBook : { ...optionBook, marginMode: 'CROSS' as const };
    const sizeFactor = new Decimal(50 + ((i * 37) % 151)).div(100);
    const collateralFactor = new Decimal(5 + ((i * 53) % 146)).div(100);
    out.push({
      ...book,
      ...context,
      accountId: `bench-${i}`,
      balances: book.balances.map((b) => ({ asset: b.asset, amount: b.amount.mul(collateralFactor) })),
      positions: book.positions.map((p) => ({ ...p, size: p.size.mul(sizeFactor).toDecimalPlaces(2) })),
    });
  }
  return out;
}

function seconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

export function runScreeningBenchmark(accounts = 2000, rounds = 5): ScreeningBenchmark {
  const context = sharedContext();
  const snapshots = population(context, accounts);
  const positions = snapshots.reduce((n, s) => n + s.positions.length, 0);
  const exactStatuses: AccountStatus[] = [];
  const exactRound = () => {
    for (let i = 0; i < snapshots.length; i++) exactStatuses[i] = evaluateAccount(snapshots[i]!, { liquidationPrices: 'SKIP', greeks: 'SKIP' }).status;
  };
  let prepared = snapshots.map(prepareScreenAccount);
  const prepareSeconds = seconds(() => {
    prepared = snapshots.map(prepareScreenAccount);
  });
  let fallbacks = 0;
  const screenedStatuses: AccountStatus[] = [];
  const screenedRound = () => {
    // A tick: the table of the (new) context, the screen, the exact path for the undecided.
    const table = buildScreenTable(context);
    const result = screenAccounts(table, prepared, { question: { kind: 'STATUS' } });
    fallbacks = snapshots.length - result.decided;
    for (let i = 0; i < snapshots.length; i++) {
      const o = result.outcomes[i]!;
      screenedStatuses[i] =
        o.outcome === 'DECIDED' && o.answer.kind === 'STATUS'
          ? o.answer.status
          : evaluateAccount(snapshots[i]!, { liquidationPrices: 'SKIP', greeks: 'SKIP' }).status;
    }
  };
  // Warm-up (JIT, the option valuation memo), then the check that both paths agree.
  for (let k = 0; k < 3; k++) {
    exactRound();
    screenedRound();
  }
  snapshots.forEach((s, i) => {
    if (screenedStatuses[i] !== exactStatuses[i]) throw new Error(`${s.accountId}: screened ${screenedStatuses[i]} != exact ${exactStatuses[i]}`);
  });
  let exactSeconds = 0;
  let screenedSeconds = 0;
  // Interleaved rounds, so that both paths see the same machine load.
  for (let r = 0; r < rounds; r++) {
    exactSeconds += seconds(exactRound);
    for (let k = 0; k < 10; k++) screenedSeconds += seconds(screenedRound) / 10;
  }
  const exactRate = (positions * rounds) / exactSeconds;
  const screenedRate = (positions * rounds) / screenedSeconds;
  const ratio = screenedRate / exactRate;
  const fallbackShare = fallbacks / snapshots.length;
  const line =
    `screening: ${screenedRate.toFixed(0)} position evaluations/s per core = ${ratio.toFixed(1)} x the exact path ` +
    `(fallback ${(fallbackShare * 100).toFixed(1)}%)`;
  return { accounts, positions, screenedRate, exactRate, ratio, fallbackShare, prepareRate: positions / prepareSeconds, line };
}

if (require.main === module) {
  runCompiledInstead(__filename);
  const accounts = Number(process.argv[2] ?? process.env.SCREEN_BENCH_ACCOUNTS ?? 2000);
  const result = runScreeningBenchmark(accounts);
  console.log(result.line);
  if (process.env.SCREEN_BENCH_DETAIL === '1') {
    console.log(
      `detail: ${result.accounts} accounts, ${result.positions} positions; exact ${result.exactRate.toFixed(0)} position evaluations/s; ` +
        `prepareScreenAccount ${result.prepareRate.toFixed(0)} positions/s (once per account, not per tick)`,
    );
  }
}
