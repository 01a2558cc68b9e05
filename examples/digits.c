/*
 * digits.c - a small neural network that reads handwritten digits, trained with
 * losskit's fused cross-entropy (loss and gradient in one call, in place over the
 * logits).
 *
 * Data: the 8x8 digits (data/digits.csv.gz, 1797 images of 64 pixels 0..16 and the
 * digit 0..9).  80% train, 20% test, split with a fixed seed.  Each training image
 * is also used shifted by one pixel left, right, up and down (5x the examples, and
 * batches big enough for losskit to spread the loss over threads).
 *
 * Model: 64 pixels -> HIDDEN ReLU units -> 10 logits, minibatch SGD with momentum.
 * One training step:
 *   forward   h = relu(x W1 + b1), z = h W2 + b2                 (B x 10 logits)
 *   loss      lk_cross_entropy_fused_f32(z) -> mean loss, and z is overwritten by
 *             dz = d loss / d z = (softmax(z) - onehot) / B
 *   backward  dW2 = h^T dz, dh = dz W2^T where h > 0, dW1 = x^T dh
 *
 * Every step is deterministic: losskit's results do not depend on the thread count,
 * and our own loops below give each output element to one thread, which sums in a
 * fixed order.  So a run with OMP_NUM_THREADS=1 and one with 2 end with the same
 * bits in every weight; the last output line prints a hash of them to compare.
 *
 * Build and run:  make examples/digits && examples/digits
 */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPIX 64
#define NCLASS 10
#define HIDDEN 64
#define BATCH 2048

typedef struct net {
    float w1[NPIX * HIDDEN], b1[HIDDEN];   /* w1[i * HIDDEN + k]: pixel i -> unit k */
    float w2[HIDDEN * NCLASS], b2[NCLASS]; /* w2[k * NCLASS + c]: unit k -> class c */
} net;

/* h = relu(x W1 + b1), z = h W2 + b2 for rows of x (rows x NPIX). */
static void forward(const net *m, size_t rows, const float *x, float *h, float *z)
{
#pragma omp parallel for schedule(static)
    for (long r = 0; r < (long)rows; r++) {
        const float *xr = x + (size_t)r * NPIX;
        float *hr = h + (size_t)r * HIDDEN, *zr = z + (size_t)r * NCLASS;
        for (size_t k = 0; k < HIDDEN; k++)
            hr[k] = m->b1[k];
        for (size_t i = 0; i < NPIX; i++)
            for (size_t k = 0; k < HIDDEN; k++)
                hr[k] += xr[i] * m->w1[i * HIDDEN + k];
        for (size_t k = 0; k < HIDDEN; k++)
            hr[k] = hr[k] > 0.0f ? hr[k] : 0.0f;
        for (size_t c = 0; c < NCLASS; c++)
            zr[c] = m->b2[c];
        for (size_t k = 0; k < HIDDEN; k++)
            for (size_t c = 0; c < NCLASS; c++)
                zr[c] += hr[k] * m->w2[k * NCLASS + c];
    }
}

/*
 * Gradients of the loss given dz (rows x NCLASS) = d loss / d z.  Reads x, h; uses
 * dh (rows x HIDDEN) as scratch; overwrites g.
 */
static void backward(const net *m, size_t rows, const float *x, const float *h,
                     const float *dz, float *dh, net *g)
{
    /* dh = dz W2^T, zero where the unit was off. */
#pragma omp parallel for schedule(static)
    for (long r = 0; r < (long)rows; r++) {
        const float *dzr = dz + (size_t)r * NCLASS, *hr = h + (size_t)r * HIDDEN;
        float *dhr = dh + (size_t)r * HIDDEN;
        for (size_t k = 0; k < HIDDEN; k++) {
            float s = 0.0f;
            for (size_t c = 0; c < NCLASS; c++)
                s += dzr[c] * m->w2[k * NCLASS + c];
            dhr[k] = hr[k] > 0.0f ? s : 0.0f;
        }
    }
    /* dW1 = x^T dh: each pixel's row of dW1 is one thread's, summed over r in order. */
#pragma omp parallel for schedule(static)
    for (long i = 0; i < NPIX; i++) {
        float *gi = g->w1 + (size_t)i * HIDDEN;
        memset(gi, 0, HIDDEN * sizeof *gi);
        for (size_t r = 0; r < rows; r++) {
            float xi = x[r * NPIX + (size_t)i];
            if (xi != 0.0f)
                for (size_t k = 0; k < HIDDEN; k++)
                    gi[k] += xi * dh[r * HIDDEN + k];
        }
    }
    /* dW2 = h^T dz, db1 and db2: small, done serially. */
    memset(g->w2, 0, sizeof g->w2);
    memset(g->b1, 0, sizeof g->b1);
    memset(g->b2, 0, sizeof g->b2);
    for (size_t r = 0; r < rows; r++) {
        for (size_t k = 0; k < HIDDEN; k++) {
            float hk = h[r * HIDDEN + k];
            for (size_t c = 0; c < NCLASS; c++)
                g->w2[k * NCLASS + c] += hk * dz[r * NCLASS + c];
            g->b1[k] += dh[r * HIDDEN + k];
        }
        for (size_t c = 0; c < NCLASS; c++)
            g->b2[c] += dz[r * NCLASS + c];
    }
}

/* Copies image src (8x8) into dst shifted by (dr, dc) pixels, filling with 0. */
static void shift_image(const float *src, float *dst, int dr, int dc)
{
    for (int r = 0; r < 8; r++)
        for (int c = 0; c < 8; c++) {
            int sr = r - dr, sc = c - dc;
            dst[r * 8 + c] = (sr >= 0 && sr < 8 && sc >= 0 && sc < 8) ? src[sr * 8 + sc] : 0.0f;
        }
}

/* Mean cross-entropy and accuracy of the network on rows of (x, t). */
static double evaluate(const net *m, size_t rows, const float *x, const int64_t *t,
                       float *h, float *z, float *loss)
{
    forward(m, rows, x, h, z);
    ex_check(lk_cross_entropy_f32(rows, NCLASS, z, NCLASS, t, NULL, loss),
             "lk_cross_entropy_f32");
    size_t right = 0;
    for (size_t r = 0; r < rows; r++) {
        size_t best = 0;
        for (size_t c = 1; c < NCLASS; c++)
            if (z[r * NCLASS + c] > z[r * NCLASS + best])
                best = c;
        right += (int64_t)best == t[r];
    }
    return (double)right / (double)rows;
}

int main(int argc, char **argv)
{
    ex_options opt = ex_parse_options(argc, argv,
        "digits: a 64-64-10 network on the 8x8 digits with lk_cross_entropy_fused_f32");
    const int epochs = opt.epochs ? opt.epochs : 60;
    const float lr = 0.3f, momentum = 0.9f;

    size_t n;
    double *table = ex_read_csv(opt.data_dir, "digits.csv.gz", 0, NPIX + 1, &n);

    /* Split with a fixed seed; the test rows are never shifted or trained on. */
    size_t *order = ex_shuffled_indices(n, 2024);
    size_t nsplit = n * 4 / 5, ntest = n - nsplit, ntrain = 5 * nsplit;
    float *xtrain = ex_alloc(ntrain * NPIX, sizeof *xtrain);
    float *xtest = ex_alloc(ntest * NPIX, sizeof *xtest);
    int64_t *ttrain = ex_alloc(ntrain, sizeof *ttrain), *ttest = ex_alloc(ntest, sizeof *ttest);
    static const int shift[5][2] = { { 0, 0 }, { 0, -1 }, { 0, 1 }, { -1, 0 }, { 1, 0 } };
    for (size_t i = 0; i < n; i++) {
        const double *row = table + order[i] * (NPIX + 1);
        float img[NPIX];
        for (size_t p = 0; p < NPIX; p++)
            img[p] = (float)(row[p] / 16.0); /* pixels to [0, 1] */
        int64_t digit = (int64_t)row[NPIX];
        if (i < nsplit) {
            for (size_t s = 0; s < 5; s++) {
                size_t k = s * nsplit + i;
                shift_image(img, xtrain + k * NPIX, shift[s][0], shift[s][1]);
                ttrain[k] = digit;
            }
        } else {
            memcpy(xtest + (i - nsplit) * NPIX, img, sizeof img);
            ttest[i - nsplit] = digit;
        }
    }
    free(table);
    free(order);

    /* He initialisation from a fixed seed; biases start at 0. */
    net *m = ex_alloc(1, sizeof *m), *g = ex_alloc(1, sizeof *g), *v = ex_alloc(1, sizeof *v);
    memset(m, 0, sizeof *m);
    memset(v, 0, sizeof *v);
    uint64_t rng = 1;
    for (size_t i = 0; i < NPIX * HIDDEN; i++)
        m->w1[i] = (float)((2.0 * ex_uniform(&rng) - 1.0) * sqrt(6.0 / NPIX));
    for (size_t i = 0; i < HIDDEN * NCLASS; i++)
        m->w2[i] = (float)((2.0 * ex_uniform(&rng) - 1.0) * sqrt(6.0 / HIDDEN));

    float *xb = ex_alloc((size_t)BATCH * NPIX, sizeof *xb);
    int64_t *tb = ex_alloc(BATCH, sizeof *tb);
    size_t maxrows = ntrain > BATCH ? ntrain : BATCH;
    float *h = ex_alloc(maxrows * HIDDEN, sizeof *h), *z = ex_alloc(maxrows * NCLASS, sizeof *z);
    float *dh = ex_alloc((size_t)BATCH * HIDDEN, sizeof *dh);
    const size_t nparam = sizeof *m / sizeof(float);

    printf("digits: %zu train (%zu images x 5 shifts) / %zu test images, "
           "64-%d-10 network, batch %d, %d epochs\n",
           ntrain, nsplit, ntest, HIDDEN, BATCH, epochs);
    ex_curve curve = { 0 };
    const double t0 = ex_now();
    for (int epoch = 1; epoch <= epochs; epoch++) {
        size_t *perm = ex_shuffled_indices(ntrain, 1000 + (uint64_t)epoch);
        double loss_sum = 0.0;
        for (size_t start = 0; start < ntrain; start += BATCH) {
            size_t rows = ntrain - start < BATCH ? ntrain - start : BATCH;
            for (size_t r = 0; r < rows; r++) {
                memcpy(xb + r * NPIX, xtrain + perm[start + r] * NPIX, NPIX * sizeof *xb);
                tb[r] = ttrain[perm[start + r]];
            }
            forward(m, rows, xb, h, z);
            /* The loss, and z overwritten in place by d loss / d z. */
            float loss;
            ex_check(lk_cross_entropy_fused_f32(rows, NCLASS, z, NCLASS, tb, NULL, &loss,
                                                z, NCLASS), "lk_cross_entropy_fused_f32");
            loss_sum += (double)loss * (double)rows;
            backward(m, rows, xb, h, z, dh, g);

            /* SGD with momentum over every parameter (a net is nothing but floats). */
            float *p = (float *)m, *gp = (float *)g, *vp = (float *)v;
            for (size_t i = 0; i < nparam; i++) {
                vp[i] = momentum * vp[i] - lr * gp[i];
                p[i] += vp[i];
            }
        }
        free(perm);

        float test_loss;
        double acc = evaluate(m, ntest, xtest, ttest, h, z, &test_loss);
        double train_loss = loss_sum / (double)ntrain;
        ex_curve_add(&curve, epoch, train_loss, test_loss);
        if (!opt.quiet && (epoch == 1 || epoch % 10 == 0))
            printf("epoch %3d  train loss %.5f  test loss %.5f  test accuracy %6.2f%%  %6.3f s\n",
                   epoch, train_loss, (double)test_loss, 100.0 * acc, ex_now() - t0);
    }

    float test_loss, train_loss;
    double acc = evaluate(m, ntest, xtest, ttest, h, z, &test_loss);
    evaluate(m, ntrain, xtrain, ttrain, h, z, &train_loss);
    printf("final: test accuracy %.2f%% (%.0f of %zu), test loss %.5f, train loss %.5f, "
           "%.3f s\n", 100.0 * acc, acc * (double)ntest, ntest, (double)test_loss,
           (double)train_loss, ex_now() - t0);
    ex_curve_finish(&curve, &opt, "digits", "digits: 64-64-10 network, cross-entropy");
    /* %a prints the float's exact bits; the hash covers every weight and bias. */
    printf("fingerprint: train loss %a, weights fnv1a64 %016llx\n", (double)train_loss,
           (unsigned long long)ex_fnv1a(m, sizeof *m));

    free(xtrain);
    free(xtest);
    free(ttrain);
    free(ttest);
    free(m);
    free(g);
    free(v);
    free(xb);
    free(tb);
    free(h);
    free(z);
    free(dh);
    return 0;
}
