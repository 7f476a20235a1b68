/*
 * The servers behind the proxy: each shard's primary and replicas, one
 * node each, and what the health monitor last found out about them.
 *
 * Nodes are numbered shard by shard, the primary first:
 *   shard 0: primary, replica, replica, shard 1: primary, ...
 * The pools keep one endpoint per node and user (node * nusers + user).
 *
 * The monitor thread writes the atomic fields; workers read them on the
 * per-statement path without a lock. Everything else is fixed at start.
 */
#ifndef SP_PROXY_TOPOLOGY_H
#define SP_PROXY_TOPOLOGY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/status.h"
#include "config/config.h"

struct sp_node {
    uint32_t index;
    uint32_t shard;
    bool replica;
    bool local;                 /* in the proxy's region (a node or proxy without one counts as local) */
    const char *shard_name;
    const struct sp_endpoint_cfg *endpoint;

    /* Published by the monitor. */
    atomic_bool readable;       /* a replica that reads may go to */
    /*
     * A replica: every transaction that the primary had committed before
     * this sp_clock_ns() time is applied here. 0 while unknown.
     */
    _Atomic uint64_t applied_before_ns;
};

struct sp_topology {
    struct sp_node *nodes;
    uint32_t nnodes;
    uint32_t nshards;
    uint32_t *primary;          /* per shard: the index of its primary; its replicas follow it */
    uint32_t *nreplicas;        /* per shard */
};

int sp_topology_init(struct sp_topology *t, const struct sp_config *cfg) SP_WARN_UNUSED;
void sp_topology_deinit(struct sp_topology *t);

/* The node of shard SHARD's primary. */
static inline const struct sp_node *
sp_topology_primary(const struct sp_topology *t, uint32_t shard)
{
    return &t->nodes[t->primary[shard]];
}

#endif
