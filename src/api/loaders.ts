/**
 * Per-request DataLoaders: every list a page of accounts needs (balances, positions, markets, assets, prices) is
 * fetched in one SQL statement per kind, whatever the page size. All of them read the request's snapshot.
 *
 * `snapshot` loads accounts as engine snapshots (account, balances, positions and market data: ONE statement,
 * src/store/snapshot.repository.ts) for the risk loader, and primes `balances` and `positions` with the same rows.
 * When the operation selects risk (src/api/risk-mode.ts), `account` reads through `snapshot` too, so an
 * `account(id) { risk { … } }` request costs one data statement instead of two.
 */
import DataLoader from 'dataloader';
import { accountsByIds, balancesByAccounts, positionsByAccounts } from '../store/account.repository';
import { assetsBySymbols, indexPricesByAssets, markPricesByMarkets } from '../store/asset.repository';
import { marketsBySymbols, tiersByMarkets } from '../store/market.repository';
import { currentParameterVersion } from '../store/parameter-version.repository';
import { interestRatesByAssets } from '../store/interest-rate.repository';
import type { Queryable } from '../store/queryable';
import type {
  AccountRecord,
  AssetRecord,
  BalanceRecord,
  InterestRateRecord,
  MarginTierRecord,
  MarketRecord,
  PositionRecord,
  PriceRecord,
} from '../store/records';
import type { RiskOptions } from './risk-mode';
import { riskEventsByIds, type RiskEventRecord } from '../monitoring/risk-event.repository';
import { loadAccountSnapshotsWithRows, type LoadedAccount } from '../snapshot/snapshot.loader';

export interface Loaders {
  readonly account: DataLoader<string, AccountRecord | null>;
  readonly balances: DataLoader<string, BalanceRecord[]>;
  readonly positions: DataLoader<string, PositionRecord[]>;
  readonly market: DataLoader<string, MarketRecord | null>;
  readonly tiers: DataLoader<string, MarginTierRecord[]>;
  readonly asset: DataLoader<string, AssetRecord | null>;
  readonly markPrice: DataLoader<string, PriceRecord | null>;
  readonly indexPrice: DataLoader<string, PriceRecord | null>;
  /** An asset's interest rate (null: none set). */
  readonly interestRate: DataLoader<string, InterestRateRecord | null>;
  /** Engine snapshot per account id (null: no such account), evaluated at the request's time. */
  readonly snapshot: DataLoader<string, LoadedAccount | null>;
  /** The latest risk-parameter version in the request's snapshot (one key, `current`; null before any change). */
  readonly parametersVersion: DataLoader<'current', string | null>;
  /** Risk events by id (the webhook delivery log's events). */
  readonly riskEvent: DataLoader<string, RiskEventRecord | null>;
}

function byKey<V, D>(fetch: (keys: readonly string[]) => Promise<Map<string, V>>, missing: D) {
  return async (keys: readonly string[]): Promise<(V | D)[]> => {
    const found = await fetch(keys);
    return keys.map((key) => found.get(key) ?? missing);
  };
}

export function createLoaders(
  q: Queryable,
  options: { nowMs: number; riskOptions: RiskOptions } = { nowMs: Date.now(), riskOptions: { liquidationPrices: 'COMPUTE', greeks: 'COMPUTE', prefetchSnapshots: false } },
): Loaders {
  const balances = new DataLoader(byKey((ids) => balancesByAccounts(q, ids), [] as BalanceRecord[]));
  const positions = new DataLoader(byKey((ids) => positionsByAccounts(q, ids), [] as PositionRecord[]));
  const snapshot = new DataLoader<string, LoadedAccount | null>(async (ids) => {
    const { loaded, rows } = await loadAccountSnapshotsWithRows(q, ids, options.nowMs);
    // The same rows (same statement shapes and mappers) the balances / positions loaders would read.
    for (const id of rows.accounts.keys()) {
      balances.prime(id, rows.balances.get(id) ?? []);
      positions.prime(id, rows.positions.get(id) ?? []);
    }
    return ids.map((id) => loaded.get(id) ?? null);
  });
  const accounts = byKey((ids) => accountsByIds(q, ids), null);
  return {
    account: new DataLoader(async (ids) =>
      options.riskOptions.prefetchSnapshots ? (await snapshot.loadMany(ids)).map((l) => (l instanceof Error ? l : (l?.account ?? null))) : accounts(ids),
    ),
    balances,
    positions,
    market: new DataLoader(byKey((symbols) => marketsBySymbols(q, symbols), null)),
    tiers: new DataLoader(byKey((symbols) => tiersByMarkets(q, symbols), [] as MarginTierRecord[])),
    asset: new DataLoader(byKey((symbols) => assetsBySymbols(q, symbols), null)),
    markPrice: new DataLoader(byKey((symbols) => markPricesByMarkets(q, symbols), null)),
    indexPrice: new DataLoader(byKey((symbols) => indexPricesByAssets(q, symbols), null)),
    interestRate: new DataLoader(byKey((symbols) => interestRatesByAssets(q, symbols), null)),
    snapshot,
    parametersVersion: new DataLoader<'current', string | null>(async (keys) => {
      const version = await currentParameterVersion(q);
      return keys.map(() => version);
    }),
    riskEvent: new DataLoader(byKey(async (ids) => new Map((await riskEventsByIds(q, ids)).map((e) => [e.id, e])), null)),
  };
}
