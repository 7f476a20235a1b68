/*
 * Prepared-statement commands: the COM_STMT_PREPARE OK packet,
 * COM_STMT_EXECUTE with its NULL bitmap, parameter types and values, and
 * the small COM_STMT_SEND_LONG_DATA, CLOSE, RESET and FETCH commands.
 *
 * Parsers are fed bytes from untrusted clients: they check every length
 * against the payload and never read past LEN. Builders append whole
 * payloads or leave the buffer as it was. No I/O, no allocation beyond the
 * caller's buffer.
 */
#include "protocol/stmt.h"

#include <string.h>

#include "protocol/codec.h"
#include "protocol/command.h"
#include "protocol/stmt_internal.h"

#define STMT_PREPARE_OK_LEN 12
#define STMT_PREPARE_OK_OLD_LEN 9   /* without filler and warnings */
#define STMT_LONG_DATA_FIXED_LEN 7  /* command, id, parameter id */
#define STMT_FETCH_LEN 9

/* Types that MariaDB 10.11 accepts long data for (checked by executing a
 * parameter of each type after COM_STMT_SEND_LONG_DATA). */
static bool
stmt_type_takes_long_data(uint8_t type)
{
    switch (type) {
    case SP_MYSQL_TYPE_VARCHAR:
    case SP_MYSQL_TYPE_VAR_STRING:
    case SP_MYSQL_TYPE_STRING:
    case SP_MYSQL_TYPE_TINY_BLOB:
    case SP_MYSQL_TYPE_MEDIUM_BLOB:
    case SP_MYSQL_TYPE_LONG_BLOB:
    case SP_MYSQL_TYPE_BLOB:
    case SP_MYSQL_TYPE_ENUM:
    case SP_MYSQL_TYPE_SET:
    case SP_MYSQL_TYPE_GEOMETRY:
        return true;
    default:
        return false;
    }
}

/*
 * Checks a parameter type word. MariaDB 10.11 rejects the server-internal
 * types 17-19 and flag bits other than unsigned (0x40 marks a bulk
 * indicator, which COM_STMT_EXECUTE does not have). It also rejects JSON,
 * and for INT24, YEAR and BIT it reads no value bytes and binds NULL, so a
 * client cannot use those four.
 */
static int
stmt_check_type_word(uint16_t word)
{
    uint8_t type = (uint8_t)(word & 0xFF);
    size_t width;

    if ((word & 0xFF00 & ~SP_STMT_PARAM_UNSIGNED) != 0) {
        return SP_EPROTO;
    }

    switch (type) {
    case SP_MYSQL_TYPE_INT24:
    case SP_MYSQL_TYPE_YEAR:
    case SP_MYSQL_TYPE_BIT:
    case SP_MYSQL_TYPE_JSON:
        return SP_EUNSUPPORTED;
    default:
        break;
    }
    if (sp_stmt_encoding_of(type, &width) == SP_STMT_ENC_INVALID) {
        return SP_EPROTO;
    }
    return SP_OK;
}

int
sp_stmt_prepare_ok_parse(const uint8_t *payload, size_t len, struct sp_stmt_prepare_ok *out)
{
    struct sp_cursor c;
    uint8_t header;

    memset(out, 0, sizeof(*out));
    if (len != STMT_PREPARE_OK_OLD_LEN && len < STMT_PREPARE_OK_LEN) {
        return SP_EPROTO;
    }
    sp_cursor_init(&c, payload, len);

    if (sp_codec_take_u8(&c, &header) != SP_OK || header != SP_PACKET_OK) {
        return SP_EPROTO;
    }
    if (sp_codec_take_u32(&c, &out->stmt_id) != SP_OK
        || sp_codec_take_u16(&c, &out->ncolumns) != SP_OK
        || sp_codec_take_u16(&c, &out->nparams) != SP_OK) {
        return SP_EPROTO;
    }
    if (len == STMT_PREPARE_OK_OLD_LEN) {
        return SP_OK;
    }

    if (sp_codec_skip(&c, 1) != SP_OK || sp_codec_take_u16(&c, &out->warnings) != SP_OK) {
        return SP_EPROTO;
    }
    return SP_OK;
}

int
sp_stmt_prepare_ok_build(struct sp_buf *out, const struct sp_stmt_prepare_ok *ok)
{
    size_t mark = sp_codec_mark(out);
    int rc;

    rc = sp_codec_put_u8(out, SP_PACKET_OK);
    if (rc == SP_OK) {
        rc = sp_codec_put_u32(out, ok->stmt_id);
    }
    if (rc == SP_OK) {
        rc = sp_codec_put_u16(out, ok->ncolumns);
    }
    if (rc == SP_OK) {
        rc = sp_codec_put_u16(out, ok->nparams);
    }
    if (rc == SP_OK) {
        rc = sp_codec_put_u8(out, 0);
    }
    if (rc == SP_OK) {
        rc = sp_codec_put_u16(out, ok->warnings);
    }
    if (rc != SP_OK) {
        sp_codec_rollback(out, mark);
    }
    return rc;
}

int
sp_stmt_id_peek(const uint8_t *payload, size_t len, uint32_t *stmt_id)
{
    struct sp_cursor c;
    uint8_t command;

    sp_cursor_init(&c, payload, len);
    if (sp_codec_take_u8(&c, &command) != SP_OK) {
        return SP_EPROTO;
    }
    switch (command) {
    case SP_COM_STMT_EXECUTE:
    case SP_COM_STMT_SEND_LONG_DATA:
    case SP_COM_STMT_CLOSE:
    case SP_COM_STMT_RESET:
    case SP_COM_STMT_FETCH:
        break;
    default:
        return SP_EPROTO;
    }
    return sp_codec_take_u32(&c, stmt_id);
}

/* Reads the value of PARAM (type already set) at C. */
static int
stmt_take_value(struct sp_cursor *c, struct sp_stmt_param *param)
{
    enum sp_stmt_encoding enc;
    size_t width = 0;
    bool is_null = false;
    uint64_t n;
    int rc;

    enc = sp_stmt_encoding_of(param->type, &width);
    switch (enc) {
    case SP_STMT_ENC_INT:
    case SP_STMT_ENC_FLOAT:
    case SP_STMT_ENC_DOUBLE:
        return sp_codec_take_bytes(c, width, &param->value);

    case SP_STMT_ENC_DATETIME:
    case SP_STMT_ENC_TIME:
        /* The server reads the length byte as a length-encoded integer. */
        rc = sp_codec_take_lenenc_int(c, &n, &is_null);
        if (rc != SP_OK || is_null || !sp_stmt_temporal_len_ok(enc, (size_t)n)) {
            return SP_EPROTO;
        }
        return sp_codec_take_bytes(c, (size_t)n, &param->value);

    case SP_STMT_ENC_STRING:
        return sp_codec_take_lenenc_str(c, &param->value, NULL);

    case SP_STMT_ENC_NULL:
    case SP_STMT_ENC_INVALID:
        break;
    }
    return SP_EPROTO;
}

/* Reads NPARAMS type words at C into PARAMS after checking each. */
static int
stmt_take_types(struct sp_cursor *c, uint16_t nparams, struct sp_stmt_param *params)
{
    uint16_t word;
    int rc;

    for (uint16_t i = 0; i < nparams; i++) {
        if (sp_codec_take_u16(c, &word) != SP_OK) {
            return SP_EPROTO;
        }
        rc = stmt_check_type_word(word);
        if (rc != SP_OK) {
            return rc;
        }
        params[i].type = (uint8_t)(word & 0xFF);
        params[i].is_unsigned = (word & SP_STMT_PARAM_UNSIGNED) != 0;
    }
    return SP_OK;
}

int
sp_stmt_execute_parse(const uint8_t *payload, size_t len, uint16_t nparams, uint16_t *types,
                      bool have_types, const bool *long_data, struct sp_stmt_execute *out,
                      struct sp_stmt_param *params)
{
    struct sp_cursor c;
    struct sp_str bitmap;
    uint8_t command, bound;
    int rc;

    memset(out, 0, sizeof(*out));
    sp_cursor_init(&c, payload, len);

    if (sp_codec_take_u8(&c, &command) != SP_OK || command != SP_COM_STMT_EXECUTE) {
        return SP_EPROTO;
    }
    if (sp_codec_take_u32(&c, &out->stmt_id) != SP_OK
        || sp_codec_take_u8(&c, &out->flags) != SP_OK
        || sp_codec_take_u32(&c, &out->iterations) != SP_OK) {
        return SP_EPROTO;
    }
    if (nparams == 0) {
        return SP_OK;
    }

    if (sp_codec_take_bytes(&c, SP_STMT_PARAM_BITMAP_LEN(nparams), &bitmap) != SP_OK
        || sp_codec_take_u8(&c, &bound) != SP_OK || bound > 1) {
        return SP_EPROTO;
    }
    out->new_params_bound = bound == 1;

    memset(params, 0, (size_t)nparams * sizeof(*params));
    if (out->new_params_bound) {
        rc = stmt_take_types(&c, nparams, params);
        if (rc != SP_OK) {
            return rc;
        }
    } else if (!have_types) {
        return SP_EPROTO;
    } else {
        for (uint16_t i = 0; i < nparams; i++) {
            params[i].type = (uint8_t)(types[i] & 0xFF);
            params[i].is_unsigned = (types[i] & SP_STMT_PARAM_UNSIGNED) != 0;
        }
    }

    for (uint16_t i = 0; i < nparams; i++) {
        struct sp_stmt_param *p = &params[i];
        bool null_bit = ((uint8_t)bitmap.ptr[i / 8] >> (i % 8)) & 1;

        /* As on the server, long data wins over the NULL bit. */
        if (long_data != NULL && long_data[i]) {
            if (!stmt_type_takes_long_data(p->type)) {
                return SP_EPROTO;
            }
            p->is_long_data = true;
            continue;
        }
        if (null_bit) {
            p->is_null = true;
            continue;
        }
        if (stmt_take_value(&c, p) != SP_OK) {
            return SP_EPROTO;
        }
    }

    if (out->new_params_bound) {
        for (uint16_t i = 0; i < nparams; i++) {
            types[i] = (uint16_t)(params[i].type | (params[i].is_unsigned ? SP_STMT_PARAM_UNSIGNED : 0));
        }
    }
    return SP_OK;
}

/* Appends the value of P, which is neither NULL nor long data. */
static int
stmt_put_value(struct sp_buf *out, const struct sp_stmt_param *p)
{
    enum sp_stmt_encoding enc;
    size_t width = 0;
    int rc;

    enc = sp_stmt_encoding_of(p->type, &width);
    switch (enc) {
    case SP_STMT_ENC_INT:
    case SP_STMT_ENC_FLOAT:
    case SP_STMT_ENC_DOUBLE:
        if (p->value.len != width) {
            return SP_EINVAL;
        }
        return sp_codec_put_bytes(out, p->value.ptr, width);

    case SP_STMT_ENC_DATETIME:
    case SP_STMT_ENC_TIME:
        if (!sp_stmt_temporal_len_ok(enc, p->value.len)) {
            return SP_EINVAL;
        }
        rc = sp_codec_put_u8(out, (uint8_t)p->value.len);
        if (rc == SP_OK) {
            rc = sp_codec_put_bytes(out, p->value.ptr, p->value.len);
        }
        return rc;

    case SP_STMT_ENC_STRING:
        return sp_codec_put_lenenc_str(out, p->value.ptr, p->value.len);

    case SP_STMT_ENC_NULL:
    case SP_STMT_ENC_INVALID:
        break;
    }
    return SP_EINVAL;
}

static int
stmt_put_params(struct sp_buf *out, uint16_t nparams, const struct sp_stmt_param *params,
                bool send_types)
{
    size_t nbitmap = SP_STMT_PARAM_BITMAP_LEN(nparams);
    uint8_t *bitmap;
    int rc;

    for (uint16_t i = 0; i < nparams; i++) {
        const struct sp_stmt_param *p = &params[i];

        if (stmt_check_type_word(p->type) != SP_OK) {
            return SP_EINVAL;
        }
        if (p->is_long_data && !stmt_type_takes_long_data(p->type)) {
            return SP_EINVAL;
        }
        if (!p->is_long_data && !p->is_null && p->type == SP_MYSQL_TYPE_NULL) {
            return SP_EINVAL;
        }
    }

    rc = sp_codec_put_zeros(out, nbitmap);
    if (rc != SP_OK) {
        return rc;
    }
    bitmap = sp_buf_unread(out) + sp_buf_unread_len(out) - nbitmap;
    for (uint16_t i = 0; i < nparams; i++) {
        if (params[i].is_null && !params[i].is_long_data) {
            bitmap[i / 8] |= (uint8_t)(1u << (i % 8));
        }
    }

    rc = sp_codec_put_u8(out, send_types ? 1 : 0);
    for (uint16_t i = 0; rc == SP_OK && send_types && i < nparams; i++) {
        rc = sp_codec_put_u16(out, (uint16_t)(params[i].type
                                              | (params[i].is_unsigned ? SP_STMT_PARAM_UNSIGNED : 0)));
    }
    for (uint16_t i = 0; rc == SP_OK && i < nparams; i++) {
        if (!params[i].is_long_data && !params[i].is_null) {
            rc = stmt_put_value(out, &params[i]);
        }
    }
    return rc;
}

int
sp_stmt_execute_build(struct sp_buf *out, uint32_t stmt_id, uint8_t flags, uint16_t nparams,
                      const struct sp_stmt_param *params, bool send_types)
{
    size_t mark = sp_codec_mark(out);
    int rc;

    rc = sp_codec_put_u8(out, SP_COM_STMT_EXECUTE);
    if (rc == SP_OK) {
        rc = sp_codec_put_u32(out, stmt_id);
    }
    if (rc == SP_OK) {
        rc = sp_codec_put_u8(out, flags);
    }
    if (rc == SP_OK) {
        rc = sp_codec_put_u32(out, 1);
    }
    if (rc == SP_OK && nparams > 0) {
        rc = stmt_put_params(out, nparams, params, send_types);
    }
    if (rc != SP_OK) {
        sp_codec_rollback(out, mark);
    }
    return rc;
}

int
sp_stmt_long_data_parse(const uint8_t *payload, size_t len, struct sp_stmt_long_data *out)
{
    struct sp_cursor c;
    uint8_t command;

    memset(out, 0, sizeof(*out));
    sp_cursor_init(&c, payload, len);

    if (sp_codec_take_u8(&c, &command) != SP_OK || command != SP_COM_STMT_SEND_LONG_DATA) {
        return SP_EPROTO;
    }
    if (sp_codec_take_u32(&c, &out->stmt_id) != SP_OK
        || sp_codec_take_u16(&c, &out->param_id) != SP_OK) {
        return SP_EPROTO;
    }
    sp_codec_take_rest(&c, &out->data);
    return SP_OK;
}

int
sp_stmt_long_data_build(struct sp_buf *out, const struct sp_stmt_long_data *ld)
{
    size_t mark = sp_codec_mark(out);
    int rc;

    rc = sp_buf_reserve(out, STMT_LONG_DATA_FIXED_LEN + ld->data.len);
    if (rc == SP_OK) {
        rc = sp_codec_put_u8(out, SP_COM_STMT_SEND_LONG_DATA);
    }
    if (rc == SP_OK) {
        rc = sp_codec_put_u32(out, ld->stmt_id);
    }
    if (rc == SP_OK) {
        rc = sp_codec_put_u16(out, ld->param_id);
    }
    if (rc == SP_OK) {
        rc = sp_codec_put_bytes(out, ld->data.ptr, ld->data.len);
    }
    if (rc != SP_OK) {
        sp_codec_rollback(out, mark);
    }
    return rc;
}

static int
stmt_id_command_parse(const uint8_t *payload, size_t len, uint8_t expected, uint32_t *stmt_id)
{
    struct sp_cursor c;
    uint8_t command;

    *stmt_id = 0;
    sp_cursor_init(&c, payload, len);
    if (sp_codec_take_u8(&c, &command) != SP_OK || command != expected) {
        return SP_EPROTO;
    }
    return sp_codec_take_u32(&c, stmt_id);
}

static int
stmt_id_command_build(struct sp_buf *out, uint8_t command, uint32_t stmt_id)
{
    size_t mark = sp_codec_mark(out);
    int rc;

    rc = sp_codec_put_u8(out, command);
    if (rc == SP_OK) {
        rc = sp_codec_put_u32(out, stmt_id);
    }
    if (rc != SP_OK) {
        sp_codec_rollback(out, mark);
    }
    return rc;
}

int
sp_stmt_close_parse(const uint8_t *payload, size_t len, uint32_t *stmt_id)
{
    return stmt_id_command_parse(payload, len, SP_COM_STMT_CLOSE, stmt_id);
}

int
sp_stmt_close_build(struct sp_buf *out, uint32_t stmt_id)
{
    return stmt_id_command_build(out, SP_COM_STMT_CLOSE, stmt_id);
}

int
sp_stmt_reset_parse(const uint8_t *payload, size_t len, uint32_t *stmt_id)
{
    return stmt_id_command_parse(payload, len, SP_COM_STMT_RESET, stmt_id);
}

int
sp_stmt_reset_build(struct sp_buf *out, uint32_t stmt_id)
{
    return stmt_id_command_build(out, SP_COM_STMT_RESET, stmt_id);
}

int
sp_stmt_fetch_parse(const uint8_t *payload, size_t len, struct sp_stmt_fetch *out)
{
    struct sp_cursor c;
    uint8_t command;

    memset(out, 0, sizeof(*out));
    sp_cursor_init(&c, payload, len);

    if (sp_codec_take_u8(&c, &command) != SP_OK || command != SP_COM_STMT_FETCH) {
        return SP_EPROTO;
    }
    if (sp_codec_take_u32(&c, &out->stmt_id) != SP_OK || sp_codec_take_u32(&c, &out->nrows) != SP_OK) {
        return SP_EPROTO;
    }
    return SP_OK;
}

int
sp_stmt_fetch_build(struct sp_buf *out, const struct sp_stmt_fetch *fetch)
{
    size_t mark = sp_codec_mark(out);
    int rc;

    rc = sp_buf_reserve(out, STMT_FETCH_LEN);
    if (rc == SP_OK) {
        rc = sp_codec_put_u8(out, SP_COM_STMT_FETCH);
    }
    if (rc == SP_OK) {
        rc = sp_codec_put_u32(out, fetch->stmt_id);
    }
    if (rc == SP_OK) {
        rc = sp_codec_put_u32(out, fetch->nrows);
    }
    if (rc != SP_OK) {
        sp_codec_rollback(out, mark);
    }
    return rc;
}
