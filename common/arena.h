/*
 * Per-statement arena: many small allocations, freed together when the
 * statement completes. Blocks are kept across resets up to the first one,
 * so a steady workload allocates nothing.
 */
#ifndef SP_COMMON_ARENA_H
#define SP_COMMON_ARENA_H

#include <stddef.h>

struct sp_arena_block;

struct sp_arena {
    struct sp_arena_block *head; /* current block; older blocks follow */
    size_t block_size;           /* default block size in bytes */
};

void sp_arena_init(struct sp_arena *arena, size_t block_size);
void sp_arena_deinit(struct sp_arena *arena);

/* Returns N bytes aligned for any type, or NULL when out of memory. */
void *sp_arena_alloc(struct sp_arena *arena, size_t n);

/* Copies N bytes into the arena and adds a NUL; NULL when out of memory. */
char *sp_arena_strndup(struct sp_arena *arena, const char *s, size_t n);

/* Frees everything allocated since init, keeping the first block. */
void sp_arena_reset(struct sp_arena *arena);

#endif
