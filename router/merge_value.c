/*
 * Typed comparison and DOUBLE formatting for the result merger. The rules
 * follow what a MariaDB 10.11 server does with the same values; the tests
 * in tests/unit/test_merge.c cite the queries that show each rule. Pure
 * functions: no allocation, no state.
 */
#include "router/merge_value.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/decimal.h"

/* Maximum length of numeric text parsed through a NUL-terminated copy. */
#define VALUE_NUMBER_TEXT_MAX 128

/*
 * MariaDB prints a DOUBLE in exponent form when its decimal exponent is
 * below -15, or when it is an integer of more than 15 digits (1e15,
 * 1.234567890123456e15 but 1000000005002888.1), as observed on 10.11.
 */
#define VALUE_FIXED_MIN_DECPT (-14)
#define VALUE_FIXED_MAX_INT_DIGITS 15

/*
 * NOTE: ENUM and SET columns arrive as strings and compare by bytes here,
 * but a server sorts them by their index in the column definition. ORDER
 * BY on them needs a numeric key column (col + 0) from the router.
 */
enum sp_merge_class
sp_merge_class_of(uint8_t type)
{
    switch (type) {
    case SP_MYSQL_TYPE_DECIMAL:
    case SP_MYSQL_TYPE_NEWDECIMAL:
    case SP_MYSQL_TYPE_TINY:
    case SP_MYSQL_TYPE_SHORT:
    case SP_MYSQL_TYPE_LONG:
    case SP_MYSQL_TYPE_LONGLONG:
    case SP_MYSQL_TYPE_INT24:
    case SP_MYSQL_TYPE_YEAR:
        return SP_MERGE_CLASS_NUMBER;
    case SP_MYSQL_TYPE_FLOAT:
    case SP_MYSQL_TYPE_DOUBLE:
        return SP_MERGE_CLASS_DOUBLE;
    case SP_MYSQL_TYPE_DATE:
    case SP_MYSQL_TYPE_NEWDATE:
    case SP_MYSQL_TYPE_DATETIME:
    case SP_MYSQL_TYPE_DATETIME2:
    case SP_MYSQL_TYPE_TIMESTAMP:
    case SP_MYSQL_TYPE_TIMESTAMP2:
        return SP_MERGE_CLASS_DATETIME;
    case SP_MYSQL_TYPE_TIME:
    case SP_MYSQL_TYPE_TIME2:
        return SP_MERGE_CLASS_TIME;
    case SP_MYSQL_TYPE_BIT:
        return SP_MERGE_CLASS_BIT;
    default:
        return SP_MERGE_CLASS_BYTES;
    }
}

static int
value_sign(double a, double b)
{
    return (a > b) - (a < b);
}

int
sp_merge_bytes_cmp(struct sp_str a, struct sp_str b)
{
    size_t n = a.len < b.len ? a.len : b.len;
    int c = n > 0 ? memcmp(a.ptr, b.ptr, n) : 0;

    if (c != 0) {
        return c < 0 ? -1 : 1;
    }
    return (a.len > b.len) - (a.len < b.len);
}

static bool
value_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* Parses [-]digits of at most 18 digits, the common case of integer keys. */
static bool
value_parse_small_int(struct sp_str s, int64_t *out)
{
    size_t i = 0;
    int64_t v = 0;
    bool negative = false;

    if (s.len > 0 && s.ptr[0] == '-') {
        negative = true;
        i = 1;
    }
    if (s.len == i || s.len - i > 18) {
        return false;
    }
    for (; i < s.len; i++) {
        if (!value_is_digit(s.ptr[i])) {
            return false;
        }
        v = v * 10 + (s.ptr[i] - '0');
    }
    *out = negative ? -v : v;
    return true;
}

static int
value_number_cmp(struct sp_str a, struct sp_str b)
{
    struct sp_decimal da, db;
    int64_t ia, ib;

    if (value_parse_small_int(a, &ia) && value_parse_small_int(b, &ib)) {
        return (ia > ib) - (ia < ib);
    }
    if (sp_decimal_parse(&da, a.ptr, a.len) != SP_OK || sp_decimal_parse(&db, b.ptr, b.len) != SP_OK) {
        return sp_merge_bytes_cmp(a, b);
    }
    return sp_decimal_cmp(&da, &db);
}

bool
sp_merge_parse_double(struct sp_str s, double *out)
{
    char text[VALUE_NUMBER_TEXT_MAX];
    char *end;

    if (s.len == 0 || s.len >= sizeof(text)) {
        return false;
    }
    memcpy(text, s.ptr, s.len);
    text[s.len] = '\0';

    *out = strtod(text, &end);
    return end == text + s.len;
}

double
sp_merge_string_to_double(struct sp_str s)
{
    char text[VALUE_NUMBER_TEXT_MAX];
    size_t i = 0, start, n, mantissa_digits = 0;

    while (i < s.len && (s.ptr[i] == ' ' || s.ptr[i] == '\t' || s.ptr[i] == '\n')) {
        i++;
    }
    start = i;

    /* Only MySQL's number syntax: strtod alone would also take "inf" and hex. */
    if (i < s.len && (s.ptr[i] == '-' || s.ptr[i] == '+')) {
        i++;
    }
    while (i < s.len && value_is_digit(s.ptr[i])) {
        i++;
        mantissa_digits++;
    }
    if (i < s.len && s.ptr[i] == '.') {
        i++;
        while (i < s.len && value_is_digit(s.ptr[i])) {
            i++;
            mantissa_digits++;
        }
    }
    if (mantissa_digits == 0) {
        return 0.0;
    }
    if (i < s.len && (s.ptr[i] == 'e' || s.ptr[i] == 'E')) {
        size_t j = i + 1;

        if (j < s.len && (s.ptr[j] == '-' || s.ptr[j] == '+')) {
            j++;
        }
        if (j < s.len && value_is_digit(s.ptr[j])) {
            while (j < s.len && value_is_digit(s.ptr[j])) {
                j++;
            }
            i = j;
        }
    }

    n = i - start;
    if (n >= sizeof(text)) {
        n = sizeof(text) - 1;
    }
    memcpy(text, s.ptr + start, n);
    text[n] = '\0';
    return strtod(text, NULL);
}

/*
 * The fewest significant digits that read back as V (finite, not zero):
 * V = 0.DIGITS * 10^*DECPT, without trailing zeros. %.*e rounds correctly,
 * so the first precision that round-trips is the shortest.
 */
static size_t
value_shortest_digits(double v, char digits[32], int *decpt)
{
    char sci[64];
    size_t ndigits = 0;
    const char *p;

    for (int prec = 0; prec <= 16; prec++) {
        snprintf(sci, sizeof(sci), "%.*e", prec, v);
        if (strtod(sci, NULL) == v) {
            break;
        }
    }
    p = sci[0] == '-' ? sci + 1 : sci;
    for (; *p != 'e'; p++) {
        if (*p != '.') {
            digits[ndigits++] = *p;
        }
    }
    while (ndigits > 1 && digits[ndigits - 1] == '0') {
        ndigits--;
    }
    *decpt = atoi(p + 1) + 1;
    return ndigits;
}

/*
 * Writes 0.DIGITS * 10^DECPT in fixed notation with at least MIN_FRAC
 * fractional digits (zeros past DIGITS), after SIGN if set.
 */
static size_t
value_write_fixed(const char *digits, size_t ndigits, int decpt, bool negative, size_t min_frac,
                  char *buf)
{
    size_t len = 0, frac = 0;

    if (negative) {
        buf[len++] = '-';
    }
    if (decpt <= 0) {
        buf[len++] = '0';
    } else {
        for (int i = 0; i < decpt; i++) {
            buf[len++] = (size_t)i < ndigits ? digits[i] : '0';
        }
    }
    if ((int)ndigits > decpt || min_frac > 0) {
        buf[len++] = '.';
        for (int i = decpt; i < 0; i++, frac++) {
            buf[len++] = '0';
        }
        for (size_t i = decpt > 0 ? (size_t)decpt : 0; i < ndigits; i++, frac++) {
            buf[len++] = digits[i];
        }
        for (; frac < min_frac; frac++) {
            buf[len++] = '0';
        }
    }
    buf[len] = '\0';
    return len;
}

static size_t
value_format_shortest(double v, char *buf)
{
    char digits[32];
    size_t ndigits, len = 0;
    int decpt;

    if (v == 0.0) {
        return (size_t)snprintf(buf, SP_MERGE_DOUBLE_TEXT_MAX, "0");
    }
    if (!isfinite(v)) {
        return (size_t)snprintf(buf, SP_MERGE_DOUBLE_TEXT_MAX, "%s", v > 0 ? "inf" : "-inf");
    }

    ndigits = value_shortest_digits(v, digits, &decpt);
    if (decpt < VALUE_FIXED_MIN_DECPT ||
        (decpt > VALUE_FIXED_MAX_INT_DIGITS && (int)ndigits <= decpt)) {
        if (v < 0) {
            buf[len++] = '-';
        }
        buf[len++] = digits[0];
        if (ndigits > 1) {
            buf[len++] = '.';
            memcpy(buf + len, digits + 1, ndigits - 1);
            len += ndigits - 1;
        }
        len += (size_t)snprintf(buf + len, SP_MERGE_DOUBLE_TEXT_MAX - len, "e%d", decpt - 1);
        return len;
    }
    return value_write_fixed(digits, ndigits, decpt, v < 0, 0, buf);
}

size_t
sp_merge_format_double(double v, unsigned decimals, char *buf)
{
    int n;
    bool all_zero = true;

    if (v == 0.0) {
        v = 0.0; /* no "-0" */
    }
    if (decimals >= SP_MERGE_NOT_FIXED_DEC || !isfinite(v)) {
        return value_format_shortest(v, buf);
    }

    /*
     * The server prints the shortest digits that read back as V and pads
     * them with zeros ((1/3e0) with 20 decimals is 0.33333333333333330000),
     * so %f, which prints the binary value's exact digits, only serves
     * when the decimals cut into the shortest digits.
     */
    if (v != 0.0) {
        char digits[32];
        int decpt;
        size_t ndigits = value_shortest_digits(v, digits, &decpt);
        int frac = (int)ndigits - decpt;

        if (frac <= (int)decimals && decpt + (int)decimals + 4 < SP_MERGE_DOUBLE_TEXT_MAX) {
            return value_write_fixed(digits, ndigits, decpt, v < 0, decimals, buf);
        }
    }
    n = snprintf(buf, SP_MERGE_DOUBLE_TEXT_MAX, "%.*f", (int)decimals, v);
    if (n < 0 || n >= SP_MERGE_DOUBLE_TEXT_MAX) {
        return value_format_shortest(v, buf);
    }

    /* A value that rounds to zero prints without its sign ("0.00"). */
    for (int i = 0; i < n; i++) {
        if (value_is_digit(buf[i]) && buf[i] != '0') {
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

/* Reads up to MAXLEN digits at *I; false when there is none. */
static bool
value_read_uint(struct sp_str s, size_t *i, size_t maxlen, uint64_t *out, size_t *ndigits)
{
    uint64_t v = 0;
    size_t n = 0;

    while (*i < s.len && value_is_digit(s.ptr[*i]) && n < maxlen) {
        v = v * 10 + (uint64_t)(s.ptr[*i] - '0');
        (*i)++;
        n++;
    }
    if (n == 0 || (*i < s.len && value_is_digit(s.ptr[*i]))) {
        return false;
    }
    *out = v;
    if (ndigits != NULL) {
        *ndigits = n;
    }
    return true;
}

/* Microseconds from a fraction's digits: ".5" is 500000. */
static uint64_t
value_fraction_us(struct sp_str s, size_t *i)
{
    uint64_t us = 0, scale = 100000;

    while (*i < s.len && value_is_digit(s.ptr[*i])) {
        us += (uint64_t)(s.ptr[*i] - '0') * scale;
        scale /= 10;
        (*i)++;
    }
    return us;
}

static struct sp_str
value_trim(struct sp_str s)
{
    while (s.len > 0 && s.ptr[0] == ' ') {
        s.ptr++;
        s.len--;
    }
    while (s.len > 0 && s.ptr[s.len - 1] == ' ') {
        s.len--;
    }
    return s;
}

static bool
value_pack_datetime(uint64_t f[6], uint64_t us, uint64_t *out)
{
    if (f[0] > 9999 || f[1] > 12 || f[2] > 31 || f[3] > 23 || f[4] > 59 || f[5] > 59 ||
        us > 999999) {
        return false;
    }
    *out = (((((f[0] * 13 + f[1]) * 32 + f[2]) * 24 + f[3]) * 60 + f[4]) * 60 + f[5]) * 1000000 + us;
    return true;
}

/* Two-digit years as MySQL reads them: 70..99 are 19xx, the rest 20xx. */
static uint64_t
value_full_year(uint64_t year, size_t ndigits)
{
    if (ndigits > 2) {
        return year;
    }
    return year < 70 ? 2000 + year : 1900 + year;
}

/*
 * Reads a date or datetime ("2024-01-05", "2024-1-5 10:00:00.5",
 * "20240105", "20240105103000") into one number that orders like the
 * value; a date alone is that day at midnight.
 */
static bool
value_parse_datetime(struct sp_str s, uint64_t *out)
{
    uint64_t f[6] = {0}, us = 0;
    size_t i = 0, nfields = 0, ndigits = 0, year_digits = 0;

    s = value_trim(s);
    while (ndigits < s.len && value_is_digit(s.ptr[ndigits])) {
        ndigits++;
    }

    if (ndigits == s.len || (ndigits < s.len && s.ptr[ndigits] == '.')) {
        /* A number: YYYYMMDD[hhmmss] or YYMMDD[hhmmss]. */
        size_t year_len = (ndigits == 8 || ndigits == 14) ? 4 : 2;
        size_t widths[6] = {year_len, 2, 2, 2, 2, 2};
        size_t nf = (ndigits == 8 || ndigits == 6) ? 3 : 6;

        if (ndigits != year_len + 4 && ndigits != year_len + 10) {
            return false;
        }
        for (size_t k = 0; k < nf; k++) {
            if (!value_read_uint(sp_str_make(s.ptr, i + widths[k]), &i, widths[k], &f[k], NULL)) {
                return false;
            }
        }
        f[0] = value_full_year(f[0], year_len);
        if (i < s.len) {
            i++; /* '.' */
            us = value_fraction_us(s, &i);
        }
        return i == s.len && value_pack_datetime(f, us, out);
    }

    while (nfields < 6) {
        size_t n;

        if (!value_read_uint(s, &i, 4, &f[nfields], &n)) {
            return false;
        }
        if (nfields == 0) {
            year_digits = n;
        }
        nfields++;
        if (i == s.len) {
            break;
        }
        if (nfields == 6) {
            break;
        }
        /* Any punctuation separates fields, but only ' ' or 'T' the date from the time. */
        if (nfields == 3 && s.ptr[i] != ' ' && s.ptr[i] != 'T') {
            break;
        }
        i++;
    }
    if (nfields < 3) {
        return false;
    }
    f[0] = value_full_year(f[0], year_digits);
    if (nfields == 6 && i < s.len && s.ptr[i] == '.') {
        i++;
        us = value_fraction_us(s, &i);
    }
    return i == s.len && value_pack_datetime(f, us, out);
}

/*
 * Reads a TIME ("-01:00:00", "838:59:59.5", "1 10:00", "12:30") or a
 * number [-]HHMMSS[.frac] into signed microseconds.
 */
static bool
value_parse_time(struct sp_str s, int64_t *out)
{
    uint64_t days = 0, h = 0, m = 0, sec = 0, us = 0;
    size_t i = 0, start;
    bool negative = false;

    s = value_trim(s);
    if (s.len > 0 && s.ptr[0] == '-') {
        negative = true;
        i = 1;
    }
    start = i;
    while (i < s.len && value_is_digit(s.ptr[i])) {
        i++;
    }

    if (i == s.len || s.ptr[i] == '.') {
        /* A number: the last two digits are seconds, then minutes, the rest hours. */
        uint64_t v = 0;

        if (i == start || i - start > 12) {
            return false;
        }
        for (size_t k = start; k < i; k++) {
            v = v * 10 + (uint64_t)(s.ptr[k] - '0');
        }
        sec = v % 100;
        m = (v / 100) % 100;
        h = v / 10000;
    } else {
        i = start;
        if (!value_read_uint(s, &i, 12, &h, NULL)) {
            return false;
        }
        if (i < s.len && s.ptr[i] == ' ') {
            days = h;
            i++;
            if (!value_read_uint(s, &i, 12, &h, NULL)) {
                return false;
            }
        }
        if (i >= s.len || s.ptr[i] != ':') {
            return false;
        }
        i++;
        if (!value_read_uint(s, &i, 2, &m, NULL)) {
            return false;
        }
        if (i < s.len && s.ptr[i] == ':') {
            i++;
            if (!value_read_uint(s, &i, 2, &sec, NULL)) {
                return false;
            }
        }
    }
    if (i < s.len && s.ptr[i] == '.') {
        i++;
        us = value_fraction_us(s, &i);
    }
    if (i != s.len || m > 59 || sec > 59 || days > 100000 || h > 10000000) {
        return false;
    }

    *out = (int64_t)((((days * 24 + h) * 60 + m) * 60 + sec) * 1000000 + us);
    if (negative) {
        *out = -*out;
    }
    return true;
}

static int
value_time_cmp(struct sp_str a, struct sp_str b)
{
    int64_t ta, tb;

    if (!value_parse_time(a, &ta) || !value_parse_time(b, &tb)) {
        return sp_merge_bytes_cmp(a, b);
    }
    return (ta > tb) - (ta < tb);
}

int
sp_merge_value_cmp(enum sp_merge_class cls, struct sp_str a, struct sp_str b)
{
    double da, db;

    switch (cls) {
    case SP_MERGE_CLASS_NUMBER:
        return value_number_cmp(a, b);
    case SP_MERGE_CLASS_DOUBLE:
        if (!sp_merge_parse_double(a, &da) || !sp_merge_parse_double(b, &db)) {
            return sp_merge_bytes_cmp(a, b);
        }
        return value_sign(da, db);
    case SP_MERGE_CLASS_TIME:
        return value_time_cmp(a, b);
    case SP_MERGE_CLASS_DATETIME:
        /* Values of one column share their format, so bytes order them. */
    case SP_MERGE_CLASS_BIT:
    case SP_MERGE_CLASS_BYTES:
    default:
        return sp_merge_bytes_cmp(a, b);
    }
}

/* BIT values arrive as big-endian bytes; HAVING compares them as numbers. */
static struct sp_str
value_bit_to_text(struct sp_str s, char *buf, size_t cap)
{
    uint64_t v = 0;
    int n;

    for (size_t i = 0; i < s.len && i < 8; i++) {
        v = (v << 8) | (uint8_t)s.ptr[i];
    }
    n = snprintf(buf, cap, "%llu", (unsigned long long)v);
    return sp_str_make(buf, (size_t)n);
}

static int
value_double_literal_cmp(struct sp_str value, struct sp_str literal)
{
    return value_sign(sp_merge_string_to_double(value), sp_merge_string_to_double(literal));
}

/* Drops the trailing spaces that PAD SPACE collations ignore. */
static struct sp_str
value_trim_trailing_spaces(struct sp_str s)
{
    while (s.len > 0 && s.ptr[s.len - 1] == ' ') {
        s.len--;
    }
    return s;
}

int
sp_merge_literal_cmp(enum sp_merge_class cls, uint16_t charset, struct sp_str value,
                     struct sp_str literal, bool literal_is_string)
{
    char bits[32];
    struct sp_decimal dv, dl;
    uint64_t ta, tb;

    switch (cls) {
    case SP_MERGE_CLASS_DOUBLE:
        return value_double_literal_cmp(value, literal);

    case SP_MERGE_CLASS_BIT:
        value = value_bit_to_text(value, bits, sizeof(bits));
        /* fall through */
    case SP_MERGE_CLASS_NUMBER:
        /* A quoted literal or one with an exponent makes it a DOUBLE comparison. */
        if (!literal_is_string && sp_decimal_parse(&dl, literal.ptr, literal.len) == SP_OK &&
            sp_decimal_parse(&dv, value.ptr, value.len) == SP_OK) {
            return sp_decimal_cmp(&dv, &dl);
        }
        return value_double_literal_cmp(value, literal);

    case SP_MERGE_CLASS_TIME:
        return value_time_cmp(value, literal);

    case SP_MERGE_CLASS_DATETIME:
        if (value_parse_datetime(value, &ta) && value_parse_datetime(literal, &tb)) {
            return (ta > tb) - (ta < tb);
        }
        return sp_merge_bytes_cmp(value, literal);

    case SP_MERGE_CLASS_BYTES:
    default:
        if (!literal_is_string) {
            return value_double_literal_cmp(value, literal);
        }
        /*
         * NOTE: strings compare by bytes, ignoring trailing spaces unless
         * binary, because the literal has no weight string. So a case- or
         * accent-insensitive collation does not equate 'a' and 'A' here.
         */
        if (charset != SP_MERGE_BINARY_CHARSET) {
            value = value_trim_trailing_spaces(value);
            literal = value_trim_trailing_spaces(literal);
        }
        return sp_merge_bytes_cmp(value, literal);
    }
}
