/*
 * Unit tests for the result merger (router/merge.c, merge_group.c) and its
 * typed comparison and formatting (router/merge_value.c).
 *
 * Expected results come from MariaDB 10.11.19 (utf8mb4_general_ci). Most
 * merge tests use three tables standing for three shards, and a view over
 * all of them standing for the unsharded table:
 *
 *   CREATE TABLE s0 (id INT PRIMARY KEY, k INT, g VARCHAR(10), x INT,
 *                    d DECIMAL(10,2), f DOUBLE);
 *   CREATE TABLE s1 LIKE s0; CREATE TABLE s2 LIKE s0;
 *   INSERT INTO s0 VALUES (1,1,'a',10,1.00,0.1), (2,2,'B',20,2.50,0.2),
 *                         (3,NULL,'e',5,NULL,NULL);
 *   INSERT INTO s1 VALUES (4,1,'A',30,2.00,0.2), (5,3,'b',NULL,3.10,1e20),
 *                         (6,NULL,'é',7,0.01,1.5);
 *   INSERT INTO s2 VALUES (7,2,'b',40,2.01,0.1), (8,3,'E',1,NULL,-0.5);
 *   CREATE VIEW u AS SELECT * FROM s0 UNION ALL SELECT * FROM s1
 *                    UNION ALL SELECT * FROM s2;
 *
 * Each leg's rows below are what the shard query returned on s0, s1 and
 * s2; the expected rows are what the query returned on u. Weight strings
 * are HEX(WEIGHT_STRING(...)) output, written here as "hex:...".
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
#include "common/error.h"
#include "protocol/result.h"
#include "router/merge.h"
#include "router/merge_value.h"

#define T_LONG 3
#define T_DOUBLE 5
#define T_LONGLONG 8
#define T_TIME 11
#define T_VAR_STRING 253
#define T_NEWDECIMAL 246
#define UNSIGNED_FLAG 32
#define CS_BINARY 63
#define CS_GENERAL_CI 45
#define NOT_FIXED 31

#define MAX_COLS 16
#define ROW_TEXT_MAX 512

/* A SQL NULL among the values passed to push_row(). */
#define SQL_NULL ((const char *)NULL)

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static struct sp_column_def
coldef(uint8_t type, uint16_t charset, uint8_t decimals, uint16_t flags)
{
    struct sp_column_def d;

    memset(&d, 0, sizeof(d));
    d.type = type;
    d.charset = charset;
    d.decimals = decimals;
    d.flags = flags;
    return d;
}

static struct sp_merge_key
key(int32_t col, int32_t weight_col, bool desc)
{
    return (struct sp_merge_key){.col = col, .weight_col = weight_col, .desc = desc};
}

static struct sp_merge_column
agg(int32_t col, enum sp_merge_agg a)
{
    return (struct sp_merge_column){col, a, SP_MERGE_NO_COLUMN, SP_MERGE_NO_COLUMN,
                                    SP_MERGE_NO_COLUMN, NULL, NULL, 0};
}

static struct sp_merge_column
agg_avg(int32_t col, int32_t sum_col, int32_t count_col)
{
    return (struct sp_merge_column){col, SP_MERGE_AGG_AVG, sum_col, count_col, SP_MERGE_NO_COLUMN,
                                    NULL, NULL, 0};
}

static struct sp_merge_column
agg_extreme(int32_t col, enum sp_merge_agg a, int32_t weight_col)
{
    return (struct sp_merge_column){col, a, SP_MERGE_NO_COLUMN, SP_MERGE_NO_COLUMN, weight_col,
                                    NULL, NULL, 0};
}

static struct sp_merge_having
having_cmp(int32_t col, enum sp_merge_cmp_op op, const char *literal, bool is_string)
{
    struct sp_merge_having h;

    memset(&h, 0, sizeof(h));
    h.op = SP_HAVING_CMP;
    h.col = col;
    h.cmp = op;
    h.literal = sp_str_cstr(literal);
    h.literal_is_string = is_string;
    return h;
}

static struct sp_merge_having
having_node(enum sp_merge_having_op op, struct sp_merge_having *left, struct sp_merge_having *right)
{
    struct sp_merge_having h;

    memset(&h, 0, sizeof(h));
    h.op = op;
    h.left = left;
    h.right = right;
    return h;
}

static uint8_t
hex_digit(char c)
{
    return (uint8_t)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
}

/* Turns "hex:0041" into bytes in STORE; other text is used as it is. */
static struct sp_str
value_of(const char *text, char *store)
{
    size_t n;

    if (strncmp(text, "hex:", 4) != 0) {
        return sp_str_cstr(text);
    }
    n = strlen(text + 4) / 2;
    for (size_t i = 0; i < n; i++) {
        store[i] = (char)(hex_digit(text[4 + 2 * i]) << 4 | hex_digit(text[5 + 2 * i]));
    }
    return sp_str_make(store, n);
}

/* Pushes one row of NCOLS values (SQL_NULL for NULL) from leg LEG. */
static int
push_row(struct sp_merger *m, size_t ncols, size_t leg, ...)
{
    struct sp_str vals[MAX_COLS];
    bool nulls[MAX_COLS];
    char store[MAX_COLS][64];
    struct sp_buf payload;
    struct sp_error err;
    va_list ap;
    int rc;

    va_start(ap, leg);
    for (size_t i = 0; i < ncols; i++) {
        const char *text = va_arg(ap, const char *);

        nulls[i] = text == NULL;
        vals[i] = text == NULL ? SP_STR_NULL : value_of(text, store[i]);
    }
    va_end(ap);

    sp_buf_init(&payload);
    assert_int_equal(sp_text_row_build(&payload, ncols, vals, nulls), SP_OK);
    rc = sp_merger_push_row(m, leg, payload.data, payload.len, &err);
    sp_buf_deinit(&payload);
    return rc;
}

#define PUSH(m, ncols, leg, ...) assert_int_equal(push_row((m), (ncols), (leg), __VA_ARGS__), SP_OK)

/* Runs sp_merger_next; on SP_OK writes the row as "v1|v2|NULL" into TEXT. */
static int
next_text(struct sp_merger *m, char *text)
{
    struct sp_str vals[MAX_COLS];
    bool nulls[MAX_COLS];
    struct sp_buf out;
    struct sp_error err;
    size_t n = sp_merger_nvisible(m), len = 0;
    int rc;

    text[0] = '\0';
    sp_buf_init(&out);
    rc = sp_merger_next(m, &out, &err);
    if (rc == SP_OK) {
        assert_int_equal(sp_text_row_parse(out.data, out.len, n, vals, nulls), SP_OK);
        for (size_t i = 0; i < n; i++) {
            len += (size_t)snprintf(text + len, ROW_TEXT_MAX - len, "%s%.*s", i > 0 ? "|" : "",
                                    nulls[i] ? 4 : (int)vals[i].len,
                                    nulls[i] ? "NULL" : vals[i].ptr);
        }
    }
    sp_buf_deinit(&out);
    return rc;
}

static void
assert_next(struct sp_merger *m, const char *expected)
{
    char text[ROW_TEXT_MAX];

    assert_int_equal(next_text(m, text), SP_OK);
    assert_string_equal(text, expected);
}

static void
assert_next_status(struct sp_merger *m, int expected)
{
    char text[ROW_TEXT_MAX];

    assert_int_equal(next_text(m, text), expected);
}

/* Expects exactly ROWS, then the end of the result. */
static void
assert_rows(struct sp_merger *m, const char *const *rows, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        assert_next(m, rows[i]);
    }
    assert_next_status(m, SP_ENOTFOUND);
}

static struct sp_merger *
create(const struct sp_merge_spec *spec, const struct sp_column_def *defs, size_t ndefs,
       size_t nlegs, size_t max_rows)
{
    struct sp_merger *m = NULL;
    struct sp_error err;

    assert_int_equal(sp_merger_create(spec, defs, ndefs, nlegs, max_rows, &m, &err), SP_OK);
    assert_non_null(m);
    return m;
}

static void
done_all(struct sp_merger *m, size_t nlegs)
{
    for (size_t i = 0; i < nlegs; i++) {
        sp_merger_leg_done(m, i);
    }
}

/* ---- streaming ORDER BY ---- */

static void
stream_three_legs_interleaved(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_key order[] = {key(0, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_spec spec = {.order_keys = order, .norder_keys = 1};
    struct sp_merger *m = create(&spec, defs, 1, 3, 1000);

    assert_next_status(m, SP_EAGAIN);
    PUSH(m, 1, 0, "1");
    assert_next_status(m, SP_EAGAIN);
    PUSH(m, 1, 1, "2");
    PUSH(m, 1, 2, "0");
    assert_next(m, "0");
    /* Leg 2 may still send something below 1. */
    assert_next_status(m, SP_EAGAIN);
    sp_merger_leg_done(m, 2);
    assert_next(m, "1");
    assert_next_status(m, SP_EAGAIN);
    PUSH(m, 1, 0, "5");
    sp_merger_leg_done(m, 0);
    assert_next(m, "2");
    assert_next_status(m, SP_EAGAIN);
    PUSH(m, 1, 1, "3");
    PUSH(m, 1, 1, "10");
    assert_next(m, "3");
    assert_next(m, "5");
    /* Leg 0 is done, so leg 1's queued row needs no more waiting. */
    assert_next(m, "10");
    assert_next_status(m, SP_EAGAIN);
    sp_merger_leg_done(m, 1);
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

static void
stream_desc_puts_null_last(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_key order[] = {key(0, SP_MERGE_NO_COLUMN, true)};
    struct sp_merge_spec spec = {.order_keys = order, .norder_keys = 1};
    struct sp_merger *m = create(&spec, defs, 1, 2, 1000);
    static const char *const expected[] = {"30", "20", "-10", "NULL", "NULL"};

    PUSH(m, 1, 0, "30");
    PUSH(m, 1, 0, "-10");
    PUSH(m, 1, 0, SQL_NULL);
    PUSH(m, 1, 1, "20");
    PUSH(m, 1, 1, SQL_NULL);
    done_all(m, 2);
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

static void
stream_asc_puts_null_first(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONGLONG, CS_BINARY, 0, UNSIGNED_FLAG)};
    struct sp_merge_key order[] = {key(0, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_spec spec = {.order_keys = order, .norder_keys = 1};
    struct sp_merger *m = create(&spec, defs, 1, 2, 1000);
    static const char *const expected[] = {
        "NULL", "NULL", "9", "10", "9223372036854775808", "18446744073709551615",
    };

    PUSH(m, 1, 0, SQL_NULL);
    PUSH(m, 1, 0, "10");
    PUSH(m, 1, 0, "18446744073709551615");
    PUSH(m, 1, 1, SQL_NULL);
    PUSH(m, 1, 1, "9");
    PUSH(m, 1, 1, "9223372036854775808");
    done_all(m, 2);
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

static void
stream_orders_decimal_and_time(void **state)
{
    struct sp_column_def defs[] = {coldef(T_TIME, CS_BINARY, 2, 0),
                                   coldef(T_NEWDECIMAL, CS_BINARY, 2, 0)};
    struct sp_merge_key order[] = {key(0, SP_MERGE_NO_COLUMN, false),
                                   key(1, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_spec spec = {.order_keys = order, .norder_keys = 2};
    struct sp_merger *m = create(&spec, defs, 2, 2, 1000);
    /*
     * server: CREATE TABLE dt (t TIME(2), ...) with '-01:00:00', '838:59:59',
     * '00:00:00.5', '-838:59:59.99'; SELECT t FROM dt ORDER BY t returns
     * -838:59:59.99, -01:00:00.00, 00:00:00.50, 838:59:59.00.
     */
    static const char *const expected[] = {
        "-838:59:59.99|1.00", "-01:00:00.00|-10.50", "-01:00:00.00|-0.50",
        "00:00:00.50|0.00", "00:00:00.50|2.00", "838:59:59.00|1.00",
    };

    PUSH(m, 2, 0, "-838:59:59.99", "1.00");
    PUSH(m, 2, 0, "-01:00:00.00", "-0.50");
    PUSH(m, 2, 0, "00:00:00.50", "2.00");
    PUSH(m, 2, 1, "-01:00:00.00", "-10.50");
    PUSH(m, 2, 1, "00:00:00.50", "0.00");
    PUSH(m, 2, 1, "838:59:59.00", "1.00");
    done_all(m, 2);
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

/*
 * SELECT g, x FROM u ORDER BY g, x, sent to each shard with the hidden
 * column WEIGHT_STRING(g). utf8mb4_general_ci puts 'a' before 'B' although
 * 'B' is the smaller byte.
 */
static void
stream_weight_string_order(void **state)
{
    struct sp_column_def defs[] = {coldef(T_VAR_STRING, CS_GENERAL_CI, 0, 0),
                                   coldef(T_LONG, CS_BINARY, 0, 0),
                                   coldef(T_VAR_STRING, CS_BINARY, 0, 0)};
    struct sp_merge_key order[] = {key(0, -1, false), key(1, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_spec spec = {.nhidden = 1, .order_keys = order, .norder_keys = 2};
    struct sp_merger *m = create(&spec, defs, 3, 3, 1000);
    /* server: SELECT g, x FROM u ORDER BY g, x */
    static const char *const expected[] = {
        "a|10", "A|30", "b|NULL", "B|20", "b|40", "E|1", "e|5", "é|7",
    };

    /* server: SELECT g, x, HEX(WEIGHT_STRING(g)) FROM s2 ORDER BY g, x */
    PUSH(m, 3, 2, "b", "40", "hex:0042");
    PUSH(m, 3, 2, "E", "1", "hex:0045");
    sp_merger_leg_done(m, 2);
    /* ... FROM s1 */
    PUSH(m, 3, 1, "A", "30", "hex:0041");
    PUSH(m, 3, 1, "b", SQL_NULL, "hex:0042");
    PUSH(m, 3, 1, "é", "7", "hex:0045");
    sp_merger_leg_done(m, 1);
    /* ... FROM s0 */
    PUSH(m, 3, 0, "a", "10", "hex:0041");
    PUSH(m, 3, 0, "B", "20", "hex:0042");
    PUSH(m, 3, 0, "e", "5", "hex:0045");
    sp_merger_leg_done(m, 0);

    assert_int_equal(sp_merger_nvisible(m), 2);
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

/* Without a weight column a collated string falls back to byte order. */
static void
stream_without_weight_orders_bytes(void **state)
{
    struct sp_column_def defs[] = {coldef(T_VAR_STRING, CS_GENERAL_CI, 0, 0)};
    struct sp_merge_key order[] = {key(0, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_spec spec = {.order_keys = order, .norder_keys = 1};
    struct sp_merger *m = create(&spec, defs, 1, 2, 1000);
    static const char *const expected[] = {"B", "a"};

    PUSH(m, 1, 0, "a");
    PUSH(m, 1, 1, "B");
    done_all(m, 2);
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

static void
stream_offset_limit_across_legs(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_key order[] = {key(0, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_spec spec = {.order_keys = order, .norder_keys = 1, .has_limit = true,
                                 .limit = 3, .offset = 2};
    struct sp_merger *m = create(&spec, defs, 1, 3, 1000);

    /* LIMIT 2, 3: each shard ran LIMIT 5 and sent what it had. */
    PUSH(m, 1, 0, "1");
    PUSH(m, 1, 0, "4");
    PUSH(m, 1, 1, "2");
    PUSH(m, 1, 1, "5");
    PUSH(m, 1, 2, "3");
    PUSH(m, 1, 2, "6");
    assert_next(m, "3");
    assert_next(m, "4");
    assert_false(sp_merger_satisfied(m));
    /* Leg 0 is drained but may still send its next row. */
    assert_next_status(m, SP_EAGAIN);
    PUSH(m, 1, 0, "7");
    assert_next(m, "5");
    assert_true(sp_merger_satisfied(m));

    /* The rest of the legs is discarded, done or not. */
    assert_next_status(m, SP_ENOTFOUND);
    PUSH(m, 1, 1, "8");
    assert_false(sp_merger_leg_full(m, 1));
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

static void
stream_limit_zero(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_key order[] = {key(0, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_spec spec = {.order_keys = order, .norder_keys = 1, .has_limit = true};
    struct sp_merger *m = create(&spec, defs, 1, 2, 1000);

    assert_true(sp_merger_satisfied(m));
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

static void
stream_leg_full_and_drain(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_key order[] = {key(0, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_spec spec = {.order_keys = order, .norder_keys = 1};
    struct sp_merger *m = create(&spec, defs, 1, 2, 1000);
    char text[16];

    for (int i = 0; i < 64; i++) {
        snprintf(text, sizeof(text), "%d", i);
        PUSH(m, 1, 0, text);
    }
    assert_true(sp_merger_leg_full(m, 0));
    assert_false(sp_merger_leg_full(m, 1));
    /* Nothing is known before leg 1 sends a row. */
    assert_next_status(m, SP_EAGAIN);

    PUSH(m, 1, 1, "100");
    assert_next(m, "0");
    assert_false(sp_merger_leg_full(m, 0));
    sp_merger_destroy(m);
}

/* ---- arrival order ---- */

static void
pass_keeps_arrival_order(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0),
                                   coldef(T_VAR_STRING, CS_BINARY, 0, 0)};
    struct sp_merge_spec spec = {.nhidden = 1, .has_limit = true, .limit = 3};
    struct sp_merger *m = create(&spec, defs, 2, 2, 1000);

    assert_next_status(m, SP_EAGAIN);
    PUSH(m, 2, 1, "5", "hidden");
    assert_next(m, "5");
    assert_next_status(m, SP_EAGAIN);
    PUSH(m, 2, 0, "1", "x");
    PUSH(m, 2, 1, "2", "y");
    PUSH(m, 2, 0, "3", "z");
    assert_next(m, "1");
    assert_next(m, "2");
    assert_true(sp_merger_satisfied(m));
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

static void
pass_ends_when_legs_done(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_spec spec = {0};
    struct sp_merger *m = create(&spec, defs, 1, 2, 1000);

    PUSH(m, 1, 0, "1");
    sp_merger_leg_done(m, 0);
    assert_next(m, "1");
    assert_next_status(m, SP_EAGAIN);
    sp_merger_leg_done(m, 1);
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

static void
pass_leg_full_until_drained(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_spec spec = {0};
    struct sp_merger *m = create(&spec, defs, 1, 2, 1000);

    for (int i = 0; i < 64; i++) {
        PUSH(m, 1, i % 2, "1");
    }
    /* One queue serves every leg, so all of them pause. */
    assert_true(sp_merger_leg_full(m, 0));
    assert_true(sp_merger_leg_full(m, 1));
    assert_next(m, "1");
    assert_false(sp_merger_leg_full(m, 0));
    assert_false(sp_merger_leg_full(m, 1));
    sp_merger_destroy(m);
}

/* ---- DISTINCT ---- */

/*
 * SELECT DISTINCT g FROM u ORDER BY g: the key covers the one visible
 * column, so duplicates are adjacent and compared by weight.
 */
static void
distinct_adjacent_by_weight(void **state)
{
    struct sp_column_def defs[] = {coldef(T_VAR_STRING, CS_GENERAL_CI, 0, 0),
                                   coldef(T_VAR_STRING, CS_BINARY, 0, 0)};
    struct sp_merge_key order[] = {key(0, -1, false)};
    struct sp_merge_spec spec = {.nhidden = 1, .order_keys = order, .norder_keys = 1,
                                 .distinct = true};
    struct sp_merger *m = create(&spec, defs, 2, 3, 1);
    /* server: SELECT DISTINCT g FROM u ORDER BY g */
    static const char *const expected[] = {"a", "B", "e"};

    PUSH(m, 2, 0, "a", "hex:0041");
    PUSH(m, 2, 0, "B", "hex:0042");
    PUSH(m, 2, 0, "e", "hex:0045");
    PUSH(m, 2, 1, "A", "hex:0041");
    PUSH(m, 2, 1, "b", "hex:0042");
    PUSH(m, 2, 1, "é", "hex:0045");
    PUSH(m, 2, 2, "b", "hex:0042");
    PUSH(m, 2, 2, "E", "hex:0045");
    done_all(m, 3);
    /* max_rows 1: adjacent duplicates need no set, so it is never reached. */
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

/* SELECT DISTINCT k FROM u: no order, so a set of seen rows. */
static void
distinct_hash_set(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_spec spec = {.distinct = true};
    struct sp_merger *m = create(&spec, defs, 1, 3, 1000);
    /* server: SELECT DISTINCT k FROM u */
    static const char *const expected[] = {"1", "2", "NULL", "3"};

    PUSH(m, 1, 0, "1");
    PUSH(m, 1, 0, "2");
    PUSH(m, 1, 0, SQL_NULL);
    PUSH(m, 1, 1, "1");
    PUSH(m, 1, 1, "3");
    PUSH(m, 1, 1, SQL_NULL);
    PUSH(m, 1, 2, "2");
    PUSH(m, 1, 2, "3");
    done_all(m, 3);
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

/* SELECT DISTINCT k FROM u ORDER BY x: the key is hidden, so a set again. */
static void
distinct_ordered_by_hidden_column(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0), coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_key order[] = {key(-1, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_spec spec = {.nhidden = 1, .order_keys = order, .norder_keys = 1,
                                 .distinct = true};
    struct sp_merger *m = create(&spec, defs, 2, 3, 1000);
    /* server: SELECT DISTINCT k FROM u ORDER BY x */
    static const char *const expected[] = {"3", "NULL", "1", "2"};

    PUSH(m, 2, 0, SQL_NULL, "5");
    PUSH(m, 2, 0, "1", "10");
    PUSH(m, 2, 0, "2", "20");
    PUSH(m, 2, 1, "3", SQL_NULL);
    PUSH(m, 2, 1, SQL_NULL, "7");
    PUSH(m, 2, 1, "1", "30");
    PUSH(m, 2, 2, "3", "1");
    PUSH(m, 2, 2, "2", "40");
    done_all(m, 3);
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

static void
distinct_set_overflow(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_spec spec = {.distinct = true};
    struct sp_merger *m = create(&spec, defs, 1, 1, 2);
    struct sp_buf out;
    struct sp_error err;

    PUSH(m, 1, 0, "1");
    PUSH(m, 1, 0, "1");
    PUSH(m, 1, 0, "2");
    PUSH(m, 1, 0, "3");
    sp_merger_leg_done(m, 0);
    assert_next(m, "1");
    assert_next(m, "2");

    sp_buf_init(&out);
    assert_int_equal(sp_merger_next(m, &out, &err), SP_ERANGE);
    assert_int_equal(err.code, 1105);
    assert_string_equal(err.sqlstate, "HY000");
    assert_non_null(strstr(err.message, "max_merge_rows (2)"));
    assert_int_equal(out.len, 0);
    /* The failure sticks. */
    memset(&err, 0, sizeof(err));
    assert_int_equal(sp_merger_next(m, &out, &err), SP_ERANGE);
    assert_non_null(strstr(err.message, "max_merge_rows (2)"));
    sp_buf_deinit(&out);
    sp_merger_destroy(m);
}

/* ---- GROUP BY ---- */

/*
 * SELECT k, COUNT(*), SUM(x), MIN(x), MAX(x), AVG(x), AVG(d), SUM(f)
 * FROM u GROUP BY k, sent to each shard with the hidden columns SUM(x),
 * COUNT(x), SUM(d), COUNT(d).
 */
static struct sp_column_def group_k_defs[] = {
    {.type = T_LONG, .charset = CS_BINARY},
    {.type = T_LONGLONG, .charset = CS_BINARY},
    {.type = T_NEWDECIMAL, .charset = CS_BINARY, .decimals = 0},
    {.type = T_LONG, .charset = CS_BINARY},
    {.type = T_LONG, .charset = CS_BINARY},
    {.type = T_NEWDECIMAL, .charset = CS_BINARY, .decimals = 4},
    {.type = T_NEWDECIMAL, .charset = CS_BINARY, .decimals = 6},
    {.type = T_DOUBLE, .charset = CS_BINARY, .decimals = NOT_FIXED},
    {.type = T_NEWDECIMAL, .charset = CS_BINARY, .decimals = 0},
    {.type = T_LONGLONG, .charset = CS_BINARY},
    {.type = T_NEWDECIMAL, .charset = CS_BINARY, .decimals = 2},
    {.type = T_LONGLONG, .charset = CS_BINARY},
};

static struct sp_merge_column group_k_columns[7];
static struct sp_merge_key group_k_keys[1];

static struct sp_merge_spec
group_k_spec(void)
{
    group_k_columns[0] = agg(1, SP_MERGE_AGG_COUNT);
    group_k_columns[1] = agg(2, SP_MERGE_AGG_SUM);
    group_k_columns[2] = agg(3, SP_MERGE_AGG_MIN);
    group_k_columns[3] = agg(4, SP_MERGE_AGG_MAX);
    group_k_columns[4] = agg_avg(5, -1, -2);
    group_k_columns[5] = agg_avg(6, -3, -4);
    group_k_columns[6] = agg(7, SP_MERGE_AGG_SUM);
    group_k_keys[0] = key(0, SP_MERGE_NO_COLUMN, false);

    return (struct sp_merge_spec){
        .nhidden = 4,
        .columns = group_k_columns,
        .ncolumns = ARRAY_LEN(group_k_columns),
        .grouped = true,
        .group_keys = group_k_keys,
        .ngroup_keys = 1,
    };
}

/* The shard rows, interleaved across legs as they might arrive. */
static void
group_k_push(struct sp_merger *m)
{
    PUSH(m, 12, 0, SQL_NULL, "1", "5", "5", "5", "5.0000", SQL_NULL, SQL_NULL, "5", "1", SQL_NULL, "0");
    PUSH(m, 12, 1, SQL_NULL, "1", "7", "7", "7", "7.0000", "0.010000", "1.5", "7", "1", "0.01", "1");
    PUSH(m, 12, 2, "2", "1", "40", "40", "40", "40.0000", "2.010000", "0.1", "40", "1", "2.01", "1");
    PUSH(m, 12, 0, "1", "1", "10", "10", "10", "10.0000", "1.000000", "0.1", "10", "1", "1.00", "1");
    PUSH(m, 12, 1, "1", "1", "30", "30", "30", "30.0000", "2.000000", "0.2", "30", "1", "2.00", "1");
    PUSH(m, 12, 2, "3", "1", "1", "1", "1", "1.0000", SQL_NULL, "-0.5", "1", "1", SQL_NULL, "0");
    PUSH(m, 12, 0, "2", "1", "20", "20", "20", "20.0000", "2.500000", "0.2", "20", "1", "2.50", "1");
    PUSH(m, 12, 1, "3", "1", SQL_NULL, SQL_NULL, SQL_NULL, SQL_NULL, "3.100000", "1e20", SQL_NULL, "0",
         "3.10", "1");
    done_all(m, 3);
}

static void
group_aggregates_and_null_group(void **state)
{
    struct sp_merge_spec spec = group_k_spec();
    struct sp_merger *m = create(&spec, group_k_defs, 12, 3, 1000);
    /*
     * server: SELECT k, COUNT(*), SUM(x), MIN(x), MAX(x), AVG(x), AVG(d),
     * SUM(f) FROM u GROUP BY k. The NULL group sorts first.
     */
    static const char *const expected[] = {
        "NULL|2|12|5|7|6.0000|0.010000|1.5",
        "1|2|40|10|30|20.0000|1.500000|0.30000000000000004",
        "2|2|60|20|40|30.0000|2.255000|0.30000000000000004",
        "3|2|1|1|1|1.0000|3.100000|1e20",
    };

    assert_next_status(m, SP_EAGAIN);
    group_k_push(m);
    assert_int_equal(sp_merger_nvisible(m), 8);
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

static void
group_having_decimal_average(void **state)
{
    struct sp_merge_spec spec = group_k_spec();
    struct sp_merge_having h = having_cmp(6, SP_CMP_GE, "2.255", false);
    struct sp_merger *m;
    /* server: SELECT k, AVG(d) FROM u GROUP BY k HAVING AVG(d) >= 2.255 returns groups 2 and 3. */
    static const char *const expected[] = {
        "2|2|60|20|40|30.0000|2.255000|0.30000000000000004",
        "3|2|1|1|1|1.0000|3.100000|1e20",
    };

    spec.having = &h;
    m = create(&spec, group_k_defs, 12, 3, 1000);
    group_k_push(m);
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

static void
group_max_rows_overflow(void **state)
{
    struct sp_merge_spec spec = group_k_spec();
    struct sp_merger *m = create(&spec, group_k_defs, 12, 1, 2);
    struct sp_buf out;
    struct sp_error err;
    int rc;

    PUSH(m, 12, 0, "1", "1", "5", "5", "5", "5.0000", SQL_NULL, SQL_NULL, "5", "1", SQL_NULL, "0");
    PUSH(m, 12, 0, "2", "1", "5", "5", "5", "5.0000", SQL_NULL, SQL_NULL, "5", "1", SQL_NULL, "0");
    PUSH(m, 12, 0, "1", "1", "5", "5", "5", "5.0000", SQL_NULL, SQL_NULL, "5", "1", SQL_NULL, "0");
    rc = push_row(m, 12, 0, "3", "1", "5", "5", "5", "5.0000", SQL_NULL, SQL_NULL, "5", "1", SQL_NULL, "0");
    assert_int_equal(rc, SP_ERANGE);

    sp_merger_leg_done(m, 0);
    sp_buf_init(&out);
    assert_int_equal(sp_merger_next(m, &out, &err), SP_ERANGE);
    assert_int_equal(err.code, 1105);
    assert_string_equal(err.sqlstate, "HY000");
    assert_non_null(strstr(err.message, "max_merge_rows (2)"));
    sp_buf_deinit(&out);
    sp_merger_destroy(m);
}

/*
 * SELECT k, COUNT(*), SUM(x) FROM u GROUP BY k ...; each shard returned
 * k, COUNT(*), SUM(x) per group.
 */
static struct sp_merger *
having_merger(struct sp_merge_spec *spec, struct sp_merge_key *keys, struct sp_merge_column *cols)
{
    static struct sp_column_def defs[] = {
        {.type = T_LONG, .charset = CS_BINARY},
        {.type = T_LONGLONG, .charset = CS_BINARY},
        {.type = T_NEWDECIMAL, .charset = CS_BINARY},
    };
    struct sp_merger *m;

    keys[0] = key(0, SP_MERGE_NO_COLUMN, false);
    cols[0] = agg(1, SP_MERGE_AGG_COUNT);
    cols[1] = agg(2, SP_MERGE_AGG_SUM);
    spec->columns = cols;
    spec->ncolumns = 2;
    spec->grouped = true;
    spec->group_keys = keys;
    spec->ngroup_keys = 1;

    m = create(spec, defs, 3, 3, 1000);
    PUSH(m, 3, 0, SQL_NULL, "1", "5");
    PUSH(m, 3, 0, "1", "1", "10");
    PUSH(m, 3, 0, "2", "1", "20");
    PUSH(m, 3, 1, SQL_NULL, "1", "7");
    PUSH(m, 3, 1, "1", "1", "30");
    PUSH(m, 3, 1, "3", "1", SQL_NULL);
    PUSH(m, 3, 2, "2", "1", "40");
    PUSH(m, 3, 2, "3", "1", "1");
    done_all(m, 3);
    return m;
}

static void
having_and(void **state)
{
    struct sp_merge_key keys[1];
    struct sp_merge_column cols[2];
    struct sp_merge_having count_gt = having_cmp(1, SP_CMP_GT, "1", false);
    struct sp_merge_having sum_ge = having_cmp(2, SP_CMP_GE, "40", false);
    struct sp_merge_having both = having_node(SP_HAVING_AND, &count_gt, &sum_ge);
    struct sp_merge_spec spec = {.having = &both};
    struct sp_merger *m = having_merger(&spec, keys, cols);
    /* server: ... HAVING COUNT(*) > 1 AND SUM(x) >= 40 */
    static const char *const expected[] = {"1|2|40", "2|2|60"};

    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

static void
having_or_is_null(void **state)
{
    struct sp_merge_key keys[1];
    struct sp_merge_column cols[2];
    struct sp_merge_having sum_lt = having_cmp(2, SP_CMP_LT, "20", false);
    struct sp_merge_having k_null = having_cmp(0, SP_CMP_IS_NULL, "", false);
    struct sp_merge_having either = having_node(SP_HAVING_OR, &sum_lt, &k_null);
    struct sp_merge_spec spec = {.having = &either};
    struct sp_merger *m = having_merger(&spec, keys, cols);
    /* server: ... HAVING SUM(x) < 20 OR k IS NULL */
    static const char *const expected[] = {"NULL|2|12", "3|2|1"};

    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

static void
having_not_skips_unknown(void **state)
{
    struct sp_merge_key keys[1];
    struct sp_merge_column cols[2];
    struct sp_merge_having k_eq = having_cmp(0, SP_CMP_EQ, "2", false);
    struct sp_merge_having not_eq = having_node(SP_HAVING_NOT, &k_eq, NULL);
    struct sp_merge_spec spec = {.having = &not_eq};
    struct sp_merger *m = having_merger(&spec, keys, cols);
    /* server: ... HAVING NOT (k = 2): the NULL group is unknown, so left out. */
    static const char *const expected[] = {"1|2|40", "3|2|1"};

    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

static void
having_null_safe_equal(void **state)
{
    struct sp_merge_key keys[1];
    struct sp_merge_column cols[2];
    struct sp_merge_having k_nse = having_cmp(0, SP_CMP_NULLSAFE_EQ, "NULL", false);
    struct sp_merge_spec spec = {.having = &k_nse};
    struct sp_merger *m = having_merger(&spec, keys, cols);
    /* server: ... HAVING k <=> NULL */
    static const char *const expected[] = {"NULL|2|12"};

    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

static void
having_equal_null_is_never_true(void **state)
{
    struct sp_merge_key keys[1];
    struct sp_merge_column cols[2];
    struct sp_merge_having k_eq = having_cmp(0, SP_CMP_EQ, "NULL", false);
    struct sp_merge_spec spec = {.having = &k_eq};
    struct sp_merger *m = having_merger(&spec, keys, cols);

    /* server: ... HAVING k = NULL returns no row. */
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

static void
having_string_literal_compares_as_double(void **state)
{
    struct sp_merge_key keys[1];
    struct sp_merge_column cols[2];
    struct sp_merge_having sum_gt = having_cmp(2, SP_CMP_GT, "39.5", true);
    struct sp_merge_spec spec = {.having = &sum_gt};
    struct sp_merger *m = having_merger(&spec, keys, cols);
    /* server: ... HAVING SUM(x) > '39.5' */
    static const char *const expected[] = {"1|2|40", "2|2|60"};

    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

static void
group_ordered_with_offset(void **state)
{
    struct sp_merge_key keys[1];
    struct sp_merge_column cols[2];
    struct sp_merge_key order[] = {key(2, SP_MERGE_NO_COLUMN, true)};
    struct sp_merge_spec spec = {.order_keys = order, .norder_keys = 1, .has_limit = true,
                                 .limit = 2, .offset = 1};
    struct sp_merger *m = having_merger(&spec, keys, cols);
    /* server: SELECT k, SUM(x) FROM u GROUP BY k ORDER BY SUM(x) DESC LIMIT 1, 2 */
    static const char *const expected[] = {"1|2|40", "NULL|2|12"};

    assert_next(m, expected[0]);
    assert_false(sp_merger_satisfied(m));
    assert_next(m, expected[1]);
    assert_true(sp_merger_satisfied(m));
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

static void
group_key_descending(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0),
                                   coldef(T_LONGLONG, CS_BINARY, 0, 0),
                                   coldef(T_NEWDECIMAL, CS_BINARY, 0, 0)};
    struct sp_merge_column cols[] = {agg(1, SP_MERGE_AGG_COUNT), agg(2, SP_MERGE_AGG_SUM)};
    struct sp_merge_key keys[] = {key(0, SP_MERGE_NO_COLUMN, true)};
    struct sp_merge_spec spec = {.columns = cols, .ncolumns = 2, .grouped = true,
                                 .group_keys = keys, .ngroup_keys = 1};
    struct sp_merger *m = create(&spec, defs, 3, 2, 1000);
    /* server: SELECT k FROM u GROUP BY k DESC returns 3, 2, 1, NULL. */
    static const char *const expected[] = {"3|2|1", "2|2|60", "1|2|40", "NULL|2|12"};

    PUSH(m, 3, 0, SQL_NULL, "2", "12");
    PUSH(m, 3, 0, "1", "2", "40");
    PUSH(m, 3, 1, "2", "2", "60");
    PUSH(m, 3, 1, "3", "2", "1");
    done_all(m, 2);
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

/*
 * SELECT g, COUNT(*), MAX(x), MIN(g) FROM u GROUP BY g, sent with the
 * hidden columns WEIGHT_STRING(g) and WEIGHT_STRING(MIN(g)).
 */
static void
group_by_collated_string(void **state)
{
    struct sp_column_def defs[] = {
        coldef(T_VAR_STRING, CS_GENERAL_CI, 0, 0), coldef(T_LONGLONG, CS_BINARY, 0, 0),
        coldef(T_LONG, CS_BINARY, 0, 0),           coldef(T_VAR_STRING, CS_GENERAL_CI, 0, 0),
        coldef(T_VAR_STRING, CS_BINARY, 0, 0),     coldef(T_VAR_STRING, CS_BINARY, 0, 0),
    };
    struct sp_merge_column cols[] = {agg(1, SP_MERGE_AGG_COUNT), agg(2, SP_MERGE_AGG_MAX),
                                     agg_extreme(3, SP_MERGE_AGG_MIN, -2)};
    struct sp_merge_key keys[] = {key(0, -1, false)};
    struct sp_merge_spec spec = {.nhidden = 2, .columns = cols, .ncolumns = 3, .grouped = true,
                                 .group_keys = keys, .ngroup_keys = 1};
    struct sp_merger *m = create(&spec, defs, 6, 3, 1000);
    /* server: SELECT g, COUNT(*), MAX(x), MIN(g) FROM u GROUP BY g */
    static const char *const expected[] = {"a|2|30|a", "B|3|40|B", "e|3|7|e"};

    /* server: SELECT g, COUNT(*), MAX(x), MIN(g), HEX(WEIGHT_STRING(g)),
     * HEX(WEIGHT_STRING(MIN(g))) FROM s0 GROUP BY g, then s1, then s2. */
    PUSH(m, 6, 0, "a", "1", "10", "a", "hex:0041", "hex:0041");
    PUSH(m, 6, 0, "B", "1", "20", "B", "hex:0042", "hex:0042");
    PUSH(m, 6, 0, "e", "1", "5", "e", "hex:0045", "hex:0045");
    PUSH(m, 6, 1, "A", "1", "30", "A", "hex:0041", "hex:0041");
    PUSH(m, 6, 1, "b", "1", SQL_NULL, "b", "hex:0042", "hex:0042");
    PUSH(m, 6, 1, "é", "1", "7", "é", "hex:0045", "hex:0045");
    PUSH(m, 6, 2, "b", "1", "40", "b", "hex:0042", "hex:0042");
    PUSH(m, 6, 2, "E", "1", "1", "E", "hex:0045", "hex:0045");
    done_all(m, 3);
    assert_rows(m, expected, ARRAY_LEN(expected));
    sp_merger_destroy(m);
}

/* MIN and MAX of a collated string follow the weights, not the bytes. */
static void
group_min_max_by_weight(void **state)
{
    struct sp_column_def defs[] = {
        coldef(T_VAR_STRING, CS_GENERAL_CI, 0, 0), coldef(T_VAR_STRING, CS_GENERAL_CI, 0, 0),
        coldef(T_VAR_STRING, CS_BINARY, 0, 0),     coldef(T_VAR_STRING, CS_BINARY, 0, 0),
    };
    struct sp_merge_column cols[] = {agg_extreme(0, SP_MERGE_AGG_MIN, -1),
                                     agg_extreme(1, SP_MERGE_AGG_MAX, -2)};
    struct sp_merge_spec spec = {.nhidden = 2, .columns = cols, .ncolumns = 2, .grouped = true};
    struct sp_merger *m = create(&spec, defs, 4, 2, 1000);

    PUSH(m, 4, 0, "B", "a", "hex:0042", "hex:0041");
    PUSH(m, 4, 1, "a", "B", "hex:0041", "hex:0042");
    done_all(m, 2);
    assert_next(m, "a|B");
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

/*
 * SELECT COUNT(*), SUM(x), AVG(x), MIN(g), g FROM u WHERE ..., sent with
 * the hidden columns SUM(x), COUNT(x), WEIGHT_STRING(MIN(g)). Every shard
 * returns one row, also when nothing matched.
 */
static struct sp_column_def keyless_defs[] = {
    {.type = T_LONGLONG, .charset = CS_BINARY},
    {.type = T_NEWDECIMAL, .charset = CS_BINARY},
    {.type = T_NEWDECIMAL, .charset = CS_BINARY, .decimals = 4},
    {.type = T_VAR_STRING, .charset = CS_GENERAL_CI},
    {.type = T_VAR_STRING, .charset = CS_GENERAL_CI},
    {.type = T_NEWDECIMAL, .charset = CS_BINARY},
    {.type = T_LONGLONG, .charset = CS_BINARY},
    {.type = T_VAR_STRING, .charset = CS_BINARY},
};

static struct sp_merge_spec
keyless_spec(struct sp_merge_column *cols)
{
    cols[0] = agg(0, SP_MERGE_AGG_COUNT);
    cols[1] = agg(1, SP_MERGE_AGG_SUM);
    cols[2] = agg_avg(2, -1, -2);
    cols[3] = agg_extreme(3, SP_MERGE_AGG_MIN, -3);
    return (struct sp_merge_spec){.nhidden = 3, .columns = cols, .ncolumns = 4, .grouped = true};
}

/*
 * COUNT(DISTINCT g): each shard ran ... GROUP BY g and returns one row per
 * value: COUNT(DISTINCT g), g, WEIGHT_STRING(RTRIM(g)). 'a' and 'A' weigh the
 * same under utf8mb4_general_ci (0041), so they are one value, and NULL is not counted.
 */
static void
count_distinct_across_shards(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONGLONG, CS_BINARY, 0, 0),
                                   coldef(T_VAR_STRING, CS_GENERAL_CI, 0, 0),
                                   coldef(T_VAR_STRING, CS_BINARY, 0, 0)};
    struct sp_merge_key args[] = {key(-1, -2, false)};
    struct sp_merge_column cols[] = {{0, SP_MERGE_AGG_COUNT_DISTINCT, SP_MERGE_NO_COLUMN,
                                      SP_MERGE_NO_COLUMN, SP_MERGE_NO_COLUMN, NULL, args, 1}};
    struct sp_merge_spec spec = {.nhidden = 2, .columns = cols, .ncolumns = 1, .grouped = true};
    struct sp_merger *m = create(&spec, defs, 3, 2, 100);

    PUSH(m, 3, 0, "1", "a", "hex:0041");
    PUSH(m, 3, 0, "1", "b", "hex:0042");
    PUSH(m, 3, 0, "0", SQL_NULL, SQL_NULL);
    assert_next_status(m, SP_EAGAIN);
    PUSH(m, 3, 1, "1", "A", "hex:0041");
    PUSH(m, 3, 1, "1", "c", "hex:0043");
    done_all(m, 2);
    assert_next(m, "3");
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);

    /* No shard has a row (WHERE matched nothing): the count is 0. */
    m = create(&spec, defs, 3, 2, 100);
    done_all(m, 2);
    assert_next(m, "0");
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

static void
keyless_with_empty_shards(void **state)
{
    struct sp_merge_column cols[4];
    struct sp_merge_spec spec = keyless_spec(cols);
    struct sp_merger *m = create(&spec, keyless_defs, 8, 3, 1000);

    /* server: ... WHERE x > 35 on s0 and s1 returns 0, NULL, NULL, NULL, NULL. */
    PUSH(m, 8, 0, "0", SQL_NULL, SQL_NULL, SQL_NULL, SQL_NULL, SQL_NULL, "0", SQL_NULL);
    PUSH(m, 8, 1, "0", SQL_NULL, SQL_NULL, SQL_NULL, SQL_NULL, SQL_NULL, "0", SQL_NULL);
    PUSH(m, 8, 2, "1", "40", "40.0000", "b", "b", "40", "1", "hex:0042");
    done_all(m, 3);
    /* server: SELECT COUNT(*), SUM(x), AVG(x), MIN(g), g FROM u WHERE x > 35 */
    assert_next(m, "1|40|40.0000|b|b");
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

static void
keyless_all_shards_empty(void **state)
{
    struct sp_merge_column cols[4];
    struct sp_merge_spec spec = keyless_spec(cols);
    struct sp_merger *m = create(&spec, keyless_defs, 8, 3, 1000);

    for (size_t leg = 0; leg < 3; leg++) {
        PUSH(m, 8, leg, "0", SQL_NULL, SQL_NULL, SQL_NULL, SQL_NULL, SQL_NULL, "0", SQL_NULL);
    }
    done_all(m, 3);
    /* server: SELECT COUNT(*), SUM(x), AVG(x), MIN(g), g FROM u WHERE x > 100 */
    assert_next(m, "0|NULL|NULL|NULL|NULL");
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

static void
keyless_without_rows(void **state)
{
    struct sp_merge_column cols[4];
    struct sp_merge_spec spec = keyless_spec(cols);
    struct sp_merger *m = create(&spec, keyless_defs, 8, 2, 1000);

    done_all(m, 2);
    assert_next(m, "0|NULL|NULL|NULL|NULL");
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

/* server: SELECT avg(d) FROM t1 over DECIMAL(10,2) 1.00, 2.00, 2.01 returns 1.670000. */
static void
avg_decimal_has_six_decimals(void **state)
{
    struct sp_column_def defs[] = {coldef(T_NEWDECIMAL, CS_BINARY, 6, 0),
                                   coldef(T_NEWDECIMAL, CS_BINARY, 2, 0),
                                   coldef(T_LONGLONG, CS_BINARY, 0, 0)};
    struct sp_merge_column cols[] = {agg_avg(0, -1, -2)};
    struct sp_merge_spec spec = {.nhidden = 2, .columns = cols, .ncolumns = 1, .grouped = true};
    struct sp_merger *m = create(&spec, defs, 3, 2, 1000);

    PUSH(m, 3, 0, "1.000000", "1.00", "1");
    PUSH(m, 3, 1, "2.005000", "4.01", "2");
    done_all(m, 2);
    assert_next(m, "1.670000");
    sp_merger_destroy(m);
}

static void
sum_double_prints_shortest(void **state)
{
    struct sp_column_def defs[] = {coldef(T_DOUBLE, CS_BINARY, NOT_FIXED, 0)};
    struct sp_merge_column cols[] = {agg(0, SP_MERGE_AGG_SUM)};
    struct sp_merge_spec spec = {.columns = cols, .ncolumns = 1, .grouped = true};
    struct sp_merger *m = create(&spec, defs, 1, 3, 1000);

    /* server: SUM(f) over 0.1 and 0.2 returns 0.30000000000000004 (query on u above). */
    PUSH(m, 1, 0, "0.1");
    PUSH(m, 1, 1, SQL_NULL);
    PUSH(m, 1, 2, "0.2");
    done_all(m, 3);
    assert_next(m, "0.30000000000000004");
    sp_merger_destroy(m);

    m = create(&spec, defs, 1, 2, 1000);
    PUSH(m, 1, 0, "1e20");
    PUSH(m, 1, 1, "-0.5");
    done_all(m, 2);
    assert_next(m, "1e20");
    sp_merger_destroy(m);
}

/*
 * server: CREATE TABLE d2 (f DOUBLE(10,2)) with 1.25, 2.5, 1e7;
 * SELECT SUM(f), AVG(f) FROM d2 returns 10000003.75, 3333334.583333.
 */
static void
sum_and_avg_of_fixed_double(void **state)
{
    struct sp_column_def defs[] = {coldef(T_DOUBLE, CS_BINARY, 2, 0), coldef(T_DOUBLE, CS_BINARY, 6, 0),
                                   coldef(T_DOUBLE, CS_BINARY, 2, 0),
                                   coldef(T_LONGLONG, CS_BINARY, 0, 0)};
    struct sp_merge_column cols[] = {agg(0, SP_MERGE_AGG_SUM), agg_avg(1, -1, -2)};
    struct sp_merge_spec spec = {.nhidden = 2, .columns = cols, .ncolumns = 2, .grouped = true};
    struct sp_merger *m = create(&spec, defs, 4, 2, 1000);

    PUSH(m, 4, 0, "3.75", "1.875000", "3.75", "2");
    PUSH(m, 4, 1, "10000000.00", "10000000.000000", "10000000.00", "1");
    done_all(m, 2);
    assert_next(m, "10000003.75|3333334.583333");
    sp_merger_destroy(m);
}

/* server: SELECT DISTINCT COUNT(*) FROM u GROUP BY k returns one row, 2. */
static void
group_then_distinct(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONGLONG, CS_BINARY, 0, 0), coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_column cols[] = {agg(0, SP_MERGE_AGG_COUNT)};
    struct sp_merge_key keys[] = {key(-1, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_spec spec = {.nhidden = 1, .columns = cols, .ncolumns = 1, .grouped = true,
                                 .group_keys = keys, .ngroup_keys = 1, .distinct = true};
    struct sp_merger *m = create(&spec, defs, 2, 3, 1000);

    PUSH(m, 2, 0, "1", SQL_NULL);
    PUSH(m, 2, 0, "1", "1");
    PUSH(m, 2, 0, "1", "2");
    PUSH(m, 2, 1, "1", SQL_NULL);
    PUSH(m, 2, 1, "1", "1");
    PUSH(m, 2, 1, "1", "3");
    PUSH(m, 2, 2, "1", "2");
    PUSH(m, 2, 2, "1", "3");
    done_all(m, 3);
    assert_next(m, "2");
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

/* ---- input and spec errors ---- */

static void
group_rejects_bad_count(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONGLONG, CS_BINARY, 0, 0)};
    struct sp_merge_column cols[] = {agg(0, SP_MERGE_AGG_COUNT)};
    struct sp_merge_spec spec = {.columns = cols, .ncolumns = 1, .grouped = true};
    struct sp_merger *m = create(&spec, defs, 1, 1, 1000);
    struct sp_buf out;
    struct sp_error err;

    PUSH(m, 1, 0, "18446744073709551615");
    assert_int_equal(push_row(m, 1, 0, "1"), SP_ERANGE);
    sp_merger_destroy(m);

    m = create(&spec, defs, 1, 1, 1000);
    assert_int_equal(push_row(m, 1, 0, "12x"), SP_EPROTO);
    sp_merger_leg_done(m, 0);
    sp_buf_init(&out);
    assert_int_equal(sp_merger_next(m, &out, &err), SP_EPROTO);
    assert_int_equal(err.code, 1105);
    assert_non_null(strstr(err.message, "'12x'"));
    sp_buf_deinit(&out);
    sp_merger_destroy(m);
}


static void
create_rejects_bad_specs(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0), coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_key bad_key[] = {key(-2, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_key visible_out_of_range[] = {key(1, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_column count_col[] = {agg(0, SP_MERGE_AGG_COUNT)};
    struct sp_merge_column avg_without_parts[] = {agg(0, SP_MERGE_AGG_AVG)};
    struct sp_merge_having h = having_cmp(0, SP_CMP_EQ, "1", false);
    struct sp_merge_having not_without_operand = having_node(SP_HAVING_NOT, NULL, NULL);
    struct sp_merge_spec specs[] = {
        {.nhidden = 2},
        {.nhidden = 1, .order_keys = bad_key, .norder_keys = 1},
        {.nhidden = 1, .order_keys = visible_out_of_range, .norder_keys = 1},
        {.columns = count_col, .ncolumns = 1},
        {.columns = avg_without_parts, .ncolumns = 1, .grouped = true},
        {.having = &h},
        {.grouped = true, .having = &not_without_operand},
    };
    struct sp_merger *m;
    struct sp_error err;

    for (size_t i = 0; i < ARRAY_LEN(specs); i++) {
        memset(&err, 0, sizeof(err));
        m = NULL;
        assert_int_equal(sp_merger_create(&specs[i], defs, 2, 2, 100, &m, &err), SP_EINVAL);
        assert_null(m);
        assert_int_equal(err.code, 1105);
        assert_true(strlen(err.message) > 0);
    }
}

static void
push_rejects_bad_rows(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONG, CS_BINARY, 0, 0), coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_key order[] = {key(0, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_spec spec = {.order_keys = order, .norder_keys = 1};
    struct sp_merger *m = create(&spec, defs, 2, 2, 100);
    static const uint8_t one_column[] = {0x01, '1'};
    struct sp_error err;

    assert_int_equal(push_row(m, 2, 2, "1", "2"), SP_EINVAL);
    sp_merger_leg_done(m, 1);
    assert_int_equal(push_row(m, 2, 1, "1", "2"), SP_EINVAL);

    memset(&err, 0, sizeof(err));
    assert_int_equal(sp_merger_push_row(m, 0, one_column, sizeof(one_column), &err), SP_EPROTO);
    assert_int_equal(err.code, 1105);
    assert_non_null(strstr(err.message, "leg 0"));
    sp_merger_destroy(m);
}

/* ---- typed comparison and formatting ---- */

struct cmp_case {
    enum sp_merge_class cls;
    const char *a;
    const char *b;
    int sign;
};

static int
sign_of(int v)
{
    return (v > 0) - (v < 0);
}

static void
value_cmp_by_class(void **state)
{
    static const struct cmp_case cases[] = {
        {SP_MERGE_CLASS_NUMBER, "-5", "3", -1},
        {SP_MERGE_CLASS_NUMBER, "10", "9", 1},
        {SP_MERGE_CLASS_NUMBER, "18446744073709551615", "9223372036854775807", 1},
        {SP_MERGE_CLASS_NUMBER, "18446744073709551615", "18446744073709551614", 1},
        {SP_MERGE_CLASS_NUMBER, "-9223372036854775808", "-1", -1},
        {SP_MERGE_CLASS_NUMBER, "-0.50", "-0.5", 0},
        {SP_MERGE_CLASS_NUMBER, "1.10", "1.09", 1},
        {SP_MERGE_CLASS_NUMBER, "-123456789012345678901234567890.5", "-123456789012345678901234567890.4", -1},
        {SP_MERGE_CLASS_NUMBER, "1901", "2155", -1},
        {SP_MERGE_CLASS_DOUBLE, "1e20", "9.5e19", 1},
        {SP_MERGE_CLASS_DOUBLE, "-1.5", "0.1", -1},
        {SP_MERGE_CLASS_DOUBLE, "0.30000000000000004", "0.3", 1},
        {SP_MERGE_CLASS_DOUBLE, "100", "1e2", 0},
        {SP_MERGE_CLASS_TIME, "-838:59:59.99", "-01:00:00.00", -1},
        {SP_MERGE_CLASS_TIME, "-01:00:00", "00:00:00.5", -1},
        {SP_MERGE_CLASS_TIME, "00:00:00.5", "01:00:00", -1},
        {SP_MERGE_CLASS_TIME, "838:59:59", "99:00:00", 1},
        {SP_MERGE_CLASS_TIME, "-00:00:01", "-00:00:02", 1},
        {SP_MERGE_CLASS_DATETIME, "2023-12-31 23:59:59.999", "2024-01-01 00:00:00.000", -1},
        {SP_MERGE_CLASS_DATETIME, "2024-01-01 00:00:00", "2024-01-01 00:00:00.5", -1},
        {SP_MERGE_CLASS_DATETIME, "0000-00-00", "1000-01-01", -1},
        {SP_MERGE_CLASS_BYTES, "a", "B", 1},
        {SP_MERGE_CLASS_BYTES, "ab", "a", 1},
        {SP_MERGE_CLASS_BYTES, "", "a", -1},
        {SP_MERGE_CLASS_BYTES, "abc", "abc", 0},
        {SP_MERGE_CLASS_BIT, "\x01", "\x02", -1},
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        struct sp_str a = sp_str_cstr(cases[i].a), b = sp_str_cstr(cases[i].b);

        assert_int_equal(sign_of(sp_merge_value_cmp(cases[i].cls, a, b)), cases[i].sign);
        assert_int_equal(sign_of(sp_merge_value_cmp(cases[i].cls, b, a)), -cases[i].sign);
    }
}

static void
class_of_types(void **state)
{
    assert_int_equal(sp_merge_class_of(0), SP_MERGE_CLASS_NUMBER);
    assert_int_equal(sp_merge_class_of(T_NEWDECIMAL), SP_MERGE_CLASS_NUMBER);
    assert_int_equal(sp_merge_class_of(13), SP_MERGE_CLASS_NUMBER); /* YEAR */
    assert_int_equal(sp_merge_class_of(4), SP_MERGE_CLASS_DOUBLE);
    assert_int_equal(sp_merge_class_of(7), SP_MERGE_CLASS_DATETIME);
    assert_int_equal(sp_merge_class_of(10), SP_MERGE_CLASS_DATETIME);
    assert_int_equal(sp_merge_class_of(T_TIME), SP_MERGE_CLASS_TIME);
    assert_int_equal(sp_merge_class_of(16), SP_MERGE_CLASS_BIT);
    assert_int_equal(sp_merge_class_of(252), SP_MERGE_CLASS_BYTES);
    assert_int_equal(sp_merge_class_of(254), SP_MERGE_CLASS_BYTES);
}

struct double_case {
    const char *input;
    unsigned decimals;
    const char *expected;
};

/* server: SELECT <input>e0 (or the column value) for each; DOUBLE(10,2) and FLOAT(7,3) for fixed ones. */
static void
format_double_like_server(void **state)
{
    static const struct double_case cases[] = {
        {"0.1", NOT_FIXED, "0.1"},
        {"0.30000000000000004", NOT_FIXED, "0.30000000000000004"},
        {"1e15", NOT_FIXED, "1e15"},
        {"1e14", NOT_FIXED, "100000000000000"},
        {"123456789012345", NOT_FIXED, "123456789012345"},
        {"1234567890123456", NOT_FIXED, "1.234567890123456e15"},
        {"12345678901234567", NOT_FIXED, "1.2345678901234568e16"},
        {"1000000005002888.1", NOT_FIXED, "1000000005002888.1"},
        {"1234567890123456.8", NOT_FIXED, "1234567890123456.8"},
        {"999999999999999.9", NOT_FIXED, "999999999999999.9"},
        {"99999999999999.99", NOT_FIXED, "99999999999999.98"},
        {"1e20", NOT_FIXED, "1e20"},
        {"1.5e20", NOT_FIXED, "1.5e20"},
        {"-1e15", NOT_FIXED, "-1e15"},
        {"1e-4", NOT_FIXED, "0.0001"},
        {"1e-5", NOT_FIXED, "0.00001"},
        {"-1e-7", NOT_FIXED, "-0.0000001"},
        {"1e-15", NOT_FIXED, "0.000000000000001"},
        {"1.2345678901234567e-15", NOT_FIXED, "0.0000000000000012345678901234568"},
        {"1e-16", NOT_FIXED, "1e-16"},
        {"1.5e-16", NOT_FIXED, "1.5e-16"},
        {"-1e-16", NOT_FIXED, "-1e-16"},
        {"123.456", NOT_FIXED, "123.456"},
        {"-1.5", NOT_FIXED, "-1.5"},
        {"-0.0", NOT_FIXED, "0"},
        {"0", NOT_FIXED, "0"},
        {"100", NOT_FIXED, "100"},
        {"1.7976931348623157e308", NOT_FIXED, "1.7976931348623157e308"},
        {"5e-324", NOT_FIXED, "5e-324"},
        {"0.1234567890123456789", NOT_FIXED, "0.12345678901234568"},
        {"10000003.75", 2, "10000003.75"},
        {"3333334.583333333", 6, "3333334.583333"},
        {"3.626", 3, "3.626"},
        {"1.20866666666", 7, "1.2086667"},
        {"-0.001", 2, "0.00"},
        {"1e20", 2, "100000000000000000000.00"},
        /* server: SELECT ROUND(<input>e0, <decimals>): shortest digits, then zeros */
        {"0.3333333333333333", 20, "0.33333333333333330000"},
        {"0.30000000000000004", 20, "0.30000000000000004000"},
        {"1e23", 2, "100000000000000000000000.00"},
        {"1.7976931348623157e308", 2, "179769313486231570000000000000000000000000000000000000000000"
                                      "000000000000000000000000000000000000000000000000000000000000"
                                      "000000000000000000000000000000000000000000000000000000000000"
                                      "000000000000000000000000000000000000000000000000000000000000"
                                      "000000000000000000000000000000000000000000000000000000000000"
                                      "000000000.00"},
        {"-2.5e-10", 12, "-0.000000000250"},
        {"123.456", 10, "123.4560000000"},
    };
    char buf[SP_MERGE_DOUBLE_TEXT_MAX];

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        double v = strtod(cases[i].input, NULL);
        size_t len = sp_merge_format_double(v, cases[i].decimals, buf);

        assert_int_equal(len, strlen(buf));
        assert_string_equal(buf, cases[i].expected);
    }
}

struct literal_case {
    enum sp_merge_class cls;
    uint16_t charset;
    const char *value;
    const char *literal;
    bool literal_is_string;
    int sign;
};

static void
literal_cmp_like_server(void **state)
{
    static const struct literal_case cases[] = {
        {SP_MERGE_CLASS_NUMBER, CS_BINARY, "10", "9.5", false, 1},
        {SP_MERGE_CLASS_NUMBER, CS_BINARY, "2.255000", "2.255", false, 0},
        {SP_MERGE_CLASS_NUMBER, CS_BINARY, "18446744073709551615", "18446744073709551614", false, 1},
        {SP_MERGE_CLASS_NUMBER, CS_BINARY, "100", "1e2", false, 0},
        /* server: SELECT 10 = '10abc' returns 1. */
        {SP_MERGE_CLASS_NUMBER, CS_BINARY, "10", "10abc", true, 0},
        {SP_MERGE_CLASS_NUMBER, CS_BINARY, "40", "39.5", true, 1},
        {SP_MERGE_CLASS_DOUBLE, CS_BINARY, "1e20", "1e19", false, 1},
        {SP_MERGE_CLASS_DOUBLE, CS_BINARY, "0.1", "0.1", true, 0},
        /* server: SELECT * FROM dt WHERE d > '2024-01-01' returns only the .500 row. */
        {SP_MERGE_CLASS_DATETIME, CS_BINARY, "2024-01-01 00:00:00.500", "2024-01-01", true, 1},
        {SP_MERGE_CLASS_DATETIME, CS_BINARY, "2024-01-01 00:00:00.000", "2024-01-01", true, 0},
        {SP_MERGE_CLASS_DATETIME, CS_BINARY, "2023-12-31 23:59:59.999", "2024-01-01", true, -1},
        /* server: ... WHERE d > 20240101 returns the same row. */
        {SP_MERGE_CLASS_DATETIME, CS_BINARY, "2024-01-01 00:00:00.000", "20240101", false, 0},
        {SP_MERGE_CLASS_DATETIME, CS_BINARY, "2024-01-01 00:00:00.500", "20240101", false, 1},
        {SP_MERGE_CLASS_DATETIME, CS_BINARY, "2024-01-05", "2024-1-5", true, 0},
        {SP_MERGE_CLASS_DATETIME, CS_BINARY, "2024-01-05 10:00:00", "20240105100000", false, 0},
        /* server: SELECT * FROM dt WHERE t > 1000 returns only 838:59:59.00. */
        {SP_MERGE_CLASS_TIME, CS_BINARY, "838:59:59.00", "1000", false, 1},
        {SP_MERGE_CLASS_TIME, CS_BINARY, "00:00:00.50", "1000", false, -1},
        {SP_MERGE_CLASS_TIME, CS_BINARY, "-01:00:00.00", "1000", false, -1},
        {SP_MERGE_CLASS_TIME, CS_BINARY, "12:30:00", "12:30", true, 0},
        {SP_MERGE_CLASS_TIME, CS_BINARY, "34:00:00", "1 10:00:00", true, 0},
        /* server: SELECT 'a ' = 'a', BINARY 'a ' = 'a', '10' > 9 returns 1, 0, 1. */
        {SP_MERGE_CLASS_BYTES, CS_GENERAL_CI, "a ", "a", true, 0},
        {SP_MERGE_CLASS_BYTES, CS_BINARY, "a ", "a", true, 1},
        {SP_MERGE_CLASS_BYTES, CS_GENERAL_CI, "10", "9", false, 1},
        {SP_MERGE_CLASS_BYTES, CS_GENERAL_CI, "b", "a", true, 1},
        /* server: SELECT b'101' = 5 returns 1. */
        {SP_MERGE_CLASS_BIT, CS_BINARY, "\x05", "5", false, 0},
    };

    for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
        const struct literal_case *c = &cases[i];
        int got = sp_merge_literal_cmp(c->cls, c->charset, sp_str_cstr(c->value),
                                       sp_str_cstr(c->literal), c->literal_is_string);

        assert_int_equal(sign_of(got), c->sign);
    }
}

static void
string_to_double_prefix(void **state)
{
    assert_true(sp_merge_string_to_double(sp_str_cstr("  12.5abc")) == 12.5);
    assert_true(sp_merge_string_to_double(sp_str_cstr("1e3x")) == 1000.0);
    assert_true(sp_merge_string_to_double(sp_str_cstr("1e")) == 1.0);
    assert_true(sp_merge_string_to_double(sp_str_cstr("abc")) == 0.0);
    assert_true(sp_merge_string_to_double(sp_str_cstr("inf")) == 0.0);
    assert_true(sp_merge_string_to_double(sp_str_cstr("0x10")) == 0.0);
    assert_true(sp_merge_string_to_double(sp_str_cstr("-.5")) == -0.5);
}


static struct sp_merge_expr
expr_col(int32_t col)
{
    return (struct sp_merge_expr){.op = SP_EXPR_COLUMN, .col = col,
                                  .count_col = SP_MERGE_NO_COLUMN};
}

static struct sp_merge_expr
expr_op(enum sp_merge_expr_op op, const struct sp_merge_expr *a, const struct sp_merge_expr *b)
{
    return (struct sp_merge_expr){.op = op, .arg = {a, b}, .col = SP_MERGE_NO_COLUMN,
                                  .count_col = SP_MERGE_NO_COLUMN};
}

static struct sp_merge_column
agg_expr(int32_t col, const struct sp_merge_expr *e)
{
    return (struct sp_merge_column){col, SP_MERGE_AGG_EXPR, SP_MERGE_NO_COLUMN,
                                    SP_MERGE_NO_COLUMN, SP_MERGE_NO_COLUMN, e, NULL, 0};
}

/*
 * server, over DECIMAL(10,5) 0.00001, 0.00001, 0: SELECT SUM(d) / COUNT(*),
 * AVG(d) returns 0.000006666 twice: the quotient is cut after nine digits,
 * not rounded.
 */
static void
expr_decimal_quotient_is_cut(void **state)
{
    struct sp_column_def defs[] = {coldef(T_NEWDECIMAL, CS_BINARY, 9, 0),
                                   coldef(T_NEWDECIMAL, CS_BINARY, 9, 0),
                                   coldef(T_NEWDECIMAL, CS_BINARY, 5, 0),
                                   coldef(T_LONGLONG, CS_BINARY, 0, 0)};
    struct sp_merge_expr sum = expr_col(-1), count = expr_col(-2);
    struct sp_merge_expr div = expr_op(SP_EXPR_DIV, &sum, &count);
    struct sp_merge_column cols[] = {agg(-1, SP_MERGE_AGG_SUM), agg(-2, SP_MERGE_AGG_COUNT),
                                     agg_expr(0, &div), agg_avg(1, -1, -2)};
    struct sp_merge_spec spec = {.nhidden = 2, .columns = cols, .ncolumns = 4, .grouped = true};
    struct sp_merger *m = create(&spec, defs, 4, 2, 1000);

    (void)state;
    PUSH(m, 4, 0, "0.000010000", "0.000010000", "0.00001", "2");
    PUSH(m, 4, 1, "0.000010000", "0.000010000", "0.00001", "1");
    done_all(m, 2);
    assert_next(m, "0.000006666|0.000006666");
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

/*
 * server: SELECT COUNT(*) + 1, COUNT(*) DIV 0, SUM(f) * 2 over the shards
 * above: BIGINT, NULL for a division by zero, DOUBLE.
 */
static void
expr_integer_null_and_double(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONGLONG, CS_BINARY, 0, 0),
                                   coldef(T_LONGLONG, CS_BINARY, 0, 0),
                                   coldef(T_DOUBLE, CS_BINARY, NOT_FIXED, 0),
                                   coldef(T_LONGLONG, CS_BINARY, 0, 0),
                                   coldef(T_DOUBLE, CS_BINARY, NOT_FIXED, 0)};
    struct sp_merge_expr count = expr_col(-1), sum = expr_col(-2);
    struct sp_merge_expr one = {.op = SP_EXPR_NUMBER, .text = sp_str_cstr("1")};
    struct sp_merge_expr zero = {.op = SP_EXPR_NUMBER, .text = sp_str_cstr("0")};
    struct sp_merge_expr two = {.op = SP_EXPR_NUMBER, .text = sp_str_cstr("2")};
    struct sp_merge_expr plus = expr_op(SP_EXPR_ADD, &count, &one);
    struct sp_merge_expr idiv = expr_op(SP_EXPR_INT_DIV, &count, &zero);
    struct sp_merge_expr times = expr_op(SP_EXPR_MUL, &sum, &two);
    struct sp_merge_column cols[] = {agg(-1, SP_MERGE_AGG_COUNT), agg(-2, SP_MERGE_AGG_SUM),
                                     agg_expr(0, &plus), agg_expr(1, &idiv),
                                     agg_expr(2, &times)};
    struct sp_merge_spec spec = {.nhidden = 2, .columns = cols, .ncolumns = 5, .grouped = true};
    struct sp_merger *m = create(&spec, defs, 5, 3, 1000);

    (void)state;
    PUSH(m, 5, 0, "3", NULL, "0.30000000000000004", "3", "0.30000000000000004");
    PUSH(m, 5, 1, "3", NULL, "1e20", "3", "1e20");
    PUSH(m, 5, 2, "2", NULL, "-0.4", "2", "-0.4");
    done_all(m, 3);
    assert_next(m, "9|NULL|2e20");
    sp_merger_destroy(m);
}

/* server: SELECT MAX(x) * 9223372036854775807 fails with 1690 "BIGINT value is out of range". */
static void
expr_bigint_overflow_fails_with_1690(void **state)
{
    struct sp_column_def defs[] = {coldef(T_LONGLONG, CS_BINARY, 0, 0),
                                   coldef(T_LONG, CS_BINARY, 0, 0)};
    struct sp_merge_expr max = expr_col(-1);
    struct sp_merge_expr big = {.op = SP_EXPR_NUMBER, .text = sp_str_cstr("9223372036854775807")};
    struct sp_merge_expr times = expr_op(SP_EXPR_MUL, &max, &big);
    struct sp_merge_column cols[] = {agg(-1, SP_MERGE_AGG_MAX), agg_expr(0, &times)};
    struct sp_merge_spec spec = {.nhidden = 1, .columns = cols, .ncolumns = 2, .grouped = true};
    struct sp_merger *m = create(&spec, defs, 2, 2, 1000);
    struct sp_buf out;
    struct sp_error err;

    (void)state;
    PUSH(m, 2, 0, "0", "40");
    PUSH(m, 2, 1, "0", "7");
    done_all(m, 2);
    sp_buf_init(&out);
    assert_int_equal(sp_merger_next(m, &out, &err), SP_ERANGE);
    assert_int_equal(err.code, SP_ER_DATA_OUT_OF_RANGE);
    assert_string_equal(err.sqlstate, "22003");
    sp_buf_deinit(&out);
    sp_merger_destroy(m);
}

/* An expression whose operand is a string column is refused when the merger is created. */
static void
expr_over_a_string_is_refused(void **state)
{
    struct sp_column_def defs[] = {coldef(T_DOUBLE, CS_BINARY, NOT_FIXED, 0),
                                   coldef(T_VAR_STRING, CS_GENERAL_CI, 0, 0)};
    struct sp_merge_expr max = expr_col(-1);
    struct sp_merge_expr neg = expr_op(SP_EXPR_NEG, &max, NULL);
    struct sp_merge_column cols[] = {agg(-1, SP_MERGE_AGG_MAX), agg_expr(0, &neg)};
    struct sp_merge_spec spec = {.nhidden = 1, .columns = cols, .ncolumns = 2, .grouped = true};
    struct sp_merger *m = NULL;
    struct sp_error err;

    (void)state;
    assert_int_equal(sp_merger_create(&spec, defs, 2, 2, 1000, &m, &err), SP_EINVAL);
    assert_null(m);
    assert_int_equal(err.code, SP_ER_NOT_SUPPORTED_YET);
}

/*
 * SELECT g2, COUNT(DISTINCT x), SUM(DISTINCT d), AVG(DISTINCT d), COUNT(*)
 * ... GROUP BY g2: each shard grouped by g2, x and d, so a row is one
 * (group, x, d) list with COUNT(*) of its rows. Lists that several shards
 * share count once; a NULL argument counts for nothing, COUNT(*) adds up.
 * Group 'p' has x = 10, 20, 10, NULL and d = 1.00, 2.50, 1.00, 2.00 (two
 * distinct x; distinct d 1.00, 2.50, 2.00 sum to 5.50); group 'q' has
 * one row of NULLs.
 */
static void
distinct_aggregates_in_groups(void **state)
{
    struct sp_column_def defs[] = {
        coldef(T_VAR_STRING, CS_BINARY, 0, 0),  coldef(T_LONGLONG, CS_BINARY, 0, 0),
        coldef(T_NEWDECIMAL, CS_BINARY, 2, 0),  coldef(T_NEWDECIMAL, CS_BINARY, 6, 0),
        coldef(T_LONGLONG, CS_BINARY, 0, 0),    coldef(T_LONG, CS_BINARY, 0, 0),
        coldef(T_NEWDECIMAL, CS_BINARY, 2, 0)};
    struct sp_merge_key xarg[] = {key(-1, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_key darg[] = {key(-2, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_key group[] = {key(0, SP_MERGE_NO_COLUMN, false)};
    struct sp_merge_column cols[] = {
        agg(0, SP_MERGE_AGG_NONE),
        {1, SP_MERGE_AGG_COUNT_DISTINCT, SP_MERGE_NO_COLUMN, SP_MERGE_NO_COLUMN,
         SP_MERGE_NO_COLUMN, NULL, xarg, 1},
        {2, SP_MERGE_AGG_SUM_DISTINCT, SP_MERGE_NO_COLUMN, SP_MERGE_NO_COLUMN, SP_MERGE_NO_COLUMN,
         NULL, darg, 1},
        {3, SP_MERGE_AGG_AVG_DISTINCT, SP_MERGE_NO_COLUMN, SP_MERGE_NO_COLUMN, SP_MERGE_NO_COLUMN,
         NULL, darg, 1},
        agg(4, SP_MERGE_AGG_COUNT)};
    struct sp_merge_spec spec = {.nhidden = 2, .columns = cols, .ncolumns = 5, .grouped = true,
                                 .group_keys = group, .ngroup_keys = 1, .order_keys = group,
                                 .norder_keys = 1};
    struct sp_merger *m = create(&spec, defs, 7, 2, 1000);

    (void)state;
    PUSH(m, 7, 0, "p", "1", "1.00", "1.000000", "1", "10", "1.00");
    PUSH(m, 7, 0, "p", "1", "2.50", "2.500000", "1", "20", "2.50");
    PUSH(m, 7, 0, "q", "0", SQL_NULL, SQL_NULL, "1", SQL_NULL, SQL_NULL);
    PUSH(m, 7, 1, "p", "1", "1.00", "1.000000", "1", "10", "1.00");
    PUSH(m, 7, 1, "p", "0", "2.00", "2.000000", "1", SQL_NULL, "2.00");
    done_all(m, 2);
    assert_next(m, "p|2|5.50|1.833333|4");
    assert_next(m, "q|0|NULL|NULL|1");
    assert_next_status(m, SP_ENOTFOUND);
    sp_merger_destroy(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(stream_three_legs_interleaved),
        cmocka_unit_test(stream_desc_puts_null_last),
        cmocka_unit_test(stream_asc_puts_null_first),
        cmocka_unit_test(stream_orders_decimal_and_time),
        cmocka_unit_test(stream_weight_string_order),
        cmocka_unit_test(stream_without_weight_orders_bytes),
        cmocka_unit_test(stream_offset_limit_across_legs),
        cmocka_unit_test(stream_limit_zero),
        cmocka_unit_test(stream_leg_full_and_drain),
        cmocka_unit_test(pass_keeps_arrival_order),
        cmocka_unit_test(pass_ends_when_legs_done),
        cmocka_unit_test(pass_leg_full_until_drained),
        cmocka_unit_test(distinct_adjacent_by_weight),
        cmocka_unit_test(distinct_hash_set),
        cmocka_unit_test(distinct_ordered_by_hidden_column),
        cmocka_unit_test(distinct_set_overflow),
        cmocka_unit_test(group_aggregates_and_null_group),
        cmocka_unit_test(group_having_decimal_average),
        cmocka_unit_test(group_max_rows_overflow),
        cmocka_unit_test(having_and),
        cmocka_unit_test(having_or_is_null),
        cmocka_unit_test(having_not_skips_unknown),
        cmocka_unit_test(having_null_safe_equal),
        cmocka_unit_test(having_equal_null_is_never_true),
        cmocka_unit_test(having_string_literal_compares_as_double),
        cmocka_unit_test(group_ordered_with_offset),
        cmocka_unit_test(group_key_descending),
        cmocka_unit_test(group_by_collated_string),
        cmocka_unit_test(group_min_max_by_weight),
        cmocka_unit_test(count_distinct_across_shards),
        cmocka_unit_test(distinct_aggregates_in_groups),
        cmocka_unit_test(keyless_with_empty_shards),
        cmocka_unit_test(keyless_all_shards_empty),
        cmocka_unit_test(keyless_without_rows),
        cmocka_unit_test(avg_decimal_has_six_decimals),
        cmocka_unit_test(expr_decimal_quotient_is_cut),
        cmocka_unit_test(expr_integer_null_and_double),
        cmocka_unit_test(expr_bigint_overflow_fails_with_1690),
        cmocka_unit_test(expr_over_a_string_is_refused),
        cmocka_unit_test(sum_double_prints_shortest),
        cmocka_unit_test(sum_and_avg_of_fixed_double),
        cmocka_unit_test(group_then_distinct),
        cmocka_unit_test(group_rejects_bad_count),
        cmocka_unit_test(create_rejects_bad_specs),
        cmocka_unit_test(push_rejects_bad_rows),
        cmocka_unit_test(value_cmp_by_class),
        cmocka_unit_test(class_of_types),
        cmocka_unit_test(format_double_like_server),
        cmocka_unit_test(literal_cmp_like_server),
        cmocka_unit_test(string_to_double_prefix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
