/*
 * Shard SQL for a cross-shard SELECT that the merger combines: the edits
 * that turn the client's statement into the one every shard runs. They
 * add the hidden columns after the select list, extend or add GROUP BY
 * for aggregates over DISTINCT values, remove HAVING when the merger
 * evaluates it, and widen or remove LIMIT. Nothing here decides what to
 * merge; mergeplan.c does.
 */
#include <inttypes.h>
#include <stdio.h>

#include "router/mergeplan.h"

/* ", expr AS _sp_h0, ..." for the hidden columns, inserted after the select list. */
static int
mp_hidden_edit(struct mergeplan *mp, struct sp_edit *edit)
{
    size_t len = 0, used = 0, i;
    char *buf;
    int n;

    for (i = 0; i < mp->nhidden; i++) {
        len += mp->hidden[i].len + 32;
    }
    buf = sp_arena_alloc(mp->arena, len + 1);
    if (buf == NULL) {
        return SP_ENOMEM;
    }
    for (i = 0; i < mp->nhidden; i++) {
        n = snprintf(buf + used, len + 1 - used, ", %.*s AS _sp_h%zu", (int)mp->hidden[i].len,
                     mp->hidden[i].ptr, i);
        used += (size_t)n;
    }
    edit->start = mp->sel->list_end;
    edit->end = mp->sel->list_end;
    edit->text = sp_str_make(buf, used);
    return SP_OK;
}

/*
 * The arguments of aggregates over DISTINCT values join the shards' GROUP
 * BY: after its last key, or as a new GROUP BY after FROM and WHERE.
 */
static int
mp_distinct_group_edit(struct mergeplan *mp, struct sp_edit *edit)
{
    const struct sp_select *sel = mp->sel;
    size_t len = 16, used = 0;
    char *buf;

    for (size_t i = 0; i < mp->ndistinct_args; i++) {
        len += mp->distinct_args[i].len + 2;
    }
    buf = sp_arena_alloc(mp->arena, len + 1);
    if (buf == NULL) {
        return SP_ENOMEM;
    }
    used = (size_t)snprintf(buf, len + 1, "%s", sel->has_group ? ", " : " GROUP BY ");
    for (size_t i = 0; i < mp->ndistinct_args; i++) {
        used += (size_t)snprintf(buf + used, len + 1 - used, "%s%.*s", i > 0 ? ", " : "",
                                 (int)mp->distinct_args[i].len, mp->distinct_args[i].ptr);
    }
    edit->start = sel->has_group ? sel->group[sel->ngroup - 1].expr.end : sel->group_cut;
    edit->end = edit->start;
    edit->text = sp_str_make(buf, used);
    return SP_OK;
}

int
sp_mergeplan_edits(struct mergeplan *mp, struct sp_edit **edits, size_t *nedits)
{
    const struct sp_select *sel = mp->sel;
    struct sp_edit *e;
    uint64_t rows;
    char *digits;
    size_t n = 0;
    int rc;

    e = sp_arena_alloc(mp->arena, 4 * sizeof(*e));
    digits = sp_arena_alloc(mp->arena, 24);
    if (e == NULL || digits == NULL) {
        return SP_ENOMEM;
    }
    if (mp->nhidden > 0) {
        rc = mp_hidden_edit(mp, &e[n++]);
        if (rc != SP_OK) {
            return rc;
        }
    }
    if (mp->ndistinct_args > 0) {
        rc = mp_distinct_group_edit(mp, &e[n++]);
        if (rc != SP_OK) {
            return rc;
        }
    }
    if (sel->has_having && mp->grouped && !mp->having_on_shards) {
        e[n++] = (struct sp_edit){sel->having_cut, sel->having.end, mp->shard_having};
    }
    if (sel->has_limit && mp->grouped) {
        e[n++] = (struct sp_edit){sel->limit_cut, sel->limit_end, SP_STR_NULL};
    } else if (sel->has_limit && sel->offset > 0) {
        rows = sel->limit > UINT64_MAX - sel->offset ? UINT64_MAX : sel->limit + sel->offset;
        e[n++] = (struct sp_edit){sel->limit_start, sel->limit_end,
                                  sp_str_make(digits, (size_t)snprintf(digits, 24, "%" PRIu64,
                                                                       rows))};
    }
    *edits = e;
    *nedits = n;
    return SP_OK;
}
