/*
 * Unit tests for protocol/stmt.c, stmt_value.c and stmt_row.c: the
 * prepared-statement commands, parameter literals and binary rows.
 *
 * Captured inputs come from MariaDB 10.11.19 on loopback. The COM_STMT_*
 * requests were sent by libmariadb 3.3.20 (Connector/C) through a logging
 * relay. The rows and column definitions were read with a hand-written
 * COM_STMT_PREPARE and COM_STMT_EXECUTE, and the matching text rows with
 * COM_QUERY on the same connection. The SQL literals for the types that
 * the server accepts as parameters were checked against it with SELECT ?
 * <=> literal, HEX(?) = HEX(literal) and COLLATION(?) = COLLATION(literal).
 * That check ran under the default sql_mode and with NO_BACKSLASH_ESCAPES,
 * in utf8mb4 and in gbk.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/buf.h"
#include "protocol/codec.h"
#include "protocol/command.h"
#include "protocol/stmt.h"

#define MAX_PAYLOAD 2048
#define MAX_PARAMS 32

struct captured_column {
    const char *name;
    uint8_t type;
    uint16_t flags;
    uint8_t decimals;
    uint32_t length;
    uint16_t charset;
};

struct captured_text {
    const char *ptr;
    size_t len;
};

/* Decodes a hex string into OUT; returns the byte count. */
static size_t
unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;

    assert_true(strlen(hex) % 2 == 0);
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;

        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

static void
assert_buf_hex(const struct sp_buf *buf, const char *hex)
{
    uint8_t want[MAX_PAYLOAD];
    size_t n = unhex(hex, want, sizeof(want));

    assert_int_equal(sp_buf_unread_len(buf), n);
    assert_memory_equal(sp_buf_unread(buf), want, n);
}

static void
assert_buf_text(const struct sp_buf *buf, const char *text)
{
    size_t n = strlen(text);

    if (sp_buf_unread_len(buf) != n || memcmp(sp_buf_unread(buf), text, n) != 0) {
        print_error("expected \"%s\", got \"%.*s\"\n", text, (int)sp_buf_unread_len(buf),
                    (const char *)sp_buf_unread(buf));
        fail();
    }
}

static void
assert_view_text(struct sp_str v, const char *text, size_t n)
{
    if (v.len != n || (n > 0 && memcmp(v.ptr, text, n) != 0)) {
        print_error("expected \"%.*s\", got \"%.*s\"\n", (int)n, text, (int)v.len, v.ptr);
        fail();
    }
}

static void
defs_from(const struct captured_column *cols, size_t n, struct sp_column_def *defs)
{
    memset(defs, 0, n * sizeof(*defs));
    for (size_t i = 0; i < n; i++) {
        defs[i].name = sp_str_cstr(cols[i].name);
        defs[i].type = cols[i].type;
        defs[i].flags = cols[i].flags;
        defs[i].decimals = cols[i].decimals;
        defs[i].column_length = cols[i].length;
        defs[i].charset = cols[i].charset;
    }
}

/* ---- captured vectors ---------------------------------------------- */

/* Connector/C, SELECT ? repeated 17 times. The prepare OK: statement 11. */
static const char prepare_ok_17[] = "000B00000011001100000000";

/*
 * Its first COM_STMT_EXECUTE, with types. The values are TINY -128, SHORT
 * 32767, LONG INT32_MIN, unsigned LONGLONG UINT64_MAX, FLOAT 1.1, DOUBLE
 * -0.0, STRING "it's \ ok", BLOB 00 FF 27 5C, DATE 2024-02-29, DATETIME
 * 2024-02-29 13:14:15.123456, TIME -100:02:03.456789 (0 days, hour 100),
 * NEWDECIMAL -12345678901234.123456, LONG NULL, LONGLONG INT64_MIN,
 * VAR_STRING "abc", TIMESTAMP zero (length 0) and a NULL-typed parameter.
 */
static const char execute_17_first[] =
    "170B000000000100000000100101010002000300088004000500FE00FC000A00"
    "0C000B00F60003000800FD000700060080FF7F00000080FFFFFFFFFFFFFFFFCD"
    "CC8C3F00000000000000800969742773205C206F6B0400FF275C04E807021D0B"
    "E807021D0D0E0F40E201000C010000000064020355F80600162D313233343536"
    "37383930313233342E31323334353600000000000000800361626300";

/* The second execute with the same binds: no types, TINY 127, STRING
 * "second", LONG 42 no longer NULL, VAR_STRING empty. */
static const char execute_17_second[] =
    "170B0000000001000000000001007FFF7F2A000000FFFFFFFFFFFFFFFFCDCC8C"
    "3F0000000000000080067365636F6E640400FF275C04E807021D0BE807021D0D"
    "0E0F40E201000C010000000064020355F80600162D3132333435363738393031"
    "3233342E3132333435362A00000000000000000000800000";

/* COM_STMT_SEND_LONG_DATA twice for parameter 14: "long " and "data". */
static const char long_data_1[] = "180B0000000E006C6F6E6720";
static const char long_data_2[] = "180B0000000E0064617461";

/* The execute after them: parameter 14 has no bytes. */
static const char execute_17_long[] =
    "170B0000000001000000000001007FFF7F2A000000FFFFFFFFFFFFFFFFCDCC8C"
    "3F0000000000000080067365636F6E640400FF275C04E807021D0BE807021D0D"
    "0E0F40E201000C010000000064020355F80600162D3132333435363738393031"
    "3233342E3132333435362A000000000000000000008000";

/* mysql_stmt_reset and mysql_stmt_close of statement 11. */
static const char reset_11[] = "1A0B000000";
static const char close_11[] = "190B000000";

/* A statement without parameters executed with a read-only cursor, then
 * fetched two rows at a time. */
static const char execute_cursor_12[] = "170C0000000101000000";
static const char fetch_12[] = "1C0C00000002000000";

/* The rows below come from this table:
 *   CREATE TABLE st_types (id INT PRIMARY KEY, c_tiny TINYINT, c_utiny TINYINT
 *   UNSIGNED, c_short SMALLINT, c_ushort SMALLINT UNSIGNED, c_int24 MEDIUMINT,
 *   c_uint24 MEDIUMINT UNSIGNED, c_int INT, c_uint INT UNSIGNED, c_big BIGINT,
 *   c_ubig BIGINT UNSIGNED, c_zf INT(5) ZEROFILL, c_year YEAR, c_float FLOAT,
 *   c_double DOUBLE, c_fixed FLOAT(7,3), c_dec DECIMAL(20,6), c_date DATE,
 *   c_dt DATETIME, c_dt6 DATETIME(6), c_ts3 TIMESTAMP(3) NULL, c_time TIME,
 *   c_time6 TIME(6), c_char CHAR(5), c_varchar VARCHAR(20), c_vbin
 *   VARBINARY(10), c_blob BLOB, c_text TEXT, c_enum ENUM('a','b'), c_set
 *   SET('x','y'), c_bit BIT(10), c_json JSON)
 * The table has a row of minimums and special values, one of maximums and
 * zeros, one of NULLs and one of small values.
 */
/* COM_STMT_PREPARE of SELECT * FROM st_types ORDER BY id: 32 columns, no parameters. */
static const char prepare_ok_types[] =
    "000F00000020000000000000";
/* Its column definitions: name, type, flags, decimals, length, collation. */
static const struct captured_column types_columns[] = {
    {"id", 3, 0x5003, 0, 11, 63},
    {"c_tiny", 1, 0x0000, 0, 4, 63},
    {"c_utiny", 1, 0x0020, 0, 3, 63},
    {"c_short", 2, 0x0000, 0, 6, 63},
    {"c_ushort", 2, 0x0020, 0, 5, 63},
    {"c_int24", 9, 0x0000, 0, 9, 63},
    {"c_uint24", 9, 0x0020, 0, 8, 63},
    {"c_int", 3, 0x0000, 0, 11, 63},
    {"c_uint", 3, 0x0020, 0, 10, 63},
    {"c_big", 8, 0x0000, 0, 20, 63},
    {"c_ubig", 8, 0x0020, 0, 20, 63},
    {"c_zf", 3, 0x0060, 0, 5, 63},
    {"c_year", 13, 0x0060, 0, 4, 63},
    {"c_float", 4, 0x0000, 31, 12, 63},
    {"c_double", 5, 0x0000, 31, 22, 63},
    {"c_fixed", 4, 0x0000, 3, 7, 63},
    {"c_dec", 246, 0x0000, 6, 22, 63},
    {"c_date", 10, 0x0080, 0, 10, 63},
    {"c_dt", 12, 0x0080, 0, 19, 63},
    {"c_dt6", 12, 0x0080, 6, 26, 63},
    {"c_ts3", 7, 0x00A0, 3, 23, 63},
    {"c_time", 11, 0x0080, 0, 10, 63},
    {"c_time6", 11, 0x0080, 6, 17, 63},
    {"c_char", 254, 0x0000, 0, 20, 45},
    {"c_varchar", 253, 0x0000, 0, 80, 45},
    {"c_vbin", 253, 0x0080, 0, 10, 63},
    {"c_blob", 252, 0x0090, 0, 65535, 63},
    {"c_text", 252, 0x0010, 0, 262140, 45},
    {"c_enum", 254, 0x0100, 0, 4, 45},
    {"c_set", 254, 0x0800, 0, 12, 45},
    {"c_bit", 16, 0x0020, 0, 10, 63},
    {"c_json", 252, 0x0090, 0, 4294967295, 45},
};
/* Its binary rows (COM_STMT_EXECUTE with no parameters). */
static const char types_row0[] =
    "0000000000000100000080FF0080FFFF000080FFFFFFFF0000000080FFFFFFFF"
    "0000000000000080FFFFFFFFFFFFFFFF2A0000006D07CDCC8C3FA0C8EB85F3CC"
    "E17F2D529A44162D31323334353637383930313233342E31323334353604E807"
    "021D07E807021D0D0E0F0BE807021D0D0E0F010000000BE807021D0D0E0F78E0"
    "0100080122000000163B3B0C010400000004020355F806000261620D68656C6C"
    "6F2027776F726C64270400FF5C2702010205746578740A016203782C790202AA"
    "0D7B226B223A205B312C20325D7D";
static const char types_row1[] =
    "000000000000020000007F00FF7F0000FFFF7F0000000000FFFFFF7F00000000"
    "FFFFFFFFFFFFFF7F00000000000000000000000000009EC97FFF000000000000"
    "1080000000BF08302E303030303031000004D007010107B2070101000001000C"
    "0022000000163B3B3F420F000000000000016100020000025B5D";
static const char types_row2[] =
    "00F8FFFFFF0303000000";
static const char types_row3[] =
    "000000404000040000000001FFFF0100FFFFFFFF01000000FFFFFFFF01000000"
    "FFFFFFFFFFFFFFFF010000000000000040E201006B08FFE6DB2EDABC047E3AC5"
    "1A440000000008302E30303030303004E807010104E80701010BE80701010000"
    "0120A107000008000100000001000001780179017A0177017601790203FF046E"
    "756C6C";
/* The same rows from a text-protocol SELECT; NULL pointers are SQL NULL. */
static const struct captured_text types_text[][32] = {
    {
        {"1", 1},
        {"-128", 4},
        {"255", 3},
        {"-32768", 6},
        {"65535", 5},
        {"-8388608", 8},
        {"16777215", 8},
        {"-2147483648", 11},
        {"4294967295", 10},
        {"-9223372036854775808", 20},
        {"18446744073709551615", 20},
        {"00042", 5},
        {"1901", 4},
        {"1.1", 3},
        {"1e308", 5},
        {"1234.568", 8},
        {"-12345678901234.123456", 22},
        {"2024-02-29", 10},
        {"2024-02-29 13:14:15", 19},
        {"2024-02-29 13:14:15.000001", 26},
        {"2024-02-29 13:14:15.123", 23},
        {"-838:59:59", 10},
        {"-100:02:03.456789", 17},
        {"ab", 2},
        {"hello 'world'", 13},
        {"\x00""\xff""\\'", 4},
        {"\x01""\x02""", 2},
        {"text\x0a""", 5},
        {"b", 1},
        {"x,y", 3},
        {"\x02""\xaa""", 2},
        {"{\"k\": [1, 2]}", 13},
    },
    {
        {"2", 1},
        {"127", 3},
        {"0", 1},
        {"32767", 5},
        {"0", 1},
        {"8388607", 7},
        {"0", 1},
        {"2147483647", 10},
        {"0", 1},
        {"9223372036854775807", 19},
        {"0", 1},
        {"00000", 5},
        {"0000", 4},
        {"-3.4e38", 7},
        {"-2.2250738585072014e-308", 24},
        {"-0.500", 6},
        {"0.000001", 8},
        {"0000-00-00", 10},
        {"0000-00-00 00:00:00", 19},
        {"2000-01-01 00:00:00.000000", 26},
        {"1970-01-01 00:00:01.000", 23},
        {"00:00:00", 8},
        {"838:59:59.999999", 16},
        {"", 0},
        {"", 0},
        {"", 0},
        {"", 0},
        {"", 0},
        {"a", 1},
        {"", 0},
        {"\x00""\x00""", 2},
        {"[]", 2},
    },
    {
        {"3", 1},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
        {NULL, 0},
    },
    {
        {"4", 1},
        {"0", 1},
        {"1", 1},
        {"-1", 2},
        {"1", 1},
        {"-1", 2},
        {"1", 1},
        {"-1", 2},
        {"1", 1},
        {"-1", 2},
        {"1", 1},
        {"123456", 6},
        {"2155", 4},
        {"0.0000000001", 12},
        {"1.2345678901234568e20", 21},
        {"0.000", 5},
        {"0.000000", 8},
        {"2024-01-01", 10},
        {"2024-01-01 00:00:00", 19},
        {"2024-01-01 00:00:01.500000", 26},
        {NULL, 0},
        {"00:00:00", 8},
        {"25:00:00.000000", 15},
        {"x", 1},
        {"y", 1},
        {"z", 1},
        {"w", 1},
        {"v", 1},
        {NULL, 0},
        {"y", 1},
        {"\x03""\xff""", 2},
        {"null", 4},
    },
};

/* FLOAT and DOUBLE columns of the same values: binary bits and the text
 * that SELECT f, d shows (FLOAT prints 6 significant digits). */
static const struct {
    uint32_t f;
    uint64_t d;
    const char *f_text;
    const char *d_text;
} float_cases[] = {
    {0x4CEB79A3U, UINT64_C(0x419D6F3454000000), "123457000", "123456789"},
    {0x3DCCCCCDU, UINT64_C(0x3FB999999999999A), "0.1", "0.1"},
    {0x4B800000U, UINT64_C(0x4170000010000000), "16777200", "16777217"},
    {0x40490FDBU, UINT64_C(0x400921FB53C8D4F1), "3.14159", "3.14159265"},
    {0x3727C5ACU, UINT64_C(0x3EE4F8B588E368F1), "0.00001", "0.00001"},
    {0x00800000U, UINT64_C(0x380FFFFFFF9FDBA8), "1.17549e-38", "1.17549435e-38"},
    {0x7F7FFFFFU, UINT64_C(0x47EFFFFFD586B834), "3.40282e38", "3.4028234e38"},
    {0x3901742EU, UINT64_C(0x3F202E85BE111841), "0.000123457", "0.000123456789"},
    {0x4996B438U, UINT64_C(0x4132D68700000000), "1234570", "1234567"},
    {0x4B3C614EU, UINT64_C(0x41678C29C0000000), "12345700", "12345678"},
    {0x58635FA9U, UINT64_C(0x430C6BF526340000), "1e15", "1e15"},
    {0x5A0E1BCAU, UINT64_C(0x4341C37937E08000), "1e16", "1e16"},
    {0x56E0910CU, UINT64_C(0x42DC12218377DE40), "123457000000000", "123456789012345"},
    {0x588C5AA8U, UINT64_C(0x43118B54F22AEB00), "1.23457e15", "1.234567890123456e15"},
    {0x5A2F7151U, UINT64_C(0x4345EE2A2EB5A5C4), "1.23457e16", "1.2345678901234568e16"},
    {0x283424DCU, UINT64_C(0x3D06849B86A12B9B), "0.00000000000001", "0.00000000000001"},
    {0x26901D7DU, UINT64_C(0x3CD203AF9EE75616), "0.000000000000001", "0.000000000000001"},
    {0x26D82C3BU, UINT64_C(0x3CDB05876E5B0120), "0.0000000000000015", "0.0000000000000015"},
    {0x374F07E5U, UINT64_C(0x3EE9E0FCAF9380FC), "0.00001234", "0.00001234"},
    {0x42C80000U, UINT64_C(0x4059000000000000), "100", "100"},
    {0x56B5E621U, UINT64_C(0x42D6BCC41E900000), "100000000000000", "100000000000000"},
    {0x58635FA8U, UINT64_C(0x430C6BF4F684F800), "1e15", "999999900000000"},
    {0x40200000U, UINT64_C(0x4004000000000000), "2.5", "2.5"},
    {0xB5429D9FU, UINT64_C(0xBEA853B3DC3AFEDA), "-0.000000725", "-0.000000725"},
    {0x49742400U, UINT64_C(0x412E848000000000), "1000000", "1000000"},
    {0x4B189680U, UINT64_C(0x416312D000000000), "10000000", "10000000"},
    {0x4CBEBC20U, UINT64_C(0x4197D78400000000), "100000000", "100000000"},
    {0x4CBEBC20U, UINT64_C(0x4197D783FC000000), "100000000", "99999999"},
    {0x3E99999AU, UINT64_C(0x3FD3333333333333), "0.3", "0.3"},
    {0x24E69595U, UINT64_C(0x3C9CD2B297D889BC), "1e-16", "1e-16"},
    {0x26B142FEU, UINT64_C(0x3CD6285FB1881049), "0.00000000000000123", "0.00000000000000123"},
    {0x3F8CCCCDU, UINT64_C(0x3FF199999999999A), "1.1", "1.1"},
};

/* ---- prepare OK ------------------------------------------------------ */

static void
prepare_ok_captured_parse(void **state)
{
    struct sp_stmt_prepare_ok ok;
    uint8_t p[MAX_PAYLOAD];
    size_t n;

    (void)state;
    n = unhex(prepare_ok_17, p, sizeof(p));
    assert_int_equal(sp_stmt_prepare_ok_parse(p, n, &ok), SP_OK);
    assert_int_equal(ok.stmt_id, 11);
    assert_int_equal(ok.ncolumns, 17);
    assert_int_equal(ok.nparams, 17);
    assert_int_equal(ok.warnings, 0);

    n = unhex(prepare_ok_types, p, sizeof(p));
    assert_int_equal(sp_stmt_prepare_ok_parse(p, n, &ok), SP_OK);
    assert_int_equal(ok.ncolumns, 32);
    assert_int_equal(ok.nparams, 0);
}

static void
prepare_ok_build_matches_captured(void **state)
{
    struct sp_stmt_prepare_ok ok = {11, 17, 17, 0};
    struct sp_buf out;

    (void)state;
    sp_buf_init(&out);
    assert_int_equal(sp_stmt_prepare_ok_build(&out, &ok), SP_OK);
    assert_buf_hex(&out, prepare_ok_17);
    sp_buf_deinit(&out);
}

static void
prepare_ok_warnings_round_trip(void **state)
{
    struct sp_stmt_prepare_ok ok = {0xFFFFFFFEu, 4096, 65535, 7}, back;
    struct sp_buf out;

    (void)state;
    sp_buf_init(&out);
    assert_int_equal(sp_stmt_prepare_ok_build(&out, &ok), SP_OK);
    assert_int_equal(sp_stmt_prepare_ok_parse(sp_buf_unread(&out), sp_buf_unread_len(&out), &back),
                     SP_OK);
    assert_int_equal(back.stmt_id, ok.stmt_id);
    assert_int_equal(back.ncolumns, ok.ncolumns);
    assert_int_equal(back.nparams, ok.nparams);
    assert_int_equal(back.warnings, 7);
    sp_buf_deinit(&out);
}

static void
prepare_ok_every_length(void **state)
{
    /* Warnings 3 and a MySQL 8 metadata flag after them. */
    static const uint8_t p[] = {0x00, 0x05, 0, 0, 0, 0x02, 0, 0x01, 0, 0x00, 0x03, 0x00, 0x01};
    struct sp_stmt_prepare_ok ok;

    (void)state;
    for (size_t len = 0; len <= sizeof(p); len++) {
        int rc = sp_stmt_prepare_ok_parse(p, len, &ok);

        if (len == 9 || len >= 12) {
            assert_int_equal(rc, SP_OK);
            assert_int_equal(ok.stmt_id, 5);
            assert_int_equal(ok.ncolumns, 2);
            assert_int_equal(ok.nparams, 1);
            assert_int_equal(ok.warnings, len == 9 ? 0 : 3);
        } else {
            assert_int_equal(rc, SP_EPROTO);
        }
    }
}

static void
prepare_ok_rejects_err_header(void **state)
{
    static const uint8_t p[] = {0xFF, 0x05, 0, 0, 0, 0x02, 0, 0x01, 0, 0x00, 0x03, 0x00};
    struct sp_stmt_prepare_ok ok;

    (void)state;
    assert_int_equal(sp_stmt_prepare_ok_parse(p, sizeof(p), &ok), SP_EPROTO);
}

/* ---- small commands ---------------------------------------------------- */

static void
small_commands_captured(void **state)
{
    struct sp_stmt_long_data ld;
    struct sp_stmt_fetch fetch;
    uint8_t p[MAX_PAYLOAD];
    uint32_t id;
    size_t n;

    (void)state;
    n = unhex(reset_11, p, sizeof(p));
    assert_int_equal(sp_stmt_reset_parse(p, n, &id), SP_OK);
    assert_int_equal(id, 11);
    assert_int_equal(sp_stmt_close_parse(p, n, &id), SP_EPROTO);
    assert_int_equal(sp_stmt_id_peek(p, n, &id), SP_OK);

    n = unhex(close_11, p, sizeof(p));
    assert_int_equal(sp_stmt_close_parse(p, n, &id), SP_OK);
    assert_int_equal(id, 11);
    assert_int_equal(sp_stmt_reset_parse(p, n, &id), SP_EPROTO);

    n = unhex(fetch_12, p, sizeof(p));
    assert_int_equal(sp_stmt_fetch_parse(p, n, &fetch), SP_OK);
    assert_int_equal(fetch.stmt_id, 12);
    assert_int_equal(fetch.nrows, 2);

    n = unhex(long_data_1, p, sizeof(p));
    assert_int_equal(sp_stmt_long_data_parse(p, n, &ld), SP_OK);
    assert_int_equal(ld.stmt_id, 11);
    assert_int_equal(ld.param_id, 14);
    assert_view_text(ld.data, "long ", 5);
    assert_int_equal(sp_stmt_id_peek(p, n, &id), SP_OK);
    assert_int_equal(id, 11);
}

static void
small_commands_build_match_captured(void **state)
{
    struct sp_stmt_long_data ld = {11, 14, SP_STR_LIT("data")};
    struct sp_stmt_fetch fetch = {12, 2};
    struct sp_buf out;

    (void)state;
    sp_buf_init(&out);
    assert_int_equal(sp_stmt_reset_build(&out, 11), SP_OK);
    assert_buf_hex(&out, reset_11);
    sp_buf_reset(&out, 0);
    assert_int_equal(sp_stmt_close_build(&out, 11), SP_OK);
    assert_buf_hex(&out, close_11);
    sp_buf_reset(&out, 0);
    assert_int_equal(sp_stmt_fetch_build(&out, &fetch), SP_OK);
    assert_buf_hex(&out, fetch_12);
    sp_buf_reset(&out, 0);
    assert_int_equal(sp_stmt_long_data_build(&out, &ld), SP_OK);
    assert_buf_hex(&out, long_data_2);
    sp_buf_deinit(&out);
}

static void
small_commands_every_length(void **state)
{
    uint8_t p[MAX_PAYLOAD];
    struct sp_stmt_long_data ld;
    struct sp_stmt_fetch fetch;
    uint32_t id;
    size_t n;

    (void)state;
    n = unhex(close_11, p, sizeof(p));
    for (size_t len = 0; len < n; len++) {
        assert_int_equal(sp_stmt_close_parse(p, len, &id), SP_EPROTO);
        assert_int_equal(sp_stmt_id_peek(p, len, &id), SP_EPROTO);
    }
    n = unhex(reset_11, p, sizeof(p));
    for (size_t len = 0; len < n; len++) {
        assert_int_equal(sp_stmt_reset_parse(p, len, &id), SP_EPROTO);
    }
    n = unhex(fetch_12, p, sizeof(p));
    for (size_t len = 0; len < n; len++) {
        assert_int_equal(sp_stmt_fetch_parse(p, len, &fetch), SP_EPROTO);
    }
    n = unhex(long_data_2, p, sizeof(p));
    for (size_t len = 0; len < n; len++) {
        int rc = sp_stmt_long_data_parse(p, len, &ld);

        /* Seven bytes hold the header: the data may be empty. */
        assert_int_equal(rc, len >= 7 ? SP_OK : SP_EPROTO);
        if (rc == SP_OK) {
            assert_int_equal(ld.data.len, len - 7);
        }
    }
}

static void
id_peek_rejects_other_commands(void **state)
{
    uint8_t p[] = {SP_COM_QUERY, 1, 0, 0, 0};
    uint32_t id;

    (void)state;
    assert_int_equal(sp_stmt_id_peek(p, sizeof(p), &id), SP_EPROTO);
    p[0] = SP_COM_STMT_PREPARE;
    assert_int_equal(sp_stmt_id_peek(p, sizeof(p), &id), SP_EPROTO);
    p[0] = SP_COM_STMT_EXECUTE;
    assert_int_equal(sp_stmt_id_peek(p, sizeof(p), &id), SP_OK);
    assert_int_equal(id, 1);
}

/* ---- COM_STMT_EXECUTE parse ------------------------------------------ */

static size_t
parse_hex_execute(const char *hex, uint8_t *p, uint16_t nparams, uint16_t *types, bool have_types,
                  const bool *long_data, struct sp_stmt_execute *ex, struct sp_stmt_param *params,
                  int expected)
{
    size_t n = unhex(hex, p, MAX_PAYLOAD);

    assert_int_equal(sp_stmt_execute_parse(p, n, nparams, types, have_types, long_data, ex, params),
                     expected);
    return n;
}

static void
assert_param(const struct sp_stmt_param *p, uint8_t type, bool is_unsigned, const char *hex)
{
    uint8_t want[64];
    size_t n;

    assert_int_equal(p->type, type);
    assert_int_equal(p->is_unsigned, is_unsigned);
    assert_false(p->is_null);
    assert_false(p->is_long_data);
    n = unhex(hex, want, sizeof(want));
    assert_int_equal(p->value.len, n);
    if (n > 0) {
        assert_memory_equal(p->value.ptr, want, n);
    }
}

static void
execute_captured_with_types(void **state)
{
    struct sp_stmt_param params[17];
    struct sp_stmt_execute ex;
    uint16_t types[17] = {0};
    uint8_t p[MAX_PAYLOAD];

    (void)state;
    parse_hex_execute(execute_17_first, p, 17, types, false, NULL, &ex, params, SP_OK);
    assert_int_equal(ex.stmt_id, 11);
    assert_int_equal(ex.flags, SP_STMT_CURSOR_NONE);
    assert_int_equal(ex.iterations, 1);
    assert_true(ex.new_params_bound);

    assert_param(&params[0], SP_MYSQL_TYPE_TINY, false, "80");
    assert_param(&params[1], SP_MYSQL_TYPE_SHORT, false, "FF7F");
    assert_param(&params[2], SP_MYSQL_TYPE_LONG, false, "00000080");
    assert_param(&params[3], SP_MYSQL_TYPE_LONGLONG, true, "FFFFFFFFFFFFFFFF");
    assert_param(&params[4], SP_MYSQL_TYPE_FLOAT, false, "CDCC8C3F");
    assert_param(&params[5], SP_MYSQL_TYPE_DOUBLE, false, "0000000000000080");
    assert_param(&params[6], SP_MYSQL_TYPE_STRING, false, "69742773205C206F6B");
    assert_param(&params[7], SP_MYSQL_TYPE_BLOB, false, "00FF275C");
    assert_param(&params[8], SP_MYSQL_TYPE_DATE, false, "E807021D");
    assert_param(&params[9], SP_MYSQL_TYPE_DATETIME, false, "E807021D0D0E0F40E20100");
    assert_param(&params[10], SP_MYSQL_TYPE_TIME, false, "010000000064020355F80600");
    assert_param(&params[11], SP_MYSQL_TYPE_NEWDECIMAL, false,
                 "2D31323334353637383930313233342E313233343536");
    assert_true(params[12].is_null);
    assert_int_equal(params[12].type, SP_MYSQL_TYPE_LONG);
    assert_param(&params[13], SP_MYSQL_TYPE_LONGLONG, false, "0000000000000080");
    assert_param(&params[14], SP_MYSQL_TYPE_VAR_STRING, false, "616263");
    assert_param(&params[15], SP_MYSQL_TYPE_TIMESTAMP, false, "");
    assert_true(params[16].is_null);
    assert_int_equal(params[16].type, SP_MYSQL_TYPE_NULL);

    assert_int_equal(types[3], SP_MYSQL_TYPE_LONGLONG | SP_STMT_PARAM_UNSIGNED);
    assert_int_equal(types[6], SP_MYSQL_TYPE_STRING);
    assert_int_equal(types[16], SP_MYSQL_TYPE_NULL);
}

static void
execute_captured_sticky_types(void **state)
{
    struct sp_stmt_param params[17];
    struct sp_stmt_execute ex;
    uint16_t types[17] = {0}, saved[17];
    uint8_t p[MAX_PAYLOAD];

    (void)state;
    parse_hex_execute(execute_17_first, p, 17, types, false, NULL, &ex, params, SP_OK);
    memcpy(saved, types, sizeof(saved));

    parse_hex_execute(execute_17_second, p, 17, types, true, NULL, &ex, params, SP_OK);
    assert_false(ex.new_params_bound);
    assert_memory_equal(types, saved, sizeof(saved));
    assert_param(&params[0], SP_MYSQL_TYPE_TINY, false, "7F");
    assert_param(&params[3], SP_MYSQL_TYPE_LONGLONG, true, "FFFFFFFFFFFFFFFF");
    assert_param(&params[6], SP_MYSQL_TYPE_STRING, false, "7365636F6E64");
    assert_param(&params[12], SP_MYSQL_TYPE_LONG, false, "2A000000");
    assert_param(&params[14], SP_MYSQL_TYPE_VAR_STRING, false, "");
    assert_true(params[16].is_null);
}

static void
execute_without_types_rejected(void **state)
{
    struct sp_stmt_param params[17];
    struct sp_stmt_execute ex;
    uint16_t types[17] = {0};
    uint8_t p[MAX_PAYLOAD];

    (void)state;
    parse_hex_execute(execute_17_second, p, 17, types, false, NULL, &ex, params, SP_EPROTO);
}

static void
execute_captured_long_data(void **state)
{
    struct sp_stmt_param params[17];
    struct sp_stmt_execute ex;
    uint16_t types[17] = {0};
    bool long_data[17] = {false};
    uint8_t p[MAX_PAYLOAD];

    (void)state;
    parse_hex_execute(execute_17_first, p, 17, types, false, NULL, &ex, params, SP_OK);
    long_data[14] = true;
    parse_hex_execute(execute_17_long, p, 17, types, true, long_data, &ex, params, SP_OK);
    assert_true(params[14].is_long_data);
    assert_false(params[14].is_null);
    assert_int_equal(params[14].value.len, 0);
    assert_param(&params[15], SP_MYSQL_TYPE_TIMESTAMP, false, "");
    assert_true(params[16].is_null);

    /* Without the long-data mark the packet is one byte short. */
    parse_hex_execute(execute_17_long, p, 17, types, true, NULL, &ex, params, SP_EPROTO);
}

static void
execute_long_data_needs_string_type(void **state)
{
    struct sp_stmt_param params[17];
    struct sp_stmt_execute ex;
    uint16_t types[17] = {0};
    bool long_data[17] = {false};
    uint8_t p[MAX_PAYLOAD];

    (void)state;
    parse_hex_execute(execute_17_first, p, 17, types, false, NULL, &ex, params, SP_OK);
    long_data[2] = true; /* a LONG */
    parse_hex_execute(execute_17_second, p, 17, types, true, long_data, &ex, params, SP_EPROTO);
}

static void
execute_zero_params(void **state)
{
    uint8_t p[MAX_PAYLOAD];
    struct sp_stmt_execute ex;
    size_t n;

    (void)state;
    n = parse_hex_execute(execute_cursor_12, p, 0, NULL, false, NULL, &ex, NULL, SP_OK);
    assert_int_equal(ex.stmt_id, 12);
    assert_int_equal(ex.flags, SP_STMT_CURSOR_READ_ONLY);
    assert_int_equal(ex.iterations, 1);
    assert_false(ex.new_params_bound);

    /* A NULL bitmap and bound flag after the count are ignored, as the
     * server ignores them. */
    p[n] = 0x00;
    p[n + 1] = 0x01;
    assert_int_equal(sp_stmt_execute_parse(p, n + 2, 0, NULL, false, NULL, &ex, NULL), SP_OK);

    for (size_t len = 0; len < n; len++) {
        assert_int_equal(sp_stmt_execute_parse(p, len, 0, NULL, false, NULL, &ex, NULL), SP_EPROTO);
    }
}

static void
execute_every_cut_rejected(void **state)
{
    const char *const captures[] = {execute_17_first, execute_17_second, execute_17_long};
    struct sp_stmt_param params[17];
    struct sp_stmt_execute ex;
    uint16_t types[17] = {0}, saved[17];
    bool long_data[17] = {false};
    uint8_t p[MAX_PAYLOAD];

    (void)state;
    parse_hex_execute(execute_17_first, p, 17, types, false, NULL, &ex, params, SP_OK);
    memcpy(saved, types, sizeof(saved));
    long_data[14] = true;

    for (size_t k = 0; k < 3; k++) {
        size_t n = unhex(captures[k], p, sizeof(p));

        for (size_t len = 0; len < n; len++) {
            uint16_t scratch_types[17];
            uint8_t *copy = malloc(len > 0 ? len : 1);

            /* A heap copy of exactly LEN bytes lets ASan catch any overread. */
            memcpy(copy, p, len);
            memcpy(scratch_types, saved, sizeof(saved));
            assert_int_equal(sp_stmt_execute_parse(copy, len, 17, scratch_types, true,
                                                   k == 2 ? long_data : NULL, &ex, params),
                             SP_EPROTO);
            assert_memory_equal(scratch_types, saved, sizeof(saved));
            free(copy);
        }
    }
}

/* Appends an execute header for statement 1 with NPARAMS parameters. */
static size_t
execute_header(uint8_t *p, uint16_t nparams, const uint8_t *bitmap, uint8_t bound)
{
    size_t n = 0;

    p[n++] = SP_COM_STMT_EXECUTE;
    p[n++] = 1;
    p[n++] = 0;
    p[n++] = 0;
    p[n++] = 0;
    p[n++] = 0;
    p[n++] = 1;
    p[n++] = 0;
    p[n++] = 0;
    p[n++] = 0;
    memcpy(p + n, bitmap, SP_STMT_PARAM_BITMAP_LEN(nparams));
    n += SP_STMT_PARAM_BITMAP_LEN(nparams);
    p[n++] = bound;
    return n;
}

/* Parses one parameter of type word WORD with VALUE bytes after it. */
static int
parse_one(uint16_t word, bool null_bit, const uint8_t *value, size_t value_len,
          struct sp_stmt_param *param)
{
    uint8_t p[MAX_PAYLOAD], bitmap[1] = {null_bit ? 1 : 0};
    struct sp_stmt_execute ex;
    uint16_t types[1] = {0};
    size_t n = execute_header(p, 1, bitmap, 1);

    p[n++] = (uint8_t)word;
    p[n++] = (uint8_t)(word >> 8);
    if (value_len > 0) {
        memcpy(p + n, value, value_len);
        n += value_len;
    }
    return sp_stmt_execute_parse(p, n, 1, types, false, NULL, &ex, param);
}

static void
execute_hostile_types(void **state)
{
    static const uint8_t one[] = {0x01, 0x41};
    struct sp_stmt_param param;

    (void)state;
    assert_int_equal(parse_one(SP_MYSQL_TYPE_VAR_STRING, false, one, 2, &param), SP_OK);
    assert_int_equal(parse_one(0x14, false, one, 2, &param), SP_EPROTO);
    assert_int_equal(parse_one(0xF4, false, one, 2, &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_TIMESTAMP2, false, one, 2, &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_DATETIME2, false, one, 2, &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_TIME2, false, one, 2, &param), SP_EPROTO);
    /* 0x40 is the bulk indicator flag, and other flag bits are unknown. */
    assert_int_equal(parse_one(0x4001, false, one, 2, &param), SP_EPROTO);
    assert_int_equal(parse_one(0x0101, false, one, 2, &param), SP_EPROTO);
    assert_int_equal(parse_one(0x8001, false, one, 2, &param), SP_OK);
    assert_true(param.is_unsigned);
    /* MariaDB 10.11 binds NULL and reads nothing for these, and rejects JSON. */
    assert_int_equal(parse_one(SP_MYSQL_TYPE_INT24, false, one, 2, &param), SP_EUNSUPPORTED);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_YEAR, false, one, 2, &param), SP_EUNSUPPORTED);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_BIT, false, one, 2, &param), SP_EUNSUPPORTED);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_JSON, false, one, 2, &param), SP_EUNSUPPORTED);
    /* A NULL type needs its NULL bit. */
    assert_int_equal(parse_one(SP_MYSQL_TYPE_NULL, false, one, 2, &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_NULL, true, one, 0, &param), SP_OK);
    assert_true(param.is_null);
}

static void
execute_hostile_values(void **state)
{
    static const uint8_t null_marker[] = {0xFB};
    static const uint8_t err_marker[] = {0xFF, 0x00};
    static const uint8_t past_end[] = {0x05, 'a', 'b'};
    static const uint8_t huge[] = {0xFE, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 'a'};
    static const uint8_t huge3[] = {0xFD, 0xFF, 0xFF, 0xFF, 'a'};
    static const uint8_t date5[] = {0x05, 0xE8, 0x07, 0x02, 0x1D, 0x00};
    static const uint8_t time7[] = {0x07, 0, 0, 0, 0, 0, 1, 2};
    static const uint8_t date4_lenenc[] = {0xFC, 0x04, 0x00, 0xE8, 0x07, 0x02, 0x1D};
    static const uint8_t short1[] = {0x01};
    struct sp_stmt_param param;

    (void)state;
    assert_int_equal(parse_one(SP_MYSQL_TYPE_STRING, false, null_marker, 1, &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_STRING, false, err_marker, 2, &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_BLOB, false, past_end, 3, &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_BLOB, false, huge, sizeof(huge), &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_BLOB, false, huge3, sizeof(huge3), &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_DATE, false, date5, sizeof(date5), &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_TIME, false, time7, sizeof(time7), &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_DATETIME, false, null_marker, 1, &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_SHORT, false, short1, 1, &param), SP_EPROTO);
    assert_int_equal(parse_one(SP_MYSQL_TYPE_LONG, false, NULL, 0, &param), SP_EPROTO);

    /* The server reads a temporal length as a length-encoded integer. */
    assert_int_equal(parse_one(SP_MYSQL_TYPE_DATE, false, date4_lenenc, sizeof(date4_lenenc), &param),
                     SP_OK);
    assert_int_equal(param.value.len, 4);
}

static void
execute_bound_flag_values(void **state)
{
    uint8_t p[MAX_PAYLOAD], bitmap[1] = {1};
    struct sp_stmt_param param;
    struct sp_stmt_execute ex;
    uint16_t types[1] = {SP_MYSQL_TYPE_LONG};
    size_t n;

    (void)state;
    n = execute_header(p, 1, bitmap, 0);
    assert_int_equal(sp_stmt_execute_parse(p, n, 1, types, true, NULL, &ex, &param), SP_OK);
    assert_true(param.is_null);

    n = execute_header(p, 1, bitmap, 2);
    assert_int_equal(sp_stmt_execute_parse(p, n, 1, types, true, NULL, &ex, &param), SP_EPROTO);
    n = execute_header(p, 1, bitmap, 0xFF);
    assert_int_equal(sp_stmt_execute_parse(p, n, 1, types, true, NULL, &ex, &param), SP_EPROTO);
}

static void
execute_bit_flips_never_overread(void **state)
{
    struct sp_stmt_param params[17];
    struct sp_stmt_execute ex;
    uint16_t types[17] = {0}, saved[17];
    uint8_t p[MAX_PAYLOAD];
    size_t n;

    (void)state;
    parse_hex_execute(execute_17_first, p, 17, types, false, NULL, &ex, params, SP_OK);
    memcpy(saved, types, sizeof(saved));
    n = unhex(execute_17_first, p, sizeof(p));

    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t *copy = malloc(n);
            int rc;

            memcpy(copy, p, n);
            copy[i] ^= (uint8_t)(1u << bit);
            memcpy(types, saved, sizeof(saved));
            rc = sp_stmt_execute_parse(copy, n, 17, types, true, NULL, &ex, params);
            assert_true(rc == SP_OK || rc == SP_EPROTO || rc == SP_EUNSUPPORTED);
            for (size_t k = 0; rc == SP_OK && k < 17; k++) {
                if (params[k].value.len > 0) {
                    assert_true((const uint8_t *)params[k].value.ptr >= copy);
                    assert_true((const uint8_t *)params[k].value.ptr + params[k].value.len
                                <= copy + n);
                }
            }
            free(copy);
        }
    }
}

/* ---- COM_STMT_EXECUTE build ------------------------------------------ */

static void
execute_build_matches_captured(void **state)
{
    struct sp_stmt_param params[17];
    struct sp_stmt_execute ex;
    uint16_t types[17] = {0};
    bool long_data[17] = {false};
    uint8_t p[MAX_PAYLOAD];
    struct sp_buf out;

    (void)state;
    sp_buf_init(&out);

    parse_hex_execute(execute_17_first, p, 17, types, false, NULL, &ex, params, SP_OK);
    assert_int_equal(sp_stmt_execute_build(&out, 11, 0, 17, params, true), SP_OK);
    assert_buf_hex(&out, execute_17_first);

    sp_buf_reset(&out, 0);
    parse_hex_execute(execute_17_second, p, 17, types, true, NULL, &ex, params, SP_OK);
    assert_int_equal(sp_stmt_execute_build(&out, 11, 0, 17, params, false), SP_OK);
    assert_buf_hex(&out, execute_17_second);

    sp_buf_reset(&out, 0);
    long_data[14] = true;
    parse_hex_execute(execute_17_long, p, 17, types, true, long_data, &ex, params, SP_OK);
    assert_int_equal(sp_stmt_execute_build(&out, 11, 0, 17, params, false), SP_OK);
    assert_buf_hex(&out, execute_17_long);

    sp_buf_reset(&out, 0);
    assert_int_equal(sp_stmt_execute_build(&out, 12, SP_STMT_CURSOR_READ_ONLY, 0, NULL, true), SP_OK);
    assert_buf_hex(&out, execute_cursor_12);
    sp_buf_deinit(&out);
}

static void
execute_build_new_statement_id(void **state)
{
    struct sp_stmt_param params[17], again[17];
    struct sp_stmt_execute ex;
    uint16_t types[17] = {0}, types2[17] = {0};
    uint8_t p[MAX_PAYLOAD];
    struct sp_buf out;

    (void)state;
    sp_buf_init(&out);
    parse_hex_execute(execute_17_second, p, 17, (uint16_t[17]){0}, false, NULL, &ex, params,
                      SP_EPROTO);
    parse_hex_execute(execute_17_first, p, 17, types, false, NULL, &ex, params, SP_OK);
    parse_hex_execute(execute_17_second, p, 17, types, true, NULL, &ex, params, SP_OK);

    /* A backend that never saw types for its statement needs them. */
    assert_int_equal(sp_stmt_execute_build(&out, 0x01020304, 0, 17, params, true), SP_OK);
    assert_int_equal(sp_stmt_execute_parse(sp_buf_unread(&out), sp_buf_unread_len(&out), 17, types2,
                                           false, NULL, &ex, again),
                     SP_OK);
    assert_int_equal(ex.stmt_id, 0x01020304);
    assert_true(ex.new_params_bound);
    assert_memory_equal(types2, types, sizeof(types));
    for (size_t i = 0; i < 17; i++) {
        assert_int_equal(again[i].is_null, params[i].is_null);
        assert_int_equal(again[i].value.len, params[i].value.len);
        if (params[i].value.len > 0) {
            assert_memory_equal(again[i].value.ptr, params[i].value.ptr, params[i].value.len);
        }
    }
    sp_buf_deinit(&out);
}

static void
execute_build_rejects_bad_params(void **state)
{
    struct sp_stmt_param p = {SP_MYSQL_TYPE_LONG, false, false, false, SP_STR_LIT("abc")};
    struct sp_buf out;

    (void)state;
    sp_buf_init(&out);
    assert_int_equal(sp_buf_append(&out, "keep", 4), SP_OK);

    assert_int_equal(sp_stmt_execute_build(&out, 1, 0, 1, &p, true), SP_EINVAL);
    p.type = SP_MYSQL_TYPE_DATE;
    p.value = SP_STR_LIT("abcde");
    assert_int_equal(sp_stmt_execute_build(&out, 1, 0, 1, &p, true), SP_EINVAL);
    p.type = SP_MYSQL_TYPE_NULL;
    assert_int_equal(sp_stmt_execute_build(&out, 1, 0, 1, &p, true), SP_EINVAL);
    p.type = SP_MYSQL_TYPE_TIME2;
    assert_int_equal(sp_stmt_execute_build(&out, 1, 0, 1, &p, true), SP_EINVAL);
    p.type = SP_MYSQL_TYPE_LONG;
    p.is_long_data = true;
    assert_int_equal(sp_stmt_execute_build(&out, 1, 0, 1, &p, true), SP_EINVAL);
    assert_buf_text(&out, "keep");
    sp_buf_deinit(&out);
}

/* Builds an execute with N TINY parameters, NULL where bit i of MASK is set,
 * and checks that parsing returns the same NULLs and values. */
static void
check_null_pattern(uint16_t n, uint32_t mask)
{
    struct sp_stmt_param params[MAX_PARAMS], back[MAX_PARAMS];
    uint8_t values[MAX_PARAMS];
    struct sp_stmt_execute ex;
    uint16_t types[MAX_PARAMS];
    struct sp_buf out;

    sp_buf_init(&out);
    memset(params, 0, sizeof(params));
    for (uint16_t i = 0; i < n; i++) {
        values[i] = (uint8_t)(i + 1);
        params[i].type = SP_MYSQL_TYPE_TINY;
        params[i].is_null = (mask >> i) & 1;
        if (!params[i].is_null) {
            params[i].value = sp_str_make((const char *)&values[i], 1);
        }
    }
    assert_int_equal(sp_stmt_execute_build(&out, 7, 0, n, params, true), SP_OK);
    assert_int_equal(sp_buf_unread_len(&out),
                     10 + SP_STMT_PARAM_BITMAP_LEN(n) + 1 + 2u * n + (size_t)(n - __builtin_popcount(mask)));
    assert_int_equal(sp_stmt_execute_parse(sp_buf_unread(&out), sp_buf_unread_len(&out), n, types,
                                           false, NULL, &ex, back),
                     SP_OK);
    for (uint16_t i = 0; i < n; i++) {
        assert_int_equal(back[i].is_null, (mask >> i) & 1);
        if (!back[i].is_null) {
            assert_int_equal(back[i].value.len, 1);
            assert_int_equal((uint8_t)back[i].value.ptr[0], i + 1);
        }
    }
    sp_buf_deinit(&out);
}

static void
execute_null_bitmaps_9_16_17(void **state)
{
    static const uint16_t counts[] = {1, 7, 8, 9, 16, 17};

    (void)state;
    for (size_t k = 0; k < sizeof(counts) / sizeof(counts[0]); k++) {
        uint16_t n = counts[k];
        uint32_t all = (uint32_t)((UINT64_C(1) << n) - 1);

        check_null_pattern(n, 0);
        check_null_pattern(n, all);
        check_null_pattern(n, 0x55555555u & all);
        check_null_pattern(n, 0xAAAAAAAAu & all);
        for (uint16_t i = 0; i < n; i++) {
            check_null_pattern(n, 1u << i);
            check_null_pattern(n, all & ~(1u << i));
        }
    }
}

static void
execute_max_params_round_trip(void **state)
{
    static struct sp_stmt_param params[UINT16_MAX], back[UINT16_MAX];
    static uint16_t types[UINT16_MAX];
    struct sp_stmt_execute ex;
    struct sp_buf out;

    (void)state;
    sp_buf_init(&out);
    for (size_t i = 0; i < UINT16_MAX; i++) {
        memset(&params[i], 0, sizeof(params[i]));
        params[i].type = SP_MYSQL_TYPE_VAR_STRING;
        params[i].is_null = i % 3 == 0;
        params[i].value = params[i].is_null ? SP_STR_NULL : SP_STR_LIT("x");
    }
    assert_int_equal(sp_stmt_execute_build(&out, 1, 0, UINT16_MAX, params, true), SP_OK);
    assert_int_equal(sp_stmt_execute_parse(sp_buf_unread(&out), sp_buf_unread_len(&out), UINT16_MAX,
                                           types, false, NULL, &ex, back),
                     SP_OK);
    assert_true(back[UINT16_MAX - 1].is_null == ((UINT16_MAX - 1) % 3 == 0));
    assert_int_equal(back[UINT16_MAX - 2].value.len, 1);
    sp_buf_deinit(&out);
}

/* ---- parameter to SQL literal and text ------------------------------- */

static struct sp_stmt_param
param_hex(uint8_t type, bool is_unsigned, const char *hex, uint8_t *storage)
{
    struct sp_stmt_param p;
    size_t n = unhex(hex, storage, 64);

    memset(&p, 0, sizeof(p));
    p.type = type;
    p.is_unsigned = is_unsigned;
    p.value = sp_str_make((const char *)storage, n);
    return p;
}

static void
assert_sql(const struct sp_stmt_param *p, uint16_t collation, unsigned flags, const char *want)
{
    struct sp_buf out;

    sp_buf_init(&out);
    assert_int_equal(sp_stmt_param_to_sql(p, collation, flags, &out), SP_OK);
    assert_buf_text(&out, want);
    sp_buf_deinit(&out);
}

static void
assert_text(const struct sp_stmt_param *p, const char *want)
{
    struct sp_buf out;

    sp_buf_init(&out);
    assert_int_equal(sp_stmt_param_to_text(p, &out), SP_OK);
    assert_buf_text(&out, want);
    sp_buf_deinit(&out);
}

static void
assert_sql_hex(uint8_t type, bool is_unsigned, const char *hex, const char *sql, const char *text)
{
    uint8_t storage[64];
    struct sp_stmt_param p = param_hex(type, is_unsigned, hex, storage);

    assert_sql(&p, 45, 0, sql);
    assert_sql(&p, 45, SP_STMT_SQL_NO_BACKSLASH_ESCAPES, sql);
    assert_text(&p, text);
}

static void
assert_sql_rejected(uint8_t type, bool is_unsigned, const char *hex)
{
    uint8_t storage[64];
    struct sp_stmt_param p = param_hex(type, is_unsigned, hex, storage);
    struct sp_buf out;

    sp_buf_init(&out);
    assert_int_equal(sp_buf_append(&out, "keep", 4), SP_OK);
    assert_int_equal(sp_stmt_param_to_sql(&p, 45, 0, &out), SP_EINVAL);
    assert_int_equal(sp_stmt_param_to_text(&p, &out), SP_EINVAL);
    assert_buf_text(&out, "keep");
    sp_buf_deinit(&out);
}

static void
param_sql_integers(void **state)
{
    (void)state;
    assert_sql_hex(SP_MYSQL_TYPE_TINY, false, "80", "-128", "-128");
    assert_sql_hex(SP_MYSQL_TYPE_TINY, false, "7F", "127", "127");
    assert_sql_hex(SP_MYSQL_TYPE_TINY, true, "FF", "255", "255");
    assert_sql_hex(SP_MYSQL_TYPE_SHORT, false, "0080", "-32768", "-32768");
    assert_sql_hex(SP_MYSQL_TYPE_SHORT, true, "FFFF", "65535", "65535");
    assert_sql_hex(SP_MYSQL_TYPE_YEAR, true, "E407", "2020", "2020");
    assert_sql_hex(SP_MYSQL_TYPE_INT24, false, "FFFF7F00", "8388607", "8388607");
    assert_sql_hex(SP_MYSQL_TYPE_LONG, false, "00000080", "-2147483648", "-2147483648");
    assert_sql_hex(SP_MYSQL_TYPE_LONG, true, "FFFFFFFF", "4294967295", "4294967295");
    assert_sql_hex(SP_MYSQL_TYPE_LONGLONG, false, "0000000000000080", "-9223372036854775808",
                   "-9223372036854775808");
    assert_sql_hex(SP_MYSQL_TYPE_LONGLONG, false, "FFFFFFFFFFFFFF7F", "9223372036854775807",
                   "9223372036854775807");
    assert_sql_hex(SP_MYSQL_TYPE_LONGLONG, false, "FFFFFFFFFFFFFFFF", "-1", "-1");
    assert_sql_hex(SP_MYSQL_TYPE_LONGLONG, true, "FFFFFFFFFFFFFFFF", "18446744073709551615",
                   "18446744073709551615");

    assert_sql_rejected(SP_MYSQL_TYPE_TINY, false, "");
    assert_sql_rejected(SP_MYSQL_TYPE_TINY, false, "0102");
    assert_sql_rejected(SP_MYSQL_TYPE_LONGLONG, false, "01020304");
}

static void
param_sql_floats(void **state)
{
    (void)state;
    /* A FLOAT parameter is bound as the double it converts to. */
    assert_sql_hex(SP_MYSQL_TYPE_FLOAT, false, "CDCC8C3F", "1.100000023841858e0", "1.100000023841858");
    assert_sql_hex(SP_MYSQL_TYPE_FLOAT, false, "00000080", "0e0", "0");
    assert_sql_hex(SP_MYSQL_TYPE_FLOAT, false, "01000000", "1.401298464324817e-45",
                   "1.401298464324817e-45");
    assert_sql_hex(SP_MYSQL_TYPE_DOUBLE, false, "0000000000000080", "0e0", "0");
    assert_sql_hex(SP_MYSQL_TYPE_DOUBLE, false, "9A9999999999F13F", "1.1e0", "1.1");
    assert_sql_hex(SP_MYSQL_TYPE_DOUBLE, false, "A0C8EB85F3CCE17F", "1e308", "1e308");
    assert_sql_hex(SP_MYSQL_TYPE_DOUBLE, false, "0000000000001000", "2.2250738585072014e-308",
                   "2.2250738585072014e-308");
    assert_sql_hex(SP_MYSQL_TYPE_DOUBLE, false, "0100000000000000", "5e-324", "5e-324");
    assert_sql_hex(SP_MYSQL_TYPE_DOUBLE, false, "0000000000005940", "100e0", "100");
    assert_sql_hex(SP_MYSQL_TYPE_DOUBLE, false, "000000000000F8BF", "-1.5e0", "-1.5");
    assert_sql_hex(SP_MYSQL_TYPE_DOUBLE, false, "0080E03779C34143", "1e16", "1e16");
    assert_sql_hex(SP_MYSQL_TYPE_DOUBLE, false, "1656E79EAF03D23C", "0.000000000000001e0",
                   "0.000000000000001");

    /* Infinity and NaN have no literal. */
    assert_sql_rejected(SP_MYSQL_TYPE_DOUBLE, false, "000000000000F07F");
    assert_sql_rejected(SP_MYSQL_TYPE_DOUBLE, false, "000000000000F0FF");
    assert_sql_rejected(SP_MYSQL_TYPE_DOUBLE, false, "000000000000F87F");
    assert_sql_rejected(SP_MYSQL_TYPE_FLOAT, false, "0000807F");
    assert_sql_rejected(SP_MYSQL_TYPE_FLOAT, false, "0000C07F");
    assert_sql_rejected(SP_MYSQL_TYPE_FLOAT, false, "0000");
}

static void
param_sql_decimals(void **state)
{
    uint8_t storage[64];
    struct sp_stmt_param p;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"123.45", "123.45"}, {"-12345678901234.123456", "-12345678901234.123456"},
        {"+7", "7"}, {".5", "0.5"}, {"-.5", "-0.5"}, {"5.", "5"}, {"007.50", "7.50"},
        {"-0.00", "0.00"}, {"-000", "0"}, {"0", "0"},
    };
    static const char *const bad[] = {"", "-", ".", "+-1", "1e5", "1.2.3", " 1", "1 ", "0x10", "1'"};

    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&p, 0, sizeof(p));
        p.type = i % 2 ? SP_MYSQL_TYPE_DECIMAL : SP_MYSQL_TYPE_NEWDECIMAL;
        p.value = sp_str_cstr(cases[i].in);
        assert_sql(&p, 45, 0, cases[i].out);
        assert_text(&p, cases[i].out);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sp_buf out;

        sp_buf_init(&out);
        memset(&p, 0, sizeof(p));
        p.type = SP_MYSQL_TYPE_NEWDECIMAL;
        p.value = sp_str_cstr(bad[i]);
        assert_int_equal(sp_stmt_param_to_sql(&p, 45, 0, &out), SP_EINVAL);
        assert_int_equal(sp_stmt_param_to_text(&p, &out), SP_EINVAL);
        assert_int_equal(sp_buf_unread_len(&out), 0);
        sp_buf_deinit(&out);
    }
    (void)storage;
}

static void
param_sql_strings(void **state)
{
    static const uint8_t types[] = {SP_MYSQL_TYPE_STRING, SP_MYSQL_TYPE_VAR_STRING,
                                    SP_MYSQL_TYPE_VARCHAR, SP_MYSQL_TYPE_ENUM, SP_MYSQL_TYPE_SET,
                                    SP_MYSQL_TYPE_JSON};
    static const struct {
        const char *in;
        size_t len;
        const char *escaped;
        const char *plain;
    } cases[] = {
        {"abc", 3, "'abc'", "'abc'"},
        {"", 0, "''", "''"},
        {"it's", 4, "'it''s'", "'it''s'"},
        {"back\\slash", 10, "'back\\\\slash'", "'back\\slash'"},
        {"nul\0byte", 8, "'nul\\0byte'", "'nul\0byte'"},
        {"\n\r\x1a", 3, "'\\n\\r\\Z'", "'\n\r\x1a'"},
        {"\\'", 2, "'\\\\'''", "'\\'''"},
        {"'; DROP TABLE x; --", 19, "'''; DROP TABLE x; --'", "'''; DROP TABLE x; --'"},
        {"\xc3\xa9t\xc3\xa9", 5, "'\xc3\xa9t\xc3\xa9'", "'\xc3\xa9t\xc3\xa9'"},
        {"%_", 2, "'%_'", "'%_'"},
    };

    (void)state;
    for (size_t t = 0; t < sizeof(types); t++) {
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
            struct sp_stmt_param p;
            struct sp_buf out;
            size_t want_len;

            memset(&p, 0, sizeof(p));
            p.type = types[t];
            p.value = sp_str_make(cases[i].in, cases[i].len);
            sp_buf_init(&out);

            assert_int_equal(sp_stmt_param_to_sql(&p, 45, 0, &out), SP_OK);
            want_len = strlen(cases[i].escaped);
            assert_int_equal(sp_buf_unread_len(&out), want_len);
            assert_memory_equal(sp_buf_unread(&out), cases[i].escaped, want_len);

            sp_buf_reset(&out, 0);
            assert_int_equal(sp_stmt_param_to_sql(&p, 45, SP_STMT_SQL_NO_BACKSLASH_ESCAPES, &out),
                             SP_OK);
            /* The plain form may hold a NUL: its length is the input's plus quotes. */
            want_len = cases[i].len + 2;
            for (size_t k = 0; k < cases[i].len; k++) {
                want_len += cases[i].in[k] == '\'';
            }
            assert_int_equal(sp_buf_unread_len(&out), want_len);
            assert_memory_equal(sp_buf_unread(&out), cases[i].plain, want_len);

            sp_buf_reset(&out, 0);
            assert_int_equal(sp_stmt_param_to_text(&p, &out), SP_OK);
            assert_int_equal(sp_buf_unread_len(&out), cases[i].len);
            if (cases[i].len > 0) {
                assert_memory_equal(sp_buf_unread(&out), cases[i].in, cases[i].len);
            }
            sp_buf_deinit(&out);
        }
    }
}

static void
param_sql_binary_types(void **state)
{
    static const uint8_t types[] = {SP_MYSQL_TYPE_TINY_BLOB, SP_MYSQL_TYPE_MEDIUM_BLOB,
                                    SP_MYSQL_TYPE_LONG_BLOB, SP_MYSQL_TYPE_BLOB,
                                    SP_MYSQL_TYPE_GEOMETRY, SP_MYSQL_TYPE_BIT};
    uint8_t storage[64];

    (void)state;
    for (size_t t = 0; t < sizeof(types); t++) {
        struct sp_stmt_param p = param_hex(types[t], false, "00FF5C27", storage);
        struct sp_buf out;

        assert_sql(&p, 45, 0, "_binary X'00FF5C27'");
        assert_sql(&p, 28, 0, "_binary X'00FF5C27'");
        assert_sql(&p, 45, SP_STMT_SQL_NO_BACKSLASH_ESCAPES, "_binary X'00FF5C27'");
        p.value = SP_STR_NULL;
        assert_sql(&p, 45, 0, "_binary X''");

        sp_buf_init(&out);
        p = param_hex(types[t], false, "00FF5C27", storage);
        assert_int_equal(sp_stmt_param_to_text(&p, &out), SP_OK);
        assert_buf_hex(&out, "00FF5C27");
        sp_buf_deinit(&out);
    }
}

static void
param_sql_long_hex(void **state)
{
    static char value[1000];
    struct sp_stmt_param p;
    struct sp_buf out;

    (void)state;
    memset(value, 0xAB, sizeof(value));
    memset(&p, 0, sizeof(p));
    p.type = SP_MYSQL_TYPE_BLOB;
    p.value = sp_str_make(value, sizeof(value));
    sp_buf_init(&out);
    assert_int_equal(sp_stmt_param_to_sql(&p, 45, 0, &out), SP_OK);
    assert_int_equal(sp_buf_unread_len(&out), strlen("_binary X''") + 2 * sizeof(value));
    assert_memory_equal(sp_buf_unread(&out), "_binary X'ABAB", 14);
    assert_int_equal(sp_buf_unread(&out)[sp_buf_unread_len(&out) - 1], '\'');
    sp_buf_deinit(&out);
}

/*
 * In gbk a 0x5C byte can end a two-byte character: escaping it byte by byte
 * would let "\xbf\x5c" swallow the closing quote. Checked on the server:
 * SET NAMES gbk, then SELECT ? <=> literal for each value.
 */
static void
param_sql_gbk_backslash(void **state)
{
    struct sp_stmt_param p;

    (void)state;
    memset(&p, 0, sizeof(p));
    p.type = SP_MYSQL_TYPE_VAR_STRING;

    p.value = SP_STR_LIT("\xbf\x5c");
    assert_sql(&p, 28, 0, "_gbk X'BF5C'");
    assert_sql(&p, 87, 0, "_gbk X'BF5C'");
    assert_sql(&p, 28, SP_STMT_SQL_NO_BACKSLASH_ESCAPES, "'\xbf\x5c'");
    assert_sql(&p, 45, 0, "'\xbf\\\\'");

    p.value = SP_STR_LIT("\xbf'");
    assert_sql(&p, 28, 0, "'\xbf'''");

    p.value = SP_STR_LIT("a\\b");
    assert_sql(&p, 28, 0, "_gbk X'615C62'");

    /* An unknown collation id falls back to utf8mb4 on the backend. */
    p.value = SP_STR_LIT("\xbf\x5c");
    assert_sql(&p, 9999, 0, "'\xbf\\\\'");
}

static void
param_sql_temporal(void **state)
{
    (void)state;
    assert_sql_hex(SP_MYSQL_TYPE_DATE, false, "", "'0000-00-00'", "0000-00-00");
    assert_sql_hex(SP_MYSQL_TYPE_DATE, false, "00000000", "'0000-00-00'", "0000-00-00");
    assert_sql_hex(SP_MYSQL_TYPE_DATE, false, "E807021D", "'2024-02-29'", "2024-02-29");
    assert_sql_hex(SP_MYSQL_TYPE_NEWDATE, false, "E807021D", "'2024-02-29'", "2024-02-29");
    /* A DATE parameter binds the date part only. */
    assert_sql_hex(SP_MYSQL_TYPE_DATE, false, "E807021D0D0E0F", "'2024-02-29'", "2024-02-29");

    assert_sql_hex(SP_MYSQL_TYPE_DATETIME, false, "", "'0000-00-00 00:00:00'", "0000-00-00 00:00:00");
    assert_sql_hex(SP_MYSQL_TYPE_DATETIME, false, "E807021D", "'2024-02-29 00:00:00'",
                   "2024-02-29 00:00:00");
    assert_sql_hex(SP_MYSQL_TYPE_DATETIME, false, "E807021D0D0E0F", "'2024-02-29 13:14:15'",
                   "2024-02-29 13:14:15");
    assert_sql_hex(SP_MYSQL_TYPE_DATETIME, false, "E807021D0D0E0F01000000",
                   "'2024-02-29 13:14:15.000001'", "2024-02-29 13:14:15.000001");
    assert_sql_hex(SP_MYSQL_TYPE_TIMESTAMP, false, "CF070C1F173B3B3F420F00",
                   "'1999-12-31 23:59:59.999999'", "1999-12-31 23:59:59.999999");
    assert_sql_hex(SP_MYSQL_TYPE_TIMESTAMP, false, "E807021D0D0E0F00000000", "'2024-02-29 13:14:15'",
                   "2024-02-29 13:14:15");

    assert_sql_hex(SP_MYSQL_TYPE_TIME, false, "", "'00:00:00'", "00:00:00");
    assert_sql_hex(SP_MYSQL_TYPE_TIME, false, "0000000000010203", "'01:02:03'", "01:02:03");
    assert_sql_hex(SP_MYSQL_TYPE_TIME, false, "0122000000163B3B", "'-838:59:59'", "-838:59:59");
    /* Connector/C sends -100:02:03.456789 as 0 days and hour 100. */
    assert_sql_hex(SP_MYSQL_TYPE_TIME, false, "010000000064020355F80600", "'-100:02:03.456789'",
                   "-100:02:03.456789");
    assert_sql_hex(SP_MYSQL_TYPE_TIME, false, "0101000000020304" "55F80600", "'-26:03:04.456789'",
                   "-26:03:04.456789");
    assert_sql_hex(SP_MYSQL_TYPE_TIME, false, "000000000000000020A10700", "'00:00:00.500000'",
                   "00:00:00.500000");
    assert_sql_hex(SP_MYSQL_TYPE_TIME, false, "010000000000000005000000", "'-00:00:00.000005'",
                   "-00:00:00.000005");

    assert_sql_rejected(SP_MYSQL_TYPE_DATE, false, "E8070D01");          /* month 13 */
    assert_sql_rejected(SP_MYSQL_TYPE_DATE, false, "E8070120");          /* day 32 */
    assert_sql_rejected(SP_MYSQL_TYPE_DATETIME, false, "E807010118000000"); /* hour 24 */
    assert_sql_rejected(SP_MYSQL_TYPE_DATETIME, false, "E8070101003C00");  /* minute 60 */
    assert_sql_rejected(SP_MYSQL_TYPE_DATETIME, false, "E807010100003C");  /* second 60 */
    assert_sql_rejected(SP_MYSQL_TYPE_DATETIME, false, "E8070101000000" "40420F00"); /* 10^6 us */
    assert_sql_rejected(SP_MYSQL_TYPE_DATETIME, false, "E80701");
    assert_sql_rejected(SP_MYSQL_TYPE_TIME, false, "00000000000000");
    assert_sql_rejected(SP_MYSQL_TYPE_TIME, false, "0000000000003C00");
}

static void
param_sql_null_and_invalid(void **state)
{
    struct sp_stmt_param p;
    struct sp_buf out;

    (void)state;
    memset(&p, 0, sizeof(p));
    p.type = SP_MYSQL_TYPE_LONG;
    p.is_null = true;
    assert_sql(&p, 45, 0, "NULL");
    p.type = SP_MYSQL_TYPE_NULL;
    assert_sql(&p, 45, 0, "NULL");

    sp_buf_init(&out);
    assert_int_equal(sp_stmt_param_to_text(&p, &out), SP_EINVAL);
    p.is_null = false;
    assert_int_equal(sp_stmt_param_to_sql(&p, 45, 0, &out), SP_EINVAL);
    p.type = SP_MYSQL_TYPE_TIME2;
    assert_int_equal(sp_stmt_param_to_sql(&p, 45, 0, &out), SP_EINVAL);
    p.type = 0x80;
    assert_int_equal(sp_stmt_param_to_sql(&p, 45, 0, &out), SP_EINVAL);
    assert_int_equal(sp_stmt_param_to_text(&p, &out), SP_EINVAL);
    assert_int_equal(sp_buf_unread_len(&out), 0);
    sp_buf_deinit(&out);
}

/* Every parameter of the captured execute, as the server checked them. */
static void
param_sql_captured_execute(void **state)
{
    static const char *const want[17] = {
        "-128", "32767", "-2147483648", "18446744073709551615", "1.100000023841858e0", "0e0",
        "'it''s \\\\ ok'", "_binary X'00FF275C'", "'2024-02-29'", "'2024-02-29 13:14:15.123456'",
        "'-100:02:03.456789'", "-12345678901234.123456", "NULL", "-9223372036854775808", "'abc'",
        "'0000-00-00 00:00:00'", "NULL",
    };
    struct sp_stmt_param params[17];
    struct sp_stmt_execute ex;
    uint16_t types[17] = {0};
    uint8_t p[MAX_PAYLOAD];

    (void)state;
    parse_hex_execute(execute_17_first, p, 17, types, false, NULL, &ex, params, SP_OK);
    for (size_t i = 0; i < 17; i++) {
        assert_sql(&params[i], 45, 0, want[i]);
    }
}

/* ---- binary rows --------------------------------------------------- */

#define TYPES_NCOLS (sizeof(types_columns) / sizeof(types_columns[0]))

static const char *const types_rows[] = {types_row0, types_row1, types_row2, types_row3};

static void
row_captured_parse(void **state)
{
    struct sp_column_def defs[TYPES_NCOLS];
    struct sp_str values[TYPES_NCOLS];
    bool nulls[TYPES_NCOLS];
    uint8_t p[MAX_PAYLOAD];
    struct sp_buf scratch;

    (void)state;
    defs_from(types_columns, TYPES_NCOLS, defs);
    sp_buf_init(&scratch);
    for (size_t r = 0; r < 4; r++) {
        size_t n = unhex(types_rows[r], p, sizeof(p));

        sp_buf_reset(&scratch, 0);
        assert_int_equal(sp_stmt_binary_row_parse(p, n, TYPES_NCOLS, defs, &scratch, values, nulls),
                         SP_OK);
        for (size_t i = 0; i < TYPES_NCOLS; i++) {
            const struct captured_text *want = &types_text[r][i];

            assert_int_equal(nulls[i], want->ptr == NULL);
            if (want->ptr != NULL) {
                assert_view_text(values[i], want->ptr, want->len);
            }
        }
    }
    sp_buf_deinit(&scratch);
}

static void
row_captured_build(void **state)
{
    struct sp_column_def defs[TYPES_NCOLS];
    struct sp_str values[TYPES_NCOLS];
    bool nulls[TYPES_NCOLS];
    struct sp_buf out;

    (void)state;
    defs_from(types_columns, TYPES_NCOLS, defs);
    sp_buf_init(&out);
    for (size_t r = 0; r < 4; r++) {
        for (size_t i = 0; i < TYPES_NCOLS; i++) {
            nulls[i] = types_text[r][i].ptr == NULL;
            values[i] = sp_str_make(types_text[r][i].ptr, types_text[r][i].len);
        }
        sp_buf_reset(&out, 0);
        assert_int_equal(sp_stmt_binary_row_build(&out, TYPES_NCOLS, defs, values, nulls), SP_OK);
        assert_buf_hex(&out, types_rows[r]);
    }
    sp_buf_deinit(&out);
}

static void
row_captured_every_cut(void **state)
{
    struct sp_column_def defs[TYPES_NCOLS];
    struct sp_str values[TYPES_NCOLS];
    bool nulls[TYPES_NCOLS];
    uint8_t p[MAX_PAYLOAD];
    struct sp_buf scratch;

    (void)state;
    defs_from(types_columns, TYPES_NCOLS, defs);
    sp_buf_init(&scratch);
    assert_int_equal(sp_buf_append(&scratch, "keep", 4), SP_OK);
    for (size_t r = 0; r < 4; r++) {
        size_t n = unhex(types_rows[r], p, sizeof(p));

        for (size_t len = 0; len < n; len++) {
            uint8_t *copy = malloc(len > 0 ? len : 1);

            memcpy(copy, p, len);
            assert_int_equal(sp_stmt_binary_row_parse(copy, len, TYPES_NCOLS, defs, &scratch,
                                                       values, nulls),
                             SP_EPROTO);
            assert_buf_text(&scratch, "keep");
            free(copy);
        }

        /* A byte after the last value is malformed too. */
        p[n] = 0;
        assert_int_equal(sp_stmt_binary_row_parse(p, n + 1, TYPES_NCOLS, defs, &scratch, values,
                                                   nulls),
                         SP_EPROTO);
        assert_buf_text(&scratch, "keep");
    }
    sp_buf_deinit(&scratch);
}

static void
row_bit_flips_never_overread(void **state)
{
    struct sp_column_def defs[TYPES_NCOLS];
    struct sp_str values[TYPES_NCOLS];
    bool nulls[TYPES_NCOLS];
    uint8_t p[MAX_PAYLOAD];
    struct sp_buf scratch;
    size_t n;

    (void)state;
    defs_from(types_columns, TYPES_NCOLS, defs);
    sp_buf_init(&scratch);
    n = unhex(types_row0, p, sizeof(p));
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            uint8_t *copy = malloc(n);
            int rc;

            memcpy(copy, p, n);
            copy[i] ^= (uint8_t)(1u << bit);
            sp_buf_reset(&scratch, 0);
            rc = sp_stmt_binary_row_parse(copy, n, TYPES_NCOLS, defs, &scratch, values, nulls);
            assert_true(rc == SP_OK || rc == SP_EPROTO);
            free(copy);
        }
    }
    sp_buf_deinit(&scratch);
}

/* Views into SCRATCH start at its unread bytes, whatever came before. */
static void
row_parse_scratch_with_content(void **state)
{
    struct sp_column_def defs[TYPES_NCOLS];
    struct sp_str values[TYPES_NCOLS];
    bool nulls[TYPES_NCOLS];
    uint8_t p[MAX_PAYLOAD];
    struct sp_buf scratch;
    size_t n;

    (void)state;
    defs_from(types_columns, TYPES_NCOLS, defs);
    sp_buf_init(&scratch);
    assert_int_equal(sp_buf_append(&scratch, "0123456789", 10), SP_OK);
    sp_buf_consume(&scratch, 3);

    n = unhex(types_row0, p, sizeof(p));
    assert_int_equal(sp_stmt_binary_row_parse(p, n, TYPES_NCOLS, defs, &scratch, values, nulls),
                     SP_OK);
    assert_memory_equal(sp_buf_unread(&scratch), "3456789", 7);
    for (size_t i = 0; i < TYPES_NCOLS; i++) {
        assert_view_text(values[i], types_text[0][i].ptr, types_text[0][i].len);
    }
    sp_buf_deinit(&scratch);
}

static void
row_floats_print_as_server(void **state)
{
    struct sp_column_def defs[2];
    struct sp_str values[2];
    bool nulls[2];
    struct sp_buf scratch, row;

    (void)state;
    memset(defs, 0, sizeof(defs));
    defs[0].type = SP_MYSQL_TYPE_FLOAT;
    defs[0].decimals = SP_COLUMN_DECIMALS_NOT_FIXED;
    defs[0].column_length = 12;
    defs[1].type = SP_MYSQL_TYPE_DOUBLE;
    defs[1].decimals = SP_COLUMN_DECIMALS_NOT_FIXED;
    defs[1].column_length = 22;
    sp_buf_init(&scratch);
    sp_buf_init(&row);

    for (size_t i = 0; i < sizeof(float_cases) / sizeof(float_cases[0]); i++) {
        sp_buf_reset(&row, 0);
        sp_buf_reset(&scratch, 0);
        assert_int_equal(sp_codec_put_u8(&row, 0), SP_OK);
        assert_int_equal(sp_codec_put_u8(&row, 0), SP_OK);
        assert_int_equal(sp_codec_put_u32(&row, float_cases[i].f), SP_OK);
        assert_int_equal(sp_codec_put_u64(&row, float_cases[i].d), SP_OK);
        assert_int_equal(sp_stmt_binary_row_parse(sp_buf_unread(&row), sp_buf_unread_len(&row), 2,
                                                   defs, &scratch, values, nulls),
                         SP_OK);
        assert_view_text(values[0], float_cases[i].f_text, strlen(float_cases[i].f_text));
        assert_view_text(values[1], float_cases[i].d_text, strlen(float_cases[i].d_text));

        /* The DOUBLE text reads back as the same bits. */
        sp_buf_reset(&row, 0);
        assert_int_equal(sp_stmt_binary_row_build(&row, 2, defs, values, NULL), SP_OK);
        assert_int_equal(sp_buf_unread_len(&row), 14);
        assert_memory_equal(sp_buf_unread(&row) + 6, &float_cases[i].d, 8);
    }
    sp_buf_deinit(&scratch);
    sp_buf_deinit(&row);
}

/* Checks one value of a one-column row both ways: BINARY_HEX (the value
 * bytes after header and bitmap) prints as TEXT, and TEXT builds it. */
static void
check_one_column(uint8_t type, uint16_t flags, uint8_t decimals, uint32_t length,
                 const char *binary_hex, const char *text)
{
    struct sp_column_def def;
    struct sp_str value;
    uint8_t p[MAX_PAYLOAD];
    struct sp_buf scratch, out;
    bool is_null;
    size_t n;

    memset(&def, 0, sizeof(def));
    def.type = type;
    def.flags = flags;
    def.decimals = decimals;
    def.column_length = length;
    p[0] = 0;
    p[1] = 0;
    n = 2 + unhex(binary_hex, p + 2, sizeof(p) - 2);

    sp_buf_init(&scratch);
    sp_buf_init(&out);
    assert_int_equal(sp_stmt_binary_row_parse(p, n, 1, &def, &scratch, &value, &is_null), SP_OK);
    assert_false(is_null);
    assert_view_text(value, text, strlen(text));

    value = sp_str_cstr(text);
    assert_int_equal(sp_stmt_binary_row_build(&out, 1, &def, &value, NULL), SP_OK);
    assert_int_equal(sp_buf_unread_len(&out), n);
    assert_memory_equal(sp_buf_unread(&out), p, n);
    sp_buf_deinit(&scratch);
    sp_buf_deinit(&out);
}

static void
row_values_both_ways(void **state)
{
    (void)state;
    check_one_column(SP_MYSQL_TYPE_TINY, 0, 0, 4, "80", "-128");
    check_one_column(SP_MYSQL_TYPE_TINY, SP_COLUMN_FLAG_UNSIGNED, 0, 3, "FF", "255");
    check_one_column(SP_MYSQL_TYPE_SHORT, 0, 0, 6, "0080", "-32768");
    check_one_column(SP_MYSQL_TYPE_INT24, 0, 0, 9, "000080FF", "-8388608");
    check_one_column(SP_MYSQL_TYPE_INT24, SP_COLUMN_FLAG_UNSIGNED, 0, 8, "FFFFFF00", "16777215");
    check_one_column(SP_MYSQL_TYPE_LONGLONG, 0, 0, 20, "0000000000000080", "-9223372036854775808");
    check_one_column(SP_MYSQL_TYPE_LONGLONG, SP_COLUMN_FLAG_UNSIGNED, 0, 20, "FFFFFFFFFFFFFFFF",
                     "18446744073709551615");
    check_one_column(SP_MYSQL_TYPE_LONG, SP_COLUMN_FLAG_UNSIGNED | SP_COLUMN_FLAG_ZEROFILL, 0, 5,
                     "2A000000", "00042");
    check_one_column(SP_MYSQL_TYPE_LONG, SP_COLUMN_FLAG_UNSIGNED | SP_COLUMN_FLAG_ZEROFILL, 0, 5,
                     "40E20100", "123456");
    check_one_column(SP_MYSQL_TYPE_YEAR, SP_COLUMN_FLAG_UNSIGNED | SP_COLUMN_FLAG_ZEROFILL, 0, 4,
                     "0000", "0000");
    /* DOUBLE(20,6) prints the shortest digits padded, as MariaDB 10.11 does. */
    check_one_column(SP_MYSQL_TYPE_DOUBLE, 0, 6, 20, "081B14474129A142", "9434443254285.516000");
    check_one_column(SP_MYSQL_TYPE_DOUBLE, 0, 6, 20, "400C7F8DB9B17EC2", "-2109291943920.765600");
    check_one_column(SP_MYSQL_TYPE_FLOAT, 0, 3, 7, "0000003F", "0.500");
    check_one_column(SP_MYSQL_TYPE_DOUBLE, 0, 31, 22, "A0C8EB85F3CCE17F", "1e308");
    check_one_column(SP_MYSQL_TYPE_DOUBLE, 0, 31, 22, "0000000000000000", "0");
    check_one_column(SP_MYSQL_TYPE_DATE, 0, 0, 10, "00", "0000-00-00");
    check_one_column(SP_MYSQL_TYPE_DATE, 0, 0, 10, "04E807021D", "2024-02-29");
    check_one_column(SP_MYSQL_TYPE_DATETIME, 0, 0, 19, "00", "0000-00-00 00:00:00");
    check_one_column(SP_MYSQL_TYPE_DATETIME, 0, 0, 19, "04E807021D", "2024-02-29 00:00:00");
    check_one_column(SP_MYSQL_TYPE_DATETIME, 0, 0, 19, "07E807021D0D0E0F", "2024-02-29 13:14:15");
    check_one_column(SP_MYSQL_TYPE_DATETIME, 0, 6, 26, "0BE807021D0D0E0F01000000",
                     "2024-02-29 13:14:15.000001");
    check_one_column(SP_MYSQL_TYPE_DATETIME, 0, 3, 23, "00", "0000-00-00 00:00:00.000");
    check_one_column(SP_MYSQL_TYPE_TIMESTAMP, 0, 3, 23, "0BE807021D0D0E0F78E00100",
                     "2024-02-29 13:14:15.123");
    check_one_column(SP_MYSQL_TYPE_TIME, 0, 0, 10, "00", "00:00:00");
    check_one_column(SP_MYSQL_TYPE_TIME, 0, 0, 10, "080122000000163B3B", "-838:59:59");
    check_one_column(SP_MYSQL_TYPE_TIME, 0, 6, 17, "0C01040000000402035FF80600", "-100:02:03.456799");
    check_one_column(SP_MYSQL_TYPE_TIME, 0, 1, 11, "0C010000000000000020A10700", "-00:00:00.5");
    check_one_column(SP_MYSQL_TYPE_TIME, 0, 6, 17, "080001000000010000", "25:00:00.000000");
    check_one_column(SP_MYSQL_TYPE_NEWDECIMAL, 0, 2, 12, "052D302E3530", "-0.50");
    check_one_column(SP_MYSQL_TYPE_VAR_STRING, 0, 0, 80, "00", "");
    check_one_column(SP_MYSQL_TYPE_BLOB, 0, 0, 65535, "0401FF5C27", "\x01\xff\\'");
}

static void
row_text_rejected(void **state)
{
    static const struct {
        uint8_t type;
        uint16_t flags;
        const char *text;
    } bad[] = {
        {SP_MYSQL_TYPE_TINY, 0, "128"},
        {SP_MYSQL_TYPE_TINY, 0, "-129"},
        {SP_MYSQL_TYPE_TINY, 0, ""},
        {SP_MYSQL_TYPE_TINY, 0, "-"},
        {SP_MYSQL_TYPE_TINY, 0, "1a"},
        {SP_MYSQL_TYPE_TINY, 0, " 1"},
        {SP_MYSQL_TYPE_TINY, 0, "+1"},
        {SP_MYSQL_TYPE_TINY, SP_COLUMN_FLAG_UNSIGNED, "-1"},
        {SP_MYSQL_TYPE_TINY, SP_COLUMN_FLAG_UNSIGNED, "256"},
        {SP_MYSQL_TYPE_SHORT, 0, "32768"},
        {SP_MYSQL_TYPE_INT24, 0, "8388608"},
        {SP_MYSQL_TYPE_INT24, SP_COLUMN_FLAG_UNSIGNED, "16777216"},
        {SP_MYSQL_TYPE_LONG, 0, "2147483648"},
        {SP_MYSQL_TYPE_LONGLONG, 0, "9223372036854775808"},
        {SP_MYSQL_TYPE_LONGLONG, 0, "-9223372036854775809"},
        {SP_MYSQL_TYPE_LONGLONG, SP_COLUMN_FLAG_UNSIGNED, "18446744073709551616"},
        {SP_MYSQL_TYPE_LONGLONG, SP_COLUMN_FLAG_UNSIGNED, "99999999999999999999999"},
        {SP_MYSQL_TYPE_YEAR, 0, "65536"},
        {SP_MYSQL_TYPE_DOUBLE, 0, "1e999"},
        {SP_MYSQL_TYPE_DOUBLE, 0, "abc"},
        {SP_MYSQL_TYPE_DOUBLE, 0, "1e"},
        {SP_MYSQL_TYPE_DOUBLE, 0, "."},
        {SP_MYSQL_TYPE_DOUBLE, 0, "inf"},
        {SP_MYSQL_TYPE_DOUBLE, 0, "nan"},
        {SP_MYSQL_TYPE_DOUBLE, 0, "0x10"},
        {SP_MYSQL_TYPE_DOUBLE, 0, "1.5 "},
        {SP_MYSQL_TYPE_FLOAT, 0, "3.5e38"},
        {SP_MYSQL_TYPE_DATE, 0, "2024-13-01"},
        {SP_MYSQL_TYPE_DATE, 0, "2024-1-01"},
        {SP_MYSQL_TYPE_DATE, 0, "2024-01-01x"},
        {SP_MYSQL_TYPE_DATE, 0, "2024-01-32"},
        {SP_MYSQL_TYPE_DATETIME, 0, "2024-01-01 24:00:00"},
        {SP_MYSQL_TYPE_DATETIME, 0, "2024-01-01 10:00:00.1234567"},
        {SP_MYSQL_TYPE_DATETIME, 0, "2024-01-01 10:00:00."},
        {SP_MYSQL_TYPE_DATETIME, 0, "2024-01-01 10:00"},
        {SP_MYSQL_TYPE_TIME, 0, "1:00:00"},
        {SP_MYSQL_TYPE_TIME, 0, "10:60:00"},
        {SP_MYSQL_TYPE_TIME, 0, "--1:00:00"},
        {SP_MYSQL_TYPE_TIME, 0, "12345678:00:00"},
        {SP_MYSQL_TYPE_NEWDECIMAL, 0, "1e5"},
        {SP_MYSQL_TYPE_NEWDECIMAL, 0, "+1"},
        {SP_MYSQL_TYPE_NEWDECIMAL, 0, ""},
        {SP_MYSQL_TYPE_NULL, 0, ""},
        {SP_MYSQL_TYPE_TIME2, 0, "00:00:00"},
        {0x80, 0, "x"},
    };
    struct sp_column_def defs[2];
    struct sp_str values[2];
    struct sp_buf out;

    (void)state;
    memset(defs, 0, sizeof(defs));
    defs[0].type = SP_MYSQL_TYPE_LONG;
    values[0] = SP_STR_LIT("1");
    sp_buf_init(&out);
    assert_int_equal(sp_buf_append(&out, "keep", 4), SP_OK);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        defs[1].type = bad[i].type;
        defs[1].flags = bad[i].flags;
        values[1] = sp_str_cstr(bad[i].text);
        if (sp_stmt_binary_row_build(&out, 2, defs, values, NULL) != SP_EPROTO) {
            print_error("type %u text \"%s\" was accepted\n", bad[i].type, bad[i].text);
            fail();
        }
        assert_buf_text(&out, "keep");
    }
    sp_buf_deinit(&out);
}

static void
row_parse_rejects_malformed(void **state)
{
    static const struct {
        uint8_t type;
        const char *hex;
    } bad[] = {
        {SP_MYSQL_TYPE_DATE, "05E807021D00"},
        {SP_MYSQL_TYPE_DATETIME, "0BE807021D0D0E0F40420F00"}, /* 10^6 microseconds */
        {SP_MYSQL_TYPE_DATETIME, "07E807021D180000"},         /* hour 24 */
        {SP_MYSQL_TYPE_TIME, "0700000000000000"},
        {SP_MYSQL_TYPE_TIME, "080000000000003C00"},           /* minute 60 */
        {SP_MYSQL_TYPE_DATETIME, "FB"},
        {SP_MYSQL_TYPE_VAR_STRING, "FB"},
        {SP_MYSQL_TYPE_VAR_STRING, "FF"},
        {SP_MYSQL_TYPE_DOUBLE, "000000000000F07F"},           /* infinity */
        {SP_MYSQL_TYPE_FLOAT, "0000C07F"},                    /* NaN */
        {SP_MYSQL_TYPE_NULL, ""},
        {SP_MYSQL_TYPE_TIMESTAMP2, "00"},
    };
    struct sp_column_def def;
    struct sp_str value;
    uint8_t p[MAX_PAYLOAD];
    struct sp_buf scratch;
    bool is_null;

    (void)state;
    sp_buf_init(&scratch);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        size_t n;

        memset(&def, 0, sizeof(def));
        def.type = bad[i].type;
        def.decimals = SP_COLUMN_DECIMALS_NOT_FIXED;
        p[0] = 0;
        p[1] = 0;
        n = 2 + unhex(bad[i].hex, p + 2, sizeof(p) - 2);
        if (sp_stmt_binary_row_parse(p, n, 1, &def, &scratch, &value, &is_null) != SP_EPROTO) {
            print_error("type %u value %s was accepted\n", bad[i].type, bad[i].hex);
            fail();
        }
        assert_int_equal(sp_buf_unread_len(&scratch), 0);
    }

    /* Another header byte. */
    memset(&def, 0, sizeof(def));
    def.type = SP_MYSQL_TYPE_TINY;
    p[0] = 0xFE;
    p[1] = 0;
    p[2] = 1;
    assert_int_equal(sp_stmt_binary_row_parse(p, 3, 1, &def, &scratch, &value, &is_null), SP_EPROTO);
    sp_buf_deinit(&scratch);
}

/* NULL bitmaps start at bit 2: check rows of 1 to 17 columns with every
 * single NULL and every single non-NULL. */
static void
row_null_bitmaps(void **state)
{
    struct sp_column_def defs[MAX_PARAMS];
    struct sp_str values[MAX_PARAMS], back[MAX_PARAMS];
    bool nulls[MAX_PARAMS], back_nulls[MAX_PARAMS];
    char digits[MAX_PARAMS][4];
    struct sp_buf out, scratch;

    (void)state;
    memset(defs, 0, sizeof(defs));
    for (size_t i = 0; i < MAX_PARAMS; i++) {
        defs[i].type = SP_MYSQL_TYPE_TINY;
        snprintf(digits[i], sizeof(digits[i]), "%zu", i);
        values[i] = sp_str_cstr(digits[i]);
    }
    sp_buf_init(&out);
    sp_buf_init(&scratch);

    for (size_t ncols = 1; ncols <= 17; ncols++) {
        for (size_t pattern = 0; pattern < 2 * ncols; pattern++) {
            size_t nnull = 0;

            for (size_t i = 0; i < ncols; i++) {
                bool hit = i == pattern % ncols;

                nulls[i] = pattern < ncols ? hit : !hit;
                nnull += nulls[i];
            }
            sp_buf_reset(&out, 0);
            sp_buf_reset(&scratch, 0);
            assert_int_equal(sp_stmt_binary_row_build(&out, ncols, defs, values, nulls), SP_OK);
            assert_int_equal(sp_buf_unread_len(&out), 1 + SP_STMT_ROW_BITMAP_LEN(ncols) + ncols - nnull);
            assert_int_equal(sp_stmt_binary_row_parse(sp_buf_unread(&out), sp_buf_unread_len(&out),
                                                       ncols, defs, &scratch, back, back_nulls),
                             SP_OK);
            for (size_t i = 0; i < ncols; i++) {
                assert_int_equal(back_nulls[i], nulls[i]);
                if (!nulls[i]) {
                    assert_view_text(back[i], digits[i], strlen(digits[i]));
                }
            }
        }
    }
    sp_buf_deinit(&out);
    sp_buf_deinit(&scratch);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(prepare_ok_captured_parse),
        cmocka_unit_test(prepare_ok_build_matches_captured),
        cmocka_unit_test(prepare_ok_warnings_round_trip),
        cmocka_unit_test(prepare_ok_every_length),
        cmocka_unit_test(prepare_ok_rejects_err_header),
        cmocka_unit_test(small_commands_captured),
        cmocka_unit_test(small_commands_build_match_captured),
        cmocka_unit_test(small_commands_every_length),
        cmocka_unit_test(id_peek_rejects_other_commands),
        cmocka_unit_test(execute_captured_with_types),
        cmocka_unit_test(execute_captured_sticky_types),
        cmocka_unit_test(execute_without_types_rejected),
        cmocka_unit_test(execute_captured_long_data),
        cmocka_unit_test(execute_long_data_needs_string_type),
        cmocka_unit_test(execute_zero_params),
        cmocka_unit_test(execute_every_cut_rejected),
        cmocka_unit_test(execute_hostile_types),
        cmocka_unit_test(execute_hostile_values),
        cmocka_unit_test(execute_bound_flag_values),
        cmocka_unit_test(execute_bit_flips_never_overread),
        cmocka_unit_test(execute_build_matches_captured),
        cmocka_unit_test(execute_build_new_statement_id),
        cmocka_unit_test(execute_build_rejects_bad_params),
        cmocka_unit_test(execute_null_bitmaps_9_16_17),
        cmocka_unit_test(execute_max_params_round_trip),
        cmocka_unit_test(param_sql_integers),
        cmocka_unit_test(param_sql_floats),
        cmocka_unit_test(param_sql_decimals),
        cmocka_unit_test(param_sql_strings),
        cmocka_unit_test(param_sql_binary_types),
        cmocka_unit_test(param_sql_long_hex),
        cmocka_unit_test(param_sql_gbk_backslash),
        cmocka_unit_test(param_sql_temporal),
        cmocka_unit_test(param_sql_null_and_invalid),
        cmocka_unit_test(param_sql_captured_execute),
        cmocka_unit_test(row_captured_parse),
        cmocka_unit_test(row_captured_build),
        cmocka_unit_test(row_captured_every_cut),
        cmocka_unit_test(row_bit_flips_never_overread),
        cmocka_unit_test(row_parse_scratch_with_content),
        cmocka_unit_test(row_floats_print_as_server),
        cmocka_unit_test(row_values_both_ways),
        cmocka_unit_test(row_text_rejected),
        cmocka_unit_test(row_parse_rejects_malformed),
        cmocka_unit_test(row_null_bitmaps),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
