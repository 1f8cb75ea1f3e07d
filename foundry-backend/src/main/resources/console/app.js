import { h, clear, when, field } from './dom.js';
import { api, get, post, patch, put, create, ApiError } from './api.js';
import { Realtime } from './realtime.js';
import { transcriptView } from './transcript.js';
import { applyOrganizationFrame } from './organization.js';

const MODELS = ['', 'claude-sonnet-4-5', 'claude-opus-4-1', 'gpt-5', 'gpt-5-codex'];
const main = document.getElementById('main');
const banner = document.getElementById('banner');
const state = { app: null, org: null, orgSnapshot: null, rt: null, userId: null, github: false };
let leaveView = () => {};

// --- errors and states ------------------------------------------------------------------------

function showError(e) {
  const msg = e instanceof ApiError ? `${e.code}: ${e.message}` : String(e.message || e);
  clear(banner, h('div', { class: 'error', 'data-testid': 'error' }, msg,
    h('button', { class: 'link', onclick: () => clear(banner), 'aria-label': 'Dismiss' }, '×')));
  if (e instanceof ApiError && e.status === 401) signInView();
}

function guard(fn) {
  return async (ev) => {
    if (ev && ev.preventDefault) ev.preventDefault();
    const btn = ev && ev.submitter ? ev.submitter : ev && ev.currentTarget;
    if (btn && btn.tagName === 'BUTTON') btn.disabled = true;
    try {
      clear(banner);
      await fn(ev);
    } catch (e) {
      showError(e);
    } finally {
      if (btn && btn.tagName === 'BUTTON') btn.disabled = false;
    }
  };
}

function loading() {
  return h('p', { class: 'muted', role: 'status' }, 'Loading…');
}

function setConn(s) {
  const el = document.getElementById('conn');
  el.textContent = s === 'live' ? '● live' : s === 'connecting' ? '○ connecting…' : '○ disconnected, reconnecting…';
  el.className = 'conn ' + s;
  el.dataset.state = s;
}

// --- sign in --------------------------------------------------------------------------------------

async function githubConfigured() {
  try {
    const res = await fetch('/v1/auth/sign-in/github?redirectTo=' + encodeURIComponent(location.origin + '/'),
      { redirect: 'manual', credentials: 'same-origin' });
    return res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400);
  } catch (e) {
    return false;
  }
}

async function signInView() {
  leaveView();
  if (state.rt) { state.rt.close(); state.rt = null; }
  clear(document.getElementById('nav'));
  clear(document.getElementById('who'));
  setConnHidden();
  const login = h('input', { name: 'login', autocomplete: 'username', required: true, value: 'me' });
  const gh = await githubConfigured();
  state.github = gh;
  clear(main,
    h('section', { class: 'card narrow' },
      h('h1', {}, 'Sign in'),
      gh ? h('p', {}, h('a', { class: 'button', href: '/v1/auth/sign-in/github?redirectTo=' + encodeURIComponent(location.origin + '/') }, 'Sign in with GitHub')) : null,
      h('form', { 'data-testid': 'dev-sign-in', onsubmit: guard(async () => {
        await post('/v1/auth/dev/sign-in', { login: login.value.trim() });
        await start();
      }) },
        h('p', { class: 'muted' }, 'Local development: sign in as any login (dev sign-in).'),
        field('Login', login),
        h('button', { type: 'submit' }, 'Sign in'))));
  login.focus();
}

function setConnHidden() {
  const el = document.getElementById('conn');
  el.textContent = '';
  el.dataset.state = '';
}

// --- start, organizations -----------------------------------------------------------------------

async function start() {
  clear(main, loading());
  let session;
  try {
    session = await get('/v1/auth/session');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return signInView();
    throw e;
  }
  state.userId = session.user?.id || session.user?.userId || session.user?.login;
  state.app = await get('/v1/app');
  state.org = state.app.activeOrganizationId || session.activeOrganizationId;
  const me = (state.app.users || []).find((u) => u.id === state.app.auth?.currentUserId);
  clear(document.getElementById('who'),
    h('span', { class: 'muted' }, me ? me.githubLogin || me.name : ''), ' ',
    h('button', { class: 'link', onclick: guard(async () => { await post('/v1/auth/sign-out'); signInView(); }) }, 'Sign out'));
  state.github = await githubConfigured();
  if (!state.rt) state.rt = new Realtime(setConn);
  state.rt.subscribe('app', 'app', (f) => {
    if (f.type === 'snapshot' || f.type === 'event') state.app = f.payload;
  });
  if (!state.org || (state.app.organizations || []).length > 1 && !location.hash) {
    return orgChoiceView();
  }
  route();
}

function orgChoiceView() {
  leaveView();
  const orgs = state.app.organizations || [];
  clear(main, h('section', { class: 'card narrow' }, h('h1', {}, 'Choose an organization'),
    orgs.length === 0 ? h('p', { class: 'muted' }, 'You belong to no organization yet.') : null,
    h('ul', { class: 'list' }, orgs.map((o) => h('li', {}, h('button', { onclick: guard(async () => {
      await post('/v1/app/active-organization', { organizationId: o.id });
      state.org = o.id;
      location.hash = '#/';
      route();
    }) }, o.settings?.displayName || o.id, o.id === state.org ? ' (current)' : ''))))));
}

function nav() {
  const links = [['#/', 'Tasks'], ['#/repos', 'Repositories'], ['#/audit', 'Audit log'], ['#/orgs', 'Organizations']];
  clear(document.getElementById('nav'), links.map(([href, label]) =>
    h('a', { href, 'aria-current': (location.hash || '#/') === href ? 'page' : null }, label)));
}

function route() {
  leaveView();
  leaveView = () => {};
  nav();
  const hash = location.hash || '#/';
  const m = hash.match(/^#\/task\/([^/]+)$/);
  if (m) return taskView(decodeURIComponent(m[1]));
  if (hash === '#/repos') return reposView();
  if (hash === '#/audit') return auditView();
  if (hash === '#/orgs') return orgChoiceView();
  return tasksView();
}

window.addEventListener('hashchange', () => { if (state.org) route(); });

function orgPath(p = '') {
  return `/v1/organizations/${encodeURIComponent(state.org)}${p}`;
}

/** Subscribes the view to the organization topic; returns the unsubscribe. */
function watchOrg(render) {
  return state.rt.subscribe('organization', state.org, (f) => {
    if (f.type === 'error') return showError(new ApiError(0, f.code, f.message));
    // A snapshot or organizationUpdated replaces the state; a task's change updates it.
    const held = state.orgSnapshot && state.orgSnapshot.organizationId === f.id ? state.orgSnapshot : null;
    const next = applyOrganizationFrame(held, f);
    if (!next) return;
    state.orgSnapshot = next;
    render(next);
  });
}

// --- repositories ---------------------------------------------------------------------------------

function reposView() {
  const list = h('div', { 'data-testid': 'repos' }, loading());
  const url = h('input', { name: 'remoteUrl', placeholder: 'https://… or file:///path/to/repo.git', required: true });
  clear(main, h('section', { class: 'card' }, h('h1', {}, 'Repositories'),
    h('form', { class: 'row', 'data-testid': 'add-repo', onsubmit: guard(async () => {
      await create(orgPath('/repos'), { remoteUrl: url.value.trim() });
      url.value = '';
    }) }, field('Repository URL', url), h('button', { type: 'submit' }, 'Add repository')),
    state.github ? h('p', {}, h('button', { type: 'button', 'data-action': 'github-sync', onclick: guard(async () => {
      await post(orgPath('/github/sync'));
      clear(banner, h('div', { class: 'ok', role: 'status' }, 'GitHub sync started'));
    }) }, 'Sync repositories from GitHub')) : null,
    list));
  leaveView = watchOrg((s) => {
    const repos = s.repos || [];
    const prs = s.openPullRequests || [];
    clear(list,
      repos.length === 0 ? h('p', { class: 'muted', 'data-testid': 'empty' }, 'No repository yet: add one by its URL.') :
        h('ul', { class: 'list' }, repos.map((r) => h('li', { 'data-repo': r.id },
          h('strong', {}, r.label), ' ', h('span', { class: 'muted' }, `${r.taskCount} task(s)`)))),
      h('h2', {}, 'Open pull requests'),
      prs.length === 0 ? h('p', { class: 'muted' }, 'None.') :
        h('ul', { class: 'list' }, prs.map((p) => h('li', {},
          h('a', { href: p.url, rel: 'noopener noreferrer' }, `${p.repoFullName} #${p.number}`), ' ', p.title,
          ' ', h('span', { class: 'muted' }, `${p.headRefName} → ${p.baseRefName} by ${p.authorLogin}`)))));
  });
}

// --- tasks ----------------------------------------------------------------------------------------

function modelSelect(value, name = 'model') {
  const s = h('select', { name }, MODELS.map((m) => h('option', { value: m }, m || 'default model')));
  if (value && !MODELS.includes(value)) s.append(h('option', { value }, value));
  s.value = value || '';
  return s;
}

function tasksView() {
  const list = h('div', { 'data-testid': 'tasks' }, loading());
  const repo = h('select', { name: 'repoId', required: true });
  const prompt = h('textarea', { name: 'task', rows: 3, required: true, placeholder: 'What should the agent do?' });
  const model = modelSelect('');
  clear(main,
    h('section', { class: 'card' }, h('h1', {}, 'New task'),
      h('form', { 'data-testid': 'create-task', onsubmit: guard(async () => {
        const body = { repoId: repo.value, task: prompt.value };
        if (model.value) body.model = model.value;
        const t = await create(orgPath('/tasks'), body);
        prompt.value = '';
        location.hash = '#/task/' + encodeURIComponent(t.id);
      }) }, field('Repository', repo), field('Prompt', prompt), field('Model', model),
      h('button', { type: 'submit' }, 'Create task'))),
    h('section', { class: 'card' }, h('h1', {}, 'Tasks'), list));
  leaveView = watchOrg((s) => {
    const keep = repo.value;
    clear(repo, (s.repos || []).map((r) => h('option', { value: r.id }, r.label)));
    if (keep) repo.value = keep;
    const tasks = (s.taskSummaries || []).slice().sort((a, b) => b.updatedAtMs - a.updatedAtMs);
    clear(list, tasks.length === 0 ? h('p', { class: 'muted', 'data-testid': 'empty' },
      (s.repos || []).length ? 'No task yet.' : 'No task yet: add a repository first.') :
      h('ul', { class: 'list' }, tasks.map((t) => h('li', { 'data-task': t.id },
        h('a', { href: '#/task/' + encodeURIComponent(t.id) }, t.title || t.id), ' ',
        h('span', { class: 'badge status-' + t.status }, t.status), ' ',
        (t.sessionsSummary || []).some((x) => x.unread) ? h('span', { class: 'unread', title: 'unread' }, '● unread') : null,
        ' ', h('span', { class: 'muted' }, `${t.repoName} · ${t.branch || ''} · ${when(t.updatedAtMs)}`)))));
  });
}

function draftKey(taskId, sessionId) {
  return `foundry.draft.${state.userId}.${state.org}.${taskId}.${sessionId}`;
}

function taskView(taskId) {
  const base = orgPath('/tasks/' + encodeURIComponent(taskId));
  const header = h('div', {}, loading());
  const tabs = h('div', { role: 'tablist', class: 'tabs', 'data-testid': 'session-tabs' });
  const transcript = h('div', { class: 'transcript', 'data-testid': 'transcript', 'aria-live': 'polite' });
  const status = h('div', { class: 'muted', 'data-testid': 'session-status', role: 'status' });
  const text = h('textarea', { name: 'message', rows: 3, placeholder: 'Message the agent (Ctrl+Enter sends)' });
  const files = h('div', { 'data-testid': 'files' });
  const procs = h('div', { 'data-testid': 'processes' });
  const logs = h('pre', { class: 'logs', 'data-testid': 'logs', hidden: true });
  let task = null;
  let selected = null;
  let entries = [];
  let stopSession = () => {};
  let stopProcs = () => {};
  let logsOf = null;

  const composer = h('form', { 'data-testid': 'composer', onsubmit: guard(async () => {
    if (!selected || !text.value.trim()) return;
    await post(`${base}/sessions/${encodeURIComponent(selected)}/messages`, { text: text.value });
    text.value = '';
    localStorage.removeItem(draftKey(taskId, selected));
  }) }, field('Message', text),
    h('div', { class: 'row' },
      h('button', { type: 'submit' }, 'Send'),
      h('button', { type: 'button', 'data-testid': 'stop', onclick: guard(async () => {
        await post(`${base}/sessions/${encodeURIComponent(selected)}/stop`);
      }) }, 'Stop turn')));
  text.addEventListener('keydown', (e) => { if (e.key === 'Enter' && e.ctrlKey) composer.requestSubmit(); });
  text.addEventListener('input', () => { if (selected) localStorage.setItem(draftKey(taskId, selected), text.value); });

  const newModel = modelSelect('', 'newSessionModel');
  const sessionModel = modelSelect('', 'sessionModel');
  sessionModel.addEventListener('change', guard(async () => {
    await patch(`${base}/sessions/${encodeURIComponent(selected)}`, { model: sessionModel.value || undefined });
  }));

  const gitButton = (action, label) => h('button', { 'data-action': action, onclick: guard(async () => {
    const r = await post(`${base}/${action}`);
    if (r && r.id) renderTask(r);
    clear(banner, h('div', { class: 'ok', role: 'status' }, `${label}: done`));
  }) }, label);
  const prButton = h('button', { 'data-action': 'pull-request', hidden: true, onclick: guard(async () => {
    const r = await post(`${base}/pull-request`);
    if (r && r.id) renderTask(r);
  }) }, 'Publish pull request');

  const procCmd = h('input', { name: 'command', placeholder: 'command', required: true });
  const procArgs = h('input', { name: 'args', placeholder: 'arguments (space-separated)' });
  const procCwd = h('input', { name: 'cwd', placeholder: 'working directory (default: the repository)' });

  clear(main,
    h('section', { class: 'card' }, header,
      h('div', { class: 'row actions' }, gitButton('push', 'Push'), gitButton('sync', 'Sync'), gitButton('merge', 'Merge'), prButton,
        h('button', { 'data-action': 'archive', onclick: guard(async () => {
          await post(`${base}/archive`);
          clear(banner, h('div', { class: 'ok', role: 'status' }, 'Archive requested'));
        }) }, 'Archive'))),
    h('div', { class: 'split' },
      h('section', { class: 'card grow' },
        tabs,
        h('div', { class: 'row' }, field('Session model', sessionModel),
          h('form', { class: 'row', onsubmit: guard(async () => {
            const body = newModel.value ? { model: newModel.value } : {};
            const s = await create(`${base}/sessions`, body);
            selected = s.sessionId || s.id || selected;
          }) }, field('New session model', newModel), h('button', { type: 'submit', 'data-testid': 'new-session' }, 'New session'))),
        status, transcript, composer),
      h('aside', { class: 'card side' },
        h('h2', {}, 'Changed files'), files,
        h('h2', {}, 'Processes'),
        h('form', { 'data-testid': 'start-process', onsubmit: guard(async () => {
          const body = { command: procCmd.value };
          if (procArgs.value.trim()) body.args = procArgs.value.trim().split(/\s+/);
          if (procCwd.value.trim()) body.cwd = procCwd.value.trim();
          await create(`${base}/sandbox/processes`, body);
        }) }, field('Command', procCmd), field('Arguments', procArgs), field('Directory', procCwd),
          h('button', { type: 'submit' }, 'Start process')),
        procs, logs)));

  function renderTask(t) {
    task = t;
    clear(header,
      h('h1', { 'data-testid': 'task-title' }, t.title || t.id),
      h('p', { class: 'muted' }, h('span', { class: 'badge status-' + t.status, 'data-testid': 'task-status' }, t.status),
        ` ${t.repoName} · branch ${t.branch || '—'}`, t.pullRequest ? h('span', {}, ' · PR ', h('a', { href: t.pullRequest.url || '#' }, '#' + t.pullRequest.number)) : null));
    // Publishing needs GitHub: shown only when this server has GitHub sign-in configured.
    prButton.hidden = !state.github;
    const sessions = t.sessionsSummary || [];
    if (!selected || !sessions.some((s) => s.id === selected)) {
      selectSession(t.activeSessionId || sessions[0]?.id, sessions);
    }
    clear(tabs, sessions.map((s) => h('button', {
      role: 'tab', 'aria-selected': String(s.id === selected), 'data-session': s.id, 'data-status': s.status,
      onclick: () => selectSession(s.id, sessions),
    }, s.sessionName || s.id, s.unread && s.id !== selected ? h('span', { class: 'unread', title: 'unread' }, ' ●') : null,
      ' ', h('span', { class: 'badge' }, s.status))));
    const changes = t.fileChanges || [];
    clear(files, changes.length === 0 ? h('p', { class: 'muted' }, 'No changes.') :
      h('ul', { class: 'list' }, changes.map((f) => h('li', {},
        h('code', {}, f.path), ` +${f.added} −${f.removed} `, h('span', { class: 'badge' }, f.type), ' ',
        h('button', { class: 'link', onclick: guard(async () => {
          const r = await post(`${base}/files/revert`, { path: f.path });
          if (r && r.id) renderTask(r);
        }) }, 'Revert'),
        t.diffs && t.diffs[f.path] ? h('details', {}, h('summary', {}, 'diff'), h('pre', {}, t.diffs[f.path])) : null))));
  }

  function selectSession(id, sessions) {
    if (!id) return;
    selected = id;
    stopSession();
    entries = [];
    clear(transcript, loading());
    text.value = localStorage.getItem(draftKey(taskId, id)) || '';
    const summary = (sessions || []).find((s) => s.id === id);
    if (summary) {
      if (summary.model && ![...sessionModel.options].some((o) => o.value === summary.model)) {
        sessionModel.append(h('option', { value: summary.model }, summary.model));
      }
      sessionModel.value = summary.model || '';
    }
    for (const b of tabs.querySelectorAll('[role=tab]')) b.setAttribute('aria-selected', String(b.dataset.session === id));
    stopSession = state.rt.subscribe('session', `${state.org}/${taskId}/${id}`, (f) => {
      if (f.type === 'error') return showError(new ApiError(0, f.code, f.message));
      if (f.type === 'snapshot') {
        entries = f.payload.transcript || [];
        sessionState(f.payload);
        if (f.payload.unread) patch(`${base}/sessions/${encodeURIComponent(id)}`, { unread: false }).catch(() => {});
      } else if (f.event === 'transcriptUpdated') {
        const known = new Set(entries.map((e) => e.id));
        entries = entries.concat((f.payload.entries || []).filter((e) => !known.has(e.id)));
        sessionState({ status: f.payload.status, errorMessage: f.payload.errorMessage });
      } else if (f.event === 'sessionUpdated') {
        sessionState(f.payload);
      }
      clear(transcript, entries.length ? transcriptView(entries) : h('p', { class: 'muted' }, 'No messages yet.'));
      transcript.scrollTop = transcript.scrollHeight;
    });
  }

  function sessionState(s) {
    status.dataset.status = s.status || '';
    clear(status, `Session ${s.status || ''}`, s.errorMessage ? h('span', { class: 'error-text' }, ' — ' + s.errorMessage) : null);
  }

  async function showLogs(id) {
    logsOf = id;
    const out = await get(`${base}/sandbox/processes/${encodeURIComponent(id)}/logs`);
    logs.hidden = false;
    logs.textContent = out.map((o) => o.text).join('') || '(no output yet)';
  }

  const stopTask = state.rt.subscribe('task', `${state.org}/${taskId}`, (f) => {
    if (f.type === 'error') return clear(header, h('p', { class: 'error-text' }, `${f.code}: ${f.message}`));
    renderTask(f.payload);
  });
  stopProcs = state.rt.subscribe('sandboxProcesses', `${state.org}/${taskId}`, (f) => {
    if (f.type === 'error') return clear(procs, h('p', { class: 'muted' }, f.message));
    const list = f.payload.processes || [];
    clear(procs, list.length === 0 ? h('p', { class: 'muted' }, 'No process.') :
      h('ul', { class: 'list' }, list.map((p) => h('li', { 'data-process': p.processId },
        h('code', {}, [p.command].concat(p.args || []).join(' ')), ' ',
        h('span', { class: 'badge' }, p.stoppedAt ? 'stopped' : 'started'), ' ',
        h('span', { class: 'muted' }, when(p.startedAt)), ' ',
        h('button', { class: 'link', 'data-logs': p.processId, onclick: guard(() => showLogs(p.processId)) }, 'Logs'),
        p.stoppedAt ? null : h('button', { class: 'link', onclick: guard(async () => {
          await post(`${base}/sandbox/processes/${encodeURIComponent(p.processId)}/stop`);
        }) }, 'Stop')))));
    if (logsOf) showLogs(logsOf).catch(() => {});
  });
  leaveView = () => { stopTask(); stopSession(); stopProcs(); };
}

// --- audit log ------------------------------------------------------------------------------------

function auditView() {
  const taskFilter = h('input', { name: 'taskId', placeholder: 'task id' });
  const kindFilter = h('input', { name: 'kind', placeholder: 'kind contains…' });
  const limit = h('select', { name: 'limit' }, ['25', '100', '500'].map((n) => h('option', { value: n }, n)));
  const rows = h('tbody', {});
  const more = h('button', { type: 'button', hidden: true }, 'Older entries');
  let before = null;
  async function load(reset) {
    if (reset) { before = null; clear(rows); }
    const q = new URLSearchParams({ limit: limit.value });
    if (before) q.set('before', before);
    if (taskFilter.value.trim()) q.set('taskId', taskFilter.value.trim());
    const list = await get(orgPath('/audit-log?' + q));
    const shown = list.filter((e) => !kindFilter.value || e.kind.includes(kindFilter.value));
    for (const e of shown) {
      rows.append(h('tr', {}, h('td', {}, when(e.createdAt)), h('td', {}, e.kind), h('td', {}, e.taskId || ''),
        h('td', {}, h('code', {}, e.payloadJson || ''))));
    }
    if (!rows.children.length) rows.append(h('tr', {}, h('td', { colspan: 4, class: 'muted' }, 'No entries.')));
    before = list.length ? list[list.length - 1].id : null;
    more.hidden = list.length < Number(limit.value);
  }
  more.addEventListener('click', guard(() => load(false)));
  clear(main, h('section', { class: 'card' }, h('h1', {}, 'Audit log'),
    h('form', { class: 'row', onsubmit: guard(() => load(true)) }, field('Task', taskFilter), field('Kind', kindFilter),
      field('Page size', limit), h('button', { type: 'submit' }, 'Filter')),
    h('table', { 'data-testid': 'audit' }, h('thead', {}, h('tr', {}, h('th', {}, 'When'), h('th', {}, 'Kind'), h('th', {}, 'Task'), h('th', {}, 'Details'))), rows),
    more));
  guard(() => load(true))();
}

guard(start)();
