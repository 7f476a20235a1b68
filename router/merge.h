/*
 * Merging the results of one SELECT run on several shards into the result
 * set one server would have returned.
 *
 * The router rewrites a cross-shard SELECT so that every shard returns the
 * client's columns first ("visible") and then extra columns the merge needs
 * ("hidden"). Hidden columns are WEIGHT_STRING() of sort and group keys, the
 * SUM and COUNT parts of AVG, aggregates used only by HAVING, and ORDER BY
 * expressions that are not selected. The router describes the merge in a
 * struct sp_merge_spec. The merger consumes the shards' text-protocol rows
 * and produces the client's rows, which contain the visible columns only.
 * It is a pure data structure without I/O, locks or logging, and max_rows
 * bounds its memory where it must buffer.
 *
 * Column references: a value >= 0 is a visible column index; a negative
 * value -(h + 1) is hidden column h, that is shard column nvisible + h,
 * where nvisible is the shard column count minus spec->nhidden (with
 * SELECT * the router cannot count the visible columns itself).
 */
#ifndef SP_ROUTER_MERGE_H
#define SP_ROUTER_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/status.h"
#include "common/str.h"
#include "protocol/result.h"

#define SP_MERGE_NO_COLUMN INT32_MIN

/* Rule that combines a column's values from several shards into one. */
enum sp_merge_agg {
    SP_MERGE_AGG_NONE,   /* a plain value: group key, or a column of a non-grouped query */
    SP_MERGE_AGG_COUNT,  /* COUNT(*) / COUNT(expr): sum of the parts */
    SP_MERGE_AGG_SUM,    /* SUM(expr): exact sum; NULL only if every part is NULL */
    SP_MERGE_AGG_MIN,
    SP_MERGE_AGG_MAX,
    SP_MERGE_AGG_AVG,    /* AVG(expr): sum_col / count_col, in the AVG column's type */
    SP_MERGE_AGG_EXPR,   /* arithmetic over merged aggregates: see struct sp_merge_expr */
    /*
     * Aggregates over DISTINCT values. Every shard groups by the query's
     * keys and the arguments too, so it returns one row per group and
     * argument list, with the arguments in the columns ARGS names. The
     * merger keeps each group's set of argument lists and counts, adds or
     * averages each list once. A list with a NULL in it counts for nothing.
     */
    SP_MERGE_AGG_COUNT_DISTINCT, /* COUNT(DISTINCT a[, b ...]) */
    SP_MERGE_AGG_SUM_DISTINCT,   /* SUM(DISTINCT a) */
    SP_MERGE_AGG_AVG_DISTINCT    /* AVG(DISTINCT a), in the AVG column's type */
};

enum sp_merge_expr_op {
    SP_EXPR_COLUMN,      /* the merged value of column col */
    SP_EXPR_AVG,         /* col / count_col, divided as AVG() divides */
    SP_EXPR_NUMBER,      /* the numeric literal in text */
    SP_EXPR_NULL,        /* the NULL literal */
    SP_EXPR_NEG,
    SP_EXPR_ADD,
    SP_EXPR_SUB,
    SP_EXPR_MUL,
    SP_EXPR_DIV,         /* "/" */
    SP_EXPR_INT_DIV,     /* DIV */
    SP_EXPR_MOD,         /* % and MOD */
    SP_EXPR_ROUND,       /* ROUND(arg[0], places) */
    SP_EXPR_TRUNCATE,    /* TRUNCATE(arg[0], places) */
    SP_EXPR_ABS,
    SP_EXPR_FLOOR,
    SP_EXPR_CEILING,
    SP_EXPR_IFNULL       /* arg[0] unless NULL, else arg[1]; COALESCE nests these */
};

/*
 * An arithmetic expression over merged aggregates, such as
 * SUM(a) / COUNT(*) or ROUND(AVG(x), 1). Every shard computes each
 * aggregate in it as a hidden column; once those are merged, the merger
 * evaluates the expression with the server's numeric rules (integer,
 * exact DECIMAL or DOUBLE arithmetic, the result type of each operator)
 * and prints it in the type and decimals of the column the shards
 * returned for the whole expression.
 */
struct sp_merge_expr {
    enum sp_merge_expr_op op;
    const struct sp_merge_expr *arg[2];
    int32_t col;           /* COLUMN; AVG: the hidden SUM part */
    int32_t count_col;     /* AVG: the hidden COUNT part */
    struct sp_str text;    /* NUMBER: the literal as written */
    int32_t places;        /* ROUND, TRUNCATE: digits kept after the point */
};

struct sp_merge_column {
    int32_t col;           /* the column this entry describes */
    enum sp_merge_agg agg;
    int32_t sum_col;       /* AVG: hidden SUM(expr); else SP_MERGE_NO_COLUMN */
    int32_t count_col;     /* AVG: hidden COUNT(expr); else SP_MERGE_NO_COLUMN */
    int32_t weight_col;    /* MIN/MAX of a string: hidden WEIGHT_STRING(MIN(expr)) */
    const struct sp_merge_expr *expr; /* EXPR: what to evaluate; else NULL */
    /*
     * *_DISTINCT: the argument columns, each with the WEIGHT_STRING() that
     * compares it under its collation (weight_col SP_MERGE_NO_COLUMN when
     * none); NULL and 0 otherwise.
     */
    const struct sp_merge_key *args;
    size_t nargs;
};

/*
 * A sort or group key. For a string column with a collation (not binary)
 * the comparison uses the bytes of weight_col, WEIGHT_STRING(expr) computed
 * by the shard, so that 'a' < 'B' under utf8mb4_general_ci; other types
 * compare by value according to the column definition's type (integers and
 * DECIMAL exactly, FLOAT/DOUBLE as doubles, dates and times in order).
 * NULL sorts first in ascending order and last in descending order.
 */
struct sp_merge_key {
    int32_t col;
    int32_t weight_col;    /* SP_MERGE_NO_COLUMN when the router added none */
    bool desc;
};

enum sp_merge_having_op {
    SP_HAVING_AND,
    SP_HAVING_OR,
    SP_HAVING_NOT,
    SP_HAVING_CMP          /* col OP literal */
};

enum sp_merge_cmp_op {
    SP_CMP_EQ, SP_CMP_NE, SP_CMP_LT, SP_CMP_LE, SP_CMP_GT, SP_CMP_GE,
    SP_CMP_NULLSAFE_EQ,    /* <=> */
    SP_CMP_IS_NULL, SP_CMP_IS_NOT_NULL
};

/* HAVING, evaluated on merged groups (the shards never see it). */
struct sp_merge_having {
    enum sp_merge_having_op op;
    struct sp_merge_having *left;   /* AND, OR, NOT */
    struct sp_merge_having *right;  /* AND, OR */
    int32_t col;                    /* CMP */
    enum sp_merge_cmp_op cmp;
    struct sp_str literal;          /* CMP: unquoted literal text */
    bool literal_is_string;         /* the literal was quoted */
};

struct sp_merge_spec {
    uint32_t nhidden;               /* hidden columns at the end of every shard row */

    /* One entry per column the merge must combine, visible or hidden. */
    struct sp_merge_column *columns;
    size_t ncolumns;

    /*
     * grouped: rows with equal group keys become one row (GROUP BY), or
     * all rows become one (aggregates without GROUP BY; no group keys then,
     * and shards return one row each, or one per argument list of an
     * aggregate over DISTINCT values).
     */
    bool grouped;
    struct sp_merge_key *group_keys;
    size_t ngroup_keys;

    struct sp_merge_having *having; /* NULL when none */

    struct sp_merge_key *order_keys;
    size_t norder_keys;

    bool distinct;                  /* SELECT DISTINCT over the visible columns */

    bool has_limit;
    uint64_t limit;
    uint64_t offset;
};

struct sp_merger;

/*
 * Creates a merger for SPEC (which must outlive it) over NLEGS shards whose
 * rows have the NDEFS column definitions DEFS (their types are copied).
 * MAX_ROWS bounds the rows it may buffer (grouping, full sorts, DISTINCT
 * without a covering ORDER BY); past it the merge fails with ERR 1105
 * naming max_merge_rows.
 * A streaming merge keeps at most max(MAX_ROWS, 1024 * NLEGS) waiting rows.
 * Returns SP_OK, or SP_ENOMEM / SP_EINVAL with ERR set.
 */
int sp_merger_create(const struct sp_merge_spec *spec, const struct sp_column_def *defs,
                     size_t ndefs, size_t nlegs, size_t max_rows, struct sp_merger **out,
                     struct sp_error *err) SP_WARN_UNUSED;
void sp_merger_destroy(struct sp_merger *m);

/* Number of columns the client sees (shard columns minus hidden ones). */
size_t sp_merger_nvisible(const struct sp_merger *m);

/*
 * Takes a copy of one text-protocol row payload from shard leg LEG, or
 * folds it into its group at once in a grouped merge. Rows that arrive
 * once sp_merger_satisfied is true are dropped. Returns SP_OK; SP_EINVAL
 * for an unknown leg or one already done; SP_EPROTO for a row without the
 * NDEFS columns; SP_ERANGE past max_rows; SP_ENOMEM. ERR is set on every
 * failure, and every failure but SP_EINVAL is returned again by each
 * later push_row and next call.
 */
int sp_merger_push_row(struct sp_merger *m, size_t leg, const uint8_t *payload,
                       size_t len, struct sp_error *err) SP_WARN_UNUSED;

/* Leg LEG has sent its last row. */
void sp_merger_leg_done(struct sp_merger *m, size_t leg);

/*
 * Appends the payload of the next output row (visible columns, text
 * protocol) to OUT and returns SP_OK; SP_EAGAIN when it cannot be known
 * before more rows or leg_done calls arrive; SP_ENOTFOUND when the result
 * is complete. An error (SP_ENOMEM, SP_ERANGE for max_rows) fills ERR.
 */
int sp_merger_next(struct sp_merger *m, struct sp_buf *out, struct sp_error *err) SP_WARN_UNUSED;

/* The rows the merger skipped for the LIMIT offset so far. */
uint64_t sp_merger_skipped(const struct sp_merger *m);

/*
 * Whether the merger has queued enough of LEG's rows that it should stop reading
 * that leg until sp_merger_next has run (streaming ORDER BY keeps only a
 * few rows per leg). Never true in a grouped merge, which folds rows into
 * groups as they come, nor once sp_merger_satisfied is true.
 */
bool sp_merger_leg_full(const struct sp_merger *m, size_t leg);

/* True once LIMIT is reached: the legs' remaining rows can be discarded. */
bool sp_merger_satisfied(const struct sp_merger *m);

#endif
