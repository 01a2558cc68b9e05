/*
 * test_golden_ce.c - the softmax and cross-entropy family against PyTorch golden
 * values (tests/golden_ce.txt, made by tests/gen_golden.py): every option and
 * reduction, the seed's example and the contract's edge values.  Expected values are
 * PyTorch's float64 results on the same float32 inputs; each case also runs at
 * every thread count in lkt_threads and must give the same bits.
 */
#include "lktest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KIND_CE = 0, KIND_CE_PROB = 1, KIND_NLL = 2, KIND_LOG_SOFTMAX = 3, KIND_SOFTMAX = 4 };

/* Tolerances against the float64 reference (float32 results). */
#define LOSS_RTOL 1e-6
#define LOSS_ATOL 1e-6
#define GRAD_RTOL 1e-5
#define GRAD_ATOL 1e-6

static lkt_golden *golden;

static void load(void)
{
    golden = lkt_golden_load("golden_ce.txt");
}

static void unload(void)
{
    lkt_golden_free(golden);
}

static void expect_close(const float *got, const lkt_array *want, size_t n, double rtol,
                         double atol, const char *name, const char *what)
{
    ck_assert_uint_eq(want->n, n);
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(lkt_close(got[i], want->v[i], rtol, atol),
                      "%s/%s[%zu]: got %.9g, want %.9g", name, what, i, (double)got[i],
                      want->v[i]);
}

/* Runs f at every thread count; every run must match the first bit for bit. */
#define SAME_AT_ALL_THREADS(buf, nbytes, call)                                      \
    do {                                                                            \
        unsigned char *first_ = malloc((size_t)(nbytes) + 1);                    \
        ck_assert_ptr_nonnull(first_);                                              \
        for (int ti_ = 0; ti_ < LKT_NTHREADS; ti_++) {                              \
            lkt_set_threads(lkt_threads[ti_]);                                      \
            lkt_assert_status(call, LK_OK);                                         \
            if (ti_ == 0)                                                           \
                memcpy(first_, (buf), (nbytes));                                    \
            else                                                                    \
                ck_assert_msg(memcmp(first_, (buf), (nbytes)) == 0,                 \
                              "%s: bits differ at %d threads", #call,               \
                              lkt_threads[ti_]);                                    \
        }                                                                           \
        free(first_);                                                               \
    } while (0)

static void run_ce_case(const lkt_case *c)
{
    const char *name = c->name;
    const lkt_array *shape = lkt_golden_need(golden, name, "shape", 2);
    const lkt_array *opt = lkt_golden_need(golden, name, "opts", 3);
    const int kind = (int)lkt_golden_need(golden, name, "kind", 1)->v[0];
    const size_t rows = (size_t)shape->v[0], cols = (size_t)shape->v[1];
    float *x = lkt_to_f32(lkt_golden_need(golden, name, "x", rows * cols));
    const lkt_array *ta = lkt_golden_need(golden, name, "target", 0);
    int64_t *ti = kind == KIND_CE_PROB ? NULL : lkt_to_i64(ta);
    float *tp = kind == KIND_CE_PROB ? lkt_to_f32(ta) : NULL;
    const lkt_array *wa = lkt_golden_get(golden, name, "weight");
    float *w = wa ? lkt_to_f32(wa) : NULL;
    float *gout = lkt_to_f32(lkt_golden_need(golden, name, "gout", 0));

    lk_ce_options o = lk_ce_options_default();
    o.reduction = (lk_reduction)opt->v[0];
    o.label_smoothing = (float)opt->v[1];
    o.ignore_index = (int64_t)opt->v[2];
    o.class_weight = w;

    const size_t nloss = o.reduction == LK_REDUCTION_NONE ? rows : 1;
    float *loss = calloc(nloss + 1, sizeof *loss);
    float *grad = calloc(rows * cols + 1, sizeof *grad);
    float *inplace = calloc(rows * cols + 1, sizeof *inplace);
    ck_assert(loss && grad && inplace);
    const size_t gbytes = rows * cols * sizeof *grad;

    /* Forward. */
    switch (kind) {
    case KIND_CE:
        SAME_AT_ALL_THREADS(loss, nloss * sizeof *loss,
                            lk_cross_entropy_f32(rows, cols, x, cols, ti, &o, loss));
        break;
    case KIND_CE_PROB:
        SAME_AT_ALL_THREADS(loss, nloss * sizeof *loss,
                            lk_cross_entropy_prob_f32(rows, cols, x, cols, tp, cols, &o, loss));
        break;
    default:
        SAME_AT_ALL_THREADS(loss, nloss * sizeof *loss,
                            lk_nll_f32(rows, cols, x, cols, ti, &o, loss));
    }
    const lkt_array *want_loss = lkt_golden_need(golden, name, "loss", nloss);
    expect_close(loss, want_loss, nloss, LOSS_RTOL, LOSS_ATOL, name, "loss");

    /* Backward with the case's incoming gradient. */
    const float *go = gout;
    switch (kind) {
    case KIND_CE:
        SAME_AT_ALL_THREADS(grad, gbytes, lk_cross_entropy_backward_f32(
                                              rows, cols, x, cols, ti, &o, go, grad, cols));
        break;
    case KIND_CE_PROB:
        SAME_AT_ALL_THREADS(grad, gbytes,
                            lk_cross_entropy_prob_backward_f32(rows, cols, x, cols, tp, cols,
                                                               &o, go, grad, cols));
        break;
    default:
        SAME_AT_ALL_THREADS(grad, gbytes, lk_nll_backward_f32(rows, cols, x, cols, ti, &o,
                                                              go, grad, cols));
    }
    expect_close(grad, lkt_golden_need(golden, name, "grad", rows * cols), rows * cols,
                 GRAD_RTOL, GRAD_ATOL, name, "grad");

    /* Fused (index and probability targets): separate buffer, then in place. */
    if (kind != KIND_NLL) {
        const lkt_array *want_g1 = lkt_golden_need(golden, name, "grad_fused", rows * cols);
        float *loss2 = calloc(nloss + 1, sizeof *loss2);
        ck_assert_ptr_nonnull(loss2);
        if (kind == KIND_CE)
            lkt_assert_status(lk_cross_entropy_fused_f32(rows, cols, x, cols, ti, &o, loss2,
                                                         grad, cols),
                              LK_OK);
        else
            lkt_assert_status(lk_cross_entropy_prob_fused_f32(rows, cols, x, cols, tp, cols,
                                                              &o, loss2, grad, cols),
                              LK_OK);
        ck_assert_msg(memcmp(loss, loss2, nloss * sizeof *loss) == 0,
                      "%s: fused loss differs from forward", name);
        expect_close(grad, want_g1, rows * cols, GRAD_RTOL, GRAD_ATOL, name, "grad_fused");
        for (int t = 0; t < LKT_NTHREADS; t++) {
            lkt_set_threads(lkt_threads[t]);
            memcpy(inplace, x, gbytes);
            if (kind == KIND_CE)
                lkt_assert_status(lk_cross_entropy_fused_f32(rows, cols, inplace, cols, ti,
                                                             &o, loss2, inplace, cols),
                                  LK_OK);
            else
                lkt_assert_status(lk_cross_entropy_prob_fused_f32(rows, cols, inplace, cols,
                                                                  tp, cols, &o, loss2,
                                                                  inplace, cols),
                                  LK_OK);
            ck_assert_msg(memcmp(inplace, grad, gbytes) == 0,
                          "%s: in-place fused gradient differs at %d threads", name,
                          lkt_threads[t]);
            ck_assert_msg(memcmp(loss, loss2, nloss * sizeof *loss) == 0,
                          "%s: in-place fused loss differs", name);
        }
        free(loss2);
    }
    free(x);
    free(ti);
    free(tp);
    free(w);
    free(gout);
    free(loss);
    free(grad);
    free(inplace);
}

static unsigned max_ulps_logp, max_ulps_p;

static void run_softmax_case(const lkt_case *c)
{
    const char *name = c->name;
    const int kind = (int)lkt_golden_need(golden, name, "kind", 1)->v[0];
    const lkt_array *shape = lkt_golden_need(golden, name, "shape", 2);
    const size_t rows = (size_t)shape->v[0], cols = (size_t)shape->v[1], n = rows * cols;
    float *x = lkt_to_f32(lkt_golden_need(golden, name, "x", n));
    float *yin = lkt_to_f32(lkt_golden_need(golden, name, "yin", n));
    float *gy = lkt_to_f32(lkt_golden_need(golden, name, "gy", n));
    const lkt_array *want_y = lkt_golden_need(golden, name, "y", n);
    const lkt_array *want_gx = lkt_golden_need(golden, name, "gx", n);
    float *y = calloc(n, sizeof *y), *gx = calloc(n, sizeof *gx);
    ck_assert(y && gx);

    if (kind == KIND_LOG_SOFTMAX)
        SAME_AT_ALL_THREADS(y, n * sizeof *y, lk_log_softmax_f32(rows, cols, x, cols, y, cols));
    else
        SAME_AT_ALL_THREADS(y, n * sizeof *y, lk_softmax_f32(rows, cols, x, cols, y, cols));
    for (size_t i = 0; i < n; i++) {
        float want = (float)want_y->v[i];
        if (isnan(want) || isinf(want) || want == 0.0f) {
            ck_assert_msg(lkt_close(y[i], want_y->v[i], 0, 0), "%s y[%zu]: got %.9g want %.9g",
                          name, i, (double)y[i], want_y->v[i]);
            continue;
        }
        unsigned u = lkt_ulps(y[i], want);
        if (kind == KIND_LOG_SOFTMAX) {
            /* logp = (x - max) - log(sum): no cancellation, a few ULP. */
            ck_assert_msg(u <= 4, "%s y[%zu]: %u ulps (got %.9g want %.9g)", name, i, u,
                          (double)y[i], want_y->v[i]);
            max_ulps_logp = u > max_ulps_logp ? u : max_ulps_logp;
        } else {
            /* p = exp(logp) evaluated in double, rounded once. */
            ck_assert_msg(u <= 4, "%s y[%zu]: %u ulps (got %.9g want %.9g)", name, i, u,
                          (double)y[i], want_y->v[i]);
            max_ulps_p = u > max_ulps_p ? u : max_ulps_p;
        }
    }
    /* In place gives the same bits. */
    float *ip = malloc(n * sizeof *ip);
    ck_assert_ptr_nonnull(ip);
    memcpy(ip, x, n * sizeof *ip);
    if (kind == KIND_LOG_SOFTMAX)
        lkt_assert_status(lk_log_softmax_f32(rows, cols, ip, cols, ip, cols), LK_OK);
    else
        lkt_assert_status(lk_softmax_f32(rows, cols, ip, cols, ip, cols), LK_OK);
    ck_assert(memcmp(ip, y, n * sizeof *ip) == 0);

    /* Backward from PyTorch's float32 forward output. */
    if (kind == KIND_LOG_SOFTMAX)
        SAME_AT_ALL_THREADS(gx, n * sizeof *gx, lk_log_softmax_backward_f32(
                                                    rows, cols, yin, cols, gy, cols, gx, cols));
    else
        SAME_AT_ALL_THREADS(gx, n * sizeof *gx, lk_softmax_backward_f32(
                                                    rows, cols, yin, cols, gy, cols, gx, cols));
    expect_close(gx, want_gx, n, GRAD_RTOL, GRAD_ATOL, name, "gx");
    free(x);
    free(yin);
    free(gy);
    free(y);
    free(gx);
    free(ip);
}

START_TEST(golden_cases)
{
    size_t nce = 0, nsm = 0;
    for (size_t i = 0; i < golden->ncases; i++) {
        const lkt_case *c = &golden->cases[i];
        int kind = (int)lkt_golden_need(golden, c->name, "kind", 1)->v[0];
        if (kind <= KIND_NLL) {
            run_ce_case(c);
            nce++;
        } else {
            run_softmax_case(c);
            nsm++;
        }
    }
    ck_assert_uint_gt(nce, 40);
    ck_assert_uint_ge(nsm, 4);
    /* Recorded in the log for the accuracy notes. */
    fprintf(stderr, "golden: %zu cross-entropy cases, %zu softmax cases; max ulps "
                    "log_softmax %u, softmax %u\n", nce, nsm, max_ulps_logp, max_ulps_p);
}
END_TEST

/* The seed's classification example, spelled out. */
START_TEST(seed_example)
{
    const float logits[6] = { 2.0f, 0.5f, 0.1f, 0.3f, 1.8f, 0.2f };
    const int64_t labels[2] = { 0, 1 };
    float loss = -1.0f;
    lkt_assert_status(lk_cross_entropy_f32(2, 3, logits, 3, labels, NULL, &loss), LK_OK);
    /* -(logp[0,0] + logp[1,1]) / 2 in float64: 0.33548463289... */
    ck_assert_msg(lkt_close(loss, 0.33548463289, 1e-7, 0), "seed loss %.9g", (double)loss);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("golden_ce");
    TCase *tc = tcase_create("golden");
    tcase_add_unchecked_fixture(tc, load, unload);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, golden_cases);
    tcase_add_test(tc, seed_example);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lkt_main(suite());
}
