/*
 * Collation ids as sent in the handshake and in column definitions, and
 * the character set and collation names that SET NAMES needs for them.
 */
#ifndef SP_PROTOCOL_CHARSET_H
#define SP_PROTOCOL_CHARSET_H

#include <stddef.h>
#include <stdint.h>

/* utf8mb4_general_ci: what the proxy announces and falls back to. */
#define SP_COLLATION_DEFAULT 45

struct sp_collation {
    uint16_t id;
    const char *charset;   /* character set name, for SET NAMES */
    const char *collation; /* collation name, for COLLATE */
};

/* Returns the entry for ID, or NULL when the proxy does not know it. */
const struct sp_collation *sp_collation_find(uint16_t id);

/*
 * Returns the collation a backend connection should use for a client that
 * sent ID: ID itself when known, else SP_COLLATION_DEFAULT, as a MariaDB
 * server falls back to its default character set for an unknown id.
 */
uint16_t sp_collation_normalize(uint16_t id);

/*
 * Returns the id of collation COLLATION, or of character set CHARSET's
 * default collation when COLLATION is NULL ("utf8" being utf8mb3, as in
 * MariaDB 10.11); 0 when the proxy does not know the name. Names compare
 * without regard to case; LEN arguments are the names' lengths.
 */
uint16_t sp_collation_by_name(const char *charset, size_t charset_len, const char *collation,
                              size_t collation_len);

#endif
