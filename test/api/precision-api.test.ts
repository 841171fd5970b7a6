/**
 * One precision policy at the API boundary (README, Precision; src/risk/precision.ts), over HTTP on the seeded venue:
 * for random accounts, the same figure is the same string in Account.risk, whatIf (before, after, diff), the solvers,
 * valueAtRisk, accountsAtRisk and riskSummary, and no reported figure carries more digits than the policy allows.
 */
import BaseDecimal from 'decimal.js';
import fc from 'fast-check';
import { sweepAccountRisk } from '../../src/monitoring/sweep';
import { RATIO_SIGNIFICANT_DIGITS } from '../../src/risk/precision';
import { startApi, type ApiHarness } from '../helpers/api-server';

const Decimal = BaseDecimal.clone({ precision: 100 });
const NOW = Date.now();
let api: ApiHarness;
let ids: string[] = [];
let usdcDecimals = 0;
const rows = new Map<string, any>();
const largest = new Map<string, any>();

const MONEY_DOWN = ['equity', 'crossEquity', 'initialMarginEquity', 'marginEquity', 'freeCollateral'] as const;
const MONEY_UP = ['initialMargin', 'maintenanceMargin', 'totalNotional'] as const;
const RATIOS = ['marginRatio', 'leverage'] as const;
const FIGURES = [...MONEY_DOWN, ...MONEY_UP, ...RATIOS];
const ROW_FIGURES = ['equity', 'initialMarginEquity', 'marginEquity', 'initialMargin', 'maintenanceMargin', 'freeCollateral', 'totalNotional', 'marginRatio'];
const RISK = `{ status ${FIGURES.join(' ')} }`;
const SOLVER = `{ answer feasible unbounded verification { quantity valueAtAnswer valueAtCrossing } riskAtAnswer ${RISK} }`;

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', now: () => NOW, config: { rateLimitPoints: 100_000 } });
  await sweepAccountRisk(api.database.db, { nowMs: NOW });
  ids = (await api.database.db.pool.query<{ id: string }>(`SELECT id FROM account ORDER BY id`)).rows.map((r) => r.id);
  usdcDecimals = (await api.database.db.pool.query<{ decimals: number }>(`SELECT decimals FROM asset WHERE symbol = 'USDC'`)).rows[0]!.decimals;
  let after: string | null = null;
  for (let page = 0; page < 20; page++) {
    const res: any = await api.gql(
      `query($after: String) { accountsAtRisk(first: 200, after: $after) { pageInfo { hasNextPage endCursor }
        edges { node { accountId status errorCode distanceToLiquidation ${ROW_FIGURES.join(' ')} } } } }`,
      { after },
    );
    expect(res.errors).toBeUndefined();
    for (const { node } of res.data.accountsAtRisk.edges) rows.set(node.accountId, node);
    if (!res.data.accountsAtRisk.pageInfo.hasNextPage) break;
    after = res.data.accountsAtRisk.pageInfo.endCursor;
  }
  const summary: any = await api.gql(`{ riskSummary(largest: 100) { largestExposures { accountId status ${ROW_FIGURES.join(' ')} } } }`);
  expect(summary.errors).toBeUndefined();
  for (const r of summary.data.riskSummary.largestExposures) largest.set(r.accountId, r);
}, 240_000);
afterAll(async () => {
  await api?.stop();
});

/** Decimal places of a reported string. */
const places = (s: string) => (s.includes('.') ? s.length - s.indexOf('.') - 1 : 0);

/** Every account figure obeys the policy's digits. */
function checkDigits(risk: any, where: string): void {
  for (const f of [...MONEY_DOWN, ...MONEY_UP]) {
    expect({ where, f, places: places(risk[f]) <= usdcDecimals }).toEqual({ where, f, places: true });
  }
  for (const f of RATIOS) {
    if (risk[f] === null) continue;
    expect({ where, f, digits: new Decimal(risk[f]).sd() <= RATIO_SIGNIFICANT_DIGITS }).toEqual({ where, f, digits: true });
  }
}

const pick = (risk: any, fields: readonly string[]) => Object.fromEntries(fields.map((f) => [f, risk[f]]));

async function check(id: string): Promise<void> {
  const res: any = await api.gqlAs(
    'admin',
    `query($id: ID!) { account(id: $id) {
      risk ${RISK}
      detail: risk { breakdown { crossPnl isolatedEquity optionValue positions { unrealizedPnl fundingPnl settlementDecimals } }
        greeks { delta gamma vega theta } }
      valueAtRisk(confidence: "0.99", horizonDays: 1, method: HISTORICAL) { currentValue var expectedShortfall }
      maxTradeSize(market: "BTC-PERP", side: LONG) ${SOLVER}
      maxWithdrawable(asset: "USDC") ${SOLVER}
    } }`,
    { id },
  );
  if (res.errors?.some((e: any) => ['STALE_PRICE', 'MISSING_PRICE', 'UNSUPPORTED'].includes(e.extensions?.code))) return;
  expect(res.errors).toBeUndefined();
  const account = res.data.account;
  const risk = account.risk;
  checkDigits(risk, 'Account.risk');
  // Breakdown money in its asset's decimals; greeks to the ratio digits.
  const { breakdown, greeks } = account.detail;
  for (const f of ['crossPnl', 'isolatedEquity', 'optionValue']) expect({ f, ok: places(breakdown[f]) <= usdcDecimals }).toEqual({ f, ok: true });
  for (const p of breakdown.positions) {
    expect(places(p.unrealizedPnl)).toBeLessThanOrEqual(p.settlementDecimals);
    expect(places(p.fundingPnl)).toBeLessThanOrEqual(p.settlementDecimals);
  }
  for (const g of greeks) for (const f of ['delta', 'gamma', 'vega', 'theta']) expect(new Decimal(g[f]).sd()).toBeLessThanOrEqual(RATIO_SIGNIFICANT_DIGITS);

  // accountsAtRisk and riskSummary rows: the same strings.
  const row = rows.get(id);
  expect(row.errorCode).toBeNull();
  expect(pick(row, ['status', ...ROW_FIGURES])).toEqual(pick(risk, ['status', ...ROW_FIGURES]));
  if (largest.has(id)) expect(pick(largest.get(id), ['status', ...ROW_FIGURES])).toEqual(pick(risk, ['status', ...ROW_FIGURES]));
  if (row.distanceToLiquidation !== null) expect(new Decimal(row.distanceToLiquidation).sd()).toBeLessThanOrEqual(RATIO_SIGNIFICANT_DIGITS);

  // Value at risk: the current value is the equity, not a double's rendering of it.
  expect(account.valueAtRisk.currentValue).toBe(risk.equity);
  expect(places(account.valueAtRisk.var)).toBeLessThanOrEqual(usdcDecimals);
  expect(places(account.valueAtRisk.expectedShortfall)).toBeLessThanOrEqual(usdcDecimals);

  // Solvers: the verification reports the free collateral of its own riskAtAnswer, string for string.
  const scenarios: any[] = [{}];
  for (const solver of [account.maxTradeSize, account.maxWithdrawable]) {
    if (!solver?.riskAtAnswer) continue;
    checkDigits(solver.riskAtAnswer, 'riskAtAnswer');
    expect(solver.verification.quantity).toBe('freeCollateral');
    expect(solver.verification.valueAtAnswer).toBe(solver.riskAtAnswer.freeCollateral);
    if (solver.verification.valueAtCrossing !== null) expect(places(solver.verification.valueAtCrossing)).toBeLessThanOrEqual(usdcDecimals);
  }
  const withdrawable = account.maxWithdrawable;
  const withdrawal = withdrawable?.riskAtAnswer && withdrawable.answer !== null && new Decimal(withdrawable.answer).gt(0);
  if (withdrawal) scenarios.push({ withdrawals: [{ asset: 'USDC', amount: withdrawable.answer }] });

  // whatIf: the empty scenario's before and after are Account.risk; a withdrawal of the solver's answer lands on its
  // riskAtAnswer; diff = after − before of the reported strings.
  const w: any = await api.gqlAs(
    'admin',
    `query($id: ID!, $scenarios: [ScenarioInput!]!) { whatIf(accountId: $id, scenarios: $scenarios) {
      before ${RISK} after ${RISK} diff { ${FIGURES.filter((f) => f !== 'leverage').join(' ')} } } }`,
    { id, scenarios },
  );
  expect(w.errors).toBeUndefined();
  const [same, withdrawn] = w.data.whatIf;
  expect(same.before).toEqual(risk);
  expect(same.after).toEqual(risk);
  if (withdrawal) {
    expect(withdrawn.before).toEqual(risk);
    expect(withdrawn.after).toEqual(withdrawable.riskAtAnswer);
  }
  for (const result of w.data.whatIf) {
    checkDigits(result.after, 'whatIf.after');
    for (const f of FIGURES.filter((x) => x !== 'leverage')) {
      if (result.diff[f] === null) continue;
      expect({ f, sum: new Decimal(result.before[f]).add(result.diff[f]).toFixed() }).toEqual({ f, sum: new Decimal(result.after[f]).toFixed() });
    }
  }
}

describe('one precision policy at the API boundary', () => {
  it('reports the same figure as the same string on every path, for random accounts of the seeded venue', async () => {
    expect(rows.size).toBe(ids.length);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: ids.length - 1 }), async (i) => {
        await check(ids[i]!);
      }),
      { numRuns: 12, seed: 20_4 },
    );
    // The largest exposures (riskSummary) are checked against Account.risk too.
    for (const id of [...largest.keys()].slice(0, 3)) await check(id);
  }, 240_000);
});
