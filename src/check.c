/*
 * check.c - status messages, version, and the argument checks every entry point
 * runs before it writes anything.
 */
#include "internal.h"

#include <stdint.h>

const char *lk_strerror(lk_status status)
{
    switch (status) {
    case LK_OK:
        return "success";
    case LK_ERR_NULL:
        return "a required pointer argument is NULL";
    case LK_ERR_SIZE:
        return "a size is zero where it must not be, or its byte count overflows size_t";
    case LK_ERR_STRIDE:
        return "a leading dimension (row stride) is smaller than the row length";
    case LK_ERR_TARGET:
        return "a class index target is out of range [0, classes) and is not ignore_index";
    case LK_ERR_DOMAIN:
        return "an input value is outside its domain (probability not in [0, 1], or NaN)";
    case LK_ERR_OPTION:
        return "an option is out of range (reduction, label smoothing, delta, beta, ...)";
    case LK_ERR_ALIAS:
        return "an output buffer overlaps an input in a way this function does not allow";
    case LK_ERR_OPTIONS_INIT:
        return "options struct not initialised: start from its _default() function or _INIT macro";
    }
    return "unknown losskit status code";
}

const char *lk_version(void)
{
    return LOSSKIT_VERSION;
}

size_t lk__span(size_t rows, size_t cols, size_t ld)
{
    return rows == 0 ? 0 : (rows - 1) * ld + cols;
}

lk_status lk__check_matrix(size_t rows, size_t cols, size_t ld, const void *p,
                           size_t elem_size)
{
    if (p == NULL && rows > 0)
        return LK_ERR_NULL;
    if (cols == 0)
        return LK_ERR_SIZE;
    if (ld < cols)
        return LK_ERR_STRIDE;
    /* (rows - 1) * ld + cols elements, times elem_size bytes, must fit in size_t;
     * a row's byte count must fit even when there are no rows (per-class vectors
     * of `cols` entries are sized by it). */
    size_t max_elems = SIZE_MAX / elem_size;
    if (cols > max_elems)
        return LK_ERR_SIZE;
    if (rows > 1 && rows - 1 > (max_elems - cols) / ld)
        return LK_ERR_SIZE;
    return LK_OK;
}

lk_status lk__check_vector(size_t n, const void *p, size_t elem_size)
{
    if (p == NULL && n > 0)
        return LK_ERR_NULL;
    if (n > SIZE_MAX / elem_size)
        return LK_ERR_SIZE;
    return LK_OK;
}

bool lk__overlap(const void *a, size_t na, const void *b, size_t nb)
{
    if (a == NULL || b == NULL || na == 0 || nb == 0)
        return false;
    uintptr_t pa = (uintptr_t)a, pb = (uintptr_t)b;
    return pa < pb + nb && pb < pa + na;
}

lk_status lk__check_out_matrix(size_t rows, size_t cols, const float *out, size_t ldo,
                               const float *in, size_t ldi, bool in_place_ok)
{
    if (in_place_ok && out == in && ldo == ldi)
        return LK_OK;
    size_t bo = lk__span(rows, cols, ldo) * sizeof(float);
    size_t bi = lk__span(rows, cols, ldi) * sizeof(float);
    return lk__overlap(out, bo, in, bi) ? LK_ERR_ALIAS : LK_OK;
}
