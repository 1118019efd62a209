// Helpers for the knowledge-base functional tests (docs/kb.md): the admin token, the admin REST API
// under /api/v1/kb, the entry lifecycle, asking questions in a live conversation and polling for an
// answer to change, and the `kefu kb` command line against a running server's database.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import { api, assertTimestamp, postMessage, runKefu, sleep, uniqueId, waitFor } from './util.mjs';

export { runKefu };

export const KB = '/api/v1/kb';
export const ENTRY_ID_RE = /^[a-z0-9._-]{1,64}$/;
export const STATUSES = ['draft', 'in_review', 'published', 'archived'];
/**
 * The live-change bound of docs/kb.md is 1 s; polls allow a little slack for the round trips. Sanitizer
 * builds run several times slower: ctest sets KEFU_TEST_SLOWDOWN for them, and the bound scales with it
 * (the 1 s figure itself is measured on the release build, see docs/kb.md).
 */
export const SLOWDOWN = Math.max(1, Number(process.env.KEFU_TEST_SLOWDOWN) || 1);
export const LIVE_MS = 1500 * SLOWDOWN;
/** How long a poll for a change keeps trying, so that a slow change is measured rather than fatal. */
export const CHANGE_WAIT_MS = 20000;

/** Collects how long changes took to reach a conversation; check() asserts each was within LIVE_MS. */
export class LiveTimings {
  constructor() { this.list = []; }

  /** Records untilReply()'s result under a label and returns it. */
  add(seen, what) {
    this.list.push({ what, ms: seen.ms });
    return seen;
  }

  check() {
    const slow = this.list.filter((x) => x.ms > LIVE_MS);
    assert.deepEqual(slow, [], `changes must reach a live conversation within 1 s (polled for up to ${LIVE_MS} ms, slowdown ×${SLOWDOWN}); measured: ${JSON.stringify(this.list)}`);
  }
}

/** An entry id unique across runs: `t-<prefix>-<hex>`, valid for the id rule (a-z 0-9 - _ .). */
export function kid(prefix = 'e') {
  return `t-${prefix}-${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** A word of letters only (no digits: PII masking may touch digit runs), unique per run. */
export function token(prefix = 'tok') {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  let s = '';
  for (const b of randomBytes(8)) s += letters[b % 26];
  return `${prefix}${s}`;
}

/** The admin token the server writes at first start to <storage dir>/admin-token. */
export async function adminToken(srv) {
  const file = path.join(srv.dataDir, 'admin-token');
  await waitFor(() => existsSync(file) && readFileSync(file, 'utf8').trim().length > 0,
    { timeoutMs: 5000, what: `${file} to be written` });
  return readFileSync(file, 'utf8').trim();
}

/** A request to the KB admin API; `token` defaults to srv.adminToken (null sends none). */
export function kb(srv, method, p, options = {}) {
  const tok = 'token' in options ? options.token : srv.adminToken;
  const opts = { ...options };
  delete opts.token;
  if (tok !== null && tok !== undefined) opts.token = tok;
  return api(srv, method, KB + p, opts);
}

/**
 * Asserts a KB error: status, code, {code, message, request_id} plus the extra keys the endpoint
 * documents (e.g. current_version on 409, errors on 422), request_id equal to X-Request-Id.
 * optionalKeys: keys that may be present where the contract leaves it open.
 */
export function assertKbError(res, status, code, context = '', extraKeys = [], optionalKeys = []) {
  const where = `${context} → ${res.status} ${res.text.slice(0, 400)}`;
  assert.equal(res.status, status, `status: ${where}`);
  assert.ok(res.body && typeof res.body === 'object' && !Array.isArray(res.body), `error body is a JSON object: ${where}`);
  assert.equal(res.body.code, code, `code: ${where}`);
  assert.equal(typeof res.body.message, 'string', `message: ${where}`);
  assert.ok(res.body.message.length > 0, `non-empty message: ${where}`);
  assert.equal(res.body.request_id, res.requestId, `request_id equals X-Request-Id: ${where}`);
  for (const k of extraKeys) assert.ok(k in res.body, `error body has ${k}: ${where}`);
  const allowed = new Set(['code', 'message', 'request_id', ...extraKeys, ...optionalKeys]);
  const extra = Object.keys(res.body).filter((k) => !allowed.has(k));
  assert.deepEqual(extra, [], `error body has only the documented keys: ${where}`);
  assert.match(res.headers.get('content-type') || '', /^application\/json/, `error content-type: ${where}`);
}

/** Asserts the shape of an entry object (docs/kb.md "Entries"). */
export function assertEntry(e, context = '') {
  const where = `${context}: ${JSON.stringify(e)?.slice(0, 400)}`;
  assert.ok(e && typeof e === 'object' && !Array.isArray(e), `entry is an object ${where}`);
  for (const k of ['id', 'version', 'status', 'category', 'tags', 'effective_from', 'effective_until', 'content',
    'published_version', 'created_at', 'created_by', 'updated_at', 'updated_by']) {
    assert.ok(k in e, `entry has ${k} ${where}`);
  }
  assert.match(e.id, ENTRY_ID_RE, `id ${where}`);
  assert.ok(Number.isInteger(e.version) && e.version >= 1, `version ${where}`);
  assert.ok(STATUSES.includes(e.status), `status ${where}`);
  assert.ok(e.published_version === null || (Number.isInteger(e.published_version) && e.published_version <= e.version),
    `published_version ${where}`);
  assert.ok(Array.isArray(e.tags), `tags is an array ${where}`);
  assert.ok(e.content && typeof e.content === 'object', `content ${where}`);
  const langs = Object.keys(e.content);
  assert.ok(langs.length >= 1 && langs.every((l) => ['zh', 'en'].includes(l)), `content languages ${where}`);
  for (const l of langs) {
    assert.equal(typeof e.content[l].question, 'string', `content.${l}.question ${where}`);
    assert.equal(typeof e.content[l].answer, 'string', `content.${l}.answer ${where}`);
  }
  assertTimestamp(e.created_at, 'entry created_at');
  assertTimestamp(e.updated_at, 'entry updated_at');
  assert.equal(typeof e.created_by, 'string');
  assert.equal(typeof e.updated_by, 'string');
}

export async function getEntry(srv, id) {
  const res = await kb(srv, 'GET', `/entries/${encodeURIComponent(id)}`);
  assert.equal(res.status, 200, `GET entry ${id}: ${res.status} ${res.text}`);
  assertEntry(res.body, `GET ${id}`);
  return res.body;
}

/** Creates an entry (201, draft, version 1) and returns it. */
export async function createEntry(srv, entry) {
  const res = await kb(srv, 'POST', '/entries', { body: entry });
  assert.equal(res.status, 201, `POST entry ${entry.id}: ${res.status} ${res.text}`);
  assertEntry(res.body, 'created entry');
  assert.equal(res.body.status, 'draft');
  assert.equal(res.body.version, 1);
  return res.body;
}

/** PUTs `entry` (which carries the version it was read at); asserts 200, version + 1, draft. */
export async function updateEntry(srv, entry) {
  const res = await kb(srv, 'PUT', `/entries/${encodeURIComponent(entry.id)}`, { body: entry });
  assert.equal(res.status, 200, `PUT entry ${entry.id} at version ${entry.version}: ${res.status} ${res.text}`);
  assertEntry(res.body, 'updated entry');
  assert.equal(res.body.version, entry.version + 1, 'PUT makes version + 1');
  assert.equal(res.body.status, 'draft', 'PUT makes a draft');
  return res.body;
}

/** POST /entries/{id}/{action} with {version, ...extra}; asserts 200 and returns the entry. */
export async function transition(srv, entry, action, extra = {}) {
  const res = await kb(srv, 'POST', `/entries/${encodeURIComponent(entry.id)}/${action}`, { body: { version: entry.version, ...extra } });
  assert.equal(res.status, 200, `${action} ${entry.id} at version ${entry.version}: ${res.status} ${res.text}`);
  assertEntry(res.body, `${action} result`);
  return res.body;
}

/** submit + approve; returns the published entry. */
export async function publish(srv, entry) {
  const inReview = await transition(srv, entry, 'submit');
  assert.equal(inReview.status, 'in_review', `submit → in_review: ${JSON.stringify(inReview)}`);
  const published = await transition(srv, inReview, 'approve');
  assert.equal(published.status, 'published', `approve → published: ${JSON.stringify(published)}`);
  assert.equal(published.published_version, published.version, 'the approved version is the live one');
  return published;
}

/** DELETE /entries/{id}?version=N → 200 archived. */
export async function archive(srv, entry) {
  const res = await kb(srv, 'DELETE', `/entries/${encodeURIComponent(entry.id)}?version=${entry.version}`);
  assert.equal(res.status, 200, `archive ${entry.id}: ${res.status} ${res.text}`);
  assertEntry(res.body, 'archived entry');
  assert.equal(res.body.status, 'archived');
  return res.body;
}

/** A copy of `entry` with content[lang] changed by `patch`. */
export function withContent(entry, lang, patch) {
  const copy = structuredClone(entry);
  copy.content[lang] = { ...copy.content[lang], ...patch };
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Conversations

/**
 * Markdown subset of docs/kb.md → plain text, whitespace collapsed, so that a reply can be compared
 * with an answer whether the channel got the Markdown as typed or with it removed.
 */
export function plain(text) {
  return String(text)
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\*\*([^*]*)\*\*/g, '$1')
    .replace(/\*([^*]*)\*/g, '$1')
    .replace(/^\s*(?:- |\d+\. )/gm, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Whether the bot reply text contains the answer (compared as plain text). */
export function replyHasAnswer(reply, answer) {
  return plain(reply).includes(plain(answer));
}

/** The first line of an answer as plain text: enough to recognise a multi-line Markdown answer. */
export function answerHead(answer) {
  return plain(String(answer).split('\n')[0]);
}

/**
 * Posts `text` as a customer message; asserts 201 and at least one non-empty bot reply.
 * Returns {res, text: the replies' texts joined by '\n', quick: the quick-reply labels and payloads}.
 */
export async function ask(srv, conv, text) {
  const res = await postMessage(srv, conv, uniqueId('kb'), text);
  assert.equal(res.status, 201, `posting ${JSON.stringify(text)}: ${res.status} ${res.text}`);
  const replies = res.body.replies;
  assert.ok(Array.isArray(replies) && replies.length >= 1, `a bot reply to ${JSON.stringify(text)}: ${res.text}`);
  const joined = replies.map((m) => m.text).join('\n');
  assert.ok(joined.trim().length > 0, `a non-empty bot reply to ${JSON.stringify(text)}`);
  const quick = replies.flatMap((m) => (m.quick_replies || []).flatMap((q) => [q.label, q.payload]));
  return { res, text: joined, quick };
}

/**
 * Asks `question` in `conv` until pred(replyText) holds; fails after timeoutMs (default CHANGE_WAIT_MS)
 * counted from `since` (default now). Returns {text, ms (from `since` to the reply that matched), tries}.
 */
export async function untilReply(srv, conv, question, pred, { timeoutMs = CHANGE_WAIT_MS, since = Date.now(), what = 'the reply to change', intervalMs = 100 } = {}) {
  let last = '';
  for (let tries = 1; ; tries++) {
    const r = await ask(srv, conv, question);
    last = r.text;
    const ms = Date.now() - since;
    if (pred(r.text)) return { text: r.text, ms, tries };
    if (ms > timeoutMs) {
      assert.fail(`${what}: not seen ${ms} ms after the change (${tries} tries); last reply to ${JSON.stringify(question)}: ${JSON.stringify(last.slice(0, 500))}`);
    }
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The command line

export const modelDir = path.join(os.tmpdir(), 'kefu-test-models');

/** The options that point a subcommand at the server's database (and the shared model cache). */
export function dbArgs(srv) {
  return ['--storage.path', path.join(srv.dataDir, 'kefu.db'), '--bot.model_dir', modelDir];
}

/** Runs `kefu kb <args> --storage.path <srv db>`; resolves with {code, signal, stdout, stderr}. */
export function kefuKb(srv, args, options = {}) {
  return runKefu(['kb', ...args, ...dbArgs(srv)], options);
}

/** Parses JSON printed by a command: one document, or one document per line. */
export function parseJsonOutput(stdout) {
  const t = stdout.trim();
  try { return [JSON.parse(t)]; } catch { /* JSON lines */ }
  return t.split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

// ---------------------------------------------------------------------------------------------
// CSV (RFC 4180), for checking exports

/** Parses CSV into rows of {fields, line} where line is the 1-based physical line a record starts on. */
export function parseCsv(text) {
  const rows = [];
  let fields = [];
  let field = '';
  let quoted = false;
  let line = 1;
  let start = 1;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') { field += '"'; i++; } else quoted = false;
      } else {
        if (c === '\n') line++;
        field += c;
      }
      continue;
    }
    if (c === '"') { quoted = true; any = true; } else if (c === ',') { fields.push(field); field = ''; any = true; } else if (c === '\r') { /* CRLF */ } else if (c === '\n') {
      fields.push(field);
      rows.push({ fields, line: start });
      fields = [];
      field = '';
      any = false;
      line++;
      start = line;
    } else { field += c; any = true; }
  }
  if (any || field.length) { fields.push(field); rows.push({ fields, line: start }); }
  return rows;
}

/** Quotes a CSV field when needed. */
export function csvField(v) {
  const s = String(v ?? '');
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_HEADER = 'id,language,question,answer,paraphrases,category,tags';

/** Builds a CSV file from rows [id, language, question, answer, paraphrases, category, tags]. */
export function csv(rows) {
  return `${[CSV_HEADER, ...rows.map((r) => r.map(csvField).join(','))].join('\n')}\n`;
}
