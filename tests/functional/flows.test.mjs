// Banking flows over the real server (issue 5): the dialogue state survives a restart, no account data
// is returned before verification, and a failing core-banking system (time-outs, 500s) gets the customer
// an apology and an alternative while the circuit breaker stops calling it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createHmac } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  api, createConversation, postMessage, runKefu, shutdown, start, uniqueId, WAIT_MS, wsCreate, wsSend,
} from './util.mjs';

const SECRET = 'flows-test-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const SLOWDOWN = Number(process.env.KEFU_TEST_SLOWDOWN || 1);

function customerToken(sub) {
  const payload = Buffer.from(JSON.stringify({ sub, exp: Math.floor(Date.now() / 1000) + 3600, ch: 'app' })).toString('base64url');
  const sig = createHmac('sha256', SECRET).update(`kct1.${payload}`).digest('base64url');
  return `kct1.${payload}.${sig}`;
}

/** Posts a customer message and returns the bot's replies joined, plus their quick replies. */
async function say(srv, conv, text) {
  const res = await postMessage(srv, conv, uniqueId('m'), text);
  assert.equal(res.status, 201, `${text}: ${res.status} ${res.text}`);
  const replies = res.body.replies;
  return {
    text: replies.map((r) => r.text).join('\n'),
    quick: replies.flatMap((r) => r.quick_replies.map((q) => q.label)),
  };
}

// Money as the bot shows it ("52,340.18元", "CNY 52,340.18") and the demo customer's card tails.
const MONEY_RE = /\d{1,3}(,\d{3})*\.\d{2}/;

test('a conversation resumes at the same step after the server is killed and restarted', { timeout: 120000 }, async () => {
  let srv = await start();
  const { dataDir } = srv;
  try {
    const conv = await createConversation(srv, { language: 'zh' });
    let r = await say(srv, conv, '我要冻结银行卡');
    assert.match(r.text, /核实身份/);
    r = await say(srv, conv, '尾号1282，1988年4月12日');
    assert.match(r.text, /身份核验通过/);
    assert.match(r.text, /要冻结哪张卡/);
    assert.ok(r.quick.includes('尾号3053的借记卡'), r.quick.join(','));

    srv.proc.kill('SIGKILL');
    await srv.waitExit();
    srv = await start({ dataDir });

    r = await say(srv, conv, '3053');
    assert.match(r.text, /确认临时冻结尾号3053的借记卡吗/, 'the same step (which card) after the restart');
    r = await say(srv, conv, '确认');
    assert.match(r.text, /已冻结尾号3053的借记卡/);

    // The frozen card stays frozen across another restart (the sandbox bank is in the database).
    await shutdown(srv, { keepData: true });
    srv = await start({ dataDir });
    r = await say(srv, conv, '冻结尾号3053的卡');
    assert.match(r.text, /确认临时冻结|已经是冻结状态|要冻结哪张卡/);
  } finally {
    await shutdown(srv);
  }
});

test('no account data before verification, in either language', { timeout: 120000 }, async () => {
  const srv = await start();
  try {
    const asks = {
      zh: ['查一下我的余额', '最近有哪些交易', '上个月淘宝花了多少钱', '我的转账TR20261118000123到账了吗', '我的信用卡账单多少'],
      en: ['what is my balance', 'show me my recent transactions', 'did my last transfer arrive', 'how much is my credit card bill'],
    };
    for (const [language, texts] of Object.entries(asks)) {
      for (const text of texts) {
        const conv = await createConversation(srv, { language });
        const r = await say(srv, conv, text);
        assert.match(r.text, language === 'zh' ? /核实身份/ : /verify/, `${text}: asks to verify`);
        assert.doesNotMatch(r.text, MONEY_RE, `${text}: no amounts before verification`);
        // A wrong answer does not unlock anything either.
        const wrong = await say(srv, conv, language === 'zh' ? '尾号1282，1990年1月1日' : 'card 1282, born 1 January 1990');
        assert.doesNotMatch(wrong.text, MONEY_RE, `${text}: no amounts after a failed verification`);
        assert.doesNotMatch(wrong.text, /TR2026|52,340/, `${text}: nothing about the customer`);
      }
    }
    // Verified: now the data comes.
    const conv = await createConversation(srv, { language: 'zh' });
    await say(srv, conv, '查一下我的余额');
    const r = await say(srv, conv, '尾号1282，1988年4月12日');
    assert.match(r.text, /52,340\.18元/);
  } finally {
    await shutdown(srv);
  }
});

test('a signed-in app customer is trusted without further verification', { timeout: 60000 }, async () => {
  const srv = await start({ env: { KEFU_AUTH_CUSTOMER_TOKEN_SECRET: SECRET } });
  try {
    const token = customerToken('c1007');
    const res = await api(srv, 'POST', '/api/v1/conversations', { token, body: { language: 'en' } });
    assert.equal(res.status, 201, res.text);
    const conv = { id: res.body.conversation.id, token };
    const r = await say(srv, conv, 'did my last transfer arrive?');
    assert.match(r.text, /TR20261120000871/);
    assert.match(r.text, /still being processed/);
  } finally {
    await shutdown(srv);
  }
});

/** A stand-in for the bank's core system (docs/core-banking-http.md) that is slow or failing on demand. */
async function startCore() {
  const core = { mode: 'slow', requests: 0 };
  const sockets = new Set();
  core.server = http.createServer((req, res) => {
    core.requests++;
    if (core.mode === 'slow') return;  // never answers: Kefu's deadline must fire
    res.writeHead(500, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ code: 'internal', message: 'core is down' }));
  });
  core.server.on('connection', (s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise((r) => core.server.listen(0, '127.0.0.1', r));
  core.url = `http://127.0.0.1:${core.server.address().port}/kefu/v1`;
  core.close = () => { for (const s of sockets) s.destroy(); return new Promise((r) => core.server.close(r)); };
  return core;
}

test('a core system that times out or answers 500: an apology and an alternative, then the circuit opens', { timeout: 120000 }, async () => {
  const core = await startCore();
  const timeoutMs = 300 * SLOWDOWN;
  const srv = await start({
    env: {
      KEFU_AUTH_CUSTOMER_TOKEN_SECRET: SECRET,
      KEFU_BANK_ADAPTER: 'http',
      KEFU_BANK_HTTP_BASE_URL: core.url,
      KEFU_BANK_HTTP_TIMEOUT_MS: String(timeoutMs),
      KEFU_BANK_HTTP_RETRIES: '0',
      KEFU_BANK_HTTP_BREAKER_FAILURES: '3',
      KEFU_BANK_HTTP_BREAKER_COOLDOWN_MS: '600000',
    },
  });
  try {
    const token = customerToken('c1007');
    const res = await api(srv, 'POST', '/api/v1/conversations', { token, body: { language: 'en' } });
    assert.equal(res.status, 201, res.text);
    const conv = { id: res.body.conversation.id, token };

    // 1. Time-out: the customer is answered soon after the deadline, with an apology and a way forward.
    let t0 = Date.now();
    let r = await say(srv, conv, 'what is my balance?');
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < timeoutMs + 5000 * SLOWDOWN, `answered ${elapsed} ms after asking (deadline ${timeoutMs} ms)`);
    assert.match(r.text, /sorry/i);
    assert.match(r.text, /400-000-0000/);
    assert.ok(r.quick.includes('Talk to a person'), `alternative offered: ${r.quick}`);
    assert.equal(core.requests, 1);

    // 2. 500s: the same apology.
    core.mode = 'error';
    r = await say(srv, conv, 'show my balance please');
    assert.match(r.text, /sorry/i);
    r = await say(srv, conv, 'my account balance');
    assert.match(r.text, /sorry/i);
    assert.equal(core.requests, 3, 'three calls reached the core');

    // 3. Three failures in a row opened the circuit: Kefu answers at once without calling the core.
    t0 = Date.now();
    r = await say(srv, conv, 'what is my balance?');
    assert.match(r.text, /sorry/i);
    assert.match(r.text, /400-000-0000/);
    assert.equal(core.requests, 3, 'the open circuit kept the call from the core');
    assert.ok(Date.now() - t0 < WAIT_MS);
  } finally {
    await shutdown(srv);
    await core.close();
  }
});

test('a turn waiting on a slow core system does not hold up other conversations', { timeout: 120000 }, async () => {
  // One I/O thread: if turns ran on it, the waiting balance question would stall the FAQ below.
  const core = await startCore();
  const timeoutMs = 2500 * SLOWDOWN;
  const srv = await start({
    env: {
      KEFU_AUTH_CUSTOMER_TOKEN_SECRET: SECRET,
      KEFU_SERVER_IO_THREADS: '1',
      KEFU_BANK_ADAPTER: 'http',
      KEFU_BANK_HTTP_BASE_URL: core.url,
      KEFU_BANK_HTTP_TIMEOUT_MS: String(timeoutMs),
      KEFU_BANK_HTTP_RETRIES: '0',
    },
  });
  try {
    const token = customerToken('c1007');
    const res = await api(srv, 'POST', '/api/v1/conversations', { token, body: { language: 'en' } });
    assert.equal(res.status, 201, res.text);
    // The waiting turn comes over the WebSocket, the other over HTTP: both transports must hand turns off.
    const { ws } = await wsCreate(srv, { conversation_id: res.body.conversation.id, access_token: token });
    const waiting = wsSend(ws, uniqueId('m'), 'what is my balance?')
      .then(() => ws.next((f) => f.type === 'message' && f.message.role === 'bot', { what: 'the apology' }));
    while (core.requests === 0) await new Promise((r) => setTimeout(r, 10));

    const other = await createConversation(srv, { language: 'en' });
    const t0 = Date.now();
    const r = await say(srv, other, 'what are the fees for transfers?');
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < timeoutMs / 2, `the other conversation waited ${elapsed} ms behind the core call`);
    assert.ok(r.text.length > 0);
    assert.match((await waiting).message.text, /sorry/i);
    await ws.close();
  } finally {
    await shutdown(srv);
    await core.close();
  }
});

test('kefu chat runs the demo bank in a terminal: verify, balance, freeze, stories and flow checks', { timeout: 120000 }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-chat-'));
  const env = {
    KEFU_STORAGE_PATH: path.join(dir, 'kefu.db'),
    KEFU_BOT_MODEL_DIR: path.join(os.tmpdir(), 'kefu-test-models'),
    KEFU_LOG_LEVEL: 'warn',
  };
  try {
    // A phone number gets a code: the sandbox shows the text message it "sent" as an sms> line.
    let r = await runKefu(['chat', '--language', 'zh'], { env, input: '查一下余额\n13800138001\n', timeoutMs: 60000 });
    assert.equal(r.code, 0, r.stderr);
    const sms = r.stdout.match(/sms> .*验证码是(\d{6})/);
    assert.ok(sms, `the sandbox SMS is shown: ${r.stdout}`);
    assert.doesNotMatch(r.stdout, /52,340\.18/, 'no balance before the code');

    r = await runKefu(['chat', '--language', 'zh'], {
      env, input: '查一下余额\n1282，1988年4月12日\n冻结尾号3053的卡\n1\n', timeoutMs: 60000,
    });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /尾号2601的人民币储蓄账户：52,340\.18元/);
    assert.match(r.stdout, /已冻结尾号3053的借记卡/, 'quick reply 1 (是) confirmed the freeze');

    // The freeze is in the database: resetting the sandbox undoes it.
    r = await runKefu(['bank', 'reset', '--as-of', '2026-11-23'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /12 customers/);

    r = await runKefu(['flows', 'check'], { env });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /flows: ok \(10 flows\)/);
    r = await runKefu(['stories', '--filter', '没有信用卡'], { env, timeoutMs: 120000 });
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /1 passed, 0 failed/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an unusable bank configuration stops the server at start with a clear message', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kefu-bankcfg-'));
  const env = { KEFU_STORAGE_PATH: path.join(dir, 'kefu.db'), KEFU_SERVER_PORT: '0' };
  try {
    let r = await runKefu(['serve'], { env: { ...env, KEFU_BANK_ADAPTER: 'http' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bank\.http_base_url: required when bank\.adapter is http/);
    r = await runKefu(['serve'], { env: { ...env, KEFU_BANK_ADAPTER: 'http', KEFU_BANK_HTTP_BASE_URL: 'ftp://core' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bank\.http_base_url/);
    r = await runKefu(['serve'], { env: { ...env, KEFU_BANK_ADAPTER: 'none', KEFU_DIALOGUE_SHOW_OTP_IN_LOG: 'true' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /show_otp_in_log: allowed only with bank\.adapter = sandbox/);
    r = await runKefu(['serve'], { env: { ...env, KEFU_BANK_ADAPTER: 'ftp' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bank\.adapter/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
