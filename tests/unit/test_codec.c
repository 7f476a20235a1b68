/*
 * Unit tests for protocol/codec.c: fixed-width and length-encoded integers
 * and strings, every length-encoding boundary, truncation at every length.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/codec.h"

struct lenenc_case {
    uint64_t value;
    size_t len;
    uint8_t bytes[9];
};

static const struct lenenc_case lenenc_cases[] = {
    {0, 1, {0x00}},
    {1, 1, {0x01}},
    {250, 1, {0xFA}},
    {251, 3, {0xFC, 0xFB, 0x00}},
    {252, 3, {0xFC, 0xFC, 0x00}},
    {0xFFFF, 3, {0xFC, 0xFF, 0xFF}},
    {0x10000, 4, {0xFD, 0x00, 0x00, 0x01}},
    {0xFFFFFF, 4, {0xFD, 0xFF, 0xFF, 0xFF}},
    {0x1000000, 9, {0xFE, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00}},
    {0x0123456789ABCDEFull, 9, {0xFE, 0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01}},
    {UINT64_MAX, 9, {0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF}},
};

#define NCASES (sizeof(lenenc_cases) / sizeof(lenenc_cases[0]))

static void
lenenc_int_put_boundaries(void **state)
{
    struct sp_buf buf;
    size_t i;

    for (i = 0; i < NCASES; i++) {
        sp_buf_init(&buf);
        assert_int_equal(sp_codec_put_lenenc_int(&buf, lenenc_cases[i].value), SP_OK);
        assert_int_equal(buf.len, lenenc_cases[i].len);
        assert_memory_equal(buf.data, lenenc_cases[i].bytes, lenenc_cases[i].len);
        assert_int_equal(sp_codec_lenenc_int_size(lenenc_cases[i].value), lenenc_cases[i].len);
        sp_buf_deinit(&buf);
    }
}

static void
lenenc_int_take_boundaries(void **state)
{
    struct sp_cursor c;
    uint64_t v;
    bool is_null = true;
    size_t i;

    for (i = 0; i < NCASES; i++) {
        sp_cursor_init(&c, lenenc_cases[i].bytes, lenenc_cases[i].len);
        assert_int_equal(sp_codec_take_lenenc_int(&c, &v, &is_null), SP_OK);
        assert_true(v == lenenc_cases[i].value);
        assert_false(is_null);
        assert_int_equal(c.pos, lenenc_cases[i].len);

        sp_cursor_init(&c, lenenc_cases[i].bytes, lenenc_cases[i].len);
        assert_int_equal(sp_codec_take_lenenc_int(&c, &v, NULL), SP_OK);
        assert_true(v == lenenc_cases[i].value);
    }
}

/* Copies the first N bytes to a heap block of exactly N bytes, so that
 * AddressSanitizer catches any read past the end. */
static uint8_t *
copy_prefix(const uint8_t *src, size_t n)
{
    uint8_t *p = malloc(n > 0 ? n : 1);

    assert_non_null(p);
    if (n > 0) {
        memcpy(p, src, n);
    }
    return p;
}

static void
lenenc_int_truncated_every_length(void **state)
{
    struct sp_cursor c;
    uint64_t v;
    uint8_t *copy;
    size_t i, n;

    for (i = 0; i < NCASES; i++) {
        for (n = 0; n < lenenc_cases[i].len; n++) {
            copy = copy_prefix(lenenc_cases[i].bytes, n);
            sp_cursor_init(&c, copy, n);
            assert_int_equal(sp_codec_take_lenenc_int(&c, &v, NULL), SP_EPROTO);
            assert_int_equal(c.pos, 0);
            free(copy);
        }
    }
}

static void
lenenc_int_null_and_ff(void **state)
{
    static const uint8_t null_byte[] = {0xFB, 0x07};
    static const uint8_t ff_byte[] = {0xFF, 0x00, 0x00};
    struct sp_cursor c;
    uint64_t v = 99;
    bool is_null = false;

    sp_cursor_init(&c, null_byte, sizeof(null_byte));
    assert_int_equal(sp_codec_take_lenenc_int(&c, &v, &is_null), SP_OK);
    assert_true(is_null);
    assert_true(v == 0);
    assert_int_equal(c.pos, 1);

    sp_cursor_init(&c, null_byte, sizeof(null_byte));
    assert_int_equal(sp_codec_take_lenenc_int(&c, &v, NULL), SP_EPROTO);
    assert_int_equal(c.pos, 0);

    sp_cursor_init(&c, ff_byte, sizeof(ff_byte));
    assert_int_equal(sp_codec_take_lenenc_int(&c, &v, &is_null), SP_EPROTO);
    assert_int_equal(c.pos, 0);
}

/* Non-minimal encodings are valid on the wire: servers accept them. */
static void
lenenc_int_non_minimal(void **state)
{
    static const uint8_t wide[] = {0xFE, 0x05, 0, 0, 0, 0, 0, 0, 0};
    struct sp_cursor c;
    uint64_t v;

    sp_cursor_init(&c, wide, sizeof(wide));
    assert_int_equal(sp_codec_take_lenenc_int(&c, &v, NULL), SP_OK);
    assert_true(v == 5);
    assert_int_equal(c.pos, sizeof(wide));
}

static void
fixed_ints_round_trip(void **state)
{
    static const uint8_t expect[] = {0xAB, 0x34, 0x12, 0x56, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12,
                                     0xEF, 0xCD, 0xAB, 0x89, 0x67, 0x45, 0x23, 0x01};
    struct sp_buf buf;
    struct sp_cursor c;
    uint8_t u8;
    uint16_t u16;
    uint32_t u24, u32;
    uint64_t u64;

    sp_buf_init(&buf);
    assert_int_equal(sp_codec_put_u8(&buf, 0xAB), SP_OK);
    assert_int_equal(sp_codec_put_u16(&buf, 0x1234), SP_OK);
    assert_int_equal(sp_codec_put_u24(&buf, 0x123456), SP_OK);
    assert_int_equal(sp_codec_put_u32(&buf, 0x12345678), SP_OK);
    assert_int_equal(sp_codec_put_u64(&buf, 0x0123456789ABCDEFull), SP_OK);
    assert_int_equal(buf.len, sizeof(expect));
    assert_memory_equal(buf.data, expect, sizeof(expect));

    sp_cursor_init(&c, buf.data, buf.len);
    assert_int_equal(sp_codec_take_u8(&c, &u8), SP_OK);
    assert_int_equal(sp_codec_take_u16(&c, &u16), SP_OK);
    assert_int_equal(sp_codec_take_u24(&c, &u24), SP_OK);
    assert_int_equal(sp_codec_take_u32(&c, &u32), SP_OK);
    assert_int_equal(sp_codec_take_u64(&c, &u64), SP_OK);
    assert_int_equal(u8, 0xAB);
    assert_int_equal(u16, 0x1234);
    assert_int_equal(u24, 0x123456);
    assert_int_equal(u32, 0x12345678);
    assert_true(u64 == 0x0123456789ABCDEFull);
    assert_int_equal(sp_cursor_left(&c), 0);
    assert_int_equal(sp_codec_take_u8(&c, &u8), SP_EPROTO);
    sp_buf_deinit(&buf);
}

static void
fixed_ints_truncated(void **state)
{
    static const uint8_t bytes[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    struct sp_cursor c;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    size_t n;

    for (n = 0; n < 8; n++) {
        sp_cursor_init(&c, bytes, n);
        if (n < 2) {
            assert_int_equal(sp_codec_take_u16(&c, &u16), SP_EPROTO);
        }
        if (n < 3) {
            assert_int_equal(sp_codec_take_u24(&c, &u32), SP_EPROTO);
        }
        if (n < 4) {
            assert_int_equal(sp_codec_take_u32(&c, &u32), SP_EPROTO);
        }
        assert_int_equal(sp_codec_take_u64(&c, &u64), SP_EPROTO);
        assert_int_equal(c.pos, 0);
    }
}

static void
check_lenenc_str_truncated(const uint8_t *bytes, size_t n)
{
    struct sp_cursor c;
    struct sp_str v;
    bool is_null;
    uint8_t *copy;

    copy = copy_prefix(bytes, n);
    sp_cursor_init(&c, copy, n);
    assert_int_equal(sp_codec_take_lenenc_str(&c, &v, &is_null), SP_EPROTO);
    assert_int_equal(c.pos, 0);
    free(copy);
}

static void
lenenc_str_round_trip(void **state)
{
    static const size_t lengths[] = {0, 1, 250, 251, 300, 0xFFFF, 0x10000};
    struct sp_buf buf;
    struct sp_cursor c;
    struct sp_str v;
    bool is_null;
    uint8_t *text;
    size_t i, j;

    text = malloc(0x10000);
    assert_non_null(text);
    for (j = 0; j < 0x10000; j++) {
        text[j] = (uint8_t)(j * 31 + 7);
    }

    for (i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
        sp_buf_init(&buf);
        assert_int_equal(sp_codec_put_lenenc_str(&buf, text, lengths[i]), SP_OK);
        assert_int_equal(buf.len, sp_codec_lenenc_int_size(lengths[i]) + lengths[i]);

        sp_cursor_init(&c, buf.data, buf.len);
        assert_int_equal(sp_codec_take_lenenc_str(&c, &v, &is_null), SP_OK);
        assert_false(is_null);
        assert_int_equal(v.len, lengths[i]);
        assert_memory_equal(v.ptr, text, lengths[i]);
        assert_int_equal(sp_cursor_left(&c), 0);

        /* Shorter inputs are truncated and leave the cursor alone. Long
         * strings are cut at every 997th length and one byte short. */
        for (j = 0; j < buf.len; j += (buf.len > 1000 ? 997 : 1)) {
            check_lenenc_str_truncated(buf.data, j);
        }
        check_lenenc_str_truncated(buf.data, buf.len - 1);
        sp_buf_deinit(&buf);
    }
    free(text);
}

static void
lenenc_str_null(void **state)
{
    static const uint8_t bytes[] = {0xFB, 0x01, 'x'};
    struct sp_cursor c;
    struct sp_str v;
    bool is_null = false;

    sp_cursor_init(&c, bytes, sizeof(bytes));
    assert_int_equal(sp_codec_take_lenenc_str(&c, &v, &is_null), SP_OK);
    assert_true(is_null);
    assert_null(v.ptr);
    assert_int_equal(v.len, 0);
    assert_int_equal(sp_codec_take_lenenc_str(&c, &v, &is_null), SP_OK);
    assert_false(is_null);
    assert_int_equal(v.len, 1);
    assert_memory_equal(v.ptr, "x", 1);

    sp_cursor_init(&c, bytes, sizeof(bytes));
    assert_int_equal(sp_codec_take_lenenc_str(&c, &v, NULL), SP_EPROTO);
    assert_int_equal(c.pos, 0);
}

static void
nul_str_cases(void **state)
{
    static const uint8_t bytes[] = {'a', 'b', 0, 0, 'c'};
    struct sp_cursor c;
    struct sp_str v;

    sp_cursor_init(&c, bytes, sizeof(bytes));
    assert_int_equal(sp_codec_take_nul_str(&c, &v), SP_OK);
    assert_true(sp_str_eq(v, SP_STR_LIT("ab")));
    assert_int_equal(c.pos, 3);
    assert_int_equal(sp_codec_take_nul_str(&c, &v), SP_OK);
    assert_int_equal(v.len, 0);
    assert_int_equal(c.pos, 4);
    assert_int_equal(sp_codec_take_nul_str(&c, &v), SP_EPROTO);
    assert_int_equal(c.pos, 4);

    sp_cursor_init(&c, bytes, 0);
    assert_int_equal(sp_codec_take_nul_str(&c, &v), SP_EPROTO);
    sp_cursor_init(&c, NULL, 0);
    assert_int_equal(sp_codec_take_nul_str(&c, &v), SP_EPROTO);
}

static void
bytes_skip_rest(void **state)
{
    static const uint8_t bytes[] = {1, 2, 3, 4, 5};
    struct sp_cursor c;
    struct sp_str v;

    sp_cursor_init(&c, bytes, sizeof(bytes));
    assert_int_equal(sp_codec_take_bytes(&c, 2, &v), SP_OK);
    assert_int_equal(v.len, 2);
    assert_ptr_equal(v.ptr, (const char *)bytes);
    assert_int_equal(sp_codec_take_bytes(&c, 4, &v), SP_EPROTO);
    assert_int_equal(c.pos, 2);
    assert_int_equal(sp_codec_skip(&c, 4), SP_EPROTO);
    assert_int_equal(sp_codec_skip(&c, 1), SP_OK);
    sp_codec_take_rest(&c, &v);
    assert_int_equal(v.len, 2);
    assert_ptr_equal(v.ptr, (const char *)bytes + 3);
    assert_int_equal(sp_cursor_left(&c), 0);
    sp_codec_take_rest(&c, &v);
    assert_int_equal(v.len, 0);
    assert_int_equal(sp_codec_take_bytes(&c, 0, &v), SP_OK);
    assert_int_equal(sp_codec_skip(&c, 0), SP_OK);
}

static void
writers_strings_and_zeros(void **state)
{
    static const uint8_t expect[] = {'h', 'i', 0, 0, 0x00, 0x02, 'o', 'k', 0, 0, 0, 'z'};
    struct sp_buf buf;

    sp_buf_init(&buf);
    assert_int_equal(sp_codec_put_nul_str(&buf, "hi", 2), SP_OK);
    assert_int_equal(sp_codec_put_nul_str(&buf, NULL, 0), SP_OK);
    assert_int_equal(sp_codec_put_lenenc_str(&buf, NULL, 0), SP_OK);
    assert_int_equal(sp_codec_put_lenenc_str(&buf, "ok", 2), SP_OK);
    assert_int_equal(sp_codec_put_zeros(&buf, 3), SP_OK);
    assert_int_equal(sp_codec_put_zeros(&buf, 0), SP_OK);
    assert_int_equal(sp_codec_put_bytes(&buf, "z", 1), SP_OK);
    assert_int_equal(sp_codec_put_bytes(&buf, NULL, 0), SP_OK);
    assert_int_equal(buf.len, sizeof(expect));
    assert_memory_equal(buf.data, expect, sizeof(expect));
    sp_buf_deinit(&buf);
}

/* Writers append after unread data that a reader has partly consumed. */
static void
writers_append_after_consumed(void **state)
{
    struct sp_buf buf;
    struct sp_cursor c;
    uint64_t v;
    int i;

    sp_buf_init(&buf);
    for (i = 0; i < 100; i++) {
        assert_int_equal(sp_codec_put_lenenc_int(&buf, (uint64_t)i * 1000), SP_OK);
    }
    sp_buf_consume(&buf, 1);
    for (i = 0; i < 1000; i++) {
        assert_int_equal(sp_codec_put_lenenc_int(&buf, 0x1000000), SP_OK);
    }
    sp_cursor_init(&c, sp_buf_unread(&buf), sp_buf_unread_len(&buf));
    for (i = 1; i < 100; i++) {
        assert_int_equal(sp_codec_take_lenenc_int(&c, &v, NULL), SP_OK);
        assert_true(v == (uint64_t)i * 1000);
    }
    for (i = 0; i < 1000; i++) {
        assert_int_equal(sp_codec_take_lenenc_int(&c, &v, NULL), SP_OK);
        assert_true(v == 0x1000000);
    }
    assert_int_equal(sp_cursor_left(&c), 0);
    sp_buf_deinit(&buf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lenenc_int_put_boundaries),
        cmocka_unit_test(lenenc_int_take_boundaries),
        cmocka_unit_test(lenenc_int_truncated_every_length),
        cmocka_unit_test(lenenc_int_null_and_ff),
        cmocka_unit_test(lenenc_int_non_minimal),
        cmocka_unit_test(fixed_ints_round_trip),
        cmocka_unit_test(fixed_ints_truncated),
        cmocka_unit_test(lenenc_str_round_trip),
        cmocka_unit_test(lenenc_str_null),
        cmocka_unit_test(nul_str_cases),
        cmocka_unit_test(bytes_skip_rest),
        cmocka_unit_test(writers_strings_and_zeros),
        cmocka_unit_test(writers_append_after_consumed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
