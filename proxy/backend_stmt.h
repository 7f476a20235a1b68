/*
 * The statements prepared on one backend connection, so that an execute
 * that reaches the connection again reuses the backend's statement id
 * instead of preparing once more. The cache is bounded: adding past
 * SP_BACKEND_STMTS_MAX hands back the least recently used statement,
 * which the caller closes on the server (COM_STMT_CLOSE). With the
 * default pool (64 connections per shard and worker, 2 workers) a shard
 * keeps at most 64 * 2 * 64 = 8192 statements of one proxy, below the
 * server's max_prepared_stmt_count default of 16382.
 */
#ifndef SP_PROXY_BACKEND_STMT_H
#define SP_PROXY_BACKEND_STMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "common/str.h"

#define SP_BACKEND_STMTS_MAX 64

/*
 * A statement is found by its text together with the connection's
 * database and collation when it was prepared: the server resolved the
 * table names and read the literals under those.
 */
struct sp_backend_stmt_key {
    struct sp_str sql;
    struct sp_str db;
    uint16_t collation;
};

struct sp_backend_stmt {
    struct sp_backend_stmt *next; /* toward the least recently used */
    struct sp_backend_stmt *prev;
    uint64_t hash;
    uint32_t id;                  /* the server's statement id */
    uint16_t collation;
    struct sp_str db;             /* owned, stored after the struct */
    struct sp_str sql;            /* owned, stored after db */
};

struct sp_backend_stmts {
    struct sp_backend_stmt *head; /* most recently used */
    struct sp_backend_stmt *tail;
    size_t count;
};

void sp_backend_stmts_init(struct sp_backend_stmts *c);
void sp_backend_stmts_free(struct sp_backend_stmts *c);

/* Finds the statement prepared under KEY and marks it used; NULL when there is none. */
const struct sp_backend_stmt *sp_backend_stmts_find(struct sp_backend_stmts *c,
                                                    const struct sp_backend_stmt_key *key);

/*
 * Whether adding one more statement would pass SP_BACKEND_STMTS_MAX; if
 * so, removes the least recently used one and stores its id in *EVICTED,
 * for the caller to close on the server.
 */
bool sp_backend_stmts_make_room(struct sp_backend_stmts *c, uint32_t *evicted);

/*
 * Removes one statement for which DROP returns true and stores its id in
 * *ID, for the caller to close on the server; false when none is left.
 */
bool sp_backend_stmts_take_if(struct sp_backend_stmts *c,
                              bool (*drop)(const struct sp_backend_stmt *stmt, void *ctx), void *ctx,
                              uint32_t *id);

/* Records that KEY is prepared as statement ID. Returns SP_OK or SP_ENOMEM. */
int sp_backend_stmts_add(struct sp_backend_stmts *c, const struct sp_backend_stmt_key *key,
                         uint32_t id) SP_WARN_UNUSED;

#endif
