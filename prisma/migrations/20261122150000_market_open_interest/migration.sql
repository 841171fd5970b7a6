-- Open interest per market, kept by a trigger on position so that readers sum a few rows instead of every position
-- of a market: the risk snapshot of an account in an OI-capped market (its OI-scaled initial margin) and riskSummary's
-- per-market open interest read this table. Each market's totals are spread over 16 slots (by a hash of the
-- account id) so that concurrent fills in one market rarely wait on the same row; a reader sums the slots.
--   long_size  = Σ max(size, 0), short_size = Σ max(−size, 0), positions = count of non-zero positions (contracts).
CREATE TABLE "market_open_interest" (
    "market_symbol" TEXT NOT NULL,
    "slot" INTEGER NOT NULL,
    "long_size" DECIMAL(65,30) NOT NULL DEFAULT 0,
    "short_size" DECIMAL(65,30) NOT NULL DEFAULT 0,
    "positions" INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT "market_open_interest_pkey" PRIMARY KEY ("market_symbol", "slot"),
    CONSTRAINT "market_open_interest_slot_range" CHECK ("slot" >= 0 AND "slot" < 16)
);

-- Adds one position's contribution (sign = 1) or removes it (sign = −1).
CREATE FUNCTION "apply_market_open_interest"(p_market TEXT, p_account UUID, p_size NUMERIC, p_sign INTEGER) RETURNS void
LANGUAGE sql AS $$
  INSERT INTO "market_open_interest" AS oi ("market_symbol", "slot", "long_size", "short_size", "positions")
  VALUES (p_market, hashtext(p_account::text) & 15, p_sign * greatest(p_size, 0), p_sign * greatest(-p_size, 0),
          CASE WHEN p_size <> 0 THEN p_sign ELSE 0 END)
  ON CONFLICT ("market_symbol", "slot") DO UPDATE SET
    "long_size" = oi."long_size" + EXCLUDED."long_size",
    "short_size" = oi."short_size" + EXCLUDED."short_size",
    "positions" = oi."positions" + EXCLUDED."positions";
$$;

CREATE FUNCTION "track_market_open_interest"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'UPDATE' AND OLD."size" = NEW."size" AND OLD."market_symbol" = NEW."market_symbol" AND OLD."account_id" = NEW."account_id" THEN
    RETURN NULL;
  END IF;
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM "apply_market_open_interest"(OLD."market_symbol", OLD."account_id", OLD."size", -1);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') THEN
    PERFORM "apply_market_open_interest"(NEW."market_symbol", NEW."account_id", NEW."size", 1);
  END IF;
  RETURN NULL;
END
$$;

CREATE TRIGGER "position_track_market_open_interest"
  AFTER INSERT OR DELETE OR UPDATE OF "size", "market_symbol", "account_id" ON "position"
  FOR EACH ROW EXECUTE FUNCTION "track_market_open_interest"();

-- TRUNCATE fires no row trigger: it empties the totals with the positions.
CREATE FUNCTION "clear_market_open_interest"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM "market_open_interest";
  RETURN NULL;
END
$$;

CREATE TRIGGER "position_truncate_market_open_interest" AFTER TRUNCATE ON "position"
  FOR EACH STATEMENT EXECUTE FUNCTION "clear_market_open_interest"();

-- Backfill from the positions already stored.
INSERT INTO "market_open_interest" ("market_symbol", "slot", "long_size", "short_size", "positions")
SELECT "market_symbol", hashtext("account_id"::text) & 15, sum(greatest("size", 0)), sum(greatest(-"size", 0)),
       count(*) FILTER (WHERE "size" <> 0)
  FROM "position" GROUP BY 1, 2;
