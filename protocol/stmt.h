/*
 * Prepared-statement (binary) protocol: the COM_STMT_PREPARE OK packet,
 * COM_STMT_EXECUTE and its parameter values, COM_STMT_SEND_LONG_DATA,
 * COM_STMT_CLOSE, COM_STMT_RESET and COM_STMT_FETCH, binary resultset rows,
 * and conversions of binary values to SQL literals and text-protocol values
 * and back.
 *
 * Pure codecs: no I/O, no logging and no global state. The only memory
 * they write is the caller's struct sp_buf, and views in parsed structs
 * borrow the payload. Command payloads include their command byte, so
 * parsers check it (SP_EPROTO for another command) and builders write it:
 * a built payload is ready for packet framing. Response payloads (the
 * prepare OK and binary rows) include their 0x00 header byte, as
 * sp_ok_parse expects.
 */
#ifndef SP_PROTOCOL_STMT_H
#define SP_PROTOCOL_STMT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/status.h"
#include "common/str.h"
#include "protocol/result.h"

/* The high bit of a parameter type word in COM_STMT_EXECUTE: unsigned. */
#define SP_STMT_PARAM_UNSIGNED 0x8000

/* Statement id that MariaDB (10.2 and later) reads as "the last prepared".
 * The parsers return it as is; the caller maps it to a statement. */
#define SP_STMT_ID_LAST 0xFFFFFFFFu

/* COM_STMT_EXECUTE flags: the cursor type. */
#define SP_STMT_CURSOR_NONE 0x00
#define SP_STMT_CURSOR_READ_ONLY 0x01
#define SP_STMT_CURSOR_FOR_UPDATE 0x02
#define SP_STMT_CURSOR_SCROLLABLE 0x04

/* Bytes of a COM_STMT_EXECUTE NULL bitmap for NPARAMS parameters. */
#define SP_STMT_PARAM_BITMAP_LEN(nparams) (((size_t)(nparams) + 7) / 8)

/* Bytes of a binary row's NULL bitmap, whose first two bits are unused. */
#define SP_STMT_ROW_BITMAP_LEN(ncols) (((size_t)(ncols) + 9) / 8)

/*
 * COM_STMT_PREPARE_OK: header 0x00, statement id (4 bytes), column count
 * (2), parameter count (2), a filler 0x00 and the warning count (2).
 */
struct sp_stmt_prepare_ok {
    uint32_t stmt_id;
    uint16_t ncolumns;
    uint16_t nparams;
    uint16_t warnings;
};

/*
 * Parses a prepare OK. A payload that ends after the parameter count (as
 * old servers send it) has warnings 0. Bytes after the warning count (the
 * metadata flag of MySQL 8 with CLIENT_OPTIONAL_RESULTSET_METADATA) are
 * ignored. SP_EPROTO for another header or a cut field.
 */
int sp_stmt_prepare_ok_parse(const uint8_t *payload, size_t len,
                             struct sp_stmt_prepare_ok *out) SP_WARN_UNUSED;

/* Appends a 12-byte prepare OK. Returns SP_OK or SP_ENOMEM. */
int sp_stmt_prepare_ok_build(struct sp_buf *out, const struct sp_stmt_prepare_ok *ok) SP_WARN_UNUSED;

/*
 * Reads the statement id of a COM_STMT_EXECUTE, COM_STMT_SEND_LONG_DATA,
 * COM_STMT_CLOSE, COM_STMT_RESET or COM_STMT_FETCH payload, so that the
 * caller can find the statement (and its parameter count) before parsing
 * the rest. SP_EPROTO for another command or fewer than 5 bytes.
 */
int sp_stmt_id_peek(const uint8_t *payload, size_t len, uint32_t *stmt_id) SP_WARN_UNUSED;

/* The fixed part of a COM_STMT_EXECUTE. */
struct sp_stmt_execute {
    uint32_t stmt_id;
    uint8_t flags;          /* SP_STMT_CURSOR_* */
    uint32_t iterations;    /* always 1 from real clients; not checked */
    bool new_params_bound;  /* the packet carried parameter types */
};

/*
 * One bound parameter. VALUE is the binary encoding without any length
 * prefix, in one of these forms:
 *   TINY 1, SHORT and YEAR 2, LONG and INT24 4, LONGLONG 8 little-endian
 *   bytes; FLOAT 4 and DOUBLE 8 bytes (IEEE 754, little-endian);
 *   DATE, DATETIME, TIMESTAMP: 0, 4, 7 or 11 bytes (year u16, month, day,
 *   hour, minute, second, microseconds u32);
 *   TIME: 0, 8 or 12 bytes (negative flag, days u32, hour, minute, second,
 *   microseconds u32);
 *   every other type: the bytes of its length-encoded string.
 */
struct sp_stmt_param {
    uint8_t type;          /* SP_MYSQL_TYPE_* */
    bool is_unsigned;
    bool is_null;
    bool is_long_data;     /* the value came in COM_STMT_SEND_LONG_DATA */
    struct sp_str value;   /* empty when IS_NULL, or IS_LONG_DATA after a parse */
};

/*
 * Parses a COM_STMT_EXECUTE for a statement with NPARAMS parameters into
 * OUT and PARAMS (NPARAMS entries).
 *
 * TYPES contains NPARAMS type words (type | SP_STMT_PARAM_UNSIGNED) that
 * the caller keeps between executes of one statement. When the packet
 * carries types, they are checked and, on success only, copied into TYPES.
 * When it does not, HAVE_TYPES must be true (an earlier execute bound them)
 * and the types come from TYPES. LONG_DATA (NPARAMS entries, or NULL when
 * none) marks the parameters that received COM_STMT_SEND_LONG_DATA since
 * the last execute or reset. As on the server, those have no bytes in the
 * packet and their NULL bit is ignored; the caller supplies their value.
 *
 * With NPARAMS 0 nothing after the iteration count is read: Connector/C
 * sends nothing there, and MariaDB 10.11 ignores any bytes that follow.
 * Bytes after the last value are ignored too, as the server does.
 *
 * Returns SP_OK, or SP_EPROTO for a cut or malformed packet: another
 * command byte, a new-params-bound flag other than 0 and 1, missing types
 * when none were bound before, an unknown type code or flag bit, a NULL
 * type without its NULL bit, long data for a type that cannot take it, a
 * temporal length other than the ones listed above, or a value that runs
 * past the payload. SP_EUNSUPPORTED for the type codes that MariaDB 10.11
 * accepts but reads no value bytes for (INT24, YEAR, BIT: the parameter
 * becomes NULL and the following values shift), and for JSON, which it
 * rejects. PARAMS views borrow PAYLOAD; on error PARAMS and OUT are
 * unspecified and TYPES is unchanged.
 */
int sp_stmt_execute_parse(const uint8_t *payload, size_t len, uint16_t nparams, uint16_t *types,
                          bool have_types, const bool *long_data, struct sp_stmt_execute *out,
                          struct sp_stmt_param *params) SP_WARN_UNUSED;

/*
 * Appends a COM_STMT_EXECUTE for STMT_ID with iteration count 1. Each
 * parameter's type and signedness come from PARAMS, and with SEND_TYPES
 * they are written so that the receiving server rebinds them. A parameter
 * with IS_LONG_DATA gets no value bytes, because the receiver must already
 * have its long data. To send such a value inline, clear the flag and set
 * VALUE. Returns SP_OK, SP_ENOMEM, or SP_EINVAL (OUT unchanged) for a type
 * code that the parser does not accept or a VALUE whose length does not
 * fit its type.
 */
int sp_stmt_execute_build(struct sp_buf *out, uint32_t stmt_id, uint8_t flags, uint16_t nparams,
                          const struct sp_stmt_param *params, bool send_types) SP_WARN_UNUSED;

/* COM_STMT_SEND_LONG_DATA: a piece of one parameter's value. */
struct sp_stmt_long_data {
    uint32_t stmt_id;
    uint16_t param_id;
    struct sp_str data;    /* borrows the payload */
};

int sp_stmt_long_data_parse(const uint8_t *payload, size_t len,
                            struct sp_stmt_long_data *out) SP_WARN_UNUSED;
int sp_stmt_long_data_build(struct sp_buf *out, const struct sp_stmt_long_data *ld) SP_WARN_UNUSED;

/*
 * COM_STMT_CLOSE and COM_STMT_RESET carry a statement id only. Bytes after
 * it are ignored, as the server ignores them.
 */
int sp_stmt_close_parse(const uint8_t *payload, size_t len, uint32_t *stmt_id) SP_WARN_UNUSED;
int sp_stmt_close_build(struct sp_buf *out, uint32_t stmt_id) SP_WARN_UNUSED;
int sp_stmt_reset_parse(const uint8_t *payload, size_t len, uint32_t *stmt_id) SP_WARN_UNUSED;
int sp_stmt_reset_build(struct sp_buf *out, uint32_t stmt_id) SP_WARN_UNUSED;

/* COM_STMT_FETCH: rows to read from an open cursor. */
struct sp_stmt_fetch {
    uint32_t stmt_id;
    uint32_t nrows;
};

int sp_stmt_fetch_parse(const uint8_t *payload, size_t len, struct sp_stmt_fetch *out) SP_WARN_UNUSED;
int sp_stmt_fetch_build(struct sp_buf *out, const struct sp_stmt_fetch *fetch) SP_WARN_UNUSED;

/* sp_stmt_param_to_sql flag: the reading connection has NO_BACKSLASH_ESCAPES
 * in its sql_mode, which its status flags show as
 * SP_SERVER_STATUS_NO_BACKSLASH_ESCAPES. */
#define SP_STMT_SQL_NO_BACKSLASH_ESCAPES 0x01u

/*
 * Appends PARAM as a SQL literal that a MariaDB server reads back as the
 * same value, for a statement text that replaces the parameter marker.
 * COLLATION is the collation id of the connection that reads the text
 * (its character_set_client), FLAGS is SP_STMT_SQL_* bits.
 *
 *   NULL                       NULL
 *   integer types              decimal digits, with '-' when negative
 *   FLOAT, DOUBLE              shortest digits that read back as the same
 *                              double, always with an exponent so that the
 *                              server reads an approximate value: 1.5e0
 *   DECIMAL, NEWDECIMAL        unquoted, as the server prints the value:
 *                              +07.50 is written 7.50
 *   DATE, DATETIME, TIMESTAMP  'YYYY-MM-DD[ hh:mm:ss[.ffffff]]'
 *   TIME                       '[-]hh:mm:ss[.ffffff]', hours = days*24+hour
 *   BLOB types, GEOMETRY, BIT  _binary X'hex' (the server binds BLOB and
 *                              GEOMETRY as binary strings)
 *   other strings              '...' in the client's character set
 *
 * A quoted string doubles each quote. Without NO_BACKSLASH_ESCAPES it also
 * writes backslash, NUL, newline, carriage return and Ctrl-Z as \\, \0, \n,
 * \r and \Z, as mysql_real_escape_string does. In big5, cp932, gbk and sjis
 * a backslash byte can be the second byte of a character, and escaping it
 * would break the quoting. So in those character sets a value that
 * contains a backslash byte is written as _charset X'hex', which the server
 * reads with the character set's default collation.
 *
 * Temporal values are quoted strings, which columns convert on comparison
 * and insert. SELECT ? then gives a string column where the server gives a
 * temporal one. A long-data parameter is written from VALUE, which the
 * caller sets to the data it collected. Returns SP_OK, SP_ENOMEM, or
 * SP_EINVAL (OUT unchanged) for a value with no literal: an infinite or NaN
 * double, DECIMAL text that is not [+-]digits[.digits], an out-of-range
 * date or time field, or a value length that does not fit its type.
 */
int sp_stmt_param_to_sql(const struct sp_stmt_param *param, uint16_t collation, unsigned flags,
                         struct sp_buf *out) SP_WARN_UNUSED;

/*
 * Appends PARAM's value, unquoted, as the text a text-protocol result
 * would carry for it: what the router hashes as a shard key. The text is
 * what MariaDB 10.11 returns for CAST(? AS CHAR). Integers are decimal and
 * FLOAT and DOUBLE are printed as MariaDB prints a DOUBLE, because the
 * server binds a FLOAT parameter as the double it converts to. DECIMAL and
 * temporal values are printed as in sp_stmt_param_to_sql without quotes,
 * and strings are their bytes. The SQL literal is not enough for hashing,
 * because string keys hash their unescaped bytes. Returns SP_OK, SP_ENOMEM,
 * or SP_EINVAL for a NULL parameter and the values that
 * sp_stmt_param_to_sql rejects.
 */
int sp_stmt_param_to_text(const struct sp_stmt_param *param, struct sp_buf *out) SP_WARN_UNUSED;

/*
 * Appends a binary resultset row (header 0x00, NULL bitmap, values) for
 * NCOLS columns described by DEFS, from the text-protocol VALUES that a
 * server sends for those columns; NULLS may be NULL when no value is NULL.
 * Integers take the width of their type (TINY 1, SHORT and YEAR 2, INT24
 * and LONG 4, LONGLONG 8), FLOAT 4 and DOUBLE 8 bytes, temporal values their
 * shortest binary form, and everything else a length-encoded string.
 * Returns SP_OK, SP_ENOMEM, or SP_EPROTO (OUT unchanged) when a value is
 * not valid text for its column type or range, or a column type cannot
 * appear in a result.
 *
 * NOTE: a text result prints FLOAT with 6 significant digits, so the float
 * built from it can differ in its last bits from what the server sends in
 * a binary row (16777217 is stored as 16777216 and printed as 16777200).
 * DOUBLE text reads back exactly unless the column has fixed decimals.
 */
int sp_stmt_binary_row_build(struct sp_buf *out, size_t ncols, const struct sp_column_def *defs,
                             const struct sp_str *values, const bool *nulls) SP_WARN_UNUSED;

/*
 * Parses a binary resultset row of NCOLS columns described by DEFS into
 * the text that MariaDB 10.11 sends for each value in a text result.
 * Integers are decimal, unsigned with SP_COLUMN_FLAG_UNSIGNED, and padded
 * with zeros to the column length with SP_COLUMN_FLAG_ZEROFILL. FLOAT has 6
 * significant digits and DOUBLE the shortest digits that read back, or the
 * column's fixed decimals. DATETIME, TIMESTAMP and TIME have as many
 * fractional digits as the column's decimals.
 *
 * VALUES and NULLS are caller arrays of NCOLS entries. Length-encoded
 * values are views into PAYLOAD; printed values are appended to SCRATCH
 * (which is not reset) and viewed there, so they stay valid until SCRATCH
 * is next changed or freed. Returns SP_OK, SP_ENOMEM, or SP_EPROTO for a
 * cut or malformed row (another header, a value past the payload, bytes
 * after the last value, a temporal length that does not fit its type).
 */
int sp_stmt_binary_row_parse(const uint8_t *payload, size_t len, size_t ncols,
                             const struct sp_column_def *defs, struct sp_buf *scratch,
                             struct sp_str *values, bool *nulls) SP_WARN_UNUSED;

#endif
