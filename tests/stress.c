/*
 * stress.c - slow numerical stress for losskit (`make stress`, not part of
 * `make check`).  Every figure is measured against a long-double reference
 * computed here from the same float inputs, printed, and checked against a limit:
 *
 *   wide rows      log_softmax / softmax / cross-entropy over rows of 10^6 classes
 *   extremes       logits of +-1e30 and +-FLT_MAX, -inf masks, all-equal huge rows
 *   subnormals     logits and regression inputs that are subnormal floats
 *   long sums      pairwise sums and losses reduced over 10^7 rows or elements,
 *                  bitwise equal at one thread and at the default thread count
 *
 * Prints one line per figure and exits non-zero when any is over its limit.
 * Runs in well under two minutes on two cores (about 1 GB of memory at peak).
 */
#include "losskit.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

static int g_failures;

/* Prints a measured figure and whether it is within its limit. */
static void report(const char *what, double got, double limit)
{
    bool ok = got <= limit; /* NaN fails */
    printf("stress: %-58s %10.3g  (limit %.1g) %s\n", what, got, limit, ok ? "ok" : "FAIL");
    if (!ok)
        g_failures++;
}

/* A check that is true or false, not a measured figure. */
static void expect(const char *what, bool ok)
{
    printf("stress: %-58s %10s  %s\n", what, "", ok ? "ok" : "FAIL");
    if (!ok)
        g_failures++;
}

static void must(lk_status st, const char *what)
{
    if (st != LK_OK) {
        printf("stress: %s returned %s\n", what, lk_strerror(st));
        exit(EXIT_FAILURE);
    }
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) {
        printf("stress: out of memory (%zu bytes)\n", n);
        exit(EXIT_FAILURE);
    }
    return p;
}

static void set_threads(int n)
{
#ifdef _OPENMP
    omp_set_dynamic(0);
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

static int default_threads(void)
{
#ifdef _OPENMP
    return omp_get_num_procs();
#else
    return 1;
#endif
}

/* splitmix64 */
static uint64_t rng_next(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double rng_uniform(uint64_t *s)
{
    return (double)(rng_next(s) >> 11) * 0x1p-53;
}

static void fill(uint64_t *s, float *x, size_t n, double lo, double hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(lo + (hi - lo) * rng_uniform(s));
}

static double rel_err(long double got, long double want)
{
    if (want == got)
        return 0.0;
    return (double)(fabsl(got - want) / fabsl(want));
}

/* The spacing of floats at |v| (the ULP of a float of that magnitude). */
static double ulp_of(double v)
{
    float f = (float)fabs(v);
    if (f < FLT_MIN)
        return 0x1p-149;
    return (double)(nextafterf(f, INFINITY) - f);
}

/* ------------------------------------------------------ reference kernels */

/* Long-double log-sum-exp of one row (max m, sum s of exp(x - m)). */
static void ref_row(const float *x, size_t n, long double *m, long double *s)
{
    long double mx = -INFINITY;
    for (size_t j = 0; j < n; j++)
        if (x[j] > mx)
            mx = x[j];
    long double sum = 0.0L;
    for (size_t j = 0; j < n; j++)
        sum += expl((long double)x[j] - mx);
    *m = mx;
    *s = sum;
}

/* ---------------------------------------------------------- wide rows */

static void wide_rows(void)
{
    const size_t rows = 4, cols = 1000000;
    const size_t n = rows * cols;
    uint64_t seed = 1;
    float *x = xmalloc(n * sizeof *x), *y = xmalloc(n * sizeof *y);
    float *g = xmalloc(n * sizeof *g);
    int64_t t[4];
    /* Row 0: wide uniform logits; row 1: narrow (near-uniform softmax);
     * row 2: one dominant logit; row 3: half the row masked with -inf. */
    fill(&seed, x, cols, -30.0, 30.0);
    fill(&seed, x + cols, cols, -0.01, 0.01);
    fill(&seed, x + 2 * cols, cols, -5.0, 5.0);
    x[2 * cols + 123457] = 80.0f;
    fill(&seed, x + 3 * cols, cols, -10.0, 10.0);
    for (size_t j = 0; j < cols; j += 2)
        x[3 * cols + j] = -INFINITY;
    for (size_t r = 0; r < rows; r++)
        t[r] = (int64_t)(rng_next(&seed) % cols) | 1; /* odd: never a masked entry */

    must(lk_log_softmax_f32(rows, cols, x, cols, y, cols), "log_softmax 4 x 1e6");
    double max_scaled = 0.0, max_ulps_big = 0.0, max_rel_sm = 0.0;
    long double loss_ref = 0.0L;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        long double m, s;
        ref_row(xr, cols, &m, &s);
        long double ls = logl(s);
        loss_ref += -(((long double)xr[t[r]] - m) - ls);
        for (size_t j = 0; j < cols; j++) {
            if (xr[j] == -INFINITY) {
                if (y[r * cols + j] != -INFINITY)
                    max_scaled = INFINITY;
                continue;
            }
            long double want = ((long double)xr[j] - m) - ls;
            double err = (double)fabsl((long double)y[r * cols + j] - want);
            /* (x - m) - log(sum) in float: a few ULP of its operands' size. */
            double scale = ulp_of(fmax(fabs((double)((long double)xr[j] - m)), (double)ls));
            max_scaled = fmax(max_scaled, err / scale);
            if (fabsl(want) >= 1.0L)
                max_ulps_big = fmax(max_ulps_big, err / ulp_of((double)want));
        }
    }
    report("log_softmax 4x1e6: max error / ULP(operands)", max_scaled, 4.0);
    report("log_softmax 4x1e6: max ULP where |logp| >= 1", max_ulps_big, 4.0);

    must(lk_softmax_f32(rows, cols, x, cols, y, cols), "softmax 4 x 1e6");
    for (size_t r = 0; r < rows; r++) {
        long double sum = 0.0L;
        for (size_t j = 0; j < cols; j++)
            sum += y[r * cols + j];
        max_rel_sm = fmax(max_rel_sm, (double)fabsl(sum - 1.0L));
    }
    report("softmax 4x1e6: max |row sum - 1|", max_rel_sm, 1e-5);

    float loss;
    lk_ce_options o = lk_ce_options_default();
    o.reduction = LK_REDUCTION_SUM;
    must(lk_cross_entropy_f32(rows, cols, x, cols, t, &o, &loss), "cross_entropy 4 x 1e6");
    report("cross_entropy SUM 4x1e6: relative error", rel_err(loss, loss_ref), 1e-6);

    /* Fused gradient (MEAN): (p - onehot) / rows. */
    must(lk_cross_entropy_fused_f32(rows, cols, x, cols, t, NULL, &loss, g, cols),
         "cross_entropy_fused 4 x 1e6");
    report("cross_entropy_fused MEAN 4x1e6: loss relative error",
           rel_err(loss, loss_ref / rows), 1e-6);
    double max_gerr = 0.0;
    for (size_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        long double m, s;
        ref_row(xr, cols, &m, &s);
        for (size_t j = 0; j < cols; j++) {
            long double p = expl((long double)xr[j] - m) / s;
            long double want = (p - (j == (size_t)t[r])) / rows;
            double err = (double)fabsl(g[r * cols + j] - want);
            /* relative, with an absolute floor at the smallest entries that matter */
            max_gerr = fmax(max_gerr, err / (double)fmaxl(fabsl(want), 1e-12L));
        }
    }
    report("cross_entropy_fused 4x1e6: gradient max relative error", max_gerr, 1e-4);
    free(x);
    free(y);
    free(g);
}

/* ---------------------------------------------------------- extremes */

static void extremes(void)
{
    const size_t cols = 5;
    /* Each row with its target; expected loss from the long-double reference. */
    const float big = 1e30f, mx = FLT_MAX;
    float x[][5] = {
        { big, -big, 0.0f, 1.0f, -1.0f },
        { big, -big, 0.0f, 1.0f, -1.0f },
        { mx, -mx, 0.0f, 1.0f, -1.0f },
        { mx, -mx, 0.0f, 1.0f, -1.0f },
        { mx, -mx, 0.0f, 1.0f, -1.0f },
        { mx, mx, mx, mx, mx },
        { -mx, -mx, -mx, -mx, -mx },
        { -INFINITY, mx, -INFINITY, -mx, 0.0f },
        { -big, -big, -big, -big, big },
    };
    int64_t t[] = { 1, 0, 0, 2, 1, 3, 4, 3, 0 };
    const size_t rows = sizeof t / sizeof t[0];
    float y[9 * 5], g[9 * 5], loss[9];
    must(lk_log_softmax_f32(rows, cols, &x[0][0], cols, y, cols), "log_softmax extremes");
    bool ok_lsm = true;
    for (size_t r = 0; r < rows; r++) {
        long double m, s;
        ref_row(x[r], cols, &m, &s);
        for (size_t j = 0; j < cols; j++) {
            float want = (float)(((long double)x[r][j] - m) - logl(s));
            float got = y[r * cols + j];
            if (!(got == want || fabs((double)got - (double)want) <= 4.0 * ulp_of(want))) {
                printf("stress:   log_softmax row %zu col %zu: %a, reference %a\n", r, j,
                       (double)got, (double)want);
                ok_lsm = false;
            }
        }
    }
    expect("log_softmax of +-1e30 / +-FLT_MAX / masked rows = reference", ok_lsm);

    lk_ce_options o = lk_ce_options_default();
    o.reduction = LK_REDUCTION_NONE;
    must(lk_cross_entropy_fused_f32(rows, cols, &x[0][0], cols, t, &o, loss, g, cols),
         "cross_entropy_fused extremes");
    bool ok_loss = true, ok_grad = true;
    for (size_t r = 0; r < rows; r++) {
        long double m, s;
        ref_row(x[r], cols, &m, &s);
        float want = (float)(-(((long double)x[r][t[r]] - m) - logl(s)));
        if (!(loss[r] == want || rel_err(loss[r], want) <= 1e-6)) {
            printf("stress:   cross-entropy row %zu: %a, reference %a\n", r, (double)loss[r],
                   (double)want);
            ok_loss = false;
        }
        for (size_t j = 0; j < cols; j++) {
            long double p = expl((long double)x[r][j] - m) / s;
            float gw = (float)(p - (j == (size_t)t[r]));
            float gg = g[r * cols + j];
            if (!isfinite(gg) || fabs((double)gg - (double)gw) > 1e-6) {
                printf("stress:   gradient row %zu col %zu: %a, reference %a\n", r, j,
                       (double)gg, (double)gw);
                ok_grad = false;
            }
        }
    }
    expect("cross_entropy of extreme logits = reference (2e30, FLT_MAX, inf)", ok_loss);
    expect("cross_entropy gradient of extreme logits finite and = reference", ok_grad);
}

/* ---------------------------------------------------------- subnormals */

static void subnormals(void)
{
    const size_t rows = 64, cols = 1000, n = rows * cols;
    uint64_t seed = 7;
    float *x = xmalloc(n * sizeof *x), *y = xmalloc(n * sizeof *y);
    int64_t *t = xmalloc(rows * sizeof *t);
    for (size_t i = 0; i < n; i++) {
        /* Subnormal magnitudes of both signs, and a few exact zeros. */
        uint32_t bits = (uint32_t)(rng_next(&seed) & 0x007FFFFFu);
        if (i % 2)
            bits |= 0x80000000u;
        memcpy(&x[i], &bits, sizeof bits);
    }
    for (size_t r = 0; r < rows; r++)
        t[r] = (int64_t)(rng_next(&seed) % cols);

    must(lk_log_softmax_f32(rows, cols, x, cols, y, cols), "log_softmax subnormal");
    float want = (float)-logl((long double)cols);
    double max_ulp = 0.0;
    for (size_t i = 0; i < n; i++)
        max_ulp = fmax(max_ulp, fabs((double)y[i] - (double)want) / ulp_of(want));
    report("log_softmax of subnormal logits: max ULP from -log(C)", max_ulp, 2.0);

    float loss;
    must(lk_cross_entropy_f32(rows, cols, x, cols, t, NULL, &loss), "cross_entropy subnormal");
    report("cross_entropy of subnormal logits: relative error vs log(C)",
           rel_err(loss, logl((long double)cols)), 1e-6);

    /* Regression on subnormal inputs: the squares underflow in float but not in
     * double; the result must be finite and match the reference rounded to float. */
    float *z = xmalloc(n * sizeof *z);
    memset(z, 0, n * sizeof *z);
    long double mse_ref = 0.0L, l1_ref = 0.0L;
    for (size_t i = 0; i < n; i++) {
        mse_ref += (long double)x[i] * x[i];
        l1_ref += fabsl((long double)x[i]);
    }
    float mse, l1;
    must(lk_mse_f32(n, x, z, LK_REDUCTION_SUM, &mse), "mse subnormal");
    must(lk_l1_f32(n, x, z, LK_REDUCTION_SUM, &l1), "l1 subnormal");
    expect("mse SUM of subnormal differences finite, = reference in float",
           isfinite(mse) && fabs((double)mse - (double)(float)mse_ref) <= 0x1p-149);
    report("l1 SUM of subnormal differences: relative error", rel_err(l1, l1_ref), 1e-6);

    /* BCE with logits at subnormal logits: log(2) each. */
    float bl;
    must(lk_bce_logits_f32(rows, cols, x, z, NULL, NULL, LK_REDUCTION_MEAN, &bl),
         "bce_logits subnormal");
    report("bce_logits MEAN of subnormal logits: relative error vs log 2",
           rel_err(bl, logl(2.0L)), 1e-6);
    free(x);
    free(y);
    free(z);
    free(t);
}

/* ---------------------------------------------------------- long reductions */

static void long_sums(void)
{
    const size_t n = 10000000;
    uint64_t seed = 11;
    float *x = xmalloc(n * sizeof *x);
    double *xd = xmalloc(n * sizeof *xd);
    double sum, sum1;
    long double ref = 0.0L, absref = 0.0L;

    fill(&seed, x, n, 0.0, 1.0);
    for (size_t i = 0; i < n; i++)
        ref += x[i];
    must(lk_pairwise_sum_f32(n, x, &sum), "pairwise_sum_f32");
    report("pairwise_sum_f32 1e7 uniform [0,1): relative error", rel_err(sum, ref), 1e-13);

    /* Mixed signs over 2^-20 .. 2^20: error relative to sum |x| (the condition of
     * the sum). */
    fill(&seed, x, n, -1.0, 1.0);
    for (size_t i = 0; i < n; i++)
        x[i] = ldexpf(x[i], (int)(rng_next(&seed) % 41) - 20);
    ref = 0.0L;
    for (size_t i = 0; i < n; i++) {
        ref += x[i];
        absref += fabsl((long double)x[i]);
    }
    must(lk_pairwise_sum_f32(n, x, &sum), "pairwise_sum_f32");
    report("pairwise_sum_f32 1e7 mixed signs and scales: error / sum|x|",
           (double)(fabsl(sum - ref) / absref), 1e-14);
    set_threads(1);
    must(lk_pairwise_sum_f32(n, x, &sum1), "pairwise_sum_f32");
    set_threads(default_threads());
    expect("pairwise_sum_f32 1e7: same bits at 1 thread and default",
           memcmp(&sum, &sum1, sizeof sum) == 0);

    /* Doubles with a wide dynamic range. */
    ref = 0.0L;
    for (size_t i = 0; i < n; i++) {
        xd[i] = ldexp(rng_uniform(&seed), (int)(rng_next(&seed) % 60) - 30);
        ref += xd[i];
    }
    must(lk_pairwise_sum_f64(n, xd, &sum), "pairwise_sum_f64");
    report("pairwise_sum_f64 1e7 values in [2^-30, 2^30): relative error", rel_err(sum, ref),
           1e-13);
    free(xd);

    /* MSE over 1e7 elements. */
    float *y = xmalloc(n * sizeof *y);
    fill(&seed, x, n, -3.0, 3.0);
    fill(&seed, y, n, -3.0, 3.0);
    ref = 0.0L;
    for (size_t i = 0; i < n; i++) {
        long double d = (long double)x[i] - y[i];
        ref += d * d;
    }
    float mse, mse1;
    must(lk_mse_f32(n, x, y, LK_REDUCTION_MEAN, &mse), "mse 1e7");
    report("mse MEAN 1e7: relative error", rel_err(mse, ref / n), 1e-6);
    set_threads(1);
    must(lk_mse_f32(n, x, y, LK_REDUCTION_MEAN, &mse1), "mse 1e7");
    set_threads(default_threads());
    expect("mse MEAN 1e7: same bits at 1 thread and default",
           memcmp(&mse, &mse1, sizeof mse) == 0);

    /* BCE with logits over 1e7 elements (rows x cols = 1e5 x 100). */
    fill(&seed, y, n, 0.0, 1.0);
    ref = 0.0L;
    for (size_t i = 0; i < n; i++) {
        long double xi = x[i] * 4.0L;
        x[i] = (float)xi;
        ref += (1.0L - y[i]) * x[i] + log1pl(expl(-fabsl((long double)x[i]))) +
               fmaxl(-(long double)x[i], 0.0L);
    }
    float bl;
    must(lk_bce_logits_f32(100000, 100, x, y, NULL, NULL, LK_REDUCTION_MEAN, &bl),
         "bce_logits 1e7");
    report("bce_logits MEAN 1e7: relative error", rel_err(bl, ref / n), 1e-6);

    /* BCE on probabilities over 1e7 elements (no log reaches the -100 floor). */
    fill(&seed, x, n, 0.001, 0.999);
    ref = 0.0L;
    for (size_t i = 0; i < n; i++)
        ref += -((long double)y[i] * logl(x[i]) + (1.0L - y[i]) * logl(1.0L - x[i]));
    float bce;
    must(lk_bce_f32(n, x, y, NULL, LK_BCE_CLAMP_LOG, LK_REDUCTION_MEAN, &bce), "bce 1e7");
    report("bce MEAN 1e7: relative error", rel_err(bce, ref / n), 1e-6);
    free(y);
    free(x);
}

static void long_cross_entropy(void)
{
    const size_t rows = 10000000, cols = 4, n = rows * cols;
    uint64_t seed = 13;
    float *x = xmalloc(n * sizeof *x);
    int64_t *t = xmalloc(rows * sizeof *t);
    fill(&seed, x, n, -4.0, 4.0);
    for (size_t r = 0; r < rows; r++)
        t[r] = r % 97 == 0 ? -100 : (int64_t)(rng_next(&seed) % cols);
    long double ref = 0.0L;
    size_t valid = 0;
    for (size_t r = 0; r < rows; r++) {
        if (t[r] == -100)
            continue;
        long double m, s;
        ref_row(x + r * cols, cols, &m, &s);
        ref += -(((long double)x[r * cols + t[r]] - m) - logl(s));
        valid++;
    }
    float loss, loss1;
    must(lk_cross_entropy_f32(rows, cols, x, cols, t, NULL, &loss), "cross_entropy 1e7");
    report("cross_entropy MEAN 1e7 x 4 (1% ignored): relative error",
           rel_err(loss, ref / valid), 1e-6);
    set_threads(1);
    must(lk_cross_entropy_f32(rows, cols, x, cols, t, NULL, &loss1), "cross_entropy 1e7");
    set_threads(default_threads());
    expect("cross_entropy MEAN 1e7: same bits at 1 thread and default",
           memcmp(&loss, &loss1, sizeof loss) == 0);
    free(x);
    free(t);
}

int main(void)
{
    printf("stress: losskit %s, %d thread(s) by default\n", lk_version(), default_threads());
    set_threads(default_threads());
    extremes();
    subnormals();
    wide_rows();
    long_sums();
    long_cross_entropy();
    if (g_failures) {
        printf("stress: %d check(s) FAILED\n", g_failures);
        return EXIT_FAILURE;
    }
    printf("stress: all checks passed\n");
    return EXIT_SUCCESS;
}
