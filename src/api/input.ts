/**
 * Input checks shared by the mutations. Each check adds a userError (code BAD_USER_INPUT, with the field path) and
 * the write is refused before the database is touched. Malformed decimals never get here: the Decimal scalar
 * refuses them as GraphQL BAD_USER_INPUT errors.
 */
import type Decimal from 'decimal.js';
import type { UserError } from '../generated/graphql';
import { badInput } from './errors';
import { userError } from './write';

/** Bounds that keep every value well inside NUMERIC(65,30) and any sane venue. */
export const LIMITS = {
  /** Amounts of an asset (deposits, withdrawals, fees, transfers). */
  maxAmount: '1e24',
  /** Prices and notionals. */
  maxPrice: '1e18',
  /** Position sizes in contracts. */
  maxSize: '1e18',
  /** Decimal places of prices, sizes and rates. */
  maxDecimals: 18,
} as const;

const SYMBOL_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/**
 * The one rule for market and asset symbols at the API boundary, for reads and writes alike: 1–64 characters,
 * letters, digits, '.', '_' and '-', starting with a letter or digit. A value outside it (a NUL character,
 * "__proto__") is refused before it reaches the database or the engine.
 */
export function isSymbol(value: string): boolean {
  return SYMBOL_PATTERN.test(value);
}

/** A value as it may be echoed in a message: at most 64 characters, control characters shown as '?'. */
export function printable(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.slice(0, 64).replace(/[\u0000-\u001f\u007f]/g, '?');
}

/** Read arguments: BAD_USER_INPUT naming `field` unless `value` is a symbol. */
export function requireSymbol(value: string, field: string): void {
  if (!isSymbol(value)) throw badInput(`${field} "${printable(value)}" is not a valid symbol`, field);
}

/** Read arguments: BAD_USER_INPUT naming `field` when free text carries control characters (NUL included). */
export function requirePlainText(value: string, field: string, max = 256): void {
  if (value.length > max) throw badInput(`${field} must be at most ${max} characters`, field);
  if (CONTROL_CHARACTERS.test(value)) throw badInput(`${field} must not contain control characters`, field);
}

export class InputChecks {
  readonly errors: UserError[] = [];

  private add(field: string, message: string): false {
    this.errors.push(userError('BAD_USER_INPUT', field, message));
    return false;
  }

  /** |value| < max and at most `maxDecimals` decimal places. */
  bounded(field: string, value: Decimal, max: string, maxDecimals: number = LIMITS.maxDecimals): boolean {
    if (value.abs().gte(max)) return this.add(field, `${field} is too large (at most ${max} in absolute value)`);
    if (value.decimalPlaces() > maxDecimals) return this.add(field, `${field} has more than ${maxDecimals} decimal places`);
    return true;
  }

  positive(field: string, value: Decimal, max: string = LIMITS.maxAmount, maxDecimals?: number): boolean {
    if (!value.isFinite() || value.lte(0)) return this.add(field, `${field} must be greater than zero`);
    return this.bounded(field, value, max, maxDecimals);
  }

  nonNegative(field: string, value: Decimal, max: string = LIMITS.maxAmount, maxDecimals?: number): boolean {
    if (!value.isFinite() || value.isNegative()) return this.add(field, `${field} must not be negative`);
    return this.bounded(field, value, max, maxDecimals);
  }

  nonZero(field: string, value: Decimal, max: string, maxDecimals?: number): boolean {
    if (!value.isFinite() || value.isZero()) return this.add(field, `${field} must not be zero`);
    return this.bounded(field, value, max, maxDecimals);
  }

  /** A rate in [0, 1] (or (0, 1] when `positive`). */
  rate(field: string, value: Decimal, options: { positive?: boolean; max?: number } = {}): boolean {
    const max = options.max ?? 1;
    if (options.positive ? value.lte(0) : value.isNegative()) {
      return this.add(field, `${field} must be ${options.positive ? 'greater than zero' : 'zero or more'}`);
    }
    if (value.gt(max)) return this.add(field, `${field} must be at most ${max}`);
    if (value.decimalPlaces() > LIMITS.maxDecimals) return this.add(field, `${field} has more than ${LIMITS.maxDecimals} decimal places`);
    return true;
  }

  /**
   * A rule's parameter schema (src/risk/rules/): each issue becomes BAD_USER_INPUT naming its field (the issue's path)
   * with the rule's message. True when the value passes.
   */
  schema(schema: { safeParse(value: unknown): { success: true } | { success: false; error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] } } }, value: unknown): boolean {
    const result = schema.safeParse(value);
    if (result.success) return true;
    for (const issue of result.error.issues) {
      const field = issue.path.map(String).join('.');
      this.add(field, `${field} ${issue.message}`);
    }
    return false;
  }

  symbol(field: string, value: string): boolean {
    if (!isSymbol(value)) return this.add(field, `${field} "${printable(value)}" is not a valid symbol`);
    return true;
  }

  text(field: string, value: string | null | undefined, options: { min?: number; max: number; optional?: boolean }): boolean {
    if (value === null || value === undefined) {
      return options.optional ? true : this.add(field, `${field} is required`);
    }
    if (value.trim().length < (options.min ?? 1)) return this.add(field, `${field} must not be empty`);
    if (value.length > options.max) return this.add(field, `${field} must be at most ${options.max} characters`);
    if (CONTROL_CHARACTERS.test(value)) return this.add(field, `${field} must not contain control characters`);
    return true;
  }

  uuid(field: string, value: string): boolean {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value)) {
      return this.add(field, `${field} is not a valid id`);
    }
    return true;
  }

  fail(field: string | null, message: string): false {
    this.errors.push(userError('BAD_USER_INPUT', field, message));
    return false;
  }
}
