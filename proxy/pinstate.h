/*
 * Session state that a backend connection keeps for the session that
 * holds it, followed statement by statement: table locks, user locks
 * (GET_LOCK) and temporary tables. While any is left, the connection
 * stays with its session; once all is released it goes away.
 *
 * Pure bookkeeping: no I/O and no logging.
 */
#ifndef SP_PROXY_PINSTATE_H
#define SP_PROXY_PINSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/status.h"
#include "common/str.h"
#include "router/router.h"

struct sp_pin_state {
    bool table_locks;     /* LOCK TABLES ran, UNLOCK TABLES not yet */
    uint32_t user_locks;  /* GET_LOCK() calls not yet released; may count locks not granted */
    char **temps;         /* "db\0name" of each temporary table, malloc'ed */
    size_t ntemps;
    size_t cap;
};

/*
 * Applies EFFECT, of a statement that succeeded on the connection, with
 * DB the session's database (for unqualified names). Returns SP_OK or
 * SP_ENOMEM; after SP_ENOMEM the state no longer describes the connection.
 */
int sp_pin_state_apply(struct sp_pin_state *st, const struct sp_pin_effect *effect,
                       struct sp_str db) SP_WARN_UNUSED;

/* Whether any table lock, user lock or temporary table is left. */
bool sp_pin_state_active(const struct sp_pin_state *st);

/* Forgets everything, for a connection that closed or was reset, and frees the names. */
void sp_pin_state_clear(struct sp_pin_state *st);

#endif
