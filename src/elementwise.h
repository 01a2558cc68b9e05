/*
 * elementwise.h - the driver shared by the element-wise losses: MSE, L1, Huber and
 * SmoothL1 (regression.c) and BCE, BCE with logits and KL divergence (binary.c).
 *
 * A loss is a pair of block kernels.  Each one reads LK_EW_BLOCK consecutive
 * elements and writes LK_EW_BLOCK doubles:
 *   fwd   v[k] = loss of element k
 *   bwd   v[k] = d loss_k / d x_k (the element weight included, no reduction)
 * The kernels' loops have a constant trip count, which lets compilers vectorise
 * them at -O2.  The driver (lk__ew_forward / lk__ew_backward, implemented in
 * regression.c) does everything else:
 *   - checks every argument (reduction, pointers, sizes, aliasing and, for BCE,
 *     the [0, 1] domain of inputs and targets) before anything is written;
 *   - splits the elements into leaves of LK_ELEM_LEAF (lk__tree_sum, shape only);
 *     a leaf runs its blocks in order; the last, partial block of the array is
 *     copied into padded local buffers so kernels always see full blocks;
 *   - writes per-element losses (NONE) or gradients (scaled by grad_out, and by
 *     1 / count for MEAN and BATCHMEAN);
 *   - sums the losses in double: inside a leaf, element i is added to partial sum
 *     i % LK_EW_LANES (a fixed pattern that vectorises), the lanes are combined by
 *     a fixed pairwise order, and the leaves by the shape-only tree.  The bits never
 *     depend on the thread count.
 */
#ifndef LOSSKIT_ELEMENTWISE_H
#define LOSSKIT_ELEMENTWISE_H

#include "internal.h"

#define LK_EW_BLOCK 256 /* elements per kernel call; divides LK_ELEM_LEAF */
#define LK_EW_LANES 8   /* partial sums inside a leaf; divides LK_EW_BLOCK */

/* The view of one block a kernel gets: LK_EW_BLOCK readable floats per pointer. */
typedef struct lk_ew_block {
    const float *x;  /* inputs (predictions, probabilities, logits, log-probabilities) */
    const float *y;  /* targets */
    const float *w;  /* per-element weights; all ones when the call has none */
    const float *pw; /* pos_weight of each element's column; all ones when none */
    bool has_w;      /* w was given (else all ones: a kernel may skip it) */
    bool has_pw;     /* pw was given (likewise) */
    double param;    /* Huber delta, SmoothL1 beta; unused otherwise */
    int flag;        /* BCE clamp mode, KL log_target; unused otherwise */
} lk_ew_block;

typedef void (*lk_ew_kernel)(const lk_ew_block *b, double *v);

/* What the driver needs to know about a loss. */
typedef struct lk_ew_loss {
    lk_ew_kernel fwd;
    lk_ew_kernel bwd;
    bool prob_domain; /* x and y must lie in [0, 1] (BCE): else LK_ERR_DOMAIN */
    bool batchmean;   /* LK_REDUCTION_BATCHMEAN (sum / rows) is accepted (KL) */
} lk_ew_loss;

/* One call: rows x cols contiguous elements (vectors pass rows = n, cols = 1). */
typedef struct lk_ew_call {
    const lk_ew_loss *loss;
    size_t rows, cols;
    const float *x, *y; /* rows * cols floats each */
    const float *w;     /* rows * cols floats, or NULL */
    const float *pw;    /* cols floats broadcast over rows, or NULL */
    double param;
    int flag;
    lk_reduction reduction;
} lk_ew_call;

/*
 * Forward: out gets 1 float (SUM, MEAN = sum / (rows * cols), BATCHMEAN = sum / rows)
 * or rows * cols floats (NONE; out may then be exactly x or y).
 */
LK_INTERNAL lk_status lk__ew_forward(const lk_ew_call *c, float *out);

/*
 * Backward: grad (rows * cols floats, may be exactly x or y) = d loss / d x times
 * grad_out (1 float, or rows * cols for NONE; NULL means 1), divided by the
 * reduction's count for MEAN / BATCHMEAN.
 */
LK_INTERNAL lk_status lk__ew_backward(const lk_ew_call *c, const float *grad_out,
                                      float *grad);

#endif /* LOSSKIT_ELEMENTWISE_H */
