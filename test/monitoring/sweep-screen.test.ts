/**
 * evaluateForTableScreened (src/monitoring/sweep.ts), the tick engine's evaluation: every row equals the exact
 * path's row (evaluateForTable), whether the figures screen wrote it or the account fell back; the screen metrics
 * count the accounts and the fallbacks by reason.
 */
import Decimal from 'decimal.js';
import type { LoadedAccount } from '../../src/snapshot/snapshot.loader';
import type { AccountRecord } from '../../src/store/records';
import { registry } from '../../src/monitoring/metrics';
import { evaluateForTable, evaluateForTableScreened, type ScreenableAccount } from '../../src/monitoring/sweep';
import { riskRowBatchOf } from '../../src/monitoring/account-risk.repository';
import { buildFiguresTable, prepareFiguresAccount } from '../../src/risk/screen/figures';
import * as F from '../risk/fixtures';

const d = (x: Decimal.Value) => new Decimal(x);

async function counter(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return value?.value ?? 0;
}

test('screened rows equal the exact rows, fallbacks included; the metrics count accounts and fallbacks', async () => {
  const base = F.snapshot({
    markets: [F.market('BTCUSDT', { base: 'BTC', tiers: [{ floor: 0, imr: '0.1', mmr: '0.05' }] })],
    assets: [F.asset('USDT', 6)],
    marks: { BTCUSDT: 40_000 },
    portfolioParams: {
      BTC: { priceScanRange: d('0.15'), volScanRange: d('0.25'), extremeMoveMultiple: d(3), extremeMoveCoverage: d('0.33'), shortOptionMinimum: d('0.01'), maintenanceFraction: d('0.8') },
    },
  });
  // Long 1.25 BTC from 39,000.5 at 40,000: notional 50,000, IM 5,000, MM 2,500, uPnL 1,249.375; collateral c gives
  // marginEquity c + 1,249.375: HEALTHY from c = 3,750.625, RESTRICTED from 1,250.625, LIQUIDATABLE below.
  const account = (id: string, collateral: Decimal.Value, marginMode: 'CROSS' | 'PORTFOLIO' = 'CROSS'): LoadedAccount => ({
    account: { id, version: 3 } as AccountRecord,
    snapshot: { ...base, accountId: id, marginMode, balances: [{ asset: 'USDT', amount: d(collateral) }], positions: [F.position('p', 'BTCUSDT', '1.25', '39000.5')] },
  });
  const accounts = [
    account('healthy', 10_000),
    account('restricted', 3_000),
    account('liquidatable', '1100.123456'),
    // marginEquity exactly MM: decided exactly (not liquidatable).
    account('tie', '1250.625'),
    // The portfolio scan is not screened: exact.
    account('portfolio', 10_000, 'PORTFOLIO'),
  ];
  const table = buildFiguresTable(accounts[0]!.snapshot);
  const screenable: ScreenableAccount[] = accounts.map((a) => ({ account: a.account, screen: prepareFiguresAccount(a.snapshot), snapshot: () => a.snapshot }));
  const accountsBefore = await counter('risk_screen_accounts_total');
  const scanBefore = await counter('risk_screen_fallbacks_total', { reason: 'PORTFOLIO_SCAN' });
  const tooCloseBefore = await counter('risk_screen_fallbacks_total', { reason: 'TOO_CLOSE' });

  const screened = await evaluateForTableScreened(screenable, table, 1_000, '7');
  const exact = await evaluateForTable(accounts, 1_000, '7');
  const [ids, statuses] = screened.parameters();
  expect(ids).toBe('{healthy,restricted,liquidatable,tie,portfolio}');
  expect(statuses).toBe(`{HEALTHY,RESTRICTED,LIQUIDATABLE,RESTRICTED,${exact[4]!.status}}`);
  // Every column's text (figures, ratio key, timestamps, versions) is what the exact rows are written as.
  expect(screened.parameters()).toEqual(riskRowBatchOf(exact).parameters());
  expect((await counter('risk_screen_accounts_total')) - accountsBefore).toBe(5);
  expect((await counter('risk_screen_fallbacks_total', { reason: 'PORTFOLIO_SCAN' })) - scanBefore).toBe(1);
  // The tie is on the grid: the exact lane decides it, it does not fall back.
  expect((await counter('risk_screen_fallbacks_total', { reason: 'TOO_CLOSE' })) - tooCloseBefore).toBe(0);
});
