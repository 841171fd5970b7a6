/**
 * Risk engine benchmark: evaluates a realistic account (10 positions over 5 markets, 3 collateral assets) many
 * times and compares with a baseline measured in the same run: the same number of positions' core arithmetic
 * (notional, uPnL, IM, MM, USD conversion, sums) done inline with decimal.js at the engine's precision.
 * Prints ratios against the baseline, never an absolute number alone.
 *
 *   npx tsx bench/engine.ts [iterations]
 */
import Decimal from 'decimal.js';
import { evaluateAccount, type LiquidationPriceMode } from '../src/risk';
import { ENGINE_DECIMAL_CONFIG } from '../src/risk/decimal';
import { clearOptionValuationMemo } from '../src/risk/valuation';
import { markets, optionBook, positions, snapshot } from './books';
import { runCompiledInstead } from './compiled';

runCompiledInstead(__filename);

/**
 * The baseline's arithmetic: decimal.js as it comes, in the engine's settings (precision, rounding), without the
 * engine context's exact fast paths (src/risk/exact.ts), so the ratio compares the engine with plain decimal.js.
 */
const D = Decimal.clone(ENGINE_DECIMAL_CONFIG);

/** Baseline: the core multiply-adds per position done inline with decimal.js in the engine's settings. */
function baseline(): Decimal {
  let sum = new D(0);
  for (const p of positions) {
    const m = snapshot.markets[p.market]!;
    const mark = new D(snapshot.markPrices[p.market]!.price);
    const qc = new D(p.size).mul(m.contractSize);
    const linear = m.contractType === 'LINEAR';
    const notional = linear ? qc.abs().mul(mark) : qc.abs().div(mark);
    const upnl = linear ? qc.mul(mark.sub(p.entryPrice)) : qc.mul(new D(1).div(p.entryPrice).sub(new D(1).div(mark)));
    const tier = m.tiers[0]!;
    const im = notional.mul(tier.initialMarginRate).toDecimalPlaces(8, Decimal.ROUND_CEIL);
    const mm = notional.mul(tier.maintenanceMarginRate).sub(tier.maintenanceAmount).toDecimalPlaces(8, Decimal.ROUND_CEIL);
    const x = new D(snapshot.indexPrices[m.settlementAsset]!.price);
    sum = sum.add(upnl.mul(x)).sub(im.mul(x)).sub(mm.mul(x));
  }
  return sum;
}

function time(iterations: number, fn: () => unknown): number {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

const iterations = Number(process.argv[2] ?? 2000);
const modes: LiquidationPriceMode[] = ['SKIP', 'COMPUTE'];
// Warm up the JIT on both paths.
for (let i = 0; i < 200; i++) {
  baseline();
  for (const mode of modes) evaluateAccount(snapshot, { liquidationPrices: mode });
}
const r = evaluateAccount(snapshot);
const baselineSeconds = time(iterations * 10, baseline);
const baselineRate = (iterations * 10 * positions.length) / baselineSeconds;
console.log(`snapshot: ${positions.length} positions, ${markets.length} markets, ${snapshot.balances.length} balances; status ${r.status}`);
console.log(`baseline (inline decimal.js multiply-adds): ${baselineRate.toFixed(0)} position evaluations/s = 1.00x`);
for (const mode of modes) {
  const seconds = time(iterations, () => evaluateAccount(snapshot, { liquidationPrices: mode }));
  const rate = (iterations * positions.length) / seconds;
  const label = mode === 'SKIP' ? 'engine, figures only (liquidationPrices SKIP)' : 'engine, full (with liquidation prices)';
  console.log(
    `${label}: ${rate.toFixed(0)} position evaluations/s = ${(rate / baselineRate).toFixed(3)}x baseline ` +
      `(engine/baseline time per position ${(baselineRate / rate).toFixed(1)}x)`,
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Option books (issue 5): a BTC perpetual plus three BTC options (Black-76 in Decimal, ~1 ms per valuation), in
// CROSS (standard short-option rule) and PORTFOLIO (16-scenario scan) mode. Milliseconds per account evaluation.
const optionIterations = Math.max(5, Math.round(iterations / 100));
// cold: the process-wide valuation memo emptied before every evaluation (one account alone); warm: another account
// at the same instant and prices was just evaluated (a page, a sweep, a stress round).
for (const marginMode of ['CROSS', 'PORTFOLIO'] as const) {
  const snap = { ...optionBook, marginMode };
  for (const mode of modes) {
    for (const memo of ['cold', 'warm'] as const) {
      evaluateAccount(snap, { liquidationPrices: mode });
      const seconds = time(optionIterations, () => {
        if (memo === 'cold') clearOptionValuationMemo();
        evaluateAccount(snap, { liquidationPrices: mode });
      });
      console.log(
        `option book (perp + 3 options, ${marginMode}), liquidationPrices ${mode}, ${memo}: ${((seconds / optionIterations) * 1000).toFixed(1)} ms per account ` +
          `(${((seconds / optionIterations) / (1 / baselineRate)).toFixed(0)}x one baseline position)`,
      );
    }
  }
}
