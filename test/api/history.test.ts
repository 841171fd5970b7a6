/**
 * Reads of what the service writes, over HTTP on the seeded venue: Account.ledger (reconciles with the balances;
 * filters by kind, asset and time; both directions), auditEvents (ADMIN only; filters by actor, action, account,
 * time), priceHistory (range, both directions), and AccountAtRisk.errorCode as an enum.
 */
import BaseDecimal from 'decimal.js';
import { sweepAccountRisk } from '../../src/monitoring/sweep';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { ok } from '../helpers/writes';

const Decimal = BaseDecimal.clone({ precision: 100 });
let api: ApiHarness;
let accountId: string;
beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED' });
  const { rows } = await api.database.db.pool.query<{ id: string }>(
    `SELECT a.id FROM account a WHERE a.broker_id = $1
      ORDER BY (SELECT count(*) FROM ledger_entry l WHERE l.account_id = a.id) DESC, a.id LIMIT 1`,
    [api.brokers.a],
  );
  accountId = rows[0]!.id;
});
afterAll(async () => {
  await api.stop();
});

const LEDGER = `query($id: ID!, $filter: LedgerFilter, $first: Int, $after: String, $last: Int, $before: String) {
  account(id: $id) {
    balances { asset { symbol } amount }
    ledger(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id kind amount reference createdAt asset { symbol } } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  } }`;

async function wholeLedger(vars: Record<string, unknown>, who: 'monitor' | 'broker' = 'monitor', size = 7): Promise<any[]> {
  const entries: any[] = [];
  let after: string | null = null;
  for (let i = 0; i < 1000; i++) {
    const res: any = await api.gqlAs(who, LEDGER, { id: accountId, ...vars, first: size, after });
    expect(res.errors).toBeUndefined();
    const c = res.data.account.ledger;
    entries.push(...c.edges.map((e: any) => e.node));
    if (!c.pageInfo.hasNextPage) return entries;
    after = c.pageInfo.endCursor;
  }
  throw new Error('too many pages');
}

describe('Account.ledger', () => {
  it('lists every entry oldest first, and per asset the entries add up to the balance', async () => {
    const entries = await wholeLedger({}, 'broker');
    expect(entries.length).toBeGreaterThan(1);
    const ids = entries.map((e) => BigInt(e.id));
    expect([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(ids);
    const sums = new Map<string, BaseDecimal>();
    for (const e of entries) sums.set(e.asset.symbol, (sums.get(e.asset.symbol) ?? new Decimal(0)).plus(e.amount));
    const res = await api.gql(LEDGER, { id: accountId, first: 1 });
    const balances = res.data!.account.balances as { asset: { symbol: string }; amount: string }[];
    expect(balances.length).toBeGreaterThan(0);
    for (const b of balances) expect((sums.get(b.asset.symbol) ?? new Decimal(0)).eq(b.amount)).toBe(true);
    const { rows } = await api.database.db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ledger_entry WHERE account_id = $1`, [accountId]);
    expect(entries.length).toBe(Number(rows[0]!.n));
  });

  it('pages backward from the newest entry to the same list', async () => {
    const forward = await wholeLedger({});
    const pages: any[][] = [];
    let before: string | null = null;
    for (let i = 0; ; i++) {
      const res: any = await api.gql(LEDGER, { id: accountId, last: 5, before });
      const c = res.data.account.ledger;
      expect(c.pageInfo.hasNextPage).toBe(i > 0);
      pages.unshift(c.edges.map((e: any) => e.node));
      if (!c.pageInfo.hasPreviousPage) break;
      before = c.pageInfo.startCursor;
    }
    expect(pages.flat()).toEqual(forward);
  });

  it('filters by kind, asset and time range', async () => {
    const all = await wholeLedger({});
    const kinds = [...new Set(all.map((e) => e.kind))];
    const kind = kinds[0];
    const ofKind = await wholeLedger({ filter: { kinds: [kind] } });
    expect(ofKind).toEqual(all.filter((e) => e.kind === kind));
    const asset = all[0].asset.symbol;
    expect(await wholeLedger({ filter: { asset } })).toEqual(all.filter((e) => e.asset.symbol === asset));

    // A deposit now: the only entry of kind DEPOSIT for this account in [just before it, a minute after).
    const from = new Date().toISOString();
    const deposit = await ok(api, 'broker', 'deposit', { accountId, asset: 'USDC', amount: '12.5', reference: 'history-test' });
    const to = new Date(Date.now() + 60_000).toISOString();
    const recent = await wholeLedger({ filter: { kinds: ['DEPOSIT'], from, to } });
    expect(recent).toHaveLength(1);
    expect(recent[0]).toMatchObject({ id: deposit.ledgerEntry.id, kind: 'DEPOSIT', amount: '12.5', reference: 'history-test' });
    const newest = await api.gql(LEDGER, { id: accountId, last: 1 });
    expect(newest.data!.account.ledger.edges[0].node.id).toBe(deposit.ledgerEntry.id);
    expect(await wholeLedger({ filter: { to: from } })).toEqual(all.filter((e) => e.createdAt < from));

    const empty = await api.gql(LEDGER, { id: accountId, filter: { from: to, to: from } });
    expect(empty.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.to' });
  });
});

describe('auditEvents', () => {
  const AUDIT = `query($filter: AuditEventFilter, $first: Int, $after: String, $last: Int, $before: String) {
    auditEvents(filter: $filter, first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { id apiKeyId brokerId role action accountId requestId before after createdAt } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    } }`;

  it('is for ADMIN keys only', async () => {
    for (const who of ['monitor', 'broker', 'oracle'] as const) {
      const res = await api.gqlAs(who, AUDIT, {});
      expect(res.errors![0]!.extensions!.code).toBe('FORBIDDEN');
    }
  });

  it('records each write with its actor, and filters by actor, action, account and time', async () => {
    const since = new Date(Date.now() - 1).toISOString();
    const created = await ok(api, 'broker', 'createAccount', { externalRef: `audit-${Date.now()}` });
    const id = created.account.id as string;
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '100' });
    await ok(api, 'admin', 'deposit', { accountId: id, asset: 'USDC', amount: '5' });
    await ok(api, 'oracle', 'updatePrices', { marks: [], indexes: [{ asset: 'BTC', price: '50000', observedAt: new Date().toISOString() }] });

    const onAccount = await api.gqlAs('admin', AUDIT, { filter: { accountId: id } });
    expect(onAccount.errors).toBeUndefined();
    const events = onAccount.data!.auditEvents.edges.map((e: any) => e.node);
    expect(events.map((e: any) => e.action)).toEqual(['createAccount', 'deposit', 'deposit']);
    expect(events[1]).toMatchObject({ apiKeyId: api.keys.broker.id, brokerId: api.brokers.a, role: 'BROKER', accountId: id });
    expect(events[2]).toMatchObject({ apiKeyId: api.keys.admin.id, role: 'ADMIN' });
    expect(JSON.parse(events[1].after)).toBeTruthy();

    const byKey = await api.gqlAs('admin', AUDIT, { filter: { apiKeyId: api.keys.broker.id, from: since } });
    expect(byKey.data!.auditEvents.edges.map((e: any) => e.node.action)).toEqual(['createAccount', 'deposit']);
    // The broker concerned: the account's, whichever key wrote.
    const byBroker = await api.gqlAs('admin', AUDIT, { filter: { brokerId: api.brokers.a, action: 'deposit', from: since } });
    expect(byBroker.data!.auditEvents.edges.map((e: any) => e.node.apiKeyId)).toEqual([api.keys.broker.id, api.keys.admin.id]);
    const otherBroker = await api.gqlAs('admin', AUDIT, { filter: { brokerId: api.brokers.b, from: since } });
    expect(otherBroker.data!.auditEvents.edges).toEqual([]);
    const prices = await api.gqlAs('admin', AUDIT, { filter: { action: 'updatePrices', from: since } });
    expect(prices.data!.auditEvents.edges.map((e: any) => e.node.apiKeyId)).toEqual([api.keys.oracle.id]);
    const before = await api.gqlAs('admin', AUDIT, { filter: { accountId: id, to: since } });
    expect(before.data!.auditEvents.edges).toEqual([]);

    // Newest first by paging backward: the last event is the price update.
    const newest = await api.gqlAs('admin', AUDIT, { last: 2 });
    expect(newest.data!.auditEvents.edges.map((e: any) => e.node.action)).toEqual(['deposit', 'updatePrices']);
    expect(newest.data!.auditEvents.pageInfo).toMatchObject({ hasNextPage: false });
  });

  it('refuses ids that are not UUIDs, naming the filter field', async () => {
    const res = await api.gqlAs('admin', AUDIT, { filter: { apiKeyId: 'key-1' } });
    expect(res.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.apiKeyId' });
  });
});

describe('priceHistory', () => {
  const HISTORY = `query($symbol: String!, $from: DateTime, $to: DateTime, $first: Int, $after: String, $last: Int, $before: String) {
    priceHistory(symbol: $symbol, from: $from, to: $to, first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { asset price source observedAt } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    } }`;

  it('reads an asset’s stored history in a range, oldest first, both directions, for any role', async () => {
    const { rows } = await api.database.db.pool.query<{ price: string; observed_at: Date }>(
      `SELECT price::text AS price, observed_at FROM price_history WHERE asset_symbol = 'BTC' ORDER BY observed_at`,
    );
    expect(rows.length).toBeGreaterThan(100);
    const from = rows[10]!.observed_at.toISOString();
    const to = rows[60]!.observed_at.toISOString();
    const expected = rows.slice(10, 60).map((r) => r.observed_at.toISOString());
    const res = await api.gqlAs('oracle', HISTORY, { symbol: 'BTC', from, to, first: 200 });
    expect(res.errors).toBeUndefined();
    const nodes = res.data!.priceHistory.edges.map((e: any) => e.node);
    expect(nodes.map((n: any) => n.observedAt)).toEqual(expected);
    expect(new Decimal(nodes[0].price).eq(rows[10]!.price)).toBe(true);
    expect(nodes[0].asset).toBe('BTC');

    const back = await api.gqlAs('broker', HISTORY, { symbol: 'BTC', from, to, last: 20 });
    expect(back.data!.priceHistory.edges.map((e: any) => e.node.observedAt)).toEqual(expected.slice(-20));
    expect(back.data!.priceHistory.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const prev = await api.gqlAs('broker', HISTORY, { symbol: 'BTC', from, to, last: 20, before: back.data!.priceHistory.pageInfo.startCursor });
    expect(prev.data!.priceHistory.edges.map((e: any) => e.node.observedAt)).toEqual(expected.slice(-40, -20));
    expect(prev.data!.priceHistory.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: true });

    const unknown = await api.gql(HISTORY, { symbol: 'NOPE' });
    expect(unknown.data!.priceHistory).toEqual({ edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
    const inverted = await api.gql(HISTORY, { symbol: 'BTC', from: to, to: from });
    expect(inverted.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'to' });
  });
});

describe('AccountAtRisk.errorCode', () => {
  it('is an EvaluationErrorCode: prices older than allowed fail evaluations with STALE_PRICE', async () => {
    // Markets that allow prices one minute old (the demo venue allows years), evaluated a day later.
    await api.database.db.pool.query(`UPDATE market SET max_price_age_seconds = 60`);
    await sweepAccountRisk(api.database.db, { nowMs: Date.now() + 86_400_000 });
    // Failed evaluations are listed last.
    const res = await api.gql(`{ accountsAtRisk(last: 3) { edges { node { status errorCode } } } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.accountsAtRisk.edges).toHaveLength(3);
    for (const e of res.data!.accountsAtRisk.edges) expect(e.node).toEqual({ status: null, errorCode: 'STALE_PRICE' });
    const type = await api.gql(`{ __type(name: "AccountAtRisk") { fields { name type { kind name } } } }`);
    const field = type.data!.__type.fields.find((f: any) => f.name === 'errorCode');
    expect(field.type).toEqual({ kind: 'ENUM', name: 'EvaluationErrorCode' });
  });
});
