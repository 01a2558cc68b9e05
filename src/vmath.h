/*
 * vmath.h - the library's one float exponential, and the log1p that BCE with
 * logits needs, written once per instruction set from the same constants and steps:
 *
 *   portable C   lk__exp_le0, lk__log1p_unit: scalar and branch-free, so that
 *                compilers vectorise the loops that call them (binary.c);
 *   AVX2+FMA     lk__exp8_reduce / lk__exp8_finish / lk__exp8, lk__log1p8_unit
 *                (rowkernels.c, binary.c);
 *   AVX-512F     lk__exp16_reduce / lk__exp16_finish (the exp sum of rowkernels.c).
 *
 * Hand-written rather than SLEEF's (libsleef) because it measured about twice as
 * fast in both users on the target machine: the calls cannot be inlined or
 * interleaved with the caller's work.  Figures: rowkernels.c and binary.c headers.
 *
 * exp(d), d <= 0 (or -inf, NaN):
 *   d = k ln2 + r, |r| <= ln2 / 2: k by rounding d log2(e) (added to a magic number
 *   whose low mantissa bits then hold k + 127, the biased exponent of 2^k); r by
 *   subtracting k ln2, with ln2 split so that k * ln2_hi is exact; exp(r) = 1 + r +
 *   r^2 q(r) with q of degree 4 (minimax for relative error on [-ln2/2, ln2/2], error
 *   3e-9) in Estrin form to keep the dependency chain short; the result is
 *   2^k + 2^k (r + r^2 q).  d is clamped at -88, where 2^k is 0: below about -87.7
 *   the result is 0 (where expf gives a subnormal < 2^-126); -inf gives 0, NaN gives
 *   NaN; exp(0) = 1 exactly.
 *   Error against exp in double of every float d in [-87.3, 0]: with FMA (AVX2,
 *   AVX-512) at most 1.02 ULP, mean 0.066; portable (separate multiply and add) at
 *   most 0.99 ULP, mean 0.066.
 *
 * log1p(t), 0 <= t <= 1 (t = exp(-|x|) in BCE with logits):
 *   with s = t / (2 + t) in [0, 1/3], log1p(t) = 2 atanh(s) = 2s + 2s (s^2/3 + s^4/5
 *   + ... + s^12/13), truncation below 1.5e-8 relative.  Error of
 *   log1p(exp(-a)) for every float a in [0, 87.3], both forms: below 3.9 * 2^-24
 *   relative.
 */
#ifndef LOSSKIT_VMATH_H
#define LOSSKIT_VMATH_H

#include "internal.h"

#include <stdint.h>
#include <string.h>

#define LK_EXP_LO (-88.0f)                  /* clamp of d: 2^k is 0 below */
#define LK_EXP_MAGIC (0x1.8p23f + 127.0f)   /* + k: low mantissa bits hold k + 127 */
#define LK_EXP_LOG2E 0x1.715476p+0f
#define LK_EXP_LN2_HI 0x1.62e4p-1f          /* 15 bits: k * LN2_HI is exact */
#define LK_EXP_LN2_LO 0x1.7f7d1cp-20f
#define LK_EXP_Q0 0x1.fffffcp-2f            /* q(r) = Q0 + Q1 r + Q2 r^2 + ... */
#define LK_EXP_Q1 0x1.555492p-3f
#define LK_EXP_Q2 0x1.5558f2p-5f
#define LK_EXP_Q3 0x1.1239d4p-7f
#define LK_EXP_Q4 0x1.6a244cp-10f

/* 2 atanh(s) = 2s + 2s s^2 (L0 + L1 s^2 + ... + L5 s^10) */
#define LK_LOG1P_L0 (1.0f / 3)
#define LK_LOG1P_L1 (1.0f / 5)
#define LK_LOG1P_L2 (1.0f / 7)
#define LK_LOG1P_L3 (1.0f / 9)
#define LK_LOG1P_L4 (1.0f / 11)
#define LK_LOG1P_L5 (1.0f / 13)

/* ------------------------------------------------------------ portable C */

static inline uint32_t lk__f2u(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float lk__u2f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* c ? a : b without a branch (a ?: on floats stays a branch under -ftrapping-math). */
static inline float lk__select_f(bool c, float a, float b)
{
    uint32_t m = -(uint32_t)c;
    return lk__u2f((lk__f2u(a) & m) | (lk__f2u(b) & ~m));
}

/* exp(d) for d <= 0, -inf or NaN (see the top of this file). */
static inline float lk__exp_le0(float d)
{
    d = lk__select_f(d < LK_EXP_LO, LK_EXP_LO, d); /* NaN stays NaN */
    float kk = d * LK_EXP_LOG2E + LK_EXP_MAGIC;
    float k = kk - LK_EXP_MAGIC;
    float r = (d - k * LK_EXP_LN2_HI) - k * LK_EXP_LN2_LO;
    float r2 = r * r;
    float q01 = LK_EXP_Q1 * r + LK_EXP_Q0, q23 = LK_EXP_Q3 * r + LK_EXP_Q2;
    float q = (LK_EXP_Q4 * r2 + q23) * r2 + q01;
    float p = q * r2 + r;
    float s = lk__u2f(lk__f2u(kk) << 23); /* 2^k */
    return p * s + s;
}

/* log1p(t) for 0 <= t <= 1 (NaN gives NaN). */
static inline float lk__log1p_unit(float t)
{
    float s = t / (2.0f + t), q = s * s;
    float p = LK_LOG1P_L5 * q + LK_LOG1P_L4;
    p = p * q + LK_LOG1P_L3;
    p = p * q + LK_LOG1P_L2;
    p = p * q + LK_LOG1P_L1;
    p = p * q + LK_LOG1P_L0;
    float s2 = 2.0f * s;
    return s2 * (q * p) + s2;
}

/* -------------------------------------------------------------- AVX2+FMA */

#ifdef LK_HAVE_AVX2_KERNELS
#include <immintrin.h>

#define LK_AVX2 __attribute__((target("avx2,fma")))

/*
 * exp(x - ref) of 8 floats, x - ref <= 0 (or -inf, NaN), in two halves so that a
 * loop can overlap them across iterations.  With `exact`, the rounding error dlo of
 * d = x - ref (which would cost up to |d| / 2 ULP in the result) is recovered
 * exactly by Knuth's TwoSum and added to the reduced argument.  Accuracy against
 * exp(x - ref) of 12 million random pairs with x - ref in [-87, 0]: with `exact` at
 * most 1.15 ULP (mean 0.27); without, up to |d| / 2 ULP more, as expf(x - ref) in
 * float would give (64 ULP at d = -76, mean 5).  dlo is dropped where d < -88.
 */
typedef struct lk_exp8_red {
    __m256 r;  /* reduced argument */
    __m256 kk; /* magic + k: its bits shifted left by 23 are 2^k */
} lk_exp8_red;

LK_AVX2 static inline lk_exp8_red lk__exp8_reduce(__m256 x, __m256 ref, bool exact)
{
    const __m256 magic = _mm256_set1_ps(LK_EXP_MAGIC), lo = _mm256_set1_ps(LK_EXP_LO);
    __m256 d = _mm256_sub_ps(x, ref);
    __m256 dlo = _mm256_setzero_ps();
    if (exact) { /* TwoSum(x, -ref): d + dlo == x - ref */
        __m256 t = _mm256_sub_ps(d, x);
        dlo = _mm256_sub_ps(_mm256_sub_ps(x, _mm256_sub_ps(d, t)), _mm256_add_ps(ref, t));
        dlo = _mm256_and_ps(dlo, _mm256_cmp_ps(d, lo, _CMP_GE_OQ)); /* -inf, NaN, < -88 */
    }
    d = _mm256_max_ps(lo, d); /* NaN stays NaN: max returns its second operand */
    lk_exp8_red a;
    a.kk = _mm256_fmadd_ps(d, _mm256_set1_ps(LK_EXP_LOG2E), magic);
    __m256 k = _mm256_sub_ps(a.kk, magic);
    __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(LK_EXP_LN2_HI), d);
    a.r = _mm256_fnmadd_ps(k, _mm256_set1_ps(LK_EXP_LN2_LO), r);
    if (exact)
        a.r = _mm256_add_ps(a.r, dlo);
    return a;
}

LK_AVX2 static inline __m256 lk__exp8_finish(lk_exp8_red a)
{
    const __m256 r = a.r, r2 = _mm256_mul_ps(r, r);
    __m256 q01 = _mm256_fmadd_ps(_mm256_set1_ps(LK_EXP_Q1), r, _mm256_set1_ps(LK_EXP_Q0));
    __m256 q23 = _mm256_fmadd_ps(_mm256_set1_ps(LK_EXP_Q3), r, _mm256_set1_ps(LK_EXP_Q2));
    __m256 q = _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(LK_EXP_Q4), r2, q23), r2, q01);
    __m256 p = _mm256_fmadd_ps(q, r2, r);
    __m256 s = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_castps_si256(a.kk), 23));
    return _mm256_fmadd_ps(p, s, s);
}

/* exp(d) of 8 floats d <= 0 (or -inf, NaN). */
LK_AVX2 static inline __m256 lk__exp8(__m256 d)
{
    return lk__exp8_finish(lk__exp8_reduce(d, _mm256_setzero_ps(), false));
}

/* log1p(t) of 8 floats 0 <= t <= 1 (NaN gives NaN). */
LK_AVX2 static inline __m256 lk__log1p8_unit(__m256 t)
{
    __m256 s = _mm256_div_ps(t, _mm256_add_ps(_mm256_set1_ps(2.0f), t));
    __m256 q = _mm256_mul_ps(s, s);
    __m256 p = _mm256_fmadd_ps(_mm256_set1_ps(LK_LOG1P_L5), q, _mm256_set1_ps(LK_LOG1P_L4));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(LK_LOG1P_L3));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(LK_LOG1P_L2));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(LK_LOG1P_L1));
    p = _mm256_fmadd_ps(p, q, _mm256_set1_ps(LK_LOG1P_L0));
    __m256 s2 = _mm256_add_ps(s, s);
    return _mm256_fmadd_ps(s2, _mm256_mul_ps(q, p), s2);
}

/* --------------------------------------------------------------- AVX-512 */

/* The same exp on 16 floats, step for step as lk__exp8_reduce / lk__exp8_finish (so
 * the same bits lane for lane); -inf, NaN and d < -88 drop dlo by a zeroing mask. */
#ifdef LK_HAVE_AVX512_KERNELS
#define LK_AVX512 __attribute__((target("avx512f,avx2,fma")))

typedef struct lk_exp16_red {
    __m512 r;
    __m512 kk;
} lk_exp16_red;

LK_AVX512 static inline lk_exp16_red lk__exp16_reduce(__m512 x, __m512 ref, bool exact)
{
    const __m512 magic = _mm512_set1_ps(LK_EXP_MAGIC), lo = _mm512_set1_ps(LK_EXP_LO);
    __m512 d = _mm512_sub_ps(x, ref);
    __m512 dlo = _mm512_setzero_ps();
    if (exact) { /* TwoSum(x, -ref), dropped for -inf, NaN and d < -88 */
        __m512 t = _mm512_sub_ps(d, x);
        dlo = _mm512_sub_ps(_mm512_sub_ps(x, _mm512_sub_ps(d, t)), _mm512_add_ps(ref, t));
        dlo = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(d, lo, _CMP_GE_OQ), dlo);
    }
    d = _mm512_max_ps(lo, d);
    lk_exp16_red a;
    a.kk = _mm512_fmadd_ps(d, _mm512_set1_ps(LK_EXP_LOG2E), magic);
    __m512 k = _mm512_sub_ps(a.kk, magic);
    __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(LK_EXP_LN2_HI), d);
    a.r = _mm512_fnmadd_ps(k, _mm512_set1_ps(LK_EXP_LN2_LO), r);
    if (exact)
        a.r = _mm512_add_ps(a.r, dlo);
    return a;
}

LK_AVX512 static inline __m512 lk__exp16_finish(lk_exp16_red a)
{
    const __m512 r = a.r, r2 = _mm512_mul_ps(r, r);
    __m512 q01 = _mm512_fmadd_ps(_mm512_set1_ps(LK_EXP_Q1), r, _mm512_set1_ps(LK_EXP_Q0));
    __m512 q23 = _mm512_fmadd_ps(_mm512_set1_ps(LK_EXP_Q3), r, _mm512_set1_ps(LK_EXP_Q2));
    __m512 q = _mm512_fmadd_ps(_mm512_fmadd_ps(_mm512_set1_ps(LK_EXP_Q4), r2, q23), r2, q01);
    __m512 p = _mm512_fmadd_ps(q, r2, r);
    __m512 s = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_castps_si512(a.kk), 23));
    return _mm512_fmadd_ps(p, s, s);
}
#endif /* LK_HAVE_AVX512_KERNELS */
#endif /* LK_HAVE_AVX2_KERNELS */

#endif /* LOSSKIT_VMATH_H */
