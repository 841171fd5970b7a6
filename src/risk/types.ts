/**
 * Plain, immutable inputs of the risk engine. The store builds an `AccountSnapshot` inside one read-only
 * transaction; the engine never sees Prisma, Apollo or a clock (the evaluation time is `asOf`).
 *
 * Units: every amount is a `Decimal` (decimal.js). Prices are quote per base; sizes are contracts; notional of a
 * LINEAR market is in quote, of an INVERSE market in base. Account-level figures are in the valuation currency (USD),
 * converting each asset at its index price.
 */
import type Decimal from 'decimal.js';
import type { SizeAddonParams } from './rules/size-addon';
import type { LiquidityAddon } from './rules/liquidity-addon';
import type { VolatilityAdjustment } from './rules/volatility-adjustment';
import type { OpenInterestScaling } from './rules/open-interest-scaling';

export type { SizeAddonParams } from './rules/size-addon';

export type MarketKind = 'PERPETUAL' | 'FUTURE' | 'OPTION';
export type ContractType = 'LINEAR' | 'INVERSE';
export type OptionType = 'CALL' | 'PUT';
export type MarginMode = 'CROSS' | 'PORTFOLIO';
export type MarginType = 'CROSS' | 'ISOLATED';
export type AccountStatus = 'HEALTHY' | 'RESTRICTED' | 'LIQUIDATABLE' | 'BANKRUPT';
export type MarginLevel = 'INITIAL' | 'MAINTENANCE';
export type Side = 'LONG' | 'SHORT';

/** A collateral asset and its haircuts. Weights are dimensionless; asset weights ≤ 1, liability weights ≥ 1. */
export interface AssetParams {
  readonly symbol: string;
  /** Decimal places of the asset; requirements round up to this many places. */
  readonly decimals: number;
  readonly initialWeight: Decimal;
  readonly maintenanceWeight: Decimal;
  readonly initialLiabilityWeight: Decimal;
  readonly maintenanceLiabilityWeight: Decimal;
  /** Whether a balance of the asset may go negative (be borrowed); absent = true. A withdrawal may not make it so. */
  readonly borrowable?: boolean;
}

/** One bracket of a tiered schedule; `[notionalFloor, notionalCap)` in notional units of the market. */
export interface MarginTierParams {
  readonly notionalFloor: Decimal;
  /** Exclusive upper bound; null for the last (open-ended) tier. */
  readonly notionalCap: Decimal | null;
  readonly initialMarginRate: Decimal;
  readonly maintenanceMarginRate: Decimal;
  /** Cumulative maintenance amount ("cum"), in notional units; derived from the schedule. */
  readonly maintenanceAmount: Decimal;
}

/** dYdX-style open-interest scaling of the initial margin rate (raises IM only): rules/open-interest-scaling.ts. */
export type { OpenInterestScaling } from './rules/open-interest-scaling';

/** Volatility adjustment: imr_eff = max(imr, z·σ·√h); mmr scales by the same factor: rules/volatility-adjustment.ts. */
export type { VolatilityAdjustment } from './rules/volatility-adjustment';

/** Liquidity add-on N·λ·√(N/D), added to IM and MM: rules/liquidity-addon.ts. */
export type { LiquidityAddon } from './rules/liquidity-addon';

/** Standard short-option margin: IM = V + max(α·U − OTM, β·U), MM = V + γ·U (per unit of underlying). */
export interface OptionMarginParams {
  readonly alpha: Decimal;
  readonly beta: Decimal;
  readonly gamma: Decimal;
}

/** Portfolio-margin (SPAN-like) scanning parameters of an underlying. */
export interface PortfolioParams {
  /** Price scan range as a fraction of the underlying price (for example 0.15). */
  readonly priceScanRange: Decimal;
  /** Absolute implied-volatility shift for the vol-up / vol-down scenarios (for example 0.25 = 25 vol points, relative). */
  readonly volScanRange: Decimal;
  /** Multiple of the scan range for the extreme moves (for example 2). */
  readonly extremeMoveMultiple: Decimal;
  /** Fraction of the extreme-move loss that counts (for example 0.35). */
  readonly extremeMoveCoverage: Decimal;
  /** Minimum requirement per short option contract as a fraction of the underlying price. */
  readonly shortOptionMinimum: Decimal;
  /** MM = IM × this fraction. */
  readonly maintenanceFraction: Decimal;
}

/** Price impact when closing: execution = mark·(1 ∓ (base + impact·(N/D)))... see slippage.ts. */
export interface SlippageModel {
  /** Fixed fraction applied to every liquidation fill. */
  readonly baseRate: Decimal;
  /** Book depth in notional units; impact fraction = closedNotional / depth × impactFactor. */
  readonly bookDepth: Decimal;
  readonly impactFactor: Decimal;
}

export interface MarketParams {
  readonly symbol: string;
  readonly kind: MarketKind;
  readonly contractType: ContractType;
  readonly baseAsset: string;
  readonly quoteAsset: string;
  readonly settlementAsset: string;
  /** Contract size c: base units per contract (LINEAR), quote face value per contract (INVERSE). */
  readonly contractSize: Decimal;
  readonly tickSize: Decimal;
  /** Epoch milliseconds; futures and options. */
  readonly expiryMs: number | null;
  readonly strike: Decimal | null;
  readonly optionType: OptionType | null;
  /** Sorted ascending by floor, contiguous, first floor 0, last cap null. */
  readonly tiers: readonly MarginTierParams[];
  readonly liquidationFeeRate: Decimal;
  readonly insuranceFundFeeRate: Decimal;
  /** Cumulative funding index F (quote per base unit for LINEAR, base per quote face unit for INVERSE). */
  readonly fundingIndex: Decimal;
  /** A mark price older than this many seconds at `asOf` is stale. */
  readonly maxPriceAgeSeconds: number;
  readonly openInterestScaling: OpenInterestScaling | null;
  readonly volatilityAdjustment: VolatilityAdjustment | null;
  readonly liquidityAddon: LiquidityAddon | null;
  /** Implied volatility (annualized fraction) of an option market. */
  readonly impliedVolatility: Decimal | null;
  /**
   * Options: risk-free rate r of the quote asset, continuously compounded, per year (0.05 = 5%); absent or null = 0.
   * Ignored for delta-one markets.
   */
  readonly riskFreeRate?: Decimal | null;
  /**
   * Options: carry / dividend yield q of the underlying (base) asset, continuous, per year (for a currency pair the
   * base currency's rate); absent or null = 0. r = q is Black-76 on the spot; r = q = 0 today's undiscounted Black-76.
   */
  readonly dividendYield?: Decimal | null;
  readonly optionMargin: OptionMarginParams | null;
  readonly slippage: SlippageModel;
  /**
   * Notional the maintenance margin is computed on (optional, default 'MARK'): 'MARK' = DESIGN §4 (N at the current
   * mark); 'ENTRY' = Bybit's convention (N at the position's entry price, so MM is constant as the mark moves and the
   * isolated liquidation price is entry − (IM − MM)/qty). IM always uses the mark. Ignored for options.
   */
  readonly maintenanceBasis?: MaintenanceBasis;
  /** Position-size add-on (rules/size-addon.ts): rate per contract for IM and MM; absent or null = off. */
  readonly sizeAddon?: SizeAddonParams | null;
  /** Closing fee reserved in MM (rules/closing-fee.ts): fraction of the notional at the mark; absent = 0. */
  readonly closingFeeRate?: Decimal;
}

export type MaintenanceBasis = 'MARK' | 'ENTRY';

export interface PriceQuote {
  readonly price: Decimal;
  /** Epoch milliseconds of the observation. */
  readonly observedAtMs: number;
}

export interface PositionSnapshot {
  readonly id: string;
  readonly market: string;
  /** Signed size in contracts; long > 0. */
  readonly size: Decimal;
  readonly entryPrice: Decimal;
  /** In the settlement asset. */
  readonly realizedPnl: Decimal;
  /** Market funding index at the last settlement of this position. */
  readonly fundingIndex: Decimal;
  readonly marginType: MarginType;
  /** Margin posted to an isolated position, in the settlement asset; 0 for cross. */
  readonly isolatedMargin: Decimal;
  /** User-chosen leverage L (raises IM to N·max(imr, 1/L)); null = market maximum. */
  readonly leverage: Decimal | null;
}

export interface BalanceSnapshot {
  readonly asset: string;
  /** Signed; negative = borrowed. */
  readonly amount: Decimal;
}

export interface AccountSnapshot {
  readonly accountId: string;
  readonly marginMode: MarginMode;
  readonly balances: readonly BalanceSnapshot[];
  readonly positions: readonly PositionSnapshot[];
  /** Every market a position refers to (and possibly more), by symbol. */
  readonly markets: Readonly<Record<string, MarketParams>>;
  /** Every asset a balance or market refers to, by symbol. */
  readonly assets: Readonly<Record<string, AssetParams>>;
  /** Latest mark price per market symbol. */
  readonly markPrices: Readonly<Record<string, PriceQuote>>;
  /** Latest index price per asset symbol (the valuation currency's own asset may be absent: price 1). */
  readonly indexPrices: Readonly<Record<string, PriceQuote>>;
  /** Portfolio-margin parameters per underlying asset (PORTFOLIO accounts). */
  readonly portfolioParams: Readonly<Record<string, PortfolioParams>>;
  /** Evaluation time, epoch milliseconds (for staleness, option time to expiry). */
  readonly asOfMs: number;
  /** The asset used as valuation currency (for example 'USD' or 'USDC'); its index price is 1 if absent. */
  readonly valuationAsset: string;
  /** Max index price age in seconds for collateral assets. */
  readonly maxIndexPriceAgeSeconds: number;
}
