#include "common/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
sp_error_set(struct sp_error *err, uint16_t code, const char *sqlstate, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL) {
        return;
    }

    err->code = code;
    snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", sqlstate);

    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

void
sp_error_clear(struct sp_error *err)
{
    if (err == NULL) {
        return;
    }
    memset(err, 0, sizeof(*err));
}
