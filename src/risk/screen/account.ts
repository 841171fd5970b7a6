/**
 * An account as the screen reads it: its balances and positions as compact arrays of bounded doubles (bounds.ts),
 * independent of prices, so that one prepared account is screened against any number of tables (a tick engine
 * prepares once and re-screens after every price change). The checks the exact engine makes on the account's own
 * rows (duplicate ids or assets, a non-positive entry price of an open position, a non-positive leverage) are made
 * here: such an account is marked INVALID_INPUT and always falls back (the exact engine reports the error).
 *
 * Per position: size q, entry price E, 1/E (open INVERSE positions only, else 0), the position's funding index, the
 * isolated margin, the user leverage's rate 1/L (NaN = none), and flags (flat, short, isolated). Per balance (non-zero
 * amounts only, as the engine): the signed amount.
 */
import type Decimal from 'decimal.js';
import type { AccountSnapshot, MarginMode } from '../types';
import { isNonPositive } from '../decimal';
import { BoundedOps, conversionError } from './bounds';
import { assetId, marketId, type ScreenFallbackReason } from './table';

export interface ScreenAccount {
  readonly accountId: string;
  readonly marginMode: MarginMode;
  /** The snapshot it was prepared from (screenSnapshots checks that its market context is the table's). */
  readonly snapshot: AccountSnapshot;
  /** INVALID_INPUT when the exact engine refuses the account's own rows; null otherwise. */
  readonly invalid: ScreenFallbackReason | null;
  readonly positionCount: number;
  readonly markets: readonly string[];
  /** Market symbol ids (table.ts marketId). */
  readonly marketIds: Int32Array;
  readonly size: Float64Array;
  readonly sizeErr: Float64Array;
  readonly entry: Float64Array;
  readonly entryErr: Float64Array;
  readonly inverseEntry: Float64Array;
  readonly inverseEntryErr: Float64Array;
  readonly fundingIndex: Float64Array;
  readonly fundingIndexErr: Float64Array;
  readonly isolatedMargin: Float64Array;
  readonly isolatedMarginErr: Float64Array;
  /** 1/L, NaN when no user leverage. */
  readonly leverageRate: Float64Array;
  readonly leverageRateErr: Float64Array;
  /** Bit flags per position: FLAT, SHORT, ISOLATED. */
  readonly flags: Uint8Array;
  readonly balanceCount: number;
  readonly balanceAssets: readonly string[];
  /** Asset symbol ids (table.ts assetId). */
  readonly assetIds: Int32Array;
  readonly amount: Float64Array;
  readonly amountErr: Float64Array;
}

export const POSITION_FLAT = 1;
export const POSITION_SHORT = 2;
export const POSITION_ISOLATED = 4;

/** Whether a key repeats (the engine refuses duplicate position ids and balance assets). */
export function hasDuplicate(keys: readonly string[]): boolean {
  if (keys.length < 2) return false;
  if (keys.length <= 16) {
    for (let i = 1; i < keys.length; i++) for (let j = 0; j < i; j++) if (keys[i] === keys[j]) return true;
    return false;
  }
  return new Set(keys).size !== keys.length;
}

function num(x: Decimal): number {
  return x.toNumber();
}

/** Prepares an account's snapshot rows for screening (prices and markets are read from the table at screen time). */
export function prepareScreenAccount(snapshot: AccountSnapshot): ScreenAccount {
  const ops = new BoundedOps();
  const ps = snapshot.positions;
  const n = ps.length;
  const size = new Float64Array(n);
  const sizeErr = new Float64Array(n);
  const entry = new Float64Array(n);
  const entryErr = new Float64Array(n);
  const inverseEntry = new Float64Array(n);
  const inverseEntryErr = new Float64Array(n);
  const fundingIndex = new Float64Array(n);
  const fundingIndexErr = new Float64Array(n);
  const isolatedMargin = new Float64Array(n);
  const isolatedMarginErr = new Float64Array(n);
  const leverageRate = new Float64Array(n);
  const leverageRateErr = new Float64Array(n);
  const flags = new Uint8Array(n);
  const markets: string[] = new Array<string>(n);
  const ids: string[] = new Array<string>(n);
  let invalid: ScreenFallbackReason | null = null;
  for (let i = 0; i < n; i++) {
    const p = ps[i]!;
    ids[i] = p.id;
    markets[i] = p.market;
    const flat = p.size.isZero();
    if (!flat && isNonPositive(p.entryPrice)) invalid = 'INVALID_INPUT';
    if (p.leverage !== null && isNonPositive(p.leverage)) invalid = 'INVALID_INPUT';
    const q = num(p.size);
    const e = num(p.entryPrice);
    size[i] = q;
    sizeErr[i] = conversionError(q);
    entry[i] = e;
    entryErr[i] = conversionError(e);
    // 1/E (used by INVERSE markets only; the table says which): the engine's ONE.div(E).
    if (!flat && e > 0) {
      inverseEntry[i] = ops.div(1, 0, e, entryErr[i]!);
      inverseEntryErr[i] = ops.err;
    } else {
      inverseEntry[i] = 0;
      inverseEntryErr[i] = 0;
    }
    const f = num(p.fundingIndex);
    fundingIndex[i] = f;
    fundingIndexErr[i] = conversionError(f);
    const isolated = p.marginType === 'ISOLATED';
    const im = isolated ? num(p.isolatedMargin) : 0;
    isolatedMargin[i] = im;
    isolatedMarginErr[i] = conversionError(im);
    if (p.leverage === null) {
      leverageRate[i] = NaN;
      leverageRateErr[i] = 0;
    } else {
      const l = num(p.leverage);
      leverageRate[i] = ops.div(1, 0, l, conversionError(l));
      leverageRateErr[i] = ops.err;
    }
    flags[i] = (flat ? POSITION_FLAT : 0) | (p.size.isNeg() && !flat ? POSITION_SHORT : 0) | (isolated ? POSITION_ISOLATED : 0);
  }
  if (hasDuplicate(ids)) invalid = 'INVALID_INPUT';

  const balanceAssets: string[] = [];
  const amounts: number[] = [];
  const all: string[] = [];
  for (const b of snapshot.balances) {
    all.push(b.asset);
    // A zero balance uses no price and contributes nothing (the engine leaves it out).
    if (b.amount.isZero()) continue;
    balanceAssets.push(b.asset);
    amounts.push(num(b.amount));
  }
  if (hasDuplicate(all)) invalid = 'INVALID_INPUT';
  const amount = Float64Array.from(amounts);
  const amountErr = amount.map((a) => conversionError(a));
  return {
    accountId: snapshot.accountId,
    marginMode: snapshot.marginMode,
    snapshot,
    invalid,
    positionCount: n,
    markets,
    marketIds: Int32Array.from(markets, marketId),
    size,
    sizeErr,
    entry,
    entryErr,
    inverseEntry,
    inverseEntryErr,
    fundingIndex,
    fundingIndexErr,
    isolatedMargin,
    isolatedMarginErr,
    leverageRate,
    leverageRateErr,
    flags,
    balanceCount: balanceAssets.length,
    balanceAssets,
    assetIds: Int32Array.from(balanceAssets, assetId),
    amount,
    amountErr,
  };
}
