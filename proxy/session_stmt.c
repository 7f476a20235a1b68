/*
 * Prepared statements in a client session (session.c handles the rest of
 * the command phase): COM_STMT_EXECUTE and the other COM_STMT_* commands,
 * cursors on a shard's held connection, and SQL-level PREPARE, EXECUTE
 * and DEALLOCATE with the user variables they use.
 */
#include <stdio.h>
#include <string.h>

#include "protocol/command.h"
#include "protocol/handshake.h"
#include "protocol/stmt.h"
#include "proxy/backend.h"
#include "proxy/pool.h"
#include "proxy/session.h"
#include "proxy/session_internal.h"
#include "proxy/worker.h"
#include "router/sqlprepare.h"

static bool
session_stmt_has_id(const struct sp_backend_stmt *stmt, void *ctx)
{
    return stmt->id == *(const uint32_t *)ctx;
}

/* The statement no longer needs its text prepared on backend connections. */
void
session_release_stmt(const struct sp_prepared *stmt, void *ctx)
{
    sp_pool_stmt_released(ctx, stmt->sql);
}

/* Records the user variables that SQL sets, or forgets the values it sets in ways the proxy cannot follow. */
int
session_track_user_vars(struct sp_session *s, struct sp_str sql)
{
    struct sp_user_assign *assigns;
    struct sp_str *writes;
    size_t n, i;
    int rc;

    rc = sp_sqlps_user_assignments(sql, &s->arena, &assigns, &n);
    for (i = 0; rc == SP_OK && i < n; i++) {
        rc = sp_sql_state_set_var(&s->sql_state, assigns[i].name, assigns[i].literal);
    }
    if (rc == SP_OK) {
        rc = sp_sqlps_user_writes(sql, &s->arena, &writes, &n);
    }
    for (i = 0; rc == SP_OK && i < n; i++) {
        rc = sp_sql_state_set_var(&s->sql_state, writes[i], SP_STR_NULL);
    }
    return rc;
}

/* EXECUTE name [USING @a, ...]: the statement's text with the variables' values, routed. */
static void
session_sql_execute(struct sp_session *s, const struct sp_sqlps *ps)
{
    const struct sp_sql_stmt *stmt = sp_sql_state_find(&s->sql_state, ps->name);
    struct sp_str *literals = NULL, text;
    struct sp_plan plan;
    char message[200];
    int rc;

    if (stmt == NULL) {
        snprintf(message, sizeof(message), "Unknown prepared statement handler (%.*s) given to EXECUTE",
                 (int)(ps->name.len > 64 ? 64 : ps->name.len), ps->name.ptr);
        session_reply_error(s, SP_ER_UNKNOWN_STMT_HANDLER, "HY000", message);
        return;
    }
    if (ps->using_other) {
        session_reply_error(s, SP_ER_NOT_SUPPORTED_YET, "42000",
                            "EXECUTE ... USING with values other than user variables is not "
                            "supported by shardproxy yet: SET @v = value first");
        return;
    }
    if (ps->nvars != stmt->nparams) {
        session_reply_error(s, SP_ER_WRONG_ARGUMENTS, "HY000", "Incorrect arguments to EXECUTE");
        return;
    }
    if (ps->nvars > 0) {
        literals = sp_arena_alloc(&s->arena, ps->nvars * sizeof(*literals));
        if (literals == NULL) {
            session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
            return;
        }
    }
    for (size_t i = 0; i < ps->nvars; i++) {
        rc = sp_sql_state_get_var(&s->sql_state, ps->vars[i], &literals[i]);
        if (rc == SP_ENOTFOUND) {
            literals[i] = sp_str_cstr("NULL"); /* a variable never set is NULL */
        } else if (rc != SP_OK) {
            snprintf(message, sizeof(message),
                     "EXECUTE ... USING @%.*s: shardproxy knows the value of a user variable only "
                     "from SET @%.*s = <literal>",
                     (int)(ps->vars[i].len > 64 ? 64 : ps->vars[i].len), ps->vars[i].ptr,
                     (int)(ps->vars[i].len > 64 ? 64 : ps->vars[i].len), ps->vars[i].ptr);
            session_reply_error(s, SP_ER_NOT_SUPPORTED_YET, "42000", message);
            return;
        }
    }
    rc = sp_sqlps_substitute(stmt->text, literals, ps->nvars, &s->arena, &text);
    if (rc != SP_OK) {
        session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
        return;
    }
    if (session_route(s, (const uint8_t *)text.ptr, text.len, &plan)) {
        sp_exec_start(s, &plan, SP_COM_QUERY);
    }
}

/*
 * PREPARE, EXECUTE and DEALLOCATE PREPARE in SQL: the session keeps the
 * statements itself, so that an EXECUTE routes like the statement it
 * runs instead of pinning the session to one shard. Returns false for
 * any other statement, which the caller routes.
 */
bool
session_sql_prepared(struct sp_session *s, struct sp_str sql)
{
    struct sp_sqlps ps;
    char message[200];
    int rc;

    rc = sp_sqlps_parse(sql, &s->arena, &ps);
    if (rc == SP_EINVAL) {
        return false; /* malformed: the shard answers with its syntax error */
    }
    if (rc != SP_OK) {
        session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
        return true;
    }
    switch (ps.kind) {
    case SP_SQLPS_PREPARE:
        if (ps.from_variable) {
            session_reply_error(s, SP_ER_NOT_SUPPORTED_YET, "42000",
                                "PREPARE ... FROM @variable is not supported by shardproxy yet: "
                                "write the statement text in quotes");
            return true;
        }
        /*
         * NOTE: the text is checked when it runs, so a syntax error or an
         * unknown table shows at EXECUTE, where the server reports it at
         * PREPARE.
         */
        rc = sp_sql_state_prepare(&s->sql_state, ps.name, ps.text,
                                  sp_sqlps_count_markers(ps.text));
        if (rc == SP_ERANGE) {
            snprintf(message, sizeof(message),
                     "Can't create more than max_prepared_stmt_count statements (current value: "
                     "%d)",
                     SP_PREPARED_MAX);
            session_reply_error(s, SP_ER_MAX_PREPARED_STMT_COUNT_REACHED, "42000", message);
            return true;
        }
        if (rc != SP_OK || sp_session_append_ok(s, 0, 0, 0, sp_str_cstr("Statement prepared")) !=
                               SP_OK) {
            sp_session_close(s, "out of memory");
            return true;
        }
        sp_session_command_done(s);
        return true;
    case SP_SQLPS_EXECUTE:
        session_sql_execute(s, &ps);
        return true;
    case SP_SQLPS_DEALLOCATE:
        if (!sp_sql_state_deallocate(&s->sql_state, ps.name)) {
            snprintf(message, sizeof(message),
                     "Unknown prepared statement handler (%.*s) given to DEALLOCATE PREPARE",
                     (int)(ps.name.len > 64 ? 64 : ps.name.len), ps.name.ptr);
            session_reply_error(s, SP_ER_UNKNOWN_STMT_HANDLER, "HY000", message);
            return true;
        }
        if (sp_session_append_ok(s, 0, 0, 0, SP_STR_NULL) != SP_OK) {
            sp_session_close(s, "out of memory");
            return true;
        }
        sp_session_command_done(s);
        return true;
    default:
        return false;
    }
}

void
sp_session_close_cursor(struct sp_session *s, struct sp_prepared *stmt)
{
    struct sp_held_backend *held;
    struct sp_backend *be;
    uint32_t id = stmt->cursor_backend_stmt;

    if (stmt->cursor_shard < 0) {
        return;
    }
    held = &s->held[stmt->cursor_shard];
    stmt->cursor_shard = -1;
    be = held->backend;
    if (be == NULL || held->cursors == 0) {
        return; /* the connection is gone, and its cursors with it */
    }
    held->cursors--;
    if (sp_backend_stmts_take_if(&be->stmts, session_stmt_has_id, &id, &id)) {
        uint8_t arg[4] = {(uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16), (uint8_t)(id >> 24)};

        /* Closing the backend statement ends its cursor; no reply comes. */
        if (sp_backend_send_command(be, SP_COM_STMT_CLOSE, arg, sizeof(arg)) != SP_OK) {
            held->backend = NULL;
            be->holder = NULL;
            sp_backend_close(be, "cannot close a cursor");
            return;
        }
    }
    if (held->cursors == 0 && !held->in_trans && !held->pinned &&
        !sp_pin_state_active(&held->state)) {
        held->backend = NULL;
        be->holder = NULL;
        sp_backend_read_stop(be);
        sp_pool_put(&s->worker->pool, be);
    }
}

/* ERR 1243, as the server answers a statement id it does not know. */
static void
session_unknown_stmt(struct sp_session *s, uint32_t id, const char *command)
{
    char message[128];

    snprintf(message, sizeof(message), "Unknown prepared statement handler (%u) given to %s", id,
             command);
    session_reply_error(s, SP_ER_UNKNOWN_STMT_HANDLER, "HY000", message);
}

/*
 * Answers an execute that does not parse as the server does: a packet cut
 * in its fixed part or its parameter types is malformed (1835); one
 * without types on the first execute, or without all its values, has
 * incorrect arguments (1210).
 */
static void
session_execute_malformed(struct sp_session *s, const struct sp_prepared *stmt,
                          const uint8_t *payload, size_t len)
{
    size_t flag = 10 + ((size_t)stmt->nparams + 7) / 8;
    bool malformed = len < 10;

    if (!malformed && stmt->nparams > 0 && len > flag && payload[flag] == 1) {
        malformed = len < flag + 1 + 2 * (size_t)stmt->nparams;
    }
    if (malformed) {
        session_reply_error(s, SP_ER_MALFORMED_PACKET, "HY000", "Malformed communication packet");
    } else {
        session_reply_error(s, SP_ER_WRONG_ARGUMENTS, "HY000",
                            "Incorrect arguments to mysqld_stmt_execute");
    }
}

/*
 * Copies the long data of STMT's parameters into the arena, where the
 * execute sent to a shard finds it after the statement's buffers are reset.
 */
static int
session_keep_long_data(struct sp_session *s, const struct sp_prepared *stmt,
                       struct sp_stmt_param *params)
{
    for (size_t i = 0; i < stmt->nparams; i++) {
        char *copy;

        if (!params[i].is_long_data) {
            continue;
        }
        copy = sp_arena_alloc(&s->arena, params[i].value.len + 1);
        if (copy == NULL) {
            return SP_ENOMEM;
        }
        if (params[i].value.len > 0) {
            memcpy(copy, params[i].value.ptr, params[i].value.len);
        }
        params[i].value = sp_str_make(copy, params[i].value.len);
        params[i].is_long_data = false; /* sent inline to the shard */
        params[i].is_null = false;
    }
    return SP_OK;
}

/*
 * Whether an execute can run as the prepared statement itself on one
 * shard: a plain read or write that the router sends unchanged to one
 * shard, without session effects that the proxy must handle.
 */
static bool
session_runs_as_prepared(const struct sp_plan *plan, struct sp_str sql)
{
    if (plan->kind != SP_PLAN_SINGLE || plan->ntargets != 1 || plan->pins_session ||
        plan->use_db.len > 0) {
        return false;
    }
    switch (plan->stmt) {
    case SP_STMT_SELECT:
    case SP_STMT_INSERT:
    case SP_STMT_REPLACE:
    case SP_STMT_UPDATE:
    case SP_STMT_DELETE:
        break;
    default:
        return false;
    }
    /* A rewritten text (only some rows of an INSERT, say) is no longer the prepared one. */
    return sp_str_eq(plan->targets[0].sql, sql);
}

/*
 * COM_STMT_EXECUTE: the parameters are written into the statement text as
 * literals and the text is routed like COM_QUERY. When it reaches one
 * shard unchanged, that shard runs the prepared statement itself (prepared
 * once per backend connection) and its binary rows pass through. Any other
 * plan (scatter, merge, split insert, session statements) runs as text and
 * the client gets binary rows built from the text rows.
 */
void
session_on_execute(struct sp_session *s, const uint8_t *payload, size_t len)
{
    struct sp_stmt_param *params = NULL;
    struct sp_stmt_execute exec;
    struct sp_prepared *stmt;
    struct sp_plan plan;
    uint32_t id;
    struct sp_str sql;
    int rc;

    if (sp_stmt_id_peek(payload, len, &id) != SP_OK) {
        session_reply_error(s, SP_ER_MALFORMED_PACKET, "HY000", "Malformed communication packet");
        return;
    }
    stmt = sp_prepared_find(&s->prepared, id);
    if (stmt == NULL) {
        session_unknown_stmt(s, id, "mysqld_stmt_execute");
        return;
    }
    if (stmt->nparams > 0) {
        params = sp_arena_alloc(&s->arena, stmt->nparams * sizeof(*params));
        if (params == NULL) {
            session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
            return;
        }
    }
    rc = sp_stmt_execute_parse(payload, len, stmt->nparams, stmt->types, stmt->have_types,
                               stmt->has_long_data, &exec, params);
    if (rc == SP_EUNSUPPORTED) {
        session_reply_error(s, SP_ER_UNSUPPORTED_PS, "HY000",
                            "a parameter type (INT24, YEAR, BIT or JSON) that the server binds as "
                            "NULL or rejects; bind it as an integer or a string");
        return;
    }
    if (rc != SP_OK) {
        session_execute_malformed(s, stmt, payload, len);
        return;
    }
    stmt->have_types = true;
    /* Executing again ends the statement's open cursor, as on a server. */
    sp_session_close_cursor(s, stmt);

    if (!stmt->named) {
        struct sp_str named;

        /* Columns such as SUM(a) + ? keep their names when the text runs with values in it. */
        rc = sp_sqlps_name_marker_columns(stmt->sql, &s->arena, &named);
        if (rc == SP_OK) {
            rc = sp_prepared_set_named(stmt, named);
        }
        if (rc != SP_OK) {
            session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
            return;
        }
    }
    rc = sp_prepared_expand(stmt, params, s->collation,
                            s->no_backslash_escapes ? SP_STMT_SQL_NO_BACKSLASH_ESCAPES : 0,
                            &s->arena, &sql);
    if (rc == SP_OK) {
        rc = session_keep_long_data(s, stmt, params);
    }
    sp_prepared_reset_long_data(stmt);
    if (rc == SP_ENOMEM) {
        session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
        return;
    }
    if (rc != SP_OK) {
        session_reply_error(s, SP_ER_WRONG_ARGUMENTS, "HY000",
                            "Incorrect arguments to mysqld_stmt_execute: a parameter value has "
                            "no SQL literal (an infinite or NaN double, or an invalid DECIMAL, "
                            "date or time)");
        return;
    }
    if (!session_route(s, (const uint8_t *)sql.ptr, sql.len, &plan)) {
        return;
    }
    if (session_runs_as_prepared(&plan, sql)) {
        /* One shard runs the client's statement itself and returns binary rows. */
        s->exec_ps = stmt;
        s->exec_ps_params = params;
        /* A cursor lives on one shard's connection, so only this path opens one. */
        s->exec_ps_flags = plan.stmt == SP_STMT_SELECT ? exec.flags : 0;
        sp_exec_start(s, &plan, SP_COM_STMT_EXECUTE);
        return;
    }
    s->binary_result = true;
    sp_exec_start(s, &plan, SP_COM_QUERY);
}

/* COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA (no reply), COM_STMT_RESET and COM_STMT_FETCH. */
void
session_on_stmt_command(struct sp_session *s, const uint8_t *payload, size_t len)
{
    struct sp_stmt_long_data data;
    struct sp_stmt_fetch fetch;
    struct sp_prepared *stmt;
    char message[96];
    uint32_t id;

    if (sp_stmt_id_peek(payload, len, &id) != SP_OK) {
        if (payload[0] == SP_COM_STMT_CLOSE || payload[0] == SP_COM_STMT_SEND_LONG_DATA) {
            sp_session_command_done(s);
        } else {
            session_reply_error(s, SP_ER_MALFORMED_PACKET, "HY000",
                                "Malformed communication packet");
        }
        return;
    }
    stmt = sp_prepared_find(&s->prepared, id);

    switch (payload[0]) {
    case SP_COM_STMT_CLOSE:
        if (stmt != NULL) {
            sp_session_close_cursor(s, stmt);
            sp_pool_stmt_released(&s->worker->pool, stmt->sql);
            sp_prepared_remove(&s->prepared, stmt->id);
        }
        sp_session_command_done(s);
        return;
    case SP_COM_STMT_SEND_LONG_DATA:
        /*
         * No reply is defined: like the server, the proxy keeps the data for
         * the next execute and ignores it for an unknown statement.
         */
        if (stmt != NULL && sp_stmt_long_data_parse(payload, len, &data) == SP_OK &&
            sp_prepared_append_long_data(stmt, data.param_id, data.data) == SP_ENOMEM) {
            sp_session_close(s, "out of memory for long data");
            return;
        }
        sp_session_command_done(s);
        return;
    case SP_COM_STMT_RESET:
        if (stmt == NULL) {
            session_unknown_stmt(s, id, "mysqld_stmt_reset");
            return;
        }
        sp_prepared_reset_long_data(stmt);
        sp_session_close_cursor(s, stmt);
        if (sp_session_append_ok(s, 0, 0, 0, SP_STR_NULL) != SP_OK) {
            sp_session_close(s, "out of memory");
            return;
        }
        sp_session_command_done(s);
        return;
    default: /* COM_STMT_FETCH */
        if (stmt == NULL) {
            session_unknown_stmt(s, id, "mysqld_stmt_fetch");
            return;
        }
        if (stmt->cursor_shard < 0 || sp_stmt_fetch_parse(payload, len, &fetch) != SP_OK) {
            snprintf(message, sizeof(message), "The statement (%u) has no open cursor.", id);
            session_reply_error(s, SP_ER_STMT_HAS_NO_OPEN_CURSOR, "HY000", message);
            return;
        }
        s->exec_ps = stmt;
        s->exec_fetch_rows = fetch.nrows;
        /* Not retried elsewhere: the cursor exists on the held connection only. */
        session_run_on_shard(s, SP_COM_STMT_FETCH, (uint32_t)stmt->cursor_shard, SP_STR_NULL,
                             SP_STMT_OTHER);
        return;
    }
}
