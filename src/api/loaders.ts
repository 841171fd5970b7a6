/**
 * Per-request DataLoaders: every list a page of accounts needs (balances, positions, markets, assets, prices) is
 * fetched in one SQL statement per kind, whatever the page size. All of them read the request's snapshot.
 */
import DataLoader from 'dataloader';
import { accountsByIds, balancesByAccounts, positionsByAccounts } from '../store/account.repository';
import { assetsBySymbols, indexPricesByAssets, markPricesByMarkets } from '../store/asset.repository';
import { marketsBySymbols, tiersByMarkets } from '../store/market.repository';
import type { Queryable } from '../store/queryable';
import type {
  AccountRecord,
  AssetRecord,
  BalanceRecord,
  MarginTierRecord,
  MarketRecord,
  PositionRecord,
  PriceRecord,
} from '../store/records';

export interface Loaders {
  readonly account: DataLoader<string, AccountRecord | null>;
  readonly balances: DataLoader<string, BalanceRecord[]>;
  readonly positions: DataLoader<string, PositionRecord[]>;
  readonly market: DataLoader<string, MarketRecord | null>;
  readonly tiers: DataLoader<string, MarginTierRecord[]>;
  readonly asset: DataLoader<string, AssetRecord | null>;
  readonly markPrice: DataLoader<string, PriceRecord | null>;
  readonly indexPrice: DataLoader<string, PriceRecord | null>;
}

function byKey<V, D>(fetch: (keys: readonly string[]) => Promise<Map<string, V>>, missing: D) {
  return async (keys: readonly string[]): Promise<(V | D)[]> => {
    const found = await fetch(keys);
    return keys.map((key) => found.get(key) ?? missing);
  };
}

export function createLoaders(q: Queryable): Loaders {
  return {
    account: new DataLoader(byKey((ids) => accountsByIds(q, ids), null)),
    balances: new DataLoader(byKey((ids) => balancesByAccounts(q, ids), [] as BalanceRecord[])),
    positions: new DataLoader(byKey((ids) => positionsByAccounts(q, ids), [] as PositionRecord[])),
    market: new DataLoader(byKey((symbols) => marketsBySymbols(q, symbols), null)),
    tiers: new DataLoader(byKey((symbols) => tiersByMarkets(q, symbols), [] as MarginTierRecord[])),
    asset: new DataLoader(byKey((symbols) => assetsBySymbols(q, symbols), null)),
    markPrice: new DataLoader(byKey((symbols) => markPricesByMarkets(q, symbols), null)),
    indexPrice: new DataLoader(byKey((symbols) => indexPricesByAssets(q, symbols), null)),
  };
}
