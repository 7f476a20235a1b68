/*
 * Read routing: the node a leg runs on (see exec_route.c).
 */
#ifndef SP_PROXY_EXEC_ROUTE_H
#define SP_PROXY_EXEC_ROUTE_H

#include <stdbool.h>
#include <stdint.h>

#include "router/router.h"

struct sp_session;

/* Whether PLAN, run as COMMAND now, may read from a replica. */
bool exec_route_replica_allowed(const struct sp_session *s, const struct sp_plan *plan,
                                uint8_t command);

/*
 * The node for a leg on SHARD: a replica when REPLICA_ALLOWED and one is
 * usable, else the primary. HINTED: a hint comment asked for a replica,
 * which then need not have the session's writes. AVOID_NODE is skipped (a
 * replica that just failed the leg), UINT32_MAX for none.
 */
uint32_t exec_route_node(struct sp_session *s, uint32_t shard, bool replica_allowed, bool hinted,
                         uint32_t avoid_node);

/* The session's write on SHARD's primary ended now: later reads must see it. */
void exec_route_note_write(struct sp_session *s, uint32_t shard);

#endif
