/*
 * Typed comparison and formatting of text-protocol values for the result
 * merger (router/merge.c): how MariaDB orders the values of a column type,
 * how it compares a column with a HAVING literal, and how it prints a
 * DOUBLE. Internal to router/; pure functions, no allocation.
 */
#ifndef SP_ROUTER_MERGE_VALUE_H
#define SP_ROUTER_MERGE_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/str.h"
#include "protocol/result.h"

/* Comparison class of a column type. */
enum sp_merge_class {
    SP_MERGE_CLASS_BYTES,    /* strings, blobs, ENUM, SET, GEOMETRY: memcmp, then length */
    SP_MERGE_CLASS_BIT,      /* BIT: big-endian bytes of equal length */
    SP_MERGE_CLASS_NUMBER,   /* integer types, DECIMAL, YEAR: exact */
    SP_MERGE_CLASS_DOUBLE,   /* FLOAT, DOUBLE */
    SP_MERGE_CLASS_DATETIME, /* DATE, DATETIME, TIMESTAMP: fixed-width text */
    SP_MERGE_CLASS_TIME      /* TIME: signed, hours beyond 24 */
};

/* The collation id of binary strings: no trailing-space padding. */
#define SP_MERGE_BINARY_CHARSET 63

/* Column decimals at or above this value mean "not fixed" (DOUBLE printed shortest). */
#define SP_MERGE_NOT_FIXED_DEC 31

/* Buffer size for sp_merge_format_double, NUL included. */
#define SP_MERGE_DOUBLE_TEXT_MAX 400

enum sp_merge_class sp_merge_class_of(uint8_t type);

/* memcmp over the common length, then the shorter value first. */
int sp_merge_bytes_cmp(struct sp_str a, struct sp_str b);

/*
 * Compares two non-NULL values of one column as the server orders them.
 * Text that does not parse as its class expects is compared by bytes.
 */
int sp_merge_value_cmp(enum sp_merge_class cls, struct sp_str a, struct sp_str b);

/* Parses the whole of S as a double (the text a server sends for DOUBLE). */
bool sp_merge_parse_double(struct sp_str s, double *out);

/*
 * Converts S as MySQL converts a string in numeric context: leading
 * spaces, then the longest numeric prefix; 0 when there is none.
 */
double sp_merge_string_to_double(struct sp_str s);

/*
 * Writes V as MariaDB 10.11 prints a DOUBLE with DECIMALS fractional
 * digits, or the shortest text that reads back as V when DECIMALS is
 * SP_MERGE_NOT_FIXED_DEC or more. BUF has room for SP_MERGE_DOUBLE_TEXT_MAX
 * bytes. Returns the length without the NUL.
 */
size_t sp_merge_format_double(double v, unsigned decimals, char *buf);

/*
 * Compares a non-NULL column value with a non-NULL HAVING literal the way
 * MariaDB compares a column of class CLS with a constant. Integer and
 * DECIMAL columns compare exactly with number literals, and as doubles
 * with strings. Temporal columns compare as dates and times, two strings
 * by bytes. CHARSET is the column's collation id.
 */
int sp_merge_literal_cmp(enum sp_merge_class cls, uint16_t charset, struct sp_str value,
                         struct sp_str literal, bool literal_is_string);

#endif
