/*
 * Backend connections: TCP connect, the client side of the MySQL
 * handshake (mysql_native_password), and the read path that hands
 * response bytes to the leg that borrowed the connection.
 */
#include "proxy/backend.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/auth.h"
#include "protocol/command.h"
#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "protocol/result.h"
#include "proxy/exec.h"
#include "proxy/log.h"
#include "proxy/pool.h"
#include "proxy/session.h"
#include "proxy/worker.h"

/* Capabilities the proxy requests from every backend: classic EOF, no session tracking. */
#define BACKEND_CAPS                                                         \
    (SP_CLIENT_LONG_PASSWORD | SP_CLIENT_LONG_FLAG | SP_CLIENT_PROTOCOL_41 | \
     SP_CLIENT_TRANSACTIONS | SP_CLIENT_SECURE_CONNECTION |                  \
     SP_CLIENT_MULTI_STATEMENTS | SP_CLIENT_MULTI_RESULTS |                  \
     SP_CLIENT_PS_MULTI_RESULTS | SP_CLIENT_PLUGIN_AUTH |                    \
     SP_CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA)

#define BACKEND_READ_CHUNK 65536
#define BACKEND_HANDSHAKE_MAX 65536

static void backend_fail_setup(struct sp_backend *be, const char *fmt, const char *detail);

static const struct sp_pool_endpoint *
backend_endpoint(const struct sp_backend *be)
{
    return &be->worker->pool.endpoints[be->endpoint];
}

const struct sp_node *
sp_backend_node(const struct sp_backend *be)
{
    return backend_endpoint(be)->node;
}

const char *
sp_backend_shard_name(const struct sp_backend *be)
{
    return backend_endpoint(be)->shard_name;
}

const char *
sp_backend_host(const struct sp_backend *be)
{
    return backend_endpoint(be)->host;
}

uint16_t
sp_backend_port(const struct sp_backend *be)
{
    return backend_endpoint(be)->port;
}

static void
backend_alloc_cb(uv_handle_t *handle, size_t suggested, uv_buf_t *buf)
{
    struct sp_backend *be = handle->data;

    if (sp_buf_reserve(&be->in, BACKEND_READ_CHUNK) != SP_OK) {
        buf->base = NULL;
        buf->len = 0;
        return;
    }
    buf->base = (char *)be->in.data + be->in.len;
    buf->len = be->in.cap - be->in.len;
}

static void
backend_free_cb(uv_handle_t *handle)
{
    struct sp_backend *be = handle->data;

    sp_buf_deinit(&be->in);
    sp_backend_stmts_free(&be->stmts);
    sp_sysvars_free(&be->vars);
    free(be);
}

void
sp_backend_close(struct sp_backend *be, const char *reason)
{
    if (be->state == SP_BACKEND_CLOSING) {
        return;
    }

    sp_log_debug("backend_close", "worker=%u backend=%llu shard=%s reason=\"%s\"", be->worker->id,
                 (unsigned long long)be->id, sp_backend_shard_name(be), reason);

    sp_pool_on_closed(&be->worker->pool, be);
    be->state = SP_BACKEND_CLOSING;
    be->leg = NULL;
    if (be->holder != NULL) {
        struct sp_session *holder = be->holder;

        be->holder = NULL;
        sp_session_on_held_backend_closed(holder, be, reason);
    }
    uv_close((uv_handle_t *)&be->tcp, backend_free_cb);
}

static void
backend_write_cb(uv_write_t *req, int status)
{
    struct sp_write_req *wr = req->data;
    struct sp_backend *be = wr->owner;
    struct sp_worker *w = be->worker;

    sp_worker_write_req_put(w, wr);

    if (status == 0 || status == UV_ECANCELED || be->state == SP_BACKEND_CLOSING) {
        return;
    }
    if (be->leg != NULL) {
        sp_exec_on_backend_error(be->leg, uv_strerror(status));
        return;
    }
    if (be->state != SP_BACKEND_READY) {
        backend_fail_setup(be, "write failed: %s", uv_strerror(status));
        return;
    }
    sp_backend_close(be, uv_strerror(status));
}

/* Writes one packet made of PREFIX and BODY with sequence id SEQ. */
static int
backend_write_packet(struct sp_backend *be, uint8_t seq, const uint8_t *prefix, size_t prefix_len,
                     const void *body, size_t body_len)
{
    struct sp_write_req *wr;
    size_t start;
    uv_buf_t ub;
    int rc;

    wr = sp_worker_write_req_get(be->worker);
    if (wr == NULL) {
        return SP_ENOMEM;
    }

    rc = sp_packet_begin(&wr->buf, &start);
    if (rc == SP_OK) {
        rc = sp_buf_append(&wr->buf, prefix, prefix_len);
    }
    if (rc == SP_OK) {
        rc = sp_buf_append(&wr->buf, body, body_len);
    }
    if (rc == SP_OK) {
        rc = sp_packet_end(&wr->buf, start, &seq);
    }
    if (rc != SP_OK) {
        sp_worker_write_req_put(be->worker, wr);
        return rc;
    }

    wr->owner = be;
    wr->req.data = wr;
    ub = uv_buf_init((char *)wr->buf.data, (unsigned)wr->buf.len);
    rc = uv_write(&wr->req, (uv_stream_t *)&be->tcp, &ub, 1, backend_write_cb);
    if (rc != 0) {
        sp_worker_write_req_put(be->worker, wr);
        return SP_EIO;
    }
    return SP_OK;
}

int
sp_backend_send_command(struct sp_backend *be, uint8_t command, const void *arg, size_t len)
{
    if (be->state != SP_BACKEND_READY) {
        return SP_EINVAL;
    }
    be->reused = true;
    return backend_write_packet(be, 0, &command, 1, arg, len);
}

static void backend_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf);

void
sp_backend_read_start(struct sp_backend *be)
{
    if (be->reading || be->state == SP_BACKEND_CLOSING) {
        return;
    }
    if (uv_read_start((uv_stream_t *)&be->tcp, backend_alloc_cb, backend_read_cb) == 0) {
        be->reading = true;
    }
}

void
sp_backend_read_stop(struct sp_backend *be)
{
    if (!be->reading || be->state == SP_BACKEND_CLOSING) {
        return;
    }
    uv_read_stop((uv_stream_t *)&be->tcp);
    be->reading = false;
}

/* Reports a failed connection attempt to the pool and closes the backend. */
static void
backend_fail_setup(struct sp_backend *be, const char *fmt, const char *detail)
{
    struct sp_error err;
    char reason[400];
    uint32_t unlogged;

    snprintf(reason, sizeof(reason), fmt, detail);
    if (sp_pool_connect_failed(&be->worker->pool, be->endpoint, &unlogged)) {
        sp_log_error("backend_connect_failed",
                     "worker=%u shard=%s addr=%s:%u error=\"%s\" unlogged_failures=%u",
                     be->worker->id, sp_backend_shard_name(be), sp_backend_host(be),
                     sp_backend_port(be), reason, unlogged);
    }
    sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "cannot connect to shard %s (%s:%u): %s",
                 sp_backend_shard_name(be), sp_backend_host(be), sp_backend_port(be), reason);
    sp_pool_on_connected(&be->worker->pool, be, &err);
    sp_backend_close(be, reason);
}

/* Takes one complete logical packet from BE->in; SP_EAGAIN if not there yet. */
static int
backend_take_setup_packet(struct sp_backend *be, const uint8_t **payload, size_t *len,
                          uint8_t *seq)
{
    struct sp_packet_scan scan;
    int rc;

    rc = sp_packet_scan(sp_buf_unread(&be->in), sp_buf_unread_len(&be->in),
                        BACKEND_HANDSHAKE_MAX, &scan);
    if (rc != SP_OK) {
        return rc;
    }
    if (scan.nphysical != 1) {
        return SP_EPROTO;
    }
    *payload = sp_buf_unread(&be->in) + SP_PACKET_HEADER_LEN;
    *len = scan.payload_len;
    *seq = scan.last_seq;
    return SP_OK;
}

static int
backend_send_auth_response(struct sp_backend *be, const struct sp_handshake_v10 *hs, uint8_t seq)
{
    const struct sp_pool_endpoint *ep = backend_endpoint(be);
    struct sp_handshake_response resp;
    struct sp_buf payload;
    uint8_t answer[SP_SHA1_LEN];
    size_t answer_len;
    int rc;

    memcpy(be->scramble, hs->scramble, sizeof(be->scramble));
    sp_auth_native_scramble(be->scramble, ep->password, strlen(ep->password), answer, &answer_len);

    be->server_caps = hs->capabilities;
    be->caps = BACKEND_CAPS & hs->capabilities;
    if (be->found_rows) {
        be->caps |= SP_CLIENT_FOUND_ROWS & hs->capabilities;
    }
    be->thread_id = hs->connection_id;

    memset(&resp, 0, sizeof(resp));
    resp.capabilities = be->caps;
    resp.max_packet_size = 1u << 30;
    resp.collation = (uint8_t)be->collation;
    resp.user = sp_str_cstr(ep->user);
    resp.auth_response = sp_str_make((const char *)answer, answer_len);
    resp.auth_plugin = SP_STR_LIT(SP_AUTH_NATIVE_PLUGIN);

    sp_buf_init(&payload);
    rc = sp_handshake_response_build(&payload, &resp);
    if (rc == SP_OK) {
        rc = backend_write_packet(be, seq, NULL, 0, payload.data, payload.len);
    }
    sp_buf_deinit(&payload);
    return rc;
}

static void
backend_on_greeting(struct sp_backend *be)
{
    struct sp_handshake_v10 hs;
    struct sp_err_packet errp;
    const uint8_t *payload;
    size_t len;
    uint8_t seq;
    char detail[300];
    int rc;

    rc = backend_take_setup_packet(be, &payload, &len, &seq);
    if (rc == SP_EAGAIN) {
        return;
    }
    if (rc != SP_OK) {
        backend_fail_setup(be, "invalid greeting: %s", sp_status_str(rc));
        return;
    }
    if (len > 0 && payload[0] == SP_PACKET_ERR && sp_err_parse(payload, len, &errp) == SP_OK) {
        snprintf(detail, sizeof(detail), "%u %.*s", errp.code, (int)errp.message.len,
                 errp.message.ptr);
        backend_fail_setup(be, "server refused the connection: %s", detail);
        return;
    }

    rc = sp_handshake_v10_parse(payload, len, &hs);
    if (rc != SP_OK) {
        backend_fail_setup(be, "unsupported greeting: %s", sp_status_str(rc));
        return;
    }

    rc = backend_send_auth_response(be, &hs, (uint8_t)(seq + 1));
    sp_buf_consume(&be->in, SP_PACKET_HEADER_LEN + len);
    if (rc != SP_OK) {
        backend_fail_setup(be, "cannot send handshake response: %s", sp_status_str(rc));
        return;
    }
    be->state = SP_BACKEND_AUTH;
}

static void
backend_on_auth_reply(struct sp_backend *be)
{
    const struct sp_pool_endpoint *ep = backend_endpoint(be);
    struct sp_err_packet errp;
    struct sp_str plugin, data;
    const uint8_t *payload;
    uint8_t answer[SP_SHA1_LEN];
    size_t len, answer_len;
    uint8_t seq;
    char detail[300];
    int rc;

    rc = backend_take_setup_packet(be, &payload, &len, &seq);
    if (rc == SP_EAGAIN) {
        return;
    }
    if (rc != SP_OK || len == 0) {
        backend_fail_setup(be, "invalid authentication reply: %s", sp_status_str(rc));
        return;
    }

    switch (payload[0]) {
    case SP_PACKET_OK:
        sp_buf_consume(&be->in, SP_PACKET_HEADER_LEN + len);
        be->state = SP_BACKEND_READY;
        sp_log_debug("backend_ready", "worker=%u backend=%llu shard=%s thread_id=%u",
                     be->worker->id, (unsigned long long)be->id, sp_backend_shard_name(be),
                     be->thread_id);
        sp_pool_connect_succeeded(&be->worker->pool, be->endpoint);
        sp_pool_on_connected(&be->worker->pool, be, NULL);
        return;

    case SP_PACKET_ERR:
        if (sp_err_parse(payload, len, &errp) == SP_OK) {
            snprintf(detail, sizeof(detail), "%u (%s) %.*s", errp.code, errp.sqlstate,
                     (int)errp.message.len, errp.message.ptr);
        } else {
            snprintf(detail, sizeof(detail), "malformed ERR packet");
        }
        backend_fail_setup(be, "authentication failed: %s", detail);
        return;

    case SP_PACKET_EOF:
        rc = sp_auth_switch_request_parse(payload, len, &plugin, &data);
        if (rc != SP_OK || !sp_str_eq(plugin, SP_STR_LIT(SP_AUTH_NATIVE_PLUGIN)) ||
            data.len < SP_SCRAMBLE_LEN) {
            snprintf(detail, sizeof(detail), "%.*s", (int)plugin.len, plugin.ptr);
            backend_fail_setup(be, "server asked for unsupported authentication plugin '%s'",
                               detail);
            return;
        }
        memcpy(be->scramble, data.ptr, SP_SCRAMBLE_LEN);
        sp_auth_native_scramble(be->scramble, ep->password, strlen(ep->password), answer,
                                &answer_len);
        sp_buf_consume(&be->in, SP_PACKET_HEADER_LEN + len);
        rc = backend_write_packet(be, (uint8_t)(seq + 1), NULL, 0, answer, answer_len);
        if (rc != SP_OK) {
            backend_fail_setup(be, "cannot send authentication data: %s", sp_status_str(rc));
        }
        return;

    default:
        /* AuthMoreData (0x01) belongs to plugins the proxy does not speak. */
        snprintf(detail, sizeof(detail), "0x%02x", payload[0]);
        backend_fail_setup(be, "unexpected authentication packet %s", detail);
        return;
    }
}

void
sp_backend_fail(struct sp_backend *be, const char *reason)
{
    backend_fail_setup(be, "%s", reason);
}

static void
backend_read_cb(uv_stream_t *stream, ssize_t nread, const uv_buf_t *buf)
{
    struct sp_backend *be = stream->data;

    if (be->state == SP_BACKEND_CLOSING) {
        return;
    }
    if (nread == 0) {
        return;
    }
    if (nread < 0) {
        const char *reason = nread == UV_EOF ? "connection closed by server" : uv_strerror((int)nread);

        if (be->leg != NULL) {
            sp_exec_on_backend_error(be->leg, reason);
        } else if (be->state != SP_BACKEND_READY) {
            backend_fail_setup(be, "%s", reason);
        } else {
            sp_backend_close(be, reason);
        }
        return;
    }

    be->in.len += (size_t)nread;

    switch (be->state) {
    case SP_BACKEND_HANDSHAKE:
        backend_on_greeting(be);
        break;
    case SP_BACKEND_AUTH:
        backend_on_auth_reply(be);
        break;
    case SP_BACKEND_READY:
        if (be->leg != NULL) {
            sp_exec_on_backend_data(be->leg);
        } else {
            /* An idle connection gets bytes only from a KILL or a shutdown: drop it. */
            sp_backend_close(be, "unexpected data on an idle connection");
        }
        break;
    default:
        break;
    }
}

static void
backend_connect_cb(uv_connect_t *req, int status)
{
    struct sp_backend *be = req->data;

    if (be->state == SP_BACKEND_CLOSING) {
        return;
    }
    if (status != 0) {
        backend_fail_setup(be, "%s", uv_strerror(status));
        return;
    }
    uv_tcp_nodelay(&be->tcp, 1);
    be->state = SP_BACKEND_HANDSHAKE;
    sp_backend_read_start(be);
}

struct sp_backend *
sp_backend_connect(struct sp_worker *w, uint32_t endpoint, uint16_t collation, bool found_rows)
{
    const struct sp_pool_endpoint *ep = &w->pool.endpoints[endpoint];
    struct sp_backend *be;
    int rc;

    be = calloc(1, sizeof(*be));
    if (be == NULL) {
        return NULL;
    }
    be->worker = w;
    be->endpoint = endpoint;
    be->id = ++w->nbackends_created;
    be->collation = collation;
    be->found_rows = found_rows;
    be->state = SP_BACKEND_CONNECTING;
    be->connect_deadline_ms = sp_worker_now_ms(w) + w->pool.connect_timeout_ms;
    sp_buf_init(&be->in);
    sp_backend_stmts_init(&be->stmts);
    sp_sysvars_init(&be->vars);

    rc = uv_tcp_init(&w->loop, &be->tcp);
    if (rc != 0) {
        free(be);
        return NULL;
    }
    be->tcp.data = be;
    be->connect_req.data = be;

    be->connecting = true;
    rc = uv_tcp_connect(&be->connect_req, &be->tcp, (const struct sockaddr *)&ep->addr,
                        backend_connect_cb);
    if (rc != 0) {
        uint32_t unlogged;

        if (sp_pool_connect_failed(&w->pool, endpoint, &unlogged)) {
            sp_log_error("backend_connect_failed",
                         "worker=%u shard=%s addr=%s:%u error=\"%s\" unlogged_failures=%u",
                         w->id, ep->shard_name, ep->host, ep->port, uv_strerror(rc), unlogged);
        }
        be->connecting = false;
        be->state = SP_BACKEND_CLOSING;
        uv_close((uv_handle_t *)&be->tcp, backend_free_cb);
        return NULL;
    }
    return be;
}
