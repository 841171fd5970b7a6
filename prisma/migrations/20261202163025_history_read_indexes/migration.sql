-- Keyset pages of the history reads (Account.ledger, auditEvents): an account's ledger entries in id order, and the
-- audit log by API key or by broker in id order, each one index range scan whatever the size of the table.
CREATE INDEX "ledger_entry_account_id_id_idx" ON "ledger_entry"("account_id", "id");
CREATE INDEX "audit_event_api_key_id_id_idx" ON "audit_event"("api_key_id", "id");
CREATE INDEX "audit_event_broker_id_id_idx" ON "audit_event"("broker_id", "id");
