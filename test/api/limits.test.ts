/**
 * Limits, refused before execution: query depth, aliases and cost (QUERY_TOO_COMPLEX), body size (413), rate per
 * API key (RATE_LIMITED, 429); production hides introspection, schema hints and stack traces.
 */
import { startApi, type ApiHarness } from '../helpers/api-server';

let api: ApiHarness;
let limited: ApiHarness;
let production: ApiHarness;
beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', config: { queryMaxCost: 1500 } });
  limited = await startApi({ kind: 'MIGRATED', config: { rateLimitPoints: 3, rateLimitDurationS: 60 } });
  production = await startApi({ kind: 'MIGRATED', config: { env: 'production' } });
});
afterAll(async () => {
  await Promise.all([api?.stop(), limited?.stop(), production?.stop()]);
});

/** True when nothing ran: no data at all, only the refusal. */
function refusedBeforeExecution(res: { status: number; data?: unknown; errors?: any[] }): void {
  expect(res.status).toBe(400);
  expect(res.data).toBeUndefined();
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0].extensions).toEqual({ code: 'QUERY_TOO_COMPLEX' });
}

describe('query shape', () => {
  it('refuses a 1,000-alias query', async () => {
    const query = `{ ${Array.from({ length: 1000 }, (_, i) => `a${i}: markets { symbol }`).join(' ')} }`;
    const res = await api.gql(query);
    refusedBeforeExecution(res);
    expect(res.errors![0].message).toMatch(/1000 aliases/);
  });

  it('refuses a deeply nested query, also through fragments', async () => {
    const deep = `{ ${'markets { baseAsset { '.repeat(10)}symbol${' } }'.repeat(10)} }`;
    refusedBeforeExecution(await api.gql(deep));
    const viaFragments = `query { ...F0 } ${Array.from({ length: 20 }, (_, i) => `fragment F${i} on Query { markets { settlementAsset { symbol } ${i < 19 ? `...F${i + 1}` : ''} } }`).join(' ')}`;
    refusedBeforeExecution(await api.gql(viaFragments));
    const nested = `query { ...A } fragment A on Query { accounts { edges { node { ...B } } } } fragment B on Account { positions { market { ...C } } } fragment C on Market { baseAsset { indexPrice { price } } tiers { tierIndex } settlementAsset { indexPrice { observedAt } } }`;
    expect((await api.gql(nested)).errors).toBeUndefined();
  });

  it('refuses a document over the token limit', async () => {
    const res = await api.gql(`{ markets { ${'symbol '.repeat(25_000)} } }`);
    refusedBeforeExecution(res);
  });

  // Cost: each field 1 + its children, × the page size on paginated fields. This page costs 1 + 17 × first.
  it('refuses an expensive page by its cost, computed with the variables', async () => {
    const query = `query($n: Int) { accounts(first: $n) { edges { node { id externalRef balances { amount asset { symbol indexPrice { price } } } positions { size entryPrice market { symbol tiers { tierIndex } } } } } } }`;
    const small = await api.gql(query, { n: 20 });
    expect(small.errors).toBeUndefined();
    expect(small.data!.accounts.edges).toHaveLength(20);
    const big = await api.gql(query, { n: 200 });
    refusedBeforeExecution(big);
    expect(big.errors![0].message).toMatch(/cost 3401 exceeds the maximum of 1500/);
  });

  it('counts `last` like `first` (backward pages cost the same)', async () => {
    const query = `query($n: Int) { accounts(last: $n) { edges { node { id externalRef balances { amount asset { symbol indexPrice { price } } } positions { size entryPrice market { symbol tiers { tierIndex } } } } } } }`;
    expect((await api.gql(query, { n: 20 })).errors).toBeUndefined();
    const big = await api.gql(query, { n: 200 });
    refusedBeforeExecution(big);
    expect(big.errors![0]!.message).toMatch(/cost 3401 exceeds the maximum of 1500/);
  });

  it('counts the default page size when `first` is omitted', async () => {
    const res = await api.gql(`{ accounts { edges { node { id externalRef brokerId marginMode status version createdAt balances { amount asset { symbol decimals initialWeight maintenanceWeight indexPrice { price source observedAt } } } positions { id size side entryPrice realizedPnl fundingIndex marginType isolatedMargin market { symbol kind contractType tickSize } } } } } }`);
    refusedBeforeExecution(res);
  });
});

describe('request size', () => {
  it('refuses a body over MAX_BODY_BYTES with 413', async () => {
    const res = await fetch(api.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': api.keys.monitor.key },
      body: JSON.stringify({ query: `{ markets { symbol } }`, variables: { pad: 'x'.repeat(300 * 1024) } }),
    });
    expect(res.status).toBe(413);
    const body = (await res.json()) as any;
    expect(body.errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.js/);
  });
});

describe('rate limiting', () => {
  it('answers RATE_LIMITED with 429 past the limit of one key, and keeps other keys going', async () => {
    for (let i = 0; i < 3; i++) expect((await limited.gqlAs('monitor', `{ markets { symbol } }`)).status).toBe(200);
    const res = await limited.gqlAs('monitor', `{ markets { symbol } }`);
    expect(res.status).toBe(429);
    expect(res.errors![0]!.extensions!.code).toBe('RATE_LIMITED');
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await limited.gqlAs('admin', `{ markets { symbol } }`)).status).toBe(200);
  });
});

describe('production error rules', () => {
  it('turns introspection off', async () => {
    const res = await production.gql(`{ __schema { types { name } } }`);
    expect(res.data).toBeUndefined();
    expect(res.errors![0]!.message).toMatch(/introspection/i);
  });

  it('gives no schema hints and no stack traces', async () => {
    const res = await production.gql(`{ market(symbol: "X") { symbl } }`);
    expect(res.errors![0]!.message).not.toMatch(/Did you mean/);
    expect(res.errors![0]!.extensions).toEqual({ code: 'GRAPHQL_VALIDATION_FAILED' });
    const dev = await api.gql(`{ market(symbol: "X") { symbl } }`);
    expect(dev.errors![0]!.message).toMatch(/Did you mean/);
    const domain = await production.gqlAs('broker', `{ account(id: "00000000-0000-0000-0000-000000000000") { id } }`);
    expect(domain.errors![0]!.extensions).toEqual({ code: 'NOT_FOUND', field: 'id' });
  });
});
