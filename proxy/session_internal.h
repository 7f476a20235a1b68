/*
 * Declarations shared by the files of the client session (session.c, the
 * connection and command phase; session_stmt.c, prepared statements). Not
 * for use outside them.
 */
#ifndef SP_PROXY_SESSION_INTERNAL_H
#define SP_PROXY_SESSION_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/str.h"
#include "proxy/prepared.h"
#include "router/router.h"

struct sp_session;

/* session.c */

/* Sends an ERR with CODE, SQLSTATE and MESSAGE and ends the command. */
void session_reply_error(struct sp_session *s, uint16_t code, const char *sqlstate,
                         const char *message);

/* Routes SQL into PLAN; on false the client already got its ERR. */
bool session_route(struct sp_session *s, const uint8_t *sql, size_t len, struct sp_plan *plan);

/* Runs COMMAND with ARG on SHARD alone (COM_INIT_DB, COM_FIELD_LIST, ...). */
void session_run_on_shard(struct sp_session *s, uint8_t command, uint32_t shard, struct sp_str arg,
                          enum sp_stmt_kind stmt);

/* session_stmt.c */

/* COM_STMT_EXECUTE. */
void session_on_execute(struct sp_session *s, const uint8_t *payload, size_t len);

/* COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA, COM_STMT_RESET and COM_STMT_FETCH. */
void session_on_stmt_command(struct sp_session *s, const uint8_t *payload, size_t len);

/*
 * SQL PREPARE, EXECUTE and DEALLOCATE PREPARE, run by the session itself.
 * Returns false for any other statement, which the caller routes.
 */
bool session_sql_prepared(struct sp_session *s, struct sp_str sql);

/* Records the user variables that SQL sets; SP_OK or SP_ENOMEM. */
int session_track_user_vars(struct sp_session *s, struct sp_str sql);

/* A closed statement no longer needs its text prepared on backend connections (CTX: the pool). */
void session_release_stmt(const struct sp_prepared *stmt, void *ctx);

#endif
