/**
 * Relay over HTTP on the seeded venue: full PageInfo and backward pagination (accounts, accountsAtRisk), and object
 * identification (Node, node(id:)) for accounts and positions, with the tenancy rule of account(id:).
 */
import { sweepAccountRisk } from '../../src/monitoring/sweep';
import { startApi, type ApiHarness } from '../helpers/api-server';

const NOW = Date.now();
let api: ApiHarness;
const statements: string[] = [];
beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', now: () => NOW, onQuery: (sql) => statements.push(sql) });
  await sweepAccountRisk(api.database.db, { nowMs: NOW });
});
afterAll(async () => {
  await api.stop();
});

interface Page {
  ids: string[];
  cursors: string[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
}

const ACCOUNTS = `query($first: Int, $after: String, $last: Int, $before: String, $filter: AccountFilter) {
  accounts(first: $first, after: $after, last: $last, before: $before, filter: $filter) {
    edges { cursor node { id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  } }`;

async function accountsPage(vars: Record<string, unknown>, who: 'monitor' | 'broker' = 'monitor'): Promise<Page> {
  const res = await api.gqlAs(who, ACCOUNTS, vars);
  expect(res.errors).toBeUndefined();
  const c = res.data!.accounts;
  return { ids: c.edges.map((e: any) => e.node.id), cursors: c.edges.map((e: any) => e.cursor), pageInfo: c.pageInfo };
}

function expectCursorsMatch(page: Page): void {
  expect(page.pageInfo.startCursor).toBe(page.cursors[0] ?? null);
  expect(page.pageInfo.endCursor).toBe(page.cursors[page.cursors.length - 1] ?? null);
}

describe('accounts: full PageInfo, both directions', () => {
  let all: string[];
  beforeAll(async () => {
    const { rows } = await api.database.db.pool.query<{ id: string }>(`SELECT id FROM account ORDER BY id`);
    all = rows.map((r) => r.id);
    expect(all.length).toBeGreaterThan(400);
  });

  it('pages forward with hasPreviousPage / startCursor, and backward with last / before, over the same order', async () => {
    const forward: string[] = [];
    let after: string | null = null;
    for (let i = 0; ; i++) {
      const page = await accountsPage({ first: 200, after });
      expectCursorsMatch(page);
      expect(page.pageInfo.hasPreviousPage).toBe(i > 0);
      forward.push(...page.ids);
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(forward).toEqual(all);

    const backward: string[][] = [];
    let before: string | null = null;
    for (let i = 0; ; i++) {
      const page = await accountsPage({ last: 150, before });
      expectCursorsMatch(page);
      expect(page.pageInfo.hasNextPage).toBe(i > 0);
      backward.unshift(page.ids);
      if (!page.pageInfo.hasPreviousPage) break;
      before = page.pageInfo.startCursor;
    }
    expect(backward.flat()).toEqual(all);
    expect(backward[backward.length - 1]).toEqual(all.slice(-150));
  });

  it('turns around: the page before a forward page is the previous one', async () => {
    const first = await accountsPage({ first: 10 });
    const second = await accountsPage({ first: 10, after: first.pageInfo.endCursor });
    expect(second.ids).toEqual(all.slice(10, 20));
    const back = await accountsPage({ last: 10, before: second.pageInfo.startCursor });
    expect(back.ids).toEqual(first.ids);
    expect(back.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
    // The second account's cursor: exactly one account before it.
    const afterOne = await accountsPage({ first: 1, after: first.cursors[0] });
    expect(afterOne.pageInfo.hasPreviousPage).toBe(true);
    const beforeSecond = await accountsPage({ last: 5, before: first.cursors[1] });
    expect(beforeSecond.ids).toEqual([all[0]]);
    expect(beforeSecond.pageInfo).toMatchObject({ hasPreviousPage: false, hasNextPage: true });
  });

  it('keeps the filter on both sides of the cursor (a BROKER sees its own accounts only)', async () => {
    const { rows } = await api.database.db.pool.query<{ id: string }>(`SELECT id FROM account WHERE broker_id = $1 ORDER BY id`, [api.brokers.a]);
    const own = rows.map((r) => r.id);
    expect(own.length).toBeGreaterThan(3);
    const tail = await accountsPage({ last: 2 }, 'broker');
    expect(tail.ids).toEqual(own.slice(-2));
    expect(tail.pageInfo).toMatchObject({ hasPreviousPage: true, hasNextPage: false });
    const head = await accountsPage({ first: 2, after: null }, 'broker');
    expect(head.ids).toEqual(own.slice(0, 2));
  });

  it('reads the rows behind the cursor only when a client selects that flag', async () => {
    const first = await accountsPage({ first: 3 });
    const accountReads = async (selection: string): Promise<number> => {
      statements.length = 0;
      const res = await api.gql(`query($after: String) { accounts(first: 3, after: $after) { edges { node { id } } pageInfo { ${selection} } } }`, {
        after: first.pageInfo.endCursor,
      });
      expect(res.errors).toBeUndefined();
      return statements.filter((sql) => /FROM account\b/.test(sql)).length;
    };
    expect(await accountReads('hasNextPage endCursor')).toBe(1);
    expect(await accountReads('hasNextPage hasPreviousPage')).toBe(2);
  });

  it('refuses mixed directions and bad page sizes, naming the argument', async () => {
    const mixed = await api.gql(ACCOUNTS, { first: 2, last: 2 });
    expect(mixed.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
    const zero = await api.gql(ACCOUNTS, { last: 0 });
    expect(zero.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'last' });
    const bad = await api.gql(ACCOUNTS, { before: 'nope' });
    expect(bad.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'before' });
  });
});

describe('accountsAtRisk: backward pagination', () => {
  const AT_RISK = `query($first: Int, $after: String, $last: Int, $before: String) {
    accountsAtRisk(first: $first, after: $after, last: $last, before: $before) {
      edges { cursor node { accountId } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    } }`;

  it('reads the same worst-first order from either end', async () => {
    const forward: string[] = [];
    let after: string | null = null;
    for (;;) {
      const res: any = await api.gql(AT_RISK, { first: 200, after });
      expect(res.errors).toBeUndefined();
      const c = res.data.accountsAtRisk;
      forward.push(...c.edges.map((e: any) => e.node.accountId));
      if (!c.pageInfo.hasNextPage) break;
      after = c.pageInfo.endCursor;
    }
    const backward: string[][] = [];
    let before: string | null = null;
    for (let i = 0; ; i++) {
      const res: any = await api.gql(AT_RISK, { last: 170, before });
      expect(res.errors).toBeUndefined();
      const c = res.data.accountsAtRisk;
      expect(c.pageInfo.hasNextPage).toBe(i > 0);
      expect(c.pageInfo.startCursor).toBe(c.edges[0].cursor);
      backward.unshift(c.edges.map((e: any) => e.node.accountId));
      if (!c.pageInfo.hasPreviousPage) break;
      before = c.pageInfo.startCursor;
    }
    expect(forward.length).toBeGreaterThan(400);
    expect(backward.flat()).toEqual(forward);
  });
});

describe('Node and node(id:)', () => {
  const NODE = `query($id: ID!) { node(id: $id) { __typename id ... on Account { externalRef } ... on Position { size market { symbol } } } }`;
  let foreignAccount: string;
  let ownAccount: string;
  let ownPosition: { id: string; market: string };
  let foreignPosition: string;
  beforeAll(async () => {
    const q = api.database.db.pool;
    const acc = async (broker: string) =>
      (await q.query<{ id: string }>(`SELECT a.id FROM account a JOIN position p ON p.account_id = a.id WHERE a.broker_id = $1 AND p.size <> 0 ORDER BY a.id LIMIT 1`, [broker])).rows[0]!.id;
    ownAccount = await acc(api.brokers.a);
    foreignAccount = await acc(api.brokers.b);
    const pos = async (account: string) =>
      (await q.query<{ id: string; market_symbol: string }>(`SELECT id, market_symbol FROM position WHERE account_id = $1 AND size <> 0 ORDER BY id LIMIT 1`, [account])).rows[0]!;
    const p = await pos(ownAccount);
    ownPosition = { id: p.id, market: p.market_symbol };
    foreignPosition = (await pos(foreignAccount)).id;
  });

  it('answers accounts and positions by their ids, which are the existing id fields', async () => {
    const account = await api.gql(NODE, { id: ownAccount });
    expect(account.errors).toBeUndefined();
    expect(account.data!.node).toMatchObject({ __typename: 'Account', id: ownAccount });
    const direct = await api.gql(`query($id: ID!) { account(id: $id) { id externalRef positions { id } } }`, { id: ownAccount });
    expect(account.data!.node.externalRef).toBe(direct.data!.account.externalRef);
    expect(direct.data!.account.positions.map((p: any) => p.id)).toContain(ownPosition.id);
    const position = await api.gql(NODE, { id: ownPosition.id });
    expect(position.errors).toBeUndefined();
    expect(position.data!.node).toMatchObject({ __typename: 'Position', id: ownPosition.id, market: { symbol: ownPosition.market } });
  });

  it('answers null for an unknown or malformed id', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-an-id']) {
      const res = await api.gql(NODE, { id });
      expect(res.errors).toBeUndefined();
      expect(res.data!.node).toBeNull();
    }
  });

  it("gives a BROKER its own accounts and positions, and null for another broker's, as for an unknown id", async () => {
    const own = await api.gqlAs('broker', NODE, { id: ownAccount });
    expect(own.data!.node).toMatchObject({ __typename: 'Account', id: ownAccount });
    const ownPos = await api.gqlAs('broker', NODE, { id: ownPosition.id });
    expect(ownPos.data!.node).toMatchObject({ __typename: 'Position', id: ownPosition.id });
    for (const id of [foreignAccount, foreignPosition]) {
      const res = await api.gqlAs('broker', NODE, { id });
      expect(res.errors).toBeUndefined();
      expect(res.data!.node).toBeNull();
    }
    // account(id:) answers NOT_FOUND for the same account: the two reads agree that it is not visible.
    const account = await api.gqlAs('broker', `query($id: ID!) { account(id: $id) { id } }`, { id: foreignAccount });
    expect(account.errors![0]!.extensions!.code).toBe('NOT_FOUND');
  });

  it('is refused to roles that read no accounts', async () => {
    const res = await api.gqlAs('oracle', NODE, { id: ownAccount });
    expect(res.errors![0]!.extensions!.code).toBe('FORBIDDEN');
  });
});
