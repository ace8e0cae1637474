// Headless-browser test of the 淘口令 copy button on hutong's tap pages,
// against a whole running service.
//
//   node e2e/tpwd.mjs <artifacts-dir> <spec-json>
//
// spec: {"link": short URL of a link with a minted 淘口令 and
// route.wechat_tpwd_guide, "web": the H5/promotion URL its pages offer,
// "model": the iOS 14+ form, "simple": the other form}.
//
// Four tappers open the short link: WeChat on an iPhone (iOS 17) and on
// Android (XWEB), which get the guide page that leads with the token, and
// Safari on an iPhone and Chrome on Android, which get the interstitial.
// On each page the 淘口令 copy button is clicked three ways:
//
//   api      the async Clipboard API (permissions granted): the clipboard
//            holds the token, execCommand was not used;
//   legacy   navigator.clipboard absent, as in WeChat's web-views: the page
//            falls back to document.execCommand('copy'), and the clipboard
//            holds the token;
//   refused  no Clipboard API and execCommand('copy') refused: the page
//            says so and selects the token for a long press.
//
// The form must be the tapper's (iOS 14+ → model, else simple), the status
// line must say copied / not copied, and each click must post the beacon
// (POST /api/v1/beacon/{code}?action=copy_tpwd, answered 204). On the guide
// the short-link copy button is clicked too (api path): it copies the link
// and posts no beacon (the Go test checks the counts in the link's stats).
// No console or page error is allowed (a CSP violation would log one).
// Before every click the clipboard is set to a sentinel, so a value left by
// an earlier case cannot pass.
//
// Prints "ok"/"FAIL" lines, then "BEACONS <json>" (beacons answered 204,
// per tapper). Exit status 0 means every check passed. Driven by
// playwright-core with Debian's /usr/bin/chromium (CHROMIUM overrides the
// path); each tapper gets a fresh user-data dir. Screenshots go to
// <artifacts-dir>/tpwd-*.png.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [artifacts, specJSON] = process.argv.slice(2);
if (!artifacts || !specJSON) {
  console.error('usage: node tpwd.mjs <artifacts-dir> <spec-json>');
  process.exit(2);
}
const spec = JSON.parse(specJSON);
mkdirSync(artifacts, { recursive: true });

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

const phone = { deviceScaleFactor: 2, isMobile: true, hasTouch: true };
const tappers = {
  'wechat-ios': {
    ...phone, viewport: { width: 390, height: 844 }, locale: 'zh-CN', page: 'guide', want: spec.model,
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN',
  },
  'wechat-android': {
    ...phone, viewport: { width: 412, height: 915 }, locale: 'zh-CN', page: 'guide', want: spec.simple,
    userAgent: 'Mozilla/5.0 (Linux; Android 13; V2049A Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/116.0.0.0 Mobile Safari/537.36 XWEB/1160065 MMWEBSDK/20231202 MMWEBID/1234 MicroMessenger/8.0.47.2560(0x28002F35) WeChat/arm64 Weixin NetType/WIFI Language/zh_CN ABI/arm64',
  },
  'safari-ios': {
    ...phone, viewport: { width: 390, height: 844 }, locale: 'en-US', page: 'interstitial', want: spec.model,
    userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  },
  'chrome-android': {
    ...phone, viewport: { width: 412, height: 915 }, locale: 'en-US', page: 'interstitial', want: spec.simple,
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36',
  },
};

const SENTINEL = 'hutong-e2e-sentinel';
const failures = [];
const fail = (msg) => { failures.push(msg); console.log('FAIL ' + msg); };
const ok = (msg) => console.log('ok   ' + msg);
const beacons = {};

// prepare runs in the page before its own script. It keeps the real
// Clipboard object for reading back (window.__clip), counts execCommand
// calls (window.__exec), and for the legacy and refused paths hides the
// Clipboard API the way WeChat's web-views lack it; refused also makes
// execCommand('copy') answer false.
function prepare(path) {
  const clip = navigator.clipboard;
  Object.defineProperty(window, '__clip', { value: clip });
  window.__exec = [];
  const exec = Document.prototype.execCommand;
  Document.prototype.execCommand = function (cmd, ...rest) {
    window.__exec.push(cmd);
    if (path === 'refused' && cmd === 'copy') return false;
    return exec.call(this, cmd, ...rest);
  };
  if (path !== 'api') {
    Object.defineProperty(Navigator.prototype, 'clipboard', { configurable: true, get: () => undefined });
  }
}

function watch(page, name) {
  page.on('console', (m) => { if (m.type() === 'error') fail(`${name}: console error: ${m.text()}`); });
  page.on('pageerror', (e) => fail(`${name}: page error: ${e.message}`));
}

// beaconAfter clicks btn and waits for the beacon it must post; it returns
// the answer's status, or 0 when no beacon was posted within 5 s.
async function beaconAfter(page, btn) {
  const res = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/api/v1/beacon/'), { timeout: 5000 });
  await btn.click();
  try {
    const r = await res;
    if (r.request().method() !== 'POST' || !r.url().includes('action=copy_tpwd')) return -1;
    return r.status();
  } catch {
    return 0;
  }
}

const clipboard = (page) => page.evaluate(() => window.__clip.readText()).catch((e) => 'ERR ' + e);

for (const [name, t] of Object.entries(tappers)) {
  const { page: kind, want, ...opts } = t;
  beacons[name] = 0;
  const dir = mkdtempSync(join(tmpdir(), `hutong-tpwd-${name}-`));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath, args, headless: true, ...opts,
    extraHTTPHeaders: { 'Accept-Language': opts.locale === 'en-US' ? 'en-US,en;q=0.9' : 'zh-CN,zh;q=0.9' },
  });
  try {
    await ctx.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(spec.link).origin });
    for (const path of ['api', 'legacy', 'refused']) {
      const label = `${name} ${kind} ${path}`;
      const page = await ctx.newPage();
      watch(page, label);
      const posted = { n: 0 };
      page.on('request', (r) => { if (new URL(r.url()).pathname.startsWith('/api/v1/beacon/')) posted.n++; });
      await page.addInitScript(prepare, path);
      const resp = await page.goto(spec.link);
      if (resp.status() !== 200) { fail(`${label}: GET ${spec.link} answered ${resp.status()}`); await page.close(); continue; }
      // Which page this is: the guide has no app button, the interstitial does.
      const hasOpen = await page.locator('#open').count();
      if ((kind === 'guide') !== (hasOpen === 0)) { fail(`${label}: got the ${hasOpen ? 'interstitial' : 'guide'}; want the ${kind}`); }
      const web = await page.locator('#web').getAttribute('href').catch(() => null);
      if (web !== spec.web) fail(`${label}: web button ${web}; want ${spec.web}`);
      const btn = page.locator('button[data-beacon]');
      if ((await btn.count()) !== 1) { fail(`${label}: ${await btn.count()} 淘口令 copy buttons; want 1`); await page.close(); continue; }
      const shown = (await btn.locator('xpath=..').locator('.tok').innerText()).trim();
      if (shown !== want) fail(`${label}: token shown ${JSON.stringify(shown)}; want ${JSON.stringify(want)}`);
      if (path === 'api' && kind === 'guide') {
        // The guide leads with the token: its copy block comes first.
        const first = await page.locator('button[data-copy]').first().getAttribute('data-beacon');
        if (!first) fail(`${label}: the first copy button is not the 淘口令's`);
        await page.screenshot({ path: join(artifacts, `tpwd-${name}.png`), fullPage: true });
      }
      if (path === 'api' && kind === 'interstitial') await page.screenshot({ path: join(artifacts, `tpwd-${name}.png`), fullPage: true });

      const set = await page.evaluate((s) => window.__clip.writeText(s).then(() => 'ok', (e) => String(e)), SENTINEL);
      if (set !== 'ok') fail(`${label}: cannot reset the clipboard: ${set}`);
      const status = await beaconAfter(page, btn);
      if (status === 204) beacons[name]++;
      else fail(`${label}: beacon ${status === 0 ? 'not posted' : status === -1 ? 'not a POST with action=copy_tpwd' : 'answered ' + status}`);
      const st = btn.locator('xpath=..').locator('.st');
      await st.filter({ hasText: /./ }).waitFor({ timeout: 2000 }).catch(() => {});
      const said = (await st.innerText()).trim();
      const exec = await page.evaluate(() => window.__exec);
      const clip = await clipboard(page);
      if (path === 'refused') {
        const no = await btn.getAttribute('data-no');
        const sel = await page.evaluate(() => String(window.getSelection()).trim());
        if (said !== no) fail(`${label}: status ${JSON.stringify(said)}; want ${JSON.stringify(no)}`);
        else if (sel !== want) fail(`${label}: selection ${JSON.stringify(sel)}; want the token ${JSON.stringify(want)}`);
        else if (clip !== SENTINEL) fail(`${label}: clipboard ${JSON.stringify(clip)}; want it untouched`);
        else ok(`${label}: copy refused: says "${said}", token selected for a long press`);
      } else {
        const okText = await btn.getAttribute('data-ok');
        const usedExec = exec.includes('copy');
        if (clip !== want) fail(`${label}: clipboard ${JSON.stringify(clip)}; want ${JSON.stringify(want)}`);
        else if (said !== okText) fail(`${label}: status ${JSON.stringify(said)}; want ${JSON.stringify(okText)}`);
        else if (usedExec !== (path === 'legacy')) fail(`${label}: execCommand('copy') ${usedExec ? 'used' : 'not used'}`);
        else ok(`${label}: clipboard holds ${JSON.stringify(clip)} via ${usedExec ? "execCommand('copy')" : 'navigator.clipboard'} (${said})`);
      }

      if (path === 'api' && kind === 'guide') {
        // The short-link copy button copies the link and posts no beacon.
        const linkBtn = page.locator(`button[data-copy="${spec.link}"]`);
        if ((await linkBtn.count()) !== 1) fail(`${label}: no copy button for the short link`);
        else {
          await page.evaluate((s) => window.__clip.writeText(s), SENTINEL);
          await linkBtn.click();
          await linkBtn.locator('xpath=..').locator('.st').filter({ hasText: /./ }).waitFor({ timeout: 2000 }).catch(() => {});
          const got = await clipboard(page);
          if (got !== spec.link) fail(`${label}: link copy: clipboard ${JSON.stringify(got)}; want ${spec.link}`);
          else if (posted.n !== 1) fail(`${label}: ${posted.n} beacons posted from the page; want 1 (copying the link posts none)`);
          else ok(`${label}: the short-link button copies the link, no beacon`);
        }
      }
      await page.close();
    }
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log('BEACONS ' + JSON.stringify(beacons));
console.log(failures.length ? `${failures.length} check(s) failed` : 'all checks passed');
process.exit(failures.length ? 1 : 0);
