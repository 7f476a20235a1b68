/*
 * Unit tests for router/lexer.c: every lexical rule the router relies on,
 * written as "input -> token list" cases. Each input is copied into a heap
 * buffer of exactly its length, with no terminating NUL, so that a read
 * past the end shows up under AddressSanitizer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "router/lexer.h"

#define RENDER_MAX 2048

/* Copies SQL without its NUL so that the lexer cannot lean on one. */
static char *
copy_exact(const char *sql, size_t *len)
{
    char *buf;

    *len = strlen(sql);
    buf = malloc(*len > 0 ? *len : 1);
    assert_non_null(buf);
    memcpy(buf, sql, *len);
    return buf;
}

/* Renders the tokens of SQL as "KIND(text) KIND(text) ...", without the EOF. */
static void
render_tokens(const char *sql, char *out, size_t cap)
{
    struct sp_lexer lexer;
    struct sp_token tok;
    size_t len, used = 0;
    char *buf;
    int n;

    buf = copy_exact(sql, &len);
    out[0] = '\0';
    sp_lexer_init(&lexer, buf, len);
    for (;;) {
        sp_lexer_next(&lexer, &tok);
        if (tok.kind == SP_TOK_EOF) {
            break;
        }
        if (tok.kind == SP_TOK_ERROR) {
            n = snprintf(out + used, cap - used, "%sERROR(%s)", used > 0 ? " " : "", lexer.error);
        } else {
            n = snprintf(out + used, cap - used, "%s%s(%.*s)", used > 0 ? " " : "",
                         sp_token_kind_name(tok.kind), (int)tok.text.len, tok.text.ptr);
        }
        assert_true(n > 0 && (size_t)n < cap - used);
        used += (size_t)n;
        if (tok.kind == SP_TOK_ERROR) {
            /* Everything after an error is EOF. */
            sp_lexer_next(&lexer, &tok);
            assert_int_equal(tok.kind, SP_TOK_EOF);
            break;
        }
    }
    free(buf);
}

static void
check_tokens(const char *sql, const char *expected)
{
    char got[RENDER_MAX];

    render_tokens(sql, got, sizeof(got));
    if (strcmp(got, expected) != 0) {
        print_error("input:    %s\nexpected: %s\ngot:      %s\n", sql, expected, got);
    }
    assert_string_equal(got, expected);
}

static void
lexer_words_and_whitespace(void **state)
{
    check_tokens("", "");
    check_tokens(" \t\r\n\f\v", "");
    check_tokens("SELECT 1", "IDENT(SELECT) NUMBER(1)");
    check_tokens("select\tc\nFROM\r\nsbtest1", "IDENT(select) IDENT(c) IDENT(FROM) IDENT(sbtest1)");
    check_tokens("$x _y a$b", "IDENT($x) IDENT(_y) IDENT(a$b)");
    check_tokens("SELECT café, 名前", "IDENT(SELECT) IDENT(café) COMMA(,) IDENT(名前)");
    check_tokens("1abc 123 9e", "IDENT(1abc) NUMBER(123) IDENT(9e)");
}

static void
lexer_line_comments(void **state)
{
    check_tokens("SELECT 1 -- x\n+ 2", "IDENT(SELECT) NUMBER(1) OPERATOR(+) NUMBER(2)");
    check_tokens("SELECT 1 --\tx\n", "IDENT(SELECT) NUMBER(1)");
    check_tokens("SELECT 1 --", "IDENT(SELECT) NUMBER(1)");
    check_tokens("SELECT 1--\n2", "IDENT(SELECT) NUMBER(1) NUMBER(2)");
    /* Without whitespace after the dashes they are two minus signs. */
    check_tokens("SELECT 1 --x", "IDENT(SELECT) NUMBER(1) OPERATOR(-) OPERATOR(-) IDENT(x)");
    check_tokens("SELECT 5--1", "IDENT(SELECT) NUMBER(5) OPERATOR(-) OPERATOR(-) NUMBER(1)");
    check_tokens("# hash comment\nSELECT 1 # tail", "IDENT(SELECT) NUMBER(1)");
    check_tokens("SELECT 'a#b' -- 'c\n", "IDENT(SELECT) STRING('a#b')");
}

static void
lexer_block_comments(void **state)
{
    check_tokens("SELECT /* c */ 1", "IDENT(SELECT) NUMBER(1)");
    check_tokens("/* multi\nline */ USE db", "IDENT(USE) IDENT(db)");
    check_tokens("/* app:checkout */ USE db2", "IDENT(USE) IDENT(db2)");
    check_tokens("SELECT/**/1", "IDENT(SELECT) NUMBER(1)");
    check_tokens("/* a */ /* b */", "");
    check_tokens("SELECT /* '`\" */ 1", "IDENT(SELECT) NUMBER(1)");
    /* Optimizer hints are comments to the router. */
    check_tokens("SELECT /*+ MAX_EXECUTION_TIME(1000) */ c", "IDENT(SELECT) IDENT(c)");
    check_tokens("/*+ hint */ SELECT", "IDENT(SELECT)");
}

static void
lexer_executable_comments(void **state)
{
    check_tokens("/*!50000 SELECT */ 1", "IDENT(SELECT) NUMBER(1)");
    check_tokens("/*! SELECT 1 */", "IDENT(SELECT) NUMBER(1)");
    check_tokens("/*!SELECT*/1", "IDENT(SELECT) NUMBER(1)");
    check_tokens("/*!40101 SET NAMES utf8 */;", "IDENT(SET) IDENT(NAMES) IDENT(utf8) SEMICOLON(;)");
    check_tokens("CREATE TABLE t (a int) /*! ENGINE = innodb */",
                 "IDENT(CREATE) IDENT(TABLE) IDENT(t) LPAREN(() IDENT(a) IDENT(int) RPAREN()) "
                 "IDENT(ENGINE) OPERATOR(=) IDENT(innodb)");
    /* The version takes five digits; a sixth is SQL. */
    check_tokens("/*!500001*/", "NUMBER(1)");
    check_tokens("/*M!100201 SELECT */ 1", "IDENT(SELECT) NUMBER(1)");
    check_tokens("/*!50000 SELECT /* inner */ 1 */ + 2",
                 "IDENT(SELECT) NUMBER(1) OPERATOR(+) NUMBER(2)");
    /* Outside an executable comment a lone close marker is two operators. */
    check_tokens("2 */ 3", "NUMBER(2) OPERATOR(*) OPERATOR(/) NUMBER(3)");
    check_tokens("/*!50000 'a */' */", "STRING('a */')");
}

static void
lexer_strings(void **state)
{
    check_tokens("'it''s'", "STRING('it''s')");
    check_tokens("'a\\'b'", "STRING('a\\'b')");
    check_tokens("'a\\\\' 'b'", "STRING('a\\\\') STRING('b')");
    check_tokens("\"x\"\"y\" \"a\\\"b\"", "STRING(\"x\"\"y\") STRING(\"a\\\"b\")");
    check_tokens("'a\"b' \"a'b\"", "STRING('a\"b') STRING(\"a'b\")");
    check_tokens("''", "STRING('')");
    check_tokens("'multi\nline'", "STRING('multi\nline')");
    check_tokens("N'national' n'x'", "STRING(N'national') STRING(n'x')");
    check_tokens("'a,b(c'", "STRING('a,b(c')");
    check_tokens("'-- not a comment' '/* nor this */'",
                 "STRING('-- not a comment') STRING('/* nor this */')");
}

static void
lexer_identifiers(void **state)
{
    check_tokens("`we``ird`", "QUOTED_IDENT(`we``ird`)");
    check_tokens("`a b`.`c`", "QUOTED_IDENT(`a b`) DOT(.) QUOTED_IDENT(`c`)");
    check_tokens("`a\\`", "QUOTED_IDENT(`a\\`)");
    check_tokens("db.sbtest1", "IDENT(db) DOT(.) IDENT(sbtest1)");
    check_tokens("db.t.col", "IDENT(db) DOT(.) IDENT(t) DOT(.) IDENT(col)");
    /* After a name, ".5" is a dot and a name that starts with a digit. */
    check_tokens("t.5", "IDENT(t) DOT(.) NUMBER(5)");
    check_tokens("t1.1col", "IDENT(t1) DOT(.) IDENT(1col)");
    check_tokens("`t`.5x", "QUOTED_IDENT(`t`) DOT(.) IDENT(5x)");
}

static void
lexer_numbers(void **state)
{
    check_tokens("0 42 007", "NUMBER(0) NUMBER(42) NUMBER(007)");
    check_tokens("1.5 .5 1. 0.0", "DECIMAL(1.5) DECIMAL(.5) DECIMAL(1.) DECIMAL(0.0)");
    check_tokens("1e10 1E-3 2.5e+7 1.e5",
                 "DECIMAL(1e10) DECIMAL(1E-3) DECIMAL(2.5e+7) DECIMAL(1.e5)");
    check_tokens("-5 +5", "OPERATOR(-) NUMBER(5) OPERATOR(+) NUMBER(5)");
    check_tokens("a=-1", "IDENT(a) OPERATOR(=) OPERATOR(-) NUMBER(1)");
    check_tokens("(.5)", "LPAREN(() DECIMAL(.5) RPAREN())");
    check_tokens("1.5.2", "DECIMAL(1.5) DECIMAL(.2)");
}

static void
lexer_hex_and_bit_literals(void **state)
{
    check_tokens("X'0F' x'0f' X''", "HEX(X'0F') HEX(x'0f') HEX(X'')");
    check_tokens("0x0F 0xdeadBEEF", "HEX(0x0F) HEX(0xdeadBEEF)");
    /* The 0x and 0b prefixes are case-sensitive and need digits. */
    check_tokens("0X0F 0xZZ 0x", "IDENT(0X0F) IDENT(0xZZ) IDENT(0x)");
    check_tokens("B'01' b'1'", "BIT(B'01') BIT(b'1')");
    check_tokens("0b01 0b2 0B1", "BIT(0b01) IDENT(0b2) IDENT(0B1)");
    check_tokens("x 'a'", "IDENT(x) STRING('a')");
}

static void
lexer_operators(void **state)
{
    check_tokens("a<=>b", "IDENT(a) OPERATOR(<=>) IDENT(b)");
    check_tokens("<= >= <> != := || && << >> -> ->>",
                 "OPERATOR(<=) OPERATOR(>=) OPERATOR(<>) OPERATOR(!=) OPERATOR(:=) OPERATOR(||) "
                 "OPERATOR(&&) OPERATOR(<<) OPERATOR(>>) OPERATOR(->) OPERATOR(->>)");
    check_tokens("= < > ! ~ ^ % * / | & + -",
                 "OPERATOR(=) OPERATOR(<) OPERATOR(>) OPERATOR(!) OPERATOR(~) OPERATOR(^) "
                 "OPERATOR(%) OPERATOR(*) OPERATOR(/) OPERATOR(|) OPERATOR(&) OPERATOR(+) "
                 "OPERATOR(-)");
    check_tokens("a=b", "IDENT(a) OPERATOR(=) IDENT(b)");
    check_tokens("f(a, b);",
                 "IDENT(f) LPAREN(() IDENT(a) COMMA(,) IDENT(b) RPAREN()) SEMICOLON(;)");
    check_tokens("id = ?", "IDENT(id) OPERATOR(=) PLACEHOLDER(?)");
}

static void
lexer_variables(void **state)
{
    check_tokens("@x @a.b @`q v` @'s' @\"d\"",
                 "USER_VAR(@x) USER_VAR(@a.b) USER_VAR(@`q v`) USER_VAR(@'s') USER_VAR(@\"d\")");
    check_tokens("@@version @@session.sql_mode @@GLOBAL.x",
                 "SYSTEM_VAR(@@version) SYSTEM_VAR(@@session.sql_mode) SYSTEM_VAR(@@GLOBAL.x)");
    check_tokens("@", "OPERATOR(@)");
    check_tokens("'root'@'localhost'", "STRING('root') USER_VAR(@'localhost')");
}

static void
lexer_statement_separators(void **state)
{
    check_tokens("SELECT 1; SELECT 2;",
                 "IDENT(SELECT) NUMBER(1) SEMICOLON(;) IDENT(SELECT) NUMBER(2) SEMICOLON(;)");
    check_tokens("SELECT ';'", "IDENT(SELECT) STRING(';')");
}

static void
lexer_errors(void **state)
{
    check_tokens("SELECT 'abc", "IDENT(SELECT) ERROR(unterminated string)");
    check_tokens("SELECT \"abc", "IDENT(SELECT) ERROR(unterminated string)");
    check_tokens("SELECT 'abc\\", "IDENT(SELECT) ERROR(unterminated string)");
    check_tokens("SELECT 'it''", "IDENT(SELECT) ERROR(unterminated string)");
    check_tokens("SELECT `abc", "IDENT(SELECT) ERROR(unterminated quoted identifier)");
    check_tokens("SELECT 1 /* abc", "IDENT(SELECT) NUMBER(1) ERROR(unterminated comment)");
    check_tokens("SELECT 1 /* abc *", "IDENT(SELECT) NUMBER(1) ERROR(unterminated comment)");
    check_tokens("/*!50000 SELECT 1", "IDENT(SELECT) NUMBER(1) ERROR(unterminated comment)");
    check_tokens("X'0F", "ERROR(unterminated string)");
    check_tokens("@'x", "ERROR(unterminated variable name)");
    check_tokens("/", "OPERATOR(/)");
}

static void
check_unquote(const char *sql, enum sp_token_kind kind, const char *expected, bool view)
{
    struct sp_arena arena;
    struct sp_lexer lexer;
    struct sp_token tok;
    struct sp_str value;
    size_t len;
    char *buf;

    buf = copy_exact(sql, &len);
    sp_arena_init(&arena, 256);
    sp_lexer_init(&lexer, buf, len);
    sp_lexer_next(&lexer, &tok);
    assert_int_equal(tok.kind, kind);
    assert_int_equal(sp_lexer_unquote(&tok, &arena, &value), SP_OK);
    assert_int_equal(value.len, strlen(expected));
    assert_memory_equal(value.ptr, expected, value.len);
    /* Values without escapes are views into the text: no copy on the common path. */
    assert_int_equal(value.ptr >= buf && value.ptr < buf + len, view);
    sp_arena_deinit(&arena);
    free(buf);
}

static void
lexer_unquote_values(void **state)
{
    struct sp_arena arena;
    struct sp_token tok = {SP_TOK_NUMBER, SP_STR_LIT("5")};
    struct sp_str value;

    check_unquote("'plain'", SP_TOK_STRING, "plain", true);
    check_unquote("''", SP_TOK_STRING, "", true);
    check_unquote("'it''s'", SP_TOK_STRING, "it's", false);
    check_unquote("'a\\'b'", SP_TOK_STRING, "a'b", false);
    check_unquote("\"x\"\"y\"", SP_TOK_STRING, "x\"y", false);
    check_unquote("\"a'b\"", SP_TOK_STRING, "a'b", true);
    check_unquote("'\\n\\t\\r\\b\\Z\\\\\\q'", SP_TOK_STRING, "\n\t\r\b\032\\q", false);
    check_unquote("'50\\%\\_'", SP_TOK_STRING, "50\\%\\_", false);
    check_unquote("N'nat'", SP_TOK_STRING, "nat", true);
    check_unquote("`we``ird`", SP_TOK_QUOTED_IDENT, "we`ird", false);
    check_unquote("`a\\b`", SP_TOK_QUOTED_IDENT, "a\\b", true);

    sp_arena_init(&arena, 256);
    assert_int_equal(sp_lexer_unquote(&tok, &arena, &value), SP_EINVAL);
    sp_arena_deinit(&arena);
}

static void
lexer_unquote_nul_byte(void **state)
{
    static const char sql[] = "'a\\0b'";
    struct sp_arena arena;
    struct sp_lexer lexer;
    struct sp_token tok;
    struct sp_str value;

    sp_arena_init(&arena, 256);
    sp_lexer_init(&lexer, sql, sizeof(sql) - 1);
    sp_lexer_next(&lexer, &tok);
    assert_int_equal(sp_lexer_unquote(&tok, &arena, &value), SP_OK);
    assert_int_equal(value.len, 3);
    assert_memory_equal(value.ptr, "a\0b", 3);
    sp_arena_deinit(&arena);
}

static void
cursor_peek_and_advance(void **state)
{
    static const char sql[] = "SELECT c FROM t";
    struct sp_token_cursor c;
    struct sp_token next;

    sp_token_cursor_init(&c, sql, sizeof(sql) - 1);
    assert_true(SP_TOKEN_IS(&c.tok, "SELECT"));
    assert_int_equal(c.prev.kind, SP_TOK_EOF);

    next = sp_token_cursor_peek(&c);
    assert_int_equal(next.kind, SP_TOK_IDENT);
    assert_int_equal(next.text.len, 1);
    assert_true(SP_TOKEN_IS(&c.tok, "SELECT"));

    sp_token_cursor_advance(&c);
    assert_true(SP_TOKEN_IS(&c.prev, "SELECT"));
    assert_int_equal(c.tok.text.ptr[0], 'c');
    sp_token_cursor_advance(&c);
    sp_token_cursor_advance(&c);
    assert_true(SP_TOKEN_IS(&c.tok, "T"));
    sp_token_cursor_advance(&c);
    assert_int_equal(c.tok.kind, SP_TOK_EOF);
    assert_int_equal(sp_token_cursor_peek(&c).kind, SP_TOK_EOF);
    sp_token_cursor_advance(&c);
    assert_int_equal(c.tok.kind, SP_TOK_EOF);
}

static void
token_keyword_compare(void **state)
{
    struct sp_token tok = {SP_TOK_IDENT, SP_STR_LIT("sElEcT")};
    struct sp_token quoted = {SP_TOK_QUOTED_IDENT, SP_STR_LIT("`SELECT`")};
    struct sp_token op = {SP_TOK_OPERATOR, SP_STR_LIT("<=>")};

    assert_true(SP_TOKEN_IS(&tok, "SELECT"));
    assert_false(SP_TOKEN_IS(&tok, "SELECTS"));
    assert_false(SP_TOKEN_IS(&tok, "DELETE"));
    assert_false(SP_TOKEN_IS(&quoted, "SELECT"));
    assert_true(SP_TOKEN_IS_OP(&op, "<=>"));
    assert_false(SP_TOKEN_IS_OP(&op, "<="));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lexer_words_and_whitespace),
        cmocka_unit_test(lexer_line_comments),
        cmocka_unit_test(lexer_block_comments),
        cmocka_unit_test(lexer_executable_comments),
        cmocka_unit_test(lexer_strings),
        cmocka_unit_test(lexer_identifiers),
        cmocka_unit_test(lexer_numbers),
        cmocka_unit_test(lexer_hex_and_bit_literals),
        cmocka_unit_test(lexer_operators),
        cmocka_unit_test(lexer_variables),
        cmocka_unit_test(lexer_statement_separators),
        cmocka_unit_test(lexer_errors),
        cmocka_unit_test(lexer_unquote_values),
        cmocka_unit_test(lexer_unquote_nul_byte),
        cmocka_unit_test(cursor_peek_and_advance),
        cmocka_unit_test(token_keyword_compare),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
