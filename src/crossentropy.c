/*
 * crossentropy.c - cross-entropy with class-index targets, with probability
 * targets, and NLL on log-probabilities: forward, backward and the fused call.
 *
 * All of them run one row function (ce_row) over the shape-only partition: a row's
 * loss and weight come back as an lk_acc and are summed by the fixed tree; per-row
 * losses and gradient rows are written by the row function itself.  For MEAN the
 * divisor W (sum of target weights) is known before any gradient is written: the
 * backward and fused calls compute it first with the same tree (cheap: it reads
 * only the targets), so the logits are read once.
 */
#include "internal.h"

#include <math.h>

typedef enum ce_kind {
    CE_INDEX, /* logits, class-index targets */
    CE_PROB,  /* logits, probability targets */
    CE_NLL    /* log-probabilities, class-index targets */
} ce_kind;

typedef struct ce_job {
    ce_kind kind;
    size_t rows, cols;
    const float *x; /* logits or logp */
    size_t ld;
    const int64_t *target;  /* CE_INDEX, CE_NLL */
    const float *tprob;     /* CE_PROB */
    size_t ldt;
    lk_reduction reduction;
    const float *w;         /* class weights or NULL */
    double wsum;            /* sum of class weights (cols when unweighted) */
    float eps;              /* label smoothing */
    int64_t ignore;
    float *row_loss;        /* rows floats (NONE), or NULL */
    float *grad;            /* gradient rows, or NULL */
    size_t ldg;
    const float *gout;      /* incoming gradient per row (NONE), or NULL */
    double gscale;          /* factor for every gradient row (SUM/MEAN) */
    bool split;             /* split rows into chunks over threads */
} ce_job;

static inline float class_w(const ce_job *j, size_t c)
{
    return j->w ? j->w[c] : 1.0f;
}

/* ----------------------------------------------------------- option checks */

lk_ce_options lk_ce_options_default(void)
{
    lk_ce_options o = LK_CE_OPTIONS_INIT;
    return o;
}

static lk_status read_options(const lk_ce_options *opts, size_t cols, ce_job *j)
{
    lk_ce_options o = opts ? *opts : lk_ce_options_default();
    if (o.init_tag != LK_CE_OPTIONS_TAG)
        return LK_ERR_OPTIONS_INIT;
    if (!lk__basic_reduction(o.reduction))
        return LK_ERR_OPTION;
    if (!(o.label_smoothing >= 0.0f && o.label_smoothing <= 1.0f))
        return LK_ERR_OPTION;
    j->reduction = o.reduction;
    j->w = o.class_weight;
    j->eps = o.label_smoothing;
    j->ignore = o.ignore_index;
    j->wsum = o.class_weight ? lk__row_dot(o.class_weight, NULL, cols, false) : (double)cols;
    return LK_OK;
}

/* Shared checks of shapes, pointers, options and targets; fills j. */
static lk_status check_common(ce_job *j, ce_kind kind, size_t rows, size_t cols,
                              const float *x, size_t ld, const int64_t *target,
                              const float *tprob, size_t ldt, const lk_ce_options *opts)
{
    lk_status st;
    j->kind = kind;
    j->rows = rows;
    j->cols = cols;
    j->x = x;
    j->ld = ld;
    j->target = target;
    j->tprob = tprob;
    j->ldt = ldt;
    j->row_loss = NULL;
    j->grad = NULL;
    j->ldg = 0;
    j->gout = NULL;
    j->gscale = 1.0;
    j->split = lk__split_rows(rows, cols);
    if ((st = lk__check_matrix(rows, cols, ld, x, sizeof *x)) != LK_OK)
        return st;
    if (kind == CE_PROB) {
        if ((st = lk__check_matrix(rows, cols, ldt, tprob, sizeof *tprob)) != LK_OK)
            return st;
    } else if ((st = lk__check_vector(rows, target, sizeof *target)) != LK_OK) {
        return st;
    }
    if ((st = read_options(opts, cols, j)) != LK_OK)
        return st;
    if (kind != CE_PROB) {
        for (size_t n = 0; n < rows; n++) {
            int64_t t = target[n];
            if (t != j->ignore && (t < 0 || (uint64_t)t >= (uint64_t)cols))
                return LK_ERR_TARGET;
        }
    }
    return LK_OK;
}

/* Alias checks for outputs: a loss vector (nloss floats) and a gradient matrix. */
static lk_status check_outputs(const ce_job *j, const float *loss, size_t nloss,
                               const float *grad, size_t ldg, bool grad_over_x_ok)
{
    lk_status st;
    size_t xbytes = lk__span(j->rows, j->cols, j->ld) * sizeof(float);
    if (loss) {
        size_t lb = nloss * sizeof(float);
        if (lk__overlap(loss, lb, j->x, xbytes) ||
            lk__overlap(loss, lb, j->target, j->rows * sizeof(int64_t)) ||
            lk__overlap(loss, lb, j->tprob, lk__span(j->rows, j->cols, j->ldt) * sizeof(float)) ||
            lk__overlap(loss, lb, j->w, j->w ? j->cols * sizeof(float) : 0) ||
            lk__overlap(loss, lb, grad, lk__span(j->rows, j->cols, ldg) * sizeof(float)))
            return LK_ERR_ALIAS;
    }
    if (grad) {
        size_t gb = lk__span(j->rows, j->cols, ldg) * sizeof(float);
        if ((st = lk__check_out_matrix(j->rows, j->cols, grad, ldg, j->x, j->ld,
                                       grad_over_x_ok)) != LK_OK)
            return st;
        if (lk__overlap(grad, gb, j->target, j->rows * sizeof(int64_t)) ||
            lk__overlap(grad, gb, j->tprob, lk__span(j->rows, j->cols, j->ldt) * sizeof(float)) ||
            lk__overlap(grad, gb, j->w, j->w ? j->cols * sizeof(float) : 0))
            return LK_ERR_ALIAS;
    }
    return LK_OK;
}

/* ------------------------------------------------------------- row sums */

/* Context for the chunked sums over one row. */
typedef struct row_ctx {
    const ce_job *j;
    const float *x;   /* the row */
    const float *t;   /* CE_PROB: the target row */
    double m;         /* row max (CE_INDEX, CE_PROB) or 0 (CE_NLL) */
    double ls;        /* log of the sum of exponentials, or 0 */
} row_ctx;

/* a = sum_c w_c * (x_c - m - ls) over a chunk (the smoothing term's sum). */
static lk_acc chunk_wlogp(void *ctx, size_t lo, size_t hi)
{
    const row_ctx *c = ctx;
    double s = 0.0;
    for (size_t k = lo; k < hi; k++)
        s += (double)class_w(c->j, k) * (((double)c->x[k] - c->m) - c->ls);
    lk_acc r = { s, 0.0 };
    return r;
}

/* Smoothed probability target t'_k = t_k (1 - eps) + eps / C, in float like PyTorch. */
static inline float smoothed_target(const ce_job *j, const float *t, size_t k)
{
    if (j->eps == 0.0f)
        return t[k];
    return t[k] * (1.0f - j->eps) + j->eps / (float)j->cols;
}

/* a = sum_c w_c t'_c logp_c, b = sum_c w_c t'_c over a chunk (probability targets). */
static lk_acc chunk_prob(void *ctx, size_t lo, size_t hi)
{
    const row_ctx *c = ctx;
    double s = 0.0, sw = 0.0;
    for (size_t k = lo; k < hi; k++) {
        double wt = (double)class_w(c->j, k) * (double)smoothed_target(c->j, c->t, k);
        s += wt * (((double)c->x[k] - c->m) - c->ls);
        sw += wt;
    }
    lk_acc r = { s, sw };
    return r;
}

/* -------------------------------------------------------------- gradient */

/*
 * Writes one gradient row over chunks:
 *   grad_k = a * p_k - b * w_k * tt_k     (p_k = exp(x_k - m - ls); a = 0: no p term)
 * where tt_k is the smoothed target (CE_PROB) or 1, and then, for class-index
 * targets, subtracts `hit` at the target column.  grad may be the row x itself.
 */
static void write_grad_row(const ce_job *j, const row_ctx *c, float *g, float a, float b,
                           bool with_p)
{
    const size_t n = j->cols;
    const float m = (float)c->m, ls = (float)c->ls;
    long nchunk = (long)((n + LK_CHUNK - 1) / LK_CHUNK);
#pragma omp parallel for schedule(static) if (j->split)
    for (long ck = 0; ck < nchunk; ck++) {
        size_t k0 = (size_t)ck * LK_CHUNK;
        size_t k1 = k0 + LK_CHUNK < n ? k0 + LK_CHUNK : n;
        for (size_t k = k0; k < k1; k++) {
            float wt = b == 0.0f ? 0.0f : b * class_w(j, k);
            if (j->kind == CE_PROB)
                wt *= smoothed_target(j, c->t, k);
            float p = with_p ? a * expf((c->x[k] - m) - ls) : 0.0f;
            g[k] = p - wt;
        }
    }
}

/* ------------------------------------------------------------- one row */

/* Loss (a) and divisor weight (b) of row r; writes its loss / gradient if asked. */
static lk_acc ce_row(const ce_job *j, size_t r)
{
    const size_t C = j->cols;
    const float *x = j->x + r * j->ld;
    float *g = j->grad ? j->grad + r * j->ldg : NULL;
    row_ctx c = { j, x, j->tprob ? j->tprob + r * j->ldt : NULL, 0.0, 0.0 };
    lk_acc out = { 0.0, 0.0 };
    int64_t t = j->kind == CE_PROB ? 0 : j->target[r];

    if (j->kind != CE_PROB && t == j->ignore) {
        if (j->row_loss)
            j->row_loss[r] = 0.0f;
        if (g)
            for (size_t k = 0; k < C; k++)
                g[k] = 0.0f;
        return out;
    }
    if (j->kind != CE_NLL) {
        lk_stats st = lk__row_stats(x, C, j->split);
        c.m = st.max;
        c.ls = log(st.sum);
    }
    const double one_m_eps = 1.0 - (double)j->eps, eps_c = (double)j->eps / (double)C;
    double loss, sum_wt = 0.0, wy = 0.0;
    if (j->kind == CE_PROB) {
        lk_acc s = lk__tree_sum(C, LK_CHUNK, chunk_prob, &c, j->split);
        loss = -s.a;
        sum_wt = s.b;
        out.b = 1.0;
    } else {
        wy = class_w(j, (size_t)t);
        double logp_t = ((double)x[t] - c.m) - c.ls;
        loss = one_m_eps * (-wy * logp_t);
        if (j->eps > 0.0f)
            loss += eps_c * -lk__tree_sum(C, LK_CHUNK, chunk_wlogp, &c, j->split).a;
        out.b = wy;
    }
    out.a = loss;
    if (j->row_loss)
        j->row_loss[r] = (float)loss;
    if (g) {
        double gr = j->gscale * (j->gout ? (double)j->gout[r] : 1.0);
        if (j->kind == CE_PROB) {
            write_grad_row(j, &c, g, (float)(gr * sum_wt), (float)gr, true);
        } else {
            double a = gr * (one_m_eps * wy + eps_c * j->wsum);
            float b = (float)(gr * eps_c);
            write_grad_row(j, &c, g, (float)a, b, j->kind != CE_NLL);
            g[t] -= (float)(gr * one_m_eps * wy);
        }
    }
    return out;
}

static lk_acc ce_rows(void *ctx, size_t lo, size_t hi)
{
    const ce_job *j = ctx;
    double a = 0.0, b = 0.0;
    for (size_t r = lo; r < hi; r++) {
        lk_acc v = ce_row(j, r);
        a += v.a;
        b += v.b;
    }
    lk_acc s = { a, b };
    return s;
}

/* Divisor weights only: w[t_n] over non-ignored rows (the b of ce_rows). */
static lk_acc ce_weights(void *ctx, size_t lo, size_t hi)
{
    const ce_job *j = ctx;
    double b = 0.0;
    for (size_t r = lo; r < hi; r++) {
        if (j->kind == CE_PROB)
            b += 1.0;
        else if (j->target[r] != j->ignore)
            b += (double)class_w(j, (size_t)j->target[r]);
    }
    lk_acc s = { 0.0, b };
    return s;
}

static lk_acc run(const ce_job *j, lk_leaf_fn fn)
{
    return lk__tree_sum(j->rows, LK_ROW_LEAF, fn, (void *)(uintptr_t)j,
                        !j->split && lk__worth_parallel(j->rows, j->cols));
}

/* The reduced loss from the tree's (loss sum, weight sum). */
static float reduce_loss(const ce_job *j, lk_acc s)
{
    if (j->reduction == LK_REDUCTION_SUM)
        return (float)s.a;
    return (float)(s.a / s.b); /* MEAN; 0 / 0 is NaN as in PyTorch */
}

/* ------------------------------------------------------------ drivers */

static lk_status forward(ce_job *j, float *out)
{
    lk_status st;
    if (out == NULL)
        return LK_ERR_NULL;
    size_t nout = lk__out_count(j->reduction, j->rows);
    if ((st = check_outputs(j, out, nout, NULL, 0, false)) != LK_OK)
        return st;
    if (j->reduction == LK_REDUCTION_NONE) {
        j->row_loss = out;
        (void)run(j, ce_rows);
    } else {
        out[0] = reduce_loss(j, run(j, ce_rows));
    }
    return LK_OK;
}

/*
 * Gradient (and, when loss != NULL, the loss) in one pass.  grad_out: incoming
 * gradient (NULL means 1).  fused: grad may be the input itself.
 */
static lk_status backward(ce_job *j, const float *grad_out, float *loss, float *grad,
                          size_t ldg, bool fused)
{
    lk_status st;
    if (grad == NULL || (fused && loss == NULL))
        return LK_ERR_NULL;
    if ((st = lk__check_matrix(j->rows, j->cols, ldg, grad, sizeof *grad)) != LK_OK)
        return st;
    size_t nout = lk__out_count(j->reduction, j->rows);
    if (grad_out && lk__overlap(grad, lk__span(j->rows, j->cols, ldg) * sizeof(float),
                                grad_out, nout * sizeof(float)))
        return LK_ERR_ALIAS;
    if ((st = check_outputs(j, loss, nout, grad, ldg, true)) != LK_OK)
        return st;
    j->grad = grad;
    j->ldg = ldg;
    if (j->reduction == LK_REDUCTION_NONE) {
        j->gout = grad_out;
        j->row_loss = loss;
        (void)run(j, ce_rows);
        return LK_OK;
    }
    double g = grad_out ? (double)grad_out[0] : 1.0;
    if (j->reduction == LK_REDUCTION_MEAN) {
        double w = run(j, ce_weights).b;
        /* All rows ignored: every gradient row is zero whatever the scale. */
        g = w != 0.0 ? g / w : 0.0;
    }
    j->gscale = g;
    lk_acc s = run(j, ce_rows);
    if (loss)
        loss[0] = reduce_loss(j, s);
    return LK_OK;
}

/* --------------------------------------------------------- public calls */

lk_status lk_cross_entropy_f32(size_t rows, size_t cols, const float *logits, size_t ld,
                               const int64_t *target, const lk_ce_options *opts,
                               float *out)
{
    ce_job j;
    lk_status st = check_common(&j, CE_INDEX, rows, cols, logits, ld, target, NULL, 0, opts);
    return st != LK_OK ? st : forward(&j, out);
}

lk_status lk_cross_entropy_backward_f32(size_t rows, size_t cols, const float *logits,
                                        size_t ld, const int64_t *target,
                                        const lk_ce_options *opts, const float *grad_out,
                                        float *grad, size_t ldg)
{
    ce_job j;
    lk_status st = check_common(&j, CE_INDEX, rows, cols, logits, ld, target, NULL, 0, opts);
    return st != LK_OK ? st : backward(&j, grad_out, NULL, grad, ldg, false);
}

lk_status lk_cross_entropy_fused_f32(size_t rows, size_t cols, float *logits, size_t ld,
                                     const int64_t *target, const lk_ce_options *opts,
                                     float *loss, float *grad, size_t ldg)
{
    ce_job j;
    lk_status st = check_common(&j, CE_INDEX, rows, cols, logits, ld, target, NULL, 0, opts);
    return st != LK_OK ? st : backward(&j, NULL, loss, grad, ldg, true);
}

lk_status lk_nll_f32(size_t rows, size_t cols, const float *logp, size_t ld,
                     const int64_t *target, const lk_ce_options *opts, float *out)
{
    ce_job j;
    lk_status st = check_common(&j, CE_NLL, rows, cols, logp, ld, target, NULL, 0, opts);
    return st != LK_OK ? st : forward(&j, out);
}

lk_status lk_nll_backward_f32(size_t rows, size_t cols, const float *logp, size_t ld,
                              const int64_t *target, const lk_ce_options *opts,
                              const float *grad_out, float *grad, size_t ldg)
{
    ce_job j;
    lk_status st = check_common(&j, CE_NLL, rows, cols, logp, ld, target, NULL, 0, opts);
    return st != LK_OK ? st : backward(&j, grad_out, NULL, grad, ldg, false);
}

lk_status lk_cross_entropy_prob_f32(size_t rows, size_t cols, const float *logits,
                                    size_t ld, const float *target, size_t ldt,
                                    const lk_ce_options *opts, float *out)
{
    ce_job j;
    lk_status st = check_common(&j, CE_PROB, rows, cols, logits, ld, NULL, target, ldt, opts);
    return st != LK_OK ? st : forward(&j, out);
}

lk_status lk_cross_entropy_prob_backward_f32(size_t rows, size_t cols, const float *logits,
                                             size_t ld, const float *target, size_t ldt,
                                             const lk_ce_options *opts,
                                             const float *grad_out, float *grad,
                                             size_t ldg)
{
    ce_job j;
    lk_status st = check_common(&j, CE_PROB, rows, cols, logits, ld, NULL, target, ldt, opts);
    return st != LK_OK ? st : backward(&j, grad_out, NULL, grad, ldg, false);
}

lk_status lk_cross_entropy_prob_fused_f32(size_t rows, size_t cols, float *logits,
                                          size_t ld, const float *target, size_t ldt,
                                          const lk_ce_options *opts, float *loss,
                                          float *grad, size_t ldg)
{
    ce_job j;
    lk_status st = check_common(&j, CE_PROB, rows, cols, logits, ld, NULL, target, ldt, opts);
    return st != LK_OK ? st : backward(&j, NULL, loss, grad, ldg, true);
}
