/*
 * bits_digest.c - prints a 64-bit FNV-1a digest of the outputs of every public
 * function on fixed inputs.  Run at different OMP_NUM_THREADS, and in the builds
 * with and without OpenMP, the line must be the same: tests/bits_across_threads.sh
 * and .ci/run compare them.
 *
 * usage: bits_digest   (prints "losskit-digest <hex>")
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "losskit.h"

static uint64_t digest = 0xcbf29ce484222325ull;

static void mix(const void *p, size_t nbytes)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < nbytes; i++) {
        digest ^= c[i];
        digest *= 0x100000001b3ull;
    }
}

static uint64_t rng = 12345;
static float uniform(float lo, float hi)
{
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return lo + (hi - lo) * (float)((double)(rng >> 40) * 0x1p-24);
}

#define CHECK(call)                                                               \
    do {                                                                          \
        lk_status st_ = (call);                                                   \
        if (st_ != LK_OK) {                                                       \
            fprintf(stderr, "%s: %s\n", #call, lk_strerror(st_));                 \
            exit(1);                                                              \
        }                                                                         \
    } while (0)

static void rowwise(size_t rows, size_t cols)
{
    size_t n = rows * cols;
    float *x = malloc(n * sizeof *x), *tp = malloc(n * sizeof *tp);
    float *y = malloc(n * sizeof *y), *g = malloc(n * sizeof *g);
    float *w = malloc(cols * sizeof *w), *loss = malloc((rows + 1) * sizeof *loss);
    int64_t *t = malloc(rows * sizeof *t);
    if (!x || !tp || !y || !g || !w || !loss || !t)
        exit(2);
    for (size_t i = 0; i < n; i++) {
        x[i] = uniform(-10, 10);
        tp[i] = uniform(0, 1);
    }
    for (size_t c = 0; c < cols; c++)
        w[c] = uniform(0.5f, 2);
    for (size_t r = 0; r < rows; r++)
        t[r] = r % 7 == 3 ? -100 : (int64_t)(rng >> 33) % (int64_t)cols;

    lk_ce_options o = lk_ce_options_default();
    for (int red = 0; red < 3; red++) {
        for (int variant = 0; variant < 2; variant++) {
            o.reduction = (lk_reduction)red;
            o.class_weight = variant ? w : NULL;
            o.label_smoothing = variant ? 0.1f : 0.0f;
            size_t nl = red == LK_REDUCTION_NONE ? rows : 1;
            CHECK(lk_cross_entropy_f32(rows, cols, x, cols, t, &o, loss));
            mix(loss, nl * sizeof *loss);
            CHECK(lk_cross_entropy_fused_f32(rows, cols, x, cols, t, &o, loss, g, cols));
            mix(loss, nl * sizeof *loss);
            mix(g, n * sizeof *g);
            CHECK(lk_cross_entropy_prob_fused_f32(rows, cols, x, cols, tp, cols, &o, loss, g,
                                                  cols));
            mix(loss, nl * sizeof *loss);
            mix(g, n * sizeof *g);
            CHECK(lk_nll_f32(rows, cols, x, cols, t, &o, loss));
            mix(loss, nl * sizeof *loss);
        }
    }
    CHECK(lk_log_softmax_f32(rows, cols, x, cols, y, cols));
    mix(y, n * sizeof *y);
    CHECK(lk_log_softmax_backward_f32(rows, cols, y, cols, tp, cols, g, cols));
    mix(g, n * sizeof *g);
    CHECK(lk_softmax_f32(rows, cols, x, cols, y, cols));
    mix(y, n * sizeof *y);
    CHECK(lk_softmax_backward_f32(rows, cols, y, cols, tp, cols, g, cols));
    mix(g, n * sizeof *g);
    double s;
    CHECK(lk_pairwise_sum_f32(n, x, &s));
    mix(&s, sizeof s);
    free(x);
    free(tp);
    free(y);
    free(g);
    free(w);
    free(loss);
    free(t);
}

/* Every element-wise loss, forward and backward, every reduction. */
static void elementwise(size_t rows, size_t cols)
{
    size_t n = rows * cols;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y), *p = malloc(n * sizeof *p);
    float *w = malloc(n * sizeof *w), *pw = malloc(cols * sizeof *pw);
    float *out = malloc((n + 1) * sizeof *out), *g = malloc((n + 1) * sizeof *g);
    float *gout = malloc((n + 1) * sizeof *gout);
    if (!x || !y || !p || !w || !pw || !out || !g || !gout)
        exit(2);
    for (size_t i = 0; i < n; i++) {
        x[i] = uniform(-6, 6);
        y[i] = uniform(0, 1);
        p[i] = uniform(0, 1);
        w[i] = uniform(0.5f, 2);
        gout[i] = uniform(-1, 1);
    }
    for (size_t c = 0; c < cols; c++)
        pw[c] = uniform(0.5f, 3);
    for (int r = 0; r < 4; r++) {
        lk_reduction red = (lk_reduction)r;
        size_t no = red == LK_REDUCTION_NONE ? n : 1;
        if (red != LK_REDUCTION_BATCHMEAN) {
            CHECK(lk_mse_f32(n, x, y, red, out));
            mix(out, no * sizeof *out);
            CHECK(lk_mse_backward_f32(n, x, y, red, gout, g));
            mix(g, n * sizeof *g);
            CHECK(lk_l1_f32(n, x, y, red, out));
            mix(out, no * sizeof *out);
            CHECK(lk_l1_backward_f32(n, x, y, red, gout, g));
            mix(g, n * sizeof *g);
            CHECK(lk_huber_f32(n, x, y, 0.7f, red, out));
            mix(out, no * sizeof *out);
            CHECK(lk_huber_backward_f32(n, x, y, 0.7f, red, gout, g));
            mix(g, n * sizeof *g);
            CHECK(lk_smooth_l1_f32(n, x, y, 0.4f, red, out));
            mix(out, no * sizeof *out);
            CHECK(lk_smooth_l1_backward_f32(n, x, y, 0.4f, red, gout, g));
            mix(g, n * sizeof *g);
            for (int clamp = 0; clamp < 2; clamp++) {
                CHECK(lk_bce_f32(n, p, y, w, (lk_bce_clamp)clamp, red, out));
                mix(out, no * sizeof *out);
                CHECK(lk_bce_backward_f32(n, p, y, w, (lk_bce_clamp)clamp, red, gout, g));
                mix(g, n * sizeof *g);
            }
            CHECK(lk_bce_logits_f32(rows, cols, x, y, w, pw, red, out));
            mix(out, no * sizeof *out);
            CHECK(lk_bce_logits_backward_f32(rows, cols, x, y, w, pw, red, gout, g));
            mix(g, n * sizeof *g);
        }
        for (int lt = 0; lt < 2; lt++) {
            const float *t = lt ? x : p;
            CHECK(lk_kl_div_f32(rows, cols, x, t, lt, red, out));
            mix(out, no * sizeof *out);
            CHECK(lk_kl_div_backward_f32(rows, cols, x, t, lt, red, gout, g));
            mix(g, n * sizeof *g);
        }
    }
    free(x);
    free(y);
    free(p);
    free(w);
    free(pw);
    free(out);
    free(g);
    free(gout);
}

int main(void)
{
    const size_t shapes[][2] = { { 1, 5 }, { 3, 17 }, { 67, 129 }, { 1031, 10 }, { 5, 20000 } };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        rowwise(shapes[i][0], shapes[i][1]);
    const size_t eshapes[][2] = { { 1, 1 }, { 3, 7 }, { 129, 33 }, { 1000, 1001 } };
    for (size_t i = 0; i < sizeof eshapes / sizeof eshapes[0]; i++)
        elementwise(eshapes[i][0], eshapes[i][1]);
    printf("losskit-digest %016llx\n", (unsigned long long)digest);
    return 0;
}
