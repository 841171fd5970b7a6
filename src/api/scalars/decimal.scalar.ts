/**
 * `Decimal`: arbitrary precision, serialized as a string. Inputs accept strings only: a JSON number would already
 * have lost precision in the client's parser, so `1.1` (a number literal) is refused, `"1.1"` accepted.
 */
import Decimal from 'decimal.js';
import { GraphQLError, GraphQLScalarType, Kind } from 'graphql';

/** Plain decimal notation or exponent notation, optional sign; no hex/binary/Infinity/NaN, no whitespace. */
const DECIMAL_PATTERN = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;
/** Refuse absurd inputs before they cost anything (digits and exponent). */
export const MAX_DECIMAL_INPUT_LENGTH = 80;
const MAX_ABS_EXPONENT = 40;

function invalid(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } });
}

export function parseDecimalString(value: unknown): Decimal {
  if (typeof value !== 'string') {
    throw invalid(`Decimal must be given as a string (for example "12.5"), got ${typeof value}`);
  }
  if (value.length === 0 || value.length > MAX_DECIMAL_INPUT_LENGTH || !DECIMAL_PATTERN.test(value)) {
    throw invalid(`"${value.slice(0, MAX_DECIMAL_INPUT_LENGTH)}" is not a valid decimal number`);
  }
  const parsed = new Decimal(value);
  if (!parsed.isFinite() || (!parsed.isZero() && Math.abs(parsed.e) > MAX_ABS_EXPONENT)) {
    throw invalid(`"${value}" is out of the supported range`);
  }
  return parsed;
}

export const DecimalScalar = new GraphQLScalarType<Decimal, string>({
  name: 'Decimal',
  description: 'Arbitrary-precision decimal number serialized as a string; inputs accept strings only.',
  serialize(value) {
    if (Decimal.isDecimal(value)) return (value as Decimal).toFixed();
    if (typeof value === 'string' && DECIMAL_PATTERN.test(value)) return new Decimal(value).toFixed();
    throw new GraphQLError('Decimal cannot represent a non-decimal value');
  },
  parseValue: parseDecimalString,
  parseLiteral(ast) {
    if (ast.kind !== Kind.STRING) {
      throw invalid('Decimal literals must be strings (for example "12.5"); number literals lose precision');
    }
    return parseDecimalString(ast.value);
  },
});
