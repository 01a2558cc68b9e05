/*
 * seed_classification.c - the two worked examples of the loss-functions module
 * this library grew from, computed with losskit:
 *
 *   classification  logits [[2.0, 0.5, 0.1], [0.3, 1.8, 0.2]], labels [0, 1]
 *                   cross-entropy (mean) = 0.3355 (PyTorch 1.13: 0.33548468)
 *   regression      predictions [200, 250, 300] vs prices [195, 260, 290]
 *                   mean squared error = (25 + 100 + 100) / 3 = 75
 *
 * The cross-entropy is computed at 1, 2, 3 and 7 OpenMP threads and printed with
 * "%a" (the float's exact bits in hexadecimal) to show that the thread count does
 * not change a single bit.
 *
 * Build and run:  make examples/seed_classification && examples/seed_classification
 */
#include <losskit.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

static void check(lk_status st, const char *what)
{
    if (st != LK_OK) {
        fprintf(stderr, "%s failed: %s\n", what, lk_strerror(st));
        exit(EXIT_FAILURE);
    }
}

int main(void)
{
    int ok = 1;
    printf("losskit %s\n\n", lk_version());

    /* ---- classification: 2 samples, 3 classes, class-index targets */
    const float logits[2 * 3] = { 2.0f, 0.5f, 0.1f,
                                  0.3f, 1.8f, 0.2f };
    const int64_t labels[2] = { 0, 1 };
    const float torch_loss = 0.33548468351364136f; /* F.cross_entropy in PyTorch 1.13 */

    float per_row[2];
    lk_ce_options none = lk_ce_options_default();
    none.reduction = LK_REDUCTION_NONE;
    check(lk_cross_entropy_f32(2, 3, logits, 3, labels, &none, per_row),
          "lk_cross_entropy_f32");
    printf("cross-entropy per sample: %.4f %.4f\n", (double)per_row[0], (double)per_row[1]);

    static const int threads[] = { 1, 2, 3, 7 };
    float first = 0.0f;
    for (size_t i = 0; i < sizeof threads / sizeof threads[0]; i++) {
#ifdef _OPENMP
        omp_set_num_threads(threads[i]);
#endif
        float loss;
        /* NULL options: mean reduction, no weights, no smoothing. */
        check(lk_cross_entropy_f32(2, 3, logits, 3, labels, NULL, &loss),
              "lk_cross_entropy_f32");
        printf("cross-entropy (mean), %d thread%s: %.8f  bits %a\n", threads[i],
               threads[i] == 1 ? " " : "s", (double)loss, (double)loss);
        if (i == 0)
            first = loss;
        else if (loss != first)
            ok = 0;
    }
#ifndef _OPENMP
    printf("(built without OpenMP: every line ran on one thread)\n");
#endif
    printf("identical at every thread count: %s\n", ok ? "yes" : "NO");
    double rel = fabs((double)first - (double)torch_loss) / (double)torch_loss;
    printf("PyTorch 1.13 gives %.8f (bits %a); relative difference %.1e\n",
           (double)torch_loss, (double)torch_loss, rel);
    if (rel > 1e-6)
        ok = 0;

    /* ---- regression: house prices in $1000s */
    const float predicted[3] = { 200.0f, 250.0f, 300.0f };
    const float actual[3] = { 195.0f, 260.0f, 290.0f };
    float mse;
    check(lk_mse_f32(3, predicted, actual, LK_REDUCTION_MEAN, &mse), "lk_mse_f32");
    printf("\nMSE of house prices: %.2f (expected 75.00)\n", (double)mse);
    if (mse != 75.0f)
        ok = 0;

    return ok ? EXIT_SUCCESS : EXIT_FAILURE;
}
