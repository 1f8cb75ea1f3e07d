// The organization topic's state in the browser: the snapshot, then its events (docs/realtime.md,
// "Per-task changes on the organization topic"). organizationUpdated replaces everything; a task's
// taskSummaryUpdated / taskSummaryRemoved changes that task in the list, and what the snapshot
// derives from the list (repositories' task counts and activity, open pull requests) is derived
// here again, by the server's rules, so the result is what a fresh snapshot would show.

/** The state after frame (a snapshot or an event of the topic); state is not modified. */
export function applyOrganizationFrame(state, f) {
  if (f.type === 'snapshot' || f.event === 'organizationUpdated') return f.payload;
  if (!state) return state; // an event before any snapshot: the snapshot that follows has it
  if (f.event === 'taskSummaryUpdated') {
    return derive(state, without(state, f.payload.id).concat([f.payload]));
  }
  if (f.event === 'taskSummaryRemoved') return derive(state, without(state, f.payload.taskId));
  return state; // an event this page does not know changes nothing it shows
}

function without(state, taskId) {
  return (state.taskSummaries || []).filter((t) => t.id !== taskId);
}

const byText = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

function derive(state, tasks) {
  // Newest first, then by id: the snapshot's order.
  tasks.sort((a, b) => b.updatedAtMs - a.updatedAtMs || byText(a.id, b.id));
  const repos = (state.repos || []).map((r) => {
    const own = tasks.filter((t) => t.repoId === r.id);
    // A repository with no task left shows its own activity; the server then sends the whole
    // organization instead, so keeping the old value here is never shown for long.
    const latest = own.length ? Math.max(...own.map((t) => t.updatedAtMs)) : r.latestActivityMs;
    return { ...r, taskCount: own.length, latestActivityMs: latest };
  });
  repos.sort((a, b) => b.latestActivityMs - a.latestActivityMs || byText(a.label, b.label));
  const open = new Map();
  for (const t of tasks) {
    const p = t.pullRequest;
    if (!p || (p.state !== 'OPEN' && p.state !== 'DRAFT')) continue;
    const prId = `${t.repoId}#${p.number}`;
    if (open.has(prId)) continue;
    open.set(prId, {
      prId, repoId: t.repoId, repoFullName: p.repoFullName, number: p.number, title: p.title,
      status: p.status, state: p.state, url: p.url, headRefName: p.headRefName,
      baseRefName: p.baseRefName, authorLogin: p.authorLogin, isDraft: p.isDraft,
      updatedAtMs: p.updatedAtMs,
    });
  }
  return { ...state, repos, taskSummaries: tasks, openPullRequests: [...open.values()] };
}
