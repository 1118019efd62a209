// Helpers shared by the functional tests: start/stop the real server, talk HTTP (fetch and raw
// TCP) and WebSocket to it, run the CLI, and check the shapes the contract (docs/api-v1.md)
// promises. Every wait is bounded; nothing sleeps for a fixed time where polling works.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import WebSocket from 'ws';
import { startServer, kefuBin, repoRoot } from '../lib/server.mjs';

export { kefuBin, repoRoot };

/** Generous bound for any single wait: the tests also run on loaded 2-core ASan builds. */
export const WAIT_MS = 20000;

export const CONVERSATION_ID_RE = /^cv_[0-9A-Za-z]{26}$/;
export const MESSAGE_ID_RE = /^msg_[0-9A-Za-z]+$/;
export const TIMESTAMP_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const REQUEST_ID_RE = /^[A-Za-z0-9._-]{1,64}$/;
export const ERROR_CODES = [
  'malformed_json', 'invalid_utf8', 'invalid_argument', 'not_found', 'method_not_allowed',
  'request_timeout', 'conflict', 'invalid_transition', 'locked', 'unauthorized', 'forbidden', 'conversation_ended', 'payload_too_large',
  'unsupported_media_type', 'header_too_large', 'rate_limited', 'overloaded', 'unavailable', 'internal',
];

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Like sleep, but does not keep the process alive: for the losing side of a Promise.race. */
export const raceTimer = (ms) => new Promise((r) => setTimeout(r, ms).unref());

/** A client_message_id that is unique across test runs. */
export function uniqueId(prefix = 'c') {
  return `${prefix}-${Date.now().toString(36)}-${randomBytes(5).toString('hex')}`;
}

/**
 * Starts the server with the per-IP rate limit off (all test traffic comes from 127.0.0.1)
 * unless options.env sets it. Same options as startServer().
 */
export function start(options = {}) {
  return startServer({
    ...options,
    env: { KEFU_SERVER_RATE_LIMIT_RPS: '0', ...(options.env || {}) },
  });
}

/** Stops the server (SIGTERM, then SIGKILL if it hangs) and removes its data directory. */
export async function shutdown(srv, { keepData = false } = {}) {
  if (!srv) return;
  const exited = srv.stop('SIGTERM');
  const timer = raceTimer(WAIT_MS).then(() => 'timeout');
  if ((await Promise.race([exited, timer])) === 'timeout') {
    srv.proc.kill('SIGKILL');
    await exited;
  }
  if (!keepData) srv.cleanup();
}

/** Polls fn() until it returns a truthy value; throws with `what` after timeoutMs. */
export async function waitFor(fn, { timeoutMs = WAIT_MS, intervalMs = 50, what = 'condition' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError.message}` : ''}`);
    }
    await sleep(intervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// HTTP via fetch

/**
 * Sends a request and returns {status, headers, body (parsed JSON or undefined), text, requestId}.
 * options.body: an object (sent as JSON), a string or a Uint8Array (sent as is).
 * options.contentType: defaults to application/json when a body is sent; null sends none.
 * options.token: a bearer token. Every response must carry X-Request-Id (asserted here).
 */
export async function api(srv, method, path, options = {}) {
  const { body, token, headers = {}, contentType = 'application/json', timeoutMs = WAIT_MS } = options;
  const h = { ...headers };
  let payload;
  if (body !== undefined) {
    if (body instanceof Uint8Array) payload = body;
    else if (typeof body === 'string') payload = contentType === null ? Buffer.from(body) : body;
    else payload = JSON.stringify(body);
    if (contentType !== null) h['content-type'] = contentType;
    else if (typeof payload === 'string') payload = Buffer.from(payload);
  }
  if (token !== undefined) h.authorization = `Bearer ${token}`;
  const res = await fetch(srv.baseUrl + path, {
    method, headers: h, body: payload, signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed;
  try { parsed = JSON.parse(text); } catch { parsed = undefined; }
  const requestId = res.headers.get('x-request-id');
  assert.ok(requestId, `${method} ${path} → ${res.status} has no X-Request-Id header`);
  return { status: res.status, headers: res.headers, body: parsed, text, requestId };
}

/**
 * Asserts an error response: the status, the code, a body of exactly {code, message, request_id}
 * and request_id equal to the X-Request-Id header. `context` names the request in messages.
 */
export function assertError(res, status, code, context = '') {
  const where = `${context} → ${res.status} ${res.text.slice(0, 300)}`;
  assert.equal(res.status, status, `status: ${where}`);
  assert.ok(res.body && typeof res.body === 'object' && !Array.isArray(res.body), `error body is not a JSON object: ${where}`);
  assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message', 'request_id'], `error body keys: ${where}`);
  if (Array.isArray(code)) assert.ok(code.includes(res.body.code), `code ${res.body.code} not in ${code}: ${where}`);
  else assert.equal(res.body.code, code, `code: ${where}`);
  assert.equal(typeof res.body.message, 'string', `message: ${where}`);
  assert.ok(res.body.message.length > 0, `empty message: ${where}`);
  assert.equal(res.body.request_id, res.requestId ?? res.headers?.['x-request-id'], `request_id != X-Request-Id: ${where}`);
  const ct = typeof res.headers?.get === 'function' ? res.headers.get('content-type') : res.headers?.['content-type'];
  assert.match(ct || '', /^application\/json/, `error content-type: ${where}`);
}

/** Asserts the server still answers GET /healthz with 200 {"status":"ok"}. */
export async function assertHealthy(srv, context = '') {
  const res = await api(srv, 'GET', '/healthz');
  assert.equal(res.status, 200, `server not healthy ${context}: ${res.status} ${res.text}`);
  assert.deepEqual(res.body, { status: 'ok' });
}

export async function createConversation(srv, body = {}) {
  const res = await api(srv, 'POST', '/api/v1/conversations', { body });
  assert.equal(res.status, 201, `create conversation: ${res.status} ${res.text}`);
  return { id: res.body.conversation.id, token: res.body.access_token, res };
}

export async function postMessage(srv, conv, clientMessageId, text, options = {}) {
  return api(srv, 'POST', `/api/v1/conversations/${conv.id}/messages`, {
    token: conv.token, body: { client_message_id: clientMessageId, text }, ...options,
  });
}

/** Reads a whole transcript by pages of `limit`; asserts the paging fields on the way. */
export async function readTranscript(srv, conv, { limit = 200, token = conv.token } = {}) {
  const all = [];
  let after = 0;
  for (let page = 0; page < 100000; page++) {
    const res = await api(srv, 'GET', `/api/v1/conversations/${conv.id}/messages?after=${after}&limit=${limit}`, { token });
    assert.equal(res.status, 200, `transcript page after=${after}: ${res.status} ${res.text}`);
    const { messages, has_more: hasMore, next_after: nextAfter } = res.body;
    assert.ok(Array.isArray(messages), 'messages is an array');
    assert.equal(typeof hasMore, 'boolean', 'has_more is a boolean');
    all.push(...messages);
    if (messages.length === 0) {
      assert.equal(nextAfter, null, 'next_after is null on an empty page');
      assert.equal(hasMore, false, 'has_more is false on an empty page');
      break;
    }
    assert.equal(nextAfter, messages.at(-1).seq, 'next_after is the seq of the last returned message');
    if (!hasMore) break;
    after = nextAfter;
  }
  return all;
}

// ---------------------------------------------------------------------------------------------
// Object shapes

export function assertTimestamp(v, what) {
  assert.equal(typeof v, 'string', `${what} is a string`);
  assert.match(v, TIMESTAMP_RE, `${what} is ISO-8601 UTC with milliseconds`);
  assert.ok(!Number.isNaN(Date.parse(v)), `${what} parses`);
}

export function assertConversation(c) {
  assert.ok(c && typeof c === 'object', 'conversation is an object');
  for (const k of ['id', 'channel', 'language', 'status', 'customer_ref', 'created_at', 'updated_at', 'ended_at', 'last_seq']) {
    assert.ok(k in c, `conversation has ${k}: ${JSON.stringify(c)}`);
  }
  assert.match(c.id, CONVERSATION_ID_RE);
  assert.ok(['web', 'app', 'wechat', 'sms', 'voice'].includes(c.channel), `channel ${c.channel}`);
  assert.ok(['zh', 'en'].includes(c.language), `language ${c.language}`);
  assert.ok(['open', 'ended'].includes(c.status), `status ${c.status}`);
  assert.ok(c.customer_ref === null || typeof c.customer_ref === 'string');
  assertTimestamp(c.created_at, 'created_at');
  assertTimestamp(c.updated_at, 'updated_at');
  if (c.ended_at !== null) assertTimestamp(c.ended_at, 'ended_at');
  assert.ok(Number.isInteger(c.last_seq) && c.last_seq >= 0, `last_seq ${c.last_seq}`);
}

export function assertMessage(m) {
  assert.ok(m && typeof m === 'object', 'message is an object');
  for (const k of ['id', 'seq', 'role', 'text', 'client_message_id', 'created_at', 'in_reply_to']) {
    assert.ok(k in m, `message has ${k}: ${JSON.stringify(m)}`);
  }
  assert.match(m.id, MESSAGE_ID_RE);
  assert.ok(Number.isInteger(m.seq) && m.seq >= 1, `seq ${m.seq}`);
  assert.ok(['customer', 'bot', 'agent', 'system'].includes(m.role), `role ${m.role}`);
  assert.equal(typeof m.text, 'string');
  assertTimestamp(m.created_at, 'message created_at');
  assert.ok(m.in_reply_to === null || Number.isInteger(m.in_reply_to), `in_reply_to ${m.in_reply_to}`);
  if (m.role === 'customer') {
    assert.equal(typeof m.client_message_id, 'string', 'customer message has its client_message_id');
    assert.equal(m.in_reply_to, null, 'a customer message replies to nothing');
  }
  if (m.role === 'bot') {
    assert.ok(Array.isArray(m.quick_replies), `bot message has quick_replies: ${JSON.stringify(m)}`);
    for (const q of m.quick_replies) {
      assert.equal(typeof q.label, 'string');
      assert.equal(typeof q.payload, 'string');
    }
  }
}

/** Asserts seqs are exactly 1..n in order and ids are distinct. */
export function assertContiguous(messages, what = 'transcript') {
  messages.forEach((m, i) => assert.equal(m.seq, i + 1, `${what}: message ${i} has seq ${m.seq}`));
  assert.equal(new Set(messages.map((m) => m.id)).size, messages.length, `${what}: message ids are distinct`);
}

// ---------------------------------------------------------------------------------------------
// WebSocket

/** A WebSocket client that keeps every received frame and lets a test wait for the next match. */
export class WsClient {
  static connect(url, { timeoutMs = WAIT_MS, headers } = {}) {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, handshakeTimeout: timeoutMs });
      const client = new WsClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`WebSocket upgrade refused: HTTP ${res.statusCode}`)));
    });
  }

  constructor(ws) {
    this.ws = ws;
    this.frames = []; // every parsed frame, in arrival order
    this.taken = new Set(); // indexes already returned by next()
    this.closeInfo = null; // {code, reason} once closed
    this.listeners = new Set();
    ws.on('message', (data, isBinary) => {
      let frame;
      try { frame = JSON.parse(data.toString('utf8')); } catch { frame = { type: '__not_json__', raw: data.toString('utf8'), isBinary }; }
      this.frames.push(frame);
      this.notify();
    });
    ws.on('close', (code, reason) => {
      this.closeInfo = { code, reason: reason.toString() };
      this.notify();
    });
    ws.on('error', () => { /* a close event follows */ });
  }

  notify() { for (const l of [...this.listeners]) l(); }

  send(frame) { this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame)); }

  /** Resolves with the earliest not yet taken frame matching pred (by type name or function). */
  next(pred, { timeoutMs = WAIT_MS, what } = {}) {
    const match = typeof pred === 'string' ? (f) => f.type === pred : pred;
    const label = what || (typeof pred === 'string' ? `a '${pred}' frame` : 'a matching frame');
    return new Promise((resolve, reject) => {
      const check = () => {
        for (let i = 0; i < this.frames.length; i++) {
          if (!this.taken.has(i) && match(this.frames[i])) {
            this.taken.add(i);
            done();
            resolve(this.frames[i]);
            return true;
          }
        }
        if (this.closeInfo) {
          done();
          reject(new Error(`connection closed (${this.closeInfo.code} ${this.closeInfo.reason}) while waiting for ${label}; frames: ${this.dump()}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${label}; frames: ${this.dump()}`));
      }, timeoutMs);
      const done = () => { clearTimeout(timer); this.listeners.delete(check); };
      if (!check()) this.listeners.add(check);
    });
  }

  /** The index of a frame (identity) in arrival order. */
  indexOf(frame) { return this.frames.indexOf(frame); }

  dump() { return JSON.stringify(this.frames).slice(-2000); }

  /** Resolves with {code, reason} once the connection is closed. */
  closed({ timeoutMs = WAIT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!this.closeInfo) return false;
        done();
        resolve(this.closeInfo);
        return true;
      };
      const timer = setTimeout(() => { done(); reject(new Error(`connection not closed within ${timeoutMs} ms`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); this.listeners.delete(check); };
      if (!check()) this.listeners.add(check);
    });
  }

  async close() {
    if (this.closeInfo) return this.closeInfo;
    this.ws.close(1000);
    try {
      return await this.closed({ timeoutMs: 5000 });
    } catch {
      this.ws.terminate();
      return this.closed();
    }
  }

  /** Sends ping and waits for pong: every frame the server sent before it has then arrived. */
  async roundTrip() {
    this.send({ type: 'ping' });
    return this.next('pong');
  }
}

/** Opens a socket and a new conversation on it; returns {ws, opened, conv}. */
export async function wsCreate(srv, open = {}) {
  const ws = await WsClient.connect(srv.wsUrl);
  ws.send({ type: 'open', ...open });
  const opened = await ws.next('opened');
  return { ws, opened, conv: { id: opened.conversation.id, token: opened.access_token } };
}

/** Sends a message on ws and waits for its ack. */
export async function wsSend(ws, clientMessageId, text) {
  ws.send({ type: 'message', client_message_id: clientMessageId, text });
  return ws.next((f) => (f.type === 'ack' || f.type === 'error') && f.client_message_id === clientMessageId,
    { what: `ack of ${clientMessageId}` });
}

// ---------------------------------------------------------------------------------------------
// Raw HTTP over TCP, for requests fetch cannot make

/**
 * Parses one HTTP/1.1 response from the front of buf. Returns {response, rest} or null when
 * more bytes are needed. `ended`: the peer has closed, so a body without a length ends here.
 */
export function parseResponse(buf, ended) {
  const headEnd = buf.indexOf('\r\n\r\n');
  if (headEnd < 0) return null;
  const head = buf.subarray(0, headEnd).toString('latin1');
  const [statusLine, ...lines] = head.split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  if (!m) throw new Error(`bad status line: ${JSON.stringify(statusLine)}`);
  const headers = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) {
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      headers[k] = k in headers ? `${headers[k]}, ${v}` : v;
    }
  }
  const status = Number(m[1]);
  let bodyStart = headEnd + 4;
  let body;
  let end;
  if (status === 101 || status === 204 || status === 304) {
    body = Buffer.alloc(0);
    end = bodyStart;
  } else if (headers['content-length'] !== undefined) {
    const len = Number(headers['content-length']);
    if (buf.length < bodyStart + len) return null;
    body = buf.subarray(bodyStart, bodyStart + len);
    end = bodyStart + len;
  } else if (/chunked/i.test(headers['transfer-encoding'] || '')) {
    const parts = [];
    let p = bodyStart;
    for (;;) {
      const lineEnd = buf.indexOf('\r\n', p);
      if (lineEnd < 0) return null;
      const size = parseInt(buf.subarray(p, lineEnd).toString('latin1'), 16);
      if (buf.length < lineEnd + 2 + size + 2) return null;
      if (size === 0) { end = lineEnd + 4; break; }
      parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      p = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  } else {
    if (!ended) return null;
    body = buf.subarray(bodyStart);
    end = buf.length;
  }
  let json;
  try { json = JSON.parse(body.toString('utf8')); } catch { json = undefined; }
  return {
    response: { status, statusLine, headers, body: json, text: body.toString('utf8'), requestId: headers['x-request-id'] },
    rest: buf.subarray(end),
  };
}

/** A raw TCP connection that can send bytes and read HTTP responses off it. */
export class RawConn {
  static connect(port, { timeoutMs = WAIT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      const timer = setTimeout(() => { socket.destroy(); reject(new Error('connect timed out')); }, timeoutMs);
      socket.once('connect', () => { clearTimeout(timer); resolve(new RawConn(socket)); });
      socket.once('error', (e) => { clearTimeout(timer); reject(e); });
    });
  }

  constructor(socket) {
    this.socket = socket;
    this.buf = Buffer.alloc(0);
    this.ended = false;
    this.error = null;
    this.listeners = new Set();
    socket.on('data', (d) => { this.buf = Buffer.concat([this.buf, d]); this.notify(); });
    socket.on('end', () => { this.ended = true; this.notify(); });
    socket.on('close', () => { this.ended = true; this.notify(); });
    // A reset after the server answered and closed is normal for the error paths; keep what
    // arrived and report the error only when no response can be parsed.
    socket.on('error', (e) => { this.error = e; this.ended = true; this.notify(); });
  }

  notify() { for (const l of [...this.listeners]) l(); }

  /** Writes bytes; write errors (the server already closed) are recorded, not thrown. */
  write(data) {
    return new Promise((resolve) => {
      if (this.socket.destroyed) { resolve(false); return; }
      this.socket.write(data, (err) => { if (err) this.error = err; resolve(!err); });
    });
  }

  /** Resolves with the next response, or rejects when the connection ends without one. */
  readResponse({ timeoutMs = WAIT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => {
        let parsed;
        try { parsed = parseResponse(this.buf, this.ended); } catch (e) { done(); reject(e); return true; }
        if (parsed) {
          this.buf = parsed.rest;
          done();
          resolve(parsed.response);
          return true;
        }
        if (this.ended) {
          done();
          reject(new Error(`connection ended without a complete response (${this.error?.code || 'closed'}); got ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`));
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => { done(); reject(new Error(`no response within ${timeoutMs} ms; got ${JSON.stringify(this.buf.toString('latin1').slice(0, 300))}`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); this.listeners.delete(check); };
      if (!check()) this.listeners.add(check);
    });
  }

  /** Resolves once the peer has closed the connection. */
  waitClosed({ timeoutMs = WAIT_MS } = {}) {
    return new Promise((resolve, reject) => {
      const check = () => { if (!this.ended) return false; done(); resolve(); return true; };
      const timer = setTimeout(() => { done(); reject(new Error(`connection still open after ${timeoutMs} ms`)); }, timeoutMs);
      const done = () => { clearTimeout(timer); this.listeners.delete(check); };
      if (!check()) this.listeners.add(check);
    });
  }

  destroy() { this.socket.destroy(); }
}

/** Sends raw bytes on a fresh connection and resolves with the parsed response. */
export async function rawRequest(port, data, options = {}) {
  const conn = await RawConn.connect(port, options);
  try {
    for (const part of Array.isArray(data) ? data : [data]) await conn.write(part);
    return await conn.readResponse(options);
  } finally {
    conn.destroy();
  }
}

/** Builds a request head: rawHead('GET', '/healthz', {'x-a': 'b'}). */
export function rawHead(method, target, headers = {}) {
  const lines = [`${method} ${target} HTTP/1.1`, 'Host: 127.0.0.1'];
  for (const [k, v] of Object.entries(headers)) lines.push(`${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}

// ---------------------------------------------------------------------------------------------
// The CLI

/**
 * Runs `kefu args...` and resolves with {code, signal, stdout, stderr}. KEFU_* variables of the
 * test environment are dropped so only options.env configures the binary.
 */
export function runKefu(args, { env = {}, input, timeoutMs = WAIT_MS, cwd = repoRoot } = {}) {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KEFU_')));
  return new Promise((resolve, reject) => {
    const proc = spawn(kefuBin, args, { cwd, env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    // Decode as a stream: a multi-byte character split across two chunks stays whole.
    proc.stdout.setEncoding('utf8');
    proc.stderr.setEncoding('utf8');
    proc.stdout.on('data', (d) => { stdout += d; });
    proc.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`kefu ${args.join(' ')} did not exit within ${timeoutMs} ms; stdout: ${stdout.slice(-500)} stderr: ${stderr.slice(-500)}`));
    }, timeoutMs);
    proc.on('error', (e) => { clearTimeout(timer); reject(e); });
    proc.on('close', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
    proc.stdin.on('error', () => { /* the process may exit before reading stdin */ });
    proc.stdin.end(input ?? '');
  });
}
