/**
 * Immutable outputs of the risk engine. Every amount is a `Decimal`; "settlement" amounts are in the market's
 * settlement asset (quote for LINEAR, base for INVERSE), "Usd" amounts in the snapshot's valuation asset.
 * The breakdown carries every input of every formula so a user can reproduce each number.
 */
import type Decimal from 'decimal.js';
import type { AccountStatus, ContractType, MarginMode, MarginType, MarketKind } from './types';
import type { SizeAddonLine } from './rules/size-addon';

export type { SizeAddonLine } from './rules/size-addon';

/** Direction of a position; FLAT for size 0. */
export type PositionSide = 'LONG' | 'SHORT' | 'FLAT';

/** Which step set the initial margin rate actually used (the last one that raised it). */
export type InitialRateSource = 'TIER' | 'VOLATILITY' | 'OPEN_INTEREST' | 'LEVERAGE';

/**
 * How the account was evaluated: CROSS (standard rules); PORTFOLIO (a PORTFOLIO account: scanned per underlying with
 * portfolio parameters, standard rules elsewhere, see `portfolioFallbacks`); PORTFOLIO_AS_CROSS (a PORTFOLIO account
 * none of whose positions could be scanned: every requirement by the standard rules).
 */
export type EvaluationMethod = 'CROSS' | 'PORTFOLIO_AS_CROSS' | 'PORTFOLIO';

/**
 * How a position's requirement was computed: TIERED (tiers and adjustments), SHORT_OPTION (α/β/γ rule), LONG_OPTION
 * (no requirement), PORTFOLIO (part of its underlying's portfolio scan: the requirement is the scan's, the
 * position's own IM and MM are 0).
 */
export type MarginMethod = 'TIERED' | 'SHORT_OPTION' | 'LONG_OPTION' | 'PORTFOLIO';

/** Every input of the standard short-option rule (per unit of underlying unless stated; quote currency). */
export interface OptionMarginBreakdown {
  readonly formula: string;
  readonly alpha: Decimal;
  readonly beta: Decimal;
  readonly gamma: Decimal;
  /** MARKET: the market's α/β/γ; DEFAULT: Deribit's (0.15, 0.10, 0.075) because the market has none. */
  readonly paramsSource: 'MARKET' | 'DEFAULT';
  /** U. */
  readonly underlyingPrice: Decimal;
  readonly strike: Decimal;
  /** OTM: call max(K − U, 0), put max(U − K, 0). */
  readonly outOfTheMoney: Decimal;
  /** V: BSM value per unit. */
  readonly optionValue: Decimal;
  /** |q|·c: units of underlying. */
  readonly units: Decimal;
  /** max(α·U − OTM, β·U). */
  readonly initialExPremium: Decimal;
  /** γ·U. */
  readonly maintenanceExPremium: Decimal;
  /** V + max(α·U − OTM, β·U). */
  readonly initialPerUnit: Decimal;
  /** V + γ·U. */
  readonly maintenancePerUnit: Decimal;
  /** Which term of the max set IM (ALPHA on ties). */
  readonly initialTerm: 'ALPHA' | 'BETA';
}

/**
 * Sensitivities. delta ∂value/∂U, gamma ∂²value/∂U², vega ∂value/∂σ per 1.00 vol, theta ∂value/∂t per day,
 * rho ∂value/∂r per 1.00 of the option's quote-asset rate r (U and the yield q fixed; per 1% = rho / 100).
 */
export interface Greeks {
  readonly delta: Decimal;
  readonly gamma: Decimal;
  readonly vega: Decimal;
  readonly theta: Decimal;
  readonly rho: Decimal;
}

/** Model valuation of an option position (Black-Scholes-Merton with the quote asset's r and the underlying's q, ACT/365). */
export interface OptionRisk {
  readonly optionType: 'CALL' | 'PUT';
  readonly strike: Decimal;
  readonly expiryMs: number;
  /** Underlying price U = index(base)/index(quote). */
  readonly underlyingPrice: Decimal;
  readonly impliedVolatility: Decimal;
  /** ACT/365 years to expiry; ≤ 0 = expired (valued at intrinsic). */
  readonly timeToExpiryYears: Decimal;
  /** r: the quote asset's risk-free rate used (continuous, per year; 0 when none is set). */
  readonly riskFreeRate: Decimal;
  /** q: the underlying's carry / dividend yield used (continuous, per year; 0 when none is set). */
  readonly dividendYield: Decimal;
  readonly expired: boolean;
  /** Model value V per unit of underlying (the engine's value; `markPrice` is the stored, informational mark). */
  readonly modelPrice: Decimal;
  /** Stored mark per unit (informational, never used by the engine). */
  readonly storedMarkPrice: Decimal;
  /** q·c·V (settlement units): the position's contribution to equity. */
  readonly positionValue: Decimal;
}

/** Greeks of a position: per contract (per unit × c) and for the position (× q), settlement units. */
export interface PositionGreeks {
  readonly perContract: Greeks;
  readonly position: Greeks;
}

/** Σ of the position greeks on one underlying, converted to the valuation asset (× settlement price). */
export interface UnderlyingGreeks extends Greeks {
  readonly underlying: string;
}

/** Which side of a boundary price is liquidatable (or bankrupt). */
export type BoundarySide = 'BELOW' | 'ABOVE';

/** Weight family applied to a balance: asset weights for positive balances, liability weights for negative ones. */
export type WeightKind = 'ASSET' | 'LIABILITY';

export interface TierUsed {
  readonly index: number;
  readonly notionalFloor: Decimal;
  readonly notionalCap: Decimal | null;
  readonly initialMarginRate: Decimal;
  readonly maintenanceMarginRate: Decimal;
  readonly maintenanceAmount: Decimal;
}

/** The initial margin rate, step by step: tier → volatility → open interest → user leverage. */
export interface InitialRateSteps {
  /** Tier rate. */
  readonly tier: Decimal;
  /** max(tier, z·σ·√h) when a volatility adjustment is configured, else = tier. */
  readonly afterVolatility: Decimal;
  /** afterVolatility + (1 − afterVolatility)·clamp(scale, 0, 1) (floored to the configured step) when OI scaling applies. */
  readonly afterOpenInterest: Decimal;
  /** 1/L when the user chose a leverage L, else null. */
  readonly leverageRate: Decimal | null;
  /** max(afterOpenInterest, leverageRate): the rate used for IM. */
  readonly used: Decimal;
  readonly source: InitialRateSource;
  /** OI scale in [0, 1] when OI scaling is configured, else null. */
  readonly openInterestScale: Decimal | null;
}

export interface PositionRisk {
  readonly positionId: string;
  readonly market: string;
  readonly marketKind: MarketKind;
  readonly contractType: ContractType;
  readonly marginType: MarginType;
  readonly underlying: string;
  readonly settlementAsset: string;
  readonly side: PositionSide;
  /** Signed size in contracts (q). */
  readonly size: Decimal;
  /** Contract size (c). */
  readonly contractSize: Decimal;
  readonly entryPrice: Decimal;
  readonly markPrice: Decimal;
  /** Index price of the settlement asset in the valuation asset (1 for the valuation asset itself). */
  readonly settlementPrice: Decimal;
  /** LINEAR: N = |q|·c·P (quote); INVERSE: N = |q|·c/P (base). Settlement units. */
  readonly notional: Decimal;
  /** Notional converted to the valuation asset: N·settlementPrice. */
  readonly notionalUsd: Decimal;
  readonly tier: TierUsed;
  readonly initialRate: InitialRateSteps;
  /** Volatility factor k = afterVolatility / tier imr (1 without adjustment); scales mmr and the maintenance amount. */
  readonly volatilityFactor: Decimal;
  /** mmr·k. */
  readonly maintenanceRate: Decimal;
  /** cum·k, settlement units. */
  readonly maintenanceAmount: Decimal;
  /** Liquidity add-on N·λ·√(N/D) (0 without), settlement units; added to IM and MM. */
  readonly liquidityAddon: Decimal;
  /** Position-size add-on (rules/size-addon.ts): k·|q| rates and the amounts they add; null when the market has none. */
  readonly sizeAddon: SizeAddonLine | null;
  /** Closing fee f·N reserved in MM (rules/closing-fee.ts), settlement units; 0 when the market's rate is 0. */
  readonly closingFee: Decimal;
  /** IM = roundUp(N·initialRate.used + sizeAddon.initialAmount + liquidityAddon, settlement decimals). */
  readonly initialMargin: Decimal;
  /**
   * MM = roundUp(max(0, N_m·maintenanceRate − maintenanceAmount) + sizeAddon.maintenanceAmount + liquidityAddon +
   * closingFee, settlement decimals).
   */
  readonly maintenanceMargin: Decimal;
  /** LINEAR: q·c·(P − E); INVERSE: q·c·(1/E − 1/P). Settlement units. */
  readonly unrealizedPnl: Decimal;
  /** −q·c·(F_now − F_position). Settlement units. */
  readonly fundingPnl: Decimal;
  readonly settlementDecimals: number;
  readonly initialMarginUsd: Decimal;
  readonly maintenanceMarginUsd: Decimal;
  readonly unrealizedPnlUsd: Decimal;
  readonly fundingPnlUsd: Decimal;
  /** Isolated margin posted (settlement units); 0 for cross. */
  readonly isolatedMargin: Decimal;
  /** ISOLATED only: isolatedMargin + uPnL + fundingPnL (settlement units); null for cross. */
  readonly isolatedEquity: Decimal | null;
  /** ISOLATED only: the position's own status; null for cross (see the account status). */
  readonly isolatedStatus: AccountStatus | null;
  /**
   * Mark price at which the position (ISOLATED) or the account (CROSS, adverse direction of the account's net exposure
   * to this underlying) reaches equity = MM; rounded to the tick on the non-liquidatable side. Null when none exists.
   */
  readonly liquidationPrice: Decimal | null;
  /** Same with the requirement at zero (equity = 0). */
  readonly bankruptcyPrice: Decimal | null;
  /** How IM and MM were computed. */
  readonly marginMethod: MarginMethod;
  /** What the position adds to cross equity (settlement units): uPnL + fundingPnL; options q·c·V. */
  readonly equityContribution: Decimal;
  readonly equityContributionUsd: Decimal;
  /** MM basis of the market and the notional MM was computed on (≠ notional only with basis ENTRY). */
  readonly maintenanceBasis: 'MARK' | 'ENTRY';
  readonly maintenanceNotional: Decimal;
  /** Tier of the maintenance notional (= tier unless basis ENTRY). */
  readonly maintenanceTier: TierUsed;
  /** Options: model valuation; null otherwise. */
  readonly option: OptionRisk | null;
  /** Short options: the standard rule's inputs; null otherwise. */
  readonly optionMargin: OptionMarginBreakdown | null;
  /**
   * Greeks: options from BSM; delta-one positions delta only (LINEAR c per contract, INVERSE c/P², settlement
   * units per unit of mark), gamma = vega = theta = rho = 0. Null when the evaluation skipped greeks (engine.ts GreeksMode).
   */
  readonly greeks: PositionGreeks | null;
}

export interface BalanceRisk {
  readonly asset: string;
  readonly amount: Decimal;
  /** Index price in the valuation asset (1 for the valuation asset). */
  readonly indexPrice: Decimal;
  /** amount·indexPrice. */
  readonly value: Decimal;
  readonly weightKind: WeightKind;
  /** initialWeight (positive amount) or initialLiabilityWeight (negative amount). */
  readonly initialWeight: Decimal;
  /** maintenanceWeight (positive amount) or maintenanceLiabilityWeight (negative amount). */
  readonly maintenanceWeight: Decimal;
  /** value·initialWeight. */
  readonly initialWeightedValue: Decimal;
  /** value·maintenanceWeight. */
  readonly maintenanceWeightedValue: Decimal;
}

/** A price of the underlying at which the checked quantity (margin equity − MM, or equity) crosses zero. */
export interface PriceBoundary {
  /** Price ratio s to the current prices: every price on the underlying is multiplied by s. */
  readonly ratio: Decimal;
  /** Index level of the underlying at the boundary (current index·s, 8 places, non-liquidatable side); null without index. */
  readonly indexPrice: Decimal | null;
  /** Implied mark per market on the underlying (current mark·s, on the tick of the non-liquidatable side). */
  readonly markPrices: Readonly<Record<string, Decimal>>;
  /** The side of the boundary on which the account is liquidatable (or bankrupt). */
  readonly liquidatableSide: BoundarySide;
}

export interface UnderlyingLiquidation {
  readonly underlying: string;
  /** Current index level of the underlying, null if the snapshot has none. */
  readonly indexPrice: Decimal | null;
  /** Market whose tick grid the boundaries were solved on (largest cross notional), null for a balance-only underlying. */
  readonly referenceMarket: string | null;
  /** Net exposure of the cross account to the underlying: sign of d(equity)/d(price). */
  readonly exposure: PositionSide;
  /** Nearest price below the current one at which margin equity = MM (null if none). */
  readonly below: PriceBoundary | null;
  readonly above: PriceBoundary | null;
  /** Nearest prices at which the cross equity (unweighted) = 0. */
  readonly bankruptcyBelow: PriceBoundary | null;
  readonly bankruptcyAbove: PriceBoundary | null;
}

export interface AccountBreakdown {
  /** Ordered by position id. */
  readonly positions: readonly PositionRisk[];
  /** Non-zero balances, ordered by asset symbol. */
  readonly balances: readonly BalanceRisk[];
  /** Σ cross positions' (uPnL + fundingPnL) in USD: counted unweighted in both margin equities. */
  readonly crossPnlUsd: Decimal;
  /** Σ isolated positions' (isolatedMargin + uPnL + fundingPnL) in USD: counted in equity only. */
  readonly isolatedEquityUsd: Decimal;
  /** Σ cross option positions' value q·c·V in USD (already included in crossPnlUsd). */
  readonly optionValueUsd: Decimal;
  /** PORTFOLIO accounts: the scan per underlying (empty otherwise). */
  readonly portfolioScans: readonly PortfolioScanRisk[];
  /** PORTFOLIO accounts: underlyings margined by the standard rules instead, and why. */
  readonly portfolioFallbacks: readonly PortfolioFallback[];
}

/** One scenario of a portfolio scan (P&L of the underlying's scanned positions, USD; negative = loss). */
export interface PortfolioScenarioRisk {
  readonly index: number;
  readonly label: string;
  /** Price move in units of the scan range (thirds, or ± the extreme multiple). */
  readonly rangeFraction: Decimal;
  readonly priceMove: Decimal;
  readonly underlyingPrice: Decimal;
  /** Relative vol shift (σ·(1 + shift)). */
  readonly volShift: Decimal;
  readonly coverage: Decimal;
  readonly pnl: Decimal;
}

export interface PortfolioScanRisk {
  readonly underlying: string;
  /** Underlying price the scan is centred on. */
  readonly underlyingPrice: Decimal;
  readonly priceScanRange: Decimal;
  readonly volScanRange: Decimal;
  readonly extremeMoveMultiple: Decimal;
  readonly extremeMoveCoverage: Decimal;
  readonly maintenanceFraction: Decimal;
  /** Position ids in the scan (options and quote-settled LINEAR perpetuals/futures on the underlying, cross). */
  readonly positionIds: readonly string[];
  readonly scenarios: readonly PortfolioScenarioRisk[];
  readonly worstScenario: PortfolioScenarioRisk;
  /** max(0, −worst P&L), USD. */
  readonly scanRisk: Decimal;
  /** shortOptionMinimum × U × short option units, USD. */
  readonly shortOptionMinimum: Decimal;
  readonly binding: 'SCAN_RISK' | 'SHORT_OPTION_MINIMUM';
  /** ⌈max(scanRisk, shortOptionMinimum)⌉, USD (valuation asset decimals). */
  readonly initialMargin: Decimal;
  /** ⌈IM × maintenanceFraction⌉, USD. */
  readonly maintenanceMargin: Decimal;
}

export interface PortfolioFallback {
  readonly underlying: string;
  /** NO_PORTFOLIO_PARAMS, or NOT_SCANNABLE (INVERSE markets / LINEAR settled in the underlying itself). */
  readonly reason: 'NO_PORTFOLIO_PARAMS' | 'NOT_SCANNABLE';
  readonly positionIds: readonly string[];
}

export interface AccountRisk {
  readonly accountId: string;
  readonly marginMode: MarginMode;
  readonly evaluationMethod: EvaluationMethod;
  readonly valuationAsset: string;
  /** Decimals of the valuation asset (its asset's `decimals`): what account-level money is reported in (precision.ts). */
  readonly valuationDecimals: number;
  readonly asOfMs: number;
  /** Oldest observation time among the prices used; null when no price observation was needed. */
  readonly pricesAsOfMs: number | null;
  /** Σ balance·price + Σ cross (uPnL + fundingPnL) + Σ isolated (isolatedMargin + uPnL + fundingPnL), USD. */
  readonly equity: Decimal;
  /** Cross part of equity: Σ balance·price + Σ cross (uPnL + fundingPnL), USD. */
  readonly crossEquity: Decimal;
  /** Σ balance·price·initial weight + Σ cross (uPnL + fundingPnL), USD. */
  readonly initialMarginEquity: Decimal;
  /** Σ balance·price·maintenance weight + Σ cross (uPnL + fundingPnL), USD. */
  readonly marginEquity: Decimal;
  /** Σ cross IM, USD. */
  readonly initialMargin: Decimal;
  /** Σ cross MM, USD. */
  readonly maintenanceMargin: Decimal;
  /** initialMarginEquity − IM. */
  readonly freeCollateral: Decimal;
  /** MM / marginEquity; null when marginEquity ≤ 0 (then the status alone tells: LIQUIDATABLE iff MM > marginEquity). */
  readonly marginRatio: Decimal | null;
  /** Σ notionalUsd over all positions (cross and isolated). */
  readonly totalNotionalUsd: Decimal;
  /** totalNotionalUsd / equity; null when equity ≤ 0. */
  readonly leverage: Decimal | null;
  readonly status: AccountStatus;
  /** Ordered by position id. */
  readonly positions: readonly PositionRisk[];
  readonly positionsById: Readonly<Record<string, PositionRisk>>;
  readonly breakdown: AccountBreakdown;
  /** Per underlying of the cross account (base assets of cross positions, non-valuation balance assets), by symbol. */
  readonly liquidationPrices: readonly UnderlyingLiquidation[];
  /**
   * Σ position greeks per underlying of the non-flat positions (cross and isolated), USD, by symbol; empty when the
   * evaluation skipped greeks (engine.ts GreeksMode).
   */
  readonly greeks: readonly UnderlyingGreeks[];
  /** = breakdown.portfolioScans. */
  readonly portfolioScans: readonly PortfolioScanRisk[];
}
