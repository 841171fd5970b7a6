/**
 * Options, portfolio margin, adjusted margin rates and value at risk over HTTP on the seeded venue (issue 5): option
 * accounts evaluate, PORTFOLIO accounts are scanned, valueAtRisk answers both methods and refuses bad input.
 */
import Decimal from 'decimal.js';
import { evaluateAccount } from '../../src/risk';
import { moneyUp, reportedAccountFigures } from '../../src/risk/precision';
import { loadAccountSnapshots } from '../../src/snapshot/snapshot.loader';
import { startApi, type ApiHarness } from '../helpers/api-server';

const NOW = Date.now();
let api: ApiHarness;

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', now: () => NOW });
});
afterAll(async () => {
  await api.stop();
});

async function ids(sql: string, limit = 10): Promise<string[]> {
  const { rows } = await api.database.db.pool.query<{ id: string }>(`${sql} ORDER BY a.id LIMIT ${limit}`);
  return rows.map((r) => r.id);
}
const HAS_OPTION = `EXISTS (SELECT 1 FROM position p JOIN market m ON m.symbol = p.market_symbol WHERE p.account_id = a.id AND m.kind = 'OPTION' AND p.size <> 0)`;

const OPTION_RISK = `risk { equity initialMargin maintenanceMargin status evaluationMethod
  greeks { underlying delta gamma vega theta }
  portfolioScans { underlying underlyingPrice positionIds scanRisk shortOptionMinimum binding initialMargin maintenanceMargin
    worstScenario { index label pnl } scenarios { index label rangeFraction underlyingPrice volShift coverage pnl } }
  breakdown { optionValue crossPnl portfolioFallbacks { underlying reason positionIds }
    positions { positionId market marginType marginMethod initialMarginUsd markPrice equityContribution unrealizedPnl initialMargin maintenanceMargin liquidationPrice
      option { optionType strike expiry underlyingPrice impliedVolatility timeToExpiryYears expired modelPrice storedMarkPrice positionValue }
      optionMargin { formula alpha beta gamma paramsSource underlyingPrice strike outOfTheMoney optionValue units initialExPremium
        maintenanceExPremium initialPerUnit maintenancePerUnit initialTerm }
      greeks { perContract { delta gamma vega theta } position { delta gamma vega theta } } } } }`;

describe('options through the API', () => {
  it('evaluates every seeded account holding options, exactly as the engine does', async () => {
    const list = await ids(`SELECT a.id FROM account a WHERE ${HAS_OPTION}`, 40);
    expect(list.length).toBeGreaterThan(3);
    const snapshots = await loadAccountSnapshots(api.database.db.pool, list, NOW);
    for (const id of list) {
      const res = await api.gql(`query($id: ID!) { account(id: $id) { ${OPTION_RISK} } }`, { id });
      expect(res.errors).toBeUndefined();
      const r = res.data!.account.risk;
      const engine = evaluateAccount(snapshots.get(id)!.snapshot);
      // As the precision policy reports the engine's figures (src/risk/precision.ts).
      const reported = reportedAccountFigures(engine, engine.valuationDecimals);
      expect(r.equity).toBe(reported.equity.toFixed());
      expect(r.initialMargin).toBe(reported.initialMargin.toFixed());
      for (const p of r.breakdown.positions) {
        if (p.option === null) continue;
        // The engine's value is the model's; the stored mark is shown beside it.
        expect(p.markPrice).toBe(p.option.storedMarkPrice);
        expect(new Decimal(p.option.positionValue).toFixed()).toBe(new Decimal(p.equityContribution).toFixed());
        if (p.marginMethod === 'SHORT_OPTION') {
          const om = p.optionMargin;
          expect(om.paramsSource).toBe('MARKET');
          // The per-unit terms are reported to 12 significant digits (README, Precision): units × initialPerUnit gives
          // the requirement to within one unit of its last decimal.
          const fromInputs = new Decimal(om.units).times(om.initialPerUnit).toDecimalPlaces(6, Decimal.ROUND_UP);
          expect(fromInputs.minus(p.initialMargin).abs().lte('1e-6')).toBe(true);
        } else if (p.marginMethod === 'LONG_OPTION') {
          expect(new Decimal(p.initialMargin).isZero()).toBe(true);
        }
      }
      expect(r.greeks.length).toBeGreaterThan(0);
    }
  });

  it('scans PORTFOLIO accounts per underlying: evaluationMethod PORTFOLIO, 16 scenarios, the worst named', async () => {
    const list = await ids(`SELECT a.id FROM account a WHERE a.margin_mode = 'PORTFOLIO' AND ${HAS_OPTION}`, 5);
    expect(list.length).toBeGreaterThan(0);
    for (const id of list) {
      const res = await api.gql(`query($id: ID!) { account(id: $id) { ${OPTION_RISK} } }`, { id });
      expect(res.errors).toBeUndefined();
      const r = res.data!.account.risk;
      expect(r.evaluationMethod).toBe('PORTFOLIO');
      const btc = r.portfolioScans.find((s: any) => s.underlying === 'BTC');
      expect(btc.scenarios).toHaveLength(16);
      const worst = btc.scenarios.reduce((a: any, s: any) => (new Decimal(s.pnl).lt(a.pnl) ? s : a));
      expect(btc.worstScenario.index).toBe(worst.index);
      expect(new Decimal(btc.initialMargin).gte(Decimal.max(btc.scanRisk, btc.shortOptionMinimum))).toBe(true);
      const scanned = r.breakdown.positions.filter((p: any) => btc.positionIds.includes(p.positionId));
      for (const p of scanned) expect(p.marginMethod).toBe('PORTFOLIO');
      const sumScans = r.portfolioScans.reduce((a: Decimal, s: any) => a.plus(s.initialMargin), new Decimal(0));
      const sumOwn = r.breakdown.positions
        .filter((p: any) => p.marginType === 'CROSS')
        .reduce((a: Decimal, p: any) => a.plus(p.initialMarginUsd), new Decimal(0));
      expect(moneyUp(sumScans.plus(sumOwn), 6).toFixed()).toBe(new Decimal(r.initialMargin).toFixed());
    }
  });

  it('turning the volatility adjustment on for a market raises IM through the API (realized vol of stored history)', async () => {
    const [id] = await ids(
      `SELECT a.id FROM account a WHERE a.margin_mode = 'CROSS' AND NOT ${HAS_OPTION}
         AND EXISTS (SELECT 1 FROM position p WHERE p.account_id = a.id AND p.market_symbol = 'BTC-PERP' AND p.size <> 0 AND p.leverage IS NULL)`,
      1,
    );
    const q = `query($id: ID!) { account(id: $id) { risk { initialMargin breakdown { positions { market initialMargin volatilityFactor initialRate { source afterVolatility } } } } } }`;
    const before = (await api.gql(q, { id })).data!.account.risk;
    const pool = api.database.db.pool;
    await pool.query(`UPDATE market SET vol_adj_z_score = 2.326, vol_adj_horizon_days = 3, vol_adj_lookback_days = 30 WHERE symbol = 'BTC-PERP'`);
    try {
      const res = await api.gql(q, { id });
      expect(res.errors).toBeUndefined();
      const after = res.data!.account.risk;
      const p0 = before.breakdown.positions.find((p: any) => p.market === 'BTC-PERP');
      const p1 = after.breakdown.positions.find((p: any) => p.market === 'BTC-PERP');
      expect(p1.initialRate.source).toBe('VOLATILITY');
      expect(new Decimal(p1.volatilityFactor).gt(1)).toBe(true);
      expect(new Decimal(p1.initialMargin).gt(p0.initialMargin)).toBe(true);
      expect(new Decimal(after.initialMargin).gt(before.initialMargin)).toBe(true);
    } finally {
      await pool.query(`UPDATE market SET vol_adj_z_score = NULL, vol_adj_horizon_days = NULL, vol_adj_lookback_days = NULL WHERE symbol = 'BTC-PERP'`);
    }
  });

  it('exposes the market maintenance basis (MARK by default)', async () => {
    const res = await api.gql(`{ market(symbol: "BTC-PERP") { symbol maintenanceBasis } }`);
    expect(res.errors).toBeUndefined();
    expect(res.data!.market.maintenanceBasis).toBe('MARK');
  });
});

describe('Account.valueAtRisk', () => {
  const VAR = `query($id: ID!, $c: Decimal!, $h: Int!, $m: VarMethod!) { account(id: $id) { valueAtRisk(confidence: $c, horizonDays: $h, method: $m) {
    method confidence horizonDays var expectedShortfall observations worstScenarioDate currentValue assets } } }`;

  it('answers both methods for an account holding options; ES ≥ VaR; VaR grows with confidence', async () => {
    const [id] = await ids(`SELECT a.id FROM account a WHERE ${HAS_OPTION}`, 1);
    const hist = (await api.gql(VAR, { id, c: '0.99', h: 1, m: 'HISTORICAL' }));
    expect(hist.errors).toBeUndefined();
    const h = hist.data!.account.valueAtRisk;
    expect(h.method).toBe('HISTORICAL');
    expect(h.assets).toContain('BTC');
    expect(h.observations).toBeGreaterThan(300);
    expect(h.worstScenarioDate).not.toBeNull();
    expect(new Decimal(h.expectedShortfall).gte(h.var)).toBe(true);
    const par = (await api.gql(VAR, { id, c: '0.99', h: 10, m: 'PARAMETRIC' })).data!.account.valueAtRisk;
    expect(par.method).toBe('PARAMETRIC');
    expect(par.worstScenarioDate).toBeNull();
    expect(new Decimal(par.expectedShortfall).gt(par.var)).toBe(true);
    const par95 = (await api.gql(VAR, { id, c: '0.95', h: 10, m: 'PARAMETRIC' })).data!.account.valueAtRisk;
    expect(new Decimal(par95.var).lte(par.var)).toBe(true);
  });

  it.each([
    [{ c: '0.5', h: 1 }, 'confidence'],
    [{ c: '1', h: 1 }, 'confidence'],
    [{ c: '0.99', h: 0 }, 'horizonDays'],
    [{ c: '0.99', h: 31 }, 'horizonDays'],
  ])('refuses %j with BAD_USER_INPUT naming %s', async (args, field) => {
    const [id] = await ids(`SELECT a.id FROM account a WHERE ${HAS_OPTION}`, 1);
    const res = await api.gql(VAR, { id, m: 'HISTORICAL', ...args });
    expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.extensions!.field).toBe(field);
  });

  it('refuses a horizon the stored history is too short for', async () => {
    const [id] = await ids(`SELECT a.id FROM account a WHERE ${HAS_OPTION}`, 1);
    const pool = api.database.db.pool;
    const { rows } = await pool.query(`SELECT * FROM price_history WHERE asset_symbol = 'BTC' ORDER BY observed_at`);
    await pool.query(`DELETE FROM price_history WHERE asset_symbol = 'BTC' AND observed_at < $1`, [rows[rows.length - 40].observed_at]);
    try {
      const res = await api.gql(VAR, { id, c: '0.99', h: 20, m: 'HISTORICAL' });
      expect(res.errors![0]!.extensions!.code).toBe('BAD_USER_INPUT');
      expect(res.errors![0]!.extensions!.field).toBe('horizonDays');
    } finally {
      const gone = rows.slice(0, rows.length - 40);
      for (const r of gone) {
        await pool.query(`INSERT INTO price_history (asset_symbol, price, source, observed_at) VALUES ($1, $2, $3, $4)`, [r.asset_symbol, r.price, r.source, r.observed_at]);
      }
    }
  });
});
