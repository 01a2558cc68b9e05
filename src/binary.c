/*
 * binary.c - binary cross-entropy on probabilities, binary cross-entropy with
 * logits, and KL divergence, as kernels of the element-wise driver (elementwise.h).
 *
 * BCE and KL use the C library's log / log1p / exp in double.  BCE with logits is
 * the hot one (large multi-label heads): its exp(-|x|) and log1p are the library's
 * float polynomials of vmath.h, in portable C that compilers vectorise, or in
 * AVX2+FMA when the CPU has it (the choice of the row kernels, lk__cpu_avx2); the
 * loss and gradient are then assembled in double from those float pieces.
 *
 * Measured on the target machine (AMD EPYC, a 256-element block in L1, cycles per 8
 * elements): forward 23.5 with vmath.h's exp and log1p, 60 with SLEEF's
 * Sleef_expf8_u10avx2 and Sleef_log1pf8_u10avx2 (35 with SLEEF's exp alone, 49 with
 * its log1p alone); backward (exp only) 16.8 against 28 with SLEEF's exp.  The
 * portable kernels take 91 and 60.
 */
#include "elementwise.h"
#include "vmath.h"

#include <math.h>

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
            double p = (double)x[k], t = (double)y[k];
            double s = t * floor_log(log(p)) + (1.0 - t) * floor_log(log1p(-p));
            v[k] = -(double)w[k] * s;
        }
    } else {
        for (size_t k = 0; k < LK_EW_BLOCK; k++) {
            double p = (double)x[k], t = (double)y[k];
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
            double p = (double)x[k], t = (double)y[k], d = p * (1.0 - p);
            v[k] = (double)w[k] * (p - t) / (d < BCE_GRAD_EPS ? BCE_GRAD_EPS : d);
        }
    } else {
        for (size_t k = 0; k < LK_EW_BLOCK; k++) {
            double p = (double)x[k], t = (double)y[k];
            bool inside = p >= BCE_EPS && p <= 1.0 - BCE_EPS;
            v[k] = (double)w[k] * (inside ? (p - t) / (p * (1.0 - p)) : 0.0);
        }
    }
}

/* ============================================================ BCE with logits */

/*
 * The loss in a form without cancellation, equal to the spec's
 * (1 - y) x + (1 + (P - 1) y) (log1p(exp(-|x|)) + max(-x, 0)):
 *   l = w [P y softplus(-x) + (1 - y) softplus(x)],
 *   softplus(+-x) = max(+-x, 0) + log1p(exp(-|x|)).
 * The float pass computes max(x, 0), max(-x, 0) and log1p(exp(-|x|)) (vmath.h);
 * the double pass assembles the loss.  |x| = inf gives inf or NaN (as PyTorch).
 */
static void bce_logits_fwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y, *w = b->w, *pw = b->pw;
    float pos[LK_EW_BLOCK], neg[LK_EW_BLOCK], e[LK_EW_BLOCK];
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        float xk = x[k];
        pos[k] = lk__select_f(xk > 0.0f, xk, 0.0f);
        neg[k] = lk__select_f(xk < 0.0f, -xk, 0.0f);
        e[k] = lk__log1p_unit(lk__exp_le0(-fabsf(xk)));
    }
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        double t = (double)y[k], ek = (double)e[k];
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
        float xk = x[k], t = lk__exp_le0(-fabsf(xk));
        float big = 1.0f / (1.0f + t), small = t * big;
        sig_pos[k] = lk__select_f(xk >= 0.0f, big, small);
        sig_neg[k] = lk__select_f(xk >= 0.0f, small, big);
    }
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        double t = (double)y[k];
        v[k] = (double)w[k] * ((1.0 - t) * (double)sig_pos[k] -
                               (double)pw[k] * t * (double)sig_neg[k]);
    }
}

static const lk_ew_loss BCE_LOGITS = { bce_logits_fwd, bce_logits_bwd, false, false };

#ifdef LK_HAVE_AVX2_KERNELS
/*
 * The same two kernels in AVX2+FMA: the float pieces from vmath.h's AVX2 exp and
 * log1p, then the loss or gradient assembled in double by the portable kernels'
 * operations in their order (so the same pieces give the same bits).  Each works in
 * passes over the block through an L1 buffer (exp, then log1p or the sigmoids, then
 * the double assembly): one loop doing all of it is 1.8 times slower, its long
 * dependency chains leaving the FMA units idle.
 */

/* -x and |x| of 8 floats */
LK_AVX2 static inline __m256 neg8(__m256 x)
{
    return _mm256_xor_ps(x, _mm256_set1_ps(-0.0f));
}

LK_AVX2 static inline __m256 abs8(__m256 x)
{
    return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
}

/* The 4 floats at p, in double. */
LK_AVX2 static inline __m256d load4_pd(const float *p)
{
    return _mm256_cvtps_pd(_mm_loadu_ps(p));
}

/* v[k, k + 4) = w ((pw t) sp_neg + (1 - t) sp_pos), t = y, sp_neg = max(-x, 0) + e,
 * sp_pos = max(x, 0) + e; w and pw only when the call has them (a product by 1
 * changes nothing). */
LK_AVX2 static inline void bce_logits_loss4(double *v, const lk_ew_block *b, size_t k,
                                            const float *e)
{
    const __m256d zero = _mm256_setzero_pd();
    __m256d x = load4_pd(b->x + k), t = load4_pd(b->y + k), ek = load4_pd(e + k);
    /* max(+-x, 0): NaN gives 0 (max returns its second operand) */
    __m256d neg = _mm256_max_pd(_mm256_xor_pd(x, _mm256_set1_pd(-0.0)), zero);
    __m256d pos = _mm256_max_pd(x, zero);
    __m256d sp_neg = _mm256_add_pd(neg, ek), sp_pos = _mm256_add_pd(pos, ek);
    __m256d pt = b->has_pw ? _mm256_mul_pd(load4_pd(b->pw + k), t) : t;
    __m256d one_t = _mm256_sub_pd(_mm256_set1_pd(1.0), t);
    __m256d l = _mm256_add_pd(_mm256_mul_pd(pt, sp_neg), _mm256_mul_pd(one_t, sp_pos));
    if (b->has_w)
        l = _mm256_mul_pd(load4_pd(b->w + k), l);
    _mm256_storeu_pd(v + k, l);
}

/* The block's losses: e = exp(-|x|), then e = log1p(e), then the assembly. */
LK_AVX2 static void bce_logits_fwd_avx2(const lk_ew_block *b, double *v)
{
    float e[LK_EW_BLOCK] __attribute__((aligned(32)));
    for (size_t k = 0; k < LK_EW_BLOCK; k += 8)
        _mm256_store_ps(e + k, lk__exp8(neg8(abs8(_mm256_loadu_ps(b->x + k)))));
    for (size_t k = 0; k < LK_EW_BLOCK; k += 8)
        _mm256_store_ps(e + k, lk__log1p8_unit(_mm256_load_ps(e + k)));
    for (size_t k = 0; k < LK_EW_BLOCK; k += 4)
        bce_logits_loss4(v, b, k, e);
}

/* v[k, k + 4) = w ((1 - t) sig_pos - (pw t) sig_neg), t = y, sig_pos = sigmoid(x)
 * and sig_neg = sigmoid(-x) read from s_pos and s_neg (weights as above). */
LK_AVX2 static inline void bce_logits_grad4(double *v, const lk_ew_block *b, size_t k,
                                            const float *s_pos, const float *s_neg)
{
    __m256d t = load4_pd(b->y + k);
    __m256d pt = b->has_pw ? _mm256_mul_pd(load4_pd(b->pw + k), t) : t;
    __m256d one_t = _mm256_sub_pd(_mm256_set1_pd(1.0), t);
    __m256d g = _mm256_sub_pd(_mm256_mul_pd(one_t, load4_pd(s_pos + k)),
                              _mm256_mul_pd(pt, load4_pd(s_neg + k)));
    if (b->has_w)
        g = _mm256_mul_pd(load4_pd(b->w + k), g);
    _mm256_storeu_pd(v + k, g);
}

/* The block's gradients: exp(-|x|) (into s_neg), the two sigmoids, the assembly. */
LK_AVX2 static void bce_logits_bwd_avx2(const lk_ew_block *b, double *v)
{
    float s_pos[LK_EW_BLOCK] __attribute__((aligned(32)));
    float s_neg[LK_EW_BLOCK] __attribute__((aligned(32)));
    const __m256 one = _mm256_set1_ps(1.0f);
    for (size_t k = 0; k < LK_EW_BLOCK; k += 8)
        _mm256_store_ps(s_neg + k, lk__exp8(neg8(abs8(_mm256_loadu_ps(b->x + k)))));
    for (size_t k = 0; k < LK_EW_BLOCK; k += 8) {
        /* t = exp(-|x|): sigmoid(|x|) = 1 / (1 + t), sigmoid(-|x|) = t / (1 + t) */
        __m256 x = _mm256_loadu_ps(b->x + k), t = _mm256_load_ps(s_neg + k);
        __m256 big = _mm256_div_ps(one, _mm256_add_ps(one, t));
        __m256 small = _mm256_mul_ps(t, big);
        __m256 ge = _mm256_cmp_ps(x, _mm256_setzero_ps(), _CMP_GE_OQ);
        _mm256_store_ps(s_pos + k, _mm256_blendv_ps(small, big, ge));
        _mm256_store_ps(s_neg + k, _mm256_blendv_ps(big, small, ge));
    }
    for (size_t k = 0; k < LK_EW_BLOCK; k += 4)
        bce_logits_grad4(v, b, k, s_pos, s_neg);
}

static const lk_ew_loss BCE_LOGITS_AVX2 = { bce_logits_fwd_avx2, bce_logits_bwd_avx2,
                                            false, false };
#endif /* LK_HAVE_AVX2_KERNELS */

/* The kernels for this CPU (the same choice as the row kernels'). */
static const lk_ew_loss *bce_logits_loss(void)
{
#ifdef LK_HAVE_AVX2_KERNELS
    if (lk__cpu_avx2())
        return &BCE_LOGITS_AVX2;
#endif
    return &BCE_LOGITS;
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
        double t = (double)y[k], xk = (double)x[k];
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
    lk_ew_call c = { bce_logits_loss(), rows, cols, x, y, w, pos_weight, 0.0, 0, reduction };
    return lk__ew_forward(&c, out);
}

lk_status lk_bce_logits_backward_f32(size_t rows, size_t cols, const float *x,
                                     const float *y, const float *w,
                                     const float *pos_weight, lk_reduction reduction,
                                     const float *grad_out, float *grad)
{
    lk_ew_call c = { bce_logits_loss(), rows, cols, x, y, w, pos_weight, 0.0, 0, reduction };
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
