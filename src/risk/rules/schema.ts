/**
 * Parameter schemas of the margin rules (zod), shared by the API's input validation: each rule states the bounds of
 * its parameters once, next to its formula. Values are decimal.js instances (the GraphQL Decimal scalar's), checked
 * by value; a failed check is an issue whose `path` names the input field.
 */
import Decimal from 'decimal.js';
import { z } from 'zod';

/** Most decimal places a rate parameter may carry (the store's NUMERIC columns keep 30; 18 is the API's limit). */
export const MAX_RATE_DECIMALS = 18;

/** A decimal.js value (any clone). */
export const decimalValue = z.custom<Decimal>((v) => Decimal.isDecimal(v), { message: 'must be a decimal number' });

/** A rate in [0, max] (or (0, max] with `positive`), at most MAX_RATE_DECIMALS places. */
export function rateSchema(max: string, options: { readonly positive?: boolean } = {}) {
  return decimalValue
    .refine((v) => (options.positive ? v.gt(0) : !v.isNegative()), { message: options.positive ? 'must be greater than zero' : 'must be zero or more' })
    .refine((v) => v.lte(max), { message: `must be at most ${max}` })
    .refine((v) => v.decimalPlaces() <= MAX_RATE_DECIMALS, { message: `has more than ${MAX_RATE_DECIMALS} decimal places` });
}

/** A field of a rule's input: absent, null (keep or default) or a value. */
export const optional = <T extends z.ZodType>(schema: T) => schema.nullish();
