/*
 * regression.c - the element-wise driver (see elementwise.h) and the regression
 * losses on it: MSE, L1, Huber and SmoothL1.
 *
 * Every regression kernel reads a block of inputs x and targets y and works on
 * z = x - y in double (exact unless the exponents of x and y differ by more than
 * 29; free, as these losses are memory-bound), so per-element losses and
 * gradients come out within one float rounding of the exact values.
 */
#include "elementwise.h"

#include <math.h>
#include <string.h>

/* ============================================================ the driver */

#define ONES4 1.0f, 1.0f, 1.0f, 1.0f
#define ONES16 ONES4, ONES4, ONES4, ONES4
#define ONES64 ONES16, ONES16, ONES16, ONES16
/* The weights (and pos_weight) of a call that has none. */
static const float ew_ones[LK_EW_BLOCK] = { ONES64, ONES64, ONES64, ONES64 };

_Static_assert(LK_EW_BLOCK == 256, "ew_ones holds 256 ones");
_Static_assert(LK_ELEM_LEAF % LK_EW_BLOCK == 0, "leaves are whole blocks");
_Static_assert(LK_EW_LANES == 8, "add_lanes and fwd_leaf use exactly 8 lanes");

typedef struct ew_job {
    const lk_ew_call *c;
    float *out;         /* forward NONE: per-element losses, else NULL */
    float *grad;        /* backward: gradient, else NULL */
    const float *gout;  /* backward NONE: per-element incoming gradient, or NULL */
    double gscale;      /* backward: factor of every gradient when gout is NULL */
} ew_job;

/* Copies of the array's partial last block, padded with harmless values, and the
 * pos_weight of each element of a block. */
typedef struct ew_stage {
    float x[LK_EW_BLOCK], y[LK_EW_BLOCK], w[LK_EW_BLOCK], pw[LK_EW_BLOCK];
} ew_stage;

/* Elements [i, i + m) as a full block; m < LK_EW_BLOCK only for the array's tail. */
static lk_ew_block load_block(const lk_ew_call *c, ew_stage *s, size_t i, size_t m)
{
    lk_ew_block b = { c->x + i, c->y + i, c->w ? c->w + i : ew_ones, ew_ones,
                      c->w != NULL, c->pw != NULL, c->param, c->flag };
    if (c->pw) {
        /* Element i lies in column i % cols. */
        size_t col = i % c->cols;
        for (size_t k = 0; k < m; k++) {
            s->pw[k] = c->pw[col];
            if (++col == c->cols)
                col = 0;
        }
        for (size_t k = m; k < LK_EW_BLOCK; k++)
            s->pw[k] = 1.0f;
        b.pw = s->pw;
    }
    if (m < LK_EW_BLOCK) {
        memcpy(s->x, b.x, m * sizeof(float));
        memcpy(s->y, b.y, m * sizeof(float));
        memcpy(s->w, b.w, m * sizeof(float));
        for (size_t k = m; k < LK_EW_BLOCK; k++) {
            s->x[k] = 0.0f;
            s->y[k] = 0.0f;
            s->w[k] = 1.0f;
        }
        b.x = s->x;
        b.y = s->y;
        b.w = s->w;
    }
    return b;
}

/* o[k] = v[k] for k < m (inlined with a constant m for full blocks, so it vectorises). */
static inline void store_losses(float *o, const double *v, size_t m)
{
    for (size_t k = 0; k < m; k++)
        o[k] = (float)v[k];
}

/* g[k] = v[k] * go[k] (go given: NONE) or v[k] * s, for k < m (g, go disjoint). */
static inline void store_grads(float *restrict g, const double *v,
                               const float *restrict go, double s, size_t m)
{
    if (go)
        for (size_t k = 0; k < m; k++)
            g[k] = (float)(v[k] * (double)go[k]);
    else
        for (size_t k = 0; k < m; k++)
            g[k] = (float)(v[k] * s);
}

/*
 * lane[l] += v[k] for every k = l (mod 8) in order, k < LK_EW_BLOCK.  Named
 * accumulators keep the eight partial sums in registers (as vectors).
 */
static inline void add_lanes(double *lane, const double *v)
{
    double a0 = lane[0], a1 = lane[1], a2 = lane[2], a3 = lane[3];
    double a4 = lane[4], a5 = lane[5], a6 = lane[6], a7 = lane[7];
    for (size_t k = 0; k < LK_EW_BLOCK; k += 8) {
        a0 += v[k];
        a1 += v[k + 1];
        a2 += v[k + 2];
        a3 += v[k + 3];
        a4 += v[k + 4];
        a5 += v[k + 5];
        a6 += v[k + 6];
        a7 += v[k + 7];
    }
    lane[0] = a0, lane[1] = a1, lane[2] = a2, lane[3] = a3;
    lane[4] = a4, lane[5] = a5, lane[6] = a6, lane[7] = a7;
}

/* Forward over elements [lo, hi): per-element losses to j->out if set; returns the sum. */
static lk_acc fwd_leaf(void *ctx, size_t lo, size_t hi)
{
    const ew_job *j = ctx;
    ew_stage stage;
    double v[LK_EW_BLOCK];
    double lane[LK_EW_LANES] = { 0.0 };
    for (size_t i = lo; i < hi; i += LK_EW_BLOCK) {
        size_t m = hi - i < LK_EW_BLOCK ? hi - i : LK_EW_BLOCK;
        lk_ew_block b = load_block(j->c, &stage, i, m);
        j->c->loss->fwd(&b, v);
        if (m == LK_EW_BLOCK) {
            if (j->out)
                store_losses(j->out + i, v, LK_EW_BLOCK);
        } else {
            if (j->out)
                store_losses(j->out + i, v, m);
            for (size_t k = m; k < LK_EW_BLOCK; k++)
                v[k] = 0.0; /* padding adds nothing to the sum */
        }
        add_lanes(lane, v);
    }
    /* Lanes combine pairwise in a fixed order. */
    lk_acc r = { ((lane[0] + lane[1]) + (lane[2] + lane[3])) +
                     ((lane[4] + lane[5]) + (lane[6] + lane[7])),
                 0.0 };
    return r;
}

/* Backward over elements [lo, hi): writes j->grad; returns nothing. */
static lk_acc bwd_leaf(void *ctx, size_t lo, size_t hi)
{
    const ew_job *j = ctx;
    ew_stage stage;
    double v[LK_EW_BLOCK];
    for (size_t i = lo; i < hi; i += LK_EW_BLOCK) {
        size_t m = hi - i < LK_EW_BLOCK ? hi - i : LK_EW_BLOCK;
        lk_ew_block b = load_block(j->c, &stage, i, m);
        j->c->loss->bwd(&b, v);
        const float *go = j->gout ? j->gout + i : NULL;
        if (m == LK_EW_BLOCK)
            store_grads(j->grad + i, v, go, j->gscale, LK_EW_BLOCK);
        else
            store_grads(j->grad + i, v, go, j->gscale, m);
    }
    lk_acc zero = { 0.0, 0.0 };
    return zero;
}

/* Counts elements whose x or y lies outside [0, 1] or is NaN. */
static lk_acc domain_leaf(void *ctx, size_t lo, size_t hi)
{
    const lk_ew_call *c = ctx;
    size_t bad = 0;
    for (size_t i = lo; i < hi; i++)
        bad += !(c->x[i] >= 0.0f && c->x[i] <= 1.0f) + !(c->y[i] >= 0.0f && c->y[i] <= 1.0f);
    lk_acc r = { (double)bad, 0.0 };
    return r;
}

static size_t elems(const lk_ew_call *c)
{
    return c->rows * c->cols; /* fits: checked by check_inputs */
}

static lk_acc run(const lk_ew_call *c, lk_leaf_fn fn, void *ctx)
{
    size_t n = elems(c);
    return lk__tree_sum(n, LK_ELEM_LEAF, fn, ctx, lk__worth_parallel(n, 1));
}

/* Reduction, shapes and NULL inputs. */
static lk_status check_inputs(const lk_ew_call *c)
{
    lk_status st;
    if (!lk__basic_reduction(c->reduction) &&
        !(c->loss->batchmean && c->reduction == LK_REDUCTION_BATCHMEAN))
        return LK_ERR_OPTION;
    if ((st = lk__check_matrix(c->rows, c->cols, c->cols, c->x, sizeof(float))) != LK_OK ||
        (st = lk__check_matrix(c->rows, c->cols, c->cols, c->y, sizeof(float))) != LK_OK)
        return st;
    if (c->w && (st = lk__check_matrix(c->rows, c->cols, c->cols, c->w, sizeof(float))) != LK_OK)
        return st;
    /* pos_weight holds cols floats even when there are no rows. */
    if (c->pw && (st = lk__check_vector(c->cols, c->pw, sizeof(float))) != LK_OK)
        return st;
    return LK_OK;
}

/*
 * An output of `no` floats: LK_ERR_ALIAS when it overlaps an input, except that
 * when in_place is set it may start exactly at x or y (same length).
 */
static lk_status check_output(const lk_ew_call *c, const float *o, size_t no, bool in_place,
                              const float *grad_out, size_t ngo)
{
    size_t n = elems(c);
    const size_t f = sizeof(float);
    if ((lk__overlap(o, no * f, c->x, n * f) && !(in_place && o == c->x)) ||
        (lk__overlap(o, no * f, c->y, n * f) && !(in_place && o == c->y)) ||
        lk__overlap(o, no * f, c->w, c->w ? n * f : 0) ||
        lk__overlap(o, no * f, c->pw, c->pw ? c->cols * f : 0) ||
        lk__overlap(o, no * f, grad_out, grad_out ? ngo * f : 0))
        return LK_ERR_ALIAS;
    return LK_OK;
}

/* The last check, after all cheap ones: the [0, 1] domain scan for BCE. */
static lk_status check_domain(const lk_ew_call *c)
{
    if (c->loss->prob_domain && run(c, domain_leaf, (void *)(uintptr_t)c).a != 0.0)
        return LK_ERR_DOMAIN;
    return LK_OK;
}

/* The count MEAN / BATCHMEAN divide by. */
static double divisor(const lk_ew_call *c)
{
    return c->reduction == LK_REDUCTION_BATCHMEAN ? (double)c->rows : (double)elems(c);
}

lk_status lk__ew_forward(const lk_ew_call *c, float *out)
{
    lk_status st;
    if ((st = check_inputs(c)) != LK_OK)
        return st;
    bool none = c->reduction == LK_REDUCTION_NONE;
    size_t nout = lk__out_count(c->reduction, elems(c));
    if ((st = lk__check_vector(nout, out, sizeof *out)) != LK_OK ||
        (st = check_output(c, out, nout, none, NULL, 0)) != LK_OK ||
        (st = check_domain(c)) != LK_OK)
        return st;
    ew_job j = { c, none ? out : NULL, NULL, NULL, 0.0 };
    double sum = run(c, fwd_leaf, &j).a;
    if (c->reduction == LK_REDUCTION_SUM)
        out[0] = (float)sum;
    else if (!none)
        out[0] = (float)(sum / divisor(c)); /* no elements (rows): 0 / 0 = NaN */
    return LK_OK;
}

lk_status lk__ew_backward(const lk_ew_call *c, const float *grad_out, float *grad)
{
    lk_status st;
    if ((st = check_inputs(c)) != LK_OK)
        return st;
    size_t n = elems(c);
    size_t ngo = lk__out_count(c->reduction, n);
    if ((st = lk__check_vector(n, grad, sizeof *grad)) != LK_OK ||
        (st = check_output(c, grad, n, true, grad_out, ngo)) != LK_OK ||
        (st = check_domain(c)) != LK_OK)
        return st;
    ew_job j = { c, NULL, grad, NULL, 1.0 };
    if (c->reduction == LK_REDUCTION_NONE) {
        j.gout = grad_out;
    } else {
        j.gscale = grad_out ? (double)grad_out[0] : 1.0;
        if (c->reduction != LK_REDUCTION_SUM)
            j.gscale /= divisor(c);
    }
    (void)run(c, bwd_leaf, &j);
    return LK_OK;
}

/* ============================================================ the losses */

/* MSE: l = z^2, dl/dx = 2z. */
static void mse_fwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y;
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        double z = (double)x[k] - (double)y[k];
        v[k] = z * z;
    }
}

static void mse_bwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y;
    for (size_t k = 0; k < LK_EW_BLOCK; k++)
        v[k] = 2.0 * ((double)x[k] - (double)y[k]);
}

/* L1: l = |z|, dl/dx = sign(z), 0 at z == 0 and for NaN (as PyTorch). */
static void l1_fwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y;
    for (size_t k = 0; k < LK_EW_BLOCK; k++)
        v[k] = fabs((double)x[k] - (double)y[k]);
}

static void l1_bwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y;
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        double z = (double)x[k] - (double)y[k];
        v[k] = (double)((z > 0.0) - (z < 0.0));
    }
}

/* Huber(d): l = 0.5 z^2 if |z| < d, else d (|z| - 0.5 d); dl/dx = clamp(z, -d, d). */
static void huber_fwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y;
    const double d = b->param;
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        double z = (double)x[k] - (double)y[k], a = fabs(z);
        v[k] = a < d ? 0.5 * z * z : d * (a - 0.5 * d);
    }
}

static void huber_bwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y;
    const double d = b->param;
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        double z = (double)x[k] - (double)y[k];
        v[k] = z < -d ? -d : (z > d ? d : z);
    }
}

/*
 * SmoothL1(beta > 0): l = 0.5 z^2 / beta if |z| < beta, else |z| - 0.5 beta;
 * dl/dx = clamp(z / beta, -1, 1).  beta == 0 runs the L1 kernels.
 */
static void smooth_l1_fwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y;
    const double beta = b->param;
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        double z = (double)x[k] - (double)y[k], a = fabs(z);
        v[k] = a < beta ? 0.5 * z * z / beta : a - 0.5 * beta;
    }
}

static void smooth_l1_bwd(const lk_ew_block *b, double *v)
{
    const float *x = b->x, *y = b->y;
    const double beta = b->param;
    for (size_t k = 0; k < LK_EW_BLOCK; k++) {
        double z = (double)x[k] - (double)y[k];
        v[k] = z < -beta ? -1.0 : (z > beta ? 1.0 : z / beta);
    }
}

static const lk_ew_loss MSE = { mse_fwd, mse_bwd, false, false };
static const lk_ew_loss L1 = { l1_fwd, l1_bwd, false, false };
static const lk_ew_loss HUBER = { huber_fwd, huber_bwd, false, false };
static const lk_ew_loss SMOOTH_L1 = { smooth_l1_fwd, smooth_l1_bwd, false, false };

/* ====================================================== public entry points */

static lk_ew_call vec_call(const lk_ew_loss *loss, size_t n, const float *x, const float *y,
                           double param, lk_reduction reduction)
{
    lk_ew_call c = { loss, n, 1, x, y, NULL, NULL, param, 0, reduction };
    return c;
}

/* Huber needs delta > 0 (not NaN); SmoothL1 beta >= 0 (not NaN), 0 meaning L1. */
static bool delta_ok(float delta)
{
    return delta > 0.0f;
}

static const lk_ew_loss *smooth_l1_kind(float beta)
{
    return beta == 0.0f ? &L1 : &SMOOTH_L1;
}

lk_status lk_mse_f32(size_t n, const float *x, const float *y, lk_reduction reduction,
                     float *out)
{
    lk_ew_call c = vec_call(&MSE, n, x, y, 0.0, reduction);
    return lk__ew_forward(&c, out);
}

lk_status lk_mse_backward_f32(size_t n, const float *x, const float *y,
                              lk_reduction reduction, const float *grad_out, float *grad)
{
    lk_ew_call c = vec_call(&MSE, n, x, y, 0.0, reduction);
    return lk__ew_backward(&c, grad_out, grad);
}

lk_status lk_l1_f32(size_t n, const float *x, const float *y, lk_reduction reduction,
                    float *out)
{
    lk_ew_call c = vec_call(&L1, n, x, y, 0.0, reduction);
    return lk__ew_forward(&c, out);
}

lk_status lk_l1_backward_f32(size_t n, const float *x, const float *y,
                             lk_reduction reduction, const float *grad_out, float *grad)
{
    lk_ew_call c = vec_call(&L1, n, x, y, 0.0, reduction);
    return lk__ew_backward(&c, grad_out, grad);
}

lk_status lk_huber_f32(size_t n, const float *x, const float *y, float delta,
                       lk_reduction reduction, float *out)
{
    if (!delta_ok(delta))
        return LK_ERR_OPTION;
    lk_ew_call c = vec_call(&HUBER, n, x, y, (double)delta, reduction);
    return lk__ew_forward(&c, out);
}

lk_status lk_huber_backward_f32(size_t n, const float *x, const float *y, float delta,
                                lk_reduction reduction, const float *grad_out, float *grad)
{
    if (!delta_ok(delta))
        return LK_ERR_OPTION;
    lk_ew_call c = vec_call(&HUBER, n, x, y, (double)delta, reduction);
    return lk__ew_backward(&c, grad_out, grad);
}

lk_status lk_smooth_l1_f32(size_t n, const float *x, const float *y, float beta,
                           lk_reduction reduction, float *out)
{
    if (!(beta >= 0.0f))
        return LK_ERR_OPTION;
    lk_ew_call c = vec_call(smooth_l1_kind(beta), n, x, y, (double)beta, reduction);
    return lk__ew_forward(&c, out);
}

lk_status lk_smooth_l1_backward_f32(size_t n, const float *x, const float *y, float beta,
                                    lk_reduction reduction, const float *grad_out,
                                    float *grad)
{
    if (!(beta >= 0.0f))
        return LK_ERR_OPTION;
    lk_ew_call c = vec_call(smooth_l1_kind(beta), n, x, y, (double)beta, reduction);
    return lk__ew_backward(&c, grad_out, grad);
}
