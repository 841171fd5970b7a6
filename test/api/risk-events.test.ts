/**
 * The risk-event log over HTTP (Query.riskEvents, Account.riskEvents) against the real server and Postgres: events
 * recorded by the account_risk writer (upsertAccountRisk) for two brokers' accounts are listed newest first with
 * keyset cursors both ways, filtered by account, kind, status and time, scoped per broker (a BROKER sees its own
 * broker's events, and naming another broker finds nothing), with the versions and threshold fields.
 */
import Decimal from 'decimal.js';
import { rowFromError, upsertAccountRisk, type AccountRiskRow } from '../../src/monitoring/account-risk.repository';
import type { AccountStatus } from '../../src/risk';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { newKey, ok, setPrices } from '../helpers/writes';

let api: ApiHarness;
let a1: string;
let a2: string;
let b1: string;
let version = 5_000_000n;
const THRESHOLDS = [new Decimal('0.5'), new Decimal('0.9')];

function row(accountId: string, status: AccountStatus, ratio: string): AccountRiskRow {
  version += 1n;
  const stamp = { accountVersion: 1_000, marketDataVersion: String(version), evaluatedAtMs: Date.now() };
  return { ...rowFromError(accountId, 'UNUSED', stamp), status, errorCode: null, marginRatio: new Decimal(ratio), ratioKey: new Decimal(ratio) };
}

const FIELDS = `edges { cursor node { id accountId brokerId kind from to marginRatio accountVersion marketDataVersion parameterVersion createdAt threshold direction ratioBefore ratioAfter } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`;
const LIST = `query($filter: RiskEventListFilter, $first: Int, $after: String, $last: Int, $before: String) {
  riskEvents(filter: $filter, first: $first, after: $after, last: $last, before: $before) { ${FIELDS} } }`;

beforeAll(async () => {
  api = await startApi({
    kind: 'SEEDED',
    // A venue threshold no direct write below reaches (they pass their own): only the write path's refresh uses it.
    config: { rateLimitPoints: 100_000, riskEventRatioThresholds: [new Decimal('0.001')] },
  });
  const create = async (who: 'broker' | 'otherBroker') => (await ok(api, who, 'createAccount', { externalRef: newKey('ev') })).account.id as string;
  [a1, a2, b1] = [await create('broker'), await create('broker'), await create('otherBroker')];
  await api.database.db.pool.query(`DELETE FROM risk_event`);
  const q = api.database.db.pool;
  await upsertAccountRisk(q, [row(a1, 'HEALTHY', '0.2'), row(a2, 'HEALTHY', '0.2'), row(b1, 'HEALTHY', '0.2')], THRESHOLDS);
  // a1: 0.2 → 1.2 LIQUIDATABLE (status change + crossings of 0.5 and 0.9 UP); then back to 0.3 HEALTHY (3 more).
  await upsertAccountRisk(q, [row(a1, 'LIQUIDATABLE', '1.2')], THRESHOLDS);
  await upsertAccountRisk(q, [row(a1, 'HEALTHY', '0.3')], THRESHOLDS);
  // a2: 0.2 → 0.6 (crossing 0.5 UP); b1: 0.2 → 1.1 LIQUIDATABLE (3 events).
  await upsertAccountRisk(q, [row(a2, 'HEALTHY', '0.6')], THRESHOLDS);
  await upsertAccountRisk(q, [row(b1, 'LIQUIDATABLE', '1.1')], THRESHOLDS);
});
afterAll(async () => {
  await api?.stop();
});

const nodes = (data: any) => data.riskEvents.edges.map((e: any) => e.node);

describe('risk-event connections', () => {
  it('lists every event newest first for a MONITOR, with versions and threshold fields, and pages both ways', async () => {
    const all = await api.gql(LIST, { first: 200 });
    expect(all.errors).toBeUndefined();
    const events = nodes(all.data);
    expect(events).toHaveLength(10);
    const { rows } = await api.database.db.pool.query<{ id: string }>(`SELECT id FROM risk_event ORDER BY seq DESC`);
    expect(events.map((e: any) => e.id)).toEqual(rows.map((r) => r.id));
    expect(events[0]).toMatchObject({ accountId: b1, brokerId: api.brokers.b, to: 'LIQUIDATABLE', ratioAfter: '1.1', ratioBefore: '0.2' });
    const down = events.filter((e: any) => e.accountId === a1 && e.direction === 'DOWN');
    expect(down.map((e: any) => [e.kind, e.threshold, e.ratioBefore, e.ratioAfter]).sort()).toEqual([
      ['THRESHOLD_CROSSING', '0.5', '1.2', '0.3'],
      ['THRESHOLD_CROSSING', '0.9', '1.2', '0.3'],
    ]);
    const change = events.find((e: any) => e.accountId === a1 && e.kind === 'STATUS_CHANGE' && e.to === 'LIQUIDATABLE');
    expect(change).toMatchObject({ from: 'HEALTHY', threshold: null, direction: null, accountVersion: 1_000, marginRatio: '1.2' });
    expect(typeof change.marketDataVersion).toBe('string');

    // Forward pages of 3 follow each other without gaps; a backward page before the last cursor returns the same.
    const seen: string[] = [];
    let after: string | null = null;
    for (;;) {
      const page: any = await api.gql(LIST, { first: 3, after });
      seen.push(...nodes(page.data).map((e: any) => e.id));
      expect(page.data.riskEvents.pageInfo.hasPreviousPage).toBe(after !== null);
      if (!page.data.riskEvents.pageInfo.hasNextPage) break;
      after = page.data.riskEvents.pageInfo.endCursor;
    }
    expect(seen).toEqual(rows.map((r) => r.id));
    const firstPage: any = await api.gql(LIST, { first: 3 });
    const back: any = await api.gql(LIST, { last: 3, before: firstPage.data.riskEvents.edges[2].cursor });
    expect(nodes(back.data).map((e: any) => e.id)).toEqual(rows.slice(0, 2).map((r) => r.id));
    expect(back.data.riskEvents.pageInfo.hasPreviousPage).toBe(false);
  });

  it('filters by account, kind, status and time', async () => {
    const byAccount = nodes((await api.gql(LIST, { filter: { accountId: a2 } })).data);
    expect(byAccount.map((e: any) => [e.kind, e.threshold, e.direction])).toEqual([['THRESHOLD_CROSSING', '0.5', 'UP']]);
    const statusOnly = nodes((await api.gql(LIST, { filter: { kinds: ['STATUS_CHANGE'], statuses: ['LIQUIDATABLE'] } })).data);
    expect(statusOnly.map((e: any) => e.accountId).sort()).toEqual([a1, b1].sort());
    const future = nodes((await api.gql(LIST, { filter: { since: new Date(Date.now() + 60_000).toISOString() } })).data);
    expect(future).toEqual([]);
    const past = nodes((await api.gql(LIST, { filter: { until: new Date(Date.now() + 60_000).toISOString() } })).data);
    expect(past).toHaveLength(10);
  });

  it("scopes a BROKER to its own broker's events: naming another broker finds nothing", async () => {
    const own = nodes((await api.gqlAs('broker', LIST, { first: 200 })).data);
    expect(own).toHaveLength(7);
    expect(new Set(own.map((e: any) => e.brokerId))).toEqual(new Set([api.brokers.a]));
    const naming = await api.gqlAs('broker', LIST, { filter: { brokerId: api.brokers.b } });
    expect(naming.errors).toBeUndefined();
    expect(nodes(naming.data)).toEqual([]);
    const otherAccount = await api.gqlAs('broker', LIST, { filter: { accountId: b1 } });
    expect(nodes(otherAccount.data)).toEqual([]);
    const monitorNaming = nodes((await api.gql(LIST, { filter: { brokerId: api.brokers.b } })).data);
    expect(monitorNaming).toHaveLength(3);
    const oracle = await api.gqlAs('oracle', LIST, {});
    expect(oracle.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('Account.riskEvents lists the account events newest first, by kind', async () => {
    const res = await api.gqlAs('broker', `query($id: ID!) { account(id: $id) {
      all: riskEvents(first: 50) { ${FIELDS} } crossings: riskEvents(kinds: [THRESHOLD_CROSSING], first: 2) { ${FIELDS} } } }`, { id: a1 });
    expect(res.errors).toBeUndefined();
    const all = res.data!.account.all.edges.map((e: any) => e.node);
    expect(all.map((e: any) => e.kind)).toHaveLength(6);
    expect(all[0].ratioAfter).toBe('0.3');
    const crossings = res.data!.account.crossings;
    expect(crossings.edges.map((e: any) => e.node.kind)).toEqual(['THRESHOLD_CROSSING', 'THRESHOLD_CROSSING']);
    expect(crossings.pageInfo.hasNextPage).toBe(true);
  });

  it('refuses bad input naming the argument', async () => {
    const badCursor = await api.gql(LIST, { after: 'nope' });
    expect(badCursor.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
    const badId = await api.gql(LIST, { filter: { accountId: 'x' } });
    expect(badId.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.accountId' });
    const empty = await api.gql(LIST, { filter: { since: '2026-01-02T00:00:00Z', until: '2026-01-01T00:00:00Z' } });
    expect(empty.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.until' });
    const mixed = await api.gql(LIST, { first: 2, last: 2 });
    expect(mixed.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
  });

  it("a write's refresh records crossings of the venue's configured thresholds (config RISK_EVENT_RATIO_THRESHOLDS)", async () => {
    await setPrices(api, { 'BTC-PERP': '60000' }, { BTC: '60000' });
    const id = (await ok(api, 'broker', 'createAccount', { externalRef: newKey('ev') })).account.id as string;
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '10000' });
    await ok(api, 'broker', 'applyFill', { accountId: id, market: 'BTC-PERP', size: '0.1', price: '60000' });
    const res = await api.gql(`query($id: ID!) { account(id: $id) { risk { marginRatio } riskEvents(kinds: [THRESHOLD_CROSSING]) { ${FIELDS} } } }`, { id });
    expect(res.errors).toBeUndefined();
    const ratio = new Decimal(res.data!.account.risk.marginRatio);
    expect(ratio.gte('0.001') && ratio.lt('0.5')).toBe(true);
    const crossings = res.data!.account.riskEvents.edges.map((e: any) => e.node);
    expect(crossings.map((e: any) => [e.threshold, e.direction, e.ratioBefore])).toEqual([['0.001', 'UP', '0']]);
    expect(new Decimal(crossings[0].ratioAfter).eq(ratio)).toBe(true);
  });
});
