/**
 * A venue from nothing, as an operator builds it: a Postgres of its own (the embedded binaries, a new data folder and
 * port) given as DATABASE_URL; the migrate CLI and the admin bootstrap CLI as child processes; the service as its own
 * process with no demo seed; then, through the API only (no SQL by hand): ADMIN → broker and keys → assets → markets →
 * prices → account → deposit → perpetual, future and option fills → risk, whatIf and a dry run of a tier change.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServiceProcess, type ServiceProcess } from '../helpers/service-process';

const ROOT = path.resolve(__dirname, '../..');

/** Runs a CLI (TypeScript through tsx) with DATABASE_URL; resolves with its exit code and output. */
function cli(script: string, args: string[], databaseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL: databaseUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${script} timed out:\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A Postgres of its own, run by a child process (test/helpers/postgres-child.ts); resolves with its URL. */
function startPostgres(dataDir: string): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/helpers/postgres-child.ts', dataDir], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    const timer = setTimeout(() => reject(new Error(`postgres did not start:\n${output}`)), 120_000);
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      const line = output.split('\n').find((l) => l.startsWith('{'));
      if (line) {
        clearTimeout(timer);
        resolve({ child, url: (JSON.parse(line) as { url: string }).url });
      }
    });
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.on('exit', (code) => reject(new Error(`postgres child exited with ${code}:\n${output}`)));
  });
}

function stopPostgres(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.on('exit', () => resolve());
    child.stdin!.end('exit\n');
  });
}

let dir: string;
let pg: { child: ChildProcess; url: string };
let service: ServiceProcess | null = null;
beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'risk-bootstrap-'));
  chmodSync(dir, 0o755);
  pg = await startPostgres(path.join(dir, 'pg'));
}, 150_000);
afterAll(async () => {
  if (service) await service.stop();
  if (pg) await stopPostgres(pg.child);
  rmSync(dir, { recursive: true, force: true });
}, 60_000);

const ERR = 'userErrors { field code message }';

it('migrate → bootstrap ADMIN → broker, keys → assets → markets → prices → account → deposit → fills → risk and whatIf', async () => {
  const migrated = await cli('src/cli/migrate.ts', [], pg.url);
  expect(migrated).toMatchObject({ code: 0 });
  expect(migrated.stdout).toMatch(/applied 20261121000000_init/);
  const again = await cli('src/cli/migrate.ts', [], pg.url);
  expect(again.stdout).toMatch(/0 applied/);

  const boot = await cli('src/cli/admin.ts', ['bootstrap', '--label', 'first admin'], pg.url);
  expect(boot.code).toBe(0);
  const adminKey = boot.stdout.trim();
  expect(adminKey).toMatch(/^rk_[0-9a-f]{12}_[0-9a-f]{64}$/);
  // A second bootstrap is refused while an ADMIN key exists, unless told to add one.
  const refused = await cli('src/cli/admin.ts', ['bootstrap'], pg.url);
  expect(refused.code).toBe(2);
  expect(refused.stdout).toBe('');
  expect(refused.stderr).toMatch(/pass --add/);
  const added = await cli('src/cli/admin.ts', ['bootstrap', '--add', '--label', 'second admin'], pg.url);
  expect(added.code).toBe(0);
  expect(added.stdout.trim()).not.toBe(adminKey);

  service = await startServiceProcess({ DATABASE_URL: pg.url, SEED_DEMO: 'false', LOG_LEVEL: 'warn', SWEEP_ENABLED: 'false' });
  expect(service.output()).not.toMatch(/Demo API keys/);
  const s = service;
  const as = async (key: string, query: string, variables: Record<string, unknown> = {}) => {
    const res = await s.gql(key, query, variables);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
    for (const payload of Object.values(res.data ?? {})) {
      const errors = (payload as { userErrors?: unknown[] } | null)?.userErrors;
      if (errors && errors.length) throw new Error(JSON.stringify(errors));
    }
    return res.data;
  };
  let n = 0;
  const input = (fields: Record<string, unknown>) => ({ input: { idempotencyKey: `boot-${++n}`, ...fields } });

  // The keys are stored hashed and listed without their secret.
  const keys = await as(adminKey, `{ apiKeys { role label prefix } }`);
  expect(keys.apiKeys.map((k: { label: string }) => k.label).sort()).toEqual(['first admin', 'second admin']);
  expect(adminKey).toContain(keys.apiKeys.find((k: { label: string }) => k.label === 'first admin').prefix);

  const broker = (await as(adminKey, `mutation($input: CreateBrokerInput!) { createBroker(input: $input) { ${ERR} broker { id } } }`, input({ name: 'first-broker' }))).createBroker.broker.id;
  const newKey = async (role: string, brokerId?: string) =>
    (await as(adminKey, `mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { ${ERR} key } }`, input({ role, brokerId, label: role.toLowerCase() }))).createApiKey.key as string;
  const brokerKey = await newKey('BROKER', broker);
  const oracleKey = await newKey('ORACLE');

  const asset = `mutation($input: CreateAssetInput!) { createAsset(input: $input) { ${ERR} asset { symbol } } }`;
  await as(adminKey, asset, input({ symbol: 'USDC', decimals: 6 }));
  await as(adminKey, asset, input({ symbol: 'BTC', decimals: 8, initialWeight: '0.9', maintenanceWeight: '0.95', initialLiabilityWeight: '1.1', maintenanceLiabilityWeight: '1.05', borrowable: false }));
  const market = `mutation($input: UpsertMarketInput!) { upsertMarket(input: $input) { ${ERR} created } }`;
  const common = { contractType: 'LINEAR', baseAsset: 'BTC', quoteAsset: 'USDC', settlementAsset: 'USDC', contractSize: '1', tickSize: '0.5', liquidationFeeRate: '0.01', insuranceFundFeeRate: '0.002', bookDepth: '5000000' };
  await as(adminKey, market, input({ ...common, symbol: 'BTC-PERP', kind: 'PERPETUAL', tiers: [{ notionalFloor: '0', notionalCap: '100000', initialMarginRate: '0.02', maintenanceMarginRate: '0.01' }, { notionalFloor: '100000', initialMarginRate: '0.05', maintenanceMarginRate: '0.025' }] }));
  const expiry = new Date(Date.now() + 90 * 86_400_000).toISOString();
  await as(adminKey, market, input({ ...common, symbol: 'BTC-FUT', kind: 'FUTURE', expiry, maintenanceBasis: 'ENTRY', tiers: [{ notionalFloor: '0', initialMarginRate: '0.1', maintenanceMarginRate: '0.05' }] }));
  await as(adminKey, `mutation($input: SetInsuranceFundInput!) { setInsuranceFund(input: $input) { ${ERR} balance } }`, input({ asset: 'USDC', balance: '1000000', reason: 'seed capital' }));

  const at = new Date().toISOString();
  await as(oracleKey, `mutation($input: UpdatePricesInput!) { updatePrices(input: $input) { ${ERR} } }`, input({
    marks: [{ market: 'BTC-PERP', price: '50000', observedAt: at }, { market: 'BTC-FUT', price: '50500', observedAt: at }],
    indexes: [{ asset: 'BTC', price: '50000', observedAt: at }, { asset: 'USDC', price: '1', observedAt: at }],
  }));

  const account = (await as(brokerKey, `mutation($input: CreateAccountInput!) { createAccount(input: $input) { ${ERR} account { id } } }`, input({ externalRef: 'client-1' }))).createAccount.account.id;
  await as(brokerKey, `mutation($input: DepositInput!) { deposit(input: $input) { ${ERR} } }`, input({ accountId: account, asset: 'USDC', amount: '20000' }));
  const fill = `mutation($input: ApplyFillInput!) { applyFill(input: $input) { ${ERR} freeCollateral } }`;
  await as(brokerKey, fill, input({ accountId: account, market: 'BTC-PERP', size: '1', price: '50000' }));
  await as(brokerKey, fill, input({ accountId: account, market: 'BTC-FUT', size: '-1', price: '50500' }));

  const risk = (await as(brokerKey, `query($id: ID!) { account(id: $id) { risk { equity initialMargin maintenanceMargin freeCollateral status breakdown { positions { market initialMargin maintenanceMargin } } } } }`, { id: account })).account.risk;
  // Perpetual: N = 50,000 → IM 2% = 1,000, MM 1% = 500. Future: N = 50,500 → IM 10% = 5,050, MM 5% = 2,525.
  expect(risk).toMatchObject({ equity: '20000', initialMargin: '6050', maintenanceMargin: '3025', freeCollateral: '13950', status: 'HEALTHY' });
  // The breakdown lists positions by position id (random UUIDs): compare them by market.
  const byMarket = (a: { market: string }, b: { market: string }) => a.market.localeCompare(b.market);
  expect([...risk.breakdown.positions].sort(byMarket)).toEqual([
    { market: 'BTC-FUT', initialMargin: '5050', maintenanceMargin: '2525' },
    { market: 'BTC-PERP', initialMargin: '1000', maintenanceMargin: '500' },
  ]);
  const whatIf = (await as(brokerKey, `query($id: ID!) { whatIf(accountId: $id, scenarios: [{ priceMoves: [{ underlying: "BTC", relative: "-0.1" }] }]) { after { equity status } diff { equity } } }`, { id: account })).whatIf[0];
  // BTC −10%: the perpetual long loses 5,000, the future short gains 5,050.
  expect(whatIf).toEqual({ after: { equity: '20050', status: 'HEALTHY' }, diff: { equity: '50' } });

  // An option fill (LINEAR options are accepted by applyFill): a long call, the premium paid from cash.
  await as(adminKey, market, input({ ...common, symbol: 'BTC-C-60000', kind: 'OPTION', expiry, strike: '60000', optionType: 'CALL', impliedVolatility: '0.6', tiers: [{ notionalFloor: '0', initialMarginRate: '0.1', maintenanceMarginRate: '0.05' }] }));
  await as(oracleKey, `mutation($input: UpdatePricesInput!) { updatePrices(input: $input) { ${ERR} } }`, input({ marks: [{ market: 'BTC-C-60000', price: '1000', observedAt: new Date().toISOString() }] }));
  await as(brokerKey, fill, input({ accountId: account, market: 'BTC-C-60000', size: '1', price: '1000' }));
  const RISK = `query($id: ID!) { account(id: $id) { balances { asset { symbol } amount } risk { status marginRatio breakdown { positions { market initialMargin maintenanceMargin } } } } }`;
  const withOption = (await as(brokerKey, RISK, { id: account })).account;
  expect(withOption.balances).toEqual([{ asset: { symbol: 'USDC' }, amount: '19000' }]);
  expect(withOption.risk.breakdown.positions.map((p: { market: string }) => p.market).sort()).toEqual(['BTC-C-60000', 'BTC-FUT', 'BTC-PERP']);

  // A dry run of a tier change (BTC-PERP to 40% / 20%): the impact, and nothing written; then the real change agrees.
  const tiers = [{ notionalFloor: '0', initialMarginRate: '0.4', maintenanceMarginRate: '0.2' }];
  const SET = `mutation($input: SetMarginTiersInput!, $dryRun: Boolean) { setMarginTiers(input: $input, dryRun: $dryRun) { ${ERR}
    impact { accountsEvaluated transitions { from to count } worst { accountId marginRatioBefore marginRatioAfter statusBefore statusAfter }
      markets { market initialMarginBefore initialMarginAfter maintenanceMarginBefore maintenanceMarginAfter } } } }`;
  const versions = `{ riskParameterVersion { id } }`;
  const versionBefore = (await as(adminKey, versions)).riskParameterVersion.id;
  const impact = (await as(adminKey, SET, { ...input({ market: 'BTC-PERP', tiers }), dryRun: true })).setMarginTiers.impact;
  expect((await as(adminKey, versions)).riskParameterVersion.id).toBe(versionBefore);
  const totals = (positions: { market: string; initialMargin: string; maintenanceMargin: string }[]) =>
    Object.fromEntries(positions.map((p) => [p.market, [p.initialMargin, p.maintenanceMargin]]));
  const before = totals(withOption.risk.breakdown.positions);
  // Perpetual at 40% / 20% of N = 50,000: IM 20,000, MM 10,000; the future and the option unchanged.
  expect(before['BTC-PERP']).toEqual(['1000', '500']);
  expect(impact.markets).toEqual(
    ['BTC-C-60000', 'BTC-FUT', 'BTC-PERP'].map((m) => ({
      market: m,
      initialMarginBefore: before[m]![0],
      initialMarginAfter: m === 'BTC-PERP' ? '20000' : before[m]![0],
      maintenanceMarginBefore: before[m]![1],
      maintenanceMarginAfter: m === 'BTC-PERP' ? '10000' : before[m]![1],
    })),
  );
  await as(adminKey, SET, { ...input({ market: 'BTC-PERP', tiers }), dryRun: false });
  const afterChange = (await as(brokerKey, RISK, { id: account })).account.risk;
  expect(totals(afterChange.breakdown.positions)['BTC-PERP']).toEqual(['20000', '10000']);
  expect(impact.accountsEvaluated).toBe(1);
  // The option's value decays with time (the reads are seconds apart): margin ratios agree to 1e-7, statuses exactly.
  expect(impact.worst).toEqual([
    { accountId: account, marginRatioBefore: expect.any(String), marginRatioAfter: expect.any(String), statusBefore: withOption.risk.status, statusAfter: afterChange.status },
  ]);
  expect(Number(impact.worst[0].marginRatioBefore)).toBeCloseTo(Number(withOption.risk.marginRatio), 7);
  expect(Number(impact.worst[0].marginRatioAfter)).toBeCloseTo(Number(afterChange.marginRatio), 7);
  expect(impact.transitions).toEqual(withOption.risk.status === afterChange.status ? [] : [{ from: withOption.risk.status, to: afterChange.status, count: 1 }]);
  expect(afterChange.status).toBe('RESTRICTED');
}, 300_000);
