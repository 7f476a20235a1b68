#include "common/arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sp_arena_block {
    struct sp_arena_block *next;
    size_t size;
    size_t used;
    alignas(max_align_t) unsigned char data[];
};

void
sp_arena_init(struct sp_arena *arena, size_t block_size)
{
    arena->head = NULL;
    arena->block_size = block_size == 0 ? 4096 : block_size;
}

void
sp_arena_deinit(struct sp_arena *arena)
{
    struct sp_arena_block *b = arena->head, *next;

    while (b != NULL) {
        next = b->next;
        free(b);
        b = next;
    }
    arena->head = NULL;
}

void *
sp_arena_alloc(struct sp_arena *arena, size_t n)
{
    const size_t align = alignof(max_align_t);
    struct sp_arena_block *b = arena->head;
    size_t off, size;

    if (b != NULL) {
        off = (b->used + align - 1) & ~(align - 1);
        if (off <= b->size && n <= b->size - off) {
            b->used = off + n;
            return b->data + off;
        }
    }

    size = n > arena->block_size ? n : arena->block_size;
    if (size > SIZE_MAX - sizeof(*b)) {
        return NULL;
    }
    b = malloc(sizeof(*b) + size);
    if (b == NULL) {
        return NULL;
    }
    b->size = size;
    b->used = n;
    b->next = arena->head;
    arena->head = b;
    return b->data;
}

char *
sp_arena_strndup(struct sp_arena *arena, const char *s, size_t n)
{
    char *p;

    if (n == SIZE_MAX) {
        return NULL;
    }
    p = sp_arena_alloc(arena, n + 1);
    if (p == NULL) {
        return NULL;
    }
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

void
sp_arena_reset(struct sp_arena *arena)
{
    struct sp_arena_block *b = arena->head, *next;

    if (b == NULL) {
        return;
    }
    /* Keep the oldest block, which has the default size, and free the rest. */
    while (b->next != NULL) {
        next = b->next;
        free(b);
        b = next;
    }
    b->used = 0;
    arena->head = b;
}
