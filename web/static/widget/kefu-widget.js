/*!
 * Kefu web chat widget. Plain JavaScript, no dependencies, no build step.
 *
 * Embed with one tag:
 *   <script src="https://kefu.example-bank.com/widget/kefu-widget.js" defer></script>
 * Optional attributes on that tag:
 *   data-kefu-server="https://host[/prefix]"  server to talk to (default: the script's origin)
 *   data-language="zh|en"                     default UI and conversation language
 *   data-channel="web"                        channel recorded on new conversations
 *   data-open="true"                          start with the chat panel open
 *   data-title="…"                            header title (default: 在线客服 / Customer service)
 *   data-kefu-no-mount                        do not add a chat widget to the page: only the helpers below
 *                                             (renderMarkdown) are provided; no storage, no connection, no
 *                                             listeners. Used by the KB editor (/kb/) for its answer preview.
 * Page API: window.KefuWidget.open(), .close(), .toggle(), .setLanguage('zh'|'en'),
 *           .send(text), .newConversation(),
 *           .renderMarkdown(text) -> DocumentFragment: the answer Markdown subset of docs/kb.md (paragraphs,
 *           **bold**, *italic*, "- " and "1. " lists, [text](url) links with http, https, tel and mailto
 *           only), built from DOM nodes; everything else is shown as typed. Available with or without a mount.
 * Any element of the host page with data-kefu-send="text" opens the chat and sends that text
 * when clicked; data-kefu-open opens the chat.
 *
 * Delivery contract (docs/api-v1.md): every customer message carries a client_message_id and stays
 * in a persisted outbox until its `ack`; after a reconnect the widget resumes the conversation with
 * `after: <last contiguous seq>` and re-sends the outbox with the same ids, which the server
 * de-duplicates. Messages are rendered keyed by id and seq, so nothing is shown twice.
 * All message text reaches the DOM through text nodes only, never through HTML parsing.
 */
(function () {
  'use strict';

  if (window.KefuWidget && window.KefuWidget.__kefu) return; // loaded twice: keep the first

  // ---------------------------------------------------------------------------------------------
  // Configuration from the script tag
  // ---------------------------------------------------------------------------------------------
  var script =
    document.currentScript ||
    Array.prototype.slice
      .call(document.querySelectorAll('script[src]'))
      .filter(function (s) { return /kefu-widget(\.min)?\.js([?#]|$)/.test(s.src); })[0] ||
    null;
  var data = (script && script.dataset) || {};

  // ---------------------------------------------------------------------------------------------
  // Markdown subset (docs/kb.md): the one renderer for bot messages here and the KB editor preview.
  // Text only ever reaches the DOM as text nodes; the subset is applied by building elements.
  // ---------------------------------------------------------------------------------------------
  var MD_LINK_PROTOCOLS = ['http:', 'https:', 'tel:', 'mailto:'];

  function markdownHref(raw) {
    try {
      var u = new URL(raw); // absolute URLs only: a relative one stays text
      return MD_LINK_PROTOCOLS.indexOf(u.protocol) >= 0 ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  function renderMarkdown(text) {
    var frag = document.createDocumentFragment();
    var lines = String(text == null ? '' : text).split(/\r\n|\r|\n/);
    var list = null; // the open <ul> or <ol>
    var para = null; // the open <p>; consecutive lines stay in one paragraph, separated by <br>
    lines.forEach(function (line) {
      var bullet = /^\s*- +(.*)$/.exec(line);
      var numbered = bullet ? null : /^\s*(\d{1,9})\. +(.*)$/.exec(line);
      if (bullet || numbered) {
        var tag = bullet ? 'UL' : 'OL';
        para = null;
        if (!list || list.tagName !== tag) {
          list = document.createElement(tag);
          if (numbered && numbered[1] !== '1') list.setAttribute('start', String(Number(numbered[1])));
          frag.appendChild(list);
        }
        var li = document.createElement('li');
        markdownInline(li, bullet ? bullet[1] : numbered[2]);
        list.appendChild(li);
        return;
      }
      list = null;
      if (!line.trim()) { para = null; return; }
      if (!para) { para = document.createElement('p'); frag.appendChild(para); } else para.appendChild(document.createElement('br'));
      markdownInline(para, line);
    });
    return frag;
  }

  // **bold** (may hold the other inline forms), *italic* (no space just inside the stars, so
  // "2 * 3 * 4" stays as typed) and [text](url) with an allowed absolute URL.
  var MD_INLINE = /\*\*(\S(?:[^\n]*?\S)?)\*\*|\*([^\s*](?:[^*\n]*?[^\s*])?)\*|\[([^\]\n]+)\]\(([^()\s]+)\)/g;

  function markdownInline(parent, s) {
    var re = new RegExp(MD_INLINE.source, 'g');
    var last = 0;
    var m;
    while ((m = re.exec(s))) {
      if (m.index > last) parent.appendChild(document.createTextNode(s.slice(last, m.index)));
      if (m[1] !== undefined) {
        var b = document.createElement('strong');
        markdownInline(b, m[1]);
        parent.appendChild(b);
      } else if (m[2] !== undefined) {
        var i = document.createElement('em');
        i.textContent = m[2];
        parent.appendChild(i);
      } else {
        var href = markdownHref(m[4]);
        if (href) {
          var a = document.createElement('a');
          a.href = href;
          a.target = '_blank';
          a.rel = 'noopener noreferrer';
          a.textContent = m[3];
          parent.appendChild(a);
        } else {
          parent.appendChild(document.createTextNode(m[0]));
        }
      }
      last = re.lastIndex;
    }
    if (last < s.length) parent.appendChild(document.createTextNode(s.slice(last)));
  }

  if (data.kefuNoMount !== undefined && data.kefuNoMount !== 'false') {
    // The page wants the helpers only (e.g. the KB editor's preview): no chat UI, no connection.
    window.KefuWidget = { __kefu: true, mounted: false, renderMarkdown: renderMarkdown };
    return;
  }

  var serverUrl;
  try {
    serverUrl = new URL(data.kefuServer || (script && script.src) || location.href, location.href);
  } catch (e) {
    serverUrl = new URL(location.href);
  }
  // A data-kefu-server value may carry a path prefix (a reverse proxy mount point); the script URL
  // never does, so only honour the path when the attribute was given.
  var basePath = data.kefuServer ? serverUrl.pathname.replace(/\/+$/, '') : '';
  var wsUrl = (serverUrl.protocol === 'https:' ? 'wss://' : 'ws://') + serverUrl.host + basePath + '/api/v1/ws';
  var apiUrl = (serverUrl.protocol === 'https:' ? 'https://' : 'http://') + serverUrl.host + basePath + '/api/v1';
  var CHANNELS = ['web', 'app', 'wechat', 'sms', 'voice'];
  var channel = CHANNELS.indexOf(data.channel) >= 0 ? data.channel : 'web';
  var storageKey = 'kefu:v1:' + serverUrl.origin + basePath;
  var testMode = !!window.__KEFU_TEST__;

  var HEARTBEAT_MS = 25000;
  var PONG_TIMEOUT_MS = 10000;
  var CONNECT_TIMEOUT_MS = 10000;
  var BACKOFF_BASE_MS = 500;
  var BACKOFF_CAP_MS = 10000;
  var MAX_TEXT_CHARS = 4000;
  var MAX_TEXT_BYTES = 15000; // keeps the frame under the server's 16 KiB limit
  var RETRYABLE = ['rate_limited', 'overloaded', 'unavailable', 'internal', 'request_timeout'];
  var MAX_SEND_RETRIES = 6;

  // ---------------------------------------------------------------------------------------------
  // Strings
  // ---------------------------------------------------------------------------------------------
  var STRINGS = {
    zh: {
      title: '在线客服',
      subtitle: '智能助手 7×24 小时为您服务',
      dialog: '在线客服对话窗口',
      open_chat: '打开在线客服',
      close_chat: '关闭在线客服',
      close: '关闭',
      new_conversation: '开始新对话',
      language: '界面语言',
      log: '对话记录',
      input_label: '输入您的问题',
      placeholder: '请输入您的问题…',
      send: '发送',
      hint: 'Enter 发送，Shift+Enter 换行',
      privacy: '请勿在对话中透露密码或短信验证码。',
      connecting: '正在连接…',
      reconnecting: '重新连接中…',
      offline: '网络已断开，恢复后自动重连…',
      typing_bot: '智能助手正在输入…',
      typing_agent: '客服正在输入…',
      role_bot: '智能助手',
      role_agent: '人工客服',
      role_customer: '我',
      role_system: '系统消息',
      sending: '发送中…',
      failed: '未能发送',
      retry: '重试',
      too_long: '消息太长了，请精简到 4000 字以内。',
      ended: '本次对话已结束。',
      quick_replies: '快捷回复',
      unread: '条未读消息',
      desk_queued: '正在为您转接人工客服',
      desk_assigned: '客服 {name} 为您服务',
      desk_assigned_anon: '人工客服已为您服务',
      queue_position: '您前面还有 {ahead} 位，预计等待约 {min} 分钟',
      queue_next: '您是下一位，预计等待约 {min} 分钟',
      csat_title: '请为本次人工服务评分',
      csat_stars: '评分',
      csat_star_1: '1 星，非常不满意',
      csat_star_2: '2 星，不满意',
      csat_star_3: '3 星，一般',
      csat_star_4: '4 星，满意',
      csat_star_5: '5 星，非常满意',
      csat_comment: '补充意见（可选）',
      csat_submit: '提交评价',
      csat_thanks: '谢谢您的评价',
      csat_failed: '评价未能提交，请重试。',
    },
    en: {
      title: 'Customer service',
      subtitle: 'Our assistant is here 24/7',
      dialog: 'Customer service chat',
      open_chat: 'Open customer service chat',
      close_chat: 'Close customer service chat',
      close: 'Close',
      new_conversation: 'Start a new conversation',
      language: 'Interface language',
      log: 'Conversation',
      input_label: 'Type your question',
      placeholder: 'Type your question…',
      send: 'Send',
      hint: 'Enter to send, Shift+Enter for a new line',
      privacy: 'Never share your password or SMS codes in this chat.',
      connecting: 'Connecting…',
      reconnecting: 'Reconnecting…',
      offline: 'You are offline. We will reconnect automatically…',
      typing_bot: 'Assistant is typing…',
      typing_agent: 'Agent is typing…',
      role_bot: 'Assistant',
      role_agent: 'Agent',
      role_customer: 'You',
      role_system: 'System',
      sending: 'Sending…',
      failed: 'Not sent',
      retry: 'Retry',
      too_long: 'That message is too long. Please keep it under 4000 characters.',
      ended: 'This conversation has ended.',
      quick_replies: 'Suggested replies',
      unread: 'unread messages',
      desk_queued: 'Connecting you to an agent',
      desk_assigned: '{name} has joined',
      desk_assigned_anon: 'An agent has joined',
      queue_position: 'You are number {n} in the queue, about {min} min',
      queue_next: 'You are number {n} in the queue, about {min} min',
      csat_title: 'How would you rate our agent?',
      csat_stars: 'Rating',
      csat_star_1: '1 star, very dissatisfied',
      csat_star_2: '2 stars, dissatisfied',
      csat_star_3: '3 stars, neutral',
      csat_star_4: '4 stars, satisfied',
      csat_star_5: '5 stars, very satisfied',
      csat_comment: 'Anything to add? (optional)',
      csat_submit: 'Submit',
      csat_thanks: 'Thank you for your feedback',
      csat_failed: 'Your rating was not sent. Please try again.',
    },
  };

  // ---------------------------------------------------------------------------------------------
  // Persistence (localStorage with an in-memory fallback when storage is blocked)
  // ---------------------------------------------------------------------------------------------
  var memoryStore = {};
  function storageGet(area, key) {
    try { return window[area].getItem(key); } catch (e) { return memoryStore[area + key] || null; }
  }
  function storageSet(area, key, value) {
    try {
      if (value === null) window[area].removeItem(key);
      else window[area].setItem(key, value);
    } catch (e) {
      memoryStore[area + key] = value;
    }
  }

  function emptyState() {
    return { conversationId: null, accessToken: null, lastSeq: 0, readSeq: 0, outbox: [] };
  }
  function loadState() {
    var s = emptyState();
    try {
      var raw = JSON.parse(storageGet('localStorage', storageKey) || 'null');
      if (raw && typeof raw === 'object') {
        if (typeof raw.conversationId === 'string' && typeof raw.accessToken === 'string') {
          s.conversationId = raw.conversationId;
          s.accessToken = raw.accessToken;
        }
        s.lastSeq = raw.lastSeq > 0 ? raw.lastSeq | 0 : 0;
        s.readSeq = raw.readSeq > 0 ? raw.readSeq | 0 : 0;
        if (Array.isArray(raw.outbox)) {
          s.outbox = raw.outbox.filter(function (e) {
            return e && typeof e.id === 'string' && typeof e.text === 'string';
          }).map(function (e) { return { id: e.id, text: e.text, at: e.at || Date.now() }; });
        }
      }
    } catch (e) { /* corrupt: start clean */ }
    return s;
  }
  function saveState() {
    storageSet('localStorage', storageKey, JSON.stringify({
      conversationId: state.conversationId,
      accessToken: state.accessToken,
      lastSeq: state.lastSeq,
      readSeq: state.readSeq,
      outbox: state.outbox.map(function (e) { return { id: e.id, text: e.text, at: e.at }; }),
    }));
  }

  function detectLanguage() {
    var saved = storageGet('localStorage', storageKey + ':lang');
    if (saved === 'zh' || saved === 'en') return saved;
    if (data.language === 'zh' || data.language === 'en') return data.language;
    var nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'zh';
    return /^zh/i.test(nav) ? 'zh' : 'en';
  }

  var state = loadState();
  var lang = detectLanguage();
  function t(key) { return (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key; }
  /** t(key) with {name} placeholders filled from args. */
  function tf(key, args) {
    return t(key).replace(/\{(\w+)\}/g, function (all, name) {
      return Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : all;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers
  // ---------------------------------------------------------------------------------------------
  function newClientId() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function h(tag, attrs, children) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === 'text') node.textContent = v;
        else if (k === 'class') node.className = v;
        else node.setAttribute(k, v === true ? '' : v);
      });
    }
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  var SVG_NS = 'http://www.w3.org/2000/svg';
  function icon(paths, size) {
    var svg = document.createElementNS(SVG_NS, 'svg');
    svg.setAttribute('viewBox', '0 0 24 24');
    svg.setAttribute('width', String(size || 24));
    svg.setAttribute('height', String(size || 24));
    svg.setAttribute('aria-hidden', 'true');
    svg.setAttribute('focusable', 'false');
    paths.forEach(function (d) {
      var p = document.createElementNS(SVG_NS, 'path');
      p.setAttribute('d', d);
      svg.appendChild(p);
    });
    return svg;
  }
  var ICON_CHAT = ['M4 5.5A2.5 2.5 0 0 1 6.5 3h11A2.5 2.5 0 0 1 20 5.5v8a2.5 2.5 0 0 1-2.5 2.5H10l-4.2 3.6c-.6.5-1.3.1-1.3-.6V16A2.5 2.5 0 0 1 4 13.5z'];
  var ICON_CLOSE = ['M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z'];
  var ICON_SEND = ['M3.4 20.4 21 12 3.4 3.6l-.01 6.53L15 12l-11.61 1.87z'];
  var ICON_NEW = ['M12 5a7 7 0 1 0 6.93 8h-2.03A5 5 0 1 1 12 7c1.38 0 2.63.56 3.54 1.46L13 11h6V5l-2.05 2.05A6.98 6.98 0 0 0 12 5z'];

  function utf8Length(s) {
    var n = 0;
    for (var i = 0; i < s.length; i++) {
      var c = s.charCodeAt(i);
      if (c < 0x80) n += 1;
      else if (c < 0x800) n += 2;
      else if (c >= 0xd800 && c <= 0xdbff) { n += 4; i++; }
      else n += 3;
    }
    return n;
  }

  // ---------------------------------------------------------------------------------------------
  // Styles (inside the shadow root, so the host page's CSS cannot reach them)
  // ---------------------------------------------------------------------------------------------
  var CSS = [
    /* !important on :host wins over the host page's !important rules (the shadow tree is the inner context). */
    ':host{all:initial!important;display:block!important;position:fixed!important;z-index:2147483000!important;',
    'right:0!important;bottom:0!important;width:0!important;height:0!important;visibility:visible!important;opacity:1!important;',
    'font-family:-apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Noto Sans SC","Source Han Sans SC",Roboto,"Helvetica Neue",Arial,sans-serif!important;',
    'font-size:15px!important;line-height:1.5!important;color:#17212f!important;-webkit-text-size-adjust:100%!important}',
    '*,*::before,*::after{box-sizing:border-box}',
    '[hidden]{display:none!important}',
    '.sr-only{position:absolute!important;width:1px;height:1px;padding:0;margin:-1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap;border:0}',
    'button{font:inherit;color:inherit;margin:0;cursor:pointer;-webkit-tap-highlight-color:transparent}',
    'button:focus{outline:none}',
    'button:focus-visible,a:focus-visible{outline:3px solid #0a4d8c;outline-offset:2px}',

    /* launcher */
    '.launcher{position:fixed;right:20px;bottom:20px;width:60px;height:60px;border-radius:50%;border:0;padding:0;',
    'background:#0a4d8c;color:#fff;display:flex;align-items:center;justify-content:center;',
    'box-shadow:0 6px 20px rgba(10,40,80,.28),0 2px 6px rgba(10,40,80,.18);transition:transform .15s ease,background .15s ease}',
    '.launcher:hover{background:#083e72;transform:translateY(-1px)}',
    '.launcher:focus-visible{outline:none;box-shadow:0 0 0 3px #fff,0 0 0 6px #0a4d8c,0 6px 20px rgba(10,40,80,.28)}',
    '.launcher svg{width:28px;height:28px;fill:currentColor}',
    '.launcher .i-close{display:none}',
    '.launcher[aria-expanded="true"] .i-chat{display:none}',
    '.launcher[aria-expanded="true"] .i-close{display:block}',
    '.badge{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;',
    'background:#c62828;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center;border:2px solid #fff}',

    /* panel */
    '.panel{position:fixed;right:20px;bottom:92px;width:384px;height:min(640px,calc(100vh - 112px));',
    'background:#fff;border-radius:16px;overflow:hidden;display:flex;flex-direction:column;',
    'box-shadow:0 18px 50px rgba(10,30,60,.28),0 2px 8px rgba(10,30,60,.12);border:1px solid rgba(10,30,60,.08);',
    'animation:kefu-in .18s ease-out}',
    '@keyframes kefu-in{from{opacity:0;transform:translateY(12px) scale(.98)}to{opacity:1;transform:none}}',

    '.head{display:flex;align-items:center;gap:8px;padding:10px 6px 10px 18px;background:#0a4d8c;color:#fff;flex:none}',
    '.brand{flex:1;min-width:0}',
    '.title{margin:0;font-size:16px;font-weight:700;line-height:1.3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.subtitle{margin:0;font-size:12px;line-height:1.3;color:#dce7f3;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}',
    '.tools{display:flex;align-items:center;flex:none}',
    '.hbtn{min-width:44px;height:44px;border:0;background:transparent;padding:0;display:inline-flex;align-items:center;justify-content:center;color:#fff;border-radius:10px}',
    '.hbtn svg{width:22px;height:22px;fill:currentColor}',
    '.hbtn:hover{background:rgba(255,255,255,.12)}',
    '.head button:focus-visible{outline:2px solid #fff;outline-offset:-4px}',
    '.lang{display:inline-flex;align-items:center;margin-right:2px}',
    '.lang button{min-width:44px;height:44px;border:0;background:transparent;padding:0 2px;display:inline-flex;align-items:center;justify-content:center;color:#fff}',
    '.lang button span{display:inline-block;padding:3px 8px;border-radius:999px;font-size:13px;font-weight:600;line-height:18px;border:1px solid rgba(255,255,255,.55)}',
    '.lang button[aria-pressed="true"] span{background:#fff;color:#0a4d8c;border-color:#fff}',
    '.lang button:hover span{border-color:#fff}',

    '.status{flex:none;padding:6px 16px;font-size:13px;background:#fff4d6;color:#5c4300;border-bottom:1px solid #f0dca0;display:flex;align-items:center;gap:8px}',
    '.status::before{content:"";width:8px;height:8px;border-radius:50%;background:#b7791f;flex:none;animation:kefu-pulse 1.2s ease-in-out infinite}',
    '@keyframes kefu-pulse{50%{opacity:.3}}',

    /* the human desk: hand-off status, queue position, satisfaction survey */
    '.desk{flex:none;padding:7px 16px;font-size:13px;line-height:1.4;background:#e8f0f9;color:#0a3d6e;border-bottom:1px solid #c9d9ec}',
    '.desk p{margin:0}',
    '.desk .desk-line{font-weight:600}',
    '.desk .queue-line{color:#33414f;margin-top:2px}',
    '.survey{align-self:stretch;margin:4px 0;padding:12px 14px;background:#fff;border:1px solid #e9c779;border-radius:14px;display:flex;flex-direction:column;gap:8px}',
    '.survey h3{margin:0;font-size:14px;font-weight:700}',
    '.stars{display:flex;gap:2px}',
    '.stars button{width:44px;height:44px;border:0;background:transparent;padding:0;color:#9aa6b5;font-size:28px;line-height:1;border-radius:8px}',
    '.stars button.lit{color:#b7791f}',
    '.stars button:hover{background:#fff8e6}',
    '.survey label{font-size:13px;color:#4a5563}',
    '.survey textarea{flex:none;width:100%;min-height:60px;max-height:none;resize:vertical;font-size:15px}',
    '.survey .primary{align-self:flex-start}',
    '.survey .primary:disabled{background:#9aa6b5;cursor:default}',
    '.survey .err{margin:0;color:#b71c1c;font-size:13px}',
    '.survey .thanks{margin:0;font-weight:600;color:#1b5e20}',

    '.scroll{flex:1;overflow-y:auto;overscroll-behavior:contain;background:#f5f7fa;padding:14px 14px 6px;scroll-behavior:smooth}',
    '.log{display:flex;flex-direction:column;gap:10px}',
    '.row{display:flex;flex-direction:column;align-items:flex-start;max-width:100%}',
    '.row.customer{align-items:flex-end}',
    '.row.system{align-items:center}',
    '.who{font-size:12px;font-weight:700;color:#7a4b00;margin:0 0 3px 4px;display:flex;align-items:center;gap:4px}',
    '.who::before{content:"";width:7px;height:7px;border-radius:50%;background:#d08a00}',
    '.bubble{max-width:84%;padding:9px 13px;border-radius:16px;white-space:pre-wrap;overflow-wrap:anywhere;word-break:break-word}',
    '.bubble p{margin:0}.bubble p+p,.bubble p+ul,.bubble p+ol,.bubble ul+p,.bubble ol+p{margin-top:6px}',
    '.bubble ul,.bubble ol{margin:4px 0 0;padding-left:20px}.bubble li{margin:2px 0}',
    '.bubble a{color:inherit;text-decoration:underline;text-underline-offset:2px}',
    '.row.bot .bubble{white-space:normal;background:#fff;color:#17212f;border:1px solid #dde3eb;border-top-left-radius:4px}',
    '.row.bot .bubble a{color:#0a4d8c}',
    '.row.agent .bubble{white-space:normal;background:#fff8e6;color:#17212f;border:1px solid #e9c779;border-top-left-radius:4px}',
    '.row.agent .bubble a{color:#7a4b00}',
    '.row.customer .bubble{background:#0a4d8c;color:#fff;border-top-right-radius:4px}',
    '.row.system .bubble{max-width:92%;background:transparent;color:#4a5563;font-size:13px;text-align:center;padding:2px 8px}',
    '.meta{font-size:11px;color:#5b6472;margin:3px 6px 0;display:flex;gap:6px;align-items:center}',
    '.row.pending .bubble{opacity:.75}',
    '.row.failed .bubble{background:#fff;color:#17212f;border:1px solid #c62828}',
    '.row.failed .meta{color:#b71c1c}',
    '.retry{border:0;background:none;padding:0 4px;min-height:24px;color:#0a4d8c;text-decoration:underline;font-size:12px}',

    '.qr{display:flex;flex-wrap:wrap;gap:8px;margin-top:8px;max-width:100%}',
    '.qr button{min-height:44px;padding:8px 16px;border-radius:22px;border:1px solid #0a4d8c;background:#fff;color:#0a4d8c;font-size:14px;font-weight:600;line-height:1.3;text-align:left}',
    '.qr button:hover{background:#e8f0f9}',
    '.qr button:disabled{opacity:.5;cursor:default}',

    '.typing{display:flex;align-items:center;gap:8px;margin:10px 0 4px;font-size:13px;color:#4a5563}',
    '.dots{display:inline-flex;gap:4px;padding:10px 12px;background:#fff;border:1px solid #dde3eb;border-radius:16px;border-top-left-radius:4px}',
    '.dots i{width:7px;height:7px;border-radius:50%;background:#6b7685;animation:kefu-dot 1.2s infinite ease-in-out}',
    '.dots i:nth-child(2){animation-delay:.15s}.dots i:nth-child(3){animation-delay:.3s}',
    '@keyframes kefu-dot{0%,60%,100%{transform:translateY(0);opacity:.5}30%{transform:translateY(-4px);opacity:1}}',

    '.ended{flex:none;padding:12px 16px;border-top:1px solid #e3e8ef;background:#fff;text-align:center}',
    '.ended p{margin:0 0 8px;color:#4a5563;font-size:14px}',
    '.primary{min-height:44px;padding:8px 18px;border:0;border-radius:22px;background:#0a4d8c;color:#fff;font-weight:600}',
    '.primary:hover{background:#083e72}',

    '.composer{flex:none;display:flex;align-items:flex-end;gap:8px;padding:10px 12px 4px;border-top:1px solid #e3e8ef;background:#fff}',
    'textarea{flex:1;min-width:0;resize:none;min-height:44px;max-height:132px;padding:10px 12px;border:1px solid #7b8794;border-radius:12px;',
    'font:inherit;font-size:16px;line-height:1.4;color:#17212f;background:#fff;overflow-y:auto}',
    'textarea::placeholder{color:#6b7482}',
    'textarea:focus{outline:none;border-color:#0a4d8c;box-shadow:0 0 0 3px rgba(10,77,140,.25)}',
    'textarea:disabled{background:#f1f3f6}',
    '.send{flex:none;width:44px;height:44px;border:0;border-radius:50%;background:#0a4d8c;color:#fff;display:flex;align-items:center;justify-content:center}',
    '.send svg{width:22px;height:22px;fill:currentColor}',
    '.send:hover{background:#083e72}',
    '.send:disabled{background:#9aa6b5;cursor:default}',
    '.send:focus-visible{outline:none;box-shadow:0 0 0 3px #fff,0 0 0 5px #0a4d8c}',
    '.foot{flex:none;margin:0;padding:4px 14px 10px;font-size:12px;line-height:1.4;color:#5b6472;background:#fff;text-align:center}',
    '.notice{flex:none;margin:0;padding:6px 14px;font-size:13px;color:#b71c1c;background:#fff}',

    '@media (max-width:480px){',
    '.panel{inset:0;right:0;bottom:0;width:100%;height:100%;height:100dvh;max-height:none;border-radius:0;border:0}',
    ':host([data-open]) .launcher{display:none}',
    '.launcher{right:16px;bottom:16px}',
    '}',
    '@media (prefers-reduced-motion:reduce){*{animation:none!important;transition:none!important;scroll-behavior:auto!important}}',
    '@media (forced-colors:active){.bubble,.launcher,.send,.qr button{border:1px solid CanvasText}}',
  ].join('\n');

  // ---------------------------------------------------------------------------------------------
  // DOM
  // ---------------------------------------------------------------------------------------------
  // A custom element name, so that the host page's rules for div and the like do not match it.
  var host = h('kefu-widget', { id: 'kefu-widget' });
  var root = host.attachShadow({ mode: 'open' });
  try {
    // Constructed stylesheets are not blocked by a host page's style-src CSP.
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(CSS);
    root.adoptedStyleSheets = [sheet];
  } catch (e) {
    root.appendChild(h('style', { text: CSS }));
  }

  function i18n(node, key, attr) {
    node.setAttribute(attr ? 'data-i18n-' + attr : 'data-i18n', key);
    return node;
  }

  var badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
  var launcher = h('button', {
    type: 'button', class: 'launcher', 'data-testid': 'launcher', 'aria-expanded': 'false', 'aria-controls': 'kefu-panel',
  });
  var chatIcon = icon(ICON_CHAT); chatIcon.setAttribute('class', 'i-chat');
  var closeIcon = icon(ICON_CLOSE); closeIcon.setAttribute('class', 'i-close');
  launcher.appendChild(chatIcon);
  launcher.appendChild(closeIcon);
  launcher.appendChild(badge);

  var titleEl = h('h2', { class: 'title', id: 'kefu-title' });
  if (!data.title) i18n(titleEl, 'title');
  else titleEl.textContent = data.title;
  var subtitleEl = i18n(h('p', { class: 'subtitle' }), 'subtitle');

  var langZh = h('button', { type: 'button', 'data-lang': 'zh', lang: 'zh-CN' }, [h('span', { text: '中文' })]);
  var langEn = h('button', { type: 'button', 'data-lang': 'en', lang: 'en' }, [h('span', { text: 'EN' })]);
  var langGroup = i18n(h('div', { class: 'lang', role: 'group', 'data-testid': 'language-switch' }, [langZh, langEn]), 'language', 'aria-label');
  var newBtn = i18n(i18n(h('button', { type: 'button', class: 'hbtn', 'data-testid': 'new-conversation' }, [icon(ICON_NEW)]), 'new_conversation', 'aria-label'), 'new_conversation', 'title');
  var closeBtn = i18n(i18n(h('button', { type: 'button', class: 'hbtn', 'data-testid': 'close' }, [icon(ICON_CLOSE)]), 'close', 'aria-label'), 'close', 'title');

  var statusEl = h('div', { class: 'status', role: 'status', 'data-testid': 'connection-status', 'data-state': 'idle', hidden: true });
  var log = i18n(h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'data-testid': 'message-list' }), 'log', 'aria-label');
  var typingText = h('span', { class: 'typing-text' });
  var typingEl = h('div', { class: 'typing', 'data-testid': 'typing-indicator', hidden: true }, [
    h('span', { class: 'dots', 'aria-hidden': 'true' }, [h('i'), h('i'), h('i')]), typingText,
  ]);
  var scroller = h('div', { class: 'scroll' }, [log, typingEl]);

  // Hand-off status and queue position (docs/desk.md): shown while a person has or will take the chat.
  var deskLine = h('p', { class: 'desk-line', 'data-testid': 'desk-status' });
  var queueLine = h('p', { class: 'queue-line', 'data-testid': 'queue-position', hidden: true });
  var deskEl = h('div', { class: 'desk', role: 'status', hidden: true }, [deskLine, queueLine]);

  var endedText = i18n(h('p'), 'ended');
  var endedNewBtn = i18n(h('button', { type: 'button', class: 'primary', 'data-testid': 'ended-new-conversation' }), 'new_conversation');
  var endedEl = h('div', { class: 'ended', 'data-testid': 'ended-banner', hidden: true }, [endedText, endedNewBtn]);

  var noticeEl = h('p', { class: 'notice', role: 'alert', 'data-testid': 'notice', hidden: true });
  var input = i18n(h('textarea', {
    id: 'kefu-input', rows: '1', 'data-testid': 'input', autocomplete: 'off', enterkeyhint: 'send', 'aria-describedby': 'kefu-hint',
  }), 'placeholder', 'placeholder');
  var inputLabel = i18n(h('label', { for: 'kefu-input', class: 'sr-only' }), 'input_label');
  var sendBtn = i18n(i18n(h('button', { type: 'submit', class: 'send', 'data-testid': 'send' }, [icon(ICON_SEND)]), 'send', 'aria-label'), 'send', 'title');
  var form = h('form', { class: 'composer', novalidate: true }, [inputLabel, input, sendBtn]);
  var hint = i18n(h('span', { id: 'kefu-hint', class: 'sr-only' }), 'hint');
  var foot = i18n(h('p', { class: 'foot' }), 'privacy');

  var panel = h('section', {
    class: 'panel', id: 'kefu-panel', role: 'dialog', 'aria-modal': 'false', 'data-testid': 'panel', hidden: true,
  }, [
    h('header', { class: 'head' }, [
      h('div', { class: 'brand' }, [titleEl, subtitleEl]),
      h('div', { class: 'tools' }, [langGroup, newBtn, closeBtn]),
    ]),
    statusEl, deskEl, scroller, endedEl, noticeEl, form, hint, foot,
  ]);
  i18n(panel, 'dialog', 'aria-label');

  root.appendChild(launcher);
  root.appendChild(panel);

  function applyLanguage() {
    panel.setAttribute('lang', lang === 'zh' ? 'zh-CN' : 'en');
    var nodes = root.querySelectorAll('[data-i18n],[data-i18n-aria-label],[data-i18n-placeholder],[data-i18n-title]');
    Array.prototype.forEach.call(nodes, function (n) {
      if (n.hasAttribute('data-i18n')) n.textContent = t(n.getAttribute('data-i18n'));
      if (n.hasAttribute('data-i18n-aria-label')) n.setAttribute('aria-label', t(n.getAttribute('data-i18n-aria-label')));
      if (n.hasAttribute('data-i18n-placeholder')) n.setAttribute('placeholder', t(n.getAttribute('data-i18n-placeholder')));
      if (n.hasAttribute('data-i18n-title')) n.setAttribute('title', t(n.getAttribute('data-i18n-title')));
    });
    Array.prototype.forEach.call(root.querySelectorAll('time[data-ts]'), function (n) {
      n.textContent = formatTime(n.getAttribute('data-ts'));
    });
    langZh.setAttribute('aria-pressed', String(lang === 'zh'));
    langEn.setAttribute('aria-pressed', String(lang === 'en'));
    updateLauncherLabel();
    renderTyping();
    renderStatus();
    renderDesk();
  }

  function formatTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    try {
      return d.toLocaleTimeString(lang === 'zh' ? 'zh-CN' : 'en-US', { hour: 'numeric', minute: '2-digit' });
    } catch (e) {
      return d.toTimeString().slice(0, 5);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Transcript
  // ---------------------------------------------------------------------------------------------
  var byId = new Map(); // message id -> row element
  var bySeq = new Map(); // seq -> row element
  var pending = new Map(); // client_message_id -> row element (not yet acknowledged)
  var seenSeqs = new Set(); // seqs above the contiguous watermark
  var watermark = 0; // every seq 1..watermark is rendered in this page
  var ended = false;
  var unread = 0;

  function isNearBottom() {
    return scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 80;
  }
  function scrollToBottom() {
    scroller.scrollTop = scroller.scrollHeight;
  }

  function roleLabel(role) {
    return h('span', { class: 'sr-only', 'data-i18n': 'role_' + role, text: t('role_' + role) });
  }

  function buildRow(role, text, agentName) {
    var row = h('div', { class: 'row ' + role, 'data-testid': 'message', 'data-role': role });
    // An agent message names its sender when the server says who it is (docs/desk.md).
    if (role === 'agent' && agentName) row.appendChild(h('div', { class: 'who', text: agentName }));
    else if (role === 'agent') row.appendChild(h('div', { class: 'who', 'data-i18n': 'role_agent', text: t('role_agent') }));
    else row.appendChild(roleLabel(role));
    var bubble = h('div', { class: 'bubble', 'data-testid': 'message-text' });
    if (role === 'bot' || role === 'agent') bubble.appendChild(renderMarkdown(text));
    else bubble.textContent = text;
    row.appendChild(bubble);
    row.appendChild(h('div', { class: 'meta' }));
    return row;
  }

  function setMeta(row, iso, extraKey) {
    var meta = row.querySelector('.meta');
    meta.textContent = '';
    if (iso) meta.appendChild(h('time', { datetime: iso, 'data-ts': iso, text: formatTime(iso) }));
    if (extraKey) meta.appendChild(h('span', { 'data-i18n': extraKey, text: t(extraKey) }));
  }

  function insertRow(row, seq) {
    // Keep rows ordered by seq; unacknowledged rows (no seq yet) stay at the end.
    var children = log.children;
    var before = null;
    for (var i = children.length - 1; i >= 0; i--) {
      var s = children[i].getAttribute('data-seq');
      if (s !== null && Number(s) < seq) break;
      before = children[i];
    }
    log.insertBefore(row, before);
  }

  function addQuickReplies(row, replies) {
    if (!Array.isArray(replies) || !replies.length) return;
    var group = h('div', { class: 'qr', role: 'group', 'data-testid': 'quick-replies', 'data-i18n-aria-label': 'quick_replies', 'aria-label': t('quick_replies') });
    replies.forEach(function (qr) {
      if (!qr || typeof qr.label !== 'string') return;
      var payload = typeof qr.payload === 'string' && qr.payload ? qr.payload : qr.label;
      var b = h('button', { type: 'button', 'data-testid': 'quick-reply', 'data-payload': payload, text: qr.label });
      b.addEventListener('click', function () {
        if (sendText(payload)) input.focus();
      });
      group.appendChild(b);
    });
    row.appendChild(group);
  }

  // Quick replies belong to the bot's current turn: they are shown only on bot messages that come
  // after the customer's last message, and hidden once the customer has answered.
  function refreshQuickReplies() {
    var lastCustomer = 0;
    var hasPending = pending.size > 0;
    bySeq.forEach(function (row, seq) {
      if (row.getAttribute('data-role') === 'customer' && seq > lastCustomer) lastCustomer = seq;
    });
    Array.prototype.forEach.call(log.querySelectorAll('.qr'), function (g) {
      var seq = Number(g.parentNode.getAttribute('data-seq'));
      g.hidden = hasPending || ended || seq < lastCustomer;
    });
  }

  function advanceWatermark(seq) {
    if (seq <= watermark) return;
    seenSeqs.add(seq);
    while (seenSeqs.has(watermark + 1)) {
      watermark += 1;
      seenSeqs.delete(watermark);
    }
  }

  function upsertMessage(m) {
    if (!m || typeof m !== 'object' || typeof m.id !== 'string' || typeof m.seq !== 'number') return;
    if (byId.has(m.id) || bySeq.has(m.seq)) return; // already shown
    var role = ['customer', 'bot', 'agent', 'system'].indexOf(m.role) >= 0 ? m.role : 'system';
    var text = typeof m.text === 'string' ? m.text : '';
    var stick = isNearBottom();
    var row = null;
    if (role === 'customer' && m.client_message_id && pending.has(m.client_message_id)) {
      row = pending.get(m.client_message_id);
      pending.delete(m.client_message_id);
      row.classList.remove('pending', 'failed');
      row.removeAttribute('data-pending');
      row.removeAttribute('data-failed');
      removeFromOutbox(m.client_message_id);
      row.remove();
    } else {
      var agentName = role === 'agent' && m.agent && typeof m.agent.display_name === 'string' ? m.agent.display_name : '';
      row = buildRow(role, text, agentName);
      if (role === 'customer' && m.client_message_id) removeFromOutbox(m.client_message_id);
    }
    row.setAttribute('data-seq', String(m.seq));
    row.setAttribute('data-id', m.id);
    if (m.client_message_id) row.setAttribute('data-client-id', m.client_message_id);
    if (typeof m.in_reply_to === 'number') row.setAttribute('data-in-reply-to', String(m.in_reply_to));
    setMeta(row, m.created_at, null);
    if (role === 'bot' && !row.querySelector('.qr')) addQuickReplies(row, m.quick_replies);
    insertRow(row, m.seq);
    byId.set(m.id, row);
    bySeq.set(m.seq, row);
    advanceWatermark(m.seq);
    state.lastSeq = Math.max(state.lastSeq, watermark);

    if (role === 'bot' || role === 'agent') setTyping(role, false);
    if (role !== 'customer') {
      if (isOpen && document.visibilityState !== 'hidden') state.readSeq = Math.max(state.readSeq, m.seq);
      else if (m.seq > state.readSeq) unread += 1;
    } else {
      state.readSeq = Math.max(state.readSeq, m.seq);
    }
    renderBadge();
    refreshQuickReplies();
    saveState();
    if (stick || role === 'customer') scrollToBottom();
  }

  function renderPending(entry) {
    var row = buildRow('customer', entry.text);
    row.classList.add('pending');
    row.setAttribute('data-pending', 'true');
    row.setAttribute('data-client-id', entry.id);
    setMeta(row, null, 'sending');
    log.appendChild(row);
    pending.set(entry.id, row);
    refreshQuickReplies();
    scrollToBottom();
  }

  function markFailed(clientId, retryable) {
    var row = pending.get(clientId);
    if (!row) return;
    row.classList.remove('pending');
    row.classList.add('failed');
    row.setAttribute('data-failed', 'true');
    setMeta(row, null, 'failed');
    if (retryable) {
      var b = h('button', { type: 'button', class: 'retry', 'data-testid': 'retry', 'data-i18n': 'retry', text: t('retry') });
      b.addEventListener('click', function () {
        var entry = state.outbox.filter(function (e) { return e.id === clientId; })[0];
        if (!entry) return;
        entry.retries = 0;
        entry.sentOn = null;
        entry.failed = false;
        row.classList.remove('failed');
        row.classList.add('pending');
        row.removeAttribute('data-failed');
        setMeta(row, null, 'sending');
        flushOutbox();
      });
      row.querySelector('.meta').appendChild(b);
    } else {
      pending.delete(clientId); // permanently failed: no longer awaiting an ack
      row.removeAttribute('data-pending');
    }
    refreshQuickReplies();
  }

  function removeFromOutbox(clientId) {
    var before = state.outbox.length;
    state.outbox = state.outbox.filter(function (e) { return e.id !== clientId; });
    if (state.outbox.length !== before) saveState();
  }

  function clearTranscript() {
    log.textContent = '';
    byId.clear();
    bySeq.clear();
    pending.clear();
    seenSeqs.clear();
    watermark = 0;
    unread = 0;
    renderBadge();
    setTyping('bot', false);
    setTyping('agent', false);
    resetDesk();
  }

  // ---------------------------------------------------------------------------------------------
  // Typing, status, badge, ended
  // ---------------------------------------------------------------------------------------------
  var typingRoles = { bot: false, agent: false };
  var typingTimers = {};
  function setTyping(role, on) {
    if (role !== 'bot' && role !== 'agent') return;
    typingRoles[role] = !!on;
    clearTimeout(typingTimers[role]);
    if (on) typingTimers[role] = setTimeout(function () { setTyping(role, false); }, 15000);
    renderTyping();
  }
  function renderTyping() {
    var role = typingRoles.agent ? 'agent' : typingRoles.bot ? 'bot' : null;
    var stick = isNearBottom();
    typingEl.hidden = !role;
    if (role) {
      typingEl.setAttribute('data-role', role);
      typingText.textContent = t('typing_' + role);
      if (stick) scrollToBottom();
    }
  }

  var connState = 'idle'; // idle | connecting | online | reconnecting | offline
  var statusTimer = null;
  function setConnState(s) {
    connState = s;
    clearTimeout(statusTimer);
    if (s === 'connecting') {
      // Avoid a flash of "connecting" when the server answers at once.
      statusTimer = setTimeout(renderStatus, 400);
      statusEl.setAttribute('data-state', s);
      return;
    }
    renderStatus();
  }
  function renderStatus() {
    var s = connState;
    if (!navigator.onLine && s !== 'online' && s !== 'idle') s = 'offline';
    statusEl.setAttribute('data-state', s);
    var visible = s === 'connecting' || s === 'reconnecting' || s === 'offline';
    statusEl.hidden = !visible;
    statusEl.textContent = visible ? t(s) : '';
  }

  function renderBadge() {
    badge.hidden = isOpen || unread <= 0;
    badge.textContent = unread > 99 ? '99+' : String(unread);
    updateLauncherLabel();
  }
  function updateLauncherLabel() {
    var label = t(isOpen ? 'close_chat' : 'open_chat');
    if (!isOpen && unread > 0) label += ' (' + unread + ' ' + t('unread') + ')';
    launcher.setAttribute('aria-label', label);
  }

  function setEnded(on) {
    ended = !!on;
    endedEl.hidden = !ended;
    input.disabled = ended;
    sendBtn.disabled = ended;
    form.hidden = ended;
    refreshQuickReplies();
  }

  var noticeTimer = null;
  function showNotice(key) {
    noticeEl.textContent = t(key);
    noticeEl.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () { noticeEl.hidden = true; }, 6000);
  }

  // ---------------------------------------------------------------------------------------------
  // Human desk: hand-off status, queue position and the satisfaction survey (docs/desk.md)
  // ---------------------------------------------------------------------------------------------
  var deskState = { status: 'bot', agentName: '', position: 0, etaS: 0 };
  var surveys = new Map(); // chat_id -> survey element; one survey per chat

  function resetDesk() {
    deskState = { status: 'bot', agentName: '', position: 0, etaS: 0 };
    surveys.clear(); // their elements lived in the cleared log
    renderDesk();
  }

  function onDeskFrame(f) {
    var status = ['queued', 'assigned', 'bot'].indexOf(f.desk_status) >= 0 ? f.desk_status : 'bot';
    deskState.status = status;
    deskState.agentName = f.agent && typeof f.agent.display_name === 'string' ? f.agent.display_name : '';
    if (status !== 'queued') deskState.position = 0;
    if (status === 'assigned') setTyping('bot', false);
    renderDesk();
  }

  function onQueueFrame(f) {
    var position = Number(f.position);
    deskState.position = position > 0 ? Math.floor(position) : 0;
    deskState.etaS = Number(f.eta_s) > 0 ? Number(f.eta_s) : 0;
    // A queue frame means the chat waits for a person even if the desk frame was missed.
    if (deskState.status === 'bot' && deskState.position) deskState.status = 'queued';
    renderDesk();
  }

  function renderDesk() {
    var s = deskState;
    deskEl.hidden = s.status === 'bot';
    deskEl.setAttribute('data-state', s.status);
    deskLine.setAttribute('data-state', s.status);
    if (s.status === 'queued') deskLine.textContent = t('desk_queued');
    else if (s.status === 'assigned') deskLine.textContent = s.agentName ? tf('desk_assigned', { name: s.agentName }) : t('desk_assigned_anon');
    else deskLine.textContent = '';
    var showQueue = s.status === 'queued' && s.position > 0;
    queueLine.hidden = !showQueue;
    queueLine.textContent = showQueue ? tf(s.position > 1 ? 'queue_position' : 'queue_next', {
      n: s.position, ahead: s.position - 1, min: Math.max(1, Math.round(s.etaS / 60)),
    }) : '';
    if (showQueue) queueLine.setAttribute('data-position', String(s.position));
    else queueLine.removeAttribute('data-position');
  }

  function showSurvey(chatId) {
    if (typeof chatId !== 'string' || !chatId || surveys.has(chatId)) return;
    var stick = isNearBottom();
    var score = 0;
    var titleId = 'kefu-csat-' + surveys.size;
    var stars = [];
    var starGroup = i18n(h('div', { class: 'stars', role: 'group' }), 'csat_stars', 'aria-label');
    var comment = h('textarea', { id: titleId + '-comment', rows: '2', maxlength: '1000', 'data-testid': 'csat-comment' });
    var submit = i18n(h('button', { type: 'button', class: 'primary', 'data-testid': 'csat-submit', disabled: true }), 'csat_submit');
    var error = i18n(h('p', { class: 'err', role: 'alert', hidden: true }), 'csat_failed');
    for (var n = 1; n <= 5; n++) {
      var star = i18n(h('button', {
        type: 'button', 'data-testid': 'csat-star-' + n, 'data-score': String(n), 'aria-pressed': 'false',
      }, [h('span', { 'aria-hidden': 'true', text: '★' })]), 'csat_star_' + n, 'aria-label');
      star.addEventListener('click', function (e) {
        score = Number(e.currentTarget.getAttribute('data-score'));
        stars.forEach(function (b, i) {
          b.classList.toggle('lit', i < score);
          b.setAttribute('aria-pressed', String(i + 1 === score));
        });
        submit.disabled = false;
      });
      stars.push(star);
      starGroup.appendChild(star);
    }
    var survey = h('div', { class: 'survey', role: 'group', 'aria-labelledby': titleId, 'data-testid': 'csat-survey', 'data-chat-id': chatId }, [
      i18n(h('h3', { id: titleId }), 'csat_title'),
      starGroup,
      i18n(h('label', { for: titleId + '-comment' }), 'csat_comment'),
      comment, error, submit,
    ]);
    submit.addEventListener('click', function () {
      if (!score) return;
      submit.disabled = true;
      error.hidden = true;
      submitSurvey(chatId, score, comment.value.trim()).then(function (done) {
        if (done) surveyThanks(survey);
        else {
          error.hidden = false;
          submit.disabled = false;
        }
      });
    });
    surveys.set(chatId, survey);
    applyText(survey);
    log.appendChild(survey); // no seq: later messages are inserted before it, so it stays last
    if (stick || isOpen) scrollToBottom();
  }

  // Translates the data-i18n attributes inside a freshly built node (applyLanguage does it on a switch).
  function applyText(node) {
    var nodes = [node].concat(Array.prototype.slice.call(node.querySelectorAll('[data-i18n],[data-i18n-aria-label]')));
    nodes.forEach(function (n) {
      if (n.hasAttribute('data-i18n')) n.textContent = t(n.getAttribute('data-i18n'));
      if (n.hasAttribute('data-i18n-aria-label')) n.setAttribute('aria-label', t(n.getAttribute('data-i18n-aria-label')));
    });
  }

  function surveyThanks(survey) {
    var hadFocus = root.activeElement && survey.contains(root.activeElement);
    survey.textContent = '';
    var thanks = i18n(h('p', { class: 'thanks', role: 'status', tabindex: '-1', 'data-testid': 'csat-thanks' }), 'csat_thanks');
    thanks.textContent = t('csat_thanks');
    survey.appendChild(thanks);
    if (hadFocus) thanks.focus();
  }

  /** Posts the answer with the conversation's access token; resolves true when it is stored (201) or already was (409). */
  function submitSurvey(chatId, score, text) {
    var body = { chat_id: chatId, score: score };
    if (text) body.comment = text;
    return fetch(apiUrl + '/conversations/' + encodeURIComponent(state.conversationId || '') + '/csat', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + (state.accessToken || '') },
      body: JSON.stringify(body),
      credentials: 'omit',
      cache: 'no-store',
    }).then(function (res) {
      return res.status === 201 || res.status === 200 || res.status === 409;
    }, function () {
      return false;
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Connection
  // ---------------------------------------------------------------------------------------------
  var ws = null;
  var ready = false; // `opened` received on the current socket
  var generation = 0; // increases with each socket; outbox entries remember where they were sent
  var wanted = false; // we want to be connected
  var attempt = 0;
  var reconnectTimer = null;
  var heartbeatTimer = null;
  var pongTimer = null;
  var connectTimer = null;
  var testBlocked = false;
  var testDropAfterSend = false;
  var testFrames = []; // frames received, recorded only in test mode
  var localTyping = false;
  var localTypingTimer = null;

  function connect() {
    wanted = true;
    if (ws) return;
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    if (testBlocked) { setConnState('reconnecting'); return; }
    setConnState(attempt === 0 && !everConnected ? 'connecting' : 'reconnecting');
    var sock;
    try {
      sock = new WebSocket(wsUrl);
    } catch (e) {
      scheduleReconnect();
      return;
    }
    ws = sock;
    ready = false;
    generation += 1;
    connectTimer = setTimeout(function () { if (ws === sock && !ready) dropSocket(); }, CONNECT_TIMEOUT_MS);
    sock.onopen = function () {
      if (ws !== sock) return;
      sendOpen();
      startHeartbeat();
    };
    sock.onmessage = function (ev) {
      if (ws !== sock) return;
      clearTimeout(pongTimer);
      pongTimer = null;
      var frame;
      try { frame = JSON.parse(ev.data); } catch (e) { return; }
      if (frame && typeof frame === 'object') {
        if (testMode) testFrames.push(frame);
        handleFrame(frame);
      }
    };
    sock.onclose = function () {
      if (ws !== sock) return;
      detach();
      if (wanted) scheduleReconnect();
      else setConnState('idle');
    };
    sock.onerror = function () { /* a close event follows */ };
  }

  function detach() {
    ws = null;
    ready = false;
    clearTimeout(connectTimer);
    stopHeartbeat();
    setTyping('bot', false);
    setTyping('agent', false);
    localTyping = false;
  }

  // Gives up on the current socket at once (dead network, time-out) and schedules a reconnect.
  function dropSocket() {
    var sock = ws;
    if (!sock) return;
    detach();
    try { sock.close(); } catch (e) { /* ignore */ }
    if (wanted) scheduleReconnect();
  }

  function scheduleReconnect(immediate) {
    if (!wanted || reconnectTimer || ws) return;
    setConnState('reconnecting');
    if (testBlocked) return;
    var delay = 0;
    if (!immediate) {
      var ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * Math.pow(2, attempt));
      delay = ceiling / 2 + Math.random() * (ceiling / 2); // "equal jitter"
      attempt += 1;
    }
    reconnectTimer = setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function send(frame) {
    if (!ws || ws.readyState !== 1) return false;
    try {
      ws.send(JSON.stringify(frame));
      return true;
    } catch (e) {
      return false;
    }
  }

  function sendOpen() {
    var frame = { type: 'open' };
    if (state.conversationId && state.accessToken) {
      frame.conversation_id = state.conversationId;
      frame.access_token = state.accessToken;
      // After a page load nothing is rendered yet, so the whole transcript comes back.
      frame.after = watermark;
    } else {
      frame.channel = channel;
      frame.language = lang;
    }
    send(frame);
  }

  function startHeartbeat() {
    stopHeartbeat();
    heartbeatTimer = setInterval(function () {
      if (!send({ type: 'ping' })) return;
      clearTimeout(pongTimer);
      pongTimer = setTimeout(dropSocket, PONG_TIMEOUT_MS);
    }, HEARTBEAT_MS);
  }
  function stopHeartbeat() {
    clearInterval(heartbeatTimer);
    clearTimeout(pongTimer);
    heartbeatTimer = null;
    pongTimer = null;
  }

  var everConnected = false;

  function handleFrame(f) {
    switch (f.type) {
      case 'opened': onOpened(f); break;
      case 'ack': onAck(f); break;
      case 'message': upsertMessage(f.message); break;
      case 'typing': setTyping(f.role, f.state === true); break;
      case 'status':
        if (f.status === 'ended') setEnded(true);
        else if (f.status === 'open') setEnded(false);
        break;
      case 'error': onError(f); break;
      case 'desk': onDeskFrame(f); break;
      case 'queue': onQueueFrame(f); break;
      case 'csat_request': showSurvey(f.chat_id); break;
      default: break; // pong and future frame types
    }
  }

  function onOpened(f) {
    var conv = f.conversation || {};
    clearTimeout(connectTimer);
    ready = true;
    attempt = 0;
    everConnected = true;
    if (typeof f.access_token === 'string' && typeof conv.id === 'string') {
      if (state.conversationId !== conv.id) {
        // A new conversation: whatever was rendered belonged to another one.
        var keep = state.outbox;
        clearTranscript();
        state = emptyState();
        state.outbox = keep;
        keep.forEach(function (e) { e.sentOn = null; renderPending(e); });
      }
      state.conversationId = conv.id;
      state.accessToken = f.access_token;
    }
    var before = watermark;
    (f.messages || []).forEach(upsertMessage);
    if (f.has_more === true && watermark > before) {
      // The server caps a resume; reopen from where this page ended to fetch the rest.
      dropSocketNow();
      scheduleReconnect(true);
      return;
    }
    setEnded(conv.status === 'ended');
    // A resumed conversation may already be with the desk (when the server includes its status).
    if (typeof conv.desk_status === 'string') onDeskFrame({ desk_status: conv.desk_status, agent: conv.agent || null });
    if (isOpen) markRead();
    saveState();
    setConnState('online');
    flushOutbox();
    checkPendingSurvey();
  }

  /** A reloaded page asks whether the customer still owes a survey for an ended chat, and shows it again. */
  function checkPendingSurvey() {
    if (!state.conversationId || !state.accessToken) return;
    fetch(apiUrl + '/conversations/' + encodeURIComponent(state.conversationId) + '/csat', {
      headers: { Authorization: 'Bearer ' + state.accessToken },
      credentials: 'omit',
      cache: 'no-store',
    }).then(function (res) {
      return res.ok ? res.json() : null;
    }).then(function (body) {
      if (body && body.pending && typeof body.pending.chat_id === 'string') showSurvey(body.pending.chat_id);
    }, function () { /* offline: the next open asks again */ });
  }

  function onAck(f) {
    var id = f.client_message_id;
    if (f.message) upsertMessage(f.message);
    if (typeof id === 'string') {
      removeFromOutbox(id);
      var row = pending.get(id);
      if (row && !f.message) { pending.delete(id); row.classList.remove('pending'); setMeta(row, null, null); }
    }
  }

  function onError(f) {
    var id = f.client_message_id;
    var entry = typeof id === 'string' ? state.outbox.filter(function (e) { return e.id === id; })[0] : null;
    if (f.code === 'not_found') {
      // The stored conversation is gone (or the token no longer works): start a fresh one and
      // deliver the outbox there. The server closes the socket after this error.
      forgetConversation();
      if (ws) dropSocketNow();
      scheduleReconnect(true);
      return;
    }
    if (!entry) return;
    if (f.code === 'conversation_ended') {
      removeFromOutbox(id);
      markFailed(id, false);
      setEnded(true);
    } else if (RETRYABLE.indexOf(f.code) >= 0) {
      entry.retries = (entry.retries || 0) + 1;
      entry.sentOn = null;
      if (entry.retries > MAX_SEND_RETRIES) {
        entry.failed = true;
        markFailed(id, true);
        return;
      }
      var delay = Math.min(30000, 1000 * Math.pow(2, entry.retries - 1)) * (0.5 + Math.random() / 2);
      setTimeout(flushOutbox, delay);
    } else {
      // invalid_argument, conflict, payload_too_large...: retrying cannot help.
      removeFromOutbox(id);
      markFailed(id, false);
      if (f.code === 'payload_too_large' || f.code === 'invalid_argument') showNotice('too_long');
    }
  }

  function dropSocketNow() {
    var sock = ws;
    detach();
    try { sock.close(); } catch (e) { /* ignore */ }
  }

  function forgetConversation() {
    var keep = state.outbox;
    clearTranscript();
    state = emptyState();
    state.outbox = keep;
    keep.forEach(function (e) { e.sentOn = null; renderPending(e); });
    setEnded(false);
    saveState();
  }

  function flushOutbox() {
    if (!ready) return;
    state.outbox.forEach(function (entry) {
      if (entry.sentOn === generation || entry.failed) return;
      if (send({ type: 'message', client_message_id: entry.id, text: entry.text })) {
        entry.sentOn = generation;
        if (testDropAfterSend) {
          testDropAfterSend = false;
          // Simulates a connection lost before the ack arrives (the message may or may not have
          // reached the server); the resend after resuming must not duplicate it.
          dropSocket();
        }
      }
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Sending
  // ---------------------------------------------------------------------------------------------
  function sendText(raw) {
    var text = String(raw == null ? '' : raw).trim();
    if (!text || ended) return false;
    if (Array.from(text).length > MAX_TEXT_CHARS || utf8Length(text) > MAX_TEXT_BYTES) {
      showNotice('too_long');
      return false;
    }
    noticeEl.hidden = true;
    setLocalTyping(false);
    var entry = { id: newClientId(), text: text, at: Date.now() };
    state.outbox.push(entry);
    saveState();
    renderPending(entry);
    if (!ws) connect();
    else flushOutbox();
    return true;
  }

  function setLocalTyping(on) {
    clearTimeout(localTypingTimer);
    if (on) localTypingTimer = setTimeout(function () { setLocalTyping(false); }, 4000);
    if (on === localTyping) return;
    localTyping = on;
    if (ready) send({ type: 'typing', state: on });
  }

  function autosize() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 132) + 'px';
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    if (sendText(input.value)) {
      input.value = '';
      autosize();
    }
    input.focus();
  });
  input.addEventListener('keydown', function (e) {
    // Never send on the Enter that confirms an IME composition (Chinese input methods).
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      if (typeof form.requestSubmit === 'function') form.requestSubmit();
      else form.dispatchEvent(new Event('submit', { cancelable: true }));
    }
  });
  input.addEventListener('input', function () {
    autosize();
    setLocalTyping(input.value.trim().length > 0);
  });
  input.addEventListener('blur', function () { setLocalTyping(false); });

  // ---------------------------------------------------------------------------------------------
  // Opening, closing, language, new conversation
  // ---------------------------------------------------------------------------------------------
  var isOpen = false;
  var openKey = storageKey + ':open';

  function markRead() {
    state.readSeq = Math.max(state.readSeq, watermark);
    unread = 0;
    renderBadge();
  }

  function open(opts) {
    var focus = !opts || opts.focus !== false;
    if (!isOpen) {
      isOpen = true;
      panel.hidden = false;
      host.setAttribute('data-open', '');
      launcher.setAttribute('aria-expanded', 'true');
      storageSet('sessionStorage', openKey, '1');
      markRead();
      saveState();
      scrollToBottom();
    }
    connect();
    if (focus) {
      if (!input.disabled) input.focus();
      else endedNewBtn.focus();
    }
  }

  function close() {
    if (!isOpen) return;
    var hadFocus = root.activeElement !== null;
    isOpen = false;
    panel.hidden = true;
    host.removeAttribute('data-open');
    launcher.setAttribute('aria-expanded', 'false');
    storageSet('sessionStorage', openKey, null);
    setLocalTyping(false);
    renderBadge();
    if (hadFocus) launcher.focus();
  }

  function hasCustomerMessages() {
    if (state.outbox.length || pending.size) return true;
    var found = false;
    bySeq.forEach(function (row) { if (row.getAttribute('data-role') === 'customer') found = true; });
    return found;
  }

  function setLanguage(next) {
    if (next !== 'zh' && next !== 'en') return;
    var changed = next !== lang;
    lang = next;
    storageSet('localStorage', storageKey + ':lang', lang);
    applyLanguage();
    // The conversation language is fixed when it is created. While the customer has not said
    // anything yet, start over so the greeting and suggestions come in the chosen language.
    if (changed && state.conversationId && !hasCustomerMessages() && !ended) newConversation();
  }

  function newConversation() {
    if (ready && state.conversationId && !ended) send({ type: 'end' });
    if (ws) dropSocketNow();
    clearTimeout(reconnectTimer);
    reconnectTimer = null;
    clearTranscript();
    state = emptyState();
    saveState();
    setEnded(false);
    attempt = 0;
    if (wanted || isOpen) connect();
    if (isOpen && !input.disabled) input.focus();
  }

  launcher.addEventListener('click', function () {
    if (isOpen) close();
    else open();
  });
  closeBtn.addEventListener('click', close);
  newBtn.addEventListener('click', newConversation);
  endedNewBtn.addEventListener('click', newConversation);
  langZh.addEventListener('click', function () { setLanguage('zh'); });
  langEn.addEventListener('click', function () { setLanguage('en'); });
  panel.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && !e.isComposing) {
      e.preventDefault();
      e.stopPropagation();
      close();
      launcher.focus();
    }
  });

  // Declarative hooks for the host page: data-kefu-send="text" and data-kefu-open.
  document.addEventListener('click', function (e) {
    var target = e.target && e.target.closest ? e.target.closest('[data-kefu-send],[data-kefu-open]') : null;
    if (!target) return;
    e.preventDefault();
    open();
    var text = target.getAttribute('data-kefu-send');
    if (text) sendText(text);
  });

  window.addEventListener('online', function () {
    renderStatus();
    if (wanted && !ws && !testBlocked) {
      attempt = 0;
      clearTimeout(reconnectTimer);
      reconnectTimer = null;
      connect();
    }
  });
  window.addEventListener('offline', renderStatus);
  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState !== 'visible') return;
    if (isOpen) markRead();
    if (wanted && !ws && !testBlocked) {
      clearTimeout(reconnectTimer);
      reconnectTimer = null;
      connect();
    }
  });
  window.addEventListener('storage', function (e) {
    if (e.key === storageKey + ':lang' && (e.newValue === 'zh' || e.newValue === 'en') && e.newValue !== lang) {
      lang = e.newValue;
      applyLanguage();
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Public API and start-up
  // ---------------------------------------------------------------------------------------------
  var api = {
    __kefu: true,
    open: function () { open(); },
    close: close,
    toggle: function () { if (isOpen) close(); else open(); },
    setLanguage: setLanguage,
    send: function (text) { open(); return sendText(text); },
    newConversation: newConversation,
    mounted: true,
    renderMarkdown: renderMarkdown,
  };
  if (testMode) {
    api.__test = {
      /** Closes the socket; with block, no reconnect happens until resume(). */
      drop: function (opts) {
        testBlocked = !!(opts && opts.block);
        if (ws) dropSocket();
        else setConnState('reconnecting');
      },
      resume: function () {
        testBlocked = false;
        attempt = 0;
        clearTimeout(reconnectTimer);
        reconnectTimer = null;
        connect();
      },
      /** Closes the socket right after the next message frame is written, before its ack. */
      dropAfterNextSend: function () { testDropAfterSend = true; },
      /** Writes a raw frame on the current socket (e.g. to replay a message). */
      sendRaw: function (frame) { return send(frame); },
      /** Frames received from the server so far. */
      frames: function () { return JSON.parse(JSON.stringify(testFrames)); },
      state: function () { return JSON.parse(JSON.stringify({ state: state, watermark: watermark, connState: connState, ready: ready })); },
      wsUrl: wsUrl,
    };
  }
  window.KefuWidget = api;

  function start() {
    document.body.appendChild(host);
    applyLanguage();
    // Messages typed before a reload are shown as pending until the server acknowledges them.
    state.outbox.forEach(renderPending);
    var reopen = data.open === 'true' || storageGet('sessionStorage', openKey) === '1';
    if (reopen) open({ focus: data.open === 'true' });
    else if (state.conversationId || state.outbox.length) connect();
  }
  if (document.body) start();
  else document.addEventListener('DOMContentLoaded', start);
})();
