/**
 * Requests a hostile or careless client sends, each answered as the client's mistake: a 4xx or a GraphQL error with
 * a client code (never HTTP 500, never INTERNAL_SERVER_ERROR), and nothing is written.
 */
import { encodeCursor } from '../../src/api/cursor';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { ok, setPrices, writeCounts } from '../helpers/writes';

let api: ApiHarness;
let account: string;
let before: Record<string, string>;

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED' });
  await setPrices(api, { 'BTC-PERP': '50000' });
  account = (await ok(api, 'broker', 'createAccount', { externalRef: 'hostile' })).account.id;
  await ok(api, 'broker', 'deposit', { accountId: account, asset: 'USDC', amount: '1000' });
  before = await writeCounts(api);
});
afterEach(async () => {
  expect(await writeCounts(api)).toEqual(before);
});
afterAll(async () => {
  await api.stop();
});

/** POSTs a raw JSON body as the BROKER key. */
async function raw(body: unknown, key: string = api.keys.broker.key): Promise<{ status: number; body: any }> {
  const res = await fetch(api.server.url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json() };
}

function expectClientError(res: { status: number; body: any }, code: string, status?: number): void {
  expect(res.status).toBeLessThan(500);
  if (status !== undefined) expect(res.status).toBe(status);
  const errors = res.body.errors as { extensions?: { code?: string } }[];
  expect(errors?.length).toBeGreaterThan(0);
  for (const e of errors) expect(e.extensions?.code).toBe(code);
}

describe('operations that cannot be resolved', () => {
  const two = 'query A { assets { symbol } } query B { markets { symbol } }';
  it.each([
    ['several operations, no operationName', { query: two }],
    ['an unknown operationName', { query: two, operationName: 'C' }],
    ['an empty operationName', { query: two, operationName: '' }],
    ['an unknown operationName on a single operation', { query: 'query A { assets { symbol } }', operationName: 'Z' }],
  ])('%s: HTTP 400 OPERATION_RESOLUTION_FAILURE', async (_label, body) => {
    expectClientError(await raw(body), 'OPERATION_RESOLUTION_FAILURE', 400);
  });

  it('a subscription operation: HTTP 400, a client code', async () => {
    const res = await raw({ query: 'subscription { assets { symbol } }' });
    expect(res.status).toBe(400);
    expect(['BAD_REQUEST', 'GRAPHQL_VALIDATION_FAILED']).toContain(res.body.errors[0].extensions.code);
  });
});

describe('Apollo request errors keep their status and get a code', () => {
  it('a persisted-query hash that does not match the query', async () => {
    const res = await raw({ query: '{ assets { symbol } }', extensions: { persistedQuery: { version: 1, sha256Hash: '0'.repeat(64) } } });
    expectClientError(res, 'BAD_REQUEST', 400);
  });
});

describe('nesting is checked before parsing', () => {
  it('3,000 nested list literals: QUERY_TOO_COMPLEX, not a parser stack overflow', async () => {
    const res = await raw({ query: `{ market(symbol: ${'['.repeat(3000)}"x"${']'.repeat(3000)}) { symbol } }` });
    expectClientError(res, 'QUERY_TOO_COMPLEX', 400);
  });
  it('30,000 nested object literals', async () => {
    const res = await raw({ query: `{ market(symbol: ${'{a:'.repeat(30000)}1${'}'.repeat(30000)}) { symbol } }` });
    expectClientError(res, 'QUERY_TOO_COMPLEX', 400);
  });
  it('brackets inside strings and comments do not count', async () => {
    const res = await raw({ query: `# ${'{'.repeat(200)}\n{ market(symbol: "${'['.repeat(200)}") { symbol } }` });
    expectClientError(res, 'BAD_USER_INPUT');
  });
});

describe('cursors', () => {
  it('a cursor whose key is not an account id', async () => {
    const res = await api.gqlAs('broker', 'query($after: String) { accounts(after: $after) { edges { node { id } } } }', { after: encodeCursor('not-a-uuid') });
    expect(res.status).toBe(200);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
  });
  it.each(['r:1e999999|00000000-0000-0000-0000-000000000000', 'r:1|x', `r:${'9'.repeat(200)}|00000000-0000-0000-0000-000000000000`])(
    'an accountsAtRisk cursor of %j',
    async (key) => {
      const res = await api.gqlAs('monitor', 'query($after: String) { accountsAtRisk(after: $after) { edges { cursor } } }', { after: encodeCursor(key) });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'after' });
    },
  );
});

describe('NUL characters in read arguments', () => {
  const nul = 'BTC\u0000PERP';
  it.each([
    ['market(symbol:)', 'query($s: String!) { market(symbol: $s) { symbol } }', 'symbol'],
    ['the externalRef filter', 'query($s: String) { accounts(filter: { externalRef: $s }) { edges { node { id } } } }', 'filter.externalRef'],
    ['a what-if market', `query($s: String!) { whatIf(accountId: "ACCOUNT", scenarios: [{ priceMoves: [{ market: $s, relative: "0.1" }] }]) { after { equity } } }`, 'scenarios[0].priceMoves[0].market'],
    ['a solver market', `query($s: String!) { account(id: "ACCOUNT") { maxTradeSize(market: $s, side: LONG) { answer } } }`, 'market'],
    ['a solver asset', `query($s: String!) { account(id: "ACCOUNT") { maxWithdrawable(asset: $s) { answer } } }`, 'asset'],
  ])('%s: BAD_USER_INPUT naming the field', async (_label, query, field) => {
    const res = await api.gqlAs('broker', query.replace(/ACCOUNT/g, account), { s: nul });
    expect(res.status).toBe(200);
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
  });
});

describe('Object.prototype names as symbols', () => {
  const names = ['__proto__', 'constructor', 'toString', 'valueOf', 'hasOwnProperty'];
  it.each(names)('whatIf price move, trade and deposit on %j are refused', async (name) => {
    for (const scenario of [
      { priceMoves: [{ market: name, price: '1' }] },
      { priceMoves: [{ asset: name, relative: '0.1' }] },
      { trades: [{ market: name, size: '1' }] },
      { deposits: [{ asset: name, amount: '1' }] },
    ]) {
      const res = await api.gqlAs('broker', 'query($id: ID!, $s: [ScenarioInput!]!) { whatIf(accountId: $id, scenarios: $s) { after { equity } } }', { id: account, s: [scenario] });
      expect(res.status).toBe(200);
      expect(res.data ?? null).toBeNull();
      expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    }
  });
  it.each(names)('stressTest and the solvers on %j are refused', async (name) => {
    const stress = await api.gqlAs('monitor', 'query($m: String!) { stressTest(scenario: { shocks: [{ market: $m, relative: "-0.1" }] }) { converged } }', { m: name });
    expect(stress.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const solvers = await api.gqlAs(
      'broker',
      'query($id: ID!, $m: String!) { account(id: $id) { maxTradeSize(market: $m, side: LONG) { answer } maxWithdrawable(asset: $m) { answer } depositToReach(targetLiquidationPrice: "1", market: $m) { answer } } }',
      { id: account, m: name },
    );
    expect(solvers.errors?.length).toBe(3);
    for (const e of solvers.errors!) expect(e.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('what-if sizes are capped like fills', () => {
  it.each(['1e18', '-1e40', '1e40'])('a trade of %s contracts: BAD_USER_INPUT', async (size) => {
    const res = await api.gqlAs('broker', 'query($id: ID!, $s: [ScenarioInput!]!) { whatIf(accountId: $id, scenarios: $s) { after { equity } } }', {
      id: account,
      s: [{ trades: [{ market: 'BTC-PERP', size }] }],
    });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'scenarios[0].trades[0].size' });
  });
  it('a trade just below the cap is evaluated', async () => {
    const res = await api.gqlAs('broker', 'query($id: ID!, $s: [ScenarioInput!]!) { whatIf(accountId: $id, scenarios: $s) { after { equity } } }', {
      id: account,
      s: [{ trades: [{ market: 'BTC-PERP', size: '0.001' }] }],
    });
    expect(res.errors).toBeUndefined();
    expect(res.data?.whatIf[0].after.equity).toEqual(expect.any(String));
  });
});
