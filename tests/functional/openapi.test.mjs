// docs/openapi.yaml describes every route the real server has, because integration developers generate clients
// from it: every staff route of the role table (GET /api/v1/auth/routes) with its roles and the staff
// credentials, every route open to customers or to anyone, and, for every documented path, exactly the methods
// the server answers on it. A route added without documentation fails here.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { api, repoRoot, runKefu, shutdown, start, WsClient } from './util.mjs';

const DOC_FILE = path.join(repoRoot, 'docs', 'openapi.yaml');
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

/**
 * The operations of an OpenAPI document's `paths`, read line by line like rest.test.mjs's pathsOf (no YAML
 * parser is installed): a path is a two-space key starting with `/`, an operation a four-space method key.
 * Returns Map(path → Map(METHOD → the operation's lines as text)).
 */
function operationsOf(doc) {
  const ops = new Map();
  const lines = doc.split('\n');
  const start = lines.indexOf('paths:');
  assert.ok(start >= 0, 'the document has a paths section');
  let current = null;
  let op = null;
  for (const line of lines.slice(start + 1)) {
    if (/^\S/.test(line)) break; // the next top-level key (components)
    const p = /^ {2}(\/\S*):\s*$/.exec(line);
    if (p) {
      current = new Map();
      ops.set(p[1], current);
      op = null;
      continue;
    }
    const m = /^ {4}([a-z]+):\s*$/.exec(line);
    if (m && current) {
      op = METHODS.includes(m[1]) ? [] : null;
      if (op) current.set(m[1].toUpperCase(), op);
      continue;
    }
    if (/^ {4}\S/.test(line)) op = null; // a path-level key such as parameters
    else if (op) op.push(line);
  }
  for (const methods of ops.values()) {
    for (const [method, body] of methods) methods.set(method, body.join('\n'));
  }
  return ops;
}

/** The roles an operation's description lists on its `Roles: a, b.` line, sorted; null when it has none. */
function rolesOf(operation) {
  const m = /^\s+Roles: ([a-z_]+(?:, [a-z_]+)*)\.\s*$/m.exec(operation);
  return m ? m[1].split(', ').sort() : null;
}

/** A concrete path for a template: every {param} becomes one segment. */
const concrete = (template) => template.replace(/\{[^}]+\}/g, 'x0');

// Routes outside the role table: the conversation API (the conversation's own token), sign-in and the
// operations routes (no credentials). The server lists no table of these, so they are named here; the
// tests below check that each exists on the server and that no other undocumented one is registered in src/.
const PUBLIC_ROUTES = [
  ['POST', '/api/v1/conversations'],
  ['GET', '/api/v1/conversations/{id}'],
  ['POST', '/api/v1/conversations/{id}/messages'],
  ['GET', '/api/v1/conversations/{id}/messages'],
  ['POST', '/api/v1/conversations/{id}/end'],
  ['GET', '/api/v1/conversations/{id}/csat'],
  ['POST', '/api/v1/conversations/{id}/csat'],
  ['POST', '/api/v1/auth/login'],
  ['GET', '/healthz'],
  ['GET', '/readyz'],
  ['GET', '/metrics'],
  ['GET', '/api/v1/openapi.yaml'],
];
// WebSocket endpoints (an upgrade of GET, not routes of the HTTP router).
const CUSTOMER_WS = '/api/v1/ws';
const DESK_WS = '/api/v1/desk/ws';
// Static files served by the GET fallback.
const STATIC_FILES = ['/', '/widget/kefu-widget.js'];

/** Every `*.cpp` under src/ that is not a unit test. */
function sourceFiles(dir = path.join(repoRoot, 'src')) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(cpp|hpp)$/.test(e.name) && !/_test\.cpp$/.test(e.name)) out.push(p);
  }
  return out;
}

describe('docs/openapi.yaml documents every route', () => {
  let srv;
  let session; // an admin's session cookie
  let table; // the role table: [{method, pattern, roles}]
  const ops = operationsOf(readFileSync(DOC_FILE, 'utf8'));
  const documented = (method, pattern) => ops.get(pattern)?.get(method);

  before(async () => {
    srv = await start();
    // An administrator signs in like the console does, and the cookie carries the session.
    const file = path.join(srv.dataDir, 'pw-docs-admin');
    writeFileSync(file, 'correct-horse-battery\n');
    const made = await runKefu(['admin', 'create-user', 'docs-admin', '--role', 'admin', '--password-file', file], {
      env: { KEFU_STORAGE_PATH: path.join(srv.dataDir, 'kefu.db') },
    });
    assert.equal(made.code, 0, `create-user: ${made.stderr}`);
    const login = await api(srv, 'POST', '/api/v1/auth/login', { body: { name: 'docs-admin', password: 'correct-horse-battery' } });
    assert.equal(login.status, 200, login.text);
    session = login.headers.get('set-cookie').split(';')[0];
    assert.match(session, /^kefu_session=kss1\./);
    const res = await api(srv, 'GET', '/api/v1/auth/routes', { headers: { cookie: session } });
    assert.equal(res.status, 200, res.text);
    table = res.body.routes;
    assert.ok(Array.isArray(table) && table.some((r) => r.pattern === '/api/v1/auth/routes'), res.text);
  });
  after(async () => { await shutdown(srv); });

  test('the document has the paths and operations it is read for', () => {
    assert.ok(ops.size >= 40, `${ops.size} paths`);
    assert.ok(documented('POST', '/api/v1/conversations'), 'reads POST /api/v1/conversations');
    assert.deepEqual(rolesOf(documented('GET', '/api/v1/desk/overview')), ['supervisor']);
  });

  test('every staff route of the role table is documented with its roles and the staff credentials', () => {
    const problems = [];
    for (const { method, pattern, roles } of table) {
      const op = documented(method, pattern);
      if (!op) {
        problems.push(`${method} ${pattern}: not documented`);
        continue;
      }
      const listed = rolesOf(op);
      if (!listed) problems.push(`${method} ${pattern}: no "Roles: ..." line in its description`);
      else if (listed.join() !== [...roles].sort().join()) {
        problems.push(`${method} ${pattern}: documents roles ${listed.join(', ')}, the server admits ${[...roles].sort().join(', ')}`);
      }
      for (const scheme of ['staffSession', 'staffToken']) {
        if (!new RegExp(`^ {8}- ${scheme}: \\[\\]$`, 'm').test(op)) problems.push(`${method} ${pattern}: security lacks ${scheme}`);
      }
    }
    assert.deepEqual(problems, [], `${table.length} staff routes; problems:\n${problems.join('\n')}`);
  });

  test('the routes open to customers and to anyone are documented and exist on the server', async () => {
    const problems = [];
    for (const [method, pattern] of PUBLIC_ROUTES) {
      if (!documented(method, pattern)) problems.push(`${method} ${pattern}: not documented`);
      if (table.some((r) => r.method === method && r.pattern === pattern)) {
        problems.push(`${method} ${pattern}: listed as public here but the role table has it`);
      }
      // A method the router never has answers 405 with the path's methods in Allow.
      const res = await api(srv, 'OPTIONS', concrete(pattern));
      const allow = (res.headers.get('allow') || '').split(/,\s*/);
      if (res.status !== 405 || !allow.includes(method)) problems.push(`${method} ${pattern}: not on the server (${res.status} Allow: ${allow})`);
    }
    for (const file of STATIC_FILES) {
      if (!documented('GET', file)) problems.push(`GET ${file}: not documented`);
      const res = await fetch(srv.baseUrl + file);
      await res.arrayBuffer();
      if (res.status !== 200) problems.push(`GET ${file}: ${res.status}`);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('both WebSocket endpoints are documented and upgrade as documented', async () => {
    for (const p of [CUSTOMER_WS, DESK_WS]) {
      const op = documented('GET', p);
      assert.ok(op, `GET ${p} is documented`);
      assert.match(op, /^ {8}'101':$/m, `GET ${p} documents the 101 upgrade`);
    }
    const customer = await WsClient.connect(`ws://127.0.0.1:${srv.port}${CUSTOMER_WS}`);
    customer.send({ type: 'ping' });
    await customer.next('pong');
    await customer.close();
    // The desk feed upgrades, then refuses a role other than agent and supervisor with an error frame and 1008.
    const desk = await WsClient.connect(`ws://127.0.0.1:${srv.port}${DESK_WS}`, { headers: { cookie: session } });
    const refused = await desk.next('error');
    assert.equal(refused.code, 'forbidden');
    assert.equal((await desk.closed()).code, 1008);
    assert.deepEqual(rolesOf(documented('GET', DESK_WS)), ['agent', 'supervisor']);
  });

  test('on every documented path the server has exactly the documented methods', async () => {
    const problems = [];
    for (const [pattern, methods] of ops) {
      if (pattern === CUSTOMER_WS || pattern === DESK_WS || STATIC_FILES.includes(pattern)) continue;
      const res = await api(srv, 'OPTIONS', concrete(pattern));
      if (res.status !== 405) {
        problems.push(`${pattern}: documented, but the server has no route there (OPTIONS → ${res.status})`);
        continue;
      }
      const served = res.headers.get('allow').split(/,\s*/).sort();
      const docs = [...methods.keys()].sort();
      if (served.join() !== docs.join()) problems.push(`${pattern}: the server has ${served.join(', ')}, the document ${docs.join(', ')}`);
    }
    assert.deepEqual(problems, [], problems.join('\n'));
  });

  test('every documented operation is a staff route of the table or a known public one', () => {
    const known = new Set([
      ...table.map((r) => `${r.method} ${r.pattern}`),
      ...PUBLIC_ROUTES.map(([m, p]) => `${m} ${p}`),
      `GET ${CUSTOMER_WS}`, `GET ${DESK_WS}`, ...STATIC_FILES.map((f) => `GET ${f}`),
    ]);
    const extra = [];
    for (const [pattern, methods] of ops) {
      for (const method of methods.keys()) if (!known.has(`${method} ${pattern}`)) extra.push(`${method} ${pattern}`);
    }
    assert.deepEqual(extra, [], `documented but neither in the role table nor a known public route:\n${extra.join('\n')}`);
  });

  test('every route registered in src/ with a literal pattern is documented', () => {
    // Catches a new customer-facing route, which no server table lists. Staff routes built from prefixes
    // are covered by the role table above.
    const found = [];
    for (const file of sourceFiles()) {
      const text = readFileSync(file, 'utf8');
      // router.Add(verb::get, "/healthz", ...), AddStaffRoute(..., verb::get, "/api/v1/auth/routes", ...), ...
      for (const m of text.matchAll(/\bverb::([a-z]+)_?,\s*"(\/[^"]*)"/g)) {
        found.push([m[1].toUpperCase(), m[2], path.relative(repoRoot, file)]);
      }
      for (const m of text.matchAll(/(?:WebSocketPath|websocket_path)\s*=\s*"(\/[^"]*)"/g)) {
        found.push(['GET', m[1], path.relative(repoRoot, file)]);
      }
    }
    for (const expected of ['/api/v1/conversations/{id}/messages', '/api/v1/auth/login', '/healthz', CUSTOMER_WS, DESK_WS]) {
      assert.ok(found.some(([, p]) => p === expected), `the source scan finds ${expected} (found ${found.length})`);
    }
    const missing = found.filter(([m, p]) => !documented(m, p)).map(([m, p, f]) => `${m} ${p} (${f})`);
    assert.deepEqual(missing, [], `registered in src/ but not documented:\n${missing.join('\n')}`);
  });
});
