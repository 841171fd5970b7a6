import Decimal from 'decimal.js';
import { Kind } from 'graphql';
import { DecimalScalar, parseDecimalString } from '../../../src/api/scalars/decimal.scalar';

describe('Decimal scalar', () => {
  it('serializes decimals as plain strings without losing digits', () => {
    expect(DecimalScalar.serialize(new Decimal('123456789012345678901234567890.123456789'))).toBe('123456789012345678901234567890.123456789');
    expect(DecimalScalar.serialize(new Decimal('1e-20'))).toBe('0.00000000000000000001');
    expect(DecimalScalar.serialize(new Decimal('-0.5'))).toBe('-0.5');
  });

  it.each(['0', '-1.5', '+2', '.5', '1.', '1e3', '123456789.123456789123456789'])('accepts the string %s', (s) => {
    expect(parseDecimalString(s).equals(new Decimal(s))).toBe(true);
  });

  it.each([['number', 1.5], ['boolean', true], ['null', null], ['object', {}]])('refuses a %s input', (_name, v) => {
    expect(() => DecimalScalar.parseValue(v)).toThrow(/must be given as a string/);
  });

  it.each(['', 'abc', '1,5', '0x10', 'NaN', 'Infinity', ' 1', '1 ', '1e999', '1'.repeat(100), '--1'])('refuses the malformed string %j', (s) => {
    expect(() => parseDecimalString(s)).toThrow();
    try {
      parseDecimalString(s);
    } catch (error) {
      expect((error as { extensions: { code: string } }).extensions.code).toBe('BAD_USER_INPUT');
    }
  });

  it('refuses number literals and accepts string literals', () => {
    expect(() => DecimalScalar.parseLiteral({ kind: Kind.FLOAT, value: '1.5' })).toThrow(/must be strings/);
    expect((DecimalScalar.parseLiteral({ kind: Kind.STRING, value: '1.5' }) as Decimal).toFixed()).toBe('1.5');
  });
});
