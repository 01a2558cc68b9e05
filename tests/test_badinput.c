/*
 * test_badinput.c - the bad-input matrix: every public function (the lkr_fns table
 * in robust_calls.c) times every class of invalid argument that applies to it.
 *
 * Each case starts from a valid call (which must return LK_OK), changes exactly one
 * thing, and checks two facts: the documented status comes back, and no memory the
 * test owns has changed (output buffers hold their guard pattern, inputs their
 * values).  A few changes that must stay valid (in place where documented, optional
 * pointers NULL, edge values that are in range) are run as controls expecting LK_OK.
 *
 * Buffers: one arena with a 1 KiB buffer per role; shapes are small (3 x 5 with
 * padded leading dimensions, or 12 elements), so a case that wrongly passes the
 * checks can only scribble inside the arena, where the comparison sees it.  Sizes
 * whose byte count overflows size_t are used only when lkr_overflows() says so:
 * the library must reject them before touching memory.
 *
 * Set LKT_VERBOSE=1 to print the number of cases per function.
 */
#include "lktest.h"
#include "robust_calls.h"

#include <float.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NELEM 256 /* elements of float per role buffer */

typedef struct arena {
    union {
        float f[NELEM];
        double d[NELEM / 2];
        int64_t i[NELEM / 2];
    } role[LKR_NROLES];
} arena;

/* One case: what was changed and the status it must give. */
typedef struct mcase {
    char what[160];
    lk_status want;
    bool skip; /* this variant does not apply to the function */
} mcase;

/* A mutator applies its variant v to a valid call; false when v is past the last. */
typedef bool (*mutator)(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc);

static bool has(const lkr_fn *f, lkr_role r)
{
    return (f->uses & LKR_BIT(r)) != 0;
}

static bool is_input(lkr_role r)
{
    return (LKR_INPUTS & LKR_BIT(r)) != 0;
}

/* ------------------------------------------------------------- baseline */

/* A valid call of f with reduction red, every buffer in the arena. */
static void baseline(const lkr_fn *f, lkr_call *c, arena *a, lk_reduction red)
{
    memset(c, 0, sizeof *c);
    memset(a, 0, sizeof *a);
    lkt_rng rng = { 20240601u };
    switch (f->kind) {
    case LKR_ROWWISE:
    case LKR_MATRIX:
        c->rows = 3;
        c->cols = 5;
        break;
    case LKR_ELEM:
    case LKR_SUM_F32:
    case LKR_SUM_F64:
        c->rows = 12;
        c->cols = 1;
        break;
    }
    if (f->kind == LKR_ROWWISE) {
        /* Padded and all different, so a check that mixes them up shows. */
        c->ld[LKR_X] = 6;
        c->ld[LKR_Y] = 7;
        c->ld[LKR_OUT] = 8;
        c->ld[LKR_GRAD] = 9;
    }
    const bool prob = (f->flags & LKR_PROB) != 0;
    if (f->kind == LKR_SUM_F64)
        for (size_t i = 0; i < NELEM / 2; i++)
            a->role[LKR_X].d[i] = lkt_uniform(&rng) - 0.5;
    else
        lkt_fill(&rng, a->role[LKR_X].f, NELEM, prob ? 0.05f : -2.0f, prob ? 0.95f : 2.0f);
    lkt_fill(&rng, a->role[LKR_Y].f, NELEM, 0.05f, 0.95f);
    for (size_t i = 0; i < NELEM / 2; i++)
        a->role[LKR_T].i[i] = (int64_t)(i % c->cols);
    lkt_fill(&rng, a->role[LKR_W].f, NELEM, 0.5f, 2.0f);
    lkt_fill(&rng, a->role[LKR_PW].f, NELEM, 0.5f, 2.0f);
    lkt_fill(&rng, a->role[LKR_GOUT].f, NELEM, 0.5f, 1.5f);
    for (int r = 0; r < LKR_NROLES; r++)
        c->buf[r] = has(f, (lkr_role)r) ? (void *)&a->role[r] : NULL;
    c->opts = lk_ce_options_default();
    c->opts.reduction = red;
    c->opts.label_smoothing = 0.125f;
    c->red = red;
    c->param = 1.0f;
    c->clamp = LK_BCE_CLAMP_LOG;
    c->log_target = 0;
}

/* ------------------------------------------------------------- mutators */

#define WHAT(...) snprintf(mc->what, sizeof mc->what, __VA_ARGS__)

/* Each required pointer in turn set to NULL. */
static bool m_null(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    (void)a;
    if (v >= LKR_NROLES)
        return false;
    lkr_role r = (lkr_role)v;
    if (!has(f, r) || (f->optional & LKR_BIT(r))) {
        mc->skip = true;
        return true;
    }
    c->buf[r] = NULL;
    WHAT("%s = NULL", lkr_role_name(r));
    mc->want = LK_ERR_NULL;
    return true;
}

/* Controls: each optional pointer NULL, the options pointer NULL, rows == 0. */
static bool m_valid_edges(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    mc->want = LK_OK;
    if (v < LKR_NROLES) {
        lkr_role r = (lkr_role)v;
        if (!(f->optional & LKR_BIT(r))) {
            mc->skip = true;
            return true;
        }
        c->buf[r] = NULL;
        WHAT("optional %s = NULL", lkr_role_name(r));
        return true;
    }
    switch (v - LKR_NROLES) {
    case 0:
        if (!(f->flags & LKR_CE_OPTS))
            mc->skip = true;
        c->opts_null = true;
        WHAT("options pointer NULL (defaults)");
        return true;
    case 1:
        c->rows = 0;
        WHAT("rows = 0");
        return true;
    case 2:
        if (f->kind != LKR_ROWWISE && f->kind != LKR_MATRIX)
            mc->skip = true;
        c->cols = 1;
        for (size_t i = 0; i < NELEM / 2; i++)
            a->role[LKR_T].i[i] = 0;
        WHAT("cols = 1");
        return true;
    default:
        return false;
    }
}

/* cols == 0 for the class-axis functions and the rows x cols binary losses. */
static bool m_cols_zero(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    (void)a;
    if (v > 0)
        return false;
    if (f->kind != LKR_ROWWISE && f->kind != LKR_MATRIX) {
        mc->skip = true;
        return true;
    }
    c->cols = 0;
    WHAT("cols = 0");
    mc->want = LK_ERR_SIZE;
    return true;
}

/* Shapes whose byte count overflows size_t (only those; buffers stay small). */
static bool m_overflow(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    (void)a;
    const size_t big4 = SIZE_MAX / 4 + 1, big8 = SIZE_MAX / 8 + 1;
    bool set_lds = true; /* matrix lds follow cols */
    switch (v) {
    case 0:
        c->rows = SIZE_MAX / 2;
        set_lds = false;
        break;
    case 1:
        c->rows = SIZE_MAX;
        set_lds = false;
        break;
    case 2:
        c->rows = big4; /* floats overflow by exactly one unit */
        c->cols = 1;
        break;
    case 3:
        c->rows = big8; /* only 8-byte buffers (targets, doubles) overflow */
        c->cols = 1;
        break;
    case 4:
        c->rows = 1;
        c->cols = big4;
        break;
    case 5:
        c->rows = (size_t)1 << 32; /* rows * cols overflows the element count */
        c->cols = (size_t)1 << 32;
        break;
    case 6:
        c->rows = (size_t)1 << 31; /* 2^62 elements: the byte count overflows */
        c->cols = (size_t)1 << 31;
        break;
    case 7:
        c->rows = 2;
        c->cols = SIZE_MAX / 2; /* the span of a 2-row matrix overflows */
        break;
    case 8:
        c->rows = 0; /* no rows, but per-class vectors (weights) of cols overflow */
        c->cols = SIZE_MAX / 2;
        break;
    case 9:
        c->rows = 0;
        c->cols = big4;
        break;
    default: {
        /* rows = 2 and one matrix role's ld = SIZE_MAX / 4 (the others normal). */
        int r = v - 10;
        if (r >= LKR_NROLES)
            return false;
        set_lds = false;
        if (!lkr_is_matrix(f, (lkr_role)r)) {
            mc->skip = true;
            return true;
        }
        c->rows = 2;
        c->ld[r] = SIZE_MAX / 4;
        WHAT("rows = 2, ld(%s) = SIZE_MAX/4", lkr_role_name((lkr_role)r));
        break;
    }
    }
    if (set_lds && f->kind == LKR_ROWWISE)
        for (int r = 0; r < LKR_NROLES; r++)
            if (c->ld[r] != 0)
                c->ld[r] = c->cols;
    if (v < 10)
        WHAT("rows = %zu, cols = %zu%s", c->rows, c->cols, set_lds ? ", ld = cols" : "");
    if (!lkr_overflows(f, c)) {
        /* Valid but huge: cannot be run with small buffers. */
        mc->skip = true;
        return true;
    }
    mc->want = LK_ERR_SIZE;
    return true;
}

/* Each matrix leading dimension in turn smaller than the row. */
static bool m_stride(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    (void)a;
    if (v >= 2 * LKR_NROLES)
        return false;
    lkr_role r = (lkr_role)(v / 2);
    if (!lkr_is_matrix(f, r)) {
        mc->skip = true;
        return true;
    }
    c->ld[r] = v % 2 ? 0 : c->cols - 1;
    WHAT("ld(%s) = %zu < cols = %zu", lkr_role_name(r), c->ld[r], c->cols);
    mc->want = LK_ERR_STRIDE;
    return true;
}

/* Class targets out of range (and controls that are in range or ignored). */
static bool m_target(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    static const struct {
        int64_t t;        /* target; INT64_MAX - 1 stands for cols */
        int64_t ignore;
        lk_status want;
    } cases[] = {
        { INT64_MAX - 1, -100, LK_ERR_TARGET }, /* t == cols */
        { -1, -100, LK_ERR_TARGET },
        { -101, -100, LK_ERR_TARGET },
        { INT64_MIN, -100, LK_ERR_TARGET },
        { INT64_MAX, -100, LK_ERR_TARGET },
        { -100, 2, LK_ERR_TARGET },             /* -100 is not special unless ignored */
        { -100, -1, LK_ERR_TARGET },
        { INT64_MAX - 1, INT64_MAX - 1, LK_OK }, /* ignore_index == cols: ignored */
        { INT64_MIN, INT64_MIN, LK_OK },
        { 0, 0, LK_OK },
        { 4, -100, LK_OK },                     /* cols - 1 */
    };
    const int ncases = (int)(sizeof cases / sizeof cases[0]);
    if (v >= 3 * ncases)
        return false;
    if (!has(f, LKR_T)) {
        mc->skip = true;
        return true;
    }
    int k = v % ncases;
    size_t row = (size_t)(v / ncases) % c->rows; /* first, middle, last row */
    if (v / ncases == 2)
        row = c->rows - 1;
    int64_t t = cases[k].t == INT64_MAX - 1 ? (int64_t)c->cols : cases[k].t;
    int64_t ig = cases[k].ignore == INT64_MAX - 1 ? (int64_t)c->cols : cases[k].ignore;
    a->role[LKR_T].i[row] = t;
    c->opts.ignore_index = ig;
    WHAT("target[%zu] = %lld, ignore_index = %lld", row, (long long)t, (long long)ig);
    mc->want = cases[k].want;
    return true;
}

/* Probabilities out of [0, 1] or NaN (BCE on probabilities), in x and in y. */
static bool m_domain(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    const float bad[] = { -0.001f, 1.001f, NAN, -NAN, INFINITY, -INFINITY, -FLT_MIN,
                          -0x1p-149f, 0x1.000002p0f, FLT_MAX, -FLT_MAX };
    const float good[] = { -0.0f, 0.0f, 1.0f, 0x1p-149f, 0x1.fffffep-1f };
    const int nbad = (int)(sizeof bad / sizeof bad[0]);
    const int nall = nbad + (int)(sizeof good / sizeof good[0]);
    if (v >= 4 * nall)
        return false;
    if (!(f->flags & LKR_PROB)) {
        mc->skip = true;
        return true;
    }
    int k = v % nall;
    lkr_role r = (v / nall) % 2 ? LKR_Y : LKR_X;
    size_t at = v / (2 * nall) ? c->rows - 1 : 0;
    float val = k < nbad ? bad[k] : good[k - nbad];
    a->role[r].f[at] = val;
    WHAT("%s[%zu] = %a", lkr_role_name(r), at, (double)val);
    mc->want = k < nbad ? LK_ERR_DOMAIN : LK_OK;
    return true;
}

/* Label smoothing outside [0, 1] or NaN (and controls at the ends). */
static bool m_smoothing(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    (void)a;
    const float bad[] = { -0.1f, 0x1.000002p0f, 2.0f, NAN, INFINITY, -INFINITY, -0x1p-149f };
    const float good[] = { 0.0f, -0.0f, 1.0f, 0.5f, 0x1p-149f };
    const int nbad = (int)(sizeof bad / sizeof bad[0]);
    const int nall = nbad + (int)(sizeof good / sizeof good[0]);
    if (v >= nall)
        return false;
    if (!(f->flags & LKR_CE_OPTS)) {
        mc->skip = true;
        return true;
    }
    float val = v < nbad ? bad[v] : good[v - nbad];
    c->opts.label_smoothing = val;
    WHAT("label_smoothing = %a", (double)val);
    mc->want = v < nbad ? LK_ERR_OPTION : LK_OK;
    return true;
}

/* Reduction values outside the enum, and BATCHMEAN where it is not allowed. */
static bool m_reduction(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    (void)a;
    const int bad[] = { 4, 5, 99, -1, INT_MAX, INT_MIN };
    const int nbad = (int)(sizeof bad / sizeof bad[0]);
    if (v > nbad)
        return false;
    if (!(f->flags & (LKR_CE_OPTS | LKR_RED))) {
        mc->skip = true;
        return true;
    }
    lk_reduction r;
    if (v < nbad) {
        r = (lk_reduction)bad[v];
        mc->want = LK_ERR_OPTION;
        WHAT("reduction = %d", bad[v]);
    } else {
        r = LK_REDUCTION_BATCHMEAN;
        mc->want = (f->flags & LKR_BATCHMEAN) ? LK_OK : LK_ERR_OPTION;
        WHAT("reduction = BATCHMEAN");
    }
    c->opts.reduction = r;
    c->red = r;
    return true;
}

/* Options structs that did not come from the initialiser. */
static bool m_options_init(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    (void)a;
    if (v > 2)
        return false;
    if (!(f->flags & LKR_CE_OPTS)) {
        mc->skip = true;
        return true;
    }
    switch (v) {
    case 0:
        memset(&c->opts, 0, sizeof c->opts);
        WHAT("zero-initialised options");
        break;
    case 1:
        c->opts.init_tag ^= 1u;
        WHAT("options with a corrupted init_tag");
        break;
    default:
        c->opts.init_tag = 0;
        WHAT("default options with init_tag = 0");
        break;
    }
    mc->want = LK_ERR_OPTIONS_INIT;
    return true;
}

/* Huber delta <= 0 or NaN; SmoothL1 beta < 0 or NaN; controls. */
static bool m_param(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    (void)a;
    static const float dbad[] = { 0.0f, -0.0f, -1.0f, NAN, -INFINITY, -FLT_MIN };
    static const float dgood[] = { FLT_MIN, 0x1p-149f, 1e30f, INFINITY };
    static const float bbad[] = { -1.0f, -0x1p-149f, NAN, -INFINITY };
    static const float bgood[] = { 0.0f, -0.0f, 0x1p-149f, 1e30f, INFINITY };
    const float *bad, *good;
    int nbad, ngood;
    const char *name;
    if (f->flags & LKR_DELTA) {
        bad = dbad, good = dgood, name = "delta";
        nbad = (int)(sizeof dbad / sizeof dbad[0]);
        ngood = (int)(sizeof dgood / sizeof dgood[0]);
    } else if (f->flags & LKR_BETA) {
        bad = bbad, good = bgood, name = "beta";
        nbad = (int)(sizeof bbad / sizeof bbad[0]);
        ngood = (int)(sizeof bgood / sizeof bgood[0]);
    } else {
        if (v > 0)
            return false;
        mc->skip = true;
        return true;
    }
    if (v >= nbad + ngood)
        return false;
    c->param = v < nbad ? bad[v] : good[v - nbad];
    WHAT("%s = %a", name, (double)c->param);
    mc->want = v < nbad ? LK_ERR_OPTION : LK_OK;
    return true;
}

/* BCE clamp mode outside the enum (and both valid modes). */
static bool m_clamp(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    (void)a;
    const int vals[] = { 2, 99, -1, LK_BCE_CLAMP_LOG, LK_BCE_CLAMP_INPUT };
    if (v >= 5)
        return false;
    if (!(f->flags & LKR_CLAMP)) {
        mc->skip = true;
        return true;
    }
    c->clamp = (lk_bce_clamp)vals[v];
    WHAT("clamp = %d", vals[v]);
    mc->want = v < 3 ? LK_ERR_OPTION : LK_OK;
    return true;
}

/*
 * Overlaps: each output placed one element into each other buffer (always an
 * error), exactly on it (an error unless documented in place), and for in-place
 * pairs of matrices exactly on it with a different leading dimension (an error).
 */
static bool m_alias(const lkr_fn *f, lkr_call *c, arena *a, int v, mcase *mc)
{
    (void)a;
    if (v >= 3 * LKR_NROLES * LKR_NROLES)
        return false;
    int how = v / (LKR_NROLES * LKR_NROLES);
    lkr_role o = (lkr_role)(v / LKR_NROLES % LKR_NROLES);
    lkr_role i = (lkr_role)(v % LKR_NROLES);
    if (f->kind == LKR_SUM_F32 || f->kind == LKR_SUM_F64 || !has(f, o) || !has(f, i) ||
        o == i || is_input(o)) {
        mc->skip = true;
        return true;
    }
    size_t es = lkr_elem_size(f, i);
    switch (how) {
    case 0: /* one element in (exactly on it when the other buffer has one element) */
        if (lkr_count(f, c, i) >= 2) {
            c->buf[o] = (char *)c->buf[i] + es;
            WHAT("%s = %s + 1 element", lkr_role_name(o), lkr_role_name(i));
        } else {
            c->buf[o] = c->buf[i];
            WHAT("%s = %s (one element)", lkr_role_name(o), lkr_role_name(i));
        }
        mc->want = LK_ERR_ALIAS;
        return true;
    case 1: /* exactly on it, same ld */
        if (lkr_count(f, c, i) < 2) {
            mc->skip = true; /* same as case 0 */
            return true;
        }
        c->buf[o] = c->buf[i];
        if (lkr_is_matrix(f, o) && lkr_is_matrix(f, i))
            c->ld[o] = c->ld[i];
        WHAT("%s = %s (same start%s)", lkr_role_name(o), lkr_role_name(i),
             lkr_is_matrix(f, o) && lkr_is_matrix(f, i) ? ", same ld" : "");
        mc->want = lkr_in_place_ok(f, c, o, i) ? LK_OK : LK_ERR_ALIAS;
        return true;
    default: /* in-place pair of matrices with a different ld */
        if (!lkr_is_matrix(f, o) || !lkr_is_matrix(f, i)) {
            mc->skip = true;
            return true;
        }
        c->buf[o] = c->buf[i];
        c->ld[o] = c->ld[i];
        if (!lkr_in_place_ok(f, c, o, i)) {
            mc->skip = true; /* not an in-place pair: case 1 covers it */
            return true;
        }
        c->ld[o] = c->ld[i] + 1;
        WHAT("%s = %s with ld %zu != %zu", lkr_role_name(o), lkr_role_name(i), c->ld[o],
             c->ld[i]);
        mc->want = LK_ERR_ALIAS;
        return true;
    }
}

static const struct {
    const char *name;
    mutator fn;
} mutators[] = {
    { "null", m_null },
    { "valid_edges", m_valid_edges },
    { "cols_zero", m_cols_zero },
    { "overflow", m_overflow },
    { "stride", m_stride },
    { "target", m_target },
    { "domain", m_domain },
    { "smoothing", m_smoothing },
    { "reduction", m_reduction },
    { "options_init", m_options_init },
    { "param", m_param },
    { "clamp", m_clamp },
    { "alias", m_alias },
};
#define NMUTATORS (sizeof mutators / sizeof mutators[0])

/* ------------------------------------------------------------- running */

static arena g_arena, g_before;

/*
 * A case that crashes the library kills the test before Check can say which case
 * it was; this handler writes the case, then lets the previous handler (the
 * default, or a sanitizer's) take the signal.
 */
static char g_current[512];
static struct sigaction g_old_segv, g_old_bus;

static void on_crash(int sig)
{
    static const char head[] = "badinput: crashed in case: ";
    ssize_t rc = write(STDERR_FILENO, head, sizeof head - 1);
    rc = write(STDERR_FILENO, g_current, strlen(g_current));
    rc = write(STDERR_FILENO, "\n", 1);
    (void)rc;
    sigaction(SIGSEGV, &g_old_segv, NULL);
    sigaction(SIGBUS, &g_old_bus, NULL);
    raise(sig);
}

static void install_crash_note(void)
{
    static bool installed;
    if (installed)
        return;
    installed = true;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_crash;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, &g_old_segv);
    sigaction(SIGBUS, &sa, &g_old_bus);
}

/* Runs one case; fails the test with a message naming the function and case. */
static void run_case(const lkr_fn *f, const lkr_call *c, const mcase *mc,
                     const char *redname)
{
    arena *a = &g_arena;
    for (int r = LKR_OUT; r <= LKR_GRAD; r++)
        if (has(f, (lkr_role)r))
            lkt_guard_fill(&a->role[r], sizeof a->role[r]);
    memcpy(&g_before, a, sizeof *a);
    snprintf(g_current, sizeof g_current, "%s [reduction %s] %s", f->name, redname, mc->what);
    lk_status st = f->run(c);
    ck_assert_msg(st == mc->want, "%s [reduction %s] %s: returned %d (%s), expected %d (%s)",
                  f->name, redname, mc->what, (int)st, lk_strerror(st), (int)mc->want,
                  lk_strerror(mc->want));
    if (mc->want == LK_OK)
        return;
    for (int r = LKR_OUT; r <= LKR_GRAD; r++)
        if (has(f, (lkr_role)r))
            ck_assert_msg(lkt_guard_intact(&a->role[r], sizeof a->role[r]),
                          "%s [reduction %s] %s: wrote %s although it returned %s", f->name,
                          redname, mc->what, lkr_role_name((lkr_role)r), lk_strerror(st));
    ck_assert_msg(memcmp(&g_before, a, sizeof *a) == 0,
                  "%s [reduction %s] %s: changed an input buffer although it returned %s",
                  f->name, redname, mc->what, lk_strerror(st));
}

/* The reductions every case of f runs under. */
static size_t reductions_of(const lkr_fn *f, lk_reduction out[4])
{
    size_t n = 0;
    out[n++] = LK_REDUCTION_MEAN;
    if (f->flags & (LKR_CE_OPTS | LKR_RED)) {
        out[n++] = LK_REDUCTION_SUM;
        out[n++] = LK_REDUCTION_NONE;
        if (f->flags & LKR_BATCHMEAN)
            out[n++] = LK_REDUCTION_BATCHMEAN;
    }
    return n;
}

/* All cases of one function; returns the counts of error cases and valid controls. */
static void run_function(const lkr_fn *f, size_t *nerr, size_t *nok)
{
    lk_reduction reds[4];
    size_t nred = reductions_of(f, reds);
    *nerr = *nok = 0;
    install_crash_note();
    for (size_t k = 0; k < nred; k++) {
        char rbuf[32];
        const char *rname = (f->flags & (LKR_CE_OPTS | LKR_RED))
                                ? lkr_reduction_name(reds[k], rbuf) : "-";
        lkr_call c;
        mcase base = { "valid baseline", LK_OK, false };
        baseline(f, &c, &g_arena, reds[k]);
        run_case(f, &c, &base, rname);
        (*nok)++;
        for (size_t m = 0; m < NMUTATORS; m++) {
            for (int v = 0;; v++) {
                mcase mc;
                memset(&mc, 0, sizeof mc);
                baseline(f, &c, &g_arena, reds[k]);
                if (!mutators[m].fn(f, &c, &g_arena, v, &mc))
                    break;
                if (mc.skip)
                    continue;
                run_case(f, &c, &mc, rname);
                if (mc.want == LK_OK)
                    (*nok)++;
                else
                    (*nerr)++;
            }
        }
    }
}

START_TEST(t_matrix)
{
    const lkr_fn *f = &lkr_fns[_i];
    size_t nerr, nok;
    run_function(f, &nerr, &nok);
    /* Every function has at least NULL and overflow cases. */
    ck_assert_msg(nerr >= 4, "%s: only %zu error cases", f->name, nerr);
    if (getenv("LKT_VERBOSE"))
        fprintf(stderr, "badinput: %-36s %4zu error cases, %3zu valid controls\n", f->name,
                nerr, nok);
}
END_TEST

/* Every lk_status-returning function declared in the header is in the table. */
START_TEST(t_table_complete)
{
    const char *srcdir = getenv("srcdir");
    char path[4096];
    snprintf(path, sizeof path, "%s/include/losskit.h", srcdir ? srcdir : ".");
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s", path);
    static char text[1 << 17];
    size_t n = fread(text, 1, sizeof text - 1, fp);
    fclose(fp);
    text[n] = '\0';
    size_t found = 0;
    for (const char *p = text; (p = strstr(p, "lk_status lk_")) != NULL;) {
        p += strlen("lk_status ");
        size_t len = strcspn(p, "( \t\n");
        char name[128];
        ck_assert(len < sizeof name);
        memcpy(name, p, len);
        name[len] = '\0';
        bool in_table = false;
        for (size_t i = 0; i < lkr_nfns; i++)
            in_table |= strcmp(lkr_fns[i].name, name) == 0;
        ck_assert_msg(in_table, "%s (declared in losskit.h) is missing from lkr_fns", name);
        found++;
        p += len;
    }
    ck_assert_uint_eq(found, lkr_nfns);
}
END_TEST

/* The grand total, so that a table or mutator that silently stops producing cases
 * shows up (the figure only grows when cases are added). */
START_TEST(t_total)
{
    size_t total_err = 0, total_ok = 0;
    for (size_t i = 0; i < lkr_nfns; i++) {
        size_t e, o;
        run_function(&lkr_fns[i], &e, &o);
        total_err += e;
        total_ok += o;
    }
    ck_assert_msg(total_err >= 1000, "only %zu error cases in the matrix", total_err);
    if (getenv("LKT_VERBOSE"))
        fprintf(stderr, "badinput: %zu functions, %zu error cases, %zu valid controls\n",
                lkr_nfns, total_err, total_ok);
}
END_TEST

START_TEST(t_strerror)
{
    const lk_status codes[] = { LK_OK, LK_ERR_NULL, LK_ERR_SIZE, LK_ERR_STRIDE,
                                LK_ERR_TARGET, LK_ERR_DOMAIN, LK_ERR_OPTION, LK_ERR_ALIAS,
                                LK_ERR_OPTIONS_INIT };
    const size_t ncodes = sizeof codes / sizeof codes[0];
    const int unknown[] = { 9, 10, 100, -1, INT_MAX, INT_MIN };
    const char *unknown_msg = NULL;
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        const char *s = lk_strerror((lk_status)unknown[i]);
        ck_assert_msg(s != NULL && s[0] != '\0', "lk_strerror(%d) is NULL or empty",
                      unknown[i]);
        unknown_msg = s;
    }
    for (size_t i = 0; i < ncodes; i++) {
        const char *s = lk_strerror(codes[i]);
        ck_assert_msg(s != NULL && s[0] != '\0', "lk_strerror(%d) is NULL or empty",
                      (int)codes[i]);
        ck_assert_msg(strcmp(s, unknown_msg) != 0,
                      "lk_strerror(%d) is the unknown-code message", (int)codes[i]);
        for (size_t j = 0; j < i; j++)
            ck_assert_msg(strcmp(s, lk_strerror(codes[j])) != 0,
                          "lk_strerror(%d) == lk_strerror(%d)", (int)codes[i],
                          (int)codes[j]);
    }
    /* The last code is the highest: one past it is unknown. */
    ck_assert_str_eq(lk_strerror((lk_status)(LK_ERR_OPTIONS_INIT + 1)), unknown_msg);
}
END_TEST

static Suite *badinput_suite(void)
{
    Suite *s = suite_create("badinput");
    TCase *tc = tcase_create("matrix");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, t_matrix, 0, (int)lkr_nfns);
    tcase_add_test(tc, t_table_complete);
    tcase_add_test(tc, t_total);
    tcase_add_test(tc, t_strerror);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return lkt_main(badinput_suite());
}
