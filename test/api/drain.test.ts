/**
 * SIGTERM drain under keep-alive load: clients keep sending deposits over kept-alive connections while the server
 * stops. Every deposit the database holds afterwards was answered; every answer during the drain carries
 * `Connection: close`; requests the server did not take are refused at the connection, never executed.
 */
import http from 'node:http';
import { startApi, type ApiHarness } from '../helpers/api-server';
import { ok } from '../helpers/writes';

let api: ApiHarness;
let account: string;

beforeAll(async () => {
  api = await startApi({ kind: 'SEEDED', config: { shutdownDrainDelayMs: 1_000 } });
  account = (await ok(api, 'broker', 'createAccount', { externalRef: 'drain' })).account.id;
});
afterAll(async () => {
  await api.stop();
});

const DEPOSIT = `mutation($input: DepositInput!) { deposit(input: $input) { userErrors { code } ledgerEntry { id reference } } }`;

interface Answer {
  reference: string;
  status: number | null;
  connection: string | undefined;
  /** Answered (or refused) after the drain began. */
  draining: boolean;
  /** Sent after the drain began. */
  sentDraining: boolean;
  error?: string;
}

function post(agent: http.Agent, url: URL, body: string, key: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { agent, hostname: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'x-api-key': key, 'content-length': Buffer.byteLength(body) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body: text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

it('answers every request it executes during a drain, with Connection: close, and refuses the rest unexecuted', async () => {
  const url = new URL(api.server.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const answers: Answer[] = [];
  let draining = false;
  let stopped = false;
  let n = 0;
  const worker = async (w: number) => {
    let refusedInARow = 0;
    while (refusedInARow < 3) {
      n += 1;
      const reference = `drain-${w}-${n}`;
      const sentDraining = draining;
      const body = JSON.stringify({ query: DEPOSIT, variables: { input: { idempotencyKey: reference, accountId: account, asset: 'USDC', amount: '1', reference } } });
      try {
        const res = await post(agent, url, body, api.keys.broker.key);
        answers.push({ reference, status: res.status, connection: res.connection, draining, sentDraining });
        refusedInARow = 0;
      } catch (error) {
        answers.push({ reference, status: null, connection: undefined, draining, sentDraining, error: (error as NodeJS.ErrnoException).code });
        if (stopped) refusedInARow += 1;
        await new Promise((r) => setTimeout(r, 5));
      }
    }
  };
  const workers = Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
  for (let i = 0; i < 200 && answers.filter((a) => a.status === 200).length < 16; i++) await new Promise((r) => setTimeout(r, 50));
  draining = true;
  await api.server.stop();
  stopped = true;
  await workers;
  agent.destroy();

  const answered = new Set(answers.filter((a) => a.status === 200).map((a) => a.reference));
  const { rows } = await api.database.db.pool.query<{ reference: string }>(
    `SELECT reference FROM ledger_entry WHERE account_id = $1 AND kind = 'DEPOSIT' AND reference LIKE 'drain-%'`,
    [account],
  );
  const executed = rows.map((r) => r.reference);
  // Nothing executed without an answer.
  expect(executed.filter((r) => !answered.has(r))).toEqual([]);
  // Every 200 is in the database.
  expect([...answered].filter((r) => !executed.includes(r))).toEqual([]);
  // Load ran before and during the drain; answers during the drain close their connection.
  expect(answers.filter((a) => !a.draining && a.status === 200).length).toBeGreaterThan(5);
  const duringDrain = answers.filter((a) => a.sentDraining && a.status !== null);
  expect(duringDrain.length).toBeGreaterThan(0);
  for (const a of duringDrain) expect(a.connection).toBe('close');
}, 60_000);
