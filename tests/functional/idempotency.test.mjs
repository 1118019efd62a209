// Idempotent message delivery by client_message_id, over REST and WebSocket.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, assertContiguous, assertError, createConversation, postMessage, readTranscript, shutdown,
  start, uniqueId, wsCreate, wsSend, WsClient,
} from './util.mjs';

let srv;
before(async () => { srv = await start(); });
after(async () => { await shutdown(srv); });

const withCmid = (transcript, cmid) => transcript.filter((m) => m.client_message_id === cmid);

test('REST: a retry returns 200 duplicate:true with the original message and replies, storing nothing', async () => {
  const conv = await createConversation(srv);
  const cmid = uniqueId('dup');
  const first = await postMessage(srv, conv, cmid, '你好');
  assert.equal(first.status, 201, first.text);
  assert.equal(first.body.duplicate, false);
  const before = await readTranscript(srv, conv);

  const second = await postMessage(srv, conv, cmid, '你好');
  assert.equal(second.status, 200, second.text);
  assert.equal(second.body.duplicate, true);
  assert.deepEqual(second.body.message, first.body.message, 'the original message, same id and seq');
  assert.deepEqual(second.body.replies, first.body.replies, 'the original replies, same ids and seqs');

  const third = await postMessage(srv, conv, cmid, '你好');
  assert.equal(third.status, 200, third.text);
  assert.deepEqual(third.body.message, first.body.message);

  const afterT = await readTranscript(srv, conv);
  assert.deepEqual(afterT, before, 'the transcript is unchanged by the retries');
  assert.equal(withCmid(afterT, cmid).length, 1, 'exactly one copy of the message');
  assert.equal(afterT.length, 1 + 1 + first.body.replies.length);
  assertContiguous(afterT);
  const conversation = await api(srv, 'GET', `/api/v1/conversations/${conv.id}`, { token: conv.token });
  assert.equal(conversation.body.conversation.last_seq, afterT.length);
});

test('REST: the same client_message_id with a different text is 409 conflict', async () => {
  const conv = await createConversation(srv);
  const cmid = uniqueId('conf');
  const first = await postMessage(srv, conv, cmid, '我想查询余额');
  assert.equal(first.status, 201, first.text);
  const before = await readTranscript(srv, conv);
  const other = await postMessage(srv, conv, cmid, '我想转账');
  assertError(other, 409, 'conflict', 'same id, different text');
  assert.deepEqual(await readTranscript(srv, conv), before, 'the conflict stored nothing');
  // The original can still be retried.
  const retry = await postMessage(srv, conv, cmid, '我想查询余额');
  assert.equal(retry.status, 200, retry.text);
  assert.equal(retry.body.duplicate, true);
});

test('REST: 10 identical concurrent requests store exactly one message', async () => {
  const conv = await createConversation(srv);
  const cmid = uniqueId('par');
  const results = await Promise.all(Array.from({ length: 10 }, () => postMessage(srv, conv, cmid, 'what are your branch hours')));
  const statuses = results.map((r) => r.status).sort();
  assert.equal(statuses.filter((s) => s === 201).length, 1, `exactly one 201: ${statuses}`);
  assert.equal(statuses.filter((s) => s === 200).length, 9, `nine 200 duplicates: ${statuses}`);
  const original = results.find((r) => r.status === 201).body;
  for (const r of results) {
    assert.equal(r.body.duplicate, r.status === 200);
    assert.deepEqual(r.body.message, original.message, 'every answer carries the same message');
    assert.deepEqual(r.body.replies, original.replies, 'every answer carries the same replies');
  }
  const transcript = await readTranscript(srv, conv);
  assert.equal(withCmid(transcript, cmid).length, 1, 'exactly one stored');
  assert.equal(transcript.length, 2 + original.replies.length);
  assertContiguous(transcript);
});

test('REST: concurrent distinct messages all get distinct consecutive seqs', async () => {
  const conv = await createConversation(srv);
  const ids = Array.from({ length: 10 }, (_, i) => uniqueId(`dist${i}`));
  const results = await Promise.all(ids.map((id, i) => postMessage(srv, conv, id, `问题 ${i}`)));
  for (const r of results) assert.equal(r.status, 201, r.text);
  const transcript = await readTranscript(srv, conv);
  assertContiguous(transcript);
  for (const id of ids) assert.equal(withCmid(transcript, id).length, 1, `${id} stored once`);
});

test('REST: client_message_id is scoped to its conversation', async () => {
  const a = await createConversation(srv);
  const b = await createConversation(srv);
  const cmid = uniqueId('scope');
  const ra = await postMessage(srv, a, cmid, '你好');
  const rb = await postMessage(srv, b, cmid, '你好');
  assert.equal(ra.status, 201, ra.text);
  assert.equal(rb.status, 201, `the same id in another conversation is a new message: ${rb.text}`);
  assert.notEqual(rb.body.message.id, ra.body.message.id);
  const rc = await postMessage(srv, b, cmid, '不同的文字');
  assertError(rc, 409, 'conflict', 'conflict within b');
});

/** Waits until ws has received message frames carrying every message of `expected`. */
async function expectMessages(ws, expected) {
  const got = [];
  for (const m of expected) {
    const f = await ws.next((x) => x.type === 'message' && x.message?.id === m.id, { what: `message frame for ${m.id} (seq ${m.seq})` });
    got.push(f.message);
  }
  return got;
}

test('WebSocket: a duplicate gets ack duplicate:true with the original, then the original replies', async () => {
  const { ws, conv } = await wsCreate(srv);
  try {
    const cmid = uniqueId('wsdup');
    const ack = await wsSend(ws, cmid, '你好');
    assert.equal(ack.type, 'ack', JSON.stringify(ack));
    assert.equal(ack.duplicate, false);
    // The replies to that message, as stored.
    const firstReply = await ws.next((f) => f.type === 'message' && f.message?.in_reply_to === ack.message.seq, { what: 'a bot reply' });
    const transcript = await readTranscript(srv, conv);
    const replies = transcript.filter((m) => m.in_reply_to === ack.message.seq);
    assert.ok(replies.length >= 1);
    assert.deepEqual(replies[0], firstReply.message);
    await expectMessages(ws, replies.slice(1));

    const dup = await wsSend(ws, cmid, '你好');
    assert.equal(dup.type, 'ack', JSON.stringify(dup));
    assert.equal(dup.duplicate, true);
    assert.deepEqual(dup.message, ack.message, 'the original message, same id and seq');
    const again = await expectMessages(ws, replies);
    assert.deepEqual(again, replies, 'the original replies are sent again with the same ids and seqs');
    const dupIndex = ws.indexOf(dup);
    for (const m of replies) {
      const idx = ws.frames.findLastIndex((f) => f.type === 'message' && f.message?.id === m.id);
      assert.ok(idx > dupIndex, 'the replayed replies follow the duplicate ack');
    }

    const afterT = await readTranscript(srv, conv);
    assert.deepEqual(afterT, transcript, 'the duplicate stored nothing');
    assert.equal(withCmid(afterT, cmid).length, 1);
  } finally {
    await ws.close();
  }
});

test('WebSocket: same id with different text is an error conflict carrying the client_message_id', async () => {
  const { ws, conv } = await wsCreate(srv);
  try {
    const cmid = uniqueId('wsconf');
    const ack = await wsSend(ws, cmid, '我想查询余额');
    assert.equal(ack.type, 'ack');
    const err = await wsSend(ws, cmid, '我想转账');
    assert.equal(err.type, 'error', JSON.stringify(err));
    assert.equal(err.code, 'conflict');
    assert.equal(err.client_message_id, cmid);
    assert.equal(typeof err.message, 'string');
    await ws.roundTrip();
    const transcript = await readTranscript(srv, conv);
    assert.equal(withCmid(transcript, cmid).length, 1);
    assert.equal(withCmid(transcript, cmid)[0].text, '我想查询余额');
  } finally {
    await ws.close();
  }
});

test('WebSocket and REST share idempotency: a REST message retried over WebSocket is a duplicate', async () => {
  const conv = await createConversation(srv);
  const cmid = uniqueId('cross');
  const rest = await postMessage(srv, conv, cmid, '你好');
  assert.equal(rest.status, 201, rest.text);
  const ws = await WsClient.connect(srv.wsUrl);
  try {
    ws.send({ type: 'open', conversation_id: conv.id, access_token: conv.token, after: 0 });
    await ws.next('opened');
    const ack = await wsSend(ws, cmid, '你好');
    assert.equal(ack.type, 'ack', JSON.stringify(ack));
    assert.equal(ack.duplicate, true);
    assert.deepEqual(ack.message, rest.body.message);
    await expectMessages(ws, rest.body.replies);
    // And back: a WebSocket message retried over REST.
    const cmid2 = uniqueId('cross2');
    const ack2 = await wsSend(ws, cmid2, '谢谢');
    assert.equal(ack2.duplicate, false);
    const retry = await postMessage(srv, conv, cmid2, '谢谢');
    assert.equal(retry.status, 200, retry.text);
    assert.equal(retry.body.duplicate, true);
    assert.deepEqual(retry.body.message, ack2.message);
    const transcript = await readTranscript(srv, conv);
    assert.equal(withCmid(transcript, cmid).length, 1);
    assert.equal(withCmid(transcript, cmid2).length, 1);
    assertContiguous(transcript);
  } finally {
    await ws.close();
  }
});

test('WebSocket: identical messages sent at once on two connections store one', async () => {
  const { ws: a, conv } = await wsCreate(srv);
  const b = await WsClient.connect(srv.wsUrl);
  try {
    b.send({ type: 'open', conversation_id: conv.id, access_token: conv.token, after: 1 });
    await b.next('opened');
    const cmid = uniqueId('twin');
    const [ackA, ackB] = await Promise.all([wsSend(a, cmid, '你好'), wsSend(b, cmid, '你好')]);
    assert.equal(ackA.type, 'ack', JSON.stringify(ackA));
    assert.equal(ackB.type, 'ack', JSON.stringify(ackB));
    assert.deepEqual(ackA.message, ackB.message, 'both acks carry the same stored message');
    assert.deepEqual([ackA.duplicate, ackB.duplicate].sort(), [false, true], 'one original, one duplicate');
    const transcript = await readTranscript(srv, conv);
    assert.equal(withCmid(transcript, cmid).length, 1);
    assertContiguous(transcript);
  } finally {
    await a.close();
    await b.close();
  }
});
