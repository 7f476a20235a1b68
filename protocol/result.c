/*
 * Response codecs: OK, ERR and EOF packets, the column count,
 * ColumnDefinition41 and text-protocol rows, plus the rule that
 * distinguishes them.
 *
 * Parsers borrow the payload and never read past LEN. Builders append whole
 * payloads or leave the buffer as it was. No packet headers, no I/O.
 */
#include "protocol/result.h"

#include <string.h>

#include "protocol/codec.h"
#include "protocol/handshake.h"
#include "protocol/packet.h"

/* An EOF packet is 5 bytes, or 1 from pre-4.1 servers. Any 0xFE payload of
 * 9 bytes or more starts with an 8-byte length-encoded integer instead. */
#define RESULT_EOF_MAX_LEN 9
#define RESULT_EOF_LEN 5
#define RESULT_SQLSTATE_MARKER '#'
#define RESULT_SQLSTATE_LEN 5
#define RESULT_DEFAULT_SQLSTATE "HY000"
#define RESULT_COLUMN_FIXED_LEN 0x0C
#define RESULT_CATALOG "def"
#define RESULT_NULL_VALUE 0xFB

/*
 * The protocol documentation calls the info text string<EOF> without
 * CLIENT_SESSION_TRACK, but MariaDB 10.11 (and MySQL's server) send it as a
 * length-encoded string either way, and libmysqlclient reads that length.
 * So a tail that is exactly one length-encoded string is read as one, and
 * anything else as the rest of the packet. With SESSION_TRACK, servers leave
 * the field out when it is empty and no session state follows, so an
 * absent field reads as empty.
 */
static int
result_parse_ok_tail(struct sp_cursor *c, uint32_t caps, struct sp_ok_packet *out)
{
    if (!(caps & SP_CLIENT_SESSION_TRACK)) {
        struct sp_cursor probe = *c;
        struct sp_str info;

        if (sp_codec_take_lenenc_str(&probe, &info, NULL) == SP_OK && sp_cursor_left(&probe) == 0) {
            out->info = info;
            return SP_OK;
        }
        sp_codec_take_rest(c, &out->info);
        return SP_OK;
    }

    if (sp_cursor_left(c) == 0) {
        return SP_OK;
    }
    if (sp_codec_take_lenenc_str(c, &out->info, NULL) != SP_OK) {
        return SP_EPROTO;
    }

    if (!(out->status & SP_SERVER_SESSION_STATE_CHANGED) || sp_cursor_left(c) == 0) {
        return SP_OK;
    }
    if (sp_codec_take_lenenc_str(c, &out->session_state, NULL) != SP_OK) {
        return SP_EPROTO;
    }
    return SP_OK;
}

int
sp_ok_parse(const uint8_t *payload, size_t len, uint32_t caps, struct sp_ok_packet *out)
{
    struct sp_cursor c;
    uint8_t header;

    memset(out, 0, sizeof(*out));
    sp_cursor_init(&c, payload, len);

    if (sp_codec_take_u8(&c, &header) != SP_OK
        || (header != SP_PACKET_OK && header != SP_PACKET_EOF)) {
        return SP_EPROTO;
    }
    if (sp_codec_take_lenenc_int(&c, &out->affected_rows, NULL) != SP_OK
        || sp_codec_take_lenenc_int(&c, &out->last_insert_id, NULL) != SP_OK) {
        return SP_EPROTO;
    }

    if (caps & SP_CLIENT_PROTOCOL_41) {
        if (sp_codec_take_u16(&c, &out->status) != SP_OK
            || sp_codec_take_u16(&c, &out->warnings) != SP_OK) {
            return SP_EPROTO;
        }
    } else if (caps & SP_CLIENT_TRANSACTIONS) {
        if (sp_codec_take_u16(&c, &out->status) != SP_OK) {
            return SP_EPROTO;
        }
    }

    return result_parse_ok_tail(&c, caps, out);
}

int
sp_ok_build(struct sp_buf *out, const struct sp_ok_packet *ok, uint32_t caps, uint8_t header)
{
    size_t mark = sp_codec_mark(out);

    if (header != SP_PACKET_OK && header != SP_PACKET_EOF) {
        return SP_EINVAL;
    }

    if (sp_codec_put_u8(out, header) != SP_OK
        || sp_codec_put_lenenc_int(out, ok->affected_rows) != SP_OK
        || sp_codec_put_lenenc_int(out, ok->last_insert_id) != SP_OK) {
        goto fail;
    }

    if (caps & SP_CLIENT_PROTOCOL_41) {
        if (sp_codec_put_u16(out, ok->status) != SP_OK
            || sp_codec_put_u16(out, ok->warnings) != SP_OK) {
            goto fail;
        }
    } else if (caps & SP_CLIENT_TRANSACTIONS) {
        if (sp_codec_put_u16(out, ok->status) != SP_OK) {
            goto fail;
        }
    }

    if (!(caps & SP_CLIENT_SESSION_TRACK)) {
        /* Length-encoded, as servers send it (see result_parse_ok_tail); nothing when empty. */
        if (ok->info.len > 0 && sp_codec_put_lenenc_str(out, ok->info.ptr, ok->info.len) != SP_OK) {
            goto fail;
        }
        return SP_OK;
    }

    if (sp_codec_put_lenenc_str(out, ok->info.ptr, ok->info.len) != SP_OK) {
        goto fail;
    }
    if ((ok->status & SP_SERVER_SESSION_STATE_CHANGED)
        && sp_codec_put_lenenc_str(out, ok->session_state.ptr, ok->session_state.len) != SP_OK) {
        goto fail;
    }
    return SP_OK;

fail:
    sp_codec_rollback(out, mark);
    return SP_ENOMEM;
}

/*
 * NOTE: MariaDB sends progress reports as ERR packets with code 0xFFFF
 * when a client sets its progress capability. They are parsed like any
 * other ERR here, so a caller that negotiates progress must check the code.
 */
int
sp_err_parse(const uint8_t *payload, size_t len, struct sp_err_packet *out)
{
    struct sp_cursor c;
    struct sp_str state;
    uint8_t header;

    memset(out, 0, sizeof(*out));
    sp_cursor_init(&c, payload, len);

    if (sp_codec_take_u8(&c, &header) != SP_OK || header != SP_PACKET_ERR
        || sp_codec_take_u16(&c, &out->code) != SP_OK) {
        return SP_EPROTO;
    }

    if (sp_cursor_left(&c) > 0 && c.ptr[c.pos] == RESULT_SQLSTATE_MARKER) {
        if (sp_codec_skip(&c, 1) != SP_OK
            || sp_codec_take_bytes(&c, RESULT_SQLSTATE_LEN, &state) != SP_OK) {
            return SP_EPROTO;
        }
        memcpy(out->sqlstate, state.ptr, RESULT_SQLSTATE_LEN);
        out->sqlstate[RESULT_SQLSTATE_LEN] = '\0';
    } else {
        memcpy(out->sqlstate, RESULT_DEFAULT_SQLSTATE, sizeof(RESULT_DEFAULT_SQLSTATE));
    }

    sp_codec_take_rest(&c, &out->message);
    return SP_OK;
}

int
sp_err_build(struct sp_buf *out, uint16_t code, const char *sqlstate, const char *message,
             size_t message_len)
{
    size_t mark = sp_codec_mark(out);

    if (sqlstate == NULL || sqlstate[0] == '\0') {
        sqlstate = RESULT_DEFAULT_SQLSTATE;
    }
    if (strlen(sqlstate) != RESULT_SQLSTATE_LEN) {
        return SP_EINVAL;
    }

    if (sp_codec_put_u8(out, SP_PACKET_ERR) != SP_OK
        || sp_codec_put_u16(out, code) != SP_OK
        || sp_codec_put_u8(out, RESULT_SQLSTATE_MARKER) != SP_OK
        || sp_codec_put_bytes(out, sqlstate, RESULT_SQLSTATE_LEN) != SP_OK
        || sp_codec_put_bytes(out, message, message_len) != SP_OK) {
        sp_codec_rollback(out, mark);
        return SP_ENOMEM;
    }
    return SP_OK;
}

int
sp_eof_parse(const uint8_t *payload, size_t len, struct sp_eof_packet *out)
{
    struct sp_cursor c;
    uint8_t header;

    memset(out, 0, sizeof(*out));
    if (len >= RESULT_EOF_MAX_LEN) {
        return SP_EPROTO;
    }
    sp_cursor_init(&c, payload, len);

    if (sp_codec_take_u8(&c, &header) != SP_OK || header != SP_PACKET_EOF
        || sp_codec_take_u16(&c, &out->warnings) != SP_OK
        || sp_codec_take_u16(&c, &out->status) != SP_OK) {
        return SP_EPROTO;
    }
    return SP_OK;
}

int
sp_eof_build(struct sp_buf *out, const struct sp_eof_packet *eof)
{
    uint8_t tmp[RESULT_EOF_LEN];

    tmp[0] = SP_PACKET_EOF;
    tmp[1] = (uint8_t)eof->warnings;
    tmp[2] = (uint8_t)(eof->warnings >> 8);
    tmp[3] = (uint8_t)eof->status;
    tmp[4] = (uint8_t)(eof->status >> 8);
    return sp_codec_put_bytes(out, tmp, sizeof(tmp));
}

/*
 * The rule, in order:
 *   - empty payload: DATA;
 *   - 0xFF: ERR (no length-encoded value starts with 0xFF);
 *   - 0x00 and FIRST: OK;
 *   - 0xFE with DEPRECATE_EOF and LEN < 0xFFFFFF: OK. A row or column
 *     definition starting with 0xFE carries a value of 16 MiB or more, so
 *     its payload is at least 9 + 0x1000000 bytes, and even its first
 *     physical packet alone is 0xFFFFFF bytes;
 *   - 0xFE without DEPRECATE_EOF and LEN < 9: EOF;
 *   - 0xFB and FIRST: LOCAL_INFILE;
 *   - anything else: DATA.
 */
enum sp_response_kind
sp_response_classify(const uint8_t *payload, size_t len, bool first, bool deprecate_eof)
{
    if (len == 0) {
        return SP_RESPONSE_DATA;
    }

    switch (payload[0]) {
    case SP_PACKET_ERR:
        return SP_RESPONSE_ERR;
    case SP_PACKET_OK:
        return first ? SP_RESPONSE_OK : SP_RESPONSE_DATA;
    case SP_PACKET_EOF:
        if (deprecate_eof) {
            return len < SP_PACKET_MAX_PAYLOAD ? SP_RESPONSE_OK : SP_RESPONSE_DATA;
        }
        return len < RESULT_EOF_MAX_LEN ? SP_RESPONSE_EOF : SP_RESPONSE_DATA;
    case SP_PACKET_LOCAL_INFILE:
        return first ? SP_RESPONSE_LOCAL_INFILE : SP_RESPONSE_DATA;
    default:
        return SP_RESPONSE_DATA;
    }
}

int
sp_column_count_parse(const uint8_t *payload, size_t len, uint64_t *count)
{
    struct sp_cursor c;

    sp_cursor_init(&c, payload, len);
    if (sp_codec_take_lenenc_int(&c, count, NULL) != SP_OK) {
        return SP_EPROTO;
    }
    /* A trailing byte means the MariaDB metadata-cache extension, which
     * shardproxy never negotiates. A count of 0 would be an OK packet. */
    if (sp_cursor_left(&c) != 0 || *count == 0) {
        return SP_EPROTO;
    }
    return SP_OK;
}

/*
 * The fixed-length block must announce exactly 12 bytes: MariaDB's
 * extended type info, which shardproxy never negotiates, would put another
 * string first. A length-encoded default value may follow in COM_FIELD_LIST
 * responses, and it is checked for size and otherwise ignored.
 */
int
sp_column_def_parse(const uint8_t *payload, size_t len, struct sp_column_def *out)
{
    struct sp_cursor c;
    struct sp_str default_value;
    uint64_t fixed_len;
    bool is_null;

    memset(out, 0, sizeof(*out));
    sp_cursor_init(&c, payload, len);

    if (sp_codec_take_lenenc_str(&c, &out->catalog, NULL) != SP_OK
        || sp_codec_take_lenenc_str(&c, &out->schema, NULL) != SP_OK
        || sp_codec_take_lenenc_str(&c, &out->table, NULL) != SP_OK
        || sp_codec_take_lenenc_str(&c, &out->org_table, NULL) != SP_OK
        || sp_codec_take_lenenc_str(&c, &out->name, NULL) != SP_OK
        || sp_codec_take_lenenc_str(&c, &out->org_name, NULL) != SP_OK
        || sp_codec_take_lenenc_int(&c, &fixed_len, NULL) != SP_OK) {
        return SP_EPROTO;
    }
    if (fixed_len != RESULT_COLUMN_FIXED_LEN) {
        return SP_EPROTO;
    }

    if (sp_codec_take_u16(&c, &out->charset) != SP_OK
        || sp_codec_take_u32(&c, &out->column_length) != SP_OK
        || sp_codec_take_u8(&c, &out->type) != SP_OK
        || sp_codec_take_u16(&c, &out->flags) != SP_OK
        || sp_codec_take_u8(&c, &out->decimals) != SP_OK
        || sp_codec_skip(&c, 2) != SP_OK) {
        return SP_EPROTO;
    }

    if (sp_cursor_left(&c) == 0) {
        return SP_OK;
    }
    if (sp_codec_take_lenenc_str(&c, &default_value, &is_null) != SP_OK
        || sp_cursor_left(&c) != 0) {
        return SP_EPROTO;
    }
    return SP_OK;
}

int
sp_column_def_build(struct sp_buf *out, const struct sp_column_def *def)
{
    struct sp_str catalog = def->catalog;
    size_t mark = sp_codec_mark(out);

    if (catalog.len == 0) {
        catalog = SP_STR_LIT(RESULT_CATALOG);
    }

    if (sp_codec_put_lenenc_str(out, catalog.ptr, catalog.len) != SP_OK
        || sp_codec_put_lenenc_str(out, def->schema.ptr, def->schema.len) != SP_OK
        || sp_codec_put_lenenc_str(out, def->table.ptr, def->table.len) != SP_OK
        || sp_codec_put_lenenc_str(out, def->org_table.ptr, def->org_table.len) != SP_OK
        || sp_codec_put_lenenc_str(out, def->name.ptr, def->name.len) != SP_OK
        || sp_codec_put_lenenc_str(out, def->org_name.ptr, def->org_name.len) != SP_OK
        || sp_codec_put_lenenc_int(out, RESULT_COLUMN_FIXED_LEN) != SP_OK
        || sp_codec_put_u16(out, def->charset) != SP_OK
        || sp_codec_put_u32(out, def->column_length) != SP_OK
        || sp_codec_put_u8(out, def->type) != SP_OK
        || sp_codec_put_u16(out, def->flags) != SP_OK
        || sp_codec_put_u8(out, def->decimals) != SP_OK
        || sp_codec_put_zeros(out, 2) != SP_OK) {
        sp_codec_rollback(out, mark);
        return SP_ENOMEM;
    }
    return SP_OK;
}

int
sp_text_row_parse(const uint8_t *payload, size_t len, size_t ncols, struct sp_str *values,
                  bool *nulls)
{
    struct sp_cursor c;
    size_t i;

    sp_cursor_init(&c, payload, len);
    for (i = 0; i < ncols; i++) {
        if (sp_codec_take_lenenc_str(&c, &values[i], &nulls[i]) != SP_OK) {
            return SP_EPROTO;
        }
    }
    if (sp_cursor_left(&c) != 0) {
        return SP_EPROTO;
    }
    return SP_OK;
}

int
sp_text_row_build(struct sp_buf *out, size_t ncols, const struct sp_str *values,
                  const bool *nulls)
{
    size_t mark = sp_codec_mark(out);
    size_t i;
    int rc;

    for (i = 0; i < ncols; i++) {
        if (nulls != NULL && nulls[i]) {
            rc = sp_codec_put_u8(out, RESULT_NULL_VALUE);
        } else {
            rc = sp_codec_put_lenenc_str(out, values[i].ptr, values[i].len);
        }
        if (rc != SP_OK) {
            sp_codec_rollback(out, mark);
            return rc;
        }
    }
    return SP_OK;
}
