/*
 * crossentropy.c - cross-entropy with class-index targets, with probability
 * targets, and NLL on log-probabilities: forward, backward and the fused call.
 *
 * All of them run one row function (ce_head, then ce_tail) over the shape-only
 * partition: a row's loss and weight come back as an lk_acc and are summed by the
 * fixed tree; per-row losses and gradient rows are written by the row function.
 * For MEAN the divisor W (sum of target weights) is known before any gradient is
 * written: the backward and fused calls compute it first with the same tree
 * (cheap: it reads only the targets), so the logits are read once.
 */
#include "internal.h"

#include <math.h>

typedef enum ce_kind {
    CE_INDEX, /* logits, class-index targets */
    CE_PROB,  /* logits, probability targets */
    CE_NLL    /* log-probabilities, class-index targets */
} ce_kind;

typedef struct ce_job {
    const lk_rowk *k;       /* the row kernels */
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
    double one_m_eps, eps_c; /* 1 - eps and eps / cols, in double */
    float eps;              /* label smoothing */
    int64_t ignore;
    float *row_loss;        /* rows floats (NONE), or NULL */
    float *grad;            /* gradient rows, or NULL */
    size_t ldg;
    const float *gout;      /* incoming gradient per row (NONE), or NULL */
    double gscale;          /* factor for every gradient row (SUM/MEAN) */
    bool split;             /* each row's chunks on threads (set by lk__run_rows) */
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
    lk_status st = lk__check_vector(cols, o.class_weight, sizeof(float));
    if (o.class_weight && st != LK_OK) /* cols weights whose bytes overflow size_t */
        return st;
    j->reduction = o.reduction;
    j->w = o.class_weight;
    j->eps = o.label_smoothing;
    j->one_m_eps = 1.0 - (double)o.label_smoothing;
    j->eps_c = (double)o.label_smoothing / (double)cols;
    j->ignore = o.ignore_index;
    return LK_OK;
}

/* Shared checks of shapes, pointers and options (no data is read); fills j. */
static lk_status check_common(ce_job *j, ce_kind kind, size_t rows, size_t cols,
                              const float *x, size_t ld, const int64_t *target,
                              const float *tprob, size_t ldt, const lk_ce_options *opts)
{
    lk_status st;
    j->k = lk__rowk();
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
    j->split = false; /* set by lk__run_rows */
    if ((st = lk__check_matrix(rows, cols, ld, x, sizeof *x)) != LK_OK)
        return st;
    if (kind == CE_PROB) {
        if ((st = lk__check_matrix(rows, cols, ldt, tprob, sizeof *tprob)) != LK_OK)
            return st;
    } else if ((st = lk__check_vector(rows, target, sizeof *target)) != LK_OK) {
        return st;
    }
    return read_options(opts, cols, j);
}

/*
 * The checks that read data, run once every size is known to be valid: class-index
 * targets in range.  Then the sum of the class weights, for the gradient's
 * smoothing term.
 */
static lk_status check_data(ce_job *j)
{
    if (j->kind != CE_PROB) {
        for (size_t n = 0; n < j->rows; n++) {
            int64_t t = j->target[n];
            if (t != j->ignore && (t < 0 || (uint64_t)t >= (uint64_t)j->cols))
                return LK_ERR_TARGET;
        }
    }
    j->wsum = j->w && j->rows > 0 ? lk__row_dot(j->w, NULL, j->cols, false) : (double)j->cols;
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

/* ------------------------------------------------------------- one row */

/* One row's chunked passes. */
typedef struct row_ctx {
    const ce_job *j;
    const float *x; /* the row (logits, or logp for CE_NLL) */
    float *g;       /* its gradient row, or NULL */
    lk_colw cw;     /* column weights of the weighted sum and the gradient */
    float ref;      /* offset of the weighted sum */
    float c, b;     /* gradient g = c * exp(x - ref) - b * wt (c unused without with_e) */
    bool with_e;
} row_ctx;

static lk_acc chunk_wsum(void *ctx, size_t lo, size_t hi)
{
    const row_ctx *c = ctx;
    return c->j->k->wsum(c->x + lo, hi - lo, c->ref, lk__colw_at(c->cw, lo));
}

/* (sum_c wt_c (x_c - ref), sum_c wt_c) of the row over the chunk tree. */
static lk_acc row_wsum(row_ctx *c)
{
    const size_t n = c->j->cols;
    if (n <= LK_CHUNK)
        return c->j->k->wsum(c->x, n, c->ref, c->cw);
    return lk__chunk_tree(n, chunk_wsum, c, lk__acc_add, c->j->split);
}

static void chunk_grad(void *ctx, size_t lo, size_t hi)
{
    const row_ctx *c = ctx;
    c->j->k->grad(c->g + lo, hi - lo, c->c, c->b, lk__colw_at(c->cw, lo), c->with_e);
}

/*
 * One row's state between its two halves (ce_head, ce_tail): the passes over the
 * row, then the log and the loss (and the gradient pass).  Short rows run the
 * heads of a group of rows before their tails (ce_rows), so that the exp passes
 * and the logs of different rows overlap in the CPU instead of waiting for each
 * other; every row's arithmetic is the same either way.
 */
typedef struct row_state {
    row_ctx c;
    lk_acc ws;    /* sum wt (x - ref), sum wt */
    double xt;    /* x[t] (read before g overwrites x) */
    double s;     /* sum exp(x - ref) (1 for CE_NLL) */
    int64_t t;    /* the target class (0 for CE_PROB) */
    bool ignored; /* the row counts for nothing (done by ce_head) */
} row_state;

/*
 * First half of row r: the passes over row x (cols floats).  x[t] is read first,
 * then the max pass reads the row from memory; the weighted-sum pass (smoothing,
 * probability targets) and the exp pass read it again from cache.  With a
 * gradient the exp pass writes exp(x - m) into the gradient row (which may be x
 * itself).  An ignored row is finished here (zero loss and gradient).
 */
static void ce_head(const ce_job *j, size_t r, row_state *h)
{
    const size_t C = j->cols;
    const float *x = j->x + r * j->ld;
    float *g = j->grad ? j->grad + r * j->ldg : NULL;
    const int64_t t = j->kind == CE_PROB ? 0 : j->target[r];

    h->t = t;
    h->ignored = j->kind != CE_PROB && t == j->ignore;
    if (h->ignored) {
        if (j->row_loss)
            j->row_loss[r] = 0.0f;
        if (g)
            for (size_t k = 0; k < C; k++)
                g[k] = 0.0f;
        return;
    }
    row_ctx *c = &h->c;
    c->j = j;
    c->x = x;
    c->g = g;
    c->cw.w = j->w;
    c->cw.t = NULL;
    c->cw.smooth = false;
    c->cw.keep = 1.0f;
    c->cw.add = 0.0f;
    c->ref = 0.0f;
    c->c = c->b = 0.0f; /* (set by ce_tail) */
    c->with_e = false;
    if (j->kind == CE_PROB) {
        c->cw.t = j->tprob + r * j->ldt;
        c->cw.smooth = j->eps != 0.0f;
        c->cw.keep = 1.0f - j->eps;
        c->cw.add = j->eps / (float)C;
    }
    h->xt = j->kind == CE_PROB ? 0.0 : (double)x[t]; /* before g overwrites x */
    h->s = 1.0;
    /* (rows of up to LK_CHUNK floats call the kernels directly, as lk__row_max and
     * lk__row_expsum would) */
    if (j->kind != CE_NLL)
        c->ref = lk__stats_ref(C <= LK_CHUNK ? j->k->max(x, C)
                                             : lk__row_max(j->k, x, C, j->split));
    h->ws.a = h->ws.b = 0.0;
    if (j->kind == CE_PROB || j->eps > 0.0f)
        h->ws = row_wsum(c);
    if (j->kind != CE_NLL) {
        const float *next = !j->split && r + 1 < j->rows ? x + j->ld : NULL;
        h->s = C <= LK_CHUNK ? j->k->expsum(x, C, c->ref, g, next, false)
                             : lk__row_expsum(j->k, x, C, c->ref, j->split, g, next, false);
    }
}

/*
 * Second half of row r: loss (a) and divisor weight (b); writes its loss and
 * gradient if asked.  The gradient pass scales the row's exponentials in cache:
 *   g_k = gr * (A p_k - B wt_k),  p_k = exp(x_k - m) / s,
 * with A, B the factors of the loss' gradient and wt_k its column weights.
 */
static lk_acc ce_tail(const ce_job *j, size_t r, row_state *h)
{
    lk_acc out = { 0.0, 0.0 };
    if (h->ignored)
        return out;
    row_ctx *c = &h->c;
    const int64_t t = h->t;
    const double s = h->s;
    const lk_acc ws = h->ws;
    const double ls = log(s); /* logp_c = (x_c - ref) - ls */
    const double one_m_eps = j->one_m_eps, eps_c = j->eps_c;
    double loss, wy = 0.0;
    if (j->kind == CE_PROB) {
        loss = ls * ws.b - ws.a; /* -sum_c wt_c logp_c */
        out.b = 1.0;
    } else {
        wy = (double)class_w(j, (size_t)t);
        double logp_t = (h->xt - (double)c->ref) - ls;
        loss = one_m_eps * (-wy * logp_t);
        if (j->eps > 0.0f)
            loss += eps_c * (ls * ws.b - ws.a);
        out.b = wy;
    }
    out.a = loss;
    if (j->row_loss)
        j->row_loss[r] = (float)loss;
    if (c->g) {
        double gr = j->gscale * (j->gout ? (double)j->gout[r] : 1.0);
        if (j->kind == CE_PROB) {
            c->c = (float)(gr * ws.b / s);
            c->b = (float)gr;
        } else {
            c->c = (float)(gr * (one_m_eps * wy + eps_c * j->wsum) / s);
            c->b = (float)(gr * eps_c);
        }
        c->with_e = j->kind != CE_NLL;
        if (j->cols <= LK_CHUNK) /* what lk__for_chunks does then, without the calls */
            j->k->grad(c->g, j->cols, c->c, c->b, c->cw, c->with_e);
        else
            lk__for_chunks(j->cols, chunk_grad, c, j->split);
        if (j->kind != CE_PROB)
            c->g[t] -= (float)(gr * one_m_eps * wy);
    }
    return out;
}

/*
 * Rows of at most this many columns run their heads in groups of LK_ROW_LEAF when
 * there is no gradient: measured at 65536 x 10, 1 thread, the forward takes 24%
 * less time.  Not with a gradient: grouped, the fused and backward calls took 45%
 * longer (not investigated; perhaps the exp pass's stores into a row, then loads
 * of the next rows, which share its cache lines).
 */
#define CE_GROUP_COLS 256

static lk_acc ce_rows(void *ctx, size_t lo, size_t hi)
{
    const ce_job *j = ctx;
    const size_t group =
        j->cols <= CE_GROUP_COLS && !j->split && !j->grad ? LK_ROW_LEAF : 1;
    row_state h[LK_ROW_LEAF];
    double a = 0.0, b = 0.0;
    for (size_t r0 = lo; r0 < hi; r0 += group) {
        const size_t n = hi - r0 < group ? hi - r0 : group;
        for (size_t i = 0; i < n; i++)
            ce_head(j, r0 + i, &h[i]);
        for (size_t i = 0; i < n; i++) {
            lk_acc v = ce_tail(j, r0 + i, &h[i]);
            a += v.a;
            b += v.b;
        }
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

static lk_acc run(ce_job *j, lk_leaf_fn fn)
{
    return lk__run_rows(j->rows, j->cols, fn, j, &j->split);
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
    size_t nout = lk__out_count(j->reduction, j->rows);
    if (out == NULL && nout > 0) /* NULL only where it addresses nothing */
        return LK_ERR_NULL;
    if ((st = check_outputs(j, out, nout, NULL, 0, false)) != LK_OK ||
        (st = check_data(j)) != LK_OK)
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
    size_t nout = lk__out_count(j->reduction, j->rows);
    if (fused && loss == NULL && nout > 0) /* NULL only where it addresses nothing */
        return LK_ERR_NULL;
    if ((st = lk__check_matrix(j->rows, j->cols, ldg, grad, sizeof *grad)) != LK_OK)
        return st;
    if (grad_out && lk__overlap(grad, lk__span(j->rows, j->cols, ldg) * sizeof(float),
                                grad_out, nout * sizeof(float)))
        return LK_ERR_ALIAS;
    if ((st = check_outputs(j, loss, nout, grad, ldg, true)) != LK_OK ||
        (st = check_data(j)) != LK_OK)
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
