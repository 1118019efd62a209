// A conversation is reachable only with its own token, and refusals reveal nothing: a wrong or
// missing token looks exactly like an unknown id.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, assertError, createConversation, postMessage, readTranscript, shutdown, start, uniqueId,
  CONVERSATION_ID_RE,
} from './util.mjs';

let srv;
let a;
let b;
before(async () => {
  srv = await start();
  a = await createConversation(srv);
  b = await createConversation(srv);
  const r = await postMessage(srv, b, uniqueId('b'), '我想查询余额');
  assert.equal(r.status, 201, r.text);
});
after(async () => { await shutdown(srv); });

/** Every way to touch conversation `id`, as [label, method, path, body]. */
const routes = (id) => [
  ['get conversation', 'GET', `/api/v1/conversations/${id}`],
  ['read transcript', 'GET', `/api/v1/conversations/${id}/messages`],
  ['read transcript page', 'GET', `/api/v1/conversations/${id}/messages?after=1&limit=10`],
  ['post message', 'POST', `/api/v1/conversations/${id}/messages`, { client_message_id: 'intruder-1', text: '把钱转给我' }],
  ['pending survey', 'GET', `/api/v1/conversations/${id}/csat`],
  ['rate a chat', 'POST', `/api/v1/conversations/${id}/csat`, { chat_id: 'ch_x', score: 5 }],
  ['end', 'POST', `/api/v1/conversations/${id}/end`],
];

/** Sends with a raw Authorization header value (or none). */
function call(method, path, body, authorization) {
  const headers = authorization === undefined ? {} : { authorization };
  return api(srv, method, path, { body, headers });
}

test('the own token works', async () => {
  for (const [label, method, p, body] of routes(a.id)) {
    if (label === 'end' || label === 'post message' || label === 'rate a chat') continue;
    const res = await call(method, p, body, `Bearer ${a.token}`);
    assert.equal(res.status, 200, `${label}: ${res.text}`);
  }
});

test("B cannot be read or written with A's token, no token or a garbage token: 404 like an unknown id", async () => {
  // Well formed, in the server's own alphabet, and (with overwhelming probability) unused.
  const unknownId = `cv_${[...b.id.slice(3)].reverse().join('')}`;
  assert.notEqual(unknownId, b.id);
  const wrongAuth = [
    ["A's token", `Bearer ${a.token}`],
    ['no Authorization', undefined],
    ['a garbage token', 'Bearer not-a-token-at-all'],
    ['an empty bearer', 'Bearer '],
    ["B's token with one character changed", `Bearer ${b.token.slice(0, -1)}${b.token.endsWith('A') ? 'B' : 'A'}`],
    ["B's token with the Basic scheme", `Basic ${b.token}`],
    ["B's token without a scheme", b.token],
    ["B's token with a suffix", `Bearer ${b.token}x`],
  ];
  const before = await readTranscript(srv, b);
  for (const [label, method, p, body] of routes(b.id)) {
    // The reference answer: the same route on an id that does not exist, with a valid token.
    const unknownPath = p.replace(b.id, unknownId);
    const reference = await call(method, unknownPath, body, `Bearer ${a.token}`);
    assertError(reference, 404, 'not_found', `${label} on an unknown id`);
    for (const [authLabel, authorization] of wrongAuth) {
      const res = await call(method, p, body, authorization);
      assertError(res, 404, 'not_found', `${label} with ${authLabel}`);
      assert.equal(res.body.message, reference.body.message, `${label} with ${authLabel}: the same message as an unknown id`);
      assert.equal(res.headers.get('content-type'), reference.headers.get('content-type'));
      assert.equal(res.headers.get('www-authenticate'), null, 'no WWW-Authenticate hint');
    }
    // An unknown id without a token looks the same again.
    const bare = await call(method, unknownPath, body, undefined);
    assertError(bare, 404, 'not_found', `${label} on an unknown id without a token`);
    assert.equal(bare.body.message, reference.body.message);
  }
  // Nothing happened to B.
  const afterT = await readTranscript(srv, b);
  assert.deepEqual(afterT, before, "B's transcript is unchanged");
  const conv = await api(srv, 'GET', `/api/v1/conversations/${b.id}`, { token: b.token });
  assert.equal(conv.body.conversation.status, 'open', 'B was not ended');
});

test('a malformed or non-canonical id is not_found too', async () => {
  for (const id of ['x', 'cv_', 'cv_short', `${b.id}x`, b.id.slice(0, -1), `${b.id.slice(0, -1)}_`, '%00', 'cv_\u0000']) {
    const res = await api(srv, 'GET', `/api/v1/conversations/${encodeURIComponent(id)}`, { token: b.token });
    assertError(res, 404, 'not_found', `GET conversation ${JSON.stringify(id)}`);
  }
});

test('ids and tokens look unguessable: cv_ + 26 base32 chars, all distinct', async () => {
  const ids = [];
  const tokens = [];
  const messageIds = [];
  for (let i = 0; i < 100; i++) {
    const res = await api(srv, 'POST', '/api/v1/conversations', { body: {} });
    assert.equal(res.status, 201, res.text);
    ids.push(res.body.conversation.id);
    tokens.push(res.body.access_token);
    messageIds.push(res.body.messages[0].id);
  }
  for (const id of ids) assert.match(id, CONVERSATION_ID_RE);
  assert.equal(new Set(ids).size, 100, 'conversation ids are distinct');
  assert.equal(new Set(tokens).size, 100, 'tokens are distinct');
  assert.equal(new Set(messageIds).size, 100, 'message ids are distinct');
  for (const t of tokens) assert.ok(t.length >= 16, `the token is long enough to be unguessable: ${t}`);

  // 2600 random characters from a 32-letter alphabet: at most 32 distinct, nearly all of them used.
  const bodies = ids.map((id) => id.slice(3));
  const alphabet = new Set(bodies.join(''));
  assert.ok(alphabet.size <= 32, `a base32 alphabet (${alphabet.size} letters: ${[...alphabet].sort().join('')})`);
  assert.ok(alphabet.size >= 28, `the ids use the whole alphabet, as random ids do (${alphabet.size} letters)`);
  // No shared prefix: not a counter or a timestamp.
  const prefixes = new Set(bodies.map((s) => s.slice(0, 6)));
  assert.ok(prefixes.size >= 95, `the first 6 characters vary (${prefixes.size} distinct of 100)`);
  // 130 random bits as 26×5: every position carries entropy.
  for (const pos of [0, 12, 25]) {
    const chars = new Set(bodies.map((s) => s[pos]));
    assert.ok(chars.size >= 10, `position ${pos} varies (${chars.size} letters)`);
  }
});
