// A load generator for Kefu: many concurrent conversations, each posting customer messages as
// fast as the acknowledgements come back, over REST and (for some) WebSocket. It records every
// acknowledged message so a test can check it survived a crash.
//
// As a module: const load = startLoad({baseUrl, wsUrl}); ... load.stop(); await load.done.
// As a program: node tests/functional/load.mjs --url http://127.0.0.1:8080 --conversations 50 --seconds 10
import { fileURLToPath } from 'node:url';
import { WsClient } from './util.mjs';

const TEXTS = ['你好', '我想查询余额', 'what are your branch hours', '信用卡怎么还款', '转账限额是多少', 'thank you', '谢谢', '人工客服'];

/**
 * Starts the load and returns at once with
 *   acks:    [{conversation, transport, client_message_id, id, seq, text}] — every acknowledged message
 *   conversations: [{id, token, transport}] — every conversation created
 *   errors:  [{worker, error}] — why each worker stopped, when it was not stop()
 *   unexpected: [{worker, status, body}] — answers that were neither an ack nor a connection failure
 *   stop():  asks every worker to stop after its current message
 *   done:    resolves when every worker has stopped (they stop by themselves when the server dies)
 * options: baseUrl, wsUrl, conversations (50), wsEvery (every n-th conversation uses WebSocket, 5),
 *   maxMessagesPerConversation (Infinity), runId (a prefix for client_message_ids).
 */
export function startLoad(options) {
  const {
    baseUrl, wsUrl, conversations = 50, wsEvery = 5, maxMessagesPerConversation = Infinity,
    runId = Date.now().toString(36),
  } = options;
  const state = { acks: [], conversations: [], errors: [], unexpected: [], stopped: false };

  async function restWorker(w) {
    const created = await fetch(`${baseUrl}/api/v1/conversations`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel: 'web' }),
      signal: AbortSignal.timeout(60000),
    });
    const body = await created.json();
    if (created.status !== 201) {
      state.unexpected.push({ worker: w, status: created.status, body });
      return;
    }
    const conv = { id: body.conversation.id, token: body.access_token, transport: 'rest' };
    state.conversations.push(conv);
    for (let n = 0; !state.stopped && n < maxMessagesPerConversation; n++) {
      const cmid = `${runId}-${w}-${n}`;
      const text = `${TEXTS[n % TEXTS.length]} #${n}`;
      const res = await fetch(`${baseUrl}/api/v1/conversations/${conv.id}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${conv.token}` },
        body: JSON.stringify({ client_message_id: cmid, text }),
        signal: AbortSignal.timeout(60000),
      });
      const data = await res.json();
      if (res.status !== 201) {
        state.unexpected.push({ worker: w, status: res.status, body: data });
        return;
      }
      state.acks.push({ conversation: conv, transport: 'rest', client_message_id: cmid, id: data.message.id, seq: data.message.seq, text });
    }
  }

  async function wsWorker(w) {
    const ws = await WsClient.connect(wsUrl);
    try {
      ws.send({ type: 'open', channel: 'web' });
      const opened = await ws.next((f) => f.type === 'opened' || f.type === 'error');
      if (opened.type !== 'opened') {
        state.unexpected.push({ worker: w, status: 'ws', body: opened });
        return;
      }
      const conv = { id: opened.conversation.id, token: opened.access_token, transport: 'ws' };
      state.conversations.push(conv);
      for (let n = 0; !state.stopped && n < maxMessagesPerConversation; n++) {
        const cmid = `${runId}-${w}-${n}`;
        const text = `${TEXTS[n % TEXTS.length]} #${n}`;
        ws.send({ type: 'message', client_message_id: cmid, text });
        const ack = await ws.next((f) => (f.type === 'ack' || f.type === 'error') && f.client_message_id === cmid, { timeoutMs: 60000 });
        if (ack.type !== 'ack') {
          state.unexpected.push({ worker: w, status: 'ws', body: ack });
          return;
        }
        state.acks.push({ conversation: conv, transport: 'ws', client_message_id: cmid, id: ack.message.id, seq: ack.message.seq, text });
        // Drop frames already seen so a long run does not keep them all.
        if (ws.frames.length > 1000) { ws.frames.length = 0; ws.taken.clear(); }
      }
    } finally {
      ws.ws.terminate();
    }
  }

  const workers = Array.from({ length: conversations }, (_, w) => {
    const run = wsUrl && wsEvery > 0 && w % wsEvery === 0 ? wsWorker : restWorker;
    return run(w).catch((error) => { if (!state.stopped) state.errors.push({ worker: w, error }); });
  });
  return {
    get acks() { return state.acks; },
    get conversations() { return state.conversations; },
    get errors() { return state.errors; },
    get unexpected() { return state.unexpected; },
    stop() { state.stopped = true; },
    done: Promise.all(workers).then(() => undefined),
  };
}

async function main(argv) {
  const arg = (name, def) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : def;
  };
  const baseUrl = arg('url', 'http://127.0.0.1:8080');
  const wsUrl = `${baseUrl.replace(/^http/, 'ws')}/api/v1/ws`;
  const conversations = Number(arg('conversations', 50));
  const seconds = Number(arg('seconds', 10));
  const wsEvery = Number(arg('ws-every', 5));
  const t0 = Date.now();
  const load = startLoad({ baseUrl, wsUrl, conversations, wsEvery });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  load.stop();
  await load.done;
  const secs = (Date.now() - t0) / 1000;
  console.log(`load: ${conversations} conversations (every ${wsEvery}th over WebSocket), ${secs.toFixed(1)} s`);
  console.log(`acknowledged messages: ${load.acks.length} (${(load.acks.length / secs).toFixed(0)}/s)`);
  console.log(`unexpected answers: ${load.unexpected.length}, failed workers: ${load.errors.length}`);
  console.log(`reproduce: node tests/functional/load.mjs --url ${baseUrl} --conversations ${conversations} --seconds ${seconds} --ws-every ${wsEvery}`);
  if (load.unexpected.length || load.errors.length) process.exitCode = 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main(process.argv.slice(2)).catch((e) => { console.error(e); process.exit(1); });
}
