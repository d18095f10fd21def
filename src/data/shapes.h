/* shapes.h: garments as a person draws them from memory, not from a
 * photo: a front view of a t-shirt, trousers or a skirt, a side view of a
 * shoe or a cap, in the proportions of a quick sketch, with the few
 * interior lines people add (a waistband, a fly, a placket, a zip, pleats,
 * a sole). Every shape is drawn from random parameters (sleeve length and
 * angle, flare, rise, brim), so a class is a family, not one template.
 *
 * The doodles traced from catalogue photos (doodle.h) show what the
 * camera saw: a folded sweater, a shoe from above. These teach the
 * category head the canonical silhouettes shoppers draw. Deterministic
 * for a seed. */
#ifndef ZT_SHAPES_H
#define ZT_SHAPES_H

#include <stdint.h>

#include "../img/image.h"

/* Is (x, y) inside the polygon v[0..n) (even-odd rule)? */
int zt_poly_inside(const float (*v)[2], int n, float x, float y);

/* Does a shape family exist for class name cls (a clothing-small class:
 * t-shirt, shirt, longsleeve, outwear, pants, shorts, skirt, dress, hat,
 * shoes)? */
int zt_shape_known(const char *cls);

/* One garment of class cls on a side x side frame: photo (RGB: the shape
 * in one random colour on white), mask (1ch, 255 = garment) and edges
 * (1ch, 0 = an interior line), as doodle.h takes them. Outputs are new
 * images; on failure they are untouched. ZT_EINVAL for an unknown class. */
int zt_shape_render(const char *cls, int side, uint64_t seed, struct zt_image *photo,
                    struct zt_image *mask, struct zt_image *edges);

#endif
