/**
 * What the ecosystem's tools need: the standard introspection query (outside production only), GET queries past
 * CSRF prevention when they carry the API key, and GraphiQL served from the installed packages in development.
 */
import { buildClientSchema, buildSchema, findBreakingChanges, findDangerousChanges, getIntrospectionQuery, type IntrospectionQuery } from 'graphql';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { startApi, type ApiHarness } from '../helpers/api-server';

let dev: ApiHarness;
let production: ApiHarness;
beforeAll(async () => {
  [dev, production] = await Promise.all([
    startApi({ kind: 'MIGRATED', config: { env: 'development' } }),
    startApi({ kind: 'MIGRATED', config: { env: 'production' } }),
  ]);
});
afterAll(async () => {
  await Promise.all([dev?.stop(), production?.stop()]);
});

const FULL_OPTIONS = { descriptions: true, specifiedByUrl: true, directiveIsRepeatable: true, schemaDescription: true, inputValueDeprecation: true };

describe('introspection', () => {
  it('answers graphql-js getIntrospectionQuery() in development, and the schema it returns is schema.graphql', async () => {
    for (const options of [{}, FULL_OPTIONS]) {
      const res = await dev.gql<IntrospectionQuery>(getIntrospectionQuery(options));
      expect(res.status).toBe(200);
      expect(res.errors).toBeUndefined();
      const fromServer = buildClientSchema(res.data!);
      const contract = buildSchema(readFileSync(path.resolve(__dirname, '../../schema.graphql'), 'utf8'));
      // The same types, fields, arguments and enum values, both ways (descriptions of scalars come from their code).
      for (const [a, b] of [[contract, fromServer], [fromServer, contract]] as const) {
        expect(findBreakingChanges(a, b)).toEqual([]);
        expect(findDangerousChanges(a, b)).toEqual([]);
      }
      expect(fromServer.getQueryType()!.getFields().account!.description).toMatch(/NOT_FOUND/);
    }
  });

  it('still refuses deep queries outside introspection in development', async () => {
    const deep = `{ ${'markets { baseAsset { '.repeat(10)}symbol${' } }'.repeat(10)} }`;
    const res = await dev.gql(deep);
    expect(res.status).toBe(400);
    expect(res.errors![0]!.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX' });
    // Introspection nested beyond its own bound is refused too, before validation.
    const ofType = `${'ofType { '.repeat(30)}name${' }'.repeat(30)}`;
    const tooDeep = await dev.gql(`{ __type(name: "Account") { fields { type { ${ofType} } } } }`);
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.errors![0]!.message).toMatch(/introspection depth \d+ exceeds the maximum/);
  });

  it('refuses the standard introspection query in production, by depth, and shallow introspection as disabled', async () => {
    const res = await production.gql(getIntrospectionQuery());
    expect(res.status).toBe(400);
    expect(res.data).toBeUndefined();
    expect(res.errors![0]!.extensions).toEqual({ code: 'QUERY_TOO_COMPLEX' });
    expect(res.errors![0]!.message).toMatch(/query depth 15 exceeds the maximum of 12/);
    const shallow = await production.gql(`{ __schema { types { name } } }`);
    expect(shallow.errors![0]!.message).toMatch(/introspection/i);
    expect(shallow.data).toBeUndefined();
  });
});

describe('CSRF prevention', () => {
  const url = (h: ApiHarness, query: string) => `${h.server.url}?query=${encodeURIComponent(query)}`;

  it('answers a GET query that carries x-api-key and no content-type', async () => {
    const res = await fetch(url(dev, '{ markets { symbol } }'), { headers: { 'x-api-key': dev.keys.monitor.key } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { markets: [] } });
  });

  it('answers a GET query that carries Authorization: Bearer', async () => {
    const res = await fetch(url(dev, '{ assets { symbol } }'), { headers: { authorization: `Bearer ${dev.keys.monitor.key}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ data: { assets: [] } });
  });

  it('still refuses a simple cross-site POST (text/plain, no preflight header) and mutations over GET', async () => {
    // A key in the query string is not a key: a simple request has neither header, so authentication refuses it;
    // with a cookie-less API that is the whole CSRF surface. A POST a form could send is refused by Apollo's rule.
    const form = await fetch(dev.server.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain', 'x-api-key': dev.keys.monitor.key },
      body: JSON.stringify({ query: '{ markets { symbol } }' }),
    });
    expect(form.status).toBe(400);
    const mutation = await fetch(url(dev, 'mutation { revokeApiKey(input: { idempotencyKey: "k", id: "x" }) { userErrors { code } } }'), {
      headers: { 'x-api-key': dev.keys.admin.key },
    });
    expect(mutation.status).toBe(405);
  });
});

describe('GraphiQL', () => {
  const html = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

  async function page(h: ApiHarness, at: string): Promise<Response> {
    return fetch(`${h.baseUrl}${at}`, { headers: html });
  }

  it('serves the page at /graphiql and to a browser at /graphql, every asset from this server', async () => {
    for (const at of ['/graphiql', '/graphql']) {
      const res = await page(dev, at);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
      const text = await res.text();
      expect(text).toContain('GraphiQL');
      const refs = [...text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
      expect(refs.length).toBeGreaterThanOrEqual(5);
      for (const ref of refs) {
        expect(ref).toMatch(/^\/graphiql\/assets\//); // no external URL
        const asset = await fetch(`${dev.baseUrl}${ref}`);
        expect(asset.status).toBe(200);
        const body = await asset.text();
        expect(body.length).toBeGreaterThan(ref.endsWith('init.js') ? 500 : 5_000);
      }
    }
    // The page's script reads the key from its input and sends it as x-api-key.
    const init = await (await fetch(`${dev.baseUrl}/graphiql/assets/init.js`)).text();
    expect(init).toContain("'x-api-key'");
    expect(init).toContain('API key');
  });

  it('leaves GraphQL requests to /graphql alone, and is not served in production', async () => {
    const json = await fetch(`${dev.server.url}?query=${encodeURIComponent('{ assets { symbol } }')}`, {
      headers: { ...html, 'x-api-key': dev.keys.monitor.key },
    });
    expect(json.status).toBe(200);
    expect(await json.json()).toEqual({ data: { assets: [] } });
    expect((await page(production, '/graphiql')).status).toBe(404);
    expect((await fetch(`${production.baseUrl}/graphiql/assets/graphiql.min.js`)).status).toBe(404);
    const prodGraphql = await page(production, '/graphql');
    expect(prodGraphql.status).toBe(401);
    expect(await dev.gql('{ assets { symbol } }')).toMatchObject({ status: 200 });
    expect((await fetch(`${dev.baseUrl}/graphiql/assets/package.json`)).status).toBe(404);
  });
});
