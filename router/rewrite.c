/*
 * Per-target rewrites: shared edits plus IN lists cut to each target's
 * values, applied to the statement text in one pass per target. Nothing
 * is allocated outside the caller's arena.
 */
#include "router/rewrite.h"

#include <string.h>

/* Builds the replacement text of LIST for SHARD: its values of that shard, comma-separated. */
static int
rewrite_in_list(const struct sp_shardkey_in_list *list, uint32_t shard, struct sp_arena *arena,
                struct sp_edit *edit, bool *needed)
{
    size_t len = 0, count = 0, used = 0, i;
    char *buf;

    for (i = 0; i < list->nvalues; i++) {
        if (list->values[i].shard == shard) {
            len += list->values[i].text.len + 2;
            count++;
        }
    }
    /*
     * A list without values of SHARD is in a condition that did not
     * restrict the route, such as one side of an OR: it stays whole.
     */
    *needed = count > 0 && count < list->nvalues;
    if (!*needed) {
        return SP_OK;
    }

    buf = sp_arena_alloc(arena, len);
    if (buf == NULL) {
        return SP_ENOMEM;
    }
    for (i = 0; i < list->nvalues; i++) {
        if (list->values[i].shard != shard) {
            continue;
        }
        if (used > 0) {
            memcpy(buf + used, ", ", 2);
            used += 2;
        }
        memcpy(buf + used, list->values[i].text.ptr, list->values[i].text.len);
        used += list->values[i].text.len;
    }
    edit->start = list->open;
    edit->end = list->close;
    edit->text = sp_str_make(buf, used);
    return SP_OK;
}

/* Sorts the few edits of one target by position (insertion sort). */
static void
rewrite_sort(struct sp_edit *edits, size_t n)
{
    struct sp_edit e;
    size_t i, j;

    for (i = 1; i < n; i++) {
        e = edits[i];
        for (j = i; j > 0 && edits[j - 1].start > e.start; j--) {
            edits[j] = edits[j - 1];
        }
        edits[j] = e;
    }
}

/* Applies the sorted EDITS to TEXT into a new string in ARENA. */
static int
rewrite_apply(struct sp_str text, const struct sp_edit *edits, size_t n, struct sp_arena *arena,
              struct sp_str *out)
{
    const char *from = text.ptr;
    size_t len = text.len, used = 0, i;
    char *buf;

    for (i = 0; i < n; i++) {
        len = len - (size_t)(edits[i].end - edits[i].start) + edits[i].text.len;
    }
    buf = sp_arena_alloc(arena, len > 0 ? len : 1);
    if (buf == NULL) {
        return SP_ENOMEM;
    }
    for (i = 0; i < n; i++) {
        memcpy(buf + used, from, (size_t)(edits[i].start - from));
        used += (size_t)(edits[i].start - from);
        if (edits[i].text.len > 0) {
            memcpy(buf + used, edits[i].text.ptr, edits[i].text.len);
            used += edits[i].text.len;
        }
        from = edits[i].end;
    }
    memcpy(buf + used, from, (size_t)(text.ptr + text.len - from));
    used += (size_t)(text.ptr + text.len - from);
    *out = sp_str_make(buf, used);
    return SP_OK;
}

int
sp_rewrite_targets(const struct sp_router *router, struct sp_route *route, struct sp_str text,
                   const struct sp_edit *edits, size_t nedits,
                   const struct sp_shardkey_in_list *in_lists, struct sp_arena *arena)
{
    const struct sp_shardkey_in_list *list;
    struct sp_plan_target *targets;
    struct sp_edit *scratch;
    size_t nlists = 0, ntargets, n, i = 0;
    uint32_t shard;
    bool needed;
    int rc;

    if (nedits == 0 && in_lists == NULL) {
        return SP_OK;
    }
    for (list = in_lists; list != NULL; list = list->next) {
        nlists++;
    }
    ntargets = sp_shard_set_count(router, &route->shards);
    targets = sp_arena_alloc(arena, ntargets * sizeof(*targets));
    scratch = sp_arena_alloc(arena, (nedits + nlists) * sizeof(*scratch) + 1);
    if (targets == NULL || scratch == NULL) {
        return SP_ENOMEM;
    }

    for (shard = 0; shard < router->nshards; shard++) {
        if (!sp_shard_set_has(&route->shards, shard)) {
            continue;
        }
        if (nedits > 0) {
            memcpy(scratch, edits, nedits * sizeof(*edits));
        }
        n = nedits;
        for (list = in_lists; list != NULL; list = list->next) {
            rc = rewrite_in_list(list, shard, arena, &scratch[n], &needed);
            if (rc != SP_OK) {
                return rc;
            }
            n += needed ? 1 : 0;
        }

        targets[i].shard = shard;
        targets[i].sql = text;
        if (n > 0) {
            rewrite_sort(scratch, n);
            rc = rewrite_apply(text, scratch, n, arena, &targets[i].sql);
            if (rc != SP_OK) {
                return rc;
            }
        }
        i++;
    }
    route->targets = targets;
    route->ntargets = ntargets;
    return SP_OK;
}
