/* lktest.c - see lktest.h. */
#include "lktest.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

const int lkt_threads[LKT_NTHREADS] = { 1, 2, 3, 7, 16 };

int lkt_main(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

void lkt_set_threads(int n)
{
#ifdef _OPENMP
    omp_set_dynamic(0);
    omp_set_num_threads(n);
#else
    (void)n;
#endif
}

bool lkt_close(double got, double want, double rtol, double atol)
{
    if (isnan(want) || isnan(got))
        return isnan(want) && isnan(got);
    if (isinf(want) || isinf(got))
        return got == want;
    return fabs(got - want) <= atol + rtol * fabs(want);
}

static int32_t ordered(float f)
{
    int32_t i;
    memcpy(&i, &f, sizeof i);
    return i < 0 ? INT32_MIN - i : i;
}

uint32_t lkt_ulps(float a, float b)
{
    int64_t d = (int64_t)ordered(a) - (int64_t)ordered(b);
    return (uint32_t)(d < 0 ? -d : d);
}

uint64_t lkt_next(lkt_rng *r)
{
    uint64_t z = (r->s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

double lkt_uniform(lkt_rng *r)
{
    return (double)(lkt_next(r) >> 11) * 0x1p-53;
}

void lkt_fill(lkt_rng *r, float *x, size_t n, float lo, float hi)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)((double)lo + ((double)hi - (double)lo) * lkt_uniform(r));
}

void lkt_guard_fill(void *p, size_t nbytes)
{
    unsigned char *c = p;
    for (size_t i = 0; i < nbytes; i++)
        c[i] = (unsigned char)(0xA5 ^ (i * 7));
}

bool lkt_guard_intact(const void *p, size_t nbytes)
{
    const unsigned char *c = p;
    for (size_t i = 0; i < nbytes; i++)
        if (c[i] != (unsigned char)(0xA5 ^ (i * 7)))
            return false;
    return true;
}

/* ------------------------------------------------------------- golden data */

static double parse_value(const char *tok)
{
    if (strcmp(tok, "nan") == 0)
        return NAN;
    if (strcmp(tok, "inf") == 0)
        return INFINITY;
    if (strcmp(tok, "-inf") == 0)
        return -INFINITY;
    char *end;
    double v = strtod(tok, &end);
    ck_assert_msg(*end == '\0', "golden: bad number '%s'", tok);
    return v;
}

lkt_golden *lkt_golden_load(const char *file)
{
    const char *srcdir = getenv("srcdir");
    char path[4096];
    snprintf(path, sizeof path, "%s/tests/%s", srcdir ? srcdir : ".", file);
    FILE *f = fopen(path, "r");
    ck_assert_msg(f != NULL, "cannot open golden file %s", path);
    lkt_golden *g = calloc(1, sizeof *g);
    ck_assert_ptr_nonnull(g);
    lkt_case *cur = NULL;
    char tok[256];
    while (fscanf(f, "%255s", tok) == 1) {
        if (tok[0] == '#') {
            int c;
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
        } else if (strcmp(tok, "case") == 0) {
            g->cases = realloc(g->cases, (g->ncases + 1) * sizeof *g->cases);
            ck_assert_ptr_nonnull(g->cases);
            cur = &g->cases[g->ncases++];
            memset(cur, 0, sizeof *cur);
            ck_assert_int_eq(fscanf(f, "%127s", cur->name), 1);
        } else if (strcmp(tok, "end") == 0) {
            cur = NULL;
        } else {
            ck_assert_msg(cur != NULL, "golden: array '%s' outside a case", tok);
            cur->arrays = realloc(cur->arrays, (cur->narrays + 1) * sizeof *cur->arrays);
            ck_assert_ptr_nonnull(cur->arrays);
            lkt_array *a = &cur->arrays[cur->narrays++];
            snprintf(a->key, sizeof a->key, "%.63s", tok);
            ck_assert_int_eq(fscanf(f, "%zu", &a->n), 1);
            a->v = malloc((a->n ? a->n : 1) * sizeof *a->v);
            ck_assert_ptr_nonnull(a->v);
            for (size_t i = 0; i < a->n; i++) {
                ck_assert_int_eq(fscanf(f, "%255s", tok), 1);
                a->v[i] = parse_value(tok);
            }
        }
    }
    fclose(f);
    ck_assert_msg(g->ncases > 0, "golden file %s has no cases", path);
    return g;
}

void lkt_golden_free(lkt_golden *g)
{
    if (!g)
        return;
    for (size_t c = 0; c < g->ncases; c++) {
        for (size_t a = 0; a < g->cases[c].narrays; a++)
            free(g->cases[c].arrays[a].v);
        free(g->cases[c].arrays);
    }
    free(g->cases);
    free(g);
}

const lkt_array *lkt_golden_get(const lkt_golden *g, const char *name, const char *key)
{
    for (size_t c = 0; c < g->ncases; c++) {
        if (strcmp(g->cases[c].name, name) != 0)
            continue;
        for (size_t a = 0; a < g->cases[c].narrays; a++)
            if (strcmp(g->cases[c].arrays[a].key, key) == 0)
                return &g->cases[c].arrays[a];
    }
    return NULL;
}

const lkt_array *lkt_golden_need(const lkt_golden *g, const char *name, const char *key,
                                 size_t n)
{
    const lkt_array *a = lkt_golden_get(g, name, key);
    ck_assert_msg(a != NULL, "golden case %s has no array %s", name, key);
    ck_assert_msg(n == 0 || a->n == n, "golden %s/%s has %zu values, expected %zu", name,
                  key, a->n, n);
    return a;
}

float *lkt_to_f32(const lkt_array *a)
{
    float *f = malloc((a->n ? a->n : 1) * sizeof *f);
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < a->n; i++)
        f[i] = (float)a->v[i];
    return f;
}

int64_t *lkt_to_i64(const lkt_array *a)
{
    int64_t *t = malloc((a->n ? a->n : 1) * sizeof *t);
    ck_assert_ptr_nonnull(t);
    for (size_t i = 0; i < a->n; i++)
        t[i] = (int64_t)a->v[i];
    return t;
}
