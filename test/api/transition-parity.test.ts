/**
 * Parity of the account-transition model through the HTTP API (fast-check, fixed seed): on random books (cross and
 * PORTFOLIO accounts; cross and isolated positions; linear, inverse, future and option markets; USDC, BTC and ETH
 * collateral) and random sequences of operations (fills, isolated transfers, deposits, withdrawals, leverage and
 * margin-mode changes), before every write `whatIf` previews it, then the write runs:
 *   - whatIf refuses the input (BAD_USER_INPUT) ⇔ the write does;
 *   - a brokenLimit with refusesWrite ⇔ the write answers INSUFFICIENT_MARGIN (and the account is unchanged);
 *   - otherwise `Account.risk` after the write equals whatIf's after-state, string for string.
 * The server's clock is frozen, so option values (time to expiry) do not move between the two requests.
 */
import fc from 'fast-check';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { newKey } from '../helpers/writes';

const RUNS = { numRuns: 8, seed: Number(process.env.FC_SEED ?? 20261202), endOnFailure: true };

const POSITION = `market marginType side size entryPrice markPrice notional notionalUsd initialMargin maintenanceMargin
  unrealizedPnl fundingPnl isolatedMargin isolatedEquity isolatedStatus liquidationPrice bankruptcyPrice marginMethod
  equityContribution`;
const RISK = `equity crossEquity initialMarginEquity marginEquity initialMargin maintenanceMargin freeCollateral marginRatio
  totalNotional leverage status evaluationMethod
  breakdown { positions { ${POSITION} } balances { asset amount value initialWeightedValue maintenanceWeightedValue } crossPnl isolatedEquity optionValue }`;
const WHAT_IF = `query($id: ID!, $scenarios: [ScenarioInput!]!) { whatIf(accountId: $id, scenarios: $scenarios) {
  after { ${RISK} } brokenLimits { code field refusesWrite operation } } }`;
const ACCOUNT_RISK = `query($id: ID!) { account(id: $id) { marginMode risk { ${RISK} } } }`;

const ERRORS = 'userErrors { field code message }';
const WRITES = {
  applyFill: `mutation($input: ApplyFillInput!) { applyFill(input: $input) { ${ERRORS} } }`,
  transferIsolatedMargin: `mutation($input: TransferIsolatedMarginInput!) { transferIsolatedMargin(input: $input) { ${ERRORS} } }`,
  deposit: `mutation($input: DepositInput!) { deposit(input: $input) { ${ERRORS} } }`,
  withdraw: `mutation($input: WithdrawInput!) { withdraw(input: $input) { ${ERRORS} } }`,
  setLeverage: `mutation($input: SetLeverageInput!) { setLeverage(input: $input) { ${ERRORS} } }`,
  setMarginMode: `mutation($input: SetMarginModeInput!) { setMarginMode(input: $input) { ${ERRORS} } }`,
} as const;
type WriteName = keyof typeof WRITES;

interface Op {
  readonly label: string;
  readonly write: WriteName;
  readonly input: Record<string, unknown>;
  readonly scenario: Record<string, unknown>;
}

/** An operation, or one on the market of the account's k-th open position (resolved when it runs). */
type OpSpec = Op | { readonly slot: number; readonly isolatedFirst?: boolean; readonly build: (market: string) => Op };

let api: ApiHarness;
let clock = Date.now();
/** Market symbol → its mark price (as stored), for fill prices near the mark. */
const marks = new Map<string, number>();
let markets: { symbol: string; kind: string; contractType: string }[] = [];

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', now: () => clock });
  const { rows } = await api.database.db.pool.query<{ symbol: string; kind: string; contract_type: string; price: string }>(
    `SELECT m.symbol, m.kind, m.contract_type, mp.price::text AS price FROM market m JOIN mark_price mp ON mp.market_symbol = m.symbol
      WHERE m.status = 'ACTIVE' ORDER BY m.symbol`,
  );
  for (const r of rows) marks.set(r.symbol, Number(r.price));
  const pick = (kind: string, contractType: string, n: number) =>
    rows.filter((r) => r.kind === kind && r.contract_type === contractType).slice(0, n).map((r) => ({ symbol: r.symbol, kind: r.kind, contractType: r.contract_type }));
  markets = [...pick('PERPETUAL', 'LINEAR', 2), ...pick('PERPETUAL', 'INVERSE', 1), ...pick('FUTURE', 'LINEAR', 1), ...pick('OPTION', 'LINEAR', 2)];
  expect(markets.map((m) => m.kind)).toEqual(['PERPETUAL', 'PERPETUAL', 'PERPETUAL', 'FUTURE', 'OPTION', 'OPTION']);
  clock = Date.now();
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

async function gql(query: string, variables: Record<string, unknown>): Promise<any> {
  return api.gqlAs('broker', query, variables);
}

/** The risk with positions in market order (a position opened by a write has a store id, by a what-if another). */
function normalized(risk: any): any {
  const positions = [...risk.breakdown.positions].sort((a: any, b: any) => (a.market < b.market ? -1 : 1));
  const balances = [...risk.breakdown.balances].sort((a: any, b: any) => (a.asset < b.asset ? -1 : 1));
  return { ...risk, breakdown: { ...risk.breakdown, positions, balances } };
}

async function accountRisk(id: string): Promise<any> {
  const res = await gql(ACCOUNT_RISK, { id });
  expect(res.errors).toBeUndefined();
  return normalized(res.data.account.risk);
}

const amount = (lo: number, hi: number, dp: number) => fc.integer({ min: lo * 10 ** dp, max: hi * 10 ** dp }).map((i) => (i / 10 ** dp).toFixed(dp));

function opArb(): fc.Arbitrary<OpSpec> {
  const marketArb = fc.integer({ min: 0, max: 5 }).map((i) => markets[i]!);
  const fill = fc
    .record({
      market: marketArb,
      units: fc.oneof(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 300, max: 3000 })),
      long: fc.boolean(),
      away: fc.integer({ min: -50, max: 50 }),
      fee: fc.constantFrom('0', '0.5', '1.25'),
      isolated: fc.integer({ min: 0, max: 9 }).map((i) => i < 4),
    })
    .map(({ market, units, long, away, fee, isolated }): Op => {
      // Size in contracts: BTC/ETH linear in 0.01s, the inverse in whole contracts, options in 0.1s.
      const step = market.contractType === 'INVERSE' ? 1 : market.kind === 'OPTION' ? 0.1 : 0.01;
      const size = ((long ? 1 : -1) * units * step).toFixed(2);
      const mark = marks.get(market.symbol)!;
      const price = (mark * (1 + away / 10_000)).toFixed(2);
      const marginType = isolated && market.kind !== 'OPTION' ? 'ISOLATED' : undefined;
      // Fees in the settlement asset: the inverse market settles in BTC.
      const f = market.contractType === 'INVERSE' ? (Number(fee) / 100_000).toFixed(8) : fee;
      return {
        label: `fill ${size} ${market.symbol} @ ${price}${marginType ? ' ISOLATED' : ''}`,
        write: 'applyFill',
        input: { market: market.symbol, size, price, fee: f, ...(marginType ? { marginType } : {}) },
        scenario: { trades: [{ market: market.symbol, size, price, fee: f, ...(marginType ? { marginType } : {}) }] },
      };
    });
  const transfer = fc.record({ slot: fc.nat(5), amount: amount(-3000, 3000, 2) }).filter((x) => Number(x.amount) !== 0).map(
    ({ slot, amount: a }): OpSpec => ({
      slot,
      isolatedFirst: true,
      build: (market) => ({
        label: `transfer ${a} ${market}`,
        write: 'transferIsolatedMargin',
        input: { market, amount: a },
        scenario: { isolatedMarginTransfers: [{ market, amount: a }] },
      }),
    }),
  );
  const cash = (write: 'deposit' | 'withdraw') =>
    fc
      .oneof(
        fc.record({ asset: fc.constant('USDC'), amount: amount(1, 60_000, 2) }),
        fc.record({ asset: fc.constant('BTC'), amount: amount(0, 1, 4).filter((x) => Number(x) > 0) }),
        fc.record({ asset: fc.constant('ETH'), amount: amount(0, 10, 3).filter((x) => Number(x) > 0) }),
      )
      .map(({ asset, amount: a }): Op => ({
        label: `${write} ${a} ${asset}`,
        write,
        input: { asset, amount: a },
        scenario: write === 'deposit' ? { deposits: [{ asset, amount: a }] } : { withdrawals: [{ asset, amount: a }] },
      }));
  const leverage = fc.record({ slot: fc.nat(5), leverage: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }) }).map(
    ({ slot, leverage: l }): OpSpec => ({
      slot,
      build: (market) => ({
        label: `leverage ${l} ${market}`,
        write: 'setLeverage',
        input: { market, leverage: l === null ? null : String(l) },
        scenario: { leverageChanges: [{ market, leverage: l === null ? null : String(l) }] },
      }),
    }),
  );
  const mode = fc.constantFrom('CROSS', 'PORTFOLIO').map(
    (m): Op => ({ label: `margin mode ${m}`, write: 'setMarginMode', input: { marginMode: m }, scenario: { marginModeChange: m } }),
  );
  return fc.oneof(
    { arbitrary: fill, weight: 6 },
    { arbitrary: transfer, weight: 2 },
    { arbitrary: cash('deposit'), weight: 1 },
    { arbitrary: cash('withdraw'), weight: 2 },
    { arbitrary: leverage, weight: 2 },
    { arbitrary: mode, weight: 1 },
  );
}

const bookArb = () =>
  fc.record({
    marginMode: fc.constantFrom('CROSS', 'PORTFOLIO'),
    usdc: amount(2_000, 80_000, 2),
    btc: amount(0, 1, 4),
    eth: amount(0, 8, 3),
    ops: fc.array(opArb(), { minLength: 4, maxLength: 8 }),
  });

async function write(name: WriteName, input: Record<string, unknown>): Promise<any> {
  const res = await gql(WRITES[name], { input: { idempotencyKey: newKey(name), ...input } });
  expect(res.errors).toBeUndefined();
  return res.data[name];
}

describe('one transition model: whatIf predicts every write exactly (HTTP, random books and operations)', () => {
  it('after every operation whatIf’s after-state is Account.risk after the write, and its refusals are the write’s', async () => {
    let runs = 0;
    const seen = { accepted: 0, refused: 0, badInput: 0 };
    await fc.assert(
      fc.asyncProperty(bookArb(), async (book) => {
        runs += 1;
        const res = await gql(`mutation($input: CreateAccountInput!) { createAccount(input: $input) { ${ERRORS} account { id } } }`, {
          input: { idempotencyKey: newKey('acct'), externalRef: `parity-${runs}-${Date.now()}`, marginMode: book.marginMode },
        });
        const id: string = res.data.createAccount.account.id;
        for (const [asset, a] of [['USDC', book.usdc], ['BTC', book.btc], ['ETH', book.eth]] as const) {
          if (Number(a) > 0) expect((await write('deposit', { accountId: id, asset, amount: a })).userErrors).toEqual([]);
        }
        for (const spec of book.ops) {
          const before = await accountRisk(id);
          const isolatedOnly = 'slot' in spec && spec.isolatedFirst === true && before.breakdown.positions.some((p: any) => p.marginType === 'ISOLATED');
          const open = before.breakdown.positions.filter((p: any) => !isolatedOnly || p.marginType === 'ISOLATED').map((p: any) => p.market as string);
          const op = 'slot' in spec ? spec.build(open.length > 0 ? open[spec.slot % open.length]! : markets[spec.slot]!.symbol) : spec;
          const preview = await gql(WHAT_IF, { id, scenarios: [op.scenario] });
          const payload = await write(op.write, { accountId: id, ...op.input });
          const after = await accountRisk(id);
          const context = `${op.label} on ${book.marginMode}`;
          if (preview.errors) {
            expect([context, preview.errors[0].extensions.code]).toEqual([context, 'BAD_USER_INPUT']);
            expect([context, payload.userErrors.map((e: any) => e.code)]).toEqual([context, ['BAD_USER_INPUT']]);
            expect(after).toEqual(before);
            seen.badInput += 1;
            continue;
          }
          const w = preview.data.whatIf[0];
          const refused = w.brokenLimits.filter((l: any) => l.refusesWrite);
          if (refused.length > 0) {
            expect([context, payload.userErrors.map((e: any) => e.code)]).toEqual([context, refused.map(() => 'INSUFFICIENT_MARGIN')]);
            expect(after).toEqual(before);
            seen.refused += 1;
          } else {
            expect([context, payload.userErrors]).toEqual([context, []]);
            expect([context, after]).toEqual([context, normalized(w.after)]);
            seen.accepted += 1;
          }
        }
        return true;
      }),
      RUNS,
    );
    // The sequences exercise every branch.
    expect(seen.accepted).toBeGreaterThan(5);
    expect(seen.refused).toBeGreaterThan(2);
    expect(seen.badInput).toBeGreaterThan(0);
  }, 120_000);
});
