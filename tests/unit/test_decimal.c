/*
 * Unit tests for router/decimal.c: parsing, comparison, addition, division
 * and rounding of exact decimals. Expected values marked "server:" are what
 * MariaDB 10.11.19 returns for the query quoted beside them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "router/decimal.h"

static struct sp_decimal
dec(const char *text)
{
    struct sp_decimal d;

    assert_int_equal(sp_decimal_parse(&d, text, strlen(text)), SP_OK);
    return d;
}

static void
assert_format(const struct sp_decimal *d, const char *expected)
{
    char buf[SP_DECIMAL_TEXT_MAX];
    size_t len = sp_decimal_format(d, buf);

    assert_int_equal(len, strlen(buf));
    assert_string_equal(buf, expected);
}

static void
assert_add(const char *a, const char *b, const char *expected)
{
    struct sp_decimal da = dec(a), db = dec(b), sum;

    assert_int_equal(sp_decimal_add(&sum, &da, &db), SP_OK);
    assert_format(&sum, expected);
    /* Addition commutes, and OUT may alias an input. */
    assert_int_equal(sp_decimal_add(&db, &db, &da), SP_OK);
    assert_format(&db, expected);
}

static void
assert_div(const char *a, const char *b, unsigned scale, const char *expected)
{
    struct sp_decimal da = dec(a), db = dec(b), q;

    assert_int_equal(sp_decimal_div(&q, &da, &db, scale), SP_OK);
    assert_format(&q, expected);
}

static void
assert_round(const char *a, unsigned scale, const char *expected)
{
    struct sp_decimal d = dec(a);

    assert_int_equal(sp_decimal_round(&d, scale), SP_OK);
    assert_format(&d, expected);
}

static int
cmp_text(const char *a, const char *b)
{
    struct sp_decimal da = dec(a), db = dec(b);

    return sp_decimal_cmp(&da, &db);
}

static void
decimal_parse_format_roundtrip(void **state)
{
    static const char *const same[] = {
        "0", "7", "-7", "123.450", "-0.05", "0.00", "18446744073709551615",
        "-99999999999999999999999999999999999999999999999999999999999999999.123456789012345678901234567890",
    };
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
        struct sp_decimal d = dec(same[i]);

        assert_format(&d, same[i]);
    }
}

static void
decimal_parse_normalizes(void **state)
{
    struct sp_decimal d;
    d = dec("007.50");
    assert_int_equal(d.scale, 2);
    assert_format(&d, "7.50");

    d = dec("+5");
    assert_format(&d, "5");
    d = dec(".5");
    assert_format(&d, "0.5");
    d = dec("5.");
    assert_format(&d, "5");

    /* Negative zero is zero: no sign in the text. */
    d = dec("-0");
    assert_false(d.negative);
    assert_true(sp_decimal_is_zero(&d));
    assert_format(&d, "0");
    d = dec("-0.00");
    assert_false(d.negative);
    assert_format(&d, "0.00");
}

static void
decimal_parse_rejects(void **state)
{
    static const char *const bad[] = {"", "-", "+", ".", "1e5", "1.2.3", " 1", "1 ", "abc", "--1", "0x10"};
    char big[SP_DECIMAL_MAX_DIGITS + 2];
    char tiny[SP_DECIMAL_MAX_SCALE + 4];
    struct sp_decimal d;
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(sp_decimal_parse(&d, bad[i], strlen(bad[i])), SP_EINVAL);
    }

    memset(big, '9', sizeof(big));
    assert_int_equal(sp_decimal_parse(&d, big, SP_DECIMAL_MAX_DIGITS), SP_OK);
    assert_int_equal(sp_decimal_parse(&d, big, SP_DECIMAL_MAX_DIGITS + 1), SP_ERANGE);

    /* Leading zeros never count against the limit. */
    memset(big, '0', sizeof(big));
    big[sizeof(big) - 1] = '1';
    assert_int_equal(sp_decimal_parse(&d, big, sizeof(big)), SP_OK);
    assert_format(&d, "1");

    /* More fractional digits than the scale limit. */
    tiny[0] = '0';
    tiny[1] = '.';
    memset(tiny + 2, '0', sizeof(tiny) - 3);
    tiny[sizeof(tiny) - 1] = '1';
    assert_int_equal(sp_decimal_parse(&d, tiny, sizeof(tiny)), SP_ERANGE);
}

static void
decimal_compare(void **state)
{
    /* server: SELECT -0.50 = -0.5 returns 1. */
    assert_int_equal(cmp_text("-0.50", "-0.5"), 0);
    assert_int_equal(cmp_text("0", "-0.000"), 0);
    assert_int_equal(cmp_text("007", "7.0"), 0);
    assert_true(cmp_text("-5", "3") < 0);
    assert_true(cmp_text("3", "-5") > 0);
    assert_true(cmp_text("-1", "-0.5") < 0);
    assert_true(cmp_text("0.1", "0.09") > 0);
    assert_true(cmp_text("100", "99.999") > 0);
    assert_true(cmp_text("-100", "-99.999") < 0);
    assert_true(cmp_text("18446744073709551615", "18446744073709551614") > 0);
    assert_true(cmp_text("18446744073709551616", "18446744073709551615") > 0);
    assert_true(cmp_text("0.0001", "0") > 0);
    assert_true(cmp_text("-0.0001", "0") < 0);
}

static void
decimal_add(void **state)
{
    char nines[70], one_then_zeros[72];
    /* server: SELECT 999.99+0.01, -0.5+0.5, 1.5+-2.25 returns 1000.00, 0.0, -0.75. */
    assert_add("999.99", "0.01", "1000.00");
    assert_add("-0.5", "0.5", "0.0");
    assert_add("1.5", "-2.25", "-0.75");
    assert_add("-5", "3", "-2");
    assert_add("-5", "-3", "-8");
    assert_add("0.001", "1", "1.001");
    assert_add("0", "0", "0");
    assert_add("-0.001", "0.002", "0.001");
    /* server: SELECT 18446744073709551615.0 + 1 returns 18446744073709551616.0. */
    assert_add("18446744073709551615.0", "1", "18446744073709551616.0");

    /* A carry through 69 digits. */
    memset(nines, '9', sizeof(nines) - 1);
    nines[sizeof(nines) - 1] = '\0';
    one_then_zeros[0] = '1';
    memset(one_then_zeros + 1, '0', 69);
    one_then_zeros[70] = '\0';
    assert_add(nines, "1", one_then_zeros);
    /* And the borrow back. */
    assert_add(one_then_zeros, "-1", nines);
}

static void
decimal_add_overflow(void **state)
{
    char nines[SP_DECIMAL_MAX_DIGITS + 1];
    struct sp_decimal a, one = dec("1"), out = dec("42");
    memset(nines, '9', SP_DECIMAL_MAX_DIGITS);
    nines[SP_DECIMAL_MAX_DIGITS] = '\0';
    a = dec(nines);
    assert_int_equal(sp_decimal_add(&out, &a, &one), SP_ERANGE);
    /* The output is left as it was. */
    assert_format(&out, "42");
}

static void
decimal_divide(void **state)
{
    /* AVG of the integers 10, 20, 30, 40 has 4 decimals. */
    assert_div("100", "4", 4, "25.0000");
    /* server: SELECT avg(if(seq=0,1,0)), avg(if(seq=0,-1,0)) FROM seq_0_to_31 returns 0.0313, -0.0313. */
    assert_div("1", "32", 4, "0.0313");
    assert_div("-1", "32", 4, "-0.0313");
    /* server: SELECT 2/3, 1/0.3, 10.5/2.5 returns 0.6667, 3.3333, 4.20000. */
    assert_div("2", "3", 4, "0.6667");
    assert_div("1", "0.3", 4, "3.3333");
    assert_div("10.5", "2.5", 5, "4.20000");
    /* server: SELECT avg(d) over 1.00, 2.00, 2.01 in DECIMAL(10,2) returns 1.670000. */
    assert_div("5.01", "3", 6, "1.670000");
    /* server: SELECT avg(u) over BIGINT UNSIGNED 1, 2, 18446744073709551615 returns 6148914691236517206.0000. */
    assert_div("18446744073709551618", "3", 4, "6148914691236517206.0000");

    assert_div("1", "8", 2, "0.13");
    assert_div("-1", "8", 2, "-0.13");
    assert_div("-1", "-8", 2, "0.13");
    assert_div("1", "16", 3, "0.063");
    assert_div("1.23456", "1", 2, "1.23");
    assert_div("1.235", "1", 2, "1.24");
    assert_div("0", "5", 4, "0.0000");
    assert_div("-0.0001", "3", 2, "0.00");
    assert_div("7", "7", 0, "1");
    assert_div("123456789012345678901234567890", "0.000001", 0,
               "123456789012345678901234567890000000");
}

static void
decimal_divide_by_zero(void **state)
{
    struct sp_decimal a = dec("1"), zero = dec("-0.00"), out;
    assert_int_equal(sp_decimal_div(&out, &a, &zero, 4), SP_EINVAL);
    assert_int_equal(sp_decimal_div(&out, &a, &a, SP_DECIMAL_MAX_SCALE + 1), SP_ERANGE);
}

static void
decimal_round(void **state)
{
    /* server: SELECT round(1.005,2), round(-1.005,2), round(9.995,2), round(-0.004,2),
     * round(99.5,0), round(-0.5,0), cast(1.5 as decimal(10,3))
     * returns 1.01, -1.01, 10.00, 0.00, 100, -1, 1.500. */
    assert_round("1.005", 2, "1.01");
    assert_round("-1.005", 2, "-1.01");
    assert_round("9.995", 2, "10.00");
    assert_round("-0.004", 2, "0.00");
    assert_round("99.5", 0, "100");
    assert_round("-0.5", 0, "-1");
    assert_round("1.5", 3, "1.500");
    assert_round("1.49999", 0, "1");
    assert_round("0.05", 1, "0.1");
    assert_round("0.04", 1, "0.0");
    assert_round("0", 3, "0.000");
}

static void
decimal_from_u64(void **state)
{
    struct sp_decimal d;
    sp_decimal_from_u64(&d, UINT64_MAX);
    assert_format(&d, "18446744073709551615");
    sp_decimal_from_u64(&d, 0);
    assert_true(sp_decimal_is_zero(&d));
    assert_format(&d, "0");
}


static void
assert_binary(int (*op)(struct sp_decimal *, const struct sp_decimal *, const struct sp_decimal *),
              const char *a, const char *b, const char *expected)
{
    struct sp_decimal da = dec(a), db = dec(b), out;

    assert_int_equal(op(&out, &da, &db), SP_OK);
    assert_format(&out, expected);
}

/* server: SELECT a - b, a * b, a MOD b for each pair. */
static void
decimal_sub_mul_mod(void **state)
{
    (void)state;
    assert_binary(sp_decimal_sub, "10.5", "0.25", "10.25");
    assert_binary(sp_decimal_sub, "0.25", "10.5", "-10.25");
    assert_binary(sp_decimal_sub, "-1", "-1", "0");
    assert_binary(sp_decimal_mul, "1.5", "-2.25", "-3.375");
    assert_binary(sp_decimal_mul, "-0.00", "3", "0.00");
    assert_binary(sp_decimal_mul, "99999999999999999999", "99999999999999999999",
                  "9999999999999999999800000000000000000001");
    assert_binary(sp_decimal_mod, "10.5", "3", "1.5");
    assert_binary(sp_decimal_mod, "-10.5", "3", "-1.5");
    assert_binary(sp_decimal_mod, "10", "-3", "1");
    assert_binary(sp_decimal_mod, "7.25", "0.3", "0.05");
}

/* server: SELECT 2/3 cut (not rounded) after 9 digits; ROUND(x, -1) and friends. */
static void
decimal_truncating_division_and_places(void **state)
{
    struct sp_decimal a = dec("0.00002"), b = dec("3"), q, d;

    (void)state;
    assert_int_equal(sp_decimal_div_trunc(&q, &a, &b, 9), SP_OK);
    assert_format(&q, "0.000006666");
    a = dec("-2");
    assert_int_equal(sp_decimal_div_trunc(&q, &a, &b, 2), SP_OK);
    assert_format(&q, "-0.66");

    d = dec("1234.5678");
    assert_int_equal(sp_decimal_round_places(&d, -2, SP_DECIMAL_HALF_UP), SP_OK);
    assert_format(&d, "1200");
    d = dec("-1250");
    assert_int_equal(sp_decimal_round_places(&d, -2, SP_DECIMAL_HALF_UP), SP_OK);
    assert_format(&d, "-1300");
    d = dec("999.5");
    assert_int_equal(sp_decimal_round_places(&d, 0, SP_DECIMAL_HALF_UP), SP_OK);
    assert_format(&d, "1000");
    d = dec("-2.71");
    assert_int_equal(sp_decimal_round_places(&d, 1, SP_DECIMAL_TRUNCATE), SP_OK);
    assert_format(&d, "-2.7");
    d = dec("-2.71");
    assert_int_equal(sp_decimal_round_places(&d, 0, SP_DECIMAL_FLOOR), SP_OK);
    assert_format(&d, "-3");
    d = dec("2.01");
    assert_int_equal(sp_decimal_round_places(&d, 0, SP_DECIMAL_CEILING), SP_OK);
    assert_format(&d, "3");
    d = dec("2.00");
    assert_int_equal(sp_decimal_round_places(&d, 0, SP_DECIMAL_CEILING), SP_OK);
    assert_format(&d, "2");
    d = dec("49");
    assert_int_equal(sp_decimal_round_places(&d, -2, SP_DECIMAL_HALF_UP), SP_OK);
    assert_format(&d, "0");
    d = dec("1.5");
    assert_int_equal(sp_decimal_round_places(&d, 3, SP_DECIMAL_HALF_UP), SP_OK);
    assert_format(&d, "1.500");
}

static void
decimal_integer_range(void **state)
{
    struct sp_decimal d;
    int64_t i;
    uint64_t u;

    (void)state;
    d = dec("9223372036854775807");
    assert_int_equal(sp_decimal_to_i64(&d, false, &i, &u), SP_OK);
    assert_true(i == INT64_MAX);
    d = dec("-9223372036854775808");
    assert_int_equal(sp_decimal_to_i64(&d, false, &i, &u), SP_OK);
    assert_true(i == INT64_MIN);
    d = dec("9223372036854775808");
    assert_int_equal(sp_decimal_to_i64(&d, false, &i, &u), SP_ERANGE);
    assert_int_equal(sp_decimal_to_i64(&d, true, &i, &u), SP_OK);
    d = dec("18446744073709551616");
    assert_int_equal(sp_decimal_to_i64(&d, true, &i, &u), SP_ERANGE);
    d = dec("-1");
    assert_int_equal(sp_decimal_to_i64(&d, true, &i, &u), SP_ERANGE);
    sp_decimal_from_i64(&d, INT64_MIN);
    assert_format(&d, "-9223372036854775808");
    assert_true(sp_decimal_to_double(&d) == -9223372036854775808.0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(decimal_parse_format_roundtrip),
        cmocka_unit_test(decimal_parse_normalizes),
        cmocka_unit_test(decimal_parse_rejects),
        cmocka_unit_test(decimal_compare),
        cmocka_unit_test(decimal_add),
        cmocka_unit_test(decimal_add_overflow),
        cmocka_unit_test(decimal_divide),
        cmocka_unit_test(decimal_divide_by_zero),
        cmocka_unit_test(decimal_round),
        cmocka_unit_test(decimal_from_u64),
        cmocka_unit_test(decimal_sub_mul_mod),
        cmocka_unit_test(decimal_truncating_division_and_places),
        cmocka_unit_test(decimal_integer_range),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
