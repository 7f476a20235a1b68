/*
 * The generic half of the loader: reads an object through a field table,
 * rejecting unknown, duplicate and missing keys, and reads each field by
 * its kind (string, unsigned integer, enum, array of objects or custom
 * parser). It must not know any particular key, because the tables live in
 * config.c and shards.c.
 */
#include "config/schema.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Enum fields are stored through an int, which these checks keep valid. */
_Static_assert(sizeof(enum sp_log_level) == sizeof(int), "enum sp_log_level is not int-sized");
_Static_assert(sizeof(enum sp_key_type) == sizeof(int), "enum sp_key_type is not int-sized");
_Static_assert(sizeof(enum sp_algorithm) == sizeof(int), "enum sp_algorithm is not int-sized");
_Static_assert(sizeof(enum sp_table_type) == sizeof(int), "enum sp_table_type is not int-sized");
_Static_assert(sizeof(enum sp_read_policy) == sizeof(int), "enum sp_read_policy is not int-sized");
_Static_assert(sizeof(enum sp_transaction_reads) == sizeof(int),
               "enum sp_transaction_reads is not int-sized");

int
sp_config_nomem(struct config_loader *ld)
{
    sp_error_set(ld->walk.err, SP_ER_UNKNOWN_ERROR, CONFIG_SQLSTATE, "%s: out of memory",
                 ld->cfg->source);
    return SP_ENOMEM;
}

int
sp_config_fail_at(struct config_loader *ld, int tok, const char *key, const char *fmt, ...)
{
    char reason[SP_ERROR_MESSAGE_MAX];
    size_t saved;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(reason, sizeof(reason), fmt, ap);
    va_end(ap);

    saved = sp_json_path_push_key(&ld->walk, key);
    sp_json_fail(&ld->walk, tok, "%s", reason);
    sp_json_path_pop(&ld->walk, saved);
    return SP_EINVAL;
}

int
sp_config_store_string(struct config_loader *ld, int tok, char **slot, size_t min, size_t max)
{
    char *s;
    size_t len;
    int rc;

    rc = sp_json_get_string(&ld->walk, tok, &s, &len);
    if (rc != SP_OK) {
        return rc;
    }

    if (len < min) {
        free(s);
        return sp_json_fail(&ld->walk, tok, "must not be empty");
    }
    if (len > max) {
        free(s);
        return sp_json_fail(&ld->walk, tok, "must be at most %zu bytes long", max);
    }

    *slot = s;
    return SP_OK;
}

static int
config_parse_enum(struct config_loader *ld, const struct config_field *f, int tok, void *base)
{
    char expected[256];
    size_t used = 0;
    int i;

    for (i = 0; f->names[i] != NULL; i++) {
        if (sp_json_string_equals(ld->walk.doc, tok, f->names[i])) {
            memcpy((char *)base + f->offset, &i, sizeof(i));
            return SP_OK;
        }
    }

    for (i = 0; f->names[i] != NULL && used < sizeof(expected); i++) {
        int n = snprintf(expected + used, sizeof(expected) - used, "%s\"%s\"",
                         i == 0 ? "" : (f->names[i + 1] == NULL ? " or " : ", "), f->names[i]);

        used += n > 0 ? (size_t)n : 0;
    }
    if (i == 1) {
        return sp_json_fail(&ld->walk, tok, "expected %s (the only value supported)", expected);
    }
    return sp_json_fail(&ld->walk, tok, "expected %s", expected);
}

static int
config_parse_bool(struct config_loader *ld, int tok, bool *out)
{
    struct sp_str raw = sp_json_raw(ld->walk.doc, tok);

    if (sp_json_type(ld->walk.doc, tok) == SP_JSON_BOOL) {
        *out = raw.len == 4 && memcmp(raw.ptr, "true", 4) == 0;
        return SP_OK;
    }
    return sp_json_fail(&ld->walk, tok, "expected true or false");
}

static int
config_parse_field(struct config_loader *ld, const struct config_field *f, int tok, void *base)
{
    char *member = (char *)base + f->offset;
    int64_t v;
    int rc;

    switch (f->kind) {
    case CONFIG_STRING:
        return sp_config_store_string(ld, tok, (char **)(void *)member, (size_t)f->min,
                                   (size_t)f->max);

    case CONFIG_UINT:
        rc = sp_json_get_int(&ld->walk, tok, f->min, f->max, &v);
        if (rc != SP_OK) {
            return rc;
        }
        if (f->size == sizeof(uint16_t)) {
            uint16_t u16 = (uint16_t)v;

            memcpy(member, &u16, sizeof(u16));
        } else {
            uint32_t u32 = (uint32_t)v;

            SP_BUG_ON(f->size != sizeof(uint32_t));
            memcpy(member, &u32, sizeof(u32));
        }
        return SP_OK;

    case CONFIG_ENUM:
        return config_parse_enum(ld, f, tok, base);

    case CONFIG_BOOL:
        return config_parse_bool(ld, tok, (bool *)(void *)member);

    case CONFIG_ARRAY:
        return sp_config_parse_array(ld, tok, f->array, base);

    case CONFIG_CUSTOM:
        return f->parse(ld, tok, base);
    }
    return SP_EINVAL;
}

/* The edit distance between A (ALEN bytes) and B, or a large number past 64 bytes. */
static size_t
config_edit_distance(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b), row[65], i, j;

    if (alen > 64 || blen > 64) {
        return SIZE_MAX;
    }
    for (j = 0; j <= blen; j++) {
        row[j] = j;
    }
    for (i = 1; i <= alen; i++) {
        size_t diag = row[0];

        row[0] = i;
        for (j = 1; j <= blen; j++) {
            size_t up = row[j];
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t best = diag + cost;

            if (up + 1 < best) {
                best = up + 1;
            }
            if (row[j - 1] + 1 < best) {
                best = row[j - 1] + 1;
            }
            row[j] = best;
            diag = up;
        }
    }
    return row[blen];
}

/*
 * Reports an unknown key with the keys that the object accepts, or, when
 * they are too many to list, with the closest one.
 */
static int
config_fail_unknown_key(struct config_loader *ld, int key, const struct config_field *fields,
                        size_t nfields)
{
    struct sp_str raw = sp_json_raw(ld->walk.doc, key);
    const char *closest = NULL;
    size_t best = SIZE_MAX;
    char valid[256];
    size_t used = 0;
    size_t i;

    valid[0] = '\0';
    for (i = 0; i < nfields && used < sizeof(valid); i++) {
        int n = snprintf(valid + used, sizeof(valid) - used, "%s%s", i == 0 ? "" : ", ",
                         fields[i].key);

        used += n > 0 ? (size_t)n : 0;
    }
    if (used < sizeof(valid)) {
        return sp_json_fail(&ld->walk, key, "unknown key \"%.*s\" (valid keys: %s)",
                            raw.len > 64 ? 64 : (int)raw.len, raw.ptr, valid);
    }

    for (i = 0; i < nfields; i++) {
        size_t d = config_edit_distance(raw.ptr, raw.len, fields[i].key);

        if (d < best) {
            best = d;
            closest = fields[i].key;
        }
    }
    if (closest != NULL && best <= 3) {
        return sp_json_fail(&ld->walk, key,
                            "unknown key \"%.*s\" (did you mean \"%s\"? README.md lists every "
                            "key under Configuration)",
                            raw.len > 64 ? 64 : (int)raw.len, raw.ptr, closest);
    }
    return sp_json_fail(&ld->walk, key,
                        "unknown key \"%.*s\" (README.md lists every key under Configuration)",
                        raw.len > 64 ? 64 : (int)raw.len, raw.ptr);
}

int
sp_config_parse_object(struct config_loader *ld, int obj, const struct config_field *fields,
                    size_t nfields, void *base, int *toks)
{
    const struct sp_json_doc *doc = ld->walk.doc;
    struct sp_json_iter it;
    int key;
    int value;
    size_t i;

    SP_BUG_ON(nfields > CONFIG_FIELDS_MAX);
    if (sp_json_type(doc, obj) != SP_JSON_OBJECT) {
        return sp_json_fail(&ld->walk, obj, "expected an object");
    }

    for (i = 0; i < nfields; i++) {
        toks[i] = -1;
    }

    sp_json_iter_init(doc, obj, &it);
    while (sp_json_iter_next(doc, &it, &key, &value)) {
        size_t saved;
        int rc;

        for (i = 0; i < nfields; i++) {
            if (sp_json_string_equals(doc, key, fields[i].key)) {
                break;
            }
        }
        if (i == nfields) {
            return config_fail_unknown_key(ld, key, fields, nfields);
        }
        if (toks[i] != -1) {
            return sp_json_fail(&ld->walk, key, "duplicate key \"%s\"", fields[i].key);
        }
        toks[i] = value;

        saved = sp_json_path_push_key(&ld->walk, fields[i].key);
        rc = config_parse_field(ld, &fields[i], value, base);
        sp_json_path_pop(&ld->walk, saved);
        if (rc != SP_OK) {
            return rc;
        }
    }

    for (i = 0; i < nfields; i++) {
        if (fields[i].required && toks[i] == -1) {
            return sp_json_fail(&ld->walk, obj, "missing required key \"%s\"", fields[i].key);
        }
    }
    return SP_OK;
}

/* Checks that TOK is an array of MIN..MAX items and stores the count in *N. */
static int
config_check_array(struct config_loader *ld, int tok, size_t min, size_t max, const char *what,
                   size_t *n)
{
    *n = sp_json_count(ld->walk.doc, tok);
    if (sp_json_type(ld->walk.doc, tok) != SP_JSON_ARRAY || *n < min || *n > max) {
        if (min == 0) {
            return sp_json_fail(&ld->walk, tok, "expected an array of %s", what);
        }
        if (max == SIZE_MAX) {
            return sp_json_fail(&ld->walk, tok, "expected a non-empty array of %s", what);
        }
        return sp_json_fail(&ld->walk, tok, "expected a non-empty array of at most %zu %s", max,
                            what);
    }
    return SP_OK;
}

int
sp_config_parse_array(struct config_loader *ld, int tok, const struct config_array *spec,
                      void *base)
{
    const struct sp_json_doc *doc = ld->walk.doc;
    int toks[CONFIG_FIELDS_MAX];
    struct sp_json_iter it;
    char *items;
    int key;
    int item;
    size_t n;
    int rc;

    rc = config_check_array(ld, tok, spec->min, spec->max, spec->what, &n);
    if (rc != SP_OK || n == 0) {
        return rc;
    }

    items = calloc(n, spec->item_size);
    if (items == NULL) {
        return sp_config_nomem(ld);
    }
    /*
     * The member is a pointer to the item struct. Copying a char * into it
     * assumes that both pointer types share one representation. C does not
     * promise that, but the x86-64 and AArch64 ABIs do.
     */
    memcpy((char *)base + spec->items_offset, &items, sizeof(items));
    memcpy((char *)base + spec->count_offset, &n, sizeof(n));

    sp_json_iter_init(doc, tok, &it);
    while (sp_json_iter_next(doc, &it, &key, &item)) {
        size_t i = it.index - 1;
        size_t saved = sp_json_path_push_index(&ld->walk, i);

        rc = SP_OK;
        if (spec->prepare != NULL) {
            rc = spec->prepare(ld, base, i, item, NULL);
        }
        if (rc == SP_OK) {
            rc = sp_config_parse_object(ld, item, spec->fields, spec->nfields,
                                        items + i * spec->item_size, toks);
        }
        if (rc == SP_OK && spec->finish != NULL) {
            rc = spec->finish(ld, base, i, item, toks);
        }
        sp_json_path_pop(&ld->walk, saved);
        if (rc != SP_OK) {
            return rc;
        }
    }
    return SP_OK;
}

int
sp_config_check_host(struct sp_json_walk *walk, int tok, const char *host)
{
    const char *p;

    if (host[0] == '\0') {
        return sp_json_fail(walk, tok, "must not be empty");
    }
    for (p = host; *p != '\0'; p++) {
        if (*p == '[' || *p == ']') {
            return sp_json_fail(walk, tok,
                                "write IPv6 addresses without brackets, for example \"::1\"");
        }
        if ((unsigned char)*p <= ' ' || *p == 0x7F) {
            return sp_json_fail(walk, tok, "must not contain spaces or control characters");
        }
    }
    return SP_OK;
}
