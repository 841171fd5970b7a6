/**
 * Risk-parameter versions over HTTP: each ADMIN parameter change records the whole parameter set in its own
 * transaction (refusals record nothing, oracle inputs are not parameters), AccountRisk reports the version its
 * figures were computed with, and riskParameterVersion gives that parameter set back.
 */
import { startApi, type ApiHarness } from '../helpers/api-server';
import { newKey, ok } from '../helpers/writes';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ kind: 'MIGRATED' });
});
afterAll(async () => {
  await api.stop();
});

async function admin(doc: string, field: string, input: Record<string, unknown>): Promise<any> {
  const res = await api.gqlAs('admin', doc, { input: { idempotencyKey: newKey(field), ...input } });
  expect(res.errors).toBeUndefined();
  return res.data![field];
}
const VERSION = `query($id: ID) { riskParameterVersion(id: $id) { id action requestId parameters } }`;
const versionCount = async () => Number((await api.database.db.pool.query(`SELECT count(*) AS n FROM risk_parameter_version`)).rows[0].n);
const tiers = (imr: string, mmr: string) => [{ notionalFloor: '0', initialMarginRate: imr, maintenanceMarginRate: mmr }];
const UPSERT = `mutation($input: UpsertMarketInput!) { upsertMarket(input: $input) { userErrors { field } } }`;
const perp = {
  symbol: 'BTC-PERP', kind: 'PERPETUAL', contractType: 'LINEAR', baseAsset: 'BTC', quoteAsset: 'USDC', settlementAsset: 'USDC', contractSize: '1',
  tickSize: '0.5', liquidationFeeRate: '0.01', insuranceFundFeeRate: '0', bookDepth: '1000000',
};

it('versions every parameter change; AccountRisk names the version its figures come from, and that version reproduces them', async () => {
  expect((await api.gqlAs('admin', VERSION)).data!.riskParameterVersion).toBeNull();
  const asset = `mutation($input: CreateAssetInput!) { createAsset(input: $input) { userErrors { field } } }`;
  await admin(asset, 'createAsset', { symbol: 'USDC', decimals: 6 });
  await admin(asset, 'createAsset', { symbol: 'BTC', decimals: 8 });
  expect((await admin(UPSERT, 'upsertMarket', { ...perp, tiers: tiers('0.1', '0.05') })).userErrors).toEqual([]);
  expect(await versionCount()).toBe(3);
  const now = new Date().toISOString();
  // Oracle inputs are market data, not parameters: no version.
  await ok(api, 'oracle', 'updatePrices', { marks: [{ market: 'BTC-PERP', price: '40000', observedAt: now }], indexes: [{ asset: 'USDC', price: '1', observedAt: now }, { asset: 'BTC', price: '40000', observedAt: now }] });
  expect(await versionCount()).toBe(3);
  // A refused change records nothing.
  expect((await admin(UPSERT, 'upsertMarket', { ...perp, liquidityLambda: '0' })).userErrors).toEqual([{ field: 'liquidityLambda' }]);
  expect(await versionCount()).toBe(3);

  const id = (await ok(api, 'broker', 'createAccount', { externalRef: 'v' })).account.id;
  await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '10000' });
  await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '1', price: '40000' });
  const RISK = `query($id: ID!) { account(id: $id) { risk { parametersVersion initialMargin maintenanceMargin } } }`;
  const before = (await api.gqlAs('broker', RISK, { id })).data!.account.risk;
  const v3 = (await api.gqlAs('monitor', VERSION)).data!.riskParameterVersion;
  expect(before).toEqual({ parametersVersion: v3.id, initialMargin: '4000', maintenanceMargin: '2000' });
  expect(v3.action).toBe('upsertMarket');

  const set = `mutation($input: SetMarginTiersInput!) { setMarginTiers(input: $input) { userErrors { field } } }`;
  await admin(set, 'setMarginTiers', { market: 'BTC-PERP', tiers: tiers('0.2', '0.1') });
  const after = (await api.gqlAs('broker', RISK, { id })).data!.account.risk;
  expect(Number(after.parametersVersion)).toBeGreaterThan(Number(v3.id));
  expect(after).toMatchObject({ initialMargin: '8000', maintenanceMargin: '4000' });

  // The version the earlier figures name still holds the parameters that produced them: N × imr, N × mmr.
  const old = JSON.parse((await api.gqlAs('admin', VERSION, { id: before.parametersVersion })).data!.riskParameterVersion.parameters);
  const tier = old.tiers.find((t: { market_symbol: string }) => t.market_symbol === 'BTC-PERP');
  expect([40000 * tier.initial_margin_rate, 40000 * tier.maintenance_margin_rate]).toEqual([4000, 2000]);
  expect(old.markets.map((m: { symbol: string }) => m.symbol)).toEqual(['BTC-PERP']);
  expect(old.markets[0]).not.toHaveProperty('funding_index');
  expect(old.assets.map((a: { symbol: string; borrowable: boolean }) => [a.symbol, a.borrowable])).toEqual([['BTC', true], ['USDC', true]]);

  // The audit event of the change names its version, with the same request id.
  const { rows } = await api.database.db.pool.query(
    `SELECT e.request_id, e.after->>'parametersVersion' AS version, v.request_id AS version_request FROM audit_event e
       JOIN risk_parameter_version v ON v.id = (e.after->>'parametersVersion')::bigint WHERE e.action = 'setMarginTiers'`,
  );
  expect(rows).toHaveLength(1);
  expect(rows[0].version).toBe(after.parametersVersion);
  expect(rows[0].request_id).toBe(rows[0].version_request);
});

it('is readable by ADMIN and MONITOR only; a malformed id is BAD_USER_INPUT', async () => {
  expect((await api.gqlAs('broker', VERSION)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect((await api.gqlAs('oracle', VERSION)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  expect((await api.gqlAs('admin', VERSION, { id: 'x' })).errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
  expect((await api.gqlAs('admin', VERSION, { id: '999999' })).data!.riskParameterVersion).toBeNull();
});
