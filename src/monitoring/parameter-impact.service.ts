/**
 * Dry runs of risk-parameter changes (issue 19, item 6): the impact of a proposed change on the accounts it touches,
 * computed by the shared engine on the sweep's path. One REPEATABLE READ, READ ONLY snapshot (the caller's) gives
 * the current market data and every account; the proposed market context is the current market-data rows with the
 * change substituted (built by the caller from the validated input, the same normalization the write stores),
 * decoded by the same `marketContextFrom` the sweep uses. Accounts stream in batches (the sweep's
 * `streamAccountSnapshots`, yielding to the event loop), each evaluated in the sweep's fast mode before and after;
 * only counts, the worst N and per-market totals are kept, so memory does not grow with the venue.
 */
import type Decimal from 'decimal.js';
import { evaluateAccount, type AccountRisk, type AccountSnapshot, type AccountStatus } from '../risk';
import { D } from '../risk/decimal';
import { ratioOrNull } from '../risk/precision';
import { marketContextForText, marketContextFrom, type MarketContext } from '../snapshot/snapshot.loader';
import type { Queryable } from '../store/queryable';
import { decodeMarketData, versionedMarketDataText, type MarketDataRows } from '../store/snapshot.repository';
import { ratioKeyOf } from './account-risk.repository';
import { streamAccountSnapshots } from './sweep';

export const DEFAULT_WORST_COUNT = 10;
export const MAX_WORST_COUNT = 100;
/** Accounts evaluated between two yields to the event loop (as the sweep). */
const YIELD_EVERY = 64;

export interface ImpactSpec {
  /** What the change touches: accounts with a position on these markets / underlyings, or a balance in these assets. */
  readonly touching: { readonly markets?: readonly string[]; readonly assets?: readonly string[]; readonly underlyings?: readonly string[] };
  /** The market-data rows with the proposed parameters substituted (must not mutate its argument). */
  readonly propose: (current: MarketDataRows) => MarketDataRows;
  readonly worstCount: number;
  /** Evaluation time of both evaluations (price staleness, expiry). */
  readonly asOfMs: number;
  readonly batchSize?: number;
}

export interface ImpactAccount {
  readonly accountId: string;
  readonly marginRatioBefore: Decimal | null;
  readonly marginRatioAfter: Decimal | null;
  readonly statusBefore: AccountStatus | null;
  readonly statusAfter: AccountStatus | null;
}

export interface ParameterImpact {
  readonly accountsEvaluated: number;
  readonly transitions: readonly { from: AccountStatus; to: AccountStatus; count: number }[];
  readonly worst: readonly ImpactAccount[];
  readonly markets: readonly {
    market: string;
    initialMarginBefore: Decimal;
    initialMarginAfter: Decimal;
    maintenanceMarginBefore: Decimal;
    maintenanceMarginAfter: Decimal;
  }[];
}

const FAST = { liquidationPrices: 'SKIP', greeks: 'SKIP' } as const;

function evaluate(snapshot: AccountSnapshot): AccountRisk | null {
  try {
    return evaluateAccount(snapshot, FAST);
  } catch {
    return null;
  }
}

/** The snapshot with another market context's parameters (balances, positions and prices stay). */
function withContext(snapshot: AccountSnapshot, context: MarketContext): AccountSnapshot {
  return { ...snapshot, markets: context.markets, assets: context.assets, portfolioParams: context.portfolioParams };
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/** The worst list's order: the sweep's ratio key (MM / margin equity; unbounded when liquidatable without equity) descending, then id. */
function worse(a: { key: Decimal; id: string }, b: { key: Decimal; id: string }): boolean {
  const c = a.key.cmp(b.key);
  return c > 0 || (c === 0 && a.id < b.id);
}

/** Evaluates the impact of a proposed change on `q` (a read snapshot: one consistent view of the venue). */
export async function parameterImpact(q: Queryable, spec: ImpactSpec): Promise<ParameterImpact> {
  const { text, version } = await versionedMarketDataText(q, null);
  const current = marketContextForText(text);
  const proposed = marketContextFrom(spec.propose(decodeMarketData(text, undefined, D)));
  const transitions = new Map<string, { from: AccountStatus; to: AccountStatus; count: number }>();
  const worst: { key: Decimal; id: string; row: ImpactAccount }[] = [];
  type Totals = { imB: Decimal; imA: Decimal; mmB: Decimal; mmA: Decimal };
  const markets = new Map<string, Totals>();
  const totals = (market: string): Totals => {
    let t = markets.get(market);
    if (!t) {
      t = { imB: new D(0), imA: new D(0), mmB: new D(0), mmA: new D(0) };
      markets.set(market, t);
    }
    return t;
  };
  let evaluated = 0;
  const stream = streamAccountSnapshots(null, {
    queryable: q,
    context: current,
    contextVersion: version,
    touching: spec.touching,
    asOfMs: spec.asOfMs,
    batchSize: spec.batchSize,
    clock: () => spec.asOfMs,
  });
  for await (const batch of stream) {
    for (const { snapshot } of batch.accounts) {
      const before = evaluate(snapshot);
      const after = evaluate(withContext(snapshot, proposed));
      evaluated += 1;
      const statusBefore = before?.status ?? null;
      const statusAfter = after?.status ?? null;
      if (statusBefore && statusAfter && statusBefore !== statusAfter) {
        const k = `${statusBefore}>${statusAfter}`;
        const t = transitions.get(k) ?? { from: statusBefore, to: statusAfter, count: 0 };
        t.count += 1;
        transitions.set(k, t);
      }
      for (const p of before?.positions ?? []) {
        const t = totals(p.market);
        t.imB = t.imB.add(p.initialMargin);
        t.mmB = t.mmB.add(p.maintenanceMargin);
      }
      for (const p of after?.positions ?? []) {
        const t = totals(p.market);
        t.imA = t.imA.add(p.initialMargin);
        t.mmA = t.mmA.add(p.maintenanceMargin);
      }
      if (spec.worstCount > 0) {
        const ratioAfter = after ? ratioOrNull(after.marginRatio) : null;
        const entry = {
          // An account the proposed parameters cannot evaluate sorts last.
          key: after ? ratioKeyOf({ marginRatio: ratioAfter, status: after.status }) : new D(-1),
          id: snapshot.accountId,
        };
        if (worst.length < spec.worstCount || worse(entry, worst[worst.length - 1]!)) {
          const row: ImpactAccount = {
            accountId: snapshot.accountId,
            marginRatioBefore: before ? ratioOrNull(before.marginRatio) : null,
            marginRatioAfter: ratioAfter,
            statusBefore,
            statusAfter,
          };
          let i = worst.length;
          while (i > 0 && worse(entry, worst[i - 1]!)) i -= 1;
          worst.splice(i, 0, { ...entry, row });
          if (worst.length > spec.worstCount) worst.pop();
        }
      }
      if (evaluated % YIELD_EVERY === 0) await yieldToLoop();
    }
  }
  const order = ['HEALTHY', 'RESTRICTED', 'LIQUIDATABLE', 'BANKRUPT'];
  const rank = (s: string) => (order.indexOf(s) < 0 ? order.length : order.indexOf(s));
  return {
    accountsEvaluated: evaluated,
    transitions: [...transitions.values()].sort((a, b) => rank(a.from) - rank(b.from) || rank(a.to) - rank(b.to)),
    worst: worst.map((w) => w.row),
    markets: [...markets.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([market, t]) => ({
        market,
        initialMarginBefore: t.imB,
        initialMarginAfter: t.imA,
        maintenanceMarginBefore: t.mmB,
        maintenanceMarginAfter: t.mmA,
      })),
  };
}

/** The `impact` of a payload that is not a dry run (the change was written). */
export const NOT_A_DRY_RUN: ParameterImpact | null = null;
