/*
 * Unit tests for router/sqlprepare.c: PREPARE, EXECUTE and DEALLOCATE
 * PREPARE parsing, the user variable assignments of SET and of other
 * statements, and parameter marker substitution.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "router/sqlprepare.h"

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

static struct sp_sqlps
parse(const char *sql, int expected_rc)
{
    struct sp_sqlps ps;

    assert_int_equal(sp_sqlps_parse(sp_str_cstr(sql), &arena, &ps), expected_rc);
    return ps;
}

static void
prepare_execute_deallocate(void **state)
{
    struct sp_sqlps ps;

    (void)state;
    ps = parse("PREPARE s1 FROM 'SELECT c FROM t WHERE id = ? AND c <> ''it''''s'''", SP_OK);
    assert_int_equal(ps.kind, SP_SQLPS_PREPARE);
    assert_str(ps.name, "s1");
    assert_str(ps.text, "SELECT c FROM t WHERE id = ? AND c <> 'it''s'");
    assert_int_equal(sp_sqlps_count_markers(ps.text), 1);

    ps = parse("prepare `my stmt` from \"SELECT ?\" ;", SP_OK);
    assert_int_equal(ps.kind, SP_SQLPS_PREPARE);
    assert_str(ps.name, "my stmt");
    ps = parse("PREPARE s FROM @sql_text", SP_OK);
    assert_true(ps.from_variable);

    ps = parse("EXECUTE s1 USING @a, @`b c`, @'d'", SP_OK);
    assert_int_equal(ps.kind, SP_SQLPS_EXECUTE);
    assert_int_equal(ps.nvars, 3);
    assert_str(ps.vars[0], "a");
    assert_str(ps.vars[1], "b c");
    assert_str(ps.vars[2], "d");
    assert_false(ps.using_other);
    ps = parse("EXECUTE s1 USING 5, @a", SP_OK);
    assert_true(ps.using_other);
    ps = parse("EXECUTE s1", SP_OK);
    assert_int_equal(ps.nvars, 0);

    ps = parse("DEALLOCATE PREPARE s1", SP_OK);
    assert_int_equal(ps.kind, SP_SQLPS_DEALLOCATE);
    ps = parse("DROP PREPARE s1;", SP_OK);
    assert_int_equal(ps.kind, SP_SQLPS_DEALLOCATE);
}

static void
other_and_malformed_statements(void **state)
{
    (void)state;
    assert_int_equal(parse("DROP TABLE t", SP_OK).kind, SP_SQLPS_NONE);
    assert_int_equal(parse("SELECT 1", SP_OK).kind, SP_SQLPS_NONE);
    /* A second statement leaves multi-statement text to the router. */
    assert_int_equal(parse("PREPARE s FROM 'SELECT 1'; SELECT 2", SP_OK).kind, SP_SQLPS_NONE);
    parse("PREPARE s FROM", SP_EINVAL);
    parse("PREPARE s 'SELECT 1'", SP_EINVAL);
    parse("PREPARE FROM 'SELECT 1'", SP_EINVAL);
    parse("EXECUTE s USING @a junk", SP_EINVAL);
    parse("DEALLOCATE PREPARE", SP_EINVAL);
}

static void
set_assignments(void **state)
{
    struct sp_user_assign *a;
    size_t n;

    (void)state;
    assert_int_equal(sp_sqlps_user_assignments(
                         sp_str_cstr("SET @a = 5, @b := -2.5, SESSION sql_mode = '', @c = 'x,y', "
                                     "@d = NOW(), @e = NULL, @f = (1), @g = 1 + 1"),
                         &arena, &a, &n),
                     SP_OK);
    assert_int_equal(n, 7);
    assert_str(a[0].name, "a");
    assert_str(a[0].literal, "5");
    assert_str(a[1].literal, "-2.5");
    assert_str(a[2].name, "c");
    assert_str(a[2].literal, "'x,y'");
    assert_int_equal(a[3].literal.len, 0);
    assert_str(a[4].literal, "NULL");
    assert_int_equal(a[5].literal.len, 0);
    assert_int_equal(a[6].literal.len, 0);

    assert_int_equal(sp_sqlps_user_assignments(sp_str_cstr("SELECT @a := 1"), &arena, &a, &n),
                     SP_OK);
    assert_int_equal(n, 0);
}

static void
writes_outside_set(void **state)
{
    struct sp_str *w;
    size_t n;

    (void)state;
    assert_int_equal(sp_sqlps_user_writes(sp_str_cstr("SELECT @x := id, c INTO @y, @z FROM t"),
                                          &arena, &w, &n),
                     SP_OK);
    assert_int_equal(n, 3);
    assert_str(w[0], "x");
    assert_str(w[1], "y");
    assert_str(w[2], "z");
    assert_int_equal(sp_sqlps_user_writes(sp_str_cstr("SELECT @x FROM t WHERE '@y := 1'"), &arena,
                                          &w, &n),
                     SP_OK);
    assert_int_equal(n, 0);
}

static void
substitute_markers(void **state)
{
    const struct sp_str values[] = {sp_str_cstr("5"), sp_str_cstr("'a?b'")};
    struct sp_str out;

    (void)state;
    assert_int_equal(sp_sqlps_substitute(sp_str_cstr("SELECT ? /* ? */, '?', ?"), values, 2, &arena,
                                         &out),
                     SP_OK);
    assert_str(out, "SELECT 5 /* ? */, '?', 'a?b'");
    assert_int_equal(sp_sqlps_substitute(sp_str_cstr("SELECT ?"), values, 2, &arena, &out),
                     SP_EINVAL);
}

static void
name_marker_columns(void **state)
{
    struct sp_str out;

    (void)state;
    assert_int_equal(sp_sqlps_name_marker_columns(
                         sp_str_cstr("SELECT SUM(k) + ?, c AS x, ?, `a`, ? AS y FROM t WHERE id = ?"),
                         &arena, &out),
                     SP_OK);
    assert_str(out, "SELECT SUM(k) + ? AS `SUM(k) + ?`, c AS x, ? AS `?`, `a`, ? AS y FROM t WHERE id = ?");
    assert_int_equal(sp_sqlps_name_marker_columns(sp_str_cstr("SELECT c FROM t WHERE id = ?"),
                                                  &arena, &out),
                     SP_OK);
    assert_str(out, "SELECT c FROM t WHERE id = ?");
    assert_int_equal(sp_sqlps_name_marker_columns(sp_str_cstr("INSERT INTO t VALUES (?)"), &arena,
                                                  &out),
                     SP_OK);
    assert_str(out, "INSERT INTO t VALUES (?)");
    /* A backquote in the item is doubled inside the alias. */
    assert_int_equal(sp_sqlps_name_marker_columns(sp_str_cstr("SELECT `a``b` + ? FROM t"), &arena,
                                                  &out),
                     SP_OK);
    assert_str(out, "SELECT `a``b` + ? AS ```a````b`` + ?` FROM t");
}

static void
session_assignments(void **state)
{
    struct sp_session_assign *a;
    bool trackable;
    size_t n;

    (void)state;
    assert_int_equal(sp_sqlps_session_assignments(
                         sp_str_cstr("SET time_zone = '+05:00', SESSION SQL_MODE = 'ANSI',"
                                     " @@session.group_concat_max_len := 10, @@Lock_Wait_Timeout = -3;"),
                         &arena, &a, &n, &trackable),
                     SP_OK);
    assert_true(trackable);
    assert_int_equal(n, 4);
    assert_str(a[0].name, "time_zone");
    assert_str(a[0].value, "'+05:00'");
    assert_str(a[1].name, "sql_mode");
    assert_str(a[1].value, "'ANSI'");
    assert_str(a[2].name, "group_concat_max_len");
    assert_str(a[3].name, "lock_wait_timeout");

    /* Anything the proxy cannot replay leaves the whole SET to the old path. */
    const char *const others[] = {
        "SET @a = 1", "SET GLOBAL sql_mode = ''", "SET @@global.time_zone = '+00:00'",
        "SET NAMES utf8mb4", "SET autocommit = 0", "SET time_zone = '+01:00', @a = 1",
        "SET TRANSACTION ISOLATION LEVEL READ COMMITTED", "SET some_unknown_var = 1",
        "SET time_zone = '+01:00'; SELECT 1", "SELECT 1",
        "SET sql_mode = CONCAT(@@sql_mode, ',ANSI')", "SET time_zone = @@global.time_zone",
    };
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
        assert_int_equal(sp_sqlps_session_assignments(sp_str_cstr(others[i]), &arena, &a, &n,
                                                      &trackable),
                         SP_OK);
        assert_false(trackable);
    }
}

static void
savepoint_statements(void **state)
{
    struct sp_str name;

    (void)state;
    assert_int_equal(sp_sqlps_savepoint(sp_str_cstr("SAVEPOINT sp1"), &name), SP_SAVEPOINT_SET);
    assert_str(name, "sp1");
    assert_int_equal(sp_sqlps_savepoint(sp_str_cstr("rollback work to savepoint `a b`;"), &name),
                     SP_SAVEPOINT_ROLLBACK);
    assert_str(name, "`a b`");
    assert_int_equal(sp_sqlps_savepoint(sp_str_cstr("ROLLBACK TO sp1"), &name),
                     SP_SAVEPOINT_ROLLBACK);
    assert_int_equal(sp_sqlps_savepoint(sp_str_cstr("RELEASE SAVEPOINT sp1"), &name),
                     SP_SAVEPOINT_RELEASE);
    assert_int_equal(sp_sqlps_savepoint(sp_str_cstr("ROLLBACK"), &name), SP_SAVEPOINT_NONE);
    assert_int_equal(sp_sqlps_savepoint(sp_str_cstr("SAVEPOINT"), &name), SP_SAVEPOINT_NONE);
    assert_int_equal(sp_sqlps_savepoint(sp_str_cstr("SAVEPOINT a; SELECT 1"), &name),
                     SP_SAVEPOINT_NONE);
}

static void
set_names_and_autocommit(void **state)
{
    struct sp_str charset, collation;

    (void)state;
    assert_true(sp_sqlps_set_names(sp_str_cstr("SET NAMES utf8mb4"), &charset, &collation));
    assert_str(charset, "utf8mb4");
    assert_null(collation.ptr);
    assert_true(sp_sqlps_set_names(sp_str_cstr("set names 'latin1' collate `latin1_bin`;"),
                                   &charset, &collation));
    assert_str(charset, "latin1");
    assert_str(collation, "latin1_bin");
    assert_false(sp_sqlps_set_names(sp_str_cstr("SET NAMES DEFAULT"), &charset, &collation));
    assert_false(sp_sqlps_set_names(sp_str_cstr("SET NAMES utf8, sql_mode = ''"), &charset,
                                    &collation));

    assert_int_equal(sp_sqlps_autocommit(sp_str_cstr("SET AUTOCOMMIT = 0")), 0);
    assert_int_equal(sp_sqlps_autocommit(sp_str_cstr("set session autocommit=ON;")), 1);
    assert_int_equal(sp_sqlps_autocommit(sp_str_cstr("SET @@autocommit := false")), 0);
    assert_int_equal(sp_sqlps_autocommit(sp_str_cstr("SET autocommit = 2")), -1);
    assert_int_equal(sp_sqlps_autocommit(sp_str_cstr("SET autocommit = 0, sql_mode = ''")), -1);
    assert_int_equal(sp_sqlps_autocommit(sp_str_cstr("SET GLOBAL autocommit = 0")), -1);
}

static void
autocommit_with_other_variables(void **state)
{
    struct sp_str rest;
    int value;

    (void)state;
    assert_int_equal(sp_sqlps_split_autocommit(sp_str_cstr("SET autocommit=0, sql_mode=''"), &arena,
                                               &rest, &value),
                     SP_OK);
    assert_int_equal(value, 0);
    assert_str(rest, "SET sql_mode=''");
    assert_int_equal(sp_sqlps_split_autocommit(
                         sp_str_cstr("SET sql_mode = CONCAT(@@sql_mode, ',X'), @@session.autocommit "
                                     ":= ON, time_zone = '+00:00' ;"),
                         &arena, &rest, &value),
                     SP_OK);
    assert_int_equal(value, 1);
    assert_str(rest, "SET sql_mode = CONCAT(@@sql_mode, ',X'), time_zone = '+00:00' ;");
    /* Only autocommit: nothing is left to send. */
    assert_int_equal(sp_sqlps_split_autocommit(sp_str_cstr("SET autocommit = 1, autocommit = OFF"),
                                               &arena, &rest, &value),
                     SP_OK);
    assert_int_equal(value, 0);
    assert_int_equal(rest.len, 0);
    /* An expression or an unknown word would leave the mode unknown. */
    assert_int_equal(sp_sqlps_split_autocommit(sp_str_cstr("SET autocommit = @x, a = 1"), &arena,
                                               &rest, &value),
                     SP_EINVAL);
    assert_int_equal(sp_sqlps_split_autocommit(sp_str_cstr("SET autocommit = 1 + 0"), &arena, &rest,
                                               &value),
                     SP_EINVAL);
    /* Other statements, and the global variable. */
    assert_int_equal(sp_sqlps_split_autocommit(sp_str_cstr("SET GLOBAL autocommit = 0, a = 1"),
                                               &arena, &rest, &value),
                     SP_ENOTFOUND);
    assert_int_equal(sp_sqlps_split_autocommit(sp_str_cstr("SET sql_mode = ''"), &arena, &rest,
                                               &value),
                     SP_ENOTFOUND);
    assert_int_equal(sp_sqlps_split_autocommit(sp_str_cstr("SELECT 1"), &arena, &rest, &value),
                     SP_ENOTFOUND);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(prepare_execute_deallocate, setup, teardown),
        cmocka_unit_test_setup_teardown(other_and_malformed_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(set_assignments, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_outside_set, setup, teardown),
        cmocka_unit_test_setup_teardown(substitute_markers, setup, teardown),
        cmocka_unit_test_setup_teardown(name_marker_columns, setup, teardown),
        cmocka_unit_test_setup_teardown(session_assignments, setup, teardown),
        cmocka_unit_test_setup_teardown(savepoint_statements, setup, teardown),
        cmocka_unit_test_setup_teardown(set_names_and_autocommit, setup, teardown),
        cmocka_unit_test_setup_teardown(autocommit_with_other_variables, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
