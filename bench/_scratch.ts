import fc from 'fast-check';
import { evaluateAccount } from '../src/risk';
// reuse the arbitraries by re-importing the test module is awkward; replicate quickly
import * as F from '../test/risk/fixtures';
import Decimal from 'decimal.js';
const d = (x: Decimal.Value) => new Decimal(x);
let nonNull = 0, tierMoved = 0, total = 0;
for (let i = 0; i < 300; i++) {
  const long = Math.random() < 0.5, lin = Math.random() < 0.5;
  const size = d((Math.random() * 50 + 0.1).toFixed(3)), entry = d((Math.random() * 1500 + 500).toFixed(2));
  const mark = entry.mul((0.9 + Math.random() * 0.2).toFixed(3)).toDecimalPlaces(2);
  const frac = d((0.03 + Math.random() * 0.57).toFixed(3));
  const n = lin ? size.mul(entry) : size.mul(100).div(entry);
  const scale = n.div(20);
  const m = F.market('M', { base: 'BTC', quote: lin ? 'USDT' : 'USD', contractType: lin ? 'LINEAR' : 'INVERSE', contractSize: lin ? 1 : 100,
    tiers: [{ floor: 0, imr: '0.01', mmr: '0.005' }, { floor: scale.mul(20).toString(), imr: '0.04', mmr: '0.02' }, { floor: scale.mul(40).toString(), imr: '0.1', mmr: '0.05' }] });
  const snap = F.snapshot({ positions: [F.position('p', 'M', long ? size : size.neg(), entry, { marginType: 'ISOLATED', isolatedMargin: n.mul(frac).toDecimalPlaces(8) })],
    markets: [m], assets: [F.asset('USDT'), F.asset('BTC'), F.asset('USD', 2)], marks: { M: mark }, indexes: lin ? {} : { BTC: mark }, valuationAsset: lin ? 'USDT' : 'USD' });
  const r = evaluateAccount(snap).positionsById['p']!;
  total++;
  if (r.liquidationPrice) { nonNull++; const r2 = evaluateAccount({ ...snap, markPrices: { M: F.quote(r.liquidationPrice) }, indexPrices: lin ? {} : { BTC: F.quote(r.liquidationPrice) } }).positionsById['p']!; if (r2.tier.index !== r.tier.index) tierMoved++; }
}
console.log({ total, nonNull, tierMoved });
