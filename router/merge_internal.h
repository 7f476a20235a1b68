/*
 * The merger's state, shared by router/merge.c (setup, row queues, the
 * streaming merge, DISTINCT, output) and router/merge_group.c (GROUP BY,
 * aggregates, HAVING, the full sort). Internal to router/.
 */
#ifndef SP_ROUTER_MERGE_INTERNAL_H
#define SP_ROUTER_MERGE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "router/decimal.h"
#include "router/merge.h"
#include "router/merge_value.h"

/* Queued rows per leg at which sp_merger_leg_full returns true. */
#define SP_MERGE_LEG_QUEUE_FULL 64

/*
 * Rows a streaming merge may hold per leg before it fails, when max_rows
 * is smaller: the proxy pauses a leg at SP_MERGE_LEG_QUEUE_FULL rows but
 * may already hold a whole network buffer of them.
 */
#define SP_MERGE_LEG_QUEUE_MAX 1024

#define SP_MERGE_NONE SIZE_MAX

enum sp_merge_mode {
    SP_MERGE_MODE_PASS,    /* no grouping, no order: arrival order */
    SP_MERGE_MODE_STREAM,  /* no grouping, ordered: k-way merge of sorted legs */
    SP_MERGE_MODE_GROUPED  /* GROUP BY or aggregates: buffer groups, then sort */
};

/* Contribution of a shard column to a merged group. */
enum sp_merge_role {
    SP_MERGE_ROLE_PLAIN,       /* the group's first value */
    SP_MERGE_ROLE_WEIGHT,      /* follows the MIN/MAX column it is the weight of */
    SP_MERGE_ROLE_COUNT,
    SP_MERGE_ROLE_SUM_DECIMAL, /* exact, for DECIMAL and integer sums */
    SP_MERGE_ROLE_SUM_DOUBLE,
    SP_MERGE_ROLE_MIN,
    SP_MERGE_ROLE_MAX,
    SP_MERGE_ROLE_AVG,         /* computed from its SUM and COUNT columns */
    SP_MERGE_ROLE_EXPR,        /* computed from other merged columns */
    SP_MERGE_ROLE_DISTINCT     /* counts or adds each new argument list of its group once */
};

/* A sort or group key with its column references resolved to indexes. */
struct sp_merge_keyref {
    size_t col;
    size_t weight; /* SP_MERGE_NONE without a weight column */
    bool desc;
};

struct sp_merge_colinfo {
    enum sp_merge_class cls;
    enum sp_merge_role role;
    size_t weight;       /* MIN/MAX: its weight column, or SP_MERGE_NONE */
    size_t sum;          /* AVG: the SUM part column */
    size_t count;        /* AVG: the COUNT part column */
    size_t distinct_src; /* visible column: whose bytes decide DISTINCT equality */
    const struct sp_merge_expr *expr; /* EXPR */
    enum sp_merge_agg dagg;              /* DISTINCT: COUNT_, SUM_ or AVG_DISTINCT */
    struct sp_merge_keyref *dargs;       /* DISTINCT: its arguments */
    size_t ndargs;
    bool dsum_double;                    /* DISTINCT SUM or AVG over a DOUBLE argument */
};

/* One row's values, from a queued shard row or a merged group. */
struct sp_merge_view {
    const struct sp_str *vals;
    const bool *nulls;
};

/* A shard row copied into one allocation: this header, values, NULL flags, payload. */
struct sp_merge_row {
    struct sp_merge_row *next;
    struct sp_str *vals;
    bool *nulls;
};

struct sp_merge_queue {
    struct sp_merge_row *head;
    struct sp_merge_row *tail;
    size_t count;
};

struct sp_merge_leg {
    struct sp_merge_queue queue;
    bool done;
};

/* Hash table entry. KEY belongs to the struct that embeds the entry. */
struct sp_merge_entry {
    struct sp_merge_entry *next;
    uint64_t hash;
    const uint8_t *key;
    size_t keylen;
};

struct sp_merge_table {
    struct sp_merge_entry **buckets;
    size_t nbuckets; /* a power of two, or 0 before the first insert */
    size_t count;
};

struct sp_merge_group;

/* A merged value that an expression reads. */
struct sp_merge_operand {
    struct sp_str text;
    bool null;
    bool has_double; /* a DOUBLE sum kept as a double: dbl is exact, text may be rounded */
    double dbl;
};


struct sp_merger {
    const struct sp_merge_spec *spec;
    struct sp_column_def *defs;
    struct sp_merge_colinfo *cols;
    size_t ndefs;
    size_t nvisible;
    size_t max_rows;
    size_t queue_max;
    enum sp_merge_mode mode;

    struct sp_merge_keyref *order;
    size_t norder;
    struct sp_merge_keyref *group;
    size_t ngroup;

    struct sp_merge_leg *legs;
    size_t nlegs;
    size_t nlegs_done;
    struct sp_merge_queue pass; /* SP_MERGE_MODE_PASS: all legs in arrival order */
    size_t nqueued;

    bool distinct_adjacent;     /* the merged order puts equal rows next to each other */
    bool have_prev;
    struct sp_buf prev_key;
    struct sp_merge_table seen; /* DISTINCT keys already sent */
    struct sp_buf key;          /* scratch for group and DISTINCT keys */

    uint64_t skipped;
    uint64_t emitted;

    /* SP_MERGE_MODE_GROUPED */
    bool has_distinct;          /* some column is an SP_MERGE_ROLE_DISTINCT */
    struct sp_str *row_vals;    /* the row being merged into its group */
    bool *row_nulls;
    struct sp_merge_table groups;
    struct sp_merge_group *all_groups;
    size_t ngroups;
    struct sp_merge_group **sorted; /* groups that passed HAVING, in output order */
    size_t nsorted;
    size_t next_sorted;
    bool finalized;

    bool has_expr;              /* some column is an SP_MERGE_ROLE_EXPR */
    struct sp_merge_operand *expr_operands; /* one per shard column, for expressions */
    struct sp_buf expr_text;

    int status;                 /* sticky failure, SP_OK while none */
    struct sp_error error;
};

/* Index of the shard column that reference REF names (validated at create). */
size_t sp_merge_resolve(const struct sp_merger *m, int32_t ref);

/* Records a failure that every later sp_merger_next call reports again. */
int sp_merge_fail(struct sp_merger *m, int status, struct sp_error *err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Compares two rows by KEYS: NULL first ascending, weight bytes for collated strings. */
int sp_merge_keys_cmp(const struct sp_merger *m, const struct sp_merge_keyref *keys, size_t nkeys,
                      struct sp_merge_view a, struct sp_merge_view b);

/*
 * Appends one value to a group or DISTINCT key: a NULL marker, or a marker,
 * the length and the bytes, so that no two value lists share a key.
 */
int sp_merge_key_append(struct sp_buf *key, bool null, struct sp_str v) SP_WARN_UNUSED;

uint64_t sp_merge_hash(const uint8_t *key, size_t len);
struct sp_merge_entry *sp_merge_table_find(const struct sp_merge_table *t, uint64_t hash,
                                           const uint8_t *key, size_t keylen);
int sp_merge_table_insert(struct sp_merge_table *t, struct sp_merge_entry *e) SP_WARN_UNUSED;
void sp_merge_table_deinit(struct sp_merge_table *t);

/*
 * Passes one merged row through DISTINCT, OFFSET and LIMIT. On SP_OK,
 * *EMITTED is true when its visible columns were appended to OUT.
 */
int sp_merge_offer(struct sp_merger *m, struct sp_merge_view row, struct sp_buf *out,
                   struct sp_error *err, bool *emitted) SP_WARN_UNUSED;

/* merge_group.c */
int sp_merge_group_push(struct sp_merger *m, struct sp_merge_view row, struct sp_error *err) SP_WARN_UNUSED;

/*
 * Adds M->key to the set of keys seen (DISTINCT rows, COUNT(DISTINCT)
 * values), or sets *DUP when it is there already. WHAT names the query
 * part in the error when the set would pass max_rows.
 */
int sp_merge_seen_add(struct sp_merger *m, const char *what, struct sp_error *err,
                      bool *dup) SP_WARN_UNUSED;

int sp_merge_group_next(struct sp_merger *m, struct sp_buf *out, struct sp_error *err) SP_WARN_UNUSED;
void sp_merge_group_free_all(struct sp_merger *m);

/* merge_expr.c */

/*
 * OUT = A / B for exact numbers as the server computes it: cut after the
 * digits it keeps (see merge_expr.c), to be rounded only when printed.
 * SP_EINVAL when B is zero, SP_ERANGE when it does not fit.
 */
int sp_merge_decimal_divide(struct sp_decimal *out, const struct sp_decimal *a,
                            const struct sp_decimal *b) SP_WARN_UNUSED;

/*
 * Checks expression E of column OUT_COL against the shards' column
 * definitions: SP_OK, or SP_EINVAL with ERR set (1235 when an operand or
 * the result is not numeric).
 */
int sp_merge_expr_check(struct sp_merger *m, const struct sp_merge_expr *e, size_t out_col,
                        struct sp_error *err) SP_WARN_UNUSED;

/*
 * Evaluates E over OPERANDS (one per shard column) and appends the text of
 * column OUT_COL to OUT, or sets *NULL. Failures are recorded in M.
 */
int sp_merge_expr_eval(struct sp_merger *m, const struct sp_merge_expr *e, size_t out_col,
                       const struct sp_merge_operand *operands, struct sp_buf *out, bool *null,
                       struct sp_error *err) SP_WARN_UNUSED;

#endif
