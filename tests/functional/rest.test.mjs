// The REST conversation API and the operations endpoints, against the real binary.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  api, assertConversation, assertContiguous, assertError, assertMessage, createConversation,
  postMessage, readTranscript, repoRoot, shutdown, start, uniqueId, REQUEST_ID_RE,
} from './util.mjs';

let srv;
before(async () => { srv = await start(); });
after(async () => { await shutdown(srv); });

test('POST /api/v1/conversations creates a conversation with a token and the welcome message', async () => {
  const res = await api(srv, 'POST', '/api/v1/conversations', { body: {} });
  assert.equal(res.status, 201, res.text);
  assert.match(res.headers.get('content-type') || '', /^application\/json/);
  const { conversation, access_token: token, messages } = res.body;
  assertConversation(conversation);
  assert.equal(conversation.status, 'open');
  assert.equal(conversation.language, 'zh', 'language defaults to zh');
  assert.equal(conversation.customer_ref, null);
  assert.equal(conversation.ended_at, null);
  assert.equal(typeof token, 'string');
  assert.ok(token.length >= 16, `access_token is long enough to be unguessable: ${token}`);
  assert.ok(Array.isArray(messages));
  assert.equal(messages.length, 1, `one welcome message: ${JSON.stringify(messages)}`);
  assertMessage(messages[0]);
  assert.equal(messages[0].seq, 1);
  assert.equal(messages[0].role, 'bot');
  assert.ok(messages[0].text.trim().length > 0, 'the welcome message says something');
  assert.equal(conversation.last_seq, 1);
});

test('channel and language given at creation are kept', async () => {
  const res = await api(srv, 'POST', '/api/v1/conversations', { body: { channel: 'app', language: 'en' } });
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.conversation.channel, 'app');
  assert.equal(res.body.conversation.language, 'en');
});

test('POST messages stores the customer message and returns the bot replies', async () => {
  const conv = await createConversation(srv);
  const cmid = uniqueId('rest');
  const res = await postMessage(srv, conv, cmid, '你好');
  assert.equal(res.status, 201, res.text);
  const { message, replies, duplicate } = res.body;
  assert.equal(duplicate, false);
  assertMessage(message);
  assert.equal(message.role, 'customer');
  assert.equal(message.seq, 2);
  assert.equal(message.text, '你好');
  assert.equal(message.client_message_id, cmid);
  assert.ok(Array.isArray(replies) && replies.length >= 1, `at least one bot reply: ${res.text}`);
  replies.forEach((r, i) => {
    assertMessage(r);
    assert.equal(r.role, 'bot');
    assert.equal(r.in_reply_to, message.seq, 'in_reply_to is the customer seq');
    assert.equal(r.seq, message.seq + 1 + i, 'replies follow the customer message in seq order');
    assert.ok(r.text.trim().length > 0);
  });

  const got = await api(srv, 'GET', `/api/v1/conversations/${conv.id}`, { token: conv.token });
  assert.equal(got.status, 200, got.text);
  assert.equal(got.body.conversation.last_seq, replies.at(-1).seq, 'last_seq is the last reply');
});

test('a quick reply payload is accepted as a normal customer message', async () => {
  const created = await api(srv, 'POST', '/api/v1/conversations', { body: {} });
  assert.equal(created.status, 201, created.text);
  const conv = { id: created.body.conversation.id, token: created.body.access_token };
  const quick = created.body.messages[0].quick_replies;
  const payload = quick.length ? quick[0].payload : '查询余额';
  const res = await postMessage(srv, conv, uniqueId('qr'), payload);
  assert.equal(res.status, 201, res.text);
  assert.equal(res.body.message.text, payload);
  assert.ok(res.body.replies.length >= 1);
});

test('GET messages pages through the transcript with limit/after/has_more/next_after', async () => {
  const conv = await createConversation(srv);
  for (const text of ['你好', 'what are your branch hours', '我想查询余额']) {
    const res = await postMessage(srv, conv, uniqueId('page'), text);
    assert.equal(res.status, 201, res.text);
  }
  const c = await api(srv, 'GET', `/api/v1/conversations/${conv.id}`, { token: conv.token });
  const total = c.body.conversation.last_seq;
  assert.ok(total >= 7, `welcome + 3 customer + ≥3 replies, got last_seq ${total}`);

  // Default page: everything (fewer than 50), has_more false.
  const whole = await api(srv, 'GET', `/api/v1/conversations/${conv.id}/messages`, { token: conv.token });
  assert.equal(whole.status, 200, whole.text);
  assert.equal(whole.body.messages.length, total);
  assert.equal(whole.body.has_more, false);
  assert.equal(whole.body.next_after, total);
  whole.body.messages.forEach(assertMessage);
  assertContiguous(whole.body.messages);

  // Pages of 2.
  const first = await api(srv, 'GET', `/api/v1/conversations/${conv.id}/messages?limit=2`, { token: conv.token });
  assert.equal(first.status, 200, first.text);
  assert.deepEqual(first.body.messages.map((m) => m.seq), [1, 2]);
  assert.equal(first.body.has_more, true);
  assert.equal(first.body.next_after, 2);
  const second = await api(srv, 'GET', `/api/v1/conversations/${conv.id}/messages?after=2&limit=2`, { token: conv.token });
  assert.deepEqual(second.body.messages.map((m) => m.seq), [3, 4]);
  assert.equal(second.body.has_more, true);
  assert.equal(second.body.next_after, 4);

  const paged = await readTranscript(srv, conv, { limit: 2 });
  assert.deepEqual(paged, whole.body.messages, 'paging by 2 yields the same transcript');

  // The last page exactly: has_more false.
  const last = await api(srv, 'GET', `/api/v1/conversations/${conv.id}/messages?after=${total - 1}&limit=1`, { token: conv.token });
  assert.deepEqual(last.body.messages.map((m) => m.seq), [total]);
  assert.equal(last.body.has_more, false);
  assert.equal(last.body.next_after, total);

  // Past the end: empty, next_after null.
  const empty = await api(srv, 'GET', `/api/v1/conversations/${conv.id}/messages?after=${total}`, { token: conv.token });
  assert.equal(empty.status, 200, empty.text);
  assert.deepEqual(empty.body, { messages: [], has_more: false, next_after: null });

  // The limit bounds: 1 and 200 are valid.
  for (const limit of [1, 200]) {
    const r = await api(srv, 'GET', `/api/v1/conversations/${conv.id}/messages?limit=${limit}`, { token: conv.token });
    assert.equal(r.status, 200, `limit=${limit}: ${r.text}`);
    assert.equal(r.body.messages.length, Math.min(limit, total));
  }
});

test('GET conversation returns it', async () => {
  const conv = await createConversation(srv, { channel: 'wechat' });
  const res = await api(srv, 'GET', `/api/v1/conversations/${conv.id}`, { token: conv.token });
  assert.equal(res.status, 200, res.text);
  assert.deepEqual(Object.keys(res.body), ['conversation']);
  assertConversation(res.body.conversation);
  assert.equal(res.body.conversation.id, conv.id);
  assert.equal(res.body.conversation.channel, 'wechat');
  assert.deepEqual(res.body.conversation, conv.res.body.conversation);
});

test('end returns 200 and is idempotent; posting afterwards is 409 conversation_ended', async () => {
  const conv = await createConversation(srv);
  const ended = await api(srv, 'POST', `/api/v1/conversations/${conv.id}/end`, { token: conv.token });
  assert.equal(ended.status, 200, ended.text);
  assertConversation(ended.body.conversation);
  assert.equal(ended.body.conversation.status, 'ended');
  assert.notEqual(ended.body.conversation.ended_at, null);

  const again = await api(srv, 'POST', `/api/v1/conversations/${conv.id}/end`, { token: conv.token });
  assert.equal(again.status, 200, again.text);
  assert.equal(again.body.conversation.status, 'ended');
  assert.equal(again.body.conversation.ended_at, ended.body.conversation.ended_at, 'ending twice keeps ended_at');

  const post = await postMessage(srv, conv, uniqueId('late'), '还在吗');
  assertError(post, 409, 'conversation_ended', 'post after end');

  const got = await api(srv, 'GET', `/api/v1/conversations/${conv.id}`, { token: conv.token });
  assert.equal(got.body.conversation.status, 'ended');
  const transcript = await readTranscript(srv, conv);
  assert.ok(!transcript.some((m) => m.text === '还在吗'), 'nothing was stored after the end');
});

test('X-Request-Id is on every response and a valid client id is echoed', async () => {
  // api() already asserts the header on every response in this file; here the echo rules.
  const mine = 'test-req.123_ABC';
  for (const [method, p, body] of [
    ['GET', '/healthz'], ['GET', '/api/v1/nope'], ['POST', '/api/v1/conversations', {}],
    ['POST', '/api/v1/conversations', '{bad'],
  ]) {
    const res = await api(srv, method, p, { body, headers: { 'x-request-id': mine } });
    assert.equal(res.requestId, mine, `${method} ${p} → ${res.status} echoes X-Request-Id`);
    if (res.status >= 400) assert.equal(res.body.request_id, mine);
  }
  const max = 'a'.repeat(64);
  assert.equal((await api(srv, 'GET', '/healthz', { headers: { 'x-request-id': max } })).requestId, max);

  // Invalid ids are replaced by a server-made one.
  for (const bad of ['a'.repeat(65), 'has space', 'semi;colon', 'slash/x']) {
    const res = await api(srv, 'GET', '/healthz', { headers: { 'x-request-id': bad } });
    assert.notEqual(res.requestId, bad, `invalid X-Request-Id ${JSON.stringify(bad)} is not echoed`);
    assert.match(res.requestId, REQUEST_ID_RE);
  }
  // Server-made ids differ per request.
  const ids = new Set();
  for (let i = 0; i < 5; i++) ids.add((await api(srv, 'GET', '/healthz')).requestId);
  assert.equal(ids.size, 5, 'each request gets its own id');
});

test('/healthz and /readyz', async () => {
  const h = await api(srv, 'GET', '/healthz');
  assert.equal(h.status, 200);
  assert.deepEqual(h.body, { status: 'ok' });
  const r = await api(srv, 'GET', '/readyz');
  assert.equal(r.status, 200);
  assert.deepEqual(r.body, { status: 'ready' });
});

/** Parses Prometheus text into {types: {name: type}, samples: [{name, labels, value}]}. */
function parseProm(text) {
  const types = {};
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const t = /^# TYPE (\S+) (\S+)/.exec(line);
    if (t) { types[t[1]] = t[2]; continue; }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    assert.ok(m, `not a Prometheus sample line: ${JSON.stringify(line)}`);
    const labels = {};
    if (m[2]) for (const l of m[2].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { types, samples };
}

test('/metrics exposes request counters by route and status and a latency histogram', async () => {
  const read = async () => {
    const res = await api(srv, 'GET', '/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') || '', /^text\/plain/);
    return { text: res.text, ...parseProm(res.text) };
  };
  const routeCounters = (m) => m.samples.filter((s) => m.types[s.name] === 'counter'
    || m.types[s.name.replace(/_total$/, '')] === 'counter').filter((s) => 'route' in s.labels && ('status' in s.labels || 'code' in s.labels));
  const createdCount = (m) => routeCounters(m)
    .filter((s) => s.labels.route === '/api/v1/conversations' && (s.labels.status ?? s.labels.code) === '201')
    .reduce((a, s) => a + s.value, 0);

  const conv = await createConversation(srv);
  await postMessage(srv, conv, uniqueId('m'), '你好');
  await api(srv, 'GET', `/api/v1/conversations/${conv.id}/messages`, { token: conv.token });
  const before = await read();
  assert.ok(routeCounters(before).length > 0, `a counter labelled by route and status:\n${before.text.slice(0, 3000)}`);
  for (let i = 0; i < 3; i++) await createConversation(srv);
  const afterM = await read();
  assert.ok(createdCount(afterM) - createdCount(before) >= 3,
    `the POST /api/v1/conversations 201 counter grew by at least 3 (${createdCount(before)} → ${createdCount(afterM)})`);

  const histograms = Object.entries(afterM.types).filter(([, t]) => t === 'histogram').map(([n]) => n);
  assert.ok(histograms.length > 0, 'a histogram is exported');
  const latency = histograms.find((n) => afterM.samples.some((s) => s.name === `${n}_bucket` && 'le' in s.labels));
  assert.ok(latency, `a histogram with buckets: ${histograms}`);
  const buckets = afterM.samples.filter((s) => s.name === `${latency}_bucket`);
  assert.ok(buckets.some((s) => s.labels.le === '+Inf'), 'a +Inf bucket');
  assert.ok(afterM.samples.some((s) => s.name === `${latency}_sum`), 'a _sum');
  assert.ok(afterM.samples.some((s) => s.name === `${latency}_count` && s.value > 0), 'a non-zero _count');

  // Route labels are templates: a raw conversation id never becomes a label value.
  assert.ok(!afterM.text.includes(conv.id), 'no conversation id in metric labels');
  assert.ok(!/cv_[0-9A-Za-z]{26}/.test(afterM.text), 'no conversation ids at all in /metrics');
});

test('GET /api/v1/openapi.yaml serves the OpenAPI document of docs/openapi.yaml', async () => {
  const res = await fetch(`${srv.baseUrl}/api/v1/openapi.yaml`);
  assert.equal(res.status, 200);
  assert.ok(res.headers.get('x-request-id'));
  assert.match(res.headers.get('content-type') || '', /^application\/yaml/);
  const served = await res.text();
  assert.match(served, /^openapi: 3\.0\.\d+$/m);
  const pathsOf = (doc) => [...doc.matchAll(/^ {2}(\/\S*):\s*$/gm)].map((m) => m[1]).sort();
  const file = readFileSync(path.join(repoRoot, 'docs', 'openapi.yaml'), 'utf8');
  assert.deepEqual(pathsOf(served), pathsOf(file), 'the served document describes the same paths as docs/openapi.yaml');
  for (const p of ['/api/v1/conversations', '/api/v1/conversations/{id}/messages', '/api/v1/ws']) {
    assert.ok(pathsOf(served).includes(p), `documents ${p}`);
  }
});

test('GET / serves the demo page and /widget/kefu-widget.js the widget', async () => {
  const page = await fetch(`${srv.baseUrl}/`);
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') || '', /^text\/html/);
  assert.ok(page.headers.get('x-request-id'));
  assert.match(await page.text(), /<html/i);
  const js = await fetch(`${srv.baseUrl}/widget/kefu-widget.js`);
  assert.equal(js.status, 200);
  assert.match(js.headers.get('content-type') || '', /javascript/);
  assert.ok((await js.text()).length > 0);
});
