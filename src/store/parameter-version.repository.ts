/**
 * Risk-parameter versions (table risk_parameter_version): the whole parameter set after each ADMIN change of a risk
 * parameter, written in the change's own transaction. Oracle inputs (prices, funding index, implied volatility) and
 * bookkeeping columns (timestamps, row versions, settlement) are market data, not parameters, and are left out.
 */
import type { Queryable } from './queryable';

/** The parameter set as the transaction sees it now (numerics as exact JSON numbers). */
const PARAMETER_SET = `jsonb_build_object(
  'markets', (SELECT coalesce(jsonb_agg(to_jsonb(m) - 'funding_index' - 'implied_volatility' - 'created_at' - 'updated_at'
                - 'version' - 'settlement_price' - 'settled_at' ORDER BY m.symbol), '[]'::jsonb) FROM market m),
  'tiers', (SELECT coalesce(jsonb_agg(to_jsonb(t) - 'id' ORDER BY t.market_symbol, t.tier_index), '[]'::jsonb) FROM margin_tier t),
  'assets', (SELECT coalesce(jsonb_agg(to_jsonb(a) - 'created_at' - 'updated_at' ORDER BY a.symbol), '[]'::jsonb) FROM asset a),
  'portfolioMarginParams', (SELECT coalesce(jsonb_agg(to_jsonb(p) ORDER BY p.asset_symbol), '[]'::jsonb) FROM portfolio_margin_params p))`;

/** Records a new version holding the current parameter set; returns its id. */
export async function insertParameterVersion(
  q: Queryable,
  args: { action: string; requestId: string; apiKeyId: string | null },
): Promise<string> {
  const { rows } = await q.query<{ id: string }>(
    `INSERT INTO risk_parameter_version (action, request_id, api_key_id, parameters)
     SELECT $1, $2, $3::uuid, ${PARAMETER_SET} RETURNING id::text`,
    [args.action, args.requestId, args.apiKeyId],
  );
  return rows[0]!.id;
}

/** The latest version id (null before the first change). */
export async function currentParameterVersion(q: Queryable): Promise<string | null> {
  const { rows } = await q.query<{ id: string | null }>(`SELECT max(id)::text AS id FROM risk_parameter_version`);
  return rows[0]?.id ?? null;
}

export interface ParameterVersionRecord {
  readonly id: string;
  readonly action: string;
  readonly requestId: string;
  readonly apiKeyId: string | null;
  readonly parameters: unknown;
  readonly createdAt: Date;
}

export async function parameterVersionById(q: Queryable, id: string): Promise<ParameterVersionRecord | null> {
  if (!/^[0-9]{1,18}$/.test(id)) return null;
  const { rows } = await q.query<{ id: string; action: string; request_id: string; api_key_id: string | null; parameters: string; created_at: Date }>(
    `SELECT id::text, action, request_id, api_key_id, parameters::text AS parameters, created_at FROM risk_parameter_version WHERE id = $1::bigint`,
    [id],
  );
  const r = rows[0];
  return r ? { id: r.id, action: r.action, requestId: r.request_id, apiKeyId: r.api_key_id, parameters: r.parameters, createdAt: r.created_at } : null;
}
