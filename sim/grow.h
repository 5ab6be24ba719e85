/* Growable arrays: ft_grow makes room for `need` elements of `elem` bytes in *arr,
 * whose capacity *cap (in elements) doubles, starting from `first`. On failure
 * (FT_ENOMEM, also when the size would overflow) *arr and *cap are unchanged: the
 * caller still owns the old array and frees it. Header-only. */
#ifndef FTSIM_GROW_H
#define FTSIM_GROW_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "err.h"

static inline int ft_grow(void **arr, size_t *cap, size_t need, size_t elem, size_t first) {
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : first;
    while (c < need) {
        if (c > SIZE_MAX / 2) return FT_ENOMEM;
        c *= 2;
    }
    if (elem && c > SIZE_MAX / elem) return FT_ENOMEM;
    void *b = realloc(*arr, c * elem);
    if (!b) return FT_ENOMEM;
    *arr = b;
    *cap = c;
    return 0;
}

#endif
