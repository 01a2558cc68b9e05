/*
 * test_concurrent.c - several user threads calling the library at the same time.
 *
 * The header promises that functions are reentrant: separate calls on separate
 * buffers may run concurrently from several threads, each call using OpenMP inside.
 * Here LKC_THREADS pthreads each own a set of problems (their own inputs and
 * outputs), wait on a barrier, and then call the library LKC_REPEATS times on all of
 * them with an OpenMP team of 2 or 3 threads.  Every result must be bitwise equal
 * (memcmp) to the same call made serially, one OpenMP thread, before the threads
 * started.
 *
 * Problems are sized to take the parallel paths: many rows (the row partition),
 * few very long rows (chunks of a row split over threads), and the element-wise
 * leaves.  Worker threads never call Check; they count mismatches, which the main
 * thread asserts on after joining.
 */
#include "lktest.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LKC_THREADS 4
#define LKC_REPEATS 4

typedef struct op op;
struct op {
    const char *name;
    lk_status (*run)(op *o, float *out); /* writes nout floats to out */
    size_t rows, cols, nout;
    lk_reduction red;
    float *x, *y, *w, *pw, *scratch;
    int64_t *t;
    lk_ce_options opts;
    float *ref; /* serial result */
    float *out; /* the worker's result */
};

/* ---------------------------------------------------------------- the calls */

static lk_status run_log_softmax(op *o, float *out)
{
    return lk_log_softmax_f32(o->rows, o->cols, o->x, o->cols, out, o->cols);
}

/* Fused cross-entropy with the gradient written over a copy of the logits. */
static lk_status run_ce_fused_inplace(op *o, float *out)
{
    size_t n = o->rows * o->cols;
    memcpy(o->scratch, o->x, n * sizeof *o->x);
    lk_status st = lk_cross_entropy_fused_f32(o->rows, o->cols, o->scratch, o->cols, o->t,
                                              &o->opts, out, o->scratch, o->cols);
    memcpy(out + o->nout - n, o->scratch, n * sizeof *out);
    return st;
}

/* Fused cross-entropy, separate gradient buffer; loss first, then the gradient. */
static lk_status run_ce_fused(op *o, float *out)
{
    size_t nloss = o->opts.reduction == LK_REDUCTION_NONE ? o->rows : 1;
    return lk_cross_entropy_fused_f32(o->rows, o->cols, o->x, o->cols, o->t, &o->opts, out,
                                      out + nloss, o->cols);
}

/* MSE forward (one float) then backward (n floats). */
static lk_status run_mse(op *o, float *out)
{
    lk_status st = lk_mse_f32(o->rows, o->x, o->y, o->red, out);
    if (st != LK_OK)
        return st;
    return lk_mse_backward_f32(o->rows, o->x, o->y, o->red, NULL, out + 1);
}

/* BCE with logits forward (one float) then backward (rows * cols floats). */
static lk_status run_bce_logits(op *o, float *out)
{
    lk_status st = lk_bce_logits_f32(o->rows, o->cols, o->x, o->y, o->w, o->pw, o->red, out);
    if (st != LK_OK)
        return st;
    return lk_bce_logits_backward_f32(o->rows, o->cols, o->x, o->y, o->w, o->pw, o->red,
                                      NULL, out + 1);
}

/* ------------------------------------------------------------ problem setup */

static float *alloc_f(size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof *p);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* The problems of one worker, filled from its own seed. */
#define NOPS 7
static void make_ops(op ops[NOPS], uint64_t seed)
{
    lkt_rng rng = { seed };
    memset(ops, 0, NOPS * sizeof *ops);

    /* log_softmax over many rows (row partition), and over few long rows (split). */
    ops[0] = (op){ .name = "log_softmax 96x700", .run = run_log_softmax, .rows = 96,
                   .cols = 700 };
    ops[1] = (op){ .name = "log_softmax 3x20000", .run = run_log_softmax, .rows = 3,
                   .cols = 20000 };
    for (int k = 0; k < 2; k++) {
        op *o = &ops[k];
        o->nout = o->rows * o->cols;
        o->x = alloc_f(o->nout);
        lkt_fill(&rng, o->x, o->nout, -20.0f, 20.0f);
    }

    /* Fused cross-entropy: MEAN with weights, smoothing and ignored rows, in place;
     * NONE with separate gradient; a split-row problem. */
    ops[2] = (op){ .name = "ce_fused in place 300x90", .run = run_ce_fused_inplace,
                   .rows = 300, .cols = 90 };
    ops[3] = (op){ .name = "ce_fused NONE 200x128", .run = run_ce_fused, .rows = 200,
                   .cols = 128 };
    ops[4] = (op){ .name = "ce_fused 2x30000", .run = run_ce_fused, .rows = 2,
                   .cols = 30000 };
    for (int k = 2; k < 5; k++) {
        op *o = &ops[k];
        size_t n = o->rows * o->cols;
        o->opts = lk_ce_options_default();
        o->x = alloc_f(n);
        lkt_fill(&rng, o->x, n, -8.0f, 8.0f);
        o->t = malloc(o->rows * sizeof *o->t);
        ck_assert_ptr_nonnull(o->t);
        for (size_t r = 0; r < o->rows; r++)
            o->t[r] = r % 11 == 5 ? -100 : (int64_t)(lkt_next(&rng) % o->cols);
        if (k == 2) {
            o->w = alloc_f(o->cols);
            lkt_fill(&rng, o->w, o->cols, 0.25f, 3.0f);
            o->opts.class_weight = o->w;
            o->opts.label_smoothing = 0.1f;
            o->scratch = alloc_f(n);
        }
        if (k == 3)
            o->opts.reduction = LK_REDUCTION_NONE;
        size_t nloss = o->opts.reduction == LK_REDUCTION_NONE ? o->rows : 1;
        o->nout = nloss + n;
    }

    /* Element-wise losses. */
    ops[5] = (op){ .name = "mse 100000", .run = run_mse, .rows = 100000, .cols = 1,
                   .red = LK_REDUCTION_MEAN };
    ops[6] = (op){ .name = "bce_logits 1000x40", .run = run_bce_logits, .rows = 1000,
                   .cols = 40, .red = LK_REDUCTION_MEAN };
    for (int k = 5; k < 7; k++) {
        op *o = &ops[k];
        size_t n = o->rows * o->cols;
        o->nout = 1 + n;
        o->x = alloc_f(n);
        o->y = alloc_f(n);
        lkt_fill(&rng, o->x, n, -6.0f, 6.0f);
        lkt_fill(&rng, o->y, n, 0.0f, 1.0f);
        if (k == 6) {
            o->w = alloc_f(n);
            lkt_fill(&rng, o->w, n, 0.5f, 2.0f);
            o->pw = alloc_f(o->cols);
            lkt_fill(&rng, o->pw, o->cols, 0.5f, 4.0f);
        }
    }

    for (int k = 0; k < NOPS; k++) {
        ops[k].ref = alloc_f(ops[k].nout);
        ops[k].out = alloc_f(ops[k].nout);
    }
}

static void free_ops(op ops[NOPS])
{
    for (int k = 0; k < NOPS; k++) {
        free(ops[k].x);
        free(ops[k].y);
        free(ops[k].w);
        free(ops[k].pw);
        free(ops[k].scratch);
        free(ops[k].t);
        free(ops[k].ref);
        free(ops[k].out);
    }
}

/* ------------------------------------------------------------------ workers */

typedef struct worker {
    int id;
    op ops[NOPS];
    pthread_barrier_t *barrier;
    int failures;           /* calls that did not return LK_OK */
    int mismatches;         /* results that differ from the serial ones */
    const char *first_bad;  /* name of the first failing problem */
} worker;

static void *work(void *arg)
{
    worker *w = arg;
    lkt_set_threads(2 + w->id % 2);
    pthread_barrier_wait(w->barrier);
    for (int rep = 0; rep < LKC_REPEATS; rep++) {
        for (int k = 0; k < NOPS; k++) {
            op *o = &w->ops[(k + w->id) % NOPS]; /* workers start on different calls */
            memset(o->out, 0xA5, o->nout * sizeof *o->out);
            if (o->run(o, o->out) != LK_OK) {
                w->failures++;
                w->first_bad = w->first_bad ? w->first_bad : o->name;
            } else if (memcmp(o->out, o->ref, o->nout * sizeof *o->out) != 0) {
                w->mismatches++;
                w->first_bad = w->first_bad ? w->first_bad : o->name;
            }
        }
    }
    return NULL;
}

START_TEST(t_concurrent_bitwise)
{
    static worker ws[LKC_THREADS];
    pthread_t th[LKC_THREADS];
    pthread_barrier_t barrier;
    ck_assert_int_eq(pthread_barrier_init(&barrier, NULL, LKC_THREADS), 0);

    /* Serial references: one OpenMP thread, one user thread. */
    lkt_set_threads(1);
    for (int i = 0; i < LKC_THREADS; i++) {
        memset(&ws[i], 0, sizeof ws[i]);
        ws[i].id = i;
        ws[i].barrier = &barrier;
        make_ops(ws[i].ops, 1000u + (uint64_t)i);
        for (int k = 0; k < NOPS; k++) {
            op *o = &ws[i].ops[k];
            lk_status st = o->run(o, o->ref);
            ck_assert_msg(st == LK_OK, "serial %s: %s", o->name, lk_strerror(st));
        }
    }

    for (int i = 0; i < LKC_THREADS; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, work, &ws[i]), 0);
    for (int i = 0; i < LKC_THREADS; i++)
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
    pthread_barrier_destroy(&barrier);

    for (int i = 0; i < LKC_THREADS; i++) {
        ck_assert_msg(ws[i].failures == 0 && ws[i].mismatches == 0,
                      "thread %d: %d failed calls, %d results differ from the serial ones "
                      "(first: %s)",
                      i, ws[i].failures, ws[i].mismatches, ws[i].first_bad);
        free_ops(ws[i].ops);
    }
}
END_TEST

static Suite *concurrent_suite(void)
{
    Suite *s = suite_create("concurrent");
    TCase *tc = tcase_create("pthreads");
    /* Generous: the same test runs under valgrind and ThreadSanitizer. */
    tcase_set_timeout(tc, 600);
    tcase_add_test(tc, t_concurrent_bitwise);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lkt_main(concurrent_suite());
}
