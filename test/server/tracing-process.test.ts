/**
 * Tracing as an operator turns it on: the service process with OTEL_EXPORTER_OTLP_ENDPOINT exports its spans over
 * OTLP/HTTP (JSON) to a collector, here a loopback HTTP server. One risk request with a W3C traceparent gives, in the
 * caller's trace: the HTTP server span, express, GraphQL parse/validate, the GraphQL execution, the engine's
 * evaluation and the pg queries.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';
import { createTestKeys } from '../helpers/api-server';

interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes?: { key: string; value: Record<string, unknown> }[];
}

let collector: http.Server;
let collectorUrl: string;
const received: OtlpSpan[] = [];
const requests: { path: string; contentType: string | undefined }[] = [];

beforeAll(async () => {
  collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', contentType: req.headers['content-type'] });
      const payload = JSON.parse(body) as { resourceSpans?: { scopeSpans?: { spans?: OtlpSpan[] }[] }[] };
      for (const rs of payload.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) received.push(...(ss.spans ?? []));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  collectorUrl = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

async function spansOfTrace(traceId: string, wanted: (spans: OtlpSpan[]) => boolean): Promise<OtlpSpan[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const spans = received.filter((s) => s.traceId === traceId);
    if (wanted(spans) || Date.now() > deadline) return spans;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('the service process with an OTLP endpoint', () => {
  let database: TestDatabase;
  let service: ServiceProcess;
  let key: string;
  beforeAll(async () => {
    database = await createTestDatabase('SEEDED');
    key = (await createTestKeys(database.db.pool)).keys.monitor.key;
    service = await startServiceProcess({
      DATABASE_URL: database.url,
      TEST_DATABASE_URL: undefined,
      SWEEP_ENABLED: 'false',
      LOG_LEVEL: 'warn',
      OTEL_EXPORTER_OTLP_ENDPOINT: collectorUrl,
      OTEL_BSP_SCHEDULE_DELAY: '100',
      OTEL_SERVICE_NAME: undefined,
      OTEL_TRACES_EXPORTER: undefined,
    });
  }, 120_000);
  afterAll(async () => {
    if (service) expect(await service.stop()).toBe(0);
    await database?.drop();
  });

  it('exports the spans of one risk request in the caller trace', async () => {
    const { rows } = await database.db.pool.query<{ id: string }>('SELECT id FROM account ORDER BY id LIMIT 1');
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const response = await fetch(service.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key, traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
      body: JSON.stringify({ query: 'query Risk($id: ID!) { account(id: $id) { risk { equity } } }', variables: { id: rows[0]!.id } }),
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { data?: { account: { risk: { equity: string } } }; errors?: unknown[] };
    expect(body.errors).toBeUndefined();
    expect(body.data?.account.risk.equity).toEqual(expect.any(String));

    const has = (spans: OtlpSpan[], test: (s: OtlpSpan) => boolean) => spans.some(test);
    const complete = (spans: OtlpSpan[]) =>
      has(spans, (s) => s.kind === 2) && has(spans, (s) => s.name === 'risk.evaluate_account') && has(spans, (s) => s.name.startsWith('pg.query'));
    const spans = await spansOfTrace(traceId, complete);
    const names = spans.map((s) => s.name);
    // HTTP server span (kind SERVER = 2), continuing the caller's span.
    const server = spans.find((s) => s.kind === 2);
    expect(server).toBeDefined();
    expect(server!.parentSpanId).toBe('00f067aa0ba902b7');
    expect(names.some((n) => n.startsWith('POST'))).toBe(true);
    // express, GraphQL parse and validate (instrumentation-graphql), execution and the engine (the service's own).
    expect(names.some((n) => n.startsWith('middleware - ') || n.startsWith('router - ') || n.startsWith('request handler'))).toBe(true);
    expect(names).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate', 'graphql.execute', 'risk.evaluate_account']));
    const execute = spans.find((s) => s.name === 'graphql.execute')!;
    const engine = spans.find((s) => s.name === 'risk.evaluate_account')!;
    expect(engine.parentSpanId).toBe(execute.spanId);
    // pg: the risk snapshot statement runs inside the execution.
    const queries = spans.filter((s) => s.name.startsWith('pg.query'));
    expect(queries.length).toBeGreaterThan(0);
    expect(queries.some((q) => q.parentSpanId === execute.spanId)).toBe(true);
    expect(requests.every((r) => r.path === '/v1/traces' && r.contentType === 'application/json')).toBe(true);
  }, 60_000);

  it('does not trace probes', async () => {
    const before = received.length;
    expect((await fetch(service.url.replace('/graphql', '/livez'))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(received.slice(before).filter((s) => s.kind === 2)).toEqual([]);
  });
});
