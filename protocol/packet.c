/*
 * MySQL packet framing: headers, 16 MiB continuation packets and sequence
 * ids.
 *
 * Everything here works on caller memory. It must not do I/O or keep state
 * between calls, and it grows only the caller's struct sp_buf.
 */
#include "protocol/packet.h"

#include <string.h>

int
sp_packet_parse_header(const uint8_t *p, size_t n, struct sp_packet_header *out)
{
    if (n < SP_PACKET_HEADER_LEN) {
        return SP_EAGAIN;
    }
    out->len = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16;
    out->seq = p[3];
    return SP_OK;
}

void
sp_packet_build_header(uint8_t out[SP_PACKET_HEADER_LEN], uint32_t len, uint8_t seq)
{
    SP_BUG_ON(len > SP_PACKET_MAX_PAYLOAD);

    out[0] = (uint8_t)len;
    out[1] = (uint8_t)(len >> 8);
    out[2] = (uint8_t)(len >> 16);
    out[3] = seq;
}

/*
 * Headers are checked as soon as they arrive, before their payload, so that
 * a bad sequence id or an oversized packet is reported without waiting for
 * up to 16 MiB of bytes that will be rejected anyway.
 */
int
sp_packet_scan(const uint8_t *buf, size_t n, size_t max_payload, struct sp_packet_scan *out)
{
    struct sp_packet_header hdr;
    size_t pos = 0;
    size_t payload_len = 0;
    uint32_t nphysical = 0;
    uint8_t first_seq = 0;
    uint8_t last_seq = 0;
    int rc;

    for (;;) {
        /* Checked before BUF + POS is formed: BUF may be NULL when N is 0. */
        if (n - pos < SP_PACKET_HEADER_LEN) {
            return SP_EAGAIN;
        }
        rc = sp_packet_parse_header(buf + pos, n - pos, &hdr);
        if (rc != SP_OK) {
            return rc;
        }

        if (nphysical == 0) {
            first_seq = hdr.seq;
        } else if (hdr.seq != (uint8_t)(last_seq + 1)) {
            return SP_EPROTO;
        }
        last_seq = hdr.seq;

        /* payload_len <= max_payload is true here, so this cannot wrap. */
        if (hdr.len > max_payload - payload_len) {
            return SP_ETOOBIG;
        }

        if (n - pos - SP_PACKET_HEADER_LEN < hdr.len) {
            return SP_EAGAIN;
        }
        pos += SP_PACKET_HEADER_LEN + hdr.len;
        payload_len += hdr.len;
        nphysical++;

        if (hdr.len < SP_PACKET_MAX_PAYLOAD) {
            break;
        }
    }

    out->wire_len = pos;
    out->payload_len = payload_len;
    out->first_seq = first_seq;
    out->last_seq = last_seq;
    out->nphysical = nphysical;
    return SP_OK;
}

void
sp_packet_join(const uint8_t *buf, const struct sp_packet_scan *scan, uint8_t *out)
{
    size_t left = scan->payload_len;
    size_t chunk;
    uint32_t i;

    for (i = 0; i < scan->nphysical; i++) {
        chunk = left < SP_PACKET_MAX_PAYLOAD ? left : SP_PACKET_MAX_PAYLOAD;
        if (chunk > 0) {
            memcpy(out, buf + SP_PACKET_HEADER_LEN, chunk);
        }
        buf += SP_PACKET_HEADER_LEN + chunk;
        out += chunk;
        left -= chunk;
    }
}

size_t
sp_packet_wire_len(size_t len)
{
    size_t nphysical = len / SP_PACKET_MAX_PAYLOAD + 1;

    return len + nphysical * SP_PACKET_HEADER_LEN;
}

int
sp_packet_append(struct sp_buf *out, uint8_t *seq, const uint8_t *payload, size_t len)
{
    uint8_t *dst;
    size_t chunk;
    int rc;

    if (len > SIZE_MAX / 2) {
        return SP_ENOMEM;
    }
    rc = sp_buf_reserve(out, sp_packet_wire_len(len));
    if (rc != SP_OK) {
        return rc;
    }

    /* The loop runs once more after a full chunk: that writes the empty
     * packet which ends a payload of an exact multiple of 0xFFFFFF. */
    dst = out->data + out->len;
    for (;;) {
        chunk = len < SP_PACKET_MAX_PAYLOAD ? len : SP_PACKET_MAX_PAYLOAD;
        sp_packet_build_header(dst, (uint32_t)chunk, *seq);
        (*seq)++;
        if (chunk > 0) {
            memcpy(dst + SP_PACKET_HEADER_LEN, payload, chunk);
        }
        dst += SP_PACKET_HEADER_LEN + chunk;
        if (chunk < SP_PACKET_MAX_PAYLOAD) {
            break;
        }
        payload += chunk;
        len -= chunk;
    }
    out->len = (size_t)(dst - out->data);
    return SP_OK;
}

int
sp_packet_begin(struct sp_buf *out, size_t *start)
{
    static const uint8_t placeholder[SP_PACKET_HEADER_LEN];
    int rc;

    rc = sp_buf_append(out, placeholder, sizeof(placeholder));
    if (rc != SP_OK) {
        return rc;
    }
    /* Relative to the unread bytes, because sp_buf_reserve may compact
     * the buffer while the payload is written. */
    *start = sp_buf_unread_len(out) - SP_PACKET_HEADER_LEN;
    return SP_OK;
}

/*
 * Fills the placeholder header written by begin. A payload of 0xFFFFFF
 * bytes or more was written in one piece, so its chunks are moved towards
 * the end, last chunk first, to open a 4-byte gap for a header before each
 * chunk but the first.
 */
int
sp_packet_end(struct sp_buf *out, size_t start, uint8_t *seq)
{
    uint8_t *base;
    size_t payload_len, nextra, i, src, dst, chunk;
    int rc;

    if (start > sp_buf_unread_len(out) || sp_buf_unread_len(out) - start < SP_PACKET_HEADER_LEN) {
        return SP_EINVAL;
    }
    payload_len = sp_buf_unread_len(out) - start - SP_PACKET_HEADER_LEN;
    nextra = payload_len / SP_PACKET_MAX_PAYLOAD;

    if (nextra > 0) {
        rc = sp_buf_reserve(out, nextra * SP_PACKET_HEADER_LEN);
        if (rc != SP_OK) {
            return rc;
        }
    }

    base = sp_buf_unread(out) + start;
    for (i = nextra; i > 0; i--) {
        src = SP_PACKET_HEADER_LEN + i * SP_PACKET_MAX_PAYLOAD;
        dst = src + i * SP_PACKET_HEADER_LEN;
        chunk = payload_len - i * SP_PACKET_MAX_PAYLOAD;
        if (chunk > SP_PACKET_MAX_PAYLOAD) {
            chunk = SP_PACKET_MAX_PAYLOAD;
        }
        if (chunk > 0) {
            memmove(base + dst, base + src, chunk);
        }
    }

    for (i = 0; i <= nextra; i++) {
        chunk = payload_len - i * SP_PACKET_MAX_PAYLOAD;
        if (chunk > SP_PACKET_MAX_PAYLOAD) {
            chunk = SP_PACKET_MAX_PAYLOAD;
        }
        sp_packet_build_header(base + i * (SP_PACKET_HEADER_LEN + SP_PACKET_MAX_PAYLOAD),
                               (uint32_t)chunk, *seq);
        (*seq)++;
    }
    out->len += nextra * SP_PACKET_HEADER_LEN;
    return SP_OK;
}
