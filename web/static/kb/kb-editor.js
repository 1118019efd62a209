/*!
 * Kefu knowledge-base editor (/kb/). Plain JavaScript, no dependencies, no build step.
 *
 * Talks to the KB admin API of docs/kb.md with a staff token (Authorization: Bearer), kept in
 * sessionStorage for this tab only. Views are addressed by the URL hash, so Back/Forward and links work:
 *   #/entries?q=&status=&category=&lang=&offset=   the entry list
 *   #/entries/ID                                   the editor of one entry
 *   #/entries/ID/history                           its versions, a diff against the current one, rollback
 *   #/new?question=&lang=                          a new entry (optionally prefilled, e.g. from a gap)
 *   #/import, #/gaps                               file import; unanswered-question clusters
 *
 * All data reaches the DOM through textContent and createElement, never through HTML parsing. Answer
 * previews use window.KefuWidget.renderMarkdown, the widget's own renderer (loaded with
 * data-kefu-no-mount), so the preview is exactly what customers see.
 * Every UI string lives in STRINGS and is applied through data-i18n attributes, as in the widget.
 */
(function () {
  'use strict';

  var API = '/api/v1/kb';
  var LANGS = ['zh', 'en'];
  var PAGE_SIZE = 50;
  var TOKEN_KEY = 'kefu:kb:token';
  var LANG_KEY = 'kefu:kb:lang';
  var ID_PATTERN = /^[a-z0-9._-]{1,64}$/;

  // ---------------------------------------------------------------------------------------------
  // Strings
  // ---------------------------------------------------------------------------------------------
  var STRINGS = {
    zh: {
      page_title: '知识库编辑器 · Kefu',
      app_title: '知识库编辑器',
      skip: '跳到主要内容',
      nav: '知识库',
      nav_entries: '条目',
      nav_import: '导入',
      nav_gaps: '未解答问题',
      language: '界面语言',
      sign_out: '退出登录',

      signin_title: '登录',
      signin_intro: '请输入员工令牌。令牌只保存在当前标签页，关闭标签页即清除。',
      token_label: '员工令牌',
      token_hint: '管理员令牌在服务器存储目录的 admin-token 文件中；其他员工令牌用 kefu staff add 创建（角色 kb_editor 或 admin）。',
      sign_in: '登录',
      signing_in: '正在验证…',
      signed_out: '您已退出登录。',
      token_required: '请输入令牌。',
      err_unauthorized: '令牌无效或已失效，请重新登录。',
      err_forbidden: '您的角色无权使用知识库（需要 kb_editor 或 admin 角色）。',
      err_network: '无法连接服务器，请检查网络后重试。',
      err_generic: '操作失败：{message}',
      err_not_found: '没有找到条目 {id}。',
      request_id: '请求编号 {id}',
      loading: '正在加载…',

      list_title: '知识库条目',
      filters: '筛选条目',
      search_label: '搜索',
      search_placeholder: '问题、答案或 ID',
      search_button: '搜索',
      filter_status: '状态',
      filter_category: '分类',
      filter_lang: '语言',
      any: '全部',
      not_archived: '未归档的',
      all_statuses: '全部（含已归档）',
      status_draft: '草稿',
      status_in_review: '待审核',
      status_published: '已发布',
      status_archived: '已归档',
      lang_zh: '中文',
      lang_en: '英文',
      new_entry: '新建条目',
      col_id: 'ID',
      col_question: '问题',
      col_status: '状态',
      col_version: '版本',
      col_updated: '最近更新',
      col_action: '操作',
      col_author: '作者',
      col_reviewer: '审核人',
      col_time: '时间',
      col_tools: '比较',
      results: '第 {from}–{to} 条，共 {total} 条',
      no_results: '没有符合条件的条目。',
      paging: '翻页',
      prev_page: '上一页',
      next_page: '下一页',
      no_question: '（无问题）',

      editor_new_title: '新建条目',
      editor_title: '编辑条目 {id}',
      back_to_list: '← 返回列表',
      back_to_entry: '← 返回条目',
      history: '历史版本',
      sec_meta: '分类、标签和生效日期',
      field_id: '条目 ID（可选）',
      field_id_hint: '留空则自动生成；只能使用 a-z 0-9 - _ .，创建后不能修改。',
      field_category: '分类',
      field_tags: '标签',
      field_tags_hint: '多个标签用逗号分隔。',
      field_from: '生效日期',
      field_until: '失效日期',
      field_dates_hint: '含当天（服务器时区）；留空表示不限。',
      content_langs: '内容语言',
      tab_zh: '中文内容',
      tab_en: '英文内容',
      tab_empty: '（空）',
      field_question: '标准问题',
      field_paraphrases: '其他问法（每行一个）',
      field_answer: '答案',
      md_help: '支持：**粗体**、*斜体*、以“- ”或“1. ”开头的列表、[文字](https://…) 链接（http、https、tel、mailto）。其他内容按原样显示。',
      preview: '答案预览（客户看到的样子）',
      preview_empty: '（答案为空）',
      variants: '渠道版本（可选）',
      field_sms: '短信版本',
      field_voice: '语音版本',
      variants_hint: '留空时，该渠道使用去掉 Markdown 格式的答案。',
      meta_status: '状态',
      meta_version: '版本',
      meta_live: '线上版本',
      meta_updated: '最近更新',
      meta_created: '创建',
      none: '无',
      by_at: '{who} · {when}',
      unsaved: '有未保存的修改',
      save: '保存',
      create: '创建',
      submit: '提交审核',
      approve: '批准并发布',
      reject: '退回',
      archive: '归档',
      confirm_archive: '确认归档',
      cancel: '取消',
      reload: '重新加载',
      save_first: '请先保存修改，再提交、审核或归档。',
      review_comment: '审核意见（可选，退回时一并发送）',
      archive_confirm_text: '归档后该条目不再用于回答客户；历史版本会保留。',
      saved: '已保存为第 {version} 版（草稿）。线上版本不变，直到审核通过。',
      created: '已创建条目 {id}（草稿，第 {version} 版）。',
      submitted: '已提交审核（第 {version} 版）。',
      approved: '第 {version} 版已发布，1 秒内对客户生效。',
      rejected: '已退回为草稿（第 {version} 版）。',
      archived: '已归档（第 {version} 版）。',
      reloaded: '已重新加载第 {version} 版。',
      conflict_stale: '该条目已被其他人修改（现在是第 {version} 版）。请重新加载后再修改；重新加载会替换您未保存的内容。',
      conflict_other: '当前无法执行此操作：{message}',
      id_exists: '已存在 ID 为 {id} 的条目，请换一个 ID。',
      invalid: '请检查填写的内容：{message}',
      invalid_id: 'ID 只能使用 a-z 0-9 - _ .，最长 64 个字符。',
      lang_incomplete: '{lang}：标准问题和答案都需要填写（不需要该语言时请全部留空）。',
      need_one_lang: '请至少用一种语言填写标准问题和答案。',
      dates_order: '失效日期不能早于生效日期。',

      history_title: '{id} 的历史版本',
      current: '当前',
      live: '线上',
      compare: '与当前版本比较',
      diff_title: '第 {from} 版与当前第 {to} 版的差异',
      diff_legend: '“−” 行只在第 {from} 版中，“+” 行只在当前版本中。',
      diff_same: '内容与当前版本相同。',
      diff_removed: '只在旧版本中：',
      diff_added: '只在当前版本中：',
      sec_general: '分类、标签和日期',
      rollback: '回滚到此版本',
      rollback_note: '将以第 {version} 版的内容创建一个新版本并立即发布。',
      rollback_confirm: '确认回滚并发布',
      rolled_back: '已回滚：第 {version} 版已发布，内容来自第 {from} 版。',
      action_create: '创建',
      action_update: '修改',
      action_submit: '提交审核',
      action_approve: '批准发布',
      action_reject: '退回',
      action_archive: '归档',
      action_rollback: '回滚',
      action_import: '导入',

      import_title: '导入条目',
      import_intro: '先检查文件（不会修改任何内容），确认报告无误后再导入。含有任何错误行的文件不会导入。',
      import_file: '文件（CSV、JSON 或 YAML）',
      import_format: '格式',
      import_publish: '导入后直接发布',
      dry_run: '检查（试运行）',
      do_import: '导入',
      import_choose_file: '请先选择文件。',
      import_dry_ok: '检查通过，尚未做任何修改。确认无误后点“导入”。',
      import_done: '导入完成。',
      import_invalid: '文件中有 {n} 处问题，未做任何修改：',
      import_line: '第 {line} 行',
      count_created: '新建',
      count_updated: '更新',
      count_unchanged: '未变',
      count_published: '发布',

      gaps_title: '未解答的问题',
      gaps_intro: '机器人没能回答或需要追问的客户问题，按相似程度分组，最常见的在前。',
      gaps_days: '时间范围',
      days_7: '最近 7 天',
      days_30: '最近 30 天',
      days_90: '最近 90 天',
      refresh: '刷新',
      gaps_total: '这段时间共有 {total} 个未解答的问题，分为 {clusters} 组（最多显示 50 组）。',
      no_gaps: '这段时间没有未解答的问题。',
      gap_count: '被问 {n} 次',
      gap_examples: '其他问法',
      gap_langs: '语言',
      gap_last_seen: '最近一次',
      write_entry: '撰写条目',
    },
    en: {
      page_title: 'Knowledge base editor · Kefu',
      app_title: 'Knowledge base editor',
      skip: 'Skip to main content',
      nav: 'Knowledge base',
      nav_entries: 'Entries',
      nav_import: 'Import',
      nav_gaps: 'Unanswered questions',
      language: 'Interface language',
      sign_out: 'Sign out',

      signin_title: 'Sign in',
      signin_intro: 'Enter your staff token. It is kept in this tab only and forgotten when you close it.',
      token_label: 'Staff token',
      token_hint: 'The admin token is in the admin-token file of the server\'s storage directory; create other staff tokens with kefu staff add (role kb_editor or admin).',
      sign_in: 'Sign in',
      signing_in: 'Checking…',
      signed_out: 'You have signed out.',
      token_required: 'Please enter a token.',
      err_unauthorized: 'The token was not accepted or has expired. Please sign in again.',
      err_forbidden: 'Your role may not use the knowledge base (kb_editor or admin is needed).',
      err_network: 'Cannot reach the server. Check the connection and try again.',
      err_generic: 'That did not work: {message}',
      err_not_found: 'There is no entry {id}.',
      request_id: 'request id {id}',
      loading: 'Loading…',

      list_title: 'Knowledge base entries',
      filters: 'Filter entries',
      search_label: 'Search',
      search_placeholder: 'Question, answer or id',
      search_button: 'Search',
      filter_status: 'Status',
      filter_category: 'Category',
      filter_lang: 'Language',
      any: 'Any',
      not_archived: 'Not archived',
      all_statuses: 'All, with archived',
      status_draft: 'Draft',
      status_in_review: 'In review',
      status_published: 'Published',
      status_archived: 'Archived',
      lang_zh: 'Chinese',
      lang_en: 'English',
      new_entry: 'New entry',
      col_id: 'Id',
      col_question: 'Question',
      col_status: 'Status',
      col_version: 'Version',
      col_updated: 'Last updated',
      col_action: 'Action',
      col_author: 'Author',
      col_reviewer: 'Reviewer',
      col_time: 'Time',
      col_tools: 'Compare',
      results: '{from}–{to} of {total}',
      no_results: 'No entries match.',
      paging: 'Pages',
      prev_page: 'Previous',
      next_page: 'Next',
      no_question: '(no question)',

      editor_new_title: 'New entry',
      editor_title: 'Edit entry {id}',
      back_to_list: '← Back to the list',
      back_to_entry: '← Back to the entry',
      history: 'History',
      sec_meta: 'Category, tags and dates',
      field_id: 'Entry id (optional)',
      field_id_hint: 'Leave empty to have one made; a-z 0-9 - _ . only. It cannot change later.',
      field_category: 'Category',
      field_tags: 'Tags',
      field_tags_hint: 'Separate tags with commas.',
      field_from: 'Effective from',
      field_until: 'Effective until',
      field_dates_hint: 'Inclusive (server time zone); leave empty for no limit.',
      content_langs: 'Content languages',
      tab_zh: 'Chinese content',
      tab_en: 'English content',
      tab_empty: '(empty)',
      field_question: 'Standard question',
      field_paraphrases: 'Other ways to ask (one per line)',
      field_answer: 'Answer',
      md_help: 'Supported: **bold**, *italic*, lists starting with "- " or "1. ", [text](https://…) links (http, https, tel, mailto). Everything else is shown as typed.',
      preview: 'Answer preview (as customers see it)',
      preview_empty: '(empty answer)',
      variants: 'Channel versions (optional)',
      field_sms: 'SMS version',
      field_voice: 'Voice version',
      variants_hint: 'When empty, the channel gets the answer without its Markdown.',
      meta_status: 'Status',
      meta_version: 'Version',
      meta_live: 'Live version',
      meta_updated: 'Last updated',
      meta_created: 'Created',
      none: 'none',
      by_at: '{who} · {when}',
      unsaved: 'Unsaved changes',
      save: 'Save',
      create: 'Create',
      submit: 'Submit for review',
      approve: 'Approve & publish',
      reject: 'Reject',
      archive: 'Archive',
      confirm_archive: 'Yes, archive',
      cancel: 'Cancel',
      reload: 'Reload',
      save_first: 'Save your changes before submitting, reviewing or archiving.',
      review_comment: 'Review comment (optional, sent with Reject)',
      archive_confirm_text: 'An archived entry is no longer used to answer customers; its history stays.',
      saved: 'Saved as version {version} (draft). The live version stays until this one is approved.',
      created: 'Created entry {id} (draft, version {version}).',
      submitted: 'Submitted for review (version {version}).',
      approved: 'Version {version} is published and live for customers within a second.',
      rejected: 'Sent back to draft (version {version}).',
      archived: 'Archived (version {version}).',
      reloaded: 'Reloaded version {version}.',
      conflict_stale: 'This entry was changed by someone else (it is now version {version}). Reload it and make your change again; reloading replaces your unsaved edits.',
      conflict_other: 'Not possible right now: {message}',
      id_exists: 'An entry with the id {id} already exists. Please choose another id.',
      invalid: 'Please check the entry: {message}',
      invalid_id: 'The id may only use a-z 0-9 - _ . and at most 64 characters.',
      lang_incomplete: '{lang}: fill in both the standard question and the answer (or leave everything in that language empty).',
      need_one_lang: 'Fill in the standard question and the answer in at least one language.',
      dates_order: '"Effective until" cannot be before "Effective from".',

      history_title: 'History of {id}',
      current: 'current',
      live: 'live',
      compare: 'Compare with current',
      diff_title: 'Version {from} compared with the current version {to}',
      diff_legend: 'Lines marked "−" are only in version {from}; lines marked "+" are only in the current version.',
      diff_same: 'The content is the same as the current version.',
      diff_removed: 'Only in the old version: ',
      diff_added: 'Only in the current version: ',
      sec_general: 'Category, tags and dates',
      rollback: 'Rollback to this version',
      rollback_note: 'This creates a new version with the content of version {version} and publishes it at once.',
      rollback_confirm: 'Yes, roll back and publish',
      rolled_back: 'Rolled back: version {version} is published with the content of version {from}.',
      action_create: 'created',
      action_update: 'edited',
      action_submit: 'submitted',
      action_approve: 'approved',
      action_reject: 'rejected',
      action_archive: 'archived',
      action_rollback: 'rolled back',
      action_import: 'imported',

      import_title: 'Import entries',
      import_intro: 'Check the file first (nothing changes), read the report, then import it. A file with any bad row imports nothing.',
      import_file: 'File (CSV, JSON or YAML)',
      import_format: 'Format',
      import_publish: 'Publish the imported entries',
      dry_run: 'Check (dry run)',
      do_import: 'Import',
      import_choose_file: 'Choose a file first.',
      import_dry_ok: 'The file is valid; nothing has been changed yet. Press Import to apply it.',
      import_done: 'Import finished.',
      import_invalid: 'The file has {n} problems; nothing was changed:',
      import_line: 'Line {line}',
      count_created: 'Created',
      count_updated: 'Updated',
      count_unchanged: 'Unchanged',
      count_published: 'Published',

      gaps_title: 'Unanswered questions',
      gaps_intro: 'Customer questions the bot could not answer or had to clarify, grouped by similarity, most frequent first.',
      gaps_days: 'Period',
      days_7: 'Last 7 days',
      days_30: 'Last 30 days',
      days_90: 'Last 90 days',
      refresh: 'Refresh',
      gaps_total: '{total} unanswered questions in this period, in {clusters} groups (at most 50 shown).',
      no_gaps: 'No unanswered questions in this period.',
      gap_count: 'Asked {n} times',
      gap_examples: 'Other wordings',
      gap_langs: 'Languages',
      gap_last_seen: 'Last seen',
      write_entry: 'Write an entry',
    },
  };

  function storageGet(kind, key) {
    try { return window[kind].getItem(key); } catch (e) { return null; }
  }
  function storageSet(kind, key, value) {
    try {
      if (value === null) window[kind].removeItem(key);
      else window[kind].setItem(key, value);
    } catch (e) { /* storage may be disabled */ }
  }

  function detectLanguage() {
    var saved = storageGet('localStorage', LANG_KEY);
    if (saved === 'zh' || saved === 'en') return saved;
    var nav = (navigator.languages && navigator.languages[0]) || navigator.language || 'zh';
    return /^zh/i.test(nav) ? 'zh' : 'en';
  }

  var lang = detectLanguage();

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

  function argsOf(node) {
    var raw = node.getAttribute('data-i18n-args');
    if (!raw) return null;
    try { return JSON.parse(raw); } catch (e) { return null; }
  }

  function formatTime(iso) {
    if (!iso) return '';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    try {
      return d.toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB', {
        year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false,
      });
    } catch (e) {
      return d.toISOString().slice(0, 16).replace('T', ' ');
    }
  }
  function timeEl(iso) {
    return h('time', { datetime: iso || null, 'data-ts': iso || null, text: formatTime(iso) });
  }

  function statusBadge(status) {
    var known = ['draft', 'in_review', 'published', 'archived'].indexOf(status) >= 0;
    var el = h('span', { class: 'badge s-' + (known ? status : 'other'), 'data-testid': 'status-badge', 'data-status': status });
    if (known) tx(el, 'status_' + status);
    else el.textContent = String(status || '');
    return el;
  }

  function byAt(who, iso) {
    var span = h('span', { class: 'by-at' });
    span.appendChild(document.createTextNode(who ? String(who) : '—'));
    if (iso) {
      span.appendChild(document.createTextNode(' · '));
      span.appendChild(timeEl(iso));
    }
    return span;
  }

  /** The content of the language the UI shows, falling back to the other one. */
  function pickContent(content) {
    content = content || {};
    var order = lang === 'zh' ? ['zh', 'en'] : ['en', 'zh'];
    for (var i = 0; i < order.length; i++) {
      var c = content[order[i]];
      if (c && c.question) return { lang: order[i], c: c };
    }
    return null;
  }

  // ---------------------------------------------------------------------------------------------
  // Language
  // ---------------------------------------------------------------------------------------------
  function applyLanguage() {
    document.documentElement.setAttribute('lang', lang === 'zh' ? 'zh-CN' : 'en');
    document.title = t('page_title');
    var nodes = document.querySelectorAll('[data-i18n],[data-i18n-aria-label],[data-i18n-placeholder],[data-i18n-title],[data-i18n-label]');
    Array.prototype.forEach.call(nodes, function (n) {
      var args = argsOf(n);
      if (n.hasAttribute('data-i18n')) n.textContent = t(n.getAttribute('data-i18n'), args);
      if (n.hasAttribute('data-i18n-aria-label')) n.setAttribute('aria-label', t(n.getAttribute('data-i18n-aria-label'), args));
      if (n.hasAttribute('data-i18n-placeholder')) n.setAttribute('placeholder', t(n.getAttribute('data-i18n-placeholder')));
      if (n.hasAttribute('data-i18n-title')) n.setAttribute('title', t(n.getAttribute('data-i18n-title')));
      if (n.hasAttribute('data-i18n-label')) n.setAttribute('data-label', t(n.getAttribute('data-i18n-label')));
    });
    Array.prototype.forEach.call(document.querySelectorAll('time[data-ts]'), function (n) {
      n.textContent = formatTime(n.getAttribute('data-ts'));
    });
    Array.prototype.forEach.call(document.querySelectorAll('[data-testid="language-switch"] button'), function (b) {
      b.setAttribute('aria-pressed', String(b.getAttribute('data-lang') === lang));
    });
    // The list shows each question in the UI language: redraw it from what was loaded.
    if (listState.data) renderListRows();
  }

  function setLanguage(next) {
    if (next !== 'zh' && next !== 'en' || next === lang) return;
    lang = next;
    storageSet('localStorage', LANG_KEY, lang);
    applyLanguage();
  }

  // ---------------------------------------------------------------------------------------------
  // Messages (one success line, one error line, both announced)
  // ---------------------------------------------------------------------------------------------
  var flashEl = $('flash');
  var alertEl = $('alert');

  function flash(key, args) {
    clearAlert();
    tx(flashEl, key, args);
    flashEl.hidden = false;
  }
  function clearFlash() { flashEl.hidden = true; flashEl.textContent = ''; flashEl.removeAttribute('data-i18n'); }
  function clearAlert() { alertEl.hidden = true; alertEl.textContent = ''; }

  /** Shows an error: key + args translated, plus the server's message and request id when known. */
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

  function showError(err) {
    if (err && err.handled) return;
    if (!(err instanceof ApiError)) {
      alertMessage('err_generic', { message: String(err && err.message || err) });
      if (window.console) console.error(err); // a bug in this page: keep the details for the console
      return;
    }
    if (err.status === 0) alertMessage('err_network');
    else if (err.status === 403) alertMessage('err_forbidden', null, err.requestId);
    else alertMessage('err_generic', { message: err.message || err.code || String(err.status) }, err.requestId);
  }

  // ---------------------------------------------------------------------------------------------
  // API
  // ---------------------------------------------------------------------------------------------
  function ApiError(status, body) {
    body = body && typeof body === 'object' ? body : {};
    this.status = status;
    this.code = typeof body.code === 'string' ? body.code : '';
    this.message = typeof body.message === 'string' ? body.message : '';
    this.requestId = typeof body.request_id === 'string' ? body.request_id : '';
    this.body = body;
    this.handled = false;
  }
  ApiError.prototype = Object.create(Error.prototype);
  ApiError.prototype.constructor = ApiError;

  var token = storageGet('sessionStorage', TOKEN_KEY);

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
   * Calls the KB admin API. opts: json (a body to send as JSON), body + contentType (a raw body),
   * params (query), authToken (override, for the sign-in check). Resolves with the parsed JSON; rejects
   * with an ApiError (status 0 when the network failed). A 401 signs out (the error is then `handled`).
   */
  async function api(method, path, opts) {
    opts = opts || {};
    var headers = { Accept: 'application/json', Authorization: 'Bearer ' + (opts.authToken || token || '') };
    var body;
    if (opts.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(opts.json);
    } else if (opts.body !== undefined) {
      headers['Content-Type'] = opts.contentType || 'application/octet-stream';
      body = opts.body;
    }
    var res;
    try {
      res = await fetch(API + path + query(opts.params), { method: method, headers: headers, body: body, cache: 'no-store', credentials: 'omit' });
    } catch (e) {
      throw new ApiError(0, { code: 'network', message: String(e) });
    }
    var text = await res.text();
    var data = null;
    if (text) {
      try { data = JSON.parse(text); } catch (e) { data = null; }
    }
    if (!res.ok) {
      var err = new ApiError(res.status, data);
      if (res.status === 401 && !opts.authToken) {
        signOut('err_unauthorized');
        err.handled = true;
      }
      throw err;
    }
    return data;
  }

  function entryPath(id) { return '/entries/' + encodeURIComponent(id); }

  // ---------------------------------------------------------------------------------------------
  // Routing
  // ---------------------------------------------------------------------------------------------
  var VIEWS = ['signin', 'list', 'editor', 'history', 'import', 'gaps'];
  var currentView = null;
  var renderSeq = 0; // bumps on each route; late responses of an older route are dropped

  function parseHash() {
    var raw = location.hash.replace(/^#/, '');
    var qi = raw.indexOf('?');
    var path = qi >= 0 ? raw.slice(0, qi) : raw;
    var params = new URLSearchParams(qi >= 0 ? raw.slice(qi + 1) : '');
    var parts = path.split('/').filter(Boolean).map(function (p) {
      try { return decodeURIComponent(p); } catch (e) { return p; }
    });
    return { parts: parts, params: params };
  }

  function go(hash) {
    if (location.hash === hash) route();
    else location.hash = hash;
  }

  function showView(name, focusHeading) {
    var changed = currentView !== name;
    currentView = name;
    VIEWS.forEach(function (v) { $('view-' + v).hidden = v !== name; });
    var signedIn = name !== 'signin';
    $('nav').hidden = !signedIn;
    $('sign-out').hidden = !signedIn;
    var section = name === 'editor' || name === 'history' ? 'entries' : name === 'list' ? 'entries' : name;
    Array.prototype.forEach.call(document.querySelectorAll('#nav a'), function (a) {
      if (a.getAttribute('data-nav') === section) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    });
    if (changed || focusHeading) {
      var heading = $('view-' + name).querySelector('h1');
      if (heading) heading.focus({ preventScroll: false });
    }
  }

  var pendingFlash = null; // [key, args] to show after the next navigation

  function route() {
    var seq = ++renderSeq;
    clearAlert();
    if (pendingFlash) { flash(pendingFlash[0], pendingFlash[1]); pendingFlash = null; } else clearFlash();
    if (!token) { showSignin(); return; }
    var r = parseHash();
    var p = r.parts;
    if (p.length === 0 || (p[0] === 'entries' && p.length === 1)) showList(r.params, seq);
    else if (p[0] === 'entries' && p.length === 2) showEditor(p[1], null, seq);
    else if (p[0] === 'entries' && p.length === 3 && p[2] === 'history') showHistory(p[1], seq);
    else if (p[0] === 'new') showEditor(null, r.params, seq);
    else if (p[0] === 'import') showImport();
    else if (p[0] === 'gaps') showGaps(seq);
    else go('#/entries');
  }

  // ---------------------------------------------------------------------------------------------
  // Sign-in
  // ---------------------------------------------------------------------------------------------
  var signinError = $('signin-error');

  function showSignin(messageKey) {
    if (messageKey) {
      tx(signinError, messageKey);
      signinError.hidden = false;
    }
    showView('signin');
    $('token').focus();
  }

  function signOut(messageKey) {
    token = null;
    storageSet('sessionStorage', TOKEN_KEY, null);
    listState.data = null;
    signinError.hidden = true;
    showSignin(messageKey);
  }

  $('signin-form').addEventListener('submit', async function (e) {
    e.preventDefault();
    var input = $('token');
    var value = input.value.trim();
    signinError.hidden = true;
    if (!value) {
      tx(signinError, 'token_required');
      signinError.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    var button = e.target.querySelector('button[type="submit"]');
    button.disabled = true;
    tx(button, 'signing_in');
    try {
      // Any KB read proves the token and the role.
      await api('GET', '/entries', { params: { limit: 1 }, authToken: value });
      token = value;
      storageSet('sessionStorage', TOKEN_KEY, token);
      input.value = '';
      input.removeAttribute('aria-invalid');
      route();
    } catch (err) {
      var key = err.status === 401 ? 'err_unauthorized' : err.status === 403 ? 'err_forbidden' : err.status === 0 ? 'err_network' : null;
      if (key) tx(signinError, key);
      else tx(signinError, 'err_generic', { message: err.message || String(err.status) });
      signinError.hidden = false;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } finally {
      button.disabled = false;
      tx(button, 'sign_in');
    }
  });

  $('sign-out').addEventListener('click', function () {
    pendingFlash = null;
    signOut(null);
    flash('signed_out');
  });

  // ---------------------------------------------------------------------------------------------
  // Entry list
  // ---------------------------------------------------------------------------------------------
  var listState = { params: null, data: null };
  var knownCategories = new Set();

  function listParams(params) {
    var offset = parseInt(params.get('offset') || '0', 10);
    return {
      q: params.get('q') || '',
      status: params.get('status') || '',
      category: params.get('category') || '',
      lang: params.get('lang') || '',
      offset: offset > 0 ? offset : 0,
    };
  }

  function listHash(p) {
    var q = query({ q: p.q, status: p.status, category: p.category, lang: p.lang, offset: p.offset || null });
    return '#/entries' + q;
  }

  function rememberCategories(entries) {
    var before = knownCategories.size;
    entries.forEach(function (e) { if (e && e.category) knownCategories.add(String(e.category)); });
    if (knownCategories.size === before) return;
    var dl = $('category-list');
    dl.textContent = '';
    Array.from(knownCategories).sort().forEach(function (c) { dl.appendChild(h('option', { value: c })); });
  }

  async function showList(params, seq) {
    var p = listParams(params);
    listState.params = p;
    $('f-q').value = p.q;
    $('f-status').value = p.status;
    $('f-category').value = p.category;
    $('f-lang').value = p.lang;
    showView('list', false); // a new filter or page keeps the focus where it is
    var table = $('view-list').querySelector('.table-wrap');
    table.setAttribute('aria-busy', 'true');
    tx($('list-summary'), 'loading');
    try {
      var data = await api('GET', '/entries', {
        params: { q: p.q, status: p.status, category: p.category, lang: p.lang, limit: PAGE_SIZE, offset: p.offset },
      });
      if (seq !== renderSeq) return;
      listState.data = { entries: Array.isArray(data && data.entries) ? data.entries : [], total: Number(data && data.total) || 0 };
      rememberCategories(listState.data.entries);
      renderListRows();
    } catch (err) {
      if (seq !== renderSeq) return;
      $('list-summary').textContent = '';
      showError(err);
    } finally {
      table.removeAttribute('aria-busy');
    }
  }

  function renderListRows() {
    var body = $('list-body');
    var d = listState.data;
    var p = listState.params || { offset: 0 };
    body.textContent = '';
    if (!d) return;
    d.entries.forEach(function (e) {
      var picked = pickContent(e.content);
      var link = h('a', { href: '#/entries/' + encodeURIComponent(e.id), 'data-testid': 'entry-link' });
      if (picked) {
        link.textContent = picked.c.question;
        link.setAttribute('lang', picked.lang === 'zh' ? 'zh-CN' : 'en');
      } else tx(link, 'no_question');
      body.appendChild(h('tr', { 'data-testid': 'entry-row', 'data-id': e.id, 'data-status': e.status }, [
        h('td', { 'data-i18n-label': 'col_id', 'data-label': t('col_id') }, [h('code', { text: e.id })]),
        h('td', { class: 'q', 'data-i18n-label': 'col_question', 'data-label': t('col_question') }, [link]),
        h('td', { 'data-i18n-label': 'col_status', 'data-label': t('col_status') }, [statusBadge(e.status)]),
        h('td', { class: 'num', 'data-i18n-label': 'col_version', 'data-label': t('col_version') }, [String(e.version)]),
        h('td', { 'data-i18n-label': 'col_updated', 'data-label': t('col_updated') }, [byAt(e.updated_by, e.updated_at)]),
      ]));
    });
    var summary = $('list-summary');
    if (!d.entries.length) tx(summary, 'no_results');
    else tx(summary, 'results', { from: p.offset + 1, to: p.offset + d.entries.length, total: d.total });
    $('page-prev').disabled = p.offset <= 0;
    $('page-next').disabled = p.offset + d.entries.length >= d.total;
  }

  function filtersFromForm() {
    return {
      q: $('f-q').value.trim(),
      status: $('f-status').value,
      category: $('f-category').value.trim(),
      lang: $('f-lang').value,
      offset: 0,
    };
  }

  $('list-filters').addEventListener('submit', function (e) {
    e.preventDefault();
    go(listHash(filtersFromForm()));
  });
  ['f-status', 'f-lang'].forEach(function (id) {
    $(id).addEventListener('change', function () { go(listHash(filtersFromForm())); });
  });
  $('f-category').addEventListener('change', function () { go(listHash(filtersFromForm())); });
  $('page-prev').addEventListener('click', function () {
    var p = Object.assign({}, listState.params);
    p.offset = Math.max(0, p.offset - PAGE_SIZE);
    go(listHash(p));
  });
  $('page-next').addEventListener('click', function () {
    var p = Object.assign({}, listState.params);
    p.offset += PAGE_SIZE;
    go(listHash(p));
  });

  // ---------------------------------------------------------------------------------------------
  // Editor
  // ---------------------------------------------------------------------------------------------
  var ed = { entry: null, isNew: false, baseline: '', busy: false, tab: 'zh' };
  var fields = {}; // lang -> {question, paraphrases, answer, sms, voice, preview, tab, panel}

  function renderMarkdownInto(node, text) {
    node.textContent = '';
    if (!text.trim()) {
      node.appendChild(h('p', { class: 'empty', i18n: 'preview_empty' }));
      return;
    }
    var kw = window.KefuWidget;
    if (kw && typeof kw.renderMarkdown === 'function') node.appendChild(kw.renderMarkdown(text));
    else node.appendChild(h('p', { class: 'plain', text: text })); // the widget script failed to load
  }

  function field(id, labelKey, control, hintId, hintKey) {
    return h('div', { class: 'field' }, [
      h('label', { for: id, i18n: labelKey }),
      control,
      hintKey ? h('p', { id: hintId, class: 'hint', i18n: hintKey }) : null,
    ]);
  }

  function buildLanguagePanels() {
    var tabs = $('lang-tabs');
    var panels = $('lang-panels');
    LANGS.forEach(function (l) {
      var contentLang = l === 'zh' ? 'zh-CN' : 'en';
      var f = {};
      f.tab = h('button', {
        type: 'button', role: 'tab', id: 'tab-' + l, 'aria-controls': 'panel-' + l, 'aria-selected': 'false',
        tabindex: '-1', 'data-testid': 'tab-' + l, 'data-lang': l,
      }, [h('span', { i18n: 'tab_' + l }), h('span', { class: 'tab-empty', i18n: 'tab_empty', hidden: true })]);
      f.question = h('input', { id: 'q-' + l, lang: contentLang, maxlength: '500', autocomplete: 'off', 'data-testid': 'question-' + l });
      f.paraphrases = h('textarea', { id: 'p-' + l, lang: contentLang, rows: '4', 'data-testid': 'paraphrases-' + l });
      f.answer = h('textarea', { id: 'a-' + l, lang: contentLang, rows: '10', maxlength: '5000', 'aria-describedby': 'md-' + l, 'data-testid': 'answer-' + l });
      f.preview = h('div', { class: 'preview md', id: 'pv-' + l, lang: contentLang, role: 'region', 'aria-labelledby': 'pvl-' + l, 'data-testid': 'preview-' + l });
      f.sms = h('textarea', { id: 'sms-' + l, lang: contentLang, rows: '2', 'aria-describedby': 'vh-' + l, 'data-testid': 'sms-' + l });
      f.voice = h('textarea', { id: 'voice-' + l, lang: contentLang, rows: '2', 'aria-describedby': 'vh-' + l, 'data-testid': 'voice-' + l });
      f.panel = h('div', { role: 'tabpanel', id: 'panel-' + l, 'aria-labelledby': 'tab-' + l, class: 'panel stack', 'data-testid': 'panel-' + l, hidden: true }, [
        field('q-' + l, 'field_question', f.question),
        field('p-' + l, 'field_paraphrases', f.paraphrases),
        h('div', { class: 'answer-row' }, [
          field('a-' + l, 'field_answer', f.answer, 'md-' + l, 'md_help'),
          h('div', { class: 'preview-box' }, [h('p', { class: 'label', id: 'pvl-' + l, i18n: 'preview' }), f.preview]),
        ]),
        h('fieldset', { class: 'variants' }, [
          h('legend', { i18n: 'variants' }),
          h('p', { id: 'vh-' + l, class: 'hint', i18n: 'variants_hint' }),
          h('div', { class: 'two' }, [field('sms-' + l, 'field_sms', f.sms), field('voice-' + l, 'field_voice', f.voice)]),
        ]),
      ]);
      f.answer.addEventListener('input', function () { renderMarkdownInto(f.preview, f.answer.value); });
      f.tab.addEventListener('click', function () { selectTab(l, true); });
      tabs.appendChild(f.tab);
      panels.appendChild(f.panel);
      fields[l] = f;
    });
    tabs.addEventListener('keydown', function (e) {
      var i = LANGS.indexOf(ed.tab);
      var next = null;
      if (e.key === 'ArrowRight' || e.key === 'ArrowDown') next = LANGS[(i + 1) % LANGS.length];
      else if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') next = LANGS[(i + LANGS.length - 1) % LANGS.length];
      else if (e.key === 'Home') next = LANGS[0];
      else if (e.key === 'End') next = LANGS[LANGS.length - 1];
      if (!next) return;
      e.preventDefault();
      selectTab(next, true);
    });
  }

  function selectTab(l, focus) {
    ed.tab = l;
    LANGS.forEach(function (x) {
      var on = x === l;
      fields[x].tab.setAttribute('aria-selected', String(on));
      fields[x].tab.tabIndex = on ? 0 : -1;
      fields[x].panel.hidden = !on;
    });
    if (focus) fields[l].tab.focus();
  }

  function lines(text) {
    return String(text || '').split(/\r\n|\r|\n/).map(function (s) { return s.trim(); }).filter(Boolean);
  }

  function splitTags(text) {
    var seen = new Set();
    return String(text || '').split(/[,，、]/).map(function (s) { return s.trim(); }).filter(function (s) {
      if (!s || seen.has(s)) return false;
      seen.add(s);
      return true;
    });
  }

  /** The editable body as the API expects it (docs/kb.md), read from the form. */
  function collectBody() {
    var content = {};
    LANGS.forEach(function (l) {
      var f = fields[l];
      var c = {
        question: f.question.value.trim(),
        paraphrases: lines(f.paraphrases.value),
        answer: f.answer.value.replace(/\s+$/, ''),
      };
      var variants = {};
      if (f.sms.value.trim()) variants.sms = f.sms.value.trim();
      if (f.voice.value.trim()) variants.voice = f.voice.value.trim();
      if (Object.keys(variants).length) c.variants = variants;
      if (c.question || c.answer.trim() || c.paraphrases.length || c.variants) content[l] = c;
    });
    return {
      category: $('e-category').value.trim(),
      tags: splitTags($('e-tags').value),
      effective_from: $('e-from').value || null,
      effective_until: $('e-until').value || null,
      content: content,
    };
  }

  function fillForm(entry) {
    var content = (entry && entry.content) || {};
    $('e-id').value = entry && entry.id ? entry.id : '';
    $('e-category').value = (entry && entry.category) || '';
    $('e-tags').value = (entry && Array.isArray(entry.tags) ? entry.tags : []).join(', ');
    $('e-from').value = (entry && entry.effective_from) || '';
    $('e-until').value = (entry && entry.effective_until) || '';
    LANGS.forEach(function (l) {
      var c = content[l] || {};
      var v = c.variants || {};
      var f = fields[l];
      f.question.value = c.question || '';
      f.paraphrases.value = (Array.isArray(c.paraphrases) ? c.paraphrases : []).join('\n');
      f.answer.value = c.answer || '';
      f.sms.value = v.sms || '';
      f.voice.value = v.voice || '';
      renderMarkdownInto(f.preview, f.answer.value);
    });
    clearInvalid();
  }

  function isDirty() { return JSON.stringify(collectBody()) !== ed.baseline; }

  /**
   * Which actions the lifecycle allows from this status (docs/kb.md): update in every status (it makes a
   * draft), submit a draft, approve or reject a review, archive anything not archived yet (it takes the
   * entry, and its live version, out of answers).
   */
  function legalActions(entry) {
    if (!entry) return { create: true };
    var s = entry.status;
    return {
      save: true,
      submit: s === 'draft',
      approve: s === 'in_review',
      reject: s === 'in_review',
      archive: s !== 'archived',
    };
  }

  function refreshEditorState() {
    var dirty = isDirty();
    var legal = legalActions(ed.isNew ? null : ed.entry);
    $('dirty').hidden = !dirty;
    var save = $('btn-save');
    tx(save, ed.isNew ? 'create' : 'save');
    save.disabled = ed.busy || (!ed.isNew && !dirty);
    [['btn-submit', 'submit'], ['btn-approve', 'approve'], ['btn-reject', 'reject'], ['btn-archive', 'archive']].forEach(function (b) {
      var el = $(b[0]);
      el.hidden = !legal[b[1]];
      el.disabled = ed.busy || dirty;
      if (dirty) el.setAttribute('aria-describedby', 'save-first');
      else el.removeAttribute('aria-describedby');
    });
    var anyTransition = legal.submit || legal.approve || legal.reject || legal.archive;
    $('save-first').hidden = !(dirty && anyTransition);
    $('review-box').hidden = !legal.reject;
    if (!legal.archive || dirty) $('archive-box').hidden = true;
    $('editor-form').setAttribute('aria-busy', String(ed.busy));
    LANGS.forEach(function (l) {
      var f = fields[l];
      f.tab.querySelector('.tab-empty').hidden = !!(f.question.value.trim() || f.answer.value.trim());
    });
  }

  function renderMeta(entry) {
    var dl = $('editor-meta');
    dl.textContent = '';
    dl.hidden = !entry;
    if (!entry) return;
    function item(key, value, testid) {
      dl.appendChild(h('div', { class: 'meta-item', 'data-testid': testid }, [h('dt', { i18n: key }), h('dd', null, [value])]));
    }
    item('meta_status', statusBadge(entry.status), 'meta-status');
    item('meta_version', h('span', { 'data-testid': 'meta-version-value', text: String(entry.version) }), 'meta-version');
    item('meta_live', entry.published_version === null || entry.published_version === undefined
      ? h('span', { i18n: 'none' }) : h('span', { text: String(entry.published_version) }), 'meta-live');
    item('meta_updated', byAt(entry.updated_by, entry.updated_at), 'meta-updated');
    item('meta_created', byAt(entry.created_by, entry.created_at), 'meta-created');
  }

  function setEntry(entry, keepTab) {
    ed.entry = entry;
    ed.isNew = false;
    fillForm(entry);
    ed.baseline = JSON.stringify(collectBody());
    tx($('editor-title'), 'editor_title', { id: entry.id });
    $('id-field').hidden = true;
    $('editor-history').hidden = false;
    $('editor-history').setAttribute('href', '#/entries/' + encodeURIComponent(entry.id) + '/history');
    renderMeta(entry);
    hideConflict();
    $('archive-box').hidden = true;
    $('e-comment').value = '';
    if (!keepTab) selectTab(defaultTab(entry.content), false);
    refreshEditorState();
  }

  function defaultTab(content) {
    content = content || {};
    if (content[lang]) return lang;
    for (var i = 0; i < LANGS.length; i++) if (content[LANGS[i]]) return LANGS[i];
    return lang;
  }

  async function showEditor(id, params, seq) {
    showView('editor', true);
    hideConflict();
    $('archive-box').hidden = true;
    if (!id) {
      // A new entry, possibly prefilled (#/new?question=…&lang=…, e.g. from a gap cluster).
      ed.entry = null;
      ed.isNew = true;
      fillForm(null);
      ed.baseline = JSON.stringify(collectBody());
      var l = params && params.get('lang');
      if (l !== 'zh' && l !== 'en') l = lang;
      var question = params && params.get('question');
      if (question) fields[l].question.value = question.slice(0, 500);
      tx($('editor-title'), 'editor_new_title');
      $('id-field').hidden = false;
      $('editor-history').hidden = true;
      renderMeta(null);
      selectTab(l, false);
      refreshEditorState();
      $('editor-title').focus();
      return;
    }
    ed.entry = null;
    ed.isNew = false;
    tx($('editor-title'), 'editor_title', { id: id });
    $('editor-form').hidden = true;
    renderMeta(null);
    try {
      var entry = await api('GET', entryPath(id));
      if (seq !== renderSeq) return;
      $('editor-form').hidden = false;
      setEntry(entry);
    } catch (err) {
      if (seq !== renderSeq) return;
      if (err.status === 404) alertMessage('err_not_found', { id: id });
      else showError(err);
    }
  }

  function clearInvalid() {
    Array.prototype.forEach.call(document.querySelectorAll('#editor-form [aria-invalid]'), function (n) {
      n.removeAttribute('aria-invalid');
    });
  }

  /** Client-side checks of docs/kb.md that give a better message than the server; returns ok. */
  function validate(body) {
    clearInvalid();
    function fail(node, tab, key, args) {
      if (tab) selectTab(tab, false);
      node.setAttribute('aria-invalid', 'true');
      alertMessage(key, args);
      node.focus();
      return false;
    }
    if (ed.isNew) {
      var id = $('e-id').value.trim();
      if (id && !ID_PATTERN.test(id)) return fail($('e-id'), null, 'invalid_id');
    }
    var complete = 0;
    for (var i = 0; i < LANGS.length; i++) {
      var l = LANGS[i];
      var c = body.content[l];
      if (!c) continue;
      if (!c.question) return fail(fields[l].question, l, 'lang_incomplete', { lang: t('lang_' + l) });
      if (!c.answer.trim()) return fail(fields[l].answer, l, 'lang_incomplete', { lang: t('lang_' + l) });
      complete += 1;
    }
    if (!complete) return fail(fields[ed.tab].question, ed.tab, 'need_one_lang');
    if (body.effective_from && body.effective_until && body.effective_until < body.effective_from) {
      return fail($('e-until'), null, 'dates_order');
    }
    return true;
  }

  function hideConflict() { $('conflict').hidden = true; }

  function showConflict(err) {
    var current = err.body && typeof err.body.current_version === 'number' ? err.body.current_version : null;
    var text = $('conflict-text');
    if (current !== null && (!ed.entry || current !== ed.entry.version)) tx(text, 'conflict_stale', { version: current });
    else tx(text, 'conflict_other', { message: err.message || err.code });
    clearFlash();
    clearAlert();
    $('conflict').hidden = false;
    $('conflict-reload').focus();
  }

  async function withBusy(fn) {
    if (ed.busy) return;
    ed.busy = true;
    refreshEditorState();
    try {
      await fn();
    } finally {
      ed.busy = false;
      if (currentView === 'editor') refreshEditorState();
    }
  }

  async function save() {
    var body = collectBody();
    if (!validate(body)) return;
    await withBusy(async function () {
      try {
        if (ed.isNew) {
          var id = $('e-id').value.trim();
          if (id) body.id = id;
          var created = await api('POST', '/entries', { json: body });
          ed.baseline = JSON.stringify(collectBody()); // nothing unsaved: leaving is fine
          pendingFlash = ['created', { id: created.id, version: created.version }];
          go('#/entries/' + encodeURIComponent(created.id));
          return;
        }
        body.id = ed.entry.id;
        body.version = ed.entry.version;
        var updated = await api('PUT', entryPath(ed.entry.id), { json: body });
        setEntry(updated, true);
        flash('saved', { version: updated.version });
      } catch (err) {
        if (err.status === 409 && ed.isNew) {
          $('e-id').setAttribute('aria-invalid', 'true');
          alertMessage('id_exists', { id: body.id || '' }, err.requestId);
        } else if (err.status === 409) showConflict(err);
        else if (err.status === 400 || err.status === 422) alertMessage('invalid', { message: err.message || err.code }, err.requestId);
        else showError(err);
      }
    });
  }

  /** Runs a lifecycle action (submit, approve, reject, archive) with the version read. */
  async function transition(kind) {
    if (!ed.entry || isDirty()) return;
    var entry = ed.entry;
    await withBusy(async function () {
      try {
        var updated;
        if (kind === 'archive') {
          updated = await api('DELETE', entryPath(entry.id), { params: { version: entry.version } });
        } else {
          var payload = { version: entry.version };
          var comment = $('e-comment').value.trim();
          if (kind === 'reject' && comment) payload.comment = comment;
          updated = await api('POST', entryPath(entry.id) + '/' + kind, { json: payload });
        }
        setEntry(updated, true);
        var msg = { submit: 'submitted', approve: 'approved', reject: 'rejected', archive: 'archived' }[kind];
        flash(msg, { version: updated.version });
      } catch (err) {
        if (err.status === 409) showConflict(err);
        else showError(err);
      }
    });
  }

  async function reloadEntry() {
    if (!ed.entry) return;
    var id = ed.entry.id;
    await withBusy(async function () {
      try {
        var entry = await api('GET', entryPath(id));
        setEntry(entry, true);
        flash('reloaded', { version: entry.version });
        $('editor-title').focus();
      } catch (err) {
        showError(err);
      }
    });
  }

  $('editor-form').addEventListener('submit', function (e) {
    e.preventDefault();
    save();
  });
  $('editor-form').addEventListener('input', function () { refreshEditorState(); });
  $('editor-form').addEventListener('change', function () { refreshEditorState(); });
  $('btn-submit').addEventListener('click', function () { transition('submit'); });
  $('btn-approve').addEventListener('click', function () { transition('approve'); });
  $('btn-reject').addEventListener('click', function () { transition('reject'); });
  $('btn-archive').addEventListener('click', function () {
    $('archive-box').hidden = false;
    $('btn-archive-yes').focus();
  });
  $('btn-archive-yes').addEventListener('click', function () {
    $('archive-box').hidden = true;
    transition('archive');
  });
  $('btn-archive-no').addEventListener('click', function () {
    $('archive-box').hidden = true;
    $('btn-archive').focus();
  });
  $('conflict-reload').addEventListener('click', reloadEntry);

  window.addEventListener('beforeunload', function (e) {
    if (currentView === 'editor' && (ed.entry || ed.isNew) && isDirty()) {
      e.preventDefault();
      e.returnValue = '';
    }
  });

  // ---------------------------------------------------------------------------------------------
  // History and diff
  // ---------------------------------------------------------------------------------------------
  var hist = { entry: null, versions: [], chosen: null };

  /** Line diff by longest common subsequence: [{op: 'same'|'del'|'add', text}], old lines before new. */
  function diffLines(a, b) {
    var n = a.length;
    var m = b.length;
    // lcs[i][j] = length of the LCS of a[i..] and b[j..]
    var lcs = [];
    for (var i = 0; i <= n; i++) lcs.push(new Uint32Array(m + 1));
    for (i = n - 1; i >= 0; i--) {
      for (var j = m - 1; j >= 0; j--) {
        lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    var out = [];
    i = 0;
    j = 0;
    while (i < n && j < m) {
      if (a[i] === b[j]) { out.push({ op: 'same', text: a[i] }); i++; j++; }
      else if (lcs[i + 1][j] >= lcs[i][j + 1]) { out.push({ op: 'del', text: a[i] }); i++; }
      else { out.push({ op: 'add', text: b[j] }); j++; }
    }
    while (i < n) out.push({ op: 'del', text: a[i++] });
    while (j < m) out.push({ op: 'add', text: b[j++] });
    return out;
  }

  function textLines(s) { return s ? String(s).split(/\r\n|\r|\n/) : []; }

  /** The comparable sections of a version or entry: [{key, label, args, lang, lines}]. */
  function sectionsOf(v) {
    var out = [{ key: 'general', label: 'sec_general', lang: null, lines: [
      t('field_category') + ': ' + (v.category || ''),
      t('field_tags') + ': ' + (Array.isArray(v.tags) ? v.tags.join(', ') : ''),
      t('field_from') + ': ' + (v.effective_from || '—'),
      t('field_until') + ': ' + (v.effective_until || '—'),
    ] }];
    LANGS.forEach(function (l) {
      var c = (v.content && v.content[l]) || {};
      var variants = c.variants || {};
      out.push({ key: l + '-question', label: 'field_question', lang: l, lines: textLines(c.question) });
      out.push({ key: l + '-paraphrases', label: 'field_paraphrases', lang: l, lines: Array.isArray(c.paraphrases) ? c.paraphrases.slice() : [] });
      out.push({ key: l + '-answer', label: 'field_answer', lang: l, lines: textLines(c.answer) });
      out.push({ key: l + '-sms', label: 'field_sms', lang: l, lines: textLines(variants.sms) });
      out.push({ key: l + '-voice', label: 'field_voice', lang: l, lines: textLines(variants.voice) });
    });
    return out;
  }

  function renderDiff(oldV, current) {
    var body = $('diff-body');
    body.textContent = '';
    var before = sectionsOf(oldV);
    var after = sectionsOf(current);
    var changed = 0;
    before.forEach(function (sec, k) {
      var ops = diffLines(sec.lines, after[k].lines);
      if (!ops.some(function (o) { return o.op !== 'same'; })) return;
      changed += 1;
      var heading = h('h3', { class: 'diff-sec' });
      if (sec.lang) heading.appendChild(h('span', { class: 'diff-lang', i18n: 'lang_' + sec.lang }));
      heading.appendChild(h('span', { i18n: sec.label }));
      var list = h('div', { class: 'diff-lines', 'data-testid': 'diff-section', 'data-section': sec.key, lang: sec.lang === 'zh' ? 'zh-CN' : sec.lang === 'en' ? 'en' : null });
      ops.forEach(function (o) {
        var row = h('div', { class: 'dl ' + o.op, 'data-testid': 'diff-' + o.op });
        row.appendChild(h('span', { class: 'sign', 'aria-hidden': 'true', text: o.op === 'del' ? '−' : o.op === 'add' ? '+' : ' ' }));
        if (o.op === 'del') row.appendChild(h('del', null, [h('span', { class: 'sr-only', i18n: 'diff_removed' }), o.text]));
        else if (o.op === 'add') row.appendChild(h('ins', null, [h('span', { class: 'sr-only', i18n: 'diff_added' }), o.text]));
        else row.appendChild(h('span', { text: o.text }));
        list.appendChild(row);
      });
      body.appendChild(h('section', { class: 'diff-block' }, [heading, list]));
    });
    if (!changed) body.appendChild(h('p', { 'data-testid': 'diff-same', i18n: 'diff_same' }));
  }

  async function showHistory(id, seq) {
    showView('history', true);
    tx($('history-title'), 'history_title', { id: id });
    $('history-back').setAttribute('href', '#/entries/' + encodeURIComponent(id));
    $('history-body').textContent = '';
    $('diff').hidden = true;
    hist = { entry: null, versions: [], chosen: null };
    try {
      var both = await Promise.all([api('GET', entryPath(id)), api('GET', entryPath(id) + '/history')]);
      if (seq !== renderSeq) return;
      hist.entry = both[0];
      hist.versions = Array.isArray(both[1] && both[1].versions) ? both[1].versions : [];
      renderHistoryRows();
    } catch (err) {
      if (seq !== renderSeq) return;
      if (err.status === 404) alertMessage('err_not_found', { id: id });
      else showError(err);
    }
  }

  function actionLabel(action) {
    var key = 'action_' + action;
    var el = h('span', { class: 'action' });
    if (STRINGS.en[key]) tx(el, key);
    else el.textContent = String(action || '');
    return el;
  }

  function renderHistoryRows() {
    var body = $('history-body');
    body.textContent = '';
    var entry = hist.entry;
    hist.versions.forEach(function (v) {
      var isCurrent = v.version === entry.version;
      var versionCell = h('td', { class: 'num', 'data-i18n-label': 'col_version', 'data-label': t('col_version') }, [String(v.version)]);
      if (isCurrent) versionCell.appendChild(h('span', { class: 'tag', i18n: 'current' }));
      if (v.version === entry.published_version) versionCell.appendChild(h('span', { class: 'tag live', i18n: 'live' }));
      var tools = h('td', { class: 'row-tools' });
      if (!isCurrent) {
        var b = h('button', {
          type: 'button', class: 'button small', 'data-testid': 'compare', 'data-version': String(v.version),
          'aria-pressed': String(hist.chosen === v.version),
        }, [h('span', { i18n: 'compare' }), h('span', { class: 'sr-only', text: ' (' + v.version + ')' })]);
        b.addEventListener('click', function () { chooseVersion(v.version); });
        tools.appendChild(b);
      }
      body.appendChild(h('tr', { 'data-testid': 'history-row', 'data-version': String(v.version), class: hist.chosen === v.version ? 'chosen' : null }, [
        versionCell,
        h('td', { 'data-i18n-label': 'col_status', 'data-label': t('col_status') }, [statusBadge(v.status)]),
        h('td', { 'data-i18n-label': 'col_action', 'data-label': t('col_action') }, [actionLabel(v.action)]),
        h('td', { 'data-i18n-label': 'col_author', 'data-label': t('col_author') }, [String(v.author || '—')]),
        h('td', { 'data-i18n-label': 'col_reviewer', 'data-label': t('col_reviewer') }, [String(v.reviewer || '—')]),
        h('td', { 'data-i18n-label': 'col_time', 'data-label': t('col_time') }, [timeEl(v.at)]),
        tools,
      ]));
    });
  }

  function chooseVersion(version) {
    var v = hist.versions.filter(function (x) { return x.version === version; })[0];
    if (!v) return;
    hist.chosen = version;
    renderHistoryRows();
    tx($('diff-title'), 'diff_title', { from: version, to: hist.entry.version });
    var legend = $('diff').querySelector('[data-i18n="diff_legend"]');
    tx(legend, 'diff_legend', { from: version });
    renderDiff(v, hist.entry);
    $('rollback-box').hidden = true;
    $('diff').hidden = false;
    $('diff-title').focus();
  }

  $('btn-rollback').addEventListener('click', function () {
    if (hist.chosen === null) return;
    tx($('rollback-note'), 'rollback_note', { version: hist.chosen });
    $('rollback-box').hidden = false;
    $('btn-rollback-yes').focus();
  });
  $('btn-rollback-no').addEventListener('click', function () {
    $('rollback-box').hidden = true;
    $('btn-rollback').focus();
  });
  $('btn-rollback-yes').addEventListener('click', async function () {
    var entry = hist.entry;
    var to = hist.chosen;
    if (!entry || to === null) return;
    var button = $('btn-rollback-yes');
    button.disabled = true;
    try {
      var updated = await api('POST', entryPath(entry.id) + '/rollback', { json: { version: entry.version, to_version: to } });
      var history = await api('GET', entryPath(entry.id) + '/history');
      hist.entry = updated;
      hist.versions = Array.isArray(history && history.versions) ? history.versions : [];
      hist.chosen = null;
      $('rollback-box').hidden = true;
      $('diff').hidden = true;
      renderHistoryRows();
      flash('rolled_back', { version: updated.version, from: to });
      $('history-title').focus();
    } catch (err) {
      if (err.status === 409) {
        var current = err.body && typeof err.body.current_version === 'number' ? err.body.current_version : null;
        if (current !== null && current !== entry.version) alertMessage('conflict_stale', { version: current }, err.requestId);
        else alertMessage('conflict_other', { message: err.message || err.code }, err.requestId);
      } else showError(err);
    } finally {
      button.disabled = false;
    }
  });

  // ---------------------------------------------------------------------------------------------
  // Import
  // ---------------------------------------------------------------------------------------------
  var imp = { checkedKey: null };
  var CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', json: 'application/json', yaml: 'application/yaml' };

  function showImport() {
    showView('import', true);
  }

  function importKey() {
    var file = $('imp-file').files[0];
    if (!file) return null;
    return [file.name, file.size, file.lastModified, $('imp-format').value, $('imp-publish').checked].join('|');
  }

  function onImportInputChanged() {
    var file = $('imp-file').files[0];
    if (file) {
      var m = /\.(csv|json|ya?ml)$/i.exec(file.name);
      if (m && this === $('imp-file')) $('imp-format').value = m[1].toLowerCase().replace('yml', 'yaml');
    }
    imp.checkedKey = null;
    $('btn-import').disabled = true;
  }
  $('imp-file').addEventListener('change', onImportInputChanged);
  $('imp-format').addEventListener('change', onImportInputChanged);
  $('imp-publish').addEventListener('change', onImportInputChanged);

  function renderImportReport(kind, data) {
    var report = $('import-report');
    report.textContent = '';
    report.className = 'report ' + (kind === 'invalid' ? 'bad' : 'good');
    report.setAttribute('data-result', kind);
    if (kind === 'invalid') {
      var errors = Array.isArray(data && data.errors) ? data.errors : [];
      report.appendChild(h('p', { role: 'alert', i18n: 'import_invalid', args: { n: errors.length } }));
      var list = h('ol', { class: 'import-errors', 'data-testid': 'import-errors' });
      errors.forEach(function (e) {
        var li = h('li', { 'data-testid': 'import-error', 'data-line': e && e.line !== undefined ? String(e.line) : null });
        if (e && e.line !== undefined && e.line !== null) {
          li.appendChild(h('strong', { i18n: 'import_line', args: { line: e.line } }));
          li.appendChild(document.createTextNode(': '));
        }
        li.appendChild(document.createTextNode(String(e && e.message || '')));
        list.appendChild(li);
      });
      report.appendChild(list);
    } else {
      report.appendChild(h('p', { role: 'status', i18n: kind === 'dry' ? 'import_dry_ok' : 'import_done' }));
      var dl = h('dl', { class: 'counts' });
      ['created', 'updated', 'unchanged', 'published'].forEach(function (k) {
        dl.appendChild(h('div', { 'data-testid': 'count-' + k }, [h('dt', { i18n: 'count_' + k }), h('dd', { text: String(Number(data && data[k]) || 0) })]));
      });
      report.appendChild(dl);
    }
    report.hidden = false;
  }

  async function runImport(dryRun) {
    var file = $('imp-file').files[0];
    if (!file) {
      alertMessage('import_choose_file');
      $('imp-file').focus();
      return;
    }
    var key = importKey();
    var format = $('imp-format').value;
    var buttons = [$('btn-dry'), $('btn-import')];
    buttons.forEach(function (b) { b.disabled = true; });
    clearAlert();
    clearFlash();
    try {
      var text = await file.text();
      var data = await api('POST', '/import', {
        body: text,
        contentType: CONTENT_TYPES[format],
        params: { format: format, dry_run: dryRun ? 'true' : 'false', publish: $('imp-publish').checked ? 'true' : 'false' },
      });
      renderImportReport(dryRun ? 'dry' : 'done', data);
      imp.checkedKey = dryRun ? key : null;
    } catch (err) {
      imp.checkedKey = null;
      if (err.status === 422 && err.body && Array.isArray(err.body.errors)) renderImportReport('invalid', err.body);
      else showError(err);
    } finally {
      $('btn-dry').disabled = false;
      $('btn-import').disabled = !(imp.checkedKey && imp.checkedKey === importKey());
      if (!$('import-report').hidden) $('import-report').focus();
    }
  }

  $('import-form').addEventListener('submit', function (e) {
    e.preventDefault();
    runImport(true);
  });
  $('btn-import').addEventListener('click', function () { runImport(false); });

  // ---------------------------------------------------------------------------------------------
  // Unanswered questions (gaps)
  // ---------------------------------------------------------------------------------------------
  async function showGaps(seq) {
    showView('gaps', currentView !== 'gaps');
    var list = $('gaps-list');
    tx($('gaps-summary'), 'loading');
    try {
      var data = await api('GET', '/gaps', { params: { days: $('gaps-days').value, limit: 50 } });
      if (seq !== renderSeq) return;
      var clusters = Array.isArray(data && data.clusters) ? data.clusters : [];
      list.textContent = '';
      clusters.forEach(function (c) { list.appendChild(gapItem(c)); });
      if (!clusters.length) tx($('gaps-summary'), 'no_gaps');
      // total counts the recorded questions of the period; the clusters group them.
      else tx($('gaps-summary'), 'gaps_total', { total: Number(data.total) || 0, clusters: clusters.length });
    } catch (err) {
      if (seq !== renderSeq) return;
      $('gaps-summary').textContent = '';
      showError(err);
    }
  }

  function gapItem(c) {
    var langs = Array.isArray(c.languages) ? c.languages.filter(function (l) { return l === 'zh' || l === 'en'; }) : [];
    var example = String(c.example || '');
    var exampleLang = langs[0] || (/[\u3400-\u9fff]/.test(example) ? 'zh' : 'en');
    var others = (Array.isArray(c.examples) ? c.examples : []).filter(function (x) { return x !== example; });
    var langList = h('span', { 'data-testid': 'gap-langs' });
    (Array.isArray(c.languages) ? c.languages : []).forEach(function (l, i) {
      if (i) langList.appendChild(document.createTextNode(', '));
      if (l === 'zh' || l === 'en') langList.appendChild(h('span', { i18n: 'lang_' + l }));
      else langList.appendChild(document.createTextNode(String(l)));
    });
    var href = '#/new' + query({ question: example, lang: exampleLang });
    return h('li', { class: 'gap card', 'data-testid': 'gap' }, [
      h('div', { class: 'gap-head' }, [
        h('p', { class: 'gap-example', lang: exampleLang === 'zh' ? 'zh-CN' : 'en', 'data-testid': 'gap-example', text: example }),
        h('span', { class: 'count', 'data-testid': 'gap-count', 'data-count': String(c.count), i18n: 'gap_count', args: { n: c.count } }),
      ]),
      others.length ? h('div', { class: 'gap-examples' }, [
        h('p', { class: 'label', i18n: 'gap_examples' }),
        h('ul', { 'data-testid': 'gap-examples' }, others.map(function (x) { return h('li', { text: String(x) }); })),
      ]) : null,
      h('dl', { class: 'gap-meta' }, [
        h('div', null, [h('dt', { i18n: 'gap_langs' }), h('dd', null, [langList])]),
        h('div', null, [h('dt', { i18n: 'gap_last_seen' }), h('dd', null, [timeEl(c.last_seen)])]),
      ]),
      h('div', { class: 'actions' }, [
        h('a', { class: 'button primary', href: href, 'data-testid': 'write-entry' }, [
          h('span', { i18n: 'write_entry' }), h('span', { class: 'sr-only', text: ': ' + example }),
        ]),
      ]),
    ]);
  }

  $('gaps-form').addEventListener('submit', function (e) {
    e.preventDefault();
    showGaps(++renderSeq);
  });
  $('gaps-days').addEventListener('change', function () { showGaps(++renderSeq); });

  // ---------------------------------------------------------------------------------------------
  // Start-up
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
  window.addEventListener('hashchange', route);

  buildLanguagePanels();
  applyLanguage();
  route();
})();
