/** GraphQL documents and small helpers shared by the write tests. */
import type { ApiHarness, KeyName } from './api-server';

const ERRORS = `userErrors { field code message }`;

export const MUTATIONS = {
  createAccount: `mutation($input: CreateAccountInput!) { createAccount(input: $input) { ${ERRORS} account { id brokerId externalRef marginMode version } } }`,
  deposit: `mutation($input: DepositInput!) { deposit(input: $input) { ${ERRORS} account { id version } balance { asset { symbol } amount } ledgerEntry { id kind amount reference asset { symbol } } } }`,
  withdraw: `mutation($input: WithdrawInput!) { withdraw(input: $input) { ${ERRORS} account { id version } balance { amount } ledgerEntry { id kind amount } freeCollateral } }`,
  applyFill: `mutation($input: ApplyFillInput!) { applyFill(input: $input) { ${ERRORS} account { id version } position { id size entryPrice realizedPnl marginType isolatedMargin market { symbol } } realizedPnl ledgerEntries { kind amount asset { symbol } } freeCollateral } }`,
  transferIsolatedMargin: `mutation($input: TransferIsolatedMarginInput!) { transferIsolatedMargin(input: $input) { ${ERRORS} position { size isolatedMargin marginType } balance { amount } ledgerEntry { kind amount } freeCollateral } }`,
  setLeverage: `mutation($input: SetLeverageInput!) { setLeverage(input: $input) { ${ERRORS} account { id version } position { size leverage marginType isolatedMargin market { symbol } } ledgerEntries { kind amount asset { symbol } } freeCollateral } }`,
  setMarginMode: `mutation($input: SetMarginModeInput!) { setMarginMode(input: $input) { ${ERRORS} account { id version marginMode } freeCollateral } }`,
  updatePrices: `mutation($input: UpdatePricesInput!) { updatePrices(input: $input) { ${ERRORS} marks { symbol price observedAt source applied } indexes { symbol price observedAt source applied } } }`,
  upsertMarket: `mutation($input: UpsertMarketInput!) { upsertMarket(input: $input) { ${ERRORS} created market { symbol kind contractType tickSize status liquidationFeeRate bookDepth tiers { tierIndex notionalFloor notionalCap initialMarginRate maintenanceMarginRate maintenanceAmount } } } }`,
  setMarginTiers: `mutation($input: SetMarginTiersInput!) { setMarginTiers(input: $input) { ${ERRORS} market { symbol } tiers { tierIndex notionalFloor notionalCap initialMarginRate maintenanceMarginRate maintenanceAmount } } }`,
  createApiKey: `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { ${ERRORS} key apiKey { id role brokerId label prefix revokedAt } } }`,
  revokeApiKey: `mutation($input: RevokeApiKeyInput!) { revokeApiKey(input: $input) { ${ERRORS} apiKey { id revokedAt } } }`,
} as const;

export type MutationName = keyof typeof MUTATIONS;

let counter = 0;
/** A fresh idempotency key. */
export function newKey(label = 'k'): string {
  counter += 1;
  return `${label}-${process.pid}-${Date.now()}-${counter}`;
}

/** Runs a mutation as `who`; returns the payload, the raw response for errors. */
export async function mutate(
  api: ApiHarness,
  who: KeyName | { key: string },
  name: MutationName,
  input: Record<string, unknown>,
): Promise<{ payload: any; res: Awaited<ReturnType<ApiHarness['gql']>> }> {
  const res = await api.gqlAs(who, MUTATIONS[name], { input: { idempotencyKey: newKey(name), ...input } });
  return { payload: res.data?.[name] ?? null, res };
}

/** Runs a mutation and expects it to succeed (no errors, no userErrors). */
export async function ok(api: ApiHarness, who: KeyName | { key: string }, name: MutationName, input: Record<string, unknown>): Promise<any> {
  const { payload, res } = await mutate(api, who, name, input);
  if (res.errors || !payload || payload.userErrors.length > 0) {
    throw new Error(`${name} failed: ${JSON.stringify(res.errors ?? payload?.userErrors)}`);
  }
  return payload;
}

/** Sets round prices so that margins are easy to state exactly. */
export async function setPrices(api: ApiHarness, marks: Record<string, string>, indexes: Record<string, string> = {}): Promise<void> {
  const observedAt = new Date().toISOString();
  await ok(api, 'oracle', 'updatePrices', {
    marks: Object.entries(marks).map(([market, price]) => ({ market, price, observedAt })),
    indexes: Object.entries(indexes).map(([asset, price]) => ({ asset, price, observedAt })),
  });
}

/** Counts of every table a write touches: a refused write must leave them all unchanged. */
export async function writeCounts(api: ApiHarness): Promise<Record<string, string>> {
  const { rows } = await api.database.db.pool.query(
    `SELECT (SELECT count(*) FROM ledger_entry)::text AS ledger, (SELECT count(*) FROM audit_event)::text AS audit,
            (SELECT count(*) FROM idempotency_record)::text AS idempotency, (SELECT count(*) FROM account)::text AS accounts,
            (SELECT coalesce(sum(amount), 0)::text FROM balance) AS balances,
            (SELECT coalesce(sum(size), 0)::text || '/' || count(*)::text FROM position) AS positions,
            (SELECT count(*) FROM api_key)::text AS keys, (SELECT count(*) FROM margin_tier)::text AS tiers,
            (SELECT string_agg(price::text || observed_at::text, ',' ORDER BY market_symbol) FROM mark_price) AS marks,
            (SELECT string_agg(price::text || observed_at::text, ',' ORDER BY asset_symbol) FROM index_price) AS indexes,
            (SELECT count(*) FROM market)::text AS markets`,
  );
  return rows[0];
}
