/*
 * Statement routing: from SQL text to the shards that must run it.
 *
 * A struct sp_router is built once from a config snapshot and is then
 * read-only, so every worker thread may call sp_router_plan on the same
 * router without locks. Planning is a pure function of the SQL text: it
 * never sees sockets, never blocks and keeps no state between calls.
 */
#ifndef SP_ROUTER_ROUTER_H
#define SP_ROUTER_ROUTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/error.h"
#include "common/status.h"
#include "common/str.h"
#include "config/config.h"
#include "router/lexer.h"
#include "router/merge.h"

struct sp_router;

/* Kind of statement of the text, after comments are skipped. */
enum sp_stmt_kind {
    SP_STMT_EMPTY,     /* only whitespace and comments */
    SP_STMT_SELECT,    /* also WITH ... SELECT and parenthesized SELECT */
    SP_STMT_INSERT,
    SP_STMT_REPLACE,
    SP_STMT_UPDATE,
    SP_STMT_DELETE,
    SP_STMT_DDL_TABLE, /* CREATE/ALTER/DROP/TRUNCATE/RENAME TABLE, CREATE/DROP INDEX */
    SP_STMT_DDL_DATABASE, /* CREATE/DROP DATABASE or SCHEMA */
    SP_STMT_USE,
    SP_STMT_SET,
    SP_STMT_SHOW,
    SP_STMT_BEGIN,     /* BEGIN [WORK], START TRANSACTION ... */
    SP_STMT_COMMIT,
    SP_STMT_ROLLBACK,  /* ROLLBACK without TO SAVEPOINT */
    SP_STMT_OTHER      /* anything else, including what the lexer cannot parse */
};

enum sp_plan_kind {
    SP_PLAN_SINGLE,        /* one target; its response is streamed as is */
    SP_PLAN_SCATTER_ROWS,  /* one result set: the targets' rows concatenated */
    SP_PLAN_SCATTER_OK,    /* writes: one OK with affected rows summed */
    SP_PLAN_BROADCAST,     /* DDL, reference table writes: OK only if every target succeeds */
    SP_PLAN_SCATTER_MERGE, /* SELECT whose shard results are merged as plan->merge describes */
    SP_PLAN_REJECT         /* not routable: send plan->error to the client */
};

struct sp_plan_target {
    uint32_t shard;     /* index into config shards */
    struct sp_str sql;  /* text to send: the original or a rewrite in the arena */
};

#define SP_PIN_TEMP_MAX 8

/*
 * Session state that a statement creates or releases on the backend
 * connections it runs on, and that the session follows per connection:
 * the connection stays with the session while any of it is left, and
 * the session lets it go once all is released. Only a statement alone in
 * its text has an effect; in a multi-statement text the same calls pin
 * the session for good.
 */
struct sp_pin_effect {
    bool lock_tables;              /* LOCK TABLES */
    bool unlock_tables;            /* UNLOCK TABLES */
    uint32_t user_locks_get;       /* GET_LOCK() calls */
    uint32_t user_locks_release;   /* RELEASE_LOCK() calls */
    bool user_locks_release_all;   /* RELEASE_ALL_LOCKS() */
    bool temp_create;              /* CREATE TEMPORARY TABLE temp_name[0] */
    bool temp_drop;                /* DROP [TEMPORARY] TABLE of every temp_name */
    size_t ntemp;
    struct sp_str temp_db[SP_PIN_TEMP_MAX];   /* unquoted; empty for the session's database */
    struct sp_str temp_name[SP_PIN_TEMP_MAX]; /* unquoted */
};

struct sp_plan {
    enum sp_plan_kind kind;
    enum sp_stmt_kind stmt;
    struct sp_plan_target *targets; /* in the arena, ordered by shard index */
    size_t ntargets;

    /* USE db: the database name, unquoted (in the arena). Empty otherwise. */
    struct sp_str use_db;

    /*
     * The statement creates session state that the proxy cannot carry to
     * another backend connection (SET, user variables, temporary tables,
     * LOCK TABLES, GET_LOCK, SQL PREPARE, ...): the session must keep the
     * backend connection it runs on.
     */
    bool pins_session;

    /* The text contains more than one statement (CLIENT_MULTI_STATEMENTS). */
    bool multi_statement;

    /* A statement commits the open transaction first, as DDL does on a server. */
    bool implicit_commit;

    /*
     * Set by the session: the statement does not commit by itself, so its
     * targets with an open transaction get a COMMIT right before it.
     */
    bool commit_first;

    /* State a lone statement creates or releases, which pins_session leaves out. */
    struct sp_pin_effect pin;

    /*
     * The last ncommit_only targets only send COMMIT: the session adds them
     * to end its transaction on shards an implicit commit does not reach.
     * The router leaves it 0.
     */
    size_t ncommit_only;

    struct sp_error error; /* set when kind is SP_PLAN_REJECT */

    /*
     * SP_PLAN_BROADCAST to copies of the same data (writes to reference
     * tables, database DDL): every target reports the same affected rows
     * and insert id, so the client gets the first target's counts instead
     * of their sum.
     */
    bool broadcast_same_rows;

    /*
     * The target whose insert id the client gets: for a split INSERT the
     * one with the statement's first row, whose id a server would report.
     */
    size_t first_row_target;

    /* SP_PLAN_SCATTER_MERGE: how to merge (in the arena); targets carry the rewritten SQL. */
    const struct sp_merge_spec *merge;

    /*
     * A lone SELECT that reads only: no locking clause, no function with
     * side effects, no user variable, no INTO. Outside a transaction it
     * may run on a replica.
     */
    bool read_only;
    enum sp_route_hint hint;     /* a routing hint comment in the text */
};

/*
 * Builds a router for CFG, which must outlive it. Returns SP_OK, SP_ENOMEM,
 * or SP_EINVAL with ERR filled when the config cannot be routed.
 */
int sp_router_create(const struct sp_config *cfg, struct sp_router **out, struct sp_error *err) SP_WARN_UNUSED;
void sp_router_destroy(struct sp_router *router);

/*
 * Plans SQL (LEN bytes, not NUL-terminated). Rewrites and the target array
 * are allocated in ARENA, which the caller resets after the statement.
 * Returns SP_OK with OUT filled (a routing failure is SP_OK with kind
 * SP_PLAN_REJECT and out->error set), or SP_ENOMEM.
 */
int sp_router_plan(const struct sp_router *router, const char *sql, size_t len,
                   struct sp_arena *arena, struct sp_plan *out) SP_WARN_UNUSED;

/*
 * The shard that a COM_FIELD_LIST for TABLE goes to: the default shard for
 * unsharded and reference tables, the first shard for sharded ones (every
 * shard has the same definition).
 */
uint32_t sp_router_shard_for_table(const struct sp_router *router, struct sp_str table);

#endif
