// Schema lint: graphql-eslint's `schema-recommended` and `schema-relay` configs over schema.graphql, run by
// `npm run lint:schema` (scripts/lint-schema.mjs) as part of `npm test`. Every rule turned off or relaxed, and every
// finding let through, is listed here with its reason; any other finding fails the lint.
import graphqlPlugin from '@graphql-eslint/eslint-plugin';

/**
 * Findings the lint lets through: `rule`, a fragment of its `message` and, where the message does not name it, `at`
 * (the name the finding points at), with the reason. scripts/lint-schema.mjs fails on any finding not matched here and
 * names each entry that no longer matches anything (remove it then).
 */
const LOG_ROWS = 'An immutable log row, paged in its log\'s order; it is not refetched by global id, so it is not a Node.';
export const allowedFindings = [
  {
    rule: '@graphql-eslint/no-typename-prefix',
    message: 'Field "price" starts with the name of the parent type "Price"',
    reason: 'Price.price is a published field; renaming it would break clients.',
  },
  {
    rule: '@graphql-eslint/relay-edge-types',
    message: "Edge type's field `node` must implement `Node` interface",
    at: 'AccountAtRiskEdge',
    reason: 'AccountAtRisk is a row of the precomputed evaluation table, not a refetchable object; its `account` is the node.',
  },
  ...['LedgerEntryEdge', 'AuditEventEdge', 'PriceObservationEdge', 'WebhookDeliveryEdge', 'RiskEventEdge'].map((at) => ({
    rule: '@graphql-eslint/relay-edge-types',
    message: "Edge type's field `node` must implement `Node` interface",
    at,
    reason: LOG_ROWS,
  })),
];

export default [
  {
    files: ['schema.graphql'],
    languageOptions: {
      parser: graphqlPlugin.parser,
      parserOptions: { graphQLConfig: { schema: 'schema.graphql' } },
    },
    plugins: { '@graphql-eslint': graphqlPlugin },
    rules: {
      ...graphqlPlugin.configs['flat/schema-recommended'].rules,
      ...graphqlPlugin.configs['flat/schema-relay'].rules,
      // Stricter than schema-recommended: every type, field, argument, input field and enum value is described.
      '@graphql-eslint/require-description': [
        'error',
        {
          types: true,
          rootField: true,
          DirectiveDefinition: true,
          FieldDefinition: true,
          InputValueDefinition: true,
          EnumValueDefinition: true,
        },
      ],
      // Off: one-line descriptions are "inline" strings and longer ones """block""" strings; the rule allows one style.
      '@graphql-eslint/description-style': 'off',
      // Off: most output types are computed figures (risk, scenarios, solver results, payloads) with no identity of
      // their own; the entities carry `id: ID!` (Account, Position, LedgerEntry, AuditEvent, ApiKey) or a unique
      // `symbol` (Market, Asset).
      '@graphql-eslint/strict-id-in-types': 'off',
      // Relaxed: plain lists of value objects (balances, tiers, scenarios) are not connections and need no edges.
      '@graphql-eslint/relay-edge-types': ['error', { listTypeCanWrapOnlyEdgeType: false }],
    },
  },
];
