/**
 * Two service processes on one database, each with its tick engine on its share of the accounts (SWEEP_PARTITION
 * 0/2 in this test process, 1/2 in a separate OS process started as an operator would), and no sweep anywhere:
 *   - a price update sent to the first process makes an account of the SECOND process's partition liquidatable, and
 *     the second process records the risk event: it heard the change through NOTIFY;
 *   - after random concurrent writes (prices, deposits, fills) sent to both processes, once quiet, every account's
 *     account_risk row equals a fresh exact evaluation (Account.risk), whichever process wrote it (fast-check, few
 *     runs, bounded time).
 */
import fc from 'fast-check';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { MUTATIONS, newKey, ok, setPrices } from '../helpers/writes';

jest.setTimeout(240_000);

const FIGURES = ['equity', 'initialMarginEquity', 'marginEquity', 'initialMargin', 'maintenanceMargin', 'freeCollateral', 'marginRatio'] as const;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const LIMITS = { rateLimitPoints: 1_000_000, rateLimitCostPoints: 1_000_000_000 };

let api: ApiHarness;
let second: ServiceProcess;
/** Test accounts by partition (0: this process's tick engine, 1: the second process's). */
const byPartition: [string[], string[]] = [[], []];

async function partitionOf(id: string): Promise<0 | 1> {
  const { rows } = await api.database.db.pool.query<{ p: number }>(
    `SELECT (((hashtextextended($1::text, 0) % 2) + 2) % 2)::int AS p`,
    [id],
  );
  return rows[0]!.p as 0 | 1;
}

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', tick: { partition: { index: 0, count: 2 } }, config: LIMITS });
  second = await startServiceProcess({
    DATABASE_URL: api.database.url,
    SEED_DEMO: 'false',
    SWEEP_ENABLED: 'false',
    TICK_ENABLED: 'true',
    SWEEP_PARTITION: '1/2',
    TICK_COALESCE_MS: '5',
    LOG_LEVEL: 'warn',
    RATE_LIMIT_POINTS: String(LIMITS.rateLimitPoints),
    RATE_LIMIT_COST_POINTS: String(LIMITS.rateLimitCostPoints),
  });
  await setPrices(api, { 'BTC-PERP': '60000' });
  // Accounts until each partition has three: 2,000 USDC and 0.2 BTC long or short at 60,000 (notional 12,000); the
  // first of each partition long, the next short (a partition is a hash of the random id: sides follow it).
  for (let i = 0; byPartition[0].length < 3 || byPartition[1].length < 3; i++) {
    if (i > 40) throw new Error('partitions never filled');
    const id = (await ok(api, 'broker', 'createAccount', { externalRef: newKey('two') })).account.id as string;
    const partition = await partitionOf(id);
    const long = byPartition[partition].length % 2 === 0;
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '2000' });
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: long ? '0.2' : '-0.2', price: '60000' });
    byPartition[partition].push(id);
  }
});

afterAll(async () => {
  await second?.stop();
  await api?.stop();
});

const allAccounts = () => [...byPartition[0], ...byPartition[1]];

async function rowsOf(ids: readonly string[]): Promise<Map<string, any>> {
  const { rows } = await api.database.db.pool.query<{ account_id: string; status: string | null }>(
    `SELECT account_id FROM account_risk WHERE account_id = ANY($1::uuid[])`,
    [ids],
  );
  // The figures as the API reports them: read through accountsAtRisk pages of this process.
  const out = new Map<string, any>();
  let after: string | null = null;
  for (let page = 0; page < 50 && out.size < rows.length; page++) {
    const res: any = await api.gql(
      `query P($after: String) { accountsAtRisk(first: 200, after: $after) { pageInfo { hasNextPage endCursor }
        edges { node { accountId status ${FIGURES.join(' ')} } } } }`,
      { after },
    );
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    for (const { node } of res.data.accountsAtRisk.edges) if (ids.includes(node.accountId)) out.set(node.accountId, node);
    if (!res.data.accountsAtRisk.pageInfo.hasNextPage) break;
    after = res.data.accountsAtRisk.pageInfo.endCursor;
  }
  return out;
}

async function liveRisk(ids: readonly string[]): Promise<Map<string, any>> {
  const doc = `{ ${ids.map((id, i) => `a${i}: account(id: "${id}") { risk { status ${FIGURES.join(' ')} } }`).join(' ')} }`;
  const res: any = await api.gqlAs('admin', doc);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return new Map(ids.map((id, i) => [id, res.data[`a${i}`].risk]));
}

/** Waits until every account's row equals its live risk, string for string; fails with the differences. */
async function untilAgree(ids: readonly string[], timeoutMs: number): Promise<void> {
  const started = Date.now();
  let last: string[] = [];
  while (Date.now() - started < timeoutMs) {
    const [rows, live] = await Promise.all([rowsOf(ids), liveRisk(ids)]);
    last = [];
    for (const id of ids) {
      const row = rows.get(id);
      const l = live.get(id);
      if (!row) last.push(`${id}: no row`);
      else for (const f of ['status', ...FIGURES]) if (row[f] !== l[f]) last.push(`${id}: ${f} ${row[f]} vs ${l[f]}`);
    }
    if (last.length === 0) return;
    await sleep(50);
  }
  throw new Error(`rows disagree with Account.risk after ${timeoutMs} ms:\n${last.join('\n')}`);
}

describe('two service processes', () => {
  it('the second process records the risk event of a price update sent to the first, heard through NOTIFY', async () => {
    const longs: string[] = [];
    for (const id of byPartition[1]) {
      const res: any = await api.gqlAs('admin', `{ account(id: "${id}") { positions { size } } }`);
      if (res.data.account.positions[0].size.startsWith('0.2')) longs.push(id);
    }
    expect(longs.length).toBeGreaterThan(0);
    const target = longs[0]!;
    // 0.2 BTC long on 2,000 USDC: at 50,500 the loss (1,900) leaves 100 USDC against a maintenance of several hundred.
    await setPrices(api, { 'BTC-PERP': '50500' });
    const started = Date.now();
    let events: { to_status: string }[] = [];
    while (Date.now() - started < 20_000) {
      ({ rows: events } = await api.database.db.pool.query<{ to_status: string }>(
        `SELECT to_status::text FROM risk_event WHERE account_id = $1 ORDER BY id`,
        [target],
      ));
      if (events.some((e) => e.to_status === 'LIQUIDATABLE' || e.to_status === 'BANKRUPT')) break;
      await sleep(50);
    }
    // Only the second process evaluates this account on a price tick (this process's tick engine owns partition 0,
    // no sweep runs, and a price update refreshes no account by itself).
    expect(events.map((e) => e.to_status)).toContain('LIQUIDATABLE');
    await setPrices(api, { 'BTC-PERP': '60000' });
    await untilAgree(allAccounts(), 20_000);
  });

  it('after random concurrent writes to both processes, every row equals a fresh exact evaluation', async () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('price' as const), price: fc.integer({ min: 52_000, max: 68_000 }) }),
      fc.record({ kind: fc.constant('deposit' as const), account: fc.nat(5), amount: fc.integer({ min: 1, max: 500 }) }),
      fc.record({ kind: fc.constant('fill' as const), account: fc.nat(5), size: fc.constantFrom('0.01', '-0.01', '0.05', '-0.05') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(op, fc.boolean()), { minLength: 4, maxLength: 12 }), async (ops) => {
        const ids = allAccounts();
        await Promise.all(
          ops.map(async ([o, viaSecond]) => {
            const send = (name: keyof typeof MUTATIONS, input: Record<string, unknown>) => {
              const variables = { input: { idempotencyKey: newKey(name), ...input } };
              const key = name === 'updatePrices' ? api.keys.oracle.key : api.keys.broker.key;
              return viaSecond ? second.gql(key, MUTATIONS[name], variables) : api.gqlAs({ key }, MUTATIONS[name], variables);
            };
            if (o.kind === 'price') {
              return send('updatePrices', { marks: [{ market: 'BTC-PERP', price: String(o.price), observedAt: new Date().toISOString() }], indexes: [] });
            }
            const accountId = ids[o.account % ids.length]!;
            if (o.kind === 'deposit') return send('deposit', { accountId, asset: 'USDC', amount: String(o.amount) });
            return send('applyFill', { accountId, market: 'BTC-PERP', size: o.size, price: '60000' });
          }),
        );
        await untilAgree(ids, 30_000);
      }),
      { numRuns: 3, endOnFailure: true },
    );
  });
});
