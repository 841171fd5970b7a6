/**
 * whatIf, the liquidation outcome and the inverse solvers over HTTP on the seeded venue: before = Account.risk,
 * limits flagged, nothing written, solver answers verified by running whatIf at the answer and one unit across it,
 * and bad input refused with BAD_USER_INPUT naming the field.
 */
import Decimal from 'decimal.js';
import { startApi, type ApiHarness } from '../helpers/api-server';

const NOW = Date.now();
let api: ApiHarness;

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', now: () => NOW });
});
afterAll(async () => {
  await api.stop();
});

const RISK = `equity initialMarginEquity marginEquity initialMargin maintenanceMargin freeCollateral marginRatio status
  breakdown { positions { positionId market size liquidationPrice } }`;
const WHAT_IF = `query($id: ID!, $scenarios: [ScenarioInput!]!) { whatIf(accountId: $id, scenarios: $scenarios) {
  label before { ${RISK} } after { ${RISK} }
  diff { equity freeCollateral statusBefore statusAfter statusChanged positions { market sizeBefore sizeAfter opened } balances { asset change } }
  brokenLimits { code message field alreadyBroken }
  liquidationOutcome { deficit insuranceFundDraw residualLoss restoredToInitialMargin steps { market closedSize executionPrice fee feeCapped } } } }`;

const d = (x: Decimal.Value) => new Decimal(x);

async function whatIf(id: string, scenarios: unknown[]): Promise<any[]> {
  const res = await api.gql(WHAT_IF, { id, scenarios });
  expect(res.errors).toBeUndefined();
  return res.data!.whatIf;
}

/** Cross accounts with only delta-one positions (options are valued by another engine issue). */
async function linearAccounts(where = 'TRUE', limit = 20): Promise<string[]> {
  const { rows } = await api.database.db.pool.query<{ id: string }>(
    `SELECT a.id FROM account a
      WHERE NOT EXISTS (SELECT 1 FROM position p JOIN market m ON m.symbol = p.market_symbol WHERE p.account_id = a.id AND m.kind = 'OPTION')
        AND EXISTS (SELECT 1 FROM position p WHERE p.account_id = a.id AND p.size <> 0)
        AND ${where}
      ORDER BY a.id LIMIT $1`,
    [limit],
  );
  return rows.map((r) => r.id);
}

async function accountRisk(id: string): Promise<any> {
  const res = await api.gql(`query($id: ID!) { account(id: $id) { risk { ${RISK} } } }`, { id });
  expect(res.errors).toBeUndefined();
  return res.data!.account.risk;
}

/** md5 of every table's rows (api_key is left out: authenticating touches last_used_at). */
async function checksums(): Promise<Record<string, string>> {
  const { rows } = await api.database.db.pool.query<{ table_name: string }>(
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' AND table_name <> 'api_key'`,
  );
  const out: Record<string, string> = {};
  for (const { table_name } of rows) {
    const r = await api.database.db.pool.query<{ h: string | null; n: string }>(
      `SELECT md5(string_agg(t::text, '|' ORDER BY t::text)) AS h, count(*) AS n FROM "${table_name}" t`,
    );
    out[table_name] = `${r.rows[0]!.n}:${r.rows[0]!.h}`;
  }
  return out;
}

describe('whatIf', () => {
  it('before is exactly Account.risk, and an empty scenario leaves it unchanged', async () => {
    for (const id of await linearAccounts('TRUE', 5)) {
      const [r] = await whatIf(id, [{ label: 'nothing' }]);
      expect(r.label).toBe('nothing');
      expect(r.before).toEqual(await accountRisk(id));
      expect(r.after).toEqual(r.before);
      expect(r.diff.statusChanged).toBe(false);
      expect(r.brokenLimits.filter((l: any) => !l.alreadyBroken)).toEqual([]);
    }
  });

  it('flags a withdrawal that leaves free collateral negative; a smaller one passes', async () => {
    const [id] = await linearAccounts(`EXISTS (SELECT 1 FROM balance b WHERE b.account_id = a.id AND b.asset_symbol = 'USDC' AND b.amount > 1000)`, 50);
    const risk = await accountRisk(id!);
    expect(d(risk.freeCollateral).gt(0)).toBe(true);
    const fc = d(risk.freeCollateral);
    const [big, small] = await whatIf(id!, [
      { label: 'too much', withdrawals: [{ asset: 'USDC', amount: fc.add(1).toFixed(6, Decimal.ROUND_UP) }] },
      { label: 'half', withdrawals: [{ asset: 'USDC', amount: fc.div(2).toFixed(6, Decimal.ROUND_DOWN) }] },
    ]);
    const limit = big.brokenLimits.find((l: any) => l.code === 'FREE_COLLATERAL_NEGATIVE');
    expect(limit).toMatchObject({ field: 'freeCollateral', alreadyBroken: false });
    expect(limit.message).toMatch(/^withdrawal leaves free collateral negative/);
    expect(d(big.after.freeCollateral).lt(0)).toBe(true);
    expect(big.diff.balances).toEqual([{ asset: 'USDC', change: d(fc.add(1).toFixed(6, Decimal.ROUND_UP)).neg().toFixed() }]);
    expect(small.brokenLimits).toEqual([]);
    // Independent scenarios: both start from the same account.
    expect(small.before).toEqual(big.before);
  });

  it('a crash carries the liquidation outcome; the deficit is split between the insurance fund and ADL', async () => {
    const ids = await linearAccounts(
      `EXISTS (SELECT 1 FROM position p WHERE p.account_id = a.id AND p.market_symbol = 'BTC-PERP' AND p.size > 0 AND p.margin_type = 'CROSS')`,
      20,
    );
    let r: any = null;
    for (const id of ids) {
      const [x] = await whatIf(id, [{ label: 'crash', priceMoves: [{ underlying: 'BTC', relative: '-0.9' }] }]);
      if (x.liquidationOutcome !== null) {
        r = x;
        break;
      }
    }
    expect(r).not.toBeNull();
    expect(['LIQUIDATABLE', 'BANKRUPT']).toContain(r.after.status);
    expect(r.brokenLimits.map((l: any) => l.code)).toContain('BELOW_MAINTENANCE');
    const o = r.liquidationOutcome;
    expect(o.steps.length).toBeGreaterThan(0);
    expect(d(o.insuranceFundDraw).add(o.residualLoss).eq(o.deficit)).toBe(true);
  });

  it('opens a position in a market the account does not hold (its parameters are loaded for the scenario)', async () => {
    const [id] = await linearAccounts(`NOT EXISTS (SELECT 1 FROM position p WHERE p.account_id = a.id AND p.market_symbol = 'SOL-PERP')`, 1);
    const [r] = await whatIf(id!, [{ trades: [{ market: 'SOL-PERP', size: '10', feeRate: '0.0005' }] }]);
    expect(r.diff.positions.find((p: any) => p.market === 'SOL-PERP')).toMatchObject({ sizeBefore: '0', sizeAfter: '10', opened: true });
    expect(d(r.diff.equity).lt(0)).toBe(true);
  });

  it('shifts implied volatility and advances time for an account holding options', async () => {
    const { rows } = await api.database.db.pool.query<{ id: string }>(
      `SELECT p.account_id AS id FROM position p JOIN market m ON m.symbol = p.market_symbol
        WHERE m.kind = 'OPTION' AND p.size <> 0 ORDER BY p.account_id LIMIT 1`,
    );
    if (rows.length === 0) return;
    const id = rows[0]!.id;
    const res = await api.gql(WHAT_IF, {
      id,
      scenarios: [{ label: 'vol up, a week later', volatilityShifts: [{ underlying: 'BTC', shift: '0.1' }], timeAdvanceSeconds: 7 * 86400 }],
    });
    expect(res.errors).toBeUndefined();
    const [r] = res.data!.whatIf;
    expect(r.before).toEqual(await accountRisk(id));
    expect(r.after.equity).not.toBe(r.before.equity);
  });

  it('writes nothing: every table is byte-for-byte the same after scenarios, solvers and outcomes', async () => {
    const ids = await linearAccounts('TRUE', 3);
    const before = await checksums();
    for (const id of ids) {
      await whatIf(id, [
        { trades: [{ market: 'BTC-PERP', size: '-0.5', feeRate: '0.001' }], withdrawals: [{ asset: 'USDC', amount: '100' }] },
        { priceMoves: [{ underlying: 'BTC', relative: '-0.5' }], deposits: [{ asset: 'USDC', amount: '1000' }], timeAdvanceSeconds: 3600 },
      ]);
      const res = await api.gql(`query($id: ID!) { account(id: $id) { maxTradeSize(market: "BTC-PERP", side: LONG) { answer }
        maxWithdrawable(asset: "USDC") { answer } minReductionToExitLiquidation { answer } liquidationOutcome { deficit } } }`, { id });
      expect(res.errors).toBeUndefined();
    }
    expect(await checksums()).toEqual(before);
  });
});

describe('solvers over HTTP, verified with whatIf', () => {
  const SOLVER = `answer unit feasible unbounded verification { valueAtAnswer holdsAtAnswer crossing valueAtCrossing holdsAtCrossing }`;

  it('maxTradeSize: free collateral ≥ 0 at the answer, < 0 one size step more', async () => {
    for (const id of await linearAccounts('TRUE', 3)) {
      for (const side of ['LONG', 'SHORT'] as const) {
        const res = await api.gql(`query($id: ID!) { account(id: $id) { maxTradeSize(market: "BTC-PERP", side: ${side}) { ${SOLVER} } } }`, { id });
        expect(res.errors).toBeUndefined();
        const s = res.data!.account.maxTradeSize;
        if (!s.feasible || s.unbounded || d(s.answer).isZero()) continue;
        const sign = side === 'LONG' ? 1 : -1;
        const [at, beyond] = await whatIf(id, [
          { trades: [{ market: 'BTC-PERP', size: d(s.answer).mul(sign).toFixed() }] },
          { trades: [{ market: 'BTC-PERP', size: d(s.answer).add(s.unit).mul(sign).toFixed() }] },
        ]);
        expect(d(at.after.freeCollateral).gte(0)).toBe(true);
        expect(d(beyond.after.freeCollateral).lt(0)).toBe(true);
        expect(at.after.freeCollateral).toBe(s.verification.valueAtAnswer);
      }
    }
  });

  it('maxWithdrawable: free collateral ≥ 0 at the answer, < 0 one unit more', async () => {
    for (const id of await linearAccounts('TRUE', 3)) {
      const res = await api.gql(`query($id: ID!) { account(id: $id) { maxWithdrawable(asset: "USDC") { ${SOLVER} } } }`, { id });
      const s = res.data!.account.maxWithdrawable;
      if (!s.feasible || d(s.answer).isZero()) continue;
      const [at, beyond] = await whatIf(id, [
        { withdrawals: [{ asset: 'USDC', amount: s.answer }] },
        { withdrawals: [{ asset: 'USDC', amount: d(s.answer).add(s.unit).toFixed() }] },
      ]);
      expect(d(at.after.freeCollateral).gte(0)).toBe(true);
      expect(d(beyond.after.freeCollateral).lt(0)).toBe(true);
      expect(beyond.brokenLimits.map((l: any) => l.code)).toContain('FREE_COLLATERAL_NEGATIVE');
    }
  });

  it('depositToReach: the liquidation price reaches the target at the answer, not one unit less', async () => {
    const ids = await linearAccounts(`EXISTS (SELECT 1 FROM position p WHERE p.account_id = a.id AND p.market_symbol = 'BTC-PERP' AND p.size > 0)`, 10);
    let checked = 0;
    for (const id of ids) {
      const risk = await accountRisk(id);
      const pos = risk.breakdown.positions.find((p: any) => p.market === 'BTC-PERP');
      if (!pos?.liquidationPrice || risk.status !== 'HEALTHY') continue;
      const target = d(pos.liquidationPrice).mul('0.9').toDecimalPlaces(1).toFixed();
      const res = await api.gql(`query($id: ID!, $t: Decimal!) { account(id: $id) { depositToReach(targetLiquidationPrice: $t, market: "BTC-PERP") { ${SOLVER} asset } } }`, { id, t: target });
      expect(res.errors).toBeUndefined();
      const s = res.data!.account.depositToReach;
      expect(s.asset).toBe('USDC');
      const [at, less] = await whatIf(id, [
        { deposits: [{ asset: 'USDC', amount: s.answer }] },
        { deposits: [{ asset: 'USDC', amount: d(s.answer).sub(s.unit).toFixed() }] },
      ]);
      const liq = (r: any) => r.after.breakdown.positions.find((p: any) => p.market === 'BTC-PERP').liquidationPrice;
      expect(d(liq(at)).lte(target)).toBe(true);
      expect(d(liq(less)).gt(target)).toBe(true);
      checked += 1;
      if (checked >= 2) break;
    }
    expect(checked).toBeGreaterThan(0);
  });

  it('minReductionToExitLiquidation and liquidationOutcome on a liquidatable seeded account', async () => {
    const ids = await linearAccounts('TRUE', 2000);
    let found: string | null = null;
    for (let i = 0; i < ids.length && found === null; i += 100) {
      const page = await Promise.all(ids.slice(i, i + 100).map((id) => api.gql(`query($id: ID!) { account(id: $id) { id risk { status marginEquity } } }`, { id })));
      for (const r of page) {
        const a = r.data?.account;
        if (a?.risk?.status === 'LIQUIDATABLE' && d(a.risk.marginEquity).gt(0)) found = a.id;
      }
    }
    expect(found).not.toBeNull();
    const res = await api.gql(`query($id: ID!) { account(id: $id) {
      minReductionToExitLiquidation { ${SOLVER} reductions { market size sizeBefore full } }
      liquidationOutcome { deficit insuranceFundDraw residualLoss restoredToInitialMargin after { freeCollateral }
        steps { market closedSize markPrice executionPrice slippageRate fee feeUncapped bankruptcyPrice } } } }`, { id: found });
    expect(res.errors).toBeUndefined();
    const m = res.data!.account.minReductionToExitLiquidation;
    expect(m.feasible).toBe(true);
    const trades = (lastLess: Decimal) =>
      m.reductions
        .map((r: any, i: number) => {
          const size = i === m.reductions.length - 1 ? d(r.size).sub(lastLess) : d(r.size);
          return { market: r.market, size: (d(r.sizeBefore).isPositive() ? size.neg() : size).toFixed() };
        })
        .filter((t: any) => !d(t.size).isZero());
    const [at, less] = await whatIf(found!, [{ trades: trades(d(0)) }, { trades: trades(d(m.unit)) }]);
    expect(d(at.after.marginEquity).gte(at.after.maintenanceMargin)).toBe(true);
    expect(d(less.after.marginEquity).lt(less.after.maintenanceMargin)).toBe(true);
    const o = res.data!.account.liquidationOutcome;
    expect(o.steps.length).toBeGreaterThan(0);
    if (o.restoredToInitialMargin) expect(d(o.after.freeCollateral).gte(0)).toBe(true);
    expect(d(o.insuranceFundDraw).add(o.residualLoss).eq(o.deficit)).toBe(true);
  });

  it('liquidationOutcome is null for a healthy account', async () => {
    const [id] = await linearAccounts('TRUE', 1);
    const risk = await accountRisk(id!);
    if (risk.status === 'LIQUIDATABLE' || risk.status === 'BANKRUPT') return;
    const res = await api.gql(`query($id: ID!) { account(id: $id) { liquidationOutcome { deficit } minReductionToExitLiquidation { answer } } }`, { id });
    expect(res.data!.account).toEqual({ liquidationOutcome: null, minReductionToExitLiquidation: null });
  });
});

describe('bad input', () => {
  let id: string;
  beforeAll(async () => {
    [id] = (await linearAccounts('TRUE', 1)) as [string];
  });

  it.each<[string, unknown[]]>([
    ['scenarios[0].trades[0].market', [{ trades: [{ market: 'NOPE-PERP', size: '1' }] }]],
    ['scenarios[0].priceMoves[0].price', [{ priceMoves: [{ market: 'BTC-PERP', price: '-5' }] }]],
    ['scenarios[0].priceMoves[0].relative', [{ priceMoves: [{ underlying: 'BTC', relative: '-1' }] }]],
    ['scenarios[1].trades[1].size', [{}, { trades: [{ market: 'BTC-PERP', size: '1' }, { market: 'BTC-PERP', size: '0' }] }]],
    ['scenarios[0].withdrawals[0].asset', [{ withdrawals: [{ asset: 'NOPE', amount: '1' }] }]],
    ['scenarios[0].trades[0].size', [{ trades: [{ market: 'BTC-PERP', size: '1,5' }] }]],
    ['scenarios[0].deposits[0].amount', [{ deposits: [{ asset: 'USDC', amount: 'abc' }] }]],
    ['scenarios', Array.from({ length: 21 }, () => ({}))],
  ])('BAD_USER_INPUT naming %s', async (field, scenarios) => {
    const res = await api.gql(WHAT_IF, { id, scenarios });
    expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field });
    expect(res.data?.whatIf ?? null).toBeNull();
  });

  it('solver arguments: unknown market or asset, target not positive', async () => {
    const cases: [string, string][] = [
      ['maxTradeSize(market: "NOPE", side: LONG) { answer }', 'market'],
      ['maxWithdrawable(asset: "NOPE") { answer }', 'asset'],
      ['depositToReach(targetLiquidationPrice: "0", market: "BTC-PERP") { answer }', 'targetLiquidationPrice'],
    ];
    for (const [field, name] of cases) {
      const res = await api.gql(`query($id: ID!) { account(id: $id) { ${field} } }`, { id });
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: name });
    }
  });

  it("a broker cannot run scenarios on another broker's account", async () => {
    const { rows } = await api.database.db.pool.query<{ id: string }>(`SELECT id FROM account WHERE broker_id <> $1 LIMIT 1`, [api.brokers.a]);
    const res = await api.gqlAs('broker', WHAT_IF, { id: rows[0]!.id, scenarios: [{}] });
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });
});
