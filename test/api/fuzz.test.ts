/**
 * Bounded fuzzing over HTTP (fast-check, ~2,000 requests): valid operations with mutated arguments, malformed bodies
 * and hostile documents. Every answer: no HTTP 5xx, no INTERNAL_SERVER_ERROR, every error with an
 * `extensions.code`; every refused write leaves the state digest (balances, positions, ledger, audit) unchanged.
 */
import fc from 'fast-check';
import { encodeCursor } from '../../src/api/cursor';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { MUTATIONS, ok, setPrices } from '../helpers/writes';

let api: ApiHarness;
let account: string;
let otherAccount: string;

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', config: { rateLimitPoints: 1_000_000, rateLimitCostPoints: 1_000_000_000, authFailureLimit: 1_000_000 } });
  await setPrices(api, { 'BTC-PERP': '50000' });
  account = (await ok(api, 'broker', 'createAccount', { externalRef: 'fuzz' })).account.id;
  otherAccount = (await ok(api, 'otherBroker', 'createAccount', { externalRef: 'fuzz-other' })).account.id;
  await ok(api, 'broker', 'deposit', { accountId: account, asset: 'USDC', amount: '1000' });
  await ok(api, 'broker', 'applyFill', { accountId: account, market: 'BTC-PERP', size: '0.01', price: '50000' });
});
afterAll(async () => {
  await api.stop();
});

/** One digest of everything a write can change. */
async function digest(): Promise<string> {
  const { rows } = await api.database.db.pool.query<{ d: string }>(`
    SELECT md5(concat_ws('|',
      (SELECT string_agg(account_id || ':' || asset_symbol || ':' || amount::text, ',' ORDER BY account_id, asset_symbol) FROM balance),
      (SELECT string_agg(account_id || ':' || market_symbol || ':' || size::text || ':' || entry_price::text || ':' || isolated_margin::text, ',' ORDER BY account_id, market_symbol) FROM position),
      (SELECT count(*)::text || ':' || coalesce(sum(amount), 0)::text FROM ledger_entry),
      (SELECT count(*)::text FROM audit_event),
      (SELECT string_agg(id::text || ':' || version::text || ':' || status::text, ',' ORDER BY id) FROM account),
      (SELECT string_agg(market_symbol || ':' || price::text, ',' ORDER BY market_symbol) FROM mark_price)
    )) AS d`);
  return rows[0]!.d;
}

interface Answer {
  status: number;
  body: unknown;
}

async function send(body: string, headers: Record<string, string>, method = 'POST', query = ''): Promise<Answer> {
  const res = await fetch(`${api.server.url}${query}`, { method, headers, body: method === 'GET' ? undefined : body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: checked below
  }
  return { status: res.status, body: parsed };
}

const failures: string[] = [];

/** The invariants of every answer. */
function check(label: string, answer: Answer): void {
  const problem = (what: string) => failures.push(`${label}: ${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`);
  if (answer.status >= 500) problem('HTTP 5xx');
  const body = answer.body as { errors?: { extensions?: { code?: unknown } }[] } | string;
  if (typeof body !== 'object' || body === null) {
    if (answer.status !== 200) problem('non-JSON error body');
    return;
  }
  for (const error of body.errors ?? []) {
    const code = error.extensions?.code;
    if (typeof code !== 'string') problem('error without extensions.code');
    if (code === 'INTERNAL_SERVER_ERROR') problem('INTERNAL_SERVER_ERROR');
  }
  if (answer.status >= 400 && !(body.errors && body.errors.length > 0)) problem('4xx without errors');
}

const headersFor = (key: string) => ({ 'content-type': 'application/json', 'x-api-key': key });

// ---------------------------------------------------------------------------------------------------------------------
// Arbitraries

const hostileString = fc.oneof(
  fc.constantFrom('', '\u0000', 'BTC\u0000PERP', '__proto__', 'constructor', 'toString', 'valueOf', 'BTC-PERP', 'ETH-PERP', 'USDC', 'BTC', 'x'.repeat(300), '１２３', '\ud800', '%s%n', "'; DROP TABLE account; --", '1e999999', 'NaN', '-0'),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const hostileNumber = fc.oneof(
  fc.constantFrom('0', '-1', '1e999999', '-1e-999999', '1e40', '1e18', '0.0000000000000000001', 'NaN', 'Infinity', '1.5', '9007199254740993', ' 1', '1_000', '0x10'),
  fc.integer().map(String),
  fc.double({ noNaN: true }).map(String),
);
const hostileValue: fc.Arbitrary<unknown> = fc.oneof(hostileString, hostileNumber, fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.jsonValue({ maxDepth: 3 }));
const uuidish = fc.oneof(fc.constant('ACCOUNT'), fc.constant('OTHER'), fc.uuid(), hostileString);
const cursorish = fc.oneof(hostileString, hostileString.map((s) => encodeCursor(s)), fc.constant(encodeCursor('r:1e999999|00000000-0000-0000-0000-000000000000')));

const READS: { query: string; vars: fc.Arbitrary<Record<string, unknown>> }[] = [
  { query: 'query($id: ID!) { account(id: $id) { id balances { amount } risk { equity freeCollateral } } }', vars: fc.record({ id: uuidish }) },
  { query: 'query($s: String!) { market(symbol: $s) { symbol markPrice { price } } }', vars: fc.record({ s: hostileString }) },
  { query: 'query($f: Int, $a: String, $r: String) { accounts(first: $f, after: $a, filter: { externalRef: $r }) { edges { cursor } } }', vars: fc.record({ f: fc.oneof(fc.integer(), fc.constant(null)), a: fc.oneof(cursorish, fc.constant(null)), r: fc.oneof(hostileString, fc.constant(null)) }) },
  { query: 'query($a: String, $m: Decimal) { accountsAtRisk(after: $a, minMarginRatio: $m) { edges { cursor } } }', vars: fc.record({ a: fc.oneof(cursorish, fc.constant(null)), m: fc.oneof(hostileNumber, fc.constant(null)) }) },
  {
    query: 'query($id: ID!, $s: [ScenarioInput!]!) { whatIf(accountId: $id, scenarios: $s) { after { equity } brokenLimits { kind } } }',
    vars: fc.record({
      id: uuidish,
      s: fc.array(
        fc.oneof(
          fc.record({ trades: fc.array(fc.record({ market: hostileString, size: hostileNumber }), { maxLength: 3 }) }),
          fc.record({ priceMoves: fc.array(fc.record({ market: hostileString, price: hostileNumber }), { maxLength: 3 }) }),
          fc.record({ priceMoves: fc.array(fc.record({ asset: hostileString, relative: hostileNumber }), { maxLength: 3 }) }),
          fc.record({ deposits: fc.array(fc.record({ asset: hostileString, amount: hostileNumber }), { maxLength: 3 }) }),
          fc.record({ withdrawals: fc.array(fc.record({ asset: hostileValue, amount: hostileValue }), { maxLength: 2 }) }),
          fc.record({ timeAdvanceSeconds: fc.oneof(fc.integer(), fc.double()) }),
        ),
        { maxLength: 4 },
      ),
    }),
  },
  { query: 'query($id: ID!, $m: String!, $side: Side!) { account(id: $id) { maxTradeSize(market: $m, side: $side) { answer } } }', vars: fc.record({ id: uuidish, m: hostileString, side: fc.constantFrom('LONG', 'SHORT', 'BUY', '') }) },
  { query: 'query($id: ID!, $a: String!) { account(id: $id) { maxWithdrawable(asset: $a) { answer } } }', vars: fc.record({ id: uuidish, a: hostileString }) },
  { query: 'query($id: ID!, $p: Decimal!, $m: String!) { account(id: $id) { depositToReach(targetLiquidationPrice: $p, market: $m) { answer } } }', vars: fc.record({ id: uuidish, p: hostileNumber, m: hostileString }) },
  { query: 'query($id: ID!, $c: Decimal!, $h: Int!) { account(id: $id) { valueAtRisk(confidence: $c, horizonDays: $h, method: PARAMETRIC) { valueAtRisk } } }', vars: fc.record({ id: uuidish, c: hostileNumber, h: fc.integer() }) },
];

const WRITES: { name: keyof typeof MUTATIONS; input: fc.Arbitrary<Record<string, unknown>> }[] = [
  { name: 'withdraw', input: fc.record({ accountId: uuidish, asset: hostileString, amount: hostileNumber, reference: fc.option(hostileString) }) },
  { name: 'deposit', input: fc.record({ accountId: fc.constantFrom('OTHER', 'nope'), asset: hostileString, amount: hostileNumber }) },
  { name: 'applyFill', input: fc.record({ accountId: uuidish, market: hostileString, size: hostileNumber, price: hostileNumber, fee: fc.option(hostileNumber) }) },
  { name: 'transferIsolatedMargin', input: fc.record({ accountId: uuidish, market: hostileString, amount: hostileNumber }) },
  { name: 'createAccount', input: fc.record({ externalRef: fc.constantFrom('', '\u0000', 'fuzz', 'x'.repeat(300)), brokerId: fc.option(uuidish) }) },
];

const substitute = (value: unknown): unknown => {
  if (value === 'ACCOUNT') return account;
  if (value === 'OTHER') return otherAccount;
  if (Array.isArray(value)) return value.map(substitute);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v)]));
  return value;
};

const hostileDocument = fc.oneof(
  fc.integer({ min: 100, max: 5000 }).map((n) => `{ market(symbol: ${'['.repeat(n)}"x"${']'.repeat(n)}) { symbol } }`),
  fc.integer({ min: 13, max: 400 }).map((n) => `{ ${'accounts { edges { node { '.repeat(n)} id ${'} } }'.repeat(n)} }`),
  fc.integer({ min: 101, max: 2000 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: assets { symbol }`).join(' ')} }`),
  fc.constantFrom(
    'query A { assets { symbol } } query B { markets { symbol } }',
    'subscription { assets { symbol } }',
    'fragment F on Query { ...F } { ...F }',
    '{ __schema { types { name } } }',
    '{ market(symbol: "__proto__") { symbol } }',
    '{ market(symbol: "a\\u0000b") { symbol } }',
    '{ accounts(first: 9007199254740993) { edges { cursor } } }',
    '{ accounts(first: 1.5) { edges { cursor } } }',
    '{ stressTest(scenario: { shocks: [{ market: "constructor", relative: "-0.1" }], maxRounds: 2147483647 }) { converged } }',
    '{ whatIf(accountId: "x", scenarios: [{ trades: [{ market: "BTC-PERP", size: "1e40" }] }]) { after { equity } } }',
    'mutation { deposit(input: { idempotencyKey: "", accountId: "x", asset: "USDC", amount: "1" }) { userErrors { code } } }',
    '{',
    '}',
    '',
    '#',
    '"""',
    '{ assets { symbol } } trailing',
  ),
  fc.string({ maxLength: 200 }),
);

const malformedBody = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.record({ query: hostileValue, variables: hostileValue, operationName: hostileValue }).map((v) => JSON.stringify(v)),
  fc.record({ query: fc.constant('{ assets { symbol } }'), extensions: fc.jsonValue({ maxDepth: 3 }) }).map((v) => JSON.stringify(v)),
  fc.constantFrom('{"query": "{ assets { symbol } }"', '[{"query":"{ assets { symbol } }"}]', '[]', 'null', '{"query": null}', '{"query":"{ assets { symbol } }","extensions":{"persistedQuery":{"version":1,"sha256Hash":"00"}}}', '{"extensions":{"persistedQuery":{"version":1,"sha256Hash":"0000000000000000000000000000000000000000000000000000000000000000"}}}', '\u0000', '{"query": "{ assets { symbol } }", "variables": "[]"}'),
);

// ---------------------------------------------------------------------------------------------------------------------

jest.setTimeout(180_000);

it('valid operations with mutated arguments: clean client errors, refused writes change nothing', async () => {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: READS.length - 1 }).chain((i) => READS[i]!.vars.map((vars) => ({ i, vars }))), async ({ i, vars }) => {
      const body = JSON.stringify({ query: READS[i]!.query, variables: substitute(vars) });
      check(`read ${i} ${body.slice(0, 200)}`, await send(body, headersFor(api.keys.broker.key)));
    }),
    { numRuns: 700 },
  );
  let before = await digest();
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: WRITES.length - 1 }).chain((i) => WRITES[i]!.input.map((input) => ({ i, input }))), fc.nat(), async ({ i, input }, n) => {
      const name = WRITES[i]!.name;
      const body = JSON.stringify({ query: MUTATIONS[name], variables: { input: { idempotencyKey: `fuzz-${n}-${Math.random()}`, ...(substitute(input) as object) } } });
      const answer = await send(body, headersFor(api.keys.broker.key));
      check(`${name} ${body.slice(0, 200)}`, answer);
      const payload = (answer.body as { data?: Record<string, { userErrors?: unknown[] } | null> }).data?.[name];
      const refused = answer.status !== 200 || !payload || (payload.userErrors?.length ?? 0) > 0 || ((answer.body as { errors?: unknown[] }).errors?.length ?? 0) > 0;
      const after = await digest();
      if (refused && after !== before) failures.push(`${name}: refused but changed the state: ${body.slice(0, 300)}`);
      before = after;
    }),
    { numRuns: 300 },
  );
  expect(failures).toEqual([]);
});

it('hostile documents and malformed bodies: no 5xx, every error with a code, nothing written', async () => {
  const before = await digest();
  await fc.assert(
    fc.asyncProperty(hostileDocument, fc.constantFrom('broker', 'monitor', 'admin'), async (query, who) => {
      check(`doc ${query.slice(0, 120)}`, await send(JSON.stringify({ query }), headersFor(api.keys[who as 'broker'].key)));
    }),
    { numRuns: 400 },
  );
  await fc.assert(
    fc.asyncProperty(
      malformedBody,
      fc.constantFrom('application/json', 'text/plain', 'application/graphql', 'application/x-www-form-urlencoded', 'multipart/form-data', ''),
      fc.constantFrom('good', 'bad', 'none'),
      async (body, contentType, auth) => {
        const headers: Record<string, string> = contentType ? { 'content-type': contentType } : {};
        if (auth === 'good') headers['x-api-key'] = api.keys.monitor.key;
        if (auth === 'bad') headers['x-api-key'] = 'rk_bad_key';
        check(`body ${contentType} ${body.slice(0, 120)}`, await send(body, headers));
      },
    ),
    { numRuns: 450 },
  );
  await fc.assert(
    fc.asyncProperty(hostileString, hostileString, async (query, variables) => {
      // (A lone surrogate cannot be percent-encoded: its UTF-8 replacement is sent instead.)
      const encode = (v: string) => encodeURIComponent(Buffer.from(v, 'utf8').toString('utf8'));
      const qs = `?query=${encode(query)}&variables=${encode(variables)}`;
      check(`GET ${qs.slice(0, 120)}`, await send('', { 'x-api-key': api.keys.monitor.key, 'apollo-require-preflight': 'true' }, 'GET', qs));
    }),
    { numRuns: 150 },
  );
  expect(await digest()).toBe(before);
  expect(failures).toEqual([]);
});
