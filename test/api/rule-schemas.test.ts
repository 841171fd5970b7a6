/** The zod schemas built from the rules' parameter specifications (src/api/rule-schemas.ts). */
import Decimal from 'decimal.js';
import { ASSET_RULE_SCHEMAS, POSITION_RULE_SCHEMAS, RULE_SCHEMAS } from '../../src/api/rule-schemas';

const d = (x: Decimal.Value) => new Decimal(x);
function refused(schema: (typeof RULE_SCHEMAS)[keyof typeof RULE_SCHEMAS] | (typeof ASSET_RULE_SCHEMAS)[keyof typeof ASSET_RULE_SCHEMAS], value: object): string[] {
  const r = schema.safeParse(value);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
}

describe('rule parameter schemas', () => {
  test('size add-on: both together, each in [0, 0.01], maintenance ≤ initial', () => {
    const s = RULE_SCHEMAS.sizeAddon;
    expect(refused(s, { sizeAddonInitial: d('0.00005'), sizeAddonMaintenance: d('0.000025') })).toEqual([]);
    expect(refused(s, {})).toEqual([]);
    expect(refused(s, { sizeAddonInitial: null, sizeAddonMaintenance: null })).toEqual([]);
    expect(refused(s, { sizeAddonInitial: d('0.00005') })).toEqual(['sizeAddonMaintenance is given together with sizeAddonInitial']);
    expect(refused(s, { sizeAddonInitial: d('0.00001'), sizeAddonMaintenance: d('0.00002') })).toEqual(['sizeAddonMaintenance must not exceed sizeAddonInitial']);
    expect(refused(s, { sizeAddonInitial: d('-1'), sizeAddonMaintenance: d('0') })).toEqual(['sizeAddonInitial must be zero or more']);
    expect(refused(s, { sizeAddonInitial: d('0.02'), sizeAddonMaintenance: d('0') })).toEqual(['sizeAddonInitial must be at most 0.01']);
    expect(refused(s, { sizeAddonInitial: d('1e-19'), sizeAddonMaintenance: d('0') })).toEqual(['sizeAddonInitial has more than 18 decimal places']);
    expect(refused(s, { sizeAddonInitial: '0.1', sizeAddonMaintenance: d('0') })).toEqual(['sizeAddonInitial must be a decimal number']);
  });

  test('short-option rule: α, β, γ in (0, 1], given together, β ≤ α', () => {
    const s = RULE_SCHEMAS.shortOption;
    const abg = (a: string, b: string, g: string) => ({ optionAlpha: d(a), optionBeta: d(b), optionGamma: d(g) });
    expect(refused(s, abg('0.15', '0.1', '0.075'))).toEqual([]);
    expect(refused(s, abg('0.1', '0.1', '0.1'))).toEqual([]);
    expect(refused(s, {})).toEqual([]);
    expect(refused(s, { optionAlpha: d('0.15') })).toEqual(['optionBeta is given together with optionAlpha, optionGamma']);
    expect(refused(s, abg('0.1', '0.2', '0.05'))).toEqual(['optionBeta must not exceed optionAlpha']);
    expect(refused(s, abg('0', '0', '0.05'))).toEqual(['optionAlpha must be greater than zero', 'optionBeta must be greater than zero']);
    expect(refused(s, abg('1.5', '0.1', '0.05'))).toEqual(['optionAlpha must be at most 1']);
  });

  test('user leverage: 0 < L ≤ 1000, null clears it', () => {
    const s = POSITION_RULE_SCHEMAS.userLeverage;
    expect(refused(s, { leverage: d('50') })).toEqual([]);
    expect(refused(s, { leverage: d('1000') })).toEqual([]);
    expect(refused(s, { leverage: null })).toEqual([]);
    expect(refused(s, { leverage: d('0') })).toEqual(['leverage must be greater than zero']);
    expect(refused(s, { leverage: d('1001') })).toEqual(['leverage must be at most 1000']);
  });

  test('closing fee: 0 ≤ closingFeeRate ≤ 0.05', () => {
    const s = RULE_SCHEMAS.closingFee;
    expect(refused(s, { closingFeeRate: d('0.0006') })).toEqual([]);
    expect(refused(s, { closingFeeRate: d('0') })).toEqual([]);
    expect(refused(s, { closingFeeRate: d('-0.001') })).toEqual(['closingFeeRate must be zero or more']);
    expect(refused(s, { closingFeeRate: d('0.06') })).toEqual(['closingFeeRate must be at most 0.05']);
  });

  test('liquidity add-on: 0 < λ ≤ 10', () => {
    const s = RULE_SCHEMAS.liquidityAddon;
    expect(refused(s, { liquidityLambda: d('0.2') })).toEqual([]);
    expect(refused(s, { liquidityLambda: d('0') })).toEqual(['liquidityLambda must be greater than zero']);
    expect(refused(s, { liquidityLambda: d('11') })).toEqual(['liquidityLambda must be at most 10']);
  });

  test('volatility adjustment: z in (0, 10] and h in (0, 365] days, given together', () => {
    const s = RULE_SCHEMAS.volatilityAdjustment;
    expect(refused(s, { volAdjZScore: d('2.326'), volAdjHorizonDays: d('2') })).toEqual([]);
    expect(refused(s, { volAdjZScore: d('2.326') })).toEqual(['volAdjHorizonDays is given together with volAdjZScore']);
    expect(refused(s, { volAdjZScore: d('11'), volAdjHorizonDays: d('2') })).toEqual(['volAdjZScore must be at most 10']);
    expect(refused(s, { volAdjZScore: d('2'), volAdjHorizonDays: d('0') })).toEqual(['volAdjHorizonDays must be greater than zero']);
  });

  test('open-interest scaling: 0 ≤ lower < upper, given together; the upper cap is named', () => {
    const s = RULE_SCHEMAS.openInterestScaling;
    expect(refused(s, { oiLowerCap: d('1000000'), oiUpperCap: d('5000000') })).toEqual([]);
    expect(refused(s, { oiLowerCap: d('0'), oiUpperCap: d('1') })).toEqual([]);
    expect(refused(s, { oiLowerCap: d('10') })).toEqual(['oiUpperCap is given together with oiLowerCap']);
    expect(refused(s, { oiLowerCap: d('10'), oiUpperCap: d('5') })).toEqual(['oiUpperCap must be greater than oiLowerCap']);
    expect(refused(s, { oiLowerCap: d('10'), oiUpperCap: d('10') })).toEqual(['oiUpperCap must be greater than oiLowerCap']);
    expect(refused(s, { oiLowerCap: d('-1'), oiUpperCap: d('10') })).toEqual(['oiLowerCap must be zero or more']);
  });

  test('collateral weights: 0 ≤ w_init ≤ w_maint ≤ 1 and 1 ≤ w_maint_liab ≤ w_init_liab ≤ 10; one refusal per field', () => {
    const s = ASSET_RULE_SCHEMAS.collateralWeights;
    const w = (init: string, maint: string, initLiab: string, maintLiab: string) => ({
      initialWeight: d(init), maintenanceWeight: d(maint), initialLiabilityWeight: d(initLiab), maintenanceLiabilityWeight: d(maintLiab),
    });
    expect(refused(s, w('0.9', '0.95', '1.2', '1.1'))).toEqual([]);
    expect(refused(s, w('1', '1', '1', '1'))).toEqual([]);
    expect(refused(s, w('0.96', '0.95', '1.2', '1.1'))).toEqual(['initialWeight must not exceed maintenanceWeight']);
    expect(refused(s, w('0.9', '0.95', '1.1', '1.2'))).toEqual(['initialLiabilityWeight must be at least maintenanceLiabilityWeight']);
    expect(refused(s, w('0.9', '1.5', '1.2', '1.1'))).toEqual(['maintenanceWeight must be at most 1']);
    expect(refused(s, w('0.9', '0.95', '0.5', '1.1'))).toEqual(['initialLiabilityWeight must be between 1 and 10']);
    expect(refused(s, w('0.9', '0.95', '11', '1.1'))).toEqual(['initialLiabilityWeight must be between 1 and 10']);
  });
});
