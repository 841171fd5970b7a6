/**
 * `npm run migrate`: applies the migrations to DATABASE_URL and exits (for a deploy job that runs before the
 * service's replicas start; the service also migrates at start, so this is an ordering aid, never a requirement).
 * Exit code 0 when the schema is up to date, 1 on any failure (message on stderr).
 */
import { createDatabase } from '../store/database';
import { migrate } from '../store/migrate';

export async function runMigrate(env: NodeJS.ProcessEnv, out: (line: string) => void): Promise<void> {
  const url = env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set');
  const db = createDatabase({ url, maxConnections: 1 });
  try {
    const report = await migrate(db.pool);
    for (const name of report.applied) out(`applied ${name}`);
    out(`migrations: ${report.applied.length} applied, ${report.skipped.length} already applied`);
  } finally {
    await db.close();
  }
}

if (require.main === module) {
  runMigrate(process.env, (line) => process.stdout.write(`${line}\n`)).then(
    () => process.exit(0),
    (error: unknown) => {
      process.stderr.write(`migrate failed: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
