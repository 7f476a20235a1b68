/*
 * Unit tests for router/shardmap.c. Row placement depends on every value
 * here: the hashes and shards below are golden vectors computed with
 * libxxhash 0.8.1 (XXH64, seed 0; int keys as 8 bytes little-endian) and
 * cross-checked with xxh64sum from the same release. If one of them
 * changes, existing data would be read from the wrong shard.
 *
 * "Equal ranges" for N shards means shard i owns
 * [floor(i * 2^64 / N), floor((i + 1) * 2^64 / N) - 1], the last one up to
 * 2^64 - 1.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "router/shardmap.h"

struct golden_int {
    int64_t value;
    uint64_t hash;
    uint32_t shard_of_2;
    uint32_t shard_of_3;
};

static const struct golden_int golden_ints[] = {
    {0, UINT64_C(0x34c96acdcadb1bbb), 0, 0},
    {1, UINT64_C(0x9f29cb17a2a49995), 1, 1},
    {2, UINT64_C(0xeac73e4044e82db0), 1, 2},
    {3, UINT64_C(0x87b8166da7ec4841), 1, 1},
    {4, UINT64_C(0x2ba609fa0797d28b), 0, 0},
    {5, UINT64_C(0x89be0b2dd5c2593d), 1, 1},
    {7, UINT64_C(0x0876cd406afde455), 0, 0},
    {8, UINT64_C(0xf2b48c6959ac244e), 1, 2},
    {42, UINT64_C(0xb556806fb6d14353), 1, 2},
    {5000, UINT64_C(0x6ba026b2cd7a71e9), 0, 1},
    {-1, UINT64_C(0x85d136adb773c6c9), 1, 1},
    {-5, UINT64_C(0xe17a3658c67d607b), 1, 2},
    {INT64_MAX, UINT64_C(0xff70cc60366e770c), 1, 2},
    {INT64_MIN, UINT64_C(0x3f425eacf01544e0), 0, 0},
};

struct golden_string {
    const char *value;
    uint64_t hash;
    uint32_t shard_of_2;
    uint32_t shard_of_3;
};

static const struct golden_string golden_strings[] = {
    {"", UINT64_C(0xef46db3751d8e999), 1, 2},
    {"alice", UINT64_C(0x73a3ea485f2e6049), 0, 1},
    {"bob", UINT64_C(0x92878a3b42bad03b), 1, 1},
    {"carol", UINT64_C(0xc1ceb4e654b4cc38), 1, 2},
    {"dave", UINT64_C(0x2857ed8653e4fb22), 0, 0},
    {"5", UINT64_C(0x6a81b47405b648ed), 0, 1},
    {"it's", UINT64_C(0xb83f3256aa789cca), 1, 2},
};

#define NELEMS(a) (sizeof(a) / sizeof((a)[0]))

static void
set_range(struct sp_shard_cfg *shard, const char *name, uint64_t from, uint64_t to)
{
    memset(shard, 0, sizeof(*shard));
    shard->name = (char *)name;
    shard->hash_from = from;
    shard->hash_to = to;
}

static void
init_two(struct sp_shardmap *map, struct sp_shard_cfg shards[2])
{
    struct sp_error err;

    set_range(&shards[0], "s0", 0, UINT64_C(0x7fffffffffffffff));
    set_range(&shards[1], "s1", UINT64_C(0x8000000000000000), UINT64_MAX);
    assert_int_equal(sp_shardmap_init(map, shards, 2, &err), SP_OK);
}

static void
init_three(struct sp_shardmap *map, struct sp_shard_cfg shards[3])
{
    struct sp_error err;

    set_range(&shards[0], "s0", 0, UINT64_C(0x5555555555555554));
    set_range(&shards[1], "s1", UINT64_C(0x5555555555555555), UINT64_C(0xaaaaaaaaaaaaaaa9));
    set_range(&shards[2], "s2", UINT64_C(0xaaaaaaaaaaaaaaaa), UINT64_MAX);
    assert_int_equal(sp_shardmap_init(map, shards, 3, &err), SP_OK);
}

static void
hash_int_golden(void **state)
{
    size_t i;

    for (i = 0; i < NELEMS(golden_ints); i++) {
        assert_int_equal(sp_shardmap_hash_int(golden_ints[i].value), golden_ints[i].hash);
    }
}

static void
hash_string_golden(void **state)
{
    const char *v;
    size_t i;

    for (i = 0; i < NELEMS(golden_strings); i++) {
        v = golden_strings[i].value;
        assert_int_equal(sp_shardmap_hash_bytes(v, strlen(v)), golden_strings[i].hash);
    }
}

static void
lookup_golden_two_shards(void **state)
{
    struct sp_shard_cfg shards[2];
    struct sp_shardmap map;
    size_t i;

    init_two(&map, shards);
    for (i = 0; i < NELEMS(golden_ints); i++) {
        assert_int_equal(sp_shardmap_lookup(&map, sp_shardmap_hash_int(golden_ints[i].value)),
                         golden_ints[i].shard_of_2);
    }
    for (i = 0; i < NELEMS(golden_strings); i++) {
        assert_int_equal(sp_shardmap_lookup(&map, golden_strings[i].hash),
                         golden_strings[i].shard_of_2);
    }
    sp_shardmap_deinit(&map);
}

static void
lookup_golden_three_shards(void **state)
{
    struct sp_shard_cfg shards[3];
    struct sp_shardmap map;
    size_t i;

    init_three(&map, shards);
    for (i = 0; i < NELEMS(golden_ints); i++) {
        assert_int_equal(sp_shardmap_lookup(&map, sp_shardmap_hash_int(golden_ints[i].value)),
                         golden_ints[i].shard_of_3);
    }
    for (i = 0; i < NELEMS(golden_strings); i++) {
        assert_int_equal(sp_shardmap_lookup(&map, golden_strings[i].hash),
                         golden_strings[i].shard_of_3);
    }
    sp_shardmap_deinit(&map);
}

static void
lookup_range_boundaries(void **state)
{
    struct sp_shard_cfg shards[3];
    struct sp_shardmap map;

    init_three(&map, shards);
    assert_int_equal(sp_shardmap_lookup(&map, 0), 0);
    assert_int_equal(sp_shardmap_lookup(&map, UINT64_C(0x5555555555555554)), 0);
    assert_int_equal(sp_shardmap_lookup(&map, UINT64_C(0x5555555555555555)), 1);
    assert_int_equal(sp_shardmap_lookup(&map, UINT64_C(0xaaaaaaaaaaaaaaa9)), 1);
    assert_int_equal(sp_shardmap_lookup(&map, UINT64_C(0xaaaaaaaaaaaaaaaa)), 2);
    assert_int_equal(sp_shardmap_lookup(&map, UINT64_MAX), 2);
    sp_shardmap_deinit(&map);
}

static void
lookup_ranges_in_any_order(void **state)
{
    struct sp_shard_cfg shards[3];
    struct sp_shardmap map;
    struct sp_error err;

    /* Shard 0 owns the top of the space, shard 2 the bottom. */
    set_range(&shards[0], "top", UINT64_C(0xc000000000000000), UINT64_MAX);
    set_range(&shards[1], "middle", UINT64_C(0x1000000000000000), UINT64_C(0xbfffffffffffffff));
    set_range(&shards[2], "bottom", 0, UINT64_C(0x0fffffffffffffff));
    assert_int_equal(sp_shardmap_init(&map, shards, 3, &err), SP_OK);
    assert_int_equal(sp_shardmap_lookup(&map, 0), 2);
    assert_int_equal(sp_shardmap_lookup(&map, UINT64_C(0x0fffffffffffffff)), 2);
    assert_int_equal(sp_shardmap_lookup(&map, UINT64_C(0x1000000000000000)), 1);
    assert_int_equal(sp_shardmap_lookup(&map, UINT64_C(0xbfffffffffffffff)), 1);
    assert_int_equal(sp_shardmap_lookup(&map, UINT64_C(0xc000000000000000)), 0);
    assert_int_equal(sp_shardmap_lookup(&map, UINT64_MAX), 0);
    sp_shardmap_deinit(&map);
}

static void
lookup_single_shard(void **state)
{
    struct sp_shard_cfg shard;
    struct sp_shardmap map;
    struct sp_error err;

    set_range(&shard, "only", 0, UINT64_MAX);
    assert_int_equal(sp_shardmap_init(&map, &shard, 1, &err), SP_OK);
    assert_int_equal(sp_shardmap_lookup(&map, 0), 0);
    assert_int_equal(sp_shardmap_lookup(&map, UINT64_MAX), 0);
    sp_shardmap_deinit(&map);
}

static void
sequential_keys_spread_evenly(void **state)
{
    struct sp_shard_cfg two[2], three[3];
    struct sp_shardmap map2, map3;
    unsigned count2[2] = {0, 0}, count3[3] = {0, 0, 0};
    int64_t key;
    int i;

    init_two(&map2, two);
    init_three(&map3, three);
    for (key = 1; key <= 10000; key++) {
        count2[sp_shardmap_lookup(&map2, sp_shardmap_hash_int(key))]++;
        count3[sp_shardmap_lookup(&map3, sp_shardmap_hash_int(key))]++;
    }
    for (i = 0; i < 2; i++) {
        assert_in_range(count2[i], 4000, 6000);
    }
    for (i = 0; i < 3; i++) {
        assert_in_range(count3[i], 2667, 4000);
    }
    sp_shardmap_deinit(&map2);
    sp_shardmap_deinit(&map3);
}

static void
check_invalid(struct sp_shard_cfg *shards, size_t nshards, const char *fragment)
{
    struct sp_shardmap map;
    struct sp_error err;

    memset(&err, 0, sizeof(err));
    assert_int_equal(sp_shardmap_init(&map, shards, nshards, &err), SP_EINVAL);
    assert_null(map.ranges);
    assert_non_null(strstr(err.message, fragment));
}

static void
init_rejects_bad_ranges(void **state)
{
    struct sp_shard_cfg shards[2];

    /* A gap between the two ranges. */
    set_range(&shards[0], "s0", 0, 100);
    set_range(&shards[1], "s1", 102, UINT64_MAX);
    check_invalid(shards, 2,
                  "shard 's1' hash range starts at 102, so hashes 101 to 101 belong to no shard");

    /* Overlapping ranges. */
    set_range(&shards[1], "s1", 50, UINT64_MAX);
    check_invalid(shards, 2, "shard 's1' hash range starts at 50, inside the range of shard 's0'");

    /* The space does not start at 0. */
    set_range(&shards[0], "s0", 1, 100);
    set_range(&shards[1], "s1", 101, UINT64_MAX);
    check_invalid(shards, 2,
                  "shard 's0' hash range starts at 1, so hashes 0 to 0 belong to no shard");

    /* The space does not end at 2^64 - 1. */
    set_range(&shards[0], "s0", 0, 100);
    set_range(&shards[1], "s1", 101, 200);
    check_invalid(shards, 2, "shard 's1' hash range ends at 200");

    /* An empty range. */
    set_range(&shards[1], "s1", 300, 200);
    check_invalid(shards, 2, "shard 's1' has an empty hash range");

    /* A range after one that already reaches the end. */
    set_range(&shards[0], "s0", 0, UINT64_MAX);
    set_range(&shards[1], "s1", 0, UINT64_MAX);
    check_invalid(shards, 2, "inside the range of shard");

    check_invalid(shards, 0, "the number of shards must be between 1 and");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hash_int_golden),
        cmocka_unit_test(hash_string_golden),
        cmocka_unit_test(lookup_golden_two_shards),
        cmocka_unit_test(lookup_golden_three_shards),
        cmocka_unit_test(lookup_range_boundaries),
        cmocka_unit_test(lookup_ranges_in_any_order),
        cmocka_unit_test(lookup_single_shard),
        cmocka_unit_test(sequential_keys_spread_evenly),
        cmocka_unit_test(init_rejects_bad_ranges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
