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

-- Statement-level triggers with transition tables: one aggregate per statement and (market, slot), so a bulk load
-- costs one grouped upsert, not one per row. sign = 1 for rows added (new_rows), −1 for rows removed (old_rows); each
-- event has its own trigger (a trigger names the transition tables of its event) and the function reads only those
-- of the event that fired it.
CREATE FUNCTION "track_market_open_interest"() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed TEXT := CASE TG_OP
    WHEN 'INSERT' THEN 'SELECT market_symbol, account_id, size, 1 AS sign FROM new_rows'
    WHEN 'DELETE' THEN 'SELECT market_symbol, account_id, size, -1 AS sign FROM old_rows'
    ELSE 'SELECT market_symbol, account_id, size, 1 AS sign FROM new_rows
          UNION ALL SELECT market_symbol, account_id, size, -1 AS sign FROM old_rows'
  END;
BEGIN
  EXECUTE 'INSERT INTO "market_open_interest" AS oi ("market_symbol", "slot", "long_size", "short_size", "positions")
    SELECT d.market_symbol, hashtext(d.account_id::text) & 15, sum(d.sign * greatest(d.size, 0)),
           sum(d.sign * greatest(-d.size, 0)), sum(CASE WHEN d.size <> 0 THEN d.sign ELSE 0 END)
      FROM (' || changed || ') d
     GROUP BY 1, 2
    HAVING sum(d.sign * greatest(d.size, 0)) <> 0 OR sum(d.sign * greatest(-d.size, 0)) <> 0
        OR sum(CASE WHEN d.size <> 0 THEN d.sign ELSE 0 END) <> 0
    ON CONFLICT ("market_symbol", "slot") DO UPDATE SET
      "long_size" = oi."long_size" + EXCLUDED."long_size",
      "short_size" = oi."short_size" + EXCLUDED."short_size",
      "positions" = oi."positions" + EXCLUDED."positions"';
  RETURN NULL;
END
$$;

CREATE TRIGGER "position_insert_market_open_interest" AFTER INSERT ON "position"
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "track_market_open_interest"();
CREATE TRIGGER "position_update_market_open_interest" AFTER UPDATE ON "position"
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "track_market_open_interest"();
CREATE TRIGGER "position_delete_market_open_interest" AFTER DELETE ON "position"
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION "track_market_open_interest"();

-- TRUNCATE fires none of those triggers: it empties the totals with the positions.
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
