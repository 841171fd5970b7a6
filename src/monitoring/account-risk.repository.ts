/**
 * The precomputed `account_risk` table: one row per account with the engine's account figures at its last
 * evaluation. Written in bulk (one multi-row upsert per batch through unnest); read by keyset pages in (ratio_key
 * DESC, account_id DESC) order through the index on the ratio key's bucket (so a page reads a few buckets, with 1,000
 * or 10,000,000 rows), and by aggregates. The only indexed columns are the id and the bucket, so a tick's update of a
 * row is HOT (no index entry written) unless its bucket moves (migration 20261204120000_account_risk_hot_updates).
 */
import Decimal from 'decimal.js';
import type { AccountFiguresEvaluation, AccountRisk, AccountStatus } from '../risk';
import { reportedRowFigures, type RowFigures, type RowFigureTexts } from '../risk/precision';
import type { Queryable } from '../store/queryable';
import { keysetSql, type KeysetPage } from '../store/keyset';
import { CHANNELS } from '../store/notification-bus';
import { riskEventsRecorded } from './metrics';

/** Ordering key of an account whose margin equity is ≤ 0 while it has a requirement (or negative equity). */
export const RATIO_KEY_UNBOUNDED = new Decimal('1e18');
/** Ordering key of an account whose last evaluation failed (listed after every evaluated account). */
export const RATIO_KEY_ERROR = new Decimal(-1);

export interface AccountRiskRow {
  readonly accountId: string;
  /** Null when the evaluation failed (then `errorCode` is set and every figure is null). */
  readonly status: AccountStatus | null;
  readonly marginRatio: Decimal | null;
  readonly ratioKey: Decimal;
  readonly equity: Decimal | null;
  readonly initialMarginEquity: Decimal | null;
  readonly marginEquity: Decimal | null;
  readonly initialMargin: Decimal | null;
  readonly maintenanceMargin: Decimal | null;
  readonly freeCollateral: Decimal | null;
  readonly totalNotional: Decimal | null;
  readonly pricesAsOf: Date | null;
  readonly evaluatedAt: Date;
  readonly errorCode: string | null;
  /** account.version the evaluation read. */
  readonly accountVersion: number;
  /** market_data_version of the market data the evaluation used (text of a bigint). */
  readonly marketDataVersion: string;
}

/**
 * The committed state an evaluation reflects: the account's version (bumped by every write to the account, in the
 * write's transaction) and the market-data version (bumped by every write to the market data), both read with the
 * account's rows, plus the evaluation time. A row is only replaced by an evaluation at least as new in
 * (accountVersion, marketDataVersion, evaluatedAtMs) order, so an evaluation read before a write commits never
 * overwrites one read after it, whatever the clocks of the processes that wrote them.
 */
export interface EvaluationStamp {
  readonly accountVersion: number;
  readonly marketDataVersion: string;
  readonly evaluatedAtMs: number;
}

/**
 * Worst first: the margin ratio when there is one; else (margin equity ≤ 0) unbounded when the account is
 * liquidatable or bankrupt, 0 when it holds nothing at risk.
 */
export function ratioKeyOf(risk: Pick<AccountRisk, 'marginRatio' | 'status'>): Decimal {
  return risk.marginRatio ?? ratioKeyWithoutRatio(risk.status);
}

const RATIO_KEY_ZERO = new Decimal(0);

/** The ratio key of an account without a margin ratio (margin equity ≤ 0). */
function ratioKeyWithoutRatio(status: AccountStatus): Decimal {
  return status === 'LIQUIDATABLE' || status === 'BANKRUPT' ? RATIO_KEY_UNBOUNDED : RATIO_KEY_ZERO;
}

/** The row of an evaluation: its figures as the API reports them (src/risk/precision.ts), so rows and Account.risk agree. */
export function rowFromRisk(risk: AccountFiguresEvaluation, stamp: EvaluationStamp): AccountRiskRow {
  return rowFromFigures(risk.accountId, reportedRowFigures(risk), stamp);
}

/** The row of reported figures: an exact evaluation's, or the screened ones (src/risk/screen/figures.ts, proven equal). */
function rowFromFigures(accountId: string, figures: RowFigures, stamp: EvaluationStamp): AccountRiskRow {
  return {
    accountId,
    status: figures.status,
    marginRatio: figures.marginRatio,
    ratioKey: ratioKeyOf({ marginRatio: figures.marginRatio, status: figures.status }),
    equity: figures.equity,
    initialMarginEquity: figures.initialMarginEquity,
    marginEquity: figures.marginEquity,
    initialMargin: figures.initialMargin,
    maintenanceMargin: figures.maintenanceMargin,
    freeCollateral: figures.freeCollateral,
    totalNotional: figures.totalNotional,
    pricesAsOf: figures.pricesAsOfMs === null ? null : new Date(figures.pricesAsOfMs),
    evaluatedAt: new Date(stamp.evaluatedAtMs),
    errorCode: null,
    accountVersion: stamp.accountVersion,
    marketDataVersion: stamp.marketDataVersion,
  };
}

export function rowFromError(accountId: string, errorCode: string, stamp: EvaluationStamp): AccountRiskRow {
  return {
    accountId,
    status: null,
    marginRatio: null,
    ratioKey: RATIO_KEY_ERROR,
    equity: null,
    initialMarginEquity: null,
    marginEquity: null,
    initialMargin: null,
    maintenanceMargin: null,
    freeCollateral: null,
    totalNotional: null,
    pricesAsOf: null,
    evaluatedAt: new Date(stamp.evaluatedAtMs),
    errorCode,
    accountVersion: stamp.accountVersion,
    marketDataVersion: stamp.marketDataVersion,
  };
}

const text = (d: Decimal | null): string | null => (d === null ? null : d.toFixed());

/**
 * Margin-ratio thresholds (ratio = MM / margin equity, a plain number; 1 = liquidatable) whose crossing records a
 * THRESHOLD_CROSSING event when the venue configures none (config RISK_EVENT_RATIO_THRESHOLDS).
 */
export const DEFAULT_RATIO_THRESHOLDS: readonly Decimal[] = ['0.5', '0.8', '0.9'].map((t) => new Decimal(t));

/** Ids per notification: 100 UUIDs in JSON stay well under the NOTIFY payload limit (MAX_PAYLOAD_BYTES). */
export const IDS_PER_NOTIFICATION = 100;

/** The texts of one row's columns, in the upsert's column order (null: SQL NULL). */
type ColumnTexts = readonly [
  accountId: string,
  status: string | null,
  marginRatio: string | null,
  ratioKey: string,
  equity: string | null,
  initialMarginEquity: string | null,
  marginEquity: string | null,
  initialMargin: string | null,
  maintenanceMargin: string | null,
  freeCollateral: string | null,
  totalNotional: string | null,
  pricesAsOf: string | null,
  evaluatedAt: string,
  errorCode: string | null,
  accountVersion: string,
  marketDataVersion: string,
];

const UPSERT_COLUMNS = 16;
/** Index of error_code, the one free-text column (quoted in the array literal; every other text needs no quoting). */
const ERROR_CODE_COLUMN = 13;

/**
 * Rows for `upsertAccountRisk`, column by column as the texts Postgres parses: numerics in plain decimal notation
 * (Decimal `toFixed()`), timestamps in ISO 8601, versions in decimal. The screened path adds figure texts directly
 * (screen/figures.ts `screenRowTexts`), without building Decimals, Dates or row objects; each column becomes one
 * array literal, the statement's unnest parameter.
 */
export class RiskRowBatch {
  private readonly columns: (string | null)[][] = Array.from({ length: UPSERT_COLUMNS }, () => []);
  private readonly isoTexts = new Map<number, string>();

  get length(): number {
    return this.columns[0]!.length;
  }

  /** A row of Decimal figures (an exact evaluation's, a failure's, a read row). */
  addRow(row: AccountRiskRow): void {
    this.push([
      row.accountId,
      row.status,
      text(row.marginRatio),
      row.ratioKey.toFixed(),
      text(row.equity),
      text(row.initialMarginEquity),
      text(row.marginEquity),
      text(row.initialMargin),
      text(row.maintenanceMargin),
      text(row.freeCollateral),
      text(row.totalNotional),
      row.pricesAsOf === null ? null : row.pricesAsOf.toISOString(),
      row.evaluatedAt.toISOString(),
      row.errorCode,
      String(row.accountVersion),
      row.marketDataVersion,
    ]);
  }

  /** The row of reported figure texts (screen/figures.ts `screenRowTexts`): as `rowFromFigures`. */
  addTexts(accountId: string, figures: RowFigureTexts, stamp: EvaluationStamp): void {
    this.push([
      accountId,
      figures.status,
      figures.marginRatio,
      figures.marginRatio ?? ratioKeyWithoutRatio(figures.status).toFixed(),
      figures.equity,
      figures.initialMarginEquity,
      figures.marginEquity,
      figures.initialMargin,
      figures.maintenanceMargin,
      figures.freeCollateral,
      figures.totalNotional,
      figures.pricesAsOfMs === null ? null : this.isoOf(figures.pricesAsOfMs),
      this.isoOf(stamp.evaluatedAtMs),
      null,
      String(stamp.accountVersion),
      stamp.marketDataVersion,
    ]);
  }

  /** One array literal per column: `{a,b,NULL}`; error codes quoted (backslash and quote escaped). */
  parameters(): string[] {
    return this.columns.map((values, column) => {
      const quoted = column === ERROR_CODE_COLUMN;
      return `{${values.map((v) => (v === null ? 'NULL' : quoted ? `"${v.replace(/["\\]/g, '\\$&')}"` : v)).join(',')}}`;
    });
  }

  private push(texts: ColumnTexts): void {
    for (let c = 0; c < UPSERT_COLUMNS; c++) this.columns[c]!.push(texts[c]!);
  }

  /** ISO text of an instant (a batch's rows share a few instants: each is formatted once). */
  private isoOf(ms: number): string {
    let iso = this.isoTexts.get(ms);
    if (iso === undefined) {
      iso = new Date(ms).toISOString();
      this.isoTexts.set(ms, iso);
    }
    return iso;
  }
}

/** A batch of Decimal rows. */
export function riskRowBatchOf(rows: readonly AccountRiskRow[]): RiskRowBatch {
  const batch = new RiskRowBatch();
  for (const row of rows) batch.addRow(row);
  return batch;
}

/**
 * One statement for the whole batch (unnest of column arrays). A row is only replaced by an evaluation at least as
 * new in (account_version, market_data_version, evaluated_at) order (see `EvaluationStamp`), so a sweep batch read
 * before a write committed cannot overwrite the write-through refresh that followed it.
 *
 * Risk events, in the same statement: the upsert keeps in `prior_status` / `prior_ratio_key` the status and ratio
 * key of the evaluation it replaced (read under the row lock ON CONFLICT takes, so of the latest committed row;
 * failed evaluations are skipped), and a row whose status differs from its prior one records a STATUS_CHANGE event
 * (an account's first evaluation only when it is not HEALTHY). Two evaluators of one account (replicas, a sweep and
 * a write refresh) serialise on that lock: the second sees the first's status as prior, so a real transition is
 * recorded exactly once. In the same statement, a row whose ratio key crossed one of `ratioThresholds` between its
 * prior evaluation and this one (UP: prior < t ≤ new; DOWN: new < t ≤ prior) records one THRESHOLD_CROSSING event
 * per threshold crossed, with the threshold, the direction and both ratio keys — exactly once by the same lock. The
 * statement notifies `CHANNELS.accountRisk` (the written rows' account ids) and
 * `CHANNELS.riskEvents` (the new events' ids), delivered when the surrounding transaction commits. Returns the ids
 * of the events recorded.
 */
export async function upsertAccountRisk(
  q: Queryable,
  rows: readonly AccountRiskRow[] | RiskRowBatch,
  ratioThresholds: readonly Decimal[] = DEFAULT_RATIO_THRESHOLDS,
): Promise<string[]> {
  const batch = rows instanceof RiskRowBatch ? rows : riskRowBatchOf(rows);
  if (batch.length === 0) return [];
  const { rows: result } = await q.query<{ event_ids: string[] | null; by_kind: Record<string, string> | null }>(
    `WITH upserted AS (
     INSERT INTO account_risk AS r (account_id, status, margin_ratio, ratio_key, equity, initial_margin_equity, margin_equity,
        initial_margin, maintenance_margin, free_collateral, total_notional, prices_as_of, evaluated_at, error_code,
        account_version, market_data_version, ratio_bucket)
     SELECT u.*, account_risk_bucket(u.ratio_key) FROM unnest($1::uuid[], $2::"RiskStatus"[], $3::numeric[], $4::numeric[], $5::numeric[], $6::numeric[],
        $7::numeric[], $8::numeric[], $9::numeric[], $10::numeric[], $11::numeric[], $12::timestamptz[], $13::timestamptz[], $14::text[],
        $15::integer[], $16::bigint[]) AS u(account_id, status, margin_ratio, ratio_key, equity, initial_margin_equity, margin_equity,
        initial_margin, maintenance_margin, free_collateral, total_notional, prices_as_of, evaluated_at, error_code,
        account_version, market_data_version)
     ON CONFLICT (account_id) DO UPDATE SET
        status = EXCLUDED.status, margin_ratio = EXCLUDED.margin_ratio, ratio_key = EXCLUDED.ratio_key,
        ratio_bucket = EXCLUDED.ratio_bucket,
        equity = EXCLUDED.equity, initial_margin_equity = EXCLUDED.initial_margin_equity,
        margin_equity = EXCLUDED.margin_equity, initial_margin = EXCLUDED.initial_margin,
        maintenance_margin = EXCLUDED.maintenance_margin, free_collateral = EXCLUDED.free_collateral,
        total_notional = EXCLUDED.total_notional, prices_as_of = EXCLUDED.prices_as_of,
        evaluated_at = EXCLUDED.evaluated_at, error_code = EXCLUDED.error_code,
        account_version = EXCLUDED.account_version, market_data_version = EXCLUDED.market_data_version,
        prior_status = CASE WHEN r.status IS NULL THEN r.prior_status ELSE r.status END,
        prior_ratio_key = CASE WHEN r.status IS NULL THEN r.prior_ratio_key ELSE r.ratio_key END
     WHERE (r.account_version, r.market_data_version, r.evaluated_at)
        <= (EXCLUDED.account_version, EXCLUDED.market_data_version, EXCLUDED.evaluated_at)
     RETURNING r.account_id, r.status, r.prior_status, r.margin_ratio, r.ratio_key, r.prior_ratio_key, r.account_version,
        r.market_data_version
   ), status_changes AS (
     SELECT u.*, 'STATUS_CHANGE'::"RiskEventKind" AS kind, NULL::numeric AS threshold, NULL::"RiskEventDirection" AS direction
     FROM upserted u
     WHERE u.status IS NOT NULL AND u.prior_status IS DISTINCT FROM u.status
        AND NOT (u.prior_status IS NULL AND u.status = 'HEALTHY')
   ), crossings AS (
     -- UP: prior < t ≤ new; DOWN: new < t ≤ prior (ratio keys; a row with a prior evaluation only).
     SELECT u.*, 'THRESHOLD_CROSSING'::"RiskEventKind" AS kind, t.threshold,
        (CASE WHEN u.ratio_key >= t.threshold THEN 'UP' ELSE 'DOWN' END)::"RiskEventDirection" AS direction
     FROM upserted u CROSS JOIN unnest($17::numeric[]) AS t(threshold)
     WHERE u.status IS NOT NULL AND u.prior_ratio_key IS NOT NULL
        AND ((u.prior_ratio_key < t.threshold AND u.ratio_key >= t.threshold)
          OR (u.ratio_key < t.threshold AND u.prior_ratio_key >= t.threshold))
   ), events AS (
     INSERT INTO risk_event (account_id, broker_id, kind, from_status, to_status, margin_ratio, ratio_key, prior_ratio_key,
        threshold, direction, account_version, market_data_version, parameter_version)
     SELECT e.account_id, a.broker_id, e.kind, e.prior_status, e.status, e.margin_ratio, e.ratio_key, e.prior_ratio_key,
        e.threshold, e.direction, e.account_version, e.market_data_version, (SELECT max(id) FROM risk_parameter_version)
     FROM (SELECT * FROM status_changes UNION ALL SELECT * FROM crossings) e JOIN account a ON a.id = e.account_id
     ORDER BY e.account_id, e.kind, e.threshold
     RETURNING id, kind
   ), counted AS (
     SELECT kind, count(*) AS n FROM events GROUP BY kind
   ), risk_notes AS (
     SELECT pg_notify('${CHANNELS.riskEvents}', json_build_object('ids', array_agg(id))::text)
     FROM (SELECT id, (row_number() OVER ()) / ${IDS_PER_NOTIFICATION} AS chunk FROM events) e GROUP BY chunk
   ), row_notes AS (
     SELECT pg_notify('${CHANNELS.accountRisk}', json_build_object('accountIds', array_agg(account_id))::text)
     FROM (SELECT account_id, (row_number() OVER ()) / ${IDS_PER_NOTIFICATION} AS chunk FROM upserted) u GROUP BY chunk
   )
   SELECT (SELECT array_agg(id::text) FROM events) AS event_ids,
          (SELECT json_object_agg(kind, n) FROM counted) AS by_kind,
          (SELECT count(*) FROM risk_notes) + (SELECT count(*) FROM row_notes) AS notes`,
    [
      ...batch.parameters(),
      ratioThresholds.map((t) => t.toFixed()),
    ],
  );
  for (const [kind, n] of Object.entries(result[0]?.by_kind ?? {})) riskEventsRecorded.inc({ kind }, Number(n));
  return result[0]?.event_ids ?? [];
}

interface Row {
  account_id: string;
  status: AccountStatus | null;
  margin_ratio: string | null;
  ratio_key: string;
  equity: string | null;
  initial_margin_equity: string | null;
  margin_equity: string | null;
  initial_margin: string | null;
  maintenance_margin: string | null;
  free_collateral: string | null;
  total_notional: string | null;
  prices_as_of: Date | null;
  evaluated_at: Date;
  error_code: string | null;
  account_version: number;
  market_data_version: string;
}

const COLUMNS = `account_id, status, margin_ratio, ratio_key, equity, initial_margin_equity, margin_equity, initial_margin,
  maintenance_margin, free_collateral, total_notional, prices_as_of, evaluated_at, error_code, account_version,
  market_data_version::text AS market_data_version`;

const dec = (v: string | null): Decimal | null => (v === null ? null : new Decimal(v));

function toRow(r: Row): AccountRiskRow {
  return {
    accountId: r.account_id,
    status: r.status,
    marginRatio: dec(r.margin_ratio),
    ratioKey: new Decimal(r.ratio_key),
    equity: dec(r.equity),
    initialMarginEquity: dec(r.initial_margin_equity),
    marginEquity: dec(r.margin_equity),
    initialMargin: dec(r.initial_margin),
    maintenanceMargin: dec(r.maintenance_margin),
    freeCollateral: dec(r.free_collateral),
    totalNotional: dec(r.total_notional),
    pricesAsOf: r.prices_as_of,
    evaluatedAt: r.evaluated_at,
    errorCode: r.error_code,
    accountVersion: r.account_version,
    marketDataVersion: r.market_data_version,
  };
}

export interface RiskPageKey {
  readonly ratioKey: string;
  readonly accountId: string;
}

/**
 * Keyset page, worst first: rows with ratio_key ≥ minRatio (when given), in (ratio_key DESC, account_id DESC) order,
 * beyond `page.cursor` in its direction (or with `side: 'OTHER_SIDE'` at or behind it, src/store/keyset.ts). One
 * index range scan over the buckets that hold `limit` rows, either way.
 */
export async function pageAccountRisk(
  q: Queryable,
  args: { page: KeysetPage<RiskPageKey>; minRatio: Decimal | null; side?: 'BEYOND' | 'OTHER_SIDE' },
): Promise<AccountRiskRow[]> {
  const where: string[] = [];
  const values: unknown[] = [];
  if (args.minRatio !== null) {
    values.push(args.minRatio.toFixed());
    where.push(`ratio_bucket >= account_risk_bucket($${values.length}::numeric) AND ratio_key >= $${values.length}::numeric`);
  }
  const cursor = args.page.cursor;
  if (cursor) values.push(cursor.ratioKey, cursor.accountId);
  // The bucket leads the key (it never decreases as the ratio key grows, so the order is the same), and the index
  // on (ratio_bucket, account_id) bounds the scan; the rows of a bucket are sorted by ratio key.
  const keyset = keysetSql(
    args.page.direction,
    'ratio_bucket, ratio_key, account_id',
    cursor ? `account_risk_bucket($${values.length - 1}::numeric), $${values.length - 1}::numeric, $${values.length}::uuid` : null,
    args.side ?? 'BEYOND',
    'DESC',
  );
  if (keyset.where) where.push(keyset.where);
  values.push(args.page.limit);
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM account_risk ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${keyset.orderBy} LIMIT $${values.length}`,
    values,
  );
  return rows.map(toRow);
}

export async function accountRiskByIds(q: Queryable, ids: readonly string[]): Promise<Map<string, AccountRiskRow>> {
  if (ids.length === 0) return new Map();
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM account_risk WHERE account_id = ANY($1::uuid[])`, [ids]);
  return new Map(rows.map((r) => [r.account_id, toRow(r)]));
}

/** Largest positions by total notional (a scan of the table, as riskSummary's totals are). */
export async function largestExposures(q: Queryable, limit: number): Promise<AccountRiskRow[]> {
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM account_risk WHERE total_notional IS NOT NULL ORDER BY total_notional DESC, account_id LIMIT $1`,
    [limit],
  );
  return rows.map(toRow);
}

export interface AccountRiskTotals {
  readonly accounts: number;
  readonly evaluated: number;
  readonly errors: number;
  readonly byStatus: ReadonlyMap<AccountStatus, number>;
  readonly totalEquity: Decimal;
  readonly totalInitialMargin: Decimal;
  readonly totalMaintenanceMargin: Decimal;
  readonly totalNotional: Decimal;
  readonly oldestEvaluation: Date | null;
  readonly newestEvaluation: Date | null;
}

/** Totals over the table (one aggregate scan) and the number of accounts in the store. */
export async function accountRiskTotals(q: Queryable): Promise<AccountRiskTotals> {
  const [{ rows: groups }, { rows: counts }] = await Promise.all([
    q.query<{ status: AccountStatus | null; n: string; equity: string | null; im: string | null; mm: string | null; notional: string | null; oldest: Date | null; newest: Date | null }>(
      `SELECT status, count(*) AS n, sum(equity) AS equity, sum(initial_margin) AS im, sum(maintenance_margin) AS mm,
              sum(total_notional) AS notional, min(evaluated_at) AS oldest, max(evaluated_at) AS newest
         FROM account_risk GROUP BY status`,
    ),
    q.query<{ n: string }>(`SELECT count(*) AS n FROM account`),
  ]);
  const byStatus = new Map<AccountStatus, number>();
  // Exact sums: NUMERIC totals per status are added in a context wide enough for every digit.
  const Sum = Decimal.clone({ precision: 120 });
  let evaluated = 0;
  let errors = 0;
  let equity: Decimal = new Sum(0);
  let im: Decimal = new Sum(0);
  let mm: Decimal = new Sum(0);
  let notional: Decimal = new Sum(0);
  let oldest: Date | null = null;
  let newest: Date | null = null;
  for (const g of groups) {
    const n = Number(g.n);
    evaluated += n;
    if (g.status === null) errors += n;
    else byStatus.set(g.status, n);
    if (g.equity !== null) equity = equity.plus(g.equity);
    if (g.im !== null) im = im.plus(g.im);
    if (g.mm !== null) mm = mm.plus(g.mm);
    if (g.notional !== null) notional = notional.plus(g.notional);
    if (g.oldest && (oldest === null || g.oldest < oldest)) oldest = g.oldest;
    if (g.newest && (newest === null || g.newest > newest)) newest = g.newest;
  }
  return {
    accounts: Number(counts[0]?.n ?? 0),
    evaluated,
    errors,
    byStatus,
    totalEquity: equity,
    totalInitialMargin: im,
    totalMaintenanceMargin: mm,
    totalNotional: notional,
    oldestEvaluation: oldest,
    newestEvaluation: newest,
  };
}

/** Oldest evaluation time in the table (a scan): what an accountsAtRisk page is "as of". */
export async function oldestEvaluation(q: Queryable): Promise<Date | null> {
  const { rows } = await q.query<{ oldest: Date | null }>(`SELECT min(evaluated_at) AS oldest FROM account_risk`);
  return rows[0]?.oldest ?? null;
}

/**
 * Open interest per market in contracts: Σ long sizes and Σ |short sizes| of the markets with open positions, summed
 * over the 16 slots per market of the trigger-kept market_open_interest table (constant in the number of positions).
 */
export async function openInterestByMarket(q: Queryable): Promise<Map<string, { long: Decimal; short: Decimal; positions: number }>> {
  const { rows } = await q.query<{ market_symbol: string; long: string; short: string; n: string }>(
    `SELECT market_symbol, sum(long_size) AS long, sum(short_size) AS short, sum(positions) AS n
       FROM market_open_interest GROUP BY market_symbol HAVING sum(positions) > 0`,
  );
  return new Map(rows.map((r) => [r.market_symbol, { long: new Decimal(r.long), short: new Decimal(r.short), positions: Number(r.n) }]));
}

export async function insuranceFundBalances(q: Queryable): Promise<Map<string, Decimal>> {
  const { rows } = await q.query<{ asset_symbol: string; balance: string }>(
    `SELECT asset_symbol, balance FROM insurance_fund ORDER BY asset_symbol`,
  );
  return new Map(rows.map((r) => [r.asset_symbol, new Decimal(r.balance)]));
}
