/**
 * Market settlement (ADMIN): every open position of a market is closed at the settlement price in one transaction,
 * and the market becomes SETTLED, which is final.
 *
 * Per position (size q, contract size c, entry E, funding index F_p; market index F; settlement price S):
 *   1. funding settled first, as a broker fill does: q·c·(F_p − F), rounded toward −∞ at the settlement asset's decimals;
 *   2. realized PnL, rounded toward −∞: LINEAR q·c·(S − E), INVERSE q·c·(1/E − 1/S) (the closing-fill rule of
 *      src/risk/fills.ts); OPTION q·c·intrinsic(S), intrinsic = max(S − K, 0) for a call and max(K − S, 0) for a put
 *      (the premium moved cash when the option was filled, so the payout is the intrinsic value alone);
 *   3. an isolated position's margin goes back to the cross balance;
 * each credit with its ledger entry (FUNDING, REALIZED_PNL, ISOLATED_TRANSFER; reference `settlement:<market>`); the
 * position is left at size 0 with its realized PnL accumulated.
 */
import type Decimal from 'decimal.js';
import type { MutationResolvers } from '../../generated/graphql';
import { D, fillArithmetic, toD } from '../../risk';
import { POSITION_COLUMNS, toPosition, type PositionRow } from '../../store/account.repository';
import { bumpAccountVersion, changeBalance, lockAccount, savePosition } from '../../store/account-write.repository';
import { assetsBySymbols } from '../../store/asset.repository';
import { marketsBySymbols } from '../../store/market.repository';
import { lockMarket, markSettled } from '../../store/market-write.repository';
import type { MarketRecord, PositionRecord } from '../../store/records';
import { InputChecks, LIMITS } from '../input';
import { recordParameterVersion } from '../parameter-version';
import { refuse, runWrite } from '../write';

/** Rounds a credit (or debit) toward −∞ at the asset's decimals: the venue never pays out a fraction it lacks. */
const floorTo = (value: Decimal, decimals: number): Decimal => toD(value).toDecimalPlaces(decimals, D.ROUND_FLOOR);

/** Realized PnL of closing the whole position at the settlement price (rule 2 of the module comment), exact. */
export function settlementPnl(market: MarketRecord, position: Pick<PositionRecord, 'size' | 'entryPrice'>, price: Decimal): Decimal {
  if (market.kind === 'OPTION') {
    const k = market.strike!;
    const intrinsic = market.optionType === 'CALL' ? D.max(price.sub(k), 0) : D.max(k.sub(price), 0);
    return position.size.mul(market.contractSize).mul(intrinsic);
  }
  return fillArithmetic({
    size: position.size,
    entryPrice: position.entryPrice,
    fillSize: position.size.neg(),
    fillPrice: price,
    contractSize: market.contractSize,
    contractType: market.contractType,
  }).realizedPnl;
}

export const settlementMutations: Pick<MutationResolvers, 'settleMarket'> = {
  settleMarket: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'settleMarket',
      input,
      roles: ['ADMIN'],
      validate: () => {
        const checks = new InputChecks();
        checks.symbol('market', input.market);
        checks.positive('settlementPrice', input.settlementPrice, LIMITS.maxPrice);
        return checks.errors;
      },
      execute: async (scope) => {
        if (!(await lockMarket(scope.tx, input.market))) return refuse('NOT_FOUND', 'market', `unknown market ${input.market}`);
        const market = (await marketsBySymbols(scope.tx, [input.market])).get(input.market)!;
        if (market.status === 'SETTLED') return refuse('MARKET_INACTIVE', 'market', `market ${market.symbol} is settled already (final)`);
        const price = input.settlementPrice;
        if (market.kind !== 'OPTION' && !price.mod(market.tickSize).isZero()) {
          return refuse('BAD_USER_INPUT', 'settlementPrice', `settlementPrice must be a multiple of the tick ${market.tickSize.toFixed()}`);
        }
        const settlement = (await assetsBySymbols(scope.tx, [market.settlementAsset])).get(market.settlementAsset)!;
        const reference = `settlement:${market.symbol}`;
        // Accounts are locked in id order (as every multi-account write does), then their positions read under the lock.
        const { rows: holders } = await scope.tx.query<{ account_id: string }>(
          `SELECT DISTINCT account_id FROM position WHERE market_symbol = $1 AND size <> 0 ORDER BY account_id`,
          [market.symbol],
        );
        let positionsClosed = 0;
        for (const { account_id: accountId } of holders) {
          const account = (await lockAccount(scope.tx, accountId))!;
          const { rows } = await scope.tx.query<PositionRow>(
            `SELECT ${POSITION_COLUMNS} FROM position WHERE account_id = $1 AND market_symbol = $2 AND size <> 0`,
            [accountId, market.symbol],
          );
          if (!rows[0]) continue;
          const position = toPosition(rows[0]);
          const credits: { kind: 'FUNDING' | 'REALIZED_PNL' | 'ISOLATED_TRANSFER'; amount: Decimal }[] = [
            { kind: 'FUNDING', amount: floorTo(position.size.mul(market.contractSize).mul(position.fundingIndex.sub(market.fundingIndex)), settlement.decimals) },
            { kind: 'REALIZED_PNL', amount: floorTo(settlementPnl(market, position, price), settlement.decimals) },
            { kind: 'ISOLATED_TRANSFER', amount: position.isolatedMargin },
          ];
          const ledgerEntryIds: string[] = [];
          for (const c of credits) {
            if (c.amount.isZero()) continue;
            const { ledgerEntry } = await changeBalance(scope.tx, { accountId, asset: settlement.symbol, delta: c.amount, kind: c.kind, reference });
            ledgerEntryIds.push(ledgerEntry.id);
          }
          const realized = credits[1]!.amount;
          const closed = await savePosition(scope.tx, {
            accountId,
            marketSymbol: market.symbol,
            size: toD(0),
            entryPrice: position.entryPrice,
            realizedPnl: position.realizedPnl.add(realized),
            fundingIndex: market.fundingIndex,
            marginType: position.marginType,
            isolatedMargin: toD(0),
          });
          const updated = await bumpAccountVersion(scope.tx, accountId);
          await scope.audit({
            accountId,
            brokerId: account.brokerId,
            before: { version: account.version, position: { market: market.symbol, size: position.size, entryPrice: position.entryPrice, isolatedMargin: position.isolatedMargin } },
            after: { version: updated.version, position: { market: market.symbol, size: closed.size }, settlementPrice: price, realizedPnl: realized, ledgerEntryIds },
          });
          positionsClosed += 1;
        }
        await markSettled(scope.tx, market.symbol, price, scope.nowMs);
        const after = (await marketsBySymbols(scope.tx, [market.symbol])).get(market.symbol)!;
        const parametersVersion = await recordParameterVersion(scope, 'settleMarket');
        await scope.audit({
          before: { market: market.symbol, status: market.status },
          after: { market: market.symbol, status: after.status, settlementPrice: price, positionsClosed, parametersVersion },
        });
        return { market: after, positionsClosed, accountsSettled: positionsClosed };
      },
    }),
};
