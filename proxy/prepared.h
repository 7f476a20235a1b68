/*
 * The prepared statements of one client session.
 *
 * The proxy gives each statement its own id and keeps what an execute
 * needs: the statement text, its parameter and column counts, the
 * parameter types bound by the first execute (later executes may omit
 * them) and the long data collected for each parameter. No backend
 * statement id lives here: backend connections are shared, so a statement
 * is prepared on whichever connection runs it.
 */
#ifndef SP_PROXY_PREPARED_H
#define SP_PROXY_PREPARED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/arena.h"
#include "common/buf.h"
#include "common/status.h"
#include "common/str.h"
#include "protocol/stmt.h"

/* Statements one session may hold, as the server's max_prepared_stmt_count default. */
#define SP_PREPARED_MAX 16382

#define SP_PREPARED_BUCKETS 64

struct sp_prepared {
    struct sp_prepared *next;    /* bucket chain */
    uint32_t id;
    uint16_t nparams;
    uint16_t ncolumns;
    bool have_types;             /* an execute has bound the types */
    uint16_t *types;             /* NPARAMS type words, SP_STMT_PARAM_UNSIGNED set for unsigned */
    bool *has_long_data;         /* NPARAMS flags: long data arrived since the last execute */
    struct sp_buf *long_data;    /* NPARAMS buffers, allocated at the first long data */
    int32_t cursor_shard;        /* the shard whose held connection has this statement's open cursor, or -1 */
    uint32_t cursor_backend_stmt; /* that connection's statement id */
    struct sp_str sql;           /* the statement text, owned */
    struct sp_str named_sql;     /* sql with its marker columns named (owned), once computed */
    bool named;                  /* named_sql is set */
};

struct sp_prepared_set {
    struct sp_prepared *buckets[SP_PREPARED_BUCKETS];
    size_t count;
    uint32_t next_id;
    uint32_t last_id;            /* the most recent statement, for id 0xFFFFFFFF */
};

void sp_prepared_set_init(struct sp_prepared_set *set);

/*
 * Frees every statement (COM_RESET_CONNECTION, session end), calling
 * ON_STMT (when not NULL) with CTX for each one first.
 */
void sp_prepared_set_clear(struct sp_prepared_set *set,
                           void (*on_stmt)(const struct sp_prepared *stmt, void *ctx), void *ctx);

/*
 * Adds a statement for SQL with NPARAMS parameters and NCOLUMNS columns.
 * Returns it, or NULL when out of memory or at SP_PREPARED_MAX statements
 * (*FULL set then).
 */
struct sp_prepared *sp_prepared_add(struct sp_prepared_set *set, struct sp_str sql,
                                    uint16_t nparams, uint16_t ncolumns, bool *full);

/* Finds statement ID (0xFFFFFFFF: the most recent one), or NULL. */
struct sp_prepared *sp_prepared_find(struct sp_prepared_set *set, uint32_t id);

void sp_prepared_remove(struct sp_prepared_set *set, uint32_t id);

/*
 * Appends DATA to parameter PARAM's long data. Returns SP_OK, SP_EINVAL
 * for a parameter the statement lacks, or SP_ENOMEM.
 */
int sp_prepared_append_long_data(struct sp_prepared *stmt, uint16_t param,
                                 struct sp_str data) SP_WARN_UNUSED;

/* Drops the collected long data (after an execute, or COM_STMT_RESET). */
void sp_prepared_reset_long_data(struct sp_prepared *stmt);

/* A statement of SQL-level PREPARE name FROM 'text'. */
struct sp_sql_stmt {
    struct sp_sql_stmt *next;
    struct sp_str name;          /* owned; compared without regard to case */
    struct sp_str text;          /* owned */
    size_t nparams;
};

/*
 * A user variable's value as the proxy knows it from SET @name = literal.
 * An unknown value (set by an expression, SELECT ... INTO or :=) has an
 * empty literal.
 */
struct sp_user_var {
    struct sp_user_var *next;
    struct sp_str name;          /* owned; compared without regard to case */
    struct sp_str literal;       /* owned, in SQL form: 'x', -5, NULL */
};

/* SQL-level statements and user variables of a session. */
struct sp_sql_state {
    struct sp_sql_stmt *stmts;
    size_t nstmts;
    struct sp_user_var *vars;
    size_t nvars;
};

void sp_sql_state_clear(struct sp_sql_state *st);

/* Adds or replaces statement NAME. Returns SP_OK, SP_ENOMEM, or SP_ERANGE at SP_PREPARED_MAX. */
int sp_sql_state_prepare(struct sp_sql_state *st, struct sp_str name, struct sp_str text,
                         size_t nparams) SP_WARN_UNUSED;

const struct sp_sql_stmt *sp_sql_state_find(const struct sp_sql_state *st, struct sp_str name);

/* Removes statement NAME; false when there is none. */
bool sp_sql_state_deallocate(struct sp_sql_state *st, struct sp_str name);

/* Records variable NAME's value LITERAL (empty: unknown). Returns SP_OK or SP_ENOMEM. */
int sp_sql_state_set_var(struct sp_sql_state *st, struct sp_str name,
                         struct sp_str literal) SP_WARN_UNUSED;

/*
 * Finds variable NAME: SP_OK with *LITERAL set, SP_ENOTFOUND when it was
 * never set (its value is NULL), SP_EINVAL when its value is unknown.
 */
int sp_sql_state_get_var(const struct sp_sql_state *st, struct sp_str name,
                         struct sp_str *literal) SP_WARN_UNUSED;

/* Keeps TEXT as STMT's named_sql (see sp_sqlps_name_marker_columns). SP_OK or SP_ENOMEM. */
int sp_prepared_set_named(struct sp_prepared *stmt, struct sp_str text) SP_WARN_UNUSED;

/*
 * Writes STMT's named_sql with each parameter marker replaced by the literal of
 * PARAMS (stmt->nparams, long data taken from the statement) into ARENA,
 * for a connection with collation COLLATION and SP_STMT_SQL_* FLAGS.
 * Returns SP_OK with *OUT set, SP_EINVAL for a value without a literal or
 * a text whose markers do not match the parameter count, or SP_ENOMEM.
 */
int sp_prepared_expand(const struct sp_prepared *stmt, struct sp_stmt_param *params,
                       uint16_t collation, unsigned flags, struct sp_arena *arena,
                       struct sp_str *out) SP_WARN_UNUSED;

#endif
