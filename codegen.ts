import type { CodegenConfig } from '@graphql-codegen/cli';

// Resolver types are generated from the contract (schema.graphql); mappers point GraphQL types at the store's
// records, so resolvers are type-checked against what they really return. The typed client (client/generated/, the
// client preset) is generated from the same contract and the named operations in client/operations/.
const config: CodegenConfig = {
  schema: 'schema.graphql',
  generates: {
    'client/generated/': {
      preset: 'client',
      documents: ['client/operations/*.graphql'],
      presetConfig: { fragmentMasking: false },
      config: {
        useTypeImports: true,
        enumsAsTypes: true,
        // Decimals travel as strings (never JSON numbers); timestamps as ISO-8601 strings.
        scalars: { Decimal: 'string', DateTime: 'string' },
      },
    },
    'src/generated/graphql.ts': {
      plugins: ['typescript', 'typescript-resolvers'],
      config: {
        contextType: '../api/context#GraphQLContext',
        useTypeImports: true,
        enumsAsTypes: true,
        immutableTypes: true,
        scalars: { Decimal: 'import("decimal.js").Decimal', DateTime: 'Date' },
        mappers: {
          Account: '../store/records#AccountRecord',
          Balance: '../store/records#BalanceRecord',
          Position: '../store/records#PositionRecord',
          Market: '../store/records#MarketRecord',
          Asset: '../store/records#AssetRecord',
          MarginTier: '../store/records#MarginTierRecord',
          Price: '../store/records#PriceRecord',
          LedgerEntry: '../store/records#LedgerEntryRecord',
          PageInfo: '../api/connection#PageInfoSource',
          AuditEvent: '../store/audit.repository#AuditEventRecord',
          PriceObservation: '../store/price-history.repository#PriceObservationRecord',
          AccountRisk: '../risk/result#AccountRisk as EngineAccountRisk',
          RiskEvent: '../monitoring/risk-event.repository#RiskEventRecord',
          Webhook: '../store/webhook.repository#WebhookEndpointRecord',
          WebhookDelivery: '../store/webhook.repository#WebhookDeliveryRecord',
          PositionRisk: '../risk/result#PositionRisk as EnginePositionRisk',
          BalanceRisk: '../risk/result#BalanceRisk as EngineBalanceRisk',
          RiskBreakdown: '../risk/result#AccountBreakdown as EngineAccountBreakdown',
          UnderlyingLiquidation: '../risk/result#UnderlyingLiquidation as EngineUnderlyingLiquidation',
          PriceBoundary: '../risk/result#PriceBoundary as EnginePriceBoundary',
          OptionValuation: '../risk/result#OptionRisk as EngineOptionRisk',
          PortfolioScan: '../risk/result#PortfolioScanRisk as EnginePortfolioScanRisk',
          ValueAtRisk: '../risk/var/account-var#AccountVarResult as EngineAccountVarResult',
          AccountAtRisk: '../monitoring/account-risk.repository#AccountRiskRow',
          StressTestResult: '../risk/stress#StressResult as EngineStressResult',
          StressRound: '../risk/stress#StressRound as EngineStressRound',
          WhatIfResult: '../risk/what-if#WhatIfResult as EngineWhatIfResult',
          RiskDiff: '../risk/what-if#RiskDiff as EngineRiskDiff',
          LiquidationOutcome: '../risk/liquidation-outcome#LiquidationOutcome as EngineLiquidationOutcome',
          LiquidationStep: '../risk/liquidation-outcome#LiquidationStep as EngineLiquidationStep',
          SolverResult: '../risk/solvers#SolverResult as EngineSolverResult',
        },
      },
    },
  },
};
export default config;
