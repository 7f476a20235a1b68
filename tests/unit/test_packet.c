/*
 * Unit tests for protocol/packet.c: headers, scanning a receive buffer,
 * joining and splitting payloads around the 16 MiB continuation boundary,
 * sequence ids, and input that arrives split at every byte offset.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/packet.h"

#define MAX_CHUNK ((size_t)SP_PACKET_MAX_PAYLOAD)

/* Payload sizes around the continuation boundary; the last has three
 * non-empty physical packets. */
static const size_t large_sizes[] = {
    0xFFFFFE, 0xFFFFFF, 0x1000000, 2 * 0xFFFFFF, 20 * 1024 * 1024, 2 * 0xFFFFFF + 1000,
};

#define NLARGE (sizeof(large_sizes) / sizeof(large_sizes[0]))

static uint8_t *
make_payload(size_t len)
{
    uint8_t *p;
    size_t i;

    p = malloc(len > 0 ? len : 1);
    assert_non_null(p);
    for (i = 0; i < len; i++) {
        p[i] = (uint8_t)(i ^ (i >> 8) ^ (i >> 16));
    }
    return p;
}

static void
header_parse_and_build(void **state)
{
    static const uint8_t bytes[] = {0x01, 0x02, 0x03, 0x2A};
    struct sp_packet_header hdr;
    uint8_t built[SP_PACKET_HEADER_LEN];
    size_t n;

    for (n = 0; n < SP_PACKET_HEADER_LEN; n++) {
        assert_int_equal(sp_packet_parse_header(bytes, n, &hdr), SP_EAGAIN);
    }
    assert_int_equal(sp_packet_parse_header(bytes, sizeof(bytes), &hdr), SP_OK);
    assert_int_equal(hdr.len, 0x030201);
    assert_int_equal(hdr.seq, 0x2A);

    sp_packet_build_header(built, 0x030201, 0x2A);
    assert_memory_equal(built, bytes, sizeof(bytes));
    sp_packet_build_header(built, SP_PACKET_MAX_PAYLOAD, 255);
    assert_int_equal(built[0], 0xFF);
    assert_int_equal(built[1], 0xFF);
    assert_int_equal(built[2], 0xFF);
    assert_int_equal(built[3], 0xFF);
}

static void
wire_len_values(void **state)
{
    assert_int_equal(sp_packet_wire_len(0), 4);
    assert_int_equal(sp_packet_wire_len(1), 5);
    assert_int_equal(sp_packet_wire_len(0xFFFFFE), 0xFFFFFE + 4);
    assert_int_equal(sp_packet_wire_len(0xFFFFFF), 0xFFFFFF + 8);
    assert_int_equal(sp_packet_wire_len(0x1000000), 0x1000000 + 8);
    assert_int_equal(sp_packet_wire_len(2 * MAX_CHUNK), 2 * MAX_CHUNK + 12);
    assert_int_equal(sp_packet_wire_len(2 * MAX_CHUNK - 1), 2 * MAX_CHUNK - 1 + 8);
}

static void
small_packet_scan_and_append(void **state)
{
    static const uint8_t expect[] = {0x03, 0x00, 0x00, 0x07, 'a', 'b', 'c'};
    struct sp_packet_scan scan;
    struct sp_buf buf;
    uint8_t seq = 7;
    uint8_t joined[3];

    sp_buf_init(&buf);
    assert_int_equal(sp_packet_append(&buf, &seq, (const uint8_t *)"abc", 3), SP_OK);
    assert_int_equal(seq, 8);
    assert_int_equal(buf.len, sizeof(expect));
    assert_memory_equal(buf.data, expect, sizeof(expect));

    assert_int_equal(sp_packet_scan(buf.data, buf.len, SIZE_MAX, &scan), SP_OK);
    assert_int_equal(scan.wire_len, 7);
    assert_int_equal(scan.payload_len, 3);
    assert_int_equal(scan.first_seq, 7);
    assert_int_equal(scan.last_seq, 7);
    assert_int_equal(scan.nphysical, 1);
    sp_packet_join(buf.data, &scan, joined);
    assert_memory_equal(joined, "abc", 3);
    sp_buf_deinit(&buf);
}

static void
empty_payload(void **state)
{
    struct sp_packet_scan scan;
    struct sp_buf buf;
    uint8_t seq = 0;

    sp_buf_init(&buf);
    assert_int_equal(sp_packet_append(&buf, &seq, NULL, 0), SP_OK);
    assert_int_equal(seq, 1);
    assert_int_equal(buf.len, 4);
    assert_int_equal(sp_packet_scan(buf.data, buf.len, 0, &scan), SP_OK);
    assert_int_equal(scan.payload_len, 0);
    assert_int_equal(scan.nphysical, 1);
    sp_buf_deinit(&buf);
}

/* Checks every physical header of a framed payload of LEN bytes. */
static void
check_headers(const uint8_t *wire, size_t len, uint8_t first_seq)
{
    struct sp_packet_header hdr;
    size_t left = len;
    size_t pos = 0;
    uint8_t seq = first_seq;

    for (;;) {
        size_t expect = left < MAX_CHUNK ? left : MAX_CHUNK;

        assert_int_equal(sp_packet_parse_header(wire + pos, SP_PACKET_HEADER_LEN, &hdr), SP_OK);
        assert_int_equal(hdr.len, expect);
        assert_int_equal(hdr.seq, seq);
        pos += SP_PACKET_HEADER_LEN + expect;
        left -= expect;
        seq++;
        if (expect < MAX_CHUNK) {
            break;
        }
    }
    assert_int_equal(pos, sp_packet_wire_len(len));
}

static void
large_append_scan_join(void **state)
{
    struct sp_packet_scan scan;
    struct sp_buf buf;
    uint8_t *payload, *joined;
    uint8_t seq;
    size_t i;

    for (i = 0; i < NLARGE; i++) {
        size_t len = large_sizes[i];
        uint32_t nphysical = (uint32_t)(len / MAX_CHUNK + 1);

        payload = make_payload(len);
        sp_buf_init(&buf);
        seq = 3;
        assert_int_equal(sp_packet_append(&buf, &seq, payload, len), SP_OK);
        assert_int_equal(seq, (uint8_t)(3 + nphysical));
        assert_int_equal(buf.len, sp_packet_wire_len(len));
        check_headers(buf.data, len, 3);

        assert_int_equal(sp_packet_scan(buf.data, buf.len, SIZE_MAX, &scan), SP_OK);
        assert_int_equal(scan.wire_len, buf.len);
        assert_int_equal(scan.payload_len, len);
        assert_int_equal(scan.nphysical, nphysical);
        assert_int_equal(scan.first_seq, 3);
        assert_int_equal(scan.last_seq, (uint8_t)(3 + nphysical - 1));

        /* Incomplete: one byte short, or cut inside the second header. */
        assert_int_equal(sp_packet_scan(buf.data, buf.len - 1, SIZE_MAX, &scan), SP_EAGAIN);
        if (len >= MAX_CHUNK) {
            assert_int_equal(sp_packet_scan(buf.data, MAX_CHUNK + 4, SIZE_MAX, &scan), SP_EAGAIN);
            assert_int_equal(sp_packet_scan(buf.data, MAX_CHUNK + 7, SIZE_MAX, &scan), SP_EAGAIN);
        }

        /* The exact joined size is allowed, one byte less is not. */
        assert_int_equal(sp_packet_scan(buf.data, buf.len, len, &scan), SP_OK);
        assert_int_equal(sp_packet_scan(buf.data, buf.len, len - 1, &scan), SP_ETOOBIG);

        joined = malloc(len);
        assert_non_null(joined);
        assert_int_equal(sp_packet_scan(buf.data, buf.len, SIZE_MAX, &scan), SP_OK);
        sp_packet_join(buf.data, &scan, joined);
        assert_memory_equal(joined, payload, len);

        free(joined);
        free(payload);
        sp_buf_deinit(&buf);
    }
}

/* begin/end must produce the same bytes as append, for every large size. */
static void
large_begin_end_matches_append(void **state)
{
    struct sp_buf expect, built;
    uint8_t *payload;
    uint8_t seq_a, seq_b;
    size_t i, start;

    for (i = 0; i < NLARGE; i++) {
        size_t len = large_sizes[i];

        payload = make_payload(len);
        sp_buf_init(&expect);
        sp_buf_init(&built);

        seq_a = 250;
        assert_int_equal(sp_packet_append(&expect, &seq_a, payload, len), SP_OK);

        /* Start after consumed bytes, so that a later reserve compacts. */
        assert_int_equal(sp_buf_append(&built, "xxxxxxxx", 8), SP_OK);
        sp_buf_consume(&built, 5);
        seq_b = 250;
        assert_int_equal(sp_packet_begin(&built, &start), SP_OK);
        assert_int_equal(start, 3);
        assert_int_equal(sp_buf_append(&built, payload, len), SP_OK);
        assert_int_equal(sp_packet_end(&built, start, &seq_b), SP_OK);

        assert_int_equal(seq_a, seq_b);
        assert_int_equal(sp_buf_unread_len(&built), 3 + expect.len);
        assert_memory_equal(sp_buf_unread(&built), "xxx", 3);
        assert_memory_equal(sp_buf_unread(&built) + 3, expect.data, expect.len);

        free(payload);
        sp_buf_deinit(&expect);
        sp_buf_deinit(&built);
    }
}

static void
begin_end_small_and_twice(void **state)
{
    static const uint8_t expect[] = {0x02, 0, 0, 0x05, 'h', 'i', 0x00, 0, 0, 0x06};
    struct sp_buf buf;
    uint8_t seq = 5;
    size_t start;

    sp_buf_init(&buf);
    assert_int_equal(sp_packet_begin(&buf, &start), SP_OK);
    assert_int_equal(sp_buf_append(&buf, "hi", 2), SP_OK);
    assert_int_equal(sp_packet_end(&buf, start, &seq), SP_OK);
    assert_int_equal(sp_packet_begin(&buf, &start), SP_OK);
    assert_int_equal(start, 6);
    assert_int_equal(sp_packet_end(&buf, start, &seq), SP_OK);
    assert_int_equal(seq, 7);
    assert_int_equal(buf.len, sizeof(expect));
    assert_memory_equal(buf.data, expect, sizeof(expect));

    assert_int_equal(sp_packet_end(&buf, buf.len - 3, &seq), SP_EINVAL);
    assert_int_equal(sp_packet_end(&buf, buf.len + 1, &seq), SP_EINVAL);
    assert_int_equal(seq, 7);
    sp_buf_deinit(&buf);
}

static void
sequence_wraps_255_to_0(void **state)
{
    struct sp_packet_scan scan;
    struct sp_buf buf;
    uint8_t *payload;
    size_t len = 2 * MAX_CHUNK + 5;
    uint8_t seq = 254;

    payload = make_payload(len);
    sp_buf_init(&buf);
    assert_int_equal(sp_packet_append(&buf, &seq, payload, len), SP_OK);
    assert_int_equal(seq, 1);
    check_headers(buf.data, len, 254);

    assert_int_equal(sp_packet_scan(buf.data, buf.len, SIZE_MAX, &scan), SP_OK);
    assert_int_equal(scan.first_seq, 254);
    assert_int_equal(scan.last_seq, 0);
    assert_int_equal(scan.nphysical, 3);

    seq = 255;
    sp_buf_reset(&buf, 0);
    assert_int_equal(sp_packet_append(&buf, &seq, payload, 3), SP_OK);
    assert_int_equal(seq, 0);
    free(payload);
    sp_buf_deinit(&buf);
}

static void
bad_continuation_seq(void **state)
{
    struct sp_packet_scan scan;
    struct sp_buf buf;
    uint8_t *payload;
    size_t len = MAX_CHUNK + 10;
    uint8_t seq = 0;
    uint8_t *second_seq;

    payload = make_payload(len);
    sp_buf_init(&buf);
    assert_int_equal(sp_packet_append(&buf, &seq, payload, len), SP_OK);
    second_seq = buf.data + SP_PACKET_HEADER_LEN + MAX_CHUNK + 3;
    assert_int_equal(*second_seq, 1);

    *second_seq = 2;
    assert_int_equal(sp_packet_scan(buf.data, buf.len, SIZE_MAX, &scan), SP_EPROTO);
    /* Reported as soon as the bad header arrives, before its payload. */
    assert_int_equal(sp_packet_scan(buf.data, SP_PACKET_HEADER_LEN + MAX_CHUNK + 4, SIZE_MAX,
                                    &scan), SP_EPROTO);
    *second_seq = 0;
    assert_int_equal(sp_packet_scan(buf.data, buf.len, SIZE_MAX, &scan), SP_EPROTO);
    *second_seq = 1;
    assert_int_equal(sp_packet_scan(buf.data, buf.len, SIZE_MAX, &scan), SP_OK);
    free(payload);
    sp_buf_deinit(&buf);
}

/* ETOOBIG comes from the header alone, before the payload is buffered. */
static void
too_big_from_header(void **state)
{
    static const uint8_t hdr101[] = {101, 0, 0, 0};
    static const uint8_t first_full[] = {0xFF, 0xFF, 0xFF, 0};
    struct sp_packet_scan scan;
    struct sp_buf buf;
    uint8_t *payload;
    uint8_t seq = 0;

    assert_int_equal(sp_packet_scan(NULL, 0, 100, &scan), SP_EAGAIN);
    assert_int_equal(sp_packet_scan(hdr101, sizeof(hdr101), 100, &scan), SP_ETOOBIG);
    assert_int_equal(sp_packet_scan(hdr101, sizeof(hdr101), 101, &scan), SP_EAGAIN);
    assert_int_equal(sp_packet_scan(first_full, sizeof(first_full), MAX_CHUNK - 1, &scan),
                     SP_ETOOBIG);
    assert_int_equal(sp_packet_scan(first_full, sizeof(first_full), MAX_CHUNK, &scan),
                     SP_EAGAIN);

    /* The second physical packet pushes the joined size over the limit. */
    payload = make_payload(MAX_CHUNK + 20);
    sp_buf_init(&buf);
    assert_int_equal(sp_packet_append(&buf, &seq, payload, MAX_CHUNK + 20), SP_OK);
    assert_int_equal(sp_packet_scan(buf.data, SP_PACKET_HEADER_LEN * 2 + MAX_CHUNK,
                                    MAX_CHUNK + 19, &scan), SP_ETOOBIG);
    assert_int_equal(sp_packet_scan(buf.data, SP_PACKET_HEADER_LEN * 2 + MAX_CHUNK,
                                    MAX_CHUNK + 20, &scan), SP_EAGAIN);
    assert_int_equal(sp_packet_scan(buf.data, buf.len, MAX_CHUNK + 20, &scan), SP_OK);
    free(payload);
    sp_buf_deinit(&buf);
}

/* Four logical packets: empty, short, one of 300 bytes, and "quit". */
static size_t
build_small_stream(struct sp_buf *buf, size_t *ends)
{
    uint8_t *big;
    uint8_t seq;

    big = make_payload(300);
    seq = 0;
    assert_int_equal(sp_packet_append(buf, &seq, NULL, 0), SP_OK);
    ends[0] = buf->len;
    assert_int_equal(sp_packet_append(buf, &seq, (const uint8_t *)"\x03SELECT 1", 9), SP_OK);
    ends[1] = buf->len;
    assert_int_equal(sp_packet_append(buf, &seq, big, 300), SP_OK);
    ends[2] = buf->len;
    seq = 0;
    assert_int_equal(sp_packet_append(buf, &seq, (const uint8_t *)"\x01", 1), SP_OK);
    ends[3] = buf->len;
    free(big);
    return 4;
}

static void
scan_every_prefix(void **state)
{
    struct sp_packet_scan scan;
    struct sp_buf stream;
    size_t ends[4];
    size_t npackets, n;

    sp_buf_init(&stream);
    npackets = build_small_stream(&stream, ends);
    assert_int_equal(npackets, 4);

    for (n = 0; n <= stream.len; n++) {
        int rc = sp_packet_scan(stream.data, n, SIZE_MAX, &scan);

        if (n < ends[0]) {
            assert_int_equal(rc, SP_EAGAIN);
        } else {
            assert_int_equal(rc, SP_OK);
            assert_int_equal(scan.wire_len, ends[0]);
        }
    }
    sp_buf_deinit(&stream);
}

/*
 * Delivers the stream in two pieces split at every offset, scanning and
 * consuming after each delivery as a receive loop would, and checks that
 * the same packets come out each time.
 */
static void
scan_split_at_every_offset(void **state)
{
    static const size_t payload_lens[] = {0, 9, 300, 1};
    struct sp_packet_scan scan;
    struct sp_buf stream, rx;
    size_t ends[4];
    size_t split, got, piece;

    sp_buf_init(&stream);
    build_small_stream(&stream, ends);

    for (split = 0; split <= stream.len; split++) {
        /* Allocated up front: sp_buf_unread() of a never-allocated buffer
         * computes NULL + 0, which clang's UBSan reports. */
        sp_buf_init(&rx);
        assert_int_equal(sp_buf_reserve(&rx, 64), SP_OK);
        got = 0;
        for (piece = 0; piece < 2; piece++) {
            size_t from = piece == 0 ? 0 : split;
            size_t to = piece == 0 ? split : stream.len;
            int rc;

            assert_int_equal(sp_buf_append(&rx, stream.data + from, to - from), SP_OK);
            for (;;) {
                rc = sp_packet_scan(sp_buf_unread(&rx), sp_buf_unread_len(&rx), SIZE_MAX, &scan);
                if (rc == SP_EAGAIN) {
                    break;
                }
                assert_int_equal(rc, SP_OK);
                assert_true(got < 4);
                assert_int_equal(scan.payload_len, payload_lens[got]);
                assert_memory_equal(sp_buf_unread(&rx),
                                    stream.data + (got == 0 ? 0 : ends[got - 1]), scan.wire_len);
                sp_buf_consume(&rx, scan.wire_len);
                got++;
            }
            if (piece == 0) {
                size_t complete = 0;

                while (complete < 4 && ends[complete] <= split) {
                    complete++;
                }
                assert_int_equal(got, complete);
            }
        }
        assert_int_equal(got, 4);
        assert_int_equal(sp_buf_unread_len(&rx), 0);
        sp_buf_deinit(&rx);
    }
    sp_buf_deinit(&stream);
}

/* Prefixes around both header boundaries of a two-packet payload. */
static void
scan_large_prefixes(void **state)
{
    struct sp_packet_scan scan;
    struct sp_buf buf;
    uint8_t *payload;
    size_t len = 0x1000000;
    uint8_t seq = 0;
    size_t n;

    payload = make_payload(len);
    sp_buf_init(&buf);
    assert_int_equal(sp_packet_append(&buf, &seq, payload, len), SP_OK);

    for (n = 0; n < 16; n++) {
        assert_int_equal(sp_packet_scan(buf.data, n, SIZE_MAX, &scan), SP_EAGAIN);
    }
    /* The second packet's header and its single payload byte. */
    assert_int_equal(buf.len, MAX_CHUNK + 9);
    for (n = MAX_CHUNK - 4; n < buf.len; n++) {
        assert_int_equal(sp_packet_scan(buf.data, n, SIZE_MAX, &scan), SP_EAGAIN);
    }
    assert_int_equal(sp_packet_scan(buf.data, buf.len, SIZE_MAX, &scan), SP_OK);

    /* Bytes after the packet do not belong to it. */
    assert_int_equal(sp_buf_append(&buf, "\x01\x00\x00\x00\x0e", 5), SP_OK);
    assert_int_equal(sp_packet_scan(buf.data, buf.len, SIZE_MAX, &scan), SP_OK);
    assert_int_equal(scan.wire_len, buf.len - 5);
    free(payload);
    sp_buf_deinit(&buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(header_parse_and_build),
        cmocka_unit_test(wire_len_values),
        cmocka_unit_test(small_packet_scan_and_append),
        cmocka_unit_test(empty_payload),
        cmocka_unit_test(large_append_scan_join),
        cmocka_unit_test(large_begin_end_matches_append),
        cmocka_unit_test(begin_end_small_and_twice),
        cmocka_unit_test(sequence_wraps_255_to_0),
        cmocka_unit_test(bad_continuation_seq),
        cmocka_unit_test(too_big_from_header),
        cmocka_unit_test(scan_every_prefix),
        cmocka_unit_test(scan_split_at_every_offset),
        cmocka_unit_test(scan_large_prefixes),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
