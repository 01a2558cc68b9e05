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

int main(void)
{
    const size_t shapes[][2] = { { 1, 5 }, { 3, 17 }, { 67, 129 }, { 1031, 10 }, { 5, 20000 } };
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
        rowwise(shapes[i][0], shapes[i][1]);
    printf("losskit-digest %016llx\n", (unsigned long long)digest);
    return 0;
}
