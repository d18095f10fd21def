/* color.c: channel conversion of images (gray/RGB/RGBA) and per-pixel colour
 * spaces: CIE Lab (D65, as skimage.color.rgb2lab), HSV, CIEDE2000 delta E. */
#include "image.h"
#include "../util/zt.h"

#include <math.h>
#include <string.h>

#define PI 3.14159265358979323846

static inline uint8_t gray_of(const uint8_t *p)
{
    return (uint8_t)((299 * p[0] + 587 * p[1] + 114 * p[2] + 500) / 1000);
}

/* Composites one channel value over white with alpha a. */
static inline uint8_t over_white(int v, int a)
{
    return (uint8_t)((v * a + 255 * (255 - a) + 127) / 255);
}

int zt_image_convert(const struct zt_image *src, int want_c, struct zt_image *out)
{
    if (want_c != 1 && want_c != 3 && want_c != 4) {
        zt_seterr("convert: bad channel count %d", want_c);
        return ZT_EINVAL;
    }
    if (want_c == src->c) return zt_image_clone(src, out);
    struct zt_image dst;
    int rc = zt_image_new(&dst, src->w, src->h, want_c);
    if (rc) return rc;
    size_t n = (size_t)src->w * src->h;
    const uint8_t *s = src->px;
    uint8_t *d = dst.px;
    int sc = src->c;
    for (size_t i = 0; i < n; i++, s += sc, d += want_c) {
        uint8_t rgb[3];
        if (sc == 1) rgb[0] = rgb[1] = rgb[2] = s[0];
        else if (sc == 3) memcpy(rgb, s, 3);
        else
            for (int ch = 0; ch < 3; ch++) rgb[ch] = over_white(s[ch], s[3]);
        if (want_c == 1) d[0] = sc == 1 ? s[0] : gray_of(rgb);
        else {
            memcpy(d, rgb, 3);
            if (want_c == 4) d[3] = 255;
        }
    }
    *out = dst;
    return ZT_OK;
}

/* --- CIE Lab (sRGB, D65, 2 degree observer; constants as in skimage) --- */

static const double xyz_from_rgb[3][3] = {
    {0.412453, 0.357580, 0.180423},
    {0.212671, 0.715160, 0.072169},
    {0.019334, 0.119193, 0.950227},
};
/* inverse of xyz_from_rgb, as numpy.linalg.inv computes it */
static const double rgb_from_xyz[3][3] = {
    {3.2404813432005266, -1.5371515162713183, -0.4985363261688878},
    {-0.9692549499965682, 1.8759900014898907, 0.04155592655829284},
    {0.055646639135177166, -0.20404133836651123, 1.0573110696453443},
};
static const double white[3] = {0.95047, 1.0, 1.08883};

static double srgb_to_linear(double c)
{
    return c > 0.04045 ? pow((c + 0.055) / 1.055, 2.4) : c / 12.92;
}

static double linear_to_srgb(double c)
{
    return c > 0.0031308 ? 1.055 * pow(c, 1 / 2.4) - 0.055 : c * 12.92;
}

void zt_rgb_to_lab(const uint8_t rgb[3], float lab[3])
{
    double lin[3], f[3];
    for (int i = 0; i < 3; i++) lin[i] = srgb_to_linear(rgb[i] / 255.0);
    for (int i = 0; i < 3; i++) {
        double t = (xyz_from_rgb[i][0] * lin[0] + xyz_from_rgb[i][1] * lin[1] +
                    xyz_from_rgb[i][2] * lin[2]) / white[i];
        f[i] = t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116.0;
    }
    lab[0] = (float)(116.0 * f[1] - 16.0);
    lab[1] = (float)(500.0 * (f[0] - f[1]));
    lab[2] = (float)(200.0 * (f[1] - f[2]));
}

void zt_lab_to_rgb(const float lab[3], uint8_t rgb[3])
{
    double f[3], xyz[3];
    f[1] = (lab[0] + 16.0) / 116.0;
    f[0] = lab[1] / 500.0 + f[1];
    f[2] = f[1] - lab[2] / 200.0;
    if (f[2] < 0) f[2] = 0;
    for (int i = 0; i < 3; i++)
        xyz[i] = white[i] * (f[i] > 0.2068966 ? f[i] * f[i] * f[i] : (f[i] - 16.0 / 116.0) / 7.787);
    for (int i = 0; i < 3; i++) {
        double v = linear_to_srgb(rgb_from_xyz[i][0] * xyz[0] + rgb_from_xyz[i][1] * xyz[1] +
                                  rgb_from_xyz[i][2] * xyz[2]);
        v = ZT_CLAMP(v, 0.0, 1.0) * 255.0;
        rgb[i] = (uint8_t)(v + 0.5);
    }
}

/* --- HSV --- */

void zt_rgb_to_hsv(const uint8_t rgb[3], float hsv[3])
{
    float r = rgb[0] / 255.0f, g = rgb[1] / 255.0f, b = rgb[2] / 255.0f;
    float mx = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b)), d = mx - mn;
    float h = 0;
    if (d > 0) {
        if (mx == r) h = 60.0f * fmodf((g - b) / d, 6.0f);
        else if (mx == g) h = 60.0f * ((b - r) / d + 2.0f);
        else h = 60.0f * ((r - g) / d + 4.0f);
        if (h < 0) h += 360.0f;
        if (h >= 360.0f) h -= 360.0f;
    }
    hsv[0] = h;
    hsv[1] = mx > 0 ? d / mx : 0;
    hsv[2] = mx;
}

void zt_hsv_to_rgb(const float hsv[3], uint8_t rgb[3])
{
    float h = fmodf(hsv[0], 360.0f), s = ZT_CLAMP(hsv[1], 0.0f, 1.0f);
    float v = ZT_CLAMP(hsv[2], 0.0f, 1.0f);
    if (h < 0) h += 360.0f;
    float cc = v * s, hp = h / 60.0f, x = cc * (1.0f - fabsf(fmodf(hp, 2.0f) - 1.0f)), m = v - cc;
    float r, g, b;
    switch ((int)hp) {
    case 0: r = cc, g = x, b = 0; break;
    case 1: r = x, g = cc, b = 0; break;
    case 2: r = 0, g = cc, b = x; break;
    case 3: r = 0, g = x, b = cc; break;
    case 4: r = x, g = 0, b = cc; break;
    default: r = cc, g = 0, b = x; break;
    }
    rgb[0] = (uint8_t)((r + m) * 255.0f + 0.5f);
    rgb[1] = (uint8_t)((g + m) * 255.0f + 0.5f);
    rgb[2] = (uint8_t)((b + m) * 255.0f + 0.5f);
}

/* --- CIEDE2000 (Sharma, Wu, Dalal 2005) --- */

static double deg(double rad) { return rad * 180.0 / PI; }
static double rad(double d) { return d * PI / 180.0; }

float zt_delta_e2000(const float lab1[3], const float lab2[3])
{
    double L1 = lab1[0], a1 = lab1[1], b1 = lab1[2];
    double L2 = lab2[0], a2 = lab2[1], b2 = lab2[2];
    double C1 = hypot(a1, b1), C2 = hypot(a2, b2), Cm = (C1 + C2) / 2;
    double Cm7 = pow(Cm, 7), G = 0.5 * (1 - sqrt(Cm7 / (Cm7 + pow(25.0, 7))));
    double a1p = (1 + G) * a1, a2p = (1 + G) * a2;
    double C1p = hypot(a1p, b1), C2p = hypot(a2p, b2);
    double h1p = (a1p == 0 && b1 == 0) ? 0 : deg(atan2(b1, a1p));
    double h2p = (a2p == 0 && b2 == 0) ? 0 : deg(atan2(b2, a2p));
    if (h1p < 0) h1p += 360;
    if (h2p < 0) h2p += 360;

    double dLp = L2 - L1, dCp = C2p - C1p, dhp = 0;
    if (C1p * C2p != 0) {
        dhp = h2p - h1p;
        if (dhp > 180) dhp -= 360;
        else if (dhp < -180) dhp += 360;
    }
    double dHp = 2 * sqrt(C1p * C2p) * sin(rad(dhp / 2));

    double Lpm = (L1 + L2) / 2, Cpm = (C1p + C2p) / 2, hpm = h1p + h2p;
    if (C1p * C2p != 0) {
        if (fabs(h1p - h2p) <= 180) hpm /= 2;
        else hpm = (h1p + h2p < 360) ? (hpm + 360) / 2 : (hpm - 360) / 2;
    }
    double T = 1 - 0.17 * cos(rad(hpm - 30)) + 0.24 * cos(rad(2 * hpm)) +
               0.32 * cos(rad(3 * hpm + 6)) - 0.20 * cos(rad(4 * hpm - 63));
    double dtheta = 30 * exp(-((hpm - 275) / 25) * ((hpm - 275) / 25));
    double Cpm7 = pow(Cpm, 7), Rc = 2 * sqrt(Cpm7 / (Cpm7 + pow(25.0, 7)));
    double l50 = (Lpm - 50) * (Lpm - 50);
    double Sl = 1 + 0.015 * l50 / sqrt(20 + l50), Sc = 1 + 0.045 * Cpm, Sh = 1 + 0.015 * Cpm * T;
    double Rt = -sin(rad(2 * dtheta)) * Rc;
    double tl = dLp / Sl, tc = dCp / Sc, th = dHp / Sh;
    return (float)sqrt(tl * tl + tc * tc + th * th + Rt * tc * th);
}
