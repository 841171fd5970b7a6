/**
 * Bad input to every mutation gets a clear error — a userError (field + code) or, for values the Decimal /
 * DateTime scalars cannot parse, a GraphQL BAD_USER_INPUT error — and changes nothing.
 */
import { startApi, type ApiHarness, type KeyName } from '../helpers/api-server';
import { MUTATIONS, mutate, ok, setPrices, writeCounts, type MutationName } from '../helpers/writes';

let api: ApiHarness;
let account: string;
let before: Record<string, string>;
const ZERO_ID = '00000000-0000-0000-0000-000000000000';
const future = () => new Date(Date.now() + 60_000).toISOString();
const now = () => new Date().toISOString();

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED' });
  await setPrices(api, { 'BTC-PERP': '50000' });
  account = (await ok(api, 'broker', 'createAccount', { externalRef: 'bad-input' })).account.id;
  await ok(api, 'broker', 'deposit', { accountId: account, asset: 'USDC', amount: '1000' });
  await ok(api, 'admin', 'upsertMarket', {
    symbol: 'ETH-INV', kind: 'FUTURE', contractType: 'INVERSE', baseAsset: 'ETH', quoteAsset: 'USDC', settlementAsset: 'ETH',
    contractSize: '10', tickSize: '0.01', expiry: future(), liquidationFeeRate: '0.01', insuranceFundFeeRate: '0', bookDepth: '100',
    tiers: [{ notionalFloor: '0', initialMarginRate: '0.1', maintenanceMarginRate: '0.05' }],
  });
  before = await writeCounts(api);
});
afterEach(async () => {
  expect(await writeCounts(api)).toEqual(before);
});
afterAll(async () => {
  await api.stop();
});

type Case = [label: string, input: () => Record<string, unknown>, code: string, field: string | null];

/** Each case must be refused with a userError of `code` on `field`. */
function refuses(name: MutationName, who: KeyName, cases: Case[]) {
  it.each(cases)(`${name}: %s`, async (_label, input, code, field) => {
    const { payload, res } = await mutate(api, who, name, input());
    expect(res.errors).toBeUndefined();
    expect(payload.userErrors).toEqual(expect.arrayContaining([{ field, code, message: expect.any(String) }]));
    for (const [key, value] of Object.entries(payload)) if (key !== 'userErrors') expect([key, value]).toEqual([key, null]);
  });
}

/** Each case must be refused by the scalar layer (GraphQL BAD_USER_INPUT, no data). */
function rejectsScalar(name: MutationName, who: KeyName, cases: [string, () => Record<string, unknown>][]) {
  it.each(cases)(`${name}: %s is a GraphQL BAD_USER_INPUT`, async (_label, input) => {
    const { res } = await mutate(api, who, name, input());
    expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.message).toMatch(/decimal|Decimal|DateTime|ISO|range/);
    expect(res.data ?? null).toBeNull();
  });
}

const dep = (extra: Record<string, unknown>) => () => ({ accountId: account, asset: 'USDC', amount: '1', ...extra });
const fill = (extra: Record<string, unknown>) => () => ({ accountId: account, market: 'BTC-PERP', size: '0.01', price: '50000', ...extra });

describe('idempotency key', () => {
  it.each([['empty', ''], ['blank', '   '], ['too long', 'x'.repeat(201)], ['with control characters', 'a\nb']])('refuses an %s key', async (_l, key) => {
    const res = await api.gqlAs('broker', MUTATIONS.deposit, { input: { idempotencyKey: key, accountId: account, asset: 'USDC', amount: '1' } });
    expect(res.data!.deposit.userErrors).toEqual([{ field: 'idempotencyKey', code: 'BAD_USER_INPUT', message: expect.any(String) }]);
  });

  it('refuses a missing key (schema)', async () => {
    const res = await api.gqlAs('broker', MUTATIONS.deposit, { input: { accountId: account, asset: 'USDC', amount: '1' } });
    expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });
});

describe('createAccount', () => {
  refuses('createAccount', 'broker', [
    ['empty externalRef', () => ({ externalRef: '' }), 'BAD_USER_INPUT', 'externalRef'],
    ['oversized externalRef', () => ({ externalRef: 'r'.repeat(129) }), 'BAD_USER_INPUT', 'externalRef'],
    ['duplicate externalRef', () => ({ externalRef: 'bad-input' }), 'ALREADY_EXISTS', 'externalRef'],
    ['malformed brokerId', () => ({ externalRef: 'x', brokerId: 'nope' }), 'BAD_USER_INPUT', 'brokerId'],
  ]);
  refuses('createAccount', 'admin', [
    ['ADMIN without brokerId', () => ({ externalRef: 'x' }), 'BAD_USER_INPUT', 'brokerId'],
    ['unknown broker', () => ({ externalRef: 'x', brokerId: ZERO_ID }), 'NOT_FOUND', 'brokerId'],
  ]);
});

describe('deposit', () => {
  refuses('deposit', 'broker', [
    ['zero amount', dep({ amount: '0' }), 'BAD_USER_INPUT', 'amount'],
    ['negative amount', dep({ amount: '-5' }), 'BAD_USER_INPUT', 'amount'],
    ['oversized amount', dep({ amount: '1e30' }), 'BAD_USER_INPUT', 'amount'],
    ['more decimals than the asset', dep({ amount: '1.0000001' }), 'BAD_USER_INPUT', 'amount'],
    ['unknown asset', dep({ asset: 'DOGE' }), 'BAD_USER_INPUT', 'asset'],
    ['malformed asset', dep({ asset: 'no such asset!' }), 'BAD_USER_INPUT', 'asset'],
    ['unknown account', dep({ accountId: ZERO_ID }), 'NOT_FOUND', 'accountId'],
    ['malformed account id', dep({ accountId: 'acct-1' }), 'NOT_FOUND', 'accountId'],
    ['oversized reference', dep({ reference: 'r'.repeat(300) }), 'BAD_USER_INPUT', 'reference'],
  ]);
  rejectsScalar('deposit', 'broker', [
    ['a malformed decimal', dep({ amount: '12abc' })],
    ['a number instead of a string', dep({ amount: 12.5 })],
    ['hex', dep({ amount: '0x10' })],
    ['NaN', dep({ amount: 'NaN' })],
    ['an absurd exponent', dep({ amount: '1e99' })],
    ['an 81-character number', dep({ amount: '1'.repeat(81) })],
  ]);
});

describe('withdraw', () => {
  refuses('withdraw', 'broker', [
    ['zero amount', dep({ amount: '0' }), 'BAD_USER_INPUT', 'amount'],
    ['negative amount', dep({ amount: '-1' }), 'BAD_USER_INPUT', 'amount'],
    ['unknown asset', dep({ asset: 'DOGE' }), 'BAD_USER_INPUT', 'asset'],
    ['unknown account', dep({ accountId: ZERO_ID }), 'NOT_FOUND', 'accountId'],
    ['more than margin allows', dep({ amount: '1000.000001' }), 'INSUFFICIENT_MARGIN', 'amount'],
  ]);
  rejectsScalar('withdraw', 'broker', [['a malformed decimal', dep({ amount: '1,000' })]]);
});

describe('applyFill', () => {
  refuses('applyFill', 'broker', [
    ['zero size', fill({ size: '0' }), 'BAD_USER_INPUT', 'size'],
    ['oversized size', fill({ size: '1e20' }), 'BAD_USER_INPUT', 'size'],
    ['zero price', fill({ price: '0' }), 'BAD_USER_INPUT', 'price'],
    ['negative price', fill({ price: '-50000' }), 'BAD_USER_INPUT', 'price'],
    ['negative fee', fill({ fee: '-1' }), 'BAD_USER_INPUT', 'fee'],
    ['fee finer than the asset', fill({ fee: '0.0000001' }), 'BAD_USER_INPUT', 'fee'],
    ['unknown market', fill({ market: 'DOGE-PERP' }), 'BAD_USER_INPUT', 'market'],
    ['unknown account', fill({ accountId: ZERO_ID }), 'NOT_FOUND', 'accountId'],
    ['a fill beyond initial margin', fill({ size: '10' }), 'INSUFFICIENT_MARGIN', 'size'],
  ]);
  rejectsScalar('applyFill', 'broker', [['a malformed price', fill({ price: '5e' })]]);

  it('refuses an ISOLATED option fill (options are CROSS only) and changes nothing', async () => {
    const { rows } = await api.database.db.pool.query(`SELECT symbol FROM market WHERE kind = 'OPTION' LIMIT 1`);
    const { payload } = await mutate(api, 'broker', 'applyFill', fill({ market: rows[0].symbol, price: '100', marginType: 'ISOLATED' })());
    expect(payload.userErrors).toEqual([{ field: 'marginType', code: 'BAD_USER_INPUT', message: expect.any(String) }]);
  });
});

describe('transferIsolatedMargin', () => {
  refuses('transferIsolatedMargin', 'broker', [
    ['zero amount', () => ({ accountId: account, market: 'BTC-PERP', amount: '0' }), 'BAD_USER_INPUT', 'amount'],
    ['unknown market', () => ({ accountId: account, market: 'NOPE', amount: '1' }), 'BAD_USER_INPUT', 'market'],
    ['no isolated position', () => ({ accountId: account, market: 'BTC-PERP', amount: '1' }), 'BAD_USER_INPUT', 'market'],
    ['unknown account', () => ({ accountId: ZERO_ID, market: 'BTC-PERP', amount: '1' }), 'NOT_FOUND', 'accountId'],
  ]);
});

describe('updatePrices', () => {
  const mark = (extra: Record<string, unknown>) => () => ({ marks: [{ market: 'BTC-PERP', price: '50001', observedAt: now(), ...extra }] });
  refuses('updatePrices', 'oracle', [
    ['an empty batch', () => ({ marks: [], indexes: [] }), 'BAD_USER_INPUT', null],
    ['a zero price', mark({ price: '0' }), 'BAD_USER_INPUT', 'marks.0.price'],
    ['a negative price', mark({ price: '-1' }), 'BAD_USER_INPUT', 'marks.0.price'],
    ['a time in the future', mark({ observedAt: future() }), 'BAD_USER_INPUT', 'marks.0.observedAt'],
    ['an unknown market', mark({ market: 'NOPE-PERP' }), 'BAD_USER_INPUT', 'marks.0.market'],
    ['an unknown asset', () => ({ indexes: [{ asset: 'NOPE', price: '1', observedAt: now() }] }), 'BAD_USER_INPUT', 'indexes.0.asset'],
    ['a duplicate symbol', () => ({ marks: [mark({})().marks[0], mark({})().marks[0]] }), 'BAD_USER_INPUT', 'marks.1.market'],
    [
      'one bad price in a batch (nothing of it is written)',
      () => ({ marks: [mark({})().marks[0]], indexes: [{ asset: 'BTC', price: '0', observedAt: now() }] }),
      'BAD_USER_INPUT',
      'indexes.0.price',
    ],
  ]);
  rejectsScalar('updatePrices', 'oracle', [
    ['a time without a zone', mark({ observedAt: '2026-01-01T00:00:00' })],
    ['a malformed price', mark({ price: 'cheap' })],
  ]);
});

describe('upsertMarket', () => {
  const base = {
    symbol: 'NEW-PERP', kind: 'PERPETUAL', contractType: 'LINEAR', baseAsset: 'SOL', quoteAsset: 'USDC', settlementAsset: 'USDC',
    contractSize: '1', tickSize: '0.01', liquidationFeeRate: '0.01', insuranceFundFeeRate: '0', bookDepth: '1000',
    tiers: [{ notionalFloor: '0', initialMarginRate: '0.1', maintenanceMarginRate: '0.05' }],
  };
  const m = (extra: Record<string, unknown>) => () => ({ ...base, ...extra });
  refuses('upsertMarket', 'admin', [
    ['a malformed symbol', m({ symbol: 'bad symbol' }), 'BAD_USER_INPUT', 'symbol'],
    ['an unknown asset', m({ baseAsset: 'DOGE' }), 'BAD_USER_INPUT', 'baseAsset'],
    ['zero contract size', m({ contractSize: '0' }), 'BAD_USER_INPUT', 'contractSize'],
    ['negative tick size', m({ tickSize: '-0.01' }), 'BAD_USER_INPUT', 'tickSize'],
    ['a LINEAR market settled in base', m({ settlementAsset: 'SOL' }), 'BAD_USER_INPUT', 'settlementAsset'],
    ['a perpetual with an expiry', m({ expiry: future() }), 'BAD_USER_INPUT', 'kind'],
    ['a future without expiry', m({ kind: 'FUTURE' }), 'BAD_USER_INPUT', 'expiry'],
    ['a new market without tiers', m({ tiers: undefined }), 'BAD_USER_INPUT', 'tiers'],
    ['a new market without bookDepth', m({ bookDepth: undefined }), 'BAD_USER_INPUT', 'bookDepth'],
    ['a fee rate above 50%', m({ liquidationFeeRate: '0.6' }), 'BAD_USER_INPUT', 'liquidationFeeRate'],
    ['a bad tier schedule', m({ tiers: [{ notionalFloor: '10', initialMarginRate: '0.1', maintenanceMarginRate: '0.05' }] }), 'BAD_USER_INPUT', 'tiers.0.notionalFloor'],
    ['an identity change of an existing market', m({ symbol: 'BTC-PERP', baseAsset: 'ETH' }), 'BAD_USER_INPUT', 'baseAsset'],
    ['an invalid maxPriceAgeSeconds', m({ maxPriceAgeSeconds: 0 }), 'BAD_USER_INPUT', 'maxPriceAgeSeconds'],
  ]);
});

describe('setMarginTiers', () => {
  const t = (floor: string, cap: string | null, imr: string, mmr: string) => ({ notionalFloor: floor, notionalCap: cap, initialMarginRate: imr, maintenanceMarginRate: mmr });
  const s = (tiers: unknown[], market = 'BTC-PERP') => () => ({ market, tiers });
  refuses('setMarginTiers', 'admin', [
    ['no tiers', s([]), 'BAD_USER_INPUT', 'tiers'],
    ['a first floor above zero', s([t('1', null, '0.1', '0.05')]), 'BAD_USER_INPUT', 'tiers.0.notionalFloor'],
    ['a gap between tiers', s([t('0', '100', '0.1', '0.05'), t('200', null, '0.2', '0.1')]), 'BAD_USER_INPUT', 'tiers.1.notionalFloor'],
    ['a capped last tier', s([t('0', '100', '0.1', '0.05')]), 'BAD_USER_INPUT', 'tiers.0.notionalCap'],
    ['an open tier before the last', s([t('0', null, '0.1', '0.05'), t('100', null, '0.2', '0.1')]), 'BAD_USER_INPUT', 'tiers.0.notionalCap'],
    ['imr below mmr', s([t('0', null, '0.04', '0.05')]), 'BAD_USER_INPUT', 'tiers.0.initialMarginRate'],
    ['a zero mmr', s([t('0', null, '0.1', '0')]), 'BAD_USER_INPUT', 'tiers.0.maintenanceMarginRate'],
    ['a rate above 1', s([t('0', null, '1.5', '0.05')]), 'BAD_USER_INPUT', 'tiers.0.initialMarginRate'],
    ['a decreasing rate', s([t('0', '100', '0.2', '0.1'), t('100', null, '0.1', '0.05')]), 'BAD_USER_INPUT', 'tiers.1.initialMarginRate'],
    ['an unknown market', s([t('0', null, '0.1', '0.05')], 'NOPE'), 'BAD_USER_INPUT', 'market'],
  ]);
});

describe('createApiKey and revokeApiKey', () => {
  refuses('createApiKey', 'admin', [
    ['a BROKER key without broker', () => ({ role: 'BROKER', label: 'x' }), 'BAD_USER_INPUT', 'brokerId'],
    ['an ORACLE key bound to a broker', () => ({ role: 'ORACLE', label: 'x', brokerId: api.brokers.a }), 'BAD_USER_INPUT', 'brokerId'],
    ['an unknown broker', () => ({ role: 'BROKER', label: 'x', brokerId: ZERO_ID }), 'NOT_FOUND', 'brokerId'],
    ['an empty label', () => ({ role: 'MONITOR', label: '' }), 'BAD_USER_INPUT', 'label'],
  ]);
  refuses('revokeApiKey', 'admin', [
    ['a malformed id', () => ({ id: 'key-1' }), 'BAD_USER_INPUT', 'id'],
    ['an unknown id', () => ({ id: ZERO_ID }), 'NOT_FOUND', 'id'],
  ]);
  it('refuses an unknown role (schema)', async () => {
    const { res } = await mutate(api, 'admin', 'createApiKey', { role: 'ROOT', label: 'x' });
    expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
  });
});
