/*
 * Merge planning for a SELECT that runs on several shards: the struct
 * sp_merge_spec that describes how the merger combines the shards' rows,
 * and the edits that turn the client's SQL into each shard's SQL.
 *
 * The shard SQL keeps the client's select list first and unchanged, so
 * the column definitions the client gets are the shards' own. Hidden
 * columns ("expr AS _sp_hN") follow it: sort and group key values and
 * their WEIGHT_STRING(), the SUM and COUNT parts of AVG, the
 * WEIGHT_STRING() of MIN and MAX, and what HAVING needs. The alias keeps a
 * hidden column's name from clashing with a name ORDER BY uses. HAVING
 * itself is removed and evaluated by the merger, and LIMIT is widened or
 * removed.
 * Everything is allocated in the caller's arena; nothing else is.
 */
#ifndef SP_ROUTER_MERGEPLAN_H
#define SP_ROUTER_MERGEPLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/arena.h"
#include "common/error.h"
#include "router/internal.h"
#include "router/merge.h"
#include "router/rewrite.h"
#include "router/select.h"

/* The planner's state, shared by mergeplan.c and having.c. */
struct mergeplan {
    struct sp_arena *arena;
    struct sp_route *route;
    struct sp_error *err;
    const struct sp_select *sel;
    bool grouped;
    bool having_on_shards;          /* HAVING names group keys only: the shards apply it */
    struct sp_str shard_having;     /* " HAVING ..." with the key-only conjuncts, else empty */
    struct sp_str *distinct_args;   /* arguments of DISTINCT aggregates: shards group by them */
    size_t ndistinct_args;
    size_t distinct_args_cap;

    struct sp_str *hidden;          /* expression text of each hidden column */
    size_t nhidden;
    size_t hidden_cap;
    struct sp_merge_column *columns;
    size_t ncolumns;
    size_t columns_cap;
};

/* A resolved column reference, with the weight column that a sort on it needs. */
struct mergeplan_ref {
    int32_t col;
    int32_t weight_col;
};

/*
 * Plans the cross-shard SELECT whose text is TEXT (a statement that starts
 * with SELECT). Returns SP_OK with ROUTE->kind SP_PLAN_SCATTER_MERGE,
 * ROUTE->merge set and the edits for the shard SQL in *EDITS (NEDITS,
 * sorted, not overlapping); SP_OK with ROUTE->kind SP_PLAN_SCATTER_ROWS and
 * no edits when concatenated rows are the result; SP_OK with a REJECT in
 * ROUTE and ERR; SP_ENOTFOUND when TEXT is not a SELECT ... FROM that the
 * planner reads; or SP_ENOMEM.
 */
int sp_mergeplan_build(struct sp_str text, struct sp_arena *arena, struct sp_route *route,
                       struct sp_error *err, struct sp_edit **edits, size_t *nedits) SP_WARN_UNUSED;

/*
 * Builds the shard SQL edits (mergeplan_sql.c), sorted by position:
 * hidden columns after the select list, the GROUP BY of DISTINCT
 * arguments, HAVING out, and LIMIT o+n (no offset) for plain queries or
 * no LIMIT for grouped ones, which need every group. LIMIT n without an
 * offset stays as it is. Returns SP_OK or SP_ENOMEM.
 */
int sp_mergeplan_edits(struct mergeplan *mp, struct sp_edit **edits, size_t *nedits) SP_WARN_UNUSED;

/*
 * Resolves an expression that HAVING compares: a select-list alias or
 * expression, or an aggregate call or other expression that becomes a
 * hidden column. Returns SP_OK with *COL set, SP_OK with the route
 * rejected (for example an expression that combines aggregates), or
 * SP_ENOMEM.
 */
int sp_mergeplan_operand(struct mergeplan *mp, const struct sp_span *expr,
                         int32_t *col) SP_WARN_UNUSED;

/* Whether SPAN calls an aggregate function or holds a subquery. */
bool sp_mergeplan_has_aggregate(const struct sp_span *span);

/*
 * When SPAN is exactly one call of COUNT, SUM, MIN, MAX or AVG, sets
 * *FOUND and makes NODE the leaf that reads its merged value (AVG: its
 * SUM and COUNT parts), adding hidden columns as needed. An aggregate over
 * DISTINCT values rejects the route. Returns SP_OK or SP_ENOMEM.
 */
int sp_mergeplan_aggregate_leaf(struct mergeplan *mp, const struct sp_span *span, bool *found,
                                struct sp_merge_expr *node) SP_WARN_UNUSED;

/* Makes NODE read SPAN, an expression without aggregates, as a hidden plain column. */
int sp_mergeplan_plain_leaf(struct mergeplan *mp, const struct sp_span *span,
                            struct sp_merge_expr *node) SP_WARN_UNUSED;

/*
 * Parses EXPR, arithmetic over aggregate calls (+ - * / DIV % MOD, unary
 * minus, ROUND, TRUNCATE, ABS, FLOOR, CEILING, IFNULL, COALESCE, MOD(), numbers, NULL,
 * and parts without aggregates), into a tree in the arena. Returns SP_OK
 * with *OUT set, SP_OK with the route rejected for any other form (WHERE
 * names the clause in the message), or SP_ENOMEM.
 */
int sp_aggexpr_parse(struct mergeplan *mp, const struct sp_span *expr, const char *where,
                     const struct sp_merge_expr **out) SP_WARN_UNUSED;

/*
 * Parses HAVING (mp->sel->having) into a tree of AND, OR, NOT and
 * comparisons of an operand with a literal. Returns SP_OK with *OUT set,
 * SP_OK with the route rejected for any other form, or SP_ENOMEM.
 */
int sp_having_parse(struct mergeplan *mp, struct sp_merge_having **out) SP_WARN_UNUSED;

#endif
