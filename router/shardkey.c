/*
 * Shard keys: canonical literal values, WHERE clause analysis and
 * assignment checks.
 *
 * The WHERE analysis is sound by construction. A row can only match the
 * clause if it matches every condition of the top-level AND list. So each
 * condition on the key narrows the shard set, and each condition that the
 * analysis cannot read leaves the set as it was. An OR at a level that the
 * analysis enters leaves every shard for that level. Operator precedence
 * matters in two places: BETWEEN x AND y owns its AND, and so does a CASE
 * expression.
 */
#include "router/shardkey.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* 2^53: every integer up to here survives a round trip through a double. */
#define SHARDKEY_DOUBLE_EXACT (UINT64_C(1) << 53)

struct keyscan {
    const struct sp_router *router;
    const struct sp_scan_table *table;
    const struct sp_table_cfg *rule;
    struct sp_arena *arena;
    struct sp_token_cursor c;
    int rc; /* SP_ENOMEM once an allocation failed */
    /* A shard allowed by the conditions before the one that emptied the set. */
    bool has_fallback;
    uint32_t fallback;
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

int
sp_shardkey_literal(const struct sp_router *router, const struct sp_table_cfg *rule,
                    struct sp_token_cursor *c, enum sp_shardkey_use use, struct sp_arena *arena,
                    uint32_t *shard)
{
    bool negative = false, has_sign = false;
    char digits[24];
    struct sp_str bytes;
    uint64_t hash, magnitude;
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
            hash = sp_shardmap_hash_int(value);
        } else if (use == SP_SHARDKEY_STORE) {
            /* The column stores the number's decimal text: 007 becomes "7". */
            n = snprintf(digits, sizeof(digits), "%" PRId64, value);
            hash = sp_shardmap_hash_bytes(digits, (size_t)n);
        } else {
            return SP_ENOTFOUND;
        }
        sp_token_cursor_advance(c);
        *shard = sp_shardmap_lookup(&router->map, hash);
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
        hash = sp_shardmap_hash_int(value);
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
        hash = sp_shardmap_hash_bytes(bytes.ptr, bytes.len);
    }
    sp_token_cursor_advance(c);
    *shard = sp_shardmap_lookup(&router->map, hash);
    return SP_OK;
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

/* The token ends the WHERE clause, or the parenthesized group being read. */
static bool
keyscan_is_end(const struct sp_token *tok)
{
    switch (tok->kind) {
    case SP_TOK_EOF:
    case SP_TOK_ERROR:
    case SP_TOK_SEMICOLON:
    case SP_TOK_RPAREN:
        return true;
    case SP_TOK_IDENT:
        return SP_TOKEN_IS(tok, "GROUP") || SP_TOKEN_IS(tok, "ORDER")
               || SP_TOKEN_IS(tok, "HAVING") || SP_TOKEN_IS(tok, "LIMIT")
               || SP_TOKEN_IS(tok, "WINDOW") || SP_TOKEN_IS(tok, "FOR")
               || SP_TOKEN_IS(tok, "LOCK") || SP_TOKEN_IS(tok, "UNION")
               || SP_TOKEN_IS(tok, "EXCEPT") || SP_TOKEN_IS(tok, "INTERSECT")
               || SP_TOKEN_IS(tok, "INTO") || SP_TOKEN_IS(tok, "RETURNING");
    default:
        return false;
    }
}

static bool
keyscan_at_separator(const struct keyscan *k)
{
    return keyscan_is_end(&k->c.tok) || keyscan_is_and(&k->c.tok) || keyscan_is_or(&k->c.tok);
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

/* Reads a literal into SHARD; false when it is not a canonical key value. */
static bool
keyscan_literal(struct keyscan *k, uint32_t *shard)
{
    int rc;

    rc = sp_shardkey_literal(k->router, k->rule, &k->c, SP_SHARDKEY_COMPARE, k->arena, shard);
    if (rc == SP_ENOMEM) {
        k->rc = rc;
    }
    return rc == SP_OK;
}

static bool
keyscan_is_equals(const struct sp_token *tok)
{
    /* <=> with a non-NULL literal matches exactly the rows that = matches. */
    return SP_TOKEN_IS_OP(tok, "=") || SP_TOKEN_IS_OP(tok, "<=>");
}

/*
 * Reads key = literal, literal = key or key IN (literal, ...) into SET.
 * Returns false when the condition has another form; C may have moved.
 */
static bool
keyscan_predicate(struct keyscan *k, struct sp_shard_set *set)
{
    const char *key = k->rule->shard_key;
    uint32_t shard;

    sp_shard_set_clear(k->router, set);

    if (!sp_shardkey_column(&k->c, key, k->table)) {
        if (!keyscan_literal(k, &shard) || !keyscan_is_equals(&k->c.tok)) {
            return false;
        }
        sp_token_cursor_advance(&k->c);
        if (!sp_shardkey_column(&k->c, key, k->table)) {
            return false;
        }
        sp_shard_set_add(set, shard);
        return true;
    }

    if (keyscan_is_equals(&k->c.tok)) {
        sp_token_cursor_advance(&k->c);
        if (!keyscan_literal(k, &shard)) {
            return false;
        }
        sp_shard_set_add(set, shard);
        return true;
    }

    if (!SP_TOKEN_IS(&k->c.tok, "IN")) {
        return false;
    }
    sp_token_cursor_advance(&k->c);
    if (k->c.tok.kind != SP_TOK_LPAREN) {
        return false;
    }
    do {
        sp_token_cursor_advance(&k->c);
        if (!keyscan_literal(k, &shard)) {
            return false;
        }
        sp_shard_set_add(set, shard);
    } while (k->c.tok.kind == SP_TOK_COMMA);
    if (k->c.tok.kind != SP_TOK_RPAREN) {
        return false;
    }
    sp_token_cursor_advance(&k->c);
    return true;
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
sp_shardkey_where(const struct sp_router *router, const struct sp_scan_table *table,
                  const struct sp_token_cursor *where, struct sp_arena *arena, struct sp_shard_set *out)
{
    struct keyscan k;

    k.router = router;
    k.table = table;
    k.rule = table->rule;
    k.arena = arena;
    k.c = *where;
    k.rc = SP_OK;
    k.has_fallback = false;
    k.fallback = 0;
    keyscan_and_list(&k, out);

    /* Contradicting conditions match no row; one of the shards they name returns nothing. */
    if (sp_shard_set_first(router, out) == UINT32_MAX && k.has_fallback
        && k.fallback != UINT32_MAX) {
        sp_shard_set_add(out, k.fallback);
    }
    return k.rc;
}

int
sp_shardkey_assigns(const struct sp_token_cursor *at, const char *column, bool *assigns)
{
    struct sp_token_cursor c = *at;
    unsigned depth;

    *assigns = false;
    for (;;) {
        if (sp_shardkey_column(&c, column, NULL)) {
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
