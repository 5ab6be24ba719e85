/* The names and texts of the coverage moments (moments.h): one table, from the list. */
#include "moments.h"

#include <stddef.h>

static const char *const names[PIPE_MOMENTS] = {
#define PIPE_MOMENT_NAME(id, name, about) name,
    PIPE_MOMENT_LIST(PIPE_MOMENT_NAME)
#undef PIPE_MOMENT_NAME
};

static const char *const abouts[PIPE_MOMENTS] = {
#define PIPE_MOMENT_ABOUT(id, name, about) about,
    PIPE_MOMENT_LIST(PIPE_MOMENT_ABOUT)
#undef PIPE_MOMENT_ABOUT
};

const char *pipe_moment_name(unsigned m) {
    return m < PIPE_MOMENTS ? names[m] : NULL;
}

const char *pipe_moment_about(unsigned m) {
    return m < PIPE_MOMENTS ? abouts[m] : NULL;
}
