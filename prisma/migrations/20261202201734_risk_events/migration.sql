-- Risk events (issue 22, item 3): status transitions of account_risk rows, recorded by the one writer of those rows
-- (upsertAccountRisk) in the same statement as the row write. The row keeps the status and ratio key it replaced
-- (prior_status, prior_ratio_key: the last evaluated ones, skipping failed evaluations), set under the row lock of the
-- upsert, so concurrent evaluators of one account see each other's writes and a transition is recorded exactly once.
CREATE TYPE "RiskEventKind" AS ENUM ('STATUS_CHANGE');

ALTER TABLE "account_risk" ADD COLUMN "prior_status" "RiskStatus";
ALTER TABLE "account_risk" ADD COLUMN "prior_ratio_key" DECIMAL(65,30);

CREATE TABLE "risk_event" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "seq" BIGSERIAL NOT NULL,
    "account_id" UUID NOT NULL,
    "broker_id" UUID NOT NULL,
    "kind" "RiskEventKind" NOT NULL,
    "from_status" "RiskStatus",
    "to_status" "RiskStatus" NOT NULL,
    "margin_ratio" DECIMAL(65,30),
    "ratio_key" DECIMAL(65,30) NOT NULL,
    "account_version" INTEGER NOT NULL,
    "market_data_version" BIGINT NOT NULL,
    "parameter_version" BIGINT,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "risk_event_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "risk_event_seq_key" ON "risk_event"("seq");
CREATE INDEX "risk_event_account_id_seq_idx" ON "risk_event"("account_id", "seq" DESC);
CREATE INDEX "risk_event_broker_id_seq_idx" ON "risk_event"("broker_id", "seq" DESC);

ALTER TABLE "risk_event" ADD CONSTRAINT "risk_event_account_id_fkey" FOREIGN KEY ("account_id") REFERENCES "account"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "risk_event" ADD CONSTRAINT "risk_event_broker_id_fkey" FOREIGN KEY ("broker_id") REFERENCES "broker"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
