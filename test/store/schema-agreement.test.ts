/**
 * schema.prisma and the hand-written migrations must agree: every model's table and every scalar field's column
 * exist with a compatible type and nullability, every enum has the same values, and every model round-trips through
 * Prisma Client (create, then read back equal).
 */
import Decimal from 'decimal.js';
import { Prisma } from '../../src/generated/prisma/client';
import { readPrismaSchema } from '../helpers/prisma-schema';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

const PG_TYPE_OF: Record<string, string[]> = {
  String: ['text', 'uuid', 'character varying'],
  Int: ['integer'],
  BigInt: ['bigint'],
  Decimal: ['numeric'],
  DateTime: ['timestamp with time zone', 'timestamp without time zone'],
  Json: ['jsonb', 'json'],
  Boolean: ['boolean'],
};

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase('MIGRATED');
});
afterAll(async () => {
  await t.drop();
});

describe('schema.prisma vs migrated database', () => {
  const schema = readPrismaSchema();

  it('reads a non-trivial schema', () => {
    expect(schema.models.length).toBeGreaterThanOrEqual(16);
  });

  it('has every table and column with a compatible type and nullability', async () => {
    const { rows } = await t.db.pool.query<{ table_name: string; column_name: string; data_type: string; udt_name: string; is_nullable: string }>(
      `SELECT table_name, column_name, data_type, udt_name, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    const columns = new Map(rows.map((r) => [`${r.table_name}.${r.column_name}`, r]));
    const problems: string[] = [];
    for (const model of schema.models) {
      for (const field of model.fields) {
        const column = columns.get(`${model.table}.${field.column}`);
        if (!column) {
          problems.push(`${model.name}.${field.name}: no column ${model.table}.${field.column}`);
          continue;
        }
        const isEnum = schema.enums.has(field.type);
        const typeOk = isEnum ? column.data_type === 'USER-DEFINED' && column.udt_name === field.type : PG_TYPE_OF[field.type]?.includes(column.data_type);
        if (!typeOk) problems.push(`${model.name}.${field.name}: ${field.type} vs ${column.data_type}/${column.udt_name}`);
        if ((column.is_nullable === 'YES') !== field.optional) problems.push(`${model.name}.${field.name}: nullability differs`);
      }
      const tableColumns = rows.filter((r) => r.table_name === model.table).map((r) => r.column_name);
      const extra = tableColumns.filter((c) => !model.fields.some((f) => f.column === c));
      if (extra.length) problems.push(`${model.table}: columns not in schema.prisma: ${extra.join(', ')}`);
    }
    expect(problems).toEqual([]);
  });

  it('has every enum with the same values', async () => {
    const { rows } = await t.db.pool.query<{ typname: string; labels: string[] }>(
      `SELECT t.typname, array_agg(e.enumlabel::text ORDER BY e.enumsortorder)::text[] AS labels
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid GROUP BY t.typname`,
    );
    const dbEnums = new Map(rows.map((r) => [r.typname, r.labels]));
    for (const [name, values] of schema.enums) expect({ name, values: dbEnums.get(name) }).toEqual({ name, values });
  });

  it('round-trips every model through Prisma Client', async () => {
    const p = t.db.prisma;
    const dec = (v: string) => new Prisma.Decimal(v);
    const at = new Date('2026-01-02T03:04:05.678Z');
    const broker = await p.broker.create({ data: { name: 'rt-broker' } });
    const key = await p.apiKey.create({ data: { brokerId: broker.id, role: 'BROKER', prefix: 'rk_test', hash: 'h'.repeat(64), label: 'k' } });
    await p.asset.create({ data: { symbol: 'QQ', decimals: 6, initialWeight: dec('1'), maintenanceWeight: dec('1'), initialLiabilityWeight: dec('1'), maintenanceLiabilityWeight: dec('1') } });
    const base = await p.asset.create({ data: { symbol: 'BB', decimals: 8, initialWeight: dec('0.9'), maintenanceWeight: dec('0.95'), initialLiabilityWeight: dec('1.1'), maintenanceLiabilityWeight: dec('1.05') } });
    const market = await p.market.create({
      data: {
        symbol: 'BB-OPT', kind: 'OPTION', contractType: 'LINEAR', baseAsset: 'BB', quoteAsset: 'QQ', settlementAsset: 'QQ',
        contractSize: dec('1'), tickSize: dec('0.01'), expiry: at, strike: dec('100'), optionType: 'PUT',
        liquidationFeeRate: dec('0.01'), insuranceFundFeeRate: dec('0.002'), oiLowerCap: dec('1'), oiUpperCap: dec('2'),
        volAdjZScore: dec('2.33'), volAdjHorizonDays: dec('1'), volAdjLookbackDays: 30, liquidityLambda: dec('0.1'),
        bookDepth: dec('1000000'), impliedVolatility: dec('0.5'), optionAlpha: dec('0.15'), optionBeta: dec('0.1'), optionGamma: dec('0.075'),
      },
    });
    const tier = await p.marginTier.create({ data: { marketSymbol: 'BB-OPT', tierIndex: 0, notionalFloor: dec('0'), initialMarginRate: dec('0.1'), maintenanceMarginRate: dec('0.05'), maintenanceAmount: dec('0') } });
    const mark = await p.markPrice.create({ data: { marketSymbol: 'BB-OPT', price: dec('12.345678901234567890123'), source: 't', observedAt: at } });
    const index = await p.indexPrice.create({ data: { assetSymbol: 'BB', price: dec('100.5'), source: 't', observedAt: at } });
    const hist = await p.priceHistory.create({ data: { assetSymbol: 'BB', price: dec('99'), source: 't', observedAt: at } });
    const rate = await p.interestRate.create({ data: { assetSymbol: 'BB', rate: dec('-0.012345678901234567890123456789'), observedAt: at } });
    const pm = await p.portfolioMarginParams.create({ data: { assetSymbol: 'BB', priceScanRange: dec('0.15'), volScanRange: dec('0.25'), extremeMoveMultiple: dec('3'), extremeMoveCoverage: dec('0.33'), shortOptionMinimum: dec('0.01'), maintenanceFraction: dec('0.8') } });
    const account = await p.account.create({ data: { brokerId: broker.id, externalRef: 'rt-1', marginMode: 'PORTFOLIO' } });
    const balance = await p.balance.create({ data: { accountId: account.id, assetSymbol: 'QQ', amount: dec('-123.000000000000000000000000000001') } });
    const position = await p.position.create({ data: { accountId: account.id, marketSymbol: 'BB-OPT', size: dec('-2.5'), entryPrice: dec('10'), marginType: 'ISOLATED', isolatedMargin: dec('5'), leverage: dec('10') } });
    const fund = await p.insuranceFund.create({ data: { assetSymbol: 'QQ', balance: dec('1000') } });
    const fundEntry = await p.insuranceFundEntry.create({ data: { assetSymbol: 'QQ', amount: dec('1000'), balanceAfter: dec('1000'), reason: 'seed' } });
    const paramVersion = await p.riskParameterVersion.create({ data: { action: 'upsertMarket', requestId: 'req-0', apiKeyId: key.id, parameters: { markets: [], tiers: [] } } });
    const ledger = await p.ledgerEntry.create({ data: { accountId: account.id, assetSymbol: 'QQ', kind: 'DEPOSIT', amount: dec('5'), reference: 'r' } });
    const idem = await p.idempotencyRecord.create({ data: { scope: broker.id, key: 'k1', operation: 'deposit', requestHash: 'x', response: { ok: true, n: [1, 2] } } });
    const risk = await p.accountRisk.create({ data: { accountId: account.id, status: 'LIQUIDATABLE', marginRatio: dec('1.000000000000000000000000000001'), ratioKey: dec('1.000000000000000000000000000001'), equity: dec('-5'), initialMarginEquity: dec('1'), marginEquity: dec('2'), initialMargin: dec('3'), maintenanceMargin: dec('4'), freeCollateral: dec('-2'), totalNotional: dec('100'), pricesAsOf: at, evaluatedAt: at, errorCode: null } });
    const riskEvent = await p.riskEvent.create({ data: { accountId: account.id, brokerId: broker.id, kind: 'STATUS_CHANGE', fromStatus: 'HEALTHY', toStatus: 'LIQUIDATABLE', marginRatio: dec('1.5'), ratioKey: dec('1.5'), accountVersion: 3, marketDataVersion: 7n, parameterVersion: null } });
    const webhook = await p.webhookEndpoint.create({ data: { brokerId: broker.id, url: 'https://hooks.example.com/margin', secret: 's'.repeat(64), description: 'rt', eventKinds: ['STATUS_CHANGE'] } });
    const delivery = await p.webhookDelivery.create({ data: { endpointId: webhook.id, eventId: riskEvent.id, attempts: 2, lastStatusCode: 500, lastError: 'HTTP 500', lastAttemptAt: at } });
    const audit = await p.auditEvent.create({ data: { apiKeyId: key.id, brokerId: broker.id, role: 'BROKER', action: 'deposit', accountId: account.id, requestId: 'req-1', before: { a: 1 }, after: { a: 2 } } });

    expect(await p.broker.findUniqueOrThrow({ where: { id: broker.id } })).toEqual(broker);
    expect(await p.apiKey.findUniqueOrThrow({ where: { id: key.id } })).toEqual(key);
    expect(await p.asset.findUniqueOrThrow({ where: { symbol: 'BB' } })).toEqual(base);
    expect(await p.market.findUniqueOrThrow({ where: { symbol: 'BB-OPT' } })).toEqual(market);
    expect(await p.marginTier.findUniqueOrThrow({ where: { id: tier.id } })).toEqual(tier);
    expect(await p.markPrice.findUniqueOrThrow({ where: { marketSymbol: 'BB-OPT' } })).toEqual(mark);
    expect(await p.indexPrice.findUniqueOrThrow({ where: { assetSymbol: 'BB' } })).toEqual(index);
    expect(await p.priceHistory.findUniqueOrThrow({ where: { id: hist.id } })).toEqual(hist);
    expect(await p.portfolioMarginParams.findUniqueOrThrow({ where: { assetSymbol: 'BB' } })).toEqual(pm);
    expect(await p.interestRate.findUniqueOrThrow({ where: { assetSymbol: 'BB' } })).toEqual(rate);
    expect(rate.rate.toString()).toBe('-0.012345678901234567890123456789');
    expect(await p.account.findUniqueOrThrow({ where: { id: account.id } })).toEqual(account);
    expect(await p.balance.findUniqueOrThrow({ where: { accountId_assetSymbol: { accountId: account.id, assetSymbol: 'QQ' } } })).toEqual(balance);
    expect(await p.position.findUniqueOrThrow({ where: { id: position.id } })).toEqual(position);
    expect(await p.insuranceFund.findUniqueOrThrow({ where: { assetSymbol: 'QQ' } })).toEqual(fund);
    expect(await p.insuranceFundEntry.findUniqueOrThrow({ where: { id: fundEntry.id } })).toEqual(fundEntry);
    expect(await p.riskParameterVersion.findUniqueOrThrow({ where: { id: paramVersion.id } })).toEqual(paramVersion);
    expect(await p.ledgerEntry.findUniqueOrThrow({ where: { id: ledger.id } })).toEqual(ledger);
    expect(await p.idempotencyRecord.findUniqueOrThrow({ where: { id: idem.id } })).toEqual(idem);
    expect(await p.auditEvent.findUniqueOrThrow({ where: { id: audit.id } })).toEqual(audit);
    expect(await p.accountRisk.findUniqueOrThrow({ where: { accountId: account.id } })).toEqual(risk);
    expect(await p.riskEvent.findUniqueOrThrow({ where: { id: riskEvent.id } })).toEqual(riskEvent);
    expect(await p.webhookEndpoint.findUniqueOrThrow({ where: { id: webhook.id } })).toEqual(webhook);
    expect(await p.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } })).toEqual(delivery);
    // The market-data version row exists from the migration on (a singleton: read, not created).
    const version = await p.marketDataVersion.findUniqueOrThrow({ where: { id: 1 } });
    expect(typeof version.version).toBe('bigint');
    // Open interest is kept by a trigger on position (a read, not a create): the short position above is in it.
    const slots = await p.marketOpenInterest.findMany({ where: { marketSymbol: 'BB-OPT' } });
    expect(slots).toHaveLength(1);
    expect([slots[0]!.longSize.toString(), slots[0]!.shortSize.toString(), slots[0]!.positions]).toEqual(['0', '2.5', 1]);
    // Full NUMERIC precision survives the round trip (no float on the way).
    expect(new Decimal(balance.amount.toString()).toFixed()).toBe('-123.000000000000000000000000000001');
    expect(mark.price.toString()).toBe('12.345678901234567890123');
    // Every model was exercised.
    const exercised = ['Broker', 'ApiKey', 'Asset', 'Market', 'MarginTier', 'MarkPrice', 'IndexPrice', 'PriceHistory', 'InterestRate', 'PortfolioMarginParams', 'Account', 'Balance', 'Position', 'InsuranceFund', 'InsuranceFundEntry', 'LedgerEntry', 'IdempotencyRecord', 'AuditEvent', 'AccountRisk', 'RiskEvent', 'WebhookEndpoint', 'WebhookDelivery', 'RiskParameterVersion', 'MarketDataVersion', 'MarketOpenInterest'];
    expect(schema.models.map((m) => m.name).filter((m) => !exercised.includes(m))).toEqual([]);
  });
});
