/**
 * Imported by src/main.ts before any other module: starts tracing (when configured, src/server/tracing.ts) before
 * the modules it instruments (http, express, pg, graphql) are first loaded. Exits with the configuration error when
 * the OTEL_* variables ask for something unsupported.
 */
import { startTracing } from './tracing';

try {
  startTracing();
} catch (error) {
  process.stderr.write(`failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
