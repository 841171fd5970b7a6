-- Version of the market data a risk snapshot reads (src/store/snapshot.repository.ts): markets, tiers, mark prices,
-- assets, index prices, portfolio-margin parameters and price history. Every statement that writes one of those
-- tables sets it to a fresh value of a sequence (statement-level triggers, in the writer's transaction), so two read
-- snapshots that see the same version see the same rows of those tables. Writers serialize on the single row, so a
-- later committed change always carries a different version; a sequence value is never reused, even if the row is
-- deleted. Open interest (positions) is not covered: readers fetch it on every read.
CREATE SEQUENCE "market_data_version_seq";

CREATE TABLE "market_data_version" (
    "id" INTEGER NOT NULL DEFAULT 1,
    "version" BIGINT NOT NULL DEFAULT nextval('market_data_version_seq'),
    CONSTRAINT "market_data_version_pkey" PRIMARY KEY ("id"),
    CONSTRAINT "market_data_version_singleton" CHECK ("id" = 1)
);

INSERT INTO "market_data_version" ("id") VALUES (1);

CREATE FUNCTION "bump_market_data_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "market_data_version" ("id", "version") VALUES (1, nextval('market_data_version_seq'))
  ON CONFLICT ("id") DO UPDATE SET "version" = EXCLUDED."version";
  RETURN NULL;
END
$$;

CREATE TRIGGER "market_bump_market_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "market"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_market_data_version"();
CREATE TRIGGER "margin_tier_bump_market_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "margin_tier"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_market_data_version"();
CREATE TRIGGER "mark_price_bump_market_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "mark_price"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_market_data_version"();
CREATE TRIGGER "asset_bump_market_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "asset"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_market_data_version"();
CREATE TRIGGER "index_price_bump_market_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "index_price"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_market_data_version"();
CREATE TRIGGER "portfolio_margin_params_bump_market_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "portfolio_margin_params"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_market_data_version"();
CREATE TRIGGER "price_history_bump_market_data_version" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON "price_history"
  FOR EACH STATEMENT EXECUTE FUNCTION "bump_market_data_version"();
