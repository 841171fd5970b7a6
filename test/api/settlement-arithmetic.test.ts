/**
 * settleMarket's per-position realized PnL (src/api/resolvers/settlement.mutation.ts): LINEAR and INVERSE close at
 * the settlement price by the fill rule; OPTION positions receive q·c·intrinsic value (the premium moved cash at the
 * fill). Option fills are not on this branch, so this part is checked on the pure function.
 */
import Decimal from 'decimal.js';
import { settlementPnl } from '../../src/api/resolvers/settlement.mutation';
import type { MarketRecord } from '../../src/store/records';

const d = (x: string) => new Decimal(x);
const base = {
  contractSize: d('1'), contractType: 'LINEAR', kind: 'FUTURE', strike: null, optionType: null,
} as unknown as MarketRecord;
const pos = (size: string, entry: string) => ({ size: d(size), entryPrice: d(entry) });

it('LINEAR: q·c·(S − E); INVERSE: q·c·(1/E − 1/S)', () => {
  expect(settlementPnl(base, pos('2', '3000'), d('3200')).toFixed()).toBe('400');
  expect(settlementPnl(base, pos('-2', '3000'), d('3200')).toFixed()).toBe('-400');
  const inverse = { ...base, contractType: 'INVERSE', contractSize: d('100') } as MarketRecord;
  // 10 contracts of 100 USD, long from 40,000 to 50,000: 1000 × (1/40000 − 1/50000) = 0.005 BTC.
  expect(settlementPnl(inverse, pos('10', '40000'), d('50000')).toFixed()).toBe('0.005');
});

it('OPTION: q·c·max(S − K, 0) for a call, q·c·max(K − S, 0) for a put, whatever the premium paid', () => {
  const call = { ...base, kind: 'OPTION', strike: d('60000'), optionType: 'CALL', contractSize: d('0.1') } as MarketRecord;
  const put = { ...call, optionType: 'PUT' } as MarketRecord;
  expect(settlementPnl(call, pos('3', '1500'), d('62000')).toFixed()).toBe('600');
  expect(settlementPnl(call, pos('-3', '1500'), d('62000')).toFixed()).toBe('-600');
  expect(settlementPnl(call, pos('3', '1500'), d('59000')).toFixed()).toBe('0');
  expect(settlementPnl(put, pos('-2', '800'), d('59000')).toFixed()).toBe('-200');
  expect(settlementPnl(put, pos('2', '800'), d('61000')).toFixed()).toBe('0');
});
