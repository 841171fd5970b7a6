/** The read side over HTTP against a started server on the seeded demo venue. */
import { startApi, type ApiHarness } from '../helpers/api-server';

let api: ApiHarness;
let statements: string[] = [];
beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', onQuery: (sql) => statements.push(sql) });
});
afterAll(async () => {
  await api.stop();
});

const PAGE_QUERY = `query Page($first: Int, $after: String, $filter: AccountFilter) {
  accounts(first: $first, after: $after, filter: $filter) {
    edges { cursor node { id brokerId externalRef marginMode
      balances { amount asset { symbol decimals indexPrice { price observedAt } } }
      positions { id size side entryPrice marginType isolatedMargin market { symbol kind contractType tickSize markPrice { price } tiers { tierIndex maintenanceAmount } settlementAsset { symbol } } } } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('health', () => {
  it('answers /livez and /readyz', async () => {
    expect((await fetch(`${api.baseUrl}/livez`)).status).toBe(200);
    const ready = await fetch(`${api.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });
});

describe('accounts', () => {
  it('pages through every account with opaque cursors, without repeats', async () => {
    const seen = new Set<string>();
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const res: any = await api.gql(`query($after: String) { accounts(first: 200, after: $after) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`, { after });
      expect(res.errors).toBeUndefined();
      for (const edge of res.data.accounts.edges) {
        expect(seen.has(edge.node.id)).toBe(false);
        seen.add(edge.node.id);
      }
      pages += 1;
      if (!res.data.accounts.pageInfo.hasNextPage) break;
      after = res.data.accounts.pageInfo.endCursor;
    }
    const { rows } = await api.database.db.pool.query('SELECT count(*)::int AS n FROM account');
    expect(seen.size).toBe(rows[0].n);
    expect(pages).toBe(Math.ceil(rows[0].n / 200));
  });

  it('caps the page size', async () => {
    const res = await api.gql(`{ accounts(first: 5000) { edges { node { id } } } }`);
    expect(res.data!.accounts.edges).toHaveLength(200);
  });

  it('loads a 50-account page with nested balances, positions, markets and prices in a constant number of SQL statements', async () => {
    statements = [];
    const res = await api.gql(PAGE_QUERY, { first: 50 });
    expect(res.errors).toBeUndefined();
    const accounts = res.data!.accounts.edges.map((e: any) => e.node);
    expect(accounts).toHaveLength(50);
    expect(accounts.some((a: any) => a.positions.length > 0)).toBe(true);
    // Data statements: not transaction control, not the API key lookup of authentication.
    const isData = (s: string) => !/^(BEGIN|COMMIT|ROLLBACK)/i.test(s.trim()) && !/\bapi_key\b/.test(s);
    const dataStatements = statements.filter(isData);
    // accounts page, balances, positions, assets, index prices, markets, mark prices, tiers: one each.
    expect(dataStatements.length).toBeLessThanOrEqual(8);
    // The same shape for one account costs the same number of statements: no per-account queries.
    statements = [];
    await api.gql(PAGE_QUERY, { first: 1 });
    const single = statements.filter(isData).length;
    expect(dataStatements.length).toBeLessThanOrEqual(single);
  });

  it('filters by broker and external reference, and reads one account by id', async () => {
    const first = await api.gql(PAGE_QUERY, { first: 1 });
    const account = first.data!.accounts.edges[0].node;
    const byBroker = await api.gql(`query($b: ID) { accounts(first: 200, filter: { brokerId: $b }) { edges { node { brokerId } } } }`, { b: account.brokerId });
    expect(byBroker.data!.accounts.edges.every((e: any) => e.node.brokerId === account.brokerId)).toBe(true);
    const byRef = await api.gql(`query($r: String) { accounts(filter: { externalRef: $r }) { edges { node { id } } } }`, { r: account.externalRef });
    expect(byRef.data!.accounts.edges.map((e: any) => e.node.id)).toEqual([account.id]);
    const one = await api.gql(`query($id: ID!) { account(id: $id) { id externalRef balances { amount } } }`, { id: account.id });
    expect(one.data!.account.id).toBe(account.id);
    expect(one.data!.account.balances.length).toBe(account.balances.length);
  });

  it('answers NOT_FOUND for an unknown or malformed account id', async () => {
    const res = await api.gql(`{ a: account(id: "00000000-0000-0000-0000-000000000000") { id } b: account(id: "nope") { id } }`);
    expect(res.data).toEqual({ a: null, b: null });
    expect(res.errors!.map((e) => [e.path![0], e.extensions!.code])).toEqual(
      expect.arrayContaining([
        ['a', 'NOT_FOUND'],
        ['b', 'NOT_FOUND'],
      ]),
    );
  });

  it('refuses a malformed cursor with BAD_USER_INPUT', async () => {
    const res = await api.gql(`{ accounts(after: "garbage!") { edges { node { id } } } }`);
    expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });
});

describe('markets and assets', () => {
  it('lists markets of every kind with tiers and mark prices', async () => {
    const res = await api.gql(`{ markets { symbol kind contractType expiry strike optionType tiers { tierIndex notionalFloor notionalCap maintenanceAmount } markPrice { price source observedAt } baseAsset { symbol } } }`);
    expect(res.errors).toBeUndefined();
    const kinds = new Set(res.data!.markets.map((m: any) => `${m.kind}/${m.contractType}`));
    expect(kinds).toEqual(new Set(['PERPETUAL/LINEAR', 'PERPETUAL/INVERSE', 'FUTURE/LINEAR', 'OPTION/LINEAR']));
    for (const market of res.data!.markets) {
      expect(market.tiers.length).toBeGreaterThan(0);
      expect(market.tiers[0].notionalFloor).toBe('0');
      expect(market.tiers[market.tiers.length - 1].notionalCap).toBeNull();
      expect(market.markPrice).not.toBeNull();
      expect(typeof market.markPrice.price).toBe('string');
    }
  });

  it('reads one market by symbol and null for an unknown one', async () => {
    const res = await api.gql(`{ a: market(symbol: "BTC-PERP") { symbol settlementAsset { symbol } } b: market(symbol: "NOPE") { symbol } }`);
    expect(res.data!.a.symbol).toBe('BTC-PERP');
    expect(res.data!.b).toBeNull();
  });

  it('lists the collateral assets with weights as decimal strings', async () => {
    const res = await api.gql(`{ assets { symbol decimals initialWeight maintenanceWeight initialLiabilityWeight maintenanceLiabilityWeight indexPrice { price } } }`);
    const symbols = res.data!.assets.map((a: any) => a.symbol);
    expect(symbols).toEqual(expect.arrayContaining(['USDC', 'USDT', 'BTC', 'ETH', 'SOL']));
    for (const asset of res.data!.assets) {
      expect(Number(asset.initialWeight)).toBeLessThanOrEqual(1);
      expect(Number(asset.initialLiabilityWeight)).toBeGreaterThanOrEqual(1);
    }
  });
});
