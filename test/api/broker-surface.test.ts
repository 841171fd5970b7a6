/**
 * The broker's trading surface through the account-transition model, over HTTP on the demo venue: option fills
 * (premium moves cash, a short option is margin-checked), setLeverage and setMarginMode (validated, idempotent,
 * audited, refused with INSUFFICIENT_MARGIN exactly when whatIf flags refusesWrite), and the solvers agreeing with
 * the real writes (the answer is accepted, one unit more refused).
 */
import Decimal from 'decimal.js';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { MUTATIONS, mutate, newKey, ok, writeCounts } from '../helpers/writes';

let api: ApiHarness;
let clock = Date.now();
let option = '';
const d = (x: Decimal.Value) => new Decimal(x);

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', now: () => clock });
  const { rows } = await api.database.db.pool.query<{ symbol: string }>(
    `SELECT symbol FROM market WHERE kind = 'OPTION' AND contract_type = 'LINEAR' AND status = 'ACTIVE' ORDER BY symbol LIMIT 1`,
  );
  option = rows[0]!.symbol;
  clock = Date.now();
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

async function mark(market: string): Promise<string> {
  const { rows } = await api.database.db.pool.query<{ price: string }>(`SELECT price::text AS price FROM mark_price WHERE market_symbol = $1`, [market]);
  return d(rows[0]!.price).toFixed();
}

async function newAccount(usdc: string, marginMode = 'CROSS'): Promise<string> {
  const created = await ok(api, 'broker', 'createAccount', { externalRef: newKey('surface'), marginMode });
  const id = created.account.id as string;
  if (d(usdc).gt(0)) await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: usdc });
  return id;
}

const RISK = `query($id: ID!) { account(id: $id) { marginMode balances { asset { symbol } amount }
  positions { market { symbol } size leverage isolatedMargin }
  risk { freeCollateral initialMargin evaluationMethod breakdown { positions { market initialMargin initialRate { leverageRate used } } } } } }`;
async function account(id: string): Promise<any> {
  const res = await api.gqlAs('broker', RISK, { id });
  expect(res.errors).toBeUndefined();
  return res.data!.account;
}
const usdcOf = (a: any) => d(a.balances.find((b: any) => b.asset.symbol === 'USDC')?.amount ?? 0);

const WHAT_IF = `query($id: ID!, $scenarios: [ScenarioInput!]!) { whatIf(accountId: $id, scenarios: $scenarios) {
  after { freeCollateral } brokenLimits { code field refusesWrite operation } } }`;
async function preview(id: string, scenario: Record<string, unknown>): Promise<any> {
  const res = await api.gqlAs('broker', WHAT_IF, { id, scenarios: [scenario] });
  expect(res.errors).toBeUndefined();
  return res.data!.whatIf[0];
}
const refuses = (w: any) => w.brokenLimits.some((l: any) => l.refusesWrite);

async function auditOf(id: string, action: string): Promise<any[]> {
  const { rows } = await api.database.db.pool.query(`SELECT before, after FROM audit_event WHERE account_id = $1 AND action = $2 ORDER BY id`, [id, action]);
  return rows;
}

describe('option fills', () => {
  it('a bought option pays its premium from the cash balance (ledger OPTION_PREMIUM), a sold one receives it', async () => {
    const id = await newAccount('50000');
    const price = await mark(option);
    const bought = await ok(api, 'broker', 'applyFill', { accountId: id, market: option, size: '2', price, fee: '1.5' });
    const premium = d(2).mul(price);
    expect(bought.ledgerEntries.map((e: any) => [e.kind, e.amount])).toEqual([
      ['OPTION_PREMIUM', premium.neg().toFixed()],
      ['TRADE_FEE', '-1.5'],
    ]);
    expect(usdcOf(await account(id)).toFixed()).toBe(d(50000).sub(premium).sub('1.5').toFixed());
    const sold = await ok(api, 'broker', 'applyFill', { accountId: id, market: option, size: '-3', price });
    expect(sold.ledgerEntries.map((e: any) => [e.kind, e.amount])).toEqual([['OPTION_PREMIUM', d(3).mul(price).toFixed()]]);
    expect(sold.position.size).toBe('-1');
  });

  it('a short option is margin-checked: refused with INSUFFICIENT_MARGIN (nothing written) exactly when whatIf says so', async () => {
    const id = await newAccount('2000');
    const price = await mark(option);
    const scenario = { trades: [{ market: option, size: '-50', price }] };
    expect(refuses(await preview(id, scenario))).toBe(true);
    const before = await writeCounts(api);
    const { payload } = await mutate(api, 'broker', 'applyFill', { accountId: id, market: option, size: '-50', price });
    expect(payload.userErrors).toEqual([{ field: 'size', code: 'INSUFFICIENT_MARGIN', message: expect.stringContaining('free collateral') }]);
    expect(await writeCounts(api)).toEqual(before);
  });
});

describe('isolated positions: the what-if is the write', () => {
  it('selling 1 of 3 isolated ETH: whatIf predicts the free collateral and the ledger the fill writes', async () => {
    const id = await newAccount('30000');
    const price = await mark('ETH-PERP');
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'ETH-PERP', size: '3', price, marginType: 'ISOLATED' });
    const sell = d(price).mul('1.01').toDecimalPlaces(2).toFixed();
    const w = await preview(id, { trades: [{ market: 'ETH-PERP', size: '-1', price: sell, fee: '0.75' }] });
    expect(refuses(w)).toBe(false);
    const fill = await ok(api, 'broker', 'applyFill', { accountId: id, market: 'ETH-PERP', size: '-1', price: sell, fee: '0.75' });
    expect(fill.ledgerEntries.map((e: any) => e.kind)).toEqual(['REALIZED_PNL', 'TRADE_FEE', 'ISOLATED_TRANSFER']);
    expect((await account(id)).risk.freeCollateral).toBe(w.after.freeCollateral);
  });
});

describe('setLeverage', () => {
  it('stores the leverage on the position; the engine raises the IM rate to 1/L; idempotent; audited', async () => {
    const id = await newAccount('100000');
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.5', price: await mark('BTC-PERP') });
    const imBefore = d((await account(id)).risk.initialMargin);
    const input = { idempotencyKey: newKey('lev'), accountId: id, market: 'BTC-PERP', leverage: '2' };
    const first = await api.gqlAs('broker', MUTATIONS.setLeverage, { input });
    expect(first.data!.setLeverage.userErrors).toEqual([]);
    expect(first.data!.setLeverage.position.leverage).toBe('2');
    const replay = await api.gqlAs('broker', MUTATIONS.setLeverage, { input });
    expect(replay.data).toEqual(first.data);
    const a = await account(id);
    expect(a.positions[0].leverage).toBe('2');
    const pr = a.risk.breakdown.positions[0];
    expect(pr.initialRate.leverageRate).toBe('0.5');
    expect(pr.initialRate.used).toBe('0.5');
    expect(d(a.risk.initialMargin).gt(imBefore)).toBe(true);
    expect(await auditOf(id, 'setLeverage')).toHaveLength(1);
    const conflict = await api.gqlAs('broker', MUTATIONS.setLeverage, { input: { ...input, leverage: '3' } });
    expect(conflict.errors![0]!.extensions!.code).toBe('CONFLICT');
    // null: back to the market maximum.
    const reset = await ok(api, 'broker', 'setLeverage', { accountId: id, market: 'BTC-PERP', leverage: null });
    expect(reset.position.leverage).toBeNull();
  });

  it('refuses bad input naming the field, and nothing is written', async () => {
    const id = await newAccount('1000');
    const before = await writeCounts(api);
    for (const [input, field] of [
      [{ market: 'BTC-PERP', leverage: '0' }, 'leverage'],
      [{ market: 'BTC-PERP', leverage: '1001' }, 'leverage'],
      [{ market: 'NOPE', leverage: '5' }, 'market'],
      [{ market: 'BTC-PERP', leverage: '5' }, 'market'],
    ] as const) {
      const { payload } = await mutate(api, 'broker', 'setLeverage', { accountId: id, ...input });
      expect([input, payload.userErrors.map((e: any) => [e.code, e.field])]).toEqual([input, [['BAD_USER_INPUT', field]]]);
    }
    expect(await writeCounts(api)).toEqual(before);
  });

  it('a lower leverage that leaves free collateral negative is refused with INSUFFICIENT_MARGIN, as whatIf predicts', async () => {
    const id = await newAccount('10000');
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '1', price: await mark('BTC-PERP') });
    const scenario = { leverageChanges: [{ market: 'BTC-PERP', leverage: '1' }] };
    const w = await preview(id, scenario);
    expect(w.brokenLimits).toContainEqual({ code: 'FREE_COLLATERAL_NEGATIVE', field: 'freeCollateral', refusesWrite: true, operation: 'leverageChanges[0]' });
    const before = await writeCounts(api);
    const { payload } = await mutate(api, 'broker', 'setLeverage', { accountId: id, market: 'BTC-PERP', leverage: '1' });
    expect(payload.userErrors).toEqual([{ field: 'leverage', code: 'INSUFFICIENT_MARGIN', message: expect.any(String) }]);
    expect(await writeCounts(api)).toEqual(before);
  });

  it('a lower leverage of an ISOLATED position tops its margin up to IM from the cross balance', async () => {
    const id = await newAccount('50000');
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'ETH-PERP', size: '2', price: await mark('ETH-PERP'), marginType: 'ISOLATED' });
    const before = await account(id);
    const r = await ok(api, 'broker', 'setLeverage', { accountId: id, market: 'ETH-PERP', leverage: '2' });
    expect(r.ledgerEntries).toHaveLength(1);
    expect(r.ledgerEntries[0].kind).toBe('ISOLATED_TRANSFER');
    const moved = d(r.ledgerEntries[0].amount).neg();
    expect(moved.gt(0)).toBe(true);
    expect(d(r.position.isolatedMargin).toFixed()).toBe(d(before.positions[0].isolatedMargin).add(moved).toFixed());
    expect(usdcOf(await account(id)).toFixed()).toBe(usdcOf(before).sub(moved).toFixed());
  });
});

describe('setMarginMode', () => {
  it('moves an account to PORTFOLIO and back; the same mode changes nothing; audited', async () => {
    const id = await newAccount('100000');
    await ok(api, 'broker', 'applyFill', { accountId: id, market: option, size: '-1', price: await mark(option) });
    const toPortfolio = await ok(api, 'broker', 'setMarginMode', { accountId: id, marginMode: 'PORTFOLIO' });
    expect(toPortfolio.account.marginMode).toBe('PORTFOLIO');
    expect((await account(id)).risk.evaluationMethod).toBe('PORTFOLIO');
    const same = await ok(api, 'broker', 'setMarginMode', { accountId: id, marginMode: 'PORTFOLIO' });
    expect(same.freeCollateral).toBeNull();
    expect((await ok(api, 'broker', 'setMarginMode', { accountId: id, marginMode: 'CROSS' })).account.marginMode).toBe('CROSS');
    const events = await auditOf(id, 'setMarginMode');
    expect(events.map((e) => [e.before.marginMode, e.after.marginMode])).toEqual([
      ['CROSS', 'PORTFOLIO'],
      ['PORTFOLIO', 'PORTFOLIO'],
      ['PORTFOLIO', 'CROSS'],
    ]);
  });

  it('refused with INSUFFICIENT_MARGIN when the account would fall below IM, as the marginModeChange preview says', async () => {
    // A book whose IM differs between the modes; the account is left just above IM in the cheaper one.
    for (const [from, to] of [['CROSS', 'PORTFOLIO'], ['PORTFOLIO', 'CROSS']] as const) {
      const id = await newAccount('200000', from);
      await ok(api, 'broker', 'applyFill', { accountId: id, market: option, size: '-10', price: await mark(option) });
      await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.5', price: await mark('BTC-PERP') });
      const fcFrom = d((await account(id)).risk.freeCollateral);
      const fcTo = d((await preview(id, { marginModeChange: to })).after.freeCollateral);
      if (fcFrom.sub(fcTo).lt(1)) continue;
      await ok(api, 'broker', 'withdraw', { accountId: id, asset: 'USDC', amount: fcFrom.sub(0.5).toDecimalPlaces(2, Decimal.ROUND_DOWN).toFixed() });
      const w = await preview(id, { marginModeChange: to });
      expect(w.brokenLimits).toContainEqual({ code: 'FREE_COLLATERAL_NEGATIVE', field: 'freeCollateral', refusesWrite: true, operation: 'marginModeChange' });
      const before = await writeCounts(api);
      const { payload } = await mutate(api, 'broker', 'setMarginMode', { accountId: id, marginMode: to });
      expect(payload.userErrors).toEqual([{ field: 'marginMode', code: 'INSUFFICIENT_MARGIN', message: expect.any(String) }]);
      expect(await writeCounts(api)).toEqual(before);
      expect((await account(id)).marginMode).toBe(from);
      return;
    }
    throw new Error('no book with different IM between the modes');
  });
});

const SOLVER = `query($id: ID!, $market: String!, $side: Side!, $asset: String!) { account(id: $id) {
  maxTradeSize(market: $market, side: $side) { answer unit unbounded feasible }
  maxWithdrawable(asset: $asset) { answer unit } } }`;

describe('solvers agree with the real writes', () => {
  it.each([
    ['a cross position', 'BTC-PERP', undefined, 'LONG'],
    ['an ISOLATED position', 'ETH-PERP', 'ISOLATED', 'LONG'],
    ['an ISOLATED short', 'ETH-PERP', 'ISOLATED', 'SHORT'],
    ['an option', option, undefined, 'SHORT'],
  ] as const)('maxTradeSize on %s: applyFill accepts the answer at the mark and refuses one size step more', async (_l, marketName, marginType, side) => {
    const market = marketName === '' ? option : marketName;
    const id = await newAccount('20000');
    const price = await mark(market);
    await ok(api, 'broker', 'applyFill', { accountId: id, market, size: side === 'LONG' ? '0.1' : '-0.1', price, ...(marginType ? { marginType } : {}) });
    const res = await api.gqlAs('broker', SOLVER, { id, market, side, asset: 'USDC' });
    expect(res.errors).toBeUndefined();
    const r = res.data!.account.maxTradeSize;
    expect(r.unbounded).toBe(false);
    const sign = side === 'LONG' ? 1 : -1;
    const beyond = await mutate(api, 'broker', 'applyFill', { accountId: id, market, size: d(r.answer).add(r.unit).mul(sign).toFixed(), price });
    expect(beyond.payload.userErrors.map((e: any) => e.code)).toEqual(['INSUFFICIENT_MARGIN']);
    await ok(api, 'broker', 'applyFill', { accountId: id, market, size: d(r.answer).mul(sign).toFixed(), price });
  });

  it('maxWithdrawable: withdraw accepts the answer and refuses one unit more', async () => {
    const id = await newAccount('20000');
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.5', price: await mark('BTC-PERP') });
    const res = await api.gqlAs('broker', SOLVER, { id, market: 'BTC-PERP', side: 'LONG', asset: 'USDC' });
    const r = res.data!.account.maxWithdrawable;
    const beyond = await mutate(api, 'broker', 'withdraw', { accountId: id, asset: 'USDC', amount: d(r.answer).add(r.unit).toFixed() });
    expect(beyond.payload.userErrors.map((e: any) => e.code)).toEqual(['INSUFFICIENT_MARGIN']);
    const done = await ok(api, 'broker', 'withdraw', { accountId: id, asset: 'USDC', amount: d(r.answer).toFixed() });
    expect(d(done.freeCollateral).gte(0)).toBe(true);
  });

  it('depositToReach: after depositing the answer the liquidation price is beyond the target on its side', async () => {
    const id = await newAccount('5000');
    // A long BTC position in a net-short BTC book: its liquidation price is above the mark.
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.2', price: await mark('BTC-PERP') });
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-USD-INVERSE', size: '-300', price: await mark('BTC-USD-INVERSE') });
    const Q = `query($id: ID!, $t: Decimal!) { account(id: $id) { positions { market { symbol } liquidationPrice risk { markPrice } }
      depositToReach(targetLiquidationPrice: $t, market: "BTC-PERP") { answer unit verification { condition } } } }`;
    const first = await api.gqlAs('broker', `query($id: ID!) { account(id: $id) { positions { market { symbol } liquidationPrice risk { markPrice } } } }`, { id });
    const pos = first.data!.account.positions.find((p: any) => p.market.symbol === 'BTC-PERP');
    const liq = d(pos.liquidationPrice);
    const above = liq.gt(pos.risk.markPrice);
    const target = (above ? liq.mul('1.02') : liq.mul('0.98')).toDecimalPlaces(1);
    const res = await api.gqlAs('broker', Q, { id, t: target.toFixed() });
    expect(res.errors).toBeUndefined();
    const r = res.data!.account.depositToReach;
    expect(d(r.answer).gt(0)).toBe(true);
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: d(r.answer).toFixed() });
    const after = await api.gqlAs('broker', `query($id: ID!) { account(id: $id) { positions { market { symbol } liquidationPrice } } }`, { id });
    const liqAfter = d(after.data!.account.positions.find((p: any) => p.market.symbol === 'BTC-PERP').liquidationPrice);
    expect(above ? liqAfter.gte(target) : liqAfter.lte(target)).toBe(true);
  });
});
