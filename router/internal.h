/*
 * Declarations shared by the router's files, not by its users.
 *
 * The router is a read-only struct built from a config snapshot. Every
 * function here is a pure function of it and the statement text. Only the
 * functions that take an arena may allocate.
 */
#ifndef SP_ROUTER_INTERNAL_H
#define SP_ROUTER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "router/lexer.h"
#include "router/router.h"
#include "router/shardmap.h"

struct sp_router {
    const struct sp_config *cfg; /* borrowed: must outlive the router */
    struct sp_shardmap map;
    uint32_t nshards;
    uint32_t default_shard;
    size_t nwords;               /* words of a struct sp_shard_set in use */
};

/* A set of shard indexes: a bitmap sized for the largest allowed config. */
struct sp_shard_set {
    uint64_t words[SP_SHARDMAP_MAX_SHARDS / 64];
};

/* The routing decision for one statement, before the plan is built. */
struct sp_route {
    enum sp_plan_kind kind;
    struct sp_shard_set shards;
    /*
     * SINGLE to the default shard only because nothing ties the statement
     * to a shard (SET, BEGIN, SELECT 1): in a multi-statement text it may
     * run wherever the other statements run.
     */
    bool neutral;
    /* Per-target text (a split INSERT, a merge plan, IN lists); NULL: the original text. */
    struct sp_plan_target *targets;
    size_t ntargets;
    /* BROADCAST of a write to reference tables: every shard reports the same counts. */
    bool same_rows;
    /* A split INSERT: the index of the target that got the first row. */
    size_t first_row_target;
    /* SCATTER_MERGE: how to merge the targets' rows, in the arena. */
    const struct sp_merge_spec *merge;
    /*
     * Set by the caller, not reset by routing: decide the shards only, with
     * no merge plan and no rewrite (EXPLAIN runs the original statement).
     */
    bool shards_only;
};

static inline void
sp_shard_set_clear(const struct sp_router *router, struct sp_shard_set *set)
{
    memset(set->words, 0, router->nwords * sizeof(set->words[0]));
}

static inline void
sp_shard_set_add(struct sp_shard_set *set, uint32_t shard)
{
    set->words[shard / 64] |= UINT64_C(1) << (shard % 64);
}

static inline bool
sp_shard_set_has(const struct sp_shard_set *set, uint32_t shard)
{
    return (set->words[shard / 64] >> (shard % 64)) & 1;
}

static inline void
sp_shard_set_fill(const struct sp_router *router, struct sp_shard_set *set)
{
    uint32_t i;

    sp_shard_set_clear(router, set);
    for (i = 0; i < router->nshards; i++) {
        sp_shard_set_add(set, i);
    }
}

static inline void
sp_shard_set_and(const struct sp_router *router, struct sp_shard_set *dst,
                 const struct sp_shard_set *src)
{
    size_t i;

    for (i = 0; i < router->nwords; i++) {
        dst->words[i] &= src->words[i];
    }
}

static inline void
sp_shard_set_or(const struct sp_router *router, struct sp_shard_set *dst,
                const struct sp_shard_set *src)
{
    size_t i;

    for (i = 0; i < router->nwords; i++) {
        dst->words[i] |= src->words[i];
    }
}

static inline uint32_t
sp_shard_set_count(const struct sp_router *router, const struct sp_shard_set *set)
{
    uint32_t n = 0;
    size_t i;

    for (i = 0; i < router->nwords; i++) {
        n += (uint32_t)__builtin_popcountll(set->words[i]);
    }
    return n;
}

/* Returns the lowest shard in SET, or UINT32_MAX when SET is empty. */
static inline uint32_t
sp_shard_set_first(const struct sp_router *router, const struct sp_shard_set *set)
{
    size_t i;

    for (i = 0; i < router->nwords; i++) {
        if (set->words[i] != 0) {
            return (uint32_t)(i * 64 + (size_t)__builtin_ctzll(set->words[i]));
        }
    }
    return UINT32_MAX;
}

/*
 * Appends one zeroed SIZE-byte item to the arena array *ARRAY, which has
 * *N items and room for *CAP, moving it to a larger arena block when it is
 * full. Returns the new item, or NULL when the arena is out of memory.
 */
static inline void *
sp_router_push(struct sp_arena *arena, void **array, size_t *n, size_t *cap, size_t size)
{
    void *grown;
    char *item;

    if (*n == *cap) {
        if (*cap > SIZE_MAX / 2 / size) {
            return NULL;
        }
        *cap = *cap == 0 ? 8 : *cap * 2;
        grown = sp_arena_alloc(arena, *cap * size);
        if (grown == NULL) {
            return NULL;
        }
        if (*n > 0) {
            memcpy(grown, *array, *n * size);
        }
        *array = grown;
    }
    item = (char *)*array + (*n)++ * size;
    memset(item, 0, size);
    return item;
}

/*
 * Returns the table rule that NAME (an SP_TOK_IDENT or SP_TOK_QUOTED_IDENT
 * without its database qualifier) matches, or NULL for an unsharded table.
 */
const struct sp_table_cfg *sp_router_match_table(const struct sp_router *router,
                                                 const struct sp_token *name);

/*
 * True when rules A and B place every key value on the same shard: the
 * same algorithm and key type, and for range sharding the same ranges.
 * A join on their keys then finds all its rows on one shard.
 */
bool sp_router_colocated(const struct sp_table_cfg *a, const struct sp_table_cfg *b);

/*
 * Routes a SELECT, INSERT, REPLACE, UPDATE or DELETE (dml.c). TEXT is the
 * statement text that rewrites copy from. Returns SP_OK with ROUTE filled
 * (a REJECT has ERR set) or SP_ENOMEM.
 */
struct sp_scan;
int sp_router_route_dml(const struct sp_router *router, const struct sp_scan *scan,
                        struct sp_str text, struct sp_arena *arena, struct sp_route *route,
                        struct sp_error *err) SP_WARN_UNUSED;

/*
 * True when NAME (an identifier token) is COLUMN, ignoring case as the
 * server does for column names.
 */
bool sp_router_name_is(const struct sp_token *name, const char *column);

/*
 * True when identifier tokens A and B name the same thing, ignoring ASCII
 * case and quoting: `t` and T are equal.
 */
bool sp_router_same_name(const struct sp_token *a, const struct sp_token *b);

/* Returns NAME's text without backticks, for messages (doubled backticks stay doubled). */
struct sp_str sp_router_token_name(const struct sp_token *name);

/* Makes ROUTE a REJECT and fills ERR with SP_ER_NOT_SUPPORTED_YET, "42000" and the message. */
void sp_route_reject(struct sp_route *route, struct sp_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * Makes ROUTE a REJECT for a statement that names table NAME, whose rule
 * is RULE, but cannot be followed: SP_ER_UNKNOWN_ERROR, "HY000", with
 * REASON.
 */
void sp_route_unparseable(struct sp_route *route, struct sp_error *err, const struct sp_token *name,
                          const struct sp_table_cfg *rule, const char *reason);

#endif

