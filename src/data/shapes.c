/* shapes.c: garment silhouettes as people draw them (shapes.h). Each
 * family builds its outline in the unit square (y down): a symmetric one
 * from its left half, mirrored; a side view (cap, shoe) whole, mirrored
 * at random. Interior lines are segments. */
#include "shapes.h"
#include "../util/rng.h"
#include "../util/zt.h"

#include <math.h>
#include <string.h>
#include <strings.h>

#define MAXV 96
#define MAXL 24

struct shape {
    float v[MAXV][2];
    int n;
    float l[MAXL][4]; /* interior segments x0 y0 x1 y1 */
    int nl;
};

int zt_poly_inside(const float (*v)[2], int n, float x, float y)
{
    int in = 0;
    for (int i = 0, j = n - 1; i < n; j = i++)
        if ((v[i][1] > y) != (v[j][1] > y) &&
            x < (v[j][0] - v[i][0]) * (y - v[i][1]) / (v[j][1] - v[i][1]) + v[i][0])
            in = !in;
    return in;
}

static float U(struct zt_rng *r, float lo, float hi) { return lo + (hi - lo) * zt_rng_uniform(r); }

static void pt(struct shape *s, float x, float y)
{
    if (s->n < MAXV) s->v[s->n][0] = x, s->v[s->n][1] = y, s->n++;
}

static void seg(struct shape *s, float x0, float y0, float x1, float y1)
{
    if (s->nl < MAXL) {
        float *q = s->l[s->nl++];
        q[0] = x0, q[1] = y0, q[2] = x1, q[3] = y1;
    }
}

/* a segment and its mirror image about x = 0.5 */
static void seg2(struct shape *s, float x0, float y0, float x1, float y1)
{
    seg(s, x0, y0, x1, y1);
    seg(s, 1 - x0, y0, 1 - x1, y1);
}

/* quadratic Bezier from the last point through control c to end e */
static void curve(struct shape *s, float cx, float cy, float ex, float ey, int steps)
{
    float x0 = s->v[s->n - 1][0], y0 = s->v[s->n - 1][1];
    for (int k = 1; k <= steps; k++) {
        float t = (float)k / steps, a = (1 - t) * (1 - t), b = 2 * t * (1 - t), c = t * t;
        pt(s, a * x0 + b * cx + c * ex, a * y0 + b * cy + c * ey);
    }
}

/* the left half (top centre to bottom centre) closed with its mirror */
static void mirror_half(struct shape *s)
{
    int h = s->n;
    for (int k = h - 2; k >= 1; k--) pt(s, 1 - s->v[k][0], s->v[k][1]);
}

enum { T_TSHIRT, T_SHIRT, T_LONGSLEEVE, T_OUTWEAR };

/* tops: neck, shoulders, sleeves (short or long, out or hanging), body */
static void top(struct shape *s, int kind, struct zt_rng *r)
{
    int longs = kind != T_TSHIRT && !(kind == T_SHIRT && zt_rng_uniform(r) < 0.3f);
    int hood = kind == T_OUTWEAR && zt_rng_uniform(r) < 0.4f;
    float nw = U(r, 0.07f, 0.13f), sy = U(r, 0.12f, 0.2f), bw = U(r, 0.17f, 0.27f);
    float hem = kind == T_OUTWEAR ? U(r, 0.82f, 0.97f) : U(r, 0.75f, 0.92f);
    float flare = U(r, 0.95f, 1.12f);
    float ang = longs ? U(r, 0.75f, 1.35f) : U(r, 0.35f, 0.8f); /* below horizontal */
    float sl = longs ? U(r, 0.34f, 0.5f) : U(r, 0.12f, 0.22f);
    float sw = longs ? U(r, 0.08f, 0.12f) : U(r, 0.1f, 0.15f);
    float shx = 0.5f - bw - U(r, 0.0f, 0.03f), shy = sy + U(r, 0.02f, 0.05f);
    float dx = -cosf(ang), dy = sinf(ang), nx = sinf(ang), ny = cosf(ang);
    float ox = shx + sl * dx, oy = shy + sl * dy; /* sleeve end, upper corner */
    float ix = ox + sw * nx, iy = oy + sw * ny;   /* lower corner */
    float ax = 0.5f - bw, ay = shy + sw / fmaxf(0.35f, cosf(ang)) * 0.8f + 0.03f;
    if (ay > hem - 0.2f) ay = hem - 0.2f;
    if (ix > ax - 0.01f && longs) ix = ax - 0.01f; /* a hanging sleeve beside the body */
    int collar = kind == T_SHIRT, vneck = kind == T_TSHIRT && zt_rng_uniform(r) < 0.25f;
    float nd = vneck ? U(r, 0.1f, 0.16f) : U(r, 0.03f, 0.08f);
    if (hood) {
        pt(s, 0.5f, sy - U(r, 0.12f, 0.18f));
        curve(s, 0.5f - nw * 1.6f, sy - 0.14f, 0.5f - nw * 1.2f, sy + 0.01f, 6);
    } else if (collar) { /* a shallow neck, the collar standing a little */
        pt(s, 0.5f, sy + 0.015f);
        pt(s, 0.5f - nw, sy - 0.02f);
    } else {
        pt(s, 0.5f, sy + nd);
        if (vneck) pt(s, 0.5f - nw, sy);
        else curve(s, 0.5f - nw * 0.9f, sy + nd, 0.5f - nw, sy, 4);
    }
    pt(s, shx, shy);
    pt(s, ox, oy);
    pt(s, ix, iy);
    pt(s, ax, ay);
    pt(s, 0.5f - bw * flare, hem);
    pt(s, 0.5f, hem);
    mirror_half(s);
    float by = hem - 0.01f;
    if (kind == T_SHIRT) { /* placket and buttons, collar edges */
        seg(s, 0.5f, sy + 0.08f, 0.5f, by);
        seg2(s, 0.5f - nw * 0.95f, sy, 0.5f - nw * 0.35f, sy + 0.1f); /* the collar's flaps */
        seg2(s, 0.5f - nw * 0.35f, sy + 0.1f, 0.5f, sy + 0.05f);
        if (zt_rng_uniform(r) < 0.5f) { /* a chest pocket */
            float px = 0.5f - bw * 0.6f, py = sy + 0.12f;
            seg(s, px, py, px + 0.08f, py);
            seg(s, px, py, px, py + 0.08f);
            seg(s, px + 0.08f, py, px + 0.08f, py + 0.08f);
            seg(s, px, py + 0.08f, px + 0.08f, py + 0.08f);
        }
    } else if (kind == T_OUTWEAR) { /* zip or opening, pockets */
        seg(s, 0.5f, sy + (hood ? 0.0f : nd), 0.5f, by);
        if (zt_rng_uniform(r) < 0.6f) seg2(s, 0.5f - bw * 0.7f, hem - 0.2f, 0.5f - bw * 0.3f, hem - 0.16f);
        if (hood) seg2(s, 0.5f, sy + 0.02f, 0.5f - nw, sy - 0.06f);
    } else { /* the neckband and the sleeve hems */
        for (int k = 0; k < 4; k++) { /* the neck's curve, a little lower */
            float t0 = 0.2f * k, t1 = 0.2f * (k + 1);
            seg2(s, 0.5f - nw * (1.8f * t0 * (1 - t0) + t0 * t0) * 0.95f,
                 sy + nd * (1 - t0 * t0) + 0.035f, 0.5f - nw * (1.8f * t1 * (1 - t1) + t1 * t1) * 0.95f,
                 sy + nd * (1 - t1 * t1) + 0.035f);
        }
    }
    if (zt_rng_uniform(r) < 0.5f) /* a cuff or sleeve hem */
        seg2(s, ox + 0.2f * sw * nx - 0.05f * dx, oy + 0.2f * sw * ny - 0.05f * dy,
             ox + 0.8f * sw * nx - 0.05f * dx, oy + 0.8f * sw * ny - 0.05f * dy);
    if (zt_rng_uniform(r) < 0.4f) seg2(s, 0.5f, hem - 0.04f, 0.5f - bw * fminf(1, flare) + 0.015f, hem - 0.04f);
}

/* trousers and shorts: waist, hips, two legs meeting at the crotch */
static void bottoms(struct shape *s, int shorts, struct zt_rng *r)
{
    float y0 = U(r, 0.05f, 0.1f), ww = U(r, 0.16f, 0.24f);
    float yb = shorts ? y0 + ww * 2 * U(r, 0.7f, 1.1f) : U(r, 0.9f, 0.98f);
    float cr = y0 + (yb - y0) * (shorts ? U(r, 0.5f, 0.75f) : U(r, 0.28f, 0.4f));
    float out = 0.5f - ww * (shorts ? U(r, 1.0f, 1.35f) : U(r, 0.75f, 1.25f));
    float leg = shorts ? U(r, 0.16f, 0.26f) : U(r, 0.1f, 0.2f);
    float in = fminf(out + leg, 0.5f - 0.015f);
    pt(s, 0.5f, y0);
    pt(s, 0.5f - ww, y0);
    pt(s, 0.5f - ww * U(r, 1.0f, 1.12f), y0 + (cr - y0) * 0.6f);
    pt(s, out, yb);
    pt(s, in, yb + U(r, 0.0f, 0.015f));
    pt(s, 0.5f, cr);
    mirror_half(s);
    float band = U(r, 0.03f, 0.06f);
    if (zt_rng_uniform(r) < 0.7f) seg(s, 0.5f - ww, y0 + band, 0.5f + ww, y0 + band);
    if (zt_rng_uniform(r) < 0.6f) seg(s, 0.5f, y0 + band, 0.5f, cr - 0.03f); /* fly */
    if (zt_rng_uniform(r) < 0.4f) seg2(s, 0.5f - ww * 0.9f, y0 + band, 0.5f - ww * 0.5f, y0 + band + 0.08f);
    if (shorts && zt_rng_uniform(r) < 0.3f) seg2(s, out + 0.01f, yb - 0.04f, in, yb - 0.035f); /* cuffs */
}

static void skirt(struct shape *s, struct zt_rng *r)
{
    float y0 = U(r, 0.05f, 0.12f), ww = U(r, 0.14f, 0.22f);
    float yb = y0 + ww * 2 * U(r, 0.6f, 1.6f), hw = ww * U(r, 1.05f, 2.1f);
    float dip = U(r, 0.0f, 0.06f), band = U(r, 0.0f, 0.06f);
    pt(s, 0.5f, y0);
    pt(s, 0.5f - ww, y0);
    if (band > 0.02f) pt(s, 0.5f - ww, y0 + band);
    pt(s, 0.5f - hw, yb);
    curve(s, 0.5f - hw * 0.5f, yb + dip * 1.3f, 0.5f, yb + dip, 4);
    mirror_half(s);
    if (band > 0.02f) seg(s, 0.5f - ww, y0 + band, 0.5f + ww, y0 + band);
    if (zt_rng_uniform(r) < 0.4f) { /* pleats */
        int k = 1 + (int)(zt_rng_u64(r) % 3);
        for (int i = 1; i <= k; i++) {
            float f = (float)i / (k + 1);
            seg2(s, 0.5f - ww * f, y0 + band + 0.02f, 0.5f - hw * f, yb - 0.02f);
        }
    }
}

static void dress(struct shape *s, struct zt_rng *r)
{
    float y0 = U(r, 0.04f, 0.08f), nw = U(r, 0.06f, 0.11f), bw = U(r, 0.1f, 0.16f);
    float yw = U(r, 0.32f, 0.45f), ww = bw * U(r, 0.75f, 1.0f);
    float yb = U(r, 0.85f, 0.98f), hw = ww * U(r, 1.4f, 2.8f);
    int sleeves = zt_rng_uniform(r) < 0.4f;
    pt(s, 0.5f, y0 + U(r, 0.04f, 0.1f));
    pt(s, 0.5f - nw, y0);
    if (sleeves) {
        pt(s, 0.5f - bw - 0.02f, y0 + 0.03f);
        pt(s, 0.5f - bw - 0.09f, y0 + 0.12f);
        pt(s, 0.5f - bw - 0.02f, y0 + 0.17f);
    } else {
        pt(s, 0.5f - nw - 0.02f, y0 + 0.005f); /* a strap */
        pt(s, 0.5f - bw, y0 + 0.1f);
    }
    pt(s, 0.5f - ww, yw);
    pt(s, 0.5f - hw, yb);
    curve(s, 0.5f - hw * 0.5f, yb + 0.03f, 0.5f, yb + 0.02f, 4);
    mirror_half(s);
    if (zt_rng_uniform(r) < 0.6f) seg(s, 0.5f - ww, yw, 0.5f + ww, yw);
}

/* hats: a beanie, a brimmed hat (front views) or a cap (side view) */
static void hat(struct shape *s, struct zt_rng *r, int *side)
{
    int kind = (int)(zt_rng_u64(r) % 3);
    *side = kind == 2;
    if (kind == 0) { /* beanie */
        float w = U(r, 0.28f, 0.38f), top = U(r, 0.15f, 0.3f), cuff = U(r, 0.1f, 0.18f);
        float yb = U(r, 0.7f, 0.85f);
        pt(s, 0.5f, top);
        curve(s, 0.5f - w, top, 0.5f - w, yb - cuff, 6);
        pt(s, 0.5f - w - 0.01f, yb);
        pt(s, 0.5f, yb);
        mirror_half(s);
        if (zt_rng_uniform(r) < 0.7f) seg(s, 0.5f - w, yb - cuff, 0.5f + w, yb - cuff);
    } else if (kind == 1) { /* crown and brim */
        float cw = U(r, 0.17f, 0.25f), bw = U(r, 0.34f, 0.47f), top = U(r, 0.2f, 0.35f);
        float yb = U(r, 0.55f, 0.68f), bt = U(r, 0.04f, 0.1f);
        pt(s, 0.5f, top);
        curve(s, 0.5f - cw, top, 0.5f - cw * 1.05f, yb - bt * 0.5f, 4);
        pt(s, 0.5f - bw, yb - U(r, 0.0f, 0.05f));
        curve(s, 0.5f - bw, yb + bt, 0.5f, yb + bt, 4);
        mirror_half(s);
        if (zt_rng_uniform(r) < 0.6f) seg(s, 0.5f - cw, yb - bt - 0.02f, 0.5f + cw, yb - bt - 0.02f);
    } else { /* cap from the side: dome, visor out front */
        float x0 = U(r, 0.1f, 0.18f), x1 = U(r, 0.62f, 0.7f), yb = U(r, 0.55f, 0.65f);
        float top = U(r, 0.2f, 0.32f), vx = U(r, 0.85f, 0.96f), vt = U(r, 0.03f, 0.07f);
        pt(s, x0, yb);
        curve(s, x0, top, (x0 + x1) * 0.5f, top, 5);
        curve(s, x1, top, x1, yb - vt, 5);
        pt(s, vx, yb + vt * 0.5f);
        pt(s, vx - 0.02f, yb + vt * 1.3f);
        pt(s, x1 - 0.03f, yb + vt * 0.8f);
        pt(s, x0 + 0.02f, yb + 0.02f);
        if (zt_rng_uniform(r) < 0.6f) seg(s, (x0 + x1) * 0.5f, top + 0.01f, (x0 + x1) * 0.52f, yb);
    }
}

/* a shoe from the side: sole, toe, vamp up to the tongue, the opening,
 * the heel counter; a boot's shaft */
static void shoe(struct shape *s, struct zt_rng *r)
{
    int boot = zt_rng_uniform(r) < 0.25f;
    float hx = U(r, 0.06f, 0.12f), tx = U(r, 0.88f, 0.96f), yb = U(r, 0.68f, 0.78f);
    float H = boot ? U(r, 0.55f, 0.7f) : U(r, 0.26f, 0.4f), sole = U(r, 0.03f, 0.07f);
    float cx0 = hx + U(r, 0.0f, 0.04f);                      /* back of the collar */
    float cx1 = boot ? hx + U(r, 0.22f, 0.3f) : U(r, 0.4f, 0.52f); /* the tongue */
    float ty = yb - H * (boot ? 1.0f : U(r, 0.8f, 0.95f));
    pt(s, hx, yb);
    pt(s, tx - 0.06f, yb + 0.005f);
    curve(s, tx + 0.02f, yb, tx, yb - U(r, 0.07f, 0.12f), 4);
    if (boot) {
        pt(s, cx1 + 0.04f, yb - H * 0.45f);
        pt(s, cx1, ty);
    } else {
        curve(s, (tx + cx1) * 0.5f, yb - H * 0.55f, cx1, ty, 5);
    }
    curve(s, (cx0 + cx1) * 0.5f, ty + H * (boot ? 0.02f : 0.15f), cx0, yb - H, 4);
    curve(s, hx - 0.03f, yb - H * 0.4f, hx, yb, 4);
    if (zt_rng_uniform(r) < 0.8f) seg(s, hx + 0.01f, yb - sole, tx - 0.03f, yb - sole);
    if (!boot && zt_rng_uniform(r) < 0.5f) /* laces across the vamp */
        for (int k = 0; k < 3; k++) {
            float x = cx1 + 0.04f + 0.06f * k, y = ty + 0.06f + H * 0.12f * k;
            seg(s, x - 0.03f, y, x + 0.03f, y - 0.02f);
        }
}

static const char *const names[] = {"t-shirt", "shirt", "longsleeve", "outwear", "pants",
                                    "shorts", "skirt", "dress", "hat", "shoes"};
#define NFAM ((int)(sizeof names / sizeof names[0]))

static int family(const char *cls)
{
    for (int k = 0; cls && k < NFAM; k++)
        if (!strcasecmp(cls, names[k])) return k; /* as zt_class_parse */
    return -1;
}

int zt_shape_known(const char *cls) { return family(cls) >= 0; }

/* a 1-px line on a 1ch image */
static void line_px(struct zt_image *im, float x0, float y0, float x1, float y1)
{
    int n = (int)ceilf(fmaxf(fabsf(x1 - x0), fabsf(y1 - y0))) + 1;
    for (int k = 0; k <= n; k++) {
        float t = (float)k / n;
        int x = (int)(x0 + t * (x1 - x0)), y = (int)(y0 + t * (y1 - y0));
        if (x >= 0 && y >= 0 && x < im->w && y < im->h) im->px[(size_t)y * im->w + x] = 0;
    }
}

int zt_shape_render(const char *cls, int side, uint64_t seed, struct zt_image *photo,
                    struct zt_image *mask, struct zt_image *edges)
{
    int f = family(cls), rc;
    if (f < 0 || side < 16 || side > 4096) {
        zt_seterr("shape: no garment family for class '%s' (or side %d not in 16..4096)",
                  cls ? cls : "(null)", side);
        return ZT_EINVAL;
    }
    struct zt_rng r;
    zt_rng_seed(&r, seed);
    struct shape s = {0};
    int sideview = 0;
    switch (f) {
    case 0: case 1: case 2: case 3: top(&s, f, &r); break;
    case 4: case 5: bottoms(&s, f == 5, &r); break;
    case 6: skirt(&s, &r); break;
    case 7: dress(&s, &r); break;
    case 8: hat(&s, &r, &sideview); break;
    default: shoe(&s, &r); sideview = 1; break;
    }
    if (sideview && zt_rng_uniform(&r) < 0.5f) { /* facing either way */
        for (int k = 0; k < s.n; k++) s.v[k][0] = 1 - s.v[k][0];
        for (int k = 0; k < s.nl; k++) s.l[k][0] = 1 - s.l[k][0], s.l[k][2] = 1 - s.l[k][2];
    }
    /* into the frame, centred, 0.9 of the side (a long sleeve reaches out) */
    float bx0 = 1e9f, by0 = 1e9f, bx1 = -1e9f, by1 = -1e9f;
    for (int k = 0; k < s.n; k++) {
        bx0 = fminf(bx0, s.v[k][0]), bx1 = fmaxf(bx1, s.v[k][0]);
        by0 = fminf(by0, s.v[k][1]), by1 = fmaxf(by1, s.v[k][1]);
    }
    float sc = 0.9f / fmaxf(1e-3f, fmaxf(bx1 - bx0, by1 - by0));
    float cx = (bx0 + bx1) * 0.5f, cy = (by0 + by1) * 0.5f;
    for (int k = 0; k < s.n; k++)
        for (int a = 0; a < 2; a++) s.v[k][a] = 0.5f + (s.v[k][a] - (a ? cy : cx)) * sc;
    for (int k = 0; k < s.nl; k++)
        for (int a = 0; a < 4; a++) s.l[k][a] = 0.5f + (s.l[k][a] - (a & 1 ? cy : cx)) * sc;
    struct zt_image p = {0}, m = {0}, e = {0};
    if ((rc = zt_image_new(&p, side, side, 3)) || (rc = zt_image_new(&m, side, side, 1)) ||
        (rc = zt_image_new(&e, side, side, 1)))
        goto fail;
    uint8_t col[3];
    for (int c = 0; c < 3; c++) col[c] = (uint8_t)(zt_rng_u64(&r) % 256);
    for (int y = 0; y < side; y++)
        for (int x = 0; x < side; x++) {
            size_t i = (size_t)y * side + x;
            int in = zt_poly_inside((const float(*)[2])s.v, s.n, (x + 0.5f) / side, (y + 0.5f) / side);
            m.px[i] = in ? 255 : 0;
            for (int c = 0; c < 3; c++) p.px[3 * i + c] = in ? col[c] : 255;
        }
    memset(e.px, 255, (size_t)side * side);
    for (int k = 0; k < s.nl; k++)
        line_px(&e, s.l[k][0] * side, s.l[k][1] * side, s.l[k][2] * side, s.l[k][3] * side);
    *photo = p, *mask = m, *edges = e;
    return ZT_OK;
fail:
    zt_image_free(&p);
    zt_image_free(&m);
    zt_image_free(&e);
    return rc;
}
