/*
 * MySQL packet framing: a 4-byte header (3-byte little-endian payload
 * length, 1-byte sequence id) before each payload. A payload of 0xFFFFFF
 * bytes or more is split into physical packets of 0xFFFFFF bytes, and a
 * final shorter packet (possibly empty) ends it; every physical packet takes
 * the next sequence id.
 *
 * Pure functions over caller buffers: no I/O, no allocation except growing
 * a caller-owned struct sp_buf.
 */
#ifndef SP_PROTOCOL_PACKET_H
#define SP_PROTOCOL_PACKET_H

#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/status.h"

#define SP_PACKET_HEADER_LEN 4
#define SP_PACKET_MAX_PAYLOAD 0xFFFFFFu /* payload of one physical packet */

struct sp_packet_header {
    uint32_t len; /* payload length of this physical packet */
    uint8_t seq;
};

/* Parses a header from P. Returns SP_EAGAIN when N < 4. */
int sp_packet_parse_header(const uint8_t *p, size_t n, struct sp_packet_header *out) SP_WARN_UNUSED;

void sp_packet_build_header(uint8_t out[SP_PACKET_HEADER_LEN], uint32_t len, uint8_t seq);

/* Where one logical packet lies in a receive buffer. */
struct sp_packet_scan {
    size_t wire_len;    /* bytes of all its physical packets, headers included */
    size_t payload_len; /* joined payload length */
    uint8_t first_seq;
    uint8_t last_seq;
    uint32_t nphysical;
};

/*
 * Checks whether BUF starts with a complete logical packet.
 * Returns SP_OK and fills OUT; SP_EAGAIN when more bytes are needed (OUT
 * untouched); SP_ETOOBIG as soon as the joined payload would exceed
 * MAX_PAYLOAD, so a caller can reject it before buffering all of it.
 * Sequence ids of continuation packets are checked: each must be the
 * previous one plus one (mod 256), else SP_EPROTO.
 */
int sp_packet_scan(const uint8_t *buf, size_t n, size_t max_payload,
                   struct sp_packet_scan *out) SP_WARN_UNUSED;

/*
 * Copies the joined payload of the logical packet described by SCAN (found
 * at BUF) to OUT, which must have room for scan->payload_len bytes. When the
 * packet is a single physical packet, callers can instead use the payload in
 * place at BUF + SP_PACKET_HEADER_LEN.
 */
void sp_packet_join(const uint8_t *buf, const struct sp_packet_scan *scan, uint8_t *out);

/* Bytes on the wire for a payload of LEN bytes, headers included. */
size_t sp_packet_wire_len(size_t len);

/*
 * Appends PAYLOAD as one logical packet, starting at sequence id *SEQ, and
 * advances *SEQ past every physical packet written. Returns SP_OK or
 * SP_ENOMEM (OUT unchanged).
 */
int sp_packet_append(struct sp_buf *out, uint8_t *seq, const uint8_t *payload, size_t len) SP_WARN_UNUSED;

/*
 * Two-step framing for payload builders that write into OUT directly:
 * begin reserves a header and returns the offset where it starts; end
 * fills the header (splitting the payload written since begin into
 * physical packets when it reaches 0xFFFFFF bytes) and advances *SEQ.
 * The offset counts from sp_buf_unread(OUT), so it stays valid when a write
 * compacts the buffer, but nothing may be consumed from OUT between begin
 * and end. end returns SP_OK, SP_ENOMEM (OUT unchanged) or SP_EINVAL when
 * START does not lie within OUT.
 */
int sp_packet_begin(struct sp_buf *out, size_t *start) SP_WARN_UNUSED;
int sp_packet_end(struct sp_buf *out, size_t start, uint8_t *seq) SP_WARN_UNUSED;

#endif
