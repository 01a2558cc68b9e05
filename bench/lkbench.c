/*
 * lkbench.c - times losskit's kernels, the memory-bandwidth limits and a naive
 * scalar cross-entropy on the same buffers, and measures the extra memory of
 * losskit's calls.  Driven by bench/run.sh; prints CSV lines (lkbench.h) on stdout.
 *
 *   lkbench info                 what was built: version, OpenMP, thread count
 *   lkbench time SHAPE...        SHAPE is RxC (row-wise ops on a rows x cols matrix)
 *                                or elem:RxC (MSE over R*C values, BCE-with-logits RxC)
 *   lkbench mem OP RxC           peak extra memory of one call, OP one of
 *                                ce_fwd ce_fused_inplace ce_fused_grad log_softmax
 *
 * The thread count is OpenMP's (OMP_NUM_THREADS); the limits use the same count.
 */
#include <config.h>

#include "losskit.h"
#include "lkbench.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#define MAX_THREADS 256

/* Best vector ISA at run time for the limit passes (GCC on x86-64 only). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define LKB_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define LKB_CLONES
#endif

static int thread_count(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

/* Contiguous part [lo, hi) of n items for thread id of nt, cut at 16-float blocks. */
static void split(size_t n, int id, int nt, size_t *lo, size_t *hi)
{
    size_t blocks = (n + 15) / 16;
    size_t b0 = blocks * (size_t)id / (size_t)nt;
    size_t b1 = blocks * (size_t)(id + 1) / (size_t)nt;
    *lo = b0 * 16 < n ? b0 * 16 : n;
    *hi = b1 * 16 < n ? b1 * 16 : n;
}

/* This thread's part [lo, hi) of n floats; returns the team size (called in a
 * parallel region, or serially as a team of one). */
static int my_part(size_t n, int *id, size_t *lo, size_t *hi)
{
    int nt = 1;
    *id = 0;
#ifdef _OPENMP
    *id = omp_get_thread_num();
    nt = omp_get_num_threads();
#endif
    split(n, *id, nt, lo, hi);
    return nt;
}

/* ------------------------------------------------------------ limit passes */

typedef float v16f __attribute__((vector_size(64)));

/* acc += the 16 floats at p (unaligned load). */
#define ADD16(acc, p)                 \
    do {                              \
        v16f v_;                      \
        memcpy(&v_, (p), sizeof v_);  \
        (acc) += v_;                  \
    } while (0)

/*
 * Read pass kernel: x[0, n) read once; returns its sum (float, order unimportant).
 * Eight accumulators written out so that -O2 keeps them in registers.
 */
LKB_CLONES static float sum_chunk(const float *x, size_t n)
{
    v16f a0 = { 0 }, a1 = { 0 }, a2 = { 0 }, a3 = { 0 };
    v16f a4 = { 0 }, a5 = { 0 }, a6 = { 0 }, a7 = { 0 };
    size_t i = 0;
    for (; i + 128 <= n; i += 128) {
        ADD16(a0, x + i);
        ADD16(a1, x + i + 16);
        ADD16(a2, x + i + 32);
        ADD16(a3, x + i + 48);
        ADD16(a4, x + i + 64);
        ADD16(a5, x + i + 80);
        ADD16(a6, x + i + 96);
        ADD16(a7, x + i + 112);
    }
    a0 += a1 + a2 + a3 + a4 + a5 + a6 + a7;
    float s = 0.0f;
    for (int k = 0; k < 16; k++)
        s += a0[k];
    for (; i < n; i++)
        s += x[i];
    return s;
}

static volatile float g_sink; /* keeps results of the limit passes alive */

typedef struct pass_ctx {
    const float *src;
    float *dst;
    size_t n;
} pass_ctx;

/* Read pass: src[0, n) read once, in parallel (one contiguous part per thread). */
static void read_pass(void *p)
{
    const pass_ctx *c = p;
    float part[MAX_THREADS];
    int used = 1;
#ifdef _OPENMP
#pragma omp parallel
#endif
    {
        int id;
        size_t lo, hi;
        int nt = my_part(c->n, &id, &lo, &hi);
        if (id < MAX_THREADS)
            part[id] = sum_chunk(c->src + lo, hi - lo);
        if (id == 0)
            used = nt < MAX_THREADS ? nt : MAX_THREADS;
    }
    float s = 0.0f;
    for (int k = 0; k < used; k++)
        s += part[k];
    g_sink = s;
}

/* Copy pass: src[0, n) read once, dst[0, n) written once (libc memcpy per part). */
static void copy_pass(void *p)
{
    const pass_ctx *c = p;
#ifdef _OPENMP
#pragma omp parallel
#endif
    {
        int id;
        size_t lo, hi;
        (void)my_part(c->n, &id, &lo, &hi);
        memcpy(c->dst + lo, c->src + lo, (hi - lo) * sizeof(float));
    }
}

/* ------------------------------------------------------ naive cross-entropy */

/*
 * The plain scalar three-pass cross-entropy a user would write first, mean over
 * rows: per row a max pass, an exp-sum pass, then the target's log-probability.
 * logits rows x cols (contiguous), target rows; row_loss rows floats of scratch.
 * Rows are shared over the OpenMP threads.
 */
static float naive_ce(size_t rows, size_t cols, const float *x, const int64_t *target,
                      float *row_loss)
{
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (size_t r = 0; r < rows; r++) {
        const float *row = x + r * cols;
        float m = row[0];
        for (size_t j = 1; j < cols; j++)
            if (row[j] > m)
                m = row[j];
        float s = 0.0f;
        for (size_t j = 0; j < cols; j++)
            s += expf(row[j] - m);
        row_loss[r] = logf(s) + m - row[target[r]];
    }
    double total = 0.0;
    for (size_t r = 0; r < rows; r++)
        total += (double)row_loss[r];
    return (float)(total / (double)rows);
}

/* ------------------------------------------------------------ the op calls */

typedef struct op_ctx {
    size_t rows, cols;
    float *x;           /* logits (or MSE/BCE input) */
    float *y;           /* gradient / log_softmax output (or MSE/BCE target) */
    const float *x0;    /* pristine logits, for restoring after in-place calls */
    const int64_t *t;   /* class targets */
    float *row_loss;    /* rows floats for the naive CE */
    float out;          /* the loss written by the call */
    lk_status st;
} op_ctx;

static void run_ce_fwd(void *p)
{
    op_ctx *c = p;
    c->st = lk_cross_entropy_f32(c->rows, c->cols, c->x, c->cols, c->t, NULL, &c->out);
}

static void run_ce_fused_inplace(void *p)
{
    op_ctx *c = p;
    c->st = lk_cross_entropy_fused_f32(c->rows, c->cols, c->x, c->cols, c->t, NULL,
                                       &c->out, c->x, c->cols);
}

static void run_ce_fused_grad(void *p)
{
    op_ctx *c = p;
    c->st = lk_cross_entropy_fused_f32(c->rows, c->cols, c->x, c->cols, c->t, NULL,
                                       &c->out, c->y, c->cols);
}

static void run_log_softmax(void *p)
{
    op_ctx *c = p;
    c->st = lk_log_softmax_f32(c->rows, c->cols, c->x, c->cols, c->y, c->cols);
    c->out = c->y[0];
}

static void run_naive(void *p)
{
    op_ctx *c = p;
    c->out = naive_ce(c->rows, c->cols, c->x, c->t, c->row_loss);
    c->st = LK_OK;
}

static void run_mse(void *p)
{
    op_ctx *c = p;
    c->st = lk_mse_f32(c->rows * c->cols, c->x, c->y, LK_REDUCTION_MEAN, &c->out);
}

static void run_bce_logits(void *p)
{
    op_ctx *c = p;
    c->st = lk_bce_logits_f32(c->rows, c->cols, c->x, c->y, NULL, NULL,
                              LK_REDUCTION_MEAN, &c->out);
}

static void restore_logits(void *p)
{
    op_ctx *c = p;
    memcpy(c->x, c->x0, c->rows * c->cols * sizeof(float));
}

/* Times one of our calls; the warm-up call also checks that it succeeds. */
static void time_ours(const lkb_config *cfg, const char *op, lkb_fn fn, lkb_fn restore,
                      op_ctx *c, double bytes, const char *note)
{
    int nt = thread_count();
    if (restore)
        restore(c);
    double t0 = lkb_now();
    fn(c);
    double warm = lkb_now() - t0;
    if (c->st != LK_OK) {
        char msg[128];
        snprintf(msg, sizeof msg, "error: %s", lk_strerror(c->st));
        lkb_print_skip("losskit", op, c->rows, c->cols, nt, msg);
        return;
    }
    lkb_result r = lkb_time_warm(cfg, fn, restore, c, warm);
    lkb_print_time("losskit", op, c->rows, c->cols, nt, &r, bytes, (double)c->out, note);
}

static void time_limit(const lkb_config *cfg, const char *op, lkb_fn fn, pass_ctx *pc,
                       size_t rows, size_t cols, double bytes)
{
    lkb_result r = lkb_time(cfg, fn, NULL, pc);
    lkb_print_time("limit", op, rows, cols, thread_count(), &r, bytes, 0.0, "");
}

/* Random class targets in [0, cols). */
static int64_t *make_targets(size_t rows, size_t cols, uint64_t seed)
{
    int64_t *t = malloc(rows * sizeof *t + 1);
    if (!t) {
        fprintf(stderr, "lkbench: out of memory\n");
        exit(2);
    }
    uint64_t s = seed | 1u;
    for (size_t r = 0; r < rows; r++)
        t[r] = (int64_t)(lkb_rand(&s) % cols);
    return t;
}

/* All row-wise measurements of one rows x cols shape. */
static void bench_rows(const lkb_config *cfg, size_t rows, size_t cols)
{
    size_t n = rows * cols;
    double b = (double)n * sizeof(float);
    int nt = thread_count();
    fprintf(stderr, "lkbench: %zux%zu, %d thread(s): preparing %.0f MB of logits\n",
            rows, cols, nt, b / 1e6);

    float *x0 = lkb_alloc_floats(n), *x = lkb_alloc_floats(n), *y = lkb_alloc_floats(n);
    float *row_loss = lkb_alloc_floats(rows);
    int64_t *t = make_targets(rows, cols, 0x9E3779B97F4A7C15ULL ^ n);
    lkb_fill(x0, n, 12345u + n, -4.0f, 4.0f);
    memcpy(x, x0, n * sizeof(float));
    memset(y, 0, n * sizeof(float));

    pass_ctx pc = { x, y, n };
    time_limit(cfg, "read", read_pass, &pc, rows, cols, b);
    time_limit(cfg, "copy", copy_pass, &pc, rows, cols, 2 * b);

    op_ctx c = { rows, cols, x, y, x0, t, row_loss, 0.0f, LK_OK };
    run_naive(&c);
    float naive_value = c.out;

    /* Forward: our loss beside the naive one on the same data, as a sanity check. */
    run_ce_fwd(&c);
    char note[96] = "";
    if (c.st == LK_OK && !(fabsf(c.out - naive_value) <= 1e-4f * fabsf(naive_value)))
        snprintf(note, sizeof note, "MISMATCH vs naive %.7g", (double)naive_value);
    time_ours(cfg, "ce_fwd", run_ce_fwd, NULL, &c, b, note);

    time_ours(cfg, "ce_fused_inplace", run_ce_fused_inplace, restore_logits, &c, 2 * b,
              NULL);
    restore_logits(&c);
    time_ours(cfg, "ce_fused_grad", run_ce_fused_grad, NULL, &c, 2 * b, NULL);
    time_ours(cfg, "log_softmax", run_log_softmax, NULL, &c, 2 * b, NULL);

    lkb_result r = lkb_time(cfg, run_naive, NULL, &c);
    lkb_print_time("naive", "ce_fwd", rows, cols, nt, &r, b, (double)c.out,
                   "scalar 3-pass C");

    free(x0);
    free(x);
    free(y);
    free(row_loss);
    free(t);
}

/* Element-wise measurements on R*C values: x and y side by side in one buffer. */
static void bench_elem(const lkb_config *cfg, size_t rows, size_t cols)
{
    size_t n = rows * cols;
    double b = 2.0 * (double)n * sizeof(float); /* x and y read once */
    int nt = thread_count();
    fprintf(stderr, "lkbench: element-wise %zu values, %d thread(s)\n", n, nt);

    float *buf = lkb_alloc_floats(2 * n);
    float *x = buf, *y = buf + n;
    lkb_fill(x, n, 777u, -4.0f, 4.0f);
    lkb_fill(y, n, 999u, 0.0f, 1.0f);

    pass_ctx pc = { buf, NULL, 2 * n };
    time_limit(cfg, "read_xy", read_pass, &pc, rows, cols, b);

    op_ctx c = { rows, cols, x, y, NULL, NULL, NULL, 0.0f, LK_OK };
    time_ours(cfg, "mse", run_mse, NULL, &c, b, NULL);
    time_ours(cfg, "bce_logits", run_bce_logits, NULL, &c, b, NULL);
    free(buf);
}

/* ------------------------------------------------------------------ memory */

/* A "Vm...:" field of /proc/self/status in bytes, or -1. */
static long long proc_status_bytes(const char *field)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[256];
    long long v = -1;
    size_t len = strlen(field);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, field, len) == 0 && line[len] == ':') {
            v = 1024 * strtoll(line + len + 1, NULL, 10);
            break;
        }
    }
    fclose(f);
    return v;
}

/* Resets the peak RSS (VmHWM) to the current RSS; returns 0 when it worked. */
static int reset_peak(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return -1;
    int ok = fputs("5", f) >= 0;
    return (fclose(f) == 0 && ok) ? 0 : -1;
}

static long long maxrss_bytes(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return 1024LL * ru.ru_maxrss;
}

/*
 * Peak memory of one call beyond its inputs and outputs: all buffers are allocated
 * and touched, the OpenMP threads started, then the peak RSS is reset (or read) and
 * compared with the peak after one call.
 */
static int measure_mem(const char *op, size_t rows, size_t cols)
{
    lkb_fn fn;
    bool need_y = true;
    if (strcmp(op, "ce_fwd") == 0) {
        fn = run_ce_fwd;
        need_y = false;
    } else if (strcmp(op, "ce_fused_inplace") == 0) {
        fn = run_ce_fused_inplace;
        need_y = false;
    } else if (strcmp(op, "ce_fused_grad") == 0) {
        fn = run_ce_fused_grad;
    } else if (strcmp(op, "log_softmax") == 0) {
        fn = run_log_softmax;
    } else {
        fprintf(stderr, "lkbench: unknown op for mem: %s\n", op);
        return 2;
    }
    size_t n = rows * cols;
    float *x = lkb_alloc_floats(n);
    float *y = need_y ? lkb_alloc_floats(n) : NULL;
    int64_t *t = make_targets(rows, cols, 42u);
    lkb_fill(x, n, 7u, -4.0f, 4.0f);
    if (y)
        memset(y, 0, n * sizeof(float));

    /*
     * Warm-up on a tiny problem (2 rows of at most 1024 classes, the same buffers):
     * starts the OpenMP threads and faults in the code pages of the library, which
     * would otherwise count as extra memory.
     */
    int nt = thread_count();
    static const int64_t warm_target[2] = { 0, 0 };
    op_ctx c = { rows < 2 ? rows : 2, cols < 1024 ? cols : 1024, x, y, NULL, warm_target,
                 NULL, 0.0f, LK_OK };
    fn(&c);
    if (y)
        memset(y, 0, n * sizeof(float));
    lkb_fill(x, c.rows * c.cols, 7u, -4.0f, 4.0f);
    c.rows = rows;
    c.cols = cols;
    c.t = t;
    long long base, peak;
    const char *how;
    if (reset_peak() == 0 && proc_status_bytes("VmRSS") >= 0) {
        how = "VmHWM after clear_refs";
        base = proc_status_bytes("VmRSS");
        fn(&c);
        peak = proc_status_bytes("VmHWM");
    } else {
        how = "ru_maxrss";
        base = maxrss_bytes();
        fn(&c);
        peak = maxrss_bytes();
    }
    if (c.st != LK_OK) {
        printf("mem,losskit,%s,%zu,%zu,%d,,,,,,,,,,,,error: %s\n", op, rows, cols, nt,
               lk_strerror(c.st));
    } else {
        long long extra = peak > base ? peak - base : 0;
        printf("mem,losskit,%s,%zu,%zu,%d,,,,,,,,%.0f,,%lld,%.9g,%s\n", op, rows, cols, nt,
               (double)n * sizeof(float), extra, (double)c.out, how);
    }
    fflush(stdout);
    free(x);
    free(y);
    free(t);
    return 0;
}

/* -------------------------------------------------------------------- main */

static int usage(void)
{
    fprintf(stderr,
            "usage: lkbench info\n"
            "       lkbench time SHAPE...   (SHAPE: RxC row-wise, elem:RxC element-wise)\n"
            "       lkbench mem OP RxC      (OP: ce_fwd ce_fused_inplace ce_fused_grad "
            "log_softmax)\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return usage();
    if (strcmp(argv[1], "info") == 0) {
        printf("losskit_version=%s\n", lk_version());
        printf("csv_header=%s\n", LKB_CSV_HEADER);
#ifdef _OPENMP
        printf("openmp=%d\n", _OPENMP);
#else
        printf("openmp=no\n");
#endif
        printf("max_threads=%d\n", thread_count());
        return 0;
    }
    if (strcmp(argv[1], "mem") == 0) {
        size_t rows, cols;
        if (argc != 4 || lkb_parse_shape(argv[3], &rows, &cols) != 0)
            return usage();
        return measure_mem(argv[2], rows, cols);
    }
    if (strcmp(argv[1], "time") != 0)
        return usage();

    lkb_config cfg = lkb_config_from_env();
    for (int i = 2; i < argc; i++) {
        size_t rows, cols;
        bool elem = strncmp(argv[i], "elem:", 5) == 0;
        if (lkb_parse_shape(argv[i] + (elem ? 5 : 0), &rows, &cols) != 0) {
            fprintf(stderr, "lkbench: bad shape '%s'\n", argv[i]);
            return 2;
        }
        if (elem)
            bench_elem(&cfg, rows, cols);
        else
            bench_rows(&cfg, rows, cols);
    }
    return 0;
}
