-- Risk-parameter versions (issue 19, item 7): every ADMIN change of a risk parameter (markets' engine parameters,
-- margin tiers, asset weights, portfolio-margin parameters) writes a row in its own transaction holding the whole
-- parameter set after the change, so a figure computed under a version can be reproduced later.
CREATE TABLE "risk_parameter_version" (
    "id" BIGSERIAL NOT NULL,
    "action" TEXT NOT NULL,
    "request_id" TEXT NOT NULL,
    "api_key_id" UUID,
    "parameters" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "risk_parameter_version_pkey" PRIMARY KEY ("id")
);
