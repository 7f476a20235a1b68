/*
 * The "tables" section: table names and prefixes, sharded and reference
 * tables, hash and range placement, and the checks that tie a range to an
 * existing shard. It must not log or keep state outside the loader.
 *
 * Range shard names can only be checked once the "shards" array has been
 * read, and JSON keys come in any order, so each range records the token
 * of its shard name and sp_config_resolve_range_shards checks them all at
 * the end.
 */
#include "config/schema.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* No more ranges than shards are ever needed unless shards repeat, which a cap of 1024 allows. */
#define CONFIG_RANGES_MAX 1024

/* "name" or "prefix*": a '*' is allowed only at the end. */
static int
config_parse_table_name(struct config_loader *ld, int tok, void *base)
{
    struct sp_table_cfg *table = base;
    char *star;
    size_t len;
    int rc;

    rc = sp_config_store_string(ld, tok, &table->name, 1, CONFIG_IDENT_MAX);
    if (rc != SP_OK) {
        return rc;
    }

    len = strlen(table->name);
    star = strchr(table->name, '*');
    if (star == NULL) {
        return SP_OK;
    }
    if (star != table->name + len - 1) {
        return sp_json_fail(&ld->walk, tok,
                            "'*' is allowed only at the end of a name, as a prefix wildcard");
    }
    if (len == 1) {
        return sp_json_fail(&ld->walk, tok, "a wildcard needs a prefix before the '*'");
    }

    *star = '\0';
    table->prefix = true;
    return SP_OK;
}

static int
config_parse_below(struct config_loader *ld, int tok, void *base)
{
    struct sp_range_cfg *range = base;
    int rc;

    rc = sp_json_get_int(&ld->walk, tok, INT64_MIN, INT64_MAX, &range->below);
    if (rc != SP_OK) {
        return rc;
    }
    range->has_below = true;
    return SP_OK;
}

enum { RANGE_SHARD, RANGE_BELOW, RANGE_NFIELDS };

static const struct config_field config_range_fields[] = {
    [RANGE_SHARD] = CONFIG_FIELD_STRING("shard", true, struct sp_range_cfg, shard_name, 1,
                                        SP_CONFIG_NAME_MAX),
    [RANGE_BELOW] = CONFIG_FIELD_CUSTOM("below", false, config_parse_below),
};

static int
config_add_range_ref(struct config_loader *ld, size_t table, size_t range, int tok)
{
    if (ld->nrange_refs == ld->range_refs_cap) {
        size_t cap = ld->range_refs_cap == 0 ? 16 : ld->range_refs_cap * 2;
        struct config_range_ref *grown = realloc(ld->range_refs, cap * sizeof(*grown));

        if (grown == NULL) {
            return sp_config_nomem(ld);
        }
        ld->range_refs = grown;
        ld->range_refs_cap = cap;
    }

    ld->range_refs[ld->nrange_refs++] =
        (struct config_range_ref){.table = table, .range = range, .tok = tok};
    return SP_OK;
}

/*
 * Checks range I against the one before it. The count is known before the
 * first item is read, so the last range can be told from the others here.
 */
static int
config_finish_range(struct config_loader *ld, void *base, size_t i, int tok, const int *toks)
{
    struct sp_table_cfg *table = base;
    const struct sp_range_cfg *range = &table->ranges[i];
    const struct sp_range_cfg *prev = i > 0 ? &table->ranges[i - 1] : NULL;

    if (i + 1 < table->nranges && !range->has_below) {
        return sp_json_fail(&ld->walk, tok,
                            "missing required key \"below\" (required in every range but the "
                            "last)");
    }
    if (i + 1 == table->nranges && range->has_below) {
        return sp_config_fail_at(ld, toks[RANGE_BELOW], "below",
                                 "the last range must not have \"below\": it takes every key "
                                 "from the previous \"below\" up");
    }
    if (prev != NULL && range->has_below && range->below <= prev->below) {
        return sp_config_fail_at(ld, toks[RANGE_BELOW], "below",
                                 "must be greater than the previous range's \"below\" (%" PRId64
                                 ")",
                                 prev->below);
    }
    return config_add_range_ref(ld, (size_t)(table - ld->cfg->tables), i, toks[RANGE_SHARD]);
}

static const struct config_array config_ranges_array = {
    CONFIG_ARRAY_SPEC("ranges", 1, CONFIG_RANGES_MAX, struct sp_table_cfg, ranges, nranges,
                      config_range_fields, RANGE_NFIELDS),
    .finish = config_finish_range,
};

static const char *const config_table_type_names[] = {
    [SP_TABLE_SHARDED] = "sharded", [SP_TABLE_REFERENCE] = "reference", NULL};
static const char *const config_key_type_names[] = {
    [SP_KEY_INT] = "int", [SP_KEY_STRING] = "string", NULL};
static const char *const config_algorithm_names[] = {
    [SP_ALGORITHM_HASH] = "hash", [SP_ALGORITHM_RANGE] = "range", NULL};

enum {
    TABLE_NAME,
    TABLE_TYPE,
    TABLE_SHARD_KEY,
    TABLE_KEY_TYPE,
    TABLE_ALGORITHM,
    TABLE_RANGES,
    TABLE_NFIELDS
};

/* shard_key is required of sharded tables only, which config_finish_table checks. */
static const struct config_field config_table_fields[] = {
    [TABLE_NAME] = CONFIG_FIELD_CUSTOM("name", true, config_parse_table_name),
    [TABLE_TYPE] = CONFIG_FIELD_ENUM("type", struct sp_table_cfg, type, config_table_type_names),
    [TABLE_SHARD_KEY] = CONFIG_FIELD_STRING("shard_key", false, struct sp_table_cfg, shard_key, 1,
                                            CONFIG_IDENT_MAX),
    [TABLE_KEY_TYPE] = CONFIG_FIELD_ENUM("key_type", struct sp_table_cfg, key_type,
                                         config_key_type_names),
    [TABLE_ALGORITHM] = CONFIG_FIELD_ENUM("algorithm", struct sp_table_cfg, algorithm,
                                          config_algorithm_names),
    [TABLE_RANGES] = CONFIG_FIELD_ARRAY("ranges", false, &config_ranges_array),
};

_Static_assert(TABLE_NFIELDS <= CONFIG_FIELDS_MAX, "raise CONFIG_FIELDS_MAX");

static int
config_prepare_table(struct config_loader *ld, void *base, size_t i, int tok, const int *toks)
{
    struct sp_config *cfg = base;

    cfg->tables[i].type = SP_TABLE_SHARDED;
    cfg->tables[i].key_type = SP_KEY_INT;
    cfg->tables[i].algorithm = SP_ALGORITHM_HASH;
    return SP_OK;
}

/* A reference table has no shard key, so the keys that describe one are errors. */
static int
config_check_reference_table(struct config_loader *ld, const int *toks)
{
    static const int placement[] = {TABLE_SHARD_KEY, TABLE_KEY_TYPE, TABLE_ALGORITHM,
                                    TABLE_RANGES};
    size_t i;

    for (i = 0; i < sizeof(placement) / sizeof(placement[0]); i++) {
        if (toks[placement[i]] != -1) {
            return sp_config_fail_at(ld, toks[placement[i]], config_table_fields[placement[i]].key,
                                     "not allowed in a reference table, which is copied in full "
                                     "to every shard");
        }
    }
    return SP_OK;
}

static int
config_check_sharded_table(struct config_loader *ld, int tok, const struct sp_table_cfg *table,
                           const int *toks)
{
    if (toks[TABLE_SHARD_KEY] == -1) {
        return sp_json_fail(&ld->walk, tok, "missing required key \"shard_key\"");
    }
    if (table->algorithm != SP_ALGORITHM_RANGE) {
        if (toks[TABLE_RANGES] != -1) {
            return sp_config_fail_at(ld, toks[TABLE_RANGES], "ranges",
                                     "allowed only with \"algorithm\": \"range\"");
        }
        return SP_OK;
    }
    if (table->key_type != SP_KEY_INT) {
        return sp_config_fail_at(ld, toks[TABLE_KEY_TYPE], "key_type",
                                 "expected \"int\": range sharding supports only integer keys");
    }
    if (toks[TABLE_RANGES] == -1) {
        return sp_json_fail(&ld->walk, tok,
                            "missing required key \"ranges\" (required with \"algorithm\": "
                            "\"range\")");
    }
    return SP_OK;
}

static int
config_finish_table(struct config_loader *ld, void *base, size_t i, int tok, const int *toks)
{
    struct sp_config *cfg = base;
    const struct sp_table_cfg *table = &cfg->tables[i];
    size_t j;
    int rc;

    /* "t" and "t*" are different entries: an exact name and a prefix. */
    for (j = 0; j < i; j++) {
        if (cfg->tables[j].prefix == table->prefix &&
            strcmp(cfg->tables[j].name, table->name) == 0) {
            return sp_config_fail_at(ld, toks[TABLE_NAME], "name",
                                     "duplicate table \"%s%s\" (also tables[%zu])", table->name,
                                     table->prefix ? "*" : "", j);
        }
    }

    if (table->type == SP_TABLE_REFERENCE) {
        rc = config_check_reference_table(ld, toks);
    } else {
        rc = config_check_sharded_table(ld, tok, table, toks);
    }
    return rc;
}

const struct config_array sp_config_tables_array = {
    CONFIG_ARRAY_SPEC("tables", 0, SIZE_MAX, struct sp_config, tables, ntables,
                      config_table_fields, TABLE_NFIELDS),
    .prepare = config_prepare_table,
    .finish = config_finish_table,
};

int
sp_config_resolve_range_shards(struct config_loader *ld)
{
    struct sp_config *cfg = ld->cfg;
    const struct config_range_ref *ref;
    struct sp_range_cfg *range;
    size_t i, s, saved;
    int rc;

    for (i = 0; i < ld->nrange_refs; i++) {
        ref = &ld->range_refs[i];
        range = &cfg->tables[ref->table].ranges[ref->range];
        for (s = 0; s < cfg->nshards; s++) {
            if (strcmp(cfg->shards[s].name, range->shard_name) == 0) {
                break;
            }
        }
        if (s < cfg->nshards) {
            range->shard = s;
            continue;
        }

        /* The walk is back at the top level: rebuild the range's path for the message. */
        saved = sp_json_path_push_key(&ld->walk, "tables");
        sp_json_path_push_index(&ld->walk, ref->table);
        sp_json_path_push_key(&ld->walk, "ranges");
        sp_json_path_push_index(&ld->walk, ref->range);
        rc = sp_config_fail_at(ld, ref->tok, "shard", "unknown shard \"%s\"", range->shard_name);
        sp_json_path_pop(&ld->walk, saved);
        return rc;
    }
    return SP_OK;
}
