/** Structured JSON logs (pino) with secrets redacted. */
import pino, { type Logger } from 'pino';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'headers["x-api-key"]',
  'apiKey',
  '*.apiKey',
  'password',
  '*.password',
  'databaseUrl',
  'key',
  '*.key',
  'secret',
  '*.secret',
  'token',
  '*.token',
  'req.headers.cookie',
  'headers.cookie',
  '*.headers.authorization',
  '*.headers["x-api-key"]',
];

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' }, base: { service: 'margin-risk-api' } }, destination);
}
