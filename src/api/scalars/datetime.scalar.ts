/** `DateTime`: ISO-8601 in UTC. */
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

const ISO_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

function parse(value: unknown): Date {
  if (typeof value !== 'string' || !ISO_PATTERN.test(value) || Number.isNaN(Date.parse(value))) {
    throw new GraphQLError('DateTime must be an ISO-8601 string with a time zone, e.g. "2026-01-31T12:00:00Z"', {
      extensions: { code: 'BAD_USER_INPUT' },
    });
  }
  return new Date(value);
}

export const DateTimeScalar = new GraphQLScalarType<Date, string>({
  name: 'DateTime',
  description: 'ISO-8601 timestamp in UTC.',
  serialize(value) {
    if (value instanceof Date) return value.toISOString();
    if (typeof value === 'string' || typeof value === 'number') return new Date(value).toISOString();
    throw new GraphQLError('DateTime cannot represent this value');
  },
  parseValue: parse,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) throw new GraphQLError('DateTime literals must be strings', { extensions: { code: 'BAD_USER_INPUT' } });
    return parse(ast.value);
  },
});
