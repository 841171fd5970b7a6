-- Precomputed account risk for monitoring (issue 7): one row per account, written by the sweep
-- (src/monitoring/sweep.ts) and by refreshAccountRisk after a write. accountsAtRisk pages through it by
-- (ratio_key DESC, account_id DESC); riskSummary aggregates it.

-- CreateEnum
CREATE TYPE "RiskStatus" AS ENUM ('HEALTHY', 'RESTRICTED', 'LIQUIDATABLE', 'BANKRUPT');

-- CreateTable
CREATE TABLE "account_risk" (
    "account_id" UUID NOT NULL,
    "status" "RiskStatus",
    "margin_ratio" DECIMAL(65,30),
    "ratio_key" DECIMAL(65,30) NOT NULL,
    "equity" DECIMAL(65,30),
    "initial_margin_equity" DECIMAL(65,30),
    "margin_equity" DECIMAL(65,30),
    "initial_margin" DECIMAL(65,30),
    "maintenance_margin" DECIMAL(65,30),
    "free_collateral" DECIMAL(65,30),
    "total_notional" DECIMAL(65,30),
    "prices_as_of" TIMESTAMPTZ(3),
    "evaluated_at" TIMESTAMPTZ(3) NOT NULL,
    "error_code" TEXT,

    CONSTRAINT "account_risk_pkey" PRIMARY KEY ("account_id")
);

-- CreateIndex
CREATE INDEX "account_risk_ratio_key_account_id_idx" ON "account_risk"("ratio_key" DESC, "account_id" DESC);

-- CreateIndex
CREATE INDEX "account_risk_total_notional_idx" ON "account_risk"("total_notional" DESC);

-- CreateIndex
CREATE INDEX "account_risk_evaluated_at_idx" ON "account_risk"("evaluated_at");

-- AddForeignKey
ALTER TABLE "account_risk" ADD CONSTRAINT "account_risk_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
