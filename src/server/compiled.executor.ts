/**
 * Operations are executed by graphql-jit: each parsed document (Apollo keeps parsed, validated documents in its LRU
 * document store, so a repeated query arrives as the same DocumentNode) is compiled once per operation name into a
 * plain JavaScript function, instead of graphql-js interpreting the document field by field on every request. A
 * full risk response has ~150 leaf fields; interpreting them is a large share of a risk request's CPU.
 *
 * Apollo Server 5 has no executor option; its gateway interface is the supported way to hand execution to another
 * executor (Apollo still parses, validates, runs every plugin hook and formats errors). The schema is the same
 * executable schema Apollo would build from schema.graphql and the resolvers.
 *
 * Variables are coerced by graphql-js first: a request with invalid variables gets graphql-js's own errors (Apollo
 * recognizes exactly those as BAD_USER_INPUT with HTTP 400), and only valid variables reach the compiled query.
 */
import type { GatewayExecutor, GatewayInterface } from '@apollo/server-gateway-interface';
import {
  GraphQLError,
  Kind,
  TypeInfo,
  execute,
  getNamedType,
  getVariableValues,
  isInputObjectType,
  isObjectType,
  isScalarType,
  isSpecifiedScalarType,
  printSchema,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLArgument,
  type GraphQLInputField,
  type GraphQLSchema,
  visit,
  visitWithTypeInfo,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import { SpanStatusCode, trace } from '@opentelemetry/api';

/** graphql-js execute's bound on variable coercion errors per request. */
const MAX_VARIABLE_ERRORS = 50;

/** A compiled operation, graphql-jit's compile errors, or INTERPRET: executed by graphql-js (see below). */
type Compiled = CompiledQuery | ExecutionResult | 'INTERPRET';

const SCALAR_LITERAL_KINDS: ReadonlySet<string> = new Set([Kind.STRING, Kind.INT, Kind.FLOAT, Kind.BOOLEAN, Kind.ENUM, Kind.LIST, Kind.OBJECT]);

/**
 * Whether the document writes a custom-scalar value inline (`amount: "1"` rather than `amount: $amount`). graphql-jit
 * parses such a literal once, at compile time, and embeds its JSON form in the compiled code, so a resolver would get
 * the string "1" instead of the scalar's parsed value (a Decimal). Those documents are executed by graphql-js.
 */
export function hasCustomScalarLiteral(schema: GraphQLSchema, document: DocumentNode): boolean {
  const typeInfo = new TypeInfo(schema);
  let found = false;
  const check = (kind: string): void => {
    if (found || !SCALAR_LITERAL_KINDS.has(kind)) return;
    const type = typeInfo.getInputType();
    const named = type ? getNamedType(type) : undefined;
    if (named !== undefined && isScalarType(named) && !isSpecifiedScalarType(named)) found = true;
  };
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      enter(node) {
        check(node.kind);
      },
    }),
  );
  return found;
}

/** Compiled operations per parsed document (weak: a document Apollo evicts from its store frees its compilations). */
const COMPILED = new WeakMap<DocumentNode, Map<string, Compiled>>();

function compiledOperation(schema: GraphQLSchema, document: DocumentNode, operationName: string | null): Compiled {
  let byName = COMPILED.get(document);
  if (byName === undefined) {
    byName = new Map();
    COMPILED.set(document, byName);
  }
  const key = operationName ?? '';
  let compiled = byName.get(key);
  if (compiled === undefined) {
    compiled = hasCustomScalarLiteral(schema, document) ? 'INTERPRET' : compileQuery(schema, document, operationName ?? undefined);
    byName.set(key, compiled);
  }
  return compiled;
}

/**
 * graphql-jit reports field errors with its own error class (a GraphQLError subclass without the `extensions` object
 * graphql-js always sets, which Apollo's error formatting reads): each becomes a graphql-js GraphQLError with the
 * same message, path, locations and original error, exactly as graphql-js would have located it.
 */
function asGraphQLJsError(error: GraphQLError): GraphQLError {
  const original = error.originalError ?? undefined;
  const located = new GraphQLError(error.message, { path: error.path, originalError: original, extensions: error.extensions ?? undefined });
  if (error.locations !== undefined) (located as { locations?: GraphQLError['locations'] }).locations = error.locations;
  return located;
}

/** The schema defines no subscriptions: a `subscription` operation is a client error (HTTP 400, BAD_REQUEST). */
function unsupportedSubscription(): GraphQLError {
  return new GraphQLError('subscription operations are not supported by this API', { extensions: { code: 'BAD_REQUEST', http: { status: 400 } } });
}

/**
 * Executes a parsed, validated operation with its compiled form, in a `graphql.execute` span (a no-op while tracing
 * is off, src/server/tracing.ts): graphql-jit's execution is invisible to the graphql instrumentation, and the
 * resolvers' database spans become this span's children.
 */
export function compiledExecutor(schema: GraphQLSchema): GatewayExecutor {
  const tracer = trace.getTracer('margin-risk-api');
  const run = executeCompiled(schema);
  return (requestContext) =>
    tracer.startActiveSpan(
      'graphql.execute',
      {
        attributes: {
          'graphql.operation.type': requestContext.operation?.operation ?? 'unresolved',
          ...(requestContext.operationName ? { 'graphql.operation.name': requestContext.operationName } : {}),
        },
      },
      async (span) => {
        try {
          const result = await run(requestContext);
          if (result.errors?.length) {
            span.setAttribute('graphql.error_count', result.errors.length);
            span.setStatus({ code: SpanStatusCode.ERROR, message: result.errors[0]?.message });
          }
          return result;
        } catch (error) {
          span.recordException(error instanceof Error ? error : String(error));
          span.setStatus({ code: SpanStatusCode.ERROR });
          throw error;
        } finally {
          span.end();
        }
      },
    );
}

function executeCompiled(schema: GraphQLSchema): GatewayExecutor {
  return async (requestContext) => {
    const { document, operation, operationName, request, context } = requestContext;
    const variables = request.variables ?? {};
    // No operation to run (several operations and no operationName, or a name the document does not define):
    // graphql-js's own resolution error, which Apollo answers as OPERATION_RESOLUTION_FAILURE (HTTP 400).
    // (With the name the client sent: the context's operationName is that of the resolved operation, null here.)
    if (operation === undefined || operation === null) {
      return execute({ schema, document, contextValue: context, variableValues: variables, operationName: request.operationName ?? operationName });
    }
    if (operation.operation === 'subscription') return { errors: [unsupportedSubscription()] };
    const compiled = compiledOperation(schema, document, operationName);
    if (compiled === 'INTERPRET') return execute({ schema, document, contextValue: context, variableValues: variables, operationName });
    const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables, { maxErrors: MAX_VARIABLE_ERRORS });
    if (coerced.errors) return { errors: coerced.errors };
    if (!isCompiledQuery(compiled)) return compiled;
    const result = (await compiled.query(undefined, context, variables)) as ExecutionResult;
    return result.errors === undefined ? result : { ...result, errors: result.errors.map(asGraphQLJsError) };
  };
}

/**
 * graphql-jit hands a default value to resolvers as its JSON form, not through the scalar's parser: a default on a
 * custom scalar (a Decimal "0" default would reach a resolver as the string "0") is refused when the server starts.
 * Defaults of the built-in scalars and enums are the same in both forms and allowed.
 */
export function assertCompilableDefaults(schema: GraphQLSchema): void {
  const offending: string[] = [];
  const check = (owner: string, slot: GraphQLArgument | GraphQLInputField): void => {
    const type = getNamedType(slot.type);
    if (slot.defaultValue !== undefined && isScalarType(type) && !isSpecifiedScalarType(type)) offending.push(`${owner}.${slot.name}: ${type.name}`);
  };
  for (const type of Object.values(schema.getTypeMap())) {
    if (type.name.startsWith('__')) continue;
    if (isInputObjectType(type)) for (const field of Object.values(type.getFields())) check(type.name, field);
    if (isObjectType(type)) for (const field of Object.values(type.getFields())) for (const arg of field.args) check(`${type.name}.${field.name}`, arg);
  }
  if (offending.length > 0) {
    throw new Error(`schema.graphql: custom-scalar defaults cannot be compiled (give the default in the resolver): ${offending.join(', ')}`);
  }
}

/** A fixed schema served through Apollo's gateway interface, executed by `compiledExecutor`. */
export function compiledExecutionGateway(schema: GraphQLSchema): GatewayInterface {
  assertCompilableDefaults(schema);
  return {
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: printSchema(schema) });
      return () => undefined;
    },
    async load() {
      return { executor: compiledExecutor(schema) };
    },
    async stop() {},
  };
}
