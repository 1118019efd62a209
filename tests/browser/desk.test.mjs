// Browser tests of the human desk (issue 6, docs/desk.md): the agent console (/desk/), the supervisor view
// (/desk/supervisor.html) and the widget's desk frames, with a customer page and a staff page in one browser
// (two contexts), against the real `kefu serve` (tests/lib/server.mjs) and Debian's Chromium.
//
//   cd /work/main && KEFU_WEB_ROOT=web/static node --test --test-concurrency=1 tests/browser/desk.test.mjs
//
// Staff members are made with the CLI (`kefu admin create-user`) on the server's own database. Every step
// waits on the DOM; the only fixed wait is the short window in which the bot must stay silent.
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
const SILENCE_MS = 2_500; // how long the bot must stay quiet after a customer message while an agent has the chat
const waitUntil = (fn, message, timeout = WAIT_MS) => waitUntilFor(fn, message, timeout);

const PASSWORD = 'desk-test-Passw0rd-42';
const AGENT = { name: 'li.na', display: '李娜' };
const SUPERVISOR = { name: 'wang.qiang', display: '王强' };
const LOCKED = { name: 'zhao.lei', display: '赵磊' };

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
  [LOCKED.name, '--role', 'agent', '--display-name', LOCKED.display, '--skills', 'general', '--languages', 'zh'],
];

async function createUsers(passwordFile) {
  const results = [];
  for (const u of USERS) results.push(await runCli(['admin', 'create-user', ...u, '--password-file', passwordFile]));
  return results;
}

before(async () => {
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'kefu-desk-test-'));
  const passwordFile = path.join(dataDir, 'password.txt');
  writeFileSync(passwordFile, PASSWORD, { mode: 0o600 });
  // Staff members before the start, so the server reads them with everything else; if the CLI needs the
  // database the server creates, make them right after the start instead.
  let made = await createUsers(passwordFile);
  const failed = made.some((r) => r.code !== 0);
  server = await startServer({ dataDir, env: { KEFU_SERVER_RATE_LIMIT_RPS: '0' } });
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
    // A 401 on /auth/me before sign-in and a refused socket during a reconnect are expected network noise.
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

async function goOnline(page) {
  const online = page.getByTestId('presence-online');
  if ((await online.getAttribute('aria-pressed')) !== 'true') await online.click();
  await waitUntil(async () => (await online.getAttribute('aria-pressed')) === 'true', 'presence online');
}

/** Opens the widget on the demo page and waits for the welcome message. */
async function openWidget(page) {
  await page.getByTestId('launcher').click();
  await page.getByTestId('panel').waitFor({ state: 'visible' });
  await page.locator('[data-testid="message"][data-seq="1"]').waitFor({ timeout: WAIT_MS });
}

/** The widget's rendered messages: [{role, seq, who, text}]. */
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

/** The console's messages in the visible chat: [{role, id, who, text, pending}]. */
function consoleMessages(panel) {
  return panel.getByTestId('message').evaluateAll((rows) => rows.map((r) => ({
    role: r.dataset.role,
    id: r.dataset.id ?? null,
    who: r.querySelector('[data-testid="message-who"]').textContent,
    text: r.querySelector('[data-testid="message-text"]').textContent,
    pending: r.dataset.pending === 'true',
  })));
}

const squash = (s) => String(s).replace(/[\s*]/g, '');

/** Waits until the chat reaches the console: an auto-assigned tab, or a queue entry to accept. */
async function receiveChat(console_) {
  await waitUntil(async () => (await console_.getByTestId('chat-tab').count()) > 0 || (await console_.getByTestId('accept').count()) > 0,
    'the chat reaches the agent (a tab opens or it waits in the queue); is the desk open (packs/demo/desk hours)?');
  if (!(await console_.getByTestId('chat-tab').count())) await console_.getByTestId('accept').first().click();
  const panel = console_.locator('[data-testid="chat-panel"]:not([hidden])');
  await panel.waitFor();
  await waitUntil(async () => (await panel.getAttribute('data-loaded')) === 'true', 'the chat detail is loaded');
  return { panel, chatId: await panel.getAttribute('data-chat-id') };
}

/** A staff bearer token from POST /api/v1/auth/login (as an API client would use it). */
async function staffToken(who) {
  const res = await fetch(`${server.baseUrl}/api/v1/auth/login`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: who.name, password: PASSWORD }),
  });
  const body = await res.json();
  assert.equal(res.status, 200, JSON.stringify(body));
  assert.equal(typeof body.token, 'string');
  return body.token;
}

async function serverMessages(page) {
  const { state } = await page.evaluate(() => window.KefuWidget.__test.state());
  const res = await fetch(`${server.baseUrl}/api/v1/conversations/${state.conversationId}/messages?limit=200`, {
    headers: { Authorization: `Bearer ${state.accessToken}` },
  });
  assert.equal(res.status, 200);
  return (await res.json()).messages;
}

const staffName = (x) => (typeof x === 'string' ? x : x?.name);

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('human desk: agent console, supervisor view and the widget', () => {
  test('sign-in errors are shown in both languages: wrong password (401) and a locked account (423)', { timeout: TIMEOUT }, async (t) => {
    const page = await openPage(t, '/desk/');
    await page.getByTestId('view-signin').waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    assert.equal(await page.locator('label[for="signin-name"]').textContent(), '用户名');

    await page.getByTestId('signin-name').fill(AGENT.name);
    await page.getByTestId('signin-password').fill('not-the-password');
    await page.getByTestId('sign-in').click();
    const error = page.getByTestId('signin-error');
    await waitUntil(async () => (await error.isVisible()) && (await error.textContent()) === '用户名或密码不正确。', 'the 401 message');
    await page.locator('[data-testid="language-switch"] [data-lang="en"]').click();
    assert.equal(await error.textContent(), 'Wrong user name or password.');
    assert.equal(await page.locator('label[for="signin-password"]').textContent(), 'Password');
    assert.equal(await page.getByTestId('signin-password').inputValue(), '', 'the password field is cleared');

    // Five wrong passwords lock the account; then even the right one gets 423 with the time to wait.
    for (let i = 0; i < 5; i++) {
      await fetch(`${server.baseUrl}/api/v1/auth/login`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: LOCKED.name, password: `wrong-${i}` }),
      });
    }
    await page.getByTestId('signin-name').fill(LOCKED.name);
    await page.getByTestId('signin-password').fill(PASSWORD);
    await page.getByTestId('sign-in').click();
    await waitUntil(async () => /locked\. Try again in \d+ min/.test(await error.textContent()), 'the 423 message');
    await page.locator('[data-testid="language-switch"] [data-lang="zh"]').click();
    assert.match(await error.textContent(), /账号已被临时锁定，请在 \d+ 分钟后重试/);
    assert.equal(await page.getByTestId('view-desk').isVisible(), false);
    const cookies = await page.context().cookies();
    assert.equal(cookies.filter((c) => c.name === 'kefu_session').length, 0, 'no session cookie without a sign-in');
  });

  test('hand-off: the agent takes the chat, sees the context, replies; the bot stays silent; end, survey, CSAT stored', { timeout: TIMEOUT }, async (t) => {
    // The agent signs in (the session lives in an HttpOnly cookie, never in storage) and goes online.
    const desk = await openPage(t, '/desk/');
    await signIn(desk, AGENT);
    const cookie = (await desk.context().cookies()).find((c) => c.name === 'kefu_session');
    assert.ok(cookie, 'the session cookie is set');
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    const webStorage = await desk.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    assert.ok(!webStorage.includes(cookie.value), 'the session token is not kept in web storage');
    await goOnline(desk);

    // The customer asks for a person in Chinese.
    const customer = await openPage(t, '/', { widget: true });
    await openWidget(customer);
    const handoff = await customerSays(customer, '转人工');
    const deskStatus = customer.getByTestId('desk-status');
    await waitUntil(async () => (await deskStatus.isVisible()) && /正在为您转接人工客服|客服 李娜 为您服务/.test(await deskStatus.textContent()),
      'the widget says the chat is being passed to a person');

    // The chat reaches the agent with its context.
    const { panel, chatId } = await receiveChat(desk);
    assert.match(chatId, /\S/);
    await waitUntil(async () => (await deskStatus.textContent()) === '客服 李娜 为您服务', 'the widget names the agent');
    assert.equal(await customer.getByTestId('queue-position').isVisible(), false, 'no queue line once assigned');
    await waitUntil(async () => (await consoleMessages(panel)).some((m) => m.role === 'customer' && m.text === '转人工'),
      'the console transcript holds the hand-off request');
    const before = await consoleMessages(panel);
    assert.ok(before.some((m) => m.role === 'bot'), 'the bot part of the conversation is shown too');
    assert.ok(new Set(before.map((m) => m.who)).size >= 2, 'customer and bot messages are labelled apart');
    const side = desk.locator('[data-testid="customer-panel"]:visible');
    const verification = side.getByTestId('verification');
    assert.equal(await verification.getAttribute('data-verified'), 'false', 'a web visitor is not verified');
    assert.equal(await verification.getByTestId('verification-state').textContent(), '未验证');
    await side.getByTestId('understanding-item').filter({ hasText: '转人工' }).first().waitFor();
    assert.equal(await side.getByTestId('no-profile').count(), 1, 'no profile before verification');
    assert.ok(await side.getByTestId('sentiment-trend').isVisible());
    assert.ok(await side.getByTestId('notes').isVisible());

    // A canned reply, sent directly; the customer gets it from the named agent.
    await panel.getByTestId('canned-button').click();
    const item = panel.getByTestId('canned-item').first();
    await item.waitFor();
    const cannedText = await item.getByTestId('canned-text').textContent();
    assert.ok(cannedText.trim(), 'the canned reply has text');
    assert.ok(!/\{(customer|agent)\.name\}/.test(cannedText), `variables are filled: ${cannedText}`);
    await item.getByTestId('canned-send').click();
    await waitUntil(async () => (await consoleMessages(panel)).some((m) => m.role === 'agent' && !m.pending && squash(m.text) === squash(cannedText)),
      'the canned reply is stored and shown in the console');
    await waitUntil(async () => (await widgetMessages(customer)).some((m) => m.role === 'agent' && squash(m.text) === squash(cannedText)),
      'the customer sees the canned reply');
    const agentRow = (await widgetMessages(customer)).find((m) => m.role === 'agent');
    assert.equal(agentRow.who, AGENT.display, 'the agent message names the agent');

    // A typed reply: Shift+Enter is a new line, Enter sends. The first try fails on the network: the console
    // tries again by itself, with the same client_message_id (the server stores a reply once per id).
    const posted = [];
    const replies = '**/api/v1/desk/chats/*/messages';
    await desk.route(replies, async (route) => {
      posted.push(JSON.parse(route.request().postData()).client_message_id);
      if (posted.length === 1) await route.abort('connectionreset');
      else await route.continue();
    });
    const input = panel.getByTestId('composer-input');
    await input.click();
    await input.pressSequentially('请稍等');
    await input.press('Shift+Enter');
    await input.pressSequentially('我帮您查一下');
    assert.equal(await input.inputValue(), '请稍等\n我帮您查一下');
    await input.press('Enter');
    assert.equal(await input.inputValue(), '', 'the composer is cleared after sending');
    await waitUntil(async () => (await widgetMessages(customer)).some((m) => m.role === 'agent' && squash(m.text) === '请稍等我帮您查一下'),
      'the customer sees the typed reply');
    await waitUntil(async () => !(await consoleMessages(panel)).some((m) => m.pending), 'no reply is left pending in the console');
    await desk.unroute(replies);
    assert.ok(posted.length >= 2, `the reply was retried: ${JSON.stringify(posted)}`);
    assert.equal(new Set(posted).size, 1, 'every try carries the same client_message_id');
    const ids = (await consoleMessages(panel)).map((m) => m.id);
    assert.equal(new Set(ids).size, ids.length, 'each message is shown once (REST answer and socket event de-duplicated)');
    assert.equal((await widgetMessages(customer)).filter((m) => m.role === 'agent').length, 2, 'two agent messages, no duplicates');

    // The customer writes again: the agent sees it live, and the bot stays silent.
    const botsBefore = (await widgetMessages(customer)).filter((m) => m.role === 'bot').length;
    const question = await customerSays(customer, '我的信用卡账单是多少？');
    await waitUntil(async () => (await consoleMessages(panel)).some((m) => m.role === 'customer' && m.text === '我的信用卡账单是多少？'),
      'the agent sees the customer message live');
    await customer.waitForTimeout(SILENCE_MS);
    const botsAfter = (await widgetMessages(customer)).filter((m) => m.role === 'bot').length;
    assert.equal(botsAfter, botsBefore, 'no bot reply while an agent has the chat');
    const stored = await serverMessages(customer);
    assert.equal(stored.filter((m) => m.role === 'bot' && m.in_reply_to === question.seq).length, 0, 'no bot reply stored either');
    assert.ok(stored.filter((m) => m.role === 'bot' && m.in_reply_to === handoff.seq).length <= 1);

    // Customer text is text in the console: no element is made from it, nothing runs.
    const xss = '<img src=x onerror=alert(1)>';
    await customerSays(customer, xss);
    await waitUntil(async () => (await consoleMessages(panel)).some((m) => m.role === 'customer' && m.text === xss), 'the markup shows as text');
    await side.getByTestId('understanding-item').filter({ hasText: '<img' }).first().waitFor();
    assert.equal(await desk.locator('main img').count(), 0, 'no <img> element was created');

    // An internal note: shown to staff, marked internal, never sent to the customer.
    const note = '客户要求加急处理（内部）';
    await side.getByTestId('note-input').fill(note);
    await side.getByTestId('note-add').click();
    const noteRow = side.getByTestId('note').filter({ hasText: note });
    await noteRow.waitFor();
    assert.match(await noteRow.textContent(), /内部/);
    assert.equal((await widgetMessages(customer)).some((m) => m.text.includes(note)), false, 'the note is not in the customer transcript');

    // A reload keeps the session (GET /auth/me) and brings the chat back (GET /desk/chats?mine=1).
    await desk.reload();
    await desk.getByTestId('view-desk').waitFor();
    assert.equal(await desk.getByTestId('view-signin').isVisible(), false, 'no second sign-in');
    const again = desk.locator(`[data-testid="chat-panel"][data-chat-id="${chatId}"]`);
    await again.waitFor();
    await waitUntil(async () => (await consoleMessages(again)).some((m) => m.text === xss), 'the transcript is read again');
    assert.equal(await desk.locator('[data-testid="customer-panel"]:visible').getByTestId('note').filter({ hasText: note }).count(), 1,
      'the note is stored');

    // The transfer box lists the agents who could take the chat (GET /desk/agents): nobody else is online.
    await again.getByTestId('transfer').click();
    const target = again.getByTestId('transfer-agent');
    await waitUntil(async () => (await target.locator('option').count()) === 1 && await target.isDisabled(),
      'the agent list is loaded');
    assert.equal(await target.locator('option').first().textContent(), '目前没有其他在线且有空闲的客服，可以转回技能队列。');
    await again.getByTestId('transfer').click();  // closes it

    // The agent ends the chat with a wrap-up code.
    await again.getByTestId('end-chat').click();
    const wrapUp = again.getByTestId('wrap-up');
    await waitUntil(async () => (await wrapUp.locator('option').count()) > 1, 'the wrap-up codes are loaded');
    await again.getByTestId('end-confirm').click();
    await waitUntil(async () => (await again.getByTestId('end-error').textContent()).length > 0, 'a wrap-up code is required');
    const code = await wrapUp.locator('option').nth(1).getAttribute('value');
    await wrapUp.selectOption(code);
    await again.getByTestId('end-confirm').click();
    await waitUntil(async () => (await desk.locator(`[data-testid="chat-tab"][data-chat-id="${chatId}"]`).count()) === 0, 'the tab closes');
    await desk.getByTestId('flash').waitFor();

    // The customer rates the chat: five stars and a comment.
    const survey = customer.getByTestId('csat-survey');
    await survey.waitFor();
    assert.equal(await survey.getAttribute('data-chat-id'), chatId);
    await waitUntil(async () => !(await deskStatus.isVisible()), 'the desk status line goes when the bot is back');
    // A reload does not lose the survey: the resumed widget asks the server whether one is still owed.
    const reopen = async () => {
      await customer.reload();
      await customer.locator('[data-testid="message"][data-seq="1"]').waitFor({ state: 'attached', timeout: WAIT_MS });
      if (!(await customer.getByTestId('panel').isVisible())) await customer.getByTestId('launcher').click();
      await customer.getByTestId('panel').waitFor({ state: 'visible' });
    };
    const owed = customer.waitForResponse((r) => r.url().endsWith('/csat') && r.request().method() === 'GET',
      { timeout: WAIT_MS });
    await reopen();
    assert.equal((await (await owed).json()).pending.chat_id, chatId);
    await survey.waitFor();
    assert.equal(await survey.getAttribute('data-chat-id'), chatId, 'the same survey after a reload');
    assert.equal(await customer.getByTestId('csat-submit').isDisabled(), true, 'a score is needed first');
    assert.equal(await customer.getByTestId('csat-star-5').getAttribute('aria-label'), '5 星，非常满意');
    await customer.getByTestId('csat-star-5').click();
    assert.equal(await customer.getByTestId('csat-star-5').getAttribute('aria-pressed'), 'true');
    await customer.getByTestId('csat-comment').fill('李娜很专业');
    await customer.getByTestId('csat-submit').click();
    const thanks = customer.getByTestId('csat-thanks');
    await thanks.waitFor();
    assert.equal(await thanks.textContent(), '谢谢您的评价');
    // Once answered, a reload shows it no more (after the widget has asked).
    const asked = customer.waitForResponse((r) => r.url().endsWith('/csat') && r.request().method() === 'GET',
      { timeout: WAIT_MS });
    await reopen();
    const recheck = await (await asked).json();
    assert.equal(recheck.pending, null);
    assert.equal(await customer.getByTestId('csat-survey').count(), 0, 'an answered survey is not shown again');

    // The answer is stored: GET /desk/csat with a supervisor's bearer token.
    const token = await staffToken(SUPERVISOR);
    const res = await fetch(`${server.baseUrl}/api/v1/desk/csat`, { headers: { Authorization: `Bearer ${token}` } });
    const csat = await res.json();
    assert.equal(res.status, 200, JSON.stringify(csat));
    const answer = csat.responses.find((r) => r.chat_id === chatId);
    assert.ok(answer, `the CSAT for ${chatId} is stored: ${JSON.stringify(csat)}`);
    assert.equal(answer.score, 5);
    assert.equal(answer.comment, '李娜很专业');
    assert.equal(staffName(answer.agent), AGENT.name);
    assert.ok(csat.count >= 1);
  });

  test('supervisor: sees the agent online with load 1 and watches the chat read-only, live', { timeout: TIMEOUT }, async (t) => {
    const desk = await openPage(t, '/desk/');
    await signIn(desk, AGENT);
    await goOnline(desk);
    const customer = await openPage(t, '/', { widget: true });
    await openWidget(customer);
    await customerSays(customer, '转人工');
    const { panel, chatId } = await receiveChat(desk);

    // An agent may not use the supervisor view.
    const wrongRole = await openPage(t, '/desk/supervisor.html', { locale: 'en-US' });
    await wrongRole.getByTestId('signin-name').fill(AGENT.name);
    await wrongRole.getByTestId('signin-password').fill(PASSWORD);
    await wrongRole.getByTestId('sign-in').click();
    await waitUntil(async () => /needs the supervisor role \(yours: agent\)/.test(await wrongRole.getByTestId('signin-error').textContent()),
      'the supervisor view refuses an agent');

    const sv = await openPage(t, '/desk/supervisor.html');
    await signIn(sv, SUPERVISOR, 'view-supervisor');
    const agentRow = sv.locator(`[data-testid="ov-agent"][data-name="${AGENT.name}"]`);
    await waitUntil(async () => (await agentRow.count()) === 1
      && (await agentRow.getByTestId('agent-presence').getAttribute('data-presence')) === 'online'
      && (await agentRow.getByTestId('agent-load').getAttribute('data-active')) === '1', 'the agent is online with one chat');
    assert.match(await agentRow.getByTestId('agent-load').textContent(), /1 \/ \d+/);
    assert.match(await agentRow.textContent(), /李娜/);
    assert.match(await agentRow.getByTestId('agent-presence').textContent(), /在线/);
    assert.match(await sv.getByTestId('csat-count').textContent(), /^\d+$/);

    // The chat opens read-only, with live customer messages and no way to write.
    const row = sv.locator(`[data-testid="sv-chat"][data-chat-id="${chatId}"]`);
    await row.waitFor();
    assert.equal(await row.getByTestId('sv-chat-agent').textContent(), AGENT.display);
    await row.getByTestId('watch-chat').click();
    const watch = sv.getByTestId('watch-panel');
    await watch.waitFor();
    await waitUntil(async () => (await watch.getAttribute('data-loaded')) === 'true', 'the chat detail is loaded');
    await waitUntil(async () => (await consoleMessages(watch)).some((m) => m.role === 'customer' && m.text === '转人工'), 'the transcript');
    assert.ok(await watch.getByTestId('readonly-note').isVisible());
    assert.equal(await sv.getByTestId('composer-input').count(), 0, 'no composer');
    assert.equal(await sv.getByTestId('note-input').count(), 0, 'no note form');
    assert.equal(await watch.getByTestId('verification').getAttribute('data-verified'), 'false');
    await customerSays(customer, '请问还要等多久？');
    await waitUntil(async () => (await consoleMessages(watch)).some((m) => m.role === 'customer' && m.text === '请问还要等多久？'),
      'the supervisor sees the new customer message live');

    // The agent returns the conversation to the bot; the supervisor sees the load go back to 0.
    await panel.getByTestId('return-bot').click();
    await panel.getByTestId('return-confirm').click();
    await waitUntil(async () => (await desk.locator(`[data-testid="chat-tab"][data-chat-id="${chatId}"]`).count()) === 0, 'the tab closes');
    await waitUntil(async () => (await agentRow.getByTestId('agent-load').getAttribute('data-active')) === '0', 'the load drops to 0');
    await waitUntil(async () => !(await customer.getByTestId('desk-status').isVisible()), 'the widget is back with the bot');
    assert.equal(await customer.getByTestId('csat-survey').count(), 0, 'no survey after a hand-back');

    // Signing out ends the session: a reload asks for the password again.
    await sv.getByTestId('sign-out').click();
    await sv.getByTestId('view-signin').waitFor();
    await sv.reload();
    await sv.getByTestId('view-signin').waitFor();
  });
});
