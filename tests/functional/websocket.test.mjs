// The WebSocket protocol of GET /api/v1/ws, against the real binary.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, assertConversation, assertHealthy, assertMessage, createConversation, postMessage,
  readTranscript, shutdown, start, uniqueId, wsCreate, wsSend, WsClient, ERROR_CODES,
} from './util.mjs';

let srv;
before(async () => { srv = await start(); });
after(async () => { await shutdown(srv); });

function assertErrorFrame(f, code, context) {
  assert.equal(f.type, 'error', `${context}: ${JSON.stringify(f)}`);
  assert.equal(f.code, code, `${context}: ${JSON.stringify(f)}`);
  assert.ok(ERROR_CODES.includes(f.code));
  assert.equal(typeof f.message, 'string', `${context}: error frame has a message`);
  assert.ok(f.message.length > 0);
}

/** Every server typing frame seen on ws has the documented shape. */
function assertTypingFrames(ws) {
  for (const f of ws.frames.filter((x) => x.type === 'typing')) {
    assert.ok(['bot', 'agent'].includes(f.role), `typing role: ${JSON.stringify(f)}`);
    assert.equal(typeof f.state, 'boolean', `typing state: ${JSON.stringify(f)}`);
  }
}

test('open without an id creates a conversation: opened with access_token and the welcome message', async () => {
  const ws = await WsClient.connect(srv.wsUrl);
  try {
    ws.send({ type: 'open', channel: 'web', language: 'en' });
    const opened = await ws.next('opened');
    assertConversation(opened.conversation);
    assert.equal(opened.conversation.status, 'open');
    assert.equal(opened.conversation.channel, 'web');
    assert.equal(opened.conversation.language, 'en');
    assert.equal(typeof opened.access_token, 'string');
    assert.ok(opened.access_token.length >= 16);
    assert.equal(opened.messages.length, 1);
    assertMessage(opened.messages[0]);
    assert.equal(opened.messages[0].seq, 1);
    assert.equal(opened.messages[0].role, 'bot');
    // The token works over REST.
    const got = await api(srv, 'GET', `/api/v1/conversations/${opened.conversation.id}`, { token: opened.access_token });
    assert.equal(got.status, 200, got.text);
    assert.deepEqual(got.body.conversation.id, opened.conversation.id);
  } finally {
    await ws.close();
  }
});

test('message → ack (durable), then the bot reply as a message frame', async () => {
  const { ws, conv } = await wsCreate(srv);
  try {
    const cmid = uniqueId('ws');
    const ack = await wsSend(ws, cmid, '你好');
    assert.equal(ack.type, 'ack', JSON.stringify(ack));
    assert.equal(ack.client_message_id, cmid);
    assert.equal(ack.duplicate, false);
    assertMessage(ack.message);
    assert.equal(ack.message.role, 'customer');
    assert.equal(ack.message.seq, 2);
    assert.equal(ack.message.text, '你好');
    assert.equal(ack.message.client_message_id, cmid);

    const reply = await ws.next((f) => f.type === 'message' && f.message?.role === 'bot', { what: 'the bot reply' });
    assertMessage(reply.message);
    assert.equal(reply.message.in_reply_to, 2);
    assert.equal(reply.message.seq, 3);
    assert.ok(ws.indexOf(ack) < ws.indexOf(reply), 'the ack comes before the reply');
    assert.ok(!ws.frames.some((f) => f.type === 'message' && f.message?.id === ack.message.id),
      'the sender gets no echo of its own message (it has the ack)');

    // Durable and visible over REST at once.
    const transcript = await readTranscript(srv, conv);
    assert.deepEqual(transcript.find((m) => m.seq === 2), ack.message);
    assert.deepEqual(transcript.find((m) => m.seq === 3), reply.message);
    assertTypingFrames(ws);
  } finally {
    await ws.close();
  }
});

test('typing frames are accepted and server typing frames are well formed', async () => {
  const { ws } = await wsCreate(srv);
  try {
    const from = ws.frames.length;
    ws.send({ type: 'typing', state: true });
    ws.send({ type: 'typing', state: false });
    await ws.roundTrip();
    assert.deepEqual(ws.frames.slice(from).filter((f) => f.type === 'error'), [], 'typing frames are not errors');
    // Bad typing frames are invalid_argument.
    ws.send({ type: 'typing' });
    assertErrorFrame(await ws.next('error'), 'invalid_argument', 'typing without state');
    ws.send({ type: 'typing', state: 'yes' });
    assertErrorFrame(await ws.next('error'), 'invalid_argument', 'typing with a string state');
    // A message makes the bot answer; any typing frames around it have the documented shape.
    await wsSend(ws, uniqueId('t'), '我想查询余额');
    await ws.next((f) => f.type === 'message' && f.message?.role === 'bot');
    await ws.roundTrip();
    assertTypingFrames(ws);
  } finally {
    await ws.close();
  }
});

test('ping → pong', async () => {
  const { ws } = await wsCreate(srv);
  try {
    for (let i = 0; i < 3; i++) {
      ws.send({ type: 'ping' });
      assert.deepEqual(await ws.next('pong'), { type: 'pong' });
    }
  } finally {
    await ws.close();
  }
});

test('resume after a disconnect delivers exactly the missed messages', async () => {
  const { ws: first, conv, opened } = await wsCreate(srv);
  let lastSeen = opened.messages.at(-1).seq;
  const ack = await wsSend(first, uniqueId('r'), '你好');
  assert.equal(ack.type, 'ack');
  const reply = await first.next((f) => f.type === 'message' && f.message?.in_reply_to === ack.message.seq);
  // Everything the server sent before the pong has arrived.
  await first.roundTrip();
  for (const f of first.frames) {
    if (f.type === 'message' || f.type === 'ack') lastSeen = Math.max(lastSeen, f.message.seq);
  }
  assert.ok(lastSeen >= reply.message.seq);
  await first.close();

  // Missed while disconnected.
  for (const text of ['what are your branch hours', '谢谢']) {
    const r = await postMessage(srv, conv, uniqueId('offline'), text);
    assert.equal(r.status, 201, r.text);
  }
  const transcript = await readTranscript(srv, conv);
  const missed = transcript.filter((m) => m.seq > lastSeen);
  assert.ok(missed.length >= 4, `two customer messages and their replies were missed: ${missed.length}`);

  const second = await WsClient.connect(srv.wsUrl);
  try {
    second.send({ type: 'open', conversation_id: conv.id, access_token: conv.token, after: lastSeen });
    const resumed = await second.next('opened');
    assertConversation(resumed.conversation);
    assert.equal(resumed.conversation.id, conv.id);
    assert.equal(resumed.conversation.last_seq, transcript.at(-1).seq);
    assert.ok(!('access_token' in resumed), 'access_token only when the conversation was created');
    assert.deepEqual(resumed.messages, missed, 'exactly the missed messages, in seq order');

    // And it keeps working.
    const next = await wsSend(second, uniqueId('after'), '再见');
    assert.equal(next.type, 'ack');
    assert.equal(next.message.seq, transcript.at(-1).seq + 1);
  } finally {
    await second.close();
  }

  // after omitted (0): the whole transcript.
  const third = await WsClient.connect(srv.wsUrl);
  try {
    third.send({ type: 'open', conversation_id: conv.id, access_token: conv.token });
    const all = await third.next('opened');
    const now = await readTranscript(srv, conv);
    assert.deepEqual(all.messages.map((m) => m.seq), now.map((m) => m.seq));
  } finally {
    await third.close();
  }
});

test('messages from another connection or REST are pushed to an open socket of the conversation', async () => {
  const { ws: a, conv } = await wsCreate(srv);
  const b = await WsClient.connect(srv.wsUrl);
  try {
    b.send({ type: 'open', conversation_id: conv.id, access_token: conv.token, after: 1 });
    await b.next('opened');
    const ack = await wsSend(a, uniqueId('echo'), '你好');
    const echo = await b.next((f) => f.type === 'message' && f.message?.id === ack.message.id, { what: 'the echo of the customer message' });
    assert.deepEqual(echo.message, ack.message);
    await b.next((f) => f.type === 'message' && f.message?.in_reply_to === ack.message.seq, { what: 'the bot reply on the other connection' });

    const rest = await postMessage(srv, conv, uniqueId('echo-rest'), '谢谢');
    assert.equal(rest.status, 201, rest.text);
    for (const ws of [a, b]) {
      const pushed = await ws.next((f) => f.type === 'message' && f.message?.id === rest.body.message.id, { what: 'the REST message pushed' });
      assert.deepEqual(pushed.message, rest.body.message);
      for (const r of rest.body.replies) {
        const pr = await ws.next((f) => f.type === 'message' && f.message?.id === r.id, { what: 'the REST reply pushed' });
        assert.deepEqual(pr.message, r);
      }
    }
  } finally {
    await a.close();
    await b.close();
  }
});

test('end over WebSocket: status ended, then messages are conversation_ended', async () => {
  const { ws, conv } = await wsCreate(srv);
  try {
    ws.send({ type: 'end' });
    const status = await ws.next('status');
    assert.equal(status.status, 'ended');
    const cmid = uniqueId('late');
    const err = await wsSend(ws, cmid, '还在吗');
    assertErrorFrame(err, 'conversation_ended', 'message after end');
    assert.equal(err.client_message_id, cmid);
    const got = await api(srv, 'GET', `/api/v1/conversations/${conv.id}`, { token: conv.token });
    assert.equal(got.body.conversation.status, 'ended');
  } finally {
    await ws.close();
  }
});

test('bad frames get error frames with the documented codes and the connection keeps working', async () => {
  const ws = await WsClient.connect(srv.wsUrl);
  try {
    // Before open.
    ws.send('this is not json');
    assertErrorFrame(await ws.next('error'), 'malformed_json', 'non-JSON before open');
    ws.send({ type: 'message', client_message_id: 'x1', text: '你好' });
    assertErrorFrame(await ws.next('error'), 'invalid_argument', 'message before open');
    ws.send({ type: 'ping' });
    const pre = await ws.next((f) => f.type === 'pong' || f.type === 'error');
    if (pre.type === 'error') assertErrorFrame(pre, 'invalid_argument', 'ping before open');

    ws.send({ type: 'open' });
    const opened = await ws.next('opened');
    const conv = { id: opened.conversation.id, token: opened.access_token };

    const cases = [
      ['{"type":"message",', 'malformed_json'],
      [{ type: 'bogus' }, 'invalid_argument'],
      [{ no_type: true }, 'invalid_argument'],
      [{ type: 42 }, 'invalid_argument'],
      [[1, 2, 3], 'invalid_argument'],
      [{ type: 'message', text: '你好' }, 'invalid_argument'],
      [{ type: 'message', client_message_id: 'm-missing-text' }, 'invalid_argument'],
      [{ type: 'message', client_message_id: 'm-empty', text: '' }, 'invalid_argument'],
      [{ type: 'message', client_message_id: 'm-blank', text: '  \n\t ' }, 'invalid_argument'],
      [{ type: 'message', client_message_id: 'm-long', text: 'x'.repeat(4001) }, 'invalid_argument'],
      [{ type: 'message', client_message_id: 'has space', text: '你好' }, 'invalid_argument'],
      [{ type: 'message', client_message_id: 'a'.repeat(65), text: '你好' }, 'invalid_argument'],
      [{ type: 'message', client_message_id: 7, text: '你好' }, 'invalid_argument'],
      [{ type: 'message', client_message_id: 'm-num', text: 7 }, 'invalid_argument'],
    ];
    for (const [frame, code] of cases) {
      ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
      // An ack would mean the server accepted it: fail at once instead of waiting for an error.
      const err = await ws.next((f) => f.type === 'error' || f.type === 'ack', { what: `error for ${JSON.stringify(frame).slice(0, 80)}` });
      assertErrorFrame(err, code, JSON.stringify(frame).slice(0, 80));
      // A valid client_message_id is echoed so the client knows which message was refused.
      if (frame?.type === 'message' && typeof frame.client_message_id === 'string' && /^[A-Za-z0-9._:-]{1,64}$/.test(frame.client_message_id)) {
        assert.equal(err.client_message_id, frame.client_message_id, 'the error names the rejected message');
      }
    }
    // Still working after all that, and nothing bad was stored.
    await ws.roundTrip();
    const ack = await wsSend(ws, uniqueId('ok'), '你好');
    assert.equal(ack.type, 'ack', JSON.stringify(ack));
    assert.equal(ack.message.seq, 2, 'none of the rejected messages took a seq');
    const transcript = await readTranscript(srv, conv);
    assert.ok(!transcript.some((m) => m.role === 'customer' && m.seq !== 2));
  } finally {
    await ws.close();
  }
  await assertHealthy(srv, 'after bad frames');
});

test('a frame over 16 KiB is refused and the server keeps working', async () => {
  const { ws } = await wsCreate(srv);
  try {
    ws.send({ type: 'message', client_message_id: 'big', text: 'x'.repeat(20000) });
    const outcome = await Promise.race([
      ws.next('error').then((f) => ({ error: f }), () => new Promise(() => {})), // a close settles the race instead
      ws.closed().then((c) => ({ closed: c })),
    ]);
    if (outcome.error) {
      assert.ok(['payload_too_large', 'invalid_argument'].includes(outcome.error.code), JSON.stringify(outcome.error));
    } else {
      assert.equal(outcome.closed.code, 1009, `closed with 1009 message too big: ${JSON.stringify(outcome.closed)}`);
    }
  } finally {
    await ws.close();
  }
  await assertHealthy(srv, 'after a too-big frame');
  const { ws: again } = await wsCreate(srv);
  await again.close();
});

test('open with a wrong token or an unknown id → error not_found, then close', async () => {
  const conv = await createConversation(srv);
  const other = await createConversation(srv);
  const attempts = [
    { conversation_id: conv.id, access_token: 'garbage-token' },
    { conversation_id: conv.id, access_token: other.token },
    { conversation_id: 'cv_aaaaaaaaaaaaaaaaaaaaaaaaaa', access_token: conv.token },
    { conversation_id: conv.id },
  ];
  for (const open of attempts) {
    const ws = await WsClient.connect(srv.wsUrl);
    try {
      ws.send({ type: 'open', ...open });
      const err = await ws.next((f) => f.type === 'error' || f.type === 'opened', { what: 'the answer to open' });
      assertErrorFrame(err, 'not_found', `open ${JSON.stringify(open)}`);
      const closed = await ws.closed();
      assert.ok(closed.code >= 1000, `closed: ${JSON.stringify(closed)}`);
    } finally {
      await ws.close();
    }
  }
  // The errors for a wrong token and an unknown id are the same.
  await assertHealthy(srv, 'after refused opens');
});

test('many sockets at once each get their own conversation', async () => {
  const clients = await Promise.all(Array.from({ length: 20 }, () => wsCreate(srv)));
  try {
    const ids = new Set(clients.map((c) => c.conv.id));
    assert.equal(ids.size, 20);
    const acks = await Promise.all(clients.map((c, i) => wsSend(c.ws, uniqueId(`many${i}`), '你好')));
    for (const a of acks) {
      assert.equal(a.type, 'ack');
      assert.equal(a.message.seq, 2);
    }
  } finally {
    await Promise.all(clients.map((c) => c.ws.close()));
  }
});
