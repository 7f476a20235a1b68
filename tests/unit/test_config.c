/*
 * Unit tests for the config loader: the example configs, defaults, hash
 * range splitting and checking, JSON syntax checks on top of jsmn, and the
 * exact error message (with line and column) for each invalid input.
 *
 * Invalid inputs live in tests/data/config/invalid/, one problem per file.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

#define CONFIG_DATA_DIR SP_TEST_DATA_DIR "/config"
#define EXAMPLE_DIR SP_SOURCE_DIR "/config/example"

static struct sp_config *
load_file_ok(const char *path)
{
    struct sp_config *cfg = NULL;
    struct sp_error err = {0};
    int rc;

    rc = sp_config_load_file(path, &cfg, &err);
    if (rc != SP_OK) {
        fail_msg("%s: %s", path, err.message);
    }
    assert_non_null(cfg);
    return cfg;
}

static struct sp_config *
load_string_ok(const char *json)
{
    struct sp_config *cfg = NULL;
    struct sp_error err = {0};
    int rc;

    rc = sp_config_load_string(json, strlen(json), "inline.json", &cfg, &err);
    if (rc != SP_OK) {
        fail_msg("%s", err.message);
    }
    assert_non_null(cfg);
    return cfg;
}

/* Loads LEN bytes of JSON that must fail with EXPECTED as the whole message. */
static void
assert_load_fails(const char *json, size_t len, const char *expected)
{
    struct sp_config *cfg = (struct sp_config *)&cfg; /* must be reset to NULL */
    struct sp_error err = {0};
    int rc;

    rc = sp_config_load_string(json, len, "inline.json", &cfg, &err);
    assert_int_equal(rc, SP_EINVAL);
    assert_null(cfg);
    assert_string_equal(err.message, expected);
    assert_int_equal(err.code, SP_ER_UNKNOWN_ERROR);
    assert_string_equal(err.sqlstate, "HY000");
}

static void
test_example_local_2shards(void **state)
{
    struct sp_config *cfg = load_file_ok(EXAMPLE_DIR "/local-2shards.json");

    assert_string_equal(cfg->source, EXAMPLE_DIR "/local-2shards.json");
    assert_string_equal(cfg->listen_host, "127.0.0.1");
    assert_int_equal(cfg->listen_port, 6033);
    assert_int_equal(cfg->workers, 2);
    assert_string_equal(cfg->region, "eu");

    assert_int_equal(cfg->nusers, 1);
    assert_string_equal(cfg->users[0].user, "app");
    assert_string_equal(cfg->users[0].password, "app-pass");

    assert_int_equal(cfg->nshards, 2);
    assert_string_equal(cfg->shards[0].name, "s0");
    assert_string_equal(cfg->shards[0].primary.host, "127.0.0.1");
    assert_int_equal(cfg->shards[0].primary.port, 3311);
    assert_null(cfg->shards[0].primary.region);
    assert_int_equal(cfg->shards[0].nreplicas, 2);
    assert_int_equal(cfg->shards[0].replicas[0].port, 3321);
    assert_string_equal(cfg->shards[0].replicas[0].region, "eu");
    assert_int_equal(cfg->shards[0].replicas[1].port, 3331);
    assert_string_equal(cfg->shards[0].replicas[1].region, "us");
    assert_string_equal(cfg->shards[1].name, "s1");
    assert_int_equal(cfg->shards[1].primary.port, 3312);
    assert_int_equal(cfg->default_shard, 0);

    assert_int_equal(cfg->ntables, 1);
    assert_string_equal(cfg->tables[0].name, "sbtest");
    assert_true(cfg->tables[0].prefix);
    assert_string_equal(cfg->tables[0].shard_key, "id");
    assert_int_equal(cfg->tables[0].key_type, SP_KEY_INT);
    assert_int_equal(cfg->tables[0].algorithm, SP_ALGORITHM_HASH);
    assert_int_equal(cfg->log_level, SP_LOG_INFO);

    sp_config_destroy(cfg);
}

static void
test_example_regions(void **state)
{
    struct sp_config *cfg = load_file_ok(EXAMPLE_DIR "/regions.json");

    assert_string_equal(cfg->listen_host, "::1");
    assert_int_equal(cfg->listen_port, 6033);
    assert_int_equal(cfg->workers, 0);
    assert_string_equal(cfg->region, "eu");

    assert_int_equal(cfg->nusers, 2);
    assert_string_equal(cfg->users[0].backend_user, "app");
    assert_string_equal(cfg->users[0].backend_password, "app-pass");
    assert_string_equal(cfg->users[1].user, "report");
    assert_string_equal(cfg->users[1].backend_user, "report_ro");
    assert_string_equal(cfg->users[1].backend_password, "report-ro-pass");

    assert_int_equal(cfg->nshards, 2);
    assert_string_equal(cfg->shards[1].name, "eu-1");
    assert_int_equal(cfg->shards[1].nreplicas, 2);
    assert_string_equal(cfg->shards[1].replicas[0].host, "10.0.2.11");
    assert_string_equal(cfg->shards[1].replicas[0].region, "eu");
    assert_string_equal(cfg->shards[1].replicas[1].region, "us");
    assert_true(cfg->shards[0].hash_from == 0);
    assert_true(cfg->shards[0].hash_to == UINT64_C(0x7fffffffffffffff));
    assert_true(cfg->shards[1].hash_from == UINT64_C(0x8000000000000000));
    assert_true(cfg->shards[1].hash_to == UINT64_MAX);
    assert_int_equal(cfg->default_shard, 0);

    assert_int_equal(cfg->ntables, 4);
    assert_string_equal(cfg->tables[0].name, "orders");
    assert_false(cfg->tables[0].prefix);
    assert_string_equal(cfg->tables[2].shard_key, "token");
    assert_int_equal(cfg->tables[2].key_type, SP_KEY_STRING);
    assert_string_equal(cfg->tables[3].name, "events_");
    assert_true(cfg->tables[3].prefix);

    assert_int_equal(cfg->max_client_connections, 20000);
    assert_int_equal(cfg->pool_max_per_backend, 32);
    assert_int_equal(cfg->pool_idle_timeout_ms, 30000);
    assert_int_equal(cfg->pool_wait_timeout_ms, 2000);
    assert_int_equal(cfg->connect_timeout_ms, 1000);
    assert_int_equal(cfg->max_packet_size, 16777216);
    assert_int_equal(cfg->log_level, SP_LOG_WARN);

    sp_config_destroy(cfg);
}

static void
test_every_example_loads(void **state)
{
    struct dirent *entry;
    size_t loaded = 0;
    DIR *dir;

    dir = opendir(EXAMPLE_DIR);
    assert_non_null(dir);

    while ((entry = readdir(dir)) != NULL) {
        size_t len = strlen(entry->d_name);
        char path[1024];

        if (len < 5 || strcmp(entry->d_name + len - 5, ".json") != 0) {
            continue;
        }
        snprintf(path, sizeof(path), "%s/%s", EXAMPLE_DIR, entry->d_name);
        sp_config_destroy(load_file_ok(path));
        loaded++;
    }
    closedir(dir);

    assert_true(loaded >= 2);
}

static void
test_defaults_applied(void **state)
{
    struct sp_config *cfg = load_file_ok(CONFIG_DATA_DIR "/valid/minimal.json");

    assert_string_equal(cfg->listen_host, "0.0.0.0");
    assert_int_equal(cfg->workers, 0);
    assert_null(cfg->region);

    assert_string_equal(cfg->users[0].password, "");
    assert_string_equal(cfg->users[0].backend_user, "app");
    assert_string_equal(cfg->users[0].backend_password, "");

    assert_int_equal(cfg->nshards, 1);
    assert_int_equal(cfg->default_shard, 0);
    assert_true(cfg->shards[0].hash_from == 0);
    assert_true(cfg->shards[0].hash_to == UINT64_MAX);
    assert_int_equal(cfg->shards[0].nreplicas, 1);
    assert_null(cfg->shards[0].replicas[0].region);

    assert_int_equal(cfg->ntables, 1);
    assert_false(cfg->tables[0].prefix);
    assert_int_equal(cfg->tables[0].type, SP_TABLE_SHARDED);
    assert_int_equal(cfg->tables[0].key_type, SP_KEY_INT);
    assert_int_equal(cfg->tables[0].algorithm, SP_ALGORITHM_HASH);
    assert_null(cfg->tables[0].ranges);
    assert_int_equal(cfg->tables[0].nranges, 0);

    assert_int_equal(cfg->max_client_connections, 10000);
    assert_int_equal(cfg->pool_max_per_backend, 64);
    assert_int_equal(cfg->pool_idle_timeout_ms, 60000);
    assert_int_equal(cfg->pool_wait_timeout_ms, 5000);
    assert_int_equal(cfg->connect_timeout_ms, 3000);
    assert_int_equal(cfg->max_packet_size, 67108864);
    assert_int_equal(cfg->max_merge_rows, 100000);
    assert_string_equal(cfg->server_version, "5.5.5-10.11.0-MariaDB-shardproxy");
    assert_int_equal(cfg->log_level, SP_LOG_INFO);
    assert_int_equal(cfg->read_policy, SP_READ_REPLICA);
    assert_false(cfg->read_from_other_regions);
    assert_true(cfg->read_your_writes);
    assert_int_equal(cfg->transaction_reads, SP_TXN_READS_PRIMARY);
    assert_int_equal(cfg->health_interval_ms, 1000);
    assert_int_equal(cfg->health_rise_checks, 3);
    assert_int_equal(cfg->max_replica_lag_ms, 5000);
    /* The health checks log in with the first user's backend account. */
    assert_string_equal(cfg->monitor_user, "app");
    assert_string_equal(cfg->monitor_password, "");

    sp_config_destroy(cfg);
}

static void
test_replica_settings(void **state)
{
    static const char json[] =
        "{\"listen\": \"127.0.0.1:6033\", \"users\": [{\"user\": \"app\", \"password\": \"p\"}],"
        " \"shards\": [{\"name\": \"s0\", \"primary\": {\"host\": \"127.0.0.1\", \"port\": 3311}}],"
        " \"read_policy\": \"primary\", \"read_from_other_regions\": true,"
        " \"read_your_writes\": false, \"transaction_reads\": \"replica\","
        " \"health_interval_ms\": 250, \"health_rise_checks\": 5,"
        " \"max_replica_lag_ms\": 1500, \"monitor_user\": \"mon\"}";
    struct sp_config *cfg = NULL;
    struct sp_error err;

    assert_int_equal(sp_config_load_string(json, sizeof(json) - 1, "inline", &cfg, &err), SP_OK);
    assert_int_equal(cfg->read_policy, SP_READ_PRIMARY);
    assert_true(cfg->read_from_other_regions);
    assert_false(cfg->read_your_writes);
    assert_int_equal(cfg->transaction_reads, SP_TXN_READS_REPLICA);
    assert_int_equal(cfg->health_interval_ms, 250);
    assert_int_equal(cfg->health_rise_checks, 5);
    assert_int_equal(cfg->max_replica_lag_ms, 1500);
    assert_string_equal(cfg->monitor_user, "mon");
    assert_string_equal(cfg->monitor_password, "");
    sp_config_destroy(cfg);
}

/* Builds a config with N shards on distinct ports and no hash_range. */
static char *
make_shards_config(size_t n)
{
    size_t cap = 256 + n * 96;
    char *json = malloc(cap);
    size_t used;
    size_t i;

    assert_non_null(json);
    used = (size_t)snprintf(json, cap,
                            "{\"listen\": \"127.0.0.1:6033\", \"default_shard\": \"s0\",\n"
                            " \"users\": [{\"user\": \"u\", \"password\": \"p\"}],\n"
                            " \"shards\": [\n");
    for (i = 0; i < n; i++) {
        used += (size_t)snprintf(json + used, cap - used,
                                 "  {\"name\": \"s%zu\", \"primary\": {\"host\": \"127.0.0.1\", "
                                 "\"port\": %zu}}%s\n",
                                 i, 10000 + i, i + 1 < n ? "," : "");
    }
    snprintf(json + used, cap - used, " ]}\n");
    return json;
}

static void
test_equal_hash_ranges_cover_space(void **state)
{
    static const size_t counts[] = {1, 2, 3, 7};
    size_t c;

    for (c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
        size_t n = counts[c];
        char *json = make_shards_config(n);
        struct sp_config *cfg = load_string_ok(json);
        size_t i;

        assert_int_equal(cfg->nshards, n);
        assert_true(cfg->shards[0].hash_from == 0);
        assert_true(cfg->shards[n - 1].hash_to == UINT64_MAX);
        for (i = 0; i < n; i++) {
            unsigned __int128 expected_from = ((unsigned __int128)i << 64) / n;

            assert_true(cfg->shards[i].hash_from == (uint64_t)expected_from);
            assert_true(cfg->shards[i].hash_from <= cfg->shards[i].hash_to);
            if (i > 0) {
                assert_true(cfg->shards[i].hash_from == cfg->shards[i - 1].hash_to + 1);
            }
        }

        sp_config_destroy(cfg);
        free(json);
    }
}

/* Pinned boundaries: data placement depends on them. */
static void
test_equal_hash_ranges_pinned(void **state)
{
    char *json = make_shards_config(3);
    struct sp_config *cfg = load_string_ok(json);

    assert_true(cfg->shards[0].hash_to == UINT64_C(0x5555555555555554));
    assert_true(cfg->shards[1].hash_from == UINT64_C(0x5555555555555555));
    assert_true(cfg->shards[1].hash_to == UINT64_C(0xaaaaaaaaaaaaaaa9));
    assert_true(cfg->shards[2].hash_from == UINT64_C(0xaaaaaaaaaaaaaaaa));
    sp_config_destroy(cfg);
    free(json);

    json = make_shards_config(2);
    cfg = load_string_ok(json);
    assert_true(cfg->shards[0].hash_to == UINT64_C(0x7fffffffffffffff));
    assert_true(cfg->shards[1].hash_from == UINT64_C(0x8000000000000000));
    sp_config_destroy(cfg);
    free(json);
}

static void
test_explicit_hash_ranges(void **state)
{
    struct sp_config *cfg = load_file_ok(CONFIG_DATA_DIR "/valid/hash-ranges.json");

    assert_true(cfg->shards[0].hash_from == 0);
    assert_true(cfg->shards[0].hash_to == UINT64_C(0x0fffffffffffffff));
    assert_true(cfg->shards[1].hash_from == UINT64_C(0x1000000000000000));
    assert_true(cfg->shards[1].hash_to == UINT64_C(0x7fffffffffffffff));
    assert_true(cfg->shards[2].hash_from == UINT64_C(0x8000000000000000));
    assert_true(cfg->shards[2].hash_to == UINT64_MAX);
    assert_int_equal(cfg->default_shard, 1);
    sp_config_destroy(cfg);
}

static void
test_shard_count_limit(void **state)
{
    char *json = make_shards_config(1024);
    struct sp_config *cfg = load_string_ok(json);

    assert_int_equal(cfg->nshards, 1024);
    assert_true(cfg->shards[1023].hash_to == UINT64_MAX);
    sp_config_destroy(cfg);
    free(json);

    json = make_shards_config(1025);
    assert_load_fails(json, strlen(json),
                      "inline.json:3:12: shards: expected a non-empty array of at most 1024 "
                      "shards");
    free(json);
}

struct invalid_case {
    const char *file;
    const char *message; /* after "PATH:" */
};

static const struct invalid_case invalid_cases[] = {
    {"port-string.json", "6:61: shards[1].primary.port: expected an integer 1..65535"},
    {"port-zero.json", "6:61: shards[1].primary.port: expected an integer 1..65535"},
    {"port-too-large.json", "6:61: shards[1].primary.port: expected an integer 1..65535"},
    {"port-fraction.json", "6:61: shards[1].primary.port: expected an integer 1..65535"},
    {"unknown-key.json",
     "5:68: shards[0]: unknown key \"weight\" (valid keys: name, primary, replicas, hash_range)"},
    {"duplicate-key.json", "9:3: duplicate key \"listen\""},
    {"replica-twice.json",
     "6:56: shards[0].replicas[1]: 127.0.0.1:3321 is also used by shards[0].replicas[0]; each "
     "server of a shard must be listed once"},
    {"replica-is-primary.json",
     "6:19: shards[0].replicas[0]: 127.0.0.1:3311 is also used by shards[0].primary; each server "
     "of a shard must be listed once"},
    {"top-key-typo.json",
     "8:26: unknown key \"read_polcy\" (did you mean \"read_policy\"? README.md lists every key "
     "under Configuration)"},
    {"top-key-unknown.json",
     "8:26: unknown key \"shard_count\" (README.md lists every key under Configuration)"},
    {"duplicate-shard-name.json",
     "6:14: shards[1].name: duplicate shard name \"s0\" (also shards[0])"},
    {"unknown-default-shard.json", "8:20: default_shard: unknown shard \"s9\""},
    {"missing-default-shard.json",
     "1:1: missing required key \"default_shard\" (required when there is more than one shard)"},
    {"missing-users.json", "1:1: missing required key \"users\""},
    {"empty-users.json", "3:12: users: expected a non-empty array of users"},
    {"duplicate-user.json", "3:63: users[1].user: duplicate user \"app\" (also users[0])"},
    {"missing-primary.json", "5:5: shards[0]: missing required key \"primary\""},
    {"shared-endpoint.json",
     "7:19: shards[1].replicas[0]: 127.0.0.1:3311 is also used by shards[0].primary; two shards "
     "must not share a server"},
    {"bracketed-host.json",
     "5:40: shards[0].primary.host: write IPv6 addresses without brackets, for example \"::1\""},
    {"bad-shard-name.json",
     "5:14: shards[0].name: expected 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'"},
    {"workers-too-many.json", "2:42: workers: expected an integer 0..256"},
    {"listen-ipv6-brackets.json",
     "2:13: listen: put an IPv6 address in brackets, for example \"[::1]:6033\""},
    {"listen-no-port.json",
     "2:13: listen: expected \"host:port\", for example \"127.0.0.1:6033\" or \"[::1]:6033\""},
    {"log-level.json", "8:39: log_level: expected \"error\", \"warn\", \"info\" or \"debug\""},
    {"transaction-mode.json", "8:46: transaction_mode: expected \"multi\" or \"single\""},
    {"read-policy.json", "8:41: read_policy: expected \"replica\" or \"primary\""},
    {"read-your-writes.json", "8:46: read_your_writes: expected true or false"},
    {"health-interval.json", "8:48: health_interval_ms: expected an integer 10..3600000"},
    {"monitor-password-alone.json", "8:46: monitor_password: given without \"monitor_user\""},
    {"null-region.json", "2:41: region: expected a string"},
    {"nul-in-password.json", "3:41: users[0].password: \\u0000 (NUL) is not allowed in strings"},
    {"not-an-object.json", "1:1: expected a JSON object at the top level"},
    {"wildcard-middle.json",
     "11:14: tables[1].name: '*' is allowed only at the end of a name, as a prefix wildcard"},
    {"wildcard-alone.json", "11:14: tables[1].name: a wildcard needs a prefix before the '*'"},
    {"bad-key-type.json", "11:56: tables[1].key_type: expected \"int\" or \"string\""},
    {"bad-algorithm.json", "11:57: tables[1].algorithm: expected \"hash\" or \"range\""},
    {"bad-table-type.json", "11:36: tables[1].type: expected \"sharded\" or \"reference\""},
    {"range-missing-ranges.json",
     "11:5: tables[1]: missing required key \"ranges\" (required with \"algorithm\": \"range\")"},
    {"range-string-key.json",
     "11:56: tables[1].key_type: expected \"int\": range sharding supports only integer keys"},
    {"ranges-without-range.json",
     "11:54: tables[1].ranges: allowed only with \"algorithm\": \"range\""},
    {"range-below-order.json",
     "12:74: tables[1].ranges[1].below: must be greater than the previous range's \"below\" "
     "(5000)"},
    {"range-last-below.json",
     "12:74: tables[1].ranges[1].below: the last range must not have \"below\": it takes every "
     "key from the previous \"below\" up"},
    {"range-missing-below.json",
     "12:17: tables[1].ranges[0]: missing required key \"below\" (required in every range but the "
     "last)"},
    {"range-unknown-shard.json", "12:59: tables[1].ranges[1].shard: unknown shard \"s9\""},
    {"range-empty.json",
     "11:76: tables[1].ranges: expected a non-empty array of at most 1024 ranges"},
    {"range-below-fraction.json",
     "12:42: tables[1].ranges[0].below: expected an integer "
     "-9223372036854775808..9223372036854775807"},
    {"range-unknown-key.json",
     "12:33: tables[1].ranges[0]: unknown key \"upto\" (valid keys: shard, below)"},
    {"reference-shard-key.json",
     "11:62: tables[1].shard_key: not allowed in a reference table, which is copied in full to "
     "every shard"},
    {"reference-algorithm.json",
     "11:62: tables[1].algorithm: not allowed in a reference table, which is copied in full to "
     "every shard"},
    {"merge-rows-zero.json", "5:21: max_merge_rows: expected an integer 1..100000000"},
    {"duplicate-table.json", "11:14: tables[1].name: duplicate table \"orders\" (also tables[0])"},
    {"missing-shard-key.json", "11:5: tables[1]: missing required key \"shard_key\""},
    {"hash-range-gap.json",
     "8:29: shards[1].hash_range.from: leaves a gap after shards[0], whose range ends at "
     "0x7ffffffffffffffe: expected 0x7fffffffffffffff (ranges must be contiguous in shard order)"},
    {"hash-range-overlap.json",
     "8:29: shards[1].hash_range.from: overlaps shards[0], whose range ends at "
     "0x8000000000000000: expected 0x8000000000000001 (ranges must be contiguous in shard order)"},
    {"hash-range-start.json",
     "6:29: shards[0].hash_range.from: the first shard's range must start at 0x0000000000000000"},
    {"hash-range-end.json",
     "8:57: shards[1].hash_range.to: the last shard's range must end at 0xffffffffffffffff"},
    {"hash-range-partial.json",
     "7:5: shards[1]: missing required key \"hash_range\" (required because shards[0] sets one)"},
    {"hash-range-reversed.json",
     "8:20: shards[1].hash_range: \"from\" 0xffffffffffffffff is greater than \"to\" "
     "0x8000000000000000"},
    {"hash-range-number.json",
     "6:29: shards[0].hash_range.from: expected a string of 1 to 16 hex digits after \"0x\", for "
     "example \"0x7fffffffffffffff\""},
    {"hash-range-too-long.json",
     "8:57: shards[1].hash_range.to: expected a string of 1 to 16 hex digits after \"0x\", for "
     "example \"0x7fffffffffffffff\""},
    {"missing-comma.json", "3:3: invalid JSON: expected ',' or '}'"},
    {"trailing-comma.json", "8:24: invalid JSON: trailing comma before '}'"},
    {"trailing-garbage.json", "9:3: invalid JSON: unexpected data after the top-level value"},
    {"two-documents.json", "10:1: invalid JSON: unexpected data after the top-level value"},
    {"unclosed-object.json", "1:1: invalid JSON: '{' is never closed"},
    {"unterminated-string.json", "8:20: invalid JSON: unterminated string"},
    {"single-quotes.json", "8:3: invalid JSON: expected a string key, found \"'\""},
    {"bad-literal.json", "2:42: invalid JSON: invalid value \"tru\""},
    {"bad-escape.json", "3:45: invalid JSON: invalid escape sequence in string"},
    {"empty.json", "1:1: invalid JSON: the text is empty"},
    {"whitespace-only.json", "3:1: invalid JSON: no value, only whitespace"},
};

static void
test_invalid_files(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
        const struct invalid_case *c = &invalid_cases[i];
        struct sp_config *cfg = NULL;
        struct sp_error err = {0};
        char path[512];
        char expected[1024];
        int rc;

        snprintf(path, sizeof(path), "%s/invalid/%s", CONFIG_DATA_DIR, c->file);
        snprintf(expected, sizeof(expected), "%s:%s", path, c->message);

        rc = sp_config_load_file(path, &cfg, &err);
        assert_int_equal(rc, SP_EINVAL);
        assert_null(cfg);
        assert_string_equal(err.message, expected);
    }
}

/* Every file in invalid/ must have a case above, so none is silently skipped. */
static void
test_invalid_files_all_listed(void **state)
{
    struct dirent *entry;
    size_t files = 0;
    DIR *dir;

    dir = opendir(CONFIG_DATA_DIR "/invalid");
    assert_non_null(dir);
    while ((entry = readdir(dir)) != NULL) {
        bool listed = false;
        size_t i;

        if (entry->d_name[0] == '.') {
            continue;
        }
        for (i = 0; i < sizeof(invalid_cases) / sizeof(invalid_cases[0]); i++) {
            listed = listed || strcmp(invalid_cases[i].file, entry->d_name) == 0;
        }
        if (!listed) {
            fail_msg("%s has no case in invalid_cases", entry->d_name);
        }
        files++;
    }
    closedir(dir);

    assert_int_equal(files, sizeof(invalid_cases) / sizeof(invalid_cases[0]));
}

static void
test_missing_file(void **state)
{
    struct sp_config *cfg = NULL;
    struct sp_error err = {0};
    int rc;

    rc = sp_config_load_file(CONFIG_DATA_DIR "/no-such-file.json", &cfg, &err);
    assert_int_equal(rc, SP_EIO);
    assert_null(cfg);
    assert_string_equal(err.message,
                        CONFIG_DATA_DIR
                        "/no-such-file.json: cannot open: No such file or directory");
}

static void
test_text_size_limit(void **state)
{
    size_t len = 16u * 1024 * 1024 + 1;
    char *json = malloc(len);
    struct sp_config *cfg = NULL;
    struct sp_error err = {0};
    int rc;

    assert_non_null(json);
    memset(json, ' ', len);

    rc = sp_config_load_string(json, len, "big.json", &cfg, &err);
    assert_int_equal(rc, SP_EINVAL);
    assert_null(cfg);
    assert_string_equal(err.message,
                        "big.json: the text is 16777217 bytes, more than the limit of 16777216");
    free(json);
}

static void
test_source_defaults_to_string(void **state)
{
    struct sp_config *cfg = NULL;
    struct sp_error err = {0};
    int rc;

    rc = sp_config_load_string("[]", 2, NULL, &cfg, &err);
    assert_int_equal(rc, SP_EINVAL);
    assert_string_equal(err.message, "<string>:1:1: expected a JSON object at the top level");
}

#define MINIMAL_PREFIX                                                                        \
    "{\"users\": [{\"user\": \"u\", \"password\": \"p\"}],\n"                                 \
    " \"shards\": [{\"name\": \"s0\", \"primary\": {\"host\": \"h\", \"port\": 1}}],\n"

/* Error positions past line 1. The column counts characters, not bytes. */
static void
test_error_line_and_column(void **state)
{
    static const char json[] = MINIMAL_PREFIX
        " \"region\": \"\xc3\xa9u\", \"workers\": -1,\n"
        " \"listen\": \"h:1\"}";

    assert_load_fails(json, strlen(json), "inline.json:3:29: workers: expected an integer 0..256");
}

struct inline_case {
    const char *json;
    const char *message;
};

/* Syntax that jsmn's strict mode lets through or reports without detail. */
static const struct inline_case syntax_cases[] = {
    {"{\"a\": 1 \"b\": 2}", "inline.json:1:9: invalid JSON: expected ',' or '}'"},
    {"{\"a\": 1, \"b\" 2}", "inline.json:1:14: invalid JSON: expected ':' after the key"},
    {"{\"a\" \"b\"}", "inline.json:1:6: invalid JSON: expected ':' after the key"},
    {"{\"a\"}", "inline.json:1:5: invalid JSON: expected ':' after the key"},
    {"{\"a\":}", "inline.json:1:6: invalid JSON: expected a value after ':'"},
    {"{\"a\": 1,}", "inline.json:1:8: invalid JSON: trailing comma before '}'"},
    {"{\"a\": [1 2]}", "inline.json:1:10: invalid JSON: expected ',' or ']'"},
    {"{\"a\": [1,,2]}", "inline.json:1:10: invalid JSON: unexpected ','"},
    {"{\"a\": [,1]}", "inline.json:1:8: invalid JSON: unexpected ','"},
    {"{\"a\": [1:2]}", "inline.json:1:8: invalid JSON: invalid value \"1:2\""},
    {"{\"a\": [1,]}", "inline.json:1:9: invalid JSON: trailing comma before ']'"},
    {"{\"a\": [\"x\": 1]}", "inline.json:1:11: invalid JSON: unexpected ':'"},
    {"{\"a\": [1}", "inline.json:1:9: invalid JSON: unexpected '}'"},
    {"{1: 2}", "inline.json:1:2: invalid JSON: expected a string key, found '1'"},
    {", {}", "inline.json:1:1: invalid JSON: unexpected ','"},
    {"{} ,", "inline.json:1:4: invalid JSON: unexpected data after the top-level value"},
    {"{\"a\": 01}", "inline.json:1:7: invalid JSON: invalid value \"01\""},
    {"{\"a\": 1.}", "inline.json:1:7: invalid JSON: invalid value \"1.\""},
    {"{\"a\": -}", "inline.json:1:7: invalid JSON: invalid value \"-\""},
    {"{\"a\": 1e}", "inline.json:1:7: invalid JSON: invalid value \"1e\""},
    {"{\"a\": nul}", "inline.json:1:7: invalid JSON: invalid value \"nul\""},
    {"{\"a\": +1}", "inline.json:1:7: invalid JSON: unexpected '+'"},
    {"{\"a\": .5}", "inline.json:1:7: invalid JSON: unexpected '.'"},
    {"{\"a\": \"x\ty\"}", "inline.json:1:9: invalid JSON: control character 0x09 in string; "
                          "write it as an escape such as \\n or \\u0009"},
    {"{\"a\": \"\xff\"}", "inline.json:1:8: invalid JSON: invalid UTF-8 in string"},
    {"{\"a\": \"\xc0\xaf\"}", "inline.json:1:8: invalid JSON: invalid UTF-8 in string"},
    {"{\"a\": \"\xed\xa0\x80\"}", "inline.json:1:8: invalid JSON: invalid UTF-8 in string"},
    {"{\"a\": \"\\ud800\"}", "inline.json:1:8: invalid JSON: unpaired UTF-16 surrogate in \\u "
                             "escape"},
    {"{\"a\": \"\\udc00\\ud800\"}", "inline.json:1:8: invalid JSON: unpaired UTF-16 surrogate "
                                    "in \\u escape"},
    {"{\"a\": \"\\u12g4\"}", "inline.json:1:8: invalid JSON: invalid \\u escape in string: "
                             "expected four hex digits"},
    {"\xef\xbb\xbf{}", "inline.json:1:1: invalid JSON: byte order mark; save the file as UTF-8 "
                       "without BOM"},
    {"{\"a\": [[[", "inline.json:1:9: invalid JSON: '[' is never closed"},
    {"1", "inline.json:1:1: invalid JSON: a number or literal alone is not supported as the "
            "document"},
    {"[1] 2", "inline.json:1:5: invalid JSON: unexpected data after the top-level value"},
    {"\"listen\": \"h:1\"", "inline.json:1:9: invalid JSON: unexpected data after the top-level "
                            "value"},
};

static void
test_json_syntax_errors(void **state)
{
    size_t i;

    for (i = 0; i < sizeof(syntax_cases) / sizeof(syntax_cases[0]); i++) {
        assert_load_fails(syntax_cases[i].json, strlen(syntax_cases[i].json),
                          syntax_cases[i].message);
    }
}

static void
test_json_nul_byte(void **state)
{
    static const char json[] = "{}\0 garbage";

    assert_load_fails(json, sizeof(json) - 1, "inline.json:1:3: invalid JSON: NUL byte");
}

static void
test_json_nesting_limit(void **state)
{
    char json[256];
    size_t i;

    /* 65 nested arrays: one past the limit, inside the top-level object. */
    snprintf(json, sizeof(json), "{\"a\": ");
    for (i = 0; i < 65; i++) {
        strcat(json, "[");
    }
    for (i = 0; i < 65; i++) {
        strcat(json, "]");
    }
    strcat(json, "}");

    assert_load_fails(json, strlen(json),
                      "inline.json:1:70: invalid JSON: objects and arrays are nested deeper than "
                      "64 levels");
}

/* Numbers and literals that are valid JSON but of the wrong type still fail with the path. */
static void
test_valid_json_wrong_type(void **state)
{
    static const struct inline_case cases[] = {
        {MINIMAL_PREFIX " \"listen\": \"h:1\", \"workers\": 1e1}",
         "inline.json:3:30: workers: expected an integer 0..256"},
        {MINIMAL_PREFIX " \"listen\": \"h:1\", \"workers\": true}",
         "inline.json:3:30: workers: expected an integer 0..256"},
        {MINIMAL_PREFIX " \"listen\": \"h:1\", \"workers\": 99999999999999999999}",
         "inline.json:3:30: workers: expected an integer 0..256"},
        {MINIMAL_PREFIX " \"listen\": 6033}",
         "inline.json:3:12: listen: expected \"host:port\", for example \"127.0.0.1:6033\" or "
         "\"[::1]:6033\""},
        {MINIMAL_PREFIX " \"listen\": \"h:1\", \"tables\": {}}",
         "inline.json:3:29: tables: expected an array of tables"},
        {MINIMAL_PREFIX " \"listen\": \"h:1\", \"max_packet_size\": 1023}",
         "inline.json:3:38: max_packet_size: expected an integer 1024..1073741824"},
        {MINIMAL_PREFIX " \"listen\": \"h:1\", \"pool_idle_timeout_ms\": 0}",
         "inline.json:3:43: pool_idle_timeout_ms: expected an integer 1..86400000"},
        {MINIMAL_PREFIX " \"listen\": \"h:1\", \"server_version\": \"\"}",
         "inline.json:3:37: server_version: must not be empty"},
        {MINIMAL_PREFIX " \"listen\": \"h:1\", \"default_shard\": \"s0\", \"users\": []}",
         "inline.json:3:42: duplicate key \"users\""},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_load_fails(cases[i].json, strlen(cases[i].json), cases[i].message);
    }
}

static void
test_listen_forms(void **state)
{
    static const struct {
        const char *listen;
        const char *host;
        uint16_t port;
    } ok[] = {
        {"127.0.0.1:6033", "127.0.0.1", 6033},
        {"[::1]:6033", "::1", 6033},
        {"[fe80::1%eth0]:1", "fe80::1%eth0", 1},
        {"localhost:65535", "localhost", 65535},
    };
    static const char *const bad[] = {
        "[::1]", "[::1]6033", "[]:6033", ":6033", "h:", "h:0", "h:65536", "h:+1", "h:6033 ",
        "h h:1", "h",
    };
    char json[512];
    size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        struct sp_config *cfg;

        snprintf(json, sizeof(json), MINIMAL_PREFIX " \"listen\": \"%s\"}", ok[i].listen);
        cfg = load_string_ok(json);
        assert_string_equal(cfg->listen_host, ok[i].host);
        assert_int_equal(cfg->listen_port, ok[i].port);
        sp_config_destroy(cfg);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct sp_config *cfg = NULL;
        struct sp_error err = {0};
        int rc;

        snprintf(json, sizeof(json), MINIMAL_PREFIX " \"listen\": \"%s\"}", bad[i]);
        rc = sp_config_load_string(json, strlen(json), "inline.json", &cfg, &err);
        if (rc != SP_EINVAL) {
            fail_msg("listen \"%s\" was accepted", bad[i]);
        }
        assert_non_null(strstr(err.message, "inline.json:3:12: listen: "));
    }
}

static void
test_string_escapes_decoded(void **state)
{
    struct sp_config *cfg = load_file_ok(CONFIG_DATA_DIR "/valid/escapes.json");

    assert_string_equal(cfg->listen_host, "127.0.0.1");
    assert_string_equal(cfg->users[0].user, "caf\xc3\xa9");
    assert_string_equal(cfg->users[0].password,
                        "q\"b\\s/n\nt\tu\xe2\x82\xac\xf0\x9f\x98\x80");
    assert_string_equal(cfg->users[1].user, "CAF\xc3\x89");
    assert_string_equal(cfg->users[1].password, "raw \xc3\xbc \xe2\x82\xac");
    sp_config_destroy(cfg);
}

/* Range and reference tables, with their shard names resolved after the shards that follow. */
static void
test_range_and_reference_tables(void **state)
{
    struct sp_config *cfg = load_file_ok(CONFIG_DATA_DIR "/valid/ranges.json");
    const struct sp_table_cfg *t;

    assert_int_equal(cfg->max_merge_rows, 2500);
    assert_int_equal(cfg->default_shard, 1);
    assert_int_equal(cfg->ntables, 3);

    t = &cfg->tables[0];
    assert_string_equal(t->name, "sbtest");
    assert_true(t->prefix);
    assert_int_equal(t->type, SP_TABLE_SHARDED);
    assert_int_equal(t->algorithm, SP_ALGORITHM_RANGE);
    assert_int_equal(t->key_type, SP_KEY_INT);
    assert_int_equal(t->nranges, 4);
    assert_string_equal(t->ranges[0].shard_name, "s0");
    assert_int_equal(t->ranges[0].shard, 0);
    assert_true(t->ranges[0].has_below);
    assert_true(t->ranges[0].below == -5000);
    assert_int_equal(t->ranges[1].shard, 1);
    assert_true(t->ranges[1].below == 10000);
    assert_int_equal(t->ranges[2].shard, 0);
    assert_true(t->ranges[2].below == INT64_MAX);
    assert_int_equal(t->ranges[3].shard, 2);
    assert_false(t->ranges[3].has_below);

    t = &cfg->tables[1];
    assert_string_equal(t->name, "currencies");
    assert_int_equal(t->type, SP_TABLE_REFERENCE);
    assert_null(t->shard_key);
    assert_int_equal(t->nranges, 0);

    t = &cfg->tables[2];
    assert_int_equal(t->type, SP_TABLE_SHARDED);
    assert_string_equal(t->shard_key, "customer_id");
    assert_int_equal(t->algorithm, SP_ALGORITHM_HASH);
    sp_config_destroy(cfg);
}

/* A bad table after good ones: what the good ones allocated (ranges, names) is freed. */
static void
test_range_error_frees_tables(void **state)
{
    static const char json[] =
        "{\"listen\": \"127.0.0.1:6033\", \"users\": [{\"user\": \"u\", \"password\": \"p\"}],\n"
        " \"shards\": [{\"name\": \"s0\", \"primary\": {\"host\": \"h\", \"port\": 1}}],\n"
        " \"tables\": [{\"name\": \"a\", \"shard_key\": \"id\", \"algorithm\": \"range\",\n"
        "   \"ranges\": [{\"shard\": \"s0\", \"below\": 1}, {\"shard\": \"s0\"}]},\n"
        "  {\"name\": \"b\", \"shard_key\": \"id\", \"algorithm\": \"range\",\n"
        "   \"ranges\": [{\"shard\": \"s0\", \"below\": 1}, {\"shard\": \"s0\", \"below\": 1},\n"
        "              {\"shard\": \"s0\"}]}]}";

    assert_load_fails(json, sizeof(json) - 1,
                      "inline.json:6:69: tables[1].ranges[1].below: must be greater than the "
                      "previous range's \"below\" (1)");
}

static void
test_find_user(void **state)
{
    struct sp_config *cfg = load_file_ok(CONFIG_DATA_DIR "/valid/escapes.json");
    const char name[] = {'c', 'a', 'f', '\xc3', '\xa9', 'X'}; /* not NUL-terminated */

    assert_ptr_equal(sp_config_find_user(cfg, name, 5), &cfg->users[0]);
    assert_ptr_equal(sp_config_find_user(cfg, "CAF\xc3\x89", 5), &cfg->users[1]);
    assert_null(sp_config_find_user(cfg, name, 6));
    assert_null(sp_config_find_user(cfg, name, 3));
    assert_null(sp_config_find_user(cfg, "Caf\xc3\xa9", 5));
    assert_null(sp_config_find_user(cfg, "", 0));
    sp_config_destroy(cfg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_example_local_2shards),
        cmocka_unit_test(test_replica_settings),
        cmocka_unit_test(test_example_regions),
        cmocka_unit_test(test_every_example_loads),
        cmocka_unit_test(test_defaults_applied),
        cmocka_unit_test(test_equal_hash_ranges_cover_space),
        cmocka_unit_test(test_equal_hash_ranges_pinned),
        cmocka_unit_test(test_explicit_hash_ranges),
        cmocka_unit_test(test_shard_count_limit),
        cmocka_unit_test(test_invalid_files),
        cmocka_unit_test(test_invalid_files_all_listed),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_text_size_limit),
        cmocka_unit_test(test_source_defaults_to_string),
        cmocka_unit_test(test_error_line_and_column),
        cmocka_unit_test(test_json_syntax_errors),
        cmocka_unit_test(test_json_nul_byte),
        cmocka_unit_test(test_json_nesting_limit),
        cmocka_unit_test(test_valid_json_wrong_type),
        cmocka_unit_test(test_listen_forms),
        cmocka_unit_test(test_string_escapes_decoded),
        cmocka_unit_test(test_range_and_reference_tables),
        cmocka_unit_test(test_range_error_frees_tables),
        cmocka_unit_test(test_find_user),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
