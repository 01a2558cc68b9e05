/*
 * house_prices.c - linear regression trained with losskit's mean squared error.
 *
 * Data: the Boston house-price table (data/boston_house_prices.csv, 506 towns,
 * 13 features and the median home value MEDV in $1000s).  We drop column B: it
 * encodes the proportion of Black residents by town through a formula built on a
 * racist assumption, and has no place in a model of house prices (scikit-learn
 * removed its loader for that reason).  12 features remain.
 *
 * Model: price = x . w + b, trained by full-batch gradient descent.  Each epoch
 *   lk_mse_f32           loss = mean((pred - y)^2)
 *   lk_mse_backward_f32  gpred = d loss / d pred = 2 (pred - y) / n
 * and the chain rule gives dw = X^T gpred, db = sum(gpred).
 *
 * Build and run:  make examples/house_prices && examples/house_prices
 */
#include "common.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#define NFEAT 12 /* 13 columns of the table minus B */
static const char *const feature_name[NFEAT] = {
    "CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX", "PTRATIO", "LSTAT"
};
#define COL_B 11   /* the dropped column, 0-based */
#define COL_MEDV 13

/* pred[i] = x[i, :] . w + b for n rows of NFEAT features. */
static void predict(size_t n, const float *x, const float *w, float b, float *pred)
{
    for (size_t i = 0; i < n; i++) {
        float s = b;
        for (size_t j = 0; j < NFEAT; j++)
            s += x[i * NFEAT + j] * w[j];
        pred[i] = s;
    }
}

static double mse(size_t n, const float *pred, const float *y)
{
    float loss;
    ex_check(lk_mse_f32(n, pred, y, LK_REDUCTION_MEAN, &loss), "lk_mse_f32");
    return loss;
}

int main(int argc, char **argv)
{
    ex_options opt = ex_parse_options(argc, argv,
        "house_prices: linear regression on the Boston house prices with lk_mse_f32");
    const int epochs = opt.epochs ? opt.epochs : 300;
    const float lr = 0.05f;

    /* Two header lines, then 14 numbers per row. */
    size_t n;
    double *table = ex_read_csv(opt.data_dir, "boston_house_prices.csv", 2, 14, &n);

    /* Shuffle the rows with a fixed seed; the first 80% train, the rest test. */
    size_t *order = ex_shuffled_indices(n, 42);
    size_t ntrain = n * 4 / 5, ntest = n - ntrain;
    float *x = ex_alloc(n * NFEAT, sizeof *x), *y = ex_alloc(n, sizeof *y);
    for (size_t i = 0; i < n; i++) {
        const double *row = table + order[i] * 14;
        size_t k = 0;
        for (size_t c = 0; c < 13; c++)
            if (c != COL_B)
                x[i * NFEAT + k++] = (float)row[c];
        y[i] = (float)row[COL_MEDV];
    }
    free(table);
    free(order);
    ex_standardise(x, n, NFEAT, NFEAT, ntrain); /* statistics of the training rows only */

    const float *xtest = x + ntrain * NFEAT, *ytest = y + ntrain;
    float w[NFEAT] = { 0 }, b = 0.0f;
    float *pred = ex_alloc(n, sizeof *pred), *gpred = ex_alloc(ntrain, sizeof *gpred);

    /* A baseline to beat: always predict the mean training price. */
    double ymean = 0.0;
    for (size_t i = 0; i < ntrain; i++)
        ymean += (double)y[i];
    ymean /= (double)ntrain;
    for (size_t i = 0; i < ntest; i++)
        pred[i] = (float)ymean;
    double baseline_rmse = sqrt(mse(ntest, pred, ytest));

    printf("house prices: %zu train / %zu test rows, %d features, %d epochs, lr %g\n",
           ntrain, ntest, NFEAT, epochs, (double)lr);
    printf("column B is not used: it encodes the proportion of Black residents by town,\n"
           "built on a racist assumption (see data/PROVENANCE.md)\n");
    ex_curve curve = { 0 };
    const double t0 = ex_now();
    for (int epoch = 1; epoch <= epochs; epoch++) {
        predict(ntrain, x, w, b, pred);
        float train_loss;
        ex_check(lk_mse_f32(ntrain, pred, y, LK_REDUCTION_MEAN, &train_loss), "lk_mse_f32");
        /* gpred = d(mean loss)/d pred; NULL grad_out means "times 1". */
        ex_check(lk_mse_backward_f32(ntrain, pred, y, LK_REDUCTION_MEAN, NULL, gpred),
                 "lk_mse_backward_f32");

        float dw[NFEAT] = { 0 }, db = 0.0f;
        for (size_t i = 0; i < ntrain; i++) {
            for (size_t j = 0; j < NFEAT; j++)
                dw[j] += gpred[i] * x[i * NFEAT + j];
            db += gpred[i];
        }
        for (size_t j = 0; j < NFEAT; j++)
            w[j] -= lr * dw[j];
        b -= lr * db;

        if (epoch == 1 || epoch % 5 == 0) {
            predict(ntest, xtest, w, b, pred);
            double test_loss = mse(ntest, pred, ytest);
            ex_curve_add(&curve, epoch, train_loss, test_loss);
            if (!opt.quiet && (epoch == 1 || epoch % 25 == 0))
                printf("epoch %4d  train MSE %9.4f  test MSE %9.4f  %7.2f ms\n", epoch,
                       (double)train_loss, test_loss, 1e3 * (ex_now() - t0));
        }
    }

    predict(ntrain, x, w, b, pred);
    double train_rmse = sqrt(mse(ntrain, pred, y));
    predict(ntest, xtest, w, b, pred);
    double test_rmse = sqrt(mse(ntest, pred, ytest));
    printf("weights (per standard deviation of each feature, $1000s):\n");
    for (size_t j = 0; j < NFEAT; j++)
        printf("  %-8s %+7.3f\n", feature_name[j], (double)w[j]);
    printf("  %-8s %+7.3f\n", "bias", (double)b);
    printf("final: train RMSE %.3f, test RMSE %.3f ($1000s); "
           "predicting the mean price gives test RMSE %.3f\n",
           train_rmse, test_rmse, baseline_rmse);
    ex_curve_finish(&curve, &opt, "house_prices", "house prices: linear regression, MSE");

    free(x);
    free(y);
    free(pred);
    free(gpred);
    return 0;
}
