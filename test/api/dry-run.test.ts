/**
 * Dry runs of risk-parameter changes over HTTP (issue 19, item 6): a dry run writes nothing, refuses exactly as the
 * real change does, and its impact report equals what the real change followed by a sweep reports, string for string.
 */
import { sweepAccountRisk } from '../../src/monitoring/sweep';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { newKey, ok, setPrices } from '../helpers/writes';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ kind: 'MIGRATED' });
});
afterAll(async () => {
  await api.stop();
});

const IMPACT = `impact { accountsEvaluated transitions { from to count } worst { accountId marginRatioBefore marginRatioAfter statusBefore statusAfter }
  markets { market initialMarginBefore initialMarginAfter maintenanceMarginBefore maintenanceMarginAfter } }`;
const SET_TIERS = `mutation($input: SetMarginTiersInput!, $dryRun: Boolean, $worstCount: Int) {
  setMarginTiers(input: $input, dryRun: $dryRun, worstCount: $worstCount) { userErrors { field code message } market { symbol } tiers { tierIndex initialMarginRate maintenanceMarginRate maintenanceAmount } ${IMPACT} } }`;
const RISK = `query($id: ID!) { account(id: $id) { risk { status marginRatio initialMargin maintenanceMargin } } }`;
const tiers = (imr: string, mmr: string) => [{ notionalFloor: '0', initialMarginRate: imr, maintenanceMarginRate: mmr }];

async function counts(): Promise<Record<string, string>> {
  const { rows } = await api.database.db.pool.query(
    `SELECT (SELECT count(*) FROM market)::text AS market, (SELECT count(*) || ':' || coalesce(sum(initial_margin_rate), 0) FROM margin_tier) AS tiers,
            (SELECT count(*) FROM audit_event)::text AS audit, (SELECT count(*) FROM risk_parameter_version)::text AS versions,
            (SELECT count(*) FROM idempotency_record)::text AS idempotency`,
  );
  return rows[0];
}

async function setTiers(who: 'admin' | 'broker', input: Record<string, unknown>, extra: Record<string, unknown> = {}) {
  return api.gqlAs(who, SET_TIERS, { input: { idempotencyKey: newKey('tiers'), ...input }, ...extra });
}

const accounts: string[] = [];

beforeAll(async () => {
  const asset = `mutation($input: CreateAssetInput!) { createAsset(input: $input) { userErrors { field } } }`;
  for (const [symbol, decimals] of [['USDC', 6], ['BTC', 8]] as const) {
    await api.gqlAs('admin', asset, { input: { idempotencyKey: newKey('a'), symbol, decimals } });
  }
  const market = `mutation($input: UpsertMarketInput!) { upsertMarket(input: $input) { userErrors { field } } }`;
  for (const symbol of ['BTC-PERP', 'BTC-PERP2']) {
    const res = await api.gqlAs('admin', market, {
      input: {
        idempotencyKey: newKey('m'), symbol, kind: 'PERPETUAL', contractType: 'LINEAR', baseAsset: 'BTC', quoteAsset: 'USDC', settlementAsset: 'USDC',
        contractSize: '1', tickSize: '0.5', liquidationFeeRate: '0.01', insuranceFundFeeRate: '0', bookDepth: '1000000', maxPriceAgeSeconds: 86_400,
        tiers: tiers('0.1', '0.05'),
      },
    });
    expect(res.data!.upsertMarket.userErrors).toEqual([]);
  }
  await setPrices(api, { 'BTC-PERP': '40000', 'BTC-PERP2': '40000' }, { USDC: '1', BTC: '40000' });
  // Equity after the drop to 38000: 2100, 2500, 4000, 7000, 18000 against IM 3800 / MM 1900 (then 7600 / 3800).
  for (const deposit of ['4100', '4500', '6000', '9000', '20000']) {
    const id = (await ok(api, 'broker', 'createAccount', { externalRef: `d${deposit}` })).account.id;
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: deposit });
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '1', price: '40000' });
    accounts.push(id);
  }
  // Untouched by a change of BTC-PERP: a position on another market only.
  const other = (await ok(api, 'broker', 'createAccount', { externalRef: 'other' })).account.id;
  await ok(api, 'broker', 'deposit', { accountId: other, asset: 'USDC', amount: '5000' });
  await ok(api, 'broker', 'applyFill', { accountId: other, market: 'BTC-PERP2', size: '1', price: '40000' });
  await setPrices(api, { 'BTC-PERP': '38000', 'BTC-PERP2': '38000' }, { BTC: '38000' });
});

async function risks(): Promise<Map<string, { status: string; marginRatio: string | null; initialMargin: string; maintenanceMargin: string }>> {
  const out = new Map();
  for (const id of accounts) out.set(id, (await api.gqlAs('broker', RISK, { id })).data!.account.risk);
  return out;
}

it('reports what the real change and a sweep then report, string for string, and writes nothing', async () => {
  const before = await risks();
  const countsBefore = await counts();
  const dry = await setTiers('admin', { market: 'BTC-PERP', tiers: tiers('0.2', '0.1') }, { dryRun: true, worstCount: 3 });
  expect(dry.errors).toBeUndefined();
  const payload = dry.data!.setMarginTiers;
  expect(payload.userErrors).toEqual([]);
  expect(payload.tiers).toEqual([{ tierIndex: 0, initialMarginRate: '0.2', maintenanceMarginRate: '0.1', maintenanceAmount: '0' }]);
  expect(await counts()).toEqual(countsBefore);
  const impact = payload.impact;
  expect(impact.accountsEvaluated).toBe(5);
  expect(impact.transitions).toEqual([
    { from: 'HEALTHY', to: 'RESTRICTED', count: 2 },
    { from: 'RESTRICTED', to: 'LIQUIDATABLE', count: 2 },
  ]);

  const real = await setTiers('admin', { market: 'BTC-PERP', tiers: tiers('0.2', '0.1') });
  expect(real.data!.setMarginTiers.userErrors).toEqual([]);
  expect(real.data!.setMarginTiers.impact).toBeNull();
  await sweepAccountRisk(api.database.db);
  const after = await risks();

  // Transitions from Account.risk before and after the real change.
  const transitions = new Map<string, number>();
  for (const id of accounts) {
    const [from, to] = [before.get(id)!.status, after.get(id)!.status];
    if (from !== to) transitions.set(`${from}>${to}`, (transitions.get(`${from}>${to}`) ?? 0) + 1);
  }
  expect(Object.fromEntries(transitions)).toEqual(Object.fromEntries(impact.transitions.map((t: any) => [`${t.from}>${t.to}`, t.count])));
  // The worst three after the change, as Account.risk and the sweep's rows report them.
  const { rows } = await api.database.db.pool.query(
    `SELECT account_id::text AS id, margin_ratio::text AS ratio, status FROM account_risk WHERE account_id = ANY($1::uuid[]) ORDER BY ratio_key DESC, account_id LIMIT 3`,
    [accounts],
  );
  expect(impact.worst).toEqual(
    rows.map((r) => ({
      accountId: r.id,
      marginRatioBefore: before.get(r.id)!.marginRatio,
      marginRatioAfter: after.get(r.id)!.marginRatio,
      statusBefore: before.get(r.id)!.status,
      statusAfter: after.get(r.id)!.status,
    })),
  );
  expect(impact.worst.map((w: any) => w.marginRatioAfter)).toEqual(rows.map((r) => after.get(r.id)!.marginRatio));
  expect(impact.worst.map((w: any) => w.statusAfter)).toEqual(rows.map((r) => r.status));
  const sum = (m: typeof before, f: 'initialMargin' | 'maintenanceMargin') => [...m.values()].reduce((s, r) => s + Number(r[f]), 0).toString();
  expect(impact.markets).toEqual([
    {
      market: 'BTC-PERP',
      initialMarginBefore: sum(before, 'initialMargin'),
      initialMarginAfter: sum(after, 'initialMargin'),
      maintenanceMarginBefore: sum(before, 'maintenanceMargin'),
      maintenanceMarginAfter: sum(after, 'maintenanceMargin'),
    },
  ]);
  expect(impact.markets[0]).toEqual({ market: 'BTC-PERP', initialMarginBefore: '19000', initialMarginAfter: '38000', maintenanceMarginBefore: '9500', maintenanceMarginAfter: '19000' });
});

it('refuses exactly as the real change, writing nothing either way', async () => {
  const cases: [Record<string, unknown>, string][] = [
    [{ market: 'BTC-PERP', tiers: tiers('0.05', '0.1') }, 'tiers'],
    [{ market: 'BTC-PERP', tiers: [{ notionalFloor: '0', initialMarginRate: '1.5', maintenanceMarginRate: '0.1' }] }, 'tiers.0.initialMarginRate'],
    [{ market: 'NOPE-PERP', tiers: tiers('0.2', '0.1') }, 'market'],
  ];
  for (const [input, field] of cases) {
    const countsBefore = await counts();
    const dry = await setTiers('admin', input, { dryRun: true });
    const real = await setTiers('admin', input);
    expect(await counts()).toEqual(countsBefore);
    expect(dry.data!.setMarginTiers.userErrors).toEqual(real.data!.setMarginTiers.userErrors);
    expect(dry.data!.setMarginTiers.userErrors.map((e: any) => [e.code, e.field])).toContainEqual(['BAD_USER_INPUT', expect.stringContaining(field)]);
    expect(dry.data!.setMarginTiers.impact).toBeNull();
  }
  const worst = await setTiers('admin', { market: 'BTC-PERP', tiers: tiers('0.2', '0.1') }, { dryRun: true, worstCount: 0 });
  expect(worst.data!.setMarginTiers.userErrors).toEqual([{ field: 'worstCount', code: 'BAD_USER_INPUT', message: 'worstCount must be between 1 and 100' }]);
  const countsBefore = await counts();
  const dry = await setTiers('broker', { market: 'BTC-PERP', tiers: tiers('0.2', '0.1') }, { dryRun: true });
  const real = await setTiers('broker', { market: 'BTC-PERP', tiers: tiers('0.2', '0.1') });
  expect(dry.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect(dry.errors?.[0]?.message).toBe(real.errors?.[0]?.message);
  expect(await counts()).toEqual(countsBefore);
});

const UPSERT = `mutation($input: UpsertMarketInput!, $dryRun: Boolean) { upsertMarket(input: $input, dryRun: $dryRun) { userErrors { field code message } created market { symbol tickSize } ${IMPACT} } }`;
const UPDATE_ASSET = `mutation($input: UpdateAssetInput!, $dryRun: Boolean) { updateAsset(input: $input, dryRun: $dryRun) { userErrors { field code message } asset { symbol initialWeight } ${IMPACT} } }`;
const PORTFOLIO = `mutation($input: SetPortfolioMarginParamsInput!, $dryRun: Boolean) { setPortfolioMarginParams(input: $input, dryRun: $dryRun) { userErrors { field code message } ${IMPACT} } }`;
const perp = {
  symbol: 'BTC-PERP', kind: 'PERPETUAL', contractType: 'LINEAR', baseAsset: 'BTC', quoteAsset: 'USDC', settlementAsset: 'USDC',
  contractSize: '1', tickSize: '0.5', liquidationFeeRate: '0.01', insuranceFundFeeRate: '0', bookDepth: '1000000', maxPriceAgeSeconds: 86_400,
};
async function both(doc: string, field: string, input: Record<string, unknown>) {
  const countsBefore = await counts();
  const dry = await api.gqlAs('admin', doc, { input: { idempotencyKey: newKey(field), ...input }, dryRun: true });
  expect(dry.errors).toBeUndefined();
  expect(await counts()).toEqual(countsBefore);
  return dry.data![field];
}

it('upsertMarket, updateAsset and setPortfolioMarginParams dry-run too: the touched accounts, nothing written, the same refusals', async () => {
  // Tiers 30% / 15% through upsertMarket: the five BTC-PERP accounts at N = 38,000 each.
  const upsert = await both(UPSERT, 'upsertMarket', { ...perp, tiers: tiers('0.3', '0.15') });
  expect(upsert.userErrors).toEqual([]);
  expect(upsert.market).toEqual({ symbol: 'BTC-PERP', tickSize: '0.5' });
  expect(upsert.impact.accountsEvaluated).toBe(5);
  expect(upsert.impact.markets).toEqual([{ market: 'BTC-PERP', initialMarginBefore: '38000', initialMarginAfter: '57000', maintenanceMarginBefore: '19000', maintenanceMarginAfter: '28500' }]);
  const immutable = { ...perp, contractSize: '2' };
  const refusedDry = await both(UPSERT, 'upsertMarket', immutable);
  const refusedReal = (await api.gqlAs('admin', UPSERT, { input: { idempotencyKey: newKey('u'), ...immutable } })).data!.upsertMarket;
  expect(refusedDry.userErrors).toEqual([{ field: 'contractSize', code: 'BAD_USER_INPUT', message: 'contractSize of an existing market cannot change' }]);
  expect(refusedDry.userErrors).toEqual(refusedReal.userErrors);

  // USDC weights: every account holding USDC (the five and the other market's).
  const asset = await both(UPDATE_ASSET, 'updateAsset', { symbol: 'USDC', initialWeight: '0.5', maintenanceWeight: '0.5' });
  expect(asset.userErrors).toEqual([]);
  expect(asset.asset).toEqual({ symbol: 'USDC', initialWeight: '0.5' });
  expect(asset.impact.accountsEvaluated).toBe(6);
  expect(asset.impact.markets.map((m: any) => m.market)).toEqual(['BTC-PERP', 'BTC-PERP2']);
  // Halving the collateral weight halves the margin equities: some accounts move to a worse status.
  expect(asset.impact.transitions.reduce((n: number, t: any) => n + t.count, 0)).toBeGreaterThan(0);
  const badWeight = { symbol: 'USDC', initialWeight: '0.9', maintenanceWeight: '0.8' };
  const weightDry = await both(UPDATE_ASSET, 'updateAsset', badWeight);
  const weightReal = (await api.gqlAs('admin', UPDATE_ASSET, { input: { idempotencyKey: newKey('w'), ...badWeight } })).data!.updateAsset;
  expect(weightDry.userErrors.map((e: any) => e.field)).toEqual(['initialWeight']);
  expect(weightDry.userErrors).toEqual(weightReal.userErrors);

  // Portfolio parameters of BTC: the accounts with positions on BTC markets (all CROSS: no status changes).
  const params = { asset: 'BTC', priceScanRange: '0.15', volScanRange: '0.3', extremeMoveMultiple: '3', extremeMoveCoverage: '0.33', shortOptionMinimum: '0.01', maintenanceFraction: '0.8' };
  const portfolio = await both(PORTFOLIO, 'setPortfolioMarginParams', params);
  expect(portfolio.userErrors).toEqual([]);
  expect(portfolio.impact.accountsEvaluated).toBe(6);
  expect(portfolio.impact.transitions).toEqual([]);
  const unknown = await both(PORTFOLIO, 'setPortfolioMarginParams', { ...params, asset: 'NOPE' });
  const unknownReal = (await api.gqlAs('admin', PORTFOLIO, { input: { idempotencyKey: newKey('p'), ...params, asset: 'NOPE' } })).data!.setPortfolioMarginParams;
  expect(unknown.userErrors).toEqual([{ field: 'asset', code: 'NOT_FOUND', message: 'unknown asset NOPE' }]);
  expect(unknown.userErrors).toEqual(unknownReal.userErrors);
});
