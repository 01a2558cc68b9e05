/*
 * reduce.c - the deterministic reduction tree and the public pairwise sums.
 *
 * The tree is a balanced binary tree over leaves: a range of k leaves splits into
 * its first floor(k/2) leaves and the rest.  lk__tree evaluates it in segments of at
 * most LK_SEGMENT leaves: the ranges the recursion reaches with <= LK_SEGMENT leaves
 * are evaluated leaf by leaf (in parallel) into a stack array and combined there by
 * the same split rule, so the arithmetic is that of the whole tree whatever the
 * segment size or thread count.
 */
#include "internal.h"

lk_acc lk__acc_add(lk_acc l, lk_acc r)
{
    lk_acc s = { l.a + r.a, l.b + r.b };
    return s;
}

/* Combines v[0, k) (k >= 1) by the balanced split rule. */
static lk_acc combine_range(const lk_acc *v, size_t k, lk_combine_fn combine)
{
    if (k == 1)
        return v[0];
    size_t half = k / 2;
    lk_acc left = combine_range(v, half, combine);
    lk_acc right = combine_range(v + half, k - half, combine);
    return combine(left, right);
}

typedef struct tree_job {
    size_t n;           /* items */
    size_t leaf;        /* items per leaf */
    lk_leaf_fn fn;
    void *ctx;
    lk_combine_fn combine;
    bool parallel;
} tree_job;

/* Leaf i of the job. */
static lk_acc leaf(const tree_job *job, size_t i)
{
    size_t lo = i * job->leaf;
    size_t hi = job->n - lo < job->leaf ? job->n : lo + job->leaf;
    return job->fn(job->ctx, lo, hi);
}

/* The subtree over leaves [first, first + k), k >= 1, on this thread only (no
 * OpenMP region: entering one costs microseconds, too much per row). */
static lk_acc serial_subtree(const tree_job *job, size_t first, size_t k)
{
    if (k == 1)
        return leaf(job, first);
    size_t half = k / 2;
    lk_acc left = serial_subtree(job, first, half);
    lk_acc right = serial_subtree(job, first + half, k - half);
    return job->combine(left, right);
}

/* The subtree over leaves [first, first + k), k >= 1. */
static lk_acc subtree(const tree_job *job, size_t first, size_t k)
{
    if (!job->parallel)
        return serial_subtree(job, first, k);
    if (k > LK_SEGMENT) {
        size_t half = k / 2;
        lk_acc left = subtree(job, first, half);
        lk_acc right = subtree(job, first + half, k - half);
        return job->combine(left, right);
    }
    lk_acc part[LK_SEGMENT];
    /* The loop variable is signed for OpenMP 2.5 compilers; k <= LK_SEGMENT. */
    long nk = (long)k;
#pragma omp parallel for schedule(static) if (nk > 1)
    for (long i = 0; i < nk; i++)
        part[i] = leaf(job, first + (size_t)i);
    return combine_range(part, k, job->combine);
}

lk_acc lk__tree(size_t n, size_t leaf, lk_leaf_fn fn, void *ctx,
                lk_combine_fn combine, lk_acc empty, bool parallel)
{
    if (n == 0)
        return empty;
    tree_job job = { n, leaf, fn, ctx, combine, parallel };
    size_t leaves = n / leaf + (n % leaf != 0);
    return subtree(&job, 0, leaves);
}

lk_acc lk__tree_sum(size_t n, size_t leaf, lk_leaf_fn fn, void *ctx, bool parallel)
{
    lk_acc zero = { 0.0, 0.0 };
    return lk__tree(n, leaf, fn, ctx, lk__acc_add, zero, parallel);
}

/* ------------------------------------------------------------ public sums */

static lk_acc leaf_f32(void *ctx, size_t lo, size_t hi)
{
    const float *x = ctx;
    double s = 0.0;
    for (size_t i = lo; i < hi; i++)
        s += (double)x[i];
    lk_acc r = { s, 0.0 };
    return r;
}

static lk_acc leaf_f64(void *ctx, size_t lo, size_t hi)
{
    const double *x = ctx;
    double s = 0.0;
    for (size_t i = lo; i < hi; i++)
        s += x[i];
    lk_acc r = { s, 0.0 };
    return r;
}

lk_status lk_pairwise_sum_f32(size_t n, const float *x, double *out)
{
    lk_status st = lk__check_vector(n, x, sizeof *x);
    if (st != LK_OK)
        return st;
    if (out == NULL)
        return LK_ERR_NULL;
    /* The leaf function only reads x; the cast drops const for the context. */
    *out = lk__tree_sum(n, LK_LEAF, leaf_f32, (void *)(uintptr_t)x,
                        lk__worth_parallel(n, 1)).a;
    return LK_OK;
}

lk_status lk_pairwise_sum_f64(size_t n, const double *x, double *out)
{
    lk_status st = lk__check_vector(n, x, sizeof *x);
    if (st != LK_OK)
        return st;
    if (out == NULL)
        return LK_ERR_NULL;
    *out = lk__tree_sum(n, LK_LEAF, leaf_f64, (void *)(uintptr_t)x,
                        lk__worth_parallel(n, 1)).a;
    return LK_OK;
}
