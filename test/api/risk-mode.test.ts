/** src/api/risk-mode.ts: what a document's risk evaluations compute, read from the fields it selects. */
import { parse } from 'graphql';
import { riskOptionsOf } from '../../src/api/risk-mode';

const options = (source: string) => riskOptionsOf(parse(source));

describe('riskOptionsOf', () => {
  test('figures only: no liquidation prices, no greeks, snapshots prefetched', () => {
    expect(options(`{ account(id: "a") { risk { equity breakdown { positions { notional } } } } }`)).toEqual({
      liquidationPrices: 'SKIP',
      greeks: 'SKIP',
      prefetchSnapshots: true,
    });
  });
  test('greeks of the account or of a position, under any alias, in a fragment or inline fragment', () => {
    for (const source of [
      `{ account(id: "a") { risk { greeks { delta } } } }`,
      `{ account(id: "a") { risk { breakdown { positions { g: greeks { position { delta } } } } } } }`,
      `{ account(id: "a") { ...F } } fragment F on Account { risk { greeks { delta } } }`,
      `{ account(id: "a") { risk { ... on AccountRisk { greeks { delta } } } } }`,
    ]) {
      expect(options(source).greeks).toBe('COMPUTE');
      expect(options(source).liquidationPrices).toBe('SKIP');
    }
  });
  test('liquidation prices and greeks are independent', () => {
    expect(options(`{ account(id: "a") { liquidationPrices { underlying } } }`)).toMatchObject({ liquidationPrices: 'COMPUTE', greeks: 'SKIP' });
    expect(options(`{ account(id: "a") { liquidationPrices { underlying } risk { greeks { delta } } } }`)).toMatchObject({
      liquidationPrices: 'COMPUTE',
      greeks: 'COMPUTE',
    });
  });
  test('a document without risk fields prefetches nothing', () => {
    expect(options(`{ market(symbol: "BTC-PERP") { symbol } }`)).toEqual({ liquidationPrices: 'SKIP', greeks: 'SKIP', prefetchSnapshots: false });
  });
});
