// Hot reload: SIGHUP reloads the bot pack and the intent model while the server keeps serving.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { api, createConversation, postMessage, repoRoot, shutdown, start, uniqueId, waitFor } from './util.mjs';

let srv;
let pack;

before(async () => {
  pack = mkdtempSync(path.join(os.tmpdir(), 'kefu-pack-'));
  cpSync(path.join(repoRoot, 'packs', 'demo'), pack, { recursive: true });
  srv = await start({ env: { KEFU_BOT_PACK: pack } });
});

after(async () => {
  await shutdown(srv);
  rmSync(pack, { recursive: true, force: true });
});

async function replyTo(conv, text) {
  const res = await postMessage(srv, conv, uniqueId('r'), text);
  assert.ok(res.status === 201, `posting failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.replies.map((m) => m.text).join('\n');
}

async function loadsCounter(result) {
  const res = await fetch(`${srv.baseUrl}/metrics`);
  const text = await res.text();
  const m = text.match(new RegExp(`kefu_bot_loads_total\\{result="${result}"\\} (\\d+)`));
  return m ? Number(m[1]) : 0;
}

test('SIGHUP swaps in an edited pack with no failed request meanwhile', async () => {
  const conv = await createConversation(srv, { language: 'zh' });
  // A greeting: its rule reply wins over the knowledge base (rule_first_intents), so the edit shows.
  const before = await replyTo(conv, '你好');
  assert.ok(!before.includes('RELOADED'), 'the original reply is in place');

  // A reader loop that keeps talking to the bot during the reload.
  let stop = false;
  let failures = 0;
  let turns = 0;
  const loop = (async () => {
    const c = await createConversation(srv, { language: 'zh' });
    while (!stop) {
      const res = await postMessage(srv, c, uniqueId('loop'), '网点几点开门');
      if (res.status !== 201) failures += 1;
      turns += 1;
    }
  })();

  const rulesPath = path.join(pack, 'bot', 'rules.yaml');
  const rules = readFileSync(rulesPath, 'utf8');
  const edited = rules.replace(/(- intent: greet[\s\S]*?reply:\s*\n\s*zh: )/, '$1RELOADED ');
  assert.notEqual(edited, rules, 'the test found the greet reply to edit');
  writeFileSync(rulesPath, edited);
  const okBefore = await loadsCounter('ok');
  srv.proc.kill('SIGHUP');
  await waitFor(async () => (await loadsCounter('ok')) > okBefore, { what: 'the reload to finish' });
  const after = await replyTo(conv, '你好');
  assert.ok(after.startsWith('RELOADED'), `the new reply is served: ${after}`);

  stop = true;
  await loop;
  assert.equal(failures, 0, `${failures} of ${turns} turns failed during the reload`);
  assert.ok(turns > 0);
});

test('a broken pack is refused on SIGHUP and the running bot keeps answering', async () => {
  const rulesPath = path.join(pack, 'bot', 'rules.yaml');
  const good = readFileSync(rulesPath, 'utf8');
  writeFileSync(rulesPath, 'version: 1\nwelcome: [this is not valid\n');
  const errorsBefore = await loadsCounter('error');
  srv.proc.kill('SIGHUP');
  await waitFor(async () => (await loadsCounter('error')) > errorsBefore, { what: 'the failed reload to be counted' });
  const conv = await createConversation(srv, { language: 'en' });
  const reply = await replyTo(conv, 'what time do branches open?');
  assert.ok(reply.length > 0);
  const ready = await api(srv, 'GET', '/readyz');
  assert.equal(ready.status, 200);
  writeFileSync(rulesPath, good);
});

test('SIGHUP reloads the flows; a flow file with problems is refused with file:line', async () => {
  const flowPath = path.join(pack, 'flows', 'branch_hours.yaml');
  const good = readFileSync(flowPath, 'utf8');
  writeFileSync(flowPath, good.replace('本行网点一般周一至周五', 'FLOWRELOADED 本行网点一般周一至周五'));
  let okBefore = await loadsCounter('ok');
  srv.proc.kill('SIGHUP');
  await waitFor(async () => (await loadsCounter('ok')) > okBefore, { what: 'the reload to finish' });
  const conv = await createConversation(srv, { language: 'zh' });
  assert.match(await replyTo(conv, '网点几点开门'), /FLOWRELOADED/);

  writeFileSync(flowPath, good.replace('type: choice', 'type: colour'));
  const errorsBefore = await loadsCounter('error');
  srv.proc.kill('SIGHUP');
  await waitFor(async () => (await loadsCounter('error')) > errorsBefore, { what: 'the failed reload to be counted' });
  assert.match(srv.logs(), /branch_hours\.yaml:\d+: slot 'place': unknown type 'colour'/);
  const still = await createConversation(srv, { language: 'zh' });
  assert.match(await replyTo(still, '网点几点开门'), /FLOWRELOADED/, 'the running flows keep answering');
  writeFileSync(flowPath, good);
  okBefore = await loadsCounter('ok');
  srv.proc.kill('SIGHUP');
  await waitFor(async () => (await loadsCounter('ok')) > okBefore, { what: 'the reload to finish' });
});
