import Decimal from 'decimal.js';
import {
  buildTierSchedule,
  computeMaintenanceAmounts,
  findTierIndex,
  validateTierSchedule,
} from '../../../src/risk/rules/tier-rates';
import type { MarginTierParams } from '../../../src/risk/types';
import * as F from '../fixtures';

const d = (x: Decimal.Value) => new Decimal(x);

describe('tiers', () => {
  const schedule = F.tiers(F.BINANCE_BTC_TIERS);

  test('maintenance amounts: cum_0 = 0, cum_i = cum_{i-1} + floor_i·(mmr_i − mmr_{i-1})', () => {
    expect(schedule.map((t) => t.maintenanceAmount.toString())).toEqual(['0', '50', '1300', '16300', '266300', '1266300']);
    expect(computeMaintenanceAmounts([])).toEqual([]);
  });

  test('buildTierSchedule: caps are the next floors, last cap open', () => {
    expect(schedule.map((t) => (t.notionalCap === null ? null : t.notionalCap.toString()))).toEqual([
      '50000',
      '250000',
      '1000000',
      '10000000',
      '20000000',
      null,
    ]);
    expect(validateTierSchedule(schedule)).toEqual([]);
    expect(Object.isFrozen(schedule)).toBe(true);
  });

  test('findTierIndex uses [floor, cap)', () => {
    expect(findTierIndex(schedule, d(0))).toBe(0);
    expect(findTierIndex(schedule, d('49999.99'))).toBe(0);
    expect(findTierIndex(schedule, d(50000))).toBe(1);
    expect(findTierIndex(schedule, d(264000))).toBe(2);
    expect(findTierIndex(schedule, d('1e12'))).toBe(5);
    expect(findTierIndex(schedule, d(-1))).toBe(-1);
    const gap: MarginTierParams[] = [{ ...schedule[0]!, notionalCap: d(10) }];
    expect(findTierIndex(gap, d(10))).toBe(-1);
  });

  test('MM is continuous across tier boundaries', () => {
    for (let i = 1; i < schedule.length; i++) {
      const t = schedule[i]!;
      const p = schedule[i - 1]!;
      const atFloorNew = t.notionalFloor.mul(t.maintenanceMarginRate).sub(t.maintenanceAmount);
      const atFloorOld = t.notionalFloor.mul(p.maintenanceMarginRate).sub(p.maintenanceAmount);
      expect(atFloorNew.eq(atFloorOld)).toBe(true);
    }
  });

  describe('validateTierSchedule', () => {
    const codes = (tiers: MarginTierParams[]) => validateTierSchedule(tiers).map((p) => `${p.code}@${p.tierIndex}`);
    const base = (): MarginTierParams[] => F.tiers([
      { floor: 0, imr: '0.02', mmr: '0.01' },
      { floor: 1000, imr: '0.04', mmr: '0.02' },
      { floor: 5000, imr: '0.1', mmr: '0.05' },
    ]).map((t) => ({ ...t }));

    test('empty', () => expect(codes([])).toEqual(['EMPTY_SCHEDULE@0']));
    test('first floor not zero', () => {
      const t = base();
      t[0] = { ...t[0]!, notionalFloor: d(1) };
      expect(codes(t)).toContain('FIRST_FLOOR_NOT_ZERO@0');
    });
    test('gap between tiers', () => {
      const t = base();
      t[0] = { ...t[0]!, notionalCap: d(900) };
      expect(codes(t)).toContain('NOT_CONTIGUOUS@1');
    });
    test('last cap not open, open cap not last', () => {
      const t = base();
      t[2] = { ...t[2]!, notionalCap: d(10000) };
      t[0] = { ...t[0]!, notionalCap: null };
      expect(codes(t)).toEqual(expect.arrayContaining(['LAST_CAP_NOT_OPEN@2', 'OPEN_CAP_NOT_LAST@0']));
    });
    test('cap not above floor', () => {
      const t = base();
      t[1] = { ...t[1]!, notionalCap: d(1000) };
      expect(codes(t)).toContain('CAP_NOT_ABOVE_FLOOR@1');
    });
    test('rates decreasing, imr below mmr, negative, above one', () => {
      const t = base();
      t[1] = { ...t[1]!, initialMarginRate: d('0.01'), maintenanceMarginRate: d('0.005') };
      t[2] = { ...t[2]!, initialMarginRate: d('1.5'), maintenanceMarginRate: d('-0.1') };
      expect(codes(t)).toEqual(
        expect.arrayContaining([
          'INITIAL_RATE_DECREASING@1',
          'MAINTENANCE_RATE_DECREASING@1',
          'RATE_ABOVE_ONE@2',
          'NEGATIVE_RATE@2',
        ]),
      );
      const u = base();
      u[0] = { ...u[0]!, initialMarginRate: d('0.005') };
      expect(codes(u)).toContain('INITIAL_BELOW_MAINTENANCE@0');
    });
    test('maintenance amount mismatch (can be ignored)', () => {
      const t = base();
      t[2] = { ...t[2]!, maintenanceAmount: d(1) };
      expect(codes(t)).toEqual(['MAINTENANCE_AMOUNT_MISMATCH@2']);
      expect(validateTierSchedule(t, 'IGNORE_MAINTENANCE_AMOUNTS')).toEqual([]);
    });
  });
});
