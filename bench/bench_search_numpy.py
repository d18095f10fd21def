#!/usr/bin/python3
# bench_search_numpy.py: numpy's single-query top-10 inner-product search
# (x @ q, argpartition, sort of the 10) on n x d float32, the baseline that
# bench/bench_search.c runs beside the index in the same run. Prints one
# line: "numpy n=N d=D median_ms M min_ms M reps R". Data values do not
# change the timing, so the vectors are random here.
# Usage: /usr/bin/python3 bench/bench_search_numpy.py N D REPS
import sys
import time

import numpy as np


def main():
    n, d, reps = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    rng = np.random.default_rng(1)
    x = rng.standard_normal((n, d), dtype=np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    qs = rng.standard_normal((reps + 3, d), dtype=np.float32)
    ts = []
    for r in range(reps + 3):
        q = qs[r]
        t = time.perf_counter()
        s = x @ q
        top = np.argpartition(-s, 10)[:10]
        top = top[np.argsort(-s[top], kind="stable")]
        ts.append(time.perf_counter() - t)
    ts = sorted(ts[3:])  # the first queries warm caches and threads
    print("numpy n=%d d=%d median_ms %.3f min_ms %.3f reps %d" % (n, d, 1e3 * ts[len(ts) // 2], 1e3 * ts[0], reps))


if __name__ == "__main__":
    main()
