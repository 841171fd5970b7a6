/**
 * Every mutation over HTTP on the seeded venue: exact resulting balances, positions, ledger and audit rows;
 * idempotent retries and CONFLICT. Prices are set to round numbers first so margins can be stated exactly:
 * BTC-PERP mark 50,000 (tiers: imr 2% below 50,000 notional, 2.5% from 50,000), USDC weight 1.
 */
import { startApi, type ApiHarness } from '../helpers/api-server';
import { MUTATIONS, mutate, newKey, ok, setPrices, writeCounts } from '../helpers/writes';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED' });
  await setPrices(api, { 'BTC-PERP': '50000' }, { BTC: '50000' });
});
afterAll(async () => {
  await api.stop();
});

async function newAccount(ref = newKey('acct'), who: 'broker' | 'otherBroker' = 'broker'): Promise<string> {
  return (await ok(api, who, 'createAccount', { externalRef: ref })).account.id;
}

async function ledger(accountId: string): Promise<{ kind: string; asset: string; amount: string }[]> {
  const { rows } = await api.database.db.pool.query(
    `SELECT kind::text, asset_symbol AS asset, trim_scale(amount)::text AS amount FROM ledger_entry WHERE account_id = $1 ORDER BY id`,
    [accountId],
  );
  return rows;
}

async function balance(accountId: string, asset = 'USDC'): Promise<string> {
  const { rows } = await api.database.db.pool.query(
    `SELECT trim_scale(amount)::text AS amount FROM balance WHERE account_id = $1 AND asset_symbol = $2`,
    [accountId, asset],
  );
  return rows[0]?.amount ?? '0';
}

async function audit(accountId: string): Promise<any[]> {
  const { rows } = await api.database.db.pool.query(
    `SELECT api_key_id, broker_id, role::text, action, account_id, request_id, before, after FROM audit_event WHERE account_id = $1 ORDER BY id`,
    [accountId],
  );
  return rows;
}

describe('createAccount', () => {
  it('creates an account of the BROKER key\'s own broker, audited', async () => {
    const ref = newKey('ref');
    const payload = await ok(api, 'broker', 'createAccount', { externalRef: ref, marginMode: 'CROSS' });
    expect(payload.account).toMatchObject({ brokerId: api.brokers.a, externalRef: ref, marginMode: 'CROSS', version: 1 });
    const events = await audit(payload.account.id);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ api_key_id: api.keys.broker.id, broker_id: api.brokers.a, role: 'BROKER', action: 'createAccount', before: null });
    expect(events[0].after.account.externalRef).toBe(ref);
    expect(events[0].request_id).toEqual(expect.any(String));
  });

  it('lets ADMIN create for any broker, and refuses a duplicate externalRef with ALREADY_EXISTS', async () => {
    const ref = newKey('ref');
    const created = await ok(api, 'admin', 'createAccount', { externalRef: ref, brokerId: api.brokers.b, marginMode: 'PORTFOLIO' });
    expect(created.account).toMatchObject({ brokerId: api.brokers.b, marginMode: 'PORTFOLIO' });
    const { payload } = await mutate(api, 'otherBroker', 'createAccount', { externalRef: ref });
    expect(payload.userErrors).toEqual([{ field: 'externalRef', code: 'ALREADY_EXISTS', message: expect.any(String) }]);
    expect(payload.account).toBeNull();
  });
});

describe('deposit, fills and withdrawals on one account (exact figures)', () => {
  let id: string;
  beforeAll(async () => {
    id = await newAccount();
  });

  it('deposits', async () => {
    const p = await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '10000', reference: 'wire-1' });
    expect(p.balance).toEqual({ asset: { symbol: 'USDC' }, amount: '10000' });
    expect(p.ledgerEntry).toMatchObject({ kind: 'DEPOSIT', amount: '10000', reference: 'wire-1', asset: { symbol: 'USDC' } });
    expect(p.account.version).toBe(2);
    const events = await audit(id);
    expect(events.at(-1)).toMatchObject({
      action: 'deposit',
      before: { version: 1, balance: { asset: 'USDC', amount: { $dec: '0' } } },
      after: { version: 2, balance: { asset: 'USDC', amount: { $dec: '10000' } } },
    });
  });

  it('opens a position with a fee', async () => {
    const p = await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.5', price: '50000', fee: '5' });
    expect(p.position).toMatchObject({ size: '0.5', entryPrice: '50000', realizedPnl: '0', marginType: 'CROSS', isolatedMargin: '0' });
    expect(p.realizedPnl).toBe('0');
    expect(p.ledgerEntries).toEqual([{ kind: 'TRADE_FEE', amount: '-5', asset: { symbol: 'USDC' } }]);
    // 9,995 − IM (25,000 × 2% = 500).
    expect(p.freeCollateral).toBe('9495');
    expect(await balance(id)).toBe('9995');
  });

  it('increases at another price: weighted entry, next tier', async () => {
    const p = await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.5', price: '52000' });
    expect(p.position).toMatchObject({ size: '1', entryPrice: '51000' });
    expect(p.ledgerEntries).toEqual([]);
    // 9,995 + uPnL (1 × (50,000 − 51,000)) − IM (50,000 × 2.5%).
    expect(p.freeCollateral).toBe('7745');
  });

  it('reduces: entry unchanged, PnL realized into the settlement balance, fee debited', async () => {
    const p = await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '-0.25', price: '53000', fee: '1' });
    expect(p.position).toMatchObject({ size: '0.75', entryPrice: '51000', realizedPnl: '500' });
    expect(p.realizedPnl).toBe('500');
    expect(p.ledgerEntries).toEqual([
      { kind: 'REALIZED_PNL', amount: '500', asset: { symbol: 'USDC' } },
      { kind: 'TRADE_FEE', amount: '-1', asset: { symbol: 'USDC' } },
    ]);
    expect(await balance(id)).toBe('10494');
  });

  it('flips through zero: the closed side realizes, the new side enters at the fill price', async () => {
    const p = await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '-1', price: '49000' });
    expect(p.position).toMatchObject({ size: '-0.25', entryPrice: '49000', realizedPnl: '-1000' });
    expect(p.realizedPnl).toBe('-1500');
    expect(await balance(id)).toBe('8994');
    // 8,994 + uPnL (−0.25 × (50,000 − 49,000)) − IM (12,500 × 2%).
    expect(p.freeCollateral).toBe('8494');
  });

  it('refuses a withdrawal that would leave free collateral below zero, and changes nothing', async () => {
    const before = await writeCounts(api);
    const { payload } = await mutate(api, 'broker', 'withdraw', { accountId: id, asset: 'USDC', amount: '8494.000001' });
    expect(payload.userErrors).toEqual([{ field: 'amount', code: 'INSUFFICIENT_MARGIN', message: expect.stringContaining('-0.000001') }]);
    expect(payload.balance).toBeNull();
    expect(await writeCounts(api)).toEqual(before);
    expect(await balance(id)).toBe('8994');
  });

  it('withdraws exactly the free collateral', async () => {
    const p = await ok(api, 'broker', 'withdraw', { accountId: id, asset: 'USDC', amount: '8494' });
    expect(p.balance.amount).toBe('500');
    expect(p.ledgerEntry).toMatchObject({ kind: 'WITHDRAWAL', amount: '-8494' });
    expect(p.freeCollateral).toBe('0');
  });

  it('always allows a fill that only reduces risk, even below initial margin', async () => {
    // Mark up 4%: the short loses 500 and the account drops below IM.
    await setPrices(api, { 'BTC-PERP': '52000' });
    const blocked = await mutate(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '-0.01', price: '52000' });
    expect(blocked.payload.userErrors).toEqual([{ field: 'size', code: 'INSUFFICIENT_MARGIN', message: expect.any(String) }]);
    const reduce = await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.05', price: '52000' });
    expect(reduce.position).toMatchObject({ size: '-0.2', entryPrice: '49000' });
    expect(reduce.realizedPnl).toBe('-150');
    await setPrices(api, { 'BTC-PERP': '50000' });
  });

  it('keeps the ledger and the balance reconciled, and audits every write', async () => {
    const entries = await ledger(id);
    const sum = entries.reduce((acc, e) => acc + Number(e.amount) * 1e6, 0) / 1e6;
    expect(String(sum)).toBe(await balance(id));
    expect(entries.map((e) => e.kind)).toEqual([
      'DEPOSIT', 'TRADE_FEE', 'REALIZED_PNL', 'TRADE_FEE', 'REALIZED_PNL', 'WITHDRAWAL', 'REALIZED_PNL',
    ]);
    const actions = (await audit(id)).map((e) => e.action);
    expect(actions).toEqual(['createAccount', 'deposit', 'applyFill', 'applyFill', 'applyFill', 'applyFill', 'withdraw', 'applyFill']);
  });

  it('shows the new state to reads in the same response and later', async () => {
    const res = await api.gqlAs('broker', `mutation($input: DepositInput!) {
      deposit(input: $input) { account { version balances { asset { symbol } amount } positions { size } } }
      second: deposit(input: { idempotencyKey: "${newKey()}", accountId: "${id}", asset: "USDC", amount: "1" }) { account { balances { amount } } }
    }`, { input: { idempotencyKey: newKey(), accountId: id, asset: 'USDC', amount: '100' } });
    expect(res.errors).toBeUndefined();
    expect(res.data!.deposit.account.balances).toEqual([{ asset: { symbol: 'USDC' }, amount: String(Number(await balance(id)) - 1) }]);
    expect(res.data!.second.account.balances).toEqual([{ amount: await balance(id) }]);
    expect(res.data!.deposit.account.positions).toEqual([{ size: '-0.2' }]);
  });
});

describe('isolated margin', () => {
  it('opens an isolated position with its IM taken from the cross balance, moves margin both ways, releases it on close', async () => {
    const id = await newAccount();
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '1000' });
    const open = await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.01', price: '50000', marginType: 'ISOLATED' });
    // N = 500, IM = 10, moved over from the cross balance.
    expect(open.position).toMatchObject({ size: '0.01', marginType: 'ISOLATED', isolatedMargin: '10' });
    expect(open.ledgerEntries).toEqual([{ kind: 'ISOLATED_TRANSFER', amount: '-10', asset: { symbol: 'USDC' } }]);
    expect(await balance(id)).toBe('990');

    const add = await ok(api, 'broker', 'transferIsolatedMargin', { accountId: id, market: 'BTC-PERP', amount: '90' });
    expect(add).toMatchObject({ position: { isolatedMargin: '100' }, balance: { amount: '900' }, ledgerEntry: { kind: 'ISOLATED_TRANSFER', amount: '-90' }, freeCollateral: '900' });

    const tooMuch = await mutate(api, 'broker', 'transferIsolatedMargin', { accountId: id, market: 'BTC-PERP', amount: '-95' });
    expect(tooMuch.payload.userErrors).toEqual([{ field: 'amount', code: 'INSUFFICIENT_MARGIN', message: expect.any(String) }]);
    const overdraw = await mutate(api, 'broker', 'transferIsolatedMargin', { accountId: id, market: 'BTC-PERP', amount: '-101' });
    expect(overdraw.payload.userErrors[0].code).toBe('INSUFFICIENT_MARGIN');

    const back = await ok(api, 'broker', 'transferIsolatedMargin', { accountId: id, market: 'BTC-PERP', amount: '-90' });
    expect(back).toMatchObject({ position: { isolatedMargin: '10' }, balance: { amount: '990' } });

    const outOfCross = await mutate(api, 'broker', 'transferIsolatedMargin', { accountId: id, market: 'BTC-PERP', amount: '990.000001' });
    expect(outOfCross.payload.userErrors[0].code).toBe('INSUFFICIENT_MARGIN');

    const close = await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '-0.01', price: '50000' });
    expect(close.position).toMatchObject({ size: '0', isolatedMargin: '0' });
    expect(close.ledgerEntries).toEqual([{ kind: 'ISOLATED_TRANSFER', amount: '10', asset: { symbol: 'USDC' } }]);
    expect(await balance(id)).toBe('1000');
  });

  it('refuses to change the margin type of an open position, and transfers on a cross position', async () => {
    const id = await newAccount();
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '1000' });
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.01', price: '50000' });
    const change = await mutate(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.01', price: '50000', marginType: 'ISOLATED' });
    expect(change.payload.userErrors).toEqual([{ field: 'marginType', code: 'BAD_USER_INPUT', message: expect.any(String) }]);
    const transfer = await mutate(api, 'broker', 'transferIsolatedMargin', { accountId: id, market: 'BTC-PERP', amount: '5' });
    expect(transfer.payload.userErrors).toEqual([{ field: 'market', code: 'BAD_USER_INPUT', message: expect.any(String) }]);
  });
});

describe('idempotency', () => {
  it('returns the first response for a retry with the same input and applies it once', async () => {
    const id = await newAccount();
    const input = { idempotencyKey: newKey('retry'), accountId: id, asset: 'USDC', amount: '250' };
    const first = await api.gqlAs('broker', MUTATIONS.deposit, { input });
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '1' });
    // Same value written differently ("250.00" = "250") is the same input.
    const retry = await api.gqlAs('broker', MUTATIONS.deposit, { input: { ...input, amount: '250.00' } });
    expect(retry.data).toEqual(first.data);
    expect(retry.data!.deposit.balance.amount).toBe('250');
    expect(await balance(id)).toBe('251');
    expect((await ledger(id)).filter((e) => e.kind === 'DEPOSIT')).toHaveLength(2);
  });

  it('answers CONFLICT for the same key with another input or another operation, and changes nothing', async () => {
    const id = await newAccount();
    const key = newKey('conflict');
    await api.gqlAs('broker', MUTATIONS.deposit, { input: { idempotencyKey: key, accountId: id, asset: 'USDC', amount: '10' } });
    const before = await writeCounts(api);
    const other = await api.gqlAs('broker', MUTATIONS.deposit, { input: { idempotencyKey: key, accountId: id, asset: 'USDC', amount: '11' } });
    expect(other.errors![0]!.extensions!.code).toBe('CONFLICT');
    const otherOp = await api.gqlAs('broker', MUTATIONS.withdraw, { input: { idempotencyKey: key, accountId: id, asset: 'USDC', amount: '10' } });
    expect(otherOp.errors![0]!.extensions!.code).toBe('CONFLICT');
    expect(await writeCounts(api)).toEqual(before);
  });

  it('scopes keys to the broker: another broker may use the same key', async () => {
    const key = newKey('scoped');
    const a = await api.gqlAs('broker', MUTATIONS.createAccount, { input: { idempotencyKey: key, externalRef: newKey() } });
    const b = await api.gqlAs('otherBroker', MUTATIONS.createAccount, { input: { idempotencyKey: key, externalRef: newKey() } });
    expect(a.data!.createAccount.account.brokerId).toBe(api.brokers.a);
    expect(b.data!.createAccount.account.brokerId).toBe(api.brokers.b);
  });

  it('applies concurrent retries of one key exactly once', async () => {
    const id = await newAccount();
    const input = { idempotencyKey: newKey('race'), accountId: id, asset: 'USDC', amount: '7' };
    const results = await Promise.all(Array.from({ length: 12 }, () => api.gqlAs('broker', MUTATIONS.deposit, { input })));
    for (const r of results) expect(r.data).toEqual(results[0]!.data);
    expect(await balance(id)).toBe('7');
    expect(await ledger(id)).toHaveLength(1);
  });

  it('does not record a refusal: a corrected retry may reuse the key', async () => {
    const id = await newAccount();
    const key = newKey('refused');
    const refused = await api.gqlAs('broker', MUTATIONS.withdraw, { input: { idempotencyKey: key, accountId: id, asset: 'USDC', amount: '5' } });
    expect(refused.data!.withdraw.userErrors[0].code).toBe('INSUFFICIENT_MARGIN');
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '5' });
    const retried = await api.gqlAs('broker', MUTATIONS.withdraw, { input: { idempotencyKey: key, accountId: id, asset: 'USDC', amount: '5' } });
    expect(retried.data!.withdraw.userErrors).toEqual([]);
    expect(await balance(id)).toBe('0');
  });
});

describe('updatePrices', () => {
  it('writes marks and indexes as one batch, appends the index to the price history, never moves back in time', async () => {
    const t = new Date(Date.now() - 1000).toISOString();
    const p = await ok(api, 'oracle', 'updatePrices', {
      marks: [{ market: 'ETH-PERP', price: '3000.5', observedAt: t }],
      indexes: [{ asset: 'ETH', price: '3001', observedAt: t }],
      source: 'test-feed',
    });
    expect(p.marks).toEqual([{ symbol: 'ETH-PERP', price: '3000.5', observedAt: t, source: 'test-feed', applied: true }]);
    expect(p.indexes).toEqual([{ symbol: 'ETH', price: '3001', observedAt: t, source: 'test-feed', applied: true }]);
    const market = await api.gql(`{ market(symbol: "ETH-PERP") { markPrice { price source observedAt } baseAsset { indexPrice { price } } } }`);
    expect(market.data!.market).toEqual({ markPrice: { price: '3000.5', source: 'test-feed', observedAt: t }, baseAsset: { indexPrice: { price: '3001' } } });
    const { rows } = await api.database.db.pool.query(
      `SELECT trim_scale(price)::text AS price FROM price_history WHERE asset_symbol = 'ETH' AND observed_at = $1`,
      [t],
    );
    expect(rows).toEqual([{ price: '3001' }]);
    const older = await ok(api, 'oracle', 'updatePrices', { marks: [{ market: 'ETH-PERP', price: '1', observedAt: new Date(Date.now() - 60_000).toISOString() }] });
    expect(older.marks[0].applied).toBe(false);
    const again = await api.gql(`{ market(symbol: "ETH-PERP") { markPrice { price } } }`);
    expect(again.data!.market.markPrice.price).toBe('3000.5');
    const events = await api.database.db.pool.query(`SELECT role::text, after FROM audit_event WHERE action = 'updatePrices' ORDER BY id DESC LIMIT 2`);
    expect(events.rows[1].role).toBe('ORACLE');
    expect(events.rows[1].after['mark:ETH-PERP']).toMatchObject({ price: { $dec: '3000.5' }, applied: true });
  });
});

describe('markets and tiers', () => {
  const tiers = [
    { notionalFloor: '0', notionalCap: '50000', initialMarginRate: '0.02', maintenanceMarginRate: '0.01' },
    { notionalFloor: '50000', notionalCap: '250000', initialMarginRate: '0.025', maintenanceMarginRate: '0.0125' },
    { notionalFloor: '250000', notionalCap: null, initialMarginRate: '0.05', maintenanceMarginRate: '0.025' },
  ];
  const market = {
    symbol: 'TEST-PERP', kind: 'PERPETUAL', contractType: 'LINEAR', baseAsset: 'SOL', quoteAsset: 'USDC', settlementAsset: 'USDC',
    contractSize: '1', tickSize: '0.01', liquidationFeeRate: '0.01', insuranceFundFeeRate: '0.002', bookDepth: '1000000', tiers,
  };

  it('creates a market with tiers whose maintenance amounts the engine derives, then updates it', async () => {
    const created = await ok(api, 'admin', 'upsertMarket', market);
    expect(created.created).toBe(true);
    expect(created.market.tiers).toEqual([
      { tierIndex: 0, notionalFloor: '0', notionalCap: '50000', initialMarginRate: '0.02', maintenanceMarginRate: '0.01', maintenanceAmount: '0' },
      // 50,000 × (0.0125 − 0.01) = 125; + 250,000 × (0.025 − 0.0125) = 3,125.
      { tierIndex: 1, notionalFloor: '50000', notionalCap: '250000', initialMarginRate: '0.025', maintenanceMarginRate: '0.0125', maintenanceAmount: '125' },
      { tierIndex: 2, notionalFloor: '250000', notionalCap: null, initialMarginRate: '0.05', maintenanceMarginRate: '0.025', maintenanceAmount: '3250' },
    ]);
    const updated = await ok(api, 'admin', 'upsertMarket', { ...market, tiers: undefined, tickSize: '0.05', status: 'REDUCE_ONLY' });
    expect(updated).toMatchObject({ created: false, market: { tickSize: '0.05', status: 'REDUCE_ONLY', liquidationFeeRate: '0.01' } });
    expect(updated.market.tiers).toHaveLength(3);
    const immutable = await mutate(api, 'admin', 'upsertMarket', { ...market, contractType: 'INVERSE', settlementAsset: 'SOL' });
    expect(immutable.payload.userErrors).toEqual([
      { field: 'contractType', code: 'BAD_USER_INPUT', message: expect.any(String) },
      { field: 'settlementAsset', code: 'BAD_USER_INPUT', message: expect.any(String) },
    ]);
  });

  it('replaces a schedule with setMarginTiers', async () => {
    const p = await ok(api, 'admin', 'setMarginTiers', {
      market: 'TEST-PERP',
      tiers: [
        { notionalFloor: '0', notionalCap: '10000', initialMarginRate: '0.1', maintenanceMarginRate: '0.05' },
        { notionalFloor: '10000', notionalCap: null, initialMarginRate: '0.2', maintenanceMarginRate: '0.1' },
      ],
    });
    expect(p.tiers.map((t: any) => t.maintenanceAmount)).toEqual(['0', '500']);
    const events = await api.database.db.pool.query(`SELECT before, after FROM audit_event WHERE action = 'setMarginTiers' ORDER BY id DESC LIMIT 1`);
    expect(events.rows[0].before.tiers).toHaveLength(3);
    expect(events.rows[0].after.tiers).toHaveLength(2);
  });
});

describe('API keys', () => {
  it('creates a key that works at once (plaintext shown once), and revokes it', async () => {
    const input = { idempotencyKey: newKey('key'), role: 'BROKER', brokerId: api.brokers.b, label: 'integration' };
    const created = await api.gqlAs('admin', MUTATIONS.createApiKey, { input });
    const { key, apiKey } = created.data!.createApiKey;
    expect(key).toMatch(new RegExp(`^rk_${apiKey.prefix}_[0-9a-f]{64}$`));
    expect(apiKey).toMatchObject({ role: 'BROKER', brokerId: api.brokers.b, label: 'integration', revokedAt: null });
    const { rows } = await api.database.db.pool.query(`SELECT hash FROM api_key WHERE id = $1`, [apiKey.id]);
    expect(rows[0].hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rows)).not.toContain(key.split('_')[2]);
    const stored = await api.database.db.pool.query(`SELECT response::text FROM idempotency_record WHERE key = $1`, [input.idempotencyKey]);
    expect(stored.rows[0].response).not.toContain(key);
    // A replay cannot show the plaintext again (only its hash exists).
    const replay = await api.gqlAs('admin', MUTATIONS.createApiKey, { input });
    expect(replay.data!.createApiKey).toEqual({ ...created.data!.createApiKey, key: null });

    const asNew = await api.gqlAs({ key }, `{ accounts(first: 5) { edges { node { brokerId } } } }`);
    expect(asNew.data!.accounts.edges.every((e: any) => e.node.brokerId === api.brokers.b)).toBe(true);
    const revoked = await ok(api, 'admin', 'revokeApiKey', { id: apiKey.id });
    expect(revoked.apiKey.revokedAt).toEqual(expect.any(String));
    const after = await api.gqlAs({ key }, `{ markets { symbol } }`);
    expect(after.status).toBe(401);
    expect(after.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
  });
});

describe('prices the margin check cannot use', () => {
  it('maps the engine\'s MISSING_PRICE and STALE_PRICE to errors of the same code, and writes nothing', async () => {
    await ok(api, 'admin', 'upsertMarket', {
      symbol: 'STALE-PERP', kind: 'PERPETUAL', contractType: 'LINEAR', baseAsset: 'ETH', quoteAsset: 'USDC', settlementAsset: 'USDC',
      contractSize: '1', tickSize: '0.01', liquidationFeeRate: '0.01', insuranceFundFeeRate: '0', bookDepth: '1000000', maxPriceAgeSeconds: 60,
      tiers: [{ notionalFloor: '0', initialMarginRate: '0.1', maintenanceMarginRate: '0.05' }],
    });
    const id = await newAccount();
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '1000' });
    const before = await writeCounts(api);
    const missing = await mutate(api, 'broker', 'applyFill', { accountId: id, market: 'STALE-PERP', size: '1', price: '100' });
    expect(missing.res.errors![0]!.extensions).toMatchObject({ code: 'MISSING_PRICE', symbol: 'STALE-PERP' });
    expect(await writeCounts(api)).toEqual(before);

    await ok(api, 'oracle', 'updatePrices', { marks: [{ market: 'STALE-PERP', price: '100', observedAt: new Date(Date.now() - 120_000).toISOString() }] });
    const staleBefore = await writeCounts(api);
    const stale = await mutate(api, 'broker', 'applyFill', { accountId: id, market: 'STALE-PERP', size: '1', price: '100' });
    expect(stale.res.errors![0]!.extensions).toMatchObject({ code: 'STALE_PRICE', symbol: 'STALE-PERP' });
    expect(await writeCounts(api)).toEqual(staleBefore);
  });
});

describe('monitoring rows after a write', () => {
  it('brings the account_risk row (accountsAtRisk, riskSummary) up to date as soon as a write commits', async () => {
    const id = await newAccount();
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '1000' });
    const row = async () =>
      (await api.database.db.pool.query(`SELECT trim_scale(equity)::text AS equity, status::text FROM account_risk WHERE account_id = $1`, [id])).rows[0];
    expect(await row()).toEqual({ equity: '1000', status: 'HEALTHY' });
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.2', price: '50000' });
    await ok(api, 'broker', 'withdraw', { accountId: id, asset: 'USDC', amount: '700' });
    const after = await api.gql(`query($id: ID!) { account(id: $id) { risk { equity status } } }`, { id });
    expect(await row()).toEqual({ equity: after.data!.account.risk.equity, status: after.data!.account.risk.status });
    expect((await row()).equity).toBe('300');
  });
});
