/**
 * Interest rates and Black-Scholes-Merton valuation over HTTP (issue 19, items 3 and 4): on an empty venue set up
 * through the API, an ORACLE sets assets' rates with updateInterestRates, a broker holds options bought with
 * applyFill, and the account's option values and greeks (rho included) read back by queries reproduce Hull's
 * published BSM examples (test/fixtures/bsm-examples.json) — the quote asset's rate as r, the underlying's as q.
 * Refusals of the new mutation: roles, bad input (field named, nothing written), idempotency replay and CONFLICT,
 * and a back-dated rate that never replaces a newer one.
 */
import * as fs from 'fs';
import * as path from 'path';
import Decimal from 'decimal.js';
import { bsm } from '../../src/risk/options/black';
import { startApi, type ApiHarness, type KeyName } from '../helpers/api-server';
import { newKey, ok, writeCounts } from '../helpers/writes';

interface HullExample { id: string; inputs: Record<string, number>; expected: Record<string, number>; tolerance: Record<string, number> }
const hull: HullExample[] = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/bsm-examples.json'), 'utf8'));
const example = (id: string): HullExample => {
  const e = hull.find((x) => x.id === id);
  if (!e) throw new Error(`missing example ${id}`);
  return e;
};
const tol = (e: HullExample, key: string): number => e.tolerance[key] ?? e.tolerance.abs!;
function near(actual: string, expected: number, tolerance: number, what: string): void {
  const diff = new Decimal(actual).sub(expected).abs();
  if (diff.gt(tolerance)) throw new Error(`${what}: expected ${expected} ± ${tolerance}, got ${actual}`);
}

const NOW = Date.UTC(2026, 11, 3, 12, 0, 0);
const YEAR_MS = 365 * 86_400_000;
const ERRORS = `userErrors { field code message }`;
const UPDATE = `mutation($input: UpdateInterestRatesInput!) { updateInterestRates(input: $input) { ${ERRORS} updates { asset rate observedAt applied } } }`;
const RATES = `{ assets { symbol interestRate { asset rate observedAt } } }`;
const RISK = `query($id: ID!) { account(id: $id) { risk {
  greeks { underlying delta gamma vega theta rho }
  breakdown { positions { market equityContribution
    option { modelPrice riskFreeRate dividendYield timeToExpiryYears underlyingPrice }
    greeks { perContract { delta gamma vega theta rho } position { delta gamma vega theta rho } } } } } } }`;

let api: ApiHarness;
let account: string;
let clock = NOW - 3_600_000;
/** Strictly increasing observation times (≤ NOW), so every rate set by the test is newer than the last. */
const observed = (): string => new Date((clock += 1000)).toISOString();

async function send(who: KeyName, input: Record<string, unknown>, key = newKey('rates')) {
  const res = await api.gqlAs(who, UPDATE, { input: { idempotencyKey: key, ...input } });
  return { res, payload: res.data?.updateInterestRates ?? null };
}
async function setRates(rates: Record<string, number | string>): Promise<void> {
  const { res, payload } = await send('oracle', { rates: Object.entries(rates).map(([asset, rate]) => ({ asset, rate: String(rate), observedAt: observed() })) });
  if (res.errors || payload.userErrors.length) throw new Error(JSON.stringify(res.errors ?? payload.userErrors));
  expect(payload.updates.every((u: { applied: boolean }) => u.applied)).toBe(true);
}
async function state(): Promise<Record<string, string>> {
  const { rows } = await api.database.db.pool.query(
    `SELECT (SELECT coalesce(string_agg(concat_ws('|', asset_symbol, rate, observed_at), ',' ORDER BY asset_symbol), '') FROM interest_rate) AS rates,
            (SELECT version::text FROM market_data_version WHERE id = 1) AS market_data_version`,
  );
  return { ...rows[0], ...(await writeCounts(api)) };
}
async function risk(): Promise<any> {
  const res = await api.gqlAs('broker', RISK, { id: account });
  expect(res.errors).toBeUndefined();
  return res.data!.account.risk;
}
const positionOf = (r: any, market: string) => r.breakdown.positions.find((p: any) => p.market === market);

beforeAll(async () => {
  api = await startApi({ kind: 'MIGRATED', now: () => NOW });
  const admin = async (name: string, type: string, input: Record<string, unknown>) => {
    const res = await api.gqlAs('admin', `mutation($input: ${type}!) { ${name}(input: $input) { userErrors { field message } } }`, {
      input: { idempotencyKey: newKey(name), ...input },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data![name].userErrors).toEqual([]);
  };
  // USDC: the quote (and settlement) asset, whose rate is r; STK, IDX and GRK: underlyings, whose rates are q.
  for (const a of [{ symbol: 'USDC', decimals: 6 }, { symbol: 'STK', decimals: 8 }, { symbol: 'IDX', decimals: 8 }, { symbol: 'GRK', decimals: 8 }]) {
    await admin('createAsset', 'CreateAssetInput', a);
  }
  const option = (symbol: string, base: string, type: 'CALL' | 'PUT', strike: number, vol: number, years: Decimal.Value) => ({
    symbol, kind: 'OPTION', contractType: 'LINEAR', baseAsset: base, quoteAsset: 'USDC', settlementAsset: 'USDC', contractSize: '1', tickSize: '0.0001',
    liquidationFeeRate: '0.01', insuranceFundFeeRate: '0', bookDepth: '1000000', tiers: [{ notionalFloor: '0', initialMarginRate: '0.1', maintenanceMarginRate: '0.05' }],
    expiry: new Date(NOW + new Decimal(years).mul(YEAR_MS).round().toNumber()).toISOString(), strike: String(strike), optionType: type, impliedVolatility: String(vol),
  });
  const markets = [
    option('STK-C-40', 'STK', 'CALL', 40, 0.2, '0.5'), // Hull Example 15.6
    option('STK-P-40', 'STK', 'PUT', 40, 0.2, '0.5'),
    option('IDX-C-900', 'IDX', 'CALL', 900, 0.2, new Decimal(2).div(12)), // Hull Example 17.1
    option('GRK-C-50', 'GRK', 'CALL', 50, 0.2, new Decimal(20).div(52)), // Hull ch. 19
  ];
  for (const m of markets) await admin('upsertMarket', 'UpsertMarketInput', m);
  const at = new Date(NOW).toISOString();
  await ok(api, 'oracle', 'updatePrices', {
    marks: markets.map((m) => ({ market: m.symbol, price: '1', observedAt: at })),
    indexes: [{ asset: 'USDC', price: '1', observedAt: at }, { asset: 'STK', price: '42', observedAt: at }, { asset: 'IDX', price: '930', observedAt: at }, { asset: 'GRK', price: '49', observedAt: at }],
  });
  account = (await ok(api, 'broker', 'createAccount', { externalRef: 'bsm' })).account.id;
  await ok(api, 'broker', 'deposit', { accountId: account, asset: 'USDC', amount: '100000' });
  // Long one of each: premiums paid in cash (applyFill on LINEAR option markets).
  for (const [market, price] of [['STK-C-40', '4.76'], ['STK-P-40', '0.81'], ['IDX-C-900', '51.83'], ['GRK-C-50', '2.4']]) {
    await ok(api, 'broker', 'applyFill', { accountId: account, market, size: '1', price });
  }
});
afterAll(async () => {
  await api.stop();
});

it('without rates the options are valued as before (r = q = 0: undiscounted Black-76), rho still reported', async () => {
  const r = await risk();
  const p = positionOf(r, 'STK-C-40');
  expect(p.option.riskFreeRate).toBe('0');
  expect(p.option.dividendYield).toBe('0');
  const g = bsm({ type: 'CALL', spot: 42, strike: 40, vol: '0.2', timeYears: '0.5' });
  near(p.option.modelPrice, g.price.toNumber(), 1e-10, 'modelPrice at r = q = 0');
  near(p.greeks.perContract.rho, g.rho.toNumber(), 1e-9, 'rho at r = q = 0');
  const { data } = await api.gqlAs('monitor', RATES);
  expect(data!.assets.every((a: any) => a.interestRate === null)).toBe(true);
});

it('Hull Example 15.6 through the API: USDC r = 10% → call 4.76, put 0.81; greeks match the engine, rho summed per underlying', async () => {
  const e = example('hull-bsm-non-dividend');
  const before = await state();
  await setRates({ USDC: e.inputs.r!, STK: e.inputs.q! });
  expect(BigInt((await state()).market_data_version)).toBeGreaterThan(BigInt(before.market_data_version));
  const { data } = await api.gqlAs('monitor', RATES);
  expect(data!.assets.find((a: any) => a.symbol === 'USDC').interestRate).toEqual({ asset: 'USDC', rate: '0.1', observedAt: expect.any(String) });
  const r = await risk();
  const call = positionOf(r, 'STK-C-40');
  const put = positionOf(r, 'STK-P-40');
  expect(call.option.riskFreeRate).toBe('0.1');
  expect(call.option.underlyingPrice).toBe('42');
  near(call.option.modelPrice, e.expected.call!, tol(e, 'call'), 'call');
  near(put.option.modelPrice, e.expected.put!, tol(e, 'put'), 'put');
  // The API's greeks are the engine's BSM greeks (12 significant digits): theta per day, rho per 1.00 of r.
  const g = bsm({ type: 'CALL', spot: 42, strike: 40, vol: '0.2', timeYears: '0.5', rate: '0.1' });
  const gp = bsm({ type: 'PUT', spot: 42, strike: 40, vol: '0.2', timeYears: '0.5', rate: '0.1' });
  near(call.greeks.perContract.delta, g.delta.toNumber(), 1e-11, 'delta');
  near(call.greeks.perContract.gamma, g.gamma.toNumber(), 1e-11, 'gamma');
  near(call.greeks.perContract.vega, g.vega.toNumber(), 1e-10, 'vega');
  near(call.greeks.perContract.theta, g.thetaPerDay.toNumber(), 1e-12, 'theta');
  near(call.greeks.perContract.rho, g.rho.toNumber(), 1e-10, 'rho');
  near(put.greeks.position.rho, gp.rho.toNumber(), 1e-10, 'put rho');
  const stk = r.greeks.find((x: any) => x.underlying === 'STK');
  near(stk.rho, g.rho.add(gp.rho).toNumber(), 1e-9, 'Σ rho on STK');
  // Parity through the API: C − P = S − K·e^{−rT}.
  near(new Decimal(call.option.modelPrice).sub(put.option.modelPrice).toFixed(), new Decimal(42).sub(new Decimal(40).mul(Math.exp(-0.05))).toNumber(), 1e-9, 'parity');
});

it('Hull Example 17.1 through the API: index call with q = 3% (IDX) and r = 8% (USDC) → 51.83', async () => {
  const e = example('hull-bsm-index-dividend-yield');
  await setRates({ USDC: e.inputs.r!, IDX: e.inputs.q! });
  const p = positionOf(await risk(), 'IDX-C-900');
  expect([p.option.riskFreeRate, p.option.dividendYield]).toEqual(['0.08', '0.03']);
  near(p.option.modelPrice, e.expected.call!, tol(e, 'call'), 'index call');
  near(p.equityContribution, e.expected.call!, tol(e, 'call'), 'position value');
});

it('Hull ch. 19 greeks through the API: delta 0.522, gamma 0.066, vega 12.1, theta −0.0118/day, rho 8.91', async () => {
  const e = example('hull-greeks-20-week-call');
  await setRates({ USDC: e.inputs.r!, GRK: e.inputs.q! });
  const p = positionOf(await risk(), 'GRK-C-50');
  const g = p.greeks.perContract;
  near(p.option.modelPrice, e.expected.call!, tol(e, 'call'), 'price');
  near(g.delta, e.expected.delta!, tol(e, 'delta'), 'delta');
  near(g.gamma, e.expected.gamma!, tol(e, 'gamma'), 'gamma');
  near(g.vega, e.expected.vega!, tol(e, 'vega'), 'vega');
  near(g.theta, e.expected.thetaPerDay!, tol(e, 'thetaPerDay'), 'theta per day');
  near(new Decimal(g.theta).mul(365).toFixed(), e.expected.thetaPerYear!, tol(e, 'thetaPerYear'), 'theta per year');
  near(g.rho, e.expected.rho!, tol(e, 'rho'), 'rho');
});

describe('Haug generalized BSM reference examples (reference-examples.json bsm-haug-*) through the API', () => {
  interface Case { type: 'c' | 'p'; K: number; S: number; q: number; r: number; T: number; vol: number }
  interface Ref { id: string; inputs: any; expected: any; tolerance: { abs: number } }
  const refs: Ref[] = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../fixtures/reference-examples.json'), 'utf8'));
  const ref = (id: string): Ref => refs.find((x) => x.id === id)!;
  const prices = ref('bsm-haug-prices');
  const greekRefs = (['bsm-haug-delta-call', 'bsm-haug-gamma-call', 'bsm-haug-vega-call'] as const).map((id) => ref(id));
  const cases: Case[] = [...prices.inputs.cases, ...greekRefs.map((g) => g.inputs)];
  const symbol = (i: number) => `HAUG-${i}`;
  let haugAccount: string;

  beforeAll(async () => {
    const admin = async (name: string, type: string, input: Record<string, unknown>) => {
      const res = await api.gqlAs('admin', `mutation($input: ${type}!) { ${name}(input: $input) { userErrors { field message } } }`, {
        input: { idempotencyKey: newKey(name), ...input },
      });
      expect(res.errors).toBeUndefined();
      expect(res.data![name].userErrors).toEqual([]);
    };
    // Case i: its own quote asset Qi (rate r, index 1) and underlying Bi (rate q, index S): one rate each.
    const at = new Date(NOW).toISOString();
    const marks: { market: string; price: string; observedAt: string }[] = [];
    const indexes: { asset: string; price: string; observedAt: string }[] = [];
    const rates: Record<string, number> = {};
    for (const [i, c] of cases.entries()) {
      await admin('createAsset', 'CreateAssetInput', { symbol: `Q${i}`, decimals: 8 });
      await admin('createAsset', 'CreateAssetInput', { symbol: `B${i}`, decimals: 8 });
      await admin('upsertMarket', 'UpsertMarketInput', {
        symbol: symbol(i), kind: 'OPTION', contractType: 'LINEAR', baseAsset: `B${i}`, quoteAsset: `Q${i}`, settlementAsset: `Q${i}`, contractSize: '1', tickSize: '0.0001',
        liquidationFeeRate: '0.01', insuranceFundFeeRate: '0', bookDepth: '1000000', tiers: [{ notionalFloor: '0', initialMarginRate: '0.1', maintenanceMarginRate: '0.05' }],
        expiry: new Date(NOW + c.T * YEAR_MS).toISOString(), strike: String(c.K), optionType: c.type === 'c' ? 'CALL' : 'PUT', impliedVolatility: String(c.vol),
      });
      marks.push({ market: symbol(i), price: '1', observedAt: at });
      indexes.push({ asset: `Q${i}`, price: '1', observedAt: at }, { asset: `B${i}`, price: String(c.S), observedAt: at });
      rates[`Q${i}`] = c.r;
      rates[`B${i}`] = c.q;
    }
    await ok(api, 'oracle', 'updatePrices', { marks, indexes });
    await setRates(rates);
    haugAccount = (await ok(api, 'broker', 'createAccount', { externalRef: 'haug' })).account.id;
    for (const i of cases.keys()) {
      await ok(api, 'broker', 'deposit', { accountId: haugAccount, asset: `Q${i}`, amount: '1000' });
      await ok(api, 'broker', 'applyFill', { accountId: haugAccount, market: symbol(i), size: '1', price: '1' });
    }
  });

  it('every price case and the delta, gamma and vega examples reproduce to 1e-4 (r of the quote asset, q of the underlying)', async () => {
    const res = await api.gqlAs('broker', RISK, { id: haugAccount });
    expect(res.errors).toBeUndefined();
    const r = res.data!.account.risk;
    prices.expected.prices.forEach((want: number, i: number) => {
      const p = positionOf(r, symbol(i));
      expect([p.option.riskFreeRate, p.option.dividendYield]).toEqual([String(cases[i]!.r), String(cases[i]!.q)]);
      near(p.option.modelPrice, want, Math.max(prices.tolerance.abs, 1e-4), `${symbol(i)} price`);
    });
    greekRefs.forEach((g, j) => {
      const p = positionOf(r, symbol(prices.expected.prices.length + j));
      for (const [greek, want] of Object.entries(g.expected) as [string, number][]) near(p.greeks.perContract[greek], want, Math.max(g.tolerance.abs, 1e-4), `${g.id} ${greek}`);
    });
  });
});

describe('updateInterestRates refusals', () => {
  async function refused(input: Record<string, unknown>, field: string, code = 'BAD_USER_INPUT') {
    const before = await state();
    const { res, payload } = await send('oracle', input);
    expect(res.errors).toBeUndefined();
    expect(payload.updates).toBeNull();
    expect(payload.userErrors).toEqual(expect.arrayContaining([expect.objectContaining({ field, code })]));
    expect(await state()).toEqual(before);
  }

  it('is ORACLE only: FORBIDDEN for ADMIN, BROKER and MONITOR, nothing written', async () => {
    const before = await state();
    for (const who of ['admin', 'broker', 'monitor'] as KeyName[]) {
      const { res } = await send(who, { rates: [{ asset: 'USDC', rate: '0.2', observedAt: observed() }] });
      expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    }
    expect(await state()).toEqual(before);
  });

  it.each([
    [{ rates: [] }, 'rates'],
    [{ rates: [{ asset: 'USDC', rate: '1.5', observedAt: new Date(NOW).toISOString() }] }, 'rates.0.rate'],
    [{ rates: [{ asset: 'USDC', rate: '-1.01', observedAt: new Date(NOW).toISOString() }] }, 'rates.0.rate'],
    [{ rates: [{ asset: 'USDC', rate: '0.0000000000001', observedAt: new Date(NOW).toISOString() }] }, 'rates.0.rate'],
    [{ rates: [{ asset: 'USDC', rate: '0.01', observedAt: new Date(NOW + 3_600_000).toISOString() }] }, 'rates.0.observedAt'],
    [{ rates: [{ asset: 'NOPE', rate: '0.01', observedAt: new Date(NOW).toISOString() }] }, 'rates.0.asset'],
    [{ rates: [{ asset: 'STK', rate: '0.01', observedAt: new Date(NOW).toISOString() }, { asset: 'STK', rate: '0.02', observedAt: new Date(NOW).toISOString() }] }, 'rates.1.asset'],
  ] as [Record<string, unknown>, string][])('refuses %j naming %s, nothing written', async (input, field) => {
    await refused(input, field);
  });

  it('same key and input replays the first response, writing nothing; another input with the key is CONFLICT', async () => {
    const key = newKey('rates-idem');
    const input = { rates: [{ asset: 'STK', rate: '0.015', observedAt: observed() }] };
    const first = await send('oracle', input, key);
    expect(first.payload.userErrors).toEqual([]);
    expect(first.payload.updates).toEqual([{ asset: 'STK', rate: '0.015', observedAt: input.rates[0]!.observedAt, applied: true }]);
    const before = await state();
    expect((await send('oracle', input, key)).payload).toEqual(first.payload);
    expect(await state()).toEqual(before);
    const other = await send('oracle', { rates: [{ asset: 'STK', rate: '0.016', observedAt: input.rates[0]!.observedAt }] }, key);
    expect(other.res.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    expect(await state()).toEqual(before);
  });

  it('a back-dated rate is answered applied: false and never replaces the newer one; every call is audited', async () => {
    const at = observed();
    await send('oracle', { rates: [{ asset: 'IDX', rate: '0.04', observedAt: at }] });
    const old = new Date(Date.parse(at) - 60_000).toISOString();
    const { payload } = await send('oracle', { rates: [{ asset: 'IDX', rate: '0.09', observedAt: old }] });
    expect(payload.userErrors).toEqual([]);
    expect(payload.updates).toEqual([{ asset: 'IDX', rate: '0.09', observedAt: old, applied: false }]);
    const p = positionOf(await risk(), 'IDX-C-900');
    expect(p.option.dividendYield).toBe('0.04');
    const { rows } = await api.database.db.pool.query(
      `SELECT role::text, before -> 'IDX' AS before, after -> 'IDX' AS after FROM audit_event WHERE action = 'updateInterestRates' ORDER BY id DESC LIMIT 2`,
    );
    expect(rows[0]).toEqual({ role: 'ORACLE', before: { rate: '0.04', observedAt: at }, after: { rate: '0.09', observedAt: old, applied: false } });
    expect(rows[1].after).toEqual({ rate: '0.04', observedAt: at, applied: true });
  });
});
