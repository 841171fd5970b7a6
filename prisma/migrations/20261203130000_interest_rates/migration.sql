-- Interest rates per asset (issue 19, items 3 and 4), set by the ORACLE mutation updateInterestRates. Option
-- valuation (Black-Scholes-Merton) reads the quote asset's rate as the risk-free rate r and the underlying (base)
-- asset's rate as its carry / dividend yield q; an asset without a row has rate 0 (Black-76 undiscounted, the
-- behaviour before rates existed). Rates are continuously compounded, annualized fractions (0.05 = 5% a year).
-- A market-data table: writes bump market_data_version like the other tables read by risk snapshots.
CREATE TABLE "interest_rate" (
    "asset_symbol" TEXT NOT NULL,
    "rate" DECIMAL(65,30) NOT NULL,
    "observed_at" TIMESTAMPTZ(3) NOT NULL,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT "interest_rate_pkey" PRIMARY KEY ("asset_symbol"),
    CONSTRAINT "interest_rate_rate_bounded" CHECK (abs("rate") <= 1)
);

ALTER TABLE "interest_rate" ADD CONSTRAINT "interest_rate_asset_symbol_fkey" FOREIGN KEY ("asset_symbol")
    REFERENCES "asset"("symbol") ON DELETE CASCADE ON UPDATE CASCADE;

CREATE TRIGGER "interest_rate_bump_market_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "interest_rate"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_market_data_version"();
