/**
 * Risk events (table risk_event): status transitions of account_risk rows, recorded by `upsertAccountRisk`
 * (src/monitoring/account-risk.repository.ts) in the statement that writes the row. Read here by id (what a
 * notification names) for the subscriptions, and by keyset pages on `seq` (newest first) for the connections.
 */
import Decimal from 'decimal.js';
import type { AccountStatus } from '../risk';
import type { Queryable } from '../store/queryable';
import { keysetSql, type KeysetPage } from '../store/keyset';

export type RiskEventKind = 'STATUS_CHANGE' | 'THRESHOLD_CROSSING';
export type RiskEventDirection = 'UP' | 'DOWN';

export interface RiskEventRecord {
  readonly id: string;
  readonly seq: string;
  readonly accountId: string;
  readonly brokerId: string;
  readonly kind: RiskEventKind;
  /** Null for an account's first evaluation. */
  readonly from: AccountStatus | null;
  readonly to: AccountStatus;
  /** MM / margin equity of the evaluation (null when margin equity ≤ 0). */
  readonly marginRatio: Decimal | null;
  /** Ordering key of the evaluation (margin ratio, or unbounded when margin equity ≤ 0: account-risk.repository). */
  readonly ratioKey: Decimal;
  readonly accountVersion: number;
  readonly marketDataVersion: string;
  readonly parameterVersion: string | null;
  readonly createdAt: Date;
  /** THRESHOLD_CROSSING: the margin-ratio threshold crossed, and which way (null for STATUS_CHANGE). */
  readonly threshold: Decimal | null;
  readonly direction: RiskEventDirection | null;
  /** Ratio key of the evaluation the row replaced (null for an account's first evaluation). */
  readonly priorRatioKey: Decimal | null;
}

interface Row {
  id: string;
  seq: string;
  account_id: string;
  broker_id: string;
  kind: RiskEventKind;
  from_status: AccountStatus | null;
  to_status: AccountStatus;
  margin_ratio: string | null;
  ratio_key: string;
  account_version: number;
  market_data_version: string;
  parameter_version: string | null;
  created_at: Date;
  threshold: string | null;
  direction: RiskEventDirection | null;
  prior_ratio_key: string | null;
}

const COLUMNS = `id, seq::text AS seq, account_id, broker_id, kind, from_status, to_status, trim_scale(margin_ratio)::text AS margin_ratio,
  trim_scale(ratio_key)::text AS ratio_key, account_version, market_data_version::text AS market_data_version,
  parameter_version::text AS parameter_version, created_at, trim_scale(threshold)::text AS threshold, direction,
  trim_scale(prior_ratio_key)::text AS prior_ratio_key`;

function toRecord(r: Row): RiskEventRecord {
  return {
    id: r.id,
    seq: r.seq,
    accountId: r.account_id,
    brokerId: r.broker_id,
    kind: r.kind,
    from: r.from_status,
    to: r.to_status,
    marginRatio: r.margin_ratio === null ? null : new Decimal(r.margin_ratio),
    ratioKey: new Decimal(r.ratio_key),
    accountVersion: r.account_version,
    marketDataVersion: r.market_data_version,
    parameterVersion: r.parameter_version,
    createdAt: r.created_at,
    threshold: r.threshold === null ? null : new Decimal(r.threshold),
    direction: r.direction,
    priorRatioKey: r.prior_ratio_key === null ? null : new Decimal(r.prior_ratio_key),
  };
}

/** The events with these ids, in recording order (unknown ids are skipped). */
export async function riskEventsByIds(q: Queryable, ids: readonly string[]): Promise<RiskEventRecord[]> {
  if (ids.length === 0) return [];
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM risk_event WHERE id = ANY($1::uuid[]) ORDER BY seq`, [ids]);
  return rows.map(toRecord);
}

export interface RiskEventListFilter {
  readonly brokerId: string | null;
  readonly accountId: string | null;
  /** Null: every kind. */
  readonly kinds: readonly RiskEventKind[] | null;
  /** Null: every new status. */
  readonly statuses: readonly AccountStatus[] | null;
  /** created_at ≥ since, created_at < until. */
  readonly since: Date | null;
  readonly until: Date | null;
}

/**
 * Keyset page in seq DESC order (newest first): the events matching `filter`, beyond `page.cursor` (a seq) in its
 * direction, or with `side: 'OTHER_SIDE'` at or behind it (src/store/keyset.ts). Served by the (account_id, seq
 * DESC) and (broker_id, seq DESC) indexes, or by seq's own.
 */
export async function pageRiskEvents(
  q: Queryable,
  args: { filter: RiskEventListFilter; page: KeysetPage<string>; side?: 'BEYOND' | 'OTHER_SIDE' },
): Promise<RiskEventRecord[]> {
  const { filter, page } = args;
  const where: string[] = [];
  const values: unknown[] = [];
  const add = (sql: (placeholder: string) => string, value: unknown): void => {
    values.push(value);
    where.push(sql(`$${values.length}`));
  };
  if (filter.brokerId !== null) add((p) => `broker_id = ${p}::uuid`, filter.brokerId);
  if (filter.accountId !== null) add((p) => `account_id = ${p}::uuid`, filter.accountId);
  if (filter.kinds !== null) add((p) => `kind = ANY(${p}::"RiskEventKind"[])`, filter.kinds);
  if (filter.statuses !== null) add((p) => `to_status = ANY(${p}::"RiskStatus"[])`, filter.statuses);
  if (filter.since !== null) add((p) => `created_at >= ${p}::timestamptz`, filter.since);
  if (filter.until !== null) add((p) => `created_at < ${p}::timestamptz`, filter.until);
  if (page.cursor !== null) values.push(page.cursor);
  // Qualified: the bare name would order by the selected text alias `seq`, not the bigint column.
  const keyset = keysetSql(page.direction, 'risk_event.seq', page.cursor !== null ? `$${values.length}::bigint` : null, args.side ?? 'BEYOND', 'DESC');
  if (keyset.where) where.push(keyset.where);
  values.push(page.limit);
  const { rows } = await q.query<Row>(
    `SELECT ${COLUMNS} FROM risk_event ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY ${keyset.orderBy} LIMIT $${values.length}`,
    values,
  );
  return rows.map(toRecord);
}
