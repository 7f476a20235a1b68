/*
 * Fixed-width and length-encoded integers and strings of the MySQL
 * protocol, read through a cursor over a payload and written into a
 * caller-owned struct sp_buf. All integers are little-endian.
 *
 * Readers return SP_OK, or SP_EPROTO when the payload ends early (the
 * cursor does not move then).
 */
#ifndef SP_PROTOCOL_CODEC_H
#define SP_PROTOCOL_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/status.h"
#include "common/str.h"

struct sp_cursor {
    const uint8_t *ptr;
    size_t len;
    size_t pos;
};

static inline void
sp_cursor_init(struct sp_cursor *c, const uint8_t *ptr, size_t len)
{
    c->ptr = ptr;
    c->len = len;
    c->pos = 0;
}

static inline size_t
sp_cursor_left(const struct sp_cursor *c)
{
    return c->len - c->pos;
}

int sp_codec_take_u8(struct sp_cursor *c, uint8_t *v) SP_WARN_UNUSED;
int sp_codec_take_u16(struct sp_cursor *c, uint16_t *v) SP_WARN_UNUSED;
int sp_codec_take_u24(struct sp_cursor *c, uint32_t *v) SP_WARN_UNUSED;
int sp_codec_take_u32(struct sp_cursor *c, uint32_t *v) SP_WARN_UNUSED;
int sp_codec_take_u64(struct sp_cursor *c, uint64_t *v) SP_WARN_UNUSED;

/*
 * Length-encoded integer: < 0xFB one byte, 0xFC + 2 bytes, 0xFD + 3 bytes,
 * 0xFE + 8 bytes. 0xFB is NULL in a text row: *IS_NULL is set then and *V is
 * 0 (IS_NULL may be NULL, in which case 0xFB is SP_EPROTO). 0xFF is SP_EPROTO.
 */
int sp_codec_take_lenenc_int(struct sp_cursor *c, uint64_t *v, bool *is_null) SP_WARN_UNUSED;

/* Length-encoded string: a view into the payload. Same NULL rule as above. */
int sp_codec_take_lenenc_str(struct sp_cursor *c, struct sp_str *v, bool *is_null) SP_WARN_UNUSED;

/* NUL-terminated string: a view without the NUL; SP_EPROTO without a NUL. */
int sp_codec_take_nul_str(struct sp_cursor *c, struct sp_str *v) SP_WARN_UNUSED;

/* The next N bytes, or everything left (take_rest). */
int sp_codec_take_bytes(struct sp_cursor *c, size_t n, struct sp_str *v) SP_WARN_UNUSED;
void sp_codec_take_rest(struct sp_cursor *c, struct sp_str *v);
int sp_codec_skip(struct sp_cursor *c, size_t n) SP_WARN_UNUSED;

/* Writers: append to OUT, returning SP_OK or SP_ENOMEM. */
int sp_codec_put_u8(struct sp_buf *out, uint8_t v) SP_WARN_UNUSED;
int sp_codec_put_u16(struct sp_buf *out, uint16_t v) SP_WARN_UNUSED;
int sp_codec_put_u24(struct sp_buf *out, uint32_t v) SP_WARN_UNUSED;
int sp_codec_put_u32(struct sp_buf *out, uint32_t v) SP_WARN_UNUSED;
int sp_codec_put_u64(struct sp_buf *out, uint64_t v) SP_WARN_UNUSED;
int sp_codec_put_lenenc_int(struct sp_buf *out, uint64_t v) SP_WARN_UNUSED;
int sp_codec_put_lenenc_str(struct sp_buf *out, const void *p, size_t n) SP_WARN_UNUSED;
int sp_codec_put_nul_str(struct sp_buf *out, const void *p, size_t n) SP_WARN_UNUSED;
int sp_codec_put_bytes(struct sp_buf *out, const void *p, size_t n) SP_WARN_UNUSED;
int sp_codec_put_zeros(struct sp_buf *out, size_t n) SP_WARN_UNUSED;

/* Size of the length-encoded form of V. */
size_t sp_codec_lenenc_int_size(uint64_t v);

/*
 * Mark and rollback for builders that append several fields and must leave
 * OUT unchanged on failure. The mark counts unread bytes rather than an
 * offset into data, because sp_buf_reserve may compact OUT in between.
 */
static inline size_t
sp_codec_mark(const struct sp_buf *out)
{
    return sp_buf_unread_len(out);
}

static inline void
sp_codec_rollback(struct sp_buf *out, size_t mark)
{
    out->len = out->head + mark;
}

#endif
