/*
 * HAVING of a cross-shard grouped SELECT as a tree the merger evaluates
 * on merged groups: comparisons of one operand with a literal, joined by
 * AND, OR, NOT and parentheses. BETWEEN and IN with literals become
 * comparisons joined by AND and OR.
 *
 * An operand is a select-list alias or expression, an aggregate call or
 * another expression; the last two become hidden columns. A condition
 * without aggregates becomes a hidden column that the shards compute.
 * Anything else
 * (a comparison of two operands, a function of aggregates, a subquery)
 * is rejected with a message that names the HAVING construct.
 */
#include <string.h>

#include "common/buf.h"
#include "router/mergeplan.h"

/* Deeper nesting is rejected, which bounds the recursion. */
#define HAVING_MAX_DEPTH 64

/* Top-level AND conjuncts looked at one by one; a longer chain is parsed whole. */
#define HAVING_MAX_CONJUNCTS 32

struct having {
    struct mergeplan *mp;
    struct sp_token_cursor c;
    const char *end; /* just after HAVING's last token */
    unsigned depth;
    int rc;          /* SP_ENOMEM once an allocation failed */
};

static bool
having_at_end(const struct having *h)
{
    const struct sp_token *tok = &h->c.tok;

    return tok->text.ptr >= h->end || tok->kind == SP_TOK_EOF || tok->kind == SP_TOK_ERROR
           || tok->kind == SP_TOK_SEMICOLON;
}

static bool
having_is_and(const struct sp_token *tok)
{
    return SP_TOKEN_IS(tok, "AND") || SP_TOKEN_IS_OP(tok, "&&");
}

static bool
having_is_or(const struct sp_token *tok)
{
    return SP_TOKEN_IS(tok, "OR") || SP_TOKEN_IS_OP(tok, "||");
}

/* The token ends a condition: a connective, ')' or the end of HAVING. */
static bool
having_at_boundary(const struct having *h)
{
    const struct sp_token *tok = &h->c.tok;

    return having_at_end(h) || having_is_and(tok) || having_is_or(tok)
           || SP_TOKEN_IS(tok, "XOR") || tok->kind == SP_TOK_RPAREN;
}

/* Maps a comparison operator; false for any other token. */
static bool
having_cmp_op(const struct sp_token *tok, enum sp_merge_cmp_op *op)
{
    static const struct {
        const char *text;
        enum sp_merge_cmp_op op;
    } ops[] = {
        {"=", SP_CMP_EQ},  {"<>", SP_CMP_NE}, {"!=", SP_CMP_NE},          {"<", SP_CMP_LT},
        {"<=", SP_CMP_LE}, {">", SP_CMP_GT},  {">=", SP_CMP_GE}, {"<=>", SP_CMP_NULLSAFE_EQ},
    };
    size_t i;

    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++) {
        if (tok->kind == SP_TOK_OPERATOR && tok->text.len == strlen(ops[i].text)
            && memcmp(tok->text.ptr, ops[i].text, tok->text.len) == 0) {
            *op = ops[i].op;
            return true;
        }
    }
    return false;
}

/* literal OP x is x FLIPPED-OP literal. */
static enum sp_merge_cmp_op
having_flip(enum sp_merge_cmp_op op)
{
    switch (op) {
    case SP_CMP_LT:
        return SP_CMP_GT;
    case SP_CMP_LE:
        return SP_CMP_GE;
    case SP_CMP_GT:
        return SP_CMP_LT;
    case SP_CMP_GE:
        return SP_CMP_LE;
    default:
        return op;
    }
}

/* The token starts the comparison part after an operand. */
static bool
having_at_predicate(const struct having *h)
{
    enum sp_merge_cmp_op op;
    struct sp_token next;

    if (having_cmp_op(&h->c.tok, &op) || SP_TOKEN_IS(&h->c.tok, "IS")
        || SP_TOKEN_IS(&h->c.tok, "BETWEEN") || SP_TOKEN_IS(&h->c.tok, "IN")
        || SP_TOKEN_IS(&h->c.tok, "LIKE") || SP_TOKEN_IS(&h->c.tok, "REGEXP")
        || SP_TOKEN_IS(&h->c.tok, "RLIKE")) {
        return true;
    }
    next = sp_token_cursor_peek(&h->c);
    return SP_TOKEN_IS(&h->c.tok, "NOT")
           && (SP_TOKEN_IS(&next, "BETWEEN") || SP_TOKEN_IS(&next, "IN")
               || SP_TOKEN_IS(&next, "LIKE") || SP_TOKEN_IS(&next, "REGEXP")
               || SP_TOKEN_IS(&next, "RLIKE"));
}

static void
having_step(struct having *h)
{
    unsigned depth = 0;

    do {
        if (h->c.tok.kind == SP_TOK_LPAREN) {
            depth++;
        } else if (h->c.tok.kind == SP_TOK_RPAREN && depth > 0) {
            depth--;
        }
        sp_token_cursor_advance(&h->c);
    } while (depth > 0 && !having_at_end(h));
}

static struct sp_merge_having *
having_reject(struct having *h, const char *fmt, const char *what, size_t len)
{
    sp_route_reject(h->mp->route, h->mp->err, fmt, len > 64 ? 64 : (int)len, what);
    return NULL;
}

static struct sp_merge_having *
having_node(struct having *h, enum sp_merge_having_op op, struct sp_merge_having *left,
            struct sp_merge_having *right)
{
    struct sp_merge_having *node = sp_arena_alloc(h->mp->arena, sizeof(*node));

    if (node == NULL) {
        h->rc = SP_ENOMEM;
        return NULL;
    }
    memset(node, 0, sizeof(*node));
    node->op = op;
    node->left = left;
    node->right = right;
    node->col = SP_MERGE_NO_COLUMN;
    return node;
}

static struct sp_merge_having *
having_cmp(struct having *h, int32_t col, enum sp_merge_cmp_op op, struct sp_str literal,
           bool is_string)
{
    struct sp_merge_having *node = having_node(h, SP_HAVING_CMP, NULL, NULL);

    if (node != NULL) {
        node->col = col;
        node->cmp = op;
        node->literal = literal;
        node->literal_is_string = is_string;
    }
    return node;
}

/*
 * Reads a literal: a number with an optional sign, a string, TRUE or
 * FALSE. Returns false, with C left where it was, for anything else.
 */
static bool
having_literal(struct having *h, struct sp_str *text, bool *is_string)
{
    struct sp_token_cursor start = h->c;
    const struct sp_token *tok = &h->c.tok;
    bool negative = false;
    char *buf;

    if (SP_TOKEN_IS(tok, "TRUE") || SP_TOKEN_IS(tok, "FALSE")) {
        *text = sp_str_cstr(SP_TOKEN_IS(tok, "TRUE") ? "1" : "0");
        *is_string = false;
        sp_token_cursor_advance(&h->c);
        return true;
    }
    if (tok->kind == SP_TOK_STRING) {
        if (sp_lexer_unquote(tok, h->mp->arena, text) != SP_OK) {
            h->rc = SP_ENOMEM;
            return false;
        }
        *is_string = true;
        sp_token_cursor_advance(&h->c);
        return true;
    }

    if (SP_TOKEN_IS_OP(tok, "-") || SP_TOKEN_IS_OP(tok, "+")) {
        negative = tok->text.ptr[0] == '-';
        sp_token_cursor_advance(&h->c);
    }
    if (tok->kind != SP_TOK_NUMBER && tok->kind != SP_TOK_DECIMAL) {
        h->c = start;
        return false;
    }
    if (negative) {
        /* "- 5" is two tokens; the merger gets "-5". */
        buf = sp_arena_alloc(h->mp->arena, tok->text.len + 1);
        if (buf == NULL) {
            h->rc = SP_ENOMEM;
            return false;
        }
        buf[0] = '-';
        memcpy(buf + 1, tok->text.ptr, tok->text.len);
        *text = sp_str_make(buf, tok->text.len + 1);
    } else {
        *text = tok->text;
    }
    *is_string = false;
    sp_token_cursor_advance(&h->c);
    return true;
}

/* Reads the literal of a comparison, rejecting what is not one. */
static bool
having_operand_literal(struct having *h, struct sp_str *text, bool *is_string,
                       const char *cond_start)
{
    if (SP_TOKEN_IS(&h->c.tok, "NULL")) {
        having_reject(h,
                      "HAVING '%.*s' compares with NULL, which is never true: use IS NULL "
                      "or IS NOT NULL",
                      cond_start, (size_t)(h->c.tok.text.ptr + 4 - cond_start));
        return false;
    }
    if (!having_literal(h, text, is_string)) {
        if (h->rc == SP_OK) {
            having_reject(h,
                          "HAVING '%.*s' on a query that spans several shards can only "
                          "compare a column or an aggregate with a literal value",
                          cond_start, (size_t)(h->end - cond_start));
        }
        return false;
    }
    return true;
}

/* (SUM(a)) is SUM(a): drops parentheses around the whole operand. */
static void
having_strip_parens(struct sp_span *operand)
{
    struct having probe = {.end = operand->end};
    const char *close;

    while (operand->at.tok.kind == SP_TOK_LPAREN) {
        probe.c = operand->at;
        having_step(&probe);
        close = probe.c.prev.text.ptr;
        if (close + 1 != operand->end) {
            return; /* (a) + (b): the first group ends before the operand does */
        }
        probe.c = operand->at;
        sp_token_cursor_advance(&probe.c);
        if (probe.c.tok.text.ptr >= close) {
            return;
        }
        operand->at = probe.c;
        operand->start = probe.c.tok.text.ptr;
        while (probe.c.tok.text.ptr < close && !having_at_end(&probe)) {
            having_step(&probe);
        }
        operand->end = probe.c.prev.text.ptr + probe.c.prev.text.len;
    }
}

/*
 * Reads the operand that starts at C into a column: up to its comparison
 * operator when BEFORE_PREDICATE, else (literal OP operand) up to the end
 * of the condition.
 */
static bool
having_operand(struct having *h, bool before_predicate, int32_t *col)
{
    struct sp_span operand;
    int rc;

    operand.at = h->c;
    operand.start = h->c.tok.text.ptr;
    operand.end = operand.start;
    while (!having_at_boundary(h) && !having_at_predicate(h)) {
        having_step(h);
        operand.end = h->c.prev.text.ptr + h->c.prev.text.len;
    }
    if (operand.end == operand.start || having_at_predicate(h) != before_predicate) {
        having_reject(h,
                      "HAVING '%.*s' on a query that spans several shards must be a "
                      "comparison of a column or an aggregate with a literal value",
                      operand.start,
                      (size_t)((operand.end > operand.start ? operand.end : h->end)
                               - operand.start));
        return false;
    }

    having_strip_parens(&operand);
    rc = sp_mergeplan_operand(h->mp, &operand, col);
    if (rc != SP_OK) {
        h->rc = rc;
        return false;
    }
    return h->mp->route->kind != SP_PLAN_REJECT;
}

/* x [NOT] BETWEEN a AND b, with C after BETWEEN. */
static struct sp_merge_having *
having_between(struct having *h, int32_t col, bool negated, const char *cond_start)
{
    struct sp_merge_having *lo, *hi, *both;
    struct sp_str a, b;
    bool as, bs;

    if (!having_operand_literal(h, &a, &as, cond_start)) {
        return NULL;
    }
    if (!having_is_and(&h->c.tok)) {
        return having_reject(h, "HAVING '%.*s': expected AND in BETWEEN", cond_start,
                             (size_t)(h->end - cond_start));
    }
    sp_token_cursor_advance(&h->c);
    if (!having_operand_literal(h, &b, &bs, cond_start)) {
        return NULL;
    }
    lo = having_cmp(h, col, SP_CMP_GE, a, as);
    hi = having_cmp(h, col, SP_CMP_LE, b, bs);
    both = having_node(h, SP_HAVING_AND, lo, hi);
    if (lo == NULL || hi == NULL || both == NULL) {
        return NULL;
    }
    return negated ? having_node(h, SP_HAVING_NOT, both, NULL) : both;
}

/* x [NOT] IN (a, b, ...), with C after IN. */
static struct sp_merge_having *
having_in(struct having *h, int32_t col, bool negated, const char *cond_start)
{
    struct sp_merge_having *any = NULL, *eq;
    struct sp_str v;
    bool vs;

    if (h->c.tok.kind != SP_TOK_LPAREN) {
        return having_reject(h, "HAVING '%.*s': expected a list of literals after IN",
                             cond_start, (size_t)(h->end - cond_start));
    }
    do {
        sp_token_cursor_advance(&h->c);
        if (!having_operand_literal(h, &v, &vs, cond_start)) {
            return NULL;
        }
        eq = having_cmp(h, col, SP_CMP_EQ, v, vs);
        any = any == NULL ? eq : having_node(h, SP_HAVING_OR, any, eq);
        if (eq == NULL || any == NULL) {
            return NULL;
        }
    } while (h->c.tok.kind == SP_TOK_COMMA);
    if (h->c.tok.kind != SP_TOK_RPAREN) {
        return having_reject(h, "HAVING '%.*s': expected a list of literals after IN",
                             cond_start, (size_t)(h->end - cond_start));
    }
    sp_token_cursor_advance(&h->c);
    return negated ? having_node(h, SP_HAVING_NOT, any, NULL) : any;
}

/* Whether a token of SPAN is the alias of a select item. */
static bool
having_names_alias(const struct having *h, const struct sp_span *span)
{
    const struct sp_select *sel = h->mp->sel;
    struct sp_token_cursor c = span->at;

    while (c.tok.text.ptr < span->end && c.tok.kind != SP_TOK_EOF && c.tok.kind != SP_TOK_ERROR) {
        for (size_t i = 0; i < sel->nitems; i++) {
            if (sel->items[i].alias.kind != SP_TOK_EOF &&
                sp_router_same_name(&c.tok, &sel->items[i].alias)) {
                return true;
            }
        }
        sp_token_cursor_advance(&c);
    }
    return false;
}

/*
 * A condition without aggregates (tier <> 'gold') depends on the group
 * keys alone, so every shard row of a group has the same truth value.
 * The shards compute it as a hidden column, under the column's collation,
 * and the merger keeps the groups where it is true (not 0, not NULL).
 * Returns NULL with C unmoved when the condition has an aggregate, a
 * subquery or a select-list alias, which a select item cannot name.
 */
static struct sp_merge_having *
having_key_condition(struct having *h)
{
    struct sp_token_cursor start = h->c;
    struct sp_merge_expr leaf;
    struct sp_span span;
    bool between = false;

    span.at = h->c;
    span.start = h->c.tok.text.ptr;
    span.end = span.start;
    while (!having_at_end(h)) {
        if (SP_TOKEN_IS(&h->c.tok, "BETWEEN")) {
            between = true;
        } else if (between && having_is_and(&h->c.tok)) {
            between = false; /* the AND of BETWEEN a AND b */
        } else if (having_at_boundary(h)) {
            break;
        }
        having_step(h);
        span.end = h->c.prev.text.ptr + h->c.prev.text.len;
    }
    if (span.end == span.start || sp_mergeplan_has_aggregate(&span) ||
        having_names_alias(h, &span)) {
        h->c = start;
        return NULL;
    }

    h->rc = sp_mergeplan_plain_leaf(h->mp, &span, &leaf);
    if (h->rc != SP_OK) {
        return NULL;
    }
    return having_cmp(h, leaf.col, SP_CMP_NE, sp_str_cstr("0"), false);
}

/* One comparison: operand OP literal, literal OP operand, IS [NOT] NULL, BETWEEN, IN. */
static struct sp_merge_having *
having_comparison(struct having *h)
{
    const char *cond_start = h->c.tok.text.ptr;
    struct sp_token_cursor start = h->c;
    struct sp_merge_having *keys;
    enum sp_merge_cmp_op op;
    struct sp_str literal;
    bool is_string, negated;
    int32_t col;

    keys = having_key_condition(h);
    if (keys != NULL || h->rc != SP_OK) {
        return keys;
    }

    /* literal OP operand */
    if (having_literal(h, &literal, &is_string) && having_cmp_op(&h->c.tok, &op)) {
        sp_token_cursor_advance(&h->c);
        if (!having_operand(h, false, &col)) {
            return NULL;
        }
        return having_cmp(h, col, having_flip(op), literal, is_string);
    }
    if (h->rc != SP_OK) {
        return NULL;
    }
    h->c = start;

    if (!having_operand(h, true, &col)) {
        return NULL;
    }
    if (having_cmp_op(&h->c.tok, &op)) {
        sp_token_cursor_advance(&h->c);
        if (op == SP_CMP_NULLSAFE_EQ && SP_TOKEN_IS(&h->c.tok, "NULL")) {
            /* x <=> NULL is the NULL-safe test, true exactly when x IS NULL. */
            sp_token_cursor_advance(&h->c);
            return having_cmp(h, col, SP_CMP_IS_NULL, SP_STR_NULL, false);
        }
        if (!having_operand_literal(h, &literal, &is_string, cond_start)) {
            return NULL;
        }
        if (is_string) {
            /*
             * The merged value would be compared with the literal byte by
             * byte, not under the column's collation ('A' = 'a' is true for
             * the server), so text comparisons are refused.
             */
            return having_reject(h,
                                 "HAVING '%.*s' compares with a string literal, which a query "
                                 "that spans several shards cannot do under the column's "
                                 "collation yet",
                                 cond_start, (size_t)(h->end - cond_start));
        }
        return having_cmp(h, col, op, literal, is_string);
    }
    if (SP_TOKEN_IS(&h->c.tok, "IS")) {
        sp_token_cursor_advance(&h->c);
        negated = SP_TOKEN_IS(&h->c.tok, "NOT");
        if (negated) {
            sp_token_cursor_advance(&h->c);
        }
        if (!SP_TOKEN_IS(&h->c.tok, "NULL")) {
            return having_reject(h,
                                 "HAVING '%.*s' on a query that spans several shards supports "
                                 "only IS NULL and IS NOT NULL among the IS tests",
                                 cond_start, (size_t)(h->end - cond_start));
        }
        sp_token_cursor_advance(&h->c);
        return having_cmp(h, col, negated ? SP_CMP_IS_NOT_NULL : SP_CMP_IS_NULL, SP_STR_NULL,
                          false);
    }

    negated = SP_TOKEN_IS(&h->c.tok, "NOT");
    if (negated) {
        sp_token_cursor_advance(&h->c);
    }
    if (SP_TOKEN_IS(&h->c.tok, "BETWEEN")) {
        sp_token_cursor_advance(&h->c);
        return having_between(h, col, negated, cond_start);
    }
    if (SP_TOKEN_IS(&h->c.tok, "IN")) {
        sp_token_cursor_advance(&h->c);
        return having_in(h, col, negated, cond_start);
    }
    return having_reject(h,
                         "HAVING '%.*s' on a query that spans several shards supports only =, "
                         "<>, !=, <, <=, >, >=, <=>, IS [NOT] NULL, BETWEEN and IN",
                         cond_start, (size_t)(h->end - cond_start));
}

static struct sp_merge_having *having_or(struct having *h);

/* Whether the group at C is followed by a comparison, as in (SUM(a)) > 5. */
static bool
having_group_is_operand(const struct having *h)
{
    struct having probe = *h;

    having_step(&probe);
    return having_at_predicate(&probe);
}

static struct sp_merge_having *
having_primary(struct having *h)
{
    struct sp_merge_having *inner;

    if (SP_TOKEN_IS(&h->c.tok, "NOT") || SP_TOKEN_IS_OP(&h->c.tok, "!")) {
        if (SP_TOKEN_IS_OP(&h->c.tok, "!")) {
            /* ! binds tighter than comparisons: !a = 1 is (!a) = 1. */
            return having_reject(h, "HAVING '%.*s': the ! operator is not supported on a query "
                                    "that spans several shards, use NOT",
                                 h->c.tok.text.ptr, (size_t)(h->end - h->c.tok.text.ptr));
        }
        sp_token_cursor_advance(&h->c);
        if (++h->depth > HAVING_MAX_DEPTH) {
            return having_reject(h, "HAVING '%.*s' is nested too deeply", h->c.tok.text.ptr,
                                 (size_t)(h->end - h->c.tok.text.ptr));
        }
        inner = having_primary(h);
        h->depth--;
        return inner == NULL ? NULL : having_node(h, SP_HAVING_NOT, inner, NULL);
    }

    if (h->c.tok.kind == SP_TOK_LPAREN && !having_group_is_operand(h)) {
        sp_token_cursor_advance(&h->c);
        if (++h->depth > HAVING_MAX_DEPTH) {
            return having_reject(h, "HAVING '%.*s' is nested too deeply", h->c.tok.text.ptr,
                                 (size_t)(h->end - h->c.tok.text.ptr));
        }
        inner = having_or(h);
        h->depth--;
        if (inner == NULL) {
            return NULL;
        }
        if (h->c.tok.kind != SP_TOK_RPAREN) {
            return having_reject(h, "HAVING '%.*s': expected ')'", h->c.tok.text.ptr,
                                 (size_t)(h->end - h->c.tok.text.ptr));
        }
        sp_token_cursor_advance(&h->c);
        return inner;
    }
    inner = having_comparison(h);
    if (inner != NULL && !having_at_boundary(h)) {
        /* SUM(a) > 5 + 1, a = b: the right side is no single literal. */
        return having_reject(h,
                             "HAVING '%.*s' on a query that spans several shards can only compare "
                             "a column or an aggregate with a literal value",
                             h->mp->sel->having.start,
                             (size_t)(h->end - h->mp->sel->having.start));
    }
    return inner;
}

static struct sp_merge_having *
having_and(struct having *h)
{
    struct sp_merge_having *left, *right;

    left = having_primary(h);
    while (left != NULL && having_is_and(&h->c.tok) && !having_at_end(h)) {
        sp_token_cursor_advance(&h->c);
        right = having_primary(h);
        left = right == NULL ? NULL : having_node(h, SP_HAVING_AND, left, right);
    }
    return left;
}

static struct sp_merge_having *
having_or(struct having *h)
{
    struct sp_merge_having *left, *right;

    left = having_and(h);
    while (left != NULL && having_is_or(&h->c.tok) && !having_at_end(h)) {
        sp_token_cursor_advance(&h->c);
        right = having_and(h);
        left = right == NULL ? NULL : having_node(h, SP_HAVING_OR, left, right);
    }
    if (left != NULL && SP_TOKEN_IS(&h->c.tok, "XOR") && !having_at_end(h)) {
        return having_reject(h, "HAVING '%.*s': XOR is not supported on a query that spans "
                                "several shards",
                             h->mp->sel->having.start,
                             (size_t)(h->end - h->mp->sel->having.start));
    }
    return left;
}

/* Whether SPAN uses an aggregate, directly, through a select-list alias or in a subquery. */
static bool
having_uses_aggregate(const struct having *h, const struct sp_span *span)
{
    const struct sp_select *sel = h->mp->sel;
    struct sp_token_cursor c = span->at;

    if (sp_mergeplan_has_aggregate(span)) {
        return true;
    }
    while (c.tok.text.ptr < span->end && c.tok.kind != SP_TOK_EOF && c.tok.kind != SP_TOK_ERROR) {
        for (size_t i = 0; i < sel->nitems; i++) {
            const struct sp_select_item *item = &sel->items[i];

            if (item->alias.kind != SP_TOK_EOF && sp_router_same_name(&c.tok, &item->alias) &&
                (item->star || sp_mergeplan_has_aggregate(&item->expr))) {
                return true;
            }
        }
        sp_token_cursor_advance(&c);
    }
    return false;
}

/*
 * Splits HAVING at its top-level ANDs (not the AND of BETWEEN) into at
 * most MAX conjuncts. Returns how many, or 0 when there are more.
 */
static size_t
having_conjuncts(struct having *h, struct sp_span *out, size_t max)
{
    bool between = false;
    size_t n = 0;

    out[0].at = h->c;
    out[0].start = h->c.tok.text.ptr;
    out[0].end = out[0].start;
    while (!having_at_end(h)) {
        if (SP_TOKEN_IS(&h->c.tok, "BETWEEN")) {
            between = true;
        } else if (having_is_and(&h->c.tok) && between) {
            between = false;
        } else if (having_is_and(&h->c.tok)) {
            if (++n == max) {
                return 0;
            }
            sp_token_cursor_advance(&h->c);
            out[n].at = h->c;
            out[n].start = h->c.tok.text.ptr;
            out[n].end = out[n].start;
            continue;
        }
        having_step(h);
        out[n].end = h->c.prev.text.ptr + h->c.prev.text.len;
    }
    return n + 1;
}

int
sp_having_parse(struct mergeplan *mp, struct sp_merge_having **out)
{
    struct having h = {.mp = mp, .c = mp->sel->having.at, .end = mp->sel->having.end};
    struct sp_span parts[HAVING_MAX_CONJUNCTS];
    struct sp_merge_having *node;
    struct sp_buf shard;
    size_t nparts, i;
    int rc = SP_OK;

    /*
     * A condition on group keys alone that is ANDed with the rest goes to
     * the shards' HAVING, and the server moves it to WHERE, so it filters
     * rows before grouping (HAVING BINARY name = 'x' AND COUNT(*) > 1
     * counts only the 'x' spellings). The merger evaluates the rest.
     */
    *out = NULL;
    nparts = having_conjuncts(&h, parts, HAVING_MAX_CONJUNCTS);
    if (nparts == 0) {
        nparts = 1;
        parts[0] = mp->sel->having;
    }
    sp_buf_init(&shard);
    for (i = 0; i < nparts && rc == SP_OK; i++) {
        if (nparts > 1 && !having_uses_aggregate(&h, &parts[i])) {
            if (shard.len > 0) {
                rc = sp_buf_append(&shard, " AND ", 5);
            }
            if (rc == SP_OK) {
                rc = sp_buf_append(&shard, parts[i].start,
                                   (size_t)(parts[i].end - parts[i].start));
            }
            continue;
        }
        h.c = parts[i].at;
        h.end = parts[i].end;
        node = having_or(&h);
        if (h.rc != SP_OK || mp->route->kind == SP_PLAN_REJECT) {
            sp_buf_deinit(&shard);
            return h.rc;
        }
        if (node == NULL || !having_at_end(&h)) {
            having_reject(&h, "HAVING '%.*s' on a query that spans several shards is not "
                              "supported yet",
                          mp->sel->having.start,
                          (size_t)(mp->sel->having.end - mp->sel->having.start));
            sp_buf_deinit(&shard);
            return SP_OK;
        }
        *out = *out == NULL ? node : having_node(&h, SP_HAVING_AND, *out, node);
        if (*out == NULL) {
            rc = SP_ENOMEM;
        }
    }
    if (rc == SP_OK && shard.len > 0) {
        char *text = sp_arena_alloc(mp->arena, shard.len + 9);

        if (text == NULL) {
            rc = SP_ENOMEM;
        } else {
            memcpy(text, " HAVING ", 8);
            memcpy(text + 8, shard.data, shard.len);
            mp->shard_having = sp_str_make(text, shard.len + 8);
        }
    }
    sp_buf_deinit(&shard);
    return rc;
}
