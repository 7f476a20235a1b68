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

/* Whether the session has a transaction open, begun or still to begin on its shards. */
bool exec_route_in_transaction(const struct sp_session *s);

/*
 * Whether PLAN, run as COMMAND, may change data by itself: a write, DDL, a
 * locking read or a read with side effects. SET, BEGIN, COMMIT, ROLLBACK,
 * savepoints, SHOW and USE do not.
 */
bool exec_route_changes_data(const struct sp_session *s, const struct sp_plan *plan,
                             uint8_t command);

/*
 * Moves the session's transaction to the primaries. Closes the replica
 * connections of the transaction, which only read, and sends its later
 * reads to primaries.
 */
void exec_route_leave_replicas(struct sp_session *s);

/*
 * A statement ended on SHARD's primary. After a write, or a COMMIT that
 * follows writes, the session's later reads must see what it changed.
 */
void exec_route_note_end(struct sp_session *s, uint32_t shard, bool wrote, bool committed);

#endif
