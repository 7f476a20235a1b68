/*
 * Bookkeeping of the table locks, user locks and temporary tables that a
 * held backend connection keeps.
 */
#include "proxy/pinstate.h"

#include <stdlib.h>
#include <string.h>

/* Index of DB.NAME among the temporary tables, or ntemps. */
static size_t
pin_state_find(const struct sp_pin_state *st, struct sp_str db, struct sp_str name)
{
    for (size_t i = 0; i < st->ntemps; i++) {
        const char *key = st->temps[i];
        size_t dblen = strlen(key);

        if (dblen == db.len && memcmp(key, db.ptr, db.len) == 0 &&
            strlen(key + dblen + 1) == name.len && memcmp(key + dblen + 1, name.ptr, name.len) == 0) {
            return i;
        }
    }
    return st->ntemps;
}

static int
pin_state_add(struct sp_pin_state *st, struct sp_str db, struct sp_str name)
{
    char *key;

    if (pin_state_find(st, db, name) < st->ntemps) {
        return SP_OK; /* CREATE TEMPORARY TABLE IF NOT EXISTS, or OR REPLACE */
    }
    if (st->ntemps == st->cap) {
        size_t cap = st->cap == 0 ? 4 : st->cap * 2;
        char **grown = realloc(st->temps, cap * sizeof(*grown));

        if (grown == NULL) {
            return SP_ENOMEM;
        }
        st->temps = grown;
        st->cap = cap;
    }
    key = malloc(db.len + name.len + 2);
    if (key == NULL) {
        return SP_ENOMEM;
    }
    if (db.len > 0) {
        memcpy(key, db.ptr, db.len);
    }
    key[db.len] = '\0';
    memcpy(key + db.len + 1, name.ptr, name.len);
    key[db.len + 1 + name.len] = '\0';
    st->temps[st->ntemps++] = key;
    return SP_OK;
}

static void
pin_state_remove(struct sp_pin_state *st, struct sp_str db, struct sp_str name)
{
    size_t i = pin_state_find(st, db, name);

    if (i == st->ntemps) {
        return;
    }
    free(st->temps[i]);
    st->temps[i] = st->temps[--st->ntemps];
}

int
sp_pin_state_apply(struct sp_pin_state *st, const struct sp_pin_effect *effect, struct sp_str db)
{
    if (effect->lock_tables) {
        st->table_locks = true;
    } else if (effect->unlock_tables) {
        st->table_locks = false;
    }

    if (effect->user_locks_release_all) {
        st->user_locks = 0;
    }
    st->user_locks = effect->user_locks_release < st->user_locks
                         ? st->user_locks - effect->user_locks_release
                         : 0;
    st->user_locks += effect->user_locks_get;

    for (size_t i = 0; i < effect->ntemp; i++) {
        struct sp_str in_db = effect->temp_db[i].len > 0 ? effect->temp_db[i] : db;

        if (effect->temp_create) {
            if (pin_state_add(st, in_db, effect->temp_name[i]) != SP_OK) {
                return SP_ENOMEM;
            }
        } else if (effect->temp_drop) {
            pin_state_remove(st, in_db, effect->temp_name[i]);
        }
    }
    return SP_OK;
}

bool
sp_pin_state_active(const struct sp_pin_state *st)
{
    return st->table_locks || st->user_locks > 0 || st->ntemps > 0;
}

void
sp_pin_state_clear(struct sp_pin_state *st)
{
    for (size_t i = 0; i < st->ntemps; i++) {
        free(st->temps[i]);
    }
    free(st->temps);
    memset(st, 0, sizeof(*st));
}
