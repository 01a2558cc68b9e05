/*
 * losstest.h - checks shared by the element-wise loss suites (test_regression.c,
 * test_binary.c): every loss is seen through one calling convention (lt_args and
 * an lt_loss of two wrappers), so the golden-value runner, the finite-difference
 * check, the thread-count check and the "error leaves outputs untouched" check are
 * written once.
 */
#ifndef LOSSTEST_H
#define LOSSTEST_H

#include "lktest.h"

/* One call's arguments.  Vector losses use rows = n, cols = 1. */
typedef struct lt_args {
    size_t rows, cols;
    const float *x, *y;
    const float *w;  /* per-element weights or NULL (BCE, BCE with logits) */
    const float *pw; /* pos_weight, cols values, or NULL (BCE with logits) */
    float param;     /* Huber delta, SmoothL1 beta */
    int flag;        /* BCE clamp mode, KL log_target */
    lk_reduction red;
} lt_args;

typedef struct lt_loss {
    const char *name; /* golden case prefix: "<name>.<variant>.<reduction>" */
    lk_status (*fwd)(const lt_args *a, float *out);
    lk_status (*bwd)(const lt_args *a, const float *grad_out, float *grad);
    bool batchmean;   /* accepts LK_REDUCTION_BATCHMEAN */
    double rtol_out;  /* golden tolerance of losses, relative */
    double rtol_grad; /* golden tolerance of gradients: rtol_grad * |want| */
    double atol_grad; /*   + atol_grad * max |want| over the array */
} lt_loss;

/* Number of elements rows * cols. */
size_t lt_n(const lt_args *a);

/* Number of floats the forward writes: 1, or rows * cols for NONE. */
size_t lt_nout(const lt_args *a);

/*
 * Runs every case "<L->name>.*" of tests/golden_losses.txt: forward and backward
 * against PyTorch's float64 values.  Returns the number of cases (fails if none).
 */
size_t lt_run_golden(const lt_loss *L);

/*
 * Central finite differences of L's forward (reduction NONE, evaluated by the
 * library in float) against its backward (grad_out = 1), element by element.
 * The step is h_rel * max(|x_i|, 1) rounded to a float step.  The tolerance is
 * the forward's rounding over that step (8 * 2^-24 * (|l+| + |l-|) / step), plus
 * 1e-6 |g|, plus `trunc`, the caller's bound on the truncation error.  Elements
 * listed by skip (a predicate, may be NULL) are not checked (kinks).
 */
void lt_check_fd(const lt_loss *L, const lt_args *a, double h_rel, double trunc,
                 bool (*skip)(const lt_args *a, size_t i, double step));

/*
 * Fills x, y (rows * cols) and, when given, w (rows * cols) and pw (cols) with
 * valid data for the loss.
 */
typedef void (*lt_fill_fn)(lkt_rng *r, size_t rows, size_t cols, float *x, float *y,
                           float *w, float *pw);

/*
 * Thread-count independence: for shapes of 1, 3, 1029 and 50001 elements (vectors
 * when matrix is false; else 1x3, 3x1, 7x147, 3x16667) and every reduction, the
 * forward and backward outputs at lkt_threads {1, 2, 3, 7, 16} are compared with
 * memcmp.  proto gives param, flag, and whether w / pw are used (non-NULL).
 */
void lt_check_threads(const lt_loss *L, const lt_args *proto, lt_fill_fn fill, bool matrix);

/*
 * Calls L's forward (fwd true) or backward with a, expects status `want` and
 * checks that the nbytes at `guarded` (the output, filled here with the guard
 * pattern before the call) are unchanged.  For the backward, grad_out is passed
 * through and the output is `dst`.
 */
void lt_expect_error(const lt_loss *L, const lt_args *a, bool fwd, const float *grad_out,
                     float *dst, void *guarded, size_t nbytes, lk_status want);

/*
 * The errors every element-wise loss shares, each provoked with guarded outputs:
 * LK_ERR_NULL (x, y, out, grad), LK_ERR_SIZE (element count whose byte size
 * overflows; cols == 0 when matrix), LK_ERR_OPTION (unknown reduction, BATCHMEAN
 * where not accepted), LK_ERR_ALIAS (outputs partly over x or y, scalar out over
 * x, grad over grad_out, outputs over w or pw when used).  Also checks that the
 * documented in-place forms are accepted and give the out-of-place bits.
 */
void lt_check_common_errors(const lt_loss *L, const lt_args *proto, lt_fill_fn fill,
                            bool matrix);

#endif /* LOSSTEST_H */
