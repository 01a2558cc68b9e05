/* losstest.c - see losstest.h. */
#include "losstest.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

size_t lt_n(const lt_args *a)
{
    return a->rows * a->cols;
}

size_t lt_nout(const lt_args *a)
{
    return a->red == LK_REDUCTION_NONE ? lt_n(a) : 1;
}

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    ck_assert_ptr_nonnull(p);
    return p;
}

/* ------------------------------------------------------------- golden runner */

static double scalar(const lkt_golden *g, const char *name, const char *key)
{
    return lkt_golden_need(g, name, key, 1)->v[0];
}

static float *optional(const lkt_golden *g, const char *name, const char *key, size_t n)
{
    const lkt_array *a = lkt_golden_get(g, name, key);
    if (!a)
        return NULL;
    ck_assert_msg(a->n == n, "golden %s/%s has %zu values, expected %zu", name, key, a->n, n);
    return lkt_to_f32(a);
}

static void compare(const char *name, const char *what, const float *got,
                    const lkt_array *want, double rtol, double atol_scale)
{
    double maxabs = 0.0;
    for (size_t i = 0; i < want->n; i++)
        if (isfinite(want->v[i]) && fabs(want->v[i]) > maxabs)
            maxabs = fabs(want->v[i]);
    /*
     * PyTorch's float64 values are themselves exact only to about 1e-16 of the
     * largest terms they combine (its BCE takes log(1 - p), its BCE with logits
     * log(1 + exp(-|x|)), losing tiny results to cancellation), hence the
     * 1e-12 * max |want| floor.
     */
    double atol = (atol_scale + 1e-12) * maxabs + 1e-30;
    for (size_t i = 0; i < want->n; i++)
        ck_assert_msg(lkt_close(got[i], want->v[i], rtol, atol),
                      "%s %s[%zu]: got %.9g, PyTorch float64 %.17g (rtol %g, atol %g)", name,
                      what, i, (double)got[i], want->v[i], rtol, atol);
}

size_t lt_run_golden(const lt_loss *L)
{
    lkt_golden *g = lkt_golden_load("golden_losses.txt");
    size_t plen = strlen(L->name), count = 0;
    for (size_t c = 0; c < g->ncases; c++) {
        const char *name = g->cases[c].name;
        if (strncmp(name, L->name, plen) != 0 || name[plen] != '.')
            continue;
        lt_args a;
        a.rows = (size_t)scalar(g, name, "rows");
        a.cols = (size_t)scalar(g, name, "cols");
        size_t n = lt_n(&a);
        float *x = lkt_to_f32(lkt_golden_need(g, name, "x", n));
        float *y = lkt_to_f32(lkt_golden_need(g, name, "y", n));
        float *w = optional(g, name, "w", n);
        float *pw = optional(g, name, "pw", a.cols);
        a.x = x;
        a.y = y;
        a.w = w;
        a.pw = pw;
        a.param = (float)scalar(g, name, "param");
        a.flag = (int)scalar(g, name, "flag");
        a.red = (lk_reduction)(int)scalar(g, name, "reduction");
        size_t nout = lt_nout(&a);

        const lkt_array *want_out = lkt_golden_need(g, name, "out", nout);
        float *out = xmalloc(nout * sizeof *out);
        lkt_assert_status(L->fwd(&a, out), LK_OK);
        compare(name, "out", out, want_out, L->rtol_out, 0.0);

        float *gout = lkt_to_f32(lkt_golden_need(g, name, "grad_out", nout));
        const lkt_array *want_grad = lkt_golden_need(g, name, "grad", n);
        float *grad = xmalloc(n * sizeof *grad);
        lkt_assert_status(L->bwd(&a, gout, grad), LK_OK);
        compare(name, "grad", grad, want_grad, L->rtol_grad, L->atol_grad);

        free(x);
        free(y);
        free(w);
        free(pw);
        free(out);
        free(gout);
        free(grad);
        count++;
    }
    lkt_golden_free(g);
    ck_assert_msg(count > 0, "no golden cases for %s", L->name);
    return count;
}

/* ------------------------------------------------------- finite differences */

void lt_check_fd(const lt_loss *L, const lt_args *a, double h_rel, double trunc,
                 bool (*skip)(const lt_args *a, size_t i, double step))
{
    size_t n = lt_n(a);
    lt_args b = *a;
    b.red = LK_REDUCTION_NONE;
    float *xp = xmalloc(n * sizeof *xp);
    float *lp = xmalloc(n * sizeof *lp), *lm = xmalloc(n * sizeof *lm);
    float *g = xmalloc(n * sizeof *g);
    lkt_assert_status(L->bwd(&b, NULL, g), LK_OK);
    size_t checked = 0;
    for (size_t i = 0; i < n; i++) {
        double x0 = a->x[i];
        double h = h_rel * (fabs(x0) > 1.0 ? fabs(x0) : 1.0);
        float xhi = (float)(x0 + h), xlo = (float)(x0 - h);
        double step = (double)xhi - (double)xlo; /* the step actually taken */
        if (skip && skip(a, i, step))
            continue;
        memcpy(xp, a->x, n * sizeof *xp);
        b.x = xp;
        xp[i] = xhi;
        lkt_assert_status(L->fwd(&b, lp), LK_OK);
        xp[i] = xlo;
        lkt_assert_status(L->fwd(&b, lm), LK_OK);
        double fd = ((double)lp[i] - (double)lm[i]) / step;
        double tol = 8.0 * 0x1p-24 * (fabs(lp[i]) + fabs(lm[i])) / step +
                     1e-6 * fabs(g[i]) + trunc;
        ck_assert_msg(fabs(fd - g[i]) <= tol,
                      "%s: finite difference at element %zu (x = %.9g, y = %.9g): "
                      "analytic %.9g, central difference %.9g, tolerance %.3g",
                      L->name, i, x0, (double)a->y[i], (double)g[i], fd, tol);
        checked++;
    }
    ck_assert_msg(checked > 0, "%s: no element checked by finite differences", L->name);
    free(xp);
    free(lp);
    free(lm);
    free(g);
}

/* ---------------------------------------------------- thread independence */

static void check_threads_shape(const lt_loss *L, const lt_args *proto, lt_fill_fn fill,
                                size_t rows, size_t cols)
{
    size_t n = rows * cols;
    lkt_rng r = { 0x5EED0000u + n };
    float *x = xmalloc(n * sizeof *x), *y = xmalloc(n * sizeof *y);
    float *w = proto->w ? xmalloc(n * sizeof *w) : NULL;
    float *pw = proto->pw ? xmalloc(cols * sizeof *pw) : NULL;
    fill(&r, rows, cols, x, y, w, pw);
    float *gvec = xmalloc(n * sizeof *gvec);
    lkt_fill(&r, gvec, n, -1.0f, 1.0f);
    const float gscalar = 0.75f;

    lk_reduction reds[4] = { LK_REDUCTION_NONE, LK_REDUCTION_SUM, LK_REDUCTION_MEAN,
                             LK_REDUCTION_BATCHMEAN };
    size_t nreds = L->batchmean ? 4 : 3;
    float *out_ref = xmalloc(n * sizeof(float)), *out = xmalloc(n * sizeof(float));
    float *grad_ref = xmalloc(n * sizeof(float)), *grad = xmalloc(n * sizeof(float));
    for (size_t ri = 0; ri < nreds; ri++) {
        lt_args a = *proto;
        a.rows = rows;
        a.cols = cols;
        a.x = x;
        a.y = y;
        a.w = w;
        a.pw = pw;
        a.red = reds[ri];
        size_t nout = lt_nout(&a);
        const float *go = a.red == LK_REDUCTION_NONE ? gvec : &gscalar;
        for (int t = 0; t < LKT_NTHREADS; t++) {
            lkt_set_threads(lkt_threads[t]);
            float *o = t == 0 ? out_ref : out, *gr = t == 0 ? grad_ref : grad;
            lkt_assert_status(L->fwd(&a, o), LK_OK);
            lkt_assert_status(L->bwd(&a, go, gr), LK_OK);
            if (t == 0)
                continue;
            ck_assert_msg(memcmp(out_ref, out, nout * sizeof(float)) == 0,
                          "%s: forward (reduction %d, %zux%zu) differs at %d threads",
                          L->name, (int)a.red, rows, cols, lkt_threads[t]);
            ck_assert_msg(memcmp(grad_ref, grad, n * sizeof(float)) == 0,
                          "%s: backward (reduction %d, %zux%zu) differs at %d threads",
                          L->name, (int)a.red, rows, cols, lkt_threads[t]);
        }
    }
    lkt_set_threads(1);
    free(x);
    free(y);
    free(w);
    free(pw);
    free(gvec);
    free(out_ref);
    free(out);
    free(grad_ref);
    free(grad);
}

void lt_check_threads(const lt_loss *L, const lt_args *proto, lt_fill_fn fill, bool matrix)
{
    static const size_t vec[][2] = { { 1, 1 }, { 3, 1 }, { 1029, 1 }, { 50001, 1 } };
    static const size_t mat[][2] = { { 1, 3 }, { 3, 1 }, { 7, 147 }, { 3, 16667 } };
    for (size_t s = 0; s < 4; s++) {
        const size_t *shape = matrix ? mat[s] : vec[s];
        check_threads_shape(L, proto, fill, shape[0], shape[1]);
    }
}

/* ------------------------------------------------------------------ errors */

void lt_expect_error(const lt_loss *L, const lt_args *a, bool fwd, const float *grad_out,
                     float *dst, void *guarded, size_t nbytes, lk_status want)
{
    lkt_guard_fill(guarded, nbytes);
    lk_status st = fwd ? L->fwd(a, dst) : L->bwd(a, grad_out, dst);
    ck_assert_msg(st == want, "%s %s: returned %d (%s), expected %d (%s)", L->name,
                  fwd ? "forward" : "backward", (int)st, lk_strerror(st), (int)want,
                  lk_strerror(want));
    ck_assert_msg(lkt_guard_intact(guarded, nbytes), "%s %s: output written on error %d",
                  L->name, fwd ? "forward" : "backward", (int)want);
}

void lt_check_common_errors(const lt_loss *L, const lt_args *proto, lt_fill_fn fill,
                            bool matrix)
{
    const size_t rows = matrix ? 3 : 7, cols = matrix ? 4 : 1, n = rows * cols;
    lkt_rng r = { 42 };
    /* Inputs live in one arena so outputs can be placed across them. */
    /* x | y | w | spare | pw, spare: every misplaced output stays inside. */
    const size_t arena_bytes = 6 * n * sizeof(float);
    float *arena = xmalloc(arena_bytes);
    float *x = arena, *y = arena + n, *w = arena + 2 * n, *pw = arena + 4 * n;
    fill(&r, rows, cols, x, y, w, pw);
    float *out = xmalloc(n * sizeof(float)), *grad = xmalloc(n * sizeof(float));
    float *ref = xmalloc(n * sizeof(float));
    float gvec[64];
    ck_assert_uint_le(n, 64);
    for (size_t i = 0; i < n; i++)
        gvec[i] = 0.5f + 0.125f * (float)i;
    const size_t nb = n * sizeof(float);

    lt_args a = *proto;
    a.rows = rows;
    a.cols = cols;
    a.x = x;
    a.y = y;
    a.w = proto->w ? w : NULL;
    a.pw = proto->pw ? pw : NULL;
    a.red = LK_REDUCTION_NONE;

    /* LK_ERR_NULL */
    lt_args b = a;
    b.x = NULL;
    lt_expect_error(L, &b, true, NULL, out, out, nb, LK_ERR_NULL);
    lt_expect_error(L, &b, false, NULL, grad, grad, nb, LK_ERR_NULL);
    b = a;
    b.y = NULL;
    lt_expect_error(L, &b, true, NULL, out, out, nb, LK_ERR_NULL);
    lt_expect_error(L, &b, false, NULL, grad, grad, nb, LK_ERR_NULL);
    lt_expect_error(L, &a, true, NULL, NULL, out, nb, LK_ERR_NULL);
    lt_expect_error(L, &a, false, NULL, NULL, grad, nb, LK_ERR_NULL);
    b = a;
    b.red = LK_REDUCTION_SUM;
    lt_expect_error(L, &b, true, NULL, NULL, out, nb, LK_ERR_NULL);

    /* LK_ERR_SIZE: byte counts that overflow size_t (nothing may be read). */
    b = a;
    if (matrix) {
        b.rows = SIZE_MAX / 4;
        b.cols = 3;
    } else {
        b.rows = SIZE_MAX / sizeof(float) + 1;
    }
    for (int red = 0; red < 3; red++) {
        b.red = (lk_reduction)red;
        lt_expect_error(L, &b, true, NULL, out, out, nb, LK_ERR_SIZE);
        lt_expect_error(L, &b, false, NULL, grad, grad, nb, LK_ERR_SIZE);
    }
    if (matrix) {
        b = a;
        b.cols = 0;
        lt_expect_error(L, &b, true, NULL, out, out, nb, LK_ERR_SIZE);
        lt_expect_error(L, &b, false, NULL, grad, grad, nb, LK_ERR_SIZE);
        b.rows = 0;
        lt_expect_error(L, &b, true, NULL, out, out, nb, LK_ERR_SIZE);
        if (a.pw) {
            /* No rows, but pos_weight's cols floats overflow. */
            b.cols = SIZE_MAX / 2;
            lt_expect_error(L, &b, true, NULL, out, out, nb, LK_ERR_SIZE);
            lt_expect_error(L, &b, false, NULL, grad, grad, nb, LK_ERR_SIZE);
        }
    }

    /* LK_ERR_OPTION: reductions. */
    b = a;
    b.red = (lk_reduction)99;
    lt_expect_error(L, &b, true, NULL, out, out, nb, LK_ERR_OPTION);
    lt_expect_error(L, &b, false, NULL, grad, grad, nb, LK_ERR_OPTION);
    b.red = (lk_reduction)-1;
    lt_expect_error(L, &b, true, NULL, out, out, nb, LK_ERR_OPTION);
    if (!L->batchmean) {
        b.red = LK_REDUCTION_BATCHMEAN;
        lt_expect_error(L, &b, true, NULL, out, out, nb, LK_ERR_OPTION);
        lt_expect_error(L, &b, false, NULL, grad, grad, nb, LK_ERR_OPTION);
    }

    /* LK_ERR_ALIAS: outputs placed across the inputs (the arena is guarded whole). */
    float *keep = xmalloc(arena_bytes);
    memcpy(keep, arena, arena_bytes);
    lt_expect_error(L, &a, true, NULL, x + 1, arena, arena_bytes, LK_ERR_ALIAS);
    lt_expect_error(L, &a, true, NULL, y - 1, arena, arena_bytes, LK_ERR_ALIAS);
    lt_expect_error(L, &a, false, NULL, x + 1, arena, arena_bytes, LK_ERR_ALIAS);
    lt_expect_error(L, &a, false, NULL, y + 2, arena, arena_bytes, LK_ERR_ALIAS);
    b = a;
    b.red = LK_REDUCTION_SUM;
    lt_expect_error(L, &b, true, NULL, x, arena, arena_bytes, LK_ERR_ALIAS);
    lt_expect_error(L, &b, true, NULL, y + n - 1, arena, arena_bytes, LK_ERR_ALIAS);
    if (a.w) {
        lt_expect_error(L, &a, true, NULL, w, arena, arena_bytes, LK_ERR_ALIAS);
        lt_expect_error(L, &a, false, NULL, w + 1, arena, arena_bytes, LK_ERR_ALIAS);
    }
    if (a.pw) {
        /* Outputs ending on pw[0], and starting on it. */
        lt_expect_error(L, &a, true, NULL, pw - n + 1, arena, arena_bytes, LK_ERR_ALIAS);
        lt_expect_error(L, &a, false, NULL, pw, arena, arena_bytes, LK_ERR_ALIAS);
    }
    memcpy(arena, keep, arena_bytes);
    /* grad over grad_out, NONE (n floats) and SUM (1 float). */
    float gbuf[64 + 1];
    memcpy(gbuf, gvec, nb);
    float *gsave = xmalloc(nb);
    memcpy(gsave, gbuf, nb);
    lk_status st = L->bwd(&a, gbuf, gbuf);
    ck_assert_int_eq(st, LK_ERR_ALIAS);
    ck_assert_int_eq(memcmp(gbuf, gsave, nb), 0);
    b = a;
    b.red = LK_REDUCTION_SUM;
    st = L->bwd(&b, gbuf + n - 1, gbuf);
    ck_assert_int_eq(st, LK_ERR_ALIAS);
    ck_assert_int_eq(memcmp(gbuf, gsave, nb), 0);

    /* In place is accepted and gives the same bits. */
    float *xc = xmalloc(nb), *yc = xmalloc(nb);
    for (int red = 0; red < 3; red++) {
        b = a;
        b.red = (lk_reduction)red;
        const float *go = red == LK_REDUCTION_NONE ? gvec : gvec + 1;
        lkt_assert_status(L->bwd(&b, go, ref), LK_OK);
        memcpy(xc, x, nb);
        b.x = xc;
        lkt_assert_status(L->bwd(&b, go, xc), LK_OK);
        ck_assert_int_eq(memcmp(xc, ref, nb), 0);
        b.x = x;
        memcpy(yc, y, nb);
        b.y = yc;
        lkt_assert_status(L->bwd(&b, go, yc), LK_OK);
        ck_assert_int_eq(memcmp(yc, ref, nb), 0);
    }
    lkt_assert_status(L->fwd(&a, ref), LK_OK);
    memcpy(xc, x, nb);
    b = a;
    b.x = xc;
    lkt_assert_status(L->fwd(&b, xc), LK_OK);
    ck_assert_int_eq(memcmp(xc, ref, nb), 0);
    memcpy(yc, y, nb);
    b = a;
    b.y = yc;
    lkt_assert_status(L->fwd(&b, yc), LK_OK);
    ck_assert_int_eq(memcmp(yc, ref, nb), 0);

    free(arena);
    free(keep);
    free(out);
    free(grad);
    free(ref);
    free(gsave);
    free(xc);
    free(yc);
}
