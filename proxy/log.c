#include "proxy/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

atomic_int sp_log_level_current = SP_LOG_INFO;

static const char *const level_names[] = {"error", "warn", "info", "debug"};

void
sp_log_set_level(enum sp_log_level level)
{
    atomic_store(&sp_log_level_current, (int)level);
}

void
sp_log_write(enum sp_log_level level, const char *event, const char *fmt, ...)
{
    char line[2048];
    struct timespec now;
    struct tm tm;
    size_t n;
    int rc;
    va_list ap;

    clock_gettime(CLOCK_REALTIME, &now);
    gmtime_r(&now.tv_sec, &tm);

    rc = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s",
                  tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  now.tv_nsec / 1000000, level_names[level], event);
    n = rc < 0 ? 0 : (size_t)rc;

    if (fmt != NULL && fmt[0] != '\0' && n < sizeof(line) - 2) {
        line[n++] = ' ';
        va_start(ap, fmt);
        rc = vsnprintf(line + n, sizeof(line) - n, fmt, ap);
        va_end(ap);
        if (rc > 0) {
            n += (size_t)rc;
        }
    }
    if (n > sizeof(line) - 2) {
        n = sizeof(line) - 2; /* truncated: keep the newline */
    }
    line[n++] = '\n';

    /* One write() per line; a short write to stderr is not worth retrying. */
    if (write(STDERR_FILENO, line, n) < 0) {
        return;
    }
}
