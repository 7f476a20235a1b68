/*
 * INSERT and REPLACE routing and the split rewrite.
 *
 * The statement is read in three parts: the prefix up to the first row
 * (INSERT INTO t (cols) VALUES), the rows, and the suffix after the last
 * row (ON DUPLICATE KEY UPDATE ..., RETURNING ...). A split statement for
 * one shard is the prefix, that shard's rows joined by commas, and the
 * suffix, all copied verbatim.
 */
#include "router/insert.h"

#include <string.h>

#include "router/shardkey.h"

#define INSERT_NO_KEY SIZE_MAX

struct insert_row {
    const char *start; /* the row's '(' */
    const char *end;   /* after its ')' */
    uint32_t shard;
};

struct insert {
    const struct sp_router *router;
    const struct sp_scan *scan;
    const struct sp_table_cfg *rule;
    struct sp_arena *arena;
    struct sp_route *route;
    struct sp_error *err;
    const char *verb; /* INSERT or REPLACE, for messages */
    struct sp_str table;
};

static void
insert_reject_value(struct insert *ins)
{
    sp_route_reject(ins->route, ins->err,
                    "%s into sharded table '%.*s' must give a literal value for shard key "
                    "column '%s' (NULL, DEFAULT, a left-out AUTO_INCREMENT column and "
                    "expressions cannot be routed)",
                    ins->verb, (int)ins->table.len, ins->table.ptr, ins->rule->shard_key);
}

static void
insert_reject_select(struct insert *ins)
{
    sp_route_reject(ins->route, ins->err,
                    "%s ... SELECT into sharded table '%.*s' is not supported yet: use VALUES with "
                    "a literal value for shard key column '%s'",
                    ins->verb, (int)ins->table.len, ins->table.ptr, ins->rule->shard_key);
}

static void
insert_reject_key_change(struct insert *ins)
{
    sp_route_reject(ins->route, ins->err,
                    "changing the shard key column '%s' of table '%.*s' is not supported",
                    ins->rule->shard_key, (int)ins->table.len, ins->table.ptr);
}

static void
insert_unparseable(struct insert *ins, const char *reason)
{
    sp_route_unparseable(ins->route, ins->err, &ins->scan->first.name, ins->rule, reason);
}

static bool
insert_at_end(const struct sp_token *tok)
{
    return tok->kind == SP_TOK_EOF || tok->kind == SP_TOK_ERROR || tok->kind == SP_TOK_SEMICOLON;
}

/*
 * Reads the row at C's '(' and computes its shard from the value at
 * KEY_INDEX. Returns SP_OK, SP_ENOTFOUND when that value is missing or not
 * a canonical literal, SP_EPARSE when the row is not closed, or SP_ENOMEM.
 */
static int
insert_read_row(struct insert *ins, struct sp_token_cursor *c, size_t key_index, struct insert_row *row)
{
    bool found = false;
    size_t index = 0;
    unsigned depth;
    int rc;

    if (c->tok.kind != SP_TOK_LPAREN) {
        return SP_EPARSE;
    }
    row->start = c->tok.text.ptr;
    sp_token_cursor_advance(c);

    for (;;) {
        if (index == key_index) {
            rc = sp_shardkey_literal(ins->router, ins->rule, c, SP_SHARDKEY_STORE, ins->arena,
                                     &row->shard);
            if (rc == SP_ENOMEM) {
                return rc;
            }
            if (rc != SP_OK || (c->tok.kind != SP_TOK_COMMA && c->tok.kind != SP_TOK_RPAREN)) {
                return SP_ENOTFOUND;
            }
            found = true;
        }

        /* The rest of the value: nested parentheses, strings and calls are single steps. */
        depth = 0;
        while (depth > 0 || (c->tok.kind != SP_TOK_COMMA && c->tok.kind != SP_TOK_RPAREN)) {
            if (insert_at_end(&c->tok)) {
                return SP_EPARSE;
            }
            if (c->tok.kind == SP_TOK_LPAREN) {
                depth++;
            } else if (c->tok.kind == SP_TOK_RPAREN) {
                depth--;
            }
            sp_token_cursor_advance(c);
        }

        if (c->tok.kind == SP_TOK_COMMA) {
            index++;
            sp_token_cursor_advance(c);
            continue;
        }
        row->end = c->tok.text.ptr + 1;
        sp_token_cursor_advance(c);
        return found ? SP_OK : SP_ENOTFOUND;
    }
}

/* Checks ON DUPLICATE KEY UPDATE, if any, from C on. Returns false after rejecting. */
static bool
insert_check_upsert(struct insert *ins, struct sp_token_cursor c)
{
    bool assigns;

    while (!insert_at_end(&c.tok) && !SP_TOKEN_IS(&c.tok, "ON")) {
        sp_token_cursor_advance(&c);
    }
    if (!SP_TOKEN_IS(&c.tok, "ON")) {
        return true;
    }
    sp_token_cursor_advance(&c);
    if (!SP_TOKEN_IS(&c.tok, "DUPLICATE")) {
        return true;
    }
    while (!insert_at_end(&c.tok) && !SP_TOKEN_IS(&c.tok, "UPDATE")) {
        sp_token_cursor_advance(&c);
    }
    sp_token_cursor_advance(&c);
    if (sp_shardkey_assigns(&c, ins->rule->shard_key, NULL, &assigns) != SP_OK) {
        insert_unparseable(ins, "cannot read the ON DUPLICATE KEY UPDATE assignments");
        return false;
    }
    if (assigns) {
        /* A duplicate on another unique key would move the row to another key value. */
        insert_reject_key_change(ins);
        return false;
    }
    return true;
}

static void
insert_route_single(struct insert *ins, uint32_t shard)
{
    ins->route->kind = SP_PLAN_SINGLE;
    sp_shard_set_clear(ins->router, &ins->route->shards);
    sp_shard_set_add(&ins->route->shards, shard);
}

/* INSERT ... SET col = value, ...: the key's value must be a literal. */
static int
insert_route_set(struct insert *ins, struct sp_token_cursor c)
{
    uint32_t shard = 0;
    bool found = false;
    unsigned depth;
    int rc;

    for (;;) {
        if (sp_shardkey_column(&c, ins->rule->shard_key, NULL)) {
            if (!SP_TOKEN_IS_OP(&c.tok, "=") && !SP_TOKEN_IS_OP(&c.tok, ":=")) {
                insert_unparseable(ins, "expected '=' after the shard key column");
                return SP_OK;
            }
            sp_token_cursor_advance(&c);
            rc = sp_shardkey_literal(ins->router, ins->rule, &c, SP_SHARDKEY_STORE, ins->arena,
                                     &shard);
            if (rc == SP_ENOMEM) {
                return rc;
            }
            if (rc != SP_OK
                || !(c.tok.kind == SP_TOK_COMMA || insert_at_end(&c.tok)
                     || SP_TOKEN_IS(&c.tok, "ON") || SP_TOKEN_IS(&c.tok, "RETURNING"))) {
                insert_reject_value(ins);
                return SP_OK;
            }
            found = true;
        }

        depth = 0;
        while (!insert_at_end(&c.tok)
               && (depth > 0
                   || !(c.tok.kind == SP_TOK_COMMA || SP_TOKEN_IS(&c.tok, "ON")
                        || SP_TOKEN_IS(&c.tok, "RETURNING")))) {
            if (c.tok.kind == SP_TOK_LPAREN) {
                depth++;
            } else if (c.tok.kind == SP_TOK_RPAREN && depth > 0) {
                depth--;
            }
            sp_token_cursor_advance(&c);
        }
        if (c.tok.kind != SP_TOK_COMMA) {
            break;
        }
        sp_token_cursor_advance(&c);
    }

    if (!found) {
        insert_reject_value(ins);
        return SP_OK;
    }
    if (insert_check_upsert(ins, c)) {
        insert_route_single(ins, shard);
    }
    return SP_OK;
}

/*
 * Builds one statement per shard: PREFIX, the shard's rows in their
 * original order joined by commas, and SUFFIX.
 */
static int
insert_split(struct insert *ins, const struct insert_row *rows, size_t nrows, struct sp_str prefix,
             struct sp_str suffix)
{
    const struct sp_router *router = ins->router;
    struct sp_plan_target *targets;
    size_t *lengths, *used, ntargets = 0, i;
    uint32_t *slot, shard;
    char **bufs;

    lengths = sp_arena_alloc(ins->arena, router->nshards * sizeof(*lengths));
    used = sp_arena_alloc(ins->arena, router->nshards * sizeof(*used));
    slot = sp_arena_alloc(ins->arena, router->nshards * sizeof(*slot));
    bufs = sp_arena_alloc(ins->arena, router->nshards * sizeof(*bufs));
    if (lengths == NULL || used == NULL || slot == NULL || bufs == NULL) {
        return SP_ENOMEM;
    }
    memset(lengths, 0, router->nshards * sizeof(*lengths));
    memset(used, 0, router->nshards * sizeof(*used));

    /* Row lengths per shard, plus a comma before each of a shard's rows but its first. */
    for (i = 0; i < nrows; i++) {
        shard = rows[i].shard;
        lengths[shard] += (size_t)(rows[i].end - rows[i].start) + (lengths[shard] == 0 ? 0 : 1);
    }
    for (shard = 0; shard < router->nshards; shard++) {
        if (lengths[shard] > 0) {
            slot[shard] = (uint32_t)ntargets++;
        }
    }

    targets = sp_arena_alloc(ins->arena, ntargets * sizeof(*targets));
    if (targets == NULL) {
        return SP_ENOMEM;
    }
    for (shard = 0; shard < router->nshards; shard++) {
        if (lengths[shard] == 0) {
            continue;
        }
        bufs[shard] = sp_arena_alloc(ins->arena, prefix.len + lengths[shard] + suffix.len);
        if (bufs[shard] == NULL) {
            return SP_ENOMEM;
        }
        memcpy(bufs[shard], prefix.ptr, prefix.len);
        used[shard] = prefix.len;
    }

    for (i = 0; i < nrows; i++) {
        shard = rows[i].shard;
        if (used[shard] > prefix.len) {
            bufs[shard][used[shard]++] = ',';
        }
        memcpy(bufs[shard] + used[shard], rows[i].start, (size_t)(rows[i].end - rows[i].start));
        used[shard] += (size_t)(rows[i].end - rows[i].start);
    }

    for (shard = 0; shard < router->nshards; shard++) {
        if (lengths[shard] == 0) {
            continue;
        }
        memcpy(bufs[shard] + used[shard], suffix.ptr, suffix.len);
        used[shard] += suffix.len;
        targets[slot[shard]].shard = shard;
        targets[slot[shard]].sql = sp_str_make(bufs[shard], used[shard]);
    }

    ins->route->kind = SP_PLAN_SCATTER_OK;
    ins->route->first_row_target = slot[rows[0].shard];
    ins->route->targets = targets;
    ins->route->ntargets = ntargets;
    sp_shard_set_clear(router, &ins->route->shards);
    for (i = 0; i < ntargets; i++) {
        sp_shard_set_add(&ins->route->shards, targets[i].shard);
    }
    return SP_OK;
}

/* VALUES (...), (...): C is at the first row. */
static int
insert_route_values(struct insert *ins, struct sp_token_cursor c, size_t key_index, struct sp_str text)
{
    const struct sp_token_cursor first = c;
    struct insert_row row, *rows;
    const char *rows_start, *rows_end = NULL;
    uint32_t first_shard = 0;
    bool mixed = false;
    size_t nrows = 0, i;
    int rc;

    rows_start = c.tok.text.ptr;
    for (;;) {
        rc = insert_read_row(ins, &c, key_index, &row);
        if (rc == SP_ENOMEM) {
            return rc;
        }
        if (rc == SP_ENOTFOUND) {
            insert_reject_value(ins);
            return SP_OK;
        }
        if (rc != SP_OK) {
            insert_unparseable(ins, "expected a parenthesized row of values");
            return SP_OK;
        }
        if (nrows == 0) {
            first_shard = row.shard;
        } else if (row.shard != first_shard) {
            mixed = true;
        }
        nrows++;
        rows_end = row.end;
        if (c.tok.kind != SP_TOK_COMMA) {
            break;
        }
        sp_token_cursor_advance(&c);
    }

    if (!insert_check_upsert(ins, c)) {
        return SP_OK;
    }
    if (!mixed) {
        insert_route_single(ins, first_shard);
        return SP_OK;
    }
    if (ins->scan->has_returning) {
        sp_route_reject(ins->route, ins->err,
                        "RETURNING on an %s that spans several shards is not supported yet",
                        ins->verb);
        return SP_OK;
    }

    if (nrows > SIZE_MAX / sizeof(*rows)) {
        return SP_ENOMEM;
    }
    rows = sp_arena_alloc(ins->arena, nrows * sizeof(*rows));
    if (rows == NULL) {
        return SP_ENOMEM;
    }
    c = first;
    for (i = 0; i < nrows; i++) {
        /* The first pass read the same rows, so only memory can run out here. */
        rc = insert_read_row(ins, &c, key_index, &rows[i]);
        if (rc == SP_ENOMEM) {
            return rc;
        }
        SP_BUG_ON(rc != SP_OK);
        sp_token_cursor_advance(&c); /* the comma */
    }

    return insert_split(ins, rows, nrows,
                        sp_str_make(text.ptr, (size_t)(rows_start - text.ptr)),
                        sp_str_make(rows_end, (size_t)(text.ptr + text.len - rows_end)));
}

int
sp_insert_route(const struct sp_router *router, const struct sp_scan *scan, struct sp_str text,
                struct sp_arena *arena, struct sp_route *route, struct sp_error *err)
{
    struct insert ins = {router, scan, scan->first.rule, arena, route, err,
                         scan->cls.kind == SP_STMT_REPLACE ? "REPLACE" : "INSERT",
                         sp_router_token_name(&scan->first.name)};
    struct sp_token_cursor c = scan->after_target;
    size_t key_index = INSERT_NO_KEY, ncolumns = 0;
    struct sp_token next;

    if (SP_TOKEN_IS(&c.tok, "PARTITION")) {
        sp_token_cursor_advance(&c);
        while (!insert_at_end(&c.tok) && c.tok.kind != SP_TOK_RPAREN) {
            sp_token_cursor_advance(&c);
        }
        sp_token_cursor_advance(&c);
    }

    if (c.tok.kind == SP_TOK_LPAREN) {
        next = sp_token_cursor_peek(&c);
        if (SP_TOKEN_IS(&next, "SELECT") || SP_TOKEN_IS(&next, "WITH")
            || next.kind == SP_TOK_LPAREN) {
            insert_reject_select(&ins);
            return SP_OK;
        }
        sp_token_cursor_advance(&c);
        while (c.tok.kind != SP_TOK_RPAREN) {
            if (sp_shardkey_column(&c, ins.rule->shard_key, NULL)) {
                key_index = ncolumns;
            } else if (c.tok.kind == SP_TOK_IDENT || c.tok.kind == SP_TOK_QUOTED_IDENT) {
                while (c.tok.kind == SP_TOK_IDENT || c.tok.kind == SP_TOK_QUOTED_IDENT
                       || c.tok.kind == SP_TOK_DOT) {
                    sp_token_cursor_advance(&c);
                }
            } else {
                insert_unparseable(&ins, "expected a column name");
                return SP_OK;
            }
            ncolumns++;
            if (c.tok.kind == SP_TOK_COMMA) {
                sp_token_cursor_advance(&c);
            } else if (c.tok.kind != SP_TOK_RPAREN) {
                insert_unparseable(&ins, "expected ',' or ')' in the column list");
                return SP_OK;
            }
        }
        sp_token_cursor_advance(&c);
    }

    if (SP_TOKEN_IS(&c.tok, "VALUES") || SP_TOKEN_IS(&c.tok, "VALUE")) {
        if (ncolumns == 0) {
            sp_route_reject(route, err,
                            "%s into sharded table '%.*s' must list its columns, including shard "
                            "key column '%s'",
                            ins.verb, (int)ins.table.len, ins.table.ptr, ins.rule->shard_key);
            return SP_OK;
        }
        if (key_index == INSERT_NO_KEY) {
            insert_reject_value(&ins);
            return SP_OK;
        }
        sp_token_cursor_advance(&c);
        return insert_route_values(&ins, c, key_index, text);
    }
    if (SP_TOKEN_IS(&c.tok, "SET") && ncolumns == 0) {
        sp_token_cursor_advance(&c);
        return insert_route_set(&ins, c);
    }
    if (SP_TOKEN_IS(&c.tok, "SELECT") || SP_TOKEN_IS(&c.tok, "WITH") || SP_TOKEN_IS(&c.tok, "TABLE")
        || c.tok.kind == SP_TOK_LPAREN) {
        insert_reject_select(&ins);
        return SP_OK;
    }
    insert_unparseable(&ins, "expected VALUES, SET or SELECT");
    return SP_OK;
}
