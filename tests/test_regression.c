/*
 * test_regression.c - MSE, L1, Huber and SmoothL1: PyTorch golden values, the
 * seed's house-price example, identities, finite differences, thread-count
 * independence, edge cases and every error code.
 */
#include "losstest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------ wrappers */

static lk_status mse_fwd(const lt_args *a, float *out)
{
    return lk_mse_f32(a->rows, a->x, a->y, a->red, out);
}
static lk_status mse_bwd(const lt_args *a, const float *go, float *g)
{
    return lk_mse_backward_f32(a->rows, a->x, a->y, a->red, go, g);
}
static lk_status l1_fwd(const lt_args *a, float *out)
{
    return lk_l1_f32(a->rows, a->x, a->y, a->red, out);
}
static lk_status l1_bwd(const lt_args *a, const float *go, float *g)
{
    return lk_l1_backward_f32(a->rows, a->x, a->y, a->red, go, g);
}
static lk_status huber_fwd(const lt_args *a, float *out)
{
    return lk_huber_f32(a->rows, a->x, a->y, a->param, a->red, out);
}
static lk_status huber_bwd(const lt_args *a, const float *go, float *g)
{
    return lk_huber_backward_f32(a->rows, a->x, a->y, a->param, a->red, go, g);
}
static lk_status sl1_fwd(const lt_args *a, float *out)
{
    return lk_smooth_l1_f32(a->rows, a->x, a->y, a->param, a->red, out);
}
static lk_status sl1_bwd(const lt_args *a, const float *go, float *g)
{
    return lk_smooth_l1_backward_f32(a->rows, a->x, a->y, a->param, a->red, go, g);
}

/* Losses and gradients are double results rounded once: within 1 ulp (2^-23). */
#define RT 0x1p-23
static const lt_loss MSE = { "mse", mse_fwd, mse_bwd, false, RT, RT, 0.0 };
static const lt_loss L1 = { "l1", l1_fwd, l1_bwd, false, RT, RT, 0.0 };
static const lt_loss HUBER = { "huber", huber_fwd, huber_bwd, false, RT, RT, 0.0 };
static const lt_loss SL1 = { "smooth_l1", sl1_fwd, sl1_bwd, false, RT, RT, 0.0 };

static void fill_reg(lkt_rng *r, size_t rows, size_t cols, float *x, float *y, float *w,
                     float *pw)
{
    (void)w;
    (void)pw;
    lkt_fill(r, x, rows * cols, -4.0f, 4.0f);
    lkt_fill(r, y, rows * cols, -4.0f, 4.0f);
}

static lt_args vec_args(size_t n, const float *x, const float *y, float param,
                        lk_reduction red)
{
    lt_args a = { n, 1, x, y, NULL, NULL, param, 0, red };
    return a;
}

/* ------------------------------------------------------------ golden values */

START_TEST(golden_mse)
{
    lt_run_golden(&MSE);
}
END_TEST

START_TEST(golden_l1)
{
    lt_run_golden(&L1);
}
END_TEST

START_TEST(golden_huber)
{
    ck_assert_uint_ge(lt_run_golden(&HUBER), 9);
}
END_TEST

START_TEST(golden_smooth_l1)
{
    ck_assert_uint_ge(lt_run_golden(&SL1), 12);
}
END_TEST

/* ------------------------------------------------------------- the seed */

/* The seed's house prices: predictions [200, 250, 300], targets [195, 260, 290]. */
START_TEST(house_prices_mse_is_75)
{
    const float pred[3] = { 200.0f, 250.0f, 300.0f }, target[3] = { 195.0f, 260.0f, 290.0f };
    float out, none[3], grad[3];
    lkt_assert_status(lk_mse_f32(3, pred, target, LK_REDUCTION_MEAN, &out), LK_OK);
    ck_assert(out == 75.0f);
    lkt_assert_status(lk_mse_f32(3, pred, target, LK_REDUCTION_SUM, &out), LK_OK);
    ck_assert(out == 225.0f);
    lkt_assert_status(lk_mse_f32(3, pred, target, LK_REDUCTION_NONE, none), LK_OK);
    ck_assert(none[0] == 25.0f && none[1] == 100.0f && none[2] == 100.0f);
    /* d mean / d pred = 2 (pred - target) / 3 */
    lkt_assert_status(lk_mse_backward_f32(3, pred, target, LK_REDUCTION_MEAN, NULL, grad),
                      LK_OK);
    ck_assert(grad[0] == (float)(10.0 / 3.0));
    ck_assert(grad[1] == (float)(-20.0 / 3.0));
    ck_assert(grad[2] == (float)(20.0 / 3.0));
}
END_TEST

/* ----------------------------------------------------------- identities */

/* SmoothL1(beta) == Huber(delta = beta) / beta, forward and gradient. */
START_TEST(smooth_l1_is_huber_over_beta)
{
    enum { N = 301 };
    float x[N], y[N], h[N], s[N], gh[N], gs[N];
    lkt_rng r = { 7 };
    lkt_fill(&r, x, N, -5.0f, 5.0f);
    lkt_fill(&r, y, N, -5.0f, 5.0f);
    x[0] = y[0] = 1.0f;               /* z = 0 */
    x[1] = 1.5f, y[1] = 0.5f;         /* z = 1 = beta below */
    const float betas[] = { 0.25f, 1.0f, 3.0f, 1000.0f };
    for (size_t b = 0; b < sizeof betas / sizeof *betas; b++) {
        float beta = betas[b];
        lkt_assert_status(lk_huber_f32(N, x, y, beta, LK_REDUCTION_NONE, h), LK_OK);
        lkt_assert_status(lk_smooth_l1_f32(N, x, y, beta, LK_REDUCTION_NONE, s), LK_OK);
        lkt_assert_status(lk_huber_backward_f32(N, x, y, beta, LK_REDUCTION_NONE, NULL, gh),
                          LK_OK);
        lkt_assert_status(lk_smooth_l1_backward_f32(N, x, y, beta, LK_REDUCTION_NONE, NULL, gs),
                          LK_OK);
        for (size_t i = 0; i < N; i++) {
            /* Both sides are one rounding of the same real number, then one division. */
            ck_assert_msg(lkt_close(s[i], (double)h[i] / beta, 0x1p-22, 0.0),
                          "beta %g, i %zu: smooth_l1 %.9g, huber / beta %.9g", (double)beta, i,
                          (double)s[i], (double)h[i] / beta);
            ck_assert_msg(lkt_close(gs[i], (double)gh[i] / beta, 0x1p-22, 0.0),
                          "beta %g, i %zu: grad smooth_l1 %.9g, huber / beta %.9g",
                          (double)beta, i, (double)gs[i], (double)gh[i] / beta);
        }
    }
}
END_TEST

/* beta = 0 is L1 exactly, gradient 0 at z = 0 (PyTorch 1.13 gives -1 there). */
START_TEST(smooth_l1_beta0_is_l1)
{
    enum { N = 50 };
    float x[N], y[N], a[N], b[N];
    lkt_rng r = { 8 };
    lkt_fill(&r, x, N, -3.0f, 3.0f);
    lkt_fill(&r, y, N, -3.0f, 3.0f);
    x[3] = y[3] = 0.5f;
    for (int red = 0; red < 3; red++) {
        size_t no = red == LK_REDUCTION_NONE ? N : 1;
        lkt_assert_status(lk_l1_f32(N, x, y, (lk_reduction)red, a), LK_OK);
        lkt_assert_status(lk_smooth_l1_f32(N, x, y, 0.0f, (lk_reduction)red, b), LK_OK);
        ck_assert_int_eq(memcmp(a, b, no * sizeof(float)), 0);
        lkt_assert_status(lk_l1_backward_f32(N, x, y, (lk_reduction)red, NULL, a), LK_OK);
        lkt_assert_status(lk_smooth_l1_backward_f32(N, x, y, 0.0f, (lk_reduction)red, NULL, b),
                          LK_OK);
        ck_assert_int_eq(memcmp(a, b, sizeof a), 0);
        ck_assert(b[3] == 0.0f);
    }
    /* -0.0 is beta == 0 too. */
    lkt_assert_status(lk_smooth_l1_f32(N, x, y, -0.0f, LK_REDUCTION_SUM, b), LK_OK);
    lkt_assert_status(lk_l1_f32(N, x, y, LK_REDUCTION_SUM, a), LK_OK);
    ck_assert(a[0] == b[0]);
}
END_TEST

/* Huber with an infinite delta is 0.5 z^2 everywhere; gradients at kinks and zero. */
START_TEST(huber_and_l1_special_points)
{
    const float x[4] = { 3.0f, -1.0f, 2.0f, 0.25f }, y[4] = { 1.0f, 1.0f, 2.0f, -0.25f };
    float l[4], g[4];
    lkt_assert_status(lk_huber_f32(4, x, y, INFINITY, LK_REDUCTION_NONE, l), LK_OK);
    ck_assert(l[0] == 2.0f && l[1] == 2.0f && l[2] == 0.0f && l[3] == 0.125f);
    lkt_assert_status(lk_huber_backward_f32(4, x, y, INFINITY, LK_REDUCTION_NONE, NULL, g),
                      LK_OK);
    ck_assert(g[0] == 2.0f && g[1] == -2.0f && g[2] == 0.0f && g[3] == 0.5f);
    /* delta = 0.5: z = 0.5 is on the kink, both pieces agree (0.125, gradient 0.5). */
    lkt_assert_status(lk_huber_f32(4, x, y, 0.5f, LK_REDUCTION_NONE, l), LK_OK);
    ck_assert(l[0] == 0.875f && l[1] == 0.875f && l[2] == 0.0f && l[3] == 0.125f);
    lkt_assert_status(lk_huber_backward_f32(4, x, y, 0.5f, LK_REDUCTION_NONE, NULL, g), LK_OK);
    ck_assert(g[0] == 0.5f && g[1] == -0.5f && g[2] == 0.0f && g[3] == 0.5f);
    lkt_assert_status(lk_l1_backward_f32(4, x, y, LK_REDUCTION_NONE, NULL, g), LK_OK);
    ck_assert(g[0] == 1.0f && g[1] == -1.0f && g[2] == 0.0f && g[3] == 1.0f);
}
END_TEST

/* NaN propagates through losses and gradients (L1's gradient at NaN is 0, as PyTorch). */
START_TEST(nan_propagates)
{
    const float x[3] = { 1.0f, NAN, 2.0f }, y[3] = { 0.5f, 0.0f, 1.0f };
    float l[3], g[3], s;
    lkt_assert_status(lk_mse_f32(3, x, y, LK_REDUCTION_NONE, l), LK_OK);
    ck_assert(!isnan(l[0]) && isnan(l[1]) && !isnan(l[2]));
    lkt_assert_status(lk_mse_f32(3, x, y, LK_REDUCTION_MEAN, &s), LK_OK);
    ck_assert(isnan(s));
    lkt_assert_status(lk_huber_backward_f32(3, x, y, 1.0f, LK_REDUCTION_NONE, NULL, g), LK_OK);
    ck_assert(isnan(g[1]) && g[0] == 0.5f);
    lkt_assert_status(lk_l1_backward_f32(3, x, y, LK_REDUCTION_NONE, NULL, g), LK_OK);
    ck_assert(g[1] == 0.0f);
    lkt_assert_status(lk_smooth_l1_f32(3, x, y, 1.0f, LK_REDUCTION_SUM, &s), LK_OK);
    ck_assert(isnan(s));
}
END_TEST

/* n == 0: MEAN is NaN, SUM is 0, NONE and the backward write nothing (NULL allowed). */
START_TEST(empty_input)
{
    const lt_loss *losses[4] = { &MSE, &L1, &HUBER, &SL1 };
    for (int k = 0; k < 4; k++) {
        float out = 1.0f;
        lt_args a = vec_args(0, NULL, NULL, 1.0f, LK_REDUCTION_MEAN);
        lkt_assert_status(losses[k]->fwd(&a, &out), LK_OK);
        ck_assert(isnan(out));
        a.red = LK_REDUCTION_SUM;
        lkt_assert_status(losses[k]->fwd(&a, &out), LK_OK);
        ck_assert(out == 0.0f && !signbit(out));
        a.red = LK_REDUCTION_NONE;
        lkt_assert_status(losses[k]->fwd(&a, NULL), LK_OK);
        for (int red = 0; red < 3; red++) {
            a.red = (lk_reduction)red;
            lkt_assert_status(losses[k]->bwd(&a, NULL, NULL), LK_OK);
        }
    }
}
END_TEST

/* grad_out NULL means 1; grad_out scales; MEAN divides by n. */
START_TEST(grad_out_scaling)
{
    enum { N = 37 };
    float x[N], y[N], g1[N], g2[N], gs[N], gm[N], gv[N];
    lkt_rng r = { 9 };
    lkt_fill(&r, x, N, -2.0f, 2.0f);
    lkt_fill(&r, y, N, -2.0f, 2.0f);
    const float one = 1.0f, three = 3.0f;
    float ones[N];
    for (int i = 0; i < N; i++)
        ones[i] = 1.0f;
    const lt_loss *losses[4] = { &MSE, &L1, &HUBER, &SL1 };
    for (int k = 0; k < 4; k++) {
        lt_args a = vec_args(N, x, y, 0.75f, LK_REDUCTION_SUM);
        lkt_assert_status(losses[k]->bwd(&a, NULL, g1), LK_OK);
        lkt_assert_status(losses[k]->bwd(&a, &one, g2), LK_OK);
        ck_assert_int_eq(memcmp(g1, g2, sizeof g1), 0);
        lkt_assert_status(losses[k]->bwd(&a, &three, gs), LK_OK);
        a.red = LK_REDUCTION_MEAN;
        lkt_assert_status(losses[k]->bwd(&a, &three, gm), LK_OK);
        a.red = LK_REDUCTION_NONE;
        lkt_assert_status(losses[k]->bwd(&a, ones, gv), LK_OK);
        ck_assert_int_eq(memcmp(g1, gv, sizeof g1), 0);
        for (int i = 0; i < N; i++) {
            ck_assert(lkt_close(gs[i], 3.0 * g1[i], 0x1p-23, 0.0));
            ck_assert(lkt_close(gm[i], 3.0 * g1[i] / N, 0x1p-22, 0.0));
        }
    }
}
END_TEST

/* ------------------------------------------------------- finite differences */

/* Skips elements within a step of a kink (z = 0, |z| = delta or beta). */
static bool near_kink(const lt_args *a, size_t i, double step)
{
    double z = (double)a->x[i] - (double)a->y[i], d = a->param;
    return fabs(z) <= step || fabs(fabs(z) - d) <= step;
}

static void fd_for(const lt_loss *L, float param)
{
    enum { N = 200 };
    float x[N], y[N];
    lkt_rng r = { 11 };
    lkt_fill(&r, x, N, -4.0f, 4.0f);
    lkt_fill(&r, y, N, -4.0f, 4.0f);
    x[0] = 3000.0f; /* a large error */
    lt_args a = vec_args(N, x, y, param, LK_REDUCTION_NONE);
    /* Piecewise polynomials of degree <= 2: central differences have no truncation. */
    lt_check_fd(L, &a, 0x1p-10, 0.0, near_kink);
}

START_TEST(fd_mse)
{
    fd_for(&MSE, 0.0f);
}
END_TEST

START_TEST(fd_l1)
{
    fd_for(&L1, 0.0f);
}
END_TEST

START_TEST(fd_huber)
{
    fd_for(&HUBER, 0.5f);
    fd_for(&HUBER, 1.0f);
    fd_for(&HUBER, 2.5f);
}
END_TEST

START_TEST(fd_smooth_l1)
{
    fd_for(&SL1, 0.0f);
    fd_for(&SL1, 0.5f);
    fd_for(&SL1, 3.0f);
}
END_TEST

/* ---------------------------------------------------- thread independence */

START_TEST(threads_mse)
{
    lt_args p = vec_args(0, NULL, NULL, 0.0f, LK_REDUCTION_NONE);
    lt_check_threads(&MSE, &p, fill_reg, false);
}
END_TEST

START_TEST(threads_l1)
{
    lt_args p = vec_args(0, NULL, NULL, 0.0f, LK_REDUCTION_NONE);
    lt_check_threads(&L1, &p, fill_reg, false);
}
END_TEST

START_TEST(threads_huber)
{
    lt_args p = vec_args(0, NULL, NULL, 1.5f, LK_REDUCTION_NONE);
    lt_check_threads(&HUBER, &p, fill_reg, false);
}
END_TEST

START_TEST(threads_smooth_l1)
{
    lt_args p = vec_args(0, NULL, NULL, 0.5f, LK_REDUCTION_NONE);
    lt_check_threads(&SL1, &p, fill_reg, false);
    p.param = 0.0f;
    lt_check_threads(&SL1, &p, fill_reg, false);
}
END_TEST

/* Large sums stay within 1e-6 of a long double reference at any thread count. */
START_TEST(large_sum_accuracy)
{
    enum { N = 1000003 };
    float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y);
    ck_assert(x && y);
    lkt_rng r = { 12 };
    lkt_fill(&r, x, N, -10.0f, 10.0f);
    lkt_fill(&r, y, N, -10.0f, 10.0f);
    long double ref = 0.0L;
    for (size_t i = 0; i < N; i++) {
        long double z = (long double)x[i] - (long double)y[i];
        ref += z * z;
    }
    for (int t = 0; t < LKT_NTHREADS; t++) {
        lkt_set_threads(lkt_threads[t]);
        float out;
        lkt_assert_status(lk_mse_f32(N, x, y, LK_REDUCTION_MEAN, &out), LK_OK);
        ck_assert_msg(lkt_close(out, (double)(ref / N), 1e-6, 0.0), "%.9g vs %.17g", (double)out,
                      (double)(ref / N));
    }
    lkt_set_threads(1);
    free(x);
    free(y);
}
END_TEST

/* ------------------------------------------------------------------ errors */

START_TEST(errors_common)
{
    lt_args p = vec_args(0, NULL, NULL, 1.0f, LK_REDUCTION_NONE);
    lt_check_common_errors(&MSE, &p, fill_reg, false);
    lt_check_common_errors(&L1, &p, fill_reg, false);
    lt_check_common_errors(&HUBER, &p, fill_reg, false);
    lt_check_common_errors(&SL1, &p, fill_reg, false);
    p.param = 0.0f;
    lt_check_common_errors(&SL1, &p, fill_reg, false);
}
END_TEST

/* Huber delta <= 0 or NaN, SmoothL1 beta < 0 or NaN: LK_ERR_OPTION, nothing written. */
START_TEST(errors_delta_beta)
{
    enum { N = 5 };
    float x[N] = { 1, 2, 3, 4, 5 }, y[N] = { 0, 0, 0, 0, 0 }, out[N], grad[N];
    const float bad_delta[] = { 0.0f, -0.0f, -1.0f, NAN, -INFINITY };
    const float bad_beta[] = { -1e-30f, -1.0f, NAN, -INFINITY };
    for (size_t k = 0; k < sizeof bad_delta / sizeof *bad_delta; k++) {
        lt_args a = vec_args(N, x, y, bad_delta[k], LK_REDUCTION_NONE);
        for (int red = 0; red < 3; red++) {
            a.red = (lk_reduction)red;
            lt_expect_error(&HUBER, &a, true, NULL, out, out, sizeof out, LK_ERR_OPTION);
            lt_expect_error(&HUBER, &a, false, NULL, grad, grad, sizeof grad, LK_ERR_OPTION);
        }
    }
    for (size_t k = 0; k < sizeof bad_beta / sizeof *bad_beta; k++) {
        lt_args a = vec_args(N, x, y, bad_beta[k], LK_REDUCTION_NONE);
        for (int red = 0; red < 3; red++) {
            a.red = (lk_reduction)red;
            lt_expect_error(&SL1, &a, true, NULL, out, out, sizeof out, LK_ERR_OPTION);
            lt_expect_error(&SL1, &a, false, NULL, grad, grad, sizeof grad, LK_ERR_OPTION);
        }
    }
}
END_TEST

/* ------------------------------------------------------------------ suite */

static Suite *regression_suite(void)
{
    Suite *s = suite_create("regression");
    TCase *golden = tcase_create("golden");
    tcase_add_test(golden, golden_mse);
    tcase_add_test(golden, golden_l1);
    tcase_add_test(golden, golden_huber);
    tcase_add_test(golden, golden_smooth_l1);
    suite_add_tcase(s, golden);

    TCase *values = tcase_create("values");
    tcase_add_test(values, house_prices_mse_is_75);
    tcase_add_test(values, smooth_l1_is_huber_over_beta);
    tcase_add_test(values, smooth_l1_beta0_is_l1);
    tcase_add_test(values, huber_and_l1_special_points);
    tcase_add_test(values, nan_propagates);
    tcase_add_test(values, empty_input);
    tcase_add_test(values, grad_out_scaling);
    suite_add_tcase(s, values);

    TCase *fd = tcase_create("finite_differences");
    tcase_add_test(fd, fd_mse);
    tcase_add_test(fd, fd_l1);
    tcase_add_test(fd, fd_huber);
    tcase_add_test(fd, fd_smooth_l1);
    suite_add_tcase(s, fd);

    TCase *threads = tcase_create("threads");
    tcase_set_timeout(threads, 60);
    tcase_add_test(threads, threads_mse);
    tcase_add_test(threads, threads_l1);
    tcase_add_test(threads, threads_huber);
    tcase_add_test(threads, threads_smooth_l1);
    tcase_add_test(threads, large_sum_accuracy);
    suite_add_tcase(s, threads);

    TCase *errors = tcase_create("errors");
    tcase_add_test(errors, errors_common);
    tcase_add_test(errors, errors_delta_beta);
    suite_add_tcase(s, errors);
    return s;
}

int main(void)
{
    return lkt_main(regression_suite());
}
