/* grabcut_shim.h: a C call over OpenCV's GrabCut (cv::grabCut, Debian's
 * libopencv-imgproc-dev): colour mixture models of garment and background
 * and a min-cut between them, the segmentation that the border-colour
 * heuristic in mask.c cannot do on a textured floor or a garment as dark as
 * its background. C++ exceptions become ZT_E* codes with OpenCV's message in
 * zt_errmsg(). */
#ifndef ZT_GRABCUT_SHIM_H
#define ZT_GRABCUT_SHIM_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* rgb: w x h x 3. The rectangle (rx, ry, rw, rh) holds the garment; outside
 * it is background. iters rounds. fg (w x h) becomes 1 for garment, 0 for
 * background. */
int zt_cv_grabcut(const uint8_t *rgb, int w, int h, int rx, int ry, int rw, int rh, int iters,
                  uint8_t *fg);

#ifdef __cplusplus
}
#endif

#endif
