/*
 * Worker threads. Each worker runs one libuv loop that owns its listening
 * socket (SO_REUSEPORT on the shared address, so the kernel spreads new
 * connections over the workers), its client sessions and its backend pools.
 * Nothing mutable is shared between workers on the per-statement path; the
 * only shared data are the immutable config, router and user table, and a
 * few atomic counters in struct sp_proxy.
 *
 *   client --> [worker: listener -> session -> legs] --> pool --> backend --> shard
 */
#ifndef SP_PROXY_WORKER_H
#define SP_PROXY_WORKER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/buf.h"
#include "config/config.h"
#include "protocol/auth.h"
#include "proxy/pool.h"
#include "proxy/topology.h"
#include "router/router.h"

struct sp_session;

/* A client account with its password hash precomputed for verification. */
struct sp_auth_user {
    const struct sp_user_cfg *cfg;
    uint8_t stage2[SP_SHA1_LEN];
    bool empty_password;
};

/* State shared by all workers: read-only after start except the atomics. */
struct sp_proxy {
    const struct sp_config *cfg;
    const struct sp_router *router;
    struct sp_topology topology;  /* fixed fields read-only; health atomics written by the monitor */
    struct sp_auth_user *users;
    size_t nusers;
    struct sockaddr_storage listen_addr;
    atomic_uint nclients;       /* open client connections, all workers */
    atomic_uint next_connection_id;
    struct sp_worker *workers;
    unsigned nworkers;
};

/*
 * A buffer being written by uv_write. Requests are recycled through a
 * per-worker free list so that steady traffic allocates nothing.
 */
struct sp_write_req {
    uv_write_t req;
    struct sp_buf buf;
    struct sp_write_req *next;
    void *owner; /* the session or backend that wrote it */
};

struct sp_worker {
    unsigned id;
    struct sp_proxy *proxy;
    uv_loop_t loop;
    uv_thread_t thread;
    uv_async_t stop_async;
    uv_tcp_t listener;
    uv_timer_t housekeeping;    /* pool idle timeouts and wait deadlines */
    struct sp_pool pool;
    struct sp_session *sessions; /* doubly linked list of open sessions */
    size_t nsessions;
    struct sp_write_req *free_writes;
    size_t nfree_writes;
    uint64_t nbackends_created;  /* backend ids, for logs */
    bool stopping;
    int start_status;           /* SP_OK, or why the listener failed */
};

/* Creates the loop and listener of worker W; runs on the main thread. */
int sp_worker_init(struct sp_worker *w, struct sp_proxy *proxy, unsigned id) SP_WARN_UNUSED;

/* Starts the worker thread. */
int sp_worker_start(struct sp_worker *w) SP_WARN_UNUSED;

/* Asks the worker to close everything and end its loop; any thread. */
void sp_worker_stop(struct sp_worker *w);

/* Waits for the thread to end and frees the loop; main thread. */
void sp_worker_join(struct sp_worker *w);

/* Milliseconds on the worker's loop clock. */
static inline uint64_t
sp_worker_now_ms(struct sp_worker *w)
{
    return uv_now(&w->loop);
}

/* Write requests: get one with an empty buffer, put it back after use. */
struct sp_write_req *sp_worker_write_req_get(struct sp_worker *w);
void sp_worker_write_req_put(struct sp_worker *w, struct sp_write_req *wr);

#endif
