/*
 * lkbench.h - timing and CSV output shared by the C benchmark programs
 * (bench/lkbench.c for losskit and the limits, bench/dnnl_bench.c for oneDNN).
 * Header-only (static inline) so the oneDNN program, which is built by a plain make
 * rule, needs no extra object.
 *
 * Method (the same in bench/peers.py):
 *   - one untimed warm-up call, which also gives a first estimate t1 of one call;
 *   - iters = calls per repeat, enough for a repeat to last LK_BENCH_MIN_TIME seconds;
 *   - repeats = LK_BENCH_REPEATS, cut down (never below 3) when they would take more
 *     than LK_BENCH_MAX_TIME seconds in all;
 *   - per-call time of each repeat = repeat time / iters; we report the median, the
 *     min and max and the quartiles over the repeats.
 * Each result is one CSV line on stdout (see LKB_CSV_HEADER); messages go to stderr.
 */
#ifndef LKBENCH_H
#define LKBENCH_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LKB_MAX_REPEATS 64

/* The CSV columns, in order (bench/lkb.py reads them by name). */
#define LKB_CSV_HEADER                                                              \
    "kind,impl,op,rows,cols,threads,reps,iters,median_ms,min_ms,q1_ms,q3_ms,max_ms," \
    "bytes,gbps,extra_bytes,value,note"

typedef struct lkb_config {
    double min_time; /* seconds per repeat */
    double max_time; /* seconds per measurement, all repeats together */
    int repeats;
} lkb_config;

typedef struct lkb_result {
    int reps;
    long iters;
    double median, min, q1, q3, max; /* seconds per call */
} lkb_result;

static inline double lkb_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline double lkb_env_double(const char *name, double dflt)
{
    const char *s = getenv(name);
    if (!s || !*s)
        return dflt;
    char *end;
    double v = strtod(s, &end);
    return (*end == '\0' && v > 0.0) ? v : dflt;
}

/* Reads LK_BENCH_MIN_TIME, LK_BENCH_MAX_TIME, LK_BENCH_REPEATS (run.sh sets them). */
static inline lkb_config lkb_config_from_env(void)
{
    lkb_config c;
    c.min_time = lkb_env_double("LK_BENCH_MIN_TIME", 0.1);
    c.max_time = lkb_env_double("LK_BENCH_MAX_TIME", 3.0);
    c.repeats = (int)lkb_env_double("LK_BENCH_REPEATS", 7.0);
    if (c.repeats < 3)
        c.repeats = 3;
    if (c.repeats > LKB_MAX_REPEATS)
        c.repeats = LKB_MAX_REPEATS;
    return c;
}

static inline int lkb_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Value at fraction p of a sorted array, linear between neighbours. */
static inline double lkb_quantile(const double *s, int n, double p)
{
    double pos = p * (double)(n - 1);
    int i = (int)pos;
    if (i >= n - 1)
        return s[n - 1];
    double f = pos - (double)i;
    return s[i] + f * (s[i + 1] - s[i]);
}

/*
 * Times fn(ctx) as described at the top.  `restore`, when not NULL, is called
 * (untimed) before the warm-up and before every repeat: the in-place fused call
 * uses it to put the original logits back.  warm_time > 0 says the caller has just
 * made the warm-up call and it took that many seconds (then none is made here).
 */
typedef void (*lkb_fn)(void *ctx);

static inline lkb_result lkb_time_warm(const lkb_config *cfg, lkb_fn fn, lkb_fn restore,
                                       void *ctx, double warm_time)
{
    lkb_result r;
    double t[LKB_MAX_REPEATS];

    double t1 = warm_time;
    if (!(t1 > 0.0)) {
        if (restore)
            restore(ctx);
        double t0 = lkb_now();
        fn(ctx);
        t1 = lkb_now() - t0;
    }
    if (t1 < 1e-9)
        t1 = 1e-9;

    long iters = (long)ceil(cfg->min_time / t1);
    if (iters < 1)
        iters = 1;
    if (iters > 1000000)
        iters = 1000000;
    int reps = cfg->repeats;
    double per_rep = t1 * (double)iters;
    if (per_rep * reps > cfg->max_time) {
        reps = (int)(cfg->max_time / per_rep);
        if (reps < 3)
            reps = 3;
    }

    for (int k = 0; k < reps; k++) {
        if (restore)
            restore(ctx);
        double a = lkb_now();
        for (long i = 0; i < iters; i++)
            fn(ctx);
        t[k] = (lkb_now() - a) / (double)iters;
    }
    qsort(t, (size_t)reps, sizeof t[0], lkb_cmp_double);
    r.reps = reps;
    r.iters = iters;
    r.min = t[0];
    r.max = t[reps - 1];
    r.median = lkb_quantile(t, reps, 0.5);
    r.q1 = lkb_quantile(t, reps, 0.25);
    r.q3 = lkb_quantile(t, reps, 0.75);
    return r;
}

static inline lkb_result lkb_time(const lkb_config *cfg, lkb_fn fn, lkb_fn restore,
                                  void *ctx)
{
    return lkb_time_warm(cfg, fn, restore, ctx, 0.0);
}

/* One timing line.  bytes: the traffic the op must do at least (see README). */
static inline void lkb_print_time(const char *impl, const char *op, size_t rows,
                                  size_t cols, int threads, const lkb_result *r,
                                  double bytes, double value, const char *note)
{
    printf("time,%s,%s,%zu,%zu,%d,%d,%ld,%.6f,%.6f,%.6f,%.6f,%.6f,%.0f,%.3f,,%.9g,%s\n",
           impl, op, rows, cols, threads, r->reps, r->iters, 1e3 * r->median,
           1e3 * r->min, 1e3 * r->q1, 1e3 * r->q3, 1e3 * r->max, bytes,
           bytes / r->median * 1e-9, value, note ? note : "");
    fflush(stdout);
}

/* A line saying a measurement could not be made (empty figures, reason in note). */
static inline void lkb_print_skip(const char *impl, const char *op, size_t rows,
                                  size_t cols, int threads, const char *note)
{
    printf("time,%s,%s,%zu,%zu,%d,,,,,,,,,,,,%s\n", impl, op, rows, cols, threads, note);
    fflush(stdout);
}

/* Parses "RxC" into rows and cols; returns 0 on success. */
static inline int lkb_parse_shape(const char *s, size_t *rows, size_t *cols)
{
    char *end;
    unsigned long long r = strtoull(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X'))
        return -1;
    const char *c0 = end + 1;
    unsigned long long c = strtoull(c0, &end, 10);
    if (end == c0 || *end != '\0' || r == 0 || c == 0)
        return -1;
    *rows = (size_t)r;
    *cols = (size_t)c;
    return 0;
}

/* Small fast generator (xorshift64*) for filling benchmark inputs. */
static inline uint64_t lkb_rand(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545F4914F6CDD1DULL;
}

/* Uniform float in [lo, hi). */
static inline float lkb_uniform(uint64_t *s, float lo, float hi)
{
    float u = (float)(lkb_rand(s) >> 40) * (1.0f / 16777216.0f);
    return lo + (hi - lo) * u;
}

static inline void lkb_fill(float *x, size_t n, uint64_t seed, float lo, float hi)
{
    uint64_t s = seed | 1u;
    for (size_t i = 0; i < n; i++)
        x[i] = lkb_uniform(&s, lo, hi);
}

/* 64-byte aligned allocation of n floats (or exits with a message). */
static inline float *lkb_alloc_floats(size_t n)
{
    size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
    void *p = aligned_alloc(64, bytes ? bytes : 64);
    if (!p) {
        fprintf(stderr, "lkbench: cannot allocate %zu bytes\n", bytes);
        exit(2);
    }
    return p;
}

#endif /* LKBENCH_H */
