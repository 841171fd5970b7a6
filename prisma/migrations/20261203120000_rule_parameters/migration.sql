-- Margin rule parameters of a market (issue 19, item 3a): the position-size add-on (Deribit style: the IM and MM
-- rates grow by k x |size|, k in rate per contract; both null = off) and the closing fee rate reserved in the
-- maintenance margin (the fee a liquidation pays to close, on the notional at the mark; 0 = off).
ALTER TABLE "market" ADD COLUMN "size_addon_initial" DECIMAL(65,30);
ALTER TABLE "market" ADD COLUMN "size_addon_maintenance" DECIMAL(65,30);
ALTER TABLE "market" ADD COLUMN "closing_fee_rate" DECIMAL(65,30) NOT NULL DEFAULT 0;
ALTER TABLE "market" ADD CONSTRAINT "market_size_addon_check" CHECK (
  ("size_addon_initial" IS NULL) = ("size_addon_maintenance" IS NULL)
  AND ("size_addon_initial" IS NULL OR ("size_addon_maintenance" >= 0 AND "size_addon_maintenance" <= "size_addon_initial"))
);
ALTER TABLE "market" ADD CONSTRAINT "market_closing_fee_rate_check" CHECK ("closing_fee_rate" >= 0);
