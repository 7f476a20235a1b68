/*
 * Shard map: hashing of canonical keys and the range lookup.
 *
 * The hash is libxxhash's XXH64 with seed 0, never a local copy of it, so
 * that tools outside the proxy (xxh64sum, a migration script) compute the
 * same placement.
 */
#include "router/shardmap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static int
shardmap_compare_from(const void *a, const void *b)
{
    const struct sp_shard_cfg *x = *(const struct sp_shard_cfg *const *)a;
    const struct sp_shard_cfg *y = *(const struct sp_shard_cfg *const *)b;

    return x->hash_from < y->hash_from ? -1 : x->hash_from > y->hash_from;
}

static const char *
shardmap_name(const struct sp_shard_cfg *shard)
{
    return shard->name != NULL ? shard->name : "(unnamed)";
}

int
sp_shardmap_init(struct sp_shardmap *map, const struct sp_shard_cfg *shards, size_t nshards,
                 struct sp_error *err)
{
    const struct sp_shard_cfg **sorted = NULL;
    const struct sp_shard_cfg *last;
    uint64_t expected_from = 0;
    int rc = SP_EINVAL;
    size_t i;

    map->ranges = NULL;
    map->nranges = 0;
    if (nshards == 0 || nshards > SP_SHARDMAP_MAX_SHARDS) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "the number of shards must be between 1 and %d, not %zu",
                     SP_SHARDMAP_MAX_SHARDS, nshards);
        return SP_EINVAL;
    }

    sorted = malloc(nshards * sizeof(*sorted));
    map->ranges = malloc(nshards * sizeof(*map->ranges));
    if (sorted == NULL || map->ranges == NULL) {
        rc = SP_ENOMEM;
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000", "out of memory");
        goto fail;
    }
    for (i = 0; i < nshards; i++) {
        if (shards[i].hash_from > shards[i].hash_to) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "shard '%s' has an empty hash range: hash_from %llu is above hash_to %llu",
                         shardmap_name(&shards[i]), (unsigned long long)shards[i].hash_from,
                         (unsigned long long)shards[i].hash_to);
            goto fail;
        }
        sorted[i] = &shards[i];
    }
    qsort(sorted, nshards, sizeof(*sorted), shardmap_compare_from);

    for (i = 0; i < nshards; i++) {
        if (i > 0 && sorted[i]->hash_from <= sorted[i - 1]->hash_to) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "shard '%s' hash range starts at %llu, inside the range of shard '%s'",
                         shardmap_name(sorted[i]), (unsigned long long)sorted[i]->hash_from,
                         shardmap_name(sorted[i - 1]));
            goto fail;
        }
        if (sorted[i]->hash_from != expected_from) {
            sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                         "shard '%s' hash range starts at %llu, so hashes %llu to %llu belong "
                         "to no shard",
                         shardmap_name(sorted[i]), (unsigned long long)sorted[i]->hash_from,
                         (unsigned long long)expected_from,
                         (unsigned long long)(sorted[i]->hash_from - 1));
            goto fail;
        }
        map->ranges[i].hash_to = sorted[i]->hash_to;
        map->ranges[i].shard = (uint32_t)(sorted[i] - shards);
        /* Wraps to 0 after a range that ends at UINT64_MAX; the overlap check covers that. */
        expected_from = sorted[i]->hash_to + 1;
    }
    last = sorted[nshards - 1];
    if (last->hash_to != UINT64_MAX) {
        sp_error_set(err, SP_ER_UNKNOWN_ERROR, "HY000",
                     "shard '%s' hash range ends at %llu, so hashes above it belong to no shard "
                     "(the last range must end at %llu)",
                     shardmap_name(last), (unsigned long long)last->hash_to,
                     (unsigned long long)UINT64_MAX);
        goto fail;
    }

    map->nranges = nshards;
    free(sorted);
    return SP_OK;

fail:
    free(sorted);
    sp_shardmap_deinit(map);
    return rc;
}

void
sp_shardmap_deinit(struct sp_shardmap *map)
{
    free(map->ranges);
    map->ranges = NULL;
    map->nranges = 0;
}

uint64_t
sp_shardmap_hash_int(int64_t value)
{
    uint64_t u = (uint64_t)value;
    unsigned char bytes[8];
    int i;

    /* Little-endian on every host, so placement does not depend on the CPU. */
    for (i = 0; i < 8; i++) {
        bytes[i] = (unsigned char)(u >> (8 * i));
    }
    return XXH64(bytes, sizeof(bytes), 0);
}

uint64_t
sp_shardmap_hash_bytes(const void *data, size_t len)
{
    return XXH64(data, len, 0);
}

uint32_t
sp_shardmap_lookup(const struct sp_shardmap *map, uint64_t hash)
{
    size_t lo = 0, hi = map->nranges - 1, mid;

    /* The first range whose hash_to is at or above HASH; the last ends at UINT64_MAX. */
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (map->ranges[mid].hash_to < hash) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return map->ranges[lo].shard;
}

size_t
sp_shardmap_range_find(const struct sp_table_cfg *rule, int64_t value)
{
    size_t lo = 0, hi = rule->nranges - 1, mid;

    /* The first entry whose below is above VALUE; the last entry has no below. */
    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        if (rule->ranges[mid].has_below && value >= rule->ranges[mid].below) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}
