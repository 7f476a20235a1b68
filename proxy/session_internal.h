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

/* Capabilities offered to clients: no TLS, compression or LOCAL INFILE yet. */
#define SERVER_CAPS                                                          \
    (SP_CLIENT_LONG_PASSWORD | SP_CLIENT_FOUND_ROWS | SP_CLIENT_LONG_FLAG |  \
     SP_CLIENT_CONNECT_WITH_DB | SP_CLIENT_PROTOCOL_41 |                     \
     SP_CLIENT_INTERACTIVE | SP_CLIENT_TRANSACTIONS |                        \
     SP_CLIENT_SECURE_CONNECTION | SP_CLIENT_MULTI_STATEMENTS |              \
     SP_CLIENT_MULTI_RESULTS | SP_CLIENT_PS_MULTI_RESULTS |                  \
     SP_CLIENT_PLUGIN_AUTH | SP_CLIENT_CONNECT_ATTRS |                       \
     SP_CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | SP_CLIENT_DEPRECATE_EOF)

/* Session life cycle (session.c). */

/* Sends ERR CODE, then closes the connection once it is written. */
void session_reject(struct sp_session *s, uint16_t code, const char *sqlstate, const char *message);

/* Writes the client's address, or "unknown", into HOST. */
void session_peer_host(const struct sp_session *s, char *host, size_t len);

/* Closes the held connections, which rolls back their transactions, and clears the session's state. */
void session_reset(struct sp_session *s);

/* Authentication (session_auth.c). */

/* The client's HandshakeResponse41. */
void session_on_handshake_response(struct sp_session *s, const uint8_t *payload, size_t len);

/* The client's reply to the switch to mysql_native_password. */
void session_on_auth_switch_response(struct sp_session *s, const uint8_t *payload, size_t len);

/* COM_CHANGE_USER. */
void session_on_change_user(struct sp_session *s, const uint8_t *payload, size_t len);

/* Transactions and session state (session_txn.c). */

/*
 * Applies the session policy to a routed plan (BEGIN, COMMIT, savepoints,
 * SET, autocommit). Sets *REPLY_OK when the proxy replies itself. Returns
 * SP_OK, SP_ENOTFOUND for an unknown savepoint, SP_EUNSUPPORTED with
 * s->plan_error set, or SP_ENOMEM.
 */
int session_adjust_plan(struct sp_session *s, struct sp_plan *plan, struct sp_str sql,
                        bool *reply_ok);

/* Keeps the first KEEP savepoints of the session. */
void session_savepoints_truncate(struct sp_session *s, size_t keep);

/* Reports a transaction lost with its backend; returns true if one was. */
bool session_report_lost_transaction(struct sp_session *s);

/* transaction_mode "single": replies the ERR and returns false when PLAN would reach a second shard. */
bool session_transaction_allowed(struct sp_session *s, const struct sp_plan *plan);

/* Adds COMMIT targets for an implicit commit; replies the ERR and returns false when it cannot. */
bool session_commit_before(struct sp_session *s, struct sp_plan *plan);

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
