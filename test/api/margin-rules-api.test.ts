/**
 * The two margin rules of src/risk/rules/ through the API: parameters set by upsertMarket (validated by the rules'
 * own schemas), stored, read back on Market, reaching the engine through the snapshot loader, reported on the
 * position's breakdown, and in the liquidation and bankruptcy prices. The golden values are the engine tests' hand-
 * worked examples (test/risk/rules/size-addon.test.ts, closing-fee.test.ts), reproduced over HTTP.
 */
import Decimal from 'decimal.js';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { newKey, ok } from '../helpers/writes';

let api: ApiHarness;
let clock = Date.now();
const at = () => new Date((clock = Math.max(clock + 1, Date.now()))).toISOString();

const MARKET_FIELDS = `symbol maintenanceBasis sizeAddonInitial sizeAddonMaintenance closingFeeRate`;
const UPSERT = `mutation($input: UpsertMarketInput!) { upsertMarket(input: $input) { userErrors { code field message } market { ${MARKET_FIELDS} } } }`;
const upsert = (input: Record<string, unknown>) => api.gqlAs('admin', UPSERT, { input: { idempotencyKey: newKey('m'), ...input } });
async function upsertOk(input: Record<string, unknown>): Promise<any> {
  const res = await upsert(input);
  if (res.errors || res.data!.upsertMarket.userErrors.length) throw new Error(JSON.stringify(res.errors ?? res.data!.upsertMarket.userErrors));
  return res.data!.upsertMarket.market;
}
async function createAsset(symbol: string, decimals: number): Promise<void> {
  const res = await api.gqlAs('admin', `mutation($input: CreateAssetInput!) { createAsset(input: $input) { userErrors { field message } } }`, {
    input: { idempotencyKey: newKey('a'), symbol, decimals },
  });
  if (res.errors || res.data!.createAsset.userErrors.length) throw new Error(JSON.stringify(res.errors ?? res.data!.createAsset.userErrors));
}
const perp = (symbol: string, base: string, extra: Record<string, unknown>) => ({
  symbol, kind: 'PERPETUAL', contractType: 'LINEAR', baseAsset: base, quoteAsset: 'USDT', settlementAsset: 'USDT', contractSize: '1',
  liquidationFeeRate: '0.01', insuranceFundFeeRate: '0', bookDepth: '1000000000', ...extra,
});
const marks = (m: Record<string, string>) => {
  const t = at();
  return ok(api, 'oracle', 'updatePrices', { marks: Object.entries(m).map(([market, price]) => ({ market, price, observedAt: t })) });
};
async function isolatedLong(market: string, size: string, price: string, margin: string): Promise<string> {
  const id = (await ok(api, 'broker', 'createAccount', { externalRef: newKey('ref') })).account.id;
  await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDT', amount: '100000' });
  const filled = await ok(api, 'broker', 'applyFill', { accountId: id, market, size, price, marginType: 'ISOLATED' });
  const extra = new Decimal(margin).sub(filled.position.isolatedMargin);
  if (!extra.isZero()) await ok(api, 'broker', 'transferIsolatedMargin', { accountId: id, market, amount: extra.toFixed() });
  return id;
}
const POSITION = `market initialMargin maintenanceMargin liquidationPrice bankruptcyPrice closingFee sizeAddon { initialRate maintenanceRate initialAmount maintenanceAmount }`;
async function position(accountId: string, market: string): Promise<any> {
  const res = await api.gqlAs('broker', `query($id: ID!) { account(id: $id) { risk { breakdown { positions { ${POSITION} } } } } }`, { id: accountId });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.account.risk.breakdown.positions.find((p: { market: string }) => p.market === market);
}
/** The position's isolated status after moving the mark to each price (whatIf). */
async function isolatedStatusAt(accountId: string, market: string, prices: string[]): Promise<string[]> {
  const res = await api.gqlAs('broker', `query($id: ID!, $s: [ScenarioInput!]!) { whatIf(accountId: $id, scenarios: $s) { after { breakdown { positions { market isolatedStatus } } } } }`, {
    id: accountId,
    s: prices.map((price) => ({ priceMoves: [{ market, price }] })),
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data!.whatIf.map((w: any) => w.after.breakdown.positions.find((p: { market: string }) => p.market === market).isolatedStatus);
}

beforeAll(async () => {
  api = await startApi({ kind: 'MIGRATED' });
  await createAsset('USDC', 6);
  await createAsset('USDT', 6);
  await createAsset('BTC-R', 8);
  const t = at();
  await ok(api, 'oracle', 'updatePrices', { indexes: [{ asset: 'USDC', price: '1', observedAt: t }, { asset: 'USDT', price: '1', observedAt: t }] });
});
afterAll(async () => {
  await api.stop();
});

test('size add-on: stored, read back, in IM/MM and the breakdown line, and in the isolated prices (29841.7 / 29685)', async () => {
  // Hand-worked in test/risk/rules/size-addon.test.ts: long 10 at 30000, imr 1%, mmr 0.5%, k_im 0.00005, k_mm 0.000025:
  // IM = 300000·(0.01 + 0.0005) = 3150, MM = 300000·(0.005 + 0.00025) = 1575; isolated margin 3150 ⇒ LP 29841.66… → 29841.7.
  const m = await upsertOk(perp('BTC-SZ', 'BTC-R', {
    tickSize: '0.1', sizeAddonInitial: '0.00005', sizeAddonMaintenance: '0.000025',
    tiers: [{ notionalFloor: '0', initialMarginRate: '0.01', maintenanceMarginRate: '0.005' }],
  }));
  expect(m).toEqual({ symbol: 'BTC-SZ', maintenanceBasis: 'MARK', sizeAddonInitial: '0.00005', sizeAddonMaintenance: '0.000025', closingFeeRate: '0' });
  await marks({ 'BTC-SZ': '30000' });
  const id = await isolatedLong('BTC-SZ', '10', '30000', '3150');
  const p = await position(id, 'BTC-SZ');
  expect(p).toMatchObject({ initialMargin: '3150', maintenanceMargin: '1575', liquidationPrice: '29841.7', bankruptcyPrice: '29685', closingFee: '0' });
  expect(p.sizeAddon).toEqual({ initialRate: '0.0005', maintenanceRate: '0.00025', initialAmount: '150', maintenanceAmount: '75' });
  expect(await isolatedStatusAt(id, 'BTC-SZ', ['29841.7', '29841.6'])).toEqual([expect.not.stringMatching(/^LIQUIDATABLE$/), 'LIQUIDATABLE']);
  // Switched off: no line, the plain tier figures (IM 3000, MM 1500).
  const off = await upsertOk(perp('BTC-SZ', 'BTC-R', { tickSize: '0.1', disable: ['SIZE_ADDON'] }));
  expect(off).toMatchObject({ sizeAddonInitial: null, sizeAddonMaintenance: null });
  expect(await position(id, 'BTC-SZ')).toMatchObject({ sizeAddon: null, initialMargin: '3000', maintenanceMargin: '1500' });
});

test("closing fee: Bybit's isolated example with a 0.06% fee to close liquidates at 19712 (19700 without), bankruptcy 19600", async () => {
  // Hand-worked in test/risk/rules/closing-fee.test.ts: long 1 at 20000, margin 400, MM on the entry notional 100;
  // liquidatable when 400 + (P − 20000) < 100 + 0.0006·P ⇒ P = 19711.83 → 19712 (tick 0.5). Fee line at 20000: 12.
  await upsertOk(perp('BTC-FEE', 'BTC-R', {
    tickSize: '0.5', maintenanceBasis: 'ENTRY', closingFeeRate: '0.0006',
    tiers: [{ notionalFloor: '0', initialMarginRate: '0.01', maintenanceMarginRate: '0.005' }],
  }));
  await marks({ 'BTC-FEE': '20000' });
  const id = await isolatedLong('BTC-FEE', '1', '20000', '400');
  expect(await position(id, 'BTC-FEE')).toMatchObject({ maintenanceMargin: '112', closingFee: '12', liquidationPrice: '19712', bankruptcyPrice: '19600', sizeAddon: null });
  expect(await isolatedStatusAt(id, 'BTC-FEE', ['19712', '19711.5'])).toEqual([expect.not.stringMatching(/^LIQUIDATABLE$/), 'LIQUIDATABLE']);
  // An update that does not mention the fee keeps it; setting 0 turns it off (Bybit's published 19700).
  expect((await upsertOk(perp('BTC-FEE', 'BTC-R', { tickSize: '0.5' }))).closingFeeRate).toBe('0.0006');
  await upsertOk(perp('BTC-FEE', 'BTC-R', { tickSize: '0.5', closingFeeRate: '0' }));
  expect(await position(id, 'BTC-FEE')).toMatchObject({ maintenanceMargin: '100', closingFee: '0', liquidationPrice: '19700' });
});

test('refusals name the field and write nothing', async () => {
  const base = perp('BTC-BAD', 'BTC-R', { tickSize: '0.1', tiers: [{ notionalFloor: '0', initialMarginRate: '0.01', maintenanceMarginRate: '0.005' }] });
  const cases: [Record<string, unknown>, string][] = [
    [{ sizeAddonInitial: '0.00005' }, 'sizeAddonMaintenance'],
    [{ sizeAddonMaintenance: '0.00005' }, 'sizeAddonInitial'],
    [{ sizeAddonInitial: '0.00001', sizeAddonMaintenance: '0.00002' }, 'sizeAddonMaintenance'],
    [{ sizeAddonInitial: '-0.00001', sizeAddonMaintenance: '0' }, 'sizeAddonInitial'],
    [{ sizeAddonInitial: '0.5', sizeAddonMaintenance: '0' }, 'sizeAddonInitial'],
    [{ sizeAddonInitial: '0.00005', sizeAddonMaintenance: '0.00001', disable: ['SIZE_ADDON'] }, 'sizeAddonInitial'],
    [{ closingFeeRate: '-0.0001' }, 'closingFeeRate'],
    [{ closingFeeRate: '0.06' }, 'closingFeeRate'],
  ];
  for (const [extra, field] of cases) {
    const res = await upsert({ ...base, ...extra });
    expect(res.errors).toBeUndefined();
    const errors = res.data!.upsertMarket.userErrors;
    expect([JSON.stringify(extra), errors.map((e: any) => [e.code, e.field])]).toEqual([JSON.stringify(extra), [['BAD_USER_INPUT', field]]]);
  }
  const read = await api.gql(`{ market(symbol: "BTC-BAD") { symbol } }`);
  expect(read.data!.market).toBeNull();
});
