-- Threshold crossings: an account's margin ratio (ratio key) crossed a venue-configured threshold between the
-- evaluation its account_risk row replaced (prior_ratio_key) and the new one, recorded by the same upsert statement
-- as the status changes (exactly once under racing evaluators, by the same row lock).
ALTER TYPE "RiskEventKind" ADD VALUE 'THRESHOLD_CROSSING';

CREATE TYPE "RiskEventDirection" AS ENUM ('UP', 'DOWN');

ALTER TABLE "risk_event" ADD COLUMN "threshold" DECIMAL(65,30);
ALTER TABLE "risk_event" ADD COLUMN "direction" "RiskEventDirection";
ALTER TABLE "risk_event" ADD COLUMN "prior_ratio_key" DECIMAL(65,30);
