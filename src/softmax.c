/*
 * softmax.c - how the row-wise functions run: the tree and row helpers, the row
 * statistics (max and sum of exponentials), log_softmax, softmax and their backward
 * passes.  The inner loops are the kernels of rowkernels.c.
 *
 * Every function here works on `rows` rows of `cols` floats.  Rows are the items
 * of the shape-only partition (LK_ROW_LEAF rows per leaf, lk__run_rows); within a
 * row, sums are taken per LK_CHUNK chunk and combined by the fixed tree.  A row is
 * read from memory once: the max pass streams it in, the exp pass and the write
 * pass find it in cache (the exp pass prefetches the next row meanwhile).  Few long
 * rows run whole on threads, or with their chunks on threads (same arithmetic), so
 * the bits never depend on the thread count.
 */
#include "internal.h"

#include <math.h>
#ifdef _OPENMP
#include <omp.h>
#endif

/* ------------------------------------------------------------- tree helpers */

/* Sum of precomputed row results part[lo, hi), in order from 0 (lk__run_rows). */
static lk_acc sum_parts(void *ctx, size_t lo, size_t hi)
{
    const lk_acc *part = ctx;
    lk_acc s = { 0.0, 0.0 };
    for (size_t r = lo; r < hi; r++)
        s = lk__acc_add(s, part[r]);
    return s;
}

static int max_threads(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

lk_acc lk__run_rows(size_t rows, size_t cols, lk_leaf_fn fn, void *ctx, bool *chunks)
{
    lk_acc zero = { 0.0, 0.0 };
    *chunks = false;
    if (!lk__split_rows(rows, cols))
        return lk__tree(rows, LK_ROW_LEAF, fn, ctx, lk__acc_add, zero,
                              lk__worth_parallel(rows, cols));
    /* Whole rows per thread if that leaves threads idle at most 20% of the time. */
    size_t nt = (size_t)max_threads();
    if (nt > rows || (rows + nt - 1) / nt * nt * 4 > rows * 5) {
        *chunks = true;
        return lk__tree(rows, LK_ROW_LEAF, fn, ctx, lk__acc_add, zero, false);
    }
    lk_acc part[4 * LK_ROW_LEAF]; /* rows < 4 * LK_ROW_LEAF here */
    long nr = (long)rows;
#pragma omp parallel for schedule(static)
    for (long r = 0; r < nr; r++)
        part[r] = fn(ctx, (size_t)r, (size_t)r + 1);
    return lk__tree(rows, LK_ROW_LEAF, sum_parts, part, lk__acc_add, zero, false);
}

lk_acc lk__chunk_tree(size_t n, lk_leaf_fn fn, void *ctx, lk_combine_fn combine,
                      bool parallel)
{
    lk_acc empty = { 0.0, 0.0 };
    return lk__tree(n, LK_CHUNK, fn, ctx, combine, empty, parallel);
}

void lk__for_chunks(size_t n, lk_range_fn fn, void *ctx, bool parallel)
{
    if (!parallel) {
        fn(ctx, 0, n);
        return;
    }
    long nchunk = (long)((n + LK_CHUNK - 1) / LK_CHUNK);
#pragma omp parallel for schedule(static)
    for (long c = 0; c < nchunk; c++) {
        size_t lo = (size_t)c * LK_CHUNK;
        fn(ctx, lo, n - lo < LK_CHUNK ? n : lo + LK_CHUNK);
    }
}

/* ------------------------------------------------------------ row statistics */

typedef struct stats_ctx {
    const lk_rowk *k;
    const float *x;
    float ref;
    float *e;        /* where exp(x - ref) goes, or NULL */
    const float *pf; /* prefetched along, or NULL */
    bool exact;      /* exact exp arguments */
} stats_ctx;

static lk_acc chunk_max(void *ctx, size_t lo, size_t hi)
{
    const stats_ctx *c = ctx;
    lk_acc r = { (double)c->k->max(c->x + lo, hi - lo), 0.0 };
    return r;
}

static lk_acc max_combine(lk_acc l, lk_acc r)
{
    return r.a > l.a ? r : l;
}

static lk_acc chunk_expsum(void *ctx, size_t lo, size_t hi)
{
    const stats_ctx *c = ctx;
    lk_acc r = { c->k->expsum(c->x + lo, hi - lo, c->ref, c->e ? c->e + lo : NULL,
                              c->pf ? c->pf + lo : NULL, c->exact), 0.0 };
    return r;
}

float lk__row_max(const lk_rowk *k, const float *x, size_t n, bool parallel)
{
    if (n <= LK_CHUNK)
        return k->max(x, n);
    /* Chunk maxes by the tree in both cases, so that even the sign of a zero max
     * does not depend on `parallel`. */
    stats_ctx c = { k, x, 0.0f, NULL, NULL, false };
    return (float)lk__chunk_tree(n, chunk_max, &c, max_combine, parallel).a;
}

double lk__row_expsum(const lk_rowk *k, const float *x, size_t n, float ref, bool parallel,
                      float *e, const float *pf, bool exact)
{
    if (n <= LK_CHUNK)
        return k->expsum(x, n, ref, e, pf, exact);
    stats_ctx c = { k, x, ref, e, pf, exact };
    return lk__chunk_tree(n, chunk_expsum, &c, lk__acc_add, parallel).a;
}

lk_stats lk__row_stats(const float *x, size_t n, bool parallel)
{
    const lk_rowk *k = lk__rowk();
    lk_stats st;
    st.max = lk__row_max(k, x, n, parallel);
    st.sum = lk__row_expsum(k, x, n, lk__stats_ref(st.max), parallel, NULL, NULL, true);
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
    if (n == 0)
        return 0.0;
    dot_ctx c = { a, b };
    return lk__chunk_tree(n, chunk_dot, &c, lk__acc_add, parallel).a;
}

/* ------------------------------------------------------------- forward */

typedef struct fwd_ctx {
    const lk_rowk *k;
    size_t rows, cols;
    const float *x;
    size_t ldx;
    float *y;
    size_t ldy;
    bool split; /* each row's chunks on threads (set by lk__run_rows) */
    bool log;   /* log_softmax (true) or softmax */
    bool stream; /* y bypasses the cache (lk__stream_out) */
} fwd_ctx;

/* One row's write, over columns [lo, hi). */
typedef struct fwd_row {
    const fwd_ctx *c;
    const float *x;
    float *y;
    lk_stats st;
} fwd_row;

static void fwd_write(void *ctx, size_t lo, size_t hi)
{
    const fwd_row *w = ctx;
    const lk_rowk *k = w->c->k;
    if (w->c->log)
        k->logp(w->x + lo, w->y + lo, hi - lo, w->st.max, lk__log_sum(w->st), w->c->stream);
    else /* in double: a float exponent would cost |logp| * 2^-24 relative */
        k->prob(w->x + lo, w->y + lo, hi - lo, (double)w->st.max, log(w->st.sum));
}

/*
 * Rows [lo, hi) of x (rows x cols, ld ldx) -> y (ld ldy): per row the stats (one read
 * of the row from memory, the exp pass from cache while the next row is prefetched),
 * then y from the row in cache.  Rows of at most FWD_GROUP_COLS floats take the
 * stats of a group of LK_ROW_LEAF rows before their writes, so that the exp passes
 * and the logs of different rows overlap in the CPU (same arithmetic per row;
 * measured at 65536 x 10, 1 thread: log_softmax 19%, softmax 25% less time).
 */
#define FWD_GROUP_COLS 256

/* Rows [lo, hi) of at most FWD_GROUP_COLS (<= LK_CHUNK) columns, not split: the
 * kernels are called directly, as lk__row_max, lk__row_expsum and lk__for_chunks
 * would call them for a row of one chunk. */
static void fwd_rows_short(const fwd_ctx *c, size_t lo, size_t hi)
{
    const lk_rowk *k = c->k;
    const size_t n = c->cols;
    lk_stats st[LK_ROW_LEAF];
    for (size_t r0 = lo; r0 < hi; r0 += LK_ROW_LEAF) {
        const size_t m = hi - r0 < LK_ROW_LEAF ? hi - r0 : LK_ROW_LEAF;
        for (size_t i = 0; i < m; i++) {
            const size_t r = r0 + i;
            const float *x = c->x + r * c->ldx;
            st[i].max = k->max(x, n);
            st[i].sum = k->expsum(x, n, lk__stats_ref(st[i].max), NULL,
                                  r + 1 < c->rows ? x + c->ldx : NULL, true);
        }
        for (size_t i = 0; i < m; i++) {
            const size_t r = r0 + i;
            const float *x = c->x + r * c->ldx;
            float *y = c->y + r * c->ldy;
            if (c->log)
                k->logp(x, y, n, st[i].max, lk__log_sum(st[i]), c->stream);
            else
                k->prob(x, y, n, (double)st[i].max, log(st[i].sum));
        }
    }
}

static lk_acc fwd_rows(void *ctx, size_t lo, size_t hi)
{
    const fwd_ctx *c = ctx;
    lk_acc zero = { 0.0, 0.0 };
    if (c->cols <= FWD_GROUP_COLS && !c->split) {
        fwd_rows_short(c, lo, hi);
        return zero;
    }
    for (size_t r = lo; r < hi; r++) {
        fwd_row w = { c, c->x + r * c->ldx, c->y + r * c->ldy, { 0.0f, 0.0 } };
        const float *next = !c->split && r + 1 < c->rows ? w.x + c->ldx : NULL;
        w.st.max = lk__row_max(c->k, w.x, c->cols, c->split);
        w.st.sum = lk__row_expsum(c->k, w.x, c->cols, lk__stats_ref(w.st.max), c->split,
                                  NULL, next, true);
        lk__for_chunks(c->cols, fwd_write, &w, c->split);
    }
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
    fwd_ctx c = { lk__rowk(), rows, cols, x, ldx, y, ldy, false, log,
                  y != x && lk__stream_out(rows, cols) };
    (void)lk__run_rows(rows, cols, fwd_rows, &c, &c.split);
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

/* One row's gradient over columns [lo, hi), given s. */
typedef struct bwd_row {
    const bwd_ctx *c;
    const float *y, *gy;
    float *gx;
    float s;
} bwd_row;

static void bwd_write(void *ctx, size_t lo, size_t hi)
{
    const bwd_row *w = ctx;
    if (w->c->log)
        for (size_t j = lo; j < hi; j++)
            w->gx[j] = w->gy[j] - expf(w->y[j]) * w->s;
    else
        for (size_t j = lo; j < hi; j++)
            w->gx[j] = w->y[j] * (w->gy[j] - w->s);
}

/* Rows [lo, hi): s = sum(gy) (log) or sum(gy * y), then gx from y, gy and s. */
static lk_acc bwd_rows(void *ctx, size_t lo, size_t hi)
{
    const bwd_ctx *c = ctx;
    const size_t n = c->cols;
    for (size_t r = lo; r < hi; r++) {
        bwd_row w = { c, c->y + r * c->ldy, c->gy + r * c->ldgy, c->gx + r * c->ldgx, 0.0f };
        w.s = (float)lk__row_dot(w.gy, c->log ? NULL : w.y, n, c->split);
        lk__for_chunks(n, bwd_write, &w, c->split);
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
    bwd_ctx c = { cols, y, ldy, gy, ldgy, gx, ldgx, false, log };
    (void)lk__run_rows(rows, cols, bwd_rows, &c, &c.split);
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
