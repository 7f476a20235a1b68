/*
 * The "shards" section: shard names, primary and replica endpoints, hash
 * ranges (the default equal split, or given ranges checked for full
 * coverage), and the check that no two shards share a server. It must not
 * log or keep state outside the loader.
 */
#include "config/schema.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CONFIG_SHARDS_MAX 1024

static int
config_parse_host(struct config_loader *ld, int tok, void *base)
{
    struct sp_endpoint_cfg *ep = base;
    int rc;

    rc = sp_config_store_string(ld, tok, &ep->host, 1, CONFIG_HOST_MAX);
    if (rc != SP_OK) {
        return rc;
    }
    return sp_config_check_host(&ld->walk, tok, ep->host);
}

static int
config_add_endpoint(struct config_loader *ld, size_t replica, int tok,
                    const struct sp_endpoint_cfg *endpoint)
{
    if (ld->nendpoints == ld->endpoints_cap) {
        size_t cap = ld->endpoints_cap == 0 ? 16 : ld->endpoints_cap * 2;
        struct config_endpoint_ref *grown = realloc(ld->endpoints, cap * sizeof(*grown));

        if (grown == NULL) {
            return sp_config_nomem(ld);
        }
        ld->endpoints = grown;
        ld->endpoints_cap = cap;
    }

    ld->endpoints[ld->nendpoints++] = (struct config_endpoint_ref){
        .shard = ld->shard, .replica = replica, .tok = tok, .endpoint = endpoint};
    return SP_OK;
}

enum { ENDPOINT_HOST, ENDPOINT_PORT, ENDPOINT_NFIELDS };

static const struct config_field config_primary_fields[] = {
    [ENDPOINT_HOST] = CONFIG_FIELD_CUSTOM("host", true, config_parse_host),
    [ENDPOINT_PORT] = CONFIG_FIELD_UINT("port", true, struct sp_endpoint_cfg, port, 1, 65535),
};

enum { REPLICA_HOST, REPLICA_PORT, REPLICA_REGION, REPLICA_NFIELDS };

static const struct config_field config_replica_fields[] = {
    [REPLICA_HOST] = CONFIG_FIELD_CUSTOM("host", true, config_parse_host),
    [REPLICA_PORT] = CONFIG_FIELD_UINT("port", true, struct sp_endpoint_cfg, port, 1, 65535),
    [REPLICA_REGION] = CONFIG_FIELD_STRING("region", false, struct sp_endpoint_cfg, region, 1,
                                           SP_CONFIG_NAME_MAX),
};

static int
config_parse_primary(struct config_loader *ld, int tok, void *base)
{
    struct sp_shard_cfg *shard = base;
    int toks[ENDPOINT_NFIELDS];
    int rc;

    rc = sp_config_parse_object(ld, tok, config_primary_fields, ENDPOINT_NFIELDS, &shard->primary,
                             toks);
    if (rc != SP_OK) {
        return rc;
    }
    return config_add_endpoint(ld, SIZE_MAX, tok, &shard->primary);
}

static int
config_finish_replica(struct config_loader *ld, void *base, size_t i, int tok, const int *toks)
{
    struct sp_shard_cfg *shard = base;

    return config_add_endpoint(ld, i, tok, &shard->replicas[i]);
}

static const struct config_array config_replicas_array = {
    CONFIG_ARRAY_SPEC("replicas", 0, SIZE_MAX, struct sp_shard_cfg, replicas, nreplicas,
                      config_replica_fields, REPLICA_NFIELDS),
    .finish = config_finish_replica,
};

/* Reads a 64-bit hash value, written as a hex string because JSON numbers are doubles. */
static int
config_parse_hash(struct config_loader *ld, int tok, uint64_t *out)
{
    struct sp_str raw = sp_json_raw(ld->walk.doc, tok);
    uint64_t v = 0;
    size_t i;

    if (sp_json_type(ld->walk.doc, tok) != SP_JSON_STRING || raw.len < 3 || raw.len > 18 ||
        raw.ptr[0] != '0' || (raw.ptr[1] != 'x' && raw.ptr[1] != 'X')) {
        goto fail;
    }
    for (i = 2; i < raw.len; i++) {
        char c = raw.ptr[i];
        unsigned digit;

        if (c >= '0' && c <= '9') {
            digit = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            digit = (unsigned)(c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            digit = (unsigned)(c - 'A' + 10);
        } else {
            goto fail;
        }
        v = v << 4 | digit;
    }

    *out = v;
    return SP_OK;

fail:
    return sp_json_fail(&ld->walk, tok,
                        "expected a string of 1 to 16 hex digits after \"0x\", for example "
                        "\"0x7fffffffffffffff\"");
}

static int
config_parse_hash_from(struct config_loader *ld, int tok, void *base)
{
    struct sp_shard_cfg *shard = base;

    return config_parse_hash(ld, tok, &shard->hash_from);
}

static int
config_parse_hash_to(struct config_loader *ld, int tok, void *base)
{
    struct sp_shard_cfg *shard = base;

    return config_parse_hash(ld, tok, &shard->hash_to);
}

enum { RANGE_FROM, RANGE_TO, RANGE_NFIELDS };

static const struct config_field config_range_fields[] = {
    [RANGE_FROM] = CONFIG_FIELD_CUSTOM("from", true, config_parse_hash_from),
    [RANGE_TO] = CONFIG_FIELD_CUSTOM("to", true, config_parse_hash_to),
};

static int
config_parse_hash_range(struct config_loader *ld, int tok, void *base)
{
    struct config_shard_tokens *st = &ld->shard_tokens[ld->shard];
    struct sp_shard_cfg *shard = base;
    int toks[RANGE_NFIELDS];
    int rc;

    rc = sp_config_parse_object(ld, tok, config_range_fields, RANGE_NFIELDS, shard, toks);
    if (rc != SP_OK) {
        return rc;
    }

    st->hash_range = tok;
    st->hash_from = toks[RANGE_FROM];
    st->hash_to = toks[RANGE_TO];

    if (shard->hash_from > shard->hash_to) {
        return sp_json_fail(&ld->walk, tok,
                            "\"from\" 0x%016" PRIx64 " is greater than \"to\" 0x%016" PRIx64,
                            shard->hash_from, shard->hash_to);
    }
    return SP_OK;
}

static int
config_parse_shard_name(struct config_loader *ld, int tok, void *base)
{
    struct sp_shard_cfg *shard = base;
    int rc;

    rc = sp_config_store_string(ld, tok, &shard->name, 0, SIZE_MAX);
    if (rc != SP_OK) {
        return rc;
    }

    /* Names appear in logs and metrics unquoted, so keep them plain. */
    if (shard->name[0] == '\0' || strlen(shard->name) > SP_CONFIG_NAME_MAX ||
        strspn(shard->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
            strlen(shard->name)) {
        return sp_json_fail(&ld->walk, tok,
                            "expected 1 to %d characters from A-Z, a-z, 0-9, '_' and '-'",
                            SP_CONFIG_NAME_MAX);
    }
    return SP_OK;
}

enum { SHARD_NAME, SHARD_PRIMARY, SHARD_REPLICAS, SHARD_HASH_RANGE, SHARD_NFIELDS };

static const struct config_field config_shard_fields[] = {
    [SHARD_NAME] = CONFIG_FIELD_CUSTOM("name", true, config_parse_shard_name),
    [SHARD_PRIMARY] = CONFIG_FIELD_CUSTOM("primary", true, config_parse_primary),
    [SHARD_REPLICAS] = CONFIG_FIELD_ARRAY("replicas", false, &config_replicas_array),
    [SHARD_HASH_RANGE] = CONFIG_FIELD_CUSTOM("hash_range", false, config_parse_hash_range),
};

/*
 * Splits the 64-bit hash space into N equal contiguous ranges in shard
 * order: shard i owns floor(i * 2^64 / n) .. floor((i + 1) * 2^64 / n) - 1.
 */
static void
config_split_hash_space(struct sp_shard_cfg *shards, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        unsigned __int128 from = ((unsigned __int128)i << 64) / n;
        unsigned __int128 end = ((unsigned __int128)(i + 1) << 64) / n;

        shards[i].hash_from = (uint64_t)from;
        shards[i].hash_to = (uint64_t)(end - 1);
    }
}

/* Reports an error at one of shard I's tokens, with the path "shards[I].SUFFIX...". */
static int __attribute__((format(printf, 5, 6)))
config_fail_in_shard(struct config_loader *ld, size_t i, int tok, const char *const *keys,
                     const char *fmt, ...)
{
    char reason[SP_ERROR_MESSAGE_MAX];
    size_t saved = sp_json_path_push_index(&ld->walk, i);
    va_list ap;

    for (; keys != NULL && *keys != NULL; keys++) {
        sp_json_path_push_key(&ld->walk, *keys);
    }

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);

    sp_json_fail(&ld->walk, tok, "%s", reason);
    sp_json_path_pop(&ld->walk, saved);
    return SP_EINVAL;
}

/*
 * Applies the default hash ranges, or checks that the given ones cover the
 * whole hash space in shard order, each starting one past the previous end.
 */
static int
config_check_hash_ranges(struct config_loader *ld)
{
    static const char *const from_key[] = {"hash_range", "from", NULL};
    static const char *const to_key[] = {"hash_range", "to", NULL};
    struct sp_shard_cfg *shards = ld->cfg->shards;
    size_t n = ld->cfg->nshards;
    size_t with = SIZE_MAX;
    size_t without = SIZE_MAX;
    size_t i;

    for (i = 0; i < n; i++) {
        if (ld->shard_tokens[i].hash_range != -1) {
            with = with == SIZE_MAX ? i : with;
        } else {
            without = without == SIZE_MAX ? i : without;
        }
    }

    if (with == SIZE_MAX) {
        config_split_hash_space(shards, n);
        return SP_OK;
    }
    if (without != SIZE_MAX) {
        return config_fail_in_shard(ld, without, ld->shard_tokens[without].object, NULL,
                                    "missing required key \"hash_range\" (required because "
                                    "shards[%zu] sets one)",
                                    with);
    }

    if (shards[0].hash_from != 0) {
        return config_fail_in_shard(ld, 0, ld->shard_tokens[0].hash_from, from_key,
                                    "the first shard's range must start at 0x0000000000000000");
    }
    for (i = 1; i < n; i++) {
        uint64_t prev_to = shards[i - 1].hash_to;

        if (prev_to == UINT64_MAX) {
            return config_fail_in_shard(ld, i, ld->shard_tokens[i].hash_from, from_key,
                                        "overlaps shards[%zu], whose range already ends at "
                                        "0xffffffffffffffff",
                                        i - 1);
        }
        if (shards[i].hash_from != prev_to + 1) {
            return config_fail_in_shard(ld, i, ld->shard_tokens[i].hash_from, from_key,
                                        "%s shards[%zu], whose range ends at 0x%016" PRIx64
                                        ": expected 0x%016" PRIx64
                                        " (ranges must be contiguous in shard order)",
                                        shards[i].hash_from > prev_to ? "leaves a gap after"
                                                                      : "overlaps",
                                        i - 1, prev_to, prev_to + 1);
        }
    }
    if (shards[n - 1].hash_to != UINT64_MAX) {
        return config_fail_in_shard(ld, n - 1, ld->shard_tokens[n - 1].hash_to, to_key,
                                    "the last shard's range must end at 0xffffffffffffffff");
    }
    return SP_OK;
}

/* Points the loader at shard I, so that its "hash_range" records its tokens. */
static int
config_prepare_shard(struct config_loader *ld, void *base, size_t i, int tok, const int *toks)
{
    struct sp_config *cfg = base;

    /* sp_config_parse_array stores cfg->nshards before it reads the first shard. */
    if (i == 0) {
        ld->shard_tokens = calloc(cfg->nshards, sizeof(*ld->shard_tokens));
        if (ld->shard_tokens == NULL) {
            return sp_config_nomem(ld);
        }
    }

    ld->shard = i;
    ld->shard_tokens[i] = (struct config_shard_tokens){tok, -1, -1, -1};
    return SP_OK;
}

static int
config_finish_shard(struct config_loader *ld, void *base, size_t i, int tok, const int *toks)
{
    struct sp_config *cfg = base;
    size_t j;

    for (j = 0; j < i; j++) {
        if (strcmp(cfg->shards[j].name, cfg->shards[i].name) == 0) {
            return sp_config_fail_at(ld, toks[SHARD_NAME], "name",
                                     "duplicate shard name \"%s\" (also shards[%zu])",
                                     cfg->shards[i].name, j);
        }
    }
    return SP_OK;
}

static const struct config_array config_shards_array = {
    CONFIG_ARRAY_SPEC("shards", 1, CONFIG_SHARDS_MAX, struct sp_config, shards, nshards,
                      config_shard_fields, SHARD_NFIELDS),
    .prepare = config_prepare_shard,
    .finish = config_finish_shard,
};

int
sp_config_parse_shards(struct config_loader *ld, int tok, void *base)
{
    int rc;

    rc = sp_config_parse_array(ld, tok, &config_shards_array, base);
    if (rc != SP_OK) {
        return rc;
    }
    return config_check_hash_ranges(ld);
}

static int
config_compare_endpoints(const void *a, const void *b)
{
    const struct config_endpoint_ref *x = a;
    const struct config_endpoint_ref *y = b;
    int c = strcmp(x->endpoint->host, y->endpoint->host);

    if (c != 0) {
        return c;
    }
    if (x->endpoint->port != y->endpoint->port) {
        return x->endpoint->port < y->endpoint->port ? -1 : 1;
    }
    return x->tok < y->tok ? -1 : (x->tok > y->tok);
}

static bool
config_same_endpoint(const struct config_endpoint_ref *a, const struct config_endpoint_ref *b)
{
    return a->endpoint->port == b->endpoint->port &&
           strcmp(a->endpoint->host, b->endpoint->host) == 0;
}

static void
config_format_endpoint_path(const struct config_endpoint_ref *ref, char *buf, size_t size)
{
    if (ref->replica == SIZE_MAX) {
        snprintf(buf, size, "shards[%zu].primary", ref->shard);
    } else {
        snprintf(buf, size, "shards[%zu].replicas[%zu]", ref->shard, ref->replica);
    }
}

/*
 * Rejects a host:port used by two shards: both would then hold the same
 * rows, and scatter queries would return them twice. Only identical
 * spellings are caught, so "localhost" and "127.0.0.1" count as different.
 */
int
sp_config_check_shared_endpoints(struct config_loader *ld)
{
    const struct config_endpoint_ref *first = NULL;
    const struct config_endpoint_ref *dup = NULL;
    struct config_endpoint_ref *refs = ld->endpoints;
    char other[64];
    size_t i;
    size_t j;

    if (ld->nendpoints < 2) {
        return SP_OK;
    }
    qsort(refs, ld->nendpoints, sizeof(*refs), config_compare_endpoints);

    /* Equal endpoints sort next to each other in document order. */
    for (i = 0; i < ld->nendpoints; i = j) {
        for (j = i + 1; j < ld->nendpoints && config_same_endpoint(&refs[i], &refs[j]); j++) {
            /* Within a shard too: a replica listed twice, or the primary as its own replica. */
            if (dup == NULL || refs[j].tok < dup->tok) {
                first = &refs[i];
                dup = &refs[j];
            }
        }
    }
    if (dup == NULL) {
        return SP_OK;
    }

    config_format_endpoint_path(first, other, sizeof(other));
    sp_json_path_push_key(&ld->walk, "shards");
    sp_json_path_push_index(&ld->walk, dup->shard);
    if (dup->replica == SIZE_MAX) {
        sp_json_path_push_key(&ld->walk, "primary");
    } else {
        sp_json_path_push_key(&ld->walk, "replicas");
        sp_json_path_push_index(&ld->walk, dup->replica);
    }
    sp_json_fail(&ld->walk, dup->tok,
                 "%s%s%s:%u is also used by %s; %s",
                 strchr(dup->endpoint->host, ':') != NULL ? "[" : "", dup->endpoint->host,
                 strchr(dup->endpoint->host, ':') != NULL ? "]" : "", dup->endpoint->port, other,
                 dup->shard != first->shard ? "two shards must not share a server"
                                            : "each server of a shard must be listed once");
    sp_json_path_pop(&ld->walk, 0);
    return SP_EINVAL;
}
