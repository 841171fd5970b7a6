/**
 * The store's records as the rest of the code sees them: decimal.js `Decimal` for every amount (converted here, at
 * the repository boundary, from NUMERIC strings; Prisma's own Decimal class is a different class and never leaks out).
 */
import type Decimal from 'decimal.js';
import { parseDecimalText, type DecimalClass } from './decimal-text';

export type MarketKind = 'PERPETUAL' | 'FUTURE' | 'OPTION';
export type ContractType = 'LINEAR' | 'INVERSE';
export type OptionType = 'CALL' | 'PUT';
export type MarginMode = 'CROSS' | 'PORTFOLIO';
export type MarginType = 'CROSS' | 'ISOLATED';
export type AccountStatus = 'ACTIVE' | 'FROZEN' | 'CLOSED';
export type MarketStatus = 'ACTIVE' | 'REDUCE_ONLY' | 'SETTLED';

export interface AssetRecord {
  readonly symbol: string;
  readonly decimals: number;
  readonly initialWeight: Decimal;
  readonly maintenanceWeight: Decimal;
  readonly initialLiabilityWeight: Decimal;
  readonly maintenanceLiabilityWeight: Decimal;
  /** Whether a balance may go negative (column borrowable; absent = true, as in risk snapshots that do not read it). */
  readonly borrowable?: boolean;
}

export interface MarginTierRecord {
  readonly marketSymbol: string;
  readonly tierIndex: number;
  readonly notionalFloor: Decimal;
  readonly notionalCap: Decimal | null;
  readonly initialMarginRate: Decimal;
  readonly maintenanceMarginRate: Decimal;
  readonly maintenanceAmount: Decimal;
}

export interface MarketRecord {
  readonly symbol: string;
  readonly kind: MarketKind;
  readonly contractType: ContractType;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  readonly settlementAsset: string;
  readonly contractSize: Decimal;
  readonly tickSize: Decimal;
  readonly expiry: Date | null;
  readonly strike: Decimal | null;
  readonly optionType: OptionType | null;
  readonly status: MarketStatus;
  readonly liquidationFeeRate: Decimal;
  readonly insuranceFundFeeRate: Decimal;
  readonly fundingIndex: Decimal;
  readonly maxPriceAgeSeconds: number;
  readonly oiLowerCap: Decimal | null;
  readonly oiUpperCap: Decimal | null;
  readonly volAdjZScore: Decimal | null;
  readonly volAdjHorizonDays: Decimal | null;
  readonly volAdjLookbackDays: number | null;
  readonly liquidityLambda: Decimal | null;
  readonly bookDepth: Decimal;
  readonly slippageBaseRate: Decimal;
  readonly slippageImpactFactor: Decimal;
  readonly impliedVolatility: Decimal | null;
  readonly optionAlpha: Decimal | null;
  readonly optionBeta: Decimal | null;
  readonly optionGamma: Decimal | null;
  /** Notional basis of MM (column maintenance_basis; absent = MARK). */
  readonly maintenanceBasis?: 'MARK' | 'ENTRY';
  /** Position-size add-on, rate per contract (columns size_addon_initial / _maintenance; both null = off). */
  readonly sizeAddonInitial?: Decimal | null;
  readonly sizeAddonMaintenance?: Decimal | null;
  /** Closing fee rate reserved in MM (column closing_fee_rate; absent = 0). */
  readonly closingFeeRate?: Decimal;
  /** SETTLED markets: the price positions were closed at, and when (absent where a reader does not select them). */
  readonly settlementPrice?: Decimal | null;
  readonly settledAt?: Date | null;
  readonly version: number;
}

export interface PriceRecord {
  readonly price: Decimal;
  readonly source: string;
  readonly observedAt: Date;
}

/** An asset's interest rate (table interest_rate): continuously compounded, annualized fraction (0.05 = 5% a year). */
export interface InterestRateRecord {
  readonly asset: string;
  readonly rate: Decimal;
  readonly observedAt: Date;
}

export interface AccountRecord {
  readonly id: string;
  readonly brokerId: string;
  readonly externalRef: string;
  readonly marginMode: MarginMode;
  readonly status: AccountStatus;
  readonly version: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface BalanceRecord {
  readonly accountId: string;
  readonly assetSymbol: string;
  readonly amount: Decimal;
}

export interface PositionRecord {
  readonly id: string;
  readonly accountId: string;
  readonly marketSymbol: string;
  readonly size: Decimal;
  readonly entryPrice: Decimal;
  readonly realizedPnl: Decimal;
  readonly fundingIndex: Decimal;
  readonly marginType: MarginType;
  readonly isolatedMargin: Decimal;
  readonly leverage: Decimal | null;
  readonly version: number;
}

export interface PortfolioParamsRecord {
  readonly assetSymbol: string;
  readonly priceScanRange: Decimal;
  readonly volScanRange: Decimal;
  readonly extremeMoveMultiple: Decimal;
  readonly extremeMoveCoverage: Decimal;
  readonly shortOptionMinimum: Decimal;
  readonly maintenanceFraction: Decimal;
}

/**
 * NUMERIC column (string from pg, or Prisma.Decimal, or anything with toString) → decimal.js, as an instance of
 * `decimal` (the global Decimal unless a reader asks for another class: risk snapshots are read as the engine's `D`).
 */
export function toDecimal(value: { toString(): string } | string, decimal?: DecimalClass): Decimal {
  return parseDecimalText(typeof value === 'string' ? value : value.toString(), decimal);
}

export function toDecimalOrNull(value: { toString(): string } | string | null | undefined, decimal?: DecimalClass): Decimal | null {
  return value === null || value === undefined ? null : toDecimal(value, decimal);
}

export type LedgerKind =
  | 'DEPOSIT'
  | 'WITHDRAWAL'
  | 'TRADE_FEE'
  | 'REALIZED_PNL'
  | 'FUNDING'
  | 'ISOLATED_TRANSFER'
  | 'LIQUIDATION_FEE'
  | 'OPTION_PREMIUM';

export interface LedgerEntryRecord {
  /** BIGSERIAL, as a string. */
  readonly id: string;
  readonly accountId: string;
  readonly assetSymbol: string;
  readonly kind: LedgerKind;
  readonly amount: Decimal;
  readonly reference: string | null;
  readonly createdAt: Date;
}

export interface BrokerRecord {
  readonly id: string;
  readonly name: string;
  readonly createdAt: Date;
}

export interface InsuranceFundEntryRecord {
  /** BIGSERIAL, as a string. */
  readonly id: string;
  readonly asset: string;
  readonly amount: Decimal;
  readonly balanceAfter: Decimal;
  readonly reason: string;
  readonly createdAt: Date;
}

export type ApiRole = 'BROKER' | 'ORACLE' | 'MONITOR' | 'ADMIN';

export interface ApiKeyRecord {
  readonly id: string;
  readonly role: ApiRole;
  readonly brokerId: string | null;
  readonly label: string;
  readonly prefix: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}
