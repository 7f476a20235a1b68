/*
 * Merge planning: from the parsed outer query (select.c) to a struct
 * sp_merge_spec and the edits that make each shard's SQL.
 *
 * Hidden columns are numbered in the order they are first needed: select
 * items (AVG parts, MIN and MAX weights), then GROUP BY keys, ORDER BY
 * keys and HAVING operands. An expression needed twice gets one column.
 * Whatever cannot be merged into exactly the result one server would
 * return is rejected with ERR 1235 naming the construct. Nothing is
 * approximated.
 */
#include "router/mergeplan.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Maximum length of the expression text quoted in a message, in bytes. */
#define MP_QUOTE_MAX 64

/* Arguments of one COUNT(DISTINCT a, b, ...) that the merge handles. */
#define MP_DISTINCT_ARGS_MAX 16

struct mp_aggregate_name {
    const char *name;
    size_t len;
    enum sp_merge_agg agg; /* SP_MERGE_AGG_NONE: an aggregate the merger cannot combine */
};

#define MP_AGG(w, a) {(w), sizeof(w) - 1, (a)}

static const struct mp_aggregate_name mp_aggregates[] = {
    MP_AGG("COUNT", SP_MERGE_AGG_COUNT),
    MP_AGG("SUM", SP_MERGE_AGG_SUM),
    MP_AGG("MIN", SP_MERGE_AGG_MIN),
    MP_AGG("MAX", SP_MERGE_AGG_MAX),
    MP_AGG("AVG", SP_MERGE_AGG_AVG),
    MP_AGG("GROUP_CONCAT", SP_MERGE_AGG_NONE),
    MP_AGG("STD", SP_MERGE_AGG_NONE),
    MP_AGG("STDDEV", SP_MERGE_AGG_NONE),
    MP_AGG("STDDEV_POP", SP_MERGE_AGG_NONE),
    MP_AGG("STDDEV_SAMP", SP_MERGE_AGG_NONE),
    MP_AGG("VARIANCE", SP_MERGE_AGG_NONE),
    MP_AGG("VAR_POP", SP_MERGE_AGG_NONE),
    MP_AGG("VAR_SAMP", SP_MERGE_AGG_NONE),
    MP_AGG("BIT_AND", SP_MERGE_AGG_NONE),
    MP_AGG("BIT_OR", SP_MERGE_AGG_NONE),
    MP_AGG("BIT_XOR", SP_MERGE_AGG_NONE),
    MP_AGG("JSON_ARRAYAGG", SP_MERGE_AGG_NONE),
    MP_AGG("JSON_OBJECTAGG", SP_MERGE_AGG_NONE),
};

#define MP_COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* An aggregate call that makes up a whole expression. */
struct mp_call {
    enum sp_merge_agg agg;
    bool distinct;         /* DISTINCT before the arguments */
    struct sp_str args;    /* the text between the parentheses */
};

/* The calls and constructs found in an expression, outside subqueries. */
struct mp_contents {
    bool aggregate;                         /* a call of one of the five */
    const char *unsupported;                /* the name of another aggregate, or NULL */
    size_t unsupported_len;
    bool window;                            /* OVER after a call */
    bool rand;                              /* RAND() */
    bool subquery;
};

static const struct mp_aggregate_name *
mp_aggregate_name(const struct sp_token *tok)
{
    size_t i;

    for (i = 0; i < MP_COUNT(mp_aggregates); i++) {
        if (sp_token_is_word(tok, mp_aggregates[i].name, mp_aggregates[i].len)) {
            return &mp_aggregates[i];
        }
    }
    return NULL;
}

static bool
mp_in_span(const struct sp_token_cursor *c, const struct sp_span *span)
{
    return c->tok.text.ptr < span->end && c->tok.kind != SP_TOK_EOF
           && c->tok.kind != SP_TOK_ERROR;
}

/* Moves C past the parenthesized group it is at; returns the ')' or EOF token. */
static struct sp_token
mp_skip_group(struct sp_token_cursor *c)
{
    unsigned depth = 0;

    do {
        if (c->tok.kind == SP_TOK_LPAREN) {
            depth++;
        } else if (c->tok.kind == SP_TOK_RPAREN) {
            depth--;
        }
        sp_token_cursor_advance(c);
    } while (depth > 0 && c->tok.kind != SP_TOK_EOF && c->tok.kind != SP_TOK_ERROR);
    return c->prev;
}

static void
mp_inspect(const struct sp_span *span, struct mp_contents *out)
{
    const struct mp_aggregate_name *name;
    struct sp_token_cursor c = span->at;
    struct sp_token next;

    memset(out, 0, sizeof(*out));
    while (mp_in_span(&c, span)) {
        next = sp_token_cursor_peek(&c);
        if (c.tok.kind == SP_TOK_LPAREN
            && (SP_TOKEN_IS(&next, "SELECT") || SP_TOKEN_IS(&next, "WITH"))) {
            out->subquery = true;
            mp_skip_group(&c);
            continue;
        }
        if (c.tok.kind == SP_TOK_IDENT && next.kind == SP_TOK_LPAREN) {
            name = mp_aggregate_name(&c.tok);
            if (name != NULL && name->agg == SP_MERGE_AGG_NONE && out->unsupported == NULL) {
                out->unsupported = name->name;
                out->unsupported_len = name->len;
            } else if (name != NULL && name->agg != SP_MERGE_AGG_NONE) {
                out->aggregate = true;
            }
            out->rand = out->rand || SP_TOKEN_IS(&c.tok, "RAND");
        }
        if (SP_TOKEN_IS(&c.tok, "OVER")
            && (next.kind == SP_TOK_LPAREN || next.kind == SP_TOK_IDENT
                || next.kind == SP_TOK_QUOTED_IDENT)
            && c.prev.kind == SP_TOK_RPAREN) {
            out->window = true;
        }
        sp_token_cursor_advance(&c);
    }
}

/* Whether SPAN is exactly one call of an aggregate; fills CALL when it is one of the five. */
static bool
mp_call_of(const struct sp_span *span, struct mp_call *call)
{
    const struct mp_aggregate_name *name;
    struct sp_token_cursor c = span->at;
    struct sp_token close, next;
    const char *args;

    name = mp_aggregate_name(&c.tok);
    if (name == NULL || name->agg == SP_MERGE_AGG_NONE) {
        return false;
    }
    sp_token_cursor_advance(&c);
    if (c.tok.kind != SP_TOK_LPAREN) {
        return false;
    }
    args = c.tok.text.ptr + 1;
    next = sp_token_cursor_peek(&c);
    call->distinct = SP_TOKEN_IS(&next, "DISTINCT");
    close = mp_skip_group(&c);
    if (close.kind != SP_TOK_RPAREN || close.text.ptr + 1 != span->end) {
        return false;
    }
    call->agg = name->agg;
    call->args = sp_str_make(args, (size_t)(close.text.ptr - args));
    return true;
}

static int
mp_quote_len(struct sp_str text)
{
    return text.len > MP_QUOTE_MAX ? MP_QUOTE_MAX : (int)text.len;
}

/* Returns PREFIX MIDDLE SUFFIX in the arena, or a null string when out of memory. */
static struct sp_str
mp_text(struct mergeplan *mp, const char *prefix, struct sp_str middle, const char *suffix)
{
    size_t a = strlen(prefix), c = strlen(suffix);
    char *buf = sp_arena_alloc(mp->arena, a + middle.len + c + 1);

    if (buf == NULL) {
        return SP_STR_NULL;
    }
    memcpy(buf, prefix, a);
    memcpy(buf + a, middle.ptr, middle.len);
    memcpy(buf + a + middle.len, suffix, c);
    buf[a + middle.len + c] = '\0';
    return sp_str_make(buf, a + middle.len + c);
}

/* Returns the hidden column for TEXT, adding it unless the same text has one. */
static int
mp_hidden(struct mergeplan *mp, struct sp_str text, int32_t *col)
{
    struct sp_str *slot;
    size_t i;

    if (text.ptr == NULL) {
        return SP_ENOMEM;
    }
    for (i = 0; i < mp->nhidden; i++) {
        if (mp->hidden[i].len == text.len && memcmp(mp->hidden[i].ptr, text.ptr, text.len) == 0) {
            *col = -(int32_t)i - 1;
            return SP_OK;
        }
    }
    slot = sp_router_push(mp->arena, (void **)&mp->hidden, &mp->nhidden, &mp->hidden_cap, sizeof(*slot));
    if (slot == NULL) {
        return SP_ENOMEM;
    }
    *slot = text;
    *col = -(int32_t)(mp->nhidden - 1) - 1;
    return SP_OK;
}

static struct sp_merge_column *
mp_find_column(struct mergeplan *mp, int32_t col)
{
    size_t i;

    for (i = 0; i < mp->ncolumns; i++) {
        if (mp->columns[i].col == col) {
            return &mp->columns[i];
        }
    }
    return NULL;
}

/* Adds a column entry unless COL has one already. */
static int
mp_column(struct mergeplan *mp, int32_t col, enum sp_merge_agg agg, int32_t weight)
{
    struct sp_merge_column *entry;

    if (mp_find_column(mp, col) != NULL) {
        return SP_OK;
    }
    entry = sp_router_push(mp->arena, (void **)&mp->columns, &mp->ncolumns, &mp->columns_cap,
                    sizeof(*entry));
    if (entry == NULL) {
        return SP_ENOMEM;
    }
    entry->col = col;
    entry->agg = agg;
    entry->sum_col = SP_MERGE_NO_COLUMN;
    entry->count_col = SP_MERGE_NO_COLUMN;
    entry->weight_col = weight;
    entry->expr = NULL;
    entry->args = NULL;
    entry->nargs = 0;
    return SP_OK;
}

/* Whether TEXT is one literal token: a number, string, NULL, TRUE or FALSE. */
static bool
mp_is_literal(struct sp_str text)
{
    struct sp_token_cursor c;
    struct sp_token next;

    sp_token_cursor_init(&c, text.ptr, text.len);
    next = sp_token_cursor_peek(&c);
    if (next.kind != SP_TOK_EOF) {
        return false;
    }
    switch (c.tok.kind) {
    case SP_TOK_NUMBER:
    case SP_TOK_DECIMAL:
    case SP_TOK_STRING:
    case SP_TOK_HEX:
    case SP_TOK_BIT:
        return true;
    default:
        return SP_TOKEN_IS(&c.tok, "NULL") || SP_TOKEN_IS(&c.tok, "TRUE") ||
               SP_TOKEN_IS(&c.tok, "FALSE");
    }
}

/* Adds TEXT to the expressions the shards also group by, unless it is there. */
static int
mp_distinct_group_by(struct mergeplan *mp, struct sp_str text)
{
    struct sp_str *slot;

    for (size_t i = 0; i < mp->ndistinct_args; i++) {
        if (sp_str_eq(mp->distinct_args[i], text)) {
            return SP_OK;
        }
    }
    slot = sp_router_push(mp->arena, (void **)&mp->distinct_args, &mp->ndistinct_args,
                          &mp->distinct_args_cap, sizeof(*slot));
    if (slot == NULL) {
        return SP_ENOMEM;
    }
    *slot = text;
    return SP_OK;
}

/*
 * Splits ARGS ("DISTINCT a, b") into its expressions at top-level commas.
 * Returns how many it stored in OUT (at most MAX), or 0 for text that is
 * not such a list.
 */
static size_t
mp_distinct_list(struct sp_str args, struct sp_str *out, size_t max)
{
    struct sp_token_cursor c;
    const char *start = NULL, *end = NULL;
    size_t n = 0;
    int depth = 0;

    sp_token_cursor_init(&c, args.ptr, args.len);
    if (!SP_TOKEN_IS(&c.tok, "DISTINCT")) {
        return 0;
    }
    sp_token_cursor_advance(&c);
    for (;;) {
        bool stop = c.tok.kind == SP_TOK_EOF || (depth == 0 && c.tok.kind == SP_TOK_COMMA);

        if (c.tok.kind == SP_TOK_ERROR || c.tok.kind == SP_TOK_SEMICOLON) {
            return 0;
        }
        if (stop) {
            if (start == NULL || n == max) {
                return 0;
            }
            out[n++] = sp_str_make(start, (size_t)(end - start));
            start = NULL;
            if (c.tok.kind == SP_TOK_EOF) {
                return depth == 0 ? n : 0;
            }
            sp_token_cursor_advance(&c);
            continue;
        }
        if (c.tok.kind == SP_TOK_LPAREN) {
            depth++;
        } else if (c.tok.kind == SP_TOK_RPAREN) {
            depth--;
        }
        if (start == NULL) {
            start = c.tok.text.ptr;
        }
        end = c.tok.text.ptr + c.tok.text.len;
        sp_token_cursor_advance(&c);
    }
}

/*
 * Makes COL the aggregate over DISTINCT values CALL, whose text is EXPR.
 * Each argument becomes a hidden column with its weight and a key that
 * the shards also group by. The shards then return every group's distinct
 * argument lists, and the merger counts or adds each list once.
 */
static int
mp_distinct_aggregate(struct mergeplan *mp, int32_t col, struct sp_str expr,
                      const struct mp_call *call)
{
    struct sp_str list[MP_DISTINCT_ARGS_MAX];
    struct sp_merge_column *entry;
    struct sp_merge_key *args;
    enum sp_merge_agg agg;
    size_t nargs = mp_distinct_list(call->args, list, MP_DISTINCT_ARGS_MAX);
    int rc;

    agg = call->agg == SP_MERGE_AGG_COUNT ? SP_MERGE_AGG_COUNT_DISTINCT
          : call->agg == SP_MERGE_AGG_SUM ? SP_MERGE_AGG_SUM_DISTINCT
                                          : SP_MERGE_AGG_AVG_DISTINCT;
    if (nargs == 0 || (agg != SP_MERGE_AGG_COUNT_DISTINCT && nargs != 1)) {
        sp_route_reject(mp->route, mp->err,
                        "the aggregate over DISTINCT values '%.*s' on a query that spans several "
                        "shards is not supported yet: use at most %d plain arguments",
                        mp_quote_len(expr), expr.ptr, MP_DISTINCT_ARGS_MAX);
        return SP_OK;
    }
    args = sp_arena_alloc(mp->arena, nargs * sizeof(*args));
    if (args == NULL) {
        return SP_ENOMEM;
    }
    for (size_t i = 0; i < nargs; i++) {
        bool literal = mp_is_literal(list[i]);

        /*
         * A constant argument is returned as MAX(constant), which is NULL
         * when a shard has no rows, so that an empty table counts nothing.
         */
        args[i].desc = false;
        rc = mp_hidden(mp, literal ? mp_text(mp, "MAX(", list[i], ")") : list[i], &args[i].col);
        if (rc == SP_OK) {
            rc = mp_hidden(mp, mp_text(mp, "WEIGHT_STRING(RTRIM(", list[i], "))"),
                           &args[i].weight_col);
        }
        if (rc == SP_OK && !literal) {
            /* A lone number in GROUP BY would name a column position; a constant needs no group. */
            rc = mp_distinct_group_by(mp, list[i]);
        }
        if (rc != SP_OK) {
            return rc;
        }
    }
    rc = mp_column(mp, col, agg, SP_MERGE_NO_COLUMN);
    if (rc != SP_OK) {
        return rc;
    }
    entry = mp_find_column(mp, col);
    entry->args = args;
    entry->nargs = nargs;
    return SP_OK;
}

/*
 * Makes COL (SP_MERGE_NO_COLUMN: a new hidden column for EXPR) the
 * aggregate CALL, with the hidden parts its merge needs, and stores the
 * column and the weight a sort on it uses in REF.
 */
static int
mp_aggregate(struct mergeplan *mp, int32_t col, struct sp_str expr, const struct mp_call *call,
             struct mergeplan_ref *ref)
{
    struct sp_merge_column *entry;
    int32_t weight = SP_MERGE_NO_COLUMN, sum, count;
    int rc;

    if (col == SP_MERGE_NO_COLUMN) {
        rc = mp_hidden(mp, expr, &col);
        if (rc != SP_OK) {
            return rc;
        }
    }
    ref->col = col;
    entry = mp_find_column(mp, col);
    if (entry != NULL) {
        ref->weight_col = entry->weight_col;
        return SP_OK;
    }
    if (call->distinct && call->agg != SP_MERGE_AGG_MIN && call->agg != SP_MERGE_AGG_MAX) {
        ref->weight_col = SP_MERGE_NO_COLUMN;
        return mp_distinct_aggregate(mp, col, expr, call);
    }

    switch (call->agg) {
    case SP_MERGE_AGG_MIN:
    case SP_MERGE_AGG_MAX:
        rc = mp_hidden(mp, mp_text(mp, "WEIGHT_STRING(RTRIM(", expr, "))"), &weight);
        if (rc != SP_OK) {
            return rc;
        }
        break;
    case SP_MERGE_AGG_AVG:
        rc = mp_hidden(mp, mp_text(mp, "SUM(", call->args, ")"), &sum);
        if (rc == SP_OK) {
            rc = mp_hidden(mp, mp_text(mp, "COUNT(", call->args, ")"), &count);
        }
        if (rc == SP_OK) {
            rc = mp_column(mp, sum, SP_MERGE_AGG_SUM, SP_MERGE_NO_COLUMN);
        }
        if (rc == SP_OK) {
            rc = mp_column(mp, count, SP_MERGE_AGG_COUNT, SP_MERGE_NO_COLUMN);
        }
        if (rc == SP_OK) {
            rc = mp_column(mp, col, SP_MERGE_AGG_AVG, SP_MERGE_NO_COLUMN);
        }
        if (rc != SP_OK) {
            return rc;
        }
        entry = mp_find_column(mp, col);
        entry->sum_col = sum;
        entry->count_col = count;
        ref->weight_col = SP_MERGE_NO_COLUMN;
        return SP_OK;
    default:
        break;
    }
    ref->weight_col = weight;
    return mp_column(mp, col, call->agg, weight);
}

bool
sp_mergeplan_has_aggregate(const struct sp_span *span)
{
    struct mp_contents contents;

    mp_inspect(span, &contents);
    return contents.aggregate || contents.unsupported != NULL || contents.subquery;
}

int
sp_mergeplan_aggregate_leaf(struct mergeplan *mp, const struct sp_span *span, bool *found,
                            struct sp_merge_expr *node)
{
    struct sp_str text = sp_span_text(span);
    struct mergeplan_ref ref;
    struct mp_call call;
    int rc;

    *found = mp_call_of(span, &call);
    if (!*found) {
        return SP_OK;
    }
    if (call.agg == SP_MERGE_AGG_AVG && !call.distinct) {
        /* The evaluator divides the parts itself, keeping the digits the server keeps. */
        node->op = SP_EXPR_AVG;
        rc = mp_hidden(mp, mp_text(mp, "SUM(", call.args, ")"), &node->col);
        if (rc == SP_OK) {
            rc = mp_hidden(mp, mp_text(mp, "COUNT(", call.args, ")"), &node->count_col);
        }
        if (rc == SP_OK) {
            rc = mp_column(mp, node->col, SP_MERGE_AGG_SUM, SP_MERGE_NO_COLUMN);
        }
        if (rc == SP_OK) {
            rc = mp_column(mp, node->count_col, SP_MERGE_AGG_COUNT, SP_MERGE_NO_COLUMN);
        }
        return rc;
    }
    /*
     * NOTE: AVG(DISTINCT x) inside an expression reads the average rounded
     * to its column's decimals, where the server keeps more digits, so a
     * ROUND() of it to fewer digits can differ in the last one.
     */
    node->op = SP_EXPR_COLUMN;
    rc = mp_aggregate(mp, SP_MERGE_NO_COLUMN, text, &call, &ref);
    node->col = ref.col;
    return rc;
}

int
sp_mergeplan_plain_leaf(struct mergeplan *mp, const struct sp_span *span,
                        struct sp_merge_expr *node)
{
    int rc;

    node->op = SP_EXPR_COLUMN;
    rc = mp_hidden(mp, sp_span_text(span), &node->col);
    if (rc == SP_OK) {
        rc = mp_column(mp, node->col, SP_MERGE_AGG_NONE, SP_MERGE_NO_COLUMN);
    }
    return rc;
}

/*
 * Makes COL (SP_MERGE_NO_COLUMN: a new hidden column for EXPR) a plain
 * value, and gives it a hidden WEIGHT_STRING(RTRIM(EXPR)) for sorting.
 * RTRIM because WEIGHT_STRING() keeps trailing spaces (MariaDB 10.11:
 * 'a ' weighs 00410020, 'a' 0041) while PAD SPACE collations, the default
 * ones, compare 'a ' equal to 'a'.
 * NOTE: under a NO PAD collation (utf8mb4_nopad_bin, *_nopad_ci) trailing
 * spaces matter, and RTRIM makes the merge treat 'a ' and 'a' as equal.
 */
static int
mp_plain(struct mergeplan *mp, int32_t col, struct sp_str expr, struct mergeplan_ref *ref)
{
    int rc;

    if (col == SP_MERGE_NO_COLUMN) {
        rc = mp_hidden(mp, expr, &col);
        if (rc != SP_OK) {
            return rc;
        }
    }
    if (mp->grouped) {
        rc = mp_column(mp, col, SP_MERGE_AGG_NONE, SP_MERGE_NO_COLUMN);
        if (rc != SP_OK) {
            return rc;
        }
    }
    ref->col = col;
    return mp_hidden(mp, mp_text(mp, "WEIGHT_STRING(RTRIM(", expr, "))"), &ref->weight_col);
}


/* Makes COL (SP_MERGE_NO_COLUMN: a new hidden column for SPAN) an expression over aggregates. */
static int
mp_expression_column(struct mergeplan *mp, int32_t col, const struct sp_span *span,
                     const char *where, struct mergeplan_ref *ref)
{
    const struct sp_merge_expr *expr;
    struct sp_merge_column *entry;
    int rc;

    if (col != SP_MERGE_NO_COLUMN && mp_find_column(mp, col) != NULL) {
        ref->col = col;
        ref->weight_col = SP_MERGE_NO_COLUMN;
        return SP_OK;
    }
    rc = sp_aggexpr_parse(mp, span, where, &expr);
    if (rc != SP_OK || expr == NULL) {
        return rc;
    }
    if (col == SP_MERGE_NO_COLUMN) {
        rc = mp_hidden(mp, sp_span_text(span), &col);
        if (rc != SP_OK) {
            return rc;
        }
        if (mp_find_column(mp, col) != NULL) {
            ref->col = col;
            ref->weight_col = SP_MERGE_NO_COLUMN;
            return SP_OK;
        }
    }
    rc = mp_column(mp, col, SP_MERGE_AGG_EXPR, SP_MERGE_NO_COLUMN);
    if (rc != SP_OK) {
        return rc;
    }
    entry = mp_find_column(mp, col);
    entry->expr = expr;
    ref->col = col;
    /* Expressions over aggregates are numbers, which sort by value. */
    ref->weight_col = SP_MERGE_NO_COLUMN;
    return SP_OK;
}

static int
mp_expression_item(struct mergeplan *mp, const struct sp_select_item *item)
{
    struct mergeplan_ref ref;

    if (item->col < 0) {
        sp_route_reject(mp->route, mp->err,
                        "an aggregate function after SELECT * or t.* on a query that "
                        "spans several shards is not supported yet: list the columns");
        return SP_OK;
    }
    return mp_expression_column(mp, item->col, &item->expr, "the select-list expression", &ref);
}

/* Resolves select item I: its column, or a hidden copy of it after a star. */
static int
mp_item_ref(struct mergeplan *mp, size_t i, struct mergeplan_ref *ref)
{
    const struct sp_select_item *item = &mp->sel->items[i];
    struct sp_str text = sp_span_text(&item->expr);
    struct mp_call call;

    struct mp_contents contents;

    if (mp_call_of(&item->expr, &call)) {
        /* mp_items gave every aggregate item a known column and an entry. */
        return mp_aggregate(mp, item->col, text, &call, ref);
    }
    mp_inspect(&item->expr, &contents);
    if (contents.aggregate) {
        return mp_expression_column(mp, item->col >= 0 ? item->col : SP_MERGE_NO_COLUMN,
                                    &item->expr, "the select-list expression", ref);
    }
    return mp_plain(mp, item->col >= 0 ? item->col : SP_MERGE_NO_COLUMN, text, ref);
}

/*
 * Resolves an expression that is not a select item: an aggregate call or a
 * plain expression becomes a hidden column. WHERE names the clause for
 * messages. Returns SP_OK, SP_OK with the route rejected, or SP_ENOMEM.
 */
static int
mp_expression_ref(struct mergeplan *mp, const struct sp_span *expr, const char *where,
                  struct mergeplan_ref *ref)
{
    struct sp_str text = sp_span_text(expr);
    struct mp_contents contents;
    struct mp_call call;

    mp_inspect(expr, &contents);
    if (contents.subquery) {
        sp_route_reject(mp->route, mp->err,
                        "a subquery in %s on a query that spans several shards is not supported "
                        "yet",
                        where);
        return SP_OK;
    }
    if (mp_call_of(expr, &call)) {
        return mp_aggregate(mp, SP_MERGE_NO_COLUMN, text, &call, ref);
    }
    if (contents.aggregate) {
        return mp_expression_column(mp, SP_MERGE_NO_COLUMN, expr, where, ref);
    }
    return mp_plain(mp, SP_MERGE_NO_COLUMN, text, ref);
}

/* Returns the index of the item whose alias is the one-token EXPR, or NITEMS. */
static size_t
mp_find_alias(const struct sp_select *sel, const struct sp_span *expr)
{
    size_t i;

    for (i = 0; i < sel->nitems; i++) {
        if (sel->items[i].alias.kind != SP_TOK_EOF && sp_span_is_name(expr, &sel->items[i].alias)) {
            return i;
        }
    }
    return sel->nitems;
}

/* Returns the index of the item whose expression is EXPR, or NITEMS. */
static size_t
mp_find_expression(const struct sp_select *sel, const struct sp_span *expr)
{
    size_t i;

    for (i = 0; i < sel->nitems; i++) {
        if (!sel->items[i].star && sp_span_equal(&sel->items[i].expr, expr)) {
            return i;
        }
    }
    return sel->nitems;
}

int
sp_mergeplan_operand(struct mergeplan *mp, const struct sp_span *expr, int32_t *col)
{
    const struct sp_select *sel = mp->sel;
    struct mergeplan_ref ref = {SP_MERGE_NO_COLUMN, SP_MERGE_NO_COLUMN};
    size_t i;
    int rc;

    /* HAVING, like ORDER BY, resolves select-list aliases before table columns. */
    i = mp_find_alias(sel, expr);
    if (i == sel->nitems) {
        i = mp_find_expression(sel, expr);
    }
    if (i < sel->nitems) {
        rc = mp_item_ref(mp, i, &ref);
    } else {
        rc = mp_expression_ref(mp, expr, "HAVING", &ref);
    }
    *col = ref.col;
    return rc;
}

static bool
mp_has_star(const struct sp_select *sel)
{
    size_t i;

    for (i = 0; i < sel->nitems; i++) {
        if (sel->items[i].star) {
            return true;
        }
    }
    return false;
}

/* Reads a key that is a column position (ORDER BY 2) into *POSITION. */
static bool
mp_position(const struct sp_span *expr, uint64_t *position)
{
    const struct sp_token *tok = &expr->at.tok;
    uint64_t v = 0;
    size_t i;

    if (tok->kind != SP_TOK_NUMBER || tok->text.ptr + tok->text.len != expr->end
        || tok->text.len > 18) {
        return false;
    }
    for (i = 0; i < tok->text.len; i++) {
        v = v * 10 + (uint64_t)(tok->text.ptr[i] - '0');
    }
    *position = v;
    return true;
}

/*
 * Resolves a GROUP BY (GROUP set) or ORDER BY key. ORDER BY looks for a
 * select-list alias before an equal expression; GROUP BY the other way
 * round, as the server prefers a table column there.
 */
static int
mp_key(struct mergeplan *mp, const struct sp_select_key *key, bool group, struct sp_merge_key *out)
{
    const struct sp_select *sel = mp->sel;
    const char *clause = group ? "GROUP BY" : "ORDER BY";
    struct mergeplan_ref ref = {SP_MERGE_NO_COLUMN, SP_MERGE_NO_COLUMN};
    struct mp_contents contents;
    uint64_t position;
    size_t i = sel->nitems;
    int rc;

    out->desc = key->desc;
    if (mp_position(&key->expr, &position)) {
        if (position >= 1 && position <= sel->nitems
            && (int64_t)position - 1 == sel->items[position - 1].col) {
            i = (size_t)position - 1;
        } else if (mp_has_star(sel)) {
            sp_route_reject(mp->route, mp->err,
                            "%s position %" PRIu64 " with SELECT * or t.* on a query that spans "
                            "several shards is not supported yet: name the column",
                            clause, position);
            return SP_OK;
        }
        /* Otherwise the position is not a column, and the shards reject the query. */
    } else if (group) {
        i = mp_find_expression(sel, &key->expr);
        if (i == sel->nitems) {
            /*
             * NOTE: a table column of the same name as the alias would win
             * on the server, which this cannot see.
             */
            i = mp_find_alias(sel, &key->expr);
        }
    } else {
        i = mp_find_alias(sel, &key->expr);
        if (i == sel->nitems) {
            i = mp_find_expression(sel, &key->expr);
        }
    }

    if (!group) {
        mp_inspect(&key->expr, &contents);
        if (contents.rand) {
            sp_route_reject(mp->route, mp->err,
                            "ORDER BY RAND() on a query that spans several shards is not "
                            "supported yet");
            return SP_OK;
        }
    }

    if (i < sel->nitems) {
        rc = mp_item_ref(mp, i, &ref);
    } else if (!mp->grouped && mp->sel->distinct) {
        sp_route_reject(mp->route, mp->err,
                        "ORDER BY '%.*s' on a SELECT DISTINCT that spans several shards must name "
                        "a selected column",
                        mp_quote_len(sp_span_text(&key->expr)), key->expr.start);
        return SP_OK;
    } else {
        rc = mp_expression_ref(mp, &key->expr, clause, &ref);
    }
    out->col = ref.col;
    out->weight_col = ref.weight_col;
    return rc;
}

static int
mp_keys(struct mergeplan *mp, const struct sp_select_key *keys, size_t nkeys, bool group,
        struct sp_merge_key **out)
{
    size_t i;
    int rc;

    *out = sp_arena_alloc(mp->arena, nkeys * sizeof(**out));
    if (*out == NULL) {
        return SP_ENOMEM;
    }
    for (i = 0; i < nkeys; i++) {
        rc = mp_key(mp, &keys[i], group, &(*out)[i]);
        if (rc != SP_OK || mp->route->kind == SP_PLAN_REJECT) {
            return rc;
        }
    }
    return SP_OK;
}

/* Gives each select item its column entry: aggregates with their parts, plain values if grouped. */
static int
mp_items(struct mergeplan *mp)
{
    const struct sp_select *sel = mp->sel;
    struct mergeplan_ref ref;
    struct mp_call call;
    size_t i;
    int rc;

    for (i = 0; i < sel->nitems; i++) {
        const struct sp_select_item *item = &sel->items[i];
        struct sp_str text = sp_span_text(&item->expr);
        struct mp_contents contents;

        if (item->star) {
            continue;
        }
        mp_inspect(&item->expr, &contents);
        if (mp_call_of(&item->expr, &call)) {
            if (item->col < 0) {
                sp_route_reject(mp->route, mp->err,
                                "an aggregate function after SELECT * or t.* on a query that "
                                "spans several shards is not supported yet: list the columns");
                return SP_OK;
            }
            rc = mp_aggregate(mp, item->col, text, &call, &ref);
        } else if (contents.aggregate) {
            rc = mp_expression_item(mp, item);
        } else if (mp->grouped && item->col >= 0) {
            rc = mp_column(mp, item->col, SP_MERGE_AGG_NONE, SP_MERGE_NO_COLUMN);
        } else if (mp->sel->distinct && item->col >= 0) {
            int32_t weight;

            /* DISTINCT compares strings under their collation: 'a' and 'A' are one value. */
            rc = mp_hidden(mp, mp_text(mp, "WEIGHT_STRING(RTRIM(", text, "))"), &weight);
            if (rc == SP_OK) {
                rc = mp_column(mp, item->col, SP_MERGE_AGG_NONE, weight);
            }
        } else {
            rc = SP_OK;
        }
        if (rc != SP_OK) {
            return rc;
        }
    }
    return SP_OK;
}

/* Rejects a window function or an aggregate the merger lacks in SPAN; notes aggregates. */
static bool
mp_survey_span(struct mergeplan *mp, const struct sp_span *span)
{
    struct mp_contents contents;

    mp_inspect(span, &contents);
    if (contents.window) {
        sp_route_reject(mp->route, mp->err,
                        "window function (OVER) on a query that spans several shards is not "
                        "supported yet");
        return false;
    }
    if (contents.unsupported != NULL) {
        sp_route_reject(mp->route, mp->err,
                        "aggregate function %.*s() on a query that spans several shards is not "
                        "supported yet",
                        (int)contents.unsupported_len, contents.unsupported);
        return false;
    }
    mp->grouped = mp->grouped || contents.aggregate;
    return true;
}

/*
 * Finds what the merge must know about the query as a whole: whether it
 * groups (GROUP BY, or an aggregate anywhere in the outer query), and
 * rejects window functions and aggregates the merger lacks.
 */
static bool
mp_survey(struct mergeplan *mp)
{
    const struct sp_select *sel = mp->sel;
    size_t i;

    mp->grouped = sel->has_group;
    for (i = 0; i < sel->nitems; i++) {
        if (!sel->items[i].star && !mp_survey_span(mp, &sel->items[i].expr)) {
            return false;
        }
    }
    for (i = 0; i < sel->norder; i++) {
        if (!mp_survey_span(mp, &sel->order[i].expr)) {
            return false;
        }
    }
    return !sel->has_having || mp_survey_span(mp, &sel->having);
}

static bool
mp_order_is_null(const struct sp_select *sel)
{
    const struct sp_token *tok = &sel->order[0].expr.at.tok;

    return sel->norder == 1 && SP_TOKEN_IS(tok, "NULL") && tok->text.ptr + 4 == sel->order[0].expr.end;
}

/* Fills SPEC from the parsed query; the route is rejected on the way if needed. */
/*
 * Whether HAVING uses no aggregate, directly or through a select-list
 * alias, and no subquery: then it depends on the group keys only.
 */
static bool
mp_having_on_keys_only(const struct mergeplan *mp)
{
    const struct sp_select *sel = mp->sel;
    struct sp_token_cursor c = sel->having.at;
    struct mp_contents contents;
    size_t i;

    mp_inspect(&sel->having, &contents);
    if (contents.aggregate || contents.unsupported != NULL || contents.window ||
        contents.subquery || contents.rand) {
        return false;
    }
    while (mp_in_span(&c, &sel->having)) {
        for (i = 0; i < sel->nitems; i++) {
            const struct sp_select_item *item = &sel->items[i];
            struct mp_contents item_contents;

            if (item->alias.kind == SP_TOK_EOF || !sp_router_same_name(&c.tok, &item->alias)) {
                continue;
            }
            mp_inspect(&item->expr, &item_contents);
            if (item_contents.aggregate || item_contents.unsupported != NULL) {
                return false;
            }
        }
        sp_token_cursor_advance(&c);
    }
    return true;
}

static int
mp_spec(struct mergeplan *mp, struct sp_merge_spec *spec)
{
    const struct sp_select *sel = mp->sel;
    int rc;

    rc = mp_items(mp);
    if (rc != SP_OK || mp->route->kind == SP_PLAN_REJECT) {
        return rc;
    }

    spec->grouped = mp->grouped;
    if (sel->has_group) {
        rc = mp_keys(mp, sel->group, sel->ngroup, true, &spec->group_keys);
        if (rc != SP_OK || mp->route->kind == SP_PLAN_REJECT) {
            return rc;
        }
        spec->ngroup_keys = sel->ngroup;
    }

    if (sel->has_order && !mp_order_is_null(sel)) {
        rc = mp_keys(mp, sel->order, sel->norder, false, &spec->order_keys);
        if (rc != SP_OK || mp->route->kind == SP_PLAN_REJECT) {
            return rc;
        }
        spec->norder_keys = sel->norder;
    } else if (sel->has_group && !sel->has_order) {
        /* MariaDB returns groups sorted by the GROUP BY keys unless ORDER BY sets another order. */
        spec->order_keys = spec->group_keys;
        spec->norder_keys = spec->ngroup_keys;
    }

    if (sel->has_having && mp->grouped && mp_having_on_keys_only(mp)) {
        /*
         * A condition on group keys alone is true or false for a whole group,
         * so each shard can apply it to its partial groups, under the
         * column's collation ('a' = 'A'), which a merged comparison could not.
         */
        mp->having_on_shards = true;
    } else if (sel->has_having && mp->grouped) {
        rc = sp_having_parse(mp, &spec->having);
        if (rc != SP_OK || mp->route->kind == SP_PLAN_REJECT) {
            return rc;
        }
    }

    spec->distinct = sel->distinct;
    spec->has_limit = sel->has_limit;
    spec->limit = sel->limit;
    spec->offset = sel->offset;
    spec->nhidden = (uint32_t)mp->nhidden;
    spec->columns = mp->columns;
    spec->ncolumns = mp->ncolumns;
    return SP_OK;
}

int
sp_mergeplan_build(struct sp_str text, struct sp_arena *arena, struct sp_route *route,
                   struct sp_error *err, struct sp_edit **edits, size_t *nedits)
{
    struct mergeplan mp = {.arena = arena, .route = route, .err = err};
    struct sp_merge_spec *spec;
    struct sp_select *sel;
    bool ordered;
    int rc;

    *edits = NULL;
    *nedits = 0;
    sel = sp_arena_alloc(arena, sizeof(*sel));
    spec = sp_arena_alloc(arena, sizeof(*spec));
    if (sel == NULL || spec == NULL) {
        return SP_ENOMEM;
    }
    memset(spec, 0, sizeof(*spec));
    rc = sp_select_parse(text, arena, sel, route, err);
    if (rc != SP_OK || route->kind == SP_PLAN_REJECT) {
        return rc;
    }
    mp.sel = sel;

    if (!mp_survey(&mp)) {
        return SP_OK;
    }
    ordered = sel->has_order && !mp_order_is_null(sel);
    if (!ordered && !sel->has_limit && !sel->has_group && !sel->distinct && !mp.grouped) {
        /* HAVING without grouping filters single rows, which each shard can do itself. */
        route->kind = SP_PLAN_SCATTER_ROWS;
        return SP_OK;
    }

    rc = mp_spec(&mp, spec);
    if (rc != SP_OK || route->kind == SP_PLAN_REJECT) {
        return rc;
    }
    rc = sp_mergeplan_edits(&mp, edits, nedits);
    if (rc != SP_OK) {
        return rc;
    }
    route->kind = SP_PLAN_SCATTER_MERGE;
    route->merge = spec;
    return SP_OK;
}
