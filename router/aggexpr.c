/*
 * Arithmetic over aggregates in a cross-shard SELECT (SUM(a) / COUNT(*),
 * ROUND(AVG(x), 1), COUNT(*) - COUNT(y)) parsed into the struct
 * sp_merge_expr tree that the merger evaluates after merging each
 * aggregate. The parser accepts only forms whose value the merger computes
 * exactly. Anything else rejects the route with ERR 1235 quoting the
 * expression.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "router/mergeplan.h"

/* Deeper nesting is rejected, which bounds the recursion here and in the merger. */
#define AGGEXPR_MAX_DEPTH 32

struct aggexpr {
    struct mergeplan *mp;
    struct sp_token_cursor c;
    const char *end;   /* just after the expression's last token */
    const char *where; /* the clause, for messages */
    struct sp_str whole;
    unsigned depth;
    int rc;            /* SP_ENOMEM once an allocation failed */
    bool failed;       /* the route was rejected or rc set */
};

static bool
aggexpr_at_end(const struct aggexpr *x)
{
    const struct sp_token *tok = &x->c.tok;

    return tok->text.ptr >= x->end || tok->kind == SP_TOK_EOF || tok->kind == SP_TOK_ERROR;
}

static struct sp_merge_expr *
aggexpr_reject(struct aggexpr *x)
{
    if (!x->failed) {
        sp_route_reject(x->mp->route, x->mp->err,
                        "%s '%.*s' combines aggregate functions in a way that a query that spans "
                        "several shards cannot merge yet: use arithmetic, ROUND, TRUNCATE, ABS, "
                        "FLOOR, CEILING, IFNULL or COALESCE over COUNT, SUM, MIN, MAX and AVG",
                        x->where, x->whole.len > 64 ? 64 : (int)x->whole.len, x->whole.ptr);
        x->failed = true;
    }
    return NULL;
}

static struct sp_merge_expr *
aggexpr_node(struct aggexpr *x, enum sp_merge_expr_op op)
{
    struct sp_merge_expr *e = sp_arena_alloc(x->mp->arena, sizeof(*e));

    if (e == NULL) {
        x->rc = SP_ENOMEM;
        x->failed = true;
        return NULL;
    }
    memset(e, 0, sizeof(*e));
    e->op = op;
    e->col = SP_MERGE_NO_COLUMN;
    e->count_col = SP_MERGE_NO_COLUMN;
    return e;
}

static bool
aggexpr_is_op(const struct sp_token *tok, const char *op)
{
    return tok->kind == SP_TOK_OPERATOR && tok->text.len == strlen(op) &&
           memcmp(tok->text.ptr, op, tok->text.len) == 0;
}

/* Moves past a parenthesized group; returns the ')' token, or an EOF token when unbalanced. */
static struct sp_token
aggexpr_skip_group(struct aggexpr *x)
{
    unsigned depth = 0;

    do {
        if (x->c.tok.kind == SP_TOK_LPAREN) {
            depth++;
        } else if (x->c.tok.kind == SP_TOK_RPAREN) {
            depth--;
        }
        sp_token_cursor_advance(&x->c);
    } while (depth > 0 && !aggexpr_at_end(x));
    return depth == 0 ? x->c.prev : (struct sp_token){SP_TOK_EOF, SP_STR_NULL};
}

static struct sp_merge_expr *aggexpr_sum(struct aggexpr *x);

static bool
aggexpr_expect(struct aggexpr *x, enum sp_token_kind kind)
{
    if (x->c.tok.kind != kind || aggexpr_at_end(x)) {
        aggexpr_reject(x);
        return false;
    }
    sp_token_cursor_advance(&x->c);
    return true;
}

/* The places argument of ROUND and TRUNCATE: an integer literal, maybe negative. */
static bool
aggexpr_places(struct aggexpr *x, int32_t *places)
{
    bool negative = false;
    int64_t v = 0;

    if (aggexpr_is_op(&x->c.tok, "-") || aggexpr_is_op(&x->c.tok, "+")) {
        negative = x->c.tok.text.ptr[0] == '-';
        sp_token_cursor_advance(&x->c);
    }
    if (x->c.tok.kind == SP_TOK_DECIMAL && !aggexpr_at_end(x)) {
        /* 2e0: a places argument bound as a DOUBLE parameter. */
        char buf[32];
        double d;

        if (x->c.tok.text.len >= sizeof(buf)) {
            aggexpr_reject(x);
            return false;
        }
        memcpy(buf, x->c.tok.text.ptr, x->c.tok.text.len);
        buf[x->c.tok.text.len] = '\0';
        d = strtod(buf, NULL);
        if (!(d == floor(d)) || d > 9999) {
            aggexpr_reject(x);
            return false;
        }
        v = (int64_t)d;
    } else if (x->c.tok.kind != SP_TOK_NUMBER || x->c.tok.text.len > 4 || aggexpr_at_end(x)) {
        aggexpr_reject(x);
        return false;
    } else {
        for (size_t i = 0; i < x->c.tok.text.len; i++) {
            v = v * 10 + (x->c.tok.text.ptr[i] - '0');
        }
    }
    /*
     * NOTE: places above 38 count as 38, the most a DECIMAL keeps, so a
     * DOUBLE below 1e-38 rounds to zero where the server would keep it.
     */
    if (v > 38) {
        v = 38;
    }
    *places = (int32_t)(negative ? -v : v);
    sp_token_cursor_advance(&x->c);
    return true;
}

/* A call of one of the functions the merger evaluates, the cursor at its '('. */
static struct sp_merge_expr *
aggexpr_function(struct aggexpr *x, const struct sp_token *name)
{
    struct sp_merge_expr *e, *arg, *last;
    enum sp_merge_expr_op op;
    bool coalesce = SP_TOKEN_IS(name, "COALESCE");

    if (SP_TOKEN_IS(name, "ROUND")) {
        op = SP_EXPR_ROUND;
    } else if (SP_TOKEN_IS(name, "TRUNCATE")) {
        op = SP_EXPR_TRUNCATE;
    } else if (SP_TOKEN_IS(name, "ABS")) {
        op = SP_EXPR_ABS;
    } else if (SP_TOKEN_IS(name, "FLOOR")) {
        op = SP_EXPR_FLOOR;
    } else if (SP_TOKEN_IS(name, "CEIL") || SP_TOKEN_IS(name, "CEILING")) {
        op = SP_EXPR_CEILING;
    } else if (SP_TOKEN_IS(name, "IFNULL") || coalesce) {
        op = SP_EXPR_IFNULL;
    } else if (SP_TOKEN_IS(name, "MOD")) {
        op = SP_EXPR_MOD;
    } else {
        return aggexpr_reject(x);
    }

    sp_token_cursor_advance(&x->c); /* '(' */
    arg = aggexpr_sum(x);
    if (arg == NULL) {
        return NULL;
    }
    e = aggexpr_node(x, op);
    if (e == NULL) {
        return NULL;
    }
    e->arg[0] = arg;

    switch (op) {
    case SP_EXPR_ROUND:
    case SP_EXPR_TRUNCATE:
        if (x->c.tok.kind == SP_TOK_COMMA) {
            sp_token_cursor_advance(&x->c);
            if (!aggexpr_places(x, &e->places)) {
                return NULL;
            }
        } else if (op == SP_EXPR_TRUNCATE) {
            return aggexpr_reject(x);
        }
        break;
    case SP_EXPR_MOD:
        /* MOD(a, b) is a MOD b. */
        if (!aggexpr_expect(x, SP_TOK_COMMA)) {
            return NULL;
        }
        e->arg[1] = aggexpr_sum(x);
        if (e->arg[1] == NULL) {
            return NULL;
        }
        break;
    case SP_EXPR_IFNULL:
        /* COALESCE(a, b, c) is IFNULL(a, IFNULL(b, c)). */
        last = e;
        do {
            if (!aggexpr_expect(x, SP_TOK_COMMA)) {
                return NULL;
            }
            arg = aggexpr_sum(x);
            if (arg == NULL) {
                return NULL;
            }
            if (coalesce && x->c.tok.kind == SP_TOK_COMMA) {
                struct sp_merge_expr *next = aggexpr_node(x, SP_EXPR_IFNULL);

                if (next == NULL) {
                    return NULL;
                }
                next->arg[0] = arg;
                last->arg[1] = next;
                last = next;
                continue;
            }
            last->arg[1] = arg;
        } while (last->arg[1] == NULL);
        break;
    default:
        break;
    }
    return aggexpr_expect(x, SP_TOK_RPAREN) ? e : NULL;
}

/* NAME(...) with the cursor at NAME: an aggregate, an evaluated function, or a plain part. */
static struct sp_merge_expr *
aggexpr_call(struct aggexpr *x)
{
    struct sp_token_cursor start = x->c;
    struct sp_token name = x->c.tok, close;
    struct sp_merge_expr *e;
    struct sp_span span;
    bool found;

    sp_token_cursor_advance(&x->c);
    {
        struct aggexpr probe = *x;

        close = aggexpr_skip_group(&probe);
    }
    if (close.kind != SP_TOK_RPAREN) {
        return aggexpr_reject(x);
    }
    span.at = start;
    span.start = name.text.ptr;
    span.end = close.text.ptr + 1;

    e = aggexpr_node(x, SP_EXPR_COLUMN);
    if (e == NULL) {
        return NULL;
    }
    x->rc = sp_mergeplan_aggregate_leaf(x->mp, &span, &found, e);
    if (x->rc != SP_OK || x->mp->route->kind == SP_PLAN_REJECT) {
        x->failed = true;
        return NULL;
    }
    if (found) {
        aggexpr_skip_group(x);
        return e;
    }
    if (!sp_mergeplan_has_aggregate(&span)) {
        /* A function of plain values (group keys) is the shards' to compute. */
        x->rc = sp_mergeplan_plain_leaf(x->mp, &span, e);
        if (x->rc != SP_OK) {
            x->failed = true;
            return NULL;
        }
        aggexpr_skip_group(x);
        return e;
    }
    return aggexpr_function(x, &name);
}

/* A column name, maybe qualified: a plain value the shards return. */
static struct sp_merge_expr *
aggexpr_name(struct aggexpr *x)
{
    struct sp_token_cursor start = x->c;
    struct sp_merge_expr *e;
    struct sp_span span;

    span.at = start;
    span.start = x->c.tok.text.ptr;
    for (;;) {
        span.end = x->c.tok.text.ptr + x->c.tok.text.len;
        sp_token_cursor_advance(&x->c);
        if (x->c.tok.kind != SP_TOK_DOT || aggexpr_at_end(x)) {
            break;
        }
        sp_token_cursor_advance(&x->c);
        if (x->c.tok.kind != SP_TOK_IDENT && x->c.tok.kind != SP_TOK_QUOTED_IDENT) {
            return aggexpr_reject(x);
        }
    }
    e = aggexpr_node(x, SP_EXPR_COLUMN);
    if (e == NULL) {
        return NULL;
    }
    x->rc = sp_mergeplan_plain_leaf(x->mp, &span, e);
    if (x->rc != SP_OK) {
        x->failed = true;
        return NULL;
    }
    return e;
}

static bool
aggexpr_is_keyword(const struct sp_token *tok)
{
    static const char *const words[] = {"CASE", "WHEN", "THEN", "ELSE", "END", "NOT", "AND",
                                        "OR",   "XOR",  "IS",   "NULL", "IN",  "BETWEEN",
                                        "LIKE", "DIV",  "MOD",  "TRUE", "FALSE", "INTERVAL",
                                        "DISTINCT", "BINARY", "COLLATE"};

    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (sp_token_is_word(tok, words[i], strlen(words[i]))) {
            return true;
        }
    }
    return false;
}

static struct sp_merge_expr *
aggexpr_primary(struct aggexpr *x)
{
    struct sp_merge_expr *e;
    struct sp_token next;

    if (aggexpr_at_end(x)) {
        return aggexpr_reject(x);
    }
    switch (x->c.tok.kind) {
    case SP_TOK_NUMBER:
    case SP_TOK_DECIMAL:
        e = aggexpr_node(x, SP_EXPR_NUMBER);
        if (e != NULL) {
            e->text = x->c.tok.text;
            sp_token_cursor_advance(&x->c);
        }
        return e;
    case SP_TOK_LPAREN:
        next = sp_token_cursor_peek(&x->c);
        if (SP_TOKEN_IS(&next, "SELECT") || SP_TOKEN_IS(&next, "WITH")) {
            return aggexpr_reject(x);
        }
        sp_token_cursor_advance(&x->c);
        e = aggexpr_sum(x);
        return e != NULL && aggexpr_expect(x, SP_TOK_RPAREN) ? e : NULL;
    case SP_TOK_IDENT:
        if (SP_TOKEN_IS(&x->c.tok, "NULL")) {
            e = aggexpr_node(x, SP_EXPR_NULL);
            if (e != NULL) {
                sp_token_cursor_advance(&x->c);
            }
            return e;
        }
        next = sp_token_cursor_peek(&x->c);
        if (next.kind == SP_TOK_LPAREN) {
            return aggexpr_call(x);
        }
        if (aggexpr_is_keyword(&x->c.tok)) {
            return aggexpr_reject(x);
        }
        return aggexpr_name(x);
    case SP_TOK_QUOTED_IDENT:
        return aggexpr_name(x);
    default:
        return aggexpr_reject(x);
    }
}

static struct sp_merge_expr *
aggexpr_unary(struct aggexpr *x)
{
    struct sp_merge_expr *e, *arg;

    if (++x->depth > AGGEXPR_MAX_DEPTH) {
        return aggexpr_reject(x);
    }
    if (aggexpr_is_op(&x->c.tok, "+")) {
        sp_token_cursor_advance(&x->c);
        e = aggexpr_unary(x);
    } else if (aggexpr_is_op(&x->c.tok, "-")) {
        sp_token_cursor_advance(&x->c);
        arg = aggexpr_unary(x);
        e = arg != NULL ? aggexpr_node(x, SP_EXPR_NEG) : NULL;
        if (e != NULL) {
            e->arg[0] = arg;
        }
    } else {
        e = aggexpr_primary(x);
    }
    x->depth--;
    return e;
}

static bool
aggexpr_product_op(const struct sp_token *tok, enum sp_merge_expr_op *op)
{
    if (aggexpr_is_op(tok, "*")) {
        *op = SP_EXPR_MUL;
    } else if (aggexpr_is_op(tok, "/")) {
        *op = SP_EXPR_DIV;
    } else if (aggexpr_is_op(tok, "%") || SP_TOKEN_IS(tok, "MOD")) {
        *op = SP_EXPR_MOD;
    } else if (SP_TOKEN_IS(tok, "DIV")) {
        *op = SP_EXPR_INT_DIV;
    } else {
        return false;
    }
    return true;
}

/* Folds left-associative operators of one precedence level. */
static struct sp_merge_expr *
aggexpr_binary(struct aggexpr *x, bool sum_level)
{
    struct sp_merge_expr *left, *right, *e;
    enum sp_merge_expr_op op;

    left = sum_level ? aggexpr_binary(x, false) : aggexpr_unary(x);
    while (left != NULL && !aggexpr_at_end(x)) {
        if (sum_level && aggexpr_is_op(&x->c.tok, "+")) {
            op = SP_EXPR_ADD;
        } else if (sum_level && aggexpr_is_op(&x->c.tok, "-")) {
            op = SP_EXPR_SUB;
        } else if (sum_level || !aggexpr_product_op(&x->c.tok, &op)) {
            break;
        }
        sp_token_cursor_advance(&x->c);
        right = sum_level ? aggexpr_binary(x, false) : aggexpr_unary(x);
        if (right == NULL) {
            return NULL;
        }
        e = aggexpr_node(x, op);
        if (e == NULL) {
            return NULL;
        }
        e->arg[0] = left;
        e->arg[1] = right;
        left = e;
    }
    return left;
}

static struct sp_merge_expr *
aggexpr_sum(struct aggexpr *x)
{
    struct sp_merge_expr *e;

    if (++x->depth > AGGEXPR_MAX_DEPTH) {
        return aggexpr_reject(x);
    }
    e = aggexpr_binary(x, true);
    x->depth--;
    return e;
}

int
sp_aggexpr_parse(struct mergeplan *mp, const struct sp_span *expr, const char *where,
                 const struct sp_merge_expr **out)
{
    struct aggexpr x;
    struct sp_merge_expr *e;

    memset(&x, 0, sizeof(x));
    x.mp = mp;
    x.c = expr->at;
    x.end = expr->end;
    x.where = where;
    x.whole = sp_span_text(expr);

    *out = NULL;
    e = aggexpr_sum(&x);
    if (x.rc != SP_OK) {
        return x.rc;
    }
    if (e != NULL && !aggexpr_at_end(&x)) {
        e = aggexpr_reject(&x); /* a comparison, IS NULL, a collation, ... */
    }
    if (e != NULL && mp->route->kind != SP_PLAN_REJECT) {
        *out = e;
    }
    return SP_OK;
}
