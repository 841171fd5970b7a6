/**
 * GraphiQL for browsers, in development only: the page at /graphiql (and at /graphql for a browser navigation, a GET
 * that accepts text/html and carries no `query`), its scripts and styles served from the installed npm packages
 * (graphiql 3, react and react-dom 18 UMD builds; nothing from a CDN). The page has an input for the API key: the
 * fetcher sends it as `x-api-key` on every request (the schema is fetched again when it changes); the headers editor
 * works as usual. The key is kept in the tab's sessionStorage only.
 *
 * The packages are development dependencies: where they are not installed (a production image), no route is added.
 */
import express from 'express';
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Public name → file in node_modules. Only these files are served. */
const ASSETS: Readonly<Record<string, readonly [pkg: string, file: string, type: string]>> = {
  'graphiql.min.css': ['graphiql', 'graphiql.min.css', 'text/css; charset=utf-8'],
  'graphiql.min.js': ['graphiql', 'graphiql.min.js', 'text/javascript; charset=utf-8'],
  'react.production.min.js': ['react', 'umd/react.production.min.js', 'text/javascript; charset=utf-8'],
  'react-dom.production.min.js': ['react-dom', 'umd/react-dom.production.min.js', 'text/javascript; charset=utf-8'],
};

export const GRAPHIQL_PATH = '/graphiql';
const ASSET_PATH = `${GRAPHIQL_PATH}/assets`;

/** The page's own script: the key input, the fetcher that sends it, and GraphiQL below. */
const INIT_SCRIPT = `(function () {
  var h = React.createElement;
  var STORAGE = 'margin-risk-api:api-key';
  var endpoint = new URL('/graphql', window.location.href).toString();
  function fetcherFor(key) {
    return GraphiQL.createFetcher({ url: endpoint, headers: key ? { 'x-api-key': key } : {} });
  }
  function App() {
    var initial = window.sessionStorage.getItem(STORAGE) || '';
    var state = React.useState(initial);
    var key = state[0];
    var setKey = state[1];
    var fetcher = React.useMemo(function () { return fetcherFor(key); }, [key]);
    return h('div', { className: 'mr-page' },
      h('form', { className: 'mr-key', onSubmit: function (event) {
          event.preventDefault();
          var value = event.target.elements.apiKey.value.trim();
          window.sessionStorage.setItem(STORAGE, value);
          setKey(value);
        } },
        h('label', { htmlFor: 'mr-api-key' }, 'API key'),
        h('input', { id: 'mr-api-key', name: 'apiKey', type: 'password', autoComplete: 'off', defaultValue: initial,
          placeholder: 'rk_<prefix>_<secret> (sent as x-api-key)' }),
        h('button', { type: 'submit' }, 'Use key'),
        h('span', { className: 'mr-status', id: 'mr-key-status' }, key ? 'key set' : 'no key: requests answer 401')),
      h('div', { className: 'mr-graphiql' },
        h(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true, shouldPersistHeaders: false,
          defaultQuery: '# Enter your API key above, then run a query, for example:\\n{\\n  markets {\\n    symbol\\n    kind\\n    markPrice { price observedAt }\\n  }\\n}\\n' })));
  }
  ReactDOM.createRoot(document.getElementById('graphiql')).render(h(App));
})();
`;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>margin-risk-api · GraphiQL</title>
<link rel="stylesheet" href="${ASSET_PATH}/graphiql.min.css">
<style>
  html, body { margin: 0; height: 100%; }
  #graphiql, .mr-page { height: 100%; display: flex; flex-direction: column; }
  .mr-key { display: flex; gap: 8px; align-items: center; padding: 6px 12px; font: 14px system-ui, sans-serif; border-bottom: 1px solid #ddd; }
  .mr-key input { flex: 0 1 420px; padding: 4px 6px; font-family: monospace; }
  .mr-status { color: #666; }
  .mr-graphiql { flex: 1; min-height: 0; }
</style>
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
<script src="${ASSET_PATH}/react.production.min.js"></script>
<script src="${ASSET_PATH}/react-dom.production.min.js"></script>
<script src="${ASSET_PATH}/graphiql.min.js"></script>
<script src="${ASSET_PATH}/init.js"></script>
</body>
</html>
`;

/** Same-origin everything; GraphiQL sets inline styles and its icons are data: URLs. */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

function resolveAsset(pkg: string, file: string): string | null {
  try {
    return path.join(path.dirname(require.resolve(`${pkg}/package.json`)), file);
  } catch {
    return null;
  }
}

/** Absolute paths of the served files, or null when a package is missing. */
export function graphiqlAssetFiles(): Record<string, string> | null {
  const files: Record<string, string> = {};
  for (const [name, [pkg, file]] of Object.entries(ASSETS)) {
    const resolved = resolveAsset(pkg, file);
    if (resolved === null) return null;
    files[name] = resolved;
  }
  return files;
}

/** True for a browser navigation to the GraphQL endpoint: GET, HTML preferred over JSON, no operation in the URL. */
export function wantsGraphiql(req: express.Request): boolean {
  if (req.method !== 'GET' || req.query.query !== undefined) return false;
  return req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html';
}

/**
 * Routes of GraphiQL, to mount before /graphql's authentication; null when the packages are not installed. The GET
 * /graphql handler passes anything that is not a browser navigation on to the GraphQL endpoint.
 */
export function graphiqlRouter(): express.Router | null {
  const files = graphiqlAssetFiles();
  if (files === null) return null;
  const contents = new Map<string, Buffer>();
  const router = express.Router();
  const sendPage = (_req: express.Request, res: express.Response) => {
    res.setHeader('content-security-policy', CONTENT_SECURITY_POLICY);
    res.setHeader('cache-control', 'no-store');
    res.type('html').send(PAGE);
  };
  router.get(GRAPHIQL_PATH, sendPage);
  router.get('/graphql', (req, res, next) => (wantsGraphiql(req) ? sendPage(req, res) : next()));
  router.get(`${ASSET_PATH}/init.js`, (_req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.type('text/javascript; charset=utf-8').send(INIT_SCRIPT);
  });
  router.get(`${ASSET_PATH}/:name`, (req, res, next) => {
    const name = req.params.name;
    const file = Object.hasOwn(files, name) ? files[name]! : null;
    if (file === null) {
      next();
      return;
    }
    let body = contents.get(name);
    if (body === undefined) {
      body = readFileSync(file);
      contents.set(name, body);
    }
    res.setHeader('cache-control', 'public, max-age=3600');
    res.type(ASSETS[name]![2]).send(body);
  });
  return router;
}
