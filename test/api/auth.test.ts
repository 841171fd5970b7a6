/** Authentication (API keys, 401), each role's boundaries (FORBIDDEN), and broker isolation (NOT_FOUND). */
import { startApi, type ApiHarness, type KeyName } from '../helpers/api-server';
import { MUTATIONS, mutate, newKey, ok, writeCounts } from '../helpers/writes';

let api: ApiHarness;
let ownAccount: string;
let foreignAccount: string;
beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED' });
  const { rows } = await api.database.db.pool.query<{ id: string; broker_id: string }>(
    `SELECT DISTINCT ON (broker_id) id, broker_id FROM account WHERE broker_id = ANY($1::uuid[]) ORDER BY broker_id, id`,
    [[api.brokers.a, api.brokers.b]],
  );
  ownAccount = rows.find((r) => r.broker_id === api.brokers.a)!.id;
  foreignAccount = rows.find((r) => r.broker_id === api.brokers.b)!.id;
});
afterAll(async () => {
  await api.stop();
});

const MARKETS = `{ markets { symbol } }`;
const ACCOUNTS = `{ accounts(first: 200) { edges { node { id brokerId } } } }`;

describe('authentication', () => {
  it.each([
    ['no key', {}],
    ['an empty key', { 'x-api-key': '' }],
    ['a malformed key', { 'x-api-key': 'hello' }],
    ['an unknown prefix', { 'x-api-key': 'rk_nosuchprefix_0123456789abcdef0123456789abcdef' }],
    ['a wrong secret', { authorization: 'Bearer rk_demoadmin_0123456789abcdef0123456789abcdef' }],
    ['a non-bearer authorization', { authorization: 'Basic Zm9vOmJhcg==' }],
  ])('refuses %s with UNAUTHENTICATED and HTTP 401', async (_label, headers) => {
    const res = await fetch(api.server.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: MARKETS }),
    });
    expect(res.status).toBe(401);
    const body = (await res.json()) as any;
    expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    expect(body.data).toBeUndefined();
  });

  it('refuses a known key with a wrong secret', async () => {
    const [, prefix] = api.keys.admin.key.split('_');
    const res = await api.gqlAs({ key: `rk_${prefix}_${'0'.repeat(64)}` }, MARKETS);
    expect(res.status).toBe(401);
  });

  it('accepts x-api-key and Authorization: Bearer', async () => {
    const viaHeader = await api.gql(MARKETS, undefined, { 'x-api-key': api.keys.oracle.key });
    const viaBearer = await api.gql(MARKETS, undefined, { authorization: `Bearer ${api.keys.oracle.key}` });
    expect(viaHeader.status).toBe(200);
    expect(viaBearer.data).toEqual(viaHeader.data);
  });

  it('leaves /livez and /readyz open', async () => {
    expect((await fetch(`${api.baseUrl}/livez`)).status).toBe(200);
    expect((await fetch(`${api.baseUrl}/readyz`)).status).toBe(200);
  });

  it('records when a key was last used', async () => {
    await api.gqlAs('monitor', MARKETS);
    const { rows } = await api.database.db.pool.query(`SELECT last_used_at FROM api_key WHERE id = $1`, [api.keys.monitor.id]);
    expect(rows[0].last_used_at).not.toBeNull();
  });
});

/** One representative input per mutation, valid for the seeded venue. */
function inputs(): Record<keyof typeof MUTATIONS, Record<string, unknown>> {
  const observedAt = new Date().toISOString();
  return {
    createAccount: { externalRef: newKey('ref'), brokerId: api.brokers.a },
    deposit: { accountId: ownAccount, asset: 'USDC', amount: '1' },
    withdraw: { accountId: ownAccount, asset: 'USDC', amount: '0.01' },
    applyFill: { accountId: ownAccount, market: 'BTC-PERP', size: '0.001', price: '60000' },
    transferIsolatedMargin: { accountId: ownAccount, market: 'BTC-PERP', amount: '1' },
    setLeverage: { accountId: ownAccount, market: 'BTC-PERP', leverage: '5' },
    setMarginMode: { accountId: ownAccount, marginMode: 'CROSS' },
    updatePrices: { indexes: [{ asset: 'USDT', price: '1', observedAt }] },
    upsertMarket: { symbol: 'BTC-PERP', kind: 'PERPETUAL', contractType: 'LINEAR', baseAsset: 'BTC', quoteAsset: 'USDC', settlementAsset: 'USDC', contractSize: '1', tickSize: '0.1' },
    setMarginTiers: { market: 'NOPE', tiers: [{ notionalFloor: '0', initialMarginRate: '0.1', maintenanceMarginRate: '0.05' }] },
    createApiKey: { role: 'MONITOR', label: 'x' },
    revokeApiKey: { id: '00000000-0000-0000-0000-000000000000' },
  };
}

const ALLOWED: Record<KeyName, readonly (keyof typeof MUTATIONS)[]> = {
  admin: ['createAccount', 'deposit', 'withdraw', 'applyFill', 'transferIsolatedMargin', 'setLeverage', 'setMarginMode', 'upsertMarket', 'setMarginTiers', 'createApiKey', 'revokeApiKey'],
  broker: ['createAccount', 'deposit', 'withdraw', 'applyFill', 'transferIsolatedMargin', 'setLeverage', 'setMarginMode'],
  otherBroker: ['createAccount', 'deposit', 'withdraw', 'applyFill', 'transferIsolatedMargin', 'setLeverage', 'setMarginMode'],
  oracle: ['updatePrices'],
  monitor: [],
};

describe('role boundaries', () => {
  it.each(['admin', 'broker', 'oracle', 'monitor'] as const)('%s: forbidden mutations answer FORBIDDEN and change nothing', async (who) => {
    const all = inputs();
    const forbidden = (Object.keys(MUTATIONS) as (keyof typeof MUTATIONS)[]).filter((m) => !ALLOWED[who].includes(m));
    const before = await writeCounts(api);
    for (const name of forbidden) {
      const { res } = await mutate(api, who, name, all[name]!);
      expect([name, res.errors?.[0]?.extensions?.code]).toEqual([name, 'FORBIDDEN']);
      expect(res.data ?? null).toBeNull();
    }
    expect(await writeCounts(api)).toEqual(before);
  });

  it.each(['admin', 'broker', 'oracle', 'monitor'] as const)('%s: allowed mutations get past authorization', async (who) => {
    const all = inputs();
    for (const name of ALLOWED[who]) {
      if (who === 'broker' && name === 'createAccount') all.createAccount = { externalRef: newKey('ref') };
      const { res } = await mutate(api, who, name, all[name]!);
      expect([name, res.errors]).toEqual([name, undefined]);
    }
  });

  it('ORACLE reads markets and assets but no account', async () => {
    expect((await api.gqlAs('oracle', `{ markets { symbol } assets { symbol } }`)).errors).toBeUndefined();
    const accounts = await api.gqlAs('oracle', ACCOUNTS);
    expect(accounts.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    const one = await api.gqlAs('oracle', `query($id: ID!) { account(id: $id) { id } }`, { id: ownAccount });
    expect(one.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });

  it('MONITOR and ADMIN read every broker\'s accounts', async () => {
    for (const who of ['monitor', 'admin'] as const) {
      const res = await api.gqlAs(who, ACCOUNTS);
      const brokers = new Set(res.data!.accounts.edges.map((e: any) => e.node.brokerId));
      expect(brokers.size).toBeGreaterThanOrEqual(2);
      const foreign = await api.gqlAs(who, `query($id: ID!) { account(id: $id) { id } }`, { id: foreignAccount });
      expect(foreign.data!.account.id).toBe(foreignAccount);
    }
  });
});

describe('broker isolation', () => {
  it('lists only the broker\'s own accounts, whatever the filter says', async () => {
    const all = await api.gqlAs('broker', ACCOUNTS);
    expect(all.data!.accounts.edges.length).toBeGreaterThan(0);
    expect(all.data!.accounts.edges.every((e: any) => e.node.brokerId === api.brokers.a)).toBe(true);
    const other = await api.gqlAs('broker', `query($b: ID) { accounts(filter: { brokerId: $b }) { edges { node { id } } pageInfo { hasNextPage } } }`, { b: api.brokers.b });
    expect(other.data!.accounts).toEqual({ edges: [], pageInfo: { hasNextPage: false } });
  });

  it('answers NOT_FOUND for another broker\'s account exactly as for a missing one', async () => {
    const q = `query($id: ID!) { account(id: $id) { id balances { amount } } }`;
    const foreign = await api.gqlAs('broker', q, { id: foreignAccount });
    const missing = await api.gqlAs('broker', q, { id: '00000000-0000-0000-0000-000000000000' });
    expect(foreign.errors![0]!.extensions!.code).toBe('NOT_FOUND');
    expect(foreign.data).toEqual({ account: null });
    expect(missing.errors![0]!.extensions).toEqual(foreign.errors![0]!.extensions);
    expect(missing.errors![0]!.message.replace(/[0-9a-f-]{36}/, 'ID')).toBe(foreign.errors![0]!.message.replace(/[0-9a-f-]{36}/, 'ID'));
    const own = await api.gqlAs('broker', q, { id: ownAccount });
    expect(own.data!.account.id).toBe(ownAccount);
  });

  it('refuses writes to another broker\'s account with NOT_FOUND and changes nothing', async () => {
    const before = await writeCounts(api);
    for (const name of ['deposit', 'withdraw', 'applyFill', 'transferIsolatedMargin'] as const) {
      const { payload } = await mutate(api, 'broker', name, { ...inputs()[name], accountId: foreignAccount });
      expect(payload.userErrors).toEqual([{ field: 'accountId', code: 'NOT_FOUND', message: expect.any(String) }]);
      const missing = await mutate(api, 'broker', name, { ...inputs()[name], accountId: '00000000-0000-0000-0000-000000000000' });
      expect(missing.payload.userErrors.map((e: any) => e.code)).toEqual(['NOT_FOUND']);
    }
    expect(await writeCounts(api)).toEqual(before);
  });

  it('creates accounts for its own broker only', async () => {
    const { res } = await mutate(api, 'broker', 'createAccount', { externalRef: newKey(), brokerId: api.brokers.b });
    expect(res.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    const own = await ok(api, 'broker', 'createAccount', { externalRef: newKey(), brokerId: api.brokers.a });
    expect(own.account.brokerId).toBe(api.brokers.a);
  });
});
