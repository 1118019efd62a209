// Every acknowledged message survives kill -9 under load: the contract says a customer message
// is durable before its 201 or its WebSocket ack is sent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startLoad } from './load.mjs';
import {
  assertContiguous, postMessage, readTranscript, shutdown, start, uniqueId, waitFor,
} from './util.mjs';

test('every acknowledged message is stored exactly once after SIGKILL under load', { timeout: 300000 }, async (t) => {
  let srv = await start();
  const { dataDir } = srv;
  try {
    const t0 = Date.now();
    const load = startLoad({ baseUrl: srv.baseUrl, wsUrl: srv.wsUrl, conversations: 50, wsEvery: 5 });
    // About two seconds of acknowledged traffic (however fast this machine is), or 3000 acks.
    await waitFor(() => load.acks.length >= 3000 || (Date.now() - t0 >= 2000 && load.acks.length >= 100)
      || load.unexpected.length > 0, { timeoutMs: 120000, intervalMs: 20, what: 'the load to get going' });
    assert.deepEqual(load.unexpected, [], 'no unexpected answers before the kill');

    srv.proc.kill('SIGKILL');
    const exit = await srv.waitExit();
    assert.equal(exit.signal, 'SIGKILL');
    // Answers already on the wire still count as acknowledged; the workers stop on their own.
    await load.done;
    const acks = load.acks;
    t.diagnostic(`acknowledged messages before SIGKILL: ${acks.length} `
      + `(${acks.filter((a) => a.transport === 'rest').length} REST, ${acks.filter((a) => a.transport === 'ws').length} WebSocket) `
      + `in ${load.conversations.length} conversations over ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    assert.deepEqual(load.unexpected, [], 'no unexpected answers');
    assert.ok(acks.length >= 100, `enough acknowledged messages to mean something: ${acks.length}`);

    srv = await start({ dataDir });
    const byConversation = new Map();
    for (const a of acks) {
      if (!byConversation.has(a.conversation.id)) byConversation.set(a.conversation.id, { conv: a.conversation, acks: [] });
      byConversation.get(a.conversation.id).acks.push(a);
    }
    let checked = 0;
    let missingConversations = 0;
    for (const conv of load.conversations) {
      const entry = byConversation.get(conv.id);
      if (!entry) {
        // No acknowledged message: the conversation itself should still be there.
        const res = await fetch(`${srv.baseUrl}/api/v1/conversations/${conv.id}`, { headers: { authorization: `Bearer ${conv.token}` } });
        if (res.status !== 200) missingConversations++;
        await res.arrayBuffer();
        continue;
      }
      const transcript = await readTranscript(srv, conv);
      assertContiguous(transcript, `conversation ${conv.id} after the crash`);
      const customers = transcript.filter((m) => m.role === 'customer');
      const byCmid = new Map();
      for (const m of customers) {
        assert.ok(!byCmid.has(m.client_message_id), `${m.client_message_id} is stored once, not twice`);
        byCmid.set(m.client_message_id, m);
      }
      for (const a of entry.acks) {
        const m = byCmid.get(a.client_message_id);
        assert.ok(m, `acknowledged ${a.transport} message ${a.client_message_id} (seq ${a.seq}) is missing after SIGKILL`);
        assert.equal(m.id, a.id, `${a.client_message_id}: same id`);
        assert.equal(m.seq, a.seq, `${a.client_message_id}: same seq`);
        assert.equal(m.text, a.text, `${a.client_message_id}: same text`);
        checked++;
      }
    }
    assert.equal(checked, acks.length);
    t.diagnostic(`verified ${checked} acknowledged messages after restart; `
      + `${missingConversations} conversations without acknowledged messages were not found`);

    // The recovered conversations take new messages at the next seq.
    for (const { conv } of [...byConversation.values()].slice(0, 5)) {
      const transcript = await readTranscript(srv, conv);
      const res = await postMessage(srv, conv, uniqueId('after-crash'), '你好');
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.message.seq, transcript.length + 1);
    }
  } finally {
    await shutdown(srv);
  }
});
