/**
 * Account writes: createAccount, deposit, withdraw, applyFill, transferIsolatedMargin. Each locks its account row
 * (SELECT … FOR UPDATE) before reading the state it checks, and checks margin by evaluating the risk engine on the
 * after-state inside the same transaction, so concurrent writes on one account cannot both pass a check that only
 * one should (DESIGN section 6, "Consistency").
 */
import type Decimal from 'decimal.js';
import type { LedgerEntryResolvers, MutationResolvers } from '../../generated/graphql';
import { D, fillArithmetic, toD, type AccountRisk } from '../../risk';
import { brokerExists } from '../../store/api-key.repository';
import {
  balanceOf,
  bumpAccountVersion,
  changeBalance,
  insertAccount,
  lockAccount,
  positionOf,
  savePosition,
} from '../../store/account-write.repository';
import { assetsBySymbols } from '../../store/asset.repository';
import { marketsBySymbols } from '../../store/market.repository';
import type { AccountRecord, AssetRecord, LedgerEntryRecord, MarketRecord, PositionRecord } from '../../store/records';
import { DomainError } from '../errors';
import { InputChecks, LIMITS } from '../input';

/** Decimal places an averaged entry price is stored with. */
const ENTRY_PRICE_DECIMALS = 20;
import { ACCOUNT_WRITERS, canAccessAccount } from '../principal';
import { evaluateInTransaction, refuse, Refusal, runWrite, type WriteScope } from '../write';

/** The account, locked, when the caller may write it; NOT_FOUND (same as a missing one) otherwise. */
async function lockWritableAccount(
  scope: WriteScope,
  accountId: string,
  allow: { frozen?: boolean } = {},
): Promise<AccountRecord | Refusal> {
  const account = await lockAccount(scope.tx, accountId, scope.principal.role === 'BROKER' ? scope.principal.brokerId : null);
  if (!account || !canAccessAccount(scope.principal, account)) {
    return refuse('NOT_FOUND', 'accountId', `account ${accountId.slice(0, 64)} not found`);
  }
  if (account.status !== 'ACTIVE' && !(allow.frozen && account.status === 'FROZEN')) {
    return refuse('ACCOUNT_INACTIVE', 'accountId', `account ${account.id} is ${account.status}`);
  }
  return account;
}

async function knownAsset(scope: WriteScope, symbol: string, field = 'asset'): Promise<AssetRecord | Refusal> {
  const asset = (await assetsBySymbols(scope.tx, [symbol])).get(symbol);
  return asset ?? refuse('BAD_USER_INPUT', field, `unknown asset ${symbol.slice(0, 64)}`);
}

async function knownMarket(scope: WriteScope, symbol: string): Promise<MarketRecord | Refusal> {
  const market = (await marketsBySymbols(scope.tx, [symbol])).get(symbol);
  return market ?? refuse('BAD_USER_INPUT', 'market', `unknown market ${symbol.slice(0, 64)}`);
}

function withinDecimals(field: string, value: Decimal, asset: AssetRecord): Refusal | null {
  return value.decimalPlaces() > asset.decimals
    ? refuse('BAD_USER_INPUT', field, `${field} has more decimal places than ${asset.symbol} allows (${asset.decimals})`)
    : null;
}

/** Rounds a credit (or debit) toward −∞ at the asset's decimals: the venue never pays out a fraction it lacks. */
function floorTo(value: Decimal, decimals: number): Decimal {
  return toD(value).toDecimalPlaces(decimals, D.ROUND_FLOOR);
}

function ceilTo(value: Decimal, decimals: number): Decimal {
  return toD(value).toDecimalPlaces(decimals, D.ROUND_CEIL);
}

const balanceView = (asset: string, amount: Decimal) => ({ asset, amount });
const positionView = (p: PositionRecord | null) =>
  p && {
    market: p.marketSymbol,
    size: p.size,
    entryPrice: p.entryPrice,
    realizedPnl: p.realizedPnl,
    fundingIndex: p.fundingIndex,
    marginType: p.marginType,
    isolatedMargin: p.isolatedMargin,
    version: p.version,
  };

function insufficientMargin(risk: AccountRisk, what: string): Refusal {
  return refuse(
    'INSUFFICIENT_MARGIN',
    'amount',
    `${what} would leave free collateral at ${risk.freeCollateral.toFixed()} ${risk.valuationAsset} (below zero)`,
  );
}

export const accountMutations: Pick<
  MutationResolvers,
  'createAccount' | 'deposit' | 'withdraw' | 'applyFill' | 'transferIsolatedMargin'
> = {
  createAccount: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'createAccount',
      input,
      roles: ACCOUNT_WRITERS,
      validate: () => {
        const checks = new InputChecks();
        checks.text('externalRef', input.externalRef, { max: 128 });
        if (input.brokerId !== null && input.brokerId !== undefined) checks.uuid('brokerId', input.brokerId);
        else if (ctx.principal.role === 'ADMIN') checks.fail('brokerId', 'brokerId is required for an ADMIN key');
        return checks.errors;
      },
      execute: async (scope) => {
        let brokerId: string;
        if (scope.principal.role === 'BROKER') {
          if (input.brokerId && input.brokerId !== scope.principal.brokerId) {
            throw new DomainError('FORBIDDEN', 'a BROKER key creates accounts for its own broker only', { field: 'brokerId' });
          }
          brokerId = scope.principal.brokerId!;
        } else {
          brokerId = input.brokerId!;
          if (!(await brokerExists(scope.tx, brokerId))) return refuse('NOT_FOUND', 'brokerId', `broker ${brokerId} not found`);
        }
        const account = await insertAccount(scope.tx, {
          brokerId,
          externalRef: input.externalRef,
          marginMode: input.marginMode ?? 'CROSS',
        });
        if (!account) {
          return refuse('ALREADY_EXISTS', 'externalRef', `the broker already has an account with externalRef "${input.externalRef}"`);
        }
        await scope.audit({ accountId: account.id, brokerId, before: null, after: { account } });
        return { account };
      },
    }),

  deposit: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'deposit',
      input,
      roles: ACCOUNT_WRITERS,
      validate: () => balanceMoveChecks(input),
      execute: async (scope) => {
        const target = await balanceMoveTarget(scope, input, { frozen: true });
        if (target instanceof Refusal) return target;
        const { account, asset } = target;
        const { balance, ledgerEntry } = await changeBalance(scope.tx, {
          accountId: account.id,
          asset: asset.symbol,
          delta: input.amount,
          kind: 'DEPOSIT',
          reference: input.reference ?? null,
        });
        const updated = await bumpAccountVersion(scope.tx, account.id);
        await scope.audit({
          accountId: account.id,
          brokerId: account.brokerId,
          before: { version: account.version, balance: balanceView(asset.symbol, toD(balance.amount).sub(input.amount)) },
          after: { version: updated.version, balance: balanceView(asset.symbol, balance.amount), ledgerEntryId: ledgerEntry.id },
        });
        return { account: updated, balance, ledgerEntry };
      },
    }),

  withdraw: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'withdraw',
      input,
      roles: ACCOUNT_WRITERS,
      validate: () => balanceMoveChecks(input),
      execute: async (scope) => {
        const target = await balanceMoveTarget(scope, input);
        if (target instanceof Refusal) return target;
        const { account, asset } = target;
        const { balance, ledgerEntry } = await changeBalance(scope.tx, {
          accountId: account.id,
          asset: asset.symbol,
          delta: toD(input.amount).neg(),
          kind: 'WITHDRAWAL',
          reference: input.reference ?? null,
        });
        // The check reads the after-state: the engine values a negative balance at its liability weight, so a
        // withdrawal may borrow exactly as far as margin allows and no further.
        const after = await evaluateInTransaction(scope.tx, account.id, scope.nowMs);
        if (after.freeCollateral.isNegative()) return insufficientMargin(after, `withdrawing ${input.amount.toFixed()} ${asset.symbol}`);
        const updated = await bumpAccountVersion(scope.tx, account.id);
        await scope.audit({
          accountId: account.id,
          brokerId: account.brokerId,
          before: { version: account.version, balance: balanceView(asset.symbol, toD(balance.amount).add(input.amount)) },
          after: {
            version: updated.version,
            balance: balanceView(asset.symbol, balance.amount),
            ledgerEntryId: ledgerEntry.id,
            freeCollateral: after.freeCollateral,
          },
        });
        return { account: updated, balance, ledgerEntry, freeCollateral: after.freeCollateral };
      },
    }),

  applyFill: (_parent, { input: given }, ctx) => {
    // An omitted or null fee is 0 (the same request, for idempotency, as one that says "0").
    const input = { ...given, fee: given.fee ?? toD(0) };
    return runWrite(ctx, {
      operation: 'applyFill',
      input,
      roles: ACCOUNT_WRITERS,
      validate: () => {
        const checks = new InputChecks();
        checks.symbol('market', input.market);
        checks.nonZero('size', input.size, LIMITS.maxSize);
        checks.positive('price', input.price, LIMITS.maxPrice);
        checks.nonNegative('fee', input.fee ?? toD(0));
        checks.text('reference', input.reference, { max: 256, optional: true });
        return checks.errors;
      },
      execute: async (scope) => {
        const account = await lockWritableAccount(scope, input.accountId);
        if (account instanceof Refusal) return account;
        const market = await knownMarket(scope, input.market);
        if (market instanceof Refusal) return market;
        if (market.kind === 'OPTION') return refuse('UNSUPPORTED', 'market', 'fills on option markets are not supported yet');
        if (market.status === 'SETTLED') return refuse('MARKET_INACTIVE', 'market', `market ${market.symbol} is settled`);
        const settlement = await knownAsset(scope, market.settlementAsset, 'market');
        if (settlement instanceof Refusal) return settlement;
        const fee = toD(input.fee ?? 0);
        const feeTooPrecise = withinDecimals('fee', fee, settlement);
        if (feeTooPrecise) return feeTooPrecise;

        const existing = await positionOf(scope.tx, account.id, market.symbol);
        const open = existing !== null && !existing.size.isZero();
        if (open && input.marginType && input.marginType !== existing.marginType) {
          return refuse('BAD_USER_INPUT', 'marginType', `the open position is ${existing.marginType}; close it to change its margin type`);
        }
        const marginType = open ? existing.marginType : (input.marginType ?? 'CROSS');
        const arithmetic = fillArithmetic({
          size: existing?.size ?? toD(0),
          entryPrice: existing?.entryPrice ?? toD(0),
          fillSize: input.size,
          fillPrice: input.price,
          contractSize: market.contractSize,
          contractType: market.contractType,
        });
        // The stored average entry keeps ENTRY_PRICE_DECIMALS places.
        const fill = { ...arithmetic, entryPrice: arithmetic.entryPrice.toDecimalPlaces(ENTRY_PRICE_DECIMALS, D.ROUND_HALF_EVEN) };
        if (!fill.reducesOnly) {
          if (market.status === 'REDUCE_ONLY') return refuse('MARKET_INACTIVE', 'size', `market ${market.symbol} accepts reducing fills only`);
          if (market.expiry && market.expiry.getTime() <= scope.nowMs) {
            return refuse('MARKET_INACTIVE', 'market', `market ${market.symbol} expired at ${market.expiry.toISOString()}`);
          }
        }
        // A fill that only reduces risk is always allowed and needs no evaluation (it passes even on stale prices).
        const before = fill.reducesOnly ? null : await evaluateInTransaction(scope.tx, account.id, scope.nowMs, [market.symbol]);

        const ledgerEntries: LedgerEntryRecord[] = [];
        const credit = async (delta: Decimal, kind: LedgerEntryRecord['kind']) => {
          if (delta.isZero()) return;
          const { ledgerEntry } = await changeBalance(scope.tx, {
            accountId: account.id,
            asset: settlement.symbol,
            delta,
            kind,
            reference: input.reference ?? `fill:${market.symbol}`,
          });
          ledgerEntries.push(ledgerEntry);
        };
        const balanceBefore = await balanceOf(scope.tx, account.id, settlement.symbol);
        // Funding accrued on the old size is settled first, so the new size starts from the current index.
        if (open) await credit(floorTo(existing.size.mul(market.contractSize).mul(toD(existing.fundingIndex).sub(market.fundingIndex)), settlement.decimals), 'FUNDING');
        const realizedPnl = floorTo(fill.realizedPnl, settlement.decimals);
        await credit(realizedPnl, 'REALIZED_PNL');
        await credit(fee.neg(), 'TRADE_FEE');
        let isolatedMargin = existing?.isolatedMargin ?? toD(0);
        if (fill.size.isZero() && isolatedMargin.gt(0)) {
          // A closed isolated position hands its margin back to the cross balance.
          await credit(isolatedMargin, 'ISOLATED_TRANSFER');
          isolatedMargin = toD(0);
        }
        let position = await savePosition(scope.tx, {
          accountId: account.id,
          marketSymbol: market.symbol,
          size: fill.size,
          entryPrice: fill.entryPrice,
          realizedPnl: toD(existing?.realizedPnl ?? 0).add(realizedPnl),
          fundingIndex: market.fundingIndex,
          marginType,
          isolatedMargin,
        });

        let after: AccountRisk | null = null;
        if (before) {
          after = await evaluateInTransaction(scope.tx, account.id, scope.nowMs, [market.symbol]);
          if (marginType === 'ISOLATED' && !fill.size.isZero()) {
            // An isolated position carries its own initial margin: the shortfall moves over from the cross balance.
            const pr = after.positionsById[position.id]!;
            const shortfall = ceilTo(pr.initialMargin.sub(pr.isolatedEquity ?? 0), settlement.decimals);
            if (shortfall.gt(0)) {
              await credit(shortfall.neg(), 'ISOLATED_TRANSFER');
              position = await savePosition(scope.tx, { ...position, isolatedMargin: position.isolatedMargin.add(shortfall) });
              after = await evaluateInTransaction(scope.tx, account.id, scope.nowMs, [market.symbol]);
            }
          }
          const imBefore = before.positionsById[existing?.id ?? '']?.initialMargin ?? toD(0);
          const imAfter = after.positionsById[position.id]?.initialMargin ?? toD(0);
          const increasesRisk =
            after.initialMargin.gt(before.initialMargin) || fill.size.abs().gt(toD(existing?.size ?? 0).abs()) || imAfter.gt(imBefore);
          if (increasesRisk && after.freeCollateral.isNegative()) {
            return refuse(
              'INSUFFICIENT_MARGIN',
              'size',
              `the fill increases risk and would leave free collateral at ${after.freeCollateral.toFixed()} ${after.valuationAsset} (below initial margin)`,
            );
          }
        }
        const updated = await bumpAccountVersion(scope.tx, account.id);
        const balanceAfter = await balanceOf(scope.tx, account.id, settlement.symbol);
        await scope.audit({
          accountId: account.id,
          brokerId: account.brokerId,
          before: { version: account.version, position: positionView(existing), balance: balanceView(settlement.symbol, balanceBefore) },
          after: {
            version: updated.version,
            position: positionView(position),
            balance: balanceView(settlement.symbol, balanceAfter),
            fill: { size: input.size, price: input.price, fee },
            ledgerEntryIds: ledgerEntries.map((e) => e.id),
            freeCollateral: after?.freeCollateral ?? null,
          },
        });
        return { account: updated, position, realizedPnl, ledgerEntries, freeCollateral: after?.freeCollateral ?? null };
      },
    });
  },

  transferIsolatedMargin: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'transferIsolatedMargin',
      input,
      roles: ACCOUNT_WRITERS,
      validate: () => {
        const checks = new InputChecks();
        checks.symbol('market', input.market);
        checks.nonZero('amount', input.amount, LIMITS.maxAmount);
        return checks.errors;
      },
      execute: async (scope) => {
        const account = await lockWritableAccount(scope, input.accountId);
        if (account instanceof Refusal) return account;
        const market = await knownMarket(scope, input.market);
        if (market instanceof Refusal) return market;
        const settlement = await knownAsset(scope, market.settlementAsset, 'market');
        if (settlement instanceof Refusal) return settlement;
        const tooPrecise = withinDecimals('amount', input.amount.abs(), settlement);
        if (tooPrecise) return tooPrecise;
        const existing = await positionOf(scope.tx, account.id, market.symbol);
        if (!existing || existing.size.isZero() || existing.marginType !== 'ISOLATED') {
          return refuse('BAD_USER_INPUT', 'market', `the account has no open ISOLATED position in ${market.symbol}`);
        }
        const amount = toD(input.amount);
        const isolatedMargin = toD(existing.isolatedMargin).add(amount);
        if (isolatedMargin.isNegative()) {
          return refuse('INSUFFICIENT_MARGIN', 'amount', `the position holds only ${existing.isolatedMargin.toFixed()} ${settlement.symbol} of isolated margin`);
        }
        const balanceBefore = await balanceOf(scope.tx, account.id, settlement.symbol);
        const { balance, ledgerEntry } = await changeBalance(scope.tx, {
          accountId: account.id,
          asset: settlement.symbol,
          delta: amount.neg(),
          kind: 'ISOLATED_TRANSFER',
          reference: `isolated:${market.symbol}`,
        });
        const position = await savePosition(scope.tx, { ...existing, isolatedMargin });
        const after = await evaluateInTransaction(scope.tx, account.id, scope.nowMs, [market.symbol]);
        // Each side is checked when it gives margin away: the cross account for a transfer in, the position for one out.
        if (amount.isPositive() && after.freeCollateral.isNegative()) return insufficientMargin(after, 'the transfer');
        if (amount.isNegative()) {
          const pr = after.positionsById[position.id]!;
          if (toD(pr.isolatedEquity ?? 0).lt(pr.initialMargin)) {
            return refuse(
              'INSUFFICIENT_MARGIN',
              'amount',
              `the isolated position would keep ${toD(pr.isolatedEquity ?? 0).toFixed()} ${settlement.symbol} of equity, below its initial margin ${pr.initialMargin.toFixed()}`,
            );
          }
        }
        const updated = await bumpAccountVersion(scope.tx, account.id);
        await scope.audit({
          accountId: account.id,
          brokerId: account.brokerId,
          before: { version: account.version, position: positionView(existing), balance: balanceView(settlement.symbol, balanceBefore) },
          after: {
            version: updated.version,
            position: positionView(position),
            balance: balanceView(settlement.symbol, balance.amount),
            ledgerEntryId: ledgerEntry.id,
            freeCollateral: after.freeCollateral,
          },
        });
        return { account: updated, position, balance, ledgerEntry, freeCollateral: after.freeCollateral };
      },
    }),
};

export const LedgerEntry: LedgerEntryResolvers = {
  asset: async (entry, _args, ctx) => {
    const asset = await ctx.loaders.asset.load(entry.assetSymbol);
    if (!asset) throw new DomainError('INTERNAL_SERVER_ERROR', `asset ${entry.assetSymbol} missing from the store`);
    return asset;
  },
};

/** Input checks shared by deposit and withdraw. */
function balanceMoveChecks(input: { asset: string; amount: Decimal; reference?: string | null }) {
  const checks = new InputChecks();
  checks.symbol('asset', input.asset);
  checks.positive('amount', input.amount);
  checks.text('reference', input.reference, { max: 256, optional: true });
  return checks.errors;
}

/**
 * Deposit and withdraw: the locked account, the known asset, and an amount within the asset's decimals — or the
 * refusal for the first that fails. `frozen`: whether a FROZEN account accepts the move (deposits only).
 */
async function balanceMoveTarget(
  scope: WriteScope,
  input: { accountId: string; asset: string; amount: Decimal },
  options: { frozen?: boolean } = {},
): Promise<{ account: AccountRecord; asset: AssetRecord } | Refusal> {
  const account = await lockWritableAccount(scope, input.accountId, options);
  if (account instanceof Refusal) return account;
  const asset = await knownAsset(scope, input.asset);
  if (asset instanceof Refusal) return asset;
  const tooPrecise = withinDecimals('amount', input.amount, asset);
  if (tooPrecise) return tooPrecise;
  return { account, asset };
}
