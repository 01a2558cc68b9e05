/*
 * test_ce_props.c - properties of the softmax and cross-entropy family that golden
 * values cannot show: identities, finite differences, stability at extreme logits,
 * rows longer than a chunk against a long double reference, bitwise independence of
 * the thread count, accuracy of the mean over 10^6 rows, and the error contract.
 */
#include "lktest.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static float *alloc_f(size_t n)
{
    float *p = calloc(n + 1, sizeof *p);
    ck_assert_ptr_nonnull(p);
    return p;
}

static int64_t *rand_targets(lkt_rng *r, size_t n, size_t cols)
{
    int64_t *t = calloc(n + 1, sizeof *t);
    ck_assert_ptr_nonnull(t);
    for (size_t i = 0; i < n; i++)
        t[i] = (int64_t)(lkt_next(r) % cols);
    return t;
}

/* Long double log-sum-exp of a row. */
static long double lse_ref(const float *x, size_t n)
{
    long double m = -INFINITY, s = 0;
    for (size_t j = 0; j < n; j++)
        m = x[j] > m ? x[j] : m;
    for (size_t j = 0; j < n; j++)
        s += expl((long double)x[j] - m);
    return m + logl(s);
}

/* ------------------------------------------------------------- identities */

START_TEST(softmax_rows_sum_to_one)
{
    lkt_rng r = { 1 };
    const size_t rows = 23, cols = 301;
    float *x = alloc_f(rows * cols), *p = alloc_f(rows * cols), *lp = alloc_f(rows * cols);
    lkt_fill(&r, x, rows * cols, -12, 12);
    lkt_assert_status(lk_softmax_f32(rows, cols, x, cols, p, cols), LK_OK);
    lkt_assert_status(lk_log_softmax_f32(rows, cols, x, cols, lp, cols), LK_OK);
    for (size_t i = 0; i < rows; i++) {
        double s = 0, se = 0;
        for (size_t j = 0; j < cols; j++) {
            s += p[i * cols + j];
            se += exp((double)lp[i * cols + j]);
        }
        ck_assert_msg(fabs(s - 1.0) < 1e-6, "softmax row %zu sums to %.9g", i, s);
        ck_assert_msg(fabs(se - 1.0) < 1e-6, "exp(log_softmax) row %zu sums to %.9g", i, se);
    }
    free(x);
    free(p);
    free(lp);
}
END_TEST

START_TEST(ce_gradient_rows_sum_to_zero)
{
    lkt_rng r = { 2 };
    const size_t rows = 19, cols = 57;
    float *x = alloc_f(rows * cols), *g = alloc_f(rows * cols);
    int64_t *t = rand_targets(&r, rows, cols);
    lkt_fill(&r, x, rows * cols, -6, 6);
    const float eps[2] = { 0.0f, 0.2f };
    for (int e = 0; e < 2; e++) {
        lk_ce_options o = lk_ce_options_default();
        o.label_smoothing = eps[e];
        lkt_assert_status(lk_cross_entropy_backward_f32(rows, cols, x, cols, t, &o, NULL, g,
                                                        cols),
                          LK_OK);
        for (size_t i = 0; i < rows; i++) {
            double s = 0, a = 0;
            for (size_t j = 0; j < cols; j++) {
                s += g[i * cols + j];
                a += fabs((double)g[i * cols + j]);
            }
            ck_assert_msg(fabs(s) <= 1e-6 * a, "eps %g row %zu: gradient sums to %.3g",
                          (double)eps[e], i, s);
            ck_assert(a > 0);
        }
    }
    free(x);
    free(g);
    free(t);
}
END_TEST

START_TEST(shift_invariance)
{
    lkt_rng r = { 3 };
    const size_t rows = 13, cols = 40;
    float *x = alloc_f(rows * cols), *xs = alloc_f(rows * cols);
    float *g = alloc_f(rows * cols), *gs = alloc_f(rows * cols);
    int64_t *t = rand_targets(&r, rows, cols);
    /* Logits on a 1/64 grid shifted by 256: every x + c and x - max is exact, so
     * the results must be bit-identical. */
    for (size_t i = 0; i < rows * cols; i++)
        x[i] = (float)((int)(lkt_next(&r) % 512) - 256) / 64.0f;
    for (size_t i = 0; i < rows * cols; i++)
        xs[i] = x[i] + (i / cols % 2 ? 256.0f : -128.0f);
    lk_ce_options o = lk_ce_options_default();
    o.reduction = LK_REDUCTION_NONE;
    o.label_smoothing = 0.1f;
    float *l = alloc_f(rows), *ls = alloc_f(rows);
    lkt_assert_status(lk_cross_entropy_f32(rows, cols, x, cols, t, &o, l), LK_OK);
    lkt_assert_status(lk_cross_entropy_f32(rows, cols, xs, cols, t, &o, ls), LK_OK);
    ck_assert(memcmp(l, ls, rows * sizeof *l) == 0);
    lkt_assert_status(lk_log_softmax_f32(rows, cols, x, cols, g, cols), LK_OK);
    lkt_assert_status(lk_log_softmax_f32(rows, cols, xs, cols, gs, cols), LK_OK);
    ck_assert(memcmp(g, gs, rows * cols * sizeof *g) == 0);
    /* A shift that is not exact changes the results only by rounding. */
    lkt_fill(&r, x, rows * cols, -5, 5);
    for (size_t i = 0; i < rows * cols; i++)
        xs[i] = x[i] + 37.3f;
    lkt_assert_status(lk_cross_entropy_f32(rows, cols, x, cols, t, &o, l), LK_OK);
    lkt_assert_status(lk_cross_entropy_f32(rows, cols, xs, cols, t, &o, ls), LK_OK);
    for (size_t i = 0; i < rows; i++)
        ck_assert_msg(lkt_close(ls[i], l[i], 0, 2e-5), "row %zu: %.9g vs %.9g", i,
                      (double)ls[i], (double)l[i]);
    free(x);
    free(xs);
    free(g);
    free(gs);
    free(t);
    free(l);
    free(ls);
}
END_TEST

/* ------------------------------------------------------ finite differences */

/*
 * Central differences of a float32 scalar function: with h = 2^-7 the truncation
 * error is O(h^2) and float rounding of the loss adds ~ulp(loss) / h; both stay
 * well below the tolerance used, while a wrong gradient is off by O(0.1).
 */
#define FD_H 0x1p-7f
#define FD_TOL 2e-3

typedef double (*scalar_fn)(const float *x, void *ctx);

static void check_fd(scalar_fn f, void *ctx, float *x, const float *grad, size_t n,
                     const char *what)
{
    for (size_t k = 0; k < n; k++) {
        float keep = x[k];
        x[k] = keep + FD_H;
        double up = f(x, ctx);
        x[k] = keep - FD_H;
        double down = f(x, ctx);
        x[k] = keep;
        double fd = (up - down) / (2.0 * (double)FD_H);
        ck_assert_msg(fabs(fd - grad[k]) <= FD_TOL * (1.0 + fabs(fd)),
                      "%s: d/dx[%zu] analytic %.7g, finite difference %.7g", what, k,
                      (double)grad[k], fd);
    }
}

typedef struct fd_ctx {
    int kind; /* 0 index CE, 1 prob CE, 2 NLL */
    size_t rows, cols;
    const int64_t *t;
    const float *tp;
    const lk_ce_options *o;
    const float *gout; /* NONE: weights of the per-row losses */
} fd_ctx;

static double ce_scalar(const float *x, void *vctx)
{
    const fd_ctx *c = vctx;
    float out[64];
    ck_assert(c->rows <= 64);
    lk_status st = c->kind == 0   ? lk_cross_entropy_f32(c->rows, c->cols, x, c->cols, c->t,
                                                       c->o, out)
                   : c->kind == 1 ? lk_cross_entropy_prob_f32(c->rows, c->cols, x, c->cols,
                                                              c->tp, c->cols, c->o, out)
                                  : lk_nll_f32(c->rows, c->cols, x, c->cols, c->t, c->o, out);
    ck_assert_int_eq(st, LK_OK);
    if (c->o->reduction != LK_REDUCTION_NONE)
        return out[0];
    double s = 0;
    for (size_t i = 0; i < c->rows; i++)
        s += (double)c->gout[i] * out[i];
    return s;
}

START_TEST(ce_finite_differences)
{
    lkt_rng r = { 4 };
    const size_t rows = 6, cols = 5, n = rows * cols;
    float *x = alloc_f(n), *g = alloc_f(n), *tp = alloc_f(n), w[5], gout[6];
    int64_t *t = rand_targets(&r, rows, cols);
    t[2] = -100;
    lkt_fill(&r, x, n, -2, 2);
    lkt_fill(&r, tp, n, 0, 1);
    lkt_fill(&r, w, cols, 0.3f, 2.0f);
    lkt_fill(&r, gout, rows, 0.5f, 1.5f);
    for (int kind = 0; kind < 3; kind++) {
        for (int red = 0; red < 3; red++) {
            for (int variant = 0; variant < 2; variant++) {
                lk_ce_options o = lk_ce_options_default();
                o.reduction = (lk_reduction)red;
                if (variant) {
                    o.class_weight = w;
                    o.label_smoothing = 0.15f;
                }
                fd_ctx c = { kind, rows, cols, t, tp, &o, gout };
                float g0 = 1.0f;
                const float *go = red == LK_REDUCTION_NONE ? gout : &g0;
                lk_status st =
                    kind == 0 ? lk_cross_entropy_backward_f32(rows, cols, x, cols, t, &o, go,
                                                              g, cols)
                    : kind == 1 ? lk_cross_entropy_prob_backward_f32(rows, cols, x, cols, tp,
                                                                     cols, &o, go, g, cols)
                                : lk_nll_backward_f32(rows, cols, x, cols, t, &o, go, g, cols);
                ck_assert_int_eq(st, LK_OK);
                char what[64];
                snprintf(what, sizeof what, "kind %d reduction %d variant %d", kind, red,
                         variant);
                check_fd(ce_scalar, &c, x, g, n, what);
            }
        }
    }
    free(x);
    free(g);
    free(tp);
    free(t);
}
END_TEST

typedef struct sm_ctx {
    size_t rows, cols;
    const float *gy;
    bool log;
} sm_ctx;

/* sum(gy * f(x)) for f = log_softmax or softmax. */
static double sm_scalar(const float *x, void *vctx)
{
    const sm_ctx *c = vctx;
    float y[256];
    ck_assert(c->rows * c->cols <= 256);
    if (c->log)
        ck_assert_int_eq(lk_log_softmax_f32(c->rows, c->cols, x, c->cols, y, c->cols), LK_OK);
    else
        ck_assert_int_eq(lk_softmax_f32(c->rows, c->cols, x, c->cols, y, c->cols), LK_OK);
    double s = 0;
    for (size_t i = 0; i < c->rows * c->cols; i++)
        s += (double)c->gy[i] * y[i];
    return s;
}

START_TEST(softmax_finite_differences)
{
    lkt_rng r = { 5 };
    const size_t rows = 4, cols = 7, n = rows * cols;
    float *x = alloc_f(n), *gy = alloc_f(n), *y = alloc_f(n), *gx = alloc_f(n);
    lkt_fill(&r, x, n, -3, 3);
    lkt_fill(&r, gy, n, -1, 1);
    for (int log = 0; log < 2; log++) {
        if (log) {
            lkt_assert_status(lk_log_softmax_f32(rows, cols, x, cols, y, cols), LK_OK);
            lkt_assert_status(lk_log_softmax_backward_f32(rows, cols, y, cols, gy, cols, gx,
                                                          cols),
                              LK_OK);
        } else {
            lkt_assert_status(lk_softmax_f32(rows, cols, x, cols, y, cols), LK_OK);
            lkt_assert_status(lk_softmax_backward_f32(rows, cols, y, cols, gy, cols, gx, cols),
                              LK_OK);
        }
        sm_ctx c = { rows, cols, gy, log != 0 };
        check_fd(sm_scalar, &c, x, gx, n, log ? "log_softmax" : "softmax");
    }
    free(x);
    free(gy);
    free(y);
    free(gx);
}
END_TEST

/* --------------------------------------------------------------- stability */

START_TEST(extreme_logits)
{
    const float big[3] = { 1000.0f, 0.0f, -1000.0f };
    const float huge[3] = { 1e30f, -1e30f, 1e30f };
    const float fmax[3] = { FLT_MAX, -FLT_MAX, 0.0f };
    const float masked[4] = { -INFINITY, 3.0f, -INFINITY, 1.0f };
    const float *rowsx[4] = { big, huge, fmax, masked };
    const size_t cols[4] = { 3, 3, 3, 4 };
    const int64_t tgt[4] = { 1, 0, 2, 3 };
    const double want[4] = { 1000.0, 0.6931471805599453, FLT_MAX, 2.1269280110429727 };
    for (int k = 0; k < 4; k++) {
        float loss, g[4], y[4];
        lkt_assert_status(lk_cross_entropy_fused_f32(1, cols[k], (float *)(uintptr_t)rowsx[k],
                                                     cols[k], &tgt[k], NULL, &loss, g, cols[k]),
                          LK_OK);
        ck_assert_msg(lkt_close(loss, want[k], 1e-6, 0), "case %d: loss %.9g want %.9g", k,
                      (double)loss, want[k]);
        lkt_assert_status(lk_log_softmax_f32(1, cols[k], rowsx[k], cols[k], y, cols[k]), LK_OK);
        for (size_t j = 0; j < cols[k]; j++) {
            ck_assert_msg(isfinite(g[j]), "case %d: gradient %zu not finite", k, j);
            ck_assert_msg(!isnan(y[j]), "case %d: log_softmax %zu is NaN", k, j);
        }
    }
    /* -inf masks give logp = -inf and p = 0 and leave the rest a distribution. */
    float p[4];
    lkt_assert_status(lk_softmax_f32(1, 4, masked, 4, p, 4), LK_OK);
    ck_assert(p[0] == 0.0f && p[2] == 0.0f);
    ck_assert(fabs((double)p[1] + (double)p[3] - 1.0) < 1e-7);
}
END_TEST

/* ----------------------------------------------- long rows vs long double */

START_TEST(long_rows_reference)
{
    lkt_rng r = { 6 };
    const size_t rows = 3, cols = 3 * 4096 + 777, n = rows * cols;
    float *x = alloc_f(n), *y = alloc_f(n), *g = alloc_f(n);
    int64_t *t = rand_targets(&r, rows, cols);
    lkt_fill(&r, x, n, -20, 20);
    lkt_assert_status(lk_log_softmax_f32(rows, cols, x, cols, y, cols), LK_OK);
    long double sum = 0;
    unsigned maxu = 0;
    for (size_t i = 0; i < rows; i++) {
        long double lse = lse_ref(x + i * cols, cols);
        for (size_t j = 0; j < cols; j++) {
            float want = (float)((long double)x[i * cols + j] - lse);
            unsigned u = lkt_ulps(y[i * cols + j], want);
            maxu = u > maxu ? u : maxu;
        }
        sum += lse - x[i * cols + (size_t)t[i]];
    }
    ck_assert_msg(maxu <= 4, "log_softmax of long rows: %u ulps", maxu);
    float loss;
    lkt_assert_status(lk_cross_entropy_fused_f32(rows, cols, x, cols, t, NULL, &loss, g, cols),
                      LK_OK);
    long double want = sum / rows;
    ck_assert_msg(fabsl(loss - want) <= 1e-6L * fabsl(want), "long rows: %.9g vs %.12Lg",
                  (double)loss, want);
    free(x);
    free(y);
    free(g);
    free(t);
}
END_TEST

/* ------------------------------------------------------- thread independence */

/* Every row-wise call at every thread count gives the same bits. */
static void all_calls_same_bits(size_t rows, size_t cols, bool dynamic)
{
    lkt_rng r = { 7 + rows * 31 + cols };
    const size_t n = rows * cols;
    float *x = alloc_f(n), *tp = alloc_f(n), *w = alloc_f(cols), *gout = alloc_f(rows);
    int64_t *t = rand_targets(&r, rows, cols);
    lkt_fill(&r, x, n, -8, 8);
    lkt_fill(&r, tp, n, 0, 1);
    lkt_fill(&r, w, cols, 0.5f, 2.0f);
    lkt_fill(&r, gout, rows, -1, 1);
    for (size_t i = 0; i < rows; i += 5)
        t[i] = -100;
    enum { NOUT = 12 };
    float *ref[NOUT], *cur[NOUT];
    size_t len[NOUT];
    for (int k = 0; k < NOUT; k++) {
        len[k] = k < 3 ? rows + 1 : n + 1;
        ref[k] = alloc_f(len[k]);
        cur[k] = alloc_f(len[k]);
    }
    for (int ti = 0; ti < LKT_NTHREADS; ti++) {
        lkt_set_threads(lkt_threads[ti]);
#ifdef _OPENMP
        omp_set_dynamic(dynamic);
#else
        (void)dynamic;
#endif
        float **o = ti == 0 ? ref : cur;
        lk_ce_options mean = lk_ce_options_default(), none = mean;
        mean.class_weight = w;
        mean.label_smoothing = 0.1f;
        none.reduction = LK_REDUCTION_NONE;
        lkt_assert_status(lk_cross_entropy_f32(rows, cols, x, cols, t, &mean, o[0]), LK_OK);
        lkt_assert_status(lk_cross_entropy_f32(rows, cols, x, cols, t, &none, o[1]), LK_OK);
        lkt_assert_status(lk_cross_entropy_prob_f32(rows, cols, x, cols, tp, cols, &mean,
                                                    o[2]),
                          LK_OK);
        lkt_assert_status(lk_cross_entropy_backward_f32(rows, cols, x, cols, t, &none, gout,
                                                        o[3], cols),
                          LK_OK);
        lkt_assert_status(lk_cross_entropy_fused_f32(rows, cols, x, cols, t, &mean, o[0] + rows,
                                                     o[4], cols),
                          LK_OK);
        memcpy(o[5], x, n * sizeof *x);
        lkt_assert_status(lk_cross_entropy_fused_f32(rows, cols, o[5], cols, t, &mean,
                                                     o[1] + rows, o[5], cols),
                          LK_OK);
        lkt_assert_status(lk_cross_entropy_prob_fused_f32(rows, cols, x, cols, tp, cols, &mean,
                                                          o[2] + rows, o[6], cols),
                          LK_OK);
        lkt_assert_status(lk_nll_backward_f32(rows, cols, x, cols, t, &mean, NULL, o[7], cols),
                          LK_OK);
        lkt_assert_status(lk_log_softmax_f32(rows, cols, x, cols, o[8], cols), LK_OK);
        lkt_assert_status(lk_softmax_f32(rows, cols, x, cols, o[9], cols), LK_OK);
        lkt_assert_status(lk_log_softmax_backward_f32(rows, cols, o[8], cols, tp, cols, o[10],
                                                      cols),
                          LK_OK);
        lkt_assert_status(lk_softmax_backward_f32(rows, cols, o[9], cols, tp, cols, o[11], cols),
                          LK_OK);
        if (ti > 0)
            for (int k = 0; k < NOUT; k++)
                ck_assert_msg(memcmp(ref[k], cur[k], len[k] * sizeof(float)) == 0,
                              "%zu x %zu output %d differs at %d threads (dynamic %d)", rows,
                              cols, k, lkt_threads[ti], (int)dynamic);
    }
    for (int k = 0; k < NOUT; k++) {
        free(ref[k]);
        free(cur[k]);
    }
    free(x);
    free(tp);
    free(w);
    free(gout);
    free(t);
}

START_TEST(thread_independence)
{
    /* Fewer rows than threads, not a multiple of the leaf, many leaves, more
     * leaves than a segment, and long rows that are split across threads. */
    const size_t shapes[][2] = { { 1, 7 },    { 2, 33 },   { 5, 1000 }, { 17, 64 },
                                 { 100, 31 }, { 1027, 9 }, { 4099, 3 }, { 3, 20000 },
                                 { 70, 9000 } };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        all_calls_same_bits(shapes[s][0], shapes[s][1], false);
        all_calls_same_bits(shapes[s][0], shapes[s][1], true);
    }
}
END_TEST

START_TEST(pairwise_sum_thread_independence)
{
    lkt_rng r = { 8 };
    const size_t sizes[] = { 0, 1, 63, 64, 65, 1000, 16385, 64 * 256 * 3 + 5, 1000003 };
    size_t nmax = 1000003;
    float *x = alloc_f(nmax);
    double *xd = calloc(nmax, sizeof *xd);
    ck_assert_ptr_nonnull(xd);
    lkt_fill(&r, x, nmax, -1, 1);
    for (size_t i = 0; i < nmax; i++)
        xd[i] = (double)x[i] * 1.000001;
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        double ref = 0, refd = 0, cur, curd;
        for (int ti = 0; ti < LKT_NTHREADS; ti++) {
            lkt_set_threads(lkt_threads[ti]);
            lkt_assert_status(lk_pairwise_sum_f32(sizes[s], x, &cur), LK_OK);
            lkt_assert_status(lk_pairwise_sum_f64(sizes[s], xd, &curd), LK_OK);
            if (ti == 0) {
                ref = cur;
                refd = curd;
            }
            ck_assert(memcmp(&ref, &cur, sizeof ref) == 0);
            ck_assert(memcmp(&refd, &curd, sizeof refd) == 0);
        }
        long double want = 0;
        for (size_t i = 0; i < sizes[s]; i++)
            want += x[i];
        ck_assert_msg(fabsl(ref - want) <= 1e-12L * (1 + fabsl(want)), "n %zu: %.17g vs %.17Lg",
                      sizes[s], ref, want);
    }
    free(x);
    free(xd);
}
END_TEST

/* ------------------------------------------------------------------ accuracy */

START_TEST(mean_over_million_rows)
{
    lkt_rng r = { 9 };
    const size_t rows = 1000000, cols = 10, n = rows * cols;
    float *x = alloc_f(n), *g = alloc_f(n);
    int64_t *t = rand_targets(&r, rows, cols);
    lkt_fill(&r, x, n, -6, 6);
    long double sum = 0;
    for (size_t i = 0; i < rows; i++)
        sum += lse_ref(x + i * cols, cols) - x[i * cols + (size_t)t[i]];
    long double want = sum / rows;
    float loss, loss_sum;
    lk_ce_options o = lk_ce_options_default();
    lkt_assert_status(lk_cross_entropy_f32(rows, cols, x, cols, t, &o, &loss), LK_OK);
    o.reduction = LK_REDUCTION_SUM;
    lkt_assert_status(lk_cross_entropy_f32(rows, cols, x, cols, t, &o, &loss_sum), LK_OK);
    long double rel = fabsl(loss - want) / fabsl(want);
    long double rel_sum = fabsl(loss_sum - sum) / fabsl(sum);
    fprintf(stderr, "accuracy: mean over %zu rows %.9g, long double %.12Lg, relative error "
                    "%.3Lg (sum: %.3Lg)\n", rows, (double)loss, want, rel, rel_sum);
    ck_assert_msg(rel <= 1e-6L, "mean relative error %Lg", rel);
    ck_assert_msg(rel_sum <= 1e-6L, "sum relative error %Lg", rel_sum);
    free(x);
    free(g);
    free(t);
}
END_TEST

/* ------------------------------------------------------------ error contract */

START_TEST(errors_leave_outputs_untouched)
{
    float x[12] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, g[12], loss[4];
    int64_t t[4] = { 0, 1, 2, 1 }, bad[4] = { 0, 1, 3, 1 };
    lk_ce_options o = lk_ce_options_default(), zero;
    memset(&zero, 0, sizeof zero);
    lk_ce_options smooth = o, red = o;
    smooth.label_smoothing = 1.5f;
    red.reduction = LK_REDUCTION_BATCHMEAN;
#define EXPECT(call, code)                                                           \
    do {                                                                             \
        lkt_guard_fill(g, sizeof g);                                                 \
        lkt_guard_fill(loss, sizeof loss);                                           \
        lkt_assert_status(call, code);                                               \
        ck_assert_msg(lkt_guard_intact(g, sizeof g) && lkt_guard_intact(loss, sizeof loss), \
                      "%s wrote an output", #call);                                  \
    } while (0)
    EXPECT(lk_cross_entropy_f32(4, 3, NULL, 3, t, NULL, loss), LK_ERR_NULL);
    EXPECT(lk_cross_entropy_f32(4, 3, x, 3, NULL, NULL, loss), LK_ERR_NULL);
    EXPECT(lk_cross_entropy_f32(4, 3, x, 3, t, NULL, NULL), LK_ERR_NULL);
    EXPECT(lk_cross_entropy_f32(4, 0, x, 3, t, NULL, loss), LK_ERR_SIZE);
    EXPECT(lk_cross_entropy_f32(SIZE_MAX / 2, 3, x, 3, t, NULL, loss), LK_ERR_SIZE);
    EXPECT(lk_cross_entropy_f32(4, 3, x, 2, t, NULL, loss), LK_ERR_STRIDE);
    EXPECT(lk_cross_entropy_f32(4, 3, x, 3, bad, NULL, loss), LK_ERR_TARGET);
    EXPECT(lk_cross_entropy_fused_f32(4, 3, x, 3, bad, NULL, loss, g, 3), LK_ERR_TARGET);
    EXPECT(lk_cross_entropy_f32(4, 3, x, 3, t, &smooth, loss), LK_ERR_OPTION);
    EXPECT(lk_cross_entropy_f32(4, 3, x, 3, t, &red, loss), LK_ERR_OPTION);
    EXPECT(lk_cross_entropy_f32(4, 3, x, 3, t, &zero, loss), LK_ERR_OPTIONS_INIT);
    EXPECT(lk_cross_entropy_backward_f32(4, 3, g, 3, t, NULL, NULL, g + 1, 3), LK_ERR_ALIAS);
    EXPECT(lk_cross_entropy_fused_f32(4, 3, g, 3, t, NULL, g + 2, g, 3), LK_ERR_ALIAS);
    EXPECT(lk_log_softmax_f32(4, 3, g, 3, g + 1, 3), LK_ERR_ALIAS);
    EXPECT(lk_log_softmax_f32(4, 3, x, 3, g, 2), LK_ERR_STRIDE);
    EXPECT(lk_softmax_backward_f32(4, 3, g, 3, x, 3, g, 3), LK_ERR_ALIAS);
    EXPECT(lk_nll_f32(4, 3, x, 3, bad, NULL, loss), LK_ERR_TARGET);
    EXPECT(lk_cross_entropy_prob_f32(4, 3, x, 3, x, 2, NULL, loss), LK_ERR_STRIDE);
#undef EXPECT
    /* The zero-initialised struct must not mean "ignore class 0": rejected above;
     * the defaults ignore -100 and not class 0. */
    ck_assert(lk_ce_options_default().ignore_index == -100);
    /* Zero rows are valid and write the empty results. */
    lkt_assert_status(lk_cross_entropy_f32(0, 3, NULL, 3, NULL, NULL, loss), LK_OK);
    ck_assert(isnan(loss[0]));
    /* NULL is accepted exactly where a pointer addresses nothing. */
    lk_ce_options none = lk_ce_options_default();
    none.reduction = LK_REDUCTION_NONE;
    lkt_assert_status(lk_cross_entropy_f32(0, 3, NULL, 3, NULL, &none, NULL), LK_OK);
    lkt_assert_status(lk_cross_entropy_fused_f32(0, 3, NULL, 3, NULL, &none, NULL, NULL, 3),
                      LK_OK);
    lkt_assert_status(lk_cross_entropy_fused_f32(0, 3, NULL, 3, NULL, NULL, NULL, NULL, 3),
                      LK_ERR_NULL);
    for (int s = 0; s <= 8; s++)
        ck_assert_ptr_nonnull(lk_strerror((lk_status)s));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("ce_props");
    TCase *id = tcase_create("identities");
    tcase_add_test(id, softmax_rows_sum_to_one);
    tcase_add_test(id, ce_gradient_rows_sum_to_zero);
    tcase_add_test(id, shift_invariance);
    tcase_add_test(id, ce_finite_differences);
    tcase_add_test(id, softmax_finite_differences);
    suite_add_tcase(s, id);
    TCase *st = tcase_create("stability");
    tcase_add_test(st, extreme_logits);
    tcase_add_test(st, long_rows_reference);
    suite_add_tcase(s, st);
    TCase *det = tcase_create("determinism");
    tcase_set_timeout(det, 300);
    tcase_add_test(det, thread_independence);
    tcase_add_test(det, pairwise_sum_thread_independence);
    suite_add_tcase(s, det);
    TCase *acc = tcase_create("accuracy");
    tcase_set_timeout(acc, 300);
    tcase_add_test(acc, mean_over_million_rows);
    suite_add_tcase(s, acc);
    TCase *err = tcase_create("errors");
    tcase_add_test(err, errors_leave_outputs_untouched);
    suite_add_tcase(s, err);
    return s;
}

int main(void)
{
    return lkt_main(suite());
}
