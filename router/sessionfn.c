/*
 * Replacement of LAST_INSERT_ID(), ROW_COUNT(), FOUND_ROWS() and
 * @@autocommit by the session's values, keeping the column names that a
 * server would give.
 */
#include "router/sessionfn.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "router/lexer.h"

/*
 * Records the LAST_INSERT_ID(expr) call whose argument starts at AT: a
 * plain integer is remembered with its value, anything else as an
 * expression. An expression wins over literals in the same text.
 */
static void
sessionfn_last_insert_id_set(const struct sp_token_cursor *at, struct sp_session_functions *fn)
{
    struct sp_token close = sp_token_cursor_peek(at);
    unsigned long long parsed;
    char digits[24];
    char *end;

    if (at->tok.kind == SP_TOK_NUMBER && close.kind == SP_TOK_RPAREN &&
        at->tok.text.len < sizeof(digits) && fn->sets != SP_LAST_INSERT_ID_EXPR) {
        memcpy(digits, at->tok.text.ptr, at->tok.text.len);
        digits[at->tok.text.len] = '\0';
        errno = 0;
        parsed = strtoull(digits, &end, 10);
        if (errno == 0 && *end == '\0') {
            fn->sets = SP_LAST_INSERT_ID_LITERAL;
            fn->set_value = parsed;
            return;
        }
    }
    fn->sets = SP_LAST_INSERT_ID_EXPR;
}

/* Words that end an expression and are no alias: "x IS NULL", "CASE ... END". */
static const struct sp_keyword sessionfn_not_alias[] = {
    SP_KEYWORD("NULL"), SP_KEYWORD("TRUE"), SP_KEYWORD("FALSE"),
    SP_KEYWORD("UNKNOWN"), SP_KEYWORD("END"),
};

/* Words that an operand follows, so a name after them is no alias. */
static const struct sp_keyword sessionfn_operator_words[] = {
    SP_KEYWORD("AND"),     SP_KEYWORD("OR"),     SP_KEYWORD("XOR"),    SP_KEYWORD("NOT"),
    SP_KEYWORD("IS"),      SP_KEYWORD("LIKE"),   SP_KEYWORD("RLIKE"),  SP_KEYWORD("REGEXP"),
    SP_KEYWORD("IN"),      SP_KEYWORD("BETWEEN"), SP_KEYWORD("DIV"),   SP_KEYWORD("MOD"),
    SP_KEYWORD("ESCAPE"),  SP_KEYWORD("COLLATE"), SP_KEYWORD("CASE"),  SP_KEYWORD("WHEN"),
    SP_KEYWORD("THEN"),    SP_KEYWORD("ELSE"),   SP_KEYWORD("BINARY"), SP_KEYWORD("INTERVAL"),
    SP_KEYWORD("SOUNDS"),  SP_KEYWORD("SELECT"),
};

/* Words between SELECT and its first item. */
static const struct sp_keyword sessionfn_select_options[] = {
    SP_KEYWORD("ALL"),              SP_KEYWORD("DISTINCT"),         SP_KEYWORD("DISTINCTROW"),
    SP_KEYWORD("HIGH_PRIORITY"),    SP_KEYWORD("STRAIGHT_JOIN"),    SP_KEYWORD("SQL_SMALL_RESULT"),
    SP_KEYWORD("SQL_BIG_RESULT"),   SP_KEYWORD("SQL_BUFFER_RESULT"), SP_KEYWORD("SQL_CACHE"),
    SP_KEYWORD("SQL_NO_CACHE"),     SP_KEYWORD("SQL_CALC_FOUND_ROWS"),
};

/* Words that end the select list at depth 0. */
static const struct sp_keyword sessionfn_select_list_end[] = {
    SP_KEYWORD("FROM"),   SP_KEYWORD("INTO"),   SP_KEYWORD("WHERE"), SP_KEYWORD("GROUP"),
    SP_KEYWORD("HAVING"), SP_KEYWORD("ORDER"),  SP_KEYWORD("LIMIT"), SP_KEYWORD("UNION"),
    SP_KEYWORD("EXCEPT"), SP_KEYWORD("INTERSECT"), SP_KEYWORD("FOR"), SP_KEYWORD("LOCK"),
    SP_KEYWORD("WINDOW"), SP_KEYWORD("OFFSET"),
};

/* The value a call is replaced with, or false to leave it as it is. */
static bool
sessionfn_function_value(const struct sp_token *name, const struct sp_session_functions *fn,
                     char *digits, size_t cap)
{
    if (SP_TOKEN_IS(name, "LAST_INSERT_ID")) {
        snprintf(digits, cap, "%llu", (unsigned long long)fn->last_insert_id);
    } else if (SP_TOKEN_IS(name, "ROW_COUNT")) {
        /* In parentheses, so that "x-ROW_COUNT()" does not become "x--1". */
        snprintf(digits, cap, fn->row_count < 0 ? "(%lld)" : "%lld", (long long)fn->row_count);
    } else if (SP_TOKEN_IS(name, "FOUND_ROWS") && fn->found_rows_known) {
        snprintf(digits, cap, "%llu", (unsigned long long)fn->found_rows);
    } else {
        return false;
    }
    return true;
}

/*
 * The select list item that ends at the current token: whether it got a
 * replaced call and has no alias, so that the client would see the value
 * as its column name.
 */
struct sessionfn_item {
    const char *start;      /* first byte of the item in the original text */
    const char *end;        /* one past its last token */
    struct sp_token last, before_last;
    bool replaced;
};

static bool
sessionfn_item_needs_alias(const struct sessionfn_item *item)
{
    const struct sp_token *last = &item->last, *before = &item->before_last;
    bool ends_expression;

    if (!item->replaced || item->end == NULL) {
        return false;
    }
    if (last->kind != SP_TOK_IDENT && last->kind != SP_TOK_QUOTED_IDENT &&
        last->kind != SP_TOK_STRING) {
        return true;
    }
    if (last->kind == SP_TOK_IDENT &&
        sp_token_is_word_in(last, sessionfn_not_alias, SP_KEYWORDS_COUNT(sessionfn_not_alias))) {
        return true;
    }
    if (SP_TOKEN_IS(before, "AS")) {
        return false;
    }
    /* "expr alias": the token before the name must be able to end an expression. */
    switch (before->kind) {
    case SP_TOK_RPAREN:
    case SP_TOK_NUMBER:
    case SP_TOK_DECIMAL:
    case SP_TOK_STRING:
    case SP_TOK_QUOTED_IDENT:
    case SP_TOK_HEX:
    case SP_TOK_BIT:
    case SP_TOK_USER_VAR:
    case SP_TOK_SYSTEM_VAR:
    case SP_TOK_PLACEHOLDER:
        ends_expression = true;
        break;
    case SP_TOK_IDENT:
        ends_expression = !sp_token_is_word_in(before, sessionfn_operator_words,
                                               SP_KEYWORDS_COUNT(sessionfn_operator_words));
        break;
    default:
        ends_expression = false;
        break;
    }
    return !ends_expression;
}

/*
 * The value that replaces the session variable TOK (@@name,
 * @@session.name or @@local.name): autocommit, and identity and
 * last_insert_id, which are LAST_INSERT_ID(). False for any other.
 */
static bool
sessionfn_variable_value(const struct sp_token *tok, const struct sp_session_functions *fn,
                         char *digits, size_t cap)
{
    struct sp_str name = sp_str_make(tok->text.ptr + 2, tok->text.len - 2);

    if (name.len > 8 && strncasecmp(name.ptr, "session.", 8) == 0) {
        name = sp_str_make(name.ptr + 8, name.len - 8);
    } else if (name.len > 6 && strncasecmp(name.ptr, "local.", 6) == 0) {
        name = sp_str_make(name.ptr + 6, name.len - 6);
    }
    if (name.len == 10 && strncasecmp(name.ptr, "autocommit", 10) == 0 && fn->autocommit_known) {
        /* The backends run in autocommit mode; the session's own mode is the answer. */
        snprintf(digits, cap, "%d", fn->autocommit ? 1 : 0);
        return true;
    }
    if ((name.len == 8 && strncasecmp(name.ptr, "identity", 8) == 0) ||
        (name.len == 14 && strncasecmp(name.ptr, "last_insert_id", 14) == 0)) {
        snprintf(digits, cap, "%llu", (unsigned long long)fn->last_insert_id);
        return true;
    }
    return false;
}

/* Whether SQL contains the word OFFSET, in any case. */
static bool
sessionfn_has_offset(struct sp_str sql)
{
    for (size_t i = 0; i + 6 <= sql.len; i++) {
        if ((sql.ptr[i] == 'o' || sql.ptr[i] == 'O') && strncasecmp(sql.ptr + i, "offset", 6) == 0) {
            return true;
        }
    }
    return false;
}

/*
 * Reads LIMIT offset, count or LIMIT count OFFSET offset after the LIMIT
 * at AT into FN, for FOUND_ROWS(), which counts the rows the offset skips.
 */
static void
sessionfn_limit_offset(const struct sp_token_cursor *at, struct sp_session_functions *fn)
{
    struct sp_token_cursor c = *at;
    struct sp_token first;

    sp_token_cursor_advance(&c);
    if (c.tok.kind != SP_TOK_NUMBER) {
        return;
    }
    first = c.tok;
    sp_token_cursor_advance(&c);
    if (c.tok.kind == SP_TOK_COMMA) {
        fn->limit_offset = strtoull(first.text.ptr, NULL, 10);
        return;
    }
    if (SP_TOKEN_IS(&c.tok, "OFFSET")) {
        sp_token_cursor_advance(&c);
        if (c.tok.kind == SP_TOK_NUMBER) {
            fn->limit_offset = strtoull(c.tok.text.ptr, NULL, 10);
        }
    }
}

/*
 * Copies the text up to the end of ITEM into BUF and names the item by
 * its original text, as the server names a column without an alias.
 */
static void
sessionfn_append_alias(char *buf, size_t *used, const char **copied, const struct sessionfn_item *item)
{
    memcpy(buf + *used, *copied, (size_t)(item->end - *copied));
    *used += (size_t)(item->end - *copied);
    *copied = item->end;
    memcpy(buf + *used, " AS `", 5);
    *used += 5;
    for (const char *p = item->start; p < item->end; p++) {
        if (*p == '`') {
            buf[(*used)++] = '`';
        }
        buf[(*used)++] = *p;
    }
    buf[(*used)++] = '`';
}

int
sp_sessionfn_replace(struct sp_str sql, struct sp_session_functions *fn,
                           struct sp_arena *arena, struct sp_str *out)
{
    struct sp_token_cursor c;
    struct sessionfn_item item;
    const char *copied = sql.ptr;
    char digits[32];
    size_t used = 0, cap, depth = 0;
    bool in_list, select, replace_variables;
    char *buf = NULL;

    *out = sql;
    fn->sets = SP_LAST_INSERT_ID_KEEP;
    fn->set_value = 0;
    fn->calc_found_rows = false;
    fn->found_rows_left = false;
    fn->limit_offset = 0;
    /*
     * Only a text with an underscore or an @ names any of them, and a LIMIT
     * offset needs a comma or OFFSET: the others skip the scan.
     */
    if (sql.len < 11 ||
        (memchr(sql.ptr, '_', sql.len) == NULL && memchr(sql.ptr, '@', sql.len) == NULL &&
         memchr(sql.ptr, ',', sql.len) == NULL && !sessionfn_has_offset(sql))) {
        return SP_OK;
    }
    /*
     * A replaced call of 11 bytes or more takes at most 22, and an alias
     * at most twice its item and 6 bytes: five times the text is enough.
     */
    cap = 5 * sql.len + 64;
    sp_token_cursor_init(&c, sql.ptr, sql.len);
    in_list = SP_TOKEN_IS(&c.tok, "SELECT");
    select = in_list;
    /* SET @@autocommit = 0 is the session's own business, not a read of the value. */
    replace_variables = !SP_TOKEN_IS(&c.tok, "SET");
    memset(&item, 0, sizeof(item));
    if (in_list) {
        do {
            sp_token_cursor_advance(&c);
            fn->calc_found_rows = fn->calc_found_rows || SP_TOKEN_IS(&c.tok, "SQL_CALC_FOUND_ROWS");
        } while (sp_token_is_word_in(&c.tok, sessionfn_select_options,
                                     SP_KEYWORDS_COUNT(sessionfn_select_options)));
        item.start = c.tok.text.ptr;
    }

    while (c.tok.kind != SP_TOK_EOF && c.tok.kind != SP_TOK_ERROR) {
        struct sp_token open = sp_token_cursor_peek(&c);
        struct sp_token_cursor probe;
        bool item_ends = in_list && depth == 0 &&
                         (c.tok.kind == SP_TOK_COMMA || c.tok.kind == SP_TOK_SEMICOLON ||
                          sp_token_is_word_in(&c.tok, sessionfn_select_list_end,
                                              SP_KEYWORDS_COUNT(sessionfn_select_list_end)));

        if (item_ends) {
            if (sessionfn_item_needs_alias(&item)) {
                sessionfn_append_alias(buf, &used, &copied, &item);
            }
            if (c.tok.kind == SP_TOK_SEMICOLON) {
                break; /* see below */
            }
            if (SP_TOKEN_IS(&c.tok, "LIMIT")) {
                sessionfn_limit_offset(&c, fn);
            }
            in_list = c.tok.kind == SP_TOK_COMMA;
            sp_token_cursor_advance(&c);
            memset(&item, 0, sizeof(item));
            item.start = c.tok.text.ptr;
            continue;
        }
        if (c.tok.kind == SP_TOK_LPAREN) {
            depth++;
        } else if (c.tok.kind == SP_TOK_RPAREN && depth > 0) {
            depth--;
        } else if (depth == 0 && select && SP_TOKEN_IS(&c.tok, "LIMIT")) {
            sessionfn_limit_offset(&c, fn);
        }
        item.before_last = item.last;
        item.last = c.tok;
        item.end = c.tok.text.ptr + c.tok.text.len;

        if (c.tok.kind == SP_TOK_SEMICOLON && depth == 0) {
            /*
             * Later statements of a multi-statement text run on the same
             * connection right after the first, which has their values.
             */
            break;
        }
        if (c.tok.kind == SP_TOK_SYSTEM_VAR && replace_variables &&
            sessionfn_variable_value(&c.tok, fn, digits, sizeof(digits))) {
            probe = c;
        } else if (c.tok.kind != SP_TOK_IDENT || open.kind != SP_TOK_LPAREN ||
                   c.prev.kind == SP_TOK_DOT) {
            sp_token_cursor_advance(&c);
            continue;
        } else {
            probe = c;
            sp_token_cursor_advance(&probe);
            sp_token_cursor_advance(&probe);
            if (probe.tok.kind != SP_TOK_RPAREN) {
                if (SP_TOKEN_IS(&c.tok, "LAST_INSERT_ID")) {
                    sessionfn_last_insert_id_set(&probe, fn);
                }
                sp_token_cursor_advance(&c);
                continue;
            }
            if (!sessionfn_function_value(&c.tok, fn, digits, sizeof(digits))) {
                fn->found_rows_left = fn->found_rows_left || SP_TOKEN_IS(&c.tok, "FOUND_ROWS");
                sp_token_cursor_advance(&c);
                continue;
            }
        }
        /* Replaces the tokens from C to PROBE with DIGITS. */
        if (buf == NULL) {
            buf = sp_arena_alloc(arena, cap + 1);
            if (buf == NULL) {
                return SP_ENOMEM;
            }
        }
        memcpy(buf + used, copied, (size_t)(c.tok.text.ptr - copied));
        used += (size_t)(c.tok.text.ptr - copied);
        used += (size_t)snprintf(buf + used, cap - used, "%s", digits);
        copied = probe.tok.text.ptr + probe.tok.text.len;
        item.replaced = true;
        item.before_last = c.tok;
        item.last = probe.tok;
        item.end = copied;
        c = probe;
        sp_token_cursor_advance(&c);
    }
    if (in_list && c.tok.kind == SP_TOK_EOF && sessionfn_item_needs_alias(&item)) {
        sessionfn_append_alias(buf, &used, &copied, &item);
    }
    if (buf == NULL) {
        return SP_OK;
    }
    memcpy(buf + used, copied, (size_t)(sql.ptr + sql.len - copied));
    used += (size_t)(sql.ptr + sql.len - copied);
    buf[used] = '\0';
    *out = sp_str_make(buf, used);
    return SP_OK;
}
