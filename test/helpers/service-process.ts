/**
 * The service as its own OS process (`node --import tsx src/main.ts`), configured by environment, as an operator
 * starts it. Resolves once it printed its ready line (and whatever else `readyWhen` waits for).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');
const READY = /Margin risk API ready: (http:\/\/\S+)/;

export interface ServiceProcess {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** POST a GraphQL request with an API key. */
  gql(key: string, query: string, variables?: Record<string, unknown>): Promise<any>;
  /** SIGTERM, then the exit code; fails with the service's output if it has not exited within 40 s. */
  stop(): Promise<number | null>;
}

export function startServiceProcess(env: NodeJS.ProcessEnv, readyWhen: (output: string) => boolean = () => true): Promise<ServiceProcess> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', HOST: '127.0.0.1', ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  // One process (node with tsx's loader), so SIGTERM reaches the service itself.
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: ROOT, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let started = false;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`service did not start:\n${output}`)), 90_000);
    const onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`service exited with ${code}:\n${output}`));
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (started) return;
      const match = READY.exec(output);
      if (match && readyWhen(output)) {
        started = true;
        clearTimeout(timer);
        child.off('exit', onEarlyExit);
        resolve(handle(child, match[1]!, () => output));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', onEarlyExit);
  });
}

function handle(child: ChildProcess, url: string, output: () => string): ServiceProcess {
  return {
    child,
    url,
    output,
    async gql(key, query, variables) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': key },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: any; errors?: any[] };
      return { status: response.status, data: body.data ?? undefined, errors: body.errors };
    },
    stop() {
      return new Promise((resolve, reject) => {
        if (child.exitCode !== null) {
          resolve(child.exitCode);
          return;
        }
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          reject(new Error(`service did not exit after SIGTERM:\n${output()}`));
        }, 40_000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve(code);
        });
        child.kill('SIGTERM');
      });
    },
  };
}
