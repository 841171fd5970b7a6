/**
 * Risk events (table risk_event): status transitions of account_risk rows, recorded by `upsertAccountRisk`
 * (src/monitoring/account-risk.repository.ts) in the statement that writes the row. Read here by id (what a
 * notification names) for the subscriptions.
 */
import Decimal from 'decimal.js';
import type { AccountStatus } from '../risk';
import type { Queryable } from '../store/queryable';

export type RiskEventKind = 'STATUS_CHANGE';

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
}

const COLUMNS = `id, seq::text AS seq, account_id, broker_id, kind, from_status, to_status, trim_scale(margin_ratio)::text AS margin_ratio,
  trim_scale(ratio_key)::text AS ratio_key, account_version, market_data_version::text AS market_data_version,
  parameter_version::text AS parameter_version, created_at`;

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
  };
}

/** The events with these ids, in recording order (unknown ids are skipped). */
export async function riskEventsByIds(q: Queryable, ids: readonly string[]): Promise<RiskEventRecord[]> {
  if (ids.length === 0) return [];
  const { rows } = await q.query<Row>(`SELECT ${COLUMNS} FROM risk_event WHERE id = ANY($1::uuid[]) ORDER BY seq`, [ids]);
  return rows.map(toRecord);
}
