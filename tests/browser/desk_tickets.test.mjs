// Browser tests of the console's tickets (work orders, docs/desk.md "Tickets" and "Console"): the tickets view
// of /desk/ (list, filters, detail, status changes, comments, new ticket, a ticket from a chat) and the
// supervisor's breach panel (/desk/supervisor.html), against the real `kefu serve` (tests/lib/server.mjs) and
// Debian's Chromium.
//
//   cd /work/main && KEFU_WEB_ROOT=web/static node --test --test-concurrency=1 tests/browser/desk_tickets.test.mjs
//
// The server runs with a desk file of its own: open around the clock, an SLA of a few seconds for urgent tickets
// and an SLA check every 200 ms, so a breach happens within the test. Staff members are made with the CLI
// (`kefu admin create-user`) on the server's database. Every step waits on the DOM.
// Env: KEFU_BIN (server binary), CHROMIUM (browser, default /usr/bin/chromium).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser, waitUntil as waitUntilFor } from '../lib/browser.mjs';
import { kefuBin, repoRoot, startServer } from '../lib/server.mjs';

const TIMEOUT = 120_000;
const WAIT_MS = 15_000;
const waitUntil = (fn, message, timeout = WAIT_MS) => waitUntilFor(fn, message, timeout);

const PASSWORD = 'desk-tickets-Passw0rd-42';
const AGENT = { name: 'li.na', display: '李娜' };
const SUPERVISOR = { name: 'wang.qiang', display: '王强' };
const URGENT_SLA_S = 4;
// Open around the clock (chats and the SLA clock), and an urgent ticket is due a few seconds after it is made.
const DESK_YAML = [
  'version: 1', 'timezone: "+08:00"', 'chat_hours:', '  mon-sun: 00:00-24:00', 'business_hours:', '  mon-sun: 00:00-24:00',
  'sla:', `  default: {urgent: ${URGENT_SLA_S}s, high: 8h, normal: 24h, low: 72h}`, '',
].join('\n');

let server;
let browser;
let dataDir;

/** Runs the kefu CLI against the test database; resolves with {code, output}. */
function runCli(args) {
  const env = {
    ...process.env,
    KEFU_STORAGE_PATH: path.join(dataDir, 'kefu.db'),
    KEFU_LOG_LEVEL: 'warn',
    KEFU_BOT_MODEL_DIR: path.join(os.tmpdir(), 'kefu-test-models'),
  };
  return new Promise((resolve, reject) => {
    const proc = spawn(kefuBin, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    proc.stdout.on('data', (d) => { output += d; });
    proc.stderr.on('data', (d) => { output += d; });
    proc.on('error', reject);
    proc.on('exit', (code) => resolve({ code, output }));
  });
}

const USERS = [
  [AGENT.name, '--role', 'agent', '--display-name', AGENT.display, '--skills', 'general,cards,transfers,complaints', '--languages', 'zh,en'],
  [SUPERVISOR.name, '--role', 'supervisor', '--display-name', SUPERVISOR.display],
];

async function createUsers(passwordFile) {
  const results = [];
  for (const u of USERS) results.push(await runCli(['admin', 'create-user', ...u, '--password-file', passwordFile]));
  return results;
}

before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'kefu-desk-tickets-test-'));
  const passwordFile = path.join(dataDir, 'password.txt');
  writeFileSync(passwordFile, PASSWORD, { mode: 0o600 });
  const deskFile = path.join(dataDir, 'desk.yaml');
  writeFileSync(deskFile, DESK_YAML);
  // Staff members before the start, so the server reads them with everything else; if the CLI needs the
  // database the server creates, make them right after the start instead.
  let made = await createUsers(passwordFile);
  const failed = made.some((r) => r.code !== 0);
  server = await startServer({
    dataDir,
    env: { KEFU_SERVER_RATE_LIMIT_RPS: '0', KEFU_DESK_FILE: deskFile, KEFU_DESK_SLA_CHECK_INTERVAL_MS: '200' },
  });
  if (failed) {
    made = await createUsers(passwordFile);
    const bad = made.find((r) => r.code !== 0);
    assert.ok(!bad, `kefu admin create-user failed:\n${bad?.output}`);
  }
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  if (server) {
    await server.stop();
    server.cleanup();
  }
});

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/**
 * A page in a fresh context (own cookies and storage) at 1280×800. Uncaught errors, console errors and
 * dialogs (an alert() would mean injected script ran) fail the test.
 */
async function openPage(t, url, { locale = 'zh-CN', widget = false } = {}) {
  const context = await browser.newContext({ locale, viewport: { width: 1280, height: 800 } });
  if (widget) await context.addInitScript(() => { window.__KEFU_TEST__ = true; });
  const page = await context.newPage();
  const errors = [];
  const dialogs = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e}`));
  page.on('console', (m) => {
    // A 401 on /auth/me before sign-in, the 4xx answers the test provokes and a refused socket during a
    // reconnect are expected network noise.
    if (m.type() === 'error' && !/Failed to load resource|WebSocket connection to/.test(m.text())) errors.push(`console.error: ${m.text()}`);
  });
  page.on('dialog', (d) => { dialogs.push(d.message()); d.dismiss().catch(() => {}); });
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], `JavaScript errors on ${url}`);
    assert.deepEqual(dialogs, [], `dialogs on ${url}`);
  });
  const res = await page.goto(`${server.baseUrl}${url}`);
  assert.equal(res.status(), 200, `GET ${url}`);
  return page;
}

async function signIn(page, who, view = 'view-desk') {
  await page.getByTestId('view-signin').waitFor();
  await page.getByTestId('signin-name').fill(who.name);
  await page.getByTestId('signin-password').fill(PASSWORD);
  await page.getByTestId('sign-in').click();
  await page.getByTestId(view).waitFor();
  await waitUntil(async () => (await page.getByTestId('staff-name').textContent()) === who.display, 'the header names the signed-in member');
  await waitUntil(async () => (await page.getByTestId('connection').getAttribute('data-state')) === 'online', 'the desk socket is connected');
}

async function setPresence(page, status) {
  const button = page.getByTestId(`presence-${status}`);
  await waitUntil(async () => (await page.getByTestId('presence').getAttribute('data-presence')) !== 'unknown', 'the presence is known');
  if ((await button.getAttribute('aria-pressed')) !== 'true') await button.click();
  await waitUntil(async () => (await button.getAttribute('aria-pressed')) === 'true', `presence ${status}`);
}

/** Switches the console to its tickets view and waits for the list. */
async function showTickets(page) {
  await page.getByTestId('nav-tickets').click();
  await page.getByTestId('tickets-view').waitFor();
  assert.equal(await page.getByTestId('nav-tickets').getAttribute('aria-pressed'), 'true');
  assert.equal(await page.getByTestId('chats-view').isVisible(), false, 'the chats are out of the way');
  await waitUntil(async () => (await page.getByTestId('tickets-status').getAttribute('data-loaded')) === 'true', 'the ticket list is read');
}

/** The ticket list as shown: [{id, subject, status, breached, overdue, flag, assignee}], top to bottom. */
function ticketRows(page) {
  return page.getByTestId('ticket-row').evaluateAll((rows) => rows.map((r) => ({
    id: r.dataset.ticketId,
    subject: r.querySelector('[data-testid="ticket-subject"]').textContent,
    status: r.querySelector('[data-testid="ticket-status"]').textContent,
    assignee: r.querySelector('[data-testid="ticket-assignee"]').textContent,
    breached: r.dataset.breached === 'true',
    overdue: r.dataset.overdue === 'true',
    flag: r.querySelector('[data-testid="ticket-breached"]')?.textContent ?? null,
  })));
}

/** The open ticket's history: [{kind, visibility, actor, what, text}]. */
function ticketEvents(page) {
  return page.getByTestId('ticket-event').evaluateAll((rows) => rows.map((r) => ({
    kind: r.dataset.kind,
    visibility: r.dataset.visibility ?? null,
    tag: r.querySelector('[data-testid="ticket-event-visibility"]')?.textContent ?? null,
    actor: r.querySelector('[data-testid="ticket-event-actor"]').textContent,
    what: r.querySelector('[data-testid="ticket-event-what"]').textContent,
    text: r.querySelector('[data-testid="ticket-event-text"]')?.textContent ?? null,
  })));
}

/** The status changes the open ticket offers, as their target statuses. */
async function offered(page) {
  return (await page.getByTestId('ticket-action').evaluateAll((bs) => bs.map((b) => b.dataset.to))).sort();
}

/** Waits until the detail pane shows the ticket in the given status (after a change has been read back). */
async function detailStatus(page, id, status) {
  const detail = page.getByTestId('ticket-detail');
  await waitUntil(async () => (await detail.getAttribute('data-ticket-id')) === id && (await detail.getAttribute('data-status')) === status
    && (await detail.getAttribute('data-loaded')) === 'true', `ticket ${id} shows status ${status}`);
}

/**
 * Makes the console's next PATCH of the ticket lose a race: the given status changes are made through the API
 * after the console sent its request and before the server reads it.
 */
async function raceChange(page, token, id, statuses) {
  const pattern = `**/api/v1/tickets/${encodeURIComponent(id)}`;
  let raced = false;
  await page.route(pattern, async (route) => {
    if (raced || route.request().method() !== 'PATCH') return route.continue();
    raced = true;
    for (const status of statuses) {
      const r = await call(token, 'PATCH', `/tickets/${encodeURIComponent(id)}`, { status });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    await route.continue();
  });
}

async function clickAction(page, to) {
  await page.locator(`[data-testid="ticket-action"][data-to="${to}"]`).click();
}

/** Opens the widget on the demo page and waits for the welcome message. */
async function openWidget(page) {
  await page.getByTestId('launcher').click();
  await page.getByTestId('panel').waitFor({ state: 'visible' });
  await page.locator('[data-testid="message"][data-seq="1"]').waitFor({ timeout: WAIT_MS });
}

/** The widget's rendered messages: [{role, seq, inReplyTo, who, text}]. */
function widgetMessages(page) {
  return page.getByTestId('message').evaluateAll((rows) => rows.map((r) => ({
    role: r.dataset.role,
    seq: r.dataset.seq === undefined ? null : Number(r.dataset.seq),
    inReplyTo: r.dataset.inReplyTo === undefined ? null : Number(r.dataset.inReplyTo),
    who: r.querySelector('.who')?.textContent ?? null,
    text: r.querySelector('[data-testid="message-text"]').textContent,
  })));
}

async function customerSays(page, text) {
  await page.getByTestId('input').fill(text);
  await page.getByTestId('send').click();
  return waitUntil(async () => (await widgetMessages(page)).find((m) => m.role === 'customer' && m.text === text && m.seq !== null),
    `the customer message ${JSON.stringify(text)} is acknowledged`);
}

async function botAnswers(page, message) {
  return waitUntil(async () => (await widgetMessages(page)).find((m) => m.role === 'bot' && m.inReplyTo === message.seq),
    `the bot answers ${JSON.stringify(message.text)}`);
}

/** Waits until the chat reaches the console: an auto-assigned tab, or a queue entry to accept. */
async function receiveChat(desk) {
  await waitUntil(async () => (await desk.getByTestId('chat-tab').count()) > 0 || (await desk.getByTestId('accept').count()) > 0,
    'the chat reaches the agent (a tab opens or it waits in the queue)');
  if (!(await desk.getByTestId('chat-tab').count())) await desk.getByTestId('accept').first().click();
  const panel = desk.locator('[data-testid="chat-panel"]:not([hidden])');
  await panel.waitFor();
  await waitUntil(async () => (await panel.getAttribute('data-loaded')) === 'true', 'the chat detail is loaded');
  return { panel, chatId: await panel.getAttribute('data-chat-id'), conversationId: await panel.getAttribute('data-conversation-id') };
}

/** A staff bearer token from POST /api/v1/auth/login (as an API client would use it). */
async function staffToken(who) {
  const res = await fetch(`${server.baseUrl}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: who.name, password: PASSWORD }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  return body.token;
}

/** A call to the API with a bearer token: {status, body}. */
async function call(token, method, url, body) {
  const res = await fetch(`${server.baseUrl}/api/v1${url}`, {
    method,
    headers: { Authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function serverMessages(page) {
  const { state } = await page.evaluate(() => window.KefuWidget.__test.state());
  const res = await fetch(`${server.baseUrl}/api/v1/conversations/${state.conversationId}/messages?limit=200`, {
    headers: { Authorization: `Bearer ${state.accessToken}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()).messages;
}

const XSS = '<img src=x onerror=alert(1)>';

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('tickets in the agent console and the supervisor view', () => {
  test('an agent makes a ticket from a chat and works it: statuses, priority, assignee, comments, history', { timeout: TIMEOUT }, async (t) => {
    const desk = await openPage(t, '/desk/');
    await signIn(desk, AGENT);
    await setPresence(desk, 'online');
    assert.equal(await desk.getByTestId('nav-tickets').textContent().then((s) => s.trim()), '工单');

    // A verified customer asks for a person.
    const customer = await openPage(t, '/', { widget: true });
    await openWidget(customer);
    await botAnswers(customer, await customerSays(customer, '查一下余额'));
    await botAnswers(customer, await customerSays(customer, '1282，1988年4月12日'));
    await customerSays(customer, '转人工');
    const { panel, conversationId } = await receiveChat(desk);
    const side = desk.locator('[data-testid="customer-panel"]:visible');
    await waitUntil(async () => (await side.getByTestId('verification').getAttribute('data-verified')) === 'true', 'the customer is verified');
    const customerRef = (await side.getByTestId('customer-ref').textContent()).trim();
    assert.ok(customerRef, 'the chat context names the customer');

    // "Create ticket" on the chat opens the form with the chat's conversation and customer filled in.
    await panel.getByTestId('chat-create-ticket').click();
    const form = desk.getByTestId('ticket-form');
    await form.waitFor();
    assert.equal(await desk.getByTestId('tickets-view').isVisible(), true);
    assert.equal(await form.getByTestId('nt-conversation').inputValue(), conversationId);
    assert.equal(await form.getByTestId('nt-customer-ref').inputValue(), customerRef);
    assert.match(await form.getByTestId('nt-from-chat').textContent(), new RegExp(`来自会话 ${conversationId}`));
    assert.ok(await desk.evaluate(() => document.activeElement?.id === 'nt-subject'), 'the subject has the focus');

    // An empty subject is refused next to the field; a conversation the server does not know (400) too.
    await form.getByTestId('nt-submit').click();
    const subjectError = form.getByTestId('nt-error-subject');
    await waitUntil(async () => (await subjectError.isVisible()) && (await subjectError.textContent()) === '请填写主题。', 'the subject is required');
    assert.equal(await form.getByTestId('nt-subject').getAttribute('aria-invalid'), 'true');
    await form.getByTestId('nt-subject').fill('测试');
    await form.getByTestId('nt-conversation').fill('cv_no_such_conversation');
    await form.getByTestId('nt-submit').click();
    const convError = form.getByTestId('nt-error-conversation_id');
    await waitUntil(async () => (await convError.isVisible()) && (await convError.textContent()) === '没有这个会话编号。', 'the server\'s 400 is shown at the field');
    assert.equal(await form.getByTestId('nt-error').textContent(), '工单未创建，请修改标出的内容。');
    assert.equal(await subjectError.isVisible(), false, 'the old error is gone');

    // The ticket, with markup in its subject.
    const subject = `补卡进度 ${XSS}`;
    await form.getByTestId('nt-conversation').fill(conversationId);
    await form.getByTestId('nt-type').selectOption('card');
    await form.getByTestId('nt-priority').selectOption('high');
    await form.getByTestId('nt-subject').fill(subject);
    await form.getByTestId('nt-description').fill('客户的新卡还没有收到。\n请跟进寄送情况。');
    await form.getByTestId('nt-submit').click();
    const detail = desk.getByTestId('ticket-detail');
    await detail.waitFor();
    await waitUntil(async () => (await detail.getAttribute('data-loaded')) === 'true', 'the new ticket is shown');
    const id = await detail.getAttribute('data-ticket-id');
    assert.match(id, /^TK-\d{8}-\d{4}$/);
    assert.match(await desk.getByTestId('flash').textContent(), new RegExp(`工单 ${id} 已创建`));
    assert.equal(await detail.getByTestId('ticket-detail-subject').textContent(), subject, 'the subject is text');
    assert.equal(await detail.getByTestId('ticket-description').textContent(), '客户的新卡还没有收到。\n请跟进寄送情况。');
    assert.equal(await detail.getByTestId('ticket-customer-ref').textContent(), customerRef);
    assert.equal(await detail.getByTestId('ticket-conversation').textContent(), conversationId);
    assert.equal(await detail.getByTestId('ticket-detail-type').textContent(), '银行卡');
    assert.equal(await detail.getByTestId('ticket-detail-priority').textContent(), '高');
    assert.equal(await detail.getByTestId('ticket-detail-status').textContent(), '新建');
    await waitUntil(async () => (await ticketRows(desk)).some((r) => r.id === id && r.subject === subject && r.status === '新建' && !r.overdue),
      'the list shows the ticket');
    assert.equal(await desk.locator('main img').count(), 0, 'no <img> element was made from the subject');

    // Only the changes the server allows are offered; a jump it refuses is a 409.
    const token = await staffToken(SUPERVISOR);
    await detailStatus(desk, id, 'new');
    assert.deepEqual(await offered(desk), ['open', 'pending', 'resolved']);
    const jump = await call(token, 'PATCH', `/tickets/${encodeURIComponent(id)}`, { status: 'closed' });
    assert.equal(jump.status, 409, JSON.stringify(jump.body));
    assert.equal(jump.body.code, 'invalid_transition');

    await clickAction(desk, 'open');
    await detailStatus(desk, id, 'open');
    assert.deepEqual(await offered(desk), ['pending', 'resolved']);
    await clickAction(desk, 'pending');
    await detailStatus(desk, id, 'pending');
    assert.deepEqual(await offered(desk), ['open', 'resolved']);

    // A colleague's change shows at once (ticket_changed): resolved elsewhere, the console follows.
    const r1 = await call(token, 'PATCH', `/tickets/${encodeURIComponent(id)}`, { status: 'resolved' });
    assert.equal(r1.status, 200, JSON.stringify(r1.body));
    await detailStatus(desk, id, 'resolved');
    const r2 = await call(token, 'PATCH', `/tickets/${encodeURIComponent(id)}`, { status: 'open' });
    assert.equal(r2.status, 200, JSON.stringify(r2.body));
    await detailStatus(desk, id, 'open');
    // Someone else resolves and closes it while the agent's own click is on its way: the click is refused (409),
    // said so in the page, and the ticket is shown as it now is.
    await raceChange(desk, token, id, ['resolved', 'closed']);
    await clickAction(desk, 'resolved');
    const error = detail.getByTestId('ticket-error');
    await waitUntil(async () => (await error.isVisible()) && /工单现在是“已关闭”，不能改为“已解决”/.test(await error.textContent()), 'the 409 is explained');
    await detailStatus(desk, id, 'closed');
    assert.deepEqual(await offered(desk), ['open']);
    assert.equal(await desk.locator('[data-testid="ticket-action"][data-to="open"]').textContent(), '重新打开');

    // Reopen, then open → pending → resolved in the console.
    await clickAction(desk, 'open');
    await detailStatus(desk, id, 'open');
    assert.equal(await error.isVisible(), false, 'the error goes with the next change');
    await clickAction(desk, 'pending');
    await detailStatus(desk, id, 'pending');
    await clickAction(desk, 'resolved');
    await detailStatus(desk, id, 'resolved');
    assert.deepEqual(await offered(desk), ['closed', 'open']);
    // A resolved ticket leaves the default list (unsolved ones) and is in "all".
    await waitUntil(async () => !(await ticketRows(desk)).some((r) => r.id === id), 'the resolved ticket leaves the unsolved list');
    await desk.getByTestId('tickets-filter-status').selectOption('all');
    await waitUntil(async () => (await ticketRows(desk)).some((r) => r.id === id && r.status === '已解决'), 'it is listed under "all"');

    // Priority and assignee.
    await detail.getByTestId('ticket-priority-select').selectOption('low');
    await detail.getByTestId('ticket-priority-apply').click();
    await waitUntil(async () => (await detail.getAttribute('data-priority')) === 'low', 'the priority is changed');
    await detail.getByTestId('ticket-assign-me').click();
    await waitUntil(async () => (await detail.getAttribute('data-assignee')) === AGENT.name, 'assigned to me');
    assert.equal(await detail.getByTestId('ticket-detail-assignee').textContent(), AGENT.display);
    await detail.getByTestId('ticket-unassign').click();
    await waitUntil(async () => (await detail.getAttribute('data-assignee')) === '', 'unassigned');
    assert.equal(await detail.getByTestId('ticket-detail-assignee').textContent(), '未分配');
    await detail.getByTestId('ticket-assign-me').click();
    await waitUntil(async () => (await detail.getAttribute('data-assignee')) === AGENT.name, 'assigned to me again');
    await waitUntil(async () => (await ticketRows(desk)).some((r) => r.id === id && r.assignee === AGENT.display), 'the list shows the assignee');

    // Comments: internal by default, public on request; the history tells them apart.
    assert.equal(await detail.getByTestId('comment-internal').isChecked(), true, 'internal is the default');
    assert.equal(await detail.getByTestId('comment-hint').isVisible(), false);
    const note = '内部：已联系发卡网点';
    await detail.getByTestId('comment-input').fill(note);
    await detail.getByTestId('comment-add').click();
    await waitUntil(async () => (await ticketEvents(desk)).some((e) => e.kind === 'comment' && e.text === note), 'the internal note is in the history');
    const reply = '新卡已寄出，请留意查收。';
    await detail.getByTestId('comment-public').check();
    assert.match(await detail.getByTestId('comment-hint').textContent(), /公开回复会作为客服消息发到客户的会话中/);
    await detail.getByTestId('comment-input').fill(reply);
    await detail.getByTestId('comment-add').click();
    await waitUntil(async () => (await ticketEvents(desk)).some((e) => e.kind === 'comment' && e.text === reply), 'the public reply is in the history');
    assert.equal(await detail.getByTestId('comment-internal').isChecked(), true, 'back to internal after sending');

    const events = await ticketEvents(desk);
    assert.deepEqual(events.map((e) => e.kind), ['created', 'status', 'status', 'status', 'status', 'status', 'status', 'status',
      'status', 'status', 'priority', 'assignee', 'assignee', 'assignee', 'comment', 'comment']);
    assert.deepEqual(events[0], { kind: 'created', visibility: null, tag: null, actor: AGENT.display, what: '创建了工单（员工创建）', text: null });
    assert.equal(events[1].what, '把状态从“新建”改为“处理中”');
    assert.deepEqual([events[3].actor, events[3].what], [SUPERVISOR.display, '把状态从“挂起”改为“已解决”'], 'the other staff member\'s change');
    assert.equal(events[10].what, '把优先级从“高”改为“低”');
    assert.equal(events[11].what, `把负责人从“无”改为“${AGENT.display}”`);
    const [internal, pub] = events.slice(-2);
    assert.deepEqual([internal.visibility, internal.tag, internal.what, internal.text], ['internal', '内部', '添加了内部备注', note]);
    assert.deepEqual([pub.visibility, pub.tag, pub.what, pub.text], ['public', '公开', '发送了公开回复', reply]);

    // The public reply reaches the customer's conversation; the internal note does not.
    await waitUntil(async () => (await widgetMessages(customer)).some((m) => m.role === 'agent' && m.text.includes(reply)),
      'the customer sees the public reply in the widget');
    const stored = await serverMessages(customer);
    assert.ok(stored.some((m) => m.role === 'agent' && m.text === reply), 'the reply is stored in the conversation');
    assert.ok(!stored.some((m) => m.text.includes(note)), 'the internal note is not');

    // The customer writes while the agent is in the tickets: the switch to the chats says so.
    await customerSays(customer, '好的，谢谢');
    const unread = desk.getByTestId('nav-chats-unread');
    await waitUntil(async () => (await unread.isVisible()) && (await unread.textContent()) === '1 条新消息', 'the chats switch shows the unread message');

    // The ticket's conversation is open in a chat tab: the ticket jumps to it, and the message is read.
    await detail.getByTestId('ticket-open-chat').click();
    await desk.getByTestId('chats-view').waitFor();
    assert.equal(await desk.getByTestId('tickets-view').isVisible(), false);
    await waitUntil(async () => !(await unread.isVisible()), 'nothing unread once the chat is shown');
    const tab = desk.locator(`[data-testid="chat-tab"][aria-selected="true"]`);
    assert.equal(await tab.getAttribute('data-chat-id'), await panel.getAttribute('data-chat-id'));
    assert.ok(await desk.evaluate(() => document.activeElement?.getAttribute('data-testid') === 'chat-tab'), 'the chat tab has the focus');

    // Nobody online for the next test's hand-off.
    await setPresence(desk, 'offline');
  });

  test('a hand-off with nobody online becomes a ticket: live in a supervisor\'s list, on refresh in an agent\'s', { timeout: TIMEOUT }, async (t) => {
    const sv = await openPage(t, '/desk/');
    await signIn(sv, SUPERVISOR);
    await setPresence(sv, 'offline');
    await showTickets(sv);
    const desk = await openPage(t, '/desk/');
    await signIn(desk, AGENT);
    await setPresence(desk, 'offline');
    await showTickets(desk);

    // The customer asks for a person while nobody is online.
    const conv = await (await fetch(`${server.baseUrl}/api/v1/conversations`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ language: 'zh' }),
    })).json();
    const res = await fetch(`${server.baseUrl}/api/v1/conversations/${conv.conversation.id}/messages`, {
      method: 'POST', headers: { Authorization: `Bearer ${conv.access_token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ client_message_id: 'm-handoff-1', text: '转人工' }),
    });
    assert.equal(res.status, 201, await res.text());
    const token = await staffToken(SUPERVISOR);
    const ticket = await waitUntil(async () => (await call(token, 'GET', '/tickets')).body.tickets.find((x) => x.conversation_id === conv.conversation.id),
      'a ticket for the hand-off');
    assert.equal(ticket.source, 'handoff');

    // The supervisor's list gets it from the ticket_created frame, newest first, without a click.
    await waitUntil(async () => (await ticketRows(sv))[0]?.id === ticket.id, 'the supervisor\'s list shows the new ticket first');
    const row = (await ticketRows(sv))[0];
    assert.deepEqual([row.status, row.assignee, row.flag], ['新建', '未分配', null]);

    // The agent's console reads it with the refresh button; the id button opens it from the keyboard.
    await desk.getByTestId('tickets-refresh').click();
    await waitUntil(async () => (await ticketRows(desk))[0]?.id === ticket.id, 'the agent\'s list shows it after a refresh');
    await desk.locator(`[data-testid="ticket-open"][data-ticket-id="${ticket.id}"]`).focus();
    await desk.keyboard.press('Enter');
    const detail = desk.getByTestId('ticket-detail');
    await detailStatus(desk, ticket.id, 'new');
    assert.ok(await desk.evaluate(() => document.activeElement?.id === 'tk-d-title'), 'the ticket title has the focus');
    assert.equal(await detail.getByTestId('ticket-conversation').textContent(), conv.conversation.id);
    assert.equal(await detail.getByTestId('ticket-open-chat').count(), 0, 'no chat tab to jump to');
    const [created] = await ticketEvents(desk);
    assert.deepEqual([created.actor, created.what], ['系统', '创建了工单（转人工时无人接待）']);
    // Without a conversation tab the public choice still says where the reply goes.
    await detail.getByTestId('comment-public').check();
    assert.match(await detail.getByTestId('comment-hint').textContent(), /公开回复会作为客服消息/);
    await detail.getByTestId('comment-internal').check();

    // "Mine": nothing of it until the agent takes it.
    await desk.getByTestId('tickets-filter-mine').check();
    await waitUntil(async () => !(await ticketRows(desk)).some((r) => r.id === ticket.id), '"mine" hides an unassigned ticket');
    await detail.getByTestId('ticket-assign-me').click();
    await waitUntil(async () => (await ticketRows(desk)).some((r) => r.id === ticket.id && r.assignee === AGENT.display), '"mine" lists it once assigned');
    assert.ok((await ticketRows(desk)).every((r) => r.assignee === AGENT.display), 'only the agent\'s tickets');

    // At phone width the view still works: no sideways scrolling of the page, the list and the ticket stacked.
    await desk.setViewportSize({ width: 390, height: 844 });
    await desk.locator(`[data-testid="ticket-open"][data-ticket-id="${ticket.id}"]`).waitFor({ state: 'visible' });
    assert.ok(await desk.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth + 1), 'no horizontal overflow');
    assert.ok(await detail.getByTestId('ticket-action').first().isVisible());
  });

  test('an SLA breach is flagged in the console and in the supervisor\'s panel, in both languages', { timeout: TIMEOUT }, async (t) => {
    const sv = await openPage(t, '/desk/supervisor.html');
    await signIn(sv, SUPERVISOR, 'view-supervisor');
    const panel = sv.getByTestId('sv-breached-panel');
    await waitUntil(async () => /没有超时的工单/.test(await panel.textContent()), 'no breached tickets yet');

    const desk = await openPage(t, '/desk/');
    await signIn(desk, AGENT);
    await showTickets(desk);
    await desk.getByTestId('ticket-new').click();
    const form = desk.getByTestId('ticket-form');
    await form.waitFor();
    assert.equal(await form.getByTestId('nt-conversation').inputValue(), '', 'a plain new ticket has no conversation');
    await form.getByTestId('nt-type').selectOption('callback');
    await form.getByTestId('nt-priority').selectOption('high');
    await form.getByTestId('nt-subject').fill('客户要求立即回电');
    await form.getByTestId('nt-customer-ref').fill('c1002');
    await form.getByTestId('nt-submit').click();
    const detail = desk.getByTestId('ticket-detail');
    await waitUntil(async () => (await detail.getAttribute('data-loaded')) === 'true', 'the new ticket is shown');
    const id = await detail.getAttribute('data-ticket-id');
    // Assigned first, so the breach frame reaches this agent too (else only supervisors); then urgent, which
    // makes it due a few seconds after its creation (the server counts a new priority's SLA from then).
    await detail.getByTestId('ticket-assign-me').click();
    await waitUntil(async () => (await detail.getAttribute('data-assignee')) === AGENT.name, 'assigned to me');
    const dueBefore = await detail.locator('[data-testid="ticket-detail-due"] time').getAttribute('datetime');
    await detail.getByTestId('ticket-priority-select').selectOption('urgent');
    await detail.getByTestId('ticket-priority-apply').click();
    await waitUntil(async () => (await detail.getAttribute('data-priority')) === 'urgent', 'the priority is urgent');
    assert.ok(new Date(await detail.locator('[data-testid="ticket-detail-due"] time').getAttribute('datetime')) < new Date(dueBefore),
      'a higher priority brings the due time forward');

    // The SLA check flags it: the list, the ticket, its history and the switch's count say so, in words.
    await waitUntil(async () => (await ticketRows(desk)).some((r) => r.id === id && r.breached && r.flag === '!已超时'),
      'the list flags the breach', WAIT_MS + URGENT_SLA_S * 1000);
    await waitUntil(async () => (await detail.getAttribute('data-breached')) === 'true', 'the open ticket is read again');
    assert.ok((await ticketEvents(desk)).some((e) => e.kind === 'sla_breached' && e.actor === '系统' && /已超过 SLA 到期时间/.test(e.what)));
    assert.equal(await desk.getByTestId('nav-overdue-count').textContent(), '1');
    assert.equal(await desk.getByTestId('nav-overdue-count').getAttribute('aria-label'), '超时工单：1 张');
    assert.equal(await desk.locator(`[data-testid="ticket-row"][data-ticket-id="${id}"] [data-testid="ticket-breached"]`).getAttribute('title'), '已过 SLA 到期时间');
    await desk.getByTestId('tickets-filter-breached').check();
    await waitUntil(async () => {
      const rows = await ticketRows(desk);
      return rows.length === 1 && rows[0].id === id;
    }, '"overdue only" lists just this one');

    // The supervisor's panel lists it (breached=1), from the sla_breached frame.
    const svRow = sv.locator(`[data-testid="sv-breached-row"][data-ticket-id="${id}"]`);
    await svRow.waitFor();
    assert.equal(await sv.getByTestId('sv-breached-row').count(), 1);
    assert.equal(await svRow.getByTestId('sv-breached-subject').textContent(), '客户要求立即回电');
    assert.match(await svRow.textContent(), /已超时/);
    assert.match(await svRow.textContent(), /紧急/);
    assert.match(await svRow.textContent(), new RegExp(AGENT.display));
    assert.equal(await sv.getByTestId('sv-breached-count').textContent(), '1');

    // English: the labels change, the data stays.
    await desk.locator('[data-testid="language-switch"] [data-lang="en"]').click();
    assert.equal((await desk.getByTestId('nav-tickets').textContent()).replace(/\d+/g, '').trim(), 'Tickets');
    assert.equal((await desk.getByTestId('nav-chats').textContent()).replace(/\d+/g, '').trim(), 'Chats');
    assert.equal(await desk.locator('#tk-title').textContent(), 'Tickets');
    assert.deepEqual(await desk.locator('[data-testid="tickets-table"] thead th').allTextContents(),
      ['ID', 'Subject', 'Status', 'Priority', 'Due (SLA)', 'Assignee', 'Type']);
    assert.equal(await desk.locator('label[for="tk-f-breached"]').textContent(), 'Overdue only');
    const enRow = (await ticketRows(desk)).find((r) => r.id === id);
    assert.deepEqual([enRow.flag, enRow.status, enRow.assignee], ['!Overdue', 'New', AGENT.display]);
    assert.equal(await detail.getByTestId('ticket-detail-priority').textContent(), 'Urgent');
    assert.equal(await desk.locator('[data-testid="ticket-action"][data-to="open"]').textContent(), 'Start work');
    assert.ok((await ticketEvents(desk)).some((e) => e.kind === 'sla_breached' && e.actor === 'System' && /went past its SLA due time/.test(e.what)));
    assert.equal(await detail.getByTestId('comment-add').textContent(), 'Add');
    assert.equal(await desk.getByTestId('nav-overdue-count').getAttribute('aria-label'), 'Overdue tickets: 1');
    // A change's error is said in the current language too.
    const token = await staffToken(SUPERVISOR);
    await raceChange(desk, token, id, ['resolved']);
    await clickAction(desk, 'pending'); // resolved meanwhile: resolved → pending is not allowed
    await waitUntil(async () => /The ticket is now Resolved and cannot go to Pending/.test(await detail.getByTestId('ticket-error').textContent()),
      'the 409 in English');

    await sv.locator('[data-testid="language-switch"] [data-lang="en"]').click();
    assert.match(await panel.locator('h2').textContent(), /^Overdue tickets \(SLA breached\)/);
    assert.deepEqual(await sv.locator('[data-testid="sv-breached"] thead th').allTextContents(),
      ['ID', 'Subject', 'Type', 'Priority', 'Status', 'Assignee', 'Due (SLA)', 'Breached at']);
    // Resolved now: the panel (unsolved tickets only) lets it go on its next read.
    await waitUntil(async () => (await sv.getByTestId('sv-breached-row').count()) === 0 && /No overdue tickets/.test(await panel.textContent()),
      'a resolved ticket leaves the breach panel');

    // A breached ticket's id in the panel opens it in the console (/desk/#ticket=…).
    const other = await call(token, 'POST', '/tickets', { type: 'other', priority: 'urgent', subject: `回电 ${XSS}` });
    assert.equal(other.status, 201, JSON.stringify(other.body));
    const otherId = other.body.ticket.id;
    const link = sv.locator(`[data-testid="sv-breached-row"][data-ticket-id="${otherId}"] [data-testid="sv-breached-open"]`);
    await link.waitFor({ timeout: WAIT_MS + URGENT_SLA_S * 1000 });
    assert.equal(await sv.locator(`[data-testid="sv-breached-row"][data-ticket-id="${otherId}"] [data-testid="sv-breached-subject"]`).textContent(),
      `回电 ${XSS}`);
    assert.equal(await sv.locator('main img').count(), 0, 'the subject is text in the panel');
    assert.equal(await link.getAttribute('href'), `/desk/#ticket=${encodeURIComponent(otherId)}`);
    await link.click();
    await sv.getByTestId('view-desk').waitFor();
    const svDetail = sv.getByTestId('ticket-detail');
    await waitUntil(async () => (await svDetail.getAttribute('data-ticket-id')) === otherId && (await svDetail.getAttribute('data-loaded')) === 'true',
      'the console opens the linked ticket');
    assert.equal(await svDetail.getByTestId('ticket-detail-subject').textContent(), `回电 ${XSS}`);
    assert.equal(await svDetail.getByTestId('ticket-breached').textContent(), '!Overdue', 'the language carries over');
    assert.equal(await sv.locator('main img').count(), 0);
  });
});
