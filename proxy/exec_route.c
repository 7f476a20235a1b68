/*
 * Read routing: the choice of the server a leg runs on, the shard's
 * primary or one of its replicas.
 *
 * A read goes to a replica when the router found it free of locking
 * clauses and side effects, and the policy or a hint comment allows it.
 * Inside a transaction, that holds only until the transaction's first
 * write, and only for READ ONLY transactions or with transaction_reads
 * "replica". Among the replicas that the health monitor
 * marks readable, those in the proxy's region come first. The others come
 * next, if the config allows. Within a group, the replica with the fewest
 * requests in flight from this worker wins. With read_your_writes, a
 * replica qualifies for a shard the session wrote to only once it has
 * applied everything the primary had committed when that write ended.
 */
#include "proxy/exec_route.h"

#include <stdatomic.h>

#include "common/clock.h"
#include "protocol/command.h"
#include "proxy/backend.h"
#include "proxy/session.h"
#include "proxy/worker.h"

bool
exec_route_replica_allowed(const struct sp_session *s, const struct sp_plan *plan, uint8_t command)
{
    const struct sp_config *cfg = s->worker->proxy->cfg;

    if (!plan->read_only || plan->hint == SP_HINT_PRIMARY) {
        return false;
    }
    if (cfg->read_policy == SP_READ_PRIMARY && plan->hint != SP_HINT_REPLICA) {
        return false;
    }
    if (command != SP_COM_QUERY && command != SP_COM_STMT_EXECUTE) {
        return false;
    }
    /* A cursor keeps its connection with the session for the fetches that follow. */
    if (command == SP_COM_STMT_EXECUTE && s->exec_ps_flags != 0) {
        return false;
    }
    if (exec_route_in_transaction(s)) {
        /*
         * Until its first write, a READ ONLY transaction, or any with
         * transaction_reads "replica", reads from replicas, on one
         * connection per shard that keeps the transaction's snapshot.
         */
        return !s->txn_wrote &&
               (s->txn_read_only || cfg->transaction_reads == SP_TXN_READS_REPLICA);
    }
    return true;
}

bool
exec_route_in_transaction(const struct sp_session *s)
{
    size_t i;

    if (s->txn_open || s->implicit_txn) {
        return true;
    }
    for (i = 0; i < s->worker->proxy->cfg->nshards; i++) {
        if (s->held[i].backend != NULL && s->held[i].in_trans) {
            return true;
        }
    }
    return false;
}

bool
exec_route_changes_data(const struct sp_session *s, const struct sp_plan *plan, uint8_t command)
{
    if (command != SP_COM_QUERY && command != SP_COM_STMT_EXECUTE) {
        return false; /* prepare, database change, field list, statistics */
    }
    if (s->pending_savepoint != 0) {
        return false;
    }
    switch (plan->stmt) {
    case SP_STMT_SELECT:
        return !plan->read_only;
    case SP_STMT_SHOW:
    case SP_STMT_USE:
    case SP_STMT_EMPTY:
    case SP_STMT_SET:
    case SP_STMT_BEGIN:
    case SP_STMT_COMMIT:
    case SP_STMT_ROLLBACK:
        return false;
    default:
        return true;
    }
}

void
exec_route_leave_replicas(struct sp_session *s)
{
    size_t i;

    s->txn_wrote = true;
    for (i = 0; i < s->worker->proxy->cfg->nshards; i++) {
        struct sp_held_backend *held = &s->held[i];
        struct sp_backend *be = held->backend;

        if (be == NULL || !sp_backend_node(be)->replica) {
            continue;
        }
        /* Its transaction only read, so closing the connection loses nothing. */
        held->backend = NULL;
        held->in_trans = false;
        be->holder = NULL;
        sp_backend_close(be, "the transaction moves to the primary at its first write");
    }
}

/* Requests in flight or waiting on ENDPOINT of this worker's pool. */
static uint32_t
route_outstanding(const struct sp_pool_endpoint *ep)
{
    return ep->nconn - ep->nidle + ep->nwaiters;
}

/* Whether reads of the session may use NODE now. */
static bool
route_usable(const struct sp_session *s, const struct sp_node *node, uint32_t endpoint,
             bool fresh_enough_needed, uint64_t now_ms)
{
    const struct sp_pool_endpoint *ep = &s->worker->pool.endpoints[endpoint];
    uint64_t wrote = s->held[node->shard].wrote_ns;

    if (!atomic_load_explicit(&node->readable, memory_order_acquire)) {
        return false;
    }
    if (ep->avoid_until_ms > now_ms) {
        return false;
    }
    if (fresh_enough_needed && wrote != 0 &&
        atomic_load_explicit(&node->applied_before_ns, memory_order_acquire) <= wrote) {
        return false;
    }
    return true;
}

uint32_t
exec_route_node(struct sp_session *s, uint32_t shard, bool replica_allowed, bool hinted,
                uint32_t avoid_node)
{
    struct sp_worker *w = s->worker;
    const struct sp_topology *topo = &w->proxy->topology;
    const struct sp_config *cfg = w->proxy->cfg;
    uint32_t primary = topo->primary[shard], nusers = (uint32_t)w->proxy->nusers;
    uint32_t user = (uint32_t)(s->user - w->proxy->users);
    uint32_t best = primary, best_load = UINT32_MAX, turn, r, n, i;
    bool fresh_needed = cfg->read_your_writes && !hinted;
    uint64_t now_ms = sp_worker_now_ms(w);
    int pass;

    if (!replica_allowed || topo->nreplicas[shard] == 0) {
        return primary;
    }
    /* Equal loads take turns, so that an idle proxy still spreads its reads. */
    turn = w->pool.route_turn++;
    for (pass = 0; pass < 2 && best == primary; pass++) {
        bool want_local = pass == 0;

        if (!want_local && !cfg->read_from_other_regions) {
            break;
        }
        for (i = 0; i < topo->nreplicas[shard]; i++) {
            const struct sp_node *node;
            uint32_t endpoint, load;

            r = (turn + i) % topo->nreplicas[shard];
            n = primary + 1 + r;
            node = &topo->nodes[n];
            if (node->local != want_local || n == avoid_node) {
                continue;
            }
            endpoint = n * nusers + user;
            if (!route_usable(s, node, endpoint, fresh_needed, now_ms)) {
                continue;
            }
            load = route_outstanding(&w->pool.endpoints[endpoint]);
            if (load < best_load) {
                best = n;
                best_load = load;
            }
        }
    }
    return best;
}

void
exec_route_note_end(struct sp_session *s, uint32_t shard, bool wrote, bool committed)
{
    struct sp_held_backend *held = &s->held[shard];

    /*
     * A write inside a transaction becomes visible at its COMMIT, so that
     * is stamped too. A COMMIT of a transaction that only read is not: it
     * would keep the session's reads on the primary for nothing.
     */
    if (wrote || (committed && held->uncommitted)) {
        held->wrote_ns = sp_clock_ns();
    }
    if (wrote) {
        held->uncommitted = true;
    } else if (committed) {
        held->uncommitted = false;
    }
}
