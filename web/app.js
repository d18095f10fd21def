// app.js: the Ztyle page: tools and shortcuts, start points (templates,
// upload -> outline), live preview (debounced POST /api/generate), search
// results with "more like this", Korean shop links, EN/KO text, errors.
import { Sketch } from './canvas.js';
import { STRINGS, CATEGORY_KO, PALETTE, nearestColour } from './i18n.js';

const $ = (id) => document.getElementById(id);
const state = { lang: 'en', config: null, query: null, page: 1, previewSeq: 0, previewCtl: null };
const sketch = new Sketch($('stage'), $('lines'), $('hints'));

function t(key) {
  return (STRINGS[state.lang] && STRINGS[state.lang][key]) || STRINGS.en[key] || key;
}

function applyLang() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  $('lang').textContent = t('lang_other');
  renderShops();
}

let errorTimer = null;
function showError(msg) {
  const el = $('error');
  el.textContent = msg;
  el.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(() => { el.hidden = true; }, 8000);
}

// POST that turns non-2xx answers into an Error with the server's message.
async function post(url, body, signal) {
  let r;
  try {
    r = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body), signal });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new Error(t('err_network'));
  }
  if (!r.ok) {
    let msg = `${r.status}`;
    try { const j = await r.json(); msg = j.message || msg; } catch (e) { /* not JSON */ }
    throw new Error(r.status === 503 && !/model/.test(msg) ? `${t('err_busy')} (${msg})` : msg);
  }
  return r;
}

function drawingBody() {
  const body = { sketch: sketch.toDataURL('lines'), category: $('category').value };
  if (!sketch.isEmpty('hints')) body.hints = sketch.toDataURL('hints');
  return body;
}

// --- live preview ---
let previewTimer = null, lastPreview = 0;
function schedulePreview(delay) {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(updatePreview, delay);
}

async function updatePreview() {
  if (!state.config || !state.config.model) return;
  if (sketch.isEmpty('lines')) {
    $('preview').removeAttribute('src');
    $('preview-status').textContent = t('preview_hint');
    return;
  }
  const seq = ++state.previewSeq;
  if (state.previewCtl) state.previewCtl.abort();
  state.previewCtl = new AbortController();
  lastPreview = performance.now();
  $('preview-status').textContent = t('preview_busy');
  try {
    const r = await post('/api/generate', drawingBody(), state.previewCtl.signal);
    const blob = await r.blob();
    if (seq !== state.previewSeq) return;
    const old = $('preview').src;
    $('preview').src = URL.createObjectURL(blob);
    if (old.startsWith('blob:')) URL.revokeObjectURL(old);
    $('preview').alt = t('preview_ok');
    $('preview').dataset.updated = String(seq);
    $('preview-status').textContent = t('preview_ok');
  } catch (e) {
    if (e.name !== 'AbortError' && seq === state.previewSeq) {
      $('preview-status').textContent = '';
      showError(e.message);
    }
  }
}

sketch.onchange = () => { schedulePreview(120); renderShops(); };
// while a long stroke goes on, refresh at most every 600 ms
sketch.onstroke = () => { if (performance.now() - lastPreview > 600) schedulePreview(0); };

// --- search ---
function money(p) {
  try {
    return new Intl.NumberFormat(state.lang === 'ko' ? 'ko-KR' : 'en-US',
      { style: 'currency', currency: p.currency }).format(p.price);
  } catch (e) { return `${p.price_text} ${p.currency}`; }
}

function card(p) {
  const li = document.createElement('li');
  li.className = 'card';
  const a = document.createElement('a');
  a.href = p.url;
  a.className = 'shop-link';
  a.target = '_blank';
  a.rel = 'noopener';
  const img = document.createElement('img');
  img.src = p.thumbnail;
  img.alt = p.title;
  img.loading = 'lazy';
  a.append(img);
  const title = document.createElement('a');
  title.href = p.url;
  title.target = '_blank';
  title.rel = 'noopener';
  title.className = 'title';
  title.textContent = p.title; // textContent: product text is never parsed as HTML
  const price = document.createElement('p');
  price.className = 'price';
  price.textContent = money(p);
  const like = document.createElement('button');
  like.type = 'button';
  like.className = 'like';
  like.textContent = t('more_like');
  like.addEventListener('click', () => runSearch({ product: p.id }, true, p.title));
  li.append(a, title, price, like);
  return li;
}

async function runSearch(query, fresh, label) {
  if (fresh) { state.query = query; state.page = 1; state.label = label || query.product; }
  const body = { ...state.query, k: 24, page: state.page };
  if (!body.product) body.category = $('category').value;
  const min = $('price-min').value, max = $('price-max').value;
  if (min !== '') body.price_min = min;
  if (max !== '') body.price_max = max;
  const btn = $('search');
  btn.disabled = true;
  btn.textContent = t('searching');
  try {
    const r = await post('/api/search', body);
    const res = await r.json();
    if (fresh) $('grid').replaceChildren();
    if (res.generated) {
      $('preview').src = res.generated;
      $('preview-status').textContent = t('preview_ok');
    }
    for (const p of res.products) $('grid').append(card(p));
    $('results-title').hidden = false;
    $('results-title').textContent = body.product ? `${t('like_of')} ${state.label}` : t('results');
    if (!$('grid').children.length) {
      const li = document.createElement('li');
      li.className = 'empty';
      li.textContent = t('no_results');
      $('grid').append(li);
    }
    $('more').hidden = res.products.length < body.k;
    $('grid').dataset.count = String($('grid').querySelectorAll('.card').length);
    if (fresh) $('results-title').scrollIntoView({ behavior: 'smooth', block: 'start' });
  } catch (e) {
    showError(e.message);
  } finally {
    btn.disabled = false;
    btn.textContent = t('search');
  }
}

$('search').addEventListener('click', () => {
  if (sketch.isEmpty('lines')) { showError(t('empty')); return; }
  runSearch(drawingBody(), true);
});
$('more').addEventListener('click', () => { state.page++; runSearch(state.query, false); });
$('category').addEventListener('change', () => { schedulePreview(0); renderShops(); });

// --- Korean shop links ---
function shopQuery() {
  const cat = $('category').value;
  const names = [...new Set(sketch.hintColours(2).map(([r, g, b]) => nearestColour(r, g, b).ko))];
  return [...names, CATEGORY_KO[cat] || '옷'].join(' ');
}

function renderShops() {
  const box = $('shops');
  if (!state.config || !state.config.shops) return;
  const q = shopQuery();
  const label = document.createElement('span');
  label.textContent = `${t('shops_title')} “${q}”`;
  const links = state.config.shops.map((s) => {
    const a = document.createElement('a');
    a.href = s.url.replace('{query}', encodeURIComponent(q));
    a.target = '_blank';
    a.rel = 'noopener';
    a.textContent = state.lang === 'ko' && s.name_ko ? s.name_ko : s.name;
    return a;
  });
  box.replaceChildren(label, ...links);
}

// --- tools ---
function setTool(tool) {
  sketch.tool = tool;
  for (const b of document.querySelectorAll('.tool')) {
    const on = b.dataset.tool === tool;
    b.classList.toggle('active', on);
    b.setAttribute('aria-pressed', String(on));
  }
  $('stage').dataset.tool = tool;
}
for (const b of document.querySelectorAll('.tool')) b.addEventListener('click', () => setTool(b.dataset.tool));
$('width').addEventListener('input', (e) => { sketch.width = Number(e.target.value); });
$('undo').addEventListener('click', () => sketch.undo());
$('redo').addEventListener('click', () => sketch.redo());
$('clear').addEventListener('click', () => sketch.clear());

function setColour(c) {
  sketch.colour = c;
  $('colour').value = c;
  for (const s of document.querySelectorAll('.swatch')) s.classList.toggle('active', s.dataset.colour === c);
  setTool('brush');
}
for (const c of PALETTE) {
  const s = document.createElement('button');
  s.type = 'button';
  s.className = 'swatch';
  s.dataset.colour = c;
  s.style.background = c;
  s.setAttribute('aria-label', nearestColour(...[1, 3, 5].map((i) => parseInt(c.slice(i, i + 2), 16))).en);
  s.addEventListener('click', () => setColour(c));
  $('palette').insertBefore(s, $('colour'));
}
$('colour').addEventListener('input', (e) => setColour(e.target.value));

document.addEventListener('keydown', (e) => {
  if (e.target.matches('input, select, textarea')) return;
  const mod = e.ctrlKey || e.metaKey, k = e.key.toLowerCase();
  if (mod && k === 'z') { e.preventDefault(); if (e.shiftKey) sketch.redo(); else sketch.undo(); }
  else if (mod && k === 'y') { e.preventDefault(); sketch.redo(); }
  else if (!mod && k === 'p') setTool('pen');
  else if (!mod && k === 'c') setTool('brush');
  else if (!mod && k === 'e') setTool('eraser');
});

// --- start points ---
for (const b of document.querySelectorAll('.template')) {
  b.addEventListener('click', async () => {
    try {
      $('category').value = b.dataset.cat;
      sketch.checkpoint();
      await sketch.place('lines', `/static/templates/${b.dataset.cat}.svg`, true);
      sketch.onchange();
    } catch (e) { showError(e.message); }
  });
}

// Downscales a picture on the client so uploads stay small.
async function shrink(file, max) {
  const bmp = await createImageBitmap(file);
  const s = Math.min(1, max / Math.max(bmp.width, bmp.height));
  const c = document.createElement('canvas');
  c.width = Math.round(bmp.width * s);
  c.height = Math.round(bmp.height * s);
  const ctx = c.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.drawImage(bmp, 0, 0, c.width, c.height);
  bmp.close();
  return c.toDataURL('image/jpeg', 0.92);
}

$('upload').addEventListener('change', async (e) => {
  const file = e.target.files[0];
  e.target.value = '';
  if (!file) return;
  $('preview-status').textContent = t('uploading');
  try {
    const photo = await shrink(file, 1024);
    const r = await post('/api/edges', { photo, size: 512 });
    const res = await r.json();
    sketch.checkpoint();
    await sketch.place('lines', res.lines, true);
    const hctx = sketch.ctx.hints;
    hctx.clearRect(0, 0, 512, 512);
    if ($('keep-colours').checked) await sketch.place('hints', res.hints, true);
    sketch.onchange();
  } catch (err) {
    showError(err.message);
    $('preview-status').textContent = '';
  }
});

$('lang').addEventListener('click', () => {
  state.lang = state.lang === 'ko' ? 'en' : 'ko';
  localStorage.setItem('ztyle.lang', state.lang);
  applyLang();
});

async function start() {
  try {
    const r = await fetch('/api/config');
    state.config = await r.json();
  } catch (e) {
    state.config = { lang: 'en', shops: [], model: false };
    showError(t('err_network'));
  }
  state.lang = localStorage.getItem('ztyle.lang') || state.config.lang || 'en';
  applyLang();
  if (!state.config.model) $('preview-status').textContent = t('preview_off');
  const like = /^#like=(.+)$/.exec(location.hash);
  if (like) { // from a product page's "More like this"
    const id = decodeURIComponent(like[1]);
    let title = id;
    try {
      const r = await fetch(`/api/products/${encodeURIComponent(id)}`);
      if (r.ok) title = (await r.json()).title;
    } catch (e) { /* the search below reports the error */ }
    runSearch({ product: id }, true, title);
  }
  document.body.dataset.ready = '1';
}
start();
