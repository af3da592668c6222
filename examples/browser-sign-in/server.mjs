// The example app: serves the page, and signs users in and out against `tessera serve`
// with the tenant's client key, which never leaves this process. The page gets the
// user's own tokens, and with them fetches its own subject snapshot from tessera.
//
//   TESSERA_URL=http://127.0.0.1:4000 TESSERA_CLIENT_KEY=<key> PORT=8081 node server.mjs
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';

const tessera = process.env.TESSERA_URL ?? 'http://127.0.0.1:4000';
const clientKey = process.env.TESSERA_CLIENT_KEY;
if (!clientKey) throw new Error('set TESSERA_CLIENT_KEY to the tenant\'s client key');

// The page's files, and the package's browser build (a bundler would resolve
// `tessera-authz` itself; this example maps it with an import map).
const files = {
  '/': ['index.html', 'text/html; charset=utf-8'],
  '/app.mjs': ['app.mjs', 'text/javascript'],
};
const dist = new URL('../../js/dist/', import.meta.url);
const TYPES = { '.mjs': 'text/javascript', '.js': 'text/javascript', '.wasm': 'application/wasm' };

// Snapshot keys pinned once, at start, from tessera itself: the page trusts these,
// not a key that arrives with each snapshot.
const snapshotKeys = (await (await fetch(`${tessera}/.well-known/tessera-snapshot-keys.json`)).json()).keys;

/** Calls tessera with the client key; answers with its status and JSON. */
async function withClientKey(path, body) {
  const response = await fetch(`${tessera}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${clientKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return [response.status, await response.json()];
}

const sessions = {
  // Sign in: a password grant. The page keeps the tokens; they name the user only.
  '/session': ({ username, password }) => withClientKey('/api/token', { grant_type: 'password', username, password }),
  '/session/refresh': ({ refresh_token }) => withClientKey('/api/token/refresh', { refresh_token }),
  '/session/end': ({ token }) => withClientKey('/api/token/revoke', { token }),
};

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

const server = createServer(async (req, res) => {
  try {
    const path = new URL(req.url, 'http://x').pathname;
    if (req.method === 'POST' && sessions[path]) {
      let text = '';
      for await (const chunk of req) text += chunk;
      const [status, answer] = await sessions[path](JSON.parse(text || '{}'));
      return send(res, status, 'application/json', JSON.stringify(answer));
    }
    if (path === '/config.json') {
      return send(res, 200, 'application/json', JSON.stringify({ tessera, snapshotKeys }));
    }
    if (files[path]) {
      const [file, type] = files[path];
      return send(res, 200, type, await readFile(new URL(file, import.meta.url)));
    }
    const name = path.match(/^\/tessera\/([\w.-]+)$/)?.[1];
    if (name && TYPES[extname(name)]) {
      return send(res, 200, TYPES[extname(name)], await readFile(new URL(name, dist)));
    }
    send(res, 404, 'text/plain', 'not found');
  } catch (error) {
    send(res, 502, 'application/json', JSON.stringify({ error: 'ERR_UPSTREAM', message: String(error.message ?? error) }));
  }
});
server.listen(Number(process.env.PORT ?? 8081), '127.0.0.1', () => {
  console.log(`listening on http://127.0.0.1:${server.address().port}`);
});
