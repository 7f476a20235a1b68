/*
 * Execution of one client command over one or more backend legs.
 *
 * A leg is the part of a command that runs on one shard: borrow a backend
 * (or use the one the session holds), bring it to the session's state
 * (database, character set, open transaction) with preliminary commands,
 * send the statement and consume the response. What happens to the
 * response depends on the plan:
 *
 *   SINGLE        packets stream to the client as they arrive, with
 *                 sequence ids rewritten and EOF/OK translated to what the
 *                 client negotiated;
 *   SCATTER_ROWS  legs stream in shard order: the first leg's column
 *                 definitions, every leg's rows, one terminator;
 *   SCATTER_OK,   nothing streams; OK packets are merged (affected rows
 *   BROADCAST     summed) or the errors are reported with the shards named.
 */
#ifndef SP_PROXY_EXEC_H
#define SP_PROXY_EXEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/str.h"
#include "protocol/response.h"
#include "proxy/pool.h"
#include "router/router.h"

struct sp_session;
struct sp_backend;
struct sp_prepared;
struct sp_stmt_param;

enum sp_leg_state {
    SP_LEG_WAITING,   /* waiting for a pooled backend */
    SP_LEG_PRESTEP,   /* a preliminary command is in flight */
    SP_LEG_RUNNING,   /* the statement is in flight */
    SP_LEG_DONE
};

/* Longest OK info text kept per leg ("Rows matched: 1  Changed: 1  Warnings: 0"). */
#define SP_LEG_INFO_MAX 128

/* Preliminary commands, run in this order when needed. */
#define SP_PRESTEP_INIT_DB 0x01
#define SP_PRESTEP_SET_NAMES 0x02
#define SP_PRESTEP_BEGIN 0x04
#define SP_PRESTEP_PREPARE 0x08   /* COM_STMT_EXECUTE: the statement is not prepared on the backend */
#define SP_PRESTEP_SET_VARS 0x10  /* the session's variables differ from the backend's */
#define SP_PRESTEP_SAVEPOINTS 0x20 /* after BEGIN: the transaction's savepoints, one by one */
#define SP_PRESTEP_COMMIT 0x40    /* first of all: the statement ends the open transaction */
#define SP_PRESTEP_STMT_SAVEPOINT 0x80 /* last: a savepoint that undoes the statement (atomic) */

/* The savepoint that lets the proxy undo a write that failed on some shards. */
#define SP_STMT_SAVEPOINT "shardproxy_statement"

/*
 * What follows a write over several shards (see exec_atomic.c): the
 * command that makes it all or nothing, before the client gets its reply.
 */
enum sp_followup {
    SP_FOLLOWUP_NONE,
    SP_FOLLOWUP_COMMIT,    /* autocommit: it succeeded everywhere, commit on every shard */
    SP_FOLLOWUP_ROLLBACK,  /* autocommit: it failed somewhere, roll back on every shard */
    SP_FOLLOWUP_UNDO,      /* in a transaction: roll back to the savepoint where it succeeded */
    SP_FOLLOWUP_ROLLBACK_KEPT /* after a deadlock: roll back the held connections that keep state */
};

/* The OK or ERR a merged plan returns, worked out before it is sent. */
struct sp_reply {
    bool is_err;
    bool partial;                /* is_err: the statement succeeded on some shards */
    struct sp_error err;         /* what the client gets when is_err */
    struct sp_error first_err;   /* the first failed shard's own error */
    uint64_t affected_rows;
    uint64_t insert_id;
    uint16_t warnings;
    char info[SP_LEG_INFO_MAX];
};

struct sp_leg {
    struct sp_session *session;
    uint32_t shard;
    uint32_t node;               /* the server it runs on (topology index) */
    bool on_replica;
    uint32_t index;              /* position in exec->legs */
    enum sp_leg_state state;
    struct sp_backend *backend;
    bool from_held;              /* the backend was held by the session */
    struct sp_pool_waiter waiter;

    uint8_t command;             /* COM_QUERY, COM_INIT_DB, COM_FIELD_LIST, ... */
    struct sp_str arg;           /* command argument (SQL text, db name, ...) */
    uint8_t presteps;            /* SP_PRESTEP_* still to run */
    struct sp_str vars_sql;      /* SP_PRESTEP_SET_VARS: the SET SESSION to send (arena) */
    size_t savepoint_next;       /* SP_PRESTEP_SAVEPOINTS: the next savepoint to set */
    uint8_t prestep_running;     /* SP_PRESTEP_* in flight, 0 if none */
    struct sp_response_tracker tracker;

    bool got_bytes;              /* a response byte to the statement arrived */
    bool statement_sent;         /* the statement itself went out, not only presteps */
    bool forward_header;         /* this leg streams the column definitions */
    bool was_in_trans;           /* its held backend had a transaction open */
    bool commit_only;            /* sends COMMIT for an implicit commit elsewhere */
    bool retried;
    size_t stream_left;          /* payload bytes of the current packet still to pass */
    bool stream_forward;         /* whether they go to the client */

    /* Outcome, for merging. */
    bool failed;
    struct sp_error error;
    bool got_result_set;
    uint64_t affected_rows;
    uint64_t last_insert_id;
    uint16_t warnings;
    uint16_t status;
    char info[SP_LEG_INFO_MAX];  /* the OK packet's info text, NUL-terminated */

    /* SP_PLAN_SCATTER_MERGE: this leg's column definitions (in the session arena). */
    struct sp_column_def *defs;
    struct sp_str *def_payloads;
    size_t ncolumns;
    size_t ndefs;
    bool processing;             /* inside exec_leg_process: no re-entry */

    /* COM_STMT_PREPARE and COM_STMT_EXECUTE: the statement's id on the backend. */
    uint32_t backend_stmt;
    bool has_backend_stmt;
};

struct sp_exec {
    enum sp_plan_kind kind;
    enum sp_stmt_kind stmt;
    struct sp_leg *legs;         /* in the session arena */
    size_t nlegs;
    size_t ndone;
    size_t active;               /* the leg allowed to write to the client */
    bool starting;               /* inside sp_exec_start: defer completion */
    bool in_trans;               /* the session had a transaction open */
    struct sp_pin_effect pin;    /* state the statement creates or releases */
    bool commit_first;           /* held connections in a transaction commit before the statement */
    size_t first_row_leg;        /* the leg whose insert id the client gets first */
    bool atomic;                 /* a write over several shards, made all or nothing */
    bool header_sent;            /* a leg took the column definitions */
    bool sent_anything;          /* some response packet reached the client */
    bool terminated;             /* a scatter result set got its final packet */
    uint64_t merged_rows;        /* rows a merge sent to the client */
    uint64_t merged_skipped;     /* rows a merge skipped for the LIMIT offset */
    bool failed;                 /* some leg failed (set when the command completes) */

    /* SP_PLAN_SCATTER_MERGE */
    const struct sp_merge_spec *merge_spec;
    struct sp_merger *merger;    /* created when the first leg's definitions are complete */
    struct sp_buf merge_row;     /* one output row being built */
    uint16_t merge_status;       /* status flags of the last rows-end packet */
    bool client_failed;          /* an ERR reached the client; drain the rest */
    bool broken;                 /* the client stream cannot continue: close */
    bool pins;                   /* keep every leg's backend with the session */
    bool same_rows;              /* every leg changed the same rows: report one leg's counts */
    bool retryable;              /* safe to run again on a new connection */
    bool replica_allowed;        /* a read that may run on a replica */
    bool replica_hinted;         /* a hint comment asked for a replica */
    bool writes;                 /* may change data: later reads must see it */
    bool commits;                /* COMMIT: the writes before it become visible */
    struct sp_str use_db;        /* database to adopt when the command succeeds */
    uint16_t warnings;           /* summed over legs */

    /*
     * A COM_STMT_EXECUTE that runs as a text statement: the client gets
     * binary rows, built from the text rows with these definitions.
     */
    bool binary;

    /* A tracked SET: its assignments, applied to the session and the backend when it succeeds. */
    const struct sp_session_assign *set_vars;
    size_t nset_vars;

    /* COM_STMT_EXECUTE on one shard: the statement and its parameters, sent as they are. */
    struct sp_prepared *ps;
    struct sp_stmt_param *ps_params;
    uint8_t ps_flags;            /* cursor flags of the execute */
    uint32_t fetch_rows;         /* COM_STMT_FETCH: rows asked for */

    const struct sp_column_def *bin_defs;
    struct sp_column_def *bin_own_defs; /* streamed plans: parsed as they pass (arena) */
    size_t bin_ncols;
    size_t bin_ndefs;
};

/*
 * Starts executing PLAN (allocated in the session arena) for command
 * COMMAND. Replies go to the client through the session. When the command
 * is complete, sp_session_command_done runs, possibly before this returns.
 */
void sp_exec_start(struct sp_session *s, const struct sp_plan *plan, uint8_t command);

/* Backend events, delivered by backend.c to the leg that borrowed it. */
void sp_exec_on_backend_data(struct sp_leg *leg);
void sp_exec_on_backend_error(struct sp_leg *leg, const char *reason);

/* The client drained its write queue below the low watermark. */
void sp_exec_on_client_writable(struct sp_session *s);

/* Abandons every leg (session closing): backends in use are closed. */
void sp_exec_abort(struct sp_session *s);

#endif
