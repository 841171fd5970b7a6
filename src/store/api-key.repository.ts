/**
 * API keys: `rk_<prefix>_<secret>`. The store keeps the public prefix (unique, for lookup) and sha256(key) in hex;
 * the plaintext exists only in the response that created it. Verification compares hashes in constant time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, ApiRole } from './records';
import type { Queryable } from './queryable';

const KEY_PATTERN = /^rk_([A-Za-z0-9]{4,40})_([A-Za-z0-9_-]{16,128})$/;

export interface ParsedApiKey {
  readonly prefix: string;
  readonly key: string;
}

/** Splits a presented key; null when it cannot be a key (so no lookup is made). */
export function parseApiKey(key: string): ParsedApiKey | null {
  const match = KEY_PATTERN.exec(key);
  return match ? { prefix: match[1]!, key } : null;
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** A fresh random key: 12 hex characters of prefix, 64 of secret (256 bits). */
export function generateApiKey(): { key: string; prefix: string } {
  const prefix = randomBytes(6).toString('hex');
  return { prefix, key: `rk_${prefix}_${randomBytes(32).toString('hex')}` };
}

/** Constant-time comparison of two sha256 hex digests. */
export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === 32 && right.length === 32 && timingSafeEqual(left, right);
}

const COLUMNS = `id, role, broker_id, label, prefix, created_at, revoked_at, last_used_at`;

interface ApiKeyRow {
  id: string;
  role: ApiRole;
  broker_id: string | null;
  label: string;
  prefix: string;
  created_at: Date;
  revoked_at: Date | null;
  last_used_at: Date | null;
}

function toApiKey(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: row.id,
    role: row.role,
    brokerId: row.broker_id,
    label: row.label,
    prefix: row.prefix,
    createdAt: row.created_at,
    revokedAt: row.revoked_at,
    lastUsedAt: row.last_used_at,
  };
}

/** A hash of nothing in particular, compared against when the prefix is unknown (same work either way). */
const DUMMY_HASH = hashApiKey('rk_unknown_0000000000000000');

/**
 * The key record when `presented` is a valid, unrevoked key; null otherwise (unknown prefix, wrong secret,
 * revoked). One indexed lookup by prefix.
 */
export async function verifyApiKey(q: Queryable, presented: string): Promise<ApiKeyRecord | null> {
  const parsed = parseApiKey(presented);
  if (!parsed) return null;
  const { rows } = await q.query<ApiKeyRow & { hash: string }>(`SELECT ${COLUMNS}, hash FROM api_key WHERE prefix = $1`, [parsed.prefix]);
  const row = rows[0];
  const matches = hashesEqual(hashApiKey(parsed.key), row ? row.hash : DUMMY_HASH);
  if (!row || !matches || row.revoked_at !== null) return null;
  return toApiKey(row);
}

/** Records use at most once a minute per key (cheap, and good enough to find unused keys). */
export async function touchApiKey(q: Queryable, id: string): Promise<void> {
  await q.query(
    `UPDATE api_key SET last_used_at = now() WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '60 seconds')`,
    [id],
  );
}

export async function apiKeyById(q: Queryable, id: string, options: { forUpdate?: boolean } = {}): Promise<ApiKeyRecord | null> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return null;
  const { rows } = await q.query<ApiKeyRow>(`SELECT ${COLUMNS} FROM api_key WHERE id = $1${options.forUpdate ? ' FOR UPDATE' : ''}`, [id]);
  return rows[0] ? toApiKey(rows[0]) : null;
}

/** Stores a key (hash only). `ON CONFLICT DO NOTHING` on the prefix: returns null when the prefix exists. */
export async function insertApiKey(
  q: Queryable,
  args: { key: string; role: ApiRole; brokerId: string | null; label: string },
): Promise<ApiKeyRecord | null> {
  const parsed = parseApiKey(args.key);
  if (!parsed) throw new Error('malformed API key');
  const { rows } = await q.query<ApiKeyRow>(
    `INSERT INTO api_key (role, broker_id, label, prefix, hash) VALUES ($1::"ApiRole", $2::uuid, $3, $4, $5)
     ON CONFLICT (prefix) DO NOTHING RETURNING ${COLUMNS}`,
    [args.role, args.brokerId, args.label, parsed.prefix, hashApiKey(args.key)],
  );
  return rows[0] ? toApiKey(rows[0]) : null;
}

export async function revokeApiKey(q: Queryable, id: string): Promise<ApiKeyRecord | null> {
  const { rows } = await q.query<ApiKeyRow>(
    `UPDATE api_key SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING ${COLUMNS}`,
    [id],
  );
  return rows[0] ? toApiKey(rows[0]) : null;
}

export async function brokerExists(q: Queryable, id: string): Promise<boolean> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return false;
  const { rows } = await q.query(`SELECT 1 FROM broker WHERE id = $1`, [id]);
  return rows.length > 0;
}

/**
 * Demo keys of the embedded demo venue. Fixed (only hashes are stored, so a printed key must be known in
 * advance) and therefore public: for local demos only, never created unless the demo venue is seeded.
 */
export const DEMO_API_KEYS: readonly { readonly role: ApiRole; readonly key: string; readonly brokerName?: string }[] = [
  { role: 'ADMIN', key: 'rk_demoadmin_demo-only-admin-key-not-secret' },
  { role: 'BROKER', key: 'rk_demobroker_demo-only-alpha-brokerage-key-not-secret', brokerName: 'alpha-brokerage' },
  { role: 'BROKER', key: 'rk_demobroker2_demo-only-beta-markets-key-not-secret', brokerName: 'beta-markets' },
  { role: 'ORACLE', key: 'rk_demooracle_demo-only-oracle-key-not-secret' },
  { role: 'MONITOR', key: 'rk_demomonitor_demo-only-monitor-key-not-secret' },
];

export interface DemoApiKey {
  readonly role: ApiRole;
  readonly key: string;
  readonly brokerName: string | null;
}

/** The fixed, public demo keys (DEMO_API_KEYS) that exist in this database and are not revoked. */
export async function activeDemoApiKeys(q: Queryable): Promise<DemoApiKey[]> {
  const out: DemoApiKey[] = [];
  for (const demo of DEMO_API_KEYS) {
    if (await verifyApiKey(q, demo.key)) out.push({ role: demo.role, key: demo.key, brokerName: demo.brokerName ?? null });
  }
  return out;
}

/** Creates the demo keys that are missing (by prefix; a revoked demo key stays revoked). Returns the usable ones. */
export async function ensureDemoApiKeys(q: Queryable): Promise<DemoApiKey[]> {
  const out: DemoApiKey[] = [];
  for (const demo of DEMO_API_KEYS) {
    let brokerId: string | null = null;
    if (demo.brokerName) {
      const { rows } = await q.query<{ id: string }>(`SELECT id FROM broker WHERE name = $1`, [demo.brokerName]);
      if (!rows[0]) continue;
      brokerId = rows[0].id;
    }
    await insertApiKey(q, { key: demo.key, role: demo.role, brokerId, label: `demo ${demo.role.toLowerCase()}${demo.brokerName ? ` (${demo.brokerName})` : ''}` });
    if (await verifyApiKey(q, demo.key)) out.push({ role: demo.role, key: demo.key, brokerName: demo.brokerName ?? null });
  }
  return out;
}
