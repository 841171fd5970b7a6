/**
 * Short-lived in-process cache of verified API keys: sha256(presented key) → principal, for API_KEY_CACHE_TTL_MS
 * (5 s), so a busy key costs one indexed lookup per TTL instead of one SQL statement per request.
 *
 * Only successful verifications are cached (an unknown, wrong or revoked key is looked up every time, so a new key
 * works at once). Revocation: through this process (`revokeApiKey` mutation) it takes effect at once (`forgetApiKey`
 * drops the key's entries and refuses to cache it again for a TTL, so a verification racing the revocation cannot
 * re-insert it); through another replica or directly in the database it takes effect within the TTL. One cache per
 * Database (pool), so servers over different databases in one process never share entries.
 */
import type { Principal } from '../api/principal';
import type { Database } from '../store/database';

export const API_KEY_CACHE_TTL_MS = 5_000;
/** Bound on entries (a flood of distinct valid keys cannot grow it without limit). */
const MAX_ENTRIES = 10_000;

export class ApiKeyCache {
  private readonly entries = new Map<string, { readonly principal: Principal; readonly expiresAt: number }>();
  /** apiKeyId → until when it must not be cached (revoked in this process). */
  private readonly revoked = new Map<string, number>();

  constructor(
    private readonly ttlMs = API_KEY_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  get(hash: string): Principal | null {
    const entry = this.entries.get(hash);
    if (entry === undefined) return null;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(hash);
      return null;
    }
    return entry.principal;
  }

  set(hash: string, principal: Principal): void {
    const now = this.now();
    const until = this.revoked.get(principal.apiKeyId);
    if (until !== undefined) {
      if (until > now) return;
      this.revoked.delete(principal.apiKeyId);
    }
    if (this.entries.size >= MAX_ENTRIES) {
      for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
      // Still full: drop the oldest tenth (Map iteration is insertion order).
      if (this.entries.size >= MAX_ENTRIES) {
        let n = MAX_ENTRIES / 10;
        for (const key of this.entries.keys()) {
          this.entries.delete(key);
          if (--n <= 0) break;
        }
      }
    }
    this.entries.set(hash, { principal, expiresAt: now + this.ttlMs });
  }

  /** Drops every entry of the key and keeps it out for a TTL (call after its revocation commits). */
  forget(apiKeyId: string): void {
    const now = this.now();
    this.revoked.set(apiKeyId, now + this.ttlMs);
    for (const [key, entry] of this.entries) if (entry.principal.apiKeyId === apiKeyId) this.entries.delete(key);
    for (const [id, until] of this.revoked) if (until <= now) this.revoked.delete(id);
  }
}

const CACHES = new WeakMap<Database, ApiKeyCache>();

/** The cache of a database's API keys (one per Database object, created on first use). */
export function apiKeyCacheFor(db: Database): ApiKeyCache {
  let cache = CACHES.get(db);
  if (cache === undefined) {
    cache = new ApiKeyCache();
    CACHES.set(db, cache);
  }
  return cache;
}

/** Revocation of a key committed: it stops authenticating in this process at once. */
export function forgetApiKey(db: Database, apiKeyId: string): void {
  CACHES.get(db)?.forget(apiKeyId);
}
