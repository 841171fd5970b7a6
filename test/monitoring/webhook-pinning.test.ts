/**
 * DNS rebinding: a delivery connects to the addresses the SSRF guard checked, never to a second resolution of the
 * host name (src/monitoring/webhook-delivery.ts postPinned).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { postPinned } from '../../src/monitoring/webhook-delivery';
import { checkWebhookTarget } from '../../src/monitoring/webhook-target';

let server: http.Server;
let port = 0;
const received: { host?: string; body: string }[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      received.push({ host: req.headers.host, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('pinned webhook connections', () => {
  it('connects to the checked address, not to what the name resolves to later', async () => {
    // A name that never resolves: only the pinned address can reach the receiver.
    const url = new URL(`http://rebinding.invalid:${port}/hook`);
    const status = await postPinned(url, [{ address: '127.0.0.1', family: 4 }], { headers: { 'content-type': 'application/json' }, body: '{"a":1}', timeoutMs: 2_000 });
    expect(status).toBe(204);
    expect(received.at(-1)).toEqual({ host: `rebinding.invalid:${port}`, body: '{"a":1}' });
  });

  it('the check hands the delivery the addresses it admitted, and refuses a name that answers a private address', async () => {
    let answers = [{ address: '127.0.0.1', family: 4 }];
    const lookup = async () => answers;
    const checked = await checkWebhookTarget(`https://hooks.example:${port}/x`, { allowHttpLoopback: true }, lookup);
    expect(checked).toMatchObject({ ok: true, addresses: [{ address: '127.0.0.1', family: 4 }] });
    // The name now answers a private address: a fresh check refuses it; the connection above never asks the name again.
    answers = [{ address: '10.0.0.7', family: 4 }];
    const again = await checkWebhookTarget(`https://hooks.example:${port}/x`, { allowHttpLoopback: true }, lookup);
    expect(again.ok).toBe(false);
  });

  it('rejects with a timeout when the receiver does not answer', async () => {
    const silent = http.createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const p = (silent.address() as AddressInfo).port;
    await expect(postPinned(new URL(`http://127.0.0.1:${p}/`), [{ address: '127.0.0.1', family: 4 }], { headers: {}, body: '', timeoutMs: 200 })).rejects.toMatchObject({ name: 'TimeoutError' });
    silent.closeAllConnections();
    await new Promise((resolve) => silent.close(resolve));
  });
});
