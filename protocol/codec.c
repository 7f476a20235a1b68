/*
 * Readers and writers for the MySQL protocol's basic data types.
 *
 * Readers never move the cursor on failure, so a caller can report where a
 * packet went wrong. Writers append whole values or nothing: each one
 * reserves its full size before copying. No I/O, no allocation except
 * growing the caller's struct sp_buf.
 */
#include "protocol/codec.h"

#include <string.h>

#define LENENC_NULL 0xFB
#define LENENC_U16 0xFC
#define LENENC_U24 0xFD
#define LENENC_U64 0xFE

static uint64_t
codec_load_le(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    size_t i;

    for (i = n; i > 0; i--) {
        v = (v << 8) | p[i - 1];
    }
    return v;
}

static void
codec_store_le(uint8_t *p, uint64_t v, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

/* A view of N bytes at the cursor. An empty cursor may have a NULL base,
 * and C leaves even NULL + 0 undefined. */
static struct sp_str
codec_view(const struct sp_cursor *c, size_t n)
{
    if (c->ptr == NULL) {
        return SP_STR_NULL;
    }
    return sp_str_make((const char *)c->ptr + c->pos, n);
}

static int
codec_take_le(struct sp_cursor *c, size_t n, uint64_t *v)
{
    if (sp_cursor_left(c) < n) {
        return SP_EPROTO;
    }
    *v = codec_load_le(c->ptr + c->pos, n);
    c->pos += n;
    return SP_OK;
}

int
sp_codec_take_u8(struct sp_cursor *c, uint8_t *v)
{
    uint64_t x;
    int rc;

    rc = codec_take_le(c, 1, &x);
    if (rc == SP_OK) {
        *v = (uint8_t)x;
    }
    return rc;
}

int
sp_codec_take_u16(struct sp_cursor *c, uint16_t *v)
{
    uint64_t x;
    int rc;

    rc = codec_take_le(c, 2, &x);
    if (rc == SP_OK) {
        *v = (uint16_t)x;
    }
    return rc;
}

int
sp_codec_take_u24(struct sp_cursor *c, uint32_t *v)
{
    uint64_t x;
    int rc;

    rc = codec_take_le(c, 3, &x);
    if (rc == SP_OK) {
        *v = (uint32_t)x;
    }
    return rc;
}

int
sp_codec_take_u32(struct sp_cursor *c, uint32_t *v)
{
    uint64_t x;
    int rc;

    rc = codec_take_le(c, 4, &x);
    if (rc == SP_OK) {
        *v = (uint32_t)x;
    }
    return rc;
}

int
sp_codec_take_u64(struct sp_cursor *c, uint64_t *v)
{
    return codec_take_le(c, 8, v);
}

int
sp_codec_take_lenenc_int(struct sp_cursor *c, uint64_t *v, bool *is_null)
{
    size_t width;
    uint8_t first;

    if (sp_cursor_left(c) < 1) {
        return SP_EPROTO;
    }
    first = c->ptr[c->pos];

    if (first < LENENC_NULL) {
        c->pos++;
        *v = first;
        if (is_null != NULL) {
            *is_null = false;
        }
        return SP_OK;
    }

    if (first == LENENC_NULL) {
        if (is_null == NULL) {
            return SP_EPROTO;
        }
        c->pos++;
        *v = 0;
        *is_null = true;
        return SP_OK;
    }

    switch (first) {
    case LENENC_U16:
        width = 2;
        break;
    case LENENC_U24:
        width = 3;
        break;
    case LENENC_U64:
        width = 8;
        break;
    default:
        /* 0xFF starts an ERR packet and is never a length. */
        return SP_EPROTO;
    }

    if (sp_cursor_left(c) < 1 + width) {
        return SP_EPROTO;
    }
    *v = codec_load_le(c->ptr + c->pos + 1, width);
    c->pos += 1 + width;
    if (is_null != NULL) {
        *is_null = false;
    }
    return SP_OK;
}

int
sp_codec_take_lenenc_str(struct sp_cursor *c, struct sp_str *v, bool *is_null)
{
    size_t saved = c->pos;
    bool null = false;
    uint64_t n;
    int rc;

    rc = sp_codec_take_lenenc_int(c, &n, is_null != NULL ? &null : NULL);
    if (rc != SP_OK) {
        return rc;
    }

    if (null) {
        *v = SP_STR_NULL;
        *is_null = true;
        return SP_OK;
    }

    if (n > sp_cursor_left(c)) {
        c->pos = saved;
        return SP_EPROTO;
    }
    *v = codec_view(c, (size_t)n);
    c->pos += (size_t)n;
    if (is_null != NULL) {
        *is_null = false;
    }
    return SP_OK;
}

int
sp_codec_take_nul_str(struct sp_cursor *c, struct sp_str *v)
{
    const uint8_t *start;
    const uint8_t *nul;

    if (sp_cursor_left(c) == 0) {
        return SP_EPROTO;
    }
    start = c->ptr + c->pos;
    nul = memchr(start, 0, sp_cursor_left(c));
    if (nul == NULL) {
        return SP_EPROTO;
    }
    *v = sp_str_make((const char *)start, (size_t)(nul - start));
    c->pos += v->len + 1;
    return SP_OK;
}

int
sp_codec_take_bytes(struct sp_cursor *c, size_t n, struct sp_str *v)
{
    if (sp_cursor_left(c) < n) {
        return SP_EPROTO;
    }
    *v = codec_view(c, n);
    c->pos += n;
    return SP_OK;
}

void
sp_codec_take_rest(struct sp_cursor *c, struct sp_str *v)
{
    *v = codec_view(c, sp_cursor_left(c));
    c->pos = c->len;
}

int
sp_codec_skip(struct sp_cursor *c, size_t n)
{
    if (sp_cursor_left(c) < n) {
        return SP_EPROTO;
    }
    c->pos += n;
    return SP_OK;
}

static int
codec_put_le(struct sp_buf *out, uint64_t v, size_t n)
{
    uint8_t tmp[8];

    codec_store_le(tmp, v, n);
    return sp_buf_append(out, tmp, n);
}

int
sp_codec_put_u8(struct sp_buf *out, uint8_t v)
{
    return sp_buf_append_u8(out, v);
}

int
sp_codec_put_u16(struct sp_buf *out, uint16_t v)
{
    return codec_put_le(out, v, 2);
}

int
sp_codec_put_u24(struct sp_buf *out, uint32_t v)
{
    return codec_put_le(out, v, 3);
}

int
sp_codec_put_u32(struct sp_buf *out, uint32_t v)
{
    return codec_put_le(out, v, 4);
}

int
sp_codec_put_u64(struct sp_buf *out, uint64_t v)
{
    return codec_put_le(out, v, 8);
}

size_t
sp_codec_lenenc_int_size(uint64_t v)
{
    if (v < LENENC_NULL) {
        return 1;
    }
    if (v <= 0xFFFF) {
        return 3;
    }
    if (v <= 0xFFFFFF) {
        return 4;
    }
    return 9;
}

/* Encodes V into TMP, which has room for 9 bytes, and returns the length. */
static size_t
codec_encode_lenenc(uint8_t tmp[9], uint64_t v)
{
    size_t n = sp_codec_lenenc_int_size(v);

    switch (n) {
    case 1:
        tmp[0] = (uint8_t)v;
        break;
    case 3:
        tmp[0] = LENENC_U16;
        codec_store_le(tmp + 1, v, 2);
        break;
    case 4:
        tmp[0] = LENENC_U24;
        codec_store_le(tmp + 1, v, 3);
        break;
    default:
        tmp[0] = LENENC_U64;
        codec_store_le(tmp + 1, v, 8);
        break;
    }
    return n;
}

int
sp_codec_put_lenenc_int(struct sp_buf *out, uint64_t v)
{
    uint8_t tmp[9];
    size_t n;

    n = codec_encode_lenenc(tmp, v);
    return sp_buf_append(out, tmp, n);
}

int
sp_codec_put_lenenc_str(struct sp_buf *out, const void *p, size_t n)
{
    uint8_t tmp[9];
    size_t prefix;
    int rc;

    prefix = codec_encode_lenenc(tmp, n);
    if (n > SIZE_MAX - prefix) {
        return SP_ENOMEM;
    }
    rc = sp_buf_reserve(out, prefix + n);
    if (rc != SP_OK) {
        return rc;
    }

    memcpy(out->data + out->len, tmp, prefix);
    if (n > 0) {
        memcpy(out->data + out->len + prefix, p, n);
    }
    out->len += prefix + n;
    return SP_OK;
}

int
sp_codec_put_nul_str(struct sp_buf *out, const void *p, size_t n)
{
    int rc;

    if (n == SIZE_MAX) {
        return SP_ENOMEM;
    }
    rc = sp_buf_reserve(out, n + 1);
    if (rc != SP_OK) {
        return rc;
    }

    if (n > 0) {
        memcpy(out->data + out->len, p, n);
    }
    out->data[out->len + n] = 0;
    out->len += n + 1;
    return SP_OK;
}

int
sp_codec_put_bytes(struct sp_buf *out, const void *p, size_t n)
{
    return sp_buf_append(out, p, n);
}

int
sp_codec_put_zeros(struct sp_buf *out, size_t n)
{
    int rc;

    rc = sp_buf_reserve(out, n);
    if (rc != SP_OK) {
        return rc;
    }
    if (n > 0) {
        memset(out->data + out->len, 0, n);
    }
    out->len += n;
    return SP_OK;
}
