// i18n.js: the page's English and Korean text (tests/e2e checks both have
// every key), the categories the page offers, garment class and colour
// names (Korean shop queries such as "빨간 반팔 티셔츠"), price formatting
// and the plain-words error messages. No DOM here: node imports it too.
export const STRINGS = {
  en: {
    tagline: 'Draw the clothes you want. We find them.', draw: 'Drawing', tools: 'Tools',
    pen: 'Outline', brush: 'Colour', eraser: 'Eraser', width: 'Line width',
    undo: 'Undo', redo: 'Redo', clear: 'Clear',
    undo_key: 'Undo (Ctrl+Z)', redo_key: 'Redo (Ctrl+Shift+Z)',
    colours: 'Colours', colour_picker: 'Any colour', colour_on: 'Colour brush: {c}',
    layer_lines: 'Outline layer', layer_hints: 'Colour layer', lang_label: 'Language',
    start_from: 'Start from', upload: 'Upload a photo', keep_colours: 'also take its colours',
    photo_search: 'Search by this photo',
    category: 'Category', cat_auto: 'Automatic', cat_top: 'Top', cat_outerwear: 'Outerwear',
    cat_pants: 'Pants', cat_shorts: 'Shorts', cat_skirt: 'Skirt', cat_dress: 'Dress',
    cat_shoes: 'Shoes', cat_hat: 'Hat', cat_other: 'Other',
    preview: 'Preview', options: 'Search options',
    preview_hint: 'Draw an outline: the photo preview appears here.',
    preview_busy: 'Updating the preview…', preview_ok: 'Preview of your drawing',
    preview_off: 'No generator model on this server: search uses your drawing alone.',
    price_min: 'Min price', price_max: 'Max price', search: 'Search', searching: 'Searching…',
    results: 'Products', more_results: 'More results', more_like: 'More like this',
    similar: 'Similar items', back: '← Back to drawing',
    demo_note: 'Demo catalogue: a made-up price for a CC0 photo of the clothing-small dataset.',
    understood: 'Understood as', chosen: 'Category', or: 'Not it?', any_category: 'Any category',
    understood_none: 'Nothing the shop sells looks like this drawing. The closest items are below; pick a category to narrow them down.',
    to_drawing: 'Edit drawing', drawing_thumb: 'Your drawing',
    shop_link: 'Shop', no_results: 'No products match. Try another category or price.',
    shops_title: 'Search Korean shops for', empty: 'Draw an outline first (or start from a template).',
    uploading: 'Making an outline of your picture…',
    shortcuts: 'Shortcuts: Ctrl+Z undo, Ctrl+Shift+Z redo, P pen, C colour, E eraser.',
    lang_other: '한국어', err_network: 'The server cannot be reached. Check your connection and try again.',
    err_busy: 'The server is busy; please try again in a moment.',
    err_price_order: 'The minimum price is higher than the maximum price.',
    err_price_bad: 'Prices must be whole numbers, like 39000.',
    err_image: 'That picture could not be read. Try a PNG or JPEG photo.',
    err_too_large: 'That picture is too large. Try a smaller one.',
    err_no_product: 'That product is no longer in the shop.',
    err_no_model: 'The photo preview is not available on this server.',
    err_server: 'Something went wrong on our side. Please try again.',
    err_other: 'The search did not work. Please try again.',
    like_of: 'Products like', results_n: '{n} products',
  },
  ko: {
    tagline: '원하는 옷을 그려 보세요. 찾아 드립니다.', draw: '그림', tools: '도구',
    pen: '윤곽선', brush: '색칠', eraser: '지우개', width: '선 굵기',
    undo: '실행 취소', redo: '다시 실행', clear: '지우기',
    undo_key: '실행 취소 (Ctrl+Z)', redo_key: '다시 실행 (Ctrl+Shift+Z)',
    colours: '색상', colour_picker: '다른 색상', colour_on: '색칠 도구: {c}',
    layer_lines: '윤곽선 레이어', layer_hints: '색상 레이어', lang_label: '언어',
    start_from: '템플릿', upload: '사진 올리기', keep_colours: '사진 색상도 가져오기',
    photo_search: '이 사진으로 검색',
    category: '카테고리', cat_auto: '자동', cat_top: '상의', cat_outerwear: '아우터',
    cat_pants: '바지', cat_shorts: '반바지', cat_skirt: '스커트', cat_dress: '원피스',
    cat_shoes: '신발', cat_hat: '모자', cat_other: '기타',
    preview: '미리보기', options: '검색 조건',
    preview_hint: '윤곽선을 그리면 여기에 사진 미리보기가 나타납니다.',
    preview_busy: '미리보기를 만드는 중…', preview_ok: '그림의 미리보기',
    preview_off: '이 서버에는 생성 모델이 없어 그림만으로 검색합니다.',
    price_min: '최저 가격', price_max: '최고 가격', search: '검색', searching: '검색 중…',
    results: '상품', more_results: '결과 더 보기', more_like: '비슷한 상품',
    similar: '비슷한 상품', back: '← 그리기로 돌아가기',
    demo_note: '데모 카탈로그: clothing-small 데이터셋의 CC0 사진에 임의로 붙인 가격입니다.',
    understood: '인식한 종류', chosen: '카테고리', or: '다른 종류인가요?', any_category: '전체',
    understood_none: '그림과 비슷한 상품이 없습니다. 가장 가까운 상품을 아래에 보여 드려요. 카테고리를 고르면 좁혀 볼 수 있습니다.',
    to_drawing: '그림 수정', drawing_thumb: '내 그림',
    shop_link: '쇼핑몰', no_results: '맞는 상품이 없습니다. 다른 종류나 가격으로 찾아 보세요.',
    shops_title: '국내 쇼핑몰에서 찾기:', empty: '먼저 윤곽선을 그려 주세요 (또는 템플릿에서 시작).',
    uploading: '사진으로 윤곽선을 만드는 중…',
    shortcuts: '단축키: Ctrl+Z 실행 취소, Ctrl+Shift+Z 다시 실행, P 펜, C 색칠, E 지우개.',
    lang_other: 'English', err_network: '서버에 연결할 수 없습니다. 인터넷 연결을 확인하고 다시 시도해 주세요.',
    err_busy: '서버가 바쁩니다. 잠시 후 다시 시도해 주세요.',
    err_price_order: '최저 가격이 최고 가격보다 높습니다.',
    err_price_bad: '가격은 39000처럼 숫자로 입력해 주세요.',
    err_image: '사진을 읽을 수 없습니다. PNG나 JPEG 사진으로 다시 시도해 주세요.',
    err_too_large: '사진이 너무 큽니다. 더 작은 사진으로 시도해 주세요.',
    err_no_product: '이 상품은 더 이상 판매하지 않습니다.',
    err_no_model: '이 서버에서는 사진 미리보기를 쓸 수 없습니다.',
    err_server: '일시적인 오류가 생겼습니다. 다시 시도해 주세요.',
    err_other: '검색하지 못했습니다. 다시 시도해 주세요.',
    like_of: '비슷한 상품:', results_n: '상품 {n}개',
  },
};

export function text(lang, key) {
  return (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
}

// The categories the page offers (the catalogue's garment classes grouped
// as Korean shops group them). `category` is the server's filter (and the
// generator's conditioning); `cls`, when set, narrows it to one class.
export const CATEGORIES = [
  { id: 'top', category: 'top' },
  { id: 'outerwear', category: 'top', cls: 'outwear' },
  { id: 'pants', category: 'pants' },
  { id: 'shorts', category: 'pants', cls: 'shorts' },
  { id: 'skirt', category: 'skirt' },
  { id: 'dress', category: 'other', cls: 'dress' },
  { id: 'shoes', category: 'other', cls: 'shoes' },
  { id: 'hat', category: 'hat' },
];
export const CATEGORY_BY_ID = Object.fromEntries(CATEGORIES.map((c) => [c.id, c]));

// Garment classes of the catalogue: display and shop-query words, and the
// page category each belongs to. sub: a catalogue class the category list
// groups under a broader category, which a chip can still ask for alone.
export const CLASSES = {
  't-shirt': { en: 'T-shirt', ko: '반팔 티셔츠', page: 'top', sub: true },
  shirt: { en: 'Shirt', ko: '셔츠', page: 'top', sub: true },
  longsleeve: { en: 'Long-sleeve top', ko: '긴팔 티셔츠', page: 'top', sub: true },
  outwear: { en: 'Outerwear', ko: '아우터', page: 'outerwear' },
  outerwear: { en: 'Outerwear', ko: '아우터', page: 'outerwear' },
  top: { en: 'Top', ko: '상의', page: 'top' },
  pants: { en: 'Pants', ko: '바지', page: 'pants' },
  shorts: { en: 'Shorts', ko: '반바지', page: 'shorts' },
  skirt: { en: 'Skirt', ko: '스커트', page: 'skirt' },
  dress: { en: 'Dress', ko: '원피스', page: 'dress' },
  shoes: { en: 'Shoes', ko: '신발', page: 'shoes' },
  hat: { en: 'Hat', ko: '모자', page: 'hat' },
  cap: { en: 'Cap', ko: '캡모자', page: 'hat' },
};

// Korean word for a page category, a class or a server category.
export function categoryKo(name) {
  if (CLASSES[name]) return CLASSES[name].ko;
  return STRINGS.ko[`cat_${name}`] || '옷';
}

// The page category a product or an `understood` name belongs to.
export function pageCategory(name, fallback) {
  if (CATEGORY_BY_ID[name]) return name;
  if (CLASSES[name]) return CLASSES[name].page;
  return fallback && CATEGORY_BY_ID[fallback] ? fallback : null;
}

export function categoryLabel(lang, name) {
  if (STRINGS.en[`cat_${name}`]) return text(lang, `cat_${name}`);
  if (CLASSES[name]) return CLASSES[name][lang === 'ko' ? 'ko' : 'en'];
  return name;
}

// Named colours: hint colours (nearest in RGB, weighted for the eye) and the
// colour words of product titles ("Navy pants"). ko: the word a shopper types
// into a Korean shop's search box.
export const COLOURS = [
  { en: 'black', ko: '검정', rgb: [20, 20, 20] },
  { en: 'white', ko: '흰색', rgb: [245, 245, 245] },
  { en: 'gray', ko: '회색', rgb: [128, 128, 128], alias: ['grey'] },
  { en: 'light grey', ko: '연회색', rgb: [195, 195, 195], alias: ['light gray'] },
  { en: 'charcoal', ko: '차콜', rgb: [65, 65, 70] },
  { en: 'navy', ko: '네이비', rgb: [31, 41, 92] },
  { en: 'blue', ko: '파란', rgb: [40, 90, 200] },
  { en: 'sky blue', ko: '하늘색', rgb: [135, 195, 235], alias: ['light blue'] },
  { en: 'denim', ko: '데님', rgb: [80, 105, 140] },
  { en: 'red', ko: '빨간', rgb: [200, 30, 40] },
  { en: 'wine', ko: '버건디', rgb: [110, 25, 45], alias: ['burgundy'] },
  { en: 'pink', ko: '핑크', rgb: [240, 150, 180] },
  { en: 'orange', ko: '주황', rgb: [240, 130, 30] },
  { en: 'yellow', ko: '노란', rgb: [240, 210, 50] },
  { en: 'green', ko: '초록', rgb: [40, 140, 60] },
  { en: 'teal', ko: '청록', rgb: [25, 120, 120] },
  { en: 'olive', ko: '올리브', rgb: [100, 100, 45] },
  { en: 'khaki', ko: '카키', rgb: [120, 115, 70] },
  { en: 'beige', ko: '베이지', rgb: [220, 200, 165] },
  { en: 'brown', ko: '갈색', rgb: [110, 70, 40] },
  { en: 'purple', ko: '보라', rgb: [110, 60, 160] },
];

// The palette offered beside the colour picker.
export const PALETTE = ['#1f2a5c', '#285ac8', '#87c3eb', '#c81e28', '#f096b4', '#f0822a',
  '#f0d232', '#288c3c', '#787346', '#dcc8a5', '#6e4628', '#6e3ca0', '#808080', '#f5f5f5', '#141414'];

export function nearestColour(r, g, b) {
  let best = COLOURS[0], bd = Infinity;
  for (const c of COLOURS) {
    const dr = r - c.rgb[0], dg = g - c.rgb[1], db = b - c.rgb[2];
    const d = 2 * dr * dr + 4 * dg * dg + 3 * db * db;
    if (d < bd) { bd = d; best = c; }
  }
  return best;
}

// The colour named at the start of a title ("Light blue shirt"): the
// colour and the name matched, or null.
export function titleColour(title) {
  const low = String(title || '').toLowerCase();
  let best = null;
  for (const c of COLOURS) {
    for (const n of [c.en, ...(c.alias || [])]) {
      if ((low === n || low.startsWith(`${n} `)) && (!best || n.length > best.name.length)) best = { c, name: n };
    }
  }
  return best;
}

// A product title as the shopper reads it: the demo's generated titles
// ("Navy pants": colour + class) in Korean for Korean; others unchanged.
export function localTitle(lang, p) {
  if (lang !== 'ko') return p.title;
  const m = titleColour(p.title);
  const cls = CLASSES[p.class];
  if (!m || !cls || p.title.slice(m.name.length).trim().toLowerCase() !== p.class) return p.title;
  return `${m.c.ko} ${cls.ko}`;
}

// Currencies without minor units (ISO 4217).
const ZERO_DECIMAL = new Set(['KRW', 'JPY']);

// Price in the shopper's language: KRW as "39,000원" (ko) or "₩39,000" (en).
export function money(lang, price, currency) {
  const n = Number(price);
  if (currency === 'KRW' && lang === 'ko') return `${Math.round(n).toLocaleString('ko-KR')}원`;
  try {
    return new Intl.NumberFormat(lang === 'ko' ? 'ko-KR' : 'en-US', {
      style: 'currency', currency, currencyDisplay: 'narrowSymbol',
      maximumFractionDigits: ZERO_DECIMAL.has(currency) ? 0 : 2,
    }).format(n);
  } catch (e) { return `${n.toFixed(ZERO_DECIMAL.has(currency) ? 0 : 2)} ${currency}`; }
}

// A Korean shop query: colour word + item word ("빨간 반팔 티셔츠").
export function koQuery(colour, item) {
  return [colour, item || '옷'].filter(Boolean).join(' ');
}

// Server errors in plain words: by status, error code and message.
export function plainError(lang, status, code, message) {
  const m = String(message || '');
  let key = 'err_other';
  if (/price_min.*price_max/.test(m)) key = 'err_price_order';
  else if (/price/.test(m)) key = 'err_price_bad';
  else if (status === 413) key = 'err_too_large';
  else if (status === 404 && /product/.test(m)) key = 'err_no_product';
  else if (code === 'no_model') key = 'err_no_model';
  else if (status === 503) key = 'err_busy';
  else if (status === 400 && /image|PNG|JPEG|WebP|decode/i.test(m)) key = 'err_image';
  else if (status >= 500) key = 'err_server';
  return text(lang, key);
}
