/*
 * common.h - the plumbing shared by the losskit examples: command-line options,
 * a CSV reader, a seeded shuffle, feature standardisation, a timer, and the
 * loss-curve file and plot.  Nothing here is part of losskit itself; the
 * interesting part of each example (the training loop) lives in its own file.
 */
#ifndef LK_EXAMPLE_COMMON_H
#define LK_EXAMPLE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include <losskit.h>

/* Where the data sets are when -d is not given (set by the build to $(top_srcdir)/data). */
#ifndef LK_DATA_DIR
#define LK_DATA_DIR "data"
#endif

typedef struct ex_options {
    const char *data_dir; /* -d DIR: where the CSV files are */
    const char *out_dir;  /* -o DIR: where the loss curve (.csv, .png) goes */
    int threads;          /* -t N: OpenMP threads (0: leave OMP_NUM_THREADS alone) */
    int epochs;           /* -e N: training epochs (0: the example's default) */
    int quiet;            /* -q: no per-epoch progress lines */
} ex_options;

/* Parses -d -o -t -e -q -h; prints usage and exits on -h or a bad option. */
ex_options ex_parse_options(int argc, char **argv, const char *about);

/* Exits with a message naming `what` when st is not LK_OK. */
void ex_check(lk_status st, const char *what);

/* Calls malloc and exits with a message if it fails. */
void *ex_alloc(size_t count, size_t size);

/* Seconds on a monotonic clock. */
double ex_now(void);

/*
 * Reads a numeric CSV file (a name ending in .gz is read through `gzip -dc`),
 * skipping `skip` header lines; every other line must hold exactly `cols`
 * comma-separated numbers.  Returns a malloc'd rows x cols array (row-major) and
 * sets *rows; exits with a message on any error.
 */
double *ex_read_csv(const char *dir, const char *name, int skip, size_t cols, size_t *rows);

/* A permutation of 0..n-1 drawn from a fixed seed (same on every machine). */
size_t *ex_shuffled_indices(size_t n, uint64_t seed);

/* A uniform random number in [0, 1) from the generator state *state (any seed). */
double ex_uniform(uint64_t *state);

/*
 * Standardises column j of x (rows x cols, leading dimension ld) for every j:
 * x = (x - mean_j) / sd_j, where mean and sd come from the first `fit_rows` rows
 * only (the training split), so nothing is learnt from the test rows.
 */
void ex_standardise(float *x, size_t rows, size_t cols, size_t ld, size_t fit_rows);

/* 64-bit FNV-1a hash of a buffer: a short fingerprint of trained weights. */
uint64_t ex_fnv1a(const void *data, size_t bytes);

/*
 * The loss curve: ex_curve_add() records one point per epoch; ex_curve_finish()
 * writes <out_dir>/<name>_loss.csv and, when gnuplot is on the PATH, plots it to
 * <out_dir>/<name>_loss.png (headless: pngcairo, or png).
 */
typedef struct ex_curve {
    size_t n, cap;
    int *epoch;
    double *train, *test;
} ex_curve;

void ex_curve_add(ex_curve *c, int epoch, double train_loss, double test_loss);
void ex_curve_finish(ex_curve *c, const ex_options *o, const char *name, const char *title);

#endif /* LK_EXAMPLE_COMMON_H */
