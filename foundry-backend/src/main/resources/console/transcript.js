import { h } from './dom.js';

// Renders one transcript entry (a sandbox-agent event, or the client's prompt) for a person:
// messages and thoughts as text, tool calls with their status, diffs and permission outcomes.
function texts(content) {
  if (!content) return '';
  if (Array.isArray(content)) return content.map(texts).join('');
  if (typeof content === 'string') return content;
  if (content.text !== undefined) return String(content.text);
  if (content.content) return texts(content.content);
  return '';
}

function diffs(content) {
  const list = Array.isArray(content) ? content : [];
  return list
    .filter((c) => c && c.type === 'diff')
    .map((d) =>
      h('details', { class: 'diff', open: true },
        h('summary', {}, 'diff ', d.path || ''),
        h('pre', {}, ...(d.oldText ? [h('span', { class: 'del' }, d.oldText)] : []),
          h('span', { class: 'add' }, d.newText || ''))));
}

export function entryView(e) {
  const p = e.payload || {};
  const kind = p.sessionUpdate || p.type || p.method || (e.sender === 'client' ? 'prompt' : Object.keys(p)[0] || 'event');
  if (kind === 'agent_message_chunk' || kind === 'user_message_chunk') {
    return h('div', { class: 'msg agent', 'data-kind': kind }, texts(p.content));
  }
  if (kind === 'agent_thought_chunk') {
    return h('div', { class: 'msg thought', 'data-kind': kind }, h('em', {}, 'thinking: '), texts(p.content));
  }
  if (kind === 'tool_call' || kind === 'tool_call_update') {
    return h('div', { class: 'msg tool', 'data-kind': kind },
      h('strong', {}, 'tool ', p.title || p.toolCallId || ''), ' ',
      h('span', { class: 'badge' }, p.status || ''),
      texts(p.content) ? h('pre', {}, texts(p.content)) : null,
      ...diffs(p.content));
  }
  if (kind === 'plan' && Array.isArray(p.entries)) {
    return h('div', { class: 'msg plan', 'data-kind': kind }, h('strong', {}, 'plan'),
      h('ul', {}, p.entries.map((x) => h('li', {}, `${x.content || ''} `, h('span', { class: 'badge' }, x.status || '')))));
  }
  if (kind.includes('permission')) {
    const outcome = p.outcome?.outcome || p.outcome || p.status || '';
    return h('div', { class: 'msg permission', 'data-kind': kind },
      h('strong', {}, 'permission '), typeof outcome === 'string' ? outcome : JSON.stringify(outcome));
  }
  if (p.stopReason) {
    return h('div', { class: 'msg end muted', 'data-kind': 'turn_end' }, `turn ended: ${p.stopReason}`);
  }
  if (e.sender === 'client' || kind === 'prompt') {
    const text = texts(p.prompt) || texts(p.content) || p.text || JSON.stringify(p);
    return h('div', { class: 'msg user', 'data-kind': 'prompt' }, text);
  }
  return h('details', { class: 'msg other', 'data-kind': kind },
    h('summary', {}, kind), h('pre', {}, JSON.stringify(p, null, 2)));
}

/**
 * Adjacent message chunks of one turn read as one message: consecutive entries of the same kind
 * are merged into one block.
 */
export function transcriptView(entries) {
  const out = [];
  const tools = new Map(); // toolCallId -> the tool call's element, updated in place
  let last = null;
  for (const e of entries) {
    const p = e.payload || {};
    const kind = p.sessionUpdate;
    if (kind === 'tool_call_update' && p.toolCallId && tools.has(p.toolCallId)) {
      const el = tools.get(p.toolCallId);
      if (p.status) el.querySelector('.badge').textContent = p.status;
      const more = entryView(e);
      for (const extra of [...more.children].slice(2)) el.append(extra);
      last = null;
      continue;
    }
    if (last && kind && (kind === 'agent_message_chunk' || kind === 'agent_thought_chunk')
        && last.kind === kind && last.turn === e.turnId) {
      last.el.append(texts(p.content));
      continue;
    }
    const el = entryView(e);
    if (kind === 'tool_call' && p.toolCallId) tools.set(p.toolCallId, el);
    out.push(el);
    last = { kind, turn: e.turnId, el };
  }
  return out;
}
