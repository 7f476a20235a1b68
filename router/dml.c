/*
 * Routing of reads and writes by the tables they name: sharded tables by
 * their key conditions, reference tables (a full copy on every shard) and
 * unsharded tables (on the default shard only).
 *
 *   - A SELECT without sharded tables reads on the default shard, which
 *     holds the unsharded tables and a copy of every reference table.
 *   - A SELECT on sharded tables runs where their key conditions allow;
 *     reference tables may join in, since every shard has them. Several
 *     sharded tables must be co-located and joined on their shard keys.
 *     Across shards, the merge planner (mergeplan.c) decides how the rows
 *     combine.
 *   - A write to reference tables goes to every shard, and may read only
 *     reference tables, so that every copy changes alike.
 *   - Any other mix is rejected with an error that names the tables.
 *
 * Table references inside parentheses (subqueries, derived tables) are
 * reads. Nothing here allocates outside the caller's arena.
 */
#include <string.h>
#include <strings.h>

#include "router/insert.h"
#include "router/internal.h"
#include "router/mergeplan.h"
#include "router/rewrite.h"
#include "router/scan.h"
#include "router/shardkey.h"

enum dml_class { DML_SHARDED, DML_REFERENCE, DML_UNSHARDED };

/* The references of a statement by class, outside parentheses (top) and inside (nested). */
struct dml_tables {
    struct sp_scan_table sharded[SP_SCAN_MAX_TABLES]; /* top-level sharded references */
    size_t index[SP_SCAN_MAX_TABLES];                 /* their positions in scan->tables */
    size_t nsharded;
    size_t count[3][2];                               /* [class][nested] */
    const struct sp_scan_table *first[3][2];
};

static enum dml_class
dml_class_of(const struct sp_scan_table *table)
{
    if (table->rule == NULL) {
        return DML_UNSHARDED;
    }
    return table->rule->type == SP_TABLE_REFERENCE ? DML_REFERENCE : DML_SHARDED;
}

/* FROM is the first reference to treat as a read (INSERT's target is reference 0). */
static void
dml_collect(const struct sp_scan *scan, size_t from, struct dml_tables *t)
{
    const struct sp_scan_table *table;
    enum dml_class class;
    size_t i, nested;

    memset(t, 0, sizeof(*t));
    for (i = from; i < scan->ntables && i < SP_SCAN_MAX_TABLES; i++) {
        table = &scan->tables[i];
        class = dml_class_of(table);
        nested = table->depth > 0;
        if (t->count[class][nested]++ == 0) {
            t->first[class][nested] = table;
        }
        if (class == DML_SHARDED && !nested) {
            t->index[t->nsharded] = i;
            t->sharded[t->nsharded++] = *table;
        }
    }
}

static size_t
dml_count(const struct dml_tables *t, enum dml_class class)
{
    return t->count[class][0] + t->count[class][1];
}

static const struct sp_scan_table *
dml_first(const struct dml_tables *t, enum dml_class class)
{
    return t->first[class][0] != NULL ? t->first[class][0] : t->first[class][1];
}

/* The "%.*s" arguments for a name token, without backticks. */
#define DML_TOKEN(tok) (int)sp_router_token_name(tok).len, sp_router_token_name(tok).ptr
#define DML_NAME(table) DML_TOKEN(&(table)->name)

/* The name a condition qualifies TABLE's columns with: its alias, or its name. */
#define DML_QUALIFIER(table) \
    DML_TOKEN((table)->alias.kind != SP_TOK_EOF ? &(table)->alias : &(table)->name)

/* "an UPDATE", "a DELETE": the verb with its article, for messages. */
static const char *
dml_a_verb(enum sp_stmt_kind kind)
{
    switch (kind) {
    case SP_STMT_UPDATE:
        return "an UPDATE";
    case SP_STMT_DELETE:
        return "a DELETE";
    case SP_STMT_REPLACE:
        return "a REPLACE";
    case SP_STMT_INSERT:
        return "an INSERT";
    default:
        return "a SELECT";
    }
}

static const char *
dml_verb(enum sp_stmt_kind kind)
{
    switch (kind) {
    case SP_STMT_UPDATE:
        return "UPDATE";
    case SP_STMT_DELETE:
        return "DELETE";
    case SP_STMT_REPLACE:
        return "REPLACE";
    case SP_STMT_INSERT:
        return "INSERT";
    default:
        return "SELECT";
    }
}

static void
dml_single(const struct sp_router *router, struct sp_route *route, uint32_t shard)
{
    route->kind = SP_PLAN_SINGLE;
    sp_shard_set_clear(router, &route->shards);
    sp_shard_set_add(&route->shards, shard);
}

static void
dml_broadcast_same_rows(const struct sp_router *router, struct sp_route *route)
{
    route->kind = SP_PLAN_BROADCAST;
    route->same_rows = true;
    sp_shard_set_fill(router, &route->shards);
}

/* The statement names more tables than the scan keeps, so not every one can be checked. */
static bool
dml_too_many_tables(const struct sp_scan *scan, struct sp_route *route, struct sp_error *err)
{
    const struct sp_scan_table *named = scan->nsharded > 0 ? &scan->first_sharded
                                                           : &scan->first_reference;

    if (scan->ntables <= SP_SCAN_MAX_TABLES) {
        return false;
    }
    sp_route_reject(route, err,
                    "a statement that names sharded or reference table '%.*s' and more than %d "
                    "tables in all is not supported",
                    DML_NAME(named), SP_SCAN_MAX_TABLES);
    return true;
}

/* USING (cols) joins its table with the reference before it when a column is both keys. */
static void
dml_using_edges(const struct dml_tables *t, const struct sp_scan_join *join, uint32_t *edges)
{
    struct sp_token_cursor c = join->at;
    size_t right, left;

    if (join->right == SIZE_MAX || join->right == 0) {
        return;
    }
    for (right = 0; right < t->nsharded && t->index[right] != join->right; right++) {
    }
    for (left = 0; left < t->nsharded && t->index[left] != join->right - 1; left++) {
    }
    if (right == t->nsharded || left == t->nsharded
        || strcasecmp(t->sharded[left].rule->shard_key, t->sharded[right].rule->shard_key) != 0) {
        return;
    }
    while (c.tok.kind == SP_TOK_IDENT || c.tok.kind == SP_TOK_QUOTED_IDENT) {
        if (sp_router_name_is(&c.tok, t->sharded[right].rule->shard_key)) {
            edges[left] |= UINT32_C(1) << right;
            edges[right] |= UINT32_C(1) << left;
            return;
        }
        sp_token_cursor_advance(&c);
        if (c.tok.kind != SP_TOK_COMMA) {
            return;
        }
        sp_token_cursor_advance(&c);
    }
}

/*
 * Whether the top-level sharded tables can run as one table: co-located,
 * and connected by equalities of their keys in ON, USING or the WHERE
 * clause. Rejects ROUTE when they cannot.
 */
static bool
dml_joined_on_keys(const struct sp_scan *scan, const struct dml_tables *t, struct sp_route *route,
                   struct sp_error *err)
{
    uint32_t edges[SP_SCAN_MAX_TABLES] = {0}, reached = 1, grown;
    const struct sp_scan_table *a = &t->sharded[0], *b;
    size_t i;

    for (i = 1; i < t->nsharded; i++) {
        b = &t->sharded[i];
        if (!sp_router_colocated(a->rule, b->rule)) {
            sp_route_reject(route, err,
                            "a join of sharded tables '%.*s' and '%.*s' is not supported: they are "
                            "not co-located (their rules differ in algorithm, key type or ranges)",
                            DML_NAME(a), DML_NAME(b));
            return false;
        }
    }

    if (!scan->joins_overflow) {
        for (i = 0; i < scan->njoins; i++) {
            if (scan->joins[i].using_list) {
                dml_using_edges(t, &scan->joins[i], edges);
            } else {
                sp_shardkey_join_edges(t->sharded, t->nsharded, &scan->joins[i].at, edges);
            }
        }
        if (scan->has_where && !scan->top_union) {
            sp_shardkey_join_edges(t->sharded, t->nsharded, &scan->where, edges);
        }
    }

    do {
        grown = reached;
        for (i = 0; i < t->nsharded; i++) {
            if (reached & (UINT32_C(1) << i)) {
                grown |= edges[i];
            }
        }
        if (grown == reached) {
            break;
        }
        reached = grown;
    } while (true);

    for (i = 1; i < t->nsharded; i++) {
        if (!(reached & (UINT32_C(1) << i))) {
            b = &t->sharded[i];
            sp_route_reject(route, err,
                            "a join of sharded tables '%.*s' and '%.*s' is supported only on their "
                            "shard keys, as in %.*s.%s = %.*s.%s in ON or WHERE",
                            DML_NAME(a), DML_NAME(b), DML_QUALIFIER(a), a->rule->shard_key,
                            DML_QUALIFIER(b), b->rule->shard_key);
            return false;
        }
    }
    return true;
}

/* Narrows ROUTE's shards by the WHERE clause's conditions on the top-level sharded tables' keys. */
static int
dml_key_shards(const struct sp_router *router, const struct sp_scan *scan,
               const struct dml_tables *t, struct sp_arena *arena, struct sp_route *route,
               struct sp_shardkey_in_list **in_lists)
{
    int rc;

    sp_shard_set_fill(router, &route->shards);
    if (scan->has_where && !scan->top_union) {
        rc = sp_shardkey_where(router, t->sharded, t->nsharded, &scan->where, arena,
                               &route->shards, route->shards_only ? NULL : in_lists);
        if (rc != SP_OK) {
            return rc;
        }
    }
    if (sp_shard_set_count(router, &route->shards) == 0) {
        /* sp_shardkey_where keeps one shard for contradictions; this only guards the plan. */
        dml_single(router, route, router->default_shard);
    }
    return SP_OK;
}

/*
 * A SELECT whose only sharded table is inside parentheses, such as a
 * derived table or a common table expression: its WHERE does not restrict
 * that table, so every shard runs it, and only plain rows can be combined.
 */
static void
dml_select_nested(const struct sp_router *router, const struct sp_scan *scan,
                  struct sp_route *route, struct sp_error *err)
{
    sp_shard_set_fill(router, &route->shards);
    if (router->nshards == 1) {
        route->kind = SP_PLAN_SINGLE;
    } else if (scan->blocker != NULL && !route->shards_only) {
        sp_route_reject(route, err, "%s on a query that spans several shards is not supported yet",
                        scan->blocker);
    } else {
        route->kind = SP_PLAN_SCATTER_ROWS;
    }
}

/*
 * Whether an outer join keeps rows of a reference table (or a derived
 * table) that match no sharded row: every shard would return those rows,
 * so a scatter would repeat them. Rejects ROUTE when one does.
 */
static bool
dml_outer_join_repeats(const struct sp_scan *scan, struct sp_route *route, struct sp_error *err)
{
    const struct sp_scan_table *t, *kept = NULL;
    bool sharded_before = false, top_sharded;
    size_t i;

    for (i = 0; i < scan->ntables && i < SP_SCAN_MAX_TABLES; i++) {
        t = &scan->tables[i];
        top_sharded = t->depth == 0 && dml_class_of(t) == DML_SHARDED;
        if (t->join == SP_SCAN_JOIN_LEFT && top_sharded && !sharded_before) {
            break; /* LEFT JOIN keeps the references before it */
        }
        if (t->join == SP_SCAN_JOIN_RIGHT && !top_sharded && sharded_before) {
            kept = t;
            break;
        }
        if (!top_sharded && kept == NULL) {
            kept = t;
        }
        sharded_before = sharded_before || top_sharded;
    }
    if (i == scan->ntables || i == SP_SCAN_MAX_TABLES) {
        return false;
    }
    if (kept == NULL) {
        sp_route_reject(route, err,
                        "an outer join that keeps the unmatched rows of a derived table on a query "
                        "that spans several shards is not supported yet: every shard would return "
                        "them");
        return true;
    }
    sp_route_reject(route, err,
                    "an outer join that keeps the unmatched rows of table '%.*s' on a query that "
                    "spans several shards is not supported yet: every shard would return them",
                    DML_NAME(kept));
    return true;
}

/* A SELECT on top-level sharded tables that spans several shards. */
static int
dml_select_scatter(const struct sp_router *router, const struct sp_scan *scan, struct sp_str text,
                   struct sp_arena *arena, struct sp_route *route, struct sp_error *err,
                   const struct sp_shardkey_in_list *in_lists)
{
    struct sp_edit *edits = NULL;
    size_t nedits = 0;
    int rc;

    route->kind = SP_PLAN_SCATTER_ROWS;
    if (route->shards_only || dml_outer_join_repeats(scan, route, err)) {
        return SP_OK;
    }
    if (scan->top_union) {
        sp_route_reject(route, err, "%s on a query that spans several shards is not supported yet",
                        scan->blocker != NULL ? scan->blocker : "UNION");
        return SP_OK;
    }

    rc = sp_mergeplan_build(text, arena, route, err, &edits, &nedits);
    if (rc == SP_ENOTFOUND) {
        /* WITH ... SELECT or (SELECT ...): only plain rows can be combined. */
        route->kind = SP_PLAN_SCATTER_ROWS;
        if (scan->blocker != NULL) {
            sp_route_reject(route, err,
                            "%s on a query that spans several shards is not supported yet",
                            scan->blocker);
            return SP_OK;
        }
    } else if (rc != SP_OK || route->kind == SP_PLAN_REJECT) {
        return rc;
    }
    return sp_rewrite_targets(router, route, text, edits, nedits, in_lists, arena);
}

static int
dml_route_select(const struct sp_router *router, const struct sp_scan *scan, struct sp_str text,
                 struct sp_arena *arena, struct sp_route *route, struct sp_error *err)
{
    struct sp_shardkey_in_list *in_lists = NULL;
    struct dml_tables t;
    int rc;

    if (scan->nsharded == 0) {
        /* The default shard has the unsharded tables and a copy of every reference table. */
        dml_single(router, route, router->default_shard);
        route->neutral = scan->ntables == 0 && scan->named_rule == NULL;
        return SP_OK;
    }
    if (dml_too_many_tables(scan, route, err)) {
        return SP_OK;
    }
    dml_collect(scan, 0, &t);
    if (dml_count(&t, DML_UNSHARDED) > 0) {
        sp_route_reject(route, err,
                        "a query that joins sharded table '%.*s' with unsharded table '%.*s' is "
                        "not supported yet",
                        DML_NAME(&scan->first_sharded), DML_NAME(dml_first(&t, DML_UNSHARDED)));
        return SP_OK;
    }
    if (t.count[DML_SHARDED][1] > 0) {
        if (scan->ntables == 1) {
            dml_select_nested(router, scan, route, err);
        } else {
            sp_route_reject(route, err,
                            "a query that reads sharded table '%.*s' in a subquery or derived "
                            "table and names other tables is not supported yet",
                            DML_NAME(t.first[DML_SHARDED][1]));
        }
        return SP_OK;
    }
    if (t.nsharded > 1 && scan->top_union) {
        sp_route_reject(route, err,
                        "a UNION, EXCEPT or INTERSECT of queries on sharded tables ('%.*s' and "
                        "'%.*s') is not supported yet",
                        DML_NAME(&t.sharded[0]), DML_NAME(&t.sharded[1]));
        return SP_OK;
    }
    if (t.nsharded > 1 && !dml_joined_on_keys(scan, &t, route, err)) {
        return SP_OK;
    }

    rc = dml_key_shards(router, scan, &t, arena, route, &in_lists);
    if (rc != SP_OK) {
        return rc;
    }
    if (sp_shard_set_count(router, &route->shards) == 1) {
        route->kind = SP_PLAN_SINGLE;
        return SP_OK;
    }
    return dml_select_scatter(router, scan, text, arena, route, err, in_lists);
}

/* UPDATE or DELETE on top-level sharded tables. */
static int
dml_write_sharded(const struct sp_router *router, const struct sp_scan *scan, struct sp_str text,
                  const struct dml_tables *t, struct sp_arena *arena, struct sp_route *route,
                  struct sp_error *err)
{
    enum sp_stmt_kind kind = scan->cls.kind;
    struct sp_shardkey_in_list *in_lists = NULL;
    const struct sp_scan_table *table;
    bool assigns;
    size_t i;
    int rc;

    for (i = 0; kind == SP_STMT_UPDATE && scan->has_set && i < t->nsharded; i++) {
        table = &t->sharded[i];
        if (sp_shardkey_assigns(&scan->set, table->rule->shard_key, table, &assigns) != SP_OK) {
            sp_route_unparseable(route, err, &table->name, table->rule,
                                 "cannot read the SET assignments");
            return SP_OK;
        }
        if (assigns) {
            sp_route_reject(route, err,
                            "changing the shard key column '%s' of table '%.*s' is not supported",
                            table->rule->shard_key, DML_NAME(table));
            return SP_OK;
        }
    }

    rc = dml_key_shards(router, scan, t, arena, route, &in_lists);
    if (rc != SP_OK) {
        return rc;
    }
    if (sp_shard_set_count(router, &route->shards) == 1) {
        route->kind = SP_PLAN_SINGLE;
        return SP_OK;
    }
    if (scan->has_limit || scan->has_returning) {
        /* Each shard would apply the LIMIT on its own, or return rows an OK cannot carry. */
        sp_route_reject(route, err, "%s on %s that spans several shards is not supported yet",
                        scan->has_limit ? "LIMIT" : "RETURNING", dml_a_verb(kind));
        return SP_OK;
    }
    route->kind = SP_PLAN_SCATTER_OK;
    if (route->shards_only) {
        return SP_OK;
    }
    return sp_rewrite_targets(router, route, text, NULL, 0, in_lists, arena);
}

/*
 * A write to reference tables (REFERENCE names one): every shard must make
 * the same change, so it may read only reference tables, and LIMIT and
 * RETURNING, whose rows could differ between the copies, are rejected.
 */
static bool
dml_check_reference_write(const struct sp_scan *scan, const struct dml_tables *t,
                          const struct sp_scan_table *reference, struct sp_route *route,
                          struct sp_error *err)
{
    const struct sp_scan_table *other = dml_first(t, DML_SHARDED);
    const char *verb = dml_a_verb(scan->cls.kind);

    if (other == NULL) {
        other = dml_first(t, DML_UNSHARDED);
    }
    if (other != NULL) {
        sp_route_reject(route, err,
                        "%s of reference table '%.*s' that reads %s table '%.*s' is not "
                        "supported: every shard must compute the same change",
                        verb, DML_NAME(reference), other->rule != NULL ? "sharded" : "unsharded",
                        DML_NAME(other));
        return false;
    }
    if (scan->has_limit || scan->has_returning) {
        sp_route_reject(route, err,
                        "%s on %s of reference table '%.*s' is not supported yet: the copies "
                        "could choose different rows",
                        scan->has_limit ? "LIMIT" : "RETURNING", verb, DML_NAME(reference));
        return false;
    }
    return true;
}

static int
dml_route_write(const struct sp_router *router, const struct sp_scan *scan, struct sp_str text,
                struct sp_arena *arena, struct sp_route *route, struct sp_error *err)
{
    enum sp_stmt_kind kind = scan->cls.kind;
    const struct sp_scan_table *reference, *unsharded;
    struct dml_tables t;

    if (scan->nsharded + scan->nreference == 0) {
        dml_single(router, route, router->default_shard);
        route->neutral = scan->ntables == 0 && scan->named_rule == NULL;
        return SP_OK;
    }
    if (dml_too_many_tables(scan, route, err)) {
        return SP_OK;
    }
    dml_collect(scan, 0, &t);

    if (t.nsharded > 0) {
        if (t.count[DML_REFERENCE][0] + t.count[DML_UNSHARDED][0] > 0
            || (t.nsharded > 1 && !dml_joined_on_keys(scan, &t, route, err))) {
            if (route->kind != SP_PLAN_REJECT) {
                sp_route_reject(route, err,
                                "a multi-table %s that names sharded table '%.*s' is not "
                                "supported yet",
                                dml_verb(kind), DML_NAME(&t.sharded[0]));
            }
            return SP_OK;
        }
        if (t.count[DML_SHARDED][1] + t.count[DML_UNSHARDED][1] > 0) {
            sp_route_reject(route, err,
                            "%s on sharded table '%.*s' that reads %s table '%.*s' in a "
                            "subquery is not supported yet",
                            dml_a_verb(kind),
                            DML_NAME(&t.sharded[0]),
                            t.count[DML_SHARDED][1] > 0 ? "sharded" : "unsharded",
                            DML_NAME(t.count[DML_SHARDED][1] > 0 ? t.first[DML_SHARDED][1]
                                                                 : t.first[DML_UNSHARDED][1]));
            return SP_OK;
        }
        return dml_write_sharded(router, scan, text, &t, arena, route, err);
    }

    reference = t.first[DML_REFERENCE][0];
    unsharded = t.first[DML_UNSHARDED][0];
    if (reference != NULL && unsharded != NULL) {
        sp_route_reject(route, err,
                        "a multi-table %s that names reference table '%.*s' and unsharded table "
                        "'%.*s' is not supported",
                        dml_verb(kind), DML_NAME(reference), DML_NAME(unsharded));
        return SP_OK;
    }
    if (reference != NULL) {
        if (dml_check_reference_write(scan, &t, reference, route, err)) {
            dml_broadcast_same_rows(router, route);
        }
        return SP_OK;
    }

    /* Writes to unsharded tables may read reference tables, which the default shard has. */
    if (dml_count(&t, DML_SHARDED) > 0) {
        sp_route_reject(route, err,
                        "a query that joins sharded table '%.*s' with unsharded table '%.*s' is "
                        "not supported yet",
                        DML_NAME(dml_first(&t, DML_SHARDED)), DML_NAME(unsharded));
        return SP_OK;
    }
    dml_single(router, route, router->default_shard);
    return SP_OK;
}

static int
dml_route_insert(const struct sp_router *router, const struct sp_scan *scan, struct sp_str text,
                 struct sp_arena *arena, struct sp_route *route, struct sp_error *err)
{
    const struct sp_scan_table *target = &scan->first, *other;
    enum dml_class class = dml_class_of(target);
    struct dml_tables t;
    int rc;

    if (scan->nsharded + scan->nreference == 0) {
        dml_single(router, route, router->default_shard);
        route->neutral = scan->ntables == 0 && scan->named_rule == NULL;
        return SP_OK;
    }
    if (dml_too_many_tables(scan, route, err)) {
        return SP_OK;
    }
    dml_collect(scan, 1, &t);
    other = dml_first(&t, DML_SHARDED);
    if (other == NULL && class != DML_UNSHARDED) {
        other = dml_first(&t, DML_UNSHARDED);
    }

    switch (class) {
    case DML_SHARDED:
        rc = sp_insert_route(router, scan, text, arena, route, err);
        if (rc != SP_OK || route->kind == SP_PLAN_REJECT || other == NULL) {
            return rc;
        }
        sp_route_reject(route, err,
                        "a query that joins sharded table '%.*s' with %s table '%.*s' is not "
                        "supported yet",
                        DML_NAME(target), other->rule != NULL ? "sharded" : "unsharded",
                        DML_NAME(other));
        return SP_OK;
    case DML_REFERENCE:
        if (dml_check_reference_write(scan, &t, target, route, err)) {
            dml_broadcast_same_rows(router, route);
        }
        return SP_OK;
    case DML_UNSHARDED:
        break;
    }
    if (other != NULL) {
        sp_route_reject(route, err,
                        "a query that joins sharded table '%.*s' with unsharded table '%.*s' is "
                        "not supported yet",
                        DML_NAME(other), DML_NAME(target));
        return SP_OK;
    }
    dml_single(router, route, router->default_shard);
    return SP_OK;
}

bool
sp_router_colocated(const struct sp_table_cfg *a, const struct sp_table_cfg *b)
{
    size_t i;

    if (a->algorithm != b->algorithm || a->key_type != b->key_type) {
        return false;
    }
    if (a->algorithm != SP_ALGORITHM_RANGE) {
        return true; /* hash placement depends on the key value alone */
    }
    if (a->nranges != b->nranges) {
        return false;
    }
    for (i = 0; i < a->nranges; i++) {
        if (a->ranges[i].shard != b->ranges[i].shard
            || a->ranges[i].has_below != b->ranges[i].has_below
            || (a->ranges[i].has_below && a->ranges[i].below != b->ranges[i].below)) {
            return false;
        }
    }
    return true;
}

int
sp_router_route_dml(const struct sp_router *router, const struct sp_scan *scan, struct sp_str text,
                    struct sp_arena *arena, struct sp_route *route, struct sp_error *err)
{
    switch (scan->cls.kind) {
    case SP_STMT_SELECT:
        return dml_route_select(router, scan, text, arena, route, err);
    case SP_STMT_INSERT:
    case SP_STMT_REPLACE:
        return dml_route_insert(router, scan, text, arena, route, err);
    default:
        return dml_route_write(router, scan, text, arena, route, err);
    }
}
