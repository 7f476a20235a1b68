/*
 * Builds the node table from the config.
 */
#include "proxy/topology.h"

#include <stdlib.h>
#include <string.h>

/* A node without a region, or a proxy without one, is in the proxy's region. */
static bool
topology_is_local(const struct sp_config *cfg, const struct sp_endpoint_cfg *ep)
{
    return cfg->region == NULL || ep->region == NULL || strcmp(cfg->region, ep->region) == 0;
}

static void
topology_set_node(struct sp_topology *t, const struct sp_config *cfg, uint32_t index,
                  uint32_t shard, const struct sp_endpoint_cfg *ep, bool replica)
{
    struct sp_node *n = &t->nodes[index];

    n->index = index;
    n->shard = shard;
    n->replica = replica;
    n->local = topology_is_local(cfg, ep);
    n->shard_name = cfg->shards[shard].name;
    n->endpoint = ep;
    atomic_init(&n->readable, false);
    atomic_init(&n->applied_before_ns, 0);
}

int
sp_topology_init(struct sp_topology *t, const struct sp_config *cfg)
{
    uint32_t s, r, next = 0, total = 0;

    memset(t, 0, sizeof(*t));
    for (s = 0; s < cfg->nshards; s++) {
        total += 1 + (uint32_t)cfg->shards[s].nreplicas;
    }
    t->nodes = calloc(total, sizeof(*t->nodes));
    t->primary = calloc(cfg->nshards, sizeof(*t->primary));
    t->nreplicas = calloc(cfg->nshards, sizeof(*t->nreplicas));
    if (t->nodes == NULL || t->primary == NULL || t->nreplicas == NULL) {
        sp_topology_deinit(t);
        return SP_ENOMEM;
    }
    t->nnodes = total;
    t->nshards = (uint32_t)cfg->nshards;

    for (s = 0; s < cfg->nshards; s++) {
        const struct sp_shard_cfg *shard = &cfg->shards[s];

        t->primary[s] = next;
        t->nreplicas[s] = (uint32_t)shard->nreplicas;
        topology_set_node(t, cfg, next++, s, &shard->primary, false);
        for (r = 0; r < shard->nreplicas; r++) {
            topology_set_node(t, cfg, next++, s, &shard->replicas[r], true);
        }
    }
    return SP_OK;
}

void
sp_topology_deinit(struct sp_topology *t)
{
    free(t->nodes);
    free(t->primary);
    free(t->nreplicas);
    memset(t, 0, sizeof(*t));
}
