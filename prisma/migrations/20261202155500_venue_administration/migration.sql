-- Venue administration (issue 19).
-- Whether an asset may be borrowed (a negative balance); every existing asset keeps today's behaviour (borrowable).
ALTER TABLE "asset" ADD COLUMN "borrowable" BOOLEAN NOT NULL DEFAULT true;

-- Settlement of a market: the price every open position was closed at, and when (both set, or neither).
ALTER TABLE "market" ADD COLUMN "settlement_price" DECIMAL(65,30);
ALTER TABLE "market" ADD COLUMN "settled_at" TIMESTAMPTZ(3);
ALTER TABLE "market" ADD CONSTRAINT "market_settlement_check"
  CHECK (("settlement_price" IS NULL) = ("settled_at" IS NULL) AND ("settlement_price" IS NULL OR "status" = 'SETTLED'));

-- Every change of an insurance fund's balance: Σ amount per asset = the fund's balance.
CREATE TABLE "insurance_fund_entry" (
    "id" BIGSERIAL NOT NULL,
    "asset_symbol" TEXT NOT NULL,
    "amount" DECIMAL(65,30) NOT NULL,
    "balance_after" DECIMAL(65,30) NOT NULL,
    "reason" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "insurance_fund_entry_pkey" PRIMARY KEY ("id")
);
CREATE INDEX "insurance_fund_entry_asset_symbol_id_idx" ON "insurance_fund_entry"("asset_symbol", "id");
ALTER TABLE "insurance_fund_entry" ADD CONSTRAINT "insurance_fund_entry_asset_symbol_fkey"
  FOREIGN KEY ("asset_symbol") REFERENCES "asset"("symbol") ON DELETE RESTRICT ON UPDATE CASCADE;
