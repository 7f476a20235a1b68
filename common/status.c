#include "common/status.h"

#include <stdio.h>
#include <stdlib.h>

const char *
sp_status_str(int status)
{
    switch (status) {
#define SP_STATUS_CASE(name, value, text)                                    \
    case value:                                                              \
        return text;
        SP_STATUS_LIST(SP_STATUS_CASE)
#undef SP_STATUS_CASE
    default:
        return "unknown status";
    }
}

void
sp_bug(const char *file, int line, const char *expr)
{
    fprintf(stderr, "level=fatal event=bug file=%s line=%d check=\"%s\"\n", file, line, expr);
    abort();
}
