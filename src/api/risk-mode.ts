/**
 * Which liquidation-price mode a request's risk evaluations need (src/risk/engine.ts LiquidationPriceMode): COMPUTE
 * only when the operation document selects a field that shows liquidation or bankruptcy prices, SKIP otherwise (the
 * figures are the same in both modes; SKIP leaves the prices null and `liquidationPrices` empty, and is ~10x cheaper).
 * Likewise greeks (GreeksMode): computed only when the document selects a `greeks` field.
 *
 * The fields: Account.liquidationPrices, Position.liquidationPrice / bankruptcyPrice and PositionRisk.liquidationPrice
 * / bankruptcyPrice — every field whose value comes from the per-request risk loader's liquidation results. The walk
 * is by field name over every operation and fragment of the document (whatever its type or alias), so it can only
 * err toward COMPUTE.
 */
import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import type { GreeksMode, LiquidationPriceMode } from '../risk';

/** Field names whose values come from the engine's liquidation-price results (COMPUTE mode). */
export const LIQUIDATION_PRICE_FIELDS: ReadonlySet<string> = new Set(['liquidationPrices', 'liquidationPrice', 'bankruptcyPrice']);

/** Field names whose values are the engine's greeks (AccountRisk.greeks, PositionRisk.greeks). */
export const GREEKS_FIELDS: ReadonlySet<string> = new Set(['greeks']);

/** Field names whose values come from the per-request risk loader (any of them: the request evaluates risk). */
export const RISK_FIELDS: ReadonlySet<string> = new Set(['risk', ...LIQUIDATION_PRICE_FIELDS]);

/** The mode of a request's risk loader; set once the operation is known (risk mode plugin), COMPUTE until then. */
export interface RiskOptions {
  liquidationPrices: LiquidationPriceMode;
  greeks: GreeksMode;
  /**
   * The operation selects risk (a RISK_FIELDS field): accounts are read with their snapshot rows in one statement
   * (src/api/loaders.ts). Only an optimization: false reads the account row alone and the snapshot when asked.
   */
  prefetchSnapshots: boolean;
}

function selects(set: SelectionSetNode | undefined, names: ReadonlySet<string>): boolean {
  if (!set) return false;
  for (const s of set.selections) {
    if (s.kind === Kind.FIELD) {
      if (names.has(s.name.value) || selects(s.selectionSet, names)) return true;
    } else if (s.kind === Kind.INLINE_FRAGMENT) {
      if (selects(s.selectionSet, names)) return true;
    }
    // Fragment spreads: every fragment definition of the document is walked below.
  }
  return false;
}

function documentSelects(document: DocumentNode, names: ReadonlySet<string>): boolean {
  for (const def of document.definitions) {
    if ((def.kind === Kind.OPERATION_DEFINITION || def.kind === Kind.FRAGMENT_DEFINITION) && selects(def.selectionSet, names)) return true;
  }
  return false;
}

/** Parsed documents are cached by Apollo: one walk per distinct document. */
const OPTIONS = new WeakMap<DocumentNode, Readonly<RiskOptions>>();

/**
 * The risk options of a document: liquidation prices COMPUTE when any operation or fragment selects a
 * liquidation-price field (else SKIP), greeks when any selects a greeks field; snapshots prefetched when any selects a
 * risk field.
 */
export function riskOptionsOf(document: DocumentNode): Readonly<RiskOptions> {
  let options = OPTIONS.get(document);
  if (options === undefined) {
    options = Object.freeze({
      liquidationPrices: documentSelects(document, LIQUIDATION_PRICE_FIELDS) ? 'COMPUTE' : 'SKIP',
      greeks: documentSelects(document, GREEKS_FIELDS) ? 'COMPUTE' : 'SKIP',
      prefetchSnapshots: documentSelects(document, RISK_FIELDS),
    });
    OPTIONS.set(document, options);
  }
  return options;
}

/** COMPUTE when any operation or fragment of the document selects a liquidation-price field, else SKIP. */
export function liquidationModeOf(document: DocumentNode): LiquidationPriceMode {
  return riskOptionsOf(document).liquidationPrices;
}
