/*
 * diagnosis.c - logistic regression trained with losskit's binary cross-entropy
 * with logits, using pos_weight to favour finding the malignant cases.
 *
 * Data: the Wisconsin diagnostic breast cancer table (data/breast_cancer.csv, 569
 * fine-needle aspirates, 30 features of the cell nuclei and the diagnosis, where
 * the file's label 0 is malignant and 1 benign).  Our positive class is malignant.
 *
 * Model: logit = x . w + b, trained by full-batch gradient descent.  Each epoch
 *   lk_bce_logits_f32           loss = mean(l), l = the stable BCE of sigmoid(logit)
 *   lk_bce_logits_backward_f32  glogit = d loss / d logit
 * and dw = X^T glogit, db = sum(glogit).
 *
 * pos_weight P multiplies the loss of the positive (malignant) rows.  Missing a
 * malignant tumour costs more than a false alarm, and benign cases outnumber
 * malignant ones, so we take P = (benign rows) / (malignant rows) in the training
 * split: both classes then weigh the same in the loss, which raises recall.
 *
 * Build and run:  make examples/diagnosis && examples/diagnosis
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>

#define NFEAT 30

/* logit[i] = x[i, :] . w + b for n rows. */
static void predict(size_t n, const float *x, const float *w, float b, float *logit)
{
    for (size_t i = 0; i < n; i++) {
        float s = b;
        for (size_t j = 0; j < NFEAT; j++)
            s += x[i * NFEAT + j] * w[j];
        logit[i] = s;
    }
}

/* Mean BCE-with-logits loss of n rows (one column, so pos_weight is 1 value). */
static double bce(size_t n, const float *logit, const float *y, const float *pos_weight)
{
    float loss;
    ex_check(lk_bce_logits_f32(n, 1, logit, y, NULL, pos_weight, LK_REDUCTION_MEAN, &loss),
             "lk_bce_logits_f32");
    return loss;
}

int main(int argc, char **argv)
{
    ex_options opt = ex_parse_options(argc, argv,
        "diagnosis: logistic regression on the breast cancer table with lk_bce_logits_f32");
    const int epochs = opt.epochs ? opt.epochs : 300;
    const float lr = 0.1f;

    /* One header line, then 30 features and the label per row. */
    size_t n;
    double *table = ex_read_csv(opt.data_dir, "breast_cancer.csv", 1, NFEAT + 1, &n);

    size_t *order = ex_shuffled_indices(n, 7);
    size_t ntrain = n * 4 / 5, ntest = n - ntrain;
    float *x = ex_alloc(n * NFEAT, sizeof *x), *y = ex_alloc(n, sizeof *y);
    for (size_t i = 0; i < n; i++) {
        const double *row = table + order[i] * (NFEAT + 1);
        for (size_t j = 0; j < NFEAT; j++)
            x[i * NFEAT + j] = (float)row[j];
        y[i] = row[NFEAT] == 0.0 ? 1.0f : 0.0f; /* 1 = malignant */
    }
    free(table);
    free(order);
    ex_standardise(x, n, NFEAT, NFEAT, ntrain);

    size_t npos = 0;
    for (size_t i = 0; i < ntrain; i++)
        npos += y[i] == 1.0f;
    const float pos_weight[1] = { (float)(ntrain - npos) / (float)npos };

    const float *xtest = x + ntrain * NFEAT, *ytest = y + ntrain;
    float w[NFEAT] = { 0 }, b = 0.0f;
    float *logit = ex_alloc(n, sizeof *logit), *glogit = ex_alloc(ntrain, sizeof *glogit);

    printf("diagnosis: %zu train (%zu malignant) / %zu test rows, %d features, "
           "pos_weight %.3f, %d epochs, lr %g\n",
           ntrain, npos, ntest, NFEAT, (double)pos_weight[0], epochs, (double)lr);
    ex_curve curve = { 0 };
    const double t0 = ex_now();
    for (int epoch = 1; epoch <= epochs; epoch++) {
        predict(ntrain, x, w, b, logit);
        float train_loss;
        ex_check(lk_bce_logits_f32(ntrain, 1, logit, y, NULL, pos_weight,
                                   LK_REDUCTION_MEAN, &train_loss), "lk_bce_logits_f32");
        ex_check(lk_bce_logits_backward_f32(ntrain, 1, logit, y, NULL, pos_weight,
                                            LK_REDUCTION_MEAN, NULL, glogit),
                 "lk_bce_logits_backward_f32");

        float dw[NFEAT] = { 0 }, db = 0.0f;
        for (size_t i = 0; i < ntrain; i++) {
            for (size_t j = 0; j < NFEAT; j++)
                dw[j] += glogit[i] * x[i * NFEAT + j];
            db += glogit[i];
        }
        for (size_t j = 0; j < NFEAT; j++)
            w[j] -= lr * dw[j];
        b -= lr * db;

        if (epoch == 1 || epoch % 5 == 0) {
            predict(ntest, xtest, w, b, logit);
            double test_loss = bce(ntest, logit, ytest, pos_weight);
            ex_curve_add(&curve, epoch, train_loss, test_loss);
            if (!opt.quiet && (epoch == 1 || epoch % 50 == 0))
                printf("epoch %4d  train loss %.5f  test loss %.5f  %7.2f ms\n", epoch,
                       (double)train_loss, test_loss, 1e3 * (ex_now() - t0));
        }
    }

    /* Confusion counts on the test rows: a logit above 0 means "malignant". */
    predict(ntest, xtest, w, b, logit);
    size_t tp = 0, fp = 0, tn = 0, fn = 0;
    for (size_t i = 0; i < ntest; i++) {
        int said = logit[i] > 0.0f, is = ytest[i] == 1.0f;
        tp += said && is;
        fp += said && !is;
        tn += !said && !is;
        fn += !said && is;
    }
    printf("test confusion: %zu malignant found, %zu missed; %zu benign cleared, "
           "%zu false alarms\n", tp, fn, tn, fp);
    printf("final: test accuracy %.2f%%, recall (malignant found) %.2f%%, "
           "precision %.2f%%\n",
           100.0 * (double)(tp + tn) / (double)ntest,
           100.0 * (double)tp / (double)(tp + fn > 0 ? tp + fn : 1),
           100.0 * (double)tp / (double)(tp + fp > 0 ? tp + fp : 1));
    ex_curve_finish(&curve, &opt, "diagnosis", "diagnosis: logistic regression, BCE with logits");

    free(x);
    free(y);
    free(logit);
    free(glogit);
    return 0;
}
