/** Bounded doubles (src/risk/screen/bounds.ts): every operation's bound holds the engine's Decimal result. */
import fc from 'fast-check';
import { D } from '../../../src/risk';
import { BoundedOps, ceilStep, signOf, toBoundedDouble } from '../../../src/risk/screen/bounds';

const RUNS = { numRuns: 500, seed: Number(process.env.FC_SEED ?? 20261203) };

/** A decimal of up to 18 significant digits over a wide range of magnitudes, in the engine's class. */
const decimal = fc
  .tuple(fc.bigInt({ min: -(10n ** 18n), max: 10n ** 18n }), fc.integer({ min: -30, max: 12 }))
  .map(([m, e]) => new D(m.toString()).mul(new D(10).pow(e)));

const within = (exact: InstanceType<typeof D>, v: number, e: number) => exact.sub(new D(v)).abs().lte(new D(e));

describe('bounded doubles', () => {
  test('conversion, +, −, ×, ÷, √, max and ⌈⌉ bound the engine’s Decimal results', () => {
    fc.assert(
      fc.property(decimal, decimal, fc.integer({ min: 0, max: 8 }), (a, b, decimals) => {
        const ops = new BoundedOps();
        const x = toBoundedDouble(a);
        const y = toBoundedDouble(b);
        expect(within(a, x.value, x.error)).toBe(true);
        let v = ops.add(x.value, x.error, y.value, y.error);
        expect(within(a.add(b), v, ops.err)).toBe(true);
        v = ops.sub(x.value, x.error, y.value, y.error);
        expect(within(a.sub(b), v, ops.err)).toBe(true);
        v = ops.mul(x.value, x.error, y.value, y.error);
        const product = a.mul(b);
        const productErr = ops.err;
        expect(within(product, v, productErr)).toBe(true);
        // Chained: the product rounded up to `decimals` places, as requirements are.
        const up = ops.ceilTo(v, productErr, ceilStep(decimals));
        expect(within(product.toDecimalPlaces(decimals, D.ROUND_CEIL), up, ops.err)).toBe(true);
        if (!b.isZero()) {
          v = ops.div(x.value, x.error, y.value, y.error);
          if (Number.isFinite(ops.err)) expect(within(a.div(b), v, ops.err)).toBe(true);
        }
        v = ops.sqrt(Math.abs(x.value), x.error);
        expect(within(a.abs().sqrt(), v, ops.err)).toBe(true);
        v = ops.max(x.value, x.error, y.value, y.error);
        expect(within(D.max(a, b), v, ops.err)).toBe(true);
        v = ops.max0(x.value, x.error);
        expect(within(D.max(a, 0), v, ops.err)).toBe(true);
      }),
      RUNS,
    );
  });

  test('signOf decides only outside the bound; an exact zero is never decided', () => {
    expect(signOf(1, 0.5)).toBe(1);
    expect(signOf(-1, 0.5)).toBe(-1);
    expect(signOf(1, 1)).toBe(0);
    expect(signOf(0, 0)).toBe(0);
    expect(signOf(NaN, 0)).toBe(0);
    expect(signOf(1, Infinity)).toBe(0);
    expect(signOf(Infinity, Infinity)).toBe(0);
  });

  test('division by a bound that reaches zero is undecidable (NaN), never a number', () => {
    const ops = new BoundedOps();
    expect(ops.div(1, 0, 1e-20, 1e-19)).toBeNaN();
    expect(signOf(ops.div(1, 0, 1e-20, 1e-19), ops.err)).toBe(0);
  });
});
