/*
 * Client authentication: the reply to the greeting, the switch to
 * mysql_native_password, the check of the login database, and
 * COM_CHANGE_USER. The proxy verifies passwords against the hashes of its
 * config and never forwards them to a backend.
 */
#include "proxy/session.h"
#include "proxy/session_internal.h"

#include <string.h>

#include "protocol/auth.h"
#include "protocol/charset.h"
#include "protocol/command.h"
#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "proxy/log.h"
#include "proxy/worker.h"

static void
session_auth_ok(struct sp_session *s)
{
    sp_log_debug("session_auth", "worker=%u conn=%u user=%s", s->worker->id, s->connection_id,
                 s->user->cfg->user);

    if (s->dblen > 0) {
        /*
         * A server rejects an unknown database at login. The default shard
         * checks it with COM_INIT_DB, whose OK or ERR is forwarded as the
         * reply to the login (same sequence id), as a server would send it.
         */
        s->state = SP_SESSION_EXECUTING;
        s->checking_login_db = true;
        s->cmd_wire_len = 0;
        session_run_on_shard(s, SP_COM_INIT_DB, (uint32_t)s->worker->proxy->cfg->default_shard,
                             sp_str_make(s->db, s->dblen), SP_STMT_USE);
        return;
    }

    if (sp_session_append_ok(s, 0, 0, 0, SP_STR_NULL) != SP_OK || sp_session_flush(s) != SP_OK) {
        sp_session_close(s, "cannot send OK");
        return;
    }
    s->state = SP_SESSION_COMMAND;
}

static void
session_auth_denied(struct sp_session *s, struct sp_str user, bool used_password)
{
    char host[64], message[400];

    session_peer_host(s, host, sizeof(host));
    snprintf(message, sizeof(message), "Access denied for user '%.*s'@'%s' (using password: %s)",
             (int)(user.len > 128 ? 128 : user.len), user.ptr, host, used_password ? "YES" : "NO");
    sp_log_info("auth_failed", "worker=%u conn=%u user=\"%.*s\" host=%s", s->worker->id,
                s->connection_id, (int)(user.len > 128 ? 128 : user.len), user.ptr, host);
    session_reject(s, SP_ER_ACCESS_DENIED_ERROR, "28000", message);
}

static const struct sp_auth_user *
session_find_user(const struct sp_session *s, struct sp_str name)
{
    const struct sp_proxy *proxy = s->worker->proxy;
    size_t i;

    for (i = 0; i < proxy->nusers; i++) {
        if (sp_str_eq(name, sp_str_cstr(proxy->users[i].cfg->user))) {
            return &proxy->users[i];
        }
    }
    return NULL;
}

/*
 * Sends the switch to mysql_native_password, whose response the proxy
 * verifies against the stored hash from its config. MySQL 8 clients, for
 * one, start with caching_sha2_password.
 */
static void
session_switch_to_native(struct sp_session *s)
{
    struct sp_buf *out = &s->out;
    uint8_t data[SP_SCRAMBLE_LEN + 1];
    size_t start;
    int rc;

    memcpy(data, s->scramble, SP_SCRAMBLE_LEN);
    data[SP_SCRAMBLE_LEN] = 0;
    rc = sp_packet_begin(out, &start);
    if (rc == SP_OK) {
        rc = sp_auth_switch_request_build(out, SP_AUTH_NATIVE_PLUGIN, data, sizeof(data));
    }
    if (rc == SP_OK) {
        rc = sp_packet_end(out, start, &s->seq);
    }
    if (rc != SP_OK || sp_session_flush(s) != SP_OK) {
        sp_session_close(s, "cannot send auth switch");
        return;
    }
    s->state = SP_SESSION_AUTH_SWITCH;
}

void
session_on_handshake_response(struct sp_session *s, const uint8_t *payload, size_t len)
{
    struct sp_handshake_response resp;
    const struct sp_auth_user *user;
    int rc;

    rc = sp_handshake_response_parse(payload, len, SERVER_CAPS, &resp);
    if (rc != SP_OK || resp.ssl_request) {
        session_reject(s, SP_ER_HANDSHAKE_ERROR, "08S01", "Bad handshake");
        return;
    }

    s->caps = resp.capabilities & SERVER_CAPS;
    s->collation = sp_collation_normalize(resp.collation);
    s->login_collation = s->collation;
    s->multi_statements = (s->caps & SP_CLIENT_MULTI_STATEMENTS) != 0;
    if (resp.database.len > SP_SESSION_DB_MAX) {
        session_reject(s, SP_ER_BAD_DB_ERROR, "42000", "Incorrect database name");
        return;
    }
    if (resp.database.len > 0) {
        memcpy(s->db, resp.database.ptr, resp.database.len);
    }
    s->dblen = resp.database.len;

    user = session_find_user(s, resp.user);
    if (user == NULL) {
        session_auth_denied(s, resp.user, resp.auth_response.len > 0);
        return;
    }
    s->user = user;

    /*
     * Any other plugin (caching_sha2_password from MySQL 8 clients, for
     * one) is switched to mysql_native_password, which the proxy verifies
     * against the stored hash without knowing more than the config.
     */
    if ((s->caps & SP_CLIENT_PLUGIN_AUTH) != 0 && resp.auth_plugin.len > 0 &&
        !sp_str_eq(resp.auth_plugin, SP_STR_LIT(SP_AUTH_NATIVE_PLUGIN))) {
        session_switch_to_native(s);
        return;
    }

    if (!sp_auth_native_verify(s->scramble, user->stage2, user->empty_password,
                               (const uint8_t *)resp.auth_response.ptr, resp.auth_response.len)) {
        session_auth_denied(s, resp.user, resp.auth_response.len > 0);
        return;
    }
    session_auth_ok(s);
}

void
session_on_auth_switch_response(struct sp_session *s, const uint8_t *payload, size_t len)
{
    const struct sp_auth_user *user = s->user;

    if (!sp_auth_native_verify(s->scramble, user->stage2, user->empty_password, payload, len)) {
        session_auth_denied(s, sp_str_cstr(user->cfg->user), len > 0);
        return;
    }
    session_auth_ok(s);
}

/*
 * COM_CHANGE_USER: the session is reset as by COM_RESET_CONNECTION (its
 * transactions rolled back, its pinned connections closed), then the
 * client logs in again with the scramble of the greeting, as on a server.
 * A failed login gets ERR 1045 and the connection is closed.
 */
void
session_on_change_user(struct sp_session *s, const uint8_t *payload, size_t len)
{
    struct sp_change_user req;
    const struct sp_auth_user *user;

    if (sp_change_user_parse(payload, len, s->caps, &req) != SP_OK) {
        session_reject(s, SP_ER_HANDSHAKE_ERROR, "08S01", "Bad handshake");
        return;
    }
    if (req.database.len > SP_SESSION_DB_MAX) {
        session_reject(s, SP_ER_BAD_DB_ERROR, "42000", "Incorrect database name");
        return;
    }
    session_reset(s);
    memcpy(s->db, req.database.ptr, req.database.len);
    s->dblen = req.database.len;
    if (req.charset != 0) {
        s->collation = sp_collation_normalize((uint8_t)req.charset);
        s->login_collation = s->collation;
    }
    user = session_find_user(s, req.user);
    if (user == NULL) {
        session_auth_denied(s, req.user, req.auth_response.len > 0);
        return;
    }
    s->user = user;

    if ((s->caps & SP_CLIENT_PLUGIN_AUTH) != 0 && req.auth_plugin.len > 0 &&
        !sp_str_eq(req.auth_plugin, SP_STR_LIT(SP_AUTH_NATIVE_PLUGIN))) {
        /* The command's bytes are done with; the switch response comes next. */
        sp_buf_consume(&s->in, s->cmd_wire_len);
        s->cmd_wire_len = 0;
        session_switch_to_native(s);
        return;
    }
    if (!sp_auth_native_verify(s->scramble, user->stage2, user->empty_password,
                               (const uint8_t *)req.auth_response.ptr, req.auth_response.len)) {
        session_auth_denied(s, req.user, req.auth_response.len > 0);
        return;
    }
    sp_buf_consume(&s->in, s->cmd_wire_len);
    s->cmd_wire_len = 0;
    session_auth_ok(s);
}
