/**
 * OpenTelemetry tracing: off unless configured; when on, one risk request produces the service's spans (GraphQL
 * execution, the engine's evaluation inside it), collected here by an in-memory exporter.
 */
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-node';
import { startTracing, tracesExporterFromEnv, type Tracing } from '../../src/server/tracing';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { ok } from '../helpers/writes';

describe('tracesExporterFromEnv', () => {
  it('is off unless an exporter or an OTLP endpoint is configured', () => {
    expect(tracesExporterFromEnv({})).toBeNull();
    expect(tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBeNull();
    expect(tracesExporterFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })).toBe('otlp');
    expect(tracesExporterFromEnv({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://collector:4318/v1/traces' })).toBe('otlp');
    expect(tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'console' })).toBe('console');
    expect(tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' })).toBeNull();
  });

  it('refuses what it cannot honour', () => {
    expect(() => tracesExporterFromEnv({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => tracesExporterFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(
      /OTEL_EXPORTER_OTLP_PROTOCOL/,
    );
    expect(tracesExporterFromEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' })).toBe('otlp');
  });

  it('starts nothing when off', () => {
    expect(startTracing({})).toBeNull();
  });
});

// In jest's module registry the auto-instrumentations cannot patch http, express and pg (jest loads modules itself):
// the service's own spans are checked here, the instrumented ones on the service process (test/server/tracing-process.test.ts).
describe('spans of one request', () => {
  const memory = new InMemorySpanExporter();
  let tracing: Tracing | null;
  let api: ApiHarness;
  beforeAll(async () => {
    tracing = startTracing({}, { spanProcessors: [new SimpleSpanProcessor(memory)] });
    api = await startApi();
  });
  afterAll(async () => {
    await api?.stop();
    await tracing?.shutdown();
  });

  it('records the GraphQL execution and, inside it, the engine evaluation', async () => {
    const page = await api.gql<{ accounts: { edges: { node: { id: string } }[] } }>(`{ accounts(first: 1) { edges { node { id } } } }`);
    const id = page.data!.accounts.edges[0]!.node.id;
    memory.reset();
    const res = await api.gql(`query Risk($id: ID!) { account(id: $id) { risk { equity maintenanceMargin } } }`, { id });
    expect(res.errors).toBeUndefined();
    expect(res.data?.account?.risk?.equity).toEqual(expect.any(String));
    const spans = memory.getFinishedSpans();
    const byName = (name: string): ReadableSpan[] => spans.filter((s) => s.name === name);

    const [execute] = byName('graphql.execute');
    expect(execute).toBeDefined();
    expect(execute!.attributes['graphql.operation.name']).toBe('Risk');
    expect(execute!.attributes['graphql.operation.type']).toBe('query');
    const [engine] = byName('risk.evaluate_account');
    expect(engine).toBeDefined();
    expect(engine!.attributes['risk.liquidation_prices']).toBe('SKIP');
    expect(engine!.attributes['risk.positions']).toEqual(expect.any(Number));
    // One trace: the engine span lies inside the execution span.
    expect(engine!.spanContext().traceId).toBe(execute!.spanContext().traceId);
    expect(engine!.parentSpanContext?.spanId).toBe(execute!.spanContext().spanId);
    expect(execute!.resource.attributes['service.name']).toBe('margin-risk-api');
  });

  it("records the engine evaluation of a write's margin check", async () => {
    const created = await ok(api, 'broker', 'createAccount', { externalRef: 'traced-1' });
    const id = created.account.id as string;
    await ok(api, 'broker', 'deposit', { accountId: id, asset: 'USDC', amount: '1000' });
    memory.reset();
    await ok(api, 'broker', 'withdraw', { accountId: id, asset: 'USDC', amount: '100' });
    const checks = memory.getFinishedSpans().filter((s) => s.name === 'risk.evaluate_account' && s.attributes['risk.source'] === 'write');
    expect(checks.length).toBeGreaterThanOrEqual(1);
    const [execute] = memory.getFinishedSpans().filter((s) => s.name === 'graphql.execute');
    expect(execute!.attributes['graphql.operation.type']).toBe('mutation');
    expect(checks[0]!.spanContext().traceId).toBe(execute!.spanContext().traceId);
  });
});
