/*
 * Error detail that a lower layer hands up to proxy/.
 *
 * The code and SQLSTATE are MySQL's own, so that proxy/ can send them to a
 * client unchanged in an ERR_Packet. Never use codes 5001-5049: libmariadb
 * rewrites those to 2027 "malformed packet".
 */
#ifndef SP_COMMON_ERROR_H
#define SP_COMMON_ERROR_H

#include <stdint.h>

/* MySQL server error codes and SQLSTATEs that shardproxy generates. */
#define SP_ER_CON_COUNT_ERROR 1040          /* 08004 Too many connections */
#define SP_ER_HANDSHAKE_ERROR 1043          /* 08S01 Bad handshake */
#define SP_ER_DBACCESS_DENIED_ERROR 1044    /* 42000 */
#define SP_ER_ACCESS_DENIED_ERROR 1045      /* 28000 */
#define SP_ER_UNKNOWN_COM_ERROR 1047        /* 08S01 */
#define SP_ER_BAD_DB_ERROR 1049             /* 42000 */
#define SP_ER_PARSE_ERROR 1064              /* 42000 */
#define SP_ER_UNKNOWN_ERROR 1105            /* HY000 */
#define SP_ER_NET_PACKET_TOO_LARGE 1153     /* 08S01 */
#define SP_ER_NET_READ_ERROR 1158           /* 08S01 */
#define SP_ER_WRONG_ARGUMENTS 1210          /* HY000 */
#define SP_ER_NOT_SUPPORTED_YET 1235        /* 42000 */
#define SP_ER_UNKNOWN_STMT_HANDLER 1243     /* HY000 */
#define SP_ER_UNSUPPORTED_PS 1295           /* HY000 */
#define SP_ER_STMT_HAS_NO_OPEN_CURSOR 1421  /* HY000 */
#define SP_ER_MAX_PREPARED_STMT_COUNT_REACHED 1461 /* 42000 */
#define SP_ER_DATA_OUT_OF_RANGE 1690        /* 22003 */
#define SP_ER_MALFORMED_PACKET 1835         /* HY000 */

#define SP_ERROR_MESSAGE_MAX 512

struct sp_error {
    uint16_t code;                      /* MySQL error number, 0 when unset */
    char sqlstate[6];                   /* five characters and a NUL */
    char message[SP_ERROR_MESSAGE_MAX]; /* NUL-terminated, truncated to fit */
};

/* Fills ERR with CODE, SQLSTATE and a printf-style message. ERR may be NULL. */
void sp_error_set(struct sp_error *err, uint16_t code, const char *sqlstate,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Clears ERR to "no error". */
void sp_error_clear(struct sp_error *err);

#endif
