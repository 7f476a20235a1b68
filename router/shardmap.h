/*
 * Shard map: canonical shard-key value -> XXH64 -> owning hash range ->
 * shard index, and for range-sharded tables key value -> key interval ->
 * shard index.
 *
 * Where every row lives depends on each step here, so the unit tests pin
 * the hashes and the resulting shards with golden vectors. A change to
 * this file that moves a key to another shard is a data migration, not a
 * refactoring. The map is built once from the config and is read-only
 * afterwards. Nothing here allocates after sp_shardmap_init.
 */
#ifndef SP_ROUTER_SHARDMAP_H
#define SP_ROUTER_SHARDMAP_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/status.h"
#include "config/config.h"

/* Keeps shard sets small enough for the stack (see struct sp_shard_set). */
#define SP_SHARDMAP_MAX_SHARDS 1024

struct sp_shardmap_range {
    uint64_t hash_to; /* last hash of the range, inclusive */
    uint32_t shard;   /* index into the config's shards */
};

struct sp_shardmap {
    struct sp_shardmap_range *ranges; /* sorted by hash_to */
    size_t nranges;
};

/*
 * Builds MAP from the shards' hash ranges, which must together cover the
 * whole 64-bit space once, with no gap and no overlap, in any order.
 * Returns SP_OK, SP_ENOMEM, or SP_EINVAL with ERR naming the shard.
 */
int sp_shardmap_init(struct sp_shardmap *map, const struct sp_shard_cfg *shards, size_t nshards,
                     struct sp_error *err) SP_WARN_UNUSED;
void sp_shardmap_deinit(struct sp_shardmap *map);

/* XXH64, seed 0, of VALUE as 8 bytes little-endian: the key_type int hash. */
uint64_t sp_shardmap_hash_int(int64_t value);

/* XXH64, seed 0, of LEN bytes: the key_type string hash. */
uint64_t sp_shardmap_hash_bytes(const void *data, size_t len);

/* Returns the shard whose range contains HASH. */
uint32_t sp_shardmap_lookup(const struct sp_shardmap *map, uint64_t hash);

/*
 * Returns the index in RULE->ranges of the entry whose key interval holds
 * VALUE, for a table with "algorithm": "range" (at least one entry, belows
 * increasing, as the config check ensures).
 */
size_t sp_shardmap_range_find(const struct sp_table_cfg *rule, int64_t value);

#endif
