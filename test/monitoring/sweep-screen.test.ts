/** screenBatch (src/monitoring/sweep.ts): a batch screened against previous statuses, with the screen metrics. */
import Decimal from 'decimal.js';
import { evaluateAccount, type AccountStatus } from '../../src/risk';
import type { LoadedAccount } from '../../src/snapshot/snapshot.loader';
import type { AccountRecord } from '../../src/store/records';
import { registry } from '../../src/monitoring/metrics';
import { screenBatch } from '../../src/monitoring/sweep';
import * as F from '../risk/fixtures';

const d = (x: Decimal.Value) => new Decimal(x);

async function counter(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

test('screenBatch: decided unchanged statuses skip the exact path; changed, new and undecided ones do not; metrics count them', async () => {
  const base = F.snapshot({
    markets: [F.market('BTCUSDT', { base: 'BTC', tiers: [{ floor: 0, imr: '0.1', mmr: '0.05' }] })],
    assets: [F.asset('USDT', 6)],
    marks: { BTCUSDT: 40_000 },
  });
  // Long 1 BTC at 40,000 (MM 2,000, IM 4,000) with collateral c: HEALTHY ≥ 4,000, RESTRICTED ≥ 2,000, LIQUIDATABLE below.
  const account = (id: string, collateral: Decimal.Value, marginMode: 'CROSS' | 'PORTFOLIO' = 'CROSS'): LoadedAccount => ({
    account: { id } as AccountRecord,
    snapshot: { ...base, accountId: id, marginMode, balances: [{ asset: 'USDT', amount: d(collateral) }], positions: [F.position('p', 'BTCUSDT', 1, 40_000)] },
  });
  const accounts = [
    account('same', 10_000),
    account('changed', 3_000),
    account('new', 10_000),
    // marginEquity exactly MM (RESTRICTED, not LIQUIDATABLE): a tie, the screen cannot decide it.
    account('tie', 2_000),
  ];
  expect(accounts.map((a) => evaluateAccount(a.snapshot).status)).toEqual(['HEALTHY', 'RESTRICTED', 'HEALTHY', 'RESTRICTED']);
  const previous = new Map<string, AccountStatus>([
    ['same', 'HEALTHY'],
    ['changed', 'HEALTHY'],
    ['tie', 'HEALTHY'],
  ]);
  const screenedBefore = await counter('risk_screen_accounts_total');
  const tooCloseBefore = await counter('risk_screen_fallbacks_total', { reason: 'TOO_CLOSE' });
  const out = screenBatch(accounts, previous);
  expect(out.unchanged.map((a) => a.snapshot.accountId)).toEqual(['same']);
  expect(out.exact.map((a) => a.snapshot.accountId)).toEqual(['changed', 'new', 'tie']);
  expect(out.screen.outcomes[3]).toEqual({ accountId: 'tie', outcome: 'FALLBACK', reason: 'TOO_CLOSE' });
  expect((await counter('risk_screen_accounts_total')) - screenedBefore).toBe(4);
  expect((await counter('risk_screen_fallbacks_total', { reason: 'TOO_CLOSE' })) - tooCloseBefore).toBe(1);
  expect(screenBatch([], previous)).toEqual({ unchanged: [], exact: [], screen: { outcomes: [], decided: 0, fallbacks: {} } });
});
