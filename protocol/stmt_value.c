/*
 * Binary-protocol values as text: the layout of each type code, temporal
 * values packed and printed, integers and doubles printed as MariaDB 10.11
 * prints them, and bound parameters turned into SQL literals or plain text.
 *
 * Values come from untrusted clients, so every length is checked before a
 * byte is read. Nothing here allocates beyond the caller's buffer. Number
 * formatting goes through snprintf and strtod, so it assumes the "C"
 * locale (the proxy never calls setlocale).
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/charset.h"
#include "protocol/codec.h"
#include "protocol/stmt.h"
#include "protocol/stmt_internal.h"

/*
 * MariaDB 10.11 prints a double in exponent form when its decimal point
 * would fall more than 14 places left of the first digit. It does so too
 * when the point would fall right of the last digit and beyond 15 integer
 * digits. Measured with SELECT on DOUBLE and FLOAT columns: 1e-15 prints as
 * 0.000000000000001, 1e-16 as 1e-16, 123456789012345 in full, 1e15 as 1e15.
 */
#define VALUE_FIXED_MIN_DECPT (-14)
#define VALUE_FIXED_MAX_INT_DIGITS 15

/* The shortest round-trip form of a double never needs more than 17 digits. */
#define VALUE_DOUBLE_MAX_DIGITS 17

#define VALUE_MICRO_MAX 999999u
#define VALUE_FRAC_MAX_DIGITS 6u

enum sp_stmt_encoding
sp_stmt_encoding_of(uint8_t type, size_t *width)
{
    *width = 0;
    switch (type) {
    case SP_MYSQL_TYPE_TINY:
        *width = 1;
        return SP_STMT_ENC_INT;
    case SP_MYSQL_TYPE_SHORT:
    case SP_MYSQL_TYPE_YEAR:
        *width = 2;
        return SP_STMT_ENC_INT;
    case SP_MYSQL_TYPE_LONG:
    case SP_MYSQL_TYPE_INT24:
        *width = 4;
        return SP_STMT_ENC_INT;
    case SP_MYSQL_TYPE_LONGLONG:
        *width = 8;
        return SP_STMT_ENC_INT;
    case SP_MYSQL_TYPE_FLOAT:
        *width = 4;
        return SP_STMT_ENC_FLOAT;
    case SP_MYSQL_TYPE_DOUBLE:
        *width = 8;
        return SP_STMT_ENC_DOUBLE;
    case SP_MYSQL_TYPE_DATE:
    case SP_MYSQL_TYPE_NEWDATE:
    case SP_MYSQL_TYPE_DATETIME:
    case SP_MYSQL_TYPE_TIMESTAMP:
        return SP_STMT_ENC_DATETIME;
    case SP_MYSQL_TYPE_TIME:
        return SP_STMT_ENC_TIME;
    case SP_MYSQL_TYPE_NULL:
        return SP_STMT_ENC_NULL;
    case SP_MYSQL_TYPE_DECIMAL:
    case SP_MYSQL_TYPE_NEWDECIMAL:
    case SP_MYSQL_TYPE_VARCHAR:
    case SP_MYSQL_TYPE_BIT:
    case SP_MYSQL_TYPE_JSON:
    case SP_MYSQL_TYPE_ENUM:
    case SP_MYSQL_TYPE_SET:
    case SP_MYSQL_TYPE_TINY_BLOB:
    case SP_MYSQL_TYPE_MEDIUM_BLOB:
    case SP_MYSQL_TYPE_LONG_BLOB:
    case SP_MYSQL_TYPE_BLOB:
    case SP_MYSQL_TYPE_VAR_STRING:
    case SP_MYSQL_TYPE_STRING:
    case SP_MYSQL_TYPE_GEOMETRY:
        return SP_STMT_ENC_STRING;
    default:
        return SP_STMT_ENC_INVALID;
    }
}

bool
sp_stmt_temporal_len_ok(enum sp_stmt_encoding enc, size_t len)
{
    if (enc == SP_STMT_ENC_DATETIME) {
        return len == 0 || len == 4 || len == 7 || len == 11;
    }
    if (enc == SP_STMT_ENC_TIME) {
        return len == 0 || len == 8 || len == 12;
    }
    return false;
}

uint64_t
sp_stmt_read_le(const char *p, size_t width)
{
    uint64_t v = 0;

    for (size_t i = width; i > 0; i--) {
        v = (v << 8) | (uint8_t)p[i - 1];
    }
    return v;
}

void
sp_stmt_time_unpack(enum sp_stmt_encoding enc, struct sp_str value, struct sp_stmt_time *t)
{
    const char *p = value.ptr;

    memset(t, 0, sizeof(*t));
    if (enc == SP_STMT_ENC_TIME) {
        if (value.len >= 8) {
            t->neg = p[0] != 0;
            t->days = (uint32_t)sp_stmt_read_le(p + 1, 4);
            t->hour = (uint8_t)p[5];
            t->minute = (uint8_t)p[6];
            t->second = (uint8_t)p[7];
        }
        if (value.len >= 12) {
            t->micro = (uint32_t)sp_stmt_read_le(p + 8, 4);
        }
        return;
    }

    if (value.len >= 4) {
        t->year = (uint16_t)sp_stmt_read_le(p, 2);
        t->month = (uint8_t)p[2];
        t->day = (uint8_t)p[3];
    }
    if (value.len >= 7) {
        t->hour = (uint8_t)p[4];
        t->minute = (uint8_t)p[5];
        t->second = (uint8_t)p[6];
    }
    if (value.len >= 11) {
        t->micro = (uint32_t)sp_stmt_read_le(p + 7, 4);
    }
}

bool
sp_stmt_time_valid(enum sp_stmt_encoding enc, const struct sp_stmt_time *t)
{
    /* Connector/C sends TIME 100:00:00 as 0 days and hour 100. */
    if (enc != SP_STMT_ENC_TIME && t->hour > 23) {
        return false;
    }
    return t->month <= 12 && t->day <= 31 && t->minute <= 59 && t->second <= 59
           && t->micro <= VALUE_MICRO_MAX;
}

int
sp_stmt_time_pack(struct sp_buf *out, enum sp_stmt_encoding enc, const struct sp_stmt_time *t)
{
    uint8_t b[13];
    size_t n;

    if (enc == SP_STMT_ENC_TIME) {
        if (t->micro != 0) {
            n = 12;
        } else if (t->days != 0 || t->hour != 0 || t->minute != 0 || t->second != 0) {
            n = 8;
        } else {
            n = 0;
        }
        b[1] = t->neg ? 1 : 0;
        for (int i = 0; i < 4; i++) {
            b[2 + i] = (uint8_t)(t->days >> (8 * i));
            b[9 + i] = (uint8_t)(t->micro >> (8 * i));
        }
        b[6] = t->hour;
        b[7] = t->minute;
        b[8] = t->second;
    } else {
        if (t->micro != 0) {
            n = 11;
        } else if (t->hour != 0 || t->minute != 0 || t->second != 0) {
            n = 7;
        } else if (t->year != 0 || t->month != 0 || t->day != 0) {
            n = 4;
        } else {
            n = 0;
        }
        b[1] = (uint8_t)t->year;
        b[2] = (uint8_t)(t->year >> 8);
        b[3] = t->month;
        b[4] = t->day;
        b[5] = t->hour;
        b[6] = t->minute;
        b[7] = t->second;
        for (int i = 0; i < 4; i++) {
            b[8 + i] = (uint8_t)(t->micro >> (8 * i));
        }
    }
    b[0] = (uint8_t)n;
    return sp_codec_put_bytes(out, b, n + 1);
}

size_t
sp_stmt_time_format(enum sp_stmt_encoding enc, const struct sp_stmt_time *t, bool date_only,
                    unsigned frac_digits, char *buf)
{
    int n;

    if (enc == SP_STMT_ENC_TIME) {
        uint64_t hours = (uint64_t)t->days * 24 + t->hour;

        n = snprintf(buf, SP_STMT_TIME_TEXT_MAX, "%s%02" PRIu64 ":%02u:%02u", t->neg ? "-" : "",
                     hours, t->minute, t->second);
    } else if (date_only) {
        return (size_t)snprintf(buf, SP_STMT_TIME_TEXT_MAX, "%04u-%02u-%02u", t->year, t->month,
                                t->day);
    } else {
        n = snprintf(buf, SP_STMT_TIME_TEXT_MAX, "%04u-%02u-%02u %02u:%02u:%02u", t->year, t->month,
                     t->day, t->hour, t->minute, t->second);
    }

    if (frac_digits > 0) {
        char frac[16];

        if (frac_digits > VALUE_FRAC_MAX_DIGITS) {
            frac_digits = VALUE_FRAC_MAX_DIGITS;
        }
        snprintf(frac, sizeof(frac), "%06u", t->micro % (VALUE_MICRO_MAX + 1));
        buf[n++] = '.';
        memcpy(buf + n, frac, frac_digits);
        n += (int)frac_digits;
        buf[n] = '\0';
    }
    return (size_t)n;
}

size_t
sp_stmt_int_format(uint64_t raw, size_t width, bool is_unsigned, char *buf)
{
    int64_t sv;

    if (is_unsigned) {
        return (size_t)snprintf(buf, SP_STMT_INT_TEXT_MAX, "%" PRIu64, raw);
    }
    switch (width) {
    case 1:
        sv = (int8_t)(uint8_t)raw;
        break;
    case 2:
        sv = (int16_t)(uint16_t)raw;
        break;
    case 4:
        sv = (int32_t)(uint32_t)raw;
        break;
    default:
        sv = (int64_t)raw;
        break;
    }
    return (size_t)snprintf(buf, SP_STMT_INT_TEXT_MAX, "%" PRId64, sv);
}

/*
 * Splits finite, nonzero V into its sign and significant digits (without
 * trailing zeros) with V = 0.DIGITS * 10^*DECPT. SIGNIFICANT 0 requests the
 * fewest digits that read back as V. Because %.*e rounds correctly, the
 * first precision that round-trips is the shortest.
 */
static size_t
value_double_digits(double v, unsigned significant, bool *neg, char *digits, int *decpt)
{
    char sci[64];
    size_t n = 0;
    const char *p;
    long exp10;

    if (significant == 0) {
        for (int prec = 0; prec < VALUE_DOUBLE_MAX_DIGITS; prec++) {
            snprintf(sci, sizeof(sci), "%.*e", prec, v);
            if (strtod(sci, NULL) == v) {
                break;
            }
        }
    } else {
        snprintf(sci, sizeof(sci), "%.*e", (int)significant - 1, v);
    }

    p = sci;
    *neg = *p == '-';
    if (*neg) {
        p++;
    }
    for (; *p != 'e' && *p != '\0'; p++) {
        if (*p != '.') {
            digits[n++] = *p;
        }
    }
    exp10 = *p == 'e' ? strtol(p + 1, NULL, 10) : 0;
    while (n > 1 && digits[n - 1] == '0') {
        n--;
    }
    *decpt = (int)exp10 + 1;
    return n;
}

/*
 * Fixed DECIMALS: MariaDB 10.11 prints the shortest round-trip digits,
 * padded with zeros, when they fit in DECIMALS fractional digits, and the
 * value rounded to DECIMALS places otherwise (measured on DOUBLE(20,6):
 * 9434443254285.515625 prints as 9434443254285.516000).
 */
static size_t
value_double_fixed(double v, unsigned decimals, char *buf)
{
    char digits[32];
    size_t ndigits, len = 0;
    bool neg, all_zero = true;
    int decpt, n;

    if (v != 0.0) {
        ndigits = value_double_digits(v, 0, &neg, digits, &decpt);
        if ((int)ndigits - decpt <= (int)decimals) {
            if (neg) {
                buf[len++] = '-';
            }
            if (decpt <= 0) {
                buf[len++] = '0';
            }
            for (int i = 0; i < decpt; i++) {
                buf[len++] = (size_t)i < ndigits ? digits[i] : '0';
            }
            if (decimals > 0) {
                buf[len++] = '.';
            }
            for (int i = 0; i < (int)decimals; i++) {
                int at = decpt + i;

                buf[len++] = at >= 0 && (size_t)at < ndigits ? digits[at] : '0';
            }
            buf[len] = '\0';
            return len;
        }
    }

    n = snprintf(buf, SP_STMT_DOUBLE_TEXT_MAX, "%.*f", (int)decimals, v);
    /* A value that rounds to zero prints without its sign ("0.00"). */
    for (int i = 0; i < n; i++) {
        if (buf[i] >= '1' && buf[i] <= '9') {
            all_zero = false;
            break;
        }
    }
    if (all_zero && buf[0] == '-') {
        memmove(buf, buf + 1, (size_t)n);
        n--;
    }
    return (size_t)n;
}

size_t
sp_stmt_double_format(double v, unsigned significant, unsigned decimals, char *buf)
{
    char digits[32];
    size_t ndigits, len = 0;
    bool neg;
    int decpt;

    if (decimals < SP_COLUMN_DECIMALS_NOT_FIXED) {
        return value_double_fixed(v, decimals, buf);
    }

    if (v == 0.0) {
        buf[0] = '0';
        buf[1] = '\0';
        return 1;
    }

    ndigits = value_double_digits(v, significant, &neg, digits, &decpt);
    if (neg) {
        buf[len++] = '-';
    }

    if (decpt < VALUE_FIXED_MIN_DECPT
        || (decpt > VALUE_FIXED_MAX_INT_DIGITS && (int)ndigits <= decpt)) {
        buf[len++] = digits[0];
        if (ndigits > 1) {
            buf[len++] = '.';
            memcpy(buf + len, digits + 1, ndigits - 1);
            len += ndigits - 1;
        }
        len += (size_t)snprintf(buf + len, SP_STMT_DOUBLE_TEXT_MAX - len, "e%d", decpt - 1);
        return len;
    }

    if (decpt <= 0) {
        buf[len++] = '0';
        buf[len++] = '.';
        for (int i = decpt; i < 0; i++) {
            buf[len++] = '0';
        }
        memcpy(buf + len, digits, ndigits);
        len += ndigits;
    } else if ((size_t)decpt >= ndigits) {
        memcpy(buf + len, digits, ndigits);
        len += ndigits;
        for (size_t i = ndigits; i < (size_t)decpt; i++) {
            buf[len++] = '0';
        }
    } else {
        memcpy(buf + len, digits, (size_t)decpt);
        len += (size_t)decpt;
        buf[len++] = '.';
        memcpy(buf + len, digits + decpt, ndigits - (size_t)decpt);
        len += ndigits - (size_t)decpt;
    }
    buf[len] = '\0';
    return len;
}

static bool
value_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

bool
sp_stmt_decimal_text_ok(struct sp_str s, bool leading_plus)
{
    size_t i = 0, int_digits = 0, frac_digits = 0;

    if (i < s.len && (s.ptr[i] == '-' || (leading_plus && s.ptr[i] == '+'))) {
        i++;
    }
    while (i < s.len && value_is_digit(s.ptr[i])) {
        i++;
        int_digits++;
    }
    if (i < s.len && s.ptr[i] == '.') {
        i++;
        while (i < s.len && value_is_digit(s.ptr[i])) {
            i++;
            frac_digits++;
        }
    }
    return i == s.len && int_digits + frac_digits > 0;
}

/*
 * Appends DECIMAL text S (checked by sp_stmt_decimal_text_ok) as MariaDB
 * 10.11 prints the bound value. That text has no '+' and no leading zeros,
 * a "0" before a bare fraction, and no '.' without digits after it. A zero
 * has no sign: "-0.00" prints as "0.00".
 */
static int
value_put_decimal(struct sp_buf *out, struct sp_str s)
{
    size_t i = 0, int_start, int_end, frac_start;
    bool neg = false, zero = true;
    int rc = SP_OK;

    if (s.len > 0 && (s.ptr[0] == '-' || s.ptr[0] == '+')) {
        neg = s.ptr[0] == '-';
        i++;
    }
    while (i < s.len && s.ptr[i] == '0') {
        i++;
    }
    int_start = i;
    while (i < s.len && value_is_digit(s.ptr[i])) {
        i++;
    }
    int_end = i;
    frac_start = i < s.len ? i + 1 : s.len;
    for (size_t j = int_start; j < s.len; j++) {
        if (s.ptr[j] >= '1' && s.ptr[j] <= '9') {
            zero = false;
        }
    }

    if (neg && !zero) {
        rc = sp_buf_append_u8(out, '-');
    }
    if (rc == SP_OK && int_end == int_start) {
        rc = sp_buf_append_u8(out, '0');
    }
    if (rc == SP_OK) {
        rc = sp_buf_append(out, s.ptr + int_start, int_end - int_start);
    }
    if (rc == SP_OK && frac_start < s.len) {
        rc = sp_buf_append(out, s.ptr + int_end, s.len - int_end);
    }
    return rc;
}

/*
 * Text of a numeric or temporal parameter into BUF (room for
 * SP_STMT_DOUBLE_TEXT_MAX bytes). SP_EINVAL when the value has no text.
 */
static int
value_scalar_text(const struct sp_stmt_param *p, char *buf, size_t *len)
{
    enum sp_stmt_encoding enc;
    struct sp_stmt_time t;
    size_t width;
    double d;

    enc = sp_stmt_encoding_of(p->type, &width);
    switch (enc) {
    case SP_STMT_ENC_INT:
        if (p->value.len != width) {
            return SP_EINVAL;
        }
        *len = sp_stmt_int_format(sp_stmt_read_le(p->value.ptr, width), width, p->is_unsigned, buf);
        return SP_OK;

    case SP_STMT_ENC_FLOAT:
    case SP_STMT_ENC_DOUBLE:
        if (p->value.len != width) {
            return SP_EINVAL;
        }
        if (enc == SP_STMT_ENC_FLOAT) {
            uint32_t bits = (uint32_t)sp_stmt_read_le(p->value.ptr, 4);
            float f;

            memcpy(&f, &bits, sizeof(f));
            d = f; /* the server binds a FLOAT parameter as this double */
        } else {
            uint64_t bits = sp_stmt_read_le(p->value.ptr, 8);

            memcpy(&d, &bits, sizeof(d));
        }
        if (!isfinite(d)) {
            return SP_EINVAL;
        }
        *len = sp_stmt_double_format(d, 0, SP_COLUMN_DECIMALS_NOT_FIXED, buf);
        return SP_OK;

    case SP_STMT_ENC_DATETIME:
    case SP_STMT_ENC_TIME:
        if (!sp_stmt_temporal_len_ok(enc, p->value.len)) {
            return SP_EINVAL;
        }
        sp_stmt_time_unpack(enc, p->value, &t);
        if (!sp_stmt_time_valid(enc, &t)) {
            return SP_EINVAL;
        }
        /* The server binds only the date part of a DATE parameter. */
        *len = sp_stmt_time_format(enc, &t,
                                   p->type == SP_MYSQL_TYPE_DATE || p->type == SP_MYSQL_TYPE_NEWDATE,
                                   t.micro != 0 ? VALUE_FRAC_MAX_DIGITS : 0, buf);
        return SP_OK;

    case SP_STMT_ENC_STRING:
    case SP_STMT_ENC_NULL:
    case SP_STMT_ENC_INVALID:
        break;
    }
    return SP_EINVAL;
}

/* Types the server binds as binary strings: written as _binary X'..'. */
static bool
value_is_binary_type(uint8_t type)
{
    switch (type) {
    case SP_MYSQL_TYPE_TINY_BLOB:
    case SP_MYSQL_TYPE_MEDIUM_BLOB:
    case SP_MYSQL_TYPE_LONG_BLOB:
    case SP_MYSQL_TYPE_BLOB:
    case SP_MYSQL_TYPE_GEOMETRY:
    case SP_MYSQL_TYPE_BIT:
        return true;
    default:
        return false;
    }
}

/*
 * Returns the character set name of COLLATION when it is one where a
 * 0x5C byte can be the second byte of a multibyte character, else NULL.
 */
static const char *
value_backslash_unsafe_charset(uint16_t collation)
{
    static const char *const unsafe[] = {"big5", "cp932", "gbk", "sjis"};
    const struct sp_collation *c = sp_collation_find(collation);

    if (c == NULL) {
        return NULL;
    }
    for (size_t i = 0; i < sizeof(unsafe) / sizeof(unsafe[0]); i++) {
        if (strcmp(c->charset, unsafe[i]) == 0) {
            return c->charset;
        }
    }
    return NULL;
}

/* Appends PREFIX X'hex of S'. */
static int
value_put_hex(struct sp_buf *out, const char *prefix, struct sp_str s)
{
    static const char hex[] = "0123456789ABCDEF";
    char chunk[256];
    size_t n = 0;
    int rc;

    rc = sp_buf_append(out, prefix, strlen(prefix));
    if (rc == SP_OK) {
        rc = sp_buf_append(out, "X'", 2);
    }
    for (size_t i = 0; rc == SP_OK && i < s.len; i++) {
        uint8_t b = (uint8_t)s.ptr[i];

        chunk[n++] = hex[b >> 4];
        chunk[n++] = hex[b & 0x0F];
        if (n == sizeof(chunk)) {
            rc = sp_buf_append(out, chunk, n);
            n = 0;
        }
    }
    if (rc == SP_OK && n > 0) {
        rc = sp_buf_append(out, chunk, n);
    }
    if (rc == SP_OK) {
        rc = sp_buf_append_u8(out, '\'');
    }
    return rc;
}

/* The escape sequence for byte C inside '...' with backslash escapes, or NULL. */
static const char *
value_escape_of(char c, bool backslash)
{
    if (c == '\'') {
        return "''";
    }
    if (!backslash) {
        return NULL;
    }
    switch (c) {
    case '\\':
        return "\\\\";
    case '\0':
        return "\\0";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\x1a':
        return "\\Z";
    default:
        return NULL;
    }
}

/* Appends S as a quoted string literal. */
static int
value_put_quoted(struct sp_buf *out, struct sp_str s, bool backslash)
{
    size_t run = 0;
    int rc;

    rc = sp_buf_append_u8(out, '\'');
    for (size_t i = 0; rc == SP_OK && i < s.len; i++) {
        const char *esc = value_escape_of(s.ptr[i], backslash);

        if (esc == NULL) {
            continue;
        }
        rc = sp_buf_append(out, s.ptr + run, i - run);
        if (rc == SP_OK) {
            rc = sp_buf_append(out, esc, strlen(esc));
        }
        run = i + 1;
    }
    if (rc == SP_OK && s.len > 0) {
        rc = sp_buf_append(out, s.ptr + run, s.len - run);
    }
    if (rc == SP_OK) {
        rc = sp_buf_append_u8(out, '\'');
    }
    return rc;
}

static int
value_string_to_sql(const struct sp_stmt_param *p, uint16_t collation, unsigned flags,
                    struct sp_buf *out)
{
    bool backslash = !(flags & SP_STMT_SQL_NO_BACKSLASH_ESCAPES);
    const char *charset;

    if (p->type == SP_MYSQL_TYPE_DECIMAL || p->type == SP_MYSQL_TYPE_NEWDECIMAL) {
        if (!sp_stmt_decimal_text_ok(p->value, true)) {
            return SP_EINVAL;
        }
        return value_put_decimal(out, p->value);
    }
    if (value_is_binary_type(p->type)) {
        return value_put_hex(out, "_binary ", p->value);
    }

    charset = backslash ? value_backslash_unsafe_charset(collation) : NULL;
    if (charset != NULL && p->value.len > 0 && memchr(p->value.ptr, '\\', p->value.len) != NULL) {
        char prefix[32];

        snprintf(prefix, sizeof(prefix), "_%s ", charset);
        return value_put_hex(out, prefix, p->value);
    }
    return value_put_quoted(out, p->value, backslash);
}

int
sp_stmt_param_to_sql(const struct sp_stmt_param *param, uint16_t collation, unsigned flags,
                     struct sp_buf *out)
{
    char text[SP_STMT_DOUBLE_TEXT_MAX];
    size_t mark = sp_codec_mark(out);
    enum sp_stmt_encoding enc;
    size_t width, len;
    int rc;

    if (param->is_null) {
        return sp_buf_append(out, "NULL", 4);
    }

    enc = sp_stmt_encoding_of(param->type, &width);
    switch (enc) {
    case SP_STMT_ENC_INT:
        rc = value_scalar_text(param, text, &len);
        if (rc == SP_OK) {
            rc = sp_buf_append(out, text, len);
        }
        break;

    case SP_STMT_ENC_FLOAT:
    case SP_STMT_ENC_DOUBLE:
        /* An exponent makes the server read an approximate (double) literal. */
        rc = value_scalar_text(param, text, &len);
        if (rc == SP_OK && memchr(text, 'e', len) == NULL) {
            memcpy(text + len, "e0", 2);
            len += 2;
        }
        if (rc == SP_OK) {
            rc = sp_buf_append(out, text, len);
        }
        break;

    case SP_STMT_ENC_DATETIME:
    case SP_STMT_ENC_TIME:
        rc = value_scalar_text(param, text, &len);
        if (rc == SP_OK) {
            rc = value_put_quoted(out, sp_str_make(text, len), false);
        }
        break;

    case SP_STMT_ENC_STRING:
        rc = value_string_to_sql(param, collation, flags, out);
        break;

    case SP_STMT_ENC_NULL:
    case SP_STMT_ENC_INVALID:
    default:
        rc = SP_EINVAL;
        break;
    }

    if (rc != SP_OK) {
        sp_codec_rollback(out, mark);
    }
    return rc;
}

int
sp_stmt_param_to_text(const struct sp_stmt_param *param, struct sp_buf *out)
{
    char text[SP_STMT_DOUBLE_TEXT_MAX];
    enum sp_stmt_encoding enc;
    size_t width, len, mark;
    int rc;

    if (param->is_null) {
        return SP_EINVAL;
    }

    enc = sp_stmt_encoding_of(param->type, &width);
    if (enc == SP_STMT_ENC_STRING) {
        if (param->type != SP_MYSQL_TYPE_DECIMAL && param->type != SP_MYSQL_TYPE_NEWDECIMAL) {
            return sp_buf_append(out, param->value.ptr, param->value.len);
        }
        if (!sp_stmt_decimal_text_ok(param->value, true)) {
            return SP_EINVAL;
        }
        mark = sp_codec_mark(out);
        rc = value_put_decimal(out, param->value);
        if (rc != SP_OK) {
            sp_codec_rollback(out, mark);
        }
        return rc;
    }

    rc = value_scalar_text(param, text, &len);
    if (rc != SP_OK) {
        return rc;
    }
    return sp_buf_append(out, text, len);
}
