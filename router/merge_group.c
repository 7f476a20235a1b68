/*
 * GROUP BY and aggregates for the result merger. Each shard row is folded
 * into its group as it arrives: COUNT and SUM add, MIN and MAX compare,
 * plain columns keep the group's first value. Once every leg is done, the
 * groups get their final text, AVG is divided out, HAVING filters and the
 * groups are sorted. At most max_rows groups are kept.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/decimal.h"
#include "router/merge_internal.h"

/* A merged column of one group: its text, or the running total that becomes it. */
struct merge_cell {
    char *text;
    size_t len;
    size_t cap;
    bool null;
    uint64_t count; /* SP_MERGE_ROLE_COUNT */
    double sum;     /* SP_MERGE_ROLE_SUM_DOUBLE */
};

struct sp_merge_group {
    struct sp_merge_entry entry; /* the group table links groups through it */
    struct sp_merge_group *next_all;
    struct sp_str *vals;         /* the final row, set when groups are finalized */
    bool *nulls;
    struct merge_cell cells[];
};

/* Three-valued logic of SQL for HAVING. */
enum merge_truth {
    MERGE_UNKNOWN = -1,
    MERGE_FALSE = 0,
    MERGE_TRUE = 1
};

static int
group_cell_set(struct merge_cell *cell, const char *text, size_t len)
{
    if (len > cell->cap) {
        char *grown = realloc(cell->text, len);

        if (grown == NULL) {
            return SP_ENOMEM;
        }
        cell->text = grown;
        cell->cap = len;
    }
    if (len > 0) {
        memcpy(cell->text, text, len);
    }
    cell->len = len;
    cell->null = false;
    return SP_OK;
}

static struct sp_str
group_cell_str(const struct merge_cell *cell)
{
    return sp_str_make(cell->text, cell->len);
}

/*
 * The group key: each key's weight bytes when the router sent a weight,
 * else its value; doubles as numbers so that "-0" and "0" meet.
 */
static int
group_build_key(struct sp_merger *m, struct sp_merge_view row)
{
    int rc = SP_OK;

    sp_buf_reset(&m->key, 64 * 1024);
    for (size_t i = 0; i < m->ngroup && rc == SP_OK; i++) {
        const struct sp_merge_keyref *k = &m->group[i];
        double d;

        if (row.nulls[k->col]) {
            rc = sp_buf_append_u8(&m->key, 0);
        } else if (k->weight != SP_MERGE_NONE) {
            rc = sp_merge_key_append(&m->key, false, row.vals[k->weight]);
        } else if (m->cols[k->col].cls == SP_MERGE_CLASS_DOUBLE &&
                   sp_merge_parse_double(row.vals[k->col], &d)) {
            d = d == 0.0 ? 0.0 : d;
            rc = sp_buf_append_u8(&m->key, 2);
            if (rc == SP_OK) {
                rc = sp_buf_append(&m->key, &d, sizeof(d));
            }
        } else {
            rc = sp_merge_key_append(&m->key, false, row.vals[k->col]);
        }
    }
    return rc;
}

static struct sp_merge_group *
group_create(struct sp_merger *m, const uint8_t *key, size_t keylen, uint64_t hash)
{
    size_t cells_size = m->ndefs * sizeof(struct merge_cell);
    size_t vals_off = sizeof(struct sp_merge_group) + cells_size;
    size_t nulls_off = vals_off + m->ndefs * sizeof(struct sp_str);
    size_t key_off = nulls_off + m->ndefs * sizeof(bool);
    struct sp_merge_group *g;
    uint8_t *key_copy;

    g = calloc(1, key_off + keylen);
    if (g == NULL) {
        return NULL;
    }
    g->vals = (struct sp_str *)((uint8_t *)g + vals_off);
    g->nulls = (bool *)((uint8_t *)g + nulls_off);
    key_copy = (uint8_t *)g + key_off;
    if (keylen > 0) {
        memcpy(key_copy, key, keylen);
    }
    for (size_t i = 0; i < m->ndefs; i++) {
        g->cells[i].null = true;
    }

    g->entry.hash = hash;
    g->entry.key = key_copy;
    g->entry.keylen = keylen;
    g->next_all = m->all_groups;
    m->all_groups = g;
    m->ngroups++;
    return g;
}

static int
group_add_count(struct sp_merger *m, struct merge_cell *cell, struct sp_str v,
                struct sp_error *err)
{
    uint64_t n = 0;

    if (v.len == 0 || v.len > 20) {
        goto invalid;
    }
    for (size_t i = 0; i < v.len; i++) {
        unsigned digit = (unsigned)(v.ptr[i] - '0');

        if (digit > 9 || n > (UINT64_MAX - digit) / 10) {
            goto invalid;
        }
        n = n * 10 + digit;
    }
    if (cell->count > UINT64_MAX - n) {
        return sp_merge_fail(m, SP_ERANGE, err, "merged COUNT exceeds 18446744073709551615");
    }
    cell->count += n;
    cell->null = false;
    return SP_OK;

invalid:
    return sp_merge_fail(m, SP_EPROTO, err, "a shard sent COUNT '%.*s', which is not a count",
                         (int)(v.len > 64 ? 64 : v.len), v.ptr);
}

static int
group_add_decimal(struct sp_merger *m, struct merge_cell *cell, struct sp_str v,
                  struct sp_error *err)
{
    struct sp_decimal a, b;
    char text[SP_DECIMAL_TEXT_MAX];
    size_t len;
    int rc;

    rc = sp_decimal_parse(&b, v.ptr, v.len);
    if (rc == SP_OK && !cell->null) {
        rc = sp_decimal_parse(&a, cell->text, cell->len);
        if (rc == SP_OK) {
            rc = sp_decimal_add(&b, &a, &b);
        }
    }
    if (rc == SP_ERANGE) {
        return sp_merge_fail(m, rc, err, "merged SUM needs more than %d digits",
                             SP_DECIMAL_MAX_DIGITS);
    }
    if (rc != SP_OK) {
        return sp_merge_fail(m, SP_EPROTO, err, "a shard sent SUM '%.*s', which is not a decimal",
                             (int)(v.len > 64 ? 64 : v.len), v.ptr);
    }

    len = sp_decimal_format(&b, text);
    rc = group_cell_set(cell, text, len);
    if (rc != SP_OK) {
        return sp_merge_fail(m, rc, err, "out of memory while merging a SUM");
    }
    return SP_OK;
}

static int
group_add_double(struct sp_merger *m, struct merge_cell *cell, struct sp_str v,
                 struct sp_error *err)
{
    double d;

    /*
     * NOTE: shards add their doubles in their own order and the merge adds
     * the partial sums, so the last digit can differ from one server's sum.
     */
    if (!sp_merge_parse_double(v, &d)) {
        return sp_merge_fail(m, SP_EPROTO, err, "a shard sent SUM '%.*s', which is not a number",
                             (int)(v.len > 64 ? 64 : v.len), v.ptr);
    }
    cell->sum = cell->null ? d : cell->sum + d;
    cell->null = false;
    return SP_OK;
}

/* MIN or MAX: takes ROW's value, and its weight, when it beats the group's. */
static int
group_add_extreme(struct sp_merger *m, struct sp_merge_group *g, size_t col,
                  struct sp_merge_view row, struct sp_error *err)
{
    const struct sp_merge_colinfo *info = &m->cols[col];
    struct merge_cell *cell = &g->cells[col];
    int c, rc;

    if (!cell->null) {
        if (info->weight != SP_MERGE_NONE) {
            c = sp_merge_bytes_cmp(row.vals[info->weight], group_cell_str(&g->cells[info->weight]));
        } else {
            c = sp_merge_value_cmp(info->cls, row.vals[col], group_cell_str(cell));
        }
        if (info->role == SP_MERGE_ROLE_MIN ? c >= 0 : c <= 0) {
            return SP_OK;
        }
    }

    rc = group_cell_set(cell, row.vals[col].ptr, row.vals[col].len);
    if (rc == SP_OK && info->weight != SP_MERGE_NONE) {
        struct merge_cell *wcell = &g->cells[info->weight];

        rc = group_cell_set(wcell, row.vals[info->weight].ptr, row.vals[info->weight].len);
        wcell->null = row.nulls[info->weight];
    }
    if (rc != SP_OK) {
        return sp_merge_fail(m, rc, err, "out of memory while merging MIN or MAX");
    }
    return SP_OK;
}

static int
group_add_column(struct sp_merger *m, struct sp_merge_group *g, size_t col,
                 struct sp_merge_view row, bool first, struct sp_error *err)
{
    struct merge_cell *cell = &g->cells[col];
    int rc;

    switch (m->cols[col].role) {
    case SP_MERGE_ROLE_PLAIN:
        /*
         * Without GROUP BY every shard sends one row, even one that matched
         * nothing and so contains NULL: a later shard's value replaces it.
         */
        if (row.nulls[col] || !(first || (m->ngroup == 0 && cell->null))) {
            return SP_OK;
        }
        rc = group_cell_set(cell, row.vals[col].ptr, row.vals[col].len);
        if (rc != SP_OK) {
            return sp_merge_fail(m, rc, err, "out of memory while merging a group");
        }
        return SP_OK;
    case SP_MERGE_ROLE_COUNT:
        return row.nulls[col] ? SP_OK : group_add_count(m, cell, row.vals[col], err);
    case SP_MERGE_ROLE_SUM_DECIMAL:
        return row.nulls[col] ? SP_OK : group_add_decimal(m, cell, row.vals[col], err);
    case SP_MERGE_ROLE_SUM_DOUBLE:
        return row.nulls[col] ? SP_OK : group_add_double(m, cell, row.vals[col], err);
    case SP_MERGE_ROLE_MIN:
    case SP_MERGE_ROLE_MAX:
        return row.nulls[col] ? SP_OK : group_add_extreme(m, g, col, row, err);
    case SP_MERGE_ROLE_WEIGHT: /* set together with its MIN or MAX */
    case SP_MERGE_ROLE_AVG:    /* computed from its parts at the end */
    default:
        return SP_OK;
    }
}

/* Appends one argument of a DISTINCT aggregate to M->key as group keys are appended. */
static int
group_key_append_arg(struct sp_merger *m, const struct sp_merge_keyref *k, struct sp_merge_view row)
{
    double d;
    int rc;

    if (k->weight != SP_MERGE_NONE) {
        return sp_merge_key_append(&m->key, false, row.vals[k->weight]);
    }
    if (m->cols[k->col].cls == SP_MERGE_CLASS_DOUBLE && sp_merge_parse_double(row.vals[k->col], &d)) {
        d = d == 0.0 ? 0.0 : d;
        rc = sp_buf_append_u8(&m->key, 2);
        return rc == SP_OK ? sp_buf_append(&m->key, &d, sizeof(d)) : rc;
    }
    return sp_merge_key_append(&m->key, false, row.vals[k->col]);
}

/*
 * An aggregate over DISTINCT values: counts or adds ROW's argument list
 * unless the group has seen it. The key is a marker byte that no DISTINCT
 * row key starts with, the group's key, the column and the arguments.
 */
static int
group_add_distinct(struct sp_merger *m, struct sp_merge_group *g, size_t col,
                   struct sp_merge_view row, struct sp_error *err)
{
    const struct sp_merge_colinfo *info = &m->cols[col];
    struct merge_cell *cell = &g->cells[col];
    uint32_t index = (uint32_t)col;
    struct sp_str v;
    bool dup;
    int rc;

    for (size_t i = 0; i < info->ndargs; i++) {
        if (row.nulls[info->dargs[i].col]) {
            return SP_OK;
        }
    }
    sp_buf_reset(&m->key, 64 * 1024);
    rc = sp_buf_append_u8(&m->key, 0xFF);
    if (rc == SP_OK) {
        rc = sp_buf_append(&m->key, g->entry.key, g->entry.keylen);
    }
    if (rc == SP_OK) {
        rc = sp_buf_append(&m->key, &index, sizeof(index));
    }
    for (size_t i = 0; i < info->ndargs && rc == SP_OK; i++) {
        rc = group_key_append_arg(m, &info->dargs[i], row);
    }
    if (rc != SP_OK) {
        return sp_merge_fail(m, rc, err, "out of memory while merging DISTINCT values");
    }
    rc = sp_merge_seen_add(m, "aggregate over DISTINCT values", err, &dup);
    if (rc != SP_OK || dup) {
        return rc;
    }

    cell->count++;
    if (info->dagg == SP_MERGE_AGG_COUNT_DISTINCT) {
        cell->null = false;
        return SP_OK;
    }
    v = row.vals[info->dargs[0].col];
    return info->dsum_double ? group_add_double(m, cell, v, err)
                             : group_add_decimal(m, cell, v, err);
}

int
sp_merge_group_push(struct sp_merger *m, struct sp_merge_view row, struct sp_error *err)
{
    struct sp_merge_entry *e;
    struct sp_merge_group *g;
    uint64_t hash;
    bool first = false;
    int rc;

    rc = group_build_key(m, row);
    if (rc != SP_OK) {
        return sp_merge_fail(m, rc, err, "out of memory while merging a group");
    }
    hash = sp_merge_hash(m->key.data, m->key.len);

    e = sp_merge_table_find(&m->groups, hash, m->key.data, m->key.len);
    if (e != NULL) {
        g = (struct sp_merge_group *)e;
    } else {
        if (m->ngroups >= m->max_rows) {
            return sp_merge_fail(m, SP_ERANGE, err,
                                 "cross-shard GROUP BY has more than max_merge_rows (%zu) "
                                 "groups; raise max_merge_rows or narrow the query",
                                 m->max_rows);
        }
        g = group_create(m, m->key.data, m->key.len, hash);
        if (g == NULL) {
            return sp_merge_fail(m, SP_ENOMEM, err, "out of memory while merging a group");
        }
        rc = sp_merge_table_insert(&m->groups, &g->entry);
        if (rc != SP_OK) {
            return sp_merge_fail(m, rc, err, "out of memory while merging a group");
        }
        first = true;
    }

    for (size_t col = 0; col < m->ndefs; col++) {
        rc = group_add_column(m, g, col, row, first, err);
        if (rc != SP_OK) {
            return rc;
        }
    }
    for (size_t col = 0; m->has_distinct && col < m->ndefs; col++) {
        if (m->cols[col].role == SP_MERGE_ROLE_DISTINCT) {
            rc = group_add_distinct(m, g, col, row, err);
            if (rc != SP_OK) {
                return rc;
            }
        }
    }
    return SP_OK;
}

/* ---- finalization ---- */

/* Fractional digits for a DECIMAL result: the column's, unless it has none fixed. */
static unsigned
group_decimal_scale(const struct sp_column_def *def, unsigned natural)
{
    if (def->decimals >= SP_MERGE_NOT_FIXED_DEC || def->decimals > SP_DECIMAL_MAX_SCALE) {
        return natural;
    }
    return def->decimals;
}

/* The row count that AVG divides by; false when it is unknown (NULL). */
static bool
group_avg_count(const struct sp_merger *m, const struct sp_merge_group *g, size_t col,
                uint64_t *count)
{
    const struct merge_cell *cell = &g->cells[col];
    uint64_t n = 0;

    if (m->cols[col].role == SP_MERGE_ROLE_COUNT) {
        *count = cell->count;
        return true;
    }
    if (cell->null || cell->len == 0 || cell->len > 19) {
        return false;
    }
    for (size_t i = 0; i < cell->len; i++) {
        if (cell->text[i] < '0' || cell->text[i] > '9') {
            return false;
        }
        n = n * 10 + (uint64_t)(cell->text[i] - '0');
    }
    *count = n;
    return true;
}

static int
group_finish_avg(struct sp_merger *m, struct sp_merge_group *g, size_t col, struct sp_error *err)
{
    const struct sp_merge_colinfo *info = &m->cols[col];
    const struct sp_column_def *def = &m->defs[col];
    const struct merge_cell *sum = &g->cells[info->sum];
    struct merge_cell *cell = &g->cells[col];
    char text[SP_DECIMAL_TEXT_MAX + SP_MERGE_DOUBLE_TEXT_MAX];
    struct sp_decimal dsum, dcount, avg;
    bool sum_is_double = m->cols[info->sum].role == SP_MERGE_ROLE_SUM_DOUBLE;
    uint64_t count;
    size_t len;
    int rc;

    cell->null = true;
    if (sum->null || !group_avg_count(m, g, info->count, &count) || count == 0) {
        return SP_OK;
    }

    if (info->cls == SP_MERGE_CLASS_NUMBER && !sum_is_double &&
        sp_decimal_parse(&dsum, sum->text, sum->len) == SP_OK) {
        /* DECIMAL AVG: the server's quotient, rounded half away from zero when printed. */
        sp_decimal_from_u64(&dcount, count);
        rc = sp_merge_decimal_divide(&avg, &dsum, &dcount);
        if (rc == SP_OK) {
            rc = sp_decimal_round(&avg, group_decimal_scale(def, dsum.scale + 4));
        }
        if (rc != SP_OK) {
            return sp_merge_fail(m, rc, err, "merged AVG needs more than %d digits",
                                 SP_DECIMAL_MAX_DIGITS);
        }
        len = sp_decimal_format(&avg, text);
    } else {
        double s = sum_is_double ? sum->sum : sp_merge_string_to_double(group_cell_str(sum));

        len = sp_merge_format_double(s / (double)count, def->decimals, text);
    }

    rc = group_cell_set(cell, text, len);
    if (rc != SP_OK) {
        return sp_merge_fail(m, rc, err, "out of memory while merging AVG");
    }
    return SP_OK;
}

/* COUNT, SUM or AVG over the DISTINCT values that group_add_distinct collected. */
static int
group_finish_distinct(struct sp_merger *m, struct sp_merge_group *g, size_t col,
                      struct sp_error *err)
{
    const struct sp_merge_colinfo *info = &m->cols[col];
    const struct sp_column_def *def = &m->defs[col];
    struct merge_cell *cell = &g->cells[col];
    char text[SP_DECIMAL_TEXT_MAX + SP_MERGE_DOUBLE_TEXT_MAX];
    struct sp_decimal sum, count, v;
    size_t len;
    int rc;

    if (info->dagg == SP_MERGE_AGG_COUNT_DISTINCT) {
        len = (size_t)snprintf(text, sizeof(text), "%llu", (unsigned long long)cell->count);
    } else if (cell->null || cell->count == 0) {
        cell->null = true;
        return SP_OK;
    } else if (info->dsum_double) {
        double d = info->dagg == SP_MERGE_AGG_AVG_DISTINCT ? cell->sum / (double)cell->count
                                                            : cell->sum;

        len = sp_merge_format_double(d, def->decimals, text);
    } else {
        rc = sp_decimal_parse(&sum, cell->text, cell->len);
        v = sum;
        if (rc == SP_OK && info->dagg == SP_MERGE_AGG_AVG_DISTINCT) {
            sp_decimal_from_u64(&count, cell->count);
            rc = sp_merge_decimal_divide(&v, &sum, &count);
        }
        if (rc == SP_OK) {
            unsigned natural = info->dagg == SP_MERGE_AGG_AVG_DISTINCT ? sum.scale + 4 : sum.scale;

            rc = sp_decimal_round(&v, group_decimal_scale(def, natural));
        }
        if (rc != SP_OK) {
            return sp_merge_fail(m, rc, err, "a merged aggregate over DISTINCT values needs more "
                                             "than %d digits", SP_DECIMAL_MAX_DIGITS);
        }
        len = sp_decimal_format(&v, text);
    }

    rc = group_cell_set(cell, text, len);
    if (rc != SP_OK) {
        return sp_merge_fail(m, rc, err, "out of memory while merging a group");
    }
    return SP_OK;
}

static int
group_finish_column(struct sp_merger *m, struct sp_merge_group *g, size_t col,
                    struct sp_error *err)
{
    const struct sp_column_def *def = &m->defs[col];
    struct merge_cell *cell = &g->cells[col];
    char text[SP_DECIMAL_TEXT_MAX + SP_MERGE_DOUBLE_TEXT_MAX];
    struct sp_decimal d;
    size_t len;
    int rc;

    switch (m->cols[col].role) {
    case SP_MERGE_ROLE_COUNT:
        len = (size_t)snprintf(text, sizeof(text), "%llu", (unsigned long long)cell->count);
        break;
    case SP_MERGE_ROLE_SUM_DECIMAL:
        if (cell->null) {
            return SP_OK;
        }
        rc = sp_decimal_parse(&d, cell->text, cell->len);
        if (rc == SP_OK) {
            rc = sp_decimal_round(&d, group_decimal_scale(def, d.scale));
        }
        if (rc != SP_OK) {
            return sp_merge_fail(m, rc, err, "merged SUM does not fit in %d digits",
                                 SP_DECIMAL_MAX_DIGITS);
        }
        len = sp_decimal_format(&d, text);
        break;
    case SP_MERGE_ROLE_SUM_DOUBLE:
        if (cell->null) {
            return SP_OK;
        }
        len = sp_merge_format_double(cell->sum, def->decimals, text);
        break;
    case SP_MERGE_ROLE_DISTINCT:
        return group_finish_distinct(m, g, col, err);
    default:
        return SP_OK;
    }

    rc = group_cell_set(cell, text, len);
    if (rc != SP_OK) {
        return sp_merge_fail(m, rc, err, "out of memory while merging a group");
    }
    return SP_OK;
}

static bool
group_literal_is(struct sp_str literal, const char *word)
{
    return sp_str_eq_nocase(literal, sp_str_cstr(word));
}

static enum merge_truth
group_having_cmp(const struct sp_merger *m, const struct sp_merge_having *h,
                 struct sp_merge_view row)
{
    size_t col = sp_merge_resolve(m, h->col);
    struct sp_str literal = h->literal;
    bool null = row.nulls[col];
    bool literal_null = false;
    int c;

    if (!h->literal_is_string) {
        if (group_literal_is(literal, "NULL")) {
            literal_null = true;
        } else if (group_literal_is(literal, "TRUE")) {
            literal = SP_STR_LIT("1");
        } else if (group_literal_is(literal, "FALSE")) {
            literal = SP_STR_LIT("0");
        }
    }

    switch (h->cmp) {
    case SP_CMP_IS_NULL:
        return null ? MERGE_TRUE : MERGE_FALSE;
    case SP_CMP_IS_NOT_NULL:
        return null ? MERGE_FALSE : MERGE_TRUE;
    case SP_CMP_NULLSAFE_EQ:
        if (null || literal_null) {
            return null && literal_null ? MERGE_TRUE : MERGE_FALSE;
        }
        break;
    default:
        if (null || literal_null) {
            return MERGE_UNKNOWN;
        }
        break;
    }

    c = sp_merge_literal_cmp(m->cols[col].cls, m->defs[col].charset, row.vals[col], literal,
                             h->literal_is_string);
    switch (h->cmp) {
    case SP_CMP_EQ:
    case SP_CMP_NULLSAFE_EQ:
        return c == 0 ? MERGE_TRUE : MERGE_FALSE;
    case SP_CMP_NE:
        return c != 0 ? MERGE_TRUE : MERGE_FALSE;
    case SP_CMP_LT:
        return c < 0 ? MERGE_TRUE : MERGE_FALSE;
    case SP_CMP_LE:
        return c <= 0 ? MERGE_TRUE : MERGE_FALSE;
    case SP_CMP_GT:
        return c > 0 ? MERGE_TRUE : MERGE_FALSE;
    case SP_CMP_GE:
    default:
        return c >= 0 ? MERGE_TRUE : MERGE_FALSE;
    }
}

static enum merge_truth
group_having_eval(const struct sp_merger *m, const struct sp_merge_having *h,
                  struct sp_merge_view row)
{
    enum merge_truth l, r;

    switch (h->op) {
    case SP_HAVING_AND:
        l = group_having_eval(m, h->left, row);
        if (l == MERGE_FALSE) {
            return MERGE_FALSE;
        }
        r = group_having_eval(m, h->right, row);
        if (r == MERGE_FALSE) {
            return MERGE_FALSE;
        }
        return l == MERGE_TRUE && r == MERGE_TRUE ? MERGE_TRUE : MERGE_UNKNOWN;
    case SP_HAVING_OR:
        l = group_having_eval(m, h->left, row);
        if (l == MERGE_TRUE) {
            return MERGE_TRUE;
        }
        r = group_having_eval(m, h->right, row);
        if (r == MERGE_TRUE) {
            return MERGE_TRUE;
        }
        return l == MERGE_FALSE && r == MERGE_FALSE ? MERGE_FALSE : MERGE_UNKNOWN;
    case SP_HAVING_NOT:
        l = group_having_eval(m, h->left, row);
        return l == MERGE_UNKNOWN ? MERGE_UNKNOWN : (l == MERGE_TRUE ? MERGE_FALSE : MERGE_TRUE);
    case SP_HAVING_CMP:
    default:
        return group_having_cmp(m, h, row);
    }
}

/* Output order: ORDER BY keys, else the GROUP BY keys, as MariaDB sorts groups. */
static int
group_cmp(const struct sp_merger *m, const struct sp_merge_group *a, const struct sp_merge_group *b)
{
    struct sp_merge_view va = {a->vals, a->nulls};
    struct sp_merge_view vb = {b->vals, b->nulls};

    if (m->norder > 0) {
        return sp_merge_keys_cmp(m, m->order, m->norder, va, vb);
    }
    return sp_merge_keys_cmp(m, m->group, m->ngroup, va, vb);
}

/* Stable merge sort of V[0..n) using TMP of the same size. */
static void
group_sort(const struct sp_merger *m, struct sp_merge_group **v, struct sp_merge_group **tmp,
           size_t n)
{
    size_t half = n / 2, i = 0, j = half, k = 0;

    if (n < 2) {
        return;
    }
    group_sort(m, v, tmp, half);
    group_sort(m, v + half, tmp, n - half);

    while (i < half && j < n) {
        tmp[k++] = group_cmp(m, v[j], v[i]) < 0 ? v[j++] : v[i++];
    }
    while (i < half) {
        tmp[k++] = v[i++];
    }
    while (j < n) {
        tmp[k++] = v[j++];
    }
    memcpy(v, tmp, n * sizeof(*v));
}

/* Evaluates the group's expression columns once every other column has its final value. */
static int
group_finish_exprs(struct sp_merger *m, struct sp_merge_group *g, struct sp_error *err)
{
    struct sp_merge_operand *ops = m->expr_operands;
    int rc;

    for (size_t col = 0; col < m->ndefs; col++) {
        const struct merge_cell *cell = &g->cells[col];

        ops[col].text = group_cell_str(cell);
        ops[col].null = cell->null;
        ops[col].has_double = m->cols[col].role == SP_MERGE_ROLE_SUM_DOUBLE;
        ops[col].dbl = cell->sum;
    }
    for (size_t col = 0; col < m->ndefs; col++) {
        bool null;

        if (m->cols[col].role != SP_MERGE_ROLE_EXPR) {
            continue;
        }
        sp_buf_reset(&m->expr_text, 4096);
        rc = sp_merge_expr_eval(m, m->cols[col].expr, col, ops, &m->expr_text, &null, err);
        if (rc != SP_OK) {
            return rc;
        }
        if (null) {
            g->cells[col].null = true;
            continue;
        }
        rc = group_cell_set(&g->cells[col], (const char *)m->expr_text.data, m->expr_text.len);
        if (rc != SP_OK) {
            return sp_merge_fail(m, rc, err, "out of memory while merging an expression");
        }
    }
    return SP_OK;
}

static int
group_finalize(struct sp_merger *m, struct sp_error *err)
{
    struct sp_merge_group **tmp;
    struct sp_merge_group *g;
    size_t i;
    int rc;

    /* Aggregates without GROUP BY return one row even when no shard sent one. */
    if (m->ngroup == 0 && m->ngroups == 0 && group_create(m, NULL, 0, 0) == NULL) {
        return sp_merge_fail(m, SP_ENOMEM, err, "out of memory while merging a group");
    }

    m->sorted = calloc(m->ngroups > 0 ? m->ngroups : 1, sizeof(*m->sorted));
    tmp = calloc(m->ngroups > 0 ? m->ngroups : 1, sizeof(*tmp));
    if (m->sorted == NULL || tmp == NULL) {
        free(tmp);
        return sp_merge_fail(m, SP_ENOMEM, err, "out of memory while sorting merged groups");
    }

    /* The list runs newest first; the array gets arrival order. */
    i = m->ngroups;
    for (g = m->all_groups; g != NULL; g = g->next_all) {
        tmp[--i] = g;
    }

    for (i = 0; i < m->ngroups; i++) {
        g = tmp[i];
        for (size_t col = 0; col < m->ndefs; col++) {
            rc = m->cols[col].role == SP_MERGE_ROLE_AVG ? group_finish_avg(m, g, col, err) : SP_OK;
            if (rc != SP_OK) {
                goto fail;
            }
        }
        for (size_t col = 0; col < m->ndefs; col++) {
            rc = group_finish_column(m, g, col, err);
            if (rc != SP_OK) {
                goto fail;
            }
        }
        if (m->has_expr) {
            rc = group_finish_exprs(m, g, err);
            if (rc != SP_OK) {
                goto fail;
            }
        }
        for (size_t col = 0; col < m->ndefs; col++) {
            g->vals[col] = group_cell_str(&g->cells[col]);
            g->nulls[col] = g->cells[col].null;
        }

        if (m->spec->having == NULL ||
            group_having_eval(m, m->spec->having, (struct sp_merge_view){g->vals, g->nulls}) ==
                MERGE_TRUE) {
            m->sorted[m->nsorted++] = g;
        }
    }

    if (m->norder > 0 || m->ngroup > 0) {
        group_sort(m, m->sorted, tmp, m->nsorted);
    }
    free(tmp);
    m->finalized = true;
    return SP_OK;

fail:
    free(tmp);
    return rc;
}

int
sp_merge_group_next(struct sp_merger *m, struct sp_buf *out, struct sp_error *err)
{
    bool emitted;
    int rc;

    if (sp_merger_satisfied(m)) {
        return SP_ENOTFOUND;
    }
    if (m->nlegs_done < m->nlegs) {
        return SP_EAGAIN;
    }
    if (!m->finalized) {
        rc = group_finalize(m, err);
        if (rc != SP_OK) {
            return rc;
        }
    }

    while (m->next_sorted < m->nsorted && !sp_merger_satisfied(m)) {
        struct sp_merge_group *g = m->sorted[m->next_sorted++];

        rc = sp_merge_offer(m, (struct sp_merge_view){g->vals, g->nulls}, out, err, &emitted);
        if (rc != SP_OK || emitted) {
            return rc;
        }
    }
    return SP_ENOTFOUND;
}

void
sp_merge_group_free_all(struct sp_merger *m)
{
    struct sp_merge_group *g = m->all_groups, *next;

    for (; g != NULL; g = next) {
        next = g->next_all;
        for (size_t i = 0; i < m->ndefs; i++) {
            free(g->cells[i].text);
        }
        free(g);
    }
    m->all_groups = NULL;
    m->ngroups = 0;
    sp_merge_table_deinit(&m->groups);
    free(m->sorted);
    m->sorted = NULL;
}
