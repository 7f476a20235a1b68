#include "common/buf.h"

#include <stdlib.h>
#include <string.h>

void
sp_buf_init(struct sp_buf *buf)
{
    memset(buf, 0, sizeof(*buf));
}

void
sp_buf_deinit(struct sp_buf *buf)
{
    free(buf->data);
    memset(buf, 0, sizeof(*buf));
}

int
sp_buf_reserve(struct sp_buf *buf, size_t extra)
{
    size_t need, cap;
    uint8_t *data;

    if (extra > SIZE_MAX - buf->len) {
        return SP_ENOMEM;
    }
    need = buf->len + extra;
    if (need <= buf->cap) {
        return SP_OK;
    }

    if (buf->head > 0) {
        sp_buf_compact(buf);
        need = buf->len + extra;
        if (need <= buf->cap) {
            return SP_OK;
        }
    }

    cap = buf->cap < 256 ? 256 : buf->cap;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            cap = need;
            break;
        }
        cap *= 2;
    }

    data = realloc(buf->data, cap);
    if (data == NULL) {
        return SP_ENOMEM;
    }
    buf->data = data;
    buf->cap = cap;
    return SP_OK;
}

int
sp_buf_append(struct sp_buf *buf, const void *src, size_t n)
{
    int rc;

    if (n == 0) {
        return SP_OK;
    }
    rc = sp_buf_reserve(buf, n);
    if (rc != SP_OK) {
        return rc;
    }
    memcpy(buf->data + buf->len, src, n);
    buf->len += n;
    return SP_OK;
}

int
sp_buf_append_u8(struct sp_buf *buf, uint8_t v)
{
    return sp_buf_append(buf, &v, 1);
}

void
sp_buf_consume(struct sp_buf *buf, size_t n)
{
    SP_BUG_ON(n > buf->len - buf->head);
    buf->head += n;
    if (buf->head == buf->len) {
        buf->head = 0;
        buf->len = 0;
    }
}

void
sp_buf_compact(struct sp_buf *buf)
{
    if (buf->head == 0) {
        return;
    }
    memmove(buf->data, buf->data + buf->head, buf->len - buf->head);
    buf->len -= buf->head;
    buf->head = 0;
}

void
sp_buf_reset(struct sp_buf *buf, size_t keep)
{
    buf->len = 0;
    buf->head = 0;
    if (buf->cap > keep) {
        free(buf->data);
        buf->data = NULL;
        buf->cap = 0;
    }
}
