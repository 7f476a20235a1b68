/*
 * The session's transaction and session-state policy: what BEGIN, COMMIT,
 * ROLLBACK, savepoints, SET autocommit, SET NAMES, tracked SET variables
 * and implicit commits do to a routed plan, and the session's view of its
 * transaction. Execution over the backends lives in exec.c.
 */
#include "proxy/session.h"
#include "proxy/session_internal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "protocol/charset.h"
#include "protocol/result.h"
#include "proxy/worker.h"
#include "router/sqlprepare.h"

static size_t session_savepoint_find(const struct sp_session *s, struct sp_str name);

static int
session_set_targets(struct sp_session *s, struct sp_plan *plan, const bool *want,
                    struct sp_str sql)
{
    const struct sp_config *cfg = s->worker->proxy->cfg;
    size_t i, n = 0;

    plan->targets = sp_arena_alloc(&s->arena, cfg->nshards * sizeof(*plan->targets));
    if (plan->targets == NULL) {
        return SP_ENOMEM;
    }
    for (i = 0; i < cfg->nshards; i++) {
        if (want[i]) {
            plan->targets[n].shard = (uint32_t)i;
            plan->targets[n].sql = sql;
            n++;
        }
    }
    plan->ntargets = n;
    plan->kind = n == 1 ? SP_PLAN_SINGLE : SP_PLAN_BROADCAST;
    return SP_OK;
}

/* Whether a transaction of the session is open on some shard. */
static bool
session_in_transaction(const struct sp_session *s)
{
    for (size_t i = 0; i < s->worker->proxy->cfg->nshards; i++) {
        if (s->held[i].backend != NULL && s->held[i].in_trans) {
            return true;
        }
    }
    return false;
}

void
sp_session_apply_autocommit(struct sp_session *s, bool on)
{
    if (!on) {
        if (!s->implicit_txn && !s->txn_open) {
            s->txn_open = true;
            s->txn_begin_len = 0;
        }
        s->implicit_txn = true;
        return;
    }
    if (!s->implicit_txn) {
        return; /* already on: nothing changes */
    }
    s->implicit_txn = false;
    s->txn_open = false;
    s->txn_active = false;
    s->txn_read_only = false;
    s->txn_wrote = false;
    s->txn_begin_len = 0;
    session_savepoints_truncate(s, 0);
}

static int
session_set_autocommit(struct sp_session *s, struct sp_plan *plan, bool on, bool *reply_ok)
{
    const struct sp_config *cfg = s->worker->proxy->cfg;
    bool want[cfg->nshards];
    bool any = false;
    size_t i;

    if (!on || !s->implicit_txn) {
        sp_session_apply_autocommit(s, on);
        *reply_ok = true;
        return SP_OK;
    }
    sp_session_apply_autocommit(s, true);
    for (i = 0; i < cfg->nshards; i++) {
        want[i] = s->held[i].backend != NULL && s->held[i].in_trans;
        any = any || want[i];
    }
    if (!any) {
        *reply_ok = true;
        return SP_OK;
    }
    plan->stmt = SP_STMT_COMMIT;
    return session_set_targets(s, plan, want, sp_str_cstr("COMMIT"));
}

/*
 * Applies the session policy to a routed plan:
 *  - SET runs on every shard and pins the session there, so that a later
 *    statement sees the same variables whichever shard it reaches;
 *  - BEGIN, COMMIT and ROLLBACK go to every shard with an open transaction
 *    (BEGIN also to the default shard), so none is left open.
 * NOTE: COMMIT reaches those shards at the same time and is not atomic
 * across them: when one fails, others may have committed (the ERR names both).
 */
int
session_adjust_plan(struct sp_session *s, struct sp_plan *plan, struct sp_str sql,
                    bool *reply_ok)
{
    const struct sp_config *cfg = s->worker->proxy->cfg;
    struct sp_session_assign *assigns;
    enum sp_savepoint_kind savepoint;
    struct sp_str savepoint_name, names_charset, names_collation, rest;
    int autocommit;
    bool want[cfg->nshards];
    bool any = false, trackable;
    size_t i, nassigns;
    int rc;

    if (plan->multi_statement && sp_sqlps_sets_autocommit(sql)) {
        /*
         * The backends must stay in autocommit mode, and the proxy tracks
         * the session's mode only from a SET that it replies to itself.
         */
        s->plan_error = "SET autocommit in a text of several statements is not supported: send "
                        "it as a statement of its own";
        return SP_EUNSUPPORTED;
    }
    if (plan->kind != SP_PLAN_SINGLE || plan->targets[0].shard != cfg->default_shard) {
        return SP_OK;
    }

    if (sp_sqlps_set_names(sql, &names_charset, &names_collation)) {
        uint16_t id = sp_collation_by_name(names_charset.ptr, names_charset.len,
                                           names_collation.ptr, names_collation.len);

        /*
         * A known character set becomes the session's collation, and every
         * borrowed connection gets it before it runs a statement. An unknown
         * one goes to the shards, which pin the session or return an error.
         */
        if (id != 0) {
            s->collation = id;
            *reply_ok = true;
            return SP_OK;
        }
    }

    autocommit = sp_sqlps_autocommit(sql);
    if (autocommit >= 0) {
        return session_set_autocommit(s, plan, autocommit == 1, reply_ok);
    }
    rc = sp_sqlps_split_autocommit(sql, &s->arena, &rest, &autocommit);
    if (rc == SP_EINVAL) {
        s->plan_error = "SET autocommit accepts only 0, 1, ON, OFF, TRUE or FALSE through "
                        "shardproxy, which keeps the session's autocommit mode itself";
        return SP_EUNSUPPORTED;
    }
    if (rc == SP_OK) {
        if (rest.len == 0) {
            return session_set_autocommit(s, plan, autocommit == 1, reply_ok);
        }
        /*
         * The backends must stay in autocommit mode: the other variables go
         * on, and the session takes the mode once they are set.
         */
        if (autocommit == 1 && s->implicit_txn && session_in_transaction(s)) {
            /* Turning autocommit on commits, on every shard of the transaction. */
            plan->implicit_commit = true;
            plan->commit_first = true;
        }
        s->pending_autocommit = (int8_t)autocommit;
        sql = rest;
        plan->targets[0].sql = rest;
    } else if (rc != SP_ENOTFOUND) {
        return rc;
    }

    savepoint = sp_sqlps_savepoint(sql, &savepoint_name);
    if (savepoint != SP_SAVEPOINT_NONE) {
        /* Inside a transaction: every shard it reached, so that ROLLBACK TO undoes all. */
        for (i = 0; i < cfg->nshards; i++) {
            want[i] = s->held[i].backend != NULL && s->held[i].in_trans;
            any = any || want[i];
        }
        s->pending_savepoint = (int)savepoint;
        s->pending_savepoint_name = savepoint_name;
        if (any) {
            return session_set_targets(s, plan, want, sql);
        }
        s->pending_savepoint = 0;
        if (!s->txn_open) {
            return SP_OK; /* outside a transaction: the default shard replies */
        }
        /* The transaction has reached no shard yet: the list is all there is. */
        if (savepoint != SP_SAVEPOINT_SET &&
            session_savepoint_find(s, savepoint_name) == s->nsavepoints) {
            return SP_ENOTFOUND;
        }
        s->pending_savepoint = (int)savepoint;
        sp_session_savepoint_done(s);
        s->pending_savepoint = 0;
        *reply_ok = true;
        return SP_OK;
    }

    switch (plan->stmt) {
    case SP_STMT_SET:
        rc = sp_sqlps_session_assignments(sql, &s->arena, &assigns, &nassigns, &trackable);
        if (rc != SP_OK) {
            return rc;
        }
        if (trackable) {
            /*
             * Variables the proxy replays: the default shard checks the
             * values, and every connection the session borrows later gets
             * them first. The session pins nothing.
             */
            plan->pins_session = false;
            s->pending_vars = assigns;
            s->npending_vars = nassigns;
            return SP_OK;
        }
        for (i = 0; i < cfg->nshards; i++) {
            want[i] = true;
        }
        plan->pins_session = true;
        return cfg->nshards > 1 ? session_set_targets(s, plan, want, sql) : SP_OK;

    case SP_STMT_BEGIN:
    case SP_STMT_COMMIT:
    case SP_STMT_ROLLBACK:
        for (i = 0; i < cfg->nshards; i++) {
            want[i] = s->held[i].backend != NULL && s->held[i].in_trans;
            any = any || want[i];
        }
        /* With autocommit off the next statement starts the next transaction. */
        s->txn_open = s->implicit_txn;
        s->txn_active = false;
        s->txn_read_only = false;
        s->txn_wrote = false;
        s->txn_begin_len = 0;
        session_savepoints_truncate(s, 0);
        if (plan->stmt == SP_STMT_BEGIN && sql.len <= SP_SESSION_BEGIN_MAX) {
            /*
             * The transaction starts on each shard when a statement first
             * reaches it, with the client's own BEGIN text (READ ONLY, WITH
             * CONSISTENT SNAPSHOT ...), so a transaction that stays on one
             * shard never touches another. A BEGIN inside an open
             * transaction still goes to its shards, which commit it.
             */
            memcpy(s->txn_begin, sql.ptr, sql.len);
            s->txn_begin[sql.len] = '\0';
            s->txn_begin_len = sql.len;
            s->txn_open = true;
            s->txn_active = true;
            s->txn_read_only = sp_sqlps_begin_read_only(sql);
            if (!any) {
                *reply_ok = true;
                return SP_OK;
            }
        } else if (plan->stmt == SP_STMT_BEGIN) {
            want[cfg->default_shard] = true;
        } else if (!any) {
            return SP_OK;
        }
        return session_set_targets(s, plan, want, sql);

    default:
        return SP_OK;
    }
}

void
session_savepoints_truncate(struct sp_session *s, size_t keep)
{
    while (s->nsavepoints > keep) {
        free(s->savepoints[--s->nsavepoints]);
    }
}

static size_t
session_savepoint_find(const struct sp_session *s, struct sp_str name)
{
    for (size_t i = 0; i < s->nsavepoints; i++) {
        if (strlen(s->savepoints[i]) == name.len &&
            strncasecmp(s->savepoints[i], name.ptr, name.len) == 0) {
            return i;
        }
    }
    return s->nsavepoints;
}

void
sp_session_end_transaction(struct sp_session *s)
{
    s->txn_open = s->implicit_txn;
    s->txn_active = false;
    s->txn_read_only = false;
    s->txn_wrote = false;
    s->txn_begin_len = 0;
    session_savepoints_truncate(s, 0);
}

void
sp_session_savepoint_done(struct sp_session *s)
{
    struct sp_str name = s->pending_savepoint_name;
    size_t at = session_savepoint_find(s, name);
    char *copy;

    switch ((enum sp_savepoint_kind)s->pending_savepoint) {
    case SP_SAVEPOINT_SET:
        /* A savepoint of an existing name replaces it, as on a server. */
        if (at < s->nsavepoints) {
            free(s->savepoints[at]);
            memmove(&s->savepoints[at], &s->savepoints[at + 1],
                    (s->nsavepoints - at - 1) * sizeof(*s->savepoints));
            s->nsavepoints--;
        }
        if (s->nsavepoints == s->savepoints_cap) {
            size_t cap = s->savepoints_cap == 0 ? 4 : 2 * s->savepoints_cap;
            char **grown = realloc(s->savepoints, cap * sizeof(*grown));

            if (grown == NULL) {
                break;
            }
            s->savepoints = grown;
            s->savepoints_cap = cap;
        }
        copy = strndup(name.ptr, name.len);
        if (copy != NULL) {
            s->savepoints[s->nsavepoints++] = copy;
        }
        break;
    case SP_SAVEPOINT_ROLLBACK:
        /* The savepoint stays; the later ones are gone. */
        if (at < s->nsavepoints) {
            session_savepoints_truncate(s, at + 1);
        }
        break;
    case SP_SAVEPOINT_RELEASE:
        if (at < s->nsavepoints) {
            session_savepoints_truncate(s, at);
        }
        break;
    default:
        break;
    }
}

/* Reports a transaction lost with its backend; returns true if one was. */
bool
session_report_lost_transaction(struct sp_session *s)
{
    const struct sp_config *cfg = s->worker->proxy->cfg;
    size_t i;

    for (i = 0; i < cfg->nshards; i++) {
        if (s->held[i].lost) {
            char message[300];

            s->held[i].lost = false;
            s->held[i].pinned = false;
            sp_pin_state_clear(&s->held[i].state);
            snprintf(message, sizeof(message),
                     "the connection to shard %s closed while a transaction was open; the "
                     "server rolled it back, so the statement was not run",
                     cfg->shards[i].name);
            session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", message);
            return true;
        }
    }
    return false;
}

/*
 * With transaction_mode "single", a statement inside a transaction may
 * not reach a shard other than the one the transaction is on. Replies the
 * ERR and returns false when it would.
 */
bool
session_transaction_allowed(struct sp_session *s, const struct sp_plan *plan)
{
    const struct sp_config *cfg = s->worker->proxy->cfg;
    bool used[cfg->nshards];
    bool in_trans = s->txn_open;
    size_t i, n = 0;
    char message[256];

    if (cfg->transaction_mode != SP_TRANSACTION_SINGLE || plan->stmt == SP_STMT_COMMIT ||
        plan->stmt == SP_STMT_ROLLBACK || plan->stmt == SP_STMT_BEGIN) {
        return true;
    }
    for (i = 0; i < cfg->nshards; i++) {
        used[i] = s->held[i].backend != NULL && s->held[i].in_trans;
        in_trans = in_trans || used[i];
    }
    if (!in_trans) {
        return true;
    }
    for (i = 0; i < plan->ntargets; i++) {
        used[plan->targets[i].shard] = true;
    }
    for (i = 0; i < cfg->nshards; i++) {
        n += used[i];
    }
    if (n <= 1) {
        return true;
    }
    snprintf(message, sizeof(message),
             "this statement would extend the transaction to %zu shards, and transaction_mode is "
             "\"single\": commit or roll back first, or keep the transaction on one shard",
             n);
    session_reply_error(s, SP_ER_NOT_SUPPORTED_YET, "42000", message);
    return false;
}

/*
 * A statement that commits implicitly (DDL, LOCK TABLES, GRANT ...)
 * commits the whole transaction on a server. The shards it does not reach
 * get a COMMIT in the same step, as extra targets at the end of the plan.
 * Replies the ERR and returns false when that cannot be done.
 */
bool
session_commit_before(struct sp_session *s, struct sp_plan *plan)
{
    const struct sp_config *cfg = s->worker->proxy->cfg;
    struct sp_plan_target *targets;
    bool want[cfg->nshards];
    size_t i, n = 0;

    if (!plan->implicit_commit) {
        return true;
    }
    for (i = 0; i < cfg->nshards; i++) {
        want[i] = s->held[i].backend != NULL && s->held[i].in_trans;
    }
    for (i = 0; i < plan->ntargets; i++) {
        want[plan->targets[i].shard] = false;
    }
    for (i = 0; i < cfg->nshards; i++) {
        n += want[i];
    }
    if (n == 0) {
        return true;
    }
    if (plan->multi_statement || (plan->kind != SP_PLAN_SINGLE && plan->kind != SP_PLAN_BROADCAST)) {
        session_reply_error(s, SP_ER_NOT_SUPPORTED_YET, "42000",
                            "this statement commits the open transaction, which spans other "
                            "shards: send COMMIT first, or send the statement on its own");
        return false;
    }
    targets = sp_arena_alloc(&s->arena, (plan->ntargets + n) * sizeof(*targets));
    if (targets == NULL) {
        session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory while routing");
        return false;
    }
    memcpy(targets, plan->targets, plan->ntargets * sizeof(*targets));
    for (i = 0; i < cfg->nshards; i++) {
        if (want[i]) {
            targets[plan->ntargets].shard = (uint32_t)i;
            targets[plan->ntargets].sql = sp_str_cstr("COMMIT");
            plan->ntargets++;
        }
    }
    plan->targets = targets;
    plan->ncommit_only = n;
    /*
     * DDL replies with an OK, which the merge can join with a failed
     * COMMIT. Other statements (ANALYZE TABLE, LOCK TABLES, FLUSH ...)
     * stream their reply, which may be rows; a COMMIT that fails then is
     * only logged.
     */
    if (plan->stmt == SP_STMT_DDL_TABLE || plan->stmt == SP_STMT_DDL_DATABASE ||
        plan->kind != SP_PLAN_SINGLE) {
        plan->kind = SP_PLAN_BROADCAST;
    }
    return true;
}
