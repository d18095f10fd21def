// grabcut_shim.cpp: the extern "C" shim over cv::grabCut (see
// grabcut_shim.h). Nothing is thrown across the C API.
#include "grabcut_shim.h"

/* zt.h is C11-only (_Noreturn); the two things this file needs from it are
 * repeated here and must match src/util/zt.h. */
extern "C" void zt_seterr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
enum { ZT_OK = 0, ZT_EINVAL = -1, ZT_ENOMEM = -2 };

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <exception>
#include <mutex>
#include <new>

int zt_cv_grabcut(const uint8_t *rgb, int w, int h, int rx, int ry, int rw, int rh, int iters,
                  uint8_t *fg)
{
    if (!rgb || !fg || w < 4 || h < 4 || rw < 2 || rh < 2 || rx < 0 || ry < 0 || rx + rw > w ||
        ry + rh > h || iters < 1) {
        zt_seterr("grabcut: bad arguments");
        return ZT_EINVAL;
    }
    /* The callers run one image per worker thread already; OpenCV's own
     * pool would only oversubscribe the cores. */
    static std::once_flag single;
    try {
        std::call_once(single, [] { cv::setNumThreads(1); });
        cv::Mat img(h, w, CV_8UC3), mask, bgd, fgd;
        const cv::Mat src(h, w, CV_8UC3, const_cast<uint8_t *>(rgb));
        cv::cvtColor(src, img, cv::COLOR_RGB2BGR);
        /* GrabCut seeds its colour models with k-means++ from the thread's
         * generator: reseed it so a photo always gets the same mask,
         * whichever thread and whatever ran before. */
        cv::theRNG() = cv::RNG(0x5a7e);
        cv::grabCut(img, mask, cv::Rect(rx, ry, rw, rh), bgd, fgd, iters, cv::GC_INIT_WITH_RECT);
        for (int y = 0; y < h; y++) {
            const uint8_t *m = mask.ptr<uint8_t>(y);
            for (int x = 0; x < w; x++)
                fg[(size_t)y * w + x] = m[x] == cv::GC_FGD || m[x] == cv::GC_PR_FGD;
        }
        return ZT_OK;
    } catch (const std::bad_alloc &) {
        zt_seterr("grabcut: out of memory for %dx%d", w, h);
        return ZT_ENOMEM;
    } catch (const std::exception &e) {
        zt_seterr("grabcut: %s", e.what());
        return ZT_EINVAL;
    }
}
