/*
 * Statement texts in use by a worker's clients: a fixed-size hash table of
 * counted texts. Nothing here talks to a backend: the pool and the
 * sessions act on the counts.
 */
#include "proxy/stmt_uses.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a of the statement text. */
static uint64_t
stmt_uses_hash(struct sp_str sql)
{
    uint64_t h = 14695981039346656037ull;

    for (size_t i = 0; i < sql.len; i++) {
        h ^= (uint8_t)sql.ptr[i];
        h *= 1099511628211ull;
    }
    return h;
}

static struct sp_stmt_use **
stmt_uses_slot(struct sp_stmt_uses *u, struct sp_str sql, uint64_t hash)
{
    struct sp_stmt_use **slot = &u->buckets[hash % SP_STMT_USES_BUCKETS];

    for (; *slot != NULL; slot = &(*slot)->next) {
        if ((*slot)->hash == hash && sp_str_eq((*slot)->sql, sql)) {
            break;
        }
    }
    return slot;
}

void
sp_stmt_uses_init(struct sp_stmt_uses *u)
{
    memset(u, 0, sizeof(*u));
}

void
sp_stmt_uses_free(struct sp_stmt_uses *u)
{
    for (size_t b = 0; b < SP_STMT_USES_BUCKETS; b++) {
        struct sp_stmt_use *e = u->buckets[b], *next;

        for (; e != NULL; e = next) {
            next = e->next;
            free(e);
        }
    }
    memset(u, 0, sizeof(*u));
}

int
sp_stmt_uses_add(struct sp_stmt_uses *u, struct sp_str sql)
{
    uint64_t hash = stmt_uses_hash(sql);
    struct sp_stmt_use **slot = stmt_uses_slot(u, sql, hash);
    struct sp_stmt_use *e;

    if (*slot != NULL) {
        (*slot)->count++;
        return SP_OK;
    }
    e = malloc(sizeof(*e) + sql.len + 1);
    if (e == NULL) {
        return SP_ENOMEM;
    }
    memcpy(e + 1, sql.ptr, sql.len);
    e->sql = sp_str_make((const char *)(e + 1), sql.len);
    e->hash = hash;
    e->count = 1;
    e->next = NULL;
    *slot = e;
    u->ntexts++;
    return SP_OK;
}

bool
sp_stmt_uses_remove(struct sp_stmt_uses *u, struct sp_str sql)
{
    struct sp_stmt_use **slot = stmt_uses_slot(u, sql, stmt_uses_hash(sql));
    struct sp_stmt_use *e = *slot;

    if (e == NULL) {
        return false; /* never counted (out of memory when it was prepared) */
    }
    if (--e->count > 0) {
        return false;
    }
    *slot = e->next;
    free(e);
    u->ntexts--;
    return true;
}

bool
sp_stmt_uses_has(const struct sp_stmt_uses *u, struct sp_str sql)
{
    uint64_t hash = stmt_uses_hash(sql);
    const struct sp_stmt_use *e = u->buckets[hash % SP_STMT_USES_BUCKETS];

    for (; e != NULL; e = e->next) {
        if (e->hash == hash && sp_str_eq(e->sql, sql)) {
            return true;
        }
    }
    return false;
}
