/*
 * Plan execution: legs, preliminary commands, response streaming with
 * sequence-id rewriting and EOF translation, and result merging for
 * multi-shard writes. See exec.h for the model.
 *
 * Every leg's backend delivers bytes through sp_exec_on_backend_data. The
 * leg walks them packet by packet with a response tracker. Each packet is
 * forwarded, dropped or replaced; a scatter leg whose turn has not come
 * leaves it in the backend's buffer.
 */
#include "proxy/exec.h"
#include "proxy/exec_internal.h"
#include "proxy/exec_route.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/charset.h"
#include "protocol/codec.h"
#include "protocol/command.h"
#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "protocol/result.h"
#include "protocol/stmt.h"
#include "proxy/backend.h"
#include "proxy/log.h"
#include "proxy/session.h"
#include "proxy/worker.h"
#include "router/sqlprepare.h"

/*
 * Makes the status flags of an OK or EOF packet that a backend sent (its
 * first LEN bytes at PAYLOAD, in the client buffer) tell the session's
 * state: backends always run in autocommit mode, and the proxy keeps
 * autocommit off and open transactions itself. Clients read these flags:
 * PyMySQL skips SET autocommit when the flags show it is on already.
 */
static void
exec_fix_status(const struct sp_session *s, uint8_t *payload, size_t len)
{
    struct sp_cursor c;
    uint64_t skip;
    uint16_t status;
    size_t at;

    if (!s->implicit_txn && !s->txn_open) {
        return;
    }
    if (len >= 5 && payload[0] == SP_PACKET_EOF && len < 9) {
        at = 3; /* 0xFE, warnings, status */
    } else {
        sp_cursor_init(&c, payload, len);
        if (sp_codec_skip(&c, 1) != SP_OK || sp_codec_take_lenenc_int(&c, &skip, NULL) != SP_OK ||
            sp_codec_take_lenenc_int(&c, &skip, NULL) != SP_OK || sp_cursor_left(&c) < 2) {
            return;
        }
        at = c.pos;
    }
    status = (uint16_t)(payload[at] | payload[at + 1] << 8);
    if (s->implicit_txn) {
        status &= (uint16_t)~SP_SERVER_STATUS_AUTOCOMMIT;
    }
    if (s->txn_open && s->txn_active) {
        status |= SP_SERVER_STATUS_IN_TRANS;
    }
    payload[at] = (uint8_t)status;
    payload[at + 1] = (uint8_t)(status >> 8);
}

/* Errors after which a read on a replica runs again elsewhere. */
#define EXEC_ER_BAD_DB 1049
#define EXEC_ER_SERVER_SHUTDOWN 1053
#define EXEC_ER_BAD_FIELD 1054
#define EXEC_ER_NO_SUCH_TABLE 1146
#define EXEC_ER_QUERY_INTERRUPTED 1317
#define EXEC_ER_CONNECTION_KILLED 1927

/* Whether LEG's statement ran inside a transaction and failed on a lock. */
bool
exec_leg_lock_failure(const struct sp_leg *leg)
{
    const struct sp_exec *ex = &leg->session->exec;

    return leg->failed && (ex->in_trans || leg->was_in_trans) &&
           (leg->error.code == EXEC_ER_LOCK_WAIT_TIMEOUT || leg->error.code == EXEC_ER_LOCK_DEADLOCK);
}

static void exec_leg_next_step(struct sp_leg *leg);
static void exec_maybe_finish(struct sp_session *s);
static void exec_leg_retry_elsewhere(struct sp_leg *leg, const char *reason);
static void exec_leg_acquire(struct sp_leg *leg, uint32_t avoid_node);

static uint32_t
exec_endpoint(const struct sp_session *s, uint32_t node)
{
    const struct sp_proxy *proxy = s->worker->proxy;
    uint32_t user = (uint32_t)(s->user - proxy->users);

    return node * (uint32_t)proxy->nusers + user;
}

static void
exec_leg_emit_failure(struct sp_leg *leg)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;

    if ((!exec_is_streaming(ex) && ex->kind != SP_PLAN_SCATTER_MERGE) || ex->client_failed) {
        return;
    }
    if (leg->stream_left > 0 && leg->stream_forward) {
        /* The client is in the middle of a packet: nothing valid can follow. */
        ex->broken = true;
        return;
    }
    if (sp_session_append_err(s, &leg->error) != SP_OK) {
        ex->broken = true;
        return;
    }
    ex->client_failed = true;
    ex->sent_anything = true;
}

static int exec_send_stmt_close(struct sp_backend *be, uint32_t id);

/* The cache key of SQL prepared on BE in its current database and collation. */
static struct sp_backend_stmt_key
exec_stmt_key(const struct sp_backend *be, struct sp_str sql)
{
    struct sp_backend_stmt_key key = {sql, sp_str_make(be->db, be->dblen), be->collation};

    return key;
}

/*
 * After a client's COM_STMT_PREPARE: the backend keeps the statement for
 * the executes that reach it, unless it has the same text prepared already
 * or the statement text could not be kept.
 */
static int
exec_keep_prepared(struct sp_leg *leg, struct sp_backend *be)
{
    struct sp_backend_stmt_key key = exec_stmt_key(be, leg->arg);
    uint32_t evicted;
    int rc;

    if (sp_backend_stmts_find(&be->stmts, &key) != NULL) {
        return exec_send_stmt_close(be, leg->backend_stmt);
    }
    if (sp_backend_stmts_make_room(&be->stmts, &evicted)) {
        rc = exec_send_stmt_close(be, evicted);
        if (rc != SP_OK) {
            return rc;
        }
    }
    if (sp_backend_stmts_add(&be->stmts, &key, leg->backend_stmt) != SP_OK) {
        return exec_send_stmt_close(be, leg->backend_stmt);
    }
    return SP_OK;
}

/*
 * After an execute or a fetch of a prepared statement: an execute that
 * opened a cursor keeps its connection with the session, and a fetch that
 * sent the last row (the server then closes the cursor) lets it go.
 */
static void
exec_track_cursor(struct sp_leg *leg, uint16_t status)
{
    struct sp_session *s = leg->session;
    struct sp_prepared *stmt = s->exec.ps;
    struct sp_held_backend *held = &s->held[leg->shard];

    if (leg->command == SP_COM_STMT_EXECUTE && (status & SP_SERVER_STATUS_CURSOR_EXISTS) != 0) {
        stmt->cursor_shard = (int32_t)leg->shard;
        stmt->cursor_backend_stmt = leg->backend_stmt;
        held->cursors++;
    } else if (leg->command == SP_COM_STMT_FETCH &&
               ((status & SP_SERVER_STATUS_LAST_ROW_SENT) != 0 ||
                (status & SP_SERVER_STATUS_CURSOR_EXISTS) == 0) &&
               stmt->cursor_shard >= 0) {
        stmt->cursor_shard = -1;
        if (held->cursors > 0) {
            held->cursors--;
        }
    }
}

/* A tracked SET succeeded on BE: the session and that connection now have its values. */
static int
exec_apply_set_vars(struct sp_session *s, struct sp_backend *be)
{
    const struct sp_exec *ex = &s->exec;
    int rc = SP_OK;

    for (size_t i = 0; i < ex->nset_vars && rc == SP_OK; i++) {
        rc = sp_sysvars_set(&s->vars, ex->set_vars[i].name, ex->set_vars[i].value);
        if (rc == SP_OK) {
            rc = sp_sysvars_set(&be->vars, ex->set_vars[i].name, ex->set_vars[i].value);
        }
    }
    return rc;
}

/* Keeps LEG's backend with the session, or returns it to the pool. */
static void
exec_leg_release(struct sp_leg *leg)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;
    struct sp_backend *be = leg->backend;
    struct sp_held_backend *held = &s->held[leg->shard];
    uint16_t status = leg->tracker.status;
    bool in_trans, pinned, had_locks_or_temps;

    if (be == NULL) {
        return;
    }
    leg->backend = NULL;
    be->leg = NULL;

    if (s->state == SP_SESSION_CLOSING) {
        sp_backend_close(be, "client session closed");
        return;
    }

    if (leg->command == SP_COM_STMT_PREPARE) {
        /*
         * The proxy prepares again wherever a statement runs, so the
         * backend's statement is closed now (no reply comes). A prepare
         * response carries no status flags: the backend keeps the state
         * it had.
         */
        if (leg->has_backend_stmt && exec_keep_prepared(leg, be) != SP_OK) {
            sp_backend_close(be, "cannot close a prepared statement");
            return;
        }
        status = (uint16_t)((leg->was_in_trans ? SP_SERVER_STATUS_IN_TRANS : 0) |
                            (s->autocommit ? SP_SERVER_STATUS_AUTOCOMMIT : 0));
    } else if (!leg->failed) {
        if (ex->use_db.len > 0 && ex->use_db.len <= SP_BACKEND_DB_MAX) {
            memcpy(be->db, ex->use_db.ptr, ex->use_db.len);
            be->dblen = ex->use_db.len;
        }
        s->autocommit = (status & SP_SERVER_STATUS_AUTOCOMMIT) != 0;
        s->no_backslash_escapes = (status & SP_SERVER_STATUS_NO_BACKSLASH_ESCAPES) != 0;
        if (ex->nset_vars > 0 && exec_apply_set_vars(s, be) != SP_OK) {
            sp_backend_close(be, "out of memory for session variables");
            return;
        }
    }

    if (!leg->failed && ex->ps != NULL) {
        exec_track_cursor(leg, status);
    }
    in_trans = (status & SP_SERVER_STATUS_IN_TRANS) != 0 ||
               (leg->failed && leg->was_in_trans);
    /*
     * Table locks, user locks and temporary tables keep the connection
     * until they are released; any other state the proxy cannot carry
     * keeps it for the rest of the session.
     */
    pinned = held->pinned || !s->autocommit || ex->pins;
    had_locks_or_temps = held->state.user_locks > 0 || held->state.ntemps > 0;
    if (!leg->failed &&
        sp_pin_state_apply(&held->state, &ex->pin, sp_str_make(s->db, s->dblen)) != SP_OK) {
        sp_pin_state_clear(&held->state);
        held->pinned = false;
        sp_backend_close(be, "out of memory for session state");
        return;
    }
    if (leg->on_replica && (pinned || sp_pin_state_active(&held->state) || held->cursors > 0)) {
        /* The session's next statements on the shard must reach its primary. */
        sp_backend_close(be, "a read on a replica left session state");
        return;
    }
    if (in_trans || pinned || sp_pin_state_active(&held->state) || held->cursors > 0) {
        be->holder = s;
        held->backend = be;
        held->in_trans = in_trans;
        held->pinned = pinned;
        sp_backend_read_start(be); /* notice if the server closes it */
        return;
    }
    held->pinned = false;
    held->in_trans = false;
    if (had_locks_or_temps) {
        /*
         * Released as far as the proxy counted, but a lock not granted or
         * a table the count missed would reach the next client: closing
         * ends them for sure.
         */
        sp_backend_close(be, "user locks and temporary tables released");
        return;
    }
    sp_pool_put(&s->worker->pool, be);
}

static void
exec_leg_complete(struct sp_leg *leg)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;
    struct sp_leg *next;

    if (leg->state == SP_LEG_DONE) {
        return;
    }
    leg->state = SP_LEG_DONE;
    /* A statement that never reached the shard (it was down) changed nothing there. */
    if (!leg->on_replica && leg->statement_sent) {
        exec_route_note_end(s, leg->shard, ex->writes, ex->commits);
    }
    leg->status = leg->tracker.status;
    leg->warnings = leg->tracker.warnings;
    leg->affected_rows = leg->tracker.affected_rows;
    leg->last_insert_id = leg->tracker.last_insert_id;
    exec_leg_release(leg);
    ex->ndone++;

    if (ex->kind == SP_PLAN_SCATTER_ROWS && ex->active == leg->index) {
        ex->active++;
        if (ex->active < ex->nlegs) {
            uint64_t generation = s->ncommands;

            next = &ex->legs[ex->active];
            if (next->backend != NULL) {
                sp_backend_read_start(next->backend);
            }
            exec_leg_process(next);
            if (s->ncommands != generation || s->state != SP_SESSION_EXECUTING) {
                return; /* that leg finished the command */
            }
        }
    }
    exec_maybe_finish(s);
}

/* Fails LEG with ERR (no response of its own will come). */
static void
exec_leg_fail(struct sp_leg *leg, const struct sp_error *err)
{
    if (leg->state == SP_LEG_DONE) {
        return;
    }
    leg->failed = true;
    leg->error = *err;
    if (leg->backend != NULL) {
        struct sp_backend *be = leg->backend;

        leg->backend = NULL;
        be->leg = NULL;
        sp_backend_close(be, err->message);
    }
    exec_leg_process(leg);
}

/* Runs when a failed leg may report: streams its ERR or records it. */
static bool
exec_leg_finish_failed(struct sp_leg *leg)
{
    if (!leg->failed || leg->backend != NULL) {
        return false;
    }
    if (leg->session->exec.kind == SP_PLAN_SCATTER_ROWS && !exec_leg_is_active(leg)) {
        return true; /* reported when its turn comes */
    }
    exec_leg_emit_failure(leg);
    exec_leg_complete(leg);
    return true;
}

static void
exec_leg_prestep_done(struct sp_leg *leg)
{
    struct sp_session *s = leg->session;
    struct sp_backend *be = leg->backend;
    struct sp_backend_stmt_key key;

    switch (leg->prestep_running) {
    case SP_PRESTEP_INIT_DB:
        memcpy(be->db, s->db, s->dblen);
        be->dblen = s->dblen;
        break;
    case SP_PRESTEP_SET_NAMES:
        be->collation = s->collation;
        break;
    case SP_PRESTEP_BEGIN:
        /*
         * From here the connection carries the session's transaction, so a
         * statement that fails on it must not send it back to the pool.
         */
        leg->was_in_trans = true;
        break;
    case SP_PRESTEP_COMMIT:
        leg->was_in_trans = false;
        break;
    case SP_PRESTEP_SAVEPOINTS:
        /* A shard that joins the transaction gets its savepoints, so ROLLBACK TO reaches it too. */
        if (++leg->savepoint_next < s->nsavepoints) {
            leg->presteps |= SP_PRESTEP_SAVEPOINTS;
        }
        break;
    case SP_PRESTEP_SET_VARS:
        if (sp_sysvars_copy(&be->vars, &s->vars) != SP_OK) {
            struct sp_error err;

            /* The connection's variables are no longer known: it must not serve again. */
            sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
            exec_leg_fail(leg, &err);
            return;
        }
        break;
    case SP_PRESTEP_PREPARE:
        key = exec_stmt_key(be, s->exec.ps->sql);
        if (!leg->has_backend_stmt || sp_backend_stmts_add(&be->stmts, &key, leg->backend_stmt) != SP_OK) {
            struct sp_error err;

            sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "cannot prepare the statement on shard %s", sp_backend_shard_name(be));
            exec_leg_fail(leg, &err);
            return;
        }
        break;
    default:
        break;
    }
    leg->prestep_running = 0;
    exec_leg_next_step(leg);
}

/*
 * Runs a replica read again elsewhere when it failed before any of its
 * response reached the client. A replica that is going away sends it to
 * another replica or the primary. A schema error (the replica may be
 * behind) sends it to the primary, whose reply is the one a server gives.
 */
static bool
exec_replica_retry_on_err(struct sp_leg *leg, const uint8_t *payload, size_t len)
{
    struct sp_session *s = leg->session;
    struct sp_backend *be = leg->backend;
    uint16_t code;
    bool going_away;

    if (!leg->on_replica || leg->retried || leg->got_bytes || len < 3) {
        return false;
    }
    code = (uint16_t)(payload[1] | payload[2] << 8);
    going_away = code == EXEC_ER_SERVER_SHUTDOWN || code == EXEC_ER_CONNECTION_KILLED ||
                 code == EXEC_ER_QUERY_INTERRUPTED;
    if (!going_away && code != EXEC_ER_BAD_DB && code != EXEC_ER_NO_SUCH_TABLE &&
        code != EXEC_ER_BAD_FIELD) {
        return false;
    }
    sp_log_info("replica_retry", "worker=%u conn=%u shard=%s addr=%s:%u error=%u",
                s->worker->id, s->connection_id, sp_backend_shard_name(be), sp_backend_host(be),
                sp_backend_port(be), code);
    if (going_away) {
        sp_pool_avoid(&s->worker->pool, be->endpoint);
    }
    exec_leg_retry_elsewhere(leg, going_away ? "the replica is going away"
                                             : "the replica's schema is behind");
    return true;
}

/*
 * Walks the bytes buffered from LEG's backend. Stops when they run out,
 * when the leg must wait for its turn, or when the client cannot take more.
 */
static void
exec_leg_process_packets(struct sp_leg *leg)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;

    for (;;) {
        struct sp_backend *be = leg->backend;
        struct sp_packet_header hdr;
        struct sp_response_tracker probe;
        enum sp_packet_role role;
        enum leg_action action;
        const uint8_t *data;
        size_t avail, take;
        uint8_t wire[SP_PACKET_HEADER_LEN];

        if (leg->state == SP_LEG_DONE || s->state == SP_SESSION_CLOSING || ex->broken) {
            return;
        }
        if (exec_leg_finish_failed(leg)) {
            return;
        }
        if (be == NULL || (leg->state != SP_LEG_RUNNING && leg->state != SP_LEG_PRESTEP)) {
            return;
        }

        data = sp_buf_unread(&be->in);
        avail = sp_buf_unread_len(&be->in);

        /* The rest of a large packet whose fate was decided at its start. */
        if (leg->stream_left > 0) {
            take = avail < leg->stream_left ? avail : leg->stream_left;
            if (take == 0) {
                return;
            }
            if (leg->stream_forward) {
                if (sp_session_write_blocked(s)) {
                    s->write_paused = true;
                    sp_backend_read_stop(be);
                    return;
                }
                if (sp_buf_append(&s->out, data, take) != SP_OK) {
                    ex->broken = true;
                    return;
                }
            }
            sp_buf_consume(&be->in, take);
            leg->stream_left -= take;
            continue;
        }

        if (leg->state == SP_LEG_PRESTEP && sp_response_tracker_done(&leg->tracker)) {
            exec_leg_prestep_done(leg);
            continue;
        }
        if (leg->state == SP_LEG_RUNNING && sp_response_tracker_done(&leg->tracker)) {
            if (!leg->tracker.continuing) {
                exec_leg_complete(leg);
                return;
            }
        }

        if (sp_packet_parse_header(data, avail, &hdr) != SP_OK) {
            return;
        }
        take = hdr.len < SP_RESPONSE_HEAD_MAX ? hdr.len : SP_RESPONSE_HEAD_MAX;
        if (avail - SP_PACKET_HEADER_LEN < take) {
            return; /* wait for the head of the packet */
        }
        if (exec_is_streaming(ex) && leg->state == SP_LEG_RUNNING && sp_session_write_blocked(s)) {
            s->write_paused = true;
            sp_backend_read_stop(be);
            return;
        }
        if ((ex->kind == SP_PLAN_SCATTER_MERGE || ex->binary) && leg->state == SP_LEG_RUNNING) {
            /* The merger and the binary row builder take whole rows. */
            if (hdr.len >= SP_PACKET_MAX_PAYLOAD) {
                struct sp_error err;

                sp_error_set(&err, SP_ER_NOT_SUPPORTED_YET, "42000",
                             "a row of 16 MiB or more in a result merged from several shards or "
                             "returned to a prepared statement is not supported yet");
                exec_leg_fail(leg, &err);
                return;
            }
            if (avail - SP_PACKET_HEADER_LEN < hdr.len) {
                return;
            }
        }

        probe = leg->tracker;
        if (sp_response_tracker_feed(&probe, hdr.len, data + SP_PACKET_HEADER_LEN,
                                     avail - SP_PACKET_HEADER_LEN, &role) != SP_OK) {
            struct sp_error err;

            sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "unexpected packet from shard %s; the statement's outcome is unknown",
                         sp_backend_shard_name(be));
            exec_leg_fail(leg, &err);
            return;
        }

        if (leg->state == SP_LEG_PRESTEP) {
            if (role == SP_ROLE_PREPARE_OK) {
                const uint8_t *p = data + SP_PACKET_HEADER_LEN;

                leg->backend_stmt = (uint32_t)p[1] | (uint32_t)p[2] << 8 | (uint32_t)p[3] << 16 |
                                    (uint32_t)p[4] << 24;
                leg->has_backend_stmt = true;
            }
            if (role == SP_ROLE_ERR) {
                /* The preliminary command failed, so its ERR is the leg's reply. */
                leg->state = SP_LEG_RUNNING;
                leg->prestep_running = 0;
            } else {
                leg->tracker = probe;
                sp_buf_consume(&be->in, SP_PACKET_HEADER_LEN + hdr.len < avail
                                            ? SP_PACKET_HEADER_LEN + hdr.len
                                            : avail);
                leg->stream_left = SP_PACKET_HEADER_LEN + hdr.len > avail
                                       ? SP_PACKET_HEADER_LEN + hdr.len - avail
                                       : 0;
                leg->stream_forward = false;
                continue;
            }
        }

        if (role == SP_ROLE_ERR && exec_replica_retry_on_err(leg, data + SP_PACKET_HEADER_LEN, take)) {
            return;
        }
        leg->got_bytes = true;
        if (leg->command == SP_COM_STMT_PREPARE) {
            action = exec_prepare_action(leg, role, data + SP_PACKET_HEADER_LEN, take);
        } else if (leg->commit_only) {
            exec_merge_record(leg, role, data + SP_PACKET_HEADER_LEN, take);
            action = LEG_DROP;
        } else if (exec_is_streaming(ex)) {
            action = exec_stream_action(leg, role, probe.status, probe.warnings);
            if (ex->binary && action == LEG_FORWARD) {
                action = exec_binary_action(leg, role, data + SP_PACKET_HEADER_LEN, hdr.len);
            }
        } else if (ex->kind == SP_PLAN_SCATTER_MERGE) {
            action = exec_merge_action(leg, role, data + SP_PACKET_HEADER_LEN, hdr.len,
                                       probe.status, probe.warnings);
        } else {
            exec_merge_record(leg, role, data + SP_PACKET_HEADER_LEN, take);
            action = LEG_DROP;
        }
        if (role == SP_ROLE_ERR && exec_is_streaming(ex) && !leg->commit_only) {
            exec_leg_record_err(leg, data + SP_PACKET_HEADER_LEN, take);
            if (action == LEG_FORWARD && exec_leg_lock_failure(leg) &&
                leg->error.code == EXEC_ER_LOCK_WAIT_TIMEOUT) {
                struct sp_error err;

                sp_error_set(&err, EXEC_ER_LOCK_DEADLOCK, "40001",
                             "Deadlock found when trying to get lock; try restarting transaction "
                             "(a lock wait on shard %s timed out, as a deadlock between shards "
                             "does; the transaction was rolled back on every shard)",
                             sp_backend_shard_name(be));
                action = sp_session_append_err(s, &err) == SP_OK ? LEG_REPLACED : LEG_DROP;
            }
        }

        if (action == LEG_WAIT) {
            if (avail > LEG_BUFFER_MAX) {
                sp_backend_read_stop(be);
            }
            return;
        }
        leg->tracker = probe;

        take = avail - SP_PACKET_HEADER_LEN < hdr.len ? avail - SP_PACKET_HEADER_LEN : hdr.len;
        if (action == LEG_FORWARD) {
            sp_packet_build_header(wire, hdr.len, s->seq++);
            if (sp_buf_append(&s->out, wire, sizeof(wire)) != SP_OK ||
                sp_buf_append(&s->out, data + SP_PACKET_HEADER_LEN, take) != SP_OK) {
                ex->broken = true;
                return;
            }
            if (role == SP_ROLE_OK || role == SP_ROLE_ROWS_END || role == SP_ROLE_COLUMNS_EOF) {
                exec_fix_status(s, s->out.data + s->out.len - take, take);
            }
            ex->sent_anything = true;
        } else if (action == LEG_REPLACED) {
            ex->sent_anything = true;
        }
        sp_buf_consume(&be->in, SP_PACKET_HEADER_LEN + take);
        leg->stream_left = hdr.len - take;
        leg->stream_forward = action == LEG_FORWARD;
    }
}

void
exec_leg_process(struct sp_leg *leg)
{
    struct sp_session *s = leg->session;
    uint64_t generation = s->ncommands;

    if (leg->processing) {
        return; /* a merge resumed this leg from inside its own processing */
    }
    leg->processing = true;
    exec_leg_process_packets(leg);
    /* When the command ended in there, LEG's memory belongs to the next command. */
    if (s->ncommands == generation) {
        leg->processing = false;
    }
}

static int
exec_send_stmt_close(struct sp_backend *be, uint32_t id)
{
    uint8_t arg[4] = {(uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16), (uint8_t)(id >> 24)};

    /* No reply comes, so the next command can follow at once. */
    return sp_backend_send_command(be, SP_COM_STMT_CLOSE, arg, sizeof(arg));
}

/* Prepares the session's statement on LEG's backend, closing the least used one if full. */
static int
exec_send_prepare(struct sp_leg *leg)
{
    const struct sp_prepared *ps = leg->session->exec.ps;
    uint32_t evicted;
    int rc;

    leg->has_backend_stmt = false;
    if (sp_backend_stmts_make_room(&leg->backend->stmts, &evicted)) {
        rc = exec_send_stmt_close(leg->backend, evicted);
        if (rc != SP_OK) {
            return rc;
        }
    }
    return sp_backend_send_command(leg->backend, SP_COM_STMT_PREPARE, ps->sql.ptr, ps->sql.len);
}

/* Sends the session's execute with LEG's backend statement id and every parameter type. */
static int
exec_send_execute(struct sp_leg *leg)
{
    const struct sp_exec *ex = &leg->session->exec;
    struct sp_buf packet;
    int rc;

    sp_buf_init(&packet);
    rc = sp_stmt_execute_build(&packet, leg->backend_stmt, ex->ps_flags, ex->ps->nparams,
                               ex->ps_params, true);
    if (rc == SP_OK) {
        /* The builder writes the command byte, which send_command adds itself. */
        rc = sp_backend_send_command(leg->backend, SP_COM_STMT_EXECUTE, packet.data + 1,
                                     packet.len - 1);
    }
    sp_buf_deinit(&packet);
    return rc;
}

/* COM_STMT_FETCH for the statement whose cursor is open on LEG's backend. */
static int
exec_send_fetch(struct sp_leg *leg)
{
    const struct sp_exec *ex = &leg->session->exec;
    uint32_t id = ex->ps->cursor_backend_stmt, n = ex->fetch_rows;
    uint8_t arg[8] = {(uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16), (uint8_t)(id >> 24),
                      (uint8_t)n,  (uint8_t)(n >> 8),  (uint8_t)(n >> 16),  (uint8_t)(n >> 24)};

    return sp_backend_send_command(leg->backend, SP_COM_STMT_FETCH, arg, sizeof(arg));
}

static int
exec_send_prestep(struct sp_leg *leg, uint8_t step)
{
    struct sp_session *s = leg->session;
    const struct sp_collation *coll;
    char sql[160];
    int n;

    leg->prestep_running = step;
    leg->state = SP_LEG_PRESTEP;
    sp_response_tracker_init(&leg->tracker, step == SP_PRESTEP_PREPARE ? SP_RESPONSE_MODE_PREPARE
                                                                        : SP_RESPONSE_MODE_QUERY,
                             false);

    switch (step) {
    case SP_PRESTEP_PREPARE:
        return exec_send_prepare(leg);
    case SP_PRESTEP_SET_VARS:
        return sp_backend_send_command(leg->backend, SP_COM_QUERY, leg->vars_sql.ptr,
                                       leg->vars_sql.len);
    case SP_PRESTEP_SAVEPOINTS: {
        const char *name = s->savepoints[leg->savepoint_next];

        n = snprintf(sql, sizeof(sql), "SAVEPOINT %s", name);
        if (n < 0 || (size_t)n >= sizeof(sql)) {
            return SP_ERANGE;
        }
        return sp_backend_send_command(leg->backend, SP_COM_QUERY, sql, (size_t)n);
    }
    case SP_PRESTEP_INIT_DB:
        return sp_backend_send_command(leg->backend, SP_COM_INIT_DB, s->db, s->dblen);
    case SP_PRESTEP_COMMIT:
        return sp_backend_send_command(leg->backend, SP_COM_QUERY, "COMMIT", 6);
    case SP_PRESTEP_STMT_SAVEPOINT:
        return sp_backend_send_command(leg->backend, SP_COM_QUERY, "SAVEPOINT " SP_STMT_SAVEPOINT,
                                       strlen("SAVEPOINT " SP_STMT_SAVEPOINT));
    case SP_PRESTEP_SET_NAMES:
        coll = sp_collation_find(s->collation);
        if (coll == NULL) {
            coll = sp_collation_find(SP_COLLATION_DEFAULT);
        }
        n = snprintf(sql, sizeof(sql), "SET NAMES %s COLLATE %s", coll->charset, coll->collation);
        return sp_backend_send_command(leg->backend, SP_COM_QUERY, sql, (size_t)n);
    default:
        if (s->txn_begin_len > 0) {
            /* The client's own BEGIN, with its options. */
            return sp_backend_send_command(leg->backend, SP_COM_QUERY, s->txn_begin,
                                           s->txn_begin_len);
        }
        n = snprintf(sql, sizeof(sql), "START TRANSACTION");
        return sp_backend_send_command(leg->backend, SP_COM_QUERY, sql, (size_t)n);
    }
}

static void
exec_leg_next_step(struct sp_leg *leg)
{
    struct sp_error err;
    enum sp_response_mode mode;
    uint8_t step = 0;
    int rc;

    if ((leg->presteps & SP_PRESTEP_COMMIT) != 0) {
        step = SP_PRESTEP_COMMIT;
    } else if ((leg->presteps & SP_PRESTEP_INIT_DB) != 0) {
        step = SP_PRESTEP_INIT_DB;
    } else if ((leg->presteps & SP_PRESTEP_SET_NAMES) != 0) {
        step = SP_PRESTEP_SET_NAMES;
    } else if ((leg->presteps & SP_PRESTEP_SET_VARS) != 0) {
        step = SP_PRESTEP_SET_VARS;
    } else if ((leg->presteps & SP_PRESTEP_BEGIN) != 0) {
        step = SP_PRESTEP_BEGIN;
    } else if ((leg->presteps & SP_PRESTEP_SAVEPOINTS) != 0) {
        step = SP_PRESTEP_SAVEPOINTS;
    } else if ((leg->presteps & SP_PRESTEP_STMT_SAVEPOINT) != 0) {
        step = SP_PRESTEP_STMT_SAVEPOINT;
    } else if ((leg->presteps & SP_PRESTEP_PREPARE) != 0) {
        step = SP_PRESTEP_PREPARE;
    }

    if (step != 0) {
        leg->presteps &= (uint8_t)~step;
        rc = exec_send_prestep(leg, step);
    } else {
        switch (leg->command) {
        case SP_COM_FIELD_LIST:
            mode = SP_RESPONSE_MODE_FIELD_LIST;
            break;
        case SP_COM_STATISTICS:
            mode = SP_RESPONSE_MODE_SINGLE;
            break;
        case SP_COM_STMT_PREPARE:
            mode = SP_RESPONSE_MODE_PREPARE;
            break;
        case SP_COM_STMT_FETCH:
            mode = SP_RESPONSE_MODE_FETCH;
            break;
        default:
            mode = SP_RESPONSE_MODE_QUERY;
            break;
        }
        leg->state = SP_LEG_RUNNING;
        leg->statement_sent = true;
        sp_response_tracker_init(&leg->tracker, mode, false);
        if (leg->command == SP_COM_STMT_EXECUTE) {
            rc = exec_send_execute(leg);
        } else if (leg->command == SP_COM_STMT_FETCH) {
            rc = exec_send_fetch(leg);
        } else {
            rc = sp_backend_send_command(leg->backend, leg->command, leg->arg.ptr, leg->arg.len);
        }
    }

    if (rc != SP_OK) {
        sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "cannot send the statement to shard %s: %s",
                     sp_backend_shard_name(leg->backend), sp_status_str(rc));
        exec_leg_fail(leg, &err);
    }
}

/* LEG got backend BE: bring it to the session's state, then run the statement. */
static void
exec_leg_begin(struct sp_leg *leg, struct sp_backend *be)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;

    leg->backend = be;
    be->leg = leg;
    leg->stream_left = 0;
    leg->presteps = 0;

    if (s->dblen > 0 && ex->stmt != SP_STMT_USE &&
        (be->dblen != s->dblen || memcmp(be->db, s->db, s->dblen) != 0)) {
        leg->presteps |= SP_PRESTEP_INIT_DB;
    }
    if (be->collation != s->collation) {
        leg->presteps |= SP_PRESTEP_SET_NAMES;
    }
    if (s->vars.count > 0 || be->vars.count > 0) {
        struct sp_buf sql;
        bool failed;

        sp_buf_init(&sql);
        if (sp_sysvars_diff(&s->vars, &be->vars, &sql, &failed)) {
            char *copy = sp_arena_strndup(&s->arena, (const char *)sql.data, sql.len);

            failed = copy == NULL;
            leg->vars_sql = sp_str_make(copy, sql.len);
            leg->presteps |= SP_PRESTEP_SET_VARS;
        }
        sp_buf_deinit(&sql);
        if (failed) {
            struct sp_error err;

            sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
            leg->backend = NULL;
            be->leg = NULL;
            sp_backend_close(be, "out of memory");
            exec_leg_fail(leg, &err);
            return;
        }
    }
    if (ex->atomic) {
        /*
         * A write over several shards runs in a transaction on each, or
         * after a savepoint inside the session's, so that it can be undone.
         */
        leg->presteps |= ex->in_trans ? SP_PRESTEP_STMT_SAVEPOINT : SP_PRESTEP_BEGIN;
    }
    if (ex->in_trans && !leg->was_in_trans && ex->stmt != SP_STMT_BEGIN &&
        ex->stmt != SP_STMT_COMMIT && ex->stmt != SP_STMT_ROLLBACK &&
        leg->command != SP_COM_STMT_PREPARE) {
        leg->presteps |= SP_PRESTEP_BEGIN;
        if (s->nsavepoints > 0) {
            leg->presteps |= SP_PRESTEP_SAVEPOINTS;
            leg->savepoint_next = 0;
        }
    }
    if (ex->commit_first && leg->was_in_trans) {
        leg->presteps |= SP_PRESTEP_COMMIT;
    }
    if (leg->command == SP_COM_STMT_FETCH) {
        leg->presteps = 0; /* the cursor's connection is as the execute left it */
    }
    if (leg->command == SP_COM_STMT_EXECUTE) {
        struct sp_backend_stmt_key key = exec_stmt_key(be, ex->ps->sql);
        const struct sp_backend_stmt *cached;

        /* The database and collation presteps run first, so the key is the one to come. */
        if (s->dblen > 0) {
            key.db = sp_str_make(s->db, s->dblen);
        }
        key.collation = s->collation;
        cached = sp_backend_stmts_find(&be->stmts, &key);

        leg->has_backend_stmt = cached != NULL;
        if (cached != NULL) {
            leg->backend_stmt = cached->id;
        } else {
            leg->presteps |= SP_PRESTEP_PREPARE;
        }
    }

    sp_backend_read_start(be);
    exec_leg_next_step(leg);
}

static void
exec_on_pool_backend(struct sp_pool_waiter *waiter, struct sp_backend *be,
                     const struct sp_error *err)
{
    struct sp_leg *leg = (struct sp_leg *)((char *)waiter - offsetof(struct sp_leg, waiter));
    struct sp_session *s = leg->session;

    if (err != NULL && leg->on_replica && !leg->retried) {
        leg->retried = true;
        exec_leg_acquire(leg, leg->node);
    } else if (err != NULL) {
        exec_leg_fail(leg, err);
    } else {
        exec_leg_begin(leg, be);
    }
    if (s->state != SP_SESSION_CLOSING) {
        sp_session_flush(s);
    }
}

static void
exec_leg_acquire(struct sp_leg *leg, uint32_t avoid_node)
{
    struct sp_session *s = leg->session;
    struct sp_held_backend *held = &s->held[leg->shard];
    struct sp_backend *be = NULL;
    struct sp_error err;
    int rc;

    if (held->backend != NULL) {
        be = held->backend;
        held->backend = NULL;
        be->holder = NULL;
        leg->from_held = true;
        leg->node = sp_backend_node(be)->index;
        leg->on_replica = sp_backend_node(be)->replica;
        leg->was_in_trans = held->in_trans;
        exec_leg_begin(leg, be);
        return;
    }

    leg->from_held = false;
    leg->state = SP_LEG_WAITING;
    leg->node = exec_route_node(s, leg->shard, s->exec.replica_allowed && !leg->commit_only,
                                s->exec.replica_hinted, avoid_node);
    leg->on_replica = s->worker->proxy->topology.nodes[leg->node].replica;
    memset(&leg->waiter, 0, sizeof(leg->waiter));
    leg->waiter.endpoint = exec_endpoint(s, leg->node);
    leg->waiter.collation = s->collation;
    leg->waiter.found_rows = (s->caps & SP_CLIENT_FOUND_ROWS) != 0;
    leg->waiter.without_db = s->dblen == 0 && s->exec.stmt != SP_STMT_USE;
    leg->waiter.cb = exec_on_pool_backend;

    rc = sp_pool_get(&s->worker->pool, &leg->waiter, &be);
    if (rc == SP_OK) {
        exec_leg_begin(leg, be);
    } else if (rc != SP_EAGAIN && leg->on_replica && !leg->retried) {
        leg->retried = true;
        sp_pool_avoid(&s->worker->pool, leg->waiter.endpoint);
        exec_leg_acquire(leg, leg->node);
    } else if (rc != SP_EAGAIN) {
        sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "cannot connect to shard %s: %s",
                     s->worker->pool.endpoints[leg->waiter.endpoint].shard_name,
                     sp_status_str(rc));
        exec_leg_fail(leg, &err);
    }
}

/*
 * Closes LEG's backend and runs the leg again from the start, on another
 * server when it ran on a replica.
 */
static void
exec_leg_retry_elsewhere(struct sp_leg *leg, const char *reason)
{
    struct sp_backend *be = leg->backend;

    leg->retried = true;
    leg->was_in_trans = false; /* a transaction begun on the dead connection died with it */
    leg->backend = NULL;
    be->leg = NULL;
    sp_backend_close(be, reason);
    exec_leg_acquire(leg, leg->on_replica ? leg->node : UINT32_MAX);
}

void
sp_exec_on_backend_data(struct sp_leg *leg)
{
    struct sp_session *s = leg->session;
    uint64_t generation = s->ncommands;

    exec_leg_process(leg);
    if (s->exec.kind == SP_PLAN_SCATTER_MERGE && s->ncommands == generation &&
        s->state == SP_SESSION_EXECUTING) {
        exec_merge_resume(s);
    }
    if (s->state != SP_SESSION_CLOSING && s->state == SP_SESSION_EXECUTING) {
        sp_session_flush(s);
    }
}

void
sp_exec_on_backend_error(struct sp_leg *leg, const char *reason)
{
    struct sp_session *s = leg->session;
    struct sp_exec *ex = &s->exec;
    struct sp_backend *be = leg->backend;
    struct sp_error err;
    bool retry;

    sp_log_warn("backend_lost", "worker=%u conn=%u shard=%s addr=%s:%u error=\"%s\"",
                s->worker->id, s->connection_id, sp_backend_shard_name(be), sp_backend_host(be),
                sp_backend_port(be), reason);

    /*
     * A pooled connection that died before replying (the server closed it
     * while idle) is safe to replace for a statement without side effects.
     */
    /* A replica that failed may be down for good: the retry goes elsewhere. */
    retry = !leg->got_bytes && ex->retryable && !leg->retried &&
            ((!leg->from_held && (be->reused || leg->on_replica)) ||
             (leg->from_held && leg->on_replica && !s->txn_wrote));
    /*
     * A transaction's part on a replica only read (its first write moves
     * it away), so its end can run anywhere: on a new connection, COMMIT
     * and ROLLBACK end nothing and succeed.
     */
    retry = retry || (leg->on_replica && !leg->retried &&
                      (ex->stmt == SP_STMT_COMMIT || ex->stmt == SP_STMT_ROLLBACK));
    if (retry) {
        if (leg->on_replica) {
            sp_pool_avoid(&s->worker->pool, be->endpoint);
        }
        exec_leg_retry_elsewhere(leg, reason);
        sp_session_flush(s);
        return;
    }

    sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000",
                 "lost connection to shard %s (%s:%u) during the statement: %s%s",
                 sp_backend_shard_name(be), sp_backend_host(be), sp_backend_port(be), reason,
                 ex->retryable ? "" : "; it may or may not have been applied");
    exec_leg_fail(leg, &err);
    if (s->state == SP_SESSION_EXECUTING) {
        sp_session_flush(s);
    }
}

void
sp_exec_on_client_writable(struct sp_session *s)
{
    struct sp_exec *ex = &s->exec;
    size_t i;

    if (ex->kind == SP_PLAN_SCATTER_MERGE) {
        exec_merge_resume(s);
        if (s->state == SP_SESSION_EXECUTING) {
            sp_session_flush(s);
        }
        return;
    }
    for (i = 0; i < ex->nlegs && s->state == SP_SESSION_EXECUTING; i++) {
        struct sp_leg *leg = &ex->legs[i];

        if (leg->state == SP_LEG_DONE || leg->backend == NULL) {
            continue;
        }
        if (ex->kind != SP_PLAN_SCATTER_ROWS || exec_leg_is_active(leg) ||
            sp_buf_unread_len(&leg->backend->in) < LEG_BUFFER_MAX) {
            sp_backend_read_start(leg->backend);
        }
        exec_leg_process(leg);
    }
    if (s->state == SP_SESSION_EXECUTING) {
        sp_session_flush(s);
    }
}


/*
 * A deadlock between two shards is invisible to both servers: it lasts
 * until innodb_lock_wait_timeout ends one statement with 1205. And when a
 * shard finds a deadlock (1213) it rolls back only its own part. Either
 * way the session's transaction is rolled back on every shard, by closing
 * their connections, and the client gets 1213, to restart it, as after a
 * deadlock on one server. Otherwise a BEGIN that the client sends next
 * would commit the other shards' part. A connection that keeps session
 * state, which closing would lose, gets a ROLLBACK instead: returns true
 * when one needs it.
 */
static bool
exec_rollback_after_lock_failure(struct sp_session *s)
{
    const struct sp_config *cfg = s->worker->proxy->cfg;
    struct sp_exec *ex = &s->exec;
    bool lock_failure = false, kept = false;
    size_t i;

    for (i = 0; i < ex->nlegs; i++) {
        lock_failure = lock_failure || exec_leg_lock_failure(&ex->legs[i]);
    }
    if (!lock_failure) {
        return false;
    }
    sp_session_end_transaction(s);
    for (i = 0; i < cfg->nshards; i++) {
        struct sp_held_backend *held = &s->held[i];
        struct sp_backend *be = held->backend;

        if (be == NULL || !held->in_trans) {
            continue;
        }
        if (held->pinned || sp_pin_state_active(&held->state)) {
            kept = true;
            continue;
        }
        held->backend = NULL;
        held->in_trans = false;
        held->cursors = 0;
        be->holder = NULL;
        sp_backend_close(be, "transaction rolled back after a lock wait failed");
    }
    return kept;
}

/*
 * Records what ROW_COUNT(), FOUND_ROWS() and LAST_INSERT_ID(number)
 * return after the statement, as one server would: affected rows after
 * an OK, -1 after rows or an error, and the number of rows the client got.
 */
static void
exec_track_counts(struct sp_session *s)
{
    struct sp_exec *ex = &s->exec;
    uint64_t affected = 0, rows = 0;
    bool result_set = false;
    size_t i;

    if (ex->failed) {
        s->row_count = -1;
        s->sets_insert_id = false;
        s->calc_found_rows = false;
        return;
    }
    if (s->sets_insert_id) {
        s->last_insert_id = s->set_insert_id; /* LAST_INSERT_ID(number) */
        s->sets_insert_id = false;
    }
    for (i = 0; i < ex->nlegs; i++) {
        const struct sp_leg *leg = &ex->legs[i];

        if (leg->commit_only) {
            continue;
        }
        result_set = result_set || leg->got_result_set || leg->tracker.result_sets > 0;
        rows += leg->tracker.rows;
        affected += leg->affected_rows;
        if (ex->same_rows) {
            break; /* every shard reports the same count for its own copy */
        }
    }
    if (!result_set) {
        s->row_count = (int64_t)affected;
        return;
    }
    s->row_count = -1;
    /*
     * The server counts the rows that the LIMIT offset skipped too. A merge
     * counts the rows it skipped. A shard that applied the offset itself
     * skipped all of it when it sent any row.
     * NOTE: a single-shard SELECT whose offset passed all its rows counts 0.
     */
    if (ex->kind == SP_PLAN_SCATTER_MERGE) {
        s->found_rows = ex->merged_rows + ex->merged_skipped;
    } else {
        s->found_rows = rows + (rows > 0 ? s->limit_offset : 0);
    }
    s->found_rows_on_shard = s->calc_found_rows;
    if (s->calc_found_rows) {
        s->found_rows_shard = ex->legs[0].shard;
        s->calc_found_rows = false;
    }
}

static void
exec_maybe_finish(struct sp_session *s)
{
    struct sp_exec *ex = &s->exec;
    bool ok = true, rollback_kept = false;
    size_t i;

    if (ex->starting || ex->ndone < ex->nlegs || s->state != SP_SESSION_EXECUTING) {
        return;
    }
    if (s->followup != SP_FOLLOWUP_NONE) {
        exec_atomic_followup_done(s);
        return;
    }

    if (ex->atomic) {
        exec_merged_reply(s, &s->deferred); /* sent once the write is all or nothing */
    } else if (ex->kind == SP_PLAN_SCATTER_MERGE) {
        exec_merge_finish(s);
    } else if (!exec_is_streaming(ex) || !ex->sent_anything) {
        if (exec_reply_merged(s) != SP_OK) {
            ex->broken = true;
        }
    } else if (ex->kind == SP_PLAN_SCATTER_ROWS && !ex->terminated && !ex->client_failed) {
        struct sp_error err;

        /* Some shards returned rows and the last one none: end the result set with an error. */
        sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "shards returned different kinds of results for the same statement");
        if (sp_session_append_err(s, &err) != SP_OK) {
            ex->broken = true;
        }
    }
    for (i = 0; i < ex->nlegs; i++) {
        if (ex->legs[i].commit_only && ex->legs[i].failed && exec_is_streaming(ex) &&
            ex->sent_anything) {
            /* The client has its reply already: the log is the only place left to tell. */
            sp_log_warn("partial_failure",
                        "worker=%u conn=%u implicit_commit_failed=\"%s\" error=\"%s\"",
                        s->worker->id, s->connection_id,
                        s->worker->proxy->cfg->shards[ex->legs[i].shard].name,
                        ex->legs[i].error.message);
        }
        ok = ok && !ex->legs[i].failed;
    }
    /* LAST_INSERT_ID() gives the id the client got in the OK, whichever shard generated it. */
    if (exec_insert_id(ex) != 0) {
        s->last_insert_id = exec_insert_id(ex);
    }
    ex->failed = !ok;
    exec_track_counts(s);
    if (ok && s->pending_autocommit >= 0) {
        sp_session_apply_autocommit(s, s->pending_autocommit == 1);
    }
    s->pending_autocommit = -1;
    if (!ok) {
        rollback_kept = exec_rollback_after_lock_failure(s);
    } else if (s->pending_savepoint != 0) {
        sp_session_savepoint_done(s);
    }
    if (ok && ex->use_db.len > 0 && ex->use_db.len <= SP_SESSION_DB_MAX) {
        memcpy(s->db, ex->use_db.ptr, ex->use_db.len);
        s->dblen = ex->use_db.len;
    }

    if (rollback_kept && !ex->broken && exec_followup_rollback_kept(s)) {
        return; /* its end ends the command */
    }
    if (ex->atomic && !ex->broken) {
        if (exec_atomic_followup_start(s, ok)) {
            return; /* its end sends the reply */
        }
        if (exec_append_reply(s, &s->deferred) != SP_OK) {
            ex->broken = true;
        }
    }
    if (ex->broken) {
        sp_session_flush(s);
        sp_session_close(s, "response stream to the client broken");
        return;
    }
    sp_session_command_done(s);
}

/*
 * Whether the statement may leave changes on its shards that the
 * session's later reads must see. A SET or BEGIN changes no data, unless
 * it commits an open transaction first.
 */
static bool
exec_may_write(const struct sp_session *s, const struct sp_plan *plan, const struct sp_exec *ex,
               uint8_t command)
{
    if (exec_route_changes_data(s, plan, command)) {
        return true;
    }
    /* A COMMIT counts only after writes: see ex->commits. */
    return (plan->stmt == SP_STMT_SET || plan->stmt == SP_STMT_BEGIN) &&
           (ex->in_trans || ex->commit_first || plan->implicit_commit);
}

void
sp_exec_start(struct sp_session *s, const struct sp_plan *plan, uint8_t command)
{
    struct sp_exec *ex = &s->exec;
    size_t i;

    memset(ex, 0, sizeof(*ex));
    ex->kind = plan->kind;
    ex->stmt = plan->stmt;
    ex->pins = plan->pins_session;
    ex->pin = plan->pin;
    ex->commit_first = plan->commit_first;
    ex->first_row_leg = plan->first_row_target;
    ex->atomic = exec_atomic_applies(s, plan, command);
    ex->use_db = plan->use_db;
    ex->merge_spec = plan->merge;
    ex->same_rows = plan->broadcast_same_rows;
    ex->binary = s->binary_result;
    ex->ps = s->exec_ps;
    ex->ps_params = s->exec_ps_params;
    ex->ps_flags = s->exec_ps_flags;
    ex->set_vars = s->pending_vars;
    ex->nset_vars = s->npending_vars;
    ex->fetch_rows = s->exec_fetch_rows;
    sp_buf_init(&ex->merge_row);
    ex->retryable = !plan->pins_session &&
                    (plan->stmt == SP_STMT_SELECT || plan->stmt == SP_STMT_SHOW ||
                     command == SP_COM_INIT_DB || command == SP_COM_FIELD_LIST ||
                     command == SP_COM_STATISTICS || command == SP_COM_STMT_PREPARE);
    if (plan->implicit_commit) {
        /*
         * The statement commits the transaction before it runs, on the
         * shards it reaches, and the extra COMMIT targets end it on the
         * others: it runs outside a transaction, with no BEGIN first.
         */
        sp_session_end_transaction(s);
    }
    ex->in_trans = s->txn_open && !plan->implicit_commit;
    if (ex->in_trans && plan->stmt != SP_STMT_COMMIT && plan->stmt != SP_STMT_ROLLBACK) {
        s->txn_active = true; /* autocommit off: this statement begins the transaction */
    }
    for (i = 0; i < s->worker->proxy->cfg->nshards && !plan->implicit_commit; i++) {
        ex->in_trans = ex->in_trans || (s->held[i].backend != NULL && s->held[i].in_trans);
    }
    ex->replica_allowed = exec_route_replica_allowed(s, plan, command);
    ex->replica_hinted = plan->hint == SP_HINT_REPLICA;
    if (!ex->replica_allowed && !s->txn_wrote && exec_route_in_transaction(s) &&
        exec_route_changes_data(s, plan, command)) {
        exec_route_leave_replicas(s);
    }
    ex->writes = exec_may_write(s, plan, ex, command);
    ex->commits = plan->stmt == SP_STMT_COMMIT;

    ex->legs = sp_arena_alloc(&s->arena, plan->ntargets * sizeof(*ex->legs));
    if (ex->legs == NULL) {
        struct sp_error err;

        sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
        if (sp_session_append_err(s, &err) != SP_OK) {
            sp_session_close(s, "out of memory");
            return;
        }
        sp_session_command_done(s);
        return;
    }
    memset(ex->legs, 0, plan->ntargets * sizeof(*ex->legs));
    ex->nlegs = plan->ntargets;

    for (i = 0; i < ex->nlegs; i++) {
        struct sp_leg *leg = &ex->legs[i];

        leg->session = s;
        leg->shard = plan->targets[i].shard;
        leg->index = (uint32_t)i;
        leg->command = command;
        leg->arg = plan->targets[i].sql;
        leg->commit_only = i >= ex->nlegs - plan->ncommit_only;
    }

    /* Completion is deferred until every leg has been started. */
    ex->starting = true;
    for (i = 0; i < ex->nlegs && s->state == SP_SESSION_EXECUTING; i++) {
        exec_leg_acquire(&ex->legs[i], UINT32_MAX);
    }
    ex->starting = false;

    if (s->state == SP_SESSION_EXECUTING) {
        sp_session_flush(s);
        exec_maybe_finish(s);
    }
}

void
sp_exec_abort(struct sp_session *s)
{
    struct sp_exec *ex = &s->exec;
    size_t i;

    for (i = 0; i < ex->nlegs; i++) {
        struct sp_leg *leg = &ex->legs[i];

        if (leg->state == SP_LEG_WAITING) {
            sp_pool_cancel(&s->worker->pool, &leg->waiter);
        }
        if (leg->backend != NULL) {
            struct sp_backend *be = leg->backend;

            leg->backend = NULL;
            be->leg = NULL;
            sp_backend_close(be, "client session closed mid-statement");
        }
        leg->state = SP_LEG_DONE;
    }
    ex->nlegs = 0;
    exec_merge_cleanup(ex);
}
