/*
 * losskit.h - deterministic, OpenMP-parallel loss functions for C training loops.
 *
 * This single header is the whole public API.  Conventions used throughout:
 *
 *   Layout     float32 matrices are row-major: `rows` rows of `cols` entries, row r
 *              starting at x + r * ld.  `ld` (leading dimension, in elements) must be
 *              >= cols; a larger ld lets padded rows work.  Vectors are contiguous.
 *   Targets    class indices are int64_t, as in PyTorch.
 *   Outputs    every call OVERWRITES its outputs (gradients are never accumulated).
 *              Zero rows (rows == 0) is valid everywhere and gives PyTorch's empty
 *              results; zero cols is an error for the row-wise (class-axis) functions.
 *   Reduction  LK_REDUCTION_NONE writes one value per row (or element);
 *              LK_REDUCTION_SUM / LK_REDUCTION_MEAN write one float to out[0].
 *              Scalars are summed in double by a pairwise tree that depends only on
 *              the problem's shape (see lk_pairwise_sum_f32), then rounded to float.
 *   Gradients  `grad_out` is the incoming gradient d(total)/d(loss output): one float
 *              for SUM/MEAN, `rows` (or n) floats for NONE.  NULL means 1 everywhere.
 *   Errors     every function returns LK_OK or an lk_status error; all arguments are
 *              checked before anything is written, so on error no output has changed.
 *              The library never prints, aborts or exits.
 *   Threads    rows (and chunks of long rows) run in parallel with OpenMP.  Every
 *              output is bitwise identical for any OMP_NUM_THREADS, schedule, or a
 *              build without OpenMP.  Functions are reentrant: separate calls on
 *              separate buffers may run concurrently from several user threads.
 *   Aliasing   outputs must not overlap inputs unless a function says "in place".
 */
#ifndef LOSSKIT_H
#define LOSSKIT_H

#include <stddef.h>
#include <stdint.h>

#include "losskit_version.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(LK_BUILDING_LIBRARY) && defined(__GNUC__)
#  define LK_API __attribute__((visibility("default")))
#else
#  define LK_API
#endif
#if defined(__GNUC__)
#  define LK_NODISCARD __attribute__((warn_unused_result))
#else
#  define LK_NODISCARD
#endif

/* ------------------------------------------------------------------ status codes */

typedef enum lk_status {
    LK_OK = 0,
    LK_ERR_NULL = 1,      /* a required pointer is NULL */
    LK_ERR_SIZE = 2,      /* a size is zero where not allowed, or a byte count overflows size_t */
    LK_ERR_STRIDE = 3,    /* a leading dimension is smaller than the row length */
    LK_ERR_TARGET = 4,    /* a class index is outside [0, cols) and is not ignore_index */
    LK_ERR_DOMAIN = 5,    /* an input value outside its domain (probability not in [0,1], NaN) */
    LK_ERR_OPTION = 6,    /* an option is out of range (reduction, smoothing, delta, beta, ...) */
    LK_ERR_ALIAS = 7,     /* an output overlaps an input in a way the function does not allow */
    LK_ERR_OPTIONS_INIT = 8 /* an options struct was not made by its defaults initialiser */
} lk_status;

/* A short, static, human-readable description of a status code (never NULL). */
LK_API const char *lk_strerror(lk_status status);

/* Version of the library actually linked (LOSSKIT_VERSION is the header's). */
LK_API const char *lk_version(void);

typedef enum lk_reduction {
    LK_REDUCTION_MEAN = 0,
    LK_REDUCTION_SUM = 1,
    LK_REDUCTION_NONE = 2,
    LK_REDUCTION_BATCHMEAN = 3 /* KL divergence only: sum / rows */
} lk_reduction;

/* ------------------------------------------------------- deterministic reduction */

/*
 * Pairwise sum of n floats (or doubles), accumulated in double.  x is cut into leaf
 * blocks of LK_LEAF consecutive values summed left to right; the leaf sums are
 * combined by a balanced binary tree (a range of k leaves splits into floor(k/2) and
 * the rest).  The result depends only on n and the data: identical at any thread
 * count.  n == 0 gives 0.  Writes *out.  Errors: LK_ERR_NULL (x when n > 0, or out),
 * LK_ERR_SIZE (n * sizeof element overflows size_t).
 */
#define LK_LEAF 64
LK_API LK_NODISCARD lk_status lk_pairwise_sum_f32(size_t n, const float *x, double *out);
LK_API LK_NODISCARD lk_status lk_pairwise_sum_f64(size_t n, const double *x, double *out);

/* ----------------------------------------------------------- softmax (row-wise) */

/*
 * y[r, :] = log_softmax(x[r, :]) over each of `rows` rows of `cols` entries,
 * computed as (x - max) - log(sum(exp(x - max))).  -inf entries are masks (give
 * -inf); a row that is all -inf or holds +inf or NaN gives NaN for the whole row.
 * In place allowed (y == x with ldy == ldx); other overlap is LK_ERR_ALIAS.
 * Errors: LK_ERR_NULL, LK_ERR_SIZE (cols == 0 or overflow), LK_ERR_STRIDE, LK_ERR_ALIAS.
 */
LK_API LK_NODISCARD lk_status lk_log_softmax_f32(size_t rows, size_t cols,
                                                 const float *x, size_t ldx,
                                                 float *y, size_t ldy);

/* y = softmax(x) row-wise; same rules as lk_log_softmax_f32 (masked entries give 0). */
LK_API LK_NODISCARD lk_status lk_softmax_f32(size_t rows, size_t cols,
                                             const float *x, size_t ldx,
                                             float *y, size_t ldy);

/*
 * Backward of log_softmax: gx = gy - exp(y) * sum(gy), where y is the FORWARD OUTPUT
 * (log-probabilities).  Overwrites gx; in place over gy allowed (gx == gy, same ld).
 */
LK_API LK_NODISCARD lk_status lk_log_softmax_backward_f32(size_t rows, size_t cols,
                                                          const float *y, size_t ldy,
                                                          const float *gy, size_t ldgy,
                                                          float *gx, size_t ldgx);

/*
 * Backward of softmax: gx = y * (gy - sum(gy * y)), y the forward output
 * (probabilities).  Overwrites gx; in place over gy allowed.
 */
LK_API LK_NODISCARD lk_status lk_softmax_backward_f32(size_t rows, size_t cols,
                                                      const float *y, size_t ldy,
                                                      const float *gy, size_t ldgy,
                                                      float *gx, size_t ldgx);

/* ------------------------------------------------------------ cross-entropy */

/*
 * Options shared by the cross-entropy and NLL calls.  Always start from
 * lk_ce_options_default() (or LK_CE_OPTIONS_INIT) and change fields; a struct that
 * did not come from them (for instance zero-initialised, which would otherwise mean
 * "ignore class 0") is rejected with LK_ERR_OPTIONS_INIT.  Passing NULL for the
 * options pointer means the defaults: mean reduction, no class weights, no label
 * smoothing, ignore_index = -100.
 */
typedef struct lk_ce_options {
    uint32_t init_tag;          /* set by the initialiser; do not change */
    lk_reduction reduction;     /* NONE, SUM or MEAN (default MEAN) */
    const float *class_weight;  /* `cols` weights w_c, or NULL for all ones */
    float label_smoothing;      /* epsilon in [0, 1] (default 0) */
    int64_t ignore_index;       /* rows with this target count for nothing (default -100) */
} lk_ce_options;

#define LK_CE_OPTIONS_TAG 0x4C4B4345u /* "LKCE" */
#define LK_CE_OPTIONS_INIT { LK_CE_OPTIONS_TAG, LK_REDUCTION_MEAN, NULL, 0.0f, -100 }
LK_API lk_ce_options lk_ce_options_default(void);

/*
 * Cross-entropy with class-index targets (PyTorch F.cross_entropy):
 *   l_n = (1-eps) * (-w[t_n] * logp[n, t_n]) + (eps/cols) * (-sum_c w_c * logp[n, c])
 * with l_n = 0 when t_n == ignore_index.  MEAN divides the sum by
 * W = sum of w[t_n] over non-ignored rows (their count when unweighted); when every
 * row is ignored (or rows == 0) MEAN gives NaN and SUM gives 0.
 *   logits  rows x cols, leading dimension ld
 *   target  rows class indices
 *   out     1 float (SUM/MEAN) or rows floats (NONE, 0 for ignored rows)
 * Errors: LK_ERR_NULL, LK_ERR_SIZE, LK_ERR_STRIDE, LK_ERR_TARGET, LK_ERR_OPTION
 * (reduction not NONE/SUM/MEAN, smoothing outside [0,1] or NaN),
 * LK_ERR_OPTIONS_INIT, LK_ERR_ALIAS (out overlaps an input).
 */
LK_API LK_NODISCARD lk_status lk_cross_entropy_f32(size_t rows, size_t cols,
                                                   const float *logits, size_t ld,
                                                   const int64_t *target,
                                                   const lk_ce_options *opts,
                                                   float *out);

/*
 * Gradient of lk_cross_entropy_f32 w.r.t. the logits, scaled by grad_out (see top).
 * Overwrites grad (rows x cols, leading dimension ldg).  In place over the logits is
 * allowed (grad == logits with ldg == ld).  Ignored rows get zero gradient.
 */
LK_API LK_NODISCARD lk_status lk_cross_entropy_backward_f32(size_t rows, size_t cols,
                                                            const float *logits, size_t ld,
                                                            const int64_t *target,
                                                            const lk_ce_options *opts,
                                                            const float *grad_out,
                                                            float *grad, size_t ldg);

/*
 * The call for training loops: the loss (as lk_cross_entropy_f32 writes it) and the
 * gradient of that loss w.r.t. the logits (for NONE: of the sum of the per-row losses)
 * in one pass over the logits.  grad may be the logits themselves (grad == logits,
 * ldg == ld): the logits are then overwritten and no second rows x cols buffer is
 * needed.  The loss is written to `loss` (1 or rows floats), which must not overlap
 * the logits or grad.
 */
LK_API LK_NODISCARD lk_status lk_cross_entropy_fused_f32(size_t rows, size_t cols,
                                                         float *logits, size_t ld,
                                                         const int64_t *target,
                                                         const lk_ce_options *opts,
                                                         float *loss,
                                                         float *grad, size_t ldg);

/*
 * Negative log-likelihood on log-probabilities (PyTorch F.nll_loss): the same as
 * lk_cross_entropy_f32 with logp given directly instead of computed from logits.
 * Label smoothing, if set, is applied with the same formula.
 */
LK_API LK_NODISCARD lk_status lk_nll_f32(size_t rows, size_t cols,
                                         const float *logp, size_t ld,
                                         const int64_t *target,
                                         const lk_ce_options *opts, float *out);

/* Gradient of lk_nll_f32 w.r.t. logp; overwrites grad (in place over logp allowed). */
LK_API LK_NODISCARD lk_status lk_nll_backward_f32(size_t rows, size_t cols,
                                                  const float *logp, size_t ld,
                                                  const int64_t *target,
                                                  const lk_ce_options *opts,
                                                  const float *grad_out,
                                                  float *grad, size_t ldg);

/*
 * Cross-entropy with probability ("soft") targets, rows x cols target matrix with
 * leading dimension ldt (not renormalised).  With smoothing eps, t' = t(1-eps) + eps/cols.
 *   l_n = -sum_c w_c * logp[n, c] * t'[n, c];   MEAN divides by rows.
 * opts->ignore_index is not used.  Same errors as lk_cross_entropy_f32 but no
 * LK_ERR_TARGET (target values are not checked: NaN and negatives propagate).
 */
LK_API LK_NODISCARD lk_status lk_cross_entropy_prob_f32(size_t rows, size_t cols,
                                                        const float *logits, size_t ld,
                                                        const float *target, size_t ldt,
                                                        const lk_ce_options *opts,
                                                        float *out);

LK_API LK_NODISCARD lk_status lk_cross_entropy_prob_backward_f32(size_t rows, size_t cols,
                                                                 const float *logits, size_t ld,
                                                                 const float *target, size_t ldt,
                                                                 const lk_ce_options *opts,
                                                                 const float *grad_out,
                                                                 float *grad, size_t ldg);

LK_API LK_NODISCARD lk_status lk_cross_entropy_prob_fused_f32(size_t rows, size_t cols,
                                                              float *logits, size_t ld,
                                                              const float *target, size_t ldt,
                                                              const lk_ce_options *opts,
                                                              float *loss,
                                                              float *grad, size_t ldg);

/* ------------------------------------------- regression losses (element-wise) */

/*
 * Element-wise losses over n values: input x[i], target y[i], z = x - y.
 *   MSE        l = z^2                                     dl/dx = 2z
 *   L1         l = |z|                                     dl/dx = sign(z) (0 at z == 0)
 *   Huber      l = 0.5 z^2 if |z| < delta,                 dl/dx = clamp(z, -delta, delta)
 *                  else delta (|z| - 0.5 delta)
 *   SmoothL1   l = 0.5 z^2 / beta if |z| < beta,           dl/dx = clamp(z / beta, -1, 1)
 *                  else |z| - 0.5 beta
 * delta must be > 0 (+inf allowed: pure 0.5 z^2); beta >= 0 (+inf allowed), and
 * beta == 0 is exactly L1, gradient 0 at z == 0 (PyTorch 1.13 gives -1 there).
 * SmoothL1(beta) equals Huber(delta = beta) / beta.  z is formed and the loss
 * evaluated in double, then rounded to float.
 *
 * Forward: out gets n floats (NONE) or 1 float: SUM, or MEAN = sum / n (n == 0
 * gives NaN for MEAN and 0 for SUM).  Sums are taken in double by the shape-only
 * tree (bitwise identical at any thread count).  For NONE, out may be x or y
 * itself (in place); otherwise out must not overlap x or y.
 * Backward: OVERWRITES grad (n floats) with dl/dx times grad_out (1 float for
 * SUM/MEAN, n floats for NONE; NULL means 1), divided by n for MEAN.  grad may be
 * x or y itself (in place); no other overlap with x, y or grad_out.
 * Pointers may be NULL only where they address no element (n == 0 for x, y, grad
 * and out under NONE).  NaN and infinities propagate by IEEE rules.
 * Errors (nothing is written): LK_ERR_NULL, LK_ERR_SIZE (n * sizeof(float)
 * overflows), LK_ERR_OPTION (reduction not NONE/SUM/MEAN; Huber delta <= 0 or NaN;
 * SmoothL1 beta < 0 or NaN), LK_ERR_ALIAS.
 */
LK_API LK_NODISCARD lk_status lk_mse_f32(size_t n, const float *x, const float *y,
                                         lk_reduction reduction, float *out);
LK_API LK_NODISCARD lk_status lk_mse_backward_f32(size_t n, const float *x, const float *y,
                                                  lk_reduction reduction,
                                                  const float *grad_out, float *grad);
LK_API LK_NODISCARD lk_status lk_l1_f32(size_t n, const float *x, const float *y,
                                        lk_reduction reduction, float *out);
LK_API LK_NODISCARD lk_status lk_l1_backward_f32(size_t n, const float *x, const float *y,
                                                 lk_reduction reduction,
                                                 const float *grad_out, float *grad);
LK_API LK_NODISCARD lk_status lk_huber_f32(size_t n, const float *x, const float *y,
                                           float delta, lk_reduction reduction, float *out);
LK_API LK_NODISCARD lk_status lk_huber_backward_f32(size_t n, const float *x, const float *y,
                                                    float delta, lk_reduction reduction,
                                                    const float *grad_out, float *grad);
LK_API LK_NODISCARD lk_status lk_smooth_l1_f32(size_t n, const float *x, const float *y,
                                               float beta, lk_reduction reduction, float *out);
LK_API LK_NODISCARD lk_status lk_smooth_l1_backward_f32(size_t n, const float *x,
                                                        const float *y, float beta,
                                                        lk_reduction reduction,
                                                        const float *grad_out, float *grad);

/* ------------------------------------------------------------ binary losses */

/*
 * All binary losses below follow the element-wise rules of the regression losses
 * (reductions, n == 0, grad_out, overwrite, in place over x or y, NULL only for
 * zero elements, sums in double by the shape-only tree).  Weights w and pos_weight
 * are never in place: an output overlapping them is LK_ERR_ALIAS.
 */

/*
 * How binary cross-entropy on probabilities keeps log(0) finite.
 *
 * LK_BCE_CLAMP_LOG (the default, value 0) is PyTorch's nn.BCELoss: each log term is
 * floored at -100, so p = 0 or 1 with a disagreeing target costs exactly 100 * w and
 * the loss agrees with PyTorch for every p in [0, 1].  It is the default because
 * code moved from PyTorch then gives the same numbers, and because it leaves every
 * p whose log is above -100 (p > 3.7e-44) untouched, where the input clamp biases
 * all p within 1e-7 of 0 or 1.  Its gradient is PyTorch's,
 *   dl/dp = w (p - y) / max(p (1 - p), 1e-12),
 * which is not the derivative of the floored logs: it stays large (+-1e12 w at
 * p = 0 or 1 with a disagreeing target, 0 when the target agrees) instead of
 * dropping to 0, so training still pushes a saturated probability back.
 *
 * LK_BCE_CLAMP_INPUT is the seed's: p is first clamped (in double) to
 * [eps, 1 - eps], eps = 1e-7, so p = 0 or 1 with a disagreeing target costs about
 * -log(1e-7) = 16.118 * w.  Its gradient is that of the clamped formula:
 * w (p - y) / (p (1 - p)) for eps <= p <= 1 - eps and 0 outside (the clamp passes
 * no gradient).  The bounds 1e-7 and 1 - 1e-7 are not float values, so every float
 * p is strictly inside or strictly outside.
 */
typedef enum lk_bce_clamp {
    LK_BCE_CLAMP_LOG = 0,   /* default, PyTorch: each log term is floored at -100 */
    LK_BCE_CLAMP_INPUT = 1  /* the seed's: p is clamped to [1e-7, 1 - 1e-7] first */
} lk_bce_clamp;

/*
 * Binary cross-entropy on probabilities p (n values) with targets y (n values,
 * soft targets in [0,1] allowed) and optional per-element weights w (n values or
 * NULL for all ones):
 *   l = -w [y log p + (1 - y) log(1 - p)]      (logs in double; see lk_bce_clamp)
 * out: n floats (NONE) or 1 (SUM; MEAN divides by n, never by a weight sum).
 * Backward writes dl/dp as documented for the clamp mode, times grad_out.
 * The whole of p and y is scanned before anything is written: any value outside
 * [0, 1] or NaN is LK_ERR_DOMAIN (weights are not checked; NaN there propagates).
 * Errors: LK_ERR_NULL, LK_ERR_SIZE, LK_ERR_OPTION (reduction not NONE/SUM/MEAN, clamp
 * not an lk_bce_clamp value), LK_ERR_ALIAS, LK_ERR_DOMAIN.
 */
LK_API LK_NODISCARD lk_status lk_bce_f32(size_t n, const float *p, const float *y,
                                         const float *w, lk_bce_clamp clamp,
                                         lk_reduction reduction, float *out);
LK_API LK_NODISCARD lk_status lk_bce_backward_f32(size_t n, const float *p, const float *y,
                                                  const float *w, lk_bce_clamp clamp,
                                                  lk_reduction reduction,
                                                  const float *grad_out, float *grad);

/*
 * Binary cross-entropy with logits (PyTorch's BCEWithLogitsLoss) on a rows x cols
 * contiguous matrix x with targets y (same shape, soft targets allowed, not
 * checked), optional per-element weight w (same shape, or NULL) and optional
 * pos_weight P (cols values, P[c] for every element of column c, or NULL for 1):
 *   l = w [(1 - y) x + (1 + (P - 1) y) (log1p(exp(-|x|)) + max(-x, 0))]
 *     = w [P y softplus(-x) + (1 - y) softplus(x)]       (the form computed)
 *   dl/dx = w [(P y + 1 - y) sigmoid(x) - P y]
 *         = w [(1 - y) sigmoid(x) - P y sigmoid(-x)]   (the form computed)
 * Stable for any finite x (x = +-1000 gives losses of 1000 and gradients in
 * [-P w, w]); +-inf gives inf or NaN, as PyTorch.  exp and log1p are evaluated in
 * float (relative error below 3e-7 per element), the rest in double.
 * out: rows * cols floats (NONE) or 1 (SUM; MEAN divides by rows * cols).
 * Backward: grad has rows * cols floats; grad_out 1 or rows * cols floats.
 * rows == 0 is valid; cols == 0 is LK_ERR_SIZE.
 * Errors: LK_ERR_NULL, LK_ERR_SIZE (cols == 0, rows * cols * sizeof(float)
 * overflows, or cols * sizeof(float) does when pos_weight is given), LK_ERR_OPTION
 * (reduction not NONE/SUM/MEAN), LK_ERR_ALIAS.
 */
LK_API LK_NODISCARD lk_status lk_bce_logits_f32(size_t rows, size_t cols,
                                                const float *x, const float *y,
                                                const float *w, const float *pos_weight,
                                                lk_reduction reduction, float *out);
LK_API LK_NODISCARD lk_status lk_bce_logits_backward_f32(size_t rows, size_t cols,
                                                         const float *x, const float *y,
                                                         const float *w,
                                                         const float *pos_weight,
                                                         lk_reduction reduction,
                                                         const float *grad_out, float *grad);

/*
 * KL divergence (PyTorch F.kl_div): input x holds log-probabilities, target t
 * probabilities (log_target == 0) or log-probabilities (log_target != 0), both
 * rows x cols contiguous (values are not checked).  In double:
 *   log_target == 0: l = t log t - t x, with 0 log 0 = 0      dl/dx = -t
 *                    (so t = 0 with x = -inf gives NaN, as in PyTorch)
 *   log_target != 0: l = exp(t) (t - x)                        dl/dx = -exp(t)
 * out: rows * cols floats (NONE) or 1: SUM, MEAN (/ (rows * cols)) or BATCHMEAN
 * (/ rows, PyTorch's reduction="batchmean"); rows == 0 gives NaN for MEAN and
 * BATCHMEAN.  Backward writes dl/dx (the gradient w.r.t. x only) times grad_out,
 * divided by rows * cols (MEAN) or rows (BATCHMEAN).  cols == 0 is LK_ERR_SIZE.
 * Errors: LK_ERR_NULL, LK_ERR_SIZE, LK_ERR_OPTION (reduction not NONE, SUM, MEAN
 * or BATCHMEAN), LK_ERR_ALIAS.
 */
LK_API LK_NODISCARD lk_status lk_kl_div_f32(size_t rows, size_t cols,
                                            const float *x, const float *t, int log_target,
                                            lk_reduction reduction, float *out);
LK_API LK_NODISCARD lk_status lk_kl_div_backward_f32(size_t rows, size_t cols,
                                                     const float *x, const float *t,
                                                     int log_target, lk_reduction reduction,
                                                     const float *grad_out, float *grad);

#ifdef __cplusplus
}
#endif

#endif /* LOSSKIT_H */
