-- Webhooks for brokers (issue 22, item 4): endpoints registered per broker (ADMIN) and one delivery row per
-- (endpoint, risk event). Deliveries are enqueued by a trigger on risk_event, so they are written in the transaction
-- that records the event (exactly once per ACTIVE endpoint of the event's broker, nothing lost across crashes); the
-- delivery worker (src/monitoring/webhook-delivery.ts) claims due rows with FOR UPDATE SKIP LOCKED.
CREATE TYPE "WebhookStatus" AS ENUM ('ACTIVE', 'DISABLED');
CREATE TYPE "WebhookDeliveryStatus" AS ENUM ('PENDING', 'DELIVERED', 'FAILED');

CREATE TABLE "webhook_endpoint" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "broker_id" UUID NOT NULL,
    "url" TEXT NOT NULL,
    -- HMAC-SHA256 signing secret as given (it must be used to sign); never returned after creation.
    "secret" TEXT NOT NULL,
    "description" TEXT NOT NULL,
    -- JSON array of RiskEventKind names delivered; null: every kind.
    "event_kinds" JSONB,
    "status" "WebhookStatus" NOT NULL DEFAULT 'ACTIVE',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updated_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_endpoint_pkey" PRIMARY KEY ("id")
);

CREATE INDEX "webhook_endpoint_broker_id_status_idx" ON "webhook_endpoint"("broker_id", "status");

ALTER TABLE "webhook_endpoint" ADD CONSTRAINT "webhook_endpoint_broker_id_fkey" FOREIGN KEY ("broker_id") REFERENCES "broker"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

CREATE TABLE "webhook_delivery" (
    "id" UUID NOT NULL DEFAULT gen_random_uuid(),
    "seq" BIGSERIAL NOT NULL,
    "endpoint_id" UUID NOT NULL,
    "event_id" UUID NOT NULL,
    "status" "WebhookDeliveryStatus" NOT NULL DEFAULT 'PENDING',
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "next_attempt_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_status_code" INTEGER,
    "last_error" TEXT,
    "last_attempt_at" TIMESTAMPTZ(3),
    "delivered_at" TIMESTAMPTZ(3),
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "webhook_delivery_pkey" PRIMARY KEY ("id")
);

CREATE UNIQUE INDEX "webhook_delivery_seq_key" ON "webhook_delivery"("seq");
CREATE UNIQUE INDEX "webhook_delivery_endpoint_id_event_id_key" ON "webhook_delivery"("endpoint_id", "event_id");
CREATE INDEX "webhook_delivery_endpoint_id_seq_idx" ON "webhook_delivery"("endpoint_id", "seq" DESC);
-- The worker's claim: due PENDING rows in due order.
CREATE INDEX "webhook_delivery_pending_idx" ON "webhook_delivery"("next_attempt_at") WHERE "status" = 'PENDING';

ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_endpoint_id_fkey" FOREIGN KEY ("endpoint_id") REFERENCES "webhook_endpoint"("id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "webhook_delivery" ADD CONSTRAINT "webhook_delivery_event_id_fkey" FOREIGN KEY ("event_id") REFERENCES "risk_event"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- One delivery per ACTIVE endpoint of the event's broker whose kind filter admits the event, in the event's
-- transaction.
CREATE FUNCTION "webhook_enqueue_deliveries"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO "webhook_delivery" ("endpoint_id", "event_id")
  SELECT e."id", NEW."id"
    FROM "webhook_endpoint" e
   WHERE e."broker_id" = NEW."broker_id"
     AND e."status" = 'ACTIVE'
     AND (e."event_kinds" IS NULL OR e."event_kinds" ? NEW."kind"::text)
  ON CONFLICT ("endpoint_id", "event_id") DO NOTHING;
  RETURN NULL;
END;
$$;

CREATE TRIGGER "risk_event_webhook_deliveries" AFTER INSERT ON "risk_event"
  FOR EACH ROW EXECUTE FUNCTION "webhook_enqueue_deliveries"();
