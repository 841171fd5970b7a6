/** Insurance fund balances per settlement asset (read side; the what-if liquidation outcome draws on them). */
import type Decimal from 'decimal.js';
import type { Queryable } from './queryable';
import { toDecimal } from './records';

/** Every fund's balance, by asset symbol. */
export async function insuranceFundBalances(q: Queryable): Promise<Record<string, Decimal>> {
  const { rows } = await q.query<{ asset_symbol: string; balance: string }>(
    `SELECT asset_symbol, balance FROM insurance_fund ORDER BY asset_symbol`,
  );
  const out: Record<string, Decimal> = {};
  for (const r of rows) out[r.asset_symbol] = toDecimal(r.balance);
  return out;
}
