-- CreateEnum
CREATE TYPE "MarketKind" AS ENUM ('PERPETUAL', 'FUTURE', 'OPTION');

-- CreateEnum
CREATE TYPE "ContractType" AS ENUM ('LINEAR', 'INVERSE');

-- CreateEnum
CREATE TYPE "OptionType" AS ENUM ('CALL', 'PUT');

-- CreateEnum
CREATE TYPE "MarginMode" AS ENUM ('CROSS', 'PORTFOLIO');

-- CreateEnum
CREATE TYPE "MarginType" AS ENUM ('CROSS', 'ISOLATED');

-- CreateEnum
CREATE TYPE "AccountStatus" AS ENUM ('ACTIVE', 'FROZEN', 'CLOSED');

-- CreateEnum
CREATE TYPE "MarketStatus" AS ENUM ('ACTIVE', 'REDUCE_ONLY', 'SETTLED');

-- CreateEnum
CREATE TYPE "ApiRole" AS ENUM ('BROKER', 'ORACLE', 'MONITOR', 'ADMIN');

-- CreateEnum
CREATE TYPE "LedgerKind" AS ENUM ('DEPOSIT', 'WITHDRAWAL', 'TRADE_FEE', 'REALIZED_PNL', 'FUNDING', 'ISOLATED_TRANSFER', 'LIQUIDATION_FEE');

-- CreateTable
CREATE TABLE "broker" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "name" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "broker_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "broker_id" UUID,
    "role" "ApiRole" NOT NULL,
    "prefix" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "label" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "revoked_at" TIMESTAMPTZ(3),
    "last_used_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "asset" (
    "symbol" TEXT NOT NULL,
    "decimals" INTEGER NOT NULL,
    "initial_weight" DECIMAL(65,30) NOT NULL,
    "maintenance_weight" DECIMAL(65,30) NOT NULL,
    "initial_liability_weight" DECIMAL(65,30) NOT NULL,
    "maintenance_liability_weight" DECIMAL(65,30) NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "asset_pkey" PRIMARY KEY ("symbol")
);

-- CreateTable
CREATE TABLE "market" (
    "symbol" TEXT NOT NULL,
    "kind" "MarketKind" NOT NULL,
    "contract_type" "ContractType" NOT NULL,
    "base_asset" TEXT NOT NULL,
    "quote_asset" TEXT NOT NULL,
    "settlement_asset" TEXT NOT NULL,
    "contract_size" DECIMAL(65,30) NOT NULL,
    "tick_size" DECIMAL(65,30) NOT NULL,
    "expiry" TIMESTAMPTZ(3),
    "strike" DECIMAL(65,30),
    "option_type" "OptionType",
    "status" "MarketStatus" NOT NULL DEFAULT 'ACTIVE',
    "liquidation_fee_rate" DECIMAL(65,30) NOT NULL,
    "insurance_fund_fee_rate" DECIMAL(65,30) NOT NULL,
    "funding_index" DECIMAL(65,30) NOT NULL DEFAULT 0,
    "max_price_age_seconds" INTEGER NOT NULL DEFAULT 60,
    "oi_lower_cap" DECIMAL(65,30),
    "oi_upper_cap" DECIMAL(65,30),
    "vol_adj_z_score" DECIMAL(65,30),
    "vol_adj_horizon_days" DECIMAL(65,30),
    "vol_adj_lookback_days" INTEGER,
    "liquidity_lambda" DECIMAL(65,30),
    "book_depth" DECIMAL(65,30) NOT NULL,
    "slippage_base_rate" DECIMAL(65,30) NOT NULL DEFAULT 0,
    "slippage_impact_factor" DECIMAL(65,30) NOT NULL DEFAULT 0,
    "implied_volatility" DECIMAL(65,30),
    "option_alpha" DECIMAL(65,30),
    "option_beta" DECIMAL(65,30),
    "option_gamma" DECIMAL(65,30),
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "market_pkey" PRIMARY KEY ("symbol")
);

-- CreateTable
CREATE TABLE "margin_tier" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "market_symbol" TEXT NOT NULL,
    "tier_index" INTEGER NOT NULL,
    "notional_floor" DECIMAL(65,30) NOT NULL,
    "notional_cap" DECIMAL(65,30),
    "initial_margin_rate" DECIMAL(65,30) NOT NULL,
    "maintenance_margin_rate" DECIMAL(65,30) NOT NULL,
    "maintenance_amount" DECIMAL(65,30) NOT NULL,

    CONSTRAINT "margin_tier_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "mark_price" (
    "market_symbol" TEXT NOT NULL,
    "price" DECIMAL(65,30) NOT NULL,
    "source" TEXT NOT NULL,
    "observed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "mark_price_pkey" PRIMARY KEY ("market_symbol")
);

-- CreateTable
CREATE TABLE "index_price" (
    "asset_symbol" TEXT NOT NULL,
    "price" DECIMAL(65,30) NOT NULL,
    "source" TEXT NOT NULL,
    "observed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "index_price_pkey" PRIMARY KEY ("asset_symbol")
);

-- CreateTable
CREATE TABLE "price_history" (
    "id" BIGSERIAL NOT NULL,
    "asset_symbol" TEXT NOT NULL,
    "price" DECIMAL(65,30) NOT NULL,
    "source" TEXT NOT NULL,
    "observed_at" TIMESTAMPTZ(3) NOT NULL,

    CONSTRAINT "price_history_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "portfolio_margin_params" (
    "asset_symbol" TEXT NOT NULL,
    "price_scan_range" DECIMAL(65,30) NOT NULL,
    "vol_scan_range" DECIMAL(65,30) NOT NULL,
    "extreme_move_multiple" DECIMAL(65,30) NOT NULL,
    "extreme_move_coverage" DECIMAL(65,30) NOT NULL,
    "short_option_minimum" DECIMAL(65,30) NOT NULL,
    "maintenance_fraction" DECIMAL(65,30) NOT NULL,

    CONSTRAINT "portfolio_margin_params_pkey" PRIMARY KEY ("asset_symbol")
);

-- CreateTable
CREATE TABLE "account" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "broker_id" UUID NOT NULL,
    "external_ref" TEXT NOT NULL,
    "margin_mode" "MarginMode" NOT NULL DEFAULT 'CROSS',
    "status" "AccountStatus" NOT NULL DEFAULT 'ACTIVE',
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "account_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "balance" (
    "account_id" UUID NOT NULL,
    "asset_symbol" TEXT NOT NULL,
    "amount" DECIMAL(65,30) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "balance_pkey" PRIMARY KEY ("account_id","asset_symbol")
);

-- CreateTable
CREATE TABLE "position" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "account_id" UUID NOT NULL,
    "market_symbol" TEXT NOT NULL,
    "size" DECIMAL(65,30) NOT NULL,
    "entry_price" DECIMAL(65,30) NOT NULL,
    "realized_pnl" DECIMAL(65,30) NOT NULL DEFAULT 0,
    "funding_index" DECIMAL(65,30) NOT NULL DEFAULT 0,
    "margin_type" "MarginType" NOT NULL DEFAULT 'CROSS',
    "isolated_margin" DECIMAL(65,30) NOT NULL DEFAULT 0,
    "leverage" DECIMAL(65,30),
    "version" INTEGER NOT NULL DEFAULT 1,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "position_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "insurance_fund" (
    "asset_symbol" TEXT NOT NULL,
    "balance" DECIMAL(65,30) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "insurance_fund_pkey" PRIMARY KEY ("asset_symbol")
);

-- CreateTable
CREATE TABLE "ledger_entry" (
    "id" BIGSERIAL NOT NULL,
    "account_id" UUID NOT NULL,
    "asset_symbol" TEXT NOT NULL,
    "kind" "LedgerKind" NOT NULL,
    "amount" DECIMAL(65,30) NOT NULL,
    "reference" TEXT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ledger_entry_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "idempotency_record" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "scope" TEXT NOT NULL,
    "key" TEXT NOT NULL,
    "operation" TEXT NOT NULL,
    "request_hash" TEXT NOT NULL,
    "response" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "idempotency_record_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "audit_event" (
    "id" BIGSERIAL NOT NULL,
    "api_key_id" UUID,
    "broker_id" UUID,
    "role" "ApiRole",
    "action" TEXT NOT NULL,
    "account_id" UUID,
    "request_id" TEXT NOT NULL,
    "before" JSONB,
    "after" JSONB,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "audit_event_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "broker_name_key" ON "broker"("name");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_prefix_key" ON "api_key"("prefix");

-- CreateIndex
CREATE INDEX "api_key_broker_id_idx" ON "api_key"("broker_id");

-- CreateIndex
CREATE INDEX "market_base_asset_idx" ON "market"("base_asset");

-- CreateIndex
CREATE UNIQUE INDEX "margin_tier_market_symbol_tier_index_key" ON "margin_tier"("market_symbol", "tier_index");

-- CreateIndex
CREATE UNIQUE INDEX "price_history_asset_symbol_observed_at_key" ON "price_history"("asset_symbol", "observed_at");

-- CreateIndex
CREATE UNIQUE INDEX "account_broker_id_external_ref_key" ON "account"("broker_id", "external_ref");

-- CreateIndex
CREATE INDEX "account_broker_id_id_idx" ON "account"("broker_id", "id");

-- CreateIndex
CREATE UNIQUE INDEX "position_account_id_market_symbol_key" ON "position"("account_id", "market_symbol");

-- CreateIndex
CREATE INDEX "position_market_symbol_idx" ON "position"("market_symbol");

-- CreateIndex
CREATE INDEX "ledger_entry_account_id_asset_symbol_idx" ON "ledger_entry"("account_id", "asset_symbol");

-- CreateIndex
CREATE UNIQUE INDEX "idempotency_record_scope_key_key" ON "idempotency_record"("scope", "key");

-- CreateIndex
CREATE INDEX "audit_event_account_id_created_at_idx" ON "audit_event"("account_id", "created_at");

-- AddForeignKey
ALTER TABLE "api_key" ADD CONSTRAINT "api_key_broker_id_fkey" FOREIGN KEY ("broker_id") REFERENCES "broker"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "market" ADD CONSTRAINT "market_base_asset_fkey" FOREIGN KEY ("base_asset") REFERENCES "asset"("symbol") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "market" ADD CONSTRAINT "market_quote_asset_fkey" FOREIGN KEY ("quote_asset") REFERENCES "asset"("symbol") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "market" ADD CONSTRAINT "market_settlement_asset_fkey" FOREIGN KEY ("settlement_asset") REFERENCES "asset"("symbol") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "margin_tier" ADD CONSTRAINT "margin_tier_market_symbol_fkey" FOREIGN KEY ("market_symbol") REFERENCES "market"("symbol") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "mark_price" ADD CONSTRAINT "mark_price_market_symbol_fkey" FOREIGN KEY ("market_symbol") REFERENCES "market"("symbol") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "index_price" ADD CONSTRAINT "index_price_asset_symbol_fkey" FOREIGN KEY ("asset_symbol") REFERENCES "asset"("symbol") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "price_history" ADD CONSTRAINT "price_history_asset_symbol_fkey" FOREIGN KEY ("asset_symbol") REFERENCES "asset"("symbol") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "portfolio_margin_params" ADD CONSTRAINT "portfolio_margin_params_asset_symbol_fkey" FOREIGN KEY ("asset_symbol") REFERENCES "asset"("symbol") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "account" ADD CONSTRAINT "account_broker_id_fkey" FOREIGN KEY ("broker_id") REFERENCES "broker"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "balance" ADD CONSTRAINT "balance_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "balance" ADD CONSTRAINT "balance_asset_symbol_fkey" FOREIGN KEY ("asset_symbol") REFERENCES "asset"("symbol") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "position" ADD CONSTRAINT "position_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "position" ADD CONSTRAINT "position_market_symbol_fkey" FOREIGN KEY ("market_symbol") REFERENCES "market"("symbol") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "insurance_fund" ADD CONSTRAINT "insurance_fund_asset_symbol_fkey" FOREIGN KEY ("asset_symbol") REFERENCES "asset"("symbol") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "ledger_entry" ADD CONSTRAINT "ledger_entry_asset_symbol_fkey" FOREIGN KEY ("asset_symbol") REFERENCES "asset"("symbol") ON DELETE RESTRICT ON UPDATE CASCADE;
