/*
 * The field tables that describe the config schema, and the loader state
 * shared by config.c (top level, users, tables) and shards.c (shards,
 * endpoints, hash ranges). Internal to config/: proxy/ includes only
 * config/config.h.
 */
#ifndef SP_CONFIG_SCHEMA_H
#define SP_CONFIG_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config/config.h"
#include "config/json.h"

#define CONFIG_SQLSTATE "HY000"
#define CONFIG_FIELDS_MAX 32
#define CONFIG_HOST_MAX 255 /* a DNS name has at most 253 bytes (RFC 1035) */

/*
 * Identifier length limit in bytes, which keeps messages and buffers
 * bounded: 80 characters of up to 4 bytes. MariaDB allows 80 characters in
 * user names and 64 in table and column names.
 */
#define CONFIG_IDENT_MAX 320

struct config_loader;
struct config_array;

enum config_kind {
    CONFIG_STRING, /* char *, length min..max bytes */
    CONFIG_UINT,   /* uint16_t or uint32_t member, value min..max */
    CONFIG_ENUM,   /* int-sized enum member, and names[i] is value i */
    CONFIG_BOOL,   /* bool member, from true or false */
    CONFIG_ARRAY,  /* array of objects, read as *array describes */
    CONFIG_CUSTOM  /* parse() reads and stores the value */
};

struct config_field {
    const char *key;
    enum config_kind kind;
    bool required;
    size_t offset; /* of the member in the struct being filled */
    size_t size;   /* of the member, for CONFIG_UINT */
    int64_t min;
    int64_t max;
    const char *const *names; /* CONFIG_ENUM, NULL-terminated */
    const struct config_array *array; /* CONFIG_ARRAY */
    int (*parse)(struct config_loader *ld, int tok, void *base);
};

#define CONFIG_FIELD_STRING(k, req, type, member, lo, hi)                                    \
    {.key = (k), .kind = CONFIG_STRING, .required = (req), .offset = offsetof(type, member), \
     .min = (lo), .max = (hi)}
#define CONFIG_FIELD_UINT(k, req, type, member, lo, hi)                                      \
    {.key = (k), .kind = CONFIG_UINT, .required = (req), .offset = offsetof(type, member),   \
     .size = sizeof(((type *)0)->member), .min = (lo), .max = (hi)}
#define CONFIG_FIELD_ENUM(k, type, member, list)                                             \
    {.key = (k), .kind = CONFIG_ENUM, .offset = offsetof(type, member), .names = (list)}
#define CONFIG_FIELD_BOOL(k, type, member)                                                    \
    {.key = (k), .kind = CONFIG_BOOL, .offset = offsetof(type, member)}
#define CONFIG_FIELD_ARRAY(k, req, spec)                                                     \
    {.key = (k), .kind = CONFIG_ARRAY, .required = (req), .array = (spec)}
#define CONFIG_FIELD_CUSTOM(k, req, fn)                                                      \
    {.key = (k), .kind = CONFIG_CUSTOM, .required = (req), .parse = (fn)}

/*
 * An array of objects that sp_config_parse_array reads into a new C array
 * of ITEM_SIZE-byte items. The pointer to the C array and its length are
 * members of the struct being filled, at ITEMS_OFFSET and COUNT_OFFSET.
 */
struct config_array {
    const char *what; /* plural noun for messages, such as "users" */
    size_t min;
    size_t max;
    size_t items_offset;
    size_t count_offset;
    size_t item_size;
    const struct config_field *fields;
    size_t nfields;
    /*
     * Optional steps for item I, whose object is token TOK, which run with
     * the path at the item's index. BASE is the struct being filled.
     * prepare() runs before the item is read, with TOKS NULL. finish() runs
     * after it, with TOKS as sp_config_parse_object filled them, and checks
     * the item against earlier ones.
     */
    int (*prepare)(struct config_loader *ld, void *base, size_t i, int tok, const int *toks);
    int (*finish)(struct config_loader *ld, void *base, size_t i, int tok, const int *toks);
};

/*
 * The members of struct config_array that every array sets. ITEMS and COUNT
 * name the pointer and length members of TYPE. The _Generic makes a COUNT
 * member that is not a size_t a compile error, because the count is stored
 * as one.
 */
#define CONFIG_ARRAY_SPEC(w, lo, hi, type, items, count, item_fields, n)                     \
    .what = (w), .min = (lo), .max = (hi), .items_offset = offsetof(type, items),            \
    .count_offset = _Generic(((type *)0)->count, size_t: offsetof(type, count)),             \
    .item_size = sizeof(*((type *)0)->items), .fields = (item_fields), .nfields = (n)

/* Token positions kept for checks that run after a shard was parsed. */
struct config_shard_tokens {
    int object;
    int hash_range; /* -1 when the shard has no "hash_range" */
    int hash_from;
    int hash_to;
};

/* One backend endpoint, for the check that no two shards share one. */
struct config_endpoint_ref {
    size_t shard;
    size_t replica; /* SIZE_MAX for the primary */
    int tok;
    const struct sp_endpoint_cfg *endpoint;
};

/* A range's shard name, resolved once every shard has been read. */
struct config_range_ref {
    size_t table;
    size_t range;
    int tok; /* the "shard" value */
};

struct config_loader {
    struct sp_json_walk walk;
    struct sp_config *cfg;

    size_t shard; /* index of the shard being parsed */
    struct config_shard_tokens *shard_tokens;
    struct config_endpoint_ref *endpoints;
    size_t nendpoints;
    size_t endpoints_cap;

    struct config_range_ref *range_refs;
    size_t nrange_refs;
    size_t range_refs_cap;

    char *default_shard_name;
};

/* Fills the error with "SOURCE: out of memory" and returns SP_ENOMEM. */
int sp_config_nomem(struct config_loader *ld);

/* Reports an error at TOK with KEY appended to the current path and returns SP_EINVAL. */
int sp_config_fail_at(struct config_loader *ld, int tok, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Stores a decoded copy of string TOK in *SLOT if its length is MIN..MAX bytes. */
int sp_config_store_string(struct config_loader *ld, int tok, char **slot, size_t min,
                           size_t max) SP_WARN_UNUSED;

/*
 * Reads object OBJ into BASE as FIELDS describe it. TOKS[i] receives the
 * value token of fields[i], or -1 when the key is absent. Keys are checked
 * in document order, then missing required keys in table order.
 */
int sp_config_parse_object(struct config_loader *ld, int obj, const struct config_field *fields,
                           size_t nfields, void *base, int *toks) SP_WARN_UNUSED;

/*
 * Reads array TOK of SPEC->min..SPEC->max objects into a new C array that
 * BASE owns. An empty array allocates nothing. The pointer and the count
 * are stored before the first item is read, so that sp_config_destroy frees
 * what a failed item left behind.
 */
int sp_config_parse_array(struct config_loader *ld, int tok, const struct config_array *spec,
                          void *base) SP_WARN_UNUSED;

/* The "tables" array (tables.c). */
extern const struct config_array sp_config_tables_array;

/* Looks up the shard that every range of every table names, once the shards are known. */
int sp_config_resolve_range_shards(struct config_loader *ld) SP_WARN_UNUSED;

/* Checks a host name or address literal. Brackets belong only in "listen". */
int sp_config_check_host(struct sp_json_walk *walk, int tok, const char *host) SP_WARN_UNUSED;

/* Reads the "shards" array and applies or checks the hash ranges. */
int sp_config_parse_shards(struct config_loader *ld, int tok, void *base);

/* Rejects a host:port that two shards use. Runs after all shards are read. */
int sp_config_check_shared_endpoints(struct config_loader *ld) SP_WARN_UNUSED;

#endif
