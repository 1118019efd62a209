/*!
 * Kefu supervisor view (/desk/supervisor.html). Plain JavaScript, no dependencies, no build step (ADR 3).
 *
 * Built on the shared part of desk.js (window.KefuDesk: strings, sign-in with the session cookie, the desk
 * socket, the transcript and the customer panel). Shows GET /api/v1/desk/overview (queues, agents and their
 * loads, CSAT) and GET /api/v1/desk/chats (every active chat), re-read on queue_changed / chat_changed frames
 * and every 5 seconds; any chat opens read-only: GET /api/v1/desk/chats/{id} plus a {"type":"watch"} frame
 * for its live messages (docs/desk.md). There is no composer here. The breached tickets (GET
 * /api/v1/tickets?breached=1: unsolved and past their SLA) are read again on ticket_created and sla_breached
 * frames and with the overview; each id opens the ticket in the agent console (/desk/#ticket=…).
 */
(function () {
  'use strict';

  var D = window.KefuDesk;
  if (!D) return;
  var h = D.h;
  var t = D.t;
  var $ = D.$;
  var api = D.api;
  var POLL_MS = 5000;

  D.addStrings({
    zh: {
      sv_overview: '总览',
      sv_queues: '队列',
      sv_agents: '客服状态',
      sv_csat: '满意度',
      sv_chats: '进行中的会话',
      col_queue: '队列',
      col_waiting: '等待人数',
      col_longest: '最长等待',
      col_agent: '客服',
      col_presence: '状态',
      col_load: '接待量',
      col_idle: '空闲',
      col_chat: '会话',
      col_status: '状态',
      col_priority: '优先级',
      col_since: '已持续',
      col_tools: '操作',
      load_value: '{active} / {max}',
      load_label: '{name} 正在接待 {active} 个会话，上限 {max} 个',
      csat_count: '评价数',
      csat_average: '平均分',
      csat_of: '{avg} / 5',
      no_queues: '所有队列都是空的。',
      no_agents: '还没有客服上线。',
      no_active_chats: '没有进行中的会话。',
      chat_status_queued: '排队中',
      chat_status_assigned: '接待中',
      chat_status_ended: '已结束',
      chat_status_ticketed: '已转工单',
      chat_status_returned: '已交还机器人',
      unassigned: '未分配',
      watch: '查看',
      watch_label: '只读查看会话 {id}',
      watch_title: '会话 {id}（只读）',
      readonly: '只读：您在旁听此会话，客户和客服都看不到您；这里不能发送消息。',
      stop_watch: '关闭',
      updated: '更新于 {time}',
      normal: '普通',
      sv_breached: 'SLA 超时工单',
      sv_breached_hint: '未完结且已超过 SLA 到期时间的工单，最早到期的在前；点编号在客服工作台中打开。',
      sv_no_breached: '没有超时的工单。',
      sv_breached_open: '在客服工作台中打开工单 {id}',
      sv_breached_count: '超时工单：{n} 张',
    },
    en: {
      sv_overview: 'Overview',
      sv_queues: 'Queues',
      sv_agents: 'Agents',
      sv_csat: 'Satisfaction',
      sv_chats: 'Active chats',
      col_queue: 'Queue',
      col_waiting: 'Waiting',
      col_longest: 'Longest wait',
      col_agent: 'Agent',
      col_presence: 'Status',
      col_load: 'Load',
      col_idle: 'Idle for',
      col_chat: 'Chat',
      col_status: 'Status',
      col_priority: 'Priority',
      col_since: 'For',
      col_tools: 'Actions',
      load_value: '{active} / {max}',
      load_label: '{name} has {active} of at most {max} chats',
      csat_count: 'Responses',
      csat_average: 'Average',
      csat_of: '{avg} / 5',
      no_queues: 'All queues are empty.',
      no_agents: 'No agents yet.',
      no_active_chats: 'No active chats.',
      chat_status_queued: 'Queued',
      chat_status_assigned: 'With an agent',
      chat_status_ended: 'Ended',
      chat_status_ticketed: 'Ticket',
      chat_status_returned: 'Returned to bot',
      unassigned: 'nobody yet',
      watch: 'View',
      watch_label: 'View chat {id} read-only',
      watch_title: 'Chat {id} (read-only)',
      readonly: 'Read-only: you are watching this chat; neither the customer nor the agent sees you, and you cannot send messages here.',
      stop_watch: 'Close',
      updated: 'Updated {time}',
      normal: 'normal',
      sv_breached: 'Overdue tickets (SLA breached)',
      sv_breached_hint: 'Unsolved tickets past their SLA due time, earliest due first; the id opens the ticket in the agent desk.',
      sv_no_breached: 'No overdue tickets.',
      sv_breached_open: 'Open ticket {id} in the agent desk',
      sv_breached_count: 'Overdue tickets: {n}',
    },
  });

  var pollTimer = null;
  var soonTimer = null;
  var inFlight = false;
  var again = false;
  var watch = null; // {chatId, convId, transcript, customer, detailTimer}
  var lastChats = [];
  var displayNames = {}; // staff name -> display name, from the overview's agents
  var breached = { list: null, seq: 0, timer: null };

  /** A chat's agent as people call them: the display name when the overview knows it. */
  function agentLabel(agent) {
    if (agent && typeof agent === 'object' && agent.display_name) return String(agent.display_name);
    var name = D.staffName(agent);
    return displayNames[name] || name;
  }

  function shortId(id) { return String(id || '').slice(-6); }

  function cell(children, attrs) {
    return h('td', attrs || {}, children);
  }

  function emptyRow(tbody, cols, key) {
    tbody.appendChild(h('tr', { class: 'empty-row' }, [h('td', { colspan: String(cols), class: 'muted', i18n: key })]));
  }

  // ---------------------------------------------------------------------------------------------
  // Overview and the chat list
  // ---------------------------------------------------------------------------------------------
  async function refresh() {
    if (!D.session.staff) return;
    if (inFlight) {
      again = true; // a change arrived while reading: read once more afterwards
      return;
    }
    inFlight = true;
    again = false;
    try {
      var both = await Promise.all([api('GET', '/desk/overview'), api('GET', '/desk/chats')]);
      renderOverview(both[0] || {});
      lastChats = Array.isArray(both[1] && both[1].chats) ? both[1].chats : [];
      renderChats(lastChats);
      var stamp = $('sv-updated');
      stamp.textContent = '';
      stamp.appendChild(h('span', { i18n: 'updated', args: { time: new Date().toLocaleTimeString(D.lang() === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false }) } }));
    } catch (err) {
      D.showError(err);
    } finally {
      inFlight = false;
      if (again) refreshSoon();
    }
  }

  function refreshSoon() {
    clearTimeout(soonTimer);
    soonTimer = setTimeout(refresh, 200);
  }

  function renderOverview(o) {
    var queues = Array.isArray(o.queues) ? o.queues : [];
    var qBody = $('sv-queues-body');
    qBody.textContent = '';
    queues.forEach(function (q) {
      var waiting = Number(q.waiting) || 0;
      qBody.appendChild(h('tr', { 'data-testid': 'ov-queue', 'data-skill': q.skill || null, 'data-language': q.language || null, 'data-waiting': String(waiting) }, [
        cell([D.queueNameEl('span', q.skill, q.language)]),
        cell([String(waiting)], { class: 'num', 'data-testid': 'ov-queue-waiting' }),
        cell([waiting > 0 ? D.durationEl(q.longest_wait_s, null, { 'data-testid': 'ov-queue-longest' }) : '—'], { class: 'num' }),
      ]));
    });
    if (!queues.length) emptyRow(qBody, 3, 'no_queues');

    var agents = Array.isArray(o.agents) ? o.agents : [];
    agents.forEach(function (a) {
      if (a && a.name && a.display_name) {
        displayNames[a.name] = String(a.display_name);
        D.noteStaff(a.name, a.display_name);
      }
    });
    var aBody = $('sv-agents-body');
    aBody.textContent = '';
    agents.forEach(function (a) {
      var active = Number(a.active) || 0;
      var max = Number(a.max_chats) || 0;
      var p = ['online', 'away', 'offline'].indexOf(a.presence) >= 0 ? a.presence : 'offline';
      var name = String(a.display_name || a.name || '');
      var meter = h('span', { class: 'meter', 'aria-hidden': 'true' }, [h('span')]);
      meter.firstChild.style.width = (max ? Math.min(100, Math.round((active / max) * 100)) : 0) + '%';
      aBody.appendChild(h('tr', { 'data-testid': 'ov-agent', 'data-name': String(a.name || '') }, [
        cell([h('span', { class: 'agent-name', text: name }), a.display_name && a.name ? h('span', { class: 'muted mono', text: ' ' + a.name }) : null]),
        cell([h('span', { class: 'presence-badge ' + p, 'data-testid': 'agent-presence', 'data-presence': p }, [
          h('span', { class: 'dot ' + p, 'aria-hidden': 'true' }), h('span', { i18n: 'presence_' + p }),
        ])]),
        cell([h('span', {
          class: 'load', 'data-testid': 'agent-load', 'data-active': String(active), 'data-max': String(max),
          'aria-label-i18n': 'load_label', args: { name: name, active: active, max: max },
        }, [meter, h('span', { class: 'num', text: t('load_value', { active: active, max: max }) })])]),
        cell([p === 'online' && a.idle_s !== undefined && a.idle_s !== null ? D.durationEl(a.idle_s, null) : '—'], { class: 'num' }),
      ]));
    });
    if (!agents.length) emptyRow(aBody, 4, 'no_agents');

    var c = o.csat || {};
    var count = Number(c.count) || 0;
    var avg = typeof c.average === 'number' ? c.average : Number(c.average);
    var countEl = $('sv-csat-count');
    countEl.textContent = String(count);
    countEl.setAttribute('data-count', String(count));
    var avgEl = $('sv-csat-average');
    avgEl.textContent = '';
    if (count && !isNaN(avg)) {
      avgEl.setAttribute('data-average', avg.toFixed(2));
      avgEl.appendChild(h('span', { i18n: 'csat_of', args: { avg: avg.toFixed(1) } }));
    } else {
      avgEl.removeAttribute('data-average');
      avgEl.appendChild(document.createTextNode('—'));
    }
  }

  function renderChats(chats) {
    var body = $('sv-chats-body');
    var focused = document.activeElement && body.contains(document.activeElement) ? document.activeElement.getAttribute('data-chat-id') : null;
    body.textContent = '';
    chats.forEach(function (c) {
      if (!c || !c.id) return;
      var since = c.status === 'assigned' ? c.assigned_at || c.queued_at : c.queued_at;
      var sinceS = since ? (Date.now() - new Date(typeof since === 'number' && since < 1e11 ? since * 1000 : since).getTime()) / 1000 : null;
      var view = h('button', {
        type: 'button', class: 'button small', 'data-testid': 'watch-chat', 'data-chat-id': c.id, i18n: 'watch',
        'aria-label-i18n': 'watch_label', args: { id: shortId(c.id) }, 'aria-pressed': String(!!watch && watch.chatId === c.id),
      });
      view.addEventListener('click', function () { openWatch(c); });
      var prio = Number(c.priority) || 0;
      body.appendChild(h('tr', { 'data-testid': 'sv-chat', 'data-chat-id': c.id, 'data-status': c.status || null, class: watch && watch.chatId === c.id ? 'chosen' : null }, [
        cell([h('code', { text: shortId(c.conversation_id || c.id) })]),
        cell([D.labelEl('span', 'chat_status_', c.status, { class: 'badge s-' + (c.status || 'other') })]),
        cell([D.queueNameEl('span', c.skill, c.language)]),
        cell([c.agent ? h('span', { 'data-testid': 'sv-chat-agent', 'data-name': D.staffName(c.agent), text: agentLabel(c.agent) }) : h('span', { class: 'muted', i18n: 'unassigned' })]),
        cell([prio > 0 ? h('span', { class: 'badge ' + (prio >= 2 ? 'vip' : 'warn'), i18n: prio >= 2 ? 'prio_2' : 'prio_1' }) : h('span', { class: 'muted', i18n: 'normal' })]),
        cell([sinceS !== null && !isNaN(sinceS) ? D.durationEl(sinceS, null) : '—'], { class: 'num' }),
        cell([view], { class: 'row-tools' }),
      ]));
    });
    if (!body.children.length) emptyRow(body, 7, 'no_active_chats');
    if (focused) {
      var again = body.querySelector('[data-testid="watch-chat"][data-chat-id="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Breached tickets
  // ---------------------------------------------------------------------------------------------
  async function refreshBreached() {
    if (!D.session.staff) return;
    clearTimeout(breached.timer);
    breached.timer = null;
    var seq = ++breached.seq;
    try {
      var data = await api('GET', '/tickets', { params: { breached: 1, limit: 500 } });
      if (seq !== breached.seq || !D.session.staff) return;
      breached.list = Array.isArray(data && data.tickets) ? data.tickets.filter(function (x) { return x && x.id; }) : [];
      renderBreached();
    } catch (err) {
      if (seq === breached.seq) D.showError(err);
    }
  }

  function refreshBreachedSoon() {
    clearTimeout(breached.timer);
    breached.timer = setTimeout(refreshBreached, 150);
  }

  function renderBreached() {
    var list = breached.list || [];
    var body = $('sv-breached-body');
    body.textContent = '';
    list.forEach(function (tk) {
      var link = h('a', {
        href: '/desk/#ticket=' + encodeURIComponent(tk.id), class: 'mono', 'data-testid': 'sv-breached-open', text: String(tk.id),
        'aria-label-i18n': 'sv_breached_open', args: { id: String(tk.id) },
      });
      body.appendChild(h('tr', { class: 'tk-row breached', 'data-testid': 'sv-breached-row', 'data-ticket-id': tk.id, 'data-status': tk.status || null }, [
        cell([link]),
        cell([String(tk.subject || '')], { class: 'tk-subject', 'data-testid': 'sv-breached-subject' }),
        cell([D.labelEl('span', 'tk_type_', tk.type)]),
        cell([D.ticketPriorityEl(tk.priority)]),
        cell([D.ticketStatusEl(tk.status)]),
        cell([D.staffLabelEl(tk.assignee, { class: tk.assignee ? null : 'muted' })]),
        cell([h('div', { class: 'tk-due' }, [D.timeEl(tk.due_at), D.ticketFlagEl(tk)])], { class: 'num' }),
        cell([D.timeEl(tk.breached_at)], { class: 'num' }),
      ]));
    });
    if (!list.length) emptyRow(body, 8, 'sv_no_breached');
    var count = $('sv-breached-count');
    count.textContent = list.length ? String(list.length) : '';
    if (list.length) D.txAttr(count, 'aria-label', 'sv_breached_count', { n: list.length });
    else count.removeAttribute('aria-label');
  }

  // ---------------------------------------------------------------------------------------------
  // A chat, read-only
  // ---------------------------------------------------------------------------------------------
  async function openWatch(chat) {
    closeWatch(false);
    var panel = $('watch');
    var scroller = $('watch-scroll');
    var side = $('watch-side');
    scroller.textContent = '';
    side.textContent = '';
    watch = {
      chatId: chat.id, convId: chat.conversation_id || null, detailTimer: null,
      transcript: new D.Transcript({ scroller: function () { return scroller; } }),
      customer: D.CustomerPanel({ id: 'watch' }), // no onAddNote: read-only
    };
    scroller.appendChild(watch.transcript.el);
    side.appendChild(watch.customer.el);
    panel.setAttribute('data-chat-id', chat.id);
    panel.removeAttribute('data-loaded');
    D.tx($('watch-title'), 'watch_title', { id: shortId(chat.conversation_id || chat.id) });
    renderWatchMeta(chat);
    panel.hidden = false;
    renderChats(lastChats);
    $('watch-title').focus();
    if (watch.convId) D.sendFrame({ type: 'watch', conversation_id: watch.convId });
    await loadWatch();
  }

  function renderWatchMeta(chat) {
    var meta = $('watch-meta');
    meta.textContent = '';
    meta.appendChild(D.labelEl('span', 'chat_status_', chat.status, { class: 'badge s-' + (chat.status || 'other'), 'data-testid': 'watch-status' }));
    meta.appendChild(document.createTextNode(' '));
    meta.appendChild(D.queueNameEl('span', chat.skill, chat.language));
    if (chat.agent) meta.appendChild(h('span', null, [' · ', h('span', { 'data-testid': 'watch-agent', text: agentLabel(chat.agent) })]));
  }

  async function loadWatch() {
    var w = watch;
    if (!w) return;
    try {
      var detail = await api('GET', D.chatPath(w.chatId));
      if (watch !== w) return;
      var chat = (detail && detail.chat) || {};
      if (!w.convId && chat.conversation_id) {
        w.convId = chat.conversation_id;
        D.sendFrame({ type: 'watch', conversation_id: w.convId });
      }
      var ctx = (detail && detail.context) || {};
      (Array.isArray(ctx.transcript) ? ctx.transcript : []).forEach(function (m) { w.transcript.upsert(m); });
      w.customer.update(detail || {});
      if (chat.id) renderWatchMeta(chat);
      $('watch').setAttribute('data-loaded', 'true');
      w.transcript.toBottom();
    } catch (err) {
      D.showError(err);
    }
  }

  function closeWatch(focusBack) {
    if (!watch) return;
    var chatId = watch.chatId;
    if (watch.convId) D.sendFrame({ type: 'unwatch', conversation_id: watch.convId });
    clearTimeout(watch.detailTimer);
    watch = null;
    $('watch').hidden = true;
    renderChats(lastChats);
    if (focusBack) {
      var b = document.querySelector('[data-testid="watch-chat"][data-chat-id="' + CSS.escape(chatId) + '"]');
      if (b) b.focus();
    }
  }

  $('watch-close').addEventListener('click', function () { closeWatch(true); });
  $('watch').addEventListener('keydown', function (e) {
    if (e.key === 'Escape') {
      e.preventDefault();
      closeWatch(true);
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Frames and start-up
  // ---------------------------------------------------------------------------------------------
  function onFrame(f) {
    switch (f.type) {
      case 'hello':
        refresh();
        refreshBreached();
        if (watch) {
          // A new socket: ask for the live messages again and read what was missed.
          if (watch.convId) D.sendFrame({ type: 'watch', conversation_id: watch.convId });
          loadWatch();
        }
        break;
      case 'queue_changed':
      case 'presence':
        refreshSoon();
        break;
      case 'ticket_created':
      case 'sla_breached':
        refreshBreachedSoon();
        break;
      case 'chat_changed':
      case 'assigned':
        refreshSoon();
        if (watch && f.chat && f.chat.id === watch.chatId) renderWatchMeta(f.chat);
        break;
      case 'conversation':
        if (watch && f.conversation_id === watch.convId && f.event && f.event.type === 'message') {
          var m = f.event.message || f.event;
          if (watch.transcript.upsert(m) && m.role === 'customer') {
            var w = watch;
            clearTimeout(w.detailTimer);
            w.detailTimer = setTimeout(function () { if (watch === w) loadWatch(); }, 600);
          }
        }
        break;
      default:
        break;
    }
  }

  function start() {
    refresh();
    refreshBreached();
    clearInterval(pollTimer);
    pollTimer = setInterval(function () {
      if (document.visibilityState !== 'hidden') {
        refresh();
        refreshBreached();
      }
    }, POLL_MS);
  }

  function stop() {
    clearInterval(pollTimer);
    pollTimer = null;
    clearTimeout(soonTimer);
    clearTimeout(breached.timer);
    breached.seq += 1;
    breached.list = null;
    closeWatch(false);
    ['sv-queues-body', 'sv-agents-body', 'sv-chats-body', 'sv-breached-body', 'sv-breached-count'].forEach(function (id) { $(id).textContent = ''; });
    $('sv-breached-count').removeAttribute('aria-label');
    lastChats = [];
  }

  D.onLanguage(function () {
    if (watch) watch.customer.rerender();
    if (breached.list) renderBreached();
  });

  D.boot({ roles: ['supervisor'], start: start, stop: stop, onFrame: onFrame });
})();
