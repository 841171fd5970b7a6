/**
 * Position valuation, dispatched by market kind. PERPETUAL and FUTURE markets are delta-one (LINEAR or INVERSE);
 * OPTION markets are the seam for src/risk/options/ and raise UNSUPPORTED_MARKET_KIND until that lands.
 */
import type Decimal from 'decimal.js';
import { ONE, normZero } from './decimal';
import { unsupportedMarketKind } from './errors';
import type { NPosition } from './model';

export interface PositionValuation {
  /** Settlement units: LINEAR quote, INVERSE base. */
  readonly notional: Decimal;
  readonly unrealizedPnl: Decimal;
  readonly fundingPnl: Decimal;
}

/**
 * LINEAR at mark P (quote units): N = |q|·c·P, uPnL = q·c·(P − E).
 * INVERSE at mark P (base units):  N = |q|·c/P, uPnL = q·c·(1/E − 1/P).
 * Both: fundingPnL = −q·c·(F_now − F_position) (settlement units; F in settlement units per contract unit).
 */
export function valueDeltaOne(pos: NPosition, mark: Decimal): PositionValuation {
  const m = pos.market;
  // −q·c·(F_now − F_pos) written as q·c·(F_pos − F_now).
  const fundingPnl = normZero(pos.qc.mul(pos.positionFundingIndex.sub(m.fundingIndex)));
  if (m.contractType === 'LINEAR') {
    return {
      notional: pos.absQc.mul(mark),
      unrealizedPnl: normZero(pos.qc.mul(mark.sub(pos.entry))),
      fundingPnl,
    };
  }
  // A flat position (entry possibly 0) has zero notional and PnL; avoid 1/E.
  if (pos.q.isZero()) return { notional: pos.absQc, unrealizedPnl: pos.absQc, fundingPnl };
  const invMark = ONE.div(mark);
  return {
    notional: pos.absQc.mul(invMark),
    unrealizedPnl: normZero(pos.qc.mul(ONE.div(pos.entry).sub(invMark))),
    fundingPnl,
  };
}

/** Valuation dispatch by market kind (the seam where option valuation plugs in). */
export function valuePosition(pos: NPosition, mark: Decimal): PositionValuation {
  switch (pos.market.kind) {
    case 'PERPETUAL':
    case 'FUTURE':
      return valueDeltaOne(pos, mark);
    case 'OPTION':
      throw unsupportedMarketKind(pos.market.symbol, pos.market.kind, pos.id);
  }
}
