/*!
 * Kefu agent console (/desk/): the tickets view (work orders). Plain JavaScript, no dependencies, no build step
 * (ADR 3); loaded after desk.js and built on its shared part (window.KefuDesk) and its console
 * (KefuDesk.console: the chats | tickets switch, the chat tabs).
 *
 * Talks to the ticket API of docs/desk.md, "Tickets (work orders)": GET /api/v1/tickets (the list, filtered by
 * status, assignee and breach), GET /api/v1/tickets/{id} ({ticket, events}), PATCH /api/v1/tickets/{id}
 * ({status?, priority?, assignee?}), POST /api/v1/tickets/{id}/comments ({text, public}) and POST
 * /api/v1/tickets. The list is read again on the desk socket's ticket_created and sla_breached frames, on the
 * refresh button, whenever the view is shown and every 30 seconds while it is (agents get sla_breached only for
 * their own tickets and no ticket_created at all).
 *
 * Registers window.KefuDesk.tickets = {shown(), newTicket(prefill)} for the console. Every ticket field,
 * comment and name reaches the DOM as text (textContent, createElement), never as HTML.
 */
(function () {
  'use strict';

  var D = window.KefuDesk;
  if (!D || !D.console) return;
  var h = D.h;
  var t = D.t;
  var tx = D.tx;
  var $ = D.$;
  var api = D.api;

  var POLL_MS = 30000;
  var LIST_LIMIT = 500; // the server's most; the list is sorted newest first here
  var PRIORITIES = ['low', 'normal', 'high', 'urgent'];
  // Where a ticket may go from each status: the server's table (Allowed in src/api/desk_service.cpp); any
  // other change is 409 invalid_transition.
  var NEXT = {
    new: ['open', 'pending', 'resolved'],
    open: ['pending', 'resolved'],
    pending: ['open', 'resolved'],
    resolved: ['closed', 'open'],
    closed: ['open'],
  };
  var FORM_FIELDS = ['type', 'priority', 'subject', 'description', 'customer_ref', 'conversation_id'];

  D.addStrings({
    zh: {
      tk_title: '工单',
      tk_new: '新建工单',
      tk_refresh: '刷新',
      tk_filters: '筛选工单',
      tk_f_status: '状态',
      tk_f_active: '未完结',
      tk_f_all: '全部',
      tk_f_mine: '只看分配给我的',
      tk_f_breached: '只看已超时',
      tk_list_caption: '工单列表，最新的在前',
      tk_count: '共 {n} 张工单',
      tk_count_overdue: '共 {n} 张工单，其中 {m} 张已超时',
      tk_updated: '更新于 {time}',
      tk_list_empty: '没有符合条件的工单。',
      tk_open_label: '打开工单 {id}',
      tk_pick: '选择一张工单查看详情，或新建工单。',
      tk_not_found: '工单 {id} 不存在。',

      tk_new_title: '新建工单',
      tk_from_chat: '来自会话 {id}，已填入会话和客户信息。',
      tk_subject: '主题',
      tk_description: '描述',
      tk_customer_ref_optional: '客户号（可选）',
      tk_conversation_optional: '会话编号（可选）',
      tk_conversation_hint: '填写后，公开回复会发到这个会话，客户可以看到。',
      tk_create: '创建工单',
      tk_creating: '正在创建…',
      tk_created: '工单 {id} 已创建。',
      tk_field_type: '类型',
      tk_field_priority: '优先级',
      tk_field_subject: '主题',
      tk_field_description: '描述',
      tk_field_customer_ref: '客户号',
      tk_field_conversation_id: '会话编号',
      tk_field_status: '状态',
      tk_field_assignee: '负责人',
      tk_field_text: '内容',
      tk_err_required: '请填写{field}。',
      tk_err_too_long: '{field}最多 {n} 个字符。',
      tk_err_control: '{field}不能包含换行或控制字符。',
      tk_err_choice: '{field}的取值无效。',
      tk_err_no_conversation: '没有这个会话编号。',
      tk_err_no_staff: '没有这个员工。',
      tk_err_invalid: '{field}：{message}',
      tk_err_form: '工单未创建，请修改标出的内容。',
      tk_err_transition: '工单现在是“{from}”，不能改为“{to}”（可能刚被别人修改过），已显示最新状态。',

      tk_detail_label: '工单 {id}',
      tk_actions: '处理工单',
      tk_status_actions: '更改状态',
      tk_do_open: '开始处理',
      tk_do_resume: '恢复处理',
      tk_do_reopen: '重新打开',
      tk_do_pending: '挂起',
      tk_do_resolved: '标为已解决',
      tk_do_closed: '关闭工单',
      tk_do_label: '把状态从“{from}”改为“{to}”',
      tk_priority_change: '更改优先级',
      tk_assign_me: '分配给我',
      tk_unassign: '取消分配',
      tk_status_done: '工单 {id} 的状态已改为“{status}”。',
      tk_priority_done: '工单 {id} 的优先级已改为“{priority}”。',
      tk_assign_done: '工单 {id} 已分配给您。',
      tk_unassign_done: '工单 {id} 已取消分配。',
      tk_fields: '工单信息',
      tk_f_customer: '客户号',
      tk_f_conversation: '会话',
      tk_open_chat: '打开会话',
      tk_open_chat_label: '在会话标签中打开会话 {id}',
      tk_f_source: '来源',
      tk_src_agent: '员工创建',
      tk_src_handoff: '转人工时无人接待',
      tk_src_complaint: '投诉流程',
      tk_f_created: '创建',
      tk_created_by: '{time} · {name}',
      tk_f_updated: '最近更新',
      tk_f_due: 'SLA 到期',
      tk_f_breached_at: '超时于',
      tk_f_complaint_ref: '投诉编号',
      tk_no_description: '（无描述）',

      tk_comment: '回复或内部备注',
      tk_comment_label: '内容',
      tk_visibility: '谁能看到',
      tk_vis_internal: '内部备注（仅员工可见）',
      tk_vis_public: '公开回复（客户可以看到）',
      tk_public_hint: '公开回复会作为客服消息发到客户的会话中。',
      tk_public_no_conversation: '此工单没有关联会话：公开回复只记录在工单里，客户收不到。',
      tk_comment_add: '添加',
      tk_comment_empty: '请先输入内容。',
      tk_comment_done_internal: '内部备注已添加。',
      tk_comment_done_public: '公开回复已发送。',
      tk_comment_not_delivered: '已记入工单，但客户的会话已结束，客户看不到这条回复，请通过电话等方式联系客户。',

      tk_history: '处理记录',
      tk_history_empty: '暂无记录。',
      tk_ev_created: '创建了工单（{source}）',
      tk_ev_status: '把状态从“{from}”改为“{to}”',
      tk_ev_priority: '把优先级从“{from}”改为“{to}”',
      tk_ev_assignee: '把负责人从“{from}”改为“{to}”',
      tk_ev_comment_internal: '添加了内部备注',
      tk_ev_comment_public: '发送了公开回复',
      tk_ev_sla: '已超过 SLA 到期时间（{due}）',
      tk_ev_other: '{kind}',
      tk_tag_internal: '内部',
      tk_tag_public: '公开',
      tk_nobody: '无',
      tk_announce_created: '有新工单：{id}',
      tk_announce_breached: '工单 {id} 已超过 SLA 到期时间',
    },
    en: {
      tk_title: 'Tickets',
      tk_new: 'New ticket',
      tk_refresh: 'Refresh',
      tk_filters: 'Filter tickets',
      tk_f_status: 'Status',
      tk_f_active: 'Unsolved',
      tk_f_all: 'All',
      tk_f_mine: 'Assigned to me',
      tk_f_breached: 'Overdue only',
      tk_list_caption: 'Tickets, newest first',
      tk_count: 'Tickets: {n}',
      tk_count_overdue: 'Tickets: {n}, overdue: {m}',
      tk_updated: 'updated {time}',
      tk_list_empty: 'No tickets match these filters.',
      tk_open_label: 'Open ticket {id}',
      tk_pick: 'Choose a ticket to see it, or create one.',
      tk_not_found: 'There is no ticket {id}.',

      tk_new_title: 'New ticket',
      tk_from_chat: 'From chat {id}: the conversation and the customer are filled in.',
      tk_subject: 'Subject',
      tk_description: 'Description',
      tk_customer_ref_optional: 'Customer number (optional)',
      tk_conversation_optional: 'Conversation id (optional)',
      tk_conversation_hint: 'With a conversation, public replies are posted into it for the customer.',
      tk_create: 'Create ticket',
      tk_creating: 'Creating…',
      tk_created: 'Ticket {id} was created.',
      tk_field_type: 'Type',
      tk_field_priority: 'Priority',
      tk_field_subject: 'Subject',
      tk_field_description: 'Description',
      tk_field_customer_ref: 'Customer number',
      tk_field_conversation_id: 'Conversation id',
      tk_field_status: 'Status',
      tk_field_assignee: 'Assignee',
      tk_field_text: 'Text',
      tk_err_required: 'Enter the {field}.',
      tk_err_too_long: 'The {field} may have at most {n} characters.',
      tk_err_control: 'The {field} may not contain line breaks or control characters.',
      tk_err_choice: 'That {field} is not a valid choice.',
      tk_err_no_conversation: 'There is no conversation with this id.',
      tk_err_no_staff: 'There is no such staff member.',
      tk_err_invalid: '{field}: {message}',
      tk_err_form: 'The ticket was not created; correct the fields marked.',
      tk_err_transition: 'The ticket is now {from} and cannot go to {to} (someone may just have changed it); the latest state is shown.',

      tk_detail_label: 'Ticket {id}',
      tk_actions: 'Work the ticket',
      tk_status_actions: 'Change the status',
      tk_do_open: 'Start work',
      tk_do_resume: 'Resume',
      tk_do_reopen: 'Reopen',
      tk_do_pending: 'Set pending',
      tk_do_resolved: 'Resolve',
      tk_do_closed: 'Close ticket',
      tk_do_label: 'Change the status from {from} to {to}',
      tk_priority_change: 'Change priority',
      tk_assign_me: 'Assign to me',
      tk_unassign: 'Unassign',
      tk_status_done: 'Ticket {id} is now {status}.',
      tk_priority_done: 'Ticket {id} now has priority {priority}.',
      tk_assign_done: 'Ticket {id} is assigned to you.',
      tk_unassign_done: 'Ticket {id} is unassigned.',
      tk_fields: 'Ticket fields',
      tk_f_customer: 'Customer number',
      tk_f_conversation: 'Conversation',
      tk_open_chat: 'Open the chat',
      tk_open_chat_label: 'Open conversation {id} in its chat tab',
      tk_f_source: 'Source',
      tk_src_agent: 'made by staff',
      tk_src_handoff: 'hand-off with nobody available',
      tk_src_complaint: 'complaint flow',
      tk_f_created: 'Created',
      tk_created_by: '{time} · {name}',
      tk_f_updated: 'Updated',
      tk_f_due: 'SLA due',
      tk_f_breached_at: 'Breached at',
      tk_f_complaint_ref: 'Complaint reference',
      tk_no_description: '(no description)',

      tk_comment: 'Reply or internal note',
      tk_comment_label: 'Text',
      tk_visibility: 'Who sees it',
      tk_vis_internal: 'Internal note (staff only)',
      tk_vis_public: 'Public reply (the customer sees it)',
      tk_public_hint: 'A public reply is posted into the customer\'s conversation as an agent message.',
      tk_public_no_conversation: 'This ticket has no conversation: a public reply is only kept on the ticket; the customer does not get it.',
      tk_comment_add: 'Add',
      tk_comment_empty: 'Write something first.',
      tk_comment_done_internal: 'Internal note added.',
      tk_comment_done_public: 'Public reply sent.',
      tk_comment_not_delivered: 'Saved on the ticket, but the customer\'s conversation has ended, so they will not see it: reach them another way (e.g. a call).',

      tk_history: 'History',
      tk_history_empty: 'Nothing yet.',
      tk_ev_created: 'created the ticket ({source})',
      tk_ev_status: 'changed the status from {from} to {to}',
      tk_ev_priority: 'changed the priority from {from} to {to}',
      tk_ev_assignee: 'changed the assignee from {from} to {to}',
      tk_ev_comment_internal: 'added an internal note',
      tk_ev_comment_public: 'sent a public reply',
      tk_ev_sla: 'went past its SLA due time ({due})',
      tk_ev_other: '{kind}',
      tk_tag_internal: 'Internal',
      tk_tag_public: 'Public',
      tk_nobody: 'nobody',
      tk_announce_created: 'New ticket: {id}',
      tk_announce_breached: 'Ticket {id} is past its SLA due time',
    },
  });
  D.applyLanguage(); // the view's static labels (index.html) use the keys just added

  var state = {
    started: false,
    filter: { status: '', mine: false, breached: false },
    tickets: [], // the list as last read, newest first
    listSeq: 0,
    listTimer: null,
    overdueTimer: null,
    pollTimer: null,
    mode: 'empty', // the side pane: empty | new | detail
    selectedId: null,
    detail: null, // {ticket, events} of the selected ticket
    detailSeq: 0,
    busy: false, // a change of the open ticket is under way
    creating: false, // the new-ticket form is being sent
  };

  function me() { return D.session.staff || {}; }
  function path(id) { return '/tickets/' + encodeURIComponent(id); }
  function label(prefix, value) { return D.has(prefix + value) ? t(prefix + value) : String(value || '—'); }

  // ---------------------------------------------------------------------------------------------
  // The list
  // ---------------------------------------------------------------------------------------------
  var rowsEl = $('tk-rows');
  var listStatusEl = $('tk-list-status');

  function byNewest(a, b) {
    var ta = (D.toDate(a.created_at) || new Date(0)).getTime();
    var tb = (D.toDate(b.created_at) || new Date(0)).getTime();
    if (tb !== ta) return tb - ta;
    return String(b.id).localeCompare(String(a.id));
  }

  function listParams() {
    var p = { limit: LIST_LIMIT, sort: 'created' }; // the newest LIST_LIMIT, however many match
    if (state.filter.status) p.status = state.filter.status;
    if (state.filter.mine && me().name) p.assignee = me().name;
    if (state.filter.breached) p.breached = 1;
    return p;
  }

  async function loadList() {
    if (!state.started) return;
    clearTimeout(state.listTimer);
    state.listTimer = null;
    var seq = ++state.listSeq;
    try {
      var data = await Promise.all([
        api('GET', '/tickets', { params: listParams() }),
        // The switch's overdue count: unsolved tickets the SLA check has flagged, whatever the filters.
        api('GET', '/tickets', { params: { breached: 1, limit: LIST_LIMIT } }),
      ]);
      if (seq !== state.listSeq || !state.started) return; // a newer read (other filters) is under way
      state.tickets = (Array.isArray(data[0] && data[0].tickets) ? data[0].tickets : []).filter(function (x) { return x && x.id; });
      state.tickets.sort(byNewest);
      renderList();
      renderOverdueCount(Array.isArray(data[1] && data[1].tickets) ? data[1].tickets.length : 0);
      listStatusEl.setAttribute('data-loaded', 'true');
    } catch (err) {
      if (seq === state.listSeq) D.showError(err);
    }
  }

  function loadListSoon() {
    clearTimeout(state.listTimer);
    state.listTimer = setTimeout(loadList, 150);
  }

  function renderOverdueCount(n) {
    var el = $('nav-overdue-count');
    el.textContent = n ? String(n) : '';
    if (n) D.txAttr(el, 'aria-label', 'nav_overdue', { n: n });
    else el.removeAttribute('aria-label');
  }

  function renderList() {
    var focused = document.activeElement && rowsEl.contains(document.activeElement) ? document.activeElement.getAttribute('data-ticket-id') : null;
    rowsEl.textContent = '';
    var overdue = 0;
    var nextDue = Infinity;
    state.tickets.forEach(function (tk) {
      var late = D.ticketOverdue(tk);
      if (late) overdue += 1;
      else if (D.TICKET_ACTIVE.indexOf(tk.status) >= 0) {
        var due = D.toDate(tk.due_at);
        if (due) nextDue = Math.min(nextDue, due.getTime());
      }
      rowsEl.appendChild(ticketRow(tk, late));
    });
    if (!state.tickets.length) {
      rowsEl.appendChild(h('tr', { class: 'empty-row' }, [h('td', { colspan: '7', class: 'muted', 'data-testid': 'tickets-empty', i18n: 'tk_list_empty' })]));
    }
    listStatusEl.textContent = '';
    listStatusEl.appendChild(h('span', {
      i18n: overdue ? 'tk_count_overdue' : 'tk_count', args: { n: state.tickets.length, m: overdue }, 'data-testid': 'tickets-count',
    }));
    listStatusEl.appendChild(document.createTextNode(' · '));
    listStatusEl.appendChild(h('span', { i18n: 'tk_updated', args: { time: new Date().toLocaleTimeString(D.lang() === 'zh' ? 'zh-CN' : 'en-GB', { hour12: false }) } }));
    // A ticket whose due time passes while it is shown gets its flag then, before the next read.
    clearTimeout(state.overdueTimer);
    if (nextDue !== Infinity) state.overdueTimer = setTimeout(renderList, Math.min(Math.max(nextDue - Date.now(), 0) + 500, 3600000));
    if (focused) {
      var again = rowsEl.querySelector('[data-testid="ticket-open"][data-ticket-id="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
    }
  }

  function ticketRow(tk, late) {
    var open = h('button', {
      type: 'button', class: 'link-button mono', 'data-testid': 'ticket-open', 'data-ticket-id': tk.id, text: String(tk.id),
      'aria-label-i18n': 'tk_open_label', args: { id: String(tk.id) },
    });
    open.addEventListener('click', function (e) {
      e.stopPropagation();
      openTicket(tk.id, true);
    });
    var chosen = state.mode === 'detail' && state.selectedId === tk.id;
    var tr = h('tr', {
      class: 'tk-row' + (late ? ' breached' : '') + (chosen ? ' chosen' : ''), 'data-testid': 'ticket-row', 'data-ticket-id': tk.id,
      'data-status': tk.status || null, 'data-breached': String(tk.breached === true), 'data-overdue': String(late),
      'aria-current': chosen ? 'true' : null,
    }, [
      h('td', null, [open]),
      h('td', { class: 'tk-subject', 'data-testid': 'ticket-subject', text: String(tk.subject || '') }),
      h('td', null, [D.ticketStatusEl(tk.status, { 'data-testid': 'ticket-status' })]),
      h('td', null, [D.ticketPriorityEl(tk.priority, { 'data-testid': 'ticket-priority' })]),
      // The due time and, once it has passed, the breach flag under it: both in view without scrolling.
      h('td', { class: 'num' }, [h('div', { class: 'tk-due' }, [h('span', { 'data-testid': 'ticket-due' }, [D.timeEl(tk.due_at)]), D.ticketFlagEl(tk)])]),
      h('td', null, [D.staffLabelEl(tk.assignee, { 'data-testid': 'ticket-assignee', class: tk.assignee ? null : 'muted' })]),
      h('td', null, [D.labelEl('span', 'tk_type_', tk.type, { 'data-testid': 'ticket-type' })]),
    ]);
    // The whole row opens the ticket for a mouse; the id button is the keyboard's way. The focus moves to the
    // ticket's title either way, which also brings it into view where the detail is below the list (phones).
    tr.addEventListener('click', function () { openTicket(tk.id, true); });
    return tr;
  }

  function readFilters() {
    state.filter.status = $('tk-f-status').value;
    state.filter.mine = $('tk-f-mine').checked;
    state.filter.breached = $('tk-f-breached').checked;
    loadList();
  }
  ['tk-f-status', 'tk-f-mine', 'tk-f-breached'].forEach(function (id) { $(id).addEventListener('change', readFilters); });
  $('tk-filters').addEventListener('submit', function (e) {
    e.preventDefault();
    readFilters();
  });
  $('tk-refresh').addEventListener('click', function () {
    loadList();
    if (state.mode === 'detail' && state.selectedId) loadDetail();
  });
  $('tk-new').addEventListener('click', function () { newTicket({}); });

  // ---------------------------------------------------------------------------------------------
  // The side pane: nothing chosen, the new-ticket form, or a ticket
  // ---------------------------------------------------------------------------------------------
  function setMode(mode) {
    state.mode = mode;
    $('tk-empty').hidden = mode !== 'empty';
    $('tk-new-form').hidden = mode !== 'new';
    $('tk-detail').hidden = mode !== 'detail';
    Array.prototype.forEach.call(rowsEl.querySelectorAll('[data-testid="ticket-row"]'), function (r) {
      var on = mode === 'detail' && r.getAttribute('data-ticket-id') === state.selectedId;
      r.classList.toggle('chosen', on);
      if (on) r.setAttribute('aria-current', 'true');
      else r.removeAttribute('aria-current');
    });
  }

  // ---- the new-ticket form ------------------------------------------------------------------
  var form = $('tk-new-form');
  var formError = $('nt-error');
  var submitBtn = $('nt-submit');
  var inputs = {
    type: $('nt-type'), priority: $('nt-priority'), subject: $('nt-subject'), description: $('nt-description'),
    customer_ref: $('nt-customer'), conversation_id: $('nt-conversation'),
  };

  function fieldError(field, key, args) {
    var p = form.querySelector('[data-error-for="' + field + '"]');
    if (!p) return false;
    tx(p, key, args);
    p.hidden = false;
    inputs[field].setAttribute('aria-invalid', 'true');
    return true;
  }

  function clearFormErrors() {
    formError.hidden = true;
    formError.textContent = '';
    FORM_FIELDS.forEach(function (f) {
      var p = form.querySelector('[data-error-for="' + f + '"]');
      p.hidden = true;
      p.textContent = '';
      inputs[f].removeAttribute('aria-invalid');
    });
  }

  /**
   * A 400 from the ticket routes as [field, key, args] in the page's language. The server names the field at
   * the start of its message ("subject must not be empty", "conversation_id: no such conversation").
   */
  function validationText(err) {
    var msg = String(err.message || '');
    var m = /^(\w+)[\s:]/.exec(msg);
    var field = m && D.has('tk_field_' + m[1]) ? m[1] : null;
    var name = field ? t('tk_field_' + field) : '';
    var n = /at most (\d+)/.exec(msg);
    if (/no such conversation/.test(msg)) return [field, 'tk_err_no_conversation', null];
    if (/no such staff/.test(msg)) return [field, 'tk_err_no_staff', null];
    if (field && /is required|must not be empty/.test(msg)) return [field, 'tk_err_required', { field: name }];
    if (field && n) return [field, 'tk_err_too_long', { field: name, n: n[1] }];
    if (field && /control characters/.test(msg)) return [field, 'tk_err_control', { field: name }];
    if (field && /must be one of/.test(msg)) return [field, 'tk_err_choice', { field: name }];
    if (field) return [field, 'tk_err_invalid', { field: name, message: msg }];
    var e = D.errorText(err);
    return [null, e[0], e[1]];
  }

  /** Shows the form, empty or with prefill {type, priority, subject, description, customer_ref, conversation_id}. */
  function newTicket(prefill) {
    prefill = prefill || {};
    D.console.showView('tickets');
    clearFormErrors();
    form.reset();
    inputs.type.value = prefill.type || 'other';
    inputs.priority.value = PRIORITIES.indexOf(prefill.priority) >= 0 ? prefill.priority : 'normal';
    ['subject', 'description', 'customer_ref', 'conversation_id'].forEach(function (f) { inputs[f].value = prefill[f] ? String(prefill[f]) : ''; });
    var fromChat = $('nt-from-chat');
    if (prefill.conversation_id) {
      tx(fromChat, 'tk_from_chat', { id: String(prefill.conversation_id) });
      fromChat.hidden = false;
    } else {
      fromChat.hidden = true;
      fromChat.textContent = '';
    }
    setMode('new');
    inputs.subject.focus();
  }

  form.addEventListener('submit', async function (e) {
    e.preventDefault();
    if (state.creating) return;
    clearFormErrors();
    var body = { type: inputs.type.value, priority: inputs.priority.value, subject: inputs.subject.value.trim() };
    var description = inputs.description.value.trim();
    if (description) body.description = description;
    ['customer_ref', 'conversation_id'].forEach(function (f) {
      var v = inputs[f].value.trim();
      if (v) body[f] = v;
    });
    if (!body.subject) {
      fieldError('subject', 'tk_err_required', { field: t('tk_field_subject') });
      inputs.subject.focus();
      return;
    }
    state.creating = true;
    submitBtn.disabled = true;
    tx(submitBtn, 'tk_creating');
    try {
      var res = await api('POST', '/tickets', { json: body });
      var tk = (res && res.ticket) || {};
      form.reset();
      D.flash('tk_created', { id: String(tk.id || '') });
      loadList();
      if (tk.id) openTicket(tk.id, true);
      else setMode('empty');
    } catch (err) {
      if (err.handled) return;
      var v = err.status === 400 || err.status === 422 ? validationText(err) : [null].concat(D.errorText(err));
      if (v[0] && inputs[v[0]] && fieldError(v[0], v[1], v[2])) {
        tx(formError, 'tk_err_form');
        formError.hidden = false;
        inputs[v[0]].focus();
      } else {
        tx(formError, v[1], v[2]);
        formError.hidden = false;
        formError.scrollIntoView({ block: 'nearest' });
      }
    } finally {
      state.creating = false;
      submitBtn.disabled = false;
      tx(submitBtn, 'tk_create');
    }
  });
  $('nt-cancel').addEventListener('click', function () {
    clearFormErrors();
    form.reset();
    setMode(state.selectedId && state.detail ? 'detail' : 'empty');
    $('tk-new').focus();
  });

  // ---- one ticket ---------------------------------------------------------------------------
  // Built once: the comment form keeps what is being typed while the rest is redrawn from each read.
  var detailEl = $('tk-detail');
  var headEl = h('div', { class: 'tk-detail-head' });
  var actionsEl = h('div', { class: 'tk-actions', role: 'group', 'aria-label-i18n': 'tk_actions' });
  var errorEl = h('p', { class: 'field-error', role: 'alert', tabindex: '-1', 'data-testid': 'ticket-error', hidden: true });
  var fieldsEl = h('section', { class: 'tk-sec', 'aria-labelledby': 'tk-fields-title' });
  var historyEl = h('ol', { class: 'tk-history', 'data-testid': 'ticket-history' });

  var commentText = h('textarea', { id: 'tk-c-text', rows: '3', maxlength: '4000', 'data-testid': 'comment-input' });
  var visInternal = h('input', { type: 'radio', name: 'tk-c-vis', id: 'tk-c-internal', value: 'internal', checked: true, 'data-testid': 'comment-internal' });
  var visPublic = h('input', { type: 'radio', name: 'tk-c-vis', id: 'tk-c-public', value: 'public', 'data-testid': 'comment-public', 'aria-describedby': 'tk-c-hint' });
  var commentHint = h('p', { id: 'tk-c-hint', class: 'hint', 'data-testid': 'comment-hint' });
  var commentErr = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'comment-error', hidden: true });
  var commentBtn = h('button', { type: 'submit', class: 'button small primary', 'data-testid': 'comment-add', i18n: 'tk_comment_add' });
  var commentForm = h('form', { class: 'tk-comment', 'aria-labelledby': 'tk-c-title', novalidate: true, 'data-visibility': 'internal' }, [
    h('h3', { id: 'tk-c-title', i18n: 'tk_comment' }),
    h('fieldset', { class: 'radios' }, [
      h('legend', { i18n: 'tk_visibility' }),
      h('span', { class: 'check' }, [visInternal, h('label', { for: 'tk-c-internal', i18n: 'tk_vis_internal' })]),
      h('span', { class: 'check' }, [visPublic, h('label', { for: 'tk-c-public', i18n: 'tk_vis_public' })]),
    ]),
    h('label', { for: 'tk-c-text', class: 'sr-only', i18n: 'tk_comment_label' }), commentText, commentHint, commentErr,
    h('div', { class: 'actions' }, [commentBtn]),
  ]);

  detailEl.appendChild(headEl);
  detailEl.appendChild(errorEl);
  detailEl.appendChild(actionsEl);
  detailEl.appendChild(fieldsEl);
  detailEl.appendChild(commentForm);
  detailEl.appendChild(h('section', { class: 'tk-sec', 'aria-labelledby': 'tk-history-title' }, [h('h3', { id: 'tk-history-title', i18n: 'tk_history' }), historyEl]));

  function renderVisibility() {
    var pub = visPublic.checked;
    commentForm.setAttribute('data-visibility', pub ? 'public' : 'internal');
    var tk = state.detail && state.detail.ticket;
    if (pub) tx(commentHint, tk && tk.conversation_id ? 'tk_public_hint' : 'tk_public_no_conversation');
    commentHint.hidden = !pub;
  }
  visInternal.addEventListener('change', renderVisibility);
  visPublic.addEventListener('change', renderVisibility);

  function resetComment() {
    commentText.value = '';
    visInternal.checked = true;
    commentErr.hidden = true;
    renderVisibility();
  }

  function clearError() {
    errorEl.hidden = true;
    errorEl.textContent = '';
  }
  function showDetailError(key, args) {
    tx(errorEl, key, args);
    errorEl.hidden = false;
  }

  /** Opens a ticket in the side pane (and the tickets view); focus moves to its title when asked. */
  async function openTicket(id, focus) {
    D.console.showView('tickets');
    var same = state.selectedId === id && state.detail;
    if (!same) {
      state.selectedId = id;
      state.detail = null;
      clearError();
      resetComment();
      headEl.textContent = '';
      actionsEl.textContent = '';
      fieldsEl.textContent = '';
      historyEl.textContent = '';
      headEl.appendChild(h('p', { class: 'muted', i18n: 'loading' }));
      detailEl.removeAttribute('data-loaded');
      detailEl.setAttribute('data-ticket-id', id);
    }
    setMode('detail');
    await loadDetail();
    if (focus && state.selectedId === id) {
      var title = $('tk-d-title');
      if (title) title.focus();
    }
  }

  async function loadDetail() {
    var id = state.selectedId;
    if (!id) return;
    var seq = ++state.detailSeq;
    try {
      var data = await api('GET', path(id));
      if (seq !== state.detailSeq || state.selectedId !== id) return;
      state.detail = { ticket: (data && data.ticket) || { id: id }, events: Array.isArray(data && data.events) ? data.events : [] };
      renderDetail();
      detailEl.setAttribute('data-loaded', 'true');
    } catch (err) {
      if (err.handled || seq !== state.detailSeq) return;
      if (err.status === 404) {
        headEl.textContent = '';
        showDetailError('tk_not_found', { id: String(id) });
      } else D.showError(err);
    }
  }

  function transitionKey(from, to) {
    if (to === 'open') return from === 'new' ? 'tk_do_open' : from === 'pending' ? 'tk_do_resume' : 'tk_do_reopen';
    return 'tk_do_' + to;
  }

  function renderDetail() {
    var d = state.detail;
    if (!d) return;
    var tk = d.ticket;
    detailEl.setAttribute('data-ticket-id', tk.id);
    detailEl.setAttribute('data-status', tk.status || '');
    detailEl.setAttribute('data-priority', tk.priority || '');
    detailEl.setAttribute('data-assignee', tk.assignee || '');
    detailEl.setAttribute('data-breached', String(tk.breached === true));
    D.txAttr(detailEl, 'aria-label', 'tk_detail_label', { id: String(tk.id) });
    detailEl.setAttribute('role', 'region');

    // Title: id and subject, the status, the priority and the breach flag.
    headEl.textContent = '';
    headEl.appendChild(h('h2', { id: 'tk-d-title', class: 'tk-title', tabindex: '-1', 'data-testid': 'ticket-title' }, [
      h('code', { class: 'tk-id', 'data-testid': 'ticket-id', text: String(tk.id) }), ' ',
      h('span', { 'data-testid': 'ticket-detail-subject', text: String(tk.subject || '') }),
    ]));
    headEl.appendChild(h('p', { class: 'tk-badges' }, [
      D.ticketStatusEl(tk.status, { 'data-testid': 'ticket-detail-status' }), ' ',
      D.ticketPriorityEl(tk.priority, { 'data-testid': 'ticket-detail-priority' }), ' ',
      D.ticketFlagEl(tk),
    ]));

    // Actions: the status changes the server allows from here, the priority, the assignee.
    actionsEl.textContent = '';
    var moves = h('div', { class: 'actions', role: 'group', 'aria-labelledby': 'tk-moves-title', 'data-testid': 'ticket-actions' });
    (NEXT[tk.status] || []).forEach(function (to) {
      var b = h('button', {
        type: 'button', class: 'button small' + (to === 'resolved' ? ' primary' : ''), 'data-testid': 'ticket-action', 'data-to': to,
        i18n: transitionKey(tk.status, to), 'aria-label-i18n': 'tk_do_label', args: { from: label('tk_status_', tk.status), to: label('tk_status_', to) },
      });
      b.addEventListener('click', function () { change({ status: to }, b); });
      moves.appendChild(b);
    });
    actionsEl.appendChild(h('div', { class: 'tk-action-row' }, [h('h3', { id: 'tk-moves-title', i18n: 'tk_status_actions' }), moves]));

    var prio = h('select', { id: 'tk-d-priority', 'data-testid': 'ticket-priority-select' }, PRIORITIES.map(function (p) {
      return h('option', { value: p, i18n: 'tk_prio_' + p });
    }));
    prio.value = tk.priority;
    var prioBtn = h('button', { type: 'submit', class: 'button small', 'data-testid': 'ticket-priority-apply', i18n: 'tk_priority_change' });
    var prioForm = h('form', { class: 'tk-inline', novalidate: true }, [
      h('label', { for: 'tk-d-priority', i18n: 'tk_col_priority' }), prio, prioBtn,
    ]);
    prioForm.addEventListener('submit', function (e) {
      e.preventDefault();
      if (prio.value !== tk.priority) change({ priority: prio.value }, prioBtn);
    });

    var mine = tk.assignee && tk.assignee === me().name;
    var who = h('div', { class: 'tk-inline' }, [
      h('span', { class: 'tk-label', i18n: 'tk_col_assignee' }),
      D.staffLabelEl(tk.assignee, { 'data-testid': 'ticket-detail-assignee', class: tk.assignee ? 'tk-assignee' : 'tk-assignee muted' }),
    ]);
    if (!mine) {
      var take = h('button', { type: 'button', class: 'button small', 'data-testid': 'ticket-assign-me', i18n: 'tk_assign_me' });
      take.addEventListener('click', function () { change({ assignee: me().name }, take); });
      who.appendChild(take);
    }
    if (tk.assignee) {
      var drop = h('button', { type: 'button', class: 'button small quiet', 'data-testid': 'ticket-unassign', i18n: 'tk_unassign' });
      drop.addEventListener('click', function () { change({ assignee: null }, drop); });
      who.appendChild(drop);
    }
    actionsEl.appendChild(h('div', { class: 'tk-action-row tk-two' }, [prioForm, who]));

    // Fields.
    fieldsEl.textContent = '';
    fieldsEl.appendChild(h('h3', { id: 'tk-fields-title', i18n: 'tk_fields' }));
    var conv = null;
    if (tk.conversation_id) {
      conv = h('span', { class: 'tk-conv' }, [h('code', { 'data-testid': 'ticket-conversation', text: String(tk.conversation_id) })]);
      if (D.console.hasConversation(tk.conversation_id)) {
        var jump = h('button', {
          type: 'button', class: 'button small', 'data-testid': 'ticket-open-chat', i18n: 'tk_open_chat',
          'aria-label-i18n': 'tk_open_chat_label', args: { id: String(tk.conversation_id) },
        });
        jump.addEventListener('click', function () { D.console.openConversation(tk.conversation_id); });
        conv.appendChild(document.createTextNode(' '));
        conv.appendChild(jump);
      }
    }
    var created = h('span', { 'data-testid': 'ticket-created' }, [D.timeEl(tk.created_at), ' · ', D.staffLabelEl(tk.created_by || 'kefu')]);
    var rows = [
      ['tk_col_type', D.labelEl('span', 'tk_type_', tk.type, { 'data-testid': 'ticket-detail-type' })],
      ['tk_f_customer', tk.customer_ref ? h('code', { 'data-testid': 'ticket-customer-ref', text: String(tk.customer_ref) }) : null],
      ['tk_f_conversation', conv],
      ['tk_f_complaint_ref', tk.complaint_ref ? h('code', { text: String(tk.complaint_ref) }) : null],
      ['tk_f_source', D.labelEl('span', 'tk_src_', tk.source)],
      ['tk_f_created', created],
      ['tk_f_updated', D.timeEl(tk.updated_at)],
      ['tk_f_due', h('span', { 'data-testid': 'ticket-detail-due' }, [D.timeEl(tk.due_at)])],
      ['tk_f_breached_at', tk.breached_at ? D.timeEl(tk.breached_at) : null],
    ];
    fieldsEl.appendChild(h('dl', { class: 'kv tk-kv' }, rows.map(function (r) {
      return h('div', null, [h('dt', { i18n: r[0] }), h('dd', null, [r[1] || h('span', { class: 'muted', text: '—' })])]);
    })));
    fieldsEl.appendChild(h('h3', { i18n: 'tk_description' }));
    fieldsEl.appendChild(tk.description
      ? h('p', { class: 'tk-description', 'data-testid': 'ticket-description', text: String(tk.description) })
      : h('p', { class: 'muted', 'data-testid': 'ticket-description', i18n: 'tk_no_description' }));

    renderVisibility();
    renderHistory(state.detail.events);
  }

  function eventLine(ev) {
    var d = ev.detail && typeof ev.detail === 'object' ? ev.detail : {};
    switch (ev.kind) {
      case 'created':
        return ['tk_ev_created', { source: label('tk_src_', d.source) }];
      case 'status':
        return ['tk_ev_status', { from: label('tk_status_', d.from), to: label('tk_status_', d.to) }];
      case 'priority':
        return ['tk_ev_priority', { from: label('tk_prio_', d.from), to: label('tk_prio_', d.to) }];
      case 'assignee':
        return ['tk_ev_assignee', { from: d.from ? staffText(d.from) : t('tk_nobody'), to: d.to ? staffText(d.to) : t('tk_nobody') }];
      case 'comment':
        return [d.public === true ? 'tk_ev_comment_public' : 'tk_ev_comment_internal', null];
      case 'sla_breached':
        return ['tk_ev_sla', { due: D.formatTime(d.due_at) }];
      default:
        return ['tk_ev_other', { kind: String(ev.kind || '') }];
    }
  }

  function staffText(name) { return D.staffLabelEl(name).textContent; }

  function renderHistory(events) {
    historyEl.textContent = '';
    if (!events.length) {
      historyEl.appendChild(h('li', { class: 'muted', i18n: 'tk_history_empty' }));
      return;
    }
    events.forEach(function (ev) {
      var d = ev.detail && typeof ev.detail === 'object' ? ev.detail : {};
      var isComment = ev.kind === 'comment';
      var vis = isComment ? (d.public === true ? 'public' : 'internal') : null;
      var line = eventLine(ev);
      var li = h('li', {
        class: 'tk-event' + (vis ? ' ' + vis : '') + (ev.kind === 'sla_breached' ? ' breach' : ''), 'data-testid': 'ticket-event',
        'data-kind': String(ev.kind || ''), 'data-visibility': vis, 'data-seq': ev.seq !== undefined ? String(ev.seq) : null,
      }, [
        h('p', { class: 'tk-event-head' }, [
          vis ? h('span', { class: 'tag ' + vis, 'data-testid': 'ticket-event-visibility', i18n: 'tk_tag_' + vis }) : null,
          vis ? ' ' : null,
          D.staffLabelEl(ev.actor, { class: 'tk-actor', 'data-testid': 'ticket-event-actor' }), ' ',
          h('span', { 'data-testid': 'ticket-event-what', i18n: line[0], args: line[1] }), ' · ',
          D.timeEl(ev.created_at),
        ]),
        isComment ? h('p', { class: 'tk-event-text', 'data-testid': 'ticket-event-text', text: String(d.text || '') }) : null,
      ]);
      historyEl.appendChild(li);
    });
  }

  /** PATCH the ticket; then read it again. A 409 shows why in the page and the state as it now is. */
  async function change(body, button) {
    var d = state.detail;
    if (!d || state.busy) return;
    var id = d.ticket.id;
    clearError();
    state.busy = true;
    Array.prototype.forEach.call(actionsEl.querySelectorAll('button, select'), function (b) { b.disabled = true; });
    try {
      var res = await api('PATCH', path(id), { json: body });
      var tk = (res && res.ticket) || {};
      if (body.status) D.flash('tk_status_done', { id: id, status: label('tk_status_', tk.status || body.status) });
      else if (body.priority) D.flash('tk_priority_done', { id: id, priority: label('tk_prio_', tk.priority || body.priority) });
      else D.flash(body.assignee ? 'tk_assign_done' : 'tk_unassign_done', { id: id });
      await loadDetail();
      loadListSoon();
      // The redrawn actions replaced the button that had the focus: give it to the next status change
      // (after a status change) or to the ticket's title.
      if (button && !document.body.contains(button) && (!document.activeElement || document.activeElement === document.body)) {
        var next = body.status ? actionsEl.querySelector('[data-testid="ticket-action"]') : null;
        (next || $('tk-d-title') || errorEl).focus();
      }
    } catch (err) {
      if (err.handled) return;
      await loadDetail(); // the ticket as it is now, then the reason
      if (err.code === 'invalid_transition' && body.status) {
        var now = state.detail ? state.detail.ticket.status : '';
        showDetailError('tk_err_transition', { from: label('tk_status_', now), to: label('tk_status_', body.status) });
      } else if (err.status === 400) {
        var v = validationText(err);
        showDetailError(v[1], v[2]);
      } else {
        var e = D.errorText(err);
        showDetailError(e[0], e[1]);
      }
      errorEl.focus();
      loadListSoon();
    } finally {
      state.busy = false;
      Array.prototype.forEach.call(actionsEl.querySelectorAll('button, select'), function (b) { b.disabled = false; });
    }
  }

  commentForm.addEventListener('submit', async function (e) {
    e.preventDefault();
    var d = state.detail;
    if (!d) return;
    var text = commentText.value.trim();
    commentErr.hidden = true;
    if (!text) {
      tx(commentErr, 'tk_comment_empty');
      commentErr.hidden = false;
      commentText.focus();
      return;
    }
    var pub = visPublic.checked;
    commentBtn.disabled = true;
    try {
      var sent = await api('POST', path(d.ticket.id) + '/comments', { json: { text: text, public: pub } });
      resetComment();
      D.flash(!pub ? 'tk_comment_done_internal' : sent && sent.delivered === false ? 'tk_comment_not_delivered' : 'tk_comment_done_public');
      await loadDetail();
      loadListSoon();
      commentText.focus();
    } catch (err) {
      if (!err.handled) {
        var v = err.status === 400 ? validationText(err) : [null].concat(D.errorText(err));
        tx(commentErr, v[1], v[2]);
        commentErr.hidden = false;
      }
    } finally {
      commentBtn.disabled = false;
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Names, frames, the console's hooks and start-up
  // ---------------------------------------------------------------------------------------------
  async function loadNames() {
    try {
      var data = await api('GET', '/desk/agents');
      (data && Array.isArray(data.agents) ? data.agents : []).forEach(function (a) { D.noteStaff(a.name, a.display_name); });
      if (state.tickets.length) renderList();
      if (state.detail) renderDetail();
    } catch (err) {
      /* the names are a nicety: sign-in names are shown instead */
    }
  }

  /** A ticket link (/desk/#ticket=TK-…, as the supervisor view makes them) opens that ticket. */
  function openFromHash() {
    var m = /^#ticket=([A-Za-z0-9_-]{1,64})$/.exec(location.hash || '');
    if (m && state.started) openTicket(m[1], true);
  }
  window.addEventListener('hashchange', openFromHash);

  function onFrame(f) {
    var id = f.ticket && f.ticket.id ? String(f.ticket.id) : '';
    switch (f.type) {
      case 'hello':
        loadList(); // (re)connected: read what was missed
        if (state.mode === 'detail') loadDetail();
        break;
      case 'ticket_created':
        loadListSoon();
        if (id) D.announce('tk_announce_created', { id: id });
        break;
      case 'ticket_changed': // a colleague changed or commented on a ticket
        loadListSoon();
        if (id && state.mode === 'detail' && state.selectedId === id) loadDetail();
        break;
      case 'sla_breached':
        loadListSoon();
        if (id && state.mode === 'detail' && state.selectedId === id) loadDetail();
        if (id) D.announce('tk_announce_breached', { id: id });
        break;
      default:
        break;
    }
  }

  function start() {
    state.started = true;
    loadNames();
    loadList();
    clearInterval(state.pollTimer);
    state.pollTimer = setInterval(function () {
      if (D.console.view() === 'tickets' && document.visibilityState !== 'hidden') loadList();
    }, POLL_MS);
    openFromHash();
  }

  function stop() {
    state.started = false;
    state.listSeq += 1;
    state.detailSeq += 1;
    clearInterval(state.pollTimer);
    clearTimeout(state.listTimer);
    clearTimeout(state.overdueTimer);
    state.tickets = [];
    state.selectedId = null;
    state.detail = null;
    rowsEl.textContent = '';
    listStatusEl.textContent = '';
    listStatusEl.removeAttribute('data-loaded');
    renderOverdueCount(0);
    clearFormErrors();
    form.reset();
    resetComment();
    setMode('empty');
  }

  D.onLanguage(function () {
    if (!state.started) return;
    renderList();
    if (state.detail) renderDetail();
  });

  D.tickets = {
    /** The console switched to the tickets view: read the list again. */
    shown: function () { if (state.started) loadList(); },
    newTicket: newTicket,
    open: openTicket,
  };
  D.addModule({ start: start, stop: stop, onFrame: onFrame });
})();
