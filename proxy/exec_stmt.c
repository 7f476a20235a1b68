/*
 * The prepared-statement protocol in plan execution: a backend's
 * COM_STMT_PREPARE response goes to the client under the proxy's
 * statement id, and a COM_STMT_EXECUTE that runs as a text statement gets
 * binary rows built from the text rows.
 */
#include <string.h>

#include "protocol/packet.h"
#include "protocol/stmt.h"
#include "proxy/backend.h"
#include "proxy/exec_internal.h"
#include "proxy/log.h"
#include "proxy/session.h"
#include "proxy/worker.h"

/* Replaces the prepare OK with one that carries the proxy's id for a new session statement. */
static enum leg_action
exec_prepare_ok(struct sp_leg *leg, const uint8_t *payload, size_t len)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;
    struct sp_stmt_prepare_ok ok;
    struct sp_prepared *stmt;
    struct sp_error err;
    size_t start;
    bool full;
    int rc;

    if (sp_stmt_prepare_ok_parse(payload, len, &ok) != SP_OK) {
        sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "invalid prepare response from shard %s",
                     sp_backend_shard_name(leg->backend));
        ex->client_failed = true;
        return sp_session_append_err(s, &err) == SP_OK ? LEG_REPLACED : LEG_DROP;
    }
    leg->backend_stmt = ok.stmt_id;
    leg->has_backend_stmt = true;

    stmt = sp_prepared_add(&s->prepared, leg->arg, ok.nparams, ok.ncolumns, &full);
    if (stmt == NULL) {
        /* The rest of the response is dropped; the client gets this ERR alone. */
        ex->client_failed = true;
        if (full) {
            sp_error_set(&err, SP_ER_MAX_PREPARED_STMT_COUNT_REACHED, "42000",
                         "Can't create more than max_prepared_stmt_count statements (current "
                         "value: %d)",
                         SP_PREPARED_MAX);
        } else {
            sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
        }
        return sp_session_append_err(s, &err) == SP_OK ? LEG_REPLACED : LEG_DROP;
    }

    sp_pool_stmt_used(&s->worker->pool, stmt->sql);
    ok.stmt_id = stmt->id;
    rc = sp_packet_begin(&s->out, &start);
    if (rc == SP_OK) {
        rc = sp_stmt_prepare_ok_build(&s->out, &ok);
    }
    if (rc == SP_OK) {
        rc = sp_packet_end(&s->out, start, &s->seq);
    }
    if (rc != SP_OK) {
        ex->broken = true;
        return LEG_DROP;
    }
    return LEG_REPLACED;
}

enum leg_action
exec_prepare_action(struct sp_leg *leg, enum sp_packet_role role, const uint8_t *payload,
                    size_t len)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;

    switch (role) {
    case SP_ROLE_PREPARE_OK:
        return exec_prepare_ok(leg, payload, len);
    case SP_ROLE_PARAM_DEF:
    case SP_ROLE_COLUMN_DEF:
        return ex->client_failed ? LEG_DROP : LEG_FORWARD;
    case SP_ROLE_PARAMS_EOF:
    case SP_ROLE_COLUMNS_EOF:
        /* A client with CLIENT_DEPRECATE_EOF expects the definitions without EOF after them. */
        return ex->client_failed || client_deprecate_eof(s) ? LEG_DROP : LEG_FORWARD;
    default:
        /* ERR: the server's reason for refusing the statement. */
        return LEG_FORWARD;
    }
}

int
exec_append_binary_row(struct sp_session *s, const uint8_t *payload, size_t len)
{
    struct sp_exec *ex = &s->exec;
    struct sp_str *values;
    bool *nulls;
    size_t start;
    int rc;

    values = sp_arena_alloc(&s->arena, ex->bin_ncols * sizeof(*values) + 1);
    nulls = sp_arena_alloc(&s->arena, ex->bin_ncols * sizeof(*nulls) + 1);
    if (values == NULL || nulls == NULL || ex->bin_defs == NULL) {
        return SP_ENOMEM;
    }
    rc = sp_text_row_parse(payload, len, ex->bin_ncols, values, nulls);
    if (rc != SP_OK) {
        return rc;
    }
    rc = sp_packet_begin(&s->out, &start);
    if (rc == SP_OK) {
        rc = sp_stmt_binary_row_build(&s->out, ex->bin_ncols, ex->bin_defs, values, nulls);
        if (rc != SP_OK) {
            s->out.len = start; /* drop the half-written header */
            return rc;
        }
        rc = sp_packet_end(&s->out, start, &s->seq);
    }
    return rc;
}

enum leg_action
exec_binary_action(struct sp_leg *leg, enum sp_packet_role role, const uint8_t *payload,
                   size_t len)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;
    struct sp_error err;
    uint64_t ncolumns;
    int rc;

    switch (role) {
    case SP_ROLE_COLUMN_COUNT:
        if (sp_column_count_parse(payload, len, &ncolumns) != SP_OK || ncolumns > 4096) {
            break;
        }
        ex->bin_own_defs = sp_arena_alloc(&s->arena, (size_t)ncolumns * sizeof(*ex->bin_own_defs));
        if (ex->bin_own_defs == NULL) {
            ex->broken = true;
            return LEG_DROP;
        }
        ex->bin_defs = ex->bin_own_defs;
        ex->bin_ncols = (size_t)ncolumns;
        ex->bin_ndefs = 0;
        return LEG_FORWARD;
    case SP_ROLE_COLUMN_DEF:
        if (ex->bin_own_defs == NULL || ex->bin_ndefs >= ex->bin_ncols ||
            sp_column_def_parse(payload, len, &ex->bin_own_defs[ex->bin_ndefs]) != SP_OK) {
            break;
        }
        ex->bin_ndefs++;
        return LEG_FORWARD;
    case SP_ROLE_ROW:
        if (ex->bin_ndefs != ex->bin_ncols || ex->bin_ncols == 0) {
            break;
        }
        rc = exec_append_binary_row(s, payload, len);
        if (rc == SP_ENOMEM) {
            ex->broken = true;
            return LEG_DROP;
        }
        if (rc != SP_OK) {
            break;
        }
        return LEG_REPLACED;
    default:
        return LEG_FORWARD;
    }

    /* A packet the binary result cannot carry: the result ends with an ERR. */
    sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000",
                 "shard %s returned a result that cannot be sent in binary rows",
                 sp_backend_shard_name(leg->backend));
    sp_log_warn("binary_result_failed", "conn=%u shard=%s error=\"%s\"", s->connection_id,
                sp_backend_shard_name(leg->backend), err.message);
    ex->client_failed = true;
    ex->terminated = true;
    return sp_session_append_err(s, &err) == SP_OK ? LEG_REPLACED : LEG_DROP;
}
