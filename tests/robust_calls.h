/*
 * robust_calls.h - one table that describes every public losskit function for the
 * robustness tests (the bad-input matrix in test_badinput.c and the fuzz target in
 * fuzz/fuzz_api.c): which buffers it takes, how many elements each spans for a
 * given shape, which may be NULL, which it writes, and which options it has.
 * Adding a public function to those tests is one line in lkr_fns (robust_calls.c).
 *
 * A call is described by an lkr_call: the shape, one pointer per buffer role
 * (indexed by lkr_role), a leading dimension per matrix role, and the scalar
 * options.  Each table entry has a small adapter that passes those to the real
 * function.  Nothing here uses Check, so the fuzz target can use it too.
 */
#ifndef LKR_ROBUST_CALLS_H
#define LKR_ROBUST_CALLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "losskit.h"

/* Buffer roles.  Which one a function's argument plays is listed per function. */
typedef enum lkr_role {
    LKR_X,    /* main input: logits, logp, forward output y (softmax backward), p, x */
    LKR_Y,    /* second input: gy, probability targets, regression / BCE / KL targets */
    LKR_T,    /* class-index targets (int64_t) */
    LKR_W,    /* class weights (CE, through the options) or per-element weights */
    LKR_PW,   /* pos_weight (BCE with logits) */
    LKR_GOUT, /* incoming gradient grad_out */
    LKR_OUT,  /* loss output, softmax output, softmax backward gx, or the sum (double) */
    LKR_GRAD, /* gradient output of the loss backward / fused calls */
    LKR_NROLES
} lkr_role;

#define LKR_BIT(r) (1u << (r))
#define LKR_INPUTS (LKR_BIT(LKR_X) | LKR_BIT(LKR_Y) | LKR_BIT(LKR_T) | LKR_BIT(LKR_W) | \
                    LKR_BIT(LKR_PW) | LKR_BIT(LKR_GOUT))
#define LKR_OUTPUTS (LKR_BIT(LKR_OUT) | LKR_BIT(LKR_GRAD))

/* How a function's shape arguments are read. */
typedef enum lkr_kind {
    LKR_ROWWISE, /* rows x cols matrices with a leading dimension each; cols > 0 */
    LKR_ELEM,    /* n = rows contiguous values (cols is ignored) */
    LKR_MATRIX,  /* rows x cols contiguous */
    LKR_SUM_F32, /* pairwise sum of n = rows floats into one double */
    LKR_SUM_F64  /* pairwise sum of n = rows doubles into one double */
} lkr_kind;

/* Flags. */
#define LKR_CE_OPTS    0x0001u /* takes lk_ce_options (W is its class_weight) */
#define LKR_RED        0x0002u /* takes an lk_reduction argument */
#define LKR_DELTA      0x0004u /* param is the Huber delta */
#define LKR_BETA       0x0008u /* param is the SmoothL1 beta */
#define LKR_CLAMP      0x0010u /* takes an lk_bce_clamp */
#define LKR_LOGT       0x0020u /* takes log_target */
#define LKR_BATCHMEAN  0x0040u /* accepts LK_REDUCTION_BATCHMEAN */
#define LKR_PROB       0x0080u /* X and Y must be probabilities in [0, 1] */
#define LKR_OUT_MATRIX 0x0100u /* OUT is a rows x cols matrix with its own ld */
#define LKR_Y_MATRIX   0x0200u /* Y is a rows x cols matrix with its own ld */
#define LKR_IP_OUT_Y   0x0400u /* OUT may be Y itself (same ld / same count): in place */
#define LKR_IP_OUT_X   0x0800u /* OUT may be X itself (same ld / same count): in place */
#define LKR_IP_GRAD_X  0x1000u /* GRAD may be X itself (same ld, or same vector) */
#define LKR_IP_GRAD_Y  0x2000u /* GRAD may be Y itself */
#define LKR_X_WRITTEN  0x4000u /* X is not const (fused calls: written when GRAD == X) */
#define LKR_IP_OUT     (LKR_IP_OUT_X | LKR_IP_OUT_Y) /* element-wise forward, NONE */

typedef struct lkr_call {
    size_t rows, cols;          /* ELEM and SUM kinds: n = rows, cols unused */
    void *buf[LKR_NROLES];      /* one pointer per role (unused roles ignored) */
    size_t ld[LKR_NROLES];      /* leading dimensions of the matrix roles */
    lk_ce_options opts;         /* CE_OPTS: passed unless opts_null; W replaces class_weight */
    bool opts_null;
    lk_reduction red;           /* RED functions (CE functions use opts.reduction) */
    float param;                /* Huber delta or SmoothL1 beta */
    lk_bce_clamp clamp;
    int log_target;
} lkr_call;

typedef struct lkr_fn {
    const char *name;
    lk_status (*run)(const lkr_call *c);
    lkr_kind kind;
    unsigned uses;      /* LKR_BIT(role) of each buffer argument */
    unsigned optional;  /* roles that may be NULL */
    unsigned flags;
} lkr_fn;

extern const lkr_fn lkr_fns[];
extern const size_t lkr_nfns;

/* The reduction in force for this call: opts.reduction for CE functions (MEAN when
 * opts_null), red for the others, MEAN for functions without one. */
lk_reduction lkr_reduction(const lkr_fn *f, const lkr_call *c);

/* Size in bytes of one element of a role's buffer. */
size_t lkr_elem_size(const lkr_fn *f, lkr_role r);

/*
 * Number of elements the role spans for this shape and reduction, computed in 128
 * bits so that it never overflows (0 for a role the function does not take).
 */
unsigned __int128 lkr_count(const lkr_fn *f, const lkr_call *c, lkr_role r);

/* Whether any buffer passed (non-NULL in c->buf) has a byte count that overflows size_t. */
bool lkr_overflows(const lkr_fn *f, const lkr_call *c);

/* Whether a role is a matrix with its own leading dimension for this function. */
bool lkr_is_matrix(const lkr_fn *f, lkr_role r);

/*
 * Whether output o may be exactly input i in this call (same pointer): the function
 * documents it in place, the two span the same number of elements (a loss output
 * only under NONE), and matrices have the same leading dimension.
 */
bool lkr_in_place_ok(const lkr_fn *f, const lkr_call *c, lkr_role o, lkr_role i);

/* Role names for messages. */
const char *lkr_role_name(lkr_role r);

/* Reduction name for messages (numeric for bad values; static buffer per call). */
const char *lkr_reduction_name(lk_reduction r, char buf[32]);

#endif /* LKR_ROBUST_CALLS_H */
