/**
 * The exact fast paths of src/risk/exact.ts: every result of add/plus, sub/minus and mul/times is the instance
 * decimal.js itself returns (the same sign, exponent and digit words, sign of zero included) in a context of the same
 * settings without the fast paths, for every kind of operand; and decimal.js's own algorithms that call these methods
 * (square root, powers, logarithms, division) give the same results as well.
 */
import fc from 'fast-check';
import Decimal from 'decimal.js';
import { D, ENGINE_DECIMAL_CONFIG } from '../../src/risk/decimal';
import { withExactArithmetic } from '../../src/risk/exact';

const RUNS = { numRuns: 3000, seed: Number(process.env.FC_SEED ?? 20261121) };

/** decimal.js as it comes, in the engine's settings: the reference. */
const Plain = Decimal.clone(ENGINE_DECIMAL_CONFIG);
/** A smaller precision makes rounding common, and checks that the precision is read, not assumed. */
const Short = withExactArithmetic(Decimal.clone({ ...ENGINE_DECIMAL_CONFIG, precision: 12 }));
const PlainShort = Decimal.clone({ ...ENGINE_DECIMAL_CONFIG, precision: 12 });

interface Fields {
  s: number;
  e: number;
  d: number[] | null;
}
const fields = (x: Decimal): Fields => {
  const f = x as unknown as Fields;
  return { s: f.s, e: f.e, d: f.d === null ? null : [...f.d] };
};

/** Digit strings weighted toward 9s and 0s (carries, borrows and trailing zeros), 1 to 70 digits. */
const digits = fc
  .array(fc.oneof({ weight: 3, arbitrary: fc.integer({ min: 0, max: 9 }) }, { weight: 1, arbitrary: fc.constantFrom(0, 9) }), {
    minLength: 1,
    maxLength: 70,
  })
  .map((ds) => ds.join(''));
/** Any finite decimal: sign, digits and an exponent (written in exponent notation so any digit count is kept). */
const finite = fc
  .tuple(fc.boolean(), digits, fc.integer({ min: -60, max: 60 }))
  .map(([negative, ds, exp]) => `${negative ? '-' : ''}${ds}e${exp}`);
/** Values in the shapes the engine makes: short amounts and rates, 50-digit quotients, zeros of both signs. */
const operand = fc.oneof(
  { weight: 6, arbitrary: finite },
  { weight: 2, arbitrary: fc.tuple(fc.integer({ min: -1e9, max: 1e9 }), fc.integer({ min: 0, max: 10 })).map(([m, k]) => `${m}e-${k}`) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 1e6 }), fc.integer({ min: 1, max: 1e6 })).map(([a, b]) => new Plain(a).div(b).toString()) },
  { weight: 1, arbitrary: fc.constantFrom('0', '-0', '1', '-1', '1e-50', '9999999', '10000000', '0.5', 'Infinity', '-Infinity', 'NaN') },
);

const OPS = ['add', 'plus', 'sub', 'minus', 'mul', 'times', 'div', 'dividedBy'] as const;

/** x op y in the fast context C equals decimal.js's own in the plain context P, and is a fresh instance of C. */
function agrees(C: typeof Decimal, P: typeof Decimal, xs: string, ys: string, op: (typeof OPS)[number]): void {
  // '-0' must be built from a number: the string loses nothing, but keep both paths honest.
  const make = (K: typeof Decimal, v: string) => (v === '-0' ? new K(-0) : new K(v));
  const x = make(C, xs);
  const y = make(C, ys);
  const got = x[op](y);
  const expected = make(P, xs)[op](make(P, ys));
  expect(fields(got)).toEqual(fields(expected));
  expect(got.constructor).toBe(C);
  expect(got).not.toBe(x);
  expect(got).not.toBe(y);
}

describe('add, sub, mul and div of two engine values', () => {
  test.each(OPS)('%s equals decimal.js, words, exponent and sign of zero included', (op) => {
    fc.assert(
      fc.property(operand, operand, (x, y) => agrees(D, Plain, x, y, op)),
      RUNS,
    );
  });
  test.each(OPS)('%s at precision 12 (most results rounded) equals decimal.js', (op) => {
    fc.assert(
      fc.property(operand, operand, (x, y) => agrees(Short, PlainShort, x, y, op)),
      RUNS,
    );
  });
  test('x − x and x + (−x) are decimal.js zeros; results never alias an operand', () => {
    fc.assert(
      fc.property(operand, (x) => {
        agrees(D, Plain, x, x, 'sub');
        agrees(D, Plain, x, x.startsWith('-') ? x.slice(1) : `-${x}`, 'add');
      }),
      RUNS,
    );
  });
  test('ties to even, and roundings that carry through every word', () => {
    const cases: [string, string][] = [
      // 51 digits ending in 5: a tie, kept digit odd (rounds up) or even (stays).
      ['1234567890123456789012345678901234567890123456789', '0.5'],
      ['1234567890123456789012345678901234567890123456788', '0.5'],
      ['1234567890123456789012345678901234567890123456788', '0.50000000000000000001'],
      ['99999999999999999999999999999999999999999999999999', '0.5'],
      ['99999999999999999999999999999999999999999999999999', '-0.5'],
      ['9999999999999999999999999999999999999999999999999.9', '0.05'],
      ['10000000000000000000000000000000000000000000000000', '-0.5'],
      ['10000000000000000000000000000000000000000000000000', '-0.50000000000000000000000000001'],
      ['1', '1e-49'],
      ['1', '5e-50'],
      ['1', '-5e-51'],
      ['3333333.3333333333333333333333333333333333333333333', '3'],
      ['0.33333333333333333333333333333333333333333333333333', '0.6666666666666666666666666666666666666666666666667'],
      // Quotients that end in a tie at the 51st digit (exact, no remainder), or just above or below one.
      ['123456789012345678901234567890123456789012345678905', '1'],
      ['123456789012345678901234567890123456789012345678915', '10'],
      ['123456789012345678901234567890123456789012345678915', '-5'],
      ['246913578024691357802469135780246913578024691357830', '2'],
      ['2469135780246913578024691357802469135780246913578300000001', '2'],
      ['2469135780246913578024691357802469135780246913578299999999', '2'],
      ['1', '3'],
      ['2', '3'],
      ['1', '7'],
      ['1', '9999999'],
      ['1', '10000001'],
      ['99999999999999999999', '99999999999999999999'],
    ];
    for (const [x, y] of cases) for (const op of OPS) agrees(D, Plain, x, y, op);
  });
  test('div: long divisors and quotient-word estimates that need correcting (words of 9s and 0s) equal decimal.js', () => {
    const word = fc.oneof(fc.constantFrom('9999999', '0000000', '5000000', '4999999', '0000001', '9999998'), fc.integer({ min: 0, max: 9999999 }).map((w) => String(w).padStart(7, '0')));
    const long = fc
      .tuple(fc.integer({ min: 1, max: 9999999 }), fc.array(word, { minLength: 0, maxLength: 12 }), fc.integer({ min: -40, max: 40 }), fc.boolean())
      .map(([first, rest, exp, negative]) => `${negative ? '-' : ''}${first}${rest.join('')}e${exp}`);
    fc.assert(
      fc.property(long, long, (x, y) => {
        agrees(D, Plain, x, y, 'div');
        agrees(Short, PlainShort, x, y, 'div');
      }),
      { ...RUNS, numRuns: 20000 },
    );
  });
  test('another rounding mode is left to decimal.js, and gives its results', () => {
    const Up = withExactArithmetic(Decimal.clone({ ...ENGINE_DECIMAL_CONFIG, precision: 12, rounding: Decimal.ROUND_HALF_UP }));
    const PlainUp = Decimal.clone({ ...ENGINE_DECIMAL_CONFIG, precision: 12, rounding: Decimal.ROUND_HALF_UP });
    fc.assert(
      fc.property(operand, operand, (x, y) => {
        for (const op of OPS) agrees(Up, PlainUp, x, y, op);
      }),
      { ...RUNS, numRuns: 500 },
    );
  });
  test('carries and borrows across every word', () => {
    const cases: [string, string][] = [
      ['99999999999999999999', '1'],
      ['-99999999999999999999', '-1e-30'],
      ['100000000000000000000', '-1e-30'],
      ['1', '-0.00000000000000000000000000000000000000000000000001'],
      ['9999999.9999999', '0.0000001'],
      ['12345678901234567890123456789012345678901234567890', '1e-10'],
      ['12345678901234567890123456789012345678901234567890', '5e-10'],
      ['1e400', '1e-400'],
      ['9999999', '9999999'],
    ];
    for (const [x, y] of cases) for (const op of OPS) agrees(D, Plain, x, y, op);
  });
});

describe('abs and neg', () => {
  test.each([
    ['the engine context', D, Plain],
    ['precision 12 (operands longer than the precision are not rounded)', Short, PlainShort],
  ] as const)('%s: equal decimal.js (sign of zero, infinities and NaN included) and are fresh instances', (_name, C, P) => {
    fc.assert(
      fc.property(operand, (xs) => {
        const make = (K: typeof Decimal) => (xs === '-0' ? new K(-0) : new K(xs));
        const x = make(C);
        for (const op of ['abs', 'absoluteValue', 'neg', 'negated'] as const) {
          const got = x[op]();
          expect(fields(got)).toEqual(fields(make(P)[op]()));
          expect(got.constructor).toBe(C);
          expect(got).not.toBe(x);
          if (got.d !== null) expect(got.d).not.toBe(x.d);
        }
      }),
      RUNS,
    );
  });
});

describe('toDecimalPlaces', () => {
  test('equals decimal.js for every decimal-places count and rounding mode, and for invalid arguments', () => {
    fc.assert(
      fc.property(operand, fc.integer({ min: -2, max: 70 }), fc.option(fc.integer({ min: -1, max: 9 }), { nil: undefined }), (xs, dp, rm) => {
        const x = xs === '-0' ? new D(-0) : new D(xs);
        const px = xs === '-0' ? new Plain(-0) : new Plain(xs);
        const run = (v: Decimal) => {
          try {
            return fields(rm === undefined ? v.toDecimalPlaces(dp) : v.toDP(dp, rm as Decimal.Rounding));
          } catch (error) {
            return String(error);
          }
        };
        const got = run(x);
        expect(got).toEqual(run(px));
        if (typeof got !== 'string') expect(x.toDecimalPlaces(Math.max(dp, 0))).not.toBe(x);
      }),
      RUNS,
    );
  });
});

describe('other operands', () => {
  test('numbers, strings and values of another context give what decimal.js gives', () => {
    fc.assert(
      fc.property(operand, fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.double({ noNaN: true }), operand), (xs, y) => {
        for (const op of OPS) {
          const got = new D(xs)[op](y);
          const expected = new Plain(xs)[op](y);
          expect(fields(got)).toEqual(fields(expected));
          const other = typeof y === 'string' ? new Decimal(y) : null;
          if (other !== null) expect(fields(new D(xs)[op](other))).toEqual(fields(new Plain(xs)[op](other)));
        }
      }),
      { ...RUNS, numRuns: 500 },
    );
  });
});

describe("decimal.js's own algorithms, which call these methods internally (some at a raised precision)", () => {
  const positive = operand.filter((s) => !s.startsWith('-') && s !== '0' && s !== 'NaN' && !s.includes('Infinity'));
  test.each([
    ['the engine context', D, Plain],
    ['precision 12', Short, PlainShort],
  ] as const)('%s: sqrt, cbrt, ln, log10, exp, pow, div, mod, toDecimalPlaces and toSignificantDigits equal decimal.js', (_name, C, P) => {
    fc.assert(
      fc.property(positive, operand, fc.integer({ min: -5, max: 7 }), (xs, ys, k) => {
        const x = new C(xs);
        const px = new P(xs);
        const pairs: [Decimal, Decimal][] = [
          [x.sqrt(), px.sqrt()],
          [x.cbrt(), px.cbrt()],
          [x.ln(), px.ln()],
          [x.log(10), px.log(10)],
          [new C(k).exp(), new P(k).exp()],
          [x.pow(k), px.pow(k)],
          [x.pow('0.5'), px.pow('0.5')],
          [x.div(ys), px.div(ys)],
          [x.mod(ys), px.mod(ys)],
          [x.toDecimalPlaces(Math.abs(k), Decimal.ROUND_CEIL), px.toDecimalPlaces(Math.abs(k), Decimal.ROUND_CEIL)],
          [x.toSignificantDigits(Math.abs(k) + 1), px.toSignificantDigits(Math.abs(k) + 1)],
        ];
        for (const [got, expected] of pairs) expect(fields(got)).toEqual(fields(expected));
      }),
      { ...RUNS, numRuns: 300 },
    );
  });
});

describe('the context settings', () => {
  test('a precision changed after installation (as decimal.js does for its internal steps) is honoured at once', () => {
    const C = withExactArithmetic(Decimal.clone({ ...ENGINE_DECIMAL_CONFIG }));
    const P = Decimal.clone({ ...ENGINE_DECIMAL_CONFIG });
    expect(C.precision).toBe(50);
    (C as { precision: number }).precision = 5;
    (P as { precision: number }).precision = 5;
    // 1.23456 has 6 significant digits: decimal.js rounds it to 5, and so must the fast path's fallback.
    expect(fields(new C('1.2345').add(new C('0.00006')))).toEqual(fields(new P('1.2345').add(new P('0.00006'))));
    C.config({ precision: 8 });
    P.config({ precision: 8 });
    expect(C.precision).toBe(8);
    expect(fields(new C('1.2345').mul(new C('1.2345')))).toEqual(fields(new P('1.2345').mul(new P('1.2345'))));
    C.config({ maxE: 3 });
    P.config({ maxE: 3 });
    expect(fields(new C('999').mul(new C('99')))).toEqual(fields(new P('999').mul(new P('99'))));
  });
  test("the engine's context keeps decimal.js's settings and identity checks", () => {
    expect(D.precision).toBe(50);
    expect(D.rounding).toBe(Decimal.ROUND_HALF_EVEN);
    const x = new D('1.5').add(new D('2.25'));
    expect(x).toBeInstanceOf(D);
    expect(x).toBeInstanceOf(Decimal);
    expect(Decimal.isDecimal(x)).toBe(true);
    expect(x.constructor).toBe(D);
    expect(x.toFixed()).toBe('3.75');
  });
});
