/* robust_calls.c - see robust_calls.h. */
#include "robust_calls.h"

#include <stdio.h>

typedef unsigned __int128 u128;

/* --------------------------------------------------------------- adapters */

#define F(r) ((float *)c->buf[r])
#define CF(r) ((const float *)c->buf[r])
#define T64 ((const int64_t *)c->buf[LKR_T])

/* The options pointer for a CE call: a copy whose class_weight is the W buffer. */
#define CE_OPTS_ARG(o) (c->opts_null ? NULL : (o = c->opts, o.class_weight = CF(LKR_W), &o))

static lk_status run_sum_f32(const lkr_call *c)
{
    return lk_pairwise_sum_f32(c->rows, CF(LKR_X), (double *)c->buf[LKR_OUT]);
}

static lk_status run_sum_f64(const lkr_call *c)
{
    return lk_pairwise_sum_f64(c->rows, (const double *)c->buf[LKR_X],
                               (double *)c->buf[LKR_OUT]);
}

static lk_status run_log_softmax(const lkr_call *c)
{
    return lk_log_softmax_f32(c->rows, c->cols, CF(LKR_X), c->ld[LKR_X], F(LKR_OUT),
                              c->ld[LKR_OUT]);
}

static lk_status run_softmax(const lkr_call *c)
{
    return lk_softmax_f32(c->rows, c->cols, CF(LKR_X), c->ld[LKR_X], F(LKR_OUT),
                          c->ld[LKR_OUT]);
}

static lk_status run_log_softmax_bwd(const lkr_call *c)
{
    return lk_log_softmax_backward_f32(c->rows, c->cols, CF(LKR_X), c->ld[LKR_X], CF(LKR_Y),
                                       c->ld[LKR_Y], F(LKR_OUT), c->ld[LKR_OUT]);
}

static lk_status run_softmax_bwd(const lkr_call *c)
{
    return lk_softmax_backward_f32(c->rows, c->cols, CF(LKR_X), c->ld[LKR_X], CF(LKR_Y),
                                   c->ld[LKR_Y], F(LKR_OUT), c->ld[LKR_OUT]);
}

static lk_status run_ce(const lkr_call *c)
{
    lk_ce_options o;
    return lk_cross_entropy_f32(c->rows, c->cols, CF(LKR_X), c->ld[LKR_X], T64,
                                CE_OPTS_ARG(o), F(LKR_OUT));
}

static lk_status run_ce_bwd(const lkr_call *c)
{
    lk_ce_options o;
    return lk_cross_entropy_backward_f32(c->rows, c->cols, CF(LKR_X), c->ld[LKR_X], T64,
                                         CE_OPTS_ARG(o), CF(LKR_GOUT), F(LKR_GRAD),
                                         c->ld[LKR_GRAD]);
}

static lk_status run_ce_fused(const lkr_call *c)
{
    lk_ce_options o;
    return lk_cross_entropy_fused_f32(c->rows, c->cols, F(LKR_X), c->ld[LKR_X], T64,
                                      CE_OPTS_ARG(o), F(LKR_OUT), F(LKR_GRAD),
                                      c->ld[LKR_GRAD]);
}

static lk_status run_nll(const lkr_call *c)
{
    lk_ce_options o;
    return lk_nll_f32(c->rows, c->cols, CF(LKR_X), c->ld[LKR_X], T64, CE_OPTS_ARG(o),
                      F(LKR_OUT));
}

static lk_status run_nll_bwd(const lkr_call *c)
{
    lk_ce_options o;
    return lk_nll_backward_f32(c->rows, c->cols, CF(LKR_X), c->ld[LKR_X], T64,
                               CE_OPTS_ARG(o), CF(LKR_GOUT), F(LKR_GRAD), c->ld[LKR_GRAD]);
}

static lk_status run_ce_prob(const lkr_call *c)
{
    lk_ce_options o;
    return lk_cross_entropy_prob_f32(c->rows, c->cols, CF(LKR_X), c->ld[LKR_X], CF(LKR_Y),
                                     c->ld[LKR_Y], CE_OPTS_ARG(o), F(LKR_OUT));
}

static lk_status run_ce_prob_bwd(const lkr_call *c)
{
    lk_ce_options o;
    return lk_cross_entropy_prob_backward_f32(c->rows, c->cols, CF(LKR_X), c->ld[LKR_X],
                                              CF(LKR_Y), c->ld[LKR_Y], CE_OPTS_ARG(o),
                                              CF(LKR_GOUT), F(LKR_GRAD), c->ld[LKR_GRAD]);
}

static lk_status run_ce_prob_fused(const lkr_call *c)
{
    lk_ce_options o;
    return lk_cross_entropy_prob_fused_f32(c->rows, c->cols, F(LKR_X), c->ld[LKR_X],
                                           CF(LKR_Y), c->ld[LKR_Y], CE_OPTS_ARG(o),
                                           F(LKR_OUT), F(LKR_GRAD), c->ld[LKR_GRAD]);
}

static lk_status run_mse(const lkr_call *c)
{
    return lk_mse_f32(c->rows, CF(LKR_X), CF(LKR_Y), c->red, F(LKR_OUT));
}

static lk_status run_mse_bwd(const lkr_call *c)
{
    return lk_mse_backward_f32(c->rows, CF(LKR_X), CF(LKR_Y), c->red, CF(LKR_GOUT),
                               F(LKR_GRAD));
}

static lk_status run_l1(const lkr_call *c)
{
    return lk_l1_f32(c->rows, CF(LKR_X), CF(LKR_Y), c->red, F(LKR_OUT));
}

static lk_status run_l1_bwd(const lkr_call *c)
{
    return lk_l1_backward_f32(c->rows, CF(LKR_X), CF(LKR_Y), c->red, CF(LKR_GOUT),
                              F(LKR_GRAD));
}

static lk_status run_huber(const lkr_call *c)
{
    return lk_huber_f32(c->rows, CF(LKR_X), CF(LKR_Y), c->param, c->red, F(LKR_OUT));
}

static lk_status run_huber_bwd(const lkr_call *c)
{
    return lk_huber_backward_f32(c->rows, CF(LKR_X), CF(LKR_Y), c->param, c->red,
                                 CF(LKR_GOUT), F(LKR_GRAD));
}

static lk_status run_smooth_l1(const lkr_call *c)
{
    return lk_smooth_l1_f32(c->rows, CF(LKR_X), CF(LKR_Y), c->param, c->red, F(LKR_OUT));
}

static lk_status run_smooth_l1_bwd(const lkr_call *c)
{
    return lk_smooth_l1_backward_f32(c->rows, CF(LKR_X), CF(LKR_Y), c->param, c->red,
                                     CF(LKR_GOUT), F(LKR_GRAD));
}

static lk_status run_bce(const lkr_call *c)
{
    return lk_bce_f32(c->rows, CF(LKR_X), CF(LKR_Y), CF(LKR_W), c->clamp, c->red,
                      F(LKR_OUT));
}

static lk_status run_bce_bwd(const lkr_call *c)
{
    return lk_bce_backward_f32(c->rows, CF(LKR_X), CF(LKR_Y), CF(LKR_W), c->clamp, c->red,
                               CF(LKR_GOUT), F(LKR_GRAD));
}

static lk_status run_bce_logits(const lkr_call *c)
{
    return lk_bce_logits_f32(c->rows, c->cols, CF(LKR_X), CF(LKR_Y), CF(LKR_W), CF(LKR_PW),
                             c->red, F(LKR_OUT));
}

static lk_status run_bce_logits_bwd(const lkr_call *c)
{
    return lk_bce_logits_backward_f32(c->rows, c->cols, CF(LKR_X), CF(LKR_Y), CF(LKR_W),
                                      CF(LKR_PW), c->red, CF(LKR_GOUT), F(LKR_GRAD));
}

static lk_status run_kl(const lkr_call *c)
{
    return lk_kl_div_f32(c->rows, c->cols, CF(LKR_X), CF(LKR_Y), c->log_target, c->red,
                         F(LKR_OUT));
}

static lk_status run_kl_bwd(const lkr_call *c)
{
    return lk_kl_div_backward_f32(c->rows, c->cols, CF(LKR_X), CF(LKR_Y), c->log_target,
                                  c->red, CF(LKR_GOUT), F(LKR_GRAD));
}

/* ------------------------------------------------------------------ table */

#define B(r) LKR_BIT(LKR_##r)

const lkr_fn lkr_fns[] = {
    { "lk_pairwise_sum_f32", run_sum_f32, LKR_SUM_F32, B(X) | B(OUT), 0, 0 },
    { "lk_pairwise_sum_f64", run_sum_f64, LKR_SUM_F64, B(X) | B(OUT), 0, 0 },
    { "lk_log_softmax_f32", run_log_softmax, LKR_ROWWISE, B(X) | B(OUT), 0,
      LKR_OUT_MATRIX | LKR_IP_OUT_X },
    { "lk_softmax_f32", run_softmax, LKR_ROWWISE, B(X) | B(OUT), 0,
      LKR_OUT_MATRIX | LKR_IP_OUT_X },
    { "lk_log_softmax_backward_f32", run_log_softmax_bwd, LKR_ROWWISE, B(X) | B(Y) | B(OUT),
      0, LKR_OUT_MATRIX | LKR_Y_MATRIX | LKR_IP_OUT_Y },
    { "lk_softmax_backward_f32", run_softmax_bwd, LKR_ROWWISE, B(X) | B(Y) | B(OUT), 0,
      LKR_OUT_MATRIX | LKR_Y_MATRIX | LKR_IP_OUT_Y },
    { "lk_cross_entropy_f32", run_ce, LKR_ROWWISE, B(X) | B(T) | B(W) | B(OUT), B(W),
      LKR_CE_OPTS },
    { "lk_cross_entropy_backward_f32", run_ce_bwd, LKR_ROWWISE,
      B(X) | B(T) | B(W) | B(GOUT) | B(GRAD), B(W) | B(GOUT), LKR_CE_OPTS | LKR_IP_GRAD_X },
    { "lk_cross_entropy_fused_f32", run_ce_fused, LKR_ROWWISE,
      B(X) | B(T) | B(W) | B(OUT) | B(GRAD), B(W),
      LKR_CE_OPTS | LKR_IP_GRAD_X | LKR_X_WRITTEN },
    { "lk_nll_f32", run_nll, LKR_ROWWISE, B(X) | B(T) | B(W) | B(OUT), B(W), LKR_CE_OPTS },
    { "lk_nll_backward_f32", run_nll_bwd, LKR_ROWWISE,
      B(X) | B(T) | B(W) | B(GOUT) | B(GRAD), B(W) | B(GOUT), LKR_CE_OPTS | LKR_IP_GRAD_X },
    { "lk_cross_entropy_prob_f32", run_ce_prob, LKR_ROWWISE, B(X) | B(Y) | B(W) | B(OUT),
      B(W), LKR_CE_OPTS | LKR_Y_MATRIX },
    { "lk_cross_entropy_prob_backward_f32", run_ce_prob_bwd, LKR_ROWWISE,
      B(X) | B(Y) | B(W) | B(GOUT) | B(GRAD), B(W) | B(GOUT),
      LKR_CE_OPTS | LKR_Y_MATRIX | LKR_IP_GRAD_X },
    { "lk_cross_entropy_prob_fused_f32", run_ce_prob_fused, LKR_ROWWISE,
      B(X) | B(Y) | B(W) | B(OUT) | B(GRAD), B(W),
      LKR_CE_OPTS | LKR_Y_MATRIX | LKR_IP_GRAD_X | LKR_X_WRITTEN },
    { "lk_mse_f32", run_mse, LKR_ELEM, B(X) | B(Y) | B(OUT), 0, LKR_RED | LKR_IP_OUT },
    { "lk_mse_backward_f32", run_mse_bwd, LKR_ELEM, B(X) | B(Y) | B(GOUT) | B(GRAD),
      B(GOUT), LKR_RED | LKR_IP_GRAD_X | LKR_IP_GRAD_Y },
    { "lk_l1_f32", run_l1, LKR_ELEM, B(X) | B(Y) | B(OUT), 0, LKR_RED | LKR_IP_OUT },
    { "lk_l1_backward_f32", run_l1_bwd, LKR_ELEM, B(X) | B(Y) | B(GOUT) | B(GRAD), B(GOUT),
      LKR_RED | LKR_IP_GRAD_X | LKR_IP_GRAD_Y },
    { "lk_huber_f32", run_huber, LKR_ELEM, B(X) | B(Y) | B(OUT), 0,
      LKR_RED | LKR_DELTA | LKR_IP_OUT },
    { "lk_huber_backward_f32", run_huber_bwd, LKR_ELEM, B(X) | B(Y) | B(GOUT) | B(GRAD),
      B(GOUT), LKR_RED | LKR_DELTA | LKR_IP_GRAD_X | LKR_IP_GRAD_Y },
    { "lk_smooth_l1_f32", run_smooth_l1, LKR_ELEM, B(X) | B(Y) | B(OUT), 0,
      LKR_RED | LKR_BETA | LKR_IP_OUT },
    { "lk_smooth_l1_backward_f32", run_smooth_l1_bwd, LKR_ELEM,
      B(X) | B(Y) | B(GOUT) | B(GRAD), B(GOUT),
      LKR_RED | LKR_BETA | LKR_IP_GRAD_X | LKR_IP_GRAD_Y },
    { "lk_bce_f32", run_bce, LKR_ELEM, B(X) | B(Y) | B(W) | B(OUT), B(W),
      LKR_RED | LKR_CLAMP | LKR_PROB | LKR_IP_OUT },
    { "lk_bce_backward_f32", run_bce_bwd, LKR_ELEM, B(X) | B(Y) | B(W) | B(GOUT) | B(GRAD),
      B(W) | B(GOUT), LKR_RED | LKR_CLAMP | LKR_PROB | LKR_IP_GRAD_X | LKR_IP_GRAD_Y },
    { "lk_bce_logits_f32", run_bce_logits, LKR_MATRIX, B(X) | B(Y) | B(W) | B(PW) | B(OUT),
      B(W) | B(PW), LKR_RED | LKR_IP_OUT },
    { "lk_bce_logits_backward_f32", run_bce_logits_bwd, LKR_MATRIX,
      B(X) | B(Y) | B(W) | B(PW) | B(GOUT) | B(GRAD), B(W) | B(PW) | B(GOUT),
      LKR_RED | LKR_IP_GRAD_X | LKR_IP_GRAD_Y },
    { "lk_kl_div_f32", run_kl, LKR_MATRIX, B(X) | B(Y) | B(OUT), 0,
      LKR_RED | LKR_LOGT | LKR_BATCHMEAN | LKR_IP_OUT },
    { "lk_kl_div_backward_f32", run_kl_bwd, LKR_MATRIX, B(X) | B(Y) | B(GOUT) | B(GRAD),
      B(GOUT), LKR_RED | LKR_LOGT | LKR_BATCHMEAN | LKR_IP_GRAD_X | LKR_IP_GRAD_Y },
};

const size_t lkr_nfns = sizeof lkr_fns / sizeof lkr_fns[0];

/* ------------------------------------------------------------ shape rules */

lk_reduction lkr_reduction(const lkr_fn *f, const lkr_call *c)
{
    if (f->flags & LKR_CE_OPTS)
        return c->opts_null ? LK_REDUCTION_MEAN : c->opts.reduction;
    if (f->flags & LKR_RED)
        return c->red;
    return LK_REDUCTION_MEAN;
}

size_t lkr_elem_size(const lkr_fn *f, lkr_role r)
{
    if (r == LKR_T)
        return sizeof(int64_t);
    if (f->kind == LKR_SUM_F32 || f->kind == LKR_SUM_F64) {
        if (r == LKR_OUT || (r == LKR_X && f->kind == LKR_SUM_F64))
            return sizeof(double);
    }
    return sizeof(float);
}

bool lkr_is_matrix(const lkr_fn *f, lkr_role r)
{
    if (f->kind != LKR_ROWWISE || !(f->uses & LKR_BIT(r)))
        return false;
    switch (r) {
    case LKR_X:
    case LKR_GRAD:
        return true;
    case LKR_Y:
        return (f->flags & LKR_Y_MATRIX) != 0;
    case LKR_OUT:
        return (f->flags & LKR_OUT_MATRIX) != 0;
    default:
        return false;
    }
}

/* Elements of a rows x cols matrix with leading dimension ld. */
static u128 span(size_t rows, size_t cols, size_t ld)
{
    return rows == 0 ? 0 : (u128)(rows - 1) * ld + cols;
}

u128 lkr_count(const lkr_fn *f, const lkr_call *c, lkr_role r)
{
    if (!(f->uses & LKR_BIT(r)))
        return 0;
    const bool none = lkr_reduction(f, c) == LK_REDUCTION_NONE;
    const u128 rows = c->rows, cols = c->cols;
    switch (f->kind) {
    case LKR_ROWWISE:
        if (lkr_is_matrix(f, r))
            return span(c->rows, c->cols, c->ld[r]);
        if (r == LKR_T)
            return rows;
        if (r == LKR_W)
            return cols;
        return none ? rows : 1; /* OUT (loss), GOUT */
    case LKR_ELEM:
        if (r == LKR_OUT || r == LKR_GOUT)
            return none ? rows : 1;
        return rows;
    case LKR_MATRIX:
        if (r == LKR_PW)
            return cols;
        if (r == LKR_OUT || r == LKR_GOUT)
            return none ? rows * cols : 1;
        return rows * cols;
    case LKR_SUM_F32:
    case LKR_SUM_F64:
        return r == LKR_OUT ? 1 : rows;
    }
    return 0;
}

bool lkr_overflows(const lkr_fn *f, const lkr_call *c)
{
    for (int r = 0; r < LKR_NROLES; r++) {
        if (c->buf[r] == NULL)
            continue; /* absent (optional) buffers have no size */
        if (r == LKR_W && (f->flags & LKR_CE_OPTS) && c->opts_null)
            continue; /* class weights travel in the options */
        if (lkr_count(f, c, (lkr_role)r) * lkr_elem_size(f, (lkr_role)r) > (u128)SIZE_MAX)
            return true;
    }
    return false;
}

bool lkr_in_place_ok(const lkr_fn *f, const lkr_call *c, lkr_role o, lkr_role i)
{
    unsigned fl = f->flags;
    bool flag = (o == LKR_OUT && i == LKR_X && (fl & LKR_IP_OUT_X)) ||
                (o == LKR_OUT && i == LKR_Y && (fl & LKR_IP_OUT_Y)) ||
                (o == LKR_GRAD && i == LKR_X && (fl & LKR_IP_GRAD_X)) ||
                (o == LKR_GRAD && i == LKR_Y && (fl & LKR_IP_GRAD_Y));
    if (!flag || lkr_count(f, c, o) != lkr_count(f, c, i))
        return false;
    /* Matrices: the same leading dimension too. */
    return !lkr_is_matrix(f, o) || !lkr_is_matrix(f, i) || c->ld[o] == c->ld[i];
}

const char *lkr_role_name(lkr_role r)
{
    static const char *const names[LKR_NROLES] = { "x", "y", "target", "weight",
                                                   "pos_weight", "grad_out", "out", "grad" };
    return (unsigned)r < LKR_NROLES ? names[r] : "?";
}

const char *lkr_reduction_name(lk_reduction r, char buf[32])
{
    switch (r) {
    case LK_REDUCTION_MEAN:
        return "MEAN";
    case LK_REDUCTION_SUM:
        return "SUM";
    case LK_REDUCTION_NONE:
        return "NONE";
    case LK_REDUCTION_BATCHMEAN:
        return "BATCHMEAN";
    }
    snprintf(buf, 32, "%d", (int)r);
    return buf;
}
