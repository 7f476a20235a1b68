/*
 * Shard keys: canonical literal values, WHERE clause analysis, join
 * conditions and assignment checks.
 *
 * The WHERE analysis is sound by construction. A row can only match the
 * clause if it matches every condition of the top-level AND list. So each
 * condition on the key narrows the shard set, and each condition that the
 * analysis cannot read leaves the set as it was. An OR at a level that the
 * analysis enters leaves every shard for that level. Operator precedence
 * matters in two places: BETWEEN x AND y owns its AND, and so does a CASE
 * expression. Conditions on several co-located tables' keys narrow the
 * same set, because a key value has one shard in all of them.
 */
#include "router/shardkey.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 2^53: every integer up to here survives a round trip through a double. */
#define SHARDKEY_DOUBLE_EXACT (UINT64_C(1) << 53)

struct keyscan {
    const struct sp_router *router;
    const struct sp_scan_table *tables;
    size_t ntables;
    /* The first table's rule, which places values for all of them (they are co-located). */
    const struct sp_table_cfg *rule;
    struct sp_arena *arena;
    struct sp_token_cursor c;
    int rc; /* SP_ENOMEM once an allocation failed */
    /* A shard allowed by the conditions before the one that emptied the set. */
    bool has_fallback;
    uint32_t fallback;
    struct sp_shardkey_in_list **in_lists; /* NULL: lists are not recorded */
};

/* A key value in canonical form: an int key's value, or a string key's hash. */
struct shardkey_value {
    int64_t value;
    uint64_t hash;
};

/*
 * Parses an optional sign and decimal digits, nothing else, into *VALUE.
 * Returns false when TEXT has another form or leaves the int64 range, and
 * stores the magnitude in *MAGNITUDE.
 */
static bool
shardkey_parse_int(struct sp_str text, bool negative, int64_t *value, uint64_t *magnitude)
{
    uint64_t m = 0;
    size_t i = 0;
    unsigned d;

    if (text.len > 0 && (text.ptr[0] == '+' || text.ptr[0] == '-')) {
        negative = negative != (text.ptr[0] == '-');
        i = 1;
    }
    if (i == text.len) {
        return false;
    }
    for (; i < text.len; i++) {
        if (text.ptr[i] < '0' || text.ptr[i] > '9') {
            return false;
        }
        d = (unsigned)(text.ptr[i] - '0');
        if (m > (UINT64_MAX - d) / 10) {
            return false;
        }
        m = m * 10 + d;
    }

    if (negative) {
        if (m > (uint64_t)INT64_MAX + 1) {
            return false;
        }
        /* Negating in unsigned arithmetic keeps INT64_MIN exact. */
        *value = m == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)m;
    } else {
        if (m > (uint64_t)INT64_MAX) {
            return false;
        }
        *value = (int64_t)m;
    }
    *magnitude = m;
    return true;
}

/* Reads a decimal or exponent literal that is a whole number within +-2^53 into *VALUE. */
static bool
shardkey_parse_whole(struct sp_str text, bool negative, int64_t *value)
{
    char buf[64];
    char *end;
    double d;

    if (text.len == 0 || text.len >= sizeof(buf)) {
        return false;
    }
    memcpy(buf, text.ptr, text.len);
    buf[text.len] = '\0';
    d = strtod(buf, &end);
    if (end != buf + text.len || !(d == floor(d)) || fabs(d) > (double)SHARDKEY_DOUBLE_EXACT) {
        return false;
    }
    *value = negative ? -(int64_t)d : (int64_t)d;
    return true;
}

/*
 * Reads the literal at C into OUT as sp_shardkey_literal describes. For an
 * int key OUT->value is set, and OUT->hash too when RULE hashes.
 */
static int
shardkey_read(const struct sp_table_cfg *rule, struct sp_token_cursor *c, enum sp_shardkey_use use,
              struct sp_arena *arena, struct shardkey_value *out)
{
    bool negative = false, has_sign = false;
    char digits[24];
    struct sp_str bytes;
    uint64_t magnitude;
    int64_t value;
    int rc, n;

    if (SP_TOKEN_IS_OP(&c->tok, "-") || SP_TOKEN_IS_OP(&c->tok, "+")) {
        negative = c->tok.text.ptr[0] == '-';
        has_sign = true;
        sp_token_cursor_advance(c);
    }

    if (c->tok.kind == SP_TOK_NUMBER) {
        if (!shardkey_parse_int(c->tok.text, negative, &value, &magnitude)) {
            return SP_ENOTFOUND;
        }
        if (rule->key_type == SP_KEY_INT) {
            out->value = value;
            out->hash = rule->algorithm == SP_ALGORITHM_HASH ? sp_shardmap_hash_int(value) : 0;
        } else if (use == SP_SHARDKEY_STORE) {
            /* The column stores the number's decimal text: 007 becomes "7". */
            n = snprintf(digits, sizeof(digits), "%" PRId64, value);
            out->hash = sp_shardmap_hash_bytes(digits, (size_t)n);
        } else {
            return SP_ENOTFOUND;
        }
        sp_token_cursor_advance(c);
        return SP_OK;
    }

    if (c->tok.kind == SP_TOK_DECIMAL) {
        /*
         * 5e0 or 5.0: a driver that binds a number as DOUBLE sends this. It
         * names row 5 of an int key only when it is a whole number that a
         * double holds exactly; 5.5 matches no INT row and would be stored
         * rounded, so it is left to the scatter path.
         */
        if (rule->key_type != SP_KEY_INT || !shardkey_parse_whole(c->tok.text, negative, &value)) {
            return SP_ENOTFOUND;
        }
        out->value = value;
        out->hash = rule->algorithm == SP_ALGORITHM_HASH ? sp_shardmap_hash_int(value) : 0;
        sp_token_cursor_advance(c);
        return SP_OK;
    }

    if (c->tok.kind != SP_TOK_STRING || has_sign) {
        return SP_ENOTFOUND;
    }
    rc = sp_lexer_unquote(&c->tok, arena, &bytes);
    if (rc != SP_OK) {
        return rc;
    }
    if (rule->key_type == SP_KEY_INT) {
        if (!shardkey_parse_int(bytes, false, &value, &magnitude)) {
            return SP_ENOTFOUND;
        }
        if (use == SP_SHARDKEY_COMPARE && magnitude > SHARDKEY_DOUBLE_EXACT) {
            return SP_ENOTFOUND;
        }
        out->value = value;
        out->hash = rule->algorithm == SP_ALGORITHM_HASH ? sp_shardmap_hash_int(value) : 0;
    } else {
        /*
         * PAD SPACE collations compare 'a ' equal to 'a', so a condition
         * with trailing spaces could match a row stored under another hash.
         * NOTE: case-insensitive collations have the same problem with
         * 'A' and 'a', and no check here can see the column's collation.
         */
        if (use == SP_SHARDKEY_COMPARE && bytes.len > 0 && bytes.ptr[bytes.len - 1] == ' ') {
            return SP_ENOTFOUND;
        }
        out->hash = sp_shardmap_hash_bytes(bytes.ptr, bytes.len);
    }
    sp_token_cursor_advance(c);
    return SP_OK;
}

static uint32_t
shardkey_place(const struct sp_router *router, const struct sp_table_cfg *rule,
               const struct shardkey_value *v)
{
    if (rule->algorithm == SP_ALGORITHM_RANGE) {
        return (uint32_t)rule->ranges[sp_shardmap_range_find(rule, v->value)].shard;
    }
    return sp_shardmap_lookup(&router->map, v->hash);
}

int
sp_shardkey_literal(const struct sp_router *router, const struct sp_table_cfg *rule,
                    struct sp_token_cursor *c, enum sp_shardkey_use use, struct sp_arena *arena,
                    uint32_t *shard)
{
    struct shardkey_value v;
    int rc;

    rc = shardkey_read(rule, c, use, arena, &v);
    if (rc == SP_OK) {
        *shard = shardkey_place(router, rule, &v);
    }
    return rc;
}

bool
sp_shardkey_column(struct sp_token_cursor *c, const char *column, const struct sp_scan_table *table)
{
    struct sp_token_cursor probe = *c;
    struct sp_token qualifier = {SP_TOK_EOF, SP_STR_NULL};
    int dots = 0;

    for (;;) {
        if (probe.tok.kind != SP_TOK_IDENT && probe.tok.kind != SP_TOK_QUOTED_IDENT) {
            return false;
        }
        if (sp_token_cursor_peek(&probe).kind != SP_TOK_DOT) {
            break;
        }
        if (++dots > 2) {
            return false;
        }
        qualifier = probe.tok;
        sp_token_cursor_advance(&probe);
        sp_token_cursor_advance(&probe);
    }
    if (!sp_router_name_is(&probe.tok, column)) {
        return false;
    }
    /* In FROM (SELECT 5 AS id) d, t, the condition d.id = 5 does not restrict t. */
    if (table != NULL && qualifier.kind != SP_TOK_EOF
        && !sp_router_same_name(&qualifier, &table->name)
        && !(table->alias.kind != SP_TOK_EOF && sp_router_same_name(&qualifier, &table->alias))) {
        return false;
    }
    sp_token_cursor_advance(&probe);
    *c = probe;
    return true;
}

static bool
keyscan_is_and(const struct sp_token *tok)
{
    return SP_TOKEN_IS(tok, "AND") || SP_TOKEN_IS_OP(tok, "&&");
}

static bool
keyscan_is_or(const struct sp_token *tok)
{
    /* || is OR unless sql_mode has PIPES_AS_CONCAT; either way it is no AND. */
    return SP_TOKEN_IS(tok, "OR") || SP_TOKEN_IS(tok, "XOR") || SP_TOKEN_IS_OP(tok, "||");
}

/*
 * The token ends the WHERE or ON clause, or the parenthesized group being
 * read. NEXT is the token after it: LEFT( and RIGHT( are functions, not
 * joins.
 */
static bool
keyscan_is_end(const struct sp_token *tok, const struct sp_token *next)
{
    switch (tok->kind) {
    case SP_TOK_EOF:
    case SP_TOK_ERROR:
    case SP_TOK_SEMICOLON:
    case SP_TOK_RPAREN:
    case SP_TOK_COMMA:
        return true;
    case SP_TOK_IDENT:
        if ((SP_TOKEN_IS(tok, "LEFT") || SP_TOKEN_IS(tok, "RIGHT"))
            && next->kind != SP_TOK_LPAREN) {
            return true;
        }
        return SP_TOKEN_IS(tok, "GROUP") || SP_TOKEN_IS(tok, "ORDER")
               || SP_TOKEN_IS(tok, "HAVING") || SP_TOKEN_IS(tok, "LIMIT")
               || SP_TOKEN_IS(tok, "WINDOW") || SP_TOKEN_IS(tok, "FOR")
               || SP_TOKEN_IS(tok, "LOCK") || SP_TOKEN_IS(tok, "UNION")
               || SP_TOKEN_IS(tok, "EXCEPT") || SP_TOKEN_IS(tok, "INTERSECT")
               || SP_TOKEN_IS(tok, "INTO") || SP_TOKEN_IS(tok, "RETURNING")
               || SP_TOKEN_IS(tok, "WHERE") || SP_TOKEN_IS(tok, "JOIN")
               || SP_TOKEN_IS(tok, "INNER") || SP_TOKEN_IS(tok, "CROSS")
               || SP_TOKEN_IS(tok, "STRAIGHT_JOIN") || SP_TOKEN_IS(tok, "NATURAL")
               || SP_TOKEN_IS(tok, "FULL") || SP_TOKEN_IS(tok, "SET");
    default:
        return false;
    }
}

static bool
keyscan_at_separator(const struct keyscan *k)
{
    struct sp_token next = sp_token_cursor_peek(&k->c);

    return keyscan_is_end(&k->c.tok, &next) || keyscan_is_and(&k->c.tok)
           || keyscan_is_or(&k->c.tok);
}

/* Skips the rest of one condition, up to the AND or OR that ends it. */
static void
keyscan_skip_condition(struct keyscan *k)
{
    unsigned between = 0, cases = 0, depth = 0;
    const struct sp_token *tok = &k->c.tok;

    for (;;) {
        if (tok->kind == SP_TOK_EOF || tok->kind == SP_TOK_ERROR || tok->kind == SP_TOK_SEMICOLON) {
            return;
        }
        if (tok->kind == SP_TOK_LPAREN) {
            depth++;
        } else if (tok->kind == SP_TOK_RPAREN) {
            if (depth == 0) {
                return;
            }
            depth--;
        } else if (depth == 0 && cases == 0) {
            if (keyscan_is_and(tok) && between > 0) {
                between--;
            } else if (keyscan_at_separator(k)) {
                return;
            }
        }
        if (depth == 0) {
            if (SP_TOKEN_IS(tok, "BETWEEN")) {
                between++;
            } else if (SP_TOKEN_IS(tok, "CASE")) {
                cases++;
            } else if (SP_TOKEN_IS(tok, "END") && cases > 0) {
                cases--;
            }
        }
        sp_token_cursor_advance(&k->c);
    }
}

/* Reads a literal into V; false when it is not a canonical key value. */
static bool
keyscan_value(struct keyscan *k, struct shardkey_value *v)
{
    int rc;

    rc = shardkey_read(k->rule, &k->c, SP_SHARDKEY_COMPARE, k->arena, v);
    if (rc == SP_ENOMEM) {
        k->rc = rc;
    }
    return rc == SP_OK;
}

/* Reads a literal into SHARD; false when it is not a canonical key value. */
static bool
keyscan_literal(struct keyscan *k, uint32_t *shard)
{
    struct shardkey_value v;

    if (!keyscan_value(k, &v)) {
        return false;
    }
    *shard = shardkey_place(k->router, k->rule, &v);
    return true;
}

static bool
keyscan_is_equals(const struct sp_token *tok)
{
    /* <=> with a non-NULL literal matches exactly the rows that = matches. */
    return SP_TOKEN_IS_OP(tok, "=") || SP_TOKEN_IS_OP(tok, "<=>");
}

/* Moves past a key column of any of the tables, or returns false and leaves C. */
static bool
keyscan_key(struct keyscan *k)
{
    size_t i;

    for (i = 0; i < k->ntables; i++) {
        if (sp_shardkey_column(&k->c, k->tables[i].rule->shard_key, &k->tables[i])) {
            return true;
        }
    }
    return false;
}

/* Adds to SET the shards of the range entries that overlap [LO, HI]; nothing when LO > HI. */
static void
keyscan_add_interval(const struct keyscan *k, int64_t lo, int64_t hi, struct sp_shard_set *set)
{
    size_t first, last, i;

    if (lo > hi) {
        return;
    }
    first = sp_shardmap_range_find(k->rule, lo);
    last = sp_shardmap_range_find(k->rule, hi);
    for (i = first; i <= last; i++) {
        sp_shard_set_add(set, (uint32_t)k->rule->ranges[i].shard);
    }
}

/*
 * Reads an ordering comparison OP with VALUE on the right of the key
 * (flip: on its left) into SET. Returns false for any other operator.
 */
static bool
keyscan_bound(const struct keyscan *k, const struct sp_token *op, bool flip, int64_t value,
              struct sp_shard_set *set)
{
    bool less = SP_TOKEN_IS_OP(op, "<") || SP_TOKEN_IS_OP(op, "<=");
    bool strict = SP_TOKEN_IS_OP(op, "<") || SP_TOKEN_IS_OP(op, ">");

    if (!less && !SP_TOKEN_IS_OP(op, ">") && !SP_TOKEN_IS_OP(op, ">=")) {
        return false;
    }
    if (flip) {
        less = !less; /* 5 < key is key > 5 */
    }

    if (less) {
        if (strict && value == INT64_MIN) {
            return true; /* key < INT64_MIN: no row */
        }
        keyscan_add_interval(k, INT64_MIN, strict ? value - 1 : value, set);
    } else {
        if (strict && value == INT64_MAX) {
            return true;
        }
        keyscan_add_interval(k, strict ? value + 1 : value, INT64_MAX, set);
    }
    return true;
}

static bool
keyscan_is_bound_op(const struct sp_token *tok)
{
    return SP_TOKEN_IS_OP(tok, "<") || SP_TOKEN_IS_OP(tok, "<=") || SP_TOKEN_IS_OP(tok, ">")
           || SP_TOKEN_IS_OP(tok, ">=");
}

/* Reads key BETWEEN a AND b of a range-sharded table into SET; C is after BETWEEN. */
static bool
keyscan_between(struct keyscan *k, struct sp_shard_set *set)
{
    struct shardkey_value lo, hi;

    if (!keyscan_value(k, &lo) || !keyscan_is_and(&k->c.tok)) {
        return false;
    }
    sp_token_cursor_advance(&k->c);
    if (!keyscan_value(k, &hi)) {
        return false;
    }
    keyscan_add_interval(k, lo.value, hi.value, set);
    return true;
}

/*
 * Records the IN list whose '(' is at OPEN, already read once, so that
 * each target can get only its own values.
 */
static void
keyscan_record_in_list(struct keyscan *k, struct sp_token_cursor open, size_t nvalues)
{
    struct sp_shardkey_in_list *list;
    const char *start;
    size_t i;

    list = sp_arena_alloc(k->arena, sizeof(*list));
    if (list == NULL || nvalues > SIZE_MAX / sizeof(*list->values)) {
        k->rc = SP_ENOMEM;
        return;
    }
    list->values = sp_arena_alloc(k->arena, nvalues * sizeof(*list->values));
    if (list->values == NULL) {
        k->rc = SP_ENOMEM;
        return;
    }
    list->open = open.tok.text.ptr + 1;
    list->nvalues = nvalues;

    k->c = open;
    for (i = 0; i < nvalues; i++) {
        sp_token_cursor_advance(&k->c);
        start = k->c.tok.text.ptr;
        /* The first pass read the same values, so only memory can run out here. */
        if (!keyscan_literal(k, &list->values[i].shard)) {
            return;
        }
        list->values[i].text = sp_str_make(start, (size_t)(k->c.prev.text.ptr
                                                           + k->c.prev.text.len - start));
    }
    list->close = k->c.tok.text.ptr;
    sp_token_cursor_advance(&k->c);

    list->next = *k->in_lists;
    *k->in_lists = list;
}

/* Reads key IN (literal, ...) into SET; C is after IN. */
static bool
keyscan_in_list(struct keyscan *k, struct sp_shard_set *set)
{
    struct sp_token_cursor open = k->c;
    size_t nvalues = 0;
    uint32_t shard;

    if (k->c.tok.kind != SP_TOK_LPAREN) {
        return false;
    }
    do {
        sp_token_cursor_advance(&k->c);
        if (!keyscan_literal(k, &shard)) {
            return false;
        }
        sp_shard_set_add(set, shard);
        nvalues++;
    } while (k->c.tok.kind == SP_TOK_COMMA);
    if (k->c.tok.kind != SP_TOK_RPAREN) {
        return false;
    }
    sp_token_cursor_advance(&k->c);

    if (k->in_lists != NULL && sp_shard_set_count(k->router, set) > 1) {
        keyscan_record_in_list(k, open, nvalues);
    }
    return true;
}

/*
 * Reads a condition on a key into SET: key = literal, literal = key, key
 * IN (literal, ...), and for range-sharded tables key BETWEEN a AND b and
 * the ordering comparisons. Returns false when the condition has another
 * form; C may have moved.
 */
static bool
keyscan_predicate(struct keyscan *k, struct sp_shard_set *set)
{
    bool range = k->rule->algorithm == SP_ALGORITHM_RANGE;
    struct shardkey_value v;
    struct sp_token op;
    uint32_t shard;

    sp_shard_set_clear(k->router, set);

    if (!keyscan_key(k)) {
        if (!keyscan_value(k, &v)) {
            return false;
        }
        op = k->c.tok;
        if (!keyscan_is_equals(&op) && !(range && keyscan_is_bound_op(&op))) {
            return false;
        }
        sp_token_cursor_advance(&k->c);
        if (!keyscan_key(k)) {
            return false;
        }
        if (keyscan_is_equals(&op)) {
            sp_shard_set_add(set, shardkey_place(k->router, k->rule, &v));
            return true;
        }
        return keyscan_bound(k, &op, true, v.value, set);
    }

    op = k->c.tok;
    if (keyscan_is_equals(&op)) {
        sp_token_cursor_advance(&k->c);
        if (!keyscan_literal(k, &shard)) {
            return false;
        }
        sp_shard_set_add(set, shard);
        return true;
    }
    if (SP_TOKEN_IS(&op, "IN")) {
        sp_token_cursor_advance(&k->c);
        return keyscan_in_list(k, set);
    }
    if (!range) {
        return false;
    }
    if (SP_TOKEN_IS(&op, "BETWEEN")) {
        sp_token_cursor_advance(&k->c);
        return keyscan_between(k, set);
    }
    if (!keyscan_is_bound_op(&op)) {
        return false;
    }
    sp_token_cursor_advance(&k->c);
    if (!keyscan_value(k, &v)) {
        return false;
    }
    return keyscan_bound(k, &op, false, v.value, set);
}

static void keyscan_and_list(struct keyscan *k, struct sp_shard_set *set);

/* Reads one condition of an AND list into SET: every shard unless it restricts the key. */
static void
keyscan_condition(struct keyscan *k, struct sp_shard_set *set)
{
    struct sp_token_cursor start = k->c;

    if (k->c.tok.kind == SP_TOK_LPAREN) {
        sp_token_cursor_advance(&k->c);
        keyscan_and_list(k, set);
        if (k->c.tok.kind == SP_TOK_RPAREN) {
            sp_token_cursor_advance(&k->c);
            if (keyscan_at_separator(k)) {
                return;
            }
        }
        /* The group is an operand, as in (a AND b) = 0: it proves nothing. */
    } else if (keyscan_predicate(k, set) && keyscan_at_separator(k)) {
        return;
    }

    sp_shard_set_fill(k->router, set);
    k->c = start;
    keyscan_skip_condition(k);
}

/*
 * Reads conditions joined by AND up to the end of the clause or group. An
 * OR or XOR at this level leaves every shard for the whole level.
 */
static void
keyscan_and_list(struct keyscan *k, struct sp_shard_set *set)
{
    struct sp_shard_set condition;
    bool has_or = false;

    sp_shard_set_fill(k->router, set);
    for (;;) {
        keyscan_condition(k, &condition);
        if (!k->has_fallback) {
            k->fallback = sp_shard_set_first(k->router, set);
        }
        sp_shard_set_and(k->router, set, &condition);
        if (!k->has_fallback && sp_shard_set_first(k->router, set) == UINT32_MAX) {
            k->has_fallback = true;
        }
        if (keyscan_is_or(&k->c.tok)) {
            has_or = true;
        } else if (!keyscan_is_and(&k->c.tok)) {
            break;
        }
        sp_token_cursor_advance(&k->c);
    }
    if (has_or) {
        sp_shard_set_fill(k->router, set);
    }
}

int
sp_shardkey_where(const struct sp_router *router, const struct sp_scan_table *tables,
                  size_t ntables, const struct sp_token_cursor *where, struct sp_arena *arena,
                  struct sp_shard_set *out, struct sp_shardkey_in_list **in_lists)
{
    struct keyscan k;

    k.router = router;
    k.tables = tables;
    k.ntables = ntables;
    k.rule = tables[0].rule;
    k.arena = arena;
    k.c = *where;
    k.rc = SP_OK;
    k.has_fallback = false;
    k.fallback = 0;
    k.in_lists = in_lists;
    keyscan_and_list(&k, out);

    /* Contradicting conditions match no row; one of the shards they name returns nothing. */
    if (sp_shard_set_first(router, out) == UINT32_MAX && k.has_fallback
        && k.fallback != UINT32_MAX) {
        sp_shard_set_add(out, k.fallback);
    }
    return k.rc;
}

/* Returns the index of the table whose key C is at (moving past it), or NTABLES. */
static size_t
shardkey_qualified_key(struct sp_token_cursor *c, const struct sp_scan_table *tables,
                       size_t ntables)
{
    size_t i;

    /* An unqualified name could belong to either table of the join. */
    if (sp_token_cursor_peek(c).kind != SP_TOK_DOT) {
        return ntables;
    }
    for (i = 0; i < ntables; i++) {
        if (tables[i].rule != NULL && tables[i].rule->shard_key != NULL
            && sp_shardkey_column(c, tables[i].rule->shard_key, &tables[i])) {
            return i;
        }
    }
    return ntables;
}

void
sp_shardkey_join_edges(const struct sp_scan_table *tables, size_t ntables,
                       const struct sp_token_cursor *at, uint32_t *edges)
{
    uint32_t found[32] = {0};
    struct sp_token_cursor start;
    struct keyscan k;
    size_t a, b;

    SP_BUG_ON(ntables > 32);
    memset(&k, 0, sizeof(k));
    k.c = *at;
    for (;;) {
        start = k.c;
        a = shardkey_qualified_key(&k.c, tables, ntables);
        if (a < ntables && keyscan_is_equals(&k.c.tok)) {
            sp_token_cursor_advance(&k.c);
            b = shardkey_qualified_key(&k.c, tables, ntables);
            if (b < ntables && b != a && keyscan_at_separator(&k)) {
                found[a] |= UINT32_C(1) << b;
                found[b] |= UINT32_C(1) << a;
            }
        }
        k.c = start;
        keyscan_skip_condition(&k);
        if (keyscan_is_or(&k.c.tok)) {
            return; /* not a conjunction: no condition of it holds on its own */
        }
        if (!keyscan_is_and(&k.c.tok)) {
            break;
        }
        sp_token_cursor_advance(&k.c);
    }

    for (a = 0; a < ntables; a++) {
        edges[a] |= found[a];
    }
}

int
sp_shardkey_assigns(const struct sp_token_cursor *at, const char *column,
                    const struct sp_scan_table *table, bool *assigns)
{
    struct sp_token_cursor c = *at;
    unsigned depth;

    *assigns = false;
    for (;;) {
        if (sp_shardkey_column(&c, column, table)) {
            *assigns = true;
            return SP_OK;
        }
        /* Another column, perhaps qualified: skip to its '='. */
        while (c.tok.kind == SP_TOK_IDENT || c.tok.kind == SP_TOK_QUOTED_IDENT
               || c.tok.kind == SP_TOK_DOT) {
            sp_token_cursor_advance(&c);
        }
        if (!SP_TOKEN_IS_OP(&c.tok, "=") && !SP_TOKEN_IS_OP(&c.tok, ":=")) {
            return SP_EPARSE;
        }

        /* The value runs to a comma outside parentheses or to the end of the list. */
        depth = 0;
        for (;;) {
            sp_token_cursor_advance(&c);
            if (c.tok.kind == SP_TOK_EOF || c.tok.kind == SP_TOK_ERROR
                || c.tok.kind == SP_TOK_SEMICOLON) {
                return SP_OK;
            }
            if (c.tok.kind == SP_TOK_LPAREN) {
                depth++;
            } else if (c.tok.kind == SP_TOK_RPAREN) {
                if (depth == 0) {
                    return SP_OK;
                }
                depth--;
            } else if (depth == 0
                       && (c.tok.kind == SP_TOK_COMMA || SP_TOKEN_IS(&c.tok, "WHERE")
                           || SP_TOKEN_IS(&c.tok, "ORDER") || SP_TOKEN_IS(&c.tok, "LIMIT")
                           || SP_TOKEN_IS(&c.tok, "RETURNING"))) {
                break;
            }
        }
        if (c.tok.kind != SP_TOK_COMMA) {
            return SP_OK;
        }
        sp_token_cursor_advance(&c);
    }
}
