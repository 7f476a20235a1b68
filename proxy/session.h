/*
 * A client session: one client connection and its state machine.
 *
 *   GREETING --response--> [AUTH_SWITCH] --ok--> COMMAND <--> EXECUTING
 *        \                        \                  \            \
 *         `-----------------------`------------------`------------`--> CLOSING
 *
 * COMMAND waits for the next command packet; EXECUTING runs one command
 * over one or more legs (exec.h) and returns to COMMAND when the response
 * has been written. Between statements an autocommit session holds no
 * backend connection, except those it must keep: a backend with an open
 * transaction, or one carrying session state the proxy cannot move (held).
 */
#ifndef SP_PROXY_SESSION_H
#define SP_PROXY_SESSION_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/arena.h"
#include "common/buf.h"
#include "proxy/exec.h"
#include "proxy/pinstate.h"
#include "proxy/prepared.h"
#include "proxy/sysvars.h"

struct sp_worker;
struct sp_session_assign;
struct sp_backend;
struct sp_auth_user;

#define SP_SESSION_DB_MAX 256

/* Longest BEGIN / START TRANSACTION text the session replays on each shard it reaches. */
#define SP_SESSION_BEGIN_MAX 160

enum sp_session_state {
    SP_SESSION_GREETING,
    SP_SESSION_AUTH_SWITCH,
    SP_SESSION_COMMAND,
    SP_SESSION_EXECUTING,
    SP_SESSION_CLOSING
};

/* A backend connection that stays with the session between statements. */
struct sp_held_backend {
    struct sp_backend *backend;
    bool pinned;     /* carries untracked session state: never pooled again */
    struct sp_pin_state state; /* table locks, user locks and temporary tables it keeps */
    bool in_trans;   /* SERVER_STATUS_IN_TRANS after its last response */
    bool lost;       /* closed while a transaction was open on it */
    uint32_t cursors; /* open cursors of prepared statements on it */
    uint64_t wrote_ns; /* sp_clock_ns() when the session's last write on the shard ended, or 0 */
    bool uncommitted;  /* a write ran on the shard since the last COMMIT there */
};

struct sp_session {
    uv_tcp_t tcp;
    struct sp_worker *worker;
    struct sp_session *next;
    struct sp_session *prev;
    enum sp_session_state state;
    uint32_t connection_id;

    uint8_t scramble[20];
    uint32_t caps;               /* negotiated with the client */
    uint16_t collation;          /* normalized, see sp_collation_normalize */
    uint16_t login_collation;    /* from the handshake: COM_RESET_CONNECTION goes back to it */
    const struct sp_auth_user *user;
    char db[SP_SESSION_DB_MAX + 1];
    size_t dblen;
    bool multi_statements;       /* CLIENT_MULTI_STATEMENTS or COM_SET_OPTION */

    struct sp_buf in;            /* bytes from the client */
    struct sp_buf out;           /* bytes to the client, not yet handed to uv_write */
    struct sp_buf cmd;           /* a command joined from several physical packets */
    struct sp_buf pending;       /* bytes from the client while a command executes */
    uint8_t seq;                 /* next sequence id towards the client */
    size_t write_queue_bytes;    /* handed to uv_write, not yet written */
    bool write_paused;           /* backends stopped until the queue drains */
    uint64_t ncommands;          /* commands completed, so a callback can detect that its command ended */
    size_t cmd_wire_len;         /* bytes of the command being executed in `in` */
    bool reading;
    bool peer_closed;            /* the client left while a command executed */
    bool processing;             /* inside the input loop: no re-entry */
    bool close_after_flush;      /* close once the write queue is empty */
    bool autocommit;             /* as the backends last reported it */
    bool txn_open;               /* BEGIN ran: shards start the transaction when first reached */
    bool implicit_txn;           /* SET autocommit = 0: the proxy opens a transaction after each end */
    bool txn_active;             /* the open transaction began: BEGIN, or a statement ran in it */
    bool txn_read_only;          /* it began with START TRANSACTION READ ONLY */
    bool txn_wrote;              /* a statement other than a read ran in it: reads stay on primaries */
    uint64_t last_insert_id;     /* of the session's last statement that generated one */
    enum sp_followup followup;   /* the step that ends a write over several shards, if running */
    struct sp_reply deferred;    /* that write's reply, sent when the step ends */
    int8_t pending_autocommit;   /* 0 or 1: a SET of autocommit with other variables, or -1 */
    const char *plan_error;      /* why session_adjust_plan refused a statement (static) */
    bool sets_insert_id;         /* the running statement calls LAST_INSERT_ID(number) */
    uint64_t set_insert_id;      /* that number, the session's value once the statement succeeds */
    int64_t row_count;           /* ROW_COUNT(): affected rows of the last statement, -1 after rows */
    uint64_t found_rows;         /* FOUND_ROWS(): rows of the last result set */
    bool calc_found_rows;        /* the running statement is a SELECT SQL_CALC_FOUND_ROWS */
    uint64_t limit_offset;       /* the running SELECT's LIMIT offset, which FOUND_ROWS() counts */
    bool found_rows_on_shard;    /* FOUND_ROWS() runs on found_rows_shard, after SQL_CALC_FOUND_ROWS */
    uint32_t found_rows_shard;
    char txn_begin[SP_SESSION_BEGIN_MAX + 1]; /* the client's BEGIN text, replayed on each shard */
    size_t txn_begin_len;
    bool checking_login_db;      /* the login's database is being checked */
    bool no_backslash_escapes;   /* sql_mode has NO_BACKSLASH_ESCAPES, as the backends last reported */
    bool binary_result;          /* the next plan answers a COM_STMT_EXECUTE with converted rows */
    struct sp_prepared *exec_ps; /* the next plan runs this statement as it is */
    struct sp_stmt_param *exec_ps_params;
    uint8_t exec_ps_flags;       /* its COM_STMT_EXECUTE cursor flags */
    uint32_t exec_fetch_rows;    /* COM_STMT_FETCH: rows asked for */

    struct sp_sysvars vars;      /* session variables set by tracked SET statements */
    char **savepoints;           /* the open transaction's savepoints, oldest first, as written */
    size_t nsavepoints;
    size_t savepoints_cap;
    int pending_savepoint;       /* enum sp_savepoint_kind of the statement being run */
    struct sp_str pending_savepoint_name;
    const struct sp_session_assign *pending_vars; /* the SET being run, applied when it succeeds */
    size_t npending_vars;

    struct sp_prepared_set prepared;
    struct sp_sql_state sql_state; /* PREPARE ... FROM statements and known user variables */
    struct sp_buf scratch;       /* per-packet work space (binary rows) */

    struct sp_held_backend *held; /* one per shard */
    struct sp_arena arena;       /* per statement */
    struct sp_exec exec;         /* the command being executed */
};

/* Accepts a connection from W's listener and sends the greeting. */
void sp_session_accept(struct sp_worker *w);

/* Closes the session: held backends are closed, legs abandoned. */
void sp_session_close(struct sp_session *s, const char *reason);

/* Hands S->out to uv_write. Returns SP_OK, or an error after which S is closing. */
int sp_session_flush(struct sp_session *s);

/* Appends a complete packet with the next sequence id to S->out. */
int sp_session_append_packet(struct sp_session *s, const uint8_t *payload, size_t len) SP_WARN_UNUSED;

/* Appends an ERR packet built from ERR. */
int sp_session_append_err(struct sp_session *s, const struct sp_error *err) SP_WARN_UNUSED;

/* Appends an OK packet with the session's status flags and INFO text (may be empty). */
int sp_session_append_ok(struct sp_session *s, uint64_t affected_rows, uint64_t last_insert_id,
                         uint16_t warnings, struct sp_str info) SP_WARN_UNUSED;

/* Status flags the client should see now (autocommit, in transaction). */
uint16_t sp_session_status(const struct sp_session *s);

/*
 * A backend the session held between statements was closed (the server
 * went away, or the session is closing). A transaction open on it is lost:
 * the next statement reports that instead of running without it.
 */
void sp_session_on_held_backend_closed(struct sp_session *s, struct sp_backend *be,
                                       const char *reason);

/* Called by exec.c once the whole response to a command is in S->out. */
void sp_session_command_done(struct sp_session *s);

/*
 * Closes the open cursor of STMT on its shard's held connection (the
 * backend statement is closed, which ends the cursor) and releases the
 * connection when nothing else keeps it.
 */
void sp_session_close_cursor(struct sp_session *s, struct sp_prepared *stmt);

/* A savepoint statement succeeded on every shard of the transaction: update the list. */
void sp_session_savepoint_done(struct sp_session *s);

/*
 * Forgets the session's transaction: it ended on the shards, by an
 * implicit commit or a rollback. With autocommit off the next statement
 * opens the next one.
 */
void sp_session_end_transaction(struct sp_session *s);

/*
 * Takes autocommit mode ON for the session, as SET autocommit does: off
 * opens a transaction with the next statement, on ends the open one,
 * which the caller has committed on the shards.
 */
void sp_session_apply_autocommit(struct sp_session *s, bool on);

/* True when the client's write queue is above its high watermark. */
bool sp_session_write_blocked(const struct sp_session *s);

#endif
