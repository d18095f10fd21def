// app.js: the Ztyle page: tools and shortcuts, start points (templates,
// upload -> outline), live preview (debounced POST /api/generate), search
// results with what the drawing was understood as (a chip to change in one
// tap), "more like this", Korean shop links, EN/KO text, plain-words errors,
// and the phone layout's action bar (Search + a thumbnail back to the drawing).
import { Sketch } from './canvas.js';
import {
  text, PALETTE, CATEGORY_BY_ID, CLASSES, nearestColour, titleColour, localTitle, money,
  koQuery, categoryKo, pageCategory, categoryLabel, plainError,
} from './i18n.js';

const $ = (id) => document.getElementById(id);
const state = {
  lang: 'en', config: null, query: null, page: 1, previewSeq: 0, previewCtl: null,
  products: [], understood: null, label: '', photo: null,
  // a class a chip asked for within the listed category (a shirt among the
  // tops); forgotten when the category changes any other way
  cls: null,
};
const sketch = new Sketch($('stage'), $('lines'), $('hints'));
const t = (key) => text(state.lang, key);

function applyLang() {
  document.documentElement.lang = state.lang;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll('[data-i18n-title]')) el.title = t(el.dataset.i18nTitle);
  for (const el of document.querySelectorAll('[data-i18n-label]')) el.setAttribute('aria-label', t(el.dataset.i18nLabel));
  $('lang').textContent = t('lang_other');
  $('lang').lang = state.lang === 'ko' ? 'en' : 'ko';
  for (const s of document.querySelectorAll('.swatch')) s.setAttribute('aria-label', colourName(s.dataset.colour));
  if ($('tool-status').textContent) $('tool-status').textContent = t('colour_on').replace('{c}', colourName(sketch.colour));
  if (state.products.length || state.query) renderResults();
  renderShops();
}

function colourName(hex) {
  const c = nearestColour(...[1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16)));
  return state.lang === 'ko' ? c.ko : c.en;
}

// --- errors: a toast over the page (it pushes nothing down), gone after
// 8 s or as soon as the shopper draws again ---
let errorTimer = null;
function showError(msg) {
  const el = $('error');
  el.textContent = msg;
  el.hidden = false;
  clearTimeout(errorTimer);
  errorTimer = setTimeout(hideError, 8000);
}
function hideError() { $('error').hidden = true; clearTimeout(errorTimer); }

// POST that turns non-2xx answers into an Error in plain words (the
// server's own message is kept in .detail for the console).
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
    let j = {};
    try { j = await r.json(); } catch (e) { /* not JSON */ }
    const err = new Error(plainError(state.lang, r.status, j.error, j.message));
    err.detail = `${r.status} ${j.error || ''}: ${j.message || ''}`;
    console.info(`ztyle: ${url}: ${err.detail}`);
    throw err;
  }
  return r;
}

// The search/generate fields of a page category ("dress" -> other + class),
// narrowed to the class a chip chose within it.
function categoryFields(id) {
  const c = CATEGORY_BY_ID[id];
  if (!c) return { category: 'auto' };
  const category = c.category === 'other' ? 'auto' : c.category;
  const cls = chipClass(id) || c.cls;
  return cls ? { category, class: cls } : { category };
}

// the class a chip chose, when it lies within page category id
function chipClass(id) {
  return state.cls && CLASSES[state.cls].page === id ? state.cls : null;
}

function drawingBody() {
  const body = { sketch: sketch.toDataURL('lines'), ...categoryFields($('category').value) };
  if (!sketch.isEmpty('hints')) body.hints = sketch.toDataURL('hints');
  return body;
}

// --- live preview ---
let previewTimer = null, lastPreview = 0;
function schedulePreview(delay) {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(updatePreview, delay);
}

// the "working" state: the old preview dims under a spinner, announced to
// screen readers through aria-busy and the status line
function previewBusy(on) {
  const fig = $('preview').closest('figure');
  fig.classList.toggle('busy', on);
  fig.setAttribute('aria-busy', on ? 'true' : 'false');
}

// shows the output at the largest whole multiple of its size that fits 256 px
$('preview').addEventListener('load', () => {
  const n = $('preview').naturalWidth;
  if (n > 0) $('preview').closest('figure').style.setProperty('--preview-px', `${n * Math.max(1, Math.floor(256 / n))}px`);
});

async function updatePreview() {
  if (!state.config || !state.config.model) return;
  if (sketch.isEmpty('lines')) {
    $('preview').removeAttribute('src');
    $('preview-status').textContent = t('preview_hint');
    previewBusy(false);
    return;
  }
  const seq = ++state.previewSeq;
  if (state.previewCtl) state.previewCtl.abort();
  state.previewCtl = new AbortController();
  lastPreview = performance.now();
  $('preview-status').textContent = t('preview_busy');
  previewBusy(true);
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
  } finally {
    if (seq === state.previewSeq) previewBusy(false);
  }
}

function drawMini() {
  const c = $('mini'), ctx = c.getContext('2d');
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, c.width, c.height);
  ctx.globalCompositeOperation = 'multiply';
  ctx.drawImage($('hints'), 0, 0, c.width, c.height);
  ctx.globalCompositeOperation = 'source-over';
  ctx.drawImage($('lines'), 0, 0, c.width, c.height);
}

sketch.onchange = () => { schedulePreview(120); renderShops(); drawMini(); };
// while a long stroke goes on, refresh at most every 600 ms
sketch.onstroke = () => { if (performance.now() - lastPreview > 600) schedulePreview(0); };
sketch.onstart = hideError;
// undo/redo bring back the category with the lines (a template sets both)
sketch.getState = () => ({ category: $('category').value, cls: state.cls });
sketch.setState = (s) => { if (s && s.category) { $('category').value = s.category; state.cls = s.cls || null; } };

// --- results ---
function card(p) {
  const li = document.createElement('li');
  li.className = 'card';
  const name = localTitle(state.lang, p);
  const a = document.createElement('a');
  a.href = p.url;
  a.className = 'shop-link';
  a.tabIndex = -1; // the title link below is the same link, for keyboards and readers
  a.setAttribute('aria-hidden', 'true');
  const img = document.createElement('img');
  img.src = p.thumbnail;
  img.alt = '';
  img.loading = 'lazy';
  a.append(img);
  const title = document.createElement('a');
  title.href = p.url;
  title.className = 'title';
  title.textContent = name; // textContent: product text is never parsed as HTML
  const price = document.createElement('p');
  price.className = 'price';
  price.textContent = money(state.lang, p.price, p.currency);
  const like = document.createElement('button');
  like.type = 'button';
  like.className = 'like';
  like.textContent = t('more_like');
  like.setAttribute('aria-label', `${t('more_like')}: ${name}`);
  like.addEventListener('click', () => runSearch({ product: p.id }, true, p));
  li.append(a, title, price, like);
  return li;
}

// What the results say the drawing is: the server's `understood` when it
// gives one (null there: the server has no model for it; a null category:
// nothing the shop sells looks like the drawing), else the page category
// the top results vote for.
function understoodOf(res) {
  if (res.understood) return { ...res.understood, source: 'server' };
  const votes = new Map();
  let total = 0;
  res.products.slice(0, 10).forEach((p, i) => {
    const c = pageCategory(p.class, p.category);
    if (!c) return;
    const w = 1 / (1 + i);
    votes.set(c, (votes.get(c) || 0) + w);
    total += w;
  });
  if (!total) return undefined; // nothing to say
  const ranked = [...votes].sort((a, b) => b[1] - a[1]).map(([category, v]) => ({ category, confidence: v / total }));
  return { ...ranked[0], alternatives: ranked.slice(1), source: 'votes' };
}

function chip(cat, label, current) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = current ? 'chip current' : 'chip';
  b.dataset.cat = cat;
  b.textContent = label;
  b.setAttribute('aria-pressed', String(Boolean(current)));
  b.addEventListener('click', () => {
    $('category').value = pageCategory(cat) || 'auto';
    state.cls = CLASSES[cat] && CLASSES[cat].sub ? cat : null;
    schedulePreview(0);
    if (!sketch.isEmpty('lines')) runSearch(drawingBody(), true);
    else if (state.query && !state.query.product) runSearch({ ...state.query, ...categoryFields($('category').value) }, true);
  });
  return b;
}

const pct = (c) => `${Math.round(c * 100)}%`;
// what the list and a chip chose together: the class within the category, else the category
const current = () => chipClass($('category').value) || $('category').value;
// categories a drawing of one is most often meant as instead
const RELATED = {
  top: ['outerwear', 'dress'], outerwear: ['top', 'dress'], pants: ['shorts', 'skirt'],
  shorts: ['pants', 'skirt'], skirt: ['dress', 'shorts'], dress: ['skirt', 'top'],
  shoes: ['hat'], hat: ['shoes', 'top'],
};

function renderUnderstood() {
  const box = $('understood');
  const u = state.understood;
  const chosen = $('category').value;
  if (u === undefined || !state.query || state.query.product) { box.hidden = true; box.replaceChildren(); return; }
  const parts = [];
  const label = document.createElement('span');
  label.className = 'u-label';
  const alts = (u && u.alternatives) || [];
  const cur = current();
  if (u.category === null) {
    const p = document.createElement('p');
    p.className = 'u-none';
    p.textContent = t('understood_none');
    parts.push(p);
  } else if (chosen !== 'auto') {
    label.textContent = t('chosen');
    parts.push(label, chip(cur, categoryLabel(state.lang, cur), true));
  } else {
    label.textContent = t('understood');
    parts.push(label, chip(u.category, `${categoryLabel(state.lang, u.category)} ${pct(u.confidence)}`, true));
  }
  // with a category chosen, what the drawing was understood as stays a chip too
  const cands = chosen !== 'auto' && u.category ? [{ category: u.category, confidence: u.confidence }, ...alts] : alts;
  const shown = cands.filter((a) => a.category && a.category !== cur && (cur !== chosen || pageCategory(a.category) !== chosen)).slice(0, 3);
  const others = shown.map((a) => chip(a.category, `${categoryLabel(state.lang, a.category)} ${pct(a.confidence)}`, false));
  // fewer than 3 alternatives (a unanimous vote): the categories most often
  // confused with it, so the chip can still be changed in one tap
  const main = chosen !== 'auto' ? chosen : u && pageCategory(u.category);
  const taken = new Set([main, ...shown.map((a) => pageCategory(a.category))]);
  for (const c of RELATED[main] || []) {
    if (others.length >= 3 || taken.has(c)) continue;
    taken.add(c);
    others.push(chip(c, categoryLabel(state.lang, c), false));
  }
  if (chosen !== 'auto') others.push(chip('auto', t('any_category'), false));
  if (others.length) {
    const or = document.createElement('span');
    or.className = 'u-or';
    or.textContent = t('or');
    parts.push(or, ...others);
  }
  box.replaceChildren(...parts);
  box.hidden = false;
}

function renderResults() {
  const grid = $('grid');
  grid.replaceChildren(...state.products.map(card));
  if (!state.products.length) {
    const li = document.createElement('li');
    li.className = 'empty';
    li.textContent = t('no_results');
    grid.append(li);
  }
  $('results-title').hidden = false;
  $('results-title').textContent = state.query && state.query.product
    ? `${t('like_of')} ${localTitle(state.lang, state.label)}` : t('results');
  grid.dataset.count = String(state.products.length);
  renderUnderstood();
}

async function runSearch(query, fresh, likeOf) {
  if (fresh) { state.query = query; state.page = 1; if (likeOf) state.label = likeOf; }
  const body = { ...state.query, k: 24, page: state.page };
  if (!body.product) Object.assign(body, categoryFields($('category').value));
  const min = $('price-min').value, max = $('price-max').value;
  if (min !== '' && max !== '' && Number(min) > Number(max)) { showError(t('err_price_order')); return; }
  if (min !== '') body.price_min = min;
  if (max !== '') body.price_max = max;
  const btn = $('search');
  btn.disabled = true;
  btn.textContent = t('searching');
  try {
    const r = await post('/api/search', body);
    const res = await r.json();
    if (res.generated) {
      $('preview').src = res.generated;
      $('preview-status').textContent = t('preview_ok');
    }
    if (fresh) { state.products = []; state.understood = understoodOf(res); }
    state.products.push(...res.products);
    renderResults();
    renderShops();
    $('more').hidden = res.products.length < body.k;
    if (fresh) $('results').scrollIntoView({ behavior: 'smooth', block: 'start' });
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
$('photo-search').addEventListener('click', () => { if (state.photo) runSearch({ photo: state.photo }, true); });
$('category').addEventListener('change', () => { state.cls = null; schedulePreview(0); renderShops(); });
$('to-drawing').addEventListener('click', () => $('stage').scrollIntoView({ behavior: 'smooth', block: 'center' }));
// the thumbnail back to the drawing shows while the canvas is out of view
new IntersectionObserver(([e]) => { $('to-drawing').hidden = e.isIntersecting || sketch.isEmpty('lines'); })
  .observe($('stage'));

// --- Korean shop links: colour word + item word, from the drawing's colour
// hints and the chosen category, else from what the top results are ---
function topVote(words) {
  const n = new Map();
  words.forEach((w, i) => { if (w) n.set(w, (n.get(w) || 0) + 1 / (1 + i)); });
  return [...n].sort((a, b) => b[1] - a[1]).map(([w]) => w)[0] || null;
}

function shopQuery() {
  const cat = $('category').value;
  const top = state.query && !state.query.product ? state.products.slice(0, 8) : [];
  const hint = sketch.hintColours(1)[0];
  const colour = hint ? nearestColour(...hint).ko : topVote(top.map((p) => {
    const m = titleColour(p.title);
    return m && m.c.ko;
  }));
  let item = null;
  const want = cat !== 'auto' ? cat : state.understood && state.understood.category && pageCategory(state.understood.category);
  const c = CATEGORY_BY_ID[want];
  const uc = cat === 'auto' && state.understood && state.understood.category;
  const fc = cat !== 'auto' && categoryFields(cat).class; // the class asked for
  if (uc && CLASSES[uc]) item = CLASSES[uc].ko; // the class the server understood
  else if (fc && CLASSES[fc]) item = CLASSES[fc].ko;
  else {
    // the most common class of the top results (within the wanted category)
    const cls = topVote(top.filter((p) => !want || pageCategory(p.class, p.category) === want).map((p) => p.class));
    item = cls && CLASSES[cls] ? CLASSES[cls].ko : want ? categoryKo(want) : null;
  }
  return koQuery(colour, item);
}

function renderShops() {
  const box = $('shops');
  if (!state.config || !state.config.shops || !state.config.shops.length ||
      (sketch.isEmpty('lines') && !state.products.length)) { box.replaceChildren(); return; }
  const q = shopQuery();
  const label = document.createElement('span');
  label.textContent = `${t('shops_title')} “${q}”`;
  const links = state.config.shops.map((s) => {
    const a = document.createElement('a');
    a.href = s.url.replace('{query}', encodeURIComponent(q));
    a.target = '_blank';
    a.rel = 'noopener';
    a.className = 'shop';
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

// A swatch is the Colour brush in that colour: the tool button shows the
// colour and the switch is announced, so nothing changes silently.
function setColour(c) {
  sketch.colour = c;
  $('colour').value = c;
  $('brush-dot').style.background = c;
  for (const s of document.querySelectorAll('.swatch')) s.setAttribute('aria-pressed', String(s.dataset.colour === c));
  setTool('brush');
  $('tool-status').textContent = t('colour_on').replace('{c}', colourName(c));
}
for (const c of PALETTE) {
  const s = document.createElement('button');
  s.type = 'button';
  s.className = 'swatch';
  s.dataset.colour = c;
  s.style.setProperty('--c', c);
  s.setAttribute('aria-pressed', 'false');
  s.addEventListener('click', () => setColour(c));
  $('palette').insertBefore(s, $('colour'));
}
$('brush-dot').style.background = sketch.colour;
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

// --- start points: a template starts clean (its outline, no colour hints,
// its category); one undo brings back all of what was there before ---
for (const b of document.querySelectorAll('.template')) {
  b.addEventListener('click', async () => {
    try {
      const img = new Image();
      img.src = `/static/templates/${b.dataset.cat}.svg`;
      await img.decode(); // load first: a failed load changes nothing
      sketch.checkpoint();
      sketch.clearLayer('hints');
      $('category').value = b.dataset.cat;
      state.cls = null;
      await sketch.place('lines', img.src, true);
      setTool('pen');
      hideError();
      sketch.onchange();
    } catch (e) { showError(t('err_other')); }
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
    let photo;
    try { photo = await shrink(file, 1024); } catch (err) { throw new Error(t('err_image')); }
    const r = await post('/api/edges', { photo, size: 512 });
    const res = await r.json();
    // the photo itself can be the query too (its own embedding), beside the
    // outline traced from it (the garment only)
    state.photo = photo;
    $('photo-search').hidden = false;
    sketch.checkpoint();
    await sketch.place('lines', res.lines, true);
    sketch.clearLayer('hints');
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
  drawMini();
  if (!state.config.model) $('preview-status').textContent = t('preview_off');
  const like = /^#like=(.+)$/.exec(location.hash);
  if (like) { // from a product page's "More like this"
    const id = decodeURIComponent(like[1]);
    let p = { id, title: id };
    try {
      const r = await fetch(`/api/products/${encodeURIComponent(id)}`);
      if (r.ok) p = await r.json();
    } catch (e) { /* the search below reports the error */ }
    runSearch({ product: id }, true, p);
  }
  document.body.dataset.ready = '1';
}
start();
