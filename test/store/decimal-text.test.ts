/** src/store/decimal-text.ts: `parseDecimalText(t)` gives the sign, exponent and words of `new Decimal(t)`. */
import fc from 'fast-check';
import Decimal from 'decimal.js';
import { parseDecimalText } from '../../src/store/decimal-text';
import { D } from '../../src/risk/decimal';

const RUNS = { numRuns: 5000, seed: Number(process.env.FC_SEED ?? 20261121) };

const fields = (x: Decimal) => {
  const f = x as unknown as { s: number; e: number; d: number[] | null };
  return { s: f.s, e: f.e, d: f.d === null ? null : [...f.d] };
};

/** Digit runs weighted toward zeros (leading and trailing zeros, whole zero words). */
const digitRun = (min: number, max: number) =>
  fc
    .array(fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 0, max: 9 }) }, { weight: 1, arbitrary: fc.constant(0) }), {
      minLength: min,
      maxLength: max,
    })
    .map((ds) => ds.join(''));
/** Plain text as Postgres writes a NUMERIC, and then some: optional minus, digits, optional fraction. */
const plainText = fc
  .tuple(fc.boolean(), digitRun(1, 40), fc.option(digitRun(1, 40), { nil: undefined }))
  .map(([negative, int, frac]) => `${negative ? '-' : ''}${int}${frac === undefined ? '' : `.${frac}`}`);

describe('parseDecimalText', () => {
  test('equals new Decimal(text) for plain text: sign (of zero too), exponent and words', () => {
    fc.assert(
      fc.property(plainText, (text) => {
        const got = parseDecimalText(text);
        expect(fields(got)).toEqual(fields(new Decimal(text)));
        expect(got.constructor).toBe(Decimal);
        expect(got).toBeInstanceOf(Decimal);
      }),
      RUNS,
    );
  });
  test('other text goes to decimal.js: the same value, or the same error', () => {
    for (const text of ['+5', '.5', '5.', '1e5', '-1.5E-3', '0x1f', 'Infinity', '-Infinity', 'NaN', '1'.repeat(150)]) {
      expect(fields(parseDecimalText(text))).toEqual(fields(new Decimal(text)));
    }
    for (const text of ['', '-', '1.2.3', 'abc', '1 2']) {
      expect(() => new Decimal(text)).toThrow();
      expect(() => parseDecimalText(text)).toThrow();
    }
  });
  test('round trip: the text of the parsed value parses to the same value', () => {
    fc.assert(
      fc.property(plainText, (text) => {
        const x = parseDecimalText(text);
        expect(fields(parseDecimalText(x.toFixed()))).toEqual(fields(x.isZero() ? new Decimal(0) : x));
      }),
      { ...RUNS, numRuns: 1000 },
    );
  });
  test('Postgres text of the kind the store reads', () => {
    for (const text of ['0', '-0', '0.000000000000000000000000000000', '123.450000', '-0.00001', '99999999999999999999999999999999999.999999999999999999999999999999']) {
      expect(fields(parseDecimalText(text))).toEqual(fields(new Decimal(text)));
    }
  });
  test("in another class (the engine's D): an instance of that class, equal to new D(text), with that class's methods", () => {
    fc.assert(
      fc.property(plainText, (text) => {
        const got = parseDecimalText(text, D);
        expect(fields(got)).toEqual(fields(new D(text)));
        expect(got.constructor).toBe(D);
        expect(Object.getPrototypeOf(got)).toBe(D.prototype);
        // The class's settings apply to its arithmetic: D rounds to 50 digits, the global Decimal to 20.
        expect(fields(got.mul('1.0000000000000000000000000000001'))).toEqual(fields(new D(text).mul('1.0000000000000000000000000000001')));
      }),
      { ...RUNS, numRuns: 1000 },
    );
    for (const text of ['1e5', 'Infinity', '1'.repeat(150)]) expect(parseDecimalText(text, D).constructor).toBe(D);
  });
});
