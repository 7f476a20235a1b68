/*
 * Per-worker pools of authenticated backend connections, one per node
 * (a shard's primary or one of its replicas) and user. Each pool is bounded: when all
 * connections are busy, requests wait in FIFO order up to
 * pool_wait_timeout_ms. Idle connections keep a read pending, so a server
 * that closes one (restart, KILL, wait_timeout) is noticed and the
 * connection is dropped before anyone borrows it. Only the owning worker's
 * thread may call these functions.
 */
#ifndef SP_PROXY_POOL_H
#define SP_PROXY_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "common/error.h"
#include "common/status.h"
#include "proxy/stmt_uses.h"

struct sp_backend;
struct sp_node;
struct sp_worker;
struct sp_pool_waiter;

/*
 * Called once per waiter: with a ready backend (ERR NULL), or with NULL
 * and ERR set when the wait timed out or the backend could not connect.
 * Never called from inside sp_pool_get.
 */
typedef void (*sp_pool_get_cb)(struct sp_pool_waiter *waiter, struct sp_backend *backend,
                               const struct sp_error *err);

struct sp_pool_waiter {
    struct sp_pool_waiter *next;
    struct sp_pool_waiter *prev;
    uint32_t endpoint;
    uint16_t collation;   /* preferred for a new connection */
    bool found_rows;      /* CLIENT_FOUND_ROWS wanted */
    bool without_db;      /* the session has no current database */
    bool queued;
    uint64_t deadline_ms;
    sp_pool_get_cb cb;
};

struct sp_pool_endpoint {
    const struct sp_node *node;
    const char *shard_name;
    const char *host;
    uint16_t port;
    struct sockaddr_storage addr;
    const char *user;             /* backend credentials */
    const char *password;
    struct sp_backend *idle;      /* most recently used first */
    struct sp_backend *connecting;
    uint32_t nidle;
    uint32_t nconn;               /* idle + busy + connecting */
    uint32_t nconnecting;
    uint64_t failure_logged_ms;   /* when the last connect failure was logged */
    uint32_t failures;            /* connect failures since the last success */
    uint32_t failures_unlogged;   /* of those, failures not logged one by one */
    uint64_t avoid_until_ms;      /* reads avoid this replica until then: it just failed */
    struct sp_pool_waiter *waiters_head;
    struct sp_pool_waiter *waiters_tail;
    uint32_t nwaiters;
};

struct sp_pool {
    struct sp_worker *worker;
    struct sp_stmt_uses stmt_uses;  /* statement texts the worker's clients have prepared */
    struct sp_pool_endpoint *endpoints;
    uint32_t nendpoints;
    uint32_t max_per_endpoint;
    uint64_t idle_timeout_ms;
    uint64_t wait_timeout_ms;
    uint64_t connect_timeout_ms;
    uint32_t route_turn;            /* rotates ties between equally loaded replicas */
};

int sp_pool_init(struct sp_pool *pool, struct sp_worker *w) SP_WARN_UNUSED;
void sp_pool_deinit(struct sp_pool *pool);

/*
 * Borrows a backend for ENDPOINT. Returns SP_OK with *OUT set when an idle
 * connection fits; SP_EAGAIN when WAITER was queued (its callback runs
 * later, exactly once, unless sp_pool_cancel is called first).
 */
int sp_pool_get(struct sp_pool *pool, struct sp_pool_waiter *waiter, struct sp_backend **out) SP_WARN_UNUSED;

/* Removes a queued WAITER; its callback will not run. */
void sp_pool_cancel(struct sp_pool *pool, struct sp_pool_waiter *waiter);

/*
 * Returns a borrowed backend. It must be clean: its last response fully
 * read, no transaction open, no session state that another client could
 * see. Hands it to the oldest waiter or keeps it idle.
 */
void sp_pool_put(struct sp_pool *pool, struct sp_backend *backend);

/* Called by backend.c when a connection it was setting up is ready or failed. */
void sp_pool_on_connected(struct sp_pool *pool, struct sp_backend *backend, const struct sp_error *err);

/* Called by backend.c when a connection closes (for the counters). */
void sp_pool_on_closed(struct sp_pool *pool, struct sp_backend *backend);

/* Closes idle connections past their timeout and fails expired waiters. */
void sp_pool_sweep(struct sp_pool *pool, uint64_t now_ms);

/* Closes every idle connection and fails every waiter (worker shutdown). */
void sp_pool_close_all(struct sp_pool *pool);

/*
 * Counts a failed connection attempt to ENDPOINT. Returns true when it
 * should be logged (the first one, then at most one a second), with
 * *UNLOGGED set to the failures since the last logged one; a shard that
 * is down would otherwise log one line per statement sent to it.
 */
bool sp_pool_connect_failed(struct sp_pool *pool, uint32_t endpoint, uint32_t *unlogged);

/*
 * Reads avoid ENDPOINT for one health interval: it failed, and the health
 * monitor may not have noticed yet. Connect failures call it too.
 */
void sp_pool_avoid(struct sp_pool *pool, uint32_t endpoint);

/* A connection to ENDPOINT succeeded: logs the recovery when attempts had failed. */
void sp_pool_connect_succeeded(struct sp_pool *pool, uint32_t endpoint);

/* A client statement now uses SQL: backend connections may keep it prepared. */
void sp_pool_stmt_used(struct sp_pool *pool, struct sp_str sql);

/*
 * A client statement using SQL was closed. When it was the last one, the
 * idle connections close their statements prepared from SQL; busy ones
 * close theirs when they come back to the pool.
 */
void sp_pool_stmt_released(struct sp_pool *pool, struct sp_str sql);

#endif
