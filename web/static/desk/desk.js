/*!
 * Kefu agent desk (/desk/) and the code it shares with the supervisor view (/desk/supervisor.html).
 * Plain JavaScript, no dependencies, no build step (ADR 3).
 *
 * Talks to the desk API of docs/desk.md. Sign-in is POST /api/v1/auth/login; the server keeps the session in
 * an HttpOnly cookie (kefu_session), so this page never sees or stores a token: every request is a
 * same-origin fetch with credentials, and the desk WebSocket (/api/v1/desk/ws) is authenticated by the same
 * cookie at the upgrade.
 *
 * The first half of this file is shared (strings, DOM helpers, the API client, sign-in, the desk socket,
 * the transcript and the customer panel) and published as window.KefuDesk; supervisor.js builds on it. The
 * second half is the agent console, started only on a page whose <body> has data-page="console".
 *
 * All customer, agent and bot text reaches the DOM through textContent and createElement (bot and agent
 * messages through the widget's Markdown renderer, which builds nodes the same way), never through HTML
 * parsing. Every UI string lives in STRINGS and is applied through data-i18n attributes, as in the KB editor.
 */
(function () {
  'use strict';

  var API = '/api/v1';
  var LANG_KEY = 'kefu:desk:lang';
  var SKILLS = ['general', 'cards', 'transfers', 'complaints'];
  var BACKOFF_BASE_MS = 500;
  var BACKOFF_CAP_MS = 10000;
  var MAX_SEND_TRIES = 6;

  // ---------------------------------------------------------------------------------------------
  // Strings
  // ---------------------------------------------------------------------------------------------
  var STRINGS = {
    zh: {
      page_title_console: '客服工作台 · Kefu',
      page_title_supervisor: '主管视图 · Kefu',
      app_title_console: '客服工作台',
      app_title_supervisor: '主管视图',
      skip: '跳到主要内容',
      language: '界面语言',
      sign_out: '退出登录',
      signed_in_as: '{name}（{role}）',
      staff_role_agent: '客服',
      staff_role_supervisor: '主管',
      staff_role_admin: '管理员',
      staff_role_kb_editor: '知识库编辑',
      staff_role_analyst: '分析师',

      signin_title: '登录',
      signin_intro_console: '请使用员工账号登录客服工作台。',
      signin_intro_supervisor: '请使用主管账号登录主管视图。',
      name_label: '用户名',
      password_label: '密码',
      sign_in: '登录',
      signing_in: '正在登录…',
      signin_missing: '请输入用户名和密码。',
      err_credentials: '用户名或密码不正确。',
      err_locked: '连续输错密码，账号已被临时锁定，请在 {min} 分钟后重试。',
      err_session: '登录已失效，请重新登录。',
      err_role_console: '您的角色（{role}）不能使用客服工作台，需要客服或主管角色。',
      err_role_supervisor: '主管视图需要主管角色（您的角色：{role}）。',
      signed_out: '您已退出登录。',
      err_network: '无法连接服务器，请检查网络后重试。',
      err_forbidden: '您的角色无权执行此操作。',
      err_generic: '操作失败：{message}',
      request_id: '请求编号 {id}',
      loading: '正在加载…',
      conn_online: '实时连接正常',
      conn_connecting: '正在连接…',
      conn_reconnecting: '连接中断，正在重连…',
      cancel: '取消',
      close: '关闭',
      none: '无',

      presence: '在线状态',
      presence_online: '在线',
      presence_away: '离开',
      presence_offline: '离线',
      presence_set: '状态已切换为“{status}”。',

      queue_title: '等待队列',
      queue_empty: '目前没有排队的客户。',
      queue_name: '{skill} · {language}',
      skill_general: '综合业务',
      skill_cards: '银行卡',
      skill_transfers: '转账汇款',
      skill_complaints: '投诉',
      lang_zh: '中文',
      lang_en: '英文',
      waiting_count: '{n} 位等待',
      waited: '已等待 {time}',
      position: '第 {n} 位',
      prio_2: 'VIP',
      prio_1: '情绪不佳',
      accept: '接入',
      accept_label: '接入{queue}队列的第 {n} 位客户',
      accept_taken: '该会话已被其他客服接入。',
      reason_request: '客户要求转人工',
      reason_fallback: '机器人连续未能理解',
      reason_flow: '业务流程转人工',
      reason_anger: '客户情绪激动',
      reason_vip: 'VIP 客户',
      reason_transfer: '转接',
      dur_s: '{s} 秒',
      dur_ms: '{m} 分 {s} 秒',
      dur_hm: '{h} 小时 {m} 分',

      chats_title: '我的会话',
      chat_tabs: '进行中的会话',
      no_chats: '暂无进行中的会话。切换为“在线”后，新会话会自动分配给您，也可以从左侧队列接入。',
      visitor: '访客 {id}',
      tab_unread: '{n} 条新消息',
      new_chat: '新会话：{name}',
      new_message: '{name}：新消息',
      chat_meta: '{queue} · {reason}',
      role_customer: '客户',
      role_bot: '机器人',
      role_agent: '客服',
      role_system: '系统',
      transcript: '会话记录',
      composer_label: '回复客户',
      composer_placeholder: '输入回复…（Enter 发送，Shift+Enter 换行）',
      send: '发送',
      sending: '发送中…',
      send_failed: '未能发送',
      retry: '重试',
      customer_typing: '客户正在输入…',
      canned: '常用语',
      canned_title: '常用语',
      canned_filter: '筛选常用语',
      canned_empty: '没有常用语。',
      canned_insert: '插入',
      canned_send: '直接发送',
      canned_insert_label: '把“{title}”插入输入框',
      canned_send_label: '直接发送“{title}”',
      chat_actions: '会话操作',
      transfer: '转接',
      transfer_title: '转接会话',
      transfer_to_agent: '转给指定客服',
      transfer_to_queue: '转回技能队列',
      transfer_agent_name: '客服',
      transfer_agent_hint: '只列出在线且有空闲接待量的客服。',
      transfer_pick_agent: '请选择客服',
      transfer_agent_option: '{name}（{load}，{skills}）',
      transfer_no_agent: '目前没有其他在线且有空闲的客服，可以转回技能队列。',
      transfer_skill: '技能队列',
      transfer_language: '语言',
      transfer_submit: '确认转接',
      transfer_need_agent: '请选择客服。',
      transferred: '会话已转接。',
      return_bot: '交还机器人',
      return_confirm_text: '交还后由机器人继续服务，客户不会收到满意度评价。',
      return_confirm: '确认交还',
      returned: '会话已交还机器人。',
      end_chat: '结束会话',
      wrap_up: '小结代码',
      wrap_up_choose: '请选择…',
      wrap_up_required: '请先选择小结代码。',
      end_confirm: '确认结束',
      ended_flash: '会话已结束，已邀请客户评价。',
      chat_closed_ended: '此会话已结束。',
      chat_closed_returned: '此会话已交还机器人。',
      chat_closed_transferred: '此会话已转接给 {agent}。',
      chat_closed_queued: '此会话已转回队列。',
      chat_closed_other: '此会话已不由您接待。',
      close_tab: '关闭此标签',

      customer_panel: '客户信息',
      no_chat_selected: '选择一个会话查看客户信息。',
      verification: '身份验证',
      verified: '已验证',
      not_verified: '未验证',
      verified_via: '验证方式：{method}',
      method_otp: '短信验证码',
      method_channel: '渠道登录',
      method_card_birth_date: '卡号后四位和出生日期',
      customer_ref: '客户号',
      profile: '客户概况',
      no_profile: '客户尚未验证身份，暂无资料。',
      p_name: '姓名',
      p_segment: '客户等级',
      p_risk: '风险等级',
      p_accounts: '账户',
      p_cards: '银行卡',
      seg_mass: '大众客户',
      seg_affluent: '财富客户',
      seg_private: '私人银行（VIP）',
      acct_savings: '储蓄账户',
      acct_current: '活期账户',
      acct_fixed_deposit: '定期存款',
      acct_deposit: '存款',
      acct_loan: '贷款',
      acct_wealth: '理财',
      card_debit: '借记卡',
      card_credit: '信用卡',
      card_active: '正常',
      card_frozen: '已冻结',
      card_lost: '已挂失',
      card_stolen: '被盗',
      card_expired: '已过期',
      card_dormant: '休眠',
      card_closed: '已注销',
      sentiment: '情绪趋势',
      sentiment_summary: '最近 {n} 条客户消息，最新：{label}',
      sent_positive: '正面',
      sent_neutral: '中性',
      sent_negative: '负面',
      sent_angry: '愤怒',
      no_sentiment: '暂无数据',
      flow: '当前流程',
      flow_step: '{name} · 步骤 {step}',
      summary: '机器人摘要',
      understanding: '机器人理解',
      no_understanding: '暂无客户消息。',
      no_intent: '未识别意图',
      intent_conf: '{intent}（{pct}%）',
      entities: '实体',
      notes: '内部备注',
      notes_hint: '仅员工可见，客户看不到。',
      internal: '内部',
      note_label: '新备注（仅内部可见）',
      note_add: '添加备注',
      note_empty: '请输入备注内容。',
      no_notes: '暂无备注。',
      note_by: '{author} · {when}',

      console_views: '工作台视图',
      nav_chats: '会话',
      nav_tickets: '工单',
      nav_chats_count: '进行中的会话：{n} 个',
      nav_overdue: '超时工单：{n} 张',
      ticket_from_chat: '建工单',
      ticket_from_chat_label: '为此会话新建工单',
      tk_status_new: '新建',
      tk_status_open: '处理中',
      tk_status_pending: '挂起',
      tk_status_resolved: '已解决',
      tk_status_closed: '已关闭',
      tk_type_complaint: '投诉',
      tk_type_callback: '回电',
      tk_type_card: '银行卡',
      tk_type_transfer: '转账汇款',
      tk_type_account: '账户',
      tk_type_other: '其他',
      tk_prio_low: '低',
      tk_prio_normal: '普通',
      tk_prio_high: '高',
      tk_prio_urgent: '紧急',
      tk_breached: '已超时',
      tk_breached_title: '已过 SLA 到期时间',
      tk_col_id: '编号',
      tk_col_subject: '主题',
      tk_col_type: '类型',
      tk_col_priority: '优先级',
      tk_col_status: '状态',
      tk_col_assignee: '负责人',
      tk_col_due_sla: '到期时间（SLA）',
      tk_col_breached_at: '超时于',
      tk_unassigned: '未分配',
      tk_system: '系统',
    },
    en: {
      page_title_console: 'Agent desk · Kefu',
      page_title_supervisor: 'Supervisor view · Kefu',
      app_title_console: 'Agent desk',
      app_title_supervisor: 'Supervisor view',
      skip: 'Skip to main content',
      language: 'Interface language',
      sign_out: 'Sign out',
      signed_in_as: '{name} ({role})',
      staff_role_agent: 'agent',
      staff_role_supervisor: 'supervisor',
      staff_role_admin: 'administrator',
      staff_role_kb_editor: 'knowledge editor',
      staff_role_analyst: 'analyst',

      signin_title: 'Sign in',
      signin_intro_console: 'Sign in with your staff account to use the agent desk.',
      signin_intro_supervisor: 'Sign in with a supervisor account.',
      name_label: 'User name',
      password_label: 'Password',
      sign_in: 'Sign in',
      signing_in: 'Signing in…',
      signin_missing: 'Enter your user name and password.',
      err_credentials: 'Wrong user name or password.',
      err_locked: 'Too many wrong passwords: this account is locked. Try again in {min} min.',
      err_session: 'Your session has ended. Please sign in again.',
      err_role_console: 'Your role ({role}) cannot use the agent desk; agent or supervisor is needed.',
      err_role_supervisor: 'The supervisor view needs the supervisor role (yours: {role}).',
      signed_out: 'You have signed out.',
      err_network: 'Cannot reach the server. Check the connection and try again.',
      err_forbidden: 'Your role may not do that.',
      err_generic: 'That did not work: {message}',
      request_id: 'request id {id}',
      loading: 'Loading…',
      conn_online: 'Live',
      conn_connecting: 'Connecting…',
      conn_reconnecting: 'Connection lost, reconnecting…',
      cancel: 'Cancel',
      close: 'Close',
      none: 'none',

      presence: 'Presence',
      presence_online: 'Online',
      presence_away: 'Away',
      presence_offline: 'Offline',
      presence_set: 'You are now {status}.',

      queue_title: 'Queue',
      queue_empty: 'Nobody is waiting.',
      queue_name: '{skill} · {language}',
      skill_general: 'General',
      skill_cards: 'Cards',
      skill_transfers: 'Transfers',
      skill_complaints: 'Complaints',
      lang_zh: 'Chinese',
      lang_en: 'English',
      waiting_count: '{n} waiting',
      waited: 'waiting {time}',
      position: 'No. {n}',
      prio_2: 'VIP',
      prio_1: 'Unhappy',
      accept: 'Accept',
      accept_label: 'Accept customer {n} in {queue}',
      accept_taken: 'Someone else has already taken that chat.',
      reason_request: 'Asked for a person',
      reason_fallback: 'Bot did not understand',
      reason_flow: 'A flow escalated',
      reason_anger: 'Customer is upset',
      reason_vip: 'VIP customer',
      reason_transfer: 'Transferred',
      dur_s: '{s} s',
      dur_ms: '{m} min {s} s',
      dur_hm: '{h} h {m} min',

      chats_title: 'My chats',
      chat_tabs: 'Open chats',
      no_chats: 'No chats yet. Go online and new chats will be given to you, or accept one from the queue.',
      visitor: 'Visitor {id}',
      tab_unread: '{n} new',
      new_chat: 'New chat: {name}',
      new_message: '{name}: new message',
      chat_meta: '{queue} · {reason}',
      role_customer: 'Customer',
      role_bot: 'Bot',
      role_agent: 'Agent',
      role_system: 'System',
      transcript: 'Transcript',
      composer_label: 'Reply to the customer',
      composer_placeholder: 'Type a reply… (Enter sends, Shift+Enter for a new line)',
      send: 'Send',
      sending: 'Sending…',
      send_failed: 'Not sent',
      retry: 'Retry',
      customer_typing: 'The customer is typing…',
      canned: 'Canned replies',
      canned_title: 'Canned replies',
      canned_filter: 'Filter canned replies',
      canned_empty: 'No canned replies.',
      canned_insert: 'Insert',
      canned_send: 'Send now',
      canned_insert_label: 'Insert "{title}" into the reply',
      canned_send_label: 'Send "{title}" now',
      chat_actions: 'Chat actions',
      transfer: 'Transfer',
      transfer_title: 'Transfer the chat',
      transfer_to_agent: 'To an agent',
      transfer_to_queue: 'Back to a skill queue',
      transfer_agent_name: 'Agent',
      transfer_agent_hint: 'Only agents online with a free slot are listed.',
      transfer_pick_agent: 'Choose an agent',
      transfer_agent_option: '{name} ({load}, {skills})',
      transfer_no_agent: 'No other agent is online with a free slot; transfer to a skill queue instead.',
      transfer_skill: 'Skill queue',
      transfer_language: 'Language',
      transfer_submit: 'Transfer',
      transfer_need_agent: 'Choose an agent.',
      transferred: 'The chat was transferred.',
      return_bot: 'Return to bot',
      return_confirm_text: 'The bot takes the conversation back; the customer gets no survey.',
      return_confirm: 'Yes, return it',
      returned: 'The conversation went back to the bot.',
      end_chat: 'End chat',
      wrap_up: 'Wrap-up code',
      wrap_up_choose: 'Choose…',
      wrap_up_required: 'Choose a wrap-up code first.',
      end_confirm: 'End the chat',
      ended_flash: 'Chat ended; the customer was asked to rate it.',
      chat_closed_ended: 'This chat has ended.',
      chat_closed_returned: 'This conversation went back to the bot.',
      chat_closed_transferred: 'This chat was transferred to {agent}.',
      chat_closed_queued: 'This chat went back to the queue.',
      chat_closed_other: 'This chat is no longer yours.',
      close_tab: 'Close this tab',

      customer_panel: 'Customer',
      no_chat_selected: 'Choose a chat to see the customer.',
      verification: 'Verification',
      verified: 'Verified',
      not_verified: 'Not verified',
      verified_via: 'by {method}',
      method_otp: 'SMS one-time code',
      method_channel: 'channel sign-in',
      method_card_birth_date: 'card digits and date of birth',
      customer_ref: 'Customer number',
      profile: 'Profile',
      no_profile: 'No profile until the customer is verified.',
      p_name: 'Name',
      p_segment: 'Segment',
      p_risk: 'Risk level',
      p_accounts: 'Accounts',
      p_cards: 'Cards',
      seg_mass: 'Mass market',
      seg_affluent: 'Affluent',
      seg_private: 'Private banking (VIP)',
      acct_savings: 'Savings',
      acct_current: 'Current',
      acct_fixed_deposit: 'Fixed deposit',
      acct_deposit: 'Deposit',
      acct_loan: 'Loan',
      acct_wealth: 'Wealth',
      card_debit: 'Debit card',
      card_credit: 'Credit card',
      card_active: 'active',
      card_frozen: 'frozen',
      card_lost: 'reported lost',
      card_stolen: 'stolen',
      card_expired: 'expired',
      card_dormant: 'dormant',
      card_closed: 'closed',
      sentiment: 'Sentiment trend',
      sentiment_summary: 'Last {n} customer messages; latest: {label}',
      sent_positive: 'positive',
      sent_neutral: 'neutral',
      sent_negative: 'negative',
      sent_angry: 'angry',
      no_sentiment: 'No data yet',
      flow: 'Current flow',
      flow_step: '{name} · step {step}',
      summary: 'Bot summary',
      understanding: 'What the bot understood',
      no_understanding: 'No customer messages yet.',
      no_intent: 'no intent recognised',
      intent_conf: '{intent} ({pct}%)',
      entities: 'Entities',
      notes: 'Internal notes',
      notes_hint: 'Staff only; never shown to the customer.',
      internal: 'Internal',
      note_label: 'New note (internal only)',
      note_add: 'Add note',
      note_empty: 'Write the note first.',
      no_notes: 'No notes yet.',
      note_by: '{author} · {when}',

      console_views: 'Desk views',
      nav_chats: 'Chats',
      nav_tickets: 'Tickets',
      nav_chats_count: 'Open chats: {n}',
      nav_overdue: 'Overdue tickets: {n}',
      ticket_from_chat: 'Create ticket',
      ticket_from_chat_label: 'Create a ticket for this chat',
      tk_status_new: 'New',
      tk_status_open: 'Open',
      tk_status_pending: 'Pending',
      tk_status_resolved: 'Resolved',
      tk_status_closed: 'Closed',
      tk_type_complaint: 'Complaint',
      tk_type_callback: 'Callback',
      tk_type_card: 'Card',
      tk_type_transfer: 'Transfer',
      tk_type_account: 'Account',
      tk_type_other: 'Other',
      tk_prio_low: 'Low',
      tk_prio_normal: 'Normal',
      tk_prio_high: 'High',
      tk_prio_urgent: 'Urgent',
      tk_breached: 'Overdue',
      tk_breached_title: 'Past its SLA due time',
      tk_col_id: 'ID',
      tk_col_subject: 'Subject',
      tk_col_type: 'Type',
      tk_col_priority: 'Priority',
      tk_col_status: 'Status',
      tk_col_assignee: 'Assignee',
      tk_col_due_sla: 'Due (SLA)',
      tk_col_breached_at: 'Breached at',
      tk_unassigned: 'Unassigned',
      tk_system: 'System',
    },
  };

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* storage may be disabled */ }
  }

  function detectLanguage() {
    var saved = storageGet(LANG_KEY);
    if (saved === 'zh' || saved === 'en') return saved;
    var nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'zh';
    return /^zh/i.test(nav) ? 'zh' : 'en';
  }

  var lang = detectLanguage();
  var page = document.body.getAttribute('data-page') || 'console';

  /** The string `key` in the UI language, with {name} replaced from args. */
  function t(key, args) {
    var s = (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
    if (args) {
      s = s.replace(/\{(\w+)\}/g, function (all, name) {
        return Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : all;
      });
    }
    return s;
  }
  function has(key) { return Object.prototype.hasOwnProperty.call(STRINGS.en, key); }

  /** Adds page-specific strings (the supervisor view's) to both dictionaries. */
  function addStrings(more) {
    ['zh', 'en'].forEach(function (l) {
      Object.keys(more[l] || {}).forEach(function (k) { STRINGS[l][k] = more[l][k]; });
    });
  }

  // ---------------------------------------------------------------------------------------------
  // DOM helpers
  // ---------------------------------------------------------------------------------------------
  function $(id) { return document.getElementById(id); }

  /** createElement with attributes; `text` sets textContent, `i18n` a translated text kept in sync. */
  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') node.textContent = v;
        else if (k === 'class') node.className = v;
        else if (k === 'i18n') tx(node, v, attrs.args);
        else if (k === 'args') { /* used with i18n */ }
        else if (k === 'aria-label-i18n') txAttr(node, 'aria-label', v, attrs.args);
        else node.setAttribute(k, v === true ? '' : v);
      });
    }
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      node.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return node;
  }

  /** Sets a translated text on node and remembers key and args, so a language switch updates it. */
  function tx(node, key, args) {
    node.setAttribute('data-i18n', key);
    if (args) node.setAttribute('data-i18n-args', JSON.stringify(args));
    else node.removeAttribute('data-i18n-args');
    node.textContent = t(key, args);
    return node;
  }

  /** The same for an attribute (aria-label, placeholder, title). */
  function txAttr(node, attr, key, args) {
    node.setAttribute('data-i18n-' + attr, key);
    if (args) node.setAttribute('data-i18n-args', JSON.stringify(args));
    node.setAttribute(attr, t(key, args));
    return node;
  }

  function argsOf(node) {
    var raw = node.getAttribute('data-i18n-args');
    if (!raw) return null;
    try { return JSON.parse(raw); } catch (e) { return null; }
  }

  /** A Date from an ISO string or Unix milliseconds (or seconds); null when there is none. */
  function toDate(v) {
    if (v === null || v === undefined || v === '') return null;
    var d = typeof v === 'number' ? new Date(v < 1e11 ? v * 1000 : v) : new Date(String(v));
    return isNaN(d.getTime()) ? null : d;
  }

  function formatTime(v) {
    var d = toDate(v);
    if (!d) return '';
    try {
      return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
        month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
      });
    } catch (e) {
      return d.toISOString().slice(5, 16).replace('T', ' ');
    }
  }
  function formatClock(v) {
    var d = toDate(v);
    if (!d) return '';
    try {
      return d.toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-GB', { hour: '2-digit', minute: '2-digit', hour12: false });
    } catch (e) {
      return d.toTimeString().slice(0, 5);
    }
  }
  /** A <time> element that follows the language; kind 'clock' shows only the time of day. */
  function timeEl(v, kind) {
    var d = toDate(v);
    var iso = d ? d.toISOString() : null;
    return h('time', { datetime: iso, 'data-ts': iso, 'data-kind': kind || null, text: kind === 'clock' ? formatClock(v) : formatTime(v) });
  }

  function formatDuration(seconds) {
    var s = Math.max(0, Math.floor(Number(seconds) || 0));
    if (s < 60) return t('dur_s', { s: s });
    if (s < 3600) return t('dur_ms', { m: Math.floor(s / 60), s: s % 60 });
    return t('dur_hm', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
  }

  /**
   * A duration that keeps counting: base seconds at the moment the data was read, then the clock. The
   * one-second ticker (below) redraws every element made here.
   */
  function durationEl(baseSeconds, key, attrs) {
    var el = h('span', attrs || {});
    el.setAttribute('data-duration-base', String(Math.max(0, Number(baseSeconds) || 0)));
    el.setAttribute('data-duration-at', String(Date.now()));
    if (key) el.setAttribute('data-duration-key', key);
    renderDuration(el);
    return el;
  }
  function renderDuration(el) {
    var s = Number(el.getAttribute('data-duration-base')) + (Date.now() - Number(el.getAttribute('data-duration-at'))) / 1000;
    var key = el.getAttribute('data-duration-key');
    el.textContent = key ? t(key, { time: formatDuration(s) }) : formatDuration(s);
    el.setAttribute('data-seconds', String(Math.floor(s)));
  }
  setInterval(function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-duration-base]'), renderDuration);
  }, 1000);

  function newClientId() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var x = Array.prototype.map.call(b, function (n) { return (n + 0x100).toString(16).slice(1); }).join('');
    return x.slice(0, 8) + '-' + x.slice(8, 12) + '-' + x.slice(12, 16) + '-' + x.slice(16, 20) + '-' + x.slice(20);
  }

  /** A string usable inside an id attribute. */
  function domId(s) { return String(s).replace(/[^A-Za-z0-9_-]/g, '_'); }

  /** A label from a known key (translated, kept in sync) or else the raw value as text. */
  function labelEl(tag, prefix, value, attrs) {
    var el = h(tag, attrs || {});
    if (value !== null && value !== undefined && has(prefix + value)) tx(el, prefix + value);
    else el.textContent = value === null || value === undefined || value === '' ? '—' : String(value);
    return el;
  }

  function staffName(x) {
    if (!x) return '';
    if (typeof x === 'string') return x;
    return String(x.name || '');
  }
  function staffDisplay(x) {
    if (!x) return '';
    if (typeof x === 'string') return x;
    return String(x.display_name || x.name || '');
  }

  function queueArgs(skill, language) {
    return {
      skill: has('skill_' + skill) ? t('skill_' + skill) : String(skill || '—'),
      language: has('lang_' + language) ? t('lang_' + language) : String(language || '—'),
    };
  }
  /** "综合业务 · 中文", following the language switch. */
  function queueNameEl(tag, skill, language, attrs) {
    var el = h(tag, attrs || {});
    el.setAttribute('data-queue-skill', String(skill || ''));
    el.setAttribute('data-queue-language', String(language || ''));
    el.textContent = t('queue_name', queueArgs(skill, language));
    return el;
  }

  // ---------------------------------------------------------------------------------------------
  // Language
  // ---------------------------------------------------------------------------------------------
  var languageHooks = [];

  function applyLanguage() {
    document.documentElement.setAttribute('lang', lang === 'zh' ? 'zh-CN' : 'en');
    document.title = t('page_title_' + page);
    var nodes = document.querySelectorAll('[data-i18n],[data-i18n-aria-label],[data-i18n-placeholder],[data-i18n-title]');
    Array.prototype.forEach.call(nodes, function (n) {
      var args = argsOf(n);
      if (n.hasAttribute('data-i18n')) n.textContent = t(n.getAttribute('data-i18n'), args);
      if (n.hasAttribute('data-i18n-aria-label')) n.setAttribute('aria-label', t(n.getAttribute('data-i18n-aria-label'), args));
      if (n.hasAttribute('data-i18n-placeholder')) n.setAttribute('placeholder', t(n.getAttribute('data-i18n-placeholder'), args));
      if (n.hasAttribute('data-i18n-title')) n.setAttribute('title', t(n.getAttribute('data-i18n-title'), args));
    });
    Array.prototype.forEach.call(document.querySelectorAll('time[data-ts]'), function (n) {
      var ts = n.getAttribute('data-ts');
      n.textContent = n.getAttribute('data-kind') === 'clock' ? formatClock(ts) : formatTime(ts);
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-queue-skill]'), function (n) {
      n.textContent = t('queue_name', queueArgs(n.getAttribute('data-queue-skill'), n.getAttribute('data-queue-language')));
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-duration-base]'), renderDuration);
    Array.prototype.forEach.call(document.querySelectorAll('[data-testid="language-switch"] button'), function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-lang') === lang));
    });
    languageHooks.forEach(function (fn) { fn(); });
  }

  function setLanguage(next) {
    if ((next !== 'zh' && next !== 'en') || next === lang) return;
    lang = next;
    storageSet(LANG_KEY, lang);
    applyLanguage();
  }

  // ---------------------------------------------------------------------------------------------
  // Messages (one success line, one error line, both announced; a polite live region for events)
  // ---------------------------------------------------------------------------------------------
  var flashEl = $('flash');
  var alertEl = $('alert');
  var announceEl = $('announce');
  var flashTimer = null;

  function flash(key, args) {
    clearAlert();
    tx(flashEl, key, args);
    flashEl.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(clearFlash, 8000);
  }
  function clearFlash() { flashEl.hidden = true; flashEl.textContent = ''; flashEl.removeAttribute('data-i18n'); }
  function clearAlert() { alertEl.hidden = true; alertEl.textContent = ''; }

  function alertMessage(key, args, requestId) {
    clearFlash();
    alertEl.textContent = '';
    alertEl.appendChild(tx(h('span'), key, args));
    if (requestId) {
      alertEl.appendChild(document.createTextNode(' '));
      alertEl.appendChild(h('span', { class: 'req-id', i18n: 'request_id', args: { id: requestId } }));
    }
    alertEl.hidden = false;
  }

  /** The translated message for an error, for inline use: [key, args]. */
  function errorText(err) {
    if (!(err instanceof ApiError)) return ['err_generic', { message: String((err && err.message) || err) }];
    if (err.status === 0) return ['err_network', null];
    if (err.status === 403) return ['err_forbidden', null];
    return ['err_generic', { message: err.message || err.code || String(err.status) }];
  }

  function showError(err) {
    if (err && err.handled) return;
    if (!(err instanceof ApiError) && window.console) console.error(err); // a bug in this page
    var e = errorText(err);
    alertMessage(e[0], e[1], err instanceof ApiError ? err.requestId : null);
  }

  function announce(key, args) {
    if (!announceEl) return;
    announceEl.textContent = t(key, args);
  }

  // ---------------------------------------------------------------------------------------------
  // API (same-origin fetch with the session cookie)
  // ---------------------------------------------------------------------------------------------
  function ApiError(status, body, retryAfter) {
    body = body && typeof body === 'object' ? body : {};
    this.status = status;
    this.code = typeof body.code === 'string' ? body.code : '';
    this.message = typeof body.message === 'string' ? body.message : '';
    this.requestId = typeof body.request_id === 'string' ? body.request_id : '';
    this.retryAfterS = Number(body.retry_after_s) || Number(retryAfter) || 0;
    this.body = body;
    this.handled = false;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  function query(params) {
    var q = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) {
      var v = params[k];
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    });
    var s = q.toString();
    return s ? '?' + s : '';
  }

  /**
   * Calls the API. opts: json (a body sent as JSON), params (query), quiet401 (a 401 is the caller's
   * business: sign-in and the session check). Resolves with the parsed JSON; rejects with an ApiError
   * (status 0 when the network failed). Any other 401 means the session ended: the page returns to sign-in.
   */
  async function api(method, path, opts) {
    opts = opts || {};
    var headers = { Accept: 'application/json' };
    var body;
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    }
    var res;
    try {
      res = await fetch(API + path + query(opts.params), {
        method: method, headers: headers, body: body, cache: 'no-store', credentials: 'same-origin',
      });
    } catch (e) {
      throw new ApiError(0, { code: 'network', message: String(e) });
    }
    var text = await res.text();
    var data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
    if (!res.ok) {
      var err = new ApiError(res.status, data, res.headers.get('Retry-After'));
      if (res.status === 401 && !opts.quiet401) {
        sessionLost();
        err.handled = true;
      }
      throw err;
    }
    return data;
  }

  function chatPath(id) { return '/desk/chats/' + encodeURIComponent(id); }

  // ---------------------------------------------------------------------------------------------
  // Sign-in, session and the page's views (loading, signin, app)
  // ---------------------------------------------------------------------------------------------
  var app = null; // {roles, start(staff), stop(), onFrame(frame), onSocketOpen()}
  var session = { staff: null };
  // Parts of a page kept in files of their own (the console's tickets.js): {start(staff), stop(), onFrame(f)},
  // started and stopped with the page and given every frame after it.
  var modules = [];

  /** Adds a module; one added after sign-in starts at once. */
  function addModule(m) {
    modules.push(m);
    if (session.staff && m.start) m.start(session.staff);
  }

  function showView(name) {
    ['loading', 'signin', 'app'].forEach(function (v) { $('view-' + v).hidden = v !== name; });
    var signedIn = name === 'app';
    $('sign-out').hidden = !signedIn;
    $('who').hidden = !signedIn;
    $('conn').hidden = !signedIn;
    Array.prototype.forEach.call(document.querySelectorAll('[data-signed-in]'), function (el) { el.hidden = !signedIn; });
  }

  function showSignin(messageKey, args) {
    var err = $('signin-error');
    if (messageKey) {
      tx(err, messageKey, args);
      err.hidden = false;
    } else {
      err.hidden = true;
      err.textContent = '';
    }
    showView('signin');
    var name = $('signin-name');
    if (name.value) $('signin-password').focus();
    else name.focus();
  }

  function enter(staff) {
    if (!staff || typeof staff !== 'object') staff = {};
    if (app.roles.indexOf(staff.role) < 0) {
      var role = has('staff_role_' + staff.role) ? t('staff_role_' + staff.role) : String(staff.role || '—');
      showSignin(page === 'supervisor' ? 'err_role_supervisor' : 'err_role_console', { role: role });
      return;
    }
    session.staff = staff;
    var who = $('who');
    who.textContent = '';
    who.appendChild(h('span', { 'data-testid': 'staff-name', text: staffDisplay(staff) || staffName(staff) }));
    who.appendChild(h('span', { class: 'who-role', i18n: has('staff_role_' + staff.role) ? 'staff_role_' + staff.role : null, text: has('staff_role_' + staff.role) ? null : String(staff.role || '') }));
    noteStaff(staff.name, staff.display_name);
    showView('app');
    $('main').focus({ preventScroll: true });
    app.start(staff);
    modules.forEach(function (m) { if (m.start) m.start(staff); });
    connectSocket();
  }

  function leave() {
    closeSocket();
    if (session.staff && app) {
      app.stop();
      modules.forEach(function (m) { if (m.stop) m.stop(); });
    }
    session.staff = null;
  }

  /** The session ended under us (a 401 from any call): back to sign-in with a message. */
  function sessionLost() {
    if (!session.staff) return;
    leave();
    showSignin('err_session');
  }

  async function checkSession() {
    showView('loading');
    try {
      var me = await api('GET', '/auth/me', { quiet401: true });
      enter(me && me.staff);
    } catch (err) {
      if (err.status === 401) showSignin();
      else if (err.status === 0) showSignin('err_network');
      else {
        showSignin();
        showError(err);
      }
    }
  }

  $('signin-form').addEventListener('submit', async function (e) {
    e.preventDefault();
    var name = $('signin-name').value.trim();
    var password = $('signin-password').value;
    var button = $('signin-submit');
    clearAlert();
    if (!name || !password) {
      showSignin('signin_missing');
      $('signin-name').setAttribute('aria-invalid', String(!name));
      $('signin-password').setAttribute('aria-invalid', String(!password));
      (name ? $('signin-password') : $('signin-name')).focus();
      return;
    }
    $('signin-name').removeAttribute('aria-invalid');
    $('signin-password').removeAttribute('aria-invalid');
    button.disabled = true;
    tx(button, 'signing_in');
    try {
      var res = await api('POST', '/auth/login', { json: { name: name, password: password }, quiet401: true });
      // The response also carries the token for API clients; this page relies on the HttpOnly cookie only.
      $('signin-password').value = '';
      $('signin-error').hidden = true;
      enter(res && res.staff);
    } catch (err) {
      $('signin-password').value = '';
      if (err.status === 401) showSignin('err_credentials');
      else if (err.status === 423) showSignin('err_locked', { min: Math.max(1, Math.ceil((err.retryAfterS || 900) / 60)) });
      else if (err.status === 0) showSignin('err_network');
      else {
        var m = errorText(err);
        showSignin(m[0], m[1]);
      }
    } finally {
      button.disabled = false;
      tx(button, 'sign_in');
    }
  });

  $('sign-out').addEventListener('click', async function () {
    try {
      await api('POST', '/auth/logout', { quiet401: true });
    } catch (err) {
      if (err.status !== 401) { showError(err); return; }
    }
    leave();
    clearAlert();
    showSignin();
    flash('signed_out');
  });

  // ---------------------------------------------------------------------------------------------
  // Desk WebSocket: reconnects with back-off; a close before `hello` re-checks the session first
  // (an upgrade without a valid cookie is refused with 401, which a browser only sees as a close).
  // ---------------------------------------------------------------------------------------------
  var sock = { ws: null, wanted: false, attempt: 0, timer: null, greeted: false, state: 'idle', heartbeat: null, lastFrame: 0 };
  var HEARTBEAT_MS = 25000;
  var SILENT_LIMIT_MS = 60000; // no frame at all (not even a pong) for this long: the connection is dead

  function startHeartbeat(ws) {
    clearInterval(sock.heartbeat);
    sock.heartbeat = setInterval(function () {
      if (sock.ws !== ws) return;
      if (Date.now() - sock.lastFrame > SILENT_LIMIT_MS) {
        try { ws.close(); } catch (e) { /* onclose reconnects */ }
        return;
      }
      sendFrame({ type: 'ping' });
    }, HEARTBEAT_MS);
  }

  function setConn(state) {
    sock.state = state;
    var el = $('conn');
    el.setAttribute('data-state', state);
    tx(el.querySelector('.conn-text'), 'conn_' + (state === 'idle' ? 'connecting' : state));
  }

  function connectSocket() {
    sock.wanted = true;
    if (sock.ws) return;
    clearTimeout(sock.timer);
    sock.timer = null;
    setConn(sock.attempt ? 'reconnecting' : 'connecting');
    var url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + API + '/desk/ws';
    var ws;
    try {
      ws = new WebSocket(url);
    } catch (e) {
      scheduleReconnect(false);
      return;
    }
    sock.ws = ws;
    sock.greeted = false;
    ws.onmessage = function (ev) {
      if (sock.ws !== ws) return;
      var frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      if (!frame || typeof frame !== 'object') return;
      sock.lastFrame = Date.now();
      if (frame.type === 'hello') {
        sock.greeted = true;
        sock.attempt = 0;
        setConn('online');
        startHeartbeat(ws);
      }
      if (frame.type === 'error' && !sock.greeted && frame.code === 'unauthorized') {
        sessionLost(); // the socket refused the session before greeting
        return;
      }
      if (app && session.staff) {
        app.onFrame(frame);
        modules.forEach(function (m) { if (m.onFrame && session.staff) m.onFrame(frame); });
      }
    };
    ws.onclose = function () {
      if (sock.ws !== ws) return;
      sock.ws = null;
      clearInterval(sock.heartbeat);
      if (sock.wanted) scheduleReconnect(!sock.greeted);
    };
    ws.onerror = function () { /* a close event follows */ };
  }

  function scheduleReconnect(checkFirst) {
    if (!sock.wanted || sock.timer) return;
    setConn('reconnecting');
    var ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, sock.attempt));
    var delay = ceiling / 2 + Math.random() * (ceiling / 2); // "equal jitter", as the widget
    sock.attempt += 1;
    sock.timer = setTimeout(async function () {
      sock.timer = null;
      if (!sock.wanted) return;
      if (checkFirst) {
        try {
          await api('GET', '/auth/me'); // a 401 ends the session (sessionLost)
        } catch (err) {
          if (err.handled) return;
        }
        if (!sock.wanted) return;
      }
      connectSocket();
    }, delay);
  }

  function closeSocket() {
    sock.wanted = false;
    clearInterval(sock.heartbeat);
    clearTimeout(sock.timer);
    sock.timer = null;
    var ws = sock.ws;
    sock.ws = null;
    sock.attempt = 0;
    if (ws) {
      try { ws.close(); } catch (e) { /* ignore */ }
    }
    setConn('idle');
  }

  function sendFrame(frame) {
    var ws = sock.ws;
    if (!ws || ws.readyState !== 1) return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch (e) {
      return false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Transcript: messages keyed by id, ordered by seq; agent replies shown as pending until stored.
  // ---------------------------------------------------------------------------------------------
  function renderText(role, text) {
    var box = h('div', { class: 'msg-text', 'data-testid': 'message-text' });
    var md = window.KefuWidget && typeof window.KefuWidget.renderMarkdown === 'function' ? window.KefuWidget.renderMarkdown : null;
    // Bot and agent text may use the answer Markdown subset; the renderer builds nodes, never parses HTML.
    // Customer and system text is shown exactly as typed.
    if (md && (role === 'bot' || role === 'agent')) {
      box.classList.add('md');
      box.appendChild(md(text));
    } else {
      box.textContent = text;
    }
    return box;
  }

  function Transcript(opts) {
    this.opts = opts || {};
    this.byId = new Map();
    this.pending = new Map(); // client_message_id -> row
    this.el = h('div', { class: 'transcript', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'data-testid': 'transcript' });
    this.el.setAttribute('aria-label', t('transcript'));
    this.el.setAttribute('data-i18n-aria-label', 'transcript');
  }

  Transcript.prototype.row = function (role, text, who) {
    var row = h('div', { class: 'msg ' + role, 'data-testid': 'message', 'data-role': role });
    var head = h('div', { class: 'msg-head' });
    var whoEl = h('span', { class: 'who', 'data-testid': 'message-who' });
    if (who) whoEl.textContent = who;
    else tx(whoEl, 'role_' + role);
    head.appendChild(whoEl);
    head.appendChild(h('span', { class: 'msg-meta' }));
    row.appendChild(head);
    row.appendChild(renderText(role, text));
    return row;
  };

  Transcript.prototype.setMeta = function (row, createdAt, key, retry) {
    var meta = row.querySelector('.msg-meta');
    meta.textContent = '';
    if (createdAt) meta.appendChild(timeEl(createdAt, 'clock'));
    if (key) meta.appendChild(h('span', { class: 'state', i18n: key }));
    if (retry) {
      var b = h('button', { type: 'button', class: 'link', 'data-testid': 'retry', i18n: 'retry' });
      b.addEventListener('click', retry);
      meta.appendChild(b);
    }
  };

  Transcript.prototype.insert = function (row, seq) {
    var children = this.el.children;
    var before = null;
    for (var i = children.length - 1; i >= 0; i--) {
      var s = children[i].getAttribute('data-seq');
      if (s !== null && Number(s) < seq) break;
      before = children[i];
    }
    this.el.insertBefore(row, before);
  };

  Transcript.prototype.nearBottom = function () {
    var sc = this.opts.scroller ? this.opts.scroller() : null;
    return !sc || sc.scrollHeight - sc.scrollTop - sc.clientHeight < 80;
  };
  Transcript.prototype.toBottom = function () {
    var sc = this.opts.scroller ? this.opts.scroller() : null;
    if (sc) sc.scrollTop = sc.scrollHeight;
  };

  /** Adds a stored message unless it is already shown; returns true when it was new. */
  Transcript.prototype.upsert = function (m) {
    if (!m || typeof m !== 'object' || typeof m.id !== 'string') return false;
    if (this.byId.has(m.id)) return false;
    var role = ['customer', 'bot', 'agent', 'system'].indexOf(m.role) >= 0 ? m.role : 'system';
    var text = typeof m.text === 'string' ? m.text : '';
    var stick = this.nearBottom();
    var row;
    var cid = typeof m.client_message_id === 'string' ? m.client_message_id : null;
    // The server may store an agent reply's id with a prefix of its own ("agent:<id>").
    if (cid && !this.pending.has(cid) && this.pending.has(cid.slice(cid.lastIndexOf(':') + 1))) cid = cid.slice(cid.lastIndexOf(':') + 1);
    if (cid && this.pending.has(cid)) {
      // The stored message replaces the pending row (its text is the server's, e.g. a filled canned reply).
      this.pending.get(cid).remove();
      this.pending.delete(cid);
    }
    row = this.row(role, text, role === 'agent' ? staffDisplay(m.agent) : '');
    row.setAttribute('data-id', m.id);
    if (typeof m.seq === 'number') row.setAttribute('data-seq', String(m.seq));
    if (cid) row.setAttribute('data-client-id', cid);
    this.setMeta(row, m.created_at, null, null);
    this.insert(row, typeof m.seq === 'number' ? m.seq : Infinity);
    this.byId.set(m.id, row);
    if (stick || (role === 'agent' && this.opts.mine)) this.toBottom();
    return true;
  };

  Transcript.prototype.addPending = function (clientId, text, who) {
    var row = this.row('agent', text, who);
    row.classList.add('pending');
    row.setAttribute('data-pending', 'true');
    row.setAttribute('data-client-id', clientId);
    this.setMeta(row, null, 'sending', null);
    this.el.appendChild(row);
    this.pending.set(clientId, row);
    this.toBottom();
  };

  /** The server stored the reply: the pending row becomes the message (or goes, if the socket was first). */
  Transcript.prototype.resolvePending = function (clientId, message) {
    var row = this.pending.get(clientId);
    if (message && typeof message.id === 'string') {
      if (this.byId.has(message.id)) {
        // The socket delivered it first.
        if (row) row.remove();
        this.pending.delete(clientId);
        return;
      }
      this.upsert(Object.assign({}, message, { client_message_id: clientId }));
      return;
    }
    if (row) {
      this.pending.delete(clientId);
      row.classList.remove('pending');
      row.removeAttribute('data-pending');
      this.setMeta(row, new Date().toISOString(), null, null);
    }
  };

  Transcript.prototype.markFailed = function (clientId, retry) {
    var row = this.pending.get(clientId);
    if (!row) return;
    row.classList.remove('pending');
    row.classList.add('failed');
    row.removeAttribute('data-pending');
    row.setAttribute('data-failed', 'true');
    this.setMeta(row, null, 'send_failed', retry);
  };

  Transcript.prototype.markSending = function (clientId) {
    var row = this.pending.get(clientId);
    if (!row) return;
    row.classList.remove('failed');
    row.classList.add('pending');
    row.setAttribute('data-pending', 'true');
    row.removeAttribute('data-failed');
    this.setMeta(row, null, 'sending', null);
  };

  // ---------------------------------------------------------------------------------------------
  // Customer panel, from GET /desk/chats/{id} -> context
  // ---------------------------------------------------------------------------------------------
  function section(titleKey, testid, children, extraClass) {
    return h('section', { class: 'ctx-sec' + (extraClass ? ' ' + extraClass : ''), 'data-testid': testid }, [
      h('h3', { i18n: titleKey }),
    ].concat(children));
  }

  function dl(rows) {
    return h('dl', { class: 'kv' }, rows.filter(Boolean).map(function (r) {
      return h('div', null, [h('dt', { i18n: r[0] }), h('dd', { 'data-testid': r[2] || null }, [r[1]])]);
    }));
  }

  /** A sentiment number in [-1, 1] (or an object with score/label/anger) as {score, label}. */
  function sentimentOf(s) {
    if (s === null || s === undefined) return null;
    var score = typeof s === 'number' ? s : Number(s.score !== undefined ? s.score : s.value);
    var label = s && typeof s === 'object' && typeof s.label === 'string' ? s.label : null;
    var angry = s && typeof s === 'object' && (s.anger === true || Number(s.anger) >= 0.5);
    if (isNaN(score) && !label) return null;
    if (isNaN(score)) score = label === 'negative' ? -0.5 : label === 'positive' ? 0.5 : 0;
    if (!label) label = score <= -0.25 ? 'negative' : score >= 0.25 ? 'positive' : 'neutral';
    if (angry) label = 'angry';
    return { score: Math.max(-1, Math.min(1, score)), label: label };
  }

  function sentimentTrend(values) {
    var list = (Array.isArray(values) ? values : []).map(sentimentOf).filter(Boolean).slice(-20);
    var box = h('div', { class: 'trend', 'data-testid': 'sentiment-trend', 'data-count': String(list.length) });
    if (!list.length) {
      box.appendChild(h('p', { class: 'muted', i18n: 'no_sentiment' }));
      return box;
    }
    var last = list[list.length - 1];
    var bars = h('div', { class: 'bars', 'aria-hidden': 'true' });
    list.forEach(function (s) {
      // Height from -1 (lowest) to 1 (highest); the colour says which side of neutral it is.
      var bar = h('span', {
        class: 'bar ' + (s.label === 'angry' || s.score <= -0.25 ? 'neg' : s.score >= 0.25 ? 'pos' : 'neu'),
        'data-testid': 'sentiment-bar', 'data-score': s.score.toFixed(2),
      });
      bar.style.height = Math.round(3 + ((s.score + 1) / 2) * 25) + 'px';
      bars.appendChild(bar);
    });
    box.appendChild(bars);
    var summary = h('p', { class: 'trend-summary ' + last.label, 'data-testid': 'sentiment-latest', 'data-label': last.label });
    var labelKey = has('sent_' + last.label) ? 'sent_' + last.label : 'sent_neutral';
    summary.setAttribute('data-i18n', 'sentiment_summary');
    summary.setAttribute('data-i18n-args', JSON.stringify({ n: list.length, label: t(labelKey) }));
    summary.textContent = t('sentiment_summary', { n: list.length, label: t(labelKey) });
    // The label inside the args must follow the language too: redrawn by the panel's language hook.
    summary.setAttribute('data-label-key', labelKey);
    box.appendChild(summary);
    return box;
  }
  languageHooks.push(function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-label-key]'), function (el) {
      var args = argsOf(el) || {};
      args.label = t(el.getAttribute('data-label-key'));
      el.setAttribute('data-i18n-args', JSON.stringify(args));
      el.textContent = t(el.getAttribute('data-i18n'), args);
    });
  });

  function entityText(e) {
    if (e === null || e === undefined) return '';
    if (typeof e !== 'object') return String(e);
    var type = e.type || e.entity || e.name || '';
    // The text as the customer wrote it (masked by the server) before the normalised value.
    var value = e.masked !== undefined ? e.masked : e.text !== undefined ? e.text : e.value !== undefined ? e.value : '';
    if (value && typeof value === 'object') value = JSON.stringify(value);
    return type ? type + ': ' + value : String(value);
  }

  function understandingList(transcript) {
    var items = (Array.isArray(transcript) ? transcript : []).filter(function (m) { return m && m.role === 'customer'; });
    if (!items.length) return h('p', { class: 'muted', i18n: 'no_understanding' });
    var list = h('ol', { class: 'nlu' });
    items.slice(-12).forEach(function (m) {
      var u = m.understanding || {};
      var li = h('li', { 'data-testid': 'understanding-item', 'data-message-id': m.id || null });
      li.appendChild(h('p', { class: 'nlu-text', text: String(m.text || '') }));
      var facts = h('p', { class: 'nlu-facts' });
      if (u.intent) {
        var pct = typeof u.confidence === 'number' ? Math.round(u.confidence * 100) : null;
        facts.appendChild(h('span', {
          class: 'chip intent', 'data-testid': 'intent', 'data-intent': String(u.intent),
          text: pct === null ? String(u.intent) : t('intent_conf', { intent: String(u.intent), pct: pct }),
        }));
      } else {
        facts.appendChild(h('span', { class: 'chip muted', i18n: 'no_intent' }));
      }
      var s = sentimentOf(u.sentiment);
      if (s) {
        facts.appendChild(h('span', { class: 'chip sent ' + s.label, 'data-testid': 'message-sentiment', i18n: has('sent_' + s.label) ? 'sent_' + s.label : 'sent_neutral' }));
      }
      li.appendChild(facts);
      var entities = Array.isArray(u.entities) ? u.entities : [];
      if (entities.length) {
        li.appendChild(h('p', { class: 'nlu-entities' }, [
          h('span', { class: 'sr-only', i18n: 'entities' }),
        ].concat(entities.map(function (e) { return h('span', { class: 'chip entity', 'data-testid': 'entity', text: entityText(e) }); }))));
      }
      list.appendChild(li);
    });
    return list;
  }

  function verificationBlock(v) {
    v = v || {};
    var ok = v.verified === true;
    var box = h('div', { class: 'verify ' + (ok ? 'ok' : 'no'), 'data-testid': 'verification', 'data-verified': String(ok) }, [
      h('span', { class: 'badge ' + (ok ? 'ok' : 'warn'), 'data-testid': 'verification-state', i18n: ok ? 'verified' : 'not_verified' }),
    ]);
    if (ok && v.method) {
      var method = h('span', { class: 'muted' });
      method.setAttribute('data-i18n', 'verified_via');
      var m = has('method_' + v.method) ? t('method_' + v.method) : String(v.method);
      method.setAttribute('data-i18n-args', JSON.stringify({ method: m }));
      method.textContent = t('verified_via', { method: m });
      box.appendChild(method);
    }
    if (v.customer_ref) {
      box.appendChild(h('span', { class: 'muted' }, [h('span', { i18n: 'customer_ref' }), ': ', h('code', { 'data-testid': 'customer-ref', text: String(v.customer_ref) })]));
    }
    return box;
  }

  function profileBlock(p) {
    if (!p || typeof p !== 'object') return h('p', { class: 'muted', 'data-testid': 'no-profile', i18n: 'no_profile' });
    var accounts = Array.isArray(p.accounts) ? p.accounts : [];
    var cards = Array.isArray(p.cards) ? p.cards : [];
    var seg = labelEl('span', 'seg_', p.segment, { class: 'seg ' + (p.segment === 'private' ? 'vip' : ''), 'data-testid': 'segment', 'data-segment': p.segment || null });
    return h('div', { 'data-testid': 'profile' }, [
      dl([
        ['p_name', h('span', { 'data-testid': 'profile-name', text: String(p.name || '—') })],
        ['p_segment', seg],
        p.risk_level ? ['p_risk', h('span', { text: String(p.risk_level) })] : null,
      ]),
      accounts.length ? h('div', { class: 'sub' }, [
        h('h4', { i18n: 'p_accounts' }),
        h('ul', { class: 'plain', 'data-testid': 'accounts' }, accounts.map(function (a) {
          return h('li', { 'data-testid': 'account' }, [
            labelEl('span', 'acct_', a.type), ' ',
            h('span', { class: 'muted', text: String(a.currency || '') }), ' ',
            h('code', { text: String(a.masked || '') }),
          ]);
        })),
      ]) : null,
      cards.length ? h('div', { class: 'sub' }, [
        h('h4', { i18n: 'p_cards' }),
        h('ul', { class: 'plain', 'data-testid': 'cards' }, cards.map(function (c) {
          var status = String(c.status || '');
          return h('li', { 'data-testid': 'card', 'data-status': status }, [
            labelEl('span', 'card_', c.product || c.kind), ' ',
            h('code', { text: '•••• ' + String(c.last4 || '') }), ' ',
            labelEl('span', 'card_', status, { class: 'badge ' + (status === 'active' ? 'ok' : 'warn') }),
          ]);
        })),
      ]) : null,
    ]);
  }

  function notesList(notes) {
    var list = (Array.isArray(notes) ? notes : []);
    if (!list.length) return h('p', { class: 'muted', 'data-testid': 'no-notes', i18n: 'no_notes' });
    return h('ul', { class: 'notes' }, list.map(function (n) {
      var by = h('span', { class: 'note-by' });
      by.appendChild(h('span', { class: 'tag internal', i18n: 'internal' }));
      by.appendChild(document.createTextNode(' ' + staffDisplay(n.author) + ' · '));
      by.appendChild(timeEl(n.created_at));
      return h('li', { class: 'note', 'data-testid': 'note' }, [by, h('p', { class: 'note-text', 'data-testid': 'note-text', text: String(n.text || '') })]);
    }));
  }

  /**
   * The customer panel of one chat. Returns {el, update(detail)}; the notes form (when onAddNote is given)
   * is built once, so a refresh never loses a note being typed.
   */
  function CustomerPanel(opts) {
    opts = opts || {};
    var body = h('div', { class: 'ctx-body' });
    var notesBox = h('div', { class: 'notes-box' });
    var notesSec = section('notes', 'notes', [h('p', { class: 'hint', i18n: 'notes_hint' }), notesBox], 'internal-sec');
    var el = h('div', { class: 'ctx', 'data-testid': 'customer-panel' }, [body, notesSec]);
    var lastNotes = [];
    var lastDetail = null;
    if (opts.onAddNote) {
      var uid = 'note-' + domId(opts.id || Math.random().toString(36).slice(2));
      var input = h('textarea', { id: uid, rows: '2', maxlength: '2000', 'data-testid': 'note-input' });
      var err = h('p', { class: 'field-error', role: 'alert', hidden: true });
      var add = h('button', { type: 'submit', class: 'button small', 'data-testid': 'note-add', i18n: 'note_add' });
      var form = h('form', { class: 'note-form', novalidate: true }, [
        h('label', { for: uid, i18n: 'note_label' }), input, err, h('div', { class: 'actions' }, [add]),
      ]);
      form.addEventListener('submit', async function (e) {
        e.preventDefault();
        var text = input.value.trim();
        err.hidden = true;
        if (!text) {
          tx(err, 'note_empty');
          err.hidden = false;
          input.focus();
          return;
        }
        add.disabled = true;
        try {
          var note = await opts.onAddNote(text);
          input.value = '';
          lastNotes = lastNotes.concat([note]);
          if (lastDetail) {
            lastDetail.context = lastDetail.context || {};
            lastDetail.context.notes = lastNotes;
          }
          notesBox.textContent = '';
          notesBox.appendChild(notesList(lastNotes));
        } catch (ex) {
          if (!ex || !ex.handled) {
            var m = errorText(ex);
            tx(err, m[0], m[1]);
            err.hidden = false;
          }
        } finally {
          add.disabled = false;
        }
      });
      notesSec.appendChild(form);
    }

    function update(detail) {
      lastDetail = detail || {};
      var ctx = lastDetail.context || {};
      body.textContent = '';
      body.appendChild(section('verification', 'verification-sec', [verificationBlock(ctx.verification)]));
      body.appendChild(section('profile', 'profile-sec', [profileBlock(ctx.profile)]));
      body.appendChild(section('sentiment', 'sentiment-sec', [sentimentTrend(ctx.sentiment_trend)]));
      var flow = ctx.flow && ctx.flow.name ? h('p', { 'data-testid': 'flow', 'data-flow': String(ctx.flow.name) }) : h('p', { class: 'muted', 'data-testid': 'flow', i18n: 'none' });
      if (ctx.flow && ctx.flow.name) {
        if (ctx.flow.step !== undefined && ctx.flow.step !== null && ctx.flow.step !== '') {
          flow.textContent = t('flow_step', { name: String(ctx.flow.name), step: String(ctx.flow.step) });
          flow.setAttribute('data-i18n', 'flow_step');
          flow.setAttribute('data-i18n-args', JSON.stringify({ name: String(ctx.flow.name), step: String(ctx.flow.step) }));
        } else flow.textContent = String(ctx.flow.name);
      }
      body.appendChild(section('flow', 'flow-sec', [flow]));
      var summary = Array.isArray(ctx.summary) ? ctx.summary : [];
      body.appendChild(section('summary', 'summary-sec', [summary.length
        ? h('ul', { class: 'bot-summary', 'data-testid': 'summary' }, summary.map(function (line) { return h('li', { text: String(line) }); }))
        : h('p', { class: 'muted', 'data-testid': 'summary', i18n: 'none' })]));
      body.appendChild(section('understanding', 'understanding', [understandingList(ctx.transcript)]));
      lastNotes = Array.isArray(ctx.notes) ? ctx.notes.slice() : [];
      notesBox.textContent = '';
      notesBox.appendChild(notesList(lastNotes));
    }

    /** Draws the last detail again (after a language switch: some labels are built from translated parts). */
    function rerender() { if (lastDetail) update(lastDetail); }

    return { el: el, update: update, rerender: rerender };
  }

  // ---------------------------------------------------------------------------------------------
  // Staff names and tickets (shared by the console's tickets view and the supervisor's breach panel)
  // ---------------------------------------------------------------------------------------------
  var staffDisplayNames = {}; // staff name -> display name, from /auth/me, /desk/agents and the overview

  function noteStaff(name, display) {
    if (name && display) staffDisplayNames[String(name)] = String(display);
  }
  /** A staff member as people call them (the display name when known); 'kefu' is the system itself. */
  function staffLabelEl(name, attrs) {
    var el = h('span', attrs || {});
    if (!name) tx(el, 'tk_unassigned');
    else if (name === 'kefu') tx(el, 'tk_system');
    else el.textContent = staffDisplayNames[name] || String(name);
    if (name) el.setAttribute('data-name', String(name));
    return el;
  }

  var TICKET_ACTIVE = ['new', 'open', 'pending'];

  /**
   * True when the ticket is past its SLA: flagged by the server's check (breached), or still unsolved with its
   * due time gone (the check runs every desk.sla_check_interval_ms and may not have seen it yet).
   */
  function ticketOverdue(tk) {
    if (!tk) return false;
    if (tk.breached === true || tk.breached_at) return true;
    var due = toDate(tk.due_at);
    return TICKET_ACTIVE.indexOf(tk.status) >= 0 && !!due && due.getTime() <= Date.now();
  }

  /** The breach flag: a red badge with a mark and the word, never colour alone; null when on time. */
  function ticketFlagEl(tk) {
    if (!ticketOverdue(tk)) return null;
    var el = h('span', { class: 'badge breach', 'data-testid': 'ticket-breached' }, [
      h('span', { class: 'breach-mark', 'aria-hidden': 'true', text: '!' }), h('span', { i18n: 'tk_breached' }),
    ]);
    txAttr(el, 'title', 'tk_breached_title');
    return el;
  }

  function ticketStatusEl(status, attrs) {
    var a = Object.assign({ class: 'badge tk-s tk-s-' + domId(status || 'other'), 'data-status': status || null }, attrs || {});
    return labelEl('span', 'tk_status_', status, a);
  }
  function ticketPriorityEl(priority, attrs) {
    var a = Object.assign({ class: 'badge tk-p tk-p-' + domId(priority || 'normal'), 'data-priority': priority || null }, attrs || {});
    return labelEl('span', 'tk_prio_', priority, a);
  }

  // ---------------------------------------------------------------------------------------------
  // Start-up of the shared part
  // ---------------------------------------------------------------------------------------------
  Array.prototype.forEach.call(document.querySelectorAll('[data-testid="language-switch"] button'), function (b) {
    b.addEventListener('click', function () { setLanguage(b.getAttribute('data-lang')); });
  });
  window.addEventListener('storage', function (e) {
    if (e.key === LANG_KEY && (e.newValue === 'zh' || e.newValue === 'en') && e.newValue !== lang) {
      lang = e.newValue;
      applyLanguage();
    }
  });

  /** Starts a page: app = {roles, start(staff), stop(), onFrame(frame)}. */
  function boot(a) {
    app = a;
    applyLanguage();
    checkSession();
  }

  window.KefuDesk = {
    t: t, has: has, addStrings: addStrings, h: h, tx: tx, $: $, timeEl: timeEl, durationEl: durationEl,
    formatDuration: formatDuration, labelEl: labelEl, queueNameEl: queueNameEl, staffName: staffName,
    staffDisplay: staffDisplay, domId: domId, api: api, chatPath: chatPath, ApiError: ApiError, showError: showError,
    errorText: errorText, flash: flash, alertMessage: alertMessage, clearAlert: clearAlert, announce: announce,
    sendFrame: sendFrame, Transcript: Transcript, CustomerPanel: CustomerPanel, applyLanguage: applyLanguage,
    onLanguage: function (fn) { languageHooks.push(fn); }, session: session, boot: boot,
    lang: function () { return lang; }, txAttr: txAttr, toDate: toDate, formatTime: formatTime, addModule: addModule,
    noteStaff: noteStaff, staffLabelEl: staffLabelEl, ticketOverdue: ticketOverdue, ticketFlagEl: ticketFlagEl,
    ticketStatusEl: ticketStatusEl, ticketPriorityEl: ticketPriorityEl, TICKET_ACTIVE: TICKET_ACTIVE,
  };

  if (page !== 'console') return;

  // =============================================================================================
  // The agent console
  // =============================================================================================
  var views = new Map(); // chat id -> chat view
  var order = []; // chat ids in tab order
  var activeId = null;
  var wrapUpCodes = [];
  var presence = null;
  var queueTimer = null;
  var lastQueues = null;

  var tabsEl = $('chat-tabs');
  var chatPanelsEl = $('chat-panels');
  var sidePanelsEl = $('customer-panels');

  // ---- chats | tickets -----------------------------------------------------------------------
  // The console has two views under one switch: the chats (queue, tabs, customer panel) and the tickets
  // (tickets.js, which registers window.KefuDesk.tickets). The chat workflow goes on while tickets are shown.
  var consoleView = 'chats';

  function showConsoleView(name) {
    if (name !== 'chats' && name !== 'tickets') return;
    if (name === 'tickets' && !window.KefuDesk.tickets) return;
    var changed = consoleView !== name;
    consoleView = name;
    $('desk-chats').hidden = name !== 'chats';
    $('desk-tickets').hidden = name !== 'tickets';
    $('view-app').setAttribute('data-console-view', name);
    Array.prototype.forEach.call(document.querySelectorAll('[data-console-view-button]'), function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-console-view-button') === name));
    });
    if (!changed) return;
    if (name === 'tickets') {
      window.KefuDesk.tickets.shown();
    } else if (activeId && views.get(activeId)) {
      // What came in for the chosen chat while the tickets were shown is read now.
      var v = views.get(activeId);
      v.unread = 0;
      renderUnread(v);
      renderChatsState();
      v.transcript.toBottom();
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll('[data-console-view-button]'), function (b) {
    b.addEventListener('click', function () { showConsoleView(b.getAttribute('data-console-view-button')); });
  });

  // ---- presence -----------------------------------------------------------------------------
  function renderPresence() {
    Array.prototype.forEach.call(document.querySelectorAll('#presence button'), function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-presence') === presence));
    });
    $('presence').setAttribute('data-presence', presence || 'unknown');
  }

  Array.prototype.forEach.call(document.querySelectorAll('#presence button'), function (b) {
    b.addEventListener('click', async function () {
      var status = b.getAttribute('data-presence');
      if (status === presence) return;
      var buttons = document.querySelectorAll('#presence button');
      Array.prototype.forEach.call(buttons, function (x) { x.disabled = true; });
      try {
        var res = await api('PUT', '/desk/presence', { json: { status: status } });
        presence = (res && (res.status || res.presence)) || status;
        if (['online', 'away', 'offline'].indexOf(presence) < 0) presence = status;
        renderPresence();
        announce('presence_set', { status: t('presence_' + presence) });
      } catch (err) {
        showError(err);
      } finally {
        Array.prototype.forEach.call(buttons, function (x) { x.disabled = false; });
      }
    });
  });

  function adoptPresence(staff) {
    var p = staff && (staff.presence || staff.status);
    if (['online', 'away', 'offline'].indexOf(p) >= 0) {
      presence = p;
      renderPresence();
    }
  }

  // ---- queue --------------------------------------------------------------------------------
  function refreshQueueSoon() {
    clearTimeout(queueTimer);
    queueTimer = setTimeout(refreshQueue, 150);
  }

  async function refreshQueue() {
    try {
      var data = await api('GET', '/desk/queue');
      renderQueue(Array.isArray(data && data.queues) ? data.queues : []);
    } catch (err) {
      showError(err);
    }
  }

  function renderQueue(queues) {
    lastQueues = queues;
    var list = $('queue-list');
    var focused = document.activeElement && list.contains(document.activeElement) ? document.activeElement.getAttribute('data-chat-id') : null;
    list.textContent = '';
    var total = 0;
    queues.forEach(function (q) {
      var waiting = Array.isArray(q.waiting) ? q.waiting : [];
      if (!waiting.length) return;
      total += waiting.length;
      var name = t('queue_name', queueArgs(q.skill, q.language));
      var group = h('section', { class: 'queue-group', 'data-testid': 'queue-group', 'data-skill': q.skill || null, 'data-language': q.language || null }, [
        h('h3', null, [queueNameEl('span', q.skill, q.language), ' ', h('span', { class: 'count', i18n: 'waiting_count', args: { n: waiting.length } })]),
      ]);
      var ol = h('ol', { class: 'waiting' });
      waiting.forEach(function (w, i) {
        var pos = Number(w.position) || i + 1;
        var accept = h('button', {
          type: 'button', class: 'button small primary', 'data-testid': 'accept', 'data-chat-id': w.chat_id, i18n: 'accept',
          'aria-label-i18n': 'accept_label', args: { n: pos, queue: name },
        });
        accept.addEventListener('click', function () { acceptChat(w.chat_id, accept); });
        ol.appendChild(h('li', { class: 'waiting-item', 'data-testid': 'queue-item', 'data-chat-id': w.chat_id, 'data-conversation-id': w.conversation_id || null }, [
          h('div', { class: 'wi-main' }, [
            h('span', { class: 'pos', i18n: 'position', args: { n: pos } }),
            Number(w.priority) > 0 ? h('span', { class: 'badge ' + (Number(w.priority) >= 2 ? 'vip' : 'warn'), 'data-testid': 'priority', i18n: Number(w.priority) >= 2 ? 'prio_2' : 'prio_1' }) : null,
            durationEl(w.waited_s, 'waited', { class: 'waited', 'data-testid': 'waited' }),
          ]),
          accept,
        ]));
      });
      group.appendChild(ol);
      list.appendChild(group);
    });
    $('queue-count').textContent = total ? String(total) : '';
    $('queue-empty').hidden = total > 0;
    if (focused) {
      var again = list.querySelector('[data-testid="accept"][data-chat-id="' + CSS.escape(focused) + '"]');
      if (again) again.focus();
      else $('queue-title').focus();
    }
  }

  async function acceptChat(chatId, button) {
    button.disabled = true;
    clearAlert();
    try {
      var res = await api('POST', chatPath(chatId) + '/accept');
      var chat = (res && res.chat) || res || {};
      if (!chat.id) chat.id = chatId;
      openChat(chat, { select: true, focus: true });
    } catch (err) {
      if (err.status === 409) alertMessage('accept_taken', null, err.requestId);
      else showError(err);
    } finally {
      button.disabled = false;
      refreshQueueSoon();
    }
  }

  // ---- chats --------------------------------------------------------------------------------
  function me() { return session.staff || {}; }

  function chatLabelArgs(view) {
    var ctx = view.detail && view.detail.context;
    var name = ctx && ctx.profile && ctx.profile.name;
    if (name) return { key: null, text: String(name) };
    var conv = String(view.chat.conversation_id || view.id || '');
    return { key: 'visitor', args: { id: conv.slice(-4) } };
  }
  function chatLabel(view) {
    var l = chatLabelArgs(view);
    return l.key ? t(l.key, l.args) : l.text;
  }
  function setLabel(el, view) {
    var l = chatLabelArgs(view);
    if (l.key) tx(el, l.key, l.args);
    else {
      el.removeAttribute('data-i18n');
      el.removeAttribute('data-i18n-args');
      el.textContent = l.text;
    }
  }

  /** A chat this agent has (a chat without a status yet, e.g. an accept answer, counts until its detail says otherwise). */
  function isMine(chat) {
    return !!chat && (!chat.status || chat.status === 'assigned') && (!chat.agent || staffName(chat.agent) === me().name);
  }

  /** Opens (or updates) the tab of a chat assigned to this agent. */
  function openChat(chat, opts) {
    opts = opts || {};
    var view = views.get(chat.id);
    if (!view) {
      view = buildChatView(chat);
      views.set(chat.id, view);
      order.push(chat.id);
      tabsEl.appendChild(view.tab);
      chatPanelsEl.appendChild(view.panel);
      sidePanelsEl.appendChild(view.side);
      loadDetail(view);
      if (!opts.select && activeId) announce('new_chat', { name: chatLabel(view) });
    } else {
      Object.assign(view.chat, chat);
      if (view.closed && isMine(view.chat)) reopenView(view);
    }
    if (opts.select || !activeId) selectChat(chat.id, opts.focus);
    renderChatsState();
    return view;
  }

  function renderChatsState() {
    $('no-chats').hidden = views.size > 0;
    $('no-customer').hidden = !!activeId;
    var unread = 0;
    views.forEach(function (v) { unread += v.unread; });
    document.title = (unread ? '(' + unread + ') ' : '') + t('page_title_console');
    // The switch to the chats: how many are open, and how many customer messages are unread.
    var count = $('nav-chats-count');
    var open = 0;
    views.forEach(function (v) { if (!v.closed) open += 1; });
    count.textContent = open ? String(open) : '';
    if (open) txAttr(count, 'aria-label', 'nav_chats_count', { n: open });
    else count.removeAttribute('aria-label');
    var news = $('nav-chats-unread');
    news.hidden = !unread;
    if (unread) tx(news, 'tab_unread', { n: unread });
    else news.textContent = '';
  }

  function selectChat(id, focus) {
    activeId = id;
    views.forEach(function (v, key) {
      var on = key === id;
      v.tab.setAttribute('aria-selected', String(on));
      v.tab.tabIndex = on ? 0 : -1;
      v.panel.hidden = !on;
      v.side.hidden = !on;
      if (on) {
        v.unread = 0;
        renderUnread(v);
      }
    });
    renderChatsState();
    var v = views.get(id);
    if (v) {
      v.transcript.toBottom();
      if (focus) {
        if (!v.closed) v.input.focus();
        else v.tab.focus();
      }
    }
  }

  function removeChat(id) {
    var v = views.get(id);
    if (!v) return;
    if (v.typingTimer) clearTimeout(v.typingTimer);
    v.tab.remove();
    v.panel.remove();
    v.side.remove();
    views.delete(id);
    var i = order.indexOf(id);
    order.splice(i, 1);
    if (activeId === id) {
      activeId = null;
      var next = order[Math.min(i, order.length - 1)];
      if (next) selectChat(next, false);
    }
    renderChatsState();
  }

  function renderUnread(v) {
    v.unreadEl.hidden = v.unread <= 0;
    if (v.unread > 0) tx(v.unreadEl, 'tab_unread', { n: v.unread });
    else v.unreadEl.textContent = '';
  }

  function closedKeyFor(chat) {
    if (chat.status === 'ended') return ['chat_closed_ended', null];
    if (chat.status === 'returned' || chat.status === 'bot') return ['chat_closed_returned', null];
    if (chat.status === 'queued') return ['chat_closed_queued', null];
    if (chat.status === 'assigned' && chat.agent) return ['chat_closed_transferred', { agent: staffDisplay(chat.agent) }];
    return ['chat_closed_other', null];
  }

  /** The chat is no longer this agent's: keep the transcript readable, disable replying. */
  function markClosed(view) {
    var k = closedKeyFor(view.chat);
    view.closed = true;
    view.panel.setAttribute('data-closed', 'true');
    view.tab.setAttribute('data-closed', 'true');
    tx(view.closedText, k[0], k[1]);
    view.closedBox.hidden = false;
    view.form.hidden = true;
    view.actions.hidden = true;
    hideBoxes(view);
    view.typingEl.hidden = true;
  }
  function reopenView(view) {
    view.closed = false;
    view.panel.removeAttribute('data-closed');
    view.tab.removeAttribute('data-closed');
    view.closedBox.hidden = true;
    view.form.hidden = false;
    view.actions.hidden = false;
  }

  function applyChat(view, chat) {
    Object.assign(view.chat, chat || {});
    var c = view.chat;
    setLabel(view.tabName, view);
    setLabel(view.title, view);
    view.meta.textContent = '';
    view.meta.appendChild(queueNameEl('span', c.skill, c.language));
    if (c.reason) {
      view.meta.appendChild(document.createTextNode(' · '));
      view.meta.appendChild(labelEl('span', 'reason_', c.reason));
    }
    if (Number(c.priority) > 0) {
      view.meta.appendChild(document.createTextNode(' '));
      view.meta.appendChild(h('span', { class: 'badge ' + (Number(c.priority) >= 2 ? 'vip' : 'warn'), i18n: Number(c.priority) >= 2 ? 'prio_2' : 'prio_1' }));
    }
    if (c.assigned_at || c.queued_at) {
      view.meta.appendChild(document.createTextNode(' · '));
      view.meta.appendChild(timeEl(c.assigned_at || c.queued_at, 'clock'));
    }
    if (!isMine(c)) markClosed(view);
    else if (view.closed) reopenView(view);
  }

  async function loadDetail(view) {
    try {
      var detail = await api('GET', chatPath(view.id));
      if (!views.has(view.id)) return;
      view.detail = detail || {};
      var ctx = view.detail.context || {};
      (Array.isArray(ctx.transcript) ? ctx.transcript : []).forEach(function (m) { view.transcript.upsert(m); });
      view.customer.update(view.detail);
      applyChat(view, view.detail.chat || {});
      view.panel.setAttribute('data-loaded', 'true');
      view.transcript.toBottom();
    } catch (err) {
      if (err.status === 404 || err.status === 403) {
        view.chat.status = view.chat.status === 'assigned' ? 'other' : view.chat.status;
        markClosed(view);
      } else showError(err);
    }
  }

  function refreshDetailSoon(view) {
    clearTimeout(view.detailTimer);
    view.detailTimer = setTimeout(function () { if (views.has(view.id)) loadDetail(view); }, 600);
  }

  async function loadMyChats() {
    try {
      var data = await api('GET', '/desk/chats', { params: { mine: 1 } });
      var chats = Array.isArray(data && data.chats) ? data.chats : [];
      var seen = {};
      chats.forEach(function (c) {
        if (!c || !c.id) return;
        seen[c.id] = true;
        if (c.status && c.status !== 'assigned') return;
        var existing = views.get(c.id);
        openChat(c, {});
        if (existing) loadDetail(existing); // after a reconnect: pick up what was missed
      });
      // Tabs of chats that are no longer ours (changed while the socket was down): learn what happened.
      views.forEach(function (v) { if (!seen[v.id] && !v.closed) loadDetail(v); });
    } catch (err) {
      showError(err);
    }
  }

  async function loadWrapUpCodes() {
    try {
      var data = await api('GET', '/desk/wrap-up-codes');
      wrapUpCodes = Array.isArray(data && data.codes) ? data.codes : [];
      views.forEach(fillWrapUps);
    } catch (err) {
      showError(err);
    }
  }
  function wrapUpLabel(c) {
    var l = c && c.label;
    if (l && typeof l === 'object') return String(l[lang] || l.en || l.zh || c.code);
    return String(l || c.code);
  }
  function fillWrapUps(view) {
    var sel = view.wrapUp;
    var chosen = sel.value;
    sel.textContent = '';
    sel.appendChild(h('option', { value: '', i18n: 'wrap_up_choose' }));
    wrapUpCodes.forEach(function (c) {
      if (!c || !c.code) return;
      sel.appendChild(h('option', { value: String(c.code), text: wrapUpLabel(c) }));
    });
    sel.value = chosen;
  }

  // ---- one chat's tab, panel and customer panel ---------------------------------------------
  function buildChatView(chat) {
    var key = domId(chat.id);
    var view = {
      id: chat.id, chat: Object.assign({}, chat), detail: null, unread: 0, closed: false,
      detailTimer: null, typingTimer: null, typingSent: 0, typingOn: false, cannedCache: null,
    };

    // Tab
    view.tabName = h('span', { class: 'tab-name' });
    view.unreadEl = h('span', { class: 'unread', 'data-testid': 'tab-unread', hidden: true });
    view.tab = h('button', {
      type: 'button', role: 'tab', id: 'chat-tab-' + key, 'aria-controls': 'chat-panel-' + key, 'aria-selected': 'false',
      tabindex: '-1', class: 'chat-tab', 'data-testid': 'chat-tab', 'data-chat-id': chat.id,
    }, [view.tabName, view.unreadEl]);
    view.tab.addEventListener('click', function () { selectChat(view.id, false); });
    view.tab.addEventListener('keydown', function (e) {
      var i = order.indexOf(view.id);
      var next = null;
      if (e.key === 'ArrowRight') next = order[(i + 1) % order.length];
      else if (e.key === 'ArrowLeft') next = order[(i - 1 + order.length) % order.length];
      else if (e.key === 'Home') next = order[0];
      else if (e.key === 'End') next = order[order.length - 1];
      if (next) {
        e.preventDefault();
        selectChat(next, false);
        views.get(next).tab.focus();
      }
    });

    // Header and actions
    view.title = h('h2', { class: 'chat-title', id: 'chat-title-' + key, 'data-testid': 'chat-title' });
    view.meta = h('p', { class: 'chat-meta', 'data-testid': 'chat-meta' });
    var transferBtn = h('button', { type: 'button', class: 'button small', 'data-testid': 'transfer', 'aria-expanded': 'false', i18n: 'transfer' });
    var returnBtn = h('button', { type: 'button', class: 'button small', 'data-testid': 'return-bot', 'aria-expanded': 'false', i18n: 'return_bot' });
    var endBtn = h('button', { type: 'button', class: 'button small danger', 'data-testid': 'end-chat', 'aria-expanded': 'false', i18n: 'end_chat' });
    var ticketBtn = h('button', {
      type: 'button', class: 'button small', 'data-testid': 'chat-create-ticket', i18n: 'ticket_from_chat', 'aria-label-i18n': 'ticket_from_chat_label',
    });
    ticketBtn.addEventListener('click', function () {
      hideBoxes(view);
      ticketFromChat(view);
    });
    view.actions = h('div', { class: 'chat-actions', role: 'group', 'aria-label-i18n': 'chat_actions' }, [ticketBtn, transferBtn, returnBtn, endBtn]);

    // Transfer
    var tAgentRadio = h('input', { type: 'radio', name: 'tt-' + key, id: 'tt-agent-' + key, value: 'agent', checked: true, 'data-testid': 'transfer-mode-agent' });
    var tQueueRadio = h('input', { type: 'radio', name: 'tt-' + key, id: 'tt-queue-' + key, value: 'queue', 'data-testid': 'transfer-mode-queue' });
    var tAgent = h('select', { id: 'tt-name-' + key, 'data-testid': 'transfer-agent', 'aria-describedby': 'tt-hint-' + key });
    // Whom the chat can go to: the other agents online with a free slot (GET /desk/agents), read each time
    // the box opens.
    async function loadTransferTargets() {
      var data;
      try {
        data = await api('GET', '/desk/agents');
      } catch (err) {
        return;
      }
      var keep = tAgent.value;
      var free = (data && data.agents || []).filter(function (a) { return a.free && a.name !== me().name; });
      tAgent.textContent = '';
      tAgent.appendChild(tx(h('option', { value: '' }), free.length ? 'transfer_pick_agent' : 'transfer_no_agent'));
      free.forEach(function (a) {
        var skills = (a.skills || []).map(function (sk) { return SKILLS.indexOf(sk) >= 0 ? t('skill_' + sk) : String(sk); });
        tAgent.appendChild(tx(h('option', { value: String(a.name) }), 'transfer_agent_option', {
          name: staffDisplay(a), load: a.active + '/' + a.max_chats, skills: skills.join('、'),
        }));
      });
      tAgent.disabled = !free.length;
      if (keep && free.some(function (a) { return a.name === keep; })) tAgent.value = keep;
    }
    transferBtn.addEventListener('click', function () {
      // After the box toggle below has run (listeners run in order).
      setTimeout(function () { if (!view.transferBox.hidden) loadTransferTargets(); }, 0);
    });
    var tSkill = h('select', { id: 'tt-skill-' + key, 'data-testid': 'transfer-skill' }, SKILLS.map(function (s) {
      return h('option', { value: s, i18n: 'skill_' + s });
    }));
    var tLang = h('select', { id: 'tt-lang-' + key, 'data-testid': 'transfer-language' }, ['zh', 'en'].map(function (l) {
      return h('option', { value: l, i18n: 'lang_' + l });
    }));
    var tErr = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'transfer-error', hidden: true });
    var agentFields = h('div', { class: 'field' }, [
      h('label', { for: 'tt-name-' + key, i18n: 'transfer_agent_name' }), tAgent,
      h('p', { class: 'hint', id: 'tt-hint-' + key, i18n: 'transfer_agent_hint' }),
    ]);
    var queueFields = h('div', { class: 'row-fields', hidden: true }, [
      h('div', { class: 'field' }, [h('label', { for: 'tt-skill-' + key, i18n: 'transfer_skill' }), tSkill]),
      h('div', { class: 'field' }, [h('label', { for: 'tt-lang-' + key, i18n: 'transfer_language' }), tLang]),
    ]);
    var tSubmit = h('button', { type: 'submit', class: 'button small primary', 'data-testid': 'transfer-submit', i18n: 'transfer_submit' });
    var tCancel = h('button', { type: 'button', class: 'button small quiet', i18n: 'cancel' });
    view.transferBox = h('form', { class: 'action-box', 'data-testid': 'transfer-box', novalidate: true, hidden: true }, [
      h('fieldset', { class: 'radios' }, [
        h('legend', { i18n: 'transfer_title' }),
        h('span', { class: 'check' }, [tAgentRadio, h('label', { for: 'tt-agent-' + key, i18n: 'transfer_to_agent' })]),
        h('span', { class: 'check' }, [tQueueRadio, h('label', { for: 'tt-queue-' + key, i18n: 'transfer_to_queue' })]),
      ]),
      agentFields, queueFields, tErr, h('div', { class: 'actions' }, [tSubmit, tCancel]),
    ]);
    function transferMode() {
      var toAgent = tAgentRadio.checked;
      agentFields.hidden = !toAgent;
      queueFields.hidden = toAgent;
    }
    tAgentRadio.addEventListener('change', transferMode);
    tQueueRadio.addEventListener('change', transferMode);
    tLang.value = chat.language === 'en' ? 'en' : 'zh';
    if (SKILLS.indexOf(chat.skill) >= 0) tSkill.value = chat.skill;
    view.transferBox.addEventListener('submit', async function (e) {
      e.preventDefault();
      tErr.hidden = true;
      var body;
      if (tAgentRadio.checked) {
        var name = tAgent.value.trim();
        if (!name) {
          tx(tErr, 'transfer_need_agent');
          tErr.hidden = false;
          tAgent.focus();
          return;
        }
        body = { agent: name };
      } else {
        body = { skill: tSkill.value, language: tLang.value };
      }
      tSubmit.disabled = true;
      try {
        await api('POST', chatPath(view.id) + '/transfer', { json: body });
        removeChat(view.id);
        flash('transferred');
        refreshQueueSoon();
      } catch (err) {
        if (!err.handled) {
          var m = errorText(err);
          tx(tErr, m[0], m[1]);
          tErr.hidden = false;
        }
      } finally {
        tSubmit.disabled = false;
      }
    });

    // Return to bot
    var rErr = h('p', { class: 'field-error', role: 'alert', hidden: true });
    var rYes = h('button', { type: 'button', class: 'button small primary', 'data-testid': 'return-confirm', i18n: 'return_confirm' });
    var rNo = h('button', { type: 'button', class: 'button small quiet', i18n: 'cancel' });
    view.returnBox = h('div', { class: 'action-box', 'data-testid': 'return-box', hidden: true }, [
      h('p', { i18n: 'return_confirm_text' }), rErr, h('div', { class: 'actions' }, [rYes, rNo]),
    ]);
    rYes.addEventListener('click', async function () {
      rYes.disabled = true;
      rErr.hidden = true;
      try {
        await api('POST', chatPath(view.id) + '/return');
        removeChat(view.id);
        flash('returned');
      } catch (err) {
        if (!err.handled) {
          var m = errorText(err);
          tx(rErr, m[0], m[1]);
          rErr.hidden = false;
        }
      } finally {
        rYes.disabled = false;
      }
    });

    // End with a wrap-up code
    view.wrapUp = h('select', { id: 'wu-' + key, 'data-testid': 'wrap-up', required: true });
    var eErr = h('p', { class: 'field-error', role: 'alert', 'data-testid': 'end-error', hidden: true });
    var eYes = h('button', { type: 'submit', class: 'button small danger', 'data-testid': 'end-confirm', i18n: 'end_confirm' });
    var eNo = h('button', { type: 'button', class: 'button small quiet', i18n: 'cancel' });
    view.endBox = h('form', { class: 'action-box', 'data-testid': 'end-box', novalidate: true, hidden: true }, [
      h('div', { class: 'field' }, [h('label', { for: 'wu-' + key, i18n: 'wrap_up' }), view.wrapUp]),
      eErr, h('div', { class: 'actions' }, [eYes, eNo]),
    ]);
    fillWrapUps(view);
    view.endBox.addEventListener('submit', async function (e) {
      e.preventDefault();
      eErr.hidden = true;
      if (!view.wrapUp.value) {
        tx(eErr, 'wrap_up_required');
        eErr.hidden = false;
        view.wrapUp.setAttribute('aria-invalid', 'true');
        view.wrapUp.focus();
        return;
      }
      view.wrapUp.removeAttribute('aria-invalid');
      eYes.disabled = true;
      try {
        await api('POST', chatPath(view.id) + '/end', { json: { wrap_up: view.wrapUp.value } });
        removeChat(view.id);
        flash('ended_flash');
      } catch (err) {
        if (!err.handled) {
          var m = errorText(err);
          tx(eErr, m[0], m[1]);
          eErr.hidden = false;
        }
      } finally {
        eYes.disabled = false;
      }
    });

    var boxes = [[transferBtn, view.transferBox, tAgent], [returnBtn, view.returnBox, rYes], [endBtn, view.endBox, view.wrapUp]];
    view.boxes = boxes;
    boxes.forEach(function (b) {
      b[0].addEventListener('click', function () {
        var open = b[1].hidden;
        hideBoxes(view);
        if (open) {
          b[1].hidden = false;
          b[0].setAttribute('aria-expanded', 'true');
          b[2].focus();
        }
      });
    });
    [tCancel, rNo, eNo].forEach(function (c, i) {
      c.addEventListener('click', function () {
        hideBoxes(view);
        boxes[i][0].focus();
      });
    });

    // Closed banner
    view.closedText = h('span');
    var closeTab = h('button', { type: 'button', class: 'button small', 'data-testid': 'close-tab', i18n: 'close_tab' });
    closeTab.addEventListener('click', function () { removeChat(view.id); });
    view.closedBox = h('div', { class: 'notice warn closed', role: 'status', 'data-testid': 'chat-closed', hidden: true }, [view.closedText, ' ', closeTab]);

    // Transcript
    var scroller = h('div', { class: 'scroll' });
    view.transcript = new Transcript({ scroller: function () { return scroller; }, mine: true });
    scroller.appendChild(view.transcript.el);
    view.typingEl = h('p', { class: 'typing', 'data-testid': 'customer-typing', i18n: 'customer_typing', hidden: true });

    // Composer
    var inputId = 'reply-' + key;
    view.input = h('textarea', {
      id: inputId, rows: '2', maxlength: '4000', 'data-testid': 'composer-input', 'aria-describedby': 'reply-hint-' + key,
    });
    txAttr(view.input, 'placeholder', 'composer_placeholder');
    var sendBtn = h('button', { type: 'submit', class: 'button primary', 'data-testid': 'send', i18n: 'send' });
    var cannedBtn = h('button', {
      type: 'button', class: 'button', 'data-testid': 'canned-button', 'aria-expanded': 'false', 'aria-controls': 'canned-' + key, i18n: 'canned',
    });
    view.form = h('form', { class: 'composer', novalidate: true }, [
      h('label', { for: inputId, class: 'sr-only', i18n: 'composer_label' }),
      view.input,
      h('span', { id: 'reply-hint-' + key, class: 'sr-only', i18n: 'composer_placeholder' }),
      h('div', { class: 'composer-tools' }, [cannedBtn, sendBtn]),
    ]);
    view.form.addEventListener('submit', function (e) {
      e.preventDefault();
      var text = view.input.value.trim();
      if (!text || view.closed) return;
      sendReply(view, { text: text });
      view.input.value = '';
      view.input.focus();
    });
    view.input.addEventListener('keydown', function (e) {
      // Enter sends, Shift+Enter is a new line; never send on the Enter that ends an IME composition.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        if (typeof view.form.requestSubmit === 'function') view.form.requestSubmit();
        else view.form.dispatchEvent(new Event('submit', { cancelable: true }));
      }
    });
    view.input.addEventListener('input', function () { localTyping(view, view.input.value.trim().length > 0); });
    view.input.addEventListener('blur', function () { localTyping(view, false); });

    // Canned replies
    var cFilter = h('input', { type: 'search', id: 'cf-' + key, autocomplete: 'off', 'data-testid': 'canned-filter' });
    var cList = h('ul', { class: 'canned-list', 'data-testid': 'canned-list' });
    var cStatus = h('p', { class: 'muted', role: 'status' });
    view.cannedPop = h('div', { class: 'canned-pop', id: 'canned-' + key, 'data-testid': 'canned-picker', hidden: true, role: 'group', 'aria-labelledby': 'ct-' + key }, [
      h('div', { class: 'canned-head' }, [
        h('h3', { id: 'ct-' + key, i18n: 'canned_title' }),
        h('button', { type: 'button', class: 'button small quiet', 'data-testid': 'canned-close', i18n: 'close' }),
      ]),
      h('label', { for: 'cf-' + key, class: 'sr-only', i18n: 'canned_filter' }), cFilter, cStatus, cList,
    ]);
    txAttr(cFilter, 'placeholder', 'canned_filter');
    function closeCanned(focusBack) {
      view.cannedPop.hidden = true;
      cannedBtn.setAttribute('aria-expanded', 'false');
      if (focusBack) cannedBtn.focus();
    }
    function renderCanned() {
      var items = view.cannedCache || [];
      var q = cFilter.value.trim().toLowerCase();
      cList.textContent = '';
      var shown = items.filter(function (c) {
        return !q || String(c.title || '').toLowerCase().indexOf(q) >= 0 || String(c.text || '').toLowerCase().indexOf(q) >= 0;
      });
      shown.forEach(function (c) {
        var title = String(c.title || c.id);
        var ins = h('button', { type: 'button', class: 'button small', 'data-testid': 'canned-insert', i18n: 'canned_insert', 'aria-label-i18n': 'canned_insert_label', args: { title: title } });
        var snd = h('button', { type: 'button', class: 'button small primary', 'data-testid': 'canned-send', i18n: 'canned_send', 'aria-label-i18n': 'canned_send_label', args: { title: title } });
        ins.addEventListener('click', function () {
          insertAtCursor(view.input, String(c.text || ''));
          closeCanned(false);
          view.input.focus();
        });
        snd.addEventListener('click', function () {
          closeCanned(false);
          sendReply(view, { canned_id: c.id, text: String(c.text || '') });
          view.input.focus();
        });
        cList.appendChild(h('li', { class: 'canned-item', 'data-testid': 'canned-item', 'data-canned-id': String(c.id) }, [
          h('p', { class: 'canned-t', 'data-testid': 'canned-title', text: title }),
          h('p', { class: 'canned-x', 'data-testid': 'canned-text', text: String(c.text || '') }),
          h('div', { class: 'actions' }, [ins, snd]),
        ]));
      });
      if (!shown.length) tx(cStatus, 'canned_empty');
      else cStatus.textContent = '';
    }
    cannedBtn.addEventListener('click', async function () {
      if (!view.cannedPop.hidden) { closeCanned(true); return; }
      view.cannedPop.hidden = false;
      cannedBtn.setAttribute('aria-expanded', 'true');
      cFilter.value = '';
      tx(cStatus, 'loading');
      cList.textContent = '';
      cFilter.focus();
      try {
        var data = await api('GET', '/desk/canned', { params: { chat_id: view.id } });
        view.cannedCache = Array.isArray(data && data.canned) ? data.canned : [];
        renderCanned();
      } catch (err) {
        var m = errorText(err);
        tx(cStatus, m[0], m[1]);
      }
    });
    cFilter.addEventListener('input', renderCanned);
    view.cannedPop.querySelector('[data-testid="canned-close"]').addEventListener('click', function () { closeCanned(true); });
    view.cannedPop.addEventListener('keydown', function (e) {
      if (e.key === 'Escape') {
        e.preventDefault();
        closeCanned(true);
      }
    });

    view.panel = h('section', {
      class: 'chat', role: 'tabpanel', id: 'chat-panel-' + key, 'aria-labelledby': 'chat-tab-' + key, hidden: true,
      'data-testid': 'chat-panel', 'data-chat-id': chat.id, 'data-conversation-id': chat.conversation_id || null,
    }, [
      h('div', { class: 'chat-head' }, [h('div', { class: 'chat-id' }, [view.title, view.meta]), view.actions]),
      view.transferBox, view.returnBox, view.endBox, view.closedBox,
      scroller, view.typingEl, view.cannedPop, view.form,
    ]);

    // Customer panel
    view.customer = CustomerPanel({
      id: chat.id,
      onAddNote: async function (text) {
        var res = await api('POST', chatPath(view.id) + '/notes', { json: { text: text } });
        var note = Object.assign({ author: me().name, text: text }, (res && (res.note || (res.text ? res : null))) || {});
        if (!note.created_at) note.created_at = new Date().toISOString();
        return note;
      },
    });
    view.side = h('div', { class: 'side', 'data-chat-id': chat.id, hidden: true }, [view.customer.el]);

    applyChat(view, chat);
    return view;
  }

  // A chat's skill as the ticket type it most likely needs.
  var TICKET_TYPE_OF_SKILL = { cards: 'card', transfers: 'transfer', complaints: 'complaint' };

  /** Opens the new-ticket form with what the chat knows: its conversation, the customer, the bot's summary. */
  function ticketFromChat(view) {
    var tickets = window.KefuDesk.tickets;
    if (!tickets) return;
    var ctx = (view.detail && view.detail.context) || {};
    var ref = (ctx.verification && ctx.verification.customer_ref) || (ctx.profile && ctx.profile.customer_ref) || '';
    var summary = Array.isArray(ctx.summary) ? ctx.summary.map(String).join('\n') : '';
    showConsoleView('tickets');
    tickets.newTicket({
      conversation_id: view.chat.conversation_id || '',
      customer_ref: ref ? String(ref) : '',
      type: TICKET_TYPE_OF_SKILL[view.chat.skill] || 'other',
      priority: Number(view.chat.priority) >= 2 ? 'high' : 'normal',
      description: summary,
    });
  }

  /** The chat tab of a conversation, shown and focused; false when this agent has no tab for it. */
  function openConversation(convId) {
    var v = convId ? viewByConversation(convId) : null;
    if (!v) return false;
    showConsoleView('chats');
    selectChat(v.id, false);
    v.tab.focus();
    return true;
  }

  window.KefuDesk.console = {
    showView: showConsoleView,
    view: function () { return consoleView; },
    hasConversation: function (convId) { return !!(convId && viewByConversation(convId)); },
    openConversation: openConversation,
  };

  function hideBoxes(view) {
    (view.boxes || []).forEach(function (b) {
      b[1].hidden = true;
      b[0].setAttribute('aria-expanded', 'false');
    });
  }

  function insertAtCursor(input, text) {
    var start = input.selectionStart || 0;
    var end = input.selectionEnd || 0;
    var v = input.value;
    input.value = v.slice(0, start) + text + v.slice(end);
    var at = start + text.length;
    input.setSelectionRange(at, at);
  }

  // ---- typing -------------------------------------------------------------------------------
  function localTyping(view, on) {
    clearTimeout(view.typingTimer);
    var conv = view.chat.conversation_id;
    if (!conv) return;
    if (on) {
      view.typingTimer = setTimeout(function () { localTyping(view, false); }, 4000);
      if (!view.typingOn || Date.now() - view.typingSent > 3000) {
        if (sendFrame({ type: 'typing', conversation_id: conv, state: true })) {
          view.typingOn = true;
          view.typingSent = Date.now();
        }
      }
    } else if (view.typingOn) {
      view.typingOn = false;
      sendFrame({ type: 'typing', conversation_id: conv, state: false });
    }
  }

  // ---- sending ------------------------------------------------------------------------------
  /** payload: {text} or {canned_id, text}; one client_message_id for every try of this reply. */
  function sendReply(view, payload) {
    localTyping(view, false);
    var entry = { id: newClientId(), text: payload.text, cannedId: payload.canned_id, tries: 0 };
    view.transcript.addPending(entry.id, entry.text, me().display_name || me().name);
    postReply(view, entry);
  }

  async function postReply(view, entry) {
    var body = { client_message_id: entry.id };
    if (entry.cannedId !== undefined && entry.cannedId !== null) body.canned_id = entry.cannedId;
    else body.text = entry.text;
    entry.tries += 1;
    view.transcript.markSending(entry.id);
    try {
      var res = await api('POST', chatPath(view.id) + '/messages', { json: body });
      view.transcript.resolvePending(entry.id, res && res.message);
    } catch (err) {
      if (err.handled) return;
      if (!view.transcript.pending.has(entry.id)) return; // the socket already brought the stored reply
      var retryable = err.status === 0 || err.status === 408 || err.status === 429 || err.status >= 500;
      var retry = function () {
        entry.tries = 0;
        postReply(view, entry);
      };
      if (retryable && entry.tries < MAX_SEND_TRIES) {
        // Same client_message_id: the server stores the reply once however often it arrives.
        var delay = Math.min(8000, 500 * Math.pow(2, entry.tries - 1)) * (0.5 + Math.random() / 2);
        setTimeout(function () { if (views.has(view.id)) postReply(view, entry); }, delay);
        return;
      }
      view.transcript.markFailed(entry.id, retryable ? retry : null);
      if (!retryable) showError(err);
    }
  }

  // ---- frames -------------------------------------------------------------------------------
  function viewByConversation(convId) {
    var found = null;
    views.forEach(function (v) { if (v.chat.conversation_id === convId) found = v; });
    return found;
  }

  function onConversationEvent(convId, ev) {
    var view = viewByConversation(convId);
    if (!view || !ev) return;
    if (ev.type === 'message') {
      var m = ev.message || ev;
      if (!view.transcript.upsert(m)) return;
      if (m.role === 'customer') {
        view.typingEl.hidden = true;
        if (activeId !== view.id || consoleView !== 'chats' || document.visibilityState === 'hidden') {
          view.unread += 1;
          renderUnread(view);
          renderChatsState();
          announce('new_message', { name: chatLabel(view) });
        }
        refreshDetailSoon(view); // the customer panel: understanding, sentiment
      }
    } else if (ev.type === 'typing' && (ev.role === 'customer' || !ev.role)) {
      view.typingEl.hidden = !(ev.state === true) || view.closed;
      clearTimeout(view.remoteTypingTimer);
      if (ev.state === true) view.remoteTypingTimer = setTimeout(function () { view.typingEl.hidden = true; }, 15000);
    }
  }

  function onFrame(f) {
    switch (f.type) {
      case 'hello':
        adoptPresence(f.staff);
        // (Re)connected: whatever happened while the socket was down is read again.
        refreshQueue();
        loadMyChats();
        break;
      case 'queue_changed':
        refreshQueueSoon();
        break;
      case 'assigned':
        if (f.chat && f.chat.id) {
          var existed = views.has(f.chat.id);
          var view = openChat(f.chat, {});
          if (existed) loadDetail(view);
        }
        refreshQueueSoon();
        break;
      case 'chat_changed':
        if (f.chat && f.chat.id) {
          var v = views.get(f.chat.id);
          // A transfer away from this agent names the new agent: the tab turns read-only. When the frame
          // looks like ours, the chat's own record decides.
          if (v && isMine(f.chat)) refreshDetailSoon(v);
          else if (v) applyChat(v, f.chat);
          else if (isMine(f.chat)) openChat(f.chat, {});
        }
        refreshQueueSoon();
        break;
      case 'conversation':
        onConversationEvent(f.conversation_id, f.event);
        break;
      default:
        break;
    }
  }

  function start(staff) {
    adoptPresence(staff);
    loadWrapUpCodes();
    refreshQueue();
    loadMyChats();
    renderChatsState();
  }

  function stop() {
    Array.from(views.keys()).forEach(removeChat);
    showConsoleView('chats');
    activeId = null;
    presence = null;
    renderPresence();
    $('queue-list').textContent = '';
    $('queue-count').textContent = '';
    lastQueues = null;
    document.title = t('page_title_console');
  }

  languageHooks.push(function () {
    views.forEach(function (v) {
      fillWrapUps(v);
      v.customer.rerender();
    });
    if (lastQueues) renderQueue(lastQueues);
    renderChatsState();
  });

  boot({ roles: ['agent', 'supervisor'], start: start, stop: stop, onFrame: onFrame });
})();
