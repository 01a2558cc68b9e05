/*
 * rowkernels.c - the inner loops of the row-wise (class-axis) functions.  Each
 * kernel works on one stretch x[0, n) of a row (a whole row, or one LK_CHUNK chunk
 * of a long row): the max, the sum of exponentials (optionally writing them), the
 * weighted sums of the smoothed and probability-target losses, and the element-wise
 * writes of log_softmax, softmax and the cross-entropy gradient.
 *
 * Three sets share the contract written in internal.h (lk_rowk): portable C, AVX2+FMA
 * intrinsics, and the AVX2 set with an AVX-512 exp sum, each compiled for its target
 * only.  lk__rowk() picks one from the CPU, so every build on a given machine (with
 * or without OpenMP) makes the same choice and gives the same bits.  Within a
 * stretch, which partial sum an element goes to depends only on its index (never on
 * alignment or threads); tails use masked loads, so a given n always means the same
 * arithmetic.
 *
 * exp: the vector kernels use the library's one float exp, the inline polynomial of
 * vmath.h (1.02 ULP), not SLEEF's Sleef_expf8_u10avx2 (1.0 ULP).  Measured on the
 * target machine (AMD EPYC, AVX2 path), the exp-sum kernel over 4096 floats in L1
 * costs 8 to 10 cycles per 8 floats with the inline polynomial and 19 to 22 with the
 * SLEEF call: the call cannot be inlined or interleaved, and its long Horner chain
 * keeps few vectors in flight.  SLEEF, when configure finds it, gives softmax its
 * vector double-precision exp (Sleef_expd4_u10avx2); without it softmax's exp is
 * scalar.
 *
 * AVX-512 (expsum_avx512): the same exp on 16 floats per vector.  The exp keeps the
 * FMA units busy (10 of its operations per vector go there), and on the target
 * machine a 512-bit operation occupies both 256-bit halves of a unit, so the gain
 * comes from halving the instruction count: measured over 4096 floats in L1, exp
 * alone 5.0 cycles per 8 floats against 5.7, the exp sum 6.1 to 6.5 against 7.6;
 * cross-entropy forward at 2048 x 50257 gets about 25% faster.  The other kernels
 * keep their AVX2 versions.
 */
#include "internal.h"
#include "vmath.h"

#include <math.h>

/* ------------------------------------------------------- portable kernels */

/* Max of x[0, n); NaN entries are ignored (the exp sum turns them into NaN). */
static float max_c(const float *x, size_t n)
{
    float m = -INFINITY;
    for (size_t j = 0; j < n; j++)
        m = x[j] > m ? x[j] : m;
    return m;
}

/*
 * Sum of exp(x_j - ref) in double; writes the exponentials to e when non-NULL.
 * exact: the rounding error of x_j - ref is added back as exp(d) * (1 + dlo).
 */
static double expsum_c(const float *x, size_t n, float ref, float *e, const float *pf,
                       bool exact)
{
    (void)pf;
    double s = 0.0;
    for (size_t j = 0; j < n; j++) {
        float d = x[j] - ref;
        float v = expf(d);
        if (exact && v > 0.0f) /* finite d: dlo is exact in double, then rounded */
            v += v * (float)(((double)x[j] - (double)ref) - (double)d);
        if (e)
            e[j] = v;
        s += (double)v;
    }
    return s;
}

/* Column weight wt_k of lk_colw, in double (the product of two floats is exact). */
static inline double colw_c(const lk_colw *cw, size_t k)
{
    double w = cw->w ? (double)cw->w[k] : 1.0;
    if (cw->t)
        w *= (double)lk__smoothed(cw, cw->t[k]);
    return w;
}

/* a = sum_k wt_k * (x_k - ref), b = sum_k wt_k, in double. */
static lk_acc wsum_c(const float *x, size_t n, float ref, lk_colw cw)
{
    double a = 0.0, b = 0.0;
    for (size_t k = 0; k < n; k++) {
        double wt = colw_c(&cw, k);
        a += wt * ((double)x[k] - (double)ref);
        b += wt;
    }
    lk_acc r = { a, b };
    return r;
}

/* y_k = (x_k - m) - ls (stream is a hint for the vector kernel). */
static void logp_c(const float *x, float *y, size_t n, float m, float ls, bool stream)
{
    (void)stream;
    for (size_t k = 0; k < n; k++)
        y[k] = (x[k] - m) - ls;
}

/* y_k = exp((x_k - m) - ls), evaluated in double. */
static void prob_c(const float *x, float *y, size_t n, double m, double ls)
{
    for (size_t k = 0; k < n; k++)
        y[k] = (float)exp(((double)x[k] - m) - ls);
}

/* g_k = c * g_k - b * wt_k (with_e), or 0 - b * wt_k; b == 0 drops the wt term. */
static void grad_c(float *g, size_t n, float c, float b, lk_colw cw, bool with_e)
{
    for (size_t k = 0; k < n; k++) {
        float wt = 0.0f;
        if (b != 0.0f) {
            wt = cw.w ? b * cw.w[k] : b;
            if (cw.t)
                wt *= lk__smoothed(&cw, cw.t[k]);
        }
        g[k] = (with_e ? c * g[k] : 0.0f) - wt;
    }
}

static const lk_rowk rowk_c = { max_c, expsum_c, wsum_c, logp_c, prob_c, grad_c };

/* ----------------------------------------------------------- AVX2 kernels */

#ifdef LK_HAVE_AVX2_KERNELS
#ifdef HAVE_SLEEF
#include <sleef.h>
/* sleef.h declares its AVX2 functions only when __AVX__ is defined at inclusion,
 * which it normally is not (only the functions below are compiled for AVX2); the
 * target attribute tells the compiler that the call passes vectors in AVX registers. */
#ifndef __AVX__
LK_AVX2 extern __m256d Sleef_expd4_u10avx2(__m256d);
#endif
#endif

/* Lanes [0, r) of 8 set (r <= 8), as an integer mask. */
LK_AVX2 static inline __m256i lane_mask(size_t r)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)r),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

/* Loads p[0, r) (r <= 8); the other lanes hold `fill`. */
LK_AVX2 static inline __m256 load_part(const float *p, size_t r, __m256 fill)
{
    __m256i m = lane_mask(r);
    return _mm256_blendv_ps(fill, _mm256_maskload_ps(p, m), _mm256_castsi256_ps(m));
}

/* Stores lanes [0, r) of v to p (r <= 8).  Not a masked store: AMD executes those
 * slowly, and a load of the data right after one stalls. */
LK_AVX2 static inline void store_part(float *p, size_t r, __m256 v)
{
    float t[8];
    _mm256_storeu_ps(t, v);
    for (size_t i = 0; i < r; i++)
        p[i] = t[i];
}

/* Sum of the 4 lanes, in a fixed order. */
LK_AVX2 static inline double hsum_pd(__m256d v)
{
    __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
    __m128d s = _mm_add_pd(lo, hi); /* (l0 + l2, l1 + l3) */
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

LK_AVX2 static float max_avx2(const float *x, size_t n)
{
    const __m256 ninf = _mm256_set1_ps(-INFINITY);
    /* max(v, acc) returns acc when v is NaN: NaN entries are ignored. */
    __m256 m0 = ninf, m1 = ninf, m2 = ninf, m3 = ninf;
    size_t j = 0;
    for (; j + 32 <= n; j += 32) {
        m0 = _mm256_max_ps(_mm256_loadu_ps(x + j), m0);
        m1 = _mm256_max_ps(_mm256_loadu_ps(x + j + 8), m1);
        m2 = _mm256_max_ps(_mm256_loadu_ps(x + j + 16), m2);
        m3 = _mm256_max_ps(_mm256_loadu_ps(x + j + 24), m3);
    }
    for (; j + 8 <= n; j += 8)
        m0 = _mm256_max_ps(_mm256_loadu_ps(x + j), m0);
    if (j < n)
        m1 = _mm256_max_ps(load_part(x + j, n - j, ninf), m1);
    __m256 m = _mm256_max_ps(_mm256_max_ps(m0, m1), _mm256_max_ps(m2, m3));
    __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    h = _mm_max_ps(h, _mm_movehl_ps(h, h));
    h = _mm_max_ss(h, _mm_shuffle_ps(h, h, 1));
    return _mm_cvtss_f32(h);
}

/*
 * Sum of exp(x_j - ref).  Works in blocks of LK_EXP_BLOCK floats: the exponentials
 * of a block go to e (or to a stack buffer in L1), then a second loop adds them to
 * 16 double accumulators (float j goes to accumulator j % 16) straight from memory.
 * The exp loop is software-pipelined: each iteration finishes the exponentials of
 * 16 floats and reduces the arguments of the next 16, which keeps more vectors in
 * flight than the hardware finds on its own (measured 12% faster; the separate sum
 * loop, 20%).  pf[0, n), when given, is prefetched into L2 along the way.
 */
#define LK_EXP_BLOCK 512
LK_AVX2 static inline __attribute__((always_inline)) double
expsum_avx2_body(const float *x, size_t n, float ref, float *e, const float *pf, bool exact)
{
    float buf[LK_EXP_BLOCK] __attribute__((aligned(32)));
    const __m256 r = _mm256_set1_ps(ref), ninf = _mm256_set1_ps(-INFINITY);
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t b = 0; b < n; b += LK_EXP_BLOCK) {
        const size_t len = n - b < LK_EXP_BLOCK ? n - b : LK_EXP_BLOCK;
        const float *xb = x + b;
        float *d = e ? e + b : buf;
        size_t j = 0;
        if (len >= 16) {
            lk_exp8_red a0 = lk__exp8_reduce(_mm256_loadu_ps(xb), r, exact);
            lk_exp8_red a1 = lk__exp8_reduce(_mm256_loadu_ps(xb + 8), r, exact);
            for (; j + 32 <= len; j += 16) {
                if (pf)
                    _mm_prefetch((const char *)(pf + b + j), _MM_HINT_T1);
                lk_exp8_red b0 = lk__exp8_reduce(_mm256_loadu_ps(xb + j + 16), r, exact);
                lk_exp8_red b1 = lk__exp8_reduce(_mm256_loadu_ps(xb + j + 24), r, exact);
                _mm256_storeu_ps(d + j, lk__exp8_finish(a0));
                _mm256_storeu_ps(d + j + 8, lk__exp8_finish(a1));
                a0 = b0;
                a1 = b1;
            }
            if (pf)
                _mm_prefetch((const char *)(pf + b + j), _MM_HINT_T1);
            _mm256_storeu_ps(d + j, lk__exp8_finish(a0));
            _mm256_storeu_ps(d + j + 8, lk__exp8_finish(a1));
            j += 16;
        }
        const size_t full = j;
        for (j = 0; j < full; j += 16) {
            s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm_loadu_ps(d + j)));
            s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm_loadu_ps(d + j + 4)));
            s2 = _mm256_add_pd(s2, _mm256_cvtps_pd(_mm_loadu_ps(d + j + 8)));
            s3 = _mm256_add_pd(s3, _mm256_cvtps_pd(_mm_loadu_ps(d + j + 12)));
        }
        /* The last len % 16 floats, 8 at a time, summed from registers (a masked
         * store followed by a load of it would stall); masked lanes load -inf, whose
         * exp is 0, and so add +0. */
        for (; j < len; j += 8) {
            __m256i m = lane_mask(len - j);
            __m256 v = _mm256_blendv_ps(ninf, _mm256_maskload_ps(xb + j, m),
                                        _mm256_castsi256_ps(m));
            __m256 ex = lk__exp8_finish(lk__exp8_reduce(v, r, exact));
            if (e && len - j >= 8)
                _mm256_storeu_ps(e + b + j, ex);
            else if (e)
                store_part(e + b + j, len - j, ex);
            s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(ex)));
            s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(ex, 1)));
        }
    }
    return hsum_pd(_mm256_add_pd(_mm256_add_pd(s0, s1), _mm256_add_pd(s2, s3)));
}

LK_AVX2 static double expsum_avx2(const float *x, size_t n, float ref, float *e,
                                  const float *pf, bool exact)
{
    return exact ? expsum_avx2_body(x, n, ref, e, pf, true)
                 : expsum_avx2_body(x, n, ref, e, pf, false);
}

/* Lanes j..j+7 of the column weights wt (float), for grad_avx2. */
LK_AVX2 static inline __m256 colw8(const lk_colw *cw, const float *w, const float *t,
                                   __m256 b)
{
    __m256 wt = w ? _mm256_mul_ps(b, _mm256_loadu_ps(w)) : b;
    if (t) {
        __m256 tv = _mm256_loadu_ps(t);
        if (cw->smooth)
            tv = _mm256_add_ps(_mm256_mul_ps(tv, _mm256_set1_ps(cw->keep)),
                               _mm256_set1_ps(cw->add));
        wt = _mm256_mul_ps(wt, tv);
    }
    return wt;
}

/* wsum over 4 floats at x, w, t (each may be NULL but x), in double. */
LK_AVX2 static inline void wsum4(const float *x, const float *w, const float *t,
                                 const lk_colw *cw, __m256d ref, __m256d *a, __m256d *b)
{
    __m256d wt = w ? _mm256_cvtps_pd(_mm_loadu_ps(w)) : _mm256_set1_pd(1.0);
    if (t) {
        __m128 tv = _mm_loadu_ps(t);
        if (cw->smooth)
            tv = _mm_add_ps(_mm_mul_ps(tv, _mm_set1_ps(cw->keep)), _mm_set1_ps(cw->add));
        wt = _mm256_mul_pd(wt, _mm256_cvtps_pd(tv));
    }
    __m256d d = _mm256_sub_pd(_mm256_cvtps_pd(_mm_loadu_ps(x)), ref);
    *a = _mm256_add_pd(*a, _mm256_mul_pd(wt, d));
    *b = _mm256_add_pd(*b, wt);
}

LK_AVX2 static lk_acc wsum_avx2(const float *x, size_t n, float ref, lk_colw cw)
{
    const __m256d r = _mm256_set1_pd((double)ref);
    __m256d a0 = _mm256_setzero_pd(), a1 = a0, b0 = a0, b1 = a0;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        wsum4(x + j, cw.w ? cw.w + j : NULL, cw.t ? cw.t + j : NULL, &cw, r, &a0, &b0);
        wsum4(x + j + 4, cw.w ? cw.w + j + 4 : NULL, cw.t ? cw.t + j + 4 : NULL, &cw, r,
              &a1, &b1);
    }
    double a = hsum_pd(_mm256_add_pd(a0, a1)), b = hsum_pd(_mm256_add_pd(b0, b1));
    if (j < n) { /* the last n % 8 columns in order, as the portable kernel does */
        lk_colw tail = lk__colw_at(cw, j);
        lk_acc t = wsum_c(x + j, n - j, ref, tail);
        a += t.a;
        b += t.b;
    }
    lk_acc out = { a, b };
    return out;
}

/* stream: y goes to memory with non-temporal stores (not kept in cache). */
LK_AVX2 static void logp_avx2(const float *x, float *y, size_t n, float m, float ls,
                              bool stream)
{
    const __m256 vm = _mm256_set1_ps(m), vl = _mm256_set1_ps(ls);
    size_t j = 0;
    if (stream && (uintptr_t)y % sizeof(float) == 0) {
        /* up to a 32-byte boundary of y, then aligned streaming stores */
        size_t head = (32 - (size_t)((uintptr_t)y & 31)) % 32 / sizeof(float);
        logp_c(x, y, head < n ? head : n, m, ls, false);
        for (j = head; j + 8 <= n; j += 8)
            _mm256_stream_ps(y + j, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm),
                                                  vl));
        _mm_sfence();
    }
    for (; j + 8 <= n; j += 8)
        _mm256_storeu_ps(y + j, _mm256_sub_ps(_mm256_sub_ps(_mm256_loadu_ps(x + j), vm), vl));
    if (j < n)
        store_part(y + j, n - j,
                   _mm256_sub_ps(_mm256_sub_ps(load_part(x + j, n - j, vm), vm), vl));
}

#ifdef HAVE_SLEEF
/* exp(((double) x - m) - ls) of 4 floats, rounded to float. */
LK_AVX2 static inline __m128 prob4(__m128 x, __m256d m, __m256d ls)
{
    __m256d d = _mm256_sub_pd(_mm256_sub_pd(_mm256_cvtps_pd(x), m), ls);
    return _mm256_cvtpd_ps(Sleef_expd4_u10avx2(d));
}

LK_AVX2 static void prob_avx2(const float *x, float *y, size_t n, double m, double ls)
{
    const __m256d vm = _mm256_set1_pd(m), vl = _mm256_set1_pd(ls);
    size_t j = 0;
    for (; j + 4 <= n; j += 4)
        _mm_storeu_ps(y + j, prob4(_mm_loadu_ps(x + j), vm, vl));
    if (j < n) { /* the last n % 4: masked-out lanes load 0 and are not stored */
        __m128i mk = _mm_cmpgt_epi32(_mm_set1_epi32((int)(n - j)), _mm_setr_epi32(0, 1, 2, 3));
        float t[4];
        _mm_storeu_ps(t, prob4(_mm_maskload_ps(x + j, mk), vm, vl));
        for (size_t i = 0; i < n - j; i++)
            y[j + i] = t[i];
    }
}
#else
#define prob_avx2 prob_c
#endif

LK_AVX2 static void grad_avx2(float *g, size_t n, float c, float b, lk_colw cw,
                              bool with_e)
{
    const __m256 vc = _mm256_set1_ps(c), vb = _mm256_set1_ps(b);
    const bool wt_term = b != 0.0f;
    size_t j = 0;
    for (; j + 8 <= n; j += 8) {
        __m256 p = with_e ? _mm256_mul_ps(vc, _mm256_loadu_ps(g + j)) : _mm256_setzero_ps();
        if (wt_term)
            p = _mm256_sub_ps(p, colw8(&cw, cw.w ? cw.w + j : NULL, cw.t ? cw.t + j : NULL,
                                       vb));
        _mm256_storeu_ps(g + j, p);
    }
    if (j < n) /* the last n % 8 columns: same float operations, one at a time */
        grad_c(g + j, n - j, c, b, lk__colw_at(cw, j), with_e);
}

static const lk_rowk rowk_avx2 = { max_avx2, expsum_avx2, wsum_avx2,
                                   logp_avx2, prob_avx2, grad_avx2 };

/* --------------------------------------------------------- AVX-512 kernels */

#ifdef LK_HAVE_AVX512_KERNELS
/* Sum of the 8 lanes, in a fixed order. */
LK_AVX512 static inline double hsum8_pd(__m512d v)
{
    return hsum_pd(_mm256_add_pd(_mm512_castpd512_pd256(v), _mm512_extractf64x4_pd(v, 1)));
}

/* Writes the 16 exponentials g to e (when not NULL), and adds lanes 0-7 to *s_lo and
 * lanes 8-15 to *s_hi in double. */
LK_AVX512 static inline void take16(float *e, __m512d *s_lo, __m512d *s_hi, __m512 g)
{
    if (e)
        _mm512_storeu_ps(e, g);
    __m256 hi = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(g), 1));
    *s_lo = _mm512_add_pd(*s_lo, _mm512_cvtps_pd(_mm512_castps512_ps256(g)));
    *s_hi = _mm512_add_pd(*s_hi, _mm512_cvtps_pd(hi));
}

/*
 * Sum of exp(x_j - ref), as expsum_avx2 with vectors of 16: the exp loop is
 * software-pipelined (each iteration finishes the exponentials of 32 floats and
 * reduces the arguments of the next 32), and the exponentials are added straight
 * from the registers to 32 double accumulators (float j to accumulator j % 32; the
 * last n % 32 floats, 16 at a time with masked loads of -inf, to accumulators 0-15).
 * Not kept, measured: adding the exponentials in float within short fixed groups
 * (a vector add instead of two conversions and two double adds) saves 15%, but
 * the 1 of the max then swamps the small terms it is added to, and the loss of a
 * confident row, log(1 + small), keeps only 2.5e-3 relative accuracy (double:
 * 7e-9); keeping the exact ones out of the float groups (counted apart) restores
 * it and leaves no measurable gain.
 */
LK_AVX512 static inline __attribute__((always_inline)) double
expsum_avx512_body(const float *x, size_t n, float ref, float *e, const float *pf, bool exact)
{
    const __m512 r = _mm512_set1_ps(ref), ninf = _mm512_set1_ps(-INFINITY);
    __m512d s0 = _mm512_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    size_t j = 0;
    if (n >= 32) {
        lk_exp16_red a0 = lk__exp16_reduce(_mm512_loadu_ps(x), r, exact);
        lk_exp16_red a1 = lk__exp16_reduce(_mm512_loadu_ps(x + 16), r, exact);
        for (; j + 64 <= n; j += 32) {
            if (pf) {
                _mm_prefetch((const char *)(pf + j), _MM_HINT_T1);
                _mm_prefetch((const char *)(pf + j + 16), _MM_HINT_T1);
            }
            lk_exp16_red b0 = lk__exp16_reduce(_mm512_loadu_ps(x + j + 32), r, exact);
            lk_exp16_red b1 = lk__exp16_reduce(_mm512_loadu_ps(x + j + 48), r, exact);
            take16(e ? e + j : NULL, &s0, &s1, lk__exp16_finish(a0));
            take16(e ? e + j + 16 : NULL, &s2, &s3, lk__exp16_finish(a1));
            a0 = b0;
            a1 = b1;
        }
        if (pf) {
            _mm_prefetch((const char *)(pf + j), _MM_HINT_T1);
            _mm_prefetch((const char *)(pf + j + 16), _MM_HINT_T1);
        }
        take16(e ? e + j : NULL, &s0, &s1, lk__exp16_finish(a0));
        take16(e ? e + j + 16 : NULL, &s2, &s3, lk__exp16_finish(a1));
        j += 32;
    }
    for (; j < n; j += 16) {
        const size_t left = n - j;
        const __mmask16 m = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
        if (pf)
            _mm_prefetch((const char *)(pf + j), _MM_HINT_T1);
        __m512 v = _mm512_mask_loadu_ps(ninf, m, x + j);
        __m512 g = lk__exp16_finish(lk__exp16_reduce(v, r, exact));
        if (e)
            _mm512_mask_storeu_ps(e + j, m, g);
        take16(NULL, &s0, &s1, g);
    }
    return hsum8_pd(_mm512_add_pd(_mm512_add_pd(s0, s1), _mm512_add_pd(s2, s3)));
}

LK_AVX512 static double expsum_avx512(const float *x, size_t n, float ref, float *e,
                                      const float *pf, bool exact)
{
    return exact ? expsum_avx512_body(x, n, ref, e, pf, true)
                 : expsum_avx512_body(x, n, ref, e, pf, false);
}

/* The AVX2 set with the AVX-512 exp sum. */
static const lk_rowk rowk_avx512 = { max_avx2, expsum_avx512, wsum_avx2,
                                     logp_avx2, prob_avx2, grad_avx2 };
#endif /* LK_HAVE_AVX512_KERNELS */
#endif /* LK_HAVE_AVX2_KERNELS */

/* ----------------------------------------------------------------- dispatch */

bool lk__cpu_avx2(void)
{
#ifdef LK_HAVE_AVX2_KERNELS
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return false;
#endif
}

const lk_rowk *lk__rowk(void)
{
#ifdef LK_HAVE_AVX2_KERNELS
    if (lk__cpu_avx2()) {
#ifdef LK_HAVE_AVX512_KERNELS
        /* (this test includes that the OS saves the AVX-512 registers) */
        if (__builtin_cpu_supports("avx512f"))
            return &rowk_avx512;
#endif
        return &rowk_avx2;
    }
#endif
    return &rowk_c;
}
