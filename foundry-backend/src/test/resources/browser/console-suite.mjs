// The browser suite: drives the console in Debian's chromium through playwright-core, against a
// real backend started by ConsoleBrowserTest. Each step prints "STEP <name>"; the last line is
// "SUITE PASSED". Any failure exits non-zero with the reason (and a screenshot at FAILURE_SHOT).
//
// Environment: NODE_PATH (playwright-core's node_modules), BASE (the backend), REPO_URL (a file://
// git remote), ADMIN_TOKEN, SHOTS (where screenshots go), CHROMIUM (the browser binary).
import { createRequire } from 'module';

const require = createRequire(process.env.NODE_PATH + '/');
const { chromium } = require('playwright-core');
const { BASE, REPO_URL, ADMIN_TOKEN, SHOTS } = process.env;
const T = 90_000;

function step(name) {
  console.log('STEP ' + name);
}

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update',
    '--disable-default-apps', '--disable-sync', '--no-first-run'],
});
const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
const page = await context.newPage();
const consoleErrors = [];
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push('pageerror: ' + e.message));
page.setDefaultTimeout(T);

async function shot(name) {
  await page.screenshot({ path: `${SHOTS}/${name}.png` });
}

async function transcriptHas(text) {
  await page.waitForFunction(
    (t) => document.querySelector('[data-testid=transcript]')?.textContent.includes(t), text, { timeout: T });
}

async function bannerSays(text) {
  await page.waitForFunction((t) => document.getElementById('banner').textContent.includes(t), text, { timeout: T });
}

try {
  step('sign in');
  await page.goto(BASE + '/');
  await page.fill('input[name=login]', 'ada');
  await shot('sign-in');
  await page.click('form[data-testid=dev-sign-in] button[type=submit]');
  await page.waitForSelector('#conn[data-state=live]');
  // A marker that a reload would erase: everything below happens without one.
  await page.evaluate(() => { window.__noReload = true; });

  step('empty states');
  await page.waitForSelector('[data-testid=tasks] [data-testid=empty]');

  step('add a repository');
  await page.click('nav a[href="#/repos"]');
  await page.fill('input[name=remoteUrl]', REPO_URL);
  await page.click('form[data-testid=add-repo] button[type=submit]');
  await page.waitForSelector('[data-repo]');
  await shot('repositories');

  step('create a task');
  await page.click('nav a[href="#/"]');
  await page.waitForSelector('select[name=repoId] option', { state: 'attached' });
  await page.fill('textarea[name=task]', 'hello from the browser');
  await page.click('form[data-testid=create-task] button[type=submit]');
  await page.waitForURL(/#\/task\//);

  step('the agent answer streams in');
  await transcriptHas('You said: hello from the browser');
  await page.waitForSelector('[data-testid=session-status][data-status=idle]');
  await shot('task');

  step('a second message');
  await page.fill('textarea[name=message]', 'second message');
  await page.click('form[data-testid=composer] button[type=submit]');
  await transcriptHas('You said: second message');
  await page.waitForSelector('[data-testid=session-status][data-status=idle]');

  step('a tool call writes a file: it shows in the transcript and the changed files, and reverts');
  await page.fill('textarea[name=message]', '/write console-notes.txt milk');
  await page.click('form[data-testid=composer] button[type=submit]');
  await page.waitForSelector('[data-testid=transcript] .msg.tool');
  await page.waitForSelector('[data-testid=files] code:text("console-notes.txt")');
  await page.waitForSelector('[data-testid=session-status][data-status=idle]');
  await shot('task-tool-call');
  await page.click('[data-testid=files] button:text("Revert")');
  await page.waitForSelector('[data-testid=files] :text("No changes.")');

  step('disconnected: reconnects by itself and shows what changed meanwhile');
  await context.setOffline(true);
  await page.waitForSelector('#conn[data-state=disconnected]');
  // Changed by another client while this page is cut off.
  const cookies = await context.cookies(BASE);
  const taskPath = await page.evaluate(() => location.hash.replace('#/task/', ''));
  const app = await (await fetch(BASE + '/v1/app', { headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; ') } })).json();
  const renamed = await fetch(`${BASE}/v1/organizations/${app.activeOrganizationId}/tasks/${taskPath}`, {
    method: 'PATCH',
    headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '), 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'renamed while offline' }),
  });
  if (!renamed.ok) throw new Error('rename failed: ' + renamed.status + ' ' + (await renamed.text()));
  await page.screenshot({ path: `${SHOTS}/disconnected.png` });
  await context.setOffline(false);
  await page.waitForSelector('#conn[data-state=live]');
  await page.waitForSelector('[data-testid=task-title]:text("renamed while offline")');

  step('drafts are kept per user');
  await page.fill('textarea[name=message]', 'a draft to keep');
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('[data-task]');
  await page.click('[data-task] a');
  await page.waitForFunction(() => document.querySelector('textarea[name=message]')?.value === 'a draft to keep');
  await page.fill('textarea[name=message]', '');
  await page.dispatchEvent('textarea[name=message]', 'input');

  step('the task list follows a change live: the one task changes, the page does not reload');
  await page.evaluate(() => { location.hash = '#/'; });
  await page.waitForSelector('[data-task]');
  const again = await fetch(`${BASE}/v1/organizations/${app.activeOrganizationId}/tasks/${taskPath}`, {
    method: 'PATCH',
    headers: { cookie: cookies.map((c) => `${c.name}=${c.value}`).join('; '), 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'renamed in the list' }),
  });
  if (!again.ok) throw new Error('rename failed: ' + again.status + ' ' + (await again.text()));
  await page.waitForSelector('[data-task] a:text("renamed in the list")');
  await page.click('[data-task] a');
  await page.waitForSelector('[data-testid=task-title]:text("renamed in the list")');

  step('stop a slow turn');
  await page.fill('textarea[name=message]', '/slow 100');
  await page.click('form[data-testid=composer] button[type=submit]');
  await page.waitForSelector('[data-testid=session-status][data-status=running]');
  await page.click('[data-testid=stop]');
  await page.waitForSelector('[data-testid=session-status][data-status=idle]');

  step('publishing a pull request is offered only with GitHub');
  if (await page.isVisible('button[data-action=pull-request]')) throw new Error('publish PR shown without GitHub');

  step('a new session opens as a tab');
  await page.click('[data-testid=new-session]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=session-tabs] [role=tab]').length === 2);
  await page.click('[data-testid=session-tabs] [role=tab]:first-child');
  await page.waitForSelector('[data-testid=session-tabs] [role=tab]:first-child[aria-selected=true]');
  await transcriptHas('You said: second message');

  step('push');
  await page.click('button[data-action=push]');
  await bannerSays('Push: done');

  step('a process that cannot start shows the API error');
  await page.fill('input[name=command]', 'true');
  await page.fill('input[name=cwd]', '/nonexistent-foundry-directory');
  await page.click('form[data-testid=start-process] button[type=submit]');
  await page.waitForSelector('#banner .error');
  const processError = await page.textContent('#banner .error');
  console.log('process error: ' + processError);

  step('a process with live logs');
  await page.fill('input[name=command]', 'echo');
  await page.fill('input[name=args]', 'hello-from-a-process');
  await page.fill('input[name=cwd]', '');
  await page.click('form[data-testid=start-process] button[type=submit]');
  await page.waitForSelector('[data-process] [data-logs]');
  await page.click('[data-process] [data-logs]');
  await page.waitForFunction(() => document.querySelector('[data-testid=logs]').textContent.includes('hello-from-a-process'));

  step('archive');
  await page.click('button[data-action=archive]');
  await page.waitForSelector('[data-testid=task-status]:text("archived")');

  step('audit log');
  await page.click('nav a[href="#/audit"]');
  await page.waitForFunction(() => document.querySelector('[data-testid=audit]')?.textContent.includes('task.'));
  await shot('audit-log');

  step('narrow window');
  await page.setViewportSize({ width: 400, height: 800 });
  await page.click('nav a[href="#/"]');
  await page.waitForSelector('[data-task]');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 1) throw new Error('the narrow page scrolls sideways by ' + overflow + 'px');
  await shot('narrow');
  await page.setViewportSize({ width: 1280, height: 800 });

  if (!(await page.evaluate(() => window.__noReload))) throw new Error('the page reloaded');

  step('keyboard: the first Tab of a fresh page reaches the skip link, then the navigation');
  await page.goto(BASE + '/?fresh#/');
  await page.waitForSelector('[data-task]');
  await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => document.activeElement?.textContent);
  if (!focused || !focused.includes('Skip')) throw new Error('the first Tab does not reach the skip link: ' + focused);
  await page.keyboard.press('Tab');
  const next = await page.evaluate(() => document.activeElement?.getAttribute('href'));
  if (next !== '#/') throw new Error('the second Tab does not reach the navigation: ' + next);

  step('inspector shows the failed command and its reason');
  await page.goto(BASE + '/admin');
  await page.fill('input[name=token]', ADMIN_TOKEN);
  await page.click('button[type=submit]');
  await page.waitForSelector('[data-kind=sandbox]');
  await shot('inspector');
  await page.click('[data-kind=sandbox]');
  await page.click('[data-testid=actors] [data-key]');
  await page.waitForSelector('[data-testid=failed-commands] .reason');
  const reason = await page.textContent('[data-testid=failed-commands] .reason');
  console.log('failed command reason: ' + reason);
  await page.waitForSelector('[data-testid=journal] tbody tr');
  await shot('inspector-actor');
  step('discard it');
  await page.click('[data-testid=failed-commands] button:text("Discard")');
  await page.waitForSelector('#banner .ok');
  await page.waitForSelector('[data-testid=failed-commands]', { state: 'detached' });

  const broken = consoleErrors.filter((e) => e.startsWith('pageerror'));
  if (broken.length) throw new Error('script errors: ' + broken.join('; '));
  const csp = consoleErrors.filter((e) => e.includes('Content Security Policy'));
  if (csp.length) throw new Error('CSP violations: ' + csp.join('; '));
  console.log('SUITE PASSED');
} catch (e) {
  console.log('FAILED: ' + e.message);
  console.log('browser console errors: ' + JSON.stringify(consoleErrors));
  try { await page.screenshot({ path: process.env.FAILURE_SHOT }); } catch (ignored) { /* the page may be gone */ }
  process.exitCode = 1;
} finally {
  await browser.close();
}
