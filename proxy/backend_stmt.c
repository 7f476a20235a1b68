/*
 * The prepared statement cache of a backend connection: a doubly linked
 * list in use order. At most SP_BACKEND_STMTS_MAX entries, so a linear
 * search by hash is enough.
 */
#include "proxy/backend_stmt.h"

#include <stdlib.h>
#include <string.h>

/* FNV-1a over the key: the hash only speeds up comparing statement texts. */
static uint64_t
backend_stmt_hash(const struct sp_backend_stmt_key *key)
{
    uint64_t h = 14695981039346656037ull;

    for (size_t i = 0; i < key->sql.len; i++) {
        h ^= (uint8_t)key->sql.ptr[i];
        h *= 1099511628211ull;
    }
    for (size_t i = 0; i < key->db.len; i++) {
        h ^= (uint8_t)key->db.ptr[i];
        h *= 1099511628211ull;
    }
    return h ^ key->collation;
}

static void
backend_stmt_unlink(struct sp_backend_stmts *c, struct sp_backend_stmt *s)
{
    if (s->prev != NULL) {
        s->prev->next = s->next;
    } else {
        c->head = s->next;
    }
    if (s->next != NULL) {
        s->next->prev = s->prev;
    } else {
        c->tail = s->prev;
    }
    s->next = NULL;
    s->prev = NULL;
}

static void
backend_stmt_push_front(struct sp_backend_stmts *c, struct sp_backend_stmt *s)
{
    s->prev = NULL;
    s->next = c->head;
    if (c->head != NULL) {
        c->head->prev = s;
    }
    c->head = s;
    if (c->tail == NULL) {
        c->tail = s;
    }
}

void
sp_backend_stmts_init(struct sp_backend_stmts *c)
{
    memset(c, 0, sizeof(*c));
}

void
sp_backend_stmts_free(struct sp_backend_stmts *c)
{
    struct sp_backend_stmt *s = c->head, *next;

    for (; s != NULL; s = next) {
        next = s->next;
        free(s);
    }
    memset(c, 0, sizeof(*c));
}

const struct sp_backend_stmt *
sp_backend_stmts_find(struct sp_backend_stmts *c, const struct sp_backend_stmt_key *key)
{
    uint64_t hash = backend_stmt_hash(key);
    struct sp_backend_stmt *s;

    for (s = c->head; s != NULL; s = s->next) {
        if (s->hash == hash && s->collation == key->collation && sp_str_eq(s->sql, key->sql) &&
            sp_str_eq(s->db, key->db)) {
            if (s != c->head) {
                backend_stmt_unlink(c, s);
                backend_stmt_push_front(c, s);
            }
            return s;
        }
    }
    return NULL;
}

bool
sp_backend_stmts_make_room(struct sp_backend_stmts *c, uint32_t *evicted)
{
    struct sp_backend_stmt *s = c->tail;

    if (c->count < SP_BACKEND_STMTS_MAX || s == NULL) {
        return false;
    }
    backend_stmt_unlink(c, s);
    c->count--;
    *evicted = s->id;
    free(s);
    return true;
}

bool
sp_backend_stmts_take_if(struct sp_backend_stmts *c,
                         bool (*drop)(const struct sp_backend_stmt *stmt, void *ctx), void *ctx,
                         uint32_t *id)
{
    struct sp_backend_stmt *s;

    for (s = c->head; s != NULL; s = s->next) {
        if (drop(s, ctx)) {
            backend_stmt_unlink(c, s);
            c->count--;
            *id = s->id;
            free(s);
            return true;
        }
    }
    return false;
}

int
sp_backend_stmts_add(struct sp_backend_stmts *c, const struct sp_backend_stmt_key *key,
                     uint32_t id)
{
    struct sp_backend_stmt *s = malloc(sizeof(*s) + key->db.len + key->sql.len + 1);
    char *text;

    if (s == NULL) {
        return SP_ENOMEM;
    }
    text = (char *)(s + 1);
    if (key->db.len > 0) {
        memcpy(text, key->db.ptr, key->db.len);
    }
    memcpy(text + key->db.len, key->sql.ptr, key->sql.len);
    s->db = sp_str_make(text, key->db.len);
    s->sql = sp_str_make(text + key->db.len, key->sql.len);
    s->collation = key->collation;
    s->hash = backend_stmt_hash(key);
    s->id = id;
    backend_stmt_push_front(c, s);
    c->count++;
    return SP_OK;
}
