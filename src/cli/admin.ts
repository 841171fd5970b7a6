/**
 * `npm run admin -- bootstrap [--add] [--label L]`: against DATABASE_URL (migrated), creates an ADMIN API key and
 * prints it once on stdout (the store keeps only its hash, like every key). Refuses (exit code 2) when an unrevoked
 * ADMIN key exists, unless `--add` says to add another. The key creation is audited like an API write.
 */
import { randomUUID } from 'node:crypto';
import { generateApiKey, insertApiKey } from '../store/api-key.repository';
import { insertAuditEvent } from '../store/audit.repository';
import { createDatabase } from '../store/database';
import { activeAdminKeyCount } from '../store/venue.repository';
import { inWriteTransaction } from '../store/write-transaction';

export class UsageError extends Error {}
export class RefusedError extends Error {}

export interface BootstrapOptions {
  readonly add: boolean;
  readonly label: string;
}

const USAGE = 'usage: admin bootstrap [--add] [--label <label>]';
/** Advisory lock key: two bootstraps at once cannot both see "no ADMIN key". */
const BOOTSTRAP_LOCK_KEY = 72707370;

export function parseArgs(argv: readonly string[]): { command: 'bootstrap'; options: BootstrapOptions } {
  const [command, ...rest] = argv;
  if (command !== 'bootstrap') throw new UsageError(USAGE);
  let add = false;
  let label = 'bootstrap admin';
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--add') add = true;
    else if (arg === '--label') {
      const value = rest[++i];
      if (value === undefined || value.trim() === '' || value.length > 128) throw new UsageError(`--label needs a value of 1 to 128 characters\n${USAGE}`);
      label = value;
    } else throw new UsageError(`unknown argument ${arg}\n${USAGE}`);
  }
  return { command: 'bootstrap', options: { add, label } };
}

/** Creates the ADMIN key; returns the plaintext (shown once) and the key's id. */
export async function bootstrapAdmin(databaseUrl: string, options: BootstrapOptions): Promise<{ key: string; id: string; prefix: string }> {
  const db = createDatabase({ url: databaseUrl, maxConnections: 1 });
  try {
    return await inWriteTransaction(db.pool, async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [BOOTSTRAP_LOCK_KEY]);
      const existing = await activeAdminKeyCount(tx);
      if (existing > 0 && !options.add) {
        throw new RefusedError(`${existing} unrevoked ADMIN key(s) exist; pass --add to create another`);
      }
      const { key } = generateApiKey();
      const apiKey = await insertApiKey(tx, { key, role: 'ADMIN', brokerId: null, label: options.label });
      if (!apiKey) throw new Error('API key prefix collision; run the command again');
      await insertAuditEvent(tx, {
        apiKeyId: null,
        brokerId: null,
        role: null,
        action: 'admin.bootstrap',
        accountId: null,
        requestId: `cli:${randomUUID()}`,
        before: { unrevokedAdminKeys: existing },
        after: { apiKey: { id: apiKey.id, role: apiKey.role, prefix: apiKey.prefix, label: apiKey.label } },
      });
      return { key, id: apiKey.id, prefix: apiKey.prefix };
    });
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  (async () => {
    const { options } = parseArgs(process.argv.slice(2));
    const url = process.env.DATABASE_URL;
    if (!url) throw new UsageError('DATABASE_URL is not set');
    const created = await bootstrapAdmin(url, options);
    process.stderr.write(`Created ADMIN key ${created.id} (prefix ${created.prefix}). It is shown once; store it now:\n`);
    process.stdout.write(`${created.key}\n`);
  })().then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`admin: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(error instanceof RefusedError ? 2 : error instanceof UsageError ? 64 : 1);
    },
  );
}
