/** The engine's decimal helpers: the shortcuts return exactly what the operations they skip would. */
import fc from 'fast-check';
import Decimal from 'decimal.js';
import { D, compareD, isNonPositive, isOne, scaleBy, toDouble } from '../../src/risk/decimal';

const RUNS = { numRuns: 500, seed: Number(process.env.FC_SEED ?? 20261121) };

/** Engine values: results of engine arithmetic (at most 50 significant digits), zeros of both signs included. */
const engineValue = fc.oneof(
  fc.bigInt({ min: -(10n ** 60n), max: 10n ** 60n }).chain((m) =>
    fc.integer({ min: 0, max: 40 }).map((scale) => new D(m.toString()).div(new D(10).pow(scale))),
  ),
  fc.constantFrom(new D(0), new D(-0), new D(1), new D(-1)),
);

describe('isOne', () => {
  test('exactly 1, whatever its written form', () => {
    expect(isOne(new D(1))).toBe(true);
    expect(isOne(new D('1.000'))).toBe(true);
    expect(isOne(new D('10').div(10))).toBe(true);
    for (const x of ['-1', '0', '-0', '1.0000001', '0.9999999', '10', '0.1', '1e-50']) expect(isOne(new D(x))).toBe(false);
  });
});

describe('scaleBy', () => {
  test('equals x·k, sign of zero included, for k = 1 and any other k', () => {
    fc.assert(
      fc.property(engineValue, fc.oneof(engineValue, fc.constant(new D(1)), fc.constant(new D('1.0'))), (x, k) => {
        const expected = x.mul(k);
        const got = scaleBy(x, k);
        return got.eq(expected) && got.isNeg() === expected.isNeg() && got.toString() === expected.toString();
      }),
      RUNS,
    );
  });
});

describe('toDouble', () => {
  test('within 1e-15 (relative) of toNumber, sign of zero included', () => {
    fc.assert(
      fc.property(engineValue, (x) => {
        const expected = x.toNumber();
        const got = toDouble(x);
        if (expected === 0) return Object.is(got, expected);
        return Math.sign(got) === Math.sign(expected) && Math.abs(got - expected) <= 1e-15 * Math.abs(expected);
      }),
      RUNS,
    );
  });
  test('exact for integers and short decimals; infinities beyond the double range', () => {
    for (const x of ['1', '-1', '10000000', '12345678901234', '0.5', '-2.25', '43210.5', '0.001']) expect(toDouble(new D(x))).toBe(Number(x));
    expect(toDouble(new D('1e400'))).toBe(Infinity);
    expect(toDouble(new D('-1e400'))).toBe(-Infinity);
  });
});

describe('compareD and isNonPositive', () => {
  const special = fc.constantFrom(new D(NaN), new D(Infinity), new D(-Infinity));
  /** Also values of another decimal.js context (the store's global Decimal), which cmp copies and compareD reads as they are. */
  const anyValue = fc.oneof(engineValue, engineValue.map((x) => new Decimal(x.toString())), special);
  test('compareD(a, b) is a.cmp(b), for any two values (equal ones, zeros of either sign, infinities, NaN)', () => {
    fc.assert(
      fc.property(anyValue, anyValue, fc.boolean(), (a, b, same) => {
        const y = same ? new D(a) : b;
        return Object.is(compareD(a, y), a.cmp(y)) || (Number.isNaN(compareD(a, y)) && Number.isNaN(a.cmp(y)));
      }),
      RUNS,
    );
  });
  test('isNonPositive(x) is x.lte(0)', () => {
    fc.assert(fc.property(anyValue, (x) => isNonPositive(x) === x.lte(0)), RUNS);
  });
});
