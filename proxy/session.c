/*
 * Client sessions: accept, greeting, the command loop and the write path
 * with backpressure. Authentication is in session_auth.c, the transaction
 * and session-state policy in session_txn.c. Statement execution over backends
 * lives in exec.c; this file decides what each command means.
 */
#include "proxy/session.h"
#include "proxy/session_internal.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include "protocol/auth.h"
#include "protocol/charset.h"
#include "protocol/command.h"
#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "protocol/result.h"
#include "proxy/backend.h"
#include "proxy/log.h"
#include "proxy/worker.h"
#include "router/sessionfn.h"
#include "router/sqlprepare.h"

/*
 * Buffer sizes of a client session. Thousands of mostly idle sessions
 * each keep their buffers between commands, so those stay small: a larger
 * command or result grows them, and they shrink back to this size once
 * the command is done.
 */
#define SESSION_READ_CHUNK 16384
#define HANDSHAKE_MAX_PAYLOAD 65536
#define WRITE_HIGH_WATERMARK (1u << 20)
#define WRITE_LOW_WATERMARK (256u << 10)
#define SESSION_IN_KEEP_BYTES 16384

static void session_process_input(struct sp_session *s);

uint16_t
sp_session_status(const struct sp_session *s)
{
    const struct sp_config *cfg = s->worker->proxy->cfg;
    uint16_t status = 0;
    size_t i;

    if (s->autocommit && !s->implicit_txn) {
        status |= SP_SERVER_STATUS_AUTOCOMMIT;
    }
    if (s->txn_open && s->txn_active) {
        status |= SP_SERVER_STATUS_IN_TRANS;
    }
    for (i = 0; i < cfg->nshards; i++) {
        if (s->held[i].backend != NULL && s->held[i].in_trans) {
            status |= SP_SERVER_STATUS_IN_TRANS;
        }
    }
    return status;
}

bool
sp_session_write_blocked(const struct sp_session *s)
{
    return s->write_queue_bytes > WRITE_HIGH_WATERMARK;
}

static void
session_free_cb(uv_handle_t *handle)
{
    struct sp_session *s = handle->data;

    sp_buf_deinit(&s->in);
    sp_buf_deinit(&s->out);
    sp_buf_deinit(&s->cmd);
    sp_buf_deinit(&s->pending);
    sp_buf_deinit(&s->scratch);
    sp_prepared_set_clear(&s->prepared, NULL, NULL);
    sp_sql_state_clear(&s->sql_state);
    sp_sysvars_free(&s->vars);
    session_savepoints_truncate(s, 0);
    free(s->savepoints);
    sp_arena_deinit(&s->arena);
    free(s->held);
    free(s);
}

void
sp_session_close(struct sp_session *s, const char *reason)
{
    struct sp_worker *w = s->worker;
    size_t i;

    if (s->state == SP_SESSION_CLOSING) {
        return;
    }
    sp_log_debug("session_close", "worker=%u conn=%u reason=\"%s\"", w->id, s->connection_id,
                 reason);

    if (s->state == SP_SESSION_EXECUTING) {
        sp_exec_abort(s);
    }
    s->state = SP_SESSION_CLOSING;
    sp_prepared_set_clear(&s->prepared, session_release_stmt, &w->pool);

    /* Held backends may carry a transaction or session state: never pool them. */
    for (i = 0; i < w->proxy->cfg->nshards; i++) {
        struct sp_backend *be = s->held[i].backend;

        sp_pin_state_clear(&s->held[i].state);
        if (be != NULL) {
            s->held[i].backend = NULL;
            be->holder = NULL;
            sp_backend_close(be, "client session closed");
        }
    }

    if (s->prev != NULL) {
        s->prev->next = s->next;
    } else {
        w->sessions = s->next;
    }
    if (s->next != NULL) {
        s->next->prev = s->prev;
    }
    w->nsessions--;
    atomic_fetch_sub(&w->proxy->nclients, 1);

    uv_close((uv_handle_t *)&s->tcp, session_free_cb);
}

static void
session_write_cb(uv_write_t *req, int status)
{
    struct sp_write_req *wr = req->data;
    struct sp_session *s = wr->owner;

    s->write_queue_bytes -= wr->buf.len;
    sp_worker_write_req_put(s->worker, wr);

    if (s->state == SP_SESSION_CLOSING) {
        return;
    }
    if (status != 0) {
        sp_session_close(s, uv_strerror(status));
        return;
    }
    if (s->close_after_flush && s->write_queue_bytes == 0) {
        sp_session_close(s, "closed after final packet");
        return;
    }
    if (s->write_paused && s->write_queue_bytes <= WRITE_LOW_WATERMARK) {
        s->write_paused = false;
        if (s->state == SP_SESSION_EXECUTING) {
            sp_exec_on_client_writable(s);
        }
    }
}

int
sp_session_flush(struct sp_session *s)
{
    struct sp_write_req *wr;
    struct sp_buf tmp;
    uv_buf_t ub;
    int rc;

    if (s->out.len == 0 || s->state == SP_SESSION_CLOSING) {
        return SP_OK;
    }
    wr = sp_worker_write_req_get(s->worker);
    if (wr == NULL) {
        sp_session_close(s, "out of memory");
        return SP_ENOMEM;
    }

    /* Swap buffers: the request takes the bytes, the session keeps an empty allocation. */
    tmp = wr->buf;
    wr->buf = s->out;
    s->out = tmp;
    sp_buf_reset(&s->out, SESSION_IN_KEEP_BYTES);

    wr->owner = s;
    wr->req.data = wr;
    ub = uv_buf_init((char *)wr->buf.data + wr->buf.head, (unsigned)sp_buf_unread_len(&wr->buf));
    s->write_queue_bytes += wr->buf.len;
    rc = uv_write(&wr->req, (uv_stream_t *)&s->tcp, &ub, 1, session_write_cb);
    if (rc != 0) {
        s->write_queue_bytes -= wr->buf.len;
        sp_worker_write_req_put(s->worker, wr);
        sp_session_close(s, uv_strerror(rc));
        return SP_EIO;
    }
    return SP_OK;
}

/* Sends what is queued, then closes the connection. */
static void
session_close_after_flush(struct sp_session *s, const char *reason)
{
    if (s->state == SP_SESSION_CLOSING) {
        return;
    }
    sp_log_debug("session_closing", "worker=%u conn=%u reason=\"%s\"", s->worker->id,
                 s->connection_id, reason);
    s->close_after_flush = true;
    if (sp_session_flush(s) != SP_OK) {
        return;
    }
    if (s->write_queue_bytes == 0) {
        sp_session_close(s, reason);
    }
}

int
sp_session_append_packet(struct sp_session *s, const uint8_t *payload, size_t len)
{
    return sp_packet_append(&s->out, &s->seq, payload, len);
}

int
sp_session_append_err(struct sp_session *s, const struct sp_error *err)
{
    size_t start;
    int rc;

    rc = sp_packet_begin(&s->out, &start);
    if (rc == SP_OK) {
        rc = sp_err_build(&s->out, err->code, err->sqlstate, err->message, strlen(err->message));
    }
    if (rc == SP_OK) {
        rc = sp_packet_end(&s->out, start, &s->seq);
    }
    return rc;
}

int
sp_session_append_ok(struct sp_session *s, uint64_t affected_rows, uint64_t last_insert_id,
                     uint16_t warnings, struct sp_str info)
{
    struct sp_ok_packet ok;
    size_t start;
    int rc;

    memset(&ok, 0, sizeof(ok));
    ok.affected_rows = affected_rows;
    ok.last_insert_id = last_insert_id;
    ok.status = sp_session_status(s);
    ok.warnings = warnings;
    ok.info = info;

    rc = sp_packet_begin(&s->out, &start);
    if (rc == SP_OK) {
        rc = sp_ok_build(&s->out, &ok, s->caps, SP_PACKET_OK);
    }
    if (rc == SP_OK) {
        rc = sp_packet_end(&s->out, start, &s->seq);
    }
    return rc;
}

/* Sends ERR with CODE and closes: for failures before the command phase. */
void
session_reject(struct sp_session *s, uint16_t code, const char *sqlstate, const char *message)
{
    struct sp_error err;

    sp_error_set(&err, code, sqlstate, "%s", message);
    if (sp_session_append_err(s, &err) != SP_OK) {
        sp_session_close(s, "out of memory");
        return;
    }
    session_close_after_flush(s, message);
}

void
session_peer_host(const struct sp_session *s, char *host, size_t len)
{
    struct sockaddr_storage addr;
    int addrlen = sizeof(addr);

    snprintf(host, len, "unknown");
    if (uv_tcp_getpeername(&s->tcp, (struct sockaddr *)&addr, &addrlen) != 0) {
        return;
    }
    if (addr.ss_family == AF_INET) {
        uv_ip4_name((struct sockaddr_in *)&addr, host, len);
    } else if (addr.ss_family == AF_INET6) {
        uv_ip6_name((struct sockaddr_in6 *)&addr, host, len);
    }
}

static void
session_send_greeting(struct sp_session *s)
{
    const struct sp_config *cfg = s->worker->proxy->cfg;
    struct sp_handshake_v10 hs;
    size_t start, i;
    int rc;

    /* Printable scramble bytes: part 2 is NUL-terminated on the wire. */
    if (getrandom(s->scramble, sizeof(s->scramble), 0) != (ssize_t)sizeof(s->scramble)) {
        sp_session_close(s, "no random bytes for the scramble");
        return;
    }
    for (i = 0; i < sizeof(s->scramble); i++) {
        s->scramble[i] = (uint8_t)(33 + s->scramble[i] % 94);
    }

    memset(&hs, 0, sizeof(hs));
    hs.protocol_version = 10;
    hs.server_version = sp_str_cstr(cfg->server_version);
    hs.connection_id = s->connection_id;
    memcpy(hs.scramble, s->scramble, sizeof(hs.scramble));
    hs.capabilities = SERVER_CAPS;
    hs.collation = SP_COLLATION_DEFAULT;
    hs.status = SP_SERVER_STATUS_AUTOCOMMIT;
    hs.auth_plugin = SP_STR_LIT(SP_AUTH_NATIVE_PLUGIN);

    s->seq = 0;
    rc = sp_packet_begin(&s->out, &start);
    if (rc == SP_OK) {
        rc = sp_handshake_v10_build(&s->out, &hs);
    }
    if (rc == SP_OK) {
        rc = sp_packet_end(&s->out, start, &s->seq);
    }
    if (rc != SP_OK) {
        sp_session_close(s, "cannot build greeting");
        return;
    }
    if (sp_session_flush(s) != SP_OK) {
        return;
    }
    s->state = SP_SESSION_GREETING;
}

/*
 * While a command executes, legs still point into S->in (the statement
 * text), so bytes that arrive then go to S->pending and join S->in when the
 * command is done. Reading goes on meanwhile, which saves stopping and
 * restarting the read for every statement and notices a client that leaves.
 */
static struct sp_buf *
session_read_target(struct sp_session *s)
{
    return s->state == SP_SESSION_EXECUTING ? &s->pending : &s->in;
}

static void
session_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct sp_session *s = handle->data;
    struct sp_buf *target = session_read_target(s);

    if (sp_buf_reserve(target, SESSION_READ_CHUNK) != SP_OK) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    buf->base = (char *)target->data + target->len;
    buf->len = target->cap - target->len;
}

static void session_read_stop(struct sp_session *s);

static void
session_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct sp_session *s = stream->data;
    const struct sp_config *cfg = s->worker->proxy->cfg;

    if (s->state == SP_SESSION_CLOSING) {
        return;
    }
    if (nread < 0) {
        if (s->state == SP_SESSION_EXECUTING) {
            /* Let the command finish so its backends return clean; close then. */
            s->peer_closed = true;
            session_read_stop(s);
            return;
        }
        sp_session_close(s, nread == UV_EOF ? "client disconnected" : uv_strerror((int)nread));
        return;
    }

    if (s->state == SP_SESSION_EXECUTING) {
        s->pending.len += (size_t)nread;
        if (s->pending.len > (size_t)cfg->max_packet_size + SESSION_READ_CHUNK) {
            session_read_stop(s); /* resumed when the command is done */
        }
        return;
    }
    s->in.len += (size_t)nread;
    session_process_input(s);
}

static void
session_read_start(struct sp_session *s)
{
    if (s->reading || s->state == SP_SESSION_CLOSING) {
        return;
    }
    if (uv_read_start((uv_stream_t *)&s->tcp, session_alloc_cb, session_read_cb) == 0) {
        s->reading = true;
    }
}

static void
session_read_stop(struct sp_session *s)
{
    if (!s->reading) {
        return;
    }
    uv_read_stop((uv_stream_t *)&s->tcp);
    s->reading = false;
}

void
sp_session_accept(struct sp_worker *w)
{
    const struct sp_config *cfg = w->proxy->cfg;
    struct sp_session *s;
    unsigned nclients;

    s = calloc(1, sizeof(*s));
    if (s == NULL) {
        return;
    }
    s->held = calloc(cfg->nshards, sizeof(*s->held));
    if (s->held == NULL || uv_tcp_init(&w->loop, &s->tcp) != 0) {
        free(s->held);
        free(s);
        return;
    }
    s->tcp.data = s;
    s->worker = w;
    s->autocommit = true;
    s->pending_autocommit = -1;
    sp_buf_init(&s->in);
    sp_buf_init(&s->out);
    sp_buf_init(&s->cmd);
    sp_buf_init(&s->pending);
    sp_buf_init(&s->scratch);
    sp_sysvars_init(&s->vars);
    sp_prepared_set_init(&s->prepared);
    sp_arena_init(&s->arena, 8192);

    s->next = w->sessions;
    if (w->sessions != NULL) {
        w->sessions->prev = s;
    }
    w->sessions = s;
    w->nsessions++;
    nclients = atomic_fetch_add(&w->proxy->nclients, 1) + 1;
    s->connection_id = atomic_fetch_add(&w->proxy->next_connection_id, 1);
    s->state = SP_SESSION_GREETING;

    if (uv_accept((uv_stream_t *)&w->listener, (uv_stream_t *)&s->tcp) != 0) {
        sp_session_close(s, "accept failed");
        return;
    }
    uv_tcp_nodelay(&s->tcp, 1);

    if (nclients > cfg->max_client_connections) {
        sp_log_warn("client_rejected", "worker=%u reason=\"max_client_connections reached\" limit=%u",
                    w->id, cfg->max_client_connections);
        s->seq = 0;
        session_reject(s, SP_ER_CON_COUNT_ERROR, "08004", "Too many connections");
        return;
    }

    session_send_greeting(s);
    session_read_start(s);
}

void
session_reply_error(struct sp_session *s, uint16_t code, const char *sqlstate, const char *message)
{
    struct sp_error err;

    sp_error_set(&err, code, sqlstate, "%s", message);
    s->row_count = -1;
    if (sp_session_append_err(s, &err) != SP_OK) {
        sp_session_close(s, "out of memory");
        return;
    }
    sp_session_command_done(s);
}

/*
 * SET autocommit = 0 or 1, kept by the proxy: the backends stay in
 * autocommit mode, and with it off the proxy opens a transaction on each
 * shard a statement reaches, as after BEGIN, and again after each COMMIT
 * or ROLLBACK. Turning it on commits the open transaction, as on a server.
 */

/* Routes SQL into PLAN; on false the client already got its ERR. */
bool
session_route(struct sp_session *s, const uint8_t *sql, size_t len, struct sp_plan *plan)
{
    const struct sp_proxy *proxy = s->worker->proxy;
    struct sp_session_functions fn;
    bool reply_ok = false;
    struct sp_str text;
    int rc;

    if (session_report_lost_transaction(s)) {
        return false;
    }
    fn.last_insert_id = s->last_insert_id;
    fn.row_count = s->row_count;
    fn.found_rows = s->found_rows;
    fn.found_rows_known = !s->found_rows_on_shard;
    fn.autocommit = !s->implicit_txn;
    fn.autocommit_known = true;
    rc = sp_sessionfn_replace(sp_str_make((const char *)sql, len), &fn, &s->arena, &text);
    if (rc != SP_OK) {
        session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory while routing");
        return false;
    }
    sql = (const uint8_t *)text.ptr;
    len = text.len;

    rc = sp_router_plan(proxy->router, (const char *)sql, len, &s->arena, plan);
    if (rc != SP_OK) {
        session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory while routing");
        return false;
    }
    /*
     * LAST_INSERT_ID(expr) sets the session's value: a write reports it in
     * its OK packet, and a number is known. A SELECT or SET of any other
     * expression would leave the value on one backend connection only.
     */
    s->sets_insert_id = fn.sets == SP_LAST_INSERT_ID_LITERAL;
    s->set_insert_id = fn.set_value;
    s->calc_found_rows = fn.calc_found_rows && plan->kind == SP_PLAN_SINGLE;
    s->limit_offset = fn.limit_offset;
    if (fn.found_rows_left && s->found_rows_on_shard && plan->kind == SP_PLAN_SINGLE &&
        plan->targets[0].shard == proxy->cfg->default_shard) {
        /* The count is on the connection that ran the SQL_CALC_FOUND_ROWS query. */
        plan->targets[0].shard = s->found_rows_shard;
    }
    if (fn.sets == SP_LAST_INSERT_ID_EXPR && plan->stmt != SP_STMT_INSERT &&
        plan->stmt != SP_STMT_REPLACE && plan->stmt != SP_STMT_UPDATE &&
        plan->stmt != SP_STMT_DELETE) {
        session_reply_error(s, SP_ER_NOT_SUPPORTED_YET, "42000",
                            "LAST_INSERT_ID(expr) is supported in INSERT, UPDATE and DELETE, or "
                            "with a number: the proxy cannot read the value this statement sets");
        return false;
    }
    if (plan->multi_statement && !s->multi_statements) {
        session_reply_error(s, SP_ER_PARSE_ERROR, "42000",
                            "You have an error in your SQL syntax: several statements in one "
                            "query need the client option CLIENT_MULTI_STATEMENTS");
        return false;
    }
    if (plan->kind == SP_PLAN_REJECT) {
        session_reply_error(s, plan->error.code, plan->error.sqlstate, plan->error.message);
        return false;
    }
    s->pending_autocommit = -1;
    rc = session_adjust_plan(s, plan, sp_str_make((const char *)sql, len), &reply_ok);
    if (rc == SP_EUNSUPPORTED) {
        session_reply_error(s, SP_ER_NOT_SUPPORTED_YET, "42000", s->plan_error);
        return false;
    }
    if (rc == SP_ENOTFOUND) {
        char message[128];

        snprintf(message, sizeof(message), "SAVEPOINT %.*s does not exist",
                 (int)(s->pending_savepoint_name.len > 64 ? 64 : s->pending_savepoint_name.len),
                 s->pending_savepoint_name.ptr);
        session_reply_error(s, 1305, "42000", message);
        return false;
    }
    if (rc != SP_OK) {
        session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory while routing");
        return false;
    }
    if (reply_ok) {
        s->row_count = 0;
        if (s->pending_autocommit >= 0) {
            sp_session_apply_autocommit(s, s->pending_autocommit == 1);
            s->pending_autocommit = -1;
        }
        if (sp_session_append_ok(s, 0, 0, 0, SP_STR_NULL) != SP_OK) {
            sp_session_close(s, "out of memory");
            return false;
        }
        sp_session_command_done(s);
        return false;
    }
    if (plan->implicit_commit) {
        return session_commit_before(s, plan);
    }
    return session_transaction_allowed(s, plan);
}

static void
session_on_query(struct sp_session *s, const uint8_t *sql, size_t len)
{
    struct sp_str text = sp_str_make((const char *)sql, len);
    struct sp_plan plan;

    if (session_sql_prepared(s, text)) {
        return;
    }
    if (session_track_user_vars(s, text) != SP_OK) {
        session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
        return;
    }
    if (session_route(s, sql, len, &plan)) {
        sp_exec_start(s, &plan, SP_COM_QUERY);
    }
}

/* Runs COMMAND with ARG on SHARD alone (COM_INIT_DB, COM_FIELD_LIST, ...). */
void
session_run_on_shard(struct sp_session *s, uint8_t command, uint32_t shard, struct sp_str arg,
                     enum sp_stmt_kind stmt)
{
    struct sp_plan plan;

    memset(&plan, 0, sizeof(plan));
    plan.kind = SP_PLAN_SINGLE;
    plan.stmt = stmt;
    plan.targets = sp_arena_alloc(&s->arena, sizeof(*plan.targets));
    if (plan.targets == NULL) {
        session_reply_error(s, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
        return;
    }
    plan.targets[0].shard = shard;
    plan.targets[0].sql = arg;
    plan.ntargets = 1;
    if (command == SP_COM_INIT_DB) {
        plan.use_db = arg;
    }
    sp_exec_start(s, &plan, command);
}

void
sp_session_on_held_backend_closed(struct sp_session *s, struct sp_backend *be, const char *reason)
{
    struct sp_held_backend *held = &s->held[sp_backend_node(be)->shard];

    if (held->backend != be) {
        return;
    }
    held->backend = NULL;
    /*
     * A transaction that has only read on a replica goes on elsewhere, with
     * a new snapshot of that shard: nothing of it is lost.
     */
    held->lost = held->in_trans && !(sp_backend_node(be)->replica && !s->txn_wrote);
    held->in_trans = false;
    sp_pin_state_clear(&held->state);
    held->cursors = 0; /* their statements find out at their next fetch */
    sp_log_warn("held_backend_lost", "worker=%u conn=%u shard=%s in_transaction=%s reason=\"%s\"",
                s->worker->id, s->connection_id, sp_backend_shard_name(be),
                held->lost ? "yes" : "no", reason);
}

void
session_reset(struct sp_session *s)
{
    size_t i;

    for (i = 0; i < s->worker->proxy->cfg->nshards; i++) {
        struct sp_backend *be = s->held[i].backend;

        s->held[i].backend = NULL;
        s->held[i].pinned = false;
        sp_pin_state_clear(&s->held[i].state);
        s->held[i].in_trans = false;
        s->held[i].lost = false;
        s->held[i].cursors = 0;
        if (be != NULL) {
            be->holder = NULL;
            sp_backend_close(be, "session reset");
        }
    }
    s->collation = s->login_collation;
    s->autocommit = true;
    s->pending_autocommit = -1;
    s->txn_open = false;
    s->implicit_txn = false;
    s->txn_active = false;
    s->txn_read_only = false;
    s->txn_wrote = false;
    s->txn_begin_len = 0;
    s->last_insert_id = 0;
    s->row_count = 0;
    s->found_rows = 0;
    s->found_rows_on_shard = false;
    sp_prepared_set_clear(&s->prepared, session_release_stmt, &s->worker->pool);
    sp_sql_state_clear(&s->sql_state);
    sp_sysvars_free(&s->vars);
    session_savepoints_truncate(s, 0);
}

static void
session_on_set_option(struct sp_session *s, const uint8_t *payload, size_t len)
{
    struct sp_eof_packet eof;
    struct sp_ok_packet ok;
    size_t start;
    uint16_t option;
    int rc;

    if (len != 3) {
        session_reply_error(s, SP_ER_UNKNOWN_COM_ERROR, "08S01", "Malformed COM_SET_OPTION");
        return;
    }
    option = (uint16_t)(payload[1] | (payload[2] << 8));
    if (option > 1) {
        session_reply_error(s, SP_ER_UNKNOWN_COM_ERROR, "08S01", "Unknown COM_SET_OPTION value");
        return;
    }
    s->multi_statements = option == 0;

    /* The server replies to COM_SET_OPTION with EOF, or with an OK as 0xFE. */
    rc = sp_packet_begin(&s->out, &start);
    if (rc == SP_OK && (s->caps & SP_CLIENT_DEPRECATE_EOF)) {
        memset(&ok, 0, sizeof(ok));
        ok.status = sp_session_status(s);
        rc = sp_ok_build(&s->out, &ok, s->caps, SP_PACKET_EOF);
    } else if (rc == SP_OK) {
        eof.warnings = 0;
        eof.status = sp_session_status(s);
        rc = sp_eof_build(&s->out, &eof);
    }
    if (rc == SP_OK) {
        rc = sp_packet_end(&s->out, start, &s->seq);
    }
    if (rc != SP_OK) {
        sp_session_close(s, "out of memory");
        return;
    }
    sp_session_command_done(s);
}

static void
session_dispatch(struct sp_session *s, const uint8_t *payload, size_t len)
{
    const struct sp_proxy *proxy = s->worker->proxy;
    const struct sp_config *cfg = proxy->cfg;
    struct sp_str arg;
    const uint8_t *nul;

    if (len == 0) {
        session_reply_error(s, SP_ER_UNKNOWN_COM_ERROR, "08S01", "Unknown command");
        return;
    }
    arg = sp_str_make((const char *)payload + 1, len - 1);
    s->state = SP_SESSION_EXECUTING;

    switch (payload[0]) {
    case SP_COM_QUIT:
        sp_session_close(s, "COM_QUIT");
        return;

    case SP_COM_PING:
        if (sp_session_append_ok(s, 0, 0, 0, SP_STR_NULL) != SP_OK) {
            sp_session_close(s, "out of memory");
            return;
        }
        sp_session_command_done(s);
        return;

    case SP_COM_QUERY:
        session_on_query(s, payload + 1, len - 1);
        return;

    case SP_COM_INIT_DB:
        if (arg.len == 0 || arg.len > SP_SESSION_DB_MAX) {
            session_reply_error(s, SP_ER_BAD_DB_ERROR, "42000", "Incorrect database name");
            return;
        }
        session_run_on_shard(s, SP_COM_INIT_DB, (uint32_t)cfg->default_shard, arg, SP_STMT_USE);
        return;

    case SP_COM_FIELD_LIST:
        nul = memchr(arg.ptr, 0, arg.len);
        session_run_on_shard(s, SP_COM_FIELD_LIST,
                             sp_router_shard_for_table(proxy->router,
                                                       sp_str_make(arg.ptr, nul != NULL
                                                                   ? (size_t)((const char *)nul - arg.ptr)
                                                                   : arg.len)),
                             arg, SP_STMT_OTHER);
        return;

    case SP_COM_STATISTICS:
        session_run_on_shard(s, SP_COM_STATISTICS, (uint32_t)cfg->default_shard, SP_STR_NULL,
                             SP_STMT_OTHER);
        return;

    case SP_COM_SET_OPTION:
        session_on_set_option(s, payload, len);
        return;

    case SP_COM_RESET_CONNECTION:
        session_reset(s);
        if (sp_session_append_ok(s, 0, 0, 0, SP_STR_NULL) != SP_OK) {
            sp_session_close(s, "out of memory");
            return;
        }
        sp_session_command_done(s);
        return;

    case SP_COM_STMT_PREPARE:
        /* Every shard has the same schema, so the default shard describes the statement. */
        session_run_on_shard(s, SP_COM_STMT_PREPARE, (uint32_t)cfg->default_shard, arg,
                             SP_STMT_OTHER);
        return;

    case SP_COM_STMT_EXECUTE:
        session_on_execute(s, payload, len);
        return;

    case SP_COM_STMT_RESET:
    case SP_COM_STMT_FETCH:
    case SP_COM_STMT_CLOSE:
    case SP_COM_STMT_SEND_LONG_DATA:
        session_on_stmt_command(s, payload, len);
        return;

    case SP_COM_CHANGE_USER:
        session_on_change_user(s, payload, len);
        return;

    case SP_COM_PROCESS_KILL:
        session_reply_error(s, SP_ER_NOT_SUPPORTED_YET, "42000",
                            "COM_PROCESS_KILL is not supported by shardproxy yet");
        return;

    default:
        session_reply_error(s, SP_ER_UNKNOWN_COM_ERROR, "08S01", "Unknown command");
        return;
    }
}

void
sp_session_command_done(struct sp_session *s)
{
    if (s->state == SP_SESSION_CLOSING) {
        return;
    }
    if (s->checking_login_db) {
        s->checking_login_db = false;
        if (s->exec.failed) {
            s->dblen = 0;
            sp_arena_reset(&s->arena);
            session_close_after_flush(s, "database given at login rejected");
            return;
        }
    }
    sp_buf_consume(&s->in, s->cmd_wire_len);
    s->cmd_wire_len = 0;
    if (sp_buf_unread_len(&s->in) == 0) {
        sp_buf_reset(&s->in, SESSION_IN_KEEP_BYTES);
    }
    sp_buf_reset(&s->cmd, SESSION_IN_KEEP_BYTES);
    if (s->nsavepoints > 0) {
        bool in_trans = false;

        for (size_t i = 0; i < s->worker->proxy->cfg->nshards; i++) {
            in_trans = in_trans || (s->held[i].backend != NULL && s->held[i].in_trans);
        }
        if (!in_trans && !s->txn_open) {
            session_savepoints_truncate(s, 0); /* the transaction ended */
        }
    }
    s->pending_savepoint = 0;
    sp_arena_reset(&s->arena);
    memset(&s->exec, 0, sizeof(s->exec));
    s->binary_result = false;
    s->exec_ps = NULL;
    s->exec_ps_params = NULL;
    s->exec_ps_flags = 0;
    s->exec_fetch_rows = 0;
    s->pending_vars = NULL;
    s->npending_vars = 0;
    s->ncommands++;
    s->state = SP_SESSION_COMMAND;

    if (s->pending.len > 0) {
        if (sp_buf_append(&s->in, sp_buf_unread(&s->pending), sp_buf_unread_len(&s->pending)) !=
            SP_OK) {
            sp_session_close(s, "out of memory");
            return;
        }
        sp_buf_reset(&s->pending, SESSION_IN_KEEP_BYTES);
    }
    if (sp_session_flush(s) != SP_OK) {
        return;
    }
    if (s->peer_closed) {
        sp_session_close(s, "client disconnected during the command");
        return;
    }
    session_read_start(s);
    if (!s->processing) {
        session_process_input(s);
    }
}

static void
session_process_input(struct sp_session *s)
{
    const struct sp_config *cfg = s->worker->proxy->cfg;
    struct sp_packet_scan scan;
    const uint8_t *payload;
    size_t max;
    int rc;

    if (s->processing) {
        return;
    }
    s->processing = true;

    while (!s->close_after_flush &&
           (s->state == SP_SESSION_GREETING || s->state == SP_SESSION_AUTH_SWITCH ||
            s->state == SP_SESSION_COMMAND)) {
        max = s->state == SP_SESSION_COMMAND ? cfg->max_packet_size : HANDSHAKE_MAX_PAYLOAD;
        rc = sp_packet_scan(sp_buf_unread(&s->in), sp_buf_unread_len(&s->in), max, &scan);
        if (rc == SP_EAGAIN) {
            break;
        }
        if (rc == SP_ETOOBIG && s->state == SP_SESSION_COMMAND) {
            s->seq = (uint8_t)(sp_buf_unread(&s->in)[3] + 1);
            session_read_stop(s);
            session_reject(s, SP_ER_NET_PACKET_TOO_LARGE, "08S01",
                           "Got a packet bigger than 'max_allowed_packet' bytes");
            break;
        }
        if (rc != SP_OK) {
            sp_session_close(s, rc == SP_ETOOBIG ? "handshake packet too large" : "malformed packet");
            break;
        }

        if (scan.nphysical == 1) {
            payload = sp_buf_unread(&s->in) + SP_PACKET_HEADER_LEN;
        } else {
            sp_buf_reset(&s->cmd, SESSION_IN_KEEP_BYTES);
            if (sp_buf_reserve(&s->cmd, scan.payload_len) != SP_OK) {
                sp_session_close(s, "out of memory");
                break;
            }
            sp_packet_join(sp_buf_unread(&s->in), &scan, s->cmd.data);
            s->cmd.len = scan.payload_len;
            payload = s->cmd.data;
        }
        s->seq = (uint8_t)(scan.last_seq + 1);

        switch (s->state) {
        case SP_SESSION_GREETING:
            session_on_handshake_response(s, payload, scan.payload_len);
            if (s->state != SP_SESSION_CLOSING) {
                sp_buf_consume(&s->in, scan.wire_len);
            }
            break;
        case SP_SESSION_AUTH_SWITCH:
            session_on_auth_switch_response(s, payload, scan.payload_len);
            if (s->state != SP_SESSION_CLOSING) {
                sp_buf_consume(&s->in, scan.wire_len);
            }
            break;
        default:
            if (scan.first_seq != 0) {
                sp_session_close(s, "command packet with a sequence id other than 0");
                break;
            }
            s->cmd_wire_len = scan.wire_len;
            session_dispatch(s, payload, scan.payload_len);
            break;
        }
    }

    s->processing = false;
}
