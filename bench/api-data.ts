/**
 * The data set of the API benchmarks (bench/api.ts, bench/instructions.ts): the demo venue plus one account with 10
 * positions over 10 markets (the store holds one position per account and market: the 5 seeded delta-one markets and
 * 5 more linear perpetuals on the same underlyings) and 3 collateral assets (USDC, BTC, ETH), a MONITOR API key, and
 * the request bodies measured: the baseline `market(symbol) { symbol }` (one row, one SQL statement) and the account
 * risk query with and without liquidation prices.
 */
import type { Database } from '../src/store/database';
import { generateApiKey, insertApiKey } from '../src/store/api-key.repository';
import { seedDemoVenue } from '../src/store/seed';

export interface ApiBenchData {
  readonly accountId: string;
  /** The MONITOR key requests are sent with (header x-api-key). */
  readonly key: string;
  /** JSON request bodies by name. */
  readonly queries: { readonly baseline: string; readonly riskWithLiquidation: string; readonly riskFigures: string };
}

export async function seedApiBench(db: Database): Promise<ApiBenchData> {
  const q = db.pool;
  process.stderr.write('seeding the demo venue…\n');
  await seedDemoVenue(db.prisma, { nowMs: Date.now() });
  // 5 more linear perpetuals: clones of the seeded ones (tiers and marks too).
  const { rows: base } = await q.query<{ symbol: string }>(
    `SELECT symbol FROM market WHERE kind <> 'OPTION' ORDER BY symbol`,
  );
  const clones = ['BTC-PERP', 'ETH-PERP', 'SOL-PERP', 'BTC-PERP', 'ETH-PERP'].map((s, i) => ({ from: s, to: `${s}-B${i}` }));
  for (const c of clones) {
    await q.query(
      `INSERT INTO market (symbol, kind, contract_type, base_asset, quote_asset, settlement_asset, contract_size, tick_size, expiry, strike,
          option_type, status, liquidation_fee_rate, insurance_fund_fee_rate, funding_index, max_price_age_seconds, book_depth,
          slippage_base_rate, slippage_impact_factor)
       SELECT $2, kind, contract_type, base_asset, quote_asset, settlement_asset, contract_size, tick_size, expiry, strike,
          option_type, status, liquidation_fee_rate, insurance_fund_fee_rate, funding_index, max_price_age_seconds, book_depth,
          slippage_base_rate, slippage_impact_factor FROM market WHERE symbol = $1`,
      [c.from, c.to],
    );
    await q.query(
      `INSERT INTO margin_tier (market_symbol, tier_index, notional_floor, notional_cap, initial_margin_rate, maintenance_margin_rate, maintenance_amount)
       SELECT $2, tier_index, notional_floor, notional_cap, initial_margin_rate, maintenance_margin_rate, maintenance_amount FROM margin_tier WHERE market_symbol = $1`,
      [c.from, c.to],
    );
    await q.query(`INSERT INTO mark_price (market_symbol, price, source, observed_at) SELECT $2, price, source, observed_at FROM mark_price WHERE market_symbol = $1`, [c.from, c.to]);
  }
  const markets = [...base.map((r) => r.symbol), ...clones.map((c) => c.to)].slice(0, 10);
  const { rows: broker } = await q.query<{ id: string }>(`SELECT id FROM broker ORDER BY name LIMIT 1`);
  const { rows: acct } = await q.query<{ id: string }>(
    `INSERT INTO account (broker_id, external_ref) VALUES ($1, 'bench-10-positions') RETURNING id`,
    [broker[0]!.id],
  );
  const accountId = acct[0]!.id;
  await q.query(
    `INSERT INTO balance (account_id, asset_symbol, amount) VALUES ($1, 'USDC', 2000000), ($1, 'BTC', 5), ($1, 'ETH', 40)`,
    [accountId],
  );
  const { rows: marks } = await q.query<{ market_symbol: string; price: string; contract_type: string; contract_size: string }>(
    `SELECT mp.market_symbol, mp.price, m.contract_type, m.contract_size FROM mark_price mp JOIN market m ON m.symbol = mp.market_symbol WHERE mp.market_symbol = ANY($1)`,
    [markets],
  );
  let i = 0;
  for (const m of marks) {
    const price = Number(m.price);
    // ~50k USD notional each, alternating long and short, entries 2% away from the mark.
    const size = m.contract_type === 'LINEAR' ? 50_000 / price / Number(m.contract_size) : 50_000 / Number(m.contract_size);
    const sign = i % 2 === 0 ? 1 : -1;
    await q.query(
      `INSERT INTO position (account_id, market_symbol, size, entry_price) VALUES ($1, $2, $3, $4)`,
      [accountId, m.market_symbol, (sign * Math.round(size * 1000)) / 1000, (price * (1 - sign * 0.02)).toFixed(2)],
    );
    i += 1;
  }
  const { key } = generateApiKey();
  await insertApiKey(q, { key, role: 'MONITOR', brokerId: null, label: 'bench' });

  const body = (query: string, variables: Record<string, unknown> = {}) => JSON.stringify({ query, variables });
  const queries = {
    baseline: body(`query Baseline { market(symbol: "BTC-PERP") { symbol } }`),
    riskWithLiquidation: body(
      `query Risk($id: ID!) { account(id: $id) { id risk { equity initialMarginEquity marginEquity initialMargin maintenanceMargin freeCollateral marginRatio leverage status
        breakdown { positions { positionId market notional initialMargin maintenanceMargin unrealizedPnl liquidationPrice bankruptcyPrice tier { index } initialRate { used source } }
        balances { asset amount value initialWeightedValue maintenanceWeightedValue } crossPnl } }
        liquidationPrices { underlying below { ratio } above { ratio } } } }`,
      { id: accountId },
    ),
    riskFigures: body(
      `query RiskFigures($id: ID!) { account(id: $id) { id risk { equity initialMarginEquity marginEquity initialMargin maintenanceMargin freeCollateral marginRatio leverage status
        breakdown { positions { positionId market notional initialMargin maintenanceMargin unrealizedPnl tier { index } initialRate { used source } }
        balances { asset amount value initialWeightedValue maintenanceWeightedValue } crossPnl } } } }`,
      { id: accountId },
    ),
  };
  return { accountId, key, queries };
}
