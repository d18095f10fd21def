#!/usr/bin/env python3
"""Makes tests/data/doodled: 40 quick garment doodles (4 per class), a check on
search that no training run and no setting saw.

Each garment's outline was written by hand as key points in a 0-100 box, the way
a person puts the pen down (a collar, buttons, a hood, a brim, a heel), then
placed on a 512-px canvas at its own size, place and slant. This script adds
what a hand adds: a slow drift and a little tremor, a long outline broken into
one to three strokes, some strokes stopping short, and colour dabs (dots, blobs,
short strokes, scribbles). It shares no code or parameter with src/data
(doodle.c, shapes.c). Seeded by name, so the files are reproducible.

    python3 scripts/gen_doodled_fixture.py tests/data/doodled

writes DIR/<class>/<name>.svg and, when Chromium is installed, the PNG beside
each (optipng, when installed, makes them smaller). The SVGs are the source.
"""
import math, os, random, shutil, subprocess, sys
def C(*p): return [(p[i], p[i+1]) for i in range(0, len(p), 2)]
def circle(cx, cy, r, n=14, a0=0, a1=360):
    return [(cx + r*math.cos(math.radians(a0 + (a1-a0)*i/n)), cy + r*math.sin(math.radians(a0 + (a1-a0)*i/n))) for i in range(n+1)]
def arc(cx, cy, rx, ry, a0, a1, n=12):
    return [(cx + rx*math.cos(math.radians(a0 + (a1-a0)*i/n)), cy + ry*math.sin(math.radians(a0 + (a1-a0)*i/n))) for i in range(n+1)]

G = {}  # class -> list of (name, strokes, dabs, place)
# place: (cx, cy, size_px, rot_deg, aspect, pen)
def add(cls, name, strokes, place, dabs=()):
    G.setdefault(cls, []).append((name, strokes, list(dabs), place))

# --- t-shirt ---
add('t-shirt', 'a', [C(38,8, 44,14, 50,16, 56,14, 62,8, 82,16, 94,34, 80,42, 74,34, 74,92, 26,92, 26,34, 20,42, 6,34, 18,16, 38,8)], (250, 260, 330, -3, 1.0, 6))
add('t-shirt', 'b', [C(36,10, 50,20, 64,10, 84,20, 92,36, 78,40, 76,32, 76,90, 24,90, 24,32, 22,40, 8,36, 16,20, 36,10)], (140, 130, 170, 4, 1.1, 4),
    dabs=[(50,55,'dot',(200,30,40)), (40,70,'dot',(190,35,45))])
add('t-shirt', 'c', [C(50,26, 38,8, 18,16, 6,36, 22,44, 26,36, 26,92, 50,92), C(50,26, 62,8, 82,16, 94,36, 78,44, 74,36, 74,92, 50,92), C(38,8, 62,8)], (300, 300, 380, 0, 0.95, 5))
add('t-shirt', 'd', [C(40,12, 50,18, 60,12, 86,18, 96,38, 82,42, 80,36, 80,86, 20,86, 20,36, 18,42, 4,38, 14,18, 40,12), C(20,56, 80,56)], (330, 330, 260, 6, 1.0, 7),
    dabs=[(50,40,'scribble',(40,90,200)), (50,72,'scribble',(245,245,245))])
# --- shirt ---
add('shirt', 'a', [C(40,8, 50,18, 60,8, 78,14, 88,50, 94,92, 84,94, 76,46, 76,94, 24,94, 24,46, 16,94, 6,92, 12,50, 22,14, 40,8),
                   C(40,8, 44,20, 50,18), C(60,8, 56,20, 50,18), C(50,18, 50,94)], (256, 256, 380, 2, 1.0, 5),
    dabs=[(53,32,'dot',(0,0,0)), (53,48,'dot',(0,0,0)), (53,64,'dot',(0,0,0)), (53,80,'dot',(0,0,0))])
add('shirt', 'b', [C(38,10, 50,18, 62,10, 82,18, 92,36, 78,42, 76,34, 76,92, 24,92, 24,34, 22,42, 8,36, 18,18, 38,10),
                   C(38,10, 42,24, 50,18, 58,24, 62,10), C(50,18, 50,92), C(30,40, 42,40, 42,52, 30,52, 30,40)], (200, 300, 260, -4, 1.0, 4),
    dabs=[(62,60,'blob',(120,170,220)), (40,75,'blob',(120,170,220))])
add('shirt', 'c', [C(42,6, 50,14, 58,6, 76,12, 84,50, 90,90, 80,92, 72,44, 74,92, 26,92, 28,44, 20,92, 10,90, 16,50, 24,12, 42,6),
                   C(42,6, 45,18, 50,14, 55,18, 58,6), C(50,14, 50,92), C(12,84, 22,84), C(78,84, 88,84)], (360, 200, 240, 3, 0.9, 4),
    dabs=[(40,40,'stroke',(200,40,40)), (60,60,'stroke',(200,40,40)), (35,70,'stroke',(30,30,30))])
add('shirt', 'd', [C(40,8, 50,16, 60,8, 80,14, 90,52, 96,88, 86,90, 76,48, 76,94, 24,94, 24,48, 14,90, 4,88, 10,52, 20,14, 40,8),
                   C(40,8, 43,22, 50,16, 57,22, 60,8), C(50,16, 50,94)], (256, 270, 420, 0, 1.05, 6))
# --- longsleeve ---
add('longsleeve', 'a', [C(38,8, 50,14, 62,8, 80,14, 90,50, 96,88, 86,90, 76,48, 76,92, 24,92, 24,48, 14,90, 4,88, 10,50, 20,14, 38,8)], (256, 256, 360, -2, 1.0, 5))
add('longsleeve', 'b', [C(38,14, 50,20, 62,14, 80,18, 98,22, 98,32, 76,32, 76,90, 24,90, 24,32, 2,32, 2,22, 20,18, 38,14)], (380, 360, 200, 5, 1.0, 4),
    dabs=[(50,55,'blob',(40,120,60))])
add('longsleeve', 'c', [C(40,6, 40,14, 50,16, 60,14, 60,6), C(40,10, 22,14, 12,50, 8,86, 18,88, 26,48, 26,90, 74,90, 74,48, 82,88, 92,86, 88,50, 78,14, 60,10),
                        C(26,84, 74,84), C(8,80, 20,82), C(80,82, 92,80)], (230, 230, 300, 0, 1.0, 5),
    dabs=[(50,40,'scribble',(150,150,150)), (50,65,'scribble',(140,140,140))])
add('longsleeve', 'd', [C(38,10, 50,18, 62,10, 78,16, 84,52, 90,92, 82,94, 74,52, 74,94, 26,94, 26,52, 18,94, 10,92, 16,52, 22,16, 38,10)], (170, 340, 230, 8, 0.95, 3),
    dabs=[(50,50,'dot',(230,200,60)), (30,80,'dot',(230,200,60))])
# --- outwear ---
add('outwear', 'a', [arc(50,16,16,14,180,360,10) + C(66,16, 84,22, 92,60, 96,94, 86,96, 78,56, 78,96, 22,96, 22,56, 14,96, 4,94, 8,60, 16,22, 34,16),
                     C(50,30, 50,96), C(28,66, 40,66), C(60,66, 72,66)], (256, 260, 380, 0, 1.0, 5),
    dabs=[(35,50,'blob',(30,50,110)), (68,80,'blob',(30,50,110))])
add('outwear', 'b', [C(38,6, 50,24, 62,6, 78,10, 88,48, 92,88, 82,90, 76,50, 78,98, 22,98, 24,50, 18,90, 8,88, 12,48, 22,10, 38,6),
                     C(38,6, 42,30, 50,40), C(62,6, 58,30, 50,40), C(50,40, 50,98)], (270, 270, 430, -2, 0.85, 5),
    dabs=[(46,50,'dot',(0,0,0)), (46,64,'dot',(0,0,0)), (46,78,'dot',(0,0,0)), (35,70,'scribble',(150,110,70))])
add('outwear', 'c', [C(36,8, 50,12, 64,8, 84,16, 94,54, 96,86, 84,88, 80,52, 80,90, 20,90, 20,52, 16,88, 4,86, 6,54, 16,16, 36,8),
                     C(20,32, 80,32), C(20,50, 80,50), C(20,70, 80,70), C(50,12, 50,90)], (300, 220, 300, 3, 1.05, 6),
    dabs=[(35,40,'scribble',(200,40,40)), (65,60,'scribble',(200,40,40))])
add('outwear', 'd', [C(36,6, 50,36, 64,6, 80,12, 88,52, 92,90, 82,92, 76,52, 76,94, 24,94, 24,52, 18,92, 8,90, 12,52, 20,12, 36,6),
                     C(36,6, 40,22, 34,26, 50,50), C(64,6, 60,22, 66,26, 50,50), C(50,50, 50,94), C(30,74, 40,74), C(60,74, 70,74)], (200, 330, 280, -5, 1.0, 4))
# --- pants ---
add('pants', 'a', [C(22,4, 78,4, 80,12, 86,96, 60,96, 50,36, 40,96, 14,96, 20,12, 22,4), C(20,12, 80,12), C(50,12, 50,32)], (256, 256, 400, 0, 0.9, 5),
    dabs=[(35,50,'blob',(50,80,150)), (66,70,'blob',(50,80,150))])
add('pants', 'b', [C(24,4, 76,4, 80,10, 96,96, 58,96, 50,40, 42,96, 4,96, 20,10, 24,4)], (150, 330, 300, 4, 0.7, 4),
    dabs=[(30,60,'stroke',(20,20,20))])
add('pants', 'c', [C(26,4, 74,4, 76,10, 72,88, 74,96, 56,96, 56,88, 50,34, 44,88, 44,96, 26,96, 28,88, 24,10, 26,4), C(24,10, 76,10), C(28,88, 44,88), C(56,88, 72,88)], (330, 250, 320, -3, 0.9, 6),
    dabs=[(36,40,'scribble',(120,120,120)), (64,60,'scribble',(120,120,120))])
add('pants', 'd', [C(50,4, 24,4, 20,12, 14,96, 40,96, 50,36), C(50,4, 76,4, 80,12, 86,96, 60,96, 50,36)], (380, 200, 260, 2, 0.85, 4))
# --- shorts ---
add('shorts', 'a', [C(14,10, 86,10, 90,20, 96,80, 58,84, 50,44, 42,84, 4,80, 10,20, 14,10), C(10,20, 90,20)], (256, 256, 300, 0, 1.0, 5),
    dabs=[(30,50,'blob',(190,170,120)), (70,50,'blob',(190,170,120))])
add('shorts', 'b', [C(18,10, 82,10, 94,84, 56,88, 50,48, 44,88, 6,84, 18,10), C(18,20, 82,20), C(46,20, 44,34), C(54,20, 56,34)], (160, 180, 200, -6, 1.1, 4),
    dabs=[(28,60,'scribble',(40,140,200)), (72,60,'scribble',(40,140,200))])
add('shorts', 'c', [C(16,8, 84,8, 88,16, 96,76, 60,80, 50,42, 40,80, 4,76, 12,16, 16,8)], (350, 330, 250, 3, 0.95, 6),
    dabs=[(30,45,'dot',(40,40,40)), (70,50,'dot',(40,40,40))])
add('shorts', 'd', [C(20,10, 80,10, 82,18, 92,70, 56,74, 50,40, 44,74, 8,70, 18,18, 20,10), C(18,18, 82,18), C(50,18, 50,36)], (230, 280, 380, 0, 1.0, 5))
# --- skirt ---
add('skirt', 'a', [C(32,10, 68,10, 68,20, 92,90, 8,90, 32,20, 32,10), C(32,20, 68,20)], (256, 256, 320, 0, 1.0, 5),
    dabs=[(50,60,'blob',(200,60,90))])
add('skirt', 'b', [C(30,12, 70,12, 70,20, 88,84, 12,84, 30,20, 30,12), C(40,20, 34,84), C(50,20, 50,84), C(60,20, 66,84), C(30,20, 70,20)], (300, 220, 300, 2, 1.0, 4),
    dabs=[(45,55,'dot',(30,40,90)), (58,65,'dot',(30,40,90))])
add('skirt', 'c', [C(30,6, 70,6, 72,14, 74,50, 70,94, 30,94, 26,50, 28,14, 30,6), C(28,14, 72,14), C(50,80, 50,94)], (160, 300, 280, -4, 0.9, 5),
    dabs=[(50,45,'scribble',(20,20,20))])
add('skirt', 'd', [C(34,24, 66,24, 66,32, 86,56, 96,74, 4,74, 14,56, 34,32, 34,24)], (370, 380, 220, 5, 1.1, 4),
    dabs=[(40,55,'dot',(240,180,200)), (60,60,'dot',(240,180,200))])
# --- dress ---
add('dress', 'a', [C(34,4, 36,22, 30,40, 38,48, 30,56, 10,96, 90,96, 70,56, 62,48, 70,40, 64,22, 66,4), C(36,22, 50,30, 64,22), C(34,4, 36,22), C(38,48, 62,48)], (256, 256, 420, 0, 0.8, 5),
    dabs=[(50,70,'blob',(200,30,50)), (40,85,'blob',(200,30,50))])
add('dress', 'b', [C(38,6, 50,14, 62,6, 76,10, 84,24, 72,30, 68,24, 66,44, 86,94, 14,94, 34,44, 32,24, 28,30, 16,24, 24,10, 38,6), C(34,44, 66,44)], (200, 320, 300, 3, 0.9, 4),
    dabs=[(50,70,'scribble',(90,140,200))])
add('dress', 'c', [C(40,4, 44,16, 56,16, 60,4), C(40,4, 34,10, 34,34, 38,42, 30,98, 70,98, 62,42, 66,34, 66,10, 60,4), C(38,42, 62,42)], (330, 260, 440, -2, 0.85, 6),
    dabs=[(50,70,'dot',(40,110,60)), (44,86,'dot',(40,110,60)), (56,28,'dot',(40,110,60))])
add('dress', 'd', [C(38,6, 50,30, 62,6, 74,10, 82,22, 72,26, 68,20, 66,44, 88,94, 12,94, 34,44, 32,20, 28,26, 18,22, 26,10, 38,6), C(50,30, 40,44, 34,44), C(40,44, 66,44)], (150, 190, 250, 6, 0.9, 4))
# --- hat ---
add('hat', 'a', [arc(46,60,30,34,180,360,12) + C(76,60, 96,66, 94,72, 70,70, 16,66, 16,60)], (256, 256, 300, 0, 1.0, 5),
    dabs=[(44,44,'blob',(30,60,140))])
add('hat', 'b', [arc(50,62,32,44,180,360,12) + C(82,62, 84,82, 16,82, 18,62), C(18,66, 82,66), circle(50,14,6,10)], (180, 200, 220, -5, 1.0, 4),
    dabs=[(50,45,'scribble',(200,60,40)), (50,74,'scribble',(200,60,40))])
add('hat', 'c', [arc(50,54,24,26,180,360,10) + C(74,54, 78,60, 22,60, 26,54), arc(50,62,46,10,0,360,16)], (320, 300, 340, 2, 1.0, 5),
    dabs=[(50,42,'blob',(220,200,150))])
add('hat', 'd', [C(30,30, 70,30, 74,62, 90,78, 10,78, 26,62, 30,30), C(26,62, 74,62)], (380, 150, 200, -3, 1.0, 4),
    dabs=[(50,48,'dot',(140,130,90))])
# --- shoes ---
add('shoes', 'a', [C(6,50, 10,40, 34,38, 50,50, 82,58, 96,66, 96,78, 6,78, 6,50), C(6,72, 96,72), C(36,42, 44,50), C(42,40, 50,48)], (256, 256, 360, 0, 1.0, 5),
    dabs=[(70,66,'blob',(240,240,240)), (30,60,'blob',(30,30,30))])
add('shoes', 'b', [C(20,8, 46,8, 48,58, 88,66, 94,84, 18,84, 20,8), C(18,78, 94,78)], (180, 300, 280, 3, 1.0, 5),
    dabs=[(34,50,'scribble',(110,70,40))])
add('shoes', 'c', [C(10,70, 18,40, 30,48, 60,56, 80,50, 92,48, 92,56, 86,62, 86,84, 82,84, 80,64, 30,70, 16,82, 10,70)], (340, 330, 260, -2, 1.0, 4),
    dabs=[(50,58,'dot',(200,20,40))])
add('shoes', 'd', [C(8,56, 14,44, 40,42, 60,52, 90,60, 94,72, 8,72, 8,56), C(8,66, 94,66)], (150, 140, 200, 4, 1.0, 4))

def wobble(pts, rng, scale):
    # resample every ~5 px; a slow drift (two sines) and small jitter, as a hand
    out = []
    segs = []
    for (a, b) in zip(pts, pts[1:]):
        d = math.hypot(b[0]-a[0], b[1]-a[1]); n = max(1, int(d / 5))
        segs += [(a[0] + (b[0]-a[0])*i/n, a[1] + (b[1]-a[1])*i/n) for i in range(n)]
    segs.append(pts[-1])
    A = [rng.uniform(1.0, 3.0) * scale for _ in range(2)]; F = [rng.uniform(0.02, 0.06) for _ in range(2)]; P = [rng.uniform(0, 6.3) for _ in range(4)]
    for i, (x, y) in enumerate(segs):
        out.append((x + A[0]*math.sin(F[0]*i + P[0]) + rng.gauss(0, 0.5), y + A[1]*math.sin(F[1]*i + P[1]) + rng.gauss(0, 0.5)))
    return out

def dab(kind, x, y, rng, pen):
    r = rng.uniform(5, 10)
    if kind == 'dot': return 'circle', (x, y, r * 0.8)
    if kind == 'blob': return 'path', [(x + r*1.6*math.cos(a/8*6.283)*rng.uniform(0.7,1.2), y + r*1.2*math.sin(a/8*6.283)*rng.uniform(0.7,1.2)) for a in range(9)], 'fill'
    if kind == 'stroke': return 'path', [(x - 18, y - 4), (x, y + 2), (x + 18, y - 2)], pen * 2.5
    return 'path', [(x - 16 + 32*(i % 2) + rng.uniform(-3, 3), y - 10 + 3*i) for i in range(8)], pen * 2

def place(p, pl):
    cx, cy, size, rot, asp, pen = pl
    x, y = (p[0] - 50) / 100 * size * asp, (p[1] - 50) / 100 * size
    c, s = math.cos(math.radians(rot)), math.sin(math.radians(rot))
    return (cx + c*x - s*y, cy + s*x + c*y)

def main(out):
    for cls, items in G.items():
        os.makedirs(f'{out}/{cls}', exist_ok=True)
        for name, strokes, dabs, pl in items:
            rng = random.Random(f'{cls}-{name}')
            pen = pl[5]
            body = []
            for st in strokes:
                pts = [place(p, pl) for p in st]
                # a person often breaks a long outline into 2-3 strokes, ends overshooting or short
                n = len(pts); cuts = sorted(rng.sample(range(1, n-1), min(n-2, rng.randint(0, 2)))) if n > 3 else []
                pieces = []; last = 0
                for ccut in cuts + [n-1]:
                    pieces.append(pts[last:ccut+1]); last = ccut
                for pc in pieces:
                    w = wobble(pc, rng, pl[2] / 300)
                    if rng.random() < 0.3 and len(w) > 4: w = w[:-rng.randint(1, 2)]   # stops short
                    body.append('<path d="M' + ' L'.join('%.1f %.1f' % q for q in w) + '"/>')
            dabsvg = []
            for (x, y, kind, col) in dabs:
                px, py = place((x, y), pl)
                d = dab(kind, px, py, rng, pen)
                hexc = '#%02x%02x%02x' % col
                if d[0] == 'circle': dabsvg.append('<circle cx="%.1f" cy="%.1f" r="%.1f" fill="%s"/>' % (d[1][0], d[1][1], d[1][2], hexc))
                elif d[2] == 'fill': dabsvg.append('<path d="M' + ' L'.join('%.1f %.1f' % q for q in d[1]) + ' Z" fill="%s"/>' % hexc)
                else: dabsvg.append('<path d="M' + ' L'.join('%.1f %.1f' % q for q in d[1]) + '" fill="none" stroke="%s" stroke-width="%.1f" stroke-linecap="round" stroke-linejoin="round"/>' % (hexc, d[2]))
            svg = ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 512 512" width="512" height="512">'
                   '<rect width="512" height="512" fill="#fff"/>'
                   '<g fill="none" stroke="#000" stroke-width="%d" stroke-linejoin="round" stroke-linecap="round">' % pen + ''.join(body) + '</g>' + ''.join(dabsvg) + '</svg>\n')
            open(f'{out}/{cls}/{name}.svg', 'w').write(svg)

def render(out):
    chrome = shutil.which('chromium')
    if not chrome:
        print('chromium not found: SVGs only', file=sys.stderr)
        return
    for cls in sorted(G):
        for name, *_ in G[cls]:
            svg = os.path.abspath(f'{out}/{cls}/{name}.svg')
            png = svg[:-4] + '.png'
            subprocess.run([chrome, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
                            '--window-size=512,512', '--screenshot=' + png, 'file://' + svg],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if shutil.which('optipng'):
                subprocess.run(['optipng', '-quiet', '-o2', png], check=True)

if __name__ == '__main__':
    if len(sys.argv) != 2:
        sys.exit('usage: gen_doodled_fixture.py OUT_DIR')
    main(sys.argv[1])
    render(sys.argv[1])
    print(sum(len(v) for v in G.values()), 'drawings ->', sys.argv[1])
