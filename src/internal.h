/*
 * internal.h - private helpers shared by the kernels: the shape-only parallel
 * partition with its deterministic reduction tree, the row statistics kernel,
 * and argument checks.  Nothing here is exported.
 */
#ifndef LOSSKIT_INTERNAL_H
#define LOSSKIT_INTERNAL_H

#include <config.h>

#define LK_BUILDING_LIBRARY 1
#include "losskit.h"

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LK_INTERNAL __attribute__((visibility("hidden")))

/* ---------------------------------------------------------------- partition */

/*
 * Items (rows, or elements for element-wise losses) are grouped into leaves of a
 * fixed number of items.  Each leaf is evaluated by one thread, items in order, and
 * returns a partial accumulator; partials are combined by a balanced binary tree
 * over the leaves (a range of k leaves splits into floor(k/2) and k - floor(k/2)).
 * Neither the leaves nor the tree depend on the thread count.
 */
#define LK_ROW_LEAF 16     /* rows per leaf for the row-wise (class-axis) kernels */
#define LK_ELEM_LEAF 1024  /* elements per leaf for element-wise losses */
#define LK_CHUNK 4096      /* elements per chunk when a long row is split */
#define LK_SEGMENT 256     /* leaves evaluated per parallel region (stack scratch) */

/* A partial result: two running sums (for losses: loss and weight). */
typedef struct lk_acc {
    double a;
    double b;
} lk_acc;

/* Evaluates items [lo, hi) in order; may write per-item outputs. */
typedef lk_acc (*lk_leaf_fn)(void *ctx, size_t lo, size_t hi);
/* Combines two partials, left then right. */
typedef lk_acc (*lk_combine_fn)(lk_acc left, lk_acc right);

LK_INTERNAL lk_acc lk__acc_add(lk_acc l, lk_acc r);

/*
 * Evaluates fn over [0, n) in leaves of `leaf` items and combines the partials with
 * `combine` over the fixed balanced tree.  When `parallel` is true the leaves of a
 * segment run on OpenMP threads; otherwise the tree is evaluated on this thread
 * without entering OpenMP (an inactive region costs about a microsecond, and it
 * would make the regions of split rows nested ones).  The result is the same bits
 * either way.  n == 0 returns `empty`.  Uses O(LK_SEGMENT) stack, no heap.
 */
LK_INTERNAL lk_acc lk__tree(size_t n, size_t leaf, lk_leaf_fn fn, void *ctx,
                            lk_combine_fn combine, lk_acc empty, bool parallel);

/* lk__tree with addition as the combine and (0, 0) for empty. */
LK_INTERNAL lk_acc lk__tree_sum(size_t n, size_t leaf, lk_leaf_fn fn, void *ctx,
                                bool parallel);

/* Whether a problem of this many float elements is worth an OpenMP region. */
#define LK_PARALLEL_MIN_ELEMS 16384
static inline bool lk__worth_parallel(size_t rows, size_t cols)
{
    return rows > 1 && rows * cols >= LK_PARALLEL_MIN_ELEMS;
}

/* -------------------------------------------------------------- row kernels */

/*
 * Per-column weights of a row for the weighted sums and the gradient:
 *   wt_k = (w ? w[k] : 1) * (t ? t'_k : 1),   t'_k = smooth ? t[k] * keep + add : t[k]
 * (w: class weights; t: the row's probability targets; keep = 1 - eps, add = eps / C).
 */
typedef struct lk_colw {
    const float *w;
    const float *t;
    bool smooth;
    float keep, add;
} lk_colw;

/* The smoothed target t' of one target value, in float as PyTorch computes it. */
static inline float lk__smoothed(const lk_colw *cw, float t)
{
    return cw->smooth ? t * cw->keep + cw->add : t;
}

/* The same weights from column j on. */
static inline lk_colw lk__colw_at(lk_colw cw, size_t j)
{
    if (cw.w)
        cw.w += j;
    if (cw.t)
        cw.t += j;
    return cw;
}

/*
 * Kernels over one stretch x[0, n) of a row (src/rowkernels.c).  ref is the row's
 * max (or 0 when the max is -inf), so x - ref <= 0 or NaN.  lk__rowk() returns the
 * portable, the AVX2+FMA or the AVX-512 set, chosen from the CPU: the same in every
 * build on one machine.  Callers fetch it once per call and pass it down.
 */
typedef struct lk_rowk {
    /* max of x; NaN entries are ignored (-inf when there is nothing else) */
    float (*max)(const float *x, size_t n);
    /* sum_j exp(x_j - ref) in double; writes exp(x_j - ref) to e[j] when e is not
     * NULL (e may be x); prefetches pf[0, n) when pf is not NULL.  exact: the
     * argument x_j - ref is taken without its float rounding (costs ~25% more;
     * log_softmax and softmax need it for their few-ULP results, the losses do not) */
    double (*expsum)(const float *x, size_t n, float ref, float *e, const float *pf,
                     bool exact);
    /* a = sum_k wt_k * (x_k - ref), b = sum_k wt_k, in double */
    lk_acc (*wsum)(const float *x, size_t n, float ref, lk_colw cw);
    /* y_k = (x_k - m) - ls (log_softmax; y may be x); stream: y is not wanted in
     * cache (non-temporal stores; for outputs far larger than the cache) */
    void (*logp)(const float *x, float *y, size_t n, float m, float ls, bool stream);
    /* y_k = exp((x_k - m) - ls) evaluated in double (softmax; y may be x) */
    void (*prob)(const float *x, float *y, size_t n, double m, double ls);
    /* g_k = c * g_k - b * wt_k when with_e (g holds exp(x - ref)), else 0 - b * wt_k;
     * b == 0 drops the wt term (the gradient of the cross-entropy family) */
    void (*grad)(float *g, size_t n, float c, float b, lk_colw cw, bool with_e);
} lk_rowk;

LK_INTERNAL const lk_rowk *lk__rowk(void);

/* Whether the AVX2+FMA kernels (row kernels, BCE with logits) run on this CPU: built
 * in (LK_HAVE_AVX2_KERNELS) and supported.  The same answer in every build. */
LK_INTERNAL bool lk__cpu_avx2(void);

/*
 * The AVX-512 exp sum is built with the AVX2 kernels by compilers whose AVX-512F
 * intrinsics are complete (GCC 8, clang 8 and later), and runs where the CPU has
 * AVX-512F (lk__rowk).  CPPFLAGS=-DLK_DISABLE_AVX512 leaves it out, so that the
 * AVX2 exp sum can be tested on an AVX-512 machine.
 */
#if defined(LK_HAVE_AVX2_KERNELS) && !defined(LK_DISABLE_AVX512)
#if defined(__clang__)
#if __clang_major__ >= 8
#define LK_HAVE_AVX512_KERNELS 1
#endif
#elif defined(__GNUC__) && __GNUC__ >= 8
#define LK_HAVE_AVX512_KERNELS 1
#endif
#endif

/*
 * Runs fn over rows [0, rows) of a rows x cols row-wise call and sums its results by
 * the fixed row tree (LK_ROW_LEAF rows per leaf; fn's result for [lo, hi) must be
 * the sum of its rows' results in order from 0, as every row function here is).
 * Rows are shared by the threads; few long rows (lk__split_rows) run whole on
 * threads when they divide well among them, else one after the other with their
 * chunks on threads: *chunks says which to fn (set before any call).  The results
 * are the same bits either way, whatever the thread count.
 */
LK_INTERNAL lk_acc lk__run_rows(size_t rows, size_t cols, lk_leaf_fn fn, void *ctx,
                                bool *chunks);

/*
 * Chunk helpers for one row of n floats.  lk__chunk_tree: fn over the LK_CHUNK
 * chunks combined by the fixed tree (lk__tree's arithmetic), on threads when
 * `parallel`, else on this thread without entering OpenMP (a nested region costs
 * microseconds per row).  lk__for_chunks: fn over the chunks, no result; serially it
 * is one call over [0, n).
 */
typedef void (*lk_range_fn)(void *ctx, size_t lo, size_t hi);
LK_INTERNAL lk_acc lk__chunk_tree(size_t n, lk_leaf_fn fn, void *ctx, lk_combine_fn combine,
                                  bool parallel);
LK_INTERNAL void lk__for_chunks(size_t n, lk_range_fn fn, void *ctx, bool parallel);

/*
 * Statistics of one row x[0, n): max m and s = sum_j exp(x_j - m).  m is found
 * first (exact, any order); s is summed in double per LK_CHUNK chunk (with exact exp
 * arguments) and the chunk sums combine by the fixed tree.  `parallel` splits the
 * chunks over threads (same bits).  An all -inf row gives m = -inf, s = 0; +inf or
 * NaN give s = NaN.
 */
typedef struct lk_stats {
    float max;
    double sum;
} lk_stats;

LK_INTERNAL lk_stats lk__row_stats(const float *x, size_t n, bool parallel);

/* The two steps of lk__row_stats with the kernels given: the max (exact, in any
 * order), then sum_j exp(x_j - ref), ref = lk__stats_ref(max), which also writes
 * exp(x_j - ref) to e[j] when e is not NULL (e may be x: the row is overwritten) and
 * prefetches pf[0, n) (the next row, or NULL) while it works. */
LK_INTERNAL float lk__row_max(const lk_rowk *k, const float *x, size_t n, bool parallel);
LK_INTERNAL double lk__row_expsum(const lk_rowk *k, const float *x, size_t n, float ref,
                                  bool parallel, float *e, const float *pf, bool exact);

/* The offset the exponentials are taken from: the max, or 0 when it is -inf. */
static inline float lk__stats_ref(float max)
{
    return max == -INFINITY ? 0.0f : max;
}

/* The offset subtracted from (x - max) to get logp: log(sum), as a float. */
static inline float lk__log_sum(lk_stats st)
{
    return (float)__builtin_log(st.sum);
}

/* sum_j a[j] * b[j] (b NULL: sum_j a[j]) in double over the fixed chunk tree. */
LK_INTERNAL double lk__row_dot(const float *a, const float *b, size_t n, bool parallel);

/*
 * Whether a rows x cols float output is written with non-temporal stores: when it is
 * several times the size of a last-level cache (32 MiB on the target), where keeping
 * it would only evict the input; the reads-for-ownership are then saved.
 */
#define LK_STREAM_MIN_BYTES ((size_t)128 << 20)
static inline bool lk__stream_out(size_t rows, size_t cols)
{
    return rows * cols >= LK_STREAM_MIN_BYTES / sizeof(float);
}

/* Whether a row of this length is split over threads when rows are too few. */
static inline bool lk__split_rows(size_t rows, size_t cols)
{
    return rows < 4 * LK_ROW_LEAF && cols >= 2 * LK_CHUNK;
}

/* ------------------------------------------------------------ argument checks */

/* Number of float elements spanned by a rows x cols matrix with leading dim ld. */
LK_INTERNAL size_t lk__span(size_t rows, size_t cols, size_t ld);

/*
 * Checks one matrix argument: non-NULL unless rows == 0 (empty), cols > 0 when
 * cols_required, ld >= cols, and the byte count of its span fits in size_t.
 */
LK_INTERNAL lk_status lk__check_matrix(size_t rows, size_t cols, size_t ld,
                                       const void *p, size_t elem_size);

/* Checks a vector of n elements of elem_size bytes (NULL allowed only if n == 0). */
LK_INTERNAL lk_status lk__check_vector(size_t n, const void *p, size_t elem_size);

/* Whether byte ranges [a, a + na) and [b, b + nb) overlap. */
LK_INTERNAL bool lk__overlap(const void *a, size_t na, const void *b, size_t nb);

/*
 * An output matrix (out, ldo) against an input matrix (in, ldi), same rows x cols:
 * LK_OK when disjoint, or when in place is allowed and out == in with ldo == ldi;
 * LK_ERR_ALIAS otherwise.
 */
LK_INTERNAL lk_status lk__check_out_matrix(size_t rows, size_t cols, const float *out,
                                           size_t ldo, const float *in, size_t ldi,
                                           bool in_place_ok);

/* Number of output floats for a reduction: n for NONE, 1 otherwise. */
static inline size_t lk__out_count(lk_reduction r, size_t n)
{
    return r == LK_REDUCTION_NONE ? n : 1;
}

/* Whether r is NONE, SUM or MEAN. */
static inline bool lk__basic_reduction(lk_reduction r)
{
    return r == LK_REDUCTION_NONE || r == LK_REDUCTION_SUM || r == LK_REDUCTION_MEAN;
}

#endif /* LOSSKIT_INTERNAL_H */
