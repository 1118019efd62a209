// Browser tests of the embeddable chat widget (web/static/widget/kefu-widget.js) on the demo page,
// against the real `kefu serve` (tests/lib/server.mjs) and Debian's Chromium via playwright-core.
//
//   cd /work/main && node --test tests/browser/
//   KEFU_WEB_ROOT=web/static node --test tests/browser/   # serve the widget from disk, no rebuild
//
// Env: KEFU_BIN (server binary), CHROMIUM (browser, default /usr/bin/chromium).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, waitUntil as waitUntilFor } from '../lib/browser.mjs';
import http from 'node:http';
import { freePort, startServer } from '../lib/server.mjs';

const TIMEOUT = 60_000;
const WAIT_MS = 10_000;
const waitUntil = (fn, message, timeout = WAIT_MS) => waitUntilFor(fn, message, timeout);

let server;
let browser;

before(async () => {
  server = await startServer({ env: { KEFU_SERVER_RATE_LIMIT_RPS: '0' } });
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

/** A fresh browser context (own localStorage) on the demo page, with the widget's test hooks on. */
async function openDemo(t, { locale = 'zh-CN', viewport = { width: 1280, height: 800 }, ...rest } = {}) {
  const context = await browser.newContext({ locale, viewport, ...rest });
  await context.addInitScript(() => { window.__KEFU_TEST__ = true; });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  t.after(async () => {
    await context.close();
    assert.deepEqual(errors, [], 'uncaught errors in the page');
  });
  const res = await page.goto(`${server.baseUrl}/`);
  assert.equal(res.status(), 200);
  await page.getByTestId('launcher').waitFor();
  return page;
}

async function openWidget(page) {
  if (!(await page.getByTestId('panel').isVisible())) await page.getByTestId('launcher').click();
  await page.getByTestId('panel').waitFor({ state: 'visible' });
  // The welcome message (seq 1) arrives with `opened`.
  await page.locator('[data-testid="message"][data-seq="1"]').waitFor({ timeout: WAIT_MS });
}

/** All rendered messages in order: [{role, seq, id, text, pending, inReplyTo}]. */
function transcript(page) {
  return page.getByTestId('message').evaluateAll((rows) => rows.map((r) => ({
    role: r.dataset.role,
    seq: r.dataset.seq === undefined ? null : Number(r.dataset.seq),
    id: r.dataset.id ?? null,
    text: r.querySelector('[data-testid="message-text"]').textContent,
    pending: r.dataset.pending === 'true',
    inReplyTo: r.dataset.inReplyTo === undefined ? null : Number(r.dataset.inReplyTo),
  })));
}

async function typeAndSend(page, text) {
  await page.getByTestId('input').fill(text);
  await page.getByTestId('send').click();
}

/**
 * Waits until the customer message `text` is acknowledged (has a seq) and a bot reply to it
 * (in_reply_to = its seq) is shown; returns {customer, replies}.
 */
async function waitForReply(page, text) {
  return waitUntil(async () => {
    const rows = await transcript(page);
    const customer = rows.find((r) => r.role === 'customer' && r.text === text && r.seq !== null);
    if (!customer) return null;
    const replies = rows.filter((r) => r.role === 'bot' && r.inReplyTo === customer.seq);
    return replies.length ? { customer, replies } : null;
  }, `a bot reply to ${JSON.stringify(text)}`);
}

function assertNoDuplicates(rows) {
  const seqs = rows.map((r) => r.seq).filter((s) => s !== null);
  assert.equal(new Set(seqs).size, seqs.length, `duplicate seqs in ${JSON.stringify(seqs)}`);
  const ids = rows.map((r) => r.id).filter((s) => s !== null);
  assert.equal(new Set(ids).size, ids.length, 'duplicate message ids');
  assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'messages are not in seq order');
}

function widgetState(page) {
  return page.evaluate(() => window.KefuWidget.__test.state());
}

/** The server's own transcript of the widget's conversation, read over REST. */
async function serverTranscript(page) {
  const { state } = await widgetState(page);
  const res = await fetch(`${server.baseUrl}/api/v1/conversations/${state.conversationId}/messages`, {
    headers: { Authorization: `Bearer ${state.accessToken}` },
  });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.has_more, false, 'these transcripts fit in the default page');
  return body.messages;
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('chat widget on the demo page', () => {
  test('the demo page embeds the widget with one script tag and needs nothing external', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    assert.match(await page.title(), /客服演示银行/);
    assert.match(await page.title(), /Kefu Demo Bank/);
    const scripts = await page.$$eval('script[src]', (s) => s.map((x) => x.getAttribute('src')));
    assert.deepEqual(scripts, ['/widget/kefu-widget.js']);
    const external = await page.evaluate(() => performance.getEntriesByType('resource')
      .map((e) => e.name).filter((u) => !u.startsWith(location.origin) && !u.startsWith('ws')));
    assert.deepEqual(external, []);
    const api = await page.evaluate(() => ['open', 'close', 'setLanguage'].map((k) => typeof window.KefuWidget[k]));
    assert.deepEqual(api, ['function', 'function', 'function']);
  });

  test('open the widget, send a message and see the bot reply', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    assert.equal(await page.getByTestId('panel').isVisible(), false);
    await page.getByTestId('launcher').click();
    const panel = page.getByTestId('panel');
    await panel.waitFor({ state: 'visible' });
    assert.equal(await panel.getAttribute('role'), 'dialog');
    assert.ok(await panel.getAttribute('aria-label'));
    assert.equal(await page.getByTestId('message-list').getAttribute('role'), 'log');
    assert.equal(await page.getByTestId('message-list').getAttribute('aria-live'), 'polite');

    await page.locator('[data-testid="message"][data-seq="1"][data-role="bot"]').waitFor();
    await typeAndSend(page, '查询余额');
    const started = Date.now();
    const { customer, replies } = await waitForReply(page, '查询余额');
    t.diagnostic(`bot reply shown ${Date.now() - started} ms after sending`);
    assert.equal(customer.pending, false);
    assert.ok(replies[0].text.trim().length > 0, 'the reply has text');
    assert.equal(await page.getByTestId('input').inputValue(), '', 'the input is cleared after sending');
    assert.equal(await page.getByTestId('connection-status').getAttribute('data-state'), 'online');
    assertNoDuplicates(await transcript(page));
  });

  test('a quick reply button sends its payload and gets a reply', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    await openWidget(page);
    const visibleQuickReplies = page.locator('[data-testid="quick-replies"]:not([hidden]) [data-testid="quick-reply"]');
    if (!(await visibleQuickReplies.count())) {
      // No suggestions on the greeting: ask something that should come with some.
      await typeAndSend(page, '你好');
      await waitForReply(page, '你好');
    }
    const button = visibleQuickReplies.first();
    await button.waitFor({ timeout: WAIT_MS });
    const payload = await button.getAttribute('data-payload');
    assert.ok(payload, 'the quick reply carries its payload');
    await button.click();
    const { customer } = await waitForReply(page, payload);
    assert.equal(customer.role, 'customer');
    const rows = await transcript(page);
    assert.equal(rows.filter((r) => r.role === 'customer' && r.text === payload).length, 1);
    // The suggestions of an answered turn are hidden.
    const stale = await page.locator(`[data-testid="message"][data-seq]`).evaluateAll((els, seq) => els
      .filter((e) => Number(e.dataset.seq) < seq)
      .some((e) => { const g = e.querySelector('[data-testid="quick-replies"]'); return g && !g.hidden; }), customer.seq);
    assert.equal(stale, false, 'quick replies before the customer answer are hidden');
  });

  test('the language switch changes every UI string, is remembered and sets the new conversation language', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t, { locale: 'zh-CN' });
    await openWidget(page);
    const title = page.locator('#kefu-title');
    const input = page.getByTestId('input');
    const send = page.getByTestId('send');
    assert.equal(await title.textContent(), '在线客服');
    assert.equal(await input.getAttribute('placeholder'), '请输入您的问题…');
    assert.equal(await send.getAttribute('aria-label'), '发送');
    assert.equal(await page.locator('label[for="kefu-input"]').textContent(), '输入您的问题');
    assert.equal(await page.getByTestId('panel').getAttribute('lang'), 'zh-CN');
    const { state: before } = await widgetState(page);

    await page.locator('[data-testid="language-switch"] [data-lang="en"]').click();
    assert.equal(await title.textContent(), 'Customer service');
    assert.equal(await input.getAttribute('placeholder'), 'Type your question…');
    assert.equal(await send.getAttribute('aria-label'), 'Send');
    assert.equal(await page.locator('label[for="kefu-input"]').textContent(), 'Type your question');
    assert.equal(await page.getByTestId('close').getAttribute('aria-label'), 'Close');
    assert.equal(await page.getByTestId('panel').getAttribute('aria-label'), 'Customer service chat');
    assert.equal(await page.locator('[data-lang="en"]').getAttribute('aria-pressed'), 'true');
    assert.equal(await page.locator('[data-lang="zh"]').getAttribute('aria-pressed'), 'false');

    // Nothing was said yet, so the widget starts over in English: the server records language en.
    const after = await waitUntil(async () => {
      const { state } = await widgetState(page);
      return state.conversationId && state.conversationId !== before.conversationId ? state : null;
    }, 'a new conversation in the new language');
    const res = await fetch(`${server.baseUrl}/api/v1/conversations/${after.conversationId}`, {
      headers: { Authorization: `Bearer ${after.accessToken}` },
    });
    assert.equal(res.status, 200);
    assert.equal((await res.json()).conversation.language, 'en');

    await page.reload();
    await page.getByTestId('launcher').waitFor();
    await openWidget(page);
    assert.equal(await page.locator('#kefu-title').textContent(), 'Customer service', 'the choice survives a reload');
  });

  test('an English browser gets the English UI', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t, { locale: 'en-US' });
    assert.equal(await page.getByTestId('launcher').getAttribute('aria-label'), 'Open customer service chat');
    await openWidget(page);
    assert.equal(await page.locator('#kefu-title').textContent(), 'Customer service');
    assert.equal(await page.getByTestId('launcher').getAttribute('aria-label'), 'Close customer service chat');
  });

  test('a reload shows the earlier history once', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    await openWidget(page);
    await typeAndSend(page, '查询余额');
    await waitForReply(page, '查询余额');
    await typeAndSend(page, 'what are your branch hours');
    await waitForReply(page, 'what are your branch hours');
    const before = await transcript(page);
    assertNoDuplicates(before);

    await page.reload();
    await page.getByTestId('launcher').waitFor();
    await openWidget(page);
    const afterReload = await waitUntil(async () => {
      const rows = await transcript(page);
      return rows.length >= before.length ? rows : null;
    }, 'the history after reload');
    assert.deepEqual(afterReload.map(({ role, seq, text }) => ({ role, seq, text })),
      before.map(({ role, seq, text }) => ({ role, seq, text })));
    assertNoDuplicates(afterReload);
    // Still talking in the same conversation.
    await typeAndSend(page, '我的卡丢了');
    const { customer } = await waitForReply(page, '我的卡丢了');
    assert.ok(customer.seq > before.at(-1).seq);
    assertNoDuplicates(await transcript(page));
  });

  test('customer text is shown literally and never parsed as HTML', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    const dialogs = [];
    page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
    await openWidget(page);
    const evil = '<img src=x onerror=alert(1)>';
    await typeAndSend(page, evil);
    await waitForReply(page, evil);
    const customerText = await page.locator('[data-testid="message"][data-role="customer"] [data-testid="message-text"]').first();
    assert.equal(await customerText.textContent(), evil);
    assert.equal(await customerText.evaluate((el) => el.childElementCount), 0);
    const images = await page.evaluate(() => document.querySelectorAll('img').length +
      document.getElementById('kefu-widget').shadowRoot.querySelectorAll('img').length);
    assert.equal(images, 0, 'no <img> element was created');
    const links = await page.locator('[data-testid="message-text"] a').evaluateAll((as) => as.map((a) => ({
      protocol: new URL(a.href).protocol, rel: a.rel, target: a.target })));
    for (const l of links) {
      assert.match(l.protocol, /^https?:$/);
      assert.equal(l.rel, 'noopener noreferrer');
      assert.equal(l.target, '_blank');
    }
    await page.waitForTimeout(200);
    assert.deepEqual(dialogs, []);
  });

  test('typing indicator, agent and system messages, and the bot Markdown subset', { timeout: TIMEOUT }, async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN', viewport: { width: 1280, height: 800 } });
    t.after(() => context.close());
    const page = await context.newPage();
    // Stand between the page and the server so the test can add server frames of its own.
    let toPage;
    await page.routeWebSocket(/\/api\/v1\/ws$/, (ws) => { toPage = ws; ws.connectToServer(); });
    await page.goto(`${server.baseUrl}/`);
    await openWidget(page);
    await typeAndSend(page, '查询余额');
    await waitForReply(page, '查询余额');

    const typing = page.getByTestId('typing-indicator');
    toPage.send(JSON.stringify({ type: 'typing', role: 'agent', state: true }));
    await typing.waitFor({ state: 'visible' });
    assert.equal(await typing.textContent(), '客服正在输入…');
    const now = new Date().toISOString();
    toPage.send(JSON.stringify({ type: 'message', message: { id: 'msg_test_system', seq: 100000, role: 'system',
      text: '已为您转接人工客服', client_message_id: null, created_at: now, in_reply_to: null } }));
    toPage.send(JSON.stringify({ type: 'message', message: { id: 'msg_test_agent', seq: 100001, role: 'agent',
      text: '**您好**，请看[帮助](https://example.com/help)和[别点](javascript:alert(1))\n- 第一\n- 第二 <b>x</b>\n\n*提示*：[致电](tel:4000000000) 2 * 3 * 4\n1. 甲\n2. 乙',
      client_message_id: null, created_at: now, in_reply_to: null } }));
    const agent = page.locator('[data-testid="message"][data-role="agent"]');
    await agent.waitFor();
    await typing.waitFor({ state: 'hidden' });
    assert.equal(await agent.locator('.who').textContent(), '人工客服', 'agent messages carry a visible role label');
    const body = agent.getByTestId('message-text');
    assert.equal(await body.locator('strong').textContent(), '您好');
    const links = await body.locator('a').evaluateAll((as) => as.map((a) => [a.textContent, a.href, a.rel, a.target]));
    assert.deepEqual(links, [['帮助', 'https://example.com/help', 'noopener noreferrer', '_blank'],
      ['致电', 'tel:4000000000', 'noopener noreferrer', '_blank']]);
    assert.match(await body.textContent(), /\[别点\]\(javascript:alert\(1\)\)/, 'a javascript: link stays plain text');
    assert.deepEqual(await body.locator('ul > li').allTextContents(), ['第一', '第二 <b>x</b>']);
    assert.deepEqual(await body.locator('ol > li').allTextContents(), ['甲', '乙']);
    assert.equal(await body.locator('em').textContent(), '提示');
    assert.match(await body.textContent(), /2 \* 3 \* 4/, 'lone asterisks stay as typed');
    assert.equal(await body.locator('b').count(), 0);
    assert.equal(await page.locator('[data-testid="message"][data-role="system"]').count(), 1);

    // Customer messages sit on the right, bot and agent messages on the left, in different colours.
    const box = async (sel) => page.locator(`${sel} [data-testid="message-text"]`).first().boundingBox();
    const panel = await page.getByTestId('panel').boundingBox();
    const mine = await box('[data-role="customer"]');
    const bot = await box('[data-role="bot"]');
    const system = await box('[data-role="system"]');
    assert.ok(panel.x + panel.width - (mine.x + mine.width) < 30, 'customer bubble at the right');
    assert.ok(bot.x - panel.x < 30, 'bot bubble at the left');
    assert.ok(Math.abs((system.x + system.width / 2) - (panel.x + panel.width / 2)) < 20, 'system message centred');
    const colours = await page.evaluate(() => ['customer', 'bot', 'agent'].map((r) => getComputedStyle(document
      .getElementById('kefu-widget').shadowRoot.querySelector(`[data-role="${r}"] [data-testid="message-text"]`)).backgroundColor));
    assert.equal(new Set(colours).size, 3, `distinct bubble colours: ${colours}`);
  });

  test('embedded on another site, the widget talks to its own server and ignores the host page CSS', { timeout: TIMEOUT }, async (t) => {
    const hostile = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Another site</title><style>
      * { font-size: 40px !important; color: #f0f !important; background: #0f0 !important; line-height: 3 !important; }
      button { width: 10px !important; height: 10px !important; border: 9px solid red !important; }
      div, section, body > * { display: block !important; position: static !important; transform: scale(.5); }
    </style></head><body><h1>Some other bank page</h1>
    <script src="${server.baseUrl}/widget/kefu-widget.js" data-language="en" defer></script></body></html>`;
    const port = await freePort();
    const site = http.createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }); res.end(hostile); });
    await new Promise((r) => site.listen(port, 'localhost', r));
    t.after(() => new Promise((r) => site.close(r)));

    const context = await browser.newContext({ locale: 'zh-CN' });
    await context.addInitScript(() => { window.__KEFU_TEST__ = true; });
    t.after(() => context.close());
    const page = await context.newPage();
    await page.goto(`http://localhost:${port}/`);
    assert.equal(await page.evaluate(() => window.KefuWidget.__test.wsUrl), `${server.wsUrl}`);
    const launcher = await page.getByTestId('launcher').boundingBox();
    assert.equal(Math.round(launcher.width), 60);
    assert.equal(Math.round(launcher.height), 60);
    await openWidget(page);
    assert.equal(await page.locator('#kefu-title').textContent(), 'Customer service', 'data-language="en" applies');
    const style = await page.getByTestId('send').evaluate((el) => {
      const cs = getComputedStyle(el);
      return { bg: cs.backgroundColor, w: cs.width, font: getComputedStyle(el.getRootNode().querySelector('[data-testid="input"]')).fontSize };
    });
    assert.deepEqual(style, { bg: 'rgb(10, 77, 140)', w: '44px', font: '16px' });
    await typeAndSend(page, 'what are your branch hours');
    await waitForReply(page, 'what are your branch hours');
    const text = await page.getByTestId('message-text').first().evaluate((el) => {
      const cs = getComputedStyle(el);
      return [cs.fontSize, cs.color, cs.fontFamily.startsWith('-apple-system')];
    });
    assert.deepEqual(text, ['15px', 'rgb(23, 33, 47)', true], 'message text keeps the widget typography');
    const keys = await page.evaluate(() => Object.keys(localStorage));
    assert.ok(keys.includes(`kefu:v1:${server.baseUrl}`), `state is kept per server origin: ${keys}`);
  });

  test('on a phone the panel fills the screen and the targets are large enough', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t, { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true });
    const launcher = await page.getByTestId('launcher').boundingBox();
    assert.ok(launcher.width >= 44 && launcher.height >= 44);
    await page.getByTestId('launcher').tap();
    await openWidget(page);
    // Poll: the opening animation moves the panel for a moment.
    const box = await waitUntil(async () => {
      const b = await page.getByTestId('panel').boundingBox();
      return b && b.x === 0 && b.y === 0 ? b : null;
    }, 'the panel at the top-left corner');
    assert.equal(box.x, 0);
    assert.equal(box.y, 0);
    assert.equal(Math.round(box.width), 390);
    assert.equal(Math.round(box.height), 844);
    for (const id of ['send', 'close', 'input']) {
      const b = await page.getByTestId(id).boundingBox();
      assert.ok(b.height >= 44 && b.width >= 44, `${id} is ${b.width}x${b.height}`);
    }
    for (const b of await page.locator('[data-testid="language-switch"] button').all()) {
      const r = await b.boundingBox();
      assert.ok(r.height >= 44 && r.width >= 44, `language button is ${r.width}x${r.height}`);
    }
    const qr = page.locator('[data-testid="quick-replies"]:not([hidden]) [data-testid="quick-reply"]').first();
    if (await qr.count()) assert.ok((await qr.boundingBox()).height >= 44);
    await page.getByTestId('input').fill('查询余额');
    await page.getByTestId('send').tap();
    await waitForReply(page, '查询余额');
    assert.equal(await page.getByTestId('close').isVisible(), true);
  });

  test('keyboard only: Tab to the launcher, Enter opens, Enter sends, Escape closes', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t, { locale: 'en-US' });
    const focusedTestId = () => page.evaluate(() => {
      let el = document.activeElement;
      while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
      return el ? el.getAttribute('data-testid') : null;
    });
    let found = false;
    for (let i = 0; i < 60 && !found; i++) {
      await page.keyboard.press('Tab');
      found = (await focusedTestId()) === 'launcher';
    }
    assert.ok(found, 'the launcher is reachable with Tab');
    const outline = await page.getByTestId('launcher').evaluate((el) => getComputedStyle(el).boxShadow);
    assert.match(outline, /0px 0px 0px 6px/, 'the focused launcher shows a focus ring');

    await page.keyboard.press('Enter');
    await page.getByTestId('panel').waitFor({ state: 'visible' });
    assert.equal(await focusedTestId(), 'input', 'focus moves to the input');
    await page.locator('[data-testid="message"][data-seq="1"]').waitFor();

    await page.keyboard.type('first line');
    await page.keyboard.press('Shift+Enter');
    await page.keyboard.type('second line');
    assert.equal(await page.getByTestId('input').inputValue(), 'first line\nsecond line', 'Shift+Enter adds a line');
    assert.equal((await transcript(page)).filter((r) => r.role === 'customer').length, 0, 'nothing sent yet');
    await page.keyboard.press('Enter');
    await waitForReply(page, 'first line\nsecond line');
    assert.equal(await page.getByTestId('input').inputValue(), '');

    await page.keyboard.press('Escape');
    await page.getByTestId('panel').waitFor({ state: 'hidden' });
    assert.equal(await focusedTestId(), 'launcher', 'focus returns to the launcher');
    assert.equal(await page.getByTestId('launcher').getAttribute('aria-expanded'), 'false');
  });

  test('a dropped connection resumes: messages sent meanwhile arrive once, each with a reply', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    await openWidget(page);
    await typeAndSend(page, '查询余额');
    await waitForReply(page, '查询余额');

    await page.evaluate(() => window.KefuWidget.__test.drop({ block: true }));
    const status = page.getByTestId('connection-status');
    await status.waitFor({ state: 'visible' });
    assert.equal(await status.textContent(), '重新连接中…');
    await typeAndSend(page, '我的卡丢了');
    const offline = await transcript(page);
    assert.equal(offline.at(-1).text, '我的卡丢了');
    assert.equal(offline.at(-1).pending, true, 'shown as pending while disconnected');
    const stored = await page.evaluate(() => Object.entries(localStorage)
      .filter(([k]) => k.startsWith('kefu:v1:') && !k.endsWith(':lang')).map(([, v]) => JSON.parse(v))[0]);
    assert.deepEqual(stored.outbox.map((e) => e.text), ['我的卡丢了'], 'the unsent message is in the persisted outbox');

    await page.evaluate(() => window.KefuWidget.__test.resume());
    await waitForReply(page, '我的卡丢了');
    await status.waitFor({ state: 'hidden' });
    assert.equal(await status.getAttribute('data-state'), 'online');

    const rows = await transcript(page);
    assertNoDuplicates(rows);
    for (const text of ['查询余额', '我的卡丢了']) {
      const mine = rows.filter((r) => r.role === 'customer' && r.text === text);
      assert.equal(mine.length, 1, `${text} shown once`);
      assert.ok(rows.some((r) => r.role === 'bot' && r.inReplyTo === mine[0].seq), `${text} has a reply`);
    }
    assert.deepEqual((await widgetState(page)).state.outbox, []);
    const server = await serverTranscript(page);
    assert.deepEqual(server.filter((m) => m.role === 'customer').map((m) => m.text), ['查询余额', '我的卡丢了']);
  });

  test('heartbeat: a ping every 25 s, and a socket whose pong never comes is replaced', { timeout: TIMEOUT }, async (t) => {
    const context = await browser.newContext({ locale: 'zh-CN' });
    await context.addInitScript(() => { window.__KEFU_TEST__ = true; });
    t.after(() => context.close());
    const page = await context.newPage();
    await page.clock.install();
    let pings = 0;
    let sockets = 0;
    let swallowPings = false;
    await page.routeWebSocket(/\/api\/v1\/ws$/, (ws) => {
      sockets += 1;
      const upstream = ws.connectToServer();
      ws.onMessage((m) => {
        if (JSON.parse(m).type === 'ping') {
          pings += 1;
          if (swallowPings) return;
        }
        upstream.send(m);
      });
    });
    await page.goto(`${server.baseUrl}/`);
    await openWidget(page);
    await page.clock.runFor(24_000);
    assert.equal(pings, 0);
    await page.clock.runFor(1_000);
    await waitUntil(() => pings === 1, 'the first ping');
    await waitUntil(async () => (await page.evaluate(() => window.KefuWidget.__test.frames()))
      .some((f) => f.type === 'pong'), 'a pong');

    swallowPings = true;
    await page.clock.runFor(25_000);
    await waitUntil(() => pings === 2, 'the second ping');
    await page.clock.runFor(10_000); // no pong within 10 s: drop the socket
    assert.equal(await page.getByTestId('connection-status').getAttribute('data-state'), 'reconnecting');
    await page.clock.runFor(1_000); // first backoff step is 0.25–0.5 s
    await waitUntil(async () => sockets === 2 &&
      (await page.getByTestId('connection-status').getAttribute('data-state')) === 'online', 'a new socket');
    swallowPings = false;
    await typeAndSend(page, '查询余额');
    await waitForReply(page, '查询余额');
    assertNoDuplicates(await transcript(page));
  });

  test('a connection lost before the ack: the re-sent message is stored and shown once', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    await openWidget(page);
    await page.evaluate(() => window.KefuWidget.__test.dropAfterNextSend());
    await typeAndSend(page, '查询余额');
    await waitForReply(page, '查询余额');
    await page.waitForTimeout(500); // let any late duplicate show up
    const rows = await transcript(page);
    assertNoDuplicates(rows);
    assert.equal(rows.filter((r) => r.role === 'customer').length, 1);
    const server = await serverTranscript(page);
    assert.equal(server.filter((m) => m.role === 'customer').length, 1, 'the server stored the message once');
  });

  test('a replayed message gets a duplicate ack and the original replies, and nothing is shown twice', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    await openWidget(page);
    await typeAndSend(page, '查询余额');
    const { customer, replies } = await waitForReply(page, '查询余额');
    const clientId = await page.locator(`[data-testid="message"][data-seq="${customer.seq}"]`).getAttribute('data-client-id');
    assert.ok(clientId, 'the customer message keeps its client_message_id');
    const before = await transcript(page);
    await page.evaluate(([id]) => window.KefuWidget.__test.sendRaw({ type: 'message', client_message_id: id, text: '查询余额' }), [clientId]);
    const frames = await waitUntil(async () => {
      const all = await page.evaluate(() => window.KefuWidget.__test.frames());
      const i = all.findIndex((f) => f.type === 'ack' && f.client_message_id === clientId && f.duplicate === true);
      return i >= 0 && all.slice(i + 1).filter((f) => f.type === 'message').length >= replies.length ? all.slice(i) : null;
    }, 'a duplicate ack followed by the original replies');
    assert.equal(frames[0].message.id, customer.id);
    assert.equal(frames[0].message.seq, customer.seq);
    const replayed = frames.slice(1).filter((f) => f.type === 'message').map((f) => f.message);
    assert.deepEqual(replayed.slice(0, replies.length).map((m) => [m.id, m.seq]), replies.map((r) => [r.id, r.seq]));
    await page.waitForTimeout(200);
    assert.deepEqual(await transcript(page), before, 'nothing new is shown');
  });

  test('a message typed while offline survives a reload and is delivered once', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    await openWidget(page);
    await page.evaluate(() => window.KefuWidget.__test.drop({ block: true }));
    await typeAndSend(page, 'what are your branch hours');
    await page.reload();
    await page.getByTestId('launcher').waitFor();
    await openWidget(page);
    await waitForReply(page, 'what are your branch hours');
    const rows = await transcript(page);
    assertNoDuplicates(rows);
    assert.equal(rows.filter((r) => r.role === 'customer').length, 1);
    assert.deepEqual((await widgetState(page)).state.outbox, []);
  });

  test('a stored conversation the server does not know is replaced by a new one', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    await page.evaluate((origin) => localStorage.setItem(`kefu:v1:${origin}`, JSON.stringify({
      conversationId: 'cv_aaaaaaaaaaaaaaaaaaaaaaaaaa', accessToken: 'not-a-token', lastSeq: 7, readSeq: 7,
      outbox: [{ id: 'c-kept-from-before', text: '查询余额', at: Date.now() }],
    })), server.baseUrl);
    await page.reload();
    await page.getByTestId('launcher').waitFor();
    await openWidget(page);
    await waitForReply(page, '查询余额');
    const { state } = await widgetState(page);
    assert.match(state.conversationId, /^cv_[a-z0-9]{26}$/);
    assert.notEqual(state.conversationId, 'cv_aaaaaaaaaaaaaaaaaaaaaaaaaa');
    assert.deepEqual(state.outbox, [], 'the unsent message was delivered to the new conversation');
    assertNoDuplicates(await transcript(page));
  });

  test('a conversation ended elsewhere shows the ended banner and offers a new one', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    await openWidget(page);
    const { state } = await widgetState(page);
    const res = await fetch(`${server.baseUrl}/api/v1/conversations/${state.conversationId}/end`, {
      method: 'POST', headers: { Authorization: `Bearer ${state.accessToken}`, 'Content-Type': 'application/json' }, body: '{}',
    });
    assert.equal(res.status, 200);
    await page.getByTestId('ended-banner').waitFor({ state: 'visible', timeout: WAIT_MS });
    assert.equal(await page.getByTestId('input').isVisible(), false);
    await page.getByTestId('ended-new-conversation').click();
    await page.getByTestId('ended-banner').waitFor({ state: 'hidden' });
    await typeAndSend(page, '查询余额');
    await waitForReply(page, '查询余额');
    assert.notEqual((await widgetState(page)).state.conversationId, state.conversationId);
  });

  test('new conversation clears the transcript and starts over', { timeout: TIMEOUT }, async (t) => {
    const page = await openDemo(t);
    await openWidget(page);
    await typeAndSend(page, '查询余额');
    await waitForReply(page, '查询余额');
    const { state: first } = await widgetState(page);
    await page.getByTestId('new-conversation').click();
    await waitUntil(async () => {
      const { state } = await widgetState(page);
      return state.conversationId && state.conversationId !== first.conversationId;
    }, 'a new conversation id');
    await page.locator('[data-testid="message"][data-seq="1"]').waitFor();
    const rows = await transcript(page);
    assert.equal(rows.filter((r) => r.role === 'customer').length, 0);
  });
});
