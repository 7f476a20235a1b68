/*
 * Logging: one line per event on stderr, "ts=... level=... event=..."
 * followed by key=value fields, written with a single write() so lines
 * from several worker threads never interleave. The level is checked
 * before any formatting.
 */
#ifndef SP_PROXY_LOG_H
#define SP_PROXY_LOG_H

#include <stdatomic.h>

#include "config/config.h"

extern atomic_int sp_log_level_current;

void sp_log_set_level(enum sp_log_level level);

/* Writes one line. FMT holds the key=value fields after the event name. */
void sp_log_write(enum sp_log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define SP_LOG(level, event, ...)                                            \
    do {                                                                     \
        if ((int)(level) <= atomic_load_explicit(&sp_log_level_current,     \
                                                 memory_order_relaxed)) {    \
            sp_log_write((level), (event), __VA_ARGS__);                     \
        }                                                                    \
    } while (0)

#define sp_log_error(event, ...) SP_LOG(SP_LOG_ERROR, event, __VA_ARGS__)
#define sp_log_warn(event, ...) SP_LOG(SP_LOG_WARN, event, __VA_ARGS__)
#define sp_log_info(event, ...) SP_LOG(SP_LOG_INFO, event, __VA_ARGS__)
#define sp_log_debug(event, ...) SP_LOG(SP_LOG_DEBUG, event, __VA_ARGS__)

#endif
