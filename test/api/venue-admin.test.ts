/**
 * Venue administration over HTTP on an empty (migrated, unseeded) venue: brokers, API key listing, assets, insurance
 * funds, portfolio-margin parameters, every engine parameter of upsertMarket, market status and settlement. Each
 * mutation: FORBIDDEN for other roles, BAD_USER_INPUT naming the field with nothing written, idempotent by key
 * (replay, CONFLICT), audited in its own transaction.
 */
import Decimal from 'decimal.js';
import { startApi, type ApiHarness, type KeyName } from '../helpers/api-server';
import { newKey, ok, writeCounts } from '../helpers/writes';

const ERRORS = `userErrors { field code message }`;
const DOCS = {
  createBroker: `mutation($input: CreateBrokerInput!) { createBroker(input: $input) { ${ERRORS} broker { id name createdAt } } }`,
  createAsset: `mutation($input: CreateAssetInput!) { createAsset(input: $input) { ${ERRORS} asset { symbol decimals initialWeight maintenanceWeight initialLiabilityWeight maintenanceLiabilityWeight borrowable } } }`,
  updateAsset: `mutation($input: UpdateAssetInput!) { updateAsset(input: $input) { ${ERRORS} asset { symbol decimals initialWeight maintenanceWeight initialLiabilityWeight maintenanceLiabilityWeight borrowable } } }`,
  setInsuranceFund: `mutation($input: SetInsuranceFundInput!) { setInsuranceFund(input: $input) { ${ERRORS} balance entry { id asset amount balanceAfter reason } } }`,
  setPortfolioMarginParams: `mutation($input: SetPortfolioMarginParamsInput!) { setPortfolioMarginParams(input: $input) { ${ERRORS} params { asset priceScanRange volScanRange extremeMoveMultiple extremeMoveCoverage shortOptionMinimum maintenanceFraction } } }`,
  upsertMarket: `mutation($input: UpsertMarketInput!) { upsertMarket(input: $input) { ${ERRORS} created market { symbol status maintenanceBasis oiLowerCap oiUpperCap volAdjZScore volAdjHorizonDays volAdjLookbackDays liquidityLambda slippageBaseRate slippageImpactFactor optionAlpha optionBeta optionGamma impliedVolatility strike optionType expiry maxPriceAgeSeconds liquidationFeeRate insuranceFundFeeRate } } }`,
  settleMarket: `mutation($input: SettleMarketInput!) { settleMarket(input: $input) { ${ERRORS} positionsClosed accountsSettled market { symbol status settlementPrice settledAt } } }`,
} as const;
type Doc = keyof typeof DOCS;

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ kind: 'MIGRATED' });
});
afterAll(async () => {
  await api.stop();
});

async function send(who: KeyName, name: Doc, input: Record<string, unknown>, key = newKey(name)) {
  const res = await api.gqlAs(who, DOCS[name], { input: { idempotencyKey: key, ...input } });
  return { res, payload: res.data?.[name] ?? null };
}
async function done(name: Doc, input: Record<string, unknown>, who: KeyName = 'admin') {
  const { res, payload } = await send(who, name, input);
  if (res.errors || payload.userErrors.length) throw new Error(`${name}: ${JSON.stringify(res.errors ?? payload.userErrors)}`);
  return payload;
}

/** Everything a venue-administration write could touch (a refused write must leave every figure as it was). */
async function venueCounts(): Promise<Record<string, string>> {
  const { rows } = await api.database.db.pool.query(
    `SELECT (SELECT count(*) FROM broker)::text AS brokers,
            (SELECT string_agg(concat_ws('|', symbol, decimals, initial_weight, maintenance_weight, initial_liability_weight, maintenance_liability_weight, borrowable), ',' ORDER BY symbol) FROM asset) AS assets,
            (SELECT string_agg(asset_symbol || balance::text, ',' ORDER BY asset_symbol) FROM insurance_fund) AS funds,
            (SELECT count(*) FROM insurance_fund_entry)::text AS fund_entries,
            (SELECT string_agg(concat_ws('|', asset_symbol, price_scan_range, maintenance_fraction), ',') FROM portfolio_margin_params) AS pm,
            (SELECT string_agg(concat_ws('|', symbol, status, version, settlement_price), ',' ORDER BY symbol) FROM market) AS market_rows`,
  );
  return { ...rows[0], ...(await writeCounts(api)) };
}

/** Expects a refusal naming `field`, with nothing written. */
async function refused(name: Doc, input: Record<string, unknown>, field: string | null, code = 'BAD_USER_INPUT', who: KeyName = 'admin') {
  const before = await venueCounts();
  const { res, payload } = await send(who, name, input);
  expect(res.errors).toBeUndefined();
  expect(payload.userErrors).toEqual(expect.arrayContaining([expect.objectContaining({ field, code })]));
  expect(await venueCounts()).toEqual(before);
}

async function auditOf(action: string): Promise<any[]> {
  const { rows } = await api.database.db.pool.query(`SELECT role::text, action, before, after FROM audit_event WHERE action = $1 ORDER BY id`, [action]);
  return rows;
}

const usdc = { symbol: 'USDC', decimals: 6 };
const btc = { symbol: 'BTC', decimals: 8, initialWeight: '0.9', maintenanceWeight: '0.95', initialLiabilityWeight: '1.2', maintenanceLiabilityWeight: '1.1', borrowable: false };

describe('role checks', () => {
  it.each([
    ['createBroker', { name: 'x' }],
    ['createAsset', usdc],
    ['updateAsset', { symbol: 'USDC', decimals: 6 }],
    ['setInsuranceFund', { asset: 'USDC', balance: '1', reason: 'r' }],
    ['setPortfolioMarginParams', { asset: 'BTC', priceScanRange: '0.15', volScanRange: '0.25', extremeMoveMultiple: '3', extremeMoveCoverage: '0.33', shortOptionMinimum: '0.01', maintenanceFraction: '0.8' }],
    ['settleMarket', { market: 'X', settlementPrice: '1' }],
  ] as [Doc, Record<string, unknown>][])('%s is ADMIN only (FORBIDDEN for BROKER, ORACLE, MONITOR), nothing written', async (name, input) => {
    const before = await venueCounts();
    for (const who of ['broker', 'oracle', 'monitor'] as KeyName[]) {
      const { res } = await send(who, name, input);
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(await venueCounts()).toEqual(before);
  });

  it('brokers and apiKeys are ADMIN reads', async () => {
    for (const q of ['{ brokers { id } }', '{ apiKeys { id } }']) {
      const res = await api.gqlAs('monitor', q);
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  });
});

describe('brokers and API keys', () => {
  it('creates a broker (audited), replays by key, CONFLICTs on another input, refuses a taken name', async () => {
    const key = newKey('broker');
    const first = await send('admin', 'createBroker', { name: 'gamma-trading' }, key);
    expect(first.payload.userErrors).toEqual([]);
    const again = await send('admin', 'createBroker', { name: 'gamma-trading' }, key);
    expect(again.payload).toEqual(first.payload);
    const conflict = await send('admin', 'createBroker', { name: 'delta-trading' }, key);
    expect(conflict.res.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    await refused('createBroker', { name: 'gamma-trading' }, 'name', 'ALREADY_EXISTS');
    await refused('createBroker', { name: ' ' }, 'name');
    const events = await auditOf('createBroker');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ role: 'ADMIN', before: null, after: { broker: { name: 'gamma-trading', id: first.payload.broker.id } } });
    const listed = await api.gqlAs('admin', '{ brokers { id name } }');
    expect(listed.data!.brokers.map((b: { name: string }) => b.name)).toEqual(['alpha-brokerage', 'beta-markets', 'gamma-trading']);
  });

  it('lists API keys with role, broker, prefix, created, last used and revoked — never a secret', async () => {
    const created = await ok(api, 'admin', 'createApiKey', { role: 'BROKER', brokerId: api.brokers.b, label: 'listing' });
    await ok(api, 'admin', 'revokeApiKey', { id: created.apiKey.id });
    const res = await api.gqlAs('admin', `query($b: ID) { apiKeys(brokerId: $b) { id role brokerId label prefix createdAt lastUsedAt revokedAt } }`, { b: api.brokers.b });
    const keys = res.data!.apiKeys;
    expect(keys.map((k: { id: string }) => k.id).sort()).toEqual([api.keys.otherBroker.id, created.apiKey.id].sort());
    const revoked = keys.find((k: { id: string }) => k.id === created.apiKey.id);
    expect(revoked).toMatchObject({ role: 'BROKER', brokerId: api.brokers.b, label: 'listing', prefix: created.apiKey.prefix });
    expect(revoked.revokedAt).toEqual(expect.any(String));
    expect(JSON.stringify(res.data)).not.toContain(created.key.split('_')[2]);
    const active = await api.gqlAs('admin', `{ apiKeys(role: BROKER, includeRevoked: false) { id revokedAt } }`);
    expect(active.data!.apiKeys.every((k: { revokedAt: string | null }) => k.revokedAt === null)).toBe(true);
    expect(active.data!.apiKeys.map((k: { id: string }) => k.id)).not.toContain(created.apiKey.id);
    const bad = await api.gqlAs('admin', `{ apiKeys(brokerId: "nope") { id } }`);
    expect(bad.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'brokerId' });
  });
});

describe('assets', () => {
  it('creates assets with weights and the borrowable flag, audited; refuses bad weights naming the field', async () => {
    const q = await done('createAsset', usdc);
    expect(q.asset).toEqual({ symbol: 'USDC', decimals: 6, initialWeight: '1', maintenanceWeight: '1', initialLiabilityWeight: '1', maintenanceLiabilityWeight: '1', borrowable: true });
    const b = await done('createAsset', btc);
    expect(b.asset).toEqual({ ...btc });
    await refused('createAsset', { ...btc }, 'symbol', 'ALREADY_EXISTS');
    await refused('createAsset', { symbol: 'ETH', decimals: 19 }, 'decimals');
    await refused('createAsset', { symbol: 'ETH', decimals: 8, initialWeight: '0.96', maintenanceWeight: '0.95' }, 'initialWeight');
    await refused('createAsset', { symbol: 'ETH', decimals: 8, maintenanceWeight: '1.01' }, 'maintenanceWeight');
    await refused('createAsset', { symbol: 'ETH', decimals: 8, initialLiabilityWeight: '1.05', maintenanceLiabilityWeight: '1.1' }, 'initialLiabilityWeight');
    await refused('createAsset', { symbol: 'ETH', decimals: 8, maintenanceLiabilityWeight: '0.9' }, 'maintenanceLiabilityWeight');
    await refused('createAsset', { symbol: 'bad symbol', decimals: 8 }, 'symbol');
    const events = await auditOf('createAsset');
    expect(events.map((e) => e.after.asset.symbol)).toEqual(['USDC', 'BTC']);
  });

  it('updates weights and borrowable (audited before/after), keeps omitted fields, refuses unknown assets and bad results', async () => {
    const p = await done('updateAsset', { symbol: 'BTC', initialWeight: '0.8', borrowable: true });
    expect(p.asset).toMatchObject({ initialWeight: '0.8', maintenanceWeight: '0.95', borrowable: true, decimals: 8 });
    const [event] = await auditOf('updateAsset');
    expect(event.before.asset).toMatchObject({ initialWeight: { $dec: '0.9' }, borrowable: false });
    expect(event.after.asset).toMatchObject({ initialWeight: { $dec: '0.8' }, borrowable: true });
    await refused('updateAsset', { symbol: 'NOPE', decimals: 8 }, 'symbol', 'NOT_FOUND');
    await refused('updateAsset', { symbol: 'BTC', initialWeight: '0.99' }, 'initialWeight');
    await refused('updateAsset', { symbol: 'BTC' }, null);
    await done('updateAsset', { symbol: 'BTC', borrowable: false });
    const read = await api.gqlAs('monitor', `{ assets { symbol borrowable } }`);
    expect(read.data!.assets).toEqual([{ symbol: 'BTC', borrowable: false }, { symbol: 'USDC', borrowable: true }]);
  });
});

describe('insurance funds', () => {
  it('sets and adjusts a fund with a ledger of entries (Σ entries = balance), refuses going below zero', async () => {
    const set = await done('setInsuranceFund', { asset: 'USDC', balance: '1000000', reason: 'initial capital' });
    expect(set).toMatchObject({ balance: '1000000', entry: { asset: 'USDC', amount: '1000000', balanceAfter: '1000000', reason: 'initial capital' } });
    const adj = await done('setInsuranceFund', { asset: 'USDC', adjustment: '-250000.5', reason: 'bad debt of 2026-12-01' });
    expect(adj).toMatchObject({ balance: '749999.5', entry: { amount: '-250000.5', balanceAfter: '749999.5' } });
    await refused('setInsuranceFund', { asset: 'USDC', adjustment: '-749999.6', reason: 'too much' }, 'adjustment');
    await refused('setInsuranceFund', { asset: 'USDC', balance: '1', adjustment: '1', reason: 'both' }, 'adjustment');
    await refused('setInsuranceFund', { asset: 'USDC', balance: '1.0000001', reason: 'precision' }, 'balance');
    await refused('setInsuranceFund', { asset: 'NOPE', balance: '1', reason: 'x' }, 'asset', 'NOT_FOUND');
    await refused('setInsuranceFund', { asset: 'USDC', balance: '1', reason: '' }, 'reason');
    const { rows } = await api.database.db.pool.query(
      `SELECT (SELECT trim_scale(sum(amount))::text FROM insurance_fund_entry WHERE asset_symbol = 'USDC') AS entries,
              (SELECT trim_scale(balance)::text FROM insurance_fund WHERE asset_symbol = 'USDC') AS balance`,
    );
    expect(rows[0]).toEqual({ entries: '749999.5', balance: '749999.5' });
    expect((await auditOf('setInsuranceFund')).map((e) => e.after.balance)).toEqual([{ $dec: '1000000' }, { $dec: '749999.5' }]);
    const read = await api.gqlAs('monitor', `{ assets { symbol insuranceFund } insuranceFundEntries(asset: "USDC") { amount reason } riskSummary { insuranceFunds { asset balance } } }`);
    expect(read.data!.assets.find((a: { symbol: string }) => a.symbol === 'USDC').insuranceFund).toBe('749999.5');
    expect(read.data!.insuranceFundEntries).toEqual([{ amount: '-250000.5', reason: 'bad debt of 2026-12-01' }, { amount: '1000000', reason: 'initial capital' }]);
    expect(read.data!.riskSummary.insuranceFunds).toEqual([{ asset: 'USDC', balance: '749999.5' }]);
  });
});

describe('portfolio-margin parameters', () => {
  const params = { asset: 'BTC', priceScanRange: '0.15', volScanRange: '0.25', extremeMoveMultiple: '3', extremeMoveCoverage: '0.33', shortOptionMinimum: '0.01', maintenanceFraction: '0.8' };
  it('sets and replaces them (audited), readable on the asset; refuses values out of range', async () => {
    expect((await done('setPortfolioMarginParams', params)).params).toEqual(params);
    await done('setPortfolioMarginParams', { ...params, priceScanRange: '0.2' });
    const read = await api.gqlAs('monitor', `{ assets { symbol portfolioMarginParams { priceScanRange maintenanceFraction } } }`);
    expect(read.data!.assets.find((a: { symbol: string }) => a.symbol === 'BTC').portfolioMarginParams).toEqual({ priceScanRange: '0.2', maintenanceFraction: '0.8' });
    const events = await auditOf('setPortfolioMarginParams');
    expect(events[0].before.params).toBeNull();
    expect(events[1].before.params.priceScanRange).toEqual({ $dec: '0.15' });
    await refused('setPortfolioMarginParams', { ...params, priceScanRange: '0' }, 'priceScanRange');
    await refused('setPortfolioMarginParams', { ...params, extremeMoveMultiple: '0.5' }, 'extremeMoveMultiple');
    await refused('setPortfolioMarginParams', { ...params, maintenanceFraction: '1.5' }, 'maintenanceFraction');
    await refused('setPortfolioMarginParams', { ...params, asset: 'NOPE' }, 'asset', 'NOT_FOUND');
  });
});

const tiers = [{ notionalFloor: '0', notionalCap: null, initialMarginRate: '0.1', maintenanceMarginRate: '0.05' }];
const perp = {
  symbol: 'BTC-PERP', kind: 'PERPETUAL', contractType: 'LINEAR', baseAsset: 'BTC', quoteAsset: 'USDC', settlementAsset: 'USDC',
  contractSize: '1', tickSize: '0.5', liquidationFeeRate: '0.01', insuranceFundFeeRate: '0.002', bookDepth: '1000000', tiers,
};

describe('upsertMarket: every engine parameter', () => {
  it('creates a market with maintenance basis, OI scaling, volatility adjustment, liquidity and slippage; keeps omitted ones on update; disables groups', async () => {
    const created = await done('upsertMarket', {
      ...perp, maintenanceBasis: 'ENTRY', oiLowerCap: '1000000', oiUpperCap: '5000000', volAdjZScore: '2.326', volAdjHorizonDays: '2',
      volAdjLookbackDays: 20, liquidityLambda: '0.1', slippageBaseRate: '0.001', slippageImpactFactor: '0.5', maxPriceAgeSeconds: 120,
    });
    expect(created.market).toMatchObject({
      maintenanceBasis: 'ENTRY', oiLowerCap: '1000000', oiUpperCap: '5000000', volAdjZScore: '2.326', volAdjHorizonDays: '2', volAdjLookbackDays: 20,
      liquidityLambda: '0.1', slippageBaseRate: '0.001', slippageImpactFactor: '0.5', maxPriceAgeSeconds: 120, status: 'ACTIVE',
    });
    const kept = await done('upsertMarket', { ...perp, tiers: undefined, liquidityLambda: '0.2' });
    expect(kept.market).toMatchObject({ maintenanceBasis: 'ENTRY', oiUpperCap: '5000000', volAdjZScore: '2.326', liquidityLambda: '0.2' });
    const off = await done('upsertMarket', { ...perp, tiers: undefined, disable: ['OPEN_INTEREST_SCALING', 'VOLATILITY_ADJUSTMENT', 'LIQUIDITY_ADDON'], maintenanceBasis: 'MARK' });
    expect(off.market).toMatchObject({ maintenanceBasis: 'MARK', oiLowerCap: null, oiUpperCap: null, volAdjZScore: null, volAdjHorizonDays: null, volAdjLookbackDays: null, liquidityLambda: null, slippageBaseRate: '0.001' });
    const events = await auditOf('upsertMarket');
    expect(events[events.length - 1].before.market).toMatchObject({ liquidityLambda: { $dec: '0.2' }, maintenanceBasis: 'ENTRY' });
    expect(events[events.length - 1].after.market).toMatchObject({ liquidityLambda: null, maintenanceBasis: 'MARK' });
  });

  it('creates an option market with α β γ and implied volatility', async () => {
    const expiry = new Date(Date.now() + 30 * 86_400_000).toISOString();
    const p = await done('upsertMarket', {
      ...perp, symbol: 'BTC-C-60000', kind: 'OPTION', expiry, strike: '60000', optionType: 'CALL', impliedVolatility: '0.6',
      optionAlpha: '0.15', optionBeta: '0.1', optionGamma: '0.075', tickSize: '0.1',
    });
    expect(p.market).toMatchObject({ optionAlpha: '0.15', optionBeta: '0.1', optionGamma: '0.075', impliedVolatility: '0.6', strike: '60000', optionType: 'CALL' });
  });

  it.each([
    [{ oiLowerCap: '10' }, 'oiUpperCap'],
    [{ oiLowerCap: '10', oiUpperCap: '5' }, 'oiUpperCap'],
    [{ volAdjZScore: '2' }, 'volAdjHorizonDays'],
    [{ volAdjZScore: '11', volAdjHorizonDays: '1' }, 'volAdjZScore'],
    [{ volAdjLookbackDays: 1 }, 'volAdjLookbackDays'],
    [{ liquidityLambda: '0' }, 'liquidityLambda'],
    [{ slippageBaseRate: '0.6' }, 'slippageBaseRate'],
    [{ slippageImpactFactor: '-1' }, 'slippageImpactFactor'],
    [{ optionAlpha: '0.1', optionBeta: '0.1', optionGamma: '0.1' }, 'optionAlpha'],
    [{ liquidityLambda: '0.1', disable: ['LIQUIDITY_ADDON'] }, 'liquidityLambda'],
    [{ status: 'SETTLED' }, 'status'],
  ] as [Record<string, unknown>, string][])('refuses %j naming %s, nothing written', async (extra, field) => {
    await refused('upsertMarket', { ...perp, tiers: undefined, ...extra }, field);
  });

  it('refuses option parameters out of order on an option market', async () => {
    const expiry = new Date(Date.now() + 30 * 86_400_000).toISOString();
    await refused('upsertMarket', { ...perp, symbol: 'BTC-P-1', kind: 'OPTION', expiry, strike: '1', optionType: 'PUT', optionAlpha: '0.1', optionBeta: '0.2', optionGamma: '0.05' }, 'optionBeta');
    await refused('upsertMarket', { ...perp, symbol: 'BTC-P-1', kind: 'OPTION', expiry, strike: '1', optionType: 'PUT', optionAlpha: '0.1' }, 'optionBeta');
  });
});

describe('market status and settlement', () => {
  const FILL = `mutation($input: ApplyFillInput!) { applyFill(input: $input) { ${ERRORS} position { size } } }`;
  const fill = async (accountId: string, size: string, price: string, marginType = 'CROSS') => {
    const res = await api.gqlAs('broker', FILL, { input: { idempotencyKey: newKey('fill'), accountId, market: 'ETH-PERP', size, price, marginType } });
    return res.data!.applyFill;
  };
  const balance = async (accountId: string) =>
    (await api.database.db.pool.query(`SELECT trim_scale(amount)::text AS a FROM balance WHERE account_id = $1 AND asset_symbol = 'USDC'`, [accountId])).rows[0]?.a;

  it('REDUCE_ONLY accepts reducing fills only; SETTLED closes every position at the price with ledger entries, and is final', async () => {
    await done('createAsset', { symbol: 'ETH', decimals: 8 });
    await done('upsertMarket', { ...perp, symbol: 'ETH-PERP', baseAsset: 'ETH', tickSize: '0.01' });
    const now = new Date().toISOString();
    await ok(api, 'oracle', 'updatePrices', { marks: [{ market: 'ETH-PERP', price: '3000', observedAt: now }], indexes: [{ asset: 'ETH', price: '3000', observedAt: now }, { asset: 'USDC', price: '1', observedAt: now }] });
    const a = (await ok(api, 'broker', 'createAccount', { externalRef: newKey('a') })).account.id;
    const b = (await ok(api, 'broker', 'createAccount', { externalRef: newKey('b') })).account.id;
    for (const id of [a, b]) await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '10000' });
    expect((await fill(a, '2', '3000')).userErrors).toEqual([]);
    expect((await fill(b, '-1', '3000', 'ISOLATED')).userErrors).toEqual([]);
    const isolated = (await api.database.db.pool.query(`SELECT trim_scale(isolated_margin)::text AS m FROM position WHERE account_id = $1`, [b])).rows[0].m;
    expect(isolated).toBe('300');

    await done('upsertMarket', { ...perp, symbol: 'ETH-PERP', baseAsset: 'ETH', tickSize: '0.01', tiers: undefined, status: 'REDUCE_ONLY' });
    expect((await fill(a, '1', '3000')).userErrors[0]).toMatchObject({ code: 'MARKET_INACTIVE' });
    expect((await fill(a, '-0.5', '3100')).userErrors).toEqual([]);
    expect(await balance(a)).toBe('10050');

    await refused('settleMarket', { market: 'ETH-PERP', settlementPrice: '3200.005' }, 'settlementPrice');
    await refused('settleMarket', { market: 'NOPE', settlementPrice: '1' }, 'market', 'NOT_FOUND');
    const settled = await done('settleMarket', { market: 'ETH-PERP', settlementPrice: '3200' });
    expect(settled).toMatchObject({ positionsClosed: 2, accountsSettled: 2, market: { status: 'SETTLED', settlementPrice: '3200' } });
    // a: 1.5 long from 3000 at 3200 → +300; b: 1 short from 3000 → −200, and its 300 isolated margin back.
    expect(await balance(a)).toBe('10350');
    expect(await balance(b)).toBe(String(10000 - 300 - 200 + 300));
    const { rows } = await api.database.db.pool.query(
      `SELECT account_id, kind::text, trim_scale(amount)::text AS amount FROM ledger_entry WHERE reference = 'settlement:ETH-PERP' ORDER BY id`,
    );
    expect(rows.map((r) => [r.account_id, r.kind, r.amount])).toEqual([
      [a, 'REALIZED_PNL', '300'],
      [b, 'REALIZED_PNL', '-200'],
      [b, 'ISOLATED_TRANSFER', '300'],
    ].sort((x, y) => (x[0]! < y[0]! ? -1 : x[0]! > y[0]! ? 1 : 0)));
    const sizes = (await api.database.db.pool.query(`SELECT trim_scale(size)::text AS s FROM position WHERE market_symbol = 'ETH-PERP'`)).rows;
    expect(sizes.map((r) => r.s)).toEqual(['0', '0']);
    const accountEvents = (await api.database.db.pool.query(`SELECT account_id FROM audit_event WHERE action = 'settleMarket' AND account_id IS NOT NULL`)).rows;
    expect(accountEvents.map((r) => r.account_id).sort()).toEqual([a, b].sort());

    // Final: no fills, no parameter changes, no second settlement.
    expect((await fill(a, '1', '3000')).userErrors[0]).toMatchObject({ code: 'MARKET_INACTIVE' });
    await refused('upsertMarket', { ...perp, symbol: 'ETH-PERP', baseAsset: 'ETH', tickSize: '0.01', tiers: undefined, status: 'ACTIVE' }, 'symbol', 'MARKET_INACTIVE');
    await refused('settleMarket', { market: 'ETH-PERP', settlementPrice: '3000' }, 'market', 'MARKET_INACTIVE');
  });
});

describe('borrowable assets', () => {
  it('whatIf flags a negative balance of a non-borrowable asset and maxWithdrawable stops at the balance; borrowable lifts both', async () => {
    const now = new Date().toISOString();
    await ok(api, 'oracle', 'updatePrices', { indexes: [{ asset: 'BTC', price: '50000', observedAt: now }, { asset: 'USDC', price: '1', observedAt: now }] });
    const id = (await ok(api, 'broker', 'createAccount', { externalRef: newKey('borrow') })).account.id;
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '100000' });
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'BTC', amount: '1' });
    const read = async () =>
      (await api.gqlAs('broker', `query($id: ID!) { account(id: $id) { maxWithdrawable(asset: "BTC") { answer } }
        whatIf(accountId: $id, scenarios: [{ withdrawals: [{ asset: "BTC", amount: "1.5" }] }]) { brokenLimits { code field } } }`, { id })).data!;
    const fixed = await read();
    expect(fixed.account.maxWithdrawable.answer).toBe('1');
    expect(fixed.whatIf[0].brokenLimits).toEqual([{ code: 'BALANCE_NEGATIVE_WITHOUT_BORROWING', field: 'balances.BTC' }]);
    await done('updateAsset', { symbol: 'BTC', borrowable: true });
    const free = await read();
    expect(new Decimal(free.account.maxWithdrawable.answer).gt(1)).toBe(true);
    expect(free.whatIf[0].brokenLimits).toEqual([]);
    await done('updateAsset', { symbol: 'BTC', borrowable: false });
  });
});

describe('idempotency of every venue-administration write', () => {
  it.each([
    ['createAsset', { symbol: 'IDEM1', decimals: 2 }, { symbol: 'IDEM2', decimals: 2 }],
    ['updateAsset', { symbol: 'USDC', borrowable: true }, { symbol: 'USDC', borrowable: false }],
    ['setInsuranceFund', { asset: 'USDC', adjustment: '1', reason: 'idem' }, { asset: 'USDC', adjustment: '2', reason: 'idem' }],
    ['setPortfolioMarginParams', { asset: 'ETH', priceScanRange: '0.15', volScanRange: '0.25', extremeMoveMultiple: '3', extremeMoveCoverage: '0.33', shortOptionMinimum: '0.01', maintenanceFraction: '0.8' }, { asset: 'ETH', priceScanRange: '0.16', volScanRange: '0.25', extremeMoveMultiple: '3', extremeMoveCoverage: '0.33', shortOptionMinimum: '0.01', maintenanceFraction: '0.8' }],
    ['upsertMarket', { ...perp, tiers: undefined, slippageBaseRate: '0.002' }, { ...perp, tiers: undefined, slippageBaseRate: '0.003' }],
  ] as [Doc, Record<string, unknown>, Record<string, unknown>][])('%s: same key and input replays the first response, writing nothing; another input is a CONFLICT', async (name, input, other) => {
    const key = newKey(name);
    const first = await send('admin', name, input, key);
    expect(first.res.errors).toBeUndefined();
    expect(first.payload.userErrors).toEqual([]);
    const before = await venueCounts();
    const again = await send('admin', name, input, key);
    expect(again.payload).toEqual(first.payload);
    expect(await venueCounts()).toEqual(before);
    const conflict = await send('admin', name, other, key);
    expect(conflict.res.errors?.[0]?.extensions).toMatchObject({ code: 'CONFLICT', field: 'idempotencyKey' });
    expect(await venueCounts()).toEqual(before);
  });

  it('settleMarket: a replay returns the first settlement and closes nothing twice', async () => {
    await done('upsertMarket', { ...perp, symbol: 'ETH-PERP-2', baseAsset: 'ETH', tickSize: '0.01' });
    const key = newKey('settle');
    const first = await send('admin', 'settleMarket', { market: 'ETH-PERP-2', settlementPrice: '3000' }, key);
    expect(first.payload).toMatchObject({ userErrors: [], positionsClosed: 0, market: { status: 'SETTLED' } });
    const before = await venueCounts();
    expect((await send('admin', 'settleMarket', { market: 'ETH-PERP-2', settlementPrice: '3000' }, key)).payload).toEqual(first.payload);
    expect(await venueCounts()).toEqual(before);
    const conflict = await send('admin', 'settleMarket', { market: 'ETH-PERP-2', settlementPrice: '3001' }, key);
    expect(conflict.res.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });
});
