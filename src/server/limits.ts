/**
 * Query shape limits, refused before execution with `QUERY_TOO_COMPLEX` (HTTP 400):
 * - a guard in front of Apollo parses the document once (bounded by a token cap) and refuses it when it is nested
 *   deeper than `maxDepth` or uses more than `maxAliases` aliases (a 1,000-alias query never reaches validation);
 *   while introspection is enabled (outside production), the subtrees of `__schema` and `__type` are measured
 *   against MAX_INTROSPECTION_DEPTH instead, so the standard introspection query (graphql-js
 *   `getIntrospectionQuery()`, 15 deep) that codegen, GraphiQL and IDE plugins send is let through; graphql-js's own
 *   MaxIntrospectionDepthRule (part of validation) bounds how often `fields` / `interfaces` / `possibleTypes` nest;
 * - an Apollo plugin computes the cost of the operation about to run (graphql-query-complexity, with the request's
 *   variables): each field costs 1 plus its children, multiplied by the page size on paginated fields.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type express from 'express';
import {
  GraphQLError,
  Kind,
  getOperationAST,
  parse,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { getComplexity, type ComplexityEstimator } from 'graphql-query-complexity';
import { HeaderMap } from '@apollo/server';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { ERROR_TABLE } from '../api/errors';
import { DEFAULT_MAX_ROUNDS, MAX_ROUNDS_CAP } from '../risk/stress';
import type { Principal } from '../api/principal';
import type { RateLimiters } from './rate-limits';

/** Upper bound on the tokens of a document: parsing stops there (graphql-js `maxTokens`). */
export const MAX_QUERY_TOKENS = 20_000;
/** Page size assumed for a paginated field called without `first` (the API's default page). */
const DEFAULT_PAGE = 50;
const MAX_PAGE = 200;

/** Depth allowed inside `__schema` / `__type` while introspection is enabled (the standard query nests 15 deep). */
export const MAX_INTROSPECTION_DEPTH = 24;

export interface QueryShape {
  /** Deepest nesting over the whole document, introspection included. */
  readonly depth: number;
  readonly aliases: number;
  /** Deepest nesting outside the root fields `__schema` and `__type`. */
  readonly depthOutsideIntrospection: number;
  /** Deepest nesting of a root `__schema` / `__type` field (0: none). */
  readonly introspectionDepth: number;
}

/** Root fields of the introspection system (`__typename` is a leaf, counted as any field). */
const INTROSPECTION_ROOTS = new Set(['__schema', '__type']);

/** Depth (fields nested, fragments expanded) and alias count of a parsed document, over all its operations. */
export function measureDocument(document: DocumentNode): QueryShape {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  let aliases = 0;
  for (const def of document.definitions) {
    // Aliases are counted per definition (a fragment used twice counts once: its cost shows in the depth and cost).
    const stack: SelectionSetNode[] = 'selectionSet' in def && def.selectionSet ? [def.selectionSet] : [];
    while (stack.length) {
      for (const sel of stack.pop()!.selections) {
        if (sel.kind === Kind.FIELD && sel.alias) aliases += 1;
        if ('selectionSet' in sel && sel.selectionSet) stack.push(sel.selectionSet);
      }
    }
  }
  const memo = new Map<string, number>();
  const depthOf = (set: SelectionSetNode | undefined, visiting: Set<string>): number => {
    if (!set) return 0;
    let max = 0;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) max = Math.max(max, sel.selectionSet ? 1 + depthOf(sel.selectionSet, visiting) : 1);
      else if (sel.kind === Kind.INLINE_FRAGMENT) max = Math.max(max, depthOf(sel.selectionSet, visiting));
      else {
        const name = sel.name.value;
        if (visiting.has(name)) continue; // a fragment cycle is a validation error; do not loop on it
        let d = memo.get(name);
        if (d === undefined) {
          visiting.add(name);
          d = depthOf(fragments.get(name)?.selectionSet, visiting);
          visiting.delete(name);
          memo.set(name, d);
        }
        max = Math.max(max, d);
      }
    }
    return max;
  };
  // At the root, introspection fields are measured apart (they exist on the query root type only); fragments spread
  // at the root are expanded there too.
  let outside = 0;
  let introspection = 0;
  const measureRoot = (set: SelectionSetNode | undefined, visiting: Set<string>): void => {
    if (!set) return;
    for (const sel of set.selections) {
      if (sel.kind === Kind.FIELD) {
        const d = sel.selectionSet ? 1 + depthOf(sel.selectionSet, visiting) : 1;
        if (INTROSPECTION_ROOTS.has(sel.name.value)) introspection = Math.max(introspection, d);
        else outside = Math.max(outside, d);
      } else if (sel.kind === Kind.INLINE_FRAGMENT) {
        measureRoot(sel.selectionSet, visiting);
      } else if (!visiting.has(sel.name.value)) {
        visiting.add(sel.name.value);
        measureRoot(fragments.get(sel.name.value)?.selectionSet, visiting);
        visiting.delete(sel.name.value);
      }
    }
  };
  for (const def of document.definitions) {
    if (def.kind === Kind.OPERATION_DEFINITION) measureRoot(def.selectionSet, new Set());
  }
  return { depth: Math.max(outside, introspection), aliases, depthOutsideIntrospection: outside, introspectionDepth: introspection };
}

function tooComplex(message: string, details: Record<string, unknown> = {}): GraphQLError {
  const row = ERROR_TABLE.QUERY_TOO_COMPLEX;
  return new GraphQLError(message, { extensions: { code: row.extensionsCode, ...details, http: { status: row.httpStatus } } });
}

/**
 * Deepest bracket nesting ({ [ ( ) a parser would recurse into: the parser recurses once per level of selection
 * sets and of literal lists and objects, and overflows the stack at a few thousand levels. Counted on the raw text
 * before anything is parsed; strings, block strings and comments are skipped.
 */
export const MAX_NESTING = 64;

export function nestingDepth(query: string): number {
  let depth = 0;
  let max = 0;
  const n = query.length;
  for (let i = 0; i < n; i++) {
    const c = query.charCodeAt(i);
    if (c === 0x23 /* # */) {
      while (i < n && query.charCodeAt(i) !== 0x0a && query.charCodeAt(i) !== 0x0d) i++;
    } else if (c === 0x22 /* " */) {
      if (query.startsWith('"""', i)) {
        i += 3;
        while (i < n && !query.startsWith('"""', i)) i += query.charCodeAt(i) === 0x5c && query.startsWith('"""', i + 1) ? 4 : 1;
        i += 2;
      } else {
        i++;
        while (i < n && query.charCodeAt(i) !== 0x22 && query.charCodeAt(i) !== 0x0a) i += query.charCodeAt(i) === 0x5c ? 2 : 1;
      }
    } else if (c === 0x7b || c === 0x5b || c === 0x28) {
      depth += 1;
      if (depth > max) max = depth;
    } else if (c === 0x7d || c === 0x5d || c === 0x29) {
      depth -= 1;
    }
  }
  return max;
}

/** What the guard learns from a query text: too many tokens, nested too deep to parse, not parsable (Apollo reports it), or its shape. */
type ShapeOutcome = 'TOO_MANY_TOKENS' | 'TOO_DEEP' | 'UNPARSABLE' | QueryShape;

function shapeOf(query: string): ShapeOutcome {
  if (nestingDepth(query) > MAX_NESTING) return 'TOO_DEEP';
  let document: DocumentNode;
  try {
    document = parse(query, { maxTokens: MAX_QUERY_TOKENS, noLocation: true });
  } catch (error) {
    return error instanceof GraphQLError && /tokens/.test(error.message) ? 'TOO_MANY_TOKENS' : 'UNPARSABLE';
  }
  return measureDocument(document);
}

/**
 * Outcomes by query text: a bounded per-process memo of a pure function, so the guard parses each distinct
 * document once rather than on every request (clients send the same few documents over and over). Only texts up to
 * SHAPE_MEMO_MAX_LENGTH characters are remembered; the memo is emptied when it reaches SHAPE_MEMO_LIMIT entries.
 */
const SHAPES = new Map<string, ShapeOutcome>();
const SHAPE_MEMO_LIMIT = 1_000;
const SHAPE_MEMO_MAX_LENGTH = 16_384;

function memoizedShapeOf(query: string): ShapeOutcome {
  if (query.length > SHAPE_MEMO_MAX_LENGTH) return shapeOf(query);
  let outcome = SHAPES.get(query);
  if (outcome === undefined) {
    outcome = shapeOf(query);
    if (SHAPES.size >= SHAPE_MEMO_LIMIT) SHAPES.clear();
    SHAPES.set(query, outcome);
  }
  return outcome;
}

/**
 * Express guard in front of Apollo (after body parsing). Documents it cannot parse go on to Apollo's own errors.
 * `introspection`: whether the server answers introspection (then its subtrees have their own depth bound); when it
 * does not, they count like any other field.
 */
export function queryShapeGuard(limits: { maxDepth: number; maxAliases: number; introspection: boolean }): express.RequestHandler {
  return (req, res, next) => {
    const body = req.body as { query?: unknown } | undefined;
    const query = req.method === 'GET' ? req.query.query : body?.query;
    if (typeof query !== 'string') {
      next();
      return;
    }
    const refuse = (message: string) => {
      res.status(ERROR_TABLE.QUERY_TOO_COMPLEX.httpStatus).json({ errors: [{ message, extensions: { code: 'QUERY_TOO_COMPLEX' } }] });
    };
    const shape = memoizedShapeOf(query);
    if (shape === 'TOO_MANY_TOKENS') {
      refuse(`query has more than ${MAX_QUERY_TOKENS} tokens`);
      return;
    }
    if (shape === 'TOO_DEEP') {
      refuse(`query nests brackets deeper than ${MAX_NESTING} levels`);
      return;
    }
    if (shape === 'UNPARSABLE') {
      next();
      return;
    }
    const depth = limits.introspection ? shape.depthOutsideIntrospection : shape.depth;
    if (depth > limits.maxDepth) {
      refuse(`query depth ${depth} exceeds the maximum of ${limits.maxDepth}`);
      return;
    }
    if (limits.introspection && shape.introspectionDepth > MAX_INTROSPECTION_DEPTH) {
      refuse(`introspection depth ${shape.introspectionDepth} exceeds the maximum of ${MAX_INTROSPECTION_DEPTH}`);
      return;
    }
    if (shape.aliases > limits.maxAliases) {
      refuse(`query uses ${shape.aliases} aliases; the maximum is ${limits.maxAliases}`);
      return;
    }
    next();
  };
}

/**
 * Engine work, in cost units, priced by argument (documented beside each field in schema.graphql):
 * - `whatIf`: per scenario, its selection + WHATIF_SCENARIO_COST + WHATIF_ENTRY_COST × its entries (trades, price
 *   moves, deposits, …: each is applied and re-evaluated);
 * - `stressTest`: STRESS_BASE_COST + STRESS_ROUND_COST × `maxRounds` (default 10; each round re-evaluates every account
 *   of the venue; a `maxRounds` outside 1..MAX_ROUNDS_CAP is priced as the default and refused by the resolver);
 * - the solvers (`maxTradeSize`, `maxWithdrawable`, `depositToReach`, `minReductionToExitLiquidation`): SOLVER_COST
 *   each (a search of many evaluations); `valueAtRisk`: VALUE_AT_RISK_COST (a revaluation per historical window);
 *   `liquidationOutcome`: LIQUIDATION_OUTCOME_COST.
 * With the default QUERY_MAX_COST of 20,000: four default stress tests (one of 50 rounds), or ~4 full
 * 20-scenario × 100-entry what-ifs, per
 * request; per key, RATE_LIMIT_COST_POINTS per window (src/server/rate-limits.ts).
 */
export const WHATIF_SCENARIO_COST = 20;
export const WHATIF_ENTRY_COST = 2;
export const STRESS_BASE_COST = 2_000;
export const STRESS_ROUND_COST = 300;
export const SOLVER_COST = 100;
export const VALUE_AT_RISK_COST = 100;
export const LIQUIDATION_OUTCOME_COST = 50;

const SOLVERS = new Set(['maxTradeSize', 'maxWithdrawable', 'depositToReach', 'minReductionToExitLiquidation']);
const SCENARIO_LISTS = ['priceMoves', 'volatilityShifts', 'trades', 'deposits', 'withdrawals', 'leverageChanges', 'isolatedMarginTransfers'] as const;

/** Entries of one what-if scenario (the lists it applies). */
function scenarioEntries(scenario: unknown): number {
  if (scenario === null || typeof scenario !== 'object') return 0;
  let n = 0;
  for (const list of SCENARIO_LISTS) {
    const value = (scenario as Record<string, unknown>)[list];
    if (Array.isArray(value)) n += value.length;
  }
  return n;
}

/** The engine work a field asks for, or null when it is not an engine field. */
function engineCost(parent: string, field: string, args: Record<string, unknown>, childComplexity: number): number | null {
  if (parent === 'Query' && field === 'whatIf') {
    const scenarios = Array.isArray(args.scenarios) ? args.scenarios : [];
    let cost = 1;
    for (const scenario of scenarios) cost += childComplexity + WHATIF_SCENARIO_COST + WHATIF_ENTRY_COST * scenarioEntries(scenario);
    return cost;
  }
  if (parent === 'Query' && field === 'stressTest') {
    const scenario = args.scenario as { maxRounds?: unknown } | undefined;
    const given = scenario?.maxRounds;
    const rounds = typeof given === 'number' && Number.isInteger(given) && given >= 1 && given <= MAX_ROUNDS_CAP ? given : DEFAULT_MAX_ROUNDS;
    return 1 + childComplexity + STRESS_BASE_COST + STRESS_ROUND_COST * rounds;
  }
  if (parent === 'Account' && SOLVERS.has(field)) return SOLVER_COST + childComplexity;
  if (parent === 'Account' && field === 'valueAtRisk') return VALUE_AT_RISK_COST + childComplexity;
  if (field === 'liquidationOutcome') return LIQUIDATION_OUTCOME_COST + childComplexity;
  return null;
}

/**
 * Field cost: the engine work of engine fields (above); otherwise 1 (10 for a mutation) plus the children, × the
 * page size (`first`, else `last`) on paginated fields.
 */
export const costEstimator: ComplexityEstimator = ({ type, field, args, childComplexity }) => {
  const engine = engineCost(type.name, field.name, args, childComplexity);
  if (engine !== null) return engine;
  const own = type.name === 'Mutation' ? 10 : 1;
  if (!field.args.some((a) => a.name === 'first')) return own + childComplexity;
  const size = typeof args.first === 'number' ? args.first : args.last;
  const page = typeof size === 'number' && size > 0 ? Math.min(size, MAX_PAGE) : DEFAULT_PAGE;
  return own + childComplexity * page;
};

type CostOutcome = { readonly kind: 'SKIP' } | { readonly kind: 'FAILED'; readonly message: string } | { readonly kind: 'COST'; readonly cost: number };

function computeCost(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): CostOutcome {
  // Variables that do not coerce fail execution before any resolver runs; leave that error to graphql-js.
  const operation = getOperationAST(document, operationName);
  if (operation && getVariableValues(schema, operation.variableDefinitions ?? [], variables).errors) return { kind: 'SKIP' };
  try {
    return { kind: 'COST', cost: getComplexity({ schema, query: document, variables, operationName, estimators: [costEstimator] }) };
  } catch (error) {
    return { kind: 'FAILED', message: (error as Error).message };
  }
}

/**
 * Cost outcomes per (parsed document — Apollo caches parsed documents —, operation name, variables as JSON): a
 * bounded memo of a pure function of those inputs and the schema (one schema per document cache). Variables longer
 * than COST_MEMO_MAX_KEY characters as JSON are not remembered.
 */
const COSTS = new WeakMap<DocumentNode, Map<string, CostOutcome>>();
const COST_MEMO_PER_DOCUMENT = 256;
const COST_MEMO_MAX_KEY = 2_048;

function costOutcome(schema: GraphQLSchema, document: DocumentNode, operationName: string | undefined, variables: Record<string, unknown>): CostOutcome {
  let key: string;
  try {
    key = JSON.stringify([operationName ?? null, variables]);
  } catch {
    return computeCost(schema, document, operationName, variables);
  }
  if (key.length > COST_MEMO_MAX_KEY) return computeCost(schema, document, operationName, variables);
  let perDocument = COSTS.get(document);
  if (perDocument === undefined) {
    perDocument = new Map();
    COSTS.set(document, perDocument);
  }
  let outcome = perDocument.get(key);
  if (outcome === undefined) {
    outcome = computeCost(schema, document, operationName, variables);
    if (perDocument.size >= COST_MEMO_PER_DOCUMENT) perDocument.clear();
    perDocument.set(key, outcome);
  }
  return outcome;
}

/**
 * Refuses an operation whose cost exceeds `maxCost`, after validation and before execution; with `limiters`, charges
 * the cost to the caller's key (RATE_LIMIT_COST_POINTS per window) and refuses it with RATE_LIMITED (HTTP 429,
 * Retry-After) once the key's budget is spent.
 */
export function costLimitPlugin<C extends { principal?: Principal }>(maxCost: number, limiters?: RateLimiters): ApolloServerPlugin<C> {
  return {
    async requestDidStart() {
      return {
        async didResolveOperation({ request, document, schema, operationName, contextValue }) {
          const outcome = costOutcome(schema, document, operationName ?? undefined, request.variables ?? {});
          if (outcome.kind === 'SKIP') return;
          if (outcome.kind === 'FAILED') throw tooComplex(`query cost could not be computed: ${outcome.message}`);
          const cost = outcome.cost;
          if (cost > maxCost) throw tooComplex(`query cost ${cost} exceeds the maximum of ${maxCost}`, { cost, maxCost });
          const principal = contextValue.principal;
          if (limiters && principal && cost > 0) {
            try {
              await limiters.cost.consume(principal.apiKeyId, cost);
            } catch (rejection) {
              if (!(rejection instanceof RateLimiterRes)) throw rejection;
              const row = ERROR_TABLE.RATE_LIMITED;
              const seconds = Math.max(1, Math.ceil(rejection.msBeforeNext / 1000));
              throw new GraphQLError(
                `query cost budget of ${limiters.options.costPoints} per ${limiters.options.durationS}s exceeded for this API key (this query costs ${cost})`,
                { extensions: { code: row.extensionsCode, cost, http: { status: row.httpStatus, headers: new HeaderMap([['retry-after', String(seconds)]]) } } },
              );
            }
          }
        },
      };
    },
  };
}

/**
 * The shape and cost limits of one operation outside HTTP (a subscription over WebSocket, src/server/subscriptions.ts):
 * the refusal the HTTP path would answer (QUERY_TOO_COMPLEX), or null when the operation is within every limit.
 */
export function operationLimitError(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | undefined,
  variables: Record<string, unknown>,
  limits: { maxDepth: number; maxAliases: number; maxCost: number },
): GraphQLError | null {
  const shape = measureDocument(document);
  if (shape.depth > limits.maxDepth) return tooComplex(`query depth ${shape.depth} exceeds the maximum of ${limits.maxDepth}`);
  if (shape.aliases > limits.maxAliases) return tooComplex(`query uses ${shape.aliases} aliases; the maximum is ${limits.maxAliases}`);
  const outcome = costOutcome(schema, document, operationName, variables);
  if (outcome.kind === 'FAILED') return tooComplex(`query cost could not be computed: ${outcome.message}`);
  if (outcome.kind === 'COST' && outcome.cost > limits.maxCost) {
    return tooComplex(`query cost ${outcome.cost} exceeds the maximum of ${limits.maxCost}`, { cost: outcome.cost, maxCost: limits.maxCost });
  }
  return null;
}
