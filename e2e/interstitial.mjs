// Headless-browser test of hutong's interstitial page.
//
//   node e2e/interstitial.mjs <interstitial-url> <artifacts-dir> [name=url ...]
//
// <interstitial-url> serves the interstitial whose fallback Location is
// /landed on the same server and whose app URL is tbopen://… (nothing
// answers it). For an iPhone (iOS Safari UA) and an Android phone (Chrome
// UA) the script checks that the app button is visible with the right text
// and href, taps it, and expects the page to fall back to /landed within
// 4 s; it also checks that the fallback is cancelled when the page is
// hidden (the app opened: visibilitychange, pagehide), that the copy button
// copies, and that the page logs no error (a CSP violation would). Extra
// name=url arguments are other pages to screenshot. Screenshots (phone,
// 320 px and desktop widths) go to <artifacts-dir>. Exit status 0 means
// every check passed; failures are printed one per line.
//
// Driven by playwright-core with Debian's /usr/bin/chromium (no browser
// download; CHROMIUM overrides the path); each device gets a fresh
// user-data dir. E2E_DEBUG=1 logs the page's focus/visibility/unload events.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [url, artifacts, ...extra] = process.argv.slice(2);
if (!url || !artifacts) {
  console.error('usage: node interstitial.mjs <interstitial-url> <artifacts-dir> [name=url ...]');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const devices = {
  ios: {
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    wantHref: /^tbopen:\/\//, wantText: '打开淘宝 App', locale: 'zh-CN',
  },
  android: {
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
    viewport: { width: 412, height: 915 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
    wantHref: /^intent:\/\/.*#Intent;.*scheme=tbopen;.*end$/, wantText: 'Open in the Taobao app', locale: 'en-US',
  },
};

const failures = [];
const fail = (msg) => { failures.push(msg); console.log('FAIL ' + msg); };
const ok = (msg) => console.log('ok   ' + msg);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withContext(name, opts, fn) {
  const dir = mkdtempSync(join(tmpdir(), `hutong-e2e-${name}-`));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath, args, headless: true, ...opts,
    extraHTTPHeaders: { 'Accept-Language': opts.locale === 'en-US' ? 'en-US,en;q=0.9' : 'zh-CN,zh;q=0.9' },
  });
  try {
    await fn(ctx);
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// watch records console errors and page errors (CSP violations included).
function watch(page, name) {
  page.on('console', (m) => {
    // The info pages are served with their 4xx status on purpose.
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
      fail(`${name}: console error: ${m.text()}`);
    }
  });
  page.on('pageerror', (e) => fail(`${name}: page error: ${e.message}`));
}

// landed polls for the fallback page. (page.waitForURL would throw at once:
// the tap's tbopen:/intent: navigation aborts with net::ERR_ABORTED.)
async function landed(page, ms) {
  for (const end = Date.now() + ms; Date.now() < end; await sleep(50)) {
    if (new URL(page.url()).pathname === '/landed') return true;
  }
  return false;
}

for (const [name, dev] of Object.entries(devices)) {
  const { wantHref, wantText, ...opts } = dev;
  await withContext(name, opts, async (ctx) => {
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(url).origin });

    // 1. The button, then a tap that nothing answers: fall back to /landed.
    let page = await ctx.newPage();
    watch(page, name);
    if (process.env.E2E_DEBUG) {
      page.on('console', (m) => console.log(`     console: ${m.text()}`));
      await page.addInitScript(() => {
        for (const e of ['blur', 'focus', 'pagehide', 'pageshow', 'beforeunload']) window.addEventListener(e, () => console.log(`${e} hidden=${document.hidden}`));
        document.addEventListener('visibilitychange', () => console.log(`visibilitychange hidden=${document.hidden}`));
        document.addEventListener('click', (e) => console.log(`click ${e.target.id} hidden=${document.hidden}`), true);
      });
    }
    await page.goto(url);
    const btn = page.locator('#open');
    if (!(await btn.isVisible())) fail(`${name}: app button not visible`);
    const text = (await btn.innerText()).trim();
    if (text !== wantText) fail(`${name}: button text ${JSON.stringify(text)}; want ${JSON.stringify(wantText)}`);
    const href = await btn.getAttribute('href');
    if (!wantHref.test(href || '')) fail(`${name}: button href ${href}; want ${wantHref}`);
    else ok(`${name}: button "${text}" → ${href.slice(0, 40)}…`);
    await page.screenshot({ path: join(artifacts, `interstitial-${name}.png`), fullPage: true });
    // No auto-attempt: the page stays put until the tap.
    await sleep(2500);
    if (!page.url().startsWith(url)) fail(`${name}: page left before the tap: ${page.url()}`);
    const t0 = Date.now();
    await btn.click({ noWaitAfter: true });
    if (await landed(page, 4000)) ok(`${name}: fell back to /landed after ${Date.now() - t0} ms`);
    else fail(`${name}: no fallback to /landed within 4 s (at ${page.url()})`);
    await page.close();

    // 2. The app opened: the page is hidden, the fallback must not fire.
    for (const how of ['visibilitychange', 'pagehide']) {
      page = await ctx.newPage();
      watch(page, name);
      await page.goto(url);
      await page.locator('#open').click({ noWaitAfter: true });
      await page.evaluate((how) => {
        if (how === 'pagehide') {
          window.dispatchEvent(new Event('pagehide'));
        } else {
          Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
          document.dispatchEvent(new Event('visibilitychange'));
        }
      }, how);
      if (await landed(page, 3500)) fail(`${name}: fell back although the page was hidden (${how})`);
      else ok(`${name}: fallback cancelled by ${how}`);
      await page.close();
    }

    // 3. The copy button copies the 淘口令 and says so.
    page = await ctx.newPage();
    watch(page, name);
    await page.goto(url);
    const copyBtn = page.locator('button[data-copy]');
    const want = await copyBtn.getAttribute('data-copy');
    await copyBtn.click();
    const okText = await copyBtn.getAttribute('data-ok');
    await page.locator('.st').filter({ hasText: /./ }).waitFor({ timeout: 2000 }).catch(() => {});
    const status = (await page.locator('.st').innerText()).trim();
    const clip = await page.evaluate(() => navigator.clipboard.readText()).catch((e) => 'ERR ' + e);
    if (clip !== want) fail(`${name}: clipboard ${JSON.stringify(clip)}; want ${JSON.stringify(want)}`);
    else if (status !== okText) fail(`${name}: copy status ${JSON.stringify(status)}`);
    else ok(`${name}: copy button copied ${JSON.stringify(clip)} (${status})`);
    await page.close();

    // 4. Keyboard focus lands on the app button first and is visible.
    page = await ctx.newPage();
    await page.goto(url);
    await page.keyboard.press('Tab');
    const focus = await page.evaluate(() => [document.activeElement.id, getComputedStyle(document.activeElement).outlineStyle]);
    if (focus[0] !== 'open' || focus[1] === 'none') fail(`${name}: first Tab focuses #${focus[0]} with outline ${focus[1]}`);
    else ok(`${name}: keyboard focus visible on the app button`);
    await page.close();
  });
}

// Screenshots at 320 px and desktop width, for the interstitial and extras.
const shots = [['interstitial', url], ...extra.map((a) => a.split(/=(.*)/s).slice(0, 2))];
for (const [w, h, label, mobile] of [[320, 640, '320', true], [1280, 800, 'desktop', false]]) {
  await withContext(label, { viewport: { width: w, height: h }, isMobile: mobile, hasTouch: mobile, locale: 'zh-CN' }, async (ctx) => {
    for (const [name, u] of shots) {
      const page = await ctx.newPage();
      watch(page, `${name}@${label}`);
      await page.goto(u);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (overflow > 0) fail(`${name}@${label}: scrolls sideways by ${overflow}px`);
      await page.screenshot({ path: join(artifacts, `${name}-${label}.png`), fullPage: true });
      await page.close();
    }
  });
}
for (const [name, u] of shots.slice(1)) {
  const { wantHref, wantText, ...phone } = devices.ios;
  await withContext(`${name}-phone`, phone, async (ctx) => {
    const page = await ctx.newPage();
    watch(page, `${name}@phone`);
    await page.goto(u);
    await page.screenshot({ path: join(artifacts, `${name}-phone.png`), fullPage: true });
  });
}

console.log(failures.length ? `${failures.length} check(s) failed` : 'all checks passed');
process.exit(failures.length ? 1 : 0);
