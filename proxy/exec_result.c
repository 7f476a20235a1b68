/*
 * Client-side results of a plan's legs: per-packet decisions for streamed
 * plans, and the single OK or ERR that merged write plans return.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "protocol/result.h"
#include "proxy/exec_internal.h"
#include "proxy/log.h"
#include "proxy/session.h"
#include "proxy/worker.h"
bool
client_deprecate_eof(const struct sp_session *s)
{
    return (s->caps & SP_CLIENT_DEPRECATE_EOF) != 0;
}

/* Appends the packet that ends a result set, as the client negotiated it. */
int
exec_append_rows_end(struct sp_session *s, uint16_t status, uint16_t warnings)
{
    size_t start;
    int rc;

    rc = sp_packet_begin(&s->out, &start);
    if (rc != SP_OK) {
        return rc;
    }
    if (client_deprecate_eof(s)) {
        struct sp_ok_packet ok;

        memset(&ok, 0, sizeof(ok));
        ok.status = status;
        ok.warnings = warnings;
        rc = sp_ok_build(&s->out, &ok, s->caps, SP_PACKET_EOF);
    } else {
        struct sp_eof_packet eof = {.warnings = warnings, .status = status};

        rc = sp_eof_build(&s->out, &eof);
    }
    if (rc != SP_OK) {
        return rc;
    }
    return sp_packet_end(&s->out, start, &s->seq);
}

bool
exec_is_streaming(const struct sp_exec *ex)
{
    return ex->kind == SP_PLAN_SINGLE || ex->kind == SP_PLAN_SCATTER_ROWS;
}

/* Whether LEG may write to the client now. */
bool
exec_leg_is_active(const struct sp_leg *leg)
{
    const struct sp_exec *ex = &leg->session->exec;

    return ex->kind != SP_PLAN_SCATTER_ROWS || ex->active == leg->index;
}

/* Records the ERR packet PAYLOAD as LEG's outcome. */
void
exec_leg_record_err(struct sp_leg *leg, const uint8_t *payload, size_t len)
{
    struct sp_err_packet errp;

    leg->failed = true;
    if (sp_err_parse(payload, len, &errp) == SP_OK) {
        sp_error_set(&leg->error, errp.code, errp.sqlstate, "%.*s", (int)errp.message.len,
                     errp.message.ptr);
    } else {
        sp_error_set(&leg->error, SP_ER_UNKNOWN_ERROR, "HY000", "malformed ERR packet from shard");
    }
}

/*
 * Decides what to do with a packet of ROLE on a streaming plan. May append
 * a replacement to the client buffer (LEG_REPLACED).
 */
enum leg_action
exec_stream_action(struct sp_leg *leg, enum sp_packet_role role, uint16_t status,
                   uint16_t warnings)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;
    bool last = leg->index + 1 == ex->nlegs;

    if (ex->kind == SP_PLAN_SINGLE) {
        if (role == SP_ROLE_COLUMNS_EOF && client_deprecate_eof(s)) {
            return LEG_DROP;
        }
        if (role == SP_ROLE_ROWS_END && client_deprecate_eof(s) != leg->tracker.deprecate_eof) {
            return exec_append_rows_end(s, status, warnings) == SP_OK ? LEG_REPLACED : LEG_DROP;
        }
        return LEG_FORWARD;
    }

    /* SCATTER_ROWS: definitions of other legs are dropped whenever they come. */
    switch (role) {
    case SP_ROLE_COLUMN_COUNT:
        if (!exec_leg_is_active(leg)) {
            return LEG_DROP;
        }
        leg->forward_header = !ex->header_sent && !ex->client_failed;
        ex->header_sent = true;
        return leg->forward_header ? LEG_FORWARD : LEG_DROP;
    case SP_ROLE_COLUMN_DEF:
        return exec_leg_is_active(leg) && leg->forward_header ? LEG_FORWARD : LEG_DROP;
    case SP_ROLE_COLUMNS_EOF:
        return exec_leg_is_active(leg) && leg->forward_header && !client_deprecate_eof(s)
                   ? LEG_FORWARD
                   : LEG_DROP;
    default:
        break;
    }

    if (!exec_leg_is_active(leg)) {
        return LEG_WAIT;
    }
    if (ex->client_failed) {
        return LEG_DROP;
    }

    switch (role) {
    case SP_ROLE_ROW:
        return LEG_FORWARD;
    case SP_ROLE_ROWS_END:
        ex->warnings = (uint16_t)(ex->warnings + warnings);
        if (!last) {
            return LEG_DROP;
        }
        status &= (uint16_t)~SP_SERVER_MORE_RESULTS_EXISTS;
        ex->terminated = true;
        return exec_append_rows_end(s, status, ex->warnings) == SP_OK ? LEG_REPLACED : LEG_DROP;
    case SP_ROLE_ERR:
        ex->client_failed = true;
        ex->terminated = true;
        return LEG_FORWARD;
    default:
        /* An OK where rows were expected (SELECT ... INTO): merged at the end. */
        return LEG_DROP;
    }
}

/* Records a packet of a merged plan: nothing reaches the client until the end. */
void
exec_merge_record(struct sp_leg *leg, enum sp_packet_role role, const uint8_t *payload,
                  size_t avail)
{
    struct sp_ok_packet ok;

    switch (role) {
    case SP_ROLE_ERR:
        exec_leg_record_err(leg, payload, avail);
        break;
    case SP_ROLE_OK:
        if (sp_ok_parse(payload, avail, SP_CLIENT_PROTOCOL_41, &ok) == SP_OK &&
            ok.info.len < sizeof(leg->info)) {
            memcpy(leg->info, ok.info.ptr, ok.info.len);
            leg->info[ok.info.len] = '\0';
        }
        break;
    case SP_ROLE_COLUMN_COUNT:
        leg->got_result_set = true;
        break;
    default:
        break;
    }
}

static void
exec_append_shard_names(const struct sp_session *s, char *out, size_t len, bool failed)
{
    const struct sp_exec *ex = &s->exec;
    const struct sp_config *cfg = s->worker->proxy->cfg;
    size_t i, used = strlen(out);
    bool first = true;

    for (i = 0; i < ex->nlegs && used < len; i++) {
        if (ex->legs[i].failed != failed || ex->legs[i].commit_only) {
            continue;
        }
        used += (size_t)snprintf(out + used, len - used, "%s%s", first ? "" : ", ",
                                 cfg->shards[ex->legs[i].shard].name);
        first = false;
    }
}

#define INFO_FIELDS_MAX 4

/* An OK info text split into "Label: number" fields. */
struct info_fields {
    size_t n;
    struct sp_str label[INFO_FIELDS_MAX];
    unsigned long long value[INFO_FIELDS_MAX];
};

/* Splits TEXT such as "Records: 3  Duplicates: 0  Warnings: 0"; false if it has another shape. */
static bool
info_parse(const char *text, struct info_fields *out)
{
    const char *p = text;

    out->n = 0;
    while (*p != '\0') {
        const char *label;
        char *end;

        while (*p == ' ') {
            p++;
        }
        label = p;
        while (*p != '\0' && *p != ':' && (*p < '0' || *p > '9')) {
            p++;
        }
        if (*p != ':' || p == label || out->n == INFO_FIELDS_MAX) {
            return false;
        }
        out->label[out->n] = sp_str_make(label, (size_t)(p - label));
        p++;
        while (*p == ' ') {
            p++;
        }
        if (*p < '0' || *p > '9') {
            return false;
        }
        out->value[out->n++] = strtoull(p, &end, 10);
        p = end;
        while (*p == ' ') {
            p++;
        }
    }
    return out->n > 0;
}

/*
 * Sums the info texts of the successful legs field by field, so that a
 * split INSERT or a scattered UPDATE reports "Records: 5 ..." or "Rows
 * matched: 7 ..." as one server would. Leaves OUT empty when the legs'
 * texts differ in shape.
 */
static void
exec_merge_info(const struct sp_exec *ex, char *out, size_t len)
{
    struct info_fields sum, one;
    char row_info[SP_LEG_INFO_MAX], first_info[SP_LEG_INFO_MAX];
    const char *text;
    size_t i, f, used = 0;
    bool first = true;

    out[0] = '\0';
    for (i = 0; i < ex->nlegs; i++) {
        const struct sp_leg *leg = &ex->legs[i];

        if (leg->failed || leg->commit_only) {
            continue;
        }
        if (leg->info[0] == '\0' && ex->kind == SP_PLAN_SCATTER_OK &&
            (ex->stmt == SP_STMT_INSERT || ex->stmt == SP_STMT_REPLACE)) {
            /*
             * A shard that got one row of a split INSERT reports no text,
             * as a server does for one row. The row was a duplicate when it
             * changed no row or two (REPLACE, ON DUPLICATE KEY UPDATE).
             */
            snprintf(row_info, sizeof(row_info), "Records: 1  Duplicates: %d  Warnings: %u",
                     leg->affected_rows == 1 ? 0 : 1, (unsigned)leg->warnings);
            text = row_info;
        } else {
            text = leg->info;
        }
        if (first) {
            /* The sum's labels point into the first text, which must outlive the loop. */
            snprintf(first_info, sizeof(first_info), "%s", text);
            text = first_info;
        }
        if (!info_parse(text, first ? &sum : &one)) {
            return;
        }
        if (first) {
            first = false;
            continue;
        }
        if (one.n != sum.n) {
            return;
        }
        for (f = 0; f < sum.n; f++) {
            if (!sp_str_eq(one.label[f], sum.label[f])) {
                return;
            }
            sum.value[f] += one.value[f];
        }
    }
    if (first) {
        return;
    }
    for (f = 0; f < sum.n && used < len; f++) {
        used += (size_t)snprintf(out + used, len - used, "%s%.*s: %llu", f == 0 ? "" : "  ",
                                 (int)sum.label[f].len, sum.label[f].ptr, sum.value[f]);
    }
}

uint64_t
exec_insert_id(const struct sp_exec *ex)
{
    size_t i;

    if (ex->first_row_leg < ex->nlegs) {
        const struct sp_leg *leg = &ex->legs[ex->first_row_leg];

        if (!leg->failed && !leg->commit_only && leg->last_insert_id != 0) {
            return leg->last_insert_id;
        }
    }
    for (i = 0; i < ex->nlegs; i++) {
        const struct sp_leg *leg = &ex->legs[i];

        if (!leg->failed && !leg->commit_only && leg->last_insert_id != 0) {
            return leg->last_insert_id;
        }
    }
    return 0;
}

/* Whether every failed leg other than COMMIT-only ones got the same error code and message. */
static bool
exec_same_errors(const struct sp_exec *ex)
{
    const struct sp_error *first = NULL;

    for (size_t i = 0; i < ex->nlegs; i++) {
        const struct sp_leg *leg = &ex->legs[i];

        if (!leg->failed || leg->commit_only) {
            continue;
        }
        if (first == NULL) {
            first = &leg->error;
        } else if (leg->error.code != first->code || strcmp(leg->error.message, first->message) != 0) {
            return false;
        }
    }
    return true;
}

int
exec_append_reply(struct sp_session *s, const struct sp_reply *r)
{
    if (r->is_err) {
        return sp_session_append_err(s, &r->err);
    }
    return sp_session_append_ok(s, r->affected_rows, r->insert_id, r->warnings,
                                sp_str_cstr(r->info));
}

void
exec_merged_reply(struct sp_session *s, struct sp_reply *out)
{
    struct sp_exec *ex = &s->exec;
    const struct sp_leg *first_failed = NULL, *commit_failed = NULL;
    uint64_t affected = 0;
    uint16_t warnings = 0;
    size_t i, nfailed = 0, nlegs = 0;

    memset(out, 0, sizeof(*out));
    for (i = 0; i < ex->nlegs; i++) {
        struct sp_leg *leg = &ex->legs[i];

        if (leg->commit_only) {
            /* Ended the transaction elsewhere: it adds nothing to the counts. */
            if (leg->failed && commit_failed == NULL) {
                commit_failed = leg;
            }
            continue;
        }
        nlegs++;

        if (!leg->failed && leg->got_result_set && ex->kind != SP_PLAN_SCATTER_ROWS) {
            leg->failed = true;
            sp_error_set(&leg->error, SP_ER_NOT_SUPPORTED_YET, "42000",
                         "a statement that returns rows cannot run on several shards at once");
        }
        if (leg->failed) {
            nfailed++;
            if (first_failed == NULL) {
                first_failed = leg;
            }
            continue;
        }
        affected += leg->affected_rows;
        warnings = (uint16_t)(warnings + leg->warnings);
    }

    if (first_failed != NULL) {
        out->is_err = true;
        out->first_err = first_failed->error;
    }
    if (commit_failed != NULL) {
        out->is_err = true;
        sp_error_set(&out->err, commit_failed->error.code, commit_failed->error.sqlstate,
                     "the statement %s, but the transaction it commits implicitly failed to commit "
                     "on shard %s: %s",
                     first_failed == NULL ? "succeeded" : "failed",
                     s->worker->proxy->cfg->shards[commit_failed->shard].name,
                     commit_failed->error.message);
        sp_log_warn("partial_failure", "worker=%u conn=%u implicit_commit_failed=\"%s\" error=\"%s\"",
                    s->worker->id, s->connection_id,
                    s->worker->proxy->cfg->shards[commit_failed->shard].name,
                    commit_failed->error.message);
        return;
    }
    if (first_failed == NULL && ex->same_rows) {
        /* A reference table: every shard changed its own full copy, so one shard's count is right. */
        const struct sp_leg *leg = &ex->legs[0];

        out->affected_rows = leg->affected_rows;
        out->insert_id = leg->last_insert_id;
        out->warnings = leg->warnings;
        snprintf(out->info, sizeof(out->info), "%s", leg->info);
        return;
    }
    if (first_failed == NULL) {
        exec_merge_info(ex, out->info, sizeof(out->info));
        out->affected_rows = affected;
        out->insert_id = exec_insert_id(ex);
        out->warnings = warnings;
        return;
    }
    for (i = 0; i < ex->nlegs; i++) {
        if (exec_leg_lock_failure(&ex->legs[i])) {
            /* The transaction is rolled back on every shard (exec_rollback_after_lock_failure). */
            sp_error_set(&out->err, EXEC_ER_LOCK_DEADLOCK, "40001",
                         "Deadlock found when trying to get lock; try restarting transaction "
                         "(on shard %s: %s; the transaction was rolled back on every shard)",
                         s->worker->proxy->cfg->shards[ex->legs[i].shard].name,
                         ex->legs[i].error.message);
            out->first_err = out->err; /* what an all-or-nothing write reports as it was */
            return;
        }
    }
    if (nlegs == 1 || (nfailed == nlegs && exec_same_errors(ex))) {
        /* Every shard refused alike, as one server would have: its error as it is. */
        out->err = first_failed->error;
        return;
    }

    {
        char shards[256] = "";
        char done[256] = "";

        exec_append_shard_names(s, shards, sizeof(shards), true);
        exec_append_shard_names(s, done, sizeof(done), false);
        sp_error_set(&out->err, first_failed->error.code, first_failed->error.sqlstate,
                     "statement failed on shard %s: %s%s%s", shards, first_failed->error.message,
                     nfailed < nlegs ? "; it succeeded on shard " : "",
                     nfailed < nlegs ? done : "");
        out->partial = nfailed < nlegs;
    }
}

/* Appends the single OK or ERR that a merged plan returns. */
int
exec_reply_merged(struct sp_session *s)
{
    struct sp_reply r;

    exec_merged_reply(s, &r);
    if (r.partial) {
        sp_log_warn("partial_failure", "worker=%u conn=%u error=\"%s\"", s->worker->id,
                    s->connection_id, r.err.message);
    }
    return exec_append_reply(s, &r);
}
