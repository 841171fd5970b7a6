/** Reads of the ledger: an account's entries, oldest first, by keyset pages on the entry id. */
import type { LedgerKind, LedgerEntryRecord } from './records';
import { toDecimal } from './records';
import type { Queryable } from './queryable';
import { keysetSql, type KeysetPage } from './keyset';

export interface LedgerListFilter {
  readonly kinds: readonly LedgerKind[] | null;
  readonly asset: string | null;
  /** createdAt ≥ from. */
  readonly from: Date | null;
  /** createdAt < to. */
  readonly to: Date | null;
}

/** A ledger_entry row as selected (every column). */
export interface LedgerRow {
  id: string;
  account_id: string;
  asset_symbol: string;
  kind: LedgerKind;
  amount: string;
  reference: string | null;
  created_at: Date;
}

/**
 * A page of the account's entries in id order (the order they were written), beyond `page.cursor` (an entry id) in
 * its direction, or with `side: 'OTHER_SIDE'` at or behind it (src/store/keyset.ts).
 */
export async function pageLedger(
  q: Queryable,
  args: { accountId: string; filter: LedgerListFilter; page: KeysetPage<string>; side?: 'BEYOND' | 'OTHER_SIDE' },
): Promise<LedgerEntryRecord[]> {
  const values: unknown[] = [args.accountId];
  const where = ['account_id = $1::uuid'];
  const add = (clause: string, value: unknown) => {
    values.push(value);
    where.push(clause.replace('?', `$${values.length}`));
  };
  if (args.filter.kinds && args.filter.kinds.length) add('kind = ANY(?::"LedgerKind"[])', args.filter.kinds);
  if (args.filter.asset !== null) add('asset_symbol = ?', args.filter.asset);
  if (args.filter.from !== null) add('created_at >= ?', args.filter.from);
  if (args.filter.to !== null) add('created_at < ?', args.filter.to);
  if (args.page.cursor !== null) values.push(args.page.cursor);
  const keyset = keysetSql(args.page.direction, 'id', args.page.cursor !== null ? `$${values.length}::bigint` : null, args.side ?? 'BEYOND');
  if (keyset.where) where.push(keyset.where);
  values.push(args.page.limit);
  const { rows } = await q.query<LedgerRow>(
    `SELECT id, account_id, asset_symbol, kind, amount, reference, created_at FROM ledger_entry
      WHERE ${where.join(' AND ')} ORDER BY ${keyset.orderBy} LIMIT $${values.length}`,
    values,
  );
  return rows.map(toLedgerEntry);
}

/** A ledger_entry row as its record (the amount as a decimal, the id as text). */
export function toLedgerEntry(row: LedgerRow): LedgerEntryRecord {
  return {
    id: String(row.id),
    accountId: row.account_id,
    assetSymbol: row.asset_symbol,
    kind: row.kind,
    amount: toDecimal(row.amount),
    reference: row.reference,
    createdAt: row.created_at,
  };
}
