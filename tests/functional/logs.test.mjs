// Logs are JSON lines and never contain card numbers, Chinese ID numbers, phones or emails,
// even at debug level and even when they arrive in bodies, URLs or bad requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  api, createConversation, postMessage, shutdown, start, uniqueId, wsCreate, wsSend,
} from './util.mjs';

// Each value is valid of its kind: Luhn-valid cards, ID numbers with a correct check digit.
const SECRETS = {
  cardSpaced: '4111 1111 1111 1111',
  card: '4111111111111111',
  unionPay: '6222021234567890128',
  idX: '11010519491231002X',
  id: '440308199901011234',
  phone: '13812345678',
  email: 'zhang.san@example.com',
};

let srv;
let output = '';
let requestIds = [];
before(async () => {
  srv = await start({ env: { KEFU_LOG_LEVEL: 'debug', KEFU_LOG_FORMAT: 'json' } });
  const conv = await createConversation(srv);
  const texts = [
    `我的卡号是 ${SECRETS.cardSpaced}，请帮我查询`,
    `card ${SECRETS.card} please`,
    `银联卡 ${SECRETS.unionPay} 挂失`,
    `身份证号 ${SECRETS.idX}`,
    `my id number is ${SECRETS.id}`,
    `手机 ${SECRETS.phone} 联系我`,
    `email me at ${SECRETS.email}`,
    `全部: ${SECRETS.card} ${SECRETS.idX} ${SECRETS.phone} ${SECRETS.email}`,
  ];
  for (const [i, text] of texts.entries()) {
    const rid = `logtest-${i}`;
    requestIds.push(rid);
    const r = await postMessage(srv, conv, uniqueId('pii'), text, { headers: { 'x-request-id': rid } });
    assert.equal(r.status, 201, r.text);
  }
  // In a URL, a query string, a bad body and a conflict.
  await api(srv, 'GET', `/api/v1/nope/${SECRETS.phone}?card=${SECRETS.card}&email=${encodeURIComponent(SECRETS.email)}`);
  await api(srv, 'GET', `/api/v1/conversations/${conv.id}/messages?after=${SECRETS.phone}`, { token: conv.token });
  await api(srv, 'POST', `/api/v1/conversations/${conv.id}/messages`, { token: conv.token, body: `{"client_message_id":"x","text":"${SECRETS.card} ${SECRETS.email}"` });
  const cmid = uniqueId('pii-conflict');
  await postMessage(srv, conv, cmid, `卡号 ${SECRETS.unionPay}`);
  await postMessage(srv, conv, cmid, `卡号 ${SECRETS.card} ${SECRETS.id}`);
  // Over WebSocket.
  const { ws } = await wsCreate(srv);
  await wsSend(ws, uniqueId('pii-ws'), `${SECRETS.phone} ${SECRETS.email} ${SECRETS.idX} ${SECRETS.cardSpaced}`);
  await ws.next((f) => f.type === 'message' && f.message?.role === 'bot');
  ws.send(`not json ${SECRETS.card} ${SECRETS.phone}`);
  await ws.next('error');
  await ws.close();

  const exit = await srv.stop('SIGTERM');
  assert.equal(exit.code, 0);
  output = srv.logs();
});
after(() => { srv?.cleanup(); });

test('no raw card number, ID number, phone or email appears in the logs', () => {
  assert.ok(output.length > 0, 'the server logged something at debug level');
  for (const [kind, value] of Object.entries(SECRETS)) {
    const variants = [value, value.toLowerCase()];
    for (const v of variants) {
      const i = output.indexOf(v);
      assert.equal(i, -1, `${kind} ${v} appears in the log: ${JSON.stringify(output.slice(Math.max(0, i - 200), i + 100))}`);
    }
  }
  // Nor any other long digit run that is a Luhn-valid card of ours, however it was spaced.
  const digitsOnly = output.replace(/[ -]/g, '');
  for (const v of [SECRETS.card, SECRETS.unionPay]) {
    assert.equal(digitsOnly.indexOf(v), -1, `${v} appears with separators in the log`);
  }
});

test('every log line is a JSON object with ts, level and msg', () => {
  const lines = output.split('\n').filter((l) => l.trim().length > 0);
  assert.ok(lines.length > 0);
  const levels = new Set();
  for (const line of lines) {
    let obj;
    try { obj = JSON.parse(line); } catch { assert.fail(`not a JSON log line: ${line.slice(0, 300)}`); }
    assert.ok(obj && typeof obj === 'object' && !Array.isArray(obj), `a JSON object: ${line.slice(0, 300)}`);
    assert.equal(typeof obj.ts, 'string', `ts: ${line.slice(0, 300)}`);
    assert.ok(!Number.isNaN(Date.parse(obj.ts)), `ts parses: ${obj.ts}`);
    assert.ok(['trace', 'debug', 'info', 'warn', 'error'].includes(obj.level), `level: ${obj.level}`);
    assert.equal(typeof obj.msg, 'string', `msg: ${line.slice(0, 300)}`);
    levels.add(obj.level);
  }
  assert.ok(levels.has('debug'), `debug lines are written at log.level=debug (levels seen: ${[...levels]})`);
});

test('request log lines carry the request_id', () => {
  const logged = new Set();
  for (const line of output.split('\n')) {
    try {
      const obj = JSON.parse(line);
      if (typeof obj.request_id === 'string') logged.add(obj.request_id);
    } catch { /* checked above */ }
  }
  for (const rid of requestIds) assert.ok(logged.has(rid), `a log line with request_id ${rid}`);
});
