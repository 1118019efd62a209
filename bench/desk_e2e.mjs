#!/usr/bin/env node
// End-to-end load of the human desk through the real server binary (bench/README.md, "Desk end to end").
// bench/desk_load.cpp times the router alone; this drives `kefu serve` over HTTP and WebSockets: N agents
// signed in with their desk sockets open and online, M customers on conversation sockets. Every customer
// first asks an FAQ the bot answers (the baseline, same run, same pacing), then asks for a person; both
// phases are paced at --rate. Hand-off latency runs from the send to the customer's desk "assigned" frame,
// and to the agent's "assigned" frame. Halfway through the hand-offs a few agent consoles stop reading
// while their customers keep writing to them: the server must drop those consoles, not wait for them.
// The routing invariants (nobody over max_chats, every customer assigned exactly once) are checked against
// the frames and the server's own chat lists. Human-readable report on stdout, progress on stderr, and the
// last line of stdout is one JSON object.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `usage: node bench/desk_e2e.mjs [--agents 200] [--customers 2000] [--rate 200] [--slow-agents 5]

End-to-end load of the human desk through the real server (KEFU_BIN, default build/release/kefu).
Agents are created with \`kefu admin create-user\`, sign in, open /api/v1/desk/ws and go online; each
takes up to ceil(customers/agents) chats, so the desk can take every customer. Each customer opens a
conversation socket and
  1. baseline: asks an FAQ the bot answers ("网点几点开门" / "what are your branch hours");
  2. hand-off: asks for a person ("转人工" / "I want to talk to a person").
Both phases send at --rate questions per second, open loop. Halfway through the hand-offs, --slow-agents
consoles stop reading while their customers keep writing; the server must disconnect them.

options:
  --agents N        agents (default 200)
  --customers M     customers, half zh, half en (default 2000; at most 20 per agent)
  --rate R          questions per second in each phase (default 200)
  --slow-agents S   consoles that stop reading halfway through the hand-offs (default 5; 0: no check)
  -h, --help        this text

Prints a table, the command, and as the last line one JSON object. Exit status: 0 when the run had no
errors, 1 when it had some (a broken routing invariant, a missing frame, a slow console not dropped,
healthy consoles held up), 2 on bad usage or a missing binary.`;

const PASSWORD = 'desk-e2e-password';
const MAX_CHATS_LIMIT = 20;     // `kefu admin create-user --max-chats` accepts 1..20
const PARALLEL = 8;             // create-user, sign-in: argon2id runs for each
const OPEN_PARALLEL = 32;       // customer sockets opened at once
const SETTLE_MS = 30000;        // wait for late replies after the last send of a phase
const PING_EVERY_MS = 100;      // the healthy probe console and the stalled ones
const FLOOD_EVERY_MS = 100;     // each customer of a stalled console sends one long message this often
const FLOOD_MAX_MS = 90000;     // a stalled console still connected after this is an error
const FLOOD_TEXT = '我想咨询一下信用卡账单分期的手续费怎么计算，另外提前还款是否还要收取剩余期数的费用。'
  .repeat(200).slice(0, 4000); // the longest message the server accepts: 4,000 characters, ~12 KB
const QUEUE_CHANGED = Buffer.from('{"type":"queue_changed"}');
const PONG = Buffer.from('{"type":"pong"}');

// ---------------------------------------------------------------------------------------------
// Arguments

function usageError(message) {
  process.stderr.write(`desk_e2e: ${message}\n(see --help)\n`);
  process.exit(2);
}

function parseCli(argv) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        agents: { type: 'string' },
        customers: { type: 'string' },
        rate: { type: 'string' },
        'slow-agents': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    usageError(e.message);
  }
  if (parsed.values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const int = (name, fallback, min) => {
    const v = parsed.values[name];
    if (v === undefined) return fallback;
    if (!/^\d+$/.test(v) || Number(v) < min) usageError(`--${name}: expected a whole number >= ${min}, got '${v}'`);
    return Number(v);
  };
  const opts = {
    agents: int('agents', 200, 1),
    customers: int('customers', 2000, 1),
    slowAgents: int('slow-agents', 5, 0),
    rate: 200,
  };
  if (parsed.values.rate !== undefined) {
    const r = parsed.values.rate;
    if (!/^\d+(\.\d+)?$/.test(r) || Number(r) <= 0) usageError(`--rate: expected a number > 0, got '${r}'`);
    opts.rate = Number(r);
  }
  if (Math.ceil(opts.customers / opts.agents) > MAX_CHATS_LIMIT) {
    usageError(`${opts.customers} customers need ${Math.ceil(opts.customers / opts.agents)} chats per agent, and kefu allows at most` +
      ` ${MAX_CHATS_LIMIT} (max_chats): use at least ${Math.ceil(opts.customers / MAX_CHATS_LIMIT)} agents`);
  }
  if (opts.slowAgents >= opts.agents) {
    usageError(`--slow-agents (${opts.slowAgents}) must be below --agents (${opts.agents}): the others are measured`);
  }
  return opts;
}

const opts = parseCli(process.argv.slice(2));

// tests/lib/server.mjs reads KEFU_BIN when it is imported; a benchmark wants the release build.
process.env.KEFU_BIN ||= path.join(repoRoot, 'build', 'release', 'kefu');
const kefuBin = process.env.KEFU_BIN;
if (!existsSync(kefuBin)) {
  process.stderr.write(`desk_e2e: ${kefuBin} not found; build it with \`cmake --preset release && cmake --build --preset release\`` +
    ' or set KEFU_BIN\n');
  process.exit(2);
}
const openFileLimit = Number((/^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8')) || [])[1] || Infinity);
const fdsNeeded = opts.customers + opts.agents + 200;
if (openFileLimit < fdsNeeded) {
  process.stderr.write(`desk_e2e: the open-file limit is ${openFileLimit}, and ${opts.customers} customers + ${opts.agents} agents` +
    ` need about ${fdsNeeded} here and as many in the server: raise it (ulimit -n 65536), as bench/run_desk_e2e.sh does\n`);
  process.exit(2);
}

const { start, shutdown, runKefu, api, WsClient, wsCreate, uniqueId, sleep } = await import('../tests/functional/util.mjs');

// ---------------------------------------------------------------------------------------------
// Small helpers

const progress = (msg) => process.stderr.write(`desk_e2e: ${msg}\n`);

// Ctrl-C sets this; every loop below stops at it, and the run cleans up once what is in flight has ended
// (a create-user run still going would otherwise recreate the data directory after it is removed).
let interrupted = false;
class Interrupted extends Error {}
const checkInterrupted = () => { if (interrupted) throw new Interrupted('interrupted'); };

/** Runs fn over items with at most `limit` in flight; reports progress on stderr every ~2 s. */
async function pool(items, limit, fn, label) {
  let next = 0;
  let done = 0;
  let lastReport = performance.now();
  const worker = async () => {
    while (next < items.length && !interrupted) {
      const i = next++;
      await fn(items[i], i);
      done++;
      if (label && (performance.now() - lastReport > 2000 || done === items.length)) {
        lastReport = performance.now();
        progress(`${label} ${done}/${items.length}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  checkInterrupted();
}

/** Exact nearest-rank percentiles of a list of milliseconds; null for an empty list. */
function stats(values) {
  if (values.length === 0) return null;
  const s = Float64Array.from(values).sort();
  const at = (p) => s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)];
  const r = (v) => Math.round(v * 100) / 100;
  return { n: s.length, p50_ms: r(at(50)), p90_ms: r(at(90)), p99_ms: r(at(99)), max_ms: r(s[s.length - 1]) };
}

const ratio = (a, b) => (a == null || b == null || b === 0 ? null : Math.round((a / b) * 100) / 100);
const mb = (bytes) => Math.round((bytes / (1024 * 1024)) * 10) / 10;

/** utime+stime of a process in clock ticks (USER_HZ, 100 on Linux), or null once it is gone. */
function procTicks(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return null;
  }
}

/** Busy ticks of the whole machine (all cores) from /proc/stat. */
function machineBusyTicks() {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const total = f.slice(0, 8).reduce((a, b) => a + b, 0);
  return total - f[3] - f[4]; // minus idle and iowait
}

function rssMb(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(status) || [])[1]);
    return { rss: Math.round(kb('VmRSS') / 102.4) / 10, peak: Math.round(kb('VmHWM') / 102.4) / 10 };
  } catch {
    return { rss: null, peak: null };
  }
}

/** CPU of the server, this client and every other process over a phase, in % of one core. */
class CpuMeter {
  constructor(serverPid) {
    this.pid = serverPid;
    this.t = performance.now();
    this.server = procTicks(serverPid);
    this.client = procTicks(process.pid);
    this.busy = machineBusyTicks();
    this.loop = monitorEventLoopDelay({ resolution: 5 });
    this.loop.enable();
  }

  stop() {
    this.loop.disable();
    const seconds = (performance.now() - this.t) / 1000;
    const server = procTicks(this.pid) - this.server;
    const client = procTicks(process.pid) - this.client;
    const busy = machineBusyTicks() - this.busy;
    const pct = (ticks) => Math.round(ticks / seconds); // ticks are 1/100 s: ticks/s = % of one core
    return {
      seconds: Math.round(seconds * 100) / 100,
      server_cpu_pct: pct(server),
      client_cpu_pct: pct(client),
      other_cpu_pct: Math.max(0, pct(busy - server - client)),
      client_loop_delay_ms: {
        p99: Math.round(this.loop.percentile(99) / 1e4) / 100,
        max: Math.round(this.loop.max / 1e4) / 100,
      },
    };
  }
}

async function metricValue(srv, name) {
  const res = await fetch(`${srv.baseUrl}/metrics`);
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([0-9.e+-]+)$`, 'm').exec(await res.text());
  return m ? Number(m[1]) : 0; // counters appear once first incremented
}

/**
 * Sends send(item, i) for every item at `rate` per second from now, open loop: a late reply never delays
 * the next send. beforeSend(i) runs just before item i is sent. Returns the achieved rate.
 */
async function paced(items, rate, send, beforeSend = () => {}) {
  const t0 = performance.now();
  let i = 0;
  while (i < items.length) {
    checkInterrupted();
    const due = Math.min(items.length, Math.floor(((performance.now() - t0) * rate) / 1000) + 1);
    while (i < due) {
      beforeSend(i);
      send(items[i], i);
      i++;
    }
    if (i < items.length) await sleep(Math.max(1, t0 + (i * 1000) / rate - performance.now()));
  }
  const seconds = (performance.now() - t0) / 1000;
  return Math.round((items.length / Math.max(seconds, 1e-3)) * 10) / 10;
}

/** Polls until pred() or the deadline; returns whether pred() held. */
async function until(pred, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  while (!pred()) {
    checkInterrupted();
    if (performance.now() > deadline) return false;
    await sleep(20);
  }
  return true;
}

function gitCommit() {
  try {
    const head = execFileSync('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString().trim();
    const dirty = execFileSync('git', ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no'], { stdio: ['ignore', 'pipe', 'ignore'] })
      .toString().trim();
    return dirty ? `${head}+changes` : head;
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------
// The run

const errors = [];
const fail = (msg) => { errors.push(msg); };

const N = opts.agents;
const M = opts.customers;
const K = Math.ceil(M / N);
const mid = Math.floor(M / 2);
const command = process.env.DESK_E2E_COMMAND ||
  `${process.env.KEFU_BIN === path.join(repoRoot, 'build', 'release', 'kefu') ? '' : `KEFU_BIN=${kefuBin} `}` +
  `node bench/desk_e2e.mjs${process.argv.length > 2 ? ` ${process.argv.slice(2).join(' ')}` : ''}`;

const workDir = mkdtempSync(path.join(os.tmpdir(), 'kefu-desk-e2e-'));
const deskFile = path.join(workDir, 'desk.yaml');
writeFileSync(deskFile, 'version: 1\nchat_hours: {mon-sun: 00:00-24:00}\n');
const passwordFile = path.join(workDir, 'password');
writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });

let srv = null;
let pinger = null;
let flooder = null;
const agents = [];
const customers = [];
const byConversation = new Map();

async function cleanup() {
  for (const x of [...agents, ...customers]) {
    try { x.client?.ws.terminate(); } catch { /* already gone */ }
  }
  if (srv) await shutdown(srv);
  srv = null;
  rmSync(workDir, { recursive: true, force: true });
}

process.on('SIGINT', () => {
  if (interrupted) process.exit(130); // a second Ctrl-C: leave at once
  interrupted = true;
  progress('interrupted; stopping the server (Ctrl-C again to leave at once)');
});

/** Creates an agent with the CLI over the server's database; retries when SQLite is busy. */
async function createAgent(a) {
  const args = ['admin', 'create-user', a.name, '--role', 'agent', '--password-file', passwordFile,
    '--skills', 'general', '--languages', 'zh,en', '--max-chats', String(K)];
  for (let attempt = 1; ; attempt++) {
    const r = await runKefu(args, { env: { KEFU_STORAGE_PATH: path.join(srv.dataDir, 'kefu.db') }, timeoutMs: 60000 });
    if (r.code === 0) return;
    if (attempt >= 5 || r.code === 2) throw new Error(`create-user ${a.name} failed (exit ${r.code}): ${r.stderr.trim().slice(-500)}`);
    await sleep(200 * attempt);
  }
}

/** An agent's desk socket: WsClient keeps and parses every frame, but every agent gets a queue_changed for
 * each queue change (two per hand-off), hundreds of thousands of frames at 200 agents. So after the hello a
 * lean listener takes over: queue_changed and pong are recognised by their bytes, the rest parsed. */
function listenAsAgent(a) {
  a.client.ws.removeAllListeners('message');
  a.client.ws.on('message', (data) => {
    const t = performance.now();
    if (data.length === QUEUE_CHANGED.length && data.equals(QUEUE_CHANGED)) {
      a.queueChanged++;
      return;
    }
    if (data.length === PONG.length && data.equals(PONG)) {
      const sent = a.pings.shift();
      if (sent !== undefined && a.probe) a.rtts.push({ t: sent, ms: t - sent });
      return;
    }
    let f;
    try { f = JSON.parse(data); } catch { fail(`agent ${a.name}: a frame that is not JSON`); return; }
    if (f.type === 'assigned') {
      a.assignedFrames++;
      const c = byConversation.get(f.chat?.conversation_id);
      if (!c) { fail(`agent ${a.name}: assigned a conversation that is not one of ours: ${f.chat?.conversation_id}`); return; }
      c.agentFrames.push({ agent: a.name, frameAgent: f.chat.agent, t, slowAtTheTime: a.paused });
    } else if (f.type === 'error') {
      fail(`agent ${a.name}: error frame ${f.code}: ${f.message}`);
    } else {
      a.otherFrames++;
    }
  });
  a.client.ws.on('close', () => { a.closedAt = performance.now(); });
}

/** A customer's socket: frames are timestamped as they arrive, then dropped (nothing waits on them). */
function listenAsCustomer(c) {
  c.client.ws.on('message', () => {
    const t = performance.now();
    const f = c.client.frames.pop(); // parsed by WsClient's own listener, which runs first
    c.client.taken.clear();
    if (!f) return;
    if (f.type === 'ack') {
      if (f.client_message_id === c.faqId) c.faqSeq = f.message.seq;
    } else if (f.type === 'message') {
      if (f.message.role === 'bot' && c.faqSeq != null && f.message.in_reply_to === c.faqSeq && c.tFaqReply == null) {
        c.tFaqReply = t;
      }
    } else if (f.type === 'desk') {
      if (f.desk_status === 'assigned') {
        c.assignedFrames++;
        if (c.tAssigned == null) {
          c.tAssigned = t;
          c.agent = f.agent?.display_name ?? null; // display names are the sign-in names here
        }
      } else if (f.desk_status === 'queued') {
        c.queuedFrames++;
      } else {
        fail(`customer ${c.i}: desk_status '${f.desk_status}' during the run`);
      }
    } else if (f.type === 'error') {
      fail(`customer ${c.i}: error frame ${f.code}: ${f.message}${f.client_message_id ? ` (${f.client_message_id})` : ''}`);
    }
  });
  c.client.ws.on('close', () => {
    if (!c.closedByUs) fail(`customer ${c.i}: socket closed by the server (${c.client.closeInfo?.code})`);
  });
}

const report = { bench: 'desk_e2e' };
const phases = {};

try {
  const runStarted = new Date();
  progress(`starting ${kefuBin}`);
  // Every customer and agent holds a connection: lift the server's cap (10,000) out of the way.
  srv = await start({ env: { KEFU_DESK_FILE: deskFile, KEFU_SERVER_MAX_CONNECTIONS: '100000' } });
  const pid = srv.proc.pid;

  // 1. Agents.
  for (let i = 0; i < N; i++) {
    agents.push({
      i, name: `e2e.agent${String(i + 1).padStart(4, '0')}`, token: null, client: null, paused: false, slow: false,
      probe: false, pausedAt: null, closedAt: null, queueChanged: 0, assignedFrames: 0, otherFrames: 0,
      pings: [], rtts: [], floodBytes: 0, onlineAt: null,
    });
  }
  let t = performance.now();
  await pool(agents, PARALLEL, createAgent, `agents created (max_chats ${K})`);
  const createS = (performance.now() - t) / 1000;

  // 2. Sign in, desk socket, online.
  t = performance.now();
  const deskUrl = srv.wsUrl.replace('/api/v1/ws', '/api/v1/desk/ws');
  await pool(agents, PARALLEL, async (a) => {
    const res = await api(srv, 'POST', '/api/v1/auth/login', { body: { name: a.name, password: PASSWORD }, timeoutMs: 60000 });
    if (res.status !== 200) throw new Error(`login ${a.name}: ${res.status} ${res.text}`);
    a.token = res.body.token;
    a.client = await WsClient.connect(deskUrl, { headers: { authorization: `Bearer ${a.token}` } });
    await a.client.next('hello');
    listenAsAgent(a);
    const on = await api(srv, 'PUT', '/api/v1/desk/presence', { token: a.token, body: { status: 'online' } });
    if (on.status !== 200) throw new Error(`presence ${a.name}: ${on.status} ${on.text}`);
    a.onlineAt = performance.now();
  }, 'agents signed in and online');
  const loginS = (performance.now() - t) / 1000;

  // Customers' conversation sockets.
  for (let i = 0; i < M; i++) {
    customers.push({
      i, lang: i % 2 === 0 ? 'zh' : 'en', client: null, conv: null, half: i < mid ? 'reading' : 'stalled',
      faqId: null, faqSeq: null, tFaqSend: null, tFaqReply: null, tHandSend: null, tAssigned: null, agent: null,
      assignedFrames: 0, queuedFrames: 0, agentFrames: [], closedByUs: false,
    });
  }
  t = performance.now();
  await pool(customers, OPEN_PARALLEL, async (c) => {
    const { ws, conv } = await wsCreate(srv, { language: c.lang });
    c.client = ws;
    c.conv = conv;
    byConversation.set(conv.id, c);
    listenAsCustomer(c);
  }, 'customer conversations open');
  const openS = (performance.now() - t) / 1000;
  const rssAfterSetup = rssMb(pid);
  report.setup = {
    create_agents_s: Math.round(createS * 10) / 10,
    sign_in_online_s: Math.round(loginS * 10) / 10,
    open_conversations_s: Math.round(openS * 10) / 10,
  };

  // One console pings the server all along: its round trips show whether reading consoles are kept waiting.
  const agentsByName = new Map(agents.map((a) => [a.name, a]));
  const probe = agents[agents.length - 1]; // never chosen to stall
  probe.probe = true;
  pinger = setInterval(() => {
    for (const a of agents) {
      if (!(a.probe || (a.slow && a.closedAt == null))) continue;
      try {
        a.pings.push(performance.now());
        a.client.ws.send('{"type":"ping"}');
      } catch { /* closed: the close handler records it */ }
    }
  }, PING_EVERY_MS);

  // 3. Baseline: an FAQ turn the bot answers, at the same rate.
  progress(`baseline: ${M} FAQ questions at ${opts.rate}/s`);
  let cpu = new CpuMeter(pid);
  const baselineRate = await paced(customers, opts.rate, (c) => {
    c.faqId = uniqueId('faq');
    c.tFaqSend = performance.now();
    c.client.send({ type: 'message', client_message_id: c.faqId,
      text: c.lang === 'zh' ? '网点几点开门' : 'what are your branch hours' });
  });
  await until(() => customers.every((c) => c.tFaqReply != null), SETTLE_MS);
  phases.baseline = cpu.stop();
  const noReply = customers.filter((c) => c.tFaqReply == null).length;
  if (noReply) fail(`baseline: ${noReply} FAQ questions had no bot answer within ${SETTLE_MS / 1000} s of the last send`);

  // 4. Hand-off, with 5. the stalled consoles from the midpoint on.
  let pausedAt = null;
  let flooding = false;
  const droppedBefore = await metricValue(srv, 'kefu_websockets_dropped_slow_total');
  flooder = setInterval(() => {
    if (!flooding) return;
    for (const c of customers) {
      const a = c.agent && agentsByName.get(c.agent);
      if (!a || !a.slow || a.closedAt != null) continue;
      c.client.send(`{"type":"message","client_message_id":"${uniqueId('flood')}","text":"${FLOOD_TEXT}"}`);
      a.floodBytes += Buffer.byteLength(FLOOD_TEXT);
    }
  }, FLOOD_EVERY_MS);

  const stall = () => {
    // The consoles with the most chats so far stop reading, then (when the first replies have not arrived
    // yet) those online longest without one, whom routing gives the next chats. Their customers keep writing.
    const load = new Map();
    for (const c of customers) if (c.agent) load.set(c.agent, (load.get(c.agent) || 0) + 1);
    const busy = agents.filter((a) => !a.probe && load.get(a.name))
      .sort((x, y) => load.get(y.name) - load.get(x.name) || x.onlineAt - y.onlineAt);
    const idle = agents.filter((a) => !a.probe && !load.get(a.name)).sort((x, y) => x.onlineAt - y.onlineAt);
    const chosen = [...busy, ...idle].slice(0, opts.slowAgents);
    pausedAt = performance.now();
    for (const a of chosen) {
      a.slow = true;
      a.paused = true;
      a.pausedAt = pausedAt;
      a.client.ws.pause(); // ws stops reading the TCP socket: the kernel buffers fill, then the server's queue
    }
    flooding = true;
    progress(`midpoint: ${chosen.length} agent consoles stopped reading (${chosen.map((a) => a.name).join(', ')})`);
  };

  progress(`hand-off: ${M} customers ask for a person at ${opts.rate}/s`);
  cpu = new CpuMeter(pid);
  const handoffStart = performance.now();
  const handoffRate = await paced(customers, opts.rate, (c) => {
    c.tHandSend = performance.now();
    c.client.send({ type: 'message', client_message_id: uniqueId('human'),
      text: c.lang === 'zh' ? '转人工' : 'I want to talk to a person' });
  }, (i) => { if (i === mid && opts.slowAgents > 0) stall(); });
  const healthyHave = (c) => {
    const a = agentsByName.get(c.agent);
    return a && !a.slow ? c.agentFrames.length > 0 : true;
  };
  await until(() => customers.every((c) => c.tAssigned != null && healthyHave(c)), SETTLE_MS);
  phases.handoff = cpu.stop();

  // The stalled consoles: wait until the server has dropped every one (or the cap).
  let floodPhase = null;
  if (opts.slowAgents > 0) {
    cpu = new CpuMeter(pid);
    const slow = agents.filter((a) => a.slow);
    progress(`waiting for the server to drop ${slow.length} stalled consoles`);
    await until(() => slow.every((a) => a.closedAt != null), Math.max(0, pausedAt + FLOOD_MAX_MS - performance.now()));
    floodPhase = cpu.stop();
  }
  flooding = false;
  clearInterval(flooder);
  clearInterval(pinger);
  // Only when the stalled consoles outlived the hand-offs.
  if (floodPhase && floodPhase.seconds >= 0.1) phases.until_dropped = floodPhase;
  const droppedAfter = await metricValue(srv, 'kefu_websockets_dropped_slow_total');

  // ---------------------------------------------------------------------------------------------
  // Checks against the frames and the server's own state.

  const notAssigned = customers.filter((c) => c.tAssigned == null);
  if (notAssigned.length) {
    fail(`${notAssigned.length} customers never got desk_status assigned (e.g. customer ${notAssigned[0].i}, ${notAssigned[0].conv.id})`);
  }
  const twice = customers.filter((c) => c.assignedFrames > 1);
  if (twice.length) fail(`${twice.length} customers got desk_status assigned more than once (e.g. customer ${twice[0].i})`);
  for (const c of customers) {
    if (c.agentFrames.length > 1) {
      fail(`customer ${c.i} (${c.conv.id}) was announced to ${c.agentFrames.length} agents: ${c.agentFrames.map((f) => f.agent).join(', ')}`);
    }
    for (const f of c.agentFrames) {
      if (f.frameAgent !== f.agent) fail(`agent ${f.agent} got an assigned frame naming agent ${f.frameAgent}`);
      if (c.agent && f.agent !== c.agent) fail(`customer ${c.i} was told agent ${c.agent}, but agent ${f.agent} got the chat`);
    }
    const a = c.agent && agentsByName.get(c.agent);
    if (c.agent && !a) fail(`customer ${c.i} was assigned to an unknown agent '${c.agent}'`);
    if (a && !a.slow && c.agentFrames.length === 0) fail(`agent ${a.name} never got the assigned frame for customer ${c.i}`);
  }
  const perAgentFrames = new Map();
  for (const c of customers) if (c.agent) perAgentFrames.set(c.agent, (perAgentFrames.get(c.agent) || 0) + 1);
  for (const [name, n] of perAgentFrames) if (n > K) fail(`agent ${name} was given ${n} chats (max_chats ${K}) per the customers' frames`);

  // The server's view: every agent's active chats, and the queue.
  const serverChats = new Map(); // conversation id → [agent]
  const perAgent = [];
  await pool(agents, PARALLEL, async (a) => {
    const res = await api(srv, 'GET', '/api/v1/desk/chats?mine=1', { token: a.token });
    if (res.status !== 200) { fail(`GET /desk/chats as ${a.name}: ${res.status} ${res.text.slice(0, 200)}`); return; }
    perAgent[a.i] = res.body.chats.length;
    if (res.body.chats.length > K) fail(`agent ${a.name} holds ${res.body.chats.length} chats on the server (max_chats ${K})`);
    for (const ch of res.body.chats) {
      if (ch.agent !== a.name || ch.status !== 'assigned') fail(`GET /desk/chats as ${a.name} lists chat ${ch.id} of ${ch.agent} (${ch.status})`);
      const list = serverChats.get(ch.conversation_id) || [];
      list.push(a.name);
      serverChats.set(ch.conversation_id, list);
    }
  });
  for (const c of customers) {
    const owners = serverChats.get(c.conv.id) || [];
    if (owners.length !== 1) fail(`customer ${c.i} (${c.conv.id}) has ${owners.length} assigned chats on the server`);
    else if (c.agent && owners[0] !== c.agent) fail(`customer ${c.i}: the server says agent ${owners[0]}, the customer was told ${c.agent}`);
  }
  for (const id of serverChats.keys()) if (!byConversation.has(id)) fail(`the server has a chat for a conversation we never opened: ${id}`);
  const queue = await api(srv, 'GET', '/api/v1/desk/queue', { token: agents[0].token });
  const waiting = queue.status === 200 ? queue.body.queues.reduce((s, q) => s + q.waiting.length, 0) : null;
  if (queue.status !== 200) fail(`GET /desk/queue: ${queue.status}`);
  else if (waiting !== 0) fail(`${waiting} chats still waiting in the queue after the run`);

  // ---------------------------------------------------------------------------------------------
  // Figures

  const baseline = stats(customers.filter((c) => c.tFaqReply != null).map((c) => c.tFaqReply - c.tFaqSend));
  const assignedList = customers.filter((c) => c.tAssigned != null);
  const handCustomer = stats(assignedList.map((c) => c.tAssigned - c.tHandSend));
  // Agent side: frames read by a console that was reading (a stalled console's buffered frames do not count).
  const agentSamples = customers.flatMap((c) => c.agentFrames.filter((f) => !f.slowAtTheTime)
    .map((f) => ({ c, a: agentsByName.get(f.agent), ms: f.t - c.tHandSend })));
  const handAgent = stats(agentSamples.map((s) => s.ms));
  const healthy = (s) => !s.a.slow;
  const agentReading = stats(agentSamples.filter((s) => healthy(s) && s.c.half === 'reading').map((s) => s.ms));
  const agentStalled = stats(agentSamples.filter((s) => healthy(s) && s.c.half === 'stalled').map((s) => s.ms));
  const custReading = stats(assignedList.filter((c) => c.half === 'reading').map((c) => c.tAssigned - c.tHandSend));
  const custStalled = stats(assignedList.filter((c) => c.half === 'stalled').map((c) => c.tAssigned - c.tHandSend));
  const probeIn = (from, to) => stats(probe.rtts.filter((r) => r.t >= from && r.t < to).map((r) => r.ms));
  const probeBaseline = probeIn(0, handoffStart);
  const probeBefore = probeIn(handoffStart, pausedAt ?? Infinity);
  const probeDuring = pausedAt == null ? null : probeIn(pausedAt, Infinity);

  let slowReport = null;
  if (opts.slowAgents > 0) {
    const slow = agents.filter((a) => a.slow);
    const dropped = slow.filter((a) => a.closedAt != null);
    for (const a of slow) {
      if (a.closedAt == null && a.floodBytes === 0) {
        fail(`stalled console ${a.name} got no chat, so nothing was sent to it: give the agents more customers each` +
          ' or use fewer --slow-agents');
      } else if (a.closedAt == null) {
        fail(`stalled console ${a.name} still connected ${Math.round(FLOOD_MAX_MS / 1000)} s after it stopped reading` +
          ` (${mb(a.floodBytes)} MB of customer messages sent to it): the server kept it`);
      }
    }
    const healthyClosed = agents.filter((a) => !a.slow && a.closedAt != null);
    if (healthyClosed.length) fail(`${healthyClosed.length} reading agent consoles were disconnected (e.g. ${healthyClosed[0].name})`);
    // Held up: the reading consoles' hand-offs in the stalled half far slower than in the first half. A server
    // that waited for a stalled console would hold them until it was dropped, seconds later.
    const heldUp = agentReading && agentStalled
      ? agentStalled.p99_ms > Math.max(5 * agentReading.p99_ms, agentReading.p99_ms + 1000) : null;
    if (heldUp) {
      fail(`reading consoles held up while others stalled: agent-side p99 ${agentStalled.p99_ms} ms in the stalled half` +
        ` against ${agentReading.p99_ms} ms before`);
    }
    const toDrop = dropped.map((a) => a.closedAt - a.pausedAt);
    const s = stats(toDrop);
    slowReport = {
      stalled: slow.length,
      dropped_seen_by_client: dropped.length,
      dropped_metric: droppedAfter - droppedBefore,
      time_to_drop_s: s && { p50: Math.round(s.p50_ms / 100) / 10, max: Math.round(s.max_ms / 100) / 10 },
      flooded_mb_per_console: slow.length ? {
        min: mb(Math.min(...slow.map((a) => a.floodBytes))),
        max: mb(Math.max(...slow.map((a) => a.floodBytes))),
      } : null,
      held_up: heldUp,
      reading_consoles_stalled_vs_reading_half_p99: ratio(agentStalled?.p99_ms, agentReading?.p99_ms),
    };
  }

  const counts = perAgent.filter((n) => n !== undefined);
  const rss = rssMb(pid);
  Object.assign(report, {
    date: runStarted.toISOString(),
    commit: gitCommit(),
    machine: {
      cores: os.cpus().length,
      cpu: os.cpus()[0]?.model?.trim() ?? null,
      loadavg_at_end: os.loadavg().map((v) => Math.round(v * 100) / 100),
      node: process.version,
    },
    config: { binary: kefuBin, agents: N, customers: M, max_chats: K, rate_per_s: opts.rate, slow_agents: opts.slowAgents },
    baseline: { ...baseline, sent_per_s: baselineRate, missing: noReply },
    handoff: {
      customer: handCustomer,
      agent: handAgent,
      customer_first_half: custReading,
      customer_second_half: custStalled,
      agent_first_half_reading_consoles: agentReading,
      agent_second_half_reading_consoles: agentStalled,
      sent_per_s: handoffRate,
      assigned: assignedList.length,
      queued_frames: customers.reduce((s, c) => s + c.queuedFrames, 0),
    },
    ratio: {
      handoff_customer_p50: ratio(handCustomer?.p50_ms, baseline?.p50_ms),
      handoff_customer_p99: ratio(handCustomer?.p99_ms, baseline?.p99_ms),
      handoff_agent_p50: ratio(handAgent?.p50_ms, baseline?.p50_ms),
      handoff_agent_p99: ratio(handAgent?.p99_ms, baseline?.p99_ms),
    },
    probe_ping: { console: probe.name, baseline: probeBaseline, handoff_before_stall: probeBefore, handoff_after_stall: probeDuring },
    slow_consoles: slowReport,
    routing: {
      assigned: assignedList.length,
      customers: M,
      chats_per_agent: counts.length ? {
        min: Math.min(...counts), mean: Math.round((counts.reduce((a, b) => a + b, 0) / counts.length) * 100) / 100,
        max: Math.max(...counts),
      } : null,
      max_chats: K,
      queue_waiting_after: waiting,
      queue_changed_frames_per_agent: Math.round(agents.reduce((s, a) => s + a.queueChanged, 0) / N),
    },
    server: {
      pid,
      rss_mb_after_setup: rssAfterSetup.rss,
      rss_mb_end: rss.rss,
      rss_mb_peak: rss.peak,
      websockets_open_end: await metricValue(srv, 'kefu_websockets_open'),
    },
    phases,
    errors: errors.slice(0, 50),
    error_count: errors.length,
    command,
  });
} catch (e) {
  if (!(e instanceof Interrupted)) fail(`run aborted: ${e.stack || e.message}`);
  Object.assign(report, { phases, errors: errors.slice(0, 50), error_count: errors.length, command });
} finally {
  clearInterval(pinger);
  clearInterval(flooder);
  for (const c of customers) c.closedByUs = true;
  const logs = srv ? srv.logs() : '';
  await cleanup();
  if (/Sanitizer|runtime error:|terminate called/.test(logs)) {
    fail('the server reported a crash or a sanitizer error (see its output above)');
    report.errors = errors.slice(0, 50);
    report.error_count = errors.length;
  }
}

// ---------------------------------------------------------------------------------------------
// Report

function printReport(r) {
  const out = [];
  const f = (v, d = 2) => (v == null ? '–' : Number(v).toFixed(d));
  const row = (label, s) => out.push(`${label.padEnd(50)} ${String(s?.n ?? 0).padStart(6)} ${f(s?.p50_ms).padStart(9)} ` +
    `${f(s?.p90_ms).padStart(9)} ${f(s?.p99_ms).padStart(9)} ${f(s?.max_ms).padStart(9)}`);
  const x = (v) => (v == null ? '–' : `×${v}`);
  out.push(`Kefu desk end to end: ${r.date ?? ''}, commit ${r.commit ?? '?'}, ${r.machine?.cores ?? '?'} cores (${r.machine?.cpu ?? '?'}), node ${process.version}`);
  if (r.config) {
    out.push(`binary ${r.config.binary}; ${r.config.agents} agents × max_chats ${r.config.max_chats}; ${r.config.customers} customers` +
      ` (half zh, half en); ${r.config.rate_per_s}/s in each phase; ${r.config.slow_agents} stalled consoles`);
  }
  if (r.setup) {
    out.push(`setup: agents created in ${r.setup.create_agents_s} s, signed in and online in ${r.setup.sign_in_online_s} s,` +
      ` conversations opened in ${r.setup.open_conversations_s} s`);
  }
  if (r.baseline) {
    out.push('');
    out.push(`${'latency (ms)'.padEnd(50)} ${'n'.padStart(6)} ${'p50'.padStart(9)} ${'p90'.padStart(9)} ${'p99'.padStart(9)} ${'max'.padStart(9)}`);
    row('baseline: FAQ, send → bot answer', r.baseline);
    row('hand-off: send → customer desk "assigned"', r.handoff.customer);
    row('hand-off: send → agent "assigned" frame', r.handoff.agent);
    if (r.slow_consoles) {
      row('  customer side, first half (all consoles read)', r.handoff.customer_first_half);
      row('  customer side, second half (some stalled)', r.handoff.customer_second_half);
      row('  agent side, reading consoles, first half', r.handoff.agent_first_half_reading_consoles);
      row('  agent side, reading consoles, second half', r.handoff.agent_second_half_reading_consoles);
    }
    row('probe console ping → pong, baseline', r.probe_ping.baseline);
    if (r.slow_consoles) {
      row('  hand-off, before the stall', r.probe_ping.handoff_before_stall);
      row('  hand-off, after the stall (until dropped)', r.probe_ping.handoff_after_stall);
    } else {
      row('  hand-off', r.probe_ping.handoff_before_stall);
    }
    out.push('');
    out.push(`hand-off/baseline: customer side p50 ${x(r.ratio.handoff_customer_p50)}, p99 ${x(r.ratio.handoff_customer_p99)};` +
      ` agent side p50 ${x(r.ratio.handoff_agent_p50)}, p99 ${x(r.ratio.handoff_agent_p99)}`);
    out.push(`sent: baseline ${r.baseline.sent_per_s}/s, hand-off ${r.handoff.sent_per_s}/s`);
    const rt = r.routing;
    out.push(`routing: ${rt.assigned}/${rt.customers} customers assigned; chats per agent min ${rt.chats_per_agent?.min ?? '–'}` +
      ` mean ${rt.chats_per_agent?.mean ?? '–'} max ${rt.chats_per_agent?.max ?? '–'} (max_chats ${rt.max_chats});` +
      ` waiting after the run ${rt.queue_waiting_after ?? '–'}; queued frames ${r.handoff.queued_frames};` +
      ` queue_changed frames per agent ${rt.queue_changed_frames_per_agent}`);
    const s = r.slow_consoles;
    if (s) {
      out.push(`stalled consoles: ${s.stalled} stopped reading, ${s.dropped_seen_by_client} disconnected by the server` +
        ` (kefu_websockets_dropped_slow_total +${s.dropped_metric}); time to drop p50 ${s.time_to_drop_s?.p50 ?? '–'} s,` +
        ` max ${s.time_to_drop_s?.max ?? '–'} s; customer messages sent to each` +
        ` ${s.flooded_mb_per_console ? `${s.flooded_mb_per_console.min}–${s.flooded_mb_per_console.max}` : '–'} MB;` +
        ` reading consoles second/first half p99` +
        ` ${x(s.reading_consoles_stalled_vs_reading_half_p99)}, held up: ${s.held_up == null ? '–' : s.held_up ? 'YES' : 'no'}`);
    }
    out.push(`server: RSS ${r.server.rss_mb_after_setup} MB after setup, ${r.server.rss_mb_end} MB at the end,` +
      ` peak ${r.server.rss_mb_peak} MB; open WebSockets at the end ${r.server.websockets_open_end}`);
  }
  for (const [name, p] of Object.entries(r.phases || {})) {
    if (!p) continue;
    out.push(`cpu, ${name.replaceAll('_', ' ')} (${p.seconds} s): server ${p.server_cpu_pct} %, client ${p.client_cpu_pct} %,` +
      ` other processes ${p.other_cpu_pct} % of one core; client event-loop delay p99 ${p.client_loop_delay_ms.p99} ms,` +
      ` max ${p.client_loop_delay_ms.max} ms`);
  }
  out.push(`errors: ${r.error_count}`);
  for (const e of (r.errors || []).slice(0, 20)) out.push(`  ${e}`);
  if (r.error_count > 20) out.push(`  … ${r.error_count - 20} more`);
  out.push(`command: ${r.command}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

if (interrupted) process.exit(130);
printReport(report);
process.stdout.write(`${JSON.stringify(report)}\n`);
process.exit(errors.length ? 1 : 0);
