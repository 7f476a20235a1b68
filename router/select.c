/*
 * Outer-query parser for cross-shard SELECTs: the select list, the clause
 * positions after FROM, and token-wise comparison of expressions.
 *
 * It walks the tokens once and treats every parenthesized group as one
 * step. FROM, WHERE, GROUP, HAVING, ORDER, LIMIT and most other clause
 * keywords are reserved words in MariaDB, so outside parentheses they
 * start clauses. Index hints (FOR ORDER BY) are the exception, and OFFSET,
 * which is not reserved, counts only when a value follows. Nothing here
 * decides routing: the merge planner reads the result.
 */
#include "router/select.h"

#include <string.h>

struct selparse {
    struct sp_token_cursor c;
    struct sp_arena *arena;
    struct sp_select *out;
    struct sp_route *route;
    struct sp_error *err;
};

/* Select options that may come between SELECT and the first item. */
static const struct sp_keyword sel_options[] = {
    SP_KEYWORD("ALL"),           SP_KEYWORD("HIGH_PRIORITY"),    SP_KEYWORD("STRAIGHT_JOIN"),
    SP_KEYWORD("SQL_SMALL_RESULT"), SP_KEYWORD("SQL_BIG_RESULT"), SP_KEYWORD("SQL_BUFFER_RESULT"),
    SP_KEYWORD("SQL_CACHE"),     SP_KEYWORD("SQL_NO_CACHE"),
};

/* Words after which an expression needs another operand, so a name after them is no alias. */
static const struct sp_keyword sel_operand_words[] = {
    SP_KEYWORD("AND"),     SP_KEYWORD("OR"),      SP_KEYWORD("NOT"),    SP_KEYWORD("XOR"),
    SP_KEYWORD("IS"),      SP_KEYWORD("LIKE"),    SP_KEYWORD("IN"),     SP_KEYWORD("BETWEEN"),
    SP_KEYWORD("CASE"),    SP_KEYWORD("WHEN"),    SP_KEYWORD("THEN"),   SP_KEYWORD("ELSE"),
    SP_KEYWORD("DIV"),     SP_KEYWORD("MOD"),     SP_KEYWORD("BINARY"), SP_KEYWORD("INTERVAL"),
    SP_KEYWORD("COLLATE"), SP_KEYWORD("ESCAPE"),  SP_KEYWORD("REGEXP"), SP_KEYWORD("RLIKE"),
    SP_KEYWORD("SOUNDS"),  SP_KEYWORD("EXISTS"),  SP_KEYWORD("AS"),     SP_KEYWORD("DISTINCT"),
    SP_KEYWORD("DATE"),    SP_KEYWORD("TIME"),    SP_KEYWORD("TIMESTAMP"),
};

/* Words that end an expression themselves, so they are never an alias. */
static const struct sp_keyword sel_closing_words[] = {
    SP_KEYWORD("END"), SP_KEYWORD("NULL"), SP_KEYWORD("TRUE"), SP_KEYWORD("FALSE"), SP_KEYWORD("UNKNOWN"),
};

/* Units after INTERVAL n, which end an expression too. */
static const struct sp_keyword sel_interval_units[] = {
    SP_KEYWORD("MICROSECOND"),        SP_KEYWORD("SECOND"),           SP_KEYWORD("MINUTE"),
    SP_KEYWORD("HOUR"),               SP_KEYWORD("DAY"),              SP_KEYWORD("WEEK"),
    SP_KEYWORD("MONTH"),              SP_KEYWORD("QUARTER"),          SP_KEYWORD("YEAR"),
    SP_KEYWORD("SECOND_MICROSECOND"), SP_KEYWORD("MINUTE_MICROSECOND"), SP_KEYWORD("MINUTE_SECOND"),
    SP_KEYWORD("HOUR_MICROSECOND"),   SP_KEYWORD("HOUR_SECOND"),      SP_KEYWORD("HOUR_MINUTE"),
    SP_KEYWORD("DAY_MICROSECOND"),    SP_KEYWORD("DAY_SECOND"),       SP_KEYWORD("DAY_MINUTE"),
    SP_KEYWORD("DAY_HOUR"),           SP_KEYWORD("YEAR_MONTH"),
};

static bool
sel_at_end(const struct sp_token *tok)
{
    return tok->kind == SP_TOK_EOF || tok->kind == SP_TOK_ERROR || tok->kind == SP_TOK_SEMICOLON;
}

static bool
sel_peek_is(const struct sp_token_cursor *c, const char *word, size_t len)
{
    struct sp_token next = sp_token_cursor_peek(c);

    return sp_token_is_word(&next, word, len);
}

#define SEL_PEEK_IS(c, w) sel_peek_is((c), (w), sizeof(w) - 1)

/* Moves past one token, or past a whole parenthesized group. */
static void
sel_step(struct selparse *p)
{
    unsigned depth = 0;

    do {
        if (p->c.tok.kind == SP_TOK_LPAREN) {
            depth++;
        } else if (p->c.tok.kind == SP_TOK_RPAREN && depth > 0) {
            depth--;
        }
        sp_token_cursor_advance(&p->c);
    } while (depth > 0 && !sel_at_end(&p->c.tok));
}

/* The token starts a clause of the outer query, which ends a select item or a key. */
static bool
sel_is_clause(const struct sp_token_cursor *c)
{
    const struct sp_token *tok = &c->tok;
    struct sp_token next;

    if (SP_TOKEN_IS(tok, "FROM") || SP_TOKEN_IS(tok, "WHERE") || SP_TOKEN_IS(tok, "HAVING")
        || SP_TOKEN_IS(tok, "LIMIT") || SP_TOKEN_IS(tok, "WINDOW") || SP_TOKEN_IS(tok, "INTO")
        || SP_TOKEN_IS(tok, "PROCEDURE") || SP_TOKEN_IS(tok, "UNION")
        || SP_TOKEN_IS(tok, "EXCEPT") || SP_TOKEN_IS(tok, "INTERSECT")
        || SP_TOKEN_IS(tok, "FOR")) {
        return true;
    }
    if (SP_TOKEN_IS(tok, "GROUP") || SP_TOKEN_IS(tok, "ORDER")) {
        return SEL_PEEK_IS(c, "BY");
    }
    if (SP_TOKEN_IS(tok, "LOCK")) {
        return SEL_PEEK_IS(c, "IN");
    }
    if (SP_TOKEN_IS(tok, "WITH")) {
        return SEL_PEEK_IS(c, "ROLLUP");
    }
    /* OFFSET n ROWS FETCH ...; a column may be named offset, so the value must follow. */
    if (SP_TOKEN_IS(tok, "OFFSET") || SP_TOKEN_IS(tok, "FETCH")) {
        next = sp_token_cursor_peek(c);
        return next.kind == SP_TOK_NUMBER || next.kind == SP_TOK_PLACEHOLDER
               || SP_TOKEN_IS(&next, "FIRST") || SP_TOKEN_IS(&next, "NEXT");
    }
    return false;
}

static bool
sel_reject(struct selparse *p, const char *what)
{
    sp_route_reject(p->route, p->err, "%s on a query that spans several shards is not supported yet",
                    what);
    return false;
}

static bool
sel_can_end_expression(const struct sp_token *tok)
{
    switch (tok->kind) {
    case SP_TOK_IDENT:
        return !sp_token_is_word_in(tok, sel_operand_words, SP_KEYWORDS_COUNT(sel_operand_words));
    case SP_TOK_QUOTED_IDENT:
    case SP_TOK_STRING:
    case SP_TOK_NUMBER:
    case SP_TOK_DECIMAL:
    case SP_TOK_HEX:
    case SP_TOK_BIT:
    case SP_TOK_RPAREN:
    case SP_TOK_USER_VAR:
    case SP_TOK_SYSTEM_VAR:
    case SP_TOK_PLACEHOLDER:
        return true;
    default:
        return false;
    }
}

/*
 * Whether LAST, after BEFORE, is an implicit alias as in "SELECT a b".
 * A string after a charset introducer (_utf8mb4'x') or after DATE is a
 * literal, and a unit after INTERVAL n is part of the interval.
 */
static bool
sel_is_implicit_alias(const struct sp_token *before, const struct sp_token *last,
                      bool has_interval)
{
    if (!sel_can_end_expression(before)) {
        return false;
    }
    switch (last->kind) {
    case SP_TOK_QUOTED_IDENT:
        return true;
    case SP_TOK_STRING:
        return !(before->kind == SP_TOK_IDENT && before->text.len > 0 && before->text.ptr[0] == '_');
    case SP_TOK_IDENT:
        if (sp_token_is_word_in(last, sel_closing_words, SP_KEYWORDS_COUNT(sel_closing_words))
            || sp_token_is_word_in(last, sel_operand_words, SP_KEYWORDS_COUNT(sel_operand_words))) {
            return false;
        }
        return !(has_interval && sp_token_is_word_in(last, sel_interval_units, SP_KEYWORDS_COUNT(sel_interval_units)));
    default:
        return false;
    }
}

/*
 * Reads one select item up to the comma or clause that ends it: the
 * expression, an alias (AS name, or a name right after the expression)
 * and whether it is a star.
 */
static void
sel_item(struct selparse *p, struct sp_select_item *item)
{
    struct sp_token last = {SP_TOK_EOF, SP_STR_NULL}, before = last, first;
    const char *ends[3] = {NULL, NULL, NULL}; /* span end before the last two steps, and now */
    bool has_interval = false;
    size_t n = 0;

    memset(item, 0, sizeof(*item));
    item->alias.kind = SP_TOK_EOF;
    item->expr.at = p->c;
    item->expr.start = p->c.tok.text.ptr;
    ends[2] = item->expr.start;
    while (!sel_at_end(&p->c.tok) && p->c.tok.kind != SP_TOK_COMMA && !sel_is_clause(&p->c)) {
        first = p->c.tok;
        has_interval = has_interval || SP_TOKEN_IS(&first, "INTERVAL");
        sel_step(p);
        before = last;
        last = p->c.prev.kind == SP_TOK_RPAREN ? p->c.prev : first;
        ends[0] = ends[1];
        ends[1] = ends[2];
        ends[2] = p->c.prev.text.ptr + p->c.prev.text.len;
        n++;
    }
    item->expr.end = ends[2];

    if ((n == 1 && SP_TOKEN_IS_OP(&last, "*"))
        || (n >= 3 && SP_TOKEN_IS_OP(&last, "*") && before.kind == SP_TOK_DOT)) {
        item->star = true;
        return;
    }
    if (n >= 3 && SP_TOKEN_IS(&before, "AS")) {
        item->alias = last;
        item->expr.end = ends[0];
    } else if (n >= 2 && sel_is_implicit_alias(&before, &last, has_interval)) {
        item->alias = last;
        item->expr.end = ends[1];
    }
}

static bool
sel_items(struct selparse *p)
{
    struct sp_select *out = p->out;
    struct sp_select_item *item;
    size_t cap = 0;
    int32_t col = 0;

    for (;;) {
        item = sp_router_push(p->arena, (void **)&out->items, &out->nitems, &cap, sizeof(*item));
        if (item == NULL) {
            return false;
        }
        sel_item(p, item);
        if (item->star) {
            col = -1; /* the star's columns cannot be counted here */
        }
        item->col = item->star ? -1 : col;
        if (col >= 0) {
            col++;
        }
        out->list_end = item->expr.end;
        if (item->alias.kind != SP_TOK_EOF) {
            out->list_end = item->alias.text.ptr + item->alias.text.len;
        }
        if (p->c.tok.kind != SP_TOK_COMMA) {
            return true;
        }
        sp_token_cursor_advance(&p->c);
    }
}

/* Reads a GROUP BY or ORDER BY list; C is at its first key. */
static bool
sel_keys(struct selparse *p, struct sp_select_key **keys, size_t *nkeys)
{
    struct sp_select_key *key;
    struct sp_token last = {SP_TOK_EOF, SP_STR_NULL};
    const char *ends[2];
    size_t cap = 0, n;

    for (;;) {
        key = sp_router_push(p->arena, (void **)keys, nkeys, &cap, sizeof(*key));
        if (key == NULL) {
            return false;
        }
        key->expr.at = p->c;
        key->expr.start = p->c.tok.text.ptr;
        key->desc = false;
        ends[0] = ends[1] = key->expr.start;
        n = 0;
        while (!sel_at_end(&p->c.tok) && p->c.tok.kind != SP_TOK_COMMA && !sel_is_clause(&p->c)) {
            last = p->c.tok;
            sel_step(p);
            ends[0] = ends[1];
            ends[1] = p->c.prev.text.ptr + p->c.prev.text.len;
            n++;
        }
        key->expr.end = ends[1];
        if (n >= 2 && (SP_TOKEN_IS(&last, "ASC") || SP_TOKEN_IS(&last, "DESC"))) {
            key->desc = SP_TOKEN_IS(&last, "DESC");
            key->expr.end = ends[0];
        }
        if (p->c.tok.kind != SP_TOK_COMMA) {
            return true;
        }
        sp_token_cursor_advance(&p->c);
    }
}

/*
 * Rejects text that no server accepts (LIMIT 'a', LIMIT -1) with the
 * server's own code, 1064, instead of a "not supported".
 */
static bool
sel_syntax_error(struct selparse *p)
{
    const struct sp_token *tok = &p->c.tok;
    size_t len = tok->kind == SP_TOK_EOF ? 0 : tok->text.len;

    p->route->kind = SP_PLAN_REJECT;
    p->route->targets = NULL;
    p->route->ntargets = 0;
    sp_error_set(p->err, SP_ER_PARSE_ERROR, "42000",
                 "You have an error in your SQL syntax; check the manual that corresponds to "
                 "your MariaDB server version for the right syntax to use near '%.*s'",
                 (int)(len > 80 ? 80 : len), tok->text.ptr != NULL ? tok->text.ptr : "");
    return false;
}

/* Reads a LIMIT value: decimal digits that fit in 64 bits. */
static bool
sel_limit_value(struct selparse *p, uint64_t *value)
{
    const struct sp_token *tok = &p->c.tok;
    uint64_t v = 0;
    unsigned d;
    size_t i;

    if (tok->kind != SP_TOK_NUMBER) {
        if (tok->kind == SP_TOK_PLACEHOLDER || tok->kind == SP_TOK_IDENT) {
            return sel_reject(p, "LIMIT with a placeholder or a variable");
        }
        return sel_syntax_error(p);
    }
    for (i = 0; i < tok->text.len; i++) {
        d = (unsigned)(tok->text.ptr[i] - '0');
        if (v > (UINT64_MAX - d) / 10) {
            return sel_reject(p, "a LIMIT value above 18446744073709551615");
        }
        v = v * 10 + d;
    }
    *value = v;
    sp_token_cursor_advance(&p->c);
    return true;
}

/* LIMIT n, LIMIT o, n and LIMIT n OFFSET o. C is at LIMIT. */
static bool
sel_limit(struct selparse *p)
{
    struct sp_select *out = p->out;
    uint64_t first;

    out->has_limit = true;
    out->limit_cut = p->c.prev.text.ptr + p->c.prev.text.len;
    sp_token_cursor_advance(&p->c);
    out->limit_start = p->c.tok.text.ptr;
    if (!sel_limit_value(p, &first)) {
        return false;
    }
    out->limit = first;
    if (p->c.tok.kind == SP_TOK_COMMA) {
        sp_token_cursor_advance(&p->c);
        out->offset = first;
        if (!sel_limit_value(p, &out->limit)) {
            return false;
        }
    } else if (SP_TOKEN_IS(&p->c.tok, "OFFSET")) {
        sp_token_cursor_advance(&p->c);
        if (!sel_limit_value(p, &out->offset)) {
            return false;
        }
    }
    out->limit_end = p->c.prev.text.ptr + p->c.prev.text.len;
    if (SP_TOKEN_IS(&p->c.tok, "ROWS")) {
        return sel_reject(p, "LIMIT ROWS EXAMINED");
    }
    return true;
}

/* FOR UPDATE and FOR SHARE lock; FOR JOIN, ORDER BY and GROUP BY belong to index hints. */
static bool
sel_for(struct selparse *p)
{
    if (SEL_PEEK_IS(&p->c, "UPDATE")) {
        return sel_reject(p, "FOR UPDATE");
    }
    if (SEL_PEEK_IS(&p->c, "SHARE")) {
        return sel_reject(p, "FOR SHARE");
    }
    sp_token_cursor_advance(&p->c);
    if (SP_TOKEN_IS(&p->c.tok, "ORDER") || SP_TOKEN_IS(&p->c.tok, "GROUP")) {
        sp_token_cursor_advance(&p->c);
    }
    sp_token_cursor_advance(&p->c); /* JOIN or BY */
    return true;
}

static bool
sel_having(struct selparse *p)
{
    struct sp_select *out = p->out;

    out->has_having = true;
    out->having_cut = p->c.prev.text.ptr + p->c.prev.text.len;
    sp_token_cursor_advance(&p->c);
    out->having.at = p->c;
    out->having.start = p->c.tok.text.ptr;
    out->having.end = out->having.start;
    while (!sel_at_end(&p->c.tok) && !sel_is_clause(&p->c)) {
        sel_step(p);
        out->having.end = p->c.prev.text.ptr + p->c.prev.text.len;
    }
    return true;
}

/* Reads the clauses after FROM. Returns false after a rejection or when out of memory. */
static bool
sel_clauses(struct selparse *p)
{
    struct sp_select *out = p->out;
    const struct sp_token *tok = &p->c.tok;

    while (!sel_at_end(tok)) {
        if (out->group_cut == NULL &&
            ((SP_TOKEN_IS(tok, "GROUP") && SEL_PEEK_IS(&p->c, "BY")) ||
             (SP_TOKEN_IS(tok, "ORDER") && SEL_PEEK_IS(&p->c, "BY")) ||
             SP_TOKEN_IS(tok, "HAVING") || SP_TOKEN_IS(tok, "LIMIT"))) {
            out->group_cut = p->c.prev.text.ptr + p->c.prev.text.len;
        }
        if (SP_TOKEN_IS(tok, "FOR")) {
            if (!sel_for(p)) {
                return false;
            }
        } else if (SP_TOKEN_IS(tok, "GROUP") && SEL_PEEK_IS(&p->c, "BY")) {
            sp_token_cursor_advance(&p->c);
            sp_token_cursor_advance(&p->c);
            out->has_group = true;
            if (!sel_keys(p, &out->group, &out->ngroup)) {
                return false;
            }
            if (SP_TOKEN_IS(tok, "WITH")) {
                return sel_reject(p, "WITH ROLLUP");
            }
        } else if (SP_TOKEN_IS(tok, "ORDER") && SEL_PEEK_IS(&p->c, "BY")) {
            sp_token_cursor_advance(&p->c);
            sp_token_cursor_advance(&p->c);
            out->has_order = true;
            if (!sel_keys(p, &out->order, &out->norder)) {
                return false;
            }
        } else if (SP_TOKEN_IS(tok, "HAVING")) {
            sel_having(p);
        } else if (SP_TOKEN_IS(tok, "LIMIT")) {
            if (!sel_limit(p)) {
                return false;
            }
        } else if (SP_TOKEN_IS(tok, "LOCK") && SEL_PEEK_IS(&p->c, "IN")) {
            return sel_reject(p, "LOCK IN SHARE MODE");
        } else if (SP_TOKEN_IS(tok, "WINDOW")) {
            return sel_reject(p, "window function (WINDOW)");
        } else if (SP_TOKEN_IS(tok, "INTO")) {
            return sel_reject(p, "SELECT ... INTO");
        } else if (SP_TOKEN_IS(tok, "PROCEDURE")) {
            return sel_reject(p, "PROCEDURE");
        } else if (SP_TOKEN_IS(tok, "UNION") || SP_TOKEN_IS(tok, "EXCEPT")
                   || SP_TOKEN_IS(tok, "INTERSECT")) {
            return sel_reject(p, "UNION, EXCEPT or INTERSECT");
        } else if ((SP_TOKEN_IS(tok, "OFFSET") || SP_TOKEN_IS(tok, "FETCH"))
                   && sel_is_clause(&p->c)) {
            return sel_reject(p, "OFFSET ... FETCH");
        } else {
            sel_step(p);
        }
    }
    if (out->group_cut == NULL) {
        out->group_cut = p->c.prev.text.ptr + p->c.prev.text.len;
    }
    return true;
}

int
sp_select_parse(struct sp_str text, struct sp_arena *arena, struct sp_select *out,
                struct sp_route *route, struct sp_error *err)
{
    struct selparse p = {.arena = arena, .out = out, .route = route, .err = err};
    const struct sp_token *tok = &p.c.tok;

    memset(out, 0, sizeof(*out));
    sp_token_cursor_init(&p.c, text.ptr, text.len);
    if (!SP_TOKEN_IS(tok, "SELECT")) {
        return SP_ENOTFOUND;
    }
    sp_token_cursor_advance(&p.c);

    for (;;) {
        if (SP_TOKEN_IS(tok, "DISTINCT") || SP_TOKEN_IS(tok, "DISTINCTROW")) {
            out->distinct = true;
        } else if (SP_TOKEN_IS(tok, "SQL_CALC_FOUND_ROWS")) {
            sel_reject(&p, "SQL_CALC_FOUND_ROWS");
            return SP_OK;
        } else if (!sp_token_is_word_in(tok, sel_options, SP_KEYWORDS_COUNT(sel_options))) {
            break;
        }
        sp_token_cursor_advance(&p.c);
    }

    if (!sel_items(&p)) {
        return SP_ENOMEM;
    }
    if (SP_TOKEN_IS(tok, "INTO")) {
        sel_reject(&p, "SELECT ... INTO");
        return SP_OK;
    }
    if (!SP_TOKEN_IS(tok, "FROM")) {
        return SP_ENOTFOUND;
    }
    if (!sel_clauses(&p)) {
        return route->kind == SP_PLAN_REJECT ? SP_OK : SP_ENOMEM;
    }
    return SP_OK;
}

/* Compares two tokens as sp_span_equal does. */
static bool
sel_token_equal(const struct sp_token *a, const struct sp_token *b)
{
    bool an = a->kind == SP_TOK_IDENT || a->kind == SP_TOK_QUOTED_IDENT;
    bool bn = b->kind == SP_TOK_IDENT || b->kind == SP_TOK_QUOTED_IDENT;

    if (an || bn) {
        return an && bn && sp_router_same_name(a, b);
    }
    return a->kind == b->kind && a->text.len == b->text.len
           && memcmp(a->text.ptr, b->text.ptr, a->text.len) == 0;
}

bool
sp_span_equal(const struct sp_span *a, const struct sp_span *b)
{
    struct sp_token_cursor x = a->at, y = b->at;

    if (a->start == a->end || b->start == b->end) {
        return false;
    }
    for (;;) {
        bool xend = x.tok.text.ptr >= a->end || sel_at_end(&x.tok);
        bool yend = y.tok.text.ptr >= b->end || sel_at_end(&y.tok);

        if (xend || yend) {
            return xend && yend;
        }
        if (!sel_token_equal(&x.tok, &y.tok)) {
            return false;
        }
        sp_token_cursor_advance(&x);
        sp_token_cursor_advance(&y);
    }
}

bool
sp_span_is_name(const struct sp_span *span, const struct sp_token *name)
{
    const struct sp_token *tok = &span->at.tok;

    return tok->text.ptr + tok->text.len == span->end && sp_router_same_name(tok, name);
}

struct sp_str
sp_span_text(const struct sp_span *span)
{
    return sp_str_make(span->start, (size_t)(span->end - span->start));
}
