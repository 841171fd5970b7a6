/**
 * Writes to accounts, balances, positions and the ledger. Every function runs inside a write transaction
 * (src/store/write-transaction.ts) whose caller has locked the account row first (`lockAccount`), so the state read
 * here is the state the write applies to. Every balance change writes its ledger entry: Σ ledger = balance.
 */
import type Decimal from 'decimal.js';
import { ACCOUNT_COLUMNS, POSITION_COLUMNS, isAccountId, toAccount, toPosition, type AccountRow, type PositionRow } from './account.repository';
import type { AccountRecord, BalanceRecord, LedgerEntryRecord, LedgerKind, MarginMode, MarginType, PositionRecord } from './records';
import { toDecimal } from './records';
import type { Queryable } from './queryable';
import { toLedgerEntry, type LedgerRow } from './ledger.repository';

/**
 * The account row, locked FOR UPDATE until the transaction ends; null when the id does not exist or (with
 * `brokerId`) belongs to another broker. Tenancy is part of the locking statement: another broker's account is
 * never locked, so a refused write never waits on its row lock (no timing oracle, no lock waits added to it).
 */
export async function lockAccount(q: Queryable, id: string, brokerId: string | null = null): Promise<AccountRecord | null> {
  if (!isAccountId(id)) return null;
  const { rows } =
    brokerId === null
      ? await q.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM account WHERE id = $1 FOR UPDATE`, [id])
      : await q.query<AccountRow>(`SELECT ${ACCOUNT_COLUMNS} FROM account WHERE id = $1 AND broker_id = $2 FOR UPDATE`, [id, brokerId]);
  return rows[0] ? toAccount(rows[0]) : null;
}

/** Every write to an account bumps its version (clients can tell a changed account by it). */
export async function bumpAccountVersion(q: Queryable, id: string): Promise<AccountRecord> {
  const { rows } = await q.query<AccountRow>(
    `UPDATE account SET version = version + 1, updated_at = now() WHERE id = $1 RETURNING ${ACCOUNT_COLUMNS}`,
    [id],
  );
  return toAccount(rows[0]!);
}

/** Creates an account; null when the broker already has one with this external reference. */
export async function insertAccount(
  q: Queryable,
  args: { brokerId: string; externalRef: string; marginMode: MarginMode },
): Promise<AccountRecord | null> {
  const { rows } = await q.query<AccountRow>(
    `INSERT INTO account (broker_id, external_ref, margin_mode) VALUES ($1::uuid, $2, $3::"MarginMode")
     ON CONFLICT (broker_id, external_ref) DO NOTHING RETURNING ${ACCOUNT_COLUMNS}`,
    [args.brokerId, args.externalRef, args.marginMode],
  );
  return rows[0] ? toAccount(rows[0]) : null;
}

export async function balanceOf(q: Queryable, accountId: string, asset: string): Promise<Decimal> {
  const { rows } = await q.query<{ amount: string }>(`SELECT amount FROM balance WHERE account_id = $1 AND asset_symbol = $2`, [accountId, asset]);
  return toDecimal(rows[0]?.amount ?? '0');
}

/** balance += delta (the row is created at 0 when missing) and one ledger entry of `delta`. */
export async function changeBalance(
  q: Queryable,
  args: { accountId: string; asset: string; delta: Decimal; kind: LedgerKind; reference: string | null },
): Promise<{ balance: BalanceRecord; ledgerEntry: LedgerEntryRecord }> {
  const delta = args.delta.toFixed();
  const { rows } = await q.query<{ amount: string }>(
    `INSERT INTO balance (account_id, asset_symbol, amount) VALUES ($1, $2, $3::numeric)
     ON CONFLICT (account_id, asset_symbol) DO UPDATE SET amount = balance.amount + EXCLUDED.amount, updated_at = now()
     RETURNING amount`,
    [args.accountId, args.asset, delta],
  );
  const ledger = await q.query<LedgerRow>(
    `INSERT INTO ledger_entry (account_id, asset_symbol, kind, amount, reference) VALUES ($1, $2, $3::"LedgerKind", $4::numeric, $5)
     RETURNING id, account_id, asset_symbol, kind, amount, reference, created_at`,
    [args.accountId, args.asset, args.kind, delta, args.reference],
  );
  return {
    balance: { accountId: args.accountId, assetSymbol: args.asset, amount: toDecimal(rows[0]!.amount) },
    ledgerEntry: toLedgerEntry(ledger.rows[0]!),
  };
}

/** The account's position in a market, flat or not; null when it never had one. */
export async function positionOf(q: Queryable, accountId: string, market: string): Promise<PositionRecord | null> {
  const { rows } = await q.query<PositionRow>(
    `SELECT ${POSITION_COLUMNS} FROM position WHERE account_id = $1 AND market_symbol = $2`,
    [accountId, market],
  );
  return rows[0] ? toPosition(rows[0]) : null;
}

/** The columns a fill writes: a position record without its id and version (leverage null when absent). */
export type PositionWrite = Pick<
  PositionRecord,
  'accountId' | 'marketSymbol' | 'size' | 'entryPrice' | 'realizedPnl' | 'fundingIndex' | 'marginType' | 'isolatedMargin'
> & { readonly leverage?: Decimal | null };

/** Creates or overwrites the account's position in a market (version + 1 on update). */
export async function savePosition(q: Queryable, p: PositionWrite): Promise<PositionRecord> {
  const { rows } = await q.query<PositionRow>(
    `INSERT INTO position (account_id, market_symbol, size, entry_price, realized_pnl, funding_index, margin_type, isolated_margin, leverage)
     VALUES ($1, $2, $3::numeric, $4::numeric, $5::numeric, $6::numeric, $7::"MarginType", $8::numeric, $9::numeric)
     ON CONFLICT (account_id, market_symbol) DO UPDATE SET
       size = EXCLUDED.size, entry_price = EXCLUDED.entry_price, realized_pnl = EXCLUDED.realized_pnl,
       funding_index = EXCLUDED.funding_index, margin_type = EXCLUDED.margin_type,
       isolated_margin = EXCLUDED.isolated_margin, leverage = EXCLUDED.leverage,
       version = position.version + 1, updated_at = now()
     RETURNING ${POSITION_COLUMNS}`,
    [
      p.accountId,
      p.marketSymbol,
      p.size.toFixed(),
      p.entryPrice.toFixed(),
      p.realizedPnl.toFixed(),
      p.fundingIndex.toFixed(),
      p.marginType,
      p.isolatedMargin.toFixed(),
      p.leverage === null || p.leverage === undefined ? null : p.leverage.toFixed(),
    ],
  );
  return toPosition(rows[0]!);
}

/** Sets the account's margin mode (the caller bumps its version). */
export async function saveMarginMode(q: Queryable, id: string, marginMode: MarginMode): Promise<void> {
  await q.query(`UPDATE account SET margin_mode = $2::"MarginMode" WHERE id = $1`, [id, marginMode]);
}

/** What an account transition (src/risk/transition.ts) changes, as the store writes it. */
export interface TransitionWrite {
  readonly ledger: readonly { readonly asset: string; readonly kind: LedgerKind; readonly amount: Decimal }[];
  readonly positions: readonly Omit<PositionWrite, 'accountId'>[];
}

export interface TransitionWritten {
  readonly ledgerEntries: readonly LedgerEntryRecord[];
  /** The balances after, by asset (those the transition moved). */
  readonly balances: ReadonlyMap<string, BalanceRecord>;
  /** The positions after, by market (those the transition changed). */
  readonly positions: ReadonlyMap<string, PositionRecord>;
}

/**
 * Persists a transition exactly as the engine returned it: one balance change and ledger entry per ledger line (in
 * order), then every changed position.
 */
export async function saveTransition(
  q: Queryable,
  accountId: string,
  change: TransitionWrite,
  reference: string | null,
): Promise<TransitionWritten> {
  const ledgerEntries: LedgerEntryRecord[] = [];
  const balances = new Map<string, BalanceRecord>();
  for (const line of change.ledger) {
    const { balance, ledgerEntry } = await changeBalance(q, { accountId, asset: line.asset, delta: line.amount, kind: line.kind, reference });
    ledgerEntries.push(ledgerEntry);
    balances.set(line.asset, balance);
  }
  const positions = new Map<string, PositionRecord>();
  for (const p of change.positions) positions.set(p.marketSymbol, await savePosition(q, { ...p, accountId }));
  return { ledgerEntries, balances, positions };
}
