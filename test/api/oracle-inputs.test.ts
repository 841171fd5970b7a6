/**
 * Oracle inputs over HTTP on an empty venue set up through the API: funding (rate or cumulative index) accruing into
 * positions' funding PnL, implied volatility of option markets, bulk daily-close ingestion feeding value at risk, and
 * back-dated index prices landing in the history without replacing the latest price.
 */
import { startApi, type ApiHarness, type KeyName } from '../helpers/api-server';
import { newKey, ok, writeCounts } from '../helpers/writes';

const ERRORS = `userErrors { field code message }`;
const DOCS = {
  updateFunding: `mutation($input: UpdateFundingInput!) { updateFunding(input: $input) { ${ERRORS} updates { market previousIndex fundingIndex markPrice } } }`,
  setImpliedVolatilities: `mutation($input: SetImpliedVolatilitiesInput!) { setImpliedVolatilities(input: $input) { ${ERRORS} markets { symbol impliedVolatility } } }`,
  ingestPriceHistory: `mutation($input: IngestPriceHistoryInput!) { ingestPriceHistory(input: $input) { ${ERRORS} recorded superseded } }`,
  updatePrices: `mutation($input: UpdatePricesInput!) { updatePrices(input: $input) { ${ERRORS} indexes { symbol applied recordedInHistory } } }`,
} as const;
type Doc = keyof typeof DOCS;

let api: ApiHarness;
let account: string;
const DAY = 86_400_000;
const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());

async function send(who: KeyName, name: Doc, input: Record<string, unknown>, key = newKey(name)) {
  const res = await api.gqlAs(who, DOCS[name], { input: { idempotencyKey: key, ...input } });
  return { res, payload: res.data?.[name] ?? null };
}
async function done(name: Doc, input: Record<string, unknown>) {
  const { res, payload } = await send('oracle', name, input);
  if (res.errors || payload.userErrors.length) throw new Error(`${name}: ${JSON.stringify(res.errors ?? payload.userErrors)}`);
  return payload;
}
async function state(): Promise<Record<string, string>> {
  const { rows } = await api.database.db.pool.query(
    `SELECT (SELECT string_agg(concat_ws('|', symbol, funding_index, implied_volatility), ',' ORDER BY symbol) FROM market) AS markets,
            (SELECT count(*) || '/' || coalesce(sum(price), 0) FROM price_history)::text AS history`,
  );
  return { ...rows[0], ...(await writeCounts(api)) };
}
async function refused(name: Doc, input: Record<string, unknown>, field: string, code = 'BAD_USER_INPUT') {
  const before = await state();
  const { res, payload } = await send('oracle', name, input);
  expect(res.errors).toBeUndefined();
  expect(payload.userErrors).toEqual(expect.arrayContaining([expect.objectContaining({ field, code })]));
  expect(await state()).toEqual(before);
}

const RISK = `query($id: ID!) { account(id: $id) { risk { equity breakdown { positions { market fundingPnl } } } } }`;

beforeAll(async () => {
  api = await startApi({ kind: 'MIGRATED' });
  const admin = (query: string, input: Record<string, unknown>) => api.gqlAs('admin', query, { input: { idempotencyKey: newKey('a'), ...input } });
  for (const a of [{ symbol: 'USDC', decimals: 6 }, { symbol: 'ETH', decimals: 8, initialWeight: '0.8', maintenanceWeight: '0.9' }]) {
    const r = await admin(`mutation($input: CreateAssetInput!) { createAsset(input: $input) { userErrors { field } } }`, a);
    expect(r.data!.createAsset.userErrors).toEqual([]);
  }
  const base = { kind: 'PERPETUAL', contractType: 'LINEAR', baseAsset: 'ETH', quoteAsset: 'USDC', settlementAsset: 'USDC', contractSize: '1', tickSize: '0.01', liquidationFeeRate: '0.01', insuranceFundFeeRate: '0', bookDepth: '1000000', tiers: [{ notionalFloor: '0', initialMarginRate: '0.1', maintenanceMarginRate: '0.05' }] };
  const expiry = new Date(Date.now() + 30 * DAY).toISOString();
  for (const m of [{ ...base, symbol: 'ETH-PERP' }, { ...base, symbol: 'ETH-C-3000', kind: 'OPTION', expiry, strike: '3000', optionType: 'CALL', impliedVolatility: '0.5' }]) {
    const r = await admin(`mutation($input: UpsertMarketInput!) { upsertMarket(input: $input) { userErrors { field message } } }`, m);
    expect(r.data!.upsertMarket.userErrors).toEqual([]);
  }
  const now = new Date().toISOString();
  await ok(api, 'oracle', 'updatePrices', {
    marks: [{ market: 'ETH-PERP', price: '2000', observedAt: now }, { market: 'ETH-C-3000', price: '50', observedAt: now }],
    indexes: [{ asset: 'ETH', price: '2000', observedAt: now }, { asset: 'USDC', price: '1', observedAt: now }],
  });
  account = (await ok(api, 'broker', 'createAccount', { externalRef: 'funding' })).account.id;
  await ok(api, 'broker', 'deposit', { accountId: account, asset: 'USDC', amount: '10000' });
  await ok(api, 'broker', 'applyFill', { accountId: account, market: 'ETH-PERP', size: '2', price: '2000' });
});
afterAll(async () => {
  await api.stop();
});

it('oracle inputs are ORACLE only (FORBIDDEN for ADMIN, BROKER, MONITOR), nothing written', async () => {
  const before = await state();
  const inputs: [Doc, Record<string, unknown>][] = [
    ['updateFunding', { updates: [{ market: 'ETH-PERP', rate: '0.001' }] }],
    ['setImpliedVolatilities', { updates: [{ market: 'ETH-C-3000', impliedVolatility: '0.7' }] }],
    ['ingestPriceHistory', { points: [{ asset: 'ETH', observedAt: new Date(today - DAY).toISOString(), price: '1' }] }],
  ];
  for (const [name, input] of inputs) {
    for (const who of ['admin', 'broker', 'monitor'] as KeyName[]) {
      expect((await send(who, name, input)).res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
  }
  expect(await state()).toEqual(before);
});

describe('updateFunding', () => {
  it('a rate moves the index by rate × mark and accrues into funding PnL (longs pay); an index is set as given; audited; idempotent', async () => {
    const key = newKey('funding');
    const first = await send('oracle', 'updateFunding', { updates: [{ market: 'ETH-PERP', rate: '0.0001' }] }, key);
    expect(first.payload.updates).toEqual([{ market: 'ETH-PERP', previousIndex: '0', fundingIndex: '0.2', markPrice: '2000' }]);
    const replay = await send('oracle', 'updateFunding', { updates: [{ market: 'ETH-PERP', rate: '0.0001' }] }, key);
    expect(replay.payload).toEqual(first.payload);
    const conflict = await send('oracle', 'updateFunding', { updates: [{ market: 'ETH-PERP', rate: '0.0002' }] }, key);
    expect(conflict.res.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    // fundingPnL = −q·c·(F_now − F_position) = −2 × 0.2.
    let risk = (await api.gqlAs('admin', RISK, { id: account })).data!.account.risk;
    expect(risk.breakdown.positions).toEqual([{ market: 'ETH-PERP', fundingPnl: '-0.4' }]);
    expect(risk.equity).toBe('9999.6');

    await done('updateFunding', { updates: [{ market: 'ETH-PERP', cumulativeIndex: '-1' }] });
    risk = (await api.gqlAs('admin', RISK, { id: account })).data!.account.risk;
    expect(risk.breakdown.positions).toEqual([{ market: 'ETH-PERP', fundingPnl: '2' }]);
    const { rows } = await api.database.db.pool.query(`SELECT role::text, before, after FROM audit_event WHERE action = 'updateFunding' ORDER BY id`);
    expect(rows.map((r) => [r.role, r.before['ETH-PERP'], r.after['ETH-PERP'].fundingIndex])).toEqual([
      ['ORACLE', { $dec: '0' }, { $dec: '0.2' }],
      ['ORACLE', { $dec: '0.2' }, { $dec: '-1' }],
    ]);
  });

  it.each([
    [{ updates: [{ market: 'ETH-PERP', rate: '0.001', cumulativeIndex: '1' }] }, 'updates.0.rate'],
    [{ updates: [{ market: 'ETH-PERP' }] }, 'updates.0.rate'],
    [{ updates: [{ market: 'ETH-PERP', rate: '0.2' }] }, 'updates.0.rate'],
    [{ updates: [{ market: 'ETH-PERP', rate: '0.001' }, { market: 'ETH-PERP', rate: '0.001' }] }, 'updates.1.market'],
    [{ updates: [{ market: 'ETH-PERP', rate: '0.001' }, { market: 'ETH-C-3000', rate: '0.001' }] }, 'updates.1.market'],
    [{ updates: [{ market: 'NOPE', rate: '0.001' }] }, 'updates.0.market'],
    [{ updates: [] }, 'updates'],
  ] as [Record<string, unknown>, string][])('refuses %j naming %s, nothing written', async (input, field) => {
    await refused('updateFunding', input, field);
  });
});

describe('setImpliedVolatilities', () => {
  it('sets an option market\'s implied volatility (the engine values with it), refuses other markets', async () => {
    const p = await done('setImpliedVolatilities', { updates: [{ market: 'ETH-C-3000', impliedVolatility: '0.8' }] });
    expect(p.markets).toEqual([{ symbol: 'ETH-C-3000', impliedVolatility: '0.8' }]);
    const what = `query($id: ID!) { whatIf(accountId: $id, scenarios: [{ trades: [{ market: "ETH-C-3000", size: "1", price: "50" }] }]) { after { breakdown { positions { market option { impliedVolatility } } } } } }`;
    const res = await api.gqlAs('admin', what, { id: account });
    const option = res.data!.whatIf[0].after.breakdown.positions.find((x: { market: string }) => x.market === 'ETH-C-3000');
    expect(option.option.impliedVolatility).toBe('0.8');
    await refused('setImpliedVolatilities', { updates: [{ market: 'ETH-PERP', impliedVolatility: '0.8' }] }, 'updates.0.market');
    await refused('setImpliedVolatilities', { updates: [{ market: 'ETH-C-3000', impliedVolatility: '0' }] }, 'updates.0.impliedVolatility');
  });
});

describe('price history', () => {
  it('ingests dated daily closes (the latest of a day kept) and value at risk reads them; the latest index price never moves', async () => {
    const points = [];
    for (let d = 60; d >= 1; d--) points.push({ asset: 'ETH', observedAt: new Date(today - d * DAY + 3_600_000).toISOString(), price: String(2000 + (d % 2 === 0 ? 40 : -40)) });
    // A second observation of the first day, later that day: it replaces the first.
    points.push({ asset: 'ETH', observedAt: new Date(today - 60 * DAY + 7_200_000).toISOString(), price: '1999' });
    const p = await done('ingestPriceHistory', { points });
    expect(p).toEqual({ userErrors: [], recorded: 60, superseded: 1 });
    const { rows } = await api.database.db.pool.query(
      `SELECT count(*)::int AS n, (SELECT trim_scale(price)::text FROM price_history WHERE asset_symbol = 'ETH' ORDER BY observed_at LIMIT 1) AS first,
              (SELECT trim_scale(price)::text FROM index_price WHERE asset_symbol = 'ETH') AS latest FROM price_history WHERE asset_symbol = 'ETH'`,
    );
    // 60 ingested days, plus today's close from the index price set in beforeAll.
    expect(rows[0]).toEqual({ n: 61, first: '1999', latest: '2000' });
    const varQuery = `query($id: ID!) { account(id: $id) { valueAtRisk(confidence: "0.95", horizonDays: 1, method: HISTORICAL) { observations var } } }`;
    const v = await api.gqlAs('admin', varQuery, { id: account });
    expect(v.errors).toBeUndefined();
    expect(v.data!.account.valueAtRisk.observations).toBe(60);
    // An earlier point of a stored day is superseded; future points are refused.
    expect(await done('ingestPriceHistory', { points: [{ asset: 'ETH', observedAt: new Date(today - 60 * DAY + 60_000).toISOString(), price: '5' }] })).toEqual({ userErrors: [], recorded: 0, superseded: 1 });
    await refused('ingestPriceHistory', { points: [{ asset: 'ETH', observedAt: new Date(Date.now() + 3_600_000).toISOString(), price: '1' }] }, 'points.0.observedAt');
    await refused('ingestPriceHistory', { points: [{ asset: 'NOPE', observedAt: new Date(today - DAY).toISOString(), price: '1' }] }, 'points.0.asset');
    await refused('ingestPriceHistory', { points: [{ asset: 'ETH', observedAt: new Date(today - DAY).toISOString(), price: '0' }] }, 'points.0.price');
  });

  it('a back-dated index price is not applied as the latest price but lands in the history as its day\'s close', async () => {
    const day = today - 90 * DAY;
    const res = await send('oracle', 'updatePrices', { indexes: [{ asset: 'ETH', price: '1500', observedAt: new Date(day + 1000).toISOString() }] });
    expect(res.payload.indexes).toEqual([{ symbol: 'ETH', applied: false, recordedInHistory: true }]);
    const { rows } = await api.database.db.pool.query(
      `SELECT (SELECT trim_scale(price)::text FROM price_history WHERE asset_symbol = 'ETH' AND observed_at = $1) AS hist,
              (SELECT trim_scale(price)::text FROM index_price WHERE asset_symbol = 'ETH') AS latest`,
      [new Date(day + 1000)],
    );
    expect(rows[0]).toEqual({ hist: '1500', latest: '2000' });
  });
});

describe('idempotency of every oracle write', () => {
  const day = new Date(today - 200 * DAY).toISOString();
  it.each([
    ['setImpliedVolatilities', { updates: [{ market: 'ETH-C-3000', impliedVolatility: '0.55' }] }, { updates: [{ market: 'ETH-C-3000', impliedVolatility: '0.56' }] }],
    ['ingestPriceHistory', { points: [{ asset: 'ETH', observedAt: day, price: '1000' }] }, { points: [{ asset: 'ETH', observedAt: day, price: '1001' }] }],
  ] as [Doc, Record<string, unknown>, Record<string, unknown>][])('%s: same key and input replays, writing nothing; another input is a CONFLICT', async (name, input, other) => {
    const key = newKey(name);
    const first = await send('oracle', name, input, key);
    expect(first.payload.userErrors).toEqual([]);
    const before = await state();
    expect((await send('oracle', name, input, key)).payload).toEqual(first.payload);
    expect(await state()).toEqual(before);
    expect((await send('oracle', name, other, key)).res.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(await state()).toEqual(before);
  });
});
