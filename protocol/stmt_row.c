/*
 * Binary resultset rows: built from the text-protocol values of a result,
 * and parsed back into that text. The proxy runs scatter statements as
 * text queries but must send binary rows to a prepared-statement client.
 *
 * A binary row is a 0x00 header, a NULL bitmap whose first two bits are
 * unused, then each non-NULL value in the encoding of its column type.
 * Rows from a backend and text values are checked as strictly as client
 * input: nothing is read past a view. No I/O, no allocation beyond the
 * caller's buffers.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/codec.h"
#include "protocol/stmt.h"
#include "protocol/stmt_internal.h"

#define ROW_BITMAP_OFFSET 2

/* MariaDB's display width is at most 255, so ZEROFILL pads no further. */
#define ROW_ZEROFILL_MAX 255

/* TIME text has at most this many hour digits (MariaDB's range is 838). */
#define ROW_TIME_HOUR_DIGITS_MAX 7

/* Longer text cannot be a DOUBLE that a server printed. */
#define ROW_NUMBER_TEXT_MAX 400

static bool
row_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Reads MIN..MAX digits at *I into *V; false when fewer than MIN. */
static bool
row_take_digits(struct sp_str s, size_t *i, size_t min, size_t max, uint64_t *v, size_t *ndigits)
{
    size_t n = 0;

    *v = 0;
    while (*i < s.len && n < max && row_is_digit(s.ptr[*i])) {
        *v = *v * 10 + (uint64_t)(s.ptr[*i] - '0');
        (*i)++;
        n++;
    }
    if (ndigits != NULL) {
        *ndigits = n;
    }
    return n >= min;
}

static bool
row_take_char(struct sp_str s, size_t *i, char c)
{
    if (*i < s.len && s.ptr[*i] == c) {
        (*i)++;
        return true;
    }
    return false;
}

/* Reads ".f" with 1 to 6 digits, if present, as microseconds. */
static bool
row_take_fraction(struct sp_str s, size_t *i, uint32_t *micro)
{
    uint64_t v;
    size_t n;

    *micro = 0;
    if (!row_take_char(s, i, '.')) {
        return true;
    }
    if (!row_take_digits(s, i, 1, 6, &v, &n)) {
        return false;
    }
    for (; n < 6; n++) {
        v *= 10;
    }
    *micro = (uint32_t)v;
    return true;
}

/* Reads "hh:mm:ss[.f]" with the hour as MIN_H..MAX_H digits. */
static bool
row_take_clock(struct sp_str s, size_t *i, size_t min_h, size_t max_h, uint64_t *hours,
               struct sp_stmt_time *t)
{
    uint64_t minute, second;

    if (!row_take_digits(s, i, min_h, max_h, hours, NULL) || !row_take_char(s, i, ':')
        || !row_take_digits(s, i, 2, 2, &minute, NULL) || !row_take_char(s, i, ':')
        || !row_take_digits(s, i, 2, 2, &second, NULL) || !row_take_fraction(s, i, &t->micro)) {
        return false;
    }
    if (minute > 59 || second > 59) {
        return false;
    }
    t->minute = (uint8_t)minute;
    t->second = (uint8_t)second;
    return true;
}

/* Parses "YYYY-MM-DD[ hh:mm:ss[.f]]". */
static bool
row_parse_datetime(struct sp_str s, struct sp_stmt_time *t)
{
    uint64_t year, month, day, hour = 0;
    size_t i = 0;

    memset(t, 0, sizeof(*t));
    if (!row_take_digits(s, &i, 4, 4, &year, NULL) || !row_take_char(s, &i, '-')
        || !row_take_digits(s, &i, 2, 2, &month, NULL) || !row_take_char(s, &i, '-')
        || !row_take_digits(s, &i, 2, 2, &day, NULL)) {
        return false;
    }
    if (row_take_char(s, &i, ' ') && !row_take_clock(s, &i, 2, 2, &hour, t)) {
        return false;
    }
    if (i != s.len || month > 12 || day > 31 || hour > 23) {
        return false;
    }
    t->year = (uint16_t)year;
    t->month = (uint8_t)month;
    t->day = (uint8_t)day;
    t->hour = (uint8_t)hour;
    return true;
}

/* Parses "[-]hh:mm:ss[.f]" with two or more hour digits. */
static bool
row_parse_time(struct sp_str s, struct sp_stmt_time *t)
{
    uint64_t hours;
    size_t i = 0;

    memset(t, 0, sizeof(*t));
    t->neg = row_take_char(s, &i, '-');
    if (!row_take_clock(s, &i, 2, ROW_TIME_HOUR_DIGITS_MAX, &hours, t) || i != s.len) {
        return false;
    }
    t->days = (uint32_t)(hours / 24);
    t->hour = (uint8_t)(hours % 24);
    return true;
}

/*
 * Parses decimal integer text into the two's-complement bits of a value in
 * MIN..MAX (signed) or 0..UMAX (IS_UNSIGNED).
 */
static bool
row_parse_int(struct sp_str s, bool is_unsigned, int64_t min, int64_t max, uint64_t umax,
              uint64_t *raw)
{
    uint64_t mag = 0;
    size_t i = 0, n = 0;
    bool neg;

    neg = row_take_char(s, &i, '-');
    for (; i < s.len && row_is_digit(s.ptr[i]); i++, n++) {
        uint64_t d = (uint64_t)(s.ptr[i] - '0');

        if (mag > (UINT64_MAX - d) / 10) {
            return false;
        }
        mag = mag * 10 + d;
    }
    if (n == 0 || i != s.len) {
        return false;
    }

    if (is_unsigned) {
        if ((neg && mag != 0) || mag > umax) {
            return false;
        }
        *raw = mag;
        return true;
    }
    if (neg) {
        if (mag > (uint64_t)INT64_MAX + 1 || (mag > 0 && -(int64_t)(mag - 1) - 1 < min)) {
            return false;
        }
        *raw = mag == 0 ? 0 : (uint64_t)(-(int64_t)(mag - 1) - 1);
        return true;
    }
    if (mag > (uint64_t)max) {
        return false;
    }
    *raw = mag;
    return true;
}

/* The value range of an integer column type in the text protocol. */
static void
row_int_range(uint8_t type, size_t width, int64_t *min, int64_t *max, uint64_t *umax)
{
    if (type == SP_MYSQL_TYPE_INT24) {
        *min = -8388608;
        *max = 8388607;
        *umax = 16777215;
        return;
    }
    if (width == 8) {
        *min = INT64_MIN;
        *max = INT64_MAX;
        *umax = UINT64_MAX;
        return;
    }
    *max = (int64_t)((UINT64_C(1) << (8 * width - 1)) - 1);
    *min = -*max - 1;
    *umax = (UINT64_C(1) << (8 * width)) - 1;
}

/* YEAR is unsigned whatever its flags contain. */
static bool
row_is_unsigned(const struct sp_column_def *def)
{
    return (def->flags & SP_COLUMN_FLAG_UNSIGNED) || def->type == SP_MYSQL_TYPE_YEAR;
}

/*
 * Parses S as [-]digits[.digits][e[+-]digits], the text a server prints
 * for FLOAT and DOUBLE, into a finite double (or float).
 */
static bool
row_parse_double(struct sp_str s, bool single, double *out)
{
    char text[ROW_NUMBER_TEXT_MAX + 1];
    size_t i = 0, mantissa = 0;
    uint64_t ignored;
    size_t n;

    if (s.len == 0 || s.len > ROW_NUMBER_TEXT_MAX) {
        return false;
    }
    row_take_char(s, &i, '-');
    row_take_digits(s, &i, 0, SIZE_MAX, &ignored, &n);
    mantissa += n;
    if (row_take_char(s, &i, '.')) {
        row_take_digits(s, &i, 0, SIZE_MAX, &ignored, &n);
        mantissa += n;
    }
    if (mantissa == 0) {
        return false;
    }
    if (row_take_char(s, &i, 'e') || row_take_char(s, &i, 'E')) {
        if (!row_take_char(s, &i, '-')) {
            row_take_char(s, &i, '+');
        }
        if (!row_take_digits(s, &i, 1, 5, &ignored, NULL)) {
            return false;
        }
    }
    if (i != s.len) {
        return false;
    }

    memcpy(text, s.ptr, s.len);
    text[s.len] = '\0';
    *out = single ? (double)strtof(text, NULL) : strtod(text, NULL);
    return isfinite(*out);
}

static int
row_put_le(struct sp_buf *out, uint64_t v, size_t width)
{
    uint8_t b[8];

    for (size_t i = 0; i < width; i++) {
        b[i] = (uint8_t)(v >> (8 * i));
    }
    return sp_codec_put_bytes(out, b, width);
}

/* Appends the binary form of non-NULL text VALUE for column DEF. */
static int
row_put_value(struct sp_buf *out, const struct sp_column_def *def, struct sp_str value)
{
    enum sp_stmt_encoding enc;
    struct sp_stmt_time t;
    int64_t min, max;
    uint64_t umax, raw;
    size_t width;
    double d;

    enc = sp_stmt_encoding_of(def->type, &width);
    switch (enc) {
    case SP_STMT_ENC_INT:
        row_int_range(def->type, width, &min, &max, &umax);
        if (!row_parse_int(value, row_is_unsigned(def), min, max, umax, &raw)) {
            return SP_EPROTO;
        }
        return row_put_le(out, raw, width);

    case SP_STMT_ENC_FLOAT:
    case SP_STMT_ENC_DOUBLE:
        if (!row_parse_double(value, enc == SP_STMT_ENC_FLOAT, &d)) {
            return SP_EPROTO;
        }
        if (enc == SP_STMT_ENC_FLOAT) {
            float f = (float)d;
            uint32_t bits;

            memcpy(&bits, &f, sizeof(bits));
            return row_put_le(out, bits, 4);
        }
        memcpy(&raw, &d, sizeof(raw));
        return row_put_le(out, raw, 8);

    case SP_STMT_ENC_DATETIME:
        if (!row_parse_datetime(value, &t)) {
            return SP_EPROTO;
        }
        return sp_stmt_time_pack(out, enc, &t);

    case SP_STMT_ENC_TIME:
        if (!row_parse_time(value, &t)) {
            return SP_EPROTO;
        }
        return sp_stmt_time_pack(out, enc, &t);

    case SP_STMT_ENC_STRING:
        if ((def->type == SP_MYSQL_TYPE_DECIMAL || def->type == SP_MYSQL_TYPE_NEWDECIMAL)
            && !sp_stmt_decimal_text_ok(value, false)) {
            return SP_EPROTO;
        }
        return sp_codec_put_lenenc_str(out, value.ptr, value.len);

    case SP_STMT_ENC_NULL:
    case SP_STMT_ENC_INVALID:
        break;
    }
    return SP_EPROTO;
}

int
sp_stmt_binary_row_build(struct sp_buf *out, size_t ncols, const struct sp_column_def *defs,
                         const struct sp_str *values, const bool *nulls)
{
    size_t mark = sp_codec_mark(out);
    size_t nbitmap = SP_STMT_ROW_BITMAP_LEN(ncols);
    uint8_t *bitmap;
    int rc;

    rc = sp_codec_put_u8(out, SP_PACKET_OK);
    if (rc == SP_OK) {
        rc = sp_codec_put_zeros(out, nbitmap);
    }
    if (rc != SP_OK) {
        goto fail;
    }

    /* Set the bits before any other append can move the buffer. */
    bitmap = sp_buf_unread(out) + sp_buf_unread_len(out) - nbitmap;
    for (size_t i = 0; nulls != NULL && i < ncols; i++) {
        if (nulls[i]) {
            size_t bit = i + ROW_BITMAP_OFFSET;

            bitmap[bit / 8] |= (uint8_t)(1u << (bit % 8));
        }
    }

    for (size_t i = 0; i < ncols; i++) {
        if (nulls != NULL && nulls[i]) {
            continue;
        }
        rc = row_put_value(out, &defs[i], values[i]);
        if (rc != SP_OK) {
            goto fail;
        }
    }
    return SP_OK;

fail:
    sp_codec_rollback(out, mark);
    return rc;
}

/* Appends TEXT to SCRATCH, left-padded with zeros to the column length for
 * ZEROFILL; *TOTAL is the appended length. */
static int
row_put_number_text(struct sp_buf *scratch, const struct sp_column_def *def, const char *text,
                    size_t len, size_t *total)
{
    static const char zeros[] = "0000000000000000000000000000000000000000000000000000000000000000";
    size_t width = def->column_length < ROW_ZEROFILL_MAX ? def->column_length : ROW_ZEROFILL_MAX;
    size_t pad = 0;
    int rc = SP_OK;

    if ((def->flags & SP_COLUMN_FLAG_ZEROFILL) && len < width) {
        pad = width - len;
    }
    for (size_t left = pad; rc == SP_OK && left > 0;) {
        size_t n = left < sizeof(zeros) - 1 ? left : sizeof(zeros) - 1;

        rc = sp_buf_append(scratch, zeros, n);
        left -= n;
    }
    if (rc == SP_OK) {
        rc = sp_buf_append(scratch, text, len);
    }
    *total = pad + len;
    return rc;
}

/*
 * Reads one non-NULL value of column DEF at C. A length-encoded value
 * becomes a view into the payload. Any other value is printed into
 * SCRATCH, and *VALUE gets a NULL pointer with the printed length. The
 * caller points it into SCRATCH once no append can move the buffer.
 */
static int
row_take_value(struct sp_cursor *c, const struct sp_column_def *def, struct sp_buf *scratch,
               struct sp_str *value)
{
    char text[SP_STMT_DOUBLE_TEXT_MAX];
    enum sp_stmt_encoding enc;
    struct sp_stmt_time t;
    struct sp_str raw;
    bool is_null = false;
    size_t width, len;
    uint64_t n;
    double d;
    int rc;

    enc = sp_stmt_encoding_of(def->type, &width);
    switch (enc) {
    case SP_STMT_ENC_INT:
    case SP_STMT_ENC_FLOAT:
    case SP_STMT_ENC_DOUBLE:
        if (sp_codec_take_bytes(c, width, &raw) != SP_OK) {
            return SP_EPROTO;
        }
        n = sp_stmt_read_le(raw.ptr, width);
        if (enc == SP_STMT_ENC_INT) {
            len = sp_stmt_int_format(n, width, row_is_unsigned(def), text);
        } else {
            if (enc == SP_STMT_ENC_FLOAT) {
                uint32_t bits = (uint32_t)n;
                float f;

                memcpy(&f, &bits, sizeof(f));
                d = f;
            } else {
                memcpy(&d, &n, sizeof(d));
            }
            if (!isfinite(d)) {
                return SP_EPROTO;
            }
            /* A FLOAT column prints 6 significant digits (FLT_DIG). */
            len = sp_stmt_double_format(d, enc == SP_STMT_ENC_FLOAT ? 6 : 0, def->decimals, text);
        }
        *value = sp_str_make(NULL, 0);
        return row_put_number_text(scratch, def, text, len, &value->len);

    case SP_STMT_ENC_DATETIME:
    case SP_STMT_ENC_TIME:
        rc = sp_codec_take_lenenc_int(c, &n, &is_null);
        if (rc != SP_OK || is_null || !sp_stmt_temporal_len_ok(enc, (size_t)n)
            || sp_codec_take_bytes(c, (size_t)n, &raw) != SP_OK) {
            return SP_EPROTO;
        }
        sp_stmt_time_unpack(enc, raw, &t);
        if (!sp_stmt_time_valid(enc, &t)) {
            return SP_EPROTO;
        }
        len = sp_stmt_time_format(enc, &t,
                                  def->type == SP_MYSQL_TYPE_DATE || def->type == SP_MYSQL_TYPE_NEWDATE,
                                  def->decimals <= 6 ? def->decimals : (t.micro != 0 ? 6 : 0), text);
        *value = sp_str_make(NULL, len);
        return sp_buf_append(scratch, text, len);

    case SP_STMT_ENC_STRING:
        if (sp_codec_take_lenenc_str(c, value, NULL) != SP_OK) {
            return SP_EPROTO;
        }
        return SP_OK;

    case SP_STMT_ENC_NULL:
    case SP_STMT_ENC_INVALID:
        break;
    }
    return SP_EPROTO;
}

int
sp_stmt_binary_row_parse(const uint8_t *payload, size_t len, size_t ncols,
                         const struct sp_column_def *defs, struct sp_buf *scratch,
                         struct sp_str *values, bool *nulls)
{
    size_t mark = sp_codec_mark(scratch);
    struct sp_cursor c;
    struct sp_str bitmap;
    const char *base;
    uint8_t header;
    size_t offset;
    int rc = SP_EPROTO;

    sp_cursor_init(&c, payload, len);
    if (sp_codec_take_u8(&c, &header) != SP_OK || header != SP_PACKET_OK
        || sp_codec_take_bytes(&c, SP_STMT_ROW_BITMAP_LEN(ncols), &bitmap) != SP_OK) {
        return SP_EPROTO;
    }

    for (size_t i = 0; i < ncols; i++) {
        size_t bit = i + ROW_BITMAP_OFFSET;

        nulls[i] = ((uint8_t)bitmap.ptr[bit / 8] >> (bit % 8)) & 1;
        values[i] = SP_STR_NULL;
        if (nulls[i]) {
            continue;
        }
        rc = row_take_value(&c, &defs[i], scratch, &values[i]);
        if (rc != SP_OK) {
            goto fail;
        }
    }
    if (sp_cursor_left(&c) != 0) {
        rc = SP_EPROTO;
        goto fail;
    }

    /* Payload views are never NULL pointers; printed values are, until now. */
    if (sp_codec_mark(scratch) == mark) {
        return SP_OK;
    }
    base = (const char *)sp_buf_unread(scratch) + mark;
    offset = 0;
    for (size_t i = 0; i < ncols; i++) {
        if (!nulls[i] && values[i].ptr == NULL) {
            values[i].ptr = base + offset;
            offset += values[i].len;
        }
    }
    return SP_OK;

fail:
    sp_codec_rollback(scratch, mark);
    return rc;
}
