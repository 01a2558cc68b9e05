/*
 * binary.c - binary cross-entropy on probabilities, binary cross-entropy with
 * logits, and KL divergence, as kernels of the element-wise driver (elementwise.h).
 *
 * BCE and KL use the C library's log / log1p / exp in double.  BCE with logits is
 * the hot one (large multi-label heads), so its exp and log1p are written here as
 * branch-free float polynomials that compilers vectorise; the loss and gradient
 * are then assembled in double from those float pieces.
 */
#include "elementwise.h"

#include <math.h>
#include <string.h>

/* ========================================= BCE on probabilities (double, libm) */

#define BCE_LOG_FLOOR (-100.0) /* PyTorch's floor for each log term */
#define BCE_EPS 1e-7           /* the seed's input clamp [eps, 1 - eps] */
#define BCE_GRAD_EPS 1e-12     /* PyTorch's floor for p (1 - p) in the gradient */

static inline double floor_log(double l)
{
    return l < BCE_LOG_FLOOR ? BCE_LOG_FLOOR : l;
}

/*
 * l = -w [y log p + (1 - y) log(1 - p)] with, by clamp mode:
 *   LK_BCE_CLAMP_LOG    each log term floored at -100 (log(1 - p) as log1p(-p));
 *   LK_BCE_CLAMP_INPUT  p replaced by c = clamp(p, 1e-7, 1 - 1e-7) (in double).
 * x = p and y lie in [0, 1]: the driver has checked them.
 */
static void bce_fwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y, *w = b->w;
    if (b->flag == LK_BCE_CLAMP_LOG) {
        for (size_t k = 0; k < LK_EW_BLOCK; k++) {
            double p = x[k], t = y[k];
            double s = t * floor_log(log(p)) + (1.0 - t) * floor_log(log1p(-p));
            v[k] = -(double)w[k] * s;
        }
    } else {
        for (size_t k = 0; k < LK_EW_BLOCK; k++) {
            double p = x[k], t = y[k];
            double c = p < BCE_EPS ? BCE_EPS : (p > 1.0 - BCE_EPS ? 1.0 - BCE_EPS : p);
            v[k] = -(double)w[k] * (t * log(c) + (1.0 - t) * log1p(-c));
        }
    }
}

/*
 * dl/dp:
 *   LK_BCE_CLAMP_LOG    w (p - y) / max(p (1 - p), 1e-12), PyTorch's formula (it is
 *                       not the derivative of the floored logs: at p = 0 or 1 it
 *                       gives +-1e12 * w instead of 0 when the target disagrees);
 *   LK_BCE_CLAMP_INPUT  the derivative of the clamped formula: w (p - y) / (p (1 - p))
 *                       inside [1e-7, 1 - 1e-7] (bounds included), 0 outside.
 */
static void bce_bwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y, *w = b->w;
    if (b->flag == LK_BCE_CLAMP_LOG) {
        for (size_t k = 0; k < LK_EW_BLOCK; k++) {
            double p = x[k], t = y[k], d = p * (1.0 - p);
            v[k] = (double)w[k] * (p - t) / (d < BCE_GRAD_EPS ? BCE_GRAD_EPS : d);
        }
    } else {
        for (size_t k = 0; k < LK_EW_BLOCK; k++) {
            double p = x[k], t = y[k];
            bool inside = p >= BCE_EPS && p <= 1.0 - BCE_EPS;
            v[k] = (double)w[k] * (inside ? (p - t) / (p * (1.0 - p)) : 0.0);
        }
    }
}

/* ===================================== BCE with logits (vectorised float math) */

/* c ? a : b without a branch; a ?: on floats stays a branch under -ftrapping-math. */
static inline float select_f(bool c, float a, float b)
{
    uint32_t m = -(uint32_t)c, ua, ub;
    memcpy(&ua, &a, sizeof ua);
    memcpy(&ub, &b, sizeof ub);
    uint32_t r = (ua & m) | (ub & ~m);
    float f;
    memcpy(&f, &r, sizeof f);
    return f;
}

/*
 * exp(-a) for a >= 0 (NaN gives NaN).  a is capped at 87, so results below
 * exp(-87) ~ 1.6e-38 (the bottom of float's normal range) come out as exp(-87).
 * a = k ln2 + r with k = round(a / ln2), |r| <= ln2 / 2 (ln2 split in two so k ln2
 * is exact), exp(-a) = 2^-k exp(-r), exp(-r) by its Taylor polynomial of degree 8
 * (truncation < 3e-10).  Measured error: below 1.6 * 2^-24 relative.
 */
static inline float exp_neg(float a)
{
    const float inv_ln2 = 0x1.715476p+0f, shift = 0x1.8p+23f;
    const float ln2_hi = 0x1.62e4p-1f, ln2_lo = 0x1.7f7d1cp-20f;
    a = select_f(a > 87.0f, 87.0f, a);
    float t = a * inv_ln2 + shift; /* round(a / ln2) in the low mantissa bits */
    float kf = t - shift;
    float u = kf * ln2_lo - (a - kf * ln2_hi); /* u = -r */
    uint32_t tb, sb;
    memcpy(&tb, &t, sizeof tb);
    memcpy(&sb, &shift, sizeof sb);
    uint32_t scale_bits = (127u - (tb - sb)) << 23; /* 2^-k, k in [0, 126] */
    float scale;
    memcpy(&scale, &scale_bits, sizeof scale);
    float p = 1.0f / 5040 + u * (1.0f / 40320);
    p = 1.0f / 720 + u * p;
    p = 1.0f / 120 + u * p;
    p = 1.0f / 24 + u * p;
    p = 1.0f / 6 + u * p;
    p = 0.5f + u * p;
    p = 1.0f + u * p;
    p = 1.0f + u * p;
    return p * scale;
}

/*
 * log1p(t) for t in [0, 1]: with s = t / (2 + t) in [0, 1/3],
 * log1p(t) = 2 atanh(s) = 2s + 2s (s^2/3 + s^4/5 + ... + s^12/13), truncation
 * below 1.5e-8 relative.  Measured error of log1p(exp_neg(a)): below 3.5 * 2^-24.
 */
static inline float log1p_unit(float t)
{
    float s = t / (2.0f + t), q = s * s;
    float p = 1.0f / 11 + q * (1.0f / 13);
    p = 1.0f / 9 + q * p;
    p = 1.0f / 7 + q * p;
    p = 1.0f / 5 + q * p;
    p = 1.0f / 3 + q * p;
    float s2 = 2.0f * s;
    return s2 + s2 * (q * p);
}

/*
 * The loss in a form without cancellation, equal to the spec's
 * (1 - y) x + (1 + (P - 1) y) (log1p(exp(-|x|)) + max(-x, 0)):
 *   l = w [P y softplus(-x) + (1 - y) softplus(x)],
 *   softplus(+-x) = max(+-x, 0) + log1p(exp(-|x|)).
 * The float pass computes max(x, 0), max(-x, 0) and log1p(exp(-|x|)); the double
 * pass assembles the loss.  |x| = inf gives inf or NaN (as PyTorch).
 */
static void bce_logits_fwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y, *w = b->w, *pw = b->pw;
    float pos[LK_EW_BLOCK], neg[LK_EW_BLOCK], e[LK_EW_BLOCK];
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        float xk = x[k];
        pos[k] = select_f(xk > 0.0f, xk, 0.0f);
        neg[k] = select_f(xk < 0.0f, -xk, 0.0f);
        e[k] = log1p_unit(exp_neg(fabsf(xk)));
    }
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        double t = y[k], ek = e[k];
        double sp_neg = (double)neg[k] + ek, sp_pos = (double)pos[k] + ek;
        v[k] = (double)w[k] * ((double)pw[k] * t * sp_neg + (1.0 - t) * sp_pos);
    }
}

/*
 * dl/dx = w [(P y + 1 - y) sigmoid(x) - P y] = w [(1 - y) sigmoid(x) - P y sigmoid(-x)],
 * the second form exact for hard targets (no 1 - sigmoid cancellation).  With
 * t = exp(-|x|): sigmoid(|x|) = 1 / (1 + t), sigmoid(-|x|) = t / (1 + t).
 */
static void bce_logits_bwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y, *w = b->w, *pw = b->pw;
    float sig_pos[LK_EW_BLOCK], sig_neg[LK_EW_BLOCK];
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        float xk = x[k], t = exp_neg(fabsf(xk));
        float big = 1.0f / (1.0f + t), small = t * big;
        sig_pos[k] = select_f(xk >= 0.0f, big, small);
        sig_neg[k] = select_f(xk >= 0.0f, small, big);
    }
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        double t = y[k];
        v[k] = (double)w[k] * ((1.0 - t) * (double)sig_pos[k] -
                               (double)pw[k] * t * (double)sig_neg[k]);
    }
}

/* ======================================================= KL divergence */

/*
 * x holds log-probabilities, y the target: probabilities t (flag 0) or log t (flag 1).
 *   flag 0: l = xlogy(t, t) - t x   (xlogy(0, 0) = 0; PyTorch's form, so t = 0 with
 *                                    x = -inf gives NaN, as there), dl/dx = -t
 *   flag 1: l = exp(t) (t - x),      dl/dx = -exp(t)
 */
static void kl_fwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y;
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        double t = y[k], xk = x[k];
        if (b->flag)
            v[k] = exp(t) * (t - xk);
        else
            v[k] = (t == 0.0 ? 0.0 : t * log(t)) - t * xk;
    }
}

static void kl_bwd(const lk_ew_block *b, double *v)
{
    const float *y = b->y;
    for (size_t k = 0; k < LK_EW_BLOCK; k++)
        v[k] = b->flag ? -exp((double)y[k]) : -(double)y[k];
}

static const lk_ew_loss BCE = { bce_fwd, bce_bwd, true, false };
static const lk_ew_loss BCE_LOGITS = { bce_logits_fwd, bce_logits_bwd, false, false };
static const lk_ew_loss KL = { kl_fwd, kl_bwd, false, true };

/* ====================================================== public entry points */

lk_status lk_bce_f32(size_t n, const float *p, const float *y, const float *w,
                     lk_bce_clamp clamp, lk_reduction reduction, float *out)
{
    if (clamp != LK_BCE_CLAMP_LOG && clamp != LK_BCE_CLAMP_INPUT)
        return LK_ERR_OPTION;
    lk_ew_call c = { &BCE, n, 1, p, y, w, NULL, 0.0, (int)clamp, reduction };
    return lk__ew_forward(&c, out);
}

lk_status lk_bce_backward_f32(size_t n, const float *p, const float *y, const float *w,
                              lk_bce_clamp clamp, lk_reduction reduction,
                              const float *grad_out, float *grad)
{
    if (clamp != LK_BCE_CLAMP_LOG && clamp != LK_BCE_CLAMP_INPUT)
        return LK_ERR_OPTION;
    lk_ew_call c = { &BCE, n, 1, p, y, w, NULL, 0.0, (int)clamp, reduction };
    return lk__ew_backward(&c, grad_out, grad);
}

lk_status lk_bce_logits_f32(size_t rows, size_t cols, const float *x, const float *y,
                            const float *w, const float *pos_weight,
                            lk_reduction reduction, float *out)
{
    lk_ew_call c = { &BCE_LOGITS, rows, cols, x, y, w, pos_weight, 0.0, 0, reduction };
    return lk__ew_forward(&c, out);
}

lk_status lk_bce_logits_backward_f32(size_t rows, size_t cols, const float *x,
                                     const float *y, const float *w,
                                     const float *pos_weight, lk_reduction reduction,
                                     const float *grad_out, float *grad)
{
    lk_ew_call c = { &BCE_LOGITS, rows, cols, x, y, w, pos_weight, 0.0, 0, reduction };
    return lk__ew_backward(&c, grad_out, grad);
}

lk_status lk_kl_div_f32(size_t rows, size_t cols, const float *x, const float *t,
                        int log_target, lk_reduction reduction, float *out)
{
    lk_ew_call c = { &KL, rows, cols, x, t, NULL, NULL, 0.0, log_target != 0, reduction };
    return lk__ew_forward(&c, out);
}

lk_status lk_kl_div_backward_f32(size_t rows, size_t cols, const float *x, const float *t,
                                 int log_target, lk_reduction reduction,
                                 const float *grad_out, float *grad)
{
    lk_ew_call c = { &KL, rows, cols, x, t, NULL, NULL, 0.0, log_target != 0, reduction };
    return lk__ew_backward(&c, grad_out, grad);
}
