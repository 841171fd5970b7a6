/**
 * Webhook administration over HTTP: ADMIN only, URL form and SSRF refusals (BAD_USER_INPUT naming `url`, nothing
 * written), the secret shown once, idempotency (replay, CONFLICT), audit in the same transaction, and broker scoping
 * of the reads (a BROKER reads its own endpoints only).
 */
import { startApi, type ApiHarness, type KeyName } from '../helpers/api-server';
import { newKey } from '../helpers/writes';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi({ kind: 'MIGRATED' });
});
afterAll(async () => {
  await api?.stop();
});

const REGISTER = `mutation($input: RegisterWebhookInput!) { registerWebhook(input: $input) { userErrors { field code message } secret webhook { id brokerId url description status eventKinds } } }`;
const UPDATE = `mutation($input: UpdateWebhookInput!) { updateWebhook(input: $input) { userErrors { field code message } webhook { id url status } } }`;
const DELETE = `mutation($input: DeleteWebhookInput!) { deleteWebhook(input: $input) { userErrors { field code message } deletedId } }`;
const LIST = `query($brokerId: ID) { webhooks(brokerId: $brokerId) { id brokerId url deliveries(first: 10) { edges { node { id } } pageInfo { hasNextPage } } } }`;
/** A public address literal: no DNS needed, and never contacted (no worker runs here). */
const PUBLIC_URL = 'https://93.184.216.34/margin-hooks';

async function register(who: KeyName, input: Record<string, unknown>, key = newKey('wh')) {
  const res = await api.gqlAs(who, REGISTER, { input: { idempotencyKey: key, brokerId: api.brokers.a, url: PUBLIC_URL, description: 'risk events', ...input } });
  return { res, payload: res.data?.registerWebhook };
}

async function endpointCount(): Promise<number> {
  const { rows } = await api.database.db.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM webhook_endpoint`);
  return Number(rows[0]!.n);
}

describe('registerWebhook', () => {
  it('returns the endpoint and a generated secret once; a replay returns the endpoint without it; audited without it', async () => {
    const key = newKey('wh');
    const first = await register('admin', {}, key);
    expect(first.payload.userErrors).toEqual([]);
    expect(first.payload.secret).toMatch(/^[0-9a-f]{64}$/);
    expect(first.payload.webhook).toMatchObject({ brokerId: api.brokers.a, url: PUBLIC_URL, status: 'ACTIVE', eventKinds: null });
    const replay = await register('admin', {}, key);
    expect(replay.payload.webhook.id).toBe(first.payload.webhook.id);
    expect(replay.payload.secret).toBeNull();
    const conflict = await register('admin', { description: 'other' }, key);
    expect(conflict.res.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    const { rows } = await api.database.db.pool.query<{ after: string }>(
      `SELECT after::text AS after FROM audit_event WHERE action = 'registerWebhook' AND after::text LIKE $1`,
      [`%${first.payload.webhook.id}%`],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.after).not.toContain(first.payload.secret);
    const stored = await api.database.db.pool.query<{ secret: string }>(`SELECT secret FROM webhook_endpoint WHERE id = $1`, [first.payload.webhook.id]);
    expect(stored.rows[0]!.secret).toBe(first.payload.secret);
  });

  it('keeps a given secret', async () => {
    const secret = 'x'.repeat(40);
    const { payload } = await register('admin', { secret, eventKinds: ['STATUS_CHANGE'] });
    expect(payload.secret).toBe(secret);
    expect(payload.webhook.eventKinds).toEqual(['STATUS_CHANGE']);
  });

  it.each(['broker', 'monitor', 'oracle'] as const)('refuses %s with FORBIDDEN and writes nothing', async (who) => {
    const before = await endpointCount();
    const { res } = await register(who, {});
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(await endpointCount()).toBe(before);
  });

  it.each([
    ['http://93.184.216.34/hook', 'https'],
    ['not a url', 'absolute'],
    ['https://user:pw@93.184.216.34/', 'credentials'],
    ['https://10.0.0.1/hook', 'private'],
    ['https://[::ffff:192.168.0.1]/hook', 'private'],
    ['https://169.254.169.254/latest/meta-data/', 'metadata'],
    ['https://127.0.0.1/hook', 'loopback'],
    ['https://localhost/hook', 'loopback'],
    ['http://127.0.0.1:9/hook', 'https'],
  ])('refuses url %s (BAD_USER_INPUT naming url, nothing written)', async (url, why) => {
    const before = await endpointCount();
    const { payload, res } = await register('admin', { url });
    expect(res.errors).toBeUndefined();
    expect(payload.webhook).toBeNull();
    expect(payload.secret).toBeNull();
    expect(payload.userErrors).toEqual([{ field: 'url', code: 'BAD_USER_INPUT', message: expect.stringContaining(why) }]);
    expect(await endpointCount()).toBe(before);
  });

  it('refuses a host that does not resolve, a short secret, an unknown broker and an empty description', async () => {
    expect((await register('admin', { url: 'https://no-such-host.invalid/hook' })).payload.userErrors).toEqual([
      { field: 'url', code: 'BAD_USER_INPUT', message: expect.stringContaining('does not resolve') },
    ]);
    expect((await register('admin', { secret: 'short' })).payload.userErrors[0]).toMatchObject({ field: 'secret', code: 'BAD_USER_INPUT' });
    expect((await register('admin', { brokerId: '00000000-0000-4000-8000-000000000000' })).payload.userErrors[0]).toMatchObject({ field: 'brokerId', code: 'NOT_FOUND' });
    expect((await register('admin', { description: '' })).payload.userErrors[0]).toMatchObject({ field: 'description', code: 'BAD_USER_INPUT' });
  });
});

describe('updateWebhook and deleteWebhook', () => {
  it('disables, enables, changes the url (checked), deletes; ADMIN only', async () => {
    const { payload } = await register('admin', {});
    const id = payload.webhook.id as string;
    const update = (who: KeyName, input: Record<string, unknown>) => api.gqlAs(who, UPDATE, { input: { idempotencyKey: newKey('up'), id, ...input } });
    expect((await update('broker', { status: 'DISABLED' })).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await update('admin', { status: 'DISABLED' })).data?.updateWebhook.webhook).toMatchObject({ id, status: 'DISABLED' });
    expect((await update('admin', { status: 'ACTIVE' })).data?.updateWebhook.webhook).toMatchObject({ id, status: 'ACTIVE' });
    expect((await update('admin', { url: 'https://10.1.1.1/x' })).data?.updateWebhook.userErrors).toEqual([
      { field: 'url', code: 'BAD_USER_INPUT', message: expect.stringContaining('private') },
    ]);
    expect((await update('admin', { url: 'https://93.184.216.35/x' })).data?.updateWebhook.webhook.url).toBe('https://93.184.216.35/x');
    const del = (who: KeyName) => api.gqlAs(who, DELETE, { input: { idempotencyKey: newKey('del'), id } });
    expect((await del('broker')).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await del('admin')).data?.deleteWebhook).toEqual({ userErrors: [], deletedId: id });
    expect((await del('admin')).data?.deleteWebhook.userErrors[0]).toMatchObject({ field: 'id', code: 'NOT_FOUND' });
  });
});

describe('webhooks (reads)', () => {
  it("a BROKER reads its own endpoints only, never another broker's; MONITOR is refused; ADMIN reads any", async () => {
    const a = (await register('admin', { brokerId: api.brokers.a })).payload.webhook.id as string;
    const b = (await register('admin', { brokerId: api.brokers.b })).payload.webhook.id as string;
    const own = await api.gqlAs('broker', LIST, {});
    const ownIds = own.data!.webhooks.map((w: any) => w.id);
    expect(ownIds).toContain(a);
    expect(ownIds).not.toContain(b);
    expect(own.data!.webhooks.every((w: any) => w.brokerId === api.brokers.a)).toBe(true);
    const other = await api.gqlAs('broker', LIST, { brokerId: api.brokers.b });
    expect(other.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(other.data?.webhooks ?? null).toBeNull();
    const otherSide = await api.gqlAs('otherBroker', LIST, {});
    expect(otherSide.data!.webhooks.map((w: any) => w.id)).toEqual(expect.arrayContaining([b]));
    expect(otherSide.data!.webhooks.map((w: any) => w.id)).not.toContain(a);
    expect((await api.gqlAs('monitor', LIST, {})).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const admin = await api.gqlAs('admin', LIST, { brokerId: api.brokers.b });
    expect(admin.data!.webhooks.map((w: any) => w.id)).toContain(b);
    expect(admin.data!.webhooks.map((w: any) => w.id)).not.toContain(a);
    // The secret is not part of the schema at all.
    expect((await api.gqlAs('admin', `{ webhooks { secret } }`)).errors?.[0]?.message).toMatch(/Cannot query field "secret"/);
  });
});
