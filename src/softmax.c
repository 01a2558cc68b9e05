/*
 * softmax.c - row statistics (max and sum of exponentials), log_softmax, softmax
 * and their backward passes.
 *
 * Every function here works on `rows` rows of `cols` floats.  Rows are the items
 * of the shape-only partition (lk__tree with LK_ROW_LEAF rows per leaf); a row
 * longer than 2 * LK_CHUNK in a problem with few rows is split into LK_CHUNK
 * chunks handled by several threads, whose partial results combine by the fixed
 * tree, so the bits never depend on the thread count.
 */
#include "internal.h"

#include <math.h>

/* ------------------------------------------------------------ row statistics */

/* (max, sum of exp(x - max)) of one chunk x[lo, hi). */
static lk_acc chunk_stats(void *ctx, size_t lo, size_t hi)
{
    const float *x = ctx;
    float m = -INFINITY;
    for (size_t j = lo; j < hi; j++)
        m = x[j] > m ? x[j] : m;
    double s = 0.0;
    if (m == -INFINITY) {
        /* All entries are -inf (s = 0) or some are NaN (s = NaN). */
        for (size_t j = lo; j < hi; j++)
            if (x[j] != -INFINITY)
                s = NAN;
    } else {
        for (size_t j = lo; j < hi; j++)
            s += (double)expf(x[j] - m);
    }
    lk_acc r = { m, s };
    return r;
}

/* Rescales two (max, sum) pairs to the larger max and adds them. */
static lk_acc stats_combine(lk_acc l, lk_acc r)
{
    double m = l.a > r.a ? l.a : r.a;
    lk_acc out;
    out.a = m;
    if (m == -(double)INFINITY)
        out.b = l.b + r.b;
    else
        out.b = l.b * exp(l.a - m) + r.b * exp(r.a - m);
    return out;
}

lk_stats lk__row_stats(const float *x, size_t n, bool parallel)
{
    lk_acc empty = { -INFINITY, 0.0 };
    lk_acc a = lk__tree(n, LK_CHUNK, chunk_stats, (void *)(uintptr_t)x, stats_combine,
                        empty, parallel);
    lk_stats st = { (float)a.a, a.b };
    return st;
}

/* --------------------------------------------------------------- row sums */

typedef struct dot_ctx {
    const float *a;
    const float *b; /* NULL: sum of a */
} dot_ctx;

static lk_acc chunk_dot(void *ctx, size_t lo, size_t hi)
{
    const dot_ctx *c = ctx;
    double s = 0.0;
    if (c->b == NULL)
        for (size_t j = lo; j < hi; j++)
            s += (double)c->a[j];
    else
        for (size_t j = lo; j < hi; j++)
            s += (double)c->a[j] * (double)c->b[j];
    lk_acc r = { s, 0.0 };
    return r;
}

double lk__row_dot(const float *a, const float *b, size_t n, bool parallel)
{
    dot_ctx c = { a, b };
    return lk__tree_sum(n, LK_CHUNK, chunk_dot, &c, parallel).a;
}

/* ------------------------------------------------------------- forward */

typedef struct fwd_ctx {
    size_t cols;
    const float *x;
    size_t ldx;
    float *y;
    size_t ldy;
    bool split; /* split each row's chunks over threads */
    bool log;   /* log_softmax (true) or softmax */
} fwd_ctx;

static lk_acc fwd_rows(void *ctx, size_t lo, size_t hi)
{
    const fwd_ctx *c = ctx;
    const size_t n = c->cols;
    for (size_t r = lo; r < hi; r++) {
        const float *x = c->x + r * c->ldx;
        float *y = c->y + r * c->ldy;
        lk_stats st = lk__row_stats(x, n, c->split);
        const float m = st.max, ls = lk__log_sum(st);
        const double dm = st.max, dls = log(st.sum);
        long nchunk = (long)((n + LK_CHUNK - 1) / LK_CHUNK);
#pragma omp parallel for schedule(static) if (c->split)
        for (long k = 0; k < nchunk; k++) {
            size_t j0 = (size_t)k * LK_CHUNK;
            size_t j1 = j0 + LK_CHUNK < n ? j0 + LK_CHUNK : n;
            if (c->log)
                for (size_t j = j0; j < j1; j++)
                    y[j] = (x[j] - m) - ls;
            else /* in double: a float exponent would cost |logp| * 2^-24 relative */
                for (size_t j = j0; j < j1; j++)
                    y[j] = (float)exp(((double)x[j] - dm) - dls);
        }
    }
    lk_acc zero = { 0.0, 0.0 };
    return zero;
}

static lk_status softmax_fwd(size_t rows, size_t cols, const float *x, size_t ldx,
                             float *y, size_t ldy, bool log)
{
    lk_status st;
    if ((st = lk__check_matrix(rows, cols, ldx, x, sizeof *x)) != LK_OK ||
        (st = lk__check_matrix(rows, cols, ldy, y, sizeof *y)) != LK_OK ||
        (st = lk__check_out_matrix(rows, cols, y, ldy, x, ldx, true)) != LK_OK)
        return st;
    bool split = lk__split_rows(rows, cols);
    fwd_ctx c = { cols, x, ldx, y, ldy, split, log };
    (void)lk__tree_sum(rows, LK_ROW_LEAF, fwd_rows, &c,
                       !split && lk__worth_parallel(rows, cols));
    return LK_OK;
}

lk_status lk_log_softmax_f32(size_t rows, size_t cols, const float *x, size_t ldx,
                             float *y, size_t ldy)
{
    return softmax_fwd(rows, cols, x, ldx, y, ldy, true);
}

lk_status lk_softmax_f32(size_t rows, size_t cols, const float *x, size_t ldx,
                         float *y, size_t ldy)
{
    return softmax_fwd(rows, cols, x, ldx, y, ldy, false);
}

/* ------------------------------------------------------------- backward */

typedef struct bwd_ctx {
    size_t cols;
    const float *y;
    size_t ldy;
    const float *gy;
    size_t ldgy;
    float *gx;
    size_t ldgx;
    bool split;
    bool log;
} bwd_ctx;

static lk_acc bwd_rows(void *ctx, size_t lo, size_t hi)
{
    const bwd_ctx *c = ctx;
    const size_t n = c->cols;
    for (size_t r = lo; r < hi; r++) {
        const float *y = c->y + r * c->ldy;
        const float *gy = c->gy + r * c->ldgy;
        float *gx = c->gx + r * c->ldgx;
        /* log_softmax: sum(gy); softmax: sum(gy * y). */
        const float s = (float)lk__row_dot(gy, c->log ? NULL : y, n, c->split);
        long nchunk = (long)((n + LK_CHUNK - 1) / LK_CHUNK);
#pragma omp parallel for schedule(static) if (c->split)
        for (long k = 0; k < nchunk; k++) {
            size_t j0 = (size_t)k * LK_CHUNK;
            size_t j1 = j0 + LK_CHUNK < n ? j0 + LK_CHUNK : n;
            if (c->log)
                for (size_t j = j0; j < j1; j++)
                    gx[j] = gy[j] - expf(y[j]) * s;
            else
                for (size_t j = j0; j < j1; j++)
                    gx[j] = y[j] * (gy[j] - s);
        }
    }
    lk_acc zero = { 0.0, 0.0 };
    return zero;
}

static lk_status softmax_bwd(size_t rows, size_t cols, const float *y, size_t ldy,
                             const float *gy, size_t ldgy, float *gx, size_t ldgx,
                             bool log)
{
    lk_status st;
    if ((st = lk__check_matrix(rows, cols, ldy, y, sizeof *y)) != LK_OK ||
        (st = lk__check_matrix(rows, cols, ldgy, gy, sizeof *gy)) != LK_OK ||
        (st = lk__check_matrix(rows, cols, ldgx, gx, sizeof *gx)) != LK_OK ||
        (st = lk__check_out_matrix(rows, cols, gx, ldgx, gy, ldgy, true)) != LK_OK ||
        (st = lk__check_out_matrix(rows, cols, gx, ldgx, y, ldy, false)) != LK_OK)
        return st;
    bool split = lk__split_rows(rows, cols);
    bwd_ctx c = { cols, y, ldy, gy, ldgy, gx, ldgx, split, log };
    (void)lk__tree_sum(rows, LK_ROW_LEAF, bwd_rows, &c,
                       !split && lk__worth_parallel(rows, cols));
    return LK_OK;
}

lk_status lk_log_softmax_backward_f32(size_t rows, size_t cols, const float *y,
                                      size_t ldy, const float *gy, size_t ldgy,
                                      float *gx, size_t ldgx)
{
    return softmax_bwd(rows, cols, y, ldy, gy, ldgy, gx, ldgx, true);
}

lk_status lk_softmax_backward_f32(size_t rows, size_t cols, const float *y, size_t ldy,
                                  const float *gy, size_t ldgy, float *gx, size_t ldgx)
{
    return softmax_bwd(rows, cols, y, ldy, gy, ldgy, gx, ldgx, false);
}
