/*
 * test_binary.c - binary cross-entropy (both clamp modes), BCE with logits
 * (weights, pos_weight) and KL divergence: PyTorch golden values, saturation and
 * stability, finite differences, thread-count independence and every error code.
 */
#include "losstest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ wrappers */

static lk_status bce_fwd(const lt_args *a, float *out)
{
    return lk_bce_f32(a->rows, a->x, a->y, a->w, (lk_bce_clamp)a->flag, a->red, out);
}
static lk_status bce_bwd(const lt_args *a, const float *go, float *g)
{
    return lk_bce_backward_f32(a->rows, a->x, a->y, a->w, (lk_bce_clamp)a->flag, a->red, go,
                               g);
}
static lk_status bcel_fwd(const lt_args *a, float *out)
{
    return lk_bce_logits_f32(a->rows, a->cols, a->x, a->y, a->w, a->pw, a->red, out);
}
static lk_status bcel_bwd(const lt_args *a, const float *go, float *g)
{
    return lk_bce_logits_backward_f32(a->rows, a->cols, a->x, a->y, a->w, a->pw, a->red, go,
                                      g);
}
static lk_status kl_fwd(const lt_args *a, float *out)
{
    return lk_kl_div_f32(a->rows, a->cols, a->x, a->y, a->flag, a->red, out);
}
static lk_status kl_bwd(const lt_args *a, const float *go, float *g)
{
    return lk_kl_div_backward_f32(a->rows, a->cols, a->x, a->y, a->flag, a->red, go, g);
}

/*
 * BCE and KL: double results rounded once (1 ulp).  BCE with logits: exp and log1p
 * in float, below 3e-7 relative per term; its gradient subtracts two such terms
 * for soft targets, hence the absolute part scaled by the array's largest value.
 */
#define RT 0x1p-23
static const lt_loss BCE = { "bce", bce_fwd, bce_bwd, false, RT, RT, 0.0 };
static const lt_loss BCEL = { "bce_logits", bcel_fwd, bcel_bwd, false, 4e-7, 4e-7, 4e-7 };
static const lt_loss KL = { "kl", kl_fwd, kl_bwd, true, RT, RT, 0.0 };

static void fill_bce(lkt_rng *r, size_t rows, size_t cols, float *x, float *y, float *w,
                     float *pw)
{
    size_t n = rows * cols;
    (void)pw;
    lkt_fill(r, x, n, 0.0f, 1.0f);
    lkt_fill(r, y, n, 0.0f, 1.0f);
    for (size_t i = 0; i < n; i += 3)
        y[i] = (float)(i % 2); /* hard targets too */
    if (w)
        lkt_fill(r, w, n, 0.1f, 2.0f);
}

static void fill_bcel(lkt_rng *r, size_t rows, size_t cols, float *x, float *y, float *w,
                      float *pw)
{
    size_t n = rows * cols;
    lkt_fill(r, x, n, -8.0f, 8.0f);
    lkt_fill(r, y, n, 0.0f, 1.0f);
    for (size_t i = 0; i < n; i += 2)
        y[i] = (float)((i / 2) % 2);
    if (w)
        lkt_fill(r, w, n, 0.1f, 2.0f);
    if (pw)
        lkt_fill(r, pw, cols, 0.25f, 4.0f);
}

/* x: log-probabilities (here any values <= 0), t: probabilities with some zeros. */
static void fill_kl(lkt_rng *r, size_t rows, size_t cols, float *x, float *y, float *w,
                    float *pw)
{
    size_t n = rows * cols;
    (void)w;
    (void)pw;
    lkt_fill(r, x, n, -6.0f, 0.0f);
    lkt_fill(r, y, n, 0.0f, 0.5f);
    for (size_t i = 0; i < n; i += 5)
        y[i] = 0.0f;
}

/* log_target: t holds log-probabilities. */
static void fill_kl_log(lkt_rng *r, size_t rows, size_t cols, float *x, float *y, float *w,
                        float *pw)
{
    size_t n = rows * cols;
    (void)w;
    (void)pw;
    lkt_fill(r, x, n, -6.0f, 0.0f);
    lkt_fill(r, y, n, -8.0f, 0.0f);
}

static const float dummy[1] = { 1.0f }; /* marks "w / pw used" in a prototype */

static lt_args args(size_t rows, size_t cols, const float *x, const float *y,
                    const float *w, const float *pw, int flag, lk_reduction red)
{
    lt_args a = { rows, cols, x, y, w, pw, 0.0f, flag, red };
    return a;
}

/* ------------------------------------------------------------ golden values */

START_TEST(golden_bce)
{
    ck_assert_uint_ge(lt_run_golden(&BCE), 24);
}
END_TEST

START_TEST(golden_bce_logits)
{
    ck_assert_uint_ge(lt_run_golden(&BCEL), 15);
}
END_TEST

START_TEST(golden_kl)
{
    ck_assert_uint_ge(lt_run_golden(&KL), 8);
}
END_TEST

/* ---------------------------------------------------------- saturation */

START_TEST(bce_default_clamp_is_pytorch)
{
    /* A zero-initialised clamp field means PyTorch's behaviour. */
    lk_bce_clamp zero;
    memset(&zero, 0, sizeof zero);
    ck_assert_int_eq(zero, LK_BCE_CLAMP_LOG);
}
END_TEST

/* p = 0 and p = 1 with agreeing and disagreeing targets, both clamp modes. */
START_TEST(bce_saturated)
{
    const float p[4] = { 0.0f, 1.0f, 0.0f, 1.0f }, y[4] = { 1.0f, 0.0f, 0.0f, 1.0f };
    float l[4], g[4], s;
    /* PyTorch: each log floored at -100. */
    lkt_assert_status(lk_bce_f32(4, p, y, NULL, LK_BCE_CLAMP_LOG, LK_REDUCTION_NONE, l), LK_OK);
    ck_assert(l[0] == 100.0f && l[1] == 100.0f && l[2] == 0.0f && l[3] == 0.0f);
    lkt_assert_status(lk_bce_f32(4, p, y, NULL, LK_BCE_CLAMP_LOG, LK_REDUCTION_MEAN, &s), LK_OK);
    ck_assert(s == 50.0f);
    lkt_assert_status(lk_bce_backward_f32(4, p, y, NULL, LK_BCE_CLAMP_LOG, LK_REDUCTION_NONE,
                                          NULL, g),
                      LK_OK);
    /* (p - y) / max(p (1 - p), 1e-12): -+1e12, and 0 where the target agrees. */
    ck_assert(g[0] == (float)-1e12 && g[1] == (float)1e12 && g[2] == 0.0f && g[3] == 0.0f);

    /* The seed: p clamped to [1e-7, 1 - 1e-7], in double. */
    lkt_assert_status(lk_bce_f32(4, p, y, NULL, LK_BCE_CLAMP_INPUT, LK_REDUCTION_NONE, l),
                      LK_OK);
    double eps = 1e-7;
    ck_assert(lkt_close(l[0], -log(eps), 0x1p-23, 0.0));
    ck_assert(lkt_close(l[1], -log1p(-(1.0 - eps)), 0x1p-23, 0.0));
    ck_assert(lkt_close(l[2], -log1p(-eps), 0x1p-23, 0.0));
    ck_assert(lkt_close(l[3], -log(1.0 - eps), 0x1p-23, 0.0));
    ck_assert(fabsf(l[0] - 16.1180957f) < 1e-5f);
    /* Outside the clamp the gradient is 0 (the clamp passes none). */
    lkt_assert_status(lk_bce_backward_f32(4, p, y, NULL, LK_BCE_CLAMP_INPUT, LK_REDUCTION_NONE,
                                          NULL, g),
                      LK_OK);
    for (int i = 0; i < 4; i++)
        ck_assert(g[i] == 0.0f);
    /* Just inside: the formula's value, finite and large. */
    const float pin[2] = { 1.0000001e-7f, 0.99999988f }, yin[2] = { 1.0f, 0.0f };
    lkt_assert_status(lk_bce_backward_f32(2, pin, yin, NULL, LK_BCE_CLAMP_INPUT,
                                          LK_REDUCTION_NONE, NULL, g),
                      LK_OK);
    ck_assert(lkt_close(g[0], -1.0 / (double)pin[0], 1e-6, 0.0));
    ck_assert(lkt_close(g[1], 1.0 / (1.0 - (double)pin[1]), 1e-6, 0.0));
}
END_TEST

/* BCE with logits at +-1000: losses of exactly 1000, finite gradients. */
START_TEST(bce_logits_extreme)
{
    const float x[6] = { 1000.0f, -1000.0f, 1000.0f, -1000.0f, 1000.0f, -1000.0f };
    const float y[6] = { 0.0f, 1.0f, 1.0f, 0.0f, 0.5f, 0.5f };
    float l[6], g[6];
    lkt_assert_status(lk_bce_logits_f32(1, 6, x, y, NULL, NULL, LK_REDUCTION_NONE, l), LK_OK);
    ck_assert(l[0] == 1000.0f && l[1] == 1000.0f);
    ck_assert(l[2] >= 0.0f && l[2] < 1e-30f && l[3] >= 0.0f && l[3] < 1e-30f);
    ck_assert(l[4] == 500.0f && l[5] == 500.0f);
    lkt_assert_status(lk_bce_logits_backward_f32(1, 6, x, y, NULL, NULL, LK_REDUCTION_NONE,
                                                 NULL, g),
                      LK_OK);
    ck_assert(g[0] == 1.0f && g[1] == -1.0f);
    ck_assert(fabsf(g[2]) < 1e-30f && fabsf(g[3]) < 1e-30f);
    ck_assert(g[4] == 0.5f && g[5] == -0.5f);
    for (int i = 0; i < 6; i++)
        ck_assert(isfinite(l[i]) && isfinite(g[i]));
    /* With pos_weight 3 on every column: the positive term triples. */
    const float pw[6] = { 3, 3, 3, 3, 3, 3 };
    lkt_assert_status(lk_bce_logits_f32(1, 6, x, y, NULL, pw, LK_REDUCTION_NONE, l), LK_OK);
    ck_assert(l[0] == 1000.0f && l[1] == 3000.0f && l[4] == 500.0f && l[5] == 1500.0f);
    lkt_assert_status(lk_bce_logits_backward_f32(1, 6, x, y, NULL, pw, LK_REDUCTION_NONE, NULL,
                                                 g),
                      LK_OK);
    ck_assert(g[0] == 1.0f && g[1] == -3.0f && g[4] == 0.5f && g[5] == -1.5f);
}
END_TEST

/* BCE with logits equals BCE on sigmoid(x) where the latter is accurate. */
START_TEST(bce_logits_matches_bce_of_sigmoid)
{
    enum { N = 64 };
    float x[N], y[N], p[N], a[N], b[N];
    lkt_rng r = { 21 };
    lkt_fill(&r, x, N, -5.0f, 5.0f);
    lkt_fill(&r, y, N, 0.0f, 1.0f);
    for (int i = 0; i < N; i++)
        p[i] = (float)(1.0 / (1.0 + exp(-(double)x[i])));
    lkt_assert_status(lk_bce_logits_f32(N, 1, x, y, NULL, NULL, LK_REDUCTION_NONE, a), LK_OK);
    lkt_assert_status(lk_bce_f32(N, p, y, NULL, LK_BCE_CLAMP_LOG, LK_REDUCTION_NONE, b), LK_OK);
    for (int i = 0; i < N; i++)
        /* p carries a float rounding: the losses agree to a few 1e-7 of the log terms. */
        ck_assert_msg(lkt_close(a[i], b[i], 1e-5, 1e-6), "%d: %.9g vs %.9g", i, (double)a[i],
                      (double)b[i]);
}
END_TEST

/* pos_weight is per column: element (r, c) uses pw[c]. */
START_TEST(bce_logits_pos_weight_columns)
{
    enum { R = 5, C = 3 };
    float x[R * C], y[R * C], l[R * C], lc[R], xc[R], yc[R];
    const float pw[C] = { 0.5f, 2.0f, 7.0f };
    lkt_rng r = { 22 };
    lkt_fill(&r, x, R * C, -3.0f, 3.0f);
    lkt_fill(&r, y, R * C, 0.0f, 1.0f);
    lkt_assert_status(lk_bce_logits_f32(R, C, x, y, NULL, pw, LK_REDUCTION_NONE, l), LK_OK);
    for (int c = 0; c < C; c++) {
        for (int i = 0; i < R; i++) {
            xc[i] = x[i * C + c];
            yc[i] = y[i * C + c];
        }
        /* The column alone, as a R x 1 problem with its own pos_weight. */
        lkt_assert_status(lk_bce_logits_f32(R, 1, xc, yc, NULL, &pw[c], LK_REDUCTION_NONE, lc),
                          LK_OK);
        for (int i = 0; i < R; i++)
            ck_assert(l[i * C + c] == lc[i]);
    }
}
END_TEST

/* KL: batchmean = sum / rows, mean = sum / (rows * cols); rows == 0 gives NaN. */
START_TEST(kl_reductions)
{
    enum { R = 4, C = 6 };
    float x[R * C], t[R * C], sum, mean, bm, g[R * C], gs[R * C];
    lkt_rng r = { 23 };
    fill_kl(&r, R, C, x, t, NULL, NULL);
    for (int lt = 0; lt < 2; lt++) {
        lkt_assert_status(lk_kl_div_f32(R, C, x, t, lt, LK_REDUCTION_SUM, &sum), LK_OK);
        lkt_assert_status(lk_kl_div_f32(R, C, x, t, lt, LK_REDUCTION_MEAN, &mean), LK_OK);
        lkt_assert_status(lk_kl_div_f32(R, C, x, t, lt, LK_REDUCTION_BATCHMEAN, &bm), LK_OK);
        ck_assert(lkt_close(bm, (double)sum / R, 0x1p-22, 0.0));
        ck_assert(lkt_close(mean, (double)sum / (R * C), 0x1p-22, 0.0));
        lkt_assert_status(lk_kl_div_backward_f32(R, C, x, t, lt, LK_REDUCTION_BATCHMEAN, NULL, g),
                          LK_OK);
        lkt_assert_status(lk_kl_div_backward_f32(R, C, x, t, lt, LK_REDUCTION_SUM, NULL, gs),
                          LK_OK);
        for (int i = 0; i < R * C; i++)
            ck_assert(lkt_close(g[i], (double)gs[i] / R, 0x1p-22, 0.0));
        /* log_target 0: 0 log 0 = 0, the gradient there is -0. */
        if (lt == 0)
            ck_assert(t[0] == 0.0f && gs[0] == 0.0f);
    }
    /* rows == 0 */
    float out = 0.0f;
    lkt_assert_status(lk_kl_div_f32(0, C, NULL, NULL, 0, LK_REDUCTION_BATCHMEAN, &out), LK_OK);
    ck_assert(isnan(out));
    lkt_assert_status(lk_kl_div_f32(0, C, NULL, NULL, 0, LK_REDUCTION_MEAN, &out), LK_OK);
    ck_assert(isnan(out));
    lkt_assert_status(lk_kl_div_f32(0, C, NULL, NULL, 1, LK_REDUCTION_SUM, &out), LK_OK);
    ck_assert(out == 0.0f);
    lkt_assert_status(lk_kl_div_backward_f32(0, C, NULL, NULL, 0, LK_REDUCTION_BATCHMEAN, NULL,
                                             NULL),
                      LK_OK);
}
END_TEST

/* Empty inputs for BCE and BCE with logits. */
START_TEST(binary_empty_input)
{
    float out = 0.0f;
    lkt_assert_status(lk_bce_f32(0, NULL, NULL, NULL, LK_BCE_CLAMP_LOG, LK_REDUCTION_MEAN, &out),
                      LK_OK);
    ck_assert(isnan(out));
    lkt_assert_status(lk_bce_f32(0, NULL, NULL, NULL, LK_BCE_CLAMP_INPUT, LK_REDUCTION_SUM, &out),
                      LK_OK);
    ck_assert(out == 0.0f);
    lkt_assert_status(lk_bce_logits_f32(0, 4, NULL, NULL, NULL, NULL, LK_REDUCTION_MEAN, &out),
                      LK_OK);
    ck_assert(isnan(out));
    lkt_assert_status(lk_bce_logits_backward_f32(0, 4, NULL, NULL, NULL, NULL,
                                                 LK_REDUCTION_NONE, NULL, NULL),
                      LK_OK);
    lkt_assert_status(lk_bce_backward_f32(0, NULL, NULL, NULL, LK_BCE_CLAMP_LOG,
                                          LK_REDUCTION_MEAN, NULL, NULL),
                      LK_OK);
}
END_TEST

/* ------------------------------------------------------- finite differences */

START_TEST(fd_bce)
{
    enum { N = 120 };
    float p[N], y[N], w[N];
    lkt_rng r = { 31 };
    lkt_fill(&r, p, N, 0.1f, 0.9f);
    lkt_fill(&r, y, N, 0.0f, 1.0f);
    lkt_fill(&r, w, N, 0.2f, 2.0f);
    for (int clamp = 0; clamp < 2; clamp++) {
        for (int weighted = 0; weighted < 2; weighted++) {
            lt_args a = args(N, 1, p, y, weighted ? w : NULL, NULL, clamp, LK_REDUCTION_NONE);
            /*
             * h = 2^-12: truncation h^2 / 6 * |l'''| with |l'''| <= 2 w / 0.1^3
             * <= 4000 for p in [0.1, 0.9] and w <= 2: below 4e-5.
             */
            lt_check_fd(&BCE, &a, 0x1p-12, 4e-5, NULL);
        }
    }
}
END_TEST

START_TEST(fd_bce_logits)
{
    enum { R = 6, C = 7 };
    float x[R * C], y[R * C], w[R * C], pw[C];
    lkt_rng r = { 32 };
    fill_bcel(&r, R, C, x, y, w, pw);
    x[0] = 40.0f;
    x[1] = -40.0f;
    for (int k = 0; k < 4; k++) {
        lt_args a = args(R, C, x, y, (k & 1) ? w : NULL, (k & 2) ? pw : NULL, 0,
                         LK_REDUCTION_NONE);
        /* |l'''| <= w (1 + P) / (6 sqrt 3) < 1 here, h <= 2^-10 * 40: below 3e-4. */
        lt_check_fd(&BCEL, &a, 0x1p-10, 3e-4, NULL);
    }
}
END_TEST

START_TEST(fd_kl)
{
    enum { R = 5, C = 8 };
    float x[R * C], t[R * C];
    lkt_rng r = { 33 };
    fill_kl(&r, R, C, x, t, NULL, NULL);
    lt_args a = args(R, C, x, t, NULL, NULL, 0, LK_REDUCTION_NONE);
    lt_check_fd(&KL, &a, 0x1p-10, 0.0, NULL); /* linear in x: no truncation */
    fill_kl_log(&r, R, C, x, t, NULL, NULL);
    a.flag = 1;
    lt_check_fd(&KL, &a, 0x1p-10, 0.0, NULL);
}
END_TEST

/* ---------------------------------------------------- thread independence */

START_TEST(threads_bce)
{
    lt_args p = args(0, 1, NULL, NULL, dummy, NULL, LK_BCE_CLAMP_LOG, LK_REDUCTION_NONE);
    lt_check_threads(&BCE, &p, fill_bce, false);
    p.flag = LK_BCE_CLAMP_INPUT;
    p.w = NULL;
    lt_check_threads(&BCE, &p, fill_bce, false);
}
END_TEST

START_TEST(threads_bce_logits)
{
    lt_args p = args(0, 1, NULL, NULL, dummy, dummy, 0, LK_REDUCTION_NONE);
    lt_check_threads(&BCEL, &p, fill_bcel, true);
    p.w = p.pw = NULL;
    lt_check_threads(&BCEL, &p, fill_bcel, true);
}
END_TEST

START_TEST(threads_kl)
{
    lt_args p = args(0, 1, NULL, NULL, NULL, NULL, 0, LK_REDUCTION_NONE);
    lt_check_threads(&KL, &p, fill_kl, true);
    p.flag = 1;
    lt_check_threads(&KL, &p, fill_kl_log, true);
}
END_TEST

/* ------------------------------------------------------------------ errors */

START_TEST(errors_common)
{
    lt_args p = args(0, 1, NULL, NULL, dummy, NULL, LK_BCE_CLAMP_LOG, LK_REDUCTION_NONE);
    lt_check_common_errors(&BCE, &p, fill_bce, false);
    p.w = NULL;
    p.flag = LK_BCE_CLAMP_INPUT;
    lt_check_common_errors(&BCE, &p, fill_bce, false);
    p = args(0, 1, NULL, NULL, dummy, dummy, 0, LK_REDUCTION_NONE);
    lt_check_common_errors(&BCEL, &p, fill_bcel, true);
    p.w = p.pw = NULL;
    lt_check_common_errors(&BCEL, &p, fill_bcel, true);
    p = args(0, 1, NULL, NULL, NULL, NULL, 0, LK_REDUCTION_NONE);
    lt_check_common_errors(&KL, &p, fill_kl, true);
    p.flag = 1;
    lt_check_common_errors(&KL, &p, fill_kl_log, true);
}
END_TEST

/* p or y outside [0, 1] or NaN anywhere (here: last element) is LK_ERR_DOMAIN. */
START_TEST(errors_bce_domain)
{
    enum { N = 2051 }; /* several leaves, bad value in the last, partial one */
    static float p[N], y[N], out[N], grad[N];
    lkt_rng r = { 41 };
    fill_bce(&r, N, 1, p, y, NULL, NULL);
    const float bad[] = { -1e-30f, -1.0f, 1.0000001f, 2.0f, NAN, INFINITY, -INFINITY };
    for (int which = 0; which < 2; which++) {
        float *v = which ? y : p;
        for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
            float keep = v[N - 1];
            v[N - 1] = bad[k];
            for (int clamp = 0; clamp < 2; clamp++) {
                for (int red = 0; red < 3; red++) {
                    lt_args a = args(N, 1, p, y, NULL, NULL, clamp, (lk_reduction)red);
                    lt_expect_error(&BCE, &a, true, NULL, out, out, sizeof out, LK_ERR_DOMAIN);
                    lt_expect_error(&BCE, &a, false, NULL, grad, grad, sizeof grad,
                                    LK_ERR_DOMAIN);
                    /* In place over p: p itself must stay untouched. */
                    float *copy = malloc(sizeof p);
                    ck_assert_ptr_nonnull(copy);
                    memcpy(copy, p, sizeof p);
                    lk_status st = lk_bce_backward_f32(N, p, y, NULL, (lk_bce_clamp)clamp,
                                                       (lk_reduction)red, NULL, p);
                    ck_assert_int_eq(st, LK_ERR_DOMAIN);
                    ck_assert_int_eq(memcmp(copy, p, sizeof p), 0);
                    free(copy);
                }
            }
            v[N - 1] = keep;
        }
    }
    /* The bounds themselves are valid. */
    p[0] = 0.0f;
    p[1] = 1.0f;
    y[0] = 1.0f;
    y[1] = 0.0f;
    float s;
    lkt_assert_status(lk_bce_f32(N, p, y, NULL, LK_BCE_CLAMP_LOG, LK_REDUCTION_SUM, &s), LK_OK);
    ck_assert(isfinite(s));
}
END_TEST

START_TEST(errors_bce_clamp_option)
{
    float p[3] = { 0.5f, 0.25f, 0.75f }, y[3] = { 1, 0, 1 }, out[3], grad[3];
    const int bad[] = { 2, -1, 100 };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        for (int red = 0; red < 3; red++) {
            lt_args a = args(3, 1, p, y, NULL, NULL, bad[k], (lk_reduction)red);
            lt_expect_error(&BCE, &a, true, NULL, out, out, sizeof out, LK_ERR_OPTION);
            lt_expect_error(&BCE, &a, false, NULL, grad, grad, sizeof grad, LK_ERR_OPTION);
        }
    }
}
END_TEST

/* ------------------------------------------------------------------ suite */

static Suite *binary_suite(void)
{
    Suite *s = suite_create("binary");
    TCase *golden = tcase_create("golden");
    tcase_add_test(golden, golden_bce);
    tcase_add_test(golden, golden_bce_logits);
    tcase_add_test(golden, golden_kl);
    suite_add_tcase(s, golden);

    TCase *values = tcase_create("values");
    tcase_add_test(values, bce_default_clamp_is_pytorch);
    tcase_add_test(values, bce_saturated);
    tcase_add_test(values, bce_logits_extreme);
    tcase_add_test(values, bce_logits_matches_bce_of_sigmoid);
    tcase_add_test(values, bce_logits_pos_weight_columns);
    tcase_add_test(values, kl_reductions);
    tcase_add_test(values, binary_empty_input);
    suite_add_tcase(s, values);

    TCase *fd = tcase_create("finite_differences");
    tcase_add_test(fd, fd_bce);
    tcase_add_test(fd, fd_bce_logits);
    tcase_add_test(fd, fd_kl);
    suite_add_tcase(s, fd);

    TCase *threads = tcase_create("threads");
    tcase_set_timeout(threads, 60);
    tcase_add_test(threads, threads_bce);
    tcase_add_test(threads, threads_bce_logits);
    tcase_add_test(threads, threads_kl);
    suite_add_tcase(s, threads);

    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, errors_common);
    tcase_add_test(errors, errors_bce_domain);
    tcase_add_test(errors, errors_bce_clamp_option);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    return lkt_main(binary_suite());
}
