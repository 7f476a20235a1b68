/*
 * One connection from a worker to a backend MySQL/MariaDB server.
 *
 * The client side of the handshake is implemented here over the libuv
 * socket instead of with libmariadb's non-blocking API. The protocol/
 * codecs already cover the greeting and mysql_native_password. Owning the
 * socket from the first byte keeps a single read path, and it lets the
 * proxy choose capabilities (classic EOF, no SESSION_TRACK) itself.
 *
 * Life cycle: CONNECTING -> HANDSHAKE -> AUTH -> READY (idle in a pool, or
 * borrowed by a session leg) -> CLOSING. A borrowed backend delivers every
 * read to its leg; an idle one treats any byte or EOF as a reason to close.
 */
#ifndef SP_PROXY_BACKEND_H
#define SP_PROXY_BACKEND_H

#include <stdbool.h>
#include <stdint.h>
#include <uv.h>

#include "common/buf.h"
#include "common/error.h"
#include "common/status.h"
#include "proxy/backend_stmt.h"
#include "proxy/sysvars.h"

struct sp_worker;
struct sp_leg;

#define SP_BACKEND_DB_MAX 256 /* 64 characters of up to 4 bytes */

enum sp_backend_state {
    SP_BACKEND_CONNECTING,
    SP_BACKEND_HANDSHAKE,
    SP_BACKEND_AUTH,
    SP_BACKEND_READY,
    SP_BACKEND_CLOSING
};

struct sp_backend {
    uv_tcp_t tcp;
    uv_connect_t connect_req;
    struct sp_worker *worker;
    uint32_t endpoint;
    enum sp_backend_state state;
    uint64_t id;                 /* per worker, for logs */

    struct sp_buf in;            /* received, not yet processed */
    uint32_t server_caps;
    uint32_t caps;               /* negotiated */
    uint32_t thread_id;          /* the server's connection id */
    uint8_t scramble[20];
    uint16_t collation;          /* current character set and collation */
    bool found_rows;             /* CLIENT_FOUND_ROWS negotiated */
    char db[SP_BACKEND_DB_MAX + 1];
    size_t dblen;                /* current database, empty when none */

    struct sp_backend *next;     /* pool idle list */
    struct sp_backend *prev;
    bool idle;                   /* in its pool's idle list */
    uint64_t idle_since_ms;
    uint64_t connect_deadline_ms;
    bool connecting;             /* set up not yet reported to the pool */
    bool reused;                 /* has served a statement before */
    bool reading;

    struct sp_backend_stmts stmts; /* statements prepared on this connection */
    struct sp_sysvars vars;      /* session variables set on it by the proxy */

    struct sp_leg *leg;          /* owner while borrowed */
    struct sp_session *holder;   /* owner while held by a session between statements */
};

/*
 * Creates a backend for ENDPOINT and starts connecting. The pool learns
 * the outcome through sp_pool_on_connected, never before this returns.
 * Returns NULL when out of memory or the socket cannot be created.
 */
struct sp_backend *sp_backend_connect(struct sp_worker *w, uint32_t endpoint, uint16_t collation,
                                      bool found_rows);

/*
 * Closes the connection. Memory is freed once libuv has closed the socket.
 * Safe to call more than once. The pool is notified through
 * sp_pool_on_closed, a leg that borrowed it is detached without a callback,
 * and a session that held it is notified (sp_session_on_held_backend_closed).
 */
void sp_backend_close(struct sp_backend *be, const char *reason);

/*
 * Ends a connection attempt that failed or timed out. The pool is notified,
 * so its waiters may get the error, and the backend is closed.
 */
void sp_backend_fail(struct sp_backend *be, const char *reason);

/* Appends one command packet (sequence id 0) and starts writing it. */
int sp_backend_send_command(struct sp_backend *be, uint8_t command, const void *arg,
                            size_t len) SP_WARN_UNUSED;

/* Starts or stops reading (backpressure); idempotent. */
void sp_backend_read_start(struct sp_backend *be);
void sp_backend_read_stop(struct sp_backend *be);

/* Host:port and shard of the backend, for messages. */
const char *sp_backend_shard_name(const struct sp_backend *be);

/* The server BE is connected to. */
const struct sp_node *sp_backend_node(const struct sp_backend *be);
const char *sp_backend_host(const struct sp_backend *be);
uint16_t sp_backend_port(const struct sp_backend *be);

#endif
