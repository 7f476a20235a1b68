/*
 * Unit tests for protocol/auth.c: SHA-1 against FIPS 180 vectors and
 * Python hashlib, mysql_native_password against answers that MariaDB
 * 10.11.19 accepted on loopback, and AuthSwitchRequest packets.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/auth.h"

static void
hex_to_bytes(const char *hex, uint8_t *out, size_t n)
{
    size_t i;
    unsigned v;

    assert_int_equal(strlen(hex), 2 * n);
    for (i = 0; i < n; i++) {
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

static void
assert_sha1_hex(const uint8_t digest[SP_SHA1_LEN], const char *hex)
{
    uint8_t expect[SP_SHA1_LEN];

    hex_to_bytes(hex, expect, SP_SHA1_LEN);
    assert_memory_equal(digest, expect, SP_SHA1_LEN);
}

static void
sha1_fips_vectors(void **state)
{
    uint8_t digest[SP_SHA1_LEN];

    sp_sha1("", 0, digest);
    assert_sha1_hex(digest, "da39a3ee5e6b4b0d3255bfef95601890afd80709");

    sp_sha1("abc", 3, digest);
    assert_sha1_hex(digest, "a9993e364706816aba3e25717850c26c9cd0d89d");

    sp_sha1("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, digest);
    assert_sha1_hex(digest, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}

static void
sha1_million_a(void **state)
{
    struct sp_sha1 ctx;
    uint8_t digest[SP_SHA1_LEN];
    char *block;
    int i;

    block = malloc(1000);
    assert_non_null(block);
    memset(block, 'a', 1000);

    sp_sha1_init(&ctx);
    for (i = 0; i < 1000; i++) {
        sp_sha1_update(&ctx, block, 1000);
    }
    sp_sha1_final(&ctx, digest);
    assert_sha1_hex(digest, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
    free(block);
}

/* Lengths around the 55/56/64-byte padding boundaries, from hashlib. */
static void
sha1_padding_boundaries(void **state)
{
    static const struct {
        size_t len;
        const char *hex;
    } cases[] = {
        {55, "ddf57317ef34bfee3b6df83d359098930eb278bc"},
        {56, "a0d492bb0fc889d0eca3bc137066ab6f4f74f369"},
        {63, "c55856749bef509bdfe6bfebfc7bf4e793e82132"},
        {64, "bede92be29c3874e1b54ddc77988d606fc857a8e"},
        {65, "b05a80522b053d6dc7e0a517d0e70212c7dad11f"},
        {119, "504e27376a6e0f0dba8295b85cb25dc4dfa17d23"},
        {120, "82134b02fb3f702491be9bed581eeab59334acb2"},
        {128, "a09133e6730ffe899efb70204cb5646cd5dc24ee"},
    };
    uint8_t data[128], digest[SP_SHA1_LEN];
    size_t i;

    for (i = 0; i < sizeof(data); i++) {
        data[i] = (uint8_t)(i * 7 + 3);
    }
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        sp_sha1(data, cases[i].len, digest);
        assert_sha1_hex(digest, cases[i].hex);
    }
}

/* Feeding the input in pieces of every size gives the one-shot digest. */
static void
sha1_incremental_matches_one_shot(void **state)
{
    uint8_t data[300], expect[SP_SHA1_LEN], digest[SP_SHA1_LEN];
    struct sp_sha1 ctx;
    size_t step, pos, n;

    for (pos = 0; pos < sizeof(data); pos++) {
        data[pos] = (uint8_t)(pos * 13);
    }
    sp_sha1(data, sizeof(data), expect);

    for (step = 1; step <= 130; step++) {
        sp_sha1_init(&ctx);
        for (pos = 0; pos < sizeof(data); pos += n) {
            n = sizeof(data) - pos < step ? sizeof(data) - pos : step;
            sp_sha1_update(&ctx, data + pos, n);
        }
        sp_sha1_final(&ctx, digest);
        assert_memory_equal(digest, expect, SP_SHA1_LEN);
    }
}

/* PASSWORD('secret') in MariaDB is '*' and this hash in hex. */
static void
native_stage2_matches_mariadb(void **state)
{
    uint8_t stage2[SP_SHA1_LEN];

    sp_auth_native_stage2("secret", 6, stage2);
    assert_sha1_hex(stage2, "14e65567abdb5135d0cfd9a70b3032c179a49ee7");
}

/*
 * Scrambles and answers seen on loopback: the server accepted both answers
 * for the password "secret". The first came from the mariadb client, the
 * second after an AuthSwitchRequest. Python's hashlib gives the same
 * values.
 */
static const struct {
    const char *scramble;
    const char *answer;
} native_vectors[] = {
    {"2a643c3f656031726b434a2b366f4c6c5b635f33", "04938640313bb37a2278ca40bee345f8d6c2823d"},
    {"3428685860597b243b3e645c7e2b5446425a7a7a", "fd4aa49a14e072eb916750a27c586463f28848cd"},
};

static void
native_scramble_known_vectors(void **state)
{
    uint8_t scramble[20], expect[SP_SHA1_LEN], answer[SP_SHA1_LEN];
    size_t i, len;

    for (i = 0; i < sizeof(native_vectors) / sizeof(native_vectors[0]); i++) {
        hex_to_bytes(native_vectors[i].scramble, scramble, 20);
        hex_to_bytes(native_vectors[i].answer, expect, SP_SHA1_LEN);
        sp_auth_native_scramble(scramble, "secret", 6, answer, &len);
        assert_int_equal(len, SP_SHA1_LEN);
        assert_memory_equal(answer, expect, SP_SHA1_LEN);
    }
}

/* Computed with hashlib for a non-ASCII password and scramble 01..14. */
static void
native_scramble_hashlib_vector(void **state)
{
    static const char password[] = "p@ss w0rd\xc3\xa9";
    uint8_t scramble[20], answer[SP_SHA1_LEN], stage2[SP_SHA1_LEN];
    size_t i, len;

    for (i = 0; i < 20; i++) {
        scramble[i] = (uint8_t)(i + 1);
    }
    sp_auth_native_scramble(scramble, password, sizeof(password) - 1, answer, &len);
    assert_int_equal(len, SP_SHA1_LEN);
    assert_sha1_hex(answer, "209165f018cd4d5846015cd895d5bd3b65d94c8f");

    sp_auth_native_stage2(password, sizeof(password) - 1, stage2);
    assert_sha1_hex(stage2, "0ebf89f0418bb3e2148471dc1da805890620b7ec");
    assert_true(sp_auth_native_verify(scramble, stage2, false, answer, len));
}

static void
native_empty_password(void **state)
{
    uint8_t scramble[20] = {0};
    uint8_t answer[SP_SHA1_LEN];
    uint8_t stage2[SP_SHA1_LEN] = {0};
    size_t len = 99;

    sp_auth_native_scramble(scramble, "", 0, answer, &len);
    assert_int_equal(len, 0);

    assert_true(sp_auth_native_verify(scramble, stage2, true, NULL, 0));
    memset(answer, 0, sizeof(answer));
    assert_false(sp_auth_native_verify(scramble, stage2, true, answer, SP_SHA1_LEN));
}

static void
native_verify_accepts_and_rejects(void **state)
{
    uint8_t scramble[20], answer[SP_SHA1_LEN], stage2[SP_SHA1_LEN], wrong[SP_SHA1_LEN + 1];
    size_t i;

    sp_auth_native_stage2("secret", 6, stage2);
    for (i = 0; i < sizeof(native_vectors) / sizeof(native_vectors[0]); i++) {
        hex_to_bytes(native_vectors[i].scramble, scramble, 20);
        hex_to_bytes(native_vectors[i].answer, answer, SP_SHA1_LEN);
        assert_true(sp_auth_native_verify(scramble, stage2, false, answer, SP_SHA1_LEN));

        /* Wrong length, empty answer, and an account marked as passwordless. */
        memcpy(wrong, answer, SP_SHA1_LEN);
        wrong[SP_SHA1_LEN] = 0;
        assert_false(sp_auth_native_verify(scramble, stage2, false, wrong, SP_SHA1_LEN + 1));
        assert_false(sp_auth_native_verify(scramble, stage2, false, answer, SP_SHA1_LEN - 1));
        assert_false(sp_auth_native_verify(scramble, stage2, false, answer, 0));
        assert_false(sp_auth_native_verify(scramble, stage2, true, answer, SP_SHA1_LEN));
    }

    /* The answer to one scramble does not pass for the other. */
    hex_to_bytes(native_vectors[0].scramble, scramble, 20);
    hex_to_bytes(native_vectors[1].answer, answer, SP_SHA1_LEN);
    assert_false(sp_auth_native_verify(scramble, stage2, false, answer, SP_SHA1_LEN));
}

/* A wrong password, and every single-bit change of a right answer. */
static void
native_verify_rejects_wrong_answers(void **state)
{
    uint8_t scramble[20], answer[SP_SHA1_LEN], stage2[SP_SHA1_LEN], expect[SP_SHA1_LEN];
    size_t len;
    int byte, bit;

    sp_auth_native_stage2("secret", 6, stage2);

    /* MariaDB answered "Access denied" to this answer for "wrong". */
    hex_to_bytes("5f2f69476547732e287a536f5333453f4b3c2a5c", scramble, 20);
    hex_to_bytes("2070e04ff4f78158dd5a111a1a371b576cbaba9d", expect, SP_SHA1_LEN);
    sp_auth_native_scramble(scramble, "wrong", 5, answer, &len);
    assert_memory_equal(answer, expect, SP_SHA1_LEN);
    assert_false(sp_auth_native_verify(scramble, stage2, false, answer, len));

    hex_to_bytes(native_vectors[1].scramble, scramble, 20);
    sp_auth_native_scramble(scramble, "Secret", 6, answer, &len);
    assert_false(sp_auth_native_verify(scramble, stage2, false, answer, len));

    sp_auth_native_scramble(scramble, "secret", 6, answer, &len);
    for (byte = 0; byte < SP_SHA1_LEN; byte++) {
        for (bit = 0; bit < 8; bit++) {
            answer[byte] ^= (uint8_t)(1u << bit);
            assert_false(sp_auth_native_verify(scramble, stage2, false, answer, len));
            answer[byte] ^= (uint8_t)(1u << bit);
        }
    }
    assert_true(sp_auth_native_verify(scramble, stage2, false, answer, len));
}

/* AuthSwitchRequest that MariaDB 10.11.19 sent to a client that offered
 * caching_sha2_password for a mysql_native_password account. */
static const uint8_t captured_switch[] = {
    0xFE, 0x6D, 0x79, 0x73, 0x71, 0x6C, 0x5F, 0x6E, 0x61, 0x74, 0x69, 0x76,
    0x65, 0x5F, 0x70, 0x61, 0x73, 0x73, 0x77, 0x6F, 0x72, 0x64, 0x00, 0x34,
    0x28, 0x68, 0x58, 0x60, 0x59, 0x7B, 0x24, 0x3B, 0x3E, 0x64, 0x5C, 0x7E,
    0x2B, 0x54, 0x46, 0x42, 0x5A, 0x7A, 0x7A, 0x00,
};

static void
switch_request_captured_parse(void **state)
{
    uint8_t scramble[20];
    struct sp_str plugin, data;

    assert_int_equal(sp_auth_switch_request_parse(captured_switch, sizeof(captured_switch),
                                                  &plugin, &data), SP_OK);
    assert_true(sp_str_eq(plugin, SP_STR_LIT(SP_AUTH_NATIVE_PLUGIN)));
    assert_int_equal(data.len, 20);
    hex_to_bytes(native_vectors[1].scramble, scramble, 20);
    assert_memory_equal(data.ptr, scramble, 20);
}

static void
switch_request_build_matches_captured(void **state)
{
    uint8_t data[21];
    struct sp_buf buf;

    /* The data is the scramble and its NUL, written as given. */
    hex_to_bytes(native_vectors[1].scramble, data, 20);
    data[20] = 0;
    sp_buf_init(&buf);
    assert_int_equal(sp_auth_switch_request_build(&buf, SP_AUTH_NATIVE_PLUGIN, data, 21), SP_OK);
    assert_int_equal(buf.len, sizeof(captured_switch));
    assert_memory_equal(buf.data, captured_switch, sizeof(captured_switch));
    assert_int_equal(sp_auth_switch_request_build(&buf, NULL, data, 21), SP_EINVAL);
    assert_int_equal(buf.len, sizeof(captured_switch));
    sp_buf_deinit(&buf);
}

static void
switch_request_round_trip_empty_data(void **state)
{
    struct sp_str plugin, data;
    struct sp_buf buf;

    sp_buf_init(&buf);
    assert_int_equal(sp_auth_switch_request_build(&buf, "dialog", NULL, 0), SP_OK);
    assert_int_equal(buf.len, 8);
    assert_int_equal(sp_auth_switch_request_parse(buf.data, buf.len, &plugin, &data), SP_OK);
    assert_true(sp_str_eq(plugin, SP_STR_LIT("dialog")));
    assert_int_equal(data.len, 0);

    /* Data without a trailing NUL comes back whole. */
    sp_buf_reset(&buf, 0);
    assert_int_equal(sp_auth_switch_request_build(&buf, "x", (const uint8_t *)"abc", 3), SP_OK);
    assert_int_equal(sp_auth_switch_request_parse(buf.data, buf.len, &plugin, &data), SP_OK);
    assert_true(sp_str_eq(data, SP_STR_LIT("abc")));
    sp_buf_deinit(&buf);
}

static void
switch_request_malformed(void **state)
{
    static const uint8_t old_switch[] = {0xFE};
    static const uint8_t not_switch[] = {0x00, 'x', 0x00};
    static const uint8_t no_nul[] = {0xFE, 'm', 'y'};
    struct sp_str plugin, data;
    uint8_t *copy;
    size_t n;

    assert_int_equal(sp_auth_switch_request_parse(old_switch, 1, &plugin, &data),
                     SP_EUNSUPPORTED);
    assert_int_equal(sp_auth_switch_request_parse(not_switch, sizeof(not_switch), &plugin, &data),
                     SP_EPROTO);
    assert_int_equal(sp_auth_switch_request_parse(no_nul, sizeof(no_nul), &plugin, &data),
                     SP_EPROTO);
    assert_int_equal(sp_auth_switch_request_parse(NULL, 0, &plugin, &data), SP_EPROTO);

    /* Prefixes that cut the plugin name are malformed; later ones parse. */
    for (n = 2; n <= sizeof(captured_switch); n++) {
        copy = malloc(n);
        assert_non_null(copy);
        memcpy(copy, captured_switch, n);
        if (n < 23) {
            assert_int_equal(sp_auth_switch_request_parse(copy, n, &plugin, &data), SP_EPROTO);
        } else {
            assert_int_equal(sp_auth_switch_request_parse(copy, n, &plugin, &data), SP_OK);
            assert_int_equal(data.len, n - 23 < 20 ? n - 23 : 20);
        }
        free(copy);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sha1_fips_vectors),
        cmocka_unit_test(sha1_million_a),
        cmocka_unit_test(sha1_padding_boundaries),
        cmocka_unit_test(sha1_incremental_matches_one_shot),
        cmocka_unit_test(native_stage2_matches_mariadb),
        cmocka_unit_test(native_scramble_known_vectors),
        cmocka_unit_test(native_scramble_hashlib_vector),
        cmocka_unit_test(native_empty_password),
        cmocka_unit_test(native_verify_accepts_and_rejects),
        cmocka_unit_test(native_verify_rejects_wrong_answers),
        cmocka_unit_test(switch_request_captured_parse),
        cmocka_unit_test(switch_request_build_matches_captured),
        cmocka_unit_test(switch_request_round_trip_empty_data),
        cmocka_unit_test(switch_request_malformed),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
