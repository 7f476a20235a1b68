/*
 * Exact decimal arithmetic on base-10 digit arrays. Speed matters less than
 * exactness here: the merger adds one shard's partial sum per group and
 * divides once per AVG, so schoolbook algorithms over at most a few
 * hundred digits are enough. Nothing here allocates or fails halfway:
 * on error the output is left as it was.
 */
#include "router/decimal.h"

#include <stdlib.h>
#include <string.h>

/* Room for a coefficient shifted by two scales, as division needs. */
#define DECIMAL_WORK_DIGITS (SP_DECIMAL_MAX_DIGITS + 2 * SP_DECIMAL_MAX_SCALE + 4)

void
sp_decimal_zero(struct sp_decimal *d)
{
    memset(d, 0, sizeof(*d));
}

void
sp_decimal_from_u64(struct sp_decimal *d, uint64_t v)
{
    sp_decimal_zero(d);
    while (v > 0) {
        d->digit[d->ndigits++] = (uint8_t)(v % 10);
        v /= 10;
    }
}

bool
sp_decimal_is_zero(const struct sp_decimal *d)
{
    return d->ndigits == 0;
}

/* The digit of D's magnitude at power of ten POWER (negative: after the point). */
static unsigned
decimal_digit_at(const struct sp_decimal *d, int power)
{
    int index = power + (int)d->scale;

    if (index < 0 || index >= (int)d->ndigits) {
        return 0;
    }
    return d->digit[index];
}

/* Number of digits before the decimal point, 0 for a pure fraction. */
static int
decimal_int_digits(const struct sp_decimal *d)
{
    int n = (int)d->ndigits - (int)d->scale;

    return n > 0 ? n : 0;
}

static int
decimal_max(int a, int b)
{
    return a > b ? a : b;
}

/* Compares magnitudes, ignoring signs. */
static int
decimal_cmp_magnitude(const struct sp_decimal *a, const struct sp_decimal *b)
{
    int top = decimal_max(decimal_int_digits(a), decimal_int_digits(b)) - 1;
    int bottom = -decimal_max(a->scale, b->scale);

    for (int p = top; p >= bottom; p--) {
        unsigned da = decimal_digit_at(a, p);
        unsigned db = decimal_digit_at(b, p);

        if (da != db) {
            return da < db ? -1 : 1;
        }
    }
    return 0;
}

/* Strips leading zeros of the LSB-first array DIGIT of length *N. */
static void
decimal_trim(const uint8_t *digit, size_t *n)
{
    while (*n > 0 && digit[*n - 1] == 0) {
        (*n)--;
    }
}

/* Stores an LSB-first coefficient into OUT; SP_ERANGE when it does not fit. */
static int
decimal_store(struct sp_decimal *out, const uint8_t *digit, size_t n, unsigned scale, bool negative)
{
    decimal_trim(digit, &n);
    if (n > SP_DECIMAL_MAX_DIGITS || scale > SP_DECIMAL_MAX_SCALE) {
        return SP_ERANGE;
    }

    memmove(out->digit, digit, n);
    memset(out->digit + n, 0, SP_DECIMAL_MAX_DIGITS - n);
    out->ndigits = (uint16_t)n;
    out->scale = (uint16_t)scale;
    out->negative = negative && n > 0;
    return SP_OK;
}

int
sp_decimal_parse(struct sp_decimal *d, const char *text, size_t len)
{
    uint8_t msb_first[SP_DECIMAL_MAX_DIGITS];
    uint8_t lsb_first[SP_DECIMAL_MAX_DIGITS];
    size_t i = 0, n = 0, nfrac = 0, ndigits_seen = 0;
    bool negative = false, in_fraction = false;

    if (len > 0 && (text[0] == '-' || text[0] == '+')) {
        negative = text[0] == '-';
        i = 1;
    }

    for (; i < len; i++) {
        char c = text[i];

        if (c == '.' && !in_fraction) {
            in_fraction = true;
            continue;
        }
        if (c < '0' || c > '9') {
            return SP_EINVAL;
        }

        ndigits_seen++;
        if (in_fraction) {
            nfrac++;
        }
        /* Leading zeros of the coefficient carry no information. */
        if (n == 0 && c == '0') {
            continue;
        }
        if (n == SP_DECIMAL_MAX_DIGITS) {
            return SP_ERANGE;
        }
        msb_first[n++] = (uint8_t)(c - '0');
    }
    if (ndigits_seen == 0) {
        return SP_EINVAL;
    }

    for (size_t k = 0; k < n; k++) {
        lsb_first[k] = msb_first[n - 1 - k];
    }
    return decimal_store(d, lsb_first, n, (unsigned)nfrac, negative);
}

int
sp_decimal_cmp(const struct sp_decimal *a, const struct sp_decimal *b)
{
    int mag;

    if (a->negative != b->negative) {
        return a->negative ? -1 : 1;
    }

    mag = decimal_cmp_magnitude(a, b);
    return a->negative ? -mag : mag;
}

int
sp_decimal_add(struct sp_decimal *out, const struct sp_decimal *a, const struct sp_decimal *b)
{
    uint8_t sum[SP_DECIMAL_MAX_DIGITS + SP_DECIMAL_MAX_SCALE + 2];
    const struct sp_decimal *big = a, *small = b;
    int scale = decimal_max(a->scale, b->scale);
    int top = decimal_max(decimal_int_digits(a), decimal_int_digits(b));
    bool subtract = a->negative != b->negative;
    bool negative;
    unsigned carry = 0;
    size_t n = 0;

    /* Subtracting the smaller magnitude from the larger keeps digits >= 0. */
    if (subtract && decimal_cmp_magnitude(a, b) < 0) {
        big = b;
        small = a;
    }
    negative = big->negative;

    for (int p = -scale; p <= top; p++) {
        int v;

        if (subtract) {
            v = (int)decimal_digit_at(big, p) - (int)decimal_digit_at(small, p) - (int)carry;
            carry = v < 0;
            if (v < 0) {
                v += 10;
            }
        } else {
            v = (int)(decimal_digit_at(big, p) + decimal_digit_at(small, p) + carry);
            carry = v >= 10;
            if (v >= 10) {
                v -= 10;
            }
        }
        sum[n++] = (uint8_t)v;
    }

    return decimal_store(out, sum, n, (unsigned)scale, negative);
}

static int
decimal_cmp_raw(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
    if (na != nb) {
        return na < nb ? -1 : 1;
    }
    for (size_t i = na; i-- > 0;) {
        if (a[i] != b[i]) {
            return a[i] < b[i] ? -1 : 1;
        }
    }
    return 0;
}

/* A -= B for trimmed LSB-first arrays with A >= B; keeps A trimmed. */
static void
decimal_sub_raw(uint8_t *a, size_t *na, const uint8_t *b, size_t nb)
{
    int borrow = 0;

    for (size_t i = 0; i < *na; i++) {
        int v = (int)a[i] - (i < nb ? (int)b[i] : 0) - borrow;

        borrow = v < 0;
        a[i] = (uint8_t)(v < 0 ? v + 10 : v);
    }
    decimal_trim(a, na);
}

/* Copies D's coefficient into OUT shifted up by SHIFT zeros; returns the length. */
static size_t
decimal_shifted(const struct sp_decimal *d, unsigned shift, uint8_t *out)
{
    if (d->ndigits == 0) {
        return 0;
    }
    memset(out, 0, shift);
    memcpy(out + shift, d->digit, d->ndigits);
    return shift + d->ndigits;
}

/*
 * OUT = A / B to SCALE fractional digits: rounded half away from zero, or
 * cut (toward zero) when TRUNCATE is set.
 */
static int
decimal_divide(struct sp_decimal *out, const struct sp_decimal *a, const struct sp_decimal *b,
               unsigned scale, bool truncate)
{
    uint8_t dividend[DECIMAL_WORK_DIGITS];
    uint8_t divisor[DECIMAL_WORK_DIGITS];
    uint8_t quotient[DECIMAL_WORK_DIGITS];
    uint8_t rem[DECIMAL_WORK_DIGITS];
    size_t na, nb, nrem = 0, nq;
    int exp;

    if (b->ndigits == 0) {
        return SP_EINVAL;
    }
    if (scale > SP_DECIMAL_MAX_SCALE) {
        return SP_ERANGE;
    }

    /*
     * A/B = (coefA / coefB) * 10^(scaleB - scaleA). One digit beyond SCALE
     * decides the rounding, so the integer quotient wanted is
     * coefA * 10^exp / coefB with exp = scale + 1 + scaleB - scaleA; a
     * negative exp scales the divisor instead.
     */
    exp = (int)scale + 1 + (int)b->scale - (int)a->scale;
    if (exp > 0 && (size_t)exp + a->ndigits > DECIMAL_WORK_DIGITS) {
        return SP_ERANGE;
    }
    if (exp < 0 && (size_t)-exp + b->ndigits > DECIMAL_WORK_DIGITS) {
        return SP_ERANGE;
    }
    na = decimal_shifted(a, exp > 0 ? (unsigned)exp : 0, dividend);
    nb = decimal_shifted(b, exp < 0 ? (unsigned)-exp : 0, divisor);

    /* Long division, one quotient digit per dividend digit. */
    memset(quotient, 0, sizeof(quotient));
    for (size_t i = na; i-- > 0;) {
        unsigned q = 0;

        memmove(rem + 1, rem, nrem);
        rem[0] = dividend[i];
        nrem++;
        decimal_trim(rem, &nrem);

        while (decimal_cmp_raw(rem, nrem, divisor, nb) >= 0) {
            decimal_sub_raw(rem, &nrem, divisor, nb);
            q++;
        }
        quotient[i] = (uint8_t)q;
    }

    nq = na;
    if (nq == 0) {
        return decimal_store(out, quotient, 0, scale, false);
    }

    /* Half away from zero: the guard digit alone decides, whatever remains. */
    if (!truncate && quotient[0] >= 5) {
        size_t i = 1;

        while (i < nq && quotient[i] == 9) {
            quotient[i++] = 0;
        }
        if (i == nq) {
            quotient[nq++] = 0;
        }
        quotient[i]++;
    }
    return decimal_store(out, quotient + 1, nq - 1, scale, a->negative != b->negative);
}

int
sp_decimal_div(struct sp_decimal *out, const struct sp_decimal *a, const struct sp_decimal *b,
               unsigned scale)
{
    return decimal_divide(out, a, b, scale, false);
}

int
sp_decimal_div_trunc(struct sp_decimal *out, const struct sp_decimal *a,
                     const struct sp_decimal *b, unsigned scale)
{
    return decimal_divide(out, a, b, scale, true);
}

int
sp_decimal_round(struct sp_decimal *d, unsigned scale)
{
    uint8_t work[SP_DECIMAL_MAX_DIGITS + SP_DECIMAL_MAX_SCALE + 1];
    size_t n, drop;
    bool round_up;

    if (scale > SP_DECIMAL_MAX_SCALE) {
        return SP_ERANGE;
    }

    if (scale >= d->scale) {
        n = decimal_shifted(d, scale - d->scale, work);
        return decimal_store(d, work, n, scale, d->negative);
    }

    /* Drop DROP digits; the most significant dropped one decides. */
    drop = d->scale - scale;
    round_up = drop <= d->ndigits && d->digit[drop - 1] >= 5;

    n = drop < d->ndigits ? d->ndigits - drop : 0;
    if (n > 0) {
        memcpy(work, d->digit + drop, n);
    }
    if (round_up) {
        size_t i = 0;

        while (i < n && work[i] == 9) {
            work[i++] = 0;
        }
        if (i == n) {
            work[n++] = 0;
        }
        work[i]++;
    }
    return decimal_store(d, work, n, scale, d->negative);
}

size_t
sp_decimal_format(const struct sp_decimal *d, char *buf)
{
    char *p = buf;

    if (d->negative) {
        *p++ = '-';
    }

    if (d->ndigits <= d->scale) {
        *p++ = '0';
    } else {
        for (size_t i = d->ndigits; i-- > d->scale;) {
            *p++ = (char)('0' + d->digit[i]);
        }
    }

    if (d->scale > 0) {
        *p++ = '.';
        for (size_t i = d->scale; i-- > 0;) {
            *p++ = (char)('0' + (i < d->ndigits ? d->digit[i] : 0));
        }
    }

    *p = '\0';
    return (size_t)(p - buf);
}

void
sp_decimal_from_i64(struct sp_decimal *d, int64_t v)
{
    /* The magnitude of INT64_MIN does not fit in int64_t, so negate as unsigned. */
    sp_decimal_from_u64(d, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
    d->negative = v < 0;
}

void
sp_decimal_negate(struct sp_decimal *d)
{
    d->negative = !d->negative && d->ndigits > 0;
}

int
sp_decimal_sub(struct sp_decimal *out, const struct sp_decimal *a, const struct sp_decimal *b)
{
    struct sp_decimal nb = *b;

    sp_decimal_negate(&nb);
    return sp_decimal_add(out, a, &nb);
}

int
sp_decimal_mul(struct sp_decimal *out, const struct sp_decimal *a, const struct sp_decimal *b)
{
    unsigned product[2 * SP_DECIMAL_MAX_DIGITS + 1];
    uint8_t digit[2 * SP_DECIMAL_MAX_DIGITS + 1];
    size_t n = (size_t)a->ndigits + b->ndigits;
    unsigned carry = 0;

    memset(product, 0, sizeof(product));
    for (size_t i = 0; i < a->ndigits; i++) {
        for (size_t j = 0; j < b->ndigits; j++) {
            product[i + j] += (unsigned)a->digit[i] * b->digit[j];
        }
    }
    for (size_t k = 0; k < n; k++) {
        unsigned v = product[k] + carry;

        digit[k] = (uint8_t)(v % 10);
        carry = v / 10;
    }
    return decimal_store(out, digit, n, (unsigned)a->scale + b->scale,
                         a->negative != b->negative);
}

int
sp_decimal_round_places(struct sp_decimal *d, int places, enum sp_decimal_rounding mode)
{
    uint8_t work[SP_DECIMAL_MAX_DIGITS + 1];
    unsigned out_scale = places > 0 ? (unsigned)places : 0;
    size_t drop, n, i;
    bool any_dropped = false, up;

    if (places > (int)SP_DECIMAL_MAX_SCALE || places < -(int)SP_DECIMAL_MAX_DIGITS) {
        return SP_ERANGE;
    }
    if (places >= (int)d->scale) {
        return sp_decimal_round(d, out_scale);
    }

    /* Drop the digits below 10^-places; they decide whether the rest moves up. */
    drop = (size_t)((int)d->scale - places);
    for (i = 0; i < drop && i < d->ndigits; i++) {
        any_dropped = any_dropped || d->digit[i] != 0;
    }
    switch (mode) {
    case SP_DECIMAL_HALF_UP:
        up = drop <= d->ndigits && d->digit[drop - 1] >= 5;
        break;
    case SP_DECIMAL_FLOOR:
        up = any_dropped && d->negative;
        break;
    case SP_DECIMAL_CEILING:
        up = any_dropped && !d->negative;
        break;
    default:
        up = false;
        break;
    }

    n = drop < d->ndigits ? d->ndigits - drop : 0;
    memcpy(work, d->digit + (drop < d->ndigits ? drop : d->ndigits), n);
    if (up) {
        i = 0;
        while (i < n && work[i] == 9) {
            work[i++] = 0;
        }
        if (i == n) {
            work[n++] = 0;
        }
        work[i]++;
    }

    /* A negative PLACES leaves zeros in the integer digits it cleared. */
    if (places < 0) {
        size_t zeros = (size_t)-places;

        if (n == 0) {
            return decimal_store(d, work, 0, 0, false);
        }
        if (n + zeros > SP_DECIMAL_MAX_DIGITS) {
            return SP_ERANGE;
        }
        memmove(work + zeros, work, n);
        memset(work, 0, zeros);
        n += zeros;
    }
    return decimal_store(d, work, n, out_scale, d->negative);
}

int
sp_decimal_mod(struct sp_decimal *out, const struct sp_decimal *a, const struct sp_decimal *b)
{
    struct sp_decimal q, p, r;
    int rc;

    /* a - trunc(a / b) * b: the sign follows the dividend, as in SQL. */
    rc = sp_decimal_div_trunc(&q, a, b, 0);
    if (rc == SP_OK) {
        rc = sp_decimal_mul(&p, &q, b);
    }
    if (rc == SP_OK) {
        rc = sp_decimal_sub(&r, a, &p);
    }
    if (rc == SP_OK) {
        rc = sp_decimal_round(&r, a->scale > b->scale ? a->scale : b->scale);
    }
    if (rc == SP_OK) {
        *out = r;
    }
    return rc;
}

double
sp_decimal_to_double(const struct sp_decimal *d)
{
    char text[SP_DECIMAL_TEXT_MAX];

    sp_decimal_format(d, text);
    return strtod(text, NULL);
}

int
sp_decimal_to_i64(const struct sp_decimal *d, bool is_unsigned, int64_t *i, uint64_t *u)
{
    uint64_t v = 0;

    /* Integer digits only: the caller rounded the fraction away. */
    if (d->ndigits > d->scale + 20u) {
        return SP_ERANGE;
    }
    for (size_t k = d->ndigits; k-- > d->scale;) {
        if (v > (UINT64_MAX - d->digit[k]) / 10) {
            return SP_ERANGE;
        }
        v = v * 10 + d->digit[k];
    }
    if (is_unsigned) {
        if (d->negative && v != 0) {
            return SP_ERANGE;
        }
        *u = v;
        return SP_OK;
    }
    if (d->negative ? v > (uint64_t)INT64_MAX + 1 : v > (uint64_t)INT64_MAX) {
        return SP_ERANGE;
    }
    *i = d->negative ? (int64_t)(0 - v) : (int64_t)v;
    return SP_OK;
}
