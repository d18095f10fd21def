/* bench_masks.c: `make bench-masks`: the garment mask two ways on a
 * dataset split, the border-colour heuristic alone and GrabCut
 * (img/mask.h, grabcut_iters), at the embedding's 128-px frame (the photo
 * letterboxed, the mask computed on its content as data/pairs.c does).
 * Prints, per class and overall, how many masks zt_mask_usable accepts
 * each way, the mean IoU between the two, and the time per mask; writes a
 * sheet of the first K photos of each class (file names sorted): the
 * heuristic's mask above GrabCut's, outline in magenta, outside darkened, a
 * green/red bar for usable or not. "Usable" is not "right": look at the
 * sheet (docs/internals/search.md shows one).
 * Usage: bench_masks [-d DATASET] [-s train|validation] [-k 4] [-o SHEET] */
#include "../src/data/dataset.h"
#include "../src/img/image.h"
#include "../src/img/mask.h"
#include "../src/util/progress.h"
#include "../src/util/zt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { T = 128, TILE = 96, COLS = 10 };

/* The mask of photo's content in a T x T letterbox (0 outside the content). */
static int frame_mask(const struct zt_image *photo, int grabcut, struct zt_image *lb,
                      struct zt_image *m, double *sec)
{
    static const uint8_t white[3] = {255, 255, 255};
    struct zt_image ct = {0}, cm = {0};
    int sx, sy, sw, sh, rc;
    struct zt_mask_params mp;
    zt_mask_params_default(&mp);
    mp.grabcut_iters = grabcut ? ZT_MASK_GRABCUT_SHAPE : 0;
    if ((rc = zt_image_letterbox(photo, T, white, lb, &sx, &sy, &sw, &sh)) ||
        (rc = zt_image_crop(lb, sx, sy, sw, sh, &ct)))
        goto out;
    double t0 = zt_now();
    if ((rc = zt_mask_garment(&ct, &mp, &cm))) goto out;
    *sec += zt_now() - t0;
    if ((rc = zt_image_new(m, T, T, 1))) goto out;
    memset(m->px, 0, (size_t)T * T);
    zt_image_paste(m, &cm, sx, sy);
out:
    zt_image_free(&ct);
    zt_image_free(&cm);
    return rc;
}

/* One tile: the photo scaled to TILE, outside the mask darkened, its outline. */
static void tile(struct zt_image *sheet, int col, int row, const struct zt_image *lb,
                 const struct zt_image *m, int usable)
{
    struct zt_image p = {0}, q = {0};
    if (zt_image_resize(lb, TILE, TILE, &p) || zt_image_resize(m, TILE, TILE, &q)) goto out;
    for (int y = 0; y < TILE; y++)
        for (int x = 0; x < TILE; x++) {
            const uint8_t *s = p.px + ((size_t)y * TILE + x) * 3;
            uint8_t *o = sheet->px + ((size_t)(row * TILE + y) * sheet->w + col * TILE + x) * 3;
#define IN(xx, yy) ((xx) >= 0 && (yy) >= 0 && (xx) < TILE && (yy) < TILE && q.px[(yy) * TILE + (xx)] >= 128)
            int in = IN(x, y);
            int edge = in && (!IN(x - 1, y) || !IN(x + 1, y) || !IN(x, y - 1) || !IN(x, y + 1));
#undef IN
            for (int c = 0; c < 3; c++) o[c] = in ? s[c] : (uint8_t)(s[c] / 3);
            if (edge) o[0] = 255, o[1] = 0, o[2] = 255;
            if (y < 3) o[0] = usable ? 0 : 255, o[1] = usable ? 255 : 0, o[2] = 0;
        }
out:
    zt_image_free(&p);
    zt_image_free(&q);
}

/* Per class: photos, usable masks each way, summed IoU. */
struct tally {
    int n, ok[2];
    double iou;
};

static void print_row(const char *name, const struct tally *t)
{
    printf("%-11s %6d %10d %10d %8.3f\n", name, t->n, t->ok[0], t->ok[1], t->n ? t->iou / t->n : 0);
}

int main(int argc, char **argv)
{
    const char *data = zt_dataset_default(), *split = "validation", *out = "build/masks.png";
    int k = 4, opt;
    while ((opt = getopt(argc, argv, "d:s:k:o:")) != -1) {
        if (opt == 'd') data = optarg;
        else if (opt == 's') split = optarg;
        else if (opt == 'k') k = atoi(optarg);
        else if (opt == 'o') out = optarg;
        else {
            fprintf(stderr, "usage: bench_masks [-d DATASET] [-s SPLIT] [-k PER_CLASS] [-o SHEET]\n");
            return 2;
        }
    }
    if (k < 0 || k > 50) k = 4;
    int want = !strcmp(split, "train") ? ZT_SPLIT_TRAIN : ZT_SPLIT_VAL;
    struct zt_catmap map;
    struct zt_dataset ds = {0};
    if (zt_catmap_default(&map) || zt_dataset_open(data, &map, 0, &ds)) {
        fprintf(stderr, "bench_masks: %s: %s\n", data, zt_errmsg());
        return 1;
    }
    int nclass = 0; /* samples are sorted by (split, class, id) */
    for (int i = 0; i < ds.n; i++)
        nclass += ds.s[i].split == want && (i == 0 || ds.s[i - 1].split != want ||
                                            strcmp(ds.s[i].cls, ds.s[i - 1].cls));
    struct zt_image sheet = {0};
    int rows = 2 * ((nclass * k + COLS - 1) / COLS);
    if (k && nclass && zt_image_new(&sheet, COLS * TILE, rows * TILE, 3)) return 1;
    if (sheet.px) memset(sheet.px, 40, (size_t)sheet.w * sheet.h * 3);
    struct tally all = {0}, cls = {0};
    int shown = 0, in_class = 0;
    double sec[2] = {0};
    printf("%-11s %6s %10s %10s %8s\n", "class", "photos", "heuristic", "grabcut", "IoU");
    for (int i = 0; i < ds.n; i++) {
        const struct zt_sample *sp = &ds.s[i];
        if (sp->split != want) continue;
        struct zt_image im = {0}, lb[2] = {{0}}, m[2] = {{0}};
        if (!zt_image_load(sp->path, 3, NULL, &im)) {
            int fine = 1;
            for (int g = 0; g < 2 && fine; g++) fine = !frame_mask(&im, g, &lb[g], &m[g], &sec[g]);
            if (fine) {
                int u[2] = {zt_mask_usable(&m[0]), zt_mask_usable(&m[1])};
                double v = zt_mask_iou(&m[0], &m[1]);
                cls.n++, cls.iou += v, cls.ok[0] += u[0], cls.ok[1] += u[1];
                if (in_class < k && sheet.px) {
                    for (int g = 0; g < 2; g++)
                        tile(&sheet, shown % COLS, 2 * (shown / COLS) + g, &lb[g], &m[g], u[g]);
                    shown++;
                }
            }
            for (int g = 0; g < 2; g++) zt_image_free(&lb[g]), zt_image_free(&m[g]);
            zt_image_free(&im);
        }
        in_class++;
        if (i + 1 == ds.n || ds.s[i + 1].split != want || strcmp(ds.s[i + 1].cls, sp->cls)) {
            print_row(sp->cls, &cls);
            all.n += cls.n, all.ok[0] += cls.ok[0], all.ok[1] += cls.ok[1], all.iou += cls.iou;
            cls = (struct tally){0}, in_class = 0;
        }
    }
    zt_dataset_deinit(&ds);
    int n = all.n;
    print_row("all", &all);
    printf("usable masks: heuristic %.3f, grabcut %.3f; ms per mask: heuristic %.1f, grabcut %.1f "
           "(heuristic + GrabCut)\n",
           n ? (double)all.ok[0] / n : 0, n ? (double)all.ok[1] / n : 0, n ? 1e3 * sec[0] / n : 0,
           n ? 1e3 * sec[1] / n : 0);
    if (sheet.px) {
        if (zt_image_save(&sheet, out)) {
            fprintf(stderr, "bench_masks: %s: %s\n", out, zt_errmsg());
            return 1;
        }
        printf("sheet: %s (heuristic above GrabCut, %d per class)\n", out, k);
        zt_image_free(&sheet);
    }
    return 0;
}
