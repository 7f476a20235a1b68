/*
 * Shared by protocol/stmt.c (commands), stmt_value.c (parameter literals
 * and value printing) and stmt_row.c (binary rows); not for other callers.
 * Pure helpers over views and caller buffers.
 */
#ifndef SP_PROTOCOL_STMT_INTERNAL_H
#define SP_PROTOCOL_STMT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/str.h"

/* Layout of a type's values in the binary protocol. */
enum sp_stmt_encoding {
    SP_STMT_ENC_INVALID,  /* not a type code that appears on the wire */
    SP_STMT_ENC_NULL,     /* MYSQL_TYPE_NULL: never a value */
    SP_STMT_ENC_INT,      /* little-endian integer of a fixed width */
    SP_STMT_ENC_FLOAT,    /* IEEE 754 single, 4 bytes */
    SP_STMT_ENC_DOUBLE,   /* IEEE 754 double, 8 bytes */
    SP_STMT_ENC_DATETIME, /* length byte, then 0, 4, 7 or 11 bytes */
    SP_STMT_ENC_TIME,     /* length byte, then 0, 8 or 12 bytes */
    SP_STMT_ENC_STRING    /* length-encoded string */
};

/* Returns TYPE's encoding; *WIDTH is the byte count for INT, FLOAT, DOUBLE. */
enum sp_stmt_encoding sp_stmt_encoding_of(uint8_t type, size_t *width);

/* True when LEN is a valid value length for a DATETIME or TIME encoding. */
bool sp_stmt_temporal_len_ok(enum sp_stmt_encoding enc, size_t len);

/* A date, datetime or time value, unpacked. */
struct sp_stmt_time {
    bool neg;       /* TIME only */
    uint32_t days;  /* TIME only */
    uint16_t year;
    uint8_t month;
    uint8_t day;
    uint8_t hour;
    uint8_t minute;
    uint8_t second;
    uint32_t micro;
};

/* Unpacks a binary temporal value (without its length byte). */
void sp_stmt_time_unpack(enum sp_stmt_encoding enc, struct sp_str value, struct sp_stmt_time *t);

/*
 * True when T's fields are in range, so that its text means the same
 * value: month, day, minute, second and microseconds always, the hour of a
 * date or datetime too.
 */
bool sp_stmt_time_valid(enum sp_stmt_encoding enc, const struct sp_stmt_time *t);

/* Appends the shortest binary form of T with its length byte. */
int sp_stmt_time_pack(struct sp_buf *out, enum sp_stmt_encoding enc, const struct sp_stmt_time *t);

/*
 * Text of a date, datetime or time: FRAC_DIGITS (0..6) fractional digits;
 * DATE_ONLY prints the date part alone. BUF has room for
 * SP_STMT_TIME_TEXT_MAX bytes. Returns the length.
 */
#define SP_STMT_TIME_TEXT_MAX 48
size_t sp_stmt_time_format(enum sp_stmt_encoding enc, const struct sp_stmt_time *t, bool date_only,
                           unsigned frac_digits, char *buf);

/* Reads a little-endian integer of WIDTH (1, 2, 4 or 8) bytes at P. */
uint64_t sp_stmt_read_le(const char *p, size_t width);

/*
 * Decimal text of a WIDTH-byte integer, sign-extended unless IS_UNSIGNED.
 * BUF has room for SP_STMT_INT_TEXT_MAX bytes. Returns the length.
 */
#define SP_STMT_INT_TEXT_MAX 24
size_t sp_stmt_int_format(uint64_t raw, size_t width, bool is_unsigned, char *buf);

/*
 * Text of a double as MariaDB 10.11 prints it in a text result: the
 * shortest digits that read back as V when SIGNIFICANT is 0, else that
 * many significant digits (6 for a FLOAT column), or DECIMALS fixed
 * fractional digits when DECIMALS < SP_COLUMN_DECIMALS_NOT_FIXED. V must be
 * finite. BUF has room for SP_STMT_DOUBLE_TEXT_MAX bytes. Returns the length.
 */
#define SP_STMT_DOUBLE_TEXT_MAX 400
size_t sp_stmt_double_format(double v, unsigned significant, unsigned decimals, char *buf);

/* True when S is [+-]digits[.digits] or [+-].digits (with LEADING_PLUS). */
bool sp_stmt_decimal_text_ok(struct sp_str s, bool leading_plus);

#endif
