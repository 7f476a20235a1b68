/*
 * A short table of the collations that clients commonly announce. Ids are
 * MariaDB's and MySQL's (they agree below 255).
 */
#include "protocol/charset.h"

#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

static const struct sp_collation collations[] = {
    {5, "latin1", "latin1_german1_ci"},
    {8, "latin1", "latin1_swedish_ci"},
    {11, "ascii", "ascii_general_ci"},
    {28, "gbk", "gbk_chinese_ci"},
    {33, "utf8mb3", "utf8mb3_general_ci"},
    {45, "utf8mb4", "utf8mb4_general_ci"},
    {46, "utf8mb4", "utf8mb4_bin"},
    {47, "latin1", "latin1_bin"},
    {48, "latin1", "latin1_general_ci"},
    {63, "binary", "binary"},
    {65, "ascii", "ascii_bin"},
    {83, "utf8mb3", "utf8mb3_bin"},
    {87, "gbk", "gbk_bin"},
    {192, "utf8mb3", "utf8mb3_unicode_ci"},
    {224, "utf8mb4", "utf8mb4_unicode_ci"},
};

const struct sp_collation *
sp_collation_find(uint16_t id)
{
    size_t i;

    for (i = 0; i < sizeof(collations) / sizeof(collations[0]); i++) {
        if (collations[i].id == id) {
            return &collations[i];
        }
    }
    return NULL;
}

uint16_t
sp_collation_normalize(uint16_t id)
{
    return sp_collation_find(id) != NULL ? id : SP_COLLATION_DEFAULT;
}

/* The default collation of each character set in the table. */
static const struct {
    const char *charset;
    uint16_t id;
} charset_defaults[] = {
    {"latin1", 8}, {"ascii", 11}, {"gbk", 28}, {"utf8mb3", 33}, {"utf8", 33},
    {"utf8mb4", 45}, {"binary", 63},
};

static bool
charset_name_eq(const char *a, size_t len, const char *b)
{
    return strlen(b) == len && strncasecmp(a, b, len) == 0;
}

uint16_t
sp_collation_by_name(const char *charset, size_t charset_len, const char *collation,
                     size_t collation_len)
{
    size_t i;

    if (collation != NULL) {
        for (i = 0; i < sizeof(collations) / sizeof(collations[0]); i++) {
            if (charset_name_eq(collation, collation_len, collations[i].collation)) {
                return collations[i].id;
            }
        }
        return 0;
    }
    for (i = 0; i < sizeof(charset_defaults) / sizeof(charset_defaults[0]); i++) {
        if (charset_name_eq(charset, charset_len, charset_defaults[i].charset)) {
            return charset_defaults[i].id;
        }
    }
    return 0;
}
