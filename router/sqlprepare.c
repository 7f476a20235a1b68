/*
 * Parsing of PREPARE, EXECUTE and DEALLOCATE PREPARE, of the user
 * variable assignments of SET, and parameter marker substitution, all on
 * the tokens of router/lexer.c.
 */
#include "router/sqlprepare.h"

#include <string.h>
#include <strings.h>

#include "router/lexer.h"
#include "router/select.h"

static bool
sqlps_at_end(const struct sp_token_cursor *c)
{
    return c->tok.kind == SP_TOK_EOF || c->tok.kind == SP_TOK_SEMICOLON;
}

/*
 * Ends a parsed statement at C: SP_OK at the end of the text or before a
 * final ';'; SP_EINVAL for anything else. Further statements after a ';'
 * make it no statement of this file's (out->kind SP_SQLPS_NONE): the
 * router handles multi-statement text.
 */
static int
sqlps_end(struct sp_token_cursor *c, struct sp_sqlps *out)
{
    if (c->tok.kind == SP_TOK_SEMICOLON) {
        sp_token_cursor_advance(c);
        if (c->tok.kind != SP_TOK_EOF) {
            out->kind = SP_SQLPS_NONE;
        }
        return SP_OK;
    }
    return c->tok.kind == SP_TOK_EOF ? SP_OK : SP_EINVAL;
}

/* A statement or variable name: a plain or backquoted identifier. */
static int
sqlps_name(struct sp_token_cursor *c, struct sp_arena *arena, struct sp_str *out)
{
    int rc;

    if (c->tok.kind == SP_TOK_IDENT) {
        *out = c->tok.text;
    } else if (c->tok.kind == SP_TOK_QUOTED_IDENT) {
        rc = sp_lexer_unquote(&c->tok, arena, out);
        if (rc != SP_OK) {
            return rc;
        }
    } else {
        return SP_EINVAL;
    }
    sp_token_cursor_advance(c);
    return SP_OK;
}

/* The name of a user variable token (@a, @'a', @`a`), without the @ and quotes. */
static int
sqlps_user_var(const struct sp_token *tok, struct sp_arena *arena, struct sp_str *out)
{
    struct sp_token inner = *tok;

    inner.text = sp_str_make(tok->text.ptr + 1, tok->text.len - 1);
    if (inner.text.len > 0 && (inner.text.ptr[0] == '\'' || inner.text.ptr[0] == '"')) {
        inner.kind = SP_TOK_STRING;
        return sp_lexer_unquote(&inner, arena, out);
    }
    if (inner.text.len > 0 && inner.text.ptr[0] == '`') {
        inner.kind = SP_TOK_QUOTED_IDENT;
        return sp_lexer_unquote(&inner, arena, out);
    }
    *out = inner.text;
    return SP_OK;
}

static int
sqlps_execute(struct sp_token_cursor *c, struct sp_arena *arena, struct sp_sqlps *out)
{
    size_t cap = 0;
    int rc;

    if (!SP_TOKEN_IS(&c->tok, "USING")) {
        return sqlps_end(c, out);
    }
    do {
        struct sp_str *slot;

        sp_token_cursor_advance(c);
        if (c->tok.kind != SP_TOK_USER_VAR) {
            /* EXECUTE ... USING 5 or USING @@x: values the session does not track. */
            out->using_other = true;
            while (!sqlps_at_end(c) && c->tok.kind != SP_TOK_COMMA && c->tok.kind != SP_TOK_ERROR) {
                sp_token_cursor_advance(c);
            }
            continue;
        }
        if (out->nvars == cap) {
            struct sp_str *grown;

            cap = cap == 0 ? 8 : cap * 2;
            grown = sp_arena_alloc(arena, cap * sizeof(*grown));
            if (grown == NULL) {
                return SP_ENOMEM;
            }
            if (out->nvars > 0) {
                memcpy(grown, out->vars, out->nvars * sizeof(*grown));
            }
            out->vars = grown;
        }
        slot = &out->vars[out->nvars++];
        rc = sqlps_user_var(&c->tok, arena, slot);
        if (rc != SP_OK) {
            return rc;
        }
        sp_token_cursor_advance(c);
    } while (c->tok.kind == SP_TOK_COMMA);
    return sqlps_end(c, out);
}

int
sp_sqlps_parse(struct sp_str sql, struct sp_arena *arena, struct sp_sqlps *out)
{
    struct sp_token_cursor c;
    int rc;

    memset(out, 0, sizeof(*out));
    sp_token_cursor_init(&c, sql.ptr, sql.len);

    if (SP_TOKEN_IS(&c.tok, "PREPARE")) {
        sp_token_cursor_advance(&c);
        out->kind = SP_SQLPS_PREPARE;
        rc = sqlps_name(&c, arena, &out->name);
        if (rc != SP_OK) {
            return rc;
        }
        if (!SP_TOKEN_IS(&c.tok, "FROM")) {
            return SP_EINVAL;
        }
        sp_token_cursor_advance(&c);
        if (c.tok.kind == SP_TOK_USER_VAR) {
            out->from_variable = true;
        } else if (c.tok.kind == SP_TOK_STRING) {
            rc = sp_lexer_unquote(&c.tok, arena, &out->text);
            if (rc != SP_OK) {
                return rc;
            }
        } else {
            return SP_EINVAL;
        }
        sp_token_cursor_advance(&c);
        return sqlps_end(&c, out);
    }
    if (SP_TOKEN_IS(&c.tok, "EXECUTE")) {
        sp_token_cursor_advance(&c);
        out->kind = SP_SQLPS_EXECUTE;
        rc = sqlps_name(&c, arena, &out->name);
        return rc == SP_OK ? sqlps_execute(&c, arena, out) : rc;
    }
    if (SP_TOKEN_IS(&c.tok, "DEALLOCATE") || SP_TOKEN_IS(&c.tok, "DROP")) {
        struct sp_token next = sp_token_cursor_peek(&c);

        if (!SP_TOKEN_IS(&next, "PREPARE")) {
            return SP_OK; /* DROP TABLE and the rest */
        }
        sp_token_cursor_advance(&c);
        sp_token_cursor_advance(&c);
        out->kind = SP_SQLPS_DEALLOCATE;
        rc = sqlps_name(&c, arena, &out->name);
        if (rc != SP_OK) {
            return rc;
        }
        return sqlps_end(&c, out);
    }
    return SP_OK;
}

/* Whether the value that starts at C and ends before END is one literal; sets *LITERAL. */
static bool
sqlps_literal(struct sp_token_cursor c, const char *end, struct sp_str *literal)
{
    const char *start = c.tok.text.ptr;
    struct sp_token next;

    if (SP_TOKEN_IS_OP(&c.tok, "-") || SP_TOKEN_IS_OP(&c.tok, "+")) {
        sp_token_cursor_advance(&c);
        if (c.tok.kind != SP_TOK_NUMBER && c.tok.kind != SP_TOK_DECIMAL) {
            return false;
        }
    } else if (c.tok.kind == SP_TOK_IDENT && c.tok.text.len > 1 && c.tok.text.ptr[0] == '_') {
        /* A character set introducer: _utf8mb4'text'. */
        sp_token_cursor_advance(&c);
        if (c.tok.kind != SP_TOK_STRING) {
            return false;
        }
    }
    switch (c.tok.kind) {
    case SP_TOK_NUMBER:
    case SP_TOK_DECIMAL:
    case SP_TOK_STRING:
    case SP_TOK_HEX:
    case SP_TOK_BIT:
        break;
    default:
        if (!SP_TOKEN_IS(&c.tok, "NULL") && !SP_TOKEN_IS(&c.tok, "TRUE") &&
            !SP_TOKEN_IS(&c.tok, "FALSE")) {
            return false;
        }
        break;
    }
    next = sp_token_cursor_peek(&c);
    if (next.kind != SP_TOK_EOF && next.kind != SP_TOK_SEMICOLON && next.text.ptr < end) {
        return false;
    }
    *literal = sp_str_make(start, (size_t)(c.tok.text.ptr + c.tok.text.len - start));
    return true;
}

int
sp_sqlps_user_assignments(struct sp_str sql, struct sp_arena *arena, struct sp_user_assign **out,
                          size_t *n)
{
    struct sp_token_cursor c;
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    sp_token_cursor_init(&c, sql.ptr, sql.len);
    if (!SP_TOKEN_IS(&c.tok, "SET")) {
        return SP_OK;
    }
    sp_token_cursor_advance(&c);

    while (!sqlps_at_end(&c) && c.tok.kind != SP_TOK_ERROR) {
        struct sp_user_assign assign = {SP_STR_NULL, SP_STR_NULL};
        bool user = c.tok.kind == SP_TOK_USER_VAR;
        struct sp_token_cursor value;
        unsigned depth = 0;

        if (user) {
            rc = sqlps_user_var(&c.tok, arena, &assign.name);
            if (rc != SP_OK) {
                return rc;
            }
        }
        /* Up to the = or := of this assignment, then its value up to a top-level comma. */
        while (!sqlps_at_end(&c) && !SP_TOKEN_IS_OP(&c.tok, "=") && !SP_TOKEN_IS_OP(&c.tok, ":=")) {
            sp_token_cursor_advance(&c);
        }
        if (sqlps_at_end(&c)) {
            break;
        }
        sp_token_cursor_advance(&c);
        value = c;
        while (!sqlps_at_end(&c) && c.tok.kind != SP_TOK_ERROR &&
               !(depth == 0 && c.tok.kind == SP_TOK_COMMA)) {
            depth += c.tok.kind == SP_TOK_LPAREN;
            depth -= c.tok.kind == SP_TOK_RPAREN && depth > 0;
            sp_token_cursor_advance(&c);
        }
        if (user) {
            struct sp_user_assign *grown;

            if (!sqlps_literal(value, c.tok.text.ptr, &assign.literal)) {
                assign.literal = SP_STR_NULL;
            }
            if (*n == cap) {
                cap = cap == 0 ? 4 : cap * 2;
                grown = sp_arena_alloc(arena, cap * sizeof(*grown));
                if (grown == NULL) {
                    return SP_ENOMEM;
                }
                if (*n > 0) {
                    memcpy(grown, *out, *n * sizeof(*grown));
                }
                *out = grown;
            }
            (*out)[(*n)++] = assign;
        }
        if (c.tok.kind == SP_TOK_COMMA) {
            sp_token_cursor_advance(&c);
        }
    }
    return SP_OK;
}

static int
sqlps_push_name(struct sp_arena *arena, struct sp_str **out, size_t *n, size_t *cap,
                const struct sp_token *tok)
{
    if (*n == *cap) {
        struct sp_str *grown;

        *cap = *cap == 0 ? 4 : *cap * 2;
        grown = sp_arena_alloc(arena, *cap * sizeof(*grown));
        if (grown == NULL) {
            return SP_ENOMEM;
        }
        if (*n > 0) {
            memcpy(grown, *out, *n * sizeof(*grown));
        }
        *out = grown;
    }
    return sqlps_user_var(tok, arena, &(*out)[(*n)++]);
}

int
sp_sqlps_user_writes(struct sp_str sql, struct sp_arena *arena, struct sp_str **out, size_t *n)
{
    struct sp_token_cursor c;
    size_t cap = 0;
    bool into = false;
    int rc;

    *out = NULL;
    *n = 0;
    if (memchr(sql.ptr, '@', sql.len) == NULL) {
        return SP_OK;
    }
    sp_token_cursor_init(&c, sql.ptr, sql.len);
    if (SP_TOKEN_IS(&c.tok, "SET")) {
        return SP_OK; /* its := assignments are the ones sp_sqlps_user_assignments reads */
    }
    while (c.tok.kind != SP_TOK_EOF && c.tok.kind != SP_TOK_ERROR) {
        struct sp_token next = sp_token_cursor_peek(&c);

        if (c.tok.kind == SP_TOK_USER_VAR && (into || SP_TOKEN_IS_OP(&next, ":="))) {
            rc = sqlps_push_name(arena, out, n, &cap, &c.tok);
            if (rc != SP_OK) {
                return rc;
            }
        } else if (c.tok.kind != SP_TOK_COMMA) {
            into = SP_TOKEN_IS(&c.tok, "INTO");
        }
        sp_token_cursor_advance(&c);
    }
    return SP_OK;
}

size_t
sp_sqlps_count_markers(struct sp_str sql)
{
    struct sp_lexer lexer;
    struct sp_token tok;
    size_t n = 0;

    sp_lexer_init(&lexer, sql.ptr, sql.len);
    for (;;) {
        sp_lexer_next(&lexer, &tok);
        if (tok.kind == SP_TOK_EOF || tok.kind == SP_TOK_ERROR) {
            return n;
        }
        n += tok.kind == SP_TOK_PLACEHOLDER;
    }
}

int
sp_sqlps_substitute(struct sp_str sql, const struct sp_str *literals, size_t nvalues,
                    struct sp_arena *arena, struct sp_str *out)
{
    struct sp_lexer lexer;
    struct sp_token tok;
    size_t len = sql.len, used = 0, next = 0;
    const char *copied = sql.ptr;
    char *buf;

    if (sp_sqlps_count_markers(sql) != nvalues) {
        return SP_EINVAL;
    }
    for (size_t i = 0; i < nvalues; i++) {
        len += literals[i].len;
    }
    buf = sp_arena_alloc(arena, len + 1);
    if (buf == NULL) {
        return SP_ENOMEM;
    }
    sp_lexer_init(&lexer, sql.ptr, sql.len);
    for (;;) {
        sp_lexer_next(&lexer, &tok);
        if (tok.kind == SP_TOK_EOF || tok.kind == SP_TOK_ERROR) {
            break;
        }
        if (tok.kind != SP_TOK_PLACEHOLDER) {
            continue;
        }
        memcpy(buf + used, copied, (size_t)(tok.text.ptr - copied));
        used += (size_t)(tok.text.ptr - copied);
        memcpy(buf + used, literals[next].ptr, literals[next].len);
        used += literals[next].len;
        next++;
        copied = tok.text.ptr + tok.text.len;
    }
    memcpy(buf + used, copied, (size_t)(sql.ptr + sql.len - copied));
    used += (size_t)(sql.ptr + sql.len - copied);
    buf[used] = '\0';
    *out = sp_str_make(buf, used);
    return SP_OK;
}

int
sp_sqlps_name_marker_columns(struct sp_str sql, struct sp_arena *arena, struct sp_str *out)
{
    struct sp_route route;
    struct sp_error err;
    struct sp_select sel;
    size_t extra = 0, used = 0;
    const char *copied = sql.ptr;
    char *buf;
    int rc;

    *out = sql;
    if (memchr(sql.ptr, '?', sql.len) == NULL) {
        return SP_OK;
    }
    memset(&route, 0, sizeof(route));
    rc = sp_select_parse(sql, arena, &sel, &route, &err);
    if (rc == SP_ENOTFOUND) {
        return SP_OK; /* not a SELECT ... FROM: the names come from elsewhere */
    }
    if (rc != SP_OK) {
        return rc;
    }
    /* A later clause the merge planner refuses does not matter: the items are read first. */
    for (size_t i = 0; i < sel.nitems; i++) {
        const struct sp_select_item *item = &sel.items[i];
        struct sp_str text = sp_span_text(&item->expr);

        if (!item->star && item->alias.kind == SP_TOK_EOF && sp_sqlps_count_markers(text) > 0) {
            extra += 2 * text.len + 8; /* " AS `" + doubled backquotes + "`" */
        }
    }
    if (extra == 0) {
        return SP_OK;
    }
    buf = sp_arena_alloc(arena, sql.len + extra + 1);
    if (buf == NULL) {
        return SP_ENOMEM;
    }
    for (size_t i = 0; i < sel.nitems; i++) {
        const struct sp_select_item *item = &sel.items[i];
        struct sp_str text = sp_span_text(&item->expr);

        if (item->star || item->alias.kind != SP_TOK_EOF || sp_sqlps_count_markers(text) == 0) {
            continue;
        }
        memcpy(buf + used, copied, (size_t)(item->expr.end - copied));
        used += (size_t)(item->expr.end - copied);
        copied = item->expr.end;
        memcpy(buf + used, " AS `", 5);
        used += 5;
        for (size_t k = 0; k < text.len; k++) {
            if (text.ptr[k] == '`') {
                buf[used++] = '`';
            }
            buf[used++] = text.ptr[k];
        }
        buf[used++] = '`';
    }
    memcpy(buf + used, copied, (size_t)(sql.ptr + sql.len - copied));
    used += (size_t)(sql.ptr + sql.len - copied);
    buf[used] = '\0';
    *out = sp_str_make(buf, used);
    return SP_OK;
}

/*
 * Session variables whose value the proxy replays on any backend
 * connection with SET SESSION name = value. They change how statements
 * behave, not what the connection holds, so setting them again is all a
 * connection needs.
 */
static const char *const sqlps_tracked_vars[] = {
    "sql_mode", "time_zone", "character_set_client", "character_set_results",
    "character_set_connection", "collation_connection", "group_concat_max_len",
    "transaction_isolation", "tx_isolation", "transaction_read_only", "tx_read_only",
    "sql_select_limit", "max_join_size", "sql_big_selects", "sql_safe_updates",
    "lc_time_names", "max_statement_time", "innodb_lock_wait_timeout", "lock_wait_timeout",
    "foreign_key_checks", "unique_checks", "sql_notes", "sql_warnings", "sql_auto_is_null",
    "big_tables", "default_storage_engine", "default_week_format", "net_read_timeout",
    "net_write_timeout", "wait_timeout", "interactive_timeout", "sql_quote_show_create",
    "explicit_defaults_for_timestamp", "old_mode", "optimizer_search_depth",
    "max_sort_length", "long_query_time",
};

static bool
sqlps_tracked(struct sp_str name)
{
    for (size_t i = 0; i < sizeof(sqlps_tracked_vars) / sizeof(sqlps_tracked_vars[0]); i++) {
        size_t len = strlen(sqlps_tracked_vars[i]);

        if (name.len == len && memcmp(name.ptr, sqlps_tracked_vars[i], len) == 0) {
            return true;
        }
    }
    return false;
}

/* NAME in lower case, in the arena. */
static int
sqlps_lower(struct sp_arena *arena, struct sp_str name, struct sp_str *out)
{
    char *buf = sp_arena_alloc(arena, name.len + 1);

    if (buf == NULL) {
        return SP_ENOMEM;
    }
    for (size_t i = 0; i < name.len; i++) {
        char ch = name.ptr[i];

        buf[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
    }
    buf[name.len] = '\0';
    *out = sp_str_make(buf, name.len);
    return SP_OK;
}

/*
 * The session variable that the assignment at C sets, with C moved to its
 * = or :=; false for any other target.
 */
static bool
sqlps_session_target(struct sp_token_cursor *c, struct sp_str *name)
{
    if (c->tok.kind == SP_TOK_SYSTEM_VAR) {
        struct sp_str text = sp_str_make(c->tok.text.ptr + 2, c->tok.text.len - 2);

        if (text.len > 8 && strncasecmp(text.ptr, "session.", 8) == 0) {
            text = sp_str_make(text.ptr + 8, text.len - 8);
        } else if (text.len > 6 && strncasecmp(text.ptr, "local.", 6) == 0) {
            text = sp_str_make(text.ptr + 6, text.len - 6);
        } else if (memchr(text.ptr, '.', text.len) != NULL) {
            return false; /* @@global.name */
        }
        *name = text;
        sp_token_cursor_advance(c);
        return true;
    }
    /*
     * NOTE: SET TRANSACTION without SESSION sets the next transaction only.
     * It is not tracked, so it pins on every shard. A shard that the next
     * transaction does not reach keeps it for its own next transaction.
     */
    if (SP_TOKEN_IS(&c->tok, "SESSION") || SP_TOKEN_IS(&c->tok, "LOCAL")) {
        sp_token_cursor_advance(c);
    } else if (SP_TOKEN_IS(&c->tok, "GLOBAL") || SP_TOKEN_IS(&c->tok, "NAMES") ||
               SP_TOKEN_IS(&c->tok, "CHARACTER") || SP_TOKEN_IS(&c->tok, "CHARSET") ||
               SP_TOKEN_IS(&c->tok, "TRANSACTION") || SP_TOKEN_IS(&c->tok, "PASSWORD") ||
               SP_TOKEN_IS(&c->tok, "ROLE") || SP_TOKEN_IS(&c->tok, "STATEMENT")) {
        return false;
    }
    if (c->tok.kind != SP_TOK_IDENT) {
        return false;
    }
    *name = c->tok.text;
    sp_token_cursor_advance(c);
    return true;
}

/*
 * Whether VALUE is one constant: a string, a number (maybe signed) or a
 * word such as ON, OFF or DEFAULT. An expression could read other
 * variables (CONCAT(@@sql_mode, ...)), and replayed on another connection
 * it would give another value.
 */
static bool
sqlps_constant_value(struct sp_str value)
{
    struct sp_token_cursor c;

    sp_token_cursor_init(&c, value.ptr, value.len);
    if (SP_TOKEN_IS_OP(&c.tok, "-") || SP_TOKEN_IS_OP(&c.tok, "+")) {
        sp_token_cursor_advance(&c);
        if (c.tok.kind != SP_TOK_NUMBER && c.tok.kind != SP_TOK_DECIMAL) {
            return false;
        }
    } else if (c.tok.kind != SP_TOK_STRING && c.tok.kind != SP_TOK_NUMBER &&
               c.tok.kind != SP_TOK_DECIMAL && c.tok.kind != SP_TOK_IDENT) {
        return false;
    }
    sp_token_cursor_advance(&c);
    return c.tok.kind == SP_TOK_EOF;
}

int
sp_sqlps_session_assignments(struct sp_str sql, struct sp_arena *arena,
                             struct sp_session_assign **out, size_t *n, bool *trackable)
{
    struct sp_token_cursor c;
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    *trackable = false;
    sp_token_cursor_init(&c, sql.ptr, sql.len);
    if (!SP_TOKEN_IS(&c.tok, "SET")) {
        return SP_OK;
    }
    sp_token_cursor_advance(&c);

    for (;;) {
        struct sp_session_assign assign;
        const char *start, *end;
        unsigned depth = 0;
        struct sp_str name;

        if (!sqlps_session_target(&c, &name)) {
            return SP_OK;
        }
        if (!SP_TOKEN_IS_OP(&c.tok, "=") && !SP_TOKEN_IS_OP(&c.tok, ":=")) {
            return SP_OK;
        }
        sp_token_cursor_advance(&c);
        start = c.tok.text.ptr;
        end = start;
        while (!sqlps_at_end(&c) && c.tok.kind != SP_TOK_ERROR &&
               !(depth == 0 && c.tok.kind == SP_TOK_COMMA)) {
            depth += c.tok.kind == SP_TOK_LPAREN;
            depth -= c.tok.kind == SP_TOK_RPAREN && depth > 0;
            end = c.tok.text.ptr + c.tok.text.len;
            sp_token_cursor_advance(&c);
        }
        if (c.tok.kind == SP_TOK_ERROR || end == start ||
            !sqlps_constant_value(sp_str_make(start, (size_t)(end - start)))) {
            return SP_OK;
        }
        rc = sqlps_lower(arena, name, &assign.name);
        if (rc != SP_OK) {
            return rc;
        }
        if (!sqlps_tracked(assign.name)) {
            return SP_OK;
        }
        assign.value = sp_str_make(start, (size_t)(end - start));
        if (*n == cap) {
            struct sp_session_assign *grown;

            cap = cap == 0 ? 4 : cap * 2;
            grown = sp_arena_alloc(arena, cap * sizeof(*grown));
            if (grown == NULL) {
                return SP_ENOMEM;
            }
            if (*n > 0) {
                memcpy(grown, *out, *n * sizeof(*grown));
            }
            *out = grown;
        }
        (*out)[(*n)++] = assign;
        if (c.tok.kind != SP_TOK_COMMA) {
            break;
        }
        sp_token_cursor_advance(&c);
    }
    if (c.tok.kind == SP_TOK_SEMICOLON) {
        sp_token_cursor_advance(&c);
    }
    *trackable = c.tok.kind == SP_TOK_EOF && *n > 0;
    return SP_OK;
}

enum sp_savepoint_kind
sp_sqlps_savepoint(struct sp_str sql, struct sp_str *name)
{
    enum sp_savepoint_kind kind;
    struct sp_token_cursor c;

    sp_token_cursor_init(&c, sql.ptr, sql.len);
    if (SP_TOKEN_IS(&c.tok, "SAVEPOINT")) {
        kind = SP_SAVEPOINT_SET;
    } else if (SP_TOKEN_IS(&c.tok, "RELEASE")) {
        sp_token_cursor_advance(&c);
        if (!SP_TOKEN_IS(&c.tok, "SAVEPOINT")) {
            return SP_SAVEPOINT_NONE;
        }
        kind = SP_SAVEPOINT_RELEASE;
    } else if (SP_TOKEN_IS(&c.tok, "ROLLBACK")) {
        sp_token_cursor_advance(&c);
        if (SP_TOKEN_IS(&c.tok, "WORK")) {
            sp_token_cursor_advance(&c);
        }
        if (!SP_TOKEN_IS(&c.tok, "TO")) {
            return SP_SAVEPOINT_NONE;
        }
        {
            struct sp_token next = sp_token_cursor_peek(&c);

            if (SP_TOKEN_IS(&next, "SAVEPOINT")) {
                sp_token_cursor_advance(&c);
            }
        }
        kind = SP_SAVEPOINT_ROLLBACK;
    } else {
        return SP_SAVEPOINT_NONE;
    }
    sp_token_cursor_advance(&c);
    if (c.tok.kind != SP_TOK_IDENT && c.tok.kind != SP_TOK_QUOTED_IDENT) {
        return SP_SAVEPOINT_NONE;
    }
    *name = c.tok.text;
    sp_token_cursor_advance(&c);
    if (c.tok.kind == SP_TOK_SEMICOLON) {
        sp_token_cursor_advance(&c);
    }
    return c.tok.kind == SP_TOK_EOF ? kind : SP_SAVEPOINT_NONE;
}

int
sp_sqlps_autocommit(struct sp_str sql)
{
    struct sp_token_cursor c;
    struct sp_str name;
    int value;

    sp_token_cursor_init(&c, sql.ptr, sql.len);
    if (!SP_TOKEN_IS(&c.tok, "SET")) {
        return -1;
    }
    sp_token_cursor_advance(&c);
    if (!sqlps_session_target(&c, &name) || name.len != 10 ||
        strncasecmp(name.ptr, "autocommit", 10) != 0) {
        return -1;
    }
    if (!SP_TOKEN_IS_OP(&c.tok, "=") && !SP_TOKEN_IS_OP(&c.tok, ":=")) {
        return -1;
    }
    sp_token_cursor_advance(&c);
    if (SP_TOKEN_IS(&c.tok, "ON") || SP_TOKEN_IS(&c.tok, "TRUE") ||
        (c.tok.kind == SP_TOK_NUMBER && c.tok.text.len == 1 && c.tok.text.ptr[0] == '1')) {
        value = 1;
    } else if (SP_TOKEN_IS(&c.tok, "OFF") || SP_TOKEN_IS(&c.tok, "FALSE") ||
               (c.tok.kind == SP_TOK_NUMBER && c.tok.text.len == 1 && c.tok.text.ptr[0] == '0')) {
        value = 0;
    } else {
        return -1;
    }
    sp_token_cursor_advance(&c);
    if (c.tok.kind == SP_TOK_SEMICOLON) {
        sp_token_cursor_advance(&c);
    }
    return c.tok.kind == SP_TOK_EOF ? value : -1;
}

/* The value of a constant autocommit assignment at C, or -1. */
static int
sqlps_autocommit_value(const struct sp_token *tok)
{
    if (SP_TOKEN_IS(tok, "ON") || SP_TOKEN_IS(tok, "TRUE") ||
        (tok->kind == SP_TOK_NUMBER && tok->text.len == 1 && tok->text.ptr[0] == '1')) {
        return 1;
    }
    if (SP_TOKEN_IS(tok, "OFF") || SP_TOKEN_IS(tok, "FALSE") ||
        (tok->kind == SP_TOK_NUMBER && tok->text.len == 1 && tok->text.ptr[0] == '0')) {
        return 0;
    }
    return -1;
}

#define SQLPS_ASSIGNS_MAX 64

bool
sp_sqlps_begin_read_only(struct sp_str sql)
{
    struct sp_token_cursor c;
    bool after_read = false;

    sp_token_cursor_init(&c, sql.ptr, sql.len);
    if (!SP_TOKEN_IS(&c.tok, "START")) {
        return false; /* BEGIN takes no characteristics */
    }
    while (!sqlps_at_end(&c) && c.tok.kind != SP_TOK_ERROR) {
        if (after_read && SP_TOKEN_IS(&c.tok, "ONLY")) {
            return true;
        }
        after_read = SP_TOKEN_IS(&c.tok, "READ");
        sp_token_cursor_advance(&c);
    }
    return false;
}

bool
sp_sqlps_sets_autocommit(struct sp_str sql)
{
    struct sp_token_cursor c;
    bool statement_start = true, in_set = false;

    sp_token_cursor_init(&c, sql.ptr, sql.len);
    while (c.tok.kind != SP_TOK_EOF && c.tok.kind != SP_TOK_ERROR) {
        if (c.tok.kind == SP_TOK_SEMICOLON) {
            statement_start = true;
            in_set = false;
            sp_token_cursor_advance(&c);
            continue;
        }
        if (statement_start) {
            in_set = SP_TOKEN_IS(&c.tok, "SET");
            statement_start = false;
            sp_token_cursor_advance(&c);
            continue;
        }
        if (in_set) {
            struct sp_token_cursor probe = c;
            struct sp_str name;

            if (sqlps_session_target(&probe, &name) && name.len == 10 &&
                strncasecmp(name.ptr, "autocommit", 10) == 0 &&
                (SP_TOKEN_IS_OP(&probe.tok, "=") || SP_TOKEN_IS_OP(&probe.tok, ":="))) {
                return true;
            }
        }
        sp_token_cursor_advance(&c);
    }
    return false;
}

int
sp_sqlps_split_autocommit(struct sp_str sql, struct sp_arena *arena, struct sp_str *rest,
                          int *value)
{
    struct sp_token_cursor c;
    const char *start[SQLPS_ASSIGNS_MAX], *end[SQLPS_ASSIGNS_MAX], *tail;
    bool is_autocommit[SQLPS_ASSIGNS_MAX];
    size_t n = 0, i, used;
    bool found = false;
    char *buf;

    *value = -1;
    *rest = SP_STR_NULL;
    sp_token_cursor_init(&c, sql.ptr, sql.len);
    if (!SP_TOKEN_IS(&c.tok, "SET")) {
        return SP_ENOTFOUND;
    }
    sp_token_cursor_advance(&c);

    /* Splits the assignments at top-level commas and checks each for autocommit. */
    while (!sqlps_at_end(&c) && c.tok.kind != SP_TOK_ERROR) {
        struct sp_token_cursor probe = c;
        struct sp_str name;
        unsigned depth = 0;
        size_t ntokens = 0;
        int v = -1;

        if (n == SQLPS_ASSIGNS_MAX) {
            return SP_EINVAL;
        }
        start[n] = c.tok.text.ptr;
        is_autocommit[n] = sqlps_session_target(&probe, &name) && name.len == 10 &&
                           strncasecmp(name.ptr, "autocommit", 10) == 0 &&
                           (SP_TOKEN_IS_OP(&probe.tok, "=") || SP_TOKEN_IS_OP(&probe.tok, ":="));
        if (is_autocommit[n]) {
            sp_token_cursor_advance(&probe);
            v = sqlps_autocommit_value(&probe.tok);
        }
        end[n] = start[n];
        while (!sqlps_at_end(&c) && c.tok.kind != SP_TOK_ERROR &&
               !(depth == 0 && c.tok.kind == SP_TOK_COMMA)) {
            depth += c.tok.kind == SP_TOK_LPAREN;
            depth -= c.tok.kind == SP_TOK_RPAREN && depth > 0;
            end[n] = c.tok.text.ptr + c.tok.text.len;
            if (is_autocommit[n] && c.tok.text.ptr >= probe.tok.text.ptr) {
                ntokens++;
            }
            sp_token_cursor_advance(&c);
        }
        if (is_autocommit[n]) {
            if (v < 0 || ntokens != 1) {
                return SP_EINVAL; /* an expression: the proxy could not keep the value */
            }
            *value = v;
            found = true;
        }
        n++;
        if (c.tok.kind == SP_TOK_COMMA) {
            sp_token_cursor_advance(&c);
        }
    }
    if (c.tok.kind == SP_TOK_ERROR) {
        return SP_EINVAL;
    }
    if (!found) {
        return SP_ENOTFOUND;
    }
    if (c.tok.kind == SP_TOK_SEMICOLON) {
        struct sp_token_cursor after = c;

        sp_token_cursor_advance(&after);
        if (after.tok.kind != SP_TOK_EOF) {
            return SP_EINVAL; /* more statements follow: sp_sqlps_sets_autocommit is for those */
        }
    }

    tail = n > 0 ? end[n - 1] : sql.ptr + sql.len;
    buf = sp_arena_alloc(arena, sql.len + 5);
    if (buf == NULL) {
        return SP_ENOMEM;
    }
    used = 0;
    for (i = 0; i < n; i++) {
        if (is_autocommit[i]) {
            continue;
        }
        memcpy(buf + used, used == 0 ? "SET " : ", ", used == 0 ? 4 : 2);
        used += used == 0 ? 4 : 2;
        memcpy(buf + used, start[i], (size_t)(end[i] - start[i]));
        used += (size_t)(end[i] - start[i]);
    }
    if (used > 0) {
        /* What followed the last assignment: a ';', comments. */
        memcpy(buf + used, tail, (size_t)(sql.ptr + sql.len - tail));
        used += (size_t)(sql.ptr + sql.len - tail);
    }
    buf[used] = '\0';
    *rest = sp_str_make(buf, used);
    return SP_OK;
}

/* A character set or collation name: a word, or one in quotes or backquotes. */
static bool
sqlps_charset_name(const struct sp_token *tok, struct sp_str *out)
{
    if (tok->kind == SP_TOK_IDENT) {
        *out = tok->text;
        return !SP_TOKEN_IS(tok, "DEFAULT");
    }
    if ((tok->kind == SP_TOK_STRING || tok->kind == SP_TOK_QUOTED_IDENT) && tok->text.len > 2) {
        *out = sp_str_make(tok->text.ptr + 1, tok->text.len - 2);
        return memchr(out->ptr, tok->text.ptr[0], out->len) == NULL;
    }
    return false;
}

bool
sp_sqlps_set_names(struct sp_str sql, struct sp_str *charset, struct sp_str *collation)
{
    struct sp_token_cursor c;

    sp_token_cursor_init(&c, sql.ptr, sql.len);
    if (!SP_TOKEN_IS(&c.tok, "SET")) {
        return false;
    }
    sp_token_cursor_advance(&c);
    if (!SP_TOKEN_IS(&c.tok, "NAMES")) {
        return false;
    }
    sp_token_cursor_advance(&c);
    if (!sqlps_charset_name(&c.tok, charset)) {
        return false;
    }
    sp_token_cursor_advance(&c);
    *collation = SP_STR_NULL;
    if (SP_TOKEN_IS(&c.tok, "COLLATE")) {
        sp_token_cursor_advance(&c);
        if (!sqlps_charset_name(&c.tok, collation)) {
            return false;
        }
        sp_token_cursor_advance(&c);
    }
    if (c.tok.kind == SP_TOK_SEMICOLON) {
        sp_token_cursor_advance(&c);
    }
    return c.tok.kind == SP_TOK_EOF;
}
