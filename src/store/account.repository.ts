/** Accounts with their balances and positions (raw SQL over the request's snapshot). */
import type { AccountRecord, AccountStatus, BalanceRecord, MarginMode, PositionRecord } from './records';
import type { DecimalClass } from './decimal-text';
import { toDecimal, toDecimalOrNull } from './records';
import type { Queryable } from './queryable';
import { keysetSql, type KeysetPage } from './keyset';

export const ACCOUNT_COLUMNS = `id, broker_id, external_ref, margin_mode, status, version, created_at, updated_at`;

export interface AccountRow {
  id: string;
  broker_id: string;
  external_ref: string;
  margin_mode: MarginMode;
  status: AccountStatus;
  version: number;
  created_at: Date;
  updated_at: Date;
}

export function toAccount(row: AccountRow): AccountRecord {
  return {
    id: row.id,
    brokerId: row.broker_id,
    externalRef: row.external_ref,
    marginMode: row.margin_mode,
    status: row.status,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** True when `id` can be an account id (a UUID); anything else cannot exist, so callers answer "not found". */
export function isAccountId(id: string): boolean {
  return UUID_PATTERN.test(id);
}

export async function accountsByIds(q: Queryable, ids: readonly string[]): Promise<Map<string, AccountRecord>> {
  const valid = ids.filter(isAccountId);
  if (valid.length === 0) return new Map();
  const { rows } = await q.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM account WHERE id = ANY($1::uuid[])`, [valid]);
  return new Map(rows.map((row) => [row.id, toAccount(row)]));
}

export interface AccountListFilter {
  readonly brokerId?: string | null;
  readonly marginMode?: MarginMode | null;
  readonly status?: AccountStatus | null;
  readonly externalRef?: string | null;
}

/**
 * Keyset page of accounts ordered by id: `page.limit` rows beyond `page.cursor` (an id) in its direction, or with
 * `side: 'OTHER_SIDE'` the rows at or behind it (src/store/keyset.ts).
 */
export async function listAccounts(
  q: Queryable,
  args: { page: KeysetPage<string>; filter: AccountListFilter; side?: 'BEYOND' | 'OTHER_SIDE' },
): Promise<AccountRecord[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    values.push(value);
    where.push(clause.replace('?', `$${values.length}`));
  };
  if (args.filter.brokerId) add('broker_id = ?::uuid', args.filter.brokerId);
  if (args.filter.marginMode) add('margin_mode = ?::"MarginMode"', args.filter.marginMode);
  if (args.filter.status) add('status = ?::"AccountStatus"', args.filter.status);
  if (args.filter.externalRef) add('external_ref = ?', args.filter.externalRef);
  if (args.page.cursor !== null) values.push(args.page.cursor);
  const keyset = keysetSql(args.page.direction, 'id', args.page.cursor !== null ? `$${values.length}::uuid` : null, args.side ?? 'BEYOND');
  if (keyset.where) where.push(keyset.where);
  values.push(args.page.limit);
  const { rows } = await q.query<AccountRow>(
    `SELECT ${ACCOUNT_COLUMNS} FROM account ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY ${keyset.orderBy} LIMIT $${values.length}`,
    values,
  );
  return rows.map(toAccount);
}

interface BalanceRow {
  account_id: string;
  asset_symbol: string;
  amount: string;
}

/** Balances per account (every asked id present), by asset; amounts are instances of `decimal` (default: the global Decimal). */
export async function balancesByAccounts(
  q: Queryable,
  accountIds: readonly string[],
  decimal?: DecimalClass,
): Promise<Map<string, BalanceRecord[]>> {
  const out = new Map<string, BalanceRecord[]>(accountIds.map((id) => [id, []]));
  const valid = accountIds.filter(isAccountId);
  if (valid.length === 0) return out;
  const { rows } = await q.query<BalanceRow>(
    `SELECT account_id, asset_symbol, amount FROM balance WHERE account_id = ANY($1::uuid[]) ORDER BY account_id, asset_symbol`,
    [valid],
  );
  for (const row of rows) {
    out.get(row.account_id)?.push({ accountId: row.account_id, assetSymbol: row.asset_symbol, amount: toDecimal(row.amount, decimal) });
  }
  return out;
}

export interface PositionRow {
  id: string;
  account_id: string;
  market_symbol: string;
  size: string;
  entry_price: string;
  realized_pnl: string;
  funding_index: string;
  margin_type: PositionRecord['marginType'];
  isolated_margin: string;
  leverage: string | null;
  version: number;
}

export function toPosition(row: PositionRow, decimal?: DecimalClass): PositionRecord {
  return {
    id: row.id,
    accountId: row.account_id,
    marketSymbol: row.market_symbol,
    size: toDecimal(row.size, decimal),
    entryPrice: toDecimal(row.entry_price, decimal),
    realizedPnl: toDecimal(row.realized_pnl, decimal),
    fundingIndex: toDecimal(row.funding_index, decimal),
    marginType: row.margin_type,
    isolatedMargin: toDecimal(row.isolated_margin, decimal),
    leverage: toDecimalOrNull(row.leverage, decimal),
    version: row.version,
  };
}

export const POSITION_COLUMNS = `id, account_id, market_symbol, size, entry_price, realized_pnl, funding_index, margin_type,
  isolated_margin, leverage, version`;

/** One position by id, flat (size 0) or not; null when there is none (or `id` is not a UUID). */
export async function positionById(q: Queryable, id: string): Promise<PositionRecord | null> {
  if (!isAccountId(id)) return null;
  const { rows } = await q.query<PositionRow>(`SELECT ${POSITION_COLUMNS} FROM position WHERE id = $1::uuid`, [id]);
  return rows[0] ? toPosition(rows[0]) : null;
}

/** Open positions (size ≠ 0) per account, ordered by market. */
export async function positionsByAccounts(
  q: Queryable,
  accountIds: readonly string[],
  decimal?: DecimalClass,
): Promise<Map<string, PositionRecord[]>> {
  const out = new Map<string, PositionRecord[]>(accountIds.map((id) => [id, []]));
  const valid = accountIds.filter(isAccountId);
  if (valid.length === 0) return out;
  const { rows } = await q.query<PositionRow>(
    `SELECT ${POSITION_COLUMNS} FROM position WHERE account_id = ANY($1::uuid[]) AND size <> 0 ORDER BY account_id, market_symbol`,
    [valid],
  );
  for (const row of rows) out.get(row.account_id)?.push(toPosition(row, decimal));
  return out;
}
