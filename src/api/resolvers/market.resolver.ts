/** Markets, assets, tiers and prices (read side). */
import { listAssets } from '../../store/asset.repository';
import { listMarkets } from '../../store/market.repository';
import type { AssetResolvers, MarketResolvers, QueryResolvers } from '../../generated/graphql';
import { requireSymbol } from '../input';
import { required } from './account.resolver';
import { toD } from '../../risk';

const ZERO_RATE = toD(0);

export const marketQueries: Pick<QueryResolvers, 'markets' | 'market' | 'assets'> = {
  markets: async (_parent, _args, ctx) => {
    const markets = await listMarkets(ctx.snapshot);
    for (const market of markets) ctx.loaders.market.prime(market.symbol, market);
    return markets;
  },
  market: (_parent, { symbol }, ctx) => {
    requireSymbol(symbol, 'symbol');
    return ctx.loaders.market.load(symbol);
  },
  assets: async (_parent, _args, ctx) => {
    const assets = await listAssets(ctx.snapshot);
    for (const asset of assets) ctx.loaders.asset.prime(asset.symbol, asset);
    return assets;
  },
};

export const Market: MarketResolvers = {
  baseAsset: (market, _args, ctx) => required(ctx.loaders.asset.load(market.baseAsset), `asset ${market.baseAsset}`),
  quoteAsset: (market, _args, ctx) => required(ctx.loaders.asset.load(market.quoteAsset), `asset ${market.quoteAsset}`),
  settlementAsset: (market, _args, ctx) =>
    required(ctx.loaders.asset.load(market.settlementAsset), `asset ${market.settlementAsset}`),
  tiers: (market, _args, ctx) => ctx.loaders.tiers.load(market.symbol),
  markPrice: (market, _args, ctx) => ctx.loaders.markPrice.load(market.symbol),
  maintenanceBasis: (market) => market.maintenanceBasis ?? 'MARK',
  sizeAddonInitial: (market) => market.sizeAddonInitial ?? null,
  sizeAddonMaintenance: (market) => market.sizeAddonMaintenance ?? null,
  closingFeeRate: (market) => market.closingFeeRate ?? ZERO_RATE,
};

export const Asset: AssetResolvers = {
  indexPrice: (asset, _args, ctx) => ctx.loaders.indexPrice.load(asset.symbol),
  interestRate: (asset, _args, ctx) => ctx.loaders.interestRate.load(asset.symbol),
};
