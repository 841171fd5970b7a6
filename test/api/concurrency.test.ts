/**
 * Margin-checked writes under concurrency: 60 withdrawals and 20 fills fired at once at one account, from many
 * HTTP connections — at one service instance, split between two instances with their own pools on one database, and
 * split between this process and a second OS process running the service on the same database. Withdrawals alternate between two collateral assets, so each one's own
 * balance row lock does not serialize it against the others: only the account row lock does. The final state must
 * satisfy margin (engine freeCollateral ≥ 0) and the ledger, the balances and the accepted responses agree exactly.
 */
import Decimal from 'decimal.js';
import { loadAccountSnapshots } from '../../src/snapshot/snapshot.loader';
import { evaluateAccount } from '../../src/risk';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { startServiceProcess } from '../helpers/service-process';
import { MUTATIONS, newKey, ok, setPrices } from '../helpers/writes';

const config = { rateLimitPoints: 100_000 };
let api: ApiHarness;
let second: ApiHarness;
beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', config, poolMax: 20 });
  second = await startApi({ shareWith: api, config, poolMax: 20 });
  await setPrices(api, { 'BTC-PERP': '50000' }, { USDT: '1' });
});
afterAll(async () => {
  await second?.stop();
  await api?.stop();
});

const WITHDRAWALS = 60;
const WITHDRAWAL = new Decimal(50);
const FILLS = 20;
const FEE = new Decimal('0.5');

async function race(servers: Pick<ApiHarness, 'gqlAs'>[]) {
  const id = (await ok(api, 'broker', 'createAccount', { externalRef: newKey('race') })).account.id;
  await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '600' });
  await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDT', amount: '600' });
  await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.2', price: '50000' });
  // Free collateral now 600 + 600 × 0.98 − 200 (IM of 10,000 notional at 2%) = 988: about 20 withdrawals of 50 fit,
  // so most of the 60 are in flight when the account reaches its limit.
  const assetOf = (i: number) => (i % 2 === 0 ? 'USDC' : 'USDT');

  const requests: Promise<{ kind: 'withdraw' | 'fill'; res: any; asset?: string }>[] = [];
  for (let i = 0; i < WITHDRAWALS + FILLS; i++) {
    const server = servers[i % servers.length]!;
    const isFill = i % 4 === 3;
    const send = isFill
      ? server.gqlAs('broker', MUTATIONS.applyFill, {
          input: { idempotencyKey: newKey('f'), accountId: id, market: 'BTC-PERP', size: i % 8 === 3 ? '0.01' : '-0.01', price: '50000', fee: FEE.toFixed() },
        }).then((res) => ({ kind: 'fill' as const, res }))
      : server.gqlAs('broker', MUTATIONS.withdraw, {
          input: { idempotencyKey: newKey('w'), accountId: id, asset: assetOf(i), amount: WITHDRAWAL.toFixed() },
        }).then((res) => ({ kind: 'withdraw' as const, res, asset: assetOf(i) }));
    requests.push(send);
  }
  const results = await Promise.all(requests);
  expect(results.filter((r) => r.kind === 'fill')).toHaveLength(FILLS);

  let withdrawn = new Decimal(0);
  const withdrawnByAsset: Record<string, Decimal> = { USDC: new Decimal(0), USDT: new Decimal(0) };
  let acceptedWithdrawals = 0;
  let refusedWithdrawals = 0;
  let acceptedFills = 0;
  for (const { kind, res, asset } of results) {
    expect(res.errors).toBeUndefined();
    const payload = kind === 'withdraw' ? res.data.withdraw : res.data.applyFill;
    if (payload.userErrors.length === 0) {
      if (kind === 'withdraw') {
        acceptedWithdrawals += 1;
        withdrawn = withdrawn.add(WITHDRAWAL);
        withdrawnByAsset[asset!] = withdrawnByAsset[asset!]!.add(WITHDRAWAL);
        expect(new Decimal(payload.freeCollateral).gte(0)).toBe(true);
      } else {
        acceptedFills += 1;
      }
    } else {
      expect(payload.userErrors.map((e: any) => e.code)).toEqual(['INSUFFICIENT_MARGIN']);
      if (kind === 'withdraw') refusedWithdrawals += 1;
    }
  }
  expect(acceptedWithdrawals).toBeGreaterThan(0);
  expect(refusedWithdrawals).toBeGreaterThan(0);
  expect(acceptedWithdrawals + refusedWithdrawals).toBe(WITHDRAWALS);

  const pool = api.database.db.pool;
  const ledger = await pool.query<{ kind: string; asset: string; n: number; total: string }>(
    `SELECT kind::text, asset_symbol AS asset, count(*)::int AS n, sum(amount)::text AS total
       FROM ledger_entry WHERE account_id = $1 GROUP BY kind, asset_symbol`,
    [id],
  );
  const entry = (kind: string, asset: string) => ledger.rows.find((r) => r.kind === kind && r.asset === asset);
  const balances = await pool.query<{ asset: string; amount: string }>(
    `SELECT asset_symbol AS asset, amount FROM balance WHERE account_id = $1`,
    [id],
  );
  const balanceOf = (asset: string) => new Decimal(balances.rows.find((r) => r.asset === asset)!.amount);
  // The sum of accepted withdrawals is exactly what the ledger shows …
  expect((entry('WITHDRAWAL', 'USDC')?.n ?? 0) + (entry('WITHDRAWAL', 'USDT')?.n ?? 0)).toBe(acceptedWithdrawals);
  for (const asset of ['USDC', 'USDT']) {
    expect(new Decimal(entry('WITHDRAWAL', asset)?.total ?? 0).neg().eq(withdrawnByAsset[asset]!)).toBe(true);
    // … and each balance: Σ ledger = balance.
    const sum = ledger.rows.filter((r) => r.asset === asset).reduce((acc, r) => acc.add(r.total), new Decimal(0));
    expect(sum.eq(balanceOf(asset))).toBe(true);
  }
  expect(entry('TRADE_FEE', 'USDC')?.n ?? 0).toBe(acceptedFills);
  // Balance changes: 600 each − withdrawals − fees (fills at the mark realize nothing).
  expect(balanceOf('USDC').eq(new Decimal(600).sub(withdrawnByAsset.USDC!).sub(FEE.mul(acceptedFills)))).toBe(true);
  expect(balanceOf('USDT').eq(new Decimal(600).sub(withdrawnByAsset.USDT!))).toBe(true);
  expect(withdrawn.eq(withdrawnByAsset.USDC!.add(withdrawnByAsset.USDT!))).toBe(true);

  // The final state satisfies margin by the engine.
  const snapshot = (await loadAccountSnapshots(pool, [id], Date.now())).get(id)!.snapshot;
  const risk = evaluateAccount(snapshot);
  expect(risk.freeCollateral.gte(0)).toBe(true);
  // Refusals were not spurious: little room is left (a withdrawal costs 49–51; later sells free up to 10 each).
  expect(risk.freeCollateral.lt(WITHDRAWAL.mul(4))).toBe(true);

  // Every accepted write bumped the version once (no lost update) and left one audit event.
  const writes = 3 + acceptedWithdrawals + acceptedFills;
  const account = await pool.query<{ version: number }>(`SELECT version FROM account WHERE id = $1`, [id]);
  expect(account.rows[0]!.version).toBe(1 + writes);
  const audits = await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_event WHERE account_id = $1`, [id]);
  expect(audits.rows[0]!.n).toBe(1 + writes);
  return { acceptedWithdrawals, acceptedFills };
}

describe('concurrent margin-checked writes on one account', () => {
  it('one service instance: 60 withdrawals + 20 fills at once keep the account within margin', async () => {
    const outcome = await race([api]);
    expect(outcome.acceptedWithdrawals).toBeLessThanOrEqual(21);
  });

  it('two service instances with their own pools on one database', async () => {
    const outcome = await race([api, second]);
    expect(outcome.acceptedWithdrawals).toBeLessThanOrEqual(21);
  });

  it('two service processes on one database', async () => {
    // A second OS process running src/main.ts against the same database (no seeding, no sweep of its own).
    const other = await startServiceProcess({
      DATABASE_URL: api.database.url,
      SEED_DEMO: 'false',
      SWEEP_ENABLED: 'false',
      RATE_LIMIT_POINTS: '100000',
      LOG_LEVEL: 'warn',
    });
    try {
      const viaProcess: Pick<ApiHarness, 'gqlAs'> = {
        gqlAs: (who, query, variables) => other.gql(typeof who === 'string' ? api.keys[who].key : who!.key, query, variables),
      };
      const outcome = await race([api, viaProcess]);
      expect(outcome.acceptedWithdrawals).toBeLessThanOrEqual(21);
    } finally {
      expect(await other.stop()).toBe(0);
    }
  }, 120_000);
});
