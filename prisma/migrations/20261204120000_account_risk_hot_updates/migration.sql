-- Heap-only (HOT) updates of account_risk (issue 22, the tick's write path). A tick rewrites every exposed account's
-- row, and every column it changes (ratio key, total notional, evaluation time) was indexed, so each update wrote a
-- new entry into all four indexes. Now the row's only indexed columns are account_id and ratio_bucket, a coarse
-- logarithmic bucket of the ratio key (1% wide) that a price tick rarely moves; with room left on each page (fill
-- factor 50) an update whose bucket is unchanged is HOT and writes no index entry at all.
--
-- accountsAtRisk pages by (ratio_bucket DESC, ratio_key DESC, account_id DESC): the same order as (ratio_key DESC,
-- account_id DESC), because the bucket never decreases as the ratio key grows; the index gives the buckets in order
-- and the rows of a bucket are sorted (an incremental sort). The oldest evaluation and the largest exposures are read
-- by scanning the table, as the riskSummary totals already are.

-- The bucket of a ratio key: −100000 for an evaluation error (−1), −99999 for 0, ⌊100·ln(k)⌋ for k > 0 (the unbounded
-- key 1e18 included). Non-decreasing in k.
CREATE FUNCTION account_risk_bucket(ratio_key numeric) RETURNS integer
  LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
  AS $$ SELECT CASE WHEN ratio_key < 0 THEN -100000 WHEN ratio_key = 0 THEN -99999 ELSE floor(ln(ratio_key) * 100)::integer END $$;

ALTER TABLE "account_risk" ADD COLUMN "ratio_bucket" INTEGER NOT NULL DEFAULT 0;
UPDATE "account_risk" SET "ratio_bucket" = account_risk_bucket("ratio_key");

DROP INDEX "account_risk_ratio_key_account_id_idx";
DROP INDEX "account_risk_total_notional_idx";
DROP INDEX "account_risk_evaluated_at_idx";

-- CreateIndex
CREATE INDEX "account_risk_ratio_bucket_account_id_idx" ON "account_risk"("ratio_bucket" DESC, "account_id" DESC);

ALTER TABLE "account_risk" SET (fillfactor = 50);
