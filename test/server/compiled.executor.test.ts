/**
 * The compiled executor (graphql-jit behind Apollo's gateway interface) answers exactly what graphql-js answers:
 * data, error messages, paths, locations and extensions, for good and bad variables, resolver errors and nested
 * nulls; documents it cannot compile faithfully are recognized and executed by graphql-js.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { execute, parse, getOperationAST, GraphQLError, type ExecutionResult } from 'graphql';
import Decimal from 'decimal.js';
import { DecimalScalar } from '../../src/api/scalars/decimal.scalar';
import { DomainError } from '../../src/api/errors';
import { assertCompilableDefaults, compiledExecutor, hasCustomScalarLiteral } from '../../src/server/compiled.executor';
import { loadTypeDefs } from '../../src/server/graphql';
import { buildSchema } from 'graphql';

const typeDefs = `
  scalar Decimal
  input MoveInput { amount: Decimal!, note: String, steps: [Decimal!] }
  type Figures { equity: Decimal!, ratio: Decimal, parts: [Decimal!]! }
  type Account { id: ID!, figures: Figures, strict: Figures! }
  type Query {
    account(id: ID!): Account
    sum(input: MoveInput!): Decimal!
    echo(value: Decimal): Decimal
  }
`;

const resolvers = {
  Decimal: DecimalScalar,
  Query: {
    account: (_: unknown, { id }: { id: string }) => (id === 'missing' ? null : { id }),
    sum: (_: unknown, { input }: { input: { amount: Decimal; steps?: Decimal[] | null } }) => {
      if (!(input.amount instanceof Decimal)) throw new Error('amount was not parsed');
      return (input.steps ?? []).reduce((a, b) => a.add(b), input.amount);
    },
    echo: (_: unknown, { value }: { value: Decimal | null }) => (value === null ? null : value.mul(2)),
  },
  Account: {
    figures: ({ id }: { id: string }) => {
      if (id === 'stale') throw new DomainError('STALE_PRICE', 'mark price of BTC-PERP is stale', { market: 'BTC-PERP' });
      return { equity: new Decimal('1234.5'), ratio: id === 'flat' ? null : new Decimal('0.25'), parts: [new Decimal(1), new Decimal('2.5')] };
    },
    strict: ({ id }: { id: string }) => {
      if (id === 'stale') throw new Error('boom');
      return { equity: new Decimal(1), ratio: null, parts: [] };
    },
  },
};

const schema = makeExecutableSchema({ typeDefs, resolvers });
const run = compiledExecutor(schema);

/** The parts of a result a client sees (errors as graphql-js serializes them, plus the original error's class). */
function visible(result: ExecutionResult): unknown {
  return {
    data: result.data,
    errors: result.errors?.map((e) => ({ ...e.toJSON(), original: e.originalError?.constructor.name ?? null, isGraphQLError: e instanceof GraphQLError })),
  };
}

async function both(query: string, variables: Record<string, unknown> = {}): Promise<{ compiled: unknown; reference: unknown }> {
  const document = parse(query);
  const operation = getOperationAST(document)!;
  const requestContext = { document, operation, operationName: operation.name?.value ?? null, request: { query, variables }, context: {} };
  const compiled = await run(requestContext as unknown as GatewayGraphQLRequestContext);
  const reference = await execute({ schema, document, variableValues: variables, contextValue: {} });
  return { compiled: visible(compiled), reference: visible(reference) };
}

describe('compiled executor', () => {
  it.each([
    ['nested figures', `query($id: ID!) { account(id: $id) { id figures { equity ratio parts } } }`, { id: 'a' }],
    ['a null field and a missing account', `query { a: account(id: "flat") { figures { ratio } } b: account(id: "missing") { id } }`, {}],
    ['a domain error on a nullable field', `query { account(id: "stale") { id figures { equity } } }`, {}],
    ['an error on a non-null field nulls its parent', `query { account(id: "stale") { id strict { equity } } }`, {}],
    ['Decimal variables, nested in an input', `query($input: MoveInput!) { sum(input: $input) }`, { input: { amount: '1.5', steps: ['2', '0.25'] } }],
    ['a malformed Decimal variable', `query($input: MoveInput!) { sum(input: $input) }`, { input: { amount: 'abc' } }],
    ['a missing required variable', `query($input: MoveInput!) { sum(input: $input) }`, {}],
    ['a Decimal variable given as a number', `query($v: Decimal) { echo(value: $v) }`, { v: 1.5 }],
    ['a null Decimal variable', `query($v: Decimal) { echo(value: $v) }`, { v: null }],
    ['Decimal literals (executed by graphql-js)', `query { sum(input: { amount: "1", steps: ["2"] }) echo(value: "3.5") }`, {}],
  ])('%s: the same answer as graphql-js', async (_label, query, variables) => {
    const { compiled, reference } = await both(query, variables);
    expect(compiled).toEqual(reference);
  });

  it('recognizes custom-scalar literals, and only those', () => {
    expect(hasCustomScalarLiteral(schema, parse(`{ echo(value: "1") }`))).toBe(true);
    expect(hasCustomScalarLiteral(schema, parse(`{ sum(input: { amount: "1" }) }`))).toBe(true);
    expect(hasCustomScalarLiteral(schema, parse(`{ sum(input: { amount: $a, steps: ["1"] }) }`))).toBe(true);
    expect(hasCustomScalarLiteral(schema, parse(`query($a: Decimal!) { sum(input: { amount: $a, note: "x" }) account(id: "1") { id } }`))).toBe(false);
    expect(hasCustomScalarLiteral(schema, parse(`{ account(id: "1") { figures @include(if: true) { equity } } }`))).toBe(false);
  });

  it('refuses a schema with a custom-scalar default, and accepts schema.graphql', () => {
    const withDefault = buildSchema(`scalar Decimal\ninput I { fee: Decimal = "0" }\ntype Query { f(i: I, x: Int = 1): Int }`);
    expect(() => assertCompilableDefaults(withDefault)).toThrow(/I\.fee: Decimal/);
    const argDefault = buildSchema(`scalar Decimal\ntype Query { f(x: Decimal = "1"): Int }`);
    expect(() => assertCompilableDefaults(argDefault)).toThrow(/Query\.f\.x: Decimal/);
    expect(() => assertCompilableDefaults(buildSchema(loadTypeDefs()))).not.toThrow();
  });
});
