// A widget embedded on the bank's own site talks to Kefu on another origin (docs/api-v1.md, "Cross-origin
// widgets"): only listed origins get CORS headers, only on the customer API, and a bad list stops the start.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createConversation, runKefu, shutdown, start } from './util.mjs';

const BANK = 'https://www.bank.example';
let srv;
before(async () => {
  srv = await start({ env: { KEFU_SERVER_CORS_ORIGINS: `${BANK}, http://localhost:3000` } });
});
after(async () => { await shutdown(srv); });

test('a preflight from a listed origin is answered with the methods and headers a widget needs', async () => {
  const conv = await createConversation(srv);
  const res = await fetch(`${srv.baseUrl}/api/v1/conversations/${conv.id}/csat`, {
    method: 'OPTIONS',
    headers: { origin: BANK, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
  });
  assert.equal(res.status, 204);
  assert.equal(res.headers.get('access-control-allow-origin'), BANK);
  assert.equal(res.headers.get('access-control-allow-methods'), 'GET, POST');
  assert.match(res.headers.get('access-control-allow-headers'), /Authorization/);
  assert.match(res.headers.get('access-control-allow-headers'), /Content-Type/);
  assert.equal(res.headers.get('access-control-max-age'), '600');
  assert.equal(res.headers.get('access-control-allow-credentials'), null, 'never credentials');
  assert.equal(res.headers.get('vary'), 'Origin');
});

test('answers to a listed origin carry CORS headers, errors included; other origins and staff routes get none', async () => {
  const created = await fetch(`${srv.baseUrl}/api/v1/conversations`, {
    method: 'POST', headers: { origin: 'http://localhost:3000', 'content-type': 'application/json' }, body: '{}',
  });
  assert.equal(created.status, 201);
  assert.equal(created.headers.get('access-control-allow-origin'), 'http://localhost:3000');
  assert.match(created.headers.get('access-control-expose-headers'), /X-Request-Id/);
  const { conversation, access_token: token } = await created.json();
  // An error is readable by the widget too.
  const bad = await fetch(`${srv.baseUrl}/api/v1/conversations/${conversation.id}/messages`, {
    method: 'POST', headers: { origin: BANK, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"text":""}',
  });
  assert.equal(bad.status, 400);
  assert.equal(bad.headers.get('access-control-allow-origin'), BANK);
  // Another origin: no CORS headers, and its preflight is not answered as one.
  const evil = await fetch(`${srv.baseUrl}/api/v1/conversations/${conversation.id}`, {
    headers: { origin: 'https://evil.example', authorization: `Bearer ${token}` },
  });
  assert.equal(evil.status, 200);
  assert.equal(evil.headers.get('access-control-allow-origin'), null);
  const evilPreflight = await fetch(`${srv.baseUrl}/api/v1/conversations`, {
    method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  assert.notEqual(evilPreflight.status, 204);
  assert.equal(evilPreflight.headers.get('access-control-allow-origin'), null);
  // Staff routes stay same-origin.
  const login = await fetch(`${srv.baseUrl}/api/v1/auth/login`, {
    method: 'OPTIONS', headers: { origin: BANK, 'access-control-request-method': 'POST' },
  });
  assert.equal(login.headers.get('access-control-allow-origin'), null);
  assert.notEqual(login.status, 204);
});

test('a wildcard or a URL with a path in cors_origins stops the start with the entry named', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-cors-'));
  try {
    for (const bad of ['*', 'https://www.bank.example/chat']) {
      const r = await runKefu(['serve'], {
        env: { KEFU_SERVER_CORS_ORIGINS: `${BANK}, ${bad}`, KEFU_STORAGE_PATH: path.join(dir, 'k.db'), KEFU_SERVER_PORT: '0' },
      });
      assert.equal(r.code, 2, r.stderr);
      assert.ok(r.stderr.includes(`'${bad}' is not an origin`), r.stderr);
      assert.match(r.stderr, /server\.cors_origins/);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
