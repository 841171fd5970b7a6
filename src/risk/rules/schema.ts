/**
 * Parameter specifications of the margin rules: each rule states the API bounds of its parameters once, next to its
 * formula, as plain data (the engine imports no package but decimal.js, test/layers.test.ts). The API turns a spec
 * into its zod schema (src/api/rule-schemas.ts) for upsertMarket's input validation: one generic adapter, no per-rule
 * code outside the rule's file.
 */

/**
 * A rate-like decimal parameter: 0 ≤ value ≤ max (0 < value with `positive`; min ≤ value ≤ max with `min`), at most
 * 18 decimal places.
 */
export interface RateParameter {
  /** The API input field (UpsertMarketInput, CreateAssetInput, …), also the path of a refusal. */
  readonly field: string;
  readonly max: string;
  readonly positive?: boolean;
  /** A lower bound other than 0 (inclusive). */
  readonly min?: string;
}

export interface OrderedPair {
  readonly lower: string;
  readonly upper: string;
  readonly strict?: boolean;
  /** The field a refusal names. */
  readonly report: 'lower' | 'upper';
}

export interface ParameterSpec {
  readonly fields: readonly RateParameter[];
  /** Fields given all together or not at all (the first missing one is named). */
  readonly together?: readonly string[];
  /** Pairs that must be ordered when both are given: lower ≤ upper (lower < upper when strict); `report` is named. */
  readonly ordered?: readonly OrderedPair[];
}
