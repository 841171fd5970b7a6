/**
 * OpenTelemetry tracing (the official Node SDK), OFF unless configured by the standard environment variables:
 *
 *   OTEL_TRACES_EXPORTER          `otlp` (OTLP over HTTP with JSON bodies), `console` (spans on stdout) or `none`
 *   OTEL_EXPORTER_OTLP_ENDPOINT   collector base URL (`/v1/traces` is appended), or
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT  the full traces URL; either one alone turns tracing on with `otlp`
 *   OTEL_EXPORTER_OTLP_PROTOCOL   only `http/json` is supported (anything else is refused at start)
 *   OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, OTEL_TRACES_SAMPLER(_ARG), OTEL_SDK_DISABLED  as the SDK defines them
 *
 * When on, spans are produced for every HTTP request (instrumentation-http), express's middleware and routes
 * (instrumentation-express), GraphQL parsing and validation (instrumentation-graphql), every `pg` query and pool
 * connect (instrumentation-pg), and by the service itself: one span per GraphQL execution (src/server/
 * compiled.executor.ts: graphql-jit executes operations, which the graphql instrumentation does not see) and one per
 * risk engine evaluation (src/api/risk.loader.ts). Incoming W3C `traceparent` headers continue the caller's trace.
 *
 * The instrumentations patch modules as they are loaded, so `startTracing` must run before http, express, pg and
 * graphql are first required: src/main.ts imports src/server/tracing.register.ts before anything else.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { ExpressInstrumentation } from '@opentelemetry/instrumentation-express';
import { GraphQLInstrumentation } from '@opentelemetry/instrumentation-graphql';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  ConsoleSpanExporter,
  NodeTracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-node';

/** The default `service.name`, and the tracer name of the service's own spans (executor, engine). */
export const TRACER_NAME = 'margin-risk-api';

/** Routes whose requests are not traced (probes and scrapes: frequent, and nothing to follow). */
const UNTRACED_PATHS = new Set(['/livez', '/readyz', '/metrics']);

export type TracesExporterKind = 'otlp' | 'console';

/**
 * Which exporter the environment asks for, or null (tracing off). `OTEL_TRACES_EXPORTER` decides when set (`none`:
 * off); otherwise an OTLP endpoint variable alone turns `otlp` on. Throws on a value it cannot honour.
 */
export function tracesExporterFromEnv(env: NodeJS.ProcessEnv = process.env): TracesExporterKind | null {
  if ((env.OTEL_SDK_DISABLED ?? '').toLowerCase() === 'true') return null;
  const protocol = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL || env.OTEL_EXPORTER_OTLP_PROTOCOL;
  const requested = (env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase();
  let kind: TracesExporterKind | null;
  if (requested === '') {
    kind = env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ? 'otlp' : null;
  } else if (requested === 'none') {
    kind = null;
  } else if (requested === 'otlp' || requested === 'console') {
    kind = requested;
  } else {
    throw new Error(`invalid configuration: OTEL_TRACES_EXPORTER: must be otlp, console or none (got "${requested}")`);
  }
  if (kind === 'otlp' && protocol && protocol !== 'http/json') {
    throw new Error(`invalid configuration: OTEL_EXPORTER_OTLP_PROTOCOL: only http/json is supported (got "${protocol}")`);
  }
  return kind;
}

export interface Tracing {
  readonly provider: NodeTracerProvider;
  /** Exports what is buffered and stops the provider (on shutdown, after the last request). */
  shutdown(): Promise<void>;
}

export interface StartTracingOptions {
  /** The exporter (default: the environment's, see `tracesExporterFromEnv`). */
  readonly exporter?: SpanExporter;
  /** Span processors used instead of a batch processor over the exporter (tests: a simple one over memory). */
  readonly spanProcessors?: SpanProcessor[];
}

let started: Tracing | null = null;

/**
 * Starts tracing when configured (or when given an exporter / processors), once per process: registers the global
 * tracer provider, the AsyncLocalStorage context manager and the W3C propagators, and the instrumentations.
 * Returns null when tracing is off.
 */
export function startTracing(env: NodeJS.ProcessEnv = process.env, options: StartTracingOptions = {}): Tracing | null {
  if (started) return started;
  let processors = options.spanProcessors;
  if (!processors) {
    let exporter = options.exporter;
    if (!exporter) {
      const kind = tracesExporterFromEnv(env);
      if (kind === null) return null;
      exporter = kind === 'console' ? new ConsoleSpanExporter() : new OTLPTraceExporter();
    }
    processors = [new BatchSpanProcessor(exporter)];
  }
  const resource = resourceFromAttributes({ 'service.name': TRACER_NAME }).merge(detectResources({ detectors: [envDetector] }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: processors });
  provider.register();
  const disable = registerInstrumentations({
    tracerProvider: provider,
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has((req.url ?? '').split('?')[0] ?? ''),
        // Outgoing HTTP (the OTLP exporter's own requests among them) only inside a traced request.
        requireParentforOutgoingSpans: true,
      }),
      new ExpressInstrumentation(),
      // Resolvers run compiled by graphql-jit; parse and validate spans come from here, execution from the executor.
      new GraphQLInstrumentation({ ignoreResolveSpans: true }),
      new PgInstrumentation({ requireParentSpan: true }),
    ],
  });
  const tracing: Tracing = {
    provider,
    async shutdown() {
      disable();
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
      started = null;
    },
  };
  started = tracing;
  return tracing;
}

/** The running tracing, if any (shutdown hooks). */
export function activeTracing(): Tracing | null {
  return started;
}
