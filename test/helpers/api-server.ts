/** Starts the real HTTP server in-process (port 0) on a test database, and a small GraphQL client over fetch. */
import type { Config } from '../../src/server/config';
import { loadConfig } from '../../src/server/config';
import { startServer, type RunningServer } from '../../src/server/http';
import { createLogger } from '../../src/server/logger';
import { createTestDatabase, type TestDatabase } from './test-database';

export interface GraphQLResponse<T = Record<string, any>> {
  readonly status: number;
  readonly headers: Headers;
  readonly data?: T;
  readonly errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, any> }[];
}

export interface ApiHarness {
  readonly server: RunningServer;
  readonly database: TestDatabase;
  readonly baseUrl: string;
  gql<T = Record<string, any>>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GraphQLResponse<T>>;
  stop(): Promise<void>;
}

export async function startApi(options: {
  kind?: 'MIGRATED' | 'SEEDED';
  config?: Partial<Config>;
  onQuery?: (sql: string) => void;
  now?: () => number;
} = {}): Promise<ApiHarness> {
  const database = await createTestDatabase(options.kind ?? 'SEEDED', { onQuery: options.onQuery });
  const config: Config = { ...loadConfig({ NODE_ENV: 'test' }), host: '127.0.0.1', port: 0, ...options.config };
  const server = await startServer({ config, db: database.db, logger: createLogger('silent'), now: options.now });
  const baseUrl = server.url.replace(/\/graphql$/, '');
  return {
    server,
    database,
    baseUrl,
    async gql(query, variables, headers) {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query, variables }),
      });
      const body = (await response.json()) as { data?: any; errors?: any[] };
      return { status: response.status, headers: response.headers, data: body.data ?? undefined, errors: body.errors };
    },
    async stop() {
      await server.stop();
      await database.drop();
    },
  };
}
