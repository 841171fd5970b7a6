/**
 * Venue stress test over the store: the pure cascade (src/risk/stress.ts) fed by streaming the venue's accounts in
 * id-ordered batches from one read snapshot (every round sees the same database state). Memory holds one batch and
 * the accounts already liquidated, so the venue's size is bounded by time, not memory. Nothing is written.
 */
import Decimal from 'decimal.js';
import { runStressTest, type StressResult, type StressScenario, type StressVenue } from '../risk/stress';
import type { Queryable } from '../store/queryable';
import { MAX_INDEX_PRICE_AGE_SECONDS, VALUATION_ASSET } from '../snapshot/snapshot.loader';
import { insuranceFundBalances } from './account-risk.repository';
import { stressDuration } from './metrics';
import { DEFAULT_SWEEP_BATCH_SIZE, loadVenueContext, streamAccountSnapshots } from './sweep';

const YIELD_EVERY = 32;
const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export async function runVenueStressTest(
  q: Queryable,
  scenario: StressScenario,
  options: { nowMs: number; batchSize?: number },
): Promise<StressResult> {
  const end = stressDuration.startTimer();
  const [context, funds] = await Promise.all([loadVenueContext(q), insuranceFundBalances(q)]);
  const venue: StressVenue = {
    markets: context.markets,
    assets: context.assets,
    markPrices: context.markPrices,
    indexPrices: context.indexPrices,
    portfolioParams: context.portfolioParams,
    valuationAsset: VALUATION_ASSET,
    maxIndexPriceAgeSeconds: MAX_INDEX_PRICE_AGE_SECONDS,
    asOfMs: options.nowMs,
    insuranceFunds: Object.fromEntries([...funds].map(([k, v]) => [k, new Decimal(v)])),
  };
  const result = await runStressTest(venue, scenario, async (markets, visit) => {
    const stream = streamAccountSnapshots(null, {
      queryable: q,
      context,
      asOfMs: options.nowMs,
      batchSize: options.batchSize ?? DEFAULT_SWEEP_BATCH_SIZE,
      marketsFilter: markets ?? undefined,
    });
    for await (const batch of stream) {
      const snapshots = batch.accounts.map((a) => a.snapshot);
      // Visit in slices, yielding between them: a long cascade never blocks other requests for long.
      for (let i = 0; i < snapshots.length; i += YIELD_EVERY) {
        await visit(snapshots.slice(i, i + YIELD_EVERY));
        await yieldToLoop();
      }
    }
  });
  end();
  return result;
}
