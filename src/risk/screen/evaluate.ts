/**
 * Bounded account figures: the exact engine's equity, margin equities, IM and MM of an account (account.ts,
 * requirements.ts, valuation.ts), each as a double with a rigorous bound on its distance to the engine's Decimal
 * value (bounds.ts), from a prepared account (account.ts) and a table (table.ts). The formulas, as the engine's:
 *
 *   LINEAR:  N = |q|·c·P,   uPnL = q·c·(P − E)          INVERSE: N = |q|·c·(1/P),   uPnL = q·c·(1/E − 1/P)
 *   fundingPnL = q·c·(F_pos − F_now);   equity contribution = uPnL + fundingPnL   (options: q·c·V)
 *   tier of N (a bound straddling a boundary: TIER_BOUNDARY), rate = max(imr_oi(tier), 1/L)
 *   addon(N) = N·λ·√(N/D);   IM = ⌈N·rate + addon(N)⌉;   MM = ⌈max(0, N_m·mmr·k − cum·k) + addon(N_m)⌉
 *       (N_m = N, or the entry notional |q|·c·E / |q|·c·(1/E) with basis ENTRY, with its own tier)
 *   short options: IM = ⌈|q|·c·(V + max(α·U − OTM, β·U))⌉, MM = ⌈|q|·c·(V + γ·U)⌉; long or flat: 0
 *   value_b = amount_b·index_b;  equity = Σ value_b + Σ_cross contribution·X + Σ_isolated (isolatedMargin + uPnL + fundingPnL)·X
 *   initialMarginEquity = Σ value_b·w_init(b) + Σ_cross contribution·X;  marginEquity = Σ value_b·w_maint(b) + idem
 *   IM, MM = Σ_cross IM·X, Σ_cross MM·X          (USD = the valuation asset; X = settlement asset index)
 *
 * What it does not model returns a fallback reason instead of figures (never a guess): PORTFOLIO accounts whose
 * underlyings have portfolio parameters (the scan), isolated options, unknown markets or assets, markets and assets the
 * table marks unusable, notionals straddling a tier boundary.
 */
import { BoundedOps, signOf } from './bounds';
import { POSITION_FLAT, POSITION_ISOLATED, POSITION_SHORT, type ScreenAccount } from './account';
import type { ScreenFallbackReason, ScreenMarket, ScreenTable, ScreenTiers } from './table';

/** Bounded account figures in the valuation asset: value and absolute error bound of each. */
export class ScreenFigures {
  equity = 0;
  equityErr = 0;
  initialMarginEquity = 0;
  initialMarginEquityErr = 0;
  marginEquity = 0;
  marginEquityErr = 0;
  initialMargin = 0;
  initialMarginErr = 0;
  maintenanceMargin = 0;
  maintenanceMarginErr = 0;
}

/** Index of the tier certainly holding the notional n ± ne, or −1 when the bound straddles a boundary. */
function tierOf(ops: BoundedOps, t: ScreenTiers, n: number, ne: number): number {
  for (let i = t.count - 1; i >= 1; i--) {
    const above = signOf(ops.sub(n, ne, t.floor[i]!, t.floorErr[i]!), ops.err);
    if (above === 0) return -1;
    if (above === 1) {
      if (i === t.count - 1) return i;
      return signOf(ops.sub(t.cap[i]!, t.capErr[i]!, n, ne), ops.err) === 1 ? i : -1;
    }
  }
  // Tier 0 starts at 0 and the engine's notionals are never negative.
  if (t.count === 1) return 0;
  return signOf(ops.sub(t.cap[0]!, t.capErr[0]!, n, ne), ops.err) === 1 ? 0 : -1;
}

/**
 * Writes the account's bounded figures into `out`, or returns why it cannot (then `out` is meaningless). `ops` is the
 * caller's scratch (one per screening call).
 */
export function screenFigures(table: ScreenTable, account: ScreenAccount, ops: BoundedOps, out: ScreenFigures): ScreenFallbackReason | null {
  if (account.invalid !== null) return account.invalid;
  const marketById = table.marketById;
  const portfolio = account.marginMode === 'PORTFOLIO';

  let pnl = 0;
  let pnlE = 0;
  let iso = 0;
  let isoE = 0;
  let im = 0;
  let imE = 0;
  let mm = 0;
  let mmE = 0;
  const { size, sizeErr, entry, entryErr, inverseEntry, inverseEntryErr, fundingIndex, fundingIndexErr, flags } = account;
  for (let i = 0; i < account.positionCount; i++) {
    const m = marketById[account.marketIds[i]!];
    if (m === undefined) return 'INVALID_INPUT';
    if (m.unusable !== null) return m.unusable;
    const f = flags[i]!;
    const isolated = (f & POSITION_ISOLATED) !== 0;
    if (portfolio && !isolated && m.portfolioScan) return 'PORTFOLIO_SCAN';
    const option = m.model === 'OPTION';
    if (option && isolated) return 'UNSUPPORTED';
    const x = m.settlePrice;
    const xE = m.settlePriceErr;
    if ((f & POSITION_FLAT) !== 0) {
      // Flat: no PnL, no requirement (cum·k ≥ 0, table.ts); an isolated one still holds its margin.
      if (isolated) {
        const v = ops.mul(account.isolatedMargin[i]!, account.isolatedMarginErr[i]!, x, xE);
        iso = ops.add(iso, isoE, v, ops.err);
        isoE = ops.err;
      }
      continue;
    }
    const qc = ops.mul(size[i]!, sizeErr[i]!, m.c, m.cErr);
    const qcE = ops.err;
    const aqc = Math.abs(qc);
    let ec: number;
    let ecE: number;
    let imS = 0;
    let imSE = 0;
    let mmS = 0;
    let mmSE = 0;
    if (option) {
      ec = ops.mul(qc, qcE, m.optionValue, m.optionValueErr);
      ecE = ops.err;
      if ((f & POSITION_SHORT) !== 0) {
        const a = ops.mul(aqc, qcE, m.optionInitialPerUnit, m.optionInitialPerUnitErr);
        imS = ops.ceilTo(a, ops.err, m.settleStep);
        imSE = ops.err;
        const b = ops.mul(aqc, qcE, m.optionMaintenancePerUnit, m.optionMaintenancePerUnitErr);
        mmS = ops.ceilTo(b, ops.err, m.settleStep);
        mmSE = ops.err;
      }
    } else {
      const linear = m.model === 'LINEAR';
      const dF = ops.sub(fundingIndex[i]!, fundingIndexErr[i]!, m.fundingIndex, m.fundingIndexErr);
      const fund = ops.mul(qc, qcE, dF, ops.err);
      const fundE = ops.err;
      const n = ops.mul(aqc, qcE, m.price, m.priceErr);
      const nE = ops.err;
      const d = linear
        ? ops.sub(m.price, m.priceErr, entry[i]!, entryErr[i]!)
        : ops.sub(inverseEntry[i]!, inverseEntryErr[i]!, m.price, m.priceErr);
      const upnl = ops.mul(qc, qcE, d, ops.err);
      ec = ops.add(upnl, ops.err, fund, fundE);
      ecE = ops.err;
      if (isolated) {
        const eq = ops.add(account.isolatedMargin[i]!, account.isolatedMarginErr[i]!, ec, ecE);
        const v = ops.mul(eq, ops.err, x, xE);
        iso = ops.add(iso, isoE, v, ops.err);
        isoE = ops.err;
        continue;
      }
      const tiers = m.tiers;
      const t = tierOf(ops, tiers, n, nE);
      if (t < 0) return 'TIER_BOUNDARY';
      let rate = tiers.rate[t]!;
      let rateE = tiers.rateErr[t]!;
      const lev = account.leverageRate[i]!;
      if (lev === lev) {
        rate = ops.max(rate, rateE, lev, account.leverageRateErr[i]!);
        rateE = ops.err;
      }
      let addon = 0;
      let addonE = 0;
      if (m.hasLiquidity) {
        addon = liquidityAddon(ops, m, n, nE);
        addonE = ops.err;
      }
      const base = ops.mul(n, nE, rate, rateE);
      const imRaw = ops.add(base, ops.err, addon, addonE);
      imS = ops.ceilTo(imRaw, ops.err, m.settleStep);
      imSE = ops.err;
      let nm = n;
      let nmE = nE;
      let tm = t;
      let addonM = addon;
      let addonME = addonE;
      if (m.entryBasis) {
        nm = linear ? ops.mul(aqc, qcE, entry[i]!, entryErr[i]!) : ops.mul(aqc, qcE, inverseEntry[i]!, inverseEntryErr[i]!);
        nmE = ops.err;
        tm = tierOf(ops, tiers, nm, nmE);
        if (tm < 0) return 'TIER_BOUNDARY';
        if (m.hasLiquidity) {
          addonM = liquidityAddon(ops, m, nm, nmE);
          addonME = ops.err;
        }
      }
      const product = ops.mul(nm, nmE, tiers.mmrK[tm]!, tiers.mmrKErr[tm]!);
      const gap = ops.sub(product, ops.err, tiers.cumK[tm]!, tiers.cumKErr[tm]!);
      const term = ops.max0(gap, ops.err);
      const mmRaw = ops.add(term, ops.err, addonM, addonME);
      mmS = ops.ceilTo(mmRaw, ops.err, m.settleStep);
      mmSE = ops.err;
    }
    // Cross: contribution, IM and MM in the valuation asset.
    const ecUsd = ops.mul(ec, ecE, x, xE);
    pnl = ops.add(pnl, pnlE, ecUsd, ops.err);
    pnlE = ops.err;
    if (imS !== 0 || imSE !== 0) {
      const v = ops.mul(imS, imSE, x, xE);
      im = ops.add(im, imE, v, ops.err);
      imE = ops.err;
    }
    if (mmS !== 0 || mmSE !== 0) {
      const v = ops.mul(mmS, mmSE, x, xE);
      mm = ops.add(mm, mmE, v, ops.err);
      mmE = ops.err;
    }
  }

  let bal = 0;
  let balE = 0;
  let iw = 0;
  let iwE = 0;
  let mw = 0;
  let mwE = 0;
  const { amount, amountErr } = account;
  for (let j = 0; j < account.balanceCount; j++) {
    const a = table.assetById[account.assetIds[j]!];
    if (a === undefined) return 'INVALID_INPUT';
    if (a.unusable !== null) return a.unusable;
    const amt = amount[j]!;
    const value = ops.mul(amt, amountErr[j]!, a.index, a.indexErr);
    const valueE = ops.err;
    bal = ops.add(bal, balE, value, valueE);
    balE = ops.err;
    const positive = amt > 0;
    const wi = positive ? a.initialWeight : a.initialLiabilityWeight;
    const wiE = positive ? a.initialWeightErr : a.initialLiabilityWeightErr;
    const wm = positive ? a.maintenanceWeight : a.maintenanceLiabilityWeight;
    const wmE = positive ? a.maintenanceWeightErr : a.maintenanceLiabilityWeightErr;
    const vi = ops.mul(value, valueE, wi, wiE);
    iw = ops.add(iw, iwE, vi, ops.err);
    iwE = ops.err;
    const vm = ops.mul(value, valueE, wm, wmE);
    mw = ops.add(mw, mwE, vm, ops.err);
    mwE = ops.err;
  }

  const crossEquity = ops.add(bal, balE, pnl, pnlE);
  out.equity = ops.add(crossEquity, ops.err, iso, isoE);
  out.equityErr = ops.err;
  out.initialMarginEquity = ops.add(iw, iwE, pnl, pnlE);
  out.initialMarginEquityErr = ops.err;
  out.marginEquity = ops.add(mw, mwE, pnl, pnlE);
  out.marginEquityErr = ops.err;
  out.initialMargin = im;
  out.initialMarginErr = imE;
  out.maintenanceMargin = mm;
  out.maintenanceMarginErr = mmE;
  return null;
}

/** N·λ·√(N/D) (settlement units); the error bound is left in ops.err. */
function liquidityAddon(ops: BoundedOps, m: ScreenMarket, n: number, nE: number): number {
  const ratio = ops.div(n, nE, m.depth, m.depthErr);
  const root = ops.sqrt(ratio, ops.err);
  const rootE = ops.err;
  const a = ops.mul(n, nE, m.lambda, m.lambdaErr);
  return ops.mul(a, ops.err, root, rootE);
}
