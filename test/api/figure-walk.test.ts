/**
 * Every number the risk reads report, walked from the schema (README, Precision; src/api/figure-precision.ts): for
 * accounts of the seeded venue (linear, inverse, options, isolated, PORTFOLIO), `Account.risk`, `whatIf` (trades,
 * price moves, a liquidation outcome), the solvers and the per-underlying liquidation prices are queried with EVERY
 * Decimal field their types reach, and each value is checked against the precision of its field's kind. A Decimal
 * field the policy table does not classify fails the test, so a new figure cannot be added without a precision.
 */
import BaseDecimal from 'decimal.js';
import fs from 'node:fs';
import path from 'node:path';
import {
  buildSchema,
  getNamedType,
  isEnumType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLOutputType,
} from 'graphql';
import { sweepAccountRisk } from '../../src/monitoring/sweep';
import { FIGURE_PRECISION, type FigureKind } from '../../src/api/figure-precision';
import { RATIO_SIGNIFICANT_DIGITS } from '../../src/risk/precision';
import { startApi, type ApiHarness } from '../helpers/api-server';

const Decimal = BaseDecimal.clone({ precision: 100 });
const NOW = Date.now();
const schema = buildSchema(fs.readFileSync(path.join(__dirname, '../../schema.graphql'), 'utf8'));
/** Stored NUMERIC columns keep 30 decimals (DECIMAL(65,30)); configured values cannot carry more. */
const STORED_PLACES = 30;

let api: ApiHarness;
const decimalsOf = new Map<string, number>();
const tickOf = new Map<string, BaseDecimal>();
const settlementOf = new Map<string, string>();
const optionMarkets = new Set<string>();
/** The grid of index levels (an option position's liquidation price is its underlying's index level). */
const INDEX_GRID = new Decimal('1e-8');
let valuationDecimals = 0;

/** A selection of every field of `type` that takes no required argument, to `depth` object levels. */
function selection(type: GraphQLNamedType, depth: number): string {
  if (isScalarType(type) || isEnumType(type)) return '';
  if (isUnionType(type)) return `{ __typename ${type.getTypes().map((t) => `... on ${t.name} ${selection(t, depth)}`).join(' ')} }`;
  if (!isObjectType(type) && !isInterfaceType(type)) return '';
  const parts: string[] = ['__typename'];
  for (const field of Object.values(type.getFields()) as GraphQLField<unknown, unknown>[]) {
    if (field.args.some((a) => isNonNullType(a.type) && a.defaultValue === undefined)) continue;
    const named = getNamedType(field.type);
    if (isScalarType(named) || isEnumType(named)) parts.push(field.name);
    else if (depth > 0) parts.push(`${field.name} ${selection(named, depth - 1)}`);
  }
  return `{ ${parts.join(' ')} }`;
}

interface Context {
  readonly market?: string;
  readonly settlementDecimals?: number;
}

const places = (s: string) => (s.includes('.') ? s.length - s.indexOf('.') - 1 : 0);
const seen = new Map<string, number>();
const problems = new Map<string, string>();
const unclassified = new Set<string>();

function checkValue(coordinate: string, kind: FigureKind, raw: string, ctx: Context): void {
  const value = new Decimal(raw);
  const fail = (why: string): void => {
    if (!problems.has(coordinate)) problems.set(coordinate, `${coordinate} = ${raw}: ${why}`);
  };
  switch (kind) {
    case 'AS_STORED':
    case 'DIFFERENCE':
    case 'GRID':
      if (places(raw) > STORED_PLACES) fail(`more than ${STORED_PLACES} places`);
      return;
    case 'ON_TICK': {
      // Option positions' boundaries are index levels of the underlying (the 1e-8 index grid); their steps' prices are premiums.
      const optionBoundary = ctx.market !== undefined && optionMarkets.has(ctx.market) && !coordinate.startsWith('LiquidationStep.');
      const tick = optionBoundary ? INDEX_GRID : ctx.market ? tickOf.get(ctx.market) : undefined;
      if (tick && !value.mod(tick).isZero()) fail(`not on ${ctx.market}'s tick ${tick}`);
      if (places(raw) > STORED_PLACES) fail(`more than ${STORED_PLACES} places`);
      return;
    }
    case 'SETTLEMENT_DOWN':
    case 'SETTLEMENT_UP': {
      const decimals = ctx.settlementDecimals ?? (ctx.market ? decimalsOf.get(settlementOf.get(ctx.market)!) : undefined);
      if (decimals === undefined) return fail('no settlement asset in context');
      if (places(raw) > decimals) fail(`more than the settlement asset's ${decimals} places`);
      return;
    }
    case 'VALUATION_DOWN':
    case 'VALUATION_UP':
      if (places(raw) > valuationDecimals) fail(`more than the valuation asset's ${valuationDecimals} places`);
      return;
    case 'SIGNIFICANT':
      if (!value.isZero() && value.sd() > RATIO_SIGNIFICANT_DIGITS) fail(`more than ${RATIO_SIGNIFICANT_DIGITS} significant digits`);
      return;
  }
}

/** Walks a response value along its schema type, checking every Decimal leaf. */
function walk(value: unknown, type: GraphQLOutputType, ctx: Context): void {
  if (value === null || value === undefined) return;
  if (isNonNullType(type)) return walk(value, type.ofType, ctx);
  if (isListType(type)) {
    for (const item of value as unknown[]) walk(item, type.ofType, ctx);
    return;
  }
  let named = type as GraphQLNamedType;
  if (isUnionType(named) || isInterfaceType(named)) named = schema.getType((value as { __typename: string }).__typename)!;
  if (!isObjectType(named)) return;
  const object = value as Record<string, unknown>;
  const inner: Context = {
    market: typeof object.market === 'string' ? object.market : ctx.market,
    settlementDecimals: typeof object.settlementDecimals === 'number' ? object.settlementDecimals : ctx.settlementDecimals,
  };
  const fields = (named as GraphQLObjectType).getFields();
  for (const [name, v] of Object.entries(object)) {
    const field = fields[name];
    if (!field) continue;
    const leaf = getNamedType(field.type);
    if (leaf.name === 'Decimal') {
      const coordinate = `${named.name}.${name}`;
      const kind = (FIGURE_PRECISION as Readonly<Record<string, Readonly<Record<string, FigureKind>>>>)[named.name]?.[name];
      if (!kind) {
        unclassified.add(coordinate);
        continue;
      }
      if (v === null) continue;
      seen.set(coordinate, (seen.get(coordinate) ?? 0) + 1);
      checkValue(coordinate, kind, v as string, inner);
    } else walk(v, field.type, inner);
  }
}

const ACCOUNT_RISK = selection(schema.getType('AccountRisk')!, 4);
const WHAT_IF = selection(schema.getType('WhatIfResult')!, 5);
const SOLVER = selection(schema.getType('SolverResult')!, 4);
const LIQUIDATION = selection(schema.getType('UnderlyingLiquidation')!, 3);
const OUTCOME = selection(schema.getType('LiquidationOutcome')!, 4);

beforeAll(async () => {
  api = await startApi({
    kind: 'SEEDED',
    now: () => NOW,
    config: { rateLimitPoints: 100_000, rateLimitCostPoints: 100_000_000, queryMaxCost: 10_000_000, queryMaxDepth: 20 },
  });
  await sweepAccountRisk(api.database.db, { nowMs: NOW });
  const q = api.database.db.pool;
  for (const r of (await q.query<{ symbol: string; decimals: number }>(`SELECT symbol, decimals FROM asset`)).rows) decimalsOf.set(r.symbol, r.decimals);
  for (const r of (await q.query<{ symbol: string; tick_size: string; settlement_asset: string }>(`SELECT symbol, tick_size, settlement_asset, kind FROM market`)).rows as { symbol: string; tick_size: string; settlement_asset: string; kind: string }[]) {
    if (r.kind === 'OPTION') optionMarkets.add(r.symbol);
    tickOf.set(r.symbol, new Decimal(r.tick_size));
    settlementOf.set(r.symbol, r.settlement_asset);
  }
  valuationDecimals = decimalsOf.get('USDC')!;
}, 240_000);
afterAll(async () => {
  await api?.stop();
});

/** Accounts covering every kind of book the seeded venue has. */
async function sampleAccounts(): Promise<{ id: string; market: string }[]> {
  const { rows } = await api.database.db.pool.query<{ id: string; market: string }>(
    `SELECT DISTINCT ON (kind) id, market FROM (
       SELECT a.id, p.market_symbol AS market,
              concat_ws('/', a.margin_mode, p.margin_type, m.kind, m.contract_type) AS kind
       FROM account a JOIN position p ON p.account_id = a.id AND p.size <> 0 JOIN market m ON m.symbol = p.market_symbol
       WHERE m.status = 'ACTIVE') k
     ORDER BY kind, id`,
  );
  return rows;
}

describe('every reported figure has the precision of its kind', () => {
  it('walks Account.risk, whatIf, the solvers and liquidation prices on every kind of book', async () => {
    const accounts = await sampleAccounts();
    expect(accounts.length).toBeGreaterThanOrEqual(5);
    const queryType = schema.getQueryType()!;
    for (const { id, market } of accounts) {
      const res: any = await api.gqlAs(
        'admin',
        `query($id: ID!, $market: String!, $scenarios: [ScenarioInput!]!) {
          account(id: $id) {
            risk ${ACCOUNT_RISK}
            liquidationPrices ${LIQUIDATION}
            maxTradeSize(market: $market, side: LONG) ${SOLVER}
            maxWithdrawable(asset: "USDC") ${SOLVER}
            minReductionToExitLiquidation ${SOLVER}
            liquidationOutcome ${OUTCOME}
          }
          whatIf(accountId: $id, scenarios: $scenarios) ${WHAT_IF}
        }`,
        {
          id,
          market,
          scenarios: [
            { label: 'same' },
            { label: 'trade', trades: [{ market, size: '-1' }] },
            { label: 'crash', priceMoves: [{ underlying: 'BTC', relative: '-0.33333' }, { underlying: 'ETH', relative: '-0.417' }] },
            { label: 'rally', priceMoves: [{ underlying: 'BTC', relative: '0.2777' }], timeAdvanceSeconds: 86_413 },
          ],
        },
      );
      const fatal = (res.errors ?? []).filter((e: any) => !['STALE_PRICE', 'MISSING_PRICE', 'BAD_USER_INPUT', 'UNSUPPORTED'].includes(e.extensions?.code));
      expect(fatal).toEqual([]);
      if (res.data?.account) walk(res.data.account, queryType.getFields().account!.type, {});
      if (res.data?.whatIf) walk(res.data.whatIf, queryType.getFields().whatIf!.type, {});
      // One figure, one string: the empty scenario's before and after are Account.risk, every nested figure included.
      if (res.data?.account?.risk && res.data?.whatIf) {
        const same = res.data.whatIf.find((w: any) => w.label === 'same');
        const { asOf: _a, ...risk } = res.data.account.risk;
        const { asOf: _b, ...before } = same.before;
        const { asOf: _c, ...after } = same.after;
        expect(before).toEqual(risk);
        expect(after).toEqual(risk);
      }
    }
    expect([...unclassified].sort()).toEqual([]);
    expect([...problems.values()].sort()).toEqual([]);
    // The walk reached the figures that matter (not a vacuous pass).
    for (const c of ['PositionRisk.notional', 'PositionRisk.unrealizedPnl', 'OptionValuation.modelPrice', 'BalanceRisk.value', 'LiquidationStep.fee', 'PositionDiff.notionalChange', 'PortfolioScenario.pnl', 'OptionMarginBreakdown.initialPerUnit', 'LiquidationStep.bankruptcyPrice', 'SolverVerification.valueAtAnswer']) {
      expect({ c, seen: (seen.get(c) ?? 0) > 0 }).toEqual({ c, seen: true });
    }
  }, 240_000);
});
