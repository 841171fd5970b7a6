/**
 * Monitoring over HTTP on the seeded venue (1,000 accounts): accountsAtRisk (order, pages, filter), riskSummary
 * (totals = sums over the engine's results), stressTest (cascade, read-only), /metrics, request ids.
 */
import BaseDecimal from 'decimal.js';
import { spawnSync } from 'node:child_process';
import { evaluateAccount, type AccountRisk } from '../../src/risk';
import { loadAccountSnapshots } from '../../src/snapshot/snapshot.loader';
import { sweepAccountRisk } from '../../src/monitoring/sweep';
import { moneyDown, ratio, reportedAccountFigures } from '../../src/risk/precision';
import { startApi, type ApiHarness } from '../helpers/api-server';

const Decimal = BaseDecimal.clone({ precision: 100 });
type Decimal = BaseDecimal;
const NOW = Date.now();
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;
let api: ApiHarness;
const engine = new Map<string, AccountRisk | null>();

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', now: () => NOW });
  await sweepAccountRisk(api.database.db, { nowMs: NOW });
  const { rows } = await api.database.db.pool.query<{ id: string }>(`SELECT id FROM account ORDER BY id`);
  const snapshots = await loadAccountSnapshots(api.database.db.pool, rows.map((r) => r.id), NOW);
  for (const [id, loaded] of snapshots) {
    try {
      engine.set(id, evaluateAccount(loaded.snapshot, { liquidationPrices: 'SKIP' }));
    } catch {
      engine.set(id, null);
    }
  }
});
afterAll(async () => {
  await api.stop();
});

const PAGE = `query Page($min: Decimal, $first: Int, $after: String) {
  accountsAtRisk(minMarginRatio: $min, first: $first, after: $after) {
    asOf
    pageInfo { hasNextPage endCursor }
    edges { cursor node { accountId status marginRatio distanceToLiquidation equity marginEquity maintenanceMargin initialMargin
      freeCollateral totalNotional evaluatedAt pricesAsOf errorCode } }
  } }`;

async function allPages(min: string | null, first: number): Promise<any[]> {
  const nodes: any[] = [];
  let after: string | null = null;
  for (let i = 0; i < 100; i++) {
    const res: { data?: any; errors?: unknown[] } = await api.gql(PAGE, { min, first, after });
    expect(res.errors).toBeUndefined();
    const conn: any = res.data!.accountsAtRisk;
    nodes.push(...conn.edges.map((e: any) => e.node));
    if (!conn.pageInfo.hasNextPage) return nodes;
    after = conn.pageInfo.endCursor;
  }
  throw new Error('too many pages');
}

/** Worst first: a null ratio with a requirement (margin equity ≤ 0) first, errors last. */
function orderKey(n: any): Decimal {
  if (n.errorCode) return new Decimal(-1);
  if (n.marginRatio !== null) return new Decimal(n.marginRatio);
  return n.status === 'LIQUIDATABLE' || n.status === 'BANKRUPT' ? new Decimal('1e18') : new Decimal(0);
}

describe('accountsAtRisk', () => {
  it('lists every account worst first, page after page, without repeats', async () => {
    const nodes = await allPages(null, 137);
    expect(nodes).toHaveLength(1000);
    expect(new Set(nodes.map((n) => n.accountId)).size).toBe(1000);
    for (let i = 1; i < nodes.length; i++) {
      const a = orderKey(nodes[i - 1]);
      const b = orderKey(nodes[i]);
      expect(a.gte(b)).toBe(true);
      if (a.eq(b)) expect(nodes[i - 1].accountId > nodes[i].accountId).toBe(true);
    }
    // The worst accounts are the liquidatable ones, and they match the engine.
    expect(['LIQUIDATABLE', 'BANKRUPT']).toContain(nodes[0].status);
    for (const n of nodes.slice(0, 50)) {
      const r = engine.get(n.accountId);
      if (!r) continue;
      expect(n.status).toBe(r.status);
      // The row reports the engine's figure by the precision policy (src/risk/precision.ts), as Account.risk does.
      expect(n.equity).toBe(moneyDown(r.equity, r.valuationDecimals).toFixed());
      expect(n.evaluatedAt).toBe(new Date(NOW).toISOString());
      if (n.marginRatio !== null) {
        // 1 − marginRatio, to 12 significant digits.
        expect(n.distanceToLiquidation).toBe(ratio(new Decimal(1).minus(n.marginRatio)).toFixed());
      }
    }
  });

  it('keeps only accounts at or above minMarginRatio', async () => {
    const nodes = await allPages('0.8', 50);
    const expected = [...engine.values()].filter(
      (r) => r !== null && (r.marginRatio !== null ? ratio(r.marginRatio).gte('0.8') : r.status === 'LIQUIDATABLE' || r.status === 'BANKRUPT'),
    );
    expect(nodes.length).toBe(expected.length);
    expect(nodes.length).toBeGreaterThanOrEqual(5);
    for (const n of nodes) expect(orderKey(n).gte('0.8')).toBe(true);
    const liquidatable = nodes.filter((n) => n.status === 'LIQUIDATABLE' || n.status === 'BANKRUPT');
    expect(liquidatable.length).toBe(expected.filter((r) => r!.status === 'LIQUIDATABLE' || r!.status === 'BANKRUPT').length);
  });

  it('answers as of the oldest evaluation, and serves the live account beside the stored row', async () => {
    const res = await api.gql(`{ accountsAtRisk(first: 2) { asOf edges { node { accountId status account { id risk { status } } } } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.accountsAtRisk.asOf).toBe(new Date(NOW).toISOString());
    for (const e of res.data!.accountsAtRisk.edges) {
      expect(e.node.account.id).toBe(e.node.accountId);
      expect(e.node.account.risk.status).toBe(e.node.status);
    }
  });

  it('refuses bad cursors and brokers', async () => {
    const bad = await api.gql(`{ accountsAtRisk(after: "nope") { pageInfo { hasNextPage } } }`);
    expect(bad.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const broker = await api.gqlAs('broker', `{ accountsAtRisk { pageInfo { hasNextPage } } }`);
    expect(broker.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const oracle = await api.gqlAs('oracle', `{ riskSummary { accounts } }`);
    expect(oracle.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const admin = await api.gqlAs('admin', `{ riskSummary { accounts } }`);
    expect(admin.data!.riskSummary.accounts).toBe(1000);
  });
});

describe('riskSummary', () => {
  it('totals equal the sums over the engine results', async () => {
    const res = await api.gql(`{ riskSummary(largest: 5) { asOf accounts accountsEvaluated accountsWithErrors
      statusCounts { status count } totalEquity totalInitialMargin totalMaintenanceMargin totalNotional
      markets { market kind openInterest longContracts shortContracts positions markPrice notional notionalUsd }
      insuranceFunds { asset balance }
      largestExposures { accountId totalNotional status } } }`);
    expect(res.errors).toBeUndefined();
    const s = res.data!.riskSummary;
    const ok = [...engine.entries()].filter(([, r]) => r !== null) as [string, AccountRisk][];
    expect(s.accounts).toBe(1000);
    expect(s.accountsEvaluated).toBe(1000);
    expect(s.accountsWithErrors).toBe(1000 - ok.length);
    // Sums of the reported figures (src/risk/precision.ts), exactly.
    type Figures = ReturnType<typeof reportedAccountFigures>;
    const sum = (f: (r: Figures) => BaseDecimal) =>
      ok.reduce((acc, [, r]) => acc.plus(f(reportedAccountFigures(r, r.valuationDecimals)).toFixed()), new Decimal(0));
    expect(new Decimal(s.totalEquity).toFixed()).toBe(sum((r) => r.equity).toFixed());
    expect(new Decimal(s.totalInitialMargin).toFixed()).toBe(sum((r) => r.initialMargin).toFixed());
    expect(new Decimal(s.totalMaintenanceMargin).toFixed()).toBe(sum((r) => r.maintenanceMargin).toFixed());
    expect(new Decimal(s.totalNotional).toFixed()).toBe(sum((r) => r.totalNotional).toFixed());
    for (const c of s.statusCounts) expect(c.count).toBe(ok.filter(([, r]) => r.status === c.status).length);

    // Open interest per market = Σ long sizes of the store's positions.
    const { rows } = await api.database.db.pool.query<{ market_symbol: string; long: string; short: string }>(
      `SELECT market_symbol, sum(size) FILTER (WHERE size > 0) AS long, -sum(size) FILTER (WHERE size < 0) AS short FROM position GROUP BY market_symbol`,
    );
    for (const r of rows) {
      const m = s.markets.find((x: any) => x.market === r.market_symbol);
      expect(new Decimal(m.openInterest).eq(r.long ?? 0)).toBe(true);
      expect(new Decimal(m.shortContracts).eq(r.short ?? 0)).toBe(true);
    }
    const btc = s.markets.find((m: any) => m.market === 'BTC-PERP');
    expect(new Decimal(btc.notional).eq(new Decimal(btc.openInterest).times(btc.markPrice))).toBe(true);
    expect(s.insuranceFunds).toEqual(expect.arrayContaining([{ asset: 'USDC', balance: expect.any(String) }]));

    // Largest exposures: the engine's top 5 by total notional.
    const top = ok.map(([id, r]) => ({ id, n: r.totalNotionalUsd })).sort((a, b) => b.n.cmp(a.n)).slice(0, 5);
    expect(s.largestExposures.map((x: any) => x.accountId)).toEqual(top.map((x) => x.id));
  });
});

describe('stressTest', () => {
  const STRESS = `query Stress($s: StressScenarioInput!) { stressTest(scenario: $s) {
    asOf maxRounds converged accountsEvaluated accountsLiquidated totalBadDebtUsd totalInsuranceFundDrawUsd totalFeesUsd
    accountsFailed { code count }
    shockedPrices { market price } finalPrices { market price }
    insuranceFundsBefore { asset balance } insuranceFundsAfter { asset balance }
    rounds { round accountsEvaluated accountsScreened accountsLiquidated liquidatedAccountIds positionsClosed closedNotionalUsd feesUsd
      insuranceFundDrawUsd badDebtUsd cumulativeBadDebtUsd insuranceFunds { asset balance } prices { market price }
      markets { market markPrice priceAfter soldContracts boughtContracts soldNotional boughtNotional closedNotionalUsd } } } }`;

  async function fingerprint(): Promise<string> {
    const { rows } = await api.database.db.pool.query<{ f: string }>(
      `SELECT md5(string_agg(x, ',' ORDER BY x)) AS f FROM (
         SELECT 'b' || account_id || asset_symbol || amount AS x FROM balance
         UNION ALL SELECT 'p' || id || size || isolated_margin FROM position
         UNION ALL SELECT 'i' || asset_symbol || balance FROM insurance_fund
         UNION ALL SELECT 'm' || market_symbol || price FROM mark_price) t`,
    );
    return rows[0]!.f;
  }

  it('runs the cascade on the seeded venue in seconds, round by round, and writes nothing', async () => {
    const before = await fingerprint();
    const started = Date.now();
    const res = await api.gql(STRESS, { s: { shocks: [{ underlying: 'BTC', relative: '-0.25' }, { underlying: 'ETH', relative: '-0.3' }, { underlying: 'SOL', relative: '-0.35' }] } });
    const elapsed = Date.now() - started;
    expect(res.errors).toBeUndefined();
    const r = res.data!.stressTest;
    expect(elapsed).toBeLessThan(30_000);
    expect(await fingerprint()).toBe(before);

    expect(r.maxRounds).toBe(10);
    expect(r.accountsEvaluated + r.accountsFailed.reduce((a: number, f: any) => a + f.count, 0)).toBe(1000);
    expect(r.rounds.length).toBeGreaterThanOrEqual(1);
    expect(r.accountsLiquidated).toBeGreaterThan(0);
    const btcShock = r.shockedPrices.find((p: any) => p.market === 'BTC-PERP');
    const btcMark = (await api.gql(`{ market(symbol: "BTC-PERP") { markPrice { price } } }`)).data!.market.markPrice.price;
    expect(new Decimal(btcShock.price).eq(new Decimal(btcMark).times('0.75'))).toBe(true);
    let cumulative = new Decimal(0);
    let previousPrices = r.shockedPrices;
    for (const [i, round] of r.rounds.entries()) {
      expect(round.round).toBe(i + 1);
      expect(round.accountsLiquidated).toBeGreaterThan(0);
      expect(round.accountsScreened).toBeLessThanOrEqual(round.accountsEvaluated);
      if (i === 0) expect(round.accountsScreened).toBe(0);
      cumulative = cumulative.plus(round.badDebtUsd);
      // The engine carries 50 significant digits.
      expect(new Decimal(round.cumulativeBadDebtUsd).minus(cumulative).abs().lte('1e-30')).toBe(true);
      for (const m of round.markets) {
        // Liquidated longs sell: the mark falls; shorts buy: it rises. Executed at the previous round's prices.
        expect(m.markPrice).toBe(previousPrices.find((p: any) => p.market === m.market).price);
        const net = new Decimal(m.soldContracts).minus(m.boughtContracts);
        if (net.gt(0)) expect(new Decimal(m.priceAfter).lt(m.markPrice)).toBe(true);
        if (net.lt(0)) expect(new Decimal(m.priceAfter).gt(m.markPrice)).toBe(true);
      }
      previousPrices = round.prices;
    }
    expect(new Decimal(r.totalBadDebtUsd).minus(cumulative).abs().lte('1e-30')).toBe(true);
    // Per round: the deficit of the liquidated accounts is drawn from the funds or left as bad debt.
    const usdc = (xs: any[]) => new Decimal(xs.find((f: any) => f.asset === 'USDC')?.balance ?? 0);
    expect(usdc(r.insuranceFundsAfter).lte(usdc(r.insuranceFundsBefore).plus(r.totalFeesUsd))).toBe(true);
    expect(r.finalPrices).toEqual(r.rounds[r.rounds.length - 1].prices);
  });

  it('refuses a bad scenario', async () => {
    const res = await api.gql(STRESS, { s: { shocks: [{ underlying: 'BTC', relative: '-1.5' }] } });
    expect(res.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0]?.extensions?.field).toBe('scenario.shocks[0].relative');
    const rounds = await api.gql(STRESS, { s: { shocks: [{ underlying: 'BTC', relative: '-0.1' }], maxRounds: 51 } });
    expect(rounds.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    const broker = await api.gqlAs('broker', STRESS, { s: { shocks: [{ underlying: 'BTC', relative: '-0.1' }] } });
    expect(broker.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});

describe('operations', () => {
  it('serves Prometheus metrics with bounded labels and no account ids', async () => {
    await api.gql(`query NamedOp { markets { symbol } }`);
    await api.gql(`{ assets { symbol } }`);
    await api.gql(`query Bad { nope }`);
    await api.gqlAs(null, `{ assets { symbol } }`);
    const res = await fetch(`${api.baseUrl}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/plain/);
    const text = await res.text();
    for (const name of [
      'process_cpu_seconds_total',
      'graphql_requests_total',
      'graphql_request_duration_seconds_bucket',
      'graphql_errors_total',
      'http_requests_total',
      'risk_engine_evaluation_seconds_bucket',
      'pg_pool_connections ',
      'pg_pool_connections_idle',
      'pg_pool_clients_waiting',
      'account_risk_sweep_duration_seconds',
      'account_risk_swept_accounts_total',
      'stress_test_duration_seconds',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/graphql_requests_total\{operation="NamedOp",type="query",outcome="ok"\} \d+/);
    expect(text).toMatch(/graphql_requests_total\{operation="anonymous",type="query"/);
    expect(text).toMatch(/graphql_errors_total\{code="GRAPHQL_VALIDATION_FAILED"\} \d+/);
    expect(text).toMatch(/graphql_errors_total\{code="UNAUTHENTICATED"\} \d+/);
    expect(text).toMatch(/risk_engine_evaluation_seconds_count\{source="sweep",mode="SKIP"\} [1-9]/);
    expect(text).not.toMatch(UUID);
  });

  it('names every metric by the Prometheus rules: counters end in _total, nothing else does (promtool agrees)', async () => {
    await api.gql(`{ assets { symbol } }`);
    const text = await (await fetch(`${api.baseUrl}/metrics`)).text();
    const types = new Map<string, string>();
    for (const match of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(match[1]!, match[2]!);
    expect(types.size).toBeGreaterThan(20);
    const misnamed: string[] = [];
    for (const [name, type] of types) {
      if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) misnamed.push(`${name}: not a valid metric name`);
      if (type === 'counter' && !name.endsWith('_total')) misnamed.push(`${name}: a counter must end in _total`);
      if (type !== 'counter' && name.endsWith('_total')) misnamed.push(`${name}: a ${type} must not end in _total`);
      if (type !== 'counter' && /_(count|sum|bucket)$/.test(name)) misnamed.push(`${name}: a reserved suffix`);
    }
    expect(misnamed).toEqual([]);
    expect(types.get('pg_pool_connections')).toBe('gauge');
    // Where Prometheus's own linter is installed (Debian: the prometheus package), it must find nothing either.
    const promtool = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    if (promtool.error === undefined) expect({ status: promtool.status, output: `${promtool.stdout}${promtool.stderr}`.trim() }).toEqual({ status: 0, output: '' });
  });

  it('honours and echoes an incoming x-request-id, and makes one up otherwise', async () => {
    const mine = await api.gql(`{ assets { symbol } }`, undefined, { 'x-request-id': 'monitor-req-42' });
    expect(mine.headers.get('x-request-id')).toBe('monitor-req-42');
    const invalid = await api.gql(`{ assets { symbol } }`, undefined, { 'x-request-id': 'bad id with spaces' });
    expect(invalid.headers.get('x-request-id')).toMatch(UUID);
    const none = await api.gql(`{ assets { symbol } }`);
    expect(none.headers.get('x-request-id')).toMatch(UUID);
  });
});
