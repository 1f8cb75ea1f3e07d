import { h, clear, when, field } from './dom.js';

// The operator's inspector: reads /v1/admin/... with the bearer token (kept for this tab only)
// and /metrics. The only changes it can make are retrying or discarding a failed command.
const main = document.getElementById('main');
const banner = document.getElementById('banner');
const TOKEN = 'foundry.admin.token';

async function call(method, path) {
  const res = await fetch(path, { method, headers: { Authorization: 'Bearer ' + sessionStorage.getItem(TOKEN) } });
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    const e = body?.error || { code: 'http_' + res.status, message: '' };
    const err = new Error(`${e.code}: ${e.message}`);
    err.status = res.status;
    throw err;
  }
  return body;
}

function fail(e) {
  clear(banner, h('div', { class: 'error' }, e.message));
  if (e.status === 401) tokenView();
}

function tokenView() {
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true });
  clear(main, h('section', { class: 'card narrow' }, h('h1', {}, 'Operator sign-in'),
    h('form', { onsubmit: (ev) => { ev.preventDefault(); sessionStorage.setItem(TOKEN, token.value); clear(banner); kindsView(); } },
      field('FOUNDRY_ADMIN_TOKEN', token), h('button', { type: 'submit' }, 'Open inspector'))));
  token.focus();
}

async function metricsView() {
  const text = await fetch('/metrics').then((r) => r.text());
  const lines = text.split('\n').filter((l) => l.startsWith('foundry_') && !l.includes('_bucket'));
  return h('details', { 'data-testid': 'metrics' }, h('summary', {}, `Metrics (${lines.length} series, as /metrics)`),
    h('pre', {}, lines.join('\n')));
}

async function kindsView() {
  try {
    const kinds = await call('GET', '/v1/admin/actors');
    clear(main, h('section', { class: 'card' }, h('h1', {}, 'Actors'),
      h('table', { 'data-testid': 'kinds' }, h('thead', {}, h('tr', {}, h('th', {}, 'Kind'), h('th', {}, 'Actors'), h('th', {}, 'Active'), h('th', {}, 'Passivated'))),
        h('tbody', {}, kinds.map((k) => h('tr', {},
          h('td', {}, h('button', { class: 'link', 'data-kind': k.kind, onclick: () => actorsView(k.kind) }, k.kind)),
          h('td', {}, k.actors), h('td', {}, k.active), h('td', {}, Math.max(0, k.actors - k.active))))))),
      h('section', { class: 'card' }, await metricsView()));
  } catch (e) {
    fail(e);
  }
}

async function actorsView(kind) {
  try {
    const actors = await call('GET', `/v1/admin/actors/${encodeURIComponent(kind)}`);
    clear(main, h('section', { class: 'card' }, h('button', { class: 'link', onclick: kindsView }, '← kinds'),
      h('h1', {}, `Actors of kind ${kind}`),
      actors.length === 0 ? h('p', { class: 'muted' }, 'None.') :
        h('ul', { class: 'list', 'data-testid': 'actors' }, actors.map((a) => h('li', {},
          a.key ? h('button', { class: 'link', 'data-key': a.key, onclick: () => actorView(kind, a.key) }, a.key) : h('code', {}, a.file),
          ' ', h('span', { class: 'badge' }, a.active ? 'active' : 'passivated'))))));
  } catch (e) {
    fail(e);
  }
}

async function actorView(kind, key) {
  const q = '?key=' + encodeURIComponent(key);
  const base = `/v1/admin/actors/${encodeURIComponent(kind)}`;
  try {
    const a = await call('GET', `${base}/inspection${q}`);
    const journal = await call('GET', `${base}/journal${q}&limit=20`);
    const act = (id, what) => async () => {
      try {
        const r = await call('POST', `${base}/failed-commands/${encodeURIComponent(id)}/${what}${q}`);
        clear(banner, h('div', { class: 'ok', role: 'status' }, `command ${id} ${r.action}${r.retryId ? ' as ' + r.retryId : ''}`));
        actorView(kind, key);
      } catch (e) {
        fail(e);
      }
    };
    clear(main,
      h('section', { class: 'card' }, h('button', { class: 'link', onclick: () => actorsView(kind) }, `← ${kind}`),
        h('h1', {}, `${kind} ${key}`),
        h('p', { class: 'muted' }, `created: ${a.created} · journal sequence number: ${a.seqNr}`)),
      h('section', { class: 'card' }, h('h2', {}, `Queue (${a.queue.length} pending)`),
        a.queue.length === 0 ? h('p', { class: 'muted' }, 'Empty.') :
          h('ul', { class: 'list' }, a.queue.map((c) => h('li', {}, h('code', {}, c.commandId), ' ', c.commandType, ' ', when(c.acceptedAtMillis))))),
      h('section', { class: 'card' }, h('h2', {}, `Failed commands (${a.failedCommands.length})`),
        a.failedCommands.length === 0 ? h('p', { class: 'muted' }, 'None.') :
          h('table', { 'data-testid': 'failed-commands' }, h('thead', {}, h('tr', {}, h('th', {}, 'Command'), h('th', {}, 'Type'), h('th', {}, 'Reason'), h('th', {}, 'When'), h('th', {}, ''))),
            h('tbody', {}, a.failedCommands.map((f) => h('tr', { 'data-command': f.commandId },
              h('td', {}, h('code', {}, f.commandId)), h('td', {}, f.commandType),
              h('td', { class: 'reason' }, `${f.errorCode}: ${f.errorMessage}`), h('td', {}, when(f.failedAtMillis)),
              h('td', {}, h('button', { onclick: act(f.commandId, 'retry') }, 'Retry'), ' ',
                h('button', { onclick: act(f.commandId, 'discard') }, 'Discard'))))))),
      h('section', { class: 'card' }, h('h2', {}, `Recent journal entries (${journal.length})`),
        h('table', { 'data-testid': 'journal' }, h('thead', {}, h('tr', {}, h('th', {}, 'Seq'), h('th', {}, 'Written'), h('th', {}, 'Type'), h('th', {}, 'Payload'))),
          h('tbody', {}, journal.map((j) => h('tr', {}, h('td', {}, j.sequenceNumber), h('td', {}, when(j.writeTimestamp)),
            h('td', {}, j.manifest), h('td', {}, h('code', {}, j.payload))))))),
      h('section', { class: 'card' }, h('h2', {}, `Outbox backlog (${a.outbox.length})`),
        h('ul', { class: 'list' }, a.outbox.map((o) => h('li', {}, h('code', {}, o.outboundJson))))),
      h('section', { class: 'card' }, h('h2', {}, 'Tables (read only)'), a.tables.map(tableView)));
  } catch (e) {
    fail(e);
  }
}

function tableView(t) {
  const head = h('thead', {}, h('tr', {}, t.columns.map((c) => h('th', {}, c))));
  const body = h('tbody', {}, t.rows.map((r) => h('tr', {}, t.columns.map((c) => h('td', {}, r[c] === null ? '' : String(r[c]))))));
  return h('details', {}, h('summary', {}, `${t.name} (${t.rowCount} rows)`), h('div', { class: 'scroll' }, h('table', {}, head, body)));
}

if (sessionStorage.getItem(TOKEN)) kindsView();
else tokenView();
