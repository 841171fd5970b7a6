/**
 * Seeds the demo venue (DESIGN section 6, "Zero setup"): reference data (assets, markets with margin tiers, prices
 * with a year of daily history, portfolio-margin parameters, insurance funds), three brokers and ~1,000 accounts
 * with balances, positions and a ledger that reconciles with the balances. A handful of accounts are built just
 * above maintenance margin and a few just below, so monitoring has something to find.
 *
 * - Deterministic: the data is a pure function of (seed, accounts, nowMs) (see seed-data.ts), ids included.
 * - Idempotent: a venue whose asset table is non-empty is left alone ({ seeded: false }). A transaction-scoped
 *   advisory lock makes two concurrent seeders safe: the second waits, then sees the assets and does nothing.
 * - Atomic: one transaction, bulk inserts (createMany in chunks), so a half-seeded venue is never visible.
 */
import type Decimal from 'decimal.js';
import type { Prisma, PrismaClient } from '../generated/prisma/client';
import {
  DEMO_BROKERS,
  DemoAccount,
  DemoVenue,
  DemoVenueOptions,
  SEED_PRICE_SOURCE,
  generateDemoVenue,
} from './seed-data';

export {
  DEFAULT_ACCOUNTS,
  DEFAULT_SEED,
  DEMO_ASSETS,
  DEMO_BROKERS,
  DEMO_BROKER_REF_PREFIXES,
  DEMO_LINEAR_PERPETUALS,
  DEMO_MARKETS,
  DEMO_MAX_PRICE_AGE_SECONDS,
  PRICE_HISTORY_DAYS,
  SEED_PRICE_SOURCE,
  VALUATION_ASSET,
  demoDatedMarketSymbols,
  generateDemoVenue,
} from './seed-data';
export type { DemoAccount, DemoAccountProfile, DemoAssetSymbol, DemoMarket, DemoVenue, DemoVenueOptions } from './seed-data';

export interface SeedReport {
  /** False when the venue was already seeded: nothing was written and every count below is 0. */
  readonly seeded: boolean;
  /** Rows inserted (brokers that already existed by name are reused, not counted). */
  readonly assets: number;
  readonly markets: number;
  readonly marginTiers: number;
  readonly brokers: number;
  readonly accounts: number;
  readonly positions: number;
  readonly balances: number;
  readonly ledgerEntries: number;
  readonly priceHistory: number;
  /** Symbols of the markets created (the dated future's and options' symbols depend on nowMs and the BTC spot). */
  readonly marketSymbols: readonly string[];
  /** Accounts built with margin equity just above maintenance margin (MM × 1.02–1.15): at risk, not liquidatable. */
  readonly nearLiquidation: readonly string[];
  /** Accounts built with margin equity already below maintenance margin (MM × 0.85–0.97): liquidatable now. */
  readonly liquidatable: readonly string[];
}

export type SeedOptions = DemoVenueOptions;

const NOT_SEEDED: SeedReport = Object.freeze({
  seeded: false,
  assets: 0,
  markets: 0,
  marginTiers: 0,
  brokers: 0,
  accounts: 0,
  positions: 0,
  balances: 0,
  ledgerEntries: 0,
  priceHistory: 0,
  marketSymbols: [],
  nearLiquidation: [],
  liquidatable: [],
});

/** Arbitrary constant key of the advisory lock held by a seeding transaction. */
const SEED_LOCK_KEY = 72707370;
const CHUNK = 1000;

type Tx = Prisma.TransactionClient;

function s(x: Decimal): string {
  return x.toFixed();
}

function sOrNull(x: Decimal | null): string | null {
  return x === null ? null : x.toFixed();
}

async function inChunks<T>(rows: readonly T[], insert: (chunk: T[]) => Promise<{ count: number }>): Promise<number> {
  let count = 0;
  for (let i = 0; i < rows.length; i += CHUNK) count += (await insert(rows.slice(i, i + CHUNK))).count;
  return count;
}

export async function seedDemoVenue(prisma: PrismaClient, options: SeedOptions = {}): Promise<SeedReport> {
  // Generate before opening the transaction (pure and CPU-only), so the transaction is as short as the inserts.
  const venue = generateDemoVenue(options);
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SEED_LOCK_KEY})`;
      const existing = await tx.$queryRaw<unknown[]>`SELECT 1 FROM asset LIMIT 1`;
      if (existing.length > 0) return NOT_SEEDED;
      return insertVenue(tx, venue);
    },
    { maxWait: 30_000, timeout: 120_000 },
  );
}

async function insertVenue(tx: Tx, venue: DemoVenue): Promise<SeedReport> {
  const now = new Date(venue.nowMs);

  const assets = (
    await tx.asset.createMany({
      data: venue.assets.map((a) => ({
        symbol: a.symbol,
        decimals: a.decimals,
        initialWeight: s(a.initialWeight),
        maintenanceWeight: s(a.maintenanceWeight),
        initialLiabilityWeight: s(a.initialLiabilityWeight),
        maintenanceLiabilityWeight: s(a.maintenanceLiabilityWeight),
      })),
    })
  ).count;

  const markets = (
    await tx.market.createMany({
      data: venue.markets.map((m) => ({
        symbol: m.symbol,
        kind: m.kind,
        contractType: m.contractType,
        baseAsset: m.baseAsset,
        quoteAsset: m.quoteAsset,
        settlementAsset: m.settlementAsset,
        contractSize: s(m.contractSize),
        tickSize: s(m.tickSize),
        expiry: m.expiry,
        strike: sOrNull(m.strike),
        optionType: m.optionType,
        liquidationFeeRate: s(m.liquidationFeeRate),
        insuranceFundFeeRate: s(m.insuranceFundFeeRate),
        fundingIndex: s(m.fundingIndex),
        maxPriceAgeSeconds: m.maxPriceAgeSeconds,
        bookDepth: s(m.bookDepth),
        slippageBaseRate: s(m.slippageBaseRate),
        slippageImpactFactor: s(m.slippageImpactFactor),
        impliedVolatility: sOrNull(m.impliedVolatility),
        optionAlpha: sOrNull(m.optionAlpha),
        optionBeta: sOrNull(m.optionBeta),
        optionGamma: sOrNull(m.optionGamma),
      })),
    })
  ).count;

  const marginTiers = (
    await tx.marginTier.createMany({
      data: venue.markets.flatMap((m) =>
        m.tiers.map((t) => ({
          marketSymbol: m.symbol,
          tierIndex: t.tierIndex,
          notionalFloor: s(t.notionalFloor),
          notionalCap: sOrNull(t.notionalCap),
          initialMarginRate: s(t.initialMarginRate),
          maintenanceMarginRate: s(t.maintenanceMarginRate),
          maintenanceAmount: s(t.maintenanceAmount),
        })),
      ),
    })
  ).count;

  const priceHistory = await inChunks(venue.priceHistory, (chunk) =>
    tx.priceHistory.createMany({
      data: chunk.map((p) => ({ assetSymbol: p.assetSymbol, price: s(p.price), source: SEED_PRICE_SOURCE, observedAt: p.observedAt })),
    }),
  );
  await tx.indexPrice.createMany({
    data: [...venue.indexPrices].map(([assetSymbol, price]) => ({ assetSymbol, price: s(price), source: SEED_PRICE_SOURCE, observedAt: now })),
  });
  await tx.markPrice.createMany({
    data: [...venue.markPrices].map(([marketSymbol, price]) => ({ marketSymbol, price: s(price), source: SEED_PRICE_SOURCE, observedAt: now })),
  });
  await tx.portfolioMarginParams.createMany({
    data: venue.portfolioParams.map((p) => ({
      assetSymbol: p.assetSymbol,
      priceScanRange: s(p.priceScanRange),
      volScanRange: s(p.volScanRange),
      extremeMoveMultiple: s(p.extremeMoveMultiple),
      extremeMoveCoverage: s(p.extremeMoveCoverage),
      shortOptionMinimum: s(p.shortOptionMinimum),
      maintenanceFraction: s(p.maintenanceFraction),
    })),
  });
  await tx.insuranceFund.createMany({
    data: venue.insuranceFund.map((f) => ({ assetSymbol: f.assetSymbol, balance: s(f.balance) })),
  });

  // Brokers may exist already (created by an operator before the first start): reuse them by name.
  const brokers = (
    await tx.broker.createMany({
      data: venue.brokers.map((b) => ({ id: b.id, name: b.name, createdAt: now })),
      skipDuplicates: true,
    })
  ).count;
  const brokerRows = await tx.broker.findMany({ where: { name: { in: [...DEMO_BROKERS] } }, select: { id: true, name: true } });
  const brokerIdByName = new Map(brokerRows.map((b) => [b.name, b.id]));
  const brokerIds = DEMO_BROKERS.map((name) => brokerIdByName.get(name)!);

  const accounts = await inChunks(venue.accounts, (chunk) =>
    tx.account.createMany({
      data: chunk.map((a) => ({
        id: a.id,
        brokerId: brokerIds[a.brokerIndex]!,
        externalRef: a.externalRef,
        marginMode: a.marginMode,
        createdAt: now,
      })),
    }),
  );
  const balances = await inChunks(
    venue.accounts.flatMap((a) => a.balances.map((b) => ({ accountId: a.id, assetSymbol: b.assetSymbol, amount: s(b.amount) }))),
    (chunk) => tx.balance.createMany({ data: chunk }),
  );
  const positions = await inChunks(
    venue.accounts.flatMap((a) =>
      a.positions.map((p) => ({
        id: p.id,
        accountId: a.id,
        marketSymbol: p.marketSymbol,
        size: s(p.size),
        entryPrice: s(p.entryPrice),
        fundingIndex: s(p.fundingIndex),
        marginType: p.marginType,
        isolatedMargin: s(p.isolatedMargin),
        leverage: sOrNull(p.leverage),
        createdAt: now,
      })),
    ),
    (chunk) => tx.position.createMany({ data: chunk }),
  );
  const ledgerEntries = await inChunks(
    venue.accounts.flatMap((a) =>
      a.ledger.map((e) => ({
        accountId: a.id,
        assetSymbol: e.assetSymbol,
        kind: e.kind,
        amount: s(e.amount),
        reference: e.reference,
        createdAt: now,
      })),
    ),
    (chunk) => tx.ledgerEntry.createMany({ data: chunk }),
  );

  const idsOf = (profile: DemoAccount['profile']) => venue.accounts.filter((a) => a.profile === profile).map((a) => a.id);
  return {
    seeded: true,
    assets,
    markets,
    marginTiers,
    brokers,
    accounts,
    positions,
    balances,
    ledgerEntries,
    priceHistory,
    marketSymbols: venue.markets.map((m) => m.symbol),
    nearLiquidation: idsOf('nearLiquidation'),
    liquidatable: idsOf('liquidatable'),
  };
}
