// The knowledge base (docs/kb.md) against the real binary: publishing changes the answer of a live
// conversation with no restart, optimistic concurrency, all-or-nothing import with line numbers
// (REST and `kefu kb import`), export round trips, rollback and history, readers during repeated
// publishes, authentication and bad input, `kefu kb query`, and unanswered-question mining.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { isDeepStrictEqual } from 'node:util';
import os from 'node:os';
import path from 'node:path';
import {
  api, assertError, assertHealthy, assertTimestamp, createConversation, postMessage, shutdown, sleep, start, waitFor,
} from './util.mjs';
import {
  adminToken, answerHead, archive, ask, assertEntry, assertKbError, createEntry, csv, CSV_HEADER, dbArgs, getEntry,
  kb, kefuKb, kid, LiveTimings, modelDir, parseCsv, parseJsonOutput, plain, publish, runKefu, token, transition,
  untilReply, updateEntry, withContent,
} from './kb_util.mjs';

let srv;
let tmp;

before(async () => {
  srv = await start();
  srv.adminToken = await adminToken(srv);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'kefu-kb-test-'));
});

after(async () => {
  // KEFU_KB_TEST_LOG=FILE keeps the server's output (with KEFU_TEST_LOG_LEVEL=info) for diagnosis.
  if (srv && process.env.KEFU_KB_TEST_LOG) writeFileSync(process.env.KEFU_KB_TEST_LOG, srv.logs());
  await shutdown(srv);
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const enConversation = () => createConversation(srv, { language: 'en' });

/** A new English entry with a distinctive question; `tok` appears in the question, `ans` in the answer. */
function newEntry(prefix, extra = {}) {
  const tok = token('q');
  const ans = token('a');
  return {
    tok,
    ans,
    entry: {
      id: kid(prefix),
      category: 'kbtest',
      tags: ['kbtest', prefix],
      content: {
        en: {
          question: `How do I order the commemorative ${tok} coin set?`,
          paraphrases: [`${tok} coin set`, `buy ${tok} commemorative coins`, `where can I get the ${tok} coins`],
          answer: `The ${tok} coins are sold at selected branches. Reference ${ans}.`,
        },
      },
      ...extra,
    },
  };
}

async function assertNoEntry(id, context) {
  const res = await kb(srv, 'GET', `/entries/${encodeURIComponent(id)}`);
  assertKbError(res, 404, 'not_found', `${context}: GET ${id}`);
}

// ---------------------------------------------------------------------------------------------
// 1. Publishing changes the answer in a live conversation
//
// Every wait for a change polls for up to CHANGE_WAIT_MS so that the rest of the test still runs
// when the server is slow; the measured delays are asserted (≤ LIVE_MS) at the end of each test.

/**
 * Publishes a new answer for a sentinel demo entry (used by no other test) and waits until `conv`
 * gets it: from then on the index in use includes every publication made before (so that negative
 * checks such as "a draft is not answered" are meaningful). An edit of an existing entry, not a new
 * entry, so that it measures the index swap alone.
 */
async function sentinel(conv, timings) {
  const id = 'ob-e-receipt';
  const e = await getEntry(srv, id);
  const tok = token('sentinel');
  await publish(srv, await updateEntry(srv, withContent(e, 'en', { answer: `Receipts are in the app. Sentinel ${tok}.` })));
  const since = Date.now();
  const seen = await untilReply(srv, conv, e.content.en.question, (t) => t.includes(tok), { since, what: 'the sentinel edit to be answered' });
  timings.add(seen, 'sentinel edit answered');
}

test('an approved answer change reaches a live conversation within 1 s; the draft and in-review versions do not', async () => {
  const timings = new LiveTimings();
  const id = 'branch-safe-deposit';
  const e0 = await getEntry(srv, id);
  assert.equal(e0.status, 'published', `the demo entry is published: ${JSON.stringify(e0)}`);
  assert.ok(Number.isInteger(e0.published_version), 'a published demo entry names its live version');
  const q = e0.content.en.question;
  const oldHead = answerHead(e0.content.en.answer);

  const conv = await enConversation();
  const first = await ask(srv, conv, q);
  assert.ok(plain(first.text).includes(oldHead),
    `the standard question gets the demo answer; expected to contain ${JSON.stringify(oldHead)}, got ${JSON.stringify(first.text)}`);

  const tok = token('box');
  const newAnswer = `Safe deposit boxes are now booked in the app only. Reference ${tok}.`;
  const draft = await updateEntry(srv, withContent(e0, 'en', { answer: newAnswer }));
  assert.equal(draft.published_version, e0.published_version, 'editing keeps the published version live');
  assert.equal(draft.content.en.answer, newAnswer);
  const inReview = await transition(srv, draft, 'submit');
  assert.equal(inReview.status, 'in_review');
  assert.equal(inReview.published_version, e0.published_version);

  // Neither the draft nor the version in review is answered, even once the index has been rebuilt since.
  await sentinel(conv, timings);
  const mid = await ask(srv, conv, q);
  assert.ok(!mid.text.includes(tok), `an unapproved change is not answered: ${mid.text}`);
  assert.ok(plain(mid.text).includes(oldHead), `the published version keeps answering: ${mid.text}`);

  const approved = await transition(srv, inReview, 'approve');
  const since = Date.now();
  assert.equal(approved.status, 'published');
  assert.equal(approved.published_version, approved.version);
  const seen = timings.add(await untilReply(srv, conv, q, (t) => t.includes(tok), { since, what: 'the approved answer' }), 'approved answer');
  assert.ok(!plain(seen.text).includes(oldHead), `the old answer is gone: ${seen.text}`);
  // And it stays.
  for (let i = 0; i < 3; i++) assert.ok((await ask(srv, conv, q)).text.includes(tok), 'the new answer stays');
  const now = await getEntry(srv, id);
  assert.equal(now.status, 'published');
  assert.equal(now.published_version, approved.version);
  assert.equal(now.content.en.answer, newAnswer);
  timings.check();
});

test('a new entry is answered only once approved, and no longer once archived', async () => {
  const timings = new LiveTimings();
  const { entry, tok, ans } = newEntry('new');
  const q = entry.content.en.question;
  const created = await createEntry(srv, entry);
  assert.equal(created.id, entry.id);
  assert.equal(created.published_version, null, 'a new draft has no live version');
  assert.equal(created.created_by, 'admin');
  assert.deepEqual(created.content.en, entry.content.en);
  assert.equal(created.category, 'kbtest');
  assert.deepEqual(created.tags, entry.tags);

  const conv = await enConversation();
  await sentinel(conv, timings);
  const draftReply = await ask(srv, conv, q);
  assert.ok(!draftReply.text.includes(ans), `a draft is not answered: ${draftReply.text}`);
  assert.ok(!draftReply.quick.some((x) => x.includes(tok)), `a draft is not offered as "did you mean": ${JSON.stringify(draftReply.quick)}`);

  const inReview = await transition(srv, created, 'submit');
  await sentinel(conv, timings);
  assert.ok(!(await ask(srv, conv, q)).text.includes(ans), 'an entry in review is not answered');

  const published = await transition(srv, inReview, 'approve');
  let since = Date.now();
  assert.equal(published.status, 'published');
  timings.add(await untilReply(srv, conv, q, (t) => t.includes(ans), { since, what: 'the new entry to be answered' }), 'new entry answered');
  // A paraphrase finds it too.
  await untilReply(srv, conv, `buy ${tok} commemorative coins`, (t) => t.includes(ans), { what: 'a paraphrase to find the entry' });

  const archived = await archive(srv, published);
  since = Date.now();
  timings.add(await untilReply(srv, conv, q, (t) => !t.includes(ans), { since, what: 'the archived entry to stop being answered' }),
    'archived entry no longer answered');
  await sentinel(conv, timings);
  for (let i = 0; i < 3; i++) assert.ok(!(await ask(srv, conv, q)).text.includes(ans), 'an archived entry stays unanswered');
  const got = await getEntry(srv, entry.id);
  assert.equal(got.status, 'archived');
  assert.equal(got.version, archived.version);
  const hist = await kb(srv, 'GET', `/entries/${entry.id}/history`);
  assert.equal(hist.status, 200, hist.text);
  assert.ok(hist.body.versions.length >= 1, 'the history of an archived entry stays');
  timings.check();
});

test('effective dates: a published entry outside effective_from/effective_until is not answered', async () => {
  const timings = new LiveTimings();
  const { entry, ans } = newEntry('eff', { effective_from: '2099-01-01' });
  const q = entry.content.en.question;
  const future = await publish(srv, await createEntry(srv, entry));
  assert.equal(future.effective_from, '2099-01-01');
  const conv = await enConversation();
  await sentinel(conv, timings);
  assert.ok(!(await ask(srv, conv, q)).text.includes(ans), 'not answered before effective_from');

  const past = await publish(srv, await updateEntry(srv, { ...future, effective_from: '2020-01-01', effective_until: '2021-12-31' }));
  assert.equal(past.effective_until, '2021-12-31');
  await sentinel(conv, timings);
  assert.ok(!(await ask(srv, conv, q)).text.includes(ans), 'not answered after effective_until');

  const current = await publish(srv, await updateEntry(srv, { ...past, effective_from: '2020-01-01', effective_until: '2099-12-31' }));
  const since = Date.now();
  assert.equal(current.effective_until, '2099-12-31');
  timings.add(await untilReply(srv, conv, q, (t) => t.includes(ans), { since, what: 'the entry to be answered inside its dates' }),
    'answered inside its dates');
  timings.check();
});

test('answers follow the conversation language and channel: zh content, sms variant, Markdown removed for voice', async () => {
  const timings = new LiveTimings();
  const tok = token('ch');
  const en = token('en');
  const zh = token('zh');
  const sms = token('sms');
  const entry = {
    id: kid('chan'),
    category: 'kbtest',
    tags: ['kbtest'],
    content: {
      en: {
        question: `How do I enrol in the ${tok} loyalty scheme?`,
        paraphrases: [`${tok} loyalty scheme`, `join ${tok} scheme`],
        answer: `Open the app and tap **Rewards**, then *Join*. See [the rewards page](https://example-bank.test/rewards). Code ${en}.`,
        variants: { sms: `Reply JOIN to enrol. Code ${sms}.` },
      },
      zh: {
        question: `怎么加入${tok}积分计划？`,
        paraphrases: [`${tok}积分计划`, `加入${tok}计划`],
        answer: `请在App中点击**积分**并选择加入。代码 ${zh}。`,
      },
    },
  };
  const created = await createEntry(srv, entry);
  assert.deepEqual(created.content.en.variants, entry.content.en.variants, 'variants are kept');
  await publish(srv, created);
  const since = Date.now();
  const web = await enConversation();
  const seen = timings.add(await untilReply(srv, web, entry.content.en.question, (t) => t.includes(en), { since, what: 'the new entry (web, en)' }),
    'new entry answered');
  assert.ok(plain(seen.text).includes(plain(entry.content.en.answer)), `the web channel gets the answer: ${seen.text}`);

  const zhConv = await createConversation(srv, { language: 'zh' });
  const zhReply = await ask(srv, zhConv, entry.content.zh.question);
  assert.ok(zhReply.text.includes(zh), `a zh conversation gets the zh answer: ${zhReply.text}`);
  assert.ok(!zhReply.text.includes(en), 'not the en answer');

  const smsConv = await createConversation(srv, { language: 'en', channel: 'sms' });
  const smsReply = await ask(srv, smsConv, entry.content.en.question);
  assert.ok(smsReply.text.includes(sms), `the sms channel gets the sms variant: ${smsReply.text}`);
  assert.ok(!smsReply.text.includes(en), `not the web answer: ${smsReply.text}`);

  const voiceConv = await createConversation(srv, { language: 'en', channel: 'voice' });
  const voiceReply = await ask(srv, voiceConv, entry.content.en.question);
  assert.ok(voiceReply.text.includes(en), `the voice channel (no variant) gets the answer: ${voiceReply.text}`);
  assert.ok(!/\*\*|\*Join\*|\]\(https?:/.test(voiceReply.text), `with the Markdown removed: ${voiceReply.text}`);
  assert.ok(voiceReply.text.includes('Rewards') && voiceReply.text.includes('the rewards page'), `the text of the Markdown stays: ${voiceReply.text}`);
  timings.check();
});

// ---------------------------------------------------------------------------------------------
// 2. Optimistic concurrency

test('a stale update gets 409 conflict with current_version and changes nothing', async () => {
  const { entry } = newEntry('stale');
  const v1 = await createEntry(srv, entry);
  const dup = await kb(srv, 'POST', '/entries', { body: entry });
  assertKbError(dup, 409, 'conflict', 'POST an existing id', [], ['current_version', 'current_status']);

  const v2 = await updateEntry(srv, withContent(v1, 'en', { answer: 'The first editor wrote this.' }));
  const stale = await kb(srv, 'PUT', `/entries/${v1.id}`, { body: withContent(v1, 'en', { answer: 'The second editor wrote this.' }) });
  assertKbError(stale, 409, 'conflict', 'stale PUT', ['current_version'], ['current_status']);
  assert.equal(stale.body.current_version, v2.version, 'current_version names the version to reload');

  let now = await getEntry(srv, v1.id);
  assert.equal(now.version, v2.version, 'the stale PUT made no version');
  assert.equal(now.content.en.answer, 'The first editor wrote this.', 'the stale PUT changed nothing');

  // Every state change checks the version.
  for (const [method, p, body] of [
    ['POST', `/entries/${v1.id}/submit`, { version: v1.version }],
    ['POST', `/entries/${v1.id}/approve`, { version: v1.version }],
    ['POST', `/entries/${v1.id}/reject`, { version: v1.version }],
    ['DELETE', `/entries/${v1.id}?version=${v1.version}`, undefined],
  ]) {
    const res = await kb(srv, method, p, { body });
    assertKbError(res, 409, 'conflict', `stale ${method} ${p}`, ['current_version'], ['current_status']);
    assert.equal(res.body.current_version, v2.version);
  }

  // An illegal transition (approving a draft) is 409 conflict naming the current status.
  const illegal = await kb(srv, 'POST', `/entries/${v1.id}/approve`, { body: { version: v2.version } });
  assertKbError(illegal, 409, 'conflict', 'approve a draft', [], ['current_version', 'current_status']);
  assert.ok(/draft/.test(illegal.body.message) || illegal.body.current_status === 'draft',
    `the error names the current status: ${illegal.text}`);

  now = await getEntry(srv, v1.id);
  assert.equal(now.version, v2.version);
  assert.equal(now.status, 'draft');
  assert.equal(now.content.en.answer, 'The first editor wrote this.');

  // reject sends a version in review back to draft.
  const inReview = await transition(srv, now, 'submit');
  const rejected = await transition(srv, inReview, 'reject', { comment: 'please cite the fee' });
  assert.equal(rejected.status, 'draft');
});

// ---------------------------------------------------------------------------------------------
// 3. Import and export

function importRows(ids, tok) {
  const [a, b, c] = ids;
  return [
    [a, 'en', `What is the ${tok} alpha import question?`, `Alpha answer ${tok}.`, 'alpha one|alpha two', 'kbimport', 'x|y'],
    [a, 'zh', `${tok} 导入问题甲是什么？`, '导入答案甲。', '', 'kbimport', 'x|y'],
    [b, 'en', `What is the ${tok} bravo import question?`, `Bravo answer ${tok}.`, '', 'kbimport', ''],
    [c, 'en', `What is the ${tok} charlie import question?`, `Charlie answer ${tok}, with a comma.`, 'charlie', 'kbimport', 'z'],
  ];
}

async function importFile(body, query, contentType = 'text/csv') {
  return kb(srv, 'POST', `/import?${query}`, { body, contentType });
}

function assertImportInvalid(res, lines, context) {
  assertKbError(res, 422, 'import_invalid', context, ['errors']);
  assert.ok(Array.isArray(res.body.errors) && res.body.errors.length >= 1, `errors is a non-empty array: ${res.text}`);
  for (const e of res.body.errors) {
    assert.ok(Number.isInteger(e.line), `errors[].line is an integer: ${JSON.stringify(e)}`);
    assert.equal(typeof e.message, 'string');
    assert.ok(e.message.length > 0);
  }
  if (lines) {
    assert.deepEqual([...new Set(res.body.errors.map((e) => e.line))].sort((x, y) => x - y), lines,
      `${context}: the errors name exactly the bad lines: ${JSON.stringify(res.body.errors)}`);
  }
}

test('POST /import: one bad row → 422 import_invalid naming its line and nothing changes; fixed → 200 with counts', async () => {
  const tok = token('imp');
  const ids = [kid('imp'), kid('imp'), kid('imp')];
  const good = importRows(ids, tok);

  // Empty answer on line 4 (header is line 1).
  const emptyAnswer = good.map((r) => [...r]);
  emptyAnswer[2][3] = '';
  const r1 = await importFile(csv(emptyAnswer), 'format=csv');
  assertImportInvalid(r1, [4], 'empty answer on line 4');
  for (const id of ids) await assertNoEntry(id, 'after a refused import');

  // Unknown language on line 3.
  const badLang = good.map((r) => [...r]);
  badLang[1][1] = 'fr';
  assertImportInvalid(await importFile(csv(badLang), 'format=csv'), [3], 'unknown language on line 3');
  // Bad id characters on line 5.
  const badId = good.map((r) => [...r]);
  badId[3][0] = 'Bad Id!';
  assertImportInvalid(await importFile(csv(badId), 'format=csv'), [5], 'bad id on line 5');
  // Two bad rows: both are reported.
  assertImportInvalid(await importFile(csv(emptyAnswer.map((r, i) => (i === 0 ? [r[0], 'xx', ...r.slice(2)] : r))), 'format=csv'),
    [2, 4], 'bad rows on lines 2 and 4');
  // dry_run validates too.
  assertImportInvalid(await importFile(csv(emptyAnswer), 'format=csv&dry_run=true'), [4], 'dry_run with a bad row');
  for (const id of ids) await assertNoEntry(id, 'after refused imports');
  await assertHealthy(srv, 'after refused imports');

  // dry_run of the good file: the counts, and nothing changes.
  const dry = await importFile(csv(good), 'format=csv&dry_run=true');
  assert.equal(dry.status, 200, dry.text);
  assert.deepEqual(dry.body, { created: 3, updated: 0, unchanged: 0, published: 0, dry_run: true });
  for (const id of ids) await assertNoEntry(id, 'after a dry run');

  // The fixed file is imported: two rows of the same id make one entry.
  const ok = await importFile(csv(good), 'format=csv');
  assert.equal(ok.status, 200, ok.text);
  assert.deepEqual(ok.body, { created: 3, updated: 0, unchanged: 0, published: 0, dry_run: false });
  const a = await getEntry(srv, ids[0]);
  assert.equal(a.status, 'draft');
  assert.deepEqual(Object.keys(a.content).sort(), ['en', 'zh']);
  assert.equal(a.content.en.answer, `Alpha answer ${tok}.`);
  assert.deepEqual(a.content.en.paraphrases, ['alpha one', 'alpha two']);
  assert.deepEqual(a.tags, ['x', 'y']);
  assert.equal(a.category, 'kbimport');
  assert.equal((await getEntry(srv, ids[2])).content.en.answer, `Charlie answer ${tok}, with a comma.`);

  // The same file again: unchanged; one answer edited: updated.
  const again = await importFile(csv(good), 'format=csv');
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.body, { created: 0, updated: 0, unchanged: 3, published: 0, dry_run: false });
  const edited = good.map((r) => [...r]);
  edited[2][3] = `Bravo answer, second edition ${tok}.`;
  const upd = await importFile(csv(edited), 'format=csv&publish=true');
  assert.equal(upd.status, 200, upd.text);
  const b = await getEntry(srv, ids[1]);
  assert.equal(b.status, 'published');
  assert.equal(b.content.en.answer, `Bravo answer, second edition ${tok}.`);
  // The imported, published entry is answered.
  const conv = await enConversation();
  await untilReply(srv, conv, `What is the ${tok} bravo import question?`, (t) => t.includes(`second edition ${tok}`),
    { what: 'the entry published by import to be answered' });
  // docs/kb.md: an entry whose content equals the current version is `unchanged`, whatever its status.
  assert.equal(upd.body.created, 0, upd.text);
  assert.equal(upd.body.updated, 1, `only the edited entry is updated: ${upd.text}`);
  assert.equal(upd.body.unchanged, 2, `entries whose content equals the current version are unchanged: ${upd.text}`);
  assert.ok(upd.body.published >= 1, `the updated entry is published: ${upd.text}`);
});

test('POST /import: the reported line of a bad row is its physical line when an earlier answer spans lines', async () => {
  const tok = token('ml');
  const ids = [kid('ml'), kid('ml')];
  // Line 1 header; lines 2-4 one record whose answer has two line breaks; line 5 a bad language.
  const text = `${CSV_HEADER}\n${ids[0]},en,What is the ${tok} multiline question?,"First line.\n- second line\n- third line",,kbimport,\n`
    + `${ids[1]},xx,What is the ${tok} other question?,An answer.,,kbimport,\n`;
  assert.equal(parseCsv(text)[2].line, 5);
  assertImportInvalid(await importFile(text, 'format=csv'), [5], 'bad row starting on physical line 5');
  for (const id of ids) await assertNoEntry(id, 'after a refused import');
});

test('POST /import accepts JSON ({entries} and a bare array) and YAML, all-or-nothing too', async () => {
  const e1 = newEntry('json').entry;
  const e2 = newEntry('arr').entry;
  const e3 = newEntry('yaml').entry;
  const r1 = await importFile(JSON.stringify({ entries: [e1] }), 'format=json', 'application/json');
  assert.equal(r1.status, 200, r1.text);
  assert.equal(r1.body.created, 1);
  const r2 = await importFile(JSON.stringify([e2]), 'format=json', 'application/json');
  assert.equal(r2.status, 200, r2.text);
  assert.equal(r2.body.created, 1);
  const yaml = [
    'entries:',
    `  - id: ${e3.id}`,
    '    category: kbtest',
    '    tags: [kbtest]',
    '    content:',
    '      en:',
    `        question: "${e3.content.en.question}"`,
    `        answer: "${e3.content.en.answer}"`,
    '',
  ].join('\n');
  const r3 = await importFile(yaml, 'format=yaml', 'application/yaml');
  assert.equal(r3.status, 200, r3.text);
  assert.equal(r3.body.created, 1);
  for (const e of [e1, e2, e3]) assert.equal((await getEntry(srv, e.id)).content.en.answer, e.content.en.answer);

  const good = newEntry('jgood').entry;
  const bad = withContent(newEntry('jbad').entry, 'en', { question: '' });
  const r4 = await importFile(JSON.stringify({ entries: [good, bad] }), 'format=json', 'application/json');
  assertImportInvalid(r4, null, 'JSON import with an empty question');
  await assertNoEntry(good.id, 'the good entry of a refused JSON import');
  const r5 = await importFile('{"entries": [', 'format=json', 'application/json');
  assert.ok(r5.status === 422 || r5.status === 400, `a truncated JSON file is refused: ${r5.status} ${r5.text}`);
  await assertHealthy(srv, 'after bad JSON imports');
});

async function writeTmp(name, text) {
  const file = path.join(tmp, name);
  writeFileSync(file, text);
  return file;
}

test('kefu kb import: FILE:LINE on stderr and non-zero exit for a bad file; --dry-run; --publish is noticed by the running server', async () => {
  const tok = token('cli');
  const ids = [kid('cli'), kid('cli'), kid('cli')];
  const good = importRows(ids, tok);
  const badRows = good.map((r) => [...r]);
  badRows[2][3] = '';
  const bad = await writeTmp('bad.csv', csv(badRows));

  for (const extra of [['--dry-run'], [], ['--publish']]) {
    const r = await kefuKb(srv, ['import', bad, ...extra]);
    assert.notEqual(r.code, 0, `kefu kb import bad.csv ${extra.join(' ')} exits non-zero: ${r.stdout} ${r.stderr}`);
    assert.match(r.stderr, /bad\.csv:4: \S/, `stderr reports FILE:LINE: reason for line 4: ${JSON.stringify(r.stderr)}`);
    assert.ok(!/bad\.csv:(?!4:)\d+:/.test(r.stderr), `only line 4 is reported: ${r.stderr}`);
  }
  for (const id of ids) await assertNoEntry(id, 'after a refused CLI import');

  const goodFile = await writeTmp('good.csv', csv(good));
  const dry = await kefuKb(srv, ['import', goodFile, '--dry-run']);
  assert.equal(dry.code, 0, `dry run of a good file: ${dry.stdout} ${dry.stderr}`);
  for (const id of ids) await assertNoEntry(id, 'after a CLI dry run');

  const conv = await enConversation();
  const q = `What is the ${tok} charlie import question?`;
  const pub = await kefuKb(srv, ['import', goodFile, '--publish']);
  const since = Date.now();
  assert.equal(pub.code, 0, `import --publish: ${pub.stdout} ${pub.stderr}`);
  const timings = new LiveTimings();
  timings.add(await untilReply(srv, conv, q, (t) => t.includes(`Charlie answer ${tok}`), { since, what: 'the server to notice the CLI import' }),
    'new entries of a CLI import --publish answered');
  for (const id of ids) {
    const e = await getEntry(srv, id);
    assert.equal(e.status, 'published', `${id} was published by the CLI`);
  }

  // A CLI edit of an entry the server already answers: noticed by polling (kb.poll_ms) and swapped in.
  const edited = good.map((r) => [...r]);
  edited[3][3] = `Charlie answer, edited from the command line ${tok}.`;
  const editFile = await writeTmp('edit.csv', csv(edited));
  const ed = await kefuKb(srv, ['import', editFile, '--publish']);
  const since2 = Date.now();
  assert.equal(ed.code, 0, `import --publish of an edit: ${ed.stdout} ${ed.stderr}`);
  timings.add(await untilReply(srv, conv, q, (t) => t.includes(`edited from the command line ${tok}`), { since: since2, what: 'the server to notice the CLI edit' }),
    'CLI edit of an answered entry live');
  timings.check();
});

test('kefu kb export --format csv|json|yaml imports back with --dry-run without errors; --status and --out; GET /export agrees', async () => {
  const demo = await getEntry(srv, 'branch-hours');
  const draftOnly = await createEntry(srv, newEntry('exp').entry);
  for (const format of ['csv', 'json', 'yaml']) {
    const r = await kefuKb(srv, ['export', '--format', format]);
    assert.equal(r.code, 0, `export ${format}: ${r.stderr}`);
    assert.ok(r.stdout.includes('branch-hours'), `the ${format} export holds the demo entries`);
    assert.ok(!r.stdout.includes(draftOnly.id), `the default ${format} export holds published entries only`);
    if (format === 'csv') {
      const rows = parseCsv(r.stdout);
      assert.deepEqual(rows[0].fields.slice(0, 7), CSV_HEADER.split(','), `the CSV columns of docs/kb.md, in order: ${rows[0].fields}`);
      const row = rows.find((x) => x.fields[0] === 'branch-hours' && x.fields[1] === 'en');
      assert.ok(row, 'a branch-hours en row');
      assert.equal(row.fields[2], demo.content.en.question);
      assert.equal(row.fields[3], demo.content.en.answer, 'the answer survives CSV quoting');
    }
    if (format === 'json') {
      const doc = JSON.parse(r.stdout);
      const entries = Array.isArray(doc) ? doc : doc.entries;
      assert.ok(Array.isArray(entries) && entries.length >= 100, `the JSON export lists the entries (${entries?.length})`);
      const e = entries.find((x) => x.id === 'branch-hours');
      assert.deepEqual(e.content, demo.content, 'the exported content is the entry content');
    }
    assert.ok(!r.stdout.includes('\uFFFD'), `the ${format} export has no U+FFFD replacement characters (broken UTF-8) at: ${
      JSON.stringify(r.stdout.slice(Math.max(0, r.stdout.indexOf('\uFFFD') - 60), r.stdout.indexOf('\uFFFD') + 20))}`);
    const file = await writeTmp(`export.${format}`, r.stdout);
    const back = await kefuKb(srv, ['import', file, '--dry-run', '--format', format]);
    assert.equal(back.code, 0, `the ${format} export imports cleanly: ${back.stdout} ${back.stderr}`);
    assert.ok(!/:\d+: /.test(back.stderr), `no FILE:LINE errors: ${back.stderr}`);
  }
  const outFile = path.join(tmp, 'out-all.json');
  const out = await kefuKb(srv, ['export', '--format', 'json', '--status', 'all', '--out', outFile]);
  assert.equal(out.code, 0, out.stderr);
  assert.ok(existsSync(outFile), '--out writes the file');
  const all = JSON.parse(readFileSync(outFile, 'utf8'));
  const allEntries = Array.isArray(all) ? all : all.entries;
  assert.ok(allEntries.length >= 100);
  assert.ok(allEntries.some((x) => x.id === draftOnly.id), '--status all holds drafts too');

  const csvRes = await kb(srv, 'GET', '/export?format=csv');
  assert.equal(csvRes.status, 200, csvRes.text.slice(0, 300));
  assert.deepEqual(parseCsv(csvRes.text)[0].fields.slice(0, 7), CSV_HEADER.split(','));
  assert.ok(csvRes.text.includes('branch-hours'));
  assert.ok(!csvRes.text.includes(draftOnly.id));
  const jsonRes = await kb(srv, 'GET', '/export?format=json&status=all');
  assert.equal(jsonRes.status, 200);
  assert.ok(jsonRes.body, 'the JSON export parses');
  const jsonAll = Array.isArray(jsonRes.body) ? jsonRes.body : jsonRes.body.entries;
  assert.ok(jsonAll.some((x) => x.id === draftOnly.id), 'status=all holds drafts');
  const yamlRes = await kb(srv, 'GET', '/export?format=yaml');
  assert.equal(yamlRes.status, 200);
  assert.ok(yamlRes.text.includes('branch-hours'));
});

test('an export imported into an empty database gives back exactly the same entries (csv, json, yaml)', async () => {
  const entriesOf = (text) => { const d = JSON.parse(text); return Array.isArray(d) ? d : d.entries; };
  const orig = await kefuKb(srv, ['export', '--format', 'json']);
  assert.equal(orig.code, 0, orig.stderr);
  const want = Object.fromEntries(entriesOf(orig.stdout).map((e) => [e.id, e]));
  const problems = [];
  for (const format of ['csv', 'json', 'yaml']) {
    const r = await kefuKb(srv, ['export', '--format', format]);
    assert.equal(r.code, 0, r.stderr);
    const file = await writeTmp(`roundtrip.${format}`, r.stdout);
    const db = ['--storage.path', path.join(tmp, `roundtrip-${format}.db`), '--bot.model_dir', modelDir];
    const imp = await runKefu(['kb', 'import', file, '--publish', ...db], { timeoutMs: 60000 });
    assert.equal(imp.code, 0, `import of the ${format} export into an empty database: ${imp.stdout} ${imp.stderr}`);
    const back = await runKefu(['kb', 'export', '--format', 'json', ...db], { timeoutMs: 60000 });
    assert.equal(back.code, 0, back.stderr);
    const got = entriesOf(back.stdout);
    assert.deepEqual(got.map((e) => e.id).sort(), Object.keys(want).sort(), `the ${format} round trip keeps the same ids`);
    const differ = got.filter((e) => !isDeepStrictEqual(e, want[e.id]));
    if (differ.length) {
      const e = differ[0];
      const a = JSON.stringify(want[e.id]);
      const b = JSON.stringify(e);
      let i = 0;
      while (i < a.length && a[i] === b[i]) i++;
      problems.push(`${format}: ${differ.length} of ${got.length} entries change, e.g. ${e.id} at ${JSON.stringify(a.slice(Math.max(0, i - 40), i + 30))} → ${JSON.stringify(b.slice(Math.max(0, i - 40), i + 30))}`);
    }
  }
  assert.deepEqual(problems, [], 'export → import → export is lossless');
});

// ---------------------------------------------------------------------------------------------
// 4. Rollback and history

test('rollback republishes an earlier version; history lists every version with author and times', async () => {
  const id = 'dep-deposit-insurance';
  const e0 = await getEntry(srv, id);
  assert.equal(e0.status, 'published');
  const q = e0.content.en.question;
  const oldHead = answerHead(e0.content.en.answer);
  const conv = await enConversation();
  assert.ok(plain((await ask(srv, conv, q)).text).includes(oldHead), 'the demo answer first');

  const tok = token('rb');
  const changed = await publish(srv, await updateEntry(srv, withContent(e0, 'en', { answer: `Deposit insurance was changed. Reference ${tok}.` })));
  await untilReply(srv, conv, q, (t) => t.includes(tok), { what: 'the changed answer' });

  const stale = await kb(srv, 'POST', `/entries/${id}/rollback`, { body: { version: e0.version, to_version: e0.published_version } });
  assertKbError(stale, 409, 'conflict', 'rollback with a stale version', ['current_version'], ['current_status']);
  const missing = await kb(srv, 'POST', `/entries/${id}/rollback`, { body: { version: changed.version, to_version: 9999 } });
  assert.ok(missing.status === 404 || missing.status === 400, `rollback to a version that does not exist: ${missing.status} ${missing.text}`);

  const rb = await kb(srv, 'POST', `/entries/${id}/rollback`, { body: { version: changed.version, to_version: e0.published_version } });
  const since = Date.now();
  assert.equal(rb.status, 200, rb.text);
  assertEntry(rb.body, 'rollback result');
  assert.equal(rb.body.status, 'published');
  assert.ok(rb.body.version > changed.version, 'rollback makes a new version');
  assert.equal(rb.body.published_version, rb.body.version);
  assert.deepEqual(rb.body.content, e0.content, 'the old content is back');
  const timings = new LiveTimings();
  timings.add(await untilReply(srv, conv, q, (t) => plain(t).includes(oldHead) && !t.includes(tok), { since, what: 'the old answer after rollback' }),
    'rolled-back answer');

  const hist = await kb(srv, 'GET', `/entries/${id}/history`);
  assert.equal(hist.status, 200, hist.text);
  const { versions } = hist.body;
  assert.ok(Array.isArray(versions));
  const nums = versions.map((v) => v.version);
  assert.deepEqual(nums, [...nums].sort((x, y) => y - x), 'newest first');
  assert.deepEqual(nums, Array.from({ length: rb.body.version }, (_, i) => rb.body.version - i), 'every version 1..N is listed');
  for (const v of versions) {
    for (const k of ['version', 'status', 'action', 'author', 'reviewer', 'at', 'content', 'category', 'tags', 'effective_from', 'effective_until']) {
      assert.ok(k in v, `history version has ${k}: ${JSON.stringify(v).slice(0, 300)}`);
    }
    assert.equal(typeof v.author, 'string');
    assert.ok(v.author.length > 0, 'author');
    assertTimestamp(v.at, `version ${v.version} at`);
  }
  const byNum = Object.fromEntries(versions.map((v) => [v.version, v]));
  assert.equal(byNum[changed.version].author, 'admin');
  assert.equal(byNum[changed.version].reviewer, 'admin', 'the approver is recorded');
  assert.equal(byNum[changed.version].content.en.answer, `Deposit insurance was changed. Reference ${tok}.`);
  assert.equal(byNum[rb.body.version].action, 'rollback');
  assert.equal(byNum[rb.body.version].status, 'published');
  assert.equal(byNum[rb.body.version].author, 'admin');
  assert.deepEqual(byNum[rb.body.version].content, byNum[e0.published_version].content);
  assert.ok(Date.parse(byNum[rb.body.version].at) >= Date.parse(byNum[changed.version].at), 'times increase');

  const audit = await kb(srv, 'GET', `/audit?entry=${id}&limit=50`);
  assert.equal(audit.status, 200, audit.text);
  const events = audit.body.events;
  assert.ok(Array.isArray(events) && events.length >= 4, `audit events: ${audit.text.slice(0, 500)}`);
  const seqs = events.map((ev) => ev.seq);
  assert.deepEqual(seqs, [...seqs].sort((x, y) => y - x), 'audit newest first');
  for (const ev of events) {
    assert.equal(ev.entry_id, id);
    assertTimestamp(ev.at, 'audit at');
    assert.equal(typeof ev.actor, 'string');
  }
  assert.ok(events.some((ev) => /rollback/.test(ev.action) && ev.actor === 'admin' && ev.version === rb.body.version),
    `the rollback is audited: ${JSON.stringify(events.map((ev) => [ev.action, ev.version, ev.actor]))}`);
  assert.ok(events.some((ev) => /approve|publish/.test(ev.action) && ev.version === changed.version), 'the approval is audited');
  timings.check();
});

// ---------------------------------------------------------------------------------------------
// 5. Readers during repeated publishes

test('readers never see an error or a half-built answer while an entry is published 12 times', async (t) => {
  const id = 'app-elderly-mode';
  const e0 = await getEntry(srv, id);
  const q = e0.content.en.question;
  const oldHead = answerHead(e0.content.en.answer);
  const tok = token('st');
  const answerOf = (k) => `Revision ${k} of the large-text answer (${tok}).`;
  const re = new RegExp(`Revision (\\d+) of the large-text answer \\(${tok}\\)\\.`);
  const classify = (text) => {
    const m = re.exec(text);
    if (m) return Number(m[1]);
    return plain(text).includes(oldHead) ? 0 : null;
  };

  const convs = await Promise.all([1, 2, 3, 4].map(() => enConversation()));
  for (const c of convs) assert.equal(classify((await ask(srv, c, q)).text), 0, 'the demo answer before the publishes');

  let stop = false;
  const seen = convs.map(() => []);
  const failures = [];
  const readers = convs.map(async (c, i) => {
    // A dead server must fail the test, not spin the readers forever.
    while (!stop && failures.length < 50) {
      try {
        const res = await postMessage(srv, c, `st-${i}-${seen[i].length}-${Date.now()}`, q);
        const text = res.status === 201 ? (res.body.replies || []).map((m) => m.text).join('\n') : '';
        if (res.status !== 201 || !text.trim()) failures.push(`${res.status} ${res.text.slice(0, 200)}`);
        else {
          const k = classify(text);
          if (k === null) failures.push(`unrecognised answer: ${text.slice(0, 300)}`);
          else seen[i].push(k);
        }
      } catch (e) {
        failures.push(String(e));
      }
    }
  });

  const t0 = Date.now();
  let cur = e0;
  const published = [0];
  try {
    for (let k = 1; k <= 12; k++) {
      cur = await publish(srv, await updateEntry(srv, withContent(cur, 'en', { answer: answerOf(k) })));
      published.push(k);
      await sleep(Math.max(0, (t0 + k * 400) - Date.now()));
    }
    await sleep(Math.max(0, t0 + 5500 - Date.now()));
  } finally {
    stop = true;
    await Promise.all(readers);
  }

  assert.deepEqual(failures, [], `every turn got 201 and a known answer; failures: ${failures.slice(0, 5).join(' | ')}`);
  const turns = seen.reduce((n, s) => n + s.length, 0);
  assert.ok(turns >= 20, `the readers made enough turns (${turns})`);
  seen.forEach((s, i) => {
    for (const k of s) assert.ok(published.includes(k), `conversation ${i} saw revision ${k}, which was published (${published})`);
    for (let j = 1; j < s.length; j++) {
      assert.ok(s[j] >= s[j - 1], `conversation ${i} went back from revision ${s[j - 1]} to ${s[j]}: ${s.join(',')}`);
    }
  });
  const distinct = new Set(seen.flat());
  t.diagnostic(`${turns} reader turns; revisions seen per conversation: ${seen.map((x) => [...new Set(x)].join(',')).join(' | ')}`);
  assert.ok(distinct.size >= 2, `the readers saw the answer change during the run: ${[...distinct]}`);
  await untilReply(srv, convs[0], q, (t) => classify(t) === 12, { what: 'the last revision' });
});

// ---------------------------------------------------------------------------------------------
// 6. Authentication and bad input

test('the admin API needs a staff token: none or a wrong one is 401; the token file is 0600 and never logged', async () => {
  const file = path.join(srv.dataDir, 'admin-token');
  assert.equal(statSync(file).mode & 0o777, 0o600, 'admin-token has mode 0600');
  const routes = [
    ['GET', '/entries'], ['GET', '/entries/branch-hours'], ['POST', '/entries', { id: 'x-unauth', content: { en: { question: 'q', answer: 'a' } } }],
    ['PUT', '/entries/branch-hours', { version: 1 }], ['DELETE', '/entries/branch-hours?version=1'],
    ['POST', '/entries/branch-hours/approve', { version: 1 }], ['GET', '/entries/branch-hours/history'],
    ['GET', '/audit'], ['POST', '/query', { text: 'hi', lang: 'en' }], ['POST', '/import?format=csv', `${CSV_HEADER}\n`],
    ['GET', '/export?format=csv'], ['GET', '/gaps'],
  ];
  for (const [method, p, body] of routes) {
    for (const [label, tok] of [['no token', null], ['wrong token', 'not-a-real-token-0123456789abcdef'], ['empty token', '']]) {
      const res = await kb(srv, method, p, { token: tok, body, contentType: typeof body === 'string' ? 'text/csv' : 'application/json' });
      assertError(res, 401, 'unauthorized', `${method} ${p} with ${label}`);
    }
  }
  const basic = await api(srv, 'GET', '/api/v1/kb/entries', { headers: { authorization: `Basic ${Buffer.from(`admin:${srv.adminToken}`).toString('base64')}` } });
  assertError(basic, 401, 'unauthorized', 'Basic auth');
  assertError(await api(srv, 'GET', '/api/v1/kb/entries', { token: srv.adminToken.slice(0, -1) }), 401, 'unauthorized', 'a truncated token');
  await assertNoEntry('x-unauth', 'an unauthorised POST created nothing');
  await assertHealthy(srv, 'after unauthorised requests');
  assert.ok(!srv.logs().includes(srv.adminToken), 'the admin token is never logged');
});

test('a staff member whose role lacks the right gets 403; kb_editor may use the API', async () => {
  const add = async (name, role) => {
    const r = await runKefu(['staff', 'add', name, '--role', role, ...dbArgs(srv)]);
    assert.equal(r.code, 0, `kefu staff add ${name} --role ${role}: ${r.stdout} ${r.stderr}`);
    const candidates = r.stdout.match(/[A-Za-z0-9._~+/=-]{20,}/g) || [];
    assert.ok(candidates.length >= 1, `the token is printed: ${r.stdout}`);
    return candidates.at(-1);
  };
  const agent = await add(`agent-${token('n')}`, 'agent');
  const editor = await add(`editor-${token('n')}`, 'kb_editor');
  const res = await waitFor(async () => {
    const r = await kb(srv, 'GET', '/entries', { token: agent });
    return r.status !== 401 ? r : null;
  }, { timeoutMs: 3000, what: 'the new staff token to be known' });
  assertError(res, 403, 'forbidden', 'an agent on the KB API');
  const ok = await kb(srv, 'GET', '/entries?limit=1', { token: editor });
  assert.equal(ok.status, 200, `kb_editor may list entries: ${ok.text}`);
});

test('bad input gets the documented 4xx JSON and the server keeps serving', async () => {
  const good = newEntry('bad').entry;
  const long = 'x'.repeat(65);
  const cases = [
    ['malformed JSON', 'POST', '/entries', '{"id": "x", ', 400, 'malformed_json'],
    ['malformed JSON on PUT', 'PUT', '/entries/branch-hours', '{nope', 400, 'malformed_json'],
    ['malformed JSON on submit', 'POST', '/entries/branch-hours/submit', '[1,', 400, 'malformed_json'],
    ['unknown status filter', 'GET', '/entries?status=bogus', undefined, 400, 'invalid_argument'],
    ['limit 0', 'GET', '/entries?limit=0', undefined, 400, 'invalid_argument'],
    ['limit 201', 'GET', '/entries?limit=201', undefined, 400, 'invalid_argument'],
    ['unknown lang filter', 'GET', '/entries?lang=fr', undefined, 400, 'invalid_argument'],
    ['empty question', 'POST', '/entries', { ...good, id: kid('bad'), content: { en: { question: '', answer: 'a' } } }, 400, 'invalid_argument'],
    ['empty answer', 'POST', '/entries', { ...good, id: kid('bad'), content: { en: { question: 'q?', answer: '' } } }, 400, 'invalid_argument'],
    ['answer over 5000', 'POST', '/entries', { ...good, id: kid('bad'), content: { en: { question: 'q?', answer: 'a'.repeat(5001) } } }, 400, 'invalid_argument'],
    ['question over 500', 'POST', '/entries', { ...good, id: kid('bad'), content: { en: { question: 'q'.repeat(501), answer: 'a' } } }, 400, 'invalid_argument'],
    ['no content', 'POST', '/entries', { id: kid('bad'), content: {} }, 400, 'invalid_argument'],
    ['unknown language', 'POST', '/entries', { id: kid('bad'), content: { fr: { question: 'q?', answer: 'a' } } }, 400, 'invalid_argument'],
    ['id with capitals and spaces', 'POST', '/entries', { ...good, id: 'Bad Id' }, 400, 'invalid_argument'],
    ['id with a slash', 'POST', '/entries', { ...good, id: 'a/b' }, 400, 'invalid_argument'],
    ['id of 65 characters', 'POST', '/entries', { ...good, id: long }, 400, 'invalid_argument'],
    ['bad date', 'POST', '/entries', { ...good, id: kid('bad'), effective_from: '2026-13-45' }, 400, 'invalid_argument'],
    ['date in another format', 'POST', '/entries', { ...good, id: kid('bad'), effective_until: '01/02/2026' }, 400, 'invalid_argument'],
    ['101 paraphrases', 'POST', '/entries', withContent({ ...good, id: kid('bad') }, 'en', { paraphrases: Array.from({ length: 101 }, (_, i) => `p ${i}`) }), 400, 'invalid_argument'],
    ['tags not a list', 'POST', '/entries', { ...good, id: kid('bad'), tags: 'not-a-list' }, 400, 'invalid_argument'],
    ['submit without version', 'POST', '/entries/branch-hours/submit', {}, 400, 'invalid_argument'],
    ['DELETE without version', 'DELETE', '/entries/branch-hours', undefined, 400, 'invalid_argument'],
    ['gaps days 91', 'GET', '/gaps?days=91', undefined, 400, 'invalid_argument'],
    ['export format xml', 'GET', '/export?format=xml', undefined, 400, 'invalid_argument'],
    ['unknown entry', 'GET', '/entries/no-such-entry', undefined, 404, 'not_found'],
    ['PUT unknown entry', 'PUT', '/entries/no-such-entry', { ...good, id: 'no-such-entry', version: 1 }, 404, 'not_found'],
    ['submit unknown entry', 'POST', '/entries/no-such-entry/submit', { version: 1 }, 404, 'not_found'],
    ['history of unknown entry', 'GET', '/entries/no-such-entry/history', undefined, 404, 'not_found'],
    ['DELETE unknown entry', 'DELETE', '/entries/no-such-entry?version=1', undefined, 404, 'not_found'],
  ];
  for (const [label, method, p, body, status, code] of cases) {
    const res = await kb(srv, method, p, { body });
    assertError(res, status, code, `${label}: ${method} ${p}`);
    await assertHealthy(srv, `after ${label}`);
  }
  // A PUT whose body id differs from the path does not rename the entry.
  const mine = await createEntry(srv, newEntry('ren').entry);
  const renamed = await kb(srv, 'PUT', `/entries/${mine.id}`, { body: { ...mine, id: `${mine.id}-renamed` } });
  assert.ok(renamed.status === 400 || renamed.status === 200, `${renamed.status} ${renamed.text}`);
  if (renamed.status === 400) assertError(renamed, 400, 'invalid_argument', 'PUT with another id');
  await assertNoEntry(`${mine.id}-renamed`, 'ids never change');
  assert.equal((await getEntry(srv, mine.id)).id, mine.id);
  // Nothing invalid was stored.
  const list = await kb(srv, 'GET', '/entries?q=Bad%20Id&limit=200');
  assert.equal(list.status, 200);
  assert.ok(!list.body.entries.some((e) => e.id === 'Bad Id' || e.id === long));
});

test('GET /entries lists, filters and pages', async () => {
  const all = await kb(srv, 'GET', '/entries?limit=200');
  assert.equal(all.status, 200, all.text);
  assert.ok(Number.isInteger(all.body.total) && all.body.total >= 100, `the demo KB is listed: total ${all.body.total}`);
  assert.equal(all.body.entries.length, Math.min(200, all.body.total));
  all.body.entries.forEach((e) => assertEntry(e, 'listed entry'));
  const def = await kb(srv, 'GET', '/entries');
  assert.equal(def.body.entries.length, Math.min(50, def.body.total), 'limit defaults to 50');

  const p1 = await kb(srv, 'GET', '/entries?limit=3&offset=0');
  const p2 = await kb(srv, 'GET', '/entries?limit=3&offset=3');
  assert.equal(p1.body.entries.length, 3);
  assert.equal(p2.body.entries.length, 3);
  const ids1 = p1.body.entries.map((e) => e.id);
  assert.ok(!p2.body.entries.some((e) => ids1.includes(e.id)), 'pages do not overlap');

  const cat = await kb(srv, 'GET', '/entries?category=branches&limit=200');
  assert.ok(cat.body.entries.length >= 5 && cat.body.entries.every((e) => e.category === 'branches'), 'category filter');
  assert.ok(cat.body.entries.some((e) => e.id === 'branch-hours'));
  assert.equal(cat.body.total, cat.body.entries.length);

  const { entry } = newEntry('list');
  await createEntry(srv, entry);
  const drafts = await kb(srv, 'GET', '/entries?status=draft&limit=200');
  assert.ok(drafts.body.entries.every((e) => e.status === 'draft'), 'status filter');
  assert.ok(drafts.body.entries.some((e) => e.id === entry.id));
  const pub = await kb(srv, 'GET', '/entries?status=published&limit=200');
  assert.ok(!pub.body.entries.some((e) => e.id === entry.id));

  const q = await kb(srv, 'GET', `/entries?q=${encodeURIComponent('safe deposit')}`);
  assert.equal(q.status, 200);
  assert.ok(q.body.entries.some((e) => e.id === 'branch-safe-deposit'), `q finds by text: ${q.body.entries.map((e) => e.id)}`);
});

// ---------------------------------------------------------------------------------------------
// 7. kefu kb query and POST /query

function assertQueryResult(o, context) {
  assert.ok(o && typeof o === 'object', `${context}: an object`);
  for (const k of ['decision', 'id', 'answer', 'confidence', 'top']) assert.ok(k in o, `${context}: has ${k}: ${JSON.stringify(o)}`);
  assert.ok(['answer', 'clarify', 'fallback'].includes(o.decision), `${context}: decision ${o.decision}`);
  assert.equal(typeof o.confidence, 'number');
  assert.ok(o.confidence >= 0 && o.confidence <= 1, `${context}: confidence ${o.confidence} is a probability`);
  assert.ok(Array.isArray(o.top), `${context}: top is a list`);
  for (const t of o.top) {
    assert.deepEqual(Object.keys(t).sort(), ['id', 'question', 'score'], `${context}: top item ${JSON.stringify(t)}`);
    assert.equal(typeof t.id, 'string');
    assert.equal(typeof t.question, 'string');
    assert.equal(typeof t.score, 'number');
  }
  if (o.decision === 'fallback') {
    assert.equal(o.id, null, `${context}: id is null on fallback`);
    assert.equal(o.answer, null, `${context}: answer is null on fallback`);
  }
}

test('kefu kb query: one JSON object per input line, answer for a demo question and fallback for nonsense', async () => {
  const hours = await getEntry(srv, 'branch-hours');
  const input = `${hours.content.en.question}\nqwv zzkj plorf vexnu brindle\n`;
  // One run: the command builds its own index from the database (seconds of work).
  const r = await kefuKb(srv, ['query', '--lang', 'en', '--top', '2'], { input });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l.trim());
  assert.equal(lines.length, 2, `one line per question: ${r.stdout}`);
  const [a, b] = lines.map((l) => JSON.parse(l));
  assertQueryResult(a, 'demo question');
  assert.equal(a.decision, 'answer', JSON.stringify(a));
  assert.equal(a.id, 'branch-hours');
  assert.equal(a.answer, hours.content.en.answer);
  assert.ok(a.confidence >= 0.55, `at or above the answer threshold: ${a.confidence}`);
  assert.ok(a.top.length >= 1 && a.top.length <= 2, `--top 2 lists at most two candidates: ${a.top.length}`);
  assert.equal(a.top[0].id, 'branch-hours');
  assert.equal(a.top[0].question, hours.content.en.question);
  const scores = a.top.map((t) => t.score);
  assert.deepEqual(scores, [...scores].sort((x, y) => y - x), 'top is best first');
  assertQueryResult(b, 'nonsense');
  assert.equal(b.decision, 'fallback', JSON.stringify(b));
  assert.ok(b.confidence < 0.25, `below the clarify threshold: ${b.confidence}`);


  // The same through the admin API.
  const api1 = await kb(srv, 'POST', '/query', { body: { text: hours.content.en.question, lang: 'en', top: 3 } });
  assert.equal(api1.status, 200, api1.text);
  assertQueryResult(api1.body, 'POST /query');
  assert.equal(api1.body.decision, 'answer');
  assert.equal(api1.body.id, 'branch-hours');
  assert.ok(api1.body.top.length <= 3);
  const api2 = await kb(srv, 'POST', '/query', { body: { text: hours.content.en.question, lang: 'en', top: 1 } });
  assert.equal(api2.status, 200, api2.text);
  assert.equal(api2.body.top.length, 1, 'top: 1 lists one candidate');
  const zh = await kb(srv, 'POST', '/query', { body: { text: hours.content.zh.question, lang: 'zh' } });
  assert.equal(zh.status, 200, zh.text);
  assert.equal(zh.body.id, 'branch-hours', `the Chinese question finds the entry: ${zh.text}`);
  assertError(await kb(srv, 'POST', '/query', { body: { lang: 'en' } }), 400, 'invalid_argument', 'POST /query without text');
  assertError(await kb(srv, 'POST', '/query', { body: { text: 'hi', lang: 'fr' } }), 400, 'invalid_argument', 'POST /query lang fr');
});

// ---------------------------------------------------------------------------------------------
// 8. Unanswered-question mining

test('unanswered questions are clustered in GET /gaps and kefu kb gaps --json', async () => {
  const word = token('gap');
  const questions = [
    `Where is the ${word} zeppelin parade?`,
    `where is the ${word} zeppelin parade`,
    `where is the ${word} zeppelin parade please`,
    `Where is the ${word} zeppelin parade please?`,
  ];
  for (const q of questions) {
    const r = await kb(srv, 'POST', '/query', { body: { text: q, lang: 'en' } });
    assert.equal(r.status, 200, r.text);
    assert.notEqual(r.body.decision, 'answer', `precondition: the KB cannot answer ${JSON.stringify(q)}: ${r.text.slice(0, 300)}`);
  }
  const conv = await enConversation();
  for (const q of questions) await ask(srv, conv, q);

  const find = (clusters) => clusters.find((c) => [c.example, ...(c.examples || [])].some((x) => String(x).includes(word)));
  // Gaps are stored in the background: wait (bounded) until the cluster has them all.
  let last;
  const res = await waitFor(async () => {
    last = await kb(srv, 'GET', '/gaps?days=1&limit=100');
    assert.equal(last.status, 200, last.text);
    return (find(last.body.clusters)?.count ?? 0) >= questions.length ? last : null;
  }, { timeoutMs: 5000, what: 'the gap cluster' }).catch(() => last);
  assert.ok(Number.isInteger(res.body.total));
  for (const c of res.body.clusters) {
    for (const k of ['count', 'example', 'examples', 'languages', 'last_seen']) assert.ok(k in c, `cluster has ${k}: ${JSON.stringify(c)}`);
  }
  const counts = res.body.clusters.map((c) => c.count);
  assert.deepEqual(counts, [...counts].sort((x, y) => y - x), 'most frequent first');
  const cluster = find(res.body.clusters);
  assert.ok(cluster, `a cluster holds the questions: ${res.text.slice(0, 1000)}`);
  assert.ok(cluster.count >= questions.length, `the similar questions form one cluster: ${JSON.stringify(cluster)}`);
  assert.ok(cluster.example.includes(word), 'a representative example');
  assert.ok(Array.isArray(cluster.examples) && cluster.examples.length >= 1 && cluster.examples.length <= 5);
  assert.ok(cluster.languages.includes('en'));
  assertTimestamp(cluster.last_seen, 'last_seen');
  const lim = await kb(srv, 'GET', '/gaps?limit=1');
  assert.ok(lim.body.clusters.length <= 1, 'limit bounds the clusters');

  const r = await kefuKb(srv, ['gaps', '--json', '--days', '1', '--limit', '100']);
  assert.equal(r.code, 0, r.stderr);
  const docs = parseJsonOutput(r.stdout);
  const clusters = docs.flatMap((d) => (Array.isArray(d) ? d : d.clusters ? d.clusters : [d]));
  const cliCluster = find(clusters);
  assert.ok(cliCluster, `kefu kb gaps --json lists the cluster: ${r.stdout.slice(0, 1000)}`);
  assert.ok(cliCluster.count >= questions.length);
  const text = await kefuKb(srv, ['gaps', '--days', '1']);
  assert.equal(text.code, 0, text.stderr);
  assert.ok(text.stdout.includes(word), 'the human-readable listing shows the example');
});
