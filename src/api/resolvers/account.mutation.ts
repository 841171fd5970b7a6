/**
 * Account writes: createAccount, deposit, withdraw, applyFill, transferIsolatedMargin, setLeverage, setMarginMode.
 * Each locks its account row (SELECT … FOR UPDATE), reads the account's engine snapshot inside the same transaction,
 * applies the engine's account transition (src/risk/transition.ts: the same functions `whatIf` applies) and persists
 * exactly what it returns — ledger lines, changed positions, margin mode — or answers its refusal. Concurrent writes on
 * one account cannot both pass a check that only one should (DESIGN section 6, "Consistency").
 */
import { POSITION_RULE_SCHEMAS } from '../rule-schemas';
import type Decimal from 'decimal.js';
import type { LedgerEntryResolvers, MutationResolvers } from '../../generated/graphql';
import {
  depositTransition,
  fillArithmetic,
  fillTransition,
  isolatedTransferTransition,
  leverageTransition,
  marginModeTransition,
  toD,
  withdrawalTransition,
  type PositionSnapshot,
} from '../../risk';
import { withPosition } from '../../risk/fills';
import { brokerExists } from '../../store/api-key.repository';
import {
  balanceOf,
  bumpAccountVersion,
  insertAccount,
  lockAccount,
  positionOf,
  saveMarginMode,
  saveTransition,
} from '../../store/account-write.repository';
import { assetsBySymbols } from '../../store/asset.repository';
import { marketsBySymbols } from '../../store/market.repository';
import type { AccountRecord, AssetRecord, MarketRecord, PositionRecord } from '../../store/records';
import { DomainError } from '../errors';
import { InputChecks, LIMITS } from '../input';
import { ACCOUNT_WRITERS, canAccessAccount } from '../principal';
import { decideTransition, positionWrites, refuse, Refusal, runWrite, snapshotInTransaction, type WriteScope } from '../write';
import { reportedFreeCollateral } from '../../risk/precision';
import { positionSnapshotOf } from '../../snapshot/snapshot.loader';

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

export const accountMutations: Pick<
  MutationResolvers,
  'createAccount' | 'deposit' | 'withdraw' | 'applyFill' | 'transferIsolatedMargin' | 'setLeverage' | 'setMarginMode'
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
        const snapshot = await snapshotInTransaction(scope.tx, account.id, scope.nowMs);
        const t = decideTransition(() => depositTransition(snapshot, { asset: asset.symbol, amount: input.amount }));
        if (t instanceof Refusal) return t;
        const written = await saveTransition(scope.tx, account.id, { ledger: t.ledger, positions: [] }, input.reference ?? null);
        const balance = written.balances.get(asset.symbol)!;
        const ledgerEntry = written.ledgerEntries[0]!;
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
        // The engine values a negative balance at its liability weight, so a withdrawal may borrow exactly as far as
        // margin allows and no further (transition.ts).
        const snapshot = await snapshotInTransaction(scope.tx, account.id, scope.nowMs);
        const t = decideTransition(() => withdrawalTransition(snapshot, { asset: asset.symbol, amount: input.amount }));
        if (t instanceof Refusal) return t;
        const written = await saveTransition(scope.tx, account.id, { ledger: t.ledger, positions: [] }, input.reference ?? null);
        const balance = written.balances.get(asset.symbol)!;
        const ledgerEntry = written.ledgerEntries[0]!;
        const freeCollateral = reportedFreeCollateral(t.risk!);
        const updated = await bumpAccountVersion(scope.tx, account.id);
        await scope.audit({
          accountId: account.id,
          brokerId: account.brokerId,
          before: { version: account.version, balance: balanceView(asset.symbol, toD(balance.amount).add(input.amount)) },
          after: {
            version: updated.version,
            balance: balanceView(asset.symbol, balance.amount),
            ledgerEntryId: ledgerEntry.id,
            freeCollateral,
          },
        });
        return { account: updated, balance, ledgerEntry, freeCollateral };
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
        if (market.kind === 'OPTION' && market.contractType !== 'LINEAR') {
          return refuse('UNSUPPORTED', 'market', 'fills on INVERSE option markets are not supported');
        }
        if (market.status === 'SETTLED') return refuse('MARKET_INACTIVE', 'market', `market ${market.symbol} is settled`);
        const settlement = await knownAsset(scope, market.settlementAsset, 'market');
        if (settlement instanceof Refusal) return settlement;
        const fee = toD(input.fee ?? 0);
        const feeTooPrecise = withinDecimals('fee', fee, settlement);
        if (feeTooPrecise) return feeTooPrecise;

        const existing = await positionOf(scope.tx, account.id, market.symbol);
        const open = existing !== null && !existing.size.isZero();
        const reducesOnly = fillArithmetic({
          size: open ? existing.size : toD(0),
          entryPrice: open ? existing.entryPrice : input.price,
          fillSize: input.size,
          fillPrice: input.price,
          contractSize: market.contractSize,
          contractType: market.contractType,
        }).reducesOnly;
        if (!reducesOnly) {
          if (market.status === 'REDUCE_ONLY') return refuse('MARKET_INACTIVE', 'size', `market ${market.symbol} accepts reducing fills only`);
          if (market.expiry && market.expiry.getTime() <= scope.nowMs) {
            return refuse('MARKET_INACTIVE', 'market', `market ${market.symbol} expired at ${market.expiry.toISOString()}`);
          }
        }
        let snapshot = await snapshotInTransaction(scope.tx, account.id, scope.nowMs, [market.symbol]);
        // A closed position's row is reopened in place (its id and realized PnL carry on).
        if (existing !== null && !open) snapshot = withPosition(snapshot, positionSnapshotOf(existing));
        const t = decideTransition(() =>
          fillTransition(snapshot, { market: market.symbol, size: input.size, price: input.price, fee, marginType: input.marginType ?? null }),
        );
        if (t instanceof Refusal) return t;
        const written = await saveTransition(scope.tx, account.id, { ledger: t.ledger, positions: positionWrites(t.positions) }, input.reference ?? `fill:${market.symbol}`);
        const position = written.positions.get(market.symbol)!;
        const freeCollateral = (t.risk ? reportedFreeCollateral(t.risk) : null);
        const updated = await bumpAccountVersion(scope.tx, account.id);
        const balanceAfter = await balanceOf(scope.tx, account.id, settlement.symbol);
        const moved = t.ledger.filter((l) => l.asset === settlement.symbol).reduce((a, l) => a.add(l.amount), toD(0));
        await scope.audit({
          accountId: account.id,
          brokerId: account.brokerId,
          before: { version: account.version, position: positionView(existing), balance: balanceView(settlement.symbol, balanceAfter.sub(moved)) },
          after: {
            version: updated.version,
            position: positionView(position),
            balance: balanceView(settlement.symbol, balanceAfter),
            fill: { size: input.size, price: input.price, fee },
            ledgerEntryIds: written.ledgerEntries.map((e) => e.id),
            freeCollateral,
          },
        });
        return { account: updated, position, realizedPnl: t.realizedPnl, ledgerEntries: written.ledgerEntries, freeCollateral };
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
        const existing = await positionOf(scope.tx, account.id, market.symbol);
        const snapshot = await snapshotInTransaction(scope.tx, account.id, scope.nowMs, [market.symbol]);
        const t = decideTransition(() => isolatedTransferTransition(snapshot, { market: market.symbol, amount: input.amount }));
        if (t instanceof Refusal) return t;
        const written = await saveTransition(scope.tx, account.id, { ledger: t.ledger, positions: positionWrites(t.positions) }, `isolated:${market.symbol}`);
        const position = written.positions.get(market.symbol)!;
        const balance = written.balances.get(settlement.symbol)!;
        const ledgerEntry = written.ledgerEntries[0]!;
        const freeCollateral = reportedFreeCollateral(t.risk!);
        const updated = await bumpAccountVersion(scope.tx, account.id);
        await scope.audit({
          accountId: account.id,
          brokerId: account.brokerId,
          before: {
            version: account.version,
            position: positionView(existing),
            balance: balanceView(settlement.symbol, toD(balance.amount).add(input.amount)),
          },
          after: {
            version: updated.version,
            position: positionView(position),
            balance: balanceView(settlement.symbol, balance.amount),
            ledgerEntryId: ledgerEntry.id,
            freeCollateral,
          },
        });
        return { account: updated, position, balance, ledgerEntry, freeCollateral };
      },
    }),

  setLeverage: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'setLeverage',
      input,
      roles: ACCOUNT_WRITERS,
      validate: () => {
        const checks = new InputChecks();
        checks.symbol('market', input.market);
        // The user-leverage rule's bounds (src/risk/rules/user-leverage.ts); null clears the choice.
        checks.schema(POSITION_RULE_SCHEMAS.userLeverage, { leverage: input.leverage });
        return checks.errors;
      },
      execute: async (scope) => {
        const account = await lockWritableAccount(scope, input.accountId);
        if (account instanceof Refusal) return account;
        const market = await knownMarket(scope, input.market);
        if (market instanceof Refusal) return market;
        const existing = await positionOf(scope.tx, account.id, market.symbol);
        const snapshot = await snapshotInTransaction(scope.tx, account.id, scope.nowMs, [market.symbol]);
        const leverage = input.leverage ?? null;
        const t = decideTransition(() => leverageTransition(snapshot, { market: market.symbol, leverage }));
        if (t instanceof Refusal) return t;
        const written = await saveTransition(scope.tx, account.id, { ledger: t.ledger, positions: positionWrites(t.positions) }, `leverage:${market.symbol}`);
        const position = written.positions.get(market.symbol)!;
        const freeCollateral = reportedFreeCollateral(t.risk!);
        const updated = await bumpAccountVersion(scope.tx, account.id);
        await scope.audit({
          accountId: account.id,
          brokerId: account.brokerId,
          before: { version: account.version, position: positionView(existing), leverage: existing?.leverage ?? null },
          after: {
            version: updated.version,
            position: positionView(position),
            leverage: position.leverage,
            ledgerEntryIds: written.ledgerEntries.map((e) => e.id),
            freeCollateral,
          },
        });
        return { account: updated, position, ledgerEntries: written.ledgerEntries, freeCollateral };
      },
    }),

  setMarginMode: (_parent, { input }, ctx) =>
    runWrite(ctx, {
      operation: 'setMarginMode',
      input,
      roles: ACCOUNT_WRITERS,
      execute: async (scope) => {
        const account = await lockWritableAccount(scope, input.accountId);
        if (account instanceof Refusal) return account;
        const snapshot = await snapshotInTransaction(scope.tx, account.id, scope.nowMs);
        const t = decideTransition(() => marginModeTransition(snapshot, input.marginMode));
        if (t instanceof Refusal) return t;
        const freeCollateral = (t.risk ? reportedFreeCollateral(t.risk) : null);
        if (t.snapshot.marginMode !== account.marginMode) await saveMarginMode(scope.tx, account.id, t.snapshot.marginMode);
        const updated = await bumpAccountVersion(scope.tx, account.id);
        await scope.audit({
          accountId: account.id,
          brokerId: account.brokerId,
          before: { version: account.version, marginMode: account.marginMode },
          after: { version: updated.version, marginMode: updated.marginMode, freeCollateral },
        });
        return { account: updated, freeCollateral };
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
