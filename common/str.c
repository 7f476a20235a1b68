#include "common/str.h"

static inline char
ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

bool
sp_str_eq_nocase(struct sp_str a, struct sp_str b)
{
    size_t i;

    if (a.len != b.len) {
        return false;
    }
    for (i = 0; i < a.len; i++) {
        if (ascii_lower(a.ptr[i]) != ascii_lower(b.ptr[i])) {
            return false;
        }
    }
    return true;
}
