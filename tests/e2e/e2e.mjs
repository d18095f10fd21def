// e2e.mjs: browser end-to-end test of the Ztyle page against a real
// `ztyle serve` (demo mode, built on first start from tests/data/mini, with
// a tiny generator trained by tests/e2e_test.sh). Headless Debian chromium
// via playwright-core: draw an outline and colour hints with the mouse, pick
// a category, see the preview update, search, follow a product link, switch
// language; no console errors. Prints "N passed, N failed" last.
// usage: node tests/e2e/e2e.mjs ZTYLE MODEL WORKDIR
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';

const [ztyle, model, work] = process.argv.slice(2);
let pass = 0, fail = 0;
const check = (ok, what) => { if (ok) pass++; else { fail++; console.log(`  FAIL e2e: ${what}`); } };

function startServer() {
  return new Promise((resolve, reject) => {
    const p = spawn(ztyle, ['serve', '--port', '0', '--dataset', 'tests/data/mini', '--model', model,
      '--workers', '2'], { env: { ...process.env, ZTYLE_DEMO_CATALOG: `${work}/demo/catalog.db` } });
    let out = '', err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${err}`)), 120000);
    p.stderr.on('data', (d) => { err += d; });
    p.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out);
      if (m) { clearTimeout(timer); resolve({ proc: p, url: m[1], err: () => err }); }
    });
    p.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${err}`)); });
  });
}

async function stroke(page, box, pts) {
  const at = ([x, y]) => [box.x + x * box.width, box.y + y * box.height];
  await page.mouse.move(...at(pts[0]));
  await page.mouse.down();
  for (const p of pts.slice(1)) await page.mouse.move(...at(p), { steps: 6 });
  await page.mouse.up();
}

const waitPreview = (page, after) => page.waitForFunction(
  (n) => Number(document.getElementById('preview').dataset.updated || 0) > n &&
    document.getElementById('preview').complete, after, { timeout: 30000 });

let server, browser;
try {
  server = await startServer();
  // a fresh profile folder: playwright passes it as --user-data-dir
  browser = await chromium.launchPersistentContext(`${work}/chromium-profile`, {
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 1000 }, locale: 'en-US',
  });
  const page = browser.pages()[0] || await browser.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`${m.text()} [${m.location().url}]`); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => { if (r.status() >= 400) errors.push(`(${r.status()} ${r.url()})`); });

  await page.goto(server.url);
  await page.waitForSelector('body[data-ready="1"]', { timeout: 20000 });
  check(await page.title() === 'Ztyle', 'page title');

  await page.selectOption('#category', 'skirt');
  const box = await page.locator('#stage').boundingBox();
  // an A-line skirt outline
  await stroke(page, box, [[0.35, 0.2], [0.65, 0.2], [0.8, 0.8], [0.2, 0.8], [0.35, 0.2]]);
  await waitPreview(page, 0);
  const first = Number(await page.locator('#preview').getAttribute('data-updated'));
  const natural = await page.locator('#preview').evaluate((i) => i.naturalWidth);
  check(natural > 0, `preview image decoded (naturalWidth ${natural})`);

  // colour hints: navy swatch, then a few dabs inside the skirt
  await page.click('.swatch[data-colour="#1f2a5c"]');
  check(await page.locator('.tool[data-tool="brush"]').getAttribute('aria-pressed') === 'true', 'swatch picks the colour brush');
  await stroke(page, box, [[0.45, 0.45], [0.55, 0.5], [0.5, 0.6]]);
  await waitPreview(page, first);
  check(Number(await page.locator('#preview').getAttribute('data-updated')) > first, 'preview updated after the hints');
  const shopText = await page.locator('#shops').innerText();
  check(shopText.includes('네이비 스커트'), `shop query from the hint colour and category: ${shopText}`);
  const naver = await page.locator('#shops a').first().getAttribute('href');
  check(naver.includes(encodeURIComponent('네이비 스커트')), `shop link carries the query: ${naver}`);

  // undo removes the hint stroke, redo brings it back
  const hintCount = () => page.evaluate(() => {
    const d = document.getElementById('hints').getContext('2d').getImageData(0, 0, 512, 512).data;
    let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] > 0; return n;
  });
  const before = await hintCount();
  await page.locator('#stage').focus().catch(() => {});
  await page.keyboard.press('Control+z');
  check(await hintCount() === 0 && before > 0, 'Ctrl+Z undoes the colour stroke');
  await page.keyboard.press('Control+Shift+z');
  check(await hintCount() === before, 'Ctrl+Shift+Z redoes it');

  await page.click('#search');
  await page.waitForSelector('#grid .card', { timeout: 30000 });
  const cards = await page.locator('#grid .card').count();
  check(cards >= 1, `product cards shown (${cards})`);
  const href = await page.locator('#grid .card a.title').first().getAttribute('href');
  const title = await page.locator('#grid .card a.title').first().innerText();
  const resp = await page.request.get(new URL(href, server.url).toString());
  check(resp.status() === 200 && (await resp.text()).includes('<h1>'), `product link ${href} works (${resp.status()})`);
  check(title.length > 0, 'card has a title');
  const thumbOk = await page.locator('#grid .card img').first().evaluate(
    (i) => new Promise((r) => (i.complete ? r(i.naturalWidth > 0) : i.addEventListener('load', () => r(true)))));
  check(thumbOk, 'thumbnail loads');

  mkdirSync('build/e2e', { recursive: true });
  await page.screenshot({ path: 'build/e2e/screenshot.png', fullPage: true });

  // "more like this" searches by that product's photo
  await page.locator('#grid .card .like').first().click();
  await page.waitForFunction(() => /Products like/.test(document.getElementById('results-title').textContent), null, { timeout: 30000 });
  check(await page.locator('#grid .card').count() >= 1, 'more like this shows products');

  // the product page's "More like this" link opens the page searching by that product
  await page.goto(new URL(href, server.url).toString());
  await page.click('a.button');
  await page.waitForFunction((t) => document.getElementById('results-title').textContent.includes(t),
    title, { timeout: 30000 });
  check(await page.locator('#grid .card').count() >= 1, 'product page -> more like this');

  // template start point and the language toggle
  await page.click('.template[data-cat="top"]');
  check(await page.waitForFunction(() => document.getElementById('category').value === 'top' &&
    !document.getElementById('lines').getContext('2d').getImageData(0, 0, 512, 512).data.every((v) => v === 0),
  null, { timeout: 10000 }).then(() => true, () => false), 'template sets the category and draws its outline');
  await page.click('#lang');
  check((await page.locator('#search').innerText()) === '검색', 'Korean UI after the toggle');

  // phone layout: one column, canvas fits the screen
  await page.setViewportSize({ width: 390, height: 844 });
  const w = (await page.locator('#stage').boundingBox()).width;
  check(w <= 390 && w > 250, `canvas fits a phone screen (${w}px)`);
  await page.screenshot({ path: 'build/e2e/phone.png', fullPage: false });

  // upload a photo: it becomes an editable outline (and colours), and the preview follows
  await page.setViewportSize({ width: 1280, height: 1000 });
  await page.click('#clear');
  await page.setInputFiles('#upload', 'tests/data/mini/train/hat/hat-t0.png');
  const inkedNow = () => page.evaluate(() => {
    const count = (id) => {
      const d = document.getElementById(id).getContext('2d').getImageData(0, 0, 512, 512).data;
      let n = 0; for (let i = 3; i < d.length; i += 4) n += d[i] >= 128; return n;
    };
    return [count('lines'), count('hints')];
  });
  await page.waitForFunction(() => document.getElementById('lines').getContext('2d')
    .getImageData(0, 0, 512, 512).data.some((v, i) => i % 4 === 3 && v >= 128), null, { timeout: 30000 })
    .catch(() => {});
  const afterUpload = Number(await page.locator('#preview').getAttribute('data-updated'));
  const inked = await inkedNow();
  check(inked[0] > 200 && inked[1] > 0, `upload -> outline and colour layers (${inked}; banner: ${await page.locator('#error').innerText()})`);
  await waitPreview(page, afterUpload); // the preview follows the upload

  check(errors.length === 0, `no console errors: ${errors.join(' | ')}`);

  // a refusal by the server is shown to the shopper (after the console check: the
  // browser logs the 400 itself)
  await page.fill('#price-min', '100');
  await page.fill('#price-max', '10');
  await page.click('#search');
  await page.waitForSelector('#error:not([hidden])', { timeout: 10000 });
  const banner = await page.locator('#error').innerText();
  check(banner.includes('price_min'), `server error shown in the banner: ${banner}`);
} catch (e) {
  fail++;
  console.log(`  FAIL e2e: ${e.stack || e}`);
} finally {
  if (browser) await browser.close();
  if (server) {
    server.proc.kill('SIGTERM');
    await new Promise((r) => { server.proc.on('exit', r); setTimeout(r, 20000); });
  }
}
console.log(`${pass} passed, ${fail} failed`);
process.exit(fail ? 1 : 0);
