/**
 * Fresh monitoring rows under concurrency: bursts of concurrent writes on several accounts while sweeps of the whole
 * seeded venue run without pause. Right after each burst's responses (no sweep awaited), every account's
 * accountsAtRisk row equals its live Account.risk: a sweep batch read before a write committed never overwrites the
 * write's own refresh, whichever finishes last.
 */
import { sweepAccountRisk } from '../../src/monitoring/sweep';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { MUTATIONS, newKey, ok } from '../helpers/writes';

const NOW = Date.now();
const ACCOUNTS = 8;
const BURSTS = 6;
let api: ApiHarness;
const ids: string[] = [];

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', now: () => NOW, config: { rateLimitPoints: 100_000 }, poolMax: 20 });
  for (let i = 0; i < ACCOUNTS; i++) {
    const id = (await ok(api, 'broker', 'createAccount', { externalRef: newKey('fresh') })).account.id as string;
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '20000' });
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: i % 2 ? '0.1' : '-0.1', price: '60000' });
    ids.push(id);
  }
  await sweepAccountRisk(api.database.db, { nowMs: NOW });
});
afterAll(async () => {
  await api?.stop();
});

const FIGURES = ['equity', 'initialMarginEquity', 'marginEquity', 'initialMargin', 'maintenanceMargin', 'freeCollateral', 'marginRatio'] as const;

const PAGE = `query Page($after: String) { accountsAtRisk(first: 200, after: $after) {
  pageInfo { hasNextPage endCursor }
  edges { node { accountId status errorCode ${FIGURES.join(' ')} } } } }`;

async function rowsOf(wanted: readonly string[]): Promise<Map<string, any>> {
  const rows = new Map<string, any>();
  let after: string | null = null;
  for (let page = 0; page < 50; page++) {
    const res: any = await api.gql(PAGE, { after });
    expect(res.errors).toBeUndefined();
    for (const { node } of res.data.accountsAtRisk.edges) if (wanted.includes(node.accountId)) rows.set(node.accountId, node);
    if (!res.data.accountsAtRisk.pageInfo.hasNextPage) return rows;
    after = res.data.accountsAtRisk.pageInfo.endCursor;
  }
  throw new Error('too many pages');
}

async function liveRisk(wanted: readonly string[]): Promise<Map<string, any>> {
  const doc = `{ ${wanted.map((id, i) => `a${i}: account(id: "${id}") { id version risk { status ${FIGURES.join(' ')} } }`).join(' ')} }`;
  const res: any = await api.gqlAs('admin', doc);
  expect(res.errors).toBeUndefined();
  return new Map(wanted.map((id, i) => [id, res.data[`a${i}`]]));
}

/** Differences between an account's stored row and its live risk: the same figure must be the same string. */
function differences(row: any, live: any): string[] {
  const out: string[] = [];
  if (!row) return ['no row'];
  if (row.errorCode !== null) out.push(`errorCode ${row.errorCode}`);
  if (row.status !== live.risk.status) out.push(`status ${row.status} vs ${live.risk.status}`);
  for (const f of FIGURES) {
    const a = row[f];
    const b = live.risk[f];
    if (a !== b) out.push(`${f} ${a} vs ${b}`);
  }
  return out;
}

describe('accountsAtRisk after concurrent writes', () => {
  it('equals Account.risk for every written account right after each burst, while sweeps run', async () => {
    let sweeping = true;
    let sweeps = 0;
    const sweeper = (async () => {
      while (sweeping) {
        await sweepAccountRisk(api.database.db, { nowMs: NOW });
        sweeps += 1;
      }
    })();
    const stale: string[] = [];
    try {
      for (let burst = 0; burst < BURSTS; burst++) {
        const writes: Promise<any>[] = [];
        ids.forEach((accountId, i) => {
          const send = (name: keyof typeof MUTATIONS, input: Record<string, unknown>) =>
            api.gqlAs('broker', MUTATIONS[name], { input: { idempotencyKey: newKey(name), accountId, ...input } });
          writes.push(send('deposit', { asset: 'USDC', amount: String(1 + ((burst * 7 + i * 3) % 50)) }));
          writes.push(send('applyFill', { market: 'BTC-PERP', size: (burst + i) % 2 ? '0.01' : '-0.01', price: String(59_000 + 100 * ((burst + i) % 20)) }));
          writes.push(send('withdraw', { asset: 'USDC', amount: '3' }));
        });
        const responses = await Promise.all(writes);
        for (const res of responses) {
          expect(res.errors).toBeUndefined();
          const payload = Object.values(res.data)[0] as { userErrors: unknown[] };
          expect(payload.userErrors).toEqual([]);
        }
        // No sweep awaited: the rows must already reflect every committed write.
        const [rows, live] = await Promise.all([rowsOf(ids), liveRisk(ids)]);
        for (const id of ids) {
          const diff = differences(rows.get(id), live.get(id));
          if (diff.length) stale.push(`burst ${burst} account ${id} (version ${live.get(id).version}): ${diff.join('; ')}`);
        }
      }
    } finally {
      sweeping = false;
      await sweeper;
    }
    // The sweeps really ran beside the writes.
    expect(sweeps).toBeGreaterThan(0);
    expect(stale).toEqual([]);
  }, 240_000);
});
