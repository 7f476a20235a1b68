/*
 * Unit tests for router/sessionfn.c: LAST_INSERT_ID(), ROW_COUNT(),
 * FOUND_ROWS() and @@autocommit replaced by the session's values, with
 * the column names kept.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "router/sessionfn.h"

static struct sp_arena arena;

static int
setup(void **state)
{
    (void)state;
    sp_arena_init(&arena, 4096);
    return 0;
}

static int
teardown(void **state)
{
    (void)state;
    sp_arena_deinit(&arena);
    return 0;
}

static void
assert_str(struct sp_str s, const char *expected)
{
    if (s.len != strlen(expected) || memcmp(s.ptr, expected, s.len) != 0) {
        fail_msg("got \"%.*s\", expected \"%s\"", (int)s.len, s.ptr, expected);
    }
    assert_int_equal(s.len, strlen(expected));
    assert_memory_equal(s.ptr, expected, s.len);
}

/* Runs sp_sessionfn_replace with fixed session values. */
static struct sp_str
replace_calls(const char *sql, struct sp_session_functions *fn)
{
    struct sp_str out;

    fn->last_insert_id = 42;
    fn->row_count = -1;
    fn->found_rows = 7;
    assert_int_equal(sp_sessionfn_replace(sp_str_cstr(sql), fn, &arena, &out), SP_OK);
    return out;
}

static void
session_function_calls(void **state)
{
    struct sp_session_functions fn = {.found_rows_known = true};

    (void)state;
    assert_str(replace_calls("SELECT LAST_INSERT_ID(), last_insert_id ( ) + 1, "
                             "'LAST_INSERT_ID()', LAST_INSERT_ID(5)", &fn),
               "SELECT 42 AS `LAST_INSERT_ID()`, 42 + 1 AS `last_insert_id ( ) + 1`, "
               "'LAST_INSERT_ID()', LAST_INSERT_ID(5)");
    assert_int_equal(fn.sets, SP_LAST_INSERT_ID_LITERAL);
    assert_int_equal(fn.set_value, 5);

    assert_str(replace_calls("SELECT id FROM t WHERE id = 1", &fn), "SELECT id FROM t WHERE id = 1");
    assert_int_equal(fn.sets, SP_LAST_INSERT_ID_KEEP);

    /* Aliases stay, and items that already have one get none. */
    assert_str(replace_calls("SELECT ROW_COUNT() AS rc, FOUND_ROWS() n, x-ROW_COUNT() FROM t", &fn),
               "SELECT (-1) AS rc, 7 n, x-(-1) AS `x-ROW_COUNT()` FROM t");
    assert_str(replace_calls("SELECT DISTINCT ROW_COUNT() IS NULL, `a``b`.c + FOUND_ROWS();", &fn),
               "SELECT DISTINCT (-1) IS NULL AS `ROW_COUNT() IS NULL`, `a``b`.c + 7 AS "
               "```a````b``.c + FOUND_ROWS()`;");
    assert_str(replace_calls("SELECT ROW_COUNT() LIKE b", &fn),
               "SELECT (-1) LIKE b AS `ROW_COUNT() LIKE b`");
    /* Outside a select list only the value changes. */
    assert_str(replace_calls("UPDATE t SET n = LAST_INSERT_ID() WHERE id = ROW_COUNT()", &fn),
               "UPDATE t SET n = 42 WHERE id = (-1)");
    assert_str(replace_calls("SELECT a FROM t WHERE b = FOUND_ROWS() LIMIT 1", &fn),
               "SELECT a FROM t WHERE b = 7 LIMIT 1");

    /* After SQL_CALC_FOUND_ROWS the count is on a backend: FOUND_ROWS() stays. */
    fn.found_rows_known = false;
    assert_str(replace_calls("SELECT FOUND_ROWS()", &fn), "SELECT FOUND_ROWS()");
    assert_true(fn.found_rows_left);
    replace_calls("SELECT SQL_NO_CACHE SQL_CALC_FOUND_ROWS a FROM t LIMIT 1", &fn);
    assert_true(fn.calc_found_rows);
    assert_false(fn.found_rows_left);

    /* Reads of @@autocommit get the session's mode; SET and GLOBAL stay. */
    fn.autocommit_known = true;
    fn.autocommit = false;
    assert_str(replace_calls("SELECT @@autocommit, @@SESSION.autocommit a, @@global.autocommit", &fn),
               "SELECT 0 AS `@@autocommit`, 0 a, @@global.autocommit");
    assert_str(replace_calls("SET @@autocommit = 1, @@local.sql_mode = ''", &fn),
               "SET @@autocommit = 1, @@local.sql_mode = ''");
    fn.autocommit_known = false;

    /* The LIMIT offset of a SELECT, which FOUND_ROWS() counts. */
    replace_calls("SELECT a FROM t ORDER BY a LIMIT 5, 10", &fn);
    assert_int_equal(fn.limit_offset, 5);
    replace_calls("SELECT 1 LIMIT 3 OFFSET 7", &fn);
    assert_int_equal(fn.limit_offset, 7);
    replace_calls("SELECT a FROM (SELECT a FROM t LIMIT 2, 1) d LIMIT 4", &fn);
    assert_int_equal(fn.limit_offset, 0);
    replace_calls("DELETE FROM t_counts ORDER BY a LIMIT 5", &fn);
    assert_int_equal(fn.limit_offset, 0);

    /* @@identity and @@last_insert_id are LAST_INSERT_ID(). */
    assert_str(replace_calls("SELECT @@identity, @@SESSION.last_insert_id AS l", &fn),
               "SELECT 42 AS `@@identity`, 42 AS l");
    /* Later statements of a text run where the first ran, which has their values. */
    assert_str(replace_calls("INSERT INTO t VALUES (ROW_COUNT()); SELECT ROW_COUNT()", &fn),
               "INSERT INTO t VALUES ((-1)); SELECT ROW_COUNT()");
    assert_str(replace_calls("SELECT ROW_COUNT(); SELECT ROW_COUNT()", &fn),
               "SELECT (-1) AS `ROW_COUNT()`; SELECT ROW_COUNT()");

    replace_calls("UPDATE seq SET id = LAST_INSERT_ID(id + 1)", &fn);
    assert_int_equal(fn.sets, SP_LAST_INSERT_ID_EXPR);

    /* An expression anywhere in the text wins over a literal. */
    replace_calls("SELECT LAST_INSERT_ID(MAX(id)), LAST_INSERT_ID(3) FROM t", &fn);
    assert_int_equal(fn.sets, SP_LAST_INSERT_ID_EXPR);

    replace_calls("SELECT LAST_INSERT_ID(99999999999999999999999)", &fn);
    assert_int_equal(fn.sets, SP_LAST_INSERT_ID_EXPR);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(session_function_calls, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
