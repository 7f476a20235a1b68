/*
 * Backend connection pools of one worker. Endpoints are (shard, backend
 * user) pairs: index shard * nusers + user. Lists are intrusive: a backend
 * is either in its endpoint's idle list, in its connecting list, or
 * borrowed by a leg.
 */
#include "proxy/pool.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/command.h"
#include "proxy/backend.h"
#include "proxy/log.h"
#include "proxy/worker.h"

static void
list_push(struct sp_backend **head, struct sp_backend *be)
{
    be->prev = NULL;
    be->next = *head;
    if (*head != NULL) {
        (*head)->prev = be;
    }
    *head = be;
}

static void
list_remove(struct sp_backend **head, struct sp_backend *be)
{
    if (be->prev != NULL) {
        be->prev->next = be->next;
    } else {
        *head = be->next;
    }
    if (be->next != NULL) {
        be->next->prev = be->prev;
    }
    be->next = NULL;
    be->prev = NULL;
}

static void
waiter_remove(struct sp_pool_endpoint *ep, struct sp_pool_waiter *w)
{
    if (w->prev != NULL) {
        w->prev->next = w->next;
    } else {
        ep->waiters_head = w->next;
    }
    if (w->next != NULL) {
        w->next->prev = w->prev;
    } else {
        ep->waiters_tail = w->prev;
    }
    w->next = NULL;
    w->prev = NULL;
    w->queued = false;
    ep->nwaiters--;
}

static void
waiter_append(struct sp_pool_endpoint *ep, struct sp_pool_waiter *w)
{
    w->next = NULL;
    w->prev = ep->waiters_tail;
    if (ep->waiters_tail != NULL) {
        ep->waiters_tail->next = w;
    } else {
        ep->waiters_head = w;
    }
    ep->waiters_tail = w;
    w->queued = true;
    ep->nwaiters++;
}

static int
resolve_endpoint(struct sp_pool_endpoint *ep)
{
    struct addrinfo hints, *res = NULL;
    char port[8];
    int rc;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    snprintf(port, sizeof(port), "%u", ep->port);

    /* Runs once per worker at start-up, on the main thread, never on a loop. */
    rc = getaddrinfo(ep->host, port, &hints, &res);
    if (rc != 0 || res == NULL) {
        sp_log_error("resolve_failed", "shard=%s host=%s error=\"%s\"", ep->shard_name, ep->host,
                     gai_strerror(rc));
        return SP_EINVAL;
    }
    memcpy(&ep->addr, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    return SP_OK;
}

int
sp_pool_init(struct sp_pool *pool, struct sp_worker *w)
{
    const struct sp_config *cfg = w->proxy->cfg;
    const struct sp_topology *topo = &w->proxy->topology;
    size_t n, u;
    int rc;

    memset(pool, 0, sizeof(*pool));
    pool->worker = w;
    sp_stmt_uses_init(&pool->stmt_uses);
    pool->max_per_endpoint = cfg->pool_max_per_backend;
    pool->idle_timeout_ms = cfg->pool_idle_timeout_ms;
    pool->wait_timeout_ms = cfg->pool_wait_timeout_ms;
    pool->connect_timeout_ms = cfg->connect_timeout_ms;
    pool->nendpoints = (uint32_t)(topo->nnodes * cfg->nusers);
    pool->endpoints = calloc(pool->nendpoints, sizeof(*pool->endpoints));
    if (pool->endpoints == NULL) {
        return SP_ENOMEM;
    }

    for (n = 0; n < topo->nnodes; n++) {
        const struct sp_node *node = &topo->nodes[n];

        for (u = 0; u < cfg->nusers; u++) {
            struct sp_pool_endpoint *ep = &pool->endpoints[n * cfg->nusers + u];

            ep->node = node;
            ep->shard_name = node->shard_name;
            ep->host = node->endpoint->host;
            ep->port = node->endpoint->port;
            ep->user = cfg->users[u].backend_user;
            ep->password = cfg->users[u].backend_password;
            rc = resolve_endpoint(ep);
            if (rc != SP_OK) {
                return rc;
            }
        }
    }
    return SP_OK;
}

void
sp_pool_deinit(struct sp_pool *pool)
{
    free(pool->endpoints);
    pool->endpoints = NULL;
    sp_stmt_uses_free(&pool->stmt_uses);
}

/* Whether a backend statement has no client statement left that uses its text. */
static bool
pool_stmt_unused(const struct sp_backend_stmt *stmt, void *ctx)
{
    const struct sp_pool *pool = ctx;

    return !sp_stmt_uses_has(&pool->stmt_uses, stmt->sql);
}

static bool
pool_stmt_has_sql(const struct sp_backend_stmt *stmt, void *ctx)
{
    return sp_str_eq(stmt->sql, *(const struct sp_str *)ctx);
}

/* Closes BE's statements that DROP selects; a failed send closes the connection. */
static bool
pool_close_stmts(struct sp_backend *be, bool (*drop)(const struct sp_backend_stmt *, void *),
                 void *ctx)
{
    uint32_t id;

    while (sp_backend_stmts_take_if(&be->stmts, drop, ctx, &id)) {
        uint8_t arg[4] = {(uint8_t)id, (uint8_t)(id >> 8), (uint8_t)(id >> 16),
                          (uint8_t)(id >> 24)};

        if (sp_backend_send_command(be, SP_COM_STMT_CLOSE, arg, sizeof(arg)) != SP_OK) {
            sp_backend_close(be, "cannot close a prepared statement");
            return false;
        }
    }
    return true;
}

/* At most one connect failure line per endpoint and second. */
#define POOL_FAILURE_LOG_INTERVAL_MS 1000

void
sp_pool_avoid(struct sp_pool *pool, uint32_t endpoint)
{
    pool->endpoints[endpoint].avoid_until_ms =
        sp_worker_now_ms(pool->worker) + pool->worker->proxy->cfg->health_interval_ms;
}

bool
sp_pool_connect_failed(struct sp_pool *pool, uint32_t endpoint, uint32_t *unlogged)
{
    struct sp_pool_endpoint *ep = &pool->endpoints[endpoint];
    uint64_t now = sp_worker_now_ms(pool->worker);

    ep->failures++;
    sp_pool_avoid(pool, endpoint);
    if (ep->failures > 1 && now - ep->failure_logged_ms < POOL_FAILURE_LOG_INTERVAL_MS) {
        ep->failures_unlogged++;
        return false;
    }
    *unlogged = ep->failures_unlogged;
    ep->failures_unlogged = 0;
    ep->failure_logged_ms = now;
    return true;
}

void
sp_pool_connect_succeeded(struct sp_pool *pool, uint32_t endpoint)
{
    struct sp_pool_endpoint *ep = &pool->endpoints[endpoint];

    if (ep->failures > 0) {
        sp_log_info("backend_reachable", "worker=%u shard=%s addr=%s:%u failed_attempts=%u",
                    pool->worker->id, ep->shard_name, ep->host, ep->port, ep->failures);
    }
    ep->failures = 0;
    ep->failures_unlogged = 0;
}

void
sp_pool_stmt_used(struct sp_pool *pool, struct sp_str sql)
{
    if (sp_stmt_uses_add(&pool->stmt_uses, sql) != SP_OK) {
        /* The text then looks unused, so connections close it early: slower, still correct. */
        sp_log_warn("stmt_uses_failed", "worker=%u error=\"out of memory\"", pool->worker->id);
    }
}

void
sp_pool_stmt_released(struct sp_pool *pool, struct sp_str sql)
{
    if (!sp_stmt_uses_remove(&pool->stmt_uses, sql)) {
        return;
    }
    for (uint32_t e = 0; e < pool->nendpoints; e++) {
        struct sp_backend *be = pool->endpoints[e].idle, *next;

        for (; be != NULL; be = next) {
            next = be->next;
            pool_close_stmts(be, pool_stmt_has_sql, &sql);
        }
    }
}

/* Opens one more connection for EP; the result arrives in sp_pool_on_connected. */
static int
pool_open(struct sp_pool *pool, uint32_t endpoint, uint16_t collation, bool found_rows)
{
    struct sp_pool_endpoint *ep = &pool->endpoints[endpoint];
    struct sp_backend *be;

    be = sp_backend_connect(pool->worker, endpoint, collation, found_rows);
    if (be == NULL) {
        return SP_EIO;
    }
    ep->nconn++;
    ep->nconnecting++;
    list_push(&ep->connecting, be);
    return SP_OK;
}

/*
 * Whether BE can serve W: the same CLIENT_FOUND_ROWS setting (it changes
 * affected-row counts), and no current database when the session has none
 * (a connection cannot leave its database again).
 */
static bool
pool_backend_fits(const struct sp_backend *be, const struct sp_pool_waiter *w)
{
    return be->found_rows == w->found_rows && (!w->without_db || be->dblen == 0);
}

int
sp_pool_get(struct sp_pool *pool, struct sp_pool_waiter *waiter, struct sp_backend **out)
{
    struct sp_pool_endpoint *ep;
    struct sp_backend *be;
    int rc;

    if (waiter->endpoint >= pool->nendpoints) {
        return SP_EINVAL;
    }
    ep = &pool->endpoints[waiter->endpoint];

    for (be = ep->idle; be != NULL; be = be->next) {
        if (pool_backend_fits(be, waiter)) {
            list_remove(&ep->idle, be);
            be->idle = false;
            ep->nidle--;
            *out = be;
            return SP_OK;
        }
    }

    if (ep->nconn >= pool->max_per_endpoint && ep->idle != NULL) {
        /* Full, but no idle connection fits: replace the least recently used. */
        for (be = ep->idle; be->next != NULL; be = be->next) {
        }
        sp_backend_close(be, "replaced by a connection that fits the session");
    }

    if (ep->nconn < pool->max_per_endpoint && ep->nconnecting <= ep->nwaiters) {
        rc = pool_open(pool, waiter->endpoint, waiter->collation, waiter->found_rows);
        if (rc != SP_OK) {
            return rc;
        }
    }

    waiter->deadline_ms = sp_worker_now_ms(pool->worker) + pool->wait_timeout_ms;
    waiter_append(ep, waiter);
    return SP_EAGAIN;
}

void
sp_pool_cancel(struct sp_pool *pool, struct sp_pool_waiter *waiter)
{
    if (!waiter->queued) {
        return;
    }
    waiter_remove(&pool->endpoints[waiter->endpoint], waiter);
}

/* Gives BE to the oldest waiter that can use it, or keeps it idle. */
static void
pool_hand_over(struct sp_pool *pool, struct sp_backend *be)
{
    struct sp_pool_endpoint *ep = &pool->endpoints[be->endpoint];
    struct sp_pool_waiter *w;

    for (w = ep->waiters_head; w != NULL; w = w->next) {
        if (pool_backend_fits(be, w)) {
            waiter_remove(ep, w);
            w->cb(w, be, NULL);
            return;
        }
    }

    if (ep->waiters_head != NULL) {
        /* No waiter can use this one: trade it in for one that the oldest can use. */
        w = ep->waiters_head;
        sp_backend_close(be, "replaced by a connection that fits the session");
        if (pool_open(pool, be->endpoint, w->collation, w->found_rows) != SP_OK) {
            sp_log_warn("pool_open_failed", "worker=%u shard=%s", pool->worker->id,
                        ep->shard_name);
        }
        return;
    }

    if (pool->worker->stopping) {
        sp_backend_close(be, "worker stopping");
        return;
    }

    be->idle = true;
    be->idle_since_ms = sp_worker_now_ms(pool->worker);
    list_push(&ep->idle, be);
    ep->nidle++;
    sp_backend_read_start(be);
}

void
sp_pool_put(struct sp_pool *pool, struct sp_backend *be)
{
    be->leg = NULL;
    if (be->state != SP_BACKEND_READY || sp_buf_unread_len(&be->in) != 0) {
        sp_backend_close(be, "returned to the pool in an unclean state");
        return;
    }
    /* Statements that no client uses any more are closed before the connection idles. */
    if (be->stmts.count > 0 && !pool_close_stmts(be, pool_stmt_unused, pool)) {
        return;
    }
    /* Keep a read pending: an idle connection that the server closes is noticed. */
    sp_backend_read_start(be);
    pool_hand_over(pool, be);
}

/* Fails waiters that no pending connection attempt can serve. */
static void
pool_fail_waiters(struct sp_pool *pool, struct sp_pool_endpoint *ep, const struct sp_error *err,
                  uint32_t keep)
{
    struct sp_pool_waiter *w;

    while (ep->nwaiters > keep && (w = ep->waiters_head) != NULL) {
        waiter_remove(ep, w);
        w->cb(w, NULL, err);
    }
}

void
sp_pool_on_connected(struct sp_pool *pool, struct sp_backend *be, const struct sp_error *err)
{
    struct sp_pool_endpoint *ep = &pool->endpoints[be->endpoint];

    if (!be->connecting) {
        return;
    }
    be->connecting = false;
    list_remove(&ep->connecting, be);
    ep->nconnecting--;

    if (err != NULL) {
        pool_fail_waiters(pool, ep, err, ep->nconnecting);
        return;
    }
    pool_hand_over(pool, be);
}

void
sp_pool_on_closed(struct sp_pool *pool, struct sp_backend *be)
{
    struct sp_pool_endpoint *ep = &pool->endpoints[be->endpoint];
    struct sp_pool_waiter *w;

    if (be->idle) {
        list_remove(&ep->idle, be);
        be->idle = false;
        ep->nidle--;
    }
    if (be->connecting) {
        list_remove(&ep->connecting, be);
        be->connecting = false;
        ep->nconnecting--;
    }
    ep->nconn--;

    /* A slot is free again: let the oldest waiter use it. */
    w = ep->waiters_head;
    if (w != NULL && !pool->worker->stopping && ep->nconnecting < ep->nwaiters &&
        ep->nconn < pool->max_per_endpoint) {
        if (pool_open(pool, be->endpoint, w->collation, w->found_rows) != SP_OK) {
            sp_log_warn("pool_open_failed", "worker=%u shard=%s", pool->worker->id,
                        ep->shard_name);
        }
    }
}

void
sp_pool_sweep(struct sp_pool *pool, uint64_t now_ms)
{
    struct sp_error err;
    uint32_t i;

    for (i = 0; i < pool->nendpoints; i++) {
        struct sp_pool_endpoint *ep = &pool->endpoints[i];
        struct sp_backend *be, *next;
        struct sp_pool_waiter *w;

        for (be = ep->idle; be != NULL; be = next) {
            next = be->next;
            if (now_ms - be->idle_since_ms >= pool->idle_timeout_ms) {
                sp_backend_close(be, "idle timeout");
            }
        }

        for (be = ep->connecting; be != NULL; be = next) {
            next = be->next;
            if (now_ms >= be->connect_deadline_ms) {
                sp_backend_fail(be, "connect timed out");
            }
        }

        while ((w = ep->waiters_head) != NULL && now_ms >= w->deadline_ms) {
            sp_error_set(&err, SP_ER_CON_COUNT_ERROR, "08004",
                         "Too many connections: no connection to shard %s became free within %llu ms",
                         ep->shard_name, (unsigned long long)pool->wait_timeout_ms);
            waiter_remove(ep, w);
            w->cb(w, NULL, &err);
        }
    }
}

void
sp_pool_close_all(struct sp_pool *pool)
{
    struct sp_error err;
    uint32_t i;

    sp_error_set(&err, SP_ER_UNKNOWN_ERROR, "HY000", "the proxy is shutting down");
    for (i = 0; i < pool->nendpoints; i++) {
        struct sp_pool_endpoint *ep = &pool->endpoints[i];

        pool_fail_waiters(pool, ep, &err, 0);
        while (ep->idle != NULL) {
            sp_backend_close(ep->idle, "worker stopping");
        }
        while (ep->connecting != NULL) {
            sp_backend_close(ep->connecting, "worker stopping");
        }
    }
}
