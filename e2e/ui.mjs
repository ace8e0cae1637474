// Headless-browser test of hutong's web UI (/ui/), against a whole running
// service.
//
//   node e2e/ui.mjs <base-url> <artifacts-dir> <api-key>
//
// Desktop (English): sign in, paste a 淘口令 share text and watch the live
// preview, create the link, copy the short URL, download its QR code as PNG
// and SVG (checked by their first bytes), switch the QR colour, add a
// caption (a preset and own text) and give the link its own logo. Then a
// WeChat phone (WeChat User-Agent, fresh profile) opens the short link: the
// 302 Location and the URL the browser then asks for must equal where the
// result page said a WeChat user lands (the Taobao request is intercepted
// and answered locally, since taobao.com is not reachable offline). Back on
// the desktop, the click shows on the detail page. Also: list filters,
// bulk import, edit, delete confirmation, the language switch, keyboard
// focus order, and no console error on any page (a CSP violation would log
// one). A phone-width profile (Chinese) screenshots every page too.
//
// Screenshots go to <artifacts-dir>/ui-*.png. Exit status 0 means every
// check passed; failures are printed one per line. Driven by playwright-core
// with Debian's /usr/bin/chromium (CHROMIUM overrides the path); each
// profile gets a fresh user-data dir.
import { chromium } from 'playwright-core';
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const [base, artifacts, apiKey] = process.argv.slice(2);
if (!base || !artifacts || !apiKey) {
  console.error('usage: node ui.mjs <base-url> <artifacts-dir> <api-key>');
  process.exit(2);
}
mkdirSync(artifacts, { recursive: true });

const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';
const args = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const WECHAT_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49(0x18003129) NetType/WIFI Language/zh_CN';
const SHARE = '8.94 复制打开淘宝 ￥CZ3457 aBcDeFgHiJk￥ https://item.taobao.com/item.htm?id=639750024278&spm=a1z10 「夏季新款纯棉短袖T恤」';

const failures = [];
const fail = (msg) => { failures.push(msg); console.log('FAIL ' + msg); };
const ok = (msg) => console.log('ok   ' + msg);
const check = (cond, msg) => (cond ? ok(msg) : fail(msg));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function profile(name, opts, fn) {
  const dir = mkdtempSync(join(tmpdir(), `hutong-ui-${name}-`));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath, args, headless: true, acceptDownloads: true, ...opts,
  });
  const page = ctx.pages()[0] || await ctx.newPage();
  const errors = [];
  // Pages answered 4xx on purpose (a wrong key, a bad field) log "Failed to
  // load resource"; subresources that fail are caught by status instead.
  page.on('console', (m) => { if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) { errors.push(m.text()); } });
  page.on('response', (r) => {
    if (r.request().resourceType() !== 'document' && r.status() >= 400) { errors.push(`${r.status()} ${r.url()}`); }
  });
  page.on('pageerror', (e) => errors.push(String(e)));
  try {
    await fn(page, ctx);
  } catch (e) {
    fail(`${name}: ${e.stack || e}`);
  } finally {
    // Failed loads of the intercepted destination are not page errors.
    const real = errors.filter((e) => !/taobao\.com/.test(e));
    check(real.length === 0, `${name}: no console errors${real.length ? ': ' + real.join(' | ') : ''}`);
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function shot(page, name) {
  await page.screenshot({ path: join(artifacts, `ui-${name}.png`), fullPage: true });
}

async function signIn(page) {
  await page.goto(base + '/ui/');
  check(page.url().includes('/ui/login'), 'signed out: /ui/ goes to the sign-in page');
  return page;
}

let wechatLanding = '';

// imgTall waits until the QR image's src contains want and it has loaded
// taller than wide (a caption band under the code).
const imgTall = (page, want) => page.waitForFunction((w) => {
  const i = document.getElementById('qr-img');
  return i.src.includes(w) && i.complete && i.naturalWidth > 0 && i.naturalHeight > i.naturalWidth;
}, want, { timeout: 5000 }).then(() => true, () => false);

await profile('desktop', {
  viewport: { width: 1280, height: 900 }, locale: 'en-US',
  extraHTTPHeaders: { 'Accept-Language': 'en-US,en;q=0.9' },
  permissions: ['clipboard-read', 'clipboard-write'],
}, async (page) => {
  await page.goto(base + '/');
  check((await page.getAttribute('a.btn', 'href')) === '/ui/login', 'signed out: / is the home page with a sign-in link');
  await shot(page, 'home-desktop');
  await signIn(page);
  await shot(page, 'login-desktop');
  check(await page.evaluate(() => document.activeElement.id) === 'key', 'the key field has the focus');
  await page.fill('#key', 'htk_wrong_key_for_the_e2e_test');
  await page.click('button[type=submit].primary');
  check(await page.locator('#key-err').isVisible(), 'a wrong key shows an error next to the field');
  await shot(page, 'login-error-desktop');
  await page.fill('#key', apiKey);
  await Promise.all([page.waitForURL(/\/ui\/links$/), page.press('#key', 'Enter')]);
  ok('signed in with the API key');
  // Keyboard: the first Tab lands on the skip link, then the brand and the nav.
  await page.keyboard.press('Tab');
  check(await page.evaluate(() => document.activeElement.className) === 'skip', 'first Tab focuses the skip link');

  await page.goto(base + '/ui/new');
  await page.fill('#f-target', SHARE);
  await page.waitForFunction(() => document.querySelector('#preview').textContent.includes('639750024278'), null, { timeout: 5000 });
  const pv = await page.textContent('#preview');
  check(pv.includes('https://item.taobao.com/item.htm?id=639750024278') && pv.includes('aBcDeFgHiJk'), 'live preview shows the item, canonical URL and token');
  await page.fill('#f-alias', 'e2e-tee');
  await page.fill('#f-tags', 'summer, tees');
  await page.fill('#f-campaign', '618');
  await page.fill('#f-utm_source', 'wechat');
  await shot(page, 'new-desktop');
  await Promise.all([page.waitForURL(/\/ui\/links\/e2e-tee\?created=1$/), page.click('button[value=create]')]);
  check((await page.textContent('.flash')).includes('Link created'), 'created: the result page says so');
  const short = await page.inputValue('#short-url');
  check(short === base + '/e2e-tee', `short URL ${short}`);
  await page.click('button[data-copy]');
  await sleep(200);
  const clip = await page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
  check(clip === short, `copy button copies the short URL (${clip})`);
  wechatLanding = (await page.textContent('[data-who="land.wechat"] .loc')).trim();
  check(wechatLanding.startsWith('https://') && wechatLanding.includes('639750024278') && wechatLanding.includes('utm_source=wechat'),
    `result page: a WeChat user lands on ${wechatLanding}`);
  check((await page.getAttribute('[data-who="land.wechat"]', 'data-action')) === 'redirect', 'WeChat: a direct 302');
  check(await page.evaluate(() => { const i = document.getElementById('qr-img'); return i.complete && i.naturalWidth > 0; }), 'QR image loads');
  await shot(page, 'result-desktop');

  for (const [sel, magic, name] of [['#qr-png', '\x89PNG', 'png'], ['#qr-svg', '<', 'svg']]) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(sel)]);
    const path = join(artifacts, `ui-qr.${name}`);
    await dl.saveAs(path);
    const head = readFileSync(path).subarray(0, 5).toString('latin1');
    check(head.startsWith(magic) && dl.suggestedFilename() === `hutong-e2e-tee.${name}`, `QR ${name} downloads (${dl.suggestedFilename()})`);
  }
  // Colour choice updates the image and the download link in place.
  await page.locator('#qr-fg').evaluate((el) => { el.value = '#c2410c'; el.dispatchEvent(new Event('change', { bubbles: true })); });
  check((await page.getAttribute('#qr-png', 'href')).includes('fg=c2410c'), 'QR colour choice updates the download link');

  // Caption: a preset, then own text, redrawn in place (the PNG grows a
  // caption band under the code).
  check(!(await page.locator('#qr-ctext').isVisible()), 'own-text caption field hidden until chosen');
  await page.selectOption('#qr-caption', 'wechat');
  check(await imgTall(page, 'caption=wechat'), 'caption 微信扫一扫: the QR image is redrawn with its caption band');
  check((await page.getAttribute('#qr-svg', 'href')).includes('caption=wechat'), 'caption: the SVG download carries it');
  await page.selectOption('#qr-caption', 'custom');
  check(await page.locator('#qr-ctext').isVisible(), 'own-text caption field shown for Your own text');
  await page.fill('#qr-ctext', '扫码领券');
  check(await imgTall(page, 'caption=' + encodeURIComponent('扫码领券')), 'own caption 扫码领券 drawn under the code');
  await shot(page, 'qr-caption-desktop');

  // The link's own logo: upload one through the API, pick it on the page.
  const logo = await page.evaluate(() => {
    const c = document.createElement('canvas'); c.width = 64; c.height = 64;
    const x = c.getContext('2d'); x.fillStyle = '#ff5000'; x.fillRect(0, 0, 64, 64);
    return c.toDataURL('image/png').split(',')[1];
  });
  const put = await fetch(base + '/api/v1/logos/e2e-brand', {
    method: 'PUT', headers: { Authorization: 'Bearer ' + apiKey, 'Content-Type': 'image/png' }, body: Buffer.from(logo, 'base64'),
  });
  check(put.status === 201, `logo uploaded through PUT /api/v1/logos/e2e-brand (${put.status})`);
  await page.goto(base + '/ui/links/e2e-tee');
  await page.selectOption('#qr-logo-name', 'e2e-brand');
  await Promise.all([page.waitForURL(/logosaved=1/), page.click('#qr-logo-save')]);
  check((await page.textContent('.flash')).includes('logo is saved') && await page.isChecked('#qr-logo'), 'the link\'s logo is saved and switched on');
  await page.waitForFunction(() => { const i = document.getElementById('qr-img'); return i.src.includes('logo=1') && i.complete && i.naturalWidth > 0; });
  const mid = await page.evaluate(() => {
    const i = document.getElementById('qr-img'); const c = document.createElement('canvas');
    c.width = i.naturalWidth; c.height = i.naturalHeight; const x = c.getContext('2d'); x.drawImage(i, 0, 0);
    return Array.from(x.getImageData(c.width >> 1, c.height >> 1, 1, 1).data);
  });
  check(mid[0] > 200 && mid[1] > 50 && mid[1] < 120 && mid[2] < 60, `QR centre shows the link's orange logo (${mid})`);
  await shot(page, 'qr-logo-desktop');
});

await profile('wechat', {
  userAgent: WECHAT_UA, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  locale: 'zh-CN', extraHTTPHeaders: { 'Accept-Language': 'zh-CN,zh;q=0.9' },
}, async (page) => {
  // The destination is a real taobao.com page, unreachable offline: record
  // what the browser asks for instead of loading it.
  const asked = [];
  let hop = null;
  page.on('request', (r) => { if (/^https:\/\/[^/]*(taobao|tmall)\.com\//.test(r.url())) { asked.push(r.url()); } });
  page.on('response', (r) => { if (r.url().startsWith(base + '/e2e-tee')) { hop = r; } });
  await page.goto(base + '/e2e-tee?from=singlemessage').catch((e) => ok(`navigation to the destination stops offline (${String(e.message).split('\n')[0]})`));
  check(hop && hop.status() === 302, `the short link answers 302 (${hop && hop.status()})`);
  const loc = hop ? (await hop.allHeaders()).location : '';
  check(loc === wechatLanding, `302 Location is where the result page said:\n       ${loc}\n       ${wechatLanding}`);
  check(asked[0] === wechatLanding, `the browser went on to ${asked[0]}`);
});

await profile('desktop2', {
  viewport: { width: 1280, height: 900 }, locale: 'en-US', extraHTTPHeaders: { 'Accept-Language': 'en-US,en;q=0.9' },
}, async (page) => {
  await signIn(page);
  await page.fill('#key', apiKey);
  await Promise.all([page.waitForURL(/\/ui\/links$/), page.click('button[type=submit].primary')]);
  let humans = '0';
  for (let i = 0; i < 50 && humans === '0'; i++) {
    await page.goto(base + '/ui/links/e2e-tee');
    humans = (await page.textContent('#stat-human')).trim();
    if (humans === '0') { await sleep(100); }
  }
  check(humans === '1', `detail page counts the WeChat tap (${humans} people)`);
  const bd = await page.textContent('.breakdowns');
  check(bd.includes('WeChat') && bd.includes('iOS') && bd.includes('Chat'), 'breakdowns name app WeChat, os iOS, scene Chat');
  await page.waitForSelector('.tschart.drawn canvas');
  const chartW = await page.evaluate(() => document.querySelector('.tschart.drawn canvas').getBoundingClientRect().width);
  const cardW = await page.evaluate(() => document.querySelector('.chartbox').getBoundingClientRect().width);
  check(chartW >= cardW - 2 && cardW > 900, `uPlot chart fills its card (${Math.round(chartW)} of ${Math.round(cardW)} px)`);
  await shot(page, 'detail-desktop');

  await page.goto(base + '/ui/links?tag=summer');
  check(await page.locator('tbody tr').count() === 1, 'list filtered by tag');
  await shot(page, 'list-desktop');
  await page.goto(base + '/ui/links/e2e-tee/edit');
  await shot(page, 'edit-desktop');
  await page.fill('#f-max_clicks', '-1');
  await page.click('button[value=save]');
  check(await page.locator('#f-max_clicks-err').isVisible(), 'edit: a bad value shows its error next to the field');
  await page.goto(base + '/ui/links/e2e-tee/delete');
  await shot(page, 'delete-desktop');

  await page.goto(base + '/ui/import');
  await page.setInputFiles('#file', {
    name: 'links.csv', mimeType: 'text/csv',
    buffer: Buffer.from('target,alias,campaign\nhttps://item.taobao.com/item.htm?id=42,e2e-bulk,618\nhttps://example.com/,e2e-bad,\n'),
  });
  await page.click('form[enctype] button[type=submit]');
  await page.waitForSelector('#res-h');
  check((await page.textContent('[role=status]')).includes('1 created, 1 failed'), 'bulk import: per-row results');
  await shot(page, 'import-desktop');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('form[action="/ui/import/links.csv"] button')]);
  const csvPath = join(artifacts, 'ui-import.csv');
  await dl.saveAs(csvPath);
  check(readFileSync(csvPath, 'utf8').includes(base + '/e2e-bulk'), 'bulk import: created links download as CSV');

  await page.goto(base + '/ui/links?sort=-clicks');
  check((await page.textContent('tbody tr:first-child td.clicks')).trim() === '1', 'list sorted by clicks: the tapped link first, its clicks shown');
  const [ex] = await Promise.all([page.waitForEvent('download'), page.click('a[href^="/ui/links/export.csv"]')]);
  const exPath = join(artifacts, 'ui-export.csv');
  await ex.saveAs(exPath);
  const exRows = readFileSync(exPath, 'utf8').trim().split('\n');
  check(exRows[0].startsWith('code,domain,short_url,target') && exRows[1].startsWith('e2e-tee,'), 'Export CSV: header row, most clicks first');
  await page.goto(base + '/ui/overview');
  await page.waitForSelector('.tschart.drawn canvas');
  check((await page.textContent('#ov-30d')).trim() === '1', 'overview: the WeChat tap in the last 30 days');
  await shot(page, 'overview-desktop');
  await page.goto(base + '/ui/campaigns');
  await shot(page, 'campaigns-desktop');
  await page.click('a[href="/ui/campaigns/618"]');
  await page.waitForSelector('.tschart.drawn canvas');
  check((await page.textContent('h1')).includes('618'), 'campaign page');
  await shot(page, 'campaign-desktop');
  await page.goto(base + '/');
  check(page.url().endsWith('/ui/links'), 'signed in: / goes to the UI');
  await page.click('a.chip.tag[href="/ui/tags/summer"]');
  await page.waitForSelector('.tschart.drawn canvas');
  check((await page.textContent('h1')).includes('summer') && (await page.textContent('#stat-human')).trim() === '1', 'tag page from the list: its link\'s tap');
  await shot(page, 'tag-desktop');
  await page.goto(base + '/ui/overview');
  const [evx] = await Promise.all([page.waitForEvent('download'), page.click('#ev-form button[type=submit]')]);
  const evPath = join(artifacts, 'ui-events.csv');
  await evx.saveAs(evPath);
  const evRows = readFileSync(evPath, 'utf8').trim().split('\n');
  check(evRows[0].startsWith('id,time,code,') && evRows.slice(1).some((r) => r.split(',')[2] === 'e2e-tee'), 'overview: Export click events downloads the taps as CSV');

  await page.goto(base + '/ui/links');
  await Promise.all([page.waitForURL(/\/ui\/links$/), page.click('a.lang')]);
  check(await page.getAttribute('html', 'lang') === 'zh-CN' && (await page.textContent('h1')).includes('全部短链'), 'language switch to 中文');
  await shot(page, 'list-zh-desktop');
  await page.goto(base + '/ui/links/e2e-tee?caption=wechat');
  const qrZh = await page.textContent('.qr');
  check(qrZh.includes('码下文字') && qrZh.includes('微信扫一扫') && qrZh.includes('此链接的 Logo') && qrZh.includes('保存 Logo'), 'QR caption and logo controls in Chinese');
  check(await imgTall(page, 'caption=wechat'), 'QR with 微信扫一扫 on the Chinese page');
  await shot(page, 'qr-zh-desktop');
  const bdZh = await page.textContent('.breakdowns');
  check(bdZh.includes('微信') && bdZh.includes('单聊'), 'breakdowns in Chinese: 微信, 单聊');
  await shot(page, 'detail-zh-desktop');
  await page.goto(base + '/ui/campaigns/618');
  await shot(page, 'campaign-zh-desktop');
  await page.goto(base + '/ui/tags/summer');
  check((await page.textContent('h1')).includes('标签'), 'tag page in Chinese');
  await shot(page, 'tag-zh-desktop');
  await page.goto(base + '/ui/overview');
  check((await page.textContent('.breakdowns')).includes('微信'), 'overview breakdowns in Chinese');
  await shot(page, 'overview-zh-desktop');
});

await profile('phone', {
  viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  locale: 'zh-CN', extraHTTPHeaders: { 'Accept-Language': 'zh-CN,zh;q=0.9' },
}, async (page) => {
  await page.goto(base + '/');
  check((await page.textContent('h1')).includes('短链接'), 'home page in Chinese');
  const homeWide = await page.evaluate(() => document.documentElement.scrollWidth);
  check(homeWide <= 390, `phone home: no sideways scrolling (${homeWide}px)`);
  await shot(page, 'home-phone');
  await signIn(page);
  await shot(page, 'login-phone');
  await page.fill('#key', apiKey);
  await Promise.all([page.waitForURL(/\/ui\/links$/), page.click('button[type=submit].primary')]);
  for (const [name, path] of [['list', '/ui/links'], ['new', '/ui/new?target=' + encodeURIComponent(SHARE)], ['detail', '/ui/links/e2e-tee'],
    ['edit', '/ui/links/e2e-tee/edit'], ['delete', '/ui/links/e2e-tee/delete'], ['import', '/ui/import'],
    ['campaigns', '/ui/campaigns'], ['campaign', '/ui/campaigns/618'], ['tag', '/ui/tags/summer'], ['overview', '/ui/overview']]) {
    await page.goto(base + path);
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    check(wide <= 390, `phone ${name}: no sideways scrolling (${wide}px)`);
    await shot(page, `${name}-phone`);
  }
  // Delete for real, after the confirmation page.
  await page.goto(base + '/ui/links/e2e-bulk/delete');
  await Promise.all([page.waitForURL(/deleted=1/), page.click('button.danger')]);
  check((await page.textContent('.flash')).includes('已删除'), 'delete after confirmation');
});

if (failures.length) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('all checks passed');
