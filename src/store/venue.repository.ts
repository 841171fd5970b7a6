/**
 * Venue reference data written by ADMIN and ORACLE keys: brokers, assets, insurance funds, portfolio-margin
 * parameters, funding indexes, implied volatilities and the daily price history. Writes run inside a write
 * transaction (src/store/write-transaction.ts); rows that a write checks are locked first.
 */
import type Decimal from 'decimal.js';
import { ASSET_COLUMNS, toAsset, toPortfolioParams, type AssetRow, type PortfolioParamsRow } from './asset.repository';
import type { Queryable } from './queryable';
import type { ApiKeyRecord, ApiRole, AssetRecord, BrokerRecord, InsuranceFundEntryRecord, PortfolioParamsRecord } from './records';
import { toDecimal } from './records';

interface BrokerRow {
  id: string;
  name: string;
  created_at: Date;
}

const toBroker = (row: BrokerRow): BrokerRecord => ({ id: row.id, name: row.name, createdAt: row.created_at });

/** Creates a broker; null when the name is taken. */
export async function insertBroker(q: Queryable, name: string): Promise<BrokerRecord | null> {
  const { rows } = await q.query<BrokerRow>(
    `INSERT INTO broker (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id, name, created_at`,
    [name],
  );
  return rows[0] ? toBroker(rows[0]) : null;
}

export async function listBrokers(q: Queryable): Promise<BrokerRecord[]> {
  const { rows } = await q.query<BrokerRow>(`SELECT id, name, created_at FROM broker ORDER BY name`);
  return rows.map(toBroker);
}

/** API keys, newest first, never their hashes. */
export async function listApiKeys(
  q: Queryable,
  filter: { role?: ApiRole | null; brokerId?: string | null; includeRevoked: boolean },
): Promise<ApiKeyRecord[]> {
  const { rows } = await q.query<{
    id: string;
    role: ApiRole;
    broker_id: string | null;
    label: string;
    prefix: string;
    created_at: Date;
    revoked_at: Date | null;
    last_used_at: Date | null;
  }>(
    `SELECT id, role, broker_id, label, prefix, created_at, revoked_at, last_used_at FROM api_key
      WHERE ($1::"ApiRole" IS NULL OR role = $1::"ApiRole") AND ($2::uuid IS NULL OR broker_id = $2::uuid)
        AND ($3::boolean OR revoked_at IS NULL)
      ORDER BY created_at DESC, id`,
    [filter.role ?? null, filter.brokerId ?? null, filter.includeRevoked],
  );
  return rows.map((r) => ({
    id: r.id,
    role: r.role,
    brokerId: r.broker_id,
    label: r.label,
    prefix: r.prefix,
    createdAt: r.created_at,
    revokedAt: r.revoked_at,
    lastUsedAt: r.last_used_at,
  }));
}

/** Whether an unrevoked ADMIN key exists (the bootstrap command refuses to add a first one then). */
export async function activeAdminKeyCount(q: Queryable): Promise<number> {
  const { rows } = await q.query<{ n: string }>(`SELECT count(*) AS n FROM api_key WHERE role = 'ADMIN' AND revoked_at IS NULL`);
  return Number(rows[0]!.n);
}

export interface AssetWrite {
  readonly symbol: string;
  readonly decimals: number;
  readonly initialWeight: Decimal;
  readonly maintenanceWeight: Decimal;
  readonly initialLiabilityWeight: Decimal;
  readonly maintenanceLiabilityWeight: Decimal;
  readonly borrowable: boolean;
}

const assetParams = (a: AssetWrite) => [
  a.symbol,
  a.decimals,
  a.initialWeight.toFixed(),
  a.maintenanceWeight.toFixed(),
  a.initialLiabilityWeight.toFixed(),
  a.maintenanceLiabilityWeight.toFixed(),
  a.borrowable,
];

/** Creates an asset; null when the symbol is taken. */
export async function insertAsset(q: Queryable, a: AssetWrite): Promise<AssetRecord | null> {
  const { rows } = await q.query<AssetRow>(
    `INSERT INTO asset (symbol, decimals, initial_weight, maintenance_weight, initial_liability_weight,
       maintenance_liability_weight, borrowable)
     VALUES ($1, $2, $3::numeric, $4::numeric, $5::numeric, $6::numeric, $7)
     ON CONFLICT (symbol) DO NOTHING RETURNING ${ASSET_COLUMNS}`,
    assetParams(a),
  );
  return rows[0] ? toAsset(rows[0]) : null;
}

/** The asset row, locked until the transaction ends; null when unknown. */
export async function lockAsset(q: Queryable, symbol: string): Promise<AssetRecord | null> {
  const { rows } = await q.query<AssetRow>(`SELECT ${ASSET_COLUMNS} FROM asset WHERE symbol = $1 FOR UPDATE`, [symbol]);
  return rows[0] ? toAsset(rows[0]) : null;
}

export async function updateAsset(q: Queryable, a: AssetWrite): Promise<AssetRecord> {
  const { rows } = await q.query<AssetRow>(
    `UPDATE asset SET decimals = $2, initial_weight = $3::numeric, maintenance_weight = $4::numeric,
       initial_liability_weight = $5::numeric, maintenance_liability_weight = $6::numeric, borrowable = $7,
       updated_at = now()
     WHERE symbol = $1 RETURNING ${ASSET_COLUMNS}`,
    assetParams(a),
  );
  return toAsset(rows[0]!);
}

/** Largest number of decimal places among the stored balances and ledger entries of an asset. */
export async function maxStoredScale(q: Queryable, symbol: string): Promise<number> {
  const { rows } = await q.query<{ s: number | null }>(
    `SELECT max(scale(trim_scale(amount)))::int AS s FROM (
       SELECT amount FROM balance WHERE asset_symbol = $1 UNION ALL SELECT amount FROM ledger_entry WHERE asset_symbol = $1
     ) a`,
    [symbol],
  );
  return rows[0]?.s ?? 0;
}

/** The fund's balance, its row locked (null when the venue has no fund in the asset). */
export async function lockInsuranceFund(q: Queryable, asset: string): Promise<Decimal | null> {
  const { rows } = await q.query<{ balance: string }>(`SELECT balance FROM insurance_fund WHERE asset_symbol = $1 FOR UPDATE`, [asset]);
  return rows[0] ? toDecimal(rows[0].balance) : null;
}

interface FundEntryRow {
  id: string;
  asset_symbol: string;
  amount: string;
  balance_after: string;
  reason: string;
  created_at: Date;
}

const toFundEntry = (r: FundEntryRow): InsuranceFundEntryRecord => ({
  id: String(r.id),
  asset: r.asset_symbol,
  amount: toDecimal(r.amount),
  balanceAfter: toDecimal(r.balance_after),
  reason: r.reason,
  createdAt: r.created_at,
});

/** Sets the fund's balance (creating the fund) and writes the entry of the change. */
export async function putInsuranceFund(
  q: Queryable,
  args: { asset: string; balance: Decimal; change: Decimal; reason: string },
): Promise<InsuranceFundEntryRecord> {
  await q.query(
    `INSERT INTO insurance_fund (asset_symbol, balance) VALUES ($1, $2::numeric)
     ON CONFLICT (asset_symbol) DO UPDATE SET balance = EXCLUDED.balance, updated_at = now()`,
    [args.asset, args.balance.toFixed()],
  );
  const { rows } = await q.query<FundEntryRow>(
    `INSERT INTO insurance_fund_entry (asset_symbol, amount, balance_after, reason) VALUES ($1, $2::numeric, $3::numeric, $4)
     RETURNING id, asset_symbol, amount, balance_after, reason, created_at`,
    [args.asset, args.change.toFixed(), args.balance.toFixed(), args.reason],
  );
  return toFundEntry(rows[0]!);
}

export async function insuranceFundEntries(q: Queryable, asset: string, first: number): Promise<InsuranceFundEntryRecord[]> {
  const { rows } = await q.query<FundEntryRow>(
    `SELECT id, asset_symbol, amount, balance_after, reason, created_at FROM insurance_fund_entry
      WHERE asset_symbol = $1 ORDER BY id DESC LIMIT $2`,
    [asset, first],
  );
  return rows.map(toFundEntry);
}

/** Insurance fund balances of the given assets. */
export async function insuranceFundsByAssets(q: Queryable, assets: readonly string[]): Promise<Map<string, Decimal>> {
  const { rows } = await q.query<{ asset_symbol: string; balance: string }>(
    `SELECT asset_symbol, balance FROM insurance_fund WHERE asset_symbol = ANY($1::text[])`,
    [assets],
  );
  return new Map(rows.map((r) => [r.asset_symbol, toDecimal(r.balance)]));
}

/** Replaces an underlying's portfolio-margin parameters; returns the row before (null when none). */
export async function putPortfolioParams(q: Queryable, p: PortfolioParamsRecord): Promise<PortfolioParamsRecord | null> {
  const before = await q.query<PortfolioParamsRow>(
    `SELECT asset_symbol, price_scan_range, vol_scan_range, extreme_move_multiple, extreme_move_coverage,
            short_option_minimum, maintenance_fraction
       FROM portfolio_margin_params WHERE asset_symbol = $1 FOR UPDATE`,
    [p.assetSymbol],
  );
  await q.query(
    `INSERT INTO portfolio_margin_params (asset_symbol, price_scan_range, vol_scan_range, extreme_move_multiple,
       extreme_move_coverage, short_option_minimum, maintenance_fraction)
     VALUES ($1, $2::numeric, $3::numeric, $4::numeric, $5::numeric, $6::numeric, $7::numeric)
     ON CONFLICT (asset_symbol) DO UPDATE SET price_scan_range = EXCLUDED.price_scan_range,
       vol_scan_range = EXCLUDED.vol_scan_range, extreme_move_multiple = EXCLUDED.extreme_move_multiple,
       extreme_move_coverage = EXCLUDED.extreme_move_coverage, short_option_minimum = EXCLUDED.short_option_minimum,
       maintenance_fraction = EXCLUDED.maintenance_fraction`,
    [
      p.assetSymbol,
      p.priceScanRange.toFixed(),
      p.volScanRange.toFixed(),
      p.extremeMoveMultiple.toFixed(),
      p.extremeMoveCoverage.toFixed(),
      p.shortOptionMinimum.toFixed(),
      p.maintenanceFraction.toFixed(),
    ],
  );
  return before.rows[0] ? toPortfolioParams(before.rows[0]) : null;
}

/** Sets a market's cumulative funding index (the market row is locked by the caller). */
export async function setFundingIndex(q: Queryable, market: string, index: Decimal): Promise<void> {
  await q.query(`UPDATE market SET funding_index = $2::numeric, updated_at = now() WHERE symbol = $1`, [market, index.toFixed()]);
}

export async function setImpliedVolatility(q: Queryable, market: string, vol: Decimal): Promise<void> {
  await q.query(`UPDATE market SET implied_volatility = $2::numeric, updated_at = now() WHERE symbol = $1`, [market, vol.toFixed()]);
}

/**
 * Records an observation as its UTC day's close in the price history: earlier observations of the same day give way;
 * nothing is written when a later observation of that day is stored already. Returns whether it was recorded.
 */
export async function putHistoryClose(
  q: Queryable,
  args: { asset: string; price: Decimal; source: string; observedAt: Date },
): Promise<boolean> {
  const dayStart = `date_trunc('day', $2::timestamptz AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'`;
  const later = await q.query(
    `SELECT 1 FROM price_history WHERE asset_symbol = $1 AND observed_at > $2::timestamptz
        AND observed_at < ${dayStart} + interval '1 day' LIMIT 1`,
    [args.asset, args.observedAt],
  );
  if (later.rows.length > 0) return false;
  await q.query(
    `DELETE FROM price_history WHERE asset_symbol = $1 AND observed_at >= ${dayStart} AND observed_at < $2::timestamptz`,
    [args.asset, args.observedAt],
  );
  await q.query(
    `INSERT INTO price_history (asset_symbol, price, source, observed_at) VALUES ($1, $2::numeric, $3, $4)
     ON CONFLICT (asset_symbol, observed_at) DO UPDATE SET price = EXCLUDED.price, source = EXCLUDED.source`,
    [args.asset, args.price.toFixed(), args.source, args.observedAt],
  );
  return true;
}

/** Symbols of the assets that may not be borrowed (their balances may not go negative). */
export async function nonBorrowableAssets(q: Queryable): Promise<Set<string>> {
  const { rows } = await q.query<{ symbol: string }>(`SELECT symbol FROM asset WHERE NOT borrowable`);
  return new Set(rows.map((r) => r.symbol));
}
