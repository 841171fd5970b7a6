/**
 * Benchmarks measure the service as deployed: tsc's output run by node, as the Dockerfile runs it, not the TypeScript
 * source through tsx (whose CommonJS output reads every imported binding through a getter, a noticeable share of
 * the engine's time; bench/README.md has the figures).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import path from 'node:path';

/**
 * Started from source (`npx tsx bench/x.ts`): builds (scripts/build.sh bench), runs the compiled benchmark with the
 * same arguments and exits with its status. Compiled (`node dist/bench/x.js`): returns at once.
 */
export function runCompiledInstead(file: string): void {
  if (!file.endsWith('.ts')) return;
  const root = path.resolve(path.dirname(file), '..');
  execFileSync('bash', [path.join(root, 'scripts', 'build.sh'), 'bench'], { stdio: 'inherit' });
  const compiled = path.join(root, 'dist', 'bench', path.basename(file, '.ts') + '.js');
  const run = spawnSync(process.execPath, [compiled, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(run.status ?? 1);
}
