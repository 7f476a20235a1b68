/*
 * Status codes shared by every layer.
 *
 * Functions that can fail return int: SP_OK (0) on success or one of the
 * negative SP_E* values below. Lower layers (protocol/, router/, config/)
 * return these codes and, where a caller needs detail, fill a struct
 * sp_error (common/error.h); only proxy/ turns them into ERR packets or
 * log lines.
 */
#ifndef SP_COMMON_STATUS_H
#define SP_COMMON_STATUS_H

/* X(name, value, description) */
#define SP_STATUS_LIST(X)                                                    \
    X(SP_OK, 0, "success")                                                   \
    X(SP_EAGAIN, -1, "more input bytes are needed")                          \
    X(SP_EINVAL, -2, "invalid argument")                                     \
    X(SP_ENOMEM, -3, "out of memory")                                        \
    X(SP_EPROTO, -4, "malformed packet")                                     \
    X(SP_ETOOBIG, -5, "packet or value larger than the allowed maximum")     \
    X(SP_EUNSUPPORTED, -6, "not supported")                                  \
    X(SP_EPARSE, -7, "cannot parse statement")                               \
    X(SP_ENOTFOUND, -8, "not found")                                         \
    X(SP_ERANGE, -9, "value out of range")                                   \
    X(SP_EIO, -10, "input/output error")                                     \
    X(SP_EAUTH, -11, "authentication failed")                                \
    X(SP_ETIMEDOUT, -12, "timed out")

enum sp_status {
#define SP_STATUS_ENUM(name, value, text) name = value,
    SP_STATUS_LIST(SP_STATUS_ENUM)
#undef SP_STATUS_ENUM
};

/* Returns a static description of a status code, "unknown status" if none. */
const char *sp_status_str(int status);

#define SP_WARN_UNUSED __attribute__((warn_unused_result))

/*
 * Invariant check that stays on in release builds: a failure means memory
 * would be corrupted if execution went on, so the process aborts.
 */
#define SP_BUG_ON(cond)                                                      \
    do {                                                                     \
        if (__builtin_expect(!!(cond), 0)) {                                 \
            sp_bug(__FILE__, __LINE__, #cond);                               \
        }                                                                    \
    } while (0)

_Noreturn void sp_bug(const char *file, int line, const char *expr);

#endif
