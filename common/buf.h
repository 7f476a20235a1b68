/*
 * Growable byte buffer, owned by its creator and reused across packets so
 * that the steady state allocates nothing. Writers append; readers consume
 * from the front.
 */
#ifndef SP_COMMON_BUF_H
#define SP_COMMON_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "common/status.h"

struct sp_buf {
    uint8_t *data;
    size_t len;  /* bytes written */
    size_t cap;  /* bytes allocated */
    size_t head; /* bytes consumed from the front, < len or 0 */
};

void sp_buf_init(struct sp_buf *buf);
void sp_buf_deinit(struct sp_buf *buf);

/* Makes room for EXTRA more bytes after len. Returns SP_OK or SP_ENOMEM. */
int sp_buf_reserve(struct sp_buf *buf, size_t extra) SP_WARN_UNUSED;

int sp_buf_append(struct sp_buf *buf, const void *src, size_t n) SP_WARN_UNUSED;
int sp_buf_append_u8(struct sp_buf *buf, uint8_t v) SP_WARN_UNUSED;

/* Bytes not yet consumed, and their count. */
static inline uint8_t *
sp_buf_unread(const struct sp_buf *buf)
{
    return buf->data + buf->head;
}

static inline size_t
sp_buf_unread_len(const struct sp_buf *buf)
{
    return buf->len - buf->head;
}

/* Marks N unread bytes consumed; compacts once everything is consumed. */
void sp_buf_consume(struct sp_buf *buf, size_t n);

/* Moves unread bytes to the front, so that reserve can reuse the space. */
void sp_buf_compact(struct sp_buf *buf);

/* Drops all content; keeps the allocation unless it exceeds KEEP bytes. */
void sp_buf_reset(struct sp_buf *buf, size_t keep);

#endif
