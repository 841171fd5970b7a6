-- Notional basis of a market's maintenance margin: MARK (DESIGN section 4, the default) or ENTRY (Bybit's convention:
-- MM on the entry notional, so the isolated liquidation price is entry - (IM - MM)/qty).
ALTER TABLE "market" ADD COLUMN "maintenance_basis" TEXT NOT NULL DEFAULT 'MARK';
ALTER TABLE "market" ADD CONSTRAINT "market_maintenance_basis_check" CHECK ("maintenance_basis" IN ('MARK', 'ENTRY'));
