// canvas.js: the drawing surface: two layers (outline, colour hints) kept
// apart, drawn with pointer events (mouse, touch, pen pressure), eraser,
// undo/redo snapshots of both layers (plus whatever state the page attaches
// through getState/setState, e.g. the category), and PNG export of each layer.
const MAX_UNDO = 40;

export class Sketch {
  constructor(stage, lines, hints) {
    this.stage = stage;
    this.layers = { lines, hints };
    this.ctx = {
      lines: lines.getContext('2d', { willReadFrequently: true }),
      hints: hints.getContext('2d', { willReadFrequently: true }),
    };
    this.tool = 'pen';
    this.width = 4;
    this.colour = '#1f3a93';
    this.undoStack = [];
    this.redoStack = [];
    this.drawing = null;
    this.onchange = () => {};
    this.onstroke = () => {};
    this.onstart = () => {};       // a stroke begins
    this.getState = () => null;    // page state saved with each snapshot
    this.setState = () => {};
    stage.addEventListener('pointerdown', (e) => this.down(e));
    stage.addEventListener('pointermove', (e) => this.move(e));
    stage.addEventListener('pointerup', (e) => this.up(e));
    stage.addEventListener('pointercancel', (e) => this.up(e));
    stage.addEventListener('contextmenu', (e) => e.preventDefault());
  }

  pos(e) {
    const r = this.layers.lines.getBoundingClientRect();
    const s = this.layers.lines.width / r.width;
    return [(e.clientX - r.left) * s, (e.clientY - r.top) * s];
  }

  snapshot() {
    const w = this.layers.lines.width, h = this.layers.lines.height;
    return { lines: this.ctx.lines.getImageData(0, 0, w, h), hints: this.ctx.hints.getImageData(0, 0, w, h),
      page: this.getState() };
  }

  restore(s) {
    this.ctx.lines.putImageData(s.lines, 0, 0);
    this.ctx.hints.putImageData(s.hints, 0, 0);
    this.setState(s.page);
  }

  // Call before any change: the state before it becomes undoable.
  checkpoint() {
    this.undoStack.push(this.snapshot());
    if (this.undoStack.length > MAX_UNDO) this.undoStack.shift();
    this.redoStack = [];
  }

  undo() {
    if (!this.undoStack.length) return false;
    this.redoStack.push(this.snapshot());
    this.restore(this.undoStack.pop());
    this.onchange();
    return true;
  }

  redo() {
    if (!this.redoStack.length) return false;
    this.undoStack.push(this.snapshot());
    this.restore(this.redoStack.pop());
    this.onchange();
    return true;
  }

  clear() {
    this.checkpoint();
    for (const k of ['lines', 'hints']) this.ctx[k].clearRect(0, 0, this.layers[k].width, this.layers[k].height);
    this.onchange();
  }

  strokeStyle(ctx, pressure) {
    const p = pressure > 0 && pressure !== 0.5 ? 0.4 + pressure * 1.2 : 1; // pen pressure; mouse reports 0.5
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    if (this.tool === 'eraser') {
      ctx.globalCompositeOperation = 'destination-out';
      ctx.strokeStyle = ctx.fillStyle = '#000';
      ctx.lineWidth = Math.max(6, this.width * 3) * p;
    } else {
      ctx.globalCompositeOperation = 'source-over';
      ctx.strokeStyle = ctx.fillStyle = this.tool === 'pen' ? '#000' : this.colour;
      ctx.lineWidth = (this.tool === 'pen' ? this.width : Math.max(6, this.width * 2)) * p;
    }
  }

  targets() {
    if (this.tool === 'pen') return [this.ctx.lines];
    if (this.tool === 'brush') return [this.ctx.hints];
    return [this.ctx.lines, this.ctx.hints]; // the eraser clears both layers
  }

  down(e) {
    if (e.button !== undefined && e.button > 0) return;
    e.preventDefault();
    this.stage.setPointerCapture(e.pointerId);
    this.onstart();
    this.checkpoint();
    const [x, y] = this.pos(e);
    this.drawing = { id: e.pointerId, x, y };
    for (const ctx of this.targets()) {
      this.strokeStyle(ctx, e.pressure);
      ctx.beginPath();
      ctx.arc(x, y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fill();
    }
  }

  move(e) {
    if (!this.drawing || e.pointerId !== this.drawing.id) return;
    e.preventDefault();
    const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
    for (const ev of events.length ? events : [e]) {
      const [x, y] = this.pos(ev);
      for (const ctx of this.targets()) {
        this.strokeStyle(ctx, ev.pressure);
        ctx.beginPath();
        ctx.moveTo(this.drawing.x, this.drawing.y);
        ctx.lineTo(x, y);
        ctx.stroke();
      }
      this.drawing.x = x;
      this.drawing.y = y;
    }
    this.onstroke();
  }

  up(e) {
    if (!this.drawing || e.pointerId !== this.drawing.id) return;
    this.drawing = null;
    for (const ctx of Object.values(this.ctx)) ctx.globalCompositeOperation = 'source-over';
    this.onchange();
  }

  // Draws an image (URL) onto a layer, fitted and centred; replace clears it first.
  async place(layer, url, replace) {
    const img = new Image();
    img.src = url;
    await img.decode();
    const c = this.layers[layer], ctx = this.ctx[layer];
    const s = Math.min(c.width / img.naturalWidth, c.height / img.naturalHeight) || 1;
    const w = img.naturalWidth * s, h = img.naturalHeight * s;
    ctx.globalCompositeOperation = 'source-over';
    if (replace) this.clearLayer(layer);
    ctx.drawImage(img, (c.width - w) / 2, (c.height - h) / 2, w, h);
  }

  clearLayer(layer) {
    this.ctx[layer].clearRect(0, 0, this.layers[layer].width, this.layers[layer].height);
  }

  isEmpty(layer) {
    const d = this.ctx[layer].getImageData(0, 0, this.layers[layer].width, this.layers[layer].height).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] >= 128) return false;
    return true;
  }

  // Up to n most common hint colours (coarsely binned), as [r, g, b].
  hintColours(n) {
    const c = this.layers.hints;
    const d = this.ctx.hints.getImageData(0, 0, c.width, c.height).data;
    const bins = new Map();
    for (let i = 0; i < d.length; i += 16) {
      if (d[i + 3] < 200) continue;
      const key = ((d[i] >> 4) << 8) | ((d[i + 1] >> 4) << 4) | (d[i + 2] >> 4);
      const b = bins.get(key) || { n: 0, r: 0, g: 0, b: 0 };
      b.n++; b.r += d[i]; b.g += d[i + 1]; b.b += d[i + 2];
      bins.set(key, b);
    }
    return [...bins.values()].sort((a, b) => b.n - a.n).slice(0, n)
      .map((b) => [b.r / b.n, b.g / b.n, b.b / b.n]);
  }

  toBlob(layer) {
    return new Promise((resolve) => this.layers[layer].toBlob(resolve, 'image/png'));
  }

  toDataURL(layer) {
    return this.layers[layer].toDataURL('image/png');
  }
}
