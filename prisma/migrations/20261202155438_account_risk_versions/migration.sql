-- Ordering of account_risk rows by committed state instead of wall time (src/monitoring/account-risk.repository.ts):
-- each row records the account version and the market-data version its evaluation read, and an upsert replaces a
-- row only with an evaluation at least as new in (account_version, market_data_version, evaluated_at) order.
-- Rows written before this migration carry 0 / 0, so any later evaluation replaces them.
ALTER TABLE "account_risk"
    ADD COLUMN "account_version" INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN "market_data_version" BIGINT NOT NULL DEFAULT 0;

-- The market-data version is taken from the sequence while the writer holds the version row's lock (the DO UPDATE
-- branch runs after the row is locked), so versions increase in commit order: a read that sees a later committed
-- market-data write always sees a larger version. (The previous function took the value before waiting for the
-- lock, so two concurrent writers could commit their values in reverse order.)
CREATE OR REPLACE FUNCTION "bump_market_data_version"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "market_data_version" ("id", "version") VALUES (1, nextval('market_data_version_seq'))
  ON CONFLICT ("id") DO UPDATE SET "version" = nextval('market_data_version_seq');
  RETURN NULL;
END
$$;
