/*
 * The result merger: setup from a struct sp_merge_spec, per-leg row
 * queues, the streaming k-way merge for ORDER BY, arrival-order pass
 * through, DISTINCT, OFFSET and LIMIT. Grouping lives in merge_group.c,
 * typed comparison in merge_value.c. Pure data structure: no I/O, no
 * logging; failures return a status and fill a caller's struct sp_error.
 */
#include "router/merge.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "router/merge_internal.h"

/* HAVING trees deeper than this are rejected, which bounds the recursion. */
#define MERGE_HAVING_MAX_DEPTH 64

size_t
sp_merge_resolve(const struct sp_merger *m, int32_t ref)
{
    if (ref >= 0) {
        return (size_t)ref;
    }
    return m->nvisible + (size_t)(-(int64_t)ref - 1);
}

/*
 * Whether DEF is a string column compared under a collation, the only kind
 * for which the shard's WEIGHT_STRING() bytes decide order and equality.
 * The router adds weight columns without knowing types, and MariaDB 10.11
 * returns NULL for WEIGHT_STRING() of numbers and dates, so weights of any
 * other column must be ignored. ENUM and SET sort by index on the server:
 * their values compare as written (see merge_value.c).
 */
static bool
merge_def_is_collated_string(const struct sp_column_def *def)
{
    if (def->charset == 63) {
        return false; /* binary strings and blobs compare by bytes */
    }
    switch (def->type) {
    case 15:  /* VARCHAR */
    case 249: /* TINY_BLOB: TINYTEXT arrives with this type */
    case 250: /* MEDIUM_BLOB */
    case 251: /* LONG_BLOB */
    case 252: /* BLOB */
    case 253: /* VAR_STRING */
    case 254: /* STRING */
        return true;
    default:
        return false;
    }
}

int
sp_merge_fail(struct sp_merger *m, int status, struct sp_error *err, const char *fmt, ...)
{
    va_list ap;

    m->status = status;
    m->error.code = SP_ER_UNKNOWN_ERROR;
    memcpy(m->error.sqlstate, "HY000", sizeof(m->error.sqlstate));
    va_start(ap, fmt);
    vsnprintf(m->error.message, sizeof(m->error.message), fmt, ap);
    va_end(ap);

    if (err != NULL) {
        *err = m->error;
    }
    return status;
}

/* Whether REF names a shard column: visible when >= 0, hidden when negative. */
static bool
merge_ref_valid(int32_t ref, size_t nvisible, size_t ndefs)
{
    if (ref == SP_MERGE_NO_COLUMN) {
        return false;
    }
    if (ref >= 0) {
        return (size_t)ref < nvisible;
    }
    return (uint64_t)(-(int64_t)ref - 1) < ndefs - nvisible;
}

/* ---- hash table ---- */

uint64_t
sp_merge_hash(const uint8_t *key, size_t len)
{
    return XXH64(key, len, 0);
}

struct sp_merge_entry *
sp_merge_table_find(const struct sp_merge_table *t, uint64_t hash, const uint8_t *key,
                    size_t keylen)
{
    struct sp_merge_entry *e;

    if (t->nbuckets == 0) {
        return NULL;
    }
    for (e = t->buckets[hash & (t->nbuckets - 1)]; e != NULL; e = e->next) {
        if (e->hash == hash && e->keylen == keylen &&
            (keylen == 0 || memcmp(e->key, key, keylen) == 0)) {
            return e;
        }
    }
    return NULL;
}

static int
merge_table_grow(struct sp_merge_table *t)
{
    size_t nbuckets = t->nbuckets == 0 ? 64 : t->nbuckets * 2;
    struct sp_merge_entry **buckets = calloc(nbuckets, sizeof(*buckets));

    if (buckets == NULL) {
        return SP_ENOMEM;
    }

    for (size_t i = 0; i < t->nbuckets; i++) {
        struct sp_merge_entry *e = t->buckets[i], *next;

        for (; e != NULL; e = next) {
            next = e->next;
            e->next = buckets[e->hash & (nbuckets - 1)];
            buckets[e->hash & (nbuckets - 1)] = e;
        }
    }
    free(t->buckets);
    t->buckets = buckets;
    t->nbuckets = nbuckets;
    return SP_OK;
}

int
sp_merge_table_insert(struct sp_merge_table *t, struct sp_merge_entry *e)
{
    struct sp_merge_entry **bucket;
    int rc;

    if (t->count >= t->nbuckets) {
        rc = merge_table_grow(t);
        if (rc != SP_OK) {
            return rc;
        }
    }

    bucket = &t->buckets[e->hash & (t->nbuckets - 1)];
    e->next = *bucket;
    *bucket = e;
    t->count++;
    return SP_OK;
}

/* Frees the bucket array only, because the entries belong to the structs that embed them. */
void
sp_merge_table_deinit(struct sp_merge_table *t)
{
    free(t->buckets);
    memset(t, 0, sizeof(*t));
}

/* ---- comparison ---- */

int
sp_merge_keys_cmp(const struct sp_merger *m, const struct sp_merge_keyref *keys, size_t nkeys,
                  struct sp_merge_view a, struct sp_merge_view b)
{
    for (size_t i = 0; i < nkeys; i++) {
        const struct sp_merge_keyref *k = &keys[i];
        bool anull = a.nulls[k->col], bnull = b.nulls[k->col];
        int c;

        if (anull || bnull) {
            c = anull == bnull ? 0 : (anull ? -1 : 1); /* NULL first */
        } else if (k->weight != SP_MERGE_NONE) {
            c = sp_merge_bytes_cmp(a.vals[k->weight], b.vals[k->weight]);
        } else {
            c = sp_merge_value_cmp(m->cols[k->col].cls, a.vals[k->col], b.vals[k->col]);
        }

        if (c != 0) {
            return k->desc ? -c : c;
        }
    }
    return 0;
}

/* ---- DISTINCT ---- */

int
sp_merge_key_append(struct sp_buf *key, bool null, struct sp_str v)
{
    uint64_t len = v.len;
    int rc;

    if (null) {
        return sp_buf_append_u8(key, 0);
    }
    rc = sp_buf_append_u8(key, 1);
    if (rc == SP_OK) {
        rc = sp_buf_append(key, &len, sizeof(len));
    }
    if (rc == SP_OK) {
        rc = sp_buf_append(key, v.ptr, v.len);
    }
    return rc;
}

/*
 * The bytes that decide DISTINCT equality: each visible column's value,
 * or the weight of its sort key where the router sent one.
 */
static int
merge_distinct_key(struct sp_merger *m, struct sp_merge_view row)
{
    int rc = SP_OK;

    sp_buf_reset(&m->key, 64 * 1024);
    for (size_t i = 0; i < m->nvisible && rc == SP_OK; i++) {
        size_t src = m->cols[i].distinct_src;

        rc = sp_merge_key_append(&m->key, row.nulls[i] || row.nulls[src], row.vals[src]);
    }
    return rc;
}

int
sp_merge_seen_add(struct sp_merger *m, const char *what, struct sp_error *err, bool *dup)
{
    struct sp_merge_entry *e;
    uint64_t hash;
    int rc;

    *dup = false;
    hash = sp_merge_hash(m->key.data, m->key.len);
    if (sp_merge_table_find(&m->seen, hash, m->key.data, m->key.len) != NULL) {
        *dup = true;
        return SP_OK;
    }
    if (m->seen.count >= m->max_rows) {
        return sp_merge_fail(m, SP_ERANGE, err,
                             "cross-shard %s has more than max_merge_rows (%zu) distinct values; "
                             "raise max_merge_rows or narrow the query",
                             what, m->max_rows);
    }
    e = malloc(sizeof(*e) + m->key.len);
    if (e == NULL) {
        return sp_merge_fail(m, SP_ENOMEM, err, "out of memory while merging %s", what);
    }
    memcpy(e + 1, m->key.data, m->key.len);
    e->hash = hash;
    e->key = (const uint8_t *)(e + 1);
    e->keylen = m->key.len;
    rc = sp_merge_table_insert(&m->seen, e);
    if (rc != SP_OK) {
        free(e);
        return sp_merge_fail(m, rc, err, "out of memory while merging %s", what);
    }
    return SP_OK;
}

static int
merge_distinct_seen(struct sp_merger *m, struct sp_merge_view row, struct sp_error *err, bool *dup)
{
    int rc;

    *dup = false;
    rc = merge_distinct_key(m, row);
    if (rc != SP_OK) {
        return sp_merge_fail(m, rc, err, "out of memory while merging DISTINCT rows");
    }

    if (m->distinct_adjacent) {
        if (m->have_prev && sp_buf_unread_len(&m->prev_key) == m->key.len &&
            memcmp(sp_buf_unread(&m->prev_key), m->key.data, m->key.len) == 0) {
            *dup = true;
            return SP_OK;
        }
        sp_buf_reset(&m->prev_key, 64 * 1024);
        rc = sp_buf_append(&m->prev_key, m->key.data, m->key.len);
        if (rc != SP_OK) {
            return sp_merge_fail(m, rc, err, "out of memory while merging DISTINCT rows");
        }
        m->have_prev = true;
        return SP_OK;
    }

    return sp_merge_seen_add(m, "SELECT DISTINCT", err, dup);
}

static void
merge_seen_free(struct sp_merge_table *t)
{
    for (size_t i = 0; i < t->nbuckets; i++) {
        struct sp_merge_entry *e = t->buckets[i], *next;

        for (; e != NULL; e = next) {
            next = e->next;
            free(e);
        }
    }
    sp_merge_table_deinit(t);
}

/* ---- output ---- */

int
sp_merge_offer(struct sp_merger *m, struct sp_merge_view row, struct sp_buf *out,
               struct sp_error *err, bool *emitted)
{
    bool dup;
    int rc;

    *emitted = false;
    if (m->spec->distinct) {
        rc = merge_distinct_seen(m, row, err, &dup);
        if (rc != SP_OK || dup) {
            return rc;
        }
    }

    if (m->skipped < m->spec->offset) {
        m->skipped++;
        return SP_OK;
    }

    rc = sp_text_row_build(out, m->nvisible, row.vals, row.nulls);
    if (rc != SP_OK) {
        return sp_merge_fail(m, rc, err, "out of memory while building a merged row");
    }
    m->emitted++;
    *emitted = true;
    return SP_OK;
}

/* ---- setup ---- */

static int
merge_resolve_keys(struct sp_merger *m, const struct sp_merge_key *keys, size_t nkeys,
                   struct sp_merge_keyref **out, const char *what, struct sp_error *err)
{
    struct sp_merge_keyref *refs;

    *out = NULL;
    if (nkeys == 0) {
        return SP_OK;
    }

    refs = calloc(nkeys, sizeof(*refs));
    if (refs == NULL) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory while creating a merger");
        return SP_ENOMEM;
    }
    *out = refs;

    for (size_t i = 0; i < nkeys; i++) {
        if (!merge_ref_valid(keys[i].col, m->nvisible, m->ndefs) ||
            (keys[i].weight_col != SP_MERGE_NO_COLUMN &&
             !merge_ref_valid(keys[i].weight_col, m->nvisible, m->ndefs))) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "merge spec: %s key %zu names a column outside the %zu shard columns",
                         what, i, m->ndefs);
            return SP_EINVAL;
        }
        refs[i].col = sp_merge_resolve(m, keys[i].col);
        refs[i].weight = keys[i].weight_col == SP_MERGE_NO_COLUMN ||
                                 !merge_def_is_collated_string(&m->defs[refs[i].col])
                             ? SP_MERGE_NONE
                             : sp_merge_resolve(m, keys[i].weight_col);
        refs[i].desc = keys[i].desc;
    }
    return SP_OK;
}

static int
merge_check_having(const struct sp_merger *m, const struct sp_merge_having *h, unsigned depth,
                   struct sp_error *err)
{
    if (h == NULL || depth > MERGE_HAVING_MAX_DEPTH) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "merge spec: HAVING has a missing operand or is nested deeper than %d",
                     MERGE_HAVING_MAX_DEPTH);
        return SP_EINVAL;
    }

    switch (h->op) {
    case SP_HAVING_AND:
    case SP_HAVING_OR:
        if (merge_check_having(m, h->left, depth + 1, err) != SP_OK) {
            return SP_EINVAL;
        }
        return merge_check_having(m, h->right, depth + 1, err);
    case SP_HAVING_NOT:
        return merge_check_having(m, h->left, depth + 1, err);
    case SP_HAVING_CMP:
        if (!merge_ref_valid(h->col, m->nvisible, m->ndefs) || h->cmp > SP_CMP_IS_NOT_NULL ||
            (h->literal.len > 0 && h->literal.ptr == NULL)) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "merge spec: a HAVING comparison names a column outside the %zu shard "
                         "columns or has an invalid operator",
                         m->ndefs);
            return SP_EINVAL;
        }
        return SP_OK;
    default:
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000", "merge spec: unknown HAVING operator %d",
                     (int)h->op);
        return SP_EINVAL;
    }
}

static enum sp_merge_role
merge_sum_role(const struct sp_merge_colinfo *c)
{
    return c->cls == SP_MERGE_CLASS_DOUBLE ? SP_MERGE_ROLE_SUM_DOUBLE : SP_MERGE_ROLE_SUM_DECIMAL;
}

static bool
merge_distinct_args_valid(const struct sp_merger *m, const struct sp_merge_column *c)
{
    bool distinct = c->agg == SP_MERGE_AGG_COUNT_DISTINCT || c->agg == SP_MERGE_AGG_SUM_DISTINCT ||
                    c->agg == SP_MERGE_AGG_AVG_DISTINCT;

    if (!distinct) {
        return c->nargs == 0;
    }
    if (c->args == NULL || c->nargs == 0 || (c->agg != SP_MERGE_AGG_COUNT_DISTINCT && c->nargs != 1)) {
        return false;
    }
    for (size_t i = 0; i < c->nargs; i++) {
        if (!merge_ref_valid(c->args[i].col, m->nvisible, m->ndefs) ||
            (c->args[i].weight_col != SP_MERGE_NO_COLUMN &&
             !merge_ref_valid(c->args[i].weight_col, m->nvisible, m->ndefs))) {
            return false;
        }
    }
    return true;
}

/* Resolves the arguments of an aggregate over DISTINCT values; weights only for collated strings. */
static int
merge_setup_distinct_column(struct sp_merger *m, struct sp_merge_colinfo *info,
                            const struct sp_merge_column *c, struct sp_error *err)
{
    info->dargs = calloc(c->nargs, sizeof(*info->dargs));
    if (info->dargs == NULL) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory while creating a merger");
        return SP_ENOMEM;
    }
    for (size_t i = 0; i < c->nargs; i++) {
        size_t col = sp_merge_resolve(m, c->args[i].col);

        info->dargs[i].col = col;
        info->dargs[i].weight = c->args[i].weight_col != SP_MERGE_NO_COLUMN &&
                                        merge_def_is_collated_string(&m->defs[col])
                                    ? sp_merge_resolve(m, c->args[i].weight_col)
                                    : SP_MERGE_NONE;
    }
    info->ndargs = c->nargs;
    info->dagg = c->agg;
    info->role = SP_MERGE_ROLE_DISTINCT;
    info->dsum_double = c->agg != SP_MERGE_AGG_COUNT_DISTINCT &&
                        m->cols[info->dargs[0].col].cls == SP_MERGE_CLASS_DOUBLE;
    m->has_distinct = true;
    return SP_OK;
}

/* Assigns each aggregate column its role; AVG parts without an entry become SUM and COUNT. */
static int
merge_setup_columns(struct sp_merger *m, struct sp_error *err)
{
    const struct sp_merge_spec *spec = m->spec;

    for (size_t i = 0; i < spec->ncolumns; i++) {
        const struct sp_merge_column *c = &spec->columns[i];
        struct sp_merge_colinfo *info;
        bool weight_ok = c->weight_col == SP_MERGE_NO_COLUMN ||
                         merge_ref_valid(c->weight_col, m->nvisible, m->ndefs);
        bool avg_ok = c->agg != SP_MERGE_AGG_AVG ||
                      (merge_ref_valid(c->sum_col, m->nvisible, m->ndefs) &&
                       merge_ref_valid(c->count_col, m->nvisible, m->ndefs));
        bool expr_ok = (c->agg == SP_MERGE_AGG_EXPR) == (c->expr != NULL);
        bool args_ok = merge_distinct_args_valid(m, c);

        if (!merge_ref_valid(c->col, m->nvisible, m->ndefs) || !weight_ok || !avg_ok ||
            !expr_ok || !args_ok || c->agg > SP_MERGE_AGG_AVG_DISTINCT) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "merge spec: column entry %zu names a column outside the %zu shard "
                         "columns or lacks the SUM and COUNT parts of AVG",
                         i, m->ndefs);
            return SP_EINVAL;
        }
        if (c->agg != SP_MERGE_AGG_NONE && !spec->grouped) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "merge spec: column entry %zu is an aggregate but the merge is not grouped",
                         i);
            return SP_EINVAL;
        }

        info = &m->cols[sp_merge_resolve(m, c->col)];
        switch (c->agg) {
        case SP_MERGE_AGG_NONE:
            break;
        case SP_MERGE_AGG_COUNT:
            info->role = SP_MERGE_ROLE_COUNT;
            break;
        case SP_MERGE_AGG_SUM:
            info->role = merge_sum_role(info);
            break;
        case SP_MERGE_AGG_MIN:
        case SP_MERGE_AGG_MAX:
            info->role = c->agg == SP_MERGE_AGG_MIN ? SP_MERGE_ROLE_MIN : SP_MERGE_ROLE_MAX;
            if (c->weight_col != SP_MERGE_NO_COLUMN) {
                size_t weight = sp_merge_resolve(m, c->weight_col);

                /* The weight column still follows the winning row, but only strings use it. */
                m->cols[weight].role = SP_MERGE_ROLE_WEIGHT;
                if (merge_def_is_collated_string(&m->defs[sp_merge_resolve(m, c->col)])) {
                    info->weight = weight;
                }
            }
            break;
        case SP_MERGE_AGG_AVG:
            info->role = SP_MERGE_ROLE_AVG;
            info->sum = sp_merge_resolve(m, c->sum_col);
            info->count = sp_merge_resolve(m, c->count_col);
            break;
        case SP_MERGE_AGG_EXPR:
            if (sp_merge_expr_check(m, c->expr, sp_merge_resolve(m, c->col), err) != SP_OK) {
                return SP_EINVAL;
            }
            info->role = SP_MERGE_ROLE_EXPR;
            info->expr = c->expr;
            m->has_expr = true;
            break;
        case SP_MERGE_AGG_COUNT_DISTINCT:
        case SP_MERGE_AGG_SUM_DISTINCT:
        case SP_MERGE_AGG_AVG_DISTINCT:
            if (merge_setup_distinct_column(m, info, c, err) != SP_OK) {
                return SP_ENOMEM;
            }
            break;
        }
    }

    for (size_t i = 0; i < m->ndefs; i++) {
        struct sp_merge_colinfo *info = &m->cols[i];

        if (info->role != SP_MERGE_ROLE_AVG) {
            continue;
        }
        if (m->cols[info->sum].role == SP_MERGE_ROLE_PLAIN) {
            m->cols[info->sum].role = merge_sum_role(&m->cols[info->sum]);
        }
        if (m->cols[info->count].role == SP_MERGE_ROLE_PLAIN) {
            m->cols[info->count].role = SP_MERGE_ROLE_COUNT;
        }
    }
    return SP_OK;
}

/*
 * Equal rows are adjacent in the merged order, so DISTINCT needs no set,
 * when the ORDER BY keys are exactly visible columns and cover them all.
 */
static bool
merge_order_covers_visible(const struct sp_merger *m)
{
    for (size_t i = 0; i < m->norder; i++) {
        if (m->order[i].col >= m->nvisible) {
            return false;
        }
    }
    for (size_t col = 0; col < m->nvisible; col++) {
        bool found = false;

        for (size_t i = 0; i < m->norder && !found; i++) {
            found = m->order[i].col == col;
        }
        if (!found) {
            return false;
        }
    }
    return true;
}

static void
merge_setup_distinct(struct sp_merger *m)
{
    const struct sp_merge_keyref *lists[2] = {m->order, m->group};
    size_t counts[2] = {m->norder, m->ngroup};

    for (size_t l = 0; l < 2; l++) {
        for (size_t i = 0; i < counts[l]; i++) {
            const struct sp_merge_keyref *k = &lists[l][i];

            if (k->col < m->nvisible && k->weight != SP_MERGE_NONE) {
                m->cols[k->col].distinct_src = k->weight;
            }
        }
    }
    /* Plain visible columns that the router gave a weight for DISTINCT. */
    for (size_t i = 0; i < m->spec->ncolumns; i++) {
        const struct sp_merge_column *c = &m->spec->columns[i];
        size_t col;

        if (c->agg != SP_MERGE_AGG_NONE || c->weight_col == SP_MERGE_NO_COLUMN) {
            continue;
        }
        col = sp_merge_resolve(m, c->col);
        if (col < m->nvisible && merge_def_is_collated_string(&m->defs[col])) {
            m->cols[col].distinct_src = sp_merge_resolve(m, c->weight_col);
        }
    }
    /*
     * NOTE: a collated string column without a weight (one inside SELECT *)
     * is compared by its bytes, so DISTINCT keeps 'a' and 'A' apart where a
     * case-insensitive server would return one row.
     */
    m->distinct_adjacent = m->mode == SP_MERGE_MODE_STREAM && merge_order_covers_visible(m);
}

static int
merge_check_spec(const struct sp_merge_spec *spec, const struct sp_column_def *defs, size_t ndefs,
                 struct sp_error *err)
{
    if (spec == NULL || defs == NULL || ndefs == 0) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "merge spec: missing spec or column definitions");
        return SP_EINVAL;
    }
    if (spec->nhidden >= ndefs) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "merge spec: %u hidden columns leave no visible one among %zu shard columns",
                     spec->nhidden, ndefs);
        return SP_EINVAL;
    }
    if (!spec->grouped && (spec->ngroup_keys > 0 || spec->having != NULL)) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "merge spec: GROUP BY keys or HAVING without a grouped merge");
        return SP_EINVAL;
    }
    if ((spec->ncolumns > 0 && spec->columns == NULL) ||
        (spec->ngroup_keys > 0 && spec->group_keys == NULL) ||
        (spec->norder_keys > 0 && spec->order_keys == NULL)) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000", "merge spec: an array is missing");
        return SP_EINVAL;
    }
    return SP_OK;
}

static int
merge_setup(struct sp_merger *m, const struct sp_merge_spec *spec, struct sp_error *err)
{
    int rc;

    for (size_t i = 0; i < m->ndefs; i++) {
        m->cols[i].cls = sp_merge_class_of(m->defs[i].type);
        m->cols[i].role = SP_MERGE_ROLE_PLAIN;
        m->cols[i].weight = SP_MERGE_NONE;
        m->cols[i].sum = SP_MERGE_NONE;
        m->cols[i].count = SP_MERGE_NONE;
        m->cols[i].distinct_src = i;
    }

    rc = merge_resolve_keys(m, spec->order_keys, spec->norder_keys, &m->order, "ORDER BY", err);
    if (rc != SP_OK) {
        return rc;
    }
    m->norder = spec->norder_keys;
    rc = merge_resolve_keys(m, spec->group_keys, spec->ngroup_keys, &m->group, "GROUP BY", err);
    if (rc != SP_OK) {
        return rc;
    }
    m->ngroup = spec->ngroup_keys;

    rc = merge_setup_columns(m, err);
    if (rc != SP_OK) {
        return rc;
    }
    if (spec->having != NULL) {
        rc = merge_check_having(m, spec->having, 0, err);
        if (rc != SP_OK) {
            return rc;
        }
    }

    if (spec->grouped) {
        m->mode = SP_MERGE_MODE_GROUPED;
    } else if (m->norder > 0) {
        m->mode = SP_MERGE_MODE_STREAM;
    } else {
        m->mode = SP_MERGE_MODE_PASS;
    }
    merge_setup_distinct(m);
    return SP_OK;
}

int
sp_merger_create(const struct sp_merge_spec *spec, const struct sp_column_def *defs, size_t ndefs,
                 size_t nlegs, size_t max_rows, struct sp_merger **out, struct sp_error *err)
{
    struct sp_merger *m;
    int rc;

    *out = NULL;
    rc = merge_check_spec(spec, defs, ndefs, err);
    if (rc != SP_OK) {
        return rc;
    }

    m = calloc(1, sizeof(*m));
    if (m == NULL) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory while creating a merger");
        return SP_ENOMEM;
    }
    m->spec = spec;
    m->ndefs = ndefs;
    m->nvisible = ndefs - spec->nhidden;
    m->nlegs = nlegs;
    m->max_rows = max_rows;
    m->queue_max = nlegs * SP_MERGE_LEG_QUEUE_MAX > max_rows ? nlegs * SP_MERGE_LEG_QUEUE_MAX
                                                             : max_rows;
    sp_buf_init(&m->prev_key);
    sp_buf_init(&m->key);
    sp_buf_init(&m->expr_text);

    m->defs = calloc(ndefs, sizeof(*m->defs));
    m->cols = calloc(ndefs, sizeof(*m->cols));
    m->legs = calloc(nlegs > 0 ? nlegs : 1, sizeof(*m->legs));
    m->row_vals = calloc(ndefs, sizeof(*m->row_vals));
    m->row_nulls = calloc(ndefs, sizeof(*m->row_nulls));
    m->expr_operands = calloc(ndefs, sizeof(*m->expr_operands));
    if (m->defs == NULL || m->cols == NULL || m->legs == NULL || m->row_vals == NULL ||
        m->row_nulls == NULL || m->expr_operands == NULL) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory while creating a merger");
        rc = SP_ENOMEM;
        goto fail;
    }

    /* Only the type fields are kept: the name views borrow the caller's packets. */
    for (size_t i = 0; i < ndefs; i++) {
        m->defs[i].charset = defs[i].charset;
        m->defs[i].column_length = defs[i].column_length;
        m->defs[i].type = defs[i].type;
        m->defs[i].flags = defs[i].flags;
        m->defs[i].decimals = defs[i].decimals;
    }

    rc = merge_setup(m, spec, err);
    if (rc != SP_OK) {
        goto fail;
    }

    *out = m;
    return SP_OK;

fail:
    sp_merger_destroy(m);
    return rc;
}

static void
merge_queue_free(struct sp_merge_queue *q)
{
    struct sp_merge_row *r = q->head, *next;

    for (; r != NULL; r = next) {
        next = r->next;
        free(r);
    }
    memset(q, 0, sizeof(*q));
}

void
sp_merger_destroy(struct sp_merger *m)
{
    if (m == NULL) {
        return;
    }

    if (m->legs != NULL) {
        for (size_t i = 0; i < m->nlegs; i++) {
            merge_queue_free(&m->legs[i].queue);
        }
    }
    merge_queue_free(&m->pass);
    merge_seen_free(&m->seen);
    sp_merge_group_free_all(m);

    sp_buf_deinit(&m->prev_key);
    sp_buf_deinit(&m->key);
    sp_buf_deinit(&m->expr_text);
    free(m->expr_operands);
    free(m->row_vals);
    free(m->row_nulls);
    free(m->order);
    free(m->group);
    free(m->legs);
    if (m->cols != NULL) {
        for (size_t i = 0; i < m->ndefs; i++) {
            free(m->cols[i].dargs);
        }
    }
    free(m->cols);
    free(m->defs);
    free(m);
}

size_t
sp_merger_nvisible(const struct sp_merger *m)
{
    return m->nvisible;
}

bool
sp_merger_satisfied(const struct sp_merger *m)
{
    return m->spec->has_limit && m->emitted >= m->spec->limit;
}

/* ---- input ---- */

static int
merge_row_copy(struct sp_merger *m, const uint8_t *payload, size_t len, struct sp_merge_row **out)
{
    size_t vals_off = sizeof(struct sp_merge_row);
    size_t nulls_off = vals_off + m->ndefs * sizeof(struct sp_str);
    size_t payload_off = nulls_off + m->ndefs * sizeof(bool);
    struct sp_merge_row *r;
    uint8_t *copy;
    int rc;

    r = malloc(payload_off + len);
    if (r == NULL) {
        return SP_ENOMEM;
    }
    r->next = NULL;
    r->vals = (struct sp_str *)((uint8_t *)r + vals_off);
    r->nulls = (bool *)((uint8_t *)r + nulls_off);
    copy = (uint8_t *)r + payload_off;
    if (len > 0) {
        memcpy(copy, payload, len);
    }

    rc = sp_text_row_parse(copy, len, m->ndefs, r->vals, r->nulls);
    if (rc != SP_OK) {
        free(r);
        return rc;
    }
    *out = r;
    return SP_OK;
}

static void
merge_queue_push(struct sp_merge_queue *q, struct sp_merge_row *r)
{
    if (q->tail == NULL) {
        q->head = r;
    } else {
        q->tail->next = r;
    }
    q->tail = r;
    q->count++;
}

static struct sp_merge_row *
merge_queue_pop(struct sp_merge_queue *q)
{
    struct sp_merge_row *r = q->head;

    q->head = r->next;
    if (q->head == NULL) {
        q->tail = NULL;
    }
    q->count--;
    return r;
}

int
sp_merger_push_row(struct sp_merger *m, size_t leg, const uint8_t *payload, size_t len,
                   struct sp_error *err)
{
    struct sp_merge_row *r;
    int rc;

    if (m->status != SP_OK) {
        if (err != NULL) {
            *err = m->error;
        }
        return m->status;
    }
    if (leg >= m->nlegs || m->legs[leg].done) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "merge: row for shard leg %zu, which is unknown or already done", leg);
        return SP_EINVAL;
    }
    /* Past LIMIT nothing more is sent, so later rows are dropped unread. */
    if (sp_merger_satisfied(m)) {
        return SP_OK;
    }

    if (m->mode == SP_MERGE_MODE_GROUPED) {
        rc = sp_text_row_parse(payload, len, m->ndefs, m->row_vals, m->row_nulls);
        if (rc != SP_OK) {
            return sp_merge_fail(m, rc, err, "shard leg %zu sent a row without its %zu columns",
                                 leg, m->ndefs);
        }
        return sp_merge_group_push(m, (struct sp_merge_view){m->row_vals, m->row_nulls}, err);
    }

    if (m->nqueued >= m->queue_max) {
        return sp_merge_fail(m, SP_ERANGE, err,
                             "cross-shard merge has more than %zu rows waiting to be merged; "
                             "raise max_merge_rows (%zu)",
                             m->queue_max, m->max_rows);
    }
    rc = merge_row_copy(m, payload, len, &r);
    if (rc == SP_EPROTO) {
        return sp_merge_fail(m, rc, err, "shard leg %zu sent a row without its %zu columns", leg,
                             m->ndefs);
    }
    if (rc != SP_OK) {
        return sp_merge_fail(m, rc, err, "out of memory while queueing a shard row");
    }

    merge_queue_push(m->mode == SP_MERGE_MODE_PASS ? &m->pass : &m->legs[leg].queue, r);
    m->nqueued++;
    return SP_OK;
}

void
sp_merger_leg_done(struct sp_merger *m, size_t leg)
{
    if (leg >= m->nlegs || m->legs[leg].done) {
        return;
    }
    m->legs[leg].done = true;
    m->nlegs_done++;
}

bool
sp_merger_leg_full(const struct sp_merger *m, size_t leg)
{
    if (leg >= m->nlegs || sp_merger_satisfied(m)) {
        return false;
    }

    switch (m->mode) {
    case SP_MERGE_MODE_STREAM:
        return m->legs[leg].queue.count >= SP_MERGE_LEG_QUEUE_FULL;
    case SP_MERGE_MODE_PASS:
        return m->pass.count >= SP_MERGE_LEG_QUEUE_FULL;
    case SP_MERGE_MODE_GROUPED:
    default:
        return false;
    }
}

/* ---- output ---- */

/*
 * The next row of the k-way merge: the smallest head among the legs, once
 * every leg still sending has a head. The lowest leg wins ties.
 */
static int
merge_stream_pick(struct sp_merger *m, struct sp_merge_row **out)
{
    struct sp_merge_leg *best = NULL;

    for (size_t i = 0; i < m->nlegs; i++) {
        struct sp_merge_leg *leg = &m->legs[i];

        if (leg->queue.head == NULL) {
            if (!leg->done) {
                return SP_EAGAIN;
            }
            continue;
        }
        if (best == NULL ||
            sp_merge_keys_cmp(m, m->order, m->norder,
                              (struct sp_merge_view){leg->queue.head->vals, leg->queue.head->nulls},
                              (struct sp_merge_view){best->queue.head->vals,
                                                     best->queue.head->nulls}) < 0) {
            best = leg;
        }
    }
    if (best == NULL) {
        return SP_ENOTFOUND;
    }
    *out = merge_queue_pop(&best->queue);
    return SP_OK;
}

static int
merge_pass_pick(struct sp_merger *m, struct sp_merge_row **out)
{
    if (m->pass.head == NULL) {
        return m->nlegs_done == m->nlegs ? SP_ENOTFOUND : SP_EAGAIN;
    }
    *out = merge_queue_pop(&m->pass);
    return SP_OK;
}

int
sp_merger_next(struct sp_merger *m, struct sp_buf *out, struct sp_error *err)
{
    struct sp_merge_row *r;
    bool emitted = false;
    int rc;

    if (m->status != SP_OK) {
        if (err != NULL) {
            *err = m->error;
        }
        return m->status;
    }
    if (m->mode == SP_MERGE_MODE_GROUPED) {
        return sp_merge_group_next(m, out, err);
    }

    while (!emitted) {
        if (sp_merger_satisfied(m)) {
            return SP_ENOTFOUND;
        }

        rc = m->mode == SP_MERGE_MODE_STREAM ? merge_stream_pick(m, &r) : merge_pass_pick(m, &r);
        if (rc != SP_OK) {
            return rc;
        }
        m->nqueued--;

        rc = sp_merge_offer(m, (struct sp_merge_view){r->vals, r->nulls}, out, err, &emitted);
        free(r);
        if (rc != SP_OK) {
            return rc;
        }
    }
    return SP_OK;
}

uint64_t
sp_merger_skipped(const struct sp_merger *m)
{
    return m->skipped;
}
