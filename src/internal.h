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
 * segment run on OpenMP threads; the result is the same bits either way.  n == 0
 * returns `empty`.  Uses O(LK_SEGMENT) stack, no heap.
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
 * Statistics of one row x[0, n): max m and s = sum_j exp(x_j - m), computed over
 * LK_CHUNK-element chunks whose (max, sum) pairs combine by the fixed tree.
 * `parallel` splits the chunks over threads (same bits).  An all -inf row gives
 * m = -inf, s = 0; +inf or NaN give s = NaN.
 */
typedef struct lk_stats {
    float max;
    double sum;
} lk_stats;

LK_INTERNAL lk_stats lk__row_stats(const float *x, size_t n, bool parallel);

/* The offset subtracted from (x - max) to get logp: log(sum), as a float. */
static inline float lk__log_sum(lk_stats st)
{
    return (float)__builtin_log(st.sum);
}

/* sum_j a[j] * b[j] (b NULL: sum_j a[j]) in double over the fixed chunk tree. */
LK_INTERNAL double lk__row_dot(const float *a, const float *b, size_t n, bool parallel);

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
