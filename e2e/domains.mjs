// Headless-browser test of the web UI's Domains page (/ui/domains) against
// a whole running service started with --domains s1.test,s2.test.
//
//   node e2e/domains.mjs <base-url> <artifacts-dir> <api-key>
//
// Desktop (English): sign in, the page lists both domains with their
// states, the host short URLs use, the taps in the last hour by domain (the
// Go test taps s1.test three times first) and who changed what (the seed,
// then an operator's block with its reason, newest first); after both are
// blocked through the API the banner says the pool is short of healthy
// domains. Phone width
// (Chinese): no sideways scrolling. No console error on either (a CSP
// violation would log one). Screenshots go to <artifacts-dir>/domains-*.png.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, artifacts, apiKey] = process.argv.slice(2);
if (!base || !artifacts || !apiKey) {
  console.error('usage: node domains.mjs <base-url> <artifacts-dir> <api-key>');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const failures = [];
const fail = (msg) => { failures.push(msg); console.log('FAIL ' + msg); };
const ok = (msg) => console.log('ok   ' + msg);
const check = (cond, msg) => (cond ? ok(msg) : fail(msg));

async function profile(name, opts, fn) {
  const dir = mkdtempSync(join(tmpdir(), `hutong-domains-${name}-`));
  const ctx = await chromium.launchPersistentContext(dir, { executablePath, args, headless: true, ...opts });
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') { errors.push(m.text()); } });
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await page.goto(base + '/ui/login');
    await page.fill('#key', apiKey);
    await Promise.all([page.waitForURL(/\/ui\/links$/), page.press('#key', 'Enter')]);
    await fn(page);
  } catch (e) {
    fail(`${name}: ${e.stack || e}`);
  } finally {
    check(errors.length === 0, `${name}: no console errors${errors.length ? ': ' + errors.join(' | ') : ''}`);
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function patch(host, body) {
  const r = await fetch(`${base}/api/v1/domains/${host}`, {
    method: 'PATCH', body: JSON.stringify(body),
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/json' },
  });
  check(r.status === 200, `PATCH ${host} ${JSON.stringify(body)}: ${r.status}`);
}

await profile('desktop', { viewport: { width: 1280, height: 900 }, locale: 'en-US', extraHTTPHeaders: { 'Accept-Language': 'en-US,en;q=0.9' } }, async (page) => {
  await page.click('nav a[href="/ui/domains"]');
  await page.waitForURL(/\/ui\/domains$/);
  check(await page.getAttribute('nav a[href="/ui/domains"]', 'aria-current') === 'page', 'the nav marks Domains as the current page');
  const rows = await page.locator('table.domains tbody tr').allTextContents();
  check(rows.length === 2 && rows[0].includes('s1.test') && rows[0].includes('active') && rows[1].includes('standby'), `two domains, s1 active, s2 standby (${rows.length} rows)`);
  check((await page.textContent('main')).includes('Pool default: short URLs on s1.test'), 'the page names the host short URLs use');
  check(await page.locator('[role=alert]').count() === 0, 'no banner while the pool has healthy domains');
  const taps = await page.locator('table.domains tbody td.dom-taps').allTextContents();
  check(taps.length === 2 && taps[0].trim() === '3' && taps[1].trim() === '0', `taps in the last hour: s1 3, s2 0 (${JSON.stringify(taps)})`);
  check((await page.textContent('table.domains thead')).includes('Taps (last hour)'), 'the taps column is named');
  let hist = await page.locator('table.domain-history tbody tr').allTextContents();
  check(hist.length === 2 && hist.every((r) => r.includes('seed') && r.includes('added')), `history: the two seed records (${hist.length} rows)`);
  await page.screenshot({ path: join(artifacts, 'domains-desktop.png'), fullPage: true });
  await patch('s1.test', { status: 'blocked', reason: 'seen in WeChat' });
  await page.reload();
  check((await page.textContent('main')).includes('short URLs on s2.test'), 'after blocking s1: short URLs on s2.test');
  hist = await page.locator('table.domain-history tbody tr').allTextContents();
  check(hist.length === 3 && hist[0].includes('s1.test') && hist[0].includes('status active → blocked') && hist[0].includes('seen in WeChat') && hist[0].includes('api key '),
    `history: the block first, with who, what and why (${JSON.stringify(hist[0])})`);
  check((await page.getAttribute('table.domain-history tbody tr:first-child time', 'datetime') || '').match(/^\d{4}-\d\d-\d\dT/) !== null, 'history: each change has a machine-readable time');
  await patch('s2.test', { status: 'blocked' });
  await page.reload();
  const banner = page.locator('[role=alert]');
  check(await banner.count() === 1 && (await banner.textContent()).includes('Pool default has 0 healthy domain(s), fewer than 1'), 'banner when no healthy domain is left');
  await page.screenshot({ path: join(artifacts, 'domains-banner-desktop.png'), fullPage: true });
});

await profile('phone', {
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  locale: 'zh-CN', extraHTTPHeaders: { 'Accept-Language': 'zh-CN,zh;q=0.9' },
}, async (page) => {
  await page.goto(base + '/ui/domains');
  check((await page.textContent('h1')).includes('域名池'), 'phone: the Chinese page');
  check((await page.textContent('main')).includes('变更记录'), 'phone: the history, in Chinese');
  const wide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(wide <= 390, `phone: no sideways scrolling (${wide}px)`);
  await page.screenshot({ path: join(artifacts, 'domains-phone.png'), fullPage: true });
});

if (failures.length) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('all checks passed');
