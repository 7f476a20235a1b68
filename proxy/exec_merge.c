/*
 * Merged SELECTs (SP_PLAN_SCATTER_MERGE): every leg's column definitions
 * and rows go into a struct sp_merger instead of to the client. The first
 * leg whose definitions are complete creates the merger and sends the
 * client the visible columns' definitions. Merged rows go out as soon as
 * the merger can tell them. A leg whose queue in the merger is full waits
 * until the merger has moved on, so its rows stay in the backend buffer
 * and then in the socket.
 */
#include <stdio.h>
#include <string.h>

#include "protocol/codec.h"
#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "proxy/backend.h"
#include "proxy/exec_internal.h"
#include "proxy/log.h"
#include "proxy/session.h"
#include "proxy/worker.h"

/* Sends ERR to the client once; the other legs' rows are dropped from then on. */
static void
merge_fail(struct sp_session *s, const struct sp_error *err)
{
    struct sp_exec *ex = &s->exec;

    if (ex->client_failed) {
        return;
    }
    if (sp_session_append_err(s, err) != SP_OK) {
        ex->broken = true;
        return;
    }
    ex->client_failed = true;
    ex->sent_anything = true;
    ex->terminated = true;
}

static void
merge_fail_nomem(struct sp_session *s)
{
    struct sp_error err;

    sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory while merging shard results");
    merge_fail(s, &err);
}

static int
merge_append_packet(struct sp_session *s, const uint8_t *payload, size_t len)
{
    return sp_packet_append(&s->out, &s->seq, payload, len);
}

/* LEG has all its column definitions: the first such leg starts the merge. */
static void
merge_header_ready(struct sp_leg *leg)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;
    const struct sp_config *cfg = s->worker->proxy->cfg;
    struct sp_error err;
    struct sp_buf count;
    size_t i, nvisible;
    int rc;

    if (ex->merger != NULL || ex->client_failed) {
        return;
    }
    rc = sp_merger_create(ex->merge_spec, leg->defs, leg->ndefs, ex->nlegs, cfg->max_merge_rows,
                          &ex->merger, &err);
    if (rc == SP_ENOMEM) {
        merge_fail_nomem(s);
        return;
    }
    if (rc != SP_OK) {
        merge_fail(s, &err);
        return;
    }

    /* Column count, then the visible definitions exactly as the shard sent them. */
    nvisible = sp_merger_nvisible(ex->merger);
    ex->bin_defs = leg->defs;
    ex->bin_ncols = nvisible;
    sp_buf_init(&count);
    rc = sp_codec_put_lenenc_int(&count, nvisible);
    if (rc == SP_OK) {
        rc = merge_append_packet(s, count.data, count.len);
    }
    sp_buf_deinit(&count);
    for (i = 0; rc == SP_OK && i < nvisible; i++) {
        rc = merge_append_packet(s, (const uint8_t *)leg->def_payloads[i].ptr,
                                 leg->def_payloads[i].len);
    }
    if (rc == SP_OK && !client_deprecate_eof(s)) {
        struct sp_eof_packet eof = {.warnings = 0, .status = sp_session_status(s)};
        size_t start;

        rc = sp_packet_begin(&s->out, &start);
        if (rc == SP_OK) {
            rc = sp_eof_build(&s->out, &eof);
        }
        if (rc == SP_OK) {
            rc = sp_packet_end(&s->out, start, &s->seq);
        }
    }
    if (rc != SP_OK) {
        ex->broken = true;
        return;
    }
    ex->header_sent = true;
    ex->sent_anything = true;
}

/* Moves every row the merger can tell now to the client. */
static void
merge_drain(struct sp_session *s)
{
    struct sp_exec *ex = &s->exec;
    struct sp_error err;
    int rc;

    if (ex->merger == NULL || ex->client_failed || ex->terminated || ex->broken) {
        return;
    }
    for (;;) {
        if (sp_session_write_blocked(s)) {
            s->write_paused = true; /* resumed by sp_exec_on_client_writable */
            return;
        }
        sp_buf_reset(&ex->merge_row, 65536);
        rc = sp_merger_next(ex->merger, &ex->merge_row, &err);
        if (rc == SP_EAGAIN) {
            return;
        }
        if (rc == SP_ENOTFOUND) {
            if (exec_append_rows_end(s, ex->merge_status & (uint16_t)~SP_SERVER_MORE_RESULTS_EXISTS,
                                     ex->warnings) != SP_OK) {
                ex->broken = true;
                return;
            }
            ex->terminated = true;
            return;
        }
        if (rc != SP_OK) {
            merge_fail(s, &err);
            return;
        }
        rc = ex->binary ? exec_append_binary_row(s, ex->merge_row.data, ex->merge_row.len)
                        : merge_append_packet(s, ex->merge_row.data, ex->merge_row.len);
        if (rc == SP_EPROTO) {
            /* A merged value that its column type cannot carry in a binary row. */
            sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "a merged row cannot be sent in binary rows for its column types");
            merge_fail(s, &err);
            return;
        }
        if (rc != SP_OK) {
            ex->broken = true;
            return;
        }
        ex->merged_rows++;
    }
}

static enum leg_action
merge_take_definition(struct sp_leg *leg, enum sp_packet_role role, const uint8_t *payload,
                      size_t len)
{
    struct sp_session *s = leg->session;
    struct sp_error err;
    uint64_t ncolumns;
    char *copy;

    if (role == SP_ROLE_COLUMN_COUNT) {
        if (sp_column_count_parse(payload, len, &ncolumns) != SP_OK || ncolumns > 4096) {
            sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "invalid column count from a shard");
            merge_fail(s, &err);
            return LEG_DROP;
        }
        leg->defs = sp_arena_alloc(&s->arena, ncolumns * sizeof(*leg->defs));
        leg->def_payloads = sp_arena_alloc(&s->arena, ncolumns * sizeof(*leg->def_payloads));
        if (leg->defs == NULL || leg->def_payloads == NULL) {
            merge_fail_nomem(s);
            return LEG_DROP;
        }
        leg->ncolumns = (size_t)ncolumns;
        leg->ndefs = 0;
        return LEG_DROP;
    }

    if (role == SP_ROLE_COLUMN_DEF) {
        if (leg->defs == NULL || leg->ndefs >= leg->ncolumns) {
            return LEG_DROP;
        }
        /* The definition is kept: the merger compares by its type, the client gets its bytes. */
        copy = sp_arena_strndup(&s->arena, (const char *)payload, len);
        if (copy == NULL) {
            merge_fail_nomem(s);
            return LEG_DROP;
        }
        if (sp_column_def_parse((const uint8_t *)copy, len, &leg->defs[leg->ndefs]) != SP_OK) {
            sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "invalid column definition from a shard");
            merge_fail(s, &err);
            return LEG_DROP;
        }
        leg->def_payloads[leg->ndefs] = sp_str_make(copy, len);
        leg->ndefs++;
        return LEG_DROP;
    }

    /* SP_ROLE_COLUMNS_EOF */
    if (leg->ndefs == leg->ncolumns) {
        merge_header_ready(leg);
    }
    return LEG_DROP;
}

enum leg_action
exec_merge_action(struct sp_leg *leg, enum sp_packet_role role, const uint8_t *payload,
                  size_t len, uint16_t status, uint16_t warnings)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;
    struct sp_error err;

    switch (role) {
    case SP_ROLE_COLUMN_COUNT:
    case SP_ROLE_COLUMN_DEF:
    case SP_ROLE_COLUMNS_EOF:
        return merge_take_definition(leg, role, payload, len);

    case SP_ROLE_ROW:
        if (ex->client_failed || ex->merger == NULL || ex->terminated ||
            sp_merger_satisfied(ex->merger)) {
            return LEG_DROP;
        }
        if (sp_merger_leg_full(ex->merger, leg->index)) {
            return LEG_WAIT;
        }
        if (sp_merger_push_row(ex->merger, leg->index, payload, len, &err) != SP_OK) {
            merge_fail(s, &err);
            return LEG_DROP;
        }
        merge_drain(s);
        return LEG_DROP;

    case SP_ROLE_ROWS_END:
        ex->warnings = (uint16_t)(ex->warnings + warnings);
        ex->merge_status = status;
        if (ex->merger != NULL) {
            sp_merger_leg_done(ex->merger, leg->index);
            merge_drain(s);
        }
        return LEG_DROP;

    case SP_ROLE_ERR:
        exec_leg_record_err(leg, payload, len);
        merge_fail(s, &leg->error);
        return LEG_DROP;

    default:
        sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "shard %u returned no result set for a merged SELECT", leg->shard);
        merge_fail(s, &err);
        return LEG_DROP;
    }
}

void
exec_merge_resume(struct sp_session *s)
{
    struct sp_exec *ex = &s->exec;
    uint64_t generation = s->ncommands;
    bool progress = true;
    size_t i;

    /*
     * One leg's rows can unblock a leg that comes before it, as when a leg
     * that ends lets the merger drain a waiting leg's queue. Passes repeat
     * until no leg consumes anything, because no further read event comes
     * once every row is already buffered.
     */
    while (progress) {
        progress = false;
        merge_drain(s);
        for (i = 0; i < ex->nlegs; i++) {
            struct sp_leg *leg = &ex->legs[i];
            size_t before;

            if (s->ncommands != generation || s->state != SP_SESSION_EXECUTING) {
                return;
            }
            if (leg->state == SP_LEG_DONE || leg->backend == NULL) {
                continue;
            }
            if (ex->merger != NULL && sp_merger_leg_full(ex->merger, leg->index)) {
                continue;
            }
            before = sp_buf_unread_len(&leg->backend->in);
            sp_backend_read_start(leg->backend);
            exec_leg_process(leg);
            if (s->ncommands != generation || s->state != SP_SESSION_EXECUTING) {
                return;
            }
            if (leg->state == SP_LEG_DONE || leg->backend == NULL ||
                sp_buf_unread_len(&leg->backend->in) != before) {
                progress = true;
            }
        }
    }
}

void
exec_merge_finish(struct sp_session *s)
{
    struct sp_exec *ex = &s->exec;
    struct sp_error err;

    merge_drain(s);
    if (!ex->terminated && !ex->client_failed && !ex->broken) {
        sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000",
                     ex->merger == NULL ? "no shard returned a result set to merge"
                                        : "the merged result ended before all rows were sent");
        merge_fail(s, &err);
    }
    exec_merge_cleanup(ex);
}

void
exec_merge_cleanup(struct sp_exec *ex)
{
    if (ex->merger != NULL) {
        ex->merged_skipped = sp_merger_skipped(ex->merger);
        sp_merger_destroy(ex->merger);
        ex->merger = NULL;
    }
    sp_buf_deinit(&ex->merge_row);
}
