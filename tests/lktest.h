/*
 * lktest.h - helpers shared by the Check suites: thread control, comparisons that
 * treat NaN and infinities first, a deterministic RNG, guard patterns for the
 * "outputs untouched on error" checks, and the golden-data reader.
 */
#ifndef LKTEST_H
#define LKTEST_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "losskit.h"

/* Thread counts every determinism test runs at. */
#define LKT_NTHREADS 5
extern const int lkt_threads[LKT_NTHREADS]; /* 1, 2, 3, 7, 16 */

/* Runs a suite (normal verbosity); EXIT_SUCCESS when every test passed. */
int lkt_main(Suite *s);

/* Sets the OpenMP thread count (no-op without OpenMP); dynamic teams off. */
void lkt_set_threads(int n);

/*
 * True when got matches want: both NaN, or equal infinities, or
 * |got - want| <= atol + rtol * |want|.
 */
bool lkt_close(double got, double want, double rtol, double atol);

/* Distance in units in the last place between two finite floats (0 if equal). */
uint32_t lkt_ulps(float a, float b);

/* splitmix64-based generator: deterministic, seedable. */
typedef struct lkt_rng {
    uint64_t s;
} lkt_rng;
uint64_t lkt_next(lkt_rng *r);
double lkt_uniform(lkt_rng *r);                 /* [0, 1) */
void lkt_fill(lkt_rng *r, float *x, size_t n, float lo, float hi);

/* Fills n bytes with a recognisable pattern / tells whether it is intact. */
void lkt_guard_fill(void *p, size_t nbytes);
bool lkt_guard_intact(const void *p, size_t nbytes);

/* Asserts a status with a readable failure message. */
#define lkt_assert_status(expr, want)                                               \
    do {                                                                            \
        lk_status lkt_st_ = (expr);                                                 \
        ck_assert_msg(lkt_st_ == (want), "%s returned %d (%s), expected %d (%s)",   \
                      #expr, (int)lkt_st_, lk_strerror(lkt_st_), (int)(want),       \
                      lk_strerror(want));                                           \
    } while (0)

/* -------------------------------------------------------------- golden data */

/*
 * Golden files hold named cases, each a set of named arrays of doubles:
 *   case <name>
 *   <key> <count> <v1> <v2> ...      (values as C99 hex floats or decimals,
 *   ...                               nan / inf / -inf allowed)
 *   end
 * Lines starting with '#' are comments.
 */
typedef struct lkt_array {
    char key[64];
    size_t n;
    double *v;
} lkt_array;

typedef struct lkt_case {
    char name[128];
    size_t narrays;
    lkt_array *arrays;
} lkt_case;

typedef struct lkt_golden {
    size_t ncases;
    lkt_case *cases;
} lkt_golden;

/* Loads $srcdir/tests/<file> (srcdir defaults to "."); aborts the test on failure. */
lkt_golden *lkt_golden_load(const char *file);
void lkt_golden_free(lkt_golden *g);
/* The array `key` of case `name`, or NULL. */
const lkt_array *lkt_golden_get(const lkt_golden *g, const char *name, const char *key);
/* Same, failing the test when missing or when its count differs from n (n = 0: any). */
const lkt_array *lkt_golden_need(const lkt_golden *g, const char *name, const char *key,
                                 size_t n);
/* Copies a golden array into floats / int64s (malloc'd, caller frees). */
float *lkt_to_f32(const lkt_array *a);
int64_t *lkt_to_i64(const lkt_array *a);

#endif /* LKTEST_H */
