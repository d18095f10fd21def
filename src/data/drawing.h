/* drawing.h: a shopper's drawing at any size -> the generator's planes at
 * the model's size. The drawing is split into lines and colour hints at
 * full resolution (img/hints.h rules), padded to a square on paper, and
 * reduced block by block: a block with any line pixel is line (so thin pen
 * strokes survive the reduction), a block with hinted pixels takes their
 * mean colour. Used by `ztyle generate`, search and the server. */
#ifndef ZT_DRAWING_H
#define ZT_DRAWING_H

#include "../img/image.h"

struct zt_planes {
    struct zt_image edges;     /* size x size x 1, 0 = line, 255 = paper */
    struct zt_image hint_rgb;  /* size x size x 3 */
    struct zt_image hint_mask; /* size x size x 1, 255 = hint */
};

/* The generator's drawing framed on its ink: the garment fills this share
 * of the side, about as in its training frames (a photo letterboxed to 143
 * px, a random 128 crop). Unframed, a small or off-centre doodle is a small
 * garment in a big frame, which the network never saw: it paints the
 * frame a grey-brown box around it. */
#define ZT_GEN_FRAME 0.8f

/* drawing: one flattened image (lines + colour marks on white), or lines
 * plus a separate hints layer (RGBA, alpha marks hints; hints may be NULL).
 * frame 0: the whole canvas, padded to a square and reduced; else split at
 * full resolution and framed on the ink with that fill (zt_planes_reframe).
 * On failure *out is untouched. */
int zt_drawing_planes(const struct zt_image *lines, const struct zt_image *hints, int size,
                      float frame, struct zt_planes *out);
/* Reduces full-resolution planes (any size, square or not) to size x size. */
int zt_planes_reduce(const struct zt_image *edges, const struct zt_image *hint_rgb,
                     const struct zt_image *hint_mask, int size, struct zt_planes *out);
/* The same, framed on the ink: the square centred on the bounding box of
 * the lines and hints, its side the box's longer side / fill (at least
 * size / 2 pixels, or the drawing's side when smaller), so the garment fills
 * the planes wherever and however small it was drawn. A blank drawing
 * is reduced as zt_planes_reduce does. fill in (0.05, 1]. */
int zt_planes_reframe(const struct zt_image *edges, const struct zt_image *hint_rgb,
                      const struct zt_image *hint_mask, int size, float fill,
                      struct zt_planes *out);
void zt_planes_deinit(struct zt_planes *p); /* NULL-safe */

/* How much of a drawing is line, and in how many strokes: the lines
 * (edges: 1 channel, < 128 = line) thinned to 1 pixel and framed on their
 * bounding box, scale-free (the box's longer side ZT_DENSITY_FILL of the
 * frame's, about as the search embedding frames a drawing), the frame cut
 * into a ZT_DENSITY_GRID square grid. density = the share of cells holding
 * a line: independent of where, how big and with what pen the drawing was
 * made; an outline doodle gives about 0.1, an edge map of a photo 0.1-0.3
 * (its inner texture); 0 for no lines. ends = the thinned lines' end
 * pixels (one neighbour): two per open stroke, none for a closed one; a
 * doodle of a few strokes has under 10, an edge map's broken fragments
 * tens. Search trusts the shape descriptor less on sparse drawings of few
 * strokes (catalog/search.h).
 * ZT_EINVAL for another channel count, ZT_ENOMEM; *out zeroed first. */
#define ZT_DENSITY_GRID 24
#define ZT_DENSITY_FILL 0.65f
struct zt_line_stats {
    float density;
    int ends;
};
int zt_drawing_line_stats(const struct zt_image *edges, struct zt_line_stats *out);

#endif
