/*
 * Per-target statement text: the original text with edits applied, some
 * shared by every target (a merge plan's hidden columns, HAVING and LIMIT)
 * and some per target (key IN lists cut to the target's own values).
 *
 * Rewrites are built in the caller's arena. A target that needs no edit
 * keeps the original text, not a copy of it.
 */
#ifndef SP_ROUTER_REWRITE_H
#define SP_ROUTER_REWRITE_H

#include <stddef.h>

#include "common/arena.h"
#include "router/internal.h"
#include "router/shardkey.h"

/* A replacement of the bytes [start, end) of the statement text. */
struct sp_edit {
    const char *start;
    const char *end;
    struct sp_str text;
};

/*
 * Fills ROUTE->targets with one target per shard in ROUTE->shards, in
 * shard order. Each gets TEXT with the NEDITS EDITS (which must not
 * overlap) applied, and with every list of IN_LISTS that contains values
 * of other shards too cut down to its own values. With no edits and no lists
 * ROUTE->targets stays NULL, which means the original text everywhere.
 * Returns SP_OK or SP_ENOMEM.
 */
int sp_rewrite_targets(const struct sp_router *router, struct sp_route *route, struct sp_str text,
                       const struct sp_edit *edits, size_t nedits,
                       const struct sp_shardkey_in_list *in_lists,
                       struct sp_arena *arena) SP_WARN_UNUSED;

#endif
