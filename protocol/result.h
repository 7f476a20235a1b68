/*
 * Response packets: OK, ERR, EOF, column count, ColumnDefinition41 and
 * text-protocol rows. Pure codecs over payloads (no packet headers); views
 * in parsed structs borrow the payload.
 */
#ifndef SP_PROTOCOL_RESULT_H
#define SP_PROTOCOL_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/status.h"
#include "common/str.h"

#define SP_PACKET_OK 0x00
#define SP_PACKET_EOF 0xFE
#define SP_PACKET_ERR 0xFF
#define SP_PACKET_LOCAL_INFILE 0xFB

/* What the first packet of a response, or a packet inside one, is. */
enum sp_response_kind {
    SP_RESPONSE_OK,          /* 0x00, or 0xFE as an OK with DEPRECATE_EOF */
    SP_RESPONSE_ERR,         /* 0xFF */
    SP_RESPONSE_EOF,         /* 0xFE and payload shorter than 9 bytes */
    SP_RESPONSE_LOCAL_INFILE,/* 0xFB as the first packet of a response */
    SP_RESPONSE_DATA         /* column count, column definition or row */
};

struct sp_ok_packet {
    uint64_t affected_rows;
    uint64_t last_insert_id;
    uint16_t status;
    uint16_t warnings;
    struct sp_str info;          /* human-readable text, may be empty */
    struct sp_str session_state; /* raw session-state block, may be empty */
};

/*
 * Parses an OK packet (header 0x00 or 0xFE). CAPS are the negotiated
 * capabilities: SESSION_TRACK changes the layout of the trailing fields.
 */
int sp_ok_parse(const uint8_t *payload, size_t len, uint32_t caps, struct sp_ok_packet *out) SP_WARN_UNUSED;

/*
 * Appends an OK packet payload. HEADER is 0x00 for a plain OK, or 0xFE for
 * the OK that ends a result set when CLIENT_DEPRECATE_EOF is negotiated
 * (SP_EINVAL otherwise). With CLIENT_SESSION_TRACK the info string is
 * always written, and the session state when ok->status has
 * SERVER_SESSION_STATE_CHANGED.
 */
int sp_ok_build(struct sp_buf *out, const struct sp_ok_packet *ok, uint32_t caps, uint8_t header) SP_WARN_UNUSED;

struct sp_err_packet {
    uint16_t code;
    char sqlstate[6];      /* NUL-terminated; "HY000" when the packet has none */
    struct sp_str message;
};

int sp_err_parse(const uint8_t *payload, size_t len, struct sp_err_packet *out) SP_WARN_UNUSED;

/*
 * Appends an ERR payload with a '#' SQLSTATE marker (CLIENT_PROTOCOL_41).
 * A NULL or empty SQLSTATE is sent as "HY000"; one of another length than
 * 5 characters gives SP_EINVAL.
 */
int sp_err_build(struct sp_buf *out, uint16_t code, const char *sqlstate,
                 const char *message, size_t message_len) SP_WARN_UNUSED;

struct sp_eof_packet {
    uint16_t warnings;
    uint16_t status;
};

int sp_eof_parse(const uint8_t *payload, size_t len, struct sp_eof_packet *out) SP_WARN_UNUSED;
int sp_eof_build(struct sp_buf *out, const struct sp_eof_packet *eof) SP_WARN_UNUSED;

/*
 * Classifies a payload by its first byte and length, as a client would.
 * FIRST says whether it is the first packet of a response (only then is
 * 0xFB a LOCAL INFILE request and 0x00 an OK); DEPRECATE_EOF says whether
 * 0xFE ends a result set as an OK packet. A payload of length 0 is DATA.
 * LEN may be the joined length or that of the first physical packet: with
 * DEPRECATE_EOF a 0xFE payload is an OK below 0xFFFFFF bytes, without it an
 * EOF below 9 bytes. The response to COM_CHANGE_USER may instead be an
 * AuthSwitchRequest, which also starts with 0xFE; this does not detect it.
 */
enum sp_response_kind sp_response_classify(const uint8_t *payload, size_t len, bool first,
                                           bool deprecate_eof);

/*
 * Column count packet: a length-encoded integer, 1..4096 in practice.
 * SP_EPROTO for 0 or for bytes after the integer.
 */
int sp_column_count_parse(const uint8_t *payload, size_t len, uint64_t *count) SP_WARN_UNUSED;

/* MySQL column and parameter type codes (enum_field_types). */
#define SP_MYSQL_TYPE_DECIMAL 0
#define SP_MYSQL_TYPE_TINY 1
#define SP_MYSQL_TYPE_SHORT 2
#define SP_MYSQL_TYPE_LONG 3
#define SP_MYSQL_TYPE_FLOAT 4
#define SP_MYSQL_TYPE_DOUBLE 5
#define SP_MYSQL_TYPE_NULL 6
#define SP_MYSQL_TYPE_TIMESTAMP 7
#define SP_MYSQL_TYPE_LONGLONG 8
#define SP_MYSQL_TYPE_INT24 9
#define SP_MYSQL_TYPE_DATE 10
#define SP_MYSQL_TYPE_TIME 11
#define SP_MYSQL_TYPE_DATETIME 12
#define SP_MYSQL_TYPE_YEAR 13
#define SP_MYSQL_TYPE_NEWDATE 14
#define SP_MYSQL_TYPE_VARCHAR 15
#define SP_MYSQL_TYPE_BIT 16
#define SP_MYSQL_TYPE_TIMESTAMP2 17
#define SP_MYSQL_TYPE_DATETIME2 18
#define SP_MYSQL_TYPE_TIME2 19
#define SP_MYSQL_TYPE_NEWDECIMAL 246
#define SP_MYSQL_TYPE_JSON 245
#define SP_MYSQL_TYPE_ENUM 247
#define SP_MYSQL_TYPE_SET 248
#define SP_MYSQL_TYPE_TINY_BLOB 249
#define SP_MYSQL_TYPE_MEDIUM_BLOB 250
#define SP_MYSQL_TYPE_LONG_BLOB 251
#define SP_MYSQL_TYPE_BLOB 252
#define SP_MYSQL_TYPE_VAR_STRING 253
#define SP_MYSQL_TYPE_STRING 254
#define SP_MYSQL_TYPE_GEOMETRY 255

/* Column definition flags that change how a value is encoded or printed. */
#define SP_COLUMN_FLAG_UNSIGNED 0x0020
#define SP_COLUMN_FLAG_ZEROFILL 0x0040

/* Column decimals at or above this value mean "not fixed". */
#define SP_COLUMN_DECIMALS_NOT_FIXED 31

/* ColumnDefinition41. */
struct sp_column_def {
    struct sp_str catalog; /* always "def" */
    struct sp_str schema;
    struct sp_str table;
    struct sp_str org_table;
    struct sp_str name;
    struct sp_str org_name;
    uint16_t charset;      /* collation id */
    uint32_t column_length;
    uint8_t type;          /* MYSQL_TYPE_* */
    uint16_t flags;
    uint8_t decimals;
};

/*
 * Parsing accepts the default value that ends each definition in a
 * COM_FIELD_LIST response and discards it. Building writes "def" when
 * catalog is empty.
 */
int sp_column_def_parse(const uint8_t *payload, size_t len, struct sp_column_def *out) SP_WARN_UNUSED;
int sp_column_def_build(struct sp_buf *out, const struct sp_column_def *def) SP_WARN_UNUSED;

/*
 * Text-protocol row: NCOLS length-encoded strings, 0xFB for NULL. VALUES
 * and NULLS are caller arrays of NCOLS entries (build also accepts NULLS
 * == NULL when no value is NULL). SP_EPROTO when the payload holds fewer or
 * more than NCOLS values.
 */
int sp_text_row_parse(const uint8_t *payload, size_t len, size_t ncols, struct sp_str *values,
                      bool *nulls) SP_WARN_UNUSED;
int sp_text_row_build(struct sp_buf *out, size_t ncols, const struct sp_str *values,
                      const bool *nulls) SP_WARN_UNUSED;

#endif
