// Every documented error: the status, the exact body {code, message, request_id}, and the server
// still healthy after each bad request. Requests fetch cannot make go over a raw TCP socket.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, assertError, assertHealthy, createConversation, postMessage, rawHead, rawRequest,
  readTranscript, RawConn, shutdown, sleep, start, uniqueId, waitFor, WsClient,
} from './util.mjs';

const CONVERSATIONS = '/api/v1/conversations';

describe('request errors (default limits)', () => {
  let srv;
  let conv;
  before(async () => {
    srv = await start();
    conv = await createConversation(srv);
  });
  after(async () => { await shutdown(srv); });

  const messagesPath = () => `${CONVERSATIONS}/${conv.id}/messages`;

  /** Asserts the error and then that the server still answers /healthz. */
  async function expectError(res, status, code, context) {
    assertError(res, status, code, context);
    await assertHealthy(srv, `after ${context}`);
  }

  test('malformed JSON → 400 malformed_json', async () => {
    for (const body of ['{"channel":', '{channel: "web"}', 'nope', '{"a":1}}', '{"channel":"web",}']) {
      const res = await api(srv, 'POST', CONVERSATIONS, { body });
      await expectError(res, 400, 'malformed_json', `create with body ${JSON.stringify(body)}`);
    }
    const res = await api(srv, 'POST', messagesPath(), { token: conv.token, body: '{"client_message_id":"x","text":"hi"' });
    await expectError(res, 400, 'malformed_json', 'message with truncated JSON');
  });

  test('body over max_body_bytes → 413 payload_too_large', async () => {
    const text = 'x'.repeat(70000);
    const body = JSON.stringify({ client_message_id: 'big', text });
    // With Content-Length.
    const res = await rawRequest(srv.port, [
      rawHead('POST', messagesPath(), {
        authorization: `Bearer ${conv.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
      }),
      body,
    ]);
    await expectError(res, 413, 'payload_too_large', 'Content-Length 70000');
    // Chunked, so the size is only known while reading.
    const chunks = [];
    for (let i = 0; i < body.length; i += 8192) {
      const part = body.slice(i, i + 8192);
      chunks.push(`${Buffer.byteLength(part).toString(16)}\r\n${part}\r\n`);
    }
    chunks.push('0\r\n\r\n');
    const chunked = await rawRequest(srv.port, [
      rawHead('POST', messagesPath(), {
        authorization: `Bearer ${conv.token}`, 'content-type': 'application/json', 'transfer-encoding': 'chunked',
      }),
      ...chunks,
    ]);
    await expectError(chunked, 413, 'payload_too_large', 'chunked body of 70000 bytes');
    // Via fetch too, on a route that needs no token.
    const viaFetch = await api(srv, 'POST', CONVERSATIONS, { body: JSON.stringify({ channel: 'web', pad: 'y'.repeat(66000) }) });
    await expectError(viaFetch, 413, 'payload_too_large', 'create with a 66 KB body');
    // Nothing was stored.
    const transcript = await readTranscript(srv, conv);
    assert.ok(!transcript.some((m) => m.client_message_id === 'big'));
  });

  test('unknown route → 404 not_found', async () => {
    for (const [method, p] of [['GET', '/api/v1/nope'], ['GET', '/api/v2/conversations'], ['POST', '/api/v1/conversations/x/y/z'],
      ['GET', '/nope.html'], ['DELETE', '/api/v1/nothing']]) {
      const res = await api(srv, method, p);
      await expectError(res, 404, 'not_found', `${method} ${p}`);
    }
  });

  test('wrong method → 405 method_not_allowed with Allow', async () => {
    const cases = [
      ['GET', CONVERSATIONS, ['POST']],
      ['DELETE', CONVERSATIONS, ['POST']],
      ['PUT', `${CONVERSATIONS}/${conv.id}/messages`, ['GET', 'POST']],
      ['DELETE', `${CONVERSATIONS}/${conv.id}`, ['GET']],
      ['GET', `${CONVERSATIONS}/${conv.id}/end`, ['POST']],
      ['POST', '/healthz', ['GET']],
      ['POST', '/metrics', ['GET']],
    ];
    for (const [method, p, allowed] of cases) {
      const res = await api(srv, method, p, { token: conv.token });
      await expectError(res, 405, 'method_not_allowed', `${method} ${p}`);
      const allow = (res.headers.get('allow') || '').split(',').map((s) => s.trim()).filter(Boolean);
      for (const m of allowed) assert.ok(allow.includes(m), `Allow for ${p} lists ${m}: ${allow}`);
      assert.ok(!allow.includes(method), `Allow for ${p} does not list ${method}: ${allow}`);
    }
  });

  test('invalid UTF-8 in the body → 400 invalid_utf8', async () => {
    const bad = [
      Buffer.concat([Buffer.from('{"client_message_id":"u1","text":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]),
      Buffer.concat([Buffer.from('{"client_message_id":"u2","text":"ab'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}')]), // overlong '/'
      Buffer.concat([Buffer.from('{"client_message_id":"u3","text":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]), // surrogate
      Buffer.concat([Buffer.from('{"client_message_id":"u4","text":"'), Buffer.from([0xe4, 0xbd]), Buffer.from('"}')]), // truncated 你
    ];
    for (const body of bad) {
      const res = await api(srv, 'POST', messagesPath(), { token: conv.token, body });
      await expectError(res, 400, 'invalid_utf8', `body ${body.toString('hex')}`);
    }
    const create = await api(srv, 'POST', CONVERSATIONS, {
      body: Buffer.concat([Buffer.from('{"language":"'), Buffer.from([0x80]), Buffer.from('"}')]),
    });
    await expectError(create, 400, 'invalid_utf8', 'create with a stray continuation byte');
    // An escaped lone surrogate is not a valid UTF-8 text either.
    const escaped = await api(srv, 'POST', messagesPath(), { token: conv.token, body: '{"client_message_id":"u5","text":"a\\ud800b"}' });
    assert.equal(escaped.status, 400, escaped.text);
    assertError(escaped, 400, ['invalid_utf8', 'malformed_json'], 'escaped lone surrogate');
    await assertHealthy(srv);
    const transcript = await readTranscript(srv, conv);
    assert.ok(!transcript.some((m) => /^u\d$/.test(m.client_message_id ?? '')), 'nothing stored');
  });

  test('a body without application/json → 415 unsupported_media_type', async () => {
    const none = await api(srv, 'POST', CONVERSATIONS, { body: '{}', contentType: null });
    await expectError(none, 415, 'unsupported_media_type', 'no content-type');
    const plain = await api(srv, 'POST', CONVERSATIONS, { body: '{}', contentType: 'text/plain' });
    await expectError(plain, 415, 'unsupported_media_type', 'text/plain');
    const form = await api(srv, 'POST', messagesPath(), {
      token: conv.token, body: 'client_message_id=a&text=b', contentType: 'application/x-www-form-urlencoded',
    });
    await expectError(form, 415, 'unsupported_media_type', 'form body');
    // A charset parameter is fine.
    const ok = await api(srv, 'POST', CONVERSATIONS, { body: '{}', contentType: 'application/json; charset=utf-8' });
    assert.equal(ok.status, 201, ok.text);
  });

  test('headers over max_header_bytes → 431 header_too_large', async () => {
    const big = await rawRequest(srv.port, rawHead('GET', '/healthz', { 'x-padding': 'a'.repeat(10000) }));
    await expectError(big, 431, 'header_too_large', '10 KB header');
    const many = {};
    for (let i = 0; i < 200; i++) many[`x-h${i}`] = 'b'.repeat(50);
    const manyRes = await rawRequest(srv.port, rawHead('GET', '/healthz', many));
    await expectError(manyRes, 431, 'header_too_large', '200 headers of 60 bytes');
    // Just under the limit is fine.
    const fine = await rawRequest(srv.port, rawHead('GET', '/healthz', { 'x-padding': 'a'.repeat(6000) }));
    assert.equal(fine.status, 200, fine.text);
  });

  test('invalid field values → 400 invalid_argument naming the field', async () => {
    const createCases = [
      [{ channel: 'fax' }, 'channel'],
      [{ channel: 5 }, 'channel'],
      [{ language: 'fr' }, 'language'],
      [{ customer_ref: 'C0001' }, 'customer_ref'],
    ];
    for (const [body, field] of createCases) {
      const res = await api(srv, 'POST', CONVERSATIONS, { body });
      await expectError(res, 400, 'invalid_argument', `create ${JSON.stringify(body)}`);
      assert.ok(res.body.message.includes(field), `the message names ${field}: ${res.body.message}`);
    }
    for (const body of ['[]', '"text"', '42', 'null']) {
      const res = await api(srv, 'POST', CONVERSATIONS, { body });
      await expectError(res, 400, 'invalid_argument', `create with JSON ${body}`);
    }

    const messageCases = [
      [{ text: '你好' }, 'client_message_id'],
      [{ client_message_id: 'v1' }, 'text'],
      [{ client_message_id: 'v2', text: '' }, 'text'],
      [{ client_message_id: 'v3', text: ' \n\t ' }, 'text'],
      [{ client_message_id: 'v4', text: 'x'.repeat(4001) }, 'text'],
      [{ client_message_id: 'v5', text: '你'.repeat(4001) }, 'text'],
      [{ client_message_id: 'v6', text: 42 }, 'text'],
      [{ client_message_id: 'v7', text: null }, 'text'],
      [{ client_message_id: '', text: '你好' }, 'client_message_id'],
      [{ client_message_id: 'a'.repeat(65), text: '你好' }, 'client_message_id'],
      [{ client_message_id: 'has space', text: '你好' }, 'client_message_id'],
      [{ client_message_id: 'a/b', text: '你好' }, 'client_message_id'],
      [{ client_message_id: '客服', text: '你好' }, 'client_message_id'],
      [{ client_message_id: 123, text: '你好' }, 'client_message_id'],
    ];
    for (const [body, field] of messageCases) {
      const res = await api(srv, 'POST', messagesPath(), { token: conv.token, body });
      await expectError(res, 400, 'invalid_argument', `message ${JSON.stringify(body).slice(0, 80)}`);
      assert.ok(res.body.message.includes(field), `the message names ${field}: ${res.body.message}`);
    }

    for (const [query, field] of [['limit=0', 'limit'], ['limit=201', 'limit'], ['limit=abc', 'limit'], ['limit=-1', 'limit'],
      ['limit=1.5', 'limit'], ['after=-1', 'after'], ['after=abc', 'after']]) {
      const res = await api(srv, 'GET', `${messagesPath()}?${query}`, { token: conv.token });
      await expectError(res, 400, 'invalid_argument', `GET messages?${query}`);
      assert.ok(res.body.message.includes(field), `the message names ${field}: ${res.body.message}`);
    }

    // The edges that are valid.
    const edgeCases = [
      ['a'.repeat(64), 'x'.repeat(4000)],
      ['Az09._:-', '你'.repeat(4000)],
      [uniqueId('edge'), '  padded text  '],
    ];
    for (const [cmid, text] of edgeCases) {
      const res = await postMessage(srv, conv, cmid, text);
      assert.equal(res.status, 201, `client_message_id ${cmid.slice(0, 20)} with ${text.length} chars: ${res.text.slice(0, 300)}`);
    }
    const transcript = await readTranscript(srv, conv);
    assert.ok(!transcript.some((m) => /^v\d$/.test(m.client_message_id ?? '')), 'no invalid message was stored');
  });

  test('a garbage request line does not hurt the server', async () => {
    const conn = await RawConn.connect(srv.port);
    try {
      await conn.write('THIS IS NOT HTTP\r\n\r\n');
      const res = await conn.readResponse().catch(() => null);
      if (res) assert.ok(res.status >= 400 && res.status < 500, `a 4xx for garbage: ${res.status}`);
    } finally {
      conn.destroy();
    }
    await assertHealthy(srv, 'after a garbage request');
  });

  test('every error body has request_id equal to X-Request-Id, including a client-sent id', async () => {
    const mine = 'err-check-1';
    const res = await api(srv, 'GET', '/api/v1/nope', { headers: { 'x-request-id': mine } });
    assertError(res, 404, 'not_found', 'unknown route');
    assert.equal(res.body.request_id, mine);
    const raw = await rawRequest(srv.port, rawHead('GET', '/healthz', { 'x-request-id': 'raw-431', 'x-padding': 'p'.repeat(10000) }));
    assertError(raw, 431, 'header_too_large', '431 with an id');
    await assertHealthy(srv);
  });
});

describe('request timeout', () => {
  let srv;
  before(async () => { srv = await start({ env: { KEFU_SERVER_READ_TIMEOUT_MS: '1000' } }); });
  after(async () => { await shutdown(srv); });

  test('a request not received in time → 408 request_timeout, then the connection closes', async () => {
    // Headers never finished.
    const conn = await RawConn.connect(srv.port);
    try {
      await conn.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
      const res = await conn.readResponse({ timeoutMs: 15000 });
      assertError(res, 408, 'request_timeout', 'unfinished headers');
      await conn.waitClosed({ timeoutMs: 15000 });
    } finally {
      conn.destroy();
    }
    // Body never finished.
    const conv = await createConversation(srv);
    const slow = await RawConn.connect(srv.port);
    try {
      await slow.write(rawHead('POST', `${CONVERSATIONS}/${conv.id}/messages`, {
        authorization: `Bearer ${conv.token}`, 'content-type': 'application/json', 'content-length': 100,
      }));
      await slow.write('{"client_message_id":"slow",');
      const res = await slow.readResponse({ timeoutMs: 15000 });
      assertError(res, 408, 'request_timeout', 'unfinished body');
    } finally {
      slow.destroy();
    }
    await assertHealthy(srv, 'after timeouts');
  });
});

describe('rate limit', () => {
  let srv;
  before(async () => {
    srv = await start({ env: { KEFU_SERVER_RATE_LIMIT_RPS: '5', KEFU_SERVER_RATE_LIMIT_BURST: '5' } });
  });
  after(async () => { await shutdown(srv); });

  test('over the per-IP limit → 429 rate_limited with Retry-After, and it recovers', async () => {
    const results = await Promise.all(Array.from({ length: 30 }, () => api(srv, 'GET', '/api/v1/conversations/cv_aaaaaaaaaaaaaaaaaaaaaaaaaa')));
    const limited = results.filter((r) => r.status === 429);
    const passed = results.filter((r) => r.status !== 429);
    assert.ok(limited.length >= 10, `most of 30 requests at once are limited (burst 5): ${results.map((r) => r.status)}`);
    assert.ok(passed.length >= 1, 'the burst passes');
    for (const r of passed) assertError(r, 404, 'not_found', 'a request within the limit');
    for (const r of limited) {
      assertError(r, 429, 'rate_limited', 'over the limit');
      const retry = r.headers.get('retry-after');
      assert.match(retry || '', /^\d+$/, `Retry-After is whole seconds: ${retry}`);
      assert.ok(Number(retry) >= 1 && Number(retry) <= 60, `Retry-After ${retry}`);
    }
    const wait = Math.max(...limited.map((r) => Number(r.headers.get('retry-after'))));
    await sleep(wait * 1000);
    const again = await waitFor(async () => {
      const r = await api(srv, 'GET', '/api/v1/conversations/cv_aaaaaaaaaaaaaaaaaaaaaaaaaa');
      return r.status !== 429 && r;
    }, { intervalMs: 250, what: 'the limit to let a request through' });
    assertError(again, 404, 'not_found', 'after Retry-After');
  });
});

describe('connection limit', () => {
  let srv;
  before(async () => { srv = await start({ env: { KEFU_SERVER_MAX_CONNECTIONS: '3' } }); });
  after(async () => { await shutdown(srv); });

  test('a connection over max_connections gets 503 overloaded', async () => {
    // The start-up readiness probe may still hold one idle keep-alive connection, so the limit
    // is reached after two or three connections of ours.
    const held = [];
    let refused = null;
    try {
      for (let i = 0; i < 5 && !refused; i++) {
        const conn = await RawConn.connect(srv.port);
        held.push(conn);
        await conn.write(rawHead('GET', '/healthz'));
        const res = await conn.readResponse().catch((e) => ({ error: e }));
        if (res.error) throw new Error(`connection ${i + 1} got no response: ${res.error.message}`);
        if (res.status === 503) refused = { index: i, res };
        else assert.equal(res.status, 200, res.text);
      }
      assert.ok(refused, 'one of five connections is refused');
      assert.ok(refused.index >= 2 && refused.index <= 3, `refused connection ${refused.index + 1}; the limit is 3`);
      assertError(refused.res, 503, 'overloaded', 'over max_connections');
      // The held connections still work.
      await held[0].write(rawHead('GET', '/healthz'));
      assert.equal((await held[0].readResponse()).status, 200);
    } finally {
      for (const c of held) c.destroy();
    }
    // Once they are gone, new connections are served again.
    await waitFor(async () => (await rawRequest(srv.port, rawHead('GET', '/healthz'))).status === 200,
      { intervalMs: 100, what: 'a connection slot to free up' });
  });

  test('WebSockets count as connections too', async () => {
    await waitFor(async () => (await rawRequest(srv.port, rawHead('GET', '/healthz'))).status === 200,
      { intervalMs: 100, what: 'a free slot' });
    const sockets = [];
    let refusal = null;
    try {
      for (let i = 0; i < 5 && !refusal; i++) {
        try {
          sockets.push(await WsClient.connect(srv.wsUrl));
        } catch (e) {
          refusal = e;
        }
      }
      assert.ok(refusal, 'the fourth or fifth WebSocket is refused');
      assert.ok(sockets.length >= 2 && sockets.length <= 3, `${sockets.length} WebSockets were accepted`);
      assert.match(refusal.message, /503/, `refused with 503: ${refusal.message}`);
    } finally {
      await Promise.all(sockets.map((s) => s.close()));
    }
    await waitFor(async () => (await rawRequest(srv.port, rawHead('GET', '/healthz'))).status === 200,
      { intervalMs: 100, what: 'a free slot after closing' });
  });
});
