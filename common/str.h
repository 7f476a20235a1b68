/*
 * Length-delimited byte views. Protocol data is never NUL-terminated, so
 * every layer passes {ptr, len} pairs that borrow the caller's memory.
 */
#ifndef SP_COMMON_STR_H
#define SP_COMMON_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct sp_str {
    const char *ptr;
    size_t len;
};

#define SP_STR_LIT(s) ((struct sp_str){(s), sizeof(s) - 1})
#define SP_STR_NULL ((struct sp_str){NULL, 0})

static inline struct sp_str
sp_str_make(const char *ptr, size_t len)
{
    return (struct sp_str){ptr, len};
}

static inline struct sp_str
sp_str_cstr(const char *s)
{
    return (struct sp_str){s, s == NULL ? 0 : strlen(s)};
}

static inline bool
sp_str_eq(struct sp_str a, struct sp_str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

/* ASCII case-insensitive comparison, as MySQL compares keywords. */
bool sp_str_eq_nocase(struct sp_str a, struct sp_str b);

#endif
