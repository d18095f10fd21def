/* ops_cases.h: the op test table shared by test_ops.c (gradcheck, cpu vs
 * ref) and other op tests: per case, its inputs and a builder. */
#ifndef ZT_TEST_OPS_CASES_H
#define ZT_TEST_OPS_CASES_H

#include <stdint.h>

struct zt_graph;
struct zt_tensor;

enum case_init {
    INIT_UNIF,     /* U(-1, 1) */
    INIT_AWAY,     /* +-[0.2, 1]: away from kinks at 0 */
    INIT_POS,      /* U(0.5, 1.5) */
    INIT_WIDE,     /* U(-3, 3) */
    INIT_MASK,     /* 0 with probability 0.3, else 1 */
    INIT_PROB,     /* U(0, 1) */
    INIT_ZERO,
    INIT_OFFSET0,  /* input 0 +- [0.2, 0.7]: no ties with it */
    INIT_DISTINCT, /* shuffled grid of step 0.05 */
};

#define CASE_MAX_IN 6

struct case_in {
    int ndim;
    int64_t shape[4];
    int init;  /* enum case_init */
    int grad;  /* requires grad */
};

struct opcase {
    const char *name;
    int nin;
    struct case_in in[CASE_MAX_IN];
    int flags; /* zt_graph_begin flags */
    struct zt_tensor *(*build)(struct zt_graph *g, struct zt_tensor **x);
};

extern const struct opcase zt_op_cases[];
extern const int zt_op_ncases;
/* vals[i] = malloc'd input i of case c (caller frees). */
void zt_case_inputs(const struct opcase *c, uint64_t seed, float **vals);
/* Begins a pass on g, makes the inputs from vals, builds; returns the output. */
struct zt_tensor *zt_case_run(const struct opcase *c, struct zt_graph *g, float **vals,
                              struct zt_tensor **xs);

#endif
