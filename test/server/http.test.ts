import express from 'express';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';
import { createHttpServer } from '../../src/server/http';
import { detachRequestContext } from '../../src/server/graphql';

describe('createHttpServer', () => {
  let server: http.Server;
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('constructs requests and responses with the app’s prototypes, so express never re-parents them', async () => {
    const app = express();
    const seen: { bornWithAppRequest?: boolean; bornWithAppResponse?: boolean; app?: boolean } = {};
    app.get('/x', (req, res) => {
      seen.app = req.app === app;
      res.status(201).json({ header: req.get('x-test'), path: req.path });
    });
    server = createHttpServer(app);
    // Runs before express's own listener: what node constructed, before `app.handle` could touch it.
    server.prependListener('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      seen.bornWithAppRequest = Object.getPrototypeOf(req) === app.request;
      seen.bornWithAppResponse = Object.getPrototypeOf(res) === app.response;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    const res = await fetch(`http://127.0.0.1:${port}/x`, { headers: { 'x-test': 'hello' } });

    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({ header: 'hello', path: '/x' });
    expect(seen).toEqual({ bornWithAppRequest: true, bornWithAppResponse: true, app: true });
  });
});

describe('detachRequestContext', () => {
  it("drops the response's result and every request field of Apollo's request context", () => {
    const result = { data: { market: { symbol: 'BTC-PERP' } } };
    const response = { http: { status: 200 }, body: { kind: 'single', singleResult: result } as unknown };
    const request = { query: '{ x }', operationName: 'X', variables: { id: 'a' }, http: { method: 'POST' } };
    const requestContext = { request, response, contextValue: { a: 1 }, errors: [], document: {}, operation: {}, source: '{ x }', metrics: {}, logger: {} };

    detachRequestContext(requestContext);

    // The response object itself may still be referenced (by Apollo's copy of the request context): its body goes.
    expect(response.body).toBeUndefined();
    expect(request).toEqual({ query: undefined, operationName: 'X', variables: undefined, http: undefined });
    expect(requestContext).toEqual({
      request: undefined, response: undefined, contextValue: undefined, errors: undefined, document: undefined,
      operation: undefined, source: undefined, metrics: undefined, logger: {},
    });
  });
});
