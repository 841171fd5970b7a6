/**
 * zod schemas of the margin rules' parameters, built from each rule's own specification (src/risk/rules/*.ts,
 * ParameterSpec): the one adapter between a rule's stated bounds and upsertMarket's input validation. A value is the
 * GraphQL Decimal scalar's decimal.js instance; null or absent means "not given".
 */
import Decimal from 'decimal.js';
import { z } from 'zod';
import { ASSET_RULE_PARAMETERS, POSITION_RULE_PARAMETERS, RULE_PARAMETERS, type ParameterSpec, type RateParameter } from '../risk/rules';
import { LIMITS } from './input';

const decimalValue = z.custom<Decimal>((v) => Decimal.isDecimal(v), { message: 'must be a decimal number' });

function rateSchema(p: RateParameter) {
  const min = p.min;
  const bounded =
    min !== undefined
      ? decimalValue.refine((v) => v.gte(min) && v.lte(p.max), { message: `must be between ${min} and ${p.max}` })
      : decimalValue
          .refine((v) => (p.positive ? v.gt(0) : !v.isNegative()), { message: p.positive ? 'must be greater than zero' : 'must be zero or more' })
          .refine((v) => v.lte(p.max), { message: `must be at most ${p.max}` });
  return bounded
    .refine((v) => v.decimalPlaces() <= LIMITS.maxDecimals, { message: `has more than ${LIMITS.maxDecimals} decimal places` });
}

/** The zod schema of one rule's parameters (an object of its fields). */
export function ruleSchema(spec: ParameterSpec) {
  const shape: Record<string, z.ZodType> = {};
  for (const p of spec.fields) shape[p.field] = rateSchema(p).nullish();
  return z.object(shape).superRefine((raw, ctx) => {
    const v = raw as Record<string, Decimal | null | undefined>;
    const given = (f: string) => v[f] !== null && v[f] !== undefined;
    // An ordering is checked only between values that passed their own bounds (one refusal per field).
    const valid = (f: string) => given(f) && shape[f]!.safeParse(v[f]).success;
    const together = spec.together ?? [];
    if (together.some(given) && !together.every(given)) {
      const missing = together.find((f) => !given(f))!;
      ctx.addIssue({ code: 'custom', path: [missing], message: `is given together with ${together.filter((f) => f !== missing).join(', ')}` });
      return;
    }
    for (const { lower, upper, strict, report } of spec.ordered ?? []) {
      const lo = v[lower];
      const hi = v[upper];
      if (!lo || !hi || !valid(lower) || !valid(upper) || (strict ? lo.lt(hi) : lo.lte(hi))) continue;
      const message = report === 'lower' ? `must ${strict ? 'be less than' : 'not exceed'} ${upper}` : `must be ${strict ? 'greater than' : 'at least'} ${lower}`;
      ctx.addIssue({ code: 'custom', path: [report === 'lower' ? lower : upper], message });
    }
  });
}

/** Every market rule's schema, by rule name (src/risk/rules/index.ts RULE_PARAMETERS). */
export const RULE_SCHEMAS = Object.fromEntries(Object.entries(RULE_PARAMETERS).map(([name, spec]) => [name, ruleSchema(spec)])) as {
  readonly [K in keyof typeof RULE_PARAMETERS]: ReturnType<typeof ruleSchema>;
};

/** Every asset rule's schema (ASSET_RULE_PARAMETERS: createAsset, updateAsset). */
export const ASSET_RULE_SCHEMAS = Object.fromEntries(Object.entries(ASSET_RULE_PARAMETERS).map(([name, spec]) => [name, ruleSchema(spec)])) as {
  readonly [K in keyof typeof ASSET_RULE_PARAMETERS]: ReturnType<typeof ruleSchema>;
};

/** Position settings' schemas (POSITION_RULE_PARAMETERS: setLeverage). */
export const POSITION_RULE_SCHEMAS = Object.fromEntries(Object.entries(POSITION_RULE_PARAMETERS).map(([name, spec]) => [name, ruleSchema(spec)])) as {
  readonly [K in keyof typeof POSITION_RULE_PARAMETERS]: ReturnType<typeof ruleSchema>;
};

/** The fields of the input a rule's schema reads. */
export function ruleInput(spec: ParameterSpec, input: object): Record<string, unknown> {
  const source = input as Record<string, unknown>;
  return Object.fromEntries(spec.fields.map((p) => [p.field, source[p.field]]));
}
