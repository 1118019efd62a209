// The human desk over the real server (issue 6, docs/desk.md): staff sign-in and lockout, the role matrix
// over every staff route, hand-off with the bot silent, longest-idle routing with skills and capacity, live
// queue positions, no agent → ticket, SLA breaches, transfer, return to the bot, and CSAT.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  api, assertError, createConversation, postMessage, runKefu, shutdown, sleep, start, uniqueId, waitFor,
  WsClient, wsCreate, wsSend,
} from './util.mjs';

const PASSWORD = 'correct-horse-battery';
const ROLES = ['agent', 'supervisor', 'kb_editor', 'analyst', 'admin'];

/** Creates a staff member with the CLI over the server's database. */
async function createUser(srv, name, role, extra = []) {
  const file = path.join(srv.dataDir, `pw-${name}`);
  writeFileSync(file, `${PASSWORD}\n`);
  const r = await runKefu(['admin', 'create-user', name, '--role', role, '--password-file', file, ...extra], {
    env: { KEFU_STORAGE_PATH: path.join(srv.dataDir, 'kefu.db') },
  });
  assert.equal(r.code, 0, `create-user ${name}: ${r.stderr}`);
}

async function login(srv, name, password = PASSWORD) {
  const res = await api(srv, 'POST', '/api/v1/auth/login', { body: { name, password } });
  assert.equal(res.status, 200, `login ${name}: ${res.status} ${res.text}`);
  return res.body.token;
}

/** An agent signed in, with a desk socket, optionally online. */
async function agent(srv, name, { online = true } = {}) {
  const token = await login(srv, name);
  const ws = await WsClient.connect(srv.wsUrl.replace('/api/v1/ws', '/api/v1/desk/ws'),
    { headers: { authorization: `Bearer ${token}` } });
  await ws.next('hello');
  if (online) {
    const res = await api(srv, 'PUT', '/api/v1/desk/presence', { token, body: { status: 'online' } });
    assert.equal(res.status, 200, res.text);
  }
  return { name, token, ws };
}

/** A customer who asks for a person over the conversation socket. */
async function customerAsksForAgent(srv, language = 'zh') {
  const c = await wsCreate(srv, { language });
  await wsSend(c.ws, uniqueId('m'), language === 'zh' ? '转人工' : 'I want to talk to a person');
  return c;
}

describe('the human desk', () => {
  let srv;
  before(async () => {
    srv = await start();
    await createUser(srv, 'ann', 'agent', ['--display-name', 'Ann', '--skills', 'general,cards', '--max-chats', '1']);
    await createUser(srv, 'bob', 'agent', ['--display-name', 'Bob', '--skills', 'general', '--max-chats', '2']);
    await createUser(srv, 'cai', 'agent', ['--display-name', '蔡', '--skills', 'cards', '--languages', 'zh']);
    await createUser(srv, 'sue', 'supervisor', ['--display-name', 'Sue']);
    await createUser(srv, 'kim', 'kb_editor');
    await createUser(srv, 'ana', 'analyst');
    await createUser(srv, 'adm', 'admin');
  });
  after(async () => { await shutdown(srv); });

  test('sign-in: a session cookie for the console, the same token as a bearer, and a lockout', async () => {
    const res = await fetch(`${srv.baseUrl}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'kim', password: PASSWORD }),
    });
    assert.equal(res.status, 200);
    const cookie = res.headers.get('set-cookie');
    assert.match(cookie, /^kefu_session=kss1\.[^;]+; Path=\/; HttpOnly; SameSite=Strict/);
    const token = (await res.json()).token;
    const me = await fetch(`${srv.baseUrl}/api/v1/auth/me`, { headers: { cookie: cookie.split(';')[0] } });
    assert.equal(me.status, 200);
    assert.equal((await me.json()).staff.role, 'kb_editor');
    assert.equal((await api(srv, 'GET', '/api/v1/auth/me', { token })).status, 200);
    // Logout ends the session.
    assert.equal((await api(srv, 'POST', '/api/v1/auth/logout', { token })).status, 200);
    assertError(await api(srv, 'GET', '/api/v1/auth/me', { token }), 401, 'unauthorized');

    // A wrong name and a wrong password look the same; five wrong passwords lock the account, and then even
    // the right one is refused with 423 and a Retry-After.
    const unknown = await api(srv, 'POST', '/api/v1/auth/login', { body: { name: 'nobody', password: 'x'.repeat(12) } });
    assertError(unknown, 401, 'unauthorized');
    for (let i = 0; i < 5; i++) {
      const wrong = await api(srv, 'POST', '/api/v1/auth/login', { body: { name: 'ana', password: `wrong-${i}-password` } });
      assertError(wrong, 401, 'unauthorized');
      assert.equal(wrong.body.message, unknown.body.message);
    }
    const locked = await api(srv, 'POST', '/api/v1/auth/login', { body: { name: 'ana', password: PASSWORD } });
    assert.equal(locked.status, 423, locked.text);
    assert.equal(locked.body.code, 'locked');
    assert.equal(locked.headers.get('retry-after'), String(locked.body.retry_after_s));
    assert.ok(locked.body.retry_after_s > 800, JSON.stringify(locked.body));
    // An admin resets the password, which unlocks the account.
    const admin = await login(srv, 'adm');
    const reset = await api(srv, 'PATCH', '/api/v1/staff/ana', { token: admin, body: { password: PASSWORD } });
    assert.equal(reset.status, 200, reset.text);
    await login(srv, 'ana');
    // Bad input is a 400 naming the field, never a crash.
    assertError(await api(srv, 'POST', '/api/v1/auth/login', { body: { name: 'ana' } }), 400, 'invalid_argument');
    assertError(await api(srv, 'POST', '/api/v1/auth/login', { body: '{"name":' }), 400, 'malformed_json');
  });

  test('role matrix: every staff route refuses the other roles and anonymous callers', async () => {
    const tokens = {};
    for (const [role, who] of [['agent', 'bob'], ['supervisor', 'sue'], ['kb_editor', 'kim'], ['analyst', 'ana'], ['admin', 'adm']]) {
      tokens[role] = await login(srv, who);
    }
    const table = await api(srv, 'GET', '/api/v1/auth/routes', { token: tokens.admin });
    assert.equal(table.status, 200, table.text);
    const routes = table.body.routes;
    assert.ok(routes.length >= 35, `${routes.length} staff routes`);
    // Spot checks of the table itself: the desk is not for knowledge editors, the KB not for agents.
    const rolesOf = (method, pattern) => routes.find((r) => r.method === method && r.pattern === pattern)?.roles;
    assert.deepEqual(rolesOf('GET', '/api/v1/desk/queue'), ['agent', 'supervisor']);
    assert.deepEqual(rolesOf('GET', '/api/v1/kb/entries'), ['kb_editor', 'admin']);
    assert.deepEqual(rolesOf('GET', '/api/v1/desk/overview'), ['supervisor']);
    assert.deepEqual(rolesOf('POST', '/api/v1/staff'), ['admin']);
    let checked = 0;
    for (const r of routes) {
      const url = r.pattern.replace(/\{[a-z_]+\}/g, 'x-does-not-exist');
      const anon = await api(srv, r.method, url, { body: r.method === 'GET' ? undefined : {} });
      assert.equal(anon.status, 401, `${r.method} ${r.pattern} without credentials: ${anon.status} ${anon.text}`);
      for (const role of ROLES) {
        // Signing out ends the session it is called with: use a session of its own.
        const name = { agent: 'bob', supervisor: 'sue', kb_editor: 'kim', analyst: 'ana', admin: 'adm' }[role];
        const token = r.pattern === '/api/v1/auth/logout' ? await login(srv, name) : tokens[role];
        const res = await api(srv, r.method, url, { token, body: r.method === 'GET' ? undefined : {} });
        if (r.roles.includes(role)) {
          assert.ok(res.status !== 401 && res.status !== 403, `${role} ${r.method} ${r.pattern} should pass the role check: ${res.status} ${res.text}`);
        } else {
          assert.equal(res.status, 403, `${role} ${r.method} ${r.pattern} should be refused: ${res.status} ${res.text}`);
          assert.equal(res.body.code, 'forbidden');
        }
        checked++;
      }
    }
    assert.ok(checked >= routes.length * ROLES.length);
  });

  test('routing: the longest-idle agent with the skill and a free slot; the bot stays silent', async () => {
    const bob = await agent(srv, 'bob');
    await sleep(30);
    const ann = await agent(srv, 'ann');  // online after bob: bob has been idle longer
    try {
      const first = await customerAsksForAgent(srv);
      const got = await bob.ws.next('assigned', { what: 'the first chat assigned to bob' });
      assert.equal(got.chat.conversation_id, first.conv.id);
      await first.ws.next((f) => f.type === 'desk' && f.desk_status === 'assigned');
      const joined = await first.ws.next((f) => f.type === 'message' && f.message.role === 'system');
      assert.match(joined.message.text, /Bob/);

      // bob took a chat just now, so ann is the longest idle for the next one.
      const second = await customerAsksForAgent(srv);
      const got2 = await ann.ws.next('assigned');
      assert.equal(got2.chat.conversation_id, second.conv.id);

      // While an agent has the chat, a customer message reaches the agent and the bot says nothing.
      const before = first.ws.frames.filter((f) => f.type === 'message' && f.message.role === 'bot').length;
      await wsSend(first.ws, uniqueId('m'), '我的卡还能用吗？');
      const relayed = await bob.ws.next((f) => f.type === 'conversation' && f.conversation_id === first.conv.id &&
        f.event.type === 'message' && f.event.message.role === 'customer');
      assert.equal(relayed.event.message.text, '我的卡还能用吗？');
      await sleep(500);
      const afterCount = first.ws.frames.filter((f) => f.type === 'message' && f.message.role === 'bot').length;
      assert.equal(afterCount, before, 'the bot must not answer while an agent has the chat');

      // The agent replies; the customer sees the agent's display name, never their sign-in name.
      const reply = await api(srv, 'POST', `/api/v1/desk/chats/${got.chat.id}/messages`,
        { token: bob.token, body: { client_message_id: 'r1', text: '您好，我来帮您看看。' } });
      assert.equal(reply.status, 201, reply.text);
      const seen = await first.ws.next((f) => f.type === 'message' && f.message.role === 'agent');
      assert.equal(seen.message.agent.display_name, 'Bob');
      assert.ok(!JSON.stringify(seen).includes('"bob"'));
      // A retry with the same id does not duplicate.
      const again = await api(srv, 'POST', `/api/v1/desk/chats/${got.chat.id}/messages`,
        { token: bob.token, body: { client_message_id: 'r1', text: '您好，我来帮您看看。' } });
      assert.equal(again.body.message.id, reply.body.message.id);
      // Another agent cannot reply in bob's chat or read it.
      assertError(await api(srv, 'POST', `/api/v1/desk/chats/${got.chat.id}/messages`,
        { token: ann.token, body: { client_message_id: 'r2', text: 'hi' } }), 409, 'conflict');
      assertError(await api(srv, 'GET', `/api/v1/desk/chats/${got.chat.id}`, { token: ann.token }), 404, 'not_found');

      // The context: transcript with understanding, verification, summary; notes stay internal.
      const note = await api(srv, 'POST', `/api/v1/desk/chats/${got.chat.id}/notes`, { token: bob.token, body: { text: '客户着急' } });
      assert.equal(note.status, 201, note.text);
      const ctx = await api(srv, 'GET', `/api/v1/desk/chats/${got.chat.id}`, { token: bob.token });
      assert.equal(ctx.status, 200, ctx.text);
      const asked = ctx.body.context.transcript.find((m) => m.role === 'customer' && m.text === '转人工');
      assert.equal(asked.understanding.intent, 'human_agent');
      assert.equal(ctx.body.context.verification.verified, false);
      const summary = ctx.body.context.summary;
      assert.equal(summary[0], '转人工原因：客户主动要求转人工', summary.join('|'));
      assert.ok(summary.includes('身份：未核验'), summary.join('|'));
      assert.equal(ctx.body.context.notes[0].text, '客户着急');
      assert.ok(!first.ws.frames.some((f) => JSON.stringify(f).includes('客户着急')), 'notes never reach the customer');

      // Return to the bot: the bot answers again, and no survey is asked for.
      const back = await api(srv, 'POST', `/api/v1/desk/chats/${got.chat.id}/return`, { token: bob.token });
      assert.equal(back.status, 200, back.text);
      assert.equal(back.body.chat.status, 'returned');
      await first.ws.next((f) => f.type === 'desk' && f.desk_status === 'bot');
      const ack = await wsSend(first.ws, uniqueId('m'), '网点几点开门');
      assert.equal(ack.type, 'ack');
      await first.ws.next((f) => f.type === 'message' && f.message.role === 'bot' && f.message.seq > ack.message.seq);
      assert.ok(!first.ws.frames.some((f) => f.type === 'csat_request'));

      // ann ends hers with a wrap-up code: the customer gets the survey and rates it 5.
      assertError(await api(srv, 'POST', `/api/v1/desk/chats/${got2.chat.id}/end`, { token: ann.token, body: { wrap_up: 'made-up' } }), 400, 'invalid_argument');
      const ended = await api(srv, 'POST', `/api/v1/desk/chats/${got2.chat.id}/end`, { token: ann.token, body: { wrap_up: 'resolved' } });
      assert.equal(ended.status, 200, ended.text);
      const survey = await second.ws.next('csat_request');
      assert.equal(survey.chat_id, got2.chat.id);
      // A reloaded widget asks whether a survey is owed: this one is, the returned chat's is not.
      const owed = await api(srv, 'GET', `/api/v1/conversations/${second.conv.id}/csat`, { token: second.conv.token });
      assert.equal(owed.status, 200, owed.text);
      assert.equal(owed.body.pending.chat_id, got2.chat.id);
      assert.equal(owed.body.pending.agent.display_name, 'Ann');
      assert.equal((await api(srv, 'GET', `/api/v1/conversations/${first.conv.id}/csat`, { token: first.conv.token })).body.pending, null);
      assertError(await api(srv, 'GET', `/api/v1/conversations/${second.conv.id}/csat`, { token: first.conv.token }), 404, 'not_found');
      const rate = await api(srv, 'POST', `/api/v1/conversations/${second.conv.id}/csat`,
        { token: second.conv.token, body: { chat_id: survey.chat_id, score: 5, comment: '很满意' } });
      assert.equal(rate.status, 201, rate.text);
      assertError(await api(srv, 'POST', `/api/v1/conversations/${second.conv.id}/csat`,
        { token: second.conv.token, body: { chat_id: survey.chat_id, score: 4 } }), 409, 'conflict');
      assert.equal((await api(srv, 'GET', `/api/v1/conversations/${second.conv.id}/csat`, { token: second.conv.token })).body.pending, null);
      assertError(await api(srv, 'POST', `/api/v1/conversations/${second.conv.id}/csat`,
        { token: second.conv.token, body: { chat_id: survey.chat_id, score: 6 } }), 400, 'invalid_argument');
      const sue = await login(srv, 'sue');
      const csat = await api(srv, 'GET', '/api/v1/desk/csat', { token: sue });
      assert.equal(csat.status, 200, csat.text);
      const row = csat.body.responses.find((r) => r.chat_id === got2.chat.id);
      assert.equal(row.score, 5);
      assert.equal(row.agent, 'ann');
      await first.ws.close();
      await second.ws.close();
    } finally {
      for (const a of [bob, ann]) {
        await api(srv, 'PUT', '/api/v1/desk/presence', { token: a.token, body: { status: 'offline' } });
        await a.ws.close();
      }
    }
  });

  test('capacity and skills: a full agent is skipped; the queue position updates live', async () => {
    const cai = await agent(srv, 'cai');  // cards only, Chinese only, 3 chats
    const ann = await agent(srv, 'ann');  // general and cards, 1 chat
    try {
      // General chats: only ann can take them, one at a time.
      const a = await customerAsksForAgent(srv);
      assert.equal((await ann.ws.next('assigned')).chat.conversation_id, a.conv.id);
      const b = await customerAsksForAgent(srv);
      await b.ws.next((f) => f.type === 'desk' && f.desk_status === 'queued');
      assert.equal((await b.ws.next('queue')).position, 1);
      const c = await customerAsksForAgent(srv);
      assert.equal((await c.ws.next('queue')).position, 2);
      assert.ok(!cai.ws.frames.some((f) => f.type === 'assigned'), 'cai has no general skill');

      const queue = await api(srv, 'GET', '/api/v1/desk/queue', { token: cai.token });
      const general = queue.body.queues.find((q) => q.skill === 'general' && q.language === 'zh');
      assert.deepEqual(general.waiting.map((w) => w.conversation_id), [b.conv.id, c.conv.id]);

      // ann ends her chat: b goes to ann, and c moves up to position 1.
      const chat = (await api(srv, 'GET', '/api/v1/desk/chats?mine=1', { token: ann.token })).body.chats[0];
      assert.equal((await api(srv, 'POST', `/api/v1/desk/chats/${chat.id}/end`, { token: ann.token, body: { wrap_up: 'resolved' } })).status, 200);
      assert.equal((await ann.ws.next((f) => f.type === 'assigned' && f.chat.conversation_id === b.conv.id)).chat.agent, 'ann');
      assert.equal((await c.ws.next('queue')).position, 1);

      // A supervisor sees the live state.
      const sue = await login(srv, 'sue');
      const overview = await api(srv, 'GET', '/api/v1/desk/overview', { token: sue });
      assert.equal(overview.status, 200, overview.text);
      const annLoad = overview.body.agents.find((x) => x.name === 'ann');
      assert.equal(annLoad.presence, 'online');
      assert.equal(annLoad.active, 1);
      assert.equal(overview.body.queues.find((q) => q.skill === 'general').waiting, 1);

      // Transfer to a queue the waiting agent serves: cai takes the cards chat at once.
      const bChat = (await api(srv, 'GET', '/api/v1/desk/chats?mine=1', { token: ann.token })).body.chats[0];
      const moved = await api(srv, 'POST', `/api/v1/desk/chats/${bChat.id}/transfer`, { token: ann.token, body: { skill: 'cards' } });
      assert.equal(moved.status, 200, moved.text);
      assert.equal((await cai.ws.next((f) => f.type === 'assigned' && f.chat.id === bChat.id)).chat.agent, 'cai');
      // ann's slot is free again, so c is hers now.
      const cChat = (await ann.ws.next((f) => f.type === 'assigned' && f.chat.conversation_id === c.conv.id)).chat;

      // An agent sees whom they can transfer to: cai is online with a free slot.
      const targets = await api(srv, 'GET', '/api/v1/desk/agents', { token: ann.token });
      assert.equal(targets.status, 200, targets.text);
      const caiTarget = targets.body.agents.find((x) => x.name === 'cai');
      assert.deepEqual([caiTarget.display_name, caiTarget.presence, caiTarget.free, caiTarget.skills],
        ['蔡', 'online', true, ['cards']]);
      assert.equal(targets.body.agents.find((x) => x.name === 'bob').free, false, 'bob is offline');
      assert.ok(targets.body.skills.includes('cards'));
      // To an agent by name: cai gets it, and ann's console is told the chat is cai's now.
      assert.equal((await api(srv, 'POST', `/api/v1/desk/chats/${cChat.id}/transfer`, { token: ann.token, body: { agent: 'cai' } })).status, 200);
      await cai.ws.next((f) => f.type === 'assigned' && f.chat.id === cChat.id);
      const away = await ann.ws.next((f) => f.type === 'chat_changed' && f.chat.id === cChat.id);
      assert.equal(away.chat.agent, 'cai');
      await c.ws.next((f) => f.type === 'message' && f.message.role === 'system' && f.message.text.includes('蔡'));
      for (const x of [a, b, c]) await x.ws.close();
    } finally {
      for (const x of [cai, ann]) {
        await api(srv, 'PUT', '/api/v1/desk/presence', { token: x.token, body: { status: 'offline' } });
        await x.ws.close();
      }
    }
  });

  test('with no agent online a hand-off becomes a ticket, and the customer is told when to expect an answer', async () => {
    const c = await createConversation(srv, { language: 'en' });
    const res = await postMessage(srv, c, uniqueId('m'), 'I want to talk to a person');
    assert.equal(res.status, 201, res.text);
    const sue = await login(srv, 'sue');
    const ticket = await waitFor(async () => {
      const list = await api(srv, 'GET', '/api/v1/tickets', { token: sue });
      return list.body.tickets.find((t) => t.conversation_id === c.id);
    }, { what: 'a ticket for the hand-off' });
    assert.match(ticket.id, /^TK-\d{8}-\d{4}$/);
    assert.equal(ticket.source, 'handoff');
    assert.equal(ticket.status, 'new');
    const transcript = await api(srv, 'GET', `/api/v1/conversations/${c.id}/messages?after=0`, { token: c.token });
    const told = transcript.body.messages.find((m) => m.role === 'system' && m.text.includes(ticket.id));
    assert.ok(told, 'the customer is told the ticket number');
    assert.match(told.text, /will contact you by/);
    // The bot keeps answering in the meantime.
    const next = await postMessage(srv, c, uniqueId('m'), 'what are your branch hours');
    assert.ok(next.body.replies.length > 0);
  });

  test('a complaint filed through the bot becomes a complaint ticket with the core\'s reference', async () => {
    const c = await createConversation(srv, { language: 'zh' });
    const say = async (text) => {
      const res = await postMessage(srv, c, uniqueId('m'), text);
      assert.equal(res.status, 201, res.text);
      return res.body.replies.map((r) => r.text).join('\n');
    };
    await say('我要投诉，携程的机票被重复扣款了');
    await say('1282，1988年4月12日');
    await say('11月19号携程扣了我两次1286元，只买了一张票');
    const done = await say('是的，提交吧');
    const ref = done.match(/CMP-[0-9A-Za-z-]+/)?.[0];
    assert.ok(ref, `a complaint reference in: ${done}`);
    const sue = await login(srv, 'sue');
    const ticket = await waitFor(async () => {
      const list = await api(srv, 'GET', '/api/v1/tickets', { token: sue });
      return list.body.tickets.find((t) => t.complaint_ref === ref);
    }, { what: 'the complaint ticket' });
    assert.equal(ticket.type, 'complaint');
    assert.equal(ticket.source, 'complaint');
    assert.equal(ticket.conversation_id, c.id);
    assert.equal(ticket.customer_ref, 'c1001');
  });

  test('tickets: workflow, comments to the customer, history', async () => {
    const bob = await login(srv, 'bob');
    const c = await createConversation(srv, { language: 'zh' });
    const created = await api(srv, 'POST', '/api/v1/tickets', {
      token: bob, body: { type: 'card', priority: 'high', subject: '补卡进度', conversation_id: c.id, customer_ref: 'c1001' },
    });
    assert.equal(created.status, 201, created.text);
    const id = created.body.ticket.id;
    assertError(await api(srv, 'POST', '/api/v1/tickets', { token: bob, body: { type: 'parcel', subject: 'x' } }), 400, 'invalid_argument');
    assertError(await api(srv, 'PATCH', `/api/v1/tickets/${id}`, { token: bob, body: { status: 'closed' } }), 409, 'invalid_transition');
    for (const status of ['open', 'pending', 'resolved', 'closed', 'open']) {
      const r = await api(srv, 'PATCH', `/api/v1/tickets/${id}`, { token: bob, body: { status } });
      assert.equal(r.status, 200, `${status}: ${r.text}`);
    }
    const pub = await api(srv, 'POST', `/api/v1/tickets/${id}/comments`, { token: bob, body: { text: '新卡已寄出，请留意查收。', public: true } });
    assert.equal(pub.status, 201, pub.text);
    await api(srv, 'POST', `/api/v1/tickets/${id}/comments`, { token: bob, body: { text: '内部：已联系网点', public: false } });
    const transcript = await api(srv, 'GET', `/api/v1/conversations/${c.id}/messages?after=0`, { token: c.token });
    assert.ok(transcript.body.messages.some((m) => m.role === 'agent' && m.text === '新卡已寄出，请留意查收。'));
    assert.ok(!transcript.body.messages.some((m) => m.text.includes('内部')));
    const full = await api(srv, 'GET', `/api/v1/tickets/${id}`, { token: bob });
    assert.deepEqual(full.body.events.map((e) => e.kind), ['created', 'status', 'status', 'status', 'status', 'status', 'comment', 'comment']);
    assert.equal(full.body.ticket.status, 'open');
    // The customer panel's list: by customer and by conversation.
    const other = await api(srv, 'POST', '/api/v1/tickets', { token: bob, body: { subject: '另一位客户', customer_ref: 'c1002' } });
    assert.equal(other.status, 201, other.text);
    const mine = await api(srv, 'GET', '/api/v1/tickets?status=all&customer_ref=c1001', { token: bob });
    assert.equal(mine.status, 200, mine.text);
    assert.ok(mine.body.tickets.some((t) => t.id === id));
    assert.ok(mine.body.tickets.every((t) => t.customer_ref === 'c1001'), JSON.stringify(mine.body.tickets));
    const byConv = await api(srv, 'GET', `/api/v1/tickets?status=all&conversation_id=${c.id}`, { token: bob });
    assert.deepEqual(byConv.body.tickets.map((t) => t.id), [id]);
    assertError(await api(srv, 'GET', `/api/v1/tickets?customer_ref=${'x'.repeat(65)}`, { token: bob }), 400, 'invalid_argument');
    // Newest first on request (the default is the most urgent first).
    const newest = await api(srv, 'GET', '/api/v1/tickets?status=all&sort=created&limit=2', { token: bob });
    assert.deepEqual(newest.body.tickets.map((t) => t.id), [other.body.ticket.id, id]);
    assertError(await api(srv, 'GET', '/api/v1/tickets?sort=random', { token: bob }), 400, 'invalid_argument');
  });

  test('tickets: every console hears of new and changed tickets; a reply to an ended conversation says it was not delivered', async () => {
    const ann = await agent(srv, 'ann', { online: false });
    const sue = await agent(srv, 'sue', { online: false });
    try {
      const c = await createConversation(srv, { language: 'zh' });
      const made = await api(srv, 'POST', '/api/v1/tickets', {
        token: ann.token, body: { subject: '回电客户', type: 'callback', conversation_id: c.id, assignee: 'bob' },
      });
      assert.equal(made.status, 201, made.text);
      const id = made.body.ticket.id;
      assert.equal(made.body.ticket.assignee, 'bob');
      assertError(await api(srv, 'POST', '/api/v1/tickets', { token: ann.token, body: { subject: 'x', assignee: 'nobody-here' } }), 400, 'invalid_argument');
      // Agents and supervisors alike get the frame, once each.
      for (const who of [ann, sue]) await who.ws.next((f) => f.type === 'ticket_created' && f.ticket.id === id);
      await api(srv, 'PATCH', `/api/v1/tickets/${id}`, { token: sue.token, body: { status: 'open' } });
      const changed = await ann.ws.next((f) => f.type === 'ticket_changed' && f.ticket.id === id);
      assert.equal(changed.ticket.status, 'open');
      assert.equal(sue.ws.frames.filter((f) => f.type === 'ticket_created' && f.ticket.id === id).length, 1);
      // A public reply reaches an open conversation; once it ended, the reply is kept but not delivered.
      const live = await api(srv, 'POST', `/api/v1/tickets/${id}/comments`, { token: ann.token, body: { text: '稍后给您回电', public: true } });
      assert.equal(live.status, 201, live.text);
      assert.equal(live.body.delivered, true);
      assert.equal((await api(srv, 'POST', `/api/v1/conversations/${c.id}/end`, { token: c.token })).status, 200);
      const late = await api(srv, 'POST', `/api/v1/tickets/${id}/comments`, { token: ann.token, body: { text: '已回电', public: true } });
      assert.equal(late.body.delivered, false);
      const internal = await api(srv, 'POST', `/api/v1/tickets/${id}/comments`, { token: ann.token, body: { text: '内部', public: false } });
      assert.equal(internal.body.delivered, false);
      const full = await api(srv, 'GET', `/api/v1/tickets/${id}`, { token: ann.token });
      const comments = full.body.events.filter((e) => e.kind === 'comment').map((e) => [e.detail.public, e.detail.delivered]);
      assert.deepEqual(comments, [[true, true], [true, false], [false, undefined]]);
    } finally {
      await ann.ws.close();
      await sue.ws.close();
    }
  });
});

test('an SLA breach is flagged on the ticket and reported', async () => {
  // A desk file with a two-second SLA and business hours around the clock.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-desk-'));
  const file = path.join(dir, 'desk.yaml');
  writeFileSync(file, 'version: 1\ntimezone: "+08:00"\nbusiness_hours:\n  mon-sun: 00:00-24:00\nsla:\n  default: {urgent: 2s, high: 1h, normal: 1h, low: 1h}\n');
  const srv = await start({ env: { KEFU_DESK_FILE: file, KEFU_DESK_SLA_CHECK_INTERVAL_MS: '200' } });
  try {
    await createUser(srv, 'sue', 'supervisor');
    const token = await login(srv, 'sue');
    const ws = await WsClient.connect(srv.wsUrl.replace('/api/v1/ws', '/api/v1/desk/ws'), { headers: { authorization: `Bearer ${token}` } });
    await ws.next('hello');
    const urgent = await api(srv, 'POST', '/api/v1/tickets', { token, body: { type: 'other', priority: 'urgent', subject: 'call back now' } });
    const normal = await api(srv, 'POST', '/api/v1/tickets', { token, body: { type: 'other', priority: 'normal', subject: 'later' } });
    assert.equal(urgent.status, 201, urgent.text);
    assert.equal(urgent.body.ticket.breached, false);
    const breach = await ws.next('sla_breached', { what: 'the breach event' });
    assert.equal(breach.ticket.id, urgent.body.ticket.id);
    const now = await api(srv, 'GET', `/api/v1/tickets/${urgent.body.ticket.id}`, { token });
    assert.equal(now.body.ticket.breached, true);
    assert.ok(now.body.events.some((e) => e.kind === 'sla_breached'));
    const breached = await api(srv, 'GET', '/api/v1/tickets?breached=1', { token });
    assert.deepEqual(breached.body.tickets.map((t) => t.id), [urgent.body.ticket.id]);
    assert.equal((await api(srv, 'GET', `/api/v1/tickets/${normal.body.ticket.id}`, { token })).body.ticket.breached, false);
    const metrics = await (await fetch(`${srv.baseUrl}/metrics`)).text();
    assert.match(metrics, /kefu_tickets_breached_total\{type="other"\} 1/);
    await ws.close();
  } finally {
    await shutdown(srv);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the VIP rule hands a private-banking customer to a person at the first unanswered question', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-desk-'));
  const file = path.join(dir, 'desk.yaml');
  writeFileSync(file, [
    'version: 1', 'vip:', '  segments: [private]', '  handoff_on_fallback: true',
    'messages:', '  joined: {zh: "专属客服{name}为您服务", en: "Your personal banker {name} is here"}',
    '  vip_handoff: {zh: 贵宾专线转接中, en: Connecting you to your personal banker}', '',
  ].join('\n'));
  const secret = 'desk-test-secret-0123456789abcdefghijklmnopqrstuvwxyz';
  const sign = (sub) => {
    const payload = Buffer.from(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + 3600, ch: 'app' })).toString('base64url');
    return `kct1.${payload}.${createHmac('sha256', secret).update(`kct1.${payload}`).digest('base64url')}`;
  };
  const srv = await start({ env: { KEFU_DESK_FILE: file, KEFU_AUTH_CUSTOMER_TOKEN_SECRET: secret } });
  try {
    await createUser(srv, 'vic', 'agent', ['--display-name', 'Vic']);
    const vic = await agent(srv, 'vic');
    const open = async (sub) => {
      const res = await api(srv, 'POST', '/api/v1/conversations', { token: sign(sub), body: { language: 'en' } });
      assert.equal(res.status, 201, res.text);
      return { id: res.body.conversation.id, token: sign(sub) };
    };
    const gibberish = 'qwxz plorf vandrel snook';
    // A mass-market customer: one fallback is just a fallback.
    const mass = await open('c1007');
    const m = await postMessage(srv, mass, uniqueId('m'), gibberish);
    assert.equal(m.status, 201, m.text);
    assert.ok(!m.body.replies.some((r) => r.text.includes('personal banker')));
    // The private-banking customer (c1004): the same question goes to a person at once, with top priority.
    const vip = await open('c1004');
    const v = await postMessage(srv, vip, uniqueId('m'), gibberish);
    assert.equal(v.status, 201, v.text);
    assert.ok(v.body.replies.some((r) => r.text === 'Connecting you to your personal banker'), JSON.stringify(v.body.replies));
    const got = await vic.ws.next('assigned', { what: 'the VIP chat' });
    assert.equal(got.chat.conversation_id, vip.id);
    assert.equal(got.chat.priority, 2);
    assert.equal(got.chat.reason, 'vip');
    const joined = await waitFor(async () => {
      const t = await api(srv, 'GET', `/api/v1/conversations/${vip.id}/messages?after=0`, { token: vip.token });
      return t.body.messages.find((x) => x.role === 'system');
    }, { what: 'the joined message' });
    assert.equal(joined.text, 'Your personal banker Vic is here', 'the desk file\'s own text');
    assert.ok(!vic.ws.frames.some((f) => f.type === 'assigned' && f.chat.conversation_id === mass.id));
    await vic.ws.close();
  } finally {
    await shutdown(srv);
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a desk file with problems stops the start with file:line', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-desk-'));
  const file = path.join(dir, 'desk.yaml');
  writeFileSync(file, 'timezone: "+08:00"\nsla:\n  parcel: {normal: 4h}\nmessages:\n  ticket_nobody: {zh: 请稍后, en: Later}\n');
  try {
    const r = await runKefu(['serve'], { env: { KEFU_DESK_FILE: file, KEFU_STORAGE_PATH: path.join(dir, 'k.db'), KEFU_SERVER_PORT: '0' } });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /desk\.yaml:3: unknown ticket type 'parcel'/);
    assert.match(r.stderr, /desk\.yaml:5: the message ticket_nobody must give the customer the \{ticket\} reference/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
