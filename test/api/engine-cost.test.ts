/**
 * The cost limit prices engine work (src/server/limits.ts): what-if scenarios × entries, stress-test rounds, solvers;
 * every key is charged its queries' cost (RATE_LIMITED once its budget is spent); failed authentications are
 * throttled per client address.
 */
import { startApi, type ApiHarness } from '../helpers/api-server';
import { ok, setPrices } from '../helpers/writes';

let api: ApiHarness;
let account: string;

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', config: { rateLimitCostPoints: 600, authFailureLimit: 3 } });
  await setPrices(api, { 'BTC-PERP': '50000' });
  account = (await ok(api, 'broker', 'createAccount', { externalRef: 'cost' })).account.id;
  await ok(api, 'broker', 'deposit', { accountId: account, asset: 'USDC', amount: '1000' });
});
afterAll(async () => {
  await api.stop();
});

/** The cost the refusal names ("query cost N exceeds the maximum of M"). */
const costOf = (res: { errors?: { message: string }[] }) => Number(/query cost (\d+) exceeds/.exec(res.errors?.[0]?.message ?? '')?.[1]);

const trades = (n: number) => Array.from({ length: n }, () => ({ market: 'BTC-PERP', size: '0.001' }));

it('100 aliased whatIf of 20 scenarios × 100 trades are refused before any engine work', async () => {
  const scenarios = Array.from({ length: 20 }, () => ({ trades: trades(100) }));
  const aliases = Array.from({ length: 100 }, (_, i) => `w${i}: whatIf(accountId: $id, scenarios: $s) { after { equity } }`).join(' ');
  const started = Date.now();
  const res = await api.gqlAs('monitor', `query($id: ID!, $s: [ScenarioInput!]!) { ${aliases} }`, { id: account, s: scenarios });
  expect(res.status).toBe(400);
  expect(res.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  expect(costOf(res)).toBeGreaterThan(400_000);
  expect(Date.now() - started).toBeLessThan(3_000);
});

it('six aliased stress tests are refused; the cost grows with maxRounds', async () => {
  const six = Array.from({ length: 6 }, (_, i) => `s${i}: stressTest(scenario: { shocks: [{ underlying: "BTC", relative: "-0.1" }] }) { converged }`).join(' ');
  const res = await api.gqlAs('monitor', `{ ${six} }`);
  expect(res.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  expect(costOf(res)).toBeGreaterThanOrEqual(30_000);
  const long = (alias: string) => `${alias}: stressTest(scenario: { shocks: [{ underlying: "BTC", relative: "-0.1" }], maxRounds: 50 }) { converged }`;
  const many = await api.gqlAs('monitor', `{ ${long('a')} ${long('b')} }`);
  expect(many.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
  expect(costOf(many)).toBeGreaterThanOrEqual(34_000);
});

it('solvers are priced per field, times the accounts of the page', async () => {
  const res = await api.gqlAs('monitor', '{ accounts(first: 200) { edges { node { maxWithdrawable(asset: "USDC") { answer } } } } }');
  expect(res.errors?.[0]?.extensions?.code).toBe('QUERY_TOO_COMPLEX');
});

it("charges each query's cost to its key and answers 429 RATE_LIMITED once the budget is spent", async () => {
  // 5 scenarios × 10 trades: ≈ 5 × (selection + 20 + 20) units; the broker key's budget is 600 per window.
  const scenarios = Array.from({ length: 5 }, () => ({ trades: trades(10) }));
  const query = 'query($id: ID!, $s: [ScenarioInput!]!) { whatIf(accountId: $id, scenarios: $s) { after { equity } } }';
  const statuses: number[] = [];
  let limited: Awaited<ReturnType<ApiHarness['gql']>> | undefined;
  for (let i = 0; i < 6 && !limited; i++) {
    const res = await api.gqlAs('broker', query, { id: account, s: scenarios });
    statuses.push(res.status);
    if (res.status === 429) limited = res;
    else expect(res.errors).toBeUndefined();
  }
  expect(statuses.slice(0, 2)).toEqual([200, 200]);
  expect(limited).toBeDefined();
  expect(limited!.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  expect(Number(limited!.headers.get('retry-after'))).toBeGreaterThan(0);
  // Another key has a budget of its own.
  expect((await api.gqlAs('monitor', query, { id: account, s: scenarios })).status).toBe(200);
});

it('throttles failed authentications per client address without looking keys up', async () => {
  const bad = { key: 'rk_nope_not-a-real-key-at-all' };
  const statuses: number[] = [];
  for (let i = 0; i < 5; i++) statuses.push((await api.gqlAs(bad, '{ assets { symbol } }')).status);
  expect(statuses).toEqual([401, 401, 401, 429, 429]);
  const noKey = await api.gqlAs(null, '{ assets { symbol } }');
  expect(noKey.status).toBe(429);
  expect(noKey.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
  expect(Number(noKey.headers.get('retry-after'))).toBeGreaterThan(0);
  // A key this process verified recently still works from the address.
  expect((await api.gqlAs('oracle', '{ assets { symbol } }')).status).toBe(200);
});
