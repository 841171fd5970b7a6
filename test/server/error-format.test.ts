/** The error formatter's client-error cases that are hard to provoke over HTTP. */
import { GraphQLError } from 'graphql';
import { createErrorFormatter, isDataException } from '../../src/server/graphql';
import { createLogger } from '../../src/server/logger';

const format = createErrorFormatter(createLogger('silent'), 'production');

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

it('maps Postgres data exceptions (SQLSTATE class 22) to BAD_USER_INPUT', () => {
  for (const code of ['22021', '22003', '22P02', '22007']) {
    const original = pgError(code, 'invalid byte sequence for encoding "UTF8": 0x00');
    const error = new GraphQLError(original.message, { originalError: original, path: ['market'] });
    const formatted = format({ message: original.message, path: ['market'], extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error);
    expect(formatted.extensions).toEqual({ code: 'BAD_USER_INPUT' });
    expect(formatted.path).toEqual(['market']);
  }
  expect(isDataException(pgError('23505', 'duplicate key'))).toBe(false);
  expect(isDataException(pgError('42P01', 'no such table'))).toBe(false);
});

it('keeps masking other database errors', () => {
  const original = pgError('42P01', 'relation "x" does not exist');
  const error = new GraphQLError(original.message, { originalError: original });
  expect(format({ message: original.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error)).toEqual({
    message: 'Internal server error',
    path: undefined,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
});

it('gives Apollo request errors without a code (HTTP 4xx) the code BAD_REQUEST', () => {
  const error = new GraphQLError('provided sha does not match query', { extensions: { http: { status: 400 } } });
  expect(format({ message: error.message, extensions: { code: 'INTERNAL_SERVER_ERROR' } }, error).extensions).toEqual({ code: 'BAD_REQUEST' });
});
