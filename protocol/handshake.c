/*
 * Connection-phase codecs: the server greeting (Handshake V10), the
 * client's HandshakeResponse41 or SSLRequest, the connect attributes, and
 * COM_CHANGE_USER, which logs in again on an open connection.
 *
 * Parsers return views into the payload and never read past LEN. They do
 * not decide anything about authentication or capabilities beyond masking
 * flags; that policy lives in proxy/.
 */
#include "protocol/handshake.h"

#include <string.h>

#include "protocol/command.h"

#define HANDSHAKE_PROTOCOL_VERSION 10
#define HANDSHAKE_SCRAMBLE_PART1_LEN 8
#define HANDSHAKE_RESERVED_LEN 10
/* Part 2 is at least 13 bytes: 12 scramble bytes and a NUL. */
#define HANDSHAKE_SCRAMBLE_PART2_MIN 13
#define HANDSHAKE_RESPONSE_FILLER_LEN 23
#define HANDSHAKE_SSL_REQUEST_LEN 32

/*
 * Reads a NUL-terminated string that may end the packet. Peers differ in
 * whether they send the final NUL, so a string that runs to the end of the
 * payload is accepted, and an absent one is empty.
 */
static void
handshake_take_last_str(struct sp_cursor *c, struct sp_str *v)
{
    if (sp_codec_take_nul_str(c, v) != SP_OK) {
        sp_codec_take_rest(c, v);
    }
}

int
sp_handshake_v10_parse(const uint8_t *payload, size_t len, struct sp_handshake_v10 *out)
{
    struct sp_cursor c;
    struct sp_str part1, part2;
    uint16_t caps_low, caps_high;
    uint8_t auth_data_len, filler;
    size_t part2_len;
    int rc;

    memset(out, 0, sizeof(*out));
    sp_cursor_init(&c, payload, len);

    rc = sp_codec_take_u8(&c, &out->protocol_version);
    if (rc != SP_OK) {
        return rc;
    }
    if (out->protocol_version != HANDSHAKE_PROTOCOL_VERSION) {
        return SP_EPROTO;
    }

    if (sp_codec_take_nul_str(&c, &out->server_version) != SP_OK
        || sp_codec_take_u32(&c, &out->connection_id) != SP_OK
        || sp_codec_take_bytes(&c, HANDSHAKE_SCRAMBLE_PART1_LEN, &part1) != SP_OK
        || sp_codec_take_u8(&c, &filler) != SP_OK
        || sp_codec_take_u16(&c, &caps_low) != SP_OK) {
        return SP_EPROTO;
    }
    if (!(caps_low & SP_CLIENT_PROTOCOL_41)) {
        return SP_EUNSUPPORTED;
    }

    if (sp_codec_take_u8(&c, &out->collation) != SP_OK
        || sp_codec_take_u16(&c, &out->status) != SP_OK
        || sp_codec_take_u16(&c, &caps_high) != SP_OK
        || sp_codec_take_u8(&c, &auth_data_len) != SP_OK
        || sp_codec_skip(&c, HANDSHAKE_RESERVED_LEN) != SP_OK) {
        return SP_EPROTO;
    }
    out->capabilities = (uint32_t)caps_low | (uint32_t)caps_high << 16;

    /* Without SECURE_CONNECTION only the 8-byte pre-4.1 scramble exists. */
    if (!(out->capabilities & SP_CLIENT_SECURE_CONNECTION)) {
        return SP_EUNSUPPORTED;
    }
    /* A length of 0 means "not given": part 2 then has its minimum size. */
    if ((out->capabilities & SP_CLIENT_PLUGIN_AUTH) && auth_data_len != 0
        && auth_data_len < SP_SCRAMBLE_LEN + 1) {
        return SP_EUNSUPPORTED;
    }

    /* auth_data_len counts both parts and the NUL ending part 2. */
    part2_len = HANDSHAKE_SCRAMBLE_PART2_MIN;
    if (auth_data_len > HANDSHAKE_SCRAMBLE_PART1_LEN + HANDSHAKE_SCRAMBLE_PART2_MIN) {
        part2_len = auth_data_len - HANDSHAKE_SCRAMBLE_PART1_LEN;
    }
    if (sp_codec_take_bytes(&c, part2_len, &part2) != SP_OK) {
        return SP_EPROTO;
    }
    memcpy(out->scramble, part1.ptr, HANDSHAKE_SCRAMBLE_PART1_LEN);
    memcpy(out->scramble + HANDSHAKE_SCRAMBLE_PART1_LEN, part2.ptr,
           SP_SCRAMBLE_LEN - HANDSHAKE_SCRAMBLE_PART1_LEN);

    if (out->capabilities & SP_CLIENT_PLUGIN_AUTH) {
        handshake_take_last_str(&c, &out->auth_plugin);
    }
    return SP_OK;
}

int
sp_handshake_v10_build(struct sp_buf *out, const struct sp_handshake_v10 *hs)
{
    size_t mark = sp_codec_mark(out);
    uint8_t auth_data_len;

    auth_data_len = (hs->capabilities & SP_CLIENT_PLUGIN_AUTH) ? SP_SCRAMBLE_LEN + 1 : 0;

    if (sp_codec_put_u8(out, HANDSHAKE_PROTOCOL_VERSION) != SP_OK
        || sp_codec_put_nul_str(out, hs->server_version.ptr, hs->server_version.len) != SP_OK
        || sp_codec_put_u32(out, hs->connection_id) != SP_OK
        || sp_codec_put_bytes(out, hs->scramble, HANDSHAKE_SCRAMBLE_PART1_LEN) != SP_OK
        || sp_codec_put_u8(out, 0) != SP_OK
        || sp_codec_put_u16(out, (uint16_t)hs->capabilities) != SP_OK
        || sp_codec_put_u8(out, hs->collation) != SP_OK
        || sp_codec_put_u16(out, hs->status) != SP_OK
        || sp_codec_put_u16(out, (uint16_t)(hs->capabilities >> 16)) != SP_OK
        || sp_codec_put_u8(out, auth_data_len) != SP_OK
        || sp_codec_put_zeros(out, HANDSHAKE_RESERVED_LEN) != SP_OK) {
        goto fail;
    }

    if (hs->capabilities & SP_CLIENT_SECURE_CONNECTION) {
        if (sp_codec_put_nul_str(out, hs->scramble + HANDSHAKE_SCRAMBLE_PART1_LEN,
                                 SP_SCRAMBLE_LEN - HANDSHAKE_SCRAMBLE_PART1_LEN) != SP_OK) {
            goto fail;
        }
    }

    if (hs->capabilities & SP_CLIENT_PLUGIN_AUTH) {
        if (sp_codec_put_nul_str(out, hs->auth_plugin.ptr, hs->auth_plugin.len) != SP_OK) {
            goto fail;
        }
    }
    return SP_OK;

fail:
    sp_codec_rollback(out, mark);
    return SP_ENOMEM;
}

/* Reads the auth-response field in the encoding that CAPS select. */
static int
handshake_take_auth_response(struct sp_cursor *c, uint32_t caps, struct sp_str *v)
{
    size_t saved = c->pos;
    uint8_t n;

    if (caps & SP_CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
        return sp_codec_take_lenenc_str(c, v, NULL);
    }
    if (caps & SP_CLIENT_SECURE_CONNECTION) {
        if (sp_codec_take_u8(c, &n) != SP_OK || sp_codec_take_bytes(c, n, v) != SP_OK) {
            c->pos = saved;
            return SP_EPROTO;
        }
        return SP_OK;
    }
    return sp_codec_take_nul_str(c, v);
}

/*
 * The database and plugin name are NUL-terminated, but a client may end
 * the packet early: a field that runs to the end of the payload without a
 * NUL is taken whole, and every field after it is absent. MariaDB 10.11
 * reads them the same way, except that it rejects a packet that ends
 * before the database when CONNECT_WITH_DB is set, and so does this parser.
 */
static int
handshake_parse_optional_fields(struct sp_cursor *c, struct sp_handshake_response *out)
{
    uint64_t attrs_len;

    if (out->capabilities & SP_CLIENT_CONNECT_WITH_DB) {
        if (sp_cursor_left(c) == 0) {
            return SP_EPROTO;
        }
        handshake_take_last_str(c, &out->database);
    }
    if (out->capabilities & SP_CLIENT_PLUGIN_AUTH) {
        handshake_take_last_str(c, &out->auth_plugin);
    }

    if (!(out->capabilities & SP_CLIENT_CONNECT_ATTRS) || sp_cursor_left(c) == 0) {
        return SP_OK;
    }
    if (sp_codec_take_lenenc_int(c, &attrs_len, NULL) != SP_OK) {
        return SP_EPROTO;
    }
    if (attrs_len > sp_cursor_left(c)) {
        return SP_EPROTO;
    }
    return sp_codec_take_bytes(c, (size_t)attrs_len, &out->attrs);
}

int
sp_handshake_response_parse(const uint8_t *payload, size_t len, uint32_t server_caps,
                            struct sp_handshake_response *out)
{
    struct sp_cursor c;
    uint32_t client_caps;
    uint16_t caps_low;
    int rc;

    memset(out, 0, sizeof(*out));
    sp_cursor_init(&c, payload, len);

    /* HandshakeResponse320 has only 2 bytes of flags, so check those first. */
    rc = sp_codec_take_u16(&c, &caps_low);
    if (rc != SP_OK) {
        return rc;
    }
    if (!(caps_low & SP_CLIENT_PROTOCOL_41)) {
        return SP_EUNSUPPORTED;
    }
    c.pos = 0;

    if (sp_codec_take_u32(&c, &client_caps) != SP_OK
        || sp_codec_take_u32(&c, &out->max_packet_size) != SP_OK
        || sp_codec_take_u8(&c, &out->collation) != SP_OK
        || sp_codec_skip(&c, HANDSHAKE_RESPONSE_FILLER_LEN) != SP_OK) {
        return SP_EPROTO;
    }

    /* Fields are laid out by the masked flags, as servers do, so a client
     * that claims a flag it was not offered cannot change the layout. */
    out->capabilities = client_caps & server_caps;

    if (len == HANDSHAKE_SSL_REQUEST_LEN && (client_caps & SP_CLIENT_SSL)) {
        out->ssl_request = true;
        return SP_OK;
    }

    if (sp_codec_take_nul_str(&c, &out->user) != SP_OK
        || handshake_take_auth_response(&c, out->capabilities, &out->auth_response) != SP_OK) {
        return SP_EPROTO;
    }

    return handshake_parse_optional_fields(&c, out);
}

int
sp_change_user_parse(const uint8_t *payload, size_t len, uint32_t caps,
                     struct sp_change_user *out)
{
    struct sp_cursor c;
    uint64_t attrs_len;
    uint8_t command;

    memset(out, 0, sizeof(*out));
    sp_cursor_init(&c, payload, len);
    if (sp_codec_take_u8(&c, &command) != SP_OK || command != SP_COM_CHANGE_USER) {
        return SP_EPROTO;
    }
    /* The auth response has a one-byte length here, never a length-encoded one. */
    if (sp_codec_take_nul_str(&c, &out->user) != SP_OK
        || handshake_take_auth_response(&c, caps & SP_CLIENT_SECURE_CONNECTION,
                                        &out->auth_response) != SP_OK) {
        return SP_EPROTO;
    }
    handshake_take_last_str(&c, &out->database);
    if (sp_cursor_left(&c) >= 2 && sp_codec_take_u16(&c, &out->charset) != SP_OK) {
        return SP_EPROTO;
    }
    if ((caps & SP_CLIENT_PLUGIN_AUTH) && sp_cursor_left(&c) > 0) {
        handshake_take_last_str(&c, &out->auth_plugin);
    }
    if (!(caps & SP_CLIENT_CONNECT_ATTRS) || sp_cursor_left(&c) == 0) {
        return SP_OK;
    }
    if (sp_codec_take_lenenc_int(&c, &attrs_len, NULL) != SP_OK || attrs_len > sp_cursor_left(&c)) {
        return SP_EPROTO;
    }
    return sp_codec_take_bytes(&c, (size_t)attrs_len, &out->attrs);
}

static int
handshake_put_auth_response(struct sp_buf *out, uint32_t caps, struct sp_str v)
{
    if (caps & SP_CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) {
        return sp_codec_put_lenenc_str(out, v.ptr, v.len);
    }
    if (caps & SP_CLIENT_SECURE_CONNECTION) {
        if (v.len > UINT8_MAX) {
            return SP_EINVAL;
        }
        if (sp_codec_put_u8(out, (uint8_t)v.len) != SP_OK) {
            return SP_ENOMEM;
        }
        return sp_codec_put_bytes(out, v.ptr, v.len);
    }
    if (v.len > 0 && memchr(v.ptr, 0, v.len) != NULL) {
        return SP_EINVAL;
    }
    return sp_codec_put_nul_str(out, v.ptr, v.len);
}

int
sp_handshake_response_build(struct sp_buf *out, const struct sp_handshake_response *resp)
{
    size_t mark = sp_codec_mark(out);
    uint32_t caps = resp->capabilities;
    int rc = SP_ENOMEM;

    if (resp->ssl_request) {
        caps |= SP_CLIENT_SSL;
    }

    if (sp_codec_put_u32(out, caps) != SP_OK
        || sp_codec_put_u32(out, resp->max_packet_size) != SP_OK
        || sp_codec_put_u8(out, resp->collation) != SP_OK
        || sp_codec_put_zeros(out, HANDSHAKE_RESPONSE_FILLER_LEN) != SP_OK) {
        goto fail;
    }
    if (resp->ssl_request) {
        return SP_OK;
    }

    if (sp_codec_put_nul_str(out, resp->user.ptr, resp->user.len) != SP_OK) {
        goto fail;
    }
    rc = handshake_put_auth_response(out, caps, resp->auth_response);
    if (rc != SP_OK) {
        goto fail;
    }
    rc = SP_ENOMEM;

    if ((caps & SP_CLIENT_CONNECT_WITH_DB)
        && sp_codec_put_nul_str(out, resp->database.ptr, resp->database.len) != SP_OK) {
        goto fail;
    }
    if ((caps & SP_CLIENT_PLUGIN_AUTH)
        && sp_codec_put_nul_str(out, resp->auth_plugin.ptr, resp->auth_plugin.len) != SP_OK) {
        goto fail;
    }
    if ((caps & SP_CLIENT_CONNECT_ATTRS)
        && sp_codec_put_lenenc_str(out, resp->attrs.ptr, resp->attrs.len) != SP_OK) {
        goto fail;
    }
    return SP_OK;

fail:
    sp_codec_rollback(out, mark);
    return rc;
}

int
sp_handshake_attrs_next(struct sp_cursor *attrs, struct sp_str *key, struct sp_str *value)
{
    size_t saved = attrs->pos;

    if (sp_cursor_left(attrs) == 0) {
        return SP_ENOTFOUND;
    }
    if (sp_codec_take_lenenc_str(attrs, key, NULL) != SP_OK
        || sp_codec_take_lenenc_str(attrs, value, NULL) != SP_OK) {
        attrs->pos = saved;
        return SP_EPROTO;
    }
    return SP_OK;
}
