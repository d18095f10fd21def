// i18n.js: the page's English and Korean text, and colour/category names
// for the shop query ("네이비 스커트").
export const STRINGS = {
  en: {
    tagline: 'Draw the clothes you want. We find them.', draw: 'Drawing',
    pen: 'Outline', brush: 'Colour', eraser: 'Eraser', width: 'Width',
    undo: 'Undo', redo: 'Redo', clear: 'Clear',
    undo_key: 'Undo (Ctrl+Z)', redo_key: 'Redo (Ctrl+Shift+Z)',
    start_from: 'Start from:', upload: 'Upload a photo or drawing', keep_colours: 'keep its colours',
    category: 'Category', cat_auto: 'Automatic', cat_top: 'Top', cat_pants: 'Pants',
    cat_skirt: 'Skirt', cat_hat: 'Hat',
    preview_hint: 'Draw an outline: the photo preview appears here.',
    preview_busy: 'Updating the preview…', preview_ok: 'Preview of your drawing',
    preview_off: 'No generator model on this server: search uses your drawing alone.',
    price_min: 'Min price', price_max: 'Max price', search: 'Search', searching: 'Searching…',
    results: 'Products', more_results: 'More results', more_like: 'More like this',
    shop_link: 'Shop', no_results: 'No products match. Try another category or price.',
    shops_title: 'Search Korean shops for', empty: 'Draw an outline first (or start from a template).',
    uploading: 'Making an outline of your picture…',
    shortcuts: 'Shortcuts: Ctrl+Z undo, Ctrl+Shift+Z redo, P pen, C colour, E eraser.',
    lang_other: '한국어', err_network: 'The server cannot be reached.',
    err_busy: 'The server is busy; please try again in a moment.',
    like_of: 'Products like', results_n: '{n} products',
  },
  ko: {
    tagline: '원하는 옷을 그려 보세요. 찾아 드립니다.', draw: '그림',
    pen: '윤곽선', brush: '색칠', eraser: '지우개', width: '굵기',
    undo: '실행 취소', redo: '다시 실행', clear: '지우기',
    undo_key: '실행 취소 (Ctrl+Z)', redo_key: '다시 실행 (Ctrl+Shift+Z)',
    start_from: '시작하기:', upload: '사진이나 그림 올리기', keep_colours: '색상 유지',
    category: '종류', cat_auto: '자동', cat_top: '상의', cat_pants: '바지',
    cat_skirt: '스커트', cat_hat: '모자',
    preview_hint: '윤곽선을 그리면 여기에 사진 미리보기가 나타납니다.',
    preview_busy: '미리보기를 만드는 중…', preview_ok: '그림의 미리보기',
    preview_off: '이 서버에는 생성 모델이 없어 그림만으로 검색합니다.',
    price_min: '최저 가격', price_max: '최고 가격', search: '검색', searching: '검색 중…',
    results: '상품', more_results: '결과 더 보기', more_like: '비슷한 상품',
    shop_link: '쇼핑몰', no_results: '맞는 상품이 없습니다. 다른 종류나 가격으로 찾아 보세요.',
    shops_title: '국내 쇼핑몰에서 찾기:', empty: '먼저 윤곽선을 그려 주세요 (또는 템플릿에서 시작).',
    uploading: '사진으로 윤곽선을 만드는 중…',
    shortcuts: '단축키: Ctrl+Z 실행 취소, Ctrl+Shift+Z 다시 실행, P 펜, C 색칠, E 지우개.',
    lang_other: 'English', err_network: '서버에 연결할 수 없습니다.',
    err_busy: '서버가 바쁩니다. 잠시 후 다시 시도해 주세요.',
    like_of: '비슷한 상품:', results_n: '상품 {n}개',
  },
};

// Korean shop queries use Korean names whatever the UI language.
export const CATEGORY_KO = { top: '상의', pants: '바지', skirt: '스커트', hat: '모자' };
export const CATEGORY_EN = { top: 'top', pants: 'pants', skirt: 'skirt', hat: 'hat' };

// Named colours for hint colours (nearest in RGB, weighted for the eye).
export const COLOURS = [
  { en: 'black', ko: '블랙', rgb: [20, 20, 20] },
  { en: 'white', ko: '화이트', rgb: [245, 245, 245] },
  { en: 'gray', ko: '그레이', rgb: [128, 128, 128] },
  { en: 'navy', ko: '네이비', rgb: [31, 41, 92] },
  { en: 'blue', ko: '블루', rgb: [40, 90, 200] },
  { en: 'sky blue', ko: '스카이블루', rgb: [135, 195, 235] },
  { en: 'red', ko: '레드', rgb: [200, 30, 40] },
  { en: 'wine', ko: '와인', rgb: [110, 25, 45] },
  { en: 'pink', ko: '핑크', rgb: [240, 150, 180] },
  { en: 'orange', ko: '오렌지', rgb: [240, 130, 30] },
  { en: 'yellow', ko: '옐로우', rgb: [240, 210, 50] },
  { en: 'green', ko: '그린', rgb: [40, 140, 60] },
  { en: 'khaki', ko: '카키', rgb: [120, 115, 70] },
  { en: 'beige', ko: '베이지', rgb: [220, 200, 165] },
  { en: 'brown', ko: '브라운', rgb: [110, 70, 40] },
  { en: 'purple', ko: '퍼플', rgb: [110, 60, 160] },
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
