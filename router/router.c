/*
 * Router: config checks, per-statement routing decisions and the plan.
 *
 * sp_router_plan scans the text statement by statement (scan.c), decides
 * a route for each (this file, dml.c, shardkey.c, insert.c, mergeplan.c)
 * and turns the routes into one plan. The rules, in order:
 *   - text the scan cannot follow goes to the default shard, unless it
 *     names a sharded or reference table;
 *   - statements without sharded or reference tables go to the default
 *     shard;
 *   - DDL on sharded and reference tables goes to every shard;
 *   - reads and writes on sharded tables go to the shards that their key
 *     conditions allow (see dml.c for joins and reference tables);
 *   - anything the proxy cannot merge or split correctly is rejected with
 *     an error that names the construct.
 * The plan path allocates only from the caller's arena.
 */
#include "router/router.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/insert.h"
#include "router/internal.h"
#include "router/pin.h"
#include "router/scan.h"
#include "router/shardkey.h"

static char
router_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Reads the next character of an identifier at *P, a doubled backtick as one. */
static char
router_name_char(const char **p, bool quoted)
{
    char c = *(*p)++;

    if (quoted && c == '`') {
        (*p)++;
    }
    return router_lower(c);
}

/*
 * Compares NAME with PATTERN, ignoring ASCII case. With PREFIX, NAME only
 * has to start with PATTERN.
 */
static bool
router_name_matches(const char *pattern, const struct sp_token *name, bool prefix)
{
    struct sp_str text = sp_router_token_name(name);
    const char *p = text.ptr, *end = text.ptr + text.len;
    bool quoted = name->kind == SP_TOK_QUOTED_IDENT;

    for (; *pattern != '\0'; pattern++) {
        if (p == end || router_name_char(&p, quoted) != router_lower(*pattern)) {
            return false;
        }
    }
    return prefix || p == end;
}

const struct sp_table_cfg *
sp_router_match_table(const struct sp_router *router, const struct sp_token *name)
{
    const struct sp_config *cfg = router->cfg;
    size_t i;

    for (i = 0; i < cfg->ntables; i++) {
        if (router_name_matches(cfg->tables[i].name, name, cfg->tables[i].prefix)) {
            return &cfg->tables[i];
        }
    }
    return NULL;
}

bool
sp_router_name_is(const struct sp_token *name, const char *column)
{
    return (name->kind == SP_TOK_IDENT || name->kind == SP_TOK_QUOTED_IDENT)
           && router_name_matches(column, name, false);
}

bool
sp_router_same_name(const struct sp_token *a, const struct sp_token *b)
{
    struct sp_str x = sp_router_token_name(a), y = sp_router_token_name(b);
    const char *p = x.ptr, *q = y.ptr, *pend = x.ptr + x.len, *qend = y.ptr + y.len;
    bool aq = a->kind == SP_TOK_QUOTED_IDENT, bq = b->kind == SP_TOK_QUOTED_IDENT;

    if ((a->kind != SP_TOK_IDENT && !aq) || (b->kind != SP_TOK_IDENT && !bq)) {
        return false;
    }
    while (p < pend && q < qend) {
        if (router_name_char(&p, aq) != router_name_char(&q, bq)) {
            return false;
        }
    }
    return p == pend && q == qend;
}

struct sp_str
sp_router_token_name(const struct sp_token *name)
{
    if (name->kind == SP_TOK_QUOTED_IDENT && name->text.len >= 2) {
        return sp_str_make(name->text.ptr + 1, name->text.len - 2);
    }
    return name->text;
}

void
sp_route_reject(struct sp_route *route, struct sp_error *err, const char *fmt, ...)
{
    va_list ap;

    route->kind = SP_PLAN_REJECT;
    route->targets = NULL;
    route->ntargets = 0;
    err->code = SP_ER_NOT_SUPPORTED_YET;
    memcpy(err->sqlstate, "42000", sizeof(err->sqlstate));
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
}

void
sp_route_unparseable(struct sp_route *route, struct sp_error *err, const struct sp_token *name,
                     const struct sp_table_cfg *rule, const char *reason)
{
    struct sp_str table = sp_router_token_name(name);

    route->kind = SP_PLAN_REJECT;
    route->targets = NULL;
    route->ntargets = 0;
    sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                 "cannot route statement that names %s table '%.*s': %s",
                 rule != NULL && rule->type == SP_TABLE_REFERENCE ? "reference" : "sharded",
                 (int)table.len, table.ptr, reason);
}

static void
router_single(const struct sp_router *router, struct sp_route *route, uint32_t shard)
{
    route->kind = SP_PLAN_SINGLE;
    sp_shard_set_clear(router, &route->shards);
    sp_shard_set_add(&route->shards, shard);
}

static void
router_all(const struct sp_router *router, struct sp_route *route, enum sp_plan_kind kind)
{
    route->kind = kind;
    sp_shard_set_fill(router, &route->shards);
}

/* DDL on sharded and reference tables runs on every shard, since each has them. */
static void
router_route_ddl(const struct sp_router *router, const struct sp_scan *scan,
                 struct sp_route *route, struct sp_error *err)
{
    const struct sp_scan_table *everywhere;
    struct sp_str name, unsharded;

    if (scan->nsharded + scan->nreference == 0) {
        router_single(router, route, router->default_shard);
        return;
    }
    if (scan->nsharded + scan->nreference == scan->ntables) {
        router_all(router, route, SP_PLAN_BROADCAST);
        /* Every copy of a reference table changes alike, so the client gets one shard's counts. */
        route->same_rows = scan->nsharded == 0;
        return;
    }
    everywhere = scan->nsharded > 0 ? &scan->first_sharded : &scan->first_reference;
    name = sp_router_token_name(&everywhere->name);
    unsharded = sp_router_token_name(&scan->first_unsharded.name);
    sp_route_reject(route, err,
                    "a DDL statement that names %s table '%.*s' and unsharded table '%.*s' "
                    "is not supported",
                    scan->nsharded > 0 ? "sharded" : "reference", (int)name.len, name.ptr,
                    (int)unsharded.len, unsharded.ptr);
}

static int router_route(const struct sp_router *router, const struct sp_scan *scan,
                        struct sp_str text, struct sp_arena *arena, struct sp_route *route,
                        struct sp_error *err);

/*
 * EXPLAIN runs nowhere, so it goes to one shard that the explained
 * statement would run on: the plan there is the plan on every shard.
 */
static int
router_route_explain(const struct sp_router *router, const struct sp_scan *scan,
                     struct sp_arena *arena, struct sp_route *route, struct sp_error *err)
{
    struct sp_scan *inner;
    struct sp_lexer at;
    uint32_t shard;
    int rc;

    if (!scan->has_explained) {
        /* DESCRIBE t: every shard has the same definition of a sharded table. */
        shard = scan->ntables > 0 && scan->first.rule != NULL ? 0 : router->default_shard;
        router_single(router, route, shard);
        return SP_OK;
    }

    /* Scan state is too large to nest on the stack more than once per statement. */
    inner = sp_arena_alloc(arena, sizeof(*inner));
    if (inner == NULL) {
        return SP_ENOMEM;
    }
    at = scan->explained.lexer;
    at.pos = scan->explained.tok.text.ptr;
    at.after_name = false;
    sp_scan_statement(router, &at, inner);
    route->shards_only = true;
    rc = router_route(router, inner, inner->text, arena, route, err);
    route->shards_only = false;
    if (rc != SP_OK || route->kind == SP_PLAN_REJECT) {
        return rc;
    }

    shard = route->targets != NULL ? route->targets[0].shard
                                   : sp_shard_set_first(router, &route->shards);
    route->targets = NULL;
    route->ntargets = 0;
    route->neutral = false;
    route->same_rows = false;
    route->merge = NULL;
    router_single(router, route, shard);
    return SP_OK;
}

static int
router_route(const struct sp_router *router, const struct sp_scan *scan, struct sp_str text,
             struct sp_arena *arena, struct sp_route *route, struct sp_error *err)
{
    route->kind = SP_PLAN_SINGLE;
    route->neutral = false;
    route->targets = NULL;
    route->ntargets = 0;
    route->same_rows = false;
    route->merge = NULL;

    if (scan->error != NULL) {
        if (scan->named_rule != NULL) {
            sp_route_unparseable(route, err, &scan->named_sharded, scan->named_rule, scan->error);
        } else {
            router_single(router, route, router->default_shard);
        }
        return SP_OK;
    }

    switch (scan->cls.kind) {
    case SP_STMT_SELECT:
    case SP_STMT_INSERT:
    case SP_STMT_REPLACE:
    case SP_STMT_UPDATE:
    case SP_STMT_DELETE:
        return sp_router_route_dml(router, scan, text, arena, route, err);
    case SP_STMT_DDL_TABLE:
        router_route_ddl(router, scan, route, err);
        return SP_OK;
    case SP_STMT_DDL_DATABASE:
        /* Each server reports the same counts for its own copy of the database. */
        router_all(router, route, SP_PLAN_BROADCAST);
        route->same_rows = true;
        return SP_OK;
    case SP_STMT_SET:
        if (scan->named_rule != NULL) {
            /* SET @v = (SELECT ... FROM sharded): the default shard holds only part of it. */
            sp_route_unparseable(route, err, &scan->named_sharded, scan->named_rule,
                                 "SET statements that read sharded or reference tables are not "
                                 "supported");
            return SP_OK;
        }
        router_single(router, route, router->default_shard);
        route->neutral = true;
        return SP_OK;
    case SP_STMT_EMPTY:
    case SP_STMT_USE:
    case SP_STMT_BEGIN:
    case SP_STMT_COMMIT:
    case SP_STMT_ROLLBACK:
        router_single(router, route, router->default_shard);
        route->neutral = true;
        return SP_OK;
    case SP_STMT_SHOW:
        router_single(router, route, router->default_shard);
        return SP_OK;
    case SP_STMT_OTHER:
        break;
    }

    if (scan->cls.explain) {
        return router_route_explain(router, scan, arena, route, err);
    }
    if (scan->cls.account) {
        /* Every shard has its own accounts, and the proxy logs in to each with the same ones. */
        router_all(router, route, SP_PLAN_BROADCAST);
        route->same_rows = true;
        return SP_OK;
    }
    if (scan->named_rule != NULL && scan->cls.lock_tables) {
        struct sp_str table = sp_router_token_name(&scan->named_sharded);

        /* Each shard would lock only its own rows, which is not what a client asks for. */
        route->kind = SP_PLAN_REJECT;
        route->targets = NULL;
        route->ntargets = 0;
        sp_error_set(err, SP_ER_NOT_SUPPORTED_YET, "42000",
                     "LOCK TABLES of %s table '%.*s' is not supported: use a transaction with "
                     "SELECT ... FOR UPDATE instead",
                     scan->named_rule->type == SP_TABLE_REFERENCE ? "reference" : "sharded",
                     (int)table.len, table.ptr);
        return SP_OK;
    }
    if (scan->named_rule != NULL) {
        sp_route_unparseable(route, err, &scan->named_sharded, scan->named_rule,
                             "the statement is not valid SQL, or a kind of statement that is not "
                             "supported on sharded or reference tables (check its syntax)");
        return SP_OK;
    }
    router_single(router, route, router->default_shard);
    return SP_OK;
}

/*
 * Fills the session state that SCAN's statement, alone in its text,
 * creates or releases. A temporary table whose name cannot be read pins
 * the session for good instead.
 */
static int
router_pin_effect(const struct sp_scan *scan, struct sp_arena *arena, struct sp_plan *out)
{
    int rc;

    out->pin.lock_tables = scan->cls.lock_tables;
    out->pin.unlock_tables = scan->cls.unlock_tables;
    out->pin.user_locks_get = scan->user_locks_get;
    out->pin.user_locks_release = scan->user_locks_release;
    out->pin.user_locks_release_all = scan->user_locks_release_all;
    if (scan->cls.kind != SP_STMT_DDL_TABLE) {
        return SP_OK;
    }
    /* DROP TABLE drops a temporary table of that name first, so its names count too. */
    rc = sp_pin_temp_tables(scan->text, arena, &out->pin);
    if (rc == SP_ENOMEM) {
        return rc;
    }
    if (rc != SP_OK && scan->cls.temporary) {
        out->pins_session = true;
    }
    return SP_OK;
}

/* True when only empty statements and comments follow LEXER's position. */
static bool
router_rest_is_empty(const struct sp_lexer *lexer)
{
    struct sp_lexer copy = *lexer;
    struct sp_token tok;

    for (;;) {
        sp_lexer_next(&copy, &tok);
        if (tok.kind == SP_TOK_EOF) {
            return true;
        }
        if (tok.kind != SP_TOK_SEMICOLON) {
            return false;
        }
    }
}

/* Stores the database name of USE in the arena, NUL-terminated. */
static int
router_use_db(const struct sp_scan *scan, struct sp_arena *arena, struct sp_plan *out)
{
    struct sp_str name = scan->use_db.text;
    char *copy;
    int rc;

    if (scan->use_db.kind == SP_TOK_QUOTED_IDENT) {
        rc = sp_lexer_unquote(&scan->use_db, arena, &name);
        if (rc != SP_OK) {
            return rc;
        }
    } else if (scan->use_db.kind != SP_TOK_IDENT) {
        out->use_db = SP_STR_NULL;
        return SP_OK;
    }
    copy = sp_arena_strndup(arena, name.ptr, name.len);
    if (copy == NULL) {
        return SP_ENOMEM;
    }
    out->use_db = sp_str_make(copy, name.len);
    return SP_OK;
}

/* Fills OUT's kind and targets from ROUTE; every target gets SQL unless the route rewrote it. */
static int
router_build(const struct sp_router *router, const struct sp_route *route, struct sp_str sql,
             struct sp_arena *arena, struct sp_plan *out)
{
    uint32_t shard, n;
    size_t i = 0;

    out->kind = route->kind;
    if (route->kind == SP_PLAN_REJECT) {
        return SP_OK;
    }
    out->broadcast_same_rows = route->same_rows;
    out->first_row_target = route->first_row_target;
    out->merge = route->merge;
    if (route->targets != NULL) {
        out->targets = route->targets;
        out->ntargets = route->ntargets;
        return SP_OK;
    }

    n = sp_shard_set_count(router, &route->shards);
    out->targets = sp_arena_alloc(arena, n * sizeof(*out->targets));
    if (out->targets == NULL) {
        return SP_ENOMEM;
    }
    for (shard = 0; shard < router->nshards; shard++) {
        if (sp_shard_set_has(&route->shards, shard)) {
            out->targets[i].shard = shard;
            out->targets[i].sql = sql;
            i++;
        }
    }
    out->ntargets = n;
    return SP_OK;
}

int
sp_router_plan(const struct sp_router *router, const char *sql, size_t len,
               struct sp_arena *arena, struct sp_plan *out)
{
    struct sp_str whole = sp_str_make(sql != NULL ? sql : "", sql != NULL ? len : 0);
    struct sp_route route, combined;
    struct sp_scan scan;
    struct sp_lexer lexer;
    size_t nstatements = 0;
    bool last, tied = false;
    uint32_t shard;
    int rc;

    out->kind = SP_PLAN_SINGLE;
    out->stmt = SP_STMT_EMPTY;
    out->targets = NULL;
    out->ntargets = 0;
    out->use_db = SP_STR_NULL;
    out->pins_session = false;
    out->multi_statement = false;
    out->implicit_commit = false;
    out->commit_first = false;
    memset(&out->pin, 0, sizeof(out->pin));
    out->ncommit_only = 0;
    out->broadcast_same_rows = false;
    out->first_row_target = 0;
    out->merge = NULL;
    out->read_only = false;
    out->hint = SP_HINT_NONE;
    sp_error_clear(&out->error);

    router_single(router, &combined, router->default_shard);
    combined.neutral = true;
    combined.targets = NULL;
    combined.ntargets = 0;
    combined.same_rows = false;
    combined.merge = NULL;
    combined.shards_only = false;
    route.shards_only = false;

    sp_lexer_init(&lexer, whole.ptr, whole.len);
    for (;;) {
        sp_scan_statement(router, &lexer, &scan);
        last = !scan.has_next || router_rest_is_empty(&scan.next);
        if (scan.cls.kind == SP_STMT_EMPTY) {
            if (last) {
                break;
            }
            lexer = scan.next;
            continue;
        }

        /* Several statements of different kinds are OTHER: none of the kinds describes them. */
        if (++nstatements == 1) {
            out->stmt = scan.cls.kind;
        } else {
            out->multi_statement = true;
            if (out->stmt != scan.cls.kind) {
                out->stmt = SP_STMT_OTHER;
            }
        }
        out->pins_session = out->pins_session || scan.pins_session;
        out->implicit_commit = out->implicit_commit || scan.cls.implicit_commit;
        if (scan.cls.kind == SP_STMT_USE) {
            rc = router_use_db(&scan, arena, out);
            if (rc != SP_OK) {
                return rc;
            }
        }

        /* A lone statement owns the whole text: a rewrite keeps its trailing ';' and comments. */
        if (nstatements == 1 && last) {
            scan.text = sp_str_make(scan.text.ptr, (size_t)(whole.ptr + whole.len - scan.text.ptr));
        }
        route.first_row_target = 0;
        rc = router_route(router, &scan, scan.text, arena, &route, &out->error);
        if (rc != SP_OK) {
            return rc;
        }
        if (route.kind == SP_PLAN_REJECT) {
            out->kind = SP_PLAN_REJECT;
            out->multi_statement = out->multi_statement || !last;
            return SP_OK;
        }
        out->hint = scan.hint;
        if (nstatements == 1 && last) {
            rc = router_pin_effect(&scan, arena, out);
            if (rc != SP_OK) {
                return rc;
            }
            out->read_only = scan.cls.kind == SP_STMT_SELECT && !out->pins_session &&
                             !scan.locking_read && !scan.primary_only &&
                             scan.user_locks_get == 0 && scan.user_locks_release == 0 &&
                             !scan.user_locks_release_all;
            return router_build(router, &route, whole, arena, out);
        }
        /* In several statements, state the session would follow pins it for good. */
        out->pins_session = out->pins_session || scan.cls.temporary || scan.cls.lock_tables ||
                            scan.cls.unlock_tables || scan.user_locks_get > 0 ||
                            scan.user_locks_release > 0 || scan.user_locks_release_all;

        /* Several statements travel as one text, so they must all run on one shard. */
        out->multi_statement = true;
        if (route.kind != SP_PLAN_SINGLE) {
            break;
        }
        if (!route.neutral) {
            shard = sp_shard_set_first(router, &route.shards);
            if (tied && !sp_shard_set_has(&combined.shards, shard)) {
                break;
            }
            router_single(router, &combined, shard);
            combined.neutral = false;
            tied = true;
        }
        if (last) {
            return router_build(router, &combined, whole, arena, out);
        }
        lexer = scan.next;
    }

    if (nstatements == 0) {
        return router_build(router, &combined, whole, arena, out);
    }
    sp_route_reject(&route, &out->error,
                    "multiple statements in one query that span several shards are not "
                    "supported yet");
    out->kind = SP_PLAN_REJECT;
    return SP_OK;
}

uint32_t
sp_router_shard_for_table(const struct sp_router *router, struct sp_str table)
{
    struct sp_token name = {SP_TOK_IDENT, table};
    const struct sp_table_cfg *rule = sp_router_match_table(router, &name);

    return rule != NULL && rule->type == SP_TABLE_SHARDED ? 0 : router->default_shard;
}

/* Checks a range-sharded table's ranges, which the config loader has checked already. */
static int
router_check_ranges(const struct sp_config *cfg, const struct sp_table_cfg *t,
                    struct sp_error *err)
{
    size_t i;

    if (t->key_type != SP_KEY_INT || t->nranges == 0 || t->ranges == NULL) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "table '%s' uses range sharding, which needs int keys and at least one range",
                     t->name);
        return SP_EINVAL;
    }
    for (i = 0; i < t->nranges; i++) {
        if (t->ranges[i].shard >= cfg->nshards || t->ranges[i].has_below != (i + 1 < t->nranges)
            || (i > 0 && i + 1 < t->nranges && t->ranges[i].below <= t->ranges[i - 1].below)) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "table '%s' has an invalid range %zu: an unknown shard, a missing or "
                         "extra below, or belows not increasing",
                         t->name, i);
            return SP_EINVAL;
        }
    }
    return SP_OK;
}

static int
router_check_config(const struct sp_config *cfg, struct sp_error *err)
{
    const struct sp_table_cfg *t;
    size_t i;

    if (cfg->nshards == 0 || cfg->default_shard >= cfg->nshards) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "default_shard %zu is not one of the %zu shards", cfg->default_shard,
                     cfg->nshards);
        return SP_EINVAL;
    }
    for (i = 0; i < cfg->ntables; i++) {
        t = &cfg->tables[i];
        if (t->type == SP_TABLE_REFERENCE && t->name != NULL && t->name[0] != '\0') {
            continue;
        }
        if (t->name == NULL || t->name[0] == '\0' || t->shard_key == NULL
            || t->shard_key[0] == '\0' || t->type != SP_TABLE_SHARDED) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "tables[%zu] needs a non-empty name and shard_key", i);
            return SP_EINVAL;
        }
        if ((t->key_type != SP_KEY_INT && t->key_type != SP_KEY_STRING)
            || (t->algorithm != SP_ALGORITHM_HASH && t->algorithm != SP_ALGORITHM_RANGE)) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "table '%s' has an unknown key_type or algorithm", t->name);
            return SP_EINVAL;
        }
        if (t->algorithm == SP_ALGORITHM_RANGE && router_check_ranges(cfg, t, err) != SP_OK) {
            return SP_EINVAL;
        }
    }
    return SP_OK;
}

int
sp_router_create(const struct sp_config *cfg, struct sp_router **out, struct sp_error *err)
{
    struct sp_router *router;
    int rc;

    *out = NULL;
    rc = router_check_config(cfg, err);
    if (rc != SP_OK) {
        return rc;
    }

    router = calloc(1, sizeof(*router));
    if (router == NULL) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
        return SP_ENOMEM;
    }
    rc = sp_shardmap_init(&router->map, cfg->shards, cfg->nshards, err);
    if (rc != SP_OK) {
        free(router);
        return rc;
    }
    router->cfg = cfg;
    router->nshards = (uint32_t)cfg->nshards;
    router->default_shard = (uint32_t)cfg->default_shard;
    router->nwords = (cfg->nshards + 63) / 64;

    *out = router;
    return SP_OK;
}

void
sp_router_destroy(struct sp_router *router)
{
    if (router == NULL) {
        return;
    }
    sp_shardmap_deinit(&router->map);
    free(router);
}
