/*
 * INSERT and REPLACE into a sharded table: every row's key value decides
 * its shard, and rows for several shards are split into one statement
 * per shard.
 *
 * A plan never drops a row: each row of the original text appears in
 * exactly one rewritten statement, in its original order. Rewrites are
 * built in the caller's arena; nothing else is allocated.
 */
#ifndef SP_ROUTER_INSERT_H
#define SP_ROUTER_INSERT_H

#include "common/arena.h"
#include "common/error.h"
#include "router/internal.h"
#include "router/scan.h"

/*
 * Routes the INSERT or REPLACE that SCAN describes, whose target
 * (SCAN->first) is a sharded table. TEXT is the text the rewritten
 * statements copy their prefix and suffix from. Returns SP_OK with ROUTE
 * filled (a REJECT has ERR set) or SP_ENOMEM.
 */
int sp_insert_route(const struct sp_router *router, const struct sp_scan *scan, struct sp_str text,
                    struct sp_arena *arena, struct sp_route *route,
                    struct sp_error *err) SP_WARN_UNUSED;

#endif
