/** API keys in the store: hashes only, lookup by prefix, revocation, and the demo keys of the embedded venue. */
import pino from 'pino';
import {
  DEMO_API_KEYS,
  ensureDemoApiKeys,
  generateApiKey,
  hashApiKey,
  insertApiKey,
  parseApiKey,
  revokeApiKey,
  verifyApiKey,
} from '../../src/store/api-key.repository';
import { openStore } from '../../src/store/open-store';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

let seeded: TestDatabase;
let migrated: TestDatabase;
beforeAll(async () => {
  [seeded, migrated] = await Promise.all([createTestDatabase('SEEDED'), createTestDatabase('MIGRATED')]);
});
afterAll(async () => {
  await Promise.all([seeded?.drop(), migrated?.drop()]);
});

describe('keys', () => {
  it('parses rk_<prefix>_<secret> and nothing else', () => {
    const { key, prefix } = generateApiKey();
    expect(parseApiKey(key)).toEqual({ prefix, key });
    for (const bad of ['', 'rk_', 'rk_abc_short', 'xx_abcdef_0123456789abcdef', `rk_${prefix}_${'a'.repeat(200)}`, `rk_a b_${'a'.repeat(20)}`]) {
      expect(parseApiKey(bad)).toBeNull();
    }
  });

  it('stores the sha256 of the key and its prefix, verifies, and fails once revoked', async () => {
    const { key, prefix } = generateApiKey();
    const record = await insertApiKey(migrated.db.pool, { key, role: 'MONITOR', brokerId: null, label: 'store test' });
    const { rows } = await migrated.db.pool.query(`SELECT prefix, hash FROM api_key WHERE id = $1`, [record!.id]);
    expect(rows[0]).toEqual({ prefix, hash: hashApiKey(key) });
    expect((await verifyApiKey(migrated.db.pool, key))!.id).toBe(record!.id);
    expect(await verifyApiKey(migrated.db.pool, `${key.slice(0, -1)}${key.endsWith('0') ? '1' : '0'}`)).toBeNull();
    await revokeApiKey(migrated.db.pool, record!.id);
    expect(await verifyApiKey(migrated.db.pool, key)).toBeNull();
  });
});

describe('demo keys', () => {
  it('creates one key per role (two brokers) on the seeded venue, once', async () => {
    const first = await ensureDemoApiKeys(seeded.db.pool);
    expect(first.map((k) => k.role).sort()).toEqual(['ADMIN', 'BROKER', 'BROKER', 'MONITOR', 'ORACLE']);
    for (const demo of DEMO_API_KEYS) expect(demo.key).toMatch(/^rk_demo\w+_demo-only-/);
    const again = await ensureDemoApiKeys(seeded.db.pool);
    expect(again).toEqual(first);
    const { rows } = await seeded.db.pool.query(`SELECT count(*)::int AS n FROM api_key WHERE prefix LIKE 'demo%'`);
    expect(rows[0].n).toBe(5);
    const broker = await verifyApiKey(seeded.db.pool, DEMO_API_KEYS.find((k) => k.brokerName === 'alpha-brokerage')!.key);
    const { rows: brokers } = await seeded.db.pool.query(`SELECT id FROM broker WHERE name = 'alpha-brokerage'`);
    expect(broker!.brokerId).toBe(brokers[0].id);
  });

  it('are never created when the demo venue is not seeded (DATABASE_URL without SEED_DEMO)', async () => {
    const store = await openStore(
      { databaseUrl: migrated.url, dataDir: '/nonexistent', embeddedPort: 0, seedDemo: false, poolMax: 2 },
      pino({ level: 'silent' }),
    );
    try {
      expect(store.demoKeys).toEqual([]);
      const { rows } = await store.db.pool.query(`SELECT count(*)::int AS n FROM api_key WHERE prefix LIKE 'demo%'`);
      expect(rows[0].n).toBe(0);
    } finally {
      await store.close();
    }
  });
});
