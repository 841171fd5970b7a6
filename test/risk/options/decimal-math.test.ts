import fc from 'fast-check';
import { D, normCdf, normInv, normPdf } from '../../../src/risk/options/decimal-math';

describe('normal distribution in Decimal precision', () => {
  it('known values', () => {
    expect(normCdf('1.644853626951').minus('0.95').abs().toNumber()).toBeLessThan(1e-12);
    expect(normInv('0.99').minus('2.326347874').abs().toNumber()).toBeLessThan(1e-9);
    // high-precision references computed with mpmath (mp.dps = 50)
    expect(normInv('0.975').minus('1.959963984540054235524594430520551527956').abs().toNumber()).toBeLessThan(1e-35);
    expect(normCdf(0).toString()).toBe('0.5');
    expect(normCdf(1).minus('0.8413447460685429485852325456320379224779').abs().toNumber()).toBeLessThan(1e-35);
    expect(normCdf(-5).div('2.866515718791939116737523328746453538544e-7').minus(1).abs().toNumber()).toBeLessThan(1e-30);
    expect(normCdf(-10).div('7.619853024160526065973343251599308363504e-24').minus(1).abs().toNumber()).toBeLessThan(1e-30);
    expect(normCdf(-12).div('1.776482112077678997696171001845557092393e-33').minus(1).abs().toNumber()).toBeLessThan(1e-30);
    expect(normPdf(0).minus('0.3989422804014326779399460599343818684759').abs().toNumber()).toBeLessThan(1e-38);
  });

  it('symmetry Φ(x) + Φ(−x) = 1 and Φ⁻¹(Φ(x)) = x', () => {
    fc.assert(
      fc.property(fc.double({ min: -12, max: 12, noNaN: true }), (xn) => {
        const x = new D(xn.toPrecision(15));
        const s = normCdf(x).plus(normCdf(x.neg()));
        if (s.minus(1).abs().gt('1e-35')) return false;
        if (x.abs().gt(8)) return true; // Φ(x) for large x rounds toward 1; invert from the small tail instead
        return normInv(normCdf(x)).minus(x).abs().lte('1e-25');
      }),
      { numRuns: 200 },
    );
  });

  it('extreme tails invert', () => {
    expect(normInv('1e-100').minus('-21.27345356096532429511721218866222641865').abs().toNumber()).toBeLessThan(1e-25);
    expect(normInv('0.5').isZero()).toBe(true);
    expect(() => normInv(0)).toThrow(RangeError);
    expect(() => normInv(1)).toThrow(RangeError);
  });
});
