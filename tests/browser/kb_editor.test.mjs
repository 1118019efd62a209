// Browser tests of the knowledge-base editor (web/static/kb/) against the real `kefu serve`
// (tests/lib/server.mjs) and its KB admin API (docs/kb.md), in Debian's Chromium via playwright-core.
//
//   cd /work/main && node --test --test-concurrency=1 tests/browser/kb_editor.test.mjs
//   KEFU_WEB_ROOT=web/static node --test tests/browser/kb_editor.test.mjs   # serve the page from disk
//
// Env: KEFU_BIN (server binary), CHROMIUM (browser, default /usr/bin/chromium).
// The tests share one server and run in order; each one edits its own demo entries.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { spawn } from 'node:child_process';
import os from 'node:os';
import { launchBrowser, waitUntil as waitUntilFor } from '../lib/browser.mjs';
import { kefuBin, repoRoot, startServer } from '../lib/server.mjs';

const TIMEOUT = 90_000;
const WAIT_MS = 10_000;
const waitUntil = (fn, message, timeout = WAIT_MS) => waitUntilFor(fn, message, timeout);

let server;
let browser;
let token;

before(async () => {
  server = await startServer({ env: { KEFU_SERVER_RATE_LIMIT_RPS: '0' } });
  token = readFileSync(path.join(server.dataDir, 'admin-token'), 'utf8').trim();
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

/** Calls the KB admin API as the admin: {status, body}. */
async function kb(method, p, body) {
  const headers = { Authorization: `Bearer ${token}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${server.baseUrl}/api/v1/kb${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

async function getEntry(id) {
  const res = await kb('GET', `/entries/${id}`);
  assert.equal(res.status, 200, `GET entry ${id}: ${JSON.stringify(res.body)}`);
  return res.body;
}

const marker = (name) => `${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/**
 * A fresh browser context on /kb/. The test fails on uncaught page errors, CSP violations and any
 * JavaScript dialog (alert() would mean injected markup ran).
 */
async function openEditor(t, { locale = 'en-US', viewport = { width: 1280, height: 900 }, ...rest } = {}) {
  const context = await browser.newContext({ locale, viewport, ...rest });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push(`csp: ${m.text()}`);
  });
  page.on('dialog', async (d) => { problems.push(`dialog: ${d.message()}`); await d.dismiss(); });
  t.after(async () => {
    await context.close();
    assert.deepEqual(problems, [], 'page errors, CSP violations or dialogs');
  });
  const res = await page.goto(`${server.baseUrl}/kb/`);
  assert.equal(res.status(), 200);
  assert.match(res.headers()['content-security-policy'] || '', /script-src 'self'/, 'the page is served with the CSP');
  return page;
}

async function signIn(page) {
  await page.getByTestId('view-signin').waitFor();
  await page.getByTestId('token').fill(token);
  await page.getByTestId('sign-in').click();
  await page.getByTestId('view-list').waitFor();
  await page.getByTestId('entry-row').first().waitFor();
}

/** Opens the editor of one entry through the URL hash (the page keeps its sign-in). */
async function gotoEntry(page, id) {
  await page.evaluate((h) => { location.hash = h; }, `#/entries/${id}`);
  await page.getByTestId('view-editor').waitFor();
  // The title changes at once; the form and its facts appear when the entry has loaded.
  await waitUntil(async () => (await page.getByTestId('editor-title').textContent()).includes(id), `the editor of ${id}`);
  await page.locator('#editor-form:not([hidden])').waitFor();
  await page.getByTestId('meta-status').waitFor();
}

async function metaStatus(page) {
  return page.locator('[data-testid="meta-status"] [data-status]').getAttribute('data-status');
}
async function metaVersion(page) {
  return Number(await page.getByTestId('meta-version-value').textContent());
}
async function waitStatus(page, status) {
  await page.locator(`[data-testid="meta-status"] [data-status="${status}"]`).waitFor({ timeout: WAIT_MS });
}

/** The lifecycle buttons shown now, in page order. */
async function visibleActions(page) {
  const out = [];
  for (const id of ['save', 'submit', 'approve', 'reject', 'archive']) {
    if (await page.getByTestId(id).isVisible()) out.push(id);
  }
  return out;
}

/** Waits until the flash message is shown and returns its text. */
async function flashText(page, pattern) {
  return waitUntil(async () => {
    const el = page.getByTestId('flash');
    if (!(await el.isVisible())) return null;
    const text = await el.textContent();
    return pattern.test(text) ? text : null;
  }, `a flash message matching ${pattern}`);
}

/** Asks the chat widget on the demo page and returns the bot replies to that message: [{text, html}]. */
async function askWidget(page, question) {
  await page.getByTestId('input').fill(question);
  await page.getByTestId('send').click();
  return waitUntil(async () => {
    const rows = await page.getByTestId('message').evaluateAll((els) => els.map((r) => ({
      role: r.dataset.role, seq: r.dataset.seq === undefined ? null : Number(r.dataset.seq),
      inReplyTo: r.dataset.inReplyTo === undefined ? null : Number(r.dataset.inReplyTo),
      text: r.querySelector('[data-testid="message-text"]').textContent,
      strong: Array.from(r.querySelectorAll('[data-testid="message-text"] strong')).map((s) => s.textContent),
    })));
    const mine = rows.filter((r) => r.role === 'customer' && r.text === question && r.seq !== null).at(-1);
    if (!mine) return null;
    const replies = rows.filter((r) => r.role === 'bot' && r.inReplyTo === mine.seq);
    return replies.length ? replies : null;
  }, `a bot reply to ${JSON.stringify(question)}`);
}

/** Says each text as a customer over REST in one new conversation (docs/api-v1.md). */
async function sayOverRest(language, texts) {
  const res = await fetch(`${server.baseUrl}/api/v1/conversations`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ language }),
  });
  assert.equal(res.status, 201);
  const { conversation, access_token: accessToken } = await res.json();
  for (const [i, text] of texts.entries()) {
    const r = await fetch(`${server.baseUrl}/api/v1/conversations/${conversation.id}/messages`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ client_message_id: `gap-${i}`, text }),
    });
    assert.equal(r.status, 201);
  }
}

/** `kefu staff add NAME --role ROLE` on the test server's database; resolves with the new token. */
function addStaff(name, role) {
  const args = ['staff', 'add', name, '--role', role, '--storage.path', path.join(server.dataDir, 'kefu.db'),
    '--bot.model_dir', path.join(os.tmpdir(), 'kefu-test-models')];
  return new Promise((resolve, reject) => {
    const proc = spawn(kefuBin, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => { out += d; });
    proc.stderr.on('data', (d) => { err += d; });
    proc.on('error', reject);
    proc.on('exit', (code) => {
      const tokens = out.match(/[A-Za-z0-9._~+/=-]{20,}/g) || [];
      if (code !== 0 || !tokens.length) reject(new Error(`kefu ${args.join(' ')} exited ${code}: ${out} ${err}`));
      else resolve(tokens.at(-1));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

describe('knowledge-base editor', () => {
  test('sign-in: a wrong token is refused, the admin token opens the list and is kept for the tab only', { timeout: TIMEOUT }, async (t) => {
    const page = await openEditor(t);
    await page.getByTestId('view-signin').waitFor();
    assert.equal(await page.locator('label[for="token"]').textContent(), 'Staff token');
    assert.equal(await page.getByTestId('token').getAttribute('type'), 'password');

    await page.getByTestId('token').fill('not-a-staff-token');
    await page.getByTestId('sign-in').click();
    await page.getByTestId('signin-error').waitFor();
    assert.match(await page.getByTestId('signin-error').textContent(), /not accepted/);
    assert.equal(await page.getByTestId('view-list').isVisible(), false);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('kefu:kb:token')), null);

    await signIn(page);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('kefu:kb:token')), token);
    assert.equal(await page.evaluate(() => localStorage.getItem('kefu:kb:token')), null, 'never in localStorage');
    await page.reload();
    await page.getByTestId('entry-row').first().waitFor();
    assert.equal(await page.getByTestId('view-signin').isVisible(), false, 'still signed in after a reload');

    // A token that stops working (revoked, server reset) sends the editor back to sign-in with a message.
    await page.evaluate(() => sessionStorage.setItem('kefu:kb:token', 'revoked-token'));
    await page.reload();
    await page.getByTestId('view-signin').waitFor();
    assert.match(await page.getByTestId('signin-error').textContent(), /sign in again/);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('kefu:kb:token')), null);

    await signIn(page);
    await page.getByTestId('sign-out').click();
    await page.getByTestId('view-signin').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('kefu:kb:token')), null);
  });

  test('sign-in: a staff member whose role may not use the KB gets a clear message (403)', { timeout: TIMEOUT }, async (t) => {
    const agentToken = await addStaff(marker('agent'), 'agent');
    // The server may take a moment to see a token made by another process.
    await waitUntil(async () => (await fetch(`${server.baseUrl}/api/v1/kb/entries?limit=1`, {
      headers: { Authorization: `Bearer ${agentToken}` },
    })).status === 403, 'the agent token to be known (403, not 401)');
    const page = await openEditor(t);
    await page.getByTestId('view-signin').waitFor();
    await page.getByTestId('token').fill(agentToken);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('signin-error').waitFor();
    assert.equal(await page.getByTestId('signin-error').textContent(),
      'Your role may not use the knowledge base (kb_editor or admin is needed).');
    assert.equal(await page.getByTestId('token').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByTestId('view-list').isVisible(), false);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('kefu:kb:token')), null, 'a forbidden token is not kept');

    // A kb_editor may use the editor.
    const editorToken = await addStaff(marker('editor'), 'kb_editor');
    await waitUntil(async () => (await fetch(`${server.baseUrl}/api/v1/kb/entries?limit=1`, {
      headers: { Authorization: `Bearer ${editorToken}` },
    })).status === 200, 'the kb_editor token to be known');
    await page.getByTestId('token').fill(editorToken);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('entry-row').first().waitFor();
  });

  test('the list: search, status filter, language fallback and paging over the demo KB', { timeout: TIMEOUT }, async (t) => {
    const page = await openEditor(t);
    await signIn(page);
    const all = await kb('GET', '/entries?limit=1');
    assert.equal(all.status, 200);
    const total = all.body.total;
    assert.ok(total > 50, `the demo KB has more than one page (${total})`);
    assert.equal(await page.getByTestId('list-summary').textContent(), `1–50 of ${total}`);
    assert.equal(await page.getByTestId('entry-row').count(), 50);

    await page.getByTestId('page-next').click();
    await waitUntil(async () => (await page.getByTestId('list-summary').textContent()).startsWith('51–'), 'page 2');
    assert.match(page.url(), /offset=50/);
    const api2 = await kb('GET', '/entries?limit=50&offset=50');
    assert.deepEqual(await page.getByTestId('entry-row').evaluateAll((rs) => rs.map((r) => r.dataset.id)),
      api2.body.entries.map((e) => e.id), 'page 2 shows what the API returns for offset 50');
    await page.getByTestId('page-prev').click();
    await waitUntil(async () => (await page.getByTestId('list-summary').textContent()).startsWith('1–'), 'back to page 1');
    assert.equal(await page.getByTestId('page-prev').isDisabled(), true);

    await page.getByTestId('search').fill('safe deposit box');
    await page.getByTestId('search').press('Enter');
    const row = page.locator('[data-testid="entry-row"][data-id="branch-safe-deposit"]');
    await row.waitFor();
    assert.equal(await row.getByTestId('entry-link').textContent(), 'How can I rent a safe deposit box, and how much does it cost?');
    assert.equal(await row.getByTestId('status-badge').textContent(), 'Published');
    assert.match(await row.textContent(), /branch-safe-deposit/);

    await page.getByTestId('search').fill('');
    await page.getByTestId('filter-status').selectOption('published');
    await waitUntil(async () => /status=published/.test(page.url()), 'the status filter in the URL');
    await page.getByTestId('entry-row').first().waitFor();
    const statuses = await page.getByTestId('entry-row').evaluateAll((rs) => rs.map((r) => r.dataset.status));
    assert.ok(statuses.length > 0 && statuses.every((s) => s === 'published'), `only published rows: ${statuses}`);

    // An entry without English content shows its Chinese question in the English UI.
    const zhOnly = await kb('GET', '/entries?lang=zh&limit=200');
    const onlyZh = zhOnly.body.entries.find((e) => !e.content.en);
    if (onlyZh) {
      const index = zhOnly.body.entries.indexOf(onlyZh);
      await page.evaluate((h) => { location.hash = h; }, `#/entries?lang=zh&offset=${index - (index % 50)}`);
      const r = page.locator(`[data-testid="entry-row"][data-id="${onlyZh.id}"]`);
      await r.waitFor();
      assert.equal(await r.getByTestId('entry-link').textContent(), onlyZh.content.zh.question);
      assert.equal(await r.getByTestId('entry-link').getAttribute('lang'), 'zh-CN');
    } else {
      t.diagnostic('every Chinese entry also has English content: fallback not exercised here');
    }
  });

  test('edit a published answer, save, submit, approve: the chat widget answers with the new text', { timeout: TIMEOUT }, async (t) => {
    // An FAQ that no business flow handles (branch hours now run as a flow with its own text).
    const id = 'acct-statement';
    const question = 'How can I get or print my account statement?';
    const before = await getEntry(id);
    assert.equal(before.status, 'published');
    assert.equal(before.content.en.question, question);
    const mark = marker('KBMARK');
    const newAnswer = `Export a statement in the app under **Accounts > Transaction History** (${mark}).\n- Or print one at a branch`;

    const page = await openEditor(t);
    await signIn(page);
    await page.getByTestId('search').fill('print my account statement');
    await page.getByTestId('search').press('Enter');
    await page.locator(`[data-testid="entry-row"][data-id="${id}"] [data-testid="entry-link"]`).click();
    await page.getByTestId('view-editor').waitFor();
    await waitStatus(page, 'published');
    assert.equal(await metaVersion(page), before.version);
    assert.deepEqual(await visibleActions(page), ['save', 'archive'], 'published: save (as a draft) or archive');
    assert.equal(await page.getByTestId('save').isDisabled(), true, 'nothing to save yet');

    await page.getByTestId('tab-en').click();
    assert.equal(await page.getByTestId('question-en').inputValue(), question);
    assert.equal(await page.getByTestId('answer-en').inputValue(), before.content.en.answer);
    await page.getByTestId('answer-en').fill(newAnswer);
    assert.equal(await page.getByTestId('dirty').isVisible(), true);
    assert.equal(await page.getByTestId('archive').isDisabled(), true, 'no transition with unsaved changes');
    await page.getByTestId('save').click();
    await flashText(page, /Saved as version/);
    await waitStatus(page, 'draft');
    const saved = await getEntry(id);
    assert.equal(saved.status, 'draft');
    assert.equal(saved.version, before.version + 1);
    assert.equal(saved.content.en.answer, newAnswer);
    assert.equal(saved.published_version, before.published_version, 'the published version stays live');
    assert.equal(await metaVersion(page), saved.version);
    assert.deepEqual(await visibleActions(page), ['save', 'submit', 'archive'], 'draft: save, submit or archive');

    await page.getByTestId('submit').click();
    await waitStatus(page, 'in_review');
    assert.deepEqual(await visibleActions(page), ['save', 'approve', 'reject', 'archive'], 'in review: approve or reject');
    await page.getByTestId('approve').click();
    await waitStatus(page, 'published');
    await flashText(page, /published/);
    const approvedAt = Date.now();
    const published = await getEntry(id);
    assert.equal(published.status, 'published');
    assert.equal(published.published_version, published.version);
    assert.equal(published.content.en.answer, newAnswer);
    assert.equal(await metaVersion(page), published.version);

    // The customer side: the widget on the demo page, in English.
    const context = await browser.newContext({ locale: 'en-US' });
    t.after(() => context.close());
    const chat = await context.newPage();
    await chat.goto(`${server.baseUrl}/`);
    await chat.getByTestId('launcher').click();
    await chat.locator('[data-testid="message"][data-seq="1"]').waitFor({ timeout: WAIT_MS });
    // Ask until the new answer shows; keep asking past the 5 s limit so a failure says how late it was.
    let replies;
    let seenAfter = null;
    for (;;) {
      replies = await askWidget(chat, question);
      if (replies.some((r) => r.text.includes(mark))) { seenAfter = Date.now() - approvedAt; break; }
      if (Date.now() - approvedAt > 30_000) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.ok(seenAfter !== null,
      `the widget never showed the new answer (30 s); it said: ${JSON.stringify(replies.map((r) => r.text.slice(0, 120)))}`);
    t.diagnostic(`new answer seen ${seenAfter} ms after approval`);
    // With KEFU_TEST_LOG_LEVEL=info the server logs each index build; show them when it was slow.
    if (seenAfter > 5000) {
      for (const line of server.logs().split('\n').filter((l) => l.includes('index built'))) t.diagnostic(line);
    }
    assert.ok(seenAfter <= 5000, `the widget shows the new answer within 5 s of approval (it took ${seenAfter} ms)`);
    const answer = replies.find((r) => r.text.includes(mark));
    assert.match(answer.text, /Export a statement in the app under Accounts > Transaction History/, 'the Markdown is rendered, not shown raw');
    assert.deepEqual(answer.strong, ['Accounts > Transaction History'], 'bold is a <strong> in the widget');
  });

  test('the answer preview renders the Markdown subset and shows typed HTML as text', { timeout: TIMEOUT }, async (t) => {
    const page = await openEditor(t);
    // The editor loads the widget script for its renderer only: no chat widget, no connection.
    assert.equal(await page.evaluate(() => typeof window.KefuWidget.renderMarkdown), 'function');
    assert.equal(await page.evaluate(() => window.KefuWidget.mounted), false);
    assert.equal(await page.locator('kefu-widget').count(), 0, 'no chat widget is mounted on the editor page');
    assert.equal(await page.evaluate(() => document.querySelector('script[src="/widget/kefu-widget.js"]').hasAttribute('data-kefu-no-mount')), true);
    await signIn(page);
    await gotoEntry(page, 'acct-statement');
    await page.getByTestId('tab-en').click();

    const answer = [
      'Hello **bold** and *italic* <img src=x onerror="window.__kbXss=1;alert(1)"> <script>window.__kbXss=2</script>',
      '- first',
      '- second',
      '1. one',
      '2. two',
      '[good](https://example.com/a) [bad](javascript:alert(1)) [call](tel:4000000000) [mail](mailto:help@example.com)',
    ].join('\n');
    await page.getByTestId('answer-en').fill(answer);
    const preview = page.getByTestId('preview-en');
    await waitUntil(async () => (await preview.locator('strong').count()) === 1, 'the preview updates as you type');
    assert.equal(await preview.locator('strong').textContent(), 'bold');
    assert.equal(await preview.locator('em').textContent(), 'italic');
    assert.deepEqual(await preview.locator('ul > li').allTextContents(), ['first', 'second']);
    assert.deepEqual(await preview.locator('ol > li').allTextContents(), ['one', 'two']);
    assert.equal(await preview.locator('img, script').count(), 0, 'no element from the typed HTML');
    assert.equal(await page.evaluate(() => document.querySelectorAll('img').length), 0);
    const text = await preview.textContent();
    assert.ok(text.includes('<img src=x onerror="window.__kbXss=1;alert(1)">'), `the HTML is shown as typed: ${text}`);
    assert.ok(text.includes('<script>window.__kbXss=2</script>'));
    assert.ok(text.includes('[bad](javascript:alert(1))'), 'a javascript: link stays text');
    const links = await preview.locator('a').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href'), a.rel, a.target]));
    assert.deepEqual(links, [
      ['good', 'https://example.com/a', 'noopener noreferrer', '_blank'],
      ['call', 'tel:4000000000', 'noopener noreferrer', '_blank'],
      ['mail', 'mailto:help@example.com', 'noopener noreferrer', '_blank'],
    ]);
    await page.waitForTimeout(200);
    assert.equal(await page.evaluate(() => window.__kbXss), undefined, 'nothing typed was executed');

    // The same renderer as the widget: renderMarkdown returns a fragment of DOM nodes.
    const direct = await page.evaluate(() => {
      const f = window.KefuWidget.renderMarkdown('**x** <b>y</b>');
      const d = document.createElement('div');
      d.appendChild(f);
      return { isFragment: f instanceof DocumentFragment, html: d.innerHTML };
    });
    assert.deepEqual(direct, { isFragment: true, html: '<p><strong>x</strong> &lt;b&gt;y&lt;/b&gt;</p>' });
  });

  test('a stale save gets 409: the page says so, reloads the other change and then saves', { timeout: TIMEOUT }, async (t) => {
    const id = 'acct-statement';
    const page = await openEditor(t);
    await signIn(page);
    await gotoEntry(page, id);
    const read = await getEntry(id);
    assert.equal(await metaVersion(page), read.version);

    // Someone else saves between the page's read and its save.
    const theirs = `Changed through the API ${marker('other')}`;
    const put = await kb('PUT', `/entries/${id}`, {
      id, version: read.version, category: read.category, tags: read.tags,
      effective_from: read.effective_from ?? null, effective_until: read.effective_until ?? null,
      content: { ...read.content, en: { ...read.content.en, answer: theirs } },
    });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.equal(put.body.version, read.version + 1);

    await page.getByTestId('tab-en').click();
    await page.getByTestId('answer-en').fill('My edit that would overwrite theirs');
    await page.getByTestId('save').click();
    const conflict = page.getByTestId('conflict');
    await conflict.waitFor();
    assert.match(await conflict.textContent(), /changed by someone else/);
    assert.match(await conflict.textContent(), new RegExp(`version ${read.version + 1}\\b`));
    assert.equal((await getEntry(id)).content.en.answer, theirs, 'the stale save changed nothing');

    await page.getByTestId('conflict-reload').click();
    await conflict.waitFor({ state: 'hidden' });
    assert.equal(await page.getByTestId('answer-en').inputValue(), theirs);
    assert.equal(await metaVersion(page), read.version + 1);

    const mine = `My edit after reloading ${marker('mine')}`;
    await page.getByTestId('answer-en').fill(mine);
    await page.getByTestId('save').click();
    await flashText(page, new RegExp(`Saved as version ${read.version + 2}\\b`));
    const after = await getEntry(id);
    assert.equal(after.version, read.version + 2);
    assert.equal(after.content.en.answer, mine);
  });

  test('history lists the versions, diffs one against the current, and rollback restores it', { timeout: TIMEOUT }, async (t) => {
    const id = 'acct-close';
    const original = await getEntry(id);
    const oldAnswer = original.content.en.answer;
    const page = await openEditor(t);
    await signIn(page);
    await gotoEntry(page, id);
    await page.getByTestId('tab-en').click();
    const temp = `Temporary answer ${marker('tmp')}`;
    await page.getByTestId('answer-en').fill(`${oldAnswer.split('\n')[0]}\n${temp}`);
    await page.getByTestId('save').click();
    await waitStatus(page, 'draft');
    await page.getByTestId('submit').click();
    await waitStatus(page, 'in_review');
    await page.getByTestId('approve').click();
    await waitStatus(page, 'published');
    const current = await getEntry(id);

    await page.getByTestId('history-link').click();
    await page.getByTestId('view-history').waitFor();
    const history = await kb('GET', `/entries/${id}/history`);
    assert.equal(history.status, 200);
    const versions = history.body.versions;
    assert.ok(versions.length >= 2, `at least the original and the edit: ${versions.length}`);
    await waitUntil(async () => (await page.getByTestId('history-row').count()) === versions.length, 'one row per version');
    assert.deepEqual(await page.getByTestId('history-row').evaluateAll((rs) => rs.map((r) => Number(r.dataset.version))),
      versions.map((v) => v.version), 'newest first, as the API lists them');
    const top = page.getByTestId('history-row').first();
    assert.match(await top.textContent(), /current/);
    assert.equal(await top.getByTestId('status-badge').getAttribute('data-status'), versions[0].status);
    assert.match(await top.textContent(), new RegExp(versions[0].author));
    assert.equal(await top.getByTestId('compare').count(), 0, 'the current version has nothing to compare');

    const old = versions.find((v) => v.content?.en?.answer === oldAnswer);
    assert.ok(old, 'a version with the original answer');
    await page.locator(`[data-testid="compare"][data-version="${old.version}"]`).click();
    const diff = page.getByTestId('diff');
    await diff.waitFor();
    assert.match(await page.locator('#diff-title').textContent(), new RegExp(`Version ${old.version}.*${current.version}`));
    const answerDiff = diff.locator('[data-testid="diff-section"][data-section="en-answer"]');
    const added = await answerDiff.getByTestId('diff-add').allTextContents();
    const removed = await answerDiff.getByTestId('diff-del').allTextContents();
    const same = await answerDiff.getByTestId('diff-same').allTextContents();
    assert.ok(added.some((l) => l.includes(temp)), `the new line is marked added: ${added}`);
    assert.ok(removed.length >= 1 && removed.every((l) => oldAnswer.includes(l.replace(/^−Only in the old version: /, ''))),
      `removed lines come from the old answer: ${removed}`);
    assert.ok(same.some((l) => l.includes(oldAnswer.split('\n')[0])), 'the unchanged first line is kept as context');
    assert.equal(await diff.locator('[data-section="en-question"]').count(), 0, 'unchanged fields are not listed');

    await page.getByTestId('rollback').click();
    await page.getByTestId('rollback-yes').click();
    await flashText(page, new RegExp(`Rolled back: version \\d+ is published with the content of version ${old.version}`));
    const rolled = await getEntry(id);
    assert.equal(rolled.content.en.answer, oldAnswer, 'the old answer is back');
    assert.equal(rolled.status, 'published');
    assert.ok(rolled.version > current.version);
    assert.equal(rolled.published_version, rolled.version);
    await waitUntil(async () => (await page.getByTestId('history-row').first().getAttribute('data-version')) === String(rolled.version),
      'the history shows the rollback version on top');

    await gotoEntry(page, id);
    await page.getByTestId('tab-en').click();
    assert.equal(await page.getByTestId('answer-en').inputValue(), oldAnswer, 'the editor shows the restored answer');
    await waitStatus(page, 'published');
  });

  test('reject sends a review back to draft; archive takes a published entry out', { timeout: TIMEOUT }, async (t) => {
    const id = 'acct-dormant';
    const page = await openEditor(t);
    await signIn(page);
    await gotoEntry(page, id);
    await page.getByTestId('tab-en').click();
    await page.getByTestId('paraphrases-en').fill(`${await page.getByTestId('paraphrases-en').inputValue()}\nmy account went to sleep`);
    await page.getByTestId('save').click();
    await waitStatus(page, 'draft');
    await page.getByTestId('submit').click();
    await waitStatus(page, 'in_review');
    await page.getByTestId('review-comment').fill('Please check the wording');
    await page.getByTestId('reject').click();
    await waitStatus(page, 'draft');
    await flashText(page, /Sent back to draft/);
    const rejected = await getEntry(id);
    assert.equal(rejected.status, 'draft');
    assert.ok(rejected.content.en.paraphrases.includes('my account went to sleep'));

    await page.getByTestId('submit').click();
    await waitStatus(page, 'in_review');
    await page.getByTestId('approve').click();
    await waitStatus(page, 'published');
    assert.deepEqual(await visibleActions(page), ['save', 'archive']);
    await page.getByTestId('archive').click();
    await page.getByTestId('archive-confirm').waitFor();
    await page.getByTestId('archive-yes').click();
    await waitStatus(page, 'archived');
    assert.equal((await getEntry(id)).status, 'archived');
    assert.deepEqual(await visibleActions(page), ['save'], 'archived: only a new draft');

    await page.evaluate(() => { location.hash = '#/entries?status=archived'; });
    await page.locator(`[data-testid="entry-row"][data-id="${id}"]`).waitFor();
  });

  test('the zh/en switch changes every label, follows the browser language and is remembered', { timeout: TIMEOUT }, async (t) => {
    const page = await openEditor(t, { locale: 'zh-CN' });
    await page.getByTestId('view-signin').waitFor();
    assert.equal(await page.locator('html').getAttribute('lang'), 'zh-CN');
    assert.equal(await page.locator('#signin-title').textContent(), '登录');
    assert.equal(await page.locator('label[for="token"]').textContent(), '员工令牌');
    assert.equal(await page.locator('[data-testid="language-switch"] [data-lang="zh"]').getAttribute('aria-pressed'), 'true');

    await page.locator('[data-testid="language-switch"] [data-lang="en"]').click();
    assert.equal(await page.locator('html').getAttribute('lang'), 'en');
    assert.equal(await page.locator('#signin-title').textContent(), 'Sign in');
    assert.equal(await page.locator('label[for="token"]').textContent(), 'Staff token');
    assert.equal(await page.getByTestId('sign-in').textContent(), 'Sign in');
    assert.equal(await page.locator('[data-testid="language-switch"] [data-lang="en"]').getAttribute('aria-pressed'), 'true');

    await signIn(page);
    assert.equal(await page.locator('#list-title').textContent(), 'Knowledge base entries');
    assert.equal(await page.getByTestId('nav-gaps').textContent(), 'Unanswered questions');
    assert.equal(await page.getByTestId('search').getAttribute('placeholder'), 'Question, answer or id');
    await page.getByTestId('search').fill('safe deposit box');
    await page.getByTestId('search').press('Enter');
    const row = page.locator('[data-testid="entry-row"][data-id="branch-safe-deposit"]');
    await row.waitFor();
    assert.equal(await row.getByTestId('entry-link').textContent(), 'How can I rent a safe deposit box, and how much does it cost?');
    assert.equal(await row.getByTestId('status-badge').textContent(), 'Published');

    await page.locator('[data-testid="language-switch"] [data-lang="zh"]').click();
    assert.equal(await page.locator('#list-title').textContent(), '知识库条目');
    assert.equal(await page.getByTestId('nav-gaps').textContent(), '未解答问题');
    assert.equal(await page.locator('[data-testid="entry-table"] thead th').nth(1).textContent(), '问题');
    assert.equal(await row.getByTestId('status-badge').textContent(), '已发布');
    assert.equal(await row.getByTestId('entry-link').textContent(), '怎么租用保管箱？费用多少？', 'the question follows the UI language');
    assert.match(await page.getByTestId('list-summary').textContent(), /^第 1–\d+ 条，共 \d+ 条$/);

    await page.locator('[data-testid="entry-row"][data-id="branch-safe-deposit"] [data-testid="entry-link"]').click();
    await page.getByTestId('view-editor').waitFor();
    await page.locator('#editor-form:not([hidden])').waitFor();
    assert.equal(await page.getByTestId('save').textContent(), '保存');
    assert.equal(await page.locator('label[for="a-zh"]').textContent(), '答案');
    await page.locator('[data-testid="language-switch"] [data-lang="en"]').click();
    assert.equal(await page.getByTestId('save').textContent(), 'Save');
    assert.equal(await page.locator('label[for="a-zh"]').textContent(), 'Answer');
    assert.equal(await page.getByTestId('editor-title').textContent(), 'Edit entry branch-safe-deposit');

    await page.reload();
    await page.getByTestId('view-editor').waitFor();
    assert.equal(await page.getByTestId('save').textContent(), 'Save', 'the choice survives a reload');
  });

  test('gaps: questions the bot cannot answer form a cluster, and "Write an entry" creates one from it', { timeout: TIMEOUT }, async (t) => {
    await sayOverRest('en', ['how do I feed my pet dragon', 'how do I feed my pet dragon?', 'How do I feed my pet dragon']);
    // Gaps are recorded in the background (fire-and-forget), so wait for all three.
    const gaps = await waitUntil(async () => {
      const res = await kb('GET', '/gaps?days=30&limit=100');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const dragons = res.body.clusters.filter((c) => /dragon/i.test(c.example));
      assert.ok(dragons.length <= 1, `the similar questions form one cluster: ${JSON.stringify(dragons)}`);
      return dragons[0]?.count >= 3 ? dragons[0] : null;
    }, 'one cluster of the three dragon questions in GET /gaps');

    const page = await openEditor(t);
    await signIn(page);
    await page.getByTestId('nav-gaps').click();
    await page.getByTestId('view-gaps').waitFor();
    const card = page.getByTestId('gap').filter({ hasText: /dragon/i }).first();
    await card.waitFor();
    assert.equal(await card.getByTestId('gap-example').textContent(), gaps.example);
    assert.equal(Number(await card.getByTestId('gap-count').getAttribute('data-count')), gaps.count);
    assert.match(await card.getByTestId('gap-count').textContent(), new RegExp(`Asked ${gaps.count} times`));
    assert.match(await card.getByTestId('gap-langs').textContent(), /English/);
    assert.ok(await card.locator('time').getAttribute('datetime'), 'last seen is shown');

    await card.getByTestId('write-entry').click();
    await page.getByTestId('view-editor').waitFor();
    assert.equal(await page.getByTestId('editor-title').textContent(), 'New entry');
    assert.equal(await page.getByTestId('panel-en').isVisible(), true, 'the English tab is open');
    assert.equal(await page.getByTestId('question-en').inputValue(), gaps.example);
    assert.deepEqual(await visibleActions(page), ['save']);
    assert.equal(await page.getByTestId('save').textContent(), 'Create');

    const id = marker('pet-dragon');
    await page.getByTestId('field-id').fill(id);
    await page.getByTestId('field-category').fill('misc');
    await page.getByTestId('field-tags').fill('pets, dragons');
    await page.getByTestId('paraphrases-en').fill('what do dragons eat\ndragon food');
    await page.getByTestId('answer-en').fill('We are a bank: we cannot advise on **dragon** care.');
    await page.getByTestId('save').click();
    await waitUntil(() => page.url().endsWith(`#/entries/${id}`), 'the new entry opens');
    await flashText(page, new RegExp(`Created entry ${id}`));
    await waitStatus(page, 'draft');
    const created = await getEntry(id);
    assert.equal(created.version, 1);
    assert.equal(created.status, 'draft');
    assert.equal(created.category, 'misc');
    assert.deepEqual(created.tags, ['pets', 'dragons']);
    assert.equal(created.content.en.question, gaps.example);
    assert.deepEqual(created.content.en.paraphrases, ['what do dragons eat', 'dragon food']);
    assert.equal(created.content.zh, undefined, 'no empty Chinese content is sent');

    // Creating the same id again is refused with a clear message.
    await page.evaluate(() => { location.hash = '#/new'; });
    await page.getByTestId('field-id').waitFor();
    await page.getByTestId('field-id').fill(id);
    await page.getByTestId('tab-en').click();
    await page.getByTestId('question-en').fill('Another question');
    await page.getByTestId('answer-en').fill('Another answer');
    await page.getByTestId('save').click();
    await page.getByTestId('alert').waitFor();
    assert.match(await page.getByTestId('alert').textContent(), /already exists/);
  });

  test('import: a dry run reports bad lines and changes nothing; a good file is checked, then imported', { timeout: TIMEOUT }, async (t) => {
    const page = await openEditor(t);
    await signIn(page);
    await page.getByTestId('nav-import').click();
    await page.getByTestId('view-import').waitFor();
    assert.equal(await page.getByTestId('import').isDisabled(), true, 'import needs a dry run first');

    const id = marker('import-test');
    const header = 'id,language,question,answer,paraphrases,category,tags';
    const bad = `${header}\n${id},en,How do I test an import?,Like this.,test import|import check,test,demo\n${id}-2,en,,An answer without a question,,test,\n`;
    await page.getByTestId('import-file').setInputFiles({ name: 'faq.csv', mimeType: 'text/csv', buffer: Buffer.from(bad) });
    assert.equal(await page.getByTestId('import-format').inputValue(), 'csv');
    await page.getByTestId('dry-run').click();
    const report = page.getByTestId('import-report');
    await waitUntil(async () => (await report.getAttribute('data-result')) === 'invalid', 'the error report');
    const errors = await page.getByTestId('import-error').evaluateAll((els) => els.map((e) => ({ line: e.dataset.line, text: e.textContent })));
    assert.ok(errors.length >= 1, 'at least one error');
    assert.ok(errors.some((e) => e.line === '3' && /^Line 3: ./.test(e.text)), `the bad row (line 3) is reported: ${JSON.stringify(errors)}`);
    assert.equal(await page.getByTestId('import').isDisabled(), true);
    assert.equal((await kb('GET', `/entries/${id}`)).status, 404, 'nothing was imported');

    const good = `${header}\n${id},en,How do I test an import?,Like this.,test import|import check,test,demo\n`;
    await page.getByTestId('import-file').setInputFiles({ name: 'faq.csv', mimeType: 'text/csv', buffer: Buffer.from(good) });
    assert.equal(await page.getByTestId('import').isDisabled(), true, 'a new file needs a new dry run');
    await page.getByTestId('dry-run').click();
    await waitUntil(async () => (await report.getAttribute('data-result')) === 'dry', 'the dry-run report');
    assert.equal(await page.getByTestId('count-created').locator('dd').textContent(), '1');
    assert.equal((await kb('GET', `/entries/${id}`)).status, 404, 'a dry run changes nothing');
    assert.equal(await page.getByTestId('import').isEnabled(), true);

    await page.getByTestId('import').click();
    await waitUntil(async () => (await report.getAttribute('data-result')) === 'done', 'the import report');
    assert.equal(await page.getByTestId('count-created').locator('dd').textContent(), '1');
    const imported = await getEntry(id);
    assert.equal(imported.status, 'draft', 'not published unless asked');
    assert.equal(imported.content.en.question, 'How do I test an import?');
    assert.deepEqual(imported.content.en.paraphrases, ['test import', 'import check']);
  });

  test('keyboard and small screens: labelled controls, arrow-key tabs, no sideways scrolling at 390 px', { timeout: TIMEOUT }, async (t) => {
    const page = await openEditor(t, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await signIn(page);
    const overflow = () => page.evaluate(() => document.scrollingElement.scrollWidth - window.innerWidth);
    assert.ok((await overflow()) <= 0, 'the list fits the phone width');
    await gotoEntry(page, 'branch-safe-deposit');
    assert.ok((await overflow()) <= 0, 'the editor fits the phone width');

    const unlabelled = await page.evaluate(() => Array.from(document.querySelectorAll('input, select, textarea'))
      .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.getAttribute('aria-labelledby'))
      .map((el) => el.id || el.outerHTML.slice(0, 60)));
    assert.deepEqual(unlabelled, [], 'every form control has a label');

    const selected = await page.locator('[role="tab"][aria-selected="true"]').getAttribute('data-lang');
    await page.locator('[role="tab"][aria-selected="true"]').focus();
    await page.keyboard.press('ArrowRight');
    const other = selected === 'zh' ? 'en' : 'zh';
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('data-lang')), other, 'arrow keys move between tabs');
    assert.equal(await page.getByTestId(`tab-${other}`).getAttribute('aria-selected'), 'true');
    assert.equal(await page.getByTestId(`panel-${other}`).isVisible(), true);
    assert.equal(await page.getByTestId(`panel-${selected}`).isVisible(), false);
    const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
    assert.notEqual(outline, 'none', 'the focused tab shows a focus ring');
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.id), `q-${other}`, 'Tab goes from the tab to its panel');

    for (const id of ['save', 'history-link']) {
      const b = await page.getByTestId(id).boundingBox();
      assert.ok(b.height >= 44, `${id} is ${b.height}px high`);
    }
  });
});
