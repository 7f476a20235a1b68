/*
 * Worker threads: loop set-up, the SO_REUSEPORT listener, housekeeping and
 * an orderly stop that closes every handle before the loop ends.
 */
#include "proxy/worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proxy/log.h"
#include "proxy/session.h"

#define HOUSEKEEPING_INTERVAL_MS 100
#define LISTEN_BACKLOG 1024
#define WRITE_REQ_FREE_MAX 256
#define WRITE_REQ_KEEP_BYTES 65536

static int
listener_open_socket(const struct sockaddr_storage *addr)
{
    socklen_t len;
    int fd, one = 1;

    fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) != 0) {
        goto fail;
    }
    len = addr->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    if (bind(fd, (const struct sockaddr *)addr, len) != 0 || listen(fd, LISTEN_BACKLOG) != 0) {
        goto fail;
    }
    return fd;

fail:
    {
        int err = -errno;

        close(fd);
        return err;
    }
}

static void
worker_on_connection(uv_stream_t *server, int status)
{
    struct sp_worker *w = server->data;

    if (status < 0) {
        sp_log_warn("accept_failed", "worker=%u error=\"%s\"", w->id, uv_strerror(status));
        return;
    }
    if (w->stopping) {
        return;
    }
    sp_session_accept(w);
}

static void
worker_on_housekeeping(uv_timer_t *timer)
{
    struct sp_worker *w = timer->data;

    sp_pool_sweep(&w->pool, sp_worker_now_ms(w));
}

static void
worker_on_stop(uv_async_t *async)
{
    struct sp_worker *w = async->data;

    w->stopping = true;
    uv_close((uv_handle_t *)&w->listener, NULL);
    while (w->sessions != NULL) {
        sp_session_close(w->sessions, "proxy shutting down");
    }
    sp_pool_close_all(&w->pool);
    uv_close((uv_handle_t *)&w->housekeeping, NULL);
    uv_close((uv_handle_t *)&w->stop_async, NULL);
}

int
sp_worker_init(struct sp_worker *w, struct sp_proxy *proxy, unsigned id)
{
    int fd, rc;

    memset(w, 0, sizeof(*w));
    w->id = id;
    w->proxy = proxy;

    rc = uv_loop_init(&w->loop);
    if (rc != 0) {
        return SP_EIO;
    }
    rc = sp_pool_init(&w->pool, w);
    if (rc != SP_OK) {
        return rc;
    }

    fd = listener_open_socket(&proxy->listen_addr);
    if (fd < 0) {
        sp_log_error("listen_failed", "worker=%u error=\"%s\"", id, strerror(-fd));
        return SP_EIO;
    }
    uv_tcp_init(&w->loop, &w->listener);
    w->listener.data = w;
    rc = uv_tcp_open(&w->listener, fd);
    if (rc == 0) {
        rc = uv_listen((uv_stream_t *)&w->listener, LISTEN_BACKLOG, worker_on_connection);
    }
    if (rc != 0) {
        sp_log_error("listen_failed", "worker=%u error=\"%s\"", id, uv_strerror(rc));
        return SP_EIO;
    }

    uv_timer_init(&w->loop, &w->housekeeping);
    w->housekeeping.data = w;
    uv_timer_start(&w->housekeeping, worker_on_housekeeping, HOUSEKEEPING_INTERVAL_MS,
                   HOUSEKEEPING_INTERVAL_MS);

    uv_async_init(&w->loop, &w->stop_async, worker_on_stop);
    w->stop_async.data = w;
    return SP_OK;
}

static void
worker_main(void *arg)
{
    struct sp_worker *w = arg;

    sp_log_debug("worker_start", "worker=%u", w->id);
    uv_run(&w->loop, UV_RUN_DEFAULT);
    sp_log_debug("worker_stop", "worker=%u", w->id);
}

int
sp_worker_start(struct sp_worker *w)
{
    return uv_thread_create(&w->thread, worker_main, w) == 0 ? SP_OK : SP_EIO;
}

void
sp_worker_stop(struct sp_worker *w)
{
    uv_async_send(&w->stop_async);
}

void
sp_worker_join(struct sp_worker *w)
{
    struct sp_write_req *wr;

    uv_thread_join(&w->thread);
    /* Run the loop once more so that close callbacks of late handles finish. */
    uv_run(&w->loop, UV_RUN_NOWAIT);
    if (uv_loop_close(&w->loop) != 0) {
        sp_log_warn("loop_close_failed", "worker=%u reason=\"handles still open\"", w->id);
    }
    while ((wr = w->free_writes) != NULL) {
        w->free_writes = wr->next;
        sp_buf_deinit(&wr->buf);
        free(wr);
    }
    sp_pool_deinit(&w->pool);
}

struct sp_write_req *
sp_worker_write_req_get(struct sp_worker *w)
{
    struct sp_write_req *wr = w->free_writes;

    if (wr != NULL) {
        w->free_writes = wr->next;
        w->nfree_writes--;
        wr->next = NULL;
        return wr;
    }
    wr = calloc(1, sizeof(*wr));
    if (wr != NULL) {
        sp_buf_init(&wr->buf);
    }
    return wr;
}

void
sp_worker_write_req_put(struct sp_worker *w, struct sp_write_req *wr)
{
    if (w->nfree_writes >= WRITE_REQ_FREE_MAX) {
        sp_buf_deinit(&wr->buf);
        free(wr);
        return;
    }
    sp_buf_reset(&wr->buf, WRITE_REQ_KEEP_BYTES);
    wr->owner = NULL;
    wr->next = w->free_writes;
    w->free_writes = wr;
    w->nfree_writes++;
}
