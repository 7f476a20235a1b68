/*
 * The configuration schema, its loader and its validation.
 *
 * A loaded struct sp_config is an immutable snapshot: workers read it
 * without locks, and a reload (not implemented yet) would build a new one.
 * This module never logs; it returns a message for proxy/ to print.
 */
#ifndef SP_CONFIG_CONFIG_H
#define SP_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "common/status.h"

#define SP_CONFIG_NAME_MAX 64

struct sp_endpoint_cfg {
    char *host;       /* IPv4/IPv6 literal or host name */
    uint16_t port;
    char *region;     /* NULL when not given (the proxy's own region then) */
};

struct sp_shard_cfg {
    char *name;
    struct sp_endpoint_cfg primary;
    struct sp_endpoint_cfg *replicas;
    size_t nreplicas;
    /*
     * The range of the 64-bit hash space that this shard owns, inclusive.
     * By default the space is split into equal contiguous ranges in shard
     * order; "hash_range" in the config overrides it.
     */
    uint64_t hash_from;
    uint64_t hash_to;
};

struct sp_user_cfg {
    char *user;
    char *password;
    char *backend_user;     /* equals user when not given */
    char *backend_password; /* equals password when not given */
};

enum sp_key_type {
    SP_KEY_INT,    /* canonical form: the signed 64-bit value */
    SP_KEY_STRING  /* the bytes as sent */
};

enum sp_algorithm {
    SP_ALGORITHM_HASH, /* XXH64 of the canonical key, seed 0 */
    SP_ALGORITHM_RANGE /* the entry of ranges[] whose key interval holds the value */
};

enum sp_table_type {
    SP_TABLE_SHARDED,  /* rows spread over the shards by shard_key */
    SP_TABLE_REFERENCE /* a full copy on every shard: writes go to all, reads to one */
};

/*
 * One key interval of a range-sharded table: keys from the previous
 * entry's below (INT64_MIN for the first entry) up to, not including,
 * this entry's below. The last entry has no below and takes every larger
 * key.
 */
struct sp_range_cfg {
    char *shard_name;  /* as written in the config */
    size_t shard;      /* index into the config's shards */
    bool has_below;
    int64_t below;
};

struct sp_table_cfg {
    char *name;        /* without the trailing '*' when prefix is set */
    bool prefix;       /* "name*": every table whose name starts with name */
    enum sp_table_type type;
    char *shard_key;   /* column name; NULL for a reference table */
    enum sp_key_type key_type;
    enum sp_algorithm algorithm;
    struct sp_range_cfg *ranges; /* SP_ALGORITHM_RANGE: in key order, belows increasing */
    size_t nranges;
};

/* How a transaction may spread over shards. */
enum sp_transaction_mode {
    SP_TRANSACTION_MULTI,  /* commit shard by shard; a failure names who committed */
    SP_TRANSACTION_SINGLE  /* a statement that would reach a second shard gets an ERR */
};

/* The destination of a transaction's reads before its first write. */
enum sp_transaction_reads {
    SP_TXN_READS_PRIMARY, /* the primary, as every statement of a transaction */
    SP_TXN_READS_REPLICA  /* replicas, as reads outside transactions; the first write moves it */
};

/* The destination of a read that may use a replica, when no hint comment chooses. */
enum sp_read_policy {
    SP_READ_REPLICA, /* a healthy replica, else the primary */
    SP_READ_PRIMARY  /* the primary */
};

enum sp_log_level {
    SP_LOG_ERROR,
    SP_LOG_WARN,
    SP_LOG_INFO,
    SP_LOG_DEBUG
};

struct sp_config {
    char *source;                /* file name, for messages */

    char *listen_host;
    uint16_t listen_port;
    unsigned workers;            /* 0: one per CPU */
    char *region;                /* NULL when not given */

    struct sp_user_cfg *users;
    size_t nusers;
    struct sp_shard_cfg *shards;
    size_t nshards;
    size_t default_shard;        /* index into shards */
    struct sp_table_cfg *tables;
    size_t ntables;

    /* Extensions, each with a default. */
    uint32_t max_client_connections; /* default 10000 */
    uint32_t pool_max_per_backend;   /* per worker and backend, default 64 */
    uint32_t pool_idle_timeout_ms;   /* default 60000 */
    uint32_t pool_wait_timeout_ms;   /* default 5000 */
    uint32_t connect_timeout_ms;     /* default 3000 */
    uint32_t max_packet_size;        /* largest client command, default 64 MiB */
    uint32_t max_merge_rows;         /* rows a merge may buffer, default 100000 */
    char *server_version;            /* sent in the greeting */
    enum sp_log_level log_level;     /* default info */
    enum sp_transaction_mode transaction_mode; /* default multi */

    /* Replicas and their health checks. */
    enum sp_read_policy read_policy;  /* default replica */
    bool read_from_other_regions;     /* default false */
    bool read_your_writes;            /* default true */
    enum sp_transaction_reads transaction_reads; /* default primary */
    uint32_t health_interval_ms;      /* default 1000 */
    uint32_t health_rise_checks;      /* healthy checks before a replica returns, default 3 */
    uint32_t max_replica_lag_ms;      /* default 5000 */
    char *monitor_user;               /* default: the first user's backend account */
    char *monitor_password;
};

/*
 * Loads and validates the JSON file at PATH. On success stores a new
 * snapshot in *OUT (free it with sp_config_destroy) and returns SP_OK.
 * On failure returns SP_EINVAL (or SP_EIO, SP_ENOMEM) and fills ERR with
 * "PATH:LINE:COLUMN: JSON.PATH: reason", for example
 * "proxy.json:12:9: shards[1].primary.port: expected an integer 1..65535".
 */
int sp_config_load_file(const char *path, struct sp_config **out, struct sp_error *err) SP_WARN_UNUSED;

/* As sp_config_load_file, from a string; SOURCE names it in messages. */
int sp_config_load_string(const char *json, size_t len, const char *source,
                          struct sp_config **out, struct sp_error *err) SP_WARN_UNUSED;

void sp_config_destroy(struct sp_config *cfg);

/* Returns the user entry for NAME (LEN bytes), or NULL. */
const struct sp_user_cfg *sp_config_find_user(const struct sp_config *cfg, const char *name, size_t len);

#endif
