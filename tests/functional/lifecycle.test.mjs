// Process lifecycle (signals, restart over the same data) and the command-line interface.
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  api, createConversation, postMessage, raceTimer, rawHead, readTranscript, RawConn, runKefu, shutdown, sleep,
  start, uniqueId, waitFor, wsCreate, wsSend, WAIT_MS,
} from './util.mjs';

/** Resolves with {code, signal, ms} once srv exits; fails after limitMs. */
async function exitWithin(srv, limitMs, t0) {
  const res = await Promise.race([srv.waitExit(), raceTimer(limitMs).then(() => null)]);
  if (!res) {
    srv.proc.kill('SIGKILL');
    await srv.waitExit();
    assert.fail(`the server did not exit within ${limitMs} ms of the signal\n${srv.logs().slice(-3000)}`);
  }
  return { ...res, ms: Date.now() - t0 };
}

describe('signals', () => {
  test('SIGTERM: in-flight requests complete, the process exits 0, the data survives a restart', { timeout: 120000 }, async (t) => {
    const shutdownMs = 10000;
    let srv = await start({ env: { KEFU_SERVER_SHUTDOWN_TIMEOUT_MS: String(shutdownMs) } });
    const { dataDir } = srv;
    try {
      const conv = await createConversation(srv);
      const before = await postMessage(srv, conv, uniqueId('pre'), '你好');
      assert.equal(before.status, 201, before.text);

      // A request whose body is still arriving when the signal comes.
      const slow = await RawConn.connect(srv.port);
      const body = JSON.stringify({ client_message_id: 'in-flight-1', text: 'what are your branch hours' });
      await slow.write(rawHead('POST', `/api/v1/conversations/${conv.id}/messages`, {
        authorization: `Bearer ${conv.token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body),
      }));
      await slow.write(body.slice(0, 20));
      // Give the server a moment to read the head; there is nothing to poll on a half-sent request.
      await sleep(500);

      // An open WebSocket must not hold the shutdown up.
      const { ws } = await wsCreate(srv);

      // A burst of complete requests racing the signal: the signal comes as the first answer arrives.
      const burst = Array.from({ length: 20 }, (_, i) => {
        const cmid = `burst-${i}`;
        return postMessage(srv, conv, cmid, `第${i}个问题`).then((r) => ({ cmid, status: r.status, body: r.body }), (e) => ({ cmid, error: e }));
      });
      await Promise.race(burst);

      const t0 = Date.now();
      srv.proc.kill('SIGTERM');
      await sleep(300);
      await slow.write(body.slice(20));
      const slowRes = await slow.readResponse({ timeoutMs: shutdownMs + 5000 });
      assert.equal(slowRes.status, 201, `the in-flight request completes: ${slowRes.status} ${slowRes.text}`);
      slow.destroy();

      const results = await Promise.all(burst);
      t.diagnostic(`burst: ${results.filter((r) => r.status === 201).length} stored, ${results.filter((r) => r.status === 503).length} unavailable, `
        + `${results.filter((r) => r.error).length} refused (${[...new Set(results.filter((r) => r.error).map((r) => r.error.cause?.code || r.error.message))]})`);
      for (const r of results) {
        if (r.error) {
          // Refused or reset: the connection was never accepted, fine. A clean close without an
          // answer (undici: UND_ERR_SOCKET "other side closed") means the server accepted the
          // connection, was sent the request, and dropped it: an in-flight request not finished.
          const code = r.error.cause?.code || r.error.code;
          assert.notEqual(code, 'UND_ERR_SOCKET', `${r.cmid}: the server closed an accepted connection without answering its request (${r.error.cause?.message})`);
          continue;
        }
        assert.ok(r.status === 201 || (r.status === 503 && r.body?.code === 'unavailable'),
          `${r.cmid}: 201, or 503 unavailable while shutting down: ${r.status} ${JSON.stringify(r.body)}`);
      }
      const closed = await ws.closed({ timeoutMs: shutdownMs + 5000 });
      assert.ok([1000, 1001, 1006, 1012].includes(closed.code), `the WebSocket is closed on shutdown: ${JSON.stringify(closed)}`);

      const exit = await exitWithin(srv, shutdownMs + 5000, t0);
      assert.equal(exit.signal, null, `exited by itself, not killed by ${exit.signal}`);
      assert.equal(exit.code, 0, `exit code 0\n${srv.logs().slice(-3000)}`);
      assert.ok(exit.ms < shutdownMs + 5000, `exited in ${exit.ms} ms`);

      // Restart over the same data: everything acknowledged is there, the token still works.
      srv = await start({ dataDir });
      const transcript = await readTranscript(srv, conv);
      const byCmid = new Map(transcript.filter((m) => m.role === 'customer').map((m) => [m.client_message_id, m]));
      assert.deepEqual(byCmid.get(before.body.message.client_message_id), before.body.message);
      assert.ok(byCmid.has('in-flight-1'), 'the in-flight message was stored');
      assert.equal(byCmid.get('in-flight-1').seq, slowRes.body.message.seq);
      for (const r of results.filter((x) => x.status === 201)) {
        assert.deepEqual(byCmid.get(r.cmid), r.body.message, `${r.cmid} acknowledged before shutdown is stored`);
      }
      transcript.forEach((m, i) => assert.equal(m.seq, i + 1));
      const next = await postMessage(srv, conv, uniqueId('post'), '谢谢');
      assert.equal(next.status, 201, next.text);
      assert.equal(next.body.message.seq, transcript.length + 1);
    } finally {
      await shutdown(srv);
    }
  });

  test('SIGINT exits 0 too, and a restart finds the data', { timeout: 120000 }, async () => {
    let srv = await start();
    try {
      const conv = await createConversation(srv);
      const r = await postMessage(srv, conv, uniqueId('int'), '你好');
      assert.equal(r.status, 201, r.text);
      const t0 = Date.now();
      srv.proc.kill('SIGINT');
      const exit = await exitWithin(srv, 15000, t0);
      assert.deepEqual([exit.code, exit.signal], [0, null], `exit code 0 after SIGINT\n${srv.logs().slice(-3000)}`);
      srv = await start({ dataDir: srv.dataDir });
      const got = await api(srv, 'GET', `/api/v1/conversations/${conv.id}`, { token: conv.token });
      assert.equal(got.status, 200, got.text);
      assert.equal(got.body.conversation.last_seq, r.body.replies.at(-1).seq);
      const transcript = await readTranscript(srv, conv);
      assert.deepEqual(transcript.find((m) => m.seq === r.body.message.seq), r.body.message);
    } finally {
      await shutdown(srv);
    }
  });

  test('while shutting down, /readyz is 503 unavailable or the listener is closed', { timeout: 60000 }, async () => {
    const srv = await start({ env: { KEFU_SERVER_SHUTDOWN_TIMEOUT_MS: '3000' } });
    try {
      // A WebSocket keeps the process in its drain phase for a moment.
      const { ws } = await wsCreate(srv);
      await wsSend(ws, uniqueId('d'), '你好');
      srv.proc.kill('SIGTERM');
      // The signal is handled asynchronously; poll until readiness is gone. Any answer that is
      // not 200 must be 503 unavailable; a refused connection is fine too.
      const outcome = await waitFor(async () => {
        let res;
        try { res = await api(srv, 'GET', '/readyz'); } catch { return { refused: true }; }
        return res.status !== 200 && res;
      }, { intervalMs: 10, what: '/readyz to stop answering 200 after SIGTERM' });
      if (!outcome.refused) {
        assert.equal(outcome.status, 503, `readyz while stopping: ${outcome.status} ${outcome.text}`);
        assert.equal(outcome.body?.code, 'unavailable', `readyz while stopping: ${outcome.text}`);
      }
      const exit = await exitWithin(srv, 10000, Date.now());
      assert.equal(exit.code, 0);
    } finally {
      await shutdown(srv);
    }
  });
});

describe('command line', () => {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'kefu-cli-'));
  const configFile = (name, text) => {
    const p = path.join(tmp, name);
    writeFileSync(p, text);
    return p;
  };
  after(() => rmSync(tmp, { recursive: true, force: true }));
  // Never let a test that fails to refuse start a server on a real port or database.
  const safeEnv = { KEFU_SERVER_PORT: '0', KEFU_STORAGE_PATH: path.join(tmp, 'cli.db') };

  for (const args of [['--help'], ['serve', '--help'], ['config', 'check', '--help'], ['chat', '--help'], ['version', '--help'], ['stories', '--help'], ['flows', 'check', '--help'], ['bank', 'reset', '--help']]) {
    test(`kefu ${args.join(' ')} exits 0 with usage on stdout`, async () => {
      const r = await runKefu(args, { env: safeEnv });
      assert.equal(r.code, 0, `exit code: ${r.stderr}`);
      assert.ok(r.stdout.trim().length > 0, 'prints usage on stdout');
    });
  }

  test('kefu bogus exits 2 with one line on stderr', async () => {
    const r = await runKefu(['bogus']);
    assert.equal(r.code, 2);
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, 1, `one line: ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0], /^kefu: /);
    assert.match(lines[0], /bogus/);
  });

  test('an unknown flag exits 2 with one line on stderr', async () => {
    const r = await runKefu(['serve', '--no-such-flag'], { env: safeEnv });
    assert.equal(r.code, 2);
    const lines = r.stderr.split('\n').filter((l) => l.length > 0);
    assert.equal(lines.length, 1, `one line: ${JSON.stringify(r.stderr)}`);
    assert.match(lines[0], /^kefu: /);
  });

  test('kefu version prints the version', async () => {
    const r = await runKefu(['version']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout.trim(), /^kefu \d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)? \([^)]+\)$/);
  });

  test('kefu config check accepts a good file and prints the effective config', async () => {
    const file = configFile('good.toml', '[server]\nport = 9099\nmax_body_bytes = 100000\n\n[log]\nlevel = "debug"\n');
    const r = await runKefu(['config', 'check', '--config', file]);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    assert.match(r.stdout, /^config: ok/m);
    assert.match(r.stdout, /9099/, 'the file value is in the effective config');
    assert.match(r.stdout, /debug/);
    const defaults = await runKefu(['config', 'check']);
    assert.equal(defaults.code, 0, `${defaults.stdout}\n${defaults.stderr}`);
    assert.match(defaults.stdout, /^config: ok/m);
    assert.match(defaults.stdout, /8080/, 'the default port');
  });

  const bad = [
    ['an unknown key', '[server]\nprot = 8080\n', /server\.prot/, /unknown key/],
    ['an unknown section', '[bogus]\nkey = 1\n', /bogus/, /unknown/],
    ['a wrong type', '[server]\nport = "eighty"\n', /server\.port/, null],
    ['a port of 70000', '[server]\nport = 70000\n', /server\.port/, null],
    ['a negative body limit', '[server]\nmax_body_bytes = -1\n', /server\.max_body_bytes/, null],
    ['a bad log level', '[log]\nlevel = "loud"\n', /log\.level/, null],
    ['a bad storage driver', '[storage]\ndriver = "oracle"\n', /storage\.driver/, null],
    ['a bad language', '[bot]\ndefault_language = "fr"\n', /bot\.default_language/, null],
    ['TOML that does not parse', '[server\nport = 1\n', null, null],
  ];
  for (const [label, text, keyRe, reasonRe] of bad) {
    test(`kefu config check rejects ${label} with exit 2 naming it`, async () => {
      const file = configFile(`bad-${label.replace(/\W+/g, '-')}.toml`, text);
      const r = await runKefu(['config', 'check', '--config', file]);
      assert.equal(r.code, 2, `exit 2: ${r.stdout}\n${r.stderr}`);
      const out = `${r.stdout}\n${r.stderr}`;
      assert.ok(!/config: ok/.test(out), 'not ok');
      assert.ok(r.stderr.trim().length > 0, 'says why on stderr');
      if (!keyRe) return;
      const line = out.split('\n').find((l) => /^config: /.test(l) && keyRe.test(l));
      assert.ok(line, `a 'config: ' line naming ${keyRe}: ${JSON.stringify(out)}`);
      if (reasonRe) assert.match(line, reasonRe);
    });
  }

  test('a missing config file exits 2', async () => {
    const r = await runKefu(['config', 'check', '--config', path.join(tmp, 'absent.toml')]);
    assert.equal(r.code, 2, `${r.stdout}\n${r.stderr}`);
    assert.match(`${r.stdout}${r.stderr}`, /absent\.toml/);
  });

  test('environment overrides are validated: KEFU_SERVER_PORT=notanumber exits 2', async () => {
    const check = await runKefu(['config', 'check'], { env: { KEFU_SERVER_PORT: 'notanumber' } });
    assert.equal(check.code, 2, `${check.stdout}\n${check.stderr}`);
    assert.match(`${check.stdout}\n${check.stderr}`, /server\.port/);
    const serve = await runKefu(['serve'], { env: { KEFU_SERVER_PORT: 'notanumber', KEFU_STORAGE_PATH: path.join(tmp, 'x.db') } });
    assert.equal(serve.code, 2, `serve refuses to start: ${serve.stdout}\n${serve.stderr}`);
    assert.match(`${serve.stdout}\n${serve.stderr}`, /server\.port/);
  });

  test('environment and flags override the file', async () => {
    const file = configFile('override.toml', '[server]\nport = 9099\n');
    const env = await runKefu(['config', 'check', '--config', file], { env: { KEFU_SERVER_PORT: '9123' } });
    assert.equal(env.code, 0, env.stderr);
    assert.match(env.stdout, /9123/);
    assert.doesNotMatch(env.stdout, /9099/);
    const flag = await runKefu(['config', 'check', '--config', file, '--server.port', '9124'], { env: { KEFU_SERVER_PORT: '9123' } });
    assert.equal(flag.code, 0, flag.stderr);
    assert.match(flag.stdout, /9124/);
    const badFlag = await runKefu(['config', 'check', '--server.port', '70000']);
    assert.equal(badFlag.code, 2);
    assert.match(`${badFlag.stdout}\n${badFlag.stderr}`, /server\.port/);
    const unknownEnvKey = await runKefu(['config', 'check'], { env: { KEFU_SERVER_PROT: '1' } });
    assert.ok([0, 2].includes(unknownEnvKey.code), 'an unknown environment key is ignored or refused, never a crash');
  });

  test('kefu chat answers lines from stdin and exits 0 at EOF', async () => {
    const r = await runKefu(['chat'], { input: '你好\nwhat are your branch hours\n', timeoutMs: WAIT_MS * 2 });
    assert.equal(r.code, 0, `exit code: ${r.stderr}`);
    const lines = r.stdout.split('\n').filter((l) => l.trim().length > 0);
    assert.ok(lines.length >= 2, `bot replies on stdout: ${JSON.stringify(r.stdout)}`);
    const en = await runKefu(['chat', '--language', 'en'], { input: 'what are your branch hours\n', timeoutMs: WAIT_MS * 2 });
    assert.equal(en.code, 0, en.stderr);
    assert.match(en.stdout, /[A-Za-z]{3,}/, 'an English answer');
    const empty = await runKefu(['chat'], { input: '' });
    assert.equal(empty.code, 0, 'EOF at once is fine');
    const badLang = await runKefu(['chat', '--language', 'fr'], { input: '' });
    assert.equal(badLang.code, 2);
    assert.match(badLang.stderr, /^kefu: /);
  });
});
