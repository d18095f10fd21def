// product.js: the demo catalogue's product page (/product/{id}, rendered by
// src/http/pages.c): text in the shopper's chosen language (the page's
// language switch is remembered in localStorage), the price as the grid shows
// it, Korean shop links for this product (colour + item words) and similar
// items (POST /api/search by this product's photo).
import { text, money, localTitle, titleColour, CLASSES, categoryKo, categoryLabel, pageCategory, koQuery } from './i18n.js';

const main = document.getElementById('product');
const p = {
  id: main.dataset.id, title: main.dataset.title, category: main.dataset.category,
  class: main.dataset.class, price: Number(main.dataset.price), currency: main.dataset.currency,
};
const lang = localStorage.getItem('ztyle.lang') || document.documentElement.lang || 'en';
const t = (k) => text(lang, k);

document.documentElement.lang = lang;
for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
const name = localTitle(lang, p);
main.querySelector('h1').textContent = name;
main.querySelector('.product-photo').alt = name;
document.title = `${name} · Ztyle`;
main.querySelector('.price').textContent = money(lang, p.price, p.currency);
const cat = pageCategory(p.class, p.category);
main.querySelector('.meta').textContent = [cat && categoryLabel(lang, cat),
  CLASSES[p.class] && CLASSES[p.class][lang === 'ko' ? 'ko' : 'en']].filter(Boolean)
  .filter((v, i, a) => a.indexOf(v) === i).join(' · ');

async function shops() {
  const r = await fetch('/api/config');
  const cfg = await r.json();
  const m = titleColour(p.title);
  const q = koQuery(m && m.c.ko, CLASSES[p.class] ? CLASSES[p.class].ko : categoryKo(p.category));
  const label = document.createElement('span');
  label.textContent = `${t('shops_title')} “${q}”`;
  const links = (cfg.shops || []).map((s) => {
    const a = document.createElement('a');
    a.href = s.url.replace('{query}', encodeURIComponent(q));
    a.target = '_blank';
    a.rel = 'noopener';
    a.className = 'shop';
    a.textContent = lang === 'ko' && s.name_ko ? s.name_ko : s.name;
    return a;
  });
  document.getElementById('shops').replaceChildren(label, ...links);
}

async function similar() {
  const r = await fetch('/api/search', { method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ product: p.id, k: 9 }) });
  if (!r.ok) return;
  const res = await r.json();
  const items = res.products.filter((o) => o.id !== p.id).slice(0, 8).map((o) => {
    const li = document.createElement('li');
    li.className = 'card';
    const a = document.createElement('a');
    a.href = o.url;
    a.className = 'title';
    const img = document.createElement('img');
    img.src = o.thumbnail;
    img.alt = '';
    img.loading = 'lazy';
    const span = document.createElement('span');
    span.textContent = localTitle(lang, o);
    a.append(img, span);
    const price = document.createElement('p');
    price.className = 'price';
    price.textContent = money(lang, o.price, o.currency);
    li.append(a, price);
    return li;
  });
  document.getElementById('similar').replaceChildren(...items);
  main.querySelector('.similar').hidden = !items.length;
}

Promise.all([shops(), similar()]).catch(() => {}).finally(() => { document.body.dataset.ready = '1'; });
