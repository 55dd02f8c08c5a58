// Visits every admin page of a running sandbox app in headless Chromium (offline: only loopback requests
// are let through), and writes report.json for tests/dashboard/test_browser.py: what each page shows,
// console errors, axe-core violations, LCP and CLS (PerformanceObserver), the phone-width layout, and the
// interactions (settings round trip and field errors, filters, downloads, the date range).
//
// Env: RINGBACK_BASE_URL, RINGBACK_ARTIFACTS (report + screenshots), RINGBACK_SCREENSHOTS (optional, a
// second place for the desktop screenshots: docs/screenshots), RINGBACK_CALL_ID, RINGBACK_CHECKOUT_TOKEN,
// CHROMIUM_PATH (default /usr/bin/chromium).
import fs from 'node:fs';
import path from 'node:path';
import {createRequire} from 'node:module';

// playwright-core and axe-core live in extensions/node_modules (extensions/package.json).
const require = createRequire(new URL('../../../extensions/package.json', import.meta.url));
const {chromium} = require('playwright-core');
const AXE = require.resolve('axe-core/axe.min.js');

const BASE = process.env.RINGBACK_BASE_URL;
const OUT = process.env.RINGBACK_ARTIFACTS;
const DOCS = process.env.RINGBACK_SCREENSHOTS || '';
const CALL_ID = process.env.RINGBACK_CALL_ID;
const TOKEN = process.env.RINGBACK_CHECKOUT_TOKEN;
const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const DESKTOP = {width: 1280, height: 900};
const PHONE = {width: 375, height: 812};
const SETTLE_MS = 400;
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
              '--disable-background-networking', '--disable-component-update', '--disable-sync',
              '--disable-extensions', '--mute-audio'];

const PAGES = [
  {name: 'overview', path: '/', ready: '#overview'},
  {name: 'activity', path: '/activity', ready: '#checkouts, #recent'},
  {name: 'checkout', path: `/checkouts/${TOKEN}`, ready: '#checkout'},
  {name: 'call', path: `/calls/${CALL_ID}`, ready: '#call', extra: '[data-testid=recording] audio'},
  {name: 'settings', path: '/settings', ready: '#settings', extra: '[data-testid=segments-en]'},
  {name: 'compliance', path: '/compliance', ready: '#compliance'},
  {name: 'setup', path: '/setup', ready: '#setup'},
];

// Installed before any page script: Web Vitals as the browser reports them.
function vitalsObserver() {
  window.__vitals = {lcp: 0, lcpElement: null, cls: 0, shifts: []};
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.__vitals.lcp = entry.startTime;
      const element = entry.element;
      window.__vitals.lcpElement = element ? element.nodeName + (element.id ? '#' + element.id : '') : null;
    }
  }).observe({type: 'largest-contentful-paint', buffered: true});
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.hadRecentInput) continue;
      window.__vitals.cls += entry.value;
      window.__vitals.shifts.push({value: entry.value, at: entry.startTime, sources: (entry.sources || []).map(
        (s) => (s.node && s.node.nodeName ? s.node.nodeName + (s.node.id ? '#' + s.node.id : '') +
          (s.node.className && typeof s.node.className === 'string' ? '.' + s.node.className : '') : '?'))});
    }
  }).observe({type: 'layout-shift', buffered: true});
}

const report = {pages: {}, interactions: {}, interaction_errors: [], external_requests: [], call_id: CALL_ID};

function loopback(url) {
  if (!/^https?:/.test(url)) return true;
  const host = new URL(url).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

async function newContext(browser, viewport) {
  const context = await browser.newContext({viewport, deviceScaleFactor: 1, locale: 'en-US',
                                            acceptDownloads: true});
  await context.route('**/*', (route) => {
    const url = route.request().url();
    if (loopback(url)) return route.continue();
    report.external_requests.push(url);
    return route.abort();
  });
  await context.addInitScript(vitalsObserver);
  return context;
}

// `expected`: [path, status] pairs of answers the scenario provokes on purpose (Chromium logs every 4xx).
function watch(page, expected = []) {
  const seen = {console_errors: [], page_errors: []};
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location().url ? new URL(message.location().url).pathname : '';
    const provoked = expected.some(([p, status]) => where === p && message.text().includes(`status of ${status}`));
    if (!provoked) seen.console_errors.push(message.text());
  });
  page.on('pageerror', (error) => seen.page_errors.push(String(error)));
  return seen;
}

async function waitReady(page, spec) {
  await page.waitForFunction((selector) => {
    const regions = [...document.querySelectorAll(selector)];
    return regions.length && regions.every((r) => !r.hasAttribute('aria-busy'));
  }, spec.ready, {timeout: 15000});
  if (spec.extra) await page.waitForSelector(spec.extra, {timeout: 15000});
  await page.waitForTimeout(SETTLE_MS);
}

// -- what each page shows ---------------------------------------------------------------------------
async function pageChecks(page, name) {
  return page.evaluate((name) => {
    const text = (node) => (node ? node.textContent.replace(/\s+/g, ' ').trim() : '');
    const checks = {};
    if (name === 'overview') {
      checks.funnel = [...document.querySelectorAll('.funnel li')].map(
        (li) => [li.dataset.step, text(li.querySelector('strong'))]);
      checks.revenue = text(document.querySelector('[data-testid=kpi-revenue] .kpi-value'));
      checks.channels = [...document.querySelectorAll('[data-testid=channels] tbody th')].map(text);
      checks.lift = text(document.querySelector('[data-testid=lift-reading]'));
      checks.setup_banner = !!document.querySelector('[data-testid=setup-banner]');
      const canvas = document.querySelector('[data-testid=revenue-chart] canvas');
      checks.chart = {width: 0, height: 0, painted_pixels: 0};
      if (canvas) {
        const box = canvas.getBoundingClientRect();
        const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted += 1;
        checks.chart = {width: box.width, height: box.height, painted_pixels: painted};
      }
    }
    if (name === 'call') {
      checks.transcript = [...document.querySelectorAll('[data-testid=transcript] > li')].map((li) => {
        const box = li.getBoundingClientRect();
        return {role: li.dataset.role, text: text(li.querySelector('.said')), left: box.left, right: box.right};
      });
    }
    if (name === 'checkout') {
      checks.thread = [...document.querySelectorAll('[data-testid=thread] .conversation > li')].map((li) => ({
        side: li.classList.contains('right') ? 'right' : 'left', text: text(li.querySelector('.said'))}));
    }
    if (name === 'setup') {
      checks.steps = [...document.querySelectorAll('.steps > li')].map((li) => ({
        id: li.dataset.step, done: text(li.querySelector('s-badge')) === 'Done'}));
    }
    return checks;
  }, name);
}

async function commonChecks(page) {
  return page.evaluate(() => ({
    navigation: [...document.querySelectorAll('s-app-nav > s-link')].map((l) => l.textContent.trim()),
    error_states: [...document.querySelectorAll('.error-state')].map((e) => e.textContent.trim()),
    loaded: ![...document.querySelectorAll('.region')].some((r) => r.hasAttribute('aria-busy')),
  }));
}

async function axe(page) {
  await page.addScriptTag({path: AXE});
  const result = await page.evaluate(() => window.axe.run(document, {resultTypes: ['violations']}));
  const byImpact = {critical: [], serious: [], moderate: [], minor: []};
  for (const violation of result.violations) {
    byImpact[violation.impact || 'minor'].push({id: violation.id, help: violation.help,
                                                nodes: violation.nodes.slice(0, 3).map((n) => n.target.join(' '))});
  }
  return byImpact;
}

async function screenshot(page, file) {
  const target = path.join(OUT, file);
  await page.screenshot({path: target, fullPage: true});
  return target;
}

async function visit(browser, spec) {
  const context = await newContext(browser, DESKTOP);
  const page = await context.newPage();
  const seen = watch(page);
  const response = await page.goto(BASE + spec.path, {waitUntil: 'load'});
  await waitReady(page, spec);
  const vitals = await page.evaluate(() => window.__vitals);
  const overflow = await page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
  const result = {url: spec.path, status: response.status(), ...seen, ...(await commonChecks(page)),
                  checks: await pageChecks(page, spec.name), vitals, overflow};
  result.axe = await axe(page);
  result.screenshot = await screenshot(page, `${spec.name}.png`);
  if (DOCS) fs.copyFileSync(result.screenshot, path.join(DOCS, `${spec.name}.png`));
  if (spec.name === 'call') result.checks.recording = await recordingCheck(page);
  await context.close();
  result.phone = await phone(browser, spec);
  return result;
}

async function phone(browser, spec) {
  const context = await newContext(browser, PHONE);
  const page = await context.newPage();
  const seen = watch(page);
  await page.goto(BASE + spec.path, {waitUntil: 'load'});
  await waitReady(page, spec);
  const overflow = await page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - window.innerWidth));
  // Tables that only fit by scrolling sideways inside their box (a hidden column until one scrolls).
  const scrolled = await page.evaluate(() => [...document.querySelectorAll('.table-wrap')]
    .filter((box) => box.scrollWidth > box.clientWidth + 1).length);
  const file = await screenshot(page, `${spec.name}-phone.png`);
  if (DOCS && spec.name === 'overview') fs.copyFileSync(file, path.join(DOCS, `${spec.name}-phone.png`));
  await context.close();
  return {overflow, scrolled, screenshot: file, console_errors: seen.console_errors};
}

async function recordingCheck(page) {
  return page.evaluate(async () => {
    const audio = document.querySelector('[data-testid=recording] audio');
    const ready = audio.readyState >= 1 || await new Promise((resolve) => {
      audio.addEventListener('loadedmetadata', () => resolve(true), {once: true});
      audio.addEventListener('error', () => resolve(false), {once: true});
      setTimeout(() => resolve(audio.readyState >= 1), 5000);
    });
    const fetched = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname)
      .find((p) => p.endsWith('/recording'));
    return {src: audio.src, ready, requested: fetched || null, error: audio.error && audio.error.code};
  });
}

// -- interactions -------------------------------------------------------------------------------------
async function interaction(name, browser, run, expected = []) {
  const context = await newContext(browser, DESKTOP);
  const page = await context.newPage();
  const seen = watch(page, expected);
  try {
    report.interactions[name] = await run(page);
  } catch (error) {
    report.interaction_errors.push(`${name}: ${error.stack || error}`);
    await page.screenshot({path: path.join(OUT, `failed-${name}.png`), fullPage: true}).catch(() => {});
  }
  for (const message of [...seen.console_errors, ...seen.page_errors]) {
    report.interaction_errors.push(`${name}: console: ${message}`);
  }
  await context.close();
}

const saveBar = '.ringback-save-bar';

async function settingsRoundTrip(page) {
  const result = {};
  const delay = '#setting-first_contact_delay_minutes';
  await page.goto(BASE + '/settings');
  await waitReady(page, PAGES.find((p) => p.name === 'settings'));
  Object.assign(result, await page.evaluate(() => ({
    settings_on_page: [...document.querySelectorAll('[data-setting]')].map((n) => n.dataset.setting),
    groups: [...document.querySelectorAll('s-section[data-group]')].map((n) => n.dataset.group),
  })));
  // A bad value: the save bar shows, Save answers 422, the error sits next to the field, nothing saved.
  await page.locator(`${delay} input`).fill('2');
  await page.waitForSelector(saveBar, {state: 'visible', timeout: 5000});
  result.save_bar_shown_when_dirty = true;
  await page.locator(`${saveBar} button.primary`).click();
  await page.waitForFunction((sel) => document.querySelector(sel).getAttribute('error'), delay, {timeout: 5000});
  result.field_error = await page.evaluate((sel) => {
    const host = document.querySelector(sel);
    const error = host.shadowRoot.querySelector('.error');
    const input = host.shadowRoot.querySelector('.control').getBoundingClientRect();
    const box = error.getBoundingClientRect();
    const color = getComputedStyle(error).color;
    const [r, g, b] = color.match(/\d+/g).map(Number);
    return {text: error.textContent.trim(), color, red: r > 120 && r > 2 * g && r > 2 * b,
            gap_below_input: box.top - input.bottom, visible: box.height > 0};
  }, delay);
  result.nothing_saved_on_error = await page.evaluate(async () =>
    (await (await fetch('/api/settings')).json()).first_contact_delay_minutes);
  await page.screenshot({path: path.join(OUT, 'settings-error.png'), fullPage: false});
  if (DOCS) fs.copyFileSync(path.join(OUT, 'settings-error.png'), path.join(DOCS, 'settings-error.png'));
  // A good value: saved, the bar goes away, the value is there after a reload and in the API.
  await page.locator(`${delay} input`).fill('45');
  await page.locator(`${saveBar} button.primary`).click();
  await page.waitForSelector(saveBar, {state: 'hidden', timeout: 5000});
  result.save_bar_shown_after_save = await page.locator(saveBar).isVisible();
  await page.reload();
  await waitReady(page, PAGES.find((p) => p.name === 'settings'));
  result.saved_value_after_reload = await page.locator(`${delay} input`).inputValue();
  result.api_value = await page.evaluate(async () =>
    (await (await fetch('/api/settings')).json()).first_contact_delay_minutes);
  // The live preview follows the draft; Discard puts the saved text back.
  const template = '#setting-sms_templates-en';
  await page.locator(`${template} textarea`).fill('{store}: {first_name}, your cart is waiting: {link}');
  await page.waitForFunction(() => document.querySelector('#preview-en .bubble').textContent
    .includes('your cart is waiting'), null, {timeout: 5000});
  result.preview = await page.evaluate(() => ({
    body: document.querySelector('#preview-en .bubble').textContent,
    segments: document.querySelector('#preview-en .segments').textContent}));
  await page.locator(`${saveBar} button:not(.primary)`).click();
  await page.waitForSelector(saveBar, {state: 'hidden', timeout: 5000});
  result.discarded = (await page.locator(`${template} textarea`).inputValue()) === '';
  return result;
}

async function activityFlow(page) {
  const result = {};
  const spec = PAGES.find((p) => p.name === 'activity');
  await page.goto(BASE + '/activity');
  await waitReady(page, spec);
  await page.locator('#filter-status select').selectOption('recovered');
  await page.waitForResponse((r) => r.url().includes('/api/checkouts?') && r.url().includes('status=recovered'));
  await waitReady(page, spec);
  result.filtered_statuses = await page.evaluate(() =>
    [...new Set([...document.querySelectorAll('#checkouts tbody tr td:nth-child(4) s-badge')]
      .map((b) => b.textContent.trim()))]);
  await page.locator('#checkouts tbody tr').first().locator('td').nth(1).click();
  await page.waitForURL(/\/checkouts\//);
  result.opened = new URL(page.url()).pathname;
  await waitReady(page, PAGES.find((p) => p.name === 'checkout'));
  return result;
}

async function dateRange(page) {
  await page.goto(BASE + '/');
  await waitReady(page, PAGES[0]);
  const from = await page.evaluate(() => {
    const field = document.getElementById('range-to');
    const [y, m, d] = field.value.split('-').map(Number);
    return new Date(Date.UTC(y, m - 1, d - 6)).toISOString().slice(0, 10);
  });
  const reloaded = page.waitForRequest((r) => r.url().includes('/api/overview?') && r.url().includes(`from=${from}`));
  await page.locator('#range-from input').fill(from);
  await page.locator('#range-from input').dispatchEvent('change');
  const request = await reloaded;
  await waitReady(page, PAGES[0]);
  const url = new URL(request.url());
  return {from, requested: url.pathname + url.search};
}

async function complianceFlow(page) {
  const result = {};
  const spec = PAGES.find((p) => p.name === 'compliance');
  await page.goto(BASE + '/compliance');
  await waitReady(page, spec);
  result.banner_before = await page.locator('[data-testid=new-data-request]').isVisible();
  result.suppressions = await page.locator('[data-testid=suppressions] tbody tr').count();
  result.restrictions = await page.locator('[data-testid=restrictions] tbody tr').count();
  const csv = page.waitForEvent('download');
  await page.locator('#consent-export button').click();
  const csvFile = await csv;
  result.csv_file = csvFile.suggestedFilename();
  result.csv_head = fs.readFileSync(await csvFile.path(), 'utf8').slice(0, 40);
  const json = page.waitForEvent('download');
  await page.locator('[data-testid=data-requests] tbody tr s-button button').first().click();
  result.data_request_file = (await json).suggestedFilename();
  await page.reload();
  await waitReady(page, spec);
  result.banner_after_download = await page.locator('[data-testid=new-data-request]').count() > 0;
  return result;
}

// A shop that has not finished setting up sees the guide on the Overview (its steps as /api/setup says).
async function setupBanner(page) {
  const steps = [
    {id: 'twilio', title: 'Connect Twilio', done: true, detail: '', links: []},
    {id: 'consent_block', title: 'Add the consent block to checkout or cart', done: false, detail: '', links: []},
    {id: 'test_call', title: 'Take a test call on your own phone', done: false, detail: '', links: []},
  ];
  await page.route('**/api/setup', (route) => route.fulfill({json: {complete: false, steps}}));
  await page.goto(BASE + '/');
  await waitReady(page, PAGES[0]);
  const banner = page.locator('[data-testid=setup-banner]');
  return {visible: await banner.isVisible(), text: (await banner.textContent()).replace(/\s+/g, ' ').trim(),
          link: await banner.locator('s-link').getAttribute('href')};
}

// -- run ------------------------------------------------------------------------------------------------
const browser = await chromium.launch({executablePath: CHROMIUM, headless: true, args: ARGS});
try {
  for (const spec of PAGES) {
    try {
      report.pages[spec.name] = await visit(browser, spec);
    } catch (error) {
      report.pages[spec.name] = {url: spec.path, status: 0, loaded: false, error: String(error.stack || error),
                                 console_errors: [], page_errors: [String(error)], error_states: [],
                                 navigation: [], axe: {critical: []}, vitals: {lcp: 0, cls: 0},
                                 phone: {overflow: -1, scrolled: -1}, checks: {}};
    }
    const page = report.pages[spec.name];
    console.log(`${spec.name.padEnd(11)} LCP ${String(Math.round(page.vitals.lcp)).padStart(5)} ms  ` +
                `CLS ${page.vitals.cls.toFixed(4)}  axe critical ${page.axe.critical.length}, serious ` +
                `${(page.axe.serious || []).length}`);
  }
  // The invalid value is refused with a 422 on purpose.
  await interaction('settings', browser, settingsRoundTrip, [['/api/settings', 422]]);
  await interaction('activity', browser, activityFlow);
  await interaction('date_range', browser, dateRange);
  await interaction('compliance', browser, complianceFlow);
  await interaction('setup_banner', browser, setupBanner);
} finally {
  await browser.close();
}
fs.writeFileSync(path.join(OUT, 'report.json'), JSON.stringify(report, null, 2));
console.log(`report: ${path.join(OUT, 'report.json')}`);
