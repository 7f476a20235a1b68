/*
 * Writes over several shards as one statement. One server applies a
 * statement whole or not at all. Over several shards, a split INSERT
 * could fail on one shard after the others had applied their rows.
 *
 * So such a write runs in a transaction on each shard, or after a
 * savepoint inside the session's own transaction. Before the client gets
 * its reply, the proxy commits it everywhere, or rolls it back where it
 * succeeded when it failed somewhere.
 *
 * The commit itself is shard by shard: a shard that fails to commit
 * after others did leaves the write partial, and the ERR says where.
 */
#include <stdio.h>
#include <string.h>

#include "protocol/command.h"
#include "proxy/exec_internal.h"
#include "proxy/log.h"
#include "proxy/session.h"
#include "proxy/worker.h"

bool
exec_atomic_applies(const struct sp_session *s, const struct sp_plan *plan, uint8_t command)
{
    (void)s;
    if (command != SP_COM_QUERY || plan->multi_statement ||
        plan->ntargets - plan->ncommit_only < 2) {
        return false;
    }
    if (plan->kind != SP_PLAN_SCATTER_OK && plan->kind != SP_PLAN_BROADCAST) {
        return false;
    }
    return plan->stmt == SP_STMT_INSERT || plan->stmt == SP_STMT_REPLACE ||
           plan->stmt == SP_STMT_UPDATE || plan->stmt == SP_STMT_DELETE;
}

/* Runs SQL on the shards in WANT, as the step KIND that follows the statement. */
static void
followup_run(struct sp_session *s, enum sp_followup kind, struct sp_str sql, const bool *want)
{
    struct sp_plan plan;
    size_t i, n = 0;

    memset(&plan, 0, sizeof(plan));
    plan.targets = sp_arena_alloc(&s->arena,
                                  s->worker->proxy->cfg->nshards * sizeof(*plan.targets));
    if (plan.targets == NULL) {
        sp_session_close(s, "out of memory");
        return;
    }
    for (i = 0; i < s->worker->proxy->cfg->nshards; i++) {
        if (want[i]) {
            plan.targets[n].shard = (uint32_t)i;
            plan.targets[n].sql = sql;
            n++;
        }
    }
    plan.ntargets = n;
    plan.kind = SP_PLAN_BROADCAST;
    plan.stmt = kind == SP_FOLLOWUP_COMMIT ? SP_STMT_COMMIT
                : kind == SP_FOLLOWUP_UNDO ? SP_STMT_OTHER
                                           : SP_STMT_ROLLBACK;
    s->followup = kind;
    sp_exec_start(s, &plan, SP_COM_QUERY);
}

bool
exec_followup_rollback_kept(struct sp_session *s)
{
    size_t nshards = s->worker->proxy->cfg->nshards;
    bool want[nshards];
    bool any = false;

    for (size_t i = 0; i < nshards; i++) {
        want[i] = s->held[i].backend != NULL && s->held[i].in_trans;
        any = any || want[i];
    }
    if (!any) {
        return false;
    }
    followup_run(s, s->exec.atomic ? SP_FOLLOWUP_ROLLBACK : SP_FOLLOWUP_ROLLBACK_KEPT,
                 sp_str_cstr("ROLLBACK"), want);
    return true;
}

bool
exec_atomic_followup_start(struct sp_session *s, bool ok)
{
    struct sp_exec *ex = &s->exec;
    size_t nshards = s->worker->proxy->cfg->nshards;
    bool want[nshards];
    enum sp_followup kind;
    bool any = false;
    size_t i;

    if (ex->in_trans) {
        if (ok) {
            return false; /* the session's transaction goes on with the whole write */
        }
        kind = SP_FOLLOWUP_UNDO;
    } else {
        kind = ok ? SP_FOLLOWUP_COMMIT : SP_FOLLOWUP_ROLLBACK;
    }

    memset(want, 0, sizeof(want));
    for (i = 0; i < ex->nlegs; i++) {
        const struct sp_leg *leg = &ex->legs[i];
        const struct sp_held_backend *held = &s->held[leg->shard];

        /* A shard where the write failed undid it itself; a lost connection took it along. */
        if (leg->commit_only || held->backend == NULL || !held->in_trans ||
            (kind == SP_FOLLOWUP_UNDO && leg->failed)) {
            continue;
        }
        want[leg->shard] = true;
        any = true;
    }
    if (!any) {
        if (!ok) {
            /* Nothing of the write is left anywhere: the client gets the failure as it was. */
            s->deferred.err = s->deferred.first_err;
        }
        return false;
    }
    followup_run(s, kind,
                 sp_str_cstr(kind == SP_FOLLOWUP_UNDO ? "ROLLBACK TO SAVEPOINT " SP_STMT_SAVEPOINT
                             : kind == SP_FOLLOWUP_COMMIT ? "COMMIT"
                                                          : "ROLLBACK"),
                 want);
    return true;
}

void
exec_atomic_followup_done(struct sp_session *s)
{
    struct sp_exec *ex = &s->exec;
    struct sp_reply *reply = &s->deferred;
    const struct sp_leg *failed = NULL;
    enum sp_followup kind = s->followup;
    char done[256] = "";
    size_t i, used = 0;

    s->followup = SP_FOLLOWUP_NONE;
    if (kind == SP_FOLLOWUP_ROLLBACK_KEPT) {
        /* The client has its reply already. */
        if (ex->broken) {
            sp_session_flush(s);
            sp_session_close(s, "response stream to the client broken");
            return;
        }
        sp_session_command_done(s);
        return;
    }
    for (i = 0; i < ex->nlegs; i++) {
        const struct sp_leg *leg = &ex->legs[i];

        if (leg->failed) {
            failed = failed != NULL ? failed : leg;
        } else if (used < sizeof(done)) {
            used += (size_t)snprintf(done + used, sizeof(done) - used, "%s%s", used > 0 ? ", " : "",
                                     s->worker->proxy->cfg->shards[leg->shard].name);
        }
    }

    if (failed == NULL) {
        if (reply->is_err) {
            /* Undone wherever it succeeded: as on one server, the statement just failed. */
            reply->err = reply->first_err;
        }
    } else if (kind == SP_FOLLOWUP_COMMIT) {
        reply->is_err = true;
        sp_error_set(&reply->err, failed->error.code, failed->error.sqlstate,
                     "the write succeeded on every shard, but failed to commit on shard %s: %s%s%s",
                     s->worker->proxy->cfg->shards[failed->shard].name, failed->error.message,
                     used > 0 ? "; it was committed on shard " : "", done);
        sp_log_warn("partial_failure", "worker=%u conn=%u commit_failed=\"%s\" committed=\"%s\" "
                    "error=\"%s\"", s->worker->id, s->connection_id,
                    s->worker->proxy->cfg->shards[failed->shard].name, done,
                    failed->error.message);
    } else {
        /* Not undone on one shard: the client gets the partial error, which names where it succeeded. */
        sp_log_warn("partial_failure", "worker=%u conn=%u undo_failed=\"%s\" error=\"%s\"",
                    s->worker->id, s->connection_id,
                    s->worker->proxy->cfg->shards[failed->shard].name, failed->error.message);
    }

    if (exec_append_reply(s, reply) != SP_OK || ex->broken) {
        sp_session_flush(s);
        sp_session_close(s, "response stream to the client broken");
        return;
    }
    sp_session_command_done(s);
}
