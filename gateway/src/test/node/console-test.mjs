// Drives Magi's console (/ui/) in Debian's Chromium with playwright-core, as a person would; prints what it
// saw as one JSON object, the last line on stdout; exits 1 with the reason when a step fails. Run by
// ConsoleTest, which answers GO on stdin to what the script asks of it (a line on stdout) once done.
//
//   node console-test.mjs <scenario> <console url> <screenshot dir> [admin token]
//
// scenarios:
//   tour      no token: overview, load a model, its live log, a profile switch, the playground (chat and
//             embeddings), the request in Requests, a vector store search, the cluster page
//   login     with a token: the login form, a wrong token refused, the right one let in
//   proxied   through a reverse proxy under a base path, with a token: log in, follow a log while the
//             proxy restarts (asked of the test: RESTART-PROXY), chat in the playground, find the request
//             and its body
//   cluster   the Cluster page of a node that has company
//
// It never downloads a browser: playwright-core launches the executable CHROMIUM names (default
// /usr/bin/chromium, Debian's package).

import { chromium } from 'playwright-core';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const [scenario, consoleUrl, shots, token] = process.argv.slice(2);
const gateway = new URL('../', consoleUrl).href; // the console is at <gateway>/ui/
const seen = {};
const TIMEOUT = 60_000;

mkdirSync(shots, { recursive: true });

async function post(path, body, key = token) {
  const headers = { 'Content-Type': 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  const response = await fetch(new URL(path, gateway), { method: 'POST', headers, body: JSON.stringify(body) });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${path} answered ${response.status}: ${text}`);
  return JSON.parse(text);
}

// Asks the test to do something outside the browser: a line on stdout, then waits for its "GO" on stdin.
// (Stdin is read only while asking: an open reader would keep the script from ending.)
async function ask(what) {
  const answers = createInterface({ input: process.stdin });
  try {
    process.stdout.write(`${what}\n`);
    const { value } = await answers[Symbol.asyncIterator]().next();
    if (value !== 'GO') throw new Error(`the test answered ${value} to ${what}`);
  } finally {
    answers.close();
  }
}

async function shoot(page, name) {
  await page.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function open(page, name) {
  await page.click(`#nav a[data-page="${name}"]`);
  await page.locator(`.page[data-page="${name}"]`).waitFor();
}

/** A badge whose whole text is {@code text} ("loaded" must not match "unloaded"). */
function badge(scope, text) {
  return scope.locator('.badge', { hasText: new RegExp(`^${text}$`) });
}

async function chatInPlayground(page, model, prompt) {
  await open(page, 'playground');
  await page.locator(`select[name="model"] option[value="${model}"]`).waitFor({ state: 'attached' });
  await page.selectOption('select[name="model"]', model);
  await page.fill('textarea[name="prompt"]', prompt);
  await page.click('form.chat button[type="submit"]');
  const ttft = page.locator('[data-figure="ttft"]').last();
  await ttft.waitFor();
  return {
    answer: await page.locator('.message.assistant').last().textContent(),
    ttft: await ttft.textContent(),
    requestId: await page.locator('[data-figure="request-id"]').last().textContent(),
  };
}

async function findRequest(page, requestId) {
  await open(page, 'requests');
  const row = page.locator(`tr[data-request-id="${requestId}"]`);
  await row.waitFor();
  return (await row.locator('td').allTextContents()).map((cell) => cell.trim());
}

async function login(page, secret) {
  await page.locator('#login').waitFor();
  await page.fill('#token', secret);
  await page.click('#login-form button[type="submit"]');
}

async function tour(page) {
  await page.goto(consoleUrl);
  await page.locator('.card[data-model="llama-small"]').waitFor();
  seen.overviewModels = await page.locator('.card h2').allTextContents();
  await shoot(page, 'overview');

  await open(page, 'models');
  const row = page.locator('tr[data-model="llama-small"]');
  await badge(row, 'unloaded').waitFor();
  await row.locator('button[data-action="load"]').click();
  await badge(row, 'loaded').waitFor({ timeout: TIMEOUT });
  seen.loaded = true;
  await shoot(page, 'models');

  await row.locator('button[data-action="log"]').click();
  const lines = page.locator('.log .lines[data-model="llama-small"]');
  await lines.filter({ hasText: 'starting the main loop' }).waitFor();
  await badge(page.locator('.log'), 'live').waitFor();
  seen.logBefore = await lines.textContent();
  // A request to the model: its server prints a line about it, which must arrive without a reload.
  await post('v1/chat/completions', { model: 'llama-small', messages: [{ role: 'user', content: 'hello' }] },
    token);
  await lines.filter({ hasText: 'log_server_r: request: POST /v1/chat/completions' }).waitFor();
  seen.logAfter = await lines.textContent();
  await shoot(page, 'log');
  await open(page, 'profiles');
  await page.locator('tr[data-profile="both"] button[data-action="activate"]').click();
  // The switch as it goes: the models being loaded are pending.
  await badge(page.locator('.switch .progress'), 'pending').first().waitFor();
  seen.progress = await page.locator('.switch .progress').textContent();
  const result = page.locator('[data-result]');
  await result.waitFor({ timeout: TIMEOUT });
  seen.profileResult = await result.getAttribute('data-result');
  seen.profileText = await result.textContent();
  await badge(page.locator('tr[data-profile="both"]'), 'active').waitFor();
  await shoot(page, 'profiles');

  seen.chat = await chatInPlayground(page, 'qwen-tiny', 'Tell me a story');
  await page.selectOption('select[name="embed-model"]', 'embed-tiny');
  await page.fill('input[name="embed-input"]', 'a sentence to embed');
  await page.click('form.embed button[type="submit"]');
  seen.embedding = await page.locator('[data-figure="dimensions"]').textContent();
  await shoot(page, 'playground');

  seen.requestRow = await findRequest(page, seen.chat.requestId);
  await shoot(page, 'requests');

  const store = await post('v1/vector_stores', { name: 'handbook' });
  await post(`v1/vector_stores/${store.id}/documents`, { documents: [
    { id: 'tea', text: 'Green tea is brewed at 80 degrees for two minutes.' },
    { id: 'bread', text: 'Sourdough bread rises overnight in a cool kitchen.' },
  ] });
  await open(page, 'stores');
  await page.locator('button', { hasText: 'handbook' }).click();
  await page.fill('input[name="query"]', 'how hot should the water be for tea');
  await page.click('.page[data-page="stores"] form button[type="submit"]');
  await page.locator('.hits li').first().waitFor();
  seen.hits = await page.locator('.hits li').allTextContents();
  await shoot(page, 'stores');

  await open(page, 'cluster');
  seen.cluster = await page.locator('.page[data-page="cluster"]').textContent();
  await shoot(page, 'cluster');

  await open(page, 'overview');
  await page.locator('.card[data-model="qwen-tiny"] figcaption').first().waitFor();
  seen.overviewCard = await page.locator('.card[data-model="qwen-tiny"]').textContent();
  await shoot(page, 'overview-after');
}

async function loginScenario(page) {
  await page.goto(consoleUrl);
  await login(page, 'not-the-token');
  await page.locator('#login-error', { hasText: 'refused' }).waitFor();
  seen.wrongToken = await page.locator('#login-error').textContent();
  await shoot(page, 'login-refused');
  await login(page, token);
  await page.locator('.card').first().waitFor();
  seen.overviewModels = await page.locator('.card h2').allTextContents();
  seen.loginHidden = await page.locator('#login').isHidden();
}

async function proxied(page) {
  await page.goto(consoleUrl.replace(/\/$/, '')); // …/ui without its slash: redirected, under the base path
  seen.landedOn = page.url();
  await login(page, token);
  await page.locator('.card').first().waitFor();
  seen.overviewModels = await page.locator('.card h2').allTextContents();

  // A model's log followed through the proxy, which restarts: the tail says so, reconnects, and goes on
  // after the last line it had, without repeating one.
  await open(page, 'models');
  const row = page.locator('tr[data-model="llama-small"]');
  await row.locator('button[data-action="load"]').click();
  await badge(row, 'loaded').waitFor({ timeout: TIMEOUT });
  await row.locator('button[data-action="log"]').click();
  const lines = page.locator('.log .lines[data-model="llama-small"]');
  await lines.filter({ hasText: 'starting the main loop' }).waitFor();
  await ask('RESTART-PROXY');
  await page.locator('.log .lines[data-drops="1"]').waitFor();
  await badge(page.locator('.log'), 'live').waitFor();
  await post('v1/completions', { model: 'llama-small', prompt: 'again', max_tokens: 2 });
  await lines.filter({ hasText: 'log_server_r: request: POST /v1/completions' }).waitFor();
  seen.logAfterDrop = await lines.textContent();
  await shoot(page, 'log-after-drop');

  seen.chat = await chatInPlayground(page, 'llama-small', 'Hello through the proxy');
  seen.requestRow = await findRequest(page, seen.chat.requestId);
  // Bodies are captured here (console.capture_bodies): the request's own, redacted.
  await page.locator(`tr[data-request-id="${seen.chat.requestId}"] button[data-action="body"]`).click();
  seen.body = await page.locator('.detail pre.body').textContent();
  await shoot(page, 'proxied');
}

async function clusterScenario(page) {
  await page.goto(`${consoleUrl}#/cluster`);
  await page.locator('tr[data-node="node-b"]').waitFor();
  seen.nodes = await page.locator('tr[data-node]').evaluateAll((rows) => rows.map((row) =>
    Array.from(row.querySelectorAll('td'), (cell) => cell.textContent.trim())));
  seen.head = await page.locator('.page[data-page="cluster"] p').first().textContent();
  await shoot(page, 'cluster');
}

const SCENARIOS = { tour, login: loginScenario, proxied, cluster: clusterScenario };
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
    '--disable-quic', '--no-first-run', '--disable-sync'],
});
let failed = null;
const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
page.setDefaultTimeout(20_000);
const consoleErrors = [];
page.on('pageerror', (error) => consoleErrors.push(String(error)));
// A refused call (401 before the login) is the browser's network log, not the page's error; answers of 5xx are.
page.on('console', (message) => {
  if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) {
    consoleErrors.push(message.text());
  }
});
page.on('response', (response) => {
  if (response.status() >= 500) consoleErrors.push(`${response.status()} from ${response.url()}`);
});
try {
  await SCENARIOS[scenario](page);
} catch (error) {
  failed = error;
  await shoot(page, `${scenario}-failure`).catch(() => {});
}
seen.consoleErrors = consoleErrors;
await browser.close();
if (failed) {
  process.stderr.write(`${scenario}: ${failed.stack || failed}\nseen so far: ${JSON.stringify(seen)}\n`);
  process.exit(1);
}
process.stdout.write(`${JSON.stringify(seen)}\n`, () => process.exit(0));
